-- Search (docs/console.md, "Search"): incidents inside the jurisdiction,
-- open or not, newest first. $1 jurisdiction, $2 the id the text names
-- (NULL: it names none), $3 the text as a LIKE pattern ('%text%', escaped),
-- $4 the text itself (the external reference matches whole), $5 at most,
-- $6 the id of the previous page's last row (NULL: the first page). The
-- trigram indexes of migration 0017 serve the LIKEs. Bound by
-- fq_console_search_bind; the board's columns (fq_console_summary_row,
-- console_rows.h; binary results), then the point (lon, lat).
SELECT {{FQ_SQL_CONSOLE_COLUMNS}}, i.lon, i.lat
  FROM incidents i
 WHERE (i.id = $2::bigint OR i.title ILIKE $3 OR i.address ILIKE $3
        OR i.reporter_phone LIKE $3 OR (i.external_ref = $4 AND $4 <> ''))
   AND fq_unit_within(coalesce(i.territory, i.place_unit), $1)
   AND ($6::bigint IS NULL OR i.id < $6::bigint)
 ORDER BY i.id DESC LIMIT $5::bigint
