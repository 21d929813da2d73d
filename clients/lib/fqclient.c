#include "fqclient.h"

#include "fq_keyfile.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALE_RETRIES 3
#define BAD_REPLY_RETRIES 3

typedef struct slot {
    int sock;
    int busy;
    uint64_t tag;
    uint64_t message_id;
    uint8_t *envelope; /* packed template; sent_at is set at each send */
    size_t envelope_len;
    const ProtobufCBinaryData *photos; /* the caller's, beside the envelope */
    size_t n_photos;
    int64_t first_sent_us;
    int64_t deadline_ms;
    int64_t resend_at_ms;  /* 0: a reply is awaited */
    int64_t answer_due_ms; /* 0: none; else reopen and send again if unanswered by then */
    int reopens_allowed;   /* the request is one answer_wait_ms applies to */
    int held;              /* a long-poll the server holds (FQC_HELD_CHECK_MS) */
    int pipes_at_send;     /* the socket's connections when it was sent (held) */
    int64_t opened_ms;     /* when its socket was opened */
    int64_t sent_ms;       /* when its request was last sent */
    int silences;          /* answer waits run out in a row (the next one is longer) */
    int attempts;
    int stale_retries;
    int bad_replies;
} slot;

struct fqc {
    fqc_config config;
    char node[65];
    char *url;
    slot *slots;
    int outstanding;
    fqc_done_cb done;
    void *user;
    fq_arena arena;
    unsigned char *arena_buffer;
    int64_t idle_reopened_ms; /* when the idle sockets were last opened afresh */
    int64_t held_moved_ms;    /* when a held request last moved (FQC_HELD_MOVE_MIN_MS) */
};

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t monotonic_ms(void)
{
    return monotonic_us() / 1000;
}

uint64_t fqc_fresh_message_id(void)
{
    static uint64_t last;
    uint64_t id = ((uint64_t)fq_now_ms() << 16) | (randombytes_uniform(1u << 8) << 8);
    /* Strictly increasing within the process even if the clock stalls. */
    if (id <= last)
        id = last + 1;
    last = id;
    return id & (uint64_t)INT64_MAX;
}

uint64_t fqc_random_message_id(void)
{
    uint64_t id = 0;
    while (id == 0) {
        randombytes_buf(&id, sizeof id);
        id &= (uint64_t)INT64_MAX;
    }
    return id;
}

uint64_t fqc_message_id_for(const char *node, const char *text)
{
    unsigned char hash[8];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof hash);
    crypto_generichash_update(&st, (const unsigned char *)node, strlen(node) + 1);
    crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
    crypto_generichash_final(&st, hash, sizeof hash);
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = (id << 8) | hash[i];
    id &= (uint64_t)INT64_MAX;
    return id ? id : 1;
}

int fqc_parse_key(const char *hex, uint8_t key[FQ_KEY_BYTES])
{
    size_t len = strlen(hex), bin_len = 0;
    while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' '))
        len--;
    if (len != 2 * FQ_KEY_BYTES)
        return -1;
    if (sodium_hex2bin(key, FQ_KEY_BYTES, hex, len, NULL, &bin_len, NULL) != 0 ||
        bin_len != FQ_KEY_BYTES)
        return -1;
    return 0;
}

int fqc_load_key_file(const char *path, uint8_t key[FQ_KEY_BYTES], char *err, size_t err_len)
{
    return fq_key_file_read(path, key, FQ_KEY_BYTES, err, err_len);
}

int fqc_connect_all(int sock, const char *urls, char *err, size_t err_len)
{
    int connected = 0;
    const char *p = urls;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *end = p + n;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > p) {
            char url[512];
            if ((size_t)(end - p) >= sizeof url) {
                snprintf(err, err_len, "address too long: %.40s...", p);
                return -1;
            }
            memcpy(url, p, (size_t)(end - p));
            url[end - p] = '\0';
            if (nn_connect(sock, url) < 0) {
                snprintf(err, err_len, "cannot connect to %s: %s", url, nn_strerror(nn_errno()));
                return -1;
            }
            connected++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (connected == 0) {
        snprintf(err, err_len, "no address to connect to");
        return -1;
    }
    return connected;
}

void fqc_prompt_reconnect(int sock)
{
    /* nanomsg doubles the reconnect interval after each failed attempt up
     * to NN_RECONNECT_IVL_MAX and has no jitter: across a server's
     * successive restarts the interval grew to seconds. 0 turns the
     * doubling off; the interval is drawn per socket from [50, 150) ms so
     * that clients do not come back in step. A server that binds is
     * reached within 150 ms (docs/operations.md, "Clients with several
     * addresses"), and an address nobody serves costs a refused connect
     * every 100 ms on average. */
    int reconnect = FQC_RECONNECT_MIN_MS +
                    (int)randombytes_uniform(FQC_RECONNECT_MAX_MS - FQC_RECONNECT_MIN_MS);
    int no_backoff = 0;
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &no_backoff, sizeof no_backoff);
}

int fqc_urls_add(fqc_urls *u, const char *url)
{
    size_t used = strlen(u->text), len = strlen(url);
    if (used + len + 2 > sizeof u->text)
        return -1;
    if (used > 0)
        u->text[used++] = ',';
    memcpy(u->text + used, url, len + 1);
    return 0;
}

const char *fqc_urls_or(const fqc_urls *u, const char *otherwise)
{
    return u->text[0] != '\0' ? u->text : otherwise;
}

/* The connections (nanomsg pipes, each past the SP handshake) a socket has
 * now. */
static int socket_pipes(int sock)
{
    if (sock < 0)
        return 0;
    uint64_t n = nn_get_statistic(sock, NN_STAT_CURRENT_CONNECTIONS);
    return n > INT32_MAX ? 0 : (int)n; /* (uint64_t)-1: an error */
}

int fqc_held_moved(int *pipes_at_send, int pipes)
{
    if (pipes > *pipes_at_send && *pipes_at_send > 0)
        return 1;
    *pipes_at_send = pipes;
    return 0;
}

/* One REQ socket connected to every address of the endpoint, with its own
 * random reconnect interval. */
static int open_socket(fqc *c, int *out, char *err, size_t err_len)
{
    int sock = nn_socket(AF_SP, NN_REQ);
    if (sock < 0) {
        snprintf(err, err_len, "nn_socket: %s", nn_strerror(nn_errno()));
        return -1;
    }
    fqc_prompt_reconnect(sock);
    int resend = c->config.resend_ivl_ms;
    int max_size = FQ_MAX_FRAME_BYTES;
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max_size, sizeof max_size);
    nn_setsockopt(sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
    if (fqc_connect_all(sock, c->config.url, err, err_len) < 0) {
        nn_close(sock);
        return -1;
    }
    *out = sock;
    return 0;
}

int fqc_open(const fqc_config *config, fqc_done_cb done, void *user, fqc **out, char *err,
             size_t err_len)
{
    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(err, err_len, "libsodium failed to initialise");
        return -1;
    }
    fqc *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    c->config = *config;
    if (c->config.window <= 0)
        c->config.window = 1;
    if (c->config.timeout_ms <= 0)
        c->config.timeout_ms = 60000;
    if (c->config.resend_ivl_ms <= 0)
        c->config.resend_ivl_ms = 30000;
    if (c->config.answer_wait_ms == 0)
        c->config.answer_wait_ms = FQC_ANSWER_WAIT_MS;
    snprintf(c->node, sizeof c->node, "%s", config->node);
    c->config.node = c->node;
    c->url = strdup(config->url ? config->url : "");
    c->config.url = c->url;
    c->done = done;
    c->user = user;
    c->arena_buffer = malloc(FQ_DECODE_ARENA_BYTES);
    c->slots = calloc((size_t)c->config.window, sizeof *c->slots);
    if (c->arena_buffer == NULL || c->slots == NULL || c->url == NULL) {
        snprintf(err, err_len, "out of memory");
        fqc_close(c);
        return -1;
    }
    fq_arena_init(&c->arena, c->arena_buffer, FQ_DECODE_ARENA_BYTES);
    for (int i = 0; i < c->config.window; i++)
        c->slots[i].sock = -1;
    for (int i = 0; i < c->config.window; i++) {
        if (open_socket(c, &c->slots[i].sock, err, err_len) != 0) {
            fqc_close(c);
            return -1;
        }
        c->slots[i].opened_ms = monotonic_ms();
    }
    *out = c;
    return 0;
}

void fqc_close(fqc *c)
{
    if (c == NULL)
        return;
    for (int i = 0; c->slots && i < c->config.window; i++) {
        if (c->slots[i].sock >= 0)
            nn_close(c->slots[i].sock);
        free(c->slots[i].envelope);
    }
    free(c->slots);
    free(c->arena_buffer);
    free(c->url);
    sodium_memzero(c->config.key, sizeof c->config.key);
    free(c);
}

static void finish(fqc *c, slot *s, fqc_result *r)
{
    r->message_id = s->message_id;
    r->attempts = s->attempts;
    r->latency_ms = (double)(monotonic_us() - s->first_sent_us) / 1000.0;
    s->busy = 0;
    free(s->envelope);
    s->envelope = NULL;
    c->outstanding--;
    c->done(c->user, s->tag, r);
}

static void finish_no_answer(fqc *c, slot *s, const char *why)
{
    fqc_result r;
    memset(&r, 0, sizeof r);
    r.outcome = FQC_NO_ANSWER;
    snprintf(r.message, sizeof r.message, "%s", why);
    finish(c, s, &r);
}

int64_t fqc_answer_wait_after(int64_t wait_ms, int silences, uint32_t random)
{
    if (silences <= 0)
        return wait_ms;
    int64_t wait = wait_ms;
    for (int i = 0; i < silences && wait < FQC_ANSWER_WAIT_MAX_MS; i++)
        wait *= 2;
    if (wait > FQC_ANSWER_WAIT_MAX_MS)
        wait = FQC_ANSWER_WAIT_MAX_MS;
    return wait + (int64_t)(((uint64_t)(wait / 2) * random) >> 32);
}

/* How long the slot's request may go unanswered before its socket is opened
 * afresh (FQC_ANSWER_WAIT_MS). */
static int64_t answer_wait(const fqc *c, const slot *s)
{
    return fqc_answer_wait_after(c->config.answer_wait_ms, s->silences, randombytes_random());
}

/* Signs the template with a fresh sent_at and hands it to the REQ socket. */
static void send_now(fqc *c, slot *s)
{
    Fengqiao__V1__Envelope *env =
        fengqiao__v1__envelope__unpack(NULL, s->envelope_len, s->envelope);
    if (env == NULL) {
        finish_no_answer(c, s, "internal error: cannot re-read the request");
        return;
    }
    env->sent_at_ms = fq_now_ms();
    uint8_t *frame;
    size_t frame_len;
    int rv = fq_wire_seal_request_attached(c->config.key, env, s->photos, s->n_photos, &frame,
                                           &frame_len);
    fengqiao__v1__envelope__free_unpacked(env, NULL);
    if (rv != FQ_WIRE_OK) {
        finish_no_answer(c, s, "out of memory");
        return;
    }
    if (frame_len > FQ_MAX_FRAME_BYTES) {
        free(frame);
        fqc_result r;
        memset(&r, 0, sizeof r);
        r.outcome = FQC_ANSWERED;
        r.status = FENGQIAO__V1__STATUS__STATUS_INVALID;
        snprintf(r.message, sizeof r.message,
                 "request is %zu bytes; the server accepts at most %d (not sent)", frame_len,
                 FQ_MAX_FRAME_BYTES);
        finish(c, s, &r);
        return;
    }
    int sent = nn_send(s->sock, frame, frame_len, NN_DONTWAIT);
    free(frame);
    if (sent < 0) {
        /* Not connected yet: try again shortly. */
        s->resend_at_ms = monotonic_ms() + 20;
        return;
    }
    s->attempts++;
    s->resend_at_ms = 0;
    s->pipes_at_send = socket_pipes(s->sock);
    s->sent_ms = monotonic_ms();
    s->answer_due_ms = s->reopens_allowed ? monotonic_ms() + answer_wait(c, s) : 0;
}

int fqc_idle_needs_reopen(int64_t opened_ms, int64_t silent_request_sent_ms)
{
    return opened_ms < silent_request_sent_ms;
}

int fqc_option_number(const char *text, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Sockets that carry no request opened afresh, at most once per answer
 * wait: one request met a silent server, and the next ones would be sent
 * over the same dead connection (FQC_ANSWER_WAIT_MS). Only those opened
 * before the silent request was sent (fqc_idle_needs_reopen). A socket that
 * cannot be opened again is kept as it is. */
static void reopen_idle(fqc *c, int64_t silent_request_sent_ms)
{
    int64_t now = monotonic_ms();
    if (c->idle_reopened_ms != 0 && now - c->idle_reopened_ms < c->config.answer_wait_ms)
        return;
    c->idle_reopened_ms = now;
    for (int i = 0; i < c->config.window; i++) {
        slot *s = &c->slots[i];
        int fresh;
        char err[256];
        if (s->busy || !fqc_idle_needs_reopen(s->opened_ms, silent_request_sent_ms) ||
            open_socket(c, &fresh, err, sizeof err) != 0)
            continue;
        if (s->sock >= 0)
            nn_close(s->sock);
        s->sock = fresh;
        s->opened_ms = now;
    }
}

/* The slot's request unanswered past its answer_due_ms: a new socket to every
 * address (FQC_ANSWER_WAIT_MS says why), the idle ones too, and the request
 * sent again. */
static void reopen_and_resend(fqc *c, slot *s)
{
    char err[256];
    if (s->sock >= 0)
        nn_close(s->sock);
    s->sock = -1;
    s->answer_due_ms = 0;
    s->silences++;
    if (open_socket(c, &s->sock, err, sizeof err) != 0) {
        finish_no_answer(c, s, err);
        return;
    }
    s->opened_ms = monotonic_ms();
    reopen_idle(c, s->sent_ms);
    send_now(c, s);
}

int fqc_submit(fqc *c, uint64_t tag, uint64_t message_id, const Fengqiao__V1__Envelope *body_only)
{
    return fqc_submit_timeout(c, tag, message_id, body_only, 0);
}

int fqc_submit_timeout(fqc *c, uint64_t tag, uint64_t message_id,
                       const Fengqiao__V1__Envelope *body_only, int64_t timeout_ms)
{
    return fqc_submit_attached(c, tag, message_id, body_only, NULL, 0, timeout_ms);
}

int fqc_submit_attached(fqc *c, uint64_t tag, uint64_t message_id,
                        const Fengqiao__V1__Envelope *body_only, const ProtobufCBinaryData *photos,
                        size_t n_photos, int64_t timeout_ms)
{
    int default_timeout = timeout_ms <= 0;
    if (default_timeout)
        timeout_ms = c->config.timeout_ms;
    if (body_only->body_case == FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC &&
        body_only->terminal_sync != NULL) {
        int64_t wait = body_only->terminal_sync->wait_ms;
        if (wait + FQC_SYNC_MARGIN_MS > c->config.resend_ivl_ms)
            return -1;
        if (default_timeout)
            timeout_ms = c->config.resend_ivl_ms + wait + FQC_SYNC_MARGIN_MS;
    }
    while (c->outstanding >= c->config.window)
        fqc_poll(c, 100);
    slot *s = NULL;
    for (int i = 0; i < c->config.window; i++)
        if (!c->slots[i].busy) {
            s = &c->slots[i];
            break;
        }
    Fengqiao__V1__Envelope env = *body_only;
    env.schema_version = FQ_SCHEMA_VERSION;
    env.sender = c->node;
    env.message_id = message_id;
    env.sent_at_ms = 0;
    s->envelope_len = fengqiao__v1__envelope__get_packed_size(&env);
    s->envelope = malloc(s->envelope_len ? s->envelope_len : 1);
    if (s->envelope == NULL)
        return -1;
    fengqiao__v1__envelope__pack(&env, s->envelope);
    s->photos = photos;
    s->n_photos = n_photos;
    s->busy = 1;
    s->tag = tag;
    s->message_id = message_id;
    s->attempts = 0;
    s->answer_due_ms = 0;
    s->silences = 0;
    s->held = body_only->body_case == FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC &&
              body_only->terminal_sync != NULL && body_only->terminal_sync->wait_ms > 0;
    s->reopens_allowed = c->config.answer_wait_ms > 0 &&
                         body_only->body_case != FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC &&
                         body_only->body_case != FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
    s->stale_retries = 0;
    s->bad_replies = 0;
    s->first_sent_us = monotonic_us();
    s->deadline_ms = s->first_sent_us / 1000 + timeout_ms;
    c->outstanding++;
    send_now(c, s);
    return 0;
}

/* A heap copy of a decoded reply (repacked and unpacked with malloc). */
static Fengqiao__V1__Reply *copy_reply(const Fengqiao__V1__Reply *reply)
{
    size_t len = fengqiao__v1__reply__get_packed_size(reply);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return NULL;
    fengqiao__v1__reply__pack(reply, buf);
    Fengqiao__V1__Reply *copy = fengqiao__v1__reply__unpack(NULL, len, buf);
    free(buf);
    return copy;
}

static void on_reply(fqc *c, slot *s, const uint8_t *data, size_t len)
{
    Fengqiao__V1__Reply *reply;
    int authenticated;
    int rv = fq_wire_open_reply(c->config.key, data, len, &c->arena, &reply, &authenticated);
    if (rv != FQ_WIRE_OK || reply->message_id != s->message_id) {
        /* Not a reply we can believe: ask again, a few times. */
        fq_arena_reset(&c->arena);
        if (++s->bad_replies > BAD_REPLY_RETRIES)
            finish_no_answer(c, s, "the server's replies do not authenticate");
        else
            send_now(c, s);
        return;
    }
    int64_t now = monotonic_ms();
    s->silences = 0; /* a server answers: the next silence is a new one */
    Fengqiao__V1__Status st = reply->status;
    if (st == FENGQIAO__V1__STATUS__STATUS_STALE && authenticated &&
        s->stale_retries++ < STALE_RETRIES) {
        fq_arena_reset(&c->arena);
        send_now(c, s); /* re-signed with a fresh sent_at */
        return;
    }
    if (st == FENGQIAO__V1__STATUS__STATUS_BUSY || st == FENGQIAO__V1__STATUS__STATUS_INTERNAL) {
        int64_t wait = reply->retry_after_ms ? reply->retry_after_ms : 1000;
        wait += randombytes_uniform((uint32_t)wait / 2 + 1); /* spread the retries */
        if (now + wait < s->deadline_ms) {
            s->resend_at_ms = now + wait;
            fq_arena_reset(&c->arena);
            return;
        }
    }
    fqc_result r;
    memset(&r, 0, sizeof r);
    r.authenticated = authenticated;
    r.outcome =
        (st == FENGQIAO__V1__STATUS__STATUS_BUSY || st == FENGQIAO__V1__STATUS__STATUS_INTERNAL)
            ? FQC_NO_ANSWER
            : FQC_ANSWERED;
    r.status = st;
    snprintf(r.message, sizeof r.message, "%s", reply->message ? reply->message : "");
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_INCIDENT && reply->incident) {
        r.has_incident = 1;
        r.incident_id = reply->incident->incident_id;
        r.duplicate = reply->incident->duplicate;
        r.recorded_at_ms = reply->incident->recorded_at_ms;
        r.event_seq = reply->incident->event_seq;
        const Fengqiao__V1__RoutingOutcome *o = reply->incident->routing;
        if (o != NULL) {
            r.has_routing = 1;
            r.tier = o->tier;
            r.line = o->line;
            snprintf(r.lead_unit, sizeof r.lead_unit, "%s", o->lead_unit ? o->lead_unit : "");
            snprintf(r.worker, sizeof r.worker, "%s", o->worker ? o->worker : "");
            snprintf(r.territory, sizeof r.territory, "%s", o->territory ? o->territory : "");
            snprintf(r.lead_unit_name, sizeof r.lead_unit_name, "%s", o->lead_unit_name);
            snprintf(r.worker_name, sizeof r.worker_name, "%s", o->worker_name);
            snprintf(r.territory_name, sizeof r.territory_name, "%s", o->territory_name);
            r.working_time = o->working_time;
            size_t used = 0;
            for (size_t i = 0; i < o->n_co_units && used < sizeof r.co_units; i++)
                used += (size_t)snprintf(r.co_units + used, sizeof r.co_units - used, "%s%s",
                                         i ? "," : "", o->co_units[i]);
            r.merged_into = o->merged_into;
            r.unplaced = o->unplaced;
            r.acknowledge_due_ms = o->acknowledge_due_ms;
            r.conclude_due_ms = o->conclude_due_ms;
            r.climbed = o->climbed;
            r.rule_set = o->rule_set;
        }
    }
    Fengqiao__V1__Reply *copy = NULL;
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_SYNC && reply->sync) {
        /* The arena is reused by the next decode (the callback may submit
         * and poll): hand the caller a copy of its own. */
        copy = copy_reply(reply);
        if (copy == NULL || copy->sync == NULL) {
            fengqiao__v1__reply__free_unpacked(copy, NULL);
            fq_arena_reset(&c->arena);
            finish_no_answer(c, s, "out of memory");
            return;
        }
        r.has_sync = 1;
        r.last_seq = copy->sync->last_seq;
        r.superseded = copy->sync->superseded;
        r.more = copy->sync->more;
        if (copy->sync->time_zone != NULL && strlen(copy->sync->time_zone) < sizeof r.time_zone)
            snprintf(r.time_zone, sizeof r.time_zone, "%s", copy->sync->time_zone);
        r.n_items = copy->sync->n_items;
        r.items = copy->sync->items;
    }
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_ACTION && reply->action) {
        r.has_action = 1;
        r.incident_id = reply->action->incident_id;
        r.event_seq = reply->action->event_seq;
        snprintf(r.state, sizeof r.state, "%s", reply->action->state ? reply->action->state : "");
        r.already_done = reply->action->already_done;
    }
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND && reply->command) {
        r.has_command = 1;
        r.incident_id = reply->command->incident_id;
        r.event_seq = reply->command->event_seq;
        snprintf(r.state, sizeof r.state, "%s", reply->command->state ? reply->command->state : "");
    }
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_CONSOLE && reply->console) {
        /* As with a sync: the caller gets a copy that outlives the arena. */
        copy = copy_reply(reply);
        if (copy == NULL || copy->console == NULL) {
            fengqiao__v1__reply__free_unpacked(copy, NULL);
            fq_arena_reset(&c->arena);
            finish_no_answer(c, s, "out of memory");
            return;
        }
        r.has_console = 1;
        r.console = copy->console;
    }
    fq_arena_reset(&c->arena);
    finish(c, s, &r);
    fengqiao__v1__reply__free_unpacked(copy, NULL);
}

int fqc_poll(fqc *c, int wait_ms)
{
    int n = c->config.window;
    struct nn_pollfd *fds = calloc((size_t)n, sizeof *fds);
    slot **owners = calloc((size_t)n, sizeof *owners);
    if (fds == NULL || owners == NULL) {
        free(fds);
        free(owners);
        return c->outstanding;
    }
    int64_t now = monotonic_ms();
    int64_t next = now + wait_ms;
    int count = 0;
    for (int i = 0; i < n; i++) {
        slot *s = &c->slots[i];
        if (!s->busy)
            continue;
        if (now >= s->deadline_ms) {
            finish_no_answer(c, s,
                             "no answer before the timeout; the outcome is unknown, "
                             "retry with the same message id");
            continue;
        }
        if (s->resend_at_ms != 0) {
            if (now >= s->resend_at_ms)
                send_now(c, s);
            if (s->busy && s->resend_at_ms != 0) {
                if (s->resend_at_ms < next)
                    next = s->resend_at_ms;
                continue;
            }
        }
        if (!s->busy)
            continue;
        int move = s->answer_due_ms != 0 && now >= s->answer_due_ms;
        if (!move && s->held && fqc_held_moved(&s->pipes_at_send, socket_pipes(s->sock)) &&
            (c->held_moved_ms == 0 || now - c->held_moved_ms >= FQC_HELD_MOVE_MIN_MS)) {
            c->held_moved_ms = now;
            move = 1;
        }
        if (move) {
            reopen_and_resend(c, s);
            if (!s->busy || s->resend_at_ms != 0) {
                if (s->busy && s->resend_at_ms < next)
                    next = s->resend_at_ms;
                continue;
            }
        }
        if (s->deadline_ms < next)
            next = s->deadline_ms;
        if (s->held && now + FQC_HELD_CHECK_MS < next)
            next = now + FQC_HELD_CHECK_MS;
        if (s->answer_due_ms != 0 && s->answer_due_ms < next)
            next = s->answer_due_ms;
        fds[count].fd = s->sock;
        fds[count].events = NN_POLLIN;
        owners[count] = s;
        count++;
    }
    int timeout = next > now ? (int)(next - now) : 0;
    if (count == 0) {
        free(fds);
        free(owners);
        if (c->outstanding > 0 && timeout > 0) {
            struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        return c->outstanding;
    }
    int ready = nn_poll(fds, count, timeout);
    for (int i = 0; ready > 0 && i < count; i++) {
        if (!(fds[i].revents & NN_POLLIN))
            continue;
        void *buf = NULL;
        int len = nn_recv(fds[i].fd, &buf, NN_MSG, NN_DONTWAIT);
        if (len < 0)
            continue;
        on_reply(c, owners[i], buf, (size_t)len);
        nn_freemsg(buf);
    }
    free(fds);
    free(owners);
    return c->outstanding;
}

void fqc_drain(fqc *c)
{
    while (c->outstanding > 0)
        fqc_poll(c, 200);
}

int fqc_reopen(fqc *c, char *err, size_t err_len)
{
    for (int i = 0; i < c->config.window; i++) {
        slot *s = &c->slots[i];
        if (s->busy)
            continue;
        if (s->sock >= 0)
            nn_close(s->sock);
        s->sock = -1;
        if (open_socket(c, &s->sock, err, err_len) != 0)
            return -1;
        s->opened_ms = monotonic_ms();
    }
    return 0;
}

int fqc_prepare_poll(fqc *c, struct pollfd *fds, int max, int *timeout_ms)
{
    int64_t now = monotonic_ms();
    int64_t next = *timeout_ms >= 0 ? now + *timeout_ms : INT64_MAX;
    int count = 0;
    for (int i = 0; i < c->config.window; i++) {
        const slot *s = &c->slots[i];
        if (!s->busy)
            continue;
        int64_t due = s->resend_at_ms != 0 && s->resend_at_ms < s->deadline_ms ? s->resend_at_ms
                                                                               : s->deadline_ms;
        if (s->resend_at_ms == 0 && s->answer_due_ms != 0 && s->answer_due_ms < due)
            due = s->answer_due_ms;
        if (s->resend_at_ms == 0 && s->held && now + FQC_HELD_CHECK_MS < due)
            due = now + FQC_HELD_CHECK_MS; /* its socket's connections looked at */
        if (due < next)
            next = due;
        if (s->resend_at_ms != 0 || count >= max)
            continue;
        int fd;
        size_t fd_len = sizeof fd;
        if (nn_getsockopt(s->sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &fd_len) != 0) {
            /* Cannot wait on it: have the caller come back soon. */
            if (now + 50 < next)
                next = now + 50;
            continue;
        }
        fds[count].fd = fd;
        fds[count].events = POLLIN;
        fds[count].revents = 0;
        count++;
    }
    if (next == INT64_MAX)
        *timeout_ms = -1;
    else
        *timeout_ms = next > now ? (int)(next - now < INT32_MAX ? next - now : INT32_MAX) : 0;
    return count;
}

int fqc_outstanding(const fqc *c)
{
    return c->outstanding;
}

int fqc_connections(const fqc *c)
{
    int64_t total = 0;
    for (int i = 0; i < c->config.window; i++)
        total += socket_pipes(c->slots[i].sock);
    return total > INT32_MAX ? INT32_MAX : (int)total;
}

int fqc_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 64 * 1024, n = 0, got;
    uint8_t *buf = malloc(cap);
    int err = buf == NULL ? ENOMEM : 0;
    while (err == 0 && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n > max) {
            err = EFBIG;
        } else if (n == cap) {
            uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, 2 * cap) : NULL;
            if (bigger == NULL)
                err = ENOMEM;
            else
                buf = bigger, cap *= 2;
        }
    }
    if (err == 0 && ferror(f))
        err = EIO;
    fclose(f);
    if (err != 0) {
        free(buf);
        errno = err;
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}
