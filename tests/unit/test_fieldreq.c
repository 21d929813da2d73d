/* test_fieldreq: the field API's bodies (server/web/fieldreq.h) — an action
 * and a report decoded into the terminal's messages with their photos, and
 * every refusal naming what it refuses with its code. */
#include "fieldreq.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static fq_field_action action;
static fq_field_report report;
static char err[200];

static int act(const char *body)
{
    err[0] = '\0';
    return fq_fieldreq_decode_action(body, strlen(body), &action, err, sizeof err);
}

static int rep(const char *body)
{
    err[0] = '\0';
    return fq_fieldreq_decode_report(body, strlen(body), &report, err, sizeof err);
}

static void test_action(void **state)
{
    (void)state;
    assert_int_equal(act("{\"request_id\":\"k3f9a1\",\"kind\":\"return\",\"note\":\"不属本网格\","
                         "\"reason\":\"wrong_jurisdiction\",\"right_place\":\"lingyin\","
                         "\"extend_to_ms\":0,\"extend_by_ms\":0,\"photos\":[]}"),
                     FQ_OK);
    assert_string_equal(action.request_id, "k3f9a1");
    assert_int_equal(action.action.kind, FENGQIAO__V1__ACTION_KIND__ACTION_RETURN);
    assert_int_equal(action.action.reason, FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION);
    assert_string_equal(action.action.note, "不属本网格");
    assert_string_equal(action.action.right_place, "lingyin");
    assert_int_equal(action.photos.n, 0);
    /* Left out: empty, 0; the reason may be "". */
    assert_int_equal(act("{\"request_id\":\"a\",\"kind\":\"acknowledge\",\"reason\":\"\"}"), FQ_OK);
    assert_string_equal(action.action.note, "");
    assert_int_equal(action.action.reason, 0);
    assert_int_equal(act("{\"request_id\":\"a\",\"kind\":\"extend\",\"note\":\"n\","
                         "\"extend_by_ms\":86400000}"),
                     FQ_OK);
    assert_int_equal(action.action.extend_by_ms, 86400000);
}

static void test_action_photos(void **state)
{
    (void)state;
    /* "hello" and a PNG's first bytes: the decoder takes the declared type;
     * whether the bytes are an image is the server's check. */
    assert_int_equal(act("{\"request_id\":\"p\",\"kind\":\"conclude\",\"note\":\"办结\","
                         "\"photos\":[{\"name\":\"after.jpg\",\"content_type\":\"image/jpeg\","
                         "\"data\":\"aGVsbG8=\"},{\"content_type\":\"image/png\","
                         "\"data\":\"iVBORw0KGgo=\"}]}"),
                     FQ_OK);
    assert_int_equal(action.photos.n, 2);
    assert_int_equal(action.photos.photo[0].len, 5);
    assert_memory_equal(action.photos.photo[0].bytes, "hello", 5);
    assert_string_equal(action.photos.photo[0].name, "after.jpg");
    assert_string_equal(action.photos.photo[0].content_type, "image/jpeg");
    uint8_t h[32];
    crypto_hash_sha256(h, (const uint8_t *)"hello", 5);
    assert_memory_equal(action.photos.photo[0].sha256, h, 32);
    assert_int_equal(action.photos.photo[1].len, 8);
    assert_string_equal(action.photos.photo[1].name, "");
    fq_fieldreq_photos_free(&action.photos);
    assert_int_equal(action.photos.n, 0);
}

/* A body with one photo of `decoded` bytes (all zero). */
static char *photo_body(size_t decoded, int count)
{
    size_t b64 = (decoded + 2) / 3 * 4;
    char *data = malloc(b64 + 1), *body = malloc(count * (b64 + 64) + 128);
    uint8_t *zeros = calloc(1, decoded ? decoded : 1);
    assert_non_null(data);
    assert_non_null(body);
    assert_non_null(zeros);
    sodium_bin2base64(data, b64 + 1, zeros, decoded, sodium_base64_VARIANT_ORIGINAL);
    size_t at =
        (size_t)sprintf(body, "{\"request_id\":\"big\",\"kind\":\"progress\",\"note\":\"n\","
                              "\"photos\":[");
    for (int i = 0; i < count; i++)
        at += (size_t)sprintf(body + at, "%s{\"content_type\":\"image/png\",\"data\":\"%s\"}",
                              i ? "," : "", data);
    strcpy(body + at, "]}");
    free(data);
    free(zeros);
    return body;
}

static void test_photo_limits(void **state)
{
    (void)state;
    char *body = photo_body(FQ_FIELD_MAX_PHOTO_BYTES, 1);
    assert_int_equal(act(body), FQ_OK);
    assert_int_equal(action.photos.photo[0].len, FQ_FIELD_MAX_PHOTO_BYTES);
    fq_fieldreq_photos_free(&action.photos);
    free(body);
    body = photo_body(FQ_FIELD_MAX_PHOTO_BYTES + 1, 1);
    assert_int_equal(act(body), FQ_ETOOLARGE);
    assert_string_equal(err, "photos[0].data is over 2 MiB");
    free(body);
    body = photo_body(10, 5);
    assert_int_equal(act(body), FQ_ETOOLARGE);
    assert_string_equal(err, "photos has more than 4 photos");
    free(body);
    /* A bad second photo: the first is freed with it (ASan would say). */
    assert_int_equal(act("{\"request_id\":\"p\",\"kind\":\"progress\",\"note\":\"n\",\"photos\":["
                         "{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"},"
                         "{\"content_type\":\"image/png\",\"data\":\"aGVsbG8\"}]}"),
                     FQ_EINVALID);
    assert_string_equal(err, "photos[1].data is not base64 (its length is not a multiple of 4)");
}

static void test_action_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int code;
        const char *message;
    } cases[] = {
        {"{\"kind\":\"acknowledge\"}", FQ_EINVALID, "request_id is required"},
        {"{\"request_id\":\"a\"}", FQ_EINVALID, "kind is required"},
        {"{\"request_id\":\"a b\",\"kind\":\"acknowledge\"}", FQ_EINVALID,
         "request_id must be 1 to 64 characters of [A-Za-z0-9_-]"},
        {"{\"request_id\":\"a\",\"kind\":\"assign\"}", FQ_EINVALID,
         "kind must be one of acknowledge, return, progress, extend, conclude, reply"},
        {"{\"request_id\":\"a\",\"kind\":\"acknowledge\",\"colour\":1}", FQ_EINVALID,
         "unknown field 'colour'"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"note\":7}", FQ_EINVALID,
         "note must be a string"},
        {"{\"request_id\":\"a\",\"kind\":\"extend\",\"extend_by_ms\":-1}", FQ_EINVALID,
         "extend_by_ms is out of range (0 to 4611686018427387903)"},
        {"{\"request_id\":\"a\",\"kind\":\"return\",\"reason\":\"tired\"}", FQ_EINVALID,
         "reason must be one of wrong_jurisdiction, beyond_capacity (or \"\")"},
        {"{\"request_id\":\"a\",\"kind\":\"acknowledge\"} x", FQ_EINVALID,
         "the body is not JSON: unexpected character"},
        {"[1]", FQ_EINVALID, "the body must be a JSON object"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":{}}", FQ_EINVALID,
         "photos must be an array"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"content_type\":\"text/"
         "plain\",\"data\":\"aGVsbG8=\"}]}",
         FQ_ENOTIMAGE, "photos[0].content_type must be image/jpeg or image/png"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"data\":\"aGVsbG8=\"}]}",
         FQ_EINVALID, "photos[0].content_type is required"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"content_type\":\"image/"
         "png\"}]}",
         FQ_EINVALID, "photos[0].data is required"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"content_type\":\"image/"
         "png\",\"data\":\"aGVs*G8=\"}]}",
         FQ_EINVALID, "photos[0].data is not base64"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"content_type\":\"image/"
         "png\",\"data\":\"\"}]}",
         FQ_EINVALID, "photos[0].data is empty"},
        {"{\"request_id\":\"a\",\"kind\":\"progress\",\"photos\":[{\"content_type\":\"image/"
         "png\",\"data\":\"aGVsbG8=\",\"exif\":1}]}",
         FQ_EINVALID, "unknown field 'photos[0].exif'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = act(cases[i].body);
        if (rc != cases[i].code || strcmp(err, cases[i].message) != 0)
            fail_msg("%s: %d '%s'", cases[i].body, rc, err);
        assert_int_equal(action.photos.n, 0);
    }
    /* A NUL inside a string, invalid UTF-8. */
    static const char nul[] = "{\"request_id\":\"a\",\"kind\":\"progress\",\"note\":\"a\\u0000b\"}";
    assert_int_equal(act(nul), FQ_EINVALID);
    assert_string_equal(err, "note contains a NUL character");
    assert_int_equal(act("{\"request_id\":\"a\",\"kind\":\"progress\",\"note\":\"\xff\"}"),
                     FQ_EINVALID);
}

static void test_report(void **state)
{
    (void)state;
    assert_int_equal(
        rep("{\"request_id\":\"r81c0e\",\"category\":\"fire_hazard\",\"severity\":\"iv\","
            "\"risk\":\"low\",\"title\":\"楼道堆物\",\"description\":\"\",\"address\":"
            "\"灵隐路12号\","
            "\"location\":{\"lat\":30.248,\"lng\":120.116},\"occurred_at_ms\":0,\"photos\":[]}"),
        FQ_OK);
    const Fengqiao__V1__ReportIncident *r = &report.report;
    assert_string_equal(report.request_id, "r81c0e");
    assert_string_equal(r->category, "fire_hazard");
    assert_int_equal(r->severity, FENGQIAO__V1__SEVERITY__SEVERITY_IV);
    assert_int_equal(r->risk, FENGQIAO__V1__RISK__RISK_LOW);
    assert_string_equal(r->title, "楼道堆物");
    assert_string_equal(r->address, "灵隐路12号");
    assert_non_null(r->location);
    assert_true(r->location->lat == 30.248 && r->location->lon == 120.116);
    assert_string_equal(r->place_unit, "");
    /* No fix: no location; an integer degree is a number too. */
    assert_int_equal(rep("{\"request_id\":\"r\",\"title\":\"t\",\"location\":null}"), FQ_OK);
    assert_null(report.report.location);
    assert_int_equal(rep("{\"request_id\":\"r\",\"location\":{\"lat\":30,\"lng\":120}}"), FQ_OK);
    assert_true(report.report.location->lat == 30.0);
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"{\"request_id\":\"r\",\"severity\":\"v\"}", "severity must be one of i, ii, iii, iv"},
        {"{\"request_id\":\"r\",\"risk\":\"\"}", "risk must be one of low, medium, high"},
        {"{\"request_id\":\"r\",\"location\":{\"lat\":\"30\",\"lng\":120}}",
         "location.lat must be a number"},
        {"{\"request_id\":\"r\",\"location\":{\"lat\":30}}", "location needs both lat and lng"},
        {"{\"request_id\":\"r\",\"location\":{\"lat\":30,\"lng\":120,\"alt\":5}}",
         "unknown field 'location.alt'"},
        {"{\"request_id\":\"r\",\"channel\":\"hotline\"}", "unknown field 'channel'"},
        {"{\"request_id\":\"r\",\"occurred_at_ms\":1.5}", "occurred_at_ms must be an integer"},
        {"{\"title\":\"t\"}", "request_id is required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = rep(cases[i].body);
        if (rc != FQ_EINVALID || strcmp(err, cases[i].message) != 0)
            fail_msg("%s: %d '%s'", cases[i].body, rc, err);
    }
    char title[4 * 200 + 16];
    memset(title, 'x', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    char body[2048];
    snprintf(body, sizeof body, "{\"request_id\":\"r\",\"title\":\"%s\"}", title);
    assert_int_equal(rep(body), FQ_EINVALID);
    assert_string_equal(err, "title is longer than 800 bytes");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action),       cmocka_unit_test(test_action_photos),
        cmocka_unit_test(test_photo_limits), cmocka_unit_test(test_action_refusals),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
