-- The reports of a batch that are stored already (resends), looked up for
-- the whole batch before it is planned (docs/write-path.md, "Resends in a
-- batch"). $1 the reporting nodes (text[]), $2 their message ids (int8[]),
-- both binary, bound by fq_stored_reports_bind (stored_reports.h). One row,
-- in binary, per pair that is stored: its 1-based position in the arrays,
-- then what FQ_SQL_INSERT_REPORT answers a resend: incident, recorded_at,
-- the reported event's seq, the body's digest, the routing outcome as first
-- decided, the decision's nonce.
-- Driven by the pairs, whatever the tables' sizes and the plan cached when
-- they were small: each pair is one probe of the unique (reporter_node,
-- message_id) (LIMIT keeps the lateral subquery from being flattened into a
-- join the planner could turn into a scan), and only a stored one reads its
-- events, by incident. A batch of new reports reads one index page a pair.
SELECT k.o, i.id, i.recorded_at,
       (SELECT e.seq FROM events e WHERE e.incident_id = i.id AND e.kind = 'reported'
         ORDER BY e.seq LIMIT 1),
       i.body_digest,
       (SELECT r.payload FROM events r WHERE r.incident_id = i.id
         AND r.kind IN ('assigned', 'merged', 'unroutable') ORDER BY r.seq LIMIT 1),
       i.routing_nonce
  FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k (node, mid, o)
  CROSS JOIN LATERAL (SELECT id, recorded_at, body_digest, routing_nonce FROM incidents
                       WHERE reporter_node = k.node AND message_id = k.mid LIMIT 1) AS i
