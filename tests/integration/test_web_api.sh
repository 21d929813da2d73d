#!/usr/bin/env bash
# test_web_api: the web console's JSON API (docs/http-api.md) against a real
# fengqiaod --http and PostgreSQL, with the demo district
# (examples/westlake-topology.json) and people's accounts:
#   - the board equals the database (an independent SQL ORDER BY), paged;
#   - search finds by phone, external reference and title, concluded
#     incidents included, newest first;
#   - an assignment skip-level to a grid worker through the API reaches the
#     worker's fq-terminal; the timeline shows the person's name as actor;
#   - a town operator gets 403 on another town's incident (read and
#     command), a viewer 403 on any command, an operator 403 on supervise;
#   - a command resent with the same request_id makes one event; the same
#     request_id for another command is 409;
#   - the live feed (SSE) delivers a report pushed by fq-report, and a
#     reconnection with Last-Event-ID resumes without gaps or duplicates.
source "$(dirname "$0")/lib.sh"
FQ_TERMINAL=${FQ_TERMINAL:?}
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"

setup_topology "$FQ_SRC_DIR/examples/westlake-topology.json"
add_node lingyin-platform town_platform lingyin
add_node beishan-platform town_platform beishan
WORKER=$(q "SELECT id FROM workers WHERE grid LIKE 'lingyin-%' ORDER BY id LIMIT 1")
WGRID=$(q "SELECT grid FROM workers WHERE id = '$WORKER'")
BGRID=$(q "SELECT id FROM org_units WHERE kind = 'grid' AND id LIKE 'beishan-%' ORDER BY id LIMIT 1")
admin node add wt --role terminal --serves-worker "$WORKER" --key-out "$WORK/keys/wt.key" >/dev/null 2>&1

web_account wang.op operator xihu 王明
web_account li.town operator lingyin 李灵隐
web_account zhao.view viewer xihu 赵看
web_account chen.sup supervisor xihu 陈督

web_api_start --dedup-window-min 0 --presence-timeout 600

for a in wang.op li.town zhao.view chen.sup; do web_login "$a"; done

# ---- reports: two towns, one with a phone, an external ref, a point ----
rep() { # node ref place title [phone] [severity]
    report "$1" --category dispute.neighbour --severity "${6:-IV}" --risk low --channel hotline \
        --place "$3" --title "$4" --external-ref "$2" --reporter-phone "${5:-}" --quiet
}
for i in $(seq 1 30); do
    rep lingyin-platform "L$i" "$WGRID" "灵隐 邻里纠纷 $i" "" "$([ $((i % 3)) = 0 ] && echo III || echo IV)"
done
rep lingyin-platform PHONE1 "$WGRID" "楼道堆物" 13912345678
rep beishan-platform B1 "$BGRID" "北山 噪音"
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
L1=$(id_of L1) PH=$(id_of PHONE1) B1=$(id_of B1)
log "reported 32 incidents"

# ---- the board equals the database ----
board_ids() { # NAME QUERY: every page's ids, comma-separated
    local cursor="" ids="" out more
    while :; do
        out=$(web_get "$1" "/board?limit=7${2:+&$2}${cursor:+&cursor=$(jq -rn --arg c "$cursor" '$c|@uri')}")
        web_expect 200 "board page"
        ids="$ids$(jq -r '[.incidents[].incident_id|tostring]|join(",")' <<<"$out"),"
        more=$(jq -r .more <<<"$out")
        cursor=$(jq -r .cursor <<<"$out")
        [ "$more" = true ] || break
    done
    sed -E 's/,+/,/g; s/^,//; s/,$//' <<<"$ids"
}
board_sql() { # jurisdiction [extra condition]
    q "SELECT string_agg(id::text, ',' ORDER BY
         (NOT ((assignment = 'assigned' AND ack_due < now()) OR conclude_due < now() OR breached <> 0))::int,
         severity, CASE WHEN assignment = 'assigned' THEN ack_due ELSE conclude_due END NULLS LAST, id)
       FROM incidents WHERE state = 'assigned'
        AND fq_unit_within(coalesce(territory, place_unit), '$1') ${2:-}"
}
assert_eq "$(board_sql xihu)" "$(board_ids wang.op)" "the district board equals the database"
assert_eq "$(board_sql lingyin)" "$(board_ids li.town)" "the town board equals the database"
assert_eq "$(board_sql xihu 'AND severity = 3')" "$(board_ids wang.op severity=iii)" "severity filter"
web_get wang.op "/board?severity=v" >/dev/null
web_expect 400 "a bad severity"
out=$(web_get wang.op "/board?limit=1")
assert_eq true "$(jq '.incidents[0] | has("location") | not' <<<"$out")" "no point, no location"
# The names (docs/console.md, "Names") come through the descriptor walk.
first=$(jq -r '.incidents[0].incident_id' <<<"$out")
assert_eq "$(q "SELECT c.name || '|' || u.name FROM incidents i JOIN categories c ON c.code = i.category
                JOIN org_units u ON u.id = i.territory WHERE i.id = $first")" \
    "$(jq -r '.incidents[0] | .category_name + "|" + .territory_name' <<<"$out")" "the board's names"
assert_eq +08:00 "$(jq -r .time_zone <<<"$out")" "the board's time zone"
csv_rows=$(web_get wang.op "/board?format=csv" | tail -n +2 | grep -c .)
assert_eq "$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")" "$csv_rows" "CSV has every open incident"
log "board: equals the database (district, town, severity), CSV"

# ---- the topology ----
out=$(web_get li.town /topology)
web_expect 200 topology
assert_eq lingyin "$(jq -r '[.towns[].id]|join(",")' <<<"$out")" "a town operator's topology is its town"
assert_eq "$(q "SELECT count(*) FROM org_units WHERE kind = 'grid' AND fq_unit_within(id, 'lingyin')")" \
    "$(jq '[.towns[].villages[].grids[]]|length' <<<"$out")" "every grid of the town"
out=$(web_get wang.op /topology)
assert_eq "$(q "SELECT count(*) FROM grid_polygons")" \
    "$(jq '[.towns[].villages[].grids[] | select(.ring|length > 2)]|length' <<<"$out")" "every polygon of the district"

# ---- commands: skip-level assignment to a worker, its terminal, the actor's name ----
STATE="$WORK/term"
mkdir -p "$STATE"
"$FQ_TERMINAL" --node wt --key-file "$(key_of wt)" --url "$TERMINALS_URL" --state-dir "$STATE" \
    watch --json >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH=$!
CLEANUPS+=("kill $WATCH 2>/dev/null || true")
BIG=$(id_of L3) # severity III: routed above the village
out=$(web_post wang.op "/incidents/$BIG/commands" \
    "{\"request_id\":\"assign-1\",\"kind\":\"assign\",\"reason\":\"直接派网格员\",\"target_worker\":\"$WORKER\"}")
web_expect 200 "assign skip-level"
seq1=$(jq -r .event_seq <<<"$out")
for ((i = 0; i < 600; i++)); do
    grep -q "\"incident\":$BIG," "$WORK/watch.out" 2>/dev/null && break
    sleep 0.05
done
grep -q "\"incident\":$BIG," "$WORK/watch.out" || fail "the worker's terminal did not get $BIG: $(cat "$WORK/watch.err")"
assert_eq "$WORKER" "$(q "SELECT worker FROM incidents WHERE id = $BIG")" "held by the worker"
out=$(web_get wang.op "/incidents/$BIG")
web_expect 200 "the incident"
assert_eq "王明" "$(jq -r '[.timeline[] | select(.actor == "p.wang.op")][0].actor_name' <<<"$out")" \
    "the timeline names the person"
log "assign skip-level: the terminal got it; the timeline says 王明"

# ---- idempotency ----
web_post wang.op "/incidents/$BIG/commands" \
    "{\"request_id\":\"assign-1\",\"kind\":\"assign\",\"reason\":\"直接派网格员\",\"target_worker\":\"$WORKER\"}" >"$WORK/again"
web_expect 200 "the same command again"
assert_eq "$seq1" "$(jq -r .event_seq "$WORK/again")" "answered as it was"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $BIG AND actor_node = 'p.wang.op'")" "one event"
web_post wang.op "/incidents/$BIG/commands" '{"request_id":"assign-1","kind":"escalate","reason":"另一个"}' >/dev/null
web_expect 409 "a request id reused for another command"
assert_eq conflict "$(jq -r .error.code "$WORK/body")" "conflict code"

# ---- jurisdiction and roles ----
web_get li.town "/incidents/$B1" >/dev/null
web_expect 403 "a town operator reads another town's incident"
web_post li.town "/incidents/$B1/commands" '{"request_id":"x1","kind":"escalate","reason":"越权"}' >/dev/null
web_expect 403 "a town operator commands another town's incident"
web_post zhao.view "/incidents/$L1/commands" '{"request_id":"v1","kind":"escalate","reason":"只读"}' >/dev/null
web_expect 403 "a viewer commands"
assert_eq role "$(jq -r .error.code "$WORK/body")" "a viewer's 403 is role"
web_post wang.op "/incidents/$L1/commands" '{"request_id":"s1","kind":"supervise","reason":"督办","deadline_ms":9999999999999}' >/dev/null
web_expect 403 "an operator supervises"
web_post wang.op "/incidents/$L1/commands" '{"request_id":"u1","kind":"escalate","reason":"x","bogus":1}' >/dev/null
web_expect 400 "an unknown field"
assert_match "bogus" "$(jq -r .error.message "$WORK/body")" "the message names the field"
log "403 for another town, for a viewer, for an operator's supervise; 400 names the field"

# ---- suspension: a supervisor suspends, an operator resumes; asked twice, already_done ----
web_post wang.op "/incidents/$L1/commands" '{"request_id":"sp0","kind":"suspend","reason":"等待判决"}' >/dev/null
web_expect 403 "an operator suspends"
assert_eq role "$(jq -r .error.code "$WORK/body")" "an operator's suspension: 403 role"
web_post chen.sup "/incidents/$L1/commands" '{"request_id":"sp1","kind":"suspend","reason":"等待法院判决"}' >/dev/null
web_expect 200 "a supervisor suspends"
assert_eq "true|等待法院判决|false" \
    "$(web_get wang.op /board | jq -r ".incidents[] | select(.incident_id == $L1) | [(.suspended_at_ms > 0), .suspend_reason, .overdue] | map(tostring) | join(\"|\")")" \
    "the board: suspended since, the reason, not overdue"
web_post chen.sup "/incidents/$L1/commands" '{"request_id":"sp2","kind":"suspend","reason":"再次"}' >/dev/null
web_expect 409 "suspending a suspended incident"
assert_eq already_done "$(jq -r .error.code "$WORK/body")" "…is already so"
web_post wang.op "/incidents/$L1/commands" '{"request_id":"rs1","kind":"resume","reason":"判决已下"}' >/dev/null
web_expect 200 "an operator resumes"
web_post wang.op "/incidents/$L1/commands" '{"request_id":"rs2","kind":"resume","reason":"再次"}' >/dev/null
web_expect 409 "resuming a running incident"
assert_eq already_done "$(jq -r .error.code "$WORK/body")" "…is already so"
assert_eq "suspended|p.chen.sup|等待法院判决 resumed|p.wang.op|判决已下" \
    "$(q "SELECT string_agg(kind || '|' || actor_node || '|' || reason, ' ' ORDER BY seq) FROM events WHERE incident_id = $L1 AND kind IN ('suspended', 'resumed')")" \
    "two events, the people's nodes as actors"
log "suspension: 403 role for an operator, 409 already_done twice, resumed by an operator"

# ---- search, concluded included ----
web_post wang.op "/incidents/$PH/commands" '{"request_id":"c1","kind":"conclude","reason":"已处理"}' >/dev/null
web_expect 200 "conclude"
assert_eq concluded "$(q "SELECT state FROM incidents WHERE id = $PH")" "concluded"
assert_eq "$PH" "$(web_get wang.op "/board?q=12345678" | jq -r '[.incidents[].incident_id]|join(",")')" "search by a part of the phone"
assert_eq "$PH" "$(web_get wang.op "/board?q=PHONE1" | jq -r '[.incidents[].incident_id]|join(",")')" "search by external ref"
assert_eq "$PH" "$(web_get wang.op "/board?q=楼道" | jq -r '[.incidents[].incident_id]|join(",")')" "search by title"
assert_eq "$B1" "$(web_get wang.op "/board?q=$B1" | jq -r '[.incidents[].incident_id]|join(",")')" "search by id"
assert_eq "" "$(web_get li.town "/board?q=北山" | jq -r '[.incidents[].incident_id]|join(",")')" "search stays inside the jurisdiction"
assert_eq "$(q "SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM incidents WHERE title LIKE '%邻里纠纷%'")" \
    "$(board_ids wang.op "q=$(jq -rn '"邻里纠纷"|@uri')")" "search pages, newest first"
log "search: phone, external ref, title, id, concluded included, paged"

# ---- roster and statistics ----
out=$(web_get li.town /roster)
web_expect 200 roster
assert_eq "$(q "SELECT count(*) FROM workers WHERE fq_unit_within(grid, 'lingyin')") $(q "SELECT count(*) FROM handlers WHERE fq_unit_within(territory, 'lingyin')")" \
    "$(jq -r '[([.roster[] | select(.kind == "worker")] | length), ([.roster[] | select(.kind != "worker")] | length)] | join(" ")' <<<"$out")" \
    "the town's roster: its workers and units"
to=$(($(now_ms) + 60000))
out=$(web_get wang.op "/stats?from_ms=$((to - 86400000))&to_ms=$to&by=town")
web_expect 200 statistics
assert_eq group "$(jq -r '.columns[0]' <<<"$out")" "statistics columns"
assert_eq "$(q "SELECT count(*) FROM incidents WHERE fq_town_of(coalesce(territory, place_unit)) = 'lingyin'")" \
    "$(jq -r '.rows[] | select(.[0] == "lingyin") | .[1]' <<<"$out")" "lingyin's received count"
assert_match '^"?group"?,' "$(web_get wang.op "/stats?from_ms=$((to - 86400000))&to_ms=$to&by=town&format=csv" | head -1)" "statistics as CSV"
web_get wang.op "/stats?from_ms=$to&to_ms=$to" >/dev/null
web_expect 400 "an empty period"
web_post wang.op "/incidents/$PH/commands" '{"request_id":"c2","kind":"escalate","reason":"已办结的"}' >/dev/null
web_expect 409 "a command the state does not allow"
assert_eq wrong_state "$(jq -r .error.code "$WORK/body")" "wrong_state code"
log "roster, statistics (JSON and CSV), 409 wrong_state"

# ---- the live feed ----
curl -sN -H "Cookie: ${COOKIE[wang.op]}" "$BASE/events" >"$WORK/sse1" 2>/dev/null &
SSE=$!
CLEANUPS+=("kill $SSE 2>/dev/null || true")
for ((i = 0; i < 600; i++)); do
    grep -q 'live feed' "$WORK/sse1" 2>/dev/null && break
    sleep 0.05
done
rep lingyin-platform LIVE1 "$WGRID" "实时推送"
LIVE=$(id_of LIVE1)
for ((i = 0; i < 600; i++)); do
    grep -q "\"incident_id\":$LIVE" "$WORK/sse1" && break
    sleep 0.05
done
grep -q "\"incident_id\":$LIVE" "$WORK/sse1" || fail "the live feed did not bring $LIVE: $(tail -c 500 "$WORK/sse1")"
kill "$SSE" 2>/dev/null || true
# The live item says the change in typed fields, rendered by the descriptor
# (docs/terminals.md, "Structured items"): enums by their lowercase names.
live=$(grep '^data: ' "$WORK/sse1" | sed 's/^data: //' | jq -c --argjson i "$LIVE" 'select(.incident_id == $i)' | head -n 1)
assert_eq "assigned|assigned|LIVE1|lingyin-platform|$(q "SELECT max(seq) FROM events WHERE incident_id = $LIVE AND kind = 'assigned'")" \
    "$(jq -r '[.state, .assignment, .external_ref, .reporter_node, .event_seq] | join("|")' <<<"$live")" \
    "the live item's typed fields"
if [ -z "$(jq -r '.tier // empty' <<<"$live")" ] || [ -z "$(jq -r '.reason_code // empty' <<<"$live")" ]; then
    fail "the live item has a tier and a reason code: $live"
fi
first=$(grep -m1 '^id: ' "$WORK/sse1" | cut -d' ' -f2)
last=$(q "SELECT max(seq) FROM feed_items WHERE box = 'u:xihu'")
resume=$((last - 10))
curl -sN -H "Cookie: ${COOKIE[wang.op]}" -H "Last-Event-ID: $resume" "$BASE/events" >"$WORK/sse2" 2>/dev/null &
SSE=$!
CLEANUPS+=("kill $SSE 2>/dev/null || true")
for ((i = 0; i < 600; i++)); do
    grep -q "^id: $last\$" "$WORK/sse2" && break
    sleep 0.05
done
kill "$SSE" 2>/dev/null || true
got=$(grep '^id: ' "$WORK/sse2" | cut -d' ' -f2 | paste -sd, -)
assert_eq "$(seq $((resume + 1)) "$last" | paste -sd, -)" "$got" "resumed from Last-Event-ID without gaps or duplicates"
log "SSE: live item $LIVE (first id $first); resumed after $resume up to $last"

server_stop
log "ok"
