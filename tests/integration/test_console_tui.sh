#!/usr/bin/env bash
# integ_console_tui: fq-console, the district command console, driven in tmux
# against the real server: the board lists the reported incidents by
# urgency, the detail pane shows an incident's timeline, a typed
# `:escalate` command moves the incident one tier up (checked in the
# database), a refused command shows the server's status, the statistics and
# roster screens render, filters narrow the board, the board survives a
# server restart (a command typed meanwhile acts once), `:merge` closes a
# duplicate, a failed routing load shows as a red line at the top until a
# good one; `board --once` and `report` print without the UI, with the exit
# codes 1 (refused), 2 (usage) and 3 (no answer).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

: "${FQ_CONSOLE:?}"
command -v tmux >/dev/null || fail "tmux is not installed (.ci/install-deps)"
export LANG=C.UTF-8 LC_ALL=C.UTF-8

db_create
setup_world
admin node add ops --role console --jurisdiction xihu --key-out "$WORK/keys/ops.key" >/dev/null 2>&1
[ "$(wc -c <"$WORK/keys/ops.key")" = 65 ] || fail "node add ops printed no key"
server_start --dedup-window-min 0

t_from=$(now_ms)
rep() { # ref severity risk title
    report lingyin-platform --category dispute.neighbour --severity "$2" --risk "$3" \
        --channel hotline --place lingyin-v1-g1 --title "$4" --external-ref "$1" --quiet
}
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
rep C1 IV low "控制台 邻里噪音 一般"
rep C2 II high "控制台 群体纠纷 重大"
rep C3 III medium "控制台 楼道堆物 较大"
ID1=$(id_of C1)
ID2=$(id_of C2)
ID3=$(id_of C3)
log "incidents $ID1 (IV) $ID2 (II) $ID3 (III)"

console() { "$FQ_CONSOLE" --node ops --key-file "$(key_of ops)" --url "$TERMINALS_URL" "$@"; }

# ---- board --once: the urgency order (none overdue: severity first) ----
console board --once >"$WORK/once.txt" || fail "board --once exited with $?"
cat "$WORK/once.txt" >&2
order=$(grep -o '控制台 [^ ]* [^ ]*' "$WORK/once.txt" | awk '{print $3}' | tr '\n' ' ')
assert_eq "重大 较大 一般 " "$order" "board --once order by urgency"
head -n 1 "$WORK/once.txt" | grep -q "title" || fail "board --once has no header"

# ---- the TUI in tmux ----
SOCK="$WORK/tmux.sock"
tmx() { tmux -S "$SOCK" "$@"; }
CLEANUPS+=("tmux -S '$SOCK' kill-server 2>/dev/null")
tmx -u new-session -d -x 160 -y 45 -s console \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color '$FQ_CONSOLE' --node ops --key-file '$(key_of ops)' --url '$TERMINALS_URL' --log '$WORK/console.log'; sleep 30"
screen() { tmx capture-pane -p -t console; }
# wait_screen REGEX [seconds]: until the pane shows REGEX.
wait_screen() { wait_tmux_pane "$SOCK" console "$1" "${2:-10}"; }
wait_screen "一般" 15
wait_screen "connected"
screen >"$WORK/board.txt"
cat "$WORK/board.txt" >&2
l2=$(grep -n "群体纠纷" "$WORK/board.txt" | head -1 | cut -d: -f1)
l3=$(grep -n "楼道堆物" "$WORK/board.txt" | head -1 | cut -d: -f1)
l1=$(grep -n "邻里噪音" "$WORK/board.txt" | head -1 | cut -d: -f1)
[ -n "$l1" ] && [ -n "$l2" ] && [ -n "$l3" ] || fail "the board lacks a reported title"
[ "$l2" -lt "$l3" ] && [ "$l3" -lt "$l1" ] || fail "board order: II at $l2, III at $l3, IV at $l1"
grep -qE "open 3 " "$WORK/board.txt" || fail "the status line does not count 3 open"

# detail pane of the first row (the II case): its timeline
tmx send-keys -t console Enter
wait_screen "incident #$ID2"
wait_screen "timeline \([1-9][0-9]* events\)"
screen | grep -q "群体纠纷" || fail "the detail pane lacks the title"
tmx send-keys -t console Escape
wait_screen "most urgent first"

# a command: escalate the IV case (village tier) to the town
tier_before=$(q "SELECT tier FROM incidents WHERE id = $ID1")
assert_eq 1 "$tier_before" "tier of the IV case before (village)"
tmx send-keys -t console ":escalate $ID1 控制台测试 升级到街道" Enter
wait_screen "escalate #$ID1: OK" 15
wait_q "SELECT tier FROM incidents WHERE id = $ID1" 2 5
assert_eq "ops|控制台测试 升级到街道" \
    "$(q "SELECT actor_node || '|' || reason FROM events WHERE incident_id = $ID1 ORDER BY seq DESC LIMIT 1")" \
    "the escalation event: the console node and the typed reason"
# the feed brings the change, the board shows the new tier
wait_screen "邻里噪音 一般 .*town tier/gov" 15

# a refused command shows the server's status
tmx send-keys -t console ":approve $ID2 nothing was asked" Enter
wait_screen "approve #$ID2 refused: wrong_state" 15

# statistics screen
tmx send-keys -t console s
wait_screen "statistics today by town"
wait_screen "acked on time"
wait_screen "lingyin|灵隐"
wait_screen "^total "
screen >"$WORK/stats.txt"
cat "$WORK/stats.txt" >&2
tmx send-keys -t console q
wait_screen "most urgent first"

# roster screen
tmx send-keys -t console r
wait_screen "load/cap"
# ids on request: `i` shows the workers' ids instead of their names
tmx send-keys -t console i
wait_screen "showing ids"
wait_screen "lingyin-v1-g1.w1"
tmx send-keys -t console i
wait_screen "showing names"
tmx send-keys -t console q

# English at 80×24: the row keeps its holder (by name), its state and its
# time left; every line fits
tmx resize-window -t console -x 80 -y 24
for _ in $(seq 100); do
    [ "$(screen | head -n 1 | LC_ALL=C.UTF-8 wc -L)" -le 80 ] && break
    sleep 0.1
done
wait_screen "#$ID2 "
screen >"$WORK/board-en-80x24.txt"
cat "$WORK/board-en-80x24.txt" >&2
[ "$(LC_ALL=C.UTF-8 wc -L <"$WORK/board-en-80x24.txt")" -le 80 ] || fail "English: a line wider than 80"
grep -q " holder .* left" "$WORK/board-en-80x24.txt" || fail "English 80×24: no holder and left headings"
row_en=$(grep "#$ID2 " "$WORK/board-en-80x24.txt" | head -1)
lead2=$(q "SELECT h.name FROM incidents i JOIN handlers h ON h.id = i.lead_unit WHERE i.id = $ID2")
[[ "$row_en" == *"$lead2"* ]] || fail "English 80×24: the row lacks its holder ($lead2): $row_en"
[[ "$row_en" =~ to\ ack.*[0-9]+[smhd]\ *$ ]] || fail "English 80×24: the row lacks its state or time left: $row_en"
tmx resize-window -t console -x 160 -y 45

# filter: nothing is left at the village tier after the escalation
tmx send-keys -t console ":filter tier=village" Enter
wait_screen "filter: tier=village"
wait_screen "open 0 "
tmx send-keys -t console ":filter clear" Enter
wait_screen "open 3 "

# the server goes away: the board says so and stays usable; a command typed
# meanwhile goes through once the server is back (same ports)
server_stop
wait_screen "UNREACHABLE" 20
tmx send-keys -t console j k
tmx send-keys -t console ":escalate $ID3 服务器重启期间的指令" Enter
sleep 1
KEEP_PORTS=1 server_start --dedup-window-min 0
wait_screen "escalate #$ID3: OK" 60
wait_q "SELECT tier FROM incidents WHERE id = $ID3" 3 5
assert_eq 1 "$(q "SELECT count(*) FROM events WHERE incident_id = $ID3 AND actor_node = 'ops'")" \
    "escalations of #$ID3 by the console"
wait_screen "^connected" 30

# merge: the IV case is a duplicate of the III case
tmx send-keys -t console ":merge $ID1 $ID3 同一楼道 重复上报" Enter
wait_screen "merge #$ID1: OK" 15
wait_q "SELECT state FROM incidents WHERE id = $ID1" merged 5
wait_screen "open 2 " 15

# a failed routing load (a ring the schema accepts and the loader refuses,
# written around the importer): a red line at the top of the screen says so
# until the data is mended and loads again
q "INSERT INTO grid_polygons (grid, ring) VALUES ('lingyin-v1-g1', '{120.1,30.1,120.2,30.2,120.3,30.3}');
   NOTIFY fengqiao_directory" >/dev/null
wait_q "SELECT ok, serving FROM routing_status" "f|previous" 30
wait_screen "^ROUTING: the routing state did not load: polygon of grid lingyin-v1-g1: the ring has zero area" 30
screen | head -n 1 | grep -q "^ROUTING: " || fail "the routing status is not the top line"
screen | grep -q "most urgent first" || fail "the board is not shown below the routing status"
q "DELETE FROM grid_polygons WHERE grid = 'lingyin-v1-g1'; NOTIFY fengqiao_directory" >/dev/null
wait_q "SELECT ok, serving FROM routing_status" "t|current" 30
for _ in $(seq 300); do # the next board refresh (every 10 s) clears it
    screen | grep -q "^ROUTING: " || break
    sleep 0.1
done
screen | grep -q "^ROUTING: " && fail "the routing status stayed after a good load"
screen | head -n 1 | grep -q "most urgent first" || fail "the board's title is not back at the top"

# quit
tmx send-keys -t console ":quit" Enter
for _ in $(seq 50); do
    screen | grep -q "most urgent first" || break
    sleep 0.1
done
screen | grep -q "most urgent first" && fail ":quit did not end fq-console"
check_log "$WORK/console.log" # the board's stderr: sanitizer reports land there

# ---- in Chinese, at 80×24 (docs/fq-console.md, "Language" and "Sizes") ----
# The II case's acknowledge limit passed (written around the server: its
# timers do not see it, the board's read does): the board marks which limit.
q "UPDATE incidents SET ack_due = now() - interval '5 minutes' WHERE id = $ID2" >/dev/null
tmx new-session -d -x 80 -y 24 -s zh \
    "env -u LC_ALL -u LANGUAGE LANG=zh_CN.UTF-8 TERM=screen-256color '$FQ_CONSOLE' --node ops --key-file '$(key_of ops)' --url '$TERMINALS_URL' --log '$WORK/console-zh.log'; sleep 30"
zscreen() { tmx capture-pane -p -t zh; }
# wait_zh REGEX [seconds]: until the Chinese pane shows REGEX.
wait_zh() { wait_tmux_pane "$SOCK" zh "$1" "${2:-10}"; }
wait_zh "在办事件，最急在前" 15
wait_zh "#$ID2 "
wait_zh "已连接"
wait_zh "签收超时"
zscreen >"$WORK/board-zh-80x24.txt"
cat "$WORK/board-zh-80x24.txt" >&2
# the Chinese labels and the names of the test district, no raw ids
grep -q "承办" "$WORK/board-zh-80x24.txt" || fail "80×24: no Chinese header"
grep -q "灵隐" "$WORK/board-zh-80x24.txt" || fail "80×24: no town name (灵隐…)"
grep -q "邻里纠纷" "$WORK/board-zh-80x24.txt" || fail "80×24: no category name (邻里纠纷)"
# (the test world's town lines are named "lingyin governance": a name)
if grep -nE "lingyin[-.]|dispute\.|beishan[-.]|xihu\." "$WORK/board-zh-80x24.txt"; then
    fail "80×24: raw ids on the board by default"
fi
# every line fits 80 columns; the row keeps its holder and its time left
[ "$(LC_ALL=C.UTF-8 wc -L <"$WORK/board-zh-80x24.txt")" -le 80 ] ||
    fail "a line is wider than 80 columns"
row_zh=$(grep "#$ID2 " "$WORK/board-zh-80x24.txt" | head -1)
holder=$(q "SELECT coalesce(w.name, h.name) FROM incidents i LEFT JOIN workers w ON w.id = i.worker
            LEFT JOIN handlers h ON h.id = i.lead_unit WHERE i.id = $ID2")
log "80×24 row: $row_zh (holder $holder)"
[ -n "$row_zh" ] || fail "80×24: no row #$ID2"
[[ "$row_zh" == *"签收超时"* ]] || fail "80×24: the row's mark does not say 签收超时"
[[ "$row_zh" =~ -[0-9]+[smhd] ]] || fail "80×24: the row lacks its (negative) time left"
[[ "$row_zh" == *"$holder"* ]] || fail "80×24: the row lacks its holder ($holder)"

# other sizes: 100×30 and 200×50. The board is drawn again at the new size
# once its column header (the second line, whose last column, the time
# left, ends at the right edge) is as wide as the window. (The title line
# never is: tmux's capture drops a line's trailing blanks, so waiting for it
# took the whole bound, 100 polls, at each size.)
for size in 100x30 200x50; do
    tmx resize-window -t zh -x "${size%x*}" -y "${size#*x}"
    for ((i = 0; i < 300; i++)); do
        [ "$(zscreen | sed -n 2p | wc -L)" -ge "${size%x*}" ] && break
        sleep 0.1
    done
    zscreen >"$WORK/board-zh-$size.txt"
    [ "$(sed -n 2p "$WORK/board-zh-$size.txt" | wc -L)" -ge "${size%x*}" ] ||
        fail "$size: the board was not drawn again at the new size: $(sed -n 2p "$WORK/board-zh-$size.txt")"
    grep "#$ID2 " "$WORK/board-zh-$size.txt" | grep -q "签收超时" || fail "$size: no overdue mark"
    grep "#$ID2 " "$WORK/board-zh-$size.txt" | grep -qE -- "-[0-9]+[smhd]" ||
        fail "$size: the row lacks its time left"
    grep "#$ID2 " "$WORK/board-zh-$size.txt" | grep -q "$holder" || fail "$size: the row lacks its holder"
done
grep -q "层级/条线" "$WORK/board-zh-200x50.txt" || fail "200×50: no tier/line column"
grep -q "灵隐街道/玉泉1号网格" "$WORK/board-zh-200x50.txt" ||
    fail "200×50: no place by name (灵隐街道/玉泉1号网格)"
tmx resize-window -t zh -x 80 -y 24

# the mark clears when the case recovers: assigned anew (it is at the top
# tier already), it has a new acknowledge limit
tmx send-keys -t zh ":assign $ID2 unit xihu.center 签收超时 改由指挥中心" Enter
wait_zh "assign #$ID2：成功" 15
for _ in $(seq 150); do
    zscreen | grep -q "签收超时" || break
    sleep 0.1
done
zscreen >"$WORK/board-zh-recovered.txt"
grep -q "签收超时" "$WORK/board-zh-recovered.txt" && fail "the overdue mark stayed after the escalation"

# :open a concluded incident
tmx send-keys -t zh ":conclude $ID3 现场已清理 办结" Enter
wait_zh "conclude #$ID3：成功" 15
wait_q "SELECT state FROM incidents WHERE id = $ID3" concluded 5
tmx send-keys -t zh ":open $ID3" Enter
wait_zh "事件 #$ID3"
wait_zh "办理经过（[1-9][0-9]* 条）"
wait_zh "状态  办结 "
zscreen >"$WORK/open-concluded-zh.txt"
grep -q "楼道堆物" "$WORK/open-concluded-zh.txt" || fail ":open of a concluded incident lacks its title"
tmx send-keys -t zh Escape
wait_zh "在办事件"

# search by text (the concluded one is found), then by external reference;
# a result opens with Enter
tmx send-keys -t zh ":search 楼道" Enter
wait_zh '查找“楼道”：找到 [1-9]'
zscreen >"$WORK/search-zh.txt"
grep -q "#$ID3 " "$WORK/search-zh.txt" || fail "search: #$ID3 not found by a word of its title"
tmx send-keys -t zh Enter
wait_zh "事件 #$ID3"
tmx send-keys -t zh Escape
wait_zh '查找“楼道”'
tmx send-keys -t zh Escape
wait_zh "在办事件"
tmx send-keys -t zh ":search C2" Enter
wait_zh '查找“C2”：找到 1 件'
zscreen | grep -q "#$ID2 " || fail "search: #$ID2 not found by its external reference"
tmx send-keys -t zh Escape

# the statistics: a totals row, scrolled down and sideways
tmx send-keys -t zh s
wait_zh "统计 今日 按街镇"
wait_zh "^合计 "
zscreen >"$WORK/stats-zh-80x24.txt"
cat "$WORK/stats-zh-80x24.txt" >&2
grep -q "受理" "$WORK/stats-zh-80x24.txt" || fail "statistics: no Chinese heading"
grep -q "灵隐街道" "$WORK/stats-zh-80x24.txt" || fail "statistics: the town is not named"
grep -q "积压超30天" "$WORK/stats-zh-80x24.txt" &&
    fail "statistics: the last column shows at 80 columns unscrolled"
for _ in 1 2 3 4 5 6; do tmx send-keys -t zh Right; done
wait_zh "积压超30天"
zscreen >"$WORK/stats-zh-scrolled.txt"
cat "$WORK/stats-zh-scrolled.txt" >&2
grep -q "^合计 " "$WORK/stats-zh-scrolled.txt" || fail "statistics: the group column did not stay"
tmx send-keys -t zh q
wait_zh "在办事件"
tmx send-keys -t zh ":quit" Enter
check_log "$WORK/console-zh.log"

# ---- report ----
t_to=$(($(now_ms) + 1000))
console report --from "$t_from" --to "$t_to" --csv >"$WORK/report.csv" || fail "report --csv exited with $?"
cat "$WORK/report.csv" >&2
head -n 1 "$WORK/report.csv" | grep -q '^group,received,acknowledged,acknowledged_on_time,concluded' ||
    fail "report --csv lacks the header"
# three reported, one merged into another: two cases (docs/statistics.md)
grep -qE '^lingyin,2,' "$WORK/report.csv" || fail "report --csv: no lingyin row with 2 received"
console report --from "$t_from" --to "$t_to" --by district >"$WORK/report.txt" ||
    fail "report (table) exited with $?"
grep -q "received" "$WORK/report.txt" || fail "report table lacks its header"

# usage and refusals
rc=0
console report --from yesterday --to now >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "exit code of a bad --from"
rc=0
"$FQ_CONSOLE" --node lingyin-platform --key-file "$(key_of lingyin-platform)" --url "$TERMINALS_URL" \
    board --once >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "exit code of a non-console node"
rc=0
"$FQ_CONSOLE" --node ops --key-file "$(key_of ops)" --url "tcp://127.0.0.1:$(free_port)" \
    --timeout-ms 1500 board --once >/dev/null 2>&1 || rc=$?
assert_eq 3 "$rc" "exit code without a server"

server_stop
