/* lookup_conn: the lookups of stored reports on a connection of their own
 * (lookup_conn.h). */
#include "lookup_conn.h"

#include "log.h"
#include "pgconn.h"
#include "pgerror.h"
#include "statements.h"
#include "stored_reports.h"

#include <stdlib.h>
#include <string.h>

typedef enum { E_SETUP, E_SETUP_SYNC, E_LOOKUP, E_LOOKUP_SYNC } exp_kind;

typedef struct expectation {
    exp_kind kind;
    int got_result;
    uint64_t id;
} expectation;

struct fq_lookup_conn {
    fq_pg *pg;
    fq_lookup_conn_callbacks cb;
    void *user;
    expectation *expect; /* ring */
    size_t cap, head, count;
    int prepared;     /* the setup's sync came back without an error */
    int setup_failed; /* on this connection */
    int in_flight;    /* lookups sent, not answered */
    int depth;        /* inside one of the connection's callbacks */
    int closed;       /* freed when the outermost callback returns */
};

static int expect_push(fq_lookup_conn *c, exp_kind kind, uint64_t id)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        expectation *e = malloc(cap * sizeof *e);
        if (e == NULL)
            return -1;
        for (size_t i = 0; i < c->count; i++)
            e[i] = c->expect[(c->head + i) % c->cap];
        free(c->expect);
        c->expect = e;
        c->cap = cap;
        c->head = 0;
    }
    expectation *e = &c->expect[(c->head + c->count) % c->cap];
    e->kind = kind;
    e->got_result = 0;
    e->id = id;
    c->count++;
    return 0;
}

static expectation *expect_front(fq_lookup_conn *c)
{
    return c->count ? &c->expect[c->head] : NULL;
}

static void expect_pop(fq_lookup_conn *c)
{
    c->head = (c->head + 1) % c->cap;
    c->count--;
}

static void release(fq_lookup_conn *c)
{
    if (--c->depth == 0 && c->closed) {
        free(c->expect);
        free(c);
    }
}

/* The session's settings, before its one statement is prepared. That
 * statement reaches every row by a key (stored_reports.sql), and its plan
 * must not depend on the tables' statistics: measured at 1,000 reports/s
 * (docs/write-path.md, "The lookups' plan"), PostgreSQL's default choice
 * between a plan per execution and one cached plan flipped with the
 * statistics. Planned again for every lookup (0.5 ms each) once autovacuum
 * had analysed the tables, or cached as sequential scans while they were
 * small and never analysed, the lookups' backend used 0.4 to 1.0 of a core
 * where the index probes use 0.1. So: one generic plan (never a custom one),
 * sequential scans priced out (as on the writes connection, store.c), and no
 * JIT (a plan priced that way would pass jit_above_cost; nothing here runs
 * long enough to gain from compiling it). */
static const char *const lookup_conn_setup[] = {
    "SET application_name = '" FQ_LOOKUP_CONN_APP "'",
    "SET plan_cache_mode = force_generic_plan",
    "SET enable_seqscan = off",
    "SET jit = off",
};
#define LOOKUP_CONN_SETUP_COUNT (sizeof lookup_conn_setup / sizeof lookup_conn_setup[0])

static void on_ready(void *user, PGconn *conn)
{
    fq_lookup_conn *c = user;
    c->prepared = 0;
    c->setup_failed = 0;
    c->in_flight = 0;
    c->count = c->head = 0;
    /* Its name (first of the settings), so that it can be told from the
     * writes connection (and ended on its own, as the tests do), whatever
     * the conninfo names. */
    int queued = 1;
    for (size_t i = 0; queued && i < LOOKUP_CONN_SETUP_COUNT; i++)
        queued = expect_push(c, E_SETUP, 0) == 0 &&
                 PQsendQueryParams(conn, lookup_conn_setup[i], 0, NULL, NULL, NULL, NULL, 0);
    if (!queued || expect_push(c, E_SETUP, 0) != 0 || expect_push(c, E_SETUP_SYNC, 0) != 0 ||
        !PQsendPrepare(conn, FQ_SQL_STORED_REPORTS_NAME, FQ_SQL_STORED_REPORTS,
                       FQ_SQL_STORED_REPORTS_NPARAMS, NULL) ||
        !PQpipelineSync(conn))
        fq_pg_reset(c->pg, "the lookup connection's setup could not be queued");
}

static void on_result(void *user, PGresult *res)
{
    fq_lookup_conn *c = user;
    c->depth++;
    expectation *e = expect_front(c);
    if (e == NULL) {
        PQclear(res);
    } else if (res == NULL) {
        /* End of one statement's results. */
        if (e->kind != E_SETUP_SYNC && e->kind != E_LOOKUP_SYNC && e->got_result)
            expect_pop(c);
    } else if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        /* A statement before the sync without a result: skipped. */
        while ((e = expect_front(c)) != NULL && e->kind != E_SETUP_SYNC &&
               e->kind != E_LOOKUP_SYNC) {
            if (e->kind == E_LOOKUP)
                c->in_flight--;
            expect_pop(c);
        }
        if (e != NULL) {
            exp_kind kind = e->kind;
            expect_pop(c);
            if (kind == E_SETUP_SYNC && c->setup_failed)
                fq_pg_reset(c->pg, "the lookup connection's setup failed");
            else if (kind == E_SETUP_SYNC)
                c->prepared = 1;
        }
    } else if (e->kind == E_SETUP_SYNC || e->kind == E_LOOKUP_SYNC) {
        /* Where only a sync can come: the session's own FATAL as it ends. */
        char why[256];
        fq_pg_error_describe(res, why, sizeof why);
        PQclear(res);
        fq_pg_reset(c->pg, why);
    } else {
        e->got_result = 1;
        ExecStatusType st = PQresultStatus(res);
        if (e->kind == E_SETUP) {
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !c->setup_failed) {
                char why[256];
                fq_pg_error_describe(res, why, sizeof why);
                fq_log(FQ_LOG_WARN, "store", "the lookup connection's setup failed: %s", why);
                c->setup_failed = 1;
            }
        } else {
            c->in_flight--;
            if (st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED) {
                char why[256];
                fq_pg_error_describe(res, why, sizeof why);
                fq_log(FQ_LOG_WARN, "store", "a lookup of stored reports failed: %s", why);
            }
            c->cb.on_answer(c->user, e->id, res);
        }
        PQclear(res);
    }
    release(c);
}

static int expecting(void *user)
{
    const fq_lookup_conn *c = user;
    return (int)c->count;
}

static void on_lost(void *user, const char *why)
{
    fq_lookup_conn *c = user;
    c->depth++;
    int had = c->in_flight;
    c->prepared = 0;
    c->in_flight = 0;
    c->count = c->head = 0;
    if (!c->closed) {
        fq_log(FQ_LOG_INFO, "store",
               "the lookup connection is down (%s): reports are looked up in their batches "
               "meanwhile (%d lookups unanswered)",
               why, had);
        c->cb.on_lost(c->user);
    }
    release(c);
}

fq_lookup_conn *fq_lookup_conn_new(uv_loop_t *loop, const char *conninfo,
                                   const fq_lookup_conn_callbacks *callbacks, void *user)
{
    fq_lookup_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->cb = *callbacks;
    c->user = user;
    fq_pg_callbacks cb = {on_ready, on_result, expecting, on_lost, NULL};
    c->pg = fq_pg_new(loop, conninfo, &cb, c);
    if (c->pg == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void fq_lookup_conn_start(fq_lookup_conn *c)
{
    fq_pg_start(c->pg);
}

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int fq_lookup_conn_usable(fq_lookup_conn *c, PGconn *writes)
{
    PGconn *conn = fq_pg_conn(c->pg);
    return conn != NULL && c->prepared && writes != NULL && same(PQhost(conn), PQhost(writes)) &&
           same(PQport(conn), PQport(writes));
}

int fq_lookup_conn_send(fq_lookup_conn *c, uint64_t id, const char *const values[2],
                        const int lengths[2], const int formats[2])
{
    PGconn *conn = fq_pg_conn(c->pg);
    if (conn == NULL || !c->prepared)
        return -1;
    if (expect_push(c, E_LOOKUP, id) != 0)
        return -1; /* out of memory: nothing queued */
    if (expect_push(c, E_LOOKUP_SYNC, 0) != 0) {
        c->count--;
        return -1;
    }
    if (!PQsendQueryPrepared(conn, FQ_SQL_STORED_REPORTS_NAME, 2, values, lengths, formats,
                             FQ_STORED_REPORTS_FORMAT) ||
        !PQpipelineSync(conn)) {
        fq_pg_reset(c->pg, "libpq could not queue a lookup");
        return -1;
    }
    c->in_flight++;
    return 0;
}

void fq_lookup_conn_flush(fq_lookup_conn *c)
{
    fq_pg_flush(c->pg);
}

int fq_lookup_conn_in_flight(const fq_lookup_conn *c)
{
    return c->in_flight;
}

void fq_lookup_conn_reset(fq_lookup_conn *c, const char *why)
{
    fq_pg_reset(c->pg, why);
}

void fq_lookup_conn_close(fq_lookup_conn *c)
{
    if (c == NULL)
        return;
    c->closed = 1;
    fq_pg_close(c->pg);
    c->depth++;
    release(c);
}
