-- 0009 console: what the district command console reads — cases inside an
-- operator's jurisdiction (a town operator sees only its town) — and the
-- extension a handler asked for, kept on the incident.

-- Is `unit` the org unit `ancestor` or inside it?
CREATE FUNCTION fq_unit_within(unit text, ancestor text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM org_units WHERE id = unit
        UNION ALL
        SELECT o.id, o.parent_id, up.depth + 1
        FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 8)
    SELECT EXISTS (SELECT 1 FROM up WHERE id = ancestor)
$$;

-- The case facts and meeting figures of 0008, limited to the cases inside
-- `within` (NULL: all); the district-wide form of 0008 now reads these.
CREATE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz, within text)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint)
LANGUAGE sql STABLE AS $$
    SELECT f.* FROM fq_case_facts(from_ts, to_ts) f
    JOIN incidents i ON i.id = f.id
    WHERE within IS NULL OR fq_unit_within(coalesce(i.territory, i.place_unit), within)
$$;

CREATE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text, within text)
RETURNS TABLE (
    grp text, received bigint, acknowledged bigint, acknowledged_on_time bigint,
    concluded bigint, concluded_on_time bigint, overdue bigint, returned bigint,
    redone bigint, escalated bigint, village_share numeric,
    ack_mean_s numeric, ack_p90_s numeric, conclude_mean_s numeric, conclude_p90_s numeric,
    pending_over_1d bigint, pending_over_3d bigint, pending_over_7d bigint,
    pending_over_30d bigint)
LANGUAGE sql STABLE AS $$
    WITH f AS (
        SELECT c.*,
               CASE by WHEN 'town' THEN coalesce(c.town, '(district)')
                       WHEN 'line' THEN coalesce((ARRAY['governance', 'market', 'enforcement',
                                                        'services'])[c.line + 1], '(none)')
                       WHEN 'unit' THEN coalesce(c.unit, '(none)')
                       WHEN 'worker' THEN c.worker
                       ELSE 'district' END AS g,
               extract(epoch FROM c.acknowledged_at - c.received_at) AS ack_s,
               extract(epoch FROM c.concluded_at - c.received_at) AS conclude_s,
               extract(epoch FROM to_ts - c.received_at) AS age_s
        FROM fq_case_facts(from_ts, to_ts, within) c)
    SELECT g,
           count(*),
           count(acknowledged_at),
           count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT ack_late),
           count(concluded_at),
           count(*) FILTER (WHERE concluded_at IS NOT NULL AND NOT conclude_late),
           count(*) FILTER (WHERE overdue),
           count(*) FILTER (WHERE returns > 0),
           count(*) FILTER (WHERE redos > 0),
           count(*) FILTER (WHERE escalations > 0),
           round(count(*) FILTER (WHERE concluded_at IS NOT NULL AND tier = 1)::numeric
                 / nullif(count(concluded_at), 0), 4),
           round(avg(ack_s)::numeric, 1),
           round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ack_s)::numeric, 1),
           round(avg(conclude_s)::numeric, 1),
           round(percentile_cont(0.9) WITHIN GROUP (ORDER BY conclude_s)::numeric, 1),
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 86400),
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 3 * 86400),
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 7 * 86400),
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 30 * 86400)
    FROM f
    WHERE g IS NOT NULL
    GROUP BY g
    ORDER BY g
$$;

-- The three-argument form of 0008 is the district-wide one.
CREATE OR REPLACE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text)
RETURNS TABLE (
    grp text, received bigint, acknowledged bigint, acknowledged_on_time bigint,
    concluded bigint, concluded_on_time bigint, overdue bigint, returned bigint,
    redone bigint, escalated bigint, village_share numeric,
    ack_mean_s numeric, ack_p90_s numeric, conclude_mean_s numeric, conclude_p90_s numeric,
    pending_over_1d bigint, pending_over_3d bigint, pending_over_7d bigint,
    pending_over_30d bigint)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fq_meeting_stats(from_ts, to_ts, by, NULL)
$$;

