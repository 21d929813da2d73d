#!/usr/bin/env bash
# integ_dedup: the duplicate rule (docs/routing.md section 4) against a real
# server and PostgreSQL, for the cases real 311 data showed it missing:
#  - duplicates in flight: reports of one matter sent together (fq-report
#    --stdin --window N) are merged into the first, although it is not yet
#    committed when the others are decided;
#  - a merged report keeps its own place (territory), and nothing merges
#    across a town border;
#  - the window counts from when it happened (occurred_at_ms), not from
#    intake: a back-filled report of three days ago is not merged into
#    today's incident, but into the one of three days ago.
#  - when the first one's commit fails, the one waiting for it is answered
#    "retry" and then dispatched on its own: nothing merges into a ghost.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
server_start

# state_of REF: "state|merged_into|territory" of the report with that external_ref.
state_of() {
    q "SELECT state || '|' || coalesce(merged_into::text, '') || '|' || coalesce(territory, '')
         FROM incidents WHERE external_ref = '$1'"
}
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }

# ---- in flight: two identical reports with --window 2 ----
for i in 1 2; do
    printf '{"category":"dispute.neighbour","severity":"IV","risk":"low","channel":"hotline","place_unit":"lingyin-v1-g1","title":"楼上噪音","external_ref":"PAIR-%d"}\n' "$i"
done >"$WORK/pair.jsonl"
report lingyin-platform --stdin --window 2 <"$WORK/pair.jsonl" >"$WORK/pair.out"
assert_eq "ok ok" "$(jq -r .status "$WORK/pair.out" | tr '\n' ' ' | sed 's/ $//')" "both stored"
assert_eq "assigned:1 merged:1" \
    "$(q "SELECT string_agg(state || ':' || n, ' ' ORDER BY state) FROM
            (SELECT state, count(*) n FROM incidents WHERE external_ref LIKE 'PAIR-%' GROUP BY state) s")" \
    "two identical reports in flight: one dispatched, one merged"
first=$(q "SELECT id FROM incidents WHERE external_ref LIKE 'PAIR-%' AND state = 'assigned'")
assert_eq "$first" "$(q "SELECT merged_into FROM incidents WHERE external_ref LIKE 'PAIR-%' AND state = 'merged'")" \
    "merged into the one dispatched"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $first AND kind = 'report_merged'")" \
    "one more report on it"

# ---- in flight: eight at once; the merged ones are answered with the decision ----
for i in 1 2 3 4 5 6 7 8; do
    printf '{"category":"market.food_safety","severity":"III","risk":"medium","channel":"online","place_unit":"lingyin-v2","title":"餐馆卫生 %d","external_ref":"BURST-%d"}\n' "$i" "$i"
done >"$WORK/burst.jsonl"
report lingyin-platform --stdin --window 8 <"$WORK/burst.jsonl" >"$WORK/burst.out"
assert_eq 8 "$(jq -r 'select(.status == "ok") | .line' "$WORK/burst.out" | wc -l)" "eight stored"
burst=$(q "SELECT id FROM incidents WHERE external_ref LIKE 'BURST-%' AND state = 'assigned'")
assert_match '^[0-9]+$' "$burst" "exactly one of eight dispatched"
assert_eq "7|$burst|$burst|lingyin-v2" \
    "$(q "SELECT count(*) || '|' || min(merged_into) || '|' || max(merged_into) || '|' || min(territory)
            FROM incidents WHERE external_ref LIKE 'BURST-%' AND state = 'merged'")" \
    "seven merged into it"
assert_eq 7 "$(q "SELECT count(*) FROM events WHERE incident_id = $burst AND kind = 'report_merged'")" \
    "seven more reports on it"
# The reply of a merged one names the incident it joined.
assert_eq "$burst" "$(report lingyin-platform --json --category market.food_safety --severity III --risk medium \
    --channel online --place lingyin-v2 --title "餐馆卫生" --external-ref BURST-9 | jq -r .routing.merged_into)" \
    "a later one merges into it too"

# ---- a merged report keeps its own place ----
# The open one is at village lingyin-v2 (no workers there: the town takes it);
# the second, 50 m away, was in grid lingyin-v1-g1 of the same town.
r=$(report lingyin-platform --json --category service.elderly_care --severity IV --risk low --channel hotline \
    --place lingyin-v2 --lon 121.6 --lat 31.3 --title "独居老人" --external-ref OWN-1)
assert_eq "town|lingyin-v2" "$(jq -r '[.routing.tier, .routing.territory] | join("|")' <<<"$r")" "the open one"
own1=$(id_of OWN-1)
r=$(report lingyin-platform --json --category service.elderly_care --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --lon 121.6 --lat 31.30045 --title "独居老人" --external-ref OWN-2)
assert_eq "$own1|lingyin-v1-g1" "$(jq -r '[.routing.merged_into, .routing.territory] | map(tostring) | join("|")' <<<"$r")" \
    "merged, with its own territory in the reply"
assert_eq "merged|$own1|lingyin-v1-g1" "$(state_of OWN-2)" "merged, with its own territory stored"

# ---- no merging across a town border ----
# The same coordinates, in no grid: each platform's report is placed at its
# own town (unplaced). Beishan's is beishan's matter, not lingyin's.
report lingyin-platform --json --category enforcement.illegal_building --severity IV --risk low --channel patrol \
    --lon 121.5 --lat 31.2 --title "违建" --external-ref BORDER-1 >/dev/null
report beishan-platform --json --category enforcement.illegal_building --severity IV --risk low --channel patrol \
    --lon 121.5 --lat 31.2 --title "违建" --external-ref BORDER-2 >/dev/null
assert_eq "assigned||lingyin" "$(state_of BORDER-1)" "lingyin's"
assert_eq "assigned||beishan" "$(state_of BORDER-2)" "beishan's, not merged across the border"
report beishan-platform --json --category enforcement.illegal_building --severity IV --risk low --channel patrol \
    --lon 121.5 --lat 31.2002 --title "违建" --external-ref BORDER-3 >/dev/null
assert_eq "merged|$(id_of BORDER-2)|beishan" "$(state_of BORDER-3)" "a second beishan report merges in beishan"

# ---- the window counts from when it happened ----
now_ms=$(($(date +%s) * 1000))
day=$((24 * 3600 * 1000))
backfill() { # external_ref occurred_at_ms (0: not given)
    local occurred=""
    [ "$2" = 0 ] || occurred=",\"occurred_at_ms\":$2"
    printf '{"category":"hazard.fire","severity":"IV","risk":"low","channel":"hotline","place_unit":"lingyin-v1-g1","title":"消防通道堵塞","external_ref":"%s"%s}\n' \
        "$1" "$occurred" | report lingyin-platform --stdin --window 1 >>"$WORK/backfill.out"
}
backfill OLD-1 $((now_ms - 3 * day))
backfill NEW-1 0
backfill OLD-2 $((now_ms - 3 * day + 600000))
assert_eq 3 "$(jq -r 'select(.status == "ok") | .line' "$WORK/backfill.out" | wc -l)" "back-fill stored"
assert_eq "assigned||lingyin-v1-g1" "$(state_of OLD-1)" "three days ago: dispatched"
assert_eq "assigned||lingyin-v1-g1" "$(state_of NEW-1)" "today: not a duplicate of three days ago"
assert_eq "merged|$(id_of OLD-1)|lingyin-v1-g1" "$(state_of OLD-2)" "ten minutes after the first: merged into it"

# ---- a restart indexes the open ones by when they happened ----
server_stop
server_start
backfill OLD-3 $((now_ms - 3 * day + 1200000))
backfill NEW-2 0
assert_eq "merged|$(id_of OLD-1)|lingyin-v1-g1" "$(state_of OLD-3)" "after a restart: merged into three days ago"
assert_eq "merged|$(id_of NEW-1)|lingyin-v1-g1" "$(state_of NEW-2)" "after a restart: merged into today's"

# ---- the first one's commit fails: nothing merges into it ----
# PostgreSQL refuses GHOST-1 (a check constraint, for the test). GHOST-2,
# the same matter sent with it, either waited for it and was answered "retry" (then
# decided afresh: dispatched on its own), or came after: never merged into
# an incident that does not exist. (Needs the store to roll back the
# transaction a refused statement leaves aborted — branch fix-replies,
# "store: roll back …"; without it every later batch fails until a
# reconnect, so this part comes last.)
q "ALTER TABLE incidents ADD CONSTRAINT refuse_ghost CHECK (external_ref IS DISTINCT FROM 'GHOST-1')" >/dev/null
for i in 1 2; do
    printf '{"category":"dispute.labour","severity":"IV","risk":"low","channel":"hotline","place_unit":"lingyin-v1-g1","title":"欠薪","external_ref":"GHOST-%d"}\n' "$i"
done >"$WORK/ghost.jsonl"
report lingyin-platform --stdin --window 2 <"$WORK/ghost.jsonl" >"$WORK/ghost.out" || true
assert_eq "1 invalid|2 ok" "$(jq -r '"\(.line) \(.status)"' "$WORK/ghost.out" | sort | paste -sd'|')" \
    "the first refused, the second stored"
assert_eq "" "$(q "SELECT id FROM incidents WHERE external_ref = 'GHOST-1'")" "nothing stored of the first"
assert_eq "assigned||lingyin-v1-g1" "$(state_of GHOST-2)" "the second dispatched on its own"
q "ALTER TABLE incidents DROP CONSTRAINT refuse_ghost" >/dev/null
r=$(report lingyin-platform --json --category dispute.labour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "欠薪" --external-ref GHOST-3)
assert_eq "$(id_of GHOST-2)" "$(jq -r .routing.merged_into <<<"$r")" "a third merges into the second"

server_stop
log "dedup ok"
