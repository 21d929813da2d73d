#!/usr/bin/env bash
# integ_demo_day: the README's main command, examples/demo-day.sh, on the
# build under test, with its own PostgreSQL: three simulated hours at 720×
# (15 s of reports: at 1440× a machine with both cores busy lagged so far
# behind the simulated clock that no case was concluded within the day). It must end well, every report must be stored,
# terminals must have acknowledged and concluded cases, and the day's
# statistics must be printed; run twice, the same seed creates nothing new;
# afterwards the server runs with the district's real limits again. The web
# console answers over HTTPS with the certificate the demo made, the printed
# logins sign in, the district supervisor's board is the database's open
# incidents and the town operator's holds its town's only.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

build=$(cd "$(dirname "$FQ_SERVERD")/.." && pwd)
demo() {
    FQ_DEMO_PREBUILT=1 FQ_DEMO_BUILD="$build" FQ_DEMO_STATE="$WORK/demo" FQ_DEMO_SPEEDUP=720 \
        FQ_DEMO_HOURS=3 FQ_DEMO_REPORTS=120 FQ_DEMO_SEED=42 FQ_DEMO_INTAKE_PORT="$iport" \
        FQ_DEMO_TERMINALS_PORT="$tport" FQ_DEMO_HTTP_PORT="$hport" "$FQ_SRC_DIR/examples/demo-day.sh" "$@"
}
iport=$(free_port)
tport=$(free_port)
[ "$tport" != "$iport" ] || tport=$(free_port)
hport=$(free_port)
while [ "$hport" = "$iport" ] || [ "$hport" = "$tport" ]; do hport=$(free_port); done
CLEANUPS+=("demo stop >/dev/null 2>&1 || true")
demo >"$WORK/day1.out" 2>"$WORK/day1.err" || fail "demo-day.sh failed: $(tail -n 20 "$WORK/day1.err")"
grep -q "day done: reports 120" "$WORK/day1.out" || fail "no summary line: $(tail -n 5 "$WORK/day1.out")"
grep -q "^GROUP " "$WORK/day1.out" || fail "no statistics in the output"
# Quiet setup: one line per node registered, naming its key file, and nothing
# about a key shown.
added=$(grep -cE '^node [a-z0-9._-]+ added: [a-z_]+ of [a-z0-9._-]+, key in /.*/keys/[a-z0-9._-]+\.key$' "$WORK/day1.err" || true)
grep -q "^$added nodes, $added registered now$" "$WORK/day1.err" ||
    fail "not one line per registered node ($added lines): $(grep 'registered now' "$WORK/day1.err")"
if grep -qi "shown once\|the line above is its key" "$WORK/day1.err"; then
    fail "node registration talks about a key shown"
fi
FQ_DB=$("$PG_PRIVATE" conninfo "$WORK/demo/pg")
export FQ_DB
assert_eq 120 "$(q "SELECT count(*) FROM incidents")" "every report stored"
acked=$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'acknowledged'")
concluded=$(q "SELECT count(*) FROM incidents WHERE state = 'concluded'")
((acked > 0 && concluded > 0)) || fail "terminals acknowledged $acked and concluded $concluded"
log "day 1: 120 reports, $acked acknowledged, $concluded concluded"

# The web console, as the demo printed it.
web="https://127.0.0.1:$hport"
grep -q "the web console at $web/" "$WORK/day1.err" || fail "the demo did not print the web console's URL"
web_curl() { curl -sS --max-time 30 --cacert "$WORK/demo/tls/cert.pem" "$@"; }
assert_eq 200 "$(web_curl -o "$WORK/index.html" -w '%{http_code}' "$web/")" "the page over HTTPS"
grep -qi '<html' "$WORK/index.html" || fail "the page is not HTML: $(head -c 200 "$WORK/index.html")"
assert_eq 401 "$(web_curl -o /dev/null -w '%{http_code}' "$web/api/v1/board")" "the board without a session"
# "  NAME (ROLE, UNIT)   account ACCOUNT   password PASSWORD", once per account.
mapfile -t logins < <(sed -n 's/.* account \([^ ]*\) *password \([^ ]*\)$/\1 \2/p' "$WORK/day1.err" | sort -u)
assert_eq 3 "${#logins[@]}" "the demo printed three logins"
grep -q "on the phone page: $web/phone/" "$WORK/day1.err" || fail "the demo did not print the phone page's URL"
# sign_in ACCOUNT PASSWORD: the session cookie ("fq_session=...") on stdout.
sign_in() {
    python3 -c 'import json,sys; print(json.dumps({"account": sys.argv[1], "password": sys.argv[2]}))' \
        "$1" "$2" >"$WORK/login.json"
    local status
    status=$(web_curl -o "$WORK/login.out" -D "$WORK/login.headers" -w '%{http_code}' \
        -H 'Content-Type: application/json' --data-binary "@$WORK/login.json" "$web/api/v1/login")
    [ "$status" = 200 ] || fail "$1 could not sign in: HTTP $status $(cat "$WORK/login.out")"
    sed -n 's/^[Ss]et-[Cc]ookie: *\(fq_session=[^;]*\).*/\1/p' "$WORK/login.headers" | tr -d '\r' | head -n 1
}
# board_json COOKIE: every open incident the person sees, one JSON array.
board_json() {
    web_curl -H "Cookie: $1" "$web/api/v1/board?limit=2000" >"$WORK/board.json"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["more"]; print(json.dumps(d["incidents"]))' \
        "$WORK/board.json" || fail "the board is not a whole page: $(head -c 300 "$WORK/board.json")"
}
read -r district_account district_password <<<"$(printf '%s\n' "${logins[@]}" | grep '\.duty ')"
read -r town_account town_password <<<"$(printf '%s\n' "${logins[@]}" | grep '\.op ')"
district_cookie=$(sign_in "$district_account" "$district_password")
[ -n "$district_cookie" ] || fail "no session cookie for $district_account"
open_db=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
open_web=$(board_json "$district_cookie" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "$open_db" "$open_web" "the district supervisor's board holds every open incident"
town=${town_account%.op}
town_cookie=$(sign_in "$town_account" "$town_password")
others=$(board_json "$town_cookie" | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin) if i["town"] != sys.argv[1]))' "$town")
assert_eq 0 "$others" "incidents of other towns on $town_account's board"
log "web console: $web answers; $district_account sees $open_web open incidents, $town_account only $town's"
# The grid worker's phone account: the field API lists what the worker holds.
read -r phone_account phone_password <<<"$(printf '%s\n' "${logins[@]}" | grep '\.phone ')"
phone_cookie=$(sign_in "$phone_account" "$phone_password")
worker=${phone_account%.phone}
web_curl -H "Cookie: $phone_cookie" "$web/api/v1/field/assignments" >"$WORK/assignments.json"
assert_eq "$(q "SELECT count(*) FROM incidents WHERE state = 'assigned' AND worker = '$worker'")" \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["assignments"]))' "$WORK/assignments.json")" \
    "$phone_account's assignments are $worker's open ones"
log "phone: $phone_account signs in and lists $worker's assignments"
demo >"$WORK/day2.out" 2>"$WORK/day2.err" || fail "second run failed: $(tail -n 20 "$WORK/day2.err")"
assert_eq 120 "$(q "SELECT count(*) FROM incidents")" "the same seed again creates nothing new"
# The day ends with the district's real limits: the active rule set is the
# original one again, and the running server gives a new report real time
# (the demo's limits are the real ones / 720: seconds).
assert_eq "demo-day.sh: the day is over, real limits" "$(q "SELECT note FROM rule_sets WHERE active")" \
    "the active rule set after the day"
(($(q "SELECT min(r.ack_s) FROM rules r JOIN rule_sets s ON s.version = r.rule_set WHERE s.active") >= 60)) ||
    fail "the active rules still have limits of seconds"
"$FQ_REPORT" --node beishan-platform --key-file "$WORK/demo/keys/beishan-platform.key" \
    --url "tcp://127.0.0.1:$iport" --category dispute.neighbour --severity IV --risk low \
    --channel hotline --place beishan-c1 --title "演示之后的报告" --external-ref AFTER-DEMO-1 >/dev/null ||
    fail "a report after the day was not stored"
assert_eq t "$(q "SELECT ack_due - recorded_at >= interval '5 minutes' FROM incidents WHERE external_ref = 'AFTER-DEMO-1'")" \
    "a report after the day has a real acknowledge limit"
check_log "$WORK/demo/fengqiaod.log"
demo stop >/dev/null
log "demo day ok"
