#!/usr/bin/env bash
# pg_private.sh: a private PostgreSQL cluster for tests, benchmarks and the demo.
#
#   tests/pg_private.sh start DIR   initdb (once; or a copy) and start; prints the conninfo
#   tests/pg_private.sh stop DIR    fast shutdown (no error if not running)
#   tests/pg_private.sh kill DIR    immediate shutdown (crash-like)
#   tests/pg_private.sh conninfo DIR
#
# The cluster listens on a unix socket inside DIR and on a free TCP port of
# 127.0.0.1 only. PostgreSQL refuses to run as root, so when we are root it runs
# as the `postgres` user, and DIR is handed to that user. fsync stays on: what
# we measure and test is durable.
#
# PG_PRIVATE_TEMPLATE=TDIR (the integration tests set it): a new cluster is a
# copy of the data folder initdb made once in TDIR (per PostgreSQL binaries;
# concurrent starts wait for the first), not an initdb of its own: a copy
# takes 0.4 s of CPU and under a second, initdb 0.7 s and two seconds, more on
# a busy machine. Clusters copied from one template share its system
# identifier, which matters only to replication between them (a replica is
# made with pg_basebackup from its primary, not from the template).
set -euo pipefail

cmd=${1:?usage: pg_private.sh start|stop|kill|conninfo DIR}
dir=${2:?usage: pg_private.sh start|stop|kill|conninfo DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "pg_private: no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# owned_folder D: D (made if missing) for the cluster's user; when we are root
# that is `postgres`, who must be able to reach D: every folder above it that
# lacks it gets the search (x) bit for others — not the read bit, so nothing
# becomes listable. A checkout under /root needs this.
owned_folder() {
    local p
    mkdir -p "$1"
    [ "$(id -u)" = 0 ] || return 0
    chown postgres: "$1"
    chmod 700 "$1"
    p=$(dirname "$1")
    while [ "$p" != / ]; do
        [ -n "$(find "$p" -maxdepth 0 -perm -o=x)" ] || chmod o+x "$p"
        p=$(dirname "$p")
    done
}

# initdb_into DATA LOG
initdb_into() {
    as_owner "$bindir/initdb" -D "$1" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$2" 2>&1 ||
        { cat "$2" >&2; exit 1; }
}

# new_data: $data made, by initdb or as a copy of PG_PRIVATE_TEMPLATE's.
new_data() {
    local t=${PG_PRIVATE_TEMPLATE:-}
    if [ -z "$t" ]; then
        initdb_into "$data" "$dir/initdb.log"
        return 0
    fi
    owned_folder "$t"
    (
        flock 9
        if [ "$(cat "$t/made-by" 2>/dev/null)" != "$bindir" ] || [ ! -f "$t/data/PG_VERSION" ]; then
            rm -rf "$t/data" "$t/data.new"
            initdb_into "$t/data.new" "$t/initdb.log"
            mv "$t/data.new" "$t/data"
            echo "$bindir" >"$t/made-by"
        fi
        # cp -a keeps the owner (postgres) and the folder's mode (0700).
        cp -a "$t/data" "$data"
    ) 9>"$t/lock"
}

free_port() {
    python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# 0 when PORT on 127.0.0.1 can be bound now.
port_is_free() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

conninfo() {
    echo "host=$dir port=$(cat "$dir/port") dbname=fengqiao user=fengqiao"
}

case "$cmd" in
start)
    owned_folder "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$data" # what an initdb or copy cut short left
        new_data
        cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
# The shared cluster serves up to eight tests at once (ctest -j), each with
# one to three servers of four or five sessions (writes, console reads,
# lookups, the open incidents' loaders), its psql and admin commands.
max_connections = 200
shared_buffers = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
logging_collector = off
CONF
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        # A restarted cluster keeps its port, so that clients holding the old
        # conninfo (a running server) reconnect to it.
        port=""
        if [ -f "$dir/port" ]; then
            port=$(cat "$dir/port")
            case "$port" in
            '' | *[!0-9]*) port="" ;;
            *) port_is_free "$port" || port="" ;;
            esac
        fi
        [ -n "$port" ] || port=$(free_port)
        echo "$port" >"$dir/port"
        chmod 644 "$dir/port" 2>/dev/null || true
        as_owner "$bindir/pg_ctl" -D "$data" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$dir/server.log" >&2; exit 1; }
        as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAtc \
            "SELECT 1 FROM pg_roles WHERE rolname='fengqiao'" | grep -q 1 \
            || as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qc "CREATE ROLE fengqiao LOGIN SUPERUSER"
        as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAtc \
            "SELECT 1 FROM pg_database WHERE datname='fengqiao'" | grep -q 1 \
            || as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE fengqiao OWNER fengqiao"
    fi
    conninfo
    ;;
stop)
    # The shutdown checkpoint writes every test's databases: on a loaded
    # machine that outlasts pg_ctl's default wait of 60 s (a ceiling, not a
    # measurement).
    [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 240 stop >/dev/null 2>&1 || true
    ;;
kill)
    [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
conninfo)
    conninfo
    ;;
*)
    echo "pg_private.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
