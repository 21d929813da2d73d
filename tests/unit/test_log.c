/* The log line format (server/net/log.h): logfmt, quoted message, escapes. */
#include "log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_plain_line(void **state)
{
    (void)state;
    char out[256];
    /* 2026-12-06T05:54:17.123Z */
    size_t n = fq_log_format(out, sizeof out, 1796536457123LL, FQ_LOG_INFO, "store",
                             "connected to PostgreSQL");
    assert_string_equal(out, "ts=2026-12-06T05:54:17.123Z level=info comp=store "
                             "msg=\"connected to PostgreSQL\"");
    assert_int_equal(n, strlen(out));
}

static void test_escapes(void **state)
{
    (void)state;
    char out[256];
    fq_log_format(out, sizeof out, 0, FQ_LOG_ERROR, "web", "say \"hi\"\\\nbye\x01 网格");
    assert_string_equal(out, "ts=1970-01-01T00:00:00.000Z level=error comp=web "
                             "msg=\"say \\\"hi\\\"\\\\\\nbye\\x01 网格\"");
}

static void test_truncation_reports_length(void **state)
{
    (void)state;
    char out[20];
    size_t n = fq_log_format(out, sizeof out, 0, FQ_LOG_WARN, "x", "a long message here");
    assert_true(n > sizeof out);
    assert_int_equal(strlen(out), sizeof out - 1);
}

static void test_levels(void **state)
{
    (void)state;
    assert_int_equal(fq_log_level_parse("debug"), FQ_LOG_DEBUG);
    assert_int_equal(fq_log_level_parse("warn"), FQ_LOG_WARN);
    assert_int_equal(fq_log_level_parse("error"), FQ_LOG_ERROR);
    assert_int_equal(fq_log_level_parse("verbose"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_line),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_truncation_reports_length),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
