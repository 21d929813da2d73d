-- 0007 field terminals: who a terminal serves, the state of each assignment,
-- the per-recipient outboxes and the idempotency of terminal actions.

-- A terminal serves one handler of incidents: a grid worker, or a handling
-- unit (town platform line, district department, village unit) whose duty
-- officer it is. Its outbox ("box") is that worker's or unit's.
ALTER TABLE nodes ADD COLUMN serves_worker text REFERENCES workers (id);
ALTER TABLE nodes ADD COLUMN serves_handler text REFERENCES handlers (id);
-- A terminal not bound to either cannot sync (it is told so).
ALTER TABLE nodes ADD CONSTRAINT nodes_terminal_serves CHECK (
    num_nonnulls(serves_worker, serves_handler) = 0
    OR (role = 'terminal' AND num_nonnulls(serves_worker, serves_handler) = 1));

-- The assignment's state machine (docs/terminals.md). The incident's own
-- state stays 'assigned' while it is open and becomes 'concluded' with it.
ALTER TABLE incidents
    ADD COLUMN assignment text NOT NULL DEFAULT 'assigned' CHECK (assignment IN
        ('assigned', 'acknowledged', 'extension_requested', 'concluded', 'returned')),
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN concluded_at timestamptz,
    ADD COLUMN extension_asked timestamptz,
    ADD COLUMN result text NOT NULL DEFAULT '';

-- One outbox per recipient: 'w:<worker>', 'h:<handler>' (the holders of
-- assignments) and 'u:<town>' (the follow feed of a town's platform).
-- Sequence numbers are per box, start at 1 and have no gaps: the server is
-- the only writer and draws max + 1 inside the transaction of the event that
-- caused the item, so an item exists exactly when its event does.
-- body: an OutboxItem (fengqiao.proto) without seq, kind, incident_id and
-- at_ms, which are these columns.
CREATE TABLE outbox (
    box          text NOT NULL,
    seq          bigint NOT NULL CHECK (seq > 0),
    kind         smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    at           timestamptz NOT NULL DEFAULT now(),
    body         bytea NOT NULL,
    PRIMARY KEY (box, seq)
);

-- Terminal actions are idempotent by (node, message id): a resend gets the
-- answer the first one got, and has no second effect.
CREATE TABLE terminal_requests (
    node         text NOT NULL REFERENCES nodes (id),
    message_id   bigint NOT NULL CHECK (message_id > 0),
    digest       bytea NOT NULL CHECK (length(digest) = 32),
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    state        text NOT NULL,
    event_seq    bigint NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, message_id)
);
