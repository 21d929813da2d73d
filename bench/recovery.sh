#!/usr/bin/env bash
# bench/run recovery: how fast fengqiaod is back after a restart with many
# open incidents, how fast a recorded history replays, how fast the event
# chain verifies.
# targets: fengqiaod fengqiao-admin fq-bench-replay
#
# 1. A private PostgreSQL (fsync on), migrated, the West Lake topology
#    (examples/westlake-topology.json) imported, one town platform node.
#    N open incidents generated with SQL (INSERT ... SELECT generate_series):
#    assigned a third each at the village (a grid worker of the topology), town
#    (the town's line) and district tier, with coordinates, recorded in the
#    last 2 h, all four limits ahead (1 h to 1 day; nothing fires at start),
#    and each with its "reported" and "assigned" events (through the events
#    table's hash-chain trigger: that is most of the generation time).
# 2. start_to_ready_s: fengqiaod started, time until its --ready-file
#    appears: the directory load (one REPEATABLE READ transaction with all
#    FQ_SQL_LOAD_* queries, then the open incidents by binary COPY in its
#    exported snapshot, on two loader connections at 1 M, each with half of
#    the table's pages, in chunks taken in as they arrive) and the caseload,
#    deadlines and duplicate index rebuilt from it. R repetitions, median
#    (the cluster is warm after the generation). Target: <= 2 s at 1 M
#    (printed as baseline 2 and ratio 2 / ours). Beside it fengqiaod's
#    memory: peak_rss_kib, its VmHWM at ready (the most it was resident
#    during the load), and rss_after_ready_kib, its VmRSS once steady after
#    ready (unchanged within 1 % over 1 s, at most 10 s): what the load
#    leaves behind. server_cpu_to_ready_s: fengqiaod's own CPU time (user +
#    system) to ready, which the machine's other work does not stretch;
#    backend_cpu_to_ready_s: PostgreSQL's (its backends that ended before
#    ready, as the postmaster's children's time, and the client backends
#    still open at ready).
# 3. replay_incidents_per_s: fq-bench-replay (bench/replay_bench.c) over a
#    recorded history of the benchmark city. Target: >= 1 M/s.
# 4. verify_events_per_s: fengqiao-admin verify over the generated history.
#
# Full: N = 1,000,000, R = 3, replay 2 M incidents x 5. FQ_BENCH_QUICK=1:
# N = 200,000, R = 1, replay 500,000 x 1 (a JSON line says the run is quick).
# Knobs: FQ_BENCH_OPEN (N), FQ_BENCH_REPS (R), FQ_BENCH_NO_EVENTS=1 (generate
# the incidents only: recovery reads incidents only; verify is then skipped),
# FQ_BENCH_PG_SETTINGS (below).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    open=${FQ_BENCH_OPEN:-200000}
    reps=${FQ_BENCH_REPS:-1}
    replay_args=(--incidents 500000 --reps 1)
else
    open=${FQ_BENCH_OPEN:-1000000}
    reps=${FQ_BENCH_REPS:-3}
    replay_args=(--incidents 2000000 --reps 5)
fi
events=1
[ "${FQ_BENCH_NO_EVENTS:-0}" = 1 ] && events=0

log() { echo "bench recovery: $*" >&2; }
json() { # metric value unit [key=json-value ...]
    local out key val
    out=$(printf '{"bench":"recovery","metric":"%s","value":%s,"unit":"%s"' "$1" "$2" "$3")
    shift 3
    for kv in "$@"; do
        key=${kv%%=*}
        val=${kv#*=}
        out+=$(printf ',"%s":%s' "$key" "$val")
    done
    echo "$out}"
}

tmp=$(mktemp -d /tmp/fq-bench-recovery.XXXXXX)
chmod 755 "$tmp" # the cluster runs as postgres and lives inside
server_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$rc" != 0 ] && [ -f "$tmp/fengqiaod.log" ]; then
        log "failed (exit $rc); the last lines of fengqiaod's log:"
        tail -n 15 "$tmp/fengqiaod.log" >&2 || true
    fi
    tests/pg_private.sh stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

[ "$quick" = 1 ] && json quick_run 1 flag "open_incidents=$open" "note=\"quick: $open open incidents (the full run: 1,000,000), one repetition\""

# ---- 1. the database ----
log "starting a private PostgreSQL in $tmp/pg"
FQ_DB=$(tests/pg_private.sh start "$tmp/pg")
FQ_SERVER_KEY="$tmp/server.key"
export FQ_DB FQ_SERVER_KEY
admin() { "$B/server/fengqiao-admin" "$@"; }
admin server-key create "$FQ_SERVER_KEY" >/dev/null
# FQ_BENCH_PG_SETTINGS="name=value ..." (investigation only): ALTER SYSTEM
# and reload before anything runs, e.g. "jit=off".
for setting in ${FQ_BENCH_PG_SETTINGS:-}; do
    psql -X -q -d "$FQ_DB" -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >&2
done
if [ -n "${FQ_BENCH_PG_SETTINGS:-}" ]; then
    psql -X -q -A -t -d "$FQ_DB" -c "SELECT pg_reload_conf()" >/dev/null
    log "PostgreSQL settings: $FQ_BENCH_PG_SETTINGS"
fi
admin migrate >/dev/null
admin import-topology examples/westlake-topology.json >/dev/null
admin node add beishan-platform --role town_platform --jurisdiction beishan >/dev/null 2>&1
psql_q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$FQ_DB" "$@"; }

log "generating $open open incidents"
t0=$(now_ns)
psql_q -v first=1 -v n="$open" -f bench/open_incidents.sql
incidents_s=$(seconds_since "$t0")
log "incidents in $incidents_s s"
events_s=null
if [ "$events" = 1 ]; then
    t0=$(now_ns)
    # The server owns the chain (docs/write-path.md): the generated events
    # get their seqs and hashes here as it would give them (fq_event_hash),
    # written 10,000 at a time, and the head is advanced once.
    psql_q <<'SQL'
DO $$
DECLARE
    r record;
    head_seq bigint;
    head_hash bytea;
    s bigint;
    h bytea;
    seqs bigint[] := '{}';
    incs bigint[] := '{}';
    kinds text[] := '{}';
    actors text[] := '{}';
    ats timestamptz[] := '{}';
    reasons text[] := '{}';
    payloads bytea[] := '{}';
    prevs bytea[] := '{}';
    hashes bytea[] := '{}';
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM event_chain_head WHERE id FOR UPDATE;
    s := head_seq;
    h := head_hash;
    FOR r IN SELECT * FROM (
                 SELECT 1 AS part, id, 'reported' AS kind, reporter_node AS actor, recorded_at AS at,
                        '' AS reason, sha512(int8send(id)) || sha512(body_digest) AS payload
                 FROM incidents
                 UNION ALL
                 SELECT 2, id, 'assigned', NULL, recorded_at, 'by rule 1 of set 1: generated',
                        sha256(int8send(id))
                 FROM incidents) e
             ORDER BY part, id LOOP
        s := s + 1;
        seqs := seqs || s;
        incs := incs || r.id;
        kinds := kinds || r.kind;
        actors := actors || r.actor;
        ats := ats || r.at;
        reasons := reasons || r.reason;
        payloads := payloads || r.payload;
        prevs := prevs || h;
        h := fq_event_hash(h, s, r.id, r.kind, r.actor, r.at, r.reason, r.payload);
        hashes := hashes || h;
        IF cardinality(seqs) >= 10000 THEN
            INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload, prev_hash, hash)
            SELECT * FROM unnest(seqs, incs, kinds, actors, ats, reasons, payloads, prevs, hashes);
            seqs := '{}'; incs := '{}'; kinds := '{}'; actors := '{}'; ats := '{}';
            reasons := '{}'; payloads := '{}'; prevs := '{}'; hashes := '{}';
        END IF;
    END LOOP;
    INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload, prev_hash, hash)
    SELECT * FROM unnest(seqs, incs, kinds, actors, ats, reasons, payloads, prevs, hashes);
    IF s > head_seq THEN
        PERFORM fq_chain_advance(head_seq, head_hash, s, h);
    END IF;
END $$;
SQL
    events_s=$(seconds_since "$t0")
    log "events ($((2 * open))) in $events_s s"
fi
psql_q -c "VACUUM ANALYZE" >/dev/null
json generate_s "$(awk -v a="$incidents_s" -v b="${events_s/null/0}" 'BEGIN { printf "%.1f", a + b }')" s \
    "open_incidents=$open" "incidents_s=$incidents_s" "events_s=$events_s" "events=$((events * 2 * open))"

# ---- 2. start to ready ----
samples=()
hwms=()
cpus=()
bcpus=()
rsss=()
postmaster=$(head -n 1 "$tmp/pg/data/postmaster.pid")
children_cpu() { awk '{ print $16 + $17 }' "/proc/$postmaster/stat"; }
for ((rep = 1; rep <= reps; rep++)); do
    port=$(free_port)
    ready="$tmp/ready.$rep"
    t0=$(now_ns)
    c0=$(children_cpu)
    "$B/server/fengqiaod" --db "$FQ_DB" --server-key "$FQ_SERVER_KEY" --intake "tcp://127.0.0.1:$port" \
        --terminals "tcp://127.0.0.1:$(free_port)" --ready-file "$ready" --stats-interval 0 2>"$tmp/fengqiaod.log" &
    server_pid=$!
    until [ -s "$ready" ]; do
        kill -0 "$server_pid" 2>/dev/null || { log "fengqiaod exited during start"; exit 1; }
        sleep 0.002
    done
    s=$(seconds_since "$t0")
    loaded=$(sed -n 's/.*; \([0-9]*\) open incidents\(;.*\)\{0,1\}$/\1/p' "$tmp/fengqiaod.log" | tail -n 1)
    vm() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
    hwm=$(vm VmHWM)
    # fengqiaod's own CPU time to ready (user + system): on a shared machine
    # the wall clock measures the neighbours too.
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat")
    # PostgreSQL's: the loader's backend has ended by ready (the
    # postmaster's children's time), the store's are still open.
    ticks=$(($(children_cpu) - c0))
    for b in $(psql_q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'
                             AND pid <> pg_backend_pid()"); do
        ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$b/stat" 2>/dev/null || echo 0)))
    done
    bcpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
    # Steady: VmRSS within 1 % of its value 1 s before (at most 10 s).
    seen=("$(vm VmRSS)")
    for i in $(seq 20); do
        sleep 0.5
        seen+=("$(vm VmRSS)")
        a=${seen[i - 2]:-0} b=${seen[i]}
        [ "$i" -ge 2 ] && [ $((100 * (b > a ? b - a : a - b))) -le "$a" ] && break
    done
    rss=${seen[-1]}
    kill -TERM "$server_pid"
    wait "$server_pid" || { log "fengqiaod did not stop cleanly"; exit 1; }
    server_pid=""
    [ "$loaded" = "$open" ] || { log "fengqiaod loaded '$loaded' open incidents, not $open"; exit 1; }
    log "start to ready: $s s (repetition $rep; peak RSS $((hwm / 1024)) MiB, $((rss / 1024)) MiB once steady; CPU fengqiaod $cpu s, PostgreSQL $bcpu s)"
    samples+=("$s")
    hwms+=("$hwm")
    cpus+=("$cpu")
    bcpus+=("$bcpu")
    rsss+=("$rss")
done
median=$(printf '%s\n' "${samples[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
json start_to_ready_s "$median" s "baseline=2" "ratio=$(awk -v s="$median" 'BEGIN { printf "%.3f", 2 / s }')" \
    "open_incidents=$open" "reps=$reps" "runs=[$(
        IFS=,
        echo "${samples[*]}"
    )]"
json peak_rss_kib "$(med "${hwms[@]}")" KiB "open_incidents=$open" "phase=\"start to ready\""
json server_cpu_to_ready_s "$(med "${cpus[@]}")" s "open_incidents=$open"
json backend_cpu_to_ready_s "$(med "${bcpus[@]}")" s "open_incidents=$open"
json rss_after_ready_kib "$(med "${rsss[@]}")" KiB "open_incidents=$open"

# ---- 3. replay ----
if [ -x "$B/bench/fq-bench-replay" ]; then
    log "fq-bench-replay ${replay_args[*]}"
    r=$("$B/bench/fq-bench-replay" "${replay_args[@]}")
    json replay_incidents_per_s "$(jq .incidents_per_s <<<"$r")" incidents/s \
        "incidents=$(jq .incidents <<<"$r")" "reps=$(jq .reps <<<"$r")" \
        "ns_per_incident=$(jq .ns_per_incident <<<"$r")" "target=1000000"
else
    json replay_incidents_per_s null incidents/s "available=false" "note=\"fq-bench-replay is not built\""
fi

# ---- 4. verify ----
if [ "$events" = 1 ] && admin verify --help >/dev/null 2>&1; then
    log "fengqiao-admin verify"
    out=$(admin verify)
    log "$out"
    rate=$(sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p' <<<"$out" | head -n 1)
    count=$(sed -n 's/^verified \([0-9]*\) event.*/\1/p' <<<"$out" | head -n 1)
    json verify_events_per_s "${rate:-null}" events/s "events=${count:-null}"
else
    json verify_events_per_s null events/s "available=false" \
        "note=\"$([ "$events" = 1 ] && echo "fengqiao-admin has no verify command" || echo "no events generated")\""
fi

awk -v s="$median" -v n="$open" 'BEGIN {
    printf "bench recovery: start to ready %.2f s with %d open incidents (target <= 2 s at 1 M): %s\n",
        s, n, (n >= 1000000 ? (s <= 2 ? "met" : "MISSED") : "quick run, not comparable") > "/dev/stderr" }'
