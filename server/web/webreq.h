/* webreq: one HTTP request as the web console's handlers see it — the
 * contract between the HTTP layer (http.c, the only module that knows H2O)
 * and the handlers of the JSON API (api.c), which know nothing of H2O.
 *
 * A handler gets the request after the HTTP layer has checked the session
 * (401 without one), the CSRF token of every method but GET (403), and has
 * read the whole body (at most FQ_WEB_MAX_BODY bytes, else 413). It answers
 * exactly once, now or later (after a database read or commit), with
 * fq_web_respond*, or turns the request into a stream (Server-Sent Events).
 * If the browser went away meanwhile the answer is dropped by the HTTP
 * layer; the handler need not know. */
#ifndef FQ_WEBREQ_H
#define FQ_WEBREQ_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define FQ_WEB_MAX_BODY (64 * 1024)
/* The field API's actions and reports carry photos (base64 in JSON): their
 * paths take bodies up to this (docs/phone.md, "Evidence"). */
#define FQ_WEB_MAX_UPLOAD_BODY (12 * 1024 * 1024)

typedef enum fq_web_role {
    FQ_WEB_VIEWER = 0,     /* reads only */
    FQ_WEB_OPERATOR = 1,   /* reads and every command but supervision orders */
    FQ_WEB_SUPERVISOR = 2, /* every command, supervision orders (督办) included */
    /* A grid worker or a unit's duty officer on a phone (docs/phone.md): the
     * field API only, as the terminal node 'p.<account>' serving one worker
     * or one unit (serves_worker / serves_unit). */
    FQ_WEB_WORKER = 3,
    /* The front desk (综合受理, docs/front-desk.md): reads the board like a
     * viewer and registers cases under /api/v1/frontdesk/; no commands. */
    FQ_WEB_RECEPTIONIST = 4,
} fq_web_role;

/* Who is asking: a signed-in person (web_accounts, migration 0016). */
typedef struct fq_web_session {
    char account[48];
    char display_name[200];
    fq_web_role role;
    char node_id[72];      /* 'p.<account>': the console node the person acts as */
    char jurisdiction[72]; /* the node's org unit id */
    char csrf[72];
    int64_t expires_ms;
    /* FQ_WEB_WORKER: the worker or handling unit the account's terminal
     * node serves (one of the two non-empty); both empty otherwise. */
    char serves_worker[72];
    char serves_unit[72];
} fq_web_session;

typedef struct fq_web_req fq_web_req;

const char *fq_web_req_method(const fq_web_req *r); /* "GET", "POST", ... */
/* The path without the query, percent-decoded, e.g. "/api/v1/incidents/42". */
const char *fq_web_req_path(const fq_web_req *r);
/* A query parameter, percent-decoded; NULL when absent. */
const char *fq_web_req_query(const fq_web_req *r, const char *name);
/* The raw query string (without '?', not decoded); "" when none. */
const char *fq_web_req_query_string(const fq_web_req *r);
/* A request header (case-insensitive name), NUL-terminated copy; NULL when absent. */
const char *fq_web_req_header(const fq_web_req *r, const char *name);
const uint8_t *fq_web_req_body(const fq_web_req *r, size_t *len);
/* The signed-in person; never NULL in an API handler. */
const fq_web_session *fq_web_req_session(const fq_web_req *r);
/* The peer's address as text (for audit rows). */
const char *fq_web_req_remote(const fq_web_req *r);

/* Answers and releases the request: `body` is copied. */
void fq_web_respond(fq_web_req *r, int status, const char *content_type, const char *body,
                    size_t len);
/* Answers with a JSON document (application/json; charset=utf-8) and puts
 * `doc` (json_object_put). */
void fq_web_respond_json(fq_web_req *r, int status, json_object *doc);
/* {"error":{"code":code,"message":message}} with `status`: the one shape of
 * every error (docs/http-api.md, "Errors"); `retry_after_s` > 0 adds a
 * Retry-After header (503, 429). */
void fq_web_respond_error(fq_web_req *r, int status, const char *code, const char *message,
                          unsigned retry_after_s);
/* The same for an error of the server's (fqerr.h; webreq.h does not include
 * it, so that the sessions' library needs no core): the HTTP status and code
 * are fq_err_http's, the one mapping; a 503 says retry after 1 s. What only
 * HTTP has (a role, the CSRF token, a method, the sign-in rate, a sealed
 * record) stays with fq_web_respond_error. */
void fq_web_respond_err(fq_web_req *r, int err, const char *message);
/* The answer when a database read failed (a store op's status not OK): 503
 * "busy" with the store's message, or a plain one when it gave none, and
 * Retry-After 2 s; one wording for every read handler. */
void fq_web_respond_store_failed(fq_web_req *r, const char *message);
/* Adds a response header to the coming answer (Content-Disposition for CSV). */
void fq_web_add_header(fq_web_req *r, const char *name, const char *value);

/* ---- streams: Server-Sent Events ---- */

typedef struct fq_web_stream fq_web_stream;
/* Called once when the browser closes the stream or the server stops; the
 * stream is freed after the call and must not be used again. */
typedef void (*fq_web_stream_closed_fn)(void *user, fq_web_stream *s);

/* Answers 200 text/event-stream (no caching, no buffering by proxies) and
 * keeps the request open; the request is consumed. NULL when out of memory
 * (the request was answered 503). */
fq_web_stream *fq_web_stream_open(fq_web_req *r, fq_web_stream_closed_fn closed, void *user);
/* Queues bytes (whole SSE events). -1 when more than FQ_WEB_STREAM_BACKLOG
 * bytes wait unsent (a stalled browser): the stream is closed (the closed
 * callback runs before this returns) and the browser reconnects with
 * Last-Event-ID. */
#define FQ_WEB_STREAM_BACKLOG (1024 * 1024)
int fq_web_stream_send(fq_web_stream *s, const char *bytes, size_t len);
/* Ends the stream from the server's side (the closed callback runs). */
void fq_web_stream_close(fq_web_stream *s);

#endif
