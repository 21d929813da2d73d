#!/usr/bin/env bash
# bench/run standby: how long a warm standby fengqiaod takes to serve once it
# holds the serving lock (docs/operations.md, "A standby").
# targets: fengqiaod fengqiao-admin
#
# 1. A private PostgreSQL, the West Lake topology, N open incidents
#    (bench/open_incidents.sql). A psql session holds the serving lock, as a
#    serving fengqiaod would.
# 2. The standby: fengqiaod --if-locked wait, which loads the directory, the
#    routing state and the N open incidents while it waits ("standby (warm,
#    at event P)"). standby_load_cpu_s: its CPU time (user + system) until
#    then.
# 3. The standby is stopped (SIGSTOP, so that its refreshes do not catch up
#    first), and the serving server's work since is written as it would:
#    T incidents touched — 2/5 new ones, 2/5 acknowledged, 1/5 concluded —
#    each with an event on the chain (seq, hash, head advanced). Then the
#    lock is let go (the holder's session ended) and the standby continued
#    (SIGCONT): its next claim takes the lock, it re-reads the T incidents
#    touched after P, binds and is ready.
#    takeover_s: the lock taken to bound and ready, as fengqiaod logs it
#    ("took over ... serving X s after taking the lock"; wall clock);
#    takeover_cpu_s: fengqiaod's CPU from SIGCONT to its ready file (the
#    claim, the catch-up, the bind); takeover_backend_cpu_s: its PostgreSQL
#    backends' over the same span (the claim, the heads, the catch-up's
#    query); caught_up: the incidents re-read (must be T). R repetitions, each with a fresh standby; medians.
#
# Full: N = 1,000,000, T = 5,000, R = 3. FQ_BENCH_QUICK=1: N = 200,000,
# R = 1. Knobs: FQ_BENCH_OPEN (N), FQ_BENCH_TOUCHED (T), FQ_BENCH_REPS (R).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
log() { echo "bench standby: $*" >&2; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
# shellcheck source=tests/chain_append.sh
source tests/chain_append.sh
quick=${FQ_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    open=${FQ_BENCH_OPEN:-200000}
    reps=${FQ_BENCH_REPS:-1}
else
    open=${FQ_BENCH_OPEN:-1000000}
    reps=${FQ_BENCH_REPS:-3}
fi
touched=${FQ_BENCH_TOUCHED:-5000}
SERVING_KEY=7236111411

json() { # metric value unit [key=json-value ...]
    local out kv
    out=$(printf '{"bench":"standby","metric":"%s","value":%s,"unit":"%s"' "$1" "$2" "$3")
    shift 3
    for kv in "$@"; do out+=$(printf ',"%s":%s' "${kv%%=*}" "${kv#*=}"); done
    echo "$out}"
}
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bench_workdir standby
holder_pid=""
stop_holder() {
    [ -n "$holder_pid" ] || return 0
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fq_bench_holder'" >/dev/null
    wait "$holder_pid" 2>/dev/null || true
    holder_pid=""
}
[ "$quick" = 1 ] && json quick_run 1 flag "open_incidents=$open" "note=\"quick: $open open incidents (the full run: 1,000,000), one repetition\""

bench_database
admin import-topology examples/westlake-topology.json >/dev/null
admin node add beishan-platform --role town_platform --jurisdiction beishan >/dev/null 2>&1
log "generating $open open incidents"
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$CI" -v first=1 -v n="$open" -f bench/open_incidents.sql
q "VACUUM ANALYZE" >/dev/null
next=$((open + 1)) # the next generated incident's number

takeovers=() cpus=() backends_cpu=() loads=() caught=()
for ((rep = 1; rep <= reps; rep++)); do
    # ---- the lock held as by a serving server ----
    PGAPPNAME=fq_bench_holder psql -X -q -d "$CI" -c "SELECT pg_advisory_lock($SERVING_KEY)" \
        -c "SELECT pg_sleep(100000)" >/dev/null 2>&1 &
    holder_pid=$!
    for _ in $(seq 100); do
        [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'fq_bench_holder'")" = 1 ] && break
        sleep 0.1
    done

    # ---- the standby loads while it waits ----
    bench_ports
    rm -f "$tmp/ready"
    "$B/server/fengqiaod" --db "$CI" --server-key "$FQ_SERVER_KEY" --intake "$url" --terminals "$turl" \
        --ready-file "$tmp/ready" --stats-interval 0 --if-locked wait 2>"$tmp/fengqiaod.log" &
    server_pid=$!
    for _ in $(seq 1200); do
        grep -q 'msg="standby (warm, at event' "$tmp/fengqiaod.log" && break
        kill -0 "$server_pid" 2>/dev/null || { log "fengqiaod exited"; exit 1; }
        sleep 0.1
    done
    line=$(grep -o 'standby (warm, at event [0-9]*): [0-9]* open incidents loaded' "$tmp/fengqiaod.log") ||
        { log "the standby did not load within 120 s"; exit 1; }
    load_cpu=$(cpu_of "$server_pid")
    log "rep $rep: $line (CPU $load_cpu s)"

    # ---- the serving server's work meanwhile, then the lock let go ----
    kill -STOP "$server_pid"
    new=$((touched * 2 / 5)) acked=$((touched * 2 / 5))
    closed=$((touched - new - acked))
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$CI" -v first="$next" -v n="$new" -f bench/open_incidents.sql
    # Of the open ones the standby loaded, the oldest: some acknowledged, some
    # concluded; every touched one gets an event on the chain.
    q "CREATE TABLE fq_bench_touch AS
         SELECT id, CASE WHEN n <= $acked THEN 'acknowledged' ELSE 'concluded' END AS kind
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incidents
               WHERE state = 'assigned' AND assignment = 'assigned' AND id < (SELECT min(id) FROM incidents
                                                  WHERE external_ref = 'GEN-$next')) o
         WHERE n <= $((acked + closed));
       INSERT INTO fq_bench_touch SELECT id, 'assigned' FROM incidents WHERE message_id >= $next;
       UPDATE incidents i SET assignment = 'acknowledged' FROM fq_bench_touch t
         WHERE t.id = i.id AND t.kind = 'acknowledged';
       UPDATE incidents i SET state = 'concluded' FROM fq_bench_touch t
         WHERE t.id = i.id AND t.kind = 'concluded';" >/dev/null
    append_events "SELECT id AS incident_id, kind, NULL::text AS actor_node, NULL::timestamptz AS at,
                          'bench' AS reason, NULL::bytea AS payload FROM fq_bench_touch ORDER BY id" >/dev/null
    q "DROP TABLE fq_bench_touch" >/dev/null
    next=$((next + new))
    stop_holder
    # The standby's backends (its writes and reads connections): their CPU
    # for the claim and the catch-up's query.
    backends=$(q "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
                  AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    # shellcheck disable=SC2086 # one pid a word
    backend_before=$(cpu_of $backends)
    before=$(cpu_of "$server_pid")
    kill -CONT "$server_pid"
    for _ in $(seq 6000); do
        [ -s "$tmp/ready" ] && break
        kill -0 "$server_pid" 2>/dev/null || { log "fengqiaod exited"; exit 1; }
        sleep 0.01
    done
    [ -s "$tmp/ready" ] || { log "the standby did not serve within 60 s"; exit 1; }
    cpu=$(awk -v a="$before" -v b="$(cpu_of "$server_pid")" 'BEGIN { printf "%.3f", b - a }')
    # shellcheck disable=SC2086 # one pid a word
    backend=$(awk -v a="$backend_before" -v b="$(cpu_of $backends)" 'BEGIN { printf "%.3f", b - a }')
    took=$(grep -o 'took over at event .*after taking the lock[^"]*' "$tmp/fengqiaod.log") ||
        { log "no take-over line"; exit 1; }
    s=$(sed -E 's/.*serving ([0-9.]+) s after.*/\1/' <<<"$took")
    n=$(sed -E 's/.*, ([0-9]+) incidents re-read.*/\1/' <<<"$took")
    log "rep $rep: $took; CPU $cpu s, its PostgreSQL backends' $backend s"
    [ "$n" = "$touched" ] || { log "caught up $n incidents, not $touched"; exit 1; }
    takeovers+=("$s") cpus+=("$cpu") backends_cpu+=("$backend") loads+=("$load_cpu") caught+=("$n")
    kill -TERM "$server_pid"
    wait "$server_pid" || { log "fengqiaod did not stop cleanly"; exit 1; }
    server_pid=""
done

runs() { (IFS=,; echo "[$*]"); }
json takeover_s "$(med "${takeovers[@]}")" s "open_incidents=$open" "touched=$touched" "reps=$reps" \
    "runs=$(runs "${takeovers[@]}")" "note=\"the lock taken to bound and ready, wall clock\""
json takeover_cpu_s "$(med "${cpus[@]}")" s "open_incidents=$open" "touched=$touched" \
    "runs=$(runs "${cpus[@]}")"
json takeover_backend_cpu_s "$(med "${backends_cpu[@]}")" s "open_incidents=$open" "touched=$touched" \
    "runs=$(runs "${backends_cpu[@]}")"
json standby_load_cpu_s "$(med "${loads[@]}")" s "open_incidents=$open" "runs=$(runs "${loads[@]}")"
json caught_up "$(med "${caught[@]}")" incidents "touched=$touched"
