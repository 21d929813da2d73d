#!/usr/bin/env bash
# bench/run phones: N grid workers' phones on the HTTP field API beside N
# nanomsg terminals — report->phone latency, the server memory a phone's
# session costs, and photo upload throughput into PostgreSQL beside a plain
# COPY of the same bytes.
# targets: fengqiaod fengqiao-admin fq-bench-terminals fq-bench-phones fq-make-image
#
# World (the terminals benchmark's): one town `town` with N/100 villages
# v<j>, N/10 grids g<i> (10 a village), N workers w<i> (10 a grid, capacity
# 1000); for each worker a nanomsg terminal node t<i> (keys sealed by
# fq-bench-terminals keys, loaded with COPY) and a worker account ph<i>
# (node p.ph<i>, role terminal, serving w<i>). ph0 is made by
# `fengqiao-admin user add ph0 --role worker --serves-worker w0` and signs in
# through POST /api/v1/login; ph1.. are copies of its rows in nodes and
# web_accounts (the same Argon2 password hash, their own sealed node keys) and
# their sessions rows of web_sessions made as the login makes them (a random
# token, its SHA-256, a CSRF token): 2,000 Argon2 sign-ins would take minutes
# and the sign-in limit allows twenty a minute from one address. No rule set:
# every report (severity IV, low risk) goes to a worker of its grid, so to one
# terminal and one phone. fengqiaod runs with --dedup-window-min 0 and
# --stats-interval 1.
# 1. RSS of fengqiaod (VmRSS) with nothing connected; N terminals
#    (fq-bench-terminals hold, P = N/500 processes) long-poll until
#    fengqiao_terminal_syncs_held (/metrics) is N; RSS again.
# 2. N phones (fq-bench-phones hold: libcurl multi, one keep-alive HTTP/1.1
#    connection each) long-poll GET /api/v1/field/sync?after=SEQ&wait_ms=25000
#    and ask again at once after each answer, until syncs held is 2N; RSS
#    again: (after - before) / N per phone session, the terminals' the same
#    way as the baseline. fengqiao_web_sessions_cached (/metrics) beside it.
# 3. R reps: a paced reporter (fq-bench-terminals report, town platform, 64
#    REQ sockets) sends F reports/s for T s, title "bench <CLOCK_REALTIME us>",
#    and writes each report's acknowledgement time (after its COMMIT). Each
#    phone and each terminal writes its receipt time of every item; the
#    event-to-phone latency of an item = receipt - the report's ack (it can
#    be below 0: the item may be pushed before the reporter has read its
#    ack), and receipt - send beside it. Percentiles of
#    all reps' samples pooled; the terminals' figures of the same reports are
#    the baseline.
# 4. Photos, R reps: K progress actions through
#    POST /api/v1/field/assignments/ID/actions, each with one photo (a JPEG of
#    1.5 MiB made by fq-make-image, or FQ_BENCH_PHOTO; each action's a
#    different variant of it: fq-bench-phones adds a comment segment naming
#    it), 4 at a time, over incidents the phones' workers
#    hold (acknowledged first, untimed): MB/s (10^6 bytes) of photo bytes
#    answered 200 (committed); then the same K photos' bytes by one
#    COPY attachments_baseline (bytes) FROM STDIN (FORMAT binary) into a plain
#    bytea table of the same PostgreSQL: MB/s, the baseline. Medians of reps;
#    the attachments table is checked to hold every photo.
# Full: N=2000, F=50/s, T=10 s, K=60, R=3. FQ_BENCH_QUICK=1: N=200, F=20/s,
# T=4 s, K=12, R=1 (under a minute).
# Knobs: FQ_BENCH_PHONES, FQ_BENCH_RATE, FQ_BENCH_SECONDS, FQ_BENCH_PHOTOS,
# FQ_BENCH_REPS, FQ_BENCH_PHOTO (a JPEG of 1-2 MiB to upload).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    N=${FQ_BENCH_PHONES:-200}
    rate=${FQ_BENCH_RATE:-20}
    seconds=${FQ_BENCH_SECONDS:-4}
    photos=${FQ_BENCH_PHOTOS:-12}
    reps=${FQ_BENCH_REPS:-1}
else
    N=${FQ_BENCH_PHONES:-2000}
    rate=${FQ_BENCH_RATE:-50}
    seconds=${FQ_BENCH_SECONDS:-10}
    photos=${FQ_BENCH_PHOTOS:-60}
    reps=${FQ_BENCH_REPS:-3}
fi
[ $((N % 100)) = 0 ] || { echo "bench phones: N must be a multiple of 100" >&2; exit 2; }
procs=$(((N + 499) / 500))
grids=$((N / 10))

log() { echo "bench phones: $*" >&2; }

for tool in curl python3 psql; do
    command -v "$tool" >/dev/null || { log "$tool is missing (.ci/install-deps)"; exit 1; }
done

. bench/lib.sh
bench_workdir phones
phones_pid=""
terms_pid=""
# lib.sh's cleanup stops client_pid and server_pid; the two holds are asked
# to stop first (their stop file), and stopped if they do not.
stop_holds() {
    touch "$tmp/stop"
    for p in "$phones_pid" "$terms_pid"; do
        [ -n "$p" ] || continue
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
}
on_exit() {
    local rc=$?
    set +e # a failure here must not skip the cleanup
    stop_holds
    (exit "$rc") # bench_cleanup reads the status from $?
    bench_cleanup
}
trap on_exit EXIT
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
metric() {
    curl -sS "$http/metrics" | awk -v m="$1" '$1 == m {print $2; exit}'
}
held_now() {
    local v
    v=$(metric fengqiao_terminal_syncs_held)
    printf '%.0f\n' "${v:-0}"
}
# Waits until fengqiao_terminal_syncs_held reaches $1 or stops rising for 10 s.
wait_held() {
    local want=$1 pid=$2 held prev=-1 stable=0
    for _ in $(seq 1200); do
        sleep 0.5
        kill -0 "$pid" 2>/dev/null || { log "a hold exited early"; return 1; }
        held=$(held_now)
        [ "$held" -ge "$want" ] && return 0
        if [ "$held" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
        prev=$held
        [ "$stable" -lt 20 ] || return 0
    done
}

# ---- world ----

bench_database
log "world: $((N / 100)) villages, $grids grids, $N workers, $N terminals, $N phones"
bench_grid_world "$N"
q "CREATE TABLE attachments_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                    bytes bytea NOT NULL);" >/dev/null
"$B/bench/fq-bench-terminals" keys --server-key "$FQ_SERVER_KEY" --count "$N" \
    --keys-out "$tmp/terminal.keys" >"$tmp/nodes.tsv"
psql -X -q -v ON_ERROR_STOP=1 -d "$CI" \
    -c "\\copy nodes (id, role, jurisdiction, key_sealed, serves_worker) FROM '$tmp/nodes.tsv'" >&2
"$B/server/fengqiao-admin" node add reporter --role town_platform --jurisdiction town \
    --key-out "$tmp/reporter.key" >/dev/null 2>&1

# The phones' accounts: ph0 the way an administrator makes one, the others
# copies of its rows (see the header).
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" | "$B/server/fengqiao-admin" user add ph0 --role worker \
    --serves-worker w0 --display-name '网格员0' >&2
mkdir -m 700 "$tmp/accounts"
"$B/bench/fq-bench-phones" accounts --server-key "$FQ_SERVER_KEY" --count "$N" --first 1 \
    --out "$tmp/accounts"
psql -X -q -v ON_ERROR_STOP=1 -d "$CI" >&2 <<SQL
BEGIN;
CREATE TEMP TABLE bench_keys (i int PRIMARY KEY, sealed bytea NOT NULL);
\\copy bench_keys FROM '$tmp/accounts/keys.tsv'
CREATE TEMP TABLE bench_sessions (i int PRIMARY KEY, token_hash bytea NOT NULL, csrf text NOT NULL);
\\copy bench_sessions FROM '$tmp/accounts/sessions.tsv'
CREATE TEMP TABLE bench_nodes AS
  SELECT k.i AS bench_i, n.* FROM bench_keys k CROSS JOIN nodes n WHERE n.id = 'p.ph0';
UPDATE bench_nodes b SET id = 'p.ph' || b.bench_i, jurisdiction = 'g' || (b.bench_i / 10),
  serves_worker = 'w' || b.bench_i, key_sealed = k.sealed
  FROM bench_keys k WHERE k.i = b.bench_i;
ALTER TABLE bench_nodes DROP COLUMN bench_i;
INSERT INTO nodes SELECT * FROM bench_nodes;
CREATE TEMP TABLE bench_accounts AS
  SELECT k.i AS bench_i, a.* FROM bench_keys k CROSS JOIN web_accounts a WHERE a.account = 'ph0';
UPDATE bench_accounts SET account = 'ph' || bench_i, node_id = 'p.ph' || bench_i,
  display_name = '网格员' || bench_i;
ALTER TABLE bench_accounts DROP COLUMN bench_i;
INSERT INTO web_accounts SELECT * FROM bench_accounts;
INSERT INTO web_sessions (token_hash, account, csrf_token, expires_at)
  SELECT token_hash, 'ph' || i, csrf, now() + interval '12 hours' FROM bench_sessions;
COMMIT;
SQL
log "accounts: $(q "SELECT count(*) FROM web_accounts WHERE role = 'worker'") worker accounts," \
    "$(q "SELECT count(*) FROM web_sessions") sessions"

# The photo: 1024 x 768 pixels of noise at quality 100, 1.5 MiB of JPEG —
# a large photo within the 2 MiB one may have; like any JPEG's, its bytes do
# not compress further in PostgreSQL.
if [ -n "${FQ_BENCH_PHOTO:-}" ]; then
    photo=$FQ_BENCH_PHOTO
else
    photo="$tmp/photo.jpg"
    "$B/tests/support/fq-make-image" --jpeg 1024 768 "$photo" --noise
fi
photo_bytes=$(stat -c %s "$photo")
log "photo: $photo, $photo_bytes bytes"

bench_ports
log "starting fengqiaod: intake $url, terminals $turl, web $http"
bench_start_fengqiaod --intake "$url" --terminals "$turl" --http "127.0.0.1:$hport" \
    --stats-interval 1 --dedup-window-min 0

# ph0 signs in as a phone does; its cookie is line 0 of the cookies.
bench_sign_in ph0 "$password" "$http"
token=$session_token
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$tmp/session.json")
[ -n "$csrf" ] || { log "ph0's sign-in gave no CSRF token"; exit 1; }
log "ph0 signed in: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("role"), d.get("serves"))' "$tmp/session.json")"
{
    printf '%s\t%s\n' "$token" "$csrf"
    tail -n +2 "$tmp/accounts/cookies"
} >"$tmp/cookies"

# ---- 1, 2: terminals, then phones, held ----

sleep 1.2
rss0=$(rss_kib)
hold_seconds=$(python3 -c "print(int(60 + $N / 100 + $reps * ($seconds + 4)))")
"$B/bench/fq-bench-terminals" hold --url "$turl" --keys "$tmp/terminal.keys" --count "$N" \
    --procs "$procs" --seconds "$hold_seconds" --stop-file "$tmp/stop" \
    --receipts "$tmp/terminal.receipts" >"$tmp/terminals.json" 2>"$tmp/terminals.log" &
terms_pid=$!
t0=$(date +%s.%N)
wait_held "$N" "$terms_pid" || { cat "$tmp/terminals.log" >&2; exit 1; }
sleep 1.1
held_t=$(held_now)
rss1=$(rss_kib)
log "terminals: $held_t of $N held after $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s;" \
    "RSS $rss0 -> $rss1 KiB"
sessions0=$(metric fengqiao_web_sessions_cached)

"$B/bench/fq-bench-phones" hold --url "$http" --cookies "$tmp/cookies" --count "$N" \
    --seconds "$hold_seconds" --stop-file "$tmp/stop" --receipts "$tmp/phone.receipts" \
    >"$tmp/phones.json" 2>"$tmp/phones.log" &
phones_pid=$!
t0=$(date +%s.%N)
wait_held $((2 * N)) "$phones_pid" || { cat "$tmp/phones.log" >&2; exit 1; }
sleep 1.1
held_all=$(held_now)
held_p=$((held_all - held_t))
rss2=$(rss_kib)
sessions1=$(metric fengqiao_web_sessions_cached)
log "phones: $held_p of $N held after $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s;" \
    "RSS $rss1 -> $rss2 KiB; sessions cached ${sessions0:-?} -> ${sessions1:-?}"

# ---- 3: reports ----

: >"$tmp/reports.jsonl"
: >"$tmp/acks"
for rep in $(seq "$reps"); do
    "$B/bench/fq-bench-terminals" report --url "$url" --node reporter --key-file "$tmp/reporter.key" \
        --grids "$grids" --rate "$rate" --seconds "$seconds" --clients 64 \
        --acks "$tmp/acks.$rep" >"$tmp/report.json"
    cat "$tmp/acks.$rep" >>"$tmp/acks"
    cat "$tmp/report.json" >>"$tmp/reports.jsonl"
    log "reports #$rep: $(cat "$tmp/report.json")"
done
sleep 2 # the last items reach every phone and terminal
for p in "$phones_pid" "$terms_pid"; do
    kill -0 "$p" 2>/dev/null || { log "a hold exited early"; cat "$tmp/phones.log" "$tmp/terminals.log" >&2; exit 1; }
done
touch "$tmp/stop"
phones_rc=0
terms_rc=0
wait "$phones_pid" || phones_rc=$?
wait "$terms_pid" || terms_rc=$?
phones_pid=""
terms_pid=""
cat "$tmp/phones.log" "$tmp/terminals.log" >&2
log "phones: $(cat "$tmp/phones.json")"
log "terminals: $(cat "$tmp/terminals.json")"
if [ "$phones_rc" != 0 ] || [ "$terms_rc" != 0 ]; then
    log "a hold failed (phones $phones_rc, terminals $terms_rc)"
    exit 1
fi
cat "$tmp"/terminal.receipts.* >"$tmp/terminal.receipts"

# ---- 4: photos ----

# Incidents the phones' workers hold, one a phone, as many as the photos.
q "SELECT substr(worker, 2) || ' ' || id FROM (
     SELECT DISTINCT ON (worker) worker, id FROM incidents
     WHERE state = 'assigned' AND worker IS NOT NULL ORDER BY worker, id) w
   ORDER BY id LIMIT $photos" >"$tmp/work"
[ -s "$tmp/work" ] || { log "no assigned incident to upload photos to"; exit 1; }
log "photos: $photos progress actions over $(wc -l <"$tmp/work") incidents, $reps reps"
: >"$tmp/uploads.jsonl"
: >"$tmp/copies.jsonl"
for rep in $(seq "$reps"); do
    "$B/bench/fq-bench-phones" upload --url "$http" --cookies "$tmp/cookies" --work "$tmp/work" \
        --photo "$photo" --count "$photos" --parallel 4 >"$tmp/upload.json"
    cat "$tmp/upload.json" >>"$tmp/uploads.jsonl"
    log "upload #$rep: $(cat "$tmp/upload.json")"
    "$B/bench/fq-bench-phones" copy --db "$CI" --photo "$photo" --count "$photos" >"$tmp/copy.json"
    cat "$tmp/copy.json" >>"$tmp/copies.jsonl"
    log "COPY #$rep: $(cat "$tmp/copy.json")"
done
stored=$(q "SELECT count(*) || ' ' || coalesce(sum(length(bytes)), 0) FROM attachments")
log "attachments stored: $stored (rows, bytes); baseline rows: $(q "SELECT count(*) FROM attachments_baseline")"

python3 - "$tmp" "$N" "$held_t" "$held_p" "$rss0" "$rss1" "$rss2" "${sessions1:-}" "$rate" \
    "$photos" "$reps" "$stored" <<'PY'
import json, statistics, sys
tmp = sys.argv[1]
n, held_t, held_p = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rss0, rss1, rss2 = (int(x) for x in sys.argv[5:8])
sessions = sys.argv[8]
rate, photos, reps = float(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
stored_rows, stored_bytes = (int(x) for x in sys.argv[12].split())

def lines(name):
    with open(f"{tmp}/{name}") as f:
        return [l for l in f if l.strip()]

def out(metric, value, unit, baseline=None, lower_is_better=False):
    # ratio: ours / baseline for counts and throughput, baseline / ours for
    # time and memory (how many times better ours is), as the other benches.
    o = {"bench": "phones", "metric": metric, "value": round(value, 3), "unit": unit}
    if baseline is not None:
        o["baseline"] = round(baseline, 3)
        if lower_is_better:
            o["ratio"] = round(baseline / value, 4) if value > 0 and baseline > 0 else None
        else:
            o["ratio"] = round(value / baseline, 4) if baseline else None
    print(json.dumps(o))

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round((len(v) - 1) * q)))] if v else float("nan")

acks = {}
for l in lines("acks"):
    # "<title us>\t<ack us>\t<message id>" (terminals_load.c); the id is unused here
    sent, ack = l.split()[:2]
    acks[int(sent)] = int(ack)

def latencies(name):
    from_ack, from_send = [], []
    for l in lines(name):
        sent, got = (int(x) for x in l.split())
        from_send.append((got - sent) / 1000)
        if sent in acks:
            from_ack.append((got - acks[sent]) / 1000)
    return from_ack, from_send

p_ack, p_send = latencies("phone.receipts")
t_ack, t_send = latencies("terminal.receipts")
reports = [json.loads(l) for l in lines("reports.jsonl")]
hold = json.loads(lines("phones.json")[0])
acked = sum(r["acked"] for r in reports)

out("phone_sessions_held", held_p, "sessions", n)
out("terminals_held", held_t, "terminals", n)
per_phone = (rss2 - rss1) * 1024 / max(held_p, 1)
per_term = (rss1 - rss0) * 1024 / max(held_t, 1)
out("server_memory_per_phone_session", per_phone, "bytes", per_term, lower_is_better=True)
if sessions:
    out("web_sessions_cached", float(sessions), "sessions")
out("report_rate_offered", rate, "reports/s")
out("report_rate_acked", statistics.median(r["rate"] for r in reports), "reports/s")
out("phone_connections_opened", hold["connects"], "connections", n)
out("phone_items_received", len(p_send), "items", acked)
out("terminal_items_received", len(t_send), "items", acked)
# After the ack the medians are near zero and of either sign (the item and
# the ack leave after the same COMMIT): the terminals' figure is the
# baseline, without a ratio, which would be noise.
for q, name in ((0.5, "p50"), (0.99, "p99")):
    o = {"bench": "phones", "metric": "event_to_phone_" + name, "value": round(pct(p_ack, q), 3),
         "unit": "ms", "baseline": round(pct(t_ack, q), 3)}
    print(json.dumps(o))
for q, name in ((0.5, "p50"), (0.99, "p99")):
    out("event_to_phone_from_send_" + name, pct(p_send, q), "ms", pct(t_send, q),
        lower_is_better=True)
out("report_ack_latency_p50", statistics.median(r["ack_p50_us"] for r in reports) / 1000, "ms")
out("report_ack_latency_p99", statistics.median(r["ack_p99_us"] for r in reports) / 1000, "ms")

ups = [json.loads(l) for l in lines("uploads.jsonl")]
cps = [json.loads(l) for l in lines("copies.jsonl")]
up = statistics.median(u["mb_per_s"] for u in ups)
cp = statistics.median(c["mb_per_s"] for c in cps)
out("photo_upload_throughput", up, "MB/s", cp)
out("photo_actions_per_s", statistics.median(u["actions_per_s"] for u in ups), "actions/s")
out("photo_action_latency_p50", statistics.median(u["p50_us"] for u in ups) / 1000, "ms")
out("photos_stored", stored_rows, "photos", photos * reps)
print("bench phones: %d of %d phones held, %.0f B each (a terminal %.0f B); event->phone p50 %.2f ms"
      " p99 %.2f ms after the ack (terminals %.2f / %.2f ms) over %d items of %d reports; photos"
      " %.1f MB/s vs COPY %.1f MB/s; %d photos stored (%d bytes)"
      % (held_p, n, per_phone, per_term, pct(p_ack, .5), pct(p_ack, .99), pct(t_ack, .5),
         pct(t_ack, .99), len(p_send), acked, up, cp, stored_rows, stored_bytes), file=sys.stderr)
PY
