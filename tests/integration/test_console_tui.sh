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
wait_screen() {
    local re=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 10; i++)); do
        screen >"$WORK/pane.txt"
        grep -qE "$re" "$WORK/pane.txt" && return 0
        sleep 0.1
    done
    cat "$WORK/pane.txt" >&2
    fail "the screen did not show /$re/ within $limit s"
}
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
wait_screen "邻里噪音 一般 +lingyin-v1-g1 +town/governance" 15

# a refused command shows the server's status
tmx send-keys -t console ":approve $ID2 nothing was asked" Enter
wait_screen "approve #$ID2 refused: wrong_state" 15

# statistics screen
tmx send-keys -t console s
wait_screen "statistics today by town"
wait_screen "acked on time"
wait_screen "lingyin"
screen >"$WORK/stats.txt"
cat "$WORK/stats.txt" >&2
tmx send-keys -t console q
wait_screen "most urgent first"

# roster screen
tmx send-keys -t console r
wait_screen "load/cap"
wait_screen "lingyin-v1-g1.w1"
tmx send-keys -t console q

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
