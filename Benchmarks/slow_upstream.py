"""A slow OpenAI-compatible upstream for the proxied-concurrency benchmark (bench tooling only).

usage: slow_upstream.py --port P [--chunks 12] [--interval 1.0]

Answers every POST with a chunked `text/event-stream` of `chat.completion.chunk` events:
the first at once, then one per interval (on a fixed schedule), then `data: [DONE]`;
keeps connections alive.
Prints "listening" when ready. Standard library only (asyncio).
"""

import argparse
import asyncio
import functools
import json

from benchlib import raise_nofile


@functools.lru_cache(maxsize=None)
def event(index, last):
    payload = {"id": "bench", "object": "chat.completion.chunk", "model": "slow-1",
               "choices": [{"index": 0, "delta": {"content": f"w{index} "}, "finish_reason": "stop" if last else None}]}
    return chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


async def serve(reader, writer, args):
    loop = asyncio.get_running_loop()
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            # On a fixed schedule from the request: a late wake-up does not delay the rest.
            began = loop.time()
            for index in range(args.chunks):
                if index:
                    await asyncio.sleep(max(0.0, began + index * args.interval - loop.time()))
                writer.write(event(index, index == args.chunks - 1))
                if writer.transport.get_write_buffer_size() > 65536:
                    await writer.drain()
            writer.write(chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=12)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    raise_nofile(65536)
    server = await asyncio.start_server(lambda r, w: serve(r, w, args), "127.0.0.1", args.port, backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
