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

pg_sync_pair pg_failover

server_start
grep -q "comp=store msg=\"connected to PostgreSQL (host 127.0.0.1 port $PRIMARY_PORT)" "$SERVER_LOG" ||
    fail "the server did not connect to the primary: $(grep comp=store "$SERVER_LOG" | head -n 3)"

COUNT=2000
stream_input F "$COUNT" "$WORK/F.jsonl"
spawn_report lingyin-platform --stdin --window 16 --timeout-ms 60000 <"$WORK/F.jsonl" >"$WORK/F.out" 2>"$WORK/F.err"
client=$BG_PID
wait_lines "$WORK/F.out" 300 120
pid_alive "$client" || fail "the stream finished before the failover"
log "failing over after $(wc -l <"$WORK/F.out") answers"
pg_fail_over
wait_match "$SERVER_LOG" "comp=store msg=\"connected to PostgreSQL \\(host 127.0.0.1 port $REPLICA_PORT\\)" 60 "the server"
log "the server connected to the new primary $(($(now_ms) - FAILED_OVER_AT)) ms after the primary stopped"
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
