-- One attempt's outcome, with its events on the incident: the attempt
-- (reported_upward) always, the acknowledgement (upward_acknowledged) with
-- the first 2xx, after it in the chain (k reads a); applied once by its
-- nonce. Parameters: write_params.h fq_upward_attempt_params. One row,
-- binary: events written (attempts, acknowledgements; fq_upward_attempt_row).
WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($8::bigint) ON CONFLICT DO NOTHING
RETURNING nonce),
b AS (SELECT acknowledged_at IS NULL AS unacked FROM upward_deliveries
WHERE delivery_id = $1::uuid),
u AS (UPDATE upward_deliveries SET attempts = attempts + 1, last_attempt_at = now(),
last_status = $2::integer, last_error = $3,
next_attempt_at = now() + $4::bigint * interval '1 millisecond',
acknowledged_at = CASE WHEN $5::boolean THEN coalesce(acknowledged_at, now())
ELSE acknowledged_at END
WHERE delivery_id = $1::uuid AND EXISTS (SELECT 1 FROM g)
RETURNING incident_id, $5::boolean AND (SELECT unacked FROM b) AS newly),
a AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT incident_id, 'reported_upward', NULL, $15::timestamptz, $6, $7,
{{FQ_SQL_PLANNED($12, $13, $14, 1)}},{{FQ_SQL_FEED($17, $18, $19, $20, $21)}}
FROM u RETURNING incident_id),
k AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code,
{{FQ_SQL_PLANNED_COLUMNS}})
SELECT u.incident_id, 'upward_acknowledged', NULL, $15::timestamptz, $9,
'upward_acknowledged',{{FQ_SQL_PLANNED($12, $13, $14, 2)}} FROM u, a
WHERE u.newly AND cardinality($12::bigint[]) > 1 RETURNING 1)
SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM k)
WHERE fq_as_planned($10::boolean, (SELECT count(*) FROM a) + (SELECT count(*) FROM k),
cardinality($12::bigint[]))
