/* Tests of the binary array codec: the bytes PostgreSQL's array_send gives
 * for the same arrays (taken from a real server: `SELECT
 * encode(array_send(ARRAY[1, NULL, -3]::int8[]), 'hex')` and so on), empty
 * arrays, several arrays in one buffer, and the reader on good and
 * truncated input. */
#include "pgarray.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void assert_hex(const fq_pgbuf *b, size_t off, size_t len, const char *hex)
{
    char got[512];
    assert_true(len * 2 < sizeof got);
    for (size_t i = 0; i < len; i++)
        snprintf(got + 2 * i, 3, "%02x", b->data[off + i]);
    got[2 * len] = '\0';
    assert_string_equal(got, hex);
}

static void test_as_array_send(void **state)
{
    (void)state;
    fq_pgbuf b = {0};
    fq_pgarray a;
    size_t off, len;

    fq_pgarray_begin(&a, &b, FQ_PG_INT8);
    fq_pgarray_int8(&a, 1);
    fq_pgarray_null(&a);
    fq_pgarray_int8(&a, -3);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len,
               "0000000100000001000000140000000300000001000000080000000000000001ffffffff00000008"
               "fffffffffffffffd");

    fq_pgarray_begin(&a, &b, FQ_PG_INT8);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "000000000000000000000014");

    fq_pgarray_begin(&a, &b, FQ_PG_TEXT);
    fq_pgarray_text(&a, "a", 1);
    fq_pgarray_text(&a, "", 0);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "0000000100000000000000190000000200000001000000016100000000");

    fq_pgarray_begin(&a, &b, FQ_PG_TIMESTAMPTZ);
    fq_pgarray_timestamptz(&a, FQ_PG_EPOCH_OFFSET_US + 1000000);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "0000000100000000000004a000000001000000010000000800000000000f4240");

    fq_pgarray_begin(&a, &b, FQ_PG_BOOL);
    fq_pgarray_bool(&a, 1);
    fq_pgarray_bool(&a, 0);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "000000010000000000000010000000020000000100000001010000000100");

    fq_pgarray_begin(&a, &b, FQ_PG_FLOAT8);
    fq_pgarray_float8(&a, 1.5);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "0000000100000000000002bd0000000100000001000000083ff8000000000000");

    fq_pgarray_begin(&a, &b, FQ_PG_INT2);
    fq_pgarray_int2(&a, -2);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_hex(&b, off, len, "000000010000000000000015000000010000000100000002fffe");
    fq_pgbuf_free(&b);
}

/* Arrays one after the other in one buffer, read back in place. */
static void test_round_trip(void **state)
{
    (void)state;
    fq_pgbuf b = {0};
    fq_pgarray a;
    size_t off[3], len[3];
    fq_pgarray_begin(&a, &b, FQ_PG_BYTEA);
    for (int i = 0; i < 1000; i++) /* makes the buffer grow */
        fq_pgarray_bytea(&a, "xyz", (size_t)(i % 4));
    fq_pgarray_bytea(&a, NULL, 0);
    assert_int_equal(fq_pgarray_end(&a, &off[0], &len[0]), 0);
    fq_pgarray_begin(&a, &b, FQ_PG_INT4);
    fq_pgarray_int4(&a, INT32_MIN);
    fq_pgarray_int4(&a, 7);
    assert_int_equal(fq_pgarray_end(&a, &off[1], &len[1]), 0);
    fq_pgarray_begin(&a, &b, FQ_PG_TEXT);
    assert_int_equal(fq_pgarray_end(&a, &off[2], &len[2]), 0);
    assert_int_equal(off[2] + len[2], b.len);

    fq_pgarray_reader r;
    const uint8_t *e;
    int32_t n;
    assert_int_equal(fq_pgarray_read_begin(&r, b.data + off[0], len[0], FQ_PG_BYTEA), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 1);
        assert_int_equal(n, i % 4);
        assert_memory_equal(e, "xyz", (size_t)n);
    }
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 1);
    assert_int_equal(n, -1);
    assert_null(e);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 0);

    assert_int_equal(fq_pgarray_read_begin(&r, b.data + off[1], len[1], FQ_PG_INT4), 0);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 1);
    assert_int_equal(fq_pg_get_int4(e), INT32_MIN);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 1);
    assert_int_equal(fq_pg_get_int4(e), 7);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 0);

    /* Empty; the wrong element type; truncated. */
    assert_int_equal(fq_pgarray_read_begin(&r, b.data + off[2], len[2], FQ_PG_TEXT), 0);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 0);
    assert_int_equal(fq_pgarray_read_begin(&r, b.data + off[1], len[1], FQ_PG_INT8), -1);
    assert_int_equal(fq_pgarray_read_begin(&r, b.data + off[1], len[1] - 1, FQ_PG_INT4), 0);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), 1);
    assert_int_equal(fq_pgarray_read_next(&r, &e, &n), -1);
    assert_int_equal(fq_pgarray_read_begin(&r, b.data, 11, FQ_PG_BYTEA), -1);
    fq_pgbuf_free(&b);
}

static void test_scalars(void **state)
{
    (void)state;
    uint8_t v[8];
    fq_pg_put_int8(v, -2);
    assert_int_equal(fq_pg_get_int8(v), -2);
    fq_pg_put_timestamptz(v, 1700000000123456);
    assert_int_equal(fq_pg_get_timestamptz(v), 1700000000123456);
    assert_int_equal(fq_pg_get_int8(v), 1700000000123456 - FQ_PG_EPOCH_OFFSET_US);
    uint8_t s[2] = {0xff, 0xfe};
    assert_int_equal(fq_pg_get_int2(s), -2);
    uint8_t d[8] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    assert_true(fq_pg_get_float8(d) == 1.5);
}

/* The fixed-buffer text[] is the same bytes as the growable one, and
 * refuses what does not fit instead of truncating. */
static void test_texts_fixed(void **state)
{
    (void)state;
    const char *items[] = {"district-1.police", "x"};
    uint8_t out[FQ_PGARRAY_TEXTS_BYTES(2, 17)];
    size_t n = fq_pgarray_texts(out, sizeof out, items, 2);
    fq_pgbuf b = {0};
    fq_pgarray a;
    size_t off, len;
    fq_pgarray_begin(&a, &b, FQ_PG_TEXT);
    fq_pgarray_text(&a, items[0], strlen(items[0]));
    fq_pgarray_text(&a, items[1], 1);
    assert_int_equal(fq_pgarray_end(&a, &off, &len), 0);
    assert_int_equal(n, len);
    assert_memory_equal(out, b.data + off, len);
    assert_int_equal(fq_pgarray_texts(out, len - 1, items, 2), 0);
    uint8_t empty[12];
    assert_int_equal(fq_pgarray_texts(empty, sizeof empty, items, 0), 12);
    fq_pgarray_reader r;
    assert_int_equal(fq_pgarray_read_begin(&r, empty, 12, FQ_PG_TEXT), 0);
    assert_int_equal(r.count, 0);
    fq_pgbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_array_send),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_texts_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
