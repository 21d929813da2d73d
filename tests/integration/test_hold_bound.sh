#!/usr/bin/env bash
# integ_hold_bound: PostgreSQL away for longer than the server's hold bound
# (--hold-ms), with the clients' answer wait (FQC_ANSWER_WAIT_MS) shorter than
# the outage (docs/operations.md, "When PostgreSQL goes away"; docs/ha.md).
# The outage: the test database refuses connections (ALLOW_CONNECTIONS false)
# and the server's sessions are ended, so the server keeps trying and failing
# until the test lets it in again.
#
#  A. --hold-ms 1000. A report whose transaction is in flight when the
#     session ends (a lock holds its INSERT) may have committed: it is not
#     answered BUSY by the hold bound, however long the outage (3 s here), but
#     from its commit on the next connection: OK, one incident. A report sent
#     during the outage (nothing sent to PostgreSQL for it) is answered BUSY
#     after the hold bound.
#  B. The defaults (hold 2 s, answer wait 3 s), a paced stream through
#     fq-report --window 16 and a 6 s outage: the reports held are answered
#     BUSY and sent again after the hint (with jitter); one whose
#     transaction was in flight at the outage waits for its commit, and its
#     copy, sent on a socket opened afresh after 3 s of silence, is answered
#     with it. Every report answered
#     OK and stored once (a resend never doubles one), and no report is sent
#     more than a handful of times (the clients back off: no storm).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
DB_NAME="test_$FQ_TEST_NAME"
BASE_DB=${FQ_DB/dbname=$DB_NAME/dbname=fengqiao}
# bq SQL: a statement on the cluster's own database (the test's refuses
# connections during an outage).
bq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$BASE_DB" -c "$1"; }
db_away() { # the database refuses the server: its sessions end, it cannot come back
    bq "ALTER DATABASE $DB_NAME ALLOW_CONNECTIONS false" >/dev/null
    bq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DB_NAME'" >/dev/null
    AWAY_AT=$(now_ms)
}
db_back() { bq "ALTER DATABASE $DB_NAME ALLOW_CONNECTIONS true" >/dev/null; }
CLEANUPS+=("db_back 2>/dev/null")

LOCKER_APP="fq_locker_$$"
lock_incidents() { # every INSERT INTO incidents waits until the locker's session ends
    PGAPPNAME="$LOCKER_APP" spawn psql -X -q -d "$FQ_DB" \
        -c "BEGIN; LOCK TABLE incidents IN EXCLUSIVE MODE; SELECT pg_sleep(600); COMMIT;" >/dev/null 2>&1
    wait_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.application_name = '$LOCKER_APP' AND l.relation = 'incidents'::regclass
            AND l.granted" 1 30
}

# ---- A. in doubt: answered from its commit, never BUSY by the hold bound ----
# (No duplicate merging: the report held would wait for the one in doubt.)
server_start --hold-ms 1000 --dedup-window-min 0
lock_incidents
raw lingyin-platform --timeout-ms 60000 report --title 提交途中 --external-ref DOUBT-1 >"$WORK/doubt.out" &
doubt_pid=$!
BG_PIDS+=("$doubt_pid")
# Its transaction is in flight: the server's session waits for the lock.
wait_q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND wait_event_type = 'Lock' AND application_name <> '$LOCKER_APP'" 1 30
db_away # the locker's session ends with the server's
log "the database refuses the server; a report's transaction was in flight"

t0=$(now_ms)
busy=$(raw lingyin-platform --timeout-ms 20000 report --title 停库期间 --external-ref HELD-1 2>/dev/null)
ms=$(($(now_ms) - t0))
log "a report sent during the outage: after $ms ms: $busy"
assert_match '^reply status=busy signed=1 .*retry_after_ms=[1-9]' "$busy" "a report held during the outage"
((ms >= 900)) || fail "BUSY came after $ms ms, before the hold bound (1000 ms)"

# Three hold bounds into the outage, the report in doubt is still unanswered.
while (($(now_ms) - AWAY_AT < 3000)); do sleep 0.1; done
pid_alive "$doubt_pid" || fail "the report in doubt was answered during the outage: $(cat "$WORK/doubt.out")"
db_back
log "the database takes connections again"
wait_for_pid "$doubt_pid" 60 || fail "the report in doubt got no answer after the outage"
line=$(cat "$WORK/doubt.out")
log "the report in doubt, $(($(now_ms) - AWAY_AT)) ms after the outage began: $line"
assert_match '^reply status=ok signed=1 .* duplicate=0 ' "$line" "the report in doubt, answered from its commit"
assert_eq "1|$(reply_field "$line" incident)" \
    "$(q "SELECT count(*), min(id) FROM incidents WHERE external_ref = 'DOUBT-1'")" "its incident, once"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'HELD-1'")" "the report answered BUSY"
server_stop

# ---- B. a stream through a 6 s outage, the defaults ----
server_start
COUNT=300
stream_input S "$COUNT" "$WORK/S.jsonl"
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 120000 \
    < <(paced "$WORK/S.jsonl") >"$WORK/S.out" 2>"$WORK/S.err"
client=$BG_PID
end=$((SECONDS + 120))
until [ "$(ok_lines "$WORK/S.out")" -ge 50 ]; do
    ((SECONDS < end)) || fail "fewer than 50 reports acknowledged in 120 s"
    sleep 0.05
done
pid_alive "$client" || fail "the stream finished before the outage"
db_away
log "the database refuses the server for 6 s, after $(ok_lines "$WORK/S.out") acknowledgements"
while (($(now_ms) - AWAY_AT < 6000)); do sleep 0.1; done
db_back
rc=0
wait_client "$client" 120 || rc=$?
tail -n 3 "$WORK/S.err" >&2
[ "$rc" = 0 ] || fail "fq-report exit status $rc ($(tail -n 1 "$WORK/S.err"))"
assert_eq "$COUNT" "$(ok_lines "$WORK/S.out")" "reports acknowledged"
check_acked_stored S "$WORK/S.out"
assert_eq "$COUNT|$COUNT" "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE 'S-%'")" \
    "incidents: each report once"
# Sent again: after BUSY (the hint, 1-1.5 s) or after 3 s of silence (then
# 6-9 s): in a 6 s outage a report goes out a few times, not tens.
resent=$(jq -r 'select(.attempts > 1) | .line' "$WORK/S.out" | wc -l)
most=$(jq -r '.attempts' "$WORK/S.out" | sort -n | tail -n 1)
log "$resent reports sent more than once; the most sends of one: $most"
[ "$resent" -gt 0 ] || fail "no report was sent again: the outage held nothing"
((most <= 8)) || fail "a report was sent $most times in a 6 s outage: the clients do not back off"
out=$(admin verify) || fail "the history chain does not verify: $out"
server_stop
