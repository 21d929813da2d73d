/* fuzz_fieldreq: the JSON bodies a worker's phone sends (docs/http-api.md,
 * "The field API") through fq_fieldreq_decode_action and
 * fq_fieldreq_decode_report, the decoders that face phones. The first byte
 * picks the decoder (even: an action, odd: a report), the rest is the body.
 * Oracles beyond "no crash, no sanitizer report, no leak":
 *  - a refusal has a known code and a terminated, non-empty message;
 *  - an accepted body has a request_id of 1..64 of [A-Za-z0-9_-], strings
 *    within their bounds, at most 4 photos of 1 byte to 2 MiB each, each
 *    declared JPEG or PNG and carrying the SHA-256 of its bytes;
 *  - its message packs and unpacks to the same (what the endpoint reads is
 *    what was decoded). */
#include "fieldreq.h"
#include "fuzz_check.h"

#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_request_id(const char *s)
{
    size_t n = strlen(s);
    FQ_FUZZ_CHECK(n >= 1 && n <= 64);
    for (size_t i = 0; i < n; i++)
        FQ_FUZZ_CHECK(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-');
}

static void check_photos(const fq_field_photos *p)
{
    FQ_FUZZ_CHECK(p->n <= FQ_FIELD_MAX_PHOTOS);
    for (size_t i = 0; i < p->n; i++) {
        const fq_field_photo *ph = &p->photo[i];
        FQ_FUZZ_CHECK(ph->bytes != NULL && ph->len >= 1 && ph->len <= FQ_FIELD_MAX_PHOTO_BYTES);
        FQ_FUZZ_CHECK(strcmp(ph->content_type, "image/jpeg") == 0 ||
                      strcmp(ph->content_type, "image/png") == 0);
        FQ_FUZZ_CHECK(strlen(ph->name) <= FQ_FIELD_PHOTO_NAME_MAX);
        uint8_t h[32];
        crypto_hash_sha256(h, ph->bytes, ph->len);
        FQ_FUZZ_CHECK(memcmp(h, ph->sha256, 32) == 0);
    }
}

static void check_refusal(int rc, const char *err, size_t err_len)
{
    FQ_FUZZ_CHECK(rc == FQ_EINVALID || rc == FQ_ETOOLARGE || rc == FQ_ENOTIMAGE || rc == FQ_ENOMEM);
    FQ_FUZZ_CHECK(memchr(err, 0, err_len) != NULL);
    FQ_FUZZ_CHECK(err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fq_field_action action;
    static fq_field_report report;
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char err[200];
    memset(err, 'x', sizeof err);
    if ((data[0] & 1) == 0) {
        int rc = fq_fieldreq_decode_action(body, len, &action, err, sizeof err);
        if (rc != FQ_OK) {
            check_refusal(rc, err, sizeof err);
            return 0;
        }
        check_request_id(action.request_id);
        const Fengqiao__V1__AssignmentAction *a = &action.action;
        FQ_FUZZ_CHECK(a->kind >= FENGQIAO__V1__ACTION_KIND__ACTION_ACKNOWLEDGE &&
                      a->kind <= FENGQIAO__V1__ACTION_KIND__ACTION_REPLY);
        FQ_FUZZ_CHECK(strlen(a->note) <= 8000 && strlen(a->right_place) <= 64);
        FQ_FUZZ_CHECK(a->extend_to_ms >= 0 && a->extend_by_ms >= 0);
        check_photos(&action.photos);
        size_t n = fengqiao__v1__assignment_action__get_packed_size(a);
        uint8_t *buf = malloc(n ? n : 1);
        FQ_FUZZ_CHECK(buf != NULL);
        FQ_FUZZ_CHECK(fengqiao__v1__assignment_action__pack(a, buf) == n);
        Fengqiao__V1__AssignmentAction *back =
            fengqiao__v1__assignment_action__unpack(NULL, n, buf);
        FQ_FUZZ_CHECK(back != NULL && back->kind == a->kind && strcmp(back->note, a->note) == 0);
        fengqiao__v1__assignment_action__free_unpacked(back, NULL);
        free(buf);
        fq_fieldreq_photos_free(&action.photos);
        return 0;
    }
    int rc = fq_fieldreq_decode_report(body, len, &report, err, sizeof err);
    if (rc != FQ_OK) {
        check_refusal(rc, err, sizeof err);
        return 0;
    }
    check_request_id(report.request_id);
    const Fengqiao__V1__ReportIncident *r = &report.report;
    FQ_FUZZ_CHECK(strlen(r->category) <= 64 && strlen(r->title) <= 800 &&
                  strlen(r->description) <= 16000 && strlen(r->address) <= 2000);
    FQ_FUZZ_CHECK(r->location == NULL || r->location == &report.location);
    FQ_FUZZ_CHECK(r->occurred_at_ms >= 0);
    check_photos(&report.photos);
    size_t n = fengqiao__v1__report_incident__get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    FQ_FUZZ_CHECK(buf != NULL);
    FQ_FUZZ_CHECK(fengqiao__v1__report_incident__pack(r, buf) == n);
    Fengqiao__V1__ReportIncident *back = fengqiao__v1__report_incident__unpack(NULL, n, buf);
    FQ_FUZZ_CHECK(back != NULL && strcmp(back->title, r->title) == 0 &&
                  (back->location != NULL) == (r->location != NULL));
    fengqiao__v1__report_incident__free_unpacked(back, NULL);
    free(buf);
    fq_fieldreq_photos_free(&report.photos);
    return 0;
}
