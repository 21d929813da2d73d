#!/usr/bin/env bash
# integ_terminals: grid workers' terminals receive exactly their own
# assignments, at least once and in order, and act on them; runs its own
# cluster (it restarts PostgreSQL).
#
#  A. Two workers, each with a terminal (fq-terminal): village reports go to
#     them; each one's journal equals its outbox in the database.
#  B. Nobody acts on another's assignment (FORBIDDEN, nothing changes); every
#     violation of the state machine gets its status; actions are idempotent
#     by message id (same answer), a reused id with another body CONFLICTs.
#  C. A watching terminal rides through SIGKILL of the server, a restart of
#     PostgreSQL and SIGKILL of itself while reports stream in: at the end
#     its journal equals its outbox exactly — nothing lost, nothing twice.
#  D. Presence: a worker whose terminal goes silent goes off duty, their
#     unacknowledged assignments move on; the next sync brings them back.
#     Any request counts: a worker using only one-shot commands stays on.
#  E. The town platform follows its town (fq-report follow): every item of
#     its feed once, resumable from the stored seq.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

FQ_TERMINAL=${FQ_TERMINAL:?}
CLUSTER="$FQ_WORK_ROOT/terminals.cluster"
"$PG_PRIVATE" stop "$CLUSTER" # left running by an interrupted run?
"$PG_PRIVATE" start "$CLUSTER" >/dev/null
CLEANUPS+=("\"\$PG_PRIVATE\" stop \"\$CLUSTER\"")
db_create "$CLUSTER"
setup_world

add_terminal t1 "$W1"
add_terminal t2 "$W2"
# w1's second terminal (a tablet next to the phone): it follows what t1 does.
add_terminal t1b "$W1"
admin node list | grep -qE "^t2 +terminal +lingyin-v1-g1 +worker $W2 " ||
    fail "node list does not show what t2 serves: $(admin node list)"
out=$(admin node add bad --role grid_node --jurisdiction lingyin-v1-g1 --serves-worker "$W1" 2>&1) &&
    fail "a grid node was bound to a worker"
assert_match "only a terminal serves" "$out" "binding a non-terminal"
STATE=$TERMINAL_STATE

village_report() { # external-ref
    report lingyin-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
        --place lingyin-v1-g1 --title "噪音 $1" --external-ref "$1" --quiet
}
# village_reports PREFIX N: village_report PREFIX-1 ... PREFIX-N, one after
# another (--window 1) from one fq-report (a sanitizer build's start each
# was most of a report's time); fails unless every one is stored.
village_reports() {
    local i
    for ((i = 1; i <= $2; i++)); do
        printf '{"category":"dispute.neighbour","severity":"IV","risk":"low","channel":"hotline",'
        printf '"place_unit":"lingyin-v1-g1","title":"噪音 %s-%d","external_ref":"%s-%d"}\n' "$1" "$i" "$1" "$i"
    done | report lingyin-platform --stdin --window 1 --quiet || fail "reports $1-1..$2: not all stored"
}

# watch_bg NODE OUT ERR: a watching terminal in the background (WATCH is
# fq-terminal's own pid, so that SIGKILL reaches it).
watch_bg() {
    "$FQ_TERMINAL" --node "$1" --key-file "$(key_of "$1")" --url "$TERMINALS_URL" \
        --state-dir "$STATE" watch --json >>"$2" 2>>"$3" &
    WATCH=$!
    CLEANUPS+=("kill $WATCH 2>/dev/null || true")
}

# journal_seqs NODE: the seqs in a terminal's journal, one per line.
journal_seqs() { jq -r .seq "$STATE/$1.journal" 2>/dev/null || true; }
outbox_seqs() { q "SELECT seq FROM outbox WHERE box = '$1' ORDER BY seq"; }
incident_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }

# The journal holds each seq once, in order, and exactly the outbox's.
check_view() { # node box
    local journal outbox
    journal=$(journal_seqs "$1")
    outbox=$(outbox_seqs "$2")
    assert_eq "$(sort -n <<<"$journal" | uniq -d | wc -l)" 0 "$1: no item shown twice"
    assert_eq "$journal" "$outbox" "$1: journal = outbox of $2"
}

# Presence (D) is the only part that wants terminals judged silent: until
# then the timeout is far longer than any pause of a busy machine, so that no
# assignment moves off a worker while A-C look at it.
server_start --presence-timeout 600 --dedup-window-min 0

# ---- A. own assignments, in order ----
village_reports A 6
term t1 watch --once >/dev/null
term t2 watch --once >/dev/null
check_view t1 "w:$W1"
check_view t2 "w:$W2"
n1=$(outbox_seqs "w:$W1" | wc -l)
n2=$(outbox_seqs "w:$W2" | wc -l)
assert_eq "$((n1 + n2))" 6 "six assignments between the two workers"
assert_eq "$(q "SELECT count(*) FROM outbox o JOIN incidents i ON i.id = o.incident_id
                WHERE o.box = 'w:$W1' AND i.worker <> '$W1'")" 0 "w1's outbox holds only w1's incidents"
assert_eq "$(q "SELECT count(*) FROM feed_items WHERE box = 'u:lingyin'")" 6 "the town feed has every report"
log "A: $n1 + $n2 assignments, journals equal the outboxes"

# ---- B. jurisdiction and the state machine ----
mine=$(q "SELECT min(id) FROM incidents WHERE worker = '$W1'")
theirs=$(q "SELECT min(id) FROM incidents WHERE worker = '$W2'")
expect_refused() { # name status-regex command...
    local name=$1 want=$2 rc=0 out
    shift 2
    out=$("$@" 2>&1) || rc=$?
    assert_eq "$rc" 1 "$name: exit status (output: $out)"
    grep -qiE "$want" <<<"$out" || fail "$name: expected /$want/ in: $out"
}
before=$(q "SELECT count(*) FROM events")
expect_refused other_ack 'FORBIDDEN.*not an open assignment of yours' term t1 ack "$theirs"
expect_refused other_conclude 'FORBIDDEN' term t1 conclude "$theirs" --note "不是我的"
expect_refused conclude_first 'WRONG_STATE.*acknowledge' term t1 conclude "$mine" --note 办结
expect_refused progress_first 'WRONG_STATE' term t1 progress "$mine" --note 进展
# A state refusal says the state, machine-readably, and is no "already done".
out=$(term t1 conclude "$mine" --note 办结 --json 2>/dev/null) && fail "conclude first: exit 0 ($out)"
jq -e '.status == "wrong_state" and .state == "assigned" and (has("already_done") | not)' \
    <<<"$out" >/dev/null || fail "conclude first: the state is not in the answer: $out"
expect_refused unknown 'FORBIDDEN.*not an open assignment of yours' term t1 ack 999999
# Someone else's open incident and an id that is not open answer alike, for
# every action: the answers differ in the id alone, so a terminal cannot
# probe which incidents are open.
for act in "ack" "progress --note x" "extend --to +1d --note x" "conclude --note x" \
    "return --reason capacity --note x" "reply --note x"; do
    # shellcheck disable=SC2086 # the action's words
    a=$(term t1 $act "$theirs" --json 2>/dev/null) || true
    a=$(jq -c "del(.message_id, .attempts)" <<<"$a" | sed "s/$theirs/N/g")
    # shellcheck disable=SC2086
    b=$(term t1 $act 999999 --json 2>/dev/null) || true
    b=$(jq -c "del(.message_id, .attempts)" <<<"$b" | sed "s/999999/N/g")
    assert_match '"status":"forbidden"' "$a" "$act on someone else's incident"
    assert_eq "$a" "$b" "$act: someone else's incident and an unknown one answer alike"
done
assert_eq "$(q "SELECT count(*) FROM events")" "$before" "refused actions wrote nothing"
term t1 ack "$mine" --message-id 4242 >"$WORK/ack1.out"
grep -q acknowledged "$WORK/ack1.out" || fail "ack: $(cat "$WORK/ack1.out")"
term t1 ack "$mine" --message-id 4242 >"$WORK/ack2.out"
assert_eq "$(cat "$WORK/ack2.out")" "$(cat "$WORK/ack1.out")" "a resent ack gets the same answer"
assert_eq "$(q "SELECT count(*) FROM events WHERE incident_id = $mine AND kind = 'acknowledged'")" 1 \
    "one acknowledged event"
# Acknowledged again under a new message id: refused (WRONG_STATE) with the
# current state and already_done, which the terminal shows as done.
out=$(term t1 ack "$mine" --json) || fail "ack twice: exit $? ($out)"
jq -e '.status == "wrong_state" and .state == "acknowledged" and .already_done == true' \
    <<<"$out" >/dev/null || fail "ack twice: not marked already done: $out"
out=$(term t1 ack "$mine") || fail "ack twice: exit $? ($out)"
assert_eq "$out" "incident $mine: already acknowledged" "ack twice, as a worker reads it"
expect_refused reuse_id 'CONFLICT' term t1 progress "$mine" --note 别的 --message-id 4242
term t1 progress "$mine" --note "到现场了" >/dev/null
expect_refused extend_too_far 'invalid.*365 days' term t1 extend "$mine" --to +400d --note 太远
expect_refused return_nowhere 'invalid.*not a known unit' term t1 return "$mine" --reason wrong --to nowhere --note 错
assert_eq "$(q "SELECT assignment FROM incidents WHERE id = $mine")" acknowledged "invalid actions changed nothing"
# A limit before the current one is refused, and the refusal says the current limit.
early=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M+00:00)
expect_refused extend_before_limit 'current conclude limit is 20' \
    term t1 extend "$mine" --to "$early" --note 早
term t1 extend "$mine" --to +2d --note "需协调物业" >/dev/null
out=$(term t1 extend "$mine" --to +3d --note "再申请" --json) || fail "extend twice: exit $? ($out)"
jq -e '.status == "wrong_state" and .state == "extension_requested" and .already_done == true' \
    <<<"$out" >/dev/null || fail "extend twice: not marked already done: $out"
assert_eq "$(q "SELECT assignment FROM incidents WHERE id = $mine")" extension_requested "extension pending"
assert_eq "$(q "SELECT extension_asked = conclude_due + interval '2 days' FROM incidents WHERE id = $mine")" t \
    "extend +2d counts from the current conclude limit, not from now"
term t1 conclude "$mine" --note "已调解" >/dev/null
assert_eq "$(q "SELECT state || '|' || assignment || '|' || result FROM incidents WHERE id = $mine")" \
    "concluded|concluded|已调解" "concluded"
# The worker's other terminal learns it is closed: its list no longer has it.
term t1b watch --once >/dev/null
jq -e "select(.incident == $mine and .kind == \"closed\")" "$STATE/t1b.journal" >/dev/null ||
    fail "t1b was not told that incident $mine is concluded"
term t1b list --json | jq -e "select(.incident == $mine)" >/dev/null &&
    fail "t1b still lists the concluded incident $mine"
expect_refused reopen 'FORBIDDEN.*not an open assignment of yours' term t1 progress "$mine" --note 再来
# A return for beyond capacity goes one tier up: the town line gets it.
ret=$(q "SELECT min(id) FROM incidents WHERE worker = '$W1' AND state = 'assigned'")
term t1 return "$ret" --reason capacity --note "需要街道协调" >/dev/null
assert_eq "$(q "SELECT tier || '|' || coalesce(worker, '-') || '|' || assignment FROM incidents WHERE id = $ret")" \
    "2|-|assigned" "returned beyond capacity: the town line holds it"
assert_eq "$(q "SELECT kind FROM outbox WHERE box = 'w:$W1' AND incident_id = $ret ORDER BY seq DESC LIMIT 1")" \
    3 "the returning worker is told it moved on (cancellation)"
term t1 watch --once >/dev/null
check_view t1 "w:$W1"
# The interactive line mode, as a worker types it (here through a pipe).
typed=$(q "SELECT min(id) FROM incidents WHERE worker = '$W2' AND state = 'assigned'")
printf 'ack %s\nprogress %s 已联系当事人\nquit\n' "$typed" "$typed" |
    timeout 30 "$FQ_TERMINAL" --node t2 --key-file "$(key_of t2)" --url "$TERMINALS_URL" \
        --state-dir "$STATE" watch --line >"$WORK/line.out" 2>&1 || fail "line mode: $(cat "$WORK/line.out")"
assert_eq "$(q "SELECT assignment FROM incidents WHERE id = $typed")" acknowledged "acknowledged in line mode"
assert_eq "$(q "SELECT string_agg(kind, ',' ORDER BY seq) FROM events WHERE incident_id = $typed AND actor_node = 't2'")" \
    "acknowledged,progress" "typed actions in the order typed"
check_view t2 "w:$W2"
log "B: refusals, idempotency, ack/progress/extend/conclude/return, line mode"

# ---- C. restarts in the middle of a stream ----
watch_bg t1 "$WORK/watch.out" "$WORK/watch.err"
village_reports C1 10
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
KEEP_PORTS=1 server_start --presence-timeout 600 --dedup-window-min 0
village_reports C2 10
"$PG_PRIVATE" stop "$CLUSTER"
sleep 1
"$PG_PRIVATE" start "$CLUSTER" >/dev/null
village_reports C3 10
kill -9 "$WATCH"
wait "$WATCH" 2>/dev/null || true
village_reports C4 10
watch_bg t1 "$WORK/watch.out" "$WORK/watch.err"
want=$(outbox_seqs "w:$W1" | tail -n 1)
for ((i = 0; i < 600; i++)); do
    [ "$(journal_seqs t1 | tail -n 1)" = "$want" ] && break
    sleep 0.1
done
kill "$WATCH"
wait "$WATCH" 2>/dev/null || true
check_view t1 "w:$W1"
shown=$(jq -r .seq "$WORK/watch.out" | sort -n | uniq -d | wc -l)
assert_eq "$shown" 0 "the watch printed no item twice"
log "C: $(journal_seqs t1 | wc -l) items through a server kill, a PostgreSQL restart and a terminal kill"

# ---- D. presence ----
server_stop
# PRESENCE_S: long enough that neither terminal goes silent while the four
# reports below are made, however busy the machine (one process start, four
# commits; four process starts, at load 30, took longer than 10 s), short
# enough to wait out.
PRESENCE_S=10
server_start --presence-timeout "$PRESENCE_S" --dedup-window-min 0
# t1 watches from the start (its sync is held, up to 25 s: longer than the
# presence timeout, and still present); t2 syncs once and falls silent.
# (A watch started after the reports began up to 10 s after t1's last sync
# on a loaded machine: t1 was judged silent before its watch came.)
watch_bg t1 "$WORK/watch-d.out" "$WORK/watch-d.err"
term t2 watch --once >/dev/null
village_reports D 4
w2_open=$(q "SELECT count(*) FROM incidents WHERE worker = '$W2' AND state = 'assigned' AND assignment = 'assigned'")
[ "$w2_open" -gt 0 ] || fail "D: w2 holds nothing unacknowledged"
# Waits for the observable end (w2's unacknowledged assignments moved on),
# not for a time.
for ((i = 0; i < 20 * (PRESENCE_S + 60); i++)); do
    [ "$(q "SELECT count(*) FROM incidents WHERE worker = '$W2' AND state = 'assigned' AND assignment = 'assigned'")" = 0 ] &&
        break
    sleep 0.05
done
kill "$WATCH"
wait "$WATCH" 2>/dev/null || true
grep -q "worker $W1 silent" "$SERVER_LOG" && fail "D: a worker whose sync is held was judged silent"
assert_eq "$(q "SELECT count(*) FROM incidents WHERE worker = '$W2' AND state = 'assigned' AND assignment = 'assigned'")" \
    0 "the silent worker's unacknowledged assignments moved on"
grep -q "worker $W2 silent" "$SERVER_LOG" || fail "D: no log line for the silent worker"
assert_eq "$(q "SELECT count(*) FROM events WHERE kind = 'rerouted' AND reason LIKE '%terminal went silent%'")" \
    "$w2_open" "one rerouted event per moved assignment"
village_report D-after
assert_eq "$(q "SELECT worker FROM incidents WHERE external_ref = 'D-after'")" "$W1" \
    "the router does not choose the silent worker"
term t2 watch --once >/dev/null
check_view t2 "w:$W2"
# Its watch goes on (a held sync: present however slow the machine is)
# while the next reports come in.
watch_bg t2 "$WORK/watch-d2.out" "$WORK/watch-d2.err"
village_report D-back-1
village_report D-back-2
kill "$WATCH"
wait "$WATCH" 2>/dev/null || true
back=$(q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'D-back-%' AND worker = '$W2'")
[ "$back" -ge 1 ] || fail "back on duty after the next sync: the worker is chosen again"
log "D: $w2_open assignments moved off the silent terminal; back on duty after its sync"

# One-shot commands count as presence (the README's way of working): t2
# acts for twice the presence timeout without a single sync and stays on
# duty; its unacknowledged assignment stays with it.
server_stop
# 10 s: a one-shot command's process start took more than 4 s under
# stress-ng with the sanitizers.
ONE_SHOT_PRESENCE_S=10
server_start --presence-timeout "$ONE_SHOT_PRESENCE_S" --dedup-window-min 0
mine=$(q "SELECT min(id) FROM incidents WHERE worker = '$W2' AND state = 'assigned' AND assignment = 'assigned'")
[ -n "$mine" ] || fail "D: w2 holds nothing unacknowledged after coming back"
silent_before=$(grep -c "worker $W2 silent" "$SERVER_LOG" || true)
moved_before=$(q "SELECT count(*) FROM events WHERE kind = 'rerouted' AND reason LIKE '%terminal went silent%'")
term t2 watch --once >/dev/null # the server knows the terminal from here on
term t2 ack "$mine" >/dev/null
until_s=$((SECONDS + 2 * ONE_SHOT_PRESENCE_S + 1))
while [ "$SECONDS" -lt "$until_s" ]; do
    term t2 progress "$mine" --note "仍在处理" >/dev/null
    sleep 0.5
done
assert_eq "$(grep -c "worker $W2 silent" "$SERVER_LOG" || true)" "$silent_before" \
    "a worker acting through one-shot commands was judged silent"
assert_eq "$(q "SELECT count(*) FROM events WHERE kind = 'rerouted' AND reason LIKE '%terminal went silent%'")" \
    "$moved_before" "nothing moved off the worker who acts"
log "D: one-shot commands for $((2 * ONE_SHOT_PRESENCE_S + 1)) s (presence timeout $ONE_SHOT_PRESENCE_S s): still on duty"

# ---- E. the town follows ----
"$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" follow \
    --url "$TERMINALS_URL" --seq-file "$WORK/follow.seq" --once >"$WORK/follow1.out"
"$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" follow \
    --url "$TERMINALS_URL" --seq-file "$WORK/follow.seq" --once >"$WORK/follow2.out"
# Every item up to where the follower got (its seq file): the feed may have
# grown since (with the presence timeout of 4 s, w2 goes off duty 4 s after
# t2's last command above, and its unacknowledged assignments move on), and
# those items are the next run's.
cursor=$(cat "$WORK/follow.seq")
assert_eq "$cursor" "$(cat "$WORK/follow1.out" "$WORK/follow2.out" | jq -r .seq | sort -n | tail -n 1)" \
    "the seq file holds the last item printed"
total=$(q "SELECT count(*) FROM feed_items WHERE box = 'u:lingyin' AND seq <= $cursor")
got=$(cat "$WORK/follow1.out" "$WORK/follow2.out" | jq -r .seq | sort -n | uniq | wc -l)
assert_eq "$got" "$total" "follow printed every item of the town feed"
assert_eq "$(cat "$WORK/follow1.out" "$WORK/follow2.out" | jq -r .seq | sort -n | uniq -d | wc -l)" 0 \
    "follow printed each once across runs"
log "E: the town feed, $total items"

# ---- F. time limits: the warning reaches the worker, a breach tells both ----
# ACK_S: the floods' acknowledge limit, warning 10 s before it. The limit
# restarts at every tier, so after the escalation the town line has ACK_S
# too: the restart, the duty officer's sync and ack below must fit in it on a
# busy machine (they take seconds), or the case would climb to the district.
ACK_S=30
server_stop
# Room for F's two reports with the village workers, whatever A-E left them holding.
q "UPDATE workers SET capacity = 500" >/dev/null
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_terminals', 'short limits', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', $ACK_S, 10, 3600, 60)" >/dev/null
admin node add gov-duty --role terminal --serves-unit lingyin.governance --key-out "$WORK/keys/gov-duty.key" >/dev/null 2>&1
server_start --presence-timeout 600 --dedup-window-min 0
report lingyin-platform --category hazard.flood --severity IV --risk low --channel patrol \
    --place lingyin-v1-g1 --title 积水 --external-ref F-1 --quiet
report lingyin-platform --category hazard.flood --severity IV --risk low --channel patrol \
    --place lingyin-v1-g1 --title 积水2 --external-ref F-2 --quiet
f1=$(incident_of F-1)
f2=$(incident_of F-2)
holder1=$(q "SELECT worker FROM incidents WHERE id = $f1")
holder2=$(q "SELECT worker FROM incidents WHERE id = $f2")
node_of() { [ "$1" = "$W1" ] && echo t1 || echo t2; }
term "$(node_of "$holder2")" ack "$f2" >/dev/null # acknowledged in time: no warning, no escalation
for ((i = 0; i < 10 * (ACK_S + 90); i++)); do
    [ "$(q "SELECT tier FROM incidents WHERE id = $f1")" = 2 ] && break
    sleep 0.1
done
assert_eq "$(q "SELECT tier || '|' || lead_unit FROM incidents WHERE id = $f1")" "2|lingyin.governance" \
    "F-1 escalated to the town line at its acknowledge limit"
assert_eq "$(q "SELECT string_agg(kind::text, ',' ORDER BY seq) FROM outbox WHERE box = 'w:$holder1' AND incident_id = $f1")" \
    "1,4,3" "the worker got the assignment, the warning, then the cancellation"
# (Its own limit runs from the escalation: on a slow machine its warning
# may already follow the assignment.)
assert_eq "$(q "SELECT kind FROM outbox WHERE box = 'h:lingyin.governance' AND incident_id = $f1 ORDER BY seq LIMIT 1")" \
    "1" "the town line got the assignment"
assert_eq "$(q "SELECT count(*) FROM outbox WHERE incident_id = $f2 AND kind IN (3, 4)")" 0 \
    "the acknowledged one: no warning, no cancellation"
# A restart in between: the open incident's lead unit comes back from the
# database, so its duty officer can act on it. (The town's acknowledge limit
# is ACK_S too: moved an hour on while the server is down, so that a slow
# restart does not escalate it further first.)
server_stop
q "UPDATE incidents SET ack_due = now() + interval '1 hour', ack_warn_at = now() + interval '50 minutes'
   WHERE id = $f1" >/dev/null
KEEP_PORTS=1 server_start --presence-timeout 600 --dedup-window-min 0
term gov-duty watch --once >/dev/null
check_view gov-duty "h:lingyin.governance"
term gov-duty ack "$f1" >/dev/null
assert_eq "$(q "SELECT assignment FROM incidents WHERE id = $f1")" acknowledged "the duty officer acknowledged"
expect_refused old_holder 'forbidden' term "$(node_of "$holder1")" ack "$f1"
log "F: warning, escalation to the town line (both told), the duty officer acknowledges"

# ---- retention: pruning keeps each outbox's newest item, so numbering goes on ----
boxes=$(q "SELECT count(DISTINCT box) FROM outbox")
total=$(q "SELECT count(*) FROM outbox")
assert_match "^$((total - boxes)) would be pruned" "$(admin outbox prune --older-than 0s --dry-run)" "prune --dry-run"
assert_eq "$total" "$(q "SELECT count(*) FROM outbox")" "a dry run deletes nothing"
admin outbox prune --older-than 0s >/dev/null
assert_eq "$boxes" "$(q "SELECT count(*) FROM outbox")" "pruned: one item kept per box"
feed_last=$(q "SELECT max(seq) FROM feed_items WHERE box = 'u:lingyin'")
village_report P-1
assert_eq "$((feed_last + 1))" "$(q "SELECT max(seq) FROM feed_items WHERE box = 'u:lingyin'")" \
    "after pruning the numbering goes on"
admin outbox list | grep -q "^u:lingyin " || fail "outbox list: $(admin outbox list)"
log "retention: pruned to one item per box; numbering goes on"

# ---- a stop does not wait out the held syncs ----
watch_bg t2 "$WORK/watch2.out" "$WORK/watch2.err"
for ((i = 0; i < 600; i++)); do
    grep -qE "comp=terminals msg=\"syncs [0-9]+ held [1-9]" "$SERVER_LOG" && break
    sleep 0.1
done
grep -qE "comp=terminals msg=\"syncs [0-9]+ held [1-9]" "$SERVER_LOG" || fail "the watch's sync was never held"
t0=$(now_ms)
server_stop
stop_ms=$(($(now_ms) - t0))
# The hold is 25 s (FQC_SYNC_HOLD_MS): well under it means the stop did not
# wait it out, with room for a busy machine.
((stop_ms < 15000)) || fail "the server took $stop_ms ms to stop with a sync held"
log "stopped in $stop_ms ms with a sync held"
kill "$WATCH"
wait "$WATCH" 2>/dev/null || true
check_log "$WORK/watch.err"
# Every write's committed items were handed to the terminals as its
# statement said it wrote them (a binary record[] of seqs, decoded against
# its items: write_params.h fq_write_outbox_written): none refused, by any
# server of this test.
for p in "${SERVER_LOGS[@]}"; do
    ! grep -q "do not match its items" "$p" || fail "outbox items not matched in $p: $(grep -m 3 "do not match" "$p")"
done
log "every write's outbox items matched"
log "terminals ok"
