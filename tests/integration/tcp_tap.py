#!/usr/bin/env python3
"""tcp_tap: a TCP relay that records every byte it carries, both directions,
to one file: what a wiretap on that link would see. The TLS test puts it on
the TLS leg and on a plain leg (a packet capture needs CAP_NET_RAW and a
capture tool; the relay sees the same bytes and needs neither).

usage: tcp_tap.py LISTEN_PORT TARGET_PORT FILE   (both on 127.0.0.1)
Writes LISTEN_PORT to FILE.ready once listening."""
import socket
import sys
import threading

listen_port, target_port, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
out = open(path, "ab", buffering=0)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            with lock:
                out.write(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
with open(path + ".ready", "w") as f:
    f.write(f"{listen_port}\n")
while True:
    conn, _ = server.accept()
    serve(conn)
