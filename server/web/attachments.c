/* attachments: the evidence's bytes (attachments.h). */
#include "attachments.h"

#include "statements.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fq_attachments {
    fq_dispatch *dispatch;
    fq_store *read_store;
};

typedef struct attachment_read {
    fq_store_op op;
    fq_web_req *r;
    char id[24];
    char jurisdiction[72]; /* a console account's; '' for a worker's */
    char box[72];          /* a worker account's outbox; '' for a console's */
    char if_none_match[256];
} attachment_read;

/* FQ_SQL_ATTACHMENT_GET (sql/attachment_get.sql) on q's op: attachment
 * `id` if a console of `within` or the worker of `box` may see it ('' for
 * the one that does not apply). Binary results (content type, sha256 in
 * hex, the bytes), which read_done reads. */
static void attachment_bind(attachment_read *q, uint64_t id, const char *within, const char *box)
{
    snprintf(q->id, sizeof q->id, "%" PRIu64, id);
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    snprintf(q->box, sizeof q->box, "%s", box);
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_ATTACHMENT_GET_NAME;
    q->op.nparams = FQ_SQL_ATTACHMENT_GET_NPARAMS;
    q->op.values[0] = q->id;
    q->op.values[1] = q->jurisdiction;
    q->op.values[2] = q->box;
    q->op.result_format = 1;
}

static void read_done(fq_store_op *op, int status, const char *message)
{
    attachment_read *q = (attachment_read *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
        free(q);
        return;
    }
    if (PQntuples(res) != 1) {
        /* None with that id, or not the asker's: the same answer, so ids
         * cannot be probed. */
        fq_web_respond_err(q->r, FQ_EFORBIDDEN, "no such attachment for this account");
        free(q);
        return;
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 1));
    fq_web_add_header(q->r, "ETag", etag);
    fq_web_add_header(q->r, "Cache-Control", "private, max-age=31536000, immutable");
    if (q->if_none_match[0] != '\0' && strstr(q->if_none_match, etag) != NULL) {
        fq_web_respond(q->r, 304, NULL, "", 0);
        free(q);
        return;
    }
    /* Binary results: the bytes as stored. */
    fq_web_respond(q->r, 200, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2),
                   (size_t)PQgetlength(res, 0, 2));
    free(q);
}

void fq_attachments_handle(void *user, fq_web_req *r)
{
    fq_attachments *a = user;
    static const char prefix[] = "/api/v1/attachments/";
    const char *path = fq_web_req_path(r);
    if (strcmp(fq_web_req_method(r), "GET") != 0 || strncmp(path, prefix, sizeof prefix - 1) != 0) {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    const char *digits = path + sizeof prefix - 1;
    char *end = NULL;
    unsigned long long id = isdigit((unsigned char)digits[0]) ? strtoull(digits, &end, 10) : 0;
    if (id == 0 || id > (unsigned long long)INT64_MAX || *end != '\0') {
        fq_web_respond_err(r, FQ_EINVALID, "the attachment id must be a number");
        return;
    }
    const fq_web_session *s = fq_web_req_session(r);
    attachment_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->r = r;
    const char *box = "", *within = "";
    if (s->role == FQ_WEB_WORKER) {
        /* The outbox of the node as loaded (a revoked node has none). */
        fq_snapshot *snap = fq_dispatch_current(a->dispatch);
        const fq_node *node = snap ? fq_directory_find(snap->directory, s->node_id) : NULL;
        if (node == NULL || node->revoked) {
            fq_web_respond_err(r, FQ_EUNAUTHENTICATED,
                               "this account's node is revoked; sign in again");
            free(q);
            return;
        }
        box = node->box;
    } else {
        within = s->jurisdiction;
    }
    const char *inm = fq_web_req_header(r, "if-none-match");
    if (inm != NULL)
        snprintf(q->if_none_match, sizeof q->if_none_match, "%s", inm);
    attachment_bind(q, id, within, box);
    q->op.done = read_done;
    fq_store_submit(a->read_store, &q->op);
}

fq_attachments *fq_attachments_new(fq_dispatch *dispatch, fq_store *read_store)
{
    fq_attachments *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->dispatch = dispatch;
    a->read_store = read_store;
    return a;
}

void fq_attachments_free(fq_attachments *a)
{
    free(a);
}
