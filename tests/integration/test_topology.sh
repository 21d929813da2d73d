#!/usr/bin/env bash
# integ_topology: fengqiao-admin import-topology with the West Lake example.
# The import fills units, handlers, workers, polygons, categories and a rule
# set; the same file again changes nothing; broken files are refused with the
# JSON path of the first problem and change nothing; a unit that differs is
# refused without --replace; changed rules make a new, active rule set
# version; worker duty changes.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXAMPLE="$FQ_SRC_DIR/examples/westlake-topology.json"

db_create
admin migrate >/dev/null

# Everything the import writes, to show that a refused import changed nothing.
snapshot() {
    q "SELECT (SELECT string_agg(format('%s|%s|%s|%s', id, kind, parent_id, name), ',' ORDER BY id) FROM org_units),
              (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', id, kind, territory, line, code, name), ',' ORDER BY id) FROM handlers),
              (SELECT string_agg(format('%s|%s|%s|%s|%s', id, grid, name, capacity, on_duty), ',' ORDER BY id) FROM workers),
              (SELECT string_agg(format('%s|%s', grid, ring), ',' ORDER BY grid) FROM grid_polygons),
              (SELECT string_agg(format('%s|%s|%s', code, line, name), ',' ORDER BY code) FROM categories),
              (SELECT string_agg(format('%s|%s|%s', version, active, note), ',' ORDER BY version) FROM rule_sets),
              (SELECT count(*) FROM rules)"
}

# expect_refused WHAT REGEX FILE [import flags...]: the import fails, its
# message matches REGEX, and the database is as it was.
expect_refused() {
    local what=$1 regex=$2 file=$3 before out rc=0
    shift 3
    before=$(snapshot)
    out=$(admin import-topology "$file" "$@" 2>&1) || rc=$?
    log "$what: exit $rc: $(head -n 1 <<<"$out")"
    assert_eq 1 "$rc" "exit status ($what)"
    assert_match "$regex" "$out" "message ($what)"
    assert_match "nothing was imported" "$out" "message ($what)"
    assert_eq "$before" "$(snapshot)" "database after a refused import ($what)"
}

# mutate NAME JQ-FILTER: a copy of the example changed by a jq filter.
mutate() {
    jq "$2" "$EXAMPLE" >"$WORK/$1.json"
    echo "$WORK/$1.json"
}

# ---- first import ----
out=$(admin import-topology "$EXAMPLE" --by tester --note "first import")
log "first import: $(tr '\n' ';' <<<"$out")"
assert_match 'units +121 in file: 121 added' "$out" "summary of units"
assert_match 'rules +10 in file: version 1 created and activated' "$out" "summary of rules"
assert_eq "1|12|36|72" "$(q "SELECT count(*) FILTER (WHERE kind = 'district'), count(*) FILTER (WHERE kind = 'town'),
                                   count(*) FILTER (WHERE kind = 'village'), count(*) FILTER (WHERE kind = 'grid')
                            FROM org_units")" "units by kind"
assert_eq "1|7|48|36" "$(q "SELECT count(*) FILTER (WHERE kind = 'center'), count(*) FILTER (WHERE kind = 'department'),
                                   count(*) FILTER (WHERE kind = 'town_line'), count(*) FILTER (WHERE kind = 'village')
                            FROM handlers")" "handlers by kind"
assert_eq "144|144|72|13" "$(q "SELECT (SELECT count(*) FROM workers), (SELECT count(*) FROM workers WHERE on_duty),
                                       (SELECT count(*) FROM grid_polygons), (SELECT count(*) FROM categories)")" \
    "workers, on duty, polygons, categories"
assert_eq "1|t|tester|first import|10" "$(q "SELECT version, active, created_by, note,
                                               (SELECT count(*) FROM rules WHERE rule_set = version) FROM rule_sets")" \
    "rule set 1"
# Polygons are stored exactly as written: the first grid's first vertex.
first_vertex=$(jq -c '.towns[0].villages[0].grids[0].polygon[0]' "$EXAMPLE")
assert_eq "$first_vertex" "$(q "SELECT format('[%s,%s]', ring[1], ring[2]) FROM grid_polygons
                                WHERE grid = '$(jq -r '.towns[0].villages[0].grids[0].id' "$EXAMPLE")'")" "first vertex"
# The petition rule as the file has it.
assert_eq "town|{petitions}|1800|600|604800|86400" \
    "$(q "SELECT tier, co_departments, ack_s, ack_warn_s, conclude_s, conclude_warn_s FROM rules
          WHERE category = 'petition' AND severity = 0 AND risk = 0")" "petition rule"

# ---- the same file again: nothing changes ----
before=$(snapshot)
out=$(admin import-topology "$EXAMPLE")
assert_match 'nothing changed' "$out" "second import"
assert_match 'rules +10 in file: the same as the active rule set' "$out" "second import, rules"
assert_eq "$before" "$(snapshot)" "database after the second import"

# ---- broken files: the first problem, by JSON path; nothing changed ----
f=$(mutate bad-polygon '.towns[3].villages[0].grids[1].polygon |= .[0:2]')
expect_refused "bad polygon" \
    'towns\[3\]\.villages\[0\]\.grids\[1\]\.polygon: ring has 2 vertices; at least 3' "$f"
f=$(mutate polygon-range '.towns[0].villages[2].grids[0].polygon[1][1] = 95')
expect_refused "latitude out of range" \
    'towns\[0\]\.villages\[2\]\.grids\[0\]\.polygon\[1\]: lat 95 is out of range' "$f"
f=$(mutate flat-polygon '.towns[0].villages[0].grids[0].polygon = [[120.1,30.1],[120.2,30.2],[120.3,30.3]]')
expect_refused "zero area" 'towns\[0\]\.villages\[0\]\.grids\[0\]\.polygon: .*zero area' "$f"
f=$(mutate unknown-line '.categories[4].line = "finance"')
expect_refused "unknown line" "categories\\[4\\]\\.line: unknown line 'finance'" "$f"
f=$(mutate unknown-dept-line '.district.departments[1].line = "taxes"')
expect_refused "unknown department line" "district\\.departments\\[1\\]\\.line: unknown line 'taxes'" "$f"
f=$(mutate duplicate-id '.towns[2].villages[1].grids[1].id = .towns[0].villages[0].grids[0].id')
expect_refused "duplicate id" \
    'towns\[2\]\.villages\[1\]\.grids\[1\]\.id: id beishan-c1-g1 appears twice \(first at towns\[0\]\.villages\[0\]\.grids\[0\]\.id\)' "$f"
f=$(mutate bad-duration '.rules[2].conclude = "7 days"')
expect_refused "bad duration" "rules\\[2\\]\\.conclude: '7 days' is not a duration" "$f"
f=$(mutate no-unit '.rules[0].ack = "30"')
expect_refused "duration without unit" "rules\\[0\\]\\.ack: '30' is not a duration: each number needs a unit" "$f"
f=$(mutate warn-late '.rules[1].ack_warn = "10m"')
expect_refused "warning not before the limit" 'rules\[1\]\.ack_warn: the warning must come before the limit' "$f"
f=$(mutate unknown-field '.towns[5].villages[2].grids[0].workers[1].capacty = 3')
expect_refused "unknown field" 'towns\[5\]\.villages\[2\]\.grids\[0\]\.workers\[1\]\.capacty: unknown field' "$f"
f=$(mutate bad-capacity '.towns[5].villages[2].grids[0].workers[1].capacity = 0')
expect_refused "capacity" 'towns\[5\]\.villages\[2\]\.grids\[0\]\.workers\[1\]\.capacity: 0 is out of range' "$f"
f=$(mutate missing-line '.towns[1].lines |= del(.services)')
expect_refused "missing town line" 'towns\[1\]\.lines\.services: is required' "$f"
f=$(mutate unknown-category '.rules[3].category = "flood"')
expect_refused "unknown category in a rule" 'rules\[3\]\.category: unknown category flood' "$f"
f=$(mutate unknown-co '.rules[0].co = ["petitions", "tax_bureau"]')
expect_refused "unknown co-handling department" 'rules\[0\]\.co\[1\]: no department has code tax_bureau' "$f"
f=$(mutate same-key '.rules[2].severity = "I"')
expect_refused "two rules with one key" 'rules\[2\]: same category, severity and risk as rules\[1\]' "$f"
f=$(mutate wrong-schema '.schema = "fengqiao.topology.v9"')
expect_refused "schema" "schema: 'fengqiao.topology.v9' is not a schema" "$f"
printf '{"schema": "fengqiao.topology.v1",\n "towns": [\n' >"$WORK/truncated.json"
expect_refused "not JSON" 'line 3, column [0-9]+: not valid JSON' "$WORK/truncated.json"
# A problem late in the file, after valid new content: still nothing written.
f=$(mutate late-error '.towns[0].name = "北山街道（新）" | .towns[11].villages[2].grids[1].polygon |= .[0:1]')
expect_refused "late error" 'towns\[11\]\.villages\[2\]\.grids\[1\]\.polygon: ring has 1 vertex; at least 3' "$f"

# ---- different content: refused without --replace, written with it ----
f=$(mutate renamed '.towns[0].villages[1].name = "北山新社区" | .towns[0].villages[1].grids[0].workers[0].capacity = 9')
expect_refused "renamed village without --replace" \
    "towns\\[0\\]\\.villages\\[1\\]\\.name: unit beishan-c2 already exists with name '北山第二社区'; the file says '北山新社区'; give --replace" "$f"
out=$(admin import-topology "$f" --replace)
assert_match 'units +121 in file: 0 added, 1 changed, 120 unchanged' "$out" "--replace, units"
assert_match 'workers +144 in file: 0 added, 1 changed, 143 unchanged' "$out" "--replace, workers"
assert_eq "北山新社区|9" "$(q "SELECT (SELECT name FROM org_units WHERE id = 'beishan-c2'),
                                  (SELECT capacity FROM workers WHERE id = 'beishan-c2-g1-w1')")" "after --replace"
# A kind never changes, not even with --replace.
f=$(mutate kind-change '.towns[0].villages[1].id = "beishan-c2-new" | .towns[0].villages[0].grids[0].id = "beishan-c2"')
expect_refused "kind change" 'towns\[0\]\.villages\[0\]\.grids\[0\]\.id: beishan-c2 is a village in the database, not a grid' \
    "$f" --replace
# A post held by another handler id.
f=$(mutate post-taken '.towns[0].lines.market.id = "beishan-market-2"')
expect_refused "post held by another handler" \
    'towns\[0\]\.lines\.market: the market line of beishan is already held by handler beishan-market' "$f" --replace
# Back to the example.
admin import-topology "$EXAMPLE" --replace >/dev/null

# ---- changed rules: a new version, active; the old one retired ----
f=$(mutate rules-v2 '.rules[0].conclude = "5d" | .rules += [{"category": "city_appearance", "severity": "IV",
      "tier": "village", "ack": "1h", "ack_warn": "10m", "conclude": "1d", "conclude_warn": "4h"}]')
out=$(admin import-topology "$f" --by tester --note "petitions within 5 days")
assert_match 'rules +11 in file: version 2 created and activated' "$out" "rules changed"
assert_match 'nothing changed' "$(admin import-topology "$f")" "the changed rules again"
# Reordering rules is no change either.
f2=$(mutate rules-v2-reordered '.rules[0].conclude = "5d" | .rules += [{"category": "city_appearance", "severity": "IV",
      "tier": "village", "ack": "1h", "ack_warn": "10m", "conclude": "1d", "conclude_warn": "4h"}] | .rules |= reverse')
assert_match 'nothing changed' "$(admin import-topology "$f2")" "the changed rules reordered"
assert_eq "1|f|t
2|t|f" "$(q "SELECT version, active, retired_at IS NOT NULL FROM rule_sets ORDER BY version")" "rule sets"
list=$(admin rules list)
log "rules list: $(head -n 1 <<<"$list")"
assert_match '^active rule set: version 2, created [0-9-]+ [0-9:]+ by tester: petitions within 5 days' "$list" "rules list header"
assert_match 'petition +any +any +town +default +petitions +30m +10m +5d +1d' "$list" "rules list: the changed petition rule"
assert_match 'city_appearance +IV +any +village +default +- +1h +10m +1d +4h' "$list" "rules list: the new rule"
assert_match '\(11 rules;' "$list" "rules list count"
history=$(admin rules history)
assert_match '1 +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +tester +10 +first import' "$history" "history: version 1 retired"
assert_match '2 +[0-9-]+ [0-9:]+ +active +tester +11 +petitions within 5 days' "$history" "history: version 2 active"
# Rules cannot be edited in place.
rc=0
q "UPDATE rules SET ack_s = 1 WHERE rule_set = 2" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a rule was updated in place"
# A file with rules only, no district, is fine.
jq '{schema, rules}' "$EXAMPLE" >"$WORK/rules-only.json"
assert_match 'rules +10 in file: version 3 created and activated' "$(admin import-topology "$WORK/rules-only.json")" \
    "rules-only file"

# ---- worker duty ----
assert_eq "worker beishan-c1-g1-w2 off duty" "$(admin worker duty beishan-c1-g1-w2 off)" "duty off"
assert_eq "f" "$(q "SELECT on_duty FROM workers WHERE id = 'beishan-c1-g1-w2'")" "on_duty after duty off"
# The import does not touch run-time duty state.
assert_match 'nothing changed' "$(admin import-topology "$EXAMPLE")" "import after duty off"
assert_eq "f" "$(q "SELECT on_duty FROM workers WHERE id = 'beishan-c1-g1-w2'")" "on_duty after the import"
admin worker duty beishan-c1-g1-w2 on >/dev/null
assert_eq "t" "$(q "SELECT on_duty FROM workers WHERE id = 'beishan-c1-g1-w2'")" "on_duty after duty on"
rc=0
admin worker duty nobody off 2>/dev/null || rc=$?
assert_eq 1 "$rc" "duty of an unknown worker"

# ---- overlapping grids: refused beyond a digitising sliver ----
G1=$(jq -r '.towns[0].villages[0].grids[0].id' "$EXAMPLE")
G2=$(jq -r '.towns[0].villages[0].grids[1].id' "$EXAMPLE")
# A copy of its neighbour's polygon (--replace: the content check would stop
# it first otherwise).
f=$(mutate overlap-copy '.towns[0].villages[0].grids[1].polygon = .towns[0].villages[0].grids[0].polygon')
expect_refused "a grid copying another" \
    "grids $G1 \\(towns\\[0\\]\\.villages\\[0\\]\\.grids\\[0\\]\\.polygon\\) and $G2 \\(towns\\[0\\]\\.villages\\[0\\]\\.grids\\[1\\]\\.polygon\\) overlap by about [0-9]+ m² \\(100\\.0% of the smaller\\), e\\.g\\. at lon 120\\.14[5-8][0-9]*, lat 30\\.2[56][0-9]*" \
    "$f" --replace
# Reaching 100 m into the neighbour to the north: refused, with a point in
# the strip both claim.
f=$(mutate overlap-strip '.towns[0].villages[0].grids[0].polygon[2][1] += 0.0009 | .towns[0].villages[0].grids[0].polygon[3][1] += 0.0009')
expect_refused "a grid reaching into its neighbour" \
    "grids $G1 .* and $G2 .* overlap by about [0-9]+ m² \\([0-9.]+% of the smaller\\), e\\.g\\. at lon 120\\.14[5-8][0-9]*, lat 30\\.262[0-9]*" \
    "$f" --replace
# A sliver: the shared edge digitised 5 cm (5e-7 degree) into the neighbour,
# some 1.6 m² but 0.002 % of the grid,
# is below the tolerance, and imports.
f=$(mutate overlap-sliver '.towns[0].villages[0].grids[0].polygon[2][1] += 0.0000005 | .towns[0].villages[0].grids[0].polygon[3][1] += 0.0000005')
out=$(admin import-topology "$f" --replace)
assert_match 'polygons +72 in file: 0 added, 1 changed' "$out" "a sliver of overlap is accepted"
admin import-topology "$EXAMPLE" --replace >/dev/null

# ---- what the import accepts, the server loads: one loader, one vertex limit ----
# A grid traced finely: beishan-c1-g1's four edges with 1300 points each
# (5200 vertices, more than the server's old fixed 4096). The import builds the
# server's routing snapshot before it commits; the server then loads the same
# and places a report by coordinates in that grid.
DENSE_GRID=$(jq -r '.towns[0].villages[0].grids[0].id' "$EXAMPLE")
# shellcheck disable=SC2016 # jq's own variables
f=$(mutate dense '.towns[0].villages[0].grids[0].polygon |= (. as $p | [range(0; $p | length) as $i
      | range(0; 1300) as $j | ($p[$i]) as $a | ($p[($i + 1) % ($p | length)]) as $b
      | [$a[0] + ($b[0] - $a[0]) * $j / 1300, $a[1] + ($b[1] - $a[1]) * $j / 1300]])')
out=$(admin import-topology "$f" --replace)
assert_match 'polygons +72 in file: 0 added, 1 changed' "$out" "a 5200-vertex polygon imports"
assert_eq 5200 "$(q "SELECT cardinality(ring) / 2 FROM grid_polygons WHERE grid = '$DENSE_GRID'")" "vertices stored"
server_key_create
add_node beishan-platform town_platform beishan
add_node topo-ops console xihu
server_start
inside=$(jq -r '.towns[0].villages[0].grids[0].polygon | "\(map(.[0]) | add / length) \(map(.[1]) | add / length)"' "$EXAMPLE")
out=$(report beishan-platform --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --lon "${inside% *}" --lat "${inside#* }" --title "细网格" --external-ref TOPO-DENSE)
log "report in the dense grid: $out"
assert_eq "ok|$DENSE_GRID|false" "$(jq -r '[.status, .routing.territory, (.routing.unplaced // false)] | map(tostring) | join("|")' <<<"$out")" \
    "a report by coordinates in the dense grid"
# The server records each load in routing_status.
wait_q "SELECT ok, serving, error FROM routing_status" "t|current|" 30
# console_status QUERY...: the routing status line a console reply carries
# ('' when none); the query must be answered OK.
console_status() {
    local err="$WORK/console.err"
    "$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node topo-ops --key-file "$(key_of topo-ops)" \
        "$@" >/dev/null 2>"$err" || fail "console $*: $(cat "$err")"
    sed -n 's/^routing_status //p' "$err"
}
# board_once_routing: what `fq-console board --once` says of the routing on
# stderr ('' when nothing); its board must be answered.
board_once_routing() {
    local err="$WORK/board.err"
    "$FQ_CONSOLE" --node topo-ops --key-file "$(key_of topo-ops)" --url "$TERMINALS_URL" \
        board --once >/dev/null 2>"$err" || fail "fq-console board --once: $(cat "$err")"
    sed -n 's/^fq-console: ROUTING: //p' "$err"
}
assert_eq "" "$(console_status open)" "the board says nothing while the routing is current"
# A failed reload is loud: a change made around the importer (a ring the
# schema accepts but the loader refuses) and a notification. The server keeps
# the previous routing, logs at ERROR and says so in routing_status.
q "UPDATE grid_polygons SET ring = '{120.1,30.1,120.2,30.2,120.3,30.3}' WHERE grid = '$G2';
   NOTIFY fengqiao_directory" >/dev/null
wait_q "SELECT ok, serving, error LIKE '%polygon of grid $G2: the ring has zero area%', loaded_at < at
        FROM routing_status" "f|previous|t|t" 30
grep -q "level=error comp=routing msg=\"the routing state did not load: polygon of grid $G2: the ring has zero area; keeping the previous directory and routing" "$SERVER_LOG" ||
    fail "no ERROR line for the failed reload"
# ... and every console reply says so: the board and the roster.
for query in open roster; do
    assert_eq "the routing state did not load: polygon of grid $G2: the ring has zero area; keeping the previous directory and routing" \
        "$(console_status $query)" "the console's $query reply after the failed reload"
done
if [ -n "${FQ_CONSOLE:-}" ]; then
    assert_eq "the routing state did not load: polygon of grid $G2: the ring has zero area; keeping the previous directory and routing" \
        "$(board_once_routing)" "fq-console board --once after the failed reload"
fi
out=$(report beishan-platform --json --category dispute.neighbour --severity IV --risk low --channel hotline \
    --lon "${inside% *}" --lat "${inside#* }" --title "仍按原网格" --external-ref TOPO-KEPT)
assert_eq "ok|$DENSE_GRID" "$(jq -r '[.status, .routing.territory] | join("|")' <<<"$out")" \
    "the previous routing still places reports"
# Mended through the importer: loaded again, the status says so.
admin import-topology "$EXAMPLE" --replace >/dev/null
wait_q "SELECT ok, serving, error FROM routing_status" "t|current|" 30
# The server writes routing_status after it takes the new state: the
# console's line is gone by then.
for query in open roster; do
    assert_eq "" "$(console_status $query)" "the console's $query reply after the good reload"
done
if [ -n "${FQ_CONSOLE:-}" ]; then
    assert_eq "" "$(board_once_routing)" "fq-console board --once after the good reload"
fi
server_stop

# ---- every command has --help ----
for c in import-topology "rules" "worker"; do
    # shellcheck disable=SC2086
    admin $c --help | grep -q '^usage: fengqiao-admin' || fail "$c --help"
done
