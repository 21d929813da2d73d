/* evidence: photos checked against the refs their envelope names — the
 * count, the sizes, the SHA-256, the type — each refusal with the code a
 * client acts on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "evidence.h"
#include "make_image.h"

#include <sodium.h>
#include <string.h>

typedef struct ref_set {
    Fengqiao__V1__AttachmentRef refs[6];
    Fengqiao__V1__AttachmentRef *ptrs[6];
    uint8_t sha[6][32];
    ProtobufCBinaryData photos[6];
} ref_set;

/* Refs that name `blobs` truthfully. */
static void name_them(ref_set *s, const test_blob *blobs, const char *const *types, size_t n)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        fengqiao__v1__attachment_ref__init(&s->refs[i]);
        crypto_hash_sha256(s->sha[i], blobs[i].data, blobs[i].len);
        s->refs[i].sha256.data = s->sha[i];
        s->refs[i].sha256.len = 32;
        s->refs[i].content_type = (char *)types[i];
        s->refs[i].size = blobs[i].len;
        s->refs[i].name = "after.jpg";
        s->ptrs[i] = &s->refs[i];
        s->photos[i].data = blobs[i].data;
        s->photos[i].len = blobs[i].len;
    }
}

static int check(ref_set *s, size_t n_refs, size_t n_photos, fq_evidence *ev)
{
    char err[256];
    memset(err, 'x', sizeof err);
    int rv = fq_evidence_check(s->ptrs, n_refs, s->photos, n_photos, ev, err, sizeof err);
    assert_non_null(memchr(err, 0, sizeof err));
    if (rv != FQ_OK)
        assert_true(err[0] != '\0');
    return rv;
}

static void test_true_refs_pass(void **state)
{
    (void)state;
    test_blob b[2] = {make_image("jpeg", 40, 30, NULL), make_image("png", 8, 9, NULL)};
    const char *types[] = {FQ_PHOTO_JPEG, FQ_PHOTO_PNG};
    ref_set s;
    name_them(&s, b, types, 2);
    fq_evidence ev;
    assert_int_equal(check(&s, 2, 2, &ev), FQ_OK);
    assert_int_equal(ev.n, 2);
    assert_int_equal(ev.total_bytes, b[0].len + b[1].len);
    assert_int_equal(ev.photos[0].width, 40);
    assert_int_equal(ev.photos[1].height, 9);
    assert_string_equal(ev.photos[1].content_type, FQ_PHOTO_PNG);
    assert_memory_equal(ev.photos[0].sha256, s.sha[0], 32);
    assert_ptr_equal(ev.photos[0].bytes, b[0].data);
    assert_string_equal(ev.photos[0].name, "after.jpg");
    /* None at all is fine too. */
    assert_int_equal(check(&s, 0, 0, &ev), FQ_OK);
    assert_int_equal(ev.n, 0);
    assert_string_equal(fq_err_code(FQ_OK), "");
    free(b[0].data);
    free(b[1].data);
}

static void test_mismatches(void **state)
{
    (void)state;
    test_blob b[2] = {make_image("jpeg", 40, 30, NULL), make_image("jpeg", 40, 30, "--seed 2")};
    const char *types[] = {FQ_PHOTO_JPEG, FQ_PHOTO_JPEG};
    ref_set s;
    fq_evidence ev;
    /* Refs without bytes, bytes without refs. */
    name_them(&s, b, types, 2);
    assert_int_equal(check(&s, 2, 1, &ev), FQ_EMISMATCH);
    assert_int_equal(check(&s, 1, 2, &ev), FQ_EMISMATCH);
    assert_int_equal(check(&s, 0, 1, &ev), FQ_EMISMATCH);
    /* Swapped: each is a real photo, but not the one named. */
    ProtobufCBinaryData t = s.photos[0];
    s.photos[0] = s.photos[1];
    s.photos[1] = t;
    if (b[0].len == b[1].len)
        assert_int_equal(check(&s, 2, 2, &ev), FQ_EMISMATCH);
    /* One byte changed. */
    name_them(&s, b, types, 2);
    b[1].data[b[1].len / 2] ^= 1;
    assert_int_equal(check(&s, 2, 2, &ev), FQ_EMISMATCH);
    assert_string_equal(fq_err_code(FQ_EMISMATCH), "photo_mismatch");
    /* A size that is not the bytes' length; a hash of the wrong length. */
    name_them(&s, b, types, 2);
    s.refs[0].size++;
    assert_int_equal(check(&s, 2, 2, &ev), FQ_EMISMATCH);
    name_them(&s, b, types, 2);
    s.refs[0].sha256.len = 31;
    assert_int_equal(check(&s, 2, 2, &ev), FQ_EMISMATCH);
    /* The right bytes and hash, but named a PNG. */
    const char *wrong[] = {FQ_PHOTO_PNG, FQ_PHOTO_JPEG};
    name_them(&s, b, wrong, 2);
    assert_int_equal(check(&s, 2, 2, &ev), FQ_EMISMATCH);
    free(b[0].data);
    free(b[1].data);
}

static void test_not_an_image(void **state)
{
    (void)state;
    static char text[] = "%PDF-1.4 not a photo at all";
    test_blob b[1] = {{(uint8_t *)text, sizeof text - 1}};
    const char *types[] = {FQ_PHOTO_JPEG};
    ref_set s;
    fq_evidence ev;
    name_them(&s, b, types, 1);
    assert_int_equal(check(&s, 1, 1, &ev), FQ_ENOTIMAGE);
    assert_string_equal(fq_err_code(FQ_ENOTIMAGE), "not_an_image");
    const char *gif[] = {"image/gif"};
    name_them(&s, b, gif, 1);
    assert_int_equal(check(&s, 1, 1, &ev), FQ_ENOTIMAGE);
}

static void test_too_large(void **state)
{
    (void)state;
    fq_evidence ev;
    ref_set s;
    /* Five photos, each fine alone. */
    test_blob one = make_image("png", 4, 4, NULL);
    test_blob five[5] = {one, one, one, one, one};
    const char *types[] = {FQ_PHOTO_PNG, FQ_PHOTO_PNG, FQ_PHOTO_PNG, FQ_PHOTO_PNG, FQ_PHOTO_PNG};
    name_them(&s, five, types, 5);
    assert_int_equal(check(&s, 4, 4, &ev), FQ_OK);
    assert_int_equal(check(&s, 5, 5, &ev), FQ_ETOOLARGE);
    assert_string_equal(fq_err_code(FQ_ETOOLARGE), "too_large");
    /* A real photo over 2 MiB; a ref that claims one (refused before its
     * bytes are hashed). */
    test_blob big = make_image("jpeg", 1200, 1200, "--noise");
    assert_true(big.len > FQ_PHOTO_MAX_BYTES);
    const char *jpeg[] = {FQ_PHOTO_JPEG};
    name_them(&s, &big, jpeg, 1);
    assert_int_equal(check(&s, 1, 1, &ev), FQ_ETOOLARGE);
    name_them(&s, &one, types, 1);
    s.refs[0].size = FQ_PHOTO_MAX_BYTES + 1;
    assert_int_equal(check(&s, 1, 1, &ev), FQ_ETOOLARGE);
    /* Too many pixels on a side, in few bytes. */
    test_blob wide = make_image("png", FQ_PHOTO_MAX_SIDE + 1, 2, NULL);
    name_them(&s, &wide, types, 1);
    assert_int_equal(check(&s, 1, 1, &ev), FQ_ETOOLARGE);
    free(one.data);
    free(big.data);
    free(wide.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_true_refs_pass),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_not_an_image),
        cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
