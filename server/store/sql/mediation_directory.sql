-- $1 jurisdiction: the committees and mediators it may name. Bound by the
-- binders of web/mediation_reads.c, whose read_done reads the row.
SELECT fq_mediation_directory($1)::text
