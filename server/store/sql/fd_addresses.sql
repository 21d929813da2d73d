-- Addresses within $2 (a jurisdiction) containing $1 (as typed; LIKE's
-- characters taken literally), those starting with it first, at most 20: one
-- json array [{text, lat, lng, unit, unit_name}].
WITH q AS (SELECT replace(replace(replace($1, '\', '\\'), '%', '\%'), '_', '\_') AS p) SELECT
coalesce(json_agg(x), '[]')::text FROM (SELECT a.text, a.lat, a.lng, a.unit, u.name AS unit_name
FROM addresses a JOIN org_units u ON u.id = a.unit, q WHERE a.text LIKE '%' || q.p || '%' AND
fq_unit_within(a.unit, $2) ORDER BY a.text LIKE q.p || '%' DESC, length(a.text), a.text LIMIT 20) x
