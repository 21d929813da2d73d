/* Tests of the binary COPY reader: a stream built byte by byte as
 * PostgreSQL sends it (the header in front of the first tuple's message, the
 * trailer alone), fields with NULLs and empty values read back, and streams
 * that are not binary COPY, or truncated, refused. */
#include "copy_binary.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

typedef struct buf {
    uint8_t b[512];
    size_t n;
} buf;

static void put(buf *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put16(buf *m, int16_t v)
{
    uint8_t b[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    put(m, b, 2);
}

static void put32(buf *m, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    put(m, b, 4);
}

static void header(buf *m, uint32_t flags, uint32_t extension)
{
    put(m, "PGCOPY\n\377\r\n", 11);
    put32(m, (int32_t)flags);
    put32(m, (int32_t)extension);
    for (uint32_t i = 0; i < extension; i++)
        put(m, "x", 1);
}

/* A tuple of three fields: "abc", NULL, "" (empty, not NULL). */
static void tuple(buf *m)
{
    put16(m, 3);
    put32(m, 3);
    put(m, "abc", 3);
    put32(m, -1);
    put32(m, 0);
}

static void test_stream_as_postgresql_sends_it(void **state)
{
    (void)state;
    buf first = {0}, second = {0}, trailer = {0};
    header(&first, 0, 0);
    tuple(&first);
    tuple(&second);
    put16(&trailer, -1);
    fq_copy_binary c;
    fq_copy_binary_init(&c);
    fq_pgfield f[4];
    int n;
    assert_int_equal(fq_copy_binary_message(&c, first.b, first.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 4, &n), 1);
    assert_int_equal(n, 3);
    assert_int_equal(f[0].len, 3);
    assert_memory_equal(f[0].p, "abc", 3);
    assert_int_equal(f[1].len, -1);
    assert_null(f[1].p);
    assert_int_equal(f[2].len, 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 4, &n), 0);
    assert_int_equal(fq_copy_binary_message(&c, second.b, second.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 4, &n), 1);
    assert_int_equal(fq_copy_binary_row(&c, f, 4, &n), 0);
    assert_false(c.ended);
    assert_int_equal(fq_copy_binary_message(&c, trailer.b, trailer.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 4, &n), 0);
    assert_true(c.ended);
    /* Nothing may follow the trailer. */
    assert_int_equal(fq_copy_binary_message(&c, second.b, second.n), -1);
}

static void test_empty_result_and_several_tuples_a_message(void **state)
{
    (void)state;
    buf m = {0};
    header(&m, 0x0000ffffu, 5); /* bits 0-15 are to be ignored; an extension skipped */
    tuple(&m);
    tuple(&m);
    put16(&m, -1);
    fq_copy_binary c;
    fq_copy_binary_init(&c);
    fq_pgfield f[3];
    int n, rows = 0, got;
    assert_int_equal(fq_copy_binary_message(&c, m.b, m.n), 0);
    while ((got = fq_copy_binary_row(&c, f, 3, &n)) == 1)
        rows++;
    assert_int_equal(got, 0);
    assert_int_equal(rows, 2);
    assert_true(c.ended);

    buf none = {0};
    header(&none, 0, 0);
    put16(&none, -1);
    fq_copy_binary_init(&c);
    assert_int_equal(fq_copy_binary_message(&c, none.b, none.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 3, &n), 0);
    assert_true(c.ended);
}

static void test_refused(void **state)
{
    (void)state;
    fq_copy_binary c;
    fq_pgfield f[3];
    int n;
    /* Text COPY, OIDs (flag 16), an unknown critical flag, a short header. */
    fq_copy_binary_init(&c);
    assert_int_equal(fq_copy_binary_message(&c, (const uint8_t *)"1\tabc\n", 6), -1);
    buf oids = {0};
    header(&oids, 1u << 16, 0);
    fq_copy_binary_init(&c);
    assert_int_equal(fq_copy_binary_message(&c, oids.b, oids.n), -1);
    buf critical = {0};
    header(&critical, 1u << 20, 0);
    fq_copy_binary_init(&c);
    assert_int_equal(fq_copy_binary_message(&c, critical.b, critical.n), -1);
    buf extension = {0};
    header(&extension, 0, 0);
    extension.n -= 4;
    put32(&extension, 100); /* longer than the message */
    fq_copy_binary_init(&c);
    assert_int_equal(fq_copy_binary_message(&c, extension.b, extension.n), -1);

    /* A tuple cut short anywhere, too many fields, a length below -1. */
    buf whole = {0};
    tuple(&whole);
    for (size_t cut = 1; cut < whole.n; cut++) {
        fq_copy_binary_init(&c);
        c.header_read = 1;
        assert_int_equal(fq_copy_binary_message(&c, whole.b, cut), 0);
        assert_int_equal(fq_copy_binary_row(&c, f, 3, &n), -1);
    }
    fq_copy_binary_init(&c);
    c.header_read = 1;
    assert_int_equal(fq_copy_binary_message(&c, whole.b, whole.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 2, &n), -1);
    buf negative = {0};
    put16(&negative, 1);
    put32(&negative, -2);
    fq_copy_binary_init(&c);
    c.header_read = 1;
    assert_int_equal(fq_copy_binary_message(&c, negative.b, negative.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 3, &n), -1);
    /* Bytes after the trailer in its message. */
    buf after = {0};
    put16(&after, -1);
    put16(&after, 0);
    fq_copy_binary_init(&c);
    c.header_read = 1;
    assert_int_equal(fq_copy_binary_message(&c, after.b, after.n), 0);
    assert_int_equal(fq_copy_binary_row(&c, f, 3, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_as_postgresql_sends_it),
        cmocka_unit_test(test_empty_result_and_several_tuples_a_message),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
