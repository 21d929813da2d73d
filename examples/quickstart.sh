#!/usr/bin/env bash
# quickstart.sh: from a fresh Debian 12 machine to a running fengqiao with a
# few incidents in it. Installs the packages, builds, starts a private
# PostgreSQL under .fq/ in the repository, migrates, imports the West Lake
# District topology and registers a town platform node, starts fengqiaod and
# pushes sample reports, twice (the second time shows idempotency: nothing
# new is created), and shows where the routing sent each.
#
#   examples/quickstart.sh          run it all; the server keeps running
#   examples/quickstart.sh stop     stop the server and the database
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.fq"
build="$root/build"
port=${FQ_QUICKSTART_PORT:-7411}
url="tcp://127.0.0.1:$port"

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

step() { printf '\n== %s\n' "$*" >&2; }

step "installing packages"
"$root/.ci/install-deps"

step "building"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

step "starting a private PostgreSQL in $state/pg"
mkdir -p "$state/keys"
chmod 755 "$state"
export FQ_DB; FQ_DB=$("$root/tests/pg_private.sh" start "$state/pg")
export FQ_SERVER_KEY="$state/server.key"
admin="$build/server/fengqiao-admin"
[ -f "$FQ_SERVER_KEY" ] || "$admin" server-key create "$FQ_SERVER_KEY"

step "migrating"
"$admin" migrate

step "the West Lake District topology (towns, villages, grids, units, workers, rules)"
"$admin" import-topology "$root/examples/westlake-topology.json"
step "the district's working calendar (holidays and make-up days: working-time limits count on it)"
"$admin" calendar import "$root/examples/calendar-2026.json"
if ! "$admin" node list | awk '{print $1}' | grep -qx lingyin-platform; then
    rm -f "$state/keys/lingyin-platform.key" # a key of a node that is not registered
    "$admin" node add lingyin-platform --role town_platform --jurisdiction lingyin \
        --description "灵隐街道基层治理四平台" --key-out "$state/keys/lingyin-platform.key"
fi

step "starting fengqiaod on $url"
if [ -f "$state/fengqiaod.pid" ]; then
    kill "$(cat "$state/fengqiaod.pid")" 2>/dev/null || true
    sleep 1
fi
rm -f "$state/fengqiaod.ready"
"$build/server/fengqiaod" --intake "$url" --ready-file "$state/fengqiaod.ready" \
    >>"$state/fengqiaod.log" 2>&1 &
echo $! >"$state/fengqiaod.pid"
for _ in $(seq 100); do [ -s "$state/fengqiaod.ready" ] && break; sleep 0.1; done
[ -s "$state/fengqiaod.ready" ] || { tail -n 20 "$state/fengqiaod.log" >&2; exit 1; }

report() {
    "$build/clients/fq-report" --node lingyin-platform --key-file "$state/keys/lingyin-platform.key" \
        --url "$url" "$@"
}

step "pushing the sample reports"
report --stdin <"$root/examples/sample-reports.jsonl"

step "pushing them again: the same cases, so nothing new is created"
report --stdin <"$root/examples/sample-reports.jsonl"

step "what PostgreSQL holds"
psql "$FQ_DB" -P pager=off -c "SELECT id, category, severity AS sev, title, state, tier, lead_unit,
    worker, co_units, merged_into FROM incidents ORDER BY id" \
    -c "SELECT incident_id AS incident, seq, kind, reason FROM events ORDER BY seq"

cat >&2 <<MSG

fengqiaod is running on $url (log: $state/fengqiaod.log).
Report one more incident:
  $build/clients/fq-report --node lingyin-platform --key-file $state/keys/lingyin-platform.key \\
    --url $url --category dispute.neighbour --severity IV --risk low --channel hotline \\
    --place lingyin-yuquan-g1 --title "小区广场舞噪音"
Database shell:  psql "$FQ_DB"
Stop everything: examples/quickstart.sh stop
MSG
