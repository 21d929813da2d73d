-- One event of the server's own about an incident (deadline warnings, a
-- breach at the district tier), applied once by its nonce, with the
-- breached limits it records on the incident and the end of a supervision
-- order that passed. Parameters: write_params.h fq_event_params. One row:
-- the outbox seqs written.
WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($5::bigint) ON CONFLICT DO NOTHING
RETURNING nonce),
b AS (UPDATE incidents SET breached = breached | $4::smallint,
supervision_due = CASE WHEN $9::boolean THEN NULL ELSE supervision_due END
WHERE id = $1::bigint AND ($4::smallint <> 0 OR $9) AND EXISTS (SELECT 1 FROM g)),
ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT $1, $2, NULL, $16::timestamptz, $3, coalesce($10, ''),
{{FQ_SQL_PLANNED($13, $14, $15, 1)}},{{FQ_SQL_FEED($18, $19, $20, $21, $22)}}
FROM g RETURNING incident_id AS id, seq, {{FQ_SQL_FEED_RETURNING}}),
{{FQ_SQL_OUTBOX_CTE(ev, ev.seq, $6, $7, $8, $17)}}
SELECT {{FQ_SQL_OUTBOX_SEQS(ev)}}
WHERE fq_as_planned($11::boolean, (SELECT count(*) FROM ev), 1)
