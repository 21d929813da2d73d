-- 0008 meeting statistics: the figures the district brings to its weekly
-- and monthly meetings, computed from the event history, as SQL so that
-- reporting tools read them directly (docs/statistics.md), everywhere or
-- inside one operator's jurisdiction (docs/console.md).
--
-- A case is an incident that was dispatched or found no handler: reports
-- merged into an open incident are counted with it, not as cases. A period
-- [from, to) counts the cases received in it, and what happened to them
-- before `to`: the figures of last week do not change when a case of last
-- week is concluded today.

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

-- The town an org unit lies in (NULL for the district itself).
CREATE FUNCTION fq_town_of(unit text) RETURNS text LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, kind, parent_id, depth) AS (
        SELECT id, kind, parent_id, 0 FROM org_units WHERE id = unit
        UNION ALL
        SELECT o.id, o.kind, o.parent_id, up.depth + 1
        FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 8)
    SELECT id FROM up WHERE kind = 'town' LIMIT 1
$$;

-- The facts of every case received in [from_ts, to_ts), as of to_ts, inside
-- the org unit `within` (NULL: everywhere; an operator's jurisdiction).
-- Limits passed are known from the server's own events: an escalation or a
-- breach whose reason starts with "acknowledge limit passed" or "conclude
-- limit passed" (server/dispatch.c writes exactly these).
CREATE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz, within text)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint)
LANGUAGE sql STABLE AS $$
    SELECT i.id, i.recorded_at,
           fq_town_of(coalesce(i.territory, i.place_unit)),
           i.line, i.tier, i.lead_unit, i.worker,
           f.acknowledged_at, f.concluded_at, f.ack_late, f.conclude_late,
           f.ack_late OR f.conclude_late
             OR (f.concluded_at IS NULL AND i.conclude_due IS NOT NULL AND i.conclude_due < to_ts)
             OR (f.acknowledged_at IS NULL AND f.concluded_at IS NULL
                 AND i.ack_due IS NOT NULL AND i.ack_due < to_ts),
           f.returns, f.escalations, f.redos
    FROM incidents i
    CROSS JOIN LATERAL (
        SELECT min(e.at) FILTER (WHERE e.kind = 'acknowledged') AS acknowledged_at,
               max(e.at) FILTER (WHERE e.kind = 'concluded') AS concluded_at,
               count(*) FILTER (WHERE e.kind = 'returned') AS returns,
               count(*) FILTER (WHERE e.kind = 'escalated') AS escalations,
               count(*) FILTER (WHERE e.kind = 'reopened') AS redos,
               coalesce(bool_or(e.kind IN ('escalated', 'breached')
                                AND e.reason LIKE 'acknowledge limit passed%'), false) AS ack_late,
               coalesce(bool_or(e.kind IN ('escalated', 'breached')
                                AND e.reason LIKE 'conclude limit passed%'), false) AS conclude_late
        FROM events e
        WHERE e.incident_id = i.id AND e.at < to_ts) f
    WHERE i.recorded_at >= from_ts AND i.recorded_at < to_ts
      AND i.state NOT IN ('merged', 'reported')
      AND (within IS NULL OR fq_unit_within(coalesce(i.territory, i.place_unit), within))
$$;

-- The meeting figures of [from_ts, to_ts), one row per group: by 'town',
-- 'line', 'unit' (the lead handling unit; the village unit at village tier),
-- 'worker' (village tier only) or 'district' (one row, all cases); inside
-- `within` as fq_case_facts.
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

-- Everywhere (the district-wide forms).
CREATE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fq_case_facts(from_ts, to_ts, NULL)
$$;
CREATE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text)
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

-- The same as views over everything received so far, as of now: what a
-- reporting tool reads without parameters.
CREATE VIEW case_facts AS
    SELECT * FROM fq_case_facts('-infinity', now());
CREATE VIEW meeting_stats_by_town AS
    SELECT * FROM fq_meeting_stats('-infinity', now(), 'town');
CREATE VIEW meeting_stats_by_line AS
    SELECT * FROM fq_meeting_stats('-infinity', now(), 'line');
CREATE VIEW meeting_stats_by_unit AS
    SELECT * FROM fq_meeting_stats('-infinity', now(), 'unit');
CREATE VIEW meeting_stats_by_worker AS
    SELECT * FROM fq_meeting_stats('-infinity', now(), 'worker');
