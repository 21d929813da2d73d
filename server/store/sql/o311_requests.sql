-- Service requests within the unit $1 (where routing placed them; its units
-- walked once, not per row): the ids $2 (comma-separated; then nothing else
-- filters), else the service codes $3 (comma-separated or NULL) recorded in
-- [$4, $5) (epoch ms) with the statuses $6 (comma-separated or NULL; closed:
-- concluded or merged); newest first, at most $7. Columns: id, status, status
-- notes, service name, service code, description, the holding unit's name (a
-- merged one's: the holder of the incident it joined), requested, updated and
-- expected times (UTC; '' when none), address, address id, lat, long. Never
-- the reporter's fields.
WITH RECURSIVE sub (id) AS (SELECT id FROM org_units WHERE id = $1 UNION ALL SELECT o.id FROM
org_units o JOIN sub ON o.parent_id = sub.id) SELECT i.id, CASE WHEN i.state IN ('concluded',
'closed', 'merged') THEN 'closed' ELSE 'open' END, CASE WHEN i.state = 'merged' THEN '已并入第' ||
i.merged_into || '号事件办理' WHEN i.state IN ('concluded', 'closed') THEN i.result WHEN i.suspended_at
IS NOT NULL THEN '中止办理：' || i.suspend_reason ELSE '' END, coalesce(c.name, i.category),
coalesce(c.open311_code, i.category), i.description, coalesce(h.name, hm.name, ''),
to_char((i.recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char((coalesce((SELECT
max(e.at) FROM events e WHERE e.incident_id = i.id), i.recorded_at)) AT TIME ZONE 'UTC',
'YYYY-MM-DD"T"HH24:MI:SS"Z"'), coalesce(to_char((i.conclude_due) AT TIME ZONE 'UTC',
'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''), i.address, coalesce(i.place_unit, i.territory, ''), i.lat, i.lon
FROM incidents i LEFT JOIN categories c ON c.code = i.category LEFT JOIN handlers h ON h.id =
i.lead_unit LEFT JOIN incidents m ON m.id = i.merged_into LEFT JOIN handlers hm ON hm.id =
m.lead_unit WHERE coalesce(i.territory, i.place_unit) IN (SELECT id FROM sub) AND ($2::text IS NULL
OR i.id = ANY (string_to_array($2, ',')::bigint[])) AND ($2::text IS NOT NULL OR (($3::text IS NULL
OR coalesce(c.open311_code, i.category) = ANY (string_to_array($3, ','))) AND i.recorded_at >=
to_timestamp($4::bigint / 1000.0) AND i.recorded_at < to_timestamp($5::bigint / 1000.0) AND
($6::text IS NULL OR CASE WHEN i.state IN ('concluded', 'closed', 'merged') THEN 'closed' ELSE
'open' END = ANY (string_to_array($6, ','))))) ORDER BY i.recorded_at DESC, i.id DESC LIMIT $7::int
