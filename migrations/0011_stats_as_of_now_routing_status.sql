-- 0011 (1) statistics of a period that ends in the future: a case can only be
-- overdue, or pending for so long, at a moment that has come. 0008 judged
-- both at the end of the period, so `fengqiao-admin stats --to` a future
-- date counted every open case whose limit falls before that date as
-- overdue, and aged open cases up to it. Both are now judged at
-- least(to_ts, now()): unchanged for a period in the past, the state of
-- today for one that has not ended yet. Events after to_ts still do not
-- count (there are none after now()).

CREATE OR REPLACE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz, within text)
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
             OR (f.concluded_at IS NULL AND i.conclude_due IS NOT NULL
                 AND i.conclude_due < least(to_ts, now()))
             OR (f.acknowledged_at IS NULL AND f.concluded_at IS NULL
                 AND i.ack_due IS NOT NULL AND i.ack_due < least(to_ts, now())),
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

-- The pending ages (pending_over_*) likewise: an open case is as old as it
-- is today, not as it will be at a future to_ts.
CREATE OR REPLACE FUNCTION fq_meeting_stats(from_ts timestamptz, to_ts timestamptz, by text,
                                            within text)
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
           count(*) FILTER (WHERE concluded_at IS NULL AND age_s > 30 * 86400)
    FROM f
    WHERE g IS NOT NULL
    GROUP BY g
    ORDER BY g
$$;

-- 0011 (2) the server's routing state: whether its last load of the directory and
-- routing (at start, and on every fengqiao_directory notification) worked.
-- One row, written by fengqiaod after each load; a failed reload is no
-- longer only a log line. serving: 'current' (the last load is in use),
-- 'previous' (it failed; the last good state routes on) or 'none' (nothing
-- has loaded: reports are answered busy). docs/operations.md.
CREATE TABLE routing_status (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    ok         boolean NOT NULL,
    serving    text NOT NULL CHECK (serving IN ('current', 'previous', 'none')),
    error      text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,  -- of the last load, good or not
    loaded_at  timestamptz            -- of the last load that worked
);
