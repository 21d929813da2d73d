-- 0030 reports upward (重大情况报告, docs/upward.md): incidents of a high grade
-- or matching a configured rule are sent to the city's or province's
-- collaboration platform as a signed JSON webhook, at least once.
--
-- The deliveries are derived from the history: the server reads the
-- incidents recorded after upward_scan.last_incident, matches them against
-- its rules, and in one transaction inserts a delivery per matching incident
-- and target and moves the mark. A crash anywhere in between loses nothing:
-- the mark moves only with the deliveries it covers, and an unacknowledged
-- delivery is sent again after a restart, with the same delivery id (the
-- receiver's idempotency key). Every attempt and the acknowledgement are
-- events on the incident (reported_upward, upward_acknowledged).

-- How far the incidents have been matched. Starts at the newest incident of
-- the day the migration ran: switching reports upward on does not send the
-- district's whole past.
CREATE TABLE upward_scan (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_incident  bigint NOT NULL
);
INSERT INTO upward_scan (last_incident) SELECT coalesce(max(id), 0) FROM incidents;

CREATE TABLE upward_deliveries (
    -- Sent as the X-Fengqiao-Delivery header: the same on every attempt.
    delivery_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    incident_id      bigint NOT NULL REFERENCES incidents (id),
    target           text NOT NULL,  -- the receiver's URL
    rule             text NOT NULL,  -- why it is reported: 'grade:II', 'category:fire', 'keyword:爆炸'
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_status      integer,        -- the receiver's HTTP status (NULL: no answer)
    last_error       text NOT NULL DEFAULT '',
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,    -- the first 2xx
    UNIQUE (incident_id, target)
);
CREATE INDEX upward_deliveries_due ON upward_deliveries (next_attempt_at)
    WHERE acknowledged_at IS NULL;
