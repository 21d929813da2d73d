/* sender: the reports upward's I/O (sender.h). */
#include "sender.h"

#include "log.h"
#include "pgarray.h"
#include "policy.h"
#include "statements.h"
#include "write_params.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

/* A key file is a few dozen bytes; anything much longer is not one. */
#define KEY_FILE_MAX 512

typedef struct sockctx sockctx;
typedef struct transfer transfer;

struct fq_upward {
    uv_loop_t *loop;
    fq_store *store;
    fq_upward_config config;
    fq_upward_rules rules;
    uint8_t key[FQ_UPWARD_KEY_BYTES];
    int ntargets;
    char *targets[FQ_UPWARD_MAX_TARGETS];
    fq_pgbuf targets_param; /* the targets as a binary text[] (pgarray.h), made once */
    size_t targets_len;
    char *ca_file;
    CURLM *multi;
    uv_timer_t scan_timer; /* looks at the history every scan_ms */
    uv_timer_t curl_timer; /* libcurl's own timeouts */
    int started, stopped;
    /* One chain of statements at a time: scan, enqueue, due. */
    struct chain {
        fq_store_op op;
        fq_upward *u;
        int busy;
        fq_pgbuf arrays; /* the enqueue's ids (int8[]) and rules (text[]), binary */
        char mark[24];
    } chain;
    uint64_t warned_at; /* loop time of the last warning of the chain (one a minute) */
    fq_upward_stats stats;
    transfer *transfers; /* posted or being recorded, linked through next */
    sockctx *sockets;    /* libcurl's sockets being watched */
};

struct sockctx {
    uv_poll_t poll;
    fq_upward *u;
    curl_socket_t fd;
    sockctx *prev, *next;
};

/* One attempt of one delivery: posted, then its outcome written. */
struct transfer {
    fq_store_op op; /* the attempt's write */
    fq_upward *u;
    transfer *next;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t body_len;
    char delivery_id[40];
    char target[1024];
    int attempt; /* this one's number, 1 first */
    uint64_t incident;
    char curl_error[CURL_ERROR_SIZE];
    /* The write's parameters (write_params.h). */
    fq_upward_attempt_params params;
    const char *code;
    int outcome; /* FQ_UPWARD_ACCEPTED ... */
    char error[256], reason[1024], ack_reason[512];
};

void fq_upward_config_defaults(fq_upward_config *c)
{
    memset(c, 0, sizeof *c);
    c->retry_min_ms = 5000;
    c->retry_max_ms = 3600 * 1000;
    c->timeout_ms = 15000;
    c->scan_ms = 1000;
}

/* ---- array parameters ---- */

/* Binds the binary array at [offset, offset + len) of `buf` as parameter i. */
static void bind_array(fq_store_op *op, int i, const fq_pgbuf *buf, size_t offset, size_t len)
{
    op->values[i] = (const char *)buf->data + offset;
    op->lengths[i] = (int)len;
    op->formats[i] = 1;
}

/* ---- the transfers ---- */

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static transfer *find_transfer(fq_upward *u, const char *delivery_id)
{
    for (transfer *t = u->transfers; t != NULL; t = t->next)
        if (strcmp(t->delivery_id, delivery_id) == 0)
            return t;
    return NULL;
}

static void unlink_transfer(fq_upward *u, transfer *t)
{
    for (transfer **p = &u->transfers; *p != NULL; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

static void free_transfer(transfer *t)
{
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t);
}

static size_t discard_body(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

/* The receiver's host, for the history's sentence and the logs. */
static void url_host(const char *url, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = fq_upward_receiver_host(url, &n);
    snprintf(out, cap, "%.*s", (int)n, p);
}

static void attempt_written(fq_store_op *op, int status, const char *message)
{
    transfer *t = (transfer *)op;
    fq_upward *u = t->u;
    if (status != FQ_OK) {
        /* Not recorded: the delivery is still due and goes again (the
         * receiver knows it by its id). */
        fq_log(FQ_LOG_WARN, "upward", "delivery %s: the attempt was not recorded: %s",
               t->delivery_id, message ? message : "?");
    } else {
        /* 0 and 0 when a resent write found its nonce applied. */
        int64_t attempts, acknowledged;
        if (fq_upward_attempt_row(op->result, &attempts, &acknowledged) == 0) {
            if (attempts > 0)
                u->stats.attempts[t->outcome]++;
            u->stats.acknowledged += (uint64_t)acknowledged;
        }
    }
    unlink_transfer(u, t);
    free_transfer(t);
}

static void transfer_done(fq_upward *u, transfer *t, CURLcode result)
{
    long http = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
    curl_multi_remove_handle(u->multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
    int answered = result == CURLE_OK && http > 0;
    int accepted = answered && http >= 200 && http < 300;
    char host[256];
    url_host(t->target, host, sizeof host);
    if (answered) {
        t->error[0] = '\0';
    } else {
        snprintf(t->error, sizeof t->error, "%s",
                 t->curl_error[0] ? t->curl_error : curl_easy_strerror(result));
    }
    uint64_t delay = accepted ? 0
                              : fq_upward_backoff_ms((unsigned)t->attempt, u->config.retry_min_ms,
                                                     u->config.retry_max_ms, randombytes_random());
    /* The details after the code's label on the timeline (timeline.js):
     * which attempt, to whom, what came back, when the next one goes. */
    t->outcome = accepted   ? FQ_UPWARD_ACCEPTED
                 : answered ? FQ_UPWARD_REFUSED
                            : FQ_UPWARD_UNREACHABLE;
    if (accepted) {
        t->code = "upward_accepted";
        snprintf(t->reason, sizeof t->reason, "第 %d 次 · %s · HTTP %ld", t->attempt, host, http);
    } else if (answered) {
        t->code = "upward_refused";
        snprintf(t->reason, sizeof t->reason, "第 %d 次 · %s · HTTP %ld · 约 %" PRIu64 " 秒后重试",
                 t->attempt, host, http, (delay + 999) / 1000);
    } else {
        t->code = "upward_unreachable";
        snprintf(t->reason, sizeof t->reason, "第 %d 次 · %s · %s · 约 %" PRIu64 " 秒后重试",
                 t->attempt, host, t->error, (delay + 999) / 1000);
    }
    snprintf(t->ack_reason, sizeof t->ack_reason, "%s · 报送编号 %s", host, t->delivery_id);
    char status[24];
    snprintf(status, sizeof status, "%ld", http);
    fq_log(accepted ? FQ_LOG_INFO : FQ_LOG_WARN, "upward",
           "incident %" PRIu64 " to %s, delivery %s, attempt %d: %s", t->incident, host,
           t->delivery_id, t->attempt, answered ? status : t->error);
    uint64_t nonce;
    randombytes_buf(&nonce, sizeof nonce);
    t->params = (fq_upward_attempt_params){.delivery_id = t->delivery_id,
                                           .answered = answered,
                                           .http_status = http,
                                           .error = t->error,
                                           .delay_ms = delay,
                                           .accepted = accepted,
                                           .incident_id = t->incident,
                                           .reason = t->reason,
                                           .reason_code = t->code,
                                           .ack_reason = t->ack_reason,
                                           .nonce = (int64_t)((nonce & (uint64_t)INT64_MAX) | 1)};
    fq_store_op *op = &t->op;
    memset(op, 0, sizeof *op);
    fq_upward_attempt_params_bind(&t->params, op);
    op->done = attempt_written;
    fq_store_submit(u->store, op);
}

static void read_finished(fq_upward *u)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(u->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t != NULL)
            transfer_done(u, t, msg->data.result);
    }
}

static const char *field(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Posts one due delivery (a row of FQ_SQL_UPWARD_DUE). */
static void post(fq_upward *u, const PGresult *res, int row)
{
    const char *id = PQgetvalue(res, row, 0);
    if (find_transfer(u, id) != NULL || strlen(id) >= sizeof((transfer *)0)->delivery_id)
        return; /* being posted or recorded */
    transfer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return;
    t->u = u;
    snprintf(t->delivery_id, sizeof t->delivery_id, "%s", id);
    snprintf(t->target, sizeof t->target, "%s", PQgetvalue(res, row, 1));
    t->attempt = atoi(PQgetvalue(res, row, 3)) + 1;
    fq_upward_incident inc = {0};
    inc.rule = PQgetvalue(res, row, 2);
    inc.id = strtoull(PQgetvalue(res, row, 4), NULL, 10);
    t->incident = inc.id;
    inc.severity = atoi(PQgetvalue(res, row, 5));
    inc.category = PQgetvalue(res, row, 6);
    inc.category_name = PQgetvalue(res, row, 7);
    inc.town = PQgetvalue(res, row, 8);
    inc.town_name = PQgetvalue(res, row, 9);
    inc.place_name = PQgetvalue(res, row, 10);
    inc.address = PQgetvalue(res, row, 11);
    inc.title = PQgetvalue(res, row, 12);
    inc.description = PQgetvalue(res, row, 13);
    if (field(res, row, 14) != NULL && field(res, row, 15) != NULL) {
        inc.has_position = 1;
        inc.lon = strtod(PQgetvalue(res, row, 14), NULL);
        inc.lat = strtod(PQgetvalue(res, row, 15), NULL);
    }
    inc.occurred_ms = field(res, row, 16) ? strtoll(PQgetvalue(res, row, 16), NULL, 10) : 0;
    inc.recorded_ms = strtoll(PQgetvalue(res, row, 17), NULL, 10);
    inc.state = PQgetvalue(res, row, 18);
    inc.handler_name = PQgetvalue(res, row, 19);
    t->body = fq_upward_document(&inc, t->delivery_id, t->attempt, wall_ms(), &t->body_len);
    char sig[FQ_UPWARD_SIGNATURE_MAX], line[200];
    struct curl_slist *h = NULL;
    if (t->body != NULL) {
        fq_upward_sign(u->key, t->body, t->body_len, sig);
        h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        snprintf(line, sizeof line, "X-Fengqiao-Delivery: %s", t->delivery_id);
        h = h ? curl_slist_append(h, line) : NULL;
        snprintf(line, sizeof line, "X-Fengqiao-Signature: %s", sig);
        h = h ? curl_slist_append(h, line) : NULL;
        /* The whole body at once: no 100-continue round trip. */
        h = h ? curl_slist_append(h, "Expect:") : NULL;
    }
    t->headers = h;
    t->easy = h != NULL ? curl_easy_init() : NULL;
    if (t->easy == NULL) {
        free_transfer(t);
        return;
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->target);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "fengqiao-upward/1");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)u->config.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)u->config.timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
    if (u->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, u->ca_file);
    if (curl_multi_add_handle(u->multi, e) != CURLM_OK) {
        free_transfer(t);
        return;
    }
    t->next = u->transfers;
    u->transfers = t;
}

/* ---- the chain: scan, enqueue, due ---- */

/* The chain's binders, one per statement (sql/upward_*.sql), on u's chain
 * op; the callback beside each reads its rows. */

static void chain_bind(fq_upward *u, const char *statement, int nparams)
{
    fq_store_op *op = &u->chain.op;
    memset(op, 0, sizeof *op);
    op->kind = FQ_STORE_OP_READ;
    op->statement = statement;
    op->nparams = nparams;
}

/* FQ_SQL_UPWARD_SCAN: the incidents after the mark (scanned). */
static void scan_bind(fq_upward *u)
{
    chain_bind(u, FQ_SQL_UPWARD_SCAN_NAME, FQ_SQL_UPWARD_SCAN_NPARAMS);
}

/* FQ_SQL_UPWARD_ENQUEUE: the matched incidents' deliveries to every target
 * (the arrays of ids and rules at their offsets in the chain's buffer), the
 * mark moved to `mark` (enqueued). */
static void enqueue_bind(fq_upward *u, size_t ids_at, size_t ids_len, size_t rules_at,
                         size_t rules_len, const char *mark)
{
    chain_bind(u, FQ_SQL_UPWARD_ENQUEUE_NAME, FQ_SQL_UPWARD_ENQUEUE_NPARAMS);
    snprintf(u->chain.mark, sizeof u->chain.mark, "%s", mark);
    bind_array(&u->chain.op, 0, &u->chain.arrays, ids_at, ids_len);
    bind_array(&u->chain.op, 1, &u->chain.arrays, rules_at, rules_len);
    bind_array(&u->chain.op, 2, &u->targets_param, 0, u->targets_len);
    u->chain.op.values[3] = u->chain.mark;
}

/* FQ_SQL_UPWARD_DUE: the deliveries due to the configured targets
 * (due_read). */
static void due_bind(fq_upward *u)
{
    chain_bind(u, FQ_SQL_UPWARD_DUE_NAME, FQ_SQL_UPWARD_DUE_NPARAMS);
    bind_array(&u->chain.op, 0, &u->targets_param, 0, u->targets_len);
}

static void chain_submit(fq_upward *u, void (*done)(fq_store_op *, int, const char *))
{
    u->chain.op.done = done;
    fq_store_submit(u->store, &u->chain.op);
}

/* A database away fails every scan: said once a minute, not every scan_ms. */
static void chain_warn(fq_upward *u, const char *what, const char *message)
{
    uint64_t now = uv_now(u->loop);
    if (u->warned_at != 0 && now - u->warned_at < 60000)
        return;
    u->warned_at = now;
    fq_log(FQ_LOG_WARN, "upward", "%s: %s", what, message ? message : "?");
}

static void chain_over(fq_upward *u)
{
    fq_pgbuf_reset(&u->chain.arrays);
    u->chain.busy = 0;
}

static void due_read(fq_store_op *op, int status, const char *message)
{
    fq_upward *u = ((struct chain *)op)->u;
    if (status != FQ_OK || op->result == NULL) {
        chain_warn(u, "due deliveries not read", message);
    } else if (!u->stopped) {
        for (int i = 0; i < PQntuples(op->result); i++)
            post(u, op->result, i);
    }
    chain_over(u);
}

static void read_due(fq_upward *u)
{
    due_bind(u);
    chain_submit(u, due_read);
}

static void enqueued(fq_store_op *op, int status, const char *message)
{
    fq_upward *u = ((struct chain *)op)->u;
    if (status != FQ_OK || op->result == NULL || PQntuples(op->result) != 1) {
        chain_warn(u, "deliveries not recorded", message);
        chain_over(u);
        return;
    }
    long made = atol(PQgetvalue(op->result, 0, 0));
    u->stats.deliveries_made += made > 0 ? (uint64_t)made : 0;
    if (made > 0)
        fq_log(FQ_LOG_INFO, "upward", "%ld new deliveries (incidents up to %s)", made,
               u->chain.mark);
    if (u->stopped) {
        chain_over(u);
        return;
    }
    read_due(u);
}

static void scanned(fq_store_op *op, int status, const char *message)
{
    fq_upward *u = ((struct chain *)op)->u;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        chain_warn(u, "the history was not read", message);
        chain_over(u);
        return;
    }
    int n = PQntuples(res);
    if (u->stopped) {
        chain_over(u);
        return;
    }
    if (n == 0) {
        read_due(u);
        return;
    }
    /* The rules' array is written after the ids' is complete: one buffer,
     * two arrays, located once it stops moving. */
    fq_pgbuf_reset(&u->chain.arrays);
    char(*whys)[FQ_UPWARD_WHY_MAX] = malloc((size_t)n * sizeof *whys);
    int matched = 0;
    fq_pgarray ids, rules;
    fq_pgarray_begin(&ids, &u->chain.arrays, FQ_PG_INT8);
    for (int i = 0; i < n && whys != NULL; i++) {
        char *why = whys[matched];
        if (strcmp(PQgetvalue(res, i, 5), "t") == 0)
            continue; /* merged into another: that one is reported */
        if (!fq_upward_match(&u->rules, atoi(PQgetvalue(res, i, 1)), PQgetvalue(res, i, 2),
                             PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), why, FQ_UPWARD_WHY_MAX))
            continue;
        fq_pgarray_int8(&ids, strtoll(PQgetvalue(res, i, 0), NULL, 10));
        matched++;
    }
    size_t ids_at = 0, ids_len = 0, rules_at = 0, rules_len = 0;
    int failed = whys == NULL || fq_pgarray_end(&ids, &ids_at, &ids_len) != 0;
    if (!failed) {
        fq_pgarray_begin(&rules, &u->chain.arrays, FQ_PG_TEXT);
        for (int i = 0; i < matched; i++)
            fq_pgarray_text(&rules, whys[i], strlen(whys[i]));
        failed = fq_pgarray_end(&rules, &rules_at, &rules_len) != 0;
    }
    free(whys);
    if (failed) {
        fq_log(FQ_LOG_WARN, "upward", "out of memory matching the history");
        chain_over(u);
        return;
    }
    char mark[sizeof u->chain.mark]; /* a bigint seq as text */
    snprintf(mark, sizeof mark, "%s", PQgetvalue(res, n - 1, 0));
    enqueue_bind(u, ids_at, ids_len, rules_at, rules_len, mark);
    chain_submit(u, enqueued);
}

static void on_scan_timer(uv_timer_t *timer)
{
    fq_upward *u = timer->data;
    if (u->stopped || u->chain.busy)
        return;
    u->chain.busy = 1;
    scan_bind(u);
    chain_submit(u, scanned);
}

/* ---- libcurl on the loop ---- */

static void on_poll(uv_poll_t *handle, int status, int events)
{
    sockctx *c = handle->data;
    fq_upward *u = c->u;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running = 0;
    curl_multi_socket_action(u->multi, c->fd, flags, &running);
    read_finished(u);
}

static void on_curl_timeout(uv_timer_t *timer)
{
    fq_upward *u = timer->data;
    int running = 0;
    curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    read_finished(u);
}

static void sock_closed(uv_handle_t *handle)
{
    free(handle->data);
}

static void sock_forget(fq_upward *u, sockctx *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        u->sockets = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, sock_closed);
}

/* CURLMOPT_SOCKETFUNCTION: watch a socket for what libcurl waits for. The
 * poll is stopped and closed before libcurl closes the descriptor, so a new
 * socket with the same number gets a watcher of its own. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *user, void *socketp)
{
    (void)easy;
    fq_upward *u = user;
    sockctx *c = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (c != NULL) {
            curl_multi_assign(u->multi, fd, NULL);
            sock_forget(u, c);
        }
        return 0;
    }
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return -1;
        c->u = u;
        c->fd = fd;
        if (uv_poll_init_socket(u->loop, &c->poll, fd) != 0) {
            free(c);
            return -1;
        }
        c->poll.data = c;
        c->next = u->sockets;
        if (u->sockets)
            u->sockets->prev = c;
        u->sockets = c;
        curl_multi_assign(u->multi, fd, c);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&c->poll, events, on_poll);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 stop, else call back in timeout_ms (0: on the
 * next loop turn, never from inside this callback). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *user)
{
    (void)multi;
    fq_upward *u = user;
    if (u->stopped)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&u->curl_timer);
    else
        uv_timer_start(&u->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- life ---- */

static int read_key_file(const char *path, uint8_t key[FQ_UPWARD_KEY_BYTES], char *err,
                         size_t errlen)
{
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    if (f == NULL) {
        snprintf(err, errlen, "upward-key-file %s: %s", path ? path : "(not set)",
                 path ? strerror(errno) : "a key file is needed to sign the reports");
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IRWXO) != 0)
        fq_log(FQ_LOG_WARN, "upward",
               "upward-key-file %s is readable by others: whoever reads it can sign reports "
               "as the district (chmod 600)",
               path);
    char text[KEY_FILE_MAX + 1];
    size_t n = fread(text, 1, KEY_FILE_MAX, f);
    fclose(f);
    text[n] = '\0';
    char why[160];
    int rc = fq_upward_key_parse(text, key, why, sizeof why);
    sodium_memzero(text, sizeof text);
    if (rc != 0)
        snprintf(err, errlen, "upward-key-file %s: %s", path, why);
    return rc;
}

static int parse_targets(fq_upward *u, const char *urls, char *err, size_t errlen)
{
    const char *p = urls;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *a = p, *b = p + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            if (u->ntargets == FQ_UPWARD_MAX_TARGETS) {
                snprintf(err, errlen, "upward-url: more than %d receivers", FQ_UPWARD_MAX_TARGETS);
                return -1;
            }
            if ((size_t)(b - a) < 9 || strncmp(a, "https://", 8) != 0 || (size_t)(b - a) >= 1000) {
                snprintf(err, errlen, "upward-url: \"%.*s\" is not an https:// URL", (int)(b - a),
                         a);
                return -1;
            }
            char *t = malloc((size_t)(b - a) + 1);
            if (t == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            memcpy(t, a, (size_t)(b - a));
            t[b - a] = '\0';
            u->targets[u->ntargets++] = t;
        }
        p = p[n] == ',' ? p + n + 1 : p + n;
    }
    return 0;
}

int fq_upward_new(uv_loop_t *loop, fq_store *store, const fq_upward_config *config, fq_upward **out,
                  char *err, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (config->urls == NULL || config->urls[0] == '\0')
        return 0;
    fq_upward *u = calloc(1, sizeof *u);
    if (u == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    u->loop = loop;
    u->store = store;
    u->config = *config;
    u->chain.u = u;
    if (config->retry_max_ms < config->retry_min_ms) {
        snprintf(err, errlen, "upward-retry-max-ms is below upward-retry-min-ms");
        fq_upward_free(u);
        return -1;
    }
    if (parse_targets(u, config->urls, err, errlen) != 0 ||
        fq_upward_rules_parse(&u->rules, config->grades, config->categories, config->keywords, err,
                              errlen) != 0 ||
        read_key_file(config->key_file, u->key, err, errlen) != 0) {
        fq_upward_free(u);
        return -1;
    }
    if (u->ntargets == 0) {
        snprintf(err, errlen, "upward-url: no URL in \"%s\"", config->urls);
        fq_upward_free(u);
        return -1;
    }
    if (config->ca_file != NULL) {
        FILE *f = fopen(config->ca_file, "r");
        if (f == NULL) {
            snprintf(err, errlen, "upward-ca-file %s: %s", config->ca_file, strerror(errno));
            fq_upward_free(u);
            return -1;
        }
        fclose(f);
        u->ca_file = strdup(config->ca_file);
    }
    fq_pgarray targets;
    fq_pgarray_begin(&targets, &u->targets_param, FQ_PG_TEXT);
    for (int i = 0; i < u->ntargets; i++)
        fq_pgarray_text(&targets, u->targets[i], strlen(u->targets[i]));
    size_t targets_at;
    if (fq_pgarray_end(&targets, &targets_at, &u->targets_len) != 0 ||
        (config->ca_file != NULL && u->ca_file == NULL)) {
        snprintf(err, errlen, "out of memory");
        fq_upward_free(u);
        return -1;
    }
    if (out == NULL) { /* the checks only */
        fq_upward_free(u);
        return 0;
    }
    /* Once, before any handle: not thread-safe, and the server has one thread. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "libcurl could not start");
        fq_upward_free(u);
        return -1;
    }
    u->multi = curl_multi_init();
    if (u->multi == NULL) {
        snprintf(err, errlen, "libcurl: no multi handle");
        fq_upward_free(u);
        return -1;
    }
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
    uv_timer_init(loop, &u->scan_timer);
    uv_timer_init(loop, &u->curl_timer);
    u->scan_timer.data = u->curl_timer.data = u;
    u->started = 1;
    *out = u;
    return 0;
}

void fq_upward_start(fq_upward *u)
{
    if (u == NULL)
        return;
    char hosts[1024] = "";
    for (int i = 0; i < u->ntargets; i++) {
        char host[256];
        url_host(u->targets[i], host, sizeof host);
        size_t l = strlen(hosts);
        snprintf(hosts + l, sizeof hosts - l, "%s%s", i ? ", " : "", host);
    }
    fq_log(FQ_LOG_INFO, "upward", "reports upward to %s; history looked at every %u ms", hosts,
           u->config.scan_ms);
    uv_timer_start(&u->scan_timer, on_scan_timer, 0, u->config.scan_ms);
}

void fq_upward_stop(fq_upward *u)
{
    if (u == NULL || u->stopped)
        return;
    u->stopped = 1;
    uv_timer_stop(&u->scan_timer);
    uv_timer_stop(&u->curl_timer);
    /* Transfers still posting are dropped unrecorded: their deliveries stay
     * due and go again after the restart. Those being recorded are the
     * store's until it answers. */
    for (transfer **p = &u->transfers; *p != NULL;) {
        transfer *t = *p;
        if (t->easy != NULL) {
            curl_multi_remove_handle(u->multi, t->easy);
            *p = t->next;
            free_transfer(t);
        } else {
            p = &t->next;
        }
    }
    curl_multi_cleanup(u->multi);
    u->multi = NULL;
    while (u->sockets != NULL)
        sock_forget(u, u->sockets);
    uv_close((uv_handle_t *)&u->scan_timer, NULL);
    uv_close((uv_handle_t *)&u->curl_timer, NULL);
}

void fq_upward_free(fq_upward *u)
{
    if (u == NULL)
        return;
    if (u->multi != NULL)
        curl_multi_cleanup(u->multi);
    for (transfer *t = u->transfers, *next; t != NULL; t = next) {
        next = t->next;
        free_transfer(t);
    }
    fq_upward_rules_free(&u->rules);
    for (int i = 0; i < u->ntargets; i++)
        free(u->targets[i]);
    fq_pgbuf_free(&u->targets_param);
    free(u->ca_file);
    fq_pgbuf_free(&u->chain.arrays);
    sodium_memzero(u->key, sizeof u->key);
    free(u);
}

void fq_upward_stats_get(const fq_upward *u, fq_upward_stats *out)
{
    *out = u->stats;
    out->posting = 0;
    for (const transfer *t = u->transfers; t != NULL; t = t->next)
        if (t->easy != NULL)
            out->posting++;
}
