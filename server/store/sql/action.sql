-- A terminal's action on an assignment (acknowledge, return, progress,
-- extend, conclude) or a console's command, idempotent by (node, message
-- id): applied only if no earlier request used that id and the incident is
-- as the server believes (its state, the expected assignment state, the
-- expected holder). It may bring a new routing decision (a return, an
-- operator's reassignment; a resumption writes the moved limits as a new
-- decision of the same holder, whose breaches and tiers climbed stand: the
-- server does not keep `climbed` in memory), a merge into another open
-- incident (which gets a report_merged event), the supervision order's
-- deadline set or cleared, a suspension (docs/console.md "Suspension") or
-- its end, photos, and a mediation step's record (docs/mediation.md: JSON,
-- projected by migration 0028's trigger). Concluding or merging ends a
-- suspension. Parameters: write_params.h fq_action_params (the supervision
-- order's deadline $33 and the suspension's time $35 change when $45 and
-- $46 say so: a time sets, NULL clears). One row, binary: event seq (NULL if
-- not applied), the outbox items written (FQ_SQL_OUTBOX_SEQS), and the
-- earlier request's digest, state, event seq and incident (NULL if none):
-- write_params.h fq_write_event_seq, outbox_rows.h fq_prior_request_row.
WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests
WHERE node = $1 AND message_id = $2::bigint),
u AS (UPDATE incidents SET assignment = $11, state = $12,
acknowledged_at = CASE WHEN $11 = 'acknowledged' AND assignment = 'assigned' THEN now()
ELSE acknowledged_at END,
concluded_at = CASE WHEN $12 = 'concluded' THEN now() ELSE concluded_at END,
result = coalesce($13, result),
extension_asked = coalesce($14::timestamptz, extension_asked),
tier = CASE WHEN $15::boolean THEN $16::smallint ELSE tier END,
line = CASE WHEN $15 THEN $17::smallint ELSE line END,
territory = CASE WHEN $15 THEN $18 ELSE territory END,
lead_unit = CASE WHEN $15 THEN $19 ELSE lead_unit END,
worker = CASE WHEN $15 THEN $20 ELSE worker END,
co_units = CASE WHEN $15 THEN $21::text[] ELSE co_units END,
ack_due = CASE WHEN $15 THEN $22::timestamptz ELSE ack_due END,
ack_warn_at = CASE WHEN $15 THEN $23::timestamptz ELSE ack_warn_at END,
conclude_due = CASE WHEN $15 THEN $24::timestamptz ELSE conclude_due END,
conclude_warn_at = CASE WHEN $15 THEN $25::timestamptz ELSE conclude_warn_at END,
climbed = CASE WHEN $15 AND NOT $46::boolean THEN $26::smallint ELSE climbed END,
breached = CASE WHEN $15 AND NOT $46 THEN 0
WHEN $45::boolean AND $33::timestamptz IS NOT NULL THEN breached & 3
ELSE breached END,
suspended_at = CASE WHEN $12 <> 'assigned' OR ($46 AND $35::timestamptz IS NULL) THEN NULL
WHEN NOT $46 THEN suspended_at ELSE $35 END,
suspend_reason = CASE WHEN $12 <> 'assigned' OR ($46 AND $35 IS NULL) THEN NULL
WHEN NOT $46 THEN suspend_reason ELSE $36 END,
escalations = escalations + CASE WHEN $31::boolean THEN 1 ELSE 0 END,
merged_into = coalesce($32::bigint, merged_into),
supervision_due = CASE WHEN $45 THEN $33 ELSE supervision_due END
WHERE id = $4::bigint AND state = coalesce($34, 'assigned') AND assignment = $8
AND coalesce(worker, '') = $9
AND coalesce(lead_unit, '') = $10 AND NOT EXISTS (SELECT 1 FROM prior)
AND (NOT $46::boolean OR (suspended_at IS NULL) = ($35::timestamptz IS NOT NULL)) RETURNING id),
ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,
reason_code,
{{FQ_SQL_PLANNED_COLUMNS}}, {{FQ_SQL_FEED_COLUMNS}})
SELECT id, $5, $1, $52::timestamptz, $6, $7, coalesce($37, ''),
{{FQ_SQL_PLANNED($49, $50, $51, 1)}},{{FQ_SQL_FEED($54, $55, $56, $57, $58)}}
FROM u RETURNING incident_id AS id, seq, {{FQ_SQL_FEED_RETURNING}}),
{{FQ_SQL_ACTION_ATTACHMENTS}}
tr AS (INSERT INTO terminal_requests (node, message_id, digest, incident_id, state,
event_seq) SELECT $1, $2, $3, id, $30, seq FROM ev),
md AS (INSERT INTO mediation_steps (incident_id, event_seq, kind, actor_node, record)
SELECT id, seq, $5, $1, $44::jsonb FROM ev WHERE $44::jsonb IS NOT NULL),
mg AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code,
{{FQ_SQL_PLANNED_COLUMNS}})
SELECT $32, 'report_merged', $1, $52::timestamptz, 'incident ' || id
|| ' merged into it',
coalesce($37, ''),{{FQ_SQL_PLANNED($49, $50, $51, 2)}} FROM ev
WHERE $32::bigint IS NOT NULL),
{{FQ_SQL_OUTBOX_CTE(ev, ev.seq, $27, $28, $29, $53)}}
SELECT (SELECT seq FROM ev), {{FQ_SQL_OUTBOX_SEQS(ev)}}, p.digest, p.state, p.event_seq,
p.incident_id FROM (SELECT 1) one LEFT JOIN prior p ON true
WHERE fq_as_planned($47::boolean, (SELECT count(*) FROM ev), 1)
