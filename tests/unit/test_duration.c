/* duration: the one parser and formatter of durations (topology limits,
 * fengqiao-admin's options, the console's and the terminal's commands). */
#include "duration.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_parses_each_unit_and_groups(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t seconds;
    } good[] = {
        {"45s", 45},       {"30m", 1800},
        {"2h", 7200},      {"7d", 604800},
        {"1w", 604800},    {"1h30m", 5400},
        {"1d12h", 129600}, {"2w3d4h5m6s", 1483506},
        {"0s", 0},         {"2147483647s", FQ_DURATION_MAX},
    };
    char err[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint32_t s = 1;
        assert_int_equal(fq_duration_parse(good[i].text, 1, &s, err, sizeof err), 0);
        assert_int_equal(s, good[i].seconds);
    }
}

static void test_refuses_what_is_not_a_duration(void **state)
{
    (void)state;
    static const char *const bad[] = {"",     "2",    "h2",   "2x",          "-2h",
                                      "+2h",  "1.5h", "2 h",  "2H",          "30m1h",
                                      "1h1h", "05m",  "1h0m", "2147483648s", "99999999w"};
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t s = 0;
        err[0] = '\0';
        assert_int_equal(fq_duration_parse(bad[i], 1, &s, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
}

static void test_zero_only_when_allowed(void **state)
{
    (void)state;
    char err[256];
    uint32_t s;
    assert_int_equal(fq_duration_parse("0m", 0, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than zero"));
    assert_int_equal(fq_duration_parse("0m", 1, &s, err, sizeof err), 0);
    assert_int_equal(s, 0);
}

static void test_format_is_shortest_in_days_at_most(void **state)
{
    (void)state;
    char out[32];
    fq_duration_format(0, out, sizeof out);
    assert_string_equal(out, "0s");
    fq_duration_format(5400, out, sizeof out);
    assert_string_equal(out, "1h30m");
    fq_duration_format(14 * 86400, out, sizeof out);
    assert_string_equal(out, "14d");
    fq_duration_format(86400 + 61, out, sizeof out);
    assert_string_equal(out, "1d1m1s");
    /* What it formats parses back to the same. */
    uint32_t s;
    char err[256];
    assert_int_equal(fq_duration_parse(out, 0, &s, err, sizeof err), 0);
    assert_int_equal(s, 86400 + 61);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_each_unit_and_groups),
        cmocka_unit_test(test_refuses_what_is_not_a_duration),
        cmocka_unit_test(test_zero_only_when_allowed),
        cmocka_unit_test(test_format_is_shortest_in_days_at_most),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
