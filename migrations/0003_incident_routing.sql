-- 0003 incident routing: every stored report carries the decision of the
-- tiered routing, written in the same transaction as the report, and the
-- server's own events (routing, warnings, escalations) have no node as actor.

-- A report may give only coordinates; routing then places it in its grid.
ALTER TABLE incidents ALTER COLUMN place_unit DROP NOT NULL;
ALTER TABLE incidents ADD CONSTRAINT incidents_placed
    CHECK (place_unit IS NOT NULL OR lon IS NOT NULL);

ALTER TABLE incidents
    ADD COLUMN tier smallint CHECK (tier BETWEEN 1 AND 3),   -- 1 village, 2 town, 3 district
    ADD COLUMN line smallint CHECK (line BETWEEN 0 AND 3),   -- governance, market, enforcement, services
    ADD COLUMN territory text REFERENCES org_units (id),     -- where routing placed it
    ADD COLUMN lead_unit text,
    ADD COLUMN worker text,
    ADD COLUMN co_units text[] NOT NULL DEFAULT '{}',
    ADD COLUMN ack_due timestamptz,
    ADD COLUMN ack_warn_at timestamptz,
    ADD COLUMN conclude_due timestamptz,
    ADD COLUMN conclude_warn_at timestamptz,
    ADD COLUMN merged_into bigint REFERENCES incidents (id),
    ADD COLUMN rule_set integer,
    ADD COLUMN rule_source integer,
    ADD COLUMN climbed smallint NOT NULL DEFAULT 0,
    ADD COLUMN unplaced boolean NOT NULL DEFAULT false,
    ADD COLUMN escalations smallint NOT NULL DEFAULT 0;

ALTER TABLE incidents ADD CONSTRAINT incidents_state
    CHECK (state IN ('reported', 'assigned', 'merged', 'unroutable', 'concluded', 'closed'));
CREATE INDEX incidents_open_worker ON incidents (worker) WHERE state = 'assigned';
CREATE INDEX incidents_open ON incidents (id) WHERE state = 'assigned';

-- NULL actor: fengqiaod itself (routing, deadline warnings, escalations).
ALTER TABLE events ALTER COLUMN actor_node DROP NOT NULL;
