/* validate: fq_validate_report rule by rule, fq_valid_id, fq_check_fresh.
 *
 * Without arguments runs the main group; "extremes" runs fq_check_fresh with
 * clock and skew values near the int64 limits (see test_fresh_extremes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "validate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOW 1700000000000LL
#define SKEW 120000LL

static char err[256];
static Fengqiao__V1__ReportIncident report;
static Fengqiao__V1__GeoPoint point;

/* A report that passes every check; each test breaks one thing. */
static void good(void)
{
    Fengqiao__V1__ReportIncident r = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    r.category = "dispute.neighbour";
    r.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    r.risk = FENGQIAO__V1__RISK__RISK_LOW;
    r.channel = FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE;
    r.place_unit = "lingyin";
    r.title = "Noise dispute between neighbours";
    report = r;
    err[0] = '\0';
}

static int check(void)
{
    err[0] = '\0';
    return fq_validate_report(&report, NOW, SKEW, err, sizeof err);
}

#define assert_ok() assert_int_equal(check(), 0)
#define assert_refused(field)                                                                      \
    do {                                                                                           \
        assert_true(check() < 0);                                                                  \
        if (strstr(err, field) == NULL)                                                            \
            fail_msg("message '%s' does not name %s", err, field);                                 \
    } while (0)

/* n copies of the UTF-8 sequence `unit`, in a static buffer. */
static char *repeat(const char *unit, size_t n)
{
    static char buf[8][20000];
    static int next;
    char *b = buf[next++ % 8];
    size_t ul = strlen(unit), at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(b + at, unit, ul);
        at += ul;
    }
    b[at] = '\0';
    return b;
}

static void test_good_report(void **state)
{
    (void)state;
    good();
    assert_ok();
    /* With every optional field at a sane value. */
    point.lon = 120.1019;
    point.lat = 30.2416;
    report.location = &point;
    report.address = "灵隐路 3 号";
    report.description = "Residents report\nloud construction\tat night.\r\n";
    report.occurred_at_ms = NOW - 3600000;
    report.external_ref = "LY-2023-0001";
    report.reporter_name = "张三";
    report.reporter_phone = "+86 (571) 1234-5678";
    assert_ok();
}

static void test_category(void **state)
{
    (void)state;
    good();
    report.category = "";
    assert_refused("category");
    report.category = repeat("a", 64);
    assert_ok();
    report.category = repeat("a", 65);
    assert_refused("category");
    static char *bad[] = {"Dispute",           ".dispute",  "_x",   "-x",
                          "dispute neighbour", "dispute/x", "纠纷", "a\tb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        report.category = bad[i];
        assert_refused("category");
    }
    static char *fine[] = {"a", "0", "9.x_y-z", "dispute.", "a--"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        report.category = fine[i];
        assert_ok();
    }
}

static void test_enums(void **state)
{
    (void)state;
    good();
    for (int v = -2; v <= 6; v++) {
        report.severity = (Fengqiao__V1__Severity)v;
        if (v >= 1 && v <= 4)
            assert_ok();
        else
            assert_refused("severity");
    }
    report.severity = (Fengqiao__V1__Severity)INT32_MIN;
    assert_refused("severity");
    good();
    for (int v = -1; v <= 4; v++) {
        report.risk = (Fengqiao__V1__Risk)v;
        if (v >= 1 && v <= 3)
            assert_ok();
        else
            assert_refused("risk");
    }
    good();
    for (int v = -1; v <= 8; v++) {
        report.channel = (Fengqiao__V1__Channel)v;
        if (v >= 1 && v <= 6)
            assert_ok();
        else
            assert_refused("channel");
    }
    report.channel = (Fengqiao__V1__Channel)INT32_MAX;
    assert_refused("channel");
}

static void test_place_unit(void **state)
{
    (void)state;
    good();
    report.place_unit = "";
    assert_refused("place_unit");
    report.place_unit = "Lingyin";
    assert_refused("place_unit");
    report.place_unit = "-lingyin";
    assert_refused("place_unit");
    report.place_unit = repeat("g", 64);
    assert_ok();
    report.place_unit = repeat("g", 65);
    assert_refused("place_unit");
}

static void test_location(void **state)
{
    (void)state;
    good();
    report.location = &point;
    static const double ok[][2] = {{-180, -90}, {180, 90},   {180, -90}, {-180, 90},
                                   {0, 1e-300}, {1e-300, 0}, {-0.0, 5},  {120.1, 30.2}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        point.lon = ok[i][0];
        point.lat = ok[i][1];
        assert_ok();
    }
    const double bad[][2] = {
        {nextafter(180, 1000), 0},
        {nextafter(-180, -1000), 1},
        {1, nextafter(90, 1000)},
        {1, nextafter(-90, -1000)},
        {NAN, 30},
        {120, NAN},
        {INFINITY, 30},
        {120, -INFINITY},
        {0, 0},
        {-0.0, 0},
        {0, -0.0},
        {-0.0, -0.0},
        {1e308, 1},
        {-NAN, -NAN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        point.lon = bad[i][0];
        point.lat = bad[i][1];
        if (check() == 0)
            fail_msg("location (%g, %g) accepted", bad[i][0], bad[i][1]);
        assert_non_null(strstr(err, "location"));
    }
    report.location = NULL; /* optional */
    assert_ok();
}

/* One-line text fields: boundaries in code points with 1-, 2-, 3- and 4-byte
 * characters, and no control characters at all. */
static void one_line_field(char **field, const char *name, size_t max, int required)
{
    good();
    *field = "";
    if (required)
        assert_refused(name);
    else
        assert_ok();
    static char *units[] = {"a", "é", "灵", "😀"};
    for (size_t u = 0; u < 4; u++) {
        *field = repeat(units[u], max);
        if (check() != 0)
            fail_msg("%s of %zu x '%s' refused: %s", name, max, units[u], err);
        *field = repeat(units[u], max + 1);
        assert_refused(name);
    }
    static char *ctl[] = {"a\nb",  "a\tb",      "a\rb",      "\x01",    "a\x1f",
                          "a\x7f", "a\xc2\x80", "a\xc2\x9f", "\x1b[31m"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        *field = ctl[i];
        assert_refused(name);
    }
    /* U+00A0 (no-break space) is the first code point after C1: allowed. */
    *field = "a\xc2\xa0"
             "b";
    assert_ok();
}

static void invalid_utf8(char **field, const char *name)
{
    static char *bad[] = {
        "\xff",             /* never valid */
        "a\x80",            /* lone continuation */
        "\xc3",             /* truncated 2-byte */
        "\xe7\x81",         /* truncated 3-byte */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xf8\x88\x80\x80\x80",
    };
    good();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        *field = bad[i];
        assert_refused(name);
        if (strstr(err, "UTF-8") == NULL)
            fail_msg("%s case %zu: '%s' does not say UTF-8", name, i, err);
    }
}

static void test_title(void **state)
{
    (void)state;
    one_line_field(&report.title, "title", FQ_TITLE_MAX_CHARS, 1);
    invalid_utf8(&report.title, "title");
    good();
    report.title = repeat("灵", FQ_TITLE_MAX_CHARS); /* 600 bytes, 200 characters */
    assert_int_equal(strlen(report.title), 3 * FQ_TITLE_MAX_CHARS);
    assert_ok();
}

static void test_address(void **state)
{
    (void)state;
    one_line_field(&report.address, "address", FQ_ADDRESS_MAX_CHARS, 0);
    invalid_utf8(&report.address, "address");
}

static void test_external_ref(void **state)
{
    (void)state;
    one_line_field(&report.external_ref, "external_ref", FQ_EXTERNAL_REF_MAX_CHARS, 0);
    invalid_utf8(&report.external_ref, "external_ref");
}

static void test_reporter_name(void **state)
{
    (void)state;
    one_line_field(&report.reporter_name, "reporter_name", FQ_REPORTER_NAME_MAX_CHARS, 0);
    invalid_utf8(&report.reporter_name, "reporter_name");
}

static void test_description(void **state)
{
    (void)state;
    good();
    assert_ok(); /* optional */
    static char *units[] = {"a", "é", "灵", "😀"};
    for (size_t u = 0; u < 4; u++) {
        report.description = repeat(units[u], FQ_DESCRIPTION_MAX_CHARS);
        assert_ok();
        report.description = repeat(units[u], FQ_DESCRIPTION_MAX_CHARS + 1);
        assert_refused("description");
    }
    /* Multi-line: newline, tab and CR are fine, other controls are not. */
    report.description = "line\none\ttab\r\n";
    assert_ok();
    static char *ctl[] = {"a\x01", "a\x0b", "a\x0c", "a\x7f", "a\xc2\x85", "\x1b"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        report.description = ctl[i];
        assert_refused("description");
    }
    invalid_utf8(&report.description, "description");
}

static void test_reporter_phone(void **state)
{
    (void)state;
    good();
    static char *ok[] = {"", "110", "+86 (571) 1234-5678", "0", "()+- "};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        report.reporter_phone = ok[i];
        assert_ok();
    }
    report.reporter_phone = repeat("1", FQ_REPORTER_PHONE_MAX_CHARS);
    assert_ok();
    report.reporter_phone = repeat("1", FQ_REPORTER_PHONE_MAX_CHARS + 1);
    assert_refused("reporter_phone");
    static char *bad[] = {"123a", "1.2", "1/2", "1\n2", "１２３", "#1", "1x", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        report.reporter_phone = bad[i];
        assert_refused("reporter_phone");
    }
}

static void test_occurred_at(void **state)
{
    (void)state;
    good();
    report.occurred_at_ms = 0; /* unknown */
    assert_ok();
    report.occurred_at_ms = FQ_EARLIEST_OCCURRED_MS;
    assert_ok();
    report.occurred_at_ms = FQ_EARLIEST_OCCURRED_MS - 1;
    assert_refused("occurred_at_ms");
    report.occurred_at_ms = NOW + SKEW;
    assert_ok();
    report.occurred_at_ms = NOW + SKEW + 1;
    assert_refused("occurred_at_ms");
    report.occurred_at_ms = -1;
    assert_refused("occurred_at_ms");
    report.occurred_at_ms = INT64_MIN;
    assert_refused("occurred_at_ms");
    report.occurred_at_ms = INT64_MAX;
    assert_refused("occurred_at_ms");
}

static void test_first_failure_wins_and_err_truncation(void **state)
{
    (void)state;
    good();
    report.category = "";
    report.title = "";
    assert_refused("category");
    /* A tiny error buffer is NUL-terminated, never overrun. */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_true(fq_validate_report(&report, NOW, SKEW, small, sizeof small) < 0);
    assert_int_equal(small[7], '\0');
    assert_true(fq_validate_report(&report, NOW, SKEW, small, 1) < 0);
    assert_int_equal(small[0], '\0');
}

static void test_valid_id(void **state)
{
    (void)state;
    assert_false(fq_valid_id(NULL));
    assert_false(fq_valid_id(""));
    assert_true(fq_valid_id("a"));
    assert_true(fq_valid_id("0"));
    assert_true(fq_valid_id("lingyin-platform"));
    assert_true(fq_valid_id("a.b_c-d9"));
    assert_true(fq_valid_id("9-"));
    assert_true(fq_valid_id(repeat("z", FQ_ID_MAX_LEN)));
    assert_false(fq_valid_id(repeat("z", FQ_ID_MAX_LEN + 1)));
    assert_false(fq_valid_id(repeat("z", 1000)));
    static char *bad[] = {".a", "_a", "-a", "A",   "aB", "a b", "a/b",   "a\n", "é",
                          "a+", "a:", "a@", "a\t", " a", "a,",  "a\x7f", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fq_valid_id(bad[i]))
            fail_msg("'%s' accepted as an id", bad[i]);
    /* Every single byte: valid exactly for [a-z0-9]. */
    for (int c = 1; c < 256; c++) {
        char s[2] = {(char)c, 0};
        int expect = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        assert_int_equal(fq_valid_id(s), expect);
        char t[3] = {'a', (char)c, 0};
        expect = expect || c == '.' || c == '_' || c == '-';
        assert_int_equal(fq_valid_id(t), expect);
    }
}

static void test_fresh(void **state)
{
    (void)state;
    assert_int_equal(fq_check_fresh(NOW, NOW, SKEW), 0);
    assert_int_equal(fq_check_fresh(NOW - SKEW, NOW, SKEW), 0);
    assert_int_equal(fq_check_fresh(NOW + SKEW, NOW, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(NOW - SKEW - 1, NOW, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(NOW + SKEW + 1, NOW, SKEW), 0);
    /* Zero skew: only the exact millisecond. */
    assert_int_equal(fq_check_fresh(NOW, NOW, 0), 0);
    assert_int_not_equal(fq_check_fresh(NOW + 1, NOW, 0), 0);
    assert_int_not_equal(fq_check_fresh(NOW - 1, NOW, 0), 0);
    /* sent_at is the attacker's: extreme values are simply stale. */
    assert_int_not_equal(fq_check_fresh(INT64_MIN, NOW, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MAX, NOW, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(0, NOW, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(-1, NOW, SKEW), 0);
    /* The largest skew the server's flag allows (a day). */
    assert_int_equal(fq_check_fresh(NOW - 86400000, NOW, 86400000), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MIN, NOW, 86400000), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MAX, NOW, 86400000), 0);
}

/* validate.c says fq_check_fresh compares "without overflow", but it computes
 * now_ms - max_skew_ms and now_ms + max_skew_ms in int64: undefined for
 * extreme now/skew (UBSan aborts here); fq_validate_report's occurred_at check
 * does the same addition. Not reachable from fengqiaod today (skew <= 86400000
 * via parse_number, now from the clock). */
static void test_fresh_extremes(void **state)
{
    (void)state;
    /* Expected values are |sent_at - now| <= skew in exact arithmetic. */
    assert_int_equal(fq_check_fresh(INT64_MAX, INT64_MAX, SKEW), 0);
    assert_int_equal(fq_check_fresh(INT64_MIN, INT64_MIN, SKEW), 0);
    assert_int_equal(fq_check_fresh(INT64_MAX - SKEW, INT64_MAX, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MAX - SKEW - 1, INT64_MAX, SKEW), 0);
    assert_int_equal(fq_check_fresh(INT64_MIN + SKEW, INT64_MIN, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MIN, INT64_MAX, SKEW), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MAX, INT64_MIN, SKEW), 0);
    assert_int_equal(fq_check_fresh(INT64_MAX, NOW, INT64_MAX), 0);
    assert_int_not_equal(fq_check_fresh(INT64_MIN, NOW, INT64_MAX), 0); /* 2^63 + NOW away */
    assert_int_equal(fq_check_fresh(-1, INT64_MIN, INT64_MAX), 0);      /* 2^63 - 1 away */
    assert_int_not_equal(fq_check_fresh(0, INT64_MIN, INT64_MAX), 0);   /* 2^63 away */
    /* occurred_at_ms "not later than now + skew" has the same addition. */
    good();
    report.occurred_at_ms = INT64_MAX;
    assert_int_equal(fq_validate_report(&report, INT64_MAX - 10, 100, err, sizeof err), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_report),
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_place_unit),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_address),
        cmocka_unit_test(test_external_ref),
        cmocka_unit_test(test_reporter_name),
        cmocka_unit_test(test_description),
        cmocka_unit_test(test_reporter_phone),
        cmocka_unit_test(test_occurred_at),
        cmocka_unit_test(test_first_failure_wins_and_err_truncation),
        cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_fresh),
    };
    const struct CMUnitTest extremes[] = {
        cmocka_unit_test(test_fresh_extremes),
    };
    if (argc > 1 && strcmp(argv[1], "extremes") == 0)
        return cmocka_run_group_tests_name("validate_extremes", extremes, NULL, NULL);
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
