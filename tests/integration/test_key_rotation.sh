#!/usr/bin/env bash
# integ_key_rotation: `fengqiao-admin server-key rotate --new FILE` and the
# procedure of docs/operations.md ("Rotating the server key"): rotate while
# the server runs, then restart it with the new key. A reporter sends all the
# while and every report is stored (none refused, none lost); the running
# server keeps every node through the rotation's reload and says so; the new
# key file is 0600; after the restart the old key file can be deleted; a
# stale server started with the old key names each node it refuses; a
# rotation with the wrong current key, or onto an existing file, changes
# nothing.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
OLD_KEY=$FQ_SERVER_KEY
NEW_KEY="$WORK/server-2.key"
cp -p "$OLD_KEY" "$WORK/stale.key" # what a forgotten copy of the old key would be
sealed() { q "SELECT string_agg(encode(key_sealed, 'hex'), ',' ORDER BY id) FROM nodes"; }
KEEP_PORTS=1
server_start

# A reporter sending one report after another until told to stop; each must
# be stored (fq-report retries across the restart: same message id).
STOP="$WORK/stop-reporting"
reporter() {
    local n=0 rc
    while [ ! -e "$STOP" ]; do
        n=$((n + 1))
        rc=0
        report lingyin-platform --quiet --timeout-ms 60000 --category dispute.neighbour --severity IV \
            --risk low --channel hotline --place lingyin-v1-g1 --title "轮换 $n" --external-ref "ROT-$n" \
            >>"$WORK/reporter.out" 2>&1 || rc=$?
        echo "$n $rc" >>"$WORK/reporter.status"
    done
}
reporter &
REPORTER=$!
BG_PIDS+=("$REPORTER")
sent() { wc -l <"$WORK/reporter.status" 2>/dev/null || echo 0; }
wait_sent_more() { # N: wait until N more reports were answered
    local want=$(($(sent) + $1)) i
    for ((i = 0; i < 1200; i++)); do
        (($(sent) >= want)) && return 0
        pid_alive "$REPORTER" || fail "the reporter stopped"
        sleep 0.05
    done
    fail "the reporter made no progress in 60 s: $(tail -n 3 "$WORK/reporter.out")"
}
wait_sent_more 5

# ---- refused rotations change nothing ----
before=$(sealed)
admin server-key create "$WORK/wrong.key" >/dev/null
out=$(FQ_SERVER_KEY="$WORK/wrong.key" admin server-key rotate --new "$WORK/never.key" 2>&1) &&
    fail "a rotation with the wrong current key succeeded"
assert_match "the key of node lingyin-platform does not open with $WORK/wrong.key" "$out" "wrong key"
assert_match "Nothing was changed" "$out" "wrong key"
[ ! -e "$WORK/never.key" ] || fail "a refused rotation left its new key file"
out=$(admin server-key rotate --new "$WORK/wrong.key" 2>&1) && fail "a rotation overwrote a file"
assert_match "wrong.key" "$out" "rotation onto an existing file"
admin server-key rotate 2>/dev/null && fail "rotate without --new"
assert_eq "$before" "$(sealed)" "seals after refused rotations"

# ---- rotate while serving ----
loads=$(directory_loads)
out=$(admin server-key rotate --new "$NEW_KEY")
assert_eq "5 node keys re-sealed under $NEW_KEY; restart fengqiaod with --server-key $NEW_KEY, then the old key file may be deleted" \
    "$out" "rotate's answer"
assert_eq 600 "$(stat -c %a "$NEW_KEY")" "the new key file's mode"
[ "$before" != "$(sealed)" ] || fail "the seals did not change"
wait_directory_reload "$loads"
kept=$(grep "level=warn comp=directory msg=\"5 node keys are sealed under another server key than $OLD_KEY (rotated): keeping the keys this server holds for them until it is restarted with the new key: " "$SERVER_LOG") ||
    fail "no line saying the running server keeps the node keys: $(grep comp=directory "$SERVER_LOG")"
for node in beishan-platform lingyin-g1-node lingyin-platform lingyin-terminal spare-platform; do
    [[ $kept == *"$node"* ]] || fail "the line does not name $node: $kept"
done
! grep -q "is refused" "$SERVER_LOG" || fail "the running server refused a node after the rotation"
wait_sent_more 5
# Another node, too, right after the rotation.
out=$(report beishan-platform --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place beishan-v1 --title 轮换后 --external-ref ROT-B1)
assert_eq ok "$(jq -r .status <<<"$out")" "beishan-platform after the rotation"

# ---- restart with the new key ----
server_stop
FQ_SERVER_KEY=$NEW_KEY
server_start
! grep -q "does not open\|sealed under another" "$SERVER_LOG" || fail "the restarted server refused or kept keys"
wait_sent_more 5
# The old key file is no longer needed.
rm -f "$OLD_KEY"
loads=$(directory_loads)
admin node add new-after --role grid_node --jurisdiction lingyin-v1-g1 --key-out "$WORK/keys/new-after.key" 2>/dev/null
wait_directory_reload "$loads"
out=$(report new-after --json --category dispute.neighbour --severity IV --risk low --channel patrol \
    --place lingyin-v1-g1 --title 新节点 --external-ref ROT-NEW)
assert_eq ok "$(jq -r .status <<<"$out")" "a node added under the new key"
wait_sent_more 3
touch "$STOP"
wait_for_pid "$REPORTER" 120 || fail "the reporter did not finish"
n=$(sent)
failed=$(awk '$2 != 0' "$WORK/reporter.status" | wc -l)
assert_eq 0 "$failed" "reports not stored ($(awk '$2 != 0' "$WORK/reporter.status" | head -3 | tr '\n' ' '); $(tail -n 3 "$WORK/reporter.out"))"
assert_eq "$n" "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'ROT-%' AND reporter_node = 'lingyin-platform'")" \
    "every report of the reporter is stored once"
log "$n reports through the rotation and the restart, all stored"
server_stop

# ---- a stale key file is refused by node add, and a stale server names what it refuses ----
out=$(FQ_SERVER_KEY="$WORK/stale.key" admin node add stale-node --role grid_node --jurisdiction lingyin-v1-g1 \
    --key-out "$WORK/keys/stale-node.key" 2>&1) && fail "node add sealed a key under the old server key"
assert_match "sealed under another server key than $WORK/stale.key \\(was it rotated\\?\\)" "$out" "node add with the old key"
[ ! -e "$WORK/keys/stale-node.key" ] || fail "a refused node add left its key file"
out=$(printf 'correct horse battery\n' | FQ_SERVER_KEY="$WORK/stale.key" admin user add stale-op --role operator \
    --jurisdiction lingyin 2>&1) && fail "user add sealed a console node key under the old server key"
assert_match "sealed under another server key than $WORK/stale.key" "$out" "user add with the old key"
assert_eq 0 "$(q "SELECT count(*) FROM nodes WHERE id = 'p.stale-op'")" "no node from the refused user add"
printf 'correct horse battery\n' | admin user add new-op --role operator --jurisdiction lingyin >/dev/null 2>&1 ||
    fail "user add with the new key"
FQ_SERVER_KEY="$WORK/stale.key"
server_start
grep -q "level=warn comp=directory msg=\"the key of node lingyin-platform does not open with the server key $WORK/stale.key; the node is refused (was the server key rotated? start with the new one)\"" \
    "$SERVER_LOG" || fail "the stale server does not name the nodes it refuses: $(grep comp=directory "$SERVER_LOG")"
grep -q "level=error comp=directory msg=\"7 of 7 nodes refused: their keys do not open with the server key $WORK/stale.key\"" \
    "$SERVER_LOG" || fail "no summary of the refused nodes"
out=$(report lingyin-platform --json --timeout-ms 5000 --category dispute.neighbour --severity IV --risk low \
    --channel hotline --place lingyin-v1-g1 --title 旧钥 --external-ref ROT-STALE || true)
assert_eq unauthenticated "$(jq -r .status <<<"$out")" "a report to the stale server"
server_stop
