/* api: the JSON API of the web console under /api/v1/ (docs/http-api.md) —
 * every read and command of the operators' console, and the live feed.
 *
 * The web console is a console client inside fengqiaod: each request of a
 * signed-in person becomes the ConsoleQuery or ConsoleCommand fq-console
 * would send, in an Envelope signed with the key of the person's console
 * node ('p.<account>'), and goes through the terminal endpoint's own path
 * (fq_terminals_on_request: the gate, the jurisdiction checks, idempotency,
 * the events) with a local reply token instead of a nanomsg one. So a town
 * operator in a browser sees and commands exactly what a town console node
 * would. */
#ifndef FQ_API_H
#define FQ_API_H

#include "dispatch.h"
#include "store.h"
#include "terminal.h"
#include "webreq.h"

#include <uv.h>

typedef struct fq_api fq_api;

fq_api *fq_api_new(uv_loop_t *loop, fq_terminals *terminals, fq_dispatch *dispatch,
                   fq_store *read_store);
/* Every /api/v1/ path but login, logout and session (http.c answers those). */
void fq_api_handle(fq_api *api, fq_web_req *r);
/* fq_outbox_sink_fn, teed with fq_terminals_sink: committed items to the
 * live feeds of the browsers that follow the item's box. */
void fq_api_sink(void *api, const char *box, uint64_t seq, int kind, uint64_t incident_id,
                 int64_t at_ms, uint64_t event_seq, const uint8_t *body, size_t len, int complete);
/* The directory was loaded again (server.c on_directory): the cached
 * topology documents (GET /api/v1/topology, one per jurisdiction) are
 * dropped and read again when next asked for. */
void fq_api_directory_changed(fq_api *api);
/* The base-map tile URL the page is given ('' on a closed network); copied.
 * -1 when out of memory. */
int fq_api_set_tile_url(fq_api *api, const char *url);
/* Answers a refused request (reply->status not OK) in the API's shape: the
 * status's HTTP code and name (docs/http-api.md, "Statuses of the console
 * path"), `already_done` for a command whose ActionResult says so, the
 * evidence's refusals by Reply.error_code (415 not_an_image, 413
 * too_large, 400 photo_mismatch / photo_required), Retry-After with 503. */
void fq_api_respond_refusal(fq_web_req *r, const Fengqiao__V1__Reply *reply);

/* A path's "ID" or "ID/rest" (/api/v1/incidents/ID, the field API's
 * assignments/ID): the id (1 .. 2^63-1) and what follows; -1 if none. */
int fq_api_parse_id(const char *s, uint64_t *out, const char **rest);

/* Parts of /api/v1/ served by modules of their own, each routed here by its
 * path prefix (api.c's part_prefix). Unset: 404. */
typedef enum fq_api_part {
    FQ_API_FIELD,       /* field/: the phones' field API (field.h) */
    FQ_API_ATTACHMENTS, /* attachments/: the evidence (attachments.h) */
    FQ_API_FRONTDESK,   /* frontdesk/: the front desk (frontdesk.h) */
    FQ_API_MEDIATION,   /* mediation/: the mediation's reads (mediation_reads.h) */
    FQ_API_JUDGMENT,    /* judgment/: research and judgment (findings.h) */
    FQ_API_UPWARD,      /* upward/: the reports upward (upward_api.h) */
    FQ_API_PARTS
} fq_api_part;
typedef void (*fq_api_part_fn)(void *user, fq_web_req *r);
void fq_api_set_part(fq_api *api, fq_api_part part, fq_api_part_fn handle, void *user);
/* Sends `event` — a whole SSE event without an id (docs/http-api.md, "The
 * live feed": `event: finding`), so that it never moves a browser's
 * Last-Event-ID — to every live stream whose account's jurisdiction holds
 * the org unit `unit`. A unit the directory does not know reaches nobody. */
void fq_api_broadcast(fq_api *api, const char *unit, const char *event, size_t len);
/* Closes every stream: for a stop. */
void fq_api_stop(fq_api *api);
/* After the loop has run out: a console request still in the store holds
 * the api. */
void fq_api_free(fq_api *api);

#endif
