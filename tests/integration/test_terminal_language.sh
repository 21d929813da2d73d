#!/usr/bin/env bash
# integ_terminal_language: fq-terminal as a grid worker of the demo district
# (examples/westlake-topology.json) reads it, through a plain pipe.
#
#  - With LANG=zh_CN.UTF-8 (and the machine's own zone UTC) a new assignment
#    shows Chinese labels (新派单/派单, 事件, 签收时限, 办结时限) and the
#    topology's names of its category and grid, never a rule number, a rule
#    set or a box name; its limits are the server's due times in the
#    district's +08:00, converted here independently; the journal keeps the
#    protocol's words and ids, and the district's zone.
#  - One-shot actions answer in Chinese; `list` works offline with the zone
#    the journal remembers; --ids adds the ids beside the names.
#  - With LANG=C.UTF-8 the same lines are English.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

: "${FQ_TERMINAL:?}"
TOPOLOGY="$FQ_SRC_DIR/examples/westlake-topology.json"
setup_topology "$TOPOLOGY"
admin calendar import "$FQ_SRC_DIR/examples/calendar-2026.json" >/dev/null

# The first grid of the first village of the first town, as the topology names it.
read -r TOWN TOWN_SERVICES GRID GRID_NAME W1 W2 CATEGORY_NAME ELDERLY_NAME < <(python3 - "$TOPOLOGY" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
town = t["towns"][0]
grid = town["villages"][0]["grids"][0]
name = {c["code"]: c["name"] for c in t["categories"]}
print(town["id"], town["lines"]["services"]["name"], grid["id"], grid["name"], grid["workers"][0]["id"], grid["workers"][1]["id"],
      name["dispute.neighbour"], name["elderly_care"])
PY
)
[ -n "$ELDERLY_NAME" ] || fail "the demo topology has no grid with two workers, or lacks a category"
add_node "$TOWN-platform" town_platform "$TOWN"
for w in "$W1" "$W2"; do
    admin node add "$w-term" --role terminal --serves-worker "$w" --key-out "$WORK/keys/$w-term.key" \
        >/dev/null 2>&1
done
admin node add "$TOWN-ops" --role console --jurisdiction "$TOWN" --description 街道指挥中心值班台 \
    --key-out "$WORK/keys/$TOWN-ops.key" >/dev/null 2>&1
CONSOLE_URL="tcp://127.0.0.1:$(free_port)"
server_start --console "$CONSOLE_URL"
STATE=$TERMINAL_STATE
con() { # a command of the town's command center
    "$FQ_CONSOLE_PEER" --url "$CONSOLE_URL" --node "$TOWN-ops" --key-file "$(key_of "$TOWN-ops")" \
        command "$@" >/dev/null || fail "console command $*"
}

# in_lang LANG COMMAND...: COMMAND (term) in that language, on a machine
# whose own zone is UTC (the district's +08:00 must come from the server).
in_lang() { LANG=$1 TZ=UTC "${@:2}"; }

report "$TOWN-platform" --category dispute.neighbour --severity IV --risk low --channel hotline \
    --place "$GRID" --title "楼上装修噪音" --address "文三路 12 号" --external-ref LANG-1 --quiet ||
    fail "the report was not stored"
id=$(q "SELECT id FROM incidents WHERE external_ref = 'LANG-1'")
worker=$(q "SELECT worker FROM incidents WHERE id = $id")
case "$worker" in
"$W1" | "$W2") ;;
*) fail "the report went to '$worker', not a worker of $GRID" ;;
esac
node="$worker-term"
log "incident $id with $worker"

# ---- Chinese ----
in_lang zh_CN.UTF-8 term "$node" watch --once >"$WORK/zh.out" 2>"$WORK/zh.err" ||
    fail "watch --once failed: $(cat "$WORK/zh.err")"
line=$(grep "事件 $id " "$WORK/zh.out" | head -n 1)
[ -n "$line" ] || fail "no line for incident $id in: $(cat "$WORK/zh.out")"
log "zh: $line"
assert_match "^(新派单|派单) · 事件 $id · $CATEGORY_NAME 一般（IV级） · 楼上装修噪音 · " "$line" \
    "the Chinese heading, category name and severity"
assert_match " · $GRID_NAME（文三路 12 号） · " "$line" "the grid's name from the topology"
assert_match "签收时限 .*办结时限 " "$line" "the limits in Chinese"
if grep -qiE 'rule|set [0-9]|规则|[wuh]:[a-z]' "$WORK/zh.out"; then
    fail "jargon in a worker's view: $(cat "$WORK/zh.out")"
fi
if grep -q "$GRID\b\|dispute.neighbour" <<<"$line"; then
    fail "ids shown without --ids: $line"
fi

# The limits: the server's due times in +08:00, converted here.
check_limits() { # line ack-label conclude-label (the acknowledge limit may be gone)
    python3 - "$1" "$2" "$3" "$(q "SELECT (extract(epoch FROM ack_due) * 1000)::bigint,
        (extract(epoch FROM conclude_due) * 1000)::bigint FROM incidents WHERE id = $id")" <<'PY'
import datetime, re, sys
line, ack_label, conclude_label, dues = sys.argv[1:]
zone = datetime.timezone(datetime.timedelta(hours=8))
now = datetime.datetime.now(zone)
for label, ms in zip((ack_label, conclude_label), dues.split("|")):
    m = re.search(re.escape(label) + r" (?:(\d{4}-\d\d-\d\d) )?(\d\d:\d\d)", line)
    if not m and label == ack_label:
        continue  # acknowledged: the list may no longer show that limit
    if not m:
        sys.exit(f"no '{label}' time in: {line}")
    due = datetime.datetime.fromtimestamp(int(ms) / 1000, zone)
    date, hhmm = m.groups()
    if hhmm != due.strftime("%H:%M"):
        sys.exit(f"{label} {hhmm}, but the server's due time is {due:%H:%M} (+08:00): {line}")
    if date is not None and date != due.strftime("%Y-%m-%d"):
        sys.exit(f"{label} on {date}, but the due date is {due:%Y-%m-%d} (+08:00): {line}")
    if date is None and due.date() != now.date():
        sys.exit(f"{label} shows no date though it is not today (+08:00): {line}")
PY
}
check_limits "$line" 签收时限 办结时限 || fail "limits not in the district's time"

# The journal: language-neutral (protocol words, ids), with the zone.
jline=$(jq -c "select(.incident == $id)" "$STATE/$node.journal" | head -n 1)
[ "$(jq -r .category <<<"$jline")" = dispute.neighbour ] || fail "journal: $jline"
[ "$(jq -r .kind <<<"$jline")" = assignment ] || fail "journal kind: $jline"
assert_eq "+08:00" "$(jq -r .time_zone <<<"$jline")" "the journal keeps the district's zone"
assert_eq "$CATEGORY_NAME" "$(jq -r .category_name <<<"$jline")" "the journal keeps the category's name"
in_lang zh_CN.UTF-8 term "$node" watch --once --json >"$WORK/json.out" 2>/dev/null || true
if grep -qP '[\x{4e00}-\x{9fff}]' <(jq -r '.kind, .event_kind // empty' "$WORK/json.out" "$STATE/$node.journal"); then
    fail "--json kinds are not protocol words"
fi

# Actions answer in Chinese.
out=$(in_lang zh_CN.UTF-8 term "$node" ack "$id" 2>&1) || fail "ack failed: $out"
assert_eq "事件 $id：已签收" "$out" "ack in Chinese"
out=$(in_lang zh_CN.UTF-8 term "$node" ack "$id" 2>&1) || fail "second ack failed: $out"
assert_eq "事件 $id：已签收过" "$out" "ack again in Chinese"
out=$(in_lang zh_CN.UTF-8 term "$node" progress "$id" --note "已联系双方" 2>&1) || fail "progress: $out"
assert_eq "事件 $id：进展已记录" "$out" "progress in Chinese"

# Suspended by the command center (中止): the worker reads it with the reason
# and who; the list marks it, with no countdown; its lifting brings the
# limits as moved on.
con suspend "$id" --reason 等待法院裁定
in_lang zh_CN.UTF-8 term "$node" watch --once >"$WORK/susp.out" 2>&1 || fail "watch: $(cat "$WORK/susp.out")"
assert_eq "已中止 · 事件 $id · 楼上装修噪音 — 原因：等待法院裁定（街道指挥中心值班台）" \
    "$(grep "^已中止 " "$WORK/susp.out")" "the suspension as the worker reads it"
since=$(TZ=Asia/Shanghai date -d "@$(q "SELECT extract(epoch FROM suspended_at)::bigint FROM incidents WHERE id = $id")" +%H:%M)
list=$(in_lang zh_CN.UTF-8 term "$node" list)
assert_match "事件 $id · .* · 自 $since 起中止：等待法院裁定$" "$list" "the list marks the suspended assignment"
if grep -q "时限" <<<"$list"; then
    fail "a suspended assignment shows a countdown: $list"
fi
out=$(in_lang zh_CN.UTF-8 term "$node" conclude "$id" --note 已调解 2>&1) && fail "concluded while suspended: $out"
log "conclude while suspended: $out"
con resume "$id" --reason 裁定已出
in_lang zh_CN.UTF-8 term "$node" watch --once >"$WORK/resume.out" 2>&1 || fail "watch: $(cat "$WORK/resume.out")"
resumed=$(grep "^中止解除 " "$WORK/resume.out")
assert_match "^中止解除 · 事件 $id · 楼上装修噪音 · .*办结时限 .* — 街道指挥中心值班台：裁定已出$" "$resumed" \
    "the suspension lifted, with the limits"
check_limits "$resumed" 签收时限 办结时限 || fail "resumed: limits not the server's in +08:00"
list=$(in_lang zh_CN.UTF-8 term "$node" list)
if grep -q "中止" <<<"$list"; then
    fail "the list still marks it suspended: $list"
fi

# Line mode through a pipe: the banner names the zone, typed mistakes and
# answers are Chinese.
out=$(printf 'bogus\nprogress %s 第二次进展\nquit\n' "$id" | in_lang zh_CN.UTF-8 term "$node" watch --line 2>&1) ||
    fail "watch --line: $out"
assert_match "以 $node 身份接收中；时间为本区时间（UTC\+08:00）" "$out" "the banner in Chinese, with the zone"
assert_match "未知命令“bogus”（输入 help 查看命令）" "$out" "a typed mistake in Chinese"
assert_match "事件 $id：进展已记录" "$out" "a typed action's answer in Chinese"

# In a real terminal (tmux): watch is interactive by itself; a new assignment
# comes in while it runs and is acknowledged by typing.
command -v tmux >/dev/null || fail "tmux is not installed (.ci/install-deps)"
SOCK="$WORK/tmux.sock"
tmx() { tmux -S "$SOCK" "$@"; }
CLEANUPS+=("tmux -S '$SOCK' kill-server 2>/dev/null")
# Another category (the same one at the same place would be merged into the
# first), whose limits count working time (the demo's rule for elderly_care IV).
report "$TOWN-platform" --category elderly_care --severity IV --risk low --channel hotline \
    --place "$GRID" --title "独居老人需要助餐" --external-ref LANG-2 --quiet || fail "the second report"
id2=$(q "SELECT id FROM incidents WHERE external_ref = 'LANG-2'")
node2="$(q "SELECT worker FROM incidents WHERE id = $id2")-term"
tmx -u new-session -d -x 200 -y 40 -s term \
    "env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=zh_CN.UTF-8 TZ=UTC '$FQ_TERMINAL' --node '$node2' \
     --key-file '$(key_of "$node2")' --url '$TERMINALS_URL' --state-dir '$STATE' watch; sleep 30"
pane() { tmx capture-pane -p -t term; }
wait_pane() { wait_tmux_pane "$SOCK" term "$1" "${2:-15}"; } # REGEX [seconds]
wait_pane "身份接收中；时间为本区时间（UTC\+08:00）"
wait_pane "派单 · 事件 $id2 · $ELDERLY_NAME 一般（IV级） · 独居老人需要助餐 · $GRID_NAME · 签收时限 .*（按工作日计）"
tmx send-keys -t term "ack $id2" Enter
wait_pane "事件 $id2：已签收"
tmx send-keys -t term "quit" Enter
wait_q "SELECT assignment FROM incidents WHERE id = $id2" acknowledged 10

# The command center supervises it, then escalates it: the worker reads
# who ordered what by name, the reply's limit, and who has it now.
reply_due=$(($(now_ms) + 7200000))
con supervise "$id2" --deadline-ms "$reply_due" --reason 请今日内回复处理进展
con escalate "$id2" --reason 需要街道协调助餐点
in_lang zh_CN.UTF-8 term "$node2" watch --once >"$WORK/zh2.out" 2>&1 || fail "watch --once: $(cat "$WORK/zh2.out")"
log "zh: $(cat "$WORK/zh2.out")"
due_text=$(TZ=Asia/Shanghai date -d "@$((reply_due / 1000))" +%H:%M)
if [ "$(TZ=Asia/Shanghai date +%F)" != "$(TZ=Asia/Shanghai date -d "@$((reply_due / 1000))" +%F)" ]; then
    due_text=$(TZ=Asia/Shanghai date -d "@$((reply_due / 1000))" "+%F %H:%M")
fi
assert_match "^督办 · 事件 $id2 · 独居老人需要助餐 · 督办回复时限 $due_text — 街道指挥中心值班台：请今日内回复处理进展$" \
    "$(grep "^督办 " "$WORK/zh2.out")" "the supervision order: its reply's limit, who and what"
assert_match "^升级 · 事件 $id2 · 独居老人需要助餐 · 现由 $TOWN_SERVICES 办理 — 街道指挥中心值班台：需要街道协调助餐点$" \
    "$(grep "^升级 " "$WORK/zh2.out")" "the escalation: who has it now, by name"
if grep -qiE 'rule|set [0-9]|[wuh]:[a-z]' "$WORK/zh2.out"; then
    fail "jargon in a worker's view: $(cat "$WORK/zh2.out")"
fi

# list works from the journal alone (the server stopped): the zone it remembers.
server_stop
list=$(in_lang zh_CN.UTF-8 term "$node" list)
assert_match "事件 $id · $CATEGORY_NAME" "$list" "list in Chinese, offline"
check_limits "$list" 签收时限 办结时限 || fail "list: limits not in the district's time"
ids=$(in_lang zh_CN.UTF-8 term "$node" --ids list)
assert_match "^\[#[0-9]+\] .*事件 $id · $CATEGORY_NAME \(dispute\.neighbour\) .*$GRID_NAME \($GRID\)" "$ids" \
    "--ids shows the ids beside the names"

# ---- English ----
en=$(in_lang C.UTF-8 term "$node" list)
log "en: $en"
assert_match "^(new assignment|assigned) · incident $id · $CATEGORY_NAME ordinary \(IV\) · 楼上装修噪音 · $GRID_NAME \(文三路 12 号\) · " \
    "$en" "the English line"
check_limits "$en" "acknowledge by" "conclude by" || fail "English limits not in the district's time"
if grep -qP '[签办事件派]' <<<"${en//$CATEGORY_NAME/}"; then
    fail "Chinese labels in the English line: $en"
fi
out=$(in_lang C.UTF-8 term "$node" --help)
assert_match "Chinese by default; English with LANG=C.UTF-8" "$out" "English help"
out=$(in_lang zh_CN.UTF-8 term "$node" --help)
assert_match "默认中文" "$out" "Chinese help"
log "ok"
