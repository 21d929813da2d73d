/* pgfake: query results built in a test as libpq builds them
 * (PQmakeEmptyPGresult, PQsetResultAttrs, PQsetvalue), for the tests of the
 * row decoders without a server: a result of `ncols` columns in text (0) or
 * binary (1) format, then its cells one by one — as bytes, as the hex of what
 * PostgreSQL's send functions wrote (SELECT encode(int8send(42), 'hex')), or
 * as scalars in binary format. One copy for every such test; a failure to
 * build the result fails the test. Include after <cmocka.h>. */
#ifndef FQ_TEST_PGFAKE_H
#define FQ_TEST_PGFAKE_H

#include "pgarray.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline PGresult *pgfake_result(int ncols, int format)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    assert_non_null(res);
    PGresAttDesc *attrs = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *attrs);
    assert_non_null(attrs);
    for (int i = 0; i < ncols; i++) {
        attrs[i].name = (char *)"c";
        attrs[i].format = format;
        attrs[i].typlen = -1;
        attrs[i].atttypmod = -1;
    }
    assert_int_equal(PQsetResultAttrs(res, ncols, attrs), 1);
    free(attrs); /* PQsetResultAttrs copied them */
    return res;
}

/* `len` -1: NULL. */
static inline void pgfake_put(PGresult *res, int row, int col, const void *bytes, int len)
{
    assert_int_equal(PQsetvalue(res, row, col, (char *)bytes, len), 1);
}

static inline void pgfake_put_null(PGresult *res, int row, int col)
{
    pgfake_put(res, row, col, NULL, -1);
}

static inline void pgfake_put_text(PGresult *res, int row, int col, const char *s)
{
    pgfake_put(res, row, col, s, (int)strlen(s));
}

/* The bytes whose hex is `hex` (lower or upper case, no separators). */
static inline void pgfake_put_hex(PGresult *res, int row, int col, const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_int_equal(strlen(hex) % 2, 0);
    uint8_t *b = malloc(n > 0 ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    pgfake_put(res, row, col, b, (int)n);
    free(b); /* PQsetvalue copied them */
}

/* Scalars as int2send, int8send, float8send and timestamptz_send write them. */
static inline void pgfake_put_int2(PGresult *res, int row, int col, int v)
{
    uint8_t b[2] = {(uint8_t)((unsigned)v >> 8), (uint8_t)v};
    pgfake_put(res, row, col, b, 2);
}

static inline void pgfake_put_int8(PGresult *res, int row, int col, int64_t v)
{
    uint8_t b[8];
    fq_pg_put_int8(b, v);
    pgfake_put(res, row, col, b, 8);
}

static inline void pgfake_put_float8(PGresult *res, int row, int col, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    pgfake_put_int8(res, row, col, (int64_t)u);
}

/* Microseconds since 1970-01-01 UTC. */
static inline void pgfake_put_time_us(PGresult *res, int row, int col, int64_t unix_us)
{
    uint8_t b[8];
    fq_pg_put_timestamptz(b, unix_us);
    pgfake_put(res, row, col, b, 8);
}

#endif
