#!/usr/bin/env bash
# integ_web_http: the web console's HTTP layer, accounts and sessions, with a
# real PostgreSQL, fengqiaod --http on a free port and curl.
#   - `fengqiao-admin user add|list|disable` (password from stdin, >= 10 chars)
#   - the static index and the vendor libraries, with the security headers
#   - login ok / wrong password / unknown account (the same 401), the cookie
#   - no session: 401; a command without X-CSRF-Token: 403
#   - the 6th wrong password in a minute: 429 even with the right one
#   - a session survives a restart; logout ends it; disabling ends it
#   - a body over 64 KiB: 413
#   - --http off loopback without TLS: refused; with a self-signed
#     certificate, HTTPS and HTTP/2 (ALPN), HSTS, the Secure cookie
#   - every attempt is a web_logins row
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

PW='correct horse battery'
# ---- accounts ----
printf '%s\n' "$PW" | admin user add wang.op --role operator --jurisdiction lingyin \
    --display-name 王明 2>/dev/null || fail "user add wang.op"
printf '%s\n' "$PW" | admin user add li.op --role viewer --jurisdiction xihu 2>/dev/null ||
    fail "user add li.op"
printf '%s\n' "$PW" | admin user add zhao.op --role supervisor --jurisdiction beishan 2>/dev/null ||
    fail "user add zhao.op"
if err=$(printf 'short\n' | admin user add short.pw --role viewer --jurisdiction xihu 2>&1); then
    fail "user add with a 5-character password succeeded"
fi
assert_match 'at least 10 characters' "$err" "a short password is refused with the rule"
assert_eq 0 "$(q "SELECT count(*) FROM nodes WHERE id = 'p.short.pw'")" "no node for a refused user"
assert_eq "console|lingyin|t" "$(q "SELECT role, jurisdiction, revoked_at IS NULL FROM nodes WHERE id = 'p.wang.op'")" \
    "user add makes the console node p.NAME"
assert_match '^\$argon2id\$' "$(q "SELECT password_hash FROM web_accounts WHERE account = 'wang.op'")" \
    "the password is stored as Argon2id"
listing=$(admin user list)
assert_match 'wang\.op +王明 +operator +lingyin 灵隐街道' "$listing" "user list shows the account"

# ---- the web root: the build's copy and an index ----
mkdir -p "$WORK/web"
cp -r "$(dirname "$FQ_SERVERD")/../web/." "$WORK/web/"
[ -f "$WORK/web/index.html" ] || printf '<!doctype html><title>风桥</title>\n' >"$WORK/web/index.html"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
server_start --http "127.0.0.1:$PORT" --web-root "$WORK/web"

# curl_api METHOD PATH [curl args...]: prints "STATUS BODY"; headers in $WORK/h.
curl_api() {
    local method=$1 path=$2
    shift 2
    curl -sS -o "$WORK/body" -D "$WORK/h" -w '%{http_code}' -X "$method" "$@" "$BASE$path" >"$WORK/code"
    printf '%s %s' "$(cat "$WORK/code")" "$(cat "$WORK/body")"
}
header() { grep -i "^$1:" "$WORK/h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
login_body() { printf '{"account":"%s","password":"%s"}' "$1" "$2"; }

# ---- static files and headers ----
out=$(curl_api GET /)
assert_match '^200 ' "$out" "the index is served at /"
assert_match "default-src 'self'" "$(header content-security-policy)" "CSP on the index"
assert_match "script-src 'self';" "$(header content-security-policy)" "no inline scripts"
assert_eq nosniff "$(header x-content-type-options)" "nosniff"
assert_eq DENY "$(header x-frame-options)" "X-Frame-Options"
assert_eq no-referrer "$(header referrer-policy)" "Referrer-Policy"
assert_eq fengqiao "$(header server)" "the Server header names no library version"
out=$(curl_api GET /vendor/leaflet/leaflet.js)
assert_match '^200 ' "$out" "Leaflet from the build's web root"
out=$(curl_api GET /vendor/chart.js/chart.min.js)
assert_match '^200 ' "$out" "Chart.js from the build's web root"

# ---- no session ----
out=$(curl_api GET /api/v1/session)
assert_match '^401 \{"error":\{"code":"unauthenticated"' "$out" "no session: 401"
assert_eq no-store "$(header cache-control)" "API answers are not cached"
out=$(curl_api GET /api/v1/board)
assert_match '^401 ' "$out" "an API read without a session: 401"
out=$(curl_api GET /api/v1/board -H 'Cookie: fq_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
assert_match '^401 ' "$out" "an unknown session token: 401"

# ---- login ----
out=$(curl_api POST /api/v1/login -d "$(login_body wang.op "$PW")")
assert_match '^200 ' "$out" "login with the right password"
assert_match '"display_name":"王明"' "$out" "login answers the person's name"
assert_match '"jurisdiction":\{"id":"lingyin","name":"灵隐街道"\}' "$out" "and the jurisdiction"
cookie=$(header set-cookie)
assert_match '^fq_session=[A-Za-z0-9_-]{43}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=43200$' \
    "$cookie" "the session cookie"
TOKEN=$(printf '%s' "$cookie" | sed 's/^fq_session=\([^;]*\);.*/\1/')
CSRF=$(printf '%s' "$out" | sed 's/^200 //' | jq -r .csrf)
[ ${#CSRF} -ge 32 ] || fail "no CSRF token in the login answer"
C=(-H "Cookie: fq_session=$TOKEN")

out=$(curl_api GET /api/v1/session "${C[@]}")
assert_match '^200 .*"account":"wang.op"' "$out" "the session is known"
out=$(curl_api GET /api/v1/board "${C[@]}")
[[ "$out" != 401* ]] || fail "a signed-in board read got 401: $out"
log "board with a session: ${out:0:80}"

# ---- the live feed: a stream whose browser goes away, one open at the stop ----
curl -sN -D "$WORK/sse1.h" "${C[@]}" "$BASE/api/v1/events" >"$WORK/sse1.out" &
sse1=$!
wait_match "$WORK/sse1.h" '^content-type: text/event-stream' 30 "the live feed answers"
kill "$sse1"; wait "$sse1" || true
curl -sN -D "$WORK/sse2.h" "${C[@]}" "$BASE/api/v1/events" >"$WORK/sse2.out" &
sse2=$!
BG_PIDS+=("$sse2")
wait_match "$WORK/sse2.h" '^HTTP/1.1 200' 30 "a second stream opens"
assert_server_alive "after a browser left its stream"

# wrong password and unknown account: the same answer
wrong=$(curl_api POST /api/v1/login -d "$(login_body wang.op 'not the password')")
unknown=$(curl_api POST /api/v1/login -d "$(login_body nobody.here 'not the password')")
assert_match '^401 ' "$wrong" "a wrong password: 401"
assert_eq "$wrong" "$unknown" "an unknown account gets the same answer as a wrong password"
out=$(curl_api POST /api/v1/login -d 'not json')
assert_match '^400 \{"error":\{"code":"invalid"' "$out" "a malformed login body: 400"

# ---- CSRF ----
out=$(curl_api POST /api/v1/logout "${C[@]}")
assert_match '^403 \{"error":\{"code":"csrf"' "$out" "a POST without X-CSRF-Token: 403"
out=$(curl_api GET /api/v1/session "${C[@]}" -H "x-csrf-token: $CSRF")
assert_match '^200 ' "$out" "headers are matched whatever their case"
out=$(curl_api POST /api/v1/incidents/1/commands "${C[@]}" -H 'X-CSRF-Token: wrongwrongwrongwrongwrongwrongwrong' -d '{}')
assert_match '^403 \{"error":\{"code":"csrf"' "$out" "a command with another token: 403"

# ---- a body over 64 KiB ----
head -c 70000 /dev/zero | tr '\0' 'a' >"$WORK/big"
out=$(curl_api POST /api/v1/login --data-binary @"$WORK/big")
assert_match '^413 \{"error":\{"code":"too_large"' "$out" "a body over 64 KiB: 413"

# ---- rate limit: the 6th wrong password in a minute for one account ----
for i in 1 2 3 4 5; do
    out=$(curl_api POST /api/v1/login -d "$(login_body li.op "wrong password $i")")
    assert_match '^401 ' "$out" "wrong password $i for li.op"
done
out=$(curl_api POST /api/v1/login -d "$(login_body li.op "$PW")")
assert_match '^429 \{"error":\{"code":"rate_limited"' "$out" "the 6th attempt is refused even with the right password"
assert_match '^[0-9]+$' "$(header retry-after)" "429 says when to retry"

# ---- a session survives a restart (the stop ends the open stream) ----
server_stop
rc=0
wait_for_pid "$sse2" 20 || rc=$?
[ "$rc" != 124 ] || fail "the live feed was not ended by the stop"
server_start --http "127.0.0.1:$PORT" --web-root "$WORK/web"
out=$(curl_api GET /api/v1/session "${C[@]}")
assert_match '^200 .*"account":"wang.op"' "$out" "the session survives a restart (read from the database)"

# ---- attempts sent together, faster than one password check, cannot pass the limit ----
burst=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o /dev/null -w '%{http_code}\n' -d "$(login_body burst.target "guess $i")" "$BASE/api/v1/login" \
        >"$WORK/burst.$i" &
    burst+=($!)
done
wait "${burst[@]}"
codes=$(cat "$WORK"/burst.* | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
log "8 sign-ins at once for one account: $codes"
assert_eq "401:5 429:3 " "$codes" "8 parallel attempts: 5 checked, 3 refused at once"

# ---- an unknown account takes as long as a wrong password (Argon2id either way) ----
t_wrong=0 t_unknown=0
for i in 1 2 3; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -d "$(login_body wang.op "wrong password $i")" "$BASE/api/v1/login")
    t_wrong=$(awk -v a="$t_wrong" -v b="$t" 'BEGIN { print a + b }')
    t=$(curl -s -o /dev/null -w '%{time_total}' -d "$(login_body "ghost$i" "wrong password $i")" "$BASE/api/v1/login")
    t_unknown=$(awk -v a="$t_unknown" -v b="$t" 'BEGIN { print a + b }')
done
log "sign-in refusal, 3 each: wrong password ${t_wrong}s, unknown account ${t_unknown}s"

# ---- logout ----
out=$(curl_api POST /api/v1/logout "${C[@]}" -H "X-CSRF-Token: $CSRF")
assert_match '^204' "$out" "logout"
out=$(curl_api GET /api/v1/session "${C[@]}")
assert_match '^401 ' "$out" "the session ended at logout"
assert_match '^[0-9]' "$(q "SELECT count(*) FROM web_sessions WHERE ended_at IS NOT NULL")" "ended in the database"

# ---- disabling an account ends its sessions ----
out=$(curl_api POST /api/v1/login -d "$(login_body zhao.op "$PW")")
assert_match '^200 ' "$out" "zhao.op signs in"
ZTOKEN=$(header set-cookie | sed 's/^fq_session=\([^;]*\);.*/\1/')
out=$(curl_api GET /api/v1/session -H "Cookie: fq_session=$ZTOKEN")
assert_match '^200 ' "$out" "zhao.op's session works (and is cached)"
loads=$(directory_loads)
admin user disable zhao.op 2>/dev/null || fail "user disable"
wait_directory_reload "$loads"
out=$(curl_api GET /api/v1/session -H "Cookie: fq_session=$ZTOKEN")
assert_match '^401 ' "$out" "a disabled account's session: 401"
out=$(curl_api POST /api/v1/login -d "$(login_body zhao.op "$PW")")
assert_match '^401 ' "$out" "a disabled account cannot sign in"
assert_eq "t" "$(q "SELECT revoked_at IS NOT NULL FROM nodes WHERE id = 'p.zhao.op'")" "its node is revoked"

# ---- the sign-in audit ----
rows=$(q "SELECT outcome || ':' || count(*) FROM web_logins GROUP BY outcome ORDER BY outcome" | tr '\n' ' ')
log "web_logins: $rows"
assert_match 'disabled:1 ' "$rows" "the disabled account's attempt is audited"
assert_match 'logout:1 ' "$rows" "the logout is audited"
assert_match 'ok:2 ' "$rows" "the successful sign-ins are audited"
assert_match 'rate_limited:4 ' "$rows" "the refused attempts are audited"
assert_match 'unknown_account:9 ' "$rows" "the unknown account is audited"
assert_match 'wrong_password:9 ' "$rows" "the wrong passwords are audited"
assert_eq "1" "$(q "SELECT count(*) FROM web_logins WHERE outcome = 'unknown_account' AND account = 'nobody.here'")" \
    "the account as typed"

# ---- browsers that leave before their answer (the answer is dropped safely) ----
# Each sign-in is still checked and committed (its row), with nobody to
# answer. One at a time: wang.op has failures this minute, and sign-ins in
# flight together count as failed until their check ends (loginlimit.h).
# send_and_leave PATH [BODY]: the whole request is sent (a POST when there is
# a body), then the connection is closed without reading the answer: a
# browser that leaves. (curl --max-time left on a loaded machine before its
# request was even sent.)
send_and_leave() {
    python3 - "$PORT" "$1" "${2-}" "$TOKEN" <<'PY'
import socket, sys
port, path, body, token = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4]
head = (f"{'POST' if body else 'GET'} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: fq_session={token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n").encode()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(head + body)
s.close()
PY
}
oks() { q "SELECT count(*) FROM web_logins WHERE account = 'wang.op' AND outcome = 'ok'"; }
ok0=$(oks)
for i in 1 2 3 4 5; do
    send_and_leave /api/v1/login "$(login_body wang.op "$PW")"
    send_and_leave /api/v1/board
    wait_q "SELECT count(*) >= $((ok0 + i)) FROM web_logins WHERE account = 'wang.op' AND outcome = 'ok'" t
done
out=$(curl_api GET /api/v1/session)
assert_match '^401 ' "$out" "the server answers after browsers left mid-request"
assert_server_alive "after browsers left mid-request"
server_stop

# ---- TLS is required off loopback ----
if err=$("$FQ_SERVERD" --db "$FQ_DB" --http "0.0.0.0:$PORT" 2>&1); then
    fail "fengqiaod --http 0.0.0.0 without TLS started"
fi
assert_match 'not a loopback address: give --tls-cert FILE and --tls-key FILE' "$err" \
    "refused off loopback without TLS, naming the flags"

# ---- HTTPS, HTTP/2 by ALPN ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null || fail "openssl req"
server_start --http "127.0.0.1:$PORT" --web-root "$WORK/web" --tls-cert "$WORK/tls.crt" \
    --tls-key "$WORK/tls.key"
BASE="https://127.0.0.1:$PORT"
version=$(curl -sk --http2 -o /dev/null -D "$WORK/h" -w '%{http_version}' "$BASE/")
assert_eq 2 "$version" "HTTP/2 over TLS (ALPN)"
assert_match 'max-age=' "$(header strict-transport-security)" "HSTS over TLS"
version=$(curl -sk --http1.1 -o /dev/null -w '%{http_version}' "$BASE/")
assert_eq 1.1 "$version" "HTTP/1.1 over TLS"
out=$(curl_api POST /api/v1/login -k --http2 -d "$(login_body wang.op "$PW")")
assert_match '^200 ' "$out" "login over HTTPS/2"
assert_match 'HttpOnly; Secure; SameSite=Strict' "$(header set-cookie)" "the Secure cookie over HTTPS"
STOKEN=$(header set-cookie | sed 's/^fq_session=\([^;]*\);.*/\1/')
out=$(curl_api GET /api/v1/session -k --http2 -H "Cookie: fq_session=$STOKEN")
assert_match '^200 ' "$out" "a session over HTTP/2"
server_stop
log "ok"
