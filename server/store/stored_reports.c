#include "stored_reports.h"

#include "pgcolumn.h"

#include "write_params.h"

#include <stdint.h>
#include <string.h>

/* The lookup's columns (sql/stored_reports.sql). */
enum { COL_POSITION, COL_ID, COL_RECORDED, COL_SEQ, COL_DIGEST, COL_OUTCOME, COL_NONCE, NCOLS };

int fq_stored_reports_bind(fq_pgbuf *buf, fq_store_op *const *ops, size_t n, const char *values[2],
                           int lengths[2], int formats[2])
{
    fq_pgbuf_reset(buf);
    size_t off[2], len[2];
    fq_pgarray a;
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t i = 0; i < n; i++) {
        const fq_report_params *p = ops[i]->report;
        if (p == NULL || p->node == NULL || p->message_id == 0 ||
            p->message_id > (uint64_t)INT64_MAX)
            return -1;
        fq_pgarray_text(&a, p->node, strlen(p->node));
    }
    int failed = fq_pgarray_end(&a, &off[0], &len[0]);
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (size_t i = 0; i < n; i++)
        fq_pgarray_int8(&a, (int64_t)ops[i]->report->message_id);
    failed |= fq_pgarray_end(&a, &off[1], &len[1]);
    if (failed)
        return -1;
    for (int k = 0; k < 2; k++) {
        values[k] = (const char *)buf->data + off[k];
        lengths[k] = (int)len[k];
        formats[k] = 1;
    }
    return 0;
}

int fq_stored_report_row(const PGresult *res, int row, fq_store_op *const *ops, size_t n)
{
    if (PQnfields(res) != NCOLS || row < 0 || row >= PQntuples(res))
        return -1;
    for (int c = 0; c < NCOLS; c++)
        if (PQfformat(res, c) != FQ_STORED_REPORTS_FORMAT)
            return -1;
    int64_t position, id, recorded_ms, seq, nonce;
    if (fq_pgcol_int(res, row, COL_POSITION, &position) != 0 || position < 1 ||
        (uint64_t)position > n || PQgetisnull(res, row, COL_ID) ||
        fq_pgcol_int(res, row, COL_ID, &id) != 0 || PQgetisnull(res, row, COL_RECORDED) ||
        fq_pgcol_ms(res, row, COL_RECORDED, &recorded_ms) != 0 ||
        fq_pgcol_int(res, row, COL_SEQ, &seq) != 0 ||
        fq_pgcol_int(res, row, COL_NONCE, &nonce) != 0)
        return -1;
    fq_pgfield digest = fq_pgcol_field(res, row, COL_DIGEST);
    fq_pgfield outcome = fq_pgcol_field(res, row, COL_OUTCOME);
    fq_store_op *op = ops[position - 1];
    if (digest.len != (int)sizeof op->stored_digest || outcome.len > FQ_STORE_MAX_OUTCOME)
        return -1;
    op->incident_id = id;
    op->created = 0;
    op->recorded_at_ms = recorded_ms;
    op->event_seq = seq;
    memcpy(op->stored_digest, digest.p, sizeof op->stored_digest);
    /* NULL: an incident stored without its decision (none is, since the
     * routing event is written with the report); answered without one. */
    op->stored_outcome_len = outcome.len > 0 ? (size_t)outcome.len : 0;
    if (outcome.len > 0)
        memcpy(op->stored_outcome, outcome.p, (size_t)outcome.len);
    op->stored_nonce = nonce;
    op->got_row = 1;
    return (int)(position - 1);
}
