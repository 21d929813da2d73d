-- 0024 item event seq: every outbox item names the event it reports by its
-- sequence in the history (OutboxItem.event_seq, docs/terminals.md), so a
-- town system can correlate its feed with `fengqiao-admin timeline` and the
-- export. The statement that writes the event writes its items, and takes
-- the seq the chain trigger drew; items written before this migration keep
-- NULL (sent as 0).
ALTER TABLE outbox ADD COLUMN event_seq bigint;
