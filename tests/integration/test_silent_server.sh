#!/usr/bin/env bash
# integ_silent_server: a serving fengqiaod whose host goes silent — its TCP
# connections stay open but nothing answers (a cut network: nanomsg sets no
# keepalive, so the clients see no error) — while a standby takes over
# (docs/operations.md, "Clients with several addresses"; docs/ha.md, app_cut).
#
#  A serves, B waits (--if-locked wait); fq-report streams reports with both
#  addresses. A is stopped (SIGSTOP: its sockets open, its process silent)
#  and its PostgreSQL session ended, as the server's keepalives end the
#  session of a cut-off host, so the serving lock goes to B. Reports in
#  flight to A are sent again on a socket opened afresh once unanswered for
#  FQC_ANSWER_WAIT_MS (3 s): the stream finishes against B well before
#  nanomsg's own resend (35 s) would have moved them. Then: every
#  acknowledged report stored once under its id, the chain verifies, and A,
#  let run again, finds the lock taken and goes back to standing by without
#  binding (no split brain).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

COUNT=400
stream_input C "$COUNT" "$WORK/C.jsonl"

server_start --if-locked wait
A_PID=$SERVER_PID
A_URL=$SERVER_URL
A_LOG=$SERVER_LOG

second_server_start standby --if-locked wait
wait_match "$B_LOG" 'another fengqiaod is serving this database .*waiting until it stops' 30 "server B"

# A paced stream (about 50 reports a second, up to 8 in flight): it is still
# running when A falls silent, and sends to A's connections after it.
spawn_report lingyin-platform --url "$B_URL" --stdin --window 8 --timeout-ms 120000 \
    < <(paced "$WORK/C.jsonl") >"$WORK/C.out" 2>"$WORK/C.err"
client=$BG_PID
for ((i = 0; i < 120 * 50; i++)); do
    [ "$(ok_lines "$WORK/C.out")" -ge 50 ] && break
    sleep 0.02
done
[ "$(ok_lines "$WORK/C.out")" -ge 50 ] || fail "A acknowledged fewer than 50 reports in 120 s"
pid_alive "$client" || fail "the stream finished before A could be silenced"
[ "$(ok_lines "$WORK/C.out")" -lt $((COUNT - 100)) ] || fail "the stream was almost done before A could be silenced"

kill -STOP "$A_PID"
silent_at=$(now_ms)
acked_before=$(ok_lines "$WORK/C.out")
holder=$(q "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 2941144115 AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
[ -n "$holder" ] || fail "no session holds the serving lock while A serves"
q "SELECT pg_terminate_backend($holder)" >/dev/null
log "A silent after $acked_before acknowledgements; its session (backend $holder) ended"

rc=0
SERVER_PID=$B_PID SERVER_LOG=$B_LOG wait_client "$client" 120 || rc=$?
done_ms=$(($(now_ms) - silent_at))
kill -CONT "$A_PID" # from here on A runs (and the cleanup can stop it)
tail -n 3 "$WORK/C.err" >&2
[ "$rc" = 0 ] || fail "fq-report exit status $rc ($(tail -n 1 "$WORK/C.err"))"
assert_eq "$COUNT" "$(ok_lines "$WORK/C.out")" "reports acknowledged"
log "the stream finished ${done_ms} ms after A fell silent (B ready: $([ -s "$B_READY" ] && echo yes))"
# Reports were in flight to A when it fell silent (sent again: attempts > 1),
# and none waited for nanomsg's own resend (FQC_SYNC_RESEND_IVL_MS, 35 s),
# which is what moved a request off a silent server before.
moved=$(jq -r 'select(.attempts > 1) | .line' "$WORK/C.out" | wc -l)
slowest=$(jq -r '.latency_ms' "$WORK/C.out" | sort -n | tail -n 1)
log "$moved reports sent again; the slowest answered after ${slowest} ms"
[ "$moved" -gt 0 ] || fail "no report was in flight to A when it fell silent: the test saw nothing"
[ "${slowest%.*}" -lt 30000 ] ||
    fail "a report waited ${slowest} ms: requests waited on the silent server"

check_acked_stored C "$WORK/C.out"
assert_eq "$COUNT|$COUNT" "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE 'C-%'")" \
    "incidents: each report once"
out=$(admin verify) || fail "the history chain does not verify after the take-over: $out"

# A runs again: its session is gone and B holds the lock, so it stops
# serving and stands by; nothing of A listens any more.
wait_match "$A_LOG" 'starts again as a standby' 60 "server A"
line=$("$FQ_RAW_PEER" --url "$A_URL" --node lingyin-platform --key-file "$(key_of lingyin-platform)" \
    --timeout-ms 1500 report --title 旧主 2>/dev/null)
assert_eq no_reply "$line" "a report to A alone once it stands by (nothing bound)"

kill -TERM "$B_PID" "$A_PID"
wait_for_pid "$B_PID" 20 || true
wait_for_pid "$A_PID" 20 || true
SERVER_PID=""
