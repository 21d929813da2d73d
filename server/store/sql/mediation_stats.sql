-- $1 from ms, $2 to ms, $3 town|committee|mediator, $4 jurisdiction. Bound by
-- the binders of web/mediation_reads.c, whose read_done reads the row.
SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb)::text FROM
fq_mediation_stats(to_timestamp($1::double precision / 1000), to_timestamp($2::double precision /
1000), $3, $4) s
