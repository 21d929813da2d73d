#include "http.h"

#include "allowlist.h"
#include "fqerr.h"
#include "loginlimit.h"
#include "open311.h"
#include "password.h"
#include "sessions.h"
#include "statements.h"
#include "webreq.h"

#include <arpa/inet.h>
#include <h2o.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SSE_KEEPALIVE_MS 15000
/* Requests are counted by route group (route_group) and status code. */
enum { GROUP_API, GROUP_EVENTS, GROUP_OPEN311, GROUP_METRICS, GROUP_HEALTH, GROUP_PAGE, GROUPS };
static const char *const group_names[GROUPS] = {"api",     "events", "open311",
                                                "metrics", "health", "page"};
#define MAX_STATUS 600
#define COOKIE_NAME "fq_session"

typedef struct fq_http_handler {
    h2o_handler_t super;
    fq_http *http;
} fq_http_handler;

typedef struct fq_http_filter {
    h2o_filter_t super;
    fq_http *http;
} fq_http_filter;

struct fq_http {
    uv_loop_t *loop;
    fq_store *store;
    fq_api *api;
    fq_open311 *open311; /* NULL: /open311/ answers 404 */
    unsigned session_s;
    int tls;
    char csp[1024];
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    SSL_CTX *ssl_ctx;
    uv_tcp_t listener;
    int listening;
    fq_sessions *sessions;
    fq_loginlimit *limit;
    const char *dummy_hash;
    fq_web_stream *streams; /* every open stream, for keepalives and the stop */
    uv_timer_t keepalive;
    int stopped, disposed;
    fq_http_ops ops;
    fq_allowlist *metrics_allow;           /* NULL: anyone may GET /metrics */
    uint64_t requests[GROUPS][MAX_STATUS]; /* responses started, by group and status */
};

/* Ties a request's life in H2O to ours: allocated in the request's pool, its
 * dispose runs when H2O lets the request go (answered, or the browser went
 * away); whatever of ours still points at the request learns it is gone. */
typedef struct req_link {
    fq_web_req *wr;
    fq_web_stream *stream;
} req_link;

typedef struct owned_string {
    struct owned_string *next;
    char text[];
} owned_string;

struct fq_web_req {
    fq_http *http;
    h2o_req_t *req; /* NULL once the browser has gone */
    req_link *link;
    char method[16];
    char *path;
    char *query; /* raw, without '?'; "" when none */
    uint8_t *body;
    size_t body_len;
    char remote[64];
    fq_cached_session session;
    uint8_t token_hash[32];
    owned_string *owned;         /* header and query copies handed out */
    owned_string *extra_headers; /* "name\0value" */
    fq_store_op op;
    unsigned refuse_retry_s; /* a sign-in refused by the rate limit: 429 after its row */
};

struct fq_web_stream {
    h2o_generator_t generator;
    fq_http *http;
    h2o_req_t *req; /* NULL once the browser has gone */
    req_link *link;
    fq_web_stream_closed_fn closed;
    void *user;
    char *queued;
    size_t queued_len, queued_cap;
    char *inflight; /* given to h2o_send, kept until proceed */
    size_t inflight_len;
    int sending, finishing, final_sent;
    fq_web_stream *prev, *next;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    }
    return "";
}

/* ---- addresses ---- */

/* Splits ADDR:PORT ([ADDR]:PORT) into a socket address; -1 when malformed. */
static int parse_listen(const char *listen, struct sockaddr_storage *sa, char *host,
                        size_t host_len)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen)
        return -1;
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    }
    if (hl + 1 > host_len)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port > 65535)
        return -1;
    const char *numeric = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (uv_ip4_addr(numeric, (int)port, (struct sockaddr_in *)sa) == 0)
        return 0;
    if (uv_ip6_addr(numeric, (int)port, (struct sockaddr_in6 *)sa) == 0)
        return 0;
    return -1;
}

int fq_http_is_loopback(const char *listen)
{
    struct sockaddr_storage sa;
    char host[128];
    if (parse_listen(listen, &sa, host, sizeof host) != 0)
        return 0;
    if (sa.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&sa)->sin6_addr);
}

static void peer_text(h2o_req_t *req, char *out, size_t len)
{
    struct sockaddr_storage sa;
    snprintf(out, len, "?");
    if (req->conn->callbacks->get_peername == NULL ||
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&sa) == 0)
        return;
    if (sa.ss_family == AF_INET)
        uv_ip4_name((struct sockaddr_in *)&sa, out, len);
    else if (sa.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&sa, out, len);
}

/* ---- security headers: every response ---- */

static void add_security_headers(fq_http_filter *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    fq_http *h = self->http;
    h2o_headers_t *hd = &req->res.headers;
    h2o_set_header_by_str(&req->pool, hd, H2O_STRLIT("content-security-policy"), 0, h->csp,
                          strlen(h->csp), 1);
    h2o_set_header_by_str(&req->pool, hd, H2O_STRLIT("x-content-type-options"), 0,
                          H2O_STRLIT("nosniff"), 1);
    h2o_set_header_by_str(&req->pool, hd, H2O_STRLIT("x-frame-options"), 0, H2O_STRLIT("DENY"), 1);
    h2o_set_header_by_str(&req->pool, hd, H2O_STRLIT("referrer-policy"), 0,
                          H2O_STRLIT("no-referrer"), 1);
    if (h->tls)
        h2o_set_header_by_str(&req->pool, hd, H2O_STRLIT("strict-transport-security"), 0,
                              H2O_STRLIT("max-age=31536000"), 1);
    h2o_setup_next_ostream(req, slot);
}

static int has_prefix(h2o_iovec_t path, const char *prefix)
{
    size_t n = strlen(prefix);
    return path.len >= n && memcmp(path.base, prefix, n) == 0 &&
           (path.len == n || prefix[n - 1] == '/' || path.base[n] == '/' || path.base[n] == '?');
}

static int route_group(h2o_req_t *req)
{
    h2o_iovec_t p = req->path_normalized;
    if (has_prefix(p, "/api/v1/events"))
        return GROUP_EVENTS;
    if (has_prefix(p, "/api/"))
        return GROUP_API;
    if (has_prefix(p, "/open311"))
        return GROUP_OPEN311;
    if (has_prefix(p, "/metrics"))
        return GROUP_METRICS;
    if (has_prefix(p, "/healthz") || has_prefix(p, "/readyz"))
        return GROUP_HEALTH;
    return GROUP_PAGE;
}

/* Every response passes here once, as it starts: where it is counted. */
static void on_filter_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    fq_http *h = ((fq_http_filter *)self)->http;
    int status = req->res.status;
    if (h->stopped)
        req->http1_is_persistent = 0; /* the server is stopping: no next request here */
    if (status > 0 && status < MAX_STATUS)
        h->requests[route_group(req)][status]++;
    add_security_headers((fq_http_filter *)self, req, slot);
}

/* The tile URL's origin for img-src: scheme://host[:port], "{s}" (Leaflet's
 * subdomains) as a wildcard. "" when there is none or it is not http(s). */
static void tile_origin(const char *url, char *out, size_t len)
{
    out[0] = '\0';
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return;
    const char *host = strstr(url, "://") + 3;
    size_t n = strcspn(host, "/");
    size_t o = 0;
    for (const char *p = url; p < host + n && o + 2 < len;) {
        if (strncmp(p, "{s}", 3) == 0) {
            out[o++] = '*';
            p += 3;
        } else if (*p == '{' || *p == '}' || *p == ' ' || *p == ';' || *p == '\'') {
            out[0] = '\0'; /* a template we cannot put in a policy */
            return;
        } else
            out[o++] = *p++;
    }
    out[o] = '\0';
}

/* ---- requests: webreq.h ---- */

static char *own(fq_web_req *wr, const char *text, size_t len)
{
    owned_string *s = malloc(sizeof *s + len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->next = wr->owned;
    wr->owned = s;
    return s->text;
}

static void on_link_dispose(void *p)
{
    req_link *link = p;
    if (link->wr != NULL) {
        link->wr->req = NULL;
        link->wr->link = NULL;
    }
    if (link->stream != NULL) {
        fq_web_stream *st = link->stream;
        st->req = NULL;
        st->link = NULL;
        fq_http *h = st->http;
        if (st->prev)
            st->prev->next = st->next;
        else if (h->streams == st)
            h->streams = st->next;
        if (st->next)
            st->next->prev = st->prev;
        if (st->closed) {
            fq_web_stream_closed_fn closed = st->closed;
            st->closed = NULL;
            closed(st->user, st);
        }
        free(st->queued);
        free(st->inflight);
        free(st);
    }
}

static void free_strings(owned_string *s)
{
    while (s) {
        owned_string *next = s->next;
        free(s);
        s = next;
    }
}

static void req_free(fq_web_req *wr)
{
    if (wr->link)
        wr->link->wr = NULL;
    free_strings(wr->owned);
    free_strings(wr->extra_headers);
    free(wr->path);
    free(wr->query);
    free(wr->body);
    free(wr);
}

const char *fq_web_req_method(const fq_web_req *r)
{
    return r->method;
}

const char *fq_web_req_path(const fq_web_req *r)
{
    return r->path;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Form decoding of one query component in place ('+' is a space). */
static size_t form_decode(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+')
            s[o++] = ' ';
        else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            s[o++] = s[i];
    }
    return o;
}

const char *fq_web_req_query(const fq_web_req *r, const char *name)
{
    fq_web_req *wr = (fq_web_req *)r;
    size_t nlen = strlen(name);
    for (const char *p = wr->query; *p;) {
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        char key[128];
        if (klen < sizeof key) {
            memcpy(key, p, klen);
            size_t kd = form_decode(key, klen);
            if (kd == nlen && memcmp(key, name, nlen) == 0) {
                const char *v = eq ? eq + 1 : p + plen;
                size_t vlen = eq ? plen - klen - 1 : 0;
                char *copy = own(wr, v, vlen);
                if (copy == NULL)
                    return NULL;
                copy[form_decode(copy, vlen)] = '\0';
                return copy;
            }
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    return NULL;
}

const char *fq_web_req_query_string(const fq_web_req *r)
{
    return r->query;
}

const char *fq_web_req_header(const fq_web_req *r, const char *name)
{
    fq_web_req *wr = (fq_web_req *)r;
    if (wr->req == NULL)
        return NULL;
    for (size_t i = 0; i < wr->req->headers.size; i++) {
        const h2o_header_t *hd = &wr->req->headers.entries[i];
        /* Both sides folded: H2O's h2o_lcstris folds only its first argument. */
        if (hd->name->len == strlen(name) && strncasecmp(hd->name->base, name, hd->name->len) == 0)
            return own(wr, hd->value.base, hd->value.len);
    }
    return NULL;
}

const uint8_t *fq_web_req_body(const fq_web_req *r, size_t *len)
{
    *len = r->body_len;
    return r->body;
}

const fq_web_session *fq_web_req_session(const fq_web_req *r)
{
    return &r->session.s;
}

const char *fq_web_req_remote(const fq_web_req *r)
{
    return r->remote;
}

void fq_web_add_header(fq_web_req *r, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    owned_string *s = malloc(sizeof *s + nl + vl + 2);
    if (s == NULL)
        return;
    memcpy(s->text, name, nl + 1);
    memcpy(s->text + nl + 1, value, vl + 1);
    s->next = r->extra_headers;
    r->extra_headers = s;
}

static void put_headers(fq_web_req *wr, h2o_req_t *req)
{
    for (owned_string *s = wr->extra_headers; s; s = s->next) {
        size_t nl = strlen(s->text);
        h2o_iovec_t name = h2o_strdup(&req->pool, s->text, nl);
        for (size_t i = 0; i < name.len; i++)
            name.base[i] = (char)(name.base[i] >= 'A' && name.base[i] <= 'Z' ? name.base[i] + 32
                                                                             : name.base[i]);
        h2o_iovec_t value = h2o_strdup(&req->pool, s->text + nl + 1, strlen(s->text + nl + 1));
        h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 1, NULL,
                              value.base, value.len);
    }
}

static int has_extra_header(const fq_web_req *wr, const char *name)
{
    for (const owned_string *s = wr->extra_headers; s; s = s->next)
        if (strcasecmp(s->text, name) == 0)
            return 1;
    return 0;
}

void fq_web_respond(fq_web_req *r, int status, const char *content_type, const char *body,
                    size_t len)
{
    h2o_req_t *req = r->req;
    if (req != NULL) {
        req->res.status = status;
        req->res.reason = reason_of(status);
        if (content_type != NULL)
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                           content_type, strlen(content_type));
        /* Nothing of the API is cached unless the handler says otherwise
         * (the topology, an attachment's bytes). */
        if (!has_extra_header(r, "cache-control"))
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                           H2O_STRLIT("no-store"));
        put_headers(r, req);
        h2o_iovec_t copy = h2o_strdup(&req->pool, body ? body : "", len);
        req_free(r); /* before the send: it may dispose the request at once */
        h2o_send_inline(req, copy.base, copy.len);
        return;
    }
    req_free(r);
}

void fq_web_respond_json(fq_web_req *r, int status, json_object *doc)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len);
    fq_web_respond(r, status, "application/json; charset=utf-8", text, len);
    json_object_put(doc);
}

void fq_web_respond_error(fq_web_req *r, int status, const char *code, const char *message,
                          unsigned retry_after_s)
{
    json_object *err = json_object_new_object();
    json_object_object_add(err, "code", json_object_new_string(code));
    json_object_object_add(err, "message", json_object_new_string(message));
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "error", err);
    if (retry_after_s > 0) {
        char v[16];
        snprintf(v, sizeof v, "%u", retry_after_s);
        fq_web_add_header(r, "Retry-After", v);
    }
    fq_web_respond_json(r, status, doc);
}

void fq_web_respond_err(fq_web_req *r, int err, const char *message)
{
    const char *code;
    int status = fq_err_http(err, &code);
    fq_web_respond_error(r, status, code, message, status == 503 ? 1 : 0);
}

void fq_web_respond_store_failed(fq_web_req *r, const char *message)
{
    fq_web_respond_error(r, 503, "busy",
                         message && message[0] ? message : "the database is away; retry", 2);
}

/* ---- streams ---- */

static void stream_flush(fq_web_stream *st)
{
    if (st->req == NULL || st->sending || st->final_sent)
        return;
    if (st->queued_len > 0) {
        free(st->inflight);
        st->inflight = st->queued;
        st->inflight_len = st->queued_len;
        st->queued = NULL;
        st->queued_len = st->queued_cap = 0;
        h2o_iovec_t buf = h2o_iovec_init(st->inflight, st->inflight_len);
        st->sending = 1;
        if (st->finishing)
            st->final_sent = 1;
        h2o_send(st->req, &buf, 1,
                 st->finishing ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
    } else if (st->finishing) {
        st->final_sent = 1;
        st->sending = 1;
        h2o_send(st->req, NULL, 0, H2O_SEND_STATE_FINAL);
    }
}

static void on_stream_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    (void)req;
    fq_web_stream *st = (fq_web_stream *)self;
    st->sending = 0;
    stream_flush(st);
}

static void on_stream_stop(h2o_generator_t *self, h2o_req_t *req)
{
    /* The request's dispose (on_link_dispose) tells the user and frees. */
    (void)self;
    (void)req;
}

fq_web_stream *fq_web_stream_open(fq_web_req *r, fq_web_stream_closed_fn closed, void *user)
{
    h2o_req_t *req = r->req;
    if (req == NULL) {
        req_free(r);
        return NULL;
    }
    fq_web_stream *st = calloc(1, sizeof *st);
    if (st == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return NULL;
    }
    st->generator.proceed = on_stream_proceed;
    st->generator.stop = on_stream_stop;
    st->http = r->http;
    st->req = req;
    st->closed = closed;
    st->user = user;
    st->link = r->link;
    st->link->wr = NULL;
    st->link->stream = st;
    r->link = NULL;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0, NULL,
                          H2O_STRLIT("no"));
    put_headers(r, req);
    r->req = NULL;
    req_free(r);
    fq_http *h = st->http;
    st->next = h->streams;
    if (h->streams)
        h->streams->prev = st;
    h->streams = st;
    h2o_start_response(req, &st->generator);
    /* The headers go out at once: the browser knows the stream is open. */
    static const char hello[] = ": open\n\n";
    fq_web_stream_send(st, hello, sizeof hello - 1);
    return st;
}

int fq_web_stream_send(fq_web_stream *s, const char *bytes, size_t len)
{
    if (s->finishing || s->req == NULL)
        return 0;
    if (s->queued_len + s->inflight_len + len > FQ_WEB_STREAM_BACKLOG) {
        fq_web_stream_close(s);
        return -1;
    }
    if (s->queued_len + len > s->queued_cap) {
        size_t cap = s->queued_cap ? s->queued_cap : 4096;
        while (cap < s->queued_len + len)
            cap *= 2;
        char *q = realloc(s->queued, cap);
        if (q == NULL) {
            fq_web_stream_close(s);
            return -1;
        }
        s->queued = q;
        s->queued_cap = cap;
    }
    memcpy(s->queued + s->queued_len, bytes, len);
    s->queued_len += len;
    stream_flush(s);
    return 0;
}

void fq_web_stream_close(fq_web_stream *s)
{
    if (s->closed) {
        fq_web_stream_closed_fn closed = s->closed;
        s->closed = NULL;
        closed(s->user, s);
    }
    if (s->finishing)
        return;
    s->finishing = 1;
    s->queued_len = 0; /* a stalled browser gets nothing more */
    stream_flush(s);
    /* Freed by the request's dispose once H2O is done with it. */
}

static void on_keepalive(uv_timer_t *t)
{
    fq_http *h = t->data;
    static const char ping[] = ": keepalive\n\n";
    for (fq_web_stream *st = h->streams, *next; st; st = next) {
        next = st->next;
        fq_web_stream_send(st, ping, sizeof ping - 1);
    }
}

/* ---- sessions ---- */

static void session_json(const fq_cached_session *cs, json_object **out)
{
    static const char *const roles[] = {"viewer", "operator", "supervisor", "worker",
                                        "receptionist"};
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "account", json_object_new_string(cs->s.account));
    json_object_object_add(doc, "display_name", json_object_new_string(cs->s.display_name));
    json_object_object_add(doc, "role", json_object_new_string(roles[cs->s.role]));
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(cs->s.jurisdiction));
    json_object_object_add(j, "name", json_object_new_string(cs->jurisdiction_name));
    json_object_object_add(doc, "jurisdiction", j);
    json_object_object_add(doc, "csrf", json_object_new_string(cs->s.csrf));
    json_object_object_add(doc, "expires_ms", json_object_new_int64(cs->s.expires_ms));
    if (cs->s.role == FQ_WEB_WORKER) {
        /* Who the phone's account acts for (docs/http-api.md, "The field API"). */
        int unit = cs->s.serves_unit[0] != '\0';
        json_object *sv = json_object_new_object();
        json_object_object_add(sv, "kind", json_object_new_string(unit ? "unit" : "worker"));
        json_object_object_add(
            sv, "id", json_object_new_string(unit ? cs->s.serves_unit : cs->s.serves_worker));
        json_object_object_add(sv, "name", json_object_new_string(cs->serves_name));
        json_object_object_add(doc, "serves", sv);
    }
    *out = doc;
}

static fq_web_role role_parse(const char *text)
{
    return strcmp(text, "supervisor") == 0     ? FQ_WEB_SUPERVISOR
           : strcmp(text, "operator") == 0     ? FQ_WEB_OPERATOR
           : strcmp(text, "worker") == 0       ? FQ_WEB_WORKER
           : strcmp(text, "receptionist") == 0 ? FQ_WEB_RECEPTIONIST
                                               : FQ_WEB_VIEWER;
}

/* ---- the binders of the accounts' and sessions' statements
 * (sql/web_*.sql), each on an op whose memory holds the values until it is
 * done; the row decoders follow them. ---- */

static void bind_statement(fq_store_op *op, const char *statement, int nparams)
{
    memset(op, 0, sizeof *op);
    op->kind = FQ_STORE_OP_READ;
    op->statement = statement;
    op->nparams = nparams;
}

static void bind_token_hash(fq_store_op *op, const uint8_t token_hash[32])
{
    op->values[0] = (const char *)token_hash;
    op->lengths[0] = 32;
    op->formats[0] = 1;
}

/* FQ_SQL_WEB_ACCOUNT: the account `account` (session_from_row). */
static void account_bind(fq_store_op *op, const char *account)
{
    bind_statement(op, FQ_SQL_WEB_ACCOUNT_NAME, FQ_SQL_WEB_ACCOUNT_NPARAMS);
    op->values[0] = account;
}

/* FQ_SQL_WEB_SESSION_NEW: a session of `account` under `token_hash`, with
 * its CSRF token, from `remote`, for `life_s` (decimal seconds). */
static void session_new_bind(fq_store_op *op, const uint8_t token_hash[32], const char *account,
                             const char *csrf, const char *remote, const char *life_s)
{
    bind_statement(op, FQ_SQL_WEB_SESSION_NEW_NAME, FQ_SQL_WEB_SESSION_NEW_NPARAMS);
    bind_token_hash(op, token_hash);
    op->values[1] = account;
    op->values[2] = csrf;
    op->values[3] = remote;
    op->values[4] = life_s;
}

/* FQ_SQL_WEB_LOGIN: a sign-in of `account` (as typed) from `remote` that
 * opened nothing, and why (`outcome`). */
static void login_bind(fq_store_op *op, const char *account, const char *remote,
                       const char *outcome)
{
    bind_statement(op, FQ_SQL_WEB_LOGIN_NAME, FQ_SQL_WEB_LOGIN_NPARAMS);
    op->values[0] = account;
    op->values[1] = remote;
    op->values[2] = outcome;
}

/* FQ_SQL_WEB_SESSION_GET: the live session of `token_hash`. */
static void session_get_bind(fq_store_op *op, const uint8_t token_hash[32])
{
    bind_statement(op, FQ_SQL_WEB_SESSION_GET_NAME, FQ_SQL_WEB_SESSION_GET_NPARAMS);
    bind_token_hash(op, token_hash);
}

/* FQ_SQL_WEB_SESSION_END: the session of `token_hash` ended from `remote`. */
static void session_end_bind(fq_store_op *op, const uint8_t token_hash[32], const char *remote)
{
    bind_statement(op, FQ_SQL_WEB_SESSION_END_NAME, FQ_SQL_WEB_SESSION_END_NPARAMS);
    bind_token_hash(op, token_hash);
    op->values[1] = remote;
}

/* FQ_SQL_WEB_SERVES from column `col` on: what a worker account serves. A
 * worker account whose node serves nothing (a bad row) serves nothing here
 * either, and its field requests are refused by the terminal endpoint. */
static void serves_from_row(const PGresult *res, int col, fq_cached_session *cs)
{
    snprintf(cs->s.serves_worker, sizeof cs->s.serves_worker, "%s", PQgetvalue(res, 0, col));
    snprintf(cs->s.serves_unit, sizeof cs->s.serves_unit, "%s", PQgetvalue(res, 0, col + 1));
    snprintf(cs->serves_name, sizeof cs->serves_name, "%s", PQgetvalue(res, 0, col + 2));
}

/* Columns 0..5 of FQ_SQL_WEB_ACCOUNT and FQ_SQL_WEB_SESSION_GET; the
 * caller reads what the account serves (their columns differ). */
static void session_from_row(const PGresult *res, fq_cached_session *cs)
{
    memset(cs, 0, sizeof *cs);
    snprintf(cs->s.account, sizeof cs->s.account, "%s", PQgetvalue(res, 0, 0));
    snprintf(cs->s.display_name, sizeof cs->s.display_name, "%s", PQgetvalue(res, 0, 1));
    cs->s.role = role_parse(PQgetvalue(res, 0, 2));
    snprintf(cs->s.node_id, sizeof cs->s.node_id, "%s", PQgetvalue(res, 0, 3));
    snprintf(cs->s.jurisdiction, sizeof cs->s.jurisdiction, "%s", PQgetvalue(res, 0, 4));
    snprintf(cs->jurisdiction_name, sizeof cs->jurisdiction_name, "%s", PQgetvalue(res, 0, 5));
}

/* The token of the fq_session cookie, hashed; -1 when there is none. */
static int cookie_token_hash(h2o_req_t *req, uint8_t hash[32])
{
    static const char name[] = COOKIE_NAME "=";
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
        const h2o_iovec_t *v = &req->headers.entries[i].value;
        for (size_t p = 0; p < v->len;) {
            while (p < v->len && (v->base[p] == ' ' || v->base[p] == ';'))
                p++;
            size_t end = p;
            while (end < v->len && v->base[end] != ';')
                end++;
            if (end - p > sizeof name - 1 && memcmp(v->base + p, name, sizeof name - 1) == 0) {
                uint8_t token[32];
                size_t got = 0;
                const char *b64 = v->base + p + sizeof name - 1;
                size_t b64_len = end - p - (sizeof name - 1);
                if (sodium_base642bin(token, sizeof token, b64, b64_len, NULL, &got, NULL,
                                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                    got == sizeof token) {
                    crypto_hash_sha256(hash, token, sizeof token);
                    return 0;
                }
            }
            p = end;
        }
    }
    return -1;
}

static void api_dispatch(fq_web_req *wr);

static void on_session_loaded(fq_store_op *op, int status, const char *message)
{
    (void)message;
    fq_web_req *wr = (fq_web_req *)((char *)op - offsetof(fq_web_req, op));
    if (status != FQ_OK) {
        fq_web_respond_error(wr, 503, "busy", "the database is unreachable; try again", 2);
        return;
    }
    if (PQntuples(op->result) != 1) {
        fq_web_respond_err(wr, FQ_EUNAUTHENTICATED, "not signed in, or the session ended");
        return;
    }
    session_from_row(op->result, &wr->session);
    snprintf(wr->session.s.csrf, sizeof wr->session.s.csrf, "%s", PQgetvalue(op->result, 0, 6));
    wr->session.s.expires_ms = fq_store_column_i64(op->result, 0, 7);
    serves_from_row(op->result, 8, &wr->session);
    fq_sessions_put(wr->http->sessions, wr->token_hash, &wr->session);
    api_dispatch(wr);
}

static int is_read_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static int csrf_ok(fq_web_req *wr)
{
    const char *given = fq_web_req_header(wr, "x-csrf-token");
    size_t want = strlen(wr->session.s.csrf);
    return given != NULL && want > 0 && strlen(given) == want &&
           sodium_memcmp(given, wr->session.s.csrf, want) == 0;
}

static void on_logged_out(fq_store_op *op, int status, const char *message)
{
    (void)message;
    fq_web_req *wr = (fq_web_req *)((char *)op - offsetof(fq_web_req, op));
    if (status != FQ_OK) {
        fq_web_respond_error(wr, 503, "busy", "the database is unreachable; try again", 2);
        return;
    }
    fq_web_add_header(wr, "Set-Cookie",
                      COOKIE_NAME "=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    fq_web_respond(wr, 204, NULL, "", 0);
}

/* The field API is the worker accounts', and they have nothing else but
 * sign-in, their topology and the evidence (docs/http-api.md, "The field
 * API"): login, session and logout are answered before this. */
static int role_may(const fq_web_session *s, const char *path)
{
    static const char field[] = "/api/v1/field/", attachments[] = "/api/v1/attachments/";
    int is_field = strncmp(path, field, sizeof field - 1) == 0;
    if (s->role != FQ_WEB_WORKER)
        return !is_field;
    return is_field || strcmp(path, "/api/v1/topology") == 0 ||
           strncmp(path, attachments, sizeof attachments - 1) == 0;
}

/* The two paths that carry photos (base64 in JSON) take bodies up to
 * FQ_WEB_MAX_UPLOAD_BODY; every other one FQ_WEB_MAX_BODY. */
static size_t body_cap(const char *method, const char *path)
{
    static const char actions[] = "/api/v1/field/assignments/";
    if (strcmp(method, "POST") != 0)
        return FQ_WEB_MAX_BODY;
    if (strcmp(path, "/api/v1/field/reports") == 0)
        return FQ_WEB_MAX_UPLOAD_BODY;
    if (strncmp(path, actions, sizeof actions - 1) == 0) {
        const char *p = path + sizeof actions - 1;
        if (*p < '0' || *p > '9')
            return FQ_WEB_MAX_BODY;
        while (*p >= '0' && *p <= '9')
            p++;
        if (strcmp(p, "/actions") == 0)
            return FQ_WEB_MAX_UPLOAD_BODY;
    }
    /* A console's command: a mediation's agreement brings the photos of
     * the signed agreement (docs/mediation.md). */
    static const char incidents[] = "/api/v1/incidents/";
    if (strncmp(path, incidents, sizeof incidents - 1) == 0) {
        const char *p = path + sizeof incidents - 1;
        if (*p < '0' || *p > '9')
            return FQ_WEB_MAX_BODY;
        while (*p >= '0' && *p <= '9')
            p++;
        if (strcmp(p, "/commands") == 0)
            return FQ_WEB_MAX_UPLOAD_BODY;
    }
    return FQ_WEB_MAX_BODY;
}

static void api_dispatch(fq_web_req *wr)
{
    fq_http *h = wr->http;
    if (strcmp(wr->path, "/api/v1/session") == 0 && is_read_method(wr->method)) {
        json_object *doc;
        session_json(&wr->session, &doc);
        fq_web_respond_json(wr, 200, doc);
        return;
    }
    if (!is_read_method(wr->method) && !csrf_ok(wr)) {
        fq_web_respond_error(wr, 403, "csrf", "the X-CSRF-Token header is missing or wrong", 0);
        return;
    }
    if (strcmp(wr->path, "/api/v1/logout") == 0) {
        if (strcmp(wr->method, "POST") != 0) {
            fq_web_respond_error(wr, 405, "invalid", "logout is a POST", 0);
            return;
        }
        fq_sessions_forget(h->sessions, wr->token_hash);
        session_end_bind(&wr->op, wr->token_hash, wr->remote);
        wr->op.done = on_logged_out;
        fq_store_submit(h->store, &wr->op);
        return;
    }
    if (!role_may(&wr->session.s, wr->path)) {
        fq_web_respond_error(wr, 403, "role",
                             wr->session.s.role == FQ_WEB_WORKER
                                 ? "a worker account uses the field API only (the phone page)"
                                 : "the field API is for worker accounts (the phone page)",
                             0);
        return;
    }
    fq_api_handle(h->api, wr);
}

/* ---- login ---- */

typedef struct login {
    fq_web_req *wr;
    fq_http *http;
    char account[65];
    char *password;
    size_t password_len;
    char hash[FQ_PASSWORD_HASH_BYTES];
    int found, disabled, matched;
    int64_t counted_ms; /* when the attempt was counted as failed (loginlimit.h) */
    const char *outcome;
    uv_work_t work;
    uint8_t token[32];
    char csrf[48];
    char life_s[16];
} login;

static void login_free(login *l)
{
    if (l->password) {
        sodium_memzero(l->password, l->password_len);
        free(l->password);
    }
    sodium_memzero(l->token, sizeof l->token);
    free(l);
}

static void on_login_recorded(fq_store_op *op, int status, const char *message)
{
    (void)message;
    fq_web_req *wr = (fq_web_req *)((char *)op - offsetof(fq_web_req, op));
    if (status != FQ_OK) {
        fq_web_respond_error(wr, 503, "busy", "the database is unreachable; try again", 2);
        return;
    }
    if (wr->refuse_retry_s > 0)
        fq_web_respond_error(wr, 429, "rate_limited", "too many sign-in attempts; try again later",
                             wr->refuse_retry_s);
    else
        fq_web_respond_err(wr, FQ_EUNAUTHENTICATED, "wrong account or password");
}

static void login_refuse(login *l, const char *outcome)
{
    fq_web_req *wr = l->wr;
    /* The row's parameters must outlive the op: copied into the request. */
    const char *account = own(wr, l->account, strlen(l->account));
    login_bind(&wr->op, account ? account : "", wr->remote, outcome);
    wr->op.done = on_login_recorded;
    login_free(l);
    fq_store_submit(wr->http->store, &wr->op);
}

static void on_session_stored(fq_store_op *op, int status, const char *message)
{
    (void)message;
    fq_web_req *wr = (fq_web_req *)((char *)op - offsetof(fq_web_req, op));
    login *l = (login *)wr->body; /* the login rides in the request until answered */
    wr->body = NULL;
    if (status != FQ_OK || PQntuples(op->result) != 1) {
        login_free(l);
        fq_web_respond_error(wr, 503, "busy", "the database is unreachable; try again", 2);
        return;
    }
    wr->session.s.expires_ms = fq_store_column_i64(op->result, 0, 0);
    fq_sessions_put(wr->http->sessions, wr->token_hash, &wr->session);
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, l->token, sizeof l->token,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             COOKIE_NAME "=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=%u", b64,
             wr->http->session_s);
    sodium_memzero(b64, sizeof b64);
    fq_web_add_header(wr, "Set-Cookie", cookie);
    sodium_memzero(cookie, sizeof cookie);
    login_free(l);
    json_object *doc;
    session_json(&wr->session, &doc);
    fq_web_respond_json(wr, 200, doc);
}

static void verify_work(uv_work_t *w)
{
    login *l = w->data;
    l->matched = fq_password_verify(l->hash, l->password, l->password_len);
}

static void after_verify(uv_work_t *w, int status)
{
    login *l = w->data;
    fq_web_req *wr = l->wr;
    fq_http *h = l->http;
    if (status != 0 || !l->found || !l->matched || l->disabled) {
        const char *outcome = !l->found     ? "unknown_account"
                              : !l->matched ? "wrong_password"
                                            : "disabled";
        login_refuse(l, outcome); /* counted when it began */
        return;
    }
    fq_loginlimit_forgive(h->limit, l->account, wr->remote, l->counted_ms);
    randombytes_buf(l->token, sizeof l->token);
    crypto_hash_sha256(wr->token_hash, l->token, sizeof l->token);
    uint8_t csrf[32];
    randombytes_buf(csrf, sizeof csrf);
    sodium_bin2base64(wr->session.s.csrf, sizeof wr->session.s.csrf, csrf, sizeof csrf,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(l->life_s, sizeof l->life_s, "%u", h->session_s);
    free(wr->body);
    wr->body = (uint8_t *)l;
    wr->body_len = 0;
    session_new_bind(&wr->op, wr->token_hash, wr->session.s.account, wr->session.s.csrf, wr->remote,
                     l->life_s);
    wr->op.done = on_session_stored;
    fq_store_submit(h->store, &wr->op);
}

static void start_verify(login *l, const PGresult *res)
{
    fq_web_req *wr = l->wr;
    const char *hash = l->http->dummy_hash;
    if (res != NULL && PQntuples(res) == 1) {
        l->found = 1;
        session_from_row(res, &wr->session);
        serves_from_row(res, 9, &wr->session);
        hash = PQgetvalue(res, 0, 6);
        l->disabled = PQgetvalue(res, 0, 7)[0] == 't' || PQgetvalue(res, 0, 8)[0] == 't';
    }
    snprintf(l->hash, sizeof l->hash, "%s", hash ? hash : "");
    l->work.data = l;
    if (uv_queue_work(l->http->loop, &l->work, verify_work, after_verify) != 0) {
        login_free(l);
        fq_web_respond_error(wr, 503, "busy", "the server cannot check passwords now", 2);
    }
}

typedef struct login_op {
    fq_store_op op;
    login *l;
} login_op;

static void on_login_account(fq_store_op *op, int status, const char *message)
{
    (void)message;
    login_op *lo = (login_op *)op;
    login *l = lo->l;
    if (status != FQ_OK) {
        fq_web_req *wr = l->wr;
        login_free(l);
        free(lo);
        fq_web_respond_error(wr, 503, "busy", "the database is unreachable; try again", 2);
        return;
    }
    start_verify(l, op->result);
    free(lo);
}

static void start_login(fq_web_req *wr)
{
    fq_http *h = wr->http;
    if (strcmp(wr->method, "POST") != 0) {
        fq_web_respond_error(wr, 405, "invalid", "login is a POST", 0);
        return;
    }
    json_tokener *tok = json_tokener_new();
    json_object *doc =
        tok ? json_tokener_parse_ex(tok, (const char *)(wr->body ? (const char *)wr->body : ""),
                                    (int)wr->body_len)
            : NULL;
    int complete = tok && json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    json_object *a = NULL, *p = NULL;
    if (!complete || !json_object_is_type(doc, json_type_object) ||
        !json_object_object_get_ex(doc, "account", &a) ||
        !json_object_is_type(a, json_type_string) ||
        !json_object_object_get_ex(doc, "password", &p) ||
        !json_object_is_type(p, json_type_string) || json_object_get_string_len(a) == 0 ||
        json_object_get_string_len(p) > FQ_PASSWORD_MAX) {
        json_object_put(doc);
        fq_web_respond_err(wr, FQ_EINVALID, "the body is {\"account\":\"…\",\"password\":\"…\"}");
        return;
    }
    login *l = calloc(1, sizeof *l);
    login_op *lo = calloc(1, sizeof *lo);
    if (l)
        l->password = malloc((size_t)json_object_get_string_len(p) + 1);
    if (l == NULL || lo == NULL || l->password == NULL) {
        json_object_put(doc);
        if (l)
            login_free(l);
        free(lo);
        fq_web_respond_err(wr, FQ_EBUSY, "out of memory");
        return;
    }
    l->wr = wr;
    l->http = h;
    snprintf(l->account, sizeof l->account, "%.64s", json_object_get_string(a));
    l->password_len = (size_t)json_object_get_string_len(p);
    memcpy(l->password, json_object_get_string(p), l->password_len + 1);
    json_object_put(doc);
    sodium_memzero(wr->body, wr->body_len);

    unsigned wait = fq_loginlimit_check(h->limit, l->account, wr->remote, wall_ms());
    if (wait > 0) {
        free(lo);
        wr->refuse_retry_s = wait;
        login_refuse(l, "rate_limited");
        return;
    }
    /* Counted as failed now, taken back if the password matches: parallel
     * attempts faster than one check cannot pass the limit. */
    l->counted_ms = wall_ms();
    fq_loginlimit_failed(h->limit, l->account, wr->remote, l->counted_ms);
    lo->l = l;
    account_bind(&lo->op, l->account);
    lo->op.done = on_login_account;
    fq_store_submit(h->store, &lo->op);
}

/* ---- the /api/ handler ---- */

/* Our side of an H2O request: the method, path, query, body and peer
 * copied. NULL when answered (out of memory; with `refuse`, too large or
 * stopping — without it the caller refuses those in its own shape). */
static fq_web_req *take_request(fq_http *h, h2o_req_t *req, int refuse)
{
    fq_web_req *wr = calloc(1, sizeof *wr);
    req_link *link = wr ? h2o_mem_alloc_shared(&req->pool, sizeof *link, on_link_dispose) : NULL;
    if (wr == NULL || link == NULL) {
        free(wr);
        h2o_send_error_503(req, "Service Unavailable", "out of memory", 0);
        return NULL;
    }
    link->wr = wr;
    link->stream = NULL;
    wr->http = h;
    wr->req = req;
    wr->link = link;
    snprintf(wr->method, sizeof wr->method, "%.*s", (int)req->method.len, req->method.base);
    wr->path = strndup(req->path_normalized.base, req->path_normalized.len);
    size_t qa = req->query_at;
    wr->query = qa != SIZE_MAX && qa < req->path.len
                    ? strndup(req->path.base + qa + 1, req->path.len - qa - 1)
                    : strdup("");
    if (req->entity.base != NULL && req->entity.len > 0) {
        wr->body = malloc(req->entity.len);
        if (wr->body) {
            memcpy(wr->body, req->entity.base, req->entity.len);
            wr->body_len = req->entity.len;
        }
    }
    peer_text(req, wr->remote, sizeof wr->remote);
    if (wr->path == NULL || wr->query == NULL || (req->entity.len > 0 && wr->body == NULL)) {
        fq_web_respond_err(wr, FQ_EBUSY, "out of memory");
        return NULL;
    }
    if (refuse && req->entity.len > body_cap(wr->method, wr->path)) {
        fq_web_respond_err(wr, FQ_ETOOLARGE,
                           body_cap(wr->method, wr->path) == FQ_WEB_MAX_BODY
                               ? "the body is over 64 KiB"
                               : "the body is over 12 MiB");
        return NULL;
    }
    if (refuse && h->stopped) {
        fq_web_respond_error(wr, 503, "busy", "the server is stopping", 5);
        return NULL;
    }
    return wr;
}

/* /open311/: no session (an API key in the request, open311.c). */
static int on_open311_req(h2o_handler_t *self, h2o_req_t *req)
{
    fq_http *h = ((fq_http_handler *)self)->http;
    if (h->open311 == NULL)
        return -1; /* H2O's 404 */
    fq_web_req *wr = take_request(h, req, 0);
    if (wr == NULL)
        return 0;
    if (wr->body_len > FQ_WEB_MAX_BODY)
        fq_open311_refuse(wr, 413, "the body is over 64 KiB", 0);
    else if (h->stopped)
        fq_open311_refuse(wr, 503, "the server is stopping", 5);
    else
        fq_open311_handle(h->open311, wr);
    return 0;
}

static int on_api_req(h2o_handler_t *self, h2o_req_t *req)
{
    fq_http *h = ((fq_http_handler *)self)->http;
    fq_web_req *wr = take_request(h, req, 1);
    if (wr == NULL)
        return 0;
    if (strcmp(wr->path, "/api/v1/login") == 0) {
        start_login(wr);
        return 0;
    }
    if (cookie_token_hash(req, wr->token_hash) != 0) {
        fq_web_respond_err(wr, FQ_EUNAUTHENTICATED, "not signed in");
        return 0;
    }
    const fq_cached_session *cs = fq_sessions_find(h->sessions, wr->token_hash, wall_ms());
    if (cs != NULL) {
        wr->session = *cs;
        api_dispatch(wr);
        return 0;
    }
    /* Not in memory (a restart, or the cache was emptied): the database. */
    session_get_bind(&wr->op, wr->token_hash);
    wr->op.done = on_session_loaded;
    fq_store_submit(h->store, &wr->op);
    return 0;
}

/* ---- operations: /healthz, /readyz, /metrics (docs/operations.md) ---- */

static void ops_respond(h2o_req_t *req, int status, const char *content_type, const char *body,
                        size_t len)
{
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_iovec_t copy = h2o_strdup(&req->pool, body, len);
    h2o_send_inline(req, copy.base, copy.len);
}

static void readyz(fq_http *h, h2o_req_t *req)
{
    fq_readiness r = {.draining = 1, .standby_point = -1};
    if (h->ops.readiness != NULL)
        h->ops.readiness(h->ops.user, &r);
    if (h->stopped)
        r.draining = 1;
    const char *failing[FQ_READINESS_CONDITIONS];
    size_t n = fq_readiness_failing(&r, failing);
    char text[512];
    fq_readiness_describe(&r, text, sizeof text);
    json_object *doc = json_object_new_object();
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(list, json_object_new_string(failing[i]));
    json_object_object_add(doc, "ready", json_object_new_boolean(n == 0));
    json_object_object_add(doc, "failing", list);
    json_object_object_add(doc, "message", json_object_new_string(text));
    size_t len = 0;
    const char *body = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len);
    ops_respond(req, n == 0 ? 200 : 503, "application/json; charset=utf-8", body, len);
    json_object_put(doc);
}

static void http_metrics(fq_http *h, fq_metrics *m)
{
    fq_metrics_family(m, "fengqiao_http_requests_total", FQ_METRIC_COUNTER,
                      "HTTP responses by route group (api, events, open311, metrics, health, "
                      "page) and status code.");
    for (int g = 0; g < GROUPS; g++)
        for (int s = 0; s < MAX_STATUS; s++) {
            if (h->requests[g][s] == 0)
                continue;
            char code[8];
            snprintf(code, sizeof code, "%d", s);
            const char *labels[] = {"route", group_names[g], "code", code, NULL};
            fq_metrics_sample(m, labels, (double)h->requests[g][s]);
        }
    size_t streams = 0;
    for (fq_web_stream *st = h->streams; st; st = st->next)
        streams++;
    fq_metrics_value(m, "fengqiao_web_event_streams", FQ_METRIC_GAUGE,
                     "Browsers' live feeds (Server-Sent Events) open now.", (double)streams);
    fq_metrics_value(m, "fengqiao_web_sessions_cached", FQ_METRIC_GAUGE,
                     "Web sessions held in memory.", (double)fq_sessions_count(h->sessions));
}

static int metrics_allowed(fq_http *h, h2o_req_t *req)
{
    if (h->metrics_allow == NULL)
        return 1;
    struct sockaddr_storage sa;
    if (req->conn->callbacks->get_peername == NULL ||
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&sa) == 0)
        return 0;
    return fq_allowlist_allows(h->metrics_allow, (struct sockaddr *)&sa);
}

static int on_ops_req(h2o_handler_t *self, h2o_req_t *req)
{
    fq_http *h = ((fq_http_handler *)self)->http;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET"));
        ops_respond(req, 405, "text/plain; charset=utf-8", H2O_STRLIT("GET only\n"));
        return 0;
    }
    h2o_iovec_t p = req->path_normalized;
    if (h2o_memis(p.base, p.len, H2O_STRLIT("/healthz"))) {
        /* Answered from the loop: that it answers says the loop turns. */
        ops_respond(req, 200, "text/plain; charset=utf-8", H2O_STRLIT("ok\n"));
    } else if (h2o_memis(p.base, p.len, H2O_STRLIT("/readyz"))) {
        readyz(h, req);
    } else if (h2o_memis(p.base, p.len, H2O_STRLIT("/metrics")) && !metrics_allowed(h, req)) {
        ops_respond(req, 403, "text/plain; charset=utf-8",
                    H2O_STRLIT("forbidden: /metrics answers the addresses of --metrics-allow\n"));
    } else if (h2o_memis(p.base, p.len, H2O_STRLIT("/metrics"))) {
        fq_metrics *m = fq_metrics_new();
        if (m != NULL && h->ops.metrics != NULL)
            h->ops.metrics(h->ops.user, m);
        if (m != NULL)
            http_metrics(h, m);
        size_t len = 0;
        const char *text = m != NULL ? fq_metrics_text(m, &len) : NULL;
        if (text != NULL)
            ops_respond(req, 200, FQ_METRICS_CONTENT_TYPE, text, len);
        else
            ops_respond(req, 503, "text/plain; charset=utf-8", H2O_STRLIT("out of memory\n"));
        fq_metrics_free(m);
    } else {
        ops_respond(req, 404, "text/plain; charset=utf-8", H2O_STRLIT("no such path\n"));
    }
    return 0;
}

/* ---- the listener ---- */

static void on_connection(uv_stream_t *listener, int status)
{
    fq_http *h = listener->data;
    if (status != 0)
        return;
    uv_tcp_t *conn = malloc(sizeof *conn);
    if (conn == NULL)
        return;
    uv_tcp_init(h->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
    if (sock == NULL) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    h2o_accept(&h->accept_ctx, sock);
}

static SSL_CTX *make_ssl_ctx(const char *cert, const char *key, char *err, size_t err_len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(err, err_len, "OpenSSL cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        char why[200];
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        snprintf(err, err_len, "--tls-cert %s: %s", cert, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char why[200];
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        snprintf(err, err_len, "--tls-key %s: %s", key, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
}

/* A path answered by one of ours: `on_req` handles it, and the filter counts
 * its responses and adds the security headers (on_filter_setup). */
static void register_handler(fq_http *h, h2o_hostconf_t *hostconf, const char *path,
                             int (*on_req)(h2o_handler_t *, h2o_req_t *))
{
    h2o_pathconf_t *pc = h2o_config_register_path(hostconf, path, 0);
    fq_http_handler *handler = (fq_http_handler *)h2o_create_handler(pc, sizeof *handler);
    handler->super.on_req = on_req;
    handler->http = h;
    fq_http_filter *filter = (fq_http_filter *)h2o_create_filter(pc, sizeof *filter);
    filter->super.on_setup_ostream = on_filter_setup;
    filter->http = h;
}

fq_http *fq_http_new(uv_loop_t *loop, const fq_http_config *config, fq_store *store, fq_api *api,
                     char *err, size_t err_len)
{
    struct sockaddr_storage sa;
    char host[128];
    if (parse_listen(config->listen, &sa, host, sizeof host) != 0) {
        snprintf(err, err_len, "--http takes ADDR:PORT (e.g. 127.0.0.1:8443), got '%s'",
                 config->listen);
        return NULL;
    }
    int tls = config->tls_cert != NULL || config->tls_key != NULL;
    if (tls && (config->tls_cert == NULL || config->tls_key == NULL)) {
        snprintf(err, err_len, "TLS needs both --tls-cert FILE and --tls-key FILE");
        return NULL;
    }
    if (!tls && !fq_http_is_loopback(config->listen)) {
        snprintf(err, err_len,
                 "--http %s is not a loopback address: give --tls-cert FILE and --tls-key FILE "
                 "(browsers' passwords and session cookies never cross a network in clear)",
                 config->listen);
        return NULL;
    }
    fq_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    h->loop = loop;
    h->store = store;
    h->api = api;
    h->session_s = (config->session_hours ? config->session_hours : 12) * 3600;
    h->tls = tls;
    h->ops = config->ops;
    if (config->metrics_allow != NULL &&
        (h->metrics_allow = fq_allowlist_parse(config->metrics_allow, err, err_len)) == NULL) {
        fq_http_free(h);
        return NULL;
    }
    h->sessions = fq_sessions_new();
    h->limit = malloc(sizeof *h->limit);
    h->dummy_hash = fq_password_dummy_hash();
    if (h->sessions == NULL || h->limit == NULL || h->dummy_hash == NULL) {
        snprintf(err, err_len, "out of memory");
        fq_http_free(h);
        return NULL;
    }
    fq_loginlimit_init(h->limit);
    char origin[300];
    tile_origin(config->tile_url, origin, sizeof origin);
    snprintf(h->csp, sizeof h->csp,
             "default-src 'self'; img-src 'self' data:%s%s; script-src 'self'; style-src 'self'; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; "
             "frame-ancestors 'none'; form-action 'self'",
             origin[0] ? " " : "", origin);
    if (tls) {
        h->ssl_ctx = make_ssl_ctx(config->tls_cert, config->tls_key, err, err_len);
        if (h->ssl_ctx == NULL) {
            fq_http_free(h);
            return NULL;
        }
    }

    h2o_config_init(&h->globalconf);
    /* H2O refuses bodies beyond this itself (a plain 413); between the two
     * the API's own 413 in the error shape of docs/http-api.md. */
    /* H2O refuses more at once (413); take_request holds every path but the
     * two that carry photos to FQ_WEB_MAX_BODY. */
    h->globalconf.max_request_entity_size = FQ_WEB_MAX_UPLOAD_BODY + FQ_WEB_MAX_BODY;
    h->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("fengqiao"));
    h2o_hostconf_t *hostconf =
        h2o_config_register_host(&h->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    register_handler(h, hostconf, "/api/", on_api_req);
    register_handler(h, hostconf, "/open311/", on_open311_req);
    static const char *const ops_paths[] = {"/healthz", "/readyz", "/metrics"};
    for (size_t i = 0; i < sizeof ops_paths / sizeof ops_paths[0]; i++)
        register_handler(h, hostconf, ops_paths[i], on_ops_req);
    h2o_pathconf_t *root = h2o_config_register_path(hostconf, "/", 0);
    static const char *index_files[] = {"index.html", NULL};
    h2o_file_register(root, config->web_root, index_files, NULL, 0);
    fq_http_filter *f2 = (fq_http_filter *)h2o_create_filter(root, sizeof *f2);
    f2->super.on_setup_ostream = on_filter_setup;
    f2->http = h;

    h2o_context_init(&h->ctx, loop, &h->globalconf);
    h->accept_ctx.ctx = &h->ctx;
    h->accept_ctx.hosts = h->globalconf.hosts;
    h->accept_ctx.ssl_ctx = h->ssl_ctx;

    uv_tcp_init(loop, &h->listener);
    h->listener.data = h;
    h->listening = 1;
    int rv = uv_tcp_bind(&h->listener, (struct sockaddr *)&sa, 0);
    if (rv == 0)
        rv = uv_listen((uv_stream_t *)&h->listener, 128, on_connection);
    if (rv != 0) {
        snprintf(err, err_len, "cannot listen on %s: %s", config->listen, uv_strerror(rv));
        fq_http_stop(h);
        return h; /* the caller frees after running the loop: handles are closing */
    }
    uv_timer_init(loop, &h->keepalive);
    h->keepalive.data = h;
    uv_timer_start(&h->keepalive, on_keepalive, SSE_KEEPALIVE_MS, SSE_KEEPALIVE_MS);
    err[0] = '\0';
    return h;
}

void fq_http_set_open311(fq_http *h, fq_open311 *open311)
{
    h->open311 = open311;
}

void fq_http_directory_reloaded(fq_http *h)
{
    fq_sessions_clear(h->sessions);
}

void fq_http_stop(fq_http *h)
{
    if (h->stopped)
        return;
    h->stopped = 1;
    if (h->listening) {
        uv_close((uv_handle_t *)&h->listener, NULL);
        h->listening = 0;
    }
    if (uv_is_active((uv_handle_t *)&h->keepalive) || h->keepalive.data == h) {
        uv_timer_stop(&h->keepalive);
        uv_close((uv_handle_t *)&h->keepalive, NULL);
    }
    for (fq_web_stream *st = h->streams, *next; st; st = next) {
        next = st->next;
        fq_web_stream_close(st);
    }
    h2o_context_request_shutdown(&h->ctx);
    /* HTTP/1.1 has no GOAWAY: a browser's idle keep-alive connection would
     * stay open until its request timeout, past the drain, and the context
     * cannot be disposed under it (h2o asserts). Idle ones close now (their
     * request timeout runs at once); one that answers a request meanwhile
     * closes after its answer (on_filter_setup). */
    if (h->accept_ctx.ctx != NULL) {
        h->ctx.http1.req_timeout.timeout = 0;
        h2o_timeout_run(h->ctx.loop, &h->ctx.http1.req_timeout, h2o_now(h->ctx.loop));
    }
}

int fq_http_idle(fq_http *h)
{
    return h2o_linklist_is_empty(&h->ctx.http1._conns) &&
           h2o_linklist_is_empty(&h->ctx.http2._conns);
}

void fq_http_close(fq_http *h)
{
    fq_http_stop(h);
    if (h->accept_ctx.ctx != NULL && !h->disposed) {
        h->disposed = 1;
        /* The shutdown's own HTTP/2 timer is still armed when nothing is left. */
        if (h2o_timeout_is_linked(&h->ctx.http2._graceful_shutdown_timeout))
            h2o_timeout_unlink(&h->ctx.http2._graceful_shutdown_timeout);
        h2o_context_dispose(&h->ctx);
    }
}

void fq_http_free(fq_http *h)
{
    if (h == NULL)
        return;
    if (h->accept_ctx.ctx != NULL) {
        if (!h->disposed)
            h2o_context_dispose(&h->ctx);
        h2o_config_dispose(&h->globalconf);
    }
    if (h->ssl_ctx)
        SSL_CTX_free(h->ssl_ctx);
    fq_sessions_free(h->sessions);
    fq_allowlist_free(h->metrics_allow);
    free(h->limit);
    free(h);
}
