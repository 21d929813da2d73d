#!/usr/bin/env bash
# integ_report_roundtrip: reports go in through fq-report (flags mode and
# --stdin JSON lines with a window) and come out of PostgreSQL exactly: one
# incident each, one "reported" event each carrying the envelope bytes, every
# field stored as sent (CJK text, lon/lat to the last bit, occurred_at to the
# millisecond).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
server_start

# ---- flags mode: every field ----
title='邻里噪音纠纷：3号楼夜间施工'
description=$'3号楼住户反映夜间装修噪音。\n第二行：已联系物业。'
address='杭州市西湖区玉泉路12号'
lon=120.10191234567891
lat=30.241612345678902
occurred=1732700000123
out=$(report lingyin-platform --category dispute.neighbour --severity III --risk medium \
    --channel hotline --place lingyin-v1 --title "$title" --description "$description" \
    --address "$address" --lon "$lon" --lat "$lat" --occurred-ms "$occurred" \
    --external-ref HZ-2024-001 --reporter-name 王小明 --reporter-phone '+86 (571) 8888-1234')
log "fq-report: $out"
assert_match '^incident [0-9]+ \(message id [0-9]+\)(; .*)?$' "$out" "flags mode output"
id=$(sed -E 's/^incident ([0-9]+) .*/\1/' <<<"$out")
mid=$(sed -E 's/.*\(message id ([0-9]+)\).*/\1/' <<<"$out")

row=$(q "SELECT reporter_node, message_id, category, severity, risk, channel, place_unit,
             title = \$\$$title\$\$, description = \$\$$description\$\$, address = \$\$$address\$\$,
             lon = '$lon'::float8, lat = '$lat'::float8,
             (extract(epoch FROM occurred_at) * 1000)::bigint, external_ref, reporter_name,
             reporter_phone, state, abs(extract(epoch FROM now() - sent_at)) < 60,
             length(body_digest)
         FROM incidents WHERE id = $id")
assert_eq "lingyin-platform|$mid|dispute.neighbour|3|2|1|lingyin-v1|t|t|t|t|t|$occurred|HZ-2024-001|王小明|+86 (571) 8888-1234|assigned|t|32" \
    "$row" "stored incident $id"
# The stored text is byte for byte what was sent.
assert_eq "$(printf '%s' "$title" | od -An -tx1 | tr -d ' \n')" \
    "$(q "SELECT encode(convert_to(title, 'UTF8'), 'hex') FROM incidents WHERE id = $id")" "title bytes"

ev=$(q "SELECT count(*), min(kind), min(actor_node), min(length(payload)) > 0,
            bool_and(position(convert_to(\$\$$title\$\$, 'UTF8') IN payload) > 0)
        FROM events WHERE incident_id = $id AND kind = 'reported'")
assert_eq "1|reported|lingyin-platform|t|t" "$ev" "event of incident $id"

# A grid node reports inside its grid.
out=$(report lingyin-g1-node --category hazard.fire --severity IV --risk high --channel patrol \
    --place lingyin-v1-g1 --title 网格巡查发现消防通道堵塞)
assert_match '^incident [0-9]+ ' "$out" "grid node report"

# ---- --stdin mode: 20 lines, window 8 ----
input="$WORK/reports.jsonl"
places=(lingyin lingyin-v1 lingyin-v2 lingyin-v1-g1)
severities=(I II III IV)
channels=(hotline petition staff patrol online walk_in)
for i in $(seq 1 20); do
    p=${places[$((i % 4))]}
    s=${severities[$((i % 4))]}
    c=${channels[$((i % 6))]}
    if ((i % 2)); then
        loc=$(printf ',"lon":120.%014d,"lat":30.%014d' "$((i * 7919))" "$((i * 104729))")
    else
        loc=""
    fi
    printf '{"category":"hazard.fire","severity":"%s","risk":"low","channel":"%s","place_unit":"%s","title":"火情报告 第%d号 — 楼道堆放杂物","external_ref":"STDIN-%03d","occurred_at_ms":%d%s}\n' \
        "$s" "$c" "$p" "$i" "$i" "$((1732700000000 + i))" "$loc"
done >"$input"

rc=0
report lingyin-platform --stdin --window 8 <"$input" >"$WORK/stdin.out" 2>"$WORK/stdin.err" || rc=$?
cat "$WORK/stdin.err" >&2
assert_eq 0 "$rc" "fq-report --stdin exit status"
assert_eq 20 "$(wc -l <"$WORK/stdin.out")" "result lines"
assert_eq 20 "$(jq -r 'select(.status == "ok" and .duplicate == false and .incident_id > 0) | .line' "$WORK/stdin.out" | sort -u | wc -l)" \
    "lines answered ok with a new incident"
assert_eq 20 "$(jq -r '.incident_id' "$WORK/stdin.out" | sort -u | wc -l)" "distinct incident ids"

# Each line's incident holds that line's fields.
expected=$(jq -r '[.line, .incident_id, .event_seq] | @tsv' "$WORK/stdin.out" | sort -n |
    while IFS=$'\t' read -r line iid seq; do
        j=$(sed -n "${line}p" "$input")
        printf '%s|%s|%s|%s|%s|%s\n' "$iid" "$(jq -r .external_ref <<<"$j")" "$(jq -r .title <<<"$j")" \
            "$(jq -r .place_unit <<<"$j")" "$(jq -r .occurred_at_ms <<<"$j")" "$seq"
    done | sort)
actual=$(q "SELECT i.id, i.external_ref, i.title, i.place_unit,
                   (extract(epoch FROM i.occurred_at) * 1000)::bigint, e.seq
            FROM incidents i JOIN events e ON e.incident_id = i.id
            WHERE i.external_ref LIKE 'STDIN-%' AND e.kind = 'reported'" | sort)
assert_eq "$expected" "$actual" "stdin incidents"

# Coordinates arrive to the last bit: compare as doubles.
while IFS= read -r j; do
    ref=$(jq -r .external_ref <<<"$j")
    if jq -e 'has("lon")' <<<"$j" >/dev/null; then
        # jq would round through its own doubles: take the literal text.
        jlon=$(grep -oE '"lon":[0-9.]+' <<<"$j" | cut -d: -f2)
        jlat=$(grep -oE '"lat":[0-9.]+' <<<"$j" | cut -d: -f2)
        assert_eq t "$(q "SELECT lon = '$jlon'::float8 AND lat = '$jlat'::float8 FROM incidents WHERE external_ref = '$ref'")" \
            "coordinates of $ref"
    else
        assert_eq t "$(q "SELECT lon IS NULL AND lat IS NULL FROM incidents WHERE external_ref = '$ref'")" \
            "no coordinates for $ref"
    fi
done <"$input"

# ---- every incident: exactly one "reported" event with the envelope bytes ----
assert_eq 22 "$(q "SELECT count(*) FROM incidents")" "incidents"
assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM events e
                  WHERE e.incident_id = i.id AND e.kind = 'reported' AND length(e.payload) > 0
                  AND e.actor_node = i.reporter_node) <> 1")" "incidents without exactly one reported event"
assert_eq 22 "$(q "SELECT count(*) FROM events WHERE kind = 'reported'")" "reported events"
assert_eq 0 "$(q "SELECT count(*) FROM rejected_requests")" "rejected requests"

# ---- one spelling for each field: --help, docs/protocol.md and the code agree ----
help=$("$FQ_REPORT" --help)
if grep -qE -- '--place UNIT.*required' <<<"$help"; then
    fail "--help calls --place required although coordinates alone work"
fi
assert_match 'one of --place or --lon/--lat' "$help" "--help: place or coordinates"
# Coordinates alone are a place (a point in no grid: the sender's jurisdiction).
out=$(report lingyin-platform --category dispute.neighbour --severity IV --risk low \
    --channel hotline --lon 120.5 --lat 30.5 --title 只有坐标 --external-ref COORD-ONLY)
assert_match '^incident [0-9]+ ' "$out" "a report with coordinates and no --place"
# Severity, risk and channel are names; the wire's numbers are refused before sending.
rc=0
err=$(report lingyin-platform --category dispute.neighbour --severity 4 --risk low \
    --channel hotline --place lingyin --title 数字等级 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "fq-report --severity 4: exit status"
assert_match "bad value '4' for severity: one of I, II, III, IV" "$err" "--severity 4: message"
# JSON input: "place" and a numeric severity are refused with a clear message,
# and --quiet prints only the lines of reports not stored, and no summary.
good='"category":"dispute.neighbour","risk":"low","channel":"hotline","title":"安静"'
printf '%s\n' \
    "{$good,\"severity\":\"IV\",\"place_unit\":\"lingyin\",\"external_ref\":\"QUIET-1\"}" \
    "{$good,\"severity\":\"IV\",\"place\":\"lingyin\",\"external_ref\":\"QUIET-2\"}" \
    "{$good,\"severity\":4,\"place_unit\":\"lingyin\",\"external_ref\":\"QUIET-3\"}" \
    "{$good,\"severity\":\"III\",\"place_unit\":\"lingyin\",\"external_ref\":\"QUIET-4\"}" \
    >"$WORK/quiet.jsonl"
rc=0
report lingyin-platform --stdin --quiet <"$WORK/quiet.jsonl" >"$WORK/quiet.out" \
    2>"$WORK/quiet.err" || rc=$?
assert_eq 4 "$rc" "--stdin --quiet with unreadable lines: exit status"
assert_eq "2|bad_input|unknown field 'place': the field is place_unit (the flag --place)
3|bad_input|bad value '4' for severity: one of I, II, III, IV" \
    "$(jq -r '[.line, .status, .message] | join("|")' "$WORK/quiet.out")" "--stdin --quiet output"
assert_eq "" "$(cat "$WORK/quiet.err")" "--stdin --quiet: nothing on stderr"
assert_eq 2 "$(q "SELECT count(*) FROM incidents WHERE external_ref IN ('QUIET-1', 'QUIET-4')")" \
    "the good lines of the quiet run stored"

server_stop
