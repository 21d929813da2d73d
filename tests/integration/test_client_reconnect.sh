#!/usr/bin/env bash
# integ_client_reconnect: clients come back promptly however often the server
# restarted (docs/operations.md, "Clients with several addresses").
#
# One fq-report --stdin stays up while the server is restarted 20 times on
# the same address. Each time, a report is written to the client while the
# server is down (its REQ socket keeps trying to reconnect), the server is
# started after a random 0.2-0.8 s, and the time from the server binding its
# intake (its log line's timestamp) to the client printing the answer is
# taken. nanomsg doubled its reconnect interval after each failed attempt, so
# before fqc_prompt_reconnect the later restarts took seconds; the interval
# is now 50-150 ms, never growing. The median and the worst are logged; the
# test fails when the worst exceeds 2 s (ten times the interval's bound,
# generous for a loaded machine; with doubling the 20th restart took longer).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
RESTARTS=20

server_start
mkfifo "$WORK/in"
# The answers, each with the time the client printed it.
"$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" --url "$SERVER_URL" \
    --stdin --window 1 --timeout-ms 120000 <"$WORK/in" 2>"$WORK/client.err" |
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s%3N)" "$line"; done >"$WORK/out" &
BG_PIDS+=("$!")
exec 7>"$WORK/in"

send() { # N
    printf '{"category":"hazard.flood","severity":"III","risk":"medium","channel":"patrol","place_unit":"lingyin-v1-g1","title":"重启 %d","external_ref":"R-%05d"}\n' "$1" "$1" >&7
}

wait_answers() { # count seconds
    local until=$(($(now_ms) + $2 * 1000))
    while (($(now_ms) < until)); do
        [ "$(wc -l <"$WORK/out")" -ge "$1" ] && return 0
        sleep 0.01
    done
    fail "no answer $1 within $2 s: $(tail -n 2 "$WORK/client.err")"
}

log_ms() { # the epoch ms of a log line's ts=
    date -d "$(sed -E 's/^ts=([^ ]+).*/\1/' <<<"$1")" +%s%3N
}

send 1
wait_answers 1 30
latencies=()
for ((n = 2; n <= RESTARTS + 1; n++)); do
    server_stop
    send "$n"
    sleep "0.$((2 + RANDOM % 7))"
    KEEP_PORTS=1 server_start
    wait_answers "$n" 30
    bound=$(grep -m1 'msg="intake listening on' "$SERVER_LOG") || fail "no 'intake listening' line"
    answer=$(sed -n "${n}p" "$WORK/out")
    assert_match '"status":"ok"' "$answer" "answer $n"
    latencies+=($((${answer%% *} - $(log_ms "$bound"))))
done
sorted=$(printf '%s\n' "${latencies[@]}" | sort -n)
median=$(sed -n "$(((RESTARTS + 1) / 2))p" <<<"$sorted")
worst=$(tail -n 1 <<<"$sorted")
log "bound to first acknowledgement over $RESTARTS restarts (ms): median $median, worst $worst; all: ${latencies[*]}"
((worst <= 2000)) || fail "a restart was reached ${worst} ms after the server bound its intake"
exec 7>&-
server_stop
