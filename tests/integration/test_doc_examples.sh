#!/usr/bin/env bash
# integ_doc_examples: the command examples of README.md and docs/*.md against
# the demo district (examples/westlake-topology.json in a private PostgreSQL,
# a running fengqiaod). The examples are extracted mechanically by
# doc_examples.py:
#
# - every id and category a documented command names (--place,
#   --jurisdiction, --serves-worker, --serves-unit, --category, fq-terminal
#   return --to; in ```sh and plain blocks and inline `code`) must exist in
#   the demo district as imported: a doc example whose ids do not exist fails,
#   naming the doc and line;
# - every command of a block marked `<!-- example: runnable -->` runs, in
#   order, in one work directory (examples/ linked in), and must exit 0. The
#   rewrites, all mechanical: `export FQ_DB=…` and `export FQ_SERVER_KEY=…`
#   are placeholders the test sets itself; a `fengqiaod … &` line starts the
#   test's server (free ports); tcp://HOST:7411 and tcp://HOST:7412 become
#   the test server's intake and terminal endpoints.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

: "${FQ_TERMINAL:?}"
db_create
RUN="$WORK/run"
mkdir -p "$RUN"
ln -s "$FQ_SRC_DIR/examples" "$RUN/examples"
# A key path not yet made: the README's own `server-key create` makes it.
FQ_SERVER_KEY="$RUN/server.key"
export FQ_SERVER_KEY
PATH="$(dirname "$FQ_ADMIN"):$(dirname "$FQ_REPORT"):$(dirname "$FQ_TERMINAL"):$PATH"
export PATH
password=doc-example-password-1
export password
printf '%s\n' "$password" >"$WORK/password"

"$FQ_SRC_DIR/tests/integration/doc_examples.py" "$FQ_SRC_DIR" >"$WORK/examples.tsv" ||
    fail "doc_examples.py failed"
runs=$(grep -c '^RUN' "$WORK/examples.tsv" || true)
ids=$(grep -c '^ID' "$WORK/examples.tsv" || true)
((runs >= 10 && ids >= 10)) || fail "too few examples found: $runs commands, $ids ids"

# ---- the runnable blocks, in order ----
n=0
while IFS=$'\t' read -r what where cmd; do
    [ "$what" = RUN ] || continue
    case "$cmd" in
    "export FQ_DB="* | "export FQ_SERVER_KEY="*)
        log "$where: skipped (the test's own): $cmd"
        continue
        ;;
    "fengqiaod "*"&")
        [ -n "$SERVER_PID" ] || server_start
        log "$where: the test's server for: $cmd"
        continue
        ;;
    esac
    cmd=$(sed -E "s#tcp://[A-Za-z0-9.-]+:7411#${SERVER_URL:-tcp://127.0.0.1:7411}#g;
                  s#tcp://[A-Za-z0-9.-]+:7412#${TERMINALS_URL:-tcp://127.0.0.1:7412}#g" <<<"$cmd")
    n=$((n + 1))
    rc=0
    loads=""
    # A node added (or revoked) while the server runs counts from the
    # server's next directory (docs/operations.md "Keys"): the next
    # command may use it at once, as a script would, so wait for it.
    [[ -n "$SERVER_PID" && "$cmd" =~ ^fengqiao-admin\ node\ (add|revoke)\  ]] && loads=$(directory_loads)
    (cd "$RUN" && export FQ_INTAKE="${SERVER_URL:-}" FQ_TERMINALS="${TERMINALS_URL:-}" && eval "$cmd") \
        >"$WORK/cmd.$n.out" 2>&1 <"$WORK/password" || rc=$?
    log "$where: exit $rc: $cmd"
    [ "$rc" = 0 ] || fail "$where: the documented command failed (exit $rc): $cmd
$(tail -n 5 "$WORK/cmd.$n.out")"
    [ -z "$loads" ] || wait_directory_reload "$loads"
done <"$WORK/examples.tsv"
((n > 0)) || fail "no runnable command ran"
[ -n "$SERVER_PID" ] || fail "no runnable block started fengqiaod"
# The README's report reached the demo district's village.
assert_eq 1 "$(q "SELECT count(*) FROM incidents WHERE external_ref = 'LY-0001'
                  AND lead_unit = 'lingyin-yuquan-unit'")" "the README's report, routed in 玉泉社区"

# ---- routing.md's worked example, steps 1, 2 and 4, on the demo district ----
# (lingyin-yuquan-g2, since the README's report may hold a worker of g1.)
ly=(--category dispute.neighbour --severity IV --risk low --channel hotline)
route() { report_as lingyin-platform --json "$@"; }
report_as() { "$FQ_REPORT" --node "$1" --key-file "$RUN/lingyin.key" --url "$SERVER_URL" "${@:2}"; }
field() { jq -r "$1" <<<"$2"; }
r1=$(route "${ly[@]}" --place lingyin-yuquan-g2 --title 楼上噪音 --external-ref WX-1)
log "routing.md step 1: $r1"
assert_eq "village|governance|lingyin-yuquan-unit" \
    "$(field '[.routing.tier, .routing.line, .routing.lead_unit] | join("|")' "$r1")" "routing.md step 1"
r2=$(route --category dispute.family --severity IV --risk low --channel hotline \
    --place lingyin-yuquan-g2 --title 家庭纠纷 --external-ref WX-2)
log "routing.md step 2: $r2"
w1=$(field .routing.worker "$r1")
w2=$(field .routing.worker "$r2")
assert_match '^lingyin-yuquan-g2-w[12]$' "$w1" "routing.md step 1: a worker of the grid"
assert_match '^lingyin-yuquan-g2-w[12]$' "$w2" "routing.md step 2: a worker of the grid"
[ "$w1" != "$w2" ] || fail "routing.md step 2: the other worker, not $w2 again"
r4=$(route --category public_order --severity I --risk high --channel hotline \
    --place lingyin-yuquan --title 聚集事件 --external-ref WX-4)
log "routing.md step 4: $r4"
assert_eq "district|xihu-center|lingyin-governance" \
    "$(field '[.routing.tier, .routing.lead_unit, (.routing.co_units | join(","))] | join("|")' "$r4")" \
    "routing.md step 4"

# ---- every id named in the docs exists in the demo district ----
# (The README's runnable block imported the topology; import it again in
# case that block changes: the same file changes nothing.)
admin import-topology "$FQ_SRC_DIR/examples/westlake-topology.json" >/dev/null
missing=""
while IFS=$'\t' read -r what where kind value; do
    [ "$what" = ID ] || continue
    case "$kind" in
    unit) sql="SELECT count(*) FROM org_units WHERE id = '$value'" ;;
    worker) sql="SELECT count(*) FROM workers WHERE id = '$value'" ;;
    handler) sql="SELECT count(*) FROM handlers WHERE id = '$value'" ;;
    category) sql="SELECT count(*) FROM categories WHERE code = '$value'" ;;
    *) fail "unknown kind $kind" ;;
    esac
    [ "$(q "$sql")" = 1 ] || missing+="$where: no $kind $value in the demo district"$'\n'
done <"$WORK/examples.tsv"
[ -z "$missing" ] || fail "doc examples name ids the demo district does not have:
$missing"
log "$n documented commands ran, $ids ids checked"

server_stop
