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
-- the event (migration 0026), metadata only, one line each ("id
-- content-type size width height sha256-hex name") or NULL.
SELECT {{FQ_SQL_CONSOLE_COLUMNS}},
       CASE WHEN $3::bigint = 0 AND (e.seq IS NULL OR e.seq = min(e.seq) OVER ())
            THEN i.description ELSE '' END,
       e.seq, e.kind, coalesce(e.actor_node, ''), e.at, e.reason,
       coalesce((SELECT {{FQ_SQL_NODE_NAME}}
                   FROM nodes n LEFT JOIN web_accounts a ON a.node_id = n.id
                   LEFT JOIN workers w ON w.id = n.serves_worker
                  WHERE n.id = e.actor_node), ''),
       i.lon, i.lat, coalesce(e.reason_code, ''),
       (SELECT string_agg(concat_ws(' ', a.id, a.content_type, a.size, a.width, a.height,
                                    encode(a.sha256, 'hex'), a.name), E'\n' ORDER BY a.id)
          FROM attachments a WHERE a.incident_id = i.id AND a.event_seq = e.seq)
  FROM incidents i LEFT JOIN events e ON e.incident_id = i.id AND e.seq > $3::bigint
 WHERE i.id = $2::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $1)
 ORDER BY e.seq LIMIT $4::bigint
