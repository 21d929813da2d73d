-- The person of a case just stored, on the writes store (committed before the
-- answer): $1 incident, $2 matter, $3 masked name, $4 sealed name, $5 name
-- hash, $6 masked phone, $7 sealed phone, $8 phone hash, $9 masked id number,
-- $10 sealed id number, $11 id hash (bytea, binary; NULL: none), $12 the
-- receptionist's account. A resend finds the row the first one wrote. Out:
-- party id, FQ_SQL_FD_PLACED (json text).
WITH ins AS (INSERT INTO case_parties (incident_id, matter, name_masked, name_sealed, name_hash,
phone_masked, phone_sealed, phone_hash, id_masked, id_sealed, id_hash, registered_by) VALUES
($1::bigint, $2::smallint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (incident_id) DO
NOTHING RETURNING id, incident_id), p AS (SELECT id, incident_id FROM ins UNION ALL SELECT id,
incident_id FROM case_parties WHERE incident_id = $1::bigint LIMIT 1) SELECT p.id,
{{FQ_SQL_FD_PLACED}}::text FROM p JOIN incidents i ON i.id = p.incident_id
