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
        cmocka_unit_test(test_no_result),
    };
    return cmocka_run_group_tests_name("pgerror", tests, NULL, NULL);
}
