-- The deliveries of the incidents matched, one per target, and the mark moved
-- past every incident read, in one statement (one transaction): $1 incident
-- ids (bigint[]), $2 the rule of each (text[]), $3 the targets (text[]), $4
-- the new mark. One row: deliveries made.
WITH d AS (INSERT INTO upward_deliveries (incident_id, target, rule) SELECT x.i, t.t, x.r FROM
unnest($1::bigint[], $2::text[]) AS x (i, r), unnest($3::text[]) AS t (t) ON CONFLICT (incident_id,
target) DO NOTHING RETURNING 1) UPDATE upward_scan SET last_incident = greatest(last_incident,
$4::bigint) RETURNING (SELECT count(*) FROM d)
