-- The person masked ($1 party id, $2 jurisdiction), on the reads store: one
-- json row; none when not the asker's.
SELECT json_build_object('id', cp.id, 'incident_id', cp.incident_id, 'name', cp.name_masked,
'phone', cp.phone_masked, 'id_number', cp.id_masked, 'matter', cp.matter, 'registered_by',
coalesce((SELECT a.display_name FROM web_accounts a WHERE a.account = cp.registered_by),
cp.registered_by), 'registered_at_ms', (extract(epoch FROM cp.registered_at) * 1000)::bigint,
'reveals', (SELECT count(*) FROM person_reveals r WHERE r.party_id = cp.id), 'masked', true)::text
FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id WHERE cp.id = $1::bigint AND
fq_unit_within(coalesce(i.territory, i.place_unit), $2)
