# Shared by the benchmarks that start their own PostgreSQL and fengqiaod
# (sourced from the repository root after `log` is defined).
#
#   bench_workdir NAME   makes $tmp (the cluster, run as postgres, lives inside)
#                        and the EXIT trap that stops the processes named in
#                        $client_pid and $server_pid, shows the end of
#                        $tmp/fengqiaod.log on a failure, stops the cluster and
#                        removes $tmp.
#   bench_database       starts the private cluster in $tmp/pg ($CI, exported
#                        as FQ_DB), creates the server key ($FQ_SERVER_KEY) and
#                        migrates; defines admin (fengqiao-admin of build $B,
#                        output to stderr) and q (one statement, unaligned).
#   free_port            a free TCP port on loopback.

bench_workdir() {
    tmp=$(mktemp -d "/tmp/fq-bench-$1.XXXXXX")
    chmod 755 "$tmp"
    server_pid=""
    client_pid=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "$client_pid" "$server_pid"; do
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
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$CI" -c "$1"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
