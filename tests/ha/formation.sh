# shellcheck shell=bash
# tests/ha/formation.sh: a pg_auto_failover formation on the hosts of
# tests/ha/hosts.sh — a monitor on host mon, PostgreSQL nodes on db1 and db2
# (synchronous replication), every PostgreSQL and pg_autoctl run as the
# postgres user in folders it owns under $FORMATION_DIR (docs/ha.md).
#
#   formation_create DIR NET   monitor, db1 (primary), db2 (standby), the
#                              timers of docs/ha.md; the nodes trust NET
#                              (the hosts' /24). Returns once db1 is primary
#                              and db2 its synchronous standby.
#   formation_conninfo DB      the multi-host connection string of the
#                              database DB (fengqiaod's --db)
#   formation_states           "db1:primary db2:secondary" (reported states)
#   formation_wait_states WANT SECONDS   until formation_states is WANT
#   formation_primary          the node whose reported state is primary or
#                              wait_primary (empty if none)
#   formation_node_start NAME  (again) pg_autoctl run on db NAME: a node that
#                              died or was cut off rejoins as a standby
#   formation_kill NAME        SIGKILL every process of host NAME (the
#                              machine dies: PostgreSQL and its keeper)
#   monitor_q SQL              one statement on the monitor's database
FORMATION_PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
FORMATION_DIR=""
declare -A FORMATION_ADDR=()
# Each node its own port: their unix sockets share one folder
# ($FORMATION_DIR/sock), a path that is the same on every node, since
# pg_basebackup copies the primary's postgresql.conf to its standby (and
# pg_autoctl needs a socket: it runs PostgreSQL without TCP to recover it
# before pg_rewind).
declare -A FORMATION_PORT=([mon]=5431 [db1]=5433 [db2]=5434)

# The monitor's timers (pg_autoctl.5): how soon a dead primary is noticed
# and its standby promoted. Defaults 5000/5000/2/2000/20000/30000 ms: a
# failover in ~35 s. These bring it to a few seconds; docs/ha.md says why
# each is safe. A node counts as dead only when its health check fails and
# its keeper (reporting every second) has been silent for 1.5 s. The health
# check is two connection attempts (1 retry: the engine's least) of 1140 ms
# each, 20 ms apart: a live node is judged dead only by a stall of 2.3 s
# (the window of the earlier 2 × 1000 ms + 300 ms), and a cut-off one is
# judged after 2.32 s instead of 2.6 s — the engine waits the retry delay
# once more after the last attempt, so a long delay buys nothing there.
FORMATION_MONITOR_SETTINGS=(
    health_check_period=250
    health_check_timeout=1140
    health_check_max_retries=1
    health_check_retry_delay=20
    node_considered_unhealthy_timeout=1500
    primary_demote_timeout=1000
)
# The keepers': a primary that can reach neither the monitor nor its
# standby for this many seconds demotes itself (default 20).
FORMATION_NETWORK_PARTITION_TIMEOUT=2

formation_env() { # node: the environment of pg_autoctl on that node
    local d="$FORMATION_DIR/$1"
    echo "XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/share XDG_RUNTIME_DIR=$d/run" \
        "PG_CONFIG=$FORMATION_PGBIN/pg_config PGHOST=$FORMATION_DIR/sock PGPORT=${FORMATION_PORT[$1]}" \
        "PATH=$FORMATION_PGBIN:/usr/bin:/bin"
}

autoctl() { # node args...
    local node=$1
    shift
    # shellcheck disable=SC2046 # the words of formation_env
    as_postgres "$node" env $(formation_env "$node") pg_autoctl "$@"
}

monitor_q() {
    as_postgres mon "$FORMATION_PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$FORMATION_DIR/sock" \
        -p "${FORMATION_PORT[mon]}" \
        -d pg_auto_failover -c "$1"
}

# formation_initdb NODE NET: a cluster of our own making, so that its unix
# socket is in the formation's folder (the hosts share the file system: in
# /var/run/postgresql every run's sockets would meet) and the hosts' network
# may connect and replicate.
formation_initdb() {
    local data="$FORMATION_DIR/$1/data"
    as_postgres "$1" "$FORMATION_PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$FORMATION_DIR/$1.initdb.log" 2>&1 ||
        { cat "$FORMATION_DIR/$1.initdb.log" >&2; return 1; }
    cat >>"$data/postgresql.conf" <<CONF
unix_socket_directories = '$FORMATION_DIR/sock'
fsync = on
synchronous_commit = on
# pg_basebackup asks for a checkpoint: done at once, not spread over minutes.
checkpoint_completion_target = 0
# A peer that vanished (its host cut off) is noticed in ~3 s: its session,
# and the serving lock it holds, end.
tcp_keepalives_idle = 1
tcp_keepalives_interval = 1
tcp_keepalives_count = 2
tcp_user_timeout = 3000
wal_sender_timeout = 3s
wal_receiver_timeout = 3s
max_connections = 60
CONF
    printf 'host all all %s trust\nhost replication all %s trust\n' "$2" "$2" >>"$data/pg_hba.conf"
}

formation_create() {
    FORMATION_DIR=$1
    local net=$2 n s end
    mkdir -p "$FORMATION_DIR"
    chmod 755 "$FORMATION_DIR"
    for n in mon db1 db2; do mkdir -p "$FORMATION_DIR/$n"/{config,share,run}; done
    mkdir -p "$FORMATION_DIR/sock"
    chown -R postgres: "$FORMATION_DIR"
    FORMATION_ADDR[mon]=$(on mon ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }')
    FORMATION_ADDR[db1]=$(on db1 ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }')
    FORMATION_ADDR[db2]=$(on db2 ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }')
    formation_initdb mon "$net"
    formation_initdb db1 "$net"
    autoctl mon create monitor --pgdata "$FORMATION_DIR/mon/data" --pgport "${FORMATION_PORT[mon]}" \
        --hostname "${FORMATION_ADDR[mon]}" --auth trust --no-ssl >"$FORMATION_DIR/mon.create.log" 2>&1 ||
        { tail -n 20 "$FORMATION_DIR/mon.create.log" >&2; return 1; }
    autoctl mon run --pgdata "$FORMATION_DIR/mon/data" 2>&1 | formation_stamp >>"$FORMATION_DIR/mon.log" &
    end=$((SECONDS + 120))
    until monitor_q "SELECT 1" >/dev/null 2>&1 || ((SECONDS > end)); do sleep 0.5; done
    monitor_q "SELECT 1" >/dev/null || { tail -n 20 "$FORMATION_DIR/mon.log" >&2; return 1; }
    for s in "${FORMATION_MONITOR_SETTINGS[@]}"; do
        monitor_q "ALTER SYSTEM SET pgautofailover.${s%%=*} = ${s#*=}" >/dev/null
    done
    monitor_q "SELECT pg_reload_conf()" >/dev/null
    formation_node_create db1
    formation_wait_states "db1:single" 180 || return 1
    formation_node_create db2
    formation_wait_states "db1:primary db2:secondary" 600
}

formation_node_create() {
    local n=$1 mon_uri
    mon_uri="postgres://autoctl_node@${FORMATION_ADDR[mon]}:${FORMATION_PORT[mon]}/pg_auto_failover?sslmode=prefer"
    autoctl "$n" create postgres --pgdata "$FORMATION_DIR/$n/data" --pgport "${FORMATION_PORT[$n]}" --name "$n" \
        --hostname "${FORMATION_ADDR[$n]}" --monitor "$mon_uri" --auth trust --no-ssl \
        --dbname fengqiao >"$FORMATION_DIR/$n.create.log" 2>&1 ||
        { tail -n 20 "$FORMATION_DIR/$n.create.log" >&2; return 1; }
    autoctl "$n" config set --pgdata "$FORMATION_DIR/$n/data" timeout.network_partition_timeout \
        "$FORMATION_NETWORK_PARTITION_TIMEOUT" >/dev/null
    formation_node_start "$n"
}

# formation_stamp: each line of pg_autoctl's log with the time it was
# written, in ms since the epoch (pg_autoctl stamps whole seconds only, and
# a failover's steps are tenths of one apart: the timelines of
# tests/integration/test_failover.sh read these).
formation_stamp() {
    perl -MTime::HiRes=time -ne '$| = 1; printf "%.0f %s", time() * 1000, $_'
}

formation_node_start() {
    autoctl "$1" run --pgdata "$FORMATION_DIR/$1/data" 2>&1 | formation_stamp >>"$FORMATION_DIR/$1.log" &
}

# The machine dies at once: every process of the host is stopped before any
# is killed. Killing them one by one let pg_autoctl's supervisor, still
# alive, start PostgreSQL again after its postgres died (a pid the list did
# not hold): seen once, the "dead" primary came back without its keeper,
# writable, and fengqiaod connected to it beside the promoted standby. A
# stopped process forks nothing; the list is read again until it holds no
# process that is not stopped.
formation_kill() {
    local p stat again=1
    while ((again)); do
        again=0
        for p in $(hosts_pids "$1"); do
            stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
            stat=${stat##*) } # past the command's name, which may hold spaces
            case "${stat%% *}" in T | t | Z | X) continue ;; esac
            kill -STOP "$p" 2>/dev/null && again=1
        done
    done
    local killed
    killed=$(hosts_pids "$1")
    for p in $killed; do kill -KILL "$p" 2>/dev/null || true; done
    # Gone, not only signalled: a pg_autoctl started again while the killed
    # one was still in /proc (a kernel call that had not returned, or not yet
    # reaped) refused to run ("An instance of pg_autoctl is already running
    # with PID ...", seen under stress-ng), and the node never rejoined.
    local i left stat
    for ((i = 0; i < 300; i++)); do
        left=""
        for p in $killed; do
            stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
            stat=${stat##*) }
            [ "${stat%% *}" = Z ] || left="$left $p" # a zombie has ended
        done
        [ -n "$left" ] || break
        sleep 0.1
    done
    [ -z "$left" ] || echo "formation_kill $1: still running after 30 s:$left" >&2
    # A zombie (no one reaps it here) still answers kill(pid, 0), which is
    # how pg_autoctl tells a running instance by its pidfile: the pidfile
    # of a killed node goes with it.
    [ -z "${FORMATION_DIR:-}" ] || [ ! -d "$FORMATION_DIR/$1/run" ] ||
        find "$FORMATION_DIR/$1/run" -name pg_autoctl.pid -delete 2>/dev/null || true
}

formation_states() {
    monitor_q "SELECT string_agg(nodename || ':' || reportedstate, ' ' ORDER BY nodename) FROM pgautofailover.node" 2>/dev/null
}

formation_primary() {
    monitor_q "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary', 'single')
               AND goalstate IN ('primary', 'wait_primary', 'single') ORDER BY nodename LIMIT 1" 2>/dev/null
}

formation_wait_states() { # want seconds
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do
        [ "$(formation_states)" = "$1" ] && return 0
        sleep 0.25
    done
    echo "formation: not '$1' within $2 s: $(formation_states)" >&2
    return 1
}

formation_conninfo() {
    # The node that takes writes: fengqiaod tries both side by side, psql
    # and fengqiao-admin one after the other, giving up on a host that does
    # not answer after 2 s (connect_timeout); a connection whose peer
    # vanished ends after ~3 s (keepalives, tcp_user_timeout: docs/ha.md).
    echo "host=${FORMATION_ADDR[db1]},${FORMATION_ADDR[db2]} port=${FORMATION_PORT[db1]},${FORMATION_PORT[db2]}" \
        "dbname=$1 user=postgres" \
        "target_session_attrs=read-write connect_timeout=2 keepalives_idle=1 keepalives_interval=1" \
        "keepalives_count=2 tcp_user_timeout=3000"
}
