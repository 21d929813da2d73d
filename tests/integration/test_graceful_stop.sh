#!/usr/bin/env bash
# integ_graceful_stop: SIGTERM while 16 reports wait for their commit (held
# back by a table lock). The server takes no new requests, answers all 16 ok
# once they commit, exits 0, and its log is clean.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
# A stopping server gives what is in flight the hold bound and a second
# (--hold-ms): 31 s here, so that the checks between SIGTERM and the lock's
# release (a client started, the ready file gone) fit in it on a machine
# whatever its load (CI at a load of 30 took longer than the default 3 s).
server_start --hold-ms 30000

# Inserts into incidents wait while another session holds SHARE on it. The
# lock is held until the test releases it (cancelling that session's sleep),
# not for a time: however slow the machine, the reports are still waiting at
# SIGTERM.
spawn env PGAPPNAME=integ_locker psql -X -q -d "$FQ_DB" -c "BEGIN; LOCK TABLE incidents IN SHARE MODE; SELECT pg_sleep(600); COMMIT;"
locker=$BG_PID
wait_q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE c.relname = 'incidents' AND l.mode = 'ShareLock' AND l.granted" 1 60

for i in $(seq 1 16); do
    printf '{"category":"dispute.labour","severity":"III","risk":"medium","channel":"walk_in","place_unit":"lingyin-v1","title":"欠薪投诉 %d","external_ref":"STOP-%02d"}\n' "$i" "$i"
done >"$WORK/inflight.jsonl"
# The reports wait behind the lock for as long as the test's steps take: the
# client must not take that silence for a gone server (--answer-wait-ms; by
# default it sends again on fresh sockets after 3 s, which the stopping
# server no longer reads, and the answers to the first copies are lost).
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 30000 --answer-wait-ms 60000 <"$WORK/inflight.jsonl" >"$WORK/inflight.out" 2>"$WORK/inflight.err"
client=$BG_PID

# The server's insert is queued behind the lock: the reports are in flight.
wait_q "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database()
        AND wait_event_type = 'Lock'" t 60
# All 16 have arrived once the server's statistics (every second) say so.
for ((i = 0; i < 1200; i++)); do
    grep -q "in-flight 16 " "$SERVER_LOG" && break
    sleep 0.05
done
grep -q "in-flight 16 " "$SERVER_LOG" || fail "the server never had 16 requests in flight: $(grep stats "$SERVER_LOG" | tail -n 1)"
[ "$(wc -l <"$WORK/inflight.out")" = 0 ] || fail "reports were answered before the lock was released"
log "sending SIGTERM with the reports in flight"
kill -TERM "$SERVER_PID"

# A request arriving now is not taken on.
late=$(raw lingyin-platform --timeout-ms 1000 report --title 停机后的请求 --external-ref STOP-LATE 2>/dev/null)
log "request after SIGTERM: $late"
[[ $late == "reply status=ok"* ]] && fail "a request sent after SIGTERM was accepted"
# Draining is not ready: the ready file is gone while the 16 still wait.
wait_gone "$(server_ready_file)" 10 "the ready file while the server drains"
server_alive || fail "the server exited before its reports were answered"

# Release the lock: the 16 commit and are answered.
assert_eq t "$(q "SELECT bool_or(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = 'integ_locker'")" \
    "the lock holder's session cancelled"
rc=0
wait_for_pid "$client" 120 || rc=$?
cat "$WORK/inflight.err" >&2
assert_eq 0 "$rc" "fq-report exit status"
assert_eq 16 "$(jq -r 'select(.status == "ok" and .incident_id > 0) | .line' "$WORK/inflight.out" | sort -u | wc -l)" \
    "in-flight reports answered ok"
server_wait 0
wait_for_pid "$locker" 10 || true

grep -q "received signal 15: no new requests; finishing 16 in flight" "$SERVER_LOG" ||
    fail "the server did not report 16 requests in flight at SIGTERM: $(grep 'received signal' "$SERVER_LOG")"
grep -q "stopped" "$SERVER_LOG" || fail "no 'stopped' line in the log"
assert_eq 16 "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'STOP-%'")" "stored in-flight reports"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'STOP-LATE'")" "the late request"
assert_eq "$(jq -r '.incident_id' "$WORK/inflight.out" | sort -n)" \
    "$(q "SELECT id FROM incidents WHERE external_ref LIKE 'STOP-%' ORDER BY id")" "incident ids"
