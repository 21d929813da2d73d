#!/usr/bin/env bash
# integ_refusals: every kind of refusal gets the right status, signed or not
# as the spec says, a clear message, stores nothing in incidents or events,
# and leaves exactly one row in rejected_requests (status, claimed node,
# message id, reason, frame size and BLAKE2b-256 digest of the frame).
# Revoking a node takes effect on the running server within about a second.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
server_start

UNAUTH_MSG='unknown or revoked sender, or the MAC does not verify'
CASES=0

stored() { q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM events WHERE kind = 'reported')"; }

# expect_raw NAME STATUS SIGNED MESSAGE_REGEX ID_ARGS... -- REPORT_ARGS...
# Sends one hand-made frame with fq_raw_peer and checks the reply, that
# nothing was stored, and the audit row (found by the frame's digest).
expect_raw() {
    local name=$1 status=$2 signed=$3 regex=$4 id_args=() node="" line before mid digest size
    shift 4
    while [ "$1" != -- ]; do id_args+=("$1"); shift; done
    shift
    for ((i = 0; i < ${#id_args[@]}; i++)); do
        [ "${id_args[$i]}" = --node ] && node=${id_args[$((i + 1))]}
    done
    # A frame refused before its envelope is trusted (steps 1-2) is audited
    # without a claimed node.
    [ "$status/$signed" != invalid/0 ] || node=""
    before=$(stored)
    line=$("$FQ_RAW_PEER" --url "$SERVER_URL" "${id_args[@]}" report --save "$WORK/$name.bin" "$@" 2>/dev/null)
    log "$name: $line"
    assert_match "^reply status=$status signed=$signed " "$line" "$name: reply"
    assert_match "$regex" "$(reply_field "$line" message)" "$name: message"
    assert_eq "$before" "$(stored)" "$name: incidents/events"
    mid=$(reply_field "$line" message_id)
    # The audit keeps message ids only in 1 .. 2^63-1 (a bigint).
    python3 -c 'import sys; sys.exit(0 if 1 <= int(sys.argv[1]) < 2**63 else 1)' "$mid" || mid=""
    digest=$(blake2b_hex "$WORK/$name.bin")
    size=$(stat -c %s "$WORK/$name.bin")
    wait_q "SELECT endpoint, status, claimed_node, coalesce(message_id::text, ''), reason, frame_bytes
            FROM rejected_requests WHERE frame_digest = '\\x$digest'" \
        "intake|$status|$node|$mid|$(reply_field "$line" message)|$size"
    CASES=$((CASES + 1))
}

# expect_report NAME STATUS MESSAGE_REGEX NODE FQ-REPORT-FLAGS...: the same
# through fq-report (exit 1, message on stderr); the audit row is found by
# claimed node and message id.
expect_report() {
    local name=$1 status=$2 regex=$3 node=$4 rc=0 err before mid reason
    shift 4
    before=$(stored)
    err=$(report "$node" "$@" 2>&1 >/dev/null) || rc=$?
    log "$name: exit $rc: $err"
    assert_eq 1 "$rc" "$name: fq-report exit status"
    assert_match "^fq-report: $status: " "$err" "$name: status"
    reason=$(sed -E "s/^fq-report: $status: (.*) \(message id [0-9]+\)$/\1/" <<<"$err")
    assert_match "$regex" "$reason" "$name: message"
    assert_eq "$before" "$(stored)" "$name: incidents/events"
    mid=$(sed -E 's/.*\(message id ([0-9]+)\)$/\1/' <<<"$err")
    wait_q "SELECT status, reason FROM rejected_requests WHERE claimed_node = '$node' AND message_id = $mid" \
        "$status|$reason"
    CASES=$((CASES + 1))
}

L=(--node lingyin-platform --key-file "$(key_of lingyin-platform)")
ok_flags=(--category dispute.neighbour --severity IV --risk low --channel hotline --place lingyin)

# ---- authentication (unsigned replies, one message for all) ----
expect_raw bad_mac unauthenticated 0 "^$UNAUTH_MSG\$" "${L[@]}" -- --bad-mac
expect_raw no_mac unauthenticated 0 "^$UNAUTH_MSG\$" "${L[@]}" -- --no-mac
expect_raw unknown_node unauthenticated 0 "^$UNAUTH_MSG\$" --node ghost-node --random-key --
expect_raw wrong_key unauthenticated 0 "^$UNAUTH_MSG\$" --node lingyin-platform --random-key --

# ---- revocation while the server runs ----
out=$(report spare-platform "${ok_flags[@]}" --title 撤销前的报告)
assert_match '^incident [0-9]+ ' "$out" "spare-platform before revocation"
revoke_started=$(now_ms)
admin node revoke spare-platform >/dev/null
t0=$(now_ms)
S=(--node spare-platform --key-file "$(key_of spare-platform)")
# Probes until one is refused. The revocation takes effect with the
# directory the server reloads on the database's notification: a probe sent
# after that reload (its log line's time, on the same clock) and accepted
# shows the revocation late. How long a probe takes to start and be
# answered (fq_raw_peer under ASan, on a busy machine) shows nothing, so the
# time that counts is when each accepted probe started.
last_ok=-1
while :; do
    sent=$(now_ms)
    line=$("$FQ_RAW_PEER" --url "$SERVER_URL" "${S[@]}" report 2>/dev/null)
    [[ $line == "reply status=unauthenticated "* ]] && break
    assert_match '^reply status=ok ' "$line" "spare-platform while the revocation propagates"
    last_ok=$sent
    (($(now_ms) - t0 < 30000)) || fail "revocation not in effect 30 s after 'node revoke'"
    sleep 0.05
done
elapsed=$(($(now_ms) - t0))
CASES=$((CASES + 1)) # the refused probe is audited too
# The first reload logged after 'node revoke' began.
reload_ms=""
while read -r ts; do
    ms=$(date -d "$ts" +%s%3N)
    ((ms >= revoke_started)) && { reload_ms=$ms; break; }
done < <(grep "comp=directory msg=\"[0-9]* units" "$SERVER_LOG" | sed -E 's/^ts=([^ ]+) .*/\1/')
[ -n "$reload_ms" ] || fail "no directory reload logged after the revocation"
log "revocation in effect after $elapsed ms: directory reloaded $((reload_ms - revoke_started)) ms after 'node revoke' began ($((t0 - revoke_started)) ms for the command); the last probe accepted was sent at $((last_ok < 0 ? -1 : last_ok - t0)) ms"
((last_ok < reload_ms)) || fail "a probe sent $((last_ok - reload_ms)) ms after the reload of the directory was accepted"
# About a second here; 10 s is for a machine under stress with the sanitizers.
((reload_ms - revoke_started <= 10000)) || fail "the directory was reloaded $((reload_ms - revoke_started)) ms after the revocation began"
# Reports acknowledged while the revocation propagated are fine; count from here.
expect_raw revoked_node unauthenticated 0 "^$UNAUTH_MSG\$" "${S[@]}" --
expect_report revoked_node_fq_report unauthenticated "^$UNAUTH_MSG\$" spare-platform "${ok_flags[@]}" --title 撤销后的报告

# ---- checks after authentication (signed replies) ----
expect_raw stale_past stale 1 '^sent_at_ms -?[0-9]+ is more than 120000 ms away from the server clock [0-9]+; re-sign' \
    "${L[@]}" -- --sent-at-offset-ms -600000
expect_raw stale_future stale 1 '^sent_at_ms [0-9]+ is more than 120000 ms away' "${L[@]}" -- --sent-at-offset-ms 600000
expect_raw schema_2 unsupported 1 '^schema version 2 is not supported; this server speaks 1$' "${L[@]}" -- --schema 2
expect_raw schema_0 unsupported 1 '^schema version 0 is not supported' "${L[@]}" -- --schema 0
expect_raw no_body unsupported 1 'accepts only report_incident' "${L[@]}" -- --no-body
expect_raw message_id_0 invalid 1 '^message_id must be between 1 and 2\^63-1$' "${L[@]}" -- --message-id 0
expect_raw message_id_2_63 invalid 1 '^message_id must be between 1 and 2\^63-1$' "${L[@]}" -- --message-id 9223372036854775808
loads=$(directory_loads)
add_node lingyin-console console lingyin
wait_directory_reload "$loads" # the server knows the node from its next directory
expect_raw console_role forbidden 1 '^a console node may not report incidents$' \
    --node lingyin-console --key-file "$(key_of lingyin-console)" --

# ---- jurisdiction and places ----
expect_report outside_town forbidden '^place_unit beishan-v1 is outside the jurisdiction of lingyin-platform \(lingyin\)$' \
    lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline --place beishan-v1 --title 越界
expect_report outside_grid forbidden '^place_unit lingyin-v2 is outside the jurisdiction of lingyin-g1-node' \
    lingyin-g1-node --category dispute.neighbour --severity IV --risk low --channel patrol --place lingyin-v2 --title 越界
expect_report outside_terminal forbidden '^place_unit lingyin-v2 is outside the jurisdiction of lingyin-terminal' \
    lingyin-terminal --category dispute.neighbour --severity IV --risk low --channel patrol --place lingyin-v2 --title 越界
expect_report unknown_place invalid '^place_unit nowhere is not a known unit$' \
    lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline --place nowhere --title 无此地
expect_report bad_place_id invalid 'place_unit' \
    lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline --place 'Not An Id' --title 无此地

# ---- invalid fields (signed: the sender is known) ----
expect_raw severity_0 invalid 1 '^severity must be I, II, III or IV \(1-4\), got 0$' "${L[@]}" -- --severity 0
expect_raw severity_9 invalid 1 '^severity .* got 9$' "${L[@]}" -- --severity 9
expect_raw risk_0 invalid 1 '^risk must be low, medium or high \(1-3\), got 0$' "${L[@]}" -- --risk 0
expect_raw channel_7 invalid 1 '^channel must be 1-6, got 7$' "${L[@]}" -- --channel 7
expect_raw title_utf8 invalid 1 '^title is not valid UTF-8$' "${L[@]}" -- --title-hex e781b5ff41
expect_raw title_empty invalid 1 '^title is required$' "${L[@]}" -- --title ''
expect_raw category_bad invalid 1 '^category must be' "${L[@]}" -- --category 'Dispute!'
expect_raw location_0_0 invalid 1 '^location \(0, 0\)' "${L[@]}" -- --lon 0 --lat 0
expect_raw location_range invalid 1 '^location must have lon in' "${L[@]}" -- --lon 200 --lat 30
expect_raw occurred_future invalid 1 '^occurred_at_ms is in the future$' "${L[@]}" -- --occurred-ms "$(($(now_ms) + 3600000))"
expect_raw occurred_1999 invalid 1 '^occurred_at_ms is before 2000-01-01$' "${L[@]}" -- --occurred-ms 915148800000
long_title=$(printf '长%.0s' $(seq 201))
expect_report title_too_long invalid '^title is 201 characters long; at most 200 are allowed$' \
    lingyin-platform "${ok_flags[@]}" --title "$long_title"
expect_report title_newline invalid '^title contains a control character \(U\+000A\)$' \
    lingyin-platform "${ok_flags[@]}" --title $'第一行\n第二行'
expect_report phone_letters invalid '^reporter_phone may hold only digits' \
    lingyin-platform "${ok_flags[@]}" --title 电话 --reporter-phone 'call me'
expect_report description_too_long invalid '^description is 4001 characters long' \
    lingyin-platform "${ok_flags[@]}" --title 描述 --description "$(printf 'x%.0s' $(seq 4001))"

# ---- frames that do not decode or are not canonical (unsigned) ----
# A duplicated schema_version field makes the envelope re-encode shorter.
expect_raw non_canonical invalid 0 '^malformed request: envelope does not re-encode to its own bytes' \
    "${L[@]}" -- --append-hex 0801
printf 'this is not a protobuf frame \377\377' >"$WORK/junk.bin"
line=$(raw - replay "$WORK/junk.bin" --times 1)
log "junk: $line"
assert_match '^reply status=invalid signed=0 message_id=0 incident=0 .* message=malformed request: frame is not a valid SignedRequest' \
    "$line" "junk frame"
wait_q "SELECT status, claimed_node, message_id IS NULL, frame_bytes FROM rejected_requests
        WHERE frame_digest = '\\x$(blake2b_hex "$WORK/junk.bin")'" "invalid||t|$(stat -c %s "$WORK/junk.bin")"
CASES=$((CASES + 1))

# ---- totals: one audit row per refusal, nothing else stored ----
assert_eq 1 "$(q "SELECT count(*) FROM incidents")" "incidents (only spare-platform's before its revocation)"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE kind = 'reported'")" "reported events"
wait_q "SELECT count(*) FROM rejected_requests" "$CASES"
# Refusals that came before authentication are unsigned, and the same for an
# unknown node, a revoked node and a bad MAC: nothing to probe node ids with.
assert_eq 1 "$(q "SELECT count(DISTINCT reason) FROM rejected_requests WHERE status = 'unauthenticated'")" \
    "distinct reasons for unauthenticated"
log "$CASES refusals checked"
server_stop
