-- 0032 feeds from the events: the town's and the district's follow feeds
-- ('u:<town>', 'u:<district>') are no longer outbox rows that copy every
-- event of a territory; the event that goes to the feeds carries its place
-- in each of them (docs/write-path.md, "Feeds"). The server numbers each
-- feed gap-free as it numbers an outbox box (planned in the server, the
-- heads read at start by fq_feed_heads), and a feed is read from the events
-- by territory. Workers' and units' boxes ('w:', 'h:') stay outbox rows.
--
-- town, town_seq: the incident's town and the event's seq in its feed;
-- district, district_seq: the same for the district; NULL for events no
-- feed carries (reports' own 'reported' events, warnings to holders, ...).
-- feed_item: the item the feeds show (an OutboxItem without seq, kind,
-- incident, time and event seq, which are the event's columns and the
-- feed's seq), the same for both feeds; its kind is always ITEM_UPDATE.
-- None of these is hashed: the chain covers what it covered
-- (fq_event_hash, docs/history.md), and these columns are how the server
-- delivers the event, not what happened.
ALTER TABLE events
    ADD COLUMN town text,
    ADD COLUMN town_seq bigint,
    ADD COLUMN district text,
    ADD COLUMN district_seq bigint,
    ADD COLUMN feed_item bytea;

CREATE INDEX events_town_feed ON events (town, town_seq) WHERE town IS NOT NULL;
CREATE INDEX events_district_feed ON events (district, district_seq) WHERE district IS NOT NULL;

-- The existing feed items move onto the events they report, with their seq
-- numbers, so a platform's cursor (after_seq) stays valid across the
-- upgrade. Items written before 0024 do not name their event (event_seq
-- NULL): they stay in the outbox, where the feed's read finds them beside
-- the events (sql/read_outbox.sql), below every seq that moved. So does a
-- district item whose body is not the town item's (one body per event),
-- and any item of a unit that no longer exists.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER events_no_update', part);
    END LOOP;
END $$;

CREATE TEMPORARY TABLE feed_moves ON COMMIT DROP AS
SELECT o.box, o.seq, o.event_seq, o.body, u.id AS unit, u.kind AS unit_kind
  FROM outbox o JOIN org_units u ON u.id = substr(o.box, 3)
 WHERE o.box LIKE 'u:%' AND o.event_seq IS NOT NULL AND o.kind = 2
   AND u.kind IN ('town', 'district');

UPDATE events e SET town = m.unit, town_seq = m.seq, feed_item = m.body
  FROM feed_moves m
 WHERE m.unit_kind = 'town' AND e.seq = m.event_seq;

UPDATE events e SET district = m.unit, district_seq = m.seq,
                    feed_item = coalesce(e.feed_item, m.body)
  FROM feed_moves m
 WHERE m.unit_kind = 'district' AND e.seq = m.event_seq
   AND (e.feed_item IS NULL OR e.feed_item = m.body);

DELETE FROM outbox o USING events e
 WHERE o.box LIKE 'u:%' AND o.event_seq = e.seq
   AND ((e.town = substr(o.box, 3) AND e.town_seq = o.seq)
        OR (e.district = substr(o.box, 3) AND e.district_seq = o.seq));

DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
        EXECUTE format('ALTER TABLE %s ENABLE TRIGGER events_no_update', part);
    END LOOP;
END $$;

-- A month of events detached to be archived (fengqiao-admin partitions
-- detach, docs/history.md) takes its feed items with it; the last seq of
-- each feed it held is kept here, so that numbering goes on without reuse
-- (a feed whose every event was archived would otherwise start again at 1).
CREATE TABLE feed_archive_heads (
    partition  text NOT NULL,
    box        text NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (partition, box)
);

-- The last seq of every feed, by a skip scan of each feed index (one probe
-- per town and per district, however many events each holds), or as an
-- archived month left it: where the server plans the next item of each from
-- (with fq_outbox_heads, which still names a feed whose only items are from
-- before 0024; the server takes the larger).
CREATE FUNCTION fq_feed_heads() RETURNS TABLE (box text, seq bigint)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE t (unit) AS (
        (SELECT e.town FROM events e WHERE e.town IS NOT NULL ORDER BY e.town LIMIT 1)
        UNION ALL
        SELECT (SELECT e.town FROM events e WHERE e.town > t.unit ORDER BY e.town LIMIT 1)
        FROM t WHERE t.unit IS NOT NULL),
    d (unit) AS (
        (SELECT e.district FROM events e WHERE e.district IS NOT NULL ORDER BY e.district LIMIT 1)
        UNION ALL
        SELECT (SELECT e.district FROM events e WHERE e.district > d.unit
                 ORDER BY e.district LIMIT 1)
        FROM d WHERE d.unit IS NOT NULL)
    SELECT 'u:' || t.unit, (SELECT e.town_seq FROM events e WHERE e.town = t.unit
                             ORDER BY e.town_seq DESC LIMIT 1)
      FROM t WHERE t.unit IS NOT NULL
    UNION ALL
    SELECT 'u:' || d.unit, (SELECT e.district_seq FROM events e WHERE e.district = d.unit
                             ORDER BY e.district_seq DESC LIMIT 1)
      FROM d WHERE d.unit IS NOT NULL
    UNION ALL
    SELECT a.box, max(a.seq) FROM feed_archive_heads a GROUP BY a.box
$$;

-- Every feed item as a row, the way the outbox shows a box's: for people
-- and tools (fengqiao-admin outbox list, tests), not for the server's reads,
-- which use the feed indexes (sql/read_outbox.sql).
CREATE VIEW feed_items AS
SELECT 'u:' || town AS box, town_seq AS seq, 2::smallint AS kind, incident_id, at,
       feed_item AS body, seq AS event_seq
  FROM events WHERE town IS NOT NULL
UNION ALL
SELECT 'u:' || district, district_seq, 2::smallint, incident_id, at, feed_item, seq
  FROM events WHERE district IS NOT NULL
UNION ALL
SELECT box, seq, kind, incident_id, at, body, event_seq FROM outbox WHERE box LIKE 'u:%';
