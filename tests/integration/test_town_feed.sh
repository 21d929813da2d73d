#!/usr/bin/env bash
# integ_town_feed: a town system follows its incidents from typed fields
# alone (issue #13 item 1). The town platform runs `fq-report follow`; a
# follower (town_follower.py) that drops every item's `text` rebuilds each
# incident's state, assignment state, tier, line, holder and co-handling
# units from the items' fields, and after every step is compared with the
# database (the incidents row and the newest event with a feed item, read in
# one snapshot). The steps drive every kind of change: a report routed by a
# rule and by the principle, acknowledge, progress, extension asked and
# approved, asked and denied, supervision order and reply, suspend and
# resume, conclusion by the worker, reopening, return to the right place
# (wrong jurisdiction) and beyond capacity, an operator's escalation and
# skip-level reassignment into a joint operation, escalation on an overdue
# acknowledge limit up to the breach at the district and on an overdue
# conclude limit, a duplicate merged at intake and one merged by an operator, an
# unroutable report (another district's feed), a conclusion by an operator, a
# worker whose terminal went silent (rerouted to the other worker), one who
# went off duty, a supervision order nobody answered.
# Each item's event_seq is the event's in the history, its reason code the
# documented one; the old holder's box gets a cancellation that names the
# new holder; the report's external_ref and reporting node come on every
# item, also those read back from the database; the consoles' timelines
# carry the same reason codes, and the history chain still verifies.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

FOLLOWER="$FQ_SRC_DIR/tests/integration/town_follower.py"
FQ_TERMINAL=${FQ_TERMINAL:?}
db_create
setup_world

add_terminal t1 "$W1"
add_terminal t2 "$W2"
admin node add v2-duty --role terminal --serves-unit lingyin-v2.village \
    --key-out "$WORK/keys/v2-duty.key" >/dev/null 2>&1
admin node add gov-duty --role terminal --serves-unit lingyin.governance \
    --key-out "$WORK/keys/gov-duty.key" >/dev/null 2>&1
admin node add ops --role console --jurisdiction xihu --description 区指挥中心值班台 \
    --key-out "$WORK/keys/ops.key" >/dev/null 2>&1
# Another district with no handling unit at all: its reports are unroutable.
admin unit add yuhang --kind district --name 余杭区 >/dev/null
admin unit add yh-town --kind town --parent yuhang --name 仓前街道 >/dev/null
add_node yh-platform town_platform yh-town
# Short limits: fire hazards enter at the town and are not acknowledged (3 s,
# then the district, then its breach); floods are acknowledged but not
# concluded (14 s). Other categories have no rule: the built-in principle routes them.
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_town_feed', 'short limits', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.fire', 0, 0, 'town', NULL, '{}', 3, 2, 36000, 60),
            (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', 10, 2, 14, 2)" >/dev/null
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --presence-timeout 600 --console "$CONSOLE_URL"

FEED="$WORK/town.feed"
spawn "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" follow \
    --url "$TERMINALS_URL" >"$FEED" 2>"$WORK/follow.err"

con() { # args...: a console command as ops
    local out
    out=$("$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node ops --key-file "$(key_of ops)" command "$@") ||
        fail "console command $*: $out"
}
new_report() { # external-ref category place [fq-report flags...]: the incident id
    local ref=$1 category=$2 place=$3
    shift 3
    report lingyin-platform --category "$category" --severity IV --risk low --channel hotline \
        --place "$place" --title "跟踪 $ref" --external-ref "$ref" --json "$@" | jq -r .incident_id
}
# follows INCIDENT KIND CODE: the follower's state agrees with the database
# once the feed has KIND (with reason code CODE) as its newest for INCIDENT;
# prints that item (JSON, without its text). One follower process
# (town_follower.py serve) checks them all, in turn: a Python start per
# check was most of the test's CPU time.
coproc FOLLOW { exec python3 "$FOLLOWER" serve "$FQ_DB"; }
BG_PIDS+=("$FOLLOW_PID")
follows() { follows_in "$FEED" "$@"; }
follows_in() { # FEED INCIDENT KIND CODE
    local out
    printf '%s\t%s\t%s\t%s\n' "$@" >&"${FOLLOW[1]}"
    IFS= read -r out <&"${FOLLOW[0]}" || fail "the town system's follower exited"
    [[ $out != '!'* ]] || fail "the town system lost track: ${out#!}"
    log "followed $2 $3 ($4)"
    printf '%s\n' "$out"
}
# The event's seq in the history, as the item says it.
assert_event() { # item incident kind
    local seq
    seq=$(jq -r .event_seq <<<"$1")
    assert_eq "$3" "$(q "SELECT kind FROM events WHERE seq = $seq AND incident_id = $2")" \
        "event_seq $seq of incident $2 is its $3 event"
}

# ---- A: a report routed by the principle, then every step of a worker's handling ----
a=$(new_report TF-A dispute.neighbour lingyin-v1-g1)
it=$(follows "$a" assigned principle)
assert_event "$it" "$a" assigned
assert_eq "TF-A|lingyin-platform|assigned|village|governance" \
    "$(jq -r '[.external_ref, .reporter_node, .state, .tier, .line] | join("|")' <<<"$it")" \
    "the report's item: external_ref, reporting node, state, tier, line"
wa=$(jq -r .holder_worker <<<"$it")
ta=t${wa##*.w}
term_ok "$ta" ack "$a"
it=$(follows "$a" acknowledged holder_action)
assert_eq "$ta" "$(jq -r .actor <<<"$it")" "the actor is the acting node"
assert_eq "TF-A|lingyin-platform" "$(jq -r '[.external_ref, .reporter_node] | join("|")' <<<"$it")" \
    "a change's item carries the report's numbers too (read from the incident)"
term_ok "$ta" progress "$a" --note 已联系双方
it=$(follows "$a" progress holder_action)
assert_eq 已联系双方 "$(jq -r .reason <<<"$it")" "the stored reason is the note"
term_ok "$ta" extend "$a" --to +1d --note 需等物业
follows "$a" extension_requested holder_action >/dev/null
con approve "$a" --reason 同意延期
follows "$a" extension_approved operator_choice >/dev/null
term_ok "$ta" extend "$a" --to +2d --note 还需时间
follows "$a" extension_requested holder_action >/dev/null
con deny "$a" --reason 不再延期
follows "$a" extension_denied operator_choice >/dev/null
con supervise "$a" --deadline-ms $(($(now_ms) + 3600000)) --reason 请今日回复
follows "$a" supervision_ordered operator_choice >/dev/null
term_ok "$ta" reply "$a" --note 正在处理
follows "$a" supervision_replied holder_action >/dev/null
con suspend "$a" --reason 等待司法鉴定
it=$(follows "$a" suspended operator_choice)
[ "$(jq -r .suspended_at_ms <<<"$it")" != null ] || fail "a suspension's item has suspended_at_ms"
con resume "$a" --reason 鉴定结果已出
follows "$a" resumed operator_choice >/dev/null
# A duplicate of A while it is open: merged at intake.
d=$(new_report TF-D dispute.neighbour lingyin-v1-g1)
it=$(follows "$d" merged merged)
assert_eq "$a|merged||" "$(jq -r '[.merged_into, .state, .assignment, .tier // ""] | join("|")' <<<"$it")" \
    "a merged report: merged into A, no assignment, no tier"
term_ok "$ta" conclude "$a" --note 已调解
it=$(follows "$a" concluded holder_action)
assert_eq "concluded|" "$(jq -r '[.state, .assignment] | join("|")' <<<"$it")" \
    "concluded: the incident's state, no assignment"
con reopen "$a" --reason 当事人反映未解决
follows "$a" reopened operator_choice >/dev/null
log "A: every step of a worker's handling followed"

# ---- B: returns, an operator's escalation and a skip-level joint operation ----
b=$(new_report TF-B dispute.labour lingyin-v1-g1)
it=$(follows "$b" assigned principle)
wb=$(jq -r .holder_worker <<<"$it")
tb=t${wb##*.w}
term_ok "$tb" return "$b" --reason wrong --to lingyin-v2 --note 不在本网格
it=$(follows "$b" returned returned_wrong_jurisdiction)
assert_eq "lingyin-v2.village|assigned|$tb" \
    "$(jq -r '[.holder_unit, .assignment, .actor] | join("|")' <<<"$it")" "returned to the right village's unit"
# The worker who returned it got a cancellation naming the new holder.
c=$("$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node "$tb" --key-file "$(key_of "$tb")" sync 0 2>/dev/null |
    jq -c --argjson i "$b" 'select(.incident == $i and .kind == 3)' | tail -n 1)
[ -n "$c" ] || fail "no cancellation for $tb"
assert_eq "lingyin-v2.village|returned_wrong_jurisdiction" \
    "$(jq -r '[.holder_unit, .reason_code] | join("|")' <<<"$c")" "the cancellation names the holder after the event"
term_ok v2-duty return "$b" --reason capacity --note 力量不足
it=$(follows "$b" returned returned_beyond_capacity)
assert_eq "town|lingyin.governance" "$(jq -r '[.tier, .holder_unit] | join("|")' <<<"$it")" "one tier up"
term_ok gov-duty ack "$b"
follows "$b" acknowledged holder_action >/dev/null
con escalate "$b" --reason 需区级部门
it=$(follows "$b" escalated operator_choice)
assert_eq district "$(jq -r .tier <<<"$it")" "escalated by the operator"
con assign "$b" --unit lingyin.governance --co lingyin.services --reason 街道联合处置
it=$(follows "$b" reassigned operator_choice)
assert_eq "town|lingyin.governance|lingyin.services|lingyin services" \
    "$(jq -r '[.tier, .holder_unit, (.co_units | join(",")), (.co_unit_names | join(","))] | join("|")' <<<"$it")" \
    "sent down into a joint operation, co-handlers with names"
con conclude "$b" --reason 已协调解决
follows "$b" concluded operator_choice >/dev/null
log "B: returns, escalation and the joint operation followed"

# ---- C: a rule, the acknowledge limit passes twice: escalation, then the breach ----
c=$(new_report TF-C hazard.fire lingyin-v1)
it=$(follows "$c" assigned rule)
if [ "$(jq -r '.rule // 0' <<<"$it")" -eq 0 ] || [ "$(jq -r .rule_set <<<"$it")" != 1 ]; then
    fail "a rule's decision names the rule set and the rule: $it"
fi
it=$(follows "$c" escalated acknowledge_overdue)
assert_eq district "$(jq -r .tier <<<"$it")" "escalated to the district on the overdue acknowledge limit"
assert_event "$it" "$c" escalated
follows "$c" breached acknowledge_overdue >/dev/null
log "C: overdue acknowledge limit followed to the breach"

# ---- F: acknowledged, the conclude limit passes: escalated to the town ----
f=$(new_report TF-F hazard.flood lingyin-v1-g1)
it=$(follows "$f" assigned rule)
wf=$(jq -r .holder_worker <<<"$it")
term_ok "t${wf##*.w}" ack "$f"
follows "$f" acknowledged holder_action >/dev/null
it=$(follows "$f" escalated conclude_overdue)
assert_eq "town|assigned" "$(jq -r '[.tier, .assignment] | join("|")' <<<"$it")" \
    "escalated to the town on the overdue conclude limit, assigned afresh"
log "F: overdue conclude limit followed"

# ---- E: merged by an operator ----
# Village lingyin-v2 has no workers: the town takes them (climbed).
e1=$(new_report TF-E1 service.elderly_care lingyin-v2)
follows "$e1" assigned climbed >/dev/null
e2=$(new_report TF-E2 market.food_safety lingyin-v2)
follows "$e2" assigned - >/dev/null
con merge "$e2" --into "$e1" --reason 同一事项
it=$(follows "$e2" merged operator_choice)
assert_eq "$e1|merged" "$(jq -r '[.merged_into, .state] | join("|")' <<<"$it")" "merged by the operator"
log "E: operator's merge followed"
# A supervision order on E1 that nobody answers in time.
con supervise "$e1" --deadline-ms $(($(now_ms) + 2000)) --reason 两秒内答复
follows "$e1" supervision_ordered operator_choice >/dev/null
follows "$e1" supervision_breached supervision_overdue >/dev/null
log "E: supervision order unanswered followed"

# ---- U: unroutable, in another district's town feed ----
r=$(report yh-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place yh-town --title 无人可派 --external-ref TF-U --json)
u=$(jq -r .incident_id <<<"$r")
"$FQ_REPORT" --node yh-platform --key-file "$(key_of yh-platform)" follow --url "$TERMINALS_URL" \
    --once >"$WORK/yh.feed" 2>/dev/null || fail "yh-platform follow"
it=$(follows_in "$WORK/yh.feed" "$u" unroutable no_handler)
assert_eq "unroutable|TF-U|yh-platform" "$(jq -r '[.state, .external_ref, .reporter_node] | join("|")' <<<"$it")" \
    "unroutable, with the report's numbers"

# ---- P: the worker's terminal goes silent: rerouted to the other worker ----
# The same ports: the town's follower rides through the restart.
feed_url=$TERMINALS_URL
server_stop
KEEP_PORTS=1 server_start --presence-timeout 3 --console "$CONSOLE_URL"
[ "$TERMINALS_URL" = "$feed_url" ] || fail "the terminal endpoint moved (its port was taken)"
g=$(new_report TF-G enforcement.illegal_building lingyin-v1-g1)
it=$(follows "$g" assigned -)
wg=$(jq -r .holder_worker <<<"$it")
# Its terminal syncs once (the server knows it from then on), then is silent.
term_ok "t${wg##*.w}" watch --once
it=$(follows "$g" rerouted presence_lost)
wn=$(jq -r .holder_worker <<<"$it")
[ "$wn" != "$wg" ] || fail "rerouted away from the silent worker: $it"
log "P: presence lost followed"
# The new holder goes off duty (the operator's roster): it climbs.
loads=$(directory_loads)
admin worker duty "$wn" off >/dev/null
wait_directory_reload "$loads"
it=$(follows "$g" escalated off_duty)
assert_eq "town|" "$(jq -r '[.tier, .holder_worker // ""] | join("|")' <<<"$it")" "off duty: up to the town"
log "P: off duty followed"

# ---- the consoles' timelines carry the same codes ----
# The timeline of C and B as the console reads them: each event's reason
# code is the one its feed item carried (the web console and fq-console
# label them in the operator's language).
for k in "$b" "$c"; do
    timeline=$("$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node ops --key-file "$(key_of ops)" incident "$k" |
        jq -c '[.timeline[] | select(.kind != "reported" and .kind != "ack_warning") | [.seq, .reason_code]]')
    fed=$(jq -sc --argjson i "$k" '[.[] | select(.incident == $i) | [.event_seq, .reason_code]] | unique' "$FEED")
    assert_eq "$fed" "$timeline" "incident $k: the timeline's reason codes are the feed's"
done
assert_eq "returned_wrong_jurisdiction returned_beyond_capacity" \
    "$(q "SELECT string_agg(reason_code, ' ' ORDER BY seq) FROM events WHERE incident_id = $b AND kind = 'returned'")" \
    "the returns' codes are stored with their events"
admin verify >/dev/null || fail "the history chain verifies with the codes beside it"

# ---- nothing in the town's feed lacks the typed fields ----
assert_eq 0 "$(jq -c 'select(.event_seq == null or .reason_code == null or .state == null
                          or .reporter_node == null)' "$FEED" | wc -l)" \
    "every item of the town's feed has event_seq, reason_code, state and reporting node"
codes=$(jq -r .reason_code "$FEED" | sort -u | tr '\n' ' ')
log "reason codes seen: $codes"
# What the typed fields cost in the outbox: the bodies as stored, and the
# bytes of fields 26.. in them (docs/terminals.md, "Structured items").
log "outbox bodies: $(q "SELECT encode(body, 'hex') FROM outbox UNION ALL SELECT encode(feed_item, 'hex') FROM events WHERE feed_item IS NOT NULL" | PYTHONPATH="$FQ_SRC_DIR/tests/integration" python3 -c '
import sys, pbfields
bodies = [bytes.fromhex(l.strip()) for l in sys.stdin if l.strip()]
typed = [sum(n for f, n in pbfields.sizes(b).items() if f >= 26) for b in bodies]
print("%d items, %.0f bytes each on average, %.0f of them typed fields (26..41), at most %d"
      % (len(bodies), sum(map(len, bodies)) / len(bodies), sum(typed) / len(typed), max(typed)))')"
log "items followed: $(wc -l <"$FEED"); example: $(grep '"event_kind":"reassigned"' "$FEED" | tail -n 1)"
server_stop
