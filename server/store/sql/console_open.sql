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
{{FQ_SQL_CONSOLE_UNITS_UNDER}}
SELECT {{FQ_SQL_CONSOLE_COLUMNS_WITH(sub.town, k.limits)}},
       (k.limits = 0)::int, k.due_us, i.lon, i.lat
  FROM incidents i JOIN sub ON sub.id = coalesce(i.territory, i.place_unit)
 CROSS JOIN LATERAL (
       SELECT {{FQ_SQL_CONSOLE_OVERDUE(('epoch'::timestamptz + $9::bigint * interval '1 microsecond'))}} AS limits,
              coalesce((extract(epoch FROM CASE WHEN i.assignment = 'assigned' THEN i.ack_due
                                                ELSE i.conclude_due END) * 1000000)::bigint,
                       9223372036854775807) AS due_us) k
 WHERE i.state = 'assigned' AND ($2::int = 0 OR i.tier = $2::int)
   AND ($3 = '' OR sub.town = $3) AND ($4::int < 0 OR i.line = $4::int)
   AND ($5 = '' OR i.assignment = $5)
   AND (NOT $6::bool OR k.limits <> 0)
   AND (NOT $8::bool OR i.supervision_due IS NOT NULL)
   AND ($14::int = 0 OR i.severity = $14::int)
   AND ($10::int IS NULL
        OR ((k.limits = 0)::int, i.severity::int, k.due_us, i.id)
           > ($10::int, $11::int, $12::bigint, $13::bigint))
 ORDER BY (k.limits = 0)::int, i.severity, k.due_us, i.id LIMIT $7::bigint
