-- $1 incident, $2 the account's jurisdiction; phones masked. No row: no such
-- incident; allowed, doc (NULL: no mediation). Bound by the binders of
-- web/mediation_reads.c, whose read_done reads the row.
SELECT allowed, doc::text FROM fq_mediation_case_read($1::bigint, $2)
