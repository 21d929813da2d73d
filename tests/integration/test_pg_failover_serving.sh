#!/usr/bin/env bash
# integ_pg_failover_serving: a database failover is not an application
# failover (docs/ha.md, "What each fault does"). Two fengqiaod on a primary
# and its synchronous replica (pg_sync_pair): A serves, B is a warm standby
# (--if-locked wait). Under a stream of reports sent to both, the primary
# crashes and the replica is promoted. Both servers lose their sessions, and
# the serving lock with the old primary's; both reconnect to the new one.
# A, which held the lock, claims it at once; B, a standby whose connection
# broke, waits its grace (2-2.5 s) first. So A serves on: the same process,
# never demoted, and B never binds. Then every report acknowledged is stored
# exactly once under the acknowledged id, and the chain verifies.
#
# Before the grace both claimed at once and B won about half the runs (A
# stopped serving, B took over): this test failed then about as often.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

pg_sync_pair pg_failover_serving

server_start --if-locked wait --hold-ms 2000
a_pid=$SERVER_PID
second_server_start b --if-locked wait --hold-ms 2000
wait_match "$B_LOG" 'msg="standby \(warm, at event [0-9]+\): [0-9]+ open incidents loaded' 60 "server B, a warm standby"

COUNT=400
stream_input P "$COUNT" "$WORK/P.jsonl"
spawn "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" --url "$SERVER_URL" \
    --url "$B_URL" --stdin --window 8 --timeout-ms 60000 < <(paced "$WORK/P.jsonl") >"$WORK/P.out" 2>"$WORK/P.err"
client=$BG_PID
wait_lines "$WORK/P.out" 100 120
pid_alive "$client" || fail "the stream finished before the failover"
log "failing over after $(wc -l <"$WORK/P.out") answers"
pg_fail_over

# Both follow the primary: A claims at once, B after its grace, refused.
new_primary="msg=\"connected to PostgreSQL \\(host 127.0.0.1 port $REPLICA_PORT\\)"
wait_match "$SERVER_LOG" "$new_primary" 60 "server A"
wait_match "$B_LOG" "$new_primary" 60 "server B"
wait_match "$B_LOG" 'msg="reconnected as a standby: claiming the serving lock in [0-9]+ ms' 5 "server B's grace"
wait_match "$B_LOG" 'msg="the grace is over and the serving lock is held: standing by' 30 "server B refused on the new primary"
log "both servers on the new primary $(($(now_ms) - FAILED_OVER_AT)) ms after the failover"

rc=0
wait_client "$client" 180 || rc=$?
tail -n 3 "$WORK/P.err" >&2
stream_finished "$rc" "$COUNT" "$WORK/P.out" "the stream"

# The same server serves: A's process, never demoted, ready; B never bound.
pid_alive "$a_pid" || fail "server A exited"
assert_eq "$a_pid" "$SERVER_PID" "the serving server's pid"
! grep -q 'this server stops serving' "$SERVER_LOG" ||
    fail "server A stopped serving at the database failover: $(grep -E 'comp=(store|server)' "$SERVER_LOG" | tail -n 5)"
[ -e "$(server_ready_file)" ] || fail "server A is not ready after the failover"
[ ! -e "$B_READY" ] || fail "server B took over at the database failover"
! grep -q 'took over at event' "$B_LOG" || fail "server B took over: $(grep 'took over' "$B_LOG")"
pid_alive "$B_PID" || fail "server B (the standby) exited"

# On the new primary: nothing acknowledged lost or doubled.
check_stream P "$COUNT" "$WORK/P.jsonl" "$WORK/P.out" --url "$SERVER_URL" --window 16 --timeout-ms 60000
out=$(admin verify) || fail "the history chain does not verify on the new primary: $out"
log "verify: $(grep -E 'verified [0-9]+ events' <<<"$out")"
server_stop
