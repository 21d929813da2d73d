/* For unit tests: a real JPEG or PNG made by fq-make-image (its path is the
 * FQ_MAKE_IMAGE definition), read into memory. Needs cmocka's asserts. */
#ifndef FQ_TEST_MAKE_IMAGE_H
#define FQ_TEST_MAKE_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct test_blob {
    uint8_t *data;
    size_t len;
} test_blob;

/* `type` "jpeg" or "png"; `extra` more options (--noise, --seed N) or NULL. */
static inline test_blob make_image(const char *type, unsigned w, unsigned h, const char *extra)
{
    char path[] = "/tmp/fq-test-photo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' --%s %u %u '%s' %s", FQ_MAKE_IMAGE, type, w, h, path,
             extra ? extra : "");
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    test_blob b = {malloc(n > 0 ? (size_t)n : 1), (size_t)n};
    assert_non_null(b.data);
    assert_int_equal(fread(b.data, 1, b.len, f), b.len);
    fclose(f);
    unlink(path);
    return b;
}

#endif
