#!/usr/bin/env bash
# bench/run failover: how long the service is unavailable when a machine is
# lost under load, and that nothing acknowledged is lost (docs/ha.md).
# targets: fengqiaod fengqiao-admin fq-report fq-terminal fq_raw_peer
# options: --faults
#
# Runs tests/integration/test_failover.sh with this build: hosts in network
# namespaces (mon, db1, db2, app1, app2, cli), a pg_auto_failover formation
# (monitor, primary, synchronous standby), fengqiaod serving on app1 and
# standing by on app2, a town platform's reports and two terminals as the
# load; then, one after another: app_kill (SIGKILL the serving fengqiaod),
# db_cut (the primary's cable pulled: db1, the first host of fengqiaod's
# conninfo), db_kill (SIGKILL every process of the primary's host), app_cut
# (the serving fengqiaod's host cut off).
# Per fault, JSON lines:
#   unavailable_s  the longest wait for an acknowledgement from the fault on
#                  (target: 5 s, printed as baseline 5)
#   acked_lost     acknowledged reports not stored as acknowledged (must be 0)
#   acked_doubled  reports stored twice (must be 0)
#   terminal_gap_s how long the watching terminals waited for a new item:
#                  for each of the two, the longest wait between two items
#                  it received from the fault on (the first from the fault
#                  itself) until it has one of a report acknowledged after
#                  the reports' longest wait; the longer of the two
#                  (target: 5 s, like unavailable_s)
#   rejoin_s       app_cut: from the cut host's cable back (10 s after the
#                  cut) to its fengqiaod standing by, warm
#
# Full: reports at 100/s; FQ_BENCH_QUICK=1: 40/s. Both run the four faults
# (app_cut adds some 30 s to the formation's minutes), or those of
# `--faults LIST` (comma-separated, in that order, repeats allowed: e.g.
# `bench/run failover --faults db_cut,db_cut,db_cut`; each database fault
# hits the primary of the moment). Needs root (namespaces); without it, one
# JSON line says the benchmark was skipped.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${FQ_BENCH_BUILD:?run through bench/run}
quick=${FQ_BENCH_QUICK:-0}
rate=100
faults="app_kill db_cut db_kill app_cut"
[ "$quick" = 1 ] && rate=40
while [ $# -gt 0 ]; do
    case "$1" in
    --faults)
        faults=${2//,/ }
        for f in $faults; do
            case "$f" in
            app_kill | db_cut | db_kill | app_cut) ;;
            *) echo "bench failover: unknown fault '$f' (app_kill, db_cut, db_kill, app_cut)" >&2 && exit 2 ;;
            esac
        done
        shift 2
        ;;
    *) echo "bench failover: unknown argument '$1'" >&2 && exit 2 ;;
    esac
done

log() { echo "bench failover: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    log "skipped: network namespaces need root"
    echo '{"bench":"failover","metric":"skipped","value":1,"unit":"flag","note":"needs root"}'
    exit 0
fi
[ "$quick" = 1 ] && echo "{\"bench\":\"failover\",\"metric\":\"quick_run\",\"value\":1,\"unit\":\"flag\",\"note\":\"quick: reports at $rate/s\"}"

tmp=$(mktemp -d /tmp/fq-bench-failover.XXXXXX)
chmod 755 "$tmp" # the PostgreSQL clusters run as postgres and live inside
# FQ_BENCH_KEEP=1 keeps the hosts' logs (every process's, PostgreSQL's, the
# faults' timelines) for reading after the run.
if [ "${FQ_BENCH_KEEP:-0}" = 1 ]; then
    trap 'log "kept $tmp"' EXIT
else
    trap 'rm -rf "$tmp"' EXIT
fi

export FQ_SRC_DIR=$root FQ_SERVERD=$B/server/fengqiaod FQ_ADMIN=$B/server/fengqiao-admin
export FQ_REPORT=$B/clients/fq-report FQ_TERMINAL=$B/clients/fq-terminal
export FQ_RAW_PEER=$B/tests/integration/fq_raw_peer FQ_CLUSTER=$tmp/unused
export FQ_WORK_ROOT=$tmp FQ_TEST_NAME=failover FQ_FAILOVER_RATE=$rate FQ_FAILOVER_FAULTS=$faults
# A figure, not a verdict: the test's ceiling raised out of the way.
export FQ_FAILOVER_LIMIT_S=600 FQ_FAILOVER_TERMINAL_LATE_S=600 FQ_FAILOVER_REJOIN_LIMIT_S=600
# The JSON lines on stdout, with the target beside each unavailability.
bash tests/integration/test_failover.sh |
    sed -E 's/^(\{"bench":"failover","metric":"(unavailable_s|terminal_gap_s)".*)\}$/\1,"baseline":5}/'
