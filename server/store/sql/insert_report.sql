-- Stores one report, its "reported" event and its routing decision with the
-- routing event ("assigned", "merged" or "unroutable"; a merge also leaves a
-- "report_merged" event on the incident it joined), the outbox items the
-- routing event leaves and the photos reported with it, or finds the
-- incident an earlier request with the same (node, message id) created.
-- One row out: incident id, created (bool), recorded_at (epoch ms), event
-- seq, body digest of the stored incident (to tell a true resend from a
-- reused id), the routing outcome (RoutingOutcome bytes) of the stored
-- incident, the decision's nonce it holds (a retry recognises its own
-- earlier commit by it) and the outbox items written (FQ_SQL_OUTBOX_SEQS,
-- a record[]; NULL for a resend). All binary: parse_report_row (store.c),
-- the items fq_write_outbox_written (write_params.h). Parameters:
-- write_params.h fq_report_params, bound by its one binder; the plan's are
-- the last FQ_STORE_PLAN_NPARAMS.
WITH new AS (
INSERT INTO incidents (id, recorded_at, reporter_node, message_id, body_digest, category,
severity, risk, channel, place_unit, lon, lat, address, title, description, occurred_at,
external_ref, reporter_name, reporter_phone, sent_at, state, tier, line, territory,
lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due, conclude_warn_at,
merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)
VALUES ($51::bigint, $55::timestamptz, $1, $2::bigint, $3, $4, $5::smallint, $6::smallint,
$7::smallint, $8, $9::float8, $10::float8, $11, $12, $13, $14::timestamptz, $15, $16, $17,
$18::timestamptz, $20, $21::smallint, $22::smallint, $23, $24, $25, $26, $27::timestamptz,
$28::timestamptz, $29::timestamptz, $30::timestamptz, $31::bigint, $32::integer,
$33::integer, $34::smallint, $35::boolean, $39::bigint)
ON CONFLICT (reporter_node, message_id) DO NOTHING
RETURNING id, recorded_at),
ev AS (INSERT INTO events (incident_id, kind, actor_node, at, payload,
{{FQ_SQL_PLANNED_COLUMNS}})
SELECT id, 'reported', $1, recorded_at, $19,{{FQ_SQL_PLANNED($52, $53, $54, 1)}}
FROM new RETURNING incident_id AS id, seq),{{FQ_SQL_REPORT_ATTACHMENTS}}
rt AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,
reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT id, $36, NULL, recorded_at, $37, $38, coalesce($43, ''),
{{FQ_SQL_PLANNED($52, $53, $54, 2)}},{{FQ_SQL_FEED($57, $58, $59, $60, $61)}}
FROM new RETURNING seq, {{FQ_SQL_FEED_RETURNING}}),
mg AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code,
{{FQ_SQL_PLANNED_COLUMNS}})
SELECT $31, 'report_merged', NULL, recorded_at, 'another report: incident ' || id,
'merged',{{FQ_SQL_PLANNED($52, $53, $54, 3)}}
FROM new WHERE $31::bigint IS NOT NULL),
{{FQ_SQL_OUTBOX_CTE(new, (SELECT seq FROM rt), $40, $41, $42, $56)}}
SELECT * FROM (SELECT new.id, true, (extract(epoch FROM new.recorded_at) * 1000)::bigint,
ev.seq, $3::bytea, $38::bytea, $39::bigint, {{FQ_SQL_OUTBOX_SEQS(rt)}} FROM new, ev
UNION ALL
SELECT i.id, false, (extract(epoch FROM i.recorded_at) * 1000)::bigint, e.seq,
i.body_digest, (SELECT r.payload FROM events r WHERE r.incident_id = i.id
AND r.kind IN ('assigned', 'merged', 'unroutable') ORDER BY r.seq LIMIT 1),
i.routing_nonce, NULL::record[]
FROM incidents i JOIN events e ON e.incident_id = i.id AND e.kind = 'reported'
WHERE i.reporter_node = $1 AND i.message_id = $2 AND NOT EXISTS (SELECT 1 FROM new)) r
WHERE fq_as_planned($50::boolean, (SELECT count(*) FROM new), 1)
