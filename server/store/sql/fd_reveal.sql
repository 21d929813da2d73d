-- A person's full data, on the writes store, with its audit row in the same
-- statement: $1 party id, $2 the asker's jurisdiction (the case's place
-- within it), $3 account, $4 role, $5 remote. Out: party id, incident id,
-- sealed name, phone, id number (bytea; NULL: none), masked name, phone, id
-- number, matter. No row: no such person, or not the asker's — and no audit
-- row either.
WITH p AS (SELECT cp.* FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id WHERE cp.id =
$1::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $2)), a AS (INSERT INTO
person_reveals (party_id, account, role, remote) SELECT id, $3, $4, $5 FROM p) SELECT id,
incident_id, name_sealed, phone_sealed, id_sealed, name_masked, phone_masked, id_masked, matter FROM
p
