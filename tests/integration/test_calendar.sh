#!/usr/bin/env bash
# integ_calendar: fengqiao-admin calendar import and show with the shipped
# 2026 calendar of the West Lake demo district. The import stores the
# settings, the year and its 2026 holidays and make-up days; show counts the
# year's working days (248: 261 weekdays, 19 of them holidays, 6 make-up
# days); importing again replaces the year (no duplicates), another year in a
# second file leaves 2026 alone; broken files and an unknown district are
# refused and change nothing. A running server loads the calendars with its
# directory, reloads them after an import, and keeps its previous state when
# a calendar row is broken.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXAMPLE="$FQ_SRC_DIR/examples/calendar-2026.json"

db_create
admin migrate >/dev/null
admin import-topology "$FQ_SRC_DIR/examples/westlake-topology.json" >/dev/null

snapshot() {
    q "SELECT (SELECT string_agg(format('%s|%s|%s|%s', district, utc_offset_s, working_periods, working_weekdays), ',') FROM calendars),
              (SELECT string_agg(format('%s|%s', district, year), ',' ORDER BY year) FROM calendar_years),
              (SELECT string_agg(format('%s|%s|%s', day, working, name), ',' ORDER BY day) FROM calendar_days)"
}

out=$(admin calendar import "$EXAMPLE")
log "import: $out"
assert_match 'calendar of xihu: 2026 replaced \(33 holiday dates, 6 make-up working days\)' "$out" "import summary"
assert_eq "xihu|28800|{510,720,810,1050}|31" "$(q "SELECT district, utc_offset_s, working_periods, working_weekdays FROM calendars")" "settings"
assert_eq "33|6" "$(q "SELECT count(*) FILTER (WHERE NOT working), count(*) FILTER (WHERE working) FROM calendar_days")" "days"
assert_eq "春节调休上班" "$(q "SELECT name FROM calendar_days WHERE day = '2026-02-14' AND working")" "a make-up day"

out=$(admin calendar show 2026)
log "show: $(head -n 6 <<<"$out" | tr '\n' ';')"
assert_match '2026: 248 working days' "$out" "working days of 2026"
assert_match 'working hours: 08:30-12:00 13:30-17:30' "$out" "hours"
assert_match 'local time: UTC\+08:00' "$out" "offset"
assert_match '2026-10-10 Sat  working +国庆节调休上班' "$out" "the National Day make-up Saturday"
assert_match '2026-02-16 Mon  holiday +春节' "$out" "a Spring Festival Monday"

# The same file again: the year replaced, nothing doubled.
before=$(snapshot)
admin calendar import "$EXAMPLE" >/dev/null
assert_eq "$before" "$(snapshot)" "second import of the same file"

# Another year in another file: 2026 stays; the settings follow the last file.
jq '.years = [{"year": 2027, "source": "test", "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"}], "working_days": []}] | .working_hours = ["00:00-24:00"]' \
    "$EXAMPLE" >"$WORK/2027.json"
admin calendar import "$WORK/2027.json" >/dev/null
assert_eq "2026,2027" "$(q "SELECT string_agg(year::text, ',' ORDER BY year) FROM calendar_years")" "years after a second file"
assert_eq "40" "$(q "SELECT count(*) FROM calendar_days")" "days after a second file"
assert_match '2027: 260 working days' "$(admin calendar show 2027)" "working days of 2027 (whole days, only New Year's Day off)"

# Refusals change nothing.
expect_refused() { # what regex file
    local before out rc=0
    before=$(snapshot)
    out=$(admin calendar import "$3" 2>&1) || rc=$?
    log "$1: exit $rc: $out"
    assert_eq 1 "$rc" "exit status ($1)"
    assert_match "$2" "$out" "message ($1)"
    assert_eq "$before" "$(snapshot)" "database after a refused import ($1)"
}
jq '.district = "nowhere"' "$EXAMPLE" >"$WORK/nowhere.json"
expect_refused "unknown district" 'no district "nowhere"' "$WORK/nowhere.json"
jq '.district = "beishan"' "$EXAMPLE" >"$WORK/town.json"
expect_refused "a town, not a district" 'no district "beishan"' "$WORK/town.json"
jq '.years[0].working_days[0].date = "2026-01-05"' "$EXAMPLE" >"$WORK/monday.json"
expect_refused "make-up day on a Monday" 'years\[0\]\.working_days\[0\]\.date: 2026-01-05 is a Monday' "$WORK/monday.json"
printf '{"schema":' >"$WORK/truncated.json"
expect_refused "truncated" 'line 1, column 11: not valid JSON' "$WORK/truncated.json"

# The server loads the calendars with its directory (read-only for now) and
# again on each import's NOTIFY.
server_key_create
server_start
grep -q "comp=calendar msg=\"xihu, working days of the years 2026,2027 " "$SERVER_LOG" ||
    fail "the server did not load the calendar: $(grep calendar "$SERVER_LOG")"
before=$(directory_loads)
jq '.years = [{"year": 2028, "holidays": [], "working_days": []}]' "$EXAMPLE" >"$WORK/2028.json"
admin calendar import "$WORK/2028.json" >/dev/null
wait_directory_reload "$before"
grep -q "comp=calendar msg=\"xihu, working days of the years 2026,2027,2028 " "$SERVER_LOG" ||
    fail "the server did not reload the calendar: $(grep calendar "$SERVER_LOG")"
# A calendar broken by hand behind the importer's back: the server keeps its
# previous state whole and says why, as for a broken rule.
q "UPDATE calendars SET working_periods = '{600,500}'" >/dev/null
q "NOTIFY fengqiao_directory" >/dev/null
for ((i = 0; i < 1200; i++)); do
    grep -q "routing state did not load: calendar of xihu: working period 1" "$SERVER_LOG" && break
    assert_server_alive "after a broken calendar"
    sleep 0.05
done
grep -q "routing state did not load: calendar of xihu: working period 1.*keeping the previous" "$SERVER_LOG" ||
    fail "no refusal of the broken calendar: $(tail -n 3 "$SERVER_LOG")"
assert_server_alive "after a broken calendar"
server_stop

# Usage.
rc=0
admin calendar show 1999 >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "show with a year out of range"
admin calendar --help | grep -q 'calendar import FILE' || fail "calendar --help"
log "ok"
