#!/usr/bin/env bash
# integ_history: the event log is a hash chain (migrations/0004_history.sql,
# docs/history.md). Reports through the running server chain their events;
# `fengqiao-admin verify` passes, and fails naming exactly the event whose
# reason was changed behind the triggers' back, or the link where an event
# was deleted; an export verifies offline, and an edited export does not;
# `timeline` shows an incident's history; rows that arrived in the default
# partition move into their month's partition when it is made; a past
# month's partition is detached while the server serves, and the chain then
# continues from its recorded last hash.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

# ---- history from before: 14 months ago, stored before its partition existed ----
old_month="date_trunc('month', now() AT TIME ZONE 'UTC' - interval '14 months') AT TIME ZONE 'UTC'"
old_part=$(q "SELECT 'events_y' || to_char($old_month AT TIME ZONE 'UTC', 'YYYY\"m\"MM')")
old_id=$(q "INSERT INTO incidents (reporter_node, message_id, body_digest, category, severity, risk,
              channel, place_unit, title, sent_at, state)
            VALUES ('lingyin-platform', 1, sha256('old'), 'dispute.neighbour', 4, 1, 1,
              'lingyin-v1-g1', '旧案', $old_month + interval '3 days', 'closed') RETURNING id" | head -n 1)
append_events "SELECT $old_id AS incident_id, 'reported' AS kind, 'lingyin-platform' AS actor_node,
                       $old_month + interval '3 days' AS at, '' AS reason, NULL::bytea AS payload
                UNION ALL SELECT $old_id, 'closed', NULL, $old_month + interval '4 days', '已办结', NULL" >/dev/null
assert_eq "events_default|2" "$(q "SELECT tableoid::regclass, count(*) FROM events GROUP BY 1")" \
    "a month without a partition lands in the default partition"
assert_eq t "$(q "SELECT fq_event_partition_create($old_month)")" "the old month's partition"
assert_eq "$old_part|2" "$(q "SELECT tableoid::regclass, count(*) FROM events GROUP BY 1")" \
    "its rows moved out of the default partition"
assert_eq "1,2" "$(q "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM events")" "seqs kept"

# ---- the server makes this month's partition and the next two ----
server_start
for m in 0 1 2; do
    part=$(q "SELECT 'events_y' || to_char(now() AT TIME ZONE 'UTC' + interval '$m months', 'YYYY\"m\"MM')")
    assert_eq 1 "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass('$part')
                      AND inhparent = 'events'::regclass")" "partition $part made by the server"
done

# ---- reports through the server ----
route() { report lingyin-platform --json "$@"; }
field() { jq -r "$1" <<<"$2"; }
r1=$(route --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title "楼上噪音" --external-ref HI-1)
id1=$(field .incident_id "$r1")
route --category market.food_safety --severity III --risk medium --channel online \
    --place lingyin-v1 --title "餐馆卫生" --external-ref HI-2 >/dev/null
route --category hazard.fire --severity I --risk high --channel staff \
    --place lingyin-v1 --title "仓库火情" --external-ref HI-3 >/dev/null
route --category dispute.neighbour --severity IV --risk low --channel online \
    --place lingyin-v1-g1 --title "还是楼上噪音" --external-ref HI-4 >/dev/null
# An event without the server's seq and hashes is refused.
set +e
q "INSERT INTO events (incident_id, kind) VALUES ($id1, 'note')" >/dev/null 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "an event without seq and hashes is refused"
# Since 0033 no foreign key checks events and outbox rows as they are
# written; what history names stays guarded on the referenced side.
actor=$(q "SELECT actor_node FROM events WHERE incident_id = $id1 AND actor_node IS NOT NULL LIMIT 1")
for stmt in "DELETE FROM incidents WHERE id = $id1" "UPDATE incidents SET id = -$id1 WHERE id = $id1" \
    "DELETE FROM nodes WHERE id = '$actor'" "UPDATE nodes SET id = 'renamed' WHERE id = '$actor'"; do
    set +e
    out=$(q "$stmt" 2>&1)
    rc=$?
    set -e
    assert_eq 1 "$rc" "refused: $stmt"
    assert_match "history" "$out" "the refusal names the history: $stmt"
done
assert_eq 1 "$(q "SELECT count(*) FROM incidents WHERE id = $id1")" "the incident is still there"
# The incidents' CHECKs (kept by 0033 and 0036: docs/write-path.md,
# "Constraints") refuse each value an operator could type wrong.
for set in "message_id = 0" "body_digest = sha256('x')::bytea || '\\x00'::bytea" "severity = 5" "risk = 0" \
    "channel = 7" "lon = 200, lat = 30" "lon = 120, lat = -91" "lon = 120, lat = NULL" \
    "place_unit = NULL, lon = NULL, lat = NULL" "state = 'bogus'" "tier = 4" "line = 4" "breached = 8" \
    "assignment = 'bogus'" "satisfaction = 6" "suspended_at = now()" \
    "state = 'closed', suspended_at = now(), suspend_reason = 'x'"; do
    set +e
    out=$(q "UPDATE incidents SET $set WHERE id = $id1" 2>&1)
    rc=$?
    set -e
    assert_eq 1 "$rc" "refused: SET $set"
    assert_match "violates check constraint \"incidents_" "$out" "the CHECK refuses: SET $set"
done
route --category enforcement.illegal_building --severity IV --risk low --channel patrol \
    --place lingyin-v2 --title "违建" --external-ref HI-5 >/dev/null
total=$(q "SELECT count(*) FROM events")
[ "$total" -ge 12 ] || fail "expected at least 12 events, have $total"
assert_eq "$(q "SELECT max(seq) || '|' || encode(hash, 'hex') FROM events WHERE seq = (SELECT max(seq) FROM events) GROUP BY hash")" \
    "$(q "SELECT seq || '|' || encode(hash, 'hex') FROM event_chain_head")" "the chain head is the last event"

# ---- verify ----
out=$(admin verify) || fail "verify of an intact chain failed: $out"
log "$out"
assert_match "verified $total events" "$out" "verify counts every event"
assert_match "starts at genesis" "$out" "the chain starts at genesis"
assert_match "chain head: seq [0-9]+ hash [0-9a-f]{64}" "$out" "verify prints the head hash"
out=$(admin verify --from "$(q "SELECT now() - interval '1 hour'")" --to 2100-01-01) ||
    fail "verify of a period failed: $out"
assert_match "taken as given" "$out" "a period's first prev_hash is taken as given"

# ---- timeline ----
tl=$(admin timeline "$id1")
log "$tl"
assert_match "reported +lingyin-platform" "$tl" "timeline: reported by the platform"
assert_match "assigned +fengqiaod" "$tl" "timeline: assigned by the server"
assert_match "report_merged" "$tl" "timeline: the merged duplicate"
set +e
admin timeline 999999 >/dev/null 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "timeline of no incident"

# ---- export, verified offline ----
admin export --from 2000-01-01 --to 2100-01-01 --out "$WORK/all.jsonl" >/dev/null
assert_eq $((total + 1)) "$(wc -l <"$WORK/all.jsonl")" "export: a header and one line per event"
out=$(admin --db "dbname=nonexistent host=/nonexistent" verify --file "$WORK/all.jsonl") ||
    fail "the export does not verify: $out"
assert_match "verified $total events" "$out" "offline verify counts every event"

# ---- tamper: one event's reason changed behind the triggers' back ----
seq_t=$(q "SELECT seq FROM events WHERE incident_id = $id1 AND kind = 'assigned'")
part_t=$(q "SELECT tableoid::regclass FROM events WHERE seq = $seq_t")
reason_t=$(q "SELECT reason FROM events WHERE seq = $seq_t")
tamper() { # SQL on the partition with the append-only trigger off
    q "ALTER TABLE $part_t DISABLE TRIGGER events_no_update; $1;
       ALTER TABLE $part_t ENABLE TRIGGER events_no_update" >/dev/null
}
tamper "UPDATE $part_t SET reason = '已处理' WHERE seq = $seq_t"
set +e
out=$(admin verify)
rc=$?
set -e
log "$out"
assert_eq 1 "$rc" "verify of a changed event exits 1"
assert_match "BROKEN: seq $seq_t \\(incident $id1, assigned\\): hash mismatch" "$out" \
    "verify names exactly the changed event"
# The export made before still verifies; the same edit in a file does not.
admin verify --file "$WORK/all.jsonl" >/dev/null || fail "the earlier export stopped verifying"
python3 - "$WORK/all.jsonl" "$WORK/edited.jsonl" "$seq_t" <<'PY'
import json, sys
src, dst, seq = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src) as f, open(dst, "w") as out:
    for i, line in enumerate(f):
        o = json.loads(line)
        if i > 0 and o["seq"] == seq:
            o["reason"] = "已处理"
            line = json.dumps(o, ensure_ascii=False) + "\n"
        out.write(line)
PY
set +e
out=$(admin verify --file "$WORK/edited.jsonl")
rc=$?
set -e
assert_eq 1 "$rc" "offline verify of an edited export exits 1"
assert_match "BROKEN: seq $seq_t \\(incident $id1, assigned\\): hash mismatch" "$out" \
    "offline verify names the edited event"
tamper "UPDATE $part_t SET reason = '$reason_t' WHERE seq = $seq_t"
admin verify >/dev/null || fail "verify after the reason was put back"

# ---- tamper: a middle event deleted ----
seq_d=$(q "SELECT seq FROM events WHERE seq > 2 ORDER BY seq OFFSET 3 LIMIT 1")
seq_n=$(q "SELECT min(seq) FROM events WHERE seq > $seq_d")
part_t=$(q "SELECT tableoid::regclass FROM events WHERE seq = $seq_d")
q "CREATE TABLE saved_event AS SELECT * FROM events WHERE seq = $seq_d" >/dev/null
tamper "DELETE FROM $part_t WHERE seq = $seq_d"
set +e
out=$(admin verify)
rc=$?
set -e
log "$out"
assert_eq 1 "$rc" "verify with a deleted event exits 1"
assert_match "BROKEN: seq $seq_n .*prev_hash [0-9a-f]+ is not the hash .*absent: an event was removed" \
    "$out" "verify names the link where the event was removed"
q "INSERT INTO $part_t SELECT * FROM saved_event; DROP TABLE saved_event" >/dev/null
admin verify >/dev/null || fail "verify after the event was put back"

# ---- partitions ----
list=$(admin partitions list)
log "$list"
assert_match "$old_part .* 2  1 \\.\\. 2" "$list" "list: the old month with its events"
assert_match "events_default +\\(default\\)" "$list" "list: the default partition"
out=$(admin partitions ensure --months 4)
assert_match "^2 partitions created" "$out" "ensure makes the months beyond the server's two"
out=$(admin partitions ensure --months 4)
assert_match "^0 partitions created" "$out" "ensure is idempotent"
set +e
admin partitions detach events_default >/dev/null 2>&1
rc_default=$?
admin partitions detach "$(q "SELECT 'events_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY\"m\"MM')")" >/dev/null 2>&1
rc_current=$?
set -e
assert_eq "1|1" "$rc_default|$rc_current" "the default partition and the current month are not detached"

# Detach the old month while the server serves a stream of reports.
for i in $(seq 1 30); do
    printf '{"category":"dispute.labour","severity":"IV","risk":"low","channel":"hotline","place_unit":"lingyin-v2","title":"欠薪 %d","external_ref":"HI-D%d"}\n' "$i" "$i"
done >"$WORK/stream.jsonl"
spawn_report lingyin-platform --stdin <"$WORK/stream.jsonl" >"$WORK/stream.out" 2>&1
stream_pid=$BG_PID
out=$(admin partitions detach "$old_part")
log "$out"
assert_match "detached $old_part .*2 events, seq 1 \\.\\. 2" "$out" "detach reports the archive"
assert_match "pg_dump .*--table='public.$old_part'" "$out" "detach says how to archive"
wait_client "$stream_pid" 60 || fail "reports during the detach failed: $(tail -n 5 "$WORK/stream.out")"
assert_eq 30 "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'HI-D%'")" \
    "every report during the detach stored"
assert_eq 0 "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = '$old_part'::regclass")" \
    "the old month is no longer a partition"
assert_eq 2 "$(q "SELECT count(*) FROM $old_part")" "the detached table keeps its rows"
set +e
q "DELETE FROM $old_part" >/dev/null 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "the detached table is append-only"
out=$(admin verify) || fail "verify after the detach: $out"
log "$out"
assert_match "continues the archived partition $old_part \\(its last event is seq 2\\)" "$out" \
    "the attached chain continues from the archive"
assert_match "$old_part .*detached" "$(admin partitions list)" "list shows the archive"

# ---- an event written by hand, not by the server: verify catches it ----
q "INSERT INTO events (seq, incident_id, kind, reason, prev_hash, hash)
   SELECT seq + 1, $id1, 'note', 'by hand', hash, sha256('forged') FROM event_chain_head" >/dev/null
set +e
out=$(admin verify)
rc=$?
set -e
log "$out"
assert_eq 1 "$rc" "verify with an event written by hand exits 1"
assert_match "hash mismatch" "$out" "verify names the forged event"

server_stop
log "history ok"
