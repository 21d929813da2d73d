#!/usr/bin/env bash
# integ_store_faults: the store's allocations fail, and still every requester
# gets its own answer, never another's.
#
# fengqiaod-faults is fengqiaod with the store's allocation hook compiled in
# (store.c, FQ_FAULT_INJECTION): FQ_FAULT_ALLOC_FAIL_AT=N fails its N-th
# allocation and FQ_FAULT_ALLOC_FAIL_EVERY=K every K-th after that, and its
# ring of expected results starts small so that it grows under load. Here
# every other allocation fails — of the connection's setup, the directory
# load, each batch and each growth of the ring — while three senders keep 48
# reports each in flight through small batches. Results must never fall out
# of step with the statements sent, every report must end with its own
# incident (the one holding its external_ref), one incident per report, and
# the server must survive.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
: "${FQ_SERVERD_FAULTS:?}"

db_create
setup_world

FQ_SERVERD="$FQ_SERVERD_FAULTS"
export FQ_FAULT_ALLOC_FAIL_AT=1 FQ_FAULT_ALLOC_FAIL_EVERY=2
server_start --batch 8 --batches-in-flight 4 --hold-ms 30000
unset FQ_FAULT_ALLOC_FAIL_AT FQ_FAULT_ALLOC_FAIL_EVERY

PER_SENDER=150
senders=(lingyin-platform beishan-platform lingyin-g1-node)
places=(lingyin-v1 beishan-v1 lingyin-v1-g1)
pids=()
for s in 0 1 2; do
    for ((i = 1; i <= PER_SENDER; i++)); do
        printf '{"category":"dispute.neighbour","severity":"IV","risk":"low","channel":"online","place_unit":"%s","title":"故障注入 %d-%d","external_ref":"F%d-%d"}\n' \
            "${places[$s]}" "$s" "$i" "$s" "$i"
    done >"$WORK/in.$s.jsonl"
    spawn_report "${senders[$s]}" --stdin --window 48 --timeout-ms 120000 \
        <"$WORK/in.$s.jsonl" >"$WORK/out.$s.jsonl" 2>"$WORK/err.$s.txt"
    pids+=("$BG_PID")
done
for s in 0 1 2; do
    wait_client "${pids[$s]}" 200 || fail "sender ${senders[$s]} did not get every report stored: $(tail -n 3 "$WORK/err.$s.txt")"
done

injected=$(grep -c 'fault injection: allocation' "$SERVER_LOG" || true)
log "$injected store allocations failed on purpose"
[ "$injected" -ge 20 ] || fail "only $injected allocations failed: the hook did not bite"
grep -q 'fault injection: allocation [0-9]* of [0-9]* bytes' "$SERVER_LOG" || fail "no injected failure logged"

# Results never fell out of step with the statements sent: a missing
# expectation shows as a result where only a sync can come, which the store
# survives only by dropping the connection ("unexpected result order").
if grep -n 'unexpected result order' "$SERVER_LOG" >&2; then
    fail "results fell out of step with the statements sent"
fi

# Each answer names the incident holding that line's own external_ref.
for s in 0 1 2; do
    assert_eq "$PER_SENDER" "$(jq -r 'select(.status == "ok") | .line' "$WORK/out.$s.jsonl" | sort -u | wc -l)" \
        "ok answers of ${senders[$s]}"
    jq -r '[.line, .incident_id] | @tsv' "$WORK/out.$s.jsonl" >"$WORK/ids.$s.tsv"
    q "SELECT i.id, i.external_ref FROM incidents i WHERE i.reporter_node = '${senders[$s]}'" |
        tr '|' '\t' >"$WORK/db.$s.tsv"
    wrong=$(awk -F '\t' -v s="$s" 'NR == FNR { ref[$1] = $2; next }
                ref[$2] != "F" s "-" $1 { print "line " $1 ": incident " $2 " holds \"" ref[$2] "\"" }' \
        "$WORK/db.$s.tsv" "$WORK/ids.$s.tsv")
    [ -z "$wrong" ] || fail "${senders[$s]} got answers of other reports: $(head -n 3 <<<"$wrong")"
done
assert_eq "$((3 * PER_SENDER))|$((3 * PER_SENDER))" \
    "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE 'F%'")" \
    "incidents of the reports (one each)"
assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM events e
                  WHERE e.incident_id = i.id AND e.kind = 'reported') <> 1")" "incidents without exactly one reported event"
server_stop
