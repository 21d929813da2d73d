#!/usr/bin/env bash
# integ_replay: fengqiao-admin replay routes the recorded reports of a period
# again under another rule set and reports what would change, without
# writing anything. The West Lake example is imported, ~50 varied reports go
# through a real server, then a rules file that sends every neighbour dispute
# to the district (and gives two categories a 1-second acknowledge limit, so
# that the predictions have something to predict) is replayed: the shares
# shift by exactly the neighbour disputes that were not at the district, the
# predicted escalations and breaches are those of the 1-second categories,
# and every table the replay reads is byte for byte as it was.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXAMPLE="$FQ_SRC_DIR/examples/westlake-topology.json"

setup_topology "$EXAMPLE" --by integ_replay
add_node beishan-platform town_platform beishan
add_node xixi-platform town_platform xixi

t1=$(q "SELECT now()")
server_start

# ---- ~50 varied reports from two towns ----
categories=(dispute.neighbour city_appearance food_safety petition elderly_care dispute.labour
    illegal_construction dispute.family public_order consumer_complaint dispute.neighbour
    city_appearance fire_hazard social_assistance unlicensed_business)
for town in beishan xixi; do
    mapfile -t places < <(jq -r --arg t "$town" \
        '.towns[] | select(.id == $t) | .villages[] | (.id, .grids[].id)' "$EXAMPLE")
    [ "${#places[@]}" -gt 3 ] || fail "no places for $town in the example"
    for ((i = 0; i < 25; i++)); do
        sev=IV
        ((i % 5 == 3)) && sev=III
        ((i % 10 == 7)) && sev=II
        risk=low
        ((i % 7 == 4)) && risk=medium
        jq -cn --arg c "${categories[i % ${#categories[@]}]}" --arg s "$sev" --arg r "$risk" \
            --arg p "${places[(i * 7) % ${#places[@]}]}" --arg ref "RP-$town-$i" \
            '{category: $c, severity: $s, risk: $r, channel: "hotline", place_unit: $p,
              title: ("replay " + $ref), external_ref: $ref}'
    done >"$WORK/$town.jsonl"
    report "$town-platform" --stdin <"$WORK/$town.jsonl" >"$WORK/$town.out" ||
        fail "fq-report for $town: $(tail -n 3 "$WORK/$town.out")"
done
server_stop
sleep 2 # the 1-second acknowledge limits of the what-if rules have passed

n=$(q "SELECT count(*) FROM incidents WHERE state <> 'merged'")
log "$(q "SELECT count(*) FROM incidents") reports stored, $n not merged"
[ "$n" -ge 40 ] || fail "only $n incidents to replay"

# ---- the what-if rules: the example's, plus three ----
jq '{schema: .schema, rules: (.rules + [
      {category: "dispute.neighbour", tier: "district", ack: "1s", ack_warn: "0s",
       conclude: "1d", conclude_warn: "4h"},
      {category: "city_appearance", tier: "village", ack: "1s", ack_warn: "0s",
       conclude: "1d", conclude_warn: "4h"}])}' "$EXAMPLE" >"$WORK/whatif.json"

# Everything the replay reads, to show that it wrote nothing.
snapshot() {
    q "SELECT (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM incidents x),
              (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.seq), '')) FROM events x),
              (SELECT count(*) FROM events),
              (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.version), '')) FROM rule_sets x),
              (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM rules x),
              (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM workers x),
              (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM handlers x),
              (SELECT count(*) FROM rejected_requests)"
}
before=$(snapshot)

out=$(admin replay --rules "$WORK/whatif.json" --from "$t1" --to now --json)
log "replay: $out"
j() { jq -r "$1" <<<"$out"; }

# ---- the shares shift by the neighbour disputes not already at the district ----
sqlc() { q "SELECT count(*) FROM incidents WHERE state <> 'merged' AND $1"; }
dn=$(sqlc "category = 'dispute.neighbour'")
dn_below=$(sqlc "category = 'dispute.neighbour' AND tier < 3")
dn_village=$(sqlc "category = 'dispute.neighbour' AND tier = 1")
ca=$(sqlc "category = 'city_appearance'")
[ "$dn_below" -gt 0 ] || fail "no neighbour dispute below the district to move"
rv=$(sqlc "tier = 1")
rt=$(sqlc "tier = 2")
rd=$(sqlc "tier = 3")
ru=$(sqlc "tier IS NULL")
assert_eq "$n" "$(j .incidents)" "incidents replayed"
assert_eq "$rv|$rt|$rd|$ru" "$(j '[.tiers.recorded[]] | map(tostring) | join("|")')" "recorded tiers"
assert_eq "$((rd + dn_below))" "$(j .tiers.whatif.district)" "what-if district count"
assert_eq "$n" "$(j '[.tiers.whatif[]] | add')" "what-if tiers add up"
# Up: the neighbour disputes; down: city_appearance the principle had put at
# the town (severity III), now kept in the village.
ca_down=$(sqlc "category = 'city_appearance' AND tier > 1")
assert_eq "$((dn_below + ca_down))|$dn_below|$ca_down" \
    "$(j '[.changed.tier, .changed.up, .changed.down] | map(tostring) | join("|")')" \
    "changed decisions: the neighbour disputes up, city_appearance down"
assert_eq "$dn_village" "$(j .transitions.village.district)" "village -> district"
awk -v a="$(j .shares.recorded.district)" -v b="$(j .shares.whatif.district)" -v k="$dn_below" -v n="$n" \
    'BEGIN { d = b - a - k / n; exit !(d < 1e-6 && d > -1e-6 && b > a) }' ||
    fail "district share did not grow by $dn_below/$n"

# ---- predictions: nothing acknowledged or concluded is recorded yet ----
assert_eq "$(q "SELECT count(*) FROM events WHERE kind = 'escalated'")" "$(j .escalations.recorded)" \
    "recorded escalations"
# city_appearance (village, 1 s) would have escalated; neighbour disputes
# (district, 1 s) breached at the top; everything else is not due yet.
assert_eq "$ca|$dn|$((n - ca - dn))" \
    "$(j '[.escalations.predicted, .escalations.predicted_breaches, .escalations.ack_pending] | map(tostring) | join("|")')" \
    "predicted escalations, breaches, pending"
assert_eq "0|0|$n" "$(j '[.conclusion.on_time, .conclusion.late, .conclusion.unknown] | map(tostring) | join("|")')" \
    "no conclusion recorded: all unknown"
assert_eq "$n" "$(j '[.units[].cases] | add')" "units' cases add up"
assert_eq "$((rd + dn_below))" "$(j '[.units[] | select(.kind == "center" or .kind == "department") | .cases] | add')" \
    "district units' cases"
assert_eq "null" "$(j '[.units[].on_time_rate] | unique | .[0]')" "no on-time rate without conclusions"

# ---- the readable report ----
text=$(admin replay --rules "$WORK/whatif.json" --from "$t1" --to now)
printf '%s\n' "$text" >&2
assert_match "district +$rd +[0-9.]+ % +$((rd + dn_below)) " "$text" "text report: district row"
assert_match "decisions changed: [0-9]+ \\(tier $((dn_below + ca_down)): $dn_below up, $ca_down down" "$text" \
    "text report: changes"

# ---- refusals ----
expect_fail() { # what regex args...
    local what=$1 regex=$2 rc=0 msg
    shift 2
    msg=$(admin replay "$@" 2>&1) || rc=$?
    [ "$rc" != 0 ] || fail "$what: replay succeeded"
    assert_match "$regex" "$msg" "$what"
}
jq '{schema: .schema}' "$EXAMPLE" >"$WORK/norules.json"
expect_fail "no rules" 'no "rules"' --rules "$WORK/norules.json" --from "$t1" --to now
jq '{schema: .schema, rules: [{category: "no.such", tier: "town", ack: "1h", ack_warn: "0s",
     conclude: "1d", conclude_warn: "0s"}]}' "$EXAMPLE" >"$WORK/unknown.json"
expect_fail "unknown category" "do not compile" --rules "$WORK/unknown.json" --from "$t1" --to now
expect_fail "empty period" "must come before" --rules "$WORK/whatif.json" --from now --to "$t1"
expect_fail "bad time" "invalid input syntax" --rules "$WORK/whatif.json" --from yesterdayish --to now
# An empty period is fine.
assert_eq 0 "$(admin replay --rules "$WORK/whatif.json" --from 2001-01-01 --to 2001-01-02 --json | jq .incidents)" \
    "a period with no reports"

assert_eq "$before" "$(snapshot)" "the database after the replays"
log "replay ok"
