"""Startup to first response: exec → first successful GET /healthz, median of N runs.

usage: startup.py --binary BIN --root DIR [--runs 20] [--mode dev|embedded]

Each run picks a free port, spawns `taskset -c 0 BIN --port P --strict-port ...`
(taskset execs the binary: its cost, ~1 ms, is included), and polls in a tight loop
(connect, GET /healthz, read) until it answers 200 ok, deadline 5 s. Dev-mode servers
are then stopped with SIGTERM at once and the time to exit is reported too; a server
still running 3 s later counts as having ignored the signal (then SIGKILL). The others
are killed.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import time

from benchlib import free_port, log, main_guard, met, percentile, record

GOAL = "<= 50 ms"
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def first_response(port, deadline, process):
    """When /healthz first answers, polling without sleeping; None at the deadline or exit."""
    while time.perf_counter() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(REQUEST)
                data = b""
                while True:
                    part = conn.recv(4096)
                    if not part:
                        break
                    data += part
                if data.startswith(b"HTTP/1.1 200") and data.rstrip().endswith(b"ok"):
                    return time.perf_counter()
        except OSError:
            pass
    return None


def stop(process, graceful):
    """Stop the server; with graceful, by SIGTERM, returning the ms it took to exit."""
    if process.poll() is not None:
        return None
    if not graceful:
        process.kill()
        process.wait()
        return None
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(3)
        return (time.perf_counter() - started) * 1000
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def one_run(args, extra, graceful, exits):
    port = free_port()
    command = ["taskset", "-c", "0", args.binary, "--port", str(port), "--strict-port", "--quiet",
               "--backend", "echo", *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answered = None
    try:
        answered = first_response(port, started + 5, process)
    finally:
        exited = stop(process, graceful and answered is not None)
        if graceful:
            exits.append(exited)
    if answered is None:
        err = process.stderr.read().decode(errors="replace").strip()[:200]
        raise RuntimeError(f"no answer within 5 s or exited (status {process.returncode}; stderr: {err or '-'})")
    process.stderr.close()
    return (answered - started) * 1000


def run(args):
    modes = {"dev": ["--root", args.root], "dev, no reload": ["--root", args.root, "--no-reload"],
             "embedded": ["--embedded"]}
    goal_median = None
    exits = []
    for name, extra in modes.items():
        times = [one_run(args, extra, name == "dev", exits) for _ in range(args.runs)]
        median = statistics.median(times)
        log(f"  {name:15s} median {median:6.1f} ms, min {min(times):6.1f}, p90 {percentile(times, 90):6.1f}, "
            f"max {max(times):6.1f} ms ({args.runs} runs)")
        verdict = met(median, "<=", 50)
        record(f"startup → first response, {name} (median)", f"{median:.1f} ms", "-", "-", GOAL, verdict)
        if name == "dev":
            goal_median = median
    log(f"  goal: median {GOAL} -> {met(goal_median, '<=', 50)}")
    done = [e for e in exits if e is not None]
    ignored = len(exits) - len(done)
    if done:
        log(f"  SIGTERM sent right after the first response (dev runs): exit in median "
            f"{statistics.median(done):.0f} ms, max {max(done):.0f} ms")
        record("SIGTERM to exit (idle), median", f"{statistics.median(done):.0f} ms", "-", "-", "-", "-")
    if exits:
        log(f"  SIGTERM ignored (still running 3 s later, then killed): {ignored} of {len(exits)}")
        record("SIGTERM right after startup ignored", f"{ignored}/{len(exits)}", "-", "-", "0", met(ignored, "<=", 0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    main_guard("startup to first response", lambda: run(args), GOAL)


if __name__ == "__main__":
    main()
