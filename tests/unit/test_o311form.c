/* o311form: the decoders of Open311 input — paths and their formats, form
 * bodies and query strings against a resource's fields, W3C date-times and
 * degrees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "o311form.h"

#include <string.h>

static void test_paths(void **state)
{
    (void)state;
    fq_o311_path p;
    char err[200];
    assert_int_equal(fq_o311_path_parse("/open311/v2/services.xml", &p, err, sizeof err), 0);
    assert_int_equal(p.resource, FQ_O311_SERVICES);
    assert_int_equal(p.format, FQ_O311_XML);
    assert_int_equal(
        fq_o311_path_parse("/open311/v2/services/dispute.neighbour.json", &p, err, sizeof err), 0);
    assert_int_equal(p.resource, FQ_O311_SERVICE);
    assert_int_equal(p.format, FQ_O311_JSON);
    assert_string_equal(p.id, "dispute.neighbour");
    assert_int_equal(fq_o311_path_parse("/open311/v2/requests/42.xml", &p, err, sizeof err), 0);
    assert_int_equal(p.resource, FQ_O311_REQUEST);
    assert_string_equal(p.id, "42");
    assert_int_equal(fq_o311_path_parse("/open311/v2/requests.json", &p, err, sizeof err), 0);
    assert_int_equal(p.resource, FQ_O311_REQUESTS);

    assert_int_equal(fq_o311_path_parse("/open311/v2/services.csv", &p, err, sizeof err),
                     FQ_EINVALID);
    assert_int_equal(fq_o311_path_parse("/open311/v2/services", &p, err, sizeof err), FQ_EINVALID);
    assert_int_equal(fq_o311_path_parse("/open311/v2/tokens/1.xml", &p, err, sizeof err),
                     FQ_ENOTFOUND);
    assert_int_equal(fq_o311_path_parse("/open311/v2/requests/0x1.xml", &p, err, sizeof err),
                     FQ_ENOTFOUND);
    assert_int_equal(fq_o311_path_parse("/open311/v2/requests/1/2.xml", &p, err, sizeof err),
                     FQ_ENOTFOUND);
    assert_int_equal(fq_o311_path_parse("/open311/v2/services/.xml", &p, err, sizeof err),
                     FQ_ENOTFOUND);
    assert_int_equal(fq_o311_path_parse("/open311/v1/services.xml", &p, err, sizeof err),
                     FQ_ENOTFOUND);
}

static const char *const FIELDS[] = {"api_key", "description", "lat", NULL};

static void test_forms(void **state)
{
    (void)state;
    fq_o311_form f;
    char err[200];
    const char *body = "api_key=k&description=%E6%A5%BC%E9%81%93+%3Cb%3E&lat=30.1&&";
    assert_int_equal(fq_o311_form_parse(body, strlen(body), FIELDS, 100, &f, err, sizeof err), 0);
    assert_string_equal(f.values[0], "k");
    assert_string_equal(f.values[1], "楼道 <b>");
    assert_string_equal(f.values[2], "30.1");
    fq_o311_form_free(&f);

    assert_int_equal(fq_o311_form_parse("", 0, FIELDS, 100, &f, err, sizeof err), 0);
    assert_null(f.values[0]);
    fq_o311_form_free(&f);

    static const char *const bad[] = {"colour=red",
                                      "lat=1&lat=2",
                                      "lat=%zz",
                                      "lat=%4",
                                      "description=%00",
                                      "description=%C3%28",
                                      "description=0123456789012345678901234567890123456789"
                                      "0123456789012345678901234567890123456789"
                                      "0123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(
            fq_o311_form_parse(bad[i], strlen(bad[i]), FIELDS, 100, &f, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(fq_o311_form_parse("lat=1&lat=2", 11, FIELDS, 100, &f, err, sizeof err), -1);
    assert_string_equal(err, "lat is given twice");
}

static void test_datetimes(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(fq_o311_datetime_parse("1994-11-05T13:15:30Z", &ms), 0);
    assert_int_equal(ms, 784041330000LL);
    assert_int_equal(fq_o311_datetime_parse("1994-11-05T08:15:30-05:00", &ms), 0);
    assert_int_equal(ms, 784041330000LL);
    assert_int_equal(fq_o311_datetime_parse("2026-12-06T08:00:00.5+08:00", &ms), 0);
    assert_int_equal(ms % 1000, 500);
    assert_int_equal(fq_o311_datetime_parse("2026-02-29T00:00:00Z", &ms), -1);
    assert_int_equal(fq_o311_datetime_parse("2024-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(fq_o311_datetime_parse("2026-12-06T08:00:00", &ms), -1);
    assert_int_equal(fq_o311_datetime_parse("2026-12-06 08:00:00Z", &ms), -1);
    assert_int_equal(fq_o311_datetime_parse("yesterday", &ms), -1);
}

static void test_degrees(void **state)
{
    (void)state;
    double d;
    assert_int_equal(fq_o311_degrees_parse("30.248", &d), 0);
    assert_true(d == 30.248);
    assert_int_equal(fq_o311_degrees_parse("-120", &d), 0);
    static const char *const bad[] = {"", "0x1p3", "1e5", "nan", "inf", " 1", "1.2.3", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(fq_o311_degrees_parse(bad[i], &d), -1);
}

static void test_lists(void **state)
{
    (void)state;
    assert_true(fq_o311_list_ok("1,22,333", FQ_O311_LIST_IDS, 3));
    assert_false(fq_o311_list_ok("1,22,333", FQ_O311_LIST_IDS, 2));
    assert_false(fq_o311_list_ok("1,,2", FQ_O311_LIST_IDS, 9));
    assert_false(fq_o311_list_ok(",1", FQ_O311_LIST_IDS, 9));
    assert_false(fq_o311_list_ok("1,", FQ_O311_LIST_IDS, 9));
    assert_false(fq_o311_list_ok("", FQ_O311_LIST_IDS, 9));
    assert_false(fq_o311_list_ok("01", FQ_O311_LIST_IDS, 9));
    assert_true(fq_o311_list_ok("open,closed", FQ_O311_LIST_STATUSES, 2));
    assert_false(fq_o311_list_ok("opened", FQ_O311_LIST_STATUSES, 2));
    assert_true(fq_o311_list_ok("SR-APPEARANCE,dispute.neighbour", FQ_O311_LIST_CODES, 9));
    assert_false(fq_o311_list_ok("a b", FQ_O311_LIST_CODES, 9));
    assert_true(fq_o311_idempotency_key_ok("hotline-2026-0001"));
    assert_false(fq_o311_idempotency_key_ok("with space"));
    assert_false(fq_o311_idempotency_key_ok(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),     cmocka_unit_test(test_forms),
        cmocka_unit_test(test_datetimes), cmocka_unit_test(test_degrees),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
