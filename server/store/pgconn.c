#include "pgconn.h"

#include "log.h"
#include "pgerror.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 500 /* back within a second of PostgreSQL returning */
/* A link that died without a FIN (a frozen host, a firewall dropping packets)
 * would otherwise hold everything in flight until TCP gives up, minutes
 * later; libpq does not enforce connect_timeout when we drive
 * PQconnectPoll ourselves. */
#define CONNECT_TIMEOUT_MS 10000
#define ANSWER_TIMEOUT_MS 30000
#define WATCHDOG_MS 1000

/* Defaults for the connection's TCP settings, used unless the conninfo sets
 * them (docs/operations.md, "Following the primary"): without them a host
 * whose network is cut is noticed when the kernel gives up, after 2 hours
 * of silence (keepalives) or 15 minutes of unacknowledged data. With them
 * an idle connection is probed after 1 s of silence, then every second,
 * and dropped after 2 unanswered probes; data unacknowledged for 2.5 s
 * drops it too (TCP_USER_TIMEOUT, which also bounds a connect to a host
 * that does not answer, so libpq moves on to the next host of the list).
 * The kernel answers probes and acknowledges data itself, so a busy
 * PostgreSQL is not mistaken for a dead one. */
static const char *const tcp_default_keys[] = {
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
static const char *const tcp_default_values[] = {"1", "1", "1", "2", "2500"};
#define TCP_DEFAULTS (sizeof tcp_default_keys / sizeof tcp_default_keys[0])

typedef enum { PG_IDLE, PG_CONNECTING, PG_READY, PG_CLOSING } pg_state;

struct fq_pg {
    uv_loop_t *loop;
    char *conninfo;
    fq_pg_callbacks cb;
    void *user;
    pg_state state;
    PGconn *conn;
    uv_poll_t *poll; /* on PQsocket(conn); replaced when the socket changes */
    int poll_fd;
    int poll_events;
    uv_timer_t retry_timer;
    uv_timer_t watchdog;
    uint64_t connect_started; /* loop time */
    uint64_t last_progress;   /* loop time of the last input, or of idleness */
    unsigned backoff_ms;
    unsigned generation;
    int open_handles;
};

static void on_socket(uv_poll_t *poll, int status, int events);
static void schedule_retry(fq_pg *pg);

static void free_handle(uv_handle_t *handle)
{
    fq_pg *pg = handle->data;
    if (handle != (uv_handle_t *)&pg->retry_timer && handle != (uv_handle_t *)&pg->watchdog)
        free(handle);
    if (--pg->open_handles == 0 && pg->state == PG_CLOSING) {
        free(pg->conninfo);
        free(pg);
    }
}

/* The poll must stop before libpq closes the socket under it. */
static void drop_poll(fq_pg *pg)
{
    if (pg->poll != NULL) {
        uv_poll_stop(pg->poll);
        uv_close((uv_handle_t *)pg->poll, free_handle);
        pg->poll = NULL;
        pg->poll_fd = -1;
        pg->poll_events = 0;
    }
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
    if (pg->poll != NULL && pg->poll_fd != fd)
        drop_poll(pg);
    if (pg->poll == NULL) {
        pg->poll = malloc(sizeof *pg->poll);
        if (pg->poll == NULL || uv_poll_init(pg->loop, pg->poll, fd) != 0) {
            free(pg->poll);
            pg->poll = NULL;
            lose(pg, "cannot watch the connection's socket (out of memory?)");
            return -1;
        }
        pg->poll->data = pg;
        pg->open_handles++;
        pg->poll_fd = fd;
        pg->poll_events = 0;
    }
    if (events != pg->poll_events) {
        uv_poll_start(pg->poll, events, on_socket);
        pg->poll_events = events;
    }
    return 0;
}

static void lose(fq_pg *pg, const char *why_text)
{
    /* `why` often points into the PGconn (PQerrorMessage): keep a copy
     * before PQfinish frees it. Multi-line libpq messages become one line. */
    char why[256];
    snprintf(why, sizeof why, "%s", why_text ? why_text : "");
    for (char *p = why; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    for (size_t n = strlen(why); n > 0 && why[n - 1] == ' ';)
        why[--n] = '\0';
    int was_ready = pg->state == PG_READY;
    drop_poll(pg);
    if (pg->conn != NULL) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    pg->state = PG_IDLE;
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

static void continue_connect(fq_pg *pg)
{
    switch (PQconnectPoll(pg->conn)) {
    case PGRES_POLLING_READING:
        watch(pg, UV_READABLE);
        return;
    case PGRES_POLLING_WRITING:
        watch(pg, UV_WRITABLE);
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        lose(pg, PQerrorMessage(pg->conn));
        return;
    }
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
    pg->cb.on_ready(pg->user, pg->conn);
    fq_pg_flush(pg);
}

static void on_socket(uv_poll_t *poll, int status, int events)
{
    fq_pg *pg = poll->data;
    if (status < 0) {
        lose(pg, uv_strerror(status));
        return;
    }
    if (pg->state == PG_CONNECTING)
        continue_connect(pg);
    else if (pg->state == PG_READY)
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

static void connect_now(fq_pg *pg)
{
    pg->connect_started = uv_now(pg->loop);
    /* The defaults first and the conninfo last, expanded (expand_dbname):
     * libpq keeps the last value of a keyword, so whatever the conninfo
     * says wins, and the conninfo is read by libpq alone (a URI, a list of
     * hosts, target_session_attrs). */
    const char *keys[TCP_DEFAULTS + 2], *values[TCP_DEFAULTS + 2];
    for (size_t i = 0; i < TCP_DEFAULTS; i++) {
        keys[i] = tcp_default_keys[i];
        values[i] = tcp_default_values[i];
    }
    keys[TCP_DEFAULTS] = "dbname";
    values[TCP_DEFAULTS] = pg->conninfo;
    keys[TCP_DEFAULTS + 1] = values[TCP_DEFAULTS + 1] = NULL;
    pg->conn = PQconnectStartParams(keys, values, 1);
    if (pg->conn == NULL) {
        schedule_retry(pg);
        return;
    }
    if (PQstatus(pg->conn) == CONNECTION_BAD) {
        lose(pg, PQerrorMessage(pg->conn));
        return;
    }
    /* Terse: the connection's error text (PQerrorMessage, logged when the
     * connection is lost) then never carries DETAIL, which quotes rows
     * ("Failing row contains …", reporters' names and phones). Results are
     * described field by field (pgerror.h). */
    PQsetErrorVerbosity(pg->conn, PQERRORS_TERSE);
    PQsetNoticeReceiver(pg->conn, on_notice, pg);
    pg->state = PG_CONNECTING;
    continue_connect(pg);
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
    pg->backoff_ms = pg->backoff_ms ? pg->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (pg->backoff_ms > BACKOFF_MAX_MS)
        pg->backoff_ms = BACKOFF_MAX_MS;
    /* Jitter: half fixed, half random, so restarted servers do not stampede. */
    unsigned delay = pg->backoff_ms / 2 + randombytes_uniform(pg->backoff_ms / 2 + 1);
    uv_timer_start(&pg->retry_timer, on_retry, delay, 0);
}

static void on_watchdog(uv_timer_t *timer)
{
    fq_pg *pg = timer->data;
    uint64_t now = uv_now(pg->loop);
    if (pg->state == PG_CONNECTING && now - pg->connect_started > CONNECT_TIMEOUT_MS) {
        lose(pg, "connecting took more than 10 s");
    } else if (pg->state == PG_READY) {
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
    if (pg == NULL || (pg->conninfo = strdup(conninfo)) == NULL) {
        free(pg);
        return NULL;
    }
    pg->loop = loop;
    pg->cb = *callbacks;
    pg->user = user;
    pg->poll_fd = -1;
    uv_timer_init(loop, &pg->retry_timer);
    pg->retry_timer.data = pg;
    uv_timer_init(loop, &pg->watchdog);
    pg->watchdog.data = pg;
    pg->open_handles = 2;
    return pg;
}

void fq_pg_start(fq_pg *pg)
{
    uv_timer_start(&pg->watchdog, on_watchdog, WATCHDOG_MS, WATCHDOG_MS);
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
    pg->state = PG_CLOSING;
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

unsigned fq_pg_generation(const fq_pg *pg)
{
    return pg->generation;
}
