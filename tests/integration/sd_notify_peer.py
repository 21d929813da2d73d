#!/usr/bin/env python3
"""Plays systemd's side of a Type=notify service for one fengqiaod.

Binds a unix datagram socket (NOTIFY_SOCKET), starts the server with it and
WATCHDOG_USEC set, and checks what arrives (sd_notify(3)):
  - READY=1 once, when the ready file already exists;
  - WATCHDOG=1 again and again while it runs;
  - STOPPING=1 after SIGTERM, then exit status 0.
Timeouts are ceilings for a busy machine, never measurements.

usage: sd_notify_peer.py SOCKET READY_FILE WATCHDOG_USEC -- fengqiaod ARGS...
"""
import os
import signal
import socket
import subprocess
import sys
import time


def main():
    sock_path, ready_file, watchdog_usec = sys.argv[1:4]
    assert sys.argv[4] == "--"
    command = sys.argv[5:]
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC=watchdog_usec)
    env.pop("WATCHDOG_PID", None)
    server = subprocess.Popen(command, env=env)
    messages = []  # (seconds since start, state lines)
    start = time.monotonic()

    def receive(until, what):
        while time.monotonic() < until:
            # What it sent before it exited is still queued: read that first.
            exited = server.poll() is not None
            sock.settimeout(0 if exited else 0.2)
            try:
                data = sock.recv(4096)
            except (socket.timeout, BlockingIOError):
                if exited:
                    sys.exit(f"FAIL: fengqiaod exited with {server.returncode} waiting for {what}")
                continue
            lines = data.decode().split("\n")
            messages.append((time.monotonic() - start, lines))
            print(f"sd_notify +{messages[-1][0]:.2f}s: {' | '.join(lines)}", flush=True)
            return lines
        return None

    def wait_for(state, seconds, what):
        until = time.monotonic() + seconds
        while True:
            lines = receive(until, what)
            if lines is None:
                sys.exit(f"FAIL: no {state} within {seconds} s ({what})")
            if state in lines:
                return lines

    try:
        wait_for("READY=1", 60, "the server becoming ready")
        if not (os.path.exists(ready_file) and os.path.getsize(ready_file) > 0):
            sys.exit("FAIL: READY=1 arrived before the ready file was written")
        statuses = [l for _, ls in messages for l in ls if l.startswith("STATUS=")]
        if not any(s.startswith("STATUS=serving") for s in statuses):
            sys.exit(f"FAIL: READY=1 without a STATUS=serving line: {statuses}")
        pings_before = sum(ls.count("WATCHDOG=1") for _, ls in messages)
        for i in range(3):
            wait_for("WATCHDOG=1", 30, f"watchdog ping {i + 1} after READY")
        pings = sum(ls.count("WATCHDOG=1") for _, ls in messages)
        print(f"watchdog pings: {pings_before} before READY, {pings} in all", flush=True)
        if sum(ls.count("READY=1") for _, ls in messages) != 1:
            sys.exit("FAIL: READY=1 sent more than once")
        server.send_signal(signal.SIGTERM)
        wait_for("STOPPING=1", 20, "stopping after SIGTERM")
        rc = server.wait(timeout=30)
        if rc != 0:
            sys.exit(f"FAIL: fengqiaod exited with {rc} after SIGTERM")
        times = [t for t, ls in messages if "WATCHDOG=1" in ls]
        gaps = [b - a for a, b in zip(times, times[1:])]
        print(f"watchdog: {len(times)} pings, largest gap {max(gaps):.2f} s "
              f"(WatchdogSec {int(watchdog_usec) / 1e6:.1f} s)", flush=True)
        print("sd_notify_peer: OK", flush=True)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        sock.close()
        os.unlink(sock_path)


if __name__ == "__main__":
    main()
