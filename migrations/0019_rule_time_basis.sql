-- 0019 rule time basis: each rule's limits count natural time or working
-- time on the district's calendar (docs/routing.md, docs/calendar.md).
--
-- The limits stay in seconds in ack_s, ack_warn_s, conclude_s and
-- conclude_warn_s whatever the basis. Under 'working' a value written in
-- whole days in the topology file ("5d") is stored as N x 86400 and read as N
-- working days (the start day not counted, due at the close of the N-th
-- working day; a warning of N days is N working days' working time); any
-- other value (written in h/m/s) is working time: 14400 = four working hours.
-- Emergencies stay natural time: the rule compiler refuses a working-time
-- rule that decides a cell of severity I or II.
--
-- Rules are immutable (rules_immutable in 0002 refuses UPDATE and DELETE).
-- Adding a column with a constant default updates no row (PostgreSQL stores
-- the default in the catalogue), so the trigger does not fire and every
-- existing rule reads 'natural', which is what it was.
ALTER TABLE rules
    ADD COLUMN time_basis text NOT NULL DEFAULT 'natural'
        CHECK (time_basis IN ('natural', 'working'));
