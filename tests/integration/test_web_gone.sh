#!/usr/bin/env bash
# test_web_gone: a browser that goes away does not take the server with it.
# A live feed (SSE) whose browser closed the connection (as when a tab or
# the browser is closed) is written to at the next keepalives: the first
# write is answered by a reset, the second fails with EPIPE — which must be
# an error inside the HTTP layer, not SIGPIPE, which ends the process
# (fengqiaod died this way when the page's first real browser closed). A
# second stream, kept open, shows that the keepalives were sent; the server
# must still be there and answer.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"

db_create
setup_world
web_account gone.op operator xihu 值班员
PW="pw-gone.op-1234"

HPORT=$(free_port)
server_start --http "127.0.0.1:$HPORT"
COOKIE=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
    --data "{\"account\":\"gone.op\",\"password\":\"$PW\"}" "http://127.0.0.1:$HPORT/api/v1/login" |
    grep -i '^set-cookie: *fq_session=' | sed -E 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
[ -n "$COOKIE" ] || fail "no session cookie from login"

# Stream A: opened, then closed as a browser closes it. Stream B: read until
# two keepalives came, so the server has written to A's closed connection
# twice (one timer writes the keepalive to every stream). Bounded by 120 s
# (the keepalive is every 15 s).
python3 - "$HPORT" "$COOKIE" <<'PY' || fail "the live feed streams: see above"
import socket, sys, time
port, cookie = int(sys.argv[1]), sys.argv[2]
def stream():
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
              f"Accept: text/event-stream\r\n\r\n".encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the server closed a live feed at once")
        got += chunk
    status = got.split(b"\r\n", 1)[0]
    if b" 200 " not in status:
        sys.exit(f"the live feed answered {status!r}")
    return s, got
a, _ = stream()
a.close()
b, got = stream()
deadline = time.monotonic() + 120
while got.count(b": keepalive") < 2:
    if time.monotonic() > deadline:
        sys.exit("no two keepalives within 120 s")
    chunk = b.recv(4096)
    if not chunk:
        sys.exit("the server closed the second stream (did it die?)")
    got += chunk
b.close()
PY
assert_server_alive "after writing to a closed live feed"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "http://127.0.0.1:$HPORT/api/v1/session")
assert_eq 200 "$code" "the server still answers after writing to a closed stream"
log "ok: a reset live feed was written to and the server lives on"
