#!/usr/bin/env bash
# integ_lookup_conn: the lookups of stored reports on a connection of their
# own (docs/write-path.md, "Resends in a batch", "When it is sent").
#
#  A. A paced load (fq-bench-intake-load open, 300 reports/s): every lookup
#     goes on the lookup connection (the statistics' lookups-own equals
#     lookups), and, from --trace-reports, a report waits for two COMMITs
#     from its arrival to its own (its own counted): asked about in the loop
#     turn it arrived, while the batch before it executed, it goes in the
#     next batch. With the lookup in the next batch's transaction (the code
#     before) a report that arrived while a batch executed was written only
#     in the batch after that one: three COMMITs. Allowed: at most a quarter
#     waiting three or more (a lookup answered late on a busy machine). On
#     the shared 2-core machine at a load average of 9-11 (2026-12-07), the
#     code before: 79 and 82 % of 1,500 reports waited three; this code:
#     10 % (Release) and 11 % (Debug with ASan). And the lookups probe by
#     index whatever the statistics: with incidents and events never
#     analysed (autovacuum off for them, as in a new database), at most five
#     sequential scans of them over the load (the start's read of the open
#     incidents is one). The code before, whose lookups PostgreSQL planned
#     as it liked: 72 over 1,485 lookups; this one: 1.
#  B. The same load while the lookup connection's backend is ended twice
#     (pg_terminate_backend by its application_name) and stopped once
#     (SIGSTOP, the backend hung without a word): every report the load had
#     acknowledged is stored exactly once, none failed, the lookups went on
#     the writes connection while the lookup connection was away
#     (lookups > lookups-own), it came back, and nothing went through serial
#     mode; fengqiao-admin verify passes.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

[ -x "${FQ_BENCH_INTAKE_LOAD:-}" ] || fail "FQ_BENCH_INTAKE_LOAD not set (fq-bench-intake-load)"
APP=fengqiaod-lookups
# This test's server's lookup sessions (the shared cluster has other tests').
LOOKUP_SESSIONS="FROM pg_stat_activity WHERE application_name = '$APP' AND datname = current_database()"
RATE=300

db_create
setup_world
# The load's four samples' categories: two of them are not the world's.
q "INSERT INTO categories (code, line, name) VALUES ('fire_hazard', 'governance', '火灾隐患'),
     ('city_appearance', 'enforcement', '市容环境') ON CONFLICT DO NOTHING"
TRACE="$WORK/trace"

# load SECONDS OUT: the paced load from the district platform into one unit.
load() {
    "$FQ_BENCH_INTAKE_LOAD" open --url "$SERVER_URL" --node lingyin-platform \
        --key-file "$(key_of lingyin-platform)" --place lingyin-v2 --clients 16 --procs 1 \
        --rate "$RATE" --seconds "$1" --warmup 0 >"$2" 2>"$2.err"
}
# stats_after: a statistics line written after everything before it.
stats_after() {
    local lines i
    lines=$(grep -c 'comp=stats msg="requests' "$SERVER_LOG" || true)
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c 'comp=stats msg="requests' "$SERVER_LOG" || true)" -gt "$((lines + 1))" ] && return 0
        sleep 0.05
    done
}

# ---- A. a paced load: two COMMITs a report ----
# Its tables stay as a new database has them, never analysed (no
# autovacuum here), where the planner finds a sequential scan of a small
# table cheapest: the lookups must probe by index whatever the statistics.
q "ALTER TABLE incidents SET (autovacuum_enabled = off);
   DO \$\$ DECLARE p regclass; BEGIN
     FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
       EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', p);
     END LOOP; END \$\$" >/dev/null
seq_scans() { q "SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE relname IN ('incidents', 'events')
                   OR relname LIKE 'events\_%'"; }
scans_before=$(seq_scans)
# Dedup off: the load's reports repeat four points of one unit.
server_start --dedup-window-min 0 --trace-reports "$TRACE"
# (Not fatal here, so that the trace below can be checked against the code
# before, which has no lookup connection: lookups-own says so after it.)
for ((i = 0; i < 100; i++)); do
    [ "$(q "SELECT count(*) $LOOKUP_SESSIONS")" = 1 ] && break
    sleep 0.1
done
stats_after
lookups_before=$(stats_field lookups)
own_before=$(stats_field lookups-own)
load 5 "$WORK/a.json" || fail "the load failed: $(cat "$WORK/a.json" "$WORK/a.json.err")"
log "load A: $(cat "$WORK/a.json")"
assert_eq 0 "$(jq -r .failures "$WORK/a.json")" "load A: failures"
acked_a=$(jq -r .acked_total "$WORK/a.json")
stats_after
lookups_a=$(($(stats_field lookups) - lookups_before))
server_stop
# The backends' statistics are flushed when they end (with the server).
for ((i = 0; i < 50; i++)); do
    [ "$(q "SELECT count(*) $LOOKUP_SESSIONS")" = 0 ] && break
    sleep 0.1
done
sleep 0.5
scans_a=$(($(seq_scans) - scans_before))
log "load A: $scans_a sequential scans of incidents and events (the start's read of the open incidents is one)"
[ "$scans_a" -le 5 ] || fail "load A: $scans_a sequential scans of incidents and events ($lookups_a lookups)"
# ---- the trace of load A: COMMITs waited ----
# --trace-reports: message id, then arrived, submitted, sent, executed,
# committed, delivered, acknowledged (us).
waited=$(python3 -c '
import bisect, collections, sys
rows = [list(map(int, l.split())) for l in sys.stdin if len(l.split()) == 8]
commits = sorted({r[5] for r in rows})
count = collections.Counter(bisect.bisect_right(commits, r[5]) - bisect.bisect_right(commits, r[1])
                            for r in rows)
print(len(rows), sum(v for k, v in count.items() if k >= 3), dict(sorted(count.items())))' <"$TRACE")
log "load A, COMMITs waited (traced, three or more, counts): $waited"
read -r traced three _ <<<"$waited"
[ "$traced" -ge $((acked_a * 9 / 10)) ] || fail "load A: only $traced of $acked_a reports traced"
# Allowed: a few, when a lookup's answer came after the batch before it
# had committed (a busy machine), never the bulk.
[ "$three" -le $((traced / 4)) ] ||
    fail "load A: $three of $traced reports waited for three COMMITs or more"
own_a=$(($(stats_field lookups-own) - own_before))
log "load A: $acked_a acknowledged, $lookups_a lookups, $own_a on the lookup connection"
[ "$lookups_a" -gt 0 ] || fail "load A: no lookup"
assert_eq "$lookups_a" "$own_a" "load A: lookups on the lookup connection"
assert_eq 0 "$(stats_field serial)" "load A: operations in serial mode"

# ---- B. the lookup connection's backend ended and stopped under the load ----
server_start --dedup-window-min 0
wait_q "SELECT count(*) $LOOKUP_SESSIONS" 1 30
lookups_before=$(stats_field lookups)
own_before=$(stats_field lookups-own)
load 20 "$WORK/b.json" &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")
lookup_pid() { q "SELECT pid $LOOKUP_SESSIONS"; }
for round in 1 2; do
    sleep 1.5
    pid=$(lookup_pid)
    [ -n "$pid" ] || fail "round $round: no lookup connection"
    assert_eq t "$(q "SELECT pg_terminate_backend($pid)")" "round $round: its backend ended"
    log "round $round: ended the lookup connection's backend $pid"
done
sleep 1.5
pid=$(lookup_pid)
[ -n "$pid" ] || fail "no lookup connection to stop"
kill -STOP "$pid"
CLEANUPS+=("kill -CONT $pid 2>/dev/null")
log "stopped the lookup connection's backend $pid"
# Until the server gives it up (500 ms after a lookup goes unanswered; on a
# loaded machine the first lookup sent to it may come a while after the stop).
for ((i = 0; i < 150; i++)); do
    grep -q 'the lookup connection did not answer' "$SERVER_LOG" && break
    sleep 0.1
done
kill -CONT "$pid"
wait_client "$LOAD_PID" 60 || fail "the load failed: $(cat "$WORK/b.json" "$WORK/b.json.err")"
log "load B: $(cat "$WORK/b.json")"
assert_eq 0 "$(jq -r .failures "$WORK/b.json")" "load B: failures"
acked_b=$(jq -r .acked_total "$WORK/b.json")
stats_after
lookups_b=$(($(stats_field lookups) - lookups_before))
own_b=$(($(stats_field lookups-own) - own_before))
log "load B: $acked_b acknowledged, $lookups_b lookups, $own_b on the lookup connection"
[ "$lookups_b" -gt "$own_b" ] || fail "load B: no lookup went on the writes connection"
[ "$own_b" -gt 0 ] || fail "load B: no lookup on the lookup connection"
grep -q 'the lookup connection did not answer' "$SERVER_LOG" ||
    fail "the stopped backend was not given up"
assert_eq 0 "$(stats_field serial)" "load B: operations in serial mode"
# It is back, on a backend of its own.
wait_q "SELECT count(*) $LOOKUP_SESSIONS AND pid <> $pid" 1 30

# ---- every acknowledged report stored once ----
stored=$(q "SELECT count(*) FROM incidents WHERE reporter_node = 'lingyin-platform'")
assert_eq "$((acked_a + acked_b))" "$stored" "reports stored (acknowledged by the loads)"
assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM events e
                  WHERE e.incident_id = i.id AND e.kind = 'reported') <> 1")" \
    "incidents without exactly one reported event"
if grep -E 'comp=store .*statement refused' "$SERVER_LOG" >&2; then
    fail "the store refused a statement"
fi
server_stop

rc=0
out=$("$FQ_ADMIN" verify 2>&1) || rc=$?
log "fengqiao-admin verify: $out"
assert_eq 0 "$rc" "exit status of fengqiao-admin verify"
