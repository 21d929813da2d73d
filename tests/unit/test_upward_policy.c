/* Tests of the reports upward's pure parts (upward/policy.h): which
 * incidents the rules report and why, the backoff schedule with its jitter
 * bounds, the JSON document, the key file's text and the signature (checked
 * against Python's hmac, computed independently). */
#include "policy.h"

#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_rules_default_grades(void **state)
{
    (void)state;
    fq_upward_rules r;
    char err[200], why[FQ_UPWARD_WHY_MAX];
    assert_int_equal(fq_upward_rules_parse(&r, NULL, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(fq_upward_match(&r, 1, "fire", "t", "d", why, sizeof why), 1);
    assert_string_equal(why, "grade:I");
    assert_int_equal(fq_upward_match(&r, 2, "fire", "t", "d", why, sizeof why), 1);
    assert_string_equal(why, "grade:II");
    assert_int_equal(fq_upward_match(&r, 3, "fire", "t", "d", why, sizeof why), 0);
    assert_string_equal(why, "");
    assert_int_equal(fq_upward_match(&r, 4, "fire", "t", "d", why, sizeof why), 0);
    assert_int_equal(fq_upward_match(&r, 0, "fire", "t", "d", why, sizeof why), 0);
    fq_upward_rules_free(&r);
}

static void test_rules_categories_keywords(void **state)
{
    (void)state;
    fq_upward_rules r;
    char err[200], why[FQ_UPWARD_WHY_MAX];
    assert_int_equal(
        fq_upward_rules_parse(&r, "1", " gas_leak , ,fire ", "爆炸, 群体性", err, sizeof err), 0);
    assert_int_equal(r.ncategories, 2);
    assert_string_equal(r.categories[0], "gas_leak");
    assert_int_equal(r.nkeywords, 2);
    assert_int_equal(fq_upward_match(&r, 2, "road", "路面塌陷", "", why, sizeof why), 0);
    assert_int_equal(fq_upward_match(&r, 4, "fire", "小火", "", why, sizeof why), 1);
    assert_string_equal(why, "category:fire");
    /* A code is matched whole: "fire" is not "firework". */
    assert_int_equal(fq_upward_match(&r, 4, "firework", "", "", why, sizeof why), 0);
    assert_int_equal(fq_upward_match(&r, 4, "road", "", "疑似群体性聚集", why, sizeof why), 1);
    assert_string_equal(why, "keyword:群体性");
    assert_int_equal(fq_upward_match(&r, 4, "road", "厂房爆炸", NULL, why, sizeof why), 1);
    assert_string_equal(why, "keyword:爆炸");
    /* The grade wins over the others, and says so. */
    assert_int_equal(fq_upward_match(&r, 1, "fire", "爆炸", "", why, sizeof why), 1);
    assert_string_equal(why, "grade:I");
    fq_upward_rules_free(&r);
    /* No grade at all: only the words report. */
    assert_int_equal(fq_upward_rules_parse(&r, "", NULL, NULL, err, sizeof err), 0);
    assert_int_equal(fq_upward_match(&r, 1, "fire", "x", "y", why, sizeof why), 0);
    fq_upward_rules_free(&r);
}

static void test_rules_refused(void **state)
{
    (void)state;
    fq_upward_rules r;
    char err[200];
    assert_int_equal(fq_upward_rules_parse(&r, "I,V", NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"V\""));
    assert_int_equal(fq_upward_rules_parse(&r, "II,0", NULL, NULL, err, sizeof err), -1);
    char many[64 * 3 + 8] = "";
    for (int i = 0; i < 65; i++)
        strcat(many, "a,");
    assert_int_equal(fq_upward_rules_parse(&r, NULL, many, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "upward-categories"));
}

static void test_backoff(void **state)
{
    (void)state;
    /* Equal jitter: half of the step fixed, the other half random. */
    assert_int_equal(fq_upward_backoff_ms(1, 1000, 60000, 0), 500);
    assert_int_equal(fq_upward_backoff_ms(1, 1000, 60000, 500), 1000);
    assert_int_equal(fq_upward_backoff_ms(1, 1000, 60000, 501), 500);
    assert_int_equal(fq_upward_backoff_ms(2, 1000, 60000, 0), 1000);
    assert_int_equal(fq_upward_backoff_ms(3, 1000, 60000, 0), 2000);
    assert_int_equal(fq_upward_backoff_ms(3, 1000, 60000, 2000), 4000);
    /* Capped, however many failures, and never beyond the cap. */
    for (unsigned f = 1; f < 200; f++)
        for (uint32_t x = 0; x < 5; x++) {
            uint64_t w = fq_upward_backoff_ms(f, 1000, 60000, x * 997u + f);
            assert_true(w >= 500 && w <= 60000);
        }
    assert_int_equal(fq_upward_backoff_ms(100, 1000, 60000, 0), 30000);
    assert_int_equal(fq_upward_backoff_ms(100, 1000, 60000, 30000), 60000);
    /* Failures 0 is read as the first. */
    assert_int_equal(fq_upward_backoff_ms(0, 1000, 60000, 0), 500);
    /* A cap under the floor: the floor. */
    assert_int_equal(fq_upward_backoff_ms(5, 1000, 10, 0), 500);
}

static void test_document(void **state)
{
    (void)state;
    fq_upward_incident inc = {0};
    inc.id = 42;
    inc.severity = 2;
    inc.category = "gas_leak";
    inc.category_name = "燃气泄漏";
    inc.town = "lingyin";
    inc.town_name = "灵隐街道";
    inc.place_name = "白乐桥社区";
    inc.address = "白乐桥 12 号";
    inc.title = "燃气管道破裂 \"危险\"";
    inc.description = "<script>x</script>";
    inc.has_position = 1;
    inc.lon = 120.1;
    inc.lat = 30.2;
    inc.recorded_ms = 1796464800123; /* 2026-12-05T10:00:00.123Z */
    inc.state = "assigned";
    inc.handler_name = "灵隐街道应急办";
    inc.rule = "grade:II";
    size_t len = 0;
    char *text =
        fq_upward_document(&inc, "0b8f9c1e-1111-4222-8333-944445555666", 3, 1796464801000, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_object *doc = json_tokener_parse(text);
    assert_non_null(doc);
    json_object *i = NULL, *v = NULL;
    assert_true(json_object_object_get_ex(doc, "delivery_id", &v));
    assert_string_equal(json_object_get_string(v), "0b8f9c1e-1111-4222-8333-944445555666");
    assert_true(json_object_object_get_ex(doc, "attempt", &v));
    assert_int_equal(json_object_get_int(v), 3);
    assert_true(json_object_object_get_ex(doc, "sent_at", &v));
    assert_string_equal(json_object_get_string(v), "2026-12-05T10:00:01.000Z");
    assert_true(json_object_object_get_ex(doc, "reason", &v));
    assert_string_equal(json_object_get_string(v), "grade:II");
    assert_true(json_object_object_get_ex(doc, "incident", &i));
    assert_true(json_object_object_get_ex(i, "id", &v));
    assert_int_equal(json_object_get_int64(v), 42);
    assert_true(json_object_object_get_ex(i, "grade", &v));
    assert_string_equal(json_object_get_string(v), "II");
    assert_true(json_object_object_get_ex(i, "grade_name", &v));
    assert_string_equal(json_object_get_string(v), "重大");
    assert_true(json_object_object_get_ex(i, "town_name", &v));
    assert_string_equal(json_object_get_string(v), "灵隐街道");
    assert_true(json_object_object_get_ex(i, "title", &v));
    assert_string_equal(json_object_get_string(v), "燃气管道破裂 \"危险\"");
    assert_true(json_object_object_get_ex(i, "recorded_at", &v));
    assert_string_equal(json_object_get_string(v), "2026-12-05T10:00:00.123Z");
    assert_false(json_object_object_get_ex(i, "occurred_at", &v));
    assert_true(json_object_object_get_ex(i, "lat", &v));
    assert_true(json_object_get_double(v) > 30.19 && json_object_get_double(v) < 30.21);
    /* Chinese as UTF-8, not \u escapes: what the receiver's people read. */
    assert_non_null(strstr(text, "灵隐街道"));
    json_object_put(doc);
    free(text);
}

static void test_key_and_signature(void **state)
{
    (void)state;
    uint8_t key[FQ_UPWARD_KEY_BYTES];
    char err[200];
    assert_int_equal(fq_upward_key_parse("  4a656665\n", key, err, sizeof err), -1);
    assert_non_null(strstr(err, "64 hexadecimal"));
    assert_int_equal(fq_upward_key_parse("zz" /* not hex */
                                         "0000000000000000000000000000000000000000000000000000000"
                                         "0000000",
                                         key, err, sizeof err),
                     -1);
    const char *hex = "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665";
    char text[100];
    snprintf(text, sizeof text, " %s\n", hex);
    assert_int_equal(fq_upward_key_parse(text, key, err, sizeof err), 0);
    assert_int_equal(key[0], 0x4a);
    assert_int_equal(key[31], 0x65);
    char sig[FQ_UPWARD_SIGNATURE_MAX];
    const char *body = "what do ya want for nothing?";
    fq_upward_sign(key, body, strlen(body), sig);
    /* python3 -c 'import hmac,hashlib;print(hmac.new(bytes.fromhex("4a656665"*8),
     *   b"what do ya want for nothing?",hashlib.sha256).hexdigest())' */
    assert_string_equal(sig,
                        "sha256=167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6");
}

static void test_receiver_host(void **state)
{
    (void)state;
    size_t n = 0;
    const char *h = fq_upward_receiver_host("https://platform.city.example:8443/api/x?token=s", &n);
    assert_int_equal(n, strlen("platform.city.example:8443"));
    assert_memory_equal(h, "platform.city.example:8443", n);
    h = fq_upward_receiver_host("https://p.example", &n);
    assert_int_equal(n, 9);
    h = fq_upward_receiver_host("no-scheme/x#y", &n);
    assert_int_equal(n, 9);
    h = fq_upward_receiver_host("", &n);
    assert_int_equal(n, 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_default_grades),
        cmocka_unit_test(test_rules_categories_keywords),
        cmocka_unit_test(test_rules_refused),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_key_and_signature),
        cmocka_unit_test(test_receiver_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
