#include "pgconn.h"

#include "log.h"
#include "pgerror.h"
#include "pghosts.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 500 /* back within a second of PostgreSQL returning */
/* For the first 30 s of a search for a server (the connection lost, or the
 * first connect) the back-off stops doubling at 100 ms instead: in a
 * failover the new primary turns writable at a moment nobody announces
 * (pg_auto_failover's keeper sets default_transaction_read_only off, and
 * target_session_attrs=read-write refuses it until then), and each host is
 * retried every 50–100 ms, so the writes resume within 0.1 s of it rather
 * than within 0.5 s (docs/ha.md, "Where a db_cut's time goes"). An attempt
 * refused as read-only costs the standby one short-lived backend; past
 * 30 s (an outage that is no failover in progress: no node to promote, a
 * database restarting) the half-second cap keeps that to two a second. */
#define BACKOFF_FAST_MAX_MS 100
#define BACKOFF_FAST_FOR_MS 30000
/* A link that died without a FIN (a frozen host, a firewall dropping packets)
 * would otherwise hold an attempt until TCP gives up, minutes later; libpq
 * does not enforce connect_timeout when we drive PQconnectPoll ourselves.
 * Per attempt: with several hosts the attempts run side by side, so a host
 * that does not answer delays nobody. */
#define CONNECT_TIMEOUT_MS 10000
#define ANSWER_TIMEOUT_MS 30000
#define WATCHDOG_MS 1000
#define REPEAT_SAID_MS 5000 /* a failure that repeats is said again at info this often */

/* Defaults for the connection's TCP settings, used unless the conninfo sets
 * them (docs/operations.md, "Following the primary"): without them a host
 * whose network is cut is noticed when the kernel gives up, after 2 hours
 * of silence (keepalives) or 15 minutes of unacknowledged data. With them
 * an idle connection is probed after 1 s of silence, then every second,
 * and dropped after 2 unanswered probes; data unacknowledged for 2.5 s
 * drops it too (TCP_USER_TIMEOUT, which also bounds a connect to a host
 * that does not answer). The kernel answers probes and acknowledges data
 * itself, so a busy PostgreSQL is not mistaken for a dead one. */
static const char *const tcp_default_keys[] = {
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
static const char *const tcp_default_values[] = {"1", "1", "1", "2", "2500"};
#define TCP_DEFAULTS (sizeof tcp_default_keys / sizeof tcp_default_keys[0])

typedef enum { PG_IDLE, PG_CONNECTING, PG_READY, PG_CLOSING } pg_state;

/* A socket watched in the loop; replaced when the socket changes. */
typedef struct watcher {
    uv_poll_t *poll;
    int fd;
    int events;
} watcher;

/* One way to connect: the whole conninfo (libpq walks its hosts in order),
 * or, when the conninfo lists several hosts and asks for a kind of server
 * (target_session_attrs read-write, primary, read-only, standby), one of
 * its hosts. Each host has its own attempt, its own deadline and its own
 * back-off; the first attempt libpq completes (it checked the server's
 * kind) is the connection, and the others are dropped. libpq alone would
 * try the hosts one after another: a host that vanished (its cable cut)
 * would hold every attempt on the next one until TCP gave up on it. */
typedef struct attempt {
    fq_pg *pg;
    const fq_pg_host *how; /* the conninfo, or one of its hosts (pghosts.h) */
    PGconn *conn;
    watcher w;
    uv_timer_t timer; /* the next attempt, or this one's deadline */
    unsigned backoff_ms;
    int connecting;
    char last_failure[256]; /* logged at info, its repeats at debug (and counted) */
    unsigned repeats;       /* of last_failure since it was last said at info */
    uint64_t said_at;       /* loop time last_failure was last said at info */
} attempt;

struct fq_pg {
    uv_loop_t *loop;
    char *conninfo;
    fq_pg_hosts hosts;
    attempt *attempts; /* one per hosts.host */
    size_t n_attempts;
    fq_pg_callbacks cb;
    void *user;
    pg_state state;
    PGconn *conn;
    watcher w; /* on PQsocket(conn) while ready */
    uv_timer_t retry_timer;
    uv_timer_t watchdog;
    uint64_t last_progress;   /* loop time of the last input, or of idleness */
    uint64_t searching_since; /* loop time the last search for a server began */
    uint64_t ready_since;     /* loop time the connection last became ready */
    uint64_t down_since;      /* loop time it was last lost (or the start) */
    unsigned backoff_ms;
    unsigned generation;
    int open_handles;
};

static void on_socket(uv_poll_t *poll, int status, int events);
static void on_attempt_socket(uv_poll_t *poll, int status, int events);
static void schedule_retry(fq_pg *pg);

static void free_pg(fq_pg *pg)
{
    fq_pg_hosts_free(&pg->hosts);
    free(pg->attempts);
    free(pg->conninfo);
    free(pg);
}

static void handle_closed(fq_pg *pg)
{
    if (--pg->open_handles == 0 && pg->state == PG_CLOSING)
        free_pg(pg);
}

static void free_handle(uv_handle_t *handle)
{
    fq_pg *pg = handle->data;
    if (handle != (uv_handle_t *)&pg->retry_timer && handle != (uv_handle_t *)&pg->watchdog)
        free(handle);
    handle_closed(pg);
}

static void free_attempt_handle(uv_handle_t *handle)
{
    attempt *a = handle->data;
    if (handle != (uv_handle_t *)&a->timer)
        free(handle);
    handle_closed(a->pg);
}

/* The poll must stop before libpq closes the socket under it. */
static void unwatch(watcher *w, uv_close_cb closed)
{
    if (w->poll != NULL) {
        uv_poll_stop(w->poll);
        uv_close((uv_handle_t *)w->poll, closed);
        w->poll = NULL;
        w->fd = -1;
        w->events = 0;
    }
}

static void drop_poll(fq_pg *pg)
{
    unwatch(&pg->w, free_handle);
}

/* Watches fd for events; data is the poll's owner. Returns -1 when the
 * socket cannot be watched (out of memory). */
static int watch_fd(fq_pg *pg, watcher *w, int fd, int events, void *data, uv_poll_cb cb,
                    uv_close_cb closed)
{
    if (w->poll != NULL && w->fd != fd)
        unwatch(w, closed);
    if (w->poll == NULL) {
        w->poll = malloc(sizeof *w->poll);
        if (w->poll == NULL || uv_poll_init(pg->loop, w->poll, fd) != 0) {
            free(w->poll);
            w->poll = NULL;
            return -1;
        }
        w->poll->data = data;
        pg->open_handles++;
        w->fd = fd;
        w->events = 0;
    }
    if (events != w->events) {
        uv_poll_start(w->poll, events, cb);
        w->events = events;
    }
    return 0;
}

static void lose(fq_pg *pg, const char *why_text);

/* Returns -1 when the socket cannot be watched (out of memory): the
 * connection is then dropped, since a connection nobody watches would stall
 * until the watchdog gave up on it. */
static int watch(fq_pg *pg, int events)
{
    int fd = pg->conn ? PQsocket(pg->conn) : -1;
    if (fd < 0)
        return 0;
    if (watch_fd(pg, &pg->w, fd, events, pg, on_socket, free_handle) != 0) {
        lose(pg, "cannot watch the connection's socket (out of memory?)");
        return -1;
    }
    return 0;
}

/* libpq's messages span lines; a log line holds one. */
static void one_line(char *out, size_t len, const char *text)
{
    snprintf(out, len, "%s", text ? text : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    for (size_t n = strlen(out); n > 0 && out[n - 1] == ' ';)
        out[--n] = '\0';
}

/* Ends an attempt (its socket, its PGconn, its deadline); no retry. */
static void attempt_stop(attempt *a)
{
    unwatch(&a->w, free_attempt_handle);
    if (a->conn != NULL) {
        PQfinish(a->conn);
        a->conn = NULL;
    }
    a->connecting = 0;
    uv_timer_stop(&a->timer);
}

static void stop_attempts(fq_pg *pg)
{
    for (size_t i = 0; i < pg->n_attempts; i++)
        attempt_stop(&pg->attempts[i]);
}

static void lose(fq_pg *pg, const char *why_text)
{
    /* `why` often points into the PGconn (PQerrorMessage): keep a copy
     * before PQfinish frees it. */
    char why[256];
    one_line(why, sizeof why, why_text);
    int was_ready = pg->state == PG_READY;
    if (was_ready)
        pg->down_since = uv_now(pg->loop);
    drop_poll(pg);
    if (pg->conn != NULL) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    stop_attempts(pg);
    pg->state = PG_IDLE;
    /* A new search, fast at first, after a connection that lasted; one that
     * dropped soon after it was made (a server that accepts and then fails)
     * goes on with the search it ended, so its back-off still grows. */
    if (was_ready && uv_now(pg->loop) - pg->ready_since >= BACKOFF_FAST_FOR_MS)
        pg->searching_since = uv_now(pg->loop);
    if (was_ready && pg->cb.on_lost)
        pg->cb.on_lost(pg->user, why);
    schedule_retry(pg);
}

static void drain_results(fq_pg *pg)
{
    /* PQgetResult only when it will not block, and only while the owner
     * still expects results: an idle pipelined connection answers NULL
     * forever. Two NULLs in a row mean libpq has nothing parsed. */
    int nulls = 0;
    while (pg->state == PG_READY && pg->cb.expecting(pg->user) > 0 && !PQisBusy(pg->conn)) {
        PGresult *res = PQgetResult(pg->conn);
        if (res == NULL && ++nulls == 2)
            break;
        if (res != NULL)
            nulls = 0;
        pg->cb.on_result(pg->user, res);
    }
}

static void on_ready_io(fq_pg *pg, int events)
{
    if (events & UV_READABLE) {
        pg->last_progress = uv_now(pg->loop);
        if (!PQconsumeInput(pg->conn)) {
            lose(pg, PQerrorMessage(pg->conn));
            return;
        }
        PGnotify *n;
        while ((n = PQnotifies(pg->conn)) != NULL) {
            if (pg->cb.on_notify)
                pg->cb.on_notify(pg->user, n);
            PQfreemem(n);
        }
    }
    fq_pg_flush(pg);
}

/* An attempt completed: its connection is the one, every other attempt is
 * dropped. */
static void won(fq_pg *pg, attempt *a)
{
    PGconn *conn = a->conn;
    a->conn = NULL;
    stop_attempts(pg);
    for (size_t i = 0; i < pg->n_attempts; i++)
        pg->attempts[i].last_failure[0] = '\0';
    pg->conn = conn;
    if (PQsetnonblocking(pg->conn, 1) != 0 || PQenterPipelineMode(pg->conn) != 1) {
        lose(pg, "cannot enter pipeline mode");
        return;
    }
    pg->state = PG_READY;
    pg->last_progress = uv_now(pg->loop);
    pg->backoff_ms = 0;
    pg->generation++;
    if (watch(pg, UV_READABLE) != 0)
        return;
    pg->ready_since = uv_now(pg->loop);
    pg->cb.on_ready(pg->user, pg->conn);
    fq_pg_flush(pg);
}

static void attempt_start(attempt *a);

static void on_attempt_retry(uv_timer_t *timer)
{
    attempt *a = timer->data;
    if (a->pg->state == PG_CONNECTING && !a->connecting)
        attempt_start(a);
}

/* The next wait of a doubling back-off (`*backoff_ms` doubled up to the
 * cap: BACKOFF_FAST_MAX_MS while the search for a server is young,
 * BACKOFF_MAX_MS after): half fixed, half random, so that restarted servers
 * do not stampede. */
static unsigned next_backoff(const fq_pg *pg, unsigned *backoff_ms)
{
    unsigned cap = uv_now(pg->loop) - pg->searching_since < BACKOFF_FAST_FOR_MS
                       ? BACKOFF_FAST_MAX_MS
                       : BACKOFF_MAX_MS;
    *backoff_ms = *backoff_ms ? *backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (*backoff_ms > cap)
        *backoff_ms = cap;
    return *backoff_ms / 2 + randombytes_uniform(*backoff_ms / 2 + 1);
}

/* This attempt failed; this host is tried again after its own back-off
 * (while the others go on). */
static void attempt_failed(attempt *a, const char *why_text)
{
    char why[256];
    one_line(why, sizeof why, why_text);
    attempt_stop(a);
    /* A host that keeps failing the same way (read-only until it is
     * promoted, unreachable while cut off) is retried every 50–100 ms, after
     * 30 s every half second: said once at info, its repeats at debug and, with
     * their count, at info every REPEAT_SAID_MS. */
    int again = strcmp(why, a->last_failure) == 0;
    uint64_t now = uv_now(a->pg->loop);
    if (!again) {
        fq_log(FQ_LOG_INFO, "pgconn", "connecting (%s) failed: %s", a->how->where, why);
        a->repeats = 0;
        a->said_at = now;
    } else if (now - a->said_at >= REPEAT_SAID_MS) {
        /* Still failing the same way: said again now and then, so that a
         * log read from any point shows why nothing is written. */
        fq_log(FQ_LOG_INFO, "pgconn", "connecting (%s) still fails (%u more times in %llu s): %s",
               a->how->where, a->repeats + 1, (unsigned long long)(now - a->said_at) / 1000, why);
        a->repeats = 0;
        a->said_at = now;
    } else {
        a->repeats++;
        fq_log(FQ_LOG_DEBUG, "pgconn", "connecting (%s) failed: %s", a->how->where, why);
    }
    snprintf(a->last_failure, sizeof a->last_failure, "%s", why);
    uv_timer_start(&a->timer, on_attempt_retry, next_backoff(a->pg, &a->backoff_ms), 0);
}

static void on_attempt_deadline(uv_timer_t *timer)
{
    attempt *a = timer->data;
    if (a->connecting)
        attempt_failed(a, "connecting took more than 10 s");
}

static void attempt_continue(attempt *a)
{
    /* libpq may replace the socket during a connect (the next address or
     * host, SSL given up), even under the same number, which a poll handle
     * would not notice: the poll stops before libpq may close the socket,
     * and each step watches the socket libpq has now. A connect takes a
     * handful of steps. */
    unwatch(&a->w, free_attempt_handle);
    int events;
    switch (PQconnectPoll(a->conn)) {
    case PGRES_POLLING_READING:
        events = UV_READABLE;
        break;
    case PGRES_POLLING_WRITING:
        events = UV_WRITABLE;
        break;
    case PGRES_POLLING_OK:
        won(a->pg, a);
        return;
    default:
        attempt_failed(a, PQerrorMessage(a->conn));
        return;
    }
    int fd = PQsocket(a->conn);
    if (fd < 0)
        attempt_failed(a, "libpq has no socket to wait on");
    else if (watch_fd(a->pg, &a->w, fd, events, a, on_attempt_socket, free_attempt_handle) != 0)
        attempt_failed(a, "cannot watch the connection's socket (out of memory?)");
}

/* An error on the socket (libuv reports POLLERR as EBADF: a connect timed
 * out, a host unreachable) is libpq's to read too: PQconnectPoll takes the
 * socket's error and moves on to the next address or host of its list, or
 * fails the attempt with a message that says what happened. */
static void on_attempt_socket(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    attempt *a = poll->data;
    if (a->connecting)
        attempt_continue(a);
}

static void on_socket(uv_poll_t *poll, int status, int events)
{
    fq_pg *pg = poll->data;
    if (pg->state != PG_READY)
        return;
    if (status < 0) {
        /* POLLERR (libuv says EBADF): libpq reads the socket's own error
         * ("Connection timed out" after tcp_user_timeout) for the log. */
        if (!PQconsumeInput(pg->conn))
            lose(pg, PQerrorMessage(pg->conn));
        else
            lose(pg, "the connection's socket reported an error");
        return;
    }
    on_ready_io(pg, events);
}

/* Messages PostgreSQL sends outside a statement's result (a NOTICE, the
 * FATAL of a terminated session) go to libpq's notice receiver, which would
 * print them raw on stderr: here they become log lines, described without
 * values like every other error (pgerror.h). */
static void on_notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    fq_log_level level = FQ_LOG_WARN;
    if (severity != NULL && (strcmp(severity, "NOTICE") == 0 || strcmp(severity, "INFO") == 0 ||
                             strcmp(severity, "LOG") == 0))
        level = FQ_LOG_INFO;
    else if (severity != NULL && strcmp(severity, "DEBUG") == 0)
        level = FQ_LOG_DEBUG;
    char text[320];
    fq_pg_error_describe(res, text, sizeof text);
    fq_log(level, "postgres", "%s: %s", severity ? severity : "NOTICE", text);
}

static void attempt_start(attempt *a)
{
    a->conn = PQconnectStartParams(a->how->keys, a->how->values, a->how->expand_dbname);
    if (a->conn == NULL) {
        attempt_failed(a, "out of memory");
        return;
    }
    if (PQstatus(a->conn) == CONNECTION_BAD) {
        attempt_failed(a, PQerrorMessage(a->conn));
        return;
    }
    /* Terse: the connection's error text (PQerrorMessage, logged when the
     * connection is lost) then never carries DETAIL, which quotes rows
     * ("Failing row contains …", reporters' names and phones). Results are
     * described field by field (pgerror.h). */
    PQsetErrorVerbosity(a->conn, PQERRORS_TERSE);
    PQsetNoticeReceiver(a->conn, on_notice, a->pg);
    a->connecting = 1;
    uv_timer_start(&a->timer, on_attempt_deadline, CONNECT_TIMEOUT_MS, 0);
    attempt_continue(a);
}

static void connect_now(fq_pg *pg)
{
    pg->state = PG_CONNECTING;
    for (size_t i = 0; i < pg->n_attempts && pg->state == PG_CONNECTING; i++) {
        pg->attempts[i].backoff_ms = 0;
        attempt_start(&pg->attempts[i]);
    }
}

const char *fq_pg_conninfo(const fq_pg *pg)
{
    return pg->conninfo;
}

PGconn *fq_pg_connect_blocking(const char *conninfo, const char *host, const char *port)
{
    /* As connect_now, then the live connection's host and port: the last
     * value of a keyword wins. A hostaddr list would not match one host. */
    int has_hostaddr = 0;
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    for (PQconninfoOption *o = options; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "hostaddr") == 0 && o->val != NULL && o->val[0] != '\0')
            has_hostaddr = 1;
    PQconninfoFree(options);
    const char *keys[TCP_DEFAULTS + 4], *values[TCP_DEFAULTS + 4];
    size_t n = 0;
    for (size_t i = 0; i < TCP_DEFAULTS; i++, n++) {
        keys[n] = tcp_default_keys[i];
        values[n] = tcp_default_values[i];
    }
    keys[n] = "dbname";
    values[n++] = conninfo;
    if (!has_hostaddr && host != NULL && port != NULL) {
        keys[n] = "host";
        values[n++] = host;
        keys[n] = "port";
        values[n++] = port;
    }
    keys[n] = values[n] = NULL;
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn != NULL)
        PQsetErrorVerbosity(conn, PQERRORS_TERSE);
    return conn;
}

static void on_retry(uv_timer_t *timer)
{
    fq_pg *pg = timer->data;
    if (pg->state == PG_IDLE)
        connect_now(pg);
}

static void schedule_retry(fq_pg *pg)
{
    if (pg->state == PG_CLOSING)
        return;
    uv_timer_start(&pg->retry_timer, on_retry, next_backoff(pg, &pg->backoff_ms), 0);
}

static void on_watchdog(uv_timer_t *timer)
{
    fq_pg *pg = timer->data;
    uint64_t now = uv_now(pg->loop);
    if (pg->state == PG_READY) {
        if (pg->cb.expecting(pg->user) == 0)
            pg->last_progress = now; /* idle is not stuck */
        else if (now - pg->last_progress > ANSWER_TIMEOUT_MS)
            lose(pg, "no answer from PostgreSQL for 30 s");
    }
}

fq_pg *fq_pg_new(uv_loop_t *loop, const char *conninfo, const fq_pg_callbacks *callbacks,
                 void *user)
{
    fq_pg *pg = calloc(1, sizeof *pg);
    if (pg == NULL)
        return NULL;
    if ((pg->conninfo = strdup(conninfo)) == NULL ||
        fq_pg_hosts_plan(&pg->hosts, pg->conninfo, tcp_default_keys, tcp_default_values,
                         TCP_DEFAULTS) != 0 ||
        (pg->attempts = calloc(pg->hosts.count, sizeof *pg->attempts)) == NULL) {
        free_pg(pg);
        return NULL;
    }
    pg->n_attempts = pg->hosts.count;
    pg->loop = loop;
    pg->cb = *callbacks;
    pg->user = user;
    pg->w.fd = -1;
    uv_timer_init(loop, &pg->retry_timer);
    pg->retry_timer.data = pg;
    uv_timer_init(loop, &pg->watchdog);
    pg->watchdog.data = pg;
    pg->open_handles = 2;
    for (size_t i = 0; i < pg->n_attempts; i++) {
        attempt *a = &pg->attempts[i];
        a->pg = pg;
        a->how = &pg->hosts.host[i];
        a->w.fd = -1;
        uv_timer_init(loop, &a->timer);
        a->timer.data = a;
        pg->open_handles++;
    }
    return pg;
}

void fq_pg_start(fq_pg *pg)
{
    uv_timer_start(&pg->watchdog, on_watchdog, WATCHDOG_MS, WATCHDOG_MS);
    pg->searching_since = pg->down_since = uv_now(pg->loop);
    if (pg->state == PG_IDLE)
        connect_now(pg);
}

PGconn *fq_pg_conn(fq_pg *pg)
{
    return pg->state == PG_READY ? pg->conn : NULL;
}

void fq_pg_flush(fq_pg *pg)
{
    if (pg->state != PG_READY)
        return;
    int rv = PQflush(pg->conn);
    if (rv < 0) {
        lose(pg, PQerrorMessage(pg->conn));
        return;
    }
    drain_results(pg);
    if (pg->state == PG_READY)
        watch(pg, rv == 1 ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
}

void fq_pg_reset(fq_pg *pg, const char *why)
{
    if (pg->state == PG_READY || pg->state == PG_CONNECTING)
        lose(pg, why);
}

void fq_pg_close(fq_pg *pg)
{
    drop_poll(pg);
    if (pg->conn != NULL) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    stop_attempts(pg);
    pg->state = PG_CLOSING;
    for (size_t i = 0; i < pg->n_attempts; i++)
        uv_close((uv_handle_t *)&pg->attempts[i].timer, free_attempt_handle);
    uv_timer_stop(&pg->retry_timer);
    uv_close((uv_handle_t *)&pg->retry_timer, free_handle);
    uv_timer_stop(&pg->watchdog);
    uv_close((uv_handle_t *)&pg->watchdog, free_handle);
}

const char *fq_pg_where(fq_pg *pg, char *buf, size_t len)
{
    if (pg->state != PG_READY || pg->conn == NULL) {
        snprintf(buf, len, "not connected");
        return buf;
    }
    const char *host = PQhost(pg->conn), *port = PQport(pg->conn);
    snprintf(buf, len, "host %s port %s", host && host[0] ? host : "(default)",
             port && port[0] ? port : "(default)");
    return buf;
}

const char *fq_pg_describe(fq_pg *pg, char *buf, size_t len)
{
    switch (pg->state) {
    case PG_READY:
        return fq_pg_where(pg, buf, len);
    case PG_CLOSING:
        snprintf(buf, len, "closing");
        return buf;
    case PG_IDLE:
    case PG_CONNECTING:
        break;
    }
    const char *failure = "";
    int connecting = 0;
    for (size_t i = 0; i < pg->n_attempts; i++) {
        connecting += pg->attempts[i].connecting;
        if (pg->attempts[i].last_failure[0] && !failure[0])
            failure = pg->attempts[i].last_failure;
    }
    snprintf(buf, len, "not connected for %llu ms (%d of %zu connection attempts under way%s%s)",
             (unsigned long long)(uv_now(pg->loop) - pg->down_since), connecting, pg->n_attempts,
             failure[0] ? "; the last failure: " : "", failure);
    return buf;
}

unsigned fq_pg_generation(const fq_pg *pg)
{
    return pg->generation;
}
