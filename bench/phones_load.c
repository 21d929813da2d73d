/* fq-bench-phones: the load side of bench/run phones (phones as fengqiaod's
 * HTTP field API sees them, docs/http-api.md "The field API").
 *
 *   fq-bench-phones accounts --server-key FILE --count N --first F --out DIR
 *       accounts ph<F>..ph<N-1>, each with its node p.ph<i> serving worker
 *       w<i>: DIR/keys.tsv (i, the node's key sealed as fengqiao-admin seals
 *       it, for COPY), DIR/sessions.tsv (i, SHA-256 of a fresh session token,
 *       CSRF token: rows of web_sessions, for COPY) and DIR/cookies (the
 *       token, base64url, and the CSRF token, tab-separated, one line per
 *       account from ph0: line i is ph<i>'s; ph0..ph<F-1> are left empty for
 *       the caller to fill with sessions made by signing in).
 *   fq-bench-phones hold --url BASE --cookies FILE --count N --seconds T
 *                        [--stop-file FILE] [--receipts FILE]
 *       N phones, one keep-alive HTTP/1.1 connection each, long-poll
 *       GET BASE/api/v1/field/sync?after=SEQ&wait_ms=25000 and ask again at
 *       once after each answer with the newest seq. An assignment whose title
 *       is "bench <CLOCK_REALTIME us>" is one sample: receipt time minus that;
 *       --receipts gets "<title us>\t<receipt us>" for each. Prints one JSON
 *       line.
 *   fq-bench-phones upload --url BASE --cookies FILE --work FILE --photo JPEG
 *                          --count K [--parallel C]
 *       acknowledges each incident of --work (lines "<phone> <incident id>"),
 *       then K progress actions, each with one photo (photo k: the JPEG with
 *       a comment segment naming k, so no two are the same bytes), round
 *       robin over those incidents, C at a time. Prints one JSON line: photo
 *       bytes committed (answered 200) per second of the K actions.
 *   fq-bench-phones copy --db CONNINFO --photo JPEG --count K
 *       the baseline: the same K photos' bytes by one
 *       COPY attachments_baseline (bytes) FROM STDIN (FORMAT binary), timed
 *       to its COMMIT. Prints one JSON line.
 *
 * Times for latency are CLOCK_REALTIME (the reporter stamps the title with
 * it on the same machine); durations are CLOCK_MONOTONIC. */
#define _GNU_SOURCE
#include "keyseal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "benchutil.h"

#define WAIT_MS 25000
#define TOKEN_BYTES 32

static void usage(void)
{
    fprintf(stderr,
            "usage: fq-bench-phones accounts --server-key FILE --count N --first F --out DIR\n"
            "       fq-bench-phones hold --url BASE --cookies FILE --count N --seconds T\n"
            "                            [--stop-file FILE] [--receipts FILE]\n"
            "       fq-bench-phones upload --url BASE --cookies FILE --work FILE --photo JPEG\n"
            "                              --count K [--parallel C]\n"
            "       fq-bench-phones copy --db CONNINFO --photo JPEG --count K\n");
    exit(2);
}

struct opts {
    const char *server_key, *out, *url, *cookies, *stop_file, *receipts, *work, *photo, *db;
    long count, first, parallel;
    double seconds;
};

static int64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static FILE *create_file(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    /* Keys and session tokens: owner-only from the start, never over an old file. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        bu_die_detail(path, strerror(errno));
    return f;
}

/* ---- accounts ---- */

static int run_accounts(const struct opts *o)
{
    char err[256];
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    if (fq_server_key_load(o->server_key, server_key, err, sizeof err) != 0)
        bu_die_detail("server key", err);
    FILE *keys = create_file(o->out, "keys.tsv");
    FILE *sessions = create_file(o->out, "sessions.tsv");
    FILE *cookies = create_file(o->out, "cookies");
    for (long i = 0; i < o->first; i++)
        fputs("\n", cookies);
    for (long i = o->first; i < o->count; i++) {
        char node[32];
        snprintf(node, sizeof node, "p.ph%ld", i);
        uint8_t key[32], sealed[FQ_SEALED_KEY_BYTES];
        char sealed_hex[2 * FQ_SEALED_KEY_BYTES + 1];
        randombytes_buf(key, sizeof key);
        fq_key_seal(server_key, node, key, sealed);
        sodium_memzero(key, sizeof key);
        sodium_bin2hex(sealed_hex, sizeof sealed_hex, sealed, sizeof sealed);
        fprintf(keys, "%ld\t\\\\x%s\n", i, sealed_hex);

        /* A session as POST /api/v1/login makes one: a random token in the
         * cookie, its SHA-256 in the table, a random CSRF token. */
        uint8_t token[TOKEN_BYTES], token_hash[32], csrf[32];
        char token_b64[64], csrf_b64[64], hash_hex[65];
        randombytes_buf(token, sizeof token);
        randombytes_buf(csrf, sizeof csrf);
        crypto_hash_sha256(token_hash, token, sizeof token);
        sodium_bin2base64(token_b64, sizeof token_b64, token, sizeof token,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_bin2base64(csrf_b64, sizeof csrf_b64, csrf, sizeof csrf,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_bin2hex(hash_hex, sizeof hash_hex, token_hash, sizeof token_hash);
        fprintf(sessions, "%ld\t\\\\x%s\t%s\n", i, hash_hex, csrf_b64);
        fprintf(cookies, "%s\t%s\n", token_b64, csrf_b64);
    }
    sodium_memzero(server_key, sizeof server_key);
    if (fclose(keys) || fclose(sessions) || fclose(cookies))
        bu_die_errno("writing the accounts");
    return 0;
}

/* ---- sessions of the phones (cookies file) ---- */

struct phone_session {
    char cookie[80]; /* "fq_session=<token>" */
    char csrf[64];
};

static struct phone_session *read_cookies(const char *path, long count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bu_die_detail(path, strerror(errno));
    struct phone_session *ps = bu_xmalloc(sizeof *ps * (size_t)count);
    char line[256];
    for (long i = 0; i < count; i++) {
        if (!fgets(line, sizeof line, f))
            bu_die("fewer sessions in --cookies than --count");
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab || tab == line || strlen(tab + 1) >= sizeof ps[i].csrf ||
            (size_t)(tab - line) + sizeof "fq_session=" > sizeof ps[i].cookie)
            bu_die("a --cookies line is not \"<token>\\t<csrf>\"");
        *tab = '\0';
        static const char name[] = "fq_session=";
        memcpy(ps[i].cookie, name, sizeof name - 1);
        memcpy(ps[i].cookie + sizeof name - 1, line, (size_t)(tab - line) + 1);
        memcpy(ps[i].csrf, tab + 1, strlen(tab + 1) + 1);
    }
    fclose(f);
    return ps;
}

/* A growing byte buffer for answers. */
struct buf {
    char *p;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0; /* curl fails the transfer */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static CURLM *new_multi(long connections)
{
    CURLM *m = curl_multi_init();
    if (!m)
        bu_die("curl_multi_init failed");
    /* Every phone keeps its own connection: no cap below the phones. */
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, connections + 16);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    return m;
}

static void easy_common(CURL *e, struct buf *body, const struct phone_session *s)
{
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(e, CURLOPT_COOKIE, s->cookie);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)WAIT_MS + 15000);
}

/* ---- hold ---- */

struct phone {
    CURL *easy;
    struct buf body;
    uint64_t after;
    int64_t not_before_ns; /* after a refusal: ask again no sooner */
    bool active;
};

struct hold_tally {
    uint64_t replies, items, assignments, heartbeats, superseded, failures, connects;
};

static void arm(CURLM *m, struct phone *p, const char *base)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/field/sync?after=%" PRIu64 "&wait_ms=%d", base, p->after,
             WAIT_MS);
    curl_easy_setopt(p->easy, CURLOPT_URL, url);
    p->body.len = 0;
    if (curl_multi_add_handle(m, p->easy) != CURLM_OK)
        bu_die("curl_multi_add_handle failed");
    p->active = true;
}

/* A string member of a JSON object, "" when absent or not a string. */
static const char *str_member(json_object *o, const char *name)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

/* One answer of a phone's sync: new items and the seq to ask after next. */
static bool take_sync(struct phone *p, int64_t now_us, int64_t started_us, struct hold_tally *t,
                      struct bu_latencies *lat, FILE *receipts)
{
    json_object *doc = json_tokener_parse(p->body.p ? p->body.p : "");
    json_object *items = NULL, *v = NULL;
    if (!doc || !json_object_object_get_ex(doc, "items", &items) ||
        !json_object_is_type(items, json_type_array)) {
        json_object_put(doc);
        return false;
    }
    if (json_object_object_get_ex(doc, "superseded", &v) && json_object_get_boolean(v))
        t->superseded++;
    size_t n = json_object_array_length(items);
    if (n == 0)
        t->heartbeats++;
    for (size_t k = 0; k < n; k++) {
        json_object *it = json_object_array_get_idx(items, k);
        t->items++;
        if (json_object_object_get_ex(it, "seq", &v)) {
            uint64_t seq = (uint64_t)json_object_get_int64(v);
            if (seq > p->after)
                p->after = seq;
        }
        if (strcmp(str_member(it, "kind"), "assignment") != 0)
            continue;
        t->assignments++;
        long long sent;
        if (sscanf(str_member(it, "title"), "bench %lld", &sent) == 1 &&
            (int64_t)sent >= started_us) {
            int64_t ns = (now_us - (int64_t)sent) * 1000;
            if (lat->n == lat->cap) {
                lat->cap = lat->cap ? lat->cap * 2 : 65536;
                lat->v = realloc(lat->v, lat->cap * sizeof *lat->v);
                if (!lat->v)
                    bu_die("out of memory");
            }
            lat->v[lat->n++] = ns < 0 ? 0 : ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
            if (receipts)
                fprintf(receipts, "%lld\t%" PRId64 "\n", sent, now_us);
        }
    }
    if (n == 0 && json_object_object_get_ex(doc, "last_seq", &v)) {
        uint64_t last = (uint64_t)json_object_get_int64(v);
        if (last > p->after)
            p->after = last;
    }
    json_object_put(doc);
    return true;
}

/* The hold's event loop: libcurl's socket interface over epoll, so that an
 * answer costs the work of its own connection — curl_multi_perform would
 * look at all N connections (a poll(2) each) on every turn, milliseconds
 * of the client's own that the latency would count. */
struct hold_loop {
    int epfd;
    int64_t timer_due_ns; /* libcurl's timeout; -1: none */
};

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *user, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct hold_loop *l = user;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, s, NULL); /* may be closed already */
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s, &ev) != 0 &&
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, s, &ev) != 0)
        bu_die_errno("epoll_ctl");
    return 0;
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *user)
{
    (void)m;
    struct hold_loop *l = user;
    l->timer_due_ns = timeout_ms < 0 ? -1 : bu_now_ns() + (int64_t)timeout_ms * 1000000;
    return 0;
}

static int run_hold(const struct opts *o)
{
    raise_nofile();
    struct phone_session *ss = read_cookies(o->cookies, o->count);
    struct phone *ps = calloc((size_t)o->count, sizeof *ps);
    if (!ps)
        bu_die("out of memory");
    FILE *receipts = NULL;
    if (o->receipts && !(receipts = fopen(o->receipts, "w")))
        bu_die_detail(o->receipts, strerror(errno));
    struct hold_loop loop = {epoll_create1(EPOLL_CLOEXEC), -1};
    if (loop.epfd < 0)
        bu_die_errno("epoll_create1");
    CURLM *m = new_multi(o->count);
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &loop);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, &loop);
    for (long i = 0; i < o->count; i++) {
        ps[i].easy = curl_easy_init();
        if (!ps[i].easy)
            bu_die("curl_easy_init failed");
        easy_common(ps[i].easy, &ps[i].body, &ss[i]);
        curl_easy_setopt(ps[i].easy, CURLOPT_PRIVATE, &ps[i]);
    }
    struct hold_tally t;
    memset(&t, 0, sizeof t);
    struct bu_latencies lat = {0};
    /* Items reported before the phones started arrive as a backlog on the
     * first sync: delivered, but not latency samples. */
    const int64_t started_us = real_us();
    const int64_t t_end = bu_now_ns() + (int64_t)(o->seconds * 1e9);
    /* Connect in steps of 100 every 20 ms, as phones come online: a listen
     * backlog of 128 would otherwise drop SYNs and add seconds of retries. */
    long started = 0, backing_off = 0;
    int64_t next_batch = 0, next_check = 0;
    int failmsg = 0;
    struct epoll_event evs[256];
    while (bu_now_ns() < t_end) {
        int64_t now = bu_now_ns();
        if (o->stop_file && now >= next_check) {
            if (access(o->stop_file, F_OK) == 0)
                break;
            next_check = now + 100000000;
        }
        if (started < o->count && now >= next_batch) {
            for (long k = 0; k < 100 && started < o->count; k++)
                arm(m, &ps[started++], o->url);
            next_batch = now + 20000000;
        }
        for (long i = 0; backing_off > 0 && i < started; i++)
            if (!ps[i].active && now >= ps[i].not_before_ns) {
                arm(m, &ps[i], o->url);
                backing_off--;
            }
        int64_t wait_ns = 100000000;
        if (started < o->count && next_batch - now < wait_ns)
            wait_ns = next_batch - now;
        if (backing_off > 0 && wait_ns > 10000000)
            wait_ns = 10000000;
        if (loop.timer_due_ns >= 0 && loop.timer_due_ns - now < wait_ns)
            wait_ns = loop.timer_due_ns - now;
        if (t_end - now < wait_ns)
            wait_ns = t_end - now;
        int wait_ms = wait_ns <= 0 ? 0 : (int)((wait_ns + 999999) / 1000000);
        int n = epoll_wait(loop.epfd, evs, (int)(sizeof evs / sizeof evs[0]), wait_ms);
        if (n < 0 && errno != EINTR)
            bu_die_errno("epoll_wait");
        int running = 0;
        for (int k = 0; k < n; k++) {
            int flags = ((evs[k].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                        ((evs[k].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                        ((evs[k].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(m, evs[k].data.fd, flags, &running);
        }
        if (loop.timer_due_ns >= 0 && bu_now_ns() >= loop.timer_due_ns) {
            loop.timer_due_ns = -1;
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            int64_t now_us = real_us();
            struct phone *p = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
            long status = 0, connects = 0;
            curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(p->easy, CURLINFO_NUM_CONNECTS, &connects);
            t.connects += (uint64_t)connects;
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, p->easy);
            p->active = false;
            t.replies++;
            if (rc == CURLE_OK && status == 200 &&
                take_sync(p, now_us, started_us, &t, &lat, receipts)) {
                arm(m, p, o->url); /* at once, with the new after */
                continue;
            }
            t.failures++;
            if (failmsg++ < 5)
                fprintf(stderr, "fq-bench-phones: phone %ld: sync failed: %s HTTP %ld %.200s\n",
                        (long)(p - ps), rc != CURLE_OK ? curl_easy_strerror(rc) : "", status,
                        p->body.p ? p->body.p : "");
            p->not_before_ns = bu_now_ns() + 1000000000; /* as a phone backs off */
            backing_off++;
        }
    }
    /* The held syncs' transfers are not done: their connections count too
     * (keep-alive: one a phone for the whole run). */
    for (long i = 0; i < started; i++) {
        long connects = 0;
        if (ps[i].active &&
            curl_easy_getinfo(ps[i].easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
            t.connects += (uint64_t)connects;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (receipts && fclose(receipts))
        bu_die_errno("receipts");
    double p50 = 0, p99 = 0, max = 0;
    if (lat.n > 0) {
        bu_latencies_sort(&lat);
        p50 = bu_latency_us(&lat, 500);
        p99 = bu_latency_us(&lat, 990);
        max = bu_latency_us(&lat, 1000);
    }
    printf("{\"phones\":%ld,\"samples\":%" PRIu64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"max_us\":%.1f,\"replies\":%" PRIu64 ",\"items\":%" PRIu64 ",\"assignments\":%" PRIu64
           ",\"heartbeats\":%" PRIu64 ",\"superseded\":%" PRIu64 ",\"failures\":%" PRIu64
           ",\"connects\":%" PRIu64 ",\"cpu_s\":%.2f}\n",
           o->count, lat.n, p50, p99, max, t.replies, t.items, t.assignments, t.heartbeats,
           t.superseded, t.failures, t.connects, cpu_s);
    fflush(stdout);
    /* The held syncs just go away with the process; no cleanup of 2,000 handles. */
    _exit(t.failures ? 1 : 0);
}

/* ---- photos ---- */

static uint8_t *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0)
        bu_die_detail(path, strerror(errno));
    uint8_t *p = bu_xmalloc((size_t)st.st_size);
    if (fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        bu_die_detail(path, "short read");
    fclose(f);
    *len = (size_t)st.st_size;
    return p;
}

/* Photo k: the JPEG with a comment segment (COM, FF FE) after its SOI that
 * names k — still the same picture to a decoder, other bytes and another
 * SHA-256 for each k, so nothing can be stored once for many. The upload
 * and the COPY baseline make the same bytes for the same k. */
static size_t photo_variant(const uint8_t *jpeg, size_t len, long k, uint8_t *out)
{
    if (len < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        bu_die("--photo is not a JPEG (no SOI marker)");
    char text[40];
    int n = snprintf(text, sizeof text, "fq-bench-phones photo %08ld", k);
    size_t seg = 2 + (size_t)n; /* the length field counts itself */
    out[0] = 0xFF;
    out[1] = 0xD8;
    out[2] = 0xFF;
    out[3] = 0xFE;
    out[4] = (uint8_t)(seg >> 8);
    out[5] = (uint8_t)(seg & 0xFF);
    memcpy(out + 6, text, (size_t)n);
    memcpy(out + 6 + n, jpeg + 2, len - 2);
    return len + 4 + (size_t)n;
}

#define VARIANT_EXTRA 48

/* ---- upload ---- */

struct action {
    CURL *easy;
    struct buf body;
    struct curl_slist *headers;
    char *request;
    int64_t started_ns;
    size_t photo_bytes;
    bool active;
};

struct work {
    long phone;
    long long incident;
};

static struct work *read_work(const char *path, long *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bu_die_detail(path, strerror(errno));
    struct work *w = NULL;
    long cap = 0;
    *n = 0;
    long phone;
    long long incident;
    while (fscanf(f, "%ld %lld", &phone, &incident) == 2) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            w = realloc(w, sizeof *w * (size_t)cap);
            if (!w)
                bu_die("out of memory");
        }
        w[*n].phone = phone;
        w[*n].incident = incident;
        (*n)++;
    }
    fclose(f);
    if (*n == 0)
        bu_die("--work names no incident");
    return w;
}

/* Starts one action: POST .../assignments/ID/actions with kind, note and at
 * most one photo (base64 in the JSON, as the phone page sends it). */
static void start_action(CURLM *m, struct action *a, const char *base,
                         const struct phone_session *s, long long incident, const char *kind,
                         const char *request_id, const uint8_t *photo, size_t photo_len,
                         long photo_no)
{
    size_t b64_len =
        photo ? sodium_base64_ENCODED_LEN(photo_len, sodium_base64_VARIANT_ORIGINAL) : 1;
    free(a->request);
    a->request = bu_xmalloc(b64_len + 512);
    int head = snprintf(
        a->request, 512, "{\"request_id\":\"%s\",\"kind\":\"%s\",\"note\":\"%s\",\"photos\":[",
        request_id, kind, strcmp(kind, "acknowledge") == 0 ? "" : "现场照片：已上门核实处理进展");
    size_t len = (size_t)head;
    if (photo) {
        len += (size_t)sprintf(a->request + len,
                               "{\"name\":\"site-%ld.jpg\",\"content_type\":\"image/jpeg\","
                               "\"data\":\"",
                               photo_no);
        sodium_bin2base64(a->request + len, b64_len, photo, photo_len,
                          sodium_base64_VARIANT_ORIGINAL);
        len += strlen(a->request + len);
        len += (size_t)sprintf(a->request + len, "\"}");
    }
    len += (size_t)sprintf(a->request + len, "]}");
    char url[512], csrf[128];
    snprintf(url, sizeof url, "%s/api/v1/field/assignments/%lld/actions", base, incident);
    snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", s->csrf);
    curl_easy_reset(a->easy);
    easy_common(a->easy, &a->body, s);
    curl_slist_free_all(a->headers);
    a->headers = curl_slist_append(NULL, "Content-Type: application/json");
    a->headers = curl_slist_append(a->headers, csrf);
    a->headers = curl_slist_append(a->headers, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(a->easy, CURLOPT_URL, url);
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, a->request);
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(a->easy, CURLOPT_PRIVATE, a);
    a->body.len = 0;
    a->photo_bytes = photo ? photo_len : 0;
    a->started_ns = bu_now_ns();
    a->active = true;
    if (curl_multi_add_handle(m, a->easy) != CURLM_OK)
        bu_die("curl_multi_add_handle failed");
}

/* Waits for one action to end; returns it with its HTTP status (0: no answer). */
static struct action *finish_one(CURLM *m, long *status)
{
    for (;;) {
        int running = 0, left = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct action *a = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
            *status = 0;
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, status);
            else
                fprintf(stderr, "fq-bench-phones: action failed: %s\n",
                        curl_easy_strerror(msg->data.result));
            curl_multi_remove_handle(m, a->easy);
            a->active = false;
            return a;
        }
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
}

static int run_upload(const struct opts *o)
{
    long nwork = 0;
    struct work *work = read_work(o->work, &nwork);
    long phones = 0;
    for (long i = 0; i < nwork; i++)
        if (work[i].phone + 1 > phones)
            phones = work[i].phone + 1;
    struct phone_session *ss = read_cookies(o->cookies, phones);
    size_t jpeg_len = 0;
    uint8_t *jpeg = read_whole(o->photo, &jpeg_len);
    long c = o->parallel;
    CURLM *m = new_multi(c);
    struct action *as = calloc((size_t)c, sizeof *as);
    uint8_t **photos = bu_xmalloc(sizeof *photos * (size_t)c);
    if (!as)
        bu_die("out of memory");
    for (long i = 0; i < c; i++) {
        as[i].easy = curl_easy_init();
        photos[i] = bu_xmalloc(jpeg_len + VARIANT_EXTRA);
        if (!as[i].easy)
            bu_die("curl_easy_init failed");
    }
    char rid[64];
    uint64_t run_id;
    bu_fill_random(&run_id, sizeof run_id);
    int failmsg = 0;
    long failures = 0;

    /* Acknowledge first: progress is for an acknowledged assignment. Not timed. */
    long next = 0, out = 0;
    while (next < nwork || out > 0) {
        while (next < nwork && out < c) {
            struct action *a = NULL;
            for (long i = 0; i < c && !a; i++)
                if (!as[i].active)
                    a = &as[i];
            snprintf(rid, sizeof rid, "ack-%016" PRIx64 "-%ld", run_id, next);
            start_action(m, a, o->url, &ss[work[next].phone], work[next].incident, "acknowledge",
                         rid, NULL, 0, 0);
            next++;
            out++;
        }
        long status = 0;
        struct action *a = finish_one(m, &status);
        out--;
        if (status != 200 && failures++ < 5)
            fprintf(stderr, "fq-bench-phones: acknowledge: HTTP %ld %.300s\n", status,
                    a->body.p ? a->body.p : "");
    }
    if (failures)
        bu_die("some acknowledgements failed");

    /* K progress actions with a photo each, C at a time. */
    struct bu_latencies lat = {0};
    uint64_t bytes_ok = 0, ok = 0;
    next = 0;
    out = 0;
    int64_t t0 = bu_now_ns();
    while (next < o->count || out > 0) {
        while (next < o->count && out < c) {
            long slot = -1;
            for (long i = 0; i < c && slot < 0; i++)
                if (!as[i].active)
                    slot = i;
            const struct work *w = &work[next % nwork];
            size_t plen = photo_variant(jpeg, jpeg_len, next, photos[slot]);
            snprintf(rid, sizeof rid, "photo-%016" PRIx64 "-%ld", run_id, next);
            start_action(m, &as[slot], o->url, &ss[w->phone], w->incident, "progress", rid,
                         photos[slot], plen, next);
            next++;
            out++;
        }
        long status = 0;
        struct action *a = finish_one(m, &status);
        out--;
        if (status == 200) {
            ok++;
            bytes_ok += a->photo_bytes;
            int64_t ns = bu_now_ns() - a->started_ns;
            if (lat.n == lat.cap) {
                lat.cap = lat.cap ? lat.cap * 2 : 1024;
                lat.v = realloc(lat.v, lat.cap * sizeof *lat.v);
                if (!lat.v)
                    bu_die("out of memory");
            }
            lat.v[lat.n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
        } else {
            failures++;
            if (failmsg++ < 5)
                fprintf(stderr, "fq-bench-phones: progress with a photo: HTTP %ld %.300s\n", status,
                        a->body.p ? a->body.p : "");
        }
    }
    double secs = (double)(bu_now_ns() - t0) / 1e9;
    bu_latencies_sort(&lat);
    printf("{\"actions\":%ld,\"ok\":%" PRIu64 ",\"failures\":%ld,\"parallel\":%ld,"
           "\"photo_bytes\":%" PRIu64 ",\"seconds\":%.3f,\"mb_per_s\":%.3f,"
           "\"actions_per_s\":%.2f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           o->count, ok, failures, c, bytes_ok, secs, (double)bytes_ok / 1e6 / secs,
           (double)ok / secs, lat.n ? bu_latency_us(&lat, 500) : 0.0,
           lat.n ? bu_latency_us(&lat, 990) : 0.0);
    fflush(stdout);
    for (long i = 0; i < c; i++) {
        curl_easy_cleanup(as[i].easy);
        curl_slist_free_all(as[i].headers);
        free(as[i].request);
        free(as[i].body.p);
        free(photos[i]);
    }
    curl_multi_cleanup(m);
    bu_latencies_free(&lat);
    free(photos);
    free(as);
    free(jpeg);
    free(ss);
    free(work);
    return failures ? 1 : 0;
}

/* ---- copy (the baseline) ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void copy_put(PGconn *c, const void *p, size_t len)
{
    if (PQputCopyData(c, p, (int)len) != 1)
        bu_die_detail("PQputCopyData", PQerrorMessage(c));
}

static int run_copy(const struct opts *o)
{
    size_t jpeg_len = 0;
    uint8_t *jpeg = read_whole(o->photo, &jpeg_len);
    uint8_t *photo = bu_xmalloc(jpeg_len + VARIANT_EXTRA);
    PGconn *c = PQconnectdb(o->db);
    if (PQstatus(c) != CONNECTION_OK)
        bu_die_detail("connecting to PostgreSQL", PQerrorMessage(c));
    int64_t t0 = bu_now_ns();
    PGresult *r = PQexec(c, "COPY attachments_baseline (bytes) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN)
        bu_die_detail("COPY", PQerrorMessage(c));
    PQclear(r);
    /* The binary format: signature, flags, header extension length; then a
     * tuple per photo (field count 1, length, bytes); then -1. */
    static const uint8_t header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
    copy_put(c, header, sizeof header);
    uint64_t bytes = 0;
    for (long k = 0; k < o->count; k++) {
        size_t plen = photo_variant(jpeg, jpeg_len, k, photo);
        uint8_t tuple[6];
        tuple[0] = 0;
        tuple[1] = 1;
        put_be32(tuple + 2, (uint32_t)plen);
        copy_put(c, tuple, sizeof tuple);
        copy_put(c, photo, plen);
        bytes += plen;
    }
    static const uint8_t trailer[2] = {0xFF, 0xFF};
    copy_put(c, trailer, sizeof trailer);
    if (PQputCopyEnd(c, NULL) != 1)
        bu_die_detail("PQputCopyEnd", PQerrorMessage(c));
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        bu_die_detail("COPY", PQerrorMessage(c));
    PQclear(r);
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    double secs = (double)(bu_now_ns() - t0) / 1e9; /* autocommit: COPY's end is its COMMIT */
    printf("{\"rows\":%ld,\"photo_bytes\":%" PRIu64 ",\"seconds\":%.3f,\"mb_per_s\":%.3f}\n",
           o->count, bytes, secs, (double)bytes / 1e6 / secs);
    fflush(stdout);
    PQfinish(c);
    free(photo);
    free(jpeg);
    return 0;
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-phones", false, usage);
    if (argc < 2)
        usage();
    struct opts o;
    memset(&o, 0, sizeof o);
    o.parallel = 4;
    o.seconds = 10;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--server-key"))
            o.server_key = v;
        else if (!strcmp(k, "--out"))
            o.out = v;
        else if (!strcmp(k, "--url"))
            o.url = v;
        else if (!strcmp(k, "--cookies"))
            o.cookies = v;
        else if (!strcmp(k, "--stop-file"))
            o.stop_file = v;
        else if (!strcmp(k, "--receipts"))
            o.receipts = v;
        else if (!strcmp(k, "--work"))
            o.work = v;
        else if (!strcmp(k, "--photo"))
            o.photo = v;
        else if (!strcmp(k, "--db"))
            o.db = v;
        else if (!strcmp(k, "--count"))
            o.count = bu_parse_long(v, 1, 1000000);
        else if (!strcmp(k, "--first"))
            o.first = bu_parse_long(v, 0, 1000000);
        else if (!strcmp(k, "--parallel"))
            o.parallel = bu_parse_long(v, 1, 256);
        else if (!strcmp(k, "--seconds"))
            o.seconds = bu_parse_double(v, 0.1, 3600);
        else
            usage();
    }
    if (sodium_init() < 0)
        bu_die("libsodium failed to initialise");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        bu_die("curl_global_init failed");
    if (!strcmp(argv[1], "accounts")) {
        if (!o.server_key || !o.out || !o.count || o.first > o.count)
            usage();
        return run_accounts(&o);
    }
    if (!strcmp(argv[1], "hold")) {
        if (!o.url || !o.cookies || !o.count)
            usage();
        return run_hold(&o);
    }
    if (!strcmp(argv[1], "upload")) {
        if (!o.url || !o.cookies || !o.work || !o.photo || !o.count)
            usage();
        return run_upload(&o);
    }
    if (!strcmp(argv[1], "copy")) {
        if (!o.db || !o.photo || !o.count)
            usage();
        return run_copy(&o);
    }
    usage();
}
