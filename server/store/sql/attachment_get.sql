-- One attachment's bytes for GET /api/v1/attachments/ID (web/attachments.c)
-- if the asker may see it: $1 its id; $2 a console account's jurisdiction
-- (the incident's place within it, as the console reads an incident), or $3 a
-- worker account's box (an item of the incident in it); '' for the one that
-- does not apply. Content type, sha256 (hex), bytes. No row: no such
-- attachment, or not the asker's. Bound by attachment_bind
-- (web/attachments.c), binary results (the bytes as stored, not escaped),
-- which read_done reads.
SELECT x.content_type, encode(x.sha256, 'hex'), x.bytes FROM attachments x JOIN incidents i ON i.id
= x.incident_id WHERE x.id = $1::bigint AND (($2 <> '' AND fq_unit_within(coalesce(i.territory,
i.place_unit), $2)) OR ($3 <> '' AND EXISTS (SELECT 1 FROM outbox o WHERE o.box = $3 AND
o.incident_id = i.id)))
