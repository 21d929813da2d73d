-- The search indexes' pending lists moved into the indexes off the writes
-- backend (migration 0034, docs/write-path.md "Where a p99 report's time
-- went"): one column, the pages cleaned. No parameters. Bound and answered
-- by server/store/search_lists.c, on the reads connection.
SELECT fq_clean_search_lists()
