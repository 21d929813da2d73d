#!/usr/bin/env bash
# integ_read_isolation: the console's reads have their own connection with a
# statement timeout (fengqiaod --read-timeout-ms), so a heavy read never
# holds the intake up (docs/operations.md, "Reads").
#
# The statistics function is made heavy for this database (a 60 s pg_sleep
# in front of the real figures), and a console asks for statistics through
# the real read path. While that read is running in PostgreSQL, 300 reports
# are sent: every one is acknowledged while the read is still running, and
# no watchdog reconnect shows in the log. The read is then cancelled by its
# statement timeout and the console gets a BUSY answer that says so — never
# a dropped request — and the read connection keeps serving.
# Before the fix the read ran on the write connection inside its
# transactions: the reports waited behind it until the 30 s watchdog
# dropped the connection.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# The read must outlast the reports however loaded the machine (CI at a load
# of 30 took longer than 20 s to acknowledge 500 under ASan; 219 ms when
# quiet) and end before the server gives a read up as unanswered (30 s).
READ_TIMEOUT_MS=${READ_TIMEOUT_MS:-25000}
N_REPORTS=300

db_create
setup_world
add_node ops console xihu
# Before the server starts: its statements are prepared against this.
q "ALTER FUNCTION fq_meeting_stats(timestamptz, timestamptz, text, text) RENAME TO fq_meeting_stats_fast;
   CREATE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text, within text)
   RETURNS TABLE (
       grp text, received bigint, acknowledged bigint, acknowledged_on_time bigint,
       concluded bigint, concluded_on_time bigint, overdue bigint, returned bigint,
       redone bigint, escalated bigint, village_share numeric,
       ack_mean_s numeric, ack_p90_s numeric, conclude_mean_s numeric, conclude_p90_s numeric,
       pending_over_1d bigint, pending_over_3d bigint, pending_over_7d bigint,
       pending_over_30d bigint, suspended bigint, suspended_now bigint,
       suspended_mean_s numeric)
   LANGUAGE plpgsql STABLE AS \$\$
   BEGIN
       PERFORM pg_sleep(60);
       RETURN QUERY SELECT * FROM fq_meeting_stats_fast(\$1, \$2, \$3, \$4);
   END \$\$" >/dev/null
server_start --dedup-window-min 0 --read-timeout-ms "$READ_TIMEOUT_MS"

con() { # node args...
    local node=$1
    shift
    "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$node" --key-file "$(key_of "$node")" "$@"
}
heavy_active() {
    q "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active'
       AND query LIKE '%fq_meeting_stats%'"
}

now=$(now_ms)
con ops --timeout-ms 90000 stats $((now - 86400000)) "$now" town >"$WORK/heavy.out" 2>"$WORK/heavy.err" &
HEAVY=$!
BG_PIDS+=("$HEAVY")
for ((i = 0; i < 600; i++)); do
    [ "$(heavy_active)" = 1 ] && break
    sleep 0.05
done
assert_eq 1 "$(heavy_active)" "the heavy read is running in PostgreSQL"
log "the heavy read is running; reporting $N_REPORTS incidents"

python3 - "$N_REPORTS" >"$WORK/reports.jsonl" <<'EOF'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"category": "dispute.neighbour", "severity": "IV", "risk": "low",
                      "channel": "hotline", "place_unit": "lingyin-v1-g1",
                      "title": "读写分离 %d" % i, "external_ref": "RW-%d" % i}, ensure_ascii=False))
EOF
started=$(now_ms)
report lingyin-platform --stdin --window 32 --timeout-ms 60000 <"$WORK/reports.jsonl" \
    >"$WORK/reports.out" || fail "not every report was acknowledged: $(grep -v '"ok"' "$WORK/reports.out" | head -n 3)"
took=$(($(now_ms) - started))
assert_eq "$N_REPORTS" "$(grep -c '"status":"ok"' "$WORK/reports.out")" "every report acknowledged"
# The acknowledgements came while the read was still running.
assert_eq 1 "$(heavy_active)" "the heavy read still runs after the last acknowledgement"
pid_alive "$HEAVY" || fail "the console's read was answered before the reports were acknowledged"
assert_eq "$N_REPORTS" "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'RW-%'")" \
    "every report stored"
log "$N_REPORTS reports acknowledged in $took ms while the heavy read ran"

# The read: cancelled by its statement timeout, answered BUSY with the reason.
wait_client "$HEAVY" 90 && fail "the heavy read was answered OK: $(cat "$WORK/heavy.out")"
assert_eq busy "$(jq -r .status "$WORK/heavy.out")" "the heavy read: status"
assert_match "longer than $READ_TIMEOUT_MS ms" "$(jq -r .message "$WORK/heavy.out")" "the heavy read: why"
# The read connection keeps serving; the write connection was never lost.
out=$(con ops roster 2>&1) || fail "a read after the cancelled one: $out"
grep -q "comp=reads msg=\"connected to PostgreSQL (.*; statement_timeout $READ_TIMEOUT_MS ms)" "$SERVER_LOG" ||
    fail "no reads connection in the log"
if grep -E "lost PostgreSQL|no answer from PostgreSQL" "$SERVER_LOG" >&2; then
    fail "a connection was lost while the read ran"
fi

# The same on the write connection: a report PostgreSQL refuses is answered
# with its error, and the reports after it are stored (before the fix the
# failed transaction stayed open and every later batch failed 25P02 until
# they were answered INTERNAL).
q "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN IF NEW.title = 'REFUSE-ME' THEN RAISE EXCEPTION 'refused for the test'; END IF;
   RETURN NEW; END \$\$;
   CREATE TRIGGER refuse_marked BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION refuse_marked()" >/dev/null
out=$(report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place lingyin-v1-g1 --title REFUSE-ME --external-ref RW-REFUSED 2>&1) && fail "the marked report was stored: $out"
assert_match 'refused for the test' "$out" "the refused report: why"
for i in 1 2 3; do
    report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
        --place lingyin-v1-g1 --title "after the refusal $i" --external-ref "RW-AFTER-$i" --quiet ||
        fail "report $i after the refused one"
done
assert_eq 3 "$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'RW-AFTER-%'")" \
    "the reports after the refused one are stored"

# A flag out of range is refused at start.
rc=0
"$FQ_SERVERD" --db "$FQ_DB" --read-timeout-ms 5 >/dev/null 2>"$WORK/flag.err" || rc=$?
assert_eq 2 "$rc" "--read-timeout-ms 5: exit status"
grep -q "read-timeout-ms" "$WORK/flag.err" || fail "--read-timeout-ms 5: $(cat "$WORK/flag.err")"

assert_server_alive "after the heavy read"
server_stop
log "PASS"
