#!/usr/bin/env bash
# integ_routing: every stored report is routed in the same transaction, and
# the ack carries the decision. Village matters go to a grid worker (least
# loaded, taking turns), larger ones to the town's line, major ones to the
# district with joint operation; coordinates place a report in its grid by
# polygon (or, in no grid, at the reporter's jurisdiction; in another's grid:
# forbidden); a report near an open one of its category is merged; missed
# acknowledge limits warn, then escalate tier by tier up to the district; a
# rule change or a worker going off duty takes effect without a restart; a
# restarted server picks up the open incidents and their deadlines.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

# Grid polygons: lingyin-v1-g1 and, next to it, beishan's grid (outside
# lingyin's jurisdiction).
q "INSERT INTO org_units (id, kind, parent_id, name) VALUES ('beishan-v1-g1', 'grid', 'beishan-v1', '宝石1号网格');
   INSERT INTO grid_polygons (grid, ring) VALUES
     ('lingyin-v1-g1', '{120.10,30.20, 120.11,30.20, 120.11,30.21, 120.10,30.21}'),
     ('beishan-v1-g1', '{120.11,30.20, 120.12,30.20, 120.12,30.21, 120.11,30.21}');
   INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_routing', 'short limits for floods', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', 2, 1, 3600, 60),
            (1, NULL, 1, 0, 'district', NULL, '{market_regulation}', 900, 300, 86400, 3600);" >/dev/null
server_start

# route JSON-ARGS...: one report as lingyin-platform; prints fq-report's JSON.
route() { report lingyin-platform --json "$@"; }
field() { jq -r "$1" <<<"$2"; }

# ---- village tier: a grid worker, least loaded, taking turns ----
r1=$(route --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "楼上噪音" --external-ref RT-1)
log "village: $r1"
assert_eq "ok|village|governance|lingyin-v1.village|lingyin-v1-g1" \
    "$(field '[.status, .routing.tier, .routing.line, .routing.lead_unit, .routing.territory] | join("|")' "$r1")" \
    "village routing"
w1=$(field .routing.worker "$r1")
r2=$(route --category dispute.labour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "工资纠纷" --external-ref RT-2)
w2=$(field .routing.worker "$r2")
if [ -z "$w1" ] || [ -z "$w2" ] || [ "$w1" = "$w2" ]; then fail "two idle workers were not both used: $w1, $w2"; fi
id1=$(field .incident_id "$r1")
assert_eq "assigned|1|$w1|lingyin-v1.village" \
    "$(q "SELECT state, tier, worker, lead_unit FROM incidents WHERE id = $id1")" "stored decision"
assert_eq "reported,assigned" \
    "$(q "SELECT string_agg(kind, ',' ORDER BY seq) FROM events WHERE incident_id = $id1")" "events in one commit"

# ---- duplicates: same category, same place, open: merged, not dispatched ----
r3=$(route --category dispute.neighbour --severity IV --risk low --channel online \
    --place lingyin-v1-g1 --title "还是楼上噪音" --external-ref RT-3)
assert_eq "$id1" "$(field .routing.merged_into "$r3")" "merged into the open incident"
id3=$(field .incident_id "$r3")
assert_eq "merged|$id1" "$(q "SELECT state, merged_into FROM incidents WHERE id = $id3")" "merged row"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $id1 AND kind = 'report_merged'")" \
    "one more report on the open incident"

# ---- town tier by coordinates: placed in its grid by polygon ----
r4=$(route --category market.food_safety --severity III --risk medium --channel online \
    --lon 120.105 --lat 30.205 --title "餐馆卫生" --external-ref RT-4)
assert_eq "town|market|lingyin.market|lingyin-v1-g1|null" \
    "$(field '[.routing.tier, .routing.line, .routing.lead_unit, .routing.territory, .routing.unplaced] | map(tostring) | join("|")' "$r4")" \
    "coordinates placed by polygon"

# ---- coordinates in no grid: placed at the reporter's jurisdiction ----
r5=$(route --category enforcement.illegal_building --severity IV --risk low --channel patrol \
    --lon 121.5 --lat 31.2 --title "违建" --external-ref RT-5)
assert_eq "town|lingyin|true" \
    "$(field '[.routing.tier, .routing.territory, .routing.unplaced] | map(tostring) | join("|")' "$r5")" \
    "unplaced report"

# ---- coordinates in another town's grid: forbidden, nothing stored ----
set +e
out=$(route --category market.food_safety --severity IV --risk low --channel online \
    --lon 120.115 --lat 30.205 --title "越界" --external-ref RT-6 2>&1)
set -e
assert_eq forbidden "$(field .status "$out")" "report located outside the jurisdiction"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'RT-6'")" "nothing stored"

# ---- district tier: lead department, co-handlers, joint ----
r7=$(route --category hazard.fire --severity I --risk high --channel staff \
    --place lingyin-v1 --title "仓库火情" --external-ref RT-7)
assert_eq "district|xihu.public_security|xihu.market_regulation,lingyin.governance" \
    "$(field '[.routing.tier, .routing.lead_unit, (.routing.co_units | join(","))] | join("|")' "$r7")" "district joint operation"

# ---- deadlines: warning, then escalation tier by tier, then a breach at the top ----
r8=$(route --category hazard.flood --severity IV --risk low --channel patrol \
    --place lingyin-v1-g1 --title "积水" --external-ref RT-8)
id8=$(field .incident_id "$r8")
assert_eq village "$(field .routing.tier "$r8")" "flood starts in the village"
# The end state, not the tiers on the way: a tier held for a second or two
# can pass between two polls on a busy machine. The history below shows each
# step.
wait_q "SELECT count(*) FROM events WHERE incident_id = $id8 AND kind = 'breached'" 1 60
assert_eq 3 "$(q "SELECT tier FROM incidents WHERE id = $id8")" "the flood at the district"
assert_eq "reported,assigned,ack_warning,escalated,ack_warning,escalated,ack_warning,breached" \
    "$(q "SELECT string_agg(kind, ',' ORDER BY seq) FROM events WHERE incident_id = $id8")" \
    "the flood's history"
assert_eq "xihu.public_security|{lingyin.governance}" \
    "$(q "SELECT lead_unit, co_units FROM incidents WHERE id = $id8")" "escalated along its line to the district"

# ---- a rule change takes effect without a restart, and is recorded ----
loads=$(directory_loads)
q "UPDATE rule_sets SET active = false, retired_at = now() WHERE active;
   INSERT INTO rule_sets (version, created_by, note, active) VALUES (2, 'integ_routing', 'labour disputes to the town', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (2, 'dispute.labour', 0, 0, 'town', NULL, '{}', 1800, 300, 604800, 86400);
   NOTIFY fengqiao_directory;" >/dev/null
wait_directory_reload "$loads"
grep -q "rule set 2" "$SERVER_LOG" || fail "the reload did not bring rule set 2"
r9=$(route --category dispute.labour --severity IV --risk low --channel hotline \
    --place lingyin-v2 --title "欠薪" --external-ref RT-9)
assert_eq "town|lingyin.governance" "$(field '[.routing.tier, .routing.lead_unit] | join("|")' "$r9")" \
    "the new rule routes at once"
assert_eq 2 "$(q "SELECT rule_set FROM incidents WHERE external_ref = 'RT-9'")" "decided by rule set 2"

# ---- workers off duty: nobody in the village can take it, it climbs ----
loads=$(directory_loads)
q "UPDATE workers SET on_duty = false; NOTIFY fengqiao_directory;" >/dev/null
wait_directory_reload "$loads"
r10=$(route --category service.elderly_care --severity IV --risk low --channel walk_in \
    --place lingyin-v1-g1 --title "助餐" --external-ref RT-10)
assert_eq "town|lingyin.services|" "$(field '[.routing.tier, .routing.lead_unit, .routing.worker // ""] | join("|")' "$r10")" \
    "off-duty workers are not chosen"
assert_eq 1 "$(q "SELECT climbed FROM incidents WHERE external_ref = 'RT-10'")" "climbed one tier"
# Their open village cases moved up the line at once.
wait_q "SELECT count(*) FROM incidents i JOIN events e ON e.incident_id = i.id
        WHERE i.external_ref IN ('RT-1', 'RT-2') AND i.tier = 2 AND e.kind = 'escalated'
        AND e.reason LIKE 'the handler went off duty%'" 2 5

# ---- a restart picks up the open incidents ----
open=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
server_stop
server_start
grep -q "; $open open incidents" "$SERVER_LOG" || fail "restart did not load $open open incidents: $(grep routing: "$SERVER_LOG")"
r11=$(route --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "又一起噪音" --external-ref RT-11)
assert_eq "$id1" "$(field .routing.merged_into "$r11")" "the restarted server still merges into open incidents"
server_stop
log "routing ok"
