#!/usr/bin/env bash
# integ_working_time: limits in working time on the district's calendar
# (docs/calendar.md, docs/routing.md), through the real server. The demo
# district with three working-time rules added; every expected instant is
# computed by working_time.py from the calendar file alone (not by the C code):
#
# A. A calendar in which today and tomorrow are holidays and the next weekend
#    day a make-up working day: a report's acknowledgement (RoutingOutcome)
#    gives the acknowledge and conclude limits across the holiday, the stored
#    warnings are taken back in working time; the routing event says
#    working_time, the console's IncidentSummary too (a natural-time case
#    does not). A': suspended and resumed on the holiday, its limits stay
#    (no working time passed while it was suspended).
# B. The server restarted (open incidents reloaded): the worker asks for
#    "+1d" on the working-time case: the close of the next working day after
#    the conclude limit; approved, the warning keeps a working day before it.
# C. A 4-second working-time limit reported on the holiday is due 4 s into
#    the next working period, and does not fire.
# D. A calendar whose working periods cover now: the same 4-second limit is
#    due 4 s later, and its warning and its escalation fire (polled).
# Also: import-topology counts the working-time rules, warns while the
# district has no calendar; rules list shows the basis; a working-time rule
# deciding severity I/II, a limit mixing days with hours and "24h" are
# refused with clear messages.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXAMPLE="$FQ_SRC_DIR/examples/westlake-topology.json"
WT="$FQ_SRC_DIR/tests/integration/working_time.py"
GRID=beishan-c1-g1

db_create
server_key_create
admin migrate >/dev/null

# The example plus: A's rule (3 working hours, 2 working days), C/D's rule
# (4 working seconds), both severity IV; the example's own elderly care rule
# is in working time already.
jq '.rules += [
      {category: "social_assistance", severity: "IV", tier: "village", time: "working",
       ack: "3h", ack_warn: "1h", conclude: "2d", conclude_warn: "1d"},
      {category: "city_appearance", severity: "IV", tier: "village", time: "working",
       ack: "4s", ack_warn: "2s", conclude: "1h", conclude_warn: "10m"}]' \
    "$EXAMPLE" >"$WORK/topology.json"

# ---- refusals of the file (nothing imported) ----
refused() { # what regex jq-filter
    local out rc=0
    jq "$3" "$WORK/topology.json" >"$WORK/bad.json"
    out=$(admin import-topology "$WORK/bad.json" 2>&1) || rc=$?
    log "$1: exit $rc: $out"
    assert_eq 1 "$rc" "exit status ($1)"
    assert_match "$2" "$out" "message ($1)"
    assert_eq 0 "$(q "SELECT count(*) FROM org_units")" "nothing imported ($1)"
}
refused "emergency in working time" \
    'rule [0-9]+ \(dispute.family, any severity, any risk\) counts working time but decides dispute.family at severity I, low risk: emergencies \(severity I and II\) stay natural time' \
    '.rules += [{category: "dispute.family", tier: "village", time: "working", ack: "1h", ack_warn: "10m", conclude: "5d", conclude_warn: "1d"}]'
refused "days mixed with hours" \
    'rules\[11\]\.conclude: "1d4h" mixes days with hours under working time' \
    '.rules[11].conclude = "1d4h"'
refused "hours that make whole days" \
    'rules\[11\]\.conclude: "48h" is a whole number of days: under working time write it in days \("2d" = 2 working days\)' \
    '.rules[11].conclude = "48h"'
refused "unknown time" "rules\[11\]\.time: unknown time 'office' \(natural or working\)" \
    '.rules[11].time = "office"'

# ---- the import: counted, and a warning while xihu has no calendar ----
admin import-topology "$WORK/topology.json" >"$WORK/import.out" 2>"$WORK/import.err" ||
    fail "import: $(cat "$WORK/import.err")"
log "import: $(tr '\n' ';' <"$WORK/import.err")"
assert_match 'rules +3 in working time' "$(cat "$WORK/import.out")" "import counts working-time rules"
assert_match 'warning: 3 rules count working time, and district xihu has no working calendar' \
    "$(cat "$WORK/import.err")" "import warns of the missing calendar"
assert_eq "3" "$(q "SELECT count(*) FROM rules WHERE time_basis = 'working'")" "rules stored with their basis"
assert_match 'social_assistance +IV +any +village +default +- +3h +1h +2d +1d +working' \
    "$(admin rules list)" "rules list shows the basis"
assert_match 'petition +any +any +town +default +petitions +30m +10m +7d +1d +natural' \
    "$(admin rules list)" "rules list: natural time"

now=$(now_ms)
python3 "$WT" calendar-a "$WORK/cal-a.json" "$now"
admin calendar import "$WORK/cal-a.json" >/dev/null
admin import-topology "$WORK/topology.json" >/dev/null 2>"$WORK/import2.err"
[ ! -s "$WORK/import2.err" ] || fail "import warned with a calendar: $(cat "$WORK/import2.err")"

add_node beishan-platform town_platform beishan
add_node ops console xihu
for w in w1 w2; do
    admin node add "t-$w" --role terminal --serves-worker "$GRID-$w" --key-out "$WORK/keys/t-$w.key" >/dev/null 2>&1
done
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --dedup-window-min 0 --presence-timeout 600 --console "$CONSOLE_URL"

wt() { python3 "$WT" "$@"; }
con() { "$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node ops --key-file "$(key_of ops)" "$@"; }
rep() { # ref category
    report beishan-platform --json --category "$2" --severity IV --risk low --channel hotline \
        --place "$GRID" --title "工作时间 $1" --external-ref "$1"
}
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
ms_of() { # incident column
    q "SELECT round(extract(epoch FROM $2) * 1000)::bigint FROM incidents WHERE id = $1"
}
# The RoutingOutcome stored with the routing event (written once the
# incident is: waited for): its field 13 (working_time).
outcome_working() {
    wait_q "SELECT count(*) FROM events WHERE incident_id = $1 AND kind = 'assigned'" 1
    q "SELECT encode(payload, 'hex') FROM events WHERE incident_id = $1 AND kind = 'assigned'" |
        python3 "$FQ_SRC_DIR/tests/integration/pbfields.py" 13
}
console_working() { con incident "$1" | jq -r 'select(.id == '"$1"') | .working_time' | head -n 1; }

# ---- A: due times across the holiday ----
out=$(rep WT-A social_assistance) || fail "report A: $out"
a=$(id_of WT-A)
ack_due=$(jq -r .routing.acknowledge_due_ms <<<"$out")
conclude_due=$(jq -r .routing.conclude_due_ms <<<"$out")
want_ack=$(wt "$WORK/cal-a.json" add-work "$now" $((3 * 3600000)))
want_conclude=$(wt "$WORK/cal-a.json" add-days "$now" 2)
log "A: acknowledge due $(date -u -d "@$((ack_due / 1000))" +%FT%TZ), conclude due $(date -u -d "@$((conclude_due / 1000))" +%FT%TZ)"
assert_eq "$want_ack" "$ack_due" "A: acknowledge limit (3 working hours after the holiday)"
assert_eq "$want_conclude" "$conclude_due" "A: conclude limit (the close of the 2nd working day)"
assert_eq "$(wt "$WORK/cal-a.json" sub-work "$ack_due" 3600000)" "$(ms_of "$a" ack_warn_at)" \
    "A: acknowledge warning a working hour before"
day_ms=$(wt "$WORK/cal-a.json" day-ms)
assert_eq "$(wt "$WORK/cal-a.json" sub-work "$conclude_due" "$day_ms")" "$(ms_of "$a" conclude_warn_at)" \
    "A: conclude warning a working day before"
assert_eq 1 "$(outcome_working "$a")" "A: the routing event's outcome says working time"
assert_eq true "$(console_working "$a")" "A: the console's summary says working time"
out=$(rep WT-N dispute.neighbour) || fail "report N: $out"
assert_eq 0 "$(outcome_working "$(id_of WT-N)")" "N: natural time in the outcome"
assert_eq false "$(console_working "$(id_of WT-N)")" "N: natural time in the console"

# ---- A': a suspension (中止) on the holiday moves no working-time limit ----
# No working time passes while it is suspended on a holiday: resumed, its
# limits are where they were (natural time would have moved them by the
# pause; integ_suspension shows that).
con command suspend "$a" --reason "等待鉴定" >/dev/null
sleep 1 # a pause of at least a second, all of it on the holiday
con command resume "$a" --reason "鉴定已出" >/dev/null
assert_eq "$want_ack $want_conclude" "$(ms_of "$a" ack_due) $(ms_of "$a" conclude_due)" \
    "A': resumed on the holiday: the same working-time limits"
assert_eq "$(wt "$WORK/cal-a.json" sub-work "$ack_due" 3600000)" "$(ms_of "$a" ack_warn_at)" \
    "A': the same acknowledge warning"

# ---- C: a 4-second limit on the holiday waits for the next working period ----
out=$(rep WT-C city_appearance) || fail "report C: $out"
c=$(id_of WT-C)
c_due=$(jq -r .routing.acknowledge_due_ms <<<"$out")
assert_eq "$(wt "$WORK/cal-a.json" add-work "$now" 4000)" "$c_due" "C: due 4 s into the next working period"
assert_eq "$(wt "$WORK/cal-a.json" sub-work "$c_due" 2000)" "$(ms_of "$c" ack_warn_at)" "C: warned 2 s before"
c_reported=$(now_ms)

# ---- B: restarted, "+1d" on the working-time case ----
server_stop
# As if it had climbed a tier when it was decided: a restart reloads that
# (the approval below writes the decision back, and once wrote 0 over it).
q "UPDATE incidents SET climbed = 1 WHERE id = $a" >/dev/null
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --dedup-window-min 0 --presence-timeout 600 --console "$CONSOLE_URL"
holder=t-$(q "SELECT substring(worker from '[^-]+\$') FROM incidents WHERE id = $a")
term_ok "$holder" ack "$a"
term_ok "$holder" extend "$a" --to +1d --note "需协调民政"
asked=$(q "SELECT round(extract(epoch FROM extension_asked) * 1000)::bigint FROM incidents WHERE id = $a")
assert_eq "$(wt "$WORK/cal-a.json" add-days "$conclude_due" 1)" "$asked" \
    "B: +1d asks for the close of the next working day after the limit"
con command approve "$a" --reason 同意 >/dev/null
assert_eq "$asked" "$(ms_of "$a" conclude_due)" "B: approved: the new conclude limit"
assert_eq 1 "$(q "SELECT climbed FROM incidents WHERE id = $a")" "B: the tiers climbed survive the restart and the approval"
assert_eq "$(wt "$WORK/cal-a.json" sub-work "$asked" "$day_ms")" "$(ms_of "$a" conclude_warn_at)" \
    "B: the warning stays a working day before the new limit"

# ---- D: working periods that cover now: the limit fires ----
python3 "$WT" calendar-b "$WORK/cal-b.json" "$(now_ms)"
before=$(directory_loads)
admin calendar import "$WORK/cal-b.json" >/dev/null
wait_directory_reload "$before"
t0=$(now_ms)
out=$(rep WT-D city_appearance) || fail "report D: $out"
t1=$(now_ms)
d=$(id_of WT-D)
d_due=$(jq -r .routing.acknowledge_due_ms <<<"$out")
d_conclude=$(jq -r .routing.conclude_due_ms <<<"$out")
((d_due >= t0 + 4000 - 1000 && d_due <= t1 + 4000 + 1000)) ||
    fail "D: acknowledge due $d_due, not 4 s after the report ($t0..$t1)"
assert_eq $((3600000 - 4000)) $((d_conclude - d_due)) "D: inside a working period working time runs as the clock"
wait_q "SELECT count(*) FROM events WHERE incident_id = $d AND kind = 'ack_warning'" 1 120
wait_q "SELECT count(*) FROM events WHERE incident_id = $d AND kind = 'escalated'
          AND reason LIKE 'acknowledge limit passed%'" 1 120
assert_eq t "$(q "SELECT min(at) >= to_timestamp(($d_due - 1000) / 1000.0) FROM events
                  WHERE incident_id = $d AND kind = 'escalated'")" "D: escalated at its limit, not before"
assert_eq 2 "$(q "SELECT tier FROM incidents WHERE id = $d")" "D: now at the town"

# C was reported before D; once twice its 4 seconds have passed in natural
# time (D's limit has fired meanwhile, so the timers run), on its calendar
# they have not even begun.
while (($(now_ms) < c_reported + 8000)); do sleep 0.2; done
assert_eq 0 "$(q "SELECT count(*) FROM events WHERE incident_id = $c AND kind IN ('ack_warning', 'escalated', 'breached')")" \
    "C: nothing fired on the holiday"
assert_eq "$c_due" "$(ms_of "$c" ack_due)" "C: its limit stands"

server_stop
log "ok"
