-- 0020 suspension (中止/挂起, docs/console.md "Suspension"): an operator stops
-- the clocks of an open incident with a reason, and starts them again later
-- with its limits moved on by the time it was suspended.
--
-- The history is in the events ('suspended', 'resumed', each with the
-- operator's reason, in the hash chain). The incident also carries the
-- current suspension as columns, written in the same statement as the event:
-- the board, the summary and the server's start (a million open incidents)
-- read it with the row instead of searching each incident's events for its
-- last suspension. The statistics, which look at a period, read the events.
ALTER TABLE incidents
    ADD COLUMN suspended_at timestamptz,  -- non-NULL: suspended since then
    ADD COLUMN suspend_reason text,       -- the operator's reason, while suspended
    ADD CONSTRAINT incidents_suspension_whole
        CHECK ((suspended_at IS NULL) = (suspend_reason IS NULL)),
    -- Only an open incident is suspended: concluding or merging one ends it.
    ADD CONSTRAINT incidents_suspension_open
        CHECK (suspended_at IS NULL OR state = 'assigned');

-- The statistics (migrations 0008, 0011) gain the suspensions; their columns
-- keep their meaning, except that `overdue` no longer counts a case whose
-- limits stood still at the end of the period (suspended then): its limits
-- have not passed. A limit that passed before (an escalation or breach on
-- record) still counts. The return types change, so the functions and the
-- views over them are made again.
DROP VIEW case_facts, meeting_stats_by_town, meeting_stats_by_line, meeting_stats_by_unit,
          meeting_stats_by_worker;
DROP FUNCTION fq_meeting_stats(timestamptz, timestamptz, text);
DROP FUNCTION fq_meeting_stats(timestamptz, timestamptz, text, text);
DROP FUNCTION fq_case_facts(timestamptz, timestamptz);
DROP FUNCTION fq_case_facts(timestamptz, timestamptz, text);

-- suspensions: times suspended before to_ts; suspended_s: seconds suspended
-- before the earlier of to_ts and now (a suspension ends at its resumption,
-- or at the conclusion or merge of the incident); suspended_now: suspended at
-- that moment.
CREATE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz, within text)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint,
    suspensions bigint, suspended_s double precision, suspended_now boolean)
LANGUAGE sql STABLE AS $$
    SELECT i.id, i.recorded_at,
           fq_town_of(coalesce(i.territory, i.place_unit)),
           i.line, i.tier, i.lead_unit, i.worker,
           f.acknowledged_at, f.concluded_at, f.ack_late, f.conclude_late,
           f.ack_late OR f.conclude_late
             OR (NOT p.suspended_now AND f.concluded_at IS NULL AND i.conclude_due IS NOT NULL
                 AND i.conclude_due < least(to_ts, now()))
             OR (NOT p.suspended_now AND f.acknowledged_at IS NULL AND f.concluded_at IS NULL
                 AND i.ack_due IS NOT NULL AND i.ack_due < least(to_ts, now())),
           f.returns, f.escalations, f.redos,
           p.suspensions, p.suspended_s, p.suspended_now
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
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE s.kind = 'suspended') AS suspensions,
               coalesce(sum(extract(epoch FROM coalesce(s.until, least(to_ts, now())) - s.at))
                        FILTER (WHERE s.kind = 'suspended'), 0)::double precision AS suspended_s,
               coalesce(bool_or(s.kind = 'suspended' AND s.until IS NULL), false) AS suspended_now
        FROM (SELECT e.kind, e.at, lead(e.at) OVER (ORDER BY e.seq) AS until
              FROM events e
              WHERE e.incident_id = i.id AND e.at < to_ts
                AND e.kind IN ('suspended', 'resumed', 'concluded', 'merged')) s) p
    WHERE i.recorded_at >= from_ts AND i.recorded_at < to_ts
      AND i.state NOT IN ('merged', 'reported')
      AND (within IS NULL OR fq_unit_within(coalesce(i.territory, i.place_unit), within))
$$;

-- New columns at the end: suspended (cases suspended at least once before
-- to_ts), suspended_now (suspended at the end of the period, or now when it
-- has not ended), suspended_mean_s (mean seconds suspended, of the cases
-- suspended).
CREATE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text, within text)
RETURNS TABLE (
    grp text, received bigint, acknowledged bigint, acknowledged_on_time bigint,
    concluded bigint, concluded_on_time bigint, overdue bigint, returned bigint,
    redone bigint, escalated bigint, village_share numeric,
    ack_mean_s numeric, ack_p90_s numeric, conclude_mean_s numeric, conclude_p90_s numeric,
    pending_over_1d bigint, pending_over_3d bigint, pending_over_7d bigint,
    pending_over_30d bigint, suspended bigint, suspended_now bigint, suspended_mean_s numeric)
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
               extract(epoch FROM least(to_ts, now()) - c.received_at) AS age_s
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
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 30 * 86400),
           count(*) FILTER (WHERE suspensions > 0),
           count(*) FILTER (WHERE suspended_now),
           round((avg(suspended_s) FILTER (WHERE suspensions > 0))::numeric, 1)
    FROM f
    WHERE g IS NOT NULL
    GROUP BY g
    ORDER BY g
$$;

-- Everywhere (the district-wide forms), and the views, as in 0008.
CREATE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint,
    suspensions bigint, suspended_s double precision, suspended_now boolean)
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
    pending_over_30d bigint, suspended bigint, suspended_now bigint, suspended_mean_s numeric)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fq_meeting_stats(from_ts, to_ts, by, NULL)
$$;

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
