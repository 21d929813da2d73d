/* msgsock: the only module that knows nanomsg.
 *
 * A msgsock is a raw (AF_SP_RAW) NN_REP socket bound to one endpoint and
 * driven by the libuv loop through NN_RCVFD (always) and NN_SNDFD (only while
 * replies wait to be sent). Being raw, it can hold any number of requests
 * unanswered: each arrives with an opaque fq_reply_token that carries the
 * nanomsg routing header, and is answered later with fq_msgsock_reply —
 * typically after the database commit. */
#ifndef FQ_MSGSOCK_H
#define FQ_MSGSOCK_H

#include "fqerr.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct fq_msgsock fq_msgsock;
/* Who to answer. Owned by the receiver of on_request until it is passed to
 * fq_msgsock_reply or fq_msgsock_drop, which consume it. */
typedef struct fq_reply_token fq_reply_token;

/* `body` is valid only during the call. */
typedef void (*fq_msgsock_request_cb)(void *user, const uint8_t *body, size_t len,
                                      fq_reply_token *token);

typedef struct fq_msgsock_stats {
    uint64_t received;
    uint64_t replied;
    uint64_t reply_queued; /* replies that had to wait for NN_SNDFD */
    uint64_t dropped;      /* tokens dropped without reply */
    uint64_t receive_errors;
} fq_msgsock_stats;

/* Errors (fqerr.h): FQ_ESOCKET (nn_socket / setsockopt failed), FQ_EBIND
 * (nn_bind failed: address in use, bad URL), FQ_ENOMEM. */

/* Binds `url` (tcp://host:port, ipc://path). `max_frame` caps NN_RCVMAXSIZE;
 * `budget` is how many requests one wake-up drains at most. On failure
 * *error holds nanomsg's text. */
int fq_msgsock_listen(uv_loop_t *loop, const char *url, size_t max_frame, int budget,
                      fq_msgsock_request_cb on_request, void *user, fq_msgsock **out,
                      const char **error);

/* The same in two steps: a socket bound to nothing yet (a standby: its
 * endpoints are bound when it takes over, docs/operations.md), then
 * fq_msgsock_bind. A socket fq_msgsock_bind fails for stays usable (bind
 * again later: the address may be held by a server that is stopping).
 * fq_msgsock_bind on a bound socket does nothing. */
int fq_msgsock_open(uv_loop_t *loop, size_t max_frame, int budget, fq_msgsock_request_cb on_request,
                    void *user, fq_msgsock **out, const char **error);
int fq_msgsock_bind(fq_msgsock *sock, const char *url, const char **error);
int fq_msgsock_bound(const fq_msgsock *sock);

/* Sends `body` (copied) as the answer to `token` and consumes the token.
 * Never blocks: if nanomsg cannot take it now it waits in a queue. Returns
 * FQ_ENOMEM (token consumed, reply lost) only when out of memory. */
int fq_msgsock_reply(fq_msgsock *sock, fq_reply_token *token, const uint8_t *body, size_t len);

/* The socket a request came in on (an endpoint may listen on several). */
fq_msgsock *fq_reply_token_socket(const fq_reply_token *token);

/* A token answered inside this process: fq_msgsock_reply(NULL, token, b, n)
 * calls fn(user, b, n) and fq_msgsock_drop(NULL, token) calls
 * fn(user, NULL, 0), each once, consuming the token (fq_reply_token_socket
 * gives NULL for it). The web console's API puts its requests through the
 * endpoints' own code with such a token. NULL when out of memory. */
typedef void (*fq_reply_local_fn)(void *user, const uint8_t *body, size_t len);
fq_reply_token *fq_reply_token_local(fq_reply_local_fn fn, void *user);

/* Where the status of the reply sent for this token is counted (by the
 * endpoints' fq_reply_send, by_status[status], FQ_REPLY_STATUSES entries):
 * the requests-by-status numbers of /metrics. NULL (the default): nowhere. */
#define FQ_REPLY_STATUSES 16
void fq_reply_token_count_in(fq_reply_token *token, uint64_t *by_status);
uint64_t *fq_reply_token_counter(const fq_reply_token *token);

/* Consumes the token without answering (the peer's REQ will resend). */
void fq_msgsock_drop(fq_msgsock *sock, fq_reply_token *token);

/* Stops taking new requests (replies still go out): for a graceful stop. */
void fq_msgsock_pause(fq_msgsock *sock);

/* Stops polling, closes the nanomsg socket and frees everything once libuv
 * has closed its handles. Tokens still held by the caller must be dropped
 * first. */
void fq_msgsock_close(fq_msgsock *sock);

const fq_msgsock_stats *fq_msgsock_get_stats(const fq_msgsock *sock);

#endif
