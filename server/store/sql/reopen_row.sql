-- A concluded incident inside a jurisdiction, as FQ_SQL_OPEN_COPY has an
-- open one: what a reopen (redo) rebuilds its case from. $1 incident, $2 the
-- operator's jurisdiction. Bound by fq_reopen_row_bind (case_rows.h), binary
-- results: FQ_SQL_CASE_COLUMNS (fq_case_row_decode), then one more column,
-- its state (any state; no row when outside: fq_reopen_row_state).
SELECT {{FQ_SQL_CASE_COLUMNS}}, state FROM incidents
 WHERE id = $1::bigint AND fq_unit_within(coalesce(territory, place_unit), $2)
