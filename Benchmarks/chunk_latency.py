"""Per-chunk server-added latency: one paced echo stream read over a raw socket.

usage: chunk_latency.py --port P [--words 500] [--delay-ms 20]

The echo backend paces words `delay_ms` apart; every chunk's arrival is timestamped
(perf_counter right after recv returns). The jitter |gap - delay| between
consecutive chunks bounds what the server adds per chunk (timer wake-up, scheduling,
encoding, the write) from above: it also holds the client's and the kernel's share.
For scale, the same pacing done by this Python process itself (sleep to the next
deadline on the server's core) is measured too: the OS timer floor.
"""

import argparse
import json
import os
import socket
import time

from benchlib import Deadline, failed, log, main_guard, met, percentile, record

FIGURE = "chunk jitter p99"
GOAL = "<= 1 ms"


def read_stream(port, words, delay_ms, timeout):
    message = " ".join(f"w{i}" for i in range(words))
    body = json.dumps({"message": message, "backend": "echo", "delay_ms": delay_ms,
                       "conversation_id": f"latency-{os.getpid()}"}).encode()
    request = (b"POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    deadline = Deadline(timeout)
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(request)
    pending = b""
    header_done = False
    arrivals = []        # one timestamp per chunk event
    coalesced = 0        # recv()s that carried more than one chunk event
    chunks = []
    end = None
    while end is None and not deadline.expired():
        conn.settimeout(max(0.05, deadline.left()))
        data = conn.recv(65536)
        now = time.perf_counter()
        if not data:
            break
        pending += data
        if not header_done:
            head, sep, rest = pending.partition(b"\r\n\r\n")
            if not sep:
                continue
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError("status: " + head.split(b"\r\n")[0].decode())
            header_done, pending = True, rest
        # Connection: close → the body may still be chunked; events are found by their
        # "data: " lines, which never span a chunk-size line in a way that matters here
        # because each event is written (and flushed) as one chunk.
        found = 0
        while True:
            start = pending.find(b"data: ")
            if start < 0:
                break
            stop = pending.find(b"\n\n", start)
            if stop < 0:
                break
            event = json.loads(pending[start + 6:stop])
            pending = pending[stop + 2:]
            if "chunk" in event:
                arrivals.append(now)
                chunks.append(event["chunk"])
                found += 1
            elif event.get("end"):
                end = event
        if found > 1:
            coalesced += 1
    conn.close()
    return message, arrivals, chunks, end, coalesced


def timer_floor(count, delay_ms):
    """Pace `count` ticks by absolute deadlines in this process, pinned to core 0."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        step = delay_ms / 1000
        start = time.perf_counter()
        stamps = []
        for i in range(1, count + 1):
            target = start + i * step
            remaining = target - time.perf_counter()
            if remaining > 0:
                time.sleep(remaining)
            stamps.append(time.perf_counter())
    finally:
        os.sched_setaffinity(0, previous)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return [abs(g - step) * 1000 for g in gaps]


def run(args):
    log(f"  one echo stream: {args.words} words paced {args.delay_ms} ms apart "
        f"(~{args.words * args.delay_ms / 1000:.0f} s), client on core 1, raw socket")
    message, arrivals, chunks, end, coalesced = read_stream(args.port, args.words, args.delay_ms,
                                                           timeout=args.words * args.delay_ms / 1000 + 20)
    if end is None:
        return failed(FIGURE, f"no end event ({len(chunks)} of {args.words} chunks arrived)", GOAL)
    complete = "".join(chunks) == message == end.get("full_response") and len(chunks) == args.words
    step = args.delay_ms / 1000
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    jitter = [abs(g - step) * 1000 for g in gaps]
    late = [(g - step) * 1000 for g in gaps]
    drift = (arrivals[-1] - arrivals[0]) - step * (len(arrivals) - 1)
    p50, p99, worst = percentile(jitter, 50), percentile(jitter, 99), max(jitter)
    floor = timer_floor(min(len(gaps) + 1, 300), args.delay_ms)
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    log(f"  stream complete and in order: {'yes' if complete else 'NO'} "
        f"({len(chunks)} chunks, {coalesced} reads held >1 chunk)")
    log(f"  inter-arrival gap: mean {sum(gaps) / len(gaps) * 1000:.3f} ms (pacing {args.delay_ms} ms), "
        f"drift over the stream {drift * 1000:+.1f} ms ({drift * 1000 / len(gaps):+.3f} ms per chunk)")
    log(f"  jitter |gap - {args.delay_ms} ms|: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms "
        f"(late-only p99 {percentile(late, 99):.3f} ms)")
    log(f"  reference, OS timer floor (Python pacing itself on core 0): p50 {f50:.3f} ms, p99 {f99:.3f} ms")
    log(f"  goal: server-added latency p99 {GOAL} -> {met(p99, '<=', 1.0)} "
        f"(jitter is an upper bound: it includes the client's and the kernel's share)")
    if not complete:
        failed(FIGURE, "stream incomplete or out of order", GOAL)
        return
    record("chunk jitter p50 (server-added, upper bound)", f"{p50:.3f} ms", f"timer floor {f50:.3f} ms",
           f"{p50 / f50:.1f}x" if f50 > 0 else "-", "-", "-")
    record(FIGURE + " (server-added, upper bound)", f"{p99:.3f} ms", f"timer floor {f99:.3f} ms",
           f"{p99 / f99:.1f}x" if f99 > 0 else "-", GOAL, met(p99, "<=", 1.0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--delay-ms", type=int, default=20)
    args = parser.parse_args()
    main_guard(FIGURE, lambda: run(args), GOAL)


if __name__ == "__main__":
    main()
