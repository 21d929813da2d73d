/* attachment_rows: the photos of an action or a report as the parameters
 * of the statement that writes its event (statements.h
 * FQ_SQL_ATTACHMENTS_CTE): six parallel one-dimensional arrays in
 * PostgreSQL's binary array format — sha256 bytea[], content type text[],
 * width int4[], height int4[], name text[], bytes bytea[] — so that the
 * bytes go to the server as they are, without hex or escaping. */
#ifndef FQ_ATTACHMENT_ROWS_H
#define FQ_ATTACHMENT_ROWS_H

#include "evidence.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_ATTACHMENT_NPARAMS 6

typedef struct fq_attachment_rows {
    uint8_t *buffer; /* malloc'd: the six arrays, one after the other */
    size_t size;
    size_t offset[FQ_ATTACHMENT_NPARAMS], length[FQ_ATTACHMENT_NPARAMS];
} fq_attachment_rows;

/* Encodes the checked photos (copying their bytes: the request's arena is
 * reset before the statement runs). With none, nothing is allocated and the
 * parameters bind as NULL (no rows). 0, or -1 when out of memory. */
int fq_attachment_rows_build(fq_attachment_rows *rows, const fq_evidence *evidence);

/* Points op->values[first .. first + 5] (0-based) at the arrays. */
void fq_attachment_rows_bind(const fq_attachment_rows *rows, fq_store_op *op, int first);

void fq_attachment_rows_free(fq_attachment_rows *rows);

#endif
