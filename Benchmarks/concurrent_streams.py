"""Concurrent slow streams: N echo streams held open at once, opened at a fixed rate;
first-event delay, lateness, memory per stream.

usage: concurrent_streams.py --port P --pid PID [--streams 10000] [--words 30] [--delay-ms 1000] [--rate 2000]

Streams are opened at --rate per second, evenly spaced (goal 4 of [scale] #10: a burst
of 2,000/s), over asyncio connections, each with its own conversation_id; every stream
must deliver its words in order and then the end event (full_response == the message).
Each stream's first event is timed from its own connect, and its duration against the
nominal (words - 1) x delay (the first word comes at once). Runnel's VmRSS is read before
(after a warm-up) and once all streams are open: (RSS with - RSS before) / streams open
at that moment = KiB per stream.
"""

import argparse
import asyncio
import collections
import json
import os
import time

from benchlib import (cpu_seconds, failed, fd_count, hwm_kib, log, main_guard, met, open_at_rate, percentile,
                      raise_nofile, record, rss_kib, spread, thread_count)
from rawhttp import post_message, stream_events

FIGURE = "concurrent slow streams"
GOAL_STREAMS = "all correct"
GOAL_KIB = 24  # KiB per open slow stream ([reply] #9; the proxied goal of [scale] #10 is 32)


class State:
    def __init__(self):
        self.open_now = 0
        self.opened = 0
        self.correct = 0
        self.failures = collections.Counter()
        self.first = []  # first event after connect, s
        self.past = []   # duration - nominal, s

    def fail(self, why):
        self.failures[why] += 1


async def one_stream(index, args, run_id, state):
    message = " ".join(f"s{index}w{i}" for i in range(args.words))
    nominal = (args.words - 1) * args.delay_ms / 1000
    chunks, end, first = [], None, None
    started = time.monotonic()  # the stream's own connect: accept delays count

    def on_event(data):
        nonlocal end, first
        if first is None:
            first = time.monotonic() - started
        event = json.loads(data)
        if "chunk" in event:
            chunks.append(event["chunk"])
        elif event.get("end"):
            end = event
            return True
        elif "error" in event:
            state.fail(f"error event {event['error'].get('code')}")
        return False

    request = post_message({"message": message, "backend": "echo", "delay_ms": args.delay_ms,
                            "conversation_id": f"{run_id}-{index}"})
    try:
        status = await stream_events(args.port, request, on_event, nominal + 60, gauge=state)
        if status != 200:
            state.fail(f"HTTP {status}")
        elif end is None:
            state.fail(f"no end event ({len(chunks)}/{args.words} chunks)")
        elif end.get("error"):
            state.fail("end event with error")
        elif "".join(chunks) != message or end.get("full_response") != message or len(chunks) != args.words:
            state.fail("chunks missing or out of order")
        else:
            state.correct += 1
            state.first.append(first)
            state.past.append(time.monotonic() - started - nominal)
    except (asyncio.TimeoutError, TimeoutError):
        state.fail("timeout")
    except (OSError, ValueError) as error:
        state.fail(f"{type(error).__name__}: {str(error)[:60]}")


async def warm_up(args, run_id):
    state = State()
    fast = argparse.Namespace(**{**vars(args), "delay_ms": 0})
    await asyncio.gather(*(one_stream(i, fast, run_id + "-warm", state) for i in range(200)))
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
    started = time.monotonic()
    tasks, lag = await open_at_rate(args.streams, args.rate, lambda i: one_stream(i, args, run_id, state))
    open_seconds = time.monotonic() - started
    await asyncio.sleep(0.5)  # let the last streams' first events arrive
    open_at_sample = state.open_now
    rss_with = rss_kib(pid)
    fds, threads = fd_count(pid), thread_count(pid)
    log(f"  {len(tasks):,} streams started in {open_seconds:.1f} s ({args.rate:,.0f}/s evenly spaced; "
        f"this client fell behind its schedule by at most {lag * 1000:.0f} ms); {open_at_sample:,} open at once when sampled")
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
    first_p99 = percentile(state.first, 99) if state.first else None
    past_p99 = percentile(state.past, 99) if state.past else None
    log(f"  first event after connect: {spread(state.first)}; duration past nominal: {spread(state.past)}")
    log(f"  goal 4: first event p99 <= 0.25 s -> {met(first_p99, '<=', 0.25)}; "
        f"past nominal p99 <= 0.25 s -> {met(past_p99, '<=', 0.25)}")
    record(f"echo burst: first event p99 ({args.streams:,} at {args.rate:,.0f}/s)",
           "-" if first_p99 is None else f"{first_p99:.3f} s", f"max {max(state.first):.3f} s" if state.first else "-",
           "-", "<= 0.25 s", met(first_p99, "<=", 0.25))
    record("echo burst: duration past nominal p99", "-" if past_p99 is None else f"{past_p99:.3f} s",
           f"max {max(state.past):.3f} s" if state.past else "-", "-", "<= 0.25 s", met(past_p99, "<=", 0.25))
    all_ok = state.correct == args.streams
    record("concurrent slow streams correct", f"{state.correct:,}/{args.streams:,}", "-", "-", GOAL_STREAMS,
           "yes" if all_ok else "no")
    if open_at_sample <= 0:
        failed("memory per open stream", "no stream was open when RSS was sampled", f"<= {GOAL_KIB} KiB")
        return
    per_stream = (rss_with - rss_before) / open_at_sample
    log(f"  memory per open stream: ({rss_with:,} - {rss_before:,}) KiB / {open_at_sample:,} = "
        f"{per_stream:.1f} KiB (goal <= {GOAL_KIB} KiB) -> {met(per_stream, '<=', GOAL_KIB)}")
    record(f"runnel CPU holding {open_during:,} streams at 1 chunk/s", f"{busy:.0f}% of a core", "-", "-", "-", "-")
    record("memory per open stream", f"{per_stream:.1f} KiB", f"{open_at_sample:,} open", "-", f"<= {GOAL_KIB} KiB",
           met(per_stream, "<=", GOAL_KIB))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=30)
    parser.add_argument("--delay-ms", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2000, help="streams opened per second, evenly spaced")
    args = parser.parse_args()
    main_guard(FIGURE, lambda: run(args), GOAL_STREAMS)


if __name__ == "__main__":
    main()
