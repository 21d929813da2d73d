-- What the command center records after a conclusion (verify, follow-up),
-- idempotent like an action, inside the operator's jurisdiction.
-- Parameters: write_params.h fq_aftercare_params. One row, binary: event
-- seq (NULL if not applied; fq_write_event_seq), the earlier request's
-- digest, state, event seq, incident (NULL if none; fq_prior_request_row),
-- and the incident's state inside the jurisdiction (NULL: unknown or
-- outside).
WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests
WHERE node = $1 AND message_id = $2::bigint),
u AS (UPDATE incidents SET
verified_at = CASE WHEN $5 = 'verified' THEN now() ELSE verified_at END,
followed_up_at = CASE WHEN $5 = 'followed_up' THEN now() ELSE followed_up_at END,
satisfaction = coalesce($8::smallint, satisfaction)
WHERE id = $4::bigint AND state = 'concluded'
AND fq_unit_within(coalesce(territory, place_unit), $9)
AND NOT EXISTS (SELECT 1 FROM prior) RETURNING id),
ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,
reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT id, $5, $1, $15::timestamptz, $6, $7, 'operator_choice',
{{FQ_SQL_PLANNED($12, $13, $14, 1)}},{{FQ_SQL_FEED($17, $18, $19, $20, $21)}}
FROM u RETURNING incident_id AS id, seq),
tr AS (INSERT INTO terminal_requests (node, message_id, digest, incident_id, state,
event_seq) SELECT $1, $2, $3, id, 'concluded', seq FROM ev)
SELECT (SELECT seq FROM ev), p.digest, p.state, p.event_seq, p.incident_id,
(SELECT i.state FROM incidents i WHERE i.id = $4
AND fq_unit_within(coalesce(i.territory, i.place_unit), $9))
FROM (SELECT 1) one LEFT JOIN prior p ON true
WHERE fq_as_planned($10::boolean, (SELECT count(*) FROM ev), 1)
