/* pgconn: one asynchronous libpq connection living in the libuv loop.
 *
 * Connects without blocking (PQconnectStart/PQconnectPoll on uv_poll),
 * enters pipeline mode, and hands every result to its owner in order. On
 * loss it tells the owner (whose in-flight work is then void) and reconnects
 * with jittered exponential backoff, capped so that the server is back within
 * 0.1 s of PostgreSQL in the first 30 s of an outage (a failover's new
 * primary), within a second after. The conninfo may list several hosts: with
 * target_session_attrs=read-write (or primary, read-only, standby) every
 * host is tried at once and the first that libpq completes is kept
 * (pghosts.h), so a host that vanished delays nobody. TCP keepalives and
 * TCP_USER_TIMEOUT have defaults that notice a cut network in about 3 s
 * (pgconn.c). It knows no SQL of the domain. */
#ifndef FQ_PGCONN_H
#define FQ_PGCONN_H

#include <libpq-fe.h>
#include <uv.h>

typedef struct fq_pg fq_pg;

typedef struct fq_pg_callbacks {
    /* Connected and in pipeline mode: prepare statements, LISTEN, load. */
    void (*on_ready)(void *user, PGconn *conn);
    /* Each result in order; NULL marks the end of one statement's results,
     * exactly as PQgetResult returns it. The owner PQclear()s non-NULL ones. */
    void (*on_result)(void *user, PGresult *result);
    /* How many results (statements and syncs) the owner still awaits. */
    int (*expecting)(void *user);
    /* The connection is gone; nothing sent on it will produce results. */
    void (*on_lost)(void *user, const char *why);
    /* A NOTIFY arrived (owner must not free it). */
    void (*on_notify)(void *user, const PGnotify *notify);
} fq_pg_callbacks;

fq_pg *fq_pg_new(uv_loop_t *loop, const char *conninfo, const fq_pg_callbacks *callbacks,
                 void *user);

/* Starts connecting (and keeps reconnecting until fq_pg_close). */
void fq_pg_start(fq_pg *pg);

/* NULL unless connected and in pipeline mode. */
PGconn *fq_pg_conn(fq_pg *pg);

/* Call after queueing statements: flushes without blocking and keeps the
 * socket armed for writing while libpq holds unsent data. */
void fq_pg_flush(fq_pg *pg);

/* Drops the connection as if it was lost (used on protocol confusion). */
void fq_pg_reset(fq_pg *pg, const char *why);

/* Closes and frees once libuv has released the handles. */
void fq_pg_close(fq_pg *pg);

/* Where the connection went (the host and port libpq chose from the
 * conninfo's list), for logs: "host H port P", or "not connected". */
const char *fq_pg_where(fq_pg *pg, char *buf, size_t len);

/* The conninfo it was made with. */
const char *fq_pg_conninfo(const fq_pg *pg);

/* A connection of its own, blocking (for a thread of its own: open_copy.h):
 * the conninfo with the same TCP defaults, to `host` and `port` (those of
 * a live connection, PQhost/PQport, so that it reaches the same server of a
 * list; ignored when NULL or when the conninfo names a hostaddr). NULL when
 * out of memory; check PQstatus. */
PGconn *fq_pg_connect_blocking(const char *conninfo, const char *host, const char *port);

/* What the connection is doing, for a log line: where it is connected, or
 * for how long it has not been and the last attempt's failure. */
const char *fq_pg_describe(fq_pg *pg, char *buf, size_t len);

/* How many times the connection has been established; for logs and tests. */
unsigned fq_pg_generation(const fq_pg *pg);

#endif
