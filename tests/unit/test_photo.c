/* photo: real JPEG and PNG files (made by fq-make-image with the same
 * libraries) pass with their sizes; truncated, garbage, mislabelled,
 * oversized and degenerate ones are refused with the right code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "make_image.h"
#include "photo.h"

#include <string.h>

typedef test_blob blob;

static int check(const blob *b, const char *type, fq_photo_info *info)
{
    char err[256];
    memset(err, 'x', sizeof err);
    int rv = fq_photo_check(b->data, b->len, type, info, err, sizeof err);
    assert_non_null(memchr(err, 0, sizeof err));
    if (rv != FQ_OK)
        assert_true(err[0] != '\0'); /* every refusal says why */
    return rv;
}

static void test_real_images_pass(void **state)
{
    (void)state;
    fq_photo_info info;
    blob j = make_image("jpeg", 64, 48, NULL);
    assert_int_equal(check(&j, FQ_PHOTO_JPEG, &info), FQ_OK);
    assert_string_equal(info.content_type, FQ_PHOTO_JPEG);
    assert_int_equal(info.width, 64);
    assert_int_equal(info.height, 48);
    blob p = make_image("png", 33, 1000, NULL);
    assert_int_equal(check(&p, FQ_PHOTO_PNG, &info), FQ_OK);
    assert_string_equal(info.content_type, FQ_PHOTO_PNG);
    assert_int_equal(info.width, 33);
    assert_int_equal(info.height, 1000);
    assert_string_equal(fq_photo_sniff(j.data, j.len), FQ_PHOTO_JPEG);
    assert_string_equal(fq_photo_sniff(p.data, p.len), FQ_PHOTO_PNG);
    free(j.data);
    free(p.data);
}

static void test_wrong_type_named(void **state)
{
    (void)state;
    fq_photo_info info;
    blob j = make_image("jpeg", 20, 20, NULL);
    blob p = make_image("png", 20, 20, NULL);
    assert_int_equal(check(&j, FQ_PHOTO_PNG, &info), FQ_EWRONGTYPE);
    assert_int_equal(check(&p, FQ_PHOTO_JPEG, &info), FQ_EWRONGTYPE);
    /* Only the two types are photos, whatever the bytes. */
    assert_int_equal(check(&j, "image/gif", &info), FQ_ENOTIMAGE);
    assert_int_equal(check(&j, "", &info), FQ_ENOTIMAGE);
    assert_int_equal(check(&p, "image/png; charset=x", &info), FQ_ENOTIMAGE);
    free(j.data);
    free(p.data);
}

/* Cut inside the header: what a broken upload leaves. */
static void test_truncated(void **state)
{
    (void)state;
    fq_photo_info info;
    blob j = make_image("jpeg", 200, 100, NULL);
    blob p = make_image("png", 200, 100, NULL);
    size_t cuts[] = {0, 1, 3, 8, 20, 100, 300};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        blob tj = {j.data, cuts[i]};
        assert_int_equal(check(&tj, FQ_PHOTO_JPEG, &info), FQ_ENOTIMAGE);
        if (cuts[i] < 33) { /* a PNG's header (signature and IHDR) is 33 bytes */
            blob tp = {p.data, cuts[i]};
            assert_int_equal(check(&tp, FQ_PHOTO_PNG, &info), FQ_ENOTIMAGE);
        }
    }
    free(j.data);
    free(p.data);
}

static void test_garbage(void **state)
{
    (void)state;
    fq_photo_info info;
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    blob g = {junk, sizeof junk};
    assert_int_equal(check(&g, FQ_PHOTO_JPEG, &info), FQ_ENOTIMAGE);
    assert_int_equal(check(&g, FQ_PHOTO_PNG, &info), FQ_ENOTIMAGE);
    /* A JPEG's signature followed by junk. */
    junk[0] = 0xff, junk[1] = 0xd8, junk[2] = 0xff;
    assert_int_equal(check(&g, FQ_PHOTO_JPEG, &info), FQ_ENOTIMAGE);
    /* A PNG's signature followed by junk. */
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(junk, sig, sizeof sig);
    assert_int_equal(check(&g, FQ_PHOTO_PNG, &info), FQ_ENOTIMAGE);
    /* Text that says it is an image. */
    const char *text = "<html>this is not a photo</html>";
    blob t = {(uint8_t *)text, strlen(text)};
    assert_int_equal(check(&t, FQ_PHOTO_JPEG, &info), FQ_ENOTIMAGE);
    assert_null(fq_photo_sniff(t.data, t.len));
}

/* A real PNG whose IHDR is altered: the CRC no longer matches. */
static void test_damaged_png_header(void **state)
{
    (void)state;
    fq_photo_info info;
    blob p = make_image("png", 40, 30, NULL);
    p.data[16 + 3] = 0; /* width's low byte: 40 -> 0 */
    assert_int_equal(check(&p, FQ_PHOTO_PNG, &info), FQ_ENOTIMAGE);
    free(p.data);
}

/* A JPEG whose frame header says 0 rows: libjpeg refuses it. */
static void test_jpeg_of_no_rows(void **state)
{
    (void)state;
    fq_photo_info info;
    blob j = make_image("jpeg", 16, 16, NULL);
    size_t i = 2;
    int patched = 0;
    while (i + 8 < j.len && j.data[i] == 0xff) {
        uint8_t marker = j.data[i + 1];
        size_t seglen = ((size_t)j.data[i + 2] << 8) | j.data[i + 3];
        if (marker == 0xc0) { /* SOF0: length, precision, height, width */
            j.data[i + 5] = 0;
            j.data[i + 6] = 0;
            patched = 1;
            break;
        }
        i += 2 + seglen;
    }
    assert_true(patched);
    assert_int_equal(check(&j, FQ_PHOTO_JPEG, &info), FQ_ENOTIMAGE);
    free(j.data);
}

static void test_limits(void **state)
{
    (void)state;
    fq_photo_info info;
    /* The sides: 12000 is allowed, 12001 is not (either side). */
    blob edge = make_image("png", FQ_PHOTO_MAX_SIDE, 1, NULL);
    assert_int_equal(check(&edge, FQ_PHOTO_PNG, &info), FQ_OK);
    blob wide = make_image("png", FQ_PHOTO_MAX_SIDE + 1, 1, NULL);
    assert_int_equal(check(&wide, FQ_PHOTO_PNG, &info), FQ_ETOOLARGE);
    blob tall = make_image("jpeg", 1, FQ_PHOTO_MAX_SIDE + 1, NULL);
    assert_int_equal(check(&tall, FQ_PHOTO_JPEG, &info), FQ_ETOOLARGE);
    /* The bytes: a real image over 2 MiB (noise does not compress). */
    blob big = make_image("jpeg", 1200, 1200, "--noise");
    assert_true(big.len > FQ_PHOTO_MAX_BYTES);
    assert_int_equal(check(&big, FQ_PHOTO_JPEG, &info), FQ_ETOOLARGE);
    blob at = {big.data,
               FQ_PHOTO_MAX_BYTES}; /* exactly 2 MiB: within the limit (only the header is read) */
    assert_int_equal(check(&at, FQ_PHOTO_JPEG, &info), FQ_OK);
    assert_int_equal(info.width, 1200);
    free(edge.data);
    free(wide.data);
    free(tall.data);
    free(big.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_images_pass),
        cmocka_unit_test(test_wrong_type_named),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_damaged_png_header),
        cmocka_unit_test(test_jpeg_of_no_rows),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests_name("photo", tests, NULL, NULL);
}
