-- Deliveries due to the targets $1 (text[]; a target no longer configured
-- waits), unacknowledged, oldest due first, at most 32, with what the
-- document says of their incident: delivery id, target, rule, attempts so
-- far, incident id, severity, category, its name, town, its name, the place's
-- name, address, title, description, lon, lat (NULL: none), occurred ms
-- (NULL), recorded ms, state, holder's name.
SELECT d.delivery_id::text, d.target, d.rule, d.attempts, i.id, i.severity, i.category,
coalesce(c.name, i.category), coalesce(t.id, ''), coalesce(t.name, ''), coalesce(p.name, ''),
i.address, i.title, i.description, i.lon, i.lat, (extract(epoch FROM i.occurred_at) * 1000)::bigint,
(extract(epoch FROM i.recorded_at) * 1000)::bigint, i.state, coalesce(w.name, h.name, '') FROM
upward_deliveries d JOIN incidents i ON i.id = d.incident_id LEFT JOIN categories c ON c.code =
i.category LEFT JOIN org_units p ON p.id = i.place_unit LEFT JOIN org_units t ON t.id =
fq_town_of(coalesce(i.territory, i.place_unit)) LEFT JOIN workers w ON w.id = i.worker LEFT JOIN
handlers h ON h.id = i.lead_unit WHERE d.acknowledged_at IS NULL AND d.next_attempt_at <= now() AND
d.target = ANY ($1::text[]) ORDER BY d.next_attempt_at LIMIT 32
