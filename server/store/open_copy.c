/* open_copy: see open_copy.h. The thread fills chunks from a small pool and
 * queues them; the loop takes them in and gives them back. At most
 * CHUNKS chunks exist: a loop that falls behind holds the thread (and
 * PostgreSQL, through the socket) back instead of queueing the load in
 * memory. */
#include "open_copy.h"

#include "copy_binary.h"
#include "pgconn.h"
#include "pgerror.h"
#include "statements.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CHUNKS 3
/* Room for the fields of a chunk's rows (each text followed by a NUL):
 * rows of the open incidents are ~200-300 bytes; a chunk ends early when
 * this is full. */
#define ARENA_BYTES (1u << 20)

typedef struct chunk {
    struct chunk *next;
    size_t n, used;
    fq_case_row rows[FQ_OPEN_CHUNK_ROWS];
    uint8_t arena[ARENA_BYTES];
} chunk;

struct fq_open_copy {
    uv_loop_t *loop;
    uv_work_t work;
    uv_async_t async;
    fq_open_copy_callbacks cb;
    void *user;
    char *conninfo, *host, *port, *snapshot, *query;

    uv_mutex_t mu; /* guards everything below */
    uv_cond_t cond;
    chunk *free_chunks;
    chunk *ready_head, *ready_tail;
    int socket; /* the thread's connection's, while it is open; -1 */
    int cancelled;
    int finished; /* the thread is done: ok, undecodable, why are final */
    int ok;
    size_t undecodable;
    char why[256];

    /* The loop's own. */
    int reported;
    int work_done, async_closed;
};

static void destroy(fq_open_copy *c)
{
    while (c->free_chunks != NULL) {
        chunk *k = c->free_chunks;
        c->free_chunks = k->next;
        free(k);
    }
    while (c->ready_head != NULL) {
        chunk *k = c->ready_head;
        c->ready_head = k->next;
        free(k);
    }
    uv_cond_destroy(&c->cond);
    uv_mutex_destroy(&c->mu);
    free(c->conninfo);
    free(c->host);
    free(c->port);
    free(c->snapshot);
    free(c->query);
    free(c);
}

/* ---- the thread ---- */

/* A free chunk, waiting for the loop to give one back; NULL once
 * cancelled. */
static chunk *take_chunk(fq_open_copy *c)
{
    uv_mutex_lock(&c->mu);
    while (c->free_chunks == NULL && !c->cancelled)
        uv_cond_wait(&c->cond, &c->mu);
    chunk *k = c->cancelled ? NULL : c->free_chunks;
    if (k != NULL)
        c->free_chunks = k->next;
    uv_mutex_unlock(&c->mu);
    if (k != NULL)
        k->n = k->used = 0;
    return k;
}

static void publish(fq_open_copy *c, chunk *k)
{
    k->next = NULL;
    uv_mutex_lock(&c->mu);
    if (c->ready_tail != NULL)
        c->ready_tail->next = k;
    else
        c->ready_head = k;
    c->ready_tail = k;
    uv_mutex_unlock(&c->mu);
    uv_async_send(&c->async);
}

/* One tuple into the chunk: its fields copied into the arena, each
 * followed by a NUL (the decoded row's strings point there). 0, 1 when the
 * chunk has no room left for it, -1 when it is not a case row. */
static int add_row(chunk *k, const fq_pgfield *fields, int nfields, size_t *undecodable)
{
    size_t bytes = 0;
    for (int i = 0; i < nfields; i++)
        bytes += (fields[i].len > 0 ? (size_t)fields[i].len : 0) + 1;
    if (k->n == FQ_OPEN_CHUNK_ROWS || bytes > ARENA_BYTES - k->used)
        return 1;
    fq_pgfield copied[FQ_CASE_ROW_COLUMNS + 1];
    for (int i = 0; i < nfields; i++) {
        copied[i].len = fields[i].len;
        if (fields[i].len == -1) {
            copied[i].p = NULL;
            continue;
        }
        uint8_t *to = k->arena + k->used;
        memcpy(to, fields[i].p, (size_t)fields[i].len);
        to[fields[i].len] = '\0';
        copied[i].p = to;
        k->used += (size_t)fields[i].len + 1;
    }
    if (fq_case_row_decode_fields(copied, nfields, &k->rows[k->n]) != 0) {
        (*undecodable)++;
        return 0; /* its bytes stay unused in the arena until the chunk ends */
    }
    k->n++;
    return 0;
}

static int fail(fq_open_copy *c, const char *what, PGconn *conn, const PGresult *res)
{
    char detail[200] = "";
    if (res != NULL)
        fq_pg_error_describe(res, detail, sizeof detail);
    else if (conn != NULL)
        snprintf(detail, sizeof detail, "%s", PQerrorMessage(conn));
    size_t len = strlen(detail);
    while (len > 0 && detail[len - 1] == '\n')
        detail[--len] = '\0';
    snprintf(c->why, sizeof c->why, "%s: %s", what, detail);
    return -1;
}

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* The COPY's stream, message by message, into chunks. */
static int stream_rows(fq_open_copy *c, PGconn *conn, size_t *undecodable)
{
    fq_copy_binary parser;
    fq_copy_binary_init(&parser);
    chunk *k = take_chunk(c);
    int status = k != NULL ? 0 : -1;
    char *msg;
    int len;
    while (status == 0 && (len = PQgetCopyData(conn, &msg, 0)) > 0) {
        fq_pgfield fields[FQ_CASE_ROW_COLUMNS + 1];
        int nfields, got;
        if (fq_copy_binary_message(&parser, (const uint8_t *)msg, (size_t)len) != 0)
            got = -1;
        else
            while ((got = fq_copy_binary_row(&parser, fields, FQ_CASE_ROW_COLUMNS + 1, &nfields)) ==
                   1) {
                int added = add_row(k, fields, nfields, undecodable);
                if (added == 1) { /* full: hand it over and go on in the next */
                    publish(c, k);
                    if ((k = take_chunk(c)) == NULL)
                        break;
                    added = add_row(k, fields, nfields, undecodable);
                }
                if (added != 0) {
                    got = -1; /* a row larger than a chunk's arena */
                    break;
                }
            }
        PQfreemem(msg);
        if (k == NULL)
            status = -1; /* cancelled */
        else if (got != 0) {
            snprintf(c->why, sizeof c->why, "a row of the COPY is not a case row");
            status = -1;
        }
    }
    if (status == 0 && len == -2)
        status = fail(c, "reading the COPY", conn, NULL);
    if (status == 0 && !parser.ended) {
        snprintf(c->why, sizeof c->why, "the COPY ended without its trailer");
        status = -1;
    }
    if (status == 0) {
        PGresult *res = PQgetResult(conn); /* the COPY's own status */
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            status = fail(c, "the COPY", conn, res);
        PQclear(res);
        while ((res = PQgetResult(conn)) != NULL)
            PQclear(res);
    }
    if (k != NULL) {
        if (status == 0)
            publish(c, k); /* even empty: a load of no rows is heard of too */
        else {
            uv_mutex_lock(&c->mu);
            k->next = c->free_chunks;
            c->free_chunks = k;
            uv_mutex_unlock(&c->mu);
        }
    }
    return status;
}

static void run(uv_work_t *work)
{
    fq_open_copy *c = work->data;
    size_t undecodable = 0;
    int status = -1;
    PGconn *conn = fq_pg_connect_blocking(c->conninfo, c->host, c->port);
    if (conn == NULL)
        snprintf(c->why, sizeof c->why, "out of memory");
    else if (PQstatus(conn) != CONNECTION_OK)
        fail(c, "connecting", conn, NULL);
    else {
        uv_mutex_lock(&c->mu);
        c->socket = c->cancelled ? -1 : PQsocket(conn);
        uv_mutex_unlock(&c->mu);
        char *literal = PQescapeLiteral(conn, c->snapshot, strlen(c->snapshot));
        char set[160];
        snprintf(set, sizeof set, "SET TRANSACTION SNAPSHOT %s", literal ? literal : "''");
        PQfreemem(literal);
        PGresult *res = NULL;
        if (c->socket == -1)
            snprintf(c->why, sizeof c->why, "cancelled");
        else if (!exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ||
                 !exec_ok(conn, set))
            fail(c, "importing the load's snapshot", conn, NULL);
        /* One statement for all the rows, where a cursor's were many short
         * ones: a statement_timeout the conninfo may set is not for it. */
        else if (!exec_ok(conn, "SET LOCAL statement_timeout = 0"))
            fail(c, "setting the COPY's statement_timeout", conn, NULL);
        else if (PQresultStatus(res = PQexec(conn, c->query)) != PGRES_COPY_OUT)
            fail(c, "starting the COPY", conn, res);
        else
            status = stream_rows(c, conn, &undecodable);
        PQclear(res);
    }
    uv_mutex_lock(&c->mu);
    c->socket = -1;
    uv_mutex_unlock(&c->mu);
    PQfinish(conn); /* ends its transaction */
    uv_mutex_lock(&c->mu);
    c->finished = 1;
    c->ok = status == 0;
    c->undecodable = undecodable;
    uv_mutex_unlock(&c->mu);
    uv_async_send(&c->async);
}

/* ---- the loop ---- */

static void on_async_closed(uv_handle_t *handle)
{
    fq_open_copy *c = handle->data;
    c->async_closed = 1;
    if (c->work_done)
        destroy(c);
}

static void on_work_done(uv_work_t *work, int status)
{
    (void)status;
    fq_open_copy *c = work->data;
    c->work_done = 1;
    if (c->async_closed)
        destroy(c);
}

static void on_async(uv_async_t *async)
{
    fq_open_copy *c = async->data;
    uv_mutex_lock(&c->mu);
    chunk *ready = c->ready_head;
    c->ready_head = c->ready_tail = NULL;
    int finished = c->finished, cancelled = c->cancelled;
    uv_mutex_unlock(&c->mu);
    /* Each chunk goes back as soon as it is taken in: the thread fills it
     * again while the loop takes in the next. */
    while (ready != NULL) {
        chunk *k = ready;
        ready = k->next;
        if (!cancelled)
            c->cb.on_rows(c->user, k->rows, k->n);
        uv_mutex_lock(&c->mu);
        k->next = c->free_chunks;
        c->free_chunks = k;
        cancelled = c->cancelled;
        uv_cond_signal(&c->cond);
        uv_mutex_unlock(&c->mu);
    }
    if (finished && !c->reported) {
        c->reported = 1;
        if (!cancelled)
            c->cb.on_done(c->user, c->ok, c->undecodable, c->why);
        uv_close((uv_handle_t *)&c->async, on_async_closed);
    }
}

fq_open_copy *fq_open_copy_start(uv_loop_t *loop, const char *conninfo, const char *host,
                                 const char *port, const char *snapshot, const char *query,
                                 const fq_open_copy_callbacks *callbacks, void *user)
{
    fq_open_copy *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (uv_mutex_init(&c->mu) != 0) {
        free(c);
        return NULL;
    }
    if (uv_cond_init(&c->cond) != 0) {
        uv_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    c->loop = loop;
    c->cb = *callbacks;
    c->user = user;
    c->socket = -1;
    c->conninfo = strdup(conninfo);
    c->host = host ? strdup(host) : NULL;
    c->port = port ? strdup(port) : NULL;
    c->snapshot = strdup(snapshot);
    c->query = strdup(query);
    int ok = c->conninfo && c->snapshot && c->query && (!host || c->host) && (!port || c->port);
    for (int i = 0; ok && i < CHUNKS; i++) {
        chunk *k = malloc(sizeof *k);
        if (k == NULL)
            ok = 0;
        else {
            k->next = c->free_chunks;
            c->free_chunks = k;
        }
    }
    if (!ok) {
        destroy(c);
        return NULL;
    }
    uv_async_init(loop, &c->async, on_async);
    c->async.data = c;
    c->work.data = c;
    if (uv_queue_work(loop, &c->work, run, on_work_done) != 0) {
        c->work_done = 1;
        uv_close((uv_handle_t *)&c->async, on_async_closed);
        return NULL;
    }
    return c;
}

void fq_open_copy_cancel(fq_open_copy *c)
{
    if (c == NULL)
        return;
    uv_mutex_lock(&c->mu);
    c->cancelled = 1;
    /* Ends the thread's blocking read at once (and the backend's COPY with
     * its connection) without any I/O in the loop: a cancel request would
     * connect to the server, which may be what is unreachable. */
    if (c->socket >= 0)
        shutdown(c->socket, SHUT_RDWR);
    uv_cond_broadcast(&c->cond);
    uv_mutex_unlock(&c->mu);
}
