#include "pgarray.h"

#include <stdlib.h>
#include <string.h>

/* array_recv's input: ndim, has-nulls flag, element type, then per
 * dimension its length and lower bound; then each element as a 4-byte
 * length (-1: NULL) and its bytes. */
#define HEADER_BYTES 20
#define EMPTY_HEADER_BYTES 12

void fq_pgbuf_reset(fq_pgbuf *b)
{
    b->len = 0;
    b->failed = 0;
}

void fq_pgbuf_free(fq_pgbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

/* Room for n more bytes; NULL (and the buffer marked failed) when out of
 * memory. */
static uint8_t *grow(fq_pgbuf *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return NULL;
            }
            cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = 1;
            return NULL;
        }
        b->data = d;
        b->cap = cap;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

void fq_pg_put_int4(uint8_t out[4], int32_t v)
{
    uint32_t u = (uint32_t)v;
    out[0] = (uint8_t)(u >> 24);
    out[1] = (uint8_t)(u >> 16);
    out[2] = (uint8_t)(u >> 8);
    out[3] = (uint8_t)u;
}

void fq_pg_put_int8(uint8_t out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)u;
        u >>= 8;
    }
}

void fq_pg_put_timestamptz(uint8_t out[8], int64_t unix_us)
{
    fq_pg_put_int8(out, unix_us - FQ_PG_EPOCH_OFFSET_US);
}

int64_t fq_pg_get_int8(const uint8_t in[8])
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | in[i];
    return (int64_t)u;
}

int32_t fq_pg_get_int4(const uint8_t in[4])
{
    return (int32_t)((uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 |
                     (uint32_t)in[3]);
}

int16_t fq_pg_get_int2(const uint8_t in[2])
{
    return (int16_t)(uint16_t)((unsigned)in[0] << 8 | in[1]);
}

double fq_pg_get_float8(const uint8_t in[8])
{
    uint64_t u = (uint64_t)fq_pg_get_int8(in);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

int64_t fq_pg_get_timestamptz(const uint8_t in[8])
{
    return fq_pg_get_int8(in) + FQ_PG_EPOCH_OFFSET_US;
}

void fq_pgarray_begin(fq_pgarray *a, fq_pgbuf *buf, uint32_t element_oid)
{
    a->buf = buf;
    a->start = buf->len;
    a->oid = element_oid;
    a->count = 0;
    a->has_null = 0;
    /* Filled in by fq_pgarray_end. */
    uint8_t *p = grow(buf, HEADER_BYTES);
    if (p != NULL)
        memset(p, 0, HEADER_BYTES);
}

/* An element of n bytes: its length word written, the bytes left to the
 * caller (NULL when out of memory). */
static uint8_t *element(fq_pgarray *a, size_t n)
{
    a->count++;
    if (n > INT32_MAX) {
        a->buf->failed = 1;
        return NULL;
    }
    uint8_t *p = grow(a->buf, 4 + n);
    if (p == NULL)
        return NULL;
    fq_pg_put_int4(p, (int32_t)n);
    return p + 4;
}

void fq_pgarray_null(fq_pgarray *a)
{
    a->count++;
    a->has_null = 1;
    uint8_t *p = grow(a->buf, 4);
    if (p != NULL)
        fq_pg_put_int4(p, -1);
}

void fq_pgarray_bool(fq_pgarray *a, int v)
{
    uint8_t *p = element(a, 1);
    if (p != NULL)
        p[0] = v ? 1 : 0;
}

void fq_pgarray_int2(fq_pgarray *a, int16_t v)
{
    uint8_t *p = element(a, 2);
    if (p != NULL) {
        p[0] = (uint8_t)((uint16_t)v >> 8);
        p[1] = (uint8_t)v;
    }
}

void fq_pgarray_int4(fq_pgarray *a, int32_t v)
{
    uint8_t *p = element(a, 4);
    if (p != NULL)
        fq_pg_put_int4(p, v);
}

void fq_pgarray_int8(fq_pgarray *a, int64_t v)
{
    uint8_t *p = element(a, 8);
    if (p != NULL)
        fq_pg_put_int8(p, v);
}

void fq_pgarray_float8(fq_pgarray *a, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    fq_pgarray_int8(a, (int64_t)u);
}

void fq_pgarray_timestamptz(fq_pgarray *a, int64_t unix_us)
{
    fq_pgarray_int8(a, unix_us - FQ_PG_EPOCH_OFFSET_US);
}

void fq_pgarray_bytea(fq_pgarray *a, const void *bytes, size_t len)
{
    if (bytes == NULL) {
        fq_pgarray_null(a);
        return;
    }
    uint8_t *p = element(a, len);
    if (p != NULL && len > 0)
        memcpy(p, bytes, len);
}

void fq_pgarray_text(fq_pgarray *a, const char *s, size_t len)
{
    fq_pgarray_bytea(a, s, len);
}

int fq_pgarray_end(fq_pgarray *a, size_t *offset, size_t *length)
{
    fq_pgbuf *b = a->buf;
    if (b->failed || a->count > INT32_MAX)
        return -1;
    uint8_t *h = b->data + a->start;
    if (a->count == 0) {
        /* An empty array has no dimensions. */
        fq_pg_put_int4(h, 0);
        fq_pg_put_int4(h + 4, 0);
        fq_pg_put_int4(h + 8, (int32_t)a->oid);
        b->len = a->start + EMPTY_HEADER_BYTES;
    } else {
        fq_pg_put_int4(h, 1);
        fq_pg_put_int4(h + 4, a->has_null);
        fq_pg_put_int4(h + 8, (int32_t)a->oid);
        fq_pg_put_int4(h + 12, (int32_t)a->count);
        fq_pg_put_int4(h + 16, 1);
    }
    *offset = a->start;
    *length = b->len - a->start;
    return 0;
}

size_t fq_pgarray_texts(uint8_t *out, size_t cap, const char *const *items, int n)
{
    size_t used = n > 0 ? HEADER_BYTES : EMPTY_HEADER_BYTES;
    if (n < 0 || cap < used)
        return 0;
    fq_pg_put_int4(out, n > 0);
    fq_pg_put_int4(out + 4, 0);
    fq_pg_put_int4(out + 8, FQ_PG_TEXT);
    if (n > 0) {
        fq_pg_put_int4(out + 12, n);
        fq_pg_put_int4(out + 16, 1);
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(items[i]);
        if (len > INT32_MAX || cap - used < 4 + len)
            return 0;
        fq_pg_put_int4(out + used, (int32_t)len);
        memcpy(out + used + 4, items[i], len);
        used += 4 + len;
    }
    return used;
}

int fq_pgarray_read_begin(fq_pgarray_reader *r, const void *data, size_t len, uint32_t element_oid)
{
    const uint8_t *p = data;
    r->p = r->end = p;
    r->count = r->index = 0;
    if (p == NULL || len < EMPTY_HEADER_BYTES)
        return -1;
    int32_t ndim = fq_pg_get_int4(p);
    if ((uint32_t)fq_pg_get_int4(p + 8) != element_oid)
        return -1;
    if (ndim == 0) {
        r->p = p + EMPTY_HEADER_BYTES;
        r->end = p + len;
        return 0;
    }
    if (ndim != 1 || len < HEADER_BYTES)
        return -1;
    int32_t n = fq_pg_get_int4(p + 12);
    if (n < 0)
        return -1;
    r->count = (uint32_t)n;
    r->p = p + HEADER_BYTES;
    r->end = p + len;
    return 0;
}

int fq_pgarray_read_next(fq_pgarray_reader *r, const uint8_t **element, int32_t *len)
{
    if (r->index >= r->count)
        return 0;
    if (r->end - r->p < 4)
        return -1;
    int32_t n = fq_pg_get_int4(r->p);
    r->p += 4;
    if (n < 0) {
        *element = NULL;
        *len = -1;
    } else {
        if (r->end - r->p < n)
            return -1;
        *element = r->p;
        *len = n;
        r->p += n;
    }
    r->index++;
    return 1;
}
