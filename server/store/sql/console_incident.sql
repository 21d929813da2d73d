-- One incident inside the jurisdiction with its description and a page of
-- its timeline: one row per event (the incident's columns repeated; the
-- description on the first row of the first page only, it can be 16 KB).
-- $1 jurisdiction, $2 incident, $3 the events after this seq (0: from the
-- start), $4 at most. Bound by fq_console_incident_bind, read by
-- fq_console_summary_row and fq_console_event_row (console_rows.h; binary
-- results). After the summary's columns: the description; the event's seq
-- (NULL: no event), kind, actor node, time, reason, and the actor by name
-- (FQ_SQL_NODE_NAME; '' for fengqiaod); the report's point (lon, lat); the
-- event's reason code ('' before migration 0024); the photos stored with
-- the event (migration 0026), metadata only, as arrays in the order of their
-- ids (ids, content types, sizes, widths, heights, SHA-256s, names; NULL
-- when there are none).
SELECT {{FQ_SQL_CONSOLE_COLUMNS}},
       CASE WHEN $3::bigint = 0 AND (e.seq IS NULL OR e.seq = min(e.seq) OVER ())
            THEN i.description ELSE '' END,
       e.seq, e.kind, coalesce(e.actor_node, ''), e.at, e.reason,
       coalesce((SELECT {{FQ_SQL_NODE_NAME}}
                   FROM nodes n LEFT JOIN web_accounts a ON a.node_id = n.id
                   LEFT JOIN workers w ON w.id = n.serves_worker
                  WHERE n.id = e.actor_node), ''),
       i.lon, i.lat, coalesce(e.reason_code, ''),
       ph.ids, ph.types, ph.sizes, ph.widths, ph.heights, ph.shas, ph.names
  FROM incidents i LEFT JOIN events e ON e.incident_id = i.id AND e.seq > $3::bigint
  LEFT JOIN LATERAL (SELECT array_agg(a.id ORDER BY a.id) AS ids,
                            array_agg(a.content_type ORDER BY a.id) AS types,
                            array_agg(a.size ORDER BY a.id) AS sizes,
                            array_agg(a.width ORDER BY a.id) AS widths,
                            array_agg(a.height ORDER BY a.id) AS heights,
                            array_agg(a.sha256 ORDER BY a.id) AS shas,
                            array_agg(a.name ORDER BY a.id) AS names
                       FROM attachments a WHERE a.incident_id = i.id AND a.event_seq = e.seq) ph
         ON true
 WHERE i.id = $2::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $1)
 ORDER BY e.seq LIMIT $4::bigint
