#!/usr/bin/env bash
# integ_warm_standby: a warm standby fengqiaod (docs/operations.md, "A
# standby") takes over with the state a cold start would load.
#
#  A serves; five incidents exist before B starts. B (--if-locked wait)
#  loads them while it waits and says where it is ("standby (warm, at
#  event N)"). Then, on A only: four new incidents, an acknowledgement (a
#  case changed), two closures (one B loaded at start, one it never saw
#  open), and X, a fire whose acknowledge limit (15 s) passes after the
#  kill. A is killed with SIGKILL. B takes the lock, catches up from its
#  point and serves:
#   - a report at the place of a new incident is merged into it (B's
#     duplicate index has what came after its load);
#   - reports at the places of the two concluded incidents are not merged
#     (what closed left B's index, including one B loaded itself);
#   - X's limit fires on B after the take-over (its deadline came with the
#     catch-up), and nowhere before; it climbs to the district and breaches
#     there;
#   - B's open incidents and pending deadlines equal those of a cold start
#     on the same database afterwards (C, started when B stops);
#   - every report is stored exactly once, and the history chain verifies.
# The time from taking the lock to serving is logged (not asserted).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
add_terminal t1 "$W1"
add_terminal t2 "$W2"
# Fires: 15 s to acknowledge (warning at 12 s), at village tier; everything
# else by the built-in principle (limits of hours).
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_warm_standby', 'short limits for fires', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.fire', 0, 0, 'village', NULL, '{}', 15, 12, 3600, 60);" >/dev/null

id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
terminal_of() { # incident id: the terminal of its worker
    case "$(q "SELECT worker FROM incidents WHERE id = $1")" in
    "$W1") echo t1 ;;
    "$W2") echo t2 ;;
    *) fail "incident $1 has no worker of a terminal" ;;
    esac
}
# village REF N [category]: a report at village tier in lingyin-v1-g1, at a
# place of its own (N km apart: no two are duplicates); prints the reply.
village() {
    report lingyin-platform --json --category "${3:-dispute.neighbour}" --severity IV --risk low \
        --channel hotline --place lingyin-v1-g1 --lon "$(printf '120.%02d' "$2")" --lat 30.25 \
        --title "噪音 $1" --external-ref "$1"
}
open_of() { # log: the open incidents and deadlines of its last stats line, "N|M"
    grep 'comp=routing msg="village' "$1" | tail -n 1 | sed -E 's/.*open ([0-9]+) deadlines ([0-9]+).*/\1|\2/'
}

# ---- A serves; five incidents before B exists ----
server_start --if-locked wait --presence-timeout 600
A_PID=$SERVER_PID
A_LOG=$SERVER_LOG
for i in 1 2 3 4 5; do village "P-$i" "$i" >/dev/null; done

# ---- B: a warm standby ----
second_server_start standby --if-locked wait --presence-timeout 600
wait_match "$B_LOG" 'msg="standby \(warm, at event [0-9]+\): 5 open incidents loaded' 60 "server B"
loaded_at=$(grep -oE 'standby \(warm, at event [0-9]+\): 5 open' "$B_LOG" | head -n 1 | grep -oE '[0-9]+' | head -n 1)
assert_eq "$(q "SELECT seq FROM event_chain_head")" "$loaded_at" "B's point is the chain head it loaded with"
! grep -q "intake listening" "$B_LOG" || fail "the standby bound its intake"
# The lookup connection is the serving server's: A's only, none of B's.
lookup_sessions() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fengqiaod-lookups'"; }
assert_eq 1 "$(lookup_sessions)" \
    "lookup sessions while B stands by (A's)"
[ ! -e "$B_READY" ] || fail "the standby has a ready file"

# ---- on A only, after B loaded ----
for i in 1 2 3 4; do village "N-$i" "$((10 + i))" >/dev/null; done
p1=$(id_of P-1) p2=$(id_of P-2) n2=$(id_of N-2)
term t1 watch --once >/dev/null
term t2 watch --once >/dev/null
for id in "$p1" "$p2" "$n2"; do
    term "$(terminal_of "$id")" ack "$id" >/dev/null || fail "ack $id on A"
done
for id in "$p1" "$n2"; do
    term "$(terminal_of "$id")" conclude "$id" --note 办结 >/dev/null || fail "conclude $id on A"
done
assert_eq "concluded|acknowledged|concluded" \
    "$(q "SELECT string_agg(coalesce(assignment, state), '|' ORDER BY array_position(ARRAY[$p1, $p2, $n2]::bigint[], id))
            FROM (SELECT id, CASE WHEN state = 'assigned' THEN assignment END AS assignment, state FROM incidents
                  WHERE id IN ($p1, $p2, $n2)) s")" \
    "P-1 and N-2 concluded, P-2 acknowledged on A"
# A is killed the moment X is acknowledged (its id is read afterwards from
# the database), so X's 12 s warning cannot fall due on A however slow the
# machine.
village X 30 hazard.fire >/dev/null
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null || true
SERVER_PID=""
killed_seq=$(q "SELECT seq FROM event_chain_head")
x=$(id_of X)
assert_eq 0 "$(q "SELECT count(*) FROM events WHERE incident_id = $x AND kind IN ('ack_warning', 'escalated')")" \
    "X untouched by its limits when A was killed"
log "A killed at event $killed_seq; B loaded at event $loaded_at"

# ---- B takes over ----
wait_match "$B_LOG" 'msg="took over at event' 60 "server B"
for ((i = 0; i < 200; i++)); do [ -s "$B_READY" ] && break; sleep 0.05; done
[ -s "$B_READY" ] || fail "B took over but has no ready file"
took=$(grep -oE 'took over at event [0-9]+: caught up from event [0-9]+, [0-9]+ incidents re-read \([^)]*\); serving [0-9.]+ s' "$B_LOG")
log "B: $took"
assert_match "took over at event $killed_seq:" "$took" "B caught up to the chain head at the kill"
grep -qE 'intake listening' "$B_LOG" || fail "B did not bind its intake"
SERVER_URL=$B_URL
TERMINALS_URL=$B_TERMINALS

# What A did after B loaded is B's now: every open incident, none closed.
wait_match "$B_LOG" 'comp=routing msg="village.*open 8 deadlines' 30 "B's open incidents after the take-over"
assert_eq 8 "$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")" "open incidents in the database"

# A duplicate of an incident B never loaded: merged into it.
n1=$(id_of N-1)
assert_eq "$n1" "$(village D-1 11 | jq -r .routing.merged_into)" "a duplicate of N-1 (new since B loaded) merged on B"
# Duplicates of the concluded ones: new incidents.
for ref in P-1:1 N-2:12; do
    r=$(village "D-${ref%%:*}" "${ref##*:}")
    assert_eq null "$(jq -r .routing.merged_into <<<"$r")" "a duplicate of concluded ${ref%%:*} is not merged ($r)"
    assert_eq assigned "$(q "SELECT state FROM incidents WHERE external_ref = 'D-${ref%%:*}'")" "D-${ref%%:*} dispatched"
done

# X's limit fires on B, after the take-over.
wait_q "SELECT count(*) > 0 FROM events WHERE incident_id = $x AND kind = 'escalated'" t 60
assert_eq 0 "$(q "SELECT count(*) FROM events WHERE incident_id = $x AND kind = 'escalated' AND seq <= $killed_seq")" \
    "X escalated only after the kill"
log "X escalated by B at event $(q "SELECT min(seq) FROM events WHERE incident_id = $x AND kind = 'escalated'")"
# Serving, B looks reports up on a connection of its own (A's went with A).
for ((i = 0; i < 300; i++)); do [ "$(lookup_sessions)" = 1 ] && break; sleep 0.1; done
assert_eq 1 "$(lookup_sessions)" "lookup sessions after the take-over (B's)"

# ---- B's state against a cold start ----
# Once X has climbed to the district and breached there (its limits are
# short at every tier), every pending limit is hours away: B's state and a
# cold start's a few seconds later must be the same.
wait_match "$B_LOG" 'comp=routing msg="village.*breaches at the top 1 \| open 10 deadlines' 120 \
    "X breached at the top on B"
sleep 1.2 # one more stats line, after the breach's write
b_state=$(open_of "$B_LOG")
kill -TERM "$B_PID"
rc=0
wait_for_pid "$B_PID" 20 || rc=$?
assert_eq 0 "$rc" "B's exit status on SIGTERM"
SERVER_PID=""
server_start --presence-timeout 600
C_LOG=$SERVER_LOG
# C's stats lines start before its open incidents are loaded (their first
# ones say "open 0"): the line that counts is one after the load.
wait_match "$C_LOG" 'comp=routing msg="rule set .* [0-9]+ open incidents' 60 "server C's load"
after_load() { sed -n '/comp=routing msg="rule set /,$p' "$C_LOG" >"$WORK/C.after-load.log"; }
for ((i = 0; i < 300; i++)); do
    after_load
    grep -q 'comp=routing msg="village' "$WORK/C.after-load.log" && break
    sleep 0.1
done
assert_eq "$b_state" "$(open_of "$WORK/C.after-load.log")" "open incidents|deadlines: B after the take-over, C cold"
server_stop

# ---- nothing lost or doubled; the chain verifies ----
assert_eq 0 "$(q "SELECT count(*) - count(DISTINCT external_ref) FROM incidents")" "doubled incidents"
assert_eq 13 "$(q "SELECT count(*) FROM incidents")" "incidents: 5 + 4 + X + 3 duplicates"
out=$(admin verify) || fail "the history chain does not verify after the take-over: $out"
check_log "$B_LOG"
check_log "$A_LOG"
log "ok: $took"
