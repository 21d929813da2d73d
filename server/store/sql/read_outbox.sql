-- What a box holds after a sequence number, with the incident's details.
-- $1 box, $2 after seq, $3 at most this many: bound by fq_read_outbox_bind
-- (outbox_rows.h), the one place. Rows: the box's last seq, then (NULL when
-- nothing is newer) seq, kind, incident, at ms, body, category, severity,
-- title, address, territory, lon, lat, the event's seq (0: an item from
-- before 0024), external ref, reporting node and its name
-- (FQ_SQL_NODE_NAME). fq_outbox_row_item (outbox_rows.h) reads them.
--
-- A follow feed ('u:<town>', 'u:<district>') is read from the events that
-- carry it (migration 0032: their feed_item, numbered by town_seq or
-- district_seq, always an ITEM_UPDATE), after the items from before 0024
-- that stayed in the outbox (lower seqs); the other boxes from the outbox.
-- Each part is an index range scan (outbox's primary key, the events' feed
-- indexes) that stops at $3 rows.
SELECT m.last, o.seq, o.kind, o.incident_id, o.at_ms, o.body, o.category, o.severity,
       o.title, o.address, o.territory, o.lon, o.lat, o.event_seq, o.external_ref,
       o.reporter_node, o.reporter_name
  FROM (SELECT greatest(
            (SELECT max(seq) FROM outbox WHERE box = $1),
            (SELECT max(town_seq) FROM events
              WHERE left($1, 2) = 'u:' AND town = substr($1, 3)),
            (SELECT max(district_seq) FROM events
              WHERE left($1, 2) = 'u:' AND district = substr($1, 3)),
            0) AS last) m
  LEFT JOIN LATERAL (
    SELECT b.seq, b.kind, b.incident_id,
           (date_part('epoch', b.at) * 1000)::bigint AS at_ms, b.body, i.category, i.severity,
           i.title, i.address, coalesce(i.territory, '') AS territory, i.lon, i.lat,
           coalesce(b.event_seq, 0) AS event_seq, i.external_ref, i.reporter_node,
           coalesce((SELECT {{FQ_SQL_NODE_NAME}}
                       FROM nodes n LEFT JOIN web_accounts a ON a.node_id = n.id
                       LEFT JOIN workers w ON w.id = n.serves_worker
                      WHERE n.id = i.reporter_node), '') AS reporter_name
      FROM ((SELECT x.seq, x.kind, x.incident_id, x.at, x.body, x.event_seq
               FROM outbox x WHERE x.box = $1 AND x.seq > $2 ORDER BY x.seq LIMIT $3)
            UNION ALL
            (SELECT e.town_seq, 2::smallint, e.incident_id, e.at, e.feed_item, e.seq
               FROM events e
              WHERE left($1, 2) = 'u:' AND e.town = substr($1, 3) AND e.town_seq > $2
              ORDER BY e.town_seq LIMIT $3)
            UNION ALL
            (SELECT e.district_seq, 2::smallint, e.incident_id, e.at, e.feed_item, e.seq
               FROM events e
              WHERE left($1, 2) = 'u:' AND e.district = substr($1, 3) AND e.district_seq > $2
              ORDER BY e.district_seq LIMIT $3)) b
      JOIN incidents i ON i.id = b.incident_id
     ORDER BY b.seq LIMIT $3) o ON true
 ORDER BY o.seq
