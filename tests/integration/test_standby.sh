#!/usr/bin/env bash
# integ_standby: a pair of fengqiaod on one database (docs/operations.md, "A
# standby", "Following the primary", "Clients with several addresses").
#
#  A serves with a conninfo that lists a dead address first and the real
#  PostgreSQL second (target_session_attrs=read-write): libpq moves on to the
#  live one. B (--if-locked wait) is a standby: it binds no endpoint (a
#  report to B alone gets no answer). fq-report streams reports with both
#  addresses (--url A --url B); A is killed (SIGKILL) in the middle. B takes
#  the serving lock, loads, binds and serves; the stream finishes against B.
#
#  Then: every report the client saw acknowledged is stored exactly once
#  under the acknowledged id; sending the whole input again acknowledges
#  every line without a new incident for the acknowledged ones; the history
#  chain verifies. The time from the kill to B serving and to the first
#  acknowledgement after the kill is logged (not asserted: a shared machine).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

pg_port=$(cat "$FQ_CLUSTER/port")
dead_port=$(free_port)
FQ_DB="host=127.0.0.1,127.0.0.1 port=$dead_port,$pg_port dbname=test_$FQ_TEST_NAME user=fengqiao target_session_attrs=read-write"
export FQ_DB

COUNT=1500

# ---- A serves through the second host of its list ----
server_start --if-locked wait
A_PID=$SERVER_PID
A_URL=$SERVER_URL
A_LOG=$SERVER_LOG
grep -q "comp=store msg=\"connected to PostgreSQL (host 127.0.0.1 port $pg_port)" "$A_LOG" ||
    fail "A does not say which host it connected to: $(grep 'comp=store' "$A_LOG" | head -n 3)"

# ---- B: a standby, nothing bound ----
second_server_start standby --if-locked wait
wait_match "$B_LOG" 'another fengqiaod is serving this database .*waiting until it stops' 30 "server B"
line=$("$FQ_RAW_PEER" --url "$B_URL" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    --timeout-ms 1500 report --title 备机 2>/dev/null)
assert_eq no_reply "$line" "a report to the standby alone (nothing bound)"
! grep -q "intake listening" "$B_LOG" || fail "the standby bound its intake"

# ---- the stream, with both addresses; A killed in the middle ----
stream_input S "$COUNT" "$WORK/S.jsonl"
spawn_report lingyin-platform --url "$B_URL" --stdin --window 8 --timeout-ms 60000 \
    <"$WORK/S.jsonl" >"$WORK/S.out" 2>"$WORK/S.err"
client=$BG_PID
wait_lines "$WORK/S.out" 300 120
pid_alive "$client" || fail "the stream finished before A could be killed"
kill -KILL "$A_PID"
killed_at=$(now_ms)
wait "$A_PID" 2>/dev/null || true
SERVER_PID=""
log "A killed after $(ok_lines "$WORK/S.out") acknowledgements"

# Answers A sent before it died may still be on their way into S.out: the
# first acknowledgement from B is the first one after B is ready.
served_ms="" first_ack_ms="" ok_at_ready=""
for ((i = 0; i < 60 * 50; i++)); do
    now=$(now_ms)
    if [ -z "$served_ms" ] && [ -s "$B_READY" ]; then
        served_ms=$((now - killed_at))
        ok_at_ready=$(ok_lines "$WORK/S.out")
    fi
    if [ -n "$served_ms" ] && [ "$(ok_lines "$WORK/S.out")" -gt "$ok_at_ready" ]; then
        first_ack_ms=$((now - killed_at))
        break
    fi
    pid_alive "$client" || break
    sleep 0.02
done
[ -n "$served_ms" ] || fail "B was not ready within 60 s of A's kill: $(grep -E 'comp=(store|server)' "$B_LOG" | tail -n 5)"
wait_match "$B_LOG" 'the other server let go: this one now serves the database' 5 "server B"
log "kill -9 of A: B ready after ${served_ms} ms, its first acknowledgement ${first_ack_ms:-?} ms after the kill"

rc=0
SERVER_PID=$B_PID SERVER_LOG=$B_LOG wait_client "$client" 180 || rc=$?
tail -n 3 "$WORK/S.err" >&2
stream_finished "$rc" "$COUNT" "$WORK/S.out" "the stream"

# ---- nothing acknowledged lost or doubled ----
check_stream S "$COUNT" "$WORK/S.jsonl" "$WORK/S.out" --url "$A_URL" --url "$B_URL" --window 8 \
    --timeout-ms 60000
out=$(admin verify) || fail "the history chain does not verify after the take-over: $out"
log "verify: $(grep -E 'verified|chain head' <<<"$out" | tr '\n' ' ')"

kill -TERM "$B_PID"
rc=0
wait_for_pid "$B_PID" 20 || rc=$?
assert_eq 0 "$rc" "B's exit status on SIGTERM"
check_log "$B_LOG"
check_log "$A_LOG"
