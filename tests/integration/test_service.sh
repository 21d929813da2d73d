#!/usr/bin/env bash
# integ_service: fengqiaod as a service. Its settings from a config file
# (--config; FQ_DB and FQ_SERVER_KEY unset), a password refused on the
# command line and in a world-readable file, and systemd's notify protocol
# played by sd_notify_peer.py: READY=1 after the ready file, WATCHDOG=1 at
# half of WATCHDOG_USEC, STOPPING=1 on SIGTERM, exit 0.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world

conf="$WORK/fengqiaod.conf"
ready="$WORK/service.ready"
port=$(free_port)
tport=$(free_port)
cat >"$conf" <<CONF
# fengqiaod's settings for this test (examples/fengqiaod.conf lists them all)
[database]
db = $FQ_DB
server-key = $FQ_SERVER_KEY

[endpoints]
intake = tcp://127.0.0.1:$port
terminals = tcp://127.0.0.1:$tport
ready-file = $ready
stats-interval = 1
CONF
chmod 0600 "$conf"

# The same parser refuses what the command line would: a bad value names
# the file and line.
sed 's/^stats-interval = 1$/stats-interval = soon/' "$conf" >"$WORK/bad.conf"
rc=0
env -u FQ_DB -u FQ_SERVER_KEY "$FQ_SERVERD" --config "$WORK/bad.conf" 2>"$WORK/bad.err" || rc=$?
assert_eq 2 "$rc" "exit status with a bad value in the config file"
grep -q "bad.conf:10: stats-interval needs a whole number from 0 to 86400, got 'soon'" "$WORK/bad.err" ||
    fail "no FILE:LINE error: $(cat "$WORK/bad.err")"

# A password: refused on the command line, and in a file everyone may read.
rc=0
"$FQ_SERVERD" --db "$FQ_DB password=hunter2" 2>"$WORK/pw.err" || rc=$?
assert_eq 2 "$rc" "exit status with --db holding a password"
grep -q -- "--db holds a password, refused: .*PGPASSFILE" "$WORK/pw.err" || fail "$(cat "$WORK/pw.err")"
rc=0
"$FQ_ADMIN" --db "postgresql://fengqiao:hunter2@localhost/x" migrate 2>"$WORK/pw.err" || rc=$?
assert_eq 2 "$rc" "fengqiao-admin's exit status with --db holding a password"
sed "s|^db = .*|db = $FQ_DB password=hunter2|" "$conf" >"$WORK/open.conf"
chmod 0644 "$WORK/open.conf"
rc=0
env -u FQ_DB -u FQ_SERVER_KEY "$FQ_SERVERD" --config "$WORK/open.conf" 2>"$WORK/open.err" || rc=$?
assert_eq 2 "$rc" "exit status with a password in a world-readable config file"
grep -q "open.conf:3: db holds a password and .* is readable by every user" "$WORK/open.err" ||
    fail "$(cat "$WORK/open.err")"

# fengqiao-admin reads db and server-key from the same file; its own
# options win.
assert_match "^ID" "$(env -u FQ_DB -u FQ_SERVER_KEY "$FQ_ADMIN" --config "$conf" unit list | head -n 1)" \
    "fengqiao-admin --config unit list"
assert_match "^ID" "$(env -u FQ_DB -u FQ_SERVER_KEY "$FQ_ADMIN" --server-key /nonexistent --config "$conf" unit list | head -n 1)" \
    "fengqiao-admin --server-key X --config unit list"
rc=0
env -u FQ_DB -u FQ_SERVER_KEY "$FQ_ADMIN" --db "${FQ_DB/dbname=test_service/dbname=no_such_database_here}" --config "$conf" unit list \
    >/dev/null 2>"$WORK/admin.err" || rc=$?
assert_eq 1 "$rc" "fengqiao-admin --db over the file's db"
grep -q "no_such_database_here" "$WORK/admin.err" || fail "the file's db won over --db: $(cat "$WORK/admin.err")"

# Under a (played) systemd, settings from the file only.
SERVER_LOG="$WORK/service.log"
SERVER_LOGS+=("$SERVER_LOG")
env -u FQ_DB -u FQ_SERVER_KEY python3 "$FQ_SRC_DIR/tests/integration/sd_notify_peer.py" \
    "$WORK/notify.sock" "$ready" 2000000 -- \
    "$FQ_SERVERD" --config "$conf" 2>"$SERVER_LOG" >"$WORK/peer.out" || {
    cat "$WORK/peer.out" >&2
    fail "sd_notify_peer failed"
}
cat "$WORK/peer.out" >&2
grep -q "sd_notify_peer: OK" "$WORK/peer.out" || fail "sd_notify_peer did not finish"
check_log "$SERVER_LOG"
grep -q "comp=config msg=\"settings from $conf\"" "$SERVER_LOG" || fail "no 'settings from' line"
grep -q 'comp=systemd msg="watchdog every 1000 ms' "$SERVER_LOG" || fail "no watchdog line"
grep -q "comp=server msg=\"intake listening on tcp://127.0.0.1:$port" "$SERVER_LOG" ||
    fail "the intake URL did not come from the file"
grep -q 'comp=server msg="stopped"' "$SERVER_LOG" || fail "no 'stopped' line"

# Without NOTIFY_SOCKET nothing is sent and nothing changes (every other test).
