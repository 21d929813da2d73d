-- 0006 server ops: the server's own writes (escalations, warnings, breaches)
-- carry a random nonce recorded here in the same transaction, so a write
-- re-sent after a lost connection — whose first COMMIT may have landed —
-- has no second effect on the permanent history.
CREATE TABLE applied_ops (
    nonce  bigint PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now()
);

-- The nonce of the routing decision a report was stored with: a report
-- re-sent after a lost connection finds its own row by it, and knows the
-- decision it holds is the one that was written.
ALTER TABLE incidents ADD COLUMN routing_nonce bigint;
