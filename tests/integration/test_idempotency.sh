#!/usr/bin/env bash
# integ_idempotency: (sender, message id) is the idempotency key. The same
# report sent again is a duplicate of the same incident; the same message id
# with another body is a conflict that changes nothing; a captured frame
# replayed byte for byte (one after the other, or several copies at once)
# yields the same incident and no second row; once its sent_at is outside the
# skew window the replay is refused as stale.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
# A short skew window so that the stale replay below needs only seconds; long
# enough that the replays right after the capture (two process starts of a
# sanitizer build, on a busy machine) still fall inside it.
SKEW_MS=15000
server_start --max-skew-ms "$SKEW_MS"

flags=(--category dispute.neighbour --severity III --risk medium --channel hotline
    --place lingyin-v1 --title 邻里噪音纠纷 --external-ref HZ-001)

# ---- the same report twice ----
first=$(report lingyin-platform "${flags[@]}")
second=$(report lingyin-platform "${flags[@]}")
log "first: $first / second: $second"
assert_match '^incident [0-9]+ \(message id [0-9]+\)(; .*)?$' "$first" "first report"
id=$(awk '{print $2}' <<<"$first")
mid=$(sed -E 's/.*\(message id ([0-9]+)\).*/\1/' <<<"$first")
routed=$(sed -E 's/^incident [0-9]+ \(message id [0-9]+\)//' <<<"$first")
assert_eq "incident $id (already reported) (message id $mid)$routed" "$second" "second report (same routing)"
assert_eq "1|1" "$(q "SELECT count(DISTINCT i.id), count(*) FROM incidents i JOIN events e ON e.incident_id = i.id
                     AND e.kind = 'reported' WHERE i.external_ref = 'HZ-001'")" "incidents and reported events for HZ-001"

# ---- same message id, different body: conflict, nothing changed ----
before=$(q "SELECT i.*, e.seq, e.payload FROM incidents i JOIN events e ON e.incident_id = i.id ORDER BY i.id")
rc=0
err=$(report lingyin-platform --category dispute.neighbour --severity II --risk medium --channel hotline \
    --place lingyin-v1 --title 邻里噪音纠纷 --external-ref HZ-001 2>&1 >/dev/null) || rc=$?
log "conflicting report: exit $rc: $err"
assert_eq 1 "$rc" "exit status of a conflicting report"
assert_match "^fq-report: conflict: message id $mid was already used for a different report \(incident $id\)" \
    "$err" "conflict message"
# The same with an explicit message id and another title.
rc=0
err=$(report lingyin-platform --category dispute.neighbour --severity III --risk medium --channel hotline \
    --place lingyin-v1 --title 另一个标题 --message-id "$mid" 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "exit status of a conflicting report (explicit message id)"
assert_match "conflict" "$err" "conflict message (explicit message id)"
assert_eq "$before" "$(q "SELECT i.*, e.seq, e.payload FROM incidents i JOIN events e ON e.incident_id = i.id ORDER BY i.id")" \
    "incidents and events after the conflicts"

# ---- a re-signed retry (same id and body, fresh sent_at) is a duplicate ----
line=$(raw lingyin-platform report --message-id 4242 --title 重签名 --save "$WORK/resign1.bin")
assert_match '^reply status=ok signed=1 message_id=4242 incident=[1-9][0-9]* duplicate=0 ' "$line" "first signing"
rid=$(reply_field "$line" incident)
sleep 0.01
line=$(raw lingyin-platform report --message-id 4242 --title 重签名 --save "$WORK/resign2.bin")
assert_match "^reply status=ok signed=1 message_id=4242 incident=$rid duplicate=1 " "$line" "re-signed retry"
cmp -s "$WORK/resign1.bin" "$WORK/resign2.bin" && fail "the re-signed frame should differ (sent_at, MAC)"

# ---- byte-exact replay of a captured frame, one after the other ----
line=$(raw lingyin-platform report --title 抓包重放 --external-ref REPLAY-1 --save "$WORK/captured.bin")
log "captured: $line"
assert_match '^reply status=ok signed=1 .* duplicate=0 ' "$line" "captured request"
cid=$(reply_field "$line" incident)
cmid=$(reply_field "$line" message_id)
cseq=$(reply_field "$line" event_seq)
mapfile -t replies < <(raw lingyin-platform replay "$WORK/captured.bin" --times 2)
assert_eq 2 "${#replies[@]}" "replies to the replays"
for r in "${replies[@]}"; do
    log "replay: $r"
    assert_match "^reply status=ok signed=1 message_id=$cmid incident=$cid duplicate=1 event_seq=$cseq " "$r" "replay"
done
assert_eq "1|1" "$(q "SELECT count(DISTINCT i.id), count(*) FROM incidents i JOIN events e ON e.incident_id = i.id
                     AND e.kind = 'reported' WHERE i.reporter_node = 'lingyin-platform' AND i.message_id = $cmid")" "rows for the replayed message"
# The event keeps the envelope exactly as received and MACed.
assert_eq "$(frame_envelope_hex "$WORK/captured.bin")" \
    "$(q "SELECT encode(payload, 'hex') FROM events WHERE incident_id = $cid AND kind = 'reported'")" "stored envelope bytes"

# ---- several copies of a never-seen frame at once: they meet in flight ----
raw lingyin-platform report --title 并发重放 --external-ref REPLAY-2 --save "$WORK/parallel.bin" --no-send 2>/dev/null
mapfile -t replies < <(raw lingyin-platform replay "$WORK/parallel.bin" --times 6 --parallel)
assert_eq 6 "${#replies[@]}" "replies to the parallel copies"
pid_=$(reply_field "${replies[0]}" incident)
fresh=0
for r in "${replies[@]}"; do
    log "parallel copy: $r"
    assert_match "^reply status=ok signed=1 message_id=[0-9]+ incident=$pid_ " "$r" "parallel copy"
    [ "$(reply_field "$r" duplicate)" = 0 ] && fresh=$((fresh + 1))
done
assert_eq 1 "$fresh" "copies answered as the first (duplicate=0)"
assert_eq "1|1" "$(q "SELECT count(*), (SELECT count(*) FROM events WHERE incident_id = $pid_ AND kind = 'reported')
                     FROM incidents WHERE external_ref = 'REPLAY-2'")" "rows for the parallel copies"

# ---- --stdin: a batch sent twice, and one line twice inside the batch ----
for i in 1 2 3 4 5 3; do
    printf '{"category":"hazard.flood","severity":"IV","risk":"low","channel":"online","place_unit":"lingyin-v2","title":"积水 %d","external_ref":"BATCH-%d"}\n' "$i" "$i"
done >"$WORK/batch.jsonl"
report lingyin-platform --stdin --window 8 <"$WORK/batch.jsonl" >"$WORK/batch1.out"
report lingyin-platform --stdin --window 8 <"$WORK/batch.jsonl" >"$WORK/batch2.out"
assert_eq "$(jq -r '[.line, .incident_id] | @tsv' "$WORK/batch1.out" | sort -n)" \
    "$(jq -r '[.line, .incident_id] | @tsv' "$WORK/batch2.out" | sort -n)" "incident ids of the two runs"
assert_eq 6 "$(jq -r 'select(.status == "ok" and .duplicate == true) | .line' "$WORK/batch2.out" | wc -l)" \
    "second run: all duplicates"
assert_eq "$(jq -r 'select(.line == 3) | .incident_id' "$WORK/batch1.out")" \
    "$(jq -r 'select(.line == 6) | .incident_id' "$WORK/batch1.out")" "the repeated line's incident"
assert_eq "5|5" "$(q "SELECT count(*), count(DISTINCT message_id) FROM incidents WHERE external_ref LIKE 'BATCH-%'")" \
    "incidents of the batch"

# ---- a replay outside the skew window is stale and changes nothing ----
count_before=$(q "SELECT count(*) FROM incidents")
sleep "$(awk -v ms="$SKEW_MS" 'BEGIN { print ms / 1000 + 0.5 }')"
line=$(raw lingyin-platform replay "$WORK/captured.bin" --times 1)
log "late replay: $line"
assert_match "^reply status=stale signed=1 message_id=$cmid incident=0 " "$line" "late replay"
assert_eq "$count_before" "$(q "SELECT count(*) FROM incidents")" "incidents after the late replay"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $cid AND kind = 'reported'")" "reported events of the replayed incident"

assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM events e
                  WHERE e.incident_id = i.id AND e.kind = 'reported') <> 1")" "incidents without exactly one event"
server_stop
