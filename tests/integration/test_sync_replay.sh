#!/usr/bin/env bash
# integ_sync_replay: a terminal's sync changes state (signs the worker off or
# on duty, says what reached the terminal) only when it is newer than every
# sync of that node that took effect. A captured off-duty sync sent again
# within the accepted clock skew — after the worker came back, or after a
# server restart — changes nothing: refused as STALE (and audited) while the
# node's newer sync is known, held as a plain long poll when it was signed
# before the server started. A resend of the newest sync, byte for byte, is
# answered like any long poll, and the copies held at once are not told they
# were superseded.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

W1=lingyin-v1-g1.w1
W2=lingyin-v1-g1.w2
db_create
setup_world
admin node add t1 --role terminal --serves-worker "$W1" --key-out "$(key_of t1)" >/dev/null 2>&1
# Only w1 can take the grid's reports: whom a report goes to shows whether
# w1 is on duty.
admin worker duty "$W2" off >/dev/null
server_start --presence-timeout 600 --dedup-window-min 0

village_report() { # external-ref
    report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
        --place lingyin-v1-g1 --title "噪音 $1" --external-ref "$1" --quiet
}
worker_of() { q "SELECT coalesce(worker, '-') FROM incidents WHERE external_ref = '$1'"; }
# sync MESSAGE_ID [fq_raw_peer flags...]: one sync of t1 with an explicit,
# increasing message id (two syncs signed in the same millisecond are ordered
# by it), answered at once unless --wait-ms says otherwise.
sync_t1() {
    local mid=$1
    shift
    raw t1 --url "$TERMINALS_URL" report --sync --wait-ms 0 --message-id "$mid" "$@"
}
expect_status() { # STATUS LINE WHAT
    assert_eq "$1" "$(reply_field "$2" status)" "$3 (reply: $2)"
}

# ---- the worker signs off, and comes back ----
line=$(sync_t1 1000 --off-duty --save "$WORK/off.frame")
expect_status ok "$line" "the off-duty sync"
village_report A1
[ "$(worker_of A1)" != "$W1" ] || fail "a report went to the worker who signed off"
line=$(sync_t1 2000 --save "$WORK/on.frame")
expect_status ok "$line" "the on-duty sync"
village_report A2
assert_eq "$W1" "$(worker_of A2)" "back on duty: the worker takes the report"

# ---- the captured off-duty sync, replayed ----
line=$(raw t1 --url "$TERMINALS_URL" replay "$WORK/off.frame" --times 1)
expect_status stale "$line" "a replayed older sync"
assert_match 'replayed or reordered' "$(reply_field "$line" message)" "the refusal says why"
# The audit row is written in the background: a generous bounded wait.
wait_q "SELECT count(*) FROM rejected_requests WHERE endpoint = 'terminals'
        AND claimed_node = 't1' AND message_id = 1000 AND status = 'stale'" 1 30
assert_eq "$W1" "$(worker_of A2)" "the replay did not move the worker's assignment on"
village_report A3
assert_eq "$W1" "$(worker_of A3)" "the replay did not sign the worker off"

# ---- a resend of the newest sync is a resend, not an attack ----
line=$(raw t1 --url "$TERMINALS_URL" replay "$WORK/on.frame" --times 2)
assert_eq 2 "$(grep -c '^reply status=ok .* superseded=0 ' <<<"$line")" \
    "the newest sync resent byte for byte is answered (got: $line)"
# Two copies of one held sync meet in the server (a REQ resend after a
# reconnect): neither is told it was superseded, whichever came first.
raw t1 --url "$TERMINALS_URL" report --sync --wait-ms 3000 --message-id 3000 --save "$WORK/held.frame" \
    >"$WORK/held1.out" 2>/dev/null &
held_pid=$!
for _ in $(seq 100); do [ -s "$WORK/held.frame" ] && break; sleep 0.05; done
[ -s "$WORK/held.frame" ] || fail "the held sync's frame was not saved"
line=$(raw t1 --url "$TERMINALS_URL" replay "$WORK/held.frame" --times 1)
wait "$held_pid" || fail "the held sync's peer failed"
expect_status ok "$line" "the resent held sync"
expect_status ok "$(cat "$WORK/held1.out")" "the first copy of the held sync"
assert_eq "0 0" "$(reply_field "$line" superseded) $(reply_field "$(cat "$WORK/held1.out")" superseded)" \
    "copies of one sync do not supersede each other"
village_report A4
assert_eq "$W1" "$(worker_of A4)" "resends changed nothing"

# ---- after a restart nothing is remembered: old frames still change nothing ----
server_stop
KEEP_PORTS=1 server_start --presence-timeout 600 --dedup-window-min 0
line=$(raw t1 --url "$TERMINALS_URL" replay "$WORK/off.frame" --times 1)
expect_status ok "$line" "a sync signed before the restart is held like a long poll"
village_report A5
assert_eq "$W1" "$(worker_of A5)" "a pre-restart off-duty frame did not sign the worker off"
# The terminal's own next sync still signs off.
line=$(sync_t1 4000 --off-duty)
expect_status ok "$line" "a fresh off-duty sync after the restart"
village_report A6
[ "$(worker_of A6)" != "$W1" ] || fail "a fresh off-duty sync did not sign the worker off"

log "sync replay: all checks passed"
