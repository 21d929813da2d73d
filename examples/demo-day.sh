#!/usr/bin/env bash
# demo-day.sh: a simulated day in the West Lake District. Like quickstart.sh
# (packages, build, a private PostgreSQL under .fq/, migrations, topology),
# then registers every town platform, every grid worker's terminal and every
# town line's, department's and the command center's duty terminal, starts
# fengqiaod with the intake, the terminal endpoint and the web console (HTTPS
# with a self-signed certificate made here, a district supervisor's and a town
# operator's accounts), runs fq-simulate (a day of reports, acknowledgements,
# returns, escalations, conclusions) and prints the day's meeting statistics.
# See docs/demo.md and docs/web-console.md.
#
#   examples/demo-day.sh          run the day; the server keeps running after it,
#                                 with the district's real time limits again
#   examples/demo-day.sh stop     stop the server and the database
#
# Environment: FQ_DEMO_SPEEDUP (simulated seconds per real second, default 120:
# the day in 12 minutes), FQ_DEMO_HOURS (24), FQ_DEMO_REPORTS (800),
# FQ_DEMO_SEED (default: a new one per run; the same seed sends the same
# cases, so nothing new is created), FQ_DEMO_INTAKE_PORT (7411),
# FQ_DEMO_TERMINALS_PORT (7412), FQ_DEMO_HTTP_PORT (8443: the web console on
# https://127.0.0.1:PORT/), FQ_DEMO_STATE (.fq), FQ_DEMO_BUILD (build),
# FQ_DEMO_PREBUILT=1 (use FQ_DEMO_BUILD as it is: no packages, no build — the
# integration test runs the demo on the build under test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${FQ_DEMO_STATE:-$root/.fq}
build=${FQ_DEMO_BUILD:-$root/build}
intake_port=${FQ_DEMO_INTAKE_PORT:-7411}
terminals_port=${FQ_DEMO_TERMINALS_PORT:-7412}
intake="tcp://127.0.0.1:$intake_port"
terminals="tcp://127.0.0.1:$terminals_port"
http_port=${FQ_DEMO_HTTP_PORT:-8443}
web_url="https://127.0.0.1:$http_port/"
speedup=${FQ_DEMO_SPEEDUP:-120}
hours=${FQ_DEMO_HOURS:-24}
reports=${FQ_DEMO_REPORTS:-800}
seed=${FQ_DEMO_SEED:-$(date +%s)}
topology="$root/examples/westlake-topology.json"

stop_all() {
    if [ -f "$state/fengqiaod.pid" ]; then
        kill "$(cat "$state/fengqiaod.pid")" 2>/dev/null || true
        rm -f "$state/fengqiaod.pid"
    fi
    "$root/tests/pg_private.sh" stop "$state/pg"
}

if [ "${1:-}" = stop ]; then
    stop_all
    echo "stopped fengqiaod and the private PostgreSQL (data kept in $state)"
    exit 0
fi
if [ $# -gt 0 ]; then
    echo "usage: examples/demo-day.sh [stop]" >&2
    exit 2
fi

step() { printf '\n== %s\n' "$*" >&2; }

if [ "${FQ_DEMO_PREBUILT:-0}" != 1 ]; then
    step "installing packages"
    "$root/.ci/install-deps"

    step "building"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi

step "starting a private PostgreSQL in $state/pg"
mkdir -p "$state/keys"
chmod 755 "$state"
chmod 700 "$state/keys"
export FQ_DB; FQ_DB=$("$root/tests/pg_private.sh" start "$state/pg")
export FQ_SERVER_KEY="$state/server.key"
admin="$build/server/fengqiao-admin"
[ -f "$FQ_SERVER_KEY" ] || "$admin" server-key create "$FQ_SERVER_KEY"

step "migrating"
"$admin" migrate

step "the West Lake District topology, its time limits on the simulated clock (/$speedup)"
python3 "$root/examples/demo_rules.py" "$speedup" <"$topology" >"$state/demo-topology.json"
"$admin" import-topology "$state/demo-topology.json" --note "demo-day.sh: limits / $speedup"
# The working calendar: the real limits restored at the end count working time on it.
"$admin" calendar import "$root/examples/calendar-2026.json"

# The day ends — also when it is cut short (an error, Ctrl-C) — with the
# district's real limits active again, so that whoever attaches a console or
# a terminal afterwards has real time to act: new incidents get real limits.
# (Incidents decided during the day keep the limits they were decided with.)
# Waits until the running server routes by them (its log names the rule set).
restore_limits() {
    local out version
    out=$("$admin" import-topology "$topology" --note "demo-day.sh: the day is over, real limits") ||
        { echo "demo-day.sh: could not restore the real time limits: $out" >&2; return 1; }
    version=$(sed -n 's/.*version \([0-9]*\) created and activated.*/\1/p' <<<"$out")
    echo "the district's real time limits are active again${version:+ (rule set $version)}" >&2
    [ -n "$version" ] && [ -f "$state/fengqiaod.pid" ] || return 0
    for _ in $(seq 100); do
        grep -q "routing: rule set $version," "$state/fengqiaod.log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo-day.sh: fengqiaod has not loaded rule set $version yet (see $state/fengqiaod.log)" >&2
}
trap 'restore_limits || true' EXIT

step "registering the nodes (town platforms, workers' terminals, duty terminals)"
# One line per node: ID ROLE-ARGUMENTS...
python3 - "$topology" >"$state/demo-nodes.txt" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
d = t["district"]
for town in t["towns"]:
    print(f"{town['id']}-platform --role town_platform --jurisdiction {town['id']}")
for h in [d["center"]] + d.get("departments", []):
    print(f"{h['id']}-duty --role terminal --serves-unit {h['id']}")
for town in t["towns"]:
    for line in ("governance", "market", "enforcement", "services"):
        h = town["lines"][line]["id"]
        print(f"{h}-duty --role terminal --serves-unit {h}")
    for v in town.get("villages", []):
        for g in v.get("grids", []):
            for w in g.get("workers", []):
                print(f"{w['id']}-term --role terminal --serves-worker {w['id']}")
PY
# The first worker of the first grid gets a second terminal, for watching.
watch_worker=$(awk '$NF ~ /-w1$/ && $0 ~ /serves-worker/ {print $NF; exit}' "$state/demo-nodes.txt")
echo "$watch_worker-watch --role terminal --serves-worker $watch_worker" >>"$state/demo-nodes.txt"
# The district command center's console, and one town's.
district_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["district"]["id"])' "$topology")
echo "$district_id-ops --role console --jurisdiction $district_id" >>"$state/demo-nodes.txt"
registered=$("$admin" node list | awk '{print $1}')
added=0
: >"$state/demo-nodes-new.txt"
while read -r node args; do
    if grep -qx -- "$node" <<<"$registered"; then
        if [ ! -s "$state/keys/$node.key" ]; then
            echo "demo-day.sh: node $node is registered but $state/keys/$node.key is missing;" \
                "revoke it or start afresh (examples/demo-day.sh stop; rm -rf $state)" >&2
            exit 1
        fi
        continue
    fi
    # A key file of a node not registered was left by an interrupted run
    # (node add writes the file before it registers): it is no one's key.
    rm -f "$state/keys/$node.key"
    echo "$node $args --key-out $state/keys/$node.key" >>"$state/demo-nodes-new.txt"
    added=$((added + 1))
done <"$state/demo-nodes.txt"
# All of them in one run of fengqiao-admin (node import: node add for each
# line), one line per node: "node ID added: ROLE of UNIT, key in FILE".
[ "$added" = 0 ] || "$admin" node import "$state/demo-nodes-new.txt"
echo "$(wc -l <"$state/demo-nodes.txt") nodes, $added registered now" >&2

step "the web console: a self-signed certificate, two people's accounts and a grid worker's phone"
# The certificate is the demo's own (in $state/tls, kept between runs): a
# browser warns about it once. A deployment uses one its clients trust.
mkdir -p "$state/tls"
if [ ! -s "$state/tls/cert.pem" ] || [ ! -s "$state/tls/key.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
        -subj "/CN=fengqiao demo" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$state/tls/key.pem.tmp" -out "$state/tls/cert.pem" 2>/dev/null
    chmod 600 "$state/tls/key.pem.tmp"
    mv "$state/tls/key.pem.tmp" "$state/tls/key.pem"
fi
fingerprint=$(openssl x509 -in "$state/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
# A supervisor of the district's command center, an operator of the first
# town (the one whose worker is watched) and that worker on the phone page
# (a worker account: its unit is the worker it serves). Passwords are made
# on the first run and kept in $state/web-logins (readable by you only);
# given on stdin.
first_town=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["towns"][0]["id"])' "$topology")
web_accounts=("$district_id.duty supervisor $district_id 区指挥中心值班长"
    "$first_town.op operator $first_town 街道平台操作员"
    "$watch_worker.phone worker $watch_worker 网格员（手机）")
touch "$state/web-logins"
chmod 600 "$state/web-logins"
for entry in "${web_accounts[@]}"; do
    read -r account role unit name <<<"$entry"
    password=$(awk -v a="$account" '$1 == a {print $2}' "$state/web-logins")
    exists=$(psql -X -qAt -d "$FQ_DB" -c "SELECT count(*) FROM web_accounts WHERE account = '$account'")
    if [ "$exists" = 1 ] && [ -n "$password" ]; then
        continue
    fi
    password="demo-$(openssl rand -hex 6)"
    if [ "$exists" = 1 ]; then
        printf '%s\n' "$password" | "$admin" user passwd "$account"
    elif [ "$role" = worker ]; then
        printf '%s\n' "$password" | "$admin" user add "$account" --role worker \
            --serves-worker "$unit" --display-name "$name"
    else
        printf '%s\n' "$password" | "$admin" user add "$account" --role "$role" \
            --jurisdiction "$unit" --display-name "$name"
    fi
    awk -v a="$account" '$1 != a' "$state/web-logins" >"$state/web-logins.tmp"
    echo "$account $password" >>"$state/web-logins.tmp"
    mv "$state/web-logins.tmp" "$state/web-logins"
done
web_logins() {
    local entry account role unit name
    for entry in "${web_accounts[@]}"; do
        read -r account role unit name <<<"$entry"
        printf '  %-22s account %-16s password %s\n' "$name ($role, $unit)" "$account" \
            "$(awk -v a="$account" '$1 == a {print $2}' "$state/web-logins")"
    done
    printf '  the grid worker signs in on the phone page: %sphone/\n' "$web_url"
}

step "starting fengqiaod: intake $intake, terminals $terminals, web console $web_url"
if [ -f "$state/fengqiaod.pid" ]; then
    kill "$(cat "$state/fengqiaod.pid")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$state/fengqiaod.pid")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$state/fengqiaod.pid"
fi
# Duplicates are looked for within 120 simulated minutes.
dedup_min=$(( (120 * 60 + ${speedup%.*} * 60 - 1) / (${speedup%.*} * 60) ))
[ "$dedup_min" -ge 1 ] || dedup_min=1
rm -f "$state/fengqiaod.ready"
"$build/server/fengqiaod" --intake "$intake" --terminals "$terminals" \
    --http "127.0.0.1:$http_port" --tls-cert "$state/tls/cert.pem" --tls-key "$state/tls/key.pem" \
    --dedup-window-min "$dedup_min" --ready-file "$state/fengqiaod.ready" \
    >>"$state/fengqiaod.log" 2>&1 &
echo $! >"$state/fengqiaod.pid"
for _ in $(seq 100); do [ -s "$state/fengqiaod.ready" ] && break; sleep 0.1; done
[ -s "$state/fengqiaod.ready" ] || { tail -n 20 "$state/fengqiaod.log" >&2; exit 1; }

watch_town=${watch_worker%%-*}
cat >&2 <<MSG

Watch it live in a browser: the web console at $web_url
(the demo's self-signed certificate, SHA-256 $fingerprint):
$(web_logins)

Or from another shell (in $root):
  # the district command console: the board of open incidents, most urgent first
  # (Enter: an incident's timeline; : commands; s statistics; r roster; q quits)
  build/clients/fq-console --node $district_id-ops --key-file .fq/keys/$district_id-ops.key \\
    --url $terminals
  # the feed of $watch_town: every status change of its incidents, one JSON line each
  build/clients/fq-report --node $watch_town-platform --key-file .fq/keys/$watch_town-platform.key \\
    follow --url $terminals --seq-file .fq/$watch_town.seq
  # what grid worker $watch_worker sees (a second terminal of theirs; read only, or act)
  build/clients/fq-terminal --node $watch_worker-watch --key-file .fq/keys/$watch_worker-watch.key \\
    --url $terminals --state-dir .fq/terminal watch
  # the server's log
  tail -f .fq/fengqiaod.log
  # the database
  psql "$FQ_DB"

MSG

day_start=$(date -u +'%Y-%m-%d %H:%M:%S+00')
step "the day: $reports reports over $hours simulated hours at ${speedup}x, seed $seed"
"$build/clients/fq-simulate" --topology "$topology" --keys "$state/keys" \
    --intake "$intake" --terminals "$terminals" --speedup "$speedup" --hours "$hours" \
    --reports "$reports" --seed "$seed"

step "the day is over: the district's real time limits again"
trap - EXIT
restore_limits

step "the day's meeting statistics (fengqiao-admin stats --from '$day_start' --to now)"
"$admin" stats --from "$day_start" --to now --by town
echo
"$admin" stats --from "$day_start" --to now --by line

cat >&2 <<MSG

fengqiaod keeps running, with the district's real time limits: intake $intake, terminals
$terminals (log: $state/fengqiaod.log).
Web console:     $web_url (self-signed certificate, SHA-256 $fingerprint)
$(web_logins)
Database shell:  psql "$FQ_DB"
Statistics:      FQ_DB="$FQ_DB" $admin stats --from '$day_start' --to now --by unit
Run another day: examples/demo-day.sh      Stop everything: examples/demo-day.sh stop
MSG
