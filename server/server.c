#include "server.h"

#include "directory.h"
#include "dispatch.h"
#include "routing_state.h"
#include "statements.h"
#include "fq_wire.h"
#include "console.h"
#include "intake.h"
#include "terminal.h"
#include "keyseal.h"
#include "msgsock.h"
#include "search_lists.h"
#include "store.h"
#include "api.h"
#include "field.h"
#include "frontdesk.h"
#include "attachments.h"
#include "mediation_reads.h"
#include "findings.h"
#include "upward_api.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "readiness.h"
#include "sdnotify.h"
#include "server_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#ifndef FQ_VERSION
#define FQ_VERSION "unknown"
#endif

typedef struct server {
    uv_loop_t *loop;
    fq_server_config config;
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    fq_store *store;
    fq_store *read_store;          /* the console's reads: their own connection */
    fq_search_lists *search_lists; /* their pending lists cleaned off the writer */
    fq_intake *intake;
    FILE *trace; /* --trace-reports */
    fq_msgsock *intake_sock;
    fq_terminals *terminals;
    fq_msgsock *terminals_sock;
    fq_msgsock *console_sock; /* --console: the same endpoint on its own listener */
    fq_dispatch *dispatch;
    fq_api *api;                   /* the web console's JSON API (--http) */
    fq_http *http;                 /* its HTTP listener */
    fq_open311 *open311;           /* Open311 GeoReport v2 on the same listener */
    fq_field *field;               /* the phones' field API under /api/v1/field/ */
    fq_frontdesk *frontdesk;       /* the front desk under /api/v1/frontdesk/ */
    fq_attachments *attachments;   /* the evidence's bytes, /api/v1/attachments/ */
    fq_mediation_reads *mediation; /* the mediation's reads, /api/v1/mediation/ */
    fq_findings *findings;         /* research and judgment, /api/v1/judgment/ */
    fq_upward *upward;             /* reports upward (NULL: off) */
    fq_upward_api *upward_api;     /* their deliveries for the console, /api/v1/upward/ */
    int serving;                   /* a snapshot has been installed once */
    /* The outcome of the last directory load, written to routing_status
     * (docs/operations.md); one write in flight, the latest outcome wins. */
    struct routing_status {
        fq_store_op op;
        int in_flight, wanted;
        int ok; /* the last load's outcome, kept until written */
        char serving[10], error[512];
        char ok_text[8]; /* FQ_SQL_ROUTING_STATUS's $1 */
        /* For the console's replies (fq_terminals_set_routing_status): ''
         * after a good load, else what failed and what the server routes with. */
        char line[1024];
    } status;
    fq_sdnotify *notify;      /* systemd's notify socket (NULL: not under systemd) */
    char serving_status[512]; /* its STATUS= line while all is well */
    uv_signal_t sigint, sigterm;
    uv_timer_t stats_timer;
    uv_timer_t drain_timer;
    uv_timer_t bind_timer; /* binding again while an endpoint's address is taken */
    int bound;             /* the endpoints are bound */
    int restarting;        /* this run ends to start again as a standby */
    uint64_t drain_deadline;
    int stopping;
    int exit_code;
    uint64_t locked_out_since; /* loop time the serving lock was first refused (0: not refused) */
    /* Readiness (readiness.h): its inputs as they last changed, and the
     * answer acted on (readiness_changed). */
    fq_readiness readiness;
    int ready;
    char readiness_said[512]; /* the last readiness line logged */
    /* The snapshot of the load in flight that the open incidents are taken
     * in with (on_open_rows), until on_directory installs it. */
    fq_snapshot *loading;
    int loading_tried;
    /* For /metrics. */
    int64_t started_ms;        /* wall clock */
    uint64_t reload_failures;  /* directory or routing loads that did not take */
    int64_t last_reload_ok_ms; /* wall clock of the last load that took (0: none) */
    uint64_t guard_refusals;   /* the serving lock refused (each retry counts) */
    /* A warm standby (--if-locked wait; docs/operations.md, "A standby"):
     * loaded while it waits, kept current every few seconds from the point
     * its open incidents are at (readiness.standby_point), caught up from
     * there when it takes the lock. */
    uv_timer_t refresh_timer;
    uint64_t lock_taken_ns; /* uv_hrtime when the lock was taken while a standby */
    uint64_t catch_ups;     /* refreshes and catch-ups taken in */
    uint64_t caught_up;     /* incidents re-read by them */
    double takeover_s;      /* the last take-over: lock taken to bound and ready (0: none) */
    uint64_t takeover_incidents;
    int installed; /* on_directory installed the load's snapshot (for on_point) */
} server;

/* A server killed a moment ago may still hold the serving lock until
 * PostgreSQL notices its session is gone: --if-locked exit gives it this
 * long before it gives up. */
#define LOCKED_OUT_GRACE_MS 5000
/* Exit status when another server holds the database. */
#define EXIT_LOCKED_OUT 3

void fq_server_config_defaults(fq_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->intake_url = "tcp://127.0.0.1:7411";
    c->terminals_url = "tcp://127.0.0.1:7412";
    c->log_level = FQ_LOG_INFO;
    c->presence_timeout_ms = 120000;
    c->server_key_path = "fengqiao-server.key";
    c->max_skew_ms = 120000;
    /* Under the clients' answer wait (FQC_ANSWER_WAIT_MS, 3 s): a live
     * server answers BUSY before a client would take its silence for a
     * host cut off and reconnect (docs/ha.md, app_cut). */
    c->hold_ms = 2000;
    c->max_pending = 20000;
    c->max_pending_bytes = (size_t)256 << 20;
    c->max_batch = 256;
    c->max_batches_in_flight = 2;
    c->id_block = 4096;
    c->read_timeout_ms = 5000;
    c->audit_per_second = 200;
    c->drain_budget = 256;
    c->stats_interval_s = 30;
    c->dedup_distance_m = 200;
    c->dedup_window_ms = 2 * 3600 * 1000;
    c->session_hours = 12;
    fq_findings_config j;
    fq_findings_config_default(&j);
    c->judgment_interval_s = j.interval_s;
    c->judgment_hotspot_min = j.params.hotspot_min;
    c->judgment_hotspot_radius_m = j.params.hotspot_radius_m;
    c->judgment_hotspot_window_ms = j.params.hotspot_window_ms;
    c->judgment_trend_weeks = j.params.trend_weeks;
    c->judgment_trend_min = j.params.trend_min_count;
    c->judgment_trend_p_permille = (unsigned)(j.params.trend_p * 1000 + 0.5);
    c->judgment_repeat_min = j.params.repeat_min;
    c->judgment_repeat_window_ms = j.params.repeat_window_ms;
    c->judgment_pending_days = j.pending_days;
    fq_upward_config_defaults(&c->upward);
}

/* The judgment's settings as findings.h takes them; -1 with why in err when
 * they do not go together. */
static int judgment_config(const fq_server_config *c, fq_findings_config *j, char *err,
                           size_t err_len)
{
    fq_findings_config_default(j);
    j->interval_s = c->judgment_interval_s;
    j->params.hotspot_min = c->judgment_hotspot_min;
    j->params.hotspot_radius_m = c->judgment_hotspot_radius_m;
    j->params.hotspot_window_ms = c->judgment_hotspot_window_ms;
    j->params.trend_weeks = c->judgment_trend_weeks;
    j->params.trend_min_count = c->judgment_trend_min;
    j->params.trend_p = c->judgment_trend_p_permille / 1000.0;
    j->params.repeat_min = c->judgment_repeat_min;
    j->params.repeat_window_ms = c->judgment_repeat_window_ms;
    j->pending_days = c->judgment_pending_days;
    return fq_jd_params_check(&j->params, err, err_len);
}

/* Committed outbox items go to the terminals and to the browsers' feeds:
 * fq_dispatch_set_sink takes one sink. */
static void sink_tee(void *user, const char *box, uint64_t seq, int kind, uint64_t incident_id,
                     int64_t at_ms, uint64_t event_seq, const uint8_t *body, size_t len,
                     int complete)
{
    struct server *srv = user;
    fq_terminals_sink(srv->terminals, box, seq, kind, incident_id, at_ms, event_seq, body, len,
                      complete);
    if (srv->api != NULL)
        fq_api_sink(srv->api, box, seq, kind, incident_id, at_ms, event_seq, body, len, complete);
}

/* The web console: after the first directory load (the accounts' nodes are
 * known by then). A failure stops the server: asked for HTTP, it must not
 * run silently without it. */
static void begin_stop(server *srv, uint64_t drain_ms);
static void server_readiness(void *user, fq_readiness *out);
static void server_metrics(void *user, fq_metrics *m);
static void start_http(server *srv)
{
    const fq_server_config *c = &srv->config;
    if (c->http_listen == NULL || srv->http != NULL || srv->stopping)
        return;
    char err[512];
    fq_http_config hc = {c->http_listen,
                         c->tls_cert,
                         c->tls_key,
                         c->web_root,
                         c->session_hours,
                         c->tile_url,
                         {srv, server_readiness, server_metrics},
                         c->metrics_allow};
    srv->http = fq_http_new(srv->loop, &hc, srv->store, srv->api, err, sizeof err);
    if (srv->http != NULL)
        fq_http_set_open311(srv->http, srv->open311);
    if (srv->http == NULL || err[0] != '\0') {
        fq_log(FQ_LOG_ERROR, "web", "%s", err);
        srv->exit_code = 2;
        begin_stop(srv, 0);
        return;
    }
    fq_log(FQ_LOG_INFO, "web", "listening on %s (%s), web root %s, sessions %u h", c->http_listen,
           c->tls_cert ? "HTTPS, HTTP/2 by ALPN" : "HTTP, loopback only", c->web_root,
           c->session_hours);
}

/* ---- directory ---- */

/* Up to this many node ids are named in the one line that says a reload
 * kept node keys whose new seals do not open (a rotation re-seals them all). */
#define KEPT_IDS_NAMED 8

/* The directory from the rows loaded. A node whose seal does not open with
 * the server key keeps the key it had in `previous` (the directory being
 * served): after `fengqiao-admin server-key rotate` every seal in the
 * database is under the new key while this server still runs with the old
 * one, and it must go on accepting every node until it is restarted with the
 * new key. The node's key itself did not change. A node not in `previous`
 * (a fresh start with a stale key, or a node added under another key) is
 * refused, each named in the log. */
static fq_directory *build_directory(server *srv, const fq_directory *previous,
                                     const PGresult *units, const PGresult *nodes, char *why,
                                     size_t why_len)
{
    char err[256];
    fq_org *org = fq_routing_org(units, why, why_len);
    if (org == NULL)
        return NULL;
    fq_directory *dir = fq_directory_new(org);
    if (dir == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    size_t kept = 0, refused = 0;
    char kept_ids[KEPT_IDS_NAMED * 66] = "";
    for (int i = 0; i < PQntuples(nodes); i++) {
        const char *id = PQgetvalue(nodes, i, 0);
        size_t sealed_len = 0;
        unsigned char *sealed =
            PQunescapeBytea((const unsigned char *)PQgetvalue(nodes, i, 3), &sealed_len);
        uint8_t key[32];
        int opened =
            sealed != NULL && fq_key_unseal(srv->server_key, id, sealed, sealed_len, key) == 0;
        PQfreemem(sealed);
        const fq_node *had = !opened && previous != NULL ? fq_directory_find(previous, id) : NULL;
        if (had != NULL) {
            memcpy(key, had->key, sizeof key);
            if (kept++ < KEPT_IDS_NAMED)
                snprintf(kept_ids + strlen(kept_ids), sizeof kept_ids - strlen(kept_ids), "%s%s",
                         kept > 1 ? ", " : "", id);
        } else if (!opened) {
            /* Sealed under another server key, or tampered with: the node
             * cannot authenticate, everyone else carries on. */
            refused++;
            fq_log(FQ_LOG_WARN, "directory",
                   "the key of node %s does not open with the server key %s; the node is refused "
                   "(was the server key rotated? start with the new one)",
                   id, srv->config.server_key_path);
            continue;
        }
        int revoked = PQgetvalue(nodes, i, 4)[0] == 't';
        if (fq_directory_add_node(dir, id, fq_role_parse(PQgetvalue(nodes, i, 1)),
                                  PQgetvalue(nodes, i, 2), key, revoked, err, sizeof err) != 0)
            fq_log(FQ_LOG_WARN, "directory", "%s", err);
        else if ((PQgetvalue(nodes, i, 5)[0] != '\0' || PQgetvalue(nodes, i, 6)[0] != '\0') &&
                 fq_directory_set_serves(dir, id, PQgetvalue(nodes, i, 5), PQgetvalue(nodes, i, 6),
                                         err, sizeof err) != 0)
            fq_log(FQ_LOG_WARN, "directory", "%s", err);
        else if (fq_directory_set_name(dir, id, PQgetvalue(nodes, i, 7), err, sizeof err) != 0)
            fq_log(FQ_LOG_WARN, "directory", "%s", err);
        sodium_memzero(key, sizeof key);
    }
    if (kept > 0)
        fq_log(FQ_LOG_WARN, "directory",
               "%zu node key%s sealed under another server key than %s (rotated): keeping the "
               "keys this server holds for them until it is restarted with the new key: %s%s",
               kept, kept == 1 ? " is" : "s are", srv->config.server_key_path, kept_ids,
               kept > KEPT_IDS_NAMED ? ", ..." : "");
    if (refused > 0)
        fq_log(FQ_LOG_ERROR, "directory",
               "%zu of %d nodes refused: their keys do not open with the server key %s", refused,
               PQntuples(nodes), srv->config.server_key_path);
    return dir;
}

/* ---- endpoints ---- */

/* Between tries to bind an address that is taken (a stopping server on the
 * same host may hold it for a moment). */
#define BIND_RETRY_MS 200

static void on_bind_retry(uv_timer_t *timer);
static void schedule_refresh(server *srv);
static void on_point(void *user, const PGresult *touched, int64_t point, int fresh_directory,
                     int guarded);

/* Binds the nanomsg endpoints once this server serves: it holds the
 * serving lock and its directory is loaded. A server that has not served
 * yet (start, or a standby) has nothing bound, so REQ clients connected to
 * several servers send only to the one that serves. An address that is
 * taken stops a server started to serve (--if-locked exit: a configuration
 * error, status 1); a standby taking over tries again every 200 ms (the
 * server it replaces may still be letting go of it). */
static void bind_endpoints(server *srv)
{
    if (srv->bound || srv->stopping || !srv->serving || !srv->readiness.guard ||
        srv->readiness.standby)
        return;
    const fq_server_config *c = &srv->config;
    struct {
        fq_msgsock *sock;
        const char *url;
    } eps[] = {{srv->intake_sock, c->intake_url},
               {srv->terminals_sock, c->terminals_url},
               {srv->console_sock, c->console_url}};
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        const char *nn_error = NULL;
        if (eps[i].sock == NULL || fq_msgsock_bind(eps[i].sock, eps[i].url, &nn_error) == 0)
            continue;
        if (!c->if_locked_wait) {
            fq_log(FQ_LOG_ERROR, "server", "cannot listen on %s: %s", eps[i].url,
                   nn_error ? nn_error : "?");
            srv->exit_code = 1;
            begin_stop(srv, 0);
            return;
        }
        if (!uv_is_active((uv_handle_t *)&srv->bind_timer))
            fq_log(FQ_LOG_WARN, "server", "cannot listen on %s yet: %s; trying again every %d ms",
                   eps[i].url, nn_error ? nn_error : "?", BIND_RETRY_MS);
        uv_timer_start(&srv->bind_timer, on_bind_retry, BIND_RETRY_MS, 0);
        return;
    }
    srv->bound = 1;
    fq_log(FQ_LOG_INFO, "server",
           "intake listening on %s (raw REP); max skew %" PRId64 " ms, hold %" PRIu64 " ms",
           c->intake_url, c->max_skew_ms, c->hold_ms);
    fq_log(FQ_LOG_INFO, "server",
           "terminals listening on %s (raw REP); sync held up to 25 s; presence timeout %" PRId64
           " s",
           c->terminals_url, c->presence_timeout_ms / 1000);
    if (srv->console_sock != NULL)
        fq_log(FQ_LOG_INFO, "server",
               "consoles listening on %s (raw REP; the terminal endpoint's requests)",
               c->console_url);
}

static void on_bind_retry(uv_timer_t *timer)
{
    bind_endpoints(timer->data);
}

/* ---- readiness ---- */

/* The pid, written whole under another name and renamed: a reader never
 * sees an empty or partial file. */
static void write_ready_file(server *srv)
{
    const char *path = srv->config.ready_file;
    if (path == NULL)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%d\n", (int)uv_os_getpid()) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        fq_log(FQ_LOG_ERROR, "server", "cannot write the ready file %s: %s", path, strerror(errno));
        unlink(tmp);
    }
}

static void remove_ready_file(server *srv)
{
    const char *path = srv->config.ready_file;
    if (path != NULL && unlink(path) != 0 && errno != ENOENT)
        fq_log(FQ_LOG_ERROR, "server", "cannot remove the ready file %s: %s", path,
               strerror(errno));
}

static int routing_loaded(server *srv)
{
    fq_snapshot *snap = fq_dispatch_current(srv->dispatch);
    return snap != NULL && snap->routing != NULL;
}

/* Called after any input of readiness changed (srv->readiness). Logs each
 * new answer or reason, and acts once per change of the answer: the ready
 * file (systemd's READY=1 and STOPPING=1 belong here too). */
static void readiness_changed(server *srv)
{
    srv->readiness.routing = srv->dispatch != NULL && routing_loaded(srv);
    int ready = fq_readiness_ready(&srv->readiness);
    fq_log(FQ_LOG_DEBUG, "server", "readiness inputs: database %d routing %d guard %d draining %d",
           srv->readiness.database, srv->readiness.routing, srv->readiness.guard,
           srv->readiness.draining);
    char text[512];
    fq_readiness_describe(&srv->readiness, text, sizeof text);
    if (strcmp(text, srv->readiness_said) != 0 &&
        (ready || srv->ready || (srv->serving && !srv->readiness.standby))) {
        /* Before the first load, "not ready" is only the start; a standby
         * says where it is by itself (on_point, on_stats). */
        fq_log(ready || srv->readiness.draining ? FQ_LOG_INFO : FQ_LOG_WARN, "server", "%s", text);
        snprintf(srv->readiness_said, sizeof srv->readiness_said, "%s", text);
    }
    if (ready == srv->ready)
        return;
    srv->ready = ready;
    if (ready) {
        write_ready_file(srv);
        /* After the ready file: whoever waits for either finds both. */
        fq_sdnotify_ready(srv->notify, srv->serving_status);
    } else {
        remove_ready_file(srv);
        if (!srv->readiness.draining) /* a stop said STOPPING=1 already */
            fq_sdnotify_status(srv->notify, "%s: reports answered busy", text);
    }
}

static void submit_routing_status(server *srv);

static void on_routing_status_written(fq_store_op *op, int status, const char *message)
{
    server *srv = (server *)((char *)op - offsetof(server, status.op));
    srv->status.in_flight = 0;
    if (status != FQ_OK)
        fq_log(FQ_LOG_WARN, "routing", "recording the routing status failed: %s",
               message ? message : "");
    if (srv->status.wanted && !srv->stopping)
        submit_routing_status(srv);
}

/* FQ_SQL_ROUTING_STATUS (sql/routing_status.sql) on st's op: the outcome
 * kept in st (ok, serving, error). */
static void routing_status_bind(struct routing_status *st)
{
    snprintf(st->ok_text, sizeof st->ok_text, "%s", st->ok ? "true" : "false");
    st->op.kind = FQ_STORE_OP_READ;
    st->op.statement = FQ_SQL_ROUTING_STATUS_NAME;
    st->op.nparams = FQ_SQL_ROUTING_STATUS_NPARAMS;
    st->op.values[0] = st->ok_text;
    st->op.values[1] = st->serving;
    st->op.values[2] = st->error;
}

static void submit_routing_status(server *srv)
{
    struct routing_status *st = &srv->status;
    if (st->in_flight) {
        st->wanted = 1; /* written again, with the latest outcome, when this one is done */
        return;
    }
    st->wanted = 0;
    st->in_flight = 1;
    fq_store_op *op = &st->op;
    memset(op, 0, sizeof *op);
    routing_status_bind(st);
    op->done = on_routing_status_written;
    fq_store_submit(srv->store, op);
}

/* Records the outcome of a directory load: in the log (a failure at ERROR,
 * which an operator's log watch can match) and in routing_status, which the
 * console's operators and monitoring can query. */
static void routing_status(server *srv, int ok, const char *serving, const char *why)
{
    struct routing_status *st = &srv->status;
    st->ok = ok;
    snprintf(st->serving, sizeof st->serving, "%s", serving);
    snprintf(st->error, sizeof st->error, "%s", ok ? "" : why);
    const char *meanwhile = strcmp(serving, "previous") == 0
                                ? "keeping the previous directory and routing"
                                : "reports are refused busy until it loads";
    if (ok)
        st->line[0] = '\0';
    else
        snprintf(st->line, sizeof st->line, "the routing state did not load: %s; %s", why,
                 meanwhile);
    if (!ok) {
        srv->reload_failures++;
        fq_log(FQ_LOG_ERROR, "routing", "%s", st->line);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        srv->last_reload_ok_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    if (srv->readiness.standby)
        st->wanted = 1; /* the serving server's to write: this one's when it takes over */
    else
        submit_routing_status(srv);
}

/* The directory and the routing state of one load's results: NULL when the
 * directory does not build or out of memory, a snapshot without routing
 * when the routing state does not build; `err` says why. */
static fq_snapshot *build_snapshot(server *srv, const PGresult *const *loaded, char *err,
                                   size_t err_len)
{
    fq_snapshot *old = fq_dispatch_current(srv->dispatch);
    fq_directory *dir = build_directory(srv, old != NULL ? old->directory : NULL,
                                        loaded[FQ_LOAD_UNITS], loaded[FQ_LOAD_NODES], err, err_len);
    if (dir == NULL)
        return NULL;
    fq_routing *routing = fq_routing_build(
        fq_directory_org(dir), loaded[FQ_LOAD_CATEGORIES], loaded[FQ_LOAD_RULES],
        loaded[FQ_LOAD_HANDLERS], loaded[FQ_LOAD_WORKERS], loaded[FQ_LOAD_POLYGONS], err, err_len);
    /* The working calendars belong to the same snapshot: a calendar that does
     * not load fails the routing state like a broken rule would. */
    if (routing != NULL &&
        fq_routing_load_calendars(routing, loaded[FQ_LOAD_CALENDARS], loaded[FQ_LOAD_CALENDAR_DAYS],
                                  err, err_len) != 0) {
        fq_routing_free(routing);
        routing = NULL;
    }
    fq_snapshot *snap = fq_snapshot_new(dir, routing);
    if (snap == NULL) {
        fq_routing_free(routing);
        fq_directory_free(dir);
        snprintf(err, err_len, "out of memory");
    }
    return snap;
}

/* The open incidents, chunk by chunk as the load reads them: taken in with
 * the snapshot of the same load's directory, built at the first chunk and
 * installed by on_directory when the load ends. */
static void on_open_rows(void *user, const PGresult *const *loaded, const fq_case_row *rows,
                         size_t n)
{
    server *srv = user;
    if (rows == NULL) {
        fq_dispatch_open_rows(srv->dispatch, NULL, NULL, 0);
        fq_snapshot_unref(srv->loading);
        srv->loading = NULL;
        srv->loading_tried = 0;
        return;
    }
    if (!srv->loading_tried) {
        /* A directory or routing state that does not build takes no rows;
         * on_directory builds it again at the end and says why. */
        char err[512];
        srv->loading_tried = 1;
        srv->loading = build_snapshot(srv, loaded, err, sizeof err);
    }
    if (srv->loading != NULL) {
        fq_dispatch_open_expected(srv->dispatch, fq_store_open_expected(srv->store));
        fq_dispatch_open_rows(srv->dispatch, srv->loading, rows, n);
    }
}

static void on_directory(void *user, const PGresult *const *loaded)
{
    server *srv = user;
    srv->installed = 0;
    char err[512];
    fq_snapshot *old = fq_dispatch_current(srv->dispatch);
    int have_routing = old != NULL && old->routing != NULL;
    /* The load's snapshot, if the open incidents were taken in with it. */
    fq_snapshot *snap = srv->loading;
    srv->loading = NULL;
    srv->loading_tried = 0;
    if (snap == NULL || snap->routing == NULL) {
        fq_snapshot_unref(snap);
        snap = build_snapshot(srv, loaded, err, sizeof err);
    }
    if (snap == NULL) {
        char why[600];
        snprintf(why, sizeof why, "directory: %s", err);
        routing_status(srv, 0, old != NULL ? "previous" : "none", why);
        return;
    }
    fq_directory *dir = snap->directory;
    fq_routing *routing = snap->routing;
    if (routing == NULL && have_routing) {
        /* A broken rule or topology change must not stop the routing: keep
         * the last good state whole (directory included, so they agree). */
        routing_status(srv, 0, "previous", err);
        fq_snapshot_unref(snap);
        return;
    }
    if (routing == NULL)
        routing_status(srv, 0, "none", err);
    else
        routing_status(srv, 1, "current", "");
    if (fq_dispatch_install(srv->dispatch, snap))
        fq_store_skip_open_load(srv->store);
    srv->installed = 1;
    fq_snapshot_unref(snap);
    fq_log(FQ_LOG_INFO, "directory", "%zu units, %zu nodes; routing: %s",
           fq_org_count(fq_directory_org(dir)), fq_directory_node_count(dir),
           routing ? "loaded" : "none");
    if (routing != NULL)
        fq_log(FQ_LOG_INFO, "routing",
               "rule set %u, %zu categories, %zu handlers, %zu workers, %s; %zu open "
               "incidents; display names %zu bytes",
               routing->rule_set, fq_taxonomy_count(routing->taxonomy),
               fq_roster_handler_count(routing->roster), fq_roster_worker_count(routing->roster),
               routing->geo ? "grid polygons" : "no grid polygons",
               fq_dispatch_get_stats(srv->dispatch)->open,
               fq_org_names_memory(fq_directory_org(dir)) +
                   fq_taxonomy_names_memory(routing->taxonomy) +
                   fq_roster_names_memory(routing->roster));
    for (size_t i = 0; routing != NULL && i < routing->n_calendars; i++) {
        const fq_district_calendar *dc = &routing->calendars[i];
        char years[128] = "";
        for (int y = FQ_CAL_FIRST_YEAR; y <= FQ_CAL_LAST_YEAR; y++)
            if (fq_calendar_covers_year(&dc->calendar, y) && strlen(years) + 6 < sizeof years)
                snprintf(years + strlen(years), sizeof years - strlen(years), "%s%d",
                         years[0] ? "," : "", y);
        fq_log(FQ_LOG_INFO, "calendar",
               "%s, working days of the years %s (working-time limits count on it)",
               fq_org_id(fq_directory_org(dir), dc->district), years[0] ? years : "none");
    }
    if (srv->http != NULL)
        fq_http_directory_reloaded(srv->http);
    if (srv->api != NULL)
        fq_api_directory_changed(srv->api); /* the cached topology documents */
    if (!srv->serving) {
        srv->serving = 1;
        bind_endpoints(srv); /* not while a standby: take_over does */
        if (!srv->readiness.standby)
            start_http(srv);
    }
    /* systemd's STATUS= while ready (readiness_changed). */
    snprintf(srv->serving_status, sizeof srv->serving_status,
             "serving: intake %s, terminals %s%s%s; %zu units", srv->config.intake_url,
             srv->config.terminals_url, srv->config.http_listen ? ", web " : "",
             srv->config.http_listen ? srv->config.http_listen : "",
             fq_org_count(fq_directory_org(dir)));
    readiness_changed(srv);
}

static void on_read_store_status(void *user, int connected, const char *why)
{
    server *srv = user;
    if (connected)
        fq_log(FQ_LOG_INFO, "reads", "connected to PostgreSQL (%s; statement_timeout %u ms)",
               why ? why : "", srv->config.read_timeout_ms);
    else
        fq_log(FQ_LOG_WARN, "reads", "lost PostgreSQL (%s); reconnecting", why ? why : "");
}

static void on_store_status(void *user, int connected, const char *why)
{
    server *srv = user;
    if (connected) {
        fq_log(FQ_LOG_INFO, "store", "connected to PostgreSQL (%s)", why ? why : "");
        if (!srv->serving_status[0])
            fq_sdnotify_status(srv->notify, "connected to PostgreSQL; loading the directory");
    } else {
        fq_log(FQ_LOG_WARN, "store", "lost PostgreSQL (%s); holding requests and reconnecting",
               why ? why : "");
    }
    srv->readiness.database = connected;
    if (!connected)
        srv->readiness.guard = 0; /* the serving lock went with the session */
    readiness_changed(srv);
}

static void on_store_guard(void *user, int held, const char *why)
{
    server *srv = user;
    /* Held or refused, the claim came back over a live connection. */
    srv->readiness.database = 1;
    if (held) {
        if (srv->locked_out_since != 0)
            fq_log(FQ_LOG_INFO, "store",
                   "the other server let go: this one now serves the database");
        else
            fq_log(FQ_LOG_INFO, "store", "holding the database's serving lock");
        srv->locked_out_since = 0;
        srv->readiness.guard = 1;
        if (srv->readiness.standby) {
            /* A standby takes over: what was touched since its point, read
             * now that no one else writes, then it serves (on_point). One
             * that has not loaded yet loads whole first. */
            srv->lock_taken_ns = uv_hrtime();
            uv_timer_stop(&srv->refresh_timer);
            if (srv->serving)
                fq_store_catch_up(srv->store);
        }
        bind_endpoints(srv); /* a reconnect: bound already, or not serving yet */
        readiness_changed(srv);
        return;
    }
    srv->guard_refusals++;
    srv->readiness.guard = 0;
    readiness_changed(srv);
    if (srv->serving && !srv->readiness.standby && srv->config.if_locked_wait && !srv->stopping) {
        /* Another server took over while this one was away from the
         * database: what this one holds in memory (open incidents,
         * deadlines, feeds) is stale from now on, and may hold decisions
         * whose writes never committed. It stops serving (unbinds its
         * endpoints; what waits is answered busy) and starts again as a
         * warm standby, which loads everything afresh while it waits and
         * catches up from there when it takes over. Never two servers
         * bound at once. */
        fq_log(FQ_LOG_WARN, "store", "%s; this server stops serving and starts again as a standby",
               why);
        fq_sdnotify_status(srv->notify, "standby: another fengqiaod took over this database");
        srv->restarting = 1;
        srv->exit_code = FQ_SERVER_RESTART;
        begin_stop(srv, 0);
        return;
    }
    uint64_t now = uv_now(srv->loop);
    if (srv->locked_out_since == 0) {
        srv->locked_out_since = now;
        fq_sdnotify_status(srv->notify, "standby: another fengqiaod serves this database");
        if (srv->config.if_locked_wait)
            fq_log(FQ_LOG_WARN, "store",
                   "%s; waiting until it stops (--if-locked wait); nothing is written "
                   "meanwhile and reports are answered busy",
                   why);
        else
            fq_log(FQ_LOG_WARN, "store",
                   "%s; exiting unless it lets go within %d s (--if-locked wait waits "
                   "instead)",
                   why, LOCKED_OUT_GRACE_MS / 1000);
    }
    if (!srv->config.if_locked_wait && !srv->stopping &&
        now - srv->locked_out_since >= LOCKED_OUT_GRACE_MS) {
        fq_log(FQ_LOG_ERROR, "store", "%s; exiting with status %d", why, EXIT_LOCKED_OUT);
        srv->exit_code = EXIT_LOCKED_OUT;
        /* Nothing can be written: no point waiting for what is in flight. */
        begin_stop(srv, 0);
    }
}

/* ---- a warm standby (docs/operations.md, "A standby") ---- */

/* Between a standby's refreshes: 2 s and up to 1 s more at random, so that
 * two standbys do not read in step. Each refresh re-reads only the incidents
 * touched since the last one (at 100 reports a second, some 200-300 rows:
 * milliseconds of either side's CPU), and the catch-up at a take-over has
 * at most that much plus what came since. */
#define REFRESH_MS 2000
#define REFRESH_JITTER_MS 1000

static void on_refresh(uv_timer_t *timer)
{
    server *srv = timer->data;
    if (srv->readiness.standby && srv->serving && !srv->readiness.guard && !srv->stopping)
        fq_store_catch_up(srv->store);
    schedule_refresh(srv);
}

static void schedule_refresh(server *srv)
{
    if (srv->stopping || !srv->readiness.standby)
        return;
    uv_timer_start(&srv->refresh_timer, on_refresh,
                   REFRESH_MS + randombytes_uniform(REFRESH_JITTER_MS + 1), 0);
}

/* The standby holds the lock and its state is current: it serves. */
static void take_over(server *srv, int64_t from, const fq_dispatch_catch_up_counts *c,
                      uint64_t read_ns, uint64_t applied_ns)
{
    fq_store_track(srv->store, 0);
    uv_timer_stop(&srv->refresh_timer);
    srv->readiness.standby = 0;
    fq_dispatch_set_passive(srv->dispatch, 0); /* the deadlines that fell due fire now */
    if (srv->status.wanted)
        submit_routing_status(srv);
    bind_endpoints(srv);
    start_http(srv);
    readiness_changed(srv);
    uint64_t now = uv_hrtime(), taken = srv->lock_taken_ns;
    srv->takeover_s = taken != 0 && now > taken ? (now - taken) / 1e9 : 0;
    srv->takeover_incidents = c->added + c->replaced + c->removed;
    if (from >= 0)
        fq_log(FQ_LOG_INFO, "server",
               "took over at event %lld: caught up from event %lld, %zu incidents re-read "
               "(%zu new, %zu changed, %zu closed); serving %.3f s after taking the lock (read "
               "%.3f s, taken in %.3f s, bound %.3f s)",
               srv->readiness.standby_point, (long long)from, c->added + c->replaced + c->removed,
               c->added, c->replaced, c->removed, srv->takeover_s,
               taken != 0 && read_ns > taken ? (read_ns - taken) / 1e9 : 0,
               (applied_ns - read_ns) / 1e9, (now - applied_ns) / 1e9);
    else
        fq_log(FQ_LOG_INFO, "server", "serving from event %lld (no other server held the lock)",
               srv->readiness.standby_point);
}

/* A tracked load came in (store.h, fq_store_point_cb): the incidents touched
 * since the last point, if any, taken in; the standby is at `point` now. */
static void on_point(void *user, const PGresult *touched, int64_t point, int fresh_directory,
                     int guarded)
{
    server *srv = user;
    if (!srv->readiness.standby)
        return;
    const uint64_t read_ns = uv_hrtime();
    int64_t from = touched != NULL ? srv->readiness.standby_point : -1;
    fq_dispatch_catch_up_counts counts = {0};
    /* A directory of the same snapshot that did not take (the previous one
     * is kept) counted none of the changes: the workers' loads follow them. */
    const int fresh = fresh_directory && srv->installed;
    srv->installed = 0;
    if (touched != NULL && srv->serving) {
        if (fq_dispatch_catch_up(srv->dispatch, touched, fresh, &counts) != 0) {
            /* Nothing in to catch up on: cannot happen once loaded. */
            fq_log(FQ_LOG_ERROR, "server", "the standby's catch-up found no open incidents");
            return;
        }
        srv->catch_ups++;
        srv->caught_up += counts.added + counts.replaced + counts.removed;
        if (counts.dropped + counts.undecodable > 0)
            fq_log(FQ_LOG_WARN, "server",
                   "catch-up: %zu open incidents cannot be cases under this routing state, %zu "
                   "not decoded",
                   counts.dropped, counts.undecodable);
    }
    int64_t was = srv->readiness.standby_point;
    srv->readiness.standby_point = point;
    if (!srv->serving)
        return; /* the directory did not build: loaded again */
    if (guarded && srv->readiness.guard) {
        take_over(srv, from, &counts, read_ns, uv_hrtime());
        return;
    }
    if (was < 0)
        fq_log(FQ_LOG_INFO, "server",
               "standby (warm, at event %lld): %zu open incidents loaded; re-reading what "
               "changes every %d-%d s until it takes over",
               (long long)point, fq_dispatch_get_stats(srv->dispatch)->open, REFRESH_MS / 1000,
               (REFRESH_MS + REFRESH_JITTER_MS) / 1000);
    else
        fq_log(FQ_LOG_DEBUG, "server",
               "standby (warm, at event %lld): %zu incidents re-read (%zu new, %zu changed, %zu "
               "closed)",
               (long long)point, counts.added + counts.replaced + counts.removed, counts.added,
               counts.replaced, counts.removed);
    if (point != was)
        fq_sdnotify_status(srv->notify,
                           "standby (warm, at event %lld): another fengqiaod serves this database",
                           (long long)point);
}

/* ---- stats ---- */

static void on_stats(uv_timer_t *timer)
{
    server *srv = timer->data;
    if (srv->readiness.standby && srv->serving)
        fq_log(FQ_LOG_INFO, "stats",
               "standby (warm, at event %lld): %zu open incidents, %zu deadlines; %" PRIu64
               " refreshes re-read %" PRIu64 " incidents",
               srv->readiness.standby_point, fq_dispatch_get_stats(srv->dispatch)->open,
               fq_dispatch_get_stats(srv->dispatch)->pending_deadlines, srv->catch_ups,
               srv->caught_up);
    const fq_intake_stats *is = fq_intake_get_stats(srv->intake);
    const fq_store_stats *ss = fq_store_get_stats(srv->store);
    const fq_dispatch_stats *ds = fq_dispatch_get_stats(srv->dispatch);
    fq_log(FQ_LOG_INFO, "stats",
           "requests %" PRIu64 " accepted %" PRIu64 " duplicates %" PRIu64 " coalesced %" PRIu64
           " invalid %" PRIu64 " unauthenticated %" PRIu64 " forbidden %" PRIu64 " stale %" PRIu64
           " busy %" PRIu64 " | batches %" PRIu64 " largest %zu serial %" PRIu64 " lookups %" PRIu64
           " lookups-own %" PRIu64 " resends-found %" PRIu64
           " pending %zu in-flight %zu pending-bytes %zu"
           " over-budget %" PRIu64 " | audit %" PRIu64 " dropped %" PRIu64,
           is->requests, is->accepted, is->duplicates, is->coalesced, is->by_status[2],
           is->by_status[3], is->by_status[4], is->by_status[8], is->by_status[5], ss->batches,
           ss->largest_batch, ss->serial_ops, ss->lookups, ss->lookups_own, ss->resends_found,
           ss->pending, is->in_flight, is->pending_bytes, is->over_budget, is->audit_written,
           is->audit_dropped);
    fq_log(FQ_LOG_INFO, "routing",
           "village %" PRIu64 " town %" PRIu64 " district %" PRIu64 " merged %" PRIu64
           " unplaced %" PRIu64 " unroutable %" PRIu64 " | warnings %" PRIu64
           " escalations %" PRIu64 " breaches at the top %" PRIu64 " | open %zu deadlines %zu",
           ds->routed[1], ds->routed[2], ds->routed[3], ds->merged, ds->unplaced, ds->unroutable,
           ds->warnings, ds->escalations, ds->breaches_at_top, ds->open, ds->pending_deadlines);
    const fq_terminals_stats *ts = fq_terminals_get_stats(srv->terminals);
    fq_log(FQ_LOG_INFO, "terminals",
           "syncs %" PRIu64 " held %zu boxes %zu | items %" PRIu64 " from memory %" PRIu64
           " from database %" PRIu64 " heartbeats %" PRIu64 " superseded %" PRIu64
           " | actions %" PRIu64 " refused %" PRIu64 " | silent %" PRIu64 " | %zu bytes",
           ts->syncs, ts->held, ts->boxes, ts->items_sent, ts->answered_from_memory,
           ts->answered_from_database, ts->heartbeats, ts->superseded, ts->actions, ts->refused,
           ts->went_silent, ts->memory);
}

/* ---- /metrics (docs/operations.md, Monitoring; server_metrics.c) ---- */

static void server_readiness(void *user, fq_readiness *out)
{
    server *srv = user;
    srv->readiness.routing = routing_loaded(srv);
    *out = srv->readiness;
}

static void server_metrics(void *user, fq_metrics *m)
{
    server *srv = user;
    fq_server_metrics_sources src = {.intake = srv->intake,
                                     .terminals = srv->terminals,
                                     .store = srv->store,
                                     .read_store = srv->read_store,
                                     .search_lists = srv->search_lists,
                                     .dispatch = srv->dispatch,
                                     .upward = srv->upward,
                                     .started_ms = srv->started_ms,
                                     .reload_failures = srv->reload_failures,
                                     .last_reload_ok_ms = srv->last_reload_ok_ms,
                                     .guard_refusals = srv->guard_refusals,
                                     .catch_ups = srv->catch_ups,
                                     .caught_up = srv->caught_up,
                                     .takeover_s = srv->takeover_s,
                                     .takeover_incidents = srv->takeover_incidents};
    server_readiness(srv, &src.readiness);
    fq_server_metrics_write(&src, m);
}

/* ---- stopping ---- */

static void finish_stop(server *srv)
{
    on_stats(&srv->stats_timer);
    uv_timer_stop(&srv->drain_timer);
    uv_close((uv_handle_t *)&srv->drain_timer, NULL);
    uv_timer_stop(&srv->bind_timer);
    uv_close((uv_handle_t *)&srv->bind_timer, NULL);
    uv_timer_stop(&srv->refresh_timer);
    uv_close((uv_handle_t *)&srv->refresh_timer, NULL);
    uv_close((uv_handle_t *)&srv->stats_timer, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    fq_sdnotify_close(srv->notify);
    srv->notify = NULL;
    /* The store answers what is still waiting (busy) through the intake,
     * which needs the socket: close the store first. */
    fq_terminals_stop(srv->terminals);
    fq_upward_stop(srv->upward);
    if (srv->api != NULL)
        fq_api_stop(srv->api);
    fq_findings_stop(srv->findings);
    if (srv->http != NULL)
        fq_http_close(srv->http);
    fq_search_lists_close(srv->search_lists);
    fq_store_close(srv->store);
    fq_store_close(srv->read_store);
    fq_dispatch_stop(srv->dispatch);
    if (srv->intake_sock)
        fq_msgsock_close(srv->intake_sock);
    if (srv->terminals_sock)
        fq_msgsock_close(srv->terminals_sock);
    if (srv->console_sock)
        fq_msgsock_close(srv->console_sock);
}

static void on_drain_tick(uv_timer_t *timer)
{
    server *srv = timer->data;
    if ((fq_intake_in_flight(srv->intake) == 0 && fq_terminals_in_flight(srv->terminals) == 0 &&
         (srv->http == NULL || fq_http_idle(srv->http))) ||
        uv_now(srv->loop) >= srv->drain_deadline)
        finish_stop(srv);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    server *srv = handle->data;
    if (srv->stopping)
        return;
    fq_log(FQ_LOG_INFO, "server", "received signal %d: no new requests; finishing %zu in flight",
           signum, fq_intake_in_flight(srv->intake));
    begin_stop(srv, srv->config.hold_ms + 1000);
}

/* No new requests; what is in flight gets at most `drain_ms` to finish. */
static void begin_stop(server *srv, uint64_t drain_ms)
{
    if (srv->stopping)
        return;
    srv->stopping = 1;
    char status[128];
    snprintf(status, sizeof status, "stopping: finishing %zu requests in flight",
             srv->intake ? fq_intake_in_flight(srv->intake) : 0);
    if (!srv->restarting) /* the service goes on: systemd must not think it stops */
        fq_sdnotify_stopping(srv->notify, status);
    srv->readiness.draining = 1;
    readiness_changed(srv);
    if (srv->intake_sock)
        fq_msgsock_pause(srv->intake_sock);
    if (srv->terminals_sock)
        fq_msgsock_pause(srv->terminals_sock);
    if (srv->console_sock)
        fq_msgsock_pause(srv->console_sock);
    /* Held syncs are answered now: their terminals come back to the next
     * server without waiting out the hold. */
    fq_terminals_stop(srv->terminals);
    /* No new connections; the live feeds end (browsers reconnect elsewhere). */
    if (srv->api != NULL)
        fq_api_stop(srv->api);
    if (srv->http != NULL)
        fq_http_stop(srv->http);
    srv->drain_deadline = uv_now(srv->loop) + drain_ms;
    uv_timer_start(&srv->drain_timer, on_drain_tick, 0, 20);
}

/* ---- start ---- */

static void raise_open_files_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = before;
    fq_log(FQ_LOG_INFO, "server", "open files limit: %llu (was %llu, hard %llu)",
           (unsigned long long)rl.rlim_cur, (unsigned long long)before,
           (unsigned long long)rl.rlim_max);
}

int fq_server_run(const fq_server_config *config)
{
    char err[256];
    if (sodium_init() < 0) {
        fq_log(FQ_LOG_ERROR, "server", "libsodium failed to initialise");
        return 1;
    }
    server srv;
    memset(&srv, 0, sizeof srv);
    srv.config = *config;
    struct timespec started;
    clock_gettime(CLOCK_REALTIME, &started);
    srv.started_ms = (int64_t)started.tv_sec * 1000 + started.tv_nsec / 1000000;
    if (config->conninfo == NULL) {
        fq_log(FQ_LOG_ERROR, "server", "no database: give --db CONNINFO or set FQ_DB");
        return 2;
    }
    if (fq_server_key_load(config->server_key_path, srv.server_key, err, sizeof err) != 0) {
        fq_log(FQ_LOG_ERROR, "server", "%s", err);
        return 2;
    }
    /* The reports upward's settings and files, before anything is started. */
    if (fq_upward_new(NULL, NULL, &config->upward, NULL, err, sizeof err) != 0) {
        fq_log(FQ_LOG_ERROR, "server", "%s", err);
        sodium_memzero(srv.server_key, sizeof srv.server_key);
        return 2;
    }
    /* A ready file left by a killed run would say "ready" before this one is. */
    remove_ready_file(&srv);
    raise_open_files_limit();
    srv.loop = uv_default_loop();

    fq_store_config sc = {config->conninfo,
                          config->hold_ms,
                          config->max_pending,
                          config->max_batch,
                          config->max_batches_in_flight,
                          0,
                          config->id_block};
    srv.store = fq_store_new(srv.loop, &sc, on_directory, on_store_status, &srv);
    if (srv.store != NULL) {
        fq_store_on_guard(srv.store, on_store_guard);
        fq_store_on_open_rows(srv.store, on_open_rows);
        /* A standby loads while it waits (docs/operations.md, "A standby"). */
        if (config->if_locked_wait)
            fq_store_set_warm(srv.store, on_point);
    }
    fq_dispatch_config dc = {config->dedup_distance_m, config->dedup_window_ms, 256};
    srv.dispatch = srv.store ? fq_dispatch_new(srv.loop, srv.store, &dc) : NULL;
    if (config->trace_reports_path != NULL) {
        /* Written by the loop thread as reports commit: a buffer of its own,
         * so a line costs no system call. */
        srv.trace = fopen(config->trace_reports_path, "w");
        if (srv.trace == NULL) {
            fq_log(FQ_LOG_ERROR, "server", "--trace-reports %s: %s", config->trace_reports_path,
                   strerror(errno));
            return 2;
        }
        setvbuf(srv.trace, NULL, _IOFBF, 1 << 16);
    }
    srv.readiness.standby_point = -1;
    if (srv.dispatch != NULL && config->if_locked_wait) {
        /* Passive until it holds the lock and has caught up (take_over);
         * a server that gets the lock at once takes over at its first load. */
        fq_dispatch_set_passive(srv.dispatch, 1);
        srv.readiness.standby = 1;
    }
    fq_intake_config ic = {config->max_skew_ms, config->audit_per_second, 1000,
                           config->max_pending_bytes, srv.trace};
    srv.intake = srv.dispatch ? fq_intake_new(srv.loop, &ic, srv.store, srv.dispatch) : NULL;
    fq_terminals_config tc = {config->max_skew_ms,         25000,
                              config->presence_timeout_ms, 1000,
                              config->audit_per_second,    fq_console_query};
    srv.terminals = srv.dispatch ? fq_terminals_new(srv.loop, &tc, srv.store, srv.dispatch) : NULL;
    if (srv.terminals != NULL)
        fq_terminals_set_routing_status(srv.terminals, srv.status.line);
    /* The console's reads on a second connection: a heavy statistics query
     * waits there, bounded by its statement_timeout, never in front of the
     * intake's writes (docs/operations.md). Group commit makes no sense for
     * reads: small batches, so one slow read holds few others. */
    fq_store_config rc = {
        config->conninfo, config->hold_ms, 1000, 4, 2, config->read_timeout_ms, 0};
    srv.read_store = fq_store_new(srv.loop, &rc, NULL, on_read_store_status, &srv);
    if (srv.read_store != NULL && srv.terminals != NULL)
        fq_terminals_set_read_store(srv.terminals, srv.read_store, config->read_timeout_ms);
    if (srv.store != NULL && srv.read_store != NULL)
        srv.search_lists = fq_search_lists_new(srv.loop, srv.store, srv.read_store);
    if (srv.store == NULL || srv.intake == NULL || srv.terminals == NULL ||
        srv.read_store == NULL || srv.search_lists == NULL) {
        fq_log(FQ_LOG_ERROR, "server", "out of memory");
        return 1;
    }
    /* The endpoints exist from the start but are bound only while this
     * server holds the serving lock and has its directory (bind_endpoints):
     * a standby binds nothing, so clients that list several servers reach
     * the one that serves (docs/operations.md, "A standby"). */
    const char *nn_error = NULL;
    if (fq_msgsock_open(srv.loop, FQ_MAX_FRAME_BYTES, config->drain_budget, fq_intake_on_request,
                        srv.intake, &srv.intake_sock, &nn_error) != 0 ||
        fq_msgsock_open(srv.loop, FQ_MAX_FRAME_BYTES, config->drain_budget, fq_terminals_on_request,
                        srv.terminals, &srv.terminals_sock, &nn_error) != 0 ||
        (config->console_url != NULL &&
         fq_msgsock_open(srv.loop, FQ_MAX_FRAME_BYTES, config->drain_budget,
                         fq_terminals_on_request, srv.terminals, &srv.console_sock,
                         &nn_error) != 0)) {
        fq_log(FQ_LOG_ERROR, "server", "cannot make the nanomsg sockets: %s",
               nn_error ? nn_error : "?");
        fq_terminals_stop(srv.terminals);
        if (srv.intake_sock)
            fq_msgsock_close(srv.intake_sock);
        if (srv.terminals_sock)
            fq_msgsock_close(srv.terminals_sock);
        fq_search_lists_close(srv.search_lists);
        fq_store_close(srv.store);
        fq_store_close(srv.read_store);
        fq_dispatch_stop(srv.dispatch);
        uv_run(srv.loop, UV_RUN_DEFAULT);
        fq_intake_free(srv.intake);
        if (srv.trace != NULL)
            fclose(srv.trace);
        fq_terminals_free(srv.terminals);
        fq_dispatch_free(srv.dispatch);
        return 1;
    }
    fq_intake_attach(srv.intake, srv.intake_sock);
    if (config->http_listen != NULL) {
        srv.api = fq_api_new(srv.loop, srv.terminals, srv.dispatch, srv.read_store);
        if (srv.api != NULL &&
            fq_api_set_tile_url(srv.api, config->tile_url ? config->tile_url : "") != 0) {
            fq_api_free(srv.api);
            srv.api = NULL;
        }
        /* Open311's reads on the reads store; its reports through the intake. */
        srv.open311 = fq_open311_new(srv.loop, srv.read_store, srv.intake, srv.dispatch);
        /* The phones: their syncs and actions through the terminal endpoint,
         * their reports through the intake, their reads on the reads store. */
        srv.field = fq_field_new(srv.loop, srv.terminals, srv.intake, srv.dispatch, srv.read_store);
        srv.attachments = fq_attachments_new(srv.dispatch, srv.read_store);
        /* The front desk: its cases through the intake, its persons sealed
         * under a key derived from the server key. */
        srv.frontdesk =
            fq_frontdesk_new(srv.intake, srv.dispatch, srv.store, srv.read_store, srv.server_key);
        if (srv.api != NULL && srv.frontdesk != NULL)
            fq_api_set_part(srv.api, FQ_API_FRONTDESK, fq_frontdesk_handle, srv.frontdesk);
        srv.mediation = fq_mediation_reads_new(srv.store, srv.read_store);
        if (srv.api != NULL && srv.field != NULL)
            fq_api_set_part(srv.api, FQ_API_FIELD, fq_field_handle, srv.field);
        if (srv.api != NULL && srv.attachments != NULL)
            fq_api_set_part(srv.api, FQ_API_ATTACHMENTS, fq_attachments_handle, srv.attachments);
        if (srv.api != NULL && srv.mediation != NULL)
            fq_api_set_part(srv.api, FQ_API_MEDIATION, fq_mediation_reads_handle, srv.mediation);
        fq_findings_config jc;
        char jerr[160];
        if (judgment_config(config, &jc, jerr, sizeof jerr) != 0) {
            fq_log(FQ_LOG_ERROR, "server", "judgment settings: %s", jerr);
            return 2;
        }
        srv.findings = srv.api ? fq_findings_new(srv.loop, srv.read_store, srv.api, &jc) : NULL;
        if (srv.findings != NULL) {
            fq_api_set_part(srv.api, FQ_API_JUDGMENT, fq_findings_handle, srv.findings);
            fq_findings_start(srv.findings);
        }
        srv.upward_api = fq_upward_api_new(srv.read_store);
        if (srv.api != NULL && srv.upward_api != NULL)
            fq_api_set_part(srv.api, FQ_API_UPWARD, fq_upward_api_handle, srv.upward_api);
        if (srv.api == NULL || srv.open311 == NULL || srv.field == NULL ||
            srv.attachments == NULL || srv.frontdesk == NULL || srv.mediation == NULL ||
            srv.findings == NULL || srv.upward_api == NULL) {
            fq_log(FQ_LOG_ERROR, "server", "out of memory");
            return 1;
        }
    }
    fq_dispatch_set_sink(srv.dispatch, sink_tee, &srv);
    if (fq_upward_new(srv.loop, srv.store, &config->upward, &srv.upward, err, sizeof err) != 0) {
        fq_log(FQ_LOG_ERROR, "server", "%s", err);
        return 2;
    }

    uv_signal_init(srv.loop, &srv.sigint);
    uv_signal_init(srv.loop, &srv.sigterm);
    srv.sigint.data = srv.sigterm.data = &srv;
    uv_signal_start(&srv.sigint, on_signal, SIGINT);
    uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
    uv_timer_init(srv.loop, &srv.stats_timer);
    uv_timer_init(srv.loop, &srv.drain_timer);
    uv_timer_init(srv.loop, &srv.bind_timer);
    uv_timer_init(srv.loop, &srv.refresh_timer);
    srv.stats_timer.data = srv.drain_timer.data = srv.bind_timer.data = &srv;
    srv.refresh_timer.data = &srv;
    if (config->if_locked_wait)
        schedule_refresh(&srv);
    if (config->stats_interval_s > 0)
        uv_timer_start(&srv.stats_timer, on_stats, config->stats_interval_s * 1000ULL,
                       config->stats_interval_s * 1000ULL);
    srv.notify = fq_sdnotify_start(srv.loop);
    fq_sdnotify_status(srv.notify, "connecting to PostgreSQL");
    fq_store_start(srv.store);
    fq_store_start(srv.read_store);
    fq_upward_start(srv.upward);

    uv_run(srv.loop, UV_RUN_DEFAULT);

    fq_http_free(srv.http);
    if (srv.api != NULL)
        fq_api_free(srv.api);
    fq_open311_free(srv.open311);
    fq_field_free(srv.field);
    fq_frontdesk_free(srv.frontdesk);
    fq_attachments_free(srv.attachments);
    fq_mediation_reads_free(srv.mediation);
    fq_findings_free(srv.findings);
    fq_upward_free(srv.upward);
    fq_upward_api_free(srv.upward_api);
    fq_intake_free(srv.intake);
    if (srv.trace != NULL && fclose(srv.trace) != 0)
        fq_log(FQ_LOG_WARN, "server", "--trace-reports: %s", strerror(errno));
    fq_terminals_free(srv.terminals);
    fq_snapshot_unref(srv.loading);
    fq_dispatch_free(srv.dispatch);
    sodium_memzero(srv.server_key, sizeof srv.server_key);
    uv_loop_close(srv.loop);
    remove_ready_file(&srv); /* whatever the way out */
    if (srv.exit_code == FQ_SERVER_RESTART)
        fq_log(FQ_LOG_INFO, "server", "stopped serving; starting again as a standby");
    else
        fq_log(FQ_LOG_INFO, "server", "stopped");
    return srv.exit_code;
}
