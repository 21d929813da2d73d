-- 0037 the board's overdue incidents by an index (docs/console.md, "The
-- whole board at 100,000 open incidents"). A board page reads the overdue
-- incidents and the others apart (sql/console_open.sql). When few are
-- overdue - the usual case - the planner had no index that finds them: it
-- read every open incident and sorted the few that passed, on every page
-- (1.2 s a page with 1,000,000 open and none overdue). "Overdue" depends
-- on the board's moment, but the moment an open incident becomes overdue
-- does not:
-- the earliest of its limits that count (the acknowledge limit while
-- unacknowledged, the conclude limit, a supervision order's reply),
-- '-infinity' once a supervision order was breached, 'infinity' while
-- suspended or without a limit; NULL once it is no longer open. Overdue at
-- NOW is that moment < NOW, not overdue >= NOW. The expression is
-- FQ_SQL_BOARD_OVERDUE_FROM (server/store/sql_fragments.h), to the letter:
-- the planner matches it by its text.
CREATE INDEX incidents_board_overdue ON incidents
    ((CASE WHEN state <> 'assigned' THEN NULL
           WHEN suspended_at IS NOT NULL THEN 'infinity'::timestamptz
           WHEN breached >= 4 THEN '-infinity'::timestamptz
           ELSE coalesce(least(CASE WHEN assignment = 'assigned' THEN ack_due END, conclude_due,
                               supervision_due), 'infinity'::timestamptz) END))
    WHERE state = 'assigned';

-- A partial index's expression has no statistics the planner reads, and
-- without them it guesses that a third of the open incidents are overdue and
-- walks incidents_board for them. Statistics on the expression itself (over
-- every incident: NULL for the closed ones) let it see how many are overdue
-- at the page's moment and take this index when they are few, the board's
-- index when they are many - for the overdue part and for the rest alike.
CREATE STATISTICS incidents_board_overdue_stats ON
    (CASE WHEN state <> 'assigned' THEN NULL
          WHEN suspended_at IS NOT NULL THEN 'infinity'::timestamptz
          WHEN breached >= 4 THEN '-infinity'::timestamptz
          ELSE coalesce(least(CASE WHEN assignment = 'assigned' THEN ack_due END, conclude_due,
                              supervision_due), 'infinity'::timestamptz) END)
    FROM incidents;
ANALYZE incidents;
