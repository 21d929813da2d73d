#include "audit.h"

#include "fq_wire.h"
#include "pgarray.h"
#include "statements.h"
#include "validate.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct audit_row {
    fq_store_op op;
    fq_audit *audit;
    uint8_t message_id[8], frame_len[4]; /* int8, int4 (binary) */
    uint8_t digest[32];
    char node[FQ_ID_MAX_LEN + 1];
    char status[24];
    char reason[256];
} audit_row;

void fq_audit_init(fq_audit *a, uv_loop_t *loop, fq_store *store, const char *endpoint,
                   uint32_t per_second)
{
    a->loop = loop;
    a->store = store;
    a->endpoint = endpoint;
    a->per_second = per_second;
    a->tokens = per_second;
    a->refill_at = uv_now(loop);
    a->written = a->dropped = 0;
}

static void audit_done(fq_store_op *op, int status, const char *message)
{
    (void)message;
    audit_row *row = (audit_row *)op;
    if (status == FQ_OK)
        row->audit->written++;
    else
        row->audit->dropped++;
    free(row);
}

static int allowed(fq_audit *a)
{
    uint64_t now = uv_now(a->loop);
    a->tokens += (double)(now - a->refill_at) * a->per_second / 1000.0;
    if (a->tokens > a->per_second)
        a->tokens = a->per_second; /* burst: one second's worth */
    a->refill_at = now;
    if (a->tokens < 1.0)
        return 0;
    a->tokens -= 1.0;
    return 1;
}

/* FQ_SQL_INSERT_REJECTED (sql/insert_rejected.sql) on row's op: the
 * refusal of `frame` (its digest and length kept, never its bytes) from
 * `node` (kept only if a sane id: it is the peer's word) with `message_id`
 * (NULL when 0 or out of range), answered `err` (its reply status is
 * what the row keeps) for `reason`. */
static void rejected_bind(audit_row *row, const char *endpoint, const char *node,
                          uint64_t message_id, int err, const char *reason, const uint8_t *frame,
                          size_t len)
{
    crypto_generichash(row->digest, sizeof row->digest, frame, len, NULL, 0);
    snprintf(row->node, sizeof row->node, "%s", node && fq_valid_id(node) ? node : "");
    snprintf(row->status, sizeof row->status, "%s", fq_status_name(fq_err_status(err)));
    snprintf(row->reason, sizeof row->reason, "%s", reason);
    fq_pg_put_int4(row->frame_len, len <= INT32_MAX ? (int32_t)len : INT32_MAX);
    fq_store_op *op = &row->op;
    op->kind = FQ_STORE_OP_REJECTED;
    op->nparams = FQ_SQL_INSERT_REJECTED_NPARAMS;
    op->values[0] = endpoint;
    op->values[1] = row->node;
    if (message_id > 0 && message_id <= FQ_MAX_MESSAGE_ID) {
        fq_pg_put_int8(row->message_id, (int64_t)message_id);
        op->values[2] = (const char *)row->message_id;
    } else {
        op->values[2] = NULL;
    }
    op->lengths[2] = sizeof row->message_id;
    op->formats[2] = 1;
    op->values[3] = row->status;
    op->values[4] = row->reason;
    op->values[5] = (const char *)row->frame_len;
    op->lengths[5] = sizeof row->frame_len;
    op->formats[5] = 1;
    op->values[6] = (const char *)row->digest;
    op->lengths[6] = sizeof row->digest;
    op->formats[6] = 1;
}

void fq_audit_refusal(fq_audit *a, const uint8_t *frame, size_t len, const char *node,
                      uint64_t message_id, int err, const char *reason)
{
    if (!allowed(a)) {
        a->dropped++;
        return;
    }
    audit_row *row = calloc(1, sizeof *row);
    if (row == NULL) {
        a->dropped++;
        return;
    }
    row->audit = a;
    rejected_bind(row, a->endpoint, node, message_id, err, reason, frame, len);
    fq_store_op *op = &row->op;
    op->done = audit_done;
    fq_store_submit(a->store, op);
}
