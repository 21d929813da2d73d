/* pgarray: PostgreSQL's binary format for one-dimensional arrays and the
 * scalars inside them (array_send / array_recv; each element as its type's
 * send function writes it), so that statements take many rows' values as a
 * few array parameters — ids, times, hashes and bytes as they are, without
 * text, hex or escaping — and hand arrays back the same way.
 *
 * Encoding goes into a caller-owned growable buffer (fq_pgbuf): several
 * arrays one after the other, each located by its offset and length once
 * the buffer has stopped moving. An allocation failure is remembered by the
 * buffer and reported once, at fq_pgarray_end. */
#ifndef FQ_PGARRAY_H
#define FQ_PGARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Element types (pg_type oids). */
#define FQ_PG_BOOL 16
#define FQ_PG_BYTEA 17
#define FQ_PG_INT8 20
#define FQ_PG_INT2 21
#define FQ_PG_INT4 23
#define FQ_PG_TEXT 25
#define FQ_PG_FLOAT8 701
#define FQ_PG_TIMESTAMPTZ 1184
/* An anonymous record (ROW(...)): its elements as record_send writes them
 * (a column count, then each column's type oid, length and bytes). */
#define FQ_PG_RECORD 2249

/* Microseconds from 1970-01-01 to 2000-01-01 UTC, PostgreSQL's epoch for
 * timestamps (integer datetimes). */
#define FQ_PG_EPOCH_OFFSET_US INT64_C(946684800000000)

/* Grows by doubling; free with fq_pgbuf_free. Zero-initialised is empty. */
typedef struct fq_pgbuf {
    uint8_t *data;
    size_t len, cap;
    int failed; /* an allocation failed: the contents are incomplete */
} fq_pgbuf;

void fq_pgbuf_reset(fq_pgbuf *b); /* empty again, keeping the memory */
void fq_pgbuf_free(fq_pgbuf *b);

/* One array being written into `buf`. */
typedef struct fq_pgarray {
    fq_pgbuf *buf;
    size_t start; /* offset of its header in buf */
    uint32_t oid;
    uint32_t count;
    int has_null;
} fq_pgarray;

void fq_pgarray_begin(fq_pgarray *a, fq_pgbuf *buf, uint32_t element_oid);
void fq_pgarray_null(fq_pgarray *a);
void fq_pgarray_bool(fq_pgarray *a, int v);
void fq_pgarray_int2(fq_pgarray *a, int16_t v);
void fq_pgarray_int4(fq_pgarray *a, int32_t v);
void fq_pgarray_int8(fq_pgarray *a, int64_t v);
void fq_pgarray_float8(fq_pgarray *a, double v);
/* Microseconds since 1970-01-01 UTC. */
void fq_pgarray_timestamptz(fq_pgarray *a, int64_t unix_us);
/* text: UTF-8 bytes, no NUL needed; bytea: any bytes. NULL pointer: NULL. */
void fq_pgarray_text(fq_pgarray *a, const char *s, size_t len);
void fq_pgarray_bytea(fq_pgarray *a, const void *bytes, size_t len);
/* A whole text[] of `n` NUL-terminated strings written into a fixed
 * buffer, for a statement's single-row parameter that must not allocate
 * (FQ_PGARRAY_TEXTS_BYTES(n, longest) bytes are enough). Its length, or 0
 * when it does not fit in `cap`. */
#define FQ_PGARRAY_TEXTS_BYTES(n, longest) (20 + (size_t)(n) * (4 + (size_t)(longest)))
size_t fq_pgarray_texts(uint8_t *out, size_t cap, const char *const *items, int n);
/* Completes the header. 0 and where the array lies in the buffer (valid
 * until the buffer grows again), or -1 when an allocation failed. */
int fq_pgarray_end(fq_pgarray *a, size_t *offset, size_t *length);

/* Scalars in binary parameter format (network byte order). */
void fq_pg_put_int8(uint8_t out[8], int64_t v);
void fq_pg_put_int4(uint8_t out[4], int32_t v);
void fq_pg_put_timestamptz(uint8_t out[8], int64_t unix_us);
int64_t fq_pg_get_int8(const uint8_t in[8]);
int32_t fq_pg_get_int4(const uint8_t in[4]);
int16_t fq_pg_get_int2(const uint8_t in[2]);
double fq_pg_get_float8(const uint8_t in[8]);
int64_t fq_pg_get_timestamptz(const uint8_t in[8]); /* microseconds since 1970 */

/* Reads a binary one-dimensional array (or an empty one) of `element_oid`
 * from a result field (PQgetvalue with binary results). */
typedef struct fq_pgarray_reader {
    const uint8_t *p, *end;
    uint32_t count, index;
} fq_pgarray_reader;

/* 0, or -1 when the bytes are not such an array (more dimensions, another
 * element type, truncated). */
int fq_pgarray_read_begin(fq_pgarray_reader *r, const void *data, size_t len, uint32_t element_oid);
/* 1 and the next element (*len -1 and *element NULL for a NULL element),
 * 0 after the last, -1 when the bytes are truncated. */
int fq_pgarray_read_next(fq_pgarray_reader *r, const uint8_t **element, int32_t *len);

#endif
