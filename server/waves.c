#include "waves.h"

#include "log.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_INTERVAL_MS 1000
#define MAX_OUTCOME 1024

/* One write on its way. */
typedef struct wave_op {
    fq_store_op op; /* first: the store hands it back */
    fq_waves *waves;
    struct wave_op *next; /* in the queue or the wave, in the order decided */
    int failed;           /* its wave's attempt did not store it */
    uint64_t incident_id;
    char kind[32], reason[256];
    int64_t nonce; /* the same for every attempt: applied once at most */
    fq_route_params route;
    uint8_t outcome[MAX_OUTCOME];
    size_t outcome_len;
    fq_outbox_set items;
    union { /* its statement's parameters (write_params.h) */
        fq_event_params event;
        fq_reroute_params reroute;
    } params;
} wave_op;

struct fq_waves {
    fq_store *store;
    fq_waves_stored_fn on_stored;
    void *user;
    uv_timer_t retry_timer;
    /* The queue (decided, not sent yet) and the wave (sent, `left` not
     * answered yet), both in the order decided. */
    wave_op *queue_head, *queue_tail;
    wave_op *wave;
    size_t left;
    int stopped;
};

static void op_done(fq_store_op *op, int status, const char *message);
static void on_retry(uv_timer_t *timer);

static void send_wave(fq_waves *w)
{
    if (w->wave != NULL || w->queue_head == NULL || uv_is_active((uv_handle_t *)&w->retry_timer))
        return;
    w->wave = w->queue_head;
    w->queue_head = w->queue_tail = NULL;
    /* Counted first: answers come back on later loop turns, but the count
     * must not reach zero before the whole wave is in. */
    for (wave_op *s = w->wave; s != NULL; s = s->next)
        w->left++;
    for (wave_op *s = w->wave, *next; s != NULL; s = next) {
        next = s->next;
        s->failed = 0;
        s->op.done = op_done;
        fq_store_submit(w->store, &s->op);
    }
}

static void enqueue(fq_waves *w, wave_op *s)
{
    s->next = NULL;
    if (w->queue_tail)
        w->queue_tail->next = s;
    else
        w->queue_head = s;
    w->queue_tail = s;
    send_wave(w);
}

static void free_op(wave_op *s)
{
    fq_outbox_free(&s->items);
    free(s);
}

/* Every write of the wave is answered: the stored ones are done, the others
 * go back in front of the queue in their order and are sent again after a
 * pause — before anything decided since. */
static void wave_done(fq_waves *w)
{
    wave_op *again = NULL, *last = NULL;
    for (wave_op *s = w->wave, *next; s != NULL; s = next) {
        next = s->next;
        if (s->failed && !w->stopped) {
            if (last)
                last->next = s;
            else
                again = s;
            last = s;
            continue;
        }
        free_op(s);
    }
    w->wave = NULL;
    if (again != NULL) {
        last->next = w->queue_head;
        if (w->queue_head == NULL)
            w->queue_tail = last;
        w->queue_head = again;
        uv_timer_start(&w->retry_timer, on_retry, RETRY_INTERVAL_MS, 0);
        return;
    }
    if (!w->stopped)
        send_wave(w);
}

static void op_done(fq_store_op *op, int status, const char *message)
{
    wave_op *s = (wave_op *)op;
    fq_waves *w = s->waves;
    (void)message;
    if (status == FQ_EREJECTED)
        fq_log(FQ_LOG_ERROR, "dispatch", "%s of incident %" PRIu64 " refused: %s", s->kind,
               s->incident_id, op->error);
    if (status == FQ_OK && w->on_stored != NULL)
        w->on_stored(w->user, &s->items, &op->written, s->incident_id);
    s->failed = status != FQ_OK && status != FQ_EREJECTED;
    if (--w->left == 0)
        wave_done(w);
}

static void on_retry(uv_timer_t *timer)
{
    send_wave(timer->data);
}

/* A new write; `items` taken over (NULL: none). NULL when out of memory
 * (the items are freed: the decision stands in memory without its write). */
static wave_op *new_op(fq_waves *w, uint64_t incident_id, const char *kind, const char *reason,
                       fq_outbox_set *items)
{
    wave_op *s = calloc(1, sizeof *s);
    if (s == NULL) {
        if (items)
            fq_outbox_free(items);
        return NULL;
    }
    s->waves = w;
    s->incident_id = incident_id;
    uint64_t nonce;
    randombytes_buf(&nonce, sizeof nonce);
    s->nonce = (int64_t)((nonce & (uint64_t)INT64_MAX) | 1);
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    fq_outbox_init(&s->items);
    if (items) {
        s->items = *items;
        fq_outbox_init(items);
    }
    /* Out of memory the set is emptied: the event is written without items. */
    if (fq_outbox_params(&s->items) != 0)
        fq_outbox_free(&s->items);
    return s;
}

void fq_waves_event(fq_waves *w, uint64_t incident_id, const char *kind, const char *reason_code,
                    const char *reason, int breached, int supervision_over, fq_outbox_set *items)
{
    wave_op *s = new_op(w, incident_id, kind, reason, items);
    if (s == NULL)
        return;
    s->params.event = (fq_event_params){.incident_id = incident_id,
                                        .kind = s->kind,
                                        .reason = s->reason,
                                        .reason_code = reason_code,
                                        .breached = breached,
                                        .supervision_over = supervision_over,
                                        .nonce = s->nonce,
                                        .outbox = &s->items};
    fq_event_params_bind(&s->params.event, &s->op);
    enqueue(w, s);
}

void fq_waves_reroute(fq_waves *w, uint64_t incident_id, const char *kind, const char *reason_code,
                      const char *reason, const fq_route_params *route, const uint8_t *outcome,
                      size_t outcome_len, fq_outbox_set *items)
{
    wave_op *s = new_op(w, incident_id, kind, reason, items);
    if (s == NULL)
        return;
    s->route = *route;
    s->outcome_len = outcome_len <= sizeof s->outcome ? outcome_len : 0;
    memcpy(s->outcome, outcome, s->outcome_len);
    s->params.reroute = (fq_reroute_params){.incident_id = incident_id,
                                            .route = &s->route,
                                            .event_kind = s->kind,
                                            .reason = s->reason,
                                            .reason_code = reason_code,
                                            .outcome = s->outcome,
                                            .outcome_len = s->outcome_len,
                                            .nonce = s->nonce,
                                            .outbox = &s->items};
    fq_reroute_params_bind(&s->params.reroute, &s->op);
    enqueue(w, s);
}

fq_waves *fq_waves_new(uv_loop_t *loop, fq_store *store, fq_waves_stored_fn on_stored, void *user)
{
    fq_waves *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->store = store;
    w->on_stored = on_stored;
    w->user = user;
    uv_timer_init(loop, &w->retry_timer);
    w->retry_timer.data = w;
    return w;
}

void fq_waves_stop(fq_waves *w)
{
    w->stopped = 1;
    uv_timer_stop(&w->retry_timer);
    uv_close((uv_handle_t *)&w->retry_timer, NULL);
}

void fq_waves_free(fq_waves *w)
{
    if (w == NULL)
        return;
    /* The store was closed and drained first: no wave is left in it. */
    while (w->queue_head != NULL) {
        wave_op *s = w->queue_head;
        w->queue_head = s->next;
        free_op(s);
    }
    free(w);
}
