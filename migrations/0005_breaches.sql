-- 0005 breaches: which limits of an incident were breached at the top tier
-- (bit 1: acknowledge, bit 2: conclude), so a restarted server does not
-- fire a breach that is already on record a second time.
ALTER TABLE incidents ADD COLUMN breached smallint NOT NULL DEFAULT 0 CHECK (breached BETWEEN 0 AND 3);
