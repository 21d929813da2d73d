-- The same with the parties' phones whole, on the writes store: the look's
-- mediation_reveals row is written by the same statement ($3 account, $4
-- role, $5 remote), so it is committed before the answer. Bound by the
-- binders of web/mediation_reads.c, whose read_done reads the row.
SELECT allowed, doc::text FROM fq_mediation_reveal($1::bigint, $2, $3, $4, $5)
