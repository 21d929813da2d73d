-- 0009 supervision and after-care: the open supervision order's deadline on
-- the incident (cleared by the holder's reply or by its breach, both events),
-- and what the command center records after the conclusion — its check on
-- the spot (核查) and the follow-up with the reporter (回访) with the
-- reporter's satisfaction.
ALTER TABLE incidents
    ADD COLUMN supervision_due timestamptz,
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN followed_up_at timestamptz,
    ADD COLUMN satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5);
