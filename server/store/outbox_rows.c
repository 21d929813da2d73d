#include "outbox_rows.h"

#include "pgarray.h"
#include "statements.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    COL_SEQ = 1,
    COL_KIND,
    COL_INCIDENT,
    COL_AT_MS,
    COL_BODY,
    COL_CATEGORY,
    COL_SEVERITY,
    COL_TITLE,
    COL_ADDRESS,
    COL_TERRITORY,
    COL_LON,
    COL_LAT,
    COL_EVENT_SEQ,
    COL_EXTERNAL_REF,
    COL_REPORTER_NODE,
    COL_REPORTER_NAME,
};

static long long column_ll(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

Fengqiao__V1__OutboxItem *fq_outbox_row_item(const PGresult *res, int row,
                                             Fengqiao__V1__OutboxItem *out,
                                             Fengqiao__V1__GeoPoint *point)
{
    size_t blen = 0;
    unsigned char *body =
        PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, COL_BODY), &blen);
    Fengqiao__V1__OutboxItem *it =
        body ? fengqiao__v1__outbox_item__unpack(NULL, blen, body) : NULL;
    PQfreemem(body);
    if (it == NULL)
        return NULL;
    Fengqiao__V1__OutboxItem *c = out;
    *c = *it;
    c->seq = (uint64_t)column_ll(res, row, COL_SEQ);
    c->kind = (Fengqiao__V1__ItemKind)column_ll(res, row, COL_KIND);
    c->incident_id = (uint64_t)column_ll(res, row, COL_INCIDENT);
    c->at_ms = column_ll(res, row, COL_AT_MS);
    c->event_seq = (uint64_t)column_ll(res, row, COL_EVENT_SEQ);
    if (c->title[0] == '\0') {
        /* Only reports carry the details: the rest get them as stored. */
        c->title = PQgetvalue(res, row, COL_TITLE);
        c->address = PQgetvalue(res, row, COL_ADDRESS);
        if (c->category[0] == '\0')
            c->category = PQgetvalue(res, row, COL_CATEGORY);
        if (c->severity == 0)
            c->severity = (Fengqiao__V1__Severity)column_ll(res, row, COL_SEVERITY);
        if (c->territory[0] == '\0')
            c->territory = PQgetvalue(res, row, COL_TERRITORY);
        if (c->location == NULL && !PQgetisnull(res, row, COL_LON)) {
            fengqiao__v1__geo_point__init(point);
            point->lon = strtod(PQgetvalue(res, row, COL_LON), NULL);
            point->lat = strtod(PQgetvalue(res, row, COL_LAT), NULL);
            c->location = point;
        }
    }
    if (c->reporter_node[0] == '\0') {
        /* Items of a change leave the report's own numbers to the incident. */
        c->external_ref = PQgetvalue(res, row, COL_EXTERNAL_REF);
        c->reporter_node = PQgetvalue(res, row, COL_REPORTER_NODE);
        c->reporter_node_name = PQgetvalue(res, row, COL_REPORTER_NAME);
    }
    return it;
}

/* Text parameters only: the others of an op reused for this statement are
 * cleared. */
static void bind_text(fq_store_op *op, fq_store_op_kind kind, int nparams)
{
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = kind;
    op->nparams = nparams;
    op->result_format = 0;
}

void fq_read_outbox_bind(fq_store_op *op, fq_read_outbox_params *p, const char *box, uint64_t after,
                         int limit)
{
    snprintf(p->box, sizeof p->box, "%s", box);
    snprintf(p->after, sizeof p->after, "%" PRIu64, after);
    snprintf(p->limit, sizeof p->limit, "%d", limit);
    bind_text(op, FQ_STORE_OP_READ_OUTBOX, FQ_SQL_READ_OUTBOX_NPARAMS);
    op->values[0] = p->box;
    op->values[1] = p->after;
    op->values[2] = p->limit;
}

void fq_find_request_bind(fq_store_op *op, const char *node, const char *message_id)
{
    bind_text(op, FQ_STORE_OP_FIND_REQUEST, FQ_SQL_FIND_REQUEST_NPARAMS);
    op->values[0] = node;
    op->values[1] = message_id;
    op->result_format = 1; /* fq_prior_request_row */
}

int fq_prior_request_row(const PGresult *res, int col, fq_prior_request *out)
{
    memset(out, 0, sizeof *out);
    if (res == NULL || PQntuples(res) < 1 || PQnfields(res) < col + 4 || PQgetisnull(res, 0, col))
        return 0;
    /* Binary (each statement's binder asks for it): the digest as stored,
     * the seqs as int8. A row of another shape is no earlier request. */
    for (int c = col; c < col + 4; c++)
        if (PQfformat(res, c) != 1 || PQgetisnull(res, 0, c))
            return 0;
    if (PQgetlength(res, 0, col + 2) != 8 || PQgetlength(res, 0, col + 3) != 8)
        return 0;
    if (PQgetlength(res, 0, col) == (int)sizeof out->digest) {
        memcpy(out->digest, PQgetvalue(res, 0, col), sizeof out->digest);
        out->digest_ok = 1;
    }
    out->state = PQgetvalue(res, 0, col + 1);
    out->event_seq = (uint64_t)fq_pg_get_int8((const uint8_t *)PQgetvalue(res, 0, col + 2));
    out->incident_id = (uint64_t)fq_pg_get_int8((const uint8_t *)PQgetvalue(res, 0, col + 3));
    return 1;
}
