/* endpoint_ctx: what every endpoint holds the same way — the store it
 * writes to (and the one the console reads from), the routing core, the
 * audit of refused requests, the decode arena, the count of requests
 * waiting for the store — and the one way an endpoint answers a status or
 * refuses a request. Each endpoint embeds one and stands alone: a module
 * that answers requests on another endpoint's socket (the console's reads
 * on the terminals' socket) is handed the context, not the endpoint. */
#ifndef FQ_ENDPOINT_CTX_H
#define FQ_ENDPOINT_CTX_H

#include "audit.h"
#include "directory.h"
#include "dispatch.h"
#include "fengqiao.pb-c.h"
#include "fq_wire.h"
#include "msgsock.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct fq_endpoint_ctx {
    uv_loop_t *loop;
    fq_store *store;      /* writes (and reads, when there is no read store) */
    fq_store *read_store; /* the console's reads: their own connection, or NULL */
    unsigned read_timeout_ms;
    fq_dispatch *dispatch;
    fq_audit audit; /* refused requests, rate-limited */
    fq_arena arena; /* a request's decode: reset after each */
    unsigned char *arena_buffer;
    size_t in_flight;           /* requests waiting for the store */
    uint32_t busy_retry_ms;     /* the retry hint with BUSY and INTERNAL */
    const char *routing_status; /* the server's status line, owned by the caller (NULL: none) */
    uint64_t refused;           /* statuses other than OK answered through the context */
    uint64_t by_status[FQ_REPLY_STATUSES]; /* the same, every status */
} fq_endpoint_ctx;

/* `name` names the endpoint in the audit rows. -1: out of memory. */
int fq_endpoint_init(fq_endpoint_ctx *ctx, uv_loop_t *loop, const char *name, fq_store *store,
                     fq_dispatch *dispatch, uint32_t audit_per_second, uint32_t busy_retry_ms);
void fq_endpoint_free(fq_endpoint_ctx *ctx);

/* Sends `reply` sealed with `key` (NULL: unsigned), counting its status. */
void fq_endpoint_send(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                      Fengqiao__V1__Reply *reply);

/* A reply that is only an error (fqerr.h: its status and error code are
 * fq_reply_status_init's) and a message for people. */
void fq_endpoint_reply(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                       uint64_t message_id, int err, const char *message);

/* Answers a refused request with `err` and records it for the audit (`frame`
 * may be NULL when there are no bytes to digest). An error answered BUSY
 * (fq_err_status: overload, not ready, out of memory) is no refusal of the
 * request: it is answered, not recorded. `node`: the sender the request
 * claims. */
void fq_endpoint_refuse(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                        const uint8_t *frame, size_t len, const char *node, uint64_t message_id,
                        int err, const char *reason);

/* Decodes and handles one request: `handle` gets the arena to decode in and
 * the frame limit. A frame made inside the server (photos beside the
 * envelope) may pass the network's frame limit: it gets an arena of its own,
 * given back at once, so that the endpoint's arena stays small. */
typedef void (*fq_endpoint_handle_fn)(void *endpoint, const uint8_t *frame, size_t len,
                                      fq_reply_token *token, fq_arena *arena, size_t max_frame);
void fq_endpoint_handle(fq_endpoint_ctx *ctx, const uint8_t *frame, size_t len,
                        fq_reply_token *token, fq_endpoint_handle_fn handle, void *endpoint);

/* Where the console's reads go: the read store when there is one. */
fq_store *fq_endpoint_read_store(const fq_endpoint_ctx *ctx);
/* The server's routing status line, '' when none. */
const char *fq_endpoint_routing_status(const fq_endpoint_ctx *ctx);

/* Another kind of request served on an endpoint's socket by a module of its
 * own (the console's queries on the terminals' socket), after the gate. */
typedef void (*fq_endpoint_query_fn)(fq_endpoint_ctx *ctx, const fq_node *node, uint64_t message_id,
                                     const Fengqiao__V1__ConsoleQuery *query,
                                     fq_reply_token *token);

#endif
