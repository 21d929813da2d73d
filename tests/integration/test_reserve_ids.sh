#!/usr/bin/env bash
# integ_reserve_ids: a reservation of incident ids never goes into a
# transaction that a failed batch left aborted (docs/write-path.md, "Who
# writes"). With --id-block 40 and --batch 16 another block is due when
# fewer than 32 ids are left. A plug report's batch is held by a lock (39
# ids left) while sixteen reports wait, the first a row PostgreSQL refuses
# (a trigger); the lock goes, and the sixteen are one batch, which takes the
# ids below 32 and fails on the refused row. Before the fix the reservation
# was sent right behind that batch, into its aborted transaction: "reserving
# incident ids failed: 25P02" in the log. Checked:
#   - the refused report is answered with its error, the fifteen others ok,
#     each stored once under the id its answer named;
#   - no reservation failed, nothing else in the store failed;
#   - 120 more reports (three blocks' worth) through 16-report batches: all
#     ok, distinct ids; fengqiao-admin verify passes.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
q "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN IF NEW.title = 'REFUSE-ME' THEN RAISE EXCEPTION 'refused for the test'; END IF;
   RETURN NEW; END \$\$;
   CREATE TRIGGER refuse_marked BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION refuse_marked()" >/dev/null
# Dedup off: every report is an incident of its own and takes an id.
server_start --dedup-window-min 0 --hold-ms 120000 --batch 16 --id-block 40

# ---- a plug report's batch held by the lock ----
lock_incidents
spawn_report lingyin-platform --category hazard.flood --severity IV --risk low --channel online \
    --place lingyin-v2 --title 堵塞 --external-ref PLUG-1
PLUG_PID=$BG_PID
wait_q "SELECT count(*) FROM pg_locks WHERE relation = 'incidents'::regclass AND NOT granted" 1 30

# ---- sixteen waiting, the first refused ----
{
    printf '{"category":"hazard.flood","severity":"IV","risk":"low","channel":"online","place_unit":"lingyin-v2","title":"REFUSE-ME","external_ref":"BAD-1"}\n'
    flood_lines MIX 2 16
} >"$WORK/mix.jsonl"
spawn "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    --url "$SERVER_URL" --stdin --window 16 <"$WORK/mix.jsonl" >"$WORK/mix.out" 2>"$WORK/mix.err"
MIX_PID=$BG_PID
wait_stats in-flight 17 60
unlock_incidents
wait_client "$MIX_PID" 60 || true # the refused one makes fq-report exit non-zero
wait_client "$PLUG_PID" 60 || fail "the plug report failed"

bad=$(jq -c 'select(.line == 1)' "$WORK/mix.out")
log "the refused report: $bad"
assert_eq 1 "$(grep -c 'refused for the test' <<<"$bad")" "the refused report answered with its error"
assert_eq 15 "$(jq -r 'select(.line > 1 and .status == "ok") | .line' "$WORK/mix.out" | wc -l)" \
    "the fifteen others: ok answers"
assert_eq "$(jq -r 'select(.line > 1) | .incident_id' "$WORK/mix.out" | sort -n)" \
    "$(q "SELECT id FROM incidents WHERE external_ref LIKE 'MIX-%' ORDER BY id")" \
    "the fifteen stored once, as answered"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'BAD-1'")" "the refused report stored"

# ---- three more blocks' worth ----
flood_lines MORE 1 120 >"$WORK/more.jsonl"
report lingyin-platform --stdin --window 32 <"$WORK/more.jsonl" >"$WORK/more.out" ||
    fail "not every report acknowledged: $(grep -v '"ok"' "$WORK/more.out" | head -n 3)"
assert_eq 120 "$(jq -r 'select(.status == "ok") | .incident_id' "$WORK/more.out" | sort -u | wc -l)" \
    "120 reports: ok, distinct incidents"
assert_eq "136|136" "$(q "SELECT count(*), count(DISTINCT id) FROM incidents")" "incidents stored, ids distinct"

if grep -E 'comp=store .*reserving incident ids failed' "$SERVER_LOG" >&2; then
    fail "a reservation of incident ids failed"
fi
if grep -E 'comp=store .*failed' "$SERVER_LOG" >&2; then
    fail "the store failed something"
fi

rc=0
out=$("$FQ_ADMIN" verify 2>&1) || rc=$?
log "fengqiao-admin verify: $out"
assert_eq 0 "$rc" "exit status of fengqiao-admin verify"

assert_server_alive "after the reservations"
server_stop
log "PASS"
