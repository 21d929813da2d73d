#!/usr/bin/env bash
# integ_intake_load: what the intake holds while the database is slow.
#
#  A. Twenty byte-identical copies of one report arrive while the first is
#     still waiting for its commit (a psql session holds a lock on incidents,
#     so the commit cannot finish until the test lets it): every copy gets
#     exactly one reply, the same incident, and only one is the first.
#  B. Envelopes padded with an unknown field to 60 KB each, against a 100 KiB
#     budget of pending reports. The padding is not kept (a held report
#     weighs some 7 KB, not 60), and beyond the budget reports are answered
#     BUSY at once, while the database is still blocked; the ones within it
#     are stored after the lock goes, and their stored envelope carries no
#     unknown field (it is the envelope without the padding, byte for byte).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

server_start --hold-ms 120000

# ---- A. twenty copies in flight ----
COPIES=20
raw lingyin-platform report --title 二十份副本 --external-ref COPIES-1 --save "$WORK/copies.bin" \
    --no-send 2>/dev/null
lock_incidents
requests_before=$(stats_field requests)
requests_before=${requests_before:-0}
raw lingyin-platform --timeout-ms 30000 replay "$WORK/copies.bin" --times "$COPIES" --parallel \
    >"$WORK/copies.out" &
replay_pid=$!
BG_PIDS+=("$replay_pid")
# All copies are in the server before the first can commit.
wait_stats requests $((requests_before + COPIES)) 60
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'COPIES-1'")" "incidents while locked"
unlock_incidents
log "database unblocked; waiting for the copies' replies"
wait_client "$replay_pid" 60 || fail "the replay of $COPIES copies failed"
mapfile -t replies <"$WORK/copies.out"
assert_eq "$COPIES" "$(grep -c '^reply ' "$WORK/copies.out")" \
    "replies to $COPIES copies in flight (no_reply lines: $(grep -c no_reply "$WORK/copies.out"))"
inc=$(reply_field "${replies[0]}" incident)
fresh=0
for r in "${replies[@]}"; do
    assert_match "^reply status=ok signed=1 message_id=[0-9]+ incident=$inc " "$r" "copy in flight"
    [ "$(reply_field "$r" duplicate)" = 0 ] && fresh=$((fresh + 1))
done
assert_eq 1 "$fresh" "copies answered as the first (duplicate=0)"
assert_eq "1|1" "$(q "SELECT count(*), (SELECT count(*) FROM events WHERE incident_id = $inc AND kind = 'reported')
                     FROM incidents WHERE external_ref = 'COPIES-1'")" "rows for the copies"
server_stop

# ---- B. padded envelopes against a byte budget ----
server_start --hold-ms 120000 --max-pending-kib 100
SENDERS=40
PAD=60000
lock_incidents
pids=()
for ((i = 0; i < SENDERS; i++)); do
    raw lingyin-platform --timeout-ms 60000 report --message-id $((7000 + i)) --title "填充 $i" \
        --external-ref "PAD-$i" --pad-to "$PAD" --save "$WORK/pad.$i.bin" \
        >"$WORK/pad.$i.out" 2>/dev/null &
    pids+=("$!")
    BG_PIDS+=("$!")
done
# Over the budget means BUSY now: with the database still blocked, at least
# half of them are answered (100 KiB holds about fifteen held reports).
busy=0
for ((i = 0; i < 600; i++)); do
    busy=$(cat "$WORK"/pad.*.out 2>/dev/null | grep -c '^reply status=busy ' || true)
    [ "$busy" -ge $((SENDERS / 2)) ] && break
    sleep 0.1
done
[ "$busy" -ge $((SENDERS / 2)) ] || fail "only $busy of $SENDERS padded reports were answered busy while the database was blocked"
log "$busy of $SENDERS padded reports answered busy while the database was blocked"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'PAD-%'")" "padded incidents while locked"
# (One line read whole: `grep | head` fails under pipefail when head closes early.)
first_busy=$(grep -h -m 1 '^reply status=busy ' "$WORK"/pad.*.out | sed -n 1p)
[[ $first_busy == *"budget 102400"* ]] || fail "the busy answer names the budget: $first_busy"
wait_stats over-budget "$busy" 10
held=$(stats_field pending-bytes)
[ "$held" -le 102400 ] || fail "the server holds $held bytes of pending reports, over the 100 KiB budget"
unlock_incidents
log "database unblocked; waiting for the senders"
# Each sender gives up on its own after --timeout-ms, so plain waits are bounded.
for p in "${pids[@]}"; do wait "$p" || fail "a padded report's sender failed"; done
assert_server_alive "after the padded reports"
log "all senders answered"
ok=$(cat "$WORK"/pad.*.out | grep -c '^reply status=ok ' || true)
assert_eq "$SENDERS" "$((ok + $(cat "$WORK"/pad.*.out | grep -c '^reply status=busy ' || true)))" \
    "padded reports answered ok or busy"
[ "$ok" -ge 1 ] || fail "no padded report was stored"
assert_eq "$ok" "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'PAD-%'")" "padded incidents stored"
# The stored envelope is the one received without the unknown field: the
# padding was appended after the known fields, so it is a strict prefix.
q "SELECT i.external_ref, encode(e.payload, 'hex') FROM events e JOIN incidents i ON i.id = e.incident_id
   WHERE i.external_ref LIKE 'PAD-%' AND e.kind = 'reported'" >"$WORK/stored.txt"
assert_eq "$ok" "$(wc -l <"$WORK/stored.txt")" "stored envelopes of the padded reports"
while IFS='|' read -r ref stored; do
    # The envelope inside the saved frame (lib.sh's frame_envelope_hex), in hex.
    sent=$(frame_envelope_hex "$WORK/pad.${ref#PAD-}.bin")
    # Hex: two characters a byte. Under 2000 bytes stored, a prefix of the sent
    # one, and at least 50,000 bytes of padding left out.
    if ((${#stored} >= 4000)) || [[ $sent != "$stored"* ]] || ((${#sent} - ${#stored} < 100000)); then
        fail "$ref: stored $((${#stored} / 2)) bytes, sent $((${#sent} / 2)): not the envelope without its padding"
    fi
done <"$WORK/stored.txt"
server_stop
