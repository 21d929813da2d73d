#!/usr/bin/env bash
# integ_two_servers: one fengqiaod per database (the serving lock,
# migrations/0012, docs/operations.md).
#
#  1. A serves. B, started on the same database with the default
#     --if-locked exit, says who holds it and exits with status 3, having
#     served nothing.
#  2. B with --if-locked wait (a standby): binds no endpoint (a report to it
#     gets no answer, none stored) until A stops, then takes over, binds and
#     serves.
#  3. B loses its connection and, before it is back, someone else takes the
#     lock: B stops serving (its endpoint is unbound: no answer, nothing
#     stored) and starts again as a standby until the lock is free again
#     (a warm one: loaded afresh; what another server did meanwhile is
#     caught up when it takes over),
#     then claims it, catches up and serves. Its ready file is there only
#     while it serves.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

b_report() { # TITLE [TIMEOUT_MS]: one report to B, prints the reply line
    "$FQ_RAW_PEER" --url "$B_URL" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
        --timeout-ms "${2:-20000}" report --title "$1" 2>/dev/null
}

server_start
line=$(raw lingyin-platform report --title 甲服务)
assert_match '^reply status=ok ' "$line" "a report to A"

# ---- 1. a second server exits, saying who serves ----
second_server_start exit
rc=0
wait_for_pid "$B_PID" 30 || rc=$?
assert_eq 3 "$rc" "exit status of a second server (--if-locked exit)"
grep -qE 'another fengqiaod is serving this database \(PostgreSQL backend pid [0-9]+' "$B_LOG" ||
    fail "B does not say who holds the database: $(grep comp=store "$B_LOG" | tail -n 3)"
grep -q 'exiting with status 3' "$B_LOG" || fail "B does not say it exits: $(tail -n 3 "$B_LOG")"
[ ! -e "$B_READY" ] || fail "B wrote its ready file: it served"
check_log "$B_LOG"
assert_server_alive "A after B gave up"
line=$(raw lingyin-platform report --title 甲仍服务)
assert_match '^reply status=ok ' "$line" "a report to A after B gave up"

# ---- 2. --if-locked wait: B waits, then takes over ----
second_server_start wait --if-locked wait --hold-ms 2000
wait_match "$B_LOG" 'another fengqiaod is serving this database .*waiting until it stops' 30 "server B"
before=$(q "SELECT count(*) FROM incidents")
line=$(b_report 乙等待 1500)
assert_eq no_reply "$line" "a report to a waiting B (nothing bound)"
assert_eq "$before" "$(q "SELECT count(*) FROM incidents")" "incidents after a report to a waiting B"
[ ! -e "$B_READY" ] || fail "B served while A held the database"
pid_alive "$B_PID" || fail "B (--if-locked wait) exited"
server_stop
wait_present "$B_READY" 30 "server B ready"
wait_match "$B_LOG" 'the other server let go' 5 "server B"
line=$(b_report 乙接管)
assert_match '^reply status=ok ' "$line" "a report to B once A stopped"

# ---- 3. the lock lost on a reconnect: B stops writing until it has it again ----
take_serving_lock
wait_match "$B_LOG" 'lost PostgreSQL' 30 "server B"
wait_match "$B_LOG" 'this server stops serving and starts again as a standby' 30 "server B"
wait_match "$B_LOG" 'stopped serving; starting again as a standby' 30 "server B"
# Not ready without the lock: B's ready file is gone until it holds it again.
[ ! -e "$B_READY" ] || fail "B's ready file stayed while another session held the lock"
before=$(q "SELECT count(*) FROM incidents")
line=$(b_report 乙失锁 1500)
assert_eq no_reply "$line" "a report to B while another session holds the lock (unbound)"
assert_eq "$before" "$(q "SELECT count(*) FROM incidents")" "incidents written without the lock"
# It is a warm standby again, loaded afresh (nothing of what it held while
# it served is kept). Meanwhile the other server concludes an incident: B
# catches up on it when it takes over.
wait_match "$B_LOG" 'msg="standby \(warm, at event [0-9]+\): [0-9]+ open incidents loaded' 30 \
    "server B, a warm standby again"
victim=$(q "SELECT min(id) FROM incidents WHERE state = 'assigned'")
[ -n "$victim" ] || fail "no open incident to conclude"
q "UPDATE incidents SET state = 'concluded' WHERE id = $victim" >/dev/null
append_events "SELECT $victim::bigint AS incident_id, 'concluded' AS kind, NULL::text AS actor_node,
                      NULL::timestamptz AS at, 'by the other server' AS reason, NULL::bytea AS payload"
head=$(q "SELECT seq FROM event_chain_head")
release_serving_lock
wait_match "$B_LOG" 'the other server let go' 30 "server B"
wait_present "$B_READY" 30 "server B ready"
wait_match "$B_LOG" "msg=\"took over at event $head: caught up from event" 5 "server B's catch-up"
open=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
wait_match "$B_LOG" "comp=routing msg=\"village.* open $open deadlines" 10 \
    "server B's open incidents (the one concluded while it stood by is gone)"
line=$(b_report 乙复得)
assert_match '^reply status=ok ' "$line" "a report to B once it holds the lock again"
assert_eq "$((before + 1))" "$(q "SELECT count(*) FROM incidents")" "incidents after B claimed the lock again"

kill -TERM "$B_PID"
rc=0
wait_for_pid "$B_PID" 20 || rc=$?
assert_eq 0 "$rc" "B's exit status on SIGTERM"
check_log "$B_LOG"
