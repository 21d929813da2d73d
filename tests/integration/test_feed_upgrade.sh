#!/usr/bin/env bash
# integ_feed_upgrade: a town platform and the district platform follow their
# feeds (u:<town>, u:<district>) across migration 0032, which moves the
# feeds' outbox rows onto the events they report, and across server
# restarts: each sees every item once, in order, with no gap, and its
# cursor (after_seq, fq-report's --seq-file) stays valid.
#
# The database before 0032 is made the way the server before it wrote one:
# the server of this tree writes the history, then the feeds' items are put
# back into the outbox as rows (box, seq, kind, incident, body, event seq),
# the two oldest of the town's as items from before migration 0024 (no
# event seq), and 0032's columns, index, function and view are dropped.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
add_node xihu-12345 district_platform xihu

# Categories in turn, so that most are routed and some merged (a duplicate
# of an open incident of the same category nearby): both go to the feeds.
CATEGORIES=(dispute.neighbour dispute.labour hazard.fire dispute.neighbour hazard.flood service.elderly_care)
N=0
town_report() { # external-ref
    report lingyin-platform --category "${CATEGORIES[$((N++ % ${#CATEGORIES[@]}))]}" --severity IV \
        --risk low --channel hotline --place lingyin-v1-g1 --title "跟踪 $1" --external-ref "$1" --quiet
}
other_town_report() { # external-ref: beishan, on the district's feed only
    report beishan-platform --category dispute.neighbour --severity IV --risk low --channel hotline \
        --place beishan-v1 --title "北山 $1" --external-ref "$1" --quiet
}
# follow NODE: one catch-up of NODE's feed from its cursor, appended to
# $WORK/NODE.out (one JSON line per item).
follow() {
    "$FQ_REPORT" --node "$1" --key-file "$(key_of "$1")" follow --url "$TERMINALS_URL" \
        --seq-file "$WORK/$1.seq" --once >>"$WORK/$1.out" || fail "follow $1"
}
# check_followed NODE BOX: NODE printed every item of BOX once, in order:
# seqs 1..last, as the database holds them (incident and event seq).
check_followed() {
    local node=$1 box=$2 last printed
    last=$(q "SELECT max(seq) FROM feed_items WHERE box = '$box'")
    printed=$(jq -r .seq "$WORK/$node.out" | tr '\n' ' ')
    assert_eq "$(seq -s ' ' 1 "$last") " "$printed" "$node saw items 1..$last of $box once, in order"
    # The items from before 0024 (no event seq in the database now) were
    # read with theirs before the downgrade.
    legacy=$(q "SELECT coalesce(string_agg(seq::text, ' '), '') FROM feed_items
                WHERE box = '$box' AND event_seq IS NULL")
    assert_eq "$(q "SELECT string_agg(seq || ':' || incident_id || ':' || coalesce(event_seq::text, '-'),
                    ' ' ORDER BY seq) FROM feed_items WHERE box = '$box'")" \
        "$(jq -r --arg l "$legacy" '($l | split(" ") | map(select(. != "") | tonumber)) as $ls
              | "\(.seq):\(.incident):\(if (.seq as $s | $ls | index($s)) != null then "-"
                                          else (.event_seq // 0) end)"' \
              "$WORK/$node.out" | tr '\n' ' ' | sed 's/ $//')" \
        "$node: each item names its incident and event"
}
snapshot() { # what the feeds hold: box, seq, incident, event seq, body
    q "SELECT box, seq, kind, incident_id, coalesce(event_seq, 0), md5(body) FROM feed_items
       ORDER BY box, seq"
}

server_start
for i in 1 2 3; do town_report "A$i"; done
other_town_report B1
follow lingyin-platform
follow xihu-12345
town_report A4 # not yet followed when the server stops
other_town_report B2
server_stop
before=$(snapshot)
# Rows this history takes, in both layouts (docs/write-path.md, "Feeds").
rows() { q "SELECT (SELECT count(*) FROM incidents) || ' incidents, ' || (SELECT count(*) FROM events)
            || ' events, ' || (SELECT count(*) FROM outbox) || ' outbox rows'"; }
log "rows with the feeds in the events: $(rows)"
[ "$(wc -l <<<"$before")" -ge 10 ] || fail "the feeds hold too little to test: $before"

# ---- back to the schema before 0032, as its server left the database ----
q "BEGIN;
   INSERT INTO outbox (box, seq, kind, incident_id, at, body, event_seq)
     SELECT box, seq, kind, incident_id, at, body, event_seq FROM feed_items;
   UPDATE outbox SET event_seq = NULL WHERE box = 'u:lingyin' AND seq <= 2;
   DROP VIEW feed_items;
   DROP FUNCTION fq_feed_heads();
   DROP TABLE feed_archive_heads;
   ALTER TABLE events DROP COLUMN town, DROP COLUMN town_seq, DROP COLUMN district,
                      DROP COLUMN district_seq, DROP COLUMN feed_item;
   DELETE FROM schema_migrations WHERE version = 32;
   COMMIT" >/dev/null
log "rows with the feeds as outbox rows (before 0032): $(rows)"
legacy=$(q "SELECT count(*) FROM outbox WHERE box LIKE 'u:%' AND event_seq IS NULL")
assert_eq 2 "$legacy" "two items from before 0024"

admin migrate >/dev/null
assert_eq "$(sed 's/^\(u:lingyin|[12]|[^|]*|[^|]*\)|[0-9]*|/\1|0|/' <<<"$before")" "$(snapshot)" \
    "0032 kept every feed item, with its seq and body (the two oldest without their event)"
assert_eq "u:lingyin:2" "$(q "SELECT string_agg(DISTINCT box, ' ') || ':' || count(*) FROM outbox
                               WHERE box LIKE 'u:%'")" \
    "only the items that name no event stay in the outbox"
moved=$(q "SELECT (SELECT count(*) FROM events WHERE town IS NOT NULL)
                + (SELECT count(*) FROM events WHERE district IS NOT NULL)")
assert_eq "$(($(wc -l <<<"$before") - 2))" "$moved" "every other item is on its event"
assert_eq 0 "$(q "SELECT count(*) FROM events WHERE (town IS NULL) <> (town_seq IS NULL)
                   OR (district IS NULL) <> (district_seq IS NULL)
                   OR (feed_item IS NULL) <> (town IS NULL AND district IS NULL)")" \
    "feed columns come together"
admin verify >/dev/null || fail "the chain does not verify after 0032: $(admin verify 2>&1 | tail -n 3)"
log "0032: $moved items moved onto their events, 2 stayed"

# ---- after the upgrade: the cursors go on; new items continue the numbering ----
server_start
follow lingyin-platform
follow xihu-12345
check_followed lingyin-platform u:lingyin
check_followed xihu-12345 u:xihu
town_report A5
other_town_report B3
follow lingyin-platform
follow xihu-12345
check_followed lingyin-platform u:lingyin
check_followed xihu-12345 u:xihu
assert_eq 0 "$(q "SELECT count(*) FROM outbox WHERE box LIKE 'u:%' AND event_seq IS NOT NULL")" \
    "no new feed item is an outbox row"

# ---- a restart: the heads are read again (fq_feed_heads) ----
server_stop
server_start
town_report A6
other_town_report B4
follow lingyin-platform
follow xihu-12345
check_followed lingyin-platform u:lingyin
check_followed xihu-12345 u:xihu

# ---- resends among new reports, at once: a batch whose set-based statement
# meets a resend's key rolls back and is written again one operation at a
# time (serial mode, docs/write-path.md); the feeds' seqs planned for it are
# planned again, and the feeds stay gap-free ----
resend_round() { # first ref number
    local i pids=()
    for i in 0 1 2 3; do
        report lingyin-platform --category hazard.fire --severity IV --risk low --channel hotline \
            --place lingyin-v1-g1 --title "重发 R$(($1 + i))" --external-ref "R$(($1 + i))" --quiet &
        pids+=($!)
        report beishan-platform --category hazard.flood --severity IV --risk low --channel hotline \
            --place beishan-v1 --title "重发 S$(($1 + i))" --external-ref "S$(($1 + i))" --quiet &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || fail "a report of round $1 failed"; done
}
resend_round 1
resend_round 1 # the same again: every one a resend
resend_round 3 # half of them resends, half new
follow lingyin-platform
follow xihu-12345
check_followed lingyin-platform u:lingyin
check_followed xihu-12345 u:xihu

# A follower from the start reads the whole feed, the items from before
# 0024 first (from the outbox, event_seq 0), their typed fields intact.
"$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" follow \
    --url "$TERMINALS_URL" --once >"$WORK/fresh.out" || fail "follow from the start"
assert_eq "$(jq -r .seq "$WORK/lingyin-platform.out" | tr '\n' ' ')" \
    "$(jq -r .seq "$WORK/fresh.out" | tr '\n' ' ')" "a fresh follower reads the same feed"
assert_eq "A1|A2|lingyin-platform|assigned" \
    "$(jq -rs '[.[0].external_ref, .[1].external_ref, .[0].reporter_node, .[0].event_kind] | join("|")' "$WORK/fresh.out")" \
    "the items from before 0024 read as before"
assert_eq "$(jq -r '"\(.seq) \(.incident) \(.state) \(.event_kind)"' "$WORK/lingyin-platform.out")" \
    "$(jq -r '"\(.seq) \(.incident) \(.state) \(.event_kind)"' "$WORK/fresh.out")" \
    "the same items, field for field"
last=$(q "SELECT max(seq) FROM feed_items WHERE box = 'u:lingyin'")
server_stop
log "followed u:lingyin to $last and u:xihu to $(q "SELECT max(seq) FROM feed_items WHERE box = 'u:xihu'") across 0032 and a restart"
