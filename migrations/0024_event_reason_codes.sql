-- 0024 event reason codes: machines follow an incident by codes, not by
-- English sentences (docs/terminals.md, "Structured items").
--
-- Every outbox item names the event it reports by its sequence in the
-- history (OutboxItem.event_seq), so a town system can correlate its feed
-- with `fengqiao-admin timeline` and the export. The statement that writes
-- the event writes its items and takes the seq the chain trigger drew;
-- items written before this migration keep NULL (sent as 0).
ALTER TABLE outbox ADD COLUMN event_seq bigint;

-- Every event the server writes from now on carries the reason code of the
-- closed vocabulary (OutboxItem.reason_code, TimelineEvent.reason_code), so
-- consoles label the reason in their language. It is a label the server
-- derives from what the event records (its kind, actor, reason and payload,
-- which the hash chain covers); it is not hashed itself, so the chain and
-- its exports stay as they are (docs/history.md). '' for events written
-- before this migration and for reports.
ALTER TABLE events ADD COLUMN reason_code text NOT NULL DEFAULT '';
