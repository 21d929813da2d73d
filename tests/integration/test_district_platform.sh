#!/usr/bin/env bash
# integ_district_platform: the district's 12345 hotline as a district_platform
# node (docs/protocol.md, "Nodes and roles"). With the West Lake topology and
# its grid polygons: it reports by coordinates in two different towns and by
# unit id in a third, each accepted and routed to the right town and village;
# a town platform's coordinate report in the neighbouring town is still
# refused; a district platform of another district is refused in this one
# (and this one in that); and the district platform follows what it
# reported on its district's feed.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXAMPLE="$FQ_SRC_DIR/examples/westlake-topology.json"
setup_topology "$EXAMPLE"
# A second district, its own town, village and grid (no polygon).
admin unit add gongshu --kind district --name 拱墅区 >/dev/null
admin unit add hubin --kind town --parent gongshu --name 湖滨街道 >/dev/null
admin unit add hubin-v1 --kind village --parent hubin --name 东坡社区 >/dev/null
admin unit add hubin-v1-g1 --kind grid --parent hubin-v1 --name 东坡1号网格 >/dev/null

# Registration: the tier is checked like a town platform's.
out=$(admin node add bad-12345 --role district_platform --jurisdiction beishan 2>&1) &&
    fail "a district platform was bound to a town"
assert_match "a district_platform's jurisdiction must be a district; beishan is a town" "$out" \
    "district platform bound to a town"
add_node xihu-12345 district_platform xihu
add_node gongshu-12345 district_platform gongshu
TOWN_A=$(jq -r '.towns[0].id' "$EXAMPLE")
TOWN_B=$(jq -r '.towns[1].id' "$EXAMPLE")
TOWN_C=$(jq -r '.towns[2].id' "$EXAMPLE")
add_node "$TOWN_A-platform" town_platform "$TOWN_A"
assert_match "^xihu-12345 +district_platform +xihu " "$(admin node list | grep xihu-12345)" "node list"
server_start

# The middle of a town's first grid (lon lat), its id and its village.
grid_point() { jq -r ".towns[$1].villages[0].grids[0].polygon | \"\(map(.[0]) | add / length) \(map(.[1]) | add / length)\"" "$EXAMPLE"; }
grid_id() { jq -r ".towns[$1].villages[0].grids[0].id" "$EXAMPLE"; }
village_id() { jq -r ".towns[$1].villages[0].id" "$EXAMPLE"; }

# report_at NODE REF LON LAT: a coordinate-only report; prints its JSON answer.
report_at() {
    report "$1" --json --category dispute.neighbour --severity IV --risk low --channel hotline \
        --lon "$3" --lat "$4" --title "12345 工单 $2" --external-ref "$2" || true
}
# placed ID: the town its routed territory lies in | the village unit that leads it.
placed() { q "SELECT fq_town_of(territory) || '|' || coalesce(lead_unit, '') FROM incidents WHERE id = $1"; }
village_unit() { jq -r ".towns[$1].villages[0].unit.id" "$EXAMPLE"; }

IDS=()
for t in 0 1; do
    p=$(grid_point $t)
    out=$(report_at xihu-12345 "12345-COORD-$t" "${p% *}" "${p#* }")
    log "district platform, point in town $t: $out"
    assert_eq "ok|$(grid_id $t)" "$(jq -r '[.status, .routing.territory] | join("|")' <<<"$out")" \
        "district platform's coordinate report in town $t"
    id=$(jq -r .incident_id <<<"$out")
    assert_eq "$(jq -r ".towns[$t].id" "$EXAMPLE")|$(village_unit $t)" "$(placed "$id")" "incident $id placed"
    IDS+=("$id")
done
out=$(report xihu-12345 --json --category dispute.neighbour --severity IV --risk low --channel online \
    --place "$(village_id 2)" --title "12345 工单 unit" --external-ref 12345-UNIT) || fail "by unit: $out"
assert_eq ok "$(jq -r .status <<<"$out")" "district platform's report by unit id in $TOWN_C"
id=$(jq -r .incident_id <<<"$out")
assert_eq "$TOWN_C|$(village_unit 2)" "$(placed "$id")" "incident $id placed"
IDS+=("$id")
# The district itself (a call that names no town): accepted, handled at the district.
out=$(report xihu-12345 --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place xihu --title "12345 工单 district" --external-ref 12345-DISTRICT) || fail "at the district: $out"
log "at the district itself: $(jq -c '[.status, .routing.tier, .routing.lead_unit]' <<<"$out")"
assert_eq ok "$(jq -r .status <<<"$out")" "district platform's report at the district itself"
assert_eq 4 "$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'xihu-12345'")" "stored"

# A town platform's point in the neighbouring town: refused, as before.
p=$(grid_point 1)
out=$(report_at "$TOWN_A-platform" TOWN-NEIGHBOUR "${p% *}" "${p#* }")
assert_eq forbidden "$(jq -r .status <<<"$out")" "town platform's point in $TOWN_B"
assert_match "lies in grid $(grid_id 1), outside the jurisdiction $TOWN_A" "$(jq -r .message <<<"$out")" \
    "the refusal says why"
# Another district's platform: refused here by point and by unit ...
p=$(grid_point 0)
out=$(report_at gongshu-12345 GONGSHU-POINT "${p% *}" "${p#* }")
assert_eq forbidden "$(jq -r .status <<<"$out")" "gongshu's platform with a point in xihu"
out=$(report gongshu-12345 --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place "$TOWN_A" --title x --external-ref GONGSHU-UNIT || true)
assert_eq forbidden "$(jq -r .status <<<"$out")" "gongshu's platform at $TOWN_A"
assert_match "outside the jurisdiction of gongshu-12345 \\(gongshu\\)" "$(jq -r .message <<<"$out")" "the refusal"
# ... and xihu's is refused in gongshu.
out=$(report xihu-12345 --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place hubin-v1-g1 --title x --external-ref XIHU-IN-GONGSHU || true)
assert_eq forbidden "$(jq -r .status <<<"$out")" "xihu's platform in gongshu"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'gongshu-12345' OR external_ref = 'XIHU-IN-GONGSHU'")" \
    "nothing stored from the refusals"

# It follows the district's feed: every incident it reported is there.
"$FQ_REPORT" --node xihu-12345 --key-file "$(key_of xihu-12345)" follow --url "$TERMINALS_URL" \
    --once >"$WORK/follow.out" || fail "follow: $(cat "$WORK/follow.out")"
for id in "${IDS[@]}"; do
    [ "$(jq -r "select(.incident == $id) | .seq" "$WORK/follow.out" | wc -l)" -ge 1 ] ||
        fail "incident $id is not on the district platform's feed: $(head -c 600 "$WORK/follow.out")"
done
assert_eq "$(q "SELECT count(*) FROM feed_items WHERE box = 'u:xihu'")" "$(jq -r .seq "$WORK/follow.out" | sort -un | wc -l)" \
    "follow printed the district feed"
log "district platform: 3 reports in 3 towns accepted, 4 refusals, $(wc -l <"$WORK/follow.out") feed items"
server_stop
