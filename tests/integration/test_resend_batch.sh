#!/usr/bin/env bash
# integ_resend_batch: resends of committed reports in one batch with new
# reports (docs/write-path.md, "Resends in a batch"). Six reports are
# committed. Then a plug report's batch is held in PostgreSQL (a psql
# session locks incidents against inserts) while one client sends, in flight
# at once, the six again (byte for byte what a client resends: same message
# ids, same bodies) interleaved with six new ones; the lock goes, and all
# twelve go out in one batch. Checked:
#   - every resend is answered with its original incident, as a duplicate,
#     and the new ones with new incidents, each stored once with one
#     "reported" event;
#   - the twelve went in the same batch (--trace-reports: one send time);
#   - the lookup found the six (resends-found +6) and nothing went through
#     serial mode (serial unchanged), no statement was refused;
#   - fengqiao-admin verify: the chain verifies.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
TRACE="$WORK/trace"
# Dedup off: each new report is an incident of its own (none merged into the
# six, which would add events to them). The hold bound well above the time
# the lock holds the batches back.
server_start --dedup-window-min 0 --hold-ms 120000 --trace-reports "$TRACE"

# ---- six committed ----
flood_lines OLD 1 6 >"$WORK/first.jsonl"
report lingyin-platform --stdin --window 8 <"$WORK/first.jsonl" >"$WORK/first.out"
assert_eq 6 "$(jq -r 'select(.status == "ok" and .duplicate == false) | .line' "$WORK/first.out" | wc -l)" \
    "first run: new and stored"
wait_stats accepted 6 30
serial_before=$(stats_field serial)
found_before=$(stats_field resends-found)
log "after the first six: serial $serial_before, resends-found $found_before"

# ---- held: a plug report's batch waits for the lock ----
lock_incidents
spawn_report lingyin-platform --category hazard.flood --severity IV --risk low --channel online \
    --place lingyin-v2 --title 堵塞 --external-ref PLUG-1
PLUG_PID=$BG_PID
wait_q "SELECT count(*) FROM pg_locks WHERE relation = 'incidents'::regclass AND NOT granted" 1 30

# ---- the mix: resends and new reports, in flight at once ----
paste -d '\n' "$WORK/first.jsonl" <(flood_lines NEW 1 6) >"$WORK/mix.jsonl"
spawn "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    --url "$SERVER_URL" --stdin --window 16 <"$WORK/mix.jsonl" >"$WORK/mix.out" 2>"$WORK/mix.err"
MIX_PID=$BG_PID
# All twelve are in the server, waiting with the plug (13 in flight).
wait_stats in-flight 13 60
unlock_incidents
rc=0
wait_client "$MIX_PID" 60 || rc=$?
assert_eq 0 "$rc" "fq-report exit status of the mix ($(tail -n 1 "$WORK/mix.err"))"
wait_client "$PLUG_PID" 60 || fail "the plug report failed"

# ---- answers ----
assert_eq 12 "$(jq -r 'select(.status == "ok") | .line' "$WORK/mix.out" | wc -l)" "mix: ok answers"
for i in 1 2 3 4 5 6; do
    first_id=$(jq -r "select(.line == $i) | .incident_id" "$WORK/first.out")
    again=$(jq -r "select(.line == $((2 * i - 1))) | \"\(.incident_id) \(.duplicate)\"" "$WORK/mix.out")
    assert_eq "$first_id true" "$again" "resend of OLD-$i: its first incident, as a duplicate"
    fresh=$(jq -r "select(.line == $((2 * i))) | .duplicate" "$WORK/mix.out")
    assert_eq false "$fresh" "NEW-$i answered as new"
done
# Each new one stored once, under the id its answer named, with one reported event.
assert_eq "$(jq -r 'select(.line % 2 == 0) | .incident_id' "$WORK/mix.out" | sort -n)" \
    "$(q "SELECT id FROM incidents WHERE external_ref LIKE 'NEW-%' ORDER BY id")" "new incidents as answered"
assert_eq "6|6" "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE 'OLD-%'")" \
    "the six after their resends"
assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM events e
                  WHERE e.incident_id = i.id AND e.kind = 'reported') <> 1")" "incidents without exactly one reported event"

# ---- no serial mode, one batch ----
# A statistics line written after every answer was sent.
stats_lines() { grep -c 'comp=stats msg="requests' "$SERVER_LOG" || true; }
lines=$(stats_lines)
for ((i = 0; i < 600 && $(stats_lines) <= lines; i++)); do sleep 0.05; done
assert_eq $((found_before + 6)) "$(stats_field resends-found)" "resends found by the lookup"
assert_eq "$serial_before" "$(stats_field serial)" "operations written in serial mode"
if grep -E 'comp=store .*(statement refused|failed)' "$SERVER_LOG" >&2; then
    fail "the store refused or failed something"
fi
# The trace is written when the server stops (its buffer).
server_stop
# --trace-reports: per report its message id, then arrived, submitted, sent (its batch's send time), ...
sent_times=$(jq -r '.message_id' "$WORK/mix.out" | while read -r mid; do
    awk -v m="$mid" '$1 == m { t = $4 } END { print t }' "$TRACE" # the last: OLD-i's resend
done | sort -u)
log "send times of the mix's batches: $(tr '\n' ' ' <<<"$sent_times")"
assert_eq 1 "$(grep -c . <<<"$sent_times")" "batches the twelve went in"

# ---- the chain ----
rc=0
out=$("$FQ_ADMIN" verify 2>&1) || rc=$?
log "fengqiao-admin verify: $out"
assert_eq 0 "$rc" "exit status of fengqiao-admin verify"
