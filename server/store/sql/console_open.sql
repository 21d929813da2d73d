-- Open incidents inside the jurisdiction, most urgent first: overdue, then
-- severity, then the nearest limit, then the id. Bound by
-- fq_console_open_bind, read by fq_console_summary_row and
-- fq_console_open_key (console_rows.h; binary results). $1 jurisdiction,
-- $2 tier (0 any), $3 town ('' any), $4 line (-1 any), $5 assignment state
-- ('' any), $6 overdue only, $7 at most, $8 only those with a supervision
-- order waiting, $14 severity (0 any).
--
-- Paged by keyset (docs/console.md, "Paging"): $9 the board's moment in
-- epoch microseconds (the first page's, carried by the cursor, so that
-- "overdue" and with it the order stay the same across the pages) and
-- $10..$13 the sort key of the last row of the previous page (NULL: the
-- first page). The key follows the summary's columns: not overdue (0
-- first, 1 not), due in epoch microseconds (the largest bigint when none);
-- then the report's point (lon, lat; NULL when none).
--
-- A page costs its own rows, not the board's: the overdue incidents and the
-- others are each read in the order of the index incidents_board (severity,
-- FQ_SQL_BOARD_DUE, id; migration 0035) from the cursor's position on, the
-- filters applied as they come, and each read stops at $7 rows; the page is
-- the first $7 of the two. Whichever of the two is the few (usually the
-- overdue) is found instead by the moment it became overdue
-- (FQ_SQL_BOARD_OVERDUE_FROM, the index incidents_board_overdue; migration
-- 0037) and sorted: walking the board's index for a few rows reads all of
-- it. The others are read only when the overdue ones do not fill the page
-- (`ov` counted first: a one-time filter): while the board's overdue part
-- lasts, reading the others' first rows walked past every overdue incident
-- of the first severities again on each page (0.6-1.1 s a page with
-- 1,000,000 open, a third to half of them overdue). (Sorting all the open
-- incidents for every page made the whole board quadratic: 0.4 s a page
-- with 116,000 open.) `cand`
-- is inlined into both reads (NOT MATERIALIZED), so their ORDER BY is the
-- index's expression. The jurisdiction (and the town) is a hashed subplan
-- (`IN (...) IS TRUE` keeps it from becoming a join): the only join that
-- keeps the index's order is a nested loop, which rescanned every unit of
-- the district for every incident (21 of a page's 25 ms); the town is
-- joined to the page's rows only.
{{FQ_SQL_CONSOLE_UNITS_UNDER}},
cand AS NOT MATERIALIZED (
  SELECT i.id, i.severity, {{FQ_SQL_BOARD_DUE}} AS due, coalesce(i.territory, i.place_unit) AS unit,
         {{FQ_SQL_BOARD_OVERDUE_FROM}} AS overdue_from
    FROM incidents i
   WHERE i.state = 'assigned'
     AND (coalesce(i.territory, i.place_unit) IN (SELECT id FROM sub)) IS TRUE
     AND ($3 = '' OR (coalesce(i.territory, i.place_unit) IN (SELECT id FROM sub WHERE town = $3)) IS TRUE)
     AND ($2::int = 0 OR i.tier = $2::int) AND ($4::int < 0 OR i.line = $4::int)
     AND ($5 = '' OR i.assignment = $5)
     AND (NOT $8::bool OR i.supervision_due IS NOT NULL)
     AND ($14::int = 0 OR i.severity = $14::int)),
ov (id, unit) AS MATERIALIZED (
  SELECT c.id, c.unit FROM cand c
    WHERE c.overdue_from < ('epoch'::timestamptz + $9::bigint * interval '1 microsecond')
      AND ($10::int IS NULL
           OR ($10::int = 0
               AND (c.severity, c.due, c.id)
                   > ($11::int, CASE WHEN $12::bigint = 9223372036854775807 THEN 'infinity'::timestamptz
                                     ELSE 'epoch'::timestamptz + $12::bigint * interval '1 microsecond' END,
                      $13::bigint)))
    ORDER BY c.severity, c.due, c.id LIMIT $7::bigint),
page (id, unit, not_overdue) AS (
  SELECT id, unit, 0 FROM ov
  UNION ALL
  (SELECT c.id, c.unit, 1 FROM cand c
    WHERE c.overdue_from >= ('epoch'::timestamptz + $9::bigint * interval '1 microsecond') AND NOT $6::bool
      AND (SELECT count(*) FROM ov) < $7::bigint
      AND ($10::int IS NULL OR $10::int = 0
           OR (c.severity, c.due, c.id)
              > ($11::int, CASE WHEN $12::bigint = 9223372036854775807 THEN 'infinity'::timestamptz
                                ELSE 'epoch'::timestamptz + $12::bigint * interval '1 microsecond' END,
                 $13::bigint))
    ORDER BY c.severity, c.due, c.id LIMIT $7::bigint))
SELECT {{FQ_SQL_CONSOLE_COLUMNS_WITH(sub.town, k.limits)}},
       p.not_overdue, k.due_us, i.lon, i.lat
  FROM page p JOIN incidents i ON i.id = p.id JOIN sub ON sub.id = p.unit
 CROSS JOIN LATERAL (
       SELECT {{FQ_SQL_CONSOLE_OVERDUE(('epoch'::timestamptz + $9::bigint * interval '1 microsecond'))}} AS limits,
              CASE WHEN {{FQ_SQL_BOARD_DUE}} = 'infinity' THEN 9223372036854775807
                   ELSE (extract(epoch FROM {{FQ_SQL_BOARD_DUE}}) * 1000000)::bigint END AS due_us) k
 ORDER BY p.not_overdue, i.severity, k.due_us, i.id LIMIT $7::bigint
