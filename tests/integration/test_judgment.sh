#!/usr/bin/env bash
# integ_judgment: research and judgment (研判, docs/judgment.md) on real data
# through the real server. New York City's 311 requests of 2018-10-21 (by
# their points) and Shenzhen Pingshan's 2018 citizen appeals (by their
# communities) are loaded through fq-report into one district
# (tests/integration/judgment_data.py, which also computes the expected
# findings on its own: brute-force DBSCAN, Poisson tails, grouping); then:
#   - GET /api/v1/judgment/hotspots and repeats as of the end of the NYC day,
#     trends as of 2018-11-12 in Pingshan, equal the expected findings;
#   - a street's operator sees its own street's trends only, and no hotspot;
#   - fengqiao-admin judgment --csv prints the same findings;
#   - long-pending lists exactly the cases the statistics count as pending
#     over 7 days (an independent SQL count);
#   - a new hotspot made now is pushed (SSE `finding`) to a console that
#     holds its place and not to one that does not;
#   - no session 401, a worker account 403, a bad as_of_ms 400, a POST
#     without the CSRF token 403 and with it 405.
# Skipped (77) without ../shared/data (or FQ_SHARED_DATA).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
command -v jq >/dev/null || fail "jq is needed"

DATA=${FQ_SHARED_DATA:-$FQ_SRC_DIR/../shared/data}
if [ ! -r "$DATA/nyc311_2018-10-21_6765_replay.csv" ] || [ ! -r "$DATA/pingshan_minsheng_2018_10k.csv" ]; then
    log "SKIP: the real data is not in $DATA"
    trap - EXIT
    exit 77
fi
read -r n_nyc n_ps < <(python3 "$FQ_SRC_DIR/tests/integration/judgment_data.py" "$DATA" \
    "$FQ_SRC_DIR/examples/westlake-topology.json" "$WORK/data")
EXP="$WORK/data/expected.json"
log "$n_nyc NYC requests, $n_ps Pingshan cases"
db_create
server_key_create
admin migrate >/dev/null
admin import-topology "$WORK/data/topology.json" >/dev/null 2>&1 ||
    fail "import: $(admin import-topology "$WORK/data/topology.json" 2>&1 | tail -n 3)"
add_node realdata-platform district_platform realdata

web_account zhou.op operator realdata 周研判
web_account kz.op operator ps-105 坑梓研判
WORKER=$(q "SELECT id FROM workers ORDER BY id LIMIT 1")
web_account w.phone worker "" 网格员 --serves-worker "$WORKER"

HPORT=$(free_port)
server_start --http "127.0.0.1:$HPORT" --dedup-window-min 0 --judgment-interval 1
BASE="http://127.0.0.1:$HPORT/api/v1"
declare -A COOKIE CSRF
login() {
    local hdr="$WORK/login.$1.h" body
    body=$(curl -sS -D "$hdr" -H 'Content-Type: application/json' \
        --data "{\"account\":\"$1\",\"password\":\"pw-$1-1234\"}" "$BASE/login")
    COOKIE[$1]=$(grep -i '^set-cookie: *fq_session=' "$hdr" | sed -E 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
    CSRF[$1]=$(jq -r .csrf <<<"$body")
    [ -n "${COOKIE[$1]}" ] || fail "login $1: $body"
}
# get NAME PATH: the body in $WORK/body, the status on stdout.
get() {
    curl -sS -o "$WORK/body" -w '%{http_code}' ${1:+-H "Cookie: ${COOKIE[$1]:-}"} "$BASE$2"
}
login zhou.op
login kz.op
login w.phone

# ---- the data through the server ----
send() {
    local rc=0
    report realdata-platform --stdin --window 64 <"$1" >"$2" 2>>"$WORK/send.err" || rc=$?
    [ "$rc" = 0 ] || fail "fq-report --stdin ended with $rc: $(tail -n 3 "$WORK/send.err")"
    assert_eq "$3" "$(jq -r 'select(.status != null) | .status' "$2" | grep -c '^ok$' || true)" "$1: every report stored"
}
send "$WORK/data/nyc.jsonl" "$WORK/nyc.out" "$n_nyc"
send "$WORK/data/pingshan.jsonl" "$WORK/ps.out" "$n_ps"
assert_eq "$((n_nyc + n_ps))" "$(q "SELECT count(*) FROM incidents WHERE state <> 'merged'")" "stored once each"

NYC_AS_OF=$(jq .nyc_as_of_ms "$EXP")
PS_AS_OF=$(jq .ps_as_of_ms "$EXP")

# ---- hotspots: per category, the sizes of its clusters ----
assert_eq 200 "$(get zhou.op "/judgment/hotspots?as_of_ms=$NYC_AS_OF")" "hotspots answered"
cp "$WORK/body" "$WORK/hotspots.json"
got=$(jq -c '[.hotspots[] | {c: .category, n: .count}] | group_by(.c) | map({(.[0].c): (map(.n) | sort | reverse)}) | add // {}' "$WORK/hotspots.json")
want=$(jq -c '.nyc_hotspots' "$EXP")
assert_eq "$(jq -cS . <<<"$want")" "$(jq -cS . <<<"$got")" "hotspots: clusters per category as computed independently"
n_hot=$(jq '.hotspots | length' "$WORK/hotspots.json")
top=$(jq -r '.hotspots[0] | "\(.category_name) \(.count) within \(.radius_m) m at \(.lat),\(.lon) in \(.town_name)"' "$WORK/hotspots.json")
log "hotspots as of the end of 2018-10-21 (NYC): $n_hot; the largest: $top"
# Every member lies within the radius of the centre it reports.
assert_eq 0 "$(jq '[.hotspots[] | select(.radius_m > 2 * 300 * 20)] | length' "$WORK/hotspots.json")" "radii bounded"

# ---- repeat sources: the same building's requests ----
assert_eq 200 "$(get zhou.op "/judgment/repeats?as_of_ms=$NYC_AS_OF")" "repeats answered"
cp "$WORK/body" "$WORK/repeats.json"
got=$(jq -c '[.repeats[] | select(.kind == "address") | [(.label | gsub("\\s"; "") | ascii_downcase), .count]] | sort_by(-.[1], .[0])' "$WORK/repeats.json")
want=$(jq -c '.nyc_repeats' "$EXP")
assert_eq "$want" "$got" "repeat addresses as computed independently"
assert_eq 0 "$(jq '[.repeats[] | select(.kind != "address")] | length' "$WORK/repeats.json")" "no phones or names in this data"
log "repeat addresses: $(jq '.repeats | length' "$WORK/repeats.json"); the most: $(jq -r '.repeats[0] | "\(.label) \(.count) in \(.town_name)"' "$WORK/repeats.json")"

# ---- trends: Pingshan as of 2018-11-12 ----
assert_eq 200 "$(get zhou.op "/judgment/trends?as_of_ms=$PS_AS_OF")" "trends answered"
cp "$WORK/body" "$WORK/trends.json"
got=$(jq -c '[.trends[] | [.town, .category, .count]]' "$WORK/trends.json")
want=$(jq -c '[.ps_trends[] | [.town, .category, .count]]' "$EXP")
assert_eq "$want" "$got" "flagged trends as computed independently, in order"
# p as the test computed it (3 significant digits in the answer).
bad=$(jq -n --slurpfile a "$WORK/trends.json" --slurpfile e "$EXP" \
    '[range(0; $a[0].trends | length) as $i | select((($a[0].trends[$i].p - $e[0].ps_trends[$i].p) | fabs) > 0.001 * $e[0].ps_trends[$i].p + 1e-300)] | length')
assert_eq 0 "$bad" "trend p-values as computed independently"
log "trends flagged as of 2018-11-12 (Pingshan): $(jq -r '[.trends[] | "\(.town_name) \(.category_name) \(.count) (mean \(.mean), p \(.p))"] | join("; ")' "$WORK/trends.json")"

# ---- a street's operator: its own street only ----
assert_eq 200 "$(get kz.op "/judgment/trends?as_of_ms=$PS_AS_OF")" "a street's trends"
assert_eq "$(jq -c '[.ps_trends[] | select(.town == "ps-105") | .category]' "$EXP")" \
    "$(jq -c '[.trends[] | .category]' "$WORK/body")" "坑梓's operator sees 坑梓's trends, no other"
assert_eq 200 "$(get kz.op "/judgment/hotspots?as_of_ms=$NYC_AS_OF")" "a street's hotspots"
assert_eq 0 "$(jq '.hotspots | length' "$WORK/body")" "no NYC hotspot for a Pingshan street"

# ---- the admin command: the same findings ----
admin judgment --from '2018-09-01' --to "$(date -u -d "@$((NYC_AS_OF / 1000))" '+%Y-%m-%d %H:%M:%S+00')" --csv >"$WORK/cli.csv"
assert_eq "$n_hot" "$(grep -c '^"hotspot"' "$WORK/cli.csv")" "the CLI's hotspots"
assert_eq "$(jq '.repeats | length' "$WORK/repeats.json")" "$(grep -c '^"repeat"' "$WORK/cli.csv")" "the CLI's repeat sources"
admin judgment --from '2018-08-01' --to '2018-11-12 00:00+08' >"$WORK/cli-ps.txt"
assert_eq "$(jq '.trends | length' "$WORK/trends.json")" \
    "$(sed -n 's/^趋势 Trends.*: \([0-9]*\)$/\1/p' "$WORK/cli-ps.txt")" "the CLI's trends"
grep -q "$(jq -r '.trends[0].category_name' "$WORK/trends.json")" "$WORK/cli-ps.txt" || fail "the CLI names the categories"
admin judgment --from x --to now >/dev/null 2>&1 && fail "a bad time is refused"

# ---- long-pending: the statistics' own definition ----
# Three NYC cases received 10 days ago (as if the load had been then).
q "UPDATE incidents SET recorded_at = now() - interval '10 days' WHERE id IN
   (SELECT id FROM incidents WHERE external_ref LIKE 'NYC311-%' ORDER BY id LIMIT 3)" >/dev/null
expected=$(q "SELECT string_agg(id::text, ',' ORDER BY received_at, id) FROM fq_case_facts(now() - interval '365 days', now())
              WHERE concluded_at IS NULL AND received_at < now() - interval '7 days'")
assert_eq 200 "$(get zhou.op "/judgment/long-pending")" "long-pending answered"
assert_eq "$expected" "$(jq -r '[.cases[].id] | join(",")' "$WORK/body")" "long-pending: the statistics' pending over 7 days"
assert_eq 3 "$(jq '.cases | length' "$WORK/body")" "three cases pending"
assert_eq 200 "$(get kz.op "/judgment/long-pending")" "a street's long-pending"
assert_eq 0 "$(jq '.cases | length' "$WORK/body")" "none of them in 坑梓"

# ---- security ----
assert_eq 401 "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/judgment/hotspots")" "no session"
assert_eq 403 "$(get w.phone /judgment/hotspots)" "a worker account"
assert_eq 400 "$(get zhou.op '/judgment/hotspots?as_of_ms=yesterday')" "a bad as_of_ms"
assert_eq 404 "$(get zhou.op /judgment/nothing)" "no such finding"
# The findings are reads: a POST without the CSRF token is refused before
# anything else, and with it the method is not one they take.
assert_eq 403 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${COOKIE[zhou.op]}" "$BASE/judgment/hotspots")" "a POST without the CSRF token"
assert_eq 405 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${COOKIE[zhou.op]}" -H "X-CSRF-Token: ${CSRF[zhou.op]}" "$BASE/judgment/hotspots")" "a POST"

# ---- a new finding pushed ----
wait_match "$SERVER_LOG" 'comp=judgment .*first run learns' 60 "the first periodic run"
curl -sS -N -H "Cookie: ${COOKIE[zhou.op]}" "$BASE/events" >"$WORK/sse.zhou" 2>/dev/null &
BG_PIDS+=($!)
curl -sS -N -H "Cookie: ${COOKIE[kz.op]}" "$BASE/events" >"$WORK/sse.kz" 2>/dev/null &
BG_PIDS+=($!)
wait_match "$WORK/sse.zhou" 'live feed' 30 "the district operator's stream"
wait_match "$WORK/sse.kz" 'live feed' 30 "the street operator's stream"
# Five noise complaints at one NYC corner, now.
for k in 1 2 3 4 5; do
    printf '{"category":"nyc.noise-residential","severity":"IV","risk":"low","channel":"hotline","title":"深夜噪音 %s <script>alert(1)</script>","lon":-73.87%d8,"lat":40.7474,"address":"94th St %s"}\n' \
        "$k" "$((7 - k))" "$k"
done >"$WORK/new.jsonl"
send "$WORK/new.jsonl" "$WORK/new.out" 5
wait_match "$WORK/sse.zhou" '^event: finding' 60 "the new hotspot pushed"
grep -A1 '^event: finding' "$WORK/sse.zhou" | sed -n 's/^data: //p' | head -n 1 >"$WORK/finding.json"
assert_eq hotspot "$(jq -r .type "$WORK/finding.json")" "a hotspot"
assert_eq 5 "$(jq -r .finding.count "$WORK/finding.json")" "of the five"
assert_eq nyc.noise-residential "$(jq -r .finding.category "$WORK/finding.json")" "of their category"
# The street's console got nothing (it holds no NYC place): the next run
# has come and gone, and its stream holds no finding.
runs=$(grep -c 'comp=judgment' "$SERVER_LOG")
wait_match "$SERVER_LOG" "comp=judgment .*run $((runs + 1)):" 30 "another run"
grep -q '^event: finding' "$WORK/sse.kz" && fail "a finding outside 坑梓 went to 坑梓's console"
# ... and nothing is pushed twice. (No trend: 04 QUEENS has no history in
# the weeks before now, and a town without one is not judged.)
assert_eq 1 "$(grep -c '^event: finding' "$WORK/sse.zhou")" "pushed once"
log "pushed: $(jq -c '{type, category: .finding.category, count: .finding.count}' "$WORK/finding.json")"
log "OK"
