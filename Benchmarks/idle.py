"""Idle costs: RSS and CPU of an idle server, then with N idle keep-alive connections.

usage: idle.py --port P --pid PID [--connections 5000] [--cpu-seconds 5]

Each connection sends one GET /healthz, reads the answer and then stays open (the
server's keep-alive idle timeout is 30 s: everything here is measured well within it).
"""

import argparse
import asyncio
import collections
import time

from benchlib import (cpu_seconds, failed, fd_count, healthz, log, main_guard, met, raise_nofile, record, rss_kib,
                      thread_count)
from rawhttp import GET_HEALTHZ, read_body, read_head

FIGURE = "idle"
GOAL_CONN = "<= 16 KiB"
GOAL_CPU = "~0% (<= 0.5%)"


def cpu_percent(pid, seconds):
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start) * 100


async def hold(args, failures):
    loop = asyncio.get_running_loop()
    conns = []

    async def open_one():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
            writer.write(GET_HEALTHZ)
            status, headers = await read_head(reader)
            body = await read_body(reader, headers)
            if status != 200 or body.strip() != b"ok":
                failures[f"HTTP {status} {body[:40]!r}"] += 1
                writer.close()
                return
            conns.append((reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            failures[f"{type(error).__name__}: {str(error)[:60]}"] += 1

    started = time.monotonic()
    for first in range(0, args.connections, args.batch):
        count = min(args.batch, args.connections - first)
        await asyncio.wait_for(asyncio.gather(*(open_one() for _ in range(count))), timeout=30)
    opened_in = time.monotonic() - started
    return conns, opened_in


async def check_alive(conns, sample):
    """Reuse a sample of the idle connections: keep-alive must still work."""
    alive = 0
    for reader, writer in conns[:: max(1, len(conns) // sample)][:sample]:
        try:
            writer.write(GET_HEALTHZ)
            status, headers = await asyncio.wait_for(read_head(reader), 2)
            if status == 200 and (await read_body(reader, headers)).strip() == b"ok":
                alive += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            pass
    return alive


def run(args):
    pid = args.pid
    raise_nofile(65536)
    for _ in range(20):
        healthz(args.port)
    time.sleep(0.5)
    idle_rss = rss_kib(pid)
    log(f"  idle RSS (after 20 requests): {idle_rss:,} KiB ({idle_rss / 1024:.1f} MiB), "
        f"{thread_count(pid)} threads, {fd_count(pid)} fds")
    idle_cpu = cpu_percent(pid, args.cpu_seconds)
    log(f"  idle CPU over {args.cpu_seconds:.0f} s (no connections): {idle_cpu:.2f}% of a core "
        f"(goal {GOAL_CPU}) -> {met(idle_cpu, '<=', 0.5)}")
    record("idle RSS", f"{idle_rss / 1024:.1f} MiB", "-", "-", "-", "-")
    record("idle CPU (5 s)", f"{idle_cpu:.2f}%", "-", "-", GOAL_CPU, met(idle_cpu, "<=", 0.5))

    async def body():
        failures = collections.Counter()
        before = rss_kib(pid)
        conns, opened_in = await hold(args, failures)
        await asyncio.sleep(0.5)
        with_rss = rss_kib(pid)
        fds = fd_count(pid)
        log(f"  {len(conns):,} idle keep-alive connections opened in {opened_in:.1f} s "
            f"(each after one GET /healthz); runnel has {fds:,} fds")
        for why, count in failures.most_common(5):
            log(f"  failure x{count}: {why}")
        start_cpu, start = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(args.cpu_seconds)
        held_cpu = (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start) * 100
        alive = await check_alive(conns, 100)
        for _, writer in conns:
            writer.close()
        return before, with_rss, len(conns), held_cpu, alive, failures

    before, with_rss, held, held_cpu, alive, failures = asyncio.run(body())
    if held == 0:
        failed("memory per idle connection", "no connection held", GOAL_CONN)
        return
    per_conn = (with_rss - before) / held
    log(f"  RSS with them: {with_rss:,} KiB -> ({with_rss:,} - {before:,}) / {held:,} = {per_conn:.1f} KiB "
        f"per connection (goal {GOAL_CONN}) -> {met(per_conn, '<=', 16)}")
    log(f"  CPU over {args.cpu_seconds:.0f} s holding them: {held_cpu:.2f}% of a core; "
        f"{alive}/100 sampled connections still answered afterwards")
    time.sleep(1.0)
    log(f"  RSS after closing them (+1 s): {rss_kib(pid):,} KiB")
    record(f"memory per idle connection ({held:,})", f"{per_conn:.1f} KiB", "-", "-", GOAL_CONN,
           met(per_conn, "<=", 16) if held == args.connections else "no")
    record(f"idle CPU holding {held:,} connections", f"{held_cpu:.2f}%", "-", "-", GOAL_CPU, met(held_cpu, "<=", 0.5))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--cpu-seconds", type=float, default=5)
    args = parser.parse_args()
    main_guard(FIGURE, lambda: run(args), GOAL_CONN)


if __name__ == "__main__":
    main()
