#!/usr/bin/env bash
# bench/run intake: durable intake throughput and report->ack latency of
# fengqiaod, against the two ceilings measured in the same run.
# targets: fengqiaod fengqiao-admin fq-bench-intake-load fq-bench-pg-ceiling fq-bench-nn-ceiling fq-console
#
# 1. A private PostgreSQL (fsync and synchronous_commit on), migrated, one
#    town platform node, and fengqiaod on a free port.
# 2. Peak: K=64 reporters (REQ sockets, one report in flight each) over P=4
#    processes in a closed loop pushing real signed reports as fast as acks
#    allow, T s after a 1 s warm-up. Group commit can only batch what is
#    outstanding: with K=16 the batches average 8 and the rate is ~75 % of
#    the pipeline ceiling at batch 16, ~64 % of its best (batch 64);
#    FQ_BENCH_CLIENTS=16 FQ_BENCH_PROCS=2 measures that.
# 3. Latency: a paced open loop at 50 % of the median peak; latency from each
#    report's scheduled send time to its ack (queueing counted).
# 4. Ceilings: the server's own insert statement through libpq pipeline mode
#    on the same cluster (at the batch size group commit formed during the
#    peak, at 16 and at 64), and raw nanomsg REQ/raw-REP round trips with the
#    measured frame sizes and K clients; the same paced open loop against the
#    raw REP server gives the transport's latency at the same load.
#    Then the same paced load again with a district console reading without
#    pause beside it (statistics by worker over a year, the whole board):
#    ack_latency_*_at_half_load_with_console_reads against the load alone.
#    Reads have their own connection, so nothing waits on them; on a 2-core
#    machine a CPU-bound read still takes the CPU the write backend needs.
# 5. Durability: the incidents stored must be at least the acks counted.
#
# Full: T=10 s, 3 repetitions, medians. FQ_BENCH_QUICK=1: T=3 s, one.
# Knobs for investigation: FQ_BENCH_SECONDS, FQ_BENCH_REPS, FQ_BENCH_CLIENTS,
# FQ_BENCH_PROCS, FQ_BENCH_FENGQIAOD_ARGS (extra fengqiaod flags, e.g.
# "--batches-in-flight 4"), FQ_BENCH_SKIP_CEILINGS=1, FQ_BENCH_PG_SETTINGS,
# FQ_BENCH_CONSOLE_READS ("report board"), FQ_BENCH_CONSOLE_READERS (1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    seconds=${FQ_BENCH_SECONDS:-3}
    reps=${FQ_BENCH_REPS:-1}
else
    seconds=${FQ_BENCH_SECONDS:-10}
    reps=${FQ_BENCH_REPS:-3}
fi
clients=${FQ_BENCH_CLIENTS:-64}
procs=${FQ_BENCH_PROCS:-4}
warmup=1
read -r -a extra_args <<<"${FQ_BENCH_FENGQIAOD_ARGS:-}"

log() { echo "bench intake: $*" >&2; }

. bench/lib.sh
bench_workdir intake # the nn echo server below runs as $client_pid

# jget FILE KEY: a field of the (one-line) JSON object in FILE.
jget() {
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"
}

now() { date +%s.%N; }

# CPU seconds (user+system) of the given pids, summed.
cpu_of() {
    local ticks=0 pid f
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        f=$(sed 's/^.*) //' "/proc/$pid/stat")
        # after the command: state is field 1, utime 12, stime 13
        ticks=$((ticks + $(echo "$f" | awk '{print $12 + $13}')))
    done
    python3 -c "print($ticks / $(getconf CLK_TCK))"
}

postgres_pids() {
    local pm
    pm=$(head -n 1 "$tmp/pg/data/postmaster.pid")
    echo "$pm"
    ps -o pid= --ppid "$pm" | tr -d ' '
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
"$B/server/fengqiao-admin" node add lingyin-platform --role town_platform \
    --jurisdiction lingyin --key-out "$tmp/node.key" >/dev/null 2>&1
# The database ceiling writes as another node, so the durability check can
# count the server's incidents alone.
"$B/server/fengqiao-admin" node add bench-ceiling --role town_platform \
    --jurisdiction lingyin >/dev/null 2>&1
# A district console whose reads run beside the half load (docs/console.md:
# reads have their own connection; intake's latency should not notice them).
"$B/server/fengqiao-admin" node add bench-console --role console --jurisdiction xihu \
    --key-out "$tmp/console.key" >/dev/null 2>&1

port=$(free_port)
url="tcp://127.0.0.1:$port"
# The terminals' endpoint on a free port too: its default (7412) may be taken.
turl="tcp://127.0.0.1:$(free_port)"
log "starting fengqiaod on $url ${extra_args[*]:-}"
bench_start_fengqiaod --intake "$url" --terminals "$turl" --stats-interval 1 "${extra_args[@]}"

load=("$B/bench/fq-bench-intake-load")
common=(--node lingyin-platform --key-file "$tmp/node.key" --place lingyin-yuquan-g1
    --clients "$clients" --procs "$procs" --seconds "$seconds" --warmup "$warmup")
results="$tmp/results.jsonl"
: >"$results"

# ---- 2. peak: closed loop ----

for rep in $(seq "$reps"); do
    read -r acc0 bat0 _ <<<"$(server_stats)"
    mapfile -t pg_pids < <(postgres_pids)
    c_srv0=$(cpu_of "$server_pid")
    c_pg0=$(cpu_of "${pg_pids[@]}")
    t0=$(now)
    "${load[@]}" closed --url "$url" "${common[@]}" >"$tmp/closed.json"
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
r.update(kind="closed", rep=int(rep), wall_s=wall,
         cpu_server=(s1 - s0) / wall, cpu_postgres=(p1 - p0) / wall, cpu_load=r["cpu_s"] / wall,
         avg_batch=(a1 - a0) / (b1 - b0) if b1 > b0 else 0, largest_batch=largest)
print(json.dumps(r))
PY
    tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("bench intake: closed #%d: %.0f acks/s, p50 %.0f us, p99 %.0f us; avg batch %.1f (largest %d);"
      " CPU cores: fengqiaod %.2f, postgres %.2f, load %.2f"
      % (r["rep"], r["rate"], r["p50_us"], r["p99_us"], r["avg_batch"], r["largest_batch"],
         r["cpu_server"], r["cpu_postgres"], r["cpu_load"]))' >&2
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

# ---- 3. latency at half load, 4. ceilings ----

batches=("$natural")
for b in 16 64; do
    if [ "$b" != "$natural" ]; then batches+=("$b"); fi
done
rows=$(python3 -c "print(max(5000, int($peak * 1.3 * $seconds)))")

for rep in $(seq "$reps"); do
    mapfile -t pg_pids < <(postgres_pids)
    c_srv0=$(cpu_of "$server_pid")
    c_pg0=$(cpu_of "${pg_pids[@]}")
    t0=$(now)
    "${load[@]}" open --url "$url" "${common[@]}" --rate "$half" >"$tmp/open.json"
    t1=$(now)
    c_srv1=$(cpu_of "$server_pid")
    c_pg1=$(cpu_of "${pg_pids[@]}")
    python3 - "$tmp/open.json" "$rep" "$t0" "$t1" "$c_srv0" "$c_srv1" "$c_pg0" "$c_pg1" \
        >>"$results" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
rep, t0, t1, s0, s1, p0, p1 = sys.argv[2], *map(float, sys.argv[3:9])
wall = t1 - t0
r.update(kind="open", rep=int(rep), cpu_server=(s1 - s0) / wall,
         cpu_postgres=(p1 - p0) / wall, cpu_load=r["cpu_s"] / wall)
print(json.dumps(r))
PY
    log "open #$rep at $half/s: $(tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("achieved %.0f/s, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us"
      % (r["rate"], r["p50_us"], r["p99_us"], r["p999_us"], r["max_us"]))')"

    # The same half load while consoles read without pause (one, or
    # FQ_BENCH_CONSOLE_READERS; each a fresh fq-console per read): the year's
    # statistics by worker and the whole board, page by page
    # (FQ_BENCH_CONSOLE_READS="report board" chooses which).
    : >"$tmp/reads"
    readers=()
    for ((r = 0; r < ${FQ_BENCH_CONSOLE_READERS:-1}; r++)); do
        (
            year_ago=$(($(date +%s%3N) - 366 * 86400 * 1000 + 86400 * 1000))
            con=("$B/clients/fq-console" --node bench-console --key-file "$tmp/console.key"
                --url "$turl" --timeout-ms 30000)
            while [ ! -e "$tmp/readers.stop" ]; do
                for kind in ${FQ_BENCH_CONSOLE_READS:-report board}; do
                    case $kind in
                    report) "${con[@]}" report --from "$year_ago" --to now --by worker ;;
                    board) "${con[@]}" board --once ;;
                    esac >/dev/null 2>&1 && echo "$kind" >>"$tmp/reads"
                done
            done
        ) &
        readers+=("$!")
    done
    "${load[@]}" open --url "$url" "${common[@]}" --rate "$half" >"$tmp/open_reads.json"
    touch "$tmp/readers.stop"
    wait "${readers[@]}" || true
    rm -f "$tmp/readers.stop"
    reads=$(wc -l <"$tmp/reads")
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
r.update(kind="open_reads", rep=int(sys.argv[2]), console_reads=int(sys.argv[3]))
print(json.dumps(r))' "$tmp/open_reads.json" "$rep" "$reads" >>"$results"
    log "open #$rep at $half/s with $reads console reads beside it: $(tail -n 1 "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("achieved %.0f/s, p50 %.0f us, p99 %.0f us" % (r["rate"], r["p50_us"], r["p99_us"]))')"

    if [ "${FQ_BENCH_SKIP_CEILINGS:-0}" = 1 ]; then continue; fi

    # The transport alone at the same paced load: the same load generator
    # and frames against a raw REP server that answers at once.
    eport=$(free_port)
    "$B/bench/fq-bench-nn-ceiling" server --url "tcp://127.0.0.1:$eport" \
        --reply-bytes "$rep_bytes" 2>"$tmp/echo.log" &
    client_pid=$!
    sleep 0.2
    "${load[@]}" open --url "tcp://127.0.0.1:$eport" "${common[@]}" --rate "$half" --echo 1 \
        >"$tmp/echo.json"
    kill "$client_pid"
    wait "$client_pid" || { log "nn echo server failed"; exit 1; }
    client_pid=""
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline()); r.update(kind="echo", rep=int(sys.argv[2]))
print(json.dumps(r))' "$tmp/echo.json" "$rep" >>"$results"
    log "nn echo #$rep at $half/s: p50 $(jget "$tmp/echo.json" p50_us) us," \
        "p99 $(jget "$tmp/echo.json" p99_us) us, p99.9 $(jget "$tmp/echo.json" p999_us) us"

    for b in "${batches[@]}"; do
        "$B/bench/fq-bench-pg-ceiling" --conninfo "$CI" --rows "$rows" --batch "$b" \
            --node bench-ceiling --place lingyin-yuquan-g1 >"$tmp/pg.json"
        python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
r.update(kind="pg", rep=int(sys.argv[2]), batch=int(sys.argv[3])); print(json.dumps(r))' \
            "$tmp/pg.json" "$rep" "$b" >>"$results"
        log "pg ceiling #$rep batch $b: $(jget "$tmp/pg.json" rows_per_s) rows/s"
    done

    nport=$(free_port)
    "$B/bench/fq-bench-nn-ceiling" both --url "tcp://127.0.0.1:$nport" --reply-bytes "$rep_bytes" \
        --clients "$clients" --procs "$procs" --request-bytes "$req_bytes" --seconds "$seconds" \
        2>"$tmp/nn.log" >"$tmp/nn.json"
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline()); r.update(kind="nn", rep=int(sys.argv[2]))
print(json.dumps(r))' "$tmp/nn.json" "$rep" >>"$results"
    log "nn ceiling #$rep: $(jget "$tmp/nn.json" round_trips_per_s) round trips/s," \
        "p50 $(jget "$tmp/nn.json" p50_us) us, p99 $(jget "$tmp/nn.json" p99_us) us"
done

# ---- 5. durability ----

kill "$server_pid"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""
[ "$server_rc" = 0 ] || { log "fengqiaod exited with $server_rc"; exit 1; }
log "fengqiaod: $(grep 'comp=stats msg="requests' "$tmp/fengqiaod.log" | tail -n 1 | sed 's/.*msg="//')"
stored=$(psql "$CI" -qAtc "SELECT count(*) FROM incidents WHERE reporter_node = 'lingyin-platform'")
acked=$(python3 - "$results" <<'PY'
import json, sys
print(sum(json.loads(l)["acked_total"] for l in open(sys.argv[1])
          if json.loads(l)["kind"] in ("closed", "open", "open_reads")))
PY
)
if [ "$stored" -lt "$acked" ]; then
    log "DURABILITY FAILURE: $acked reports acknowledged, only $stored incidents stored"
    exit 1
fi
log "durability: $acked reports acknowledged, $stored incidents stored"

# ---- results ----

python3 - "$results" "$stored" "$acked" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
stored, acked = int(sys.argv[2]), int(sys.argv[3])
med = lambda kind, key, **f: statistics.median(
    r[key] for r in rows if r["kind"] == kind and all(r.get(k) == v for k, v in f.items()))
have = lambda kind: any(r["kind"] == kind for r in rows)

def out(metric, value, unit, baseline=None, time_like=False):
    o = {"bench": "intake", "metric": metric, "value": round(value, 2), "unit": unit}
    if baseline is not None:
        o["baseline"] = round(baseline, 2)
        o["ratio"] = round((baseline / value) if time_like else (value / baseline), 3) if value else None
    print(json.dumps(o))
    return o

ours = med("closed", "rate")
closed_batch = med("closed", "avg_batch")
if have("pg"):
    batches = sorted({r["batch"] for r in rows if r["kind"] == "pg"})
    pg = {b: med("pg", "rows_per_s", batch=b) for b in batches}
    natural = [r["batch"] for r in rows if r["kind"] == "pg"][0]
    pg_best = max(pg.values())
    nn = med("nn", "round_trips_per_s")
    lower = min(pg_best, nn)
    d = out("durable_reports_per_s", ours, "reports/s", lower)
    out("durable_reports_per_s_vs_pg_at_formed_batch", ours, "reports/s", pg[natural])
    out("ceiling_pg_pipeline_rows_per_s", pg_best, "rows/s")
    for b in batches:
        out("ceiling_pg_pipeline_rows_per_s_batch_%d" % b, pg[b], "rows/s")
    out("ceiling_nn_round_trips_per_s", nn, "round_trips/s")
    out("ceiling_nn_round_trip_p50_closed_loop", med("nn", "p50_us"), "us")
    out("ceiling_nn_round_trip_p99_closed_loop", med("nn", "p99_us"), "us")
else:
    out("durable_reports_per_s", ours, "reports/s")
out("ack_latency_p50_at_peak", med("closed", "p50_us"), "us")
out("ack_latency_p99_at_peak", med("closed", "p99_us"), "us")
out("half_load_offered", med("open", "target_rate"), "reports/s")
out("half_load_achieved", med("open", "rate"), "reports/s")
lat = {}
for q, key in (("p50", "p50_us"), ("p99", "p99_us"), ("p999", "p999_us")):
    lat[q] = out("ack_latency_%s_at_half_load" % q, med("open", key), "us",
                 med("echo", key) if have("echo") else None, time_like=True)
out("ack_latency_max_at_half_load", med("open", "max_us"), "us")
# Console reads beside the half load: their own connection, so the baseline
# is the same load without them, measured in the same run.
if have("open_reads"):
    out("ack_latency_p50_at_half_load_with_console_reads", med("open_reads", "p50_us"), "us",
        med("open", "p50_us"), time_like=True)
    out("ack_latency_p99_at_half_load_with_console_reads", med("open_reads", "p99_us"), "us",
        med("open", "p99_us"), time_like=True)
    out("console_reads_beside_half_load", med("open_reads", "console_reads"), "reads")
out("avg_batch_at_peak", closed_batch, "reports/batch")
out("largest_batch", max(r["largest_batch"] for r in rows if r["kind"] == "closed"), "reports/batch")
for who in ("server", "postgres", "load"):
    out("cpu_%s_at_peak" % who, med("closed", "cpu_" + who), "cores")
    out("cpu_%s_at_half_load" % who, med("open", "cpu_" + who), "cores")
out("request_frame_bytes", med("closed", "request_bytes_mean"), "bytes")
out("reply_frame_bytes", med("closed", "reply_bytes_mean"), "bytes")
out("incidents_stored_vs_acked", stored, "incidents", acked)

verdict = []
if have("pg"):
    verdict.append("durable intake %.0f%% of the lower ceiling (target >= 70%%): %s"
                   % (100 * d["ratio"], "met" if d["ratio"] >= 0.7 else "MISSED"))
verdict.append("p99 at half load %.0f us (target <= 1000 us): %s"
               % (lat["p99"]["value"], "met" if lat["p99"]["value"] <= 1000 else "MISSED"))
print("bench intake: " + "; ".join(verdict), file=sys.stderr)
PY
