# shellcheck shell=bash
# tests/ha/hosts.sh: hosts on one machine, each a network namespace with one
# address on a bridge (sourced by tests/integration/test_failover.sh and
# bench/failover.sh; docs/ha.md).
#
#   hosts_create PREFIX NAME:ADDRESS...
#       a namespace PREFIX-sw holding the bridge, and per NAME a namespace
#       PREFIX-NAME whose eth0 has ADDRESS/24 on it (its peer in PREFIX-sw is
#       v-NAME). Nothing is added to the machine's own namespace: the hosts
#       reach each other and nothing else, and concurrent runs (other
#       prefixes) do not see each other even with the same addresses.
#   on NAME CMD...           run CMD on host NAME
#   as_postgres NAME CMD...  run CMD on host NAME as the postgres user
#   host_cut NAME            unplug NAME's cable (its bridge port down)
#   host_mend NAME           plug it in again
#   hosts_destroy            delete every namespace of the run (idempotent)
#   hosts_tmpdir             a new folder /tmp/fq-ha.XXXXXX of the run (printed)
#
# Cleaning up: hosts_destroy runs on EXIT (the caller's EXIT trap: lib.sh's
# CLEANUPS in test_failover.sh; hosts_create sets one if the caller has
# none), and bash runs the EXIT trap on TERM and INT too. Nothing runs on
# SIGKILL, which is how ctest ends a test on its timeout: so each run is
# registered in $HOSTS_RUNS (its prefix, the owning shell's pid and start
# time, then the folders of hosts_tmpdir), and hosts_create first deletes
# the namespaces, and kills the processes inside them, and removes the
# folders, of every registered run whose shell is gone.
HOSTS_PREFIX=""
HOSTS_NAMES=()
HOSTS_RUNS=${HOSTS_RUNS:-/run/fq-hosts}

# proc_start PID: the process's start time (clock ticks since boot), or
# nothing when there is no such process; with the pid it names one process
# even after the pid is reused.
proc_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) } # past the command's name, which may hold spaces
    awk '{ print $20 }' <<<"$stat"
}

# hosts_sweep: what runs killed without their cleanup left behind.
hosts_sweep() {
    local run owner start prefix ns p
    for run in "$HOSTS_RUNS"/*; do
        [ -f "$run" ] || continue
        owner="" start=""
        read -r owner start <"$run" || true
        [ -n "$owner" ] && [ -n "$start" ] && [ "$(proc_start "$owner")" = "$start" ] && continue
        prefix=${run##*/}
        for ns in $(ip netns list | awk '{ print $1 }'); do
            [[ $ns == "$prefix"-* ]] || continue
            for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
            ip netns del "$ns" 2>/dev/null || true
        done
        # The run's folders (every line after the first): its processes are
        # gone now, and nothing else writes there.
        tail -n +2 "$run" | while IFS= read -r d; do
            [[ $d == /tmp/fq-ha.* ]] && rm -rf "$d"
        done
        rm -f "$run"
        echo "hosts.sh: removed the namespaces $prefix-* and the folders of a run that ended without its cleanup" >&2
    done
}

hosts_create() {
    hosts_sweep
    HOSTS_PREFIX=$1
    shift
    mkdir -p "$HOSTS_RUNS"
    echo "$$ $(proc_start $$)" >"$HOSTS_RUNS/$HOSTS_PREFIX"
    [ -n "$(trap -p EXIT)" ] || trap hosts_destroy EXIT
    local sw="$HOSTS_PREFIX-sw" spec name addr
    ip netns add "$sw"
    ip -n "$sw" link set lo up
    ip -n "$sw" link add br0 type bridge
    ip -n "$sw" link set br0 up
    for spec in "$@"; do
        name=${spec%%:*}
        addr=${spec#*:}
        ip netns add "$HOSTS_PREFIX-$name"
        HOSTS_NAMES+=("$name")
        ip -n "$HOSTS_PREFIX-$name" link set lo up
        ip -n "$sw" link add "v-$name" type veth peer name eth0 netns "$HOSTS_PREFIX-$name"
        ip -n "$sw" link set "v-$name" master br0 up
        ip -n "$HOSTS_PREFIX-$name" addr add "$addr/24" dev eth0
        ip -n "$HOSTS_PREFIX-$name" link set eth0 up
    done
}

on() {
    local name=$1
    shift
    ip netns exec "$HOSTS_PREFIX-$name" "$@"
}

as_postgres() {
    local name=$1
    shift
    ip netns exec "$HOSTS_PREFIX-$name" runuser -u postgres -- "$@"
}

host_cut() { ip -n "$HOSTS_PREFIX-sw" link set "v-$1" down; }
host_mend() { ip -n "$HOSTS_PREFIX-sw" link set "v-$1" up; }

# hosts_pids NAME: the pids of every process in host NAME's namespace.
hosts_pids() { ip netns pids "$HOSTS_PREFIX-$1" 2>/dev/null || true; }

# hosts_tmpdir: a new folder /tmp/fq-ha.XXXXXX (printed), registered with
# the run (after hosts_create), for what must live outside the test's work
# folder (the formation's: the postgres user must reach it and its sockets'
# paths must stay short). The caller removes it; if the run is killed first,
# the next hosts_create does.
hosts_tmpdir() {
    local d
    d=$(mktemp -d /tmp/fq-ha.XXXXXX) || return 1
    echo "$d" >>"$HOSTS_RUNS/$HOSTS_PREFIX"
    echo "$d"
}

hosts_destroy() {
    local name p
    [ -n "$HOSTS_PREFIX" ] || return 0
    for name in "${HOSTS_NAMES[@]}"; do
        for p in $(hosts_pids "$name"); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$HOSTS_PREFIX-$name" 2>/dev/null || true
    done
    ip netns del "$HOSTS_PREFIX-sw" 2>/dev/null || true
    rm -f "$HOSTS_RUNS/$HOSTS_PREFIX"
    HOSTS_NAMES=()
}
