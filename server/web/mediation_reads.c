/* mediation_reads: the mediation's reads (mediation_reads.h). */
#include "mediation_reads.h"

#include "statements.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fq_mediation_reads {
    fq_store *store, *read_store;
};

typedef struct mediation_read {
    fq_store_op op;
    fq_web_req *r;
    int detail;   /* a case: (allowed, doc) */
    int revealed; /* the parties' phones whole, the look audited */
    char params[5][72];
} mediation_read;

/* ---- the binders: one per statement (sql/mediation_*.sql), each filling
 * q's parameters; read_done reads the row. ---- */

static void bind_read(mediation_read *q, const char *statement, int nparams)
{
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = statement;
    q->op.nparams = nparams;
    for (int i = 0; i < nparams; i++)
        q->op.values[i] = q->params[i];
}

/* The worklist of `state` (open, ended) inside `within`, at most `limit`. */
static void cases_bind(mediation_read *q, const char *state, const char *within, int limit)
{
    snprintf(q->params[0], sizeof q->params[0], "%s", state);
    snprintf(q->params[1], sizeof q->params[1], "%s", within);
    snprintf(q->params[2], sizeof q->params[2], "%d", limit);
    bind_read(q, FQ_SQL_MEDIATION_CASES_NAME, FQ_SQL_MEDIATION_CASES_NPARAMS);
}

/* Incident `id`'s mediation if inside `within`: (allowed, doc), phones
 * masked. */
static void case_bind(mediation_read *q, uint64_t id, const char *within)
{
    q->detail = 1;
    snprintf(q->params[0], sizeof q->params[0], "%" PRIu64, id);
    snprintf(q->params[1], sizeof q->params[1], "%s", within);
    bind_read(q, FQ_SQL_MEDIATION_CASE_NAME, FQ_SQL_MEDIATION_CASE_NPARAMS);
}

/* The same with the phones whole, the look written (account, role,
 * remote) by the same statement. */
static void reveal_bind(mediation_read *q, uint64_t id, const char *within, const char *account,
                        const char *role, const char *remote)
{
    q->detail = 1;
    q->revealed = 1;
    snprintf(q->params[0], sizeof q->params[0], "%" PRIu64, id);
    snprintf(q->params[1], sizeof q->params[1], "%s", within);
    snprintf(q->params[2], sizeof q->params[2], "%s", account);
    snprintf(q->params[3], sizeof q->params[3], "%s", role);
    snprintf(q->params[4], sizeof q->params[4], "%s", remote);
    bind_read(q, FQ_SQL_MEDIATION_REVEAL_NAME, FQ_SQL_MEDIATION_REVEAL_NPARAMS);
}

/* The figures of [from_ms, to_ms) by town, committee or mediator. */
static void stats_bind(mediation_read *q, long long from_ms, long long to_ms, const char *by,
                       const char *within)
{
    snprintf(q->params[0], sizeof q->params[0], "%lld", from_ms);
    snprintf(q->params[1], sizeof q->params[1], "%lld", to_ms);
    snprintf(q->params[2], sizeof q->params[2], "%s", by);
    snprintf(q->params[3], sizeof q->params[3], "%s", within);
    bind_read(q, FQ_SQL_MEDIATION_STATS_NAME, FQ_SQL_MEDIATION_STATS_NPARAMS);
}

/* The committees and mediators `within` may name. */
static void directory_bind(mediation_read *q, const char *within)
{
    snprintf(q->params[0], sizeof q->params[0], "%s", within);
    bind_read(q, FQ_SQL_MEDIATION_DIRECTORY_NAME, FQ_SQL_MEDIATION_DIRECTORY_NPARAMS);
}

/* One row: a document; a case's: (allowed, doc). */
static void read_done(fq_store_op *op, int status, const char *message)
{
    mediation_read *q = (mediation_read *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
    } else if (q->detail && (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] != 't')) {
        /* None with that id, or outside: the same answer, so ids cannot be
         * probed. */
        fq_web_respond_err(q->r, FQ_EFORBIDDEN,
                           "no such incident inside this account's jurisdiction");
    } else if (PQntuples(res) != 1) {
        fq_web_respond_err(q->r, FQ_EBUSY, "the database answered no row (a bug)");
    } else {
        int col = q->detail ? 1 : 0;
        const char *doc = PQgetisnull(res, 0, col) ? "null" : PQgetvalue(res, 0, col);
        if (q->detail) {
            /* {"mediation": …}: null when the incident has none. */
            size_t n = strlen(doc) + 32;
            char *body = malloc(n);
            if (body == NULL) {
                fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
            } else {
                int len = snprintf(body, n, "{\"mediation\":%s,\"revealed\":%s}", doc,
                                   q->revealed ? "true" : "false");
                fq_web_respond(q->r, 200, "application/json; charset=utf-8", body, (size_t)len);
                free(body);
            }
        } else {
            fq_web_respond(q->r, 200, "application/json; charset=utf-8", doc, strlen(doc));
        }
    }
    free(q);
}

static int param_ms(fq_web_req *r, const char *name, long long *out)
{
    const char *v = fq_web_req_query(r, name);
    char *end = NULL;
    long long x = v != NULL && isdigit((unsigned char)v[0]) ? strtoll(v, &end, 10) : -1;
    if (v == NULL || x < 0 || *end != '\0' || x > 253402300799999LL) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s is required: epoch milliseconds", name);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    *out = x;
    return 0;
}

void fq_mediation_reads_handle(void *user, fq_web_req *r)
{
    fq_mediation_reads *m = user;
    static const char prefix[] = "/api/v1/mediation/";
    const char *path = fq_web_req_path(r);
    if (strcmp(fq_web_req_method(r), "GET") != 0) {
        fq_web_respond_error(r, 405, "method",
                             "the mediation's reads are GET; its steps are "
                             "commands on the incident",
                             0);
        return;
    }
    const char *rest = path + sizeof prefix - 1;
    const fq_web_session *s = fq_web_req_session(r);
    mediation_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->r = r;
    fq_store_op *op = &q->op;
    op->done = read_done;
    /* Reads go to the reads store; a reveal, which writes its audit row, to
     * the writes store, so the row is committed before the answer. */
    fq_store *target = m->read_store;
    if (strcmp(rest, "cases") == 0) {
        const char *state = fq_web_req_query(r, "state");
        if (state == NULL)
            state = "open";
        if (strcmp(state, "open") != 0 && strcmp(state, "ended") != 0) {
            fq_web_respond_err(r, FQ_EINVALID, "state must be open or ended");
            free(q);
            return;
        }
        cases_bind(q, state, s->jurisdiction, 500);
    } else if (strncmp(rest, "cases/", 6) == 0) {
        const char *digits = rest + 6;
        char *end = NULL;
        unsigned long long id = isdigit((unsigned char)digits[0]) ? strtoull(digits, &end, 10) : 0;
        if (id == 0 || id > (unsigned long long)INT64_MAX || *end != '\0') {
            fq_web_respond_err(r, FQ_EINVALID, "the incident id must be a number");
            free(q);
            return;
        }
        const char *reveal = fq_web_req_query(r, "reveal");
        if (reveal == NULL || strcmp(reveal, "0") == 0) {
            /* Every read masks the parties' phones, whoever asks. */
            case_bind(q, id, s->jurisdiction);
        } else if (strcmp(reveal, "1") != 0) {
            fq_web_respond_err(r, FQ_EINVALID, "reveal must be 1 (or absent)");
            free(q);
            return;
        } else if (s->role != FQ_WEB_OPERATOR && s->role != FQ_WEB_SUPERVISOR) {
            /* Who mediates may need to call the parties; who only reads
             * does not. */
            fq_web_respond_error(r, 403, "role",
                                 "the parties' phones are shown whole to operators and "
                                 "supervisors only",
                                 0);
            free(q);
            return;
        } else {
            reveal_bind(q, id, s->jurisdiction, s->account,
                        s->role == FQ_WEB_SUPERVISOR ? "supervisor" : "operator",
                        fq_web_req_remote(r));
            target = m->store;
        }
    } else if (strcmp(rest, "stats") == 0) {
        long long from = 0, to = 0;
        const char *by = fq_web_req_query(r, "by");
        if (by == NULL)
            by = "town";
        if (param_ms(r, "from_ms", &from) != 0 || param_ms(r, "to_ms", &to) != 0) {
            free(q);
            return;
        }
        if (strcmp(by, "town") != 0 && strcmp(by, "committee") != 0 &&
            strcmp(by, "mediator") != 0) {
            fq_web_respond_err(r, FQ_EINVALID, "by must be town, committee or mediator");
            free(q);
            return;
        }
        if (from >= to) {
            fq_web_respond_err(r, FQ_EINVALID, "from_ms must come before to_ms");
            free(q);
            return;
        }
        stats_bind(q, from, to, by, s->jurisdiction);
    } else if (strcmp(rest, "directory") == 0) {
        directory_bind(q, s->jurisdiction);
    } else {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        free(q);
        return;
    }
    fq_store_submit(target, op);
}

fq_mediation_reads *fq_mediation_reads_new(fq_store *store, fq_store *read_store)
{
    fq_mediation_reads *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->store = store;
    m->read_store = read_store;
    return m;
}

void fq_mediation_reads_free(fq_mediation_reads *m)
{
    free(m);
}
