"""Proxied concurrency: N streams through runnel's `openai` backend to a slow upstream,
beside N streams straight to that upstream (bench tooling only).

usage: proxied_streams.py --port RUNNEL --pid PID --upstream-port P [--streams 9000] [--chunks 12]
                          [--interval 1] [--rate 2000] [--litellm-port L --litellm-pid PID]

Both runs open their streams at the same fixed rate (evenly spaced), so they meet the
same arrival pattern. Each stream must deliver all its chunks in order and end cleanly.
Reports, per run: first-chunk delay measured from that stream's own connect, and how far
its duration went past the nominal (chunks - 1) x interval (p50/p99/max), errors; for
runnel: RSS per open stream, threads before and with the streams, fds. With
--litellm-port, a third run through LiteLLM's proxy (same upstream, same rate).
Goal ([scale] #10): first chunk p99 at most 0.25 s after the direct client's, duration
p99 within 0.25 s of the direct client's, no error, <= 32 KiB per stream, threads flat.
"""

import argparse
import asyncio
import json
import time

from benchlib import (fd_count, log, main_guard, met, open_at_rate, percentile, raise_nofile, record, rss_kib,
                      spread, thread_count)
from rawhttp import post_message, stream_events

MARGIN = 0.25  # seconds the proxied stream may trail the direct one (goal 1)


class Stats:
    def __init__(self):
        self.first = []
        self.past = []  # duration - nominal
        self.errors = {}
        self.open_now = 0
        self.opened = 0

    def fail(self, why):
        self.errors[why] = self.errors.get(why, 0) + 1


def request(kind, index, args):
    if kind == "runnel":
        return post_message({"message": f"stream {index}", "backend": "openai", "conversation_id": f"p{index}"})
    body = json.dumps({"model": "slow-1", "stream": True, "messages": [{"role": "user", "content": f"stream {index}"}]}).encode()
    auth = b"Authorization: Bearer sk-bench\r\n" if kind == "litellm" else b""
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s"
            b"Content-Length: %d\r\n\r\n%s" % (auth, len(body), body))


async def one(index, args, kind, port, stats):
    """One stream; OpenAI chunks for the direct and LiteLLM runs, runnel events otherwise."""
    expected = "".join(f"w{i} " for i in range(args.chunks))
    nominal = (args.chunks - 1) * args.interval
    pieces, first, ended = [], None, False
    started = time.monotonic()  # the stream's own connect: accept delays count

    def on_event(data):
        nonlocal first, ended
        if kind != "runnel":
            if data.strip() == b"[DONE]":
                ended = True
                return True
            choices = json.loads(data).get("choices") or [{}]
            piece = (choices[0].get("delta") or {}).get("content") or ""
        else:
            event = json.loads(data)
            if isinstance(event.get("error"), dict):
                stats.fail(f"error event {event['error'].get('code')}")
            if event.get("end"):
                ended = not event.get("error")
                return True
            piece = event.get("chunk", "")
        if piece and first is None:
            first = time.monotonic() - started
        pieces.append(piece)
        return False

    try:
        status = await stream_events(port, request(kind, index, args), on_event, nominal + 60, gauge=stats)
        if status != 200:
            stats.fail(f"HTTP {status}")
        elif not ended or "".join(pieces) != expected:
            stats.fail("incomplete or out of order")
        else:
            stats.first.append(first)
            stats.past.append(time.monotonic() - started - nominal)
    except (asyncio.TimeoutError, TimeoutError):
        stats.fail("timeout")
    except (OSError, ValueError) as error:
        stats.fail(type(error).__name__)


async def run_one(args, kind, port, pid):
    stats = Stats()
    rss_before = rss_kib(pid) if pid else None
    early = {}

    def start(index):
        # Threads once a few streams are open: the upstream client's loops start with the first.
        if pid and index == args.streams // 20:
            early["threads"] = thread_count(pid)
        return one(index, args, kind, port, stats)

    tasks, lag = await open_at_rate(args.streams, args.rate, start)
    # Sample the server while the streams are open (all have started by now).
    for _ in range(50):
        if stats.open_now + sum(stats.errors.values()) >= args.streams * 0.99:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    sample = (stats.open_now, rss_kib(pid), thread_count(pid), fd_count(pid)) if pid else None
    await asyncio.gather(*tasks)
    return stats, lag, (rss_before, early.get("threads")), sample


def summary(name, stats, streams, lag):
    ok = len(stats.first)
    errors = streams - ok
    log(f"  {name}: {ok:,}/{streams:,} complete, errors {errors}"
        + (f" ({', '.join(f'{k} x{v}' for k, v in stats.errors.items())})" if stats.errors else "")
        + f"; opening fell behind its schedule by at most {lag * 1000:.0f} ms")
    log(f"    first chunk after connect: {spread(stats.first)}; duration past nominal: {spread(stats.past)}")
    p99 = lambda values: percentile(values, 99) if values else None
    return ok, p99(stats.first), p99(stats.past), errors


def run(args):
    raise_nofile(65536)
    nominal = (args.chunks - 1) * args.interval
    log(f"  {args.streams:,} streams of {args.chunks} chunks at 1 per {args.interval:g} s (nominal {nominal:g} s), "
        f"opened at {args.rate:,.0f}/s evenly spaced; N = {args.streams:,}: a proxied stream holds 2 fds in runnel, "
        f"and 2 x N + overhead must fit its 20,000")
    direct, d_lag, _, _ = asyncio.run(run_one(args, "direct", args.upstream_port, None))
    d_ok, d_first, d_past, d_err = summary("direct to the upstream ", direct, args.streams, d_lag)
    proxied, p_lag, (rss_before, threads_before), (open_now, rss_with, threads, fds) = \
        asyncio.run(run_one(args, "runnel", args.port, args.pid))
    p_ok, p_first, p_past, p_err = summary("through runnel (openai)", proxied, args.streams, p_lag)
    per_stream = (rss_with - rss_before) / open_now if open_now else None
    if per_stream is not None:
        log(f"  runnel while {open_now:,} streams were open: RSS {rss_with:,} KiB (before {rss_before:,} KiB) = "
            f"{per_stream:.1f} KiB per stream; threads {threads_before} with {args.streams // 20:,} open, {threads} with all; {fds:,} fds")

    first_ok = p_first is not None and d_first is not None and p_first <= d_first + MARGIN
    past_ok = p_past is not None and d_past is not None and p_past <= d_past + MARGIN
    log(f"  goal 1: first chunk p99 {fmt_s(p_first)} vs direct {fmt_s(d_first)} (+{MARGIN:g} s allowed) -> {yes(first_ok)}; "
        f"past nominal p99 {fmt_s(p_past)} vs direct {fmt_s(d_past)} -> {yes(past_ok)}; errors {p_err} -> {yes(p_err == 0)}; "
        f"{fmt_kib(per_stream)} per stream (<= 32) -> {met(per_stream, '<=', 32)}; threads {threads_before} -> {threads} "
        f"-> {yes(threads <= threads_before)}")
    record(f"proxied streams complete ({args.streams:,} at {args.rate:,.0f}/s)", f"{p_ok:,}/{args.streams:,}",
           f"direct {d_ok:,}", "-", "all", yes(p_err == 0))
    record("proxied first chunk p99 (from connect)", fmt_s(p_first), f"direct {fmt_s(d_first)}", "-",
           f"<= direct + {MARGIN:g} s", yes(first_ok))
    record("proxied duration past nominal p99", fmt_s(p_past), f"direct {fmt_s(d_past)}", "-",
           f"<= direct + {MARGIN:g} s", yes(past_ok))
    if per_stream is not None:
        record("proxied: runnel RSS per stream, threads", f"{per_stream:.1f} KiB, {threads} threads",
               f"{open_now:,} open; {threads_before} threads with {args.streams // 20:,}", "-", "<= 32 KiB, flat",
               yes(per_stream <= 32 and threads <= threads_before))

    if args.litellm_port:
        via, l_lag, (l_before, l_threads0), (l_open, l_rss, l_threads, _) = \
            asyncio.run(run_one(args, "litellm", args.litellm_port, args.litellm_pid))
        l_ok, l_first, l_past, l_err = summary("through LiteLLM proxy   ", via, args.streams, l_lag)
        l_per = (l_rss - l_before) / l_open if l_open else None
        log(f"  LiteLLM while {l_open:,} streams were open: RSS {l_rss:,} KiB (before {l_before:,} KiB)"
            + (f" = {l_per:.1f} KiB per stream" if l_per is not None else "") + f"; threads {l_threads0} with {args.streams // 20:,} open, {l_threads} with all")
        record(f"LiteLLM proxy: streams complete ({args.streams:,} at {args.rate:,.0f}/s)", f"{l_ok:,}/{args.streams:,}",
               f"runnel {p_ok:,}", "-", "runnel holds them all", yes(p_ok == args.streams))
        record("LiteLLM proxy: first chunk p99 / past nominal p99", f"{fmt_s(l_first)} / {fmt_s(l_past)}",
               f"runnel {fmt_s(p_first)} / {fmt_s(p_past)}", "-", "-", "-")


def fmt_s(value):
    return "-" if value is None else f"{value:.3f} s"


def fmt_kib(value):
    return "-" if value is None else f"{value:.1f} KiB"


def yes(condition):
    return "yes" if condition else "no"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--streams", type=int, default=9000)
    parser.add_argument("--chunks", type=int, default=12)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=2000, help="streams opened per second, evenly spaced")
    parser.add_argument("--litellm-port", type=int, help="also measure LiteLLM's proxy on this port")
    parser.add_argument("--litellm-pid", type=int)
    args = parser.parse_args()
    main_guard("proxied concurrency", lambda: run(args), "all")


if __name__ == "__main__":
    main()
