#!/usr/bin/env bash
# integ_district_nyc311: a real day of a city hotline through a district
# platform. New York City's 311 requests of 2018-10-21 (../shared/data, or
# FQ_SHARED_DATA; skipped with 77 when absent) with a topology generated from
# them (tests/integration/nyc311_district.py: the city a district, each
# community board a town, 0.01-degree grid cells given to the board that filed
# most requests in them). Every request with a point is sent by coordinates
# only: once by its own board's town platform — those whose point lies in a
# neighbouring board's cell are refused, as the issue's city feed saw — and
# once by the district platform, which has none refused.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

DATA=${FQ_SHARED_DATA:-$FQ_SRC_DIR/../shared/data}/nyc311_2018-10-21_6765_replay.csv
if [ ! -r "$DATA" ]; then
    log "SKIP: $DATA is not here"
    trap - EXIT
    exit 77
fi
read -r total used cells towns elsewhere < <(python3 "$FQ_SRC_DIR/tests/integration/nyc311_district.py" "$DATA" \
    "$FQ_SRC_DIR/examples/westlake-topology.json" "$WORK/nyc")
log "$total requests, $used with a point and a board; $cells grid cells in $towns towns; $elsewhere lie in another board's cell"
db_create
server_key_create
admin migrate >/dev/null
admin import-topology "$WORK/nyc/topology.json" >/dev/null 2>&1 || fail "import: $(admin import-topology "$WORK/nyc/topology.json" 2>&1 | tail -n 3)"
add_node nyc-311 district_platform nyc
for f in "$WORK"/nyc/town-*.jsonl; do
    t=${f##*/town-}
    add_node "${t%.jsonl}-platform" town_platform "${t%.jsonl}"
done
# Merging near duplicates would hide nothing here but costs time: every
# request is its own incident.
server_start --dedup-window-min 0

# send NODE FILE OUT: fq-report --stdin; the per-line answers in OUT.
send() {
    local rc=0
    report "$1" --stdin --window 64 <"$2" >>"$3" 2>>"$WORK/send.err" || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "fq-report --stdin as $1 ended with $rc: $(tail -n 3 "$WORK/send.err")"
}
: >"$WORK/towns.out"
for f in "$WORK"/nyc/town-*.jsonl; do
    t=${f##*/town-}
    send "${t%.jsonl}-platform" "$f" "$WORK/towns.out"
done
town_ok=$(jq -r 'select(.status != null) | .status' "$WORK/towns.out" | grep -c '^ok$' || true)
town_refused=$(jq -r 'select(.status != null) | .status' "$WORK/towns.out" | grep -c '^forbidden$' || true)
assert_eq "$used" "$((town_ok + town_refused))" "every request answered ok or forbidden to the town platforms"
assert_eq "$elsewhere" "$town_refused" "the town platforms' refusals are the requests in another board's cell"
# The district platform sends the same requests (their own idempotency
# keys: another node).
send nyc-311 "$WORK/nyc/all.jsonl" "$WORK/district.out"
district_ok=$(jq -r 'select(.status != null) | .status' "$WORK/district.out" | grep -c '^ok$' || true)
assert_eq "$used" "$district_ok" "the district platform's requests stored"
assert_eq "$used" "$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'nyc-311'")" "stored once each"
# ... each placed in the grid its point lies in, under the board that owns it.
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'nyc-311' AND (territory IS NULL OR territory NOT LIKE 'cb-%-g%')")" \
    "every district platform request placed in a grid"
log "NYC 311 of 2018-10-21: $used requests by coordinates; town platforms: $town_ok stored, $town_refused refused (point in a neighbouring board); district platform: $district_ok stored, 0 refused"
server_stop
