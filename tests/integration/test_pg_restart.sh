#!/usr/bin/env bash
# integ_pg_restart: PostgreSQL goes away under load and comes back. Runs its
# own cluster (it stops and starts it).
#
#  A. 2,000 reports (distinct external refs) through fq-report --stdin
#     --window 16; PostgreSQL is restarted (stop, 2 s, start) in the middle.
#  B. A server with --hold-ms 1000 and PostgreSQL down for 4 s: requests in
#     the outage are answered BUSY after the hold bound (fq-report with a short
#     timeout: no answer, exit 3), and a long stream rides through.
#     The ready file goes in the outage and comes back after it.
#  C. The server's session is killed (pg_terminate_backend) three times, as a
#     DBA or a connection pooler would: the server reconnects and serves.
#
# Both (lib.sh check_stream): every report the client saw acknowledged exists
# exactly once, with the acknowledged id; sending the whole input again
# acknowledges every line with no new incident for the acknowledged ones, and
# the incident count equals the number of distinct lines: nothing lost,
# nothing doubled. The server logs the lost connection and the reconnection,
# and stops cleanly.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

own_cluster pg_restart.cluster
db_create "$CLUSTER"
setup_world

check_reconnected() {
    grep -q "comp=store msg=\"lost PostgreSQL" "$SERVER_LOG" || fail "the server did not log the lost connection"
    local after
    after=$(sed -n '/comp=store msg="lost PostgreSQL/,$p' "$SERVER_LOG" | grep -c "comp=store msg=\"connected to PostgreSQL" || true)
    ((after >= 1)) || fail "the server did not log a reconnection after losing PostgreSQL"
    log "server log: $(grep -E 'comp=store msg="(lost|connected)' "$SERVER_LOG" | cut -d' ' -f3- | tr '\n' ';')"
}

# ---- A: restart in the middle of 2,000 reports ----
server_start
stream_input A 2000 "$WORK/A.jsonl" I II III IV
t0=$(now_ms)
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 30000 <"$WORK/A.jsonl" >"$WORK/A.out" 2>"$WORK/A.err"
client=$BG_PID
wait_lines "$WORK/A.out" 300 60
pid_alive "$client" || fail "the stream finished before PostgreSQL could be restarted"
log "restarting PostgreSQL after $(wc -l <"$WORK/A.out") answers"
pg_restart "$CLUSTER" 2
rc=0
wait_client "$client" 90 || rc=$?
cat "$WORK/A.err" >&2
log "stream A done in $(($(now_ms) - t0)) ms, exit $rc"
stream_finished "$rc" 2000 "$WORK/A.out" "stream A"
check_stream A 2000 "$WORK/A.jsonl" "$WORK/A.out" --url "$SERVER_URL" --window 16 --timeout-ms 30000
check_reconnected
server_stop

# ---- B: --hold-ms 1000, PostgreSQL down for 4 s ----
server_start --hold-ms 1000
stream_input B 400 "$WORK/B.jsonl" I II III IV
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 30000 <"$WORK/B.jsonl" >"$WORK/B.out" 2>"$WORK/B.err"
client=$BG_PID
wait_lines "$WORK/B.out" 50 60
"$PG_PRIVATE" stop "$CLUSTER"
down_at=$(now_ms)
log "PostgreSQL stopped for 4 s after $(wc -l <"$WORK/B.out") answers"

# In the outage: BUSY after the hold bound, signed, with a retry hint.
t0=$(now_ms)
busy=$(raw lingyin-platform --timeout-ms 20000 report --title 停库期间 --external-ref B-BUSY 2>/dev/null)
ms=$(($(now_ms) - t0))
log "during the outage ($ms ms): $busy"
assert_match '^reply status=busy signed=1 .* retry_after_ms=[1-9][0-9]* .*message=not stored: .*retry with the same message id' \
    "$busy" "reply during the outage"
# Not before the hold bound; the upper bound only says "not never" (a busy
# machine answers late).
((ms >= 900 && ms < 15000)) || fail "BUSY came after $ms ms (hold bound 1000 ms)"
busy_mid=$(reply_field "$busy" message_id)
# Not ready without the database: the ready file is gone in the outage.
wait_gone "$(server_ready_file)" 2 "the ready file with PostgreSQL down"
# fq-report with a short timeout: no definitive answer, exit 3.
rc=0
err=$(report lingyin-platform --category hazard.flood --severity IV --risk low --channel patrol \
    --place lingyin --title 停库期间 --external-ref B-NOANSWER --timeout-ms 1500 2>&1 >/dev/null) || rc=$?
log "fq-report during the outage: exit $rc: $err"
assert_eq 3 "$rc" "fq-report exit status during the outage"
assert_match '^fq-report: no answer: ' "$err" "fq-report message during the outage"
noanswer_mid=$(sed -E 's/.*\(message id ([0-9]+)\)$/\1/' <<<"$err")

sleep "$(awk -v left=$((4000 - ($(now_ms) - down_at))) 'BEGIN { print (left > 0 ? left / 1000 : 0) }')"
"$PG_PRIVATE" start "$CLUSTER" >/dev/null
log "PostgreSQL started again after $(($(now_ms) - down_at)) ms"
rc=0
wait_client "$client" 90 || rc=$?
cat "$WORK/B.err" >&2
stream_finished "$rc" 400 "$WORK/B.out" "stream B"
wait_present "$(server_ready_file)" 30 "the ready file once PostgreSQL is back"
# Requests answered BUSY were not stored.
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'lingyin-platform'
                  AND message_id IN ($busy_mid, $noanswer_mid)")" "requests answered busy"
check_stream B 400 "$WORK/B.jsonl" "$WORK/B.out" --url "$SERVER_URL" --window 16 --timeout-ms 30000
check_reconnected
grep -qE "comp=stats .* busy [1-9]" "$SERVER_LOG" || fail "the server's statistics show no busy answers"
# ... and its log says why they went unsent: no connection, and the attempts' failure.
grep -qE 'comp=store msg="[0-9]+ operations answered busy after [0-9]+ ms unsent \(hold bound 1000 ms\): PostgreSQL: not connected for [0-9]+ ms \([0-9]+ of [0-9]+ connection attempts under way; the last failure: ' "$SERVER_LOG" ||
    fail "the server did not log why requests were answered busy: $(grep 'answered busy' "$SERVER_LOG" | head -n 2)"
server_stop

# ---- C: the server's database session is terminated ----
server_start
for k in 1 2 3; do
    # Two sessions: the writes and the console's reads (docs/console.md);
    # both back (after the previous round) before they are terminated. A
    # reconnect also reloads the open incidents on a third, short-lived
    # session (store/open_copy.c): it may still be there, and is terminated
    # with them (its load starts again), so at least the two are.
    wait_q "SELECT count(*) >= 2 FROM pg_stat_activity WHERE datname = current_database()
            AND pid <> pg_backend_pid() AND backend_type = 'client backend'" t 10
    killed=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND backend_type = 'client backend'")
    [ "$killed" -ge 2 ] || fail "server sessions terminated (round $k): $killed, not the two"
    sleep 0.3
    assert_server_alive "after its database session was terminated (round $k)"
    out=$(report lingyin-platform --category hazard.flood --severity IV --risk low --channel patrol \
        --place lingyin --title "会话被终止后 $k" --external-ref "C-$k" --timeout-ms 30000)
    assert_match '^incident [0-9]+ ' "$out" "report after the session was terminated (round $k)"
done
check_reconnected
server_stop
