/* dispatch_act: a terminal's action and an operator's command on an open
 * incident — checked and planned by core (caseplan.h fq_plan_action,
 * fq_plan_command, fq_plan_reopen), bound for the store (FQ_SQL_ACTION),
 * and applied to the case once the write commits. */
#include "dispatch_int.h"

#include "log.h"
#include "mediation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- terminal actions ---- */

/* The snapshot an action is decided in; NULL, with why in err, while the
 * routing state is not loaded yet. */
static fq_snapshot *loaded_snapshot(fq_dispatch *d, char *err, size_t err_len)
{
    fq_snapshot *snap = d->current;
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing state is not loaded; retry later");
        return NULL;
    }
    return snap;
}

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
    fq_snapshot *snap = loaded_snapshot(d, err, err_len);
    if (snap == NULL)
        return FQ_EUNAVAILABLE;
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
        fq_dispatch__format_decision(snap, &t->decision, &t->route);
    }
    snprintf(t->assignment, sizeof t->assignment, "%s", fq_assignment_state_name(t->next_state));
    t->outbox = p.outbox;
    fq_dispatch__outbox_params(&t->outbox);
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

void fq_dispatch_act_done(fq_dispatch *d, fq_action_ticket *t, int applied,
                          const fq_outbox_written *written)
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
            fq_dispatch__new_limits(d, c, ALL_LIMITS);
            fq_dispatch__schedule_deadlines(d, c);
            fq_dedup_add(d->dedup, c->incident_id, c->request.category, c->request.has_location,
                         c->request.lon, c->request.lat, fq_items_territory(&c->decision),
                         c->decision.town, c->incident_at_ms);
            d->stats.actions++;
            fq_dispatch__deliver(d, &t->outbox, written, t->incident_id);
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
    fq_dispatch__deliver(d, &t->outbox, written, t->incident_id);
    if (t->command != 0) {
        command_applied(d, c, t, same);
        act_release(t);
        fq_dispatch__rearm(d);
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
            fq_dispatch__new_limits(d, c, ALL_LIMITS);
            fq_dispatch__schedule_deadlines(d, c);
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
    fq_dispatch__rearm(d);
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
            fq_dispatch__new_limits(d, c, ALL_LIMITS);
        }
        c->assignment = FQ_ASSIGNMENT_ASSIGNED;
        c->extension_ms = 0;
        fq_dispatch__schedule_deadlines(d, c);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION:
        c->decision.conclude_due_ms = t->decision.conclude_due_ms;
        c->decision.conclude_warn_ms = t->decision.conclude_warn_ms;
        c->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
        c->extension_ms = 0;
        /* The conclude limit moved (same wall-clock frame as the decision's:
         * the case's clock offset stays): its warning and breach run again. */
        c->fired &= (uint8_t)~CONCLUDE_LIMITS;
        fq_dispatch__schedule_deadlines(d, c);
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
        fq_dispatch__schedule_deadlines(d, c);
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
        fq_dispatch__schedule_deadlines(d, c); /* none while suspended: the pending ones go */
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
        fq_dispatch__schedule_deadlines(d, c);
        /* Suspended, it stayed with its worker whatever became of them (a
         * directory load and a silent terminal pass over it); running again,
         * it moves on as it would have then. */
        if (same && c->decision.worker >= 0) {
            const fq_worker *w = fq_roster_worker_const(r->roster, c->decision.worker);
            int unacknowledged = c->assignment == 0 || c->assignment == FQ_ASSIGNMENT_ASSIGNED;
            if (!w->on_duty)
                fq_dispatch__escalate(d, c, "the handler went off duty", 0, FQ_REASON_OFF_DUTY);
            else if (w->absent && unacknowledged)
                fq_dispatch__move_on(d, c,
                                     "the worker's terminal went silent before acknowledging");
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
    fq_snapshot *snap = loaded_snapshot(d, err, err_len);
    if (snap == NULL)
        return FQ_EUNAVAILABLE;
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
        fq_dispatch__format_decision(snap, &t->decision, &t->route);
    snprintf(t->assignment, sizeof t->assignment, "%s", fq_assignment_state_name(t->next_state));
    t->outbox = p.outbox;
    fq_dispatch__outbox_params(&t->outbox);
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
    fq_snapshot *snap = loaded_snapshot(d, err, err_len);
    if (snap == NULL)
        return FQ_EUNAVAILABLE;
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
    if (fq_dispatch__case_from_row(snap, &stored, c, &reporter) != 0) {
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
    fq_dispatch__format_decision(snap, &t->decision, &t->route);
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
