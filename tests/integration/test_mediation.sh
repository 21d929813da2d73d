#!/usr/bin/env bash
# integ_mediation: mediation cases (矛盾纠纷调解, docs/mediation.md) through the
# web console's API against a real fengqiaod --http and PostgreSQL, with the
# demo district (examples/westlake-topology.json, its "mediation" section):
#   A. a dispute reported, opened (two parties, a committee and a mediator),
#      two sessions, an agreement with a photo of the signed agreement: the
#      incident is concluded with the agreement as its result, the photo is
#      stored with the agreement's event and served, the timeline has the
#      four events, and the statistics count it by town, committee and
#      mediator (API and fengqiao-admin stats);
#   B. another dispute fails and is transferred to court: concluded as
#      transferred, counted as ended without agreement;
#   C. wrong-state refusals (a session before opening, opening twice,
#      anything after the end), an unknown committee, bad fields: each
#      refused with a clear answer and nothing stored;
#   D. the same request_id again answers as before with one event;
#   E. another town's operator gets 403 (read and command), a viewer 403
#      role, no session 401, no CSRF 403; a script in a text field is text;
#      the parties' phones masked on every read for every role; ?reveal=1 by
#      an operator shows them whole and writes one mediation_reveals row, a
#      viewer's reveal is 403 role and another town's 403, neither written;
#      the audit rows cannot be changed or deleted;
#   F. fengqiao-admin verify passes: the steps are in the hash chain and the
#      agreement's photo is named by its event's envelope;
#   G. the nanomsg console path: a town console node opens, records a session
#      and fails a mediation (transferred to the petition office) with signed
#      ConsoleCommands; a resend under the same message id answers as before;
#      another town's console is refused.
source "$(dirname "$0")/lib.sh"
FQ_MAKE_IMAGE=${FQ_MAKE_IMAGE:?}
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"

setup_topology "$FQ_SRC_DIR/examples/westlake-topology.json"
assert_eq "6/9/30" "$(q "SELECT (SELECT count(*) FROM mediation_committees) || '/' ||
    (SELECT count(*) FROM mediators) || '/' || (SELECT limit_days FROM mediation_settings)")" \
    "the topology's mediation section imported"
# A second import of the same file changes nothing; a committee renamed is
# refused without --replace and taken with it; a committee serving no unit
# is refused naming its path.
assert_match "committees +6 in file: 0 added, 0 changed, 6 unchanged" \
    "$(admin import-topology "$FQ_SRC_DIR/examples/westlake-topology.json")" "the same file again"
jq '.mediation.committees[1].name = "灵隐街道调解委员会（新）"' "$FQ_SRC_DIR/examples/westlake-topology.json" \
    >"$WORK/renamed.json"
out=$(admin import-topology "$WORK/renamed.json" 2>&1) && fail "a renamed committee was taken without --replace"
assert_match "mediation.committees\[1\].name: mediation committee lingyin-trc already exists" "$out" \
    "the rename refused, naming the path"
jq '.mediation.committees[1].serves = "nowhere"' "$FQ_SRC_DIR/examples/westlake-topology.json" \
    >"$WORK/nowhere.json"
out=$(admin import-topology "$WORK/nowhere.json" --replace 2>&1) && fail "a committee serving no unit was taken"
assert_match "mediation.committees\[1\].serves: no town or village nowhere" "$out" "an unknown unit served"
assert_eq "灵隐街道人民调解委员会" "$(q "SELECT name FROM mediation_committees WHERE id = 'lingyin-trc'")" \
    "nothing of the refused files was imported"
add_node lingyin-platform town_platform lingyin
add_node lingyin-ops console lingyin
add_node beishan-ops console beishan
FQ_CONSOLE_PEER=${FQ_CONSOLE_PEER:?}
GRID=lingyin-yuquan-g1

web_account li.town operator lingyin 李灵隐
web_account sun.beishan operator beishan 孙北山
web_account zhao.view viewer xihu 赵看

web_api_start --dedup-window-min 0 --presence-timeout 600
post() { web_post "$1" "$2" "$(<"$3")"; } # NAME PATH JSON-FILE
# command NAME INCIDENT JSON: a command from a JSON text (jq-checked).
command_() {
    jq -c . <<<"$3" >"$WORK/cmd.json" || fail "bad test JSON: $3"
    post "$1" "/incidents/$2/commands" "$WORK/cmd.json"
}
for a in li.town sun.beishan zhao.view; do web_login "$a"; done

dispute() { # REF TITLE
    report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
        --place "$GRID" --title "$2" --external-ref "$1" --quiet
    q "SELECT id FROM incidents WHERE external_ref = '$1'"
}
D1=$(dispute M-1 "宅基地边界纠纷")
D2=$(dispute M-2 "装修噪音纠纷")
D3=$(dispute M-3 "停车位纠纷")
events_of() { q "SELECT count(*) FROM events WHERE incident_id = $1"; }
all_counts() { q "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM mediation_steps)
    || '/' || (SELECT count(*) FROM mediation_cases) || '/' || (SELECT count(*) FROM attachments)"; }

OPEN1='{"request_id":"m1-open","kind":"mediation_open","reason":"双方同意调解：宅基地边界<script>alert(1)</script>",
  "mediation":{"parties":[{"side":"applicant","name":"张大山","role":"村民","phone":"13800001111"},
                          {"side":"respondent","name":"李小河","role":"邻居","phone":"13900002222"}],
               "committee":"lingyin-trc","mediators":["med.wang"]}}'

# ---- C (first part). refusals before anything is open ----
before=$(all_counts)
command_ li.town "$D1" '{"request_id":"m1-early","kind":"mediation_session","reason":"先开一次会",
  "mediation":{"session_at_ms":'"$(($(now_ms) - 60000))"',"place":"玉泉社区调解室","attendees":["张大山"]}}' >/dev/null
web_expect 409 "a session before the mediation is opened"
assert_match "open one first" "$(cat "$WORK/body")" "the refusal says why"
command_ li.town "$D1" '{"request_id":"m1-bad1","kind":"mediation_open","reason":"x",
  "mediation":{"parties":[{"side":"applicant","name":"张大山"}],"committee":"lingyin-trc"}}' >/dev/null
web_expect 400 "an opening without a respondent"
assert_match "respondent" "$(cat "$WORK/body")" "names what is missing"
command_ li.town "$D1" '{"request_id":"m1-bad2","kind":"mediation_open","reason":"x",
  "mediation":{"parties":[{"side":"applicant","name":"甲"},{"side":"respondent","name":"乙"}],
  "committee":"no-such-trc"}}' >/dev/null
web_expect 400 "an unknown committee"
assert_match "no mediation committee no-such-trc" "$(cat "$WORK/body")" "names the committee"
command_ li.town "$D1" '{"request_id":"m1-bad3","kind":"mediation_open","reason":"x",
  "mediation":{"parties":[{"side":"applicant","name":"甲"},{"side":"respondent","name":"乙"}],
  "mediators":["med.nobody"]}}' >/dev/null
web_expect 400 "an unknown mediator"
command_ li.town "$D1" '{"request_id":"m1-bad4","kind":"mediation_open","reason":"x",
  "mediation":{"partys":[]}}' >/dev/null
web_expect 400 "an unknown field"
assert_match "mediation.partys" "$(cat "$WORK/body")" "names the field"
command_ li.town "$D1" '{"request_id":"m1-bad5","kind":"mediation_fail","reason":"x",
  "mediation":{"transferred_to":"moon"}}' >/dev/null
web_expect 400 "an unknown transfer"
assert_eq "$before" "$(all_counts)" "refusals store nothing"
assert_eq "assigned" "$(q "SELECT state FROM incidents WHERE id = $D1")" "D1 still open"

# ---- E (first part). who may ----
command_ sun.beishan "$D1" "$OPEN1" >/dev/null
web_expect 403 "another town's operator opens"
command_ zhao.view "$D1" "$OPEN1" >/dev/null
web_expect 403 "a viewer opens"
assert_match '"role"' "$(cat "$WORK/body")" "a viewer's refusal is the role's"
jq -c . <<<"$OPEN1" >"$WORK/cmd.json"
curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[li.town]}" \
    -H 'Content-Type: application/json' --data-binary "@$WORK/cmd.json" \
    "$BASE/incidents/$D1/commands" >"$WORK/status"
web_expect 403 "no CSRF token"
curl -sS -o "$WORK/body" -w '%{http_code}' "$BASE/mediation/cases" >"$WORK/status"
web_expect 401 "no session, the worklist"
assert_eq "$before" "$(all_counts)" "forbidden commands store nothing"

# ---- A. open, two sessions, an agreement with a photo ----
out=$(command_ li.town "$D1" "$OPEN1")
web_expect 200 "open"
open_seq=$(jq -r .event_seq <<<"$out")
assert_eq "open" "$(q "SELECT state FROM mediation_cases WHERE incident_id = $D1")" "the case is open"
assert_eq "30" "$(q "SELECT extract(day FROM due_at - opened_at)::int FROM mediation_cases WHERE incident_id = $D1")" \
    "due 30 days after opening"
out=$(command_ li.town "$D1" "$OPEN1")
web_expect 200 "the same open resent (same request_id)"
assert_eq "$open_seq" "$(jq -r .event_seq <<<"$out")" "answered as before"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $D1 AND kind = 'mediation_opened'")" \
    "one event for the resend"
OPEN1B=$(jq -c '.request_id = "m1-open-again"' <<<"$OPEN1")
command_ li.town "$D1" "$OPEN1B" >/dev/null
web_expect 409 "opening twice"
assert_match "open already" "$(cat "$WORK/body")" "says it is open"

T1=$(($(now_ms) - 3 * 86400000))
T2=$(($(now_ms) - 3600000))
command_ li.town "$D1" '{"request_id":"m1-s1","kind":"mediation_session","reason":"双方陈述，分歧在界桩位置",
  "mediation":{"session_at_ms":'"$T1"',"place":"玉泉社区调解室","attendees":["张大山","李小河","王淑芬"]}}' >/dev/null
web_expect 200 "first session"
command_ li.town "$D1" '{"request_id":"m1-s2","kind":"mediation_session","reason":"现场勘界，初步同意",
  "mediation":{"session_at_ms":'"$T2"',"place":"宅基地现场","attendees":["张大山","李小河","王淑芬","村干部"]}}' >/dev/null
web_expect 200 "second session"
assert_eq 2 "$(q "SELECT count(*) FROM mediation_sessions WHERE incident_id = $D1")" "two sessions"

"$FQ_MAKE_IMAGE" --jpeg 400 300 "$WORK/agreement.jpg" --seed 7
PHOTO_SHA=$(sha256sum "$WORK/agreement.jpg" | cut -d' ' -f1)
jq -n --arg data "$(base64 -w0 "$WORK/agreement.jpg")" '{request_id:"m1-agree",kind:"mediation_agree",
  reason:"双方签字", mediation:{agreement:"一、以原界桩为界；二、李小河拆除越界围墙，张大山补偿五百元。",
  photos:[{name:"协议书.jpg",content_type:"image/jpeg",data:$data}]}}' >"$WORK/agree.json"
out=$(post li.town "/incidents/$D1/commands" "$WORK/agree.json")
web_expect 200 "the agreement with a photo"
agree_seq=$(jq -r .event_seq <<<"$out")
assert_eq "concluded" "$(q "SELECT state FROM incidents WHERE id = $D1")" "the agreement concludes it"
assert_eq "一、以原界桩为界；二、李小河拆除越界围墙，张大山补偿五百元。" \
    "$(q "SELECT result FROM incidents WHERE id = $D1")" "the agreement is its result"
assert_eq "$PHOTO_SHA" "$(q "SELECT encode(sha256, 'hex') FROM attachments WHERE incident_id = $D1 AND event_seq = $agree_seq")" \
    "the photo stored with the agreement's event"
assert_eq "mediation_opened mediation_session mediation_session mediation_agreed" \
    "$(q "SELECT string_agg(kind, ' ' ORDER BY seq) FROM events WHERE incident_id = $D1 AND kind LIKE 'mediation%'")" \
    "four events on the incident"

doc=$(web_get li.town "/mediation/cases/$D1")
web_expect 200 "the incident's mediation"
assert_eq "ended agreed 灵隐街道人民调解委员会 王淑芬 2 138****1111 false" \
    "$(jq -r '.mediation | "\(.state) \(.outcome) \(.committee_name) \(.mediators[0].name) \(.sessions|length) \(.parties[0].phone)"' <<<"$doc") $(jq -r .revealed <<<"$doc")" \
    "the mediation as the page reads it (names; phones masked even for an operator)"
assert_eq 0 "$(q "SELECT count(*) FROM mediation_reveals")" "a masked read writes no audit row"
assert_eq "双方同意调解：宅基地边界<script>alert(1)</script>" "$(jq -r .mediation.note <<<"$doc")" \
    "a script in a text field is kept as text"
photo_id=$(jq -r '.mediation.agreement_photos[0].id' <<<"$doc")
curl -sS -o "$WORK/photo" -w '%{http_code}' -H "Cookie: ${COOKIE[li.town]}" "$BASE/attachments/$photo_id" >"$WORK/status"
web_expect 200 "the agreement's photo"
assert_eq "$PHOTO_SHA" "$(sha256sum "$WORK/photo" | cut -d' ' -f1)" "the photo's bytes"
doc=$(web_get zhao.view "/mediation/cases/$D1")
web_expect 200 "a viewer reads the mediation"
assert_eq "138****1111" "$(jq -r '.mediation.parties[0].phone' <<<"$doc")" "a viewer reads phones masked"
web_get sun.beishan "/mediation/cases/$D1" >/dev/null
web_expect 403 "another town's operator reads"

# The phones whole only on purpose (?reveal=1), for who mediates, each look
# written to the append-only mediation_reveals by the statement that shows it.
doc=$(web_get li.town "/mediation/cases/$D1?reveal=1")
web_expect 200 "an operator reveals the parties' phones"
assert_eq "13800001111 13900002222 true" \
    "$(jq -r '"\(.mediation.parties[0].phone) \(.mediation.parties[1].phone) \(.revealed)"' <<<"$doc")" \
    "the phones whole, said so"
assert_eq "1|li.town|operator|true|$D1" \
    "$(q "SELECT count(*) || '|' || max(account) || '|' || max(role) || '|' ||
        bool_and(remote LIKE '127.0.0.1%') || '|' || max(incident_id) FROM mediation_reveals")" "one audit row: who, role, from where, which incident"
assert_eq "t" "$(q "SELECT at > now() - interval '5 minutes' FROM mediation_reveals")" "the look's time"
web_get zhao.view "/mediation/cases/$D1?reveal=1" >/dev/null
web_expect 403 "a viewer may not reveal"
assert_eq role "$(jq -r .error.code "$WORK/body")" "the viewer's refusal is 403 role"
web_get sun.beishan "/mediation/cases/$D1?reveal=1" >/dev/null
web_expect 403 "another town's operator may not reveal"
web_get li.town "/mediation/cases/$D1?reveal=yes" >/dev/null
web_expect 400 "reveal takes 1 only"
assert_eq 1 "$(q "SELECT count(*) FROM mediation_reveals")" "the refused looks wrote no audit row"
out=$(q "UPDATE mediation_reveals SET account = 'someone'" 2>&1) && fail "an audit row was changed: $out"
out=$(q "DELETE FROM mediation_reveals" 2>&1) && fail "an audit row was deleted: $out"
assert_eq "1|li.town" "$(q "SELECT count(*) || '|' || max(account) FROM mediation_reveals")" \
    "the audit rows cannot be changed or deleted"

# ---- C (second part). nothing after the end ----
before=$(all_counts)
command_ li.town "$D1" '{"request_id":"m1-late","kind":"mediation_session","reason":"再谈",
  "mediation":{"session_at_ms":'"$T2"',"place":"x","attendees":["张大山"]}}' >/dev/null
web_expect 409 "a session after the agreement"
command_ li.town "$D1" '{"request_id":"m1-late2","kind":"mediation_fail","reason":"反悔",
  "mediation":{"transferred_to":"court"}}' >/dev/null
web_expect 409 "a failure after the agreement"
assert_eq "$before" "$(all_counts)" "nothing after the end is stored"

# ---- B. a failure transferred to court ----
command_ li.town "$D2" '{"request_id":"m2-open","kind":"mediation_open","reason":"邻里噪音",
  "mediation":{"parties":[{"side":"applicant","name":"周一","phone":"13700003333"},
  {"side":"respondent","name":"吴二"},{"side":"respondent","name":"郑三"}],"mediators":["med.chen","med.wang"]}}' >/dev/null
web_expect 200 "open D2 with two mediators and no committee"
list=$(web_get li.town "/mediation/cases?state=open")
web_expect 200 "the open worklist"
assert_eq "$D2" "$(jq -r '[.[].incident_id] | join(",")' <<<"$list")" "D2 is the one open"
assert_eq "137****3333" "$(jq -r '.[0].parties[0].phone' <<<"$list")" "phones masked in the list"
assert_eq "false" "$(jq -r '.[0].overdue' <<<"$list")" "not overdue"
command_ li.town "$D2" '{"request_id":"m2-fail","kind":"mediation_fail","reason":"被申请人拒绝调解",
  "mediation":{"transferred_to":"court"}}' >/dev/null
web_expect 200 "the failure"
assert_eq "concluded|调解不成，已转法院：被申请人拒绝调解" "$(q "SELECT state || '|' || result FROM incidents WHERE id = $D2")" \
    "concluded as transferred"
assert_eq "failed court" "$(q "SELECT outcome || ' ' || transferred_to FROM mediation_cases WHERE incident_id = $D2")" \
    "the case ended failed, to court"
list=$(web_get li.town "/mediation/cases?state=ended")
assert_eq 2 "$(jq length <<<"$list")" "two ended"
assert_eq "[]" "$(web_get sun.beishan "/mediation/cases?state=ended" | jq -c .)" "another town's list is empty"

# an overdue one: D3 opened, its due time moved behind us
command_ li.town "$D3" '{"request_id":"m3-open","kind":"mediation_open","reason":"车位",
  "mediation":{"parties":[{"side":"applicant","name":"钱五"},{"side":"respondent","name":"孙六"}],"committee":"lingyin-yuquan-trc"}}' >/dev/null
web_expect 200 "open D3"
q "UPDATE mediation_cases SET due_at = now() - interval '1 day' WHERE incident_id = $D3" >/dev/null
assert_eq "true" "$(web_get li.town "/mediation/cases?state=open" | jq -r '.[0].overdue')" "overdue shows"

# ---- the statistics ----
FROM=$(($(now_ms) - 86400000))
TO=$(($(now_ms) + 86400000))
s=$(web_get li.town "/mediation/stats?from_ms=$FROM&to_ms=$TO&by=town")
web_expect 200 "stats by town"
assert_eq "lingyin 灵隐街道 3 2 1 1 1 0.5" \
    "$(jq -r '.[] | "\(.grp) \(.name) \(.opened) \(.ended) \(.agreed) \(.failed) \(.overdue) \(.success)"' <<<"$s")" \
    "by town: 3 opened, 2 ended, 1 agreed: 50%"
s=$(web_get li.town "/mediation/stats?from_ms=$FROM&to_ms=$TO&by=committee")
assert_eq "|0|0 lingyin-trc|1|1 lingyin-yuquan-trc|0|null" \
    "$(jq -r '[.[] | "\(.grp)|\(.agreed)|\(.success)"] | join(" ")' <<<"$s")" "by committee"
s=$(web_get li.town "/mediation/stats?from_ms=$FROM&to_ms=$TO&by=mediator")
assert_eq "med.chen 陈志强 0/1 med.wang 王淑芬 1/2" \
    "$(jq -r '[.[] | "\(.grp) \(.name) \(.agreed)/\(.ended)"] | join(" ")' <<<"$s")" "by mediator"
web_get li.town "/mediation/stats?from_ms=$FROM&to_ms=$TO&by=moon" >/dev/null
web_expect 400 "stats by something unknown"
out=$(admin stats --from "$(date -d @$((FROM / 1000)) -Iseconds)" --to "$(date -d @$((TO / 1000)) -Iseconds)" \
    --by mediation-mediator)
assert_match "med.wang +王淑芬 +2 +2 +1 +1 +0 +0 +50%" "$out" "fengqiao-admin stats --by mediation-mediator"
out=$(admin stats --from "$(date -d @$((FROM / 1000)) -Iseconds)" --to "$(date -d @$((TO / 1000)) -Iseconds)" \
    --by mediation-town --csv)
assert_match "lingyin,灵隐街道,3,2,1,1,1,1,0.5" "$out" "fengqiao-admin stats --by mediation-town --csv"
# The meeting statistics count both ends as concluded.
assert_eq 2 "$(q "SELECT count(*) FROM fq_case_facts(now() - interval '1 day', now() + interval '1 day', NULL)
    WHERE concluded_at IS NOT NULL")" "the meeting statistics count the two ends as concluded"

# ---- G. the nanomsg console path ----
con() { # NODE ARGS...
    local node=$1
    shift
    "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$node" --key-file "$(key_of "$node")" \
        --timeout-ms 20000 "$@"
}
D4=$(dispute M-4 "宅前通道纠纷")
out=$(con beishan-ops command mediation_open "$D4" --reason "越权" --applicant 甲 --respondent 乙 \
    --committee lingyin-trc) && fail "another town's console opened: $out"
assert_match '"status": *"forbidden"' "$out" "another town's console is refused"
out=$(con lingyin-ops --message-id 4001 command mediation_open "$D4" --reason "通道占用" \
    --applicant 孙七 --respondent 周八 --committee lingyin-trc --mediator med.chen) ||
    fail "open over nanomsg: $out"
seq4=$(jq -r .event_seq <<<"$out")
out=$(con lingyin-ops --message-id 4001 command mediation_open "$D4" --reason "通道占用" \
    --applicant 孙七 --respondent 周八 --committee lingyin-trc --mediator med.chen) ||
    fail "the resend over nanomsg: $out"
assert_eq "$seq4" "$(jq -r .event_seq <<<"$out")" "a resend under the same message id answers as before"
out=$(con lingyin-ops command mediation_session "$D4" --reason "各执一词" --session-at-ms "$T2" \
    --place 社区会议室 --attendee 孙七 --attendee 周八) || fail "a session over nanomsg: $out"
out=$(con lingyin-ops command mediation_open "$D4" --reason "again" --applicant 甲 --respondent 乙 \
    --committee lingyin-trc) && fail "opened twice over nanomsg: $out"
assert_match '"status": *"wrong_state"' "$out" "opening twice over nanomsg is wrong_state"
out=$(con lingyin-ops command mediation_fail "$D4" --reason "申请人要求信访复查" --transfer petition_office) ||
    fail "a failure over nanomsg: $out"
assert_eq "concluded" "$(jq -r .state <<<"$out")" "the failure concludes it"
assert_eq "failed petition_office 1" "$(q "SELECT outcome || ' ' || transferred_to || ' ' ||
    (SELECT count(*) FROM mediation_sessions s WHERE s.incident_id = $D4) FROM mediation_cases WHERE incident_id = $D4")" \
    "the nanomsg path's mediation in the tables"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $D4 AND kind = 'mediation_opened'")" \
    "one opening for the resend"

# ---- after a restart: the open mediation's state is loaded with its incident ----
server_stop
server_start --http "127.0.0.1:$HPORT" --dedup-window-min 0 --presence-timeout 600
web_api_wait
command_ li.town "$D3" '{"request_id":"m3-open-again","kind":"mediation_open","reason":"再开",
  "mediation":{"parties":[{"side":"applicant","name":"钱五"},{"side":"respondent","name":"孙六"}],"committee":"lingyin-trc"}}' >/dev/null
web_expect 409 "opening D3 again after a restart"
assert_match "open already" "$(cat "$WORK/body")" "the restarted server knows it is open"
command_ li.town "$D3" '{"request_id":"m3-s1","kind":"mediation_session","reason":"重启后继续调解",
  "mediation":{"session_at_ms":'"$T2"',"place":"玉泉社区调解室","attendees":["钱五","孙六"]}}' >/dev/null
web_expect 200 "a session after the restart"

# ---- F. the history verifies, the agreement's photo included ----
out=$(admin verify 2>&1) || fail "verify failed: $out"
assert_match "verified 1 attachment .* against the 1 event naming them" "$out" "verify checked the agreement's photo"
server_stop
log "ok"
