-- 0029 judgment: what research and judgment (研判, docs/judgment.md) reads
-- from the history. The server (web/findings.c) and `fengqiao-admin
-- judgment` read through these two functions, so both judge the same rows.

-- An incident's time for judgment is when it happened if the report said so,
-- else when it was received: a batch of old reports loaded today is judged
-- in the weeks it happened in. Read by that time, so indexed by it.
CREATE INDEX incidents_judgment_time ON incidents ((coalesce(occurred_at, recorded_at)));

-- The incidents that happened in [from_ts, to_ts), merged reports left out
-- (they are reports of another incident, not incidents), inside the org unit
-- `within` (NULL: everywhere): what judgment.h takes, with the names a
-- person reads. The town of each place is computed once per unit, not per
-- row.
--
-- A front-desk case (migration 0027) keeps its reporter's name and phone only
-- masked in the incident (王*明, 138****5678) and sealed in case_parties, with
-- keyed hashes for lookups. Judged by the masked strings, two different
-- people with the same mask would count as one repeat source. For those
-- cases this function gives keys made from the keyed hashes:
-- the phone as its first three digits, six digits of its hash and its last
-- four (13 digits: it never equals a real number, and the list masks it back
-- to 138****5678); the name as the mask, '#' and eight hex digits of its
-- hash (the list shows 王*). The same person's cases share the key; other
-- people with the same mask do not. Nothing in clear leaves case_parties.
CREATE FUNCTION fq_judgment_incidents(from_ts timestamptz, to_ts timestamptz, within text)
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

-- Long-pending cases as a worklist: the statistics' own definition
-- (pending_over_*, docs/statistics.md) — cases received in
-- [to_ts - lookback, to_ts) not concluded at to_ts and received more than
-- `days` days before it (before now, when to_ts is in the future) — oldest
-- first, with what a person needs to pick one up (the lead unit by its name:
-- a handler's, or a village unit's).
CREATE FUNCTION fq_long_pending(to_ts timestamptz, within text, days integer, lookback_days integer)
RETURNS TABLE (
    id bigint, received_ms bigint, title text, category_name text, town_name text,
    unit_name text, state text, overdue boolean, suspended_now boolean)
LANGUAGE sql STABLE AS $$
    SELECT f.id, (extract(epoch FROM f.received_at) * 1000)::bigint, i.title,
           coalesce(c.name, i.category), coalesce(t.name, ''), coalesce(h.name, u.name, f.unit, ''),
           i.state, f.overdue, f.suspended_now
    FROM fq_case_facts(to_ts - make_interval(days => lookback_days), to_ts, within) f
    JOIN incidents i ON i.id = f.id
    LEFT JOIN categories c ON c.code = i.category
    LEFT JOIN org_units t ON t.id = f.town
    LEFT JOIN handlers h ON h.id = f.unit
    LEFT JOIN org_units u ON u.id = f.unit
    WHERE f.concluded_at IS NULL
      AND f.received_at < least(to_ts, now()) - make_interval(days => days)
    ORDER BY f.received_at, f.id
$$;
