#!/usr/bin/env bash
# test_frontdesk: the front desk (综合受理, docs/front-desk.md) against a real
# fengqiaod --http and PostgreSQL, with the demo district
# (examples/westlake-topology.json, its keywords and addresses imported):
#   - fengqiao-admin user add --role receptionist; the session's role;
#   - the address picker (substring, prefix first, LIKE characters literal,
#     within the account's jurisdiction) and the category suggestions;
#   - a walk-in case registered for a visitor goes through the intake's path:
#     routed to a grid worker of the address's grid, the answer names where
#     it went; it reaches the worker's phone (/api/v1/field/sync); a resend
#     with the same request_id is the same case, one person row;
#   - personal data: the incident and its history carry only the masked
#     forms; case_parties holds them sealed and hashed, never in clear;
#   - repeat petitions: the history by phone, identity number or name finds
#     the person's cases, masked; scoped to the jurisdiction;
#   - reveal: a receptionist and a supervisor see the full data, each look a
#     row of person_reveals (who, role, from where); an operator gets 403
#     role and writes no row; another town's receptionist 403 and no row;
#   - security: no session 401, no CSRF token 403, an operator registering
#     403, a receptionist commanding 403, a case placed in another town 403,
#     bad input 400 storing nothing; a script in the title comes back as text.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"

setup_topology "$FQ_SRC_DIR/examples/westlake-topology.json"
GRID=lingyin-lingfeng-g1
assert_eq "2" "$(q "SELECT count(*) FROM addresses WHERE text LIKE '灵隐路%'")" "the addresses are imported"
assert_match "楼上" "$(q "SELECT array_to_string(keywords, ',') FROM categories WHERE code = 'dispute.neighbour'")" \
    "the keywords are imported"

add_node lingyin-console console lingyin
pw() { printf 'pw-%s-1234\n' "$1"; }
pw desk.ly | admin user add desk.ly --role receptionist --jurisdiction lingyin --display-name 前台小李 2>/dev/null
pw desk.bs | admin user add desk.bs --role receptionist --jurisdiction beishan --display-name 北山前台 2>/dev/null
pw op.ly | admin user add op.ly --role operator --jurisdiction lingyin --display-name 值班员 2>/dev/null
pw sup.ly | admin user add sup.ly --role supervisor --jurisdiction lingyin --display-name 督办员 2>/dev/null
pw w.one | admin user add w.one --role worker --serves-worker "$GRID-w1" 2>/dev/null
pw w.two | admin user add w.two --role worker --serves-worker "$GRID-w2" 2>/dev/null
assert_eq "receptionist|console|lingyin" "$(q "SELECT a.role, n.role, n.jurisdiction FROM web_accounts a
    JOIN nodes n ON n.id = a.node_id WHERE a.account = 'desk.ly'")" "a receptionist's account: a console node"
rc=0
pw x | admin user add x.bad --role reception --jurisdiction lingyin >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "an unknown role is refused"
assert_match "receptionist" "$(cat "$WORK/err")" "the refusal lists receptionist"

web_api_start --dedup-window-min 0 --presence-timeout 600

getq() { # NAME PATH KEY=VALUE...: the query url-encoded by curl
    local name=$1 path=$2
    shift 2
    local args=()
    for kv in "$@"; do args+=(--data-urlencode "$kv"); done
    curl -sS -G -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[$name]}" "${args[@]}" \
        "$BASE$path" >"$WORK/status"
    cat "$WORK/body"
}

for a in desk.ly desk.bs op.ly sup.ly w.one w.two; do web_login "$a"; done
assert_eq "receptionist|lingyin" "$(jq -r '[.role, .jurisdiction.id] | join("|")' "$WORK/session.desk.ly.json")" \
    "the session of a receptionist"

# ---- the address picker and the suggestions ----
addrs=$(getq desk.ly /frontdesk/addresses q=灵隐路)
web_expect 200 "the addresses"
assert_eq "灵隐路12号,灵隐路28号" "$(jq -r '[.addresses[].text] | join(",")' <<<"$addrs")" "addresses containing 灵隐路"
assert_eq "$GRID|灵峰社区1号网格" "$(jq -r '.addresses[0] | [.unit, .unit_name] | join("|")' <<<"$addrs")" \
    "an address names its grid"
LAT=$(jq -r '.addresses[0].lat' <<<"$addrs") LNG=$(jq -r '.addresses[0].lng' <<<"$addrs")
assert_eq "龙井路1号" "$(getq desk.ly /frontdesk/addresses q=龙井路 | jq -r '.addresses[0].text')" \
    "龙井路1号 (灵隐) only: 龙井路128号 is in 西湖街道"
assert_eq 0 "$(getq desk.ly /frontdesk/addresses q=% | jq '.addresses | length')" "% is a character, not a wildcard"
assert_eq 0 "$(getq desk.bs /frontdesk/addresses q=灵隐路 | jq '.addresses | length')" "another town's addresses are not listed"
web_get desk.ly /frontdesk/addresses >/dev/null
web_expect 400 "addresses without q"
sug=$(getq desk.ly /frontdesk/suggest title=楼上漏水 text=邻居家楼上漏水，多次协商未果)
web_expect 200 "the suggestions"
assert_eq "dispute.neighbour|邻里纠纷" "$(jq -r '.suggestions[0] | [.code, .name] | join("|")' <<<"$sug")" \
    "the best suggestion"
assert_eq 0 "$(getq desk.ly /frontdesk/suggest title=今天天气不错 | jq '.suggestions | length')" "no keyword, no suggestion"
log "addresses and suggestions"

# ---- registering a walk-in case ----
ID_NUMBER=33010619900101123X
case_body() { # REQUEST_ID TITLE [extra json members]
    printf '{"request_id":"%s","person":{"name":"王小明","phone":"138 1234 5678","id_number":"%s"},
      "matter":"dispute","channel":"walk_in","category":"dispute.neighbour","severity":"iv","risk":"low",
      "title":"%s","description":"楼上漏水，多次协商未果","address":"灵隐路12号",
      "location":{"lat":%s,"lng":%s}%s}' "$1" "${ID_NUMBER,,}" "$2" "$LAT" "$LNG" "${3:-}"
}
incidents_before=$(q "SELECT count(*) FROM incidents")
first=$(web_post desk.ly /frontdesk/cases "$(case_body fd-1 '楼上漏水<script>alert(1)</script>')")
web_expect 200 "a walk-in case registered"
printf '%s\n' "$first" >"$WORK/registered.json"
C1=$(jq -r .incident_id <<<"$first") P1=$(jq -r .party_id <<<"$first")
assert_eq "assigned|1|灵峰社区1号网格|governance" \
    "$(jq -r '.placed | [.state, .tier, .territory_name, .line] | join("|")' <<<"$first")" "routed to the grid"
HOLDER=$(q "SELECT worker FROM incidents WHERE id = $C1")
assert_eq "$(q "SELECT name FROM workers WHERE id = '$HOLDER'")" "$(jq -r .placed.worker_name <<<"$first")" \
    "the answer names the worker"
assert_eq "王*明|138****5678|3301**********123X|false" \
    "$(jq -r '[.person.name, .person.phone, .person.id_number, .duplicate] | join("|")' <<<"$first")" \
    "the answer shows the person masked"
assert_eq "walk|王*明||楼上漏水<script>alert(1)</script>|p.desk.ly" \
    "$(q "SELECT CASE channel WHEN 6 THEN 'walk' END, reporter_name, reporter_phone, title, reporter_node
          FROM incidents WHERE id = $C1")" "the incident: channel, masked name, no phone, the title verbatim"
# Nothing of the person in clear in the incident, its history or case_parties.
for secret in 13812345678 "$ID_NUMBER" 王小明; do
    assert_eq 0 "$(q "SELECT count(*) FROM events WHERE incident_id = $C1
        AND position(convert_to('$secret', 'UTF8') IN payload) > 0")" "the history does not hold $secret"
    assert_eq 0 "$(q "SELECT count(*) FROM case_parties WHERE position(convert_to('$secret', 'UTF8') IN
        name_sealed || coalesce(phone_sealed, '') || coalesce(id_sealed, '')) > 0
        OR name_masked || phone_masked || id_masked LIKE '%$secret%'")" "case_parties does not hold $secret in clear"
    assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE (title || description || reporter_name
        || reporter_phone || address) LIKE '%$secret%'")" "incidents do not hold $secret"
done
assert_eq "5|desk.ly|t|t|t" "$(q "SELECT matter, registered_by, length(name_hash) = 32, length(phone_hash) = 32,
    length(id_hash) = 32 FROM case_parties WHERE id = $P1")" "the person row: matter, who, the hashes"
# The same request again: the same case, one person.
again=$(web_post desk.ly /frontdesk/cases "$(case_body fd-1 '楼上漏水<script>alert(1)</script>')")
web_expect 200 "the same request again"
assert_eq "$C1|$P1|true" "$(jq -r '[.incident_id, .party_id, .duplicate] | join("|")' <<<"$again")" \
    "a resend is the same case"
assert_eq 1 "$(q "SELECT count(*) FROM case_parties WHERE incident_id = $C1")" "one person row"
assert_eq $((incidents_before + 1)) "$(q "SELECT count(*) FROM incidents")" "one incident"
log "registered: incident $C1 routed to $HOLDER, person $P1 sealed"

# It reaches the grid worker's phone.
if [ "$HOLDER" = "$GRID-w1" ]; then ME=w.one; else ME=w.two; fi
sync=$(web_get "$ME" "/field/sync?after=0&wait_ms=0")
web_expect 200 "the worker's sync"
assert_eq "$C1|assignment" "$(jq -r --argjson id "$C1" '[.items[] | select(.incident_id == $id)][0] | [.incident_id, .kind] | join("|")' <<<"$sync")" \
    "the case reached the worker's phone"
detail=$(web_get "$ME" "/field/assignments/$C1")
assert_eq "王*明|" "$(jq -r '[.incident.reporter_name, .incident.reporter_phone] | join("|")' <<<"$detail")" \
    "the worker sees the person masked"

# ---- the same person again: repeat petitions ----
second=$(web_post desk.ly /frontdesk/cases "$(case_body fd-2 '漏水又发生了')")
web_expect 200 "a second case of the same person"
C2=$(jq -r .incident_id <<<"$second")
hist=$(getq desk.ly /frontdesk/history "phone=+86 138 1234 5678")
web_expect 200 "the history by phone"
printf '%s\n' "$hist" >"$WORK/history.json"
assert_eq "$C2,$C1" "$(jq -r '[.cases[].incident_id] | join(",")' <<<"$hist")" "both cases, newest first"
assert_eq "王*明|138****5678|3301**********123X|true|phone|90" \
    "$(jq -r '[.cases[0].name, .cases[0].phone, .cases[0].id_number, .cases[0].open, (.cases[0].matched | join(",")), .days] | join("|")' <<<"$hist")" \
    "the history is masked and says what matched"
if grep -q 13812345678 <<<"$hist"; then fail "the history shows the phone in clear"; fi
assert_eq 2 "$(getq desk.ly /frontdesk/history "id_number=$ID_NUMBER" | jq '.cases | length')" "by identity number"
assert_eq 2 "$(getq desk.ly /frontdesk/history "name=王 小明" | jq '.cases | length')" "by name"
assert_eq 0 "$(getq desk.ly /frontdesk/history phone=13900000000 | jq '.cases | length')" "another phone: none"
assert_eq 0 "$(getq desk.bs /frontdesk/history phone=13812345678 | jq '.cases | length')" \
    "another town's receptionist does not see lingyin's cases"
getq desk.ly /frontdesk/history "id_number=330106199001011234" >/dev/null
web_expect 400 "a history by a wrong identity number"
web_get desk.ly /frontdesk/history >/dev/null
web_expect 400 "a history asking nothing"
getq op.ly /frontdesk/history phone=13812345678 >/dev/null
web_expect 403 "an operator asking the history"
log "repeat petitions: the history by phone, id number and name"

# ---- the incident page and lists show the person masked ----
page=$(web_get op.ly "/incidents/$C1")
web_expect 200 "the incident page"
assert_eq "前台小李|reported" "$(jq -r '[.incident.reporter_node_name, .timeline[0].kind] | join("|")' <<<"$page")" \
    "the incident page names the receptionist who registered it"
if grep -qE '13812345678|王小明|33010619900101123' <<<"$page"; then fail "the incident page shows the person"; fi
masked=$(web_get op.ly "/frontdesk/persons/$P1")
web_expect 200 "the person, masked"
assert_eq "王*明|138****5678|true" "$(jq -r '[.name, .phone, .masked] | join("|")' <<<"$masked")" "masked"

# ---- reveal, audited ----
full=$(web_get desk.ly "/frontdesk/persons/$P1?reveal=1")
web_expect 200 "a receptionist reveals"
assert_eq "王小明|13812345678|$ID_NUMBER|false" "$(jq -r '[.name, .phone, .id_number, .masked] | join("|")' <<<"$full")" \
    "the full data"
assert_eq "desk.ly|receptionist|t" "$(q "SELECT account, role, remote LIKE '127.0.0.1%' FROM person_reveals
    WHERE party_id = $P1 ORDER BY id")" "the reveal is audited (who, role, from where)"
web_get sup.ly "/frontdesk/persons/$P1?reveal=1" >/dev/null
web_expect 200 "a supervisor reveals"
assert_eq 2 "$(q "SELECT count(*) FROM person_reveals WHERE party_id = $P1")" "two reveals"
web_get op.ly "/frontdesk/persons/$P1?reveal=1" >/dev/null
web_expect 403 "an operator reveals"
assert_eq role "$(web_code)" "an operator reveals: the code"
web_get desk.bs "/frontdesk/persons/$P1?reveal=1" >/dev/null
web_expect 403 "another town's receptionist reveals"
assert_eq forbidden "$(web_code)" "another jurisdiction: the code"
web_get desk.bs "/frontdesk/persons/$P1" >/dev/null
web_expect 403 "another town's receptionist, masked"
assert_eq 2 "$(q "SELECT count(*) FROM person_reveals WHERE party_id = $P1")" "refused looks write no audit row"
rc=0
q "DELETE FROM person_reveals" >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the reveal audit can be deleted"
log "reveal: receptionist and supervisor audited; operator and another town 403"

# ---- security and bad input ----
curl -sS -o "$WORK/body" -w '%{http_code}' "$BASE/frontdesk/addresses?q=x" >"$WORK/status"
web_expect 401 "no session"
curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[desk.ly]}" -H 'Content-Type: application/json' \
    --data "$(case_body fd-csrf x)" "$BASE/frontdesk/cases" >"$WORK/status"
web_expect 403 "no CSRF token"
assert_eq csrf "$(web_code)" "no CSRF token: the code"
web_post op.ly /frontdesk/cases "$(case_body fd-op x)" >/dev/null
web_expect 403 "an operator registering"
assert_eq role "$(web_code)" "an operator registering: the code"
web_post w.one /frontdesk/cases "$(case_body fd-w x)" >/dev/null
web_expect 403 "a worker registering"
web_post desk.ly "/incidents/$C1/commands" '{"request_id":"cmd-1","kind":"supervise","note":"x"}' >/dev/null
web_expect 403 "a receptionist commanding"
assert_eq role "$(web_code)" "a receptionist commanding: the code"
board=$(web_get desk.ly /board)
web_expect 200 "a receptionist reads the board"
web_post desk.bs /frontdesk/cases "$(case_body fd-bs 'x')" >/dev/null
web_expect 403 "a beishan receptionist placing a case in lingyin"
count=$(q "SELECT count(*) FROM incidents")
bad() { # WHAT JSON
    web_post desk.ly /frontdesk/cases "$2" >/dev/null
    web_expect 400 "$1"
}
bad "a wrong check character" "$(case_body fd-b1 x | sed 's/33010619900101123x/330106199001011234/')"
bad "a bad phone" "$(case_body fd-b2 x | sed 's/138 1234 5678/138-abc/')"
bad "no person" '{"request_id":"fd-b3","matter":"help","channel":"walk_in","category":"petition","severity":"iv","risk":"low","title":"x","place_unit":"lingyin"}'
bad "an unknown field" "$(case_body fd-b4 x ',"secret":1')"
bad "an unknown matter" "$(case_body fd-b5 x | sed 's/"dispute"/"gossip"/')"
bad "a channel not the front desk's" "$(case_body fd-b6 x | sed 's/"walk_in"/"patrol"/')"
bad "no place" '{"request_id":"fd-b7","person":{"name":"李四"},"matter":"help","channel":"hotline","category":"petition","severity":"iv","risk":"low","title":"x"}'
bad "an unknown category" "$(case_body fd-b8 x | sed 's/dispute.neighbour/no.such/')"
bad "an empty title" "$(case_body fd-b9 '')"
assert_eq "$count" "$(q "SELECT count(*) FROM incidents")" "bad input stores no incident"
assert_eq 2 "$(q "SELECT count(*) FROM case_parties")" "bad input stores no person"
# A hotline case placed by a unit, a person without phone or id number.
hot=$(web_post desk.ly /frontdesk/cases '{"request_id":"fd-h1","person":{"name":"李四"},"matter":"consult","channel":"hotline","category":"petition","severity":"iv","risk":"low","title":"咨询拆迁补偿政策","place_unit":"lingyin"}')
web_expect 200 "a hotline case placed at the town"
assert_eq "李*||" "$(jq -r '[.person.name, .person.phone, .person.id_number] | join("|")' <<<"$hot")" "a person with a name only"
assert_eq "灵隐街道" "$(jq -r .placed.territory_name <<<"$hot")" "placed at the town"
# A console node may register cases only through the front desk, never over the network.
out=$(report lingyin-console --json --category petition --severity IV --risk low --channel walk_in \
    --place lingyin --title 网络上报 2>/dev/null) || true
assert_eq "forbidden|a console node may not report incidents" "$(jq -r '[.status, .message] | join("|")' <<<"$out")" \
    "a console node reporting over nanomsg"
log "security: 401, 403 csrf/role/jurisdiction, 400 bad input storing nothing, no console reports over nanomsg"

# ---- the server key rotated: the personal data still opens ----
assert_eq "1|t" "$(q "SELECT count(*), bool_and(length(key_sealed) = 72) FROM sealed_keys WHERE name = 'frontdesk'")" \
    "one personal-data key, sealed"
persons_before=$(q "SELECT md5(string_agg(name_sealed || coalesce(phone_sealed, '') || coalesce(id_sealed, ''), '' ORDER BY id)) FROM case_parties")
key_before=$(q "SELECT md5(key_sealed) FROM sealed_keys")
admin server-key rotate --new "$WORK/new.key" >/dev/null
[ "$key_before" != "$(q "SELECT md5(key_sealed) FROM sealed_keys")" ] || fail "the personal-data key was not re-sealed"
assert_eq "$persons_before" "$(q "SELECT md5(string_agg(name_sealed || coalesce(phone_sealed, '') || coalesce(id_sealed, ''), '' ORDER BY id)) FROM case_parties")" \
    "a rotation touches no person's row"
# Registered between the rotation and the restart: under the same personal-data key.
web_post desk.ly /frontdesk/cases "$(case_body fd-rot '轮换后登记')" >/dev/null
web_expect 200 "a case registered after the rotation, before the restart"
P3=$(jq -r .party_id "$WORK/body")
server_stop
FQ_SERVER_KEY=$WORK/new.key
web_api_start --dedup-window-min 0 --presence-timeout 600
for p in "$P1" "$P3"; do
    web_get desk.ly "/frontdesk/persons/$p?reveal=1" >/dev/null
    web_expect 200 "person $p revealed after the restart with the new key"
    assert_eq "王小明|13812345678" "$(jq -r '[.name, .phone] | join("|")' "$WORK/body")" "person $p opens with the new key"
done
assert_eq 3 "$(getq desk.ly /frontdesk/history "id_number=$ID_NUMBER" | jq '.cases | length')" \
    "the lookups find the person's cases after the rotation"
log "server key rotated: the personal-data key re-sealed, no person's row touched, all open"

# ---- research and judgment: repeat sources by the person, not by the mask ----
# 王大明, another person whose name and phone have the same masks (王*明,
# 138****5678) as 王小明's, registers twice: judged by the masks the two
# would be one source of five cases; by the keyed hashes (migration 0031)
# 王小明 is one source of three (fd-1, fd-2, fd-rot) and 王大明 none (2 < 3).
other_body() { # REQUEST_ID
    printf '{"request_id":"%s","person":{"name":"王大明","phone":"13899995678"},"matter":"help",
      "channel":"walk_in","category":"dispute.neighbour","severity":"iv","risk":"low","title":"求助",
      "address":"灵隐路12号","location":{"lat":%s,"lng":%s}}' "$1" "$LAT" "$LNG"
}
for r in fd-o1 fd-o2; do
    web_post desk.ly /frontdesk/cases "$(other_body $r)" >/dev/null
    web_expect 200 "another person's case ($r)"
done
C3=$(q "SELECT incident_id FROM case_parties WHERE id = $P3")
rep=$(web_get sup.ly /judgment/repeats)
web_expect 200 "the repeat sources"
printf '%s\n' "$rep" >"$WORK/repeats.json"
want=$(printf '%s\n' "$C1" "$C2" "$C3" | sort -n | paste -sd,)
for kind in phone person; do
    assert_eq "1" "$(jq --arg k "$kind" '[.repeats[] | select(.kind == $k)] | length' <<<"$rep")" \
        "one $kind source among the front desk's cases"
    assert_eq "3|$want" "$(jq -r --arg k "$kind" '.repeats[] | select(.kind == $k) |
        [.count, ([.incidents[].id] | sort | map(tostring) | join(","))] | join("|")' <<<"$rep")" \
        "the $kind source is 王小明's three cases, not the mask's five"
done
assert_eq "138****5678|王*" "$(jq -r '[(.repeats[] | select(.kind == "phone") | .label),
    (.repeats[] | select(.kind == "person") | .label)] | join("|")' <<<"$rep")" "the sources' labels masked"
if grep -q '13812345678\|13899995678\|王小明\|王大明' <<<"$rep"; then fail "the repeat sources show a person in clear"; fi
log "repeat sources: one person's cases, not one mask's"

assert_server_alive "at the end"
server_stop
check_log "$SERVER_LOG"
log "ok"
