#!/usr/bin/env bash
# integ_suspension: suspension (中止/挂起, docs/console.md "Suspension")
# through the real server. With a rule of short limits an incident is
# suspended before its acknowledge warning: no warning, breach or escalation
# fires while it is suspended (polled until well past its acknowledge limit),
# nor after a restart, which keeps it suspended; it leaves the overdue counts
# of the board and the statistics. Resumed, its limits have moved on by the
# time it was suspended (in the database and the summary) and fire again.
# The holder may acknowledge and write progress while suspended, not
# conclude or return; operators get "resume it first" for other commands,
# WRONG_STATE with already_done for a double suspend or resume. Both events
# are in the timeline and the hash chain (fengqiao-admin verify); the
# holder's terminal (fq-terminal) receives both updates. A suspended incident
# stays with a worker gone off duty, and moves up once resumed. fq-console
# (in tmux) suspends and resumes the incident open on its detail screen.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

ACK_S=40 ACK_WARN_S=10 CONCLUDE_S=600 CONCLUDE_WARN_S=60

db_create
setup_world
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_suspension', 'short limits', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'dispute.neighbour', 0, 0, 'village', NULL, '{}',
             $ACK_S, $ACK_WARN_S, $CONCLUDE_S, $CONCLUDE_WARN_S)" >/dev/null
add_node ops console xihu
for w in 1 2; do
    admin node add "t$w" --role terminal --serves-worker "lingyin-v1-g1.w$w" \
        --key-out "$WORK/keys/t$w.key" >/dev/null 2>&1
done
KEEP_PORTS=1
server_start --dedup-window-min 0 --presence-timeout 600

con() { "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node ops --key-file "$(key_of ops)" "$@"; }
field() { jq -r "$1" <<<"$2"; }
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
node_of() { [ "$(q "SELECT worker FROM incidents WHERE id = $1")" = lingyin-v1-g1.w1 ] && echo t1 || echo t2; }
expect_refused() { # name status args...
    local name=$1 want=$2 out rc=0
    shift 2
    out=$(con "$@") || rc=$?
    assert_eq 1 "$rc" "$name: exit status ($out)"
    assert_eq "$want" "$(field .status "$out")" "$name: status ($(field .message "$out"))"
    REFUSAL=$out
}
# The server's own events about an incident (warnings, escalations, breaches).
own_events() { q "SELECT count(*) FROM events WHERE incident_id = $1 AND actor_node IS NULL AND kind NOT IN ('assigned')"; }

# S1, S2, S3 in this order from one fq-report, and S1 suspended right after
# (before its acknowledge warning, ACK_S - ACK_WARN_S after its report):
# nothing else starts in between, so that a busy machine has the most room.
for ref in S1 S2 S3; do
    printf '{"category":"dispute.neighbour","severity":"IV","risk":"low","channel":"hotline",'
    printf '"place_unit":"lingyin-v1-g1","title":"中止 %s","external_ref":"%s"}\n' "$ref" "$ref"
done | report lingyin-platform --stdin --window 1 --quiet || fail "S1, S2, S3: not all stored"
s1=$(id_of S1)

# ---- suspend S1 (and S2, for the holder's part below) before their acknowledge warnings ----
out=$(con command suspend "$s1" --reason "等待法院判决")
s2=$(id_of S2)
con command suspend "$s2" --reason "等待天气好转" >/dev/null
[ "$(q "SELECT count(*) FROM events WHERE incident_id = $s2 AND kind = 'ack_warning'")" = 0 ] ||
    fail "S2 was warned before its suspension; the machine is too slow for this test"
s3=$(id_of S3)
n1=$(node_of "$s1") n2=$(node_of "$s2")
reported_ms=$(q "SELECT (extract(epoch FROM recorded_at) * 1000)::bigint FROM incidents WHERE id = $s1")
assert_eq ok "$(field .status "$out")" "suspend: the answer"
susp_ms=$(q "SELECT (extract(epoch FROM suspended_at) * 1000)::bigint FROM incidents WHERE id = $s1")
[ "$susp_ms" -lt $((reported_ms + (ACK_S - ACK_WARN_S) * 1000)) ] ||
    fail "the suspension ($susp_ms) came after the acknowledge warning was due; the machine is too slow for this test"
assert_eq "等待法院判决" "$(q "SELECT suspend_reason FROM incidents WHERE id = $s1")" "the reason is kept"
assert_eq "suspended|ops|等待法院判决" \
    "$(q "SELECT kind || '|' || actor_node || '|' || reason FROM events WHERE incident_id = $s1 ORDER BY seq DESC LIMIT 1")" \
    "one event, the operator as actor, the reason"
expect_refused double_suspend wrong_state command suspend "$s1" --reason "再次中止"
assert_eq true "$(field .already_done "$REFUSAL")" "a double suspend: already done"
expect_refused resume_running wrong_state command resume "$s3" --reason "恢复"
assert_eq true "$(field .already_done "$REFUSAL")" "resuming a running incident: already so"
expect_refused escalate_suspended wrong_state command escalate "$s1" --reason "升级"
assert_match "resume it first" "$(field .message "$REFUSAL")" "other commands: resume it first"
assert_eq false "$(field ".already_done // false" "$REFUSAL")" "…and nothing is done"

# ---- the holder while suspended (S2) ----
term "$n2" ack "$s2" >/dev/null || fail "the holder acknowledges a suspended incident"
term "$n2" progress "$s2" --note "已联系当事人" >/dev/null || fail "progress on a suspended incident"
rc=0
out=$(term "$n2" conclude "$s2" --note "办结" --json 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "the holder concluded a suspended incident: $out"
assert_match "suspended by the command center" "$out" "the holder's conclude: a sentence a worker understands"
rc=0
out=$(term "$n2" return "$s2" --reason capacity --note "处理不了" --json 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "the holder returned a suspended incident: $out"
assert_eq "assigned acknowledged" "$(q "SELECT state || ' ' || assignment FROM incidents WHERE id = $s2")" \
    "S2 stays open and acknowledged"

# ---- no limit fires while suspended: poll to twice the acknowledge limit ----
until_ms=$((reported_ms + 2 * ACK_S * 1000))
log "polling S1 until $(((until_ms - $(now_ms)) / 1000)) s from now (twice its acknowledge limit)"
while [ "$(now_ms)" -lt "$until_ms" ]; do
    assert_eq 0 "$(own_events "$s1")" "no warning, breach or escalation of S1 while suspended"
    sleep 0.5
done
assert_eq "0|1|assigned" "$(q "SELECT breached || '|' || tier || '|' || assignment FROM incidents WHERE id = $s1")" \
    "S1 still with its holder, unbreached"
assert_eq t "$(q "SELECT ack_due < now() FROM incidents WHERE id = $s1")" "S1's stored limit is behind us"
board=$(con open)
assert_eq "false|$susp_ms|等待法院判决" \
    "$(jq -r "select(.id == $s1) | [.overdue, .suspended_at_ms, .suspend_reason] | map(tostring) | join(\"|\")" <<<"$board")" \
    "the board: not overdue, suspended since, the reason"
assert_eq "" "$(con open --overdue | jq -r .id)" "overdue only: no suspended incident"
if [ -n "${FQ_CONSOLE:-}" ]; then # fq-console (built with ncursesw): not overdue, paused
    once=$("$FQ_CONSOLE" --node ops --key-file "$(key_of ops)" --url "$TERMINALS_URL" board --once)
    line1=$(grep -E "^.\s*$s1 " <<<"$once") || fail "fq-console's board has no S1: $once"
    assert_match "^ .*paused$" "$line1" "fq-console: S1 not marked overdue, its time left paused"
    log "fq-console board --once: $line1"
fi
stats_now() { con stats $((reported_ms - 60000)) $(($(now_ms) + 60000)) district | tail -n 1; }
col() { # name csv-line: a column of the statistics by its header
    local header
    header=$(con stats $((reported_ms - 60000)) $(($(now_ms) + 60000)) district | head -n 1)
    awk -F, -v name="$1" -v line="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        END { split(line, v, ","); print v[c] }' <<<"$header"
}
line=$(stats_now)
# S3 ran on and passed its acknowledge limit: the one overdue.
assert_eq "3|2|2|1" "$(col received "$line")|$(col suspended "$line")|$(col suspended_now "$line")|$(col overdue "$line")" \
    "statistics while suspended: received, suspended, suspended now, overdue"
assert_eq "false|false|true" "$(q "SELECT string_agg(overdue::text, '|' ORDER BY id) FROM fq_case_facts(now() - interval '1 hour', now() + interval '1 minute')")" \
    "overdue: S3 only (S1's limit passed while suspended)"

# ---- a restart keeps it suspended, with no deadline ----
server_stop
server_start --dedup-window-min 0 --presence-timeout 600
wait_q "SELECT count(*) > 0 FROM routing_status WHERE ok" t 30
con open >/dev/null || fail "the console after the restart"
settle=$(($(now_ms) + 5000))
while [ "$(now_ms)" -lt "$settle" ]; do
    assert_eq 0 "$(own_events "$s1")" "nothing of S1 fires after the restart (its limits passed while suspended)"
    sleep 0.5
done
assert_eq "$susp_ms" "$(q "SELECT (extract(epoch FROM suspended_at) * 1000)::bigint FROM incidents WHERE id = $s1")" \
    "still suspended after the restart"

# ---- resume: the limits move on by the time suspended ----
before=$(q "SELECT (extract(epoch FROM ack_warn_at) * 1000)::bigint || ' ' || (extract(epoch FROM ack_due) * 1000)::bigint
              || ' ' || (extract(epoch FROM conclude_due) * 1000)::bigint FROM incidents WHERE id = $s1")
read -r warn0 ack0 conclude0 <<<"$before"
out=$(con command resume "$s1" --reason "判决已下")
assert_eq ok "$(field .status "$out")" "resume: the answer"
resumed_ms=$(q "SELECT (extract(epoch FROM at) * 1000)::bigint FROM events WHERE incident_id = $s1 AND kind = 'resumed'")
paused=$((resumed_ms - susp_ms))
after=$(q "SELECT (extract(epoch FROM ack_warn_at) * 1000)::bigint || ' ' || (extract(epoch FROM ack_due) * 1000)::bigint
             || ' ' || (extract(epoch FROM conclude_due) * 1000)::bigint || ' ' || (suspended_at IS NULL)
             || ' ' || (suspend_reason IS NULL) FROM incidents WHERE id = $s1")
read -r warn1 ack1 conclude1 cleared reason_cleared <<<"$after"
assert_eq "true true" "$cleared $reason_cleared" "resumed: no longer suspended"
# The server moves them by its own clock's pause; the event's time is the
# database's: the two agree within a second.
for pair in "$warn0 $warn1 acknowledge_warning" "$ack0 $ack1 acknowledge" "$conclude0 $conclude1 conclude"; do
    read -r a b what <<<"$pair"
    moved=$((b - a))
    if [ "$moved" -lt $((paused - 1000)) ] || [ "$moved" -gt $((paused + 1000)) ]; then
        fail "the $what limit moved $moved ms, suspended $paused ms"
    fi
done
summary=$(con incident "$s1")
assert_eq "$ack1|0|" "$(field '[.acknowledge_due_ms, .suspended_at_ms, .suspend_reason] | map(tostring) | join("|")' "$summary")" \
    "the summary: the moved limit, not suspended"
assert_eq "reported assigned suspended resumed" "$(field '[.timeline[].kind] | join(" ")' "$summary")" "the timeline"
assert_eq "判决已下" "$(field '.timeline[-1].reason' "$summary")" "the resumption's reason"

# The moved limits fire again, at their new times: the warning, then the
# escalation at the acknowledge limit.
wait_q "SELECT count(*) FROM events WHERE incident_id = $s1 AND kind = 'ack_warning'" 1 $((ACK_S * 3))
warned=$(q "SELECT (extract(epoch FROM at) * 1000)::bigint FROM events WHERE incident_id = $s1 AND kind = 'ack_warning'")
[ "$warned" -ge $((warn1 - 1000)) ] || fail "the warning came at $warned, before its moved time $warn1"
wait_q "SELECT count(*) FROM events WHERE incident_id = $s1 AND kind = 'escalated'" 1 $((ACK_S * 3))

# ---- operators conclude a suspended incident; the statistics ----
con command suspend "$s3" --reason "等待鉴定结果" >/dev/null
con command conclude "$s3" --reason "指挥中心办结" >/dev/null
assert_eq "concluded|true" "$(q "SELECT state || '|' || (suspended_at IS NULL) FROM incidents WHERE id = $s3")" \
    "concluding ends the suspension"
line=$(stats_now)
assert_eq "3|3|1" "$(col received "$line")|$(col suspended "$line")|$(col suspended_now "$line")" \
    "statistics: three suspended, S2 still"
mean=$(col suspended_mean_s "$line")
awk -v m="$mean" -v p="$paused" 'BEGIN { exit !(m > p / 3000) }' || fail "suspended_mean_s $mean, S1 alone was suspended $paused ms"
table=$(admin stats --from "$(date -u -d "@$((reported_ms / 1000 - 60))" +%FT%TZ)" --to now --by district)
assert_eq "3 1" "$(grep -m 1 '^TOTAL' <<<"$table" | awk '{print $11, $12}')" \
    "fengqiao-admin stats: SUSPENDED and SUSP NOW in the table's TOTAL"

# ---- the holder's terminal got both updates ----
items=$(term "$n1" watch --once --json 2>/dev/null)
sus=$(jq -c "select(.incident == $s1 and (.text | startswith(\"suspended by ops\")))" <<<"$items")
res=$(jq -c "select(.incident == $s1 and (.text | startswith(\"resumed by ops\")))" <<<"$items")
[ -n "$sus" ] || fail "the holder's terminal has no suspension of S1: $items"
[ -n "$res" ] || fail "the holder's terminal has no resumption of S1: $items"
assert_eq update "$(jq -r .kind <<<"$sus")" "the suspension: an update"
assert_eq "$conclude1" "$(jq -r .conclude_due_ms <<<"$res")" "the resumption carries the moved conclude limit"
holder1=$(q "SELECT box FROM outbox WHERE incident_id = $s1 AND box LIKE 'w:%' ORDER BY seq LIMIT 1")
bodies=$(con sync 0 | jq -c "select(.incident == $s1 and .event_kind != \"\")")
assert_eq "suspended|等待法院判决|$susp_ms" \
    "$(jq -r 'select(.event_kind == "suspended") | [.event_kind, .note, .suspended_at_ms] | map(tostring) | join("|")' <<<"$bodies")" \
    "the feed's item: event kind, the reason as note, suspended since ($holder1 got the same)"
assert_eq "resumed|判决已下|0|$ack1" \
    "$(jq -r 'select(.event_kind == "resumed") | [.event_kind, .note, .suspended_at_ms, .acknowledge_due_ms] | map(tostring) | join("|")' <<<"$bodies")" \
    "the feed's item on resumption: the moved acknowledge limit"

# ---- off duty: a suspended incident stays with its worker until resumed ----
w2=$(q "SELECT worker FROM incidents WHERE id = $s2")
before=$(directory_loads)
admin worker duty "$w2" off >/dev/null
wait_directory_reload "$before"
assert_eq "$w2|1|0" "$(q "SELECT worker || '|' || tier || '|' || escalations FROM incidents WHERE id = $s2")" \
    "the worker off duty: the suspended S2 stays"
con command resume "$s2" --reason "天气好转" >/dev/null
wait_q "SELECT count(*) FROM events WHERE incident_id = $s2 AND kind = 'escalated'
          AND reason LIKE 'the handler went off duty%'" 1 30
assert_eq "2|" "$(q "SELECT tier || '|' || coalesce(worker, '') FROM incidents WHERE id = $s2")" \
    "resumed: it moves up, as an off-duty worker's cases do"

# ---- fq-console in tmux: :suspend REASON on the incident shown ----
if [ -n "${FQ_CONSOLE:-}" ] && command -v tmux >/dev/null; then
    report lingyin-platform --category dispute.neighbour --severity II --risk high --channel hotline \
        --place lingyin-v1-g1 --title "中止 S4 控制台" --external-ref S4 --quiet
    s4=$(id_of S4)
    SOCK="$WORK/tmux.sock"
    tmx() { tmux -S "$SOCK" "$@"; }
    CLEANUPS+=("tmux -S '$SOCK' kill-server 2>/dev/null")
    tmx -u new-session -d -x 160 -y 40 -s console \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color '$FQ_CONSOLE' --node ops --key-file '$(key_of ops)' --url '$TERMINALS_URL'; sleep 30"
    wait_screen() { # regex: until the pane shows it (10 s)
        local i
        for ((i = 0; i < 100; i++)); do
            tmx capture-pane -p -t console >"$WORK/pane.txt"
            grep -qE "$1" "$WORK/pane.txt" && return 0
            sleep 0.1
        done
        cat "$WORK/pane.txt" >&2
        fail "fq-console did not show /$1/"
    }
    wait_screen "中止 S4 控制台"
    tmx send-keys -t console ":suspend 等待 台风过境" Enter
    wait_screen "which incident\?"
    tmx send-keys -t console Enter # the most urgent: S4 (severity II, nothing overdue)
    wait_screen "incident #$s4"
    tmx send-keys -t console ":suspend 等待 台风过境" Enter
    wait_screen "suspend #$s4: OK"
    assert_eq "等待 台风过境" "$(q "SELECT suspend_reason FROM incidents WHERE id = $s4")" \
        "fq-console: :suspend REASON suspends the incident shown"
    wait_screen "SUSPENDED since .*等待 台风过境"
    tmx send-keys -t console ":resume 台风已过" Enter
    wait_screen "resume #$s4: OK"
    assert_eq t "$(q "SELECT suspended_at IS NULL FROM incidents WHERE id = $s4")" "fq-console: resumed"
    tmx send-keys -t console ":quit" Enter
fi

# ---- the history ----
out=$(admin verify 2>&1) || fail "fengqiao-admin verify: $out"
server_stop
log "ok: suspended $paused ms, limits moved by it; nothing fired while suspended"
