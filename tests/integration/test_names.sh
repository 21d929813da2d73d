#!/usr/bin/env bash
# integ_names: names from the server (issue #12 item 1) on the demo district
# (examples/westlake-topology.json). The intake reply, a worker's feed items
# of every kind provoked here (assignment, warning, cancellation, supervision,
# update, closed), the town's feed, the console's board, incident, search and
# roster carry the topology's display names — compared against the topology
# file, not against the server's code. `note` is empty for the server's own
# events and is the typed text for a person's; `actor_name` names the acting
# person or node. time_zone is "+08:00" and follows an imported calendar.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

TOPOLOGY="$FQ_SRC_DIR/examples/westlake-topology.json"
setup_topology "$TOPOLOGY"

# The names as the topology file gives them.
unit_name() { jq -r --arg id "$1" '[.. | objects | select(.id? == $id) | .name] | first // ""' "$TOPOLOGY"; }
category_name() { jq -r --arg c "$1" '.categories[] | select(.code == $c) | .name' "$TOPOLOGY"; }
field() { jq -r "$1" <<<"$2"; }

# Short limits for fire hazards (a warning, then escalation tier by tier up
# to the district); the demo's rules for the rest.
q "UPDATE rule_sets SET active = false;
   INSERT INTO rule_sets (version, created_by, note, active) VALUES (99, 'integ_names', 'short limits', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (99, 'fire_hazard', 0, 0, 'village', NULL, '{}', 3, 2, 36000, 60),
            (99, 'dispute.neighbour', 0, 0, 'village', NULL, '{}', 3600, 60, 36000, 60)" >/dev/null

admin node add bs-platform --role town_platform --jurisdiction beishan \
    --description 北山街道平台值班室 --key-out "$WORK/keys/bs-platform.key" >/dev/null 2>&1
admin node add ops --role console --jurisdiction xihu \
    --description 区指挥中心值班台 --key-out "$WORK/keys/ops.key" >/dev/null 2>&1
for w in w1 w2; do
    admin node add "t-$w" --role terminal --serves-worker "beishan-c1-g1-$w" \
        --description "终端 $w" --key-out "$WORK/keys/t-$w.key" >/dev/null 2>&1
done
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --dedup-window-min 0 --presence-timeout 600 --console "$CONSOLE_URL"

con() { # node args...
    local node=$1
    shift
    "$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node "$node" --key-file "$(key_of "$node")" "$@"
}
items() { # node: every item of its box, one JSON line each
    "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$1" --key-file "$(key_of "$1")" sync 0 2>"$WORK/sync.err"
}
item_of() { # node incident event_kind: the last such item
    items "$1" | jq -c --argjson i "$2" --arg k "$3" 'select(.incident == $i and .event_kind == $k)' | tail -n 1
}
wait_item() { # node incident event_kind
    local i out
    for ((i = 0; i < 300; i++)); do
        out=$(item_of "$@")
        [ -n "$out" ] && {
            echo "$out"
            return 0
        }
        sleep 0.1
    done
    fail "no $3 item for incident $2 in the box of $1: $(items "$1")"
}

# ---- the intake reply ----
r1=$(report bs-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place beishan-c1-g1 --title 楼上漏水 --external-ref NAMES-1 --json --message-id 4242)
log "intake reply: $r1"
k1=$(field .incident_id "$r1")
w1=$(field .routing.worker "$r1")
t1=t-${w1##*-}
assert_eq "$(unit_name "$w1")" "$(field .routing.worker_name "$r1")" "intake: worker_name"
assert_eq "$(unit_name "$(field .routing.lead_unit "$r1")")" "$(field .routing.lead_unit_name "$r1")" \
    "intake: lead_unit_name"
assert_eq 北山第一社区1号网格 "$(field .routing.territory_name "$r1")" "intake: territory_name"
# The stored routing payload carries them too: a resend gets the same reply.
r1b=$(report bs-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place beishan-c1-g1 --title 楼上漏水 --external-ref NAMES-1 --json --message-id 4242)
assert_eq true "$(field .duplicate "$r1b")" "the resend is recognised" 
assert_eq "$(field .routing.worker_name "$r1")" "$(field .routing.worker_name "$r1b")" \
    "a resend's reply names the worker as the first did"

# ---- a worker's items: assignment ----
a=$(wait_item "$t1" "$k1" assigned)
log "assignment item: $a"
assert_eq 邻里纠纷 "$(field .category_name "$a")" "item: category_name"
assert_eq "$(category_name dispute.neighbour)" "$(field .category_name "$a")" "item: category_name (file)"
assert_eq 北山第一社区1号网格 "$(field .territory_name "$a")" "item: territory_name"
assert_eq "$w1" "$(field .holder_worker "$a")" "item: holder_worker"
assert_eq "$(unit_name "$w1")" "$(field .holder_worker_name "$a")" "item: holder_worker_name"
assert_eq "$(unit_name "$(field .holder_unit "$a")")" "$(field .holder_unit_name "$a")" "item: holder_unit_name"
assert_eq "" "$(field .note "$a")" "the server's own event has no note"
assert_eq "" "$(field .actor_name "$a")" "…and no actor"
assert_match "by rule" "$(field .text "$a")" "text stays as it was (for logs and older clients)"
assert_eq +08:00 "$(field .time_zone "$a")" "sync: time_zone without a calendar"

# ---- supervision by the console, the worker's reply, the town's feed ----
due=$(($(now_ms) + 3600000))
out=$(con ops command supervise "$k1" --deadline-ms "$due" --reason 请今日内回复处理进展)
assert_eq ok "$(field .status "$out")" "supervise ($out)"
s=$(wait_item "$t1" "$k1" supervision_ordered)
assert_eq 5 "$(field .kind "$s")" "the holder gets a SUPERVISION item"
assert_eq 请今日内回复处理进展 "$(field .note "$s")" "supervision: note is the typed text"
assert_eq 区指挥中心值班台 "$(field .actor_name "$s")" "supervision: actor_name is the console node's description"
"$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$t1" --key-file "$(key_of "$t1")" \
    reply "$k1" 已上门查看 >/dev/null || fail "the worker's reply"
f=$(wait_item ops "$k1" supervision_replied)
assert_eq 已上门查看 "$(field .note "$f")" "the feed: the worker's note"
assert_eq "$(unit_name "$w1")" "$(field .actor_name "$f")" "the feed: actor_name is the worker's name"
assert_eq 邻里纠纷 "$(field .category_name "$f")" "the feed: category_name"
assert_eq 2 "$(field .kind "$f")" "the feed: an UPDATE"
assert_eq 北山第一社区1号网格 "$(field .territory_name "$f")" "the feed: territory_name"
assert_eq "$(unit_name "$w1")" "$(field .holder_worker_name "$f")" "the feed: holder_worker_name"

# ---- warning and escalation: the server's own events ----
r2=$(report bs-platform --category fire_hazard --severity IV --risk low --channel hotline \
    --place beishan-c1-g1 --title 楼道堆物 --external-ref NAMES-2 --json)
k2=$(field .incident_id "$r2")
w2=$(field .routing.worker "$r2")
t2=t-${w2##*-}
c=$(wait_item "$t2" "$k2" escalated)
log "escalation item in the former holder's box: $c"
assert_eq 3 "$(field .kind "$c")" "the former holder gets a cancellation"
assert_eq "" "$(field .note "$c")" "escalation: no note (its reason names rules and tiers)"
assert_eq "" "$(field .actor_name "$c")" "escalation: no actor"
assert_eq "$(unit_name "$(field .holder_unit "$c")")" "$(field .holder_unit_name "$c")" \
    "escalation: the new holder by name"
assert_eq "" "$(field .holder_worker "$c")" "escalation: no worker above the village"
assert_eq 消防安全隐患 "$(field .category_name "$c")" "escalation: category_name"
warn=$(wait_item "$t2" "$k2" ack_warning)
assert_eq 4 "$(field .kind "$warn")" "a WARNING item"
assert_eq "" "$(field .note "$warn")" "warning: no note (its reason is the server's)"
assert_eq "" "$(field .actor_name "$warn")" "warning: no actor"
assert_match "not acknowledged yet" "$(field .text "$warn")" "warning: text as it was"

# Up to the district and past its limit: overdue, acknowledge bit.
for ((i = 0; i < 600; i++)); do
    [ "$(q "SELECT breached FROM incidents WHERE id = $k2")" != 0 ] && break
    sleep 0.1
done
[ "$(q "SELECT breached FROM incidents WHERE id = $k2")" != 0 ] || fail "incident $k2 never breached at the top"

# ---- the console's reads ----
board=$(con ops open 2>"$WORK/open.err")
assert_eq "time_zone +08:00" "$(grep time_zone "$WORK/open.err")" "console: time_zone without a calendar"
b1=$(jq -c --argjson i "$k1" 'select(.id == $i)' <<<"$board")
log "board row: $b1"
assert_eq 邻里纠纷 "$(field .category_name "$b1")" "board: category_name"
assert_eq 北山第一社区1号网格 "$(field .territory_name "$b1")" "board: territory_name"
assert_eq "$(unit_name beishan)" "$(field .town_name "$b1")" "board: town_name"
assert_eq "$(unit_name "$(field .lead "$b1")")" "$(field .lead_name "$b1")" "board: lead_unit_name"
assert_eq "$(unit_name "$w1")" "$(field .worker_name "$b1")" "board: worker_name"
assert_eq 北山街道平台值班室 "$(field .reporter_node_name "$b1")" "board: reporter_node_name"
assert_eq NAMES-1 "$(field .external_ref "$b1")" "board: external_ref"
assert_eq 0 "$(field .overdue_limits "$b1")" "board: nothing passed"
b2=$(jq -c --argjson i "$k2" 'select(.id == $i)' <<<"$board")
assert_eq true "$(field .overdue "$b2")" "board: the breached one is overdue"
assert_eq 1 "$(($(field .overdue_limits "$b2") & 1))" "board: its acknowledge limit passed"
assert_eq "$(unit_name "$(field .lead "$b2")")" "$(field .lead_name "$b2")" "board: the district holder by name"

detail=$(con ops incident "$k1")
log "timeline: $(field '[.timeline[] | .kind + "=" + .actor_name] | join(" ")' "$detail")"
assert_eq 北山街道平台值班室 "$(field '.timeline[] | select(.kind == "reported") | .actor_name' "$detail")" \
    "timeline: the reporter by name"
assert_eq "" "$(field '.timeline[] | select(.kind == "assigned") | .actor_name' "$detail")" \
    "timeline: fengqiaod has no name"
assert_eq 区指挥中心值班台 "$(field '.timeline[] | select(.kind == "supervision_ordered") | .actor_name' "$detail")" \
    "timeline: the console by name"
assert_eq "$(unit_name "$w1")" "$(field '.timeline[] | select(.kind == "supervision_replied") | .actor_name' "$detail")" \
    "timeline: the worker by name"

found=$(con ops search NAMES-2 2>"$WORK/search.err") || fail "search: $found $(cat "$WORK/search.err")"
[ -n "$found" ] || fail "search NAMES-2 found nothing: $(q "SELECT id, external_ref, state FROM incidents") $(cat "$WORK/search.err")"
assert_eq "$k2" "$(field .id "$found")" "search by the external reference"
assert_eq 消防安全隐患 "$(field .category_name "$found")" "search: category_name"
assert_eq NAMES-2 "$(field .external_ref "$found")" "search: external_ref"

roster=$(con ops roster beishan)
rw=$(jq -c --arg w "$w1" 'select(.id == $w)' <<<"$roster")
assert_eq "$(unit_name "$w1")" "$(field .name "$rw")" "roster: a worker's name"
assert_eq 北山第一社区1号网格 "$(field .territory_name "$rw")" "roster: its grid's name"
ru=$(jq -c 'select(.id == "beishan-governance")' <<<"$roster")
assert_eq 北山街道综治工作平台 "$(field .name "$ru")" "roster: a unit's name"
assert_eq 北山街道 "$(field .territory_name "$ru")" "roster: its town's name"

# ---- a command's note is the typed reason; the closed item ----
out=$(con ops command conclude "$k1" --reason 双方已调解完毕)
assert_eq ok "$(field .status "$out")" "conclude ($out)"
cl=$(wait_item "$t1" "$k1" concluded)
assert_eq 6 "$(field .kind "$cl")" "the holder gets the closing item"
assert_eq 双方已调解完毕 "$(field .note "$cl")" "closed: note is the typed reason"
assert_eq 区指挥中心值班台 "$(field .actor_name "$cl")" "closed: the actor by name"

# ---- time_zone follows the district's calendar ----
jq '.utc_offset = "+09:00"' "$FQ_SRC_DIR/examples/calendar-2026.json" >"$WORK/calendar.json"
loads=$(directory_loads)
admin calendar import "$WORK/calendar.json" >/dev/null
wait_directory_reload "$loads"
con ops open 2>"$WORK/open.err" >/dev/null
assert_eq "time_zone +09:00" "$(grep time_zone "$WORK/open.err")" "console: the calendar's offset"
items "$t1" >/dev/null
assert_match "time_zone \+09:00" "$(cat "$WORK/sync.err")" "sync: the calendar's offset"

server_stop
log "ok"
