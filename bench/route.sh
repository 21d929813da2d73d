#!/usr/bin/env bash
# bench/run route: the routing core against a conventional SQL dispatch
# application, over a generated city.
# targets: fq-bench-route fq-bench-route-sql fq-bench-timers
#
# 1. fq-bench-route (bench/route_bench.c says exactly what is measured): the
#    default city (13 districts, ~200 towns, ~5,000 villages, ~50,000 grids
#    with polygons, ~100,000 workers) and a stream of generated incidents
#    (30 % with coordinates only), pinned to one CPU: decisions/s (route +
#    apply, each released 100,000 decisions later), ns per decision p50/p99,
#    grid lookups/s, escalations/s, bytes per worker and per open incident
#    (1 M open incidents, 4 deadlines and a dedup entry each). Medians of 5
#    repetitions.
# 2. fq-bench-route-sql (bench/route_sql_baseline.c): a private PostgreSQL,
#    the same city loaded into a normalised schema, and the same decisions
#    for the first incidents of the same stream taken with prepared SQL
#    queries, one round trip each, a transaction per decision with
#    synchronous_commit off; its decisions compared with the router's.
# 3. fq-bench-timers (as bench/run timers): fq_deadlines insert+cancel with
#    1 M pending against one libuv timer per deadline.
#
# Full: 2,000,000 incidents x 5 repetitions; 20,000 SQL decisions (after
# 1,000 warm-up); timers 200,000 pairs x 5 runs. FQ_BENCH_QUICK=1: 300,000
# incidents x 1; 3,000 SQL decisions (after 500); timers 200,000 pairs x 3.
# The city is full size in both (it builds in well under a second).
# Knobs: FQ_BENCH_INCIDENTS, FQ_BENCH_REPS, FQ_BENCH_SQL_INCIDENTS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
if [ "${FQ_BENCH_QUICK:-0}" = 1 ]; then
    incidents=${FQ_BENCH_INCIDENTS:-300000}
    reps=${FQ_BENCH_REPS:-1}
    sql_incidents=${FQ_BENCH_SQL_INCIDENTS:-3000}
    sql_warmup=500
    timer_args=(--pending 1000000 --pairs 200000 --runs 3) # a few seconds: the first run after the bulk load is slow (cold heap), so one short run would mislead
else
    incidents=${FQ_BENCH_INCIDENTS:-2000000}
    reps=${FQ_BENCH_REPS:-5}
    sql_incidents=${FQ_BENCH_SQL_INCIDENTS:-20000}
    sql_warmup=1000
    timer_args=(--pending 1000000 --pairs 200000 --runs 5)
fi

log() { echo "bench route: $*" >&2; }

tmp=$(mktemp -d /tmp/fq-bench-route.XXXXXX)
chmod 755 "$tmp" # the cluster runs as postgres and lives inside
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    tests/pg_private.sh stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "fq-bench-route: $incidents incidents, $reps repetitions"
"$B/bench/fq-bench-route" --incidents "$incidents" --reps "$reps" >"$tmp/core.jsonl"

log "starting a private PostgreSQL in $tmp/pg"
CI=$(tests/pg_private.sh start "$tmp/pg")
log "fq-bench-route-sql: $sql_incidents decisions after $sql_warmup"
"$B/bench/fq-bench-route-sql" --conninfo "$CI" --incidents "$sql_incidents" \
    --warmup "$sql_warmup" >"$tmp/sql.jsonl"
tests/pg_private.sh stop "$tmp/pg" >/dev/null 2>&1 || true

log "fq-bench-timers ${timer_args[*]}"
"$B/bench/fq-bench-timers" "${timer_args[@]}" >"$tmp/timers.jsonl"

python3 - "$tmp/core.jsonl" "$tmp/sql.jsonl" "$tmp/timers.jsonl" "${FQ_BENCH_QUICK:-0}" <<'PY'
import json, sys
rows = {}
for path in sys.argv[1:4]:
    for line in open(path):
        r = json.loads(line)
        rows[r["metric"]] = r
quick = sys.argv[4] == "1"

def out(metric, value, unit, baseline=None, ratio=None, **extra):
    o = {"bench": "route", "metric": metric, "value": value, "unit": unit}
    if baseline is not None:
        o["baseline"] = baseline
        o["ratio"] = ratio
    o.update(extra)
    print(json.dumps(o))
    return o

city = rows["city"]
for k in ("districts", "towns", "villages", "grids", "workers", "handlers"):
    out("city_" + k, city[k], k)
out("city_build_s", city["build_s"], "s")
mix = rows["decision_mix"]
out("stream_incidents", mix["incidents"], "incidents", coords_only=mix["coords_only"],
    village=mix["village"], town=mix["town"], district=mix["district"],
    climbed=mix["climbed"], no_handler=mix["no_handler"], nowhere=mix["nowhere"])

dec, sql = rows["decisions_per_s"], rows["sql_decisions_per_s"]
d = out("decisions_per_s", dec["value"], "decisions/s", sql["value"],
        round(dec["value"] / sql["value"], 1), runs=dec["runs"], hold=dec["hold"],
        baseline_is="prepared SQL per decision over a unix socket, PostgreSQL %s, "
                    "transaction per decision, synchronous_commit off" % sql["server"],
        baseline_decisions=sql["decisions"])
ns = rows["ns_per_decision"]
out("ns_per_decision_p50", ns["p50"], "ns", method="single, rdtscp, overhead subtracted",
    batch64=ns["batch64_p50"], timer_overhead_ns=ns["timer_overhead_ns"])
out("ns_per_decision_p99", ns["p99"], "ns", method="single, rdtscp, overhead subtracted",
    batch64=ns["batch64_p99"])
out("sql_us_per_decision_p50", sql["us_p50"], "us")
out("sql_us_per_decision_p99", sql["us_p99"], "us")
out("sql_agreement_tier_line", sql["agree_tier_line"], "share", place=sql["agree_place"],
    lead=sql["agree_lead"], co=sql["agree_co"])
out("sql_agreement_worker", sql["agree_worker"], "share", village_tier=sql["village_tier"])
g = rows["grid_lookups_per_s"]
out("grid_lookups_per_s", g["value"], "lookups/s", points=g["points"], polygons=g["polygons"],
    index_bytes=g["index_bytes"])
out("escalations_per_s", rows["escalations_per_s"]["value"], "escalations/s")
t = rows["timer_insert_cancel_ns"]
tm = out("timer_insert_cancel_ns", t["value"], "ns", t["baseline"], round(t["baseline"] / t["value"], 2),
         pending=t["pending"], baseline_is=t["baseline_is"])
w = rows["bytes_per_worker"]
out("bytes_per_worker", w["value"], "bytes", roster_bytes=w["roster_bytes"],
    router_bytes_per_unit=round(w["router_bytes"] / w["units"], 1))
o = rows["bytes_per_open_incident"]
out("bytes_per_open_incident", o["value"], "bytes", open_incidents=o["open_incidents"],
    caseload=o["caseload"], deadlines=o["deadlines"], dedup=o["dedup"], rss=o["rss"])
out("timer_bytes_per_deadline", rows["timer_memory_bytes_per_deadline"]["value"], "bytes",
    rows["timer_memory_bytes_per_deadline"]["baseline"],
    rows["timer_memory_bytes_per_deadline"]["ratio"])

verdict = [
    "%.2f M decisions/s on one core (target >= 5 M): %s"
    % (d["value"] / 1e6, "met" if d["value"] >= 5e6 else "MISSED"),
    "%.0fx the SQL baseline (target >= 100x): %s" % (d["ratio"], "met" if d["ratio"] >= 100 else "MISSED"),
    "timers %.1fx libuv (target >= 10x): %s" % (tm["ratio"], "met" if tm["ratio"] >= 10 else "MISSED"),
]
if quick:
    verdict.append("quick run: fewer incidents and repetitions")
print("bench route: " + "; ".join(verdict), file=sys.stderr)
PY
