#!/usr/bin/env bash
# test_open311: Open311 GeoReport v2 (docs/open311.md) against a real
# fengqiaod --http and PostgreSQL with the demo district, through a client
# written from the specification alone (open311_client.py: urllib,
# xml.etree, json):
#   - the services (JSON and XML) are the categories, one with its own
#     service code, group and keywords from the topology; a definition;
#   - a request filed by lat/long and one by address_id become incidents of
#     the key's node, routed like any report; the service_request_id comes
#     after COMMIT (the row exists when the answer does);
#   - resent with the same Idempotency-Key: the same id, one incident;
#   - a request read back in JSON and XML: status, agency_responsible (the
#     holding unit's name), times, place; never the reporter's fields;
#   - concluded by an operator (the web console's command), it is closed;
#   - the errors, in the spec's shape and status: no key, a revoked key,
#     wrong keys rate-limited, a bad service code, a point outside the
#     district, another jurisdiction's request, a malformed body, an unknown
#     format, an unknown jurisdiction_id; a description with a script comes
#     back escaped in XML.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"
CLIENT="$FQ_SRC_DIR/tests/integration/open311_client.py"

db_create
server_key_create
admin migrate >/dev/null
# The demo district, one category with its own Open311 service.
python3 - "$FQ_SRC_DIR/examples/westlake-topology.json" "$WORK/topology.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["categories"]:
    if c["code"] == "city_appearance":
        c["open311"] = {"service_code": "SR-APPEARANCE", "group": "城市管理",
                        "keywords": ["垃圾", "乱堆放"]}
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
# Bad open311 blocks are refused, naming where.
bad_topology() { # python-expression-on-c what expected-message
    python3 - "$WORK/topology.json" "$WORK/bad.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["categories"][0]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
    if admin import-topology "$WORK/bad.json" >/dev/null 2>"$WORK/err"; then fail "$2 imported"; fi
    assert_match "$3" "$(cat "$WORK/err")" "$2"
}
bad_topology 'c["open311"] = {"service_code": "a b"}' "a service code with a space" \
    'categories\[0\]\.open311\.service_code.*not a service code'
bad_topology 'c["open311"] = {"service_code": "SR-APPEARANCE"}' "a service code used twice" \
    'service code SR-APPEARANCE appears twice|category SR-APPEARANCE appears twice'
bad_topology 'c["open311"] = {"keywords": ["a,b"]}' "a keyword with a comma" 'without a comma'
bad_topology 'c["open311"] = {"colour": "red"}' "an unknown field" 'open311\.colour.*unknown field'
admin import-topology "$WORK/topology.json" >/dev/null
assert_eq "SR-APPEARANCE|城市管理|{垃圾,乱堆放}" \
    "$(q "SELECT open311_code || '|' || open311_group || '|' || open311_keywords::text FROM categories WHERE code = 'city_appearance'")" \
    "the category's Open311 service stored"
add_node lingyin-platform town_platform lingyin
add_node beishan-platform town_platform beishan
add_node lingyin-grid grid_node lingyin-lingfeng-g1
add_node xihu-12345 district_platform xihu

# API keys: printed once on stdout.
K_LINGYIN=$(admin apikey add --node lingyin-platform --description "12345 灵隐" 2>/dev/null)
K_BEISHAN=$(admin apikey add --node beishan-platform 2>/dev/null)
K_REVOKED=$(admin apikey add --node lingyin-platform --description "to revoke" 2>/dev/null)
K_DISTRICT=$(admin apikey add --node xihu-12345 --description "西湖区12345热线" 2>/dev/null)
assert_match '^fq311_[A-Za-z0-9_-]{43}$' "$K_LINGYIN" "apikey add prints the key"
assert_eq 4 "$(q "SELECT count(*) FROM api_keys")" "four keys stored"
assert_eq 0 "$(q "SELECT count(*) FROM api_keys k WHERE position('$K_LINGYIN' IN k::text) > 0")" \
    "the key itself is not stored"
if admin apikey add --node lingyin-grid >/dev/null 2>"$WORK/err"; then fail "a key for a grid node"; fi
assert_match "town_platform or district_platform" "$(cat "$WORK/err")" "a key is for a platform node"
REVOKED_ID=$(q "SELECT id FROM api_keys WHERE description = 'to revoke'")
admin apikey revoke "$REVOKED_ID" 2>/dev/null
admin apikey list >"$WORK/keys.txt"
assert_match "lingyin-platform" "$(cat "$WORK/keys.txt")" "apikey list"
if grep -q -- "$K_LINGYIN" "$WORK/keys.txt"; then fail "apikey list shows a whole key"; fi

HPORT=$(free_port)
server_start --http "127.0.0.1:$HPORT"
BASE="http://127.0.0.1:$HPORT/open311/v2/"
for ((i = 0; i < 600; i++)); do
    curl -s -o /dev/null "${BASE}services.xml" && break
    sleep 0.05
done
# o311 ARGS...: the client's answer in $WORK/out; jq on it with j. One
# client (open311_client.py serve) answers every request of the test, in
# turn: a Python start per request was most of the test's CPU time.
# FQ_O311_EXAMPLES=FILE: every exchange appended to FILE (docs/open311.md's
# examples come from such a run).
coproc O311 { exec python3 "$CLIENT" "$BASE" serve; }
BG_PIDS+=("$O311_PID")
o311() {
    local answer
    printf '%d\0' "$#" >&"${O311[1]}"
    printf '%s\0' "$@" >&"${O311[1]}"
    IFS= read -r answer <&"${O311[0]}" || fail "client: $* (the client exited)"
    printf '%s\n' "$answer" >"$WORK/out"
    [[ $answer != '{"client_error"'* ]] || fail "client: $*: $answer"
    if [ -n "${FQ_O311_EXAMPLES:-}" ]; then
        printf '### %s\n%s %s\n%s\n\n' "$*" "$(jq -r .status "$WORK/out")" \
            "$(jq -r .type "$WORK/out")" "$(jq -r .raw "$WORK/out")" >>"$FQ_O311_EXAMPLES"
    fi
}
j() { jq -r ".data | $1" "$WORK/out"; }
top() { jq -r "$1" "$WORK/out"; }
expect() { # status what
    assert_eq "$1" "$(top .status)" "$2 ($(top .raw | head -c 400))"
}
# expect_error STATUS FMT what: the spec's error shape, its code the status.
expect_error() {
    expect "$1" "$3"
    assert_eq "$1" "$(j '.[0].code')" "$3: the error's code"
    [ -n "$(j '.[0].description')" ] || fail "$3: no description"
    case $2 in
    xml) assert_match '^<\?xml version="1.0" encoding="UTF-8"\?>' "$(top .raw)" "$3: XML" ;;
    json) assert_match '^application/json' "$(top .type)" "$3: JSON" ;;
    esac
}

# ---- services ----
log "services and a definition"
o311 services json
expect 200 "services.json"
assert_eq "$(q "SELECT count(*) FROM categories")" "$(j 'length')" "every category is a service"
assert_eq "市容环境|城市管理|垃圾, 乱堆放|realtime|false" \
    "$(j '.[] | select(.service_code == "SR-APPEARANCE") | [.service_name, .group, .keywords, .type, (.metadata|tostring)] | join("|")')" \
    "a service with its own code, group and keywords"
assert_eq "邻里纠纷" "$(j '.[] | select(.service_code == "dispute.neighbour") | .service_name')" \
    "by default the category code is the service code"
o311 services xml
expect 200 "services.xml"
assert_match '^text/xml' "$(top .type)" "services.xml is XML"
assert_eq "$(q "SELECT count(*) FROM categories")" "$(j 'length')" "every category is a service (XML)"
assert_eq "城市管理" "$(j '.[] | select(.service_code == "SR-APPEARANCE") | .group')" "group in XML"
o311 definition json SR-APPEARANCE
expect 200 "a definition"
assert_eq "SR-APPEARANCE|0" "$(j '[.service_code, (.attributes|length|tostring)] | join("|")')" "definition"
o311 definition xml SR-APPEARANCE
expect 200 "a definition in XML"
assert_eq "SR-APPEARANCE" "$(j .service_code)" "definition in XML"
o311 definition xml no-such-service
expect_error 404 xml "an unknown service's definition"
o311 raw GET "services.xml?jurisdiction_id=xihu"
expect 200 "jurisdiction_id of the district"
o311 raw GET "services.json?jurisdiction_id=hangzhou"
expect_error 404 json "an unknown jurisdiction_id"

# ---- filing ----
log "filing by lat/long and by address_id"
o311 post json api_key="$K_LINGYIN" service_code=SR-APPEARANCE lat=30.248 long=120.116 \
    address_string="灵隐路12号" description=$'楼道口垃圾堆放三天无人清理\n请尽快处理' \
    first_name=三 last_name=张 phone=13900001111 email=zhang@example.cn
expect 200 "POST by lat/long"
R1=$(j '.[0].service_request_id')
assert_match '^[0-9]+$' "$R1" "a service_request_id"
assert_match '^已受理，由.+办理$' "$(j '.[0].service_notice')" "the notice names the holder"
# Answered after COMMIT: the row is there already.
assert_eq "lingyin-platform|city_appearance|5|13900001111|lingyin-lingfeng-g1" \
    "$(q "SELECT reporter_node || '|' || category || '|' || channel || '|' || reporter_phone || '|' || territory FROM incidents WHERE id = $R1")" \
    "the report of the key's node, placed by its grid polygon"
assert_match '张三 <zhang@example.cn>' "$(q "SELECT reporter_name FROM incidents WHERE id = $R1")" "name and e-mail"
assert_eq "市容环境：楼道口垃圾堆放三天无人清理" "$(q "SELECT title FROM incidents WHERE id = $R1")" "the title"
assert_match "assigned" "$(q "SELECT kind FROM events WHERE incident_id = $R1 ORDER BY seq")" "routed like any report"

o311 post xml api_key="$K_LINGYIN" service_code=dispute.neighbour address_id=lingyin-lingfeng \
    description="邻居装修噪音"
expect 200 "POST by address_id"
R2=$(j '.[0].service_request_id')
assert_match '^[0-9]+$' "$R2" "a service_request_id (XML)"
assert_eq "lingyin-lingfeng" "$(q "SELECT place_unit FROM incidents WHERE id = $R2")" "address_id is the place"

# ---- idempotency ----
log "the same Idempotency-Key: the same request"
ids=()
for i in 1 2 3; do
    o311 post json --idempotency-key "hotline-2026-0001" api_key="$K_LINGYIN" \
        service_code=dispute.neighbour lat=30.248 long=120.116 description="重发的工单"
    expect 200 "POST with Idempotency-Key ($i)"
    ids+=("$(j '.[0].service_request_id')")
done
R3=${ids[0]}
assert_eq "$R3 $R3 $R3" "${ids[*]}" "a resent POST gets the same id"
assert_eq 1 "$(q "SELECT count(*) FROM incidents WHERE description = '重发的工单'")" "one incident"
o311 post json --idempotency-key "hotline-2026-0001" api_key="$K_LINGYIN" \
    service_code=dispute.neighbour lat=30.248 long=120.116 description="另一件事"
expect_error 409 json "the same Idempotency-Key for another request"
o311 post json api_key="$K_LINGYIN" service_code=dispute.neighbour lat=30.248 long=120.116 \
    description="不带幂等键"
o311 post json api_key="$K_LINGYIN" service_code=dispute.neighbour lat=30.248 long=120.116 \
    description="不带幂等键"
assert_eq 2 "$(q "SELECT count(*) FROM incidents WHERE description = '不带幂等键'")" \
    "without a key every POST is new"

# ---- reading ----
log "reading requests back"
HOLDER=$(q "SELECT h.name FROM incidents i JOIN handlers h ON h.id = i.lead_unit WHERE i.id = $R1")
o311 get json "$R1" api_key="$K_LINGYIN"
expect 200 "GET one request"
assert_eq "$R1|open|SR-APPEARANCE|市容环境|$HOLDER|30.248|120.116|灵隐路12号|lingyin-lingfeng-g1" \
    "$(j '.[0] | [(.service_request_id|tostring), .status, .service_code, .service_name, .agency_responsible, (.lat|tostring), (.long|tostring), .address, .address_id] | join("|")')" \
    "the request's fields"
assert_match '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(j '.[0].requested_datetime')" "requested_datetime"
assert_match 'T' "$(j '.[0].updated_datetime')" "updated_datetime"
assert_match 'T' "$(j '.[0].expected_datetime')" "expected_datetime (the conclusion limit)"
for secret in 13900001111 zhang@example.cn 张三; do
    if top .raw | grep -q "$secret"; then fail "a GET shows the reporter's $secret"; fi
done
o311 get xml "$R1" api_key="$K_LINGYIN"
expect 200 "GET one request (XML)"
assert_eq "$R1|open|$HOLDER|30.248" "$(j '.[0] | [.service_request_id, .status, .agency_responsible, .lat] | join("|")')" \
    "the request's fields (XML)"
o311 list json api_key="$K_LINGYIN"
expect 200 "GET requests"
assert_eq 5 "$(j 'length')" "every request of the jurisdiction, last 90 days"
o311 list json api_key="$K_LINGYIN" service_code=SR-APPEARANCE
assert_eq "$R1" "$(j '[.[].service_request_id|tostring]|join(",")')" "filtered by service_code"
o311 list xml api_key="$K_LINGYIN" service_request_id="$R1,$R2"
assert_eq 2 "$(j 'length')" "by service_request_id"
o311 list json api_key="$K_LINGYIN" start_date=2020-01-01T00:00:00Z end_date=2020-02-01T00:00:00+08:00
assert_eq 0 "$(j 'length')" "by date"
o311 list json api_key="$K_BEISHAN"
assert_eq 0 "$(j 'length')" "another town's key sees none of them"

# ---- closed after a conclusion ----
log "concluded by an operator: closed"
printf '%s\n' "pw-wang.op-1234" | admin user add wang.op --role supervisor --jurisdiction xihu \
    --display-name 王明 >/dev/null 2>&1
API="http://127.0.0.1:$HPORT/api/v1"
curl -sS -D "$WORK/login.h" -o "$WORK/login.json" -H 'Content-Type: application/json' \
    --data '{"account":"wang.op","password":"pw-wang.op-1234"}' "$API/login"
COOKIE=$(grep -i '^set-cookie: *fq_session=' "$WORK/login.h" | sed -E 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
CSRF=$(jq -r .csrf "$WORK/login.json")
code=$(curl -sS -o "$WORK/cmd.json" -w '%{http_code}' -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' \
    --data '{"request_id":"o311c1","kind":"conclude","reason":"已清理完毕"}' "$API/incidents/$R1/commands")
assert_eq 200 "$code" "conclude ($(cat "$WORK/cmd.json"))"
o311 get json "$R1" api_key="$K_LINGYIN"
assert_eq "closed" "$(j '.[0].status')" "closed after the conclusion"
# Two of the reports filed without a key were one incident at one point:
# the dedup merged them, and a merged request is closed with a note.
CLOSED=$(q "SELECT string_agg(id::text, ',' ORDER BY recorded_at DESC, id DESC) FROM incidents WHERE state IN ('concluded', 'merged')")
o311 list json api_key="$K_LINGYIN" status=closed
assert_eq "$CLOSED" "$(j '[.[].service_request_id|tostring]|join(",")')" "status=closed"
assert_match "$R1" "$CLOSED" "the concluded one is closed"
MERGED=$(q "SELECT id FROM incidents WHERE state = 'merged' ORDER BY id LIMIT 1")
if [ -n "$MERGED" ]; then
    o311 get json "$MERGED" api_key="$K_LINGYIN"
    assert_match "^已并入第[0-9]+号事件办理$" "$(j '.[0].status_notes')" "a merged request's note"
    assert_eq "$(q "SELECT h.name FROM incidents i JOIN incidents m ON m.id = i.merged_into JOIN handlers h ON h.id = m.lead_unit WHERE i.id = $MERGED")" \
        "$(j '.[0].agency_responsible')" "a merged request's agency is the one it joined"
fi
o311 list json api_key="$K_LINGYIN" status=open
assert_eq "$(q "SELECT count(*) FROM incidents WHERE state NOT IN ('concluded', 'merged')")" \
    "$(j 'length')" "status=open"

# ---- the district's hotline: anywhere in the district ----
log "a district platform's key: any town, channel hotline"
# The middle of beishan's first grid: a point in another town than lingyin's.
BEISHAN_GRID=$(jq -r '.towns[] | select(.id == "beishan") | .villages[0].grids[0].id' "$WORK/topology.json")
read -r BLON BLAT < <(jq -r '.towns[] | select(.id == "beishan") | .villages[0].grids[0].polygon | "\(map(.[0]) | add / length) \(map(.[1]) | add / length)"' "$WORK/topology.json")
o311 post json api_key="$K_BEISHAN" service_code=dispute.neighbour lat="$BLAT" long="$BLON" \
    description="北山街道的事"
expect 200 "a town platform's key in its own town"
o311 post json api_key="$K_LINGYIN" service_code=dispute.neighbour lat="$BLAT" long="$BLON" \
    description="灵隐平台报北山的事"
expect_error 403 json "a town platform's key at a point in the neighbouring town"
o311 post json --idempotency-key "xihu-12345-0001" api_key="$K_DISTRICT" \
    service_code=SR-APPEARANCE lat="$BLAT" long="$BLON" description="区热线：北山街道垃圾堆放"
expect 200 "the district platform's key at a point in beishan"
RD1=$(j '.[0].service_request_id')
assert_eq "xihu-12345|1|$BEISHAN_GRID" \
    "$(q "SELECT reporter_node || '|' || channel || '|' || territory FROM incidents WHERE id = $RD1")" \
    "the district platform's report: channel hotline, placed in beishan's grid"
o311 post xml api_key="$K_DISTRICT" service_code=dispute.neighbour address_id=lingyin-lingfeng \
    description="区热线：灵隐街道邻里纠纷"
expect 200 "the district platform's key at a village of lingyin"
RD2=$(j '.[0].service_request_id')
o311 get json "$RD2" api_key="$K_DISTRICT"
expect 200 "the district platform reads its request"
o311 get json "$R1" api_key="$K_DISTRICT"
expect 200 "the district platform reads a town's request (its jurisdiction is the district)"
o311 list json api_key="$K_DISTRICT"
assert_eq "$(q "SELECT count(*) FROM incidents")" "$(j 'length')" \
    "the district platform's key sees every request of the district"
o311 get json "$RD1" api_key="$K_LINGYIN"
expect_error 404 json "a town's key does not see another town's request filed by the district"

# ---- errors ----
log "errors"
o311 post json service_code=dispute.neighbour lat=30.248 long=120.116
expect_error 403 json "no api_key"
o311 post xml api_key="$K_REVOKED" service_code=dispute.neighbour lat=30.248 long=120.116
expect_error 403 xml "a revoked key"
o311 get json "$R1"
expect_error 403 json "GET a request without a key"
o311 post json api_key="$K_LINGYIN" service_code=no.such lat=30.248 long=120.116
expect_error 400 json "a bad service code"
o311 post json api_key="$K_LINGYIN" service_code=dispute.neighbour
expect_error 400 json "no location"
o311 post xml api_key="$K_LINGYIN" service_code=dispute.neighbour lat=39.9087 long=116.3975
expect_error 400 xml "a point outside the district"
o311 post json api_key="$K_LINGYIN" service_code=dispute.neighbour address_id=beishan-c1
expect_error 403 json "a place in another town"
o311 get json "$R2" api_key="$K_BEISHAN"
expect_error 404 json "another jurisdiction's request"
o311 get json 999999999 api_key="$K_LINGYIN"
expect_error 404 json "no such request"
o311 raw POST requests.json "api_key=$K_LINGYIN&service_code=%ZZ" application/x-www-form-urlencoded
expect_error 400 json "a malformed body"
o311 raw POST requests.json "api_key=$K_LINGYIN&colour=red" application/x-www-form-urlencoded
expect_error 400 json "an unknown field"
o311 raw POST requests.json '{"api_key":"x"}' application/json
expect_error 400 json "not a form"
o311 raw POST requests.json "description=$(head -c 70000 /dev/zero | tr '\0' a)" \
    application/x-www-form-urlencoded
expect_error 413 json "a body over 64 KiB"
o311 raw GET services.csv
expect_error 400 xml "an unknown format"
o311 raw GET "requests.json?api_key=$K_LINGYIN&start_date=yesterday"
expect_error 400 json "a malformed start_date"
o311 raw DELETE "requests/$R1.json"
expect 405 "DELETE"
o311 raw GET "nothing.json"
expect 404 "no such resource"
n_before=$(q "SELECT count(*) FROM incidents")

# A description with a script: escaped in XML, the same text in JSON.
o311 post xml api_key="$K_LINGYIN" service_code=dispute.neighbour lat=30.248 long=120.116 \
    description='<script>alert("x")</script> & </description>'
expect 200 "a description with markup"
RX=$(j '.[0].service_request_id')
o311 get xml "$RX" api_key="$K_LINGYIN"
assert_match '&lt;script&gt;alert\((&quot;|")x(&quot;|")\)&lt;/script&gt; &amp; &lt;/description&gt;' "$(top .raw)" "escaped in XML"
assert_eq '<script>alert("x")</script> & </description>' "$(j '.[0].description')" "read back exactly"
if top .raw | grep -q '<script>'; then fail "a script element in the XML"; fi

# Wrong keys: limited like sign-ins (5 a minute for one key prefix).
log "wrong keys are rate-limited"
WRONG="fq311_AAAAAA$(head -c 37 /dev/zero | tr '\0' 'B')"
for i in 1 2 3 4 5; do
    o311 get json "$R1" api_key="$WRONG"
    expect_error 403 json "wrong key $i"
done
o311 get json "$R1" api_key="$WRONG"
expect_error 429 json "the sixth wrong key in a minute"
assert_eq "$((n_before + 1))" "$(q "SELECT count(*) FROM incidents")" "no error stored anything"
check_log "$SERVER_LOG"
server_stop
log "ok"
