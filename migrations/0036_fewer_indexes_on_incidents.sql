-- 0036 the indexes of incidents nothing reads (docs/write-path.md,
-- "Constraints", "Migration 0036"). The writes backend spent 40 % of its
-- CPU a report in index inserts; every index of incidents, events and
-- outbox was checked against the statements that read it (server/store/sql,
-- statements.h, the admin tools, the migrations' functions) and the plans
-- of the operators' reads compared on 100,000 incidents before and after.

-- incidents_open (id) WHERE state = 'assigned' (0003): no statement filters
-- on the id of the open incidents. The start reads them by a TID range scan
-- (FQ_SQL_OPEN_COPY_HALF), the board by incidents_board (0035, the same
-- predicate), and the start's size hint (FQ_SQL_OPEN_ESTIMATE) now reads
-- incidents_board's statistics. The one plan that took it was the roster's
-- count of what each unit leads, and it took it (or any index of the open
-- incidents) only to read every open incident once per unit of the page:
-- 3.6 s for the district's roster with 30,000 open. The index below answers
-- that count by the unit, and holds the town and district tiers' open
-- incidents only (what the count asks for), not every open incident.
DROP INDEX incidents_open;
CREATE INDEX incidents_open_lead ON incidents (lead_unit) WHERE state = 'assigned' AND tier > 1;

-- incidents_place (place_unit) (0001): no statement filters on the place
-- alone (every jurisdiction filter is on coalesce(territory, place_unit),
-- through fq_unit_within or a hashed subplan, which no index of place_unit
-- serves). Its one reader was the foreign key's check when an org unit is
-- deleted or renamed by hand (nothing in fengqiao does either), which then
-- scans incidents as it already did for incidents.territory.
DROP INDEX incidents_place;

-- The search's three trigram indexes (0017) stay three: one index over the
-- three columns was tried and measured (docs/write-path.md, "Migration
-- 0036"): the writer's GIN share did not move (trigram extraction and the
-- entries are the same work in one index or three), and a search then scans
-- the one pending list, three columns' entries, once for each column.
