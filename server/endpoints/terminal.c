#include "terminal.h"

#include "attachment_rows.h"
#include "case_rows.h"
#include "endpoint_ctx.h"
#include "evidence.h"
#include "reply.h"
#include "fq_wire.h"
#include "gate.h"
#include "log.h"
#include "mailbox.h"
#include "outbox_rows.h"
#include "write_params.h"
#include "statements.h"
#include "syncguard.h"
#include "validate.h"

#include <inttypes.h>
#include <malloc.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define MAX_ITEMS_PER_ANSWER 64
#define SWEEP_MS 250

typedef struct waiter waiter;
typedef struct read_op read_op;

/* One outbox the server has been asked about. */
typedef struct box_state {
    char box[FQ_BOX_MAX];
    fq_mailbox mail;
    waiter *waiters; /* held syncs on this box */
    /* Presence, worker boxes only: when the worker's terminal last made an
     * authenticated request (loop time: monotonic, so that a step of the
     * wall clock sends nobody off duty), whether it ever did, whether the
     * worker is off duty and whether they signed off themselves. */
    uint64_t last_seen_ms;
    int seen;
    int absent;
    int signed_off;
    int synced;     /* a terminal synced this box: `acked` says where it is */
    uint64_t acked; /* the newest sync's after_seq */
    UT_hash_handle hh;
} box_state;

/* A console node heard from over nanomsg: consoles connected, for /metrics. */
typedef struct console_seen {
    char node[72];
    uint64_t last_seen_ms; /* loop time */
    UT_hash_handle hh;
} console_seen;

/* A held sync. */
struct waiter {
    waiter *next, *prev;         /* on its box */
    waiter *all_next, *all_prev; /* every held sync, for the sweep */
    box_state *box;
    char node[72];
    UT_hash_handle hh; /* by node: a newer sync supersedes */
    fq_reply_token *token;
    uint8_t key[32];
    uint64_t message_id, after;
    uint64_t expires; /* loop time, ms */
    read_op *reading; /* a database read for it is in flight */
};

/* The newest sync of a node that took effect (syncguard.h): kept for the
 * server's life, one per node that ever synced. */
typedef struct sync_mark {
    char node[72];
    fq_sync_mark mark;
    UT_hash_handle hh;
} sync_mark;

struct read_op {
    fq_store_op op;
    fq_terminals *t;
    waiter *w; /* NULL once the waiter is gone */
    fq_read_outbox_params params;
};

typedef struct action_req {
    fq_store_op op;
    fq_terminals *t;
    fq_reply_token *token;
    uint8_t key[32];
    char node[72], message_id[24];
    uint64_t mid;
    uint8_t digest[32];
    uint8_t *envelope;
    size_t envelope_len;
    int has_ticket;
    fq_action_ticket ticket;
    int is_command;         /* a console's command: answered as Reply.command */
    char aftercare[3][80];  /* verify, follow-up: incident, satisfaction, jurisdiction */
    char *reason;           /* verify, follow-up, reopen: the command's reason (copied) */
    char target_worker[72]; /* reopen */
    fq_reopen_row_params reopen;
    int refusal; /* fqerr.h: a refused action looks for an earlier answer first */
    char refusal_message[256];
    char refusal_state[24]; /* a terminal's WRONG_STATE: the assignment's state, or '' */
    int refusal_done;       /* ... and what was asked is in effect already */
    uint64_t incident_id;
    fq_attachment_rows photos; /* written with the action's event */
    union {                    /* its statement's parameters (write_params.h) */
        fq_action_params action;
        fq_aftercare_params aftercare;
    } params;
} action_req;

struct fq_terminals {
    fq_endpoint_ctx ctx; /* store, read store, routing core, audit, arena, in flight */
    fq_terminals_config config;
    fq_endpoint_query_fn console_query; /* the console's reads (console.c) */
    box_state *boxes;
    waiter *by_node;
    waiter *all; /* held syncs */
    sync_mark *marks;
    console_seen *consoles;
    int64_t started_ms; /* wall clock: syncs signed before it prove nothing */
    uv_timer_t sweep;
    uint64_t last_presence_check;
    uint64_t trimmed_at; /* loop time of the last return of freed heap (read_done) */
    int stopped;
    fq_terminals_stats stats;
};

/* ---- replies ---- */

static void reply_status(fq_terminals *t, fq_reply_token *token, const uint8_t *key,
                         uint64_t message_id, int err, const char *message)
{
    fq_endpoint_reply(&t->ctx, token, key, message_id, err, message);
}

/* Answers a refused request and records it (endpoint_ctx.h: an error
 * answered BUSY is not recorded). */
static void refuse(fq_terminals *t, fq_reply_token *token, const uint8_t *key, const uint8_t *frame,
                   size_t len, const char *node, uint64_t message_id, int err, const char *reason)
{
    fq_endpoint_refuse(&t->ctx, token, key, frame, len, node, message_id, err, reason);
}

fq_store *fq_terminals_store(fq_terminals *t)
{
    return t->ctx.store;
}

void fq_terminals_set_read_store(fq_terminals *t, fq_store *read_store, unsigned timeout_ms)
{
    t->ctx.read_store = read_store;
    t->ctx.read_timeout_ms = timeout_ms;
}

fq_store *fq_terminals_read_store(fq_terminals *t)
{
    return fq_endpoint_read_store(&t->ctx);
}

void fq_terminals_set_routing_status(fq_terminals *t, const char *status_line)
{
    t->ctx.routing_status = status_line;
}

/* ---- boxes and held syncs ---- */

static box_state *find_box(fq_terminals *t, const char *box, int create)
{
    box_state *b;
    HASH_FIND_STR(t->boxes, box, b);
    if (b != NULL || !create)
        return b;
    b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    snprintf(b->box, sizeof b->box, "%s", box);
    fq_mailbox_init(&b->mail);
    HASH_ADD_STR(t->boxes, box, b);
    t->stats.boxes++;
    return b;
}

static void unlink_waiter(fq_terminals *t, waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        w->box->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (w->all_prev)
        w->all_prev->all_next = w->all_next;
    else
        t->all = w->all_next;
    if (w->all_next)
        w->all_next->all_prev = w->all_prev;
    HASH_DEL(t->by_node, w);
    if (w->reading != NULL)
        w->reading->w = NULL;
    t->stats.held--;
}

/* Answers a held sync and forgets it. `items` may be NULL (n 0). */
static void answer(fq_terminals *t, waiter *w, Fengqiao__V1__OutboxItem **items, size_t n,
                   uint64_t last_seq, int superseded)
{
    /* Under the frame limit: as many items as fit, in order. One always
     * does: an item's fields are bounded (a title 200 characters, an address
     * 500, a text 511 bytes, a note and a reason 2000 characters each, twelve
     * names 100 each, ids 64: at most ~25 KB, docs/terminals.md). The rest
     * wait for the next sync, which "more" asks for at once. */
    fq_reply_budget budget = {0};
    size_t fit = 0;
    for (; fit < n; fit++)
        if (!fq_reply_budget_take(&budget,
                                  fengqiao__v1__outbox_item__get_packed_size(items[fit])) &&
            fit > 0)
            break;
    Fengqiao__V1__SyncResult sync = FENGQIAO__V1__SYNC_RESULT__INIT;
    sync.items = items;
    sync.n_items = fit;
    sync.last_seq = last_seq;
    sync.superseded = superseded;
    sync.more = fit > 0 && items[fit - 1]->seq < last_seq;
    char zone[8];
    sync.time_zone = (char *)fq_dispatch_time_zone(t->ctx.dispatch, w->node, zone, sizeof zone);
    n = fit;
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, w->message_id, FQ_OK, "", 0);
    reply.result_case = FENGQIAO__V1__REPLY__RESULT_SYNC;
    reply.sync = &sync;
    t->stats.items_sent += n;
    if (n == 0 && !superseded)
        t->stats.heartbeats++;
    unlink_waiter(t, w);
    fq_reply_send(w->token, w->key, &reply);
    sodium_memzero(w->key, sizeof w->key);
    free(w);
}

static void answer_empty(fq_terminals *t, waiter *w, int superseded)
{
    const fq_mailbox *mb = &w->box->mail;
    answer(t, w, NULL, 0, mb->known ? mb->last_seq : w->after, superseded);
}

static void read_done(fq_store_op *op, int status, const char *message);

static void start_read(fq_terminals *t, waiter *w)
{
    read_op *r = calloc(1, sizeof *r);
    if (r == NULL) {
        answer_empty(t, w, 0); /* the terminal asks again */
        return;
    }
    r->t = t;
    r->w = w;
    w->reading = r;
    fq_read_outbox_bind(&r->op, &r->params, w->box->box, w->after, MAX_ITEMS_PER_ANSWER);
    r->op.done = read_done;
    t->ctx.in_flight++;
    fq_store_submit(t->ctx.store, &r->op);
}

/* Answers `w` if its box has something after w->after, or if its wait is
 * over; reads the database when memory cannot say. */
static void try_answer(fq_terminals *t, waiter *w, uint64_t now)
{
    if (w->reading != NULL)
        return;
    const fq_mail *first;
    switch (fq_mailbox_take(&w->box->mail, w->after, &first)) {
    case FQ_MAILBOX_EMPTY:
        if (now >= w->expires)
            answer_empty(t, w, 0);
        return;
    case FQ_MAILBOX_READ:
        start_read(t, w);
        return;
    default:
        break;
    }
    Fengqiao__V1__OutboxItem *items[MAX_ITEMS_PER_ANSWER];
    size_t n = 0;
    for (const fq_mail *m = first; m != NULL && n < MAX_ITEMS_PER_ANSWER; m = m->next) {
        items[n] = fengqiao__v1__outbox_item__unpack(NULL, m->len, m->bytes);
        if (items[n] == NULL)
            break;
        n++;
    }
    if (n == 0) {
        start_read(t, w);
        return;
    }
    t->stats.answered_from_memory++;
    answer(t, w, items, n, w->box->mail.last_seq, 0);
    for (size_t i = 0; i < n; i++)
        fengqiao__v1__outbox_item__free_unpacked(items[i], NULL);
}

static void read_done(fq_store_op *op, int status, const char *message)
{
    (void)message;
    read_op *r = (read_op *)op;
    fq_terminals *t = r->t;
    t->ctx.in_flight--;
    waiter *w = r->w;
    if (w != NULL)
        w->reading = NULL;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL || PQntuples(res) < 1) {
        if (w != NULL)
            answer_empty(t, w, 0); /* database away: the terminal asks again */
        free(r);
        return;
    }
    uint64_t last = (uint64_t)fq_store_column_i64(res, 0, 0);
    box_state *b = find_box(t, r->params.box, 0);
    if (b != NULL)
        fq_mailbox_loaded(&b->mail, last);
    if (w == NULL) {
        free(r);
        return;
    }
    int rows = PQntuples(res);
    /* Unpacked bodies (freed at the end) and shallow copies completed with
     * the incident's details from `res`, which is what goes out. */
    Fengqiao__V1__OutboxItem *unpacked[MAX_ITEMS_PER_ANSWER];
    Fengqiao__V1__OutboxItem copies[MAX_ITEMS_PER_ANSWER];
    Fengqiao__V1__OutboxItem *items[MAX_ITEMS_PER_ANSWER];
    Fengqiao__V1__GeoPoint points[MAX_ITEMS_PER_ANSWER];
    size_t n = 0;
    for (int i = 0; i < rows && n < MAX_ITEMS_PER_ANSWER; i++) {
        if (PQgetisnull(res, i, 1))
            continue;
        Fengqiao__V1__OutboxItem *it = fq_outbox_row_item(res, i, &copies[n], &points[n]);
        if (it == NULL)
            continue;
        unpacked[n] = it;
        items[n] = &copies[n];
        n++;
    }
    if (n == 0 && last <= w->after && w->expires > uv_now(t->ctx.loop)) {
        /* Nothing newer: hold it until something comes or the wait ends. */
        free(r);
        return;
    }
    t->stats.answered_from_database++;
    answer(t, w, items, n, last, 0);
    for (size_t i = 0; i < n; i++)
        fengqiao__v1__outbox_item__free_unpacked(unpacked[i], NULL);
    free(r);
    /* A crowd of terminals catching up at once (all of them after a
     * restart) builds a reply each from the database; freed, that heap
     * stays the process's unless given back. When the last read is done,
     * give it back — at most once a second, as the walk costs a little. */
    uint64_t now = uv_now(t->ctx.loop);
    if (t->ctx.in_flight == 0 && now - t->trimmed_at >= 1000) {
        t->trimmed_at = now;
        malloc_trim(0);
    }
}

/* ---- committed items ---- */

void fq_terminals_sink(void *user, const char *box, uint64_t seq, int kind, uint64_t incident_id,
                       int64_t at_ms, uint64_t event_seq, const uint8_t *body, size_t len,
                       int complete)
{
    fq_terminals *t = user;
    box_state *b = find_box(t, box, 0);
    if (b == NULL)
        return; /* nobody asked about this box since the start: it is read when they do */
    uint8_t item[FQ_MAILBOX_MAX_BYTES];
    size_t n = complete ? fq_outbox_complete_item(body, len, seq, kind, incident_id, at_ms,
                                                  event_seq, item, sizeof item)
                        : 0;
    if (!fq_mailbox_committed(&b->mail, seq, n ? item : NULL, n))
        return;
    uint64_t now = uv_now(t->ctx.loop);
    for (waiter *w = b->waiters, *next; w != NULL; w = next) {
        next = w->next;
        try_answer(t, w, now);
    }
}

/* ---- presence ---- */

/* Any authenticated request of a worker's terminal says the worker is there:
 * a one-shot `fq-terminal ack` or `progress` as much as a held sync, so a
 * worker who never runs `watch` does not go off duty while they act. A sync
 * also says whether they are on duty (off_duty signs them off, any other
 * sync signs them on); other requests leave a sign-off as it is and bring
 * back only a worker the sweep found silent. */
static void note_presence(fq_terminals *t, const fq_node *node, int is_sync, int off_duty)
{
    if (node->box[0] != 'w')
        return;
    box_state *b = find_box(t, node->box, 1);
    if (b == NULL)
        return; /* out of memory: presence is judged at the next request */
    b->last_seen_ms = uv_now(t->ctx.loop);
    b->seen = 1;
    if (is_sync)
        b->signed_off = off_duty != 0;
    if (b->absent != b->signed_off) {
        b->absent = b->signed_off;
        fq_dispatch_set_presence(t->ctx.dispatch, node->box + 2, !b->absent);
    }
}

/* ---- sync ---- */

static sync_mark *find_mark(fq_terminals *t, const char *node)
{
    sync_mark *m;
    HASH_FIND_STR(t->marks, node, m);
    if (m != NULL)
        return m;
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    snprintf(m->node, sizeof m->node, "%s", node);
    HASH_ADD_STR(t->marks, node, m);
    return m;
}

static void handle_sync(fq_terminals *t, const fq_node *node, const fq_gate *gate,
                        const Fengqiao__V1__TerminalSync *sync, fq_reply_token *token)
{
    uint64_t mid = gate->opened.envelope->message_id;
    if (node->box[0] == '\0') {
        refuse(t, token, node->key, gate->opened.envelope_bytes, gate->opened.envelope_len,
               node->id, mid, FQ_EFORBIDDEN,
               node->role == FQ_ROLE_TERMINAL
                   ? "this terminal serves no worker or unit yet (fengqiao-admin node add "
                     "--serves-worker/--serves-unit)"
                   : "only terminals, platforms and consoles have an outbox");
        return;
    }
    box_state *b = find_box(t, node->box, 1);
    sync_mark *m = find_mark(t, node->id);
    waiter *w = calloc(1, sizeof *w);
    if (b == NULL || m == NULL || w == NULL) {
        free(w);
        reply_status(t, token, node->key, mid, FQ_ENOMEM, "out of memory; retry later");
        return;
    }
    fq_sync_verdict verdict =
        fq_sync_judge(&m->mark, t->started_ms, gate->opened.envelope->sent_at_ms, mid);
    if (verdict == FQ_SYNC_REPLAYED) {
        free(w);
        refuse(t, token, node->key, gate->opened.envelope_bytes, gate->opened.envelope_len,
               node->id, mid, FQ_ESTALE,
               "this sync was signed before one this node sent later (a replayed or reordered "
               "frame): nothing changed; sign a new sync");
        return;
    }
    t->stats.syncs++;
    /* A resend of the newest sync still says the worker is there, but only
     * a new one signs them on or off: a replayed frame changes no duty. */
    note_presence(t, node, verdict == FQ_SYNC_NEW, sync->off_duty);
    /* Everything up to after_seq has reached the terminal. */
    if (verdict == FQ_SYNC_NEW) {
        fq_mailbox_trim(&b->mail, sync->after_seq);
        b->synced = 1;
        b->acked = sync->after_seq;
    }
    waiter *old;
    HASH_FIND_STR(t->by_node, node->id, old);
    if (old != NULL && old->message_id == mid) {
        /* The same sync again (a REQ resend after a reconnect): the earlier
         * copy gets an empty answer, not "superseded" — nothing took over. */
        answer_empty(t, old, 0);
    } else if (old != NULL) {
        t->stats.superseded++;
        answer_empty(t, old, 1);
    }
    snprintf(w->node, sizeof w->node, "%s", node->id);
    memcpy(w->key, node->key, sizeof w->key);
    w->token = token;
    w->box = b;
    w->message_id = mid;
    w->after = sync->after_seq;
    uint32_t wait = sync->wait_ms < t->config.max_hold_ms ? sync->wait_ms : t->config.max_hold_ms;
    uint64_t now = uv_now(t->ctx.loop);
    w->expires = now + wait;
    w->next = b->waiters;
    if (b->waiters)
        b->waiters->prev = w;
    b->waiters = w;
    w->all_next = t->all;
    if (t->all)
        t->all->all_prev = w;
    t->all = w;
    HASH_ADD_STR(t->by_node, node, w);
    t->stats.held++;
    try_answer(t, w, now);
}

/* ---- actions ---- */

static void free_action(action_req *a)
{
    free(a->envelope);
    free(a->reason);
    fq_attachment_rows_free(&a->photos);
    sodium_memzero(a->key, sizeof a->key);
    free(a);
}

static void answer_action(action_req *a, const char *state, uint64_t event_seq)
{
    Fengqiao__V1__ActionResult result = FENGQIAO__V1__ACTION_RESULT__INIT;
    result.incident_id = a->incident_id;
    result.state = (char *)state;
    result.event_seq = event_seq;
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, a->mid, FQ_OK, "", 0);
    if (a->is_command) {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_COMMAND;
        reply.command = &result;
    } else {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_ACTION;
        reply.action = &result;
    }
    fq_reply_send(a->token, a->key, &reply);
}

/* An earlier request with this id (fq_prior_request_row from column `col`):
 * answer as it was answered, or CONFLICT. 0 when there is none. */
static int answer_prior(fq_terminals *t, action_req *a, const PGresult *res, int col)
{
    fq_prior_request prior;
    if (!fq_prior_request_row(res, col, &prior))
        return 0;
    if (!prior.digest_ok || memcmp(prior.digest, a->digest, sizeof prior.digest) != 0) {
        refuse(t, a->token, a->key, a->envelope, a->envelope_len, a->node, a->mid, FQ_ECONFLICT,
               "this message id was already used for a different action");
        return 1;
    }
    a->incident_id = prior.incident_id;
    answer_action(a, prior.state, prior.event_seq);
    return 1;
}

/* A terminal's action refused for the assignment's state: the reply says
 * the state in an ActionResult, and whether what was asked is done already,
 * so that a client need not read the message. Recorded like any refusal. */
static void refuse_with_state(fq_terminals *t, action_req *a)
{
    Fengqiao__V1__ActionResult result = FENGQIAO__V1__ACTION_RESULT__INIT;
    result.incident_id = a->incident_id;
    result.state = a->refusal_state;
    result.already_done = a->refusal_done != 0;
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, a->mid, a->refusal, a->refusal_message, t->ctx.busy_retry_ms);
    if (a->is_command) {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_COMMAND;
        reply.command = &result;
    } else {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_ACTION;
        reply.action = &result;
    }
    fq_endpoint_send(&t->ctx, a->token, a->key, &reply);
    fq_audit_refusal(&t->ctx.audit, a->envelope, a->envelope_len, a->node, a->mid, a->refusal,
                     a->refusal_message);
}

static void action_done(fq_store_op *op, int status, const char *message)
{
    action_req *a = (action_req *)op;
    fq_terminals *t = a->t;
    t->ctx.in_flight--;
    const PGresult *res = op->result;
    if (!a->has_ticket) {
        /* The refusal path: was it a resend of something already done? */
        if (status == FQ_OK && answer_prior(t, a, res, 0)) {
            /* answered as it was */
        } else if (status == FQ_OK && a->refusal_state[0] != '\0') {
            refuse_with_state(t, a);
        } else {
            refuse(t, a->token, a->key, a->envelope, a->envelope_len, a->node, a->mid,
                   status == FQ_OK ? a->refusal : FQ_EBUSY,
                   status == FQ_OK ? a->refusal_message : message);
        }
        free_action(a);
        return;
    }
    /* The row (binary): the event written (NULL: not applied), the outbox
     * items (op->written), the earlier request. */
    int64_t seq = status == FQ_OK ? fq_write_event_seq(res) : 0;
    int applied = seq != 0;
    char state[24];
    snprintf(state, sizeof state, "%s", a->ticket.answer);
    int mediation_step = a->ticket.mediation_record != NULL; /* released by act_done */
    fq_dispatch_act_done(t->ctx.dispatch, &a->ticket, applied, &op->written);
    if (applied) {
        t->stats.actions++;
        answer_action(a, state, (uint64_t)seq);
    } else if (status == FQ_OK && answer_prior(t, a, res, 2)) {
        /* a resend */
    } else if (status == FQ_OK) {
        /* The database holds the incident otherwise than we decided on (a
         * re-decision of ours not yet written): ask again shortly. */
        reply_status(t, a->token, a->key, a->mid, FQ_EBUSY,
                     "the incident changed meanwhile; retry");
    } else if (status == FQ_EREJECTED && mediation_step && strcmp(op->sqlstate, "P0001") == 0) {
        /* What only the database knows about a mediation step (no such
         * committee or mediator; migration 0028): the sender's mistake,
         * said in the trigger's words, and nothing was stored. */
        const char *why = strstr(op->error, ": ");
        refuse(t, a->token, a->key, a->envelope, a->envelope_len, a->node, a->mid,
               fq_err_of_store(status, FQ_EINVALID), why != NULL ? why + 2 : op->error);
    } else {
        /* A write the server decided, refused: its own fault. */
        reply_status(t, a->token, a->key, a->mid, fq_err_of_store(status, FQ_EINTERNAL), message);
    }
    free_action(a);
}

/* After the conclusion (verify, follow-up): answered from the statement. */
static void aftercare_done(fq_store_op *op, int status, const char *message)
{
    action_req *a = (action_req *)op;
    fq_terminals *t = a->t;
    t->ctx.in_flight--;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL || PQntuples(res) != 1) {
        int err = status == FQ_OK ? FQ_EBUSY : fq_err_of_store(status, FQ_EINTERNAL);
        reply_status(t, a->token, a->key, a->mid, err, message);
    } else if (fq_write_event_seq(res) != 0) {
        t->stats.actions++;
        answer_action(a, "concluded", (uint64_t)fq_write_event_seq(res));
    } else if (!answer_prior(t, a, res, 1)) {
        char why[160];
        if (PQgetisnull(res, 0, 5))
            snprintf(why, sizeof why, "no incident %" PRIu64 " inside this console's jurisdiction",
                     a->incident_id);
        else
            snprintf(why, sizeof why,
                     "incident %" PRIu64 " is %s: only a concluded one is verified or followed up",
                     a->incident_id, PQgetvalue(res, 0, 5));
        refuse(t, a->token, a->key, a->envelope, a->envelope_len, a->node, a->mid,
               PQgetisnull(res, 0, 5) ? FQ_EFORBIDDEN : FQ_ESTATE, why);
    }
    free_action(a);
}

/* Sends the request again as its next statement. */
static void resubmit(fq_terminals *t, action_req *a)
{
    a->op.statement = NULL;
    t->ctx.in_flight++;
    fq_store_submit(t->ctx.store, &a->op);
}

/* Refused as things stand — unless it is a resend of a request that was
 * done: look for the earlier answer first (action_done). */
static void refuse_unless_done(fq_terminals *t, action_req *a, int err, const char *why)
{
    a->refusal = err;
    snprintf(a->refusal_message, sizeof a->refusal_message, "%s", why);
    fq_find_request_bind(&a->op, a->node, a->message_id);
    a->op.done = action_done;
    resubmit(t, a);
}

/* The reopen's read: the concluded incident as stored; then the decision
 * and the write, the way of every command. */
/* The action's statement: the request's fields here, what it does from
 * its ticket (fq_dispatch_act_bind). */
static void bind_action(action_req *a, const fq_attachment_rows *photos)
{
    fq_action_params *p = &a->params.action;
    memset(p, 0, sizeof *p);
    p->node = a->node;
    p->message_id = a->mid;
    p->digest = a->digest;
    p->envelope = a->envelope;
    p->envelope_len = a->envelope_len;
    p->photos = photos;
    fq_dispatch_act_bind(&a->ticket, p, &a->op);
}

static void reopen_read_done(fq_store_op *op, int status, const char *message)
{
    action_req *a = (action_req *)op;
    fq_terminals *t = a->t;
    t->ctx.in_flight--;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        reply_status(t, a->token, a->key, a->mid, FQ_EBUSY, message);
        free_action(a);
        return;
    }
    char why[256];
    if (PQntuples(res) != 1) {
        snprintf(why, sizeof why, "no incident %" PRIu64 " inside this console's jurisdiction",
                 a->incident_id);
        refuse_unless_done(t, a, FQ_EFORBIDDEN, why);
        return;
    }
    const char *state = fq_reopen_row_state(res, 0);
    if (strcmp(state, "concluded") != 0) {
        snprintf(why, sizeof why, "incident %" PRIu64 " is %s: only a concluded one is reopened",
                 a->incident_id, strcmp(state, "assigned") == 0 ? "open" : state);
        refuse_unless_done(t, a, FQ_ESTATE, why);
        return;
    }
    const fq_snapshot *snap = fq_dispatch_current(t->ctx.dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, a->node) : NULL;
    if (node == NULL || node->revoked) {
        reply_status(t, a->token, a->key, a->mid, FQ_EBUSY, "the directory changed; retry");
        free_action(a);
        return;
    }
    int rc = fq_dispatch_reopen(t->ctx.dispatch, node, a->aftercare[1], a->target_worker, a->reason,
                                res, fq_now_ms(), &a->ticket, why, sizeof why);
    if (rc == FQ_EBUSY || rc == FQ_EUNAVAILABLE) {
        reply_status(t, a->token, a->key, a->mid, rc, why);
        free_action(a);
        return;
    }
    if (rc != FQ_OK) {
        refuse_unless_done(t, a, rc, why);
        return;
    }
    a->has_ticket = 1;
    bind_action(a, NULL);
    op->done = action_done;
    resubmit(t, a);
}

/* A terminal's action on an assignment, or (`command` set) a console's
 * command: the same checks, the same statement, the same answers. */
static void handle_action(fq_terminals *t, const fq_node *node, const fq_gate *gate,
                          const Fengqiao__V1__AssignmentAction *action,
                          const Fengqiao__V1__ConsoleCommand *command, fq_reply_token *token)
{
    const fq_opened_request *opened = &gate->opened;
    uint64_t mid = opened->envelope->message_id;
    char err[256];
    fq_role needed = command ? FQ_ROLE_CONSOLE : FQ_ROLE_TERMINAL;
    if (node->role != needed) {
        snprintf(err, sizeof err, "a %s node does not %s", fq_role_name(node->role),
                 command ? "command (only consoles do)" : "act on assignments");
        refuse(t, token, node->key, opened->envelope_bytes, opened->envelope_len, node->id, mid,
               FQ_EFORBIDDEN, err);
        return;
    }
    if ((command ? fq_validate_command(command, fq_now_ms(), err, sizeof err)
                 : fq_validate_action(action, fq_now_ms(), err, sizeof err)) != 0) {
        refuse(t, token, node->key, opened->envelope_bytes, opened->envelope_len, node->id, mid,
               FQ_EINVALID, err);
        return;
    }
    /* The photos are the bytes the signed refs name, and real images, or
     * nothing of the action is done. A command names none, but for a
     * mediation's agreement: the photos of the signed agreement. */
    fq_evidence evidence;
    int agreement = command && command->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE;
    int ev = agreement ? fq_evidence_check(command->mediation->photos, command->mediation->n_photos,
                                           opened->attachments, opened->n_attachments, &evidence,
                                           err, sizeof err)
             : command ? FQ_OK
                       : fq_evidence_check(action->attachments, action->n_attachments,
                                           opened->attachments, opened->n_attachments, &evidence,
                                           err, sizeof err);
    if (command && !agreement && opened->n_attachments > 0) {
        refuse(t, token, node->key, opened->envelope_bytes, opened->envelope_len, node->id, mid,
               FQ_EINVALID, "a console command carries no photos (but a mediation's agreement)");
        return;
    }
    if (ev != FQ_OK) {
        refuse(t, token, node->key, opened->envelope_bytes, opened->envelope_len, node->id, mid, ev,
               err);
        return;
    }
    action_req *a = calloc(1, sizeof *a);
    if (a != NULL)
        a->envelope = malloc(opened->envelope_len ? opened->envelope_len : 1);
    if (a == NULL || a->envelope == NULL) {
        if (a)
            free(a);
        reply_status(t, token, node->key, mid, FQ_ENOMEM, "out of memory; retry later");
        return;
    }
    a->t = t;
    a->token = token;
    a->is_command = command != NULL;
    memcpy(a->key, node->key, sizeof a->key);
    snprintf(a->node, sizeof a->node, "%s", node->id);
    snprintf(a->message_id, sizeof a->message_id, "%" PRIu64, mid);
    a->mid = mid;
    a->incident_id = command ? command->incident_id : action->incident_id;
    memcpy(a->envelope, opened->envelope_bytes, opened->envelope_len);
    a->envelope_len = opened->envelope_len;
    /* The body's digest tells a resend from a reused id: of the envelope's
     * body, whatever sent_at carries it. */
    uint8_t buf[FQ_MAX_FRAME_BYTES];
    size_t n = command ? fengqiao__v1__console_command__get_packed_size(command)
                       : fengqiao__v1__assignment_action__get_packed_size(action);
    if (n > sizeof buf)
        n = 0;
    else if (command)
        fengqiao__v1__console_command__pack(command, buf);
    else
        fengqiao__v1__assignment_action__pack(action, buf);
    crypto_generichash(a->digest, 32, buf, n, NULL, 0);
    fq_store_op *op = &a->op;
    op->done = action_done;
    if (command && (command->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY ||
                    command->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP)) {
        /* The incident is closed: nothing of it is in memory; the statement
         * checks state and jurisdiction. */
        const fq_snapshot *snap = fq_dispatch_current(t->ctx.dispatch);
        snprintf(a->aftercare[2], sizeof a->aftercare[2], "%s",
                 fq_org_id(fq_directory_org(snap->directory), node->jurisdiction));
        a->reason = strdup(command->reason);
        if (a->reason == NULL) {
            reply_status(t, token, node->key, mid, FQ_ENOMEM, "out of memory; retry later");
            free_action(a);
            return;
        }
        a->params.aftercare = (fq_aftercare_params){
            .node = a->node,
            .message_id = a->mid,
            .digest = a->digest,
            .incident_id = command->incident_id,
            .kind = command->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY ? "verified"
                                                                                : "followed_up",
            .reason = a->reason,
            .envelope = a->envelope,
            .envelope_len = a->envelope_len,
            .satisfaction = (int)command->satisfaction,
            .jurisdiction = a->aftercare[2]};
        fq_aftercare_params_bind(&a->params.aftercare, op);
        op->done = aftercare_done;
        t->ctx.in_flight++;
        fq_store_submit(t->ctx.store, op);
        return;
    }
    if (command && command->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN) {
        /* A concluded incident is not in memory: read it, then decide. */
        const fq_snapshot *snap = fq_dispatch_current(t->ctx.dispatch);
        a->reason = strdup(command->reason);
        if (a->reason == NULL) {
            reply_status(t, token, node->key, mid, FQ_ENOMEM, "out of memory; retry later");
            free_action(a);
            return;
        }
        snprintf(a->aftercare[1], sizeof a->aftercare[1], "%s", command->target_unit);
        snprintf(a->target_worker, sizeof a->target_worker, "%s", command->target_worker);
        fq_reopen_row_bind(op, &a->reopen, command->incident_id,
                           fq_org_id(fq_directory_org(snap->directory), node->jurisdiction));
        op->done = reopen_read_done;
        t->ctx.in_flight++;
        fq_store_submit(t->ctx.store, op);
        return;
    }
    int rc = command ? fq_dispatch_command(t->ctx.dispatch, node, command, fq_now_ms(), &a->ticket,
                                           err, sizeof err)
                     : fq_dispatch_act(t->ctx.dispatch, node, action, fq_now_ms(), &a->ticket, err,
                                       sizeof err);
    if (rc == FQ_EBUSY || rc == FQ_EUNAVAILABLE) {
        reply_status(t, token, node->key, mid, rc, err);
        free_action(a);
        return;
    }
    if (rc != FQ_OK) {
        /* Refused as things stand — unless this is a resend of an action
         * that was done (the state moved on because of it). */
        a->refusal = rc;
        snprintf(a->refusal_message, sizeof a->refusal_message, "%s", err);
        /* A command says the state when what it asked is so already
         * (suspending a suspended incident, resuming a running one). */
        if (rc == FQ_ESTATE && (!a->is_command || a->ticket.already_done)) {
            snprintf(a->refusal_state, sizeof a->refusal_state, "%s", a->ticket.answer);
            a->refusal_done = a->ticket.already_done;
        }
        fq_find_request_bind(op, a->node, a->message_id);
    } else {
        /* The category's rule: concluded only with a photo. Asked once the
         * action is known to be the holder's, so that the answer tells
         * nothing about incidents that are not. */
        if (!command && action->kind == FENGQIAO__V1__ACTION_KIND__ACTION_CONCLUDE &&
            action->n_attachments == 0 &&
            fq_dispatch_photo_to_conclude(t->ctx.dispatch, action->incident_id)) {
            fq_dispatch_act_done(t->ctx.dispatch, &a->ticket, 0, NULL);
            snprintf(err, sizeof err,
                     "incident %" PRIu64 " is concluded only with a photo of the work done "
                     "(its category's rule); conclude again with one",
                     action->incident_id);
            refuse(t, token, node->key, opened->envelope_bytes, opened->envelope_len, node->id, mid,
                   FQ_ENOPHOTO, err);
            free_action(a);
            return;
        }
        if ((!command || agreement) && fq_attachment_rows_build(&a->photos, &evidence) != 0) {
            fq_dispatch_act_done(t->ctx.dispatch, &a->ticket, 0, NULL);
            reply_status(t, token, node->key, mid, FQ_ENOMEM, "out of memory; retry later");
            free_action(a);
            return;
        }
        a->has_ticket = 1;
        bind_action(a, &a->photos);
    }
    t->ctx.in_flight++;
    fq_store_submit(t->ctx.store, op);
}

/* ---- the request path ---- */

static void note_console(fq_terminals *t, const char *node)
{
    console_seen *c;
    HASH_FIND_STR(t->consoles, node, c);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return; /* out of memory: a metric misses one console */
        snprintf(c->node, sizeof c->node, "%s", node);
        HASH_ADD_STR(t->consoles, node, c);
    }
    c->last_seen_ms = uv_now(t->ctx.loop);
}

static void handle(fq_terminals *t, const uint8_t *frame, size_t len, fq_reply_token *token,
                   fq_arena *arena, size_t max_frame)
{
    fq_snapshot *snap = fq_dispatch_current(t->ctx.dispatch);
    const fq_directory *dir = snap ? snap->directory : NULL;
    fq_gate gate;
    fq_gate_check_sized(frame, len, max_frame, arena, dir, fq_now_ms(), t->config.max_skew_ms,
                        &gate);
    const uint8_t *key = gate.node ? gate.node->key : NULL;
    if (gate.err != FQ_OK) {
        refuse(t, token, key, frame, len, gate.claimed_sender, gate.message_id, gate.err,
               gate.message);
        return;
    }
    const Fengqiao__V1__Envelope *env = gate.opened.envelope;
    if (gate.opened.n_attachments > 0 &&
        env->body_case != FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION &&
        env->body_case != FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND) {
        refuse(t, token, key, frame, len, gate.node->id, env->message_id, FQ_EINVALID,
               "photos go only with an assignment action (or a report, on the intake endpoint)");
        return;
    }
    if (env->body_case != FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC)
        note_presence(t, gate.node, 0, 0); /* a sync says more: handle_sync */
    if ((env->body_case == FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY ||
         env->body_case == FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND) &&
        fq_reply_token_socket(token) != NULL) {
        fq_reply_token_count_in(token, t->stats.console_by_status);
        if (gate.node->role == FQ_ROLE_CONSOLE)
            note_console(t, gate.node->id);
    }
    switch (env->body_case) {
    case FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC:
        handle_sync(t, gate.node, &gate, env->terminal_sync, token);
        return;
    case FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION:
        handle_action(t, gate.node, &gate, env->assignment_action, NULL, token);
        return;
    case FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND:
        handle_action(t, gate.node, &gate, NULL, env->console_command, token);
        return;
    case FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY:
        if (gate.node->role != FQ_ROLE_CONSOLE) {
            refuse(t, token, key, frame, len, gate.node->id, env->message_id, FQ_EFORBIDDEN,
                   "only console nodes query the console");
            return;
        }
        if (t->console_query == NULL) {
            refuse(t, token, key, frame, len, gate.node->id, env->message_id, FQ_EUNSUPPORTED,
                   "this server answers no console queries");
            return;
        }
        t->console_query(&t->ctx, gate.node, env->message_id, env->console_query, token);
        return;
    default:
        refuse(t, token, key, frame, len, gate.node->id, env->message_id, FQ_EUNSUPPORTED,
               "the terminal endpoint accepts terminal_sync, assignment_action, console_query and "
               "console_command (reports go to the intake endpoint)");
    }
}

static void handle_request(void *endpoint, const uint8_t *frame, size_t len, fq_reply_token *token,
                           fq_arena *arena, size_t max_frame)
{
    handle(endpoint, frame, len, token, arena, max_frame);
}

void fq_terminals_on_request(void *user, const uint8_t *frame, size_t len, fq_reply_token *token)
{
    fq_terminals *t = user;
    if (t->stopped) {
        fq_msgsock_drop(fq_reply_token_socket(token), token);
        return;
    }
    /* Counted as a terminal's request unless it turns out a console's. */
    if (fq_reply_token_socket(token) != NULL)
        fq_reply_token_count_in(token, t->stats.terminal_by_status);
    fq_endpoint_handle(&t->ctx, frame, len, token, handle_request, t);
}

/* ---- the sweep: waits that ended, terminals that went silent ---- */

static void on_sweep(uv_timer_t *timer)
{
    fq_terminals *t = timer->data;
    uint64_t now = uv_now(t->ctx.loop);
    for (waiter *w = t->all, *next; w != NULL; w = next) {
        next = w->all_next;
        if (w->expires <= now && w->reading == NULL)
            answer_empty(t, w, 0);
    }
    if (now - t->last_presence_check < 1000)
        return;
    t->last_presence_check = now;
    box_state *b, *tmp;
    HASH_ITER(hh, t->boxes, b, tmp)
    {
        if (b->box[0] != 'w' || b->absent || !b->seen)
            continue;
        if (b->waiters != NULL) {
            b->last_seen_ms = now; /* a sync held here: the terminal is there */
            continue;
        }
        if ((int64_t)(now - b->last_seen_ms) <= t->config.presence_timeout_ms)
            continue;
        b->absent = 1;
        t->stats.went_silent++;
        fq_log(FQ_LOG_INFO, "terminals", "worker %s silent for %" PRId64 " s: off duty", b->box + 2,
               (int64_t)(now - b->last_seen_ms) / 1000);
        fq_dispatch_set_presence(t->ctx.dispatch, b->box + 2, 0);
    }
}

/* ---- lifetime ---- */

fq_terminals *fq_terminals_new(uv_loop_t *loop, const fq_terminals_config *config, fq_store *store,
                               fq_dispatch *dispatch)
{
    fq_terminals *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    if (fq_endpoint_init(&t->ctx, loop, "terminals", store, dispatch, config->audit_per_second,
                         config->busy_retry_ms) != 0) {
        free(t);
        return NULL;
    }
    t->started_ms = fq_now_ms();
    t->config = *config;
    if (t->config.max_hold_ms == 0 || t->config.max_hold_ms > 25000)
        t->config.max_hold_ms = 25000;
    t->console_query = config->console_query;
    uv_timer_init(loop, &t->sweep);
    t->sweep.data = t;
    uv_timer_start(&t->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    return t;
}

void fq_terminals_stop(fq_terminals *t)
{
    if (t->stopped)
        return;
    t->stopped = 1;
    while (t->all != NULL)
        answer_empty(t, t->all, 0);
    uv_timer_stop(&t->sweep);
    uv_close((uv_handle_t *)&t->sweep, NULL);
}

size_t fq_terminals_in_flight(const fq_terminals *t)
{
    return t->ctx.in_flight;
}

const fq_terminals_stats *fq_terminals_get_stats(fq_terminals *t)
{
    size_t memory = sizeof *t;
    uint64_t now = uv_now(t->ctx.loop);
    box_state *b, *tmp;
    t->stats.present = 0;
    t->stats.lag_max = t->stats.lag_sum = 0;
    t->stats.feeds_behind = 0;
    HASH_ITER(hh, t->boxes, b, tmp)
    {
        memory += sizeof *b + fq_mailbox_memory(&b->mail);
        if (b->box[0] == 'w' && b->seen && !b->absent)
            t->stats.present++;
        if (b->synced && b->mail.known && b->mail.last_seq > b->acked) {
            uint64_t lag = b->mail.last_seq - b->acked;
            t->stats.lag_sum += lag;
            t->stats.feeds_behind++;
            if (lag > t->stats.lag_max)
                t->stats.lag_max = lag;
        }
    }
    t->stats.refused = t->ctx.refused;
    t->stats.audit_written = t->ctx.audit.written;
    t->stats.audit_dropped = t->ctx.audit.dropped;
    t->stats.consoles_recent = 0;
    console_seen *c, *ctmp;
    HASH_ITER(hh, t->consoles, c, ctmp)
    {
        memory += sizeof *c;
        if ((int64_t)(now - c->last_seen_ms) <= t->config.presence_timeout_ms)
            t->stats.consoles_recent++;
    }
    memory += t->stats.held * sizeof(waiter);
    memory += HASH_COUNT(t->marks) * sizeof(sync_mark);
    t->stats.memory = memory;
    return &t->stats;
}

void fq_terminals_free(fq_terminals *t)
{
    if (t == NULL)
        return;
    box_state *b, *tmp;
    HASH_ITER(hh, t->boxes, b, tmp)
    {
        HASH_DEL(t->boxes, b);
        fq_mailbox_clear(&b->mail);
        free(b);
    }
    sync_mark *m, *mtmp;
    HASH_ITER(hh, t->marks, m, mtmp)
    {
        HASH_DEL(t->marks, m);
        free(m);
    }
    console_seen *c, *ctmp;
    HASH_ITER(hh, t->consoles, c, ctmp)
    {
        HASH_DEL(t->consoles, c);
        free(c);
    }
    fq_endpoint_free(&t->ctx);
    free(t);
}
