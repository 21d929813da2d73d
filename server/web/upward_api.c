/* upward_api: GET /api/v1/upward/deliveries (upward_api.h). */
#include "upward_api.h"

#include "policy.h"
#include "statements.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fq_upward_api {
    fq_store *read_store;
};

typedef struct list_read {
    fq_store_op op;
    fq_web_req *r;
    char id[24];
    char jurisdiction[72];
} list_read;

/* FQ_SQL_UPWARD_LIST (sql/upward_list.sql) on q's op: the deliveries of
 * incident `id` if inside `within`; list_done reads them. */
static void list_bind(list_read *q, uint64_t id, const char *within)
{
    snprintf(q->id, sizeof q->id, "%" PRIu64, id);
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_UPWARD_LIST_NAME;
    q->op.nparams = FQ_SQL_UPWARD_LIST_NPARAMS;
    q->op.values[0] = q->id;
    q->op.values[1] = q->jurisdiction;
}

static json_object *ms_or_zero(const PGresult *res, int row, int col)
{
    return json_object_new_int64(
        PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10));
}

static json_object *receiver_of(const char *url)
{
    size_t n = 0;
    const char *host = fq_upward_receiver_host(url, &n);
    return json_object_new_string_len(host, (int)n);
}

static void list_done(fq_store_op *op, int status, const char *message)
{
    list_read *q = (list_read *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
        free(q);
        return;
    }
    if (PQntuples(res) == 0) {
        /* None with that id, or not within the asker's jurisdiction: the
         * same answer, so ids cannot be probed. */
        fq_web_respond_err(q->r, FQ_EFORBIDDEN, "no such incident in your jurisdiction");
        free(q);
        return;
    }
    json_object *doc = json_object_new_object(), *list = json_object_new_array();
    json_object_object_add(doc, "incident_id", json_object_new_int64(strtoll(q->id, NULL, 10)));
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 0))
            continue; /* the incident, without deliveries */
        json_object *d = json_object_new_object();
        json_object_object_add(d, "delivery_id", json_object_new_string(PQgetvalue(res, i, 0)));
        json_object_object_add(d, "receiver", receiver_of(PQgetvalue(res, i, 1)));
        json_object_object_add(d, "rule", json_object_new_string(PQgetvalue(res, i, 2)));
        json_object_object_add(d, "created_at_ms", ms_or_zero(res, i, 3));
        json_object_object_add(d, "attempts", json_object_new_int(atoi(PQgetvalue(res, i, 4))));
        json_object_object_add(d, "last_attempt_at_ms", ms_or_zero(res, i, 5));
        json_object_object_add(
            d, "last_status",
            json_object_new_int(PQgetisnull(res, i, 6) ? 0 : atoi(PQgetvalue(res, i, 6))));
        json_object_object_add(d, "last_error", json_object_new_string(PQgetvalue(res, i, 7)));
        int acked = !PQgetisnull(res, i, 9);
        json_object_object_add(d, "next_attempt_at_ms",
                               acked ? json_object_new_int64(0) : ms_or_zero(res, i, 8));
        json_object_object_add(d, "acknowledged_at_ms", ms_or_zero(res, i, 9));
        json_object_object_add(d, "state",
                               json_object_new_string(acked ? "acknowledged" : "pending"));
        json_object_array_add(list, d);
    }
    json_object_object_add(doc, "deliveries", list);
    fq_web_respond_json(q->r, 200, doc);
    free(q);
}

void fq_upward_api_handle(void *user, fq_web_req *r)
{
    fq_upward_api *a = user;
    if (strcmp(fq_web_req_path(r), "/api/v1/upward/deliveries") != 0) {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    if (strcmp(fq_web_req_method(r), "GET") != 0) {
        fq_web_respond_error(r, 405, "invalid", "the deliveries are read with GET", 0);
        return;
    }
    const fq_web_session *s = fq_web_req_session(r);
    if (s->role == FQ_WEB_WORKER) {
        fq_web_respond_err(r, FQ_EFORBIDDEN, "a field account does not read the console");
        return;
    }
    const char *digits = fq_web_req_query(r, "incident");
    char *end = NULL;
    unsigned long long id =
        digits != NULL && isdigit((unsigned char)digits[0]) ? strtoull(digits, &end, 10) : 0;
    if (id == 0 || id > (unsigned long long)INT64_MAX || *end != '\0') {
        fq_web_respond_err(r, FQ_EINVALID, "incident=ID is needed, ID a number");
        return;
    }
    list_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->r = r;
    list_bind(q, id, s->jurisdiction);
    q->op.done = list_done;
    fq_store_submit(a->read_store, &q->op);
}

fq_upward_api *fq_upward_api_new(fq_store *read_store)
{
    fq_upward_api *a = calloc(1, sizeof *a);
    if (a != NULL)
        a->read_store = read_store;
    return a;
}

void fq_upward_api_free(fq_upward_api *a)
{
    free(a);
}
