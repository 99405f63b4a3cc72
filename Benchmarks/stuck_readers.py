"""Clients that stop reading mid-reply: memory stays bounded by the replies' logs, every
conversation is free again, and the server drops the stuck readers after its write timeout.

usage: stuck_readers.py --port P --pid PID [--clients 1000] [--words 10000] [--write-timeout 5]

Each client opens a connection with a small receive buffer, posts an echo message of
`--words` words (its reply is far larger than the socket buffers can hold), reads the
response head and then nothing. Runnel's VmRSS is read before and with every client
stuck: (RSS with - RSS before) / clients = KiB per stuck client, compared with the bytes
of one whole reply (its log). Then each conversation must take a new message at once (the
reply ended; only its reader is stuck), and after the write timeout every stuck
connection must have been closed by the server.
"""

import argparse
import asyncio
import json
import os
import socket
import time

from benchlib import failed, fd_count, log, main_guard, met, raise_nofile, record, rss_kib
from rawhttp import post_message, read_body, read_head

FIGURE = "stuck readers"
GOAL = "bounded; all free; all dropped"


def message(words):
    return " ".join(f"w{i}" for i in range(words))


async def whole_reply_bytes(args):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 24)
    writer.write(post_message({"message": message(args.words), "backend": "echo", "conversation_id": "stuck-ref"}))
    status, headers = await read_head(reader)
    body = await read_body(reader, headers)
    writer.close()
    return status, len(body)


def stuck_client(index, args):
    """Posts the message and never reads a byte (not even the response head)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", args.port))
    sock.sendall(post_message({"message": message(args.words), "backend": "echo", "conversation_id": f"stuck-{index}"}))
    return sock


async def reply_in_flight(args, conversation):
    """The id of the conversation's reply in flight (None when it has none)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    writer.write(f"GET /api/conversations/{conversation} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status, headers = await read_head(reader)
    body = await read_body(reader, headers)
    writer.close()
    if status != 200:
        return conversation  # not there yet: the server has not read its request
    return json.loads(body).get("reply") and conversation


async def post_once(args, conversation):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 24)
    writer.write(post_message({"message": "again", "backend": "echo", "conversation_id": conversation}))
    status, headers = await read_head(reader)
    await read_body(reader, headers)
    writer.close()
    return status


async def run_async(args):
    pid = args.pid
    status, reply_bytes = await whole_reply_bytes(args)
    if status != 200:
        return failed(FIGURE, f"reference reply answered {status}", GOAL)
    await asyncio.sleep(0.5)
    rss_before, fds_before = rss_kib(pid), fd_count(pid)
    log(f"  one whole reply of {args.words:,} words: {reply_bytes:,} bytes of events (its log)")
    log(f"  runnel before: RSS {rss_before:,} KiB, {fds_before} fds")
    started = time.monotonic()
    clients = [stuck_client(i, args) for i in range(args.clients)]
    # The replies run to their end on their own; only their readers are stuck on full sockets.
    waited_for_replies = time.monotonic()
    sample = [f"stuck-{i}" for i in range(0, args.clients, 10)]
    while time.monotonic() - waited_for_replies < 120:
        busy = [c for c in await asyncio.gather(*(reply_in_flight(args, c) for c in sample)) if c]
        if not busy:
            break
        await asyncio.sleep(0.5)
    log(f"  every sampled reply ended {time.monotonic() - waited_for_replies:.1f} s after the last post")
    rss_stuck = rss_kib(pid)
    per_client = (rss_stuck - rss_before) / args.clients
    log(f"  {args.clients:,} stuck clients posted in {time.monotonic() - started:.1f} s; "
        f"runnel RSS {rss_stuck:,} KiB, {fd_count(pid)} fds")
    log(f"  memory per stuck client: {per_client:.1f} KiB; one whole log: {reply_bytes / 1024:.1f} KiB "
        f"(ratio {per_client * 1024 / reply_bytes:.2f})")
    statuses = await asyncio.gather(*(post_once(args, f"stuck-{i}") for i in range(0, args.clients, 10)))
    free = statuses.count(200)
    log(f"  conversations taking a new message while their readers are stuck: {free} of {len(statuses)} sampled")
    waited = time.monotonic()
    curve = []
    while fd_count(pid) > fds_before + 5 and time.monotonic() - waited < args.write_timeout + 30:
        await asyncio.sleep(0.25)
        curve.append(fd_count(pid))
    log(f"  open fds every 0.25 s while waiting: {curve[::4]}")
    dropped_after = time.monotonic() - waited
    fds_after = fd_count(pid)
    log(f"  stuck connections closed by the server {dropped_after:.1f} s later "
        f"(write timeout {args.write_timeout} s): {fds_after} fds left (before: {fds_before})")
    for sock in clients:
        sock.close()
    await asyncio.sleep(1.0)
    rss_after = rss_kib(pid)
    log(f"  runnel RSS once they were dropped: {rss_after:,} KiB ({(rss_after - rss_before) / args.clients:.1f} KiB per client still held: "
        f"the conversations' text, the finished replies kept for resuming, allocator slack)")
    all_free = free == len(statuses)
    all_dropped = fds_after <= fds_before + 5
    record("stuck readers: RSS per stuck client (its log)", f"{per_client:.1f} KiB",
           f"log {reply_bytes / 1024:.1f} KiB", f"{per_client * 1024 / reply_bytes:.2f}x", "bounded", "-")
    record("stuck readers: conversations free / connections dropped", f"{free}/{len(statuses)}, {'all' if all_dropped else 'not all'} dropped",
           "-", "-", "all, all", "yes" if all_free and all_dropped else "no")
    return all_free and all_dropped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--write-timeout", type=float, default=5)
    args = parser.parse_args()
    raise_nofile()
    main_guard(FIGURE, lambda: asyncio.run(run_async(args)), GOAL)


if __name__ == "__main__":
    main()
