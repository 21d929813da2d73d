#!/usr/bin/env bash
# integ_demo_day: the README's main command, examples/demo-day.sh, on the
# build under test, with its own PostgreSQL: three simulated hours at 1440×
# (under 10 s of reports). It must end well, every report must be stored,
# terminals must have acknowledged and concluded cases, and the day's
# statistics must be printed; run twice, the same seed creates nothing new;
# afterwards the server runs with the district's real limits again.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

build=$(cd "$(dirname "$FQ_SERVERD")/.." && pwd)
demo() {
    FQ_DEMO_PREBUILT=1 FQ_DEMO_BUILD="$build" FQ_DEMO_STATE="$WORK/demo" FQ_DEMO_SPEEDUP=1440 \
        FQ_DEMO_HOURS=3 FQ_DEMO_REPORTS=120 FQ_DEMO_SEED=42 FQ_DEMO_INTAKE_PORT="$iport" \
        FQ_DEMO_TERMINALS_PORT="$tport" "$FQ_SRC_DIR/examples/demo-day.sh" "$@"
}
iport=$(free_port)
tport=$(free_port)
[ "$tport" != "$iport" ] || tport=$(free_port)
CLEANUPS+=("demo stop >/dev/null 2>&1 || true")
demo >"$WORK/day1.out" 2>"$WORK/day1.err" || fail "demo-day.sh failed: $(tail -n 20 "$WORK/day1.err")"
grep -q "day done: reports 120" "$WORK/day1.out" || fail "no summary line: $(tail -n 5 "$WORK/day1.out")"
grep -q "^GROUP " "$WORK/day1.out" || fail "no statistics in the output"
FQ_DB=$("$PG_PRIVATE" conninfo "$WORK/demo/pg")
export FQ_DB
assert_eq 120 "$(q "SELECT count(*) FROM incidents")" "every report stored"
acked=$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'acknowledged'")
concluded=$(q "SELECT count(*) FROM incidents WHERE state = 'concluded'")
((acked > 0 && concluded > 0)) || fail "terminals acknowledged $acked and concluded $concluded"
log "day 1: 120 reports, $acked acknowledged, $concluded concluded"
demo >"$WORK/day2.out" 2>"$WORK/day2.err" || fail "second run failed: $(tail -n 20 "$WORK/day2.err")"
assert_eq 120 "$(q "SELECT count(*) FROM incidents")" "the same seed again creates nothing new"
# The day ends with the district's real limits: the active rule set is the
# original one again, and the running server gives a new report real time
# (the demo's limits are the real ones / 1440: seconds).
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
