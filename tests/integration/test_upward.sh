#!/usr/bin/env bash
# integ_upward: reports upward (docs/upward.md) to a real HTTPS receiver
# (upward_receiver.py: python3 http.server over TLS with a certificate made
# here by openssl; it checks each request's signature and logs it by
# delivery id).
#
#  0. Settings refused by --check-config: an http:// receiver, a key file
#     missing or not a key, a grade that is not one.
#  A. A grade II incident is delivered exactly once: one delivery row, one
#     attempt, one acknowledgement on the incident, one request at the
#     receiver under the row's delivery id, its signature right and its
#     document naming the town and the category in Chinese. A grade IV
#     incident reported meanwhile is matched and not sent, nor a duplicate
#     merged into the first.
#  B. The receiver refuses (503): the delivery is tried again, each attempt an
#     event with the status; once the receiver accepts, one acknowledgement,
#     and every request carried the same delivery id.
#  C. fengqiaod killed with SIGKILL while a delivery is refused and pending,
#     started again: exactly one acknowledged delivery, one distinct delivery
#     id at the receiver.
#  C2. fengqiaod killed after an incident's commit and before its delivery
#     exists (the server looks at the history only at its start, then every
#     10 minutes): after the restart it is delivered once.
#  D. A receiver holding another key answers 401 (it detects the wrong
#     signature); the attempts are recorded; with the right key again, the
#     delivery goes through.
#  E. A category rule and a keyword rule report grade IV incidents.
#  H. The receiver down (connection refused): each attempt recorded with no
#     status and the error, retried until the receiver is back on its port.
#  F. The console's list (GET /api/v1/upward/deliveries?incident=ID): the
#     attempts of the incident; no session 401, another jurisdiction 403, a
#     field account 403, a POST without CSRF 403; the incident's timeline
#     carries the attempts.
#  /metrics: the attempts by outcome, the acknowledgements, nothing posting.
#  G. fengqiao-admin verify: the history's chain, these events included, holds.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

# ---- the receiver ----
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/recv.key" -out "$WORK/recv.crt" 2>/dev/null ||
    fail "openssl could not make the receiver's certificate"
openssl rand -hex 32 >"$WORK/upward.key"
chmod 600 "$WORK/upward.key" # what the server asks of a key file
cp "$WORK/upward.key" "$WORK/receiver.secret"
RECV_LOG="$WORK/receiver.jsonl"
: >"$RECV_LOG"
echo accept >"$WORK/receiver.mode"
# receiver_start [PORT]: the receiver (RECV_PID), on PORT or one the kernel chooses.
receiver_start() {
    rm -f "$WORK/receiver.port"
    spawn python3 "$FQ_SRC_DIR/tests/integration/upward_receiver.py" --cert "$WORK/recv.crt" \
        --key "$WORK/recv.key" --key-file "$WORK/receiver.secret" --mode "$WORK/receiver.mode" \
        --log "$RECV_LOG" --port-file "$WORK/receiver.port" --port "${1:-0}"
    RECV_PID=$BG_PID
    wait_present "$WORK/receiver.port" 30 "the receiver's port"
}
receiver_start
RECV_PORT=$(cat "$WORK/receiver.port")
RECV_URL="https://127.0.0.1:$RECV_PORT/api/upward/incidents"
log "receiver at $RECV_URL"

UPWARD_FLAGS=(--upward-url "$RECV_URL" --upward-ca-file "$WORK/recv.crt"
    --upward-key-file "$WORK/upward.key" --upward-retry-min-ms 300 --upward-retry-max-ms 1500
    --upward-scan-ms 100 --upward-timeout-ms 10000
    --upward-categories hazard.flood --upward-keywords 爆炸)

# ---- what the checks read ----
route() { report lingyin-platform --json "$@" | jq -r .incident_id; }
events_of() { # incident kind
    q "SELECT count(*) FROM events WHERE incident_id = $1 AND kind = '$2'"
}
# The receiver's requests for an incident: all, distinct delivery ids, with a right signature.
received() { jq -r --argjson i "$1" 'select(.incident == $i) | .delivery_id' "$RECV_LOG" | wc -l; }
received_distinct() { jq -r --argjson i "$1" 'select(.incident == $i) | .delivery_id' "$RECV_LOG" | sort -u | wc -l; }
delivery_of() { q "SELECT delivery_id FROM upward_deliveries WHERE incident_id = $1"; }
scanned_past() { wait_q "SELECT last_incident >= $1 FROM upward_scan" t 60; }

HPORT=$(free_port)
UPWARD_FLAGS+=(--http "127.0.0.1:$HPORT")
BASE="http://127.0.0.1:$HPORT/api/v1"
while read -r name role unit display; do
    web_account "$name" "$role" "$unit" "$display"
done <<'EOF'
li.town operator lingyin 李灵隐
bei.town operator beishan 北山值班
zhao.view viewer xihu 赵看
EOF
printf 'pw-w1.phone-1234\n' | admin user add w1.phone --role worker --serves-worker lingyin-v1-g1.w1 \
    --display-name 张三 >/dev/null

# Settings refused before anything starts: a receiver not on HTTPS, a key
# file missing or not a key, a grade that is not one.
printf 'not a key\n' >"$WORK/bad.key"
for bad in "--upward-url http://127.0.0.1:1/x|not an https:// URL" \
    "--upward-key-file $WORK/none.key|none.key: No such file" \
    "--upward-key-file $WORK/bad.key|64 hexadecimal digits" \
    "--upward-grades I,V|\"V\" is not a grade"; do
    flag=${bad%%|*}
    words=${bad#*|}
    rc=0
    # shellcheck disable=SC2086 # the flag and its value, split
    out=$("$FQ_SERVERD" --db "$FQ_DB" --server-key "$FQ_SERVER_KEY" "${UPWARD_FLAGS[@]}" $flag --check-config 2>&1) || rc=$?
    assert_eq 2 "$rc" "--check-config with $flag"
    assert_match "$words" "$out" "--check-config with $flag says why"
done

server_start "${UPWARD_FLAGS[@]}"

# ---- A. exactly once ----
a=$(route --category dispute.labour --severity II --risk high --channel staff --place lingyin-v1 \
    --title "工厂欠薪 上百名工人聚集" --external-ref UP-A)
iv=$(route --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "楼上噪音" --external-ref UP-IV)
wait_q "SELECT count(*) FROM events WHERE incident_id = $a AND kind = 'upward_acknowledged'" 1 60
scanned_past "$iv"
assert_eq 1 "$(q "SELECT count(*) FROM upward_deliveries WHERE incident_id = $a")" "A: one delivery"
assert_eq "1|200|grade:II" "$(q "SELECT attempts, last_status, rule FROM upward_deliveries WHERE incident_id = $a")" \
    "A: one attempt, answered 200, by the grade rule"
assert_eq 1 "$(events_of "$a" reported_upward)" "A: one attempt on the incident"
assert_eq 1 "$(received "$a")" "A: one request at the receiver"
assert_eq 1 "$(received_distinct "$a")" "A: one distinct delivery at the receiver"
did=$(delivery_of "$a")
assert_eq "$did" "$(jq -r --argjson i "$a" 'select(.incident == $i) | .delivery_id' "$RECV_LOG")" \
    "A: the receiver got the row's delivery id"
assert_eq true "$(jq -r --argjson i "$a" 'select(.incident == $i) | .signature_ok' "$RECV_LOG")" \
    "A: the signature checks"
doc=$(jq -r --argjson i "$a" 'select(.incident == $i) | .body' "$RECV_LOG")
assert_eq "II|重大|灵隐街道|劳资纠纷|玉泉社区|工厂欠薪 上百名工人聚集|1" \
    "$(jq -r '[.incident.grade, .incident.grade_name, .incident.town_name, .incident.category_name,
              .incident.place_name, .incident.title, .attempt] | join("|")' <<<"$doc")" \
    "A: the document, in names"
assert_match "^upward_accepted\|第 1 次 · 127.0.0.1:[0-9]+ · HTTP 200$" \
    "$(q "SELECT reason_code || '|' || reason FROM events WHERE incident_id = $a AND kind = 'reported_upward'")" \
    "A: the attempt's event says what happened"
assert_eq "reported_upward,upward_acknowledged" \
    "$(q "SELECT string_agg(kind, ',' ORDER BY seq) FROM events WHERE incident_id = $a AND kind LIKE '%upward%'")" \
    "A: the attempt, then the acknowledgement, in the chain"
assert_eq 0 "$(q "SELECT count(*) FROM upward_deliveries WHERE incident_id = $iv")" "A: grade IV not reported"
assert_eq 0 "$(received "$iv")" "A: grade IV never sent"
# The same matter reported again is merged into A: A is reported, not its duplicate.
dup=$(route --category dispute.labour --severity II --risk high --channel staff --place lingyin-v1 \
    --title "工厂欠薪 工人聚集（重复上报）" --external-ref UP-A2)
assert_eq "$a" "$(q "SELECT merged_into FROM incidents WHERE id = $dup")" "A: the second report merged into A"
scanned_past "$dup"
assert_eq 0 "$(q "SELECT count(*) FROM upward_deliveries WHERE incident_id = $dup")" "A: a merged duplicate not reported"

# ---- B. refused, retried, accepted ----
echo refuse >"$WORK/receiver.mode"
b=$(route --category hazard.fire --severity I --risk high --channel staff --place lingyin-v1 \
    --title "仓库起火" --external-ref UP-B)
wait_q "SELECT count(*) >= 3 FROM events WHERE incident_id = $b AND kind = 'reported_upward'" t 60
assert_eq 0 "$(events_of "$b" upward_acknowledged)" "B: not acknowledged while refused"
assert_match "^upward_refused\|第 1 次 · 127.0.0.1:[0-9]+ · HTTP 503 · 约 1 秒后重试$" \
    "$(q "SELECT reason_code || '|' || reason FROM events WHERE incident_id = $b AND kind = 'reported_upward' ORDER BY seq LIMIT 1")" \
    "B: a refusal recorded with its status"
echo accept >"$WORK/receiver.mode"
wait_q "SELECT count(*) FROM events WHERE incident_id = $b AND kind = 'upward_acknowledged'" 1 60
attempts=$(q "SELECT attempts FROM upward_deliveries WHERE incident_id = $b")
[ "$attempts" -ge 4 ] || fail "B: $attempts attempts (at least three refused and one accepted)"
assert_eq "$attempts" "$(events_of "$b" reported_upward)" "B: every attempt an event"
assert_eq "$attempts" "$(received "$b")" "B: every attempt a request"
assert_eq 1 "$(received_distinct "$b")" "B: one delivery id throughout"
assert_eq "upward_accepted" \
    "$(q "SELECT reason_code FROM events WHERE incident_id = $b AND kind = 'reported_upward' ORDER BY seq DESC LIMIT 1")" \
    "B: the last attempt accepted"
# The waits grew (equal jitter: each at least half its step, the step doubling to the cap).
log "B: $attempts attempts at $(q "SELECT string_agg(to_char(at, 'SS.MS'), ' ' ORDER BY seq) FROM events WHERE incident_id = $b AND kind = 'reported_upward'")"

# ---- C. SIGKILL while pending ----
echo refuse >"$WORK/receiver.mode"
c=$(route --category dispute.labour --severity II --risk high --channel staff --place lingyin-v2 \
    --title "讨薪人员堵路" --external-ref UP-C)
wait_q "SELECT count(*) >= 1 FROM events WHERE incident_id = $c AND kind = 'reported_upward'" t 60
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
log "C: server killed with the delivery pending"
echo accept >"$WORK/receiver.mode"
server_start "${UPWARD_FLAGS[@]}"
wait_q "SELECT count(*) FROM events WHERE incident_id = $c AND kind = 'upward_acknowledged'" 1 60
assert_eq 1 "$(q "SELECT count(*) FROM upward_deliveries WHERE incident_id = $c AND acknowledged_at IS NOT NULL")" \
    "C: one acknowledged delivery"
assert_eq 1 "$(received_distinct "$c")" "C: one distinct delivery at the receiver"
assert_eq 1 "$(jq -r --argjson i "$c" 'select(.incident == $i and .status == 200) | .delivery_id' "$RECV_LOG" | wc -l)" \
    "C: accepted once"
# Earlier deliveries were not sent again after the restart.
assert_eq 1 "$(received "$a")" "C: A not sent again"

# ---- C2. SIGKILL between the incident's commit and its delivery ----
# A server that looks at the history only at its start (and then every 10
# minutes): the incident is committed and acknowledged, no delivery exists
# yet when the server dies; the next server finds it in the history.
server_stop
server_start "${UPWARD_FLAGS[@]}" --upward-scan-ms 600000
wait_q "SELECT last_incident >= $c FROM upward_scan" t 60
c2=$(route --category service.elderly_care --severity II --risk high --channel staff --place lingyin-v1 \
    --title "养老院停电 老人需转移" --external-ref UP-C2)
assert_eq 0 "$(q "SELECT count(*) FROM upward_deliveries WHERE incident_id = $c2")" \
    "C2: committed, no delivery yet"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
log "C2: server killed between the commit and the delivery"
assert_eq 0 "$(received "$c2")" "C2: nothing sent before the kill"
server_start "${UPWARD_FLAGS[@]}"
wait_q "SELECT count(*) FROM events WHERE incident_id = $c2 AND kind = 'upward_acknowledged'" 1 60
assert_eq 1 "$(received_distinct "$c2")" "C2: delivered once after the restart"

# ---- D. the wrong key ----
openssl rand -hex 32 >"$WORK/receiver.secret"
d=$(route --category market.food_safety --severity II --risk high --channel staff --place lingyin-v2 \
    --title "学校食堂集体腹泻" --external-ref UP-D)
wait_q "SELECT count(*) >= 1 FROM upward_deliveries WHERE incident_id = $d AND last_status = 401" t 60
assert_eq false "$(jq -r --argjson i "$d" 'select(.incident == $i) | .signature_ok' "$RECV_LOG" | head -n 1)" \
    "D: the receiver detected the wrong signature"
assert_eq 0 "$(events_of "$d" upward_acknowledged)" "D: not acknowledged"
cp "$WORK/upward.key" "$WORK/receiver.secret"
wait_q "SELECT count(*) FROM events WHERE incident_id = $d AND kind = 'upward_acknowledged'" 1 60
assert_eq 1 "$(received_distinct "$d")" "D: one delivery id throughout"

# ---- E. the other rules ----
e1=$(route --category hazard.flood --severity IV --risk low --channel patrol --place lingyin-v1 \
    --title "积水" --external-ref UP-E1)
e2=$(route --category service.elderly_care --severity IV --risk low --channel hotline --place lingyin-v2 \
    --title "邻居说要搞爆炸" --external-ref UP-E2)
wait_q "SELECT count(*) FROM events WHERE incident_id IN ($e1, $e2) AND kind = 'upward_acknowledged'" 2 60
assert_eq "category:hazard.flood|keyword:爆炸" \
    "$(q "SELECT string_agg(rule, '|' ORDER BY incident_id) FROM upward_deliveries WHERE incident_id IN ($e1, $e2)")" \
    "E: the category and the keyword rule"

# ---- H. no answer: the receiver down ----
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null || true
h=$(route --category market.food_safety --severity I --risk high --channel staff --place lingyin-v1 \
    --title "农贸市场大面积食物中毒" --external-ref UP-H)
wait_q "SELECT count(*) >= 2 FROM events WHERE incident_id = $h AND reason_code = 'upward_unreachable'" t 60
assert_eq "|t" "$(q "SELECT last_status, last_error <> '' FROM upward_deliveries WHERE incident_id = $h")" \
    "H: no status, the error kept"
assert_match "^第 1 次 · 127.0.0.1:[0-9]+ · .+ · 约 1 秒后重试$" \
    "$(q "SELECT reason FROM events WHERE incident_id = $h AND kind = 'reported_upward' ORDER BY seq LIMIT 1")" \
    "H: the attempt says why there was no answer"
receiver_start "$RECV_PORT"
wait_q "SELECT count(*) FROM events WHERE incident_id = $h AND kind = 'upward_acknowledged'" 1 60
assert_eq 1 "$(received_distinct "$h")" "H: delivered once the receiver is back"

# ---- F. the console's list ----
for who in li.town bei.town zhao.view w1.phone; do web_login "$who"; done
list=$(web_get li.town "/upward/deliveries?incident=$b")
web_expect 200 "F: the town's operator reads B's deliveries"
assert_eq "$b|1|acknowledged|grade:I|200|$attempts" \
    "$(jq -r '[.incident_id, (.deliveries | length), .deliveries[0].state, .deliveries[0].rule,
              .deliveries[0].last_status, .deliveries[0].attempts] | map(tostring) | join("|")' <<<"$list")" \
    "F: one delivery, acknowledged after every attempt"
assert_match "^127\.0\.0\.1:[0-9]+$" "$(jq -r '.deliveries[0].receiver' <<<"$list")" \
    "F: the receiver by its host, not its URL"
web_get zhao.view "/upward/deliveries?incident=$iv" >/dev/null
web_expect 200 "F: a district viewer reads an incident without deliveries"
assert_eq 0 "$(jq '.deliveries | length' "$WORK/body")" "F: none for grade IV"
curl -sS -o "$WORK/body" -w '%{http_code}' "$BASE/upward/deliveries?incident=$b" >"$WORK/status"
web_expect 401 "F: no session"
web_get bei.town "/upward/deliveries?incident=$b" >/dev/null
web_expect 403 "F: another town's operator"
web_get w1.phone "/upward/deliveries?incident=$b" >/dev/null
web_expect 403 "F: a field account"
web_get li.town "/upward/deliveries?incident=99999999" >/dev/null
web_expect 403 "F: no such incident: the same answer"
web_get li.town "/upward/deliveries?incident=x1" >/dev/null
web_expect 400 "F: a malformed id"
curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[li.town]}" -X POST \
    "$BASE/upward/deliveries?incident=$b" >"$WORK/status"
web_expect 403 "F: a POST without the CSRF token"
# The timeline names the attempts (the incident's read, as the console shows it).
web_get li.town "/incidents/$b" >/dev/null
web_expect 200 "F: B's incident"
assert_eq "upward_refused,upward_accepted" \
    "$(jq -r '[.timeline[] | select(.kind == "reported_upward") | .reason_code] | unique | join(",")' "$WORK/body" |
       tr ',' '\n' | sort -r | paste -sd,)" "F: the timeline's attempts, refused and accepted"
# /metrics counts what the history says.
metrics=$(curl -sS "http://127.0.0.1:$HPORT/metrics")
assert_match 'fengqiao_upward_attempts_total\{outcome="unreachable"\} [1-9]' "$metrics" "metrics: unreachable attempts"
assert_match 'fengqiao_upward_attempts_total\{outcome="refused"\} [1-9]' "$metrics" "metrics: refused attempts (401)"
assert_match 'fengqiao_upward_acknowledged_total [1-9]' "$metrics" "metrics: acknowledged"
assert_match 'fengqiao_upward_posting 0' "$metrics" "metrics: nothing being posted"
log "metrics: $(grep '^fengqiao_upward' <<<"$metrics" | paste -sd' ')"
server_stop

# The history's hash chain covers the attempts and acknowledgements.
[ "$(q "SELECT count(*) > 10 FROM events WHERE kind IN ('reported_upward', 'upward_acknowledged')")" = t ] ||
    fail "G: the attempts are not in the history"
out=$(admin verify 2>&1) || fail "G: fengqiao-admin verify failed: $out"
log "G: fengqiao-admin verify: $(tail -n 1 <<<"$out")"
log ok
