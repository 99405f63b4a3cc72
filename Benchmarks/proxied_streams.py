"""Proxied concurrency: N streams through runnel's `openai` backend to a slow upstream,
beside N streams straight to that upstream (bench tooling only).

usage: proxied_streams.py --port RUNNEL --pid PID --upstream-port P [--streams 9000] [--chunks 12]

Each stream must deliver all its chunks in order and end cleanly. Reports, for the direct
and the proxied run: first-chunk delay (request sent -> first chunk, p50/p99/max), stream
duration (p50/max), errors; for runnel: RSS per open stream, threads, fds.
"""

import argparse
import asyncio
import json
import time

from benchlib import fd_count, log, main_guard, percentile, raise_nofile, record, rss_kib, thread_count
from rawhttp import post_message, read_head


class Stats:
    def __init__(self):
        self.first = []
        self.duration = []
        self.errors = {}
        self.open_now = 0

    def fail(self, why):
        self.errors[why] = self.errors.get(why, 0) + 1


async def events(reader, headers):
    """Yield each SSE event's data text, from a chunked or close-delimited body."""
    buffer = b""
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    while True:
        if chunked:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            data = (await reader.readexactly(size + 2))[:-2]
        else:
            data = await reader.read(65536)
            if not data:
                return
        buffer += data
        while b"\n\n" in buffer:
            raw, buffer = buffer.split(b"\n\n", 1)
            for line in raw.split(b"\n"):
                if line.startswith(b"data: "):
                    yield line[6:].decode()


def request(direct, index, upstream_port):
    if not direct:
        return post_message({"message": f"stream {index}", "backend": "openai", "conversation_id": f"p{index}"})
    body = json.dumps({"model": "slow-1", "stream": True, "messages": [{"role": "user", "content": f"stream {index}"}]}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (upstream_port, len(body), body))


async def one(index, args, direct, stats, gate):
    expected = "".join(f"w{i} " for i in range(args.chunks))
    port = args.upstream_port if direct else args.port
    writer = None
    opened = False
    await gate.acquire()
    released = False
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, limit=1 << 16), 30)
        started = time.monotonic()
        writer.write(request(direct, index, args.upstream_port))
        status, headers = await asyncio.wait_for(read_head(reader), 60)
        gate.release()
        released = True
        if status != 200:
            stats.fail(f"HTTP {status}")
            return
        opened = True
        stats.open_now += 1
        text, first, ended = "", None, False

        async def consume():
            nonlocal text, first, ended
            async for data in events(reader, headers):
                if direct:
                    if data == "[DONE]":
                        ended = True
                        return
                    piece = json.loads(data)["choices"][0]["delta"].get("content", "")
                else:
                    event = json.loads(data)
                    if "error" in event:
                        stats.fail(f"error event {event['error'].get('code')}")
                    if event.get("end"):
                        ended = not event.get("error")
                        return
                    piece = event.get("chunk", "")
                if piece and first is None:
                    first = time.monotonic() - started
                text += piece

        await asyncio.wait_for(consume(), args.chunks * args.interval + 60)
        if not ended or text != expected:
            stats.fail("incomplete or out of order")
            return
        stats.first.append(first)
        stats.duration.append(time.monotonic() - started)
    except asyncio.TimeoutError:
        stats.fail("timeout")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
        stats.fail(type(error).__name__)
    finally:
        if not released:
            gate.release()
        if opened:
            stats.open_now -= 1
        if writer is not None:
            writer.close()


async def run_one(args, direct):
    stats = Stats()
    gate = asyncio.Semaphore(args.opening)
    pid = args.pid
    before = rss_kib(pid)
    tasks = [asyncio.create_task(one(i, args, direct, stats, gate)) for i in range(args.streams)]
    # Sample runnel while the streams are open (after they have all had time to start).
    sample = None
    for _ in range(int(args.chunks * args.interval * 10)):
        await asyncio.sleep(0.1)
        if stats.open_now >= args.streams * 0.98:
            await asyncio.sleep(0.5)
            break
    sample = (stats.open_now, rss_kib(pid), thread_count(pid), fd_count(pid))
    await asyncio.gather(*tasks)
    return stats, before, sample


def summary(name, stats, streams):
    ok = len(stats.first)
    if ok:
        first_ms = [v * 1000 for v in stats.first]
        text = (f"first chunk p50 {percentile(first_ms, 50):.1f} ms, p99 {percentile(first_ms, 99):.1f} ms, "
                f"max {max(first_ms):.1f} ms; duration p50 {percentile(stats.duration, 50):.2f} s, max {max(stats.duration):.2f} s")
    else:
        first_ms, text = [], "no stream completed"
    errors = streams - ok
    log(f"  {name}: {ok:,}/{streams:,} complete; {text}; errors {errors}"
        + (f" ({', '.join(f'{k} x{v}' for k, v in stats.errors.items())})" if stats.errors else ""))
    return ok, (percentile(first_ms, 99) if first_ms else None), (max(first_ms) if first_ms else None), errors


def run(args):
    raise_nofile(65536)
    log(f"  {args.streams:,} streams of {args.chunks} chunks at 1 per {args.interval:g} s; "
        f"N = {args.streams:,} because a proxied stream holds 2 fds in runnel and 9,000 x 2 + overhead fits 20,000 per process")
    direct, _, _ = asyncio.run(run_one(args, True))
    d_ok, d_p99, d_max, d_err = summary("direct to the upstream ", direct, args.streams)
    proxied, before, (open_now, rss_with, threads, fds) = asyncio.run(run_one(args, False))
    p_ok, p_p99, p_max, p_err = summary("through runnel (openai)", proxied, args.streams)
    per_stream = (rss_with - before) / open_now if open_now else None
    log(f"  runnel while {open_now:,} streams were open: RSS {rss_with:,} KiB (before {before:,} KiB) = "
        f"{per_stream:.1f} KiB per stream, {threads} threads, {fds:,} fds" if per_stream is not None else
        f"  runnel: no stream open when sampled; {threads} threads, {fds:,} fds")
    record(f"proxied streams complete ({args.streams:,} at once)", f"{p_ok:,}/{args.streams:,}", f"direct {d_ok:,}", "-", "all",
           "yes" if p_ok == args.streams else "no")
    if p_p99 is not None and d_p99 is not None:
        record("proxied first chunk p99 / max", f"{p_p99:.0f} / {p_max:.0f} ms", f"direct {d_p99:.0f} / {d_max:.0f} ms", "-", "-", "-")
    if per_stream is not None:
        record("proxied: runnel RSS per stream, threads", f"{per_stream:.1f} KiB, {threads} threads", f"{open_now:,} open", "-", "-", "-")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--streams", type=int, default=9000)
    parser.add_argument("--chunks", type=int, default=12)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--opening", type=int, default=500, help="streams connecting at once")
    args = parser.parse_args()
    main_guard("proxied concurrency", lambda: run(args), "all")


if __name__ == "__main__":
    main()
