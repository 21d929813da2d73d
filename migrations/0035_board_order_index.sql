-- 0035 the board's order as an index (docs/console.md, "Paging"): the open
-- incidents by severity, the nearest limit (the acknowledge limit while
-- unacknowledged, else the conclude limit; none: last) and id - the board's
-- sort key after "overdue". A board page (sql/console_open.sql) reads the
-- overdue and the other incidents each in this order from its cursor's
-- position on, and stops at the page's size: a page costs its own rows, not
-- the whole board's sort. Before it, every page sorted every open incident
-- of the jurisdiction again (0.4 s a page with 116,000 open, several
-- hundred pages for the whole board). The expression is the one
-- console_open.sql orders by (FQ_SQL_BOARD_DUE, sql_fragments.h), to the
-- letter: the planner matches it by its text.
CREATE INDEX incidents_board ON incidents
    (severity, (coalesce(CASE WHEN assignment = 'assigned' THEN ack_due ELSE conclude_due END,
                         'infinity'::timestamptz)), id)
    WHERE state = 'assigned';
