-- $1 'open' or 'ended', $2 jurisdiction, $3 at most this many. Bound by the
-- binders of web/mediation_reads.c, whose read_done reads the row.
SELECT fq_mediation_worklist($1, $2, $3::integer)::text
