# Shared by the benchmarks that start their own PostgreSQL and fengqiaod
# (sourced from the repository root after `log` is defined).
#
#   bench_workdir NAME   makes $tmp (the cluster, run as postgres, lives inside)
#                        and the EXIT trap that stops the processes named in
#                        $client_pid, $floor_pid and $server_pid, shows the end of
#                        $tmp/fengqiaod.log on a failure, stops the cluster and
#                        removes $tmp.
#   bench_database       starts the private cluster in $tmp/pg ($CI, exported
#                        as FQ_DB), creates the server key ($FQ_SERVER_KEY) and
#                        migrates; defines admin (fengqiao-admin of build $B,
#                        output to stderr) and q (one statement, unaligned).
#   bench_grid_world N   the world of the terminals and phones benchmarks: one
#                        town `town` with N/100 villages v<j>, N/10 grids g<i>
#                        (10 a village), N workers w<i> (10 a grid, capacity
#                        1000), the district's handlers, one category.
#   bench_recycled_wal MB
#                        the cluster's WAL as in a database that has run a
#                        while: MB of segments written, then recycled by a
#                        CHECKPOINT (min_wal_size MB keeps them), so that the
#                        run writes into recycled segments. A fresh cluster
#                        creates each 16 MB segment as it fills one - zero-fills
#                        and syncs it under the WAL write lock, stalling every
#                        commit for tens of ms - which a production database
#                        does only until its first checkpoints
#                        (docs/write-path.md, "Where a p99 report's time
#                        went"). FQ_BENCH_WAL_WARM_MB overrides MB; 0: off.
#   bench_start_fengqiaod ARGS...
#                        starts fengqiaod of build $B with ARGS and
#                        --ready-file $tmp/ready, its log in
#                        $tmp/fengqiaod.log, as $server_pid; returns once it
#                        is ready (exits if it stops or is not ready in 30 s).
#   bench_sign_in ACCOUNT PASSWORD URL
#                        signs in through POST URL/api/v1/login as a browser
#                        does: the session in $tmp/session.json, the value of
#                        its fq_session cookie in $session_token (exits on a
#                        refusal).
#   bench_ports          free ports for fengqiaod: $port and $url (intake),
#                        $tport and $turl (terminals), $hport and $http (web).
#   free_port            a free TCP port on loopback.
#   bench_floor_start REPLY_BYTES
#                        the floor of a report's acknowledgement, on the
#                        cluster $CI: fq-bench-nn-ceiling server --commit (a
#                        raw REP server that INSERTs one row and COMMITs it,
#                        durably, on a connection of its own before it replies
#                        with REPLY_BYTES), as $floor_pid on $floor_url, left
#                        running for the windows below.
#   bench_floor_window OUT LOAD_ARGS...
#                        one window of the floor: fq-bench-intake-load's paced
#                        open loop against it (`open --echo 1 LOAD_ARGS`: real
#                        signed reports, the rate, clients, seconds and node
#                        as LOAD_ARGS say). Its JSON line (p50_us, p99_us, ...)
#                        in OUT.
#   bench_floor_stop     stops the floor server (it checks that every row it
#                        answered for is stored).
#                        The one floor of bench/run intake and bench/run
#                        terminals: each runs its windows interleaved with
#                        its own (floor, ours, floor, ours, ...) and compares
#                        the medians of the windows' p99s.

bench_workdir() {
    tmp=$(mktemp -d "/tmp/fq-bench-$1.XXXXXX")
    chmod 755 "$tmp"
    server_pid=""
    client_pid=""
    floor_pid=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "$client_pid" "$floor_pid" "$server_pid"; do
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null || true
            for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    if [ "$rc" != 0 ] && [ -f "$tmp/fengqiaod.log" ]; then
        log "failed (exit $rc); the last lines of fengqiaod's log:"
        tail -n 15 "$tmp/fengqiaod.log" >&2 || true
    fi
    tests/pg_private.sh stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}

bench_database() {
    log "starting a private PostgreSQL in $tmp/pg"
    CI=$(tests/pg_private.sh start "$tmp/pg")
    export FQ_DB="$CI"
    export FQ_SERVER_KEY="$tmp/server.key"
    admin server-key create "$FQ_SERVER_KEY"
    admin migrate
}
admin() { "$B/server/fengqiao-admin" "$@" >&2; }

bench_recycled_wal() {
    local mb=${FQ_BENCH_WAL_WARM_MB:-$1}
    [ "$mb" -gt 0 ] || return 0
    psql "$CI" -qAt -c "ALTER SYSTEM SET min_wal_size = '${mb}MB'" -c "SELECT pg_reload_conf()" \
        -c "DO \$\$ BEGIN FOR i IN 1..$((mb / 16)) LOOP
                PERFORM pg_logical_emit_message(false, 'fq-bench', 'warm-up');
                PERFORM pg_switch_wal();
            END LOOP; END \$\$" -c "CHECKPOINT" >/dev/null
    log "WAL: $((mb / 16)) segments written and recycled (a database that has run a while)"
}
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$CI" -c "$1"; }

bench_ports() {
    port=$(free_port)
    tport=$(free_port)
    hport=$(free_port)
    url="tcp://127.0.0.1:$port"
    turl="tcp://127.0.0.1:$tport"
    http="http://127.0.0.1:$hport"
}

bench_floor_start() {
    local reply_bytes=$1 fport
    fport=$(free_port)
    floor_url="tcp://127.0.0.1:$fport"
    "$B/bench/fq-bench-nn-ceiling" server --url "$floor_url" --reply-bytes "$reply_bytes" \
        --commit "$CI" 2>"$tmp/floor.log" &
    floor_pid=$!
    for _ in $(seq 300); do # its table, its connections, then its socket
        grep -q ': ready' "$tmp/floor.log" && break
        kill -0 "$floor_pid" 2>/dev/null || { cat "$tmp/floor.log" >&2; log "the floor server failed"; exit 1; }
        sleep 0.1
    done
}

bench_floor_window() {
    local out=$1
    shift
    kill -0 "$floor_pid" 2>/dev/null || { cat "$tmp/floor.log" >&2; log "the floor server failed"; exit 1; }
    "$B/bench/fq-bench-intake-load" open --url "$floor_url" --echo 1 "$@" >"$out"
}

bench_floor_stop() {
    kill "$floor_pid"
    wait "$floor_pid" || { cat "$tmp/floor.log" >&2; log "the floor server failed"; exit 1; }
    floor_pid=""
    sed 's/^/  /' "$tmp/floor.log" >&2
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_grid_world() {
    local n=$1
    q "INSERT INTO org_units (id, kind, parent_id, name) VALUES
     ('xihu', 'district', NULL, '西湖区'), ('town', 'town', 'xihu', '灵隐街道');
   INSERT INTO org_units (id, kind, parent_id, name)
     SELECT 'v' || j, 'village', 'town', '社区' || j FROM generate_series(0, $((n / 100 - 1))) j;
   INSERT INTO org_units (id, kind, parent_id, name)
     SELECT 'g' || i, 'grid', 'v' || (i / 10), '网格' || i FROM generate_series(0, $((n / 10 - 1))) i;
   INSERT INTO categories (code, line, name) VALUES ('dispute.neighbour', 'governance', '邻里纠纷');
   INSERT INTO handlers (id, kind, territory, line, code, name) VALUES
     ('xihu.center', 'center', 'xihu', NULL, NULL, '区社会治理综合服务中心'),
     ('xihu.public_security', 'department', 'xihu', 'governance', 'public_security', '公安分局'),
     ('xihu.market_regulation', 'department', 'xihu', 'market', 'market_regulation', '市场监管局'),
     ('xihu.urban_management', 'department', 'xihu', 'enforcement', 'urban_management', '城管局'),
     ('xihu.civil_affairs', 'department', 'xihu', 'services', 'civil_affairs', '民政局');
   INSERT INTO handlers (id, kind, territory, line, name)
     SELECT 'town.' || l, 'town_line', 'town', l, '灵隐街道 ' || l
     FROM unnest(ARRAY['governance', 'market', 'enforcement', 'services']) l;
   INSERT INTO handlers (id, kind, territory, name)
     SELECT 'v' || j || '.village', 'village', 'v' || j, '社区' || j
     FROM generate_series(0, $((n / 100 - 1))) j;
   INSERT INTO workers (id, grid, name, capacity)
     SELECT 'w' || i, 'g' || (i / 10), '网格员' || i, 1000 FROM generate_series(0, $((n - 1))) i;" >/dev/null
}

# Clock ticks of CPU (user+system) a pid has used; nothing if it is gone.
ticks_of() {
    [ -r "/proc/$1/stat" ] || return 0
    # after the command: state is field 1, utime 12, stime 13
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || true
}

# CPU seconds (user+system) of the given pids, summed.
cpu_of() {
    local ticks=0 pid t
    for pid in "$@"; do
        t=$(ticks_of "$pid")
        [ -n "$t" ] && ticks=$((ticks + t))
    done
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }'
}

bench_start_fengqiaod() {
    "$B/server/fengqiaod" --ready-file "$tmp/ready" "$@" >"$tmp/fengqiaod.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
        [ -s "$tmp/ready" ] && break
        kill -0 "$server_pid" 2>/dev/null || { log "fengqiaod exited"; exit 1; }
        sleep 0.1
    done
    [ -s "$tmp/ready" ] || { log "fengqiaod did not become ready"; exit 1; }
}

bench_sign_in() {
    python3 -c 'import json,sys; print(json.dumps({"account": sys.argv[1], "password": sys.argv[2]}))' \
        "$1" "$2" >"$tmp/login.json"
    curl -sS -o "$tmp/session.json" -D "$tmp/login.headers" -w '%{http_code}' \
        -H 'Content-Type: application/json' --data-binary "@$tmp/login.json" \
        "$3/api/v1/login" >"$tmp/login.status"
    [ "$(cat "$tmp/login.status")" = 200 ] || {
        log "$1's sign-in failed: HTTP $(cat "$tmp/login.status") $(cat "$tmp/session.json")"
        exit 1
    }
    session_token=$(sed -n 's/^[Ss]et-[Cc]ookie: *fq_session=\([^;]*\).*/\1/p' "$tmp/login.headers" |
        tr -d '\r' | head -n 1)
    [ -n "$session_token" ] || { log "$1's sign-in set no fq_session cookie"; exit 1; }
}
