-- A re-decision of an open incident (escalation, re-routing): the
-- incident's routing columns and one event, applied once by its nonce
-- (applied_ops: a re-sent write has no second effect). The new holder
-- starts from 'assigned', with no limit breached (breaches are recorded per
-- holder: the new one's limits may fire). Parameters: write_params.h
-- fq_reroute_params. One row: the outbox seqs written.
WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($16::bigint) ON CONFLICT DO NOTHING
RETURNING nonce),
u AS (UPDATE incidents SET tier = $2::smallint, line = $3::smallint, territory = $4,
lead_unit = $5, worker = $6, co_units = $7, ack_due = $8::timestamptz,
ack_warn_at = $9::timestamptz, conclude_due = $10::timestamptz,
conclude_warn_at = $11::timestamptz, climbed = $12::smallint,
escalations = escalations + 1, assignment = 'assigned', acknowledged_at = NULL,
breached = 0, extension_asked = NULL WHERE id = $1::bigint AND state = 'assigned'
AND EXISTS (SELECT 1 FROM g) RETURNING id),
ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,
reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT id, $13, NULL, $26::timestamptz, $14, $15, coalesce($20, ''),
{{FQ_SQL_PLANNED($23, $24, $25, 1)}},{{FQ_SQL_FEED($28, $29, $30, $31, $32)}}
FROM u RETURNING incident_id AS id, seq, {{FQ_SQL_FEED_RETURNING}}),
{{FQ_SQL_OUTBOX_CTE(ev, ev.seq, $17, $18, $19, $27)}}
SELECT {{FQ_SQL_OUTBOX_SEQS(ev)}}
WHERE fq_as_planned($21::boolean, (SELECT count(*) FROM ev), 1)
