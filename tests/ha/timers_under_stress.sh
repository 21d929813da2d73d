#!/usr/bin/env bash
# tests/ha/timers_under_stress.sh: does a starved machine make the monitor
# fail over a live primary? (docs/ha.md, "Faster detection, and failing over
# a live primary".) Not a CTest: a measurement, run by hand as root.
#
#   tests/ha/timers_under_stress.sh [--seconds N] [--stressors N] [--tps N]
#                                   [--settings "name=value ..."]
#
# Builds the formation of tests/ha/formation.sh (hosts mon, db1, db2, cli in
# network namespaces; the monitor's timers as there, or as --settings
# overrides them), writes to the primary from cli with pgbench at --tps
# (default 50) and, after 20 s of that, runs `stress-ng --cpu N` (default 2,
# the machine's cores here) for --seconds (default 60), then 20 s more
# without it. Meanwhile:
#   - a probe on mon opens a connection to db1's PostgreSQL every 100 ms and
#     times it as the monitor's health check does (until the server's first
#     answer, an authentication request), without starting a process;
#   - the monitor's own view, every 200 ms: how long since each keeper
#     reported, and each node's health.
# Prints, as JSON lines: the probe's latencies (median, p99, max) and how
# many exceeded the health check's timeout, the keepers' longest silence,
# how many times a node was marked unhealthy, and whether a failover began
# ("failovers": prepare_promotion assigned) — the figure that must be 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=60 stressors=2 tps=50 settings=""
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2 ;;
    --stressors) stressors=$2 ;;
    --tps) tps=$2 ;;
    --settings) settings=$2 ;;
    *) echo "usage: $0 [--seconds N] [--stressors N] [--tps N] [--settings \"name=value ...\"]" >&2 && exit 2 ;;
    esac
    shift 2
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
command -v stress-ng >/dev/null || { echo "needs stress-ng" >&2; exit 2; }

log() { echo "[stress $(date +%T.%3N)] $*" >&2; }
# shellcheck source=tests/ha/hosts.sh
source "$root/tests/ha/hosts.sh"
# shellcheck source=tests/ha/formation.sh
source "$root/tests/ha/formation.sh"
for s in $settings; do
    for i in "${!FORMATION_MONITOR_SETTINGS[@]}"; do
        [ "${FORMATION_MONITOR_SETTINGS[$i]%%=*}" = "${s%%=*}" ] && FORMATION_MONITOR_SETTINGS[i]=$s
    done
done

work=$(mktemp -d /tmp/fq-ha-stress.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    hosts_destroy
    cp "$work"/f/*.log "$work"/ 2>/dev/null || true
    rm -rf "$work/f"
    log "logs in $work"
}
trap cleanup EXIT

NET=198.18.1
hosts_create "fqs$$" mon:$NET.10 db1:$NET.11 db2:$NET.12 cli:$NET.30
log "timers: ${FORMATION_MONITOR_SETTINGS[*]}"
formation_create "$work/f" "$NET.0/24" || { log "the formation did not come up"; exit 1; }
log "formation up: $(formation_states)"
db=$(formation_conninfo fengqiao)
pgb() { on cli runuser -u postgres -- "$FORMATION_PGBIN/pgbench" "$@"; }
pgb -i -q -s 1 "$db" >"$work/pgbench.init" 2>&1 || { log "pgbench -i: $(tail -n 3 "$work/pgbench.init")"; exit 1; }

# The probe: the health check's connection, timed to the server's first byte.
probe_py='
import socket, struct, sys, time
host, port, until = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
body = b"user\0postgres\0database\0postgres\0\0"
startup = struct.pack("!ii", 8 + len(body), 196608) + body
while time.time() < until:
    t0 = time.time()
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.settimeout(30)
        s.sendall(startup)
        ok = len(s.recv(1)) == 1
        s.close()
    except OSError:
        ok = False
    t1 = time.time()
    print("%d %.1f %d" % (t0 * 1000, (t1 - t0) * 1000, ok), flush=True)
    time.sleep(max(0.0, 0.1 - (t1 - t0)))
'
total=$((20 + seconds + 20))
on mon /usr/bin/python3 -c "$probe_py" "${FORMATION_ADDR[db1]}" "${FORMATION_PORT[db1]}" "$total" \
    >"$work/probe.txt" 2>"$work/probe.err" &
pids+=("$!")
# The monitor's view, from one session (a process per sample would itself
# be starved): each keeper's silence and each node's health, every 200 ms.
monitor_q "DO \$\$
    DECLARE r record; t0 timestamptz := clock_timestamp();
    BEGIN
        WHILE clock_timestamp() - t0 < interval '$total s' LOOP
            FOR r IN SELECT nodename, health,
                            (extract(epoch FROM clock_timestamp() - reporttime) * 1000)::int AS silent
                     FROM pgautofailover.node LOOP
                RAISE NOTICE 'view % % % %', (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                    r.nodename, r.silent, r.health;
            END LOOP;
            PERFORM pg_sleep(0.2);
        END LOOP;
    END \$\$" >/dev/null 2> >(sed -un 's/.*NOTICE: *view //p' >"$work/view.txt") &
pids+=("$!")
pgb -n -c 2 -j 1 -R "$tps" -T "$total" "$db" >"$work/pgbench.out" 2>&1 &
pids+=("$!")
t_start=$(date +%s%3N)
sleep 20
log "stress-ng --cpu $stressors for $seconds s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
s0=$(date +%s%3N)
stress-ng --cpu "$stressors" --timeout "${seconds}s" --quiet || true
s1=$(date +%s%3N)
log "stress over (load average $(cut -d' ' -f1-3 /proc/loadavg)); 20 s more"
sleep 20
wait "${pids[@]}" 2>/dev/null || true

events=$(monitor_q "SELECT (extract(epoch FROM eventtime) * 1000)::bigint, nodename, reportedstate, goalstate, description
                    FROM pgautofailover.event WHERE eventtime >= to_timestamp($t_start / 1000.0) ORDER BY eventid")
echo "$events" >"$work/events.txt"
unhealthy=$(grep -c 'marked as unhealthy' <<<"$events" || true)
failovers=$(grep -c '|prepare_promotion|' <<<"$events" || true)
timeout_ms=$(printf '%s\n' "${FORMATION_MONITOR_SETTINGS[@]}" | sed -n 's/^health_check_timeout=//p')
python3 - "$work/probe.txt" "$work/view.txt" "$s0" "$s1" "$timeout_ms" "$unhealthy" "$failovers" \
    "$seconds" "$stressors" <<'PY'
import json, sys
probe, view, s0, s1, tmo, unhealthy, failovers, secs, n = sys.argv[1:]
s0, s1, tmo = int(s0), int(s1), float(tmo)
lat = sorted(float(l.split()[1]) for l in open(probe) if l.strip() and s0 <= int(l.split()[0]) <= s1)
silent = {}
for l in open(view):
    f = l.split()
    if len(f) == 4 and s0 <= int(f[0]) <= s1 + 2000:
        silent[f[1]] = max(silent.get(f[1], 0), int(f[2]))
def q(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
out = {"bench": "ha_stress", "stressors": int(n), "seconds": int(secs), "probes": len(lat),
       "connect_ms_median": q(0.5), "connect_ms_p99": q(0.99), "connect_ms_max": lat[-1] if lat else None,
       "probes_over_timeout": sum(1 for x in lat if x > tmo), "health_check_timeout_ms": tmo,
       "keeper_silence_ms_max": silent, "marked_unhealthy": int(unhealthy), "failovers": int(failovers)}
print(json.dumps(out))
PY
