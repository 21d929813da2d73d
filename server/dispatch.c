#include "dispatch.h"

#include "case_rows.h"
#include "caseplan.h"
#include "catchup.h"
#include "fq_wire.h"
#include "log.h"
#include "mediation.h"
#include "statements.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_INTERVAL_MS 1000

/* A write of the server's own (escalation, warning) on its way to the store. */
typedef struct sysop {
    fq_store_op op;
    fq_dispatch *dispatch;
    struct sysop *next; /* in the queue or the wave, in the order decided */
    int failed;         /* its wave's attempt did not store it */
    uint64_t incident_id;
    char kind[32], reason[256];
    int64_t nonce;
    fq_route_params route;
    uint8_t outcome[FQ_STORE_MAX_OUTCOME];
    size_t outcome_len;
    fq_outbox_set outbox;
    union { /* its statement's parameters (write_params.h) */
        fq_event_params event;
        fq_reroute_params reroute;
    } params;
} sysop;

struct fq_dispatch {
    uv_loop_t *loop;
    fq_store *store;
    fq_dispatch_config config;
    fq_snapshot *current;
    fq_caseload *cases;
    fq_dedup *dedup;
    fq_ticket *pending;        /* uthash by provisional id: decided, not yet committed */
    uint64_t next_provisional; /* the last provisional id handed out, without the bit */
    /* The next routing decision's nonce: odd, from a random start, then
     * counted up by two (below 2^62 decisions nothing repeats). A nonce
     * needs to be unique among this server's decisions, not unpredictable
     * (only the server writes): a counter spares every report a getrandom
     * system call (1.6 us on the benchmark machine). */
    uint64_t next_nonce;
    fq_deadlines *deadlines;
    uv_timer_t timer;       /* the one timer of all deadlines */
    uv_timer_t retry_timer; /* sends the server's own writes again after a failed wave */
    /* The server's own writes go to the store in waves, one at a time: the
     * queue (decided, not sent yet) and the wave (sent, wave_left not
     * answered yet), both in the order decided. */
    sysop *queue_head, *queue_tail;
    sysop *wave;
    size_t wave_left;
    fq_outbox_sink_fn sink;
    void *sink_user;
    char **absent; /* workers whose terminals went silent */
    size_t n_absent;
    fq_deadline *due; /* scratch for one turn's due deadlines */
    uint64_t *moving; /* scratch: cases whose worker went off duty */
    size_t n_moving, cap_moving;
    int stopped;
    /* A standby's (fq_dispatch_set_passive): its deadlines are kept but not
     * armed, and it writes nothing of its own. */
    int passive;
    int open_loaded; /* the stored open incidents are in the caseload */
    /* The snapshot the chunks of the open incidents are being taken in with
     * (fq_dispatch_open_rows), until it is installed. */
    fq_snapshot *loading;
    size_t open_room;          /* cases the tables were last made room for */
    size_t open_expected;      /* fq_dispatch_open_expected */
    struct prefault *prefault; /* faulting the load's memory in ahead, or NULL */
    fq_dispatch_stats stats;
};

/* ---- snapshots ---- */

fq_snapshot *fq_snapshot_new(fq_directory *directory, fq_routing *routing)
{
    fq_snapshot *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->directory = directory;
    s->routing = routing;
    if (routing != NULL)
        s->world = (fq_world){.org = fq_directory_org(directory),
                              .taxonomy = routing->taxonomy,
                              .roster = routing->roster,
                              .router = routing->router,
                              .geo = routing->geo,
                              .rule_set = routing->rule_set};
    s->refs = 1;
    return s;
}

void fq_snapshot_ref(fq_snapshot *s)
{
    s->refs++;
}

void fq_snapshot_unref(fq_snapshot *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    fq_routing_free(s->routing);
    fq_directory_free(s->directory);
    free(s);
}

static const fq_org *org_of(const fq_snapshot *s)
{
    return fq_directory_org(s->directory);
}

/* ---- texts for the statements ---- */

static int64_t wall_ms(void)
{
    return fq_now_ms();
}

/* The clock the deadlines run on: monotonic (libuv's loop time, the clock
 * its timers use), so that a step of the wall clock neither fires a limit
 * early nor holds it back. Limits are decided and recorded in wall-clock
 * time; fq_case_new_limits maps them at the moment they are set. */
static int64_t mono_ms(const fq_dispatch *d)
{
    return (int64_t)uv_now(d->loop);
}

#define ALL_LIMITS ((1u << FQ_CASE_DEADLINES) - 1)
#define CONCLUDE_LIMITS                                                                            \
    ((1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1)) | (1u << (FQ_DEADLINE_CONCLUDE_DUE - 1)))

/* The statements' parameters of an assigned decision: ids, not indices of
 * this snapshot (the write may go out after a reload). */
static void format_decision(const fq_snapshot *snap, const fq_decision *dec, fq_route_params *x)
{
    const fq_routing *r = snap->routing;
    memset(x, 0, sizeof *x);
    x->assigned = 1;
    x->tier = dec->tier;
    x->line = dec->line;
    x->climbed = dec->climbed;
    int32_t territory = fq_items_territory(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(org_of(snap), territory) : "");
    snprintf(x->lead, sizeof x->lead, "%s", fq_items_handler_id(r->roster, dec->lead));
    snprintf(x->worker, sizeof x->worker, "%s", fq_items_worker_id(r->roster, dec->worker));
    x->co_len = fq_items_co_array(r->roster, dec, x->co);
    x->ack_due_ms = dec->ack_due_ms;
    x->ack_warn_ms = dec->ack_warn_ms;
    x->conclude_due_ms = dec->conclude_due_ms;
    x->conclude_warn_ms = dec->conclude_warn_ms;
}

/* RoutingOutcome bytes for the reply and the routing event. */
static size_t pack_outcome(const fq_snapshot *snap, const fq_decision *dec, uint64_t merged_into,
                           uint8_t *out, size_t cap)
{
    const fq_routing *r = snap->routing;
    Fengqiao__V1__RoutingOutcome o = FENGQIAO__V1__ROUTING_OUTCOME__INIT;
    char *co[FQ_ROUTE_MAX_CO];
    o.merged_into = merged_into;
    if (dec->status == FQ_ROUTE_ASSIGNED) {
        o.tier = (Fengqiao__V1__Tier)dec->tier;
        o.line = (Fengqiao__V1__Line)(dec->line + 1); /* the wire's 0 is "unspecified" */
        o.lead_unit = (char *)fq_items_handler_id(r->roster, dec->lead);
        o.worker = (char *)fq_items_worker_id(r->roster, dec->worker);
        if (dec->lead >= 0)
            o.lead_unit_name = (char *)fq_roster_handler_name(r->roster, dec->lead);
        if (dec->worker >= 0)
            o.worker_name = (char *)fq_roster_worker_name(r->roster, dec->worker);
        for (int i = 0; i < dec->n_co; i++)
            co[i] = (char *)fq_items_handler_id(r->roster, dec->co[i]);
        o.n_co_units = dec->n_co;
        o.co_units = co;
        o.acknowledge_due_ms = dec->ack_due_ms;
        o.conclude_due_ms = dec->conclude_due_ms;
        o.climbed = dec->climbed;
        o.rule_set = r->rule_set;
        o.working_time = dec->working_time;
    }
    int32_t territory = fq_items_territory(dec);
    o.territory = territory >= 0 ? (char *)fq_org_id(org_of(snap), territory) : "";
    o.territory_name = territory >= 0 ? (char *)fq_org_name(org_of(snap), territory) : "";
    o.unplaced = dec->unplaced;
    size_t n = fengqiao__v1__routing_outcome__get_packed_size(&o);
    if (n > cap)
        return 0;
    return fengqiao__v1__routing_outcome__pack(&o, out);
}

/* ---- deadlines ---- */

static void rearm(fq_dispatch *d);

/* (Re)schedules the limits of the case still to fire (fq_case_schedule:
 * the ones spent for this holder stay spent). */
static void schedule_deadlines(fq_dispatch *d, fq_case *c)
{
    fq_case_schedule(c, d->deadlines);
    rearm(d);
}

/* The case has new limits (`kinds`), set now: they fire again, mapped onto
 * the monotonic clock as of now. */
static void new_limits(fq_dispatch *d, fq_case *c, unsigned kinds)
{
    fq_case_new_limits(c, wall_ms(), mono_ms(d), kinds);
}

/* ---- outbox items ---- */

typedef struct deliver_ctx {
    fq_dispatch *d;
    uint64_t incident_id;
    int64_t at_ms;
} deliver_ctx;

static void deliver_one(void *user, const fq_outbox_set *set, int i, uint64_t seq,
                        uint64_t event_seq)
{
    deliver_ctx *x = user;
    x->d->sink(x->d->sink_user, set->box[i], seq, set->kind[i], x->incident_id, x->at_ms, event_seq,
               set->body[i], set->body_len[i], set->complete[i]);
}

/* The items were committed with these seqs: hand them to the terminals. */
static void deliver(fq_dispatch *d, const fq_outbox_set *set, const char *seqs,
                    uint64_t incident_id)
{
    if (d->sink == NULL || seqs == NULL || seqs[0] == '\0')
        return;
    deliver_ctx x = {d, incident_id, wall_ms()};
    if (fq_outbox_committed(set, seqs, deliver_one, &x) < 0)
        fq_log(FQ_LOG_ERROR, "dispatch", "outbox seqs '%.80s' do not match the items", seqs);
}

static const char *result_text(const fq_store_op *op, int column)
{
    if (op->result == NULL || PQntuples(op->result) < 1 || PQnfields(op->result) <= column ||
        PQgetisnull(op->result, 0, column))
        return NULL;
    return PQgetvalue(op->result, 0, column);
}

/* ---- the server's own writes ---- */

static void sysop_done(fq_store_op *op, int status, const char *message);
static void on_retry(uv_timer_t *timer);

/* The server's own writes must land in the order they were decided — an
 * escalation before the warning and the breach of the new holder, two
 * re-decisions of one incident as they were taken — also when the database
 * goes away. The store keeps the order of what it holds, but a write it
 * answers busy and that is sent again goes behind everything sent after it
 * (that is how a breach at the district was once stored before the
 * escalation that took the case there). So they go in waves: everything
 * queued goes to the store at once (one group commit), the next wave only
 * when this one is answered, and what did not commit goes first again. */
static void send_wave(fq_dispatch *d)
{
    if (d->wave != NULL || d->queue_head == NULL || uv_is_active((uv_handle_t *)&d->retry_timer))
        return;
    d->wave = d->queue_head;
    d->queue_head = d->queue_tail = NULL;
    for (sysop *s = d->wave; s != NULL; s = s->next)
        d->wave_left++;
    /* Counted first: answers come back on later loop turns, but the count
     * must not reach zero before the whole wave is in. */
    for (sysop *s = d->wave, *next; s != NULL; s = next) {
        next = s->next;
        s->failed = 0;
        s->op.done = sysop_done;
        fq_store_submit(d->store, &s->op);
    }
}

static void submit_sysop(fq_dispatch *d, sysop *s)
{
    s->next = NULL;
    if (d->queue_tail)
        d->queue_tail->next = s;
    else
        d->queue_head = s;
    d->queue_tail = s;
    send_wave(d);
}

/* Every write of the wave is answered: the stored ones are done, the others
 * go back in front of the queue in their order and are sent again after a
 * pause (the database is away) — before anything decided since. */
static void wave_done(fq_dispatch *d)
{
    sysop *again = NULL, *last = NULL;
    for (sysop *s = d->wave, *next; s != NULL; s = next) {
        next = s->next;
        if (s->failed && !d->stopped) {
            if (last)
                last->next = s;
            else
                again = s;
            last = s;
            continue;
        }
        fq_outbox_free(&s->outbox);
        free(s);
    }
    d->wave = NULL;
    if (again != NULL) {
        last->next = d->queue_head;
        if (d->queue_head == NULL)
            d->queue_tail = last;
        d->queue_head = again;
        uv_timer_start(&d->retry_timer, on_retry, RETRY_INTERVAL_MS, 0);
        return;
    }
    if (!d->stopped)
        send_wave(d);
}

static void sysop_done(fq_store_op *op, int status, const char *message)
{
    sysop *s = (sysop *)op;
    fq_dispatch *d = s->dispatch;
    (void)message;
    if (status == FQ_EREJECTED)
        fq_log(FQ_LOG_ERROR, "dispatch", "%s of incident %" PRIu64 " refused: %s", s->kind,
               s->incident_id, op->error);
    if (status == FQ_OK)
        deliver(d, &s->outbox, result_text(op, 0), s->incident_id);
    /* Not stored (database away): the decision stands in memory, so it is
     * tried again until it is written. */
    s->failed = status != FQ_OK && status != FQ_EREJECTED;
    if (--d->wave_left == 0)
        wave_done(d);
}

static void on_retry(uv_timer_t *timer)
{
    send_wave(timer->data);
}

static sysop *new_sysop(fq_dispatch *d, uint64_t incident_id, const char *kind)
{
    sysop *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->dispatch = d;
    s->incident_id = incident_id;
    /* Retries of this write carry the same nonce: applied once at most. */
    uint64_t nonce;
    randombytes_buf(&nonce, sizeof nonce);
    s->nonce = (int64_t)((nonce & (uint64_t)INT64_MAX) | 1);
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    return s;
}

/* Builds the set's statement parameters. Out of memory the set is emptied:
 * the statement writes its event without items. */
static void outbox_params(fq_outbox_set *set)
{
    if (fq_outbox_params(set) != 0)
        fq_outbox_free(set);
}

/* `set`: the outbox items the event leaves (taken over; NULL for none).
 * `breached`: the limits (bits 1 acknowledge, 2 conclude) this event records
 * as breached for good, so a restart does not fire them again; 4 marks a
 * supervision order that passed unanswered (the console's overdue_limits). */
static void write_event(fq_dispatch *d, uint64_t incident_id, const char *kind,
                        const char *reason_code, const char *reason, int breached,
                        int supervision_over, fq_outbox_set *set)
{
    sysop *s = new_sysop(d, incident_id, kind);
    if (s == NULL) {
        if (set)
            fq_outbox_free(set);
        return;
    }
    if (set) {
        s->outbox = *set;
        fq_outbox_init(set);
    }
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    outbox_params(&s->outbox);
    s->params.event = (fq_event_params){.incident_id = incident_id,
                                        .kind = s->kind,
                                        .reason = s->reason,
                                        .reason_code = reason_code,
                                        .breached = breached,
                                        .supervision_over = supervision_over,
                                        .nonce = s->nonce,
                                        .outbox = &s->outbox};
    fq_event_params_bind(&s->params.event, &s->op);
    submit_sysop(d, s);
}

static void write_reroute(fq_dispatch *d, const fq_case *c, const char *kind,
                          const char *reason_code, const char *reason, fq_outbox_set *set)
{
    const fq_snapshot *snap = d->current;
    const fq_decision *dec = &c->decision;
    sysop *s = new_sysop(d, c->incident_id, kind);
    if (s == NULL) {
        fq_outbox_free(set);
        return;
    }
    s->outbox = *set;
    fq_outbox_init(set);
    format_decision(snap, dec, &s->route);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    s->outcome_len = pack_outcome(snap, dec, 0, s->outcome, sizeof s->outcome);
    outbox_params(&s->outbox);
    s->params.reroute = (fq_reroute_params){.incident_id = c->incident_id,
                                            .route = &s->route,
                                            .event_kind = s->kind,
                                            .reason = s->reason,
                                            .reason_code = reason_code,
                                            .outcome = s->outcome,
                                            .outcome_len = s->outcome_len,
                                            .nonce = s->nonce,
                                            .outbox = &s->outbox};
    fq_reroute_params_bind(&s->params.reroute, &s->op);
    submit_sysop(d, s);
}

/* ---- escalation ---- */

/* Applies a plan of caseplan.h to the case: a new decision takes its
 * capacity and restarts the limits; the event and the items go to the store
 * in the order decided (the items are delivered after the commit). */
static void apply_plan(fq_dispatch *d, fq_case *c, fq_case_plan *p)
{
    d->stats.warnings += (uint64_t)p->warnings;
    d->stats.escalations += (uint64_t)p->escalations;
    d->stats.breaches_at_top += (uint64_t)p->breaches_at_top;
    d->stats.moved_absent += (uint64_t)p->moved_absent;
    if (p->end_supervision)
        c->supervision_ms = 0;
    switch (p->write) {
    case FQ_PLAN_NOTHING:
        break;
    case FQ_PLAN_EVENT:
        write_event(d, c->incident_id, p->kind, p->reason_code, p->reason, p->breached,
                    p->supervision_over, &p->outbox);
        break;
    case FQ_PLAN_REROUTE: {
        const fq_routing *r = d->current->routing;
        if (c->decision.worker >= 0 && c->request.n_excluded < FQ_ROUTE_MAX_EXCLUDED)
            c->request.excluded[c->request.n_excluded++] = c->decision.worker;
        fq_route_release(r->router, &c->decision);
        fq_route_apply(r->router, &p->to);
        c->decision = p->to;
        c->assignment = FQ_ASSIGNMENT_ASSIGNED;
        c->escalations++;
        new_limits(d, c, ALL_LIMITS);
        schedule_deadlines(d, c);
        write_reroute(d, c, p->kind, p->reason_code, p->reason, &p->outbox);
        break;
    }
    }
    fq_plan_free(p);
}

/* `limit`: the limit that passed (FQ_PLAN_BREACHED_*), or 0; `reason_code`:
 * why, for machines (FQ_REASON_*). */
static void escalate(fq_dispatch *d, fq_case *c, const char *why, int limit,
                     const char *reason_code)
{
    fq_case_plan plan;
    fq_plan_escalate(&d->current->world, c, why, limit, reason_code, wall_ms(), &plan);
    apply_plan(d, c, &plan);
}

static void move_on(fq_dispatch *d, fq_case *c, const char *why)
{
    fq_case_plan plan;
    fq_plan_move_on(&d->current->world, c, why, wall_ms(), &plan);
    apply_plan(d, c, &plan);
}

static void on_deadline(fq_dispatch *d, const fq_deadline *due)
{
    fq_case *c = fq_caseload_find(d->cases, due->key);
    if (c == NULL || due->kind < 1 || due->kind > FQ_CASE_DEADLINES || c->deadline != due->id)
        return; /* stale: the case closed or was re-decided */
    if (c->busy) {
        /* A terminal's action on it is being stored: decide after it. */
        c->deadline = fq_deadlines_add(d->deadlines, mono_ms(d) + 50, c->incident_id, due->kind);
        c->deadline_kind = c->deadline != 0 ? (uint8_t)due->kind : 0;
        return;
    }
    fq_case_fired(c, due->kind);
    fq_case_plan plan;
    fq_plan_deadline(&d->current->world, c, due->kind, wall_ms(), &plan);
    apply_plan(d, c, &plan);
    /* One limit of a case is pending at a time (caseload.h): the next one,
     * unless the plan gave the case new limits (scheduled already). */
    c = fq_caseload_find(d->cases, due->key);
    if (c != NULL && c->deadline == 0)
        fq_case_schedule(c, d->deadlines);
}

static void on_timer(uv_timer_t *timer)
{
    fq_dispatch *d = timer->data;
    if (d->current == NULL || d->current->routing == NULL)
        return;
    /* A burst of due deadlines is served a budget at a time: the timer is
     * re-armed at once and I/O runs in between. */
    size_t n =
        fq_deadlines_pop_due(d->deadlines, mono_ms(d), d->due, (size_t)d->config.deadline_budget);
    for (size_t i = 0; i < n; i++)
        on_deadline(d, &d->due[i]);
    rearm(d);
}

static void rearm(fq_dispatch *d)
{
    if (d->stopped)
        return;
    if (d->passive) {
        uv_timer_stop(&d->timer);
        return;
    }
    int64_t next = fq_deadlines_next_due(d->deadlines);
    if (next == INT64_MAX) {
        uv_timer_stop(&d->timer);
        return;
    }
    int64_t wait = next - mono_ms(d);
    uv_timer_start(&d->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

/* ---- install ---- */

static int32_t unit_in(const fq_org *from, const fq_org *to, int32_t unit)
{
    return unit >= 0 ? fq_org_find(to, fq_org_id(from, unit)) : -1;
}

static int32_t worker_in(const fq_routing *from, const fq_routing *to, int32_t w)
{
    return w >= 0 ? fq_roster_find_worker(to->roster, fq_roster_worker_id(from->roster, w)) : -1;
}

static int32_t handler_in(const fq_routing *from, const fq_routing *to, int32_t h)
{
    return h >= 0 ? fq_roster_find_handler(to->roster, fq_roster_handler_id(from->roster, h)) : -1;
}

/* Re-expresses a request and decision of one snapshot in another's indices
 * (ids are stable; indices are not). Category by code. */
static void translate(const fq_snapshot *from, const fq_snapshot *to, fq_route_request *req,
                      fq_decision *dec)
{
    const fq_org *fo = org_of(from), *tor = org_of(to);
    const fq_routing *fr = from->routing, *tr = to->routing;
    req->category = fq_taxonomy_find(tr->taxonomy, fq_taxonomy_code(fr->taxonomy, req->category));
    req->place = unit_in(fo, tor, req->place);
    req->fallback_place = unit_in(fo, tor, req->fallback_place);
    int n = 0;
    for (int i = 0; i < req->n_excluded; i++) {
        int32_t w = worker_in(fr, tr, req->excluded[i]);
        if (w >= 0)
            req->excluded[n++] = w;
    }
    req->n_excluded = n;
    dec->grid = unit_in(fo, tor, dec->grid);
    dec->village = unit_in(fo, tor, dec->village);
    dec->town = unit_in(fo, tor, dec->town);
    dec->district = unit_in(fo, tor, dec->district);
    dec->lead = handler_in(fr, tr, dec->lead);
    dec->worker = worker_in(fr, tr, dec->worker);
    int m = 0;
    for (int i = 0; i < dec->n_co; i++) {
        int32_t h = handler_in(fr, tr, dec->co[i]);
        if (h >= 0)
            dec->co[m++] = h;
    }
    dec->n_co = (uint8_t)m;
}

/* The last reporting node looked up, and its jurisdiction: most incidents
 * come from a few reporting nodes, so the previous row's answer is usually
 * this row's. Its name points into the result being read: one per result. */
typedef struct reporter_cache {
    const char *node;
    int32_t jurisdiction;
} reporter_cache;

/* A stored case (case_rows.h) into a case of `snap`: its routing request
 * and its decision as stored (limits as stored, not yet adjusted). -1 when
 * the row cannot be a case here (a category or tier this snapshot does not
 * know). */
static int case_from_row(const fq_snapshot *snap, const fq_case_row *row, fq_case *c,
                         reporter_cache *reporter)
{
    const fq_routing *r = snap->routing;
    const fq_org *org = org_of(snap);
    fq_route_request *req = &c->request;
    fq_route_request_init(req);
    req->category = fq_taxonomy_find(r->taxonomy, row->category);
    req->severity = row->severity;
    req->risk = row->risk;
    req->place = row->place_unit[0] != '\0' ? fq_org_find(org, row->place_unit) : -1;
    req->has_location = row->has_location;
    req->lon = row->lon;
    req->lat = row->lat;
    if (reporter->node == NULL || strcmp(row->reporter_node, reporter->node) != 0) {
        const fq_node *node = fq_directory_find(snap->directory, row->reporter_node);
        reporter->node = row->reporter_node;
        reporter->jurisdiction = node ? node->jurisdiction : -1;
    }
    req->fallback_place = reporter->jurisdiction;
    fq_decision *dec = &c->decision;
    memset(dec, 0, sizeof *dec);
    dec->status = FQ_ROUTE_ASSIGNED;
    dec->tier = (uint8_t)row->tier;
    dec->line = (uint8_t)row->line;
    int32_t territory = row->territory[0] != '\0' ? fq_org_find(org, row->territory) : -1;
    dec->grid = dec->village = dec->town = dec->district = -1;
    for (int32_t u = territory; u >= 0; u = fq_org_parent(org, u)) {
        fq_unit_kind kind = fq_org_kind(org, u);
        *(kind == FQ_UNIT_GRID      ? &dec->grid
          : kind == FQ_UNIT_VILLAGE ? &dec->village
          : kind == FQ_UNIT_TOWN    ? &dec->town
                                    : &dec->district) = u;
    }
    /* At village tier the lead is the village's unit (not sent). */
    dec->lead = row->lead[0] != '\0' ? fq_roster_find_handler(r->roster, row->lead)
                : dec->village >= 0  ? fq_roster_village(r->roster, dec->village)
                                     : -1;
    dec->worker = row->worker[0] != '\0' ? fq_roster_find_worker(r->roster, row->worker) : -1;
    for (int i = 0; i < row->n_co && dec->n_co < FQ_ROUTE_MAX_CO; i++) {
        int32_t h = fq_roster_find_handler(r->roster, row->co[i]);
        if (h >= 0)
            dec->co[dec->n_co++] = h;
    }
    const char *assignment = row->assignment;
    c->assignment = strcmp(assignment, "acknowledged") == 0 ? FQ_ASSIGNMENT_ACKNOWLEDGED
                    : strcmp(assignment, "extension_requested") == 0
                        ? FQ_ASSIGNMENT_EXTENSION_REQUESTED
                    : strcmp(assignment, "returned") == 0 ? FQ_ASSIGNMENT_RETURNED
                                                          : FQ_ASSIGNMENT_ASSIGNED;
    c->extension_ms = row->extension_ms;
    dec->ack_warn_ms = row->ack_warn_ms;
    dec->ack_due_ms = row->ack_due_ms;
    dec->conclude_warn_ms = row->conclude_warn_ms;
    dec->conclude_due_ms = row->conclude_due_ms;
    c->escalations = (uint8_t)row->escalations;
    /* Reported at: the time limits of a re-decision count from it. */
    req->now_ms = row->recorded_ms;
    /* When it happened (never after intake): the duplicate window counts
     * from it. */
    c->incident_at_ms = row->incident_at_ms != 0 ? row->incident_at_ms : req->now_ms;
    /* The basis its limits were computed in: extensions, pauses and
     * re-decisions keep counting the same way. */
    dec->working_time = row->working_time != 0;
    c->suspended_ms = row->suspended_ms;
    /* The tiers it climbed stand until the next re-decision: an approved
     * extension or a resumption writes the decision back with them. */
    dec->climbed = (uint8_t)row->climbed;
    c->mediation = (uint8_t)fq_mediation_state_parse(row->mediation);
    return req->category >= 0 && dec->tier >= FQ_TIER_VILLAGE && dec->tier <= FQ_TIER_DISTRICT ? 0
                                                                                               : -1;
}

/* A stored open case (a row of the open incidents, or a standby's
 * catch-up) into the caseload, with its deadlines and its place in the
 * duplicate index, as `snap` names things; the deadline timer is not
 * re-armed. NULL when it cannot be a case here (or out of memory, or it is
 * in already). */
static fq_case *take_in_case(fq_dispatch *d, const fq_snapshot *snap, const fq_case_row *row,
                             int64_t now, int64_t mono, reporter_cache *reporter)
{
    fq_case *c = fq_caseload_add(d->cases, row->id);
    if (c == NULL)
        return NULL;
    if (case_from_row(snap, row, c, reporter) != 0) {
        fq_caseload_remove(d->cases, row->id);
        return NULL;
    }
    fq_route_request *req = &c->request;
    fq_decision *dec = &c->decision;
    fq_case_new_limits(c, now, mono, ALL_LIMITS);
    /* Breaches on record (this holder's: a re-decision clears them) are
     * not fired again, nor their warnings; warnings already behind us
     * are not repeated after a restart. */
    const int breached = row->breached;
    /* A suspended case's clocks stopped when it was suspended: a warning
     * still ahead then is still to come after its resumption. */
    const int64_t passed = c->suspended_ms != 0 ? c->suspended_ms : now;
    if (breached & 1 || dec->ack_warn_ms <= passed)
        c->fired |= 1u << (FQ_DEADLINE_ACK_WARNING - 1);
    if (breached & 1)
        c->fired |= 1u << (FQ_DEADLINE_ACK_DUE - 1);
    if (breached & 2 || dec->conclude_warn_ms <= passed)
        c->fired |= 1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1);
    if (breached & 2)
        c->fired |= 1u << (FQ_DEADLINE_CONCLUDE_DUE - 1);
    /* fq_case_schedule for a new case (none to cancel), without
     * re-arming the timer per row: fq_dispatch_install arms it once. */
    c->supervision_ms = row->supervision_ms;
    fq_case_schedule(c, d->deadlines);
    fq_dedup_add(d->dedup, row->id, req->category, req->has_location, req->lon, req->lat,
                 fq_items_territory(dec), dec->town, c->incident_at_ms);
    return c;
}

/* ---- the open incidents' memory, faulted in ahead ----
 *
 * A million open cases are ~0.5 GB of fresh memory, and on the machines
 * measured the kernel spent about as long allocating and zeroing its pages
 * (at the first write of each) as the loop spent filling them: ~40 % of
 * the server's CPU to ready, all of it on the loop. Once the tables are
 * sized for the load, a thread of libuv's pool faults in (fq_populate)
 * what the load will write, a slice of every table at a time in the order
 * the loop fills them, so that the loop finds its pages ready while
 * PostgreSQL and the loader keep the other core busy. The thread only asks
 * the kernel for pages by address: it reads and writes nothing of the
 * domain state, which stays the loop's alone. Where the loop catches up,
 * it faults its pages itself as before; nothing depends on the thread. */
#define PREFETCH_AHEAD 8
#define PREFAULT_SPANS 64
#define PREFAULT_SLICES 128

typedef struct prefault {
    uv_work_t work;
    atomic_int stop; /* the dispatch is done with the memory: stop at once */
    fq_dispatch *d;  /* NULL once detached (fq_dispatch_free) */
    fq_span spans[PREFAULT_SPANS];
    size_t n;
} prefault;

static void prefault_run(uv_work_t *work)
{
    prefault *pf = work->data;
    for (size_t slice = 0; slice < PREFAULT_SLICES; slice++) {
        for (size_t i = 0; i < pf->n; i++) {
            if (atomic_load_explicit(&pf->stop, memory_order_relaxed))
                return;
            size_t a = pf->spans[i].size * slice / PREFAULT_SLICES;
            size_t b = pf->spans[i].size * (slice + 1) / PREFAULT_SLICES;
            if (b > a && fq_populate((char *)pf->spans[i].p + a, b - a) != 0 && slice == 0)
                return; /* not supported: the loop faults its pages as before */
        }
    }
}

static void prefault_done(uv_work_t *work, int status)
{
    (void)status;
    prefault *pf = work->data;
    if (pf->d != NULL)
        pf->d->prefault = NULL;
    free(pf);
}

/* Stops the thread (the memory is about to change hands): it finishes the
 * range it is at and frees itself on the loop. */
static void prefault_stop(fq_dispatch *d)
{
    if (d->prefault == NULL)
        return;
    atomic_store(&d->prefault->stop, 1);
    d->prefault->d = NULL;
    d->prefault = NULL;
}

/* The next n adds' fresh memory in the caseload, the deadlines and the
 * duplicate index (sized for them already), faulted in on the pool. */
static void prefault_start(fq_dispatch *d, size_t n)
{
    if (d->prefault != NULL || n < FQ_OPEN_CHUNK_ROWS)
        return;
    prefault *pf = calloc(1, sizeof *pf);
    if (pf == NULL)
        return;
    pf->n = fq_caseload_ahead(d->cases, n, pf->spans, PREFAULT_SPANS - 7);
    pf->n += fq_deadlines_ahead(d->deadlines, n, pf->spans + pf->n);
    pf->n += fq_dedup_ahead(d->dedup, n, pf->spans + pf->n);
    atomic_init(&pf->stop, 0);
    pf->d = d;
    pf->work.data = pf;
    if (uv_queue_work(d->timer.loop, &pf->work, prefault_run, prefault_done) != 0) {
        free(pf);
        return;
    }
    d->prefault = pf;
}

/* A chunk of the open incidents as stored: their cases, deadlines and
 * duplicate index, as `snap` names things. Deadlines that passed while the
 * server was down fire at once, in order, once the snapshot is installed
 * (the timer is armed then). */
static void load_open_chunk(fq_dispatch *d, const fq_snapshot *snap, const fq_case_row *open,
                            size_t rows)
{
    /* Once per chunk, not per row. The stored limits are wall-clock times:
     * the wall clock now is the only reference there is for them (a step of
     * it while the server was down moves them all alike). */
    const int64_t now = wall_ms(), mono = mono_ms(d);
    /* Room before the rows, once for all of them when the load says how
     * many to expect (with a margin: the statistics lag behind): no table
     * then grows by doubling (a copy of all it holds, and its pages touched
     * twice). Without that, or past it, room for twice what is held. The
     * caseload is asked for each chunk besides: its index grows by doubling
     * (a power of two, filled when made: never sized for the margin) and
     * its slabs as they fill. The duplicate index and the deadlines grow by
     * exactly what they are asked for; one pending deadline a case
     * (caseload.h; room never used is address space only, not memory). Failure is
     * not fatal: the adds grow as needed. */
    size_t count = fq_caseload_count(d->cases);
    const size_t expected = d->open_expected;
    if (count == 0) {
        if (expected > 0)
            (void)fq_caseload_reserve(d->cases, expected);
        /* Nothing reads the deadlines before the install: they are put in
         * order once, then (fq_deadlines_defer). */
        fq_deadlines_defer(d->deadlines);
    }
    (void)fq_caseload_reserve(d->cases, rows);
    if (count + rows > d->open_room) {
        size_t room = 2 * (count + rows);
        room = room < 65536 ? 65536 : room;
        if (count == 0 && expected >= rows)
            room = expected + expected / 16 + FQ_OPEN_CHUNK_ROWS;
        (void)fq_dedup_reserve(d->dedup, room - count);
        (void)fq_deadlines_reserve(d->deadlines, fq_deadlines_count(d->deadlines) + room - count);
        d->open_room = room;
    }
    if (count == 0 && expected > rows)
        prefault_start(d, expected);
    reporter_cache reporter = {NULL, -1};
    for (size_t i = 0; i < rows; i++) {
        /* The two index entries a few rows on are fetched while this one
         * is taken in: random places in tables of tens of MB, a cache miss
         * each, most of what an add cost. */
        if (i + PREFETCH_AHEAD < rows) {
            fq_caseload_prefetch(d->cases, open[i + PREFETCH_AHEAD].id);
            fq_dedup_prefetch(d->dedup, open[i + PREFETCH_AHEAD].id);
        }
        (void)take_in_case(d, snap, &open[i], now, mono, &reporter);
    }
}

static void escalate(fq_dispatch *d, fq_case *c, const char *why, int limit,
                     const char *reason_code);
static void limit_gone(fq_dispatch *d, fq_case *c, int kind);
static void collect_off_duty(fq_case *c, void *user)
{
    fq_dispatch *d = user;
    const fq_routing *r = d->current->routing;
    /* A suspended case stays with its holder: only an operator moves it. */
    if (c->decision.worker < 0 || c->busy || c->suspended_ms != 0 ||
        fq_roster_worker_const(r->roster, c->decision.worker)->on_duty)
        return;
    if (d->n_moving == d->cap_moving) {
        size_t cap = d->cap_moving ? d->cap_moving * 2 : 64;
        uint64_t *grown = realloc(d->moving, cap * sizeof *grown);
        if (grown == NULL)
            return; /* they move at their next deadline instead */
        d->moving = grown;
        d->cap_moving = cap;
    }
    d->moving[d->n_moving++] = c->incident_id;
}

typedef struct carry_over {
    const fq_snapshot *from, *to;
    fq_dedup *dedup;
} carry_over;

static void carry_case(fq_case *c, void *user)
{
    carry_over *carry = user;
    translate(carry->from, carry->to, &c->request, &c->decision);
    if (carry->dedup != NULL && c->request.category >= 0)
        fq_dedup_add(carry->dedup, c->incident_id, c->request.category, c->request.has_location,
                     c->request.lon, c->request.lat, fq_items_territory(&c->decision),
                     c->decision.town, c->incident_at_ms);
}

/* An incident decided on `t->snapshot` and not yet committed, indexed for
 * duplicates under its provisional id in the terms of `to`. */
static void index_pending(fq_dedup *dedup, const fq_ticket *t, const fq_snapshot *to)
{
    fq_route_request req = t->request;
    fq_decision dec = t->decision;
    if (t->snapshot != to)
        translate(t->snapshot, to, &req, &dec);
    if (req.category >= 0)
        fq_dedup_add(dedup, t->provisional, req.category, req.has_location, req.lon, req.lat,
                     fq_items_territory(&dec), dec.town, t->incident_at_ms);
}

static fq_dedup *new_dedup(const fq_dispatch_config *config, char *err, size_t err_len)
{
    fq_dedup_config dc = {.distance_m = config->dedup_distance_m,
                          .window_ms = config->dedup_window_ms,
                          .reference_lat = 30.0,
                          .max_backdate_ms = FQ_DEDUP_DEFAULT_BACKDATE_MS};
    return fq_dedup_new(&dc, err, err_len);
}

/* Drops whatever the chunks of an unfinished open load brought: nothing
 * else is in the caseload before the first install with a routing state. */
static void void_open_load(fq_dispatch *d)
{
    if (d->loading == NULL)
        return;
    fq_snapshot_unref(d->loading);
    d->loading = NULL;
    char err[128];
    fq_caseload *cases = fq_caseload_new();
    fq_dedup *dedup = new_dedup(&d->config, err, sizeof err);
    fq_deadlines *deadlines = fq_deadlines_new(1024);
    if (cases == NULL || dedup == NULL || deadlines == NULL) {
        /* Out of memory: keep the old ones emptied case by case instead. */
        fq_caseload_free(cases);
        fq_dedup_free(dedup);
        fq_deadlines_free(deadlines);
        fq_log(FQ_LOG_ERROR, "dispatch", "out of memory voiding a failed load");
        abort(); /* the caseload would disagree with the database */
    }
    prefault_stop(d);
    fq_caseload_free(d->cases);
    fq_dedup_free(d->dedup);
    fq_deadlines_free(d->deadlines);
    d->cases = cases;
    d->dedup = dedup;
    d->deadlines = deadlines;
    d->open_room = 0;
}

void fq_dispatch_open_expected(fq_dispatch *d, size_t n)
{
    d->open_expected = n;
}

void fq_dispatch_open_rows(fq_dispatch *d, fq_snapshot *snap, const fq_case_row *rows, size_t n)
{
    if (rows == NULL) {
        void_open_load(d);
        return;
    }
    if (d->open_loaded || snap == NULL || snap->routing == NULL)
        return;
    if (d->loading != snap) {
        void_open_load(d); /* another load's chunks, never finished */
        fq_snapshot_ref(snap);
        d->loading = snap;
    }
    load_open_chunk(d, snap, rows, n);
}

/* A worker who went off duty keeps nothing: their cases move up (not on a
 * standby: the serving server does it, and a standby does it when it
 * takes over). */
static void move_off_duty(fq_dispatch *d)
{
    if (d->passive)
        return;
    fq_caseload_foreach(d->cases, collect_off_duty, d);
    for (size_t i = 0; i < d->n_moving; i++) {
        fq_case *c = fq_caseload_find(d->cases, d->moving[i]);
        if (c != NULL)
            escalate(d, c, "the handler went off duty", 0, FQ_REASON_OFF_DUTY);
    }
    d->n_moving = 0;
}

int fq_dispatch_install(fq_dispatch *d, fq_snapshot *snap)
{
    fq_snapshot *old = d->current;
    fq_snapshot_ref(snap);
    d->current = snap;
    if (snap->routing == NULL) {
        fq_snapshot_unref(old);
        return d->open_loaded;
    }
    if (old == NULL || old->routing == NULL) {
        if (d->loading == snap && !d->open_loaded) {
            d->open_loaded = 1;
            prefault_stop(d); /* done by now, or the estimate was high */
            fq_snapshot_unref(d->loading);
            d->loading = NULL;
            /* The duplicate index's expiry, loaded in bulk, is put in order
             * now rather than by the first report (fq_dedup_reserve): an
             * expiry as of 1970 drops nothing, only orders. */
            (void)fq_dedup_expire(d->dedup, 0, 1);
#ifdef __GLIBC__
            /* The load's transient memory (libpq's chunks, the tables'
             * growth) went back to malloc in pieces that glibc keeps:
             * give the free pages back, so that what stays resident is
             * the state, not the load's peak. */
            malloc_trim(0);
#endif
        } else {
            void_open_load(d); /* read with another snapshot: read again */
        }
    } else {
        /* Carry every open case over to the new indices. The duplicate
         * index keys by unit index too: rebuild it. */
        char err[128];
        fq_dedup *fresh = new_dedup(&d->config, err, sizeof err);
        carry_over carry = {old, snap, fresh};
        fq_caseload_foreach(d->cases, carry_case, &carry);
        /* Decided but not yet committed: still matchable after the reload. */
        for (fq_ticket *p = d->pending; fresh != NULL && p != NULL; p = p->hh.next)
            index_pending(fresh, p, snap);
        if (fresh != NULL) {
            prefault_stop(d);
            fq_dedup_free(d->dedup);
            d->dedup = fresh;
        }
    }
    fq_snapshot_unref(old);
    /* Workers whose terminals are silent stay off duty across reloads. */
    for (size_t i = 0; i < d->n_absent; i++) {
        int32_t w = fq_roster_find_worker(snap->routing->roster, d->absent[i]);
        if (w >= 0)
            fq_roster_worker(snap->routing->roster, w)->absent = 1;
    }
    move_off_duty(d);
    rearm(d);
    return d->open_loaded;
}

/* ---- a standby (docs/operations.md, "A standby") ---- */

void fq_dispatch_set_passive(fq_dispatch *d, int passive)
{
    if (d->passive == passive)
        return;
    d->passive = passive;
    if (passive) {
        rearm(d); /* stops the timer */
        return;
    }
    /* Serving from now on: what the serving server would have done at the
     * last reload, and every deadline that fell due meanwhile, in order. */
    if (d->current != NULL && d->current->routing != NULL)
        move_off_duty(d);
    rearm(d);
}

int fq_dispatch_passive(const fq_dispatch *d)
{
    return d->passive;
}

/* The case leaves the caseload as it does when it closes, its worker's
 * load released only when `release` (a routing state read before the
 * change counted it). */
static void drop_case(fq_dispatch *d, fq_case *c, int release)
{
    if (release && d->current != NULL && d->current->routing != NULL)
        fq_route_release(d->current->routing->router, &c->decision);
    fq_case_unschedule(c, d->deadlines);
    fq_dedup_remove(d->dedup, c->incident_id);
    fq_caseload_remove(d->cases, c->incident_id);
}

int fq_dispatch_catch_up(fq_dispatch *d, const PGresult *touched, int fresh_directory,
                         fq_dispatch_catch_up_counts *out)
{
    memset(out, 0, sizeof *out);
    fq_snapshot *snap = d->current;
    if (!d->open_loaded || snap == NULL || snap->routing == NULL)
        return -1;
    const int64_t now = wall_ms(), mono = mono_ms(d);
    const fq_routing *r = snap->routing;
    reporter_cache reporter = {NULL, -1};
    fq_case_row row;
    for (int i = 0; i < PQntuples(touched); i++) {
        if (fq_case_row_decode(touched, i, &row) != 0) {
            out->undecodable++;
            continue;
        }
        const int open = strcmp(fq_reopen_row_state(touched, i), "assigned") == 0;
        fq_case *had = fq_caseload_find(d->cases, row.id);
        const fq_catch_up_step step = fq_catch_up_step_for(had != NULL, open, fresh_directory);
        if (step.drop)
            drop_case(d, had, step.release_worker);
        fq_case *c = step.take_in ? take_in_case(d, snap, &row, now, mono, &reporter) : NULL;
        if (step.take_in && c == NULL) {
            out->dropped++;
            continue;
        }
        out->added += step.outcome == FQ_CATCH_UP_ADDED;
        out->replaced += step.outcome == FQ_CATCH_UP_REPLACED;
        out->removed += step.outcome == FQ_CATCH_UP_REMOVED;
        if (step.count_worker && c->decision.worker >= 0) {
            fq_worker *w = fq_roster_worker(r->roster, c->decision.worker);
            if (w->load < UINT16_MAX)
                w->load++;
        }
    }
    rearm(d);
    return 0;
}

fq_snapshot *fq_dispatch_current(fq_dispatch *d)
{
    return d->current;
}

const char *fq_dispatch_time_zone(fq_dispatch *d, const char *node_id, char *buf, size_t len)
{
    const fq_snapshot *snap = d != NULL ? d->current : NULL;
    const fq_node *node = snap != NULL ? fq_directory_find(snap->directory, node_id) : NULL;
    return fq_routing_time_zone(snap != NULL ? snap->routing : NULL,
                                node != NULL ? node->jurisdiction : -1, buf, len);
}

/* ---- deciding ---- */

static void fill_texts(const fq_dispatch *d, const fq_snapshot *snap, fq_ticket *t)
{
    const fq_routing *r = snap->routing;
    const fq_decision *dec = &t->decision;
    int assigned = dec->status == FQ_ROUTE_ASSIGNED;
    fq_route_params *x = &t->route;
    memset(x, 0, sizeof *x);
    /* Not assigned (merged, unroutable): the territory, no holder. */
    int32_t territory = fq_items_territory(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(org_of(snap), territory) : "");
    x->climbed = dec->climbed;
    if (t->merged_into != 0) {
        t->state = "merged";
        t->event_kind = "merged";
        t->reason_code = FQ_REASON_MERGED;
        snprintf(t->reason, sizeof t->reason,
                 "same category within %.0f m and %" PRId64 " min of open incident %" PRIu64
                 ": one more report on it, not dispatched again",
                 d->config.dedup_distance_m, d->config.dedup_window_ms / 60000, t->merged_into);
    } else if (assigned) {
        t->state = "assigned";
        t->event_kind = "assigned";
        t->reason_code = fq_items_decision_reason(dec);
        format_decision(snap, dec, x);
        char by[64];
        if (dec->rule_source != 0)
            snprintf(by, sizeof by, "by rule %u of set %u", dec->rule_source, r->rule_set);
        else
            snprintf(by, sizeof by, "by the built-in principle");
        snprintf(t->reason, sizeof t->reason, "%s%s: %s tier, %s line%s%s%s",
                 dec->overridden ? "operator's choice; " : "", by, fq_tier_name((fq_tier)dec->tier),
                 fq_line_name((fq_line)dec->line),
                 dec->climbed ? "; climbed because nobody lower could take it" : "",
                 dec->unplaced ? "; its coordinates lie in no grid: placed at the reporter's "
                                 "jurisdiction"
                               : "",
                 dec->n_co ? "; joint operation" : "");
    } else {
        t->state = "unroutable";
        t->event_kind = "unroutable";
        t->reason_code = FQ_REASON_NO_HANDLER;
        snprintf(t->reason, sizeof t->reason,
                 "no handling unit from the entry tier up: the topology has a gap here");
    }
    t->outcome_len = pack_outcome(snap, dec, t->merged_into, t->outcome, sizeof t->outcome);
}

/* Merged or unroutable: only the town's feed hears of it. */
static void add_feed_items(fq_ticket *t, const fq_node *reporter, const char *title,
                           const char *address, const char *external_ref)
{
    const fq_route_request *req = &t->request;
    fq_item_buf b;
    fq_item_event ev = fq_items_server_event(t->event_kind, t->reason_code, t->reason);
    ev.state = t->state;
    ev.assignment = "";
    ev.merged_into = t->merged_into;
    ev.reporter = reporter;
    ev.external_ref = external_ref;
    fq_items_for(&t->snapshot->world, req, &t->decision, &ev, &b);
    /* A merged report is nobody's to handle (the open one it joined is). */
    b.it.holder_unit = b.it.holder_unit_name = b.it.holder_worker = b.it.holder_worker_name = "";
    b.it.tier = FENGQIAO__V1__TIER__TIER_UNSPECIFIED;
    b.it.line = FENGQIAO__V1__LINE__LINE_UNSPECIFIED;
    b.it.n_co_units = b.it.n_co_unit_names = 0;
    b.it.title = (char *)title;
    b.it.address = (char *)address;
    snprintf(b.text, sizeof b.text, "%s: %s", t->event_kind, t->reason);
    fq_items_follow(&t->outbox, &t->snapshot->world,
                    req->place >= 0 ? req->place : req->fallback_place, &b.it, 1);
    outbox_params(&t->outbox); /* out of memory: no items, the report still counts */
}

int fq_dispatch_decide(fq_dispatch *d, fq_snapshot *snap, const fq_node *reporter,
                       const Fengqiao__V1__ReportIncident *report, int32_t place, int64_t now_ms,
                       fq_ticket *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing rules are not loaded; retry later");
        return FQ_EUNAVAILABLE;
    }
    const fq_routing *r = snap->routing;
    fq_route_request *req = &t->request;
    int rc = fq_plan_report_request(&snap->world, snap->directory, reporter, report, place, now_ms,
                                    req, err, err_len);
    if (rc != FQ_OK)
        return rc;
    int routed = fq_route(r->router, req, &t->decision);
    t->incident_at_ms = fq_dedup_incident_time(report->occurred_at_ms, now_ms);
    if (routed == FQ_OK) {
        uint64_t twin = fq_dedup_find(d->dedup, req->category, req->has_location, req->lon,
                                      req->lat, fq_items_territory(&t->decision), t->decision.town,
                                      t->incident_at_ms, now_ms);
        /* The open one as it is handled now, in this snapshot's terms:
         * committed (a case), or decided and on its way to the database. */
        fq_decision open;
        int found = 0;
        fq_ticket *pending = NULL;
        if (twin & FQ_DISPATCH_PROVISIONAL) {
            HASH_FIND(hh, d->pending, &twin, sizeof twin, pending);
            if (pending != NULL) {
                fq_route_request ignored = pending->request;
                open = pending->decision;
                if (pending->snapshot != snap)
                    translate(pending->snapshot, snap, &ignored, &open);
                found = 1;
            }
        } else if (twin != 0) {
            const fq_case *c = fq_caseload_find(d->cases, twin);
            if (c != NULL) {
                open = c->decision;
                found = 1;
            }
        }
        /* Not open any more (concluded), or a graver report of the same
         * matter: dispatched on its own, not merged. One more report on an
         * open matter is not dispatched again (fq_plan_merge). */
        fq_decision merged;
        if (!found || !fq_plan_merge(&t->decision, &open, &merged))
            twin = 0;
        if (twin != 0) {
            t->decision = merged;
            t->merged_into = twin;
            t->waiting_for = pending; /* its incident id comes with its commit */
        } else {
            fq_route_apply(r->router, &t->decision);
            t->applied = 1;
            /* Matchable at once, before its commit: the next report of the
             * same matter may arrive while this one is still in flight. */
            t->provisional = FQ_DISPATCH_PROVISIONAL | ++d->next_provisional;
            HASH_ADD(hh, d->pending, provisional, sizeof t->provisional, t);
            fq_dedup_add(d->dedup, t->provisional, req->category, req->has_location, req->lon,
                         req->lat, fq_items_territory(&t->decision), t->decision.town,
                         t->incident_at_ms);
        }
    }
    fq_snapshot_ref(snap);
    t->snapshot = snap;
    t->nonce = (int64_t)(d->next_nonce & (uint64_t)INT64_MAX);
    d->next_nonce += 2;
    fq_outbox_init(&t->outbox);
    if (t->waiting_for != NULL)
        return FQ_OK; /* texts and items once the open one's id is known */
    fill_texts(d, snap, t);
    if (t->merged_into == 0 && t->decision.status == FQ_ROUTE_ASSIGNED) {
        fq_item_event ev = fq_items_server_event(t->event_kind, t->reason_code, t->reason);
        ev.decided = 1;
        ev.reporter = reporter;
        ev.external_ref = report->external_ref;
        fq_items_routing(&t->outbox, &snap->world, req, &t->decision, NULL, t->reason, report, &ev);
        outbox_params(&t->outbox); /* out of memory: no items, the report still counts */
    } else {
        add_feed_items(t, reporter, report->title, report->address, report->external_ref);
    }
    return FQ_OK;
}

void fq_dispatch_bind(fq_ticket *t, fq_report_params *p, fq_store_op *op)
{
    t->params = p;
    p->state = t->state;
    p->event_kind = t->event_kind;
    p->reason = t->reason;
    p->reason_code = t->reason_code;
    p->route = &t->route;
    p->merged_into = t->merged_into;
    p->rule_set = t->snapshot->routing->rule_set;
    p->rule_source = t->decision.rule_source;
    p->unplaced = t->decision.unplaced;
    p->outcome = t->outcome;
    p->outcome_len = t->outcome_len;
    p->nonce = t->nonce;
    p->outbox = &t->outbox;
    fq_report_params_bind(p, op);
}

static void undo(fq_ticket *t)
{
    if (t->applied && t->snapshot->routing != NULL)
        fq_route_release(t->snapshot->routing->router, &t->decision);
    t->applied = 0;
}

void fq_dispatch_submit(fq_dispatch *d, fq_ticket *t, fq_store_op *op)
{
    t->op = op;
    if (t->waiting_for != NULL) {
        /* Sent when the open one it duplicates has committed. */
        t->next_waiter = t->waiting_for->waiters;
        t->waiting_for->waiters = t;
        return;
    }
    fq_store_submit(d->store, op);
}

/* The uncommitted incident `t` is stored as `incident_id`, or (0) was not:
 * its duplicates waiting for it go to the store merged into it, or are
 * answered "not stored, retry" (decided afresh when resent). */
static void release_waiters(fq_dispatch *d, fq_ticket *t, uint64_t incident_id)
{
    fq_ticket *w = t->waiters;
    t->waiters = NULL;
    while (w != NULL) {
        fq_ticket *next = w->next_waiter;
        w->next_waiter = NULL;
        w->waiting_for = NULL;
        if (incident_id != 0) {
            w->merged_into = incident_id;
            fill_texts(d, w->snapshot, w);
            /* The report's own title, address and external reference,
             * as the intake put them in its statement's parameters. */
            fq_report_params *p = w->params;
            add_feed_items(w, fq_directory_find(w->snapshot->directory, p->node), p->title,
                           p->address, p->external_ref ? p->external_ref : "");
            fq_dispatch_bind(w, p, w->op);
            fq_store_submit(d->store, w->op);
        } else {
            /* Undone by the callback (fq_dispatch_dropped); the intake may
             * free w there, so nothing of it is touched after. */
            w->op->done(w->op, FQ_EBUSY,
                        "the report it duplicates was not stored (its decision is undone)");
        }
        w = next;
    }
}

/* An uncommitted incident is settled: out of the pending table and (unless
 * it became `incident_id`) out of the duplicate index. */
static void settle_pending(fq_dispatch *d, fq_ticket *t, uint64_t incident_id)
{
    if (t->provisional == 0)
        return;
    HASH_DELETE(hh, d->pending, t);
    if (incident_id == 0)
        fq_dedup_remove(d->dedup, t->provisional);
    t->provisional = 0;
}

void fq_dispatch_stored(fq_dispatch *d, fq_ticket *t, uint64_t incident_id, int created,
                        const char *outbox_seqs)
{
    if (created)
        deliver(d, &t->outbox, outbox_seqs, incident_id);
    fq_outbox_free(&t->outbox);
    /* The incident its waiting duplicates merge into (0: none, they retry). */
    uint64_t open_id = 0;
    if (!created) {
        undo(t);
    } else if (t->merged_into != 0) {
        d->stats.merged++;
    } else if (t->decision.status != FQ_ROUTE_ASSIGNED) {
        d->stats.unroutable++;
    } else {
        d->stats.routed[t->decision.tier]++;
        d->stats.unplaced += t->decision.unplaced;
        fq_case *c = fq_caseload_add(d->cases, incident_id);
        if (c != NULL) {
            c->request = t->request;
            c->decision = t->decision;
            if (t->snapshot != d->current && d->current->routing != NULL) {
                /* Decided on the snapshot before a reload: carry it over. */
                translate(t->snapshot, d->current, &c->request, &c->decision);
                fq_route_apply(d->current->routing->router, &c->decision);
            }
            new_limits(d, c, ALL_LIMITS);
            schedule_deadlines(d, c);
            c->incident_at_ms = t->incident_at_ms;
            /* Indexed since its decision under its provisional id (in the
             * current snapshot's terms since any reload): now by its id. */
            if (fq_dedup_rekey(d->dedup, t->provisional, incident_id) != FQ_OK)
                fq_dedup_add(d->dedup, incident_id, c->request.category, c->request.has_location,
                             c->request.lon, c->request.lat, fq_items_territory(&c->decision),
                             c->decision.town, c->incident_at_ms);
            open_id = incident_id;
        }
    }
    settle_pending(d, t, open_id);
    release_waiters(d, t, open_id);
    fq_snapshot_unref(t->snapshot);
    t->snapshot = NULL;
}

void fq_dispatch_dropped(fq_dispatch *d, fq_ticket *t)
{
    fq_outbox_free(&t->outbox);
    if (t->waiting_for != NULL) {
        /* Dropped while waiting: out of the list of the one it waits for. */
        fq_ticket **p = &t->waiting_for->waiters;
        while (*p != NULL && *p != t)
            p = &(*p)->next_waiter;
        if (*p == t)
            *p = t->next_waiter;
        t->waiting_for = NULL;
    }
    if (t->snapshot == NULL)
        return;
    undo(t);
    settle_pending(d, t, 0);
    release_waiters(d, t, 0);
    fq_snapshot_unref(t->snapshot);
    t->snapshot = NULL;
}

/* ---- terminal actions ---- */

static void act_release(fq_action_ticket *t)
{
    free(t->reopened);
    t->reopened = NULL;
    fq_outbox_free(&t->outbox);
    free(t->note);
    free(t->result);
    free(t->mediation_record);
    t->note = t->result = t->mediation_record = NULL;
    fq_snapshot_unref(t->snapshot);
    t->snapshot = NULL;
}

int fq_dispatch_act(fq_dispatch *d, const fq_node *actor, const Fengqiao__V1__AssignmentAction *a,
                    int64_t now_ms, fq_action_ticket *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    fq_snapshot *snap = d->current;
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing state is not loaded; retry later");
        return FQ_EUNAVAILABLE;
    }
    const fq_routing *r = snap->routing;
    fq_case *c = fq_caseload_find(d->cases, a->incident_id);
    fq_action_plan p;
    int rc = fq_plan_action(&snap->world, c, actor, a, now_ms, &p, err, err_len);
    if (p.answer != NULL)
        snprintf(t->answer, sizeof t->answer, "%s", p.answer);
    t->already_done = p.already_done;
    if (rc != FQ_OK)
        return rc;
    /* The plan as the statement's texts (FQ_SQL_ACTION), the new decision's
     * capacity taken now: a later report must see it. */
    t->incident_id = a->incident_id;
    t->action = p.action;
    t->next_state = p.next_state;
    t->supervision_ms = p.supervision_reply ? -1 : 0; /* a reply: cleared */
    snprintf(t->kind, sizeof t->kind, "%s", p.kind);
    snprintf(t->expected, sizeof t->expected, "%s", fq_assignment_state_name(p.from));
    snprintf(t->worker, sizeof t->worker, "%s", fq_items_worker_id(r->roster, c->decision.worker));
    snprintf(t->lead, sizeof t->lead, "%s", fq_items_handler_id(r->roster, c->decision.lead));
    snprintf(t->state, sizeof t->state, "%s", p.concludes ? "concluded" : "assigned");
    t->reason_code = p.reason_code;
    t->note = strdup(p.note);
    t->result = p.concludes ? strdup(a->note) : NULL;
    if (t->note == NULL || (p.concludes && t->result == NULL)) {
        fq_action_plan_free(&p);
        act_release(t);
        snprintf(err, err_len, "out of memory");
        return FQ_EBUSY;
    }
    t->concludes = p.concludes;
    if (p.action == FQ_ACTION_EXTEND)
        t->extend_to_ms = p.extend_to_ms;
    if (p.rerouted) {
        t->rerouted = 1;
        t->decision = p.decision;
        fq_route_apply(r->router, &t->decision);
        t->applied = 1;
        t->recount = 1; /* a re-decision, like an escalation */
        format_decision(snap, &t->decision, &t->route);
    }
    snprintf(t->assignment, sizeof t->assignment, "%s", fq_assignment_state_name(t->next_state));
    t->outbox = p.outbox;
    outbox_params(&t->outbox);
    fq_snapshot_ref(snap);
    t->snapshot = snap;
    c->busy = 1;
    return FQ_OK;
}

void fq_dispatch_act_bind(fq_action_ticket *t, fq_action_params *p, fq_store_op *op)
{
    int suspend = t->command == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND;
    int resume = t->command == FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME;
    p->incident_id = t->incident_id;
    p->kind = t->kind;
    p->note = t->note;
    p->expected_state = t->expected_state[0] ? t->expected_state : NULL;
    p->expected_assignment = t->expected;
    p->expected_worker = t->worker;
    p->expected_lead = t->lead;
    p->assignment = t->assignment;
    p->state = t->state;
    p->result = t->result;
    p->extension_ms = t->extend_to_ms;
    p->route = t->rerouted ? &t->route : NULL;
    p->answer = t->answer;
    p->recount = t->recount;
    p->merged_into = t->merge_into;
    /* A supervision order set, or (a reply) cleared. */
    p->supervision = t->supervision_ms > 0   ? FQ_PARAM_SET
                     : t->supervision_ms < 0 ? FQ_PARAM_CLEAR
                                             : FQ_PARAM_KEEP;
    p->supervision_ms = t->supervision_ms;
    p->suspension = suspend ? FQ_PARAM_SET : resume ? FQ_PARAM_CLEAR : FQ_PARAM_KEEP;
    p->suspend_ms = t->suspend_ms;
    p->suspend_reason = suspend ? t->note : NULL;
    p->reason_code = t->reason_code;
    p->mediation_record = t->mediation_record;
    p->outbox = &t->outbox;
    fq_action_params_bind(p, op);
}

/* The limit of `kind` no longer applies (the case's state already says
 * so: acknowledged, the order replied to): if it is the one pending, the
 * case's next limit takes its place. */
static void limit_gone(fq_dispatch *d, fq_case *c, int kind)
{
    if (c->deadline_kind == kind)
        fq_case_schedule(c, d->deadlines);
}

/* The case is closed (concluded, merged): its capacity, deadlines and
 * duplicate entry go with it. */
static void close_case(fq_dispatch *d, fq_case *c)
{
    if (d->current != NULL && d->current->routing != NULL)
        fq_route_release(d->current->routing->router, &c->decision);
    fq_case_unschedule(c, d->deadlines);
    fq_dedup_remove(d->dedup, c->incident_id);
    fq_caseload_remove(d->cases, c->incident_id);
}

static void command_applied(fq_dispatch *d, fq_case *c, fq_action_ticket *t, int same);

void fq_dispatch_act_done(fq_dispatch *d, fq_action_ticket *t, int applied, const char *outbox_seqs)
{
    if (t->reopened != NULL) {
        int same = t->snapshot == d->current && d->current->routing != NULL;
        fq_case *c = applied && same ? fq_caseload_add(d->cases, t->incident_id) : NULL;
        if (c != NULL) {
            *c = *t->reopened;
            c->deadline = 0;
            c->deadline_kind = 0;
            c->incident_id = t->incident_id;
            c->decision = t->decision;
            c->assignment = FQ_ASSIGNMENT_ASSIGNED;
            c->extension_ms = c->supervision_ms = 0;
            c->escalations++;
            new_limits(d, c, ALL_LIMITS);
            schedule_deadlines(d, c);
            fq_dedup_add(d->dedup, c->incident_id, c->request.category, c->request.has_location,
                         c->request.lon, c->request.lat, fq_items_territory(&c->decision),
                         c->decision.town, c->incident_at_ms);
            d->stats.actions++;
            deliver(d, &t->outbox, outbox_seqs, t->incident_id);
        } else if (t->applied && same) {
            fq_route_release(d->current->routing->router, &t->decision);
        }
        act_release(t);
        return;
    }
    fq_case *c = fq_caseload_find(d->cases, t->incident_id);
    const fq_routing *r = d->current != NULL ? d->current->routing : NULL;
    int same = t->snapshot == d->current && r != NULL;
    if (c != NULL)
        c->busy = 0;
    if (!applied || c == NULL) {
        if (t->applied && same)
            fq_route_release(r->router, &t->decision);
        act_release(t);
        return;
    }
    d->stats.actions++;
    deliver(d, &t->outbox, outbox_seqs, t->incident_id);
    if (t->command != 0) {
        command_applied(d, c, t, same);
        act_release(t);
        rearm(d);
        return;
    }
    if (t->supervision_ms < 0) { /* a reply to the supervision order */
        c->supervision_ms = 0;
        limit_gone(d, c, FQ_DEADLINE_SUPERVISION_DUE);
    }
    switch (t->action) {
    case FQ_ACTION_ACKNOWLEDGE:
        c->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
        limit_gone(d, c, FQ_DEADLINE_ACK_WARNING);
        limit_gone(d, c, FQ_DEADLINE_ACK_DUE);
        break;
    case FQ_ACTION_EXTEND:
        c->assignment = FQ_ASSIGNMENT_EXTENSION_REQUESTED;
        c->extension_ms = t->extend_to_ms;
        break;
    case FQ_ACTION_CONCLUDE:
        close_case(d, c);
        c = NULL;
        break;
    case FQ_ACTION_RETURN:
        if (t->rerouted && same) {
            if (c->decision.worker >= 0 && c->request.n_excluded < FQ_ROUTE_MAX_EXCLUDED)
                c->request.excluded[c->request.n_excluded++] = c->decision.worker;
            fq_route_release(r->router, &c->decision);
            c->decision = t->decision;
            c->assignment = FQ_ASSIGNMENT_ASSIGNED;
            c->escalations++;
            new_limits(d, c, ALL_LIMITS);
            schedule_deadlines(d, c);
        } else if (t->rerouted) {
            /* Reloaded meanwhile: the stored decision stands; rebuild it from
             * the database at the next start. Keep the old one in memory. */
            c->assignment = FQ_ASSIGNMENT_ASSIGNED;
        } else {
            c->assignment = FQ_ASSIGNMENT_RETURNED;
        }
        break;
    default:
        break;
    }
    act_release(t);
    rearm(d);
}

/* ---- console commands ---- */

/* The statement's answer and the memory change of a committed command. */
static void command_applied(fq_dispatch *d, fq_case *c, fq_action_ticket *t, int same)
{
    const fq_routing *r = d->current != NULL ? d->current->routing : NULL;
    switch (t->command) {
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_ESCALATE:
        if (same) {
            fq_route_release(r->router, &c->decision);
            c->decision = t->decision;
            c->escalations++;
            new_limits(d, c, ALL_LIMITS);
        }
        c->assignment = FQ_ASSIGNMENT_ASSIGNED;
        c->extension_ms = 0;
        schedule_deadlines(d, c);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION:
        c->decision.conclude_due_ms = t->decision.conclude_due_ms;
        c->decision.conclude_warn_ms = t->decision.conclude_warn_ms;
        c->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
        c->extension_ms = 0;
        /* The conclude limit moved (same wall-clock frame as the decision's:
         * the case's clock offset stays): its warning and breach run again. */
        c->fired &= (uint8_t)~CONCLUDE_LIMITS;
        schedule_deadlines(d, c);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION:
        c->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
        c->extension_ms = 0;
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE:
        close_case(d, c);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE:
        c->supervision_ms = t->supervision_ms;
        schedule_deadlines(d, c);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE:
        close_case(d, c);
        d->stats.merged++;
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN:
        c->mediation = FQ_MEDIATION_OPEN;
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL:
        close_case(d, c); /* its end concludes the incident */
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND:
        c->suspended_ms = t->suspend_ms;
        schedule_deadlines(d, c); /* none while suspended: the pending ones go */
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME:
        /* Wall-clock limits in the case's own frame (its clock offset
         * stays, as for an approved extension). What fired before the
         * suspension stays spent; what was ahead moved and is still to fire. */
        c->decision.ack_warn_ms = t->decision.ack_warn_ms;
        c->decision.ack_due_ms = t->decision.ack_due_ms;
        c->decision.conclude_warn_ms = t->decision.conclude_warn_ms;
        c->decision.conclude_due_ms = t->decision.conclude_due_ms;
        c->supervision_ms = t->supervision_ms;
        c->suspended_ms = 0;
        schedule_deadlines(d, c);
        /* Suspended, it stayed with its worker whatever became of them (a
         * directory load and a silent terminal pass over it); running again,
         * it moves on as it would have then. */
        if (same && c->decision.worker >= 0) {
            const fq_worker *w = fq_roster_worker_const(r->roster, c->decision.worker);
            int unacknowledged = c->assignment == 0 || c->assignment == FQ_ASSIGNMENT_ASSIGNED;
            if (!w->on_duty)
                escalate(d, c, "the handler went off duty", 0, FQ_REASON_OFF_DUTY);
            else if (w->absent && unacknowledged)
                move_on(d, c, "the worker's terminal went silent before acknowledging");
        }
        break;
    default:
        break;
    }
}

int fq_dispatch_command(fq_dispatch *d, const fq_node *actor,
                        const Fengqiao__V1__ConsoleCommand *cmd, int64_t now_ms,
                        fq_action_ticket *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    fq_snapshot *snap = d->current;
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing state is not loaded; retry later");
        return FQ_EUNAVAILABLE;
    }
    const fq_routing *r = snap->routing;
    fq_case *c = fq_caseload_find(d->cases, cmd->incident_id);
    const fq_case *into = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE
                              ? fq_caseload_find(d->cases, cmd->merge_into)
                              : NULL;
    fq_command_plan p;
    int rc = fq_plan_command(&snap->world, c, into, actor, cmd, now_ms, &p, err, err_len);
    if (p.answer != NULL)
        snprintf(t->answer, sizeof t->answer, "%s", p.answer);
    t->already_done = p.already_done;
    if (rc == FQ_ENOMEM)
        return FQ_EBUSY;
    if (rc != FQ_OK)
        return rc;
    /* The plan as the statement's texts (FQ_SQL_ACTION), a new holder's
     * capacity taken now: a later report must see it. */
    t->incident_id = cmd->incident_id;
    t->command = cmd->kind;
    t->next_state = p.next_state;
    snprintf(t->kind, sizeof t->kind, "%s", p.kind);
    snprintf(t->expected, sizeof t->expected, "%s", fq_assignment_state_name(p.from));
    snprintf(t->worker, sizeof t->worker, "%s", fq_items_worker_id(r->roster, c->decision.worker));
    snprintf(t->lead, sizeof t->lead, "%s", fq_items_handler_id(r->roster, c->decision.lead));
    snprintf(t->state, sizeof t->state, "%s", p.state);
    t->concludes = p.concludes;
    t->merge_into = p.merge_into;
    t->supervision_ms = p.supervision_ms;
    t->suspend_ms = p.suspend_ms;
    t->result = p.result;
    t->mediation_record = p.mediation_record;
    p.result = p.mediation_record = NULL;
    t->reason_code = FQ_REASON_OPERATOR;
    t->note = strdup(p.note);
    if (t->note == NULL) {
        fq_command_plan_free(&p);
        act_release(t);
        snprintf(err, err_len, "out of memory");
        return FQ_EBUSY;
    }
    t->rerouted = p.rerouted;
    t->decision = p.decision;
    if (p.moves) {
        fq_route_apply(r->router, &t->decision);
        t->applied = 1;
        t->recount = 1;
    }
    if (t->rerouted)
        format_decision(snap, &t->decision, &t->route);
    snprintf(t->assignment, sizeof t->assignment, "%s", fq_assignment_state_name(t->next_state));
    t->outbox = p.outbox;
    outbox_params(&t->outbox);
    fq_snapshot_ref(snap);
    t->snapshot = snap;
    c->busy = 1;
    return FQ_OK;
}

int fq_dispatch_reopen(fq_dispatch *d, const fq_node *actor, const char *target_unit,
                       const char *target_worker, const char *reason, const PGresult *row,
                       int64_t now_ms, fq_action_ticket *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    fq_snapshot *snap = d->current;
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing state is not loaded; retry later");
        return FQ_EUNAVAILABLE;
    }
    const fq_routing *r = snap->routing;
    fq_case_row stored;
    if (fq_case_row_decode(row, 0, &stored) != 0) {
        snprintf(err, err_len, "the stored incident could not be read");
        return FQ_EINTERNAL;
    }
    uint64_t id = stored.id;
    if (fq_caseload_find(d->cases, id) != NULL) {
        snprintf(err, err_len, "incident %" PRIu64 " is open", id);
        return FQ_ESTATE;
    }
    fq_case *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_len, "out of memory");
        return FQ_EBUSY;
    }
    reporter_cache reporter = {NULL, -1};
    if (case_from_row(snap, &stored, c, &reporter) != 0) {
        free(c);
        snprintf(err, err_len, "incident %" PRIu64 " cannot be routed under the current rules", id);
        return FQ_EINVALID;
    }
    fq_reopen_plan p;
    int rc = fq_plan_reopen(&snap->world, c, actor, target_unit, target_worker, reason, now_ms, &p,
                            err, err_len);
    if (rc != FQ_OK) {
        free(c);
        return rc;
    }
    t->decision = p.decision;
    const char *assignment = stored.assignment; /* as stored: the write expects it */
    t->incident_id = id;
    t->command = FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN;
    t->next_state = FQ_ASSIGNMENT_ASSIGNED;
    t->rerouted = 1;
    snprintf(t->kind, sizeof t->kind, "reopened");
    snprintf(t->expected, sizeof t->expected, "%s", assignment[0] ? assignment : "assigned");
    snprintf(t->expected_state, sizeof t->expected_state, "concluded");
    snprintf(t->worker, sizeof t->worker, "%s", fq_items_worker_id(r->roster, c->decision.worker));
    snprintf(t->lead, sizeof t->lead, "%s", fq_items_handler_id(r->roster, c->decision.lead));
    snprintf(t->state, sizeof t->state, "assigned");
    t->recount = 1;
    snprintf(t->assignment, sizeof t->assignment, "assigned");
    snprintf(t->answer, sizeof t->answer, "assigned");
    t->note = strdup(reason);
    t->reason_code = FQ_REASON_OPERATOR;
    t->outbox = p.outbox;
    if (t->note == NULL || fq_outbox_params(&t->outbox) != 0) {
        free(c);
        fq_outbox_free(&t->outbox);
        free(t->note);
        t->note = NULL;
        snprintf(err, err_len, "out of memory");
        return FQ_EBUSY;
    }
    format_decision(snap, &t->decision, &t->route);
    fq_route_apply(r->router, &t->decision);
    t->applied = 1;
    t->reopened = c;
    fq_snapshot_ref(snap);
    t->snapshot = snap;
    return FQ_OK;
}

int fq_dispatch_photo_to_conclude(const fq_dispatch *d, uint64_t incident_id)
{
    const fq_snapshot *snap = d->current;
    const fq_case *c = fq_caseload_find(d->cases, incident_id);
    if (snap == NULL || snap->routing == NULL || c == NULL)
        return 0;
    return fq_taxonomy_photo_to_conclude(snap->routing->taxonomy, c->request.category);
}

int fq_dispatch_is_absent(const fq_dispatch *d, const char *worker)
{
    for (size_t i = 0; i < d->n_absent; i++)
        if (strcmp(d->absent[i], worker) == 0)
            return 1;
    return 0;
}

/* ---- presence ---- */

typedef struct absent_scan {
    fq_dispatch *d;
    int32_t worker;
} absent_scan;

static void collect_unacknowledged(fq_case *c, void *user)
{
    absent_scan *scan = user;
    fq_dispatch *d = scan->d;
    if (c->decision.worker != scan->worker || c->busy || c->suspended_ms != 0 ||
        (c->assignment != 0 && c->assignment != FQ_ASSIGNMENT_ASSIGNED))
        return;
    if (d->n_moving == d->cap_moving) {
        size_t cap = d->cap_moving ? d->cap_moving * 2 : 64;
        uint64_t *grown = realloc(d->moving, cap * sizeof *grown);
        if (grown == NULL)
            return;
        d->moving = grown;
        d->cap_moving = cap;
    }
    d->moving[d->n_moving++] = c->incident_id;
}

void fq_dispatch_set_presence(fq_dispatch *d, const char *worker, int present)
{
    size_t i = 0;
    while (i < d->n_absent && strcmp(d->absent[i], worker) != 0)
        i++;
    int was_absent = i < d->n_absent;
    fq_routing *r = d->current != NULL ? d->current->routing : NULL;
    int32_t w = r != NULL ? fq_roster_find_worker(r->roster, worker) : -1;
    if (present) {
        if (!was_absent)
            return;
        free(d->absent[i]);
        d->absent[i] = d->absent[--d->n_absent];
        /* Present again: on duty if the operator has them on duty. */
        if (w >= 0)
            fq_roster_worker(r->roster, w)->absent = 0;
        return;
    }
    if (!was_absent) {
        char **grown = realloc(d->absent, (d->n_absent + 1) * sizeof *grown);
        char *copy = strdup(worker);
        if (grown == NULL || copy == NULL) {
            free(copy);
            if (grown != NULL)
                d->absent = grown;
            return;
        }
        d->absent = grown;
        d->absent[d->n_absent++] = copy;
    }
    if (w < 0)
        return;
    fq_roster_worker(r->roster, w)->absent = 1;
    absent_scan scan = {d, w};
    d->n_moving = 0;
    fq_caseload_foreach(d->cases, collect_unacknowledged, &scan);
    for (size_t k = 0; k < d->n_moving; k++) {
        fq_case *c = fq_caseload_find(d->cases, d->moving[k]);
        if (c != NULL)
            move_on(d, c, "the worker's terminal went silent before acknowledging");
    }
    d->n_moving = 0;
}

void fq_dispatch_set_sink(fq_dispatch *d, fq_outbox_sink_fn fn, void *user)
{
    d->sink = fn;
    d->sink_user = user;
}

/* ---- lifetime ---- */

fq_dispatch *fq_dispatch_new(uv_loop_t *loop, fq_store *store, const fq_dispatch_config *config)
{
    fq_dispatch *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->loop = loop;
    d->store = store;
    d->config = *config;
    randombytes_buf(&d->next_nonce, sizeof d->next_nonce);
    d->next_nonce |= 1;
    if (d->config.deadline_budget <= 0)
        d->config.deadline_budget = 256;
    char err[128];
    d->cases = fq_caseload_new();
    d->dedup = new_dedup(config, err, sizeof err);
    d->deadlines = fq_deadlines_new(1024);
    d->due = calloc((size_t)d->config.deadline_budget, sizeof *d->due);
    if (d->cases == NULL || d->dedup == NULL || d->deadlines == NULL || d->due == NULL) {
        fq_log(FQ_LOG_ERROR, "dispatch", "%s", d->dedup == NULL ? err : "out of memory");
        fq_caseload_free(d->cases);
        fq_dedup_free(d->dedup);
        fq_deadlines_free(d->deadlines);
        free(d->due);
        free(d);
        return NULL;
    }
    uv_timer_init(loop, &d->timer);
    uv_timer_init(loop, &d->retry_timer);
    d->timer.data = d->retry_timer.data = d;
    return d;
}

void fq_dispatch_stop(fq_dispatch *d)
{
    d->stopped = 1;
    uv_timer_stop(&d->timer);
    uv_timer_stop(&d->retry_timer);
    uv_close((uv_handle_t *)&d->timer, NULL);
    uv_close((uv_handle_t *)&d->retry_timer, NULL);
}

void fq_dispatch_free(fq_dispatch *d)
{
    if (d == NULL)
        return;
    /* The store was closed and drained first: no wave is left in it. */
    while (d->queue_head != NULL) {
        sysop *s = d->queue_head;
        d->queue_head = s->next;
        fq_outbox_free(&s->outbox);
        free(s);
    }
    for (size_t i = 0; i < d->n_absent; i++)
        free(d->absent[i]);
    free(d->absent);
    /* The tickets belong to the intake's requests. */
    HASH_CLEAR(hh, d->pending);
    prefault_stop(d);
    fq_caseload_free(d->cases);
    fq_dedup_free(d->dedup);
    fq_deadlines_free(d->deadlines);
    free(d->due);
    free(d->moving);
    fq_snapshot_unref(d->current);
    fq_snapshot_unref(d->loading);
    free(d);
}

static void count_open(fq_case *c, void *user)
{
    fq_dispatch_open_counts *out = user;
    unsigned tier = c->decision.tier < 4 ? c->decision.tier : 0;
    unsigned state = c->assignment != 0 && c->assignment < 8 ? c->assignment : 1;
    out->by_tier_state[tier][state]++;
    if (c->suspended_ms != 0)
        out->suspended++;
}

void fq_dispatch_count_open(fq_dispatch *d, fq_dispatch_open_counts *out)
{
    memset(out, 0, sizeof *out);
    fq_caseload_foreach(d->cases, count_open, out);
}

const fq_dispatch_stats *fq_dispatch_get_stats(fq_dispatch *d)
{
    d->stats.open = fq_caseload_count(d->cases);
    d->stats.pending_deadlines = fq_deadlines_count(d->deadlines);
    return &d->stats;
}
