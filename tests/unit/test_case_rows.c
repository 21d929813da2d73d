/* Tests of the stored case's row decoder: rows built as libpq builds binary
 * results (PQsetResultAttrs, PQsetvalue), every column read back, NULLs as
 * "none", times rounded to the millisecond on both sides of 1970 and 2000,
 * and rows that are not such rows refused. */
#include "case_rows.h"
#include "pgarray.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pgfake.h"

enum {
    C_ID,
    C_CATEGORY,
    C_SEVERITY,
    C_RISK,
    C_PLACE,
    C_LON,
    C_LAT,
    C_REPORTER,
    C_TIER,
    C_LINE,
    C_TERRITORY,
    C_WORKER,
    C_ACK_WARN,
    C_ACK_DUE,
    C_CONCLUDE_WARN,
    C_CONCLUDE_DUE,
    C_ESCALATIONS,
    C_RECORDED,
    C_BREACHED,
    C_LEAD,
    C_CO,
    C_ASSIGNMENT,
    C_EXTENSION,
    C_SUPERVISION,
    C_INCIDENT_AT,
    C_WORKING,
    C_SUSPENDED,
    C_CLIMBED,
    C_MEDIATION
};

/* A village-tier case as the load reads it: every column set. */
static PGresult *full_row(void)
{
    PGresult *res = pgfake_result(FQ_CASE_ROW_COLUMNS, 1);
    pgfake_put_int8(res, 0, C_ID, 1234567);
    pgfake_put_text(res, 0, C_CATEGORY, "market.noise");
    pgfake_put_int2(res, 0, C_SEVERITY, 3);
    pgfake_put_int2(res, 0, C_RISK, 2);
    pgfake_put_text(res, 0, C_PLACE, "xihu.beishan.v1.g1");
    pgfake_put_float8(res, 0, C_LON, 120.1234567);
    pgfake_put_float8(res, 0, C_LAT, -30.25);
    pgfake_put_text(res, 0, C_REPORTER, "beishan-platform");
    pgfake_put_int2(res, 0, C_TIER, 2);
    pgfake_put_int2(res, 0, C_LINE, 1);
    pgfake_put_text(res, 0, C_TERRITORY, "xihu.beishan");
    pgfake_put_text(res, 0, C_WORKER, "w-17");
    pgfake_put_time_us(res, 0, C_ACK_WARN, INT64_C(1765000000123000));      /* a whole ms */
    pgfake_put_time_us(res, 0, C_ACK_DUE, INT64_C(1765000000123499));       /* rounds down */
    pgfake_put_time_us(res, 0, C_CONCLUDE_WARN, INT64_C(1765000000123500)); /* half: up */
    pgfake_put_time_us(res, 0, C_CONCLUDE_DUE, INT64_C(1765000000123999));
    pgfake_put_int2(res, 0, C_ESCALATIONS, 1);
    pgfake_put_time_us(res, 0, C_RECORDED, INT64_C(946684799999600)); /* just before 2000 */
    pgfake_put_int2(res, 0, C_BREACHED, 5);
    pgfake_put_text(res, 0, C_LEAD, "beishan-market");
    fq_pgbuf buf = {0};
    fq_pgarray a;
    size_t off, len;
    fq_pgarray_begin(&a, &buf, FQ_PG_TEXT);
    fq_pgarray_text(&a, "dept-a", 6);
    fq_pgarray_null(&a);
    fq_pgarray_text(&a, "dept-b", 6);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    pgfake_put(res, 0, C_CO, buf.data + off, (int)len);
    fq_pgbuf_free(&buf);
    pgfake_put_text(res, 0, C_ASSIGNMENT, "extension_requested");
    pgfake_put_time_us(res, 0, C_EXTENSION, INT64_C(-1500)); /* before 1970: -1.5 ms rounds to -1 */
    pgfake_put_time_us(res, 0, C_SUPERVISION, INT64_C(1765000100000000));
    pgfake_put_time_us(res, 0, C_INCIDENT_AT, INT64_C(1764999000000000));
    uint8_t yes = 1;
    pgfake_put(res, 0, C_WORKING, &yes, 1);
    pgfake_put_time_us(res, 0, C_SUSPENDED, INT64_C(1765000050000000));
    pgfake_put_int2(res, 0, C_CLIMBED, 1);
    pgfake_put_text(res, 0, C_MEDIATION, "open");
    return res;
}

static void test_every_column(void **state)
{
    (void)state;
    PGresult *res = full_row();
    fq_case_row row;
    assert_int_equal(fq_case_row_decode(res, 0, &row), 0);
    assert_true(row.id == 1234567);
    assert_string_equal(row.category, "market.noise");
    assert_int_equal(row.severity, 3);
    assert_int_equal(row.risk, 2);
    assert_string_equal(row.place_unit, "xihu.beishan.v1.g1");
    assert_int_equal(row.has_location, 1);
    assert_true(row.lon == 120.1234567);
    assert_true(row.lat == -30.25);
    assert_string_equal(row.reporter_node, "beishan-platform");
    assert_int_equal(row.tier, 2);
    assert_int_equal(row.line, 1);
    assert_string_equal(row.territory, "xihu.beishan");
    assert_string_equal(row.worker, "w-17");
    assert_true(row.ack_warn_ms == INT64_C(1765000000123));
    assert_true(row.ack_due_ms == INT64_C(1765000000123));
    assert_true(row.conclude_warn_ms == INT64_C(1765000000124));
    assert_true(row.conclude_due_ms == INT64_C(1765000000124));
    assert_int_equal(row.escalations, 1);
    assert_true(row.recorded_ms == INT64_C(946684800000));
    assert_int_equal(row.breached, 5);
    assert_string_equal(row.lead, "beishan-market");
    assert_int_equal(row.n_co, 2); /* the NULL element is no one */
    assert_string_equal(row.co[0], "dept-a");
    assert_string_equal(row.co[1], "dept-b");
    assert_string_equal(row.assignment, "extension_requested");
    assert_true(row.extension_ms == -1);
    assert_true(row.supervision_ms == INT64_C(1765000100000));
    assert_true(row.incident_at_ms == INT64_C(1764999000000));
    assert_int_equal(row.working_time, 1);
    assert_true(row.suspended_ms == INT64_C(1765000050000));
    assert_int_equal(row.climbed, 1);
    assert_string_equal(row.mediation, "open");
    PQclear(res);
}

/* NULL columns: no location, no lead, no co-handlers, no times. */
static void test_nulls_are_none(void **state)
{
    (void)state;
    PGresult *res = full_row();
    int nullable[] = {C_PLACE,    C_LON,       C_LAT,           C_TERRITORY,    C_WORKER,
                      C_ACK_WARN, C_ACK_DUE,   C_CONCLUDE_WARN, C_CONCLUDE_DUE, C_LEAD,
                      C_CO,       C_EXTENSION, C_SUPERVISION,   C_WORKING,      C_SUSPENDED};
    for (size_t i = 0; i < sizeof nullable / sizeof nullable[0]; i++)
        pgfake_put_null(res, 0, nullable[i]);
    fq_case_row row;
    assert_int_equal(fq_case_row_decode(res, 0, &row), 0);
    assert_int_equal(row.has_location, 0);
    assert_string_equal(row.place_unit, "");
    assert_string_equal(row.territory, "");
    assert_string_equal(row.worker, "");
    assert_string_equal(row.lead, "");
    assert_int_equal(row.n_co, 0);
    assert_true(row.ack_warn_ms == 0 && row.ack_due_ms == 0 && row.conclude_warn_ms == 0 &&
                row.conclude_due_ms == 0 && row.extension_ms == 0 && row.supervision_ms == 0 &&
                row.suspended_ms == 0);
    assert_int_equal(row.working_time, 0);
    PQclear(res);
}

/* Rows that are not stored cases are refused, whole. */
static void test_refused(void **state)
{
    (void)state;
    fq_case_row row;
    PGresult *res = full_row();
    assert_int_equal(fq_case_row_decode(res, 1, &row), -1); /* no such row */
    assert_int_equal(fq_case_row_decode(res, -1, &row), -1);
    pgfake_put(res, 0, C_ACK_DUE, "\1\2\3\4", 4); /* a time that is not 8 bytes */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = full_row();
    pgfake_put_null(res, 0, C_LAT); /* half a location */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = full_row();
    pgfake_put(res, 0, C_CO, "{a,b}", 5); /* an array as text */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = full_row();
    pgfake_put_int8(res, 0, C_SEVERITY, 70000); /* out of a small integer's range */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = full_row();
    pgfake_put_int8(res, 0, C_ID, 0); /* ids start at 1 */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = pgfake_result(FQ_CASE_ROW_COLUMNS - 1, 1); /* a column short */
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    res = pgfake_result(FQ_CASE_ROW_COLUMNS, 0); /* text results */
    pgfake_put_text(res, 0, C_ID, "1234567");
    assert_int_equal(fq_case_row_decode(res, 0, &row), -1);
    PQclear(res);

    assert_int_equal(fq_case_row_decode(NULL, 0, &row), -1);
}

/* Extra columns after the case's (a reopen's state) are left alone. */
static void test_extra_columns(void **state)
{
    (void)state;
    PGresult *full = full_row();
    PGresult *res = pgfake_result(FQ_CASE_ROW_COLUMNS + 1, 1);
    for (int c = 0; c < FQ_CASE_ROW_COLUMNS; c++)
        pgfake_put(res, 0, c, PQgetisnull(full, 0, c) ? NULL : PQgetvalue(full, 0, c),
                   PQgetisnull(full, 0, c) ? -1 : PQgetlength(full, 0, c));
    pgfake_put_text(res, 0, FQ_CASE_ROW_COLUMNS, "concluded");
    fq_case_row row;
    assert_int_equal(fq_case_row_decode(res, 0, &row), 0);
    assert_true(row.id == 1234567);
    assert_string_equal(row.mediation, "open");
    PQclear(res);
    PQclear(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_column),
        cmocka_unit_test(test_nulls_are_none),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_extra_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
