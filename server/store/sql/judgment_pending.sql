-- Long-pending cases at $1 (epoch ms) inside $2 ('' everywhere), pending more
-- than $3 days, received at most $4 days before $1; at most $5 rows:
-- fq_long_pending, migration 0029.
SELECT * FROM fq_long_pending(to_timestamp($1::double precision / 1000), nullif($2, ''),
$3::integer, $4::integer) LIMIT $5::bigint
