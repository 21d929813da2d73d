-- The incidents recorded after the mark, oldest first, at most 500: id,
-- severity, category, title, description, merged (bool: a duplicate merged
-- into another is not reported; its lead is).
SELECT i.id, i.severity, i.category, i.title, i.description, i.merged_into IS NOT NULL FROM
incidents i, upward_scan s WHERE i.id > s.last_incident ORDER BY i.id LIMIT 500
