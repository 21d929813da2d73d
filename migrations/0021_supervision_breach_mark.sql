-- 0021 supervision breach mark: `breached` keeps bit 4 when a supervision
-- order (督办) passed its reply deadline unanswered. The breach ends the order
-- (supervision_due goes NULL), so without the mark the console could not say
-- which limit passed (IncidentSummary.overdue_limits, docs/console.md). A
-- new order or a new holder clears it.
ALTER TABLE incidents DROP CONSTRAINT incidents_breached_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_breached_check CHECK (breached BETWEEN 0 AND 7);
