"""Proxied concurrency: N streams through runnel's `openai` backend to a slow upstream,
beside N streams straight to that upstream (bench tooling only).

usage: proxied_streams.py --streamload BIN --port RUNNEL --pid PID --upstream-port P [--streams 9000]
                          [--chunks 12] [--interval 1] [--rate 2000] [--litellm-port L --litellm-pid PID]

The streams are opened and read by `streamload client` (Benchmarks/streamload.c, one epoll
loop in C): an asyncio client fell up to 0.25 s behind its own schedule at this load, so
its tails were the harness's, not the server's. This script runs it once per server and
reports. Every run opens its streams at the same fixed rate (evenly spaced), so each
server meets the same arrival pattern. Each stream must deliver all its chunks in order
and end cleanly. Reports, per run: first-chunk delay measured from that stream's own
connect, and how far its duration went past the nominal (chunks - 1) x interval
(p50/p99/max), errors; for runnel: RSS per open stream, threads before and with the
streams, fds. With --litellm-port, a third run through LiteLLM's proxy (same upstream,
same rate).
Goal ([scale] #10): first chunk p99 at most 0.25 s after the direct client's, duration
p99 within 0.25 s of the direct client's, no error, <= 32 KiB per stream, threads flat.
"""

import argparse
import subprocess

from benchlib import log, main_guard, met, percentile, record, spread

MARGIN = 0.25  # seconds the proxied stream may trail the direct one (goal 1)


class Stats:
    """One run of `streamload client`, parsed from its output lines."""

    def __init__(self, output):
        self.first, self.past, self.errors = [], [], {}
        self.lag, self.before, self.early_threads, self.sample = 0.0, None, None, None
        for line in output.splitlines():
            word, _, rest = line.partition(" ")
            if word == "ok":
                _, first, past = rest.split()
                self.first.append(float(first))
                self.past.append(float(past))
            elif word == "err":
                why = rest.split(" ", 1)[1]
                self.errors[why] = self.errors.get(why, 0) + 1
            elif word == "lag":
                self.lag = float(rest)
            elif word == "before":
                self.before = fields(rest)
            elif word == "early":
                self.early_threads = fields(rest)["threads"]
            elif word == "sample":
                self.sample = fields(rest)


def fields(text):
    return {key: int(value) for key, value in (pair.split("=") for pair in text.split())}


def run_one(args, kind, port, pid):
    command = [args.streamload, "client", "--kind", kind, "--port", str(port), "--streams", str(args.streams),
               "--rate", str(args.rate), "--chunks", str(args.chunks), "--interval", str(args.interval)]
    if pid:
        command += ["--pid", str(pid)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=(args.chunks - 1) * args.interval + 180)
    if done.returncode not in (0, 1) or "lag " not in done.stdout:
        raise RuntimeError(f"streamload client ({kind}) exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    return Stats(done.stdout)


def summary(name, stats, streams):
    ok = len(stats.first)
    errors = streams - ok
    log(f"  {name}: {ok:,}/{streams:,} complete, errors {errors}"
        + (f" ({', '.join(f'{k} x{v}' for k, v in stats.errors.items())})" if stats.errors else "")
        + f"; opening fell behind its schedule by at most {stats.lag * 1000:.1f} ms")
    log(f"    first chunk after connect: {spread(stats.first)}; duration past nominal: {spread(stats.past)}")
    p99 = lambda values: percentile(values, 99) if values else None
    return ok, p99(stats.first), p99(stats.past), errors


def run(args):
    nominal = (args.chunks - 1) * args.interval
    log(f"  {args.streams:,} streams of {args.chunks} chunks at 1 per {args.interval:g} s (nominal {nominal:g} s), "
        f"opened at {args.rate:,.0f}/s evenly spaced by streamload (C, epoll); N = {args.streams:,}: a proxied "
        f"stream holds 2 fds in runnel, and 2 x N + overhead must fit its 20,000")
    direct = run_one(args, "direct", args.upstream_port, None)
    d_ok, d_first, d_past, d_err = summary("direct to the upstream ", direct, args.streams)
    proxied = run_one(args, "runnel", args.port, args.pid)
    p_ok, p_first, p_past, p_err = summary("through runnel (openai)", proxied, args.streams)
    per_stream, threads_before, threads = server_sample("runnel", proxied, args.streams)

    first_ok = p_first is not None and d_first is not None and p_first <= d_first + MARGIN
    past_ok = p_past is not None and d_past is not None and p_past <= d_past + MARGIN
    flat = threads is not None and threads_before is not None and threads <= threads_before
    log(f"  goal 1: first chunk p99 {fmt_s(p_first)} vs direct {fmt_s(d_first)} (+{MARGIN:g} s allowed) -> {yes(first_ok)}; "
        f"past nominal p99 {fmt_s(p_past)} vs direct {fmt_s(d_past)} -> {yes(past_ok)}; errors {p_err} -> {yes(p_err == 0)}; "
        f"{fmt_kib(per_stream)} per stream (<= 32) -> {met(per_stream, '<=', 32)}; threads {threads_before} -> {threads} "
        f"-> {yes(flat)}")
    record(f"proxied streams complete ({args.streams:,} at {args.rate:,.0f}/s)", f"{p_ok:,}/{args.streams:,}",
           f"direct {d_ok:,}", "-", "all", yes(p_err == 0))
    record("proxied first chunk p99 (from connect)", fmt_s(p_first), f"direct {fmt_s(d_first)}", "-",
           f"<= direct + {MARGIN:g} s", yes(first_ok))
    record("proxied duration past nominal p99", fmt_s(p_past), f"direct {fmt_s(d_past)}", "-",
           f"<= direct + {MARGIN:g} s", yes(past_ok))
    if per_stream is not None:
        record("proxied: runnel RSS per stream, threads", f"{per_stream:.1f} KiB, {threads} threads",
               f"{proxied.sample['open']:,} open; {threads_before} threads with {args.streams // 20:,}", "-",
               "<= 32 KiB, flat", yes(per_stream <= 32 and flat))

    if args.litellm_port:
        via = run_one(args, "litellm", args.litellm_port, args.litellm_pid)
        l_ok, l_first, l_past, l_err = summary("through LiteLLM proxy   ", via, args.streams)
        server_sample("LiteLLM", via, args.streams)
        record(f"LiteLLM proxy: streams complete ({args.streams:,} at {args.rate:,.0f}/s)", f"{l_ok:,}/{args.streams:,}",
               f"runnel {p_ok:,}", "-", "runnel holds them all", yes(p_ok == args.streams))
        record("LiteLLM proxy: first chunk p99 / past nominal p99", f"{fmt_s(l_first)} / {fmt_s(l_past)}",
               f"runnel {fmt_s(p_first)} / {fmt_s(p_past)}", "-", "-", "-")


def server_sample(name, stats, streams):
    """Logs the server's RSS per open stream and threads; returns (KiB per stream, threads early, with all)."""
    sample, before = stats.sample, stats.before
    if not sample or not before or not sample["open"]:
        log(f"  {name}: no sample of the server while its streams were open")
        return None, stats.early_threads, None
    per_stream = (sample["rss"] - before["rss"]) / sample["open"]
    log(f"  {name} while {sample['open']:,} streams were open: RSS {sample['rss']:,} KiB (before {before['rss']:,} KiB) = "
        f"{per_stream:.1f} KiB per stream; threads {stats.early_threads} with {streams // 20:,} started, "
        f"{sample['threads']} with all; {sample['fds']:,} fds")
    return per_stream, stats.early_threads, sample["threads"]


def fmt_s(value):
    return "-" if value is None else f"{value:.3f} s"


def fmt_kib(value):
    return "-" if value is None else f"{value:.1f} KiB"


def yes(condition):
    return "yes" if condition else "no"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--streamload", required=True, help="the built Benchmarks/streamload.c")
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
