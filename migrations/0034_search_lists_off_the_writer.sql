-- 0034 the search indexes' pending lists cleaned off the writer: the three
-- trigram indexes of incidents (0017) take new entries into a pending list
-- (fastupdate), and the backend whose insert finds a list over
-- gin_pending_list_limit (4 MB) moves the whole list into the index inside
-- that INSERT. fengqiaod writes on one connection, so that backend is the
-- writes backend: at 1,000 reports/s the title's list filled every ~4.5 s and
-- its cleanup stalled every batch behind it for ~30 ms of CPU (the address's
-- and the phone's every ~13 and ~17 s), about once per 3 s in all - the
-- report->ack p99 (docs/write-path.md, "Where a p99 report's time went").
-- fengqiaod now calls this on its reads connection every few thousand
-- reports committed, so that the lists never reach the limit and the writer
-- never cleans; the limit stays the writer's fallback when no one calls it.
-- SECURITY DEFINER: gin_clean_pending_list wants the index's owner, which
-- the server's role need not be. Runs in a read-only transaction (the reads
-- connection's): it changes no rows, only where index entries are kept.
CREATE FUNCTION fq_clean_search_lists() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT gin_clean_pending_list('public.incidents_title_trgm'::regclass)
         + gin_clean_pending_list('public.incidents_address_trgm'::regclass)
         + gin_clean_pending_list('public.incidents_phone_trgm'::regclass)
$$;
