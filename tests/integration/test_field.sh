#!/usr/bin/env bash
# test_field: the phones' field API (docs/http-api.md, "The field API")
# against a real fengqiaod --http and PostgreSQL, with the demo district
# (examples/westlake-topology.json):
#   - fengqiao-admin user add --role worker: clear refusals (neither or both
#     of --serves-worker/--serves-unit, an unknown worker or unit, a console
#     role with --serves-*), the account's terminal node, user list;
#   - a worker signs in; the session says whom it serves; the role gate
#     (a worker gets 403 role on the console's paths, a console account on
#     /field/); a worker's topology is its town; no CSRF token: 403;
#   - a report by fq-report reaches the worker's sync (a held long-poll
#     answered when it is committed); the assignments list and the detail;
#   - acknowledge, progress, extend, conclude through the API; a resend with
#     the same request_id is answered the same and makes one event; another
#     worker's incident is 403 on the detail and on an action;
#   - a field report with a location is routed (channel patrol, placed by
#     its point), one outside the account's grid is 403;
#   - photos: a category asking for one (400 photo_required), a non-image
#     (415), an oversized one or five (413), another worker's (403) store
#     nothing; two photos stored with the conclusion's event, their SHA-256
#     in its signed envelope, `verify` passes, the bytes back by id with
#     their ETag (304), another worker 403; a field report with a photo;
#   - presence: off_duty=1 takes the worker off duty (their unacknowledged
#     assignment moves on, in PostgreSQL), the next sync brings them back.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"
FQ_MAKE_IMAGE=${FQ_MAKE_IMAGE:?}

setup_topology "$FQ_SRC_DIR/examples/westlake-topology.json"
add_node lingyin-platform town_platform lingyin
GRID=lingyin-lingfeng-g1
W1=$GRID-w1 W2=$GRID-w2
OTHER_GRID=lingyin-lingfeng-g2

# ---- accounts ----
pw() { printf 'pw-%s-1234\n' "$1"; }
expect_refusal() { # want-status regex what -- command...
    local want=$1 re=$2 what=$3 rc=0
    shift 4
    "$@" >"$WORK/admin.out" 2>"$WORK/admin.err" </dev/null || rc=$?
    assert_eq "$want" "$rc" "$what: exit status ($(cat "$WORK/admin.err"))"
    assert_match "$re" "$(cat "$WORK/admin.err")" "$what: the message"
}
expect_refusal 2 'serves one worker .* or one unit' "neither --serves-worker nor --serves-unit" -- \
    admin user add w.none --role worker
expect_refusal 2 'give one of the two' "both --serves-worker and --serves-unit" -- \
    admin user add w.both --role worker --serves-worker "$W1" --serves-unit lingyin-enforcement
expect_refusal 1 "no worker nobody-w9" "an unknown worker" -- \
    admin user add w.ghost --role worker --serves-worker nobody-w9
expect_refusal 1 "no handling unit nowhere-unit" "an unknown unit" -- \
    admin user add w.ghost --role worker --serves-unit nowhere-unit
expect_refusal 2 'for --role worker only' "a console role serving a worker" -- \
    admin user add c.bad --role operator --jurisdiction xihu --serves-worker "$W1"
expect_refusal 2 'leave --jurisdiction out' "a worker account with a jurisdiction" -- \
    admin user add w.jur --role worker --serves-worker "$W1" --jurisdiction lingyin
assert_eq 0 "$(q "SELECT count(*) FROM web_accounts")" "refusals store nothing"

pw w.one | admin user add w.one --role worker --serves-worker "$W1" --display-name 网格员甲 2>/dev/null
pw w.two | admin user add w.two --role worker --serves-worker "$W2" --display-name 网格员乙 2>/dev/null
pw w.unit | admin user add w.unit --role worker --serves-unit lingyin-enforcement \
    --display-name 执法值班 2>/dev/null
pw wang.op | admin user add wang.op --role operator --jurisdiction xihu --display-name 王明 2>/dev/null
assert_eq "terminal|$GRID|$W1|" "$(q "SELECT role, jurisdiction, serves_worker, coalesce(serves_handler, '')
    FROM nodes WHERE id = 'p.w.one'")" "a worker account's node is a terminal serving the worker"
assert_eq "terminal|lingyin|lingyin-enforcement" "$(q "SELECT role, jurisdiction, serves_handler
    FROM nodes WHERE id = 'p.w.unit'")" "a unit's account: its territory"
listing=$(admin user list)
assert_match "w\.one +网格员甲 +worker +$GRID .* worker $W1 " "$listing" "user list shows what it serves"
assert_match "wang\.op +王明 +operator +xihu .* - " "$listing" "a console account serves nothing"
log "accounts: refusals, terminal nodes, user list"

web_api_start --dedup-window-min 0 --presence-timeout 600

for a in w.one w.two w.unit wang.op; do web_login "$a"; done
s=$WORK/session.w.one.json
assert_eq "worker|worker|$W1|$GRID" "$(jq -r '[.role, .serves.kind, .serves.id, .jurisdiction.id] | join("|")' "$s")" \
    "the session of a worker account"
assert_eq "$(q "SELECT name FROM workers WHERE id = '$W1'")" "$(jq -r .serves.name "$s")" "serves by name"
assert_eq "unit|lingyin-enforcement" "$(jq -r '[.serves.kind, .serves.id] | join("|")' "$WORK/session.w.unit.json")" \
    "the session of a unit's account"
assert_eq false "$(jq 'has("serves")' "$WORK/session.wang.op.json")" "a console session serves nothing"

# ---- the role gate ----
for p in /board /roster /stats /incidents/1 /events; do
    web_get w.one "$p" >/dev/null
    web_expect 403 "a worker on $p"
    assert_eq role "$(web_code)" "a worker on $p: the code"
done
for p in /field/sync /field/assignments /field/assignments/1; do
    web_get wang.op "$p" >/dev/null
    web_expect 403 "a console account on $p"
    assert_eq role "$(web_code)" "a console account on $p: the code"
done
web_post wang.op /field/reports '{"request_id":"x"}' >/dev/null
web_expect 403 "a console account posting a field report"
topo=$(web_get w.one /topology)
web_expect 200 "a worker's topology"
assert_eq lingyin "$(jq -r '[.towns[].id] | join(",")' <<<"$topo")" "a worker's topology is its town"
assert_eq true "$(jq --arg g "$GRID" '[.towns[].villages[].grids[] | select(.id == $g) | .ring | length > 2] | .[0]' <<<"$topo")" \
    "the worker's grid has its ring"
web_get w.one /session >/dev/null
web_expect 200 "a worker's session"
# No CSRF token on a POST: 403 csrf, nothing done.
curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[w.one]}" -H 'Content-Type: application/json' \
    --data '{"request_id":"nocsrf","kind":"acknowledge"}' "$BASE/field/assignments/1/actions" >"$WORK/status"
web_expect 403 "an action without the CSRF token"
assert_eq csrf "$(web_code)" "without the CSRF token: the code"
log "roles: a worker only on the field API, console accounts not on it; topology; CSRF"

# ---- the feed: a report reaches the worker's held sync ----
first=$(web_get w.one "/field/sync?after=0&wait_ms=0")
web_expect 200 "a sync answered at once"
assert_eq "[]|0|false|false|+08:00" "$(jq -r '[(.items | tostring), .last_seq, .more, .superseded, .time_zone] | join("|")' <<<"$first")" \
    "an empty outbox"
# A held sync of each worker; the report goes to one of them.
curl -sS -H "Cookie: ${COOKIE[w.one]}" "$BASE/field/sync?after=0&wait_ms=25000" >"$WORK/held1" &
held1=$!
curl -sS -H "Cookie: ${COOKIE[w.two]}" "$BASE/field/sync?after=0&wait_ms=25000" >"$WORK/held2" &
held2=$!
# Both syncs are held before the report (the terminals' metric counts them).
for ((i = 0; i < 600; i++)); do
    curl -s "http://127.0.0.1:$HPORT/metrics" | grep -qE '^fengqiao_terminal_syncs_held 2$' && break
    sleep 0.05
done
report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place "$GRID" --title "楼道堆物" --address "灵峰路1号" --external-ref F1 \
    --reporter-name 张三 --reporter-phone 13812345678 --quiet
F1=$(q "SELECT id FROM incidents WHERE external_ref = 'F1'")
HOLDER=$(q "SELECT worker FROM incidents WHERE id = $F1")
if [ "$HOLDER" = "$W1" ]; then
    ME=w.one OTHER=w.two MINE=$WORK/held1 mine_pid=$held1 other_pid=$held2
else
    ME=w.two OTHER=w.one MINE=$WORK/held2 mine_pid=$held2 other_pid=$held1
fi
[ "$HOLDER" = "$W1" ] || [ "$HOLDER" = "$W2" ] || fail "F1 went to $HOLDER, not a worker of $GRID"
# The holder's is answered when the assignment is committed, not at the end
# of its wait; the other's stays held (nothing for them).
t0=$(now_ms)
wait "$mine_pid"
(($(now_ms) - t0 < 20000)) || fail "the holder's sync waited out its 25 s instead of being answered"
pid_alive "$other_pid" || fail "the other worker's sync was answered with nothing for them"
kill "$other_pid" 2>/dev/null || true
wait "$other_pid" 2>/dev/null || true
assert_eq "$F1|assignment|楼道堆物" "$(jq -r '.items[0] | [.incident_id, .kind, .title] | join("|")' "$MINE")" \
    "the held sync of the holder was answered with the assignment"
SEQ=$(jq -r .last_seq "$MINE")
log "feed: the report reached $ME's held sync (seq $SEQ)"

# ---- assignments and the detail ----
list=$(web_get "$ME" /field/assignments)
web_expect 200 "the assignments"
printf '%s\n' "$list" >"$WORK/assignments.json" # kept for docs/http-api.md's examples
assert_eq "$F1|楼道堆物|assigned|$GRID|iv" "$(jq -r '.assignments[0] | [.incident_id, .title, .assignment, .territory, .severity] | join("|")' <<<"$list")" \
    "the holder's assignments"
assert_eq "$(q "SELECT (date_part('epoch', ack_due) * 1000)::bigint FROM incidents WHERE id = $F1")" \
    "$(jq -r '.assignments[0].acknowledge_due_ms' <<<"$list")" "the acknowledge limit"
assert_eq 0 "$(web_get "$OTHER" /field/assignments | jq '.assignments | length')" "the other worker holds nothing"
detail=$(web_get "$ME" "/field/assignments/$F1")
web_expect 200 "the detail"
assert_eq "张三|138****5678|灵峰路1号|reported" \
    "$(jq -r '[.incident.reporter_name, .incident.reporter_phone, .incident.address, .timeline[0].kind] | join("|")' <<<"$detail")" \
    "the detail: the reporter with the phone masked, the timeline"
assert_eq true "$(jq '.ring | length > 2' <<<"$detail")" "the detail: the territory's ring"
assert_eq "$(q "SELECT name FROM org_units WHERE id = '$GRID'")" "$(jq -r .incident.territory_name <<<"$detail")" \
    "the detail: names"
web_get "$OTHER" "/field/assignments/$F1" >/dev/null
web_expect 403 "another worker's incident"
assert_eq forbidden "$(web_code)" "another worker's incident: the code"
web_get "$ME" "/field/assignments/999999" >/dev/null
web_expect 403 "no such incident is 403, not 404"
log "assignments: the list, the detail, 403 for another worker's"

# ---- actions ----
act() { web_post "$1" "/field/assignments/$2/actions" "$3"; }
events() { q "SELECT count(*) FROM events WHERE incident_id = $F1"; }
before=$(events)
out=$(act "$ME" "$F1" '{"request_id":"ack-1","kind":"acknowledge"}')
web_expect 200 "acknowledge"
assert_eq "$F1|acknowledged|false" "$(jq -r '[.incident_id, .state, .already_done] | join("|")' <<<"$out")" "acknowledged"
seq1=$(jq -r .event_seq <<<"$out")
again=$(act "$ME" "$F1" '{"request_id":"ack-1","kind":"acknowledge"}')
web_expect 200 "the same acknowledge again"
assert_eq "$seq1" "$(jq -r .event_seq <<<"$again")" "a resend is answered as before"
assert_eq $((before + 1)) "$(events)" "a resend makes no second event"
act "$ME" "$F1" '{"request_id":"ack-1","kind":"progress","note":"换了内容"}' >/dev/null
web_expect 409 "the same request_id for another action"
assert_eq conflict "$(web_code)" "a reused request_id: the code"
act "$OTHER" "$F1" '{"request_id":"steal-1","kind":"conclude","note":"不是我的"}' >/dev/null
web_expect 403 "an action on another worker's incident"
assert_eq forbidden "$(web_code)" "another worker's action: the code"
act "$ME" "$F1" '{"request_id":"prog-1","kind":"progress","note":"已到现场"}' >/dev/null
web_expect 200 "progress"
act "$ME" "$F1" '{"request_id":"prog-2","kind":"progress"}' >/dev/null
web_expect 400 "progress without a note"
act "$ME" "$F1" '{"request_id":"bad-1","kind":"progress","note":"x","colour":"red"}' >/dev/null
web_expect 400 "an unknown field"
assert_match "unknown field 'colour'" "$(jq -r .error.message "$WORK/body")" "the message names the field"
out=$(act "$ME" "$F1" '{"request_id":"ext-1","kind":"extend","note":"需协调物业","extend_by_ms":86400000}')
web_expect 200 "extend"
assert_eq extension_requested "$(jq -r .state <<<"$out")" "an extension asked for"
out=$(act "$ME" "$F1" '{"request_id":"con-1","kind":"conclude","note":"已清理楼道堆物"}')
web_expect 200 "conclude"
assert_eq concluded "$(jq -r .state <<<"$out")" "concluded"
assert_eq "concluded|已清理楼道堆物" "$(q "SELECT state || '|' || result FROM incidents WHERE id = $F1")" \
    "concluded in PostgreSQL"
assert_eq "acknowledged progress extension_requested concluded" \
    "$(q "SELECT string_agg(kind, ' ' ORDER BY seq) FROM events WHERE incident_id = $F1 AND actor_node = 'p.$ME'")" \
    "one event per action, by the account's node"
assert_eq 0 "$(web_get "$ME" /field/assignments | jq '.assignments | length')" "nothing open after the conclusion"
web_get "$ME" "/field/assignments/$F1" >/dev/null
web_expect 200 "a concluded incident the account held stays readable"
# The sync from the last seq gives what happened since, once.
since=$(web_get "$ME" "/field/sync?after=$SEQ&wait_ms=0")
assert_eq true "$(jq '[.items[].kind] | index("closed") != null' <<<"$since")" "the sync carries the closure"
log "actions: acknowledge, progress, extend, conclude; a resend once; 403 for another's; 409 conflict"

# ---- photos as evidence ----
# The category now asks for a photo to conclude (the server reloads).
loads=$(directory_loads)
q "UPDATE categories SET photo_to_conclude = true WHERE code = 'dispute.neighbour'; NOTIFY fengqiao_directory" >/dev/null
wait_directory_reload "$loads"
report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place "$GRID" --title "垃圾堆放" --external-ref F2 --quiet
F2=$(q "SELECT id FROM incidents WHERE external_ref = 'F2'")
if [ "$(q "SELECT worker FROM incidents WHERE id = $F2")" = "$W1" ]; then PH=w.one PO=w.two; else PH=w.two PO=w.one; fi
assert_eq true "$(web_get "$PH" /field/assignments | jq --argjson id "$F2" '.assignments[] | select(.incident_id == $id) | .photo_to_conclude')" \
    "the assignment says a photo is needed to conclude"
act "$PH" "$F2" '{"request_id":"ph-ack","kind":"acknowledge"}' >/dev/null
web_expect 200 "acknowledge F2"
"$FQ_MAKE_IMAGE" --jpeg 640 480 "$WORK/after.jpg" --seed 1
"$FQ_MAKE_IMAGE" --png 320 240 "$WORK/before.png" --seed 2
"$FQ_MAKE_IMAGE" --jpeg 2400 1800 "$WORK/huge.jpg" --noise
(($(stat -c %s "$WORK/huge.jpg") > 2 * 1024 * 1024)) || fail "the noise JPEG is not over 2 MiB"
printf 'not a picture at all, only text' >"$WORK/fake.jpg"
photo() { # FILE TYPE NAME: one photo of the body
    jq -nc --rawfile d <(base64 -w0 "$1") --arg t "$2" --arg n "$3" '{name:$n,content_type:$t,data:$d}'
}
conclude_body() { # REQUEST_ID PHOTO-JSON...
    local rid=$1
    shift
    jq -nc --arg rid "$rid" --slurpfile p <(printf '%s\n' "$@") \
        '{request_id:$rid,kind:"conclude",note:"已清运，见照片",photos:$p}'
}
n_events=$(q "SELECT count(*) FROM events WHERE incident_id = $F2")
act "$PH" "$F2" '{"request_id":"ph-none","kind":"conclude","note":"已清运"}' >/dev/null
web_expect 400 "conclude without the photo the category asks for"
assert_eq photo_required "$(web_code)" "without a photo: the code"
act "$PH" "$F2" "$(conclude_body ph-fake "$(photo "$WORK/fake.jpg" image/jpeg fake.jpg)")" >/dev/null
web_expect 415 "a text file said to be a JPEG"
assert_eq not_an_image "$(web_code)" "a non-image: the code"
act "$PH" "$F2" "$(conclude_body ph-text "$(photo "$WORK/fake.jpg" text/plain fake.txt)")" >/dev/null
web_expect 415 "a photo of type text/plain"
act "$PH" "$F2" "$(conclude_body ph-huge "$(photo "$WORK/huge.jpg" image/jpeg huge.jpg)")" >/dev/null
web_expect 413 "a photo over 2 MiB"
assert_eq too_large "$(web_code)" "an oversized photo: the code"
small=$(photo "$WORK/before.png" image/png p.png)
act "$PH" "$F2" "$(conclude_body ph-five "$small" "$small" "$small" "$small" "$small")" >/dev/null
web_expect 413 "five photos"
act "$PO" "$F2" "$(conclude_body ph-other "$(photo "$WORK/after.jpg" image/jpeg after.jpg)")" >/dev/null
web_expect 403 "another worker's conclusion with a photo"
assert_eq "$n_events|0|assigned" "$(q "SELECT (SELECT count(*) FROM events WHERE incident_id = $F2) || '|' ||
    (SELECT count(*) FROM attachments WHERE incident_id = $F2) || '|' || state FROM incidents WHERE id = $F2")" \
    "refusals store nothing"
body=$(conclude_body ph-ok "$(photo "$WORK/after.jpg" image/jpeg after.jpg)" "$(photo "$WORK/before.png" image/png before.png)")
out=$(act "$PH" "$F2" "$body")
web_expect 200 "conclude with two photos"
assert_eq "concluded|2" "$(jq -r '[.state, (.attachments | length)] | join("|")' <<<"$out")" "concluded, two photos named"
ESEQ=$(jq -r .event_seq <<<"$out")
printf '%s\n' "$out" >"$WORK/action.json"
A1=$(jq -r '.attachments[0].id' <<<"$out") A2=$(jq -r '.attachments[1].id' <<<"$out")
assert_eq "$(sha256sum "$WORK/after.jpg" | cut -d' ' -f1)" "$(jq -r '.attachments[0].sha256' <<<"$out")" "the first photo's hash"
assert_eq "$(sha256sum "$WORK/after.jpg" | cut -d' ' -f1)|image/jpeg|640|480|after.jpg|$ESEQ" \
    "$(q "SELECT encode(sha256, 'hex') || '|' || content_type || '|' || width || '|' || height || '|' || name || '|' || event_seq FROM attachments WHERE id = $A1")" \
    "the photo stored with the conclusion's event"
assert_eq t "$(q "SELECT position(x.sha256 IN e.payload) > 0 FROM attachments x JOIN events e ON e.seq = x.event_seq WHERE x.id = $A2")" \
    "the photo's hash is in the event's signed envelope"
again=$(act "$PH" "$F2" "$body")
assert_eq "$ESEQ|$A1,$A2" "$(jq -r '[.event_seq, ([.attachments[].id | tostring] | join(","))] | join("|")' <<<"$again")" \
    "a resend: the same event, the same photos"
assert_eq 2 "$(q "SELECT count(*) FROM attachments WHERE incident_id = $F2")" "a resend stores nothing again"
admin verify >"$WORK/verify.out" 2>&1 || fail "fengqiao-admin verify: $(cat "$WORK/verify.out")"
# The bytes back, by id: the holder, an operator of the district; not another worker.
curl -sS -D "$WORK/att.h" -o "$WORK/att.bin" -w '%{http_code}' -H "Cookie: ${COOKIE[$PH]}" "$BASE/attachments/$A1" >"$WORK/status"
web_expect 200 "the photo by id"
cmp -s "$WORK/after.jpg" "$WORK/att.bin" || fail "the photo's bytes differ from what was sent"
assert_eq "image/jpeg" "$(tr -d '\r' <"$WORK/att.h" | grep -i '^content-type:' | sed -E 's/^[^:]*: *//')" "its type"
etag=$(tr -d '\r' <"$WORK/att.h" | grep -i '^etag:' | sed -E 's/^[^:]*: *//')
assert_eq "\"$(sha256sum "$WORK/after.jpg" | cut -d' ' -f1)\"" "$etag" "the ETag is its SHA-256"
assert_eq "private, max-age=31536000, immutable" "$(tr -d '\r' <"$WORK/att.h" | grep -i '^cache-control:' | sed -E 's/^[^:]*: *//')" \
    "cached as immutable, one Cache-Control"
curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: ${COOKIE[$PH]}" -H "If-None-Match: $etag" "$BASE/attachments/$A1" >"$WORK/status"
web_expect 304 "If-None-Match"
web_get wang.op "/attachments/$A2" >"$WORK/att2.bin"
web_expect 200 "a district operator's photo"
cmp -s "$WORK/before.png" "$WORK/att2.bin" || fail "the PNG's bytes differ"
web_get "$PO" "/attachments/$A1" >/dev/null
web_expect 403 "another worker's photo"
assert_eq forbidden "$(web_code)" "another worker's photo: the code"
web_get "$PH" "/attachments/99999999" >/dev/null
web_expect 403 "no such photo is 403"
detail=$(web_get "$PH" "/field/assignments/$F2")
printf '%s\n' "$detail" >"$WORK/detail.json"
assert_eq "$A1,$A2" "$(jq -r --argjson s "$ESEQ" '[.timeline[] | select(.seq == $s) | .attachments[].id | tostring] | join(",")' <<<"$detail")" \
    "the timeline shows the photos with their event"
log "photos: photo_required, 415, 413, 403 store nothing; stored with the event, hash in the envelope, verify, the bytes back"

# ---- reports from the field ----
P=$(q "SELECT (ring[1] + ring[5]) / 2 || ',' || (ring[2] + ring[6]) / 2 FROM grid_polygons WHERE grid = '$GRID'")
LNG=${P%,*} LAT=${P#*,}
body=$(jq -nc --argjson lat "$LAT" --argjson lng "$LNG" '{request_id:"rep-1",category:"fire_hazard",
    severity:"iv",risk:"low",title:"楼道堆物（巡查）",address:"灵峰路2号",location:{lat:$lat,lng:$lng}}')
out=$(web_post "$ME" /field/reports "$body")
web_expect 200 "a field report"
R1=$(jq -r .incident_id <<<"$out")
printf '%s\n' "$out" >"$WORK/report.json"
assert_eq "false|$GRID" "$(jq -r '[.duplicate, .routing.territory] | join("|")' <<<"$out")" "routed by its point"
assert_eq "4|p.$ME" "$(q "SELECT channel || '|' || reporter_node FROM incidents WHERE id = $R1")" \
    "channel patrol, reported by the account's node"
again=$(web_post "$ME" /field/reports "$body")
assert_eq "$R1|true" "$(jq -r '[.incident_id, .duplicate] | join("|")' <<<"$again")" "the same request_id: the same incident"
body=$(jq -nc --argjson lat "$LAT" --argjson lng "$LNG" --slurpfile p <(photo "$WORK/after.jpg" image/jpeg scene.jpg) \
    '{request_id:"rep-photo",category:"fire_hazard",severity:"iv",risk:"low",title:"消防通道堵塞",
      location:{lat:$lat,lng:$lng},photos:$p}')
out=$(web_post "$ME" /field/reports "$body")
web_expect 200 "a field report with a photo"
RP=$(jq -r .incident_id <<<"$out")
assert_eq "1|$(jq -r .event_seq <<<"$out")" "$(q "SELECT count(*) || '|' || min(event_seq) FROM attachments WHERE incident_id = $RP")" \
    "the report's photo stored with its reported event"
assert_eq "$(q "SELECT id FROM attachments WHERE incident_id = $RP")" "$(jq -r '.attachments[0].id' <<<"$out")" "the answer names it"
P2=$(q "SELECT (ring[1] + ring[5]) / 2 || ',' || (ring[2] + ring[6]) / 2 FROM grid_polygons WHERE grid = '$OTHER_GRID'")
body=$(jq -nc --argjson lat "${P2#*,}" --argjson lng "${P2%,*}" '{request_id:"rep-2",category:"fire_hazard",
    severity:"iv",risk:"low",title:"别的网格",location:{lat:$lat,lng:$lng}}')
web_post "$ME" /field/reports "$body" >/dev/null
web_expect 403 "a field report outside the account's grid"
out=$(web_post "$ME" /field/reports '{"request_id":"rep-3","category":"dispute.neighbour","severity":"iv","risk":"low","title":"无定位"}')
web_expect 200 "a field report without a location"
assert_eq "$GRID" "$(q "SELECT place_unit FROM incidents WHERE id = $(jq -r .incident_id <<<"$out")")" \
    "placed at the account's grid"
web_post "$ME" /field/reports '{"request_id":"rep-4","category":"dispute.neighbour","severity":"v","risk":"low","title":"x"}' >/dev/null
web_expect 400 "a bad severity"
log "reports: routed by the point, idempotent, 403 outside the grid, placed at the grid without a point"

# ---- a unit's duty officer ----
# A petition goes to the town tier: its lead unit and the district's
# co-handling department each see it, as their terminals would.
report lingyin-platform --category petition --severity IV --risk low --channel hotline \
    --place "$GRID" --title "信访件" --external-ref U1 --quiet
U1=$(q "SELECT id FROM incidents WHERE external_ref = 'U1'")
LEAD=$(q "SELECT lead_unit FROM incidents WHERE id = $U1")
CO=$(q "SELECT co_units[1] FROM incidents WHERE id = $U1")
[ -n "$LEAD" ] && [ -n "$CO" ] || fail "U1: no lead unit ($LEAD) or co-handler ($CO)"
loads=$(directory_loads)
pw u.lead | admin user add u.lead --role worker --serves-unit "$LEAD" 2>/dev/null
pw u.co | admin user add u.co --role worker --serves-unit "$CO" 2>/dev/null
wait_directory_reload "$loads"
web_login u.lead
web_login u.co
assert_eq "$U1|false" "$(web_get u.lead /field/assignments | jq -r --argjson id "$U1" '.assignments[] | select(.incident_id == $id) | "\(.incident_id)|\(.co_handler)"')" \
    "the lead unit's assignments"
assert_eq "$U1|true" "$(web_get u.co /field/assignments | jq -r --argjson id "$U1" '.assignments[] | select(.incident_id == $id) | "\(.incident_id)|\(.co_handler)"')" \
    "the co-handling unit's assignments"
web_get u.co "/field/assignments/$U1" >/dev/null
web_expect 200 "a co-handler reads the incident"
out=$(act u.lead "$U1" '{"request_id":"u-ack","kind":"acknowledge"}')
web_expect 200 "the lead unit acknowledges"
assert_eq acknowledged "$(jq -r .state <<<"$out")" "acknowledged by the unit"
web_get u.lead "/field/assignments/$F1" >/dev/null
web_expect 403 "a unit's account on a worker's incident"
log "units: the lead and the co-handler see the town-tier incident; the lead acknowledges"

# ---- presence ----
# The worker holds an unacknowledged assignment; signing off moves it on.
report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place "$GRID" --title "噪音" --external-ref P1 --quiet
P1=$(q "SELECT id FROM incidents WHERE external_ref = 'P1'")
H=$(q "SELECT worker FROM incidents WHERE id = $P1")
if [ "$H" = "$W1" ]; then HA=w.one; else HA=w.two; fi
web_get "$HA" "/field/sync?after=0&wait_ms=0&off_duty=1" >/dev/null
web_expect 200 "a sync signing off"
wait_q "SELECT worker <> '$H' OR worker IS NULL FROM incidents WHERE id = $P1" t
roster=$(web_get wang.op "/roster?town=lingyin")
assert_eq false "$(jq --arg w "$H" '.roster[] | select(.id == $w) | .present' <<<"$roster")" \
    "off duty in the roster"
web_get "$HA" "/field/sync?after=0&wait_ms=0&lat=30.25&lng=120.116" >/dev/null
web_expect 200 "a sync with a position"
roster=$(web_get wang.op "/roster?town=lingyin")
assert_eq true "$(jq --arg w "$H" '.roster[] | select(.id == $w) | .present' <<<"$roster")" \
    "back on duty after the next sync"
log "presence: off_duty=1 moved the assignment on; the next sync brought the worker back"

# ---- disabling the account revokes its node ----
admin user disable w.unit 2>/dev/null
assert_eq t "$(q "SELECT revoked_at IS NOT NULL FROM nodes WHERE id = 'p.w.unit'")" "disabling revokes the node"
wait_q "SELECT 1" 1
for ((i = 0; i < 600; i++)); do
    web_get w.unit /field/assignments >/dev/null
    [ "$(web_status)" = 401 ] && break
    sleep 0.05
done
web_expect 401 "a disabled account's session"

assert_server_alive "at the end"
server_stop
check_log "$SERVER_LOG"
log "ok"
