/* pgerror: which SQLSTATE classes may have their primary message logged (it
 * names schema objects only) and which quote the value (withheld). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pgerror.h"

#include <string.h>

static void test_classes(void **state)
{
    (void)state;
    /* Integrity violations: the row is in DETAIL only. */
    assert_true(fq_pg_primary_is_safe("23514")); /* check */
    assert_true(fq_pg_primary_is_safe("23505")); /* unique */
    assert_true(fq_pg_primary_is_safe("23502")); /* not null */
    assert_true(fq_pg_primary_is_safe("23503")); /* foreign key */
    assert_true(fq_pg_primary_is_safe("40001"));
    assert_true(fq_pg_primary_is_safe("57P01"));
    assert_true(fq_pg_primary_is_safe("P0001"));
    assert_true(fq_pg_primary_is_safe(NULL)); /* libpq's own */
    assert_true(fq_pg_primary_is_safe(""));
    /* Data exceptions quote the value: 'invalid input syntax for type integer: "…"'. */
    assert_false(fq_pg_primary_is_safe("22P02"));
    assert_false(fq_pg_primary_is_safe("22001"));
    assert_false(fq_pg_primary_is_safe("22007"));
    assert_false(fq_pg_primary_is_safe("22003"));
    /* A class not known to be safe is withheld too. */
    assert_false(fq_pg_primary_is_safe("2F005"));
    assert_false(fq_pg_primary_is_safe("HV000"));
}

static void test_redact(void **state)
{
    (void)state;
    char out[128];
    fq_pg_redact_values(
        "invalid input syntax for type timestamp with time zone: \"王小明 13912345678\"", out,
        sizeof out);
    assert_string_equal(out,
                        "invalid input syntax for type timestamp with time zone: \xe2\x80\xa6");
    fq_pg_redact_values("value \"13912345678\" is out of range for type integer", out, sizeof out);
    assert_string_equal(out, "value \"\xe2\x80\xa6\" is out of range for type integer");
    fq_pg_redact_values("invalid byte sequence for encoding \"UTF8\": 0xe4 0xb8", out, sizeof out);
    assert_string_equal(out, "invalid byte sequence for encoding \"\xe2\x80\xa6\": \xe2\x80\xa6");
    fq_pg_redact_values("division by zero", out, sizeof out);
    assert_string_equal(out, "division by zero");
    /* Small buffers: cut, never overrun, never half an ellipsis. */
    for (size_t cap = 1; cap < 24; cap++) {
        char small[24];
        memset(small, 'x', sizeof small);
        fq_pg_redact_values("value \"secret\" is out of range", small, cap);
        assert_true(strlen(small) < cap);
        assert_null(strstr(small, "secret"));
    }
}

static void test_no_result(void **state)
{
    (void)state;
    char out[64];
    fq_pg_error_describe(NULL, out, sizeof out);
    assert_string_equal(out, "no result");
    /* A result without error fields (made locally) still gives one line. */
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
    fq_pg_error_describe(res, out, sizeof out);
    assert_non_null(strstr(out, "SQLSTATE none"));
    assert_null(strchr(out, '\n'));
    PQclear(res);
    /* Truncation keeps it a string. */
    char tiny[8];
    fq_pg_error_describe(NULL, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_no_result),
    };
    return cmocka_run_group_tests_name("pgerror", tests, NULL, NULL);
}
