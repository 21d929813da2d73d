#!/usr/bin/env bash
# integ_key_files: node keys never sit in a file others may read.
# `fengqiao-admin node add --key-out FILE` creates FILE 0600 whatever the umask,
# refuses an existing file (and then registers nothing), and leaves no file
# behind when the node is not added; `node add > FILE` at an open umask warns.
# Every client that takes --key-file (fq-report, fq-terminal, fq_raw_peer) and
# fengqiaod's --server-key refuse a key file group or others may read, naming
# the chmod; after the chmod the same file works. `node import` adds nodes
# line by line the same way and stops at the first line that fails.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
server_start

mode_of() { stat -c %a "$1"; }

# ---- --key-out ----
out="$WORK/keys/new-platform.key"
before=$(directory_loads)
err=$(umask 000; admin node add new-platform --role town_platform --jurisdiction lingyin \
    --key-out "$out" 2>&1 >/dev/null) || fail "node add --key-out failed: $err"
assert_eq 600 "$(mode_of "$out")" "mode of a --key-out file under umask 000"
assert_eq 65 "$(wc -c <"$out")" "size of a --key-out file"
assert_match '^[0-9a-f]{64}$' "$(cat "$out")" "a --key-out file holds the key's hex"
assert_eq "node new-platform added: town_platform of lingyin, key in $out" "$err" \
    "node add --key-out says one line, naming the key file"
wait_directory_reload "$before" # the server knows the node from its next directory
line=$(report new-platform --category dispute.neighbour --severity IV --risk low \
    --channel hotline --place lingyin-v1 --title 密钥文件测试) || fail "report with the new key: $line"
assert_match '^incident [0-9]+ ' "$line" "a report signed with the --key-out key"

# An existing file is never overwritten, and the node is then not registered.
before=$(sha256sum <"$out")
if err=$(admin node add other-platform --role town_platform --jurisdiction lingyin \
    --key-out "$out" 2>&1); then
    fail "node add over an existing key file succeeded"
fi
assert_match 'refusing to overwrite' "$err" "node add over an existing file says why"
assert_eq "$before" "$(sha256sum <"$out")" "the existing key file is untouched"
assert_eq 0 "$(q "SELECT count(*) FROM nodes WHERE id = 'other-platform'")" \
    "no node registered when its key file could not be made"

# A node that is not added leaves no key file behind.
if admin node add bad-platform --role town_platform --jurisdiction no-such-town \
    --key-out "$WORK/keys/bad.key" >/dev/null 2>&1; then
    fail "node add with an unknown jurisdiction succeeded"
fi
[ ! -e "$WORK/keys/bad.key" ] || fail "a key file was left for a node that was not added"
if admin node add new-platform --role town_platform --jurisdiction lingyin \
    --key-out "$WORK/keys/dup.key" >/dev/null 2>&1; then
    fail "node add of an existing id succeeded"
fi
[ ! -e "$WORK/keys/dup.key" ] || fail "a key file was left for a duplicate node id"

# Printing to a file at an open umask still works, with a warning.
err=$(umask 022; admin node add printed-platform --role town_platform --jurisdiction lingyin \
    2>&1 >"$WORK/keys/printed.key") || fail "node add to stdout failed: $err"
assert_eq 65 "$(wc -c <"$WORK/keys/printed.key")" "node add still prints the key"
assert_match 'warning: .*mode 0644.*chmod 600.*--key-out' "$err" "node add > FILE warns"

# ---- the clients refuse a key others may read ----
key=$(key_of lingyin-platform)
for mode in 644 640 604; do
    chmod "$mode" "$key"
    if err=$(report lingyin-platform --category dispute.neighbour --severity IV --risk low \
        --channel hotline --place lingyin-v1 --title 不应发送 2>&1); then
        fail "fq-report accepted a key file of mode $mode"
    else
        rc=$?
    fi
    assert_eq 2 "$rc" "fq-report's exit status for a mode $mode key file"
    assert_match "chmod 600 $key" "$err" "fq-report names the chmod (mode $mode)"
done
chmod 644 "$key"
err=$("$FQ_TERMINAL" --node lingyin-terminal --key-file "$key" --url "$TERMINALS_URL" ack 1 2>&1) &&
    fail "fq-terminal accepted a mode 644 key file"
assert_match "chmod 600 $key" "$err" "fq-terminal names the chmod"
err=$(raw lingyin-platform report --category dispute.neighbour 2>&1) &&
    fail "fq_raw_peer accepted a mode 644 key file"
assert_match "chmod 600 $key" "$err" "fq_raw_peer names the chmod"
assert_eq 0 "$(q "SELECT count(*) FROM incidents WHERE title = '不应发送'")" "nothing sent"
chmod 600 "$key"
line=$(report lingyin-platform --category dispute.neighbour --severity IV --risk low \
    --channel hotline --place lingyin-v1 --title 权限已修正) || fail "report after chmod 600: $line"
assert_match '^incident [0-9]+ ' "$line" "the key file works after chmod 600"

# ---- node import: node add for each line, in one run ----
# Two nodes, a line for a town platform whose jurisdiction is no town, and
# one after it: the first two are added with their key files (0600), the
# run stops at the third, naming its line, and the fourth is not added.
printf '%s\n' "# nodes of a town" "" \
    "imp-a --role town_platform --jurisdiction beishan --key-out $WORK/keys/imp-a.key" \
    "imp-b --role terminal --serves-worker $W2 --key-out $WORK/keys/imp-b.key" \
    "imp-c --role town_platform --jurisdiction lingyin-v1 --key-out $WORK/keys/imp-c.key" \
    "imp-d --role town_platform --jurisdiction beishan --key-out $WORK/keys/imp-d.key" >"$WORK/nodes.txt"
rc=0
err=$(admin node import - <"$WORK/nodes.txt" 2>&1) || rc=$?
assert_eq 1 "$rc" "node import with a failing line"
assert_match "node imp-b added: terminal of lingyin-v1-g1, key in $WORK/keys/imp-b.key" "$err" \
    "node import: one line per node added"
assert_match "stopped at -:5 \(imp-c\)" "$err" "node import names the line it stopped at"
assert_eq "imp-a imp-b" "$(q "SELECT string_agg(id, ' ' ORDER BY id) FROM nodes WHERE id LIKE 'imp-%'")" \
    "node import: the nodes before the failing line, not after it"
assert_eq "600 600" "$(mode_of "$WORK/keys/imp-a.key") $(mode_of "$WORK/keys/imp-b.key")" \
    "node import: key files readable by their owner only"
[ ! -e "$WORK/keys/imp-c.key" ] && [ ! -e "$WORK/keys/imp-d.key" ] ||
    fail "node import left key files of nodes not added"

# ---- the server key too ----
cp -p "$FQ_SERVER_KEY" "$WORK/open-server.key"
chmod 644 "$WORK/open-server.key"
if err=$(timeout 60 "$FQ_SERVERD" --db "$FQ_DB" --server-key "$WORK/open-server.key" \
    --intake "tcp://127.0.0.1:$(free_port)" 2>&1); then
    fail "fengqiaod started with a mode 644 server key"
fi
assert_match "chmod 600 $WORK/open-server.key" "$err" "fengqiaod names the chmod"

log "key files: all checks passed"
