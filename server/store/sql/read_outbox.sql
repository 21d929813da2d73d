-- What a box holds after a sequence number, with the incident's details.
-- $1 box, $2 after seq, $3 at most this many: bound by fq_read_outbox_bind
-- (outbox_rows.h), the one place. Rows: the box's last seq, then (NULL when
-- nothing is newer) seq, kind, incident, at ms, body, category, severity,
-- title, address, territory, lon, lat, the event's seq (0: an item from
-- before 0024), external ref, reporting node and its name
-- (FQ_SQL_NODE_NAME). fq_outbox_row_item (outbox_rows.h) reads them.
SELECT m.last, o.seq, o.kind, o.incident_id, o.at_ms, o.body, o.category, o.severity,
       o.title, o.address, o.territory, o.lon, o.lat, o.event_seq, o.external_ref,
       o.reporter_node, o.reporter_name
  FROM (SELECT coalesce(max(seq), 0) AS last FROM outbox WHERE box = $1) m
  LEFT JOIN LATERAL (
    SELECT b.seq, b.kind, b.incident_id,
           (date_part('epoch', b.at) * 1000)::bigint AS at_ms, b.body, i.category, i.severity,
           i.title, i.address, coalesce(i.territory, '') AS territory, i.lon, i.lat,
           coalesce(b.event_seq, 0) AS event_seq, i.external_ref, i.reporter_node,
           coalesce((SELECT {{FQ_SQL_NODE_NAME}}
                       FROM nodes n LEFT JOIN web_accounts a ON a.node_id = n.id
                       LEFT JOIN workers w ON w.id = n.serves_worker
                      WHERE n.id = i.reporter_node), '') AS reporter_name
      FROM outbox b JOIN incidents i ON i.id = b.incident_id
     WHERE b.box = $1 AND b.seq > $2 ORDER BY b.seq LIMIT $3) o ON true
 ORDER BY o.seq
