-- The meeting figures inside the jurisdiction, a page of the groups. $1
-- jurisdiction, $2 from ms, $3 to ms, $4 by, $5 groups to skip, $6 at most.
-- The group (the first column) is unique: the order is total. Bound by
-- fq_console_stats_bind (console_rows.h); text results: every cell is shown
-- as it is (the columns are fq_meeting_stats's, by name).
SELECT * FROM fq_meeting_stats(to_timestamp($2::double precision / 1000),
                               to_timestamp($3::double precision / 1000), $4, $1)
 ORDER BY 1 OFFSET $5::bigint LIMIT $6::bigint
