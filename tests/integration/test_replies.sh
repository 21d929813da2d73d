#!/usr/bin/env bash
# integ_replies: every reply fits one frame (FQ_MAX_FRAME_BYTES, 64 KiB) at
# real scale, and every list is paged (docs/console.md, "Paging";
# docs/terminals.md, "Sync and the frame limit"):
#   - a district with 10,000 open incidents: `fq-console board --once` pages
#     through them and prints every open incident exactly once, in the
#     board's order, equal to the database;
#   - a terminal's sync of assignments whose fields are at their maximum
#     length: each answer under the limit, "more" until the outbox is
#     drained, every item once, no field cut;
#   - an incident with a maximum-length description and 5,000 events: the
#     timeline comes in pages, every event once, in order;
#   - a roster of 3,000 workers comes in pages;
#   - a statistics period longer than 366 days is refused with a reason.
# Before the fix the board, the sync and the timeline got no answer at all
# (the reply passed 64 KiB, the client dropped it, REQ sent again forever).
#
# Seeding: the 10,000 incidents and the sync's assignments go through the
# real intake (fq-report --stdin --window 256); the 5,000 events and the
# 3,000 workers are inserted with SQL (the event log's own triggers chain
# them), since sending 5,000 commands one process each would take minutes
# and test nothing more of the paging.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

: "${FQ_CONSOLE:?fq-console is needed (ncursesw)}"
FRAME_LIMIT=65536
N_OPEN=${FQ_REPLIES_OPEN:-10000}
N_EVENTS=5000

db_create
setup_world
add_node ops console xihu
admin node add t1 --role terminal --serves-worker lingyin-v1-g1.w1 --key-out "$WORK/keys/t1.key" >/dev/null 2>&1
server_start --dedup-window-min 0 --presence-timeout 600

con() { # node args...
    local node=$1
    shift
    "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$node" --key-file "$(key_of "$node")" "$@"
}
# repeat TEXT N: TEXT N times
repeat() { python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]), end="")' "$1" "$2"; }

# ---- the sync: assignments with every field at its maximum ----
# 4-byte characters: a title of 200 is 800 bytes, an address of 500 is 2000.
TITLE=$(repeat '𠀀' 200)
ADDRESS=$(repeat '𠀁' 500)
python3 - "$TITLE" "$ADDRESS" >"$WORK/long.jsonl" <<'EOF'
import json, sys
for i in range(120):
    print(json.dumps({"category": "dispute.neighbour", "severity": "IV", "risk": "low",
                      "channel": "hotline", "place_unit": "lingyin-v1-g1", "title": sys.argv[1],
                      "address": sys.argv[2], "external_ref": "LONG-%d" % i}, ensure_ascii=False))
EOF
report lingyin-platform --stdin --window 64 --quiet <"$WORK/long.jsonl" >"$WORK/long.out" ||
    fail "the long reports were not all stored"
box=w:lingyin-v1-g1.w1
total=$(q "SELECT count(*) FROM outbox WHERE box = '$box'")
last=$(q "SELECT max(seq) FROM outbox WHERE box = '$box'")
[ "$total" -ge 30 ] || fail "expected the worker to hold many assignments, got $total"
log "sync: $total items of ~3 KB in $box"
after=0 rounds=0 first_more="" got=""
while :; do
    items=$(con t1 sync "$after" 2>"$WORK/sync.err") || fail "sync after $after: $(cat "$WORK/sync.err")"
    read -r _ _ seq_last _ more _ bytes < <(grep '^sync ' "$WORK/sync.err")
    rounds=$((rounds + 1))
    [ -n "$first_more" ] || first_more=$more
    [ "$bytes" -le "$FRAME_LIMIT" ] || fail "a sync answer of $bytes bytes"
    assert_eq "$last" "$seq_last" "sync: last_seq"
    if [ -n "$items" ]; then
        [ "$(jq -r .title_bytes <<<"$items" | sort -u | xargs)" = 800 ] || fail "a title was cut"
        [ "$(jq -r .address_bytes <<<"$items" | sort -u | xargs)" = 2000 ] || fail "an address was cut"
        got+="$(jq -r .seq <<<"$items")"$'\n'
        after=$(jq -r .seq <<<"$items" | tail -n 1)
    fi
    [ "$more" = 1 ] || break
    [ "$rounds" -lt 1000 ] || fail "sync: more than 1000 rounds"
done
assert_eq 1 "$first_more" "the first sync says more (it could not hold $total items)"
assert_eq "$(seq 1 "$last" | xargs)" "$(grep -v '^$' <<<"$got" | xargs)" "every item once, in order"
log "sync: $total items in $rounds answers"

# ---- the timeline: a maximum description and 5,000 events ----
python3 - "$(repeat '𠀂' 4000)" >"$WORK/desc.jsonl" <<'EOF'
import json, sys
print(json.dumps({"category": "dispute.labour", "severity": "II", "risk": "high", "channel": "hotline",
                  "place_unit": "lingyin", "title": "长时间线", "description": sys.argv[1],
                  "external_ref": "TIMELINE"}, ensure_ascii=False))
EOF
report lingyin-platform --stdin --quiet <"$WORK/desc.jsonl" >"$WORK/desc.out" || fail "the long description was not stored"
tid=$(q "SELECT id FROM incidents WHERE external_ref = 'TIMELINE'")
# Every 500th reason at its maximum (2000 characters, 8 KB).
append_events "SELECT $tid AS incident_id, 'progress' AS kind, 't1' AS actor_node, NULL::timestamptz AS at,
   CASE WHEN g % 500 = 0 THEN repeat('𠀃', 2000) ELSE '进展 ' || g END AS reason, NULL::bytea AS payload
   FROM generate_series(1, $N_EVENTS) g ORDER BY g" >/dev/null
want=$(q "SELECT seq FROM events WHERE incident_id = $tid ORDER BY seq" | xargs)
detail=$(con ops incident "$tid" 2>"$WORK/tl.err") || fail "incident $tid: $detail"
pages=$(awk '/^pages /{print $2}' "$WORK/tl.err")
[ "$pages" -gt 1 ] || fail "the timeline came in $pages page(s)"
assert_eq "$want" "$(jq -r '.timeline[].seq' <<<"$detail" | xargs)" "the timeline: every event once, in order"
assert_eq 4000 "$(jq -r '.description | length' <<<"$detail")" "the description whole"
log "timeline: $(wc -w <<<"$want") events in $pages pages"
con ops --pages 1 incident "$tid" >/dev/null 2>"$WORK/tl1.err"
grep -q '^pages 1 more 1 ' "$WORK/tl1.err" || fail "one page of the timeline says more: $(cat "$WORK/tl1.err")"
max_frame=$(awk '/^pages /{print $6}' "$WORK/tl.err")
[ "$max_frame" -le "$FRAME_LIMIT" ] || fail "a timeline page of $max_frame bytes"
# A cursor of another kind of query, or a forged one, is refused.
for bad in "o1.5.0.4.9.1 incident $tid" "t1.x incident $tid" "t1.5 roster" "r1.-1 roster"; do
    out=$(con ops --cursor ${bad%% *} ${bad#* }) && fail "cursor ${bad%% *} was taken: $out"
    assert_eq invalid "$(jq -r .status <<<"$out")" "cursor ${bad%% *}"
done

# ---- the roster: 3,000 workers ----
q "INSERT INTO workers (id, grid, name, capacity)
   SELECT 'lingyin-v1-g1.x' || g, 'lingyin-v1-g1', '网格员' || g, 10 FROM generate_series(1, 3000) g" >/dev/null
roster=$(con ops roster 2>"$WORK/roster.err") || fail "roster: $roster"
assert_eq "$(q "SELECT count(*) FROM workers") + $(q "SELECT count(*) FROM handlers")" \
    "$(grep -c '"kind":"worker"' <<<"$roster") + $(grep -vc '"kind":"worker"' <<<"$roster")" \
    "the roster: every worker and unit"
assert_eq "$(wc -l <<<"$roster")" "$(jq -r .id <<<"$roster" | sort -u | wc -l)" "the roster: each once"
pages=$(awk '/^pages /{print $2}' "$WORK/roster.err")
[ "$pages" -gt 1 ] || fail "the roster came in $pages page(s)"
log "roster: $(wc -l <<<"$roster") entries in $pages pages"

# ---- statistics: a bounded period ----
now=$(now_ms)
out=$(con ops stats $((now - 400 * 86400000)) "$now" town) && fail "a 400-day period was answered: $out"
assert_eq invalid "$(jq -r .status <<<"$out")" "a 400-day period: status"
assert_match '366 days' "$(jq -r .message <<<"$out")" "a 400-day period: the reason"
csv=$(con ops stats $((now - 366 * 86400000)) "$now" town) || fail "a 366-day period: $csv"
assert_match '^group,received' "$(head -n 1 <<<"$csv")" "a 366-day period: the header"

# ---- the board: 10,000 open incidents ----
python3 - "$N_OPEN" >"$WORK/open.jsonl" <<'EOF'
import json, sys
places = ["lingyin-v1-g1", "lingyin-v1", "lingyin-v2", "lingyin"]
cats = ["dispute.neighbour", "hazard.fire", "market.food_safety", "service.elderly_care"]
sev = ["IV", "IV", "III", "II"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"category": cats[i % 4], "severity": sev[(i // 4) % 4], "risk": "low",
                      "channel": "hotline", "place_unit": places[(i // 16) % 4],
                      "title": "第%d号 楼道堆放杂物影响通行，请尽快处理" % i,
                      "address": "灵隐路%d号" % i, "external_ref": "OPEN-%d" % i},
                     ensure_ascii=False))
EOF
log "board: reporting $N_OPEN incidents"
report lingyin-platform --stdin --window 256 --quiet <"$WORK/open.jsonl" >"$WORK/open.out" ||
    fail "the $N_OPEN reports were not all stored"
log "board: reported"
# Every kind of row the board's two index reads (sql/console_open.sql:
# the overdue, then the others) must place, spread over the pages: overdue
# by a supervision order's deadline or its breach mark (bit 4) only,
# acknowledged (the conclude limit counts), no limit at all (last),
# suspended (never overdue, whatever its limits say). Set in the database
# only: the board reads it from there.
q "UPDATE incidents SET supervision_due = now() - interval '1 minute' WHERE external_ref LIKE 'OPEN-%' AND id % 89 = 0;
   UPDATE incidents SET breached = breached | 4 WHERE external_ref LIKE 'OPEN-%' AND id % 83 = 0;
   UPDATE incidents SET assignment = 'acknowledged' WHERE external_ref LIKE 'OPEN-%' AND id % 7 = 0;
   UPDATE incidents SET ack_warn_at = NULL, ack_due = NULL, conclude_warn_at = NULL, conclude_due = NULL
    WHERE external_ref LIKE 'OPEN-%' AND id % 79 = 0;
   UPDATE incidents SET suspended_at = now(), suspend_reason = 'integ_replies'
    WHERE external_ref LIKE 'OPEN-%' AND id % 97 = 0;
   ANALYZE incidents" >/dev/null
# The board's order (docs/console.md): overdue first, then severity, then
# the nearest limit, then the id.
q "SELECT id FROM incidents i WHERE state = 'assigned'
   ORDER BY i.suspended_at IS NULL
            AND coalesce((i.assignment = 'assigned' AND i.ack_due < now()) OR i.conclude_due < now()
                         OR i.supervision_due < now() OR i.breached & 4 <> 0, false) DESC, i.severity,
            CASE WHEN i.assignment = 'assigned' THEN i.ack_due ELSE i.conclude_due END NULLS LAST, i.id" \
    >"$WORK/open.want"
n_want=$(wc -l <"$WORK/open.want")
[ "$n_want" -ge "$N_OPEN" ] || fail "only $n_want open incidents in the database"
"$FQ_CONSOLE" --node ops --key-file "$(key_of ops)" --url "$TERMINALS_URL" --timeout-ms 60000 \
    board --once >"$WORK/board.out" 2>"$WORK/board.err" || fail "board --once: $(cat "$WORK/board.err")"
# Lines: a header, then " ID ..." or "!ID ..." per incident.
tail -n +2 "$WORK/board.out" | cut -c2- | awk '{print $1}' >"$WORK/board.ids"
assert_eq "$n_want" "$(wc -l <"$WORK/board.ids")" "the board: as many rows as open incidents"
assert_eq "$n_want" "$(sort -u "$WORK/board.ids" | wc -l)" "the board: each incident once"
cmp -s "$WORK/open.want" "$WORK/board.ids" || fail "the board differs from the database: $(diff "$WORK/open.want" "$WORK/board.ids" | head -n 5)"
log "board: $n_want open incidents, equal to the database"
# The peer's view of the pages: each under the limit, several of them.
con ops open --limit 2000 >/dev/null 2>"$WORK/open.err" || fail "open: $(cat "$WORK/open.err")"
pages=$(awk '/^pages /{print $2}' "$WORK/open.err")
[ "$pages" -gt 1 ] || fail "the board came in $pages page(s)"
max_frame=$(awk '/^pages /{print $6}' "$WORK/open.err")
[ "$max_frame" -le "$FRAME_LIMIT" ] || fail "a board page of $max_frame bytes"
con ops --pages 1 open --limit 2000 >/dev/null 2>"$WORK/open1.err"
grep -q '^pages 1 more 1 ' "$WORK/open1.err" || fail "one page of the board says more"

assert_server_alive "after the paging"
server_stop
log "PASS"
