"""Hot-reload latency: a save of Frontend/style.css → its event on /__runnel/reload.

usage: hot_reload.py --port P --root DIR [--saves 100]

A raw-socket client reads the reload stream (after its hello event). Each save
writes new content to DIR/Frontend/style.css (open, write, close) once the previous
save's event has arrived and a quiet gap has passed; the latency is from just before
the open to the moment the event's bytes are read. Lost = no event within 2 s;
extra = events beyond one per save (seen during the quiet gap); wrong = an event
other than {"type":"css","path":"/style.css"}.
"""

import argparse
import json
import os
import select
import socket
import time

from benchlib import failed, log, main_guard, met, percentile, record

FIGURE = "hot-reload latency p95"
GOAL = "<= 50 ms, none lost"


class ReloadStream:
    def __init__(self, port):
        self.conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.conn.sendall(b"GET /__runnel/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        self.buffer = b""
        self.head = None

    def next_event(self, timeout):
        """The next data event (dict) and its arrival time, or (None, None) at the timeout."""
        deadline = time.perf_counter() + timeout
        while True:
            if self.head is None:
                head, sep, rest = self.buffer.partition(b"\r\n\r\n")
                if sep:
                    self.head, self.buffer = head, rest
                    if not head.startswith(b"HTTP/1.1 200"):
                        raise RuntimeError("reload stream: " + head.split(b"\r\n")[0].decode())
            if self.head is not None:
                start = self.buffer.find(b"data: ")
                if start >= 0:
                    stop = self.buffer.find(b"\n\n", start)
                    if stop >= 0:
                        event = json.loads(self.buffer[start + 6:stop])
                        self.buffer = self.buffer[stop + 2:]
                        return event, self.arrived
            left = deadline - time.perf_counter()
            if left <= 0:
                return None, None
            ready, _, _ = select.select([self.conn], [], [], left)
            if not ready:
                return None, None
            data = self.conn.recv(65536)
            self.arrived = time.perf_counter()
            if not data:
                raise RuntimeError("reload stream closed by the server")
            self.buffer += data


def css(i):
    return (f"/* save {i} */\n:root {{ --bench-accent: #{(i * 2654435761) % 0xFFFFFF:06x}; }}\n"
            f".bench-{i} {{ color: var(--bench-accent); padding: {i % 17}px; }}\n")


def run(args):
    path = os.path.join(args.root, "Frontend", "style.css")
    stream = ReloadStream(args.port)
    hello, _ = stream.next_event(5)
    if not hello or hello.get("type") != "hello":
        return failed(FIGURE, f"no hello event (got {hello})", GOAL)
    time.sleep(0.3)
    latencies, lost, extra, wrong = [], 0, 0, []
    for i in range(args.saves):
        started = time.perf_counter()
        with open(path, "w") as f:
            f.write(css(i))
        event, arrived = stream.next_event(2.0)
        if event is None:
            lost += 1
            continue
        if event != {"type": "css", "path": "/style.css"}:
            wrong.append(event)
        latencies.append((arrived - started) * 1000)
        # Quiet gap: any further event now belongs to this save (a duplicate).
        while True:
            more, _ = stream.next_event(args.gap_ms / 1000)
            if more is None:
                break
            extra += 1
    stream.conn.close()
    if not latencies:
        return failed(FIGURE, f"all {args.saves} saves lost", GOAL)
    p50, p95, worst = percentile(latencies, 50), percentile(latencies, 95), max(latencies)
    log(f"  {args.saves} saves of Frontend/style.css, each after the previous event + {args.gap_ms} ms quiet")
    log(f"  save → event: p50 {p50:.1f} ms, p95 {p95:.1f} ms, min {min(latencies):.1f}, max {worst:.1f} ms")
    log(f"  lost {lost}, extra events {extra}, wrong events {len(wrong)}"
        + (f" (first: {wrong[0]})" if wrong else ""))
    ok = p95 <= 50 and lost == 0
    log(f"  goal: p95 {GOAL} -> {'yes' if ok else 'no'}")
    record("hot-reload save→event p50", f"{p50:.1f} ms", "-", "-", "-", "-")
    record(FIGURE, f"{p95:.1f} ms", "-", "-", "<= 50 ms", met(p95, "<=", 50))
    record("hot-reload events lost/extra/wrong", f"{lost}/{extra}/{len(wrong)} of {args.saves}", "-", "-", "0/0/0",
           "yes" if lost == 0 and extra == 0 and not wrong else "no")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--gap-ms", type=int, default=60)
    args = parser.parse_args()
    main_guard(FIGURE, lambda: run(args), GOAL)


if __name__ == "__main__":
    main()
