/* dispatch: the layer that applies core's plans (dispatch.h). Here: the
 * snapshots, a report from its decision to its commit (the duplicate
 * search over the open incidents and those still on their way to the
 * database, its plan, fq_plan_report, and its ticket until it is stored or
 * dropped), the deadline timer and what a limit that passes brings
 * (fq_plan_deadline, fq_plan_escalate, fq_plan_move_on), presence, and the
 * lifetime. The stored open incidents are dispatch_load.c's, actions and
 * commands dispatch_act.c's, the server's own writes waves.c's. */
#include "dispatch_int.h"

#include "caseplan.h"
#include "fq_wire.h"
#include "log.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- texts for the statements ---- */

/* The statements' parameters of an assigned decision: ids, not indices of
 * this snapshot (the write may go out after a reload). */
void fq_dispatch__format_decision(const fq_snapshot *snap, const fq_decision *dec,
                                  fq_route_params *x)
{
    const fq_routing *r = snap->routing;
    memset(x, 0, sizeof *x);
    x->assigned = 1;
    x->tier = dec->tier;
    x->line = dec->line;
    x->climbed = dec->climbed;
    int32_t territory = fq_items_territory(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(fq_dispatch__org(snap), territory) : "");
    snprintf(x->lead, sizeof x->lead, "%s", fq_items_handler_id(r->roster, dec->lead));
    snprintf(x->worker, sizeof x->worker, "%s", fq_items_worker_id(r->roster, dec->worker));
    x->co_len = fq_items_co_array(r->roster, dec, x->co);
    x->ack_due_ms = dec->ack_due_ms;
    x->ack_warn_ms = dec->ack_warn_ms;
    x->conclude_due_ms = dec->conclude_due_ms;
    x->conclude_warn_ms = dec->conclude_warn_ms;
}

/* ---- deadlines ---- */

/* (Re)schedules the limits of the case still to fire (fq_case_schedule:
 * the ones spent for this holder stay spent). */
void fq_dispatch__schedule_deadlines(fq_dispatch *d, fq_case *c)
{
    fq_case_schedule(c, d->deadlines);
    fq_dispatch__rearm(d);
}

/* The case has new limits (`kinds`), set now: they fire again, mapped onto
 * the monotonic clock as of now. */
void fq_dispatch__new_limits(fq_dispatch *d, fq_case *c, unsigned kinds)
{
    fq_case_new_limits(c, fq_dispatch__wall_ms(), fq_dispatch__mono_ms(d), kinds);
}

/* ---- outbox items ---- */

/* The items were committed with these seqs: hand them to the terminals. */
void fq_dispatch__deliver(fq_dispatch *d, const fq_outbox_set *set,
                          const fq_outbox_written *written, uint64_t incident_id)
{
    if (d->sink == NULL || written == NULL || written->n == 0)
        return;
    int64_t at_ms = fq_dispatch__wall_ms();
    for (int k = 0; k < written->n; k++) {
        int i = written->index[k];
        if (i >= set->n)
            continue; /* decoded against another set: cannot be (write_params.c) */
        d->sink(d->sink_user, set->box[i], written->seq[k], set->kind[i], incident_id, at_ms,
                written->event_seq[k], set->body[i], set->body_len[i], set->complete[i]);
    }
}

/* A write of the server's own committed (waves.h): its items to the
 * terminals. */
static void own_write_stored(void *user, const fq_outbox_set *items,
                             const fq_outbox_written *written, uint64_t incident_id)
{
    fq_dispatch__deliver(user, items, written, incident_id);
}

/* Builds the set's statement parameters. Out of memory the set is emptied:
 * the statement writes its event without items. */
void fq_dispatch__outbox_params(fq_outbox_set *set)
{
    if (fq_outbox_params(set) != 0)
        fq_outbox_free(set);
}

/* ---- escalation ---- */

/* The case's new decision to the store (a re-decision of the server's
 * own): as the statement writes it, with its RoutingOutcome. */
static void write_reroute(fq_dispatch *d, const fq_case *c, fq_case_plan *p)
{
    const fq_snapshot *snap = d->current;
    fq_route_params route;
    uint8_t outcome[FQ_PLAN_MAX_OUTCOME];
    fq_dispatch__format_decision(snap, &c->decision, &route);
    size_t len = fq_plan_outcome(&snap->world, &c->decision, 0, outcome, sizeof outcome);
    fq_waves_reroute(d->waves, c->incident_id, p->kind, p->reason_code, p->reason, &route, outcome,
                     len, &p->outbox);
}

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
        fq_waves_event(d->waves, c->incident_id, p->kind, p->reason_code, p->reason, p->breached,
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
        fq_dispatch__new_limits(d, c, ALL_LIMITS);
        fq_dispatch__schedule_deadlines(d, c);
        write_reroute(d, c, p);
        break;
    }
    }
    fq_plan_free(p);
}

/* `limit`: the limit that passed (FQ_PLAN_BREACHED_*), or 0; `reason_code`:
 * why, for machines (FQ_REASON_*). */
void fq_dispatch__escalate(fq_dispatch *d, fq_case *c, const char *why, int limit,
                           const char *reason_code)
{
    fq_case_plan plan;
    fq_plan_escalate(&d->current->world, c, why, limit, reason_code, fq_dispatch__wall_ms(), &plan);
    apply_plan(d, c, &plan);
}

void fq_dispatch__move_on(fq_dispatch *d, fq_case *c, const char *why)
{
    fq_case_plan plan;
    fq_plan_move_on(&d->current->world, c, why, fq_dispatch__wall_ms(), &plan);
    apply_plan(d, c, &plan);
}

static void on_deadline(fq_dispatch *d, const fq_deadline *due)
{
    fq_case *c = fq_caseload_find(d->cases, due->key);
    if (c == NULL || due->kind < 1 || due->kind > FQ_CASE_DEADLINES || c->deadline != due->id)
        return; /* stale: the case closed or was re-decided */
    if (c->busy) {
        /* A terminal's action on it is being stored: decide after it. */
        c->deadline =
            fq_deadlines_add(d->deadlines, fq_dispatch__mono_ms(d) + 50, c->incident_id, due->kind);
        c->deadline_kind = c->deadline != 0 ? (uint8_t)due->kind : 0;
        return;
    }
    fq_case_fired(c, due->kind);
    fq_case_plan plan;
    fq_plan_deadline(&d->current->world, c, due->kind, fq_dispatch__wall_ms(), &plan);
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
    size_t n = fq_deadlines_pop_due(d->deadlines, fq_dispatch__mono_ms(d), d->due,
                                    (size_t)d->config.deadline_budget);
    for (size_t i = 0; i < n; i++)
        on_deadline(d, &d->due[i]);
    fq_dispatch__rearm(d);
}

void fq_dispatch__rearm(fq_dispatch *d)
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
    int64_t wait = next - fq_dispatch__mono_ms(d);
    uv_timer_start(&d->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

/* ---- deciding ---- */

/* The report's plan (caseplan.h fq_plan_report) and its decision as the
 * statement writes it: an assigned one's holder and limits, or (merged,
 * unroutable) only where it happened. */
static void plan_report(const fq_dispatch *d, fq_ticket *t, const fq_node *reporter,
                        const Fengqiao__V1__ReportIncident *report, const char *title,
                        const char *address, const char *external_ref)
{
    const fq_snapshot *snap = t->snapshot;
    const fq_decision *dec = &t->decision;
    const fq_report_plan_config cfg = {d->config.dedup_distance_m, d->config.dedup_window_ms};
    fq_plan_report(&snap->world, &t->request, dec, t->merged_into, &cfg, reporter, report, title,
                   address, external_ref, &t->plan);
    fq_dispatch__outbox_params(
        &t->plan.outbox); /* out of memory: no items, the report still counts */
    fq_route_params *x = &t->route;
    if (t->merged_into == 0 && dec->status == FQ_ROUTE_ASSIGNED) {
        fq_dispatch__format_decision(snap, dec, x);
        return;
    }
    memset(x, 0, sizeof *x);
    int32_t territory = fq_items_territory(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(fq_dispatch__org(snap), territory) : "");
    x->climbed = dec->climbed;
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
                    fq_dispatch__translate(pending->snapshot, snap, &ignored, &open);
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
    fq_outbox_init(&t->plan.outbox);
    if (t->waiting_for != NULL)
        return FQ_OK; /* its plan once the open one's id is known */
    plan_report(d, t, reporter, report, report->title, report->address, report->external_ref);
    return FQ_OK;
}

void fq_dispatch_bind(fq_ticket *t, fq_report_params *p, fq_store_op *op)
{
    t->params = p;
    p->state = t->plan.state;
    p->event_kind = t->plan.event_kind;
    p->reason = t->plan.reason;
    p->reason_code = t->plan.reason_code;
    p->route = &t->route;
    p->merged_into = t->merged_into;
    p->rule_set = t->snapshot->routing->rule_set;
    p->rule_source = t->decision.rule_source;
    p->unplaced = t->decision.unplaced;
    p->outcome = t->plan.outcome;
    p->outcome_len = t->plan.outcome_len;
    p->nonce = t->nonce;
    p->outbox = &t->plan.outbox;
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
            /* The report's own title, address and external reference,
             * as the intake put them in its statement's parameters. */
            fq_report_params *p = w->params;
            plan_report(d, w, fq_directory_find(w->snapshot->directory, p->node), NULL, p->title,
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
                        const fq_outbox_written *written)
{
    if (created)
        fq_dispatch__deliver(d, &t->plan.outbox, written, incident_id);
    fq_outbox_free(&t->plan.outbox);
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
                fq_dispatch__translate(t->snapshot, d->current, &c->request, &c->decision);
                fq_route_apply(d->current->routing->router, &c->decision);
            }
            fq_dispatch__new_limits(d, c, ALL_LIMITS);
            fq_dispatch__schedule_deadlines(d, c);
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
    fq_outbox_free(&t->plan.outbox);
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
            fq_dispatch__move_on(d, c, "the worker's terminal went silent before acknowledging");
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
    d->dedup = fq_dispatch__new_dedup(config, err, sizeof err);
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
    d->waves = fq_waves_new(loop, store, own_write_stored, d);
    if (d->waves == NULL) {
        fq_log(FQ_LOG_ERROR, "dispatch", "out of memory");
        fq_caseload_free(d->cases);
        fq_dedup_free(d->dedup);
        fq_deadlines_free(d->deadlines);
        free(d->due);
        free(d);
        return NULL;
    }
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    return d;
}

void fq_dispatch_stop(fq_dispatch *d)
{
    d->stopped = 1;
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, NULL);
    fq_waves_stop(d->waves);
}

void fq_dispatch_free(fq_dispatch *d)
{
    if (d == NULL)
        return;
    fq_waves_free(d->waves);
    for (size_t i = 0; i < d->n_absent; i++)
        free(d->absent[i]);
    free(d->absent);
    /* The tickets belong to the intake's requests. */
    HASH_CLEAR(hh, d->pending);
    fq_dispatch__prefault_stop(d);
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
