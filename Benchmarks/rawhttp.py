"""Minimal HTTP/1.1 client pieces over asyncio streams (standard library only): requests, bodies, SSE."""

import json


def post_message(body_obj):
    body = json.dumps(body_obj).encode()
    return (b"POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


GET_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def read_head(reader):
    """Status code and lower-cased headers of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_body(reader, headers):
    """A whole (small) body, by Content-Length or chunked."""
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = b""
        async for piece in chunks(reader):
            out += piece
        return out
    return await reader.read()


async def chunks(reader):
    """Yield the data of each chunk of a chunked body until the last chunk."""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected
            return
        data = await reader.readexactly(size + 2)
        yield data[:-2]


async def sse_events(reader, headers):
    """Yield each SSE event's JSON (comments like ': ping' are skipped)."""
    buffer = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        source = chunks(reader)
    else:
        async def until_close():
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                yield data
        source = until_close()
    async for data in source:
        buffer += data
        while b"\n\n" in buffer:
            raw, buffer = buffer.split(b"\n\n", 1)
            for line in raw.split(b"\n"):
                if line.startswith(b"data: "):
                    yield json.loads(line[6:])
