#!/usr/bin/env bash
# bench/run intake: durable intake throughput and report->ack latency of
# fengqiaod, against the hardware's ceiling and floor measured in the same run
# on the same cluster.
# targets: fengqiaod fengqiao-admin fq-bench-intake-load fq-bench-pg-ceiling fq-bench-nn-ceiling fq-console
#
# 1. A private PostgreSQL (fsync and synchronous_commit on), migrated, the
#    westlake topology, one district platform node, and fengqiaod on a free
#    port (--dedup-distance-m 20). The load is a district's surge of routed
#    reports (docs/write-path.md "Measuring it"): every grid, every category,
#    distinct generated text, incident times over the last six days;
#    merged_share (with assigned_share, unroutable_share) says what the
#    stored reports became.
# 2. Peak: K=64 reporters (REQ sockets, one report in flight each) over P=4
#    processes in a closed loop pushing real signed reports as fast as acks
#    allow, T s after a 1 s warm-up: durable_reports_per_s. Group commit can
#    only batch what is outstanding (at most K);
#    FQ_BENCH_CLIENTS=16 FQ_BENCH_PROCS=2 measures a smaller K. With the CPU
#    each process spent a report (cpu_us_per_report_{server,postgres,load}
#    _at_peak): on 2 cores their sum bounds the rate.
# 3. Latency at 1,000 reports/s: a paced open loop (the same 64 sockets; each
#    report's latency runs from its scheduled send time to its ack, queueing
#    counted): ack_latency_*_at_1000_per_s, in W windows of T s interleaved
#    with the floor's (4.: floor, ours, floor, ours, ...), so that both meet
#    the same moments of the shared machine and one fsync stall decides one
#    window, not a side; each side's figure is the median of its windows
#    (the p99 lines say `windows`, `min` and `max`). The same load again with a district
#    console reading without pause beside it (statistics by worker over a
#    year, the whole board), against the load alone: reads have their own
#    connection, so nothing waits on them, but on a 2-core machine a CPU-bound
#    read takes the CPU the write backend needs. Each read is cut off after
#    FQ_BENCH_READ_TIMEOUT_S (120 s; console_reads_timed_out_beside_*), and
#    after the load the whole board is read once alone:
#    console_board_read_s (rows, open_incidents, fengqiaod's server_cpu_s).
#    Full runs also measure half the median peak (ack_latency_*_at_half_load,
#    beside the bare transport at that load); FQ_BENCH_HALF_LOAD=0|1 says.
# 4. What ours is measured against, on the same cluster in the same run:
#    - ceiling_pg_copy_reports_per_s, the baseline of durable_reports_per_s
#      (target ratio >= 0.5): fq-bench-pg-ceiling, binary COPY on one
#      connection of one row per report holding its envelope bytes (the mean
#      size of the frames the load sent) and its ids (node, message id,
#      incident id) under a primary key on (node, message id) - the least any
#      durable design with idempotency writes. 1,000 rows per COPY, one commit
#      each: a surge of tens of thousands of reports/s gathers that many in the
#      ~20 ms a commit group takes, and at that size the WAL flush is ~1-2 us a
#      row, so the number is what the bytes cost, not how often the disk
#      syncs (a batch of 64, the most our K sockets can have outstanding,
#      would measure the fsync instead). One connection, as fengqiaod writes
#      on one.
#    - floor_ack_p99_us, the baseline of ack_latency_p99_at_1000_per_s (target
#      ratio floor/ours >= 0.33): the same paced open loop at 1,000/s, same
#      frames, against fq-bench-nn-ceiling server --commit (bench/lib.sh
#      bench_floor_*): a raw REP server that INSERTs one such row and COMMITs it
#      durably, each request in its own transaction on a connection of its
#      own, before it replies. A round trip plus a one-row durable commit: no
#      durable server acknowledges faster. Started once, measured in the
#      windows of 3. (bench/lib.sh bench_floor_*).
#    - the transport alone: the same paced load against the raw REP server
#      that answers at once (nn_round_trip_*_at_1000_per_s, and the half
#      load's baseline), and raw REQ/REP round trips in a closed loop with the
#      measured frame sizes and K clients (ceiling_nn_*), with the CPU both
#      sides spent a round trip (ceiling_nn_cpu_us_per_round_trip).
#    Earlier versions printed a "ceiling" that was fengqiaod's own insert
#    statement run alone through libpq pipeline mode; it measured our design,
#    not the hardware, and its ratio hid the gap to COPY. It is gone.
# 5. Durability: the incidents stored must be at least the acks counted.
#
# Full: T=10 s, 3 repetitions, 9 latency windows, medians (the machine is
# shared and noisy: a single run can be off by tens of percent).
# FQ_BENCH_QUICK=1: T=3 s, one repetition, 5 latency windows, no half load.
# Knobs for investigation: FQ_BENCH_SECONDS, FQ_BENCH_REPS, FQ_BENCH_CLIENTS,
# FQ_BENCH_PROCS, FQ_BENCH_WINDOWS, FQ_BENCH_FENGQIAOD_ARGS (extra fengqiaod flags, after the
# bench's own, e.g. "--batches-in-flight 4" or "--dedup-distance-m 200"), FQ_BENCH_SKIP_CEILINGS=1 (no ceiling, floor or
# transport runs), FQ_BENCH_PG_SETTINGS, FQ_BENCH_WAL_WARM_MB (bench/lib.sh bench_recycled_wal:
# 512, full 1024; 0: a fresh cluster that creates each WAL segment), FQ_BENCH_RATE (the paced rate,
# 1000), FQ_BENCH_HALF_LOAD, FQ_BENCH_COPY_BATCH (1000), FQ_BENCH_COPY_ROWS,
# FQ_BENCH_CONSOLE_READS ("report board"), FQ_BENCH_CONSOLE_READERS (1), FQ_BENCH_PG_CPU_DETAIL=1
# (logs each PostgreSQL process's share of a core in every paced window),
# FQ_BENCH_RESEND_SHARE (0: that share of every load's requests resend a
# report already acknowledged, byte for byte, and must be answered as its
# first copy was: intake_load.c --resend-share; docs/write-path.md
# "Resends in a batch").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    seconds=${FQ_BENCH_SECONDS:-3}
    reps=${FQ_BENCH_REPS:-1}
    windows=${FQ_BENCH_WINDOWS:-5}
else
    seconds=${FQ_BENCH_SECONDS:-10}
    reps=${FQ_BENCH_REPS:-3}
    windows=${FQ_BENCH_WINDOWS:-9}
fi
clients=${FQ_BENCH_CLIENTS:-64}
procs=${FQ_BENCH_PROCS:-4}
warmup=1
read -r -a extra_args <<<"${FQ_BENCH_FENGQIAOD_ARGS:-}"

log() { echo "bench intake: [${SECONDS}s] $*" >&2; }

. bench/lib.sh
bench_workdir intake # the nn echo server below runs as $client_pid

now() { date +%s.%N; }


postgres_pids() {
    local pm
    pm=$(head -n 1 "$tmp/pg/data/postmaster.pid")
    echo "$pm"
    ps -o pid= --ppid "$pm" | tr -d ' '
}

# FQ_BENCH_PG_CPU_DETAIL=1 (investigation): each PostgreSQL process's CPU
# ticks and title, to log where a window's PostgreSQL CPU went.
pg_cpu_snapshot() {
    local pid names
    # Client backends by their application_name and last statement.
    names=$(psql "$CI" -qAtF ' ' -c "SELECT pid, coalesce(nullif(application_name, ''), '-'),
        left(regexp_replace(query, '\\s+', ' ', 'g'), 40) FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
    local ticks
    for pid in $(postgres_pids); do
        ticks=$(ticks_of "$pid")
        [ -n "$ticks" ] || continue
        printf '%s %s %s %s\n' "$pid" "$ticks" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" \
            "$(awk -v p="$pid" '$1 == p { $1 = ""; print }' <<<"$names")"
    done
}
pg_cpu_detail_log() { # BEFORE AFTER SECONDS
    awk -v wall="$3" -v hz="$(getconf CLK_TCK)" 'NR == FNR { t[$1] = $2; next }
        { d = $2 - ($1 in t ? t[$1] : 0); $2 = ""; if (d > 0) printf "  %.3f cores %s\n", d / hz / wall, $0 }' \
        "$1" "$2" | sort -rn | head -n 12 | while read -r line; do log "pg cpu: $line"; done
}

# The last statistics line of fengqiaod as "accepted batches largest".
server_stats() {
    local line
    line=$(grep 'comp=stats msg="requests' "$tmp/fengqiaod.log" | tail -n 1 || true)
    if [ -z "$line" ]; then
        echo "0 0 0"
        return
    fi
    echo "$line" | sed -E 's/.* accepted ([0-9]+) .*\| batches ([0-9]+) largest ([0-9]+) .*/\1 \2 \3/'
}

# ---- 1. database and server ----

bench_database
# FQ_BENCH_PG_SETTINGS="name=value ..." (investigation only): ALTER SYSTEM
# and reload before anything runs, e.g. "wal_init_zero=off".
for setting in ${FQ_BENCH_PG_SETTINGS:-}; do
    psql "$CI" -qc "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >&2
done
if [ -n "${FQ_BENCH_PG_SETTINGS:-}" ]; then
    psql "$CI" -qAtc "SELECT pg_reload_conf()" >/dev/null
    log "PostgreSQL settings: $FQ_BENCH_PG_SETTINGS"
fi
admin import-topology examples/westlake-topology.json
# The load reports as the district platform (the 12345 hotline): its jurisdiction is the district,
# so it may report in every grid (bench/intake_load.c "spread load").
"$B/server/fengqiao-admin" node add bench-platform --role district_platform \
    --jurisdiction xihu --key-out "$tmp/node.key" >/dev/null 2>&1
# What the load spreads its reports over: the grids' polygons and the
# categories the server loads, as the database holds them after the import.
psql "$CI" -qAtF $'\t' -c "SELECT g.grid, u.name, array_to_string(g.ring, ' ')
    FROM grid_polygons g JOIN org_units u ON u.id = g.grid ORDER BY g.grid" >"$tmp/grids.tsv"
psql "$CI" -qAtF $'\t' -c "SELECT code, name FROM categories ORDER BY code" >"$tmp/categories.tsv"
log "load spread over $(wc -l <"$tmp/grids.tsv") grids and $(wc -l <"$tmp/categories.tsv") categories"
# A district console whose reads run beside the paced load (docs/console.md:
# reads have their own connection; intake's latency should not notice them).
"$B/server/fengqiao-admin" node add bench-console --role console --jurisdiction xihu \
    --key-out "$tmp/console.key" >/dev/null 2>&1

port=$(free_port)
url="tcp://127.0.0.1:$port"
# The terminals' endpoint on a free port too: its default (7412) may be taken.
turl="tcp://127.0.0.1:$(free_port)"
bench_recycled_wal $((quick == 1 ? 512 : 1024))
log "starting fengqiaod on $url ${extra_args[*]:-}"
# Duplicates within 20 m (default 200 m): see docs/write-path.md "Measuring
# it" - at the default the district's 15 km^2 would be covered within a few
# thousand reports and nearly every later one merged, not routed.
bench_start_fengqiaod --intake "$url" --terminals "$turl" --stats-interval 1 \
    --dedup-distance-m 20 "${extra_args[@]}"

load=("$B/bench/fq-bench-intake-load")
common=(--node bench-platform --key-file "$tmp/node.key" --grids "$tmp/grids.tsv"
    --categories "$tmp/categories.tsv"
    --clients "$clients" --procs "$procs" --seconds "$seconds" --warmup "$warmup")
# Resends go to fengqiaod only: the floor and the echo server take fresh reports.
resend=(--resend-share "${FQ_BENCH_RESEND_SHARE:-0}")
results="$tmp/results.jsonl"
: >"$results"

# ---- 2. peak: closed loop ----

for rep in $(seq "$reps"); do
    read -r acc0 bat0 _ <<<"$(server_stats)"
    mapfile -t pg_pids < <(postgres_pids)
    c_srv0=$(cpu_of "$server_pid")
    c_pg0=$(cpu_of "${pg_pids[@]}")
    t0=$(now)
    "${load[@]}" closed --url "$url" "${common[@]}" "${resend[@]}" >"$tmp/closed.json"
    t1=$(now)
    c_srv1=$(cpu_of "$server_pid")
    c_pg1=$(cpu_of "${pg_pids[@]}")
    sleep 1.3 # one more statistics line, after the last ack
    read -r acc1 bat1 largest <<<"$(server_stats)"
    python3 - "$tmp/closed.json" "$rep" "$t0" "$t1" "$c_srv0" "$c_srv1" "$c_pg0" "$c_pg1" \
        "$acc0" "$acc1" "$bat0" "$bat1" "$largest" >>"$results" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
rep, t0, t1, s0, s1, p0, p1 = sys.argv[2], *map(float, sys.argv[3:9])
a0, a1, b0, b1, largest = map(int, sys.argv[9:14])
wall = t1 - t0
# CPU per report: over the whole run (warm-up and drain too), so per every
# report acknowledged in it (acked_total, and the resends answered).
answered = r["acked_total"] + r.get("resends_acked", 0)
per = lambda cpu_s: cpu_s / answered * 1e6 if answered else 0
r.update(kind="closed", rep=int(rep), wall_s=wall,
         cpu_server=(s1 - s0) / wall, cpu_postgres=(p1 - p0) / wall, cpu_load=r["cpu_s"] / wall,
         us_server=per(s1 - s0), us_postgres=per(p1 - p0), us_load=per(r["cpu_s"]),
         avg_batch=(a1 - a0) / (b1 - b0) if b1 > b0 else 0, largest_batch=largest)
print(json.dumps(r))
PY
    tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("bench intake: closed #%d: %.0f acks/s, p50 %.0f us, p99 %.0f us; avg batch %.1f (largest %d);"
      " CPU cores: fengqiaod %.2f, postgres %.2f, load %.2f; CPU us a report: fengqiaod %.0f,"
      " postgres %.0f, load %.0f"
      % (r["rep"], r["rate"], r["p50_us"], r["p99_us"], r["avg_batch"], r["largest_batch"],
         r["cpu_server"], r["cpu_postgres"], r["cpu_load"], r["us_server"], r["us_postgres"],
         r["us_load"]))' >&2
done

read -r peak natural req_bytes rep_bytes <<<"$(python3 - "$results" <<'PY'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if '"closed"' in l]
print(statistics.median(r["rate"] for r in rs),
      max(1, round(statistics.median(r["avg_batch"] for r in rs))),
      round(statistics.median(r["request_bytes_mean"] for r in rs)),
      round(statistics.median(r["reply_bytes_mean"] for r in rs)))
PY
)"
half=$(python3 -c "print(round($peak / 2, 1))")
log "peak $peak reports/s (median); half load $half/s; group commit formed batches of ~$natural;" \
    "frames: request $req_bytes B, reply $rep_bytes B"

# ---- 3. latency at 1,000/s (and half load), 4. ceiling and floor ----

# One paced open loop against fengqiaod at RATE, as KIND, with CPU use.
run_open() {
    local kind=$1 rate=$2 rep=$3
    mapfile -t pg_pids < <(postgres_pids)
    c_srv0=$(cpu_of "$server_pid")
    c_pg0=$(cpu_of "${pg_pids[@]}")
    [ "${FQ_BENCH_PG_CPU_DETAIL:-0}" = 0 ] || pg_cpu_snapshot >"$tmp/pgcpu0"
    t0=$(now)
    "${load[@]}" open --url "$url" "${common[@]}" "${resend[@]}" --rate "$rate" >"$tmp/open.json"
    t1=$(now)
    if [ "${FQ_BENCH_PG_CPU_DETAIL:-0}" != 0 ]; then
        pg_cpu_snapshot >"$tmp/pgcpu1"
        pg_cpu_detail_log "$tmp/pgcpu0" "$tmp/pgcpu1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
        log "server: $(grep 'comp=stats msg="requests' "$tmp/fengqiaod.log" | tail -n 1 | sed 's/.*msg="//')"
    fi
    c_srv1=$(cpu_of "$server_pid")
    c_pg1=$(cpu_of "${pg_pids[@]}")
    python3 - "$tmp/open.json" "$kind" "$rep" "$t0" "$t1" "$c_srv0" "$c_srv1" "$c_pg0" "$c_pg1" \
        >>"$results" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
kind, rep, t0, t1, s0, s1, p0, p1 = sys.argv[2], sys.argv[3], *map(float, sys.argv[4:10])
wall = t1 - t0
r.update(kind=kind, rep=int(rep), cpu_server=(s1 - s0) / wall,
         cpu_postgres=(p1 - p0) / wall, cpu_load=r["cpu_s"] / wall)
print(json.dumps(r))
PY
    log "$kind #$rep at $rate/s: $(tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("achieved %.0f/s, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us%s"
      % (r["ack_rate"], r["p50_us"], r["p99_us"], r["p999_us"], r["max_us"],
         " (saturated: %d unsent)" % r["unsent"] if r["unsent"] else ""))')"
}

# The transport alone at RATE: the same load generator and frames against a
# raw REP server that answers at once.
run_echo() {
    local kind=$1 rate=$2 rep=$3 eport
    eport=$(free_port)
    "$B/bench/fq-bench-nn-ceiling" server --url "tcp://127.0.0.1:$eport" \
        --reply-bytes "$rep_bytes" 2>"$tmp/echo.log" &
    client_pid=$!
    sleep 0.2
    "${load[@]}" open --url "tcp://127.0.0.1:$eport" "${common[@]}" --rate "$rate" --echo 1 \
        >"$tmp/echo.json"
    kill "$client_pid"
    wait "$client_pid" || { log "nn echo server failed"; exit 1; }
    client_pid=""
    tag "$tmp/echo.json" "$kind" "$rep" "$kind (the transport alone) at $rate/s"
}

# tag FILE KIND REP [WHAT]: FILE's JSON line with kind and rep, appended to the
# results; with WHAT, a line on stderr with its percentiles (one python start:
# on a busy machine each takes a second).
tag() {
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline()); r.update(kind=sys.argv[2], rep=int(sys.argv[3]))
print(json.dumps(r))
if len(sys.argv) > 4:
    said = ["%.0f %s" % (r[k], u) for k, u in (("rows_per_s", "rows/s"),
            ("round_trips_per_s", "round trips/s")) if k in r]
    said += ["%s %.0f us" % (q, r[k]) for q, k in (("p50", "p50_us"), ("p99", "p99_us"),
             ("p99.9", "p999_us")) if k in r]
    print("bench intake: %s #%s: %s" % (sys.argv[4], sys.argv[3], ", ".join(said)), file=sys.stderr)
' "$@" >>"$results"
}

rate=${FQ_BENCH_RATE:-1000}
read_timeout=${FQ_BENCH_READ_TIMEOUT_S:-120}
half_load=${FQ_BENCH_HALF_LOAD:-$((1 - quick))}
copy_batch=${FQ_BENCH_COPY_BATCH:-1000}
copy_rows=${FQ_BENCH_COPY_ROWS:-$((30000 * seconds))}

# Latency at RATE in W windows interleaved with the floor's (floor, ours,
# floor, ours, ...): both meet the same moments of the shared machine, and
# one fsync stall decides one window of one side, not a side. The floor
# server is started once and kept for every window.
[ "${FQ_BENCH_SKIP_CEILINGS:-0}" = 1 ] || bench_floor_start "$rep_bytes"
for w in $(seq "$windows"); do
    if [ -n "$floor_pid" ]; then
        bench_floor_window "$tmp/floor.json" "${common[@]}" --rate "$rate"
        tag "$tmp/floor.json" floor "$w" "floor (round trip + one-row durable commit) at $rate/s"
    fi
    run_open open_rate "$rate" "$w"
done
[ -z "$floor_pid" ] || bench_floor_stop

for rep in $(seq "$reps"); do

    # The same load while consoles read without pause (one, or
    # FQ_BENCH_CONSOLE_READERS; each a fresh fq-console per read): the year's
    # statistics by worker and the whole board, page by page
    # (FQ_BENCH_CONSOLE_READS="report board" chooses which). Each read is
    # bounded (FQ_BENCH_READ_TIMEOUT_S, 120 s): a read that does not end
    # must not hold the benchmark (a whole board of 116,000 open incidents
    # once had not ended after 8 minutes); one cut off is counted
    # (console_reads_timed_out) and said, not waited for.
    : >"$tmp/reads"
    : >"$tmp/reads_timed_out"
    readers=()
    for ((r = 0; r < ${FQ_BENCH_CONSOLE_READERS:-1}; r++)); do
        (
            year_ago=$(($(date +%s%3N) - 366 * 86400 * 1000 + 86400 * 1000))
            con=("$B/clients/fq-console" --node bench-console --key-file "$tmp/console.key"
                --url "$turl" --timeout-ms 30000)
            # (and not past the run: a failure's cleanup removes $tmp)
            while [ -d "$tmp" ] && [ ! -e "$tmp/readers.stop" ]; do
                for kind in ${FQ_BENCH_CONSOLE_READS:-report board}; do
                    rc=0
                    case $kind in
                    report) timeout "$read_timeout" "${con[@]}" report --from "$year_ago" --to now --by worker ;;
                    board) timeout "$read_timeout" "${con[@]}" board --once ;;
                    esac >/dev/null 2>&1 || rc=$?
                    if [ "$rc" = 0 ]; then
                        echo "$kind" >>"$tmp/reads"
                    elif [ "$rc" = 124 ]; then
                        echo "$kind" >>"$tmp/reads_timed_out"
                        log "a console read ($kind) did not end within $read_timeout s: cut off"
                    fi
                done
            done
        ) &
        readers+=("$!")
    done
    "${load[@]}" open --url "$url" "${common[@]}" "${resend[@]}" --rate "$rate" >"$tmp/open_reads.json"
    touch "$tmp/readers.stop"
    wait "${readers[@]}" || true
    rm -f "$tmp/readers.stop"
    reads=$(wc -l <"$tmp/reads")
    timed_out=$(wc -l <"$tmp/reads_timed_out")
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
r.update(kind="open_rate_reads", rep=int(sys.argv[2]), console_reads=int(sys.argv[3]),
         console_reads_timed_out=int(sys.argv[4]))
print(json.dumps(r))' "$tmp/open_reads.json" "$rep" "$reads" "$timed_out" >>"$results"
    log "open #$rep at $rate/s with $reads console reads beside it: $(tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("achieved %.0f/s, p50 %.0f us, p99 %.0f us" % (r["ack_rate"], r["p50_us"], r["p99_us"]))')"

    if [ "$half_load" = 1 ]; then
        run_open open_half "$half" "$rep"
    fi

    if [ "${FQ_BENCH_SKIP_CEILINGS:-0}" = 1 ]; then continue; fi

    run_echo echo_rate "$rate" "$rep"
    if [ "$half_load" = 1 ]; then
        run_echo echo_half "$half" "$rep"
    fi

    "$B/bench/fq-bench-pg-ceiling" --conninfo "$CI" --rows "$copy_rows" --batch "$copy_batch" \
        --envelope-bytes "$req_bytes" >"$tmp/copy.json"
    tag "$tmp/copy.json" copy "$rep" "pg COPY ceiling ($copy_batch rows a commit, $req_bytes B envelopes)"

    nport=$(free_port)
    # With the CPU both its sides spent (server and clients, their processes
    # waited for): what the transport alone costs a round trip.
    python3 - "$tmp/nn.json" "$tmp/nn.log" "$B/bench/fq-bench-nn-ceiling" both \
        --url "tcp://127.0.0.1:$nport" --reply-bytes "$rep_bytes" --clients "$clients" \
        --procs "$procs" --request-bytes "$req_bytes" --seconds "$seconds" <<'PY'
import json, re, resource, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    rc = subprocess.call(sys.argv[3:], stdout=out, stderr=err)
if rc != 0:
    sys.exit(rc)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
r = json.loads(open(sys.argv[1]).readline())
# The server counts every request of the run, warm-up included.
m = re.search(r"answered (\d+)", open(sys.argv[2]).read())
if m and int(m.group(1)) > 0:
    r["cpu_us_per_round_trip"] = (ru.ru_utime + ru.ru_stime) / int(m.group(1)) * 1e6
open(sys.argv[1], "w").write(json.dumps(r) + "\n")
PY
    tag "$tmp/nn.json" nn "$rep" "nn ceiling (closed loop, $clients clients)"
done

# ---- the whole board, alone ----
# One `fq-console board --once` after the load (the district's open incidents
# as the run left them, ~116,000 in a full run): its time and fengqiaod's
# CPU for it. Bounded as the reads beside the load.
if [[ " ${FQ_BENCH_CONSOLE_READS:-report board} " == *" board "* ]]; then
    open_now=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
    cpu0=$(cpu_of "$server_pid")
    t0=$(date +%s%N)
    rc=0
    timeout "$read_timeout" "$B/clients/fq-console" --node bench-console --key-file "$tmp/console.key" \
        --url "$turl" --timeout-ms 30000 board --once >"$tmp/board.txt" 2>"$tmp/board.err" || rc=$?
    wall=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    cpu1=$(cpu_of "$server_pid")
    rows_read=$(($(wc -l <"$tmp/board.txt") - 1))
    [ "$rows_read" -ge 0 ] || rows_read=0
    log "the whole board alone: $rows_read rows of $open_now open in $wall s (rc $rc), fengqiaod CPU $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }') s"
    python3 -c '
import json, sys
print(json.dumps({"kind": "board", "rep": 1, "wall_s": float(sys.argv[1]), "rows": int(sys.argv[2]),
                  "open": int(sys.argv[3]), "server_cpu_s": round(float(sys.argv[5]) - float(sys.argv[4]), 3),
                  "timed_out": sys.argv[6] == "124"}))' "$wall" "$rows_read" "$open_now" "$cpu0" "$cpu1" "$rc" >>"$results"
fi

# ---- 5. durability ----

kill "$server_pid"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""
[ "$server_rc" = 0 ] || { log "fengqiaod exited with $server_rc"; exit 1; }
log "fengqiaod: $(grep 'comp=stats msg="requests' "$tmp/fengqiaod.log" | tail -n 1 | sed 's/.*msg="//')"
stored=$(psql "$CI" -qAtc "SELECT count(*) FROM incidents WHERE reporter_node = 'bench-platform'")
# What the stored reports became: the share merged as duplicates (a few per
# cent is realistic; most should be routed), assigned and unroutable.
read -r merged_share assigned_share unroutable_share <<<"$(psql "$CI" -qAtF ' ' -c "
    SELECT round(avg((state = 'merged')::int), 4), round(avg((state = 'assigned')::int), 4),
           round(avg((state = 'unroutable')::int), 4)
    FROM incidents WHERE reporter_node = 'bench-platform'")"
log "stored reports: merged $merged_share, assigned $assigned_share, unroutable $unroutable_share"
acked=$(python3 - "$results" <<'PY'
import json, sys
print(sum(json.loads(l)["acked_total"] for l in open(sys.argv[1])
          if json.loads(l)["kind"] in ("closed", "open_rate", "open_rate_reads", "open_half")))
PY
)
if [ "$stored" -lt "$acked" ]; then
    log "DURABILITY FAILURE: $acked reports acknowledged, only $stored incidents stored"
    exit 1
fi
log "durability: $acked reports acknowledged, $stored incidents stored"

# ---- results ----

python3 - "$results" "$stored" "$acked" "$copy_batch" "$merged_share" "$assigned_share" \
    "$unroutable_share" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
stored, acked, copy_batch = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
merged_share, assigned_share, unroutable_share = map(float, sys.argv[5:8])
have = lambda kind: any(r["kind"] == kind for r in rows)
med = lambda kind, key: statistics.median(r[key] for r in rows if r["kind"] == kind)

# ratio: how many times better ours is: ours / baseline for throughput,
# baseline / ours for time.
def out(metric, value, unit, baseline=None, time_like=False, **extra):
    o = {"bench": "intake", "metric": metric, "value": round(value, 2), "unit": unit}
    if baseline is not None:
        o["baseline"] = round(baseline, 2)
        o["ratio"] = round((baseline / value) if time_like else (value / baseline), 3) if value else None
    o.update(extra)
    print(json.dumps(o))
    return o

# A paced run the server could not keep up with: reports of its window were
# never sent, or waited 4.29 s or more (the samples' limit). Its latencies
# are then lower bounds, and its lines say so.
def saturated(*kinds):
    if any(r.get("unsent", 0) or r.get("clamped", 0) for r in rows if r["kind"] in kinds):
        return {"saturated": True, "note": "the server did not keep up with the rate: lower bounds"}
    return {}

verdict = []
rate = med("open_rate", "target_rate")
at = "at_%d_per_s" % round(rate)
if have("copy"):
    copy = out("ceiling_pg_copy_reports_per_s", med("copy", "rows_per_s"), "reports/s",
               batch=copy_batch, envelope_bytes=round(med("copy", "envelope_bytes")))
    d = out("durable_reports_per_s", med("closed", "rate"), "reports/s", copy["value"])
    verdict.append("durable intake %.1f%% of binary COPY (target >= 50%%): %s"
                   % (100 * d["ratio"], "met" if d["ratio"] >= 0.5 else "MISSED"))
else:
    out("durable_reports_per_s", med("closed", "rate"), "reports/s")
if have("nn"):
    out("ceiling_nn_round_trips_per_s", med("nn", "round_trips_per_s"), "round_trips/s")
    out("ceiling_nn_round_trip_p50_closed_loop", med("nn", "p50_us"), "us")
    out("ceiling_nn_round_trip_p99_closed_loop", med("nn", "p99_us"), "us")
    if all("cpu_us_per_round_trip" in r for r in rows if r["kind"] == "nn"):
        # Both sides of the bare transport: no report can cost less.
        out("ceiling_nn_cpu_us_per_round_trip", med("nn", "cpu_us_per_round_trip"), "us")
out("ack_latency_p50_at_peak", med("closed", "p50_us"), "us")
out("ack_latency_p99_at_peak", med("closed", "p99_us"), "us")

out("offered_" + at, rate, "reports/s")
out("achieved_" + at, med("open_rate", "ack_rate"), "reports/s", **saturated("open_rate"))
# The windows' spread beside a median of windows (interleaved: floor, ours, ...).
def spread(kind, key):
    v = [r[key] for r in rows if r["kind"] == kind]
    return {"windows": len(v), "min": round(min(v), 2), "max": round(max(v), 2)}
floor = {}
if have("floor"):
    floor = {q: med("floor", q + "_us") for q in ("p50", "p99", "p999")}
    out("floor_ack_p50_us", floor["p50"], "us", **saturated("floor"))
    out("floor_ack_p99_us", floor["p99"], "us", **spread("floor", "p99_us"), **saturated("floor"))
if have("echo_rate"):
    out("nn_round_trip_p50_" + at, med("echo_rate", "p50_us"), "us")
    out("nn_round_trip_p99_" + at, med("echo_rate", "p99_us"), "us")
for q in ("p50", "p99", "p999"):
    o = out("ack_latency_%s_%s" % (q, at), med("open_rate", q + "_us"), "us", floor.get(q),
            time_like=True, **(spread("open_rate", "p99_us") if q == "p99" else {}),
            **saturated("open_rate"))
    if q == "p99" and floor:
        f = spread("floor", "p99_us")
        verdict.append("ack p99 at %d/s %s%.0f us (median of %d windows, %.0f-%.0f), %.2f x the"
                       " floor's %.0f us (%.0f-%.0f) (target <= 3 x): %s"
                       % (rate, ">= " if o.get("saturated") else "", o["value"], o["windows"],
                          o["min"], o["max"], o["value"] / floor["p99"], floor["p99"], f["min"],
                          f["max"], "met" if o["ratio"] >= 1 / 3 else "MISSED"))
out("ack_latency_max_" + at, med("open_rate", "max_us"), "us", **saturated("open_rate"))
# Console reads beside the same load: their own connection, so the baseline
# is the load without them, measured in the same run.
if have("open_rate_reads"):
    for q in ("p50", "p99"):
        out("ack_latency_%s_%s_with_console_reads" % (q, at), med("open_rate_reads", q + "_us"),
            "us", med("open_rate", q + "_us"), time_like=True,
            **saturated("open_rate", "open_rate_reads"))
    out("console_reads_beside_" + at, med("open_rate_reads", "console_reads"), "reads")
    # Reads cut off at FQ_BENCH_READ_TIMEOUT_S (all repetitions): 0 unless a
    # read stalled; such a read is in neither count above.
    out("console_reads_timed_out_beside_" + at,
        sum(r.get("console_reads_timed_out", 0) for r in rows if r["kind"] == "open_rate_reads"),
        "reads")
if have("board"):
    # The whole board read once, alone, at the end (every open incident of
    # the district, page by page, as `fq-console board --once`).
    b = [r for r in rows if r["kind"] == "board"][0]
    out("console_board_read_s", b["wall_s"], "s", rows=b["rows"], open_incidents=b["open"],
        server_cpu_s=b["server_cpu_s"], timed_out=b["timed_out"])
if have("open_half"):
    out("half_load_offered", med("open_half", "target_rate"), "reports/s")
    out("half_load_achieved", med("open_half", "ack_rate"), "reports/s")
    for q in ("p50", "p99", "p999"):
        out("ack_latency_%s_at_half_load" % q, med("open_half", q + "_us"), "us",
            med("echo_half", q + "_us") if have("echo_half") else None, time_like=True,
            **saturated("open_half"))
    out("ack_latency_max_at_half_load", med("open_half", "max_us"), "us")
out("avg_batch_at_peak", med("closed", "avg_batch"), "reports/batch")
out("largest_batch", max(r["largest_batch"] for r in rows if r["kind"] == "closed"), "reports/batch")
for who in ("server", "postgres", "load"):
    out("cpu_%s_at_peak" % who, med("closed", "cpu_" + who), "cores")
    # What a report costs each process (docs/write-path.md "Where the time
    # goes"): on 2 cores, 2 s / their sum bounds the rate whatever the disk.
    out("cpu_us_per_report_%s_at_peak" % who, med("closed", "us_" + who), "us")
    out("cpu_%s_%s" % (who, at), med("open_rate", "cpu_" + who), "cores")
    if have("open_half"):
        out("cpu_%s_at_half_load" % who, med("open_half", "cpu_" + who), "cores")
out("request_frame_bytes", med("closed", "request_bytes_mean"), "bytes")
out("reply_frame_bytes", med("closed", "reply_bytes_mean"), "bytes")
out("incidents_stored_vs_acked", stored, "incidents", acked)
# What was measured: routed reports, not merges (shares of the stored reports).
out("merged_share", 100 * merged_share, "%")
out("assigned_share", 100 * assigned_share, "%")
out("unroutable_share", 100 * unroutable_share, "%")
if verdict:
    print("bench intake: " + "; ".join(verdict), file=sys.stderr)
PY
