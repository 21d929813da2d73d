-- The incidents that happened in [$1, $2) (epoch ms) inside the unit $3 (''
-- everywhere): fq_judgment_incidents, migration 0029.
SELECT * FROM fq_judgment_incidents(to_timestamp($1::double precision / 1000),
to_timestamp($2::double precision / 1000), nullif($3, ''))
