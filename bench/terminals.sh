#!/usr/bin/env bash
# bench/run terminals: N field terminals long-polling fengqiaod's terminal
# endpoint at once, the server memory they cost, and report->assignment-visible
# latency at 1,000 reports/s, against 3 x the floor of an acknowledgement + 1 ms
# measured in the same run.
# targets: fengqiaod fengqiao-admin fq-bench-terminals fq-bench-nn-ceiling fq-bench-intake-load
#
# World: one town `town` with N/100 villages v<j>, N/10 grids g<i> (10 a
# village), N workers w<i> (10 a grid, capacity 1000) and N terminal nodes
# t<i> serving w<i> (keys sealed by fq-bench-terminals keys, loaded with
# COPY: `fengqiao-admin node add` per terminal would take minutes). No rule
# set: the built-in principle keeps severity IV / low risk in the village,
# so every report goes to a worker of its grid, i.e. to a terminal. Reports
# carry points >= 1 km apart and fengqiaod runs with --dedup-window-min 0, so
# none is merged as a duplicate.
# 1. fengqiaod (--stats-interval 1) starts; the intake peak of this world is
#    measured (64 closed-loop reporters for a few seconds, every report
#    writing its outbox items): intake_peak. RSS (VmRSS) measured before any
#    terminal connects.
# 2. N terminals (P = N/500 processes) sync {after_seq, wait_ms 25000} and
#    sync again as soon as a reply arrives. Held = the server's own
#    `terminals: ... held H` statistics line once it reaches N (or stops
#    rising); RSS again; (after - before) / N per terminal.
# 3. Latency at 1,000 reports/s, in W windows of T s interleaved with the
#    floor's (floor, ours, floor, ours, ...), so that both meet the same
#    moments of a shared machine and one fsync stall decides one window, not
#    a whole side: the floor's window is the floor of an acknowledgement
#    (bench/lib.sh bench_floor_*, the one bench/run intake uses: a paced open
#    loop of real signed reports against a raw REP server that commits one
#    row durably on a connection of its own before it replies, started once
#    and kept for every window); ours is a paced reporter (town platform, 64
#    sockets) sending R = 1,000 reports/s (the issue's operating point, not a
#    fraction of the peak) over all grids, title "bench <CLOCK_REALTIME us>";
#    each terminal records receipt time minus that for every
#    ITEM_ASSIGNMENT. floor_ack_p99_us and
#    assignment_latency_p99_at_1000_per_s are the medians of the windows'
#    p99s (with `windows`, `min`, `max`); the latter's baseline is 3 x the
#    former + 1 ms (target: ratio >= 1). Then fq-bench-nn-ceiling: raw
#    REQ/raw-REP round trips (1 client), the transport beside the p50.
# 4. The trace of the slowest 1 % (FQ_BENCH_TRACE=0: none): fengqiaod runs
#    with --trace-reports (each report's times at each stage, by message id),
#    joined with the reporter's acks and the terminals' receipts by title;
#    "slowest_1pct_stages" says where the reports whose assignment arrived
#    last spent their time, beside every report's medians
#    (docs/write-path.md, "Tracing a report").
# Full: N=10000, W=9 windows of T=6 s. FQ_BENCH_QUICK=1: N=1000, W=5 windows
# of T=3 s.
# Knobs: FQ_BENCH_TERMINALS, FQ_BENCH_RATE (1000), FQ_BENCH_SECONDS,
# FQ_BENCH_WINDOWS, FQ_BENCH_TRACE (1), FQ_BENCH_FENGQIAOD_ARGS (extra
# fengqiaod flags, after the bench's own, e.g. "--batches-in-flight 1").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
rate=${FQ_BENCH_RATE:-1000}
if [ "$quick" = 1 ]; then
    N=${FQ_BENCH_TERMINALS:-1000}
    seconds=${FQ_BENCH_SECONDS:-3}
    peak_seconds=3
    windows=${FQ_BENCH_WINDOWS:-5}
else
    N=${FQ_BENCH_TERMINALS:-10000}
    seconds=${FQ_BENCH_SECONDS:-6}
    peak_seconds=6
    windows=${FQ_BENCH_WINDOWS:-9}
fi
trace=${FQ_BENCH_TRACE:-1}
[ $((N % 100)) = 0 ] || { echo "bench terminals: N must be a multiple of 100" >&2; exit 2; }
procs=$(((N + 499) / 500))
grids=$((N / 10))

log() { echo "bench terminals: $*" >&2; }

. bench/lib.sh
bench_workdir terminals
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
held_now() {
    grep 'comp=terminals msg="syncs' "$tmp/fengqiaod.log" | tail -n 1 | sed -E 's/.* held ([0-9]+) .*/\1/' || true
}

# ---- world ----

bench_database
log "world: $((N / 100)) villages, $grids grids, $N workers, $N terminals"
bench_grid_world "$N"
"$B/bench/fq-bench-terminals" keys --server-key "$FQ_SERVER_KEY" --count "$N" \
    --keys-out "$tmp/terminal.keys" >"$tmp/nodes.tsv"
psql -X -q -v ON_ERROR_STOP=1 -d "$CI" \
    -c "\\copy nodes (id, role, jurisdiction, key_sealed, serves_worker) FROM '$tmp/nodes.tsv'" >&2
"$B/server/fengqiao-admin" node add reporter --role town_platform --jurisdiction town \
    --key-out "$tmp/reporter.key" >/dev/null 2>&1

port=$(free_port)
tport=$(free_port)
[ "$tport" != "$port" ] || tport=$(free_port)
url="tcp://127.0.0.1:$port"
turl="tcp://127.0.0.1:$tport"
bench_recycled_wal $((quick == 1 ? 512 : 1024))
log "starting fengqiaod: intake $url, terminals $turl"
trace_args=()
[ "$trace" = 0 ] || trace_args=(--trace-reports "$tmp/trace")
read -r -a extra_args <<<"${FQ_BENCH_FENGQIAOD_ARGS:-}"
bench_start_fengqiaod --intake "$url" --terminals "$turl" --stats-interval 1 --dedup-window-min 0 \
    "${trace_args[@]}" "${extra_args[@]}"
grep -i 'open files\|nofile' "$tmp/fengqiaod.log" | head -n 1 | sed 's/^/bench terminals: /' >&2 || true

# ---- the intake peak (this world, outbox items included) ----
"$B/bench/fq-bench-terminals" report --url "$url" --node reporter --key-file "$tmp/reporter.key" \
    --grids "$grids" --rate 1000000 --seconds "$peak_seconds" --clients 64 >"$tmp/peak.json"
peak=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["rate"])' "$tmp/peak.json")
log "intake peak: $peak reports/s ($(cat "$tmp/peak.json"))"
log "paced rate: $rate reports/s"
sleep 1.2
rss0=$(rss_kib)

# ---- hold ----

# Until the stop file: the limit only ends terminals left behind.
"$B/bench/fq-bench-terminals" hold --url "$turl" --keys "$tmp/terminal.keys" --count "$N" \
    --procs "$procs" --seconds 3600 --stop-file "$tmp/stop" --receipts "$tmp/receipts" \
    >"$tmp/hold.json" 2>"$tmp/hold.log" &
client_pid=$!
t_conn0=$(date +%s.%N)
held=0
prev=-1
stable=0
for _ in $(seq 600); do
    sleep 0.5
    kill -0 "$client_pid" 2>/dev/null || { log "terminals exited early"; cat "$tmp/hold.log" >&2; exit 1; }
    held=$(held_now)
    held=${held:-0}
    [ "$held" -ge "$N" ] && break
    if [ "$held" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    prev=$held
    [ "$stable" -lt 20 ] || break # 10 s without change
done
sleep 1.1
held=$(held_now)
t_conn=$(python3 -c "print(round($(date +%s.%N) - $t_conn0, 1))")
rss1=$(rss_kib)
log "held $held of $N terminals after ${t_conn}s; fengqiaod RSS ${rss0} KiB -> ${rss1} KiB"
log "$(grep 'comp=terminals msg="syncs' "$tmp/fengqiaod.log" | tail -n 1 | sed 's/.*comp=//')"

# ---- windows: floor, reports, floor, reports, ...; the nn ceiling ----

# The floor's replies are as long as an intake ack (bench/run intake measures
# reply_frame_bytes: 196).
floor_reply_bytes=196

results="$tmp/results.jsonl"
: >"$results"
# tag FILE KIND WINDOW: FILE's JSON line with its kind and window, appended
# to the results.
tag() {
    python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); r.update(kind=sys.argv[2], window=int(sys.argv[3])); print(json.dumps(r))' \
        "$@" >>"$results"
}
bench_floor_start "$floor_reply_bytes"
for w in $(seq "$windows"); do
    bench_floor_window "$tmp/floor.json" --node reporter --key-file "$tmp/reporter.key" \
        --place g0 --clients 64 --procs 4 --seconds "$seconds" --warmup 1 --rate "$rate"
    tag "$tmp/floor.json" floor "$w"
    log "floor #$w (round trip + one-row durable commit): $(cat "$tmp/floor.json")"
    kill -0 "$client_pid" 2>/dev/null || { log "terminals exited early"; cat "$tmp/hold.log" >&2; exit 1; }
    "$B/bench/fq-bench-terminals" report --url "$url" --node reporter --key-file "$tmp/reporter.key" \
        --grids "$grids" --rate "$rate" --seconds "$seconds" --clients 64 --acks "$tmp/acks.$w" \
        >"$tmp/report.json"
    tag "$tmp/report.json" report "$w"
    log "reports #$w: $(cat "$tmp/report.json")"
done
bench_floor_stop
nport=$(free_port)
"$B/bench/fq-bench-nn-ceiling" both --url "tcp://127.0.0.1:$nport" --reply-bytes 300 \
    --clients 1 --procs 1 --request-bytes 300 --seconds 2 2>"$tmp/nn.log" >"$tmp/nn.json"
tag "$tmp/nn.json" nn 1
log "nn ceiling: $(cat "$tmp/nn.json")"
sleep 1
kill -0 "$client_pid" 2>/dev/null || { log "terminals exited early"; cat "$tmp/hold.log" >&2; exit 1; }
touch "$tmp/stop"
hold_rc=0
wait "$client_pid" || hold_rc=$?
client_pid=""
cat "$tmp/hold.log" >&2
[ "$hold_rc" = 0 ] || log "terminals exited with $hold_rc"
log "terminals: $(cat "$tmp/hold.json")"
log "$(grep 'comp=terminals msg="syncs' "$tmp/fengqiaod.log" | tail -n 1 | sed 's/.*comp=//')"
log "incidents by state: $(q "SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM incidents GROUP BY state) s")"
log "assigned to $(q "SELECT count(DISTINCT worker) FROM incidents WHERE worker IS NOT NULL") workers; outbox items: $(q "SELECT count(*) FROM outbox")"
# fengqiaod stops here so that its trace is complete.
kill "$server_pid"
wait "$server_pid" || log "fengqiaod exited with $?"
server_pid=""

python3 - "$results" "$tmp/hold.json" "$N" "$held" "$rss0" "$rss1" "$rate" "$peak" "$tmp" "$windows" <<'PY'
import bisect, glob, json, math, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
hold = json.loads(open(sys.argv[2]).readline())
n, held, rss0, rss1, rate = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
peak, tmp, windows = float(sys.argv[8]), sys.argv[9], int(sys.argv[10])
def out(metric, value, unit, baseline=None, lower_is_better=False, **extra):
    # ratio: how many times better ours is — ours / baseline for counts,
    # baseline / ours for time and memory.
    o = {"bench": "terminals", "metric": metric, "value": round(value, 3), "unit": unit}
    if baseline is not None:
        o["baseline"] = round(baseline, 3)
        if lower_is_better:
            o["ratio"] = round(baseline / value, 4) if value else None
        else:
            o["ratio"] = round(value / baseline, 3) if baseline else None
    o.update(extra)
    print(json.dumps(o))
    return o
def pct(sorted_v, permille):  # as bench/benchutil.c bu_latency_us
    return sorted_v[(len(sorted_v) - 1) * permille // 1000]
def spread(v, digits=3):  # the windows' median, with how far they ranged
    return statistics.median(v), {"windows": len(v), "min": round(min(v), digits), "max": round(max(v), digits)}

# Each assignment's receipt (terminal clock, us) by its report's title.
receipt = {}
for f in glob.glob(os.path.join(tmp, "receipts.*")):
    for line in open(f):
        title, at = map(int, line.split())
        receipt.setdefault(title, at)
# Per window: the reports acknowledged (title, ack time, message id) and
# their assignments' latency, ms.
acks, lat, missing, window_of = {}, {}, 0, {}
for w in range(1, windows + 1):
    lat[w] = []
    for line in open(os.path.join(tmp, "acks.%d" % w)):
        title, ack, mid = map(int, line.split())
        acks[mid] = (title, ack)
        window_of[title] = w
        if title in receipt:
            lat[w].append((receipt[title] - title) / 1000)
        else:
            missing += 1
    lat[w].sort()
every = sorted(x for w in lat for x in lat[w])

out("terminals_held", held, "terminals", n)
per = (rss1 - rss0) * 1024 / max(held, 1)
m = out("server_memory_per_terminal", per, "bytes")  # target <= 8192 (see stderr)
nn = statistics.median(r["p50_us"] for r in rows if r["kind"] == "nn")
floor_p99, floor_spread = spread([r["p99_us"] for r in rows if r["kind"] == "floor"], 1)
rep = [r for r in rows if r["kind"] == "report"]
out("intake_peak", peak, "reports/s")
out("report_rate_offered", rate, "reports/s")
out("report_rate_acked", statistics.median(r["rate"] for r in rep), "reports/s")
out("assignments_received", len(every), "items", sum(r["acked"] for r in rep), missing=missing)
at = "_at_%d_per_s" % round(rate)
# The server did not keep up with the rate: reports of the window were never
# sent (their latency is not in the samples), or samples reached their limit
# (2^32 ns, 4.29 s). The latencies are then lower bounds, and say so.
sat = {}
if any(r.get("unsent", 0) for r in rep) or hold["max_us"] >= 4294967:
    sat = {"saturated": True, "note": "the server did not keep up with the rate: lower bounds"}
out("floor_ack_p50_us", statistics.median(r["p50_us"] for r in rows if r["kind"] == "floor"), "us")
out("floor_ack_p99_us", floor_p99, "us", **floor_spread)
target = 3 * floor_p99 / 1000 + 1
p99, p99_spread = spread([pct(lat[w], 990) for w in lat if lat[w]])
out("assignment_latency_p50" + at, pct(every, 500), "ms", nn / 1000, lower_is_better=True, **sat)
out("assignment_latency_p99" + at, p99, "ms", target, lower_is_better=True,
    pooled=round(pct(every, 990), 3), **p99_spread, **sat)
out("assignment_latency_p999" + at, pct(every, 999), "ms", lower_is_better=True, **sat)
out("assignment_latency_max" + at, every[-1], "ms", **sat)
out("nn_roundtrip_p50", nn, "us")
# The report's own acknowledgement (after COMMIT) in the same windows: the
# part of the latency that is the database's; the rest is delivery to the
# terminal.
out("report_ack_latency_p50", statistics.median(r["ack_p50_us"] for r in rep) / 1000, "ms", **sat)
ack99, ack99_spread = spread([r["ack_p99_us"] / 1000 for r in rep])
out("report_ack_latency_p99", ack99, "ms", **ack99_spread, **sat)

# Where the slowest 1 % went: each report's stages from fengqiaod's trace
# (wall clock, us: arrived, submitted, sent, executed, committed,
# delivered, acknowledged), its title (scheduled) and its receipt.
stages = ("to_server", "decide", "queued_for_batch", "execute", "commit_flush",
          "callbacks_before_delivery", "to_terminal", "ack_sent_after_delivery")
traced = []
path = os.path.join(tmp, "trace")
lines = [list(map(int, l.split())) for l in open(path)] if os.path.exists(path) else []
# Every COMMIT's answer (a batch's reports share it): how many a report
# waited for, from its arrival to its own (its own counted), says how its
# batches were formed - a machine's speed changes the times, not this.
commits = sorted({f[5] for f in lines if len(f) == 8 and f[5]})
if lines:
    for f in lines:
        mid, t = f[0], f[1:]
        if mid not in acks or len(t) != 7 or 0 in t:
            continue
        title, ack = acks[mid]
        if title not in receipt:
            continue
        got = receipt[title]
        d = (t[0] - title, t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4],
             got - t[5], t[6] - t[5])
        waited = bisect.bisect_right(commits, t[4]) - bisect.bisect_right(commits, t[0])
        traced.append((window_of[title], (got - title) / 1000, [x / 1000 for x in d] + [waited]))
if traced:
    # The slowest 1 % of each window (the p99 compared is a window's).
    tail = []
    for w in range(1, windows + 1):
        mine = sorted((x for x in traced if x[0] == w), key=lambda x: x[1])
        tail += mine[-max(1, math.ceil(len(mine) / 100)):] if mine else []
    traced = [x[1:] for x in traced]
    tail = sorted((x[1:] for x in tail), key=lambda x: x[0])
    med = lambda group, i: round(statistics.median(x[1][i] for x in group), 3)
    stages += ("commits_waited",)
    slow = {k: med(tail, i) for i, k in enumerate(stages)}
    all_ = {k: med(traced, i) for i, k in enumerate(stages)}
    out("slowest_1pct_stages", len(tail), "reports", stages_median_ms=slow,
        commits_waited_counts={str(k): sum(1 for x in traced if x[1][-1] == k)
                               for k in sorted({x[1][-1] for x in traced})},
        every_report_stages_median_ms=all_, traced=len(traced),
        slowest_latency_ms=[round(tail[0][0], 3), round(tail[-1][0], 3)])
    print("bench terminals: where each window's slowest 1 %% (%d of %d traced reports, %.2f-%.2f ms) spent"
          " their time, medians in ms (every report's in brackets): %s"
          % (len(tail), len(traced), tail[0][0], tail[-1][0],
             ", ".join("%s %.2f (%.2f)" % (k, slow[k], all_[k]) for k in stages)), file=sys.stderr)
print("bench terminals: held %d of %d; %.0f B per terminal (target <= 8192: %s); at %.0f reports/s latency"
      " p50 %.2f ms p99 %s%.2f ms (median of %d windows, %.2f-%.2f; target <= 3 x floor %.2f ms"
      " [windows %.2f-%.2f] + 1 ms = %.2f ms: %s) p99.9 %.2f ms over %d assignments (%d reports"
      " acked, %d assignments missing); nn p50 %.0f us"
      % (held, n, per, "met" if per <= 8192 else "MISSED", rate, pct(every, 500), ">= " if sat else "",
         p99, p99_spread["windows"], p99_spread["min"], p99_spread["max"], floor_p99 / 1000,
         floor_spread["min"] / 1000, floor_spread["max"] / 1000, target,
         "met" if p99 <= target else "MISSED", pct(every, 999), len(every),
         sum(r["acked"] for r in rep), missing, nn), file=sys.stderr)
PY
