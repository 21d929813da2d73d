#!/usr/bin/env bash
# pg_private.sh: a private PostgreSQL cluster for tests, benchmarks and the demo.
#
#   tests/pg_private.sh start DIR   initdb (once) and start; prints the conninfo
#   tests/pg_private.sh stop DIR    fast shutdown (no error if not running)
#   tests/pg_private.sh kill DIR    immediate shutdown (crash-like)
#   tests/pg_private.sh conninfo DIR
#
# The cluster listens on a unix socket inside DIR and on a free TCP port of
# 127.0.0.1 only. PostgreSQL refuses to run as root, so when we are root it runs
# as the `postgres` user, and DIR is handed to that user. fsync stays on: what
# we measure and test is durable.
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
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        chmod 700 "$dir"
        # The postgres user must be able to reach DIR: give every folder above
        # it that lacks it the search (x) bit for others — not the read bit,
        # so nothing becomes listable. A checkout under /root needs this.
        p=$(dirname "$dir")
        while [ "$p" != / ]; do
            [ -n "$(find "$p" -maxdepth 0 -perm -o=x)" ] || chmod o+x "$p"
            p=$(dirname "$p")
        done
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 50
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
