/* fqclient: fqc_option_number, the one check of the clients' numeric
 * options (fq-report, fq-terminal, fq-console). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fqclient.h"

#include <stdint.h>

static void test_in_range(void **state)
{
    (void)state;
    long long v = 0;
    assert_int_equal(0, fqc_option_number("100", 100, 600000, &v));
    assert_int_equal(100, v);
    assert_int_equal(0, fqc_option_number("600000", 100, 600000, &v));
    assert_int_equal(600000, v);
    assert_int_equal(0, fqc_option_number("-5", -10, 10, &v));
    assert_int_equal(-5, v);
}

/* Out of range at either end, and past what a long long holds. */
static void test_out_of_range(void **state)
{
    (void)state;
    long long v = 7;
    assert_int_equal(-1, fqc_option_number("99", 100, 600000, &v));
    assert_int_equal(-1, fqc_option_number("600001", 100, 600000, &v));
    assert_int_equal(-1, fqc_option_number("99999999999999999999", 0, INT64_MAX, &v));
    assert_int_equal(7, v); /* untouched on a refusal */
}

/* Only a number: `10x` is not read as 10, an empty value not as 0. */
static void test_only_a_number(void **state)
{
    (void)state;
    long long v = 7;
    assert_int_equal(-1, fqc_option_number("10x", 1, 256, &v));
    assert_int_equal(-1, fqc_option_number("", 0, 256, &v));
    assert_int_equal(-1, fqc_option_number("x", 0, 256, &v));
    assert_int_equal(-1, fqc_option_number("1.5", 0, 256, &v));
    assert_int_equal(7, v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_range),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_only_a_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
