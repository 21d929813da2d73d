# shellcheck shell=bash
# lib.sh: shared helpers of the integration tests. Sourced by test_*.sh,
# which CTest runs with these in the environment (tests/integration/CMakeLists.txt):
#
#   FQ_SRC_DIR FQ_SERVERD FQ_ADMIN FQ_REPORT FQ_RAW_PEER FQ_CLUSTER FQ_WORK_ROOT FQ_TEST_NAME
#
# Each test gets its own work directory, database (test_NAME), server key,
# server and port. Every server started here is stopped on exit, and its log
# is checked for sanitizer reports.
set -euo pipefail

: "${FQ_SRC_DIR:?}" "${FQ_SERVERD:?}" "${FQ_ADMIN:?}" "${FQ_REPORT:?}" "${FQ_RAW_PEER:?}"
: "${FQ_CLUSTER:?}" "${FQ_WORK_ROOT:?}" "${FQ_TEST_NAME:?}"

PG_PRIVATE="$FQ_SRC_DIR/tests/pg_private.sh"

# The clients speak Chinese unless asked otherwise (clients/lib/fqi18n.h);
# the tests read their English. A test of the Chinese sets LANG itself.
export LANG=C.UTF-8
unset LANGUAGE LC_ALL LC_MESSAGES
WORK="$FQ_WORK_ROOT/$FQ_TEST_NAME"
rm -rf "$WORK"
mkdir -p "$WORK/keys" "$WORK/bin" "$WORK/terminal-state"

# The tests call python3 and psql hundreds of times. A version manager's
# python3 first in PATH (pyenv's shim: shells that look for the version)
# costs ten times the CPU of Debian's, which .ci/install-deps installs and
# which has everything the tests import; Debian's psql is pg_wrapper, a Perl
# script that picks a version and then runs the psql of the newest
# PostgreSQL (the one tests/pg_private.sh runs) — which the tests call
# directly. $WORK/bin comes first in PATH, for the scripts a test runs too.
[ -x /usr/bin/python3 ] && ln -s /usr/bin/python3 "$WORK/bin/python3"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) || true
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/psql" ] && ln -s "$PG_BIN/psql" "$WORK/bin/psql"
PATH="$WORK/bin:$PATH"
export PATH

SERVER_PID=""
SERVER_LOG=""
SERVER_URL=""
SERVER_N=0
SERVER_LOGS=()
BG_PIDS=()
CLEANUPS=()

# ---- reporting ----

log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S.%3N)" "$FQ_TEST_NAME" "$*" >&2; }

fail() {
    log "FAIL: $*"
    exit 1
}

assert_eq() { # expected actual what
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_match() { # regex text what
    [[ $2 =~ $1 ]] || fail "$3: '$2' does not match /$1/"
}

now_ms() { date +%s%3N; }

# ---- cleanup ----

pid_alive() { # a zombie child counts as dead
    local st
    # Read with bash alone: the tests poll this every 0.05 s (ps was a
    # process start each time). The state is the field after the command's
    # name in parentheses (which may hold spaces).
    [[ $1 =~ ^[1-9][0-9]*$ ]] || return 1
    { read -r st </proc/"$1"/stat; } 2>/dev/null || return 1
    st=${st##*) }
    [[ $st != Z* ]]
}

on_exit() {
    local rc=$? c p
    set +e
    for p in "${BG_PIDS[@]}"; do
        pid_alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    if [ -n "$SERVER_PID" ] && pid_alive "$SERVER_PID"; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 100); do pid_alive "$SERVER_PID" || break; sleep 0.1; done
        pid_alive "$SERVER_PID" && kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    for c in "${CLEANUPS[@]}"; do eval "$c"; done
    for p in "${SERVER_LOGS[@]}"; do
        if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$p"; then
            log "sanitizer report in $p"
            rc=1
        fi
    done
    if [ "$rc" != 0 ] && [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
        # The periodic statistics lines (three a second) would fill the
        # tail: the events first, then the last statistics.
        log "last lines of $SERVER_LOG, periodic statistics left out:"
        grep -vE 'comp=(stats|routing|terminals) msg="(requests|village|syncs) ' "$SERVER_LOG" |
            tail -n 30 >&2 || true
        log "its last statistics:"
        grep -E 'comp=(stats|routing) msg="(requests|village) ' "$SERVER_LOG" | tail -n 2 >&2 || true
        # PostgreSQL's own word on a restart, a crash, a refused connection.
        local pglog="${CLUSTER:-${FQ_CLUSTER:-}}/server.log"
        if [ -f "$pglog" ]; then
            log "PostgreSQL's last restarts, crashes and refusals ($pglog):"
            grep -E "PANIC|database system|server process|out of memory|too many|could not" "$pglog" |
                tail -n 10 >&2 || true
        fi
    fi
    if [ "$rc" = 0 ]; then
        log "PASS"
    fi
    [ -z "${FQ_TEST_CPU_LOG:-}" ] || cpu_log "$rc"
    exit "$rc"
}
trap on_exit EXIT

# cpu_log STATUS: "NAME STATUS SECONDS CPU-SECONDS" appended to
# FQ_TEST_CPU_LOG: the wall time of the test and the CPU time (user and
# system) of the shell and every process it waited for (what is left of its
# background processes reaped first; a daemon such as the shared cluster's
# PostgreSQL is not counted). On a busy machine a test's time follows its
# CPU time: this is where a suite's time goes (tests/README.md).
cpu_log() {
    local cpu
    [ "${#BG_PIDS[@]}" = 0 ] || wait "${BG_PIDS[@]}" 2>/dev/null
    times >"$WORK/times" # in this shell: a subshell's would be its own
    cpu=$(awk '{ for (i = 1; i <= NF; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } }
               END { printf "%.2f", s }' "$WORK/times")
    printf '%s %s %d %s\n' "$FQ_TEST_NAME" "$1" "$SECONDS" "$cpu" >>"$FQ_TEST_CPU_LOG"
}

# Runs a command in the background and remembers it for cleanup; the pid is
# in BG_PID.
spawn() {
    # An explicit redirection keeps the caller's stdin (a background command
    # would otherwise read /dev/null).
    "$@" <&0 &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# Waits for a background pid for at most $2 seconds; returns its status (124
# on timeout, after killing it).
wait_for_pid() {
    local pid=$1 limit=$2 rc=0 i
    for ((i = 0; i < limit * 20; i++)); do
        pid_alive "$pid" || break
        sleep 0.05
    done
    if pid_alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 124
    fi
    wait "$pid" || rc=$?
    return "$rc"
}

# ---- ports ----

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---- database ----

# Makes FQ_DB point at a fresh database test_NAME in the cluster in DIR
# (default: the shared one). In the shared cluster it is a copy of
# fq_template, the database every migration was applied to once per run
# (cluster.sh): a test's `fengqiao-admin migrate` then finds nothing to do.
# A copy is a database of its own, as independent as one made empty.
db_create() {
    local dir=${1:-$FQ_CLUSTER} base db="test_${FQ_TEST_NAME}" template=""
    base=$("$PG_PRIVATE" conninfo "$dir") || fail "no cluster in $dir (did integ_pg_start run?)"
    if [ "$dir" = "$FQ_CLUSTER" ] && [ -z "${FQ_DB_EMPTY:-}" ]; then
        template=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$base" \
            -c "SELECT ' TEMPLATE ' || datname FROM pg_database WHERE datname = 'fq_template'")
    fi
    psql -X -q -v ON_ERROR_STOP=1 -d "$base" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$base" -c "CREATE DATABASE $db$template" >/dev/null
    DB_TEMPLATE=${template# TEMPLATE }
    FQ_DB="${base/dbname=fengqiao/dbname=$db}"
    export FQ_DB
}

# own_cluster NAME: a PostgreSQL cluster of this test's own in
# $FQ_WORK_ROOT/NAME (CLUSTER), for a test that stops and starts it: one
# left running by an interrupted run is stopped first, this one on exit.
# Then db_create "$CLUSTER".
own_cluster() {
    CLUSTER="$FQ_WORK_ROOT/$1"
    "$PG_PRIVATE" stop "$CLUSTER"
    "$PG_PRIVATE" start "$CLUSTER" >/dev/null
    CLEANUPS+=("\"\$PG_PRIVATE\" stop \"$CLUSTER\"")
}

# db_create_empty: db_create without the template, for a test of the
# migrations themselves.
db_create_empty() { FQ_DB_EMPTY=1 db_create "$@"; }

# q SQL: one query against the test database, unaligned, no headers.
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$FQ_DB" -c "$1"; }

# append_events (tests/chain_append.sh): rows appended to the event chain as
# the server would.
# shellcheck source=tests/chain_append.sh
source "$FQ_SRC_DIR/tests/chain_append.sh"

admin() { "$FQ_ADMIN" "$@"; }

# server_key_create: the server's key for this test, $WORK/server.key, as
# FQ_SERVER_KEY (fengqiaod and fengqiao-admin read it from there).
server_key_create() {
    FQ_SERVER_KEY="$WORK/server.key"
    export FQ_SERVER_KEY
    admin server-key create "$FQ_SERVER_KEY" >/dev/null
}

# setup_topology FILE [import-topology options]: a fresh database with the
# server's key, every migration and the topology FILE (the West Lake example
# or a test's own).
setup_topology() {
    local file=$1
    shift
    db_create
    server_key_create
    admin migrate >/dev/null
    admin import-topology "$file" "$@" >/dev/null
}

# The organisation and nodes every test starts from:
#   xihu (district) > lingyin (town) > lingyin-v1, lingyin-v2 (villages) > lingyin-v1-g1 (grid)
#                   > beishan (town) > beishan-v1 (village)
# nodes: lingyin-platform, beishan-platform (town platforms), lingyin-g1-node
# (grid node of lingyin-v1-g1), lingyin-terminal (terminal), spare-platform
# (town platform of lingyin, for revocation). Keys in $WORK/keys/NODE.key.
#
# Called right after db_create. In the shared cluster the world is built
# once per run (world_template_build, from cluster.sh): the test's database
# becomes a copy of fq_world, and the server key and node keys are copies of
# that world's. Built here otherwise (a test's own cluster).
setup_world() {
    local world="$FQ_WORK_ROOT/fq_world"
    if [ "${DB_TEMPLATE:-}" = fq_template ] && [ -s "$world/server.key" ] &&
        [ "$(q "SELECT count(*) FROM pg_database WHERE datname = 'fq_world'")" = 1 ]; then
        local base=${FQ_DB/dbname=test_$FQ_TEST_NAME/dbname=fengqiao}
        psql -X -q -v ON_ERROR_STOP=1 -d "$base" -c "DROP DATABASE test_$FQ_TEST_NAME WITH (FORCE)" \
            -c "CREATE DATABASE test_$FQ_TEST_NAME TEMPLATE fq_world" >/dev/null
        cp -p "$world/server.key" "$WORK/server.key"
        cp -p "$world/keys/"*.key "$WORK/keys/"
        FQ_SERVER_KEY="$WORK/server.key"
        export FQ_SERVER_KEY
        return 0
    fi
    setup_world_build
}

# world_template_build: fq_world, the world of setup_world in a template
# database of the shared cluster, with its keys in $FQ_WORK_ROOT/fq_world
# (FQ_TEST_NAME=fq_world; cluster.sh start runs it once per run).
world_template_build() {
    local base
    db_create
    setup_world_build
    base=${FQ_DB/dbname=test_$FQ_TEST_NAME/dbname=fengqiao}
    psql -X -q -v ON_ERROR_STOP=1 -d "$base" \
        -c "ALTER DATABASE test_$FQ_TEST_NAME RENAME TO fq_world" \
        -c "ALTER DATABASE fq_world WITH IS_TEMPLATE true ALLOW_CONNECTIONS false" >/dev/null
}

setup_world_build() {
    server_key_create
    admin migrate >/dev/null
    admin unit add xihu --kind district --name 西湖区 >/dev/null
    admin unit add lingyin --kind town --parent xihu --name 灵隐街道 >/dev/null
    admin unit add lingyin-v1 --kind village --parent lingyin --name 玉泉社区 >/dev/null
    admin unit add lingyin-v2 --kind village --parent lingyin --name 灵隐社区 >/dev/null
    admin unit add lingyin-v1-g1 --kind grid --parent lingyin-v1 --name 玉泉1号网格 >/dev/null
    admin unit add beishan --kind town --parent xihu --name 北山街道 >/dev/null
    admin unit add beishan-v1 --kind village --parent beishan --name 宝石社区 >/dev/null
    setup_routing
    add_node lingyin-platform town_platform lingyin
    add_node beishan-platform town_platform beishan
    add_node lingyin-g1-node grid_node lingyin-v1-g1
    add_node lingyin-terminal terminal lingyin-v1-g1
    add_node spare-platform town_platform lingyin
}

# The routing every test has: the categories the tests report, the district
# command center and a department per line, each town's four lines, the
# village units and two workers in lingyin-v1-g1. No rule set: the built-in
# principle routes (severity IV low risk stays in the village, ...).
setup_routing() {
    q "INSERT INTO categories (code, line, name) VALUES
         ('dispute.neighbour', 'governance', '邻里纠纷'), ('dispute.labour', 'governance', '劳资纠纷'),
         ('hazard.fire', 'governance', '消防隐患'), ('hazard.flood', 'governance', '防汛隐患'),
         ('market.food_safety', 'market', '食品安全'), ('enforcement.illegal_building', 'enforcement', '违法建筑'),
         ('service.elderly_care', 'services', '养老服务');
       INSERT INTO handlers (id, kind, territory, line, code, name) VALUES
         ('xihu.center', 'center', 'xihu', NULL, NULL, '区社会治理综合服务中心'),
         ('xihu.public_security', 'department', 'xihu', 'governance', 'public_security', '公安分局'),
         ('xihu.market_regulation', 'department', 'xihu', 'market', 'market_regulation', '市场监管局'),
         ('xihu.urban_management', 'department', 'xihu', 'enforcement', 'urban_management', '城管局'),
         ('xihu.civil_affairs', 'department', 'xihu', 'services', 'civil_affairs', '民政局'),
         ('lingyin-v1.village', 'village', 'lingyin-v1', NULL, NULL, '玉泉社区'),
         ('lingyin-v2.village', 'village', 'lingyin-v2', NULL, NULL, '灵隐社区'),
         ('beishan-v1.village', 'village', 'beishan-v1', NULL, NULL, '宝石社区');
       INSERT INTO handlers (id, kind, territory, line, name)
         SELECT t || '.' || l, 'town_line', t, l, t || ' ' || l
         FROM unnest(ARRAY['lingyin', 'beishan']) t, unnest(ARRAY['governance', 'market', 'enforcement', 'services']) l;
       INSERT INTO workers (id, grid, name, capacity) VALUES
         ('lingyin-v1-g1.w1', 'lingyin-v1-g1', '张三', 50), ('lingyin-v1-g1.w2', 'lingyin-v1-g1', '李四', 50);" >/dev/null
}

add_node() { # id role jurisdiction
    admin node add "$1" --role "$2" --jurisdiction "$3" --key-out "$WORK/keys/$1.key" >/dev/null 2>&1
    [ "$(wc -c <"$WORK/keys/$1.key")" = 65 ] || fail "node add $1 printed no key"
}

key_of() { echo "$WORK/keys/$1.key"; }

# add_terminal ID WORKER: a terminal node serving WORKER (setup_routing's
# two: $W1 and $W2), its key in $WORK/keys/ID.key.
W1=lingyin-v1-g1.w1
W2=lingyin-v1-g1.w2
add_terminal() {
    admin node add "$1" --role terminal --serves-worker "$2" --key-out "$WORK/keys/$1.key" >/dev/null 2>&1 ||
        fail "node add $1 (serving $2)"
}

# ---- server ----

# server_start [fengqiaod flags...]: starts a server on a free port and waits
# until it serves (its ready file appears). Sets SERVER_PID, SERVER_URL (the
# intake), TERMINALS_URL, SERVER_LOG. A restart keeps the same ports when it
# can (terminals reconnect to where they were).
server_start() {
    local attempt port tport ready i
    [ -z "$SERVER_PID" ] || fail "server_start: a server is already running"
    for attempt in 1 2 3; do
        port=$(free_port)
        tport=$(free_port)
        if [ -n "${KEEP_PORTS:-}" ] && [ -n "${SERVER_URL:-}" ] && [ "$attempt" = 1 ]; then
            port=${SERVER_URL##*:}
            tport=${TERMINALS_URL##*:}
        fi
        [ "$tport" != "$port" ] || tport=$(free_port)
        SERVER_N=$((SERVER_N + 1))
        SERVER_LOG="$WORK/server.$SERVER_N.log"
        SERVER_LOGS+=("$SERVER_LOG")
        ready="$WORK/server.$SERVER_N.ready"
        SERVER_URL="tcp://127.0.0.1:$port"
        TERMINALS_URL="tcp://127.0.0.1:$tport"
        "$FQ_SERVERD" --db "$FQ_DB" --server-key "$FQ_SERVER_KEY" --intake "$SERVER_URL" \
            --terminals "$TERMINALS_URL" \
            --ready-file "$ready" --stats-interval 1 "$@" 2>"$SERVER_LOG" &
        SERVER_PID=$!
        for ((i = 0; i < 1200; i++)); do
            if [ -s "$ready" ]; then
                log "server $SERVER_PID serving on $SERVER_URL"
                return 0
            fi
            pid_alive "$SERVER_PID" || break
            sleep 0.05
        done
        if pid_alive "$SERVER_PID"; then
            fail "server did not become ready within 60 s"
        fi
        wait "$SERVER_PID" || true
        SERVER_PID=""
        grep -q "cannot listen" "$SERVER_LOG" || fail "server exited during start: $(tail -n 5 "$SERVER_LOG")"
        log "port $port taken (attempt $attempt); trying another"
    done
    fail "could not start a server"
}

# Fails on sanitizer reports in a log file.
check_log() {
    local f=$1
    if grep -nE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer" "$f" >&2; then
        fail "sanitizer report in $f"
    fi
}

# server_stop [expected exit status]: SIGTERM, wait (at most 20 s), check the
# exit status (default 0) and the log.
server_stop() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID"
    server_wait "$@"
}

# server_wait [expected exit status]: the same without sending the signal.
server_wait() {
    local want=${1:-0} rc=0
    wait_for_pid "$SERVER_PID" 20 || rc=$?
    local pid=$SERVER_PID
    SERVER_PID=""
    [ "$rc" != 124 ] || fail "server $pid did not exit within 20 s of SIGTERM"
    check_log "$SERVER_LOG"
    [ "$rc" = "$want" ] || fail "server exited with status $rc, expected $want"
    log "server $pid stopped (status $rc)"
}

server_alive() { [ -n "$SERVER_PID" ] && pid_alive "$SERVER_PID"; }

# second_server_start NAME [fengqiaod flags...]: another fengqiaod on the
# same database, on ports of its own (--if-locked wait among the flags makes
# it a standby), started and not waited for. Sets B_PID, B_URL, B_TERMINALS,
# B_LOG ($WORK/b.NAME.log) and B_READY; stopped and its log checked on exit.
second_server_start() {
    local name=$1
    shift
    B_URL="tcp://127.0.0.1:$(free_port)"
    B_TERMINALS="tcp://127.0.0.1:$(free_port)"
    B_LOG="$WORK/b.$name.log"
    B_READY="$WORK/b.$name.ready"
    SERVER_LOGS+=("$B_LOG")
    "$FQ_SERVERD" --db "$FQ_DB" --server-key "$FQ_SERVER_KEY" --intake "$B_URL" \
        --terminals "$B_TERMINALS" --ready-file "$B_READY" --stats-interval 1 "$@" 2>"$B_LOG" &
    B_PID=$!
    BG_PIDS+=("$B_PID")
}

# ---- the JSON API under /api/v1/ (the console's and the field API) ----

# web_api_start ARGS...: server_start with --http on a free port ($HPORT),
# $BASE its /api/v1, returned once it answers.
web_api_start() {
    HPORT=$(free_port)
    server_start --http "127.0.0.1:$HPORT" "$@"
    BASE="http://127.0.0.1:$HPORT/api/v1"
    web_api_wait
}
# web_api_wait: returns once $BASE answers (after a restart on $HPORT).
web_api_wait() {
    local i
    for ((i = 0; i < 600; i++)); do
        curl -s -o /dev/null "$BASE/session" && return 0
        sleep 0.05
    done
    fail "the web API did not answer at $BASE"
}
# web_account NAME ROLE UNIT DISPLAY [fengqiao-admin user add flags...]: a
# person's account (fengqiao-admin user add) with the password web_login
# uses, pw-NAME-1234; UNIT "" for none (a worker's account serves a worker
# or a unit, among the flags).
web_account() {
    local name=$1 role=$2 unit=$3 display=$4
    shift 4
    printf 'pw-%s-1234\n' "$name" | admin user add "$name" --role "$role" ${unit:+--jurisdiction "$unit"} \
        --display-name "$display" "$@" >/dev/null
}
# web_login NAME (password pw-NAME-1234): COOKIE[NAME], CSRF[NAME], the
# session in $WORK/session.NAME.json.
declare -gA COOKIE CSRF
web_login() {
    local name=$1 hdr="$WORK/login.$1.h" body
    body=$(curl -sS -D "$hdr" -H 'Content-Type: application/json' \
        --data "{\"account\":\"$name\",\"password\":\"pw-$name-1234\"}" "$BASE/login")
    COOKIE[$name]=$(grep -i '^set-cookie: *fq_session=' "$hdr" | sed -E 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
    CSRF[$name]=$(jq -r .csrf <<<"$body")
    if [ -z "${COOKIE[$name]}" ] || [ "${CSRF[$name]}" = null ]; then fail "login $name: $body"; fi
    printf '%s\n' "$body" >"$WORK/session.$name.json"
}
# web_get NAME PATH: the body on stdout, the status in $WORK/status.
web_get() {
    curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[$1]}" "$BASE$2" >"$WORK/status"
    cat "$WORK/body"
}
# web_post NAME PATH JSON: the same (the body goes on standard input: one
# with photos passes any argument's size).
web_post() {
    curl -sS -o "$WORK/body" -w '%{http_code}' -H "Cookie: ${COOKIE[$1]}" \
        -H "X-CSRF-Token: ${CSRF[$1]}" -H 'Content-Type: application/json' --data-binary @- \
        "$BASE$2" >"$WORK/status" <<<"$3"
    cat "$WORK/body"
}
web_status() { cat "$WORK/status"; }
web_expect() { assert_eq "$1" "$(web_status)" "$2 ($(head -c 300 "$WORK/body"))"; } # status what
web_code() { jq -r .error.code "$WORK/body"; }

# The running server's --ready-file (written while ready, removed when not).
server_ready_file() { echo "$WORK/server.$SERVER_N.ready"; }

# wait_gone FILE SECONDS WHAT: fails unless FILE is absent within SECONDS.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ -e "$1" ] || return 0
        sleep 0.05
    done
    fail "$3: $1 still there after $2 s"
}

# wait_match FILE REGEX SECONDS WHAT: fails unless a line of FILE matches the
# extended REGEX within SECONDS (the file may not exist yet).
wait_match() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "$4: nothing matching /$2/ in $1 within $3 s: $(tail -n 5 "$1" 2>/dev/null)"
}

# wait_tmux_pane SOCKET SESSION REGEX SECONDS: until the tmux pane of SESSION
# (server SOCKET) shows REGEX; its last capture stays in $WORK/pane-SESSION.txt.
wait_tmux_pane() {
    local i capture="$WORK/pane-$2.txt"
    for ((i = 0; i < $4 * 10; i++)); do
        tmux -S "$1" capture-pane -p -t "$2" >"$capture"
        grep -qE "$3" "$capture" && return 0
        sleep 0.1
    done
    cat "$capture" >&2
    fail "the pane of $2 did not show /$3/ within $4 s"
}

# wait_present FILE SECONDS WHAT: fails unless FILE is there (non-empty) within SECONDS.
wait_present() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    fail "$3: no $1 after $2 s"
}

# assert_server_alive WHAT: fails (naming sanitizer reports) if the server died.
assert_server_alive() {
    local rc=0
    server_alive && return 0
    [ -n "$SERVER_PID" ] && { wait "$SERVER_PID" || rc=$?; }
    check_log "$SERVER_LOG"
    fail "the server exited (status $rc): $1"
}

# wait_client PID SECONDS: waits for a client running against the server, and
# fails at once if the server dies meanwhile. Returns the client's status.
wait_client() {
    local pid=$1 limit=$2 i rc=0
    for ((i = 0; i < limit * 20; i++)); do
        pid_alive "$pid" || break
        if ! server_alive; then
            wait "$SERVER_PID" || rc=$?
            check_log "$SERVER_LOG"
            fail "the server exited (status $rc) while a client was running"
        fi
        sleep 0.05
    done
    wait_for_pid "$pid" 1
}

# directory_loads: how often the running server has installed its directory
# (at the start, and again on each NOTIFY fengqiao_directory).
directory_loads() { grep -c "comp=directory msg=\"[0-9]* units" "$SERVER_LOG" || true; }

# wait_directory_reload BEFORE: waits (at most 60 s) until the server has
# installed its directory again since directory_loads answered BEFORE; for
# changes made in the database behind its back, instead of a sleep.
wait_directory_reload() {
    local before=$1 i
    for ((i = 0; i < 1200; i++)); do
        (($(directory_loads) > before)) && return 0
        assert_server_alive "while reloading its directory"
        sleep 0.05
    done
    fail "the server did not reload its directory within 60 s"
}

# ---- clients ----

# report NODE [fq-report flags...]: fq-report as NODE against the running server.
report() {
    local node=$1
    shift
    "$FQ_REPORT" --node "$node" --key-file "$(key_of "$node")" --url "$SERVER_URL" "$@"
}

# spawn_report NODE [fq-report flags...]: report in the background (BG_PID is
# fq-report's own pid, so that cleanup can end it).
spawn_report() {
    local node=$1
    shift
    spawn "$FQ_REPORT" --node "$node" --key-file "$(key_of "$node")" --url "$SERVER_URL" "$@"
}

# raw NODE COMMAND [args...]: fq_raw_peer as NODE (use "-" for no node/key).
raw() {
    local node=$1
    shift
    if [ "$node" = - ]; then
        "$FQ_RAW_PEER" --url "$SERVER_URL" "$@"
    else
        "$FQ_RAW_PEER" --url "$SERVER_URL" --node "$node" --key-file "$(key_of "$node")" "$@"
    fi
}

# term NODE [fq-terminal command and flags...]: fq-terminal as NODE against
# the running server (its terminals endpoint; its intake for `report`), with
# the test's terminal state (each node's journal and seq) in TERMINAL_STATE;
# an answer is waited for at most 20 s, a ceiling for a busy machine. Runs
# in the caller's environment: `LANG=zh_CN.UTF-8 term ...` for its Chinese.
TERMINAL_STATE="$WORK/terminal-state"
term() {
    local node=$1
    shift
    "${FQ_TERMINAL:?}" --node "$node" --key-file "$(key_of "$node")" --url "$TERMINALS_URL" \
        --intake "$SERVER_URL" --state-dir "$TERMINAL_STATE" --timeout-ms 20000 "$@"
}

# term_ok NODE [...]: term with its output dropped; fails the test, naming
# the command, if fq-terminal fails.
term_ok() { term "$@" >/dev/null || fail "fq-terminal $*"; }

# ---- report streams through a fault: nothing acknowledged lost or doubled ----

# stream_input PREFIX COUNT FILE [SEVERITY...]: COUNT flood reports from
# lingyin-v1-g1, one JSON line each as fq-report --stdin reads them; line i
# has external_ref PREFIX-<i in 5 digits>, by which the checks below find
# its incident. Severities in turn from the list (default III).
stream_input() {
    local prefix=$1 count=$2 file=$3 i
    shift 3
    local severities=("${@:-III}")
    for ((i = 1; i <= count; i++)); do
        printf '{"category":"hazard.flood","severity":"%s","risk":"medium","channel":"patrol","place_unit":"lingyin-v1-g1","title":"积水 %s-%d","external_ref":"%s-%05d"}\n' \
            "${severities[$((i % ${#severities[@]}))]}" "$prefix" "$i" "$prefix" "$i"
    done >"$file"
}

# flood_lines PREFIX FROM TO: one severity IV flood report from lingyin-v2
# per line as fq-report --stdin reads them, external_ref PREFIX-i (fq-report
# derives the message id from it: the same one on every run).
flood_lines() {
    local i
    for ((i = $2; i <= $3; i++)); do
        printf '{"category":"hazard.flood","severity":"IV","risk":"low","channel":"online","place_unit":"lingyin-v2","title":"积水 %s-%d","external_ref":"%s-%d"}\n' \
            "$1" "$i" "$1" "$i"
    done
}

# wait_lines FILE COUNT SECONDS: until FILE has COUNT lines (a stream's
# answers so far).
wait_lines() {
    local i
    for ((i = 0; i < $3 * 50; i++)); do
        [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        sleep 0.02
    done
    fail "$1 did not reach $2 lines within $3 s"
}

# paced FILE [RATE]: the lines of FILE at RATE a second (default 50), for a
# stream that is still running when a fault comes: each line 1/RATE s after
# the one before it was written, so that a busy machine (or a reader that
# stops taking them) slows the stream down and never bunches it up. One
# process for the whole file.
paced() {
    python3 -c '
import sys, time
gap, out = 1 / float(sys.argv[2]), sys.stdout.buffer
due = time.monotonic()
for line in open(sys.argv[1], "rb"):
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    out.write(line)
    out.flush()
    due = time.monotonic() + gap
' "$1" "${2:-50}"
}

# ok_lines FILE: how many of fq-report's answers in FILE are ok. One grep of
# its compact JSON lines ({"line":N,"status":"ok",...}), not jq and wc: the
# tests poll it every few hundredths of a second while a stream runs.
ok_lines() {
    local n
    n=$(grep -c '^{"line":[0-9]*,"status":"ok"' "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

# statuses FILE: how many answers of each status, on one line (for the log).
statuses() { jq -r .status "$1" | sort | uniq -c | tr -s ' \n' ' '; }

# stream_finished RC COUNT FILE WHAT: fq-report ended with 0 or 3 (some
# outcomes unknown: fq-report says which) and answered every line.
stream_finished() {
    [ "$1" = 0 ] || [ "$1" = 3 ] || fail "$4: fq-report exit status $1 (expected 0, or 3 for unknown outcomes)"
    assert_eq "$2" "$(wc -l <"$3")" "$4: answers"
}

# acked_pairs FILE: "line|incident id" of each ok answer in FILE, sorted.
acked_pairs() { jq -r 'select(.status == "ok") | "\(.line)|\(.incident_id)"' "$1" | sort; }

# check_acked_stored PREFIX FILE: every report answered ok in FILE (a stream
# of stream_input PREFIX) is stored under the id its answer named, and no
# report of the stream is stored twice.
check_acked_stored() {
    local prefix=$1 file=$2 stored missing
    stored=$(q "SELECT substring(external_ref FROM '[0-9]+\$')::int || '|' || id FROM incidents
                WHERE external_ref LIKE '$prefix-%'" | sort)
    missing=$(comm -23 <(acked_pairs "$file") <(echo "$stored"))
    [ -z "$missing" ] ||
        fail "$file: acknowledged but not stored as acknowledged (line|id): $(head -n 5 <<<"$missing")"
    assert_eq 0 "$(q "SELECT count(*) - count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE '$prefix-%'")" \
        "$prefix: doubled incidents"
}

# check_stream PREFIX COUNT INPUT FIRST [fq-report flags...]: after the
# COUNT lines of INPUT (stream_input PREFIX) went through a fault with
# their answers in FIRST: check_acked_stored; then the whole INPUT again
# (fq-report --stdin as lingyin-platform with the flags, its --url among
# them) is answered ok on every line, each one acknowledged the first time
# with the same incident; the stream leaves COUNT incidents, each with one
# "reported" event.
check_stream() {
    local prefix=$1 count=$2 input=$3 first=$4 again="$WORK/$1.again" rc=0 missing
    shift 4
    log "$prefix: $(acked_pairs "$first" | grep -c .) of $count acknowledged in the first run;" \
        "statuses: $(statuses "$first")"
    check_acked_stored "$prefix" "$first"
    "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" --stdin "$@" \
        <"$input" >"$again" 2>"$again.err" || rc=$?
    assert_eq 0 "$rc" "$prefix: exit status of the second run ($(tail -n 1 "$again.err"))"
    assert_eq "$count" "$(jq -r 'select(.status == "ok") | .line' "$again" | sort -u | wc -l)" \
        "$prefix: lines ok in the second run"
    missing=$(comm -23 <(acked_pairs "$first") <(acked_pairs "$again"))
    [ -z "$missing" ] ||
        fail "$prefix: acknowledged lines got another incident the second time: $(head -n 5 <<<"$missing")"
    assert_eq "$count|$count" "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE '$prefix-%'")" \
        "$prefix: incidents after the second run"
    assert_eq 0 "$(q "SELECT count(*) FROM incidents i WHERE i.external_ref LIKE '$prefix-%' AND
                      (SELECT count(*) FROM events e WHERE e.incident_id = i.id AND e.kind = 'reported') <> 1")" \
        "$prefix: incidents without exactly one reported event"
}

# pg_restart DIR SECONDS: the private cluster in DIR (tests/pg_private.sh)
# stopped, and started again SECONDS later on the same port.
pg_restart() {
    local before
    before=$("$PG_PRIVATE" conninfo "$1")
    "$PG_PRIVATE" stop "$1"
    log "PostgreSQL stopped"
    sleep "$2"
    "$PG_PRIVATE" start "$1" >/dev/null
    assert_eq "$before" "$("$PG_PRIVATE" conninfo "$1")" "conninfo after the restart (same port)"
    log "PostgreSQL started again"
}

# Field of a fq_raw_peer reply line: reply_field LINE status|signed|incident|...
reply_field() {
    local line=$1 name=$2
    if [ "$name" = message ]; then
        printf '%s\n' "${line#* message=}"
    else
        [[ " $line " =~ \ $name=([^ ]*)\  ]] || return 1
        printf '%s\n' "${BASH_REMATCH[1]}"
    fi
}

# Hex of the envelope bytes inside a saved SignedRequest frame (field 1).
frame_envelope_hex() {
    python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = 0
while i < len(b):
    tag = b[i]; i += 1
    n = shift = 0
    while True:
        c = b[i]; i += 1
        n |= (c & 0x7f) << shift; shift += 7
        if c < 0x80:
            break
    if tag == 0x0a:
        print(b[i:i + n].hex()); sys.exit(0)
    i += n
sys.exit(1)
PY
}

# BLAKE2b-256 of a file, hex (what the server keeps as frame_digest).
blake2b_hex() {
    local sum
    sum=$(b2sum -l 256 "$1") || return 1
    printf '%s\n' "${sum%% *}"
}

# wait_q SQL EXPECTED [seconds]: polls until the query answers EXPECTED (rows
# written after the reply, such as audit rows); fails with the last answer.
# The bound (default 30 s) is for a busy machine; a pass returns at once.
wait_q() {
    local sql=$1 want=$2 limit=${3:-30} got="" i
    for ((i = 0; i < limit * 20; i++)); do
        got=$(q "$sql")
        [ "$got" = "$want" ] && return 0
        sleep 0.05
    done
    fail "query did not reach the expected answer within ${limit} s: $sql
expected: $want
got:      $got"
}

# lock_incidents: a psql session in the background takes a lock that makes
# every INSERT INTO incidents wait (reads go on), and keeps it until
# unlock_incidents: a batch of the server's waits in PostgreSQL meanwhile.
LOCKER_APP="fq_locker_$$"
lock_incidents() {
    PGAPPNAME="$LOCKER_APP" spawn psql -X -q -d "$FQ_DB" \
        -c "BEGIN; LOCK TABLE incidents IN EXCLUSIVE MODE; SELECT pg_sleep(600); COMMIT;" >/dev/null 2>&1
    wait_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.application_name = '$LOCKER_APP' AND l.relation = 'incidents'::regclass
            AND l.granted" 1 30
    CLEANUPS+=("unlock_incidents 2>/dev/null")
}
unlock_incidents() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$LOCKER_APP'" >/dev/null
}

# stats_field NAME: the last value of NAME in the server's statistics lines
# (--stats-interval 1, as server_start sets it). Empty until the first line
# (a second after the start): counters start at 0.
stats_field() {
    { grep 'comp=stats msg="requests' "$SERVER_LOG" || true; } | tail -n 1 | sed -E "s/.*[ \"]$1 ([0-9]+)[ \"].*/\\1/"
}

# wait_stats NAME MIN SECONDS: until the statistics show NAME >= MIN.
wait_stats() {
    local name=$1 min=$2 limit=$3 got i
    for ((i = 0; i < limit * 10; i++)); do
        got=$(stats_field "$name")
        [ -n "$got" ] && [ "$got" -ge "$min" ] && return 0
        sleep 0.1
    done
    fail "statistics did not reach $name >= $min within $limit s (last: ${got:-none})"
}

# The serving lock's advisory key (store.c): fengqiaod holds it while it
# serves the database.
SERVING_KEY=7236111411

# take_serving_lock: another session queues for the serving lock, then the
# serving server's session is ended; on its release PostgreSQL grants the
# lock to the session already waiting, so the server's reconnect finds it
# taken however slow or fast either side is. Sets TAKER_PID;
# release_serving_lock gives it back.
take_serving_lock() {
    local backend
    backend=$(q "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
                 AND l.objid = ($SERVING_KEY & 4294967295)::oid AND l.database =
                 (SELECT oid FROM pg_database WHERE datname = current_database())")
    [ -n "$backend" ] || fail "no session holds the serving lock"
    TAKER_APP="fq_taker_$$"
    PGAPPNAME="$TAKER_APP" spawn psql -X -q -d "$FQ_DB" -v ON_ERROR_STOP=1 \
        -c "SELECT pg_advisory_lock($SERVING_KEY)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1
    TAKER_PID=$BG_PID
    CLEANUPS+=("q \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$TAKER_APP'\" >/dev/null 2>&1")
    wait_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.application_name = '$TAKER_APP' AND l.locktype = 'advisory' AND NOT l.granted" 1 30
    q "SELECT pg_terminate_backend($backend, 10000)" >/dev/null
    wait_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.application_name = '$TAKER_APP' AND l.locktype = 'advisory' AND l.granted" 1 30
}

release_serving_lock() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$TAKER_APP'" >/dev/null
    wait_for_pid "$TAKER_PID" 10 || true
}

# ---- a primary and its synchronous replica (a database failover) ----

# pg_sync_pair NAME: two clusters of this test's own, as an HA engine sets
# them up: a primary ($FQ_WORK_ROOT/NAME.primary, PRIMARY, PRIMARY_PORT) and
# a streaming replica of it (NAME.replica, REPLICA, REPLICA_PORT) that is
# synchronous (synchronous_standby_names). db_create "$PRIMARY" and
# setup_world are done; FQ_DB lists both, target_session_attrs=read-write.
# Both are stopped on exit. pg_fail_over then promotes the replica.
pg_sync_pair() {
    PRIMARY="$FQ_WORK_ROOT/$1.primary"
    REPLICA="$FQ_WORK_ROOT/$1.replica"
    "$PG_PRIVATE" kill "$PRIMARY" # left running by an interrupted run?
    pg_replica_stop
    rm -rf "$PRIMARY" "$REPLICA"
    "$PG_PRIVATE" start "$PRIMARY" >/dev/null
    CLEANUPS+=("\"\$PG_PRIVATE\" kill \"\$PRIMARY\"" "pg_replica_stop")
    db_create "$PRIMARY"
    setup_world
    PRIMARY_PORT=$(cat "$PRIMARY/port")
    REPLICA_PORT=$(free_port)
    mkdir -p "$REPLICA"
    [ "$(id -u)" != 0 ] || chown postgres: "$REPLICA"
    chmod 700 "$REPLICA"
    as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY" -p "$PRIMARY_PORT" -U postgres -D "$REPLICA/data" \
        -X stream -c fast -R >"$REPLICA/basebackup.log" 2>&1 || fail "pg_basebackup: $(tail -n 3 "$REPLICA/basebackup.log")"
    cat >>"$REPLICA/data/postgresql.auto.conf" <<CONF
unix_socket_directories = '$REPLICA'
primary_conninfo = 'host=$PRIMARY port=$PRIMARY_PORT user=postgres application_name=fqreplica'
CONF
    as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA/data" -o "-p $REPLICA_PORT" -l "$REPLICA/server.log" -w -t 120 start >/dev/null ||
        fail "the replica did not start: $(tail -n 5 "$REPLICA/server.log")"
    psql -X -q -d "host=$PRIMARY port=$PRIMARY_PORT dbname=postgres user=postgres" \
        -c "ALTER SYSTEM SET synchronous_standby_names = 'fqreplica'" -c "SELECT pg_reload_conf()" >/dev/null
    wait_sync_state sync
    FQ_DB="host=127.0.0.1,127.0.0.1 port=$PRIMARY_PORT,$REPLICA_PORT dbname=test_$FQ_TEST_NAME user=fengqiao target_session_attrs=read-write"
    export FQ_DB
}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Not running (an interrupted run's leftovers) is fine: pg_ctl's failure must
# not end the test under set -e.
pg_replica_stop() {
    if [ -f "$REPLICA/data/PG_VERSION" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

# wait_sync_state STATE: until the primary reports the replica's
# replication as STATE (at most 30 s).
wait_sync_state() {
    local i state=""
    for ((i = 0; i < 600; i++)); do
        state=$(psql -X -qAt -d "host=$PRIMARY port=$PRIMARY_PORT dbname=postgres user=postgres" \
            -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'fqreplica'")
        [ "$state" = "$1" ] && return 0
        sleep 0.05
    done
    assert_eq "$1" "$state" "the replica's replication state"
}

# pg_fail_over: the primary crashes (immediate stop: no shutdown checkpoint,
# every session cut) and the replica is promoted. Sets FAILED_OVER_AT (ms).
pg_fail_over() {
    "$PG_PRIVATE" kill "$PRIMARY"
    FAILED_OVER_AT=$(now_ms)
    as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA/data" -w -t 60 promote >/dev/null || fail "the replica was not promoted"
    log "primary stopped (immediate); replica promoted after $(($(now_ms) - FAILED_OVER_AT)) ms"
}
