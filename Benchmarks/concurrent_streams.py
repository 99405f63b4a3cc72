"""Concurrent slow streams: N echo streams held open at once, memory per stream.

usage: concurrent_streams.py --port P --pid PID [--streams 10000] [--words 5] [--delay-ms 1000]

Streams are opened in batches (each batch waits for its response heads) over raw
asyncio connections, each with its own conversation_id; every stream must deliver
its words in order and then the end event (full_response == the message). Runnel's
VmRSS is read before (after a warm-up) and once all streams are open:
(RSS with - RSS before) / streams open at that moment = KiB per stream.
"""

import argparse
import asyncio
import collections
import os
import time

from benchlib import (Deadline, cpu_seconds, failed, fd_count, hwm_kib, log, main_guard, met, raise_nofile,
                      record, rss_kib, thread_count)
from rawhttp import post_message, read_body, read_head, sse_events

FIGURE = "concurrent slow streams"
GOAL_STREAMS = "all correct"
GOAL_KIB = "<= 32 KiB"


class State:
    def __init__(self):
        self.open_now = 0
        self.opened = 0
        self.correct = 0
        self.failures = collections.Counter()

    def fail(self, why):
        self.failures[why] += 1


async def one_stream(index, args, run_id, state, ready):
    message = " ".join(f"s{index}w{i}" for i in range(args.words))
    writer = None
    opened = False
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 16)
        writer.write(post_message({"message": message, "backend": "echo", "delay_ms": args.delay_ms,
                                   "conversation_id": f"{run_id}-{index}"}))
        status, headers = await read_head(reader)
        if status != 200:
            body = await read_body(reader, headers)
            state.fail(f"HTTP {status} {body[:80]!r}")
            return
        opened = True
        state.opened += 1
        state.open_now += 1
        if not ready.done():
            ready.set_result(True)
        chunks = []
        end = None
        async for event in sse_events(reader, headers):
            if "chunk" in event:
                chunks.append(event["chunk"])
            elif event.get("end"):
                end = event
                break
            elif "error" in event:
                state.fail(f"error event {event['error'].get('code')}")
        if end is None:
            state.fail(f"no end event ({len(chunks)}/{args.words} chunks)")
        elif end.get("error"):
            state.fail("end event with error")
        elif "".join(chunks) != message or end.get("full_response") != message or len(chunks) != args.words:
            state.fail("chunks missing or out of order")
        else:
            state.correct += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
        state.fail(f"{type(error).__name__}: {str(error)[:60]}")
    finally:
        if opened:
            state.open_now -= 1
        if not ready.done():
            ready.set_result(False)
        if writer is not None:
            writer.close()


async def warm_up(args, run_id):
    state = State()
    ready = [asyncio.get_running_loop().create_future() for _ in range(200)]
    fast = argparse.Namespace(**{**vars(args), "delay_ms": 0})
    await asyncio.gather(*(one_stream(i, fast, run_id + "-warm", state, ready[i]) for i in range(200)))
    return state.correct


async def run_async(args):
    run_id = f"slow{os.getpid()}"
    pid = args.pid
    warmed = await warm_up(args, run_id)
    await asyncio.sleep(0.5)
    rss_before = rss_kib(pid)
    log(f"  warm-up: {warmed}/200 instant streams correct; runnel RSS before: {rss_before:,} KiB, "
        f"{thread_count(pid)} threads")
    state = State()
    loop = asyncio.get_running_loop()
    tasks = []
    started = time.monotonic()
    deadline = Deadline(args.open_seconds)
    for first in range(0, args.streams, args.batch):
        ready = [loop.create_future() for _ in range(first, min(first + args.batch, args.streams))]
        for offset, future in enumerate(ready):
            tasks.append(asyncio.create_task(one_stream(first + offset, args, run_id, state, future)))
        batch_started = time.monotonic()
        cpu_started = cpu_seconds(pid)
        await asyncio.wait(ready, timeout=max(0.1, deadline.left()))
        if args.verbose:
            log(f"    batch {first // args.batch + 1}: {time.monotonic() - batch_started:.2f} s, "
                f"runnel CPU {cpu_seconds(pid) - cpu_started:.2f} s, open {state.open_now}")
        if deadline.expired():
            log(f"  opening stopped by its deadline after {len(tasks)} streams")
            break
    open_seconds = time.monotonic() - started
    await asyncio.sleep(0.2)  # let the last batch's first bytes settle
    open_at_sample = state.open_now
    rss_with = rss_kib(pid)
    fds, threads = fd_count(pid), thread_count(pid)
    log(f"  {len(tasks):,} streams started in {open_seconds:.1f} s (batches of {args.batch}); "
        f"{open_at_sample:,} open at once when sampled")
    log(f"  runnel RSS with them open: {rss_with:,} KiB, {fds:,} fds, {threads} threads")
    cpu_started, wall_started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(3.0)
    open_during = state.open_now
    busy = (cpu_seconds(pid) - cpu_started) / (time.monotonic() - wall_started) * 100
    log(f"  runnel CPU while holding {open_during:,} streams ({open_during:,} chunks/s): {busy:.0f}% of a core")
    lifetime = args.words * args.delay_ms / 1000
    done, pending = await asyncio.wait(tasks, timeout=lifetime + 60)
    for task in pending:
        task.cancel()
    if pending:
        state.fail(f"still streaming at the deadline ({len(pending)})")
        await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.sleep(1.0)
    rss_after, peak = rss_kib(pid), hwm_kib(pid)
    log(f"  after all ended (+1 s): RSS {rss_after:,} KiB (peak {peak:,} KiB)")
    return state, rss_before, rss_with, open_at_sample, (busy, open_during)


def run(args):
    limit = raise_nofile(65536)
    if limit < args.streams + 100:
        log(f"  note: this client's open-file limit is {limit}: fewer streams can be held")
    log(f"  {args.streams:,} echo streams, {args.words} words each paced {args.delay_ms} ms "
        f"(~{args.words * args.delay_ms / 1000:.0f} s per stream), client on core 1")
    state, rss_before, rss_with, open_at_sample, (busy, open_during) = asyncio.run(run_async(args))
    for why, count in state.failures.most_common(6):
        log(f"  failure x{count}: {why}")
    log(f"  correct streams: {state.correct:,} of {args.streams:,} (goal: all)")
    all_ok = state.correct == args.streams
    record("concurrent slow streams correct", f"{state.correct:,}/{args.streams:,}", "-", "-", GOAL_STREAMS,
           "yes" if all_ok else "no")
    if open_at_sample <= 0:
        failed("memory per open stream", "no stream was open when RSS was sampled", GOAL_KIB)
        return
    per_stream = (rss_with - rss_before) / open_at_sample
    log(f"  memory per open stream: ({rss_with:,} - {rss_before:,}) KiB / {open_at_sample:,} = "
        f"{per_stream:.1f} KiB (goal {GOAL_KIB}) -> {met(per_stream, '<=', 32)}")
    record(f"runnel CPU holding {open_during:,} streams at 1 chunk/s", f"{busy:.0f}% of a core", "-", "-", "-", "-")
    record("memory per open stream", f"{per_stream:.1f} KiB", f"{open_at_sample:,} open", "-", GOAL_KIB,
           met(per_stream, "<=", 32))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--words", type=int, default=5)
    parser.add_argument("--delay-ms", type=int, default=1000)
    parser.add_argument("--open-seconds", type=float, default=60)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    main_guard(FIGURE, lambda: run(args), GOAL_STREAMS)


if __name__ == "__main__":
    main()
