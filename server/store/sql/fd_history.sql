-- The same person's or phone's cases (重复信访), on the reads store: $1
-- jurisdiction, $2 phone hash, $3 id number hash, $4 name hash (hex; '' when
-- not asked), $5 days back. Open cases and those registered within the days,
-- newest first, at most 50, masked: one json array.
SELECT coalesce(json_agg(x ORDER BY x.recorded_at_ms DESC), '[]')::text FROM (SELECT cp.id AS
party_id, cp.incident_id, i.title, i.state, cp.matter, cp.name_masked AS name, cp.phone_masked AS
phone, cp.id_masked AS id_number, coalesce((SELECT c.name FROM categories c WHERE c.code =
i.category), i.category) AS category_name, coalesce((SELECT u.name FROM org_units u WHERE u.id =
i.territory), '') AS territory_name, (extract(epoch FROM i.recorded_at) * 1000)::bigint AS
recorded_at_ms, i.state IN ('reported', 'assigned') AS open, array_remove(ARRAY[CASE WHEN $2 <> ''
AND cp.phone_hash = decode($2, 'hex') THEN 'phone' END, CASE WHEN $3 <> '' AND cp.id_hash =
decode($3, 'hex') THEN 'id_number' END, CASE WHEN $4 <> '' AND cp.name_hash = decode($4, 'hex') THEN
'name' END], NULL) AS matched FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id WHERE
(($2 <> '' AND cp.phone_hash = decode($2, 'hex')) OR ($3 <> '' AND cp.id_hash = decode($3, 'hex'))
OR ($4 <> '' AND cp.name_hash = decode($4, 'hex'))) AND fq_unit_within(coalesce(i.territory,
i.place_unit), $1) AND (i.state IN ('reported', 'assigned') OR i.recorded_at > now() - $5::int *
interval '1 day') ORDER BY i.recorded_at DESC LIMIT 50) x
