/* terminal: the endpoint of field terminals (grid workers, units' duty
 * officers) and of town platforms following their town (docs/terminals.md).
 *
 * sync: a long-poll for the items of the node's outbox after a sequence
 * number — answered at once when there are any, else held until one is
 * committed or the wait ends (an empty answer: the heartbeat). A newer sync
 * of the same node supersedes a held one. Items come from the mailbox cache
 * when it can answer exactly, else from PostgreSQL. Syncs also say the
 * worker is there: a worker's terminal silent for longer than the presence
 * timeout, or signing off, takes them off duty, and their unacknowledged
 * assignments move on.
 * action: acknowledge, return, progress, extend, conclude — checked by the
 * routing core and the assignment's state machine, written as one event
 * with its outbox items, answered after COMMIT; idempotent by message id. */
#ifndef FQ_TERMINAL_H
#define FQ_TERMINAL_H

#include "dispatch.h"
#include "endpoint_ctx.h"
#include "msgsock.h"
#include "store.h"

#include <stdint.h>
#include <uv.h>

typedef struct fq_terminals fq_terminals;

typedef struct fq_terminals_config {
    int64_t max_skew_ms;
    uint32_t max_hold_ms;        /* longest a sync is held (25 s) */
    int64_t presence_timeout_ms; /* a worker's terminal silent this long: off duty */
    uint32_t busy_retry_ms;
    uint32_t audit_per_second; /* refused requests recorded per second at most */
    /* Console queries on this socket (fq_console_query); NULL: refused. */
    fq_endpoint_query_fn console_query;
} fq_terminals_config;

typedef struct fq_terminals_stats {
    uint64_t syncs, actions, refused;
    uint64_t answered_from_memory, answered_from_database, heartbeats, superseded;
    uint64_t items_sent;
    uint64_t went_silent;
    /* Replies over nanomsg by Fengqiao__V1__Status: the terminals' requests
     * (sync, action) and the consoles' (query, command); the web console's
     * are counted as HTTP requests. */
    uint64_t terminal_by_status[16], console_by_status[16];
    size_t present;         /* workers on duty: their terminal was heard within the timeout */
    size_t consoles_recent; /* console nodes heard within the presence timeout */
    /* Feed lag over the outboxes whose newest sequence is known and that a
     * terminal has synced: newest seq less the last one it acknowledged. */
    uint64_t lag_max, lag_sum;
    size_t feeds_behind;                   /* outboxes with lag > 0 */
    uint64_t audit_written, audit_dropped; /* refused requests' audit rows */
    size_t held;                           /* syncs held now */
    size_t boxes;                          /* outboxes the server remembers */
    size_t memory;                         /* bytes of boxes, held syncs and cached items */
} fq_terminals_stats;

fq_terminals *fq_terminals_new(uv_loop_t *loop, const fq_terminals_config *config, fq_store *store,
                               fq_dispatch *dispatch);
/* fq_msgsock_request_cb */
void fq_terminals_on_request(void *terminals, const uint8_t *frame, size_t len,
                             fq_reply_token *token);
/* fq_outbox_sink_fn: pass to fq_dispatch_set_sink. */
void fq_terminals_sink(void *terminals, const char *box, uint64_t seq, int kind,
                       uint64_t incident_id, int64_t at_ms, uint64_t event_seq, const uint8_t *body,
                       size_t len, int complete);
/* Answers every held sync (empty) and stops the timers: for a stop. */
void fq_terminals_stop(fq_terminals *t);
size_t fq_terminals_in_flight(const fq_terminals *t); /* actions and reads in the store */
const fq_terminals_stats *fq_terminals_get_stats(fq_terminals *t);
void fq_terminals_free(fq_terminals *t);

/* The store the web API reads and writes through; the console's reads go
 * to their own store (a second connection with a statement timeout,
 * fq_store_config.reads_timeout_ms), when there is one. */
fq_store *fq_terminals_store(fq_terminals *t);
void fq_terminals_set_read_store(fq_terminals *t, fq_store *read_store, unsigned timeout_ms);
fq_store *fq_terminals_read_store(fq_terminals *t);
/* The server's routing status line ('' while the routing loaded is the
 * database's), owned by the caller and read for every console reply: the
 * console tells its operators when the server routes with a stale state. */
void fq_terminals_set_routing_status(fq_terminals *t, const char *status_line);

#endif
