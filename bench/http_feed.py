#!/usr/bin/env python3
"""http_feed: the live-feed half of bench/run http — N browsers' streams.

    http_feed.py --host H --port P --cookie 'fq_session=…' --streams N
                 --ready-file F --stop-file S

Opens N streams `GET /api/v1/events` (Server-Sent Events) at once, each on
its own connection with the signed-in cookie, in one asyncio loop. Writes
the ready file when every stream has been answered 200 text/event-stream and
has read the server's first comment. Then, for every `item` event whose title
is "bench <CLOCK_REALTIME µs>" (the benchmark's reporter writes its send time
there), one latency sample: the time the event was read minus that. Stops
when the stop file appears (polled every 100 ms) and prints one JSON line:
{"streams":N,"open":…,"samples":…,"reports_seen":…,"p50_ms":…,"p99_ms":…,
 "max_ms":…,"min_deliveries_per_report":…,"failures":…}

The HTTP/1.1 request and the chunked decoding are written here (a load
client, not the server): the standard library has no asynchronous HTTP
client, and the benchmark needs N streams in one loop, not N threads.
"""
import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time

TITLE = re.compile(rb'"title":\s*"bench (\d+)"')


def now_us():
    return time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000


class Stream:
    def __init__(self):
        self.ready = False
        self.failed = ""
        self.writer = None
        self.samples = []  # (sent_us, latency_us)


async def read_events(reader, chunked, on_bytes):
    """Hands the body's bytes to on_bytes as they come, undoing chunking."""
    if not chunked:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            on_bytes(data)
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        on_bytes(await reader.readexactly(size))
        await reader.readexactly(2)  # the CRLF after the chunk


async def open_stream(args, st):
    """Connects and asks for the feed: (reader, chunked), or None with
    st.failed set."""
    try:
        reader, writer = await asyncio.open_connection(args.host, args.port, limit=1 << 20)
    except OSError as e:
        st.failed = "connect: %s" % e
        return None
    writer.write(
        ("GET /api/v1/events HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s\r\n"
         "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
         % (args.host, args.port, args.cookie)).encode())
    await writer.drain()
    status = await reader.readline()
    if not status.startswith(b"HTTP/1.1 200"):
        st.failed = "status: %r" % status.strip()
        writer.close()
        return None
    chunked = False
    content_type = b""
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"content-type":
            content_type = value.strip().lower()
    if not content_type.startswith(b"text/event-stream"):
        st.failed = "content-type: %r" % content_type
        writer.close()
        return None
    st.writer = writer  # kept open while the stream runs
    return reader, chunked


async def one_stream(args, st, ready_count, all_ready, opening):
    # At most 32 streams are being opened at once: browsers do not all
    # connect in the same millisecond, and a burst of N SYNs would measure
    # the listen backlog, not the feed.
    async with opening:
        opened = await open_stream(args, st)
    if opened is None:
        return
    reader, chunked = opened
    pending = bytearray()

    def on_bytes(data):
        t = now_us()
        pending.extend(data)
        # Whole events only (an event ends with an empty line).
        end = pending.rfind(b"\n\n")
        if end < 0:
            return
        block = bytes(pending[:end])
        del pending[: end + 2]
        if not st.ready:
            st.ready = True
            ready_count[0] += 1
            if ready_count[0] == args.streams:
                all_ready.set()
        for m in TITLE.finditer(block):
            sent = int(m.group(1))
            st.samples.append((sent, t - sent))

    try:
        await read_events(reader, chunked, on_bytes)
    except (OSError, asyncio.IncompleteReadError, ValueError) as e:
        st.failed = "read: %s" % e
        return
    if not os.path.exists(args.stop_file):
        st.failed = "the server ended the stream"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cookie", required=True)
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--stop-file", required=True)
    args = p.parse_args()

    streams = [Stream() for _ in range(args.streams)]
    ready_count = [0]
    all_ready = asyncio.Event()
    opening = asyncio.Semaphore(32)
    tasks = [asyncio.create_task(one_stream(args, st, ready_count, all_ready, opening))
             for st in streams]

    async def wait_ready():
        await all_ready.wait()
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % args.streams)

    ready_task = asyncio.create_task(wait_ready())
    while not os.path.exists(args.stop_file):
        await asyncio.sleep(0.1)
    # The streams that ended early are failures already; end the rest.
    ready_task.cancel()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    lat = sorted(l for st in streams for _, l in st.samples)
    per_report = {}
    for st in streams:
        for sent, _ in st.samples:
            per_report[sent] = per_report.get(sent, 0) + 1
    failures = [st.failed for st in streams if st.failed]
    for f in failures[:5]:
        print("http_feed: %s" % f, file=sys.stderr)

    def pct(q):
        return lat[min(len(lat) - 1, int((len(lat) - 1) * q))] / 1000 if lat else 0.0

    print(json.dumps({
        "streams": args.streams,
        "open": sum(1 for st in streams if st.ready and not st.failed),
        "samples": len(lat),
        "reports_seen": len(per_report),
        "p50_ms": round(pct(0.5), 3),
        "p99_ms": round(pct(0.99), 3),
        "max_ms": round(pct(1.0), 3),
        "mean_ms": round(statistics.mean(lat) / 1000, 3) if lat else 0.0,
        "min_deliveries_per_report": min(per_report.values()) if per_report else 0,
        "failures": len(failures),
    }))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
