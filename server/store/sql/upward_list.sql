-- The console's list (GET /api/v1/upward/deliveries?incident=$1): the
-- incident's deliveries, if the incident is within the unit $2 (the asker's
-- jurisdiction); no row at all when it is not (or does not exist), one row of
-- NULLs when it has none. delivery id, target, rule, created, attempts, last
-- attempt, last status, last error, next attempt, acknowledged (times as
-- epoch ms).
SELECT d.delivery_id::text, d.target, d.rule, (extract(epoch FROM d.created_at) * 1000)::bigint,
d.attempts, (extract(epoch FROM d.last_attempt_at) * 1000)::bigint, d.last_status, d.last_error,
(extract(epoch FROM d.next_attempt_at) * 1000)::bigint, (extract(epoch FROM d.acknowledged_at) *
1000)::bigint FROM incidents i LEFT JOIN upward_deliveries d ON d.incident_id = i.id WHERE i.id =
$1::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $2) ORDER BY d.created_at,
d.target
