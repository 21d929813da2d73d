/* lookup_conn: the connection the lookups of stored reports go on
 * (sql/stored_reports.sql; docs/write-path.md, "Resends in a batch"), beside
 * the writes connection, so that a report is asked about in the loop turn it
 * arrives, while the writes backend executes the batch before it, and the
 * next batch takes it with its answer.
 *
 * One pipelined libpq connection (pgconn.h: the same conninfo, its hosts
 * and target_session_attrs, the same reconnection), named
 * FQ_LOOKUP_CONN_APP in pg_stat_activity, with the lookup prepared. It
 * knows neither the store nor its operations: each lookup is sent with the
 * caller's id, and its answer is handed back with that id, so that whoever
 * sent it can tell an answer it no longer waits for (a store that voided
 * its lookups) from one it does, without a pointer that could outlive what
 * it named. After fq_lookup_conn_close nothing is called back. */
#ifndef FQ_LOOKUP_CONN_H
#define FQ_LOOKUP_CONN_H

#include <libpq-fe.h>
#include <stdint.h>
#include <uv.h>

#define FQ_LOOKUP_CONN_APP "fengqiaod-lookups"

typedef struct fq_lookup_conn fq_lookup_conn;

typedef struct fq_lookup_conn_callbacks {
    /* The answer of the lookup sent with `id`, in the order they were
     * sent: its rows (PGRES_TUPLES_OK) or its error. Not called for a
     * lookup whose connection was lost first (on_lost instead). `res` is
     * cleared after the call. */
    void (*on_answer)(void *user, uint64_t id, const PGresult *res);
    /* The connection is gone (or was reset): no lookup sent on it will be
     * answered. */
    void (*on_lost)(void *user);
} fq_lookup_conn_callbacks;

/* NULL when out of memory (or the conninfo cannot be parsed). */
fq_lookup_conn *fq_lookup_conn_new(uv_loop_t *loop, const char *conninfo,
                                   const fq_lookup_conn_callbacks *callbacks, void *user);

/* Starts connecting (and keeps reconnecting until closed). */
void fq_lookup_conn_start(fq_lookup_conn *c);

/* Whether a lookup can be sent: connected, the statement prepared, and on
 * the server `writes` is connected to (same host and port: with several
 * hosts, never another one than the primary the writes go to). */
int fq_lookup_conn_usable(fq_lookup_conn *c, PGconn *writes);

/* Queues the lookup (fq_stored_reports_bind's two parameters) and its
 * sync; fq_lookup_conn_flush sends what was queued. 0, or -1 when it could
 * not be queued (the connection is reset: on_lost follows). */
int fq_lookup_conn_send(fq_lookup_conn *c, uint64_t id, const char *const values[2],
                        const int lengths[2], const int formats[2]);
void fq_lookup_conn_flush(fq_lookup_conn *c);

/* Lookups sent and not answered. */
int fq_lookup_conn_in_flight(const fq_lookup_conn *c);

/* Drops the connection (on_lost is called) and connects again. */
void fq_lookup_conn_reset(fq_lookup_conn *c, const char *why);

/* Closes: nothing is called back from now on; freed once libuv has
 * released the connection's handles. */
void fq_lookup_conn_close(fq_lookup_conn *c);

#endif
