#!/usr/bin/env bash
# integ_recovery_chunks: the open incidents are read at start by a binary
# COPY and handed to the loop in chunks (FQ_OPEN_CHUNK_ROWS, 4,096 rows at
# most: statements.h, store/open_copy.c), and all of them are taken in,
# whatever chunk they fall in.
#
#  10,000 open incidents (chunks of up to 4,096 from each of two loaders,
#  each reading half of the table's pages) are written with
#  SQL, with every kind of stored case the decoder reads: each tier, with and
#  without a location, co-handlers, a supervision order. The server's count
#  of open cases and of pending deadlines (its routing statistics line) must
#  be what the rows say — every case with its next limit pending (one a
#  case: server/core/caseload.h; each has limits ahead) — and the same again
#  after a restart. A report that
#  duplicates the last incident (in the last chunk) is merged into it: the
#  duplicate index has it too.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

N=10000
db_create
setup_world

log "writing $N open incidents"
q "INSERT INTO incidents (reporter_node, message_id, body_digest, category, severity, risk, channel,
       place_unit, lon, lat, title, sent_at, recorded_at, state, tier, line, territory, lead_unit,
       worker, co_units, ack_warn_at, ack_due, conclude_warn_at, conclude_due, supervision_due)
   SELECT 'lingyin-platform', g, sha256(int8send(g)), 'hazard.flood', 1 + g % 4, 1 + g % 3, 1,
          'lingyin-v1-g1',
          CASE WHEN g % 5 = 0 THEN NULL ELSE 120.10 + (g % 100) * 0.0001 END,
          CASE WHEN g % 5 = 0 THEN NULL ELSE 30.24 + (g % 100) * 0.0001 END,
          '积水 ' || g, now(), now() - (g % 600) * interval '1 second', 'assigned', t.tier, 0,
          CASE t.tier WHEN 1 THEN 'lingyin-v1-g1' WHEN 2 THEN 'lingyin' ELSE 'xihu' END,
          CASE t.tier WHEN 1 THEN 'lingyin-v1.village' WHEN 2 THEN 'lingyin.governance'
                      ELSE 'xihu.public_security' END,
          CASE WHEN t.tier = 1 THEN CASE WHEN g % 2 = 0 THEN '$W1' ELSE '$W2' END END,
          CASE WHEN t.tier = 3 AND g % 7 = 0 THEN ARRAY['xihu.center', 'xihu.civil_affairs']
               ELSE '{}' END,
          now() + interval '50 minutes', now() + interval '1 hour',
          now() + interval '2 days', now() + interval '3 days',
          CASE WHEN g % 11 = 0 THEN now() + interval '1 day' END
   FROM generate_series(1, $N) g, LATERAL (SELECT 1 + g % 3 AS tier) t" >/dev/null
# The last one, alone of its category: only it can be the duplicate below.
q "UPDATE incidents SET category = 'market.food_safety', line = 1, lon = 120.1001, lat = 30.2401
   WHERE id = (SELECT max(id) FROM incidents)" >/dev/null
# Statistics, so that the server expects 10,000 and reads them in two
# halves of the table's pages on two connections (FQ_SQL_OPEN_COPY_HALF):
# each incident in exactly one (the last one's new version on a later page).
q "ANALYZE incidents" >/dev/null
open=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
deadlines=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
assert_eq "$N" "$open" "open incidents written"

# The last "open N deadlines M" of the server's statistics lines written
# after it became ready (those during the load count what came so far).
routing_counts() {
    sed -n '/comp=server msg="ready"/,$ s/.*comp=routing msg=".*| open \([0-9]*\) deadlines \([0-9]*\).*/\1|\2/p' \
        "$SERVER_LOG" | tail -n 1
}
wait_counts() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ -n "$(routing_counts)" ] && return 0
        sleep 0.1
    done
    fail "no routing statistics line in $SERVER_LOG"
}

server_start
assert_match "; $N open incidents" "$(grep 'comp=routing msg="rule set' "$SERVER_LOG" | tail -n 1)" \
    "the open incidents taken in at start"
assert_match "in two halves" "$(grep 'reading the open incidents' "$SERVER_LOG" | head -n 1)" \
    "two loaders"
wait_counts
assert_eq "$open|$deadlines" "$(routing_counts)" "open cases and pending deadlines after the start"


# The last incident, in the last (short) chunk: a report of the same thing
# 10 m away within the duplicate window is merged into it.
last=$(q "SELECT max(id) FROM incidents")
assert_eq "$last" "$(report lingyin-platform --json --category market.food_safety --severity III \
    --risk medium --channel online --place lingyin-v1-g1 --lon 120.1002 --lat 30.2401 \
    --title "食品 again" --external-ref DUP-1 |
    jq -r .routing.merged_into)" "a duplicate of the last incident (last chunk): merged into it"
server_stop

server_start
wait_counts
assert_eq "$open|$deadlines" "$(routing_counts)" "the same after a restart"
server_stop
log "ok"
