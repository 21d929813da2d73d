-- 0031 judgment of front-desk cases: repeat sources by the person, not by
-- the mask (docs/judgment.md, "Repeat sources").
--
-- A front-desk case (migration 0027) keeps its reporter's name and phone only
-- masked in the incident (王*明, 138****5678) and sealed in case_parties, with
-- keyed hashes for lookups. Judged by the masked strings, two different
-- people with the same mask would count as one repeat source. For those
-- cases fq_judgment_incidents now gives keys made from the keyed hashes:
-- the phone as its first three digits, six digits of its hash and its last
-- four (13 digits: it never equals a real number, and the list masks it back
-- to 138****5678); the name as the mask, '#' and eight hex digits of its
-- hash (the list shows 王*). The same person's cases share the key; other
-- people with the same mask do not. Nothing in clear leaves case_parties.
CREATE OR REPLACE FUNCTION fq_judgment_incidents(from_ts timestamptz, to_ts timestamptz, within text)
RETURNS TABLE (
    id bigint, at_ms bigint, category text, town text, lon double precision,
    lat double precision, reporter_phone text, reporter_name text, address text,
    unit text, category_name text, town_name text, title text)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (unit, id, kind, parent_id, depth) AS (
        SELECT o.id, o.id, o.kind, o.parent_id, 0 FROM org_units o
        UNION ALL
        SELECT up.unit, o.id, o.kind, o.parent_id, up.depth + 1
        FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 8),
    place (unit, town, inside) AS (
        SELECT unit, min(id) FILTER (WHERE kind = 'town'), coalesce(bool_or(id = within), false)
        FROM up GROUP BY unit)
    SELECT i.id, (extract(epoch FROM coalesce(i.occurred_at, i.recorded_at)) * 1000)::bigint,
           i.category, coalesce(p.town, ''), i.lon, i.lat,
           CASE WHEN cp.phone_hash IS NULL THEN i.reporter_phone
                ELSE left(regexp_replace(cp.phone_masked, '[^0-9]', '', 'g'), 3)
                     || lpad(((('x' || left(encode(cp.phone_hash, 'hex'), 8))::bit(32)::bigint)
                              % 1000000)::text, 6, '0')
                     || right(regexp_replace(cp.phone_masked, '[^0-9]', '', 'g'), 4) END,
           CASE WHEN cp.id IS NULL THEN i.reporter_name
                ELSE cp.name_masked || '#' || left(encode(cp.name_hash, 'hex'), 8) END,
           i.address, p.unit, coalesce(c.name, i.category), coalesce(t.name, ''), i.title
    FROM incidents i
    JOIN place p ON p.unit = coalesce(i.territory, i.place_unit)
    LEFT JOIN case_parties cp ON cp.incident_id = i.id
    LEFT JOIN categories c ON c.code = i.category
    LEFT JOIN org_units t ON t.id = p.town
    WHERE coalesce(i.occurred_at, i.recorded_at) >= from_ts
      AND coalesce(i.occurred_at, i.recorded_at) < to_ts
      AND i.state <> 'merged'
      AND (within IS NULL OR p.inside)
    ORDER BY i.id
$$;
