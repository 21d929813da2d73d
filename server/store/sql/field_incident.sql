-- One incident the account holds or held (bound by fq_field_incident_bind,
-- field_reads.h: $1 its box, $2 the unit it serves or '', $3 the incident):
-- the assignment's fields and more, the description, the reporter (the
-- citizen's phone masked: 138****5678), the territory's ring ([lat, lng] as
-- in the topology), the supervision order waiting for its reply (null: none)
-- and the timeline with each event's photos. A reason fengqiaod wrote itself
-- (rule numbers, limits) is left out, as in the terminals' items: its
-- reason_code says why. No row: not the account's. One row, one column: the
-- document.
SELECT json_build_object('incident', {{FQ_SQL_FIELD_ASSIGNMENT}}::jsonb ||
jsonb_build_object('tier', {{FQ_SQL_TIER_NAME(i.tier)}}, 'line', {{FQ_SQL_LINE_NAME(i.line)}},
'lead_unit',
coalesce(i.lead_unit, ''), 'lead_unit_name', coalesce((SELECT h.name FROM handlers h WHERE h.id =
i.lead_unit), ''), 'worker', coalesce(i.worker, ''), 'worker_name', coalesce((SELECT w.name FROM
workers w WHERE w.id = i.worker), ''), 'co_units', to_jsonb(i.co_units), 'reporter_node',
i.reporter_node, 'reporter_node_name', {{FQ_SQL_FIELD_NAMED_NODE(i.reporter_node)}},
'reporter_name', i.reporter_name, 'reporter_phone', CASE WHEN i.reporter_phone = '' THEN '' WHEN
length(i.reporter_phone) >= 8 THEN left(i.reporter_phone, 3) || '****' || right(i.reporter_phone, 4)
ELSE '****' END, 'external_ref', i.external_ref, 'suspend_reason', coalesce(i.suspend_reason, ''),
'result', i.result), 'description', i.description, 'ring', coalesce((SELECT
json_agg(json_build_array(p.ring[2 * k], p.ring[2 * k - 1]) ORDER BY k) FROM grid_polygons p,
generate_series(1, array_length(p.ring, 1) / 2) k WHERE p.grid = i.territory), '[]'), 'supervision',
CASE WHEN i.supervision_due IS NOT NULL THEN (SELECT json_build_object( 'due_ms',
{{FQ_SQL_FIELD_MS(i.supervision_due)}}, 'at_ms', {{FQ_SQL_FIELD_MS(e.at)}}, 'note', e.reason,
'actor_name', {{FQ_SQL_FIELD_NAMED_NODE(e.actor_node)}}) FROM events e WHERE e.incident_id = i.id
AND e.kind = 'supervision_ordered' ORDER BY e.seq DESC LIMIT 1) END, 'timeline', coalesce((SELECT
json_agg(json_build_object('seq', e.seq, 'kind', e.kind, 'actor', coalesce(e.actor_node, ''),
'at_ms', {{FQ_SQL_FIELD_MS(e.at)}}, 'reason', CASE WHEN e.actor_node IS NULL THEN '' ELSE e.reason
END, 'reason_code', e.reason_code, 'actor_name', {{FQ_SQL_FIELD_NAMED_NODE(e.actor_node)}},
'attachments', {{FQ_SQL_FIELD_ATTACHMENTS(e.seq)}}) ORDER BY e.seq) FROM events e WHERE
e.incident_id = i.id), '[]'))::text FROM incidents i LEFT JOIN categories c ON c.code = i.category
LEFT JOIN org_units u ON u.id = i.territory WHERE i.id = $3::bigint AND EXISTS (SELECT 1 FROM outbox
o WHERE o.box = $1 AND o.incident_id = i.id)
