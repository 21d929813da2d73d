#!/usr/bin/env bash
# integ_metrics: the operations endpoints on the --http listener
# (docs/operations.md, "Monitoring"), with a real PostgreSQL and curl.
#   - /healthz 200 "ok"; /readyz 200 with {"ready":true,...}; POST: 405
#   - /metrics in the text format 0.0.4, passing `promtool check metrics`
#   - the numbers move: N reports -> intake ok +N, accepted +N, report
#     statements +N, commits counted, open incidents +N; a console query and
#     a terminal sync counted by endpoint and status; a town feed's lag is
#     its newest item until its platform syncs past it, then 0; HTTP
#     responses by route group and code
#   - readiness lost: another session takes the serving lock while the
#     server reconnects -> the ready file goes and the server starts again
#     as a standby (its listener closed: /readyz refused); the lock freed ->
#     ready file, /readyz 200 again, the refusals counted
#   - SIGTERM: the ready file goes
#   - --metrics-allow: /metrics refused (403) to an address not listed,
#     /healthz still answered; a malformed list refused at start
#   - --log-level warn: no info lines; a bad level refused at start
#   - examples/prometheus.yml and its rules pass promtool check config; every
#     alert rule's metric exists
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
# The documented scrape configuration and alert rules.
promtool check config "$FQ_SRC_DIR/examples/prometheus.yml" >"$WORK/promtool.config" 2>&1 ||
    fail "promtool check config examples/prometheus.yml: $(cat "$WORK/promtool.config")"
db_create
setup_world
add_node ops console xihu

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
# Dedup off: the N reports below are N incidents.
# --if-locked wait: the test takes the serving lock away below.
server_start --http "127.0.0.1:$PORT" --dedup-window-min 0 --if-locked wait \
    --metrics-allow 127.0.0.1,::1
READY_FILE="$WORK/server.$SERVER_N.ready"

# get PATH: prints "STATUS BODY"; headers in $WORK/h.
get() {
    curl -sS -o "$WORK/body" -D "$WORK/h" -w '%{http_code}' "$@" >"$WORK/code" || fail "curl $*"
    printf '%s %s' "$(cat "$WORK/code")" "$(cat "$WORK/body")"
}
header() { grep -i "^$1:" "$WORK/h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
# scrape: /metrics into $WORK/metrics.N, checked by promtool; prints the file.
SCRAPES=0
scrape() {
    SCRAPES=$((SCRAPES + 1))
    local f="$WORK/metrics.$SCRAPES"
    curl -sS -o "$f" -D "$WORK/mh" -w '%{http_code}' "$BASE/metrics" >"$WORK/mcode" || fail "curl /metrics"
    assert_eq 200 "$(cat "$WORK/mcode")" "/metrics status"
    promtool check metrics <"$f" >"$WORK/promtool.out" 2>&1 ||
        fail "promtool check metrics: $(cat "$WORK/promtool.out")"
    echo "$f"
}
# metric FILE SERIES: the value of one series (its exact text up to the value), or "absent".
metric() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "absent" : v) }' "$1"; }

# ---- health ----
assert_eq "200 ok" "$(get "$BASE/healthz")" "/healthz"
out=$(get "$BASE/readyz")
assert_eq '200 {"ready":true,"failing":[],"message":"ready"}' "$out" "/readyz while ready"
assert_match '^application/json' "$(header content-type)" "/readyz content type"
assert_eq "nosniff" "$(header x-content-type-options)" "the security headers on /readyz"
assert_match '^405 ' "$(get -X POST "$BASE/readyz")" "POST /readyz"
assert_match '^404 ' "$(get "$BASE/healthz/more")" "a path under /healthz"

# ---- the format ----
m0=$(scrape)
assert_eq "text/plain; version=0.0.4; charset=utf-8" "$(grep -i '^content-type:' "$WORK/mh" | cut -d' ' -f2- | tr -d '\r')" \
    "/metrics content type"
for family in fengqiao_build_info fengqiao_process_start_time_seconds fengqiao_ready \
    fengqiao_requests_total fengqiao_http_requests_total fengqiao_store_commit_seconds \
    fengqiao_store_batch_size fengqiao_store_statements_total fengqiao_store_connections_total \
    fengqiao_incidents_open fengqiao_incidents_suspended fengqiao_deadlines_pending \
    fengqiao_terminal_syncs_held fengqiao_workers_present fengqiao_consoles_recent \
    fengqiao_web_event_streams fengqiao_feed_lag_items fengqiao_audit_rows_total \
    fengqiao_routing_reload_failures_total fengqiao_routing_last_reload_success_timestamp_seconds; do
    grep -q "^# TYPE $family " "$m0" || fail "no family $family in /metrics"
done
assert_eq 1 "$(metric "$m0" fengqiao_ready)" "fengqiao_ready while ready"
assert_match '^fengqiao_build_info\{version="[0-9.]+"\} 1$' "$(grep '^fengqiao_build_info' "$m0")" "build info"
started=$(metric "$m0" fengqiao_process_start_time_seconds)
now=$(date +%s)
(( ${started%.*} <= now && ${started%.*} > now - 600 )) || fail "process start time $started is not a recent Unix time"
(( $(metric "$m0" fengqiao_routing_last_reload_success_timestamp_seconds | cut -d. -f1) > 0 )) ||
    fail "no successful routing load time"
if grep -q 'PRIVATE\|张三\|lingyin-platform' "$m0"; then fail "names of people or nodes in /metrics"; fi
while read -r name; do
    grep -q "^${name}[{ ]" "$m0" || fail "examples/prometheus-rules.yml uses $name, which /metrics does not have"
done < <(grep -o 'fengqiao_[a-z_]*' "$FQ_SRC_DIR/examples/prometheus-rules.yml" | sort -u)

# ---- the numbers move ----
N=5
ok0=$(metric "$m0" 'fengqiao_requests_total{endpoint="intake",status="ok"}')
acc0=$(metric "$m0" 'fengqiao_intake_reports_total{outcome="accepted"}')
st0=$(metric "$m0" 'fengqiao_store_statements_total{store="writes",kind="report"}')
cc0=$(metric "$m0" 'fengqiao_store_commit_seconds_count{store="writes"}')
open0=$(awk '/^fengqiao_incidents_open\{/ { s += $2 } END { print s + 0 }' "$m0")
for i in $(seq $N); do
    line=$(raw lingyin-platform report --title "指标测试$i" --category dispute.neighbour)
    assert_match '^reply status=ok ' "$line" "report $i"
done
line=$(raw lingyin-platform report --title 过期 --sent-at-offset-ms -86400000)
assert_match '^reply status=stale ' "$line" "a report signed a day ago"
m1=$(scrape)
assert_eq $((ok0 + N)) "$(metric "$m1" 'fengqiao_requests_total{endpoint="intake",status="ok"}')" \
    "intake ok after $N reports"
assert_eq 1 "$(metric "$m1" 'fengqiao_requests_total{endpoint="intake",status="stale"}')" "intake stale"
assert_eq $((acc0 + N)) "$(metric "$m1" 'fengqiao_intake_reports_total{outcome="accepted"}')" "accepted"
assert_eq $((st0 + N)) "$(metric "$m1" 'fengqiao_store_statements_total{store="writes",kind="report"}')" \
    "report statements committed"
cc1=$(metric "$m1" 'fengqiao_store_commit_seconds_count{store="writes"}')
(( cc1 > cc0 )) || fail "no commit measured: $cc0 -> $cc1"
assert_eq "$cc1" "$(metric "$m1" 'fengqiao_store_commit_seconds_bucket{store="writes",le="+Inf"}')" \
    "the +Inf bucket is the count"
assert_eq $((open0 + N)) "$(awk '/^fengqiao_incidents_open\{/ { s += $2 } END { print s + 0 }' "$m1")" \
    "open incidents (all tiers and states)"
(( $(metric "$m1" fengqiao_deadlines_pending) > 0 )) || fail "no pending deadlines with $N open incidents"

# A console's query and a platform's sync, over nanomsg.
"$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node ops --key-file "$(key_of ops)" roster >/dev/null ||
    fail "console roster query"
sync=$("$FQ_RAW_PEER" --url "$TERMINALS_URL" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    report --sync --after-seq 0 --wait-ms 0)
assert_match '^reply status=ok ' "$sync" "the town platform's sync"
last=$(sed -n 's/.* last_seq=\([0-9]*\).*/\1/p' <<<"$sync")
(( last >= N )) || fail "the town feed has $last items after $N reports: $sync"
m2=$(scrape)
assert_eq 1 "$(metric "$m2" 'fengqiao_requests_total{endpoint="console",status="ok"}')" "console ok"
assert_eq 1 "$(metric "$m2" 'fengqiao_requests_total{endpoint="terminals",status="ok"}')" "terminals ok"
assert_eq 1 "$(metric "$m2" fengqiao_consoles_recent)" "consoles heard recently"
assert_eq "$last" "$(metric "$m2" 'fengqiao_feed_lag_items{stat="max"}')" \
    "feed lag: the town feed synced from 0 has all $last items to take"
sync=$("$FQ_RAW_PEER" --url "$TERMINALS_URL" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    report --sync --after-seq "$last" --wait-ms 0)
assert_match '^reply status=ok ' "$sync" "the town platform's second sync"
m3=$(scrape)
assert_eq 0 "$(metric "$m3" 'fengqiao_feed_lag_items{stat="max"}')" "feed lag once acknowledged"
assert_eq 2 "$(metric "$m3" 'fengqiao_requests_total{endpoint="terminals",status="ok"}')" "terminals ok"
(( $(metric "$m3" 'fengqiao_http_requests_total{route="health",code="200"}') >= 2 )) ||
    fail "health requests not counted"
assert_eq 1 "$(metric "$m3" 'fengqiao_http_requests_total{route="health",code="405"}')" "a 405 counted"
assert_eq 3 "$(metric "$m3" 'fengqiao_http_requests_total{route="metrics",code="200"}')" \
    "the three earlier scrapes (a response is counted as it starts, after its text is made)"
# (After the count of scrapes above.) The reports' entries in the search indexes' pending lists are moved into
# the indexes on the reads connection, not by the writer (docs/write-path.md):
# with fewer than 2,000 reports, 10 s after the last clean.
for _ in $(seq 100); do
    m2=$(scrape)
    (( $(metric "$m2" 'fengqiao_store_search_list_cleans_total{result="ok"}') > 0 )) && break
    sleep 0.25
done
(( $(metric "$m2" 'fengqiao_store_search_list_cleans_total{result="ok"}') > 0 )) ||
    fail "the search lists were not cleaned within 25 s of $N reports"
(( $(metric "$m2" fengqiao_store_search_list_pages_total) >= 3 )) ||
    fail "the search lists' clean moved $(metric "$m2" fengqiao_store_search_list_pages_total) pages (three indexes with $N reports' entries)"
assert_eq 0 "$(metric "$m2" 'fengqiao_store_search_list_cleans_total{result="failed"}')" "failed cleans"
get "$BASE/no-such-page" >/dev/null
m4=$(scrape)
assert_eq 1 "$(metric "$m4" 'fengqiao_http_requests_total{route="page",code="404"}')" "a page's 404 counted"

# ---- readiness lost and regained: the serving lock ----
take_serving_lock
for ((i = 0; i < 600; i++)); do
    [ -e "$READY_FILE" ] || break
    sleep 0.05
done
[ ! -e "$READY_FILE" ] || fail "the ready file stayed while the server lost the database"
# A server that served and lost the lock to another starts again as a
# standby (docs/operations.md, "A standby"): its listeners close, so a probe
# is refused at the TCP level (not ready) until it serves again.
wait_match "$SERVER_LOG" 'stopped serving; starting again as a standby' 30 "the server"
rc=0
curl -sS -o /dev/null "$BASE/readyz" 2>/dev/null || rc=$?
assert_eq 7 "$rc" "curl's exit status for /readyz on a standby (connection refused)"
grep -q 'level=warn comp=server msg="not ready: the serving lock is not held' "$SERVER_LOG" ||
    fail "no log line saying why the server is not ready"
release_serving_lock
for ((i = 0; i < 600; i++)); do
    [ -s "$READY_FILE" ] && break
    sleep 0.05
done
[ -s "$READY_FILE" ] || fail "the ready file did not come back with the lock"
assert_eq "$SERVER_PID" "$(cat "$READY_FILE")" "the ready file holds the pid"
assert_eq '200 {"ready":true,"failing":[],"message":"ready"}' "$(get "$BASE/readyz")" "/readyz ready again"
m5=$(scrape)
assert_eq 1 "$(metric "$m5" fengqiao_ready)" "fengqiao_ready once serving again"
assert_eq 1 "$(metric "$m5" 'fengqiao_readiness_condition{condition="guard"}')" "the guard condition"
(( $(metric "$m5" fengqiao_serving_lock_refusals_total) >= 1 )) ||
    fail "no serving lock refusal counted (the standby run was refused while the lock was held)"
line=$(raw lingyin-platform report --title 恢复后)
assert_match '^reply status=ok ' "$line" "a report once ready again"

# ---- stop: the ready file goes ----
server_stop
[ ! -e "$READY_FILE" ] || fail "the ready file outlived the server"
grep -q 'level=info comp=server msg="not ready: the server is stopping"' "$SERVER_LOG" ||
    fail "the stop's readiness line is missing"
grep -q "level=warn comp=postgres msg=\"FATAL: SQLSTATE 57P01" "$SERVER_LOG" || fail "the terminated session's FATAL is not a log line: $(grep -v "^ts=" "$SERVER_LOG" | head -n 3)"
grep -v "^ts=" "$SERVER_LOG" && fail "lines outside the log format"

# ---- --metrics-allow ----
if err=$("$FQ_SERVERD" --metrics-allow 10.0.0.1/8 2>&1); then fail "a list with host bits was taken"; fi
assert_eq "fengqiaod: --metrics-allow: '10.0.0.1/8' has host bits set (did you mean a whole network?)" \
    "$err" "a malformed --metrics-allow"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
if err=$("$FQ_SERVERD" --log-level verbose 2>&1); then fail "--log-level verbose was taken"; fi
assert_eq "fengqiaod: --log-level takes debug|info|warn|error, got 'verbose'" "$err" "a bad --log-level"
server_start --http "127.0.0.1:$PORT" --metrics-allow 10.0.0.0/8,fd00::/8 --log-level warn
assert_match '^403 forbidden: /metrics answers the addresses of --metrics-allow' "$(get "$BASE/metrics")" \
    "/metrics to an address not allowed"
assert_eq "200 ok" "$(get "$BASE/healthz")" "/healthz is not restricted"
assert_match '^200 ' "$(get "$BASE/readyz")" "/readyz is not restricted"
server_stop
grep -q 'level=info' "$SERVER_LOG" && fail "--log-level warn wrote info lines: $(grep -m 2 level=info "$SERVER_LOG")"
log "ok"
