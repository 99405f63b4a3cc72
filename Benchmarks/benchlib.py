"""Shared helpers of the Runnel benchmark clients (standard library only).

Every client prints a human-readable report and appends its figures to the
results file named by $BENCH_RESULTS (one tab-separated row per figure:
figure, value, reference, ratio, goal, met), which run.sh turns into the summary.
"""

import math
import os
import socket
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*parts):
    print(*parts, flush=True)


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def rss_kib(pid):
    return proc_status(pid, "VmRSS")


def hwm_kib(pid):
    return proc_status(pid, "VmHWM")


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_count(pid):
    return proc_status(pid, "Threads")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_nofile(limit=65536):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(limit, hard) if hard != resource.RLIM_INFINITY else limit
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthz(port, timeout=2.0):
    """One GET /healthz on a fresh connection; True when it answers 200 ok."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            part = conn.recv(4096)
            if not part:
                break
            data += part
    return data.startswith(b"HTTP/1.1 200") and data.rstrip().endswith(b"ok")


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def met(value, op, target):
    if value is None:
        return "FAILED"
    ok = value <= target if op == "<=" else value >= target
    return "yes" if ok else "no"


def record(figure, value, reference="-", ratio="-", goal="-", verdict="-"):
    """Append one summary row for run.sh (value/reference are display strings)."""
    path = os.environ.get("BENCH_RESULTS")
    row = "\t".join(str(x).replace("\t", " ") for x in (figure, value, reference, ratio, goal, verdict))
    if path:
        with open(path, "a") as results:
            results.write(row + "\n")


def failed(figure, reason, goal="-"):
    log(f"  FAILED: {reason}")
    record(figure, "FAILED: " + reason, "-", "-", goal, "FAILED")


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def expired(self):
        return self.left() <= 0


def main_guard(figure, body, goal="-"):
    """Run body(); a crash becomes a FAILED row instead of a traceback-only exit."""
    try:
        body()
    except KeyboardInterrupt:
        log("  interrupted")
        sys.exit(130)
    except Exception as error:  # report, do not abort the suite
        failed(figure, f"{type(error).__name__}: {error}", goal)
        sys.exit(1)


async def open_at_rate(count, rate, start):
    """Start `start(i)` as a task for i in 0..count-1, evenly spaced at `rate` per second
    (the same arrival pattern for every server measured). Returns (tasks, lag): lag is how
    far behind its schedule the latest start was, in seconds (this client keeping up)."""
    import asyncio

    loop = asyncio.get_running_loop()
    began = loop.time()
    tasks, lag = [], 0.0
    for index in range(count):
        due = began + index / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        lag = max(lag, loop.time() - due)
        tasks.append(asyncio.create_task(start(index)))
    return tasks, lag


def spread(values_s):
    """'p50 / p99 / max' of a list of seconds, in ms."""
    if not values_s:
        return "-"
    ms = [v * 1000 for v in values_s]
    shown = lambda v: f"{v:.1f}" if v < 100 else f"{v:.0f}"  # a tenth of a ms where it matters
    return f"p50 {shown(percentile(ms, 50))} / p99 {shown(percentile(ms, 99))} / max {shown(max(ms))} ms"
