#!/usr/bin/env bash
# bench/run http: the web console under load — the board's first page over
# HTTP against the same read through the nanomsg console endpoint, and N
# browsers on the live feed (Server-Sent Events): report to every console,
# and the server memory each open console costs.
# targets: fengqiaod fengqiao-admin fq-bench-terminals fq-bench-console-board
#
# 1. A private PostgreSQL; a synthetic district `xihu` with one town, V
#    villages, G grids and 10 workers a grid (capacity 1000); a town platform
#    that reports, a district console node (nanomsg) and a district web
#    account `bench.op` (operator) signed in once through POST /api/v1/login.
#    fengqiaod with --http on a free loopback port (no TLS on loopback) and
#    --dedup-window-min 0.
# 2. Load: I open incidents (10,000) through the real intake — paced reports
#    from 64 REQ sockets (fq-bench-terminals report), each at its own point,
#    in rounds until the database holds I open ones; then ANALYZE (what
#    autovacuum does after such a load).
# 3. Board, R repetitions, alternating: wrk (the cookie in
#    bench/http_board.lua, T s) on GET /api/v1/board?limit=100, then
#    fq-bench-console-board (T s) on ConsoleQuery open_incidents limit 100 —
#    the baseline; each with 1 connection (the page's latency) and with K
#    (the rate; the latency then includes the queue K readers make: the
#    console's reads run one at a time on their own database connection).
#    Closed loops; p50/p99 from each tool's own histogram, medians over
#    repetitions.
#    Before them one page of each is checked to hold 100 incidents.
# 4. Live feed: fengqiaod's RSS, then N streams (bench/http_feed.py, one
#    asyncio loop) open GET /api/v1/events with the cookie; RSS again once
#    all are answered and settled: (after - before) / N per console. Then a
#    paced reporter (F reports/s for T s, title "bench <CLOCK_REALTIME µs>")
#    while the streams run: each stream's item for each report is one sample,
#    read time minus send time (the send, not the ack: the item may be pushed
#    before the ack is read). The reports' own ack latency (their commit) is
#    printed beside it.
#
# Full: I=10000, K=8, T=10 s, R=3, N=200, F=20/s for 10 s.
# FQ_BENCH_QUICK=1: I=10000, T=2 s, R=1, feed for 4 s (loading is ~15 s of it).
# Knobs: FQ_BENCH_INCIDENTS, FQ_BENCH_CONNECTIONS, FQ_BENCH_SECONDS,
# FQ_BENCH_REPS, FQ_BENCH_STREAMS, FQ_BENCH_FEED_RATE.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
incidents=${FQ_BENCH_INCIDENTS:-10000}
conns=${FQ_BENCH_CONNECTIONS:-8}
streams=${FQ_BENCH_STREAMS:-200}
feed_rate=${FQ_BENCH_FEED_RATE:-20}
if [ "$quick" = 1 ]; then
    seconds=${FQ_BENCH_SECONDS:-2}
    reps=${FQ_BENCH_REPS:-1}
    feed_seconds=4
else
    seconds=${FQ_BENCH_SECONDS:-10}
    reps=${FQ_BENCH_REPS:-3}
    feed_seconds=10
fi
# bench_grid_world's: N/100 villages, N/10 grids for N workers.
villages=10
grids=100
limit=100

log() { echo "bench http: $*" >&2; }

for tool in wrk curl python3 psql; do
    command -v "$tool" >/dev/null || { log "$tool is missing (.ci/install-deps)"; exit 1; }
done

. bench/lib.sh
bench_workdir http
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
jfield() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }

# ---- 1. world, accounts, server ----

bench_database
log "world: 1 town, $villages villages, $grids grids, $((grids * 10)) workers"
bench_grid_world $((grids * 10))
"$B/server/fengqiao-admin" node add reporter --role town_platform --jurisdiction town \
    --key-out "$tmp/reporter.key" >/dev/null 2>&1
"$B/server/fengqiao-admin" node add bench-console --role console --jurisdiction xihu \
    --key-out "$tmp/console.key" >/dev/null 2>&1
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" | "$B/server/fengqiao-admin" user add bench.op --role operator \
    --jurisdiction xihu --display-name '压测值班员' >&2

bench_ports
log "starting fengqiaod: intake $url, terminals and consoles $turl, web $http"
bench_start_fengqiaod --intake "$url" --terminals "$turl" --http "127.0.0.1:$hport" \
    --stats-interval 1 --dedup-window-min 0

# Sign in once, as a browser does; the cookie is the session.
bench_sign_in bench.op "$password" "$http"
cookie="fq_session=$session_token"
export FQ_COOKIE=$cookie

# ---- 2. open incidents through the intake ----

open_count() { q "SELECT count(*) FROM incidents WHERE state = 'assigned'"; }
t_load0=$(date +%s.%N)
for round in $(seq 20); do
    have=$(open_count)
    [ "$have" -lt "$incidents" ] || break
    want=$((incidents - have))
    # A paced round sends exactly rate x seconds reports when the server keeps
    # up; a round it cannot keep up with sends fewer and the next one adds.
    "$B/bench/fq-bench-terminals" report --url "$url" --node reporter --key-file "$tmp/reporter.key" \
        --grids "$grids" --rate "$(python3 -c "print($want / 4)")" --seconds 4 --clients 64 \
        >"$tmp/load.json"
    log "load round $round: $(cat "$tmp/load.json")"
done
have=$(open_count)
load_s=$(python3 -c "print(round($(date +%s.%N) - $t_load0, 1))")
[ "$have" -ge "$incidents" ] || { log "only $have open incidents after the load"; exit 1; }
log "$have open incidents, loaded in ${load_s}s"
# The planner statistics autovacuum gathers after such a load (a district's
# tables have them): without them the board's plan guesses a few dozen open
# incidents and chooses a nested loop.
q "ANALYZE" >/dev/null

# ---- 3. the board: HTTP against nanomsg ----

board_url="$http/api/v1/board?limit=$limit"
status=$(curl -sS -o "$tmp/page.json" -w '%{http_code}' -H "Cookie: $FQ_COOKIE" "$board_url")
rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["incidents"]))' "$tmp/page.json" 2>/dev/null || echo 0)
if [ "$status" != 200 ] || [ "$rows" != "$limit" ]; then
    log "the board page is not $limit incidents: HTTP $status, $rows rows"
    exit 1
fi
page_bytes=$(wc -c <"$tmp/page.json")
results="$tmp/results.jsonl"
: >"$results"
con=("$B/bench/fq-bench-console-board" --url "$turl" --node bench-console --key-file "$tmp/console.key"
    --limit "$limit" --seconds "$seconds")
for rep in $(seq "$reps"); do
    for c in 1 "$conns"; do
        wrk -t "$((c < 2 ? 1 : 2))" -c "$c" -d "${seconds}s" --timeout 10s -s bench/http_board.lua \
            "$board_url" >"$tmp/wrk.out"
        tail -n 1 "$tmp/wrk.out" >"$tmp/wrk.json"
        python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
errors = sum(v for k, v in r.items() if k.startswith("errors_"))
if errors:
    sys.exit("bench http: wrk counted %d errors: %s" % (errors, r))
r["kind"] = "http"; r["conns"] = int(sys.argv[2]); print(json.dumps(r))' "$tmp/wrk.json" "$c" >>"$results"
        log "http board #$rep, $c connections: $(tail -n 1 "$results")"
        "${con[@]}" --clients "$c" >"$tmp/nn.json"
        python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline()); r["kind"] = "nn"; r["conns"] = int(sys.argv[2])
print(json.dumps(r))' "$tmp/nn.json" "$c" >>"$results"
        log "nanomsg board #$rep, $c sockets: $(tail -n 1 "$results")"
    done
done

# ---- 4. the live feed: N consoles ----

sleep 1.5
rss0=$(rss_kib)
python3 bench/http_feed.py --port "$hport" --cookie "$FQ_COOKIE" --streams "$streams" \
    --ready-file "$tmp/feed.ready" --stop-file "$tmp/feed.stop" >"$tmp/feed.json" 2>"$tmp/feed.log" &
client_pid=$!
for _ in $(seq 600); do
    [ -s "$tmp/feed.ready" ] && break
    kill -0 "$client_pid" 2>/dev/null || { log "the feed client exited"; cat "$tmp/feed.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$tmp/feed.ready" ] || { log "not every stream opened in 60 s"; exit 1; }
sleep 1.5
rss1=$(rss_kib)
log "$streams streams open; fengqiaod RSS $rss0 KiB -> $rss1 KiB"
"$B/bench/fq-bench-terminals" report --url "$url" --node reporter --key-file "$tmp/reporter.key" \
    --grids "$grids" --rate "$feed_rate" --seconds "$feed_seconds" --clients 8 >"$tmp/feed_reports.json"
log "feed reports: $(cat "$tmp/feed_reports.json")"
sleep 2 # the last items on their way
touch "$tmp/feed.stop"
feed_rc=0
wait "$client_pid" || feed_rc=$?
client_pid=""
cat "$tmp/feed.log" >&2
log "feed: $(cat "$tmp/feed.json")"
[ "$feed_rc" = 0 ] || { log "the feed client failed ($feed_rc)"; exit 1; }

# ---- results ----

python3 - "$results" "$tmp/feed.json" "$tmp/feed_reports.json" "$have" "$load_s" "$rss0" "$rss1" \
    "$streams" "$page_bytes" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
feed = json.loads(open(sys.argv[2]).readline())
reports = json.loads(open(sys.argv[3]).readline())
have, load_s, rss0, rss1, streams, page_bytes = (
    int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]),
    int(sys.argv[9]))
med = lambda kind, key, conns: statistics.median(
    r[key] for r in rows if r["kind"] == kind and r["conns"] == conns)
conns = max(r["conns"] for r in rows)

def out(metric, value, unit, baseline=None, time_like=False):
    # ratio: how many times better ours is — ours/baseline for throughput,
    # baseline/ours for time and memory.
    o = {"bench": "http", "metric": metric, "value": round(value, 3), "unit": unit}
    if baseline is not None:
        o["baseline"] = round(baseline, 3)
        o["ratio"] = round((baseline / value) if time_like else (value / baseline), 3) if value and baseline else None
    print(json.dumps(o))
    return o

out("open_incidents", have, "incidents")
out("load_seconds", load_s, "s")
# One reader at a time: the page's own latency. K at once: the rate, and the
# latency with the queue K readers make.
p50 = out("board_page_latency_p50", med("http", "p50_us", 1) / 1000, "ms", med("nn", "p50_us", 1) / 1000, True)
p99 = out("board_page_latency_p99", med("http", "p99_us", 1) / 1000, "ms", med("nn", "p99_us", 1) / 1000, True)
out("board_page_requests_per_s_one_reader", med("http", "rate", 1), "requests/s", med("nn", "rate", 1))
rate = out("board_page_requests_per_s", med("http", "rate", conns), "requests/s", med("nn", "rate", conns))
out("board_page_latency_p50_%d_readers" % conns, med("http", "p50_us", conns) / 1000, "ms",
    med("nn", "p50_us", conns) / 1000, True)
out("board_page_latency_p99_%d_readers" % conns, med("http", "p99_us", conns) / 1000, "ms",
    med("nn", "p99_us", conns) / 1000, True)
out("board_page_bytes", page_bytes, "bytes", med("nn", "reply_bytes_mean", 1), True)
out("feed_streams_open", feed["open"], "streams", streams)
out("feed_deliveries", feed["samples"], "items", reports["acked"] * streams)
f50 = out("feed_report_to_console_p50", feed["p50_ms"], "ms")
f99 = out("feed_report_to_console_p99", feed["p99_ms"], "ms")
out("feed_report_to_console_max", feed["max_ms"], "ms")
out("feed_report_ack_p50", reports["ack_p50_us"] / 1000, "ms")
out("feed_report_ack_p99", reports["ack_p99_us"] / 1000, "ms")
per = (rss1 - rss0) * 1024 / max(streams, 1)
out("memory_per_console", per, "bytes")
print("bench http: board page over HTTP p50 %.2f ms p99 %.2f ms, %.0f/s with %d readers"
      " (nanomsg p50 %.2f ms p99 %.2f ms, %.0f/s);"
      " live feed to %d consoles p50 %.1f ms p99 %.1f ms (%d of %d deliveries); %.0f B per console"
      % (p50["value"], p99["value"], rate["value"], conns, p50["baseline"], p99["baseline"], rate["baseline"],
         feed["open"], f50["value"], f99["value"], feed["samples"], reports["acked"] * streams, per),
      file=sys.stderr)
if feed["samples"] < reports["acked"] * streams:
    print("bench http: MISSING DELIVERIES: every console must get every report", file=sys.stderr)
    sys.exit(1)
PY
