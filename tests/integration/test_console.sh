#!/usr/bin/env bash
# integ_console: the district command console's reads and commands against a
# real server (fq_console_peer sends one request each): the feed of a
# jurisdiction, open incidents most urgent first, an incident's timeline, the
# roster, the statistics; assign (skip-level, joint), escalate, supervise,
# approve and deny an extension, conclude — each an event with the operator
# as actor, each told to the holders — and a town operator confined to its
# town. Commands are idempotent by message id.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
W1=lingyin-v1-g1.w1
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_console', 'short flood limits', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', 1, 0, 3600, 60)" >/dev/null
add_node ops console xihu
add_node lingyin-ops console lingyin
for w in 1 2; do
    admin node add "t$w" --role terminal --serves-worker "lingyin-v1-g1.w$w" --key-out "$WORK/keys/t$w.key" >/dev/null 2>&1
done
# Consoles on a listener of their own (--console); terminals keep theirs.
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --dedup-window-min 0 --presence-timeout 600 --console "$CONSOLE_URL"

con() { # node args...
    local node=$1
    shift
    "$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node "$node" --key-file "$(key_of "$node")" "$@"
}
field() { jq -r "$1" <<<"$2"; }
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
rep() { # node ref place category [severity]
    report "$1" --category "$4" --severity "${5:-IV}" --risk low --channel hotline --place "$3" \
        --title "控制台 $2" --external-ref "$2" --quiet
}
expect_status() { # name status args...
    local name=$1 want=$2 out rc=0
    shift 2
    out=$(con "$@") || rc=$?
    assert_eq 1 "$rc" "$name: exit status ($out)"
    assert_eq "$want" "$(field .status "$out")" "$name: status ($(field .message "$out"))"
}

rep lingyin-platform K1 lingyin-v1-g1 dispute.neighbour
rep beishan-platform K2 beishan-v1 dispute.neighbour
rep lingyin-platform K3 lingyin-v1-g1 dispute.neighbour
rep lingyin-platform K4 lingyin-v1-g1 hazard.flood
k1=$(id_of K1) k2=$(id_of K2) k3=$(id_of K3) k4=$(id_of K4)
# K4 misses its 1 s limits tier by tier up to the district: overdue.
for ((i = 0; i < 600; i++)); do
    [ "$(q "SELECT breached FROM incidents WHERE id = $k4")" != 0 ] && break
    sleep 0.1
done

# ---- reads ----
# The terminal endpoint answers consoles too (one endpoint, two listeners).
"$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node ops --key-file "$(key_of ops)" roster >/dev/null ||
    fail "a console on the terminal endpoint"
all=$(con ops open)
assert_eq 4 "$(wc -l <<<"$all")" "the district operator sees every open incident"
assert_eq "$k4" "$(head -n 1 <<<"$all" | jq -r .id)" "the overdue one first"
assert_eq true "$(head -n 1 <<<"$all" | jq -r .overdue)" "marked overdue"
mine=$(con lingyin-ops open)
assert_eq "$k1 $k3 $k4" "$(jq -r .id <<<"$mine" | sort -n | xargs)" "the town operator sees only its town"
assert_eq "" "$(con lingyin-ops open --town beishan)" "…even when it asks for another town"
assert_eq "$k4" "$(con ops open --overdue | jq -r .id)" "overdue only"
assert_eq "$k2" "$(con ops open --town beishan | jq -r .id)" "by town"
detail=$(con ops incident "$k1")
assert_eq "reported assigned" "$(field '[.timeline[].kind] | join(" ")' "$detail")" "the timeline"
expect_status other_town forbidden lingyin-ops incident "$k2"
roster=$(con lingyin-ops roster)
grep -q "\"id\":\"$W1\"" <<<"$roster" || fail "roster: no $W1 in $roster"
grep -q beishan <<<"$roster" && fail "the town operator's roster shows another town: $roster"
csv=$(con ops stats $(($(now_ms) - 3600000)) $(($(now_ms) + 1000)) town)
assert_match '^group,received,acknowledged' "$(head -n 1 <<<"$csv")" "stats header"
grep -q '^lingyin,3,' <<<"$csv" || fail "stats: lingyin received 3: $csv"
expect_status terminal_queries forbidden t1 roster

# ---- the feed ----
feed=$(con ops sync 0)
assert_eq "$k1 $k2 $k3 $k4" "$(jq -r .incident <<<"$feed" | sort -un | xargs)" "the district feed: every incident"
tfeed=$(con lingyin-ops sync 0)
assert_eq "$k1 $k3 $k4" "$(jq -r .incident <<<"$tfeed" | sort -un | xargs)" "the town feed: its incidents"

# ---- commands ----
expect_status outside forbidden lingyin-ops command escalate "$k2" --reason 越权
expect_status no_reason invalid ops command escalate "$k2" --reason ""
before=$(q "SELECT worker FROM incidents WHERE id = $k1")
out=$(con ops --message-id 777 command assign "$k1" --unit xihu.public_security \
    --co xihu.market_regulation --reason "涉及治安，联合处置")
assert_eq assigned "$(field .state "$out")" "assign: the answer"
assert_eq "3|xihu.public_security|{xihu.market_regulation}|-" \
    "$(q "SELECT tier || '|' || lead_unit || '|' || co_units::text || '|' || coalesce(worker, '-') FROM incidents WHERE id = $k1")" \
    "skip-level joint assignment to the district"
assert_eq "reassigned|ops" "$(q "SELECT kind || '|' || actor_node FROM events WHERE incident_id = $k1 ORDER BY seq DESC LIMIT 1")" \
    "one event, the operator as actor"
assert_eq 3 "$(q "SELECT kind FROM outbox WHERE box = 'w:$before' AND incident_id = $k1 ORDER BY seq DESC LIMIT 1")" \
    "the worker is told it moved on"
assert_eq "1 1" "$(q "SELECT count(*) FROM outbox WHERE box = 'h:xihu.public_security' AND incident_id = $k1 AND kind = 1") $(q "SELECT count(*) FROM outbox WHERE box = 'h:xihu.market_regulation' AND incident_id = $k1 AND kind = 1")" \
    "lead and co-handler get the assignment"
again=$(con ops --message-id 777 command assign "$k1" --unit xihu.public_security \
    --co xihu.market_regulation --reason "涉及治安，联合处置")
assert_eq "$(field .event_seq "$out")" "$(field .event_seq "$again")" "a resent command: the same answer"
expect_status reused_id conflict ops --message-id 777 command conclude "$k1" --reason 别的
expect_status at_top wrong_state ops command escalate "$k1" --reason 再升
tier2=$(q "SELECT tier FROM incidents WHERE id = $k2")
out=$(con ops command escalate "$k2" --reason "处理不了")
assert_eq "$((tier2 + 1))" "$(q "SELECT tier FROM incidents WHERE id = $k2")" "escalated one tier"
lead2=$(q "SELECT lead_unit FROM incidents WHERE id = $k2")
deadline=$(($(now_ms) + 3600000))
con ops command supervise "$k2" --deadline-ms "$deadline" --reason "请今日回复" >/dev/null
sup=$(con ops open --supervised)
assert_eq "$k2|$deadline" "$(jq -r '[.id, .supervision_due_ms] | map(tostring) | join("|")' <<<"$sup")" \
    "the supervision orders waiting: the incident and its deadline"
assert_eq 5 "$(q "SELECT kind FROM outbox WHERE box = 'h:$lead2' AND incident_id = $k2 ORDER BY seq DESC LIMIT 1")" \
    "the holder gets the supervision order"
assert_eq supervision_ordered "$(q "SELECT kind FROM events WHERE incident_id = $k2 ORDER BY seq DESC LIMIT 1")" "supervision on record"
expect_status no_deadline invalid ops command supervise "$k2" --reason 无期限

# Extension: asked by the worker, approved (the limit moves) or denied.
holder=$(q "SELECT worker FROM incidents WHERE id = $k3")
tnode=$([ "$holder" = "$W1" ] && echo t1 || echo t2)
expect_status nothing_asked wrong_state ops command approve "$k3" --reason 同意
term_ok "$tnode" ack "$k3"
term_ok "$tnode" extend "$k3" --to +3d --note "等业主回来"
con ops command approve "$k3" --reason "同意延期" >/dev/null
assert_eq "acknowledged|true" "$(q "SELECT assignment || '|' || (abs(extract(epoch FROM conclude_due - extension_asked)) < 1) FROM incidents WHERE id = $k3")" \
    "approved: the conclude limit is the one asked for"
term_ok "$tnode" extend "$k3" --to +5d --note "还需要时间"
con ops command deny "$k3" --reason "不同意" >/dev/null
assert_eq acknowledged "$(q "SELECT assignment FROM incidents WHERE id = $k3")" "denied"
con ops command conclude "$k3" --reason "指挥中心办结" >/dev/null
assert_eq "concluded|指挥中心办结" "$(q "SELECT state || '|' || result FROM incidents WHERE id = $k3")" "concluded by the operator"
expect_status closed wrong_state ops command conclude "$k3" --reason 再办结
assert_eq "extension_approved extension_denied concluded" \
    "$(q "SELECT string_agg(kind, ' ' ORDER BY seq) FROM events WHERE incident_id = $k3 AND actor_node = 'ops'")" \
    "the operator's events"
# ---- supervision: a reply clears the order, silence breaches it ----
add_node duty2 terminal xihu >/dev/null 2>&1 || true
q "UPDATE nodes SET serves_handler = '$lead2' WHERE id = 'duty2'" >/dev/null
q "NOTIFY fengqiao_directory" >/dev/null
reply_ok=""
for ((i = 0; i < 600; i++)); do
    # The duty officer's own terminal answers (fq-terminal reply).
    if out=$(term duty2 reply "$k2" --note "已处置，今日回复" 2>&1); then
        reply_ok=1
        break
    fi
    sleep 0.1 # the server reloads its directory on NOTIFY
done
[ -n "$reply_ok" ] || fail "the holder's reply to the supervision order: $out"
assert_eq "$deadline" "$(con duty2 sync 0 | jq -r "select(.kind == 5 and .incident == $k2) | .supervision_due_ms")" \
    "the order's item carries its deadline"
assert_eq "supervision_replied|" "$(q "SELECT (SELECT kind FROM events WHERE incident_id = $k2 ORDER BY seq DESC LIMIT 1) || '|' || coalesce(supervision_due::text, '') FROM incidents WHERE id = $k2")" \
    "replied: on record, the order closed"
expect_status reply_twice wrong_state duty2 reply "$k2" "再回复"
# 5 s: still in the future when the command arrives on a busy machine.
con ops command supervise "$k4" --deadline-ms $(($(now_ms) + 5000)) --reason "一小时内回复" >/dev/null
lead4=$(q "SELECT lead_unit FROM incidents WHERE id = $k4")
for ((i = 0; i < 900; i++)); do
    [ "$(q "SELECT count(*) FROM events WHERE incident_id = $k4 AND kind = 'supervision_breached'")" = 1 ] && break
    sleep 0.1
done
assert_eq "1|" "$(q "SELECT (SELECT count(*) FROM events WHERE incident_id = $k4 AND kind = 'supervision_breached') || '|' || coalesce(supervision_due::text, '') FROM incidents WHERE id = $k4")" \
    "unanswered: the breach on record once, the order closed"
assert_eq 4 "$(q "SELECT kind FROM outbox WHERE box = 'h:$lead4' AND incident_id = $k4 ORDER BY seq DESC LIMIT 1")" \
    "the holder is warned of the breach"

# ---- merge a duplicate ----
rep lingyin-platform K5 lingyin-v2 dispute.neighbour
k5=$(id_of K5)
expect_status merge_self wrong_state ops command merge "$k5" --into "$k5" --reason 同一
expect_status merge_outside forbidden lingyin-ops command merge "$k5" --into "$k2" --reason 越权
out=$(con ops command merge "$k5" --into "$k1" --reason "同一纠纷的再次反映")
assert_eq merged "$(field .state "$out")" "merge: the answer"
assert_eq "merged|$k1" "$(q "SELECT state || '|' || merged_into FROM incidents WHERE id = $k5")" "merged into the open one"
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $k1 AND kind = 'report_merged'")" \
    "the open one has it on record"

# ---- after the conclusion: verify, follow up; reopen is not served yet ----
expect_status verify_open wrong_state ops command verify "$k1" --reason 核查
expect_status follow_up_no_score invalid ops command follow_up "$k3" --reason 回访
con ops command verify "$k3" --reason "现场核查属实" >/dev/null
con ops command follow_up "$k3" --satisfaction 4 --reason "当事人基本满意" >/dev/null
assert_eq "4|true|true" "$(q "SELECT satisfaction || '|' || (verified_at IS NOT NULL) || '|' || (followed_up_at IS NOT NULL) FROM incidents WHERE id = $k3")" \
    "verified and followed up, with the satisfaction"
expect_status verify_outside forbidden lingyin-ops command verify "$k2" --reason 越权
# Reopen for redo: back to the worker who concluded it, with fresh limits.
out=$(con ops --message-id 9090 command reopen "$k3" --reason "群众不满意，重新办理")
assert_eq assigned "$(field .state "$out")" "reopen: the answer"
assert_eq "assigned|assigned|$holder" "$(q "SELECT state || '|' || assignment || '|' || worker FROM incidents WHERE id = $k3")" \
    "reopened: open again with the worker who had it"
assert_eq "reopened|ops" "$(q "SELECT kind || '|' || actor_node FROM events WHERE incident_id = $k3 ORDER BY seq DESC LIMIT 1")" "on record"
assert_eq 1 "$(q "SELECT count(*) FROM outbox WHERE box = 'w:$holder' AND incident_id = $k3 AND kind = 1 AND seq = (SELECT max(seq) FROM outbox WHERE box = 'w:$holder')")" \
    "the worker gets it again"
again=$(con ops --message-id 9090 command reopen "$k3" --reason "群众不满意，重新办理")
assert_eq "$(field .event_seq "$out")" "$(field .event_seq "$again")" "a resent reopen: the same answer"
expect_status reopen_open wrong_state ops command reopen "$k3" --reason 再重办
term_ok "$tnode" ack "$k3"
term_ok "$tnode" conclude "$k3" --note "重新调解成功"
assert_eq concluded "$(q "SELECT state FROM incidents WHERE id = $k3")" "the redo concluded by the worker"
assert_eq 1 "$(admin stats --from 2000-01-01 --to 2100-01-01 --by district --json | jq .redone)" \
    "the statistics count it as redone"

# A restart keeps what the commands did (the recovered cases carry them).
server_stop
server_start --dedup-window-min 0 --presence-timeout 600 --console "$CONSOLE_URL"
expect_status still_at_top wrong_state ops command escalate "$k1" --reason 再升
out=$(con ops open --town lingyin)
assert_eq "$k4 $k1" "$(jq -r .id <<<"$out" | xargs)" "after a restart: the board (overdue first)"
server_stop
log "console ok"
