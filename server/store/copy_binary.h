/* copy_binary: PostgreSQL's binary COPY format read row by row
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"):
 * the 11-byte signature, the flags and the header extension once, then
 * tuples (a 16-bit field count, each field a 32-bit length, -1 for NULL,
 * and its bytes), then a count of -1. The data arrives as libpq's CopyData
 * messages (PQgetCopyData): PostgreSQL puts the header in front of the
 * first tuple's message, and a message may hold the trailer alone. Pure: no
 * I/O; the fields point into the message handed in. */
#ifndef FQ_COPY_BINARY_H
#define FQ_COPY_BINARY_H

#include "pgcolumn.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_copy_binary {
    int header_read;
    int ended;              /* the trailer came */
    const uint8_t *p, *end; /* what is left of the message being read */
} fq_copy_binary;

void fq_copy_binary_init(fq_copy_binary *c);

/* The next message (`len` bytes at `msg`, kept by the caller while its rows
 * are read). 0, or -1 when the stream's header is not binary COPY's (or a
 * message comes after the trailer). */
int fq_copy_binary_message(fq_copy_binary *c, const uint8_t *msg, size_t len);

/* The next tuple of the message: its fields into `fields` (at most
 * `max_fields`; `*nfields` says how many it has). 1 a tuple, 0 the message
 * is read (or the trailer came: `ended`), -1 malformed (truncated, more
 * fields than `max_fields`, a negative length other than -1). */
int fq_copy_binary_row(fq_copy_binary *c, fq_pgfield *fields, int max_fields, int *nfields);

#endif
