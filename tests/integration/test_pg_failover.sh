#!/usr/bin/env bash
# integ_pg_failover: fengqiaod follows the primary (docs/operations.md,
# "Following the primary"). Runs two clusters of its own: a primary and a
# streaming replica that is synchronous (synchronous_standby_names), as an
# HA engine would set them up.
#
# The server's conninfo lists both (target_session_attrs=read-write). Under a
# stream of 2,000 reports the primary is stopped in immediate mode (a crash:
# no shutdown checkpoint, sessions cut) and the replica promoted. The server
# reconnects to the new primary (libpq tries the list and takes the one that
# accepts writes), claims the serving lock there, reads the heads again and
# goes on. Then, on the new primary: every report the client saw
# acknowledged is stored exactly once under the acknowledged id; sending the
# whole input again acknowledges every line without a new incident for the
# acknowledged ones; the history chain verifies.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

PRIMARY="$FQ_WORK_ROOT/pg_failover.primary"
REPLICA="$FQ_WORK_ROOT/pg_failover.replica"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
replica_stop() {
    # Not running (an interrupted run's leftovers) is fine: pg_ctl's failure
    # must not end the test under set -e.
    if [ -f "$REPLICA/data/PG_VERSION" ]; then
        as_postgres "$bindir/pg_ctl" -D "$REPLICA/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}
"$PG_PRIVATE" kill "$PRIMARY" # left running by an interrupted run?
replica_stop
rm -rf "$PRIMARY" "$REPLICA"
"$PG_PRIVATE" start "$PRIMARY" >/dev/null
CLEANUPS+=("\"\$PG_PRIVATE\" kill \"\$PRIMARY\"" "replica_stop")
db_create "$PRIMARY"
setup_world
primary_port=$(cat "$PRIMARY/port")

# ---- the replica: a base backup streaming from the primary, synchronous ----
replica_port=$(free_port)
mkdir -p "$REPLICA"
[ "$(id -u)" != 0 ] || chown postgres: "$REPLICA"
chmod 700 "$REPLICA"
as_postgres "$bindir/pg_basebackup" -h "$PRIMARY" -p "$primary_port" -U postgres -D "$REPLICA/data" \
    -X stream -c fast -R >"$REPLICA/basebackup.log" 2>&1 || fail "pg_basebackup: $(tail -n 3 "$REPLICA/basebackup.log")"
cat >>"$REPLICA/data/postgresql.auto.conf" <<CONF
unix_socket_directories = '$REPLICA'
primary_conninfo = 'host=$PRIMARY port=$primary_port user=postgres application_name=fqreplica'
CONF
as_postgres "$bindir/pg_ctl" -D "$REPLICA/data" -o "-p $replica_port" -l "$REPLICA/server.log" -w -t 120 start >/dev/null ||
    fail "the replica did not start: $(tail -n 5 "$REPLICA/server.log")"
psql -X -q -d "host=$PRIMARY port=$primary_port dbname=postgres user=postgres" \
    -c "ALTER SYSTEM SET synchronous_standby_names = 'fqreplica'" -c "SELECT pg_reload_conf()" >/dev/null
sync_state() { psql -X -qAt -d "host=$PRIMARY port=$primary_port dbname=postgres user=postgres" \
    -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'fqreplica'"; }
for ((i = 0; i < 600; i++)); do
    [ "$(sync_state)" = sync ] && break
    sleep 0.1
done
assert_eq sync "$(sync_state)" "the replica's replication state"

FQ_DB="host=127.0.0.1,127.0.0.1 port=$primary_port,$replica_port dbname=test_$FQ_TEST_NAME user=fengqiao target_session_attrs=read-write"
export FQ_DB

server_start
grep -q "comp=store msg=\"connected to PostgreSQL (host 127.0.0.1 port $primary_port)" "$SERVER_LOG" ||
    fail "the server did not connect to the primary: $(grep comp=store "$SERVER_LOG" | head -n 3)"

COUNT=2000
stream_input F "$COUNT" "$WORK/F.jsonl"
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 60000 <"$WORK/F.jsonl" >"$WORK/F.out" 2>"$WORK/F.err"
client=$BG_PID
wait_lines "$WORK/F.out" 300 120
pid_alive "$client" || fail "the stream finished before the failover"
"$PG_PRIVATE" kill "$PRIMARY"
down_at=$(now_ms)
as_postgres "$bindir/pg_ctl" -D "$REPLICA/data" -w -t 60 promote >/dev/null || fail "the replica was not promoted"
log "primary stopped (immediate) after $(wc -l <"$WORK/F.out") answers; replica promoted after $(($(now_ms) - down_at)) ms"
wait_match "$SERVER_LOG" "comp=store msg=\"connected to PostgreSQL \\(host 127.0.0.1 port $replica_port\\)" 60 "the server"
log "the server connected to the new primary $(($(now_ms) - down_at)) ms after the primary stopped"
wait_present "$(server_ready_file)" 60 "the server ready on the new primary"

rc=0
wait_client "$client" 180 || rc=$?
tail -n 3 "$WORK/F.err" >&2
stream_finished "$rc" "$COUNT" "$WORK/F.out" "the stream"

# On the new primary: nothing acknowledged lost or doubled.
check_stream F "$COUNT" "$WORK/F.jsonl" "$WORK/F.out" --url "$SERVER_URL" --window 16 --timeout-ms 60000
out=$(admin verify) || fail "the history chain does not verify on the new primary: $out"
log "verify: $(grep -E 'verified [0-9]+ events' <<<"$out")"
server_stop
