/* outbox_rows: an outbox item as FQ_SQL_READ_OUTBOX reads it, and the one
 * place its parameters (and FQ_SQL_FIND_REQUEST's) are bound. The body
 * holds what the event's statement knew; the row's columns add what the
 * body leaves to the table (seq, kind, incident, time, the event's seq) and
 * what only the incident holds (title, address and the rest for items of a
 * change; the report's external ref and reporting node for every item, so
 * that the server keeps no copy of them per open incident). Shared by the
 * terminal endpoint and the web console's live feed. */
#ifndef FQ_OUTBOX_ROWS_H
#define FQ_OUTBOX_ROWS_H

#include "fengqiao.pb-c.h"
#include "store.h"

#include <libpq-fe.h>
#include <stdint.h>

/* Row `row` of `res` (FQ_SQL_READ_OUTBOX; column 1 not NULL): the unpacked
 * body (free with fengqiao__v1__outbox_item__free_unpacked), and in `out` a
 * shallow copy of it completed from the row — its strings point into the
 * body and `res`, its location into `point`. NULL when the body does not
 * unpack (or out of memory). */
Fengqiao__V1__OutboxItem *fq_outbox_row_item(const PGresult *res, int row,
                                             Fengqiao__V1__OutboxItem *out,
                                             Fengqiao__V1__GeoPoint *point);

/* FQ_SQL_READ_OUTBOX's parameters as text: kept by the caller beside its op
 * until the op is done. */
typedef struct fq_read_outbox_params {
    char box[80], after[24], limit[12];
} fq_read_outbox_params;

/* Binds FQ_SQL_READ_OUTBOX on op (kind, parameters; `done` is the
 * caller's): the items of `box` after seq `after`, at most `limit`. */
void fq_read_outbox_bind(fq_store_op *op, fq_read_outbox_params *p, const char *box, uint64_t after,
                         int limit);

/* Binds FQ_SQL_FIND_REQUEST on op: the earlier request of `node` with
 * `message_id` (decimal); both strings must outlive the op. */
void fq_find_request_bind(fq_store_op *op, const char *node, const char *message_id);

/* An earlier terminal request as FQ_SQL_FIND_REQUEST returns it, and as the
 * ACTION and AFTERCARE statements return it after their own columns: digest,
 * state, event seq, incident, from column `col` on, in binary (their
 * binders ask for it). */
typedef struct fq_prior_request {
    int digest_ok; /* the digest is 32 bytes */
    unsigned char digest[32];
    const char *state; /* points into the result */
    uint64_t event_seq;
    uint64_t incident_id;
} fq_prior_request;

/* Row 0 of `res` from column `col` into `out`: 1 when there is such a
 * request (the digest column not NULL, every column binary and the seqs
 * 8 bytes), else 0. */
int fq_prior_request_row(const PGresult *res, int col, fq_prior_request *out);

#endif
