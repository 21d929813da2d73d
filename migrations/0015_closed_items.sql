-- 0015 closed items: an outbox item may say that its incident is closed —
-- ITEM_CLOSED (6, fengqiao.proto): concluded (by a terminal of the holder or
-- by an operator) or merged. Every holder gets it, the acting terminal's own
-- box included, so that all terminals of a worker follow the incident's state.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind BETWEEN 1 AND 6);
