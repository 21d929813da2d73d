#include "caseplan.h"

#include "mediation.h"
#include "taxonomy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calendar a case's working time counts on: its district's, or the
 * router's default (never NULL). */
const fq_calendar *fq_plan_calendar(const fq_world *w, const fq_decision *dec)
{
    return fq_router_calendar(w->router, dec->district);
}

/* A limit extended by `by_ms` from where it is: natural time adds; working
 * time adds whole days as working days (the limit's own day not counted: the
 * close of the N-th working day after it) and anything else as working time. */
int64_t fq_plan_extended_limit(const fq_world *w, const fq_decision *dec, int64_t by_ms)
{
    if (!dec->working_time)
        return dec->conclude_due_ms + by_ms;
    const fq_calendar *cal = fq_plan_calendar(w, dec);
    if (by_ms % FQ_CAL_DAY_MS == 0) /* at most FQ_EXTEND_MAX_MS: 365 days */
        return fq_calendar_add_working_days(cal, dec->conclude_due_ms,
                                            (uint32_t)(by_ms / FQ_CAL_DAY_MS));
    return fq_calendar_add_working_ms(cal, dec->conclude_due_ms, by_ms);
}

/* A warning that keeps its distance before a limit that moved from old_due
 * to new_due: the same natural time, or the same working time. 0 stays 0
 * (no warning). */
int64_t fq_plan_moved_warning(const fq_world *w, const fq_decision *dec, int64_t warn_ms,
                              int64_t old_due, int64_t new_due)
{
    if (warn_ms <= 0 || warn_ms >= old_due)
        return 0;
    if (!dec->working_time)
        return new_due - (old_due - warn_ms);
    const fq_calendar *cal = fq_plan_calendar(w, dec);
    return fq_calendar_sub_working_ms(cal, new_due,
                                      fq_calendar_working_ms_between(cal, warn_ms, old_due));
}

static void plan_init(fq_case_plan *p)
{
    memset(p, 0, sizeof *p);
    fq_outbox_init(&p->outbox);
}

/* An event of the case that leaves it where it is, with a warning to its
 * holders (and the feeds when `follow`) saying `reason`. */
static void plan_notice(const fq_world *w, const fq_case *c, const char *kind,
                        const char *reason_code, int follow, int64_t supervision_due_ms,
                        fq_case_plan *p)
{
    p->write = FQ_PLAN_EVENT;
    p->kind = kind;
    p->reason_code = reason_code;
    fq_item_event ev = fq_items_server_event(kind, reason_code, p->reason);
    ev.assignment = fq_items_assignment_name(c);
    fq_items_notice_due(&p->outbox, w, c, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING, p->reason, NULL,
                        follow, supervision_due_ms, &ev);
}

/* The case goes to the decision `to`: the new holders get the assignment,
 * the former ones a cancellation, the feeds an update. */
static void plan_redirect(const fq_world *w, const fq_case *c, const fq_decision *to,
                          const char *kind, const char *reason_code, fq_case_plan *p)
{
    p->write = FQ_PLAN_REROUTE;
    p->kind = kind;
    p->reason_code = reason_code;
    p->to = *to;
    fq_item_event ev = fq_items_server_event(kind, reason_code, p->reason);
    ev.decided = 1;
    fq_items_routing(&p->outbox, w, &c->request, to, &c->decision, p->reason, NULL, &ev);
}

static void escalate(const fq_world *w, const fq_case *c, const char *why, int limit,
                     const char *reason_code, int64_t now_ms, fq_case_plan *p)
{
    fq_route_request req = c->request;
    req.now_ms = now_ms; /* the new handler's limits run from now */
    fq_decision up;
    if (fq_route_escalate(w->router, &req, &c->decision, &up) != FQ_OK) {
        /* Already at the district, or nobody above: the command center must
         * supervise; the case stays where it is. */
        snprintf(p->reason, sizeof p->reason, "%s at the %s tier; nobody above: supervision needed",
                 why, fq_tier_name((fq_tier)c->decision.tier));
        p->breaches_at_top = 1;
        p->breached = limit;
        plan_notice(w, c, "breached", reason_code, 1, c->supervision_ms, p);
        return;
    }
    snprintf(p->reason, sizeof p->reason, "%s at the %s tier: escalated to the %s tier (%s%s%s)",
             why, fq_tier_name((fq_tier)c->decision.tier), fq_tier_name((fq_tier)up.tier),
             up.lead >= 0 ? fq_items_handler_id(w->roster, up.lead) : "", up.worker >= 0 ? " " : "",
             fq_items_worker_id(w->roster, up.worker));
    p->escalations = 1;
    plan_redirect(w, c, &up, "escalated", reason_code, p);
}

void fq_plan_escalate(const fq_world *w, const fq_case *c, const char *why, int limit,
                      const char *reason_code, int64_t now_ms, fq_case_plan *out)
{
    plan_init(out);
    escalate(w, c, why, limit, reason_code, now_ms, out);
}

void fq_plan_move_on(const fq_world *w, const fq_case *c, const char *why, int64_t now_ms,
                     fq_case_plan *out)
{
    plan_init(out);
    out->moved_absent = 1;
    fq_route_request req = c->request;
    req.now_ms = now_ms;
    fq_decision next;
    int32_t here = fq_items_territory(&c->decision);
    if (fq_route_reroute(w->router, &req, &c->decision, here, &next) == FQ_OK &&
        next.tier == c->decision.tier) {
        snprintf(out->reason, sizeof out->reason, "%s: rerouted to %s", why,
                 next.worker >= 0 ? fq_items_worker_id(w->roster, next.worker)
                                  : fq_items_handler_id(w->roster, next.lead));
        plan_redirect(w, c, &next, "rerouted", FQ_REASON_PRESENCE_LOST, out);
        return;
    }
    escalate(w, c, why, 0, FQ_REASON_PRESENCE_LOST, now_ms, out);
}

void fq_plan_deadline(const fq_world *w, const fq_case *c, uint32_t kind, int64_t now_ms,
                      fq_case_plan *out)
{
    plan_init(out);
    char at[32];
    switch (kind) {
    case FQ_DEADLINE_ACK_WARNING:
    case FQ_DEADLINE_CONCLUDE_WARNING: {
        int ack = kind == FQ_DEADLINE_ACK_WARNING;
        fq_items_format_time(at, sizeof at,
                             ack ? c->decision.ack_due_ms : c->decision.conclude_due_ms);
        snprintf(out->reason, sizeof out->reason, "not %s yet; due %s",
                 ack ? "acknowledged" : "concluded", at);
        out->warnings = 1;
        plan_notice(w, c, ack ? "ack_warning" : "conclude_warning",
                    ack ? FQ_REASON_ACK_SOON : FQ_REASON_CONCLUDE_SOON, 0, c->supervision_ms, out);
        break;
    }
    case FQ_DEADLINE_ACK_DUE:
        escalate(w, c, "acknowledge limit passed", FQ_PLAN_BREACHED_ACK, FQ_REASON_ACK_OVERDUE,
                 now_ms, out);
        break;
    case FQ_DEADLINE_SUPERVISION_DUE:
        if (c->supervision_ms == 0)
            break; /* replied meanwhile */
        fq_items_format_time(at, sizeof at, c->supervision_ms);
        snprintf(out->reason, sizeof out->reason, "supervision order not answered by %s", at);
        /* The order is over: its items say so (no supervision due). */
        out->end_supervision = 1;
        out->breached = FQ_PLAN_BREACHED_SUPERVISION;
        out->supervision_over = 1;
        plan_notice(w, c, "supervision_breached", FQ_REASON_SUPERVISION_OVERDUE, 1, 0, out);
        break;
    case FQ_DEADLINE_CONCLUDE_DUE:
        escalate(w, c, "conclude limit passed", FQ_PLAN_BREACHED_CONCLUDE,
                 FQ_REASON_CONCLUDE_OVERDUE, now_ms, out);
        break;
    }
}

void fq_plan_free(fq_case_plan *p)
{
    fq_outbox_free(&p->outbox);
}

/* ---- a holder's action ---- */

static int refuse(fq_action_plan *p, int rc)
{
    fq_outbox_free(&p->outbox);
    return rc;
}

/* The reply to a supervision order: by a holder, while one is open; the
 * assignment's state stays. */
static int plan_reply(const fq_world *w, const fq_case *c, const fq_node *actor,
                      const Fengqiao__V1__AssignmentAction *a, fq_action_plan *p, char *err,
                      size_t err_len)
{
    p->answer = fq_assignment_state_name(p->from);
    if (c->supervision_ms == 0) {
        snprintf(err, err_len, "incident %" PRIu64 ": no supervision order waits for a reply",
                 a->incident_id);
        return FQ_ESTATE;
    }
    if (a->note[0] == '\0') {
        snprintf(err, err_len, "a reply to a supervision order needs a note");
        return FQ_EINVALID;
    }
    p->supervision_reply = 1;
    p->next_state = p->from;
    p->kind = "supervision_replied";
    p->reason_code = FQ_REASON_HOLDER;
    p->note = a->note;
    char said[512];
    snprintf(said, sizeof said, "reply to the supervision order by %s: %s", actor->id, a->note);
    fq_item_event ev =
        fq_items_node_event("supervision_replied", actor, a->note, FQ_REASON_HOLDER, p->note);
    ev.assignment = fq_assignment_state_name(p->from);
    fq_items_notice(&p->outbox, w, c, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, said, actor->box, 1,
                    &ev);
    return FQ_OK;
}

/* A return: to the right territorial owner when the holder names one, else
 * one tier up; when nobody else can take it, it waits, returned. */
static int plan_return(const fq_world *w, const fq_case *c, const fq_node *actor,
                       const Fengqiao__V1__AssignmentAction *a, int64_t now_ms, fq_item_event *ev,
                       fq_action_plan *p, char *err, size_t err_len)
{
    fq_route_request req = c->request;
    req.now_ms = now_ms;
    int wrong = a->reason == FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION;
    int32_t place = a->right_place[0] ? fq_org_find(w->org, a->right_place) : -1;
    if (a->right_place[0] && place < 0) {
        snprintf(err, err_len, "right_place %s is not a known unit", a->right_place);
        return FQ_EINVALID;
    }
    int rc = wrong && place >= 0
                 ? fq_route_reroute(w->router, &req, &c->decision, place, &p->decision)
                 /* beyond capacity, or the right place unknown: one tier up */
                 : fq_route_escalate(w->router, &req, &c->decision, &p->decision);
    char text[512];
    if (rc == FQ_OK) {
        p->rerouted = 1;
        p->next_state = FQ_ASSIGNMENT_ASSIGNED;
        ev->decided = 1;
        ev->assignment = "assigned";
        snprintf(text, sizeof text, "returned by %s (%s): %s; now the %s tier (%s%s%s)", actor->id,
                 wrong ? "wrong jurisdiction" : "beyond capacity", a->note,
                 fq_tier_name((fq_tier)p->decision.tier),
                 fq_items_handler_id(w->roster, p->decision.lead),
                 p->decision.worker >= 0 ? " " : "",
                 fq_items_worker_id(w->roster, p->decision.worker));
        fq_items_routing(&p->outbox, w, &c->request, &p->decision, &c->decision, text, NULL, ev);
        return FQ_OK;
    }
    /* Nobody else can take it: it waits, returned, for the command center
     * (its deadlines still run). */
    ev->assignment = "returned";
    snprintf(text, sizeof text,
             "returned by %s: %s; nobody else can take it: the command center decides", actor->id,
             a->note);
    fq_items_notice(&p->outbox, w, c, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, text, actor->box, 1,
                    ev);
    return FQ_OK;
}

int fq_plan_action(const fq_world *w, const fq_case *c, const fq_node *actor,
                   const Fengqiao__V1__AssignmentAction *a, int64_t now_ms, fq_action_plan *out,
                   char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    fq_outbox_init(&out->outbox);
    fq_action_plan *p = out;
    if (actor->box[0] != 'w' && actor->box[0] != 'h') {
        snprintf(err, err_len,
                 "node %s serves no worker or unit: only a bound terminal acts on "
                 "assignments",
                 actor->id);
        return FQ_EFORBIDDEN;
    }
    /* An incident that is not open and one that someone else holds get the
     * same answer, before anything else is looked at (busy included): a
     * terminal learns nothing of the incidents that are not its own. */
    char hb[FQ_ROUTE_MAX_CO + 1][FQ_BOX_MAX];
    int nh = c ? fq_items_holder_boxes(w, &c->decision, hb, FQ_ROUTE_MAX_CO + 1) : 0;
    int lead = nh > 0 && strcmp(hb[0], actor->box) == 0;
    if (c == NULL || (!lead && !fq_items_in_boxes(hb + 1, nh - 1, actor->box))) {
        snprintf(err, err_len, "incident %" PRIu64 " is not an open assignment of yours",
                 a->incident_id);
        return FQ_EFORBIDDEN;
    }
    if (c->busy) {
        snprintf(err, err_len, "another action on incident %" PRIu64 " is being stored; retry",
                 a->incident_id);
        return FQ_EBUSY;
    }
    p->from = c->assignment ? (fq_assignment_state)c->assignment : FQ_ASSIGNMENT_ASSIGNED;
    if (a->kind == FENGQIAO__V1__ACTION_KIND__ACTION_REPLY) {
        int rc = plan_reply(w, c, actor, a, p, err, err_len);
        return rc == FQ_OK ? rc : refuse(p, rc);
    }
    fq_action action = (fq_action)a->kind;
    p->action = action;
    /* Co-handling units add progress notes; the lead acts on the assignment. */
    int co = !lead && action == FQ_ACTION_PROGRESS && fq_items_in_boxes(hb + 1, nh - 1, actor->box);
    fq_assignment cur = {p->from, c->decision.conclude_due_ms, 0};
    if (c->suspended_ms != 0 && (action == FQ_ACTION_RETURN || action == FQ_ACTION_EXTEND ||
                                 action == FQ_ACTION_CONCLUDE)) {
        /* Suspended: the holder keeps it and may write progress, but it is
         * neither handed back nor closed nor given more time until the
         * command center resumes it. */
        snprintf(err, err_len,
                 "incident %" PRIu64 " is suspended by the command center: it cannot be %s "
                 "until it is resumed; progress notes are still welcome",
                 a->incident_id,
                 action == FQ_ACTION_RETURN   ? "returned"
                 : action == FQ_ACTION_EXTEND ? "extended"
                                              : "concluded");
        p->answer = fq_assignment_state_name(cur.state);
        return FQ_ESTATE;
    }
    /* "+2d" counts from the current conclude limit, not from now; for a
     * working-time case in working days (the close of the 2nd working day
     * after the limit's day) or working time. "to" is an instant: as said. */
    int64_t extend_to_ms = a->extend_by_ms > 0
                               ? fq_plan_extended_limit(w, &c->decision, a->extend_by_ms)
                               : a->extend_to_ms;
    fq_action_input in = {
        action, lead || co, 0, (fq_return_reason)a->reason, a->note[0] != '\0', extend_to_ms};
    fq_assignment next;
    const char *why;
    int rc = fq_lifecycle_apply(&cur, &in, now_ms, &next, &why);
    if (rc != FQ_OK && action == FQ_ACTION_EXTEND && rc == FQ_EINVALID && a->note[0] != '\0') {
        /* The limit was refused: say what it is now, and what was asked. */
        char current[32], asked[32];
        fq_items_format_time(current, sizeof current, c->decision.conclude_due_ms);
        fq_items_format_time(asked, sizeof asked, extend_to_ms);
        snprintf(err, err_len,
                 "incident %" PRIu64 ": %s (the current conclude limit is %s; asked %s)",
                 a->incident_id, why, current, asked);
        return FQ_EINVALID;
    }
    if (rc == FQ_ESTATE) {
        /* The holder asked for something the state does not allow: say the
         * state, and whether what was asked is in effect already (an action
         * resent under a new message id after it was done). */
        p->answer = fq_assignment_state_name(cur.state);
        p->already_done =
            (action == FQ_ACTION_ACKNOWLEDGE && cur.state != FQ_ASSIGNMENT_ASSIGNED) ||
            (action == FQ_ACTION_EXTEND && cur.state == FQ_ASSIGNMENT_EXTENSION_REQUESTED);
    }
    if (rc != FQ_OK) {
        snprintf(err, err_len, "incident %" PRIu64 ": %s", a->incident_id, why);
        return rc; /* the lifecycle's FQ_EFORBIDDEN, FQ_ESTATE or FQ_EINVALID */
    }
    p->next_state = next.state;
    p->kind = fq_action_event_kind(action);
    p->note = a->note[0] ? a->note : p->kind;
    p->reason_code = action != FQ_ACTION_RETURN ? FQ_REASON_HOLDER
                     : a->reason == FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION
                         ? FQ_REASON_RETURNED_WRONG
                         : FQ_REASON_RETURNED_BEYOND;
    fq_item_event ev = fq_items_node_event(p->kind, actor, a->note, p->reason_code, p->note);
    ev.assignment = fq_assignment_state_name(next.state);
    if (action == FQ_ACTION_CONCLUDE) {
        ev.state = "concluded";
        ev.assignment = "";
    }
    if (action == FQ_ACTION_RETURN) {
        rc = plan_return(w, c, actor, a, now_ms, &ev, p, err, err_len);
        if (rc != FQ_OK)
            return refuse(p, rc);
    } else {
        if (action == FQ_ACTION_CONCLUDE)
            p->concludes = 1;
        if (action == FQ_ACTION_EXTEND)
            p->extend_to_ms = extend_to_ms;
        char text[512];
        snprintf(text, sizeof text, "%s by %s%s%s", p->kind, actor->id, a->note[0] ? ": " : "",
                 a->note);
        /* A conclusion closes it for every holder, the actor's own box
         * included: the worker's other terminals follow it too. */
        if (action == FQ_ACTION_CONCLUDE)
            fq_items_notice(&p->outbox, w, c, FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED, text, NULL, 1,
                            &ev);
        else
            fq_items_notice(&p->outbox, w, c, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, text,
                            actor->box, 1, &ev);
    }
    p->answer = p->concludes ? "concluded" : fq_assignment_state_name(p->next_state);
    return FQ_OK;
}

void fq_action_plan_free(fq_action_plan *p)
{
    fq_outbox_free(&p->outbox);
}

/* ---- a console command ---- */

static int refuse_command(fq_command_plan *p, int rc)
{
    fq_command_plan_free(p);
    return rc;
}

void fq_command_plan_free(fq_command_plan *p)
{
    fq_outbox_free(&p->outbox);
    free(p->result);
    free(p->mediation_record);
    p->result = p->mediation_record = NULL;
}

int fq_plan_unit_allowed(const fq_org *org, int32_t unit, const fq_node *actor)
{
    /* Inside the operator's jurisdiction — a district operator's covers the
     * district's own units (the center, departments). */
    return unit >= 0 && fq_org_within(org, unit, actor->jurisdiction);
}

int fq_plan_command(const fq_world *w, const fq_case *c, const fq_case *into, const fq_node *actor,
                    const Fengqiao__V1__ConsoleCommand *cmd, int64_t now_ms, fq_command_plan *out,
                    char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    fq_outbox_init(&out->outbox);
    fq_command_plan *t = out;
    if (c == NULL) {
        snprintf(err, err_len, "incident %" PRIu64 " is not open (concluded, merged or unknown)",
                 cmd->incident_id);
        return FQ_ENOTFOUND;
    }
    if (!fq_plan_unit_allowed(w->org, fq_items_territory(&c->decision), actor)) {
        snprintf(err, err_len, "incident %" PRIu64 " lies outside the jurisdiction of %s (%s)",
                 cmd->incident_id, actor->id, fq_org_id(w->org, actor->jurisdiction));
        return FQ_EFORBIDDEN;
    }
    if (c->busy) {
        snprintf(err, err_len, "another action on incident %" PRIu64 " is being stored; retry",
                 cmd->incident_id);
        return FQ_EBUSY;
    }
    fq_assignment_state cur =
        c->assignment ? (fq_assignment_state)c->assignment : FQ_ASSIGNMENT_ASSIGNED;
    int suspend = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND;
    int resume = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME;
    char when[32];
    if (suspend || resume) {
        /* Asked for what is so already (a second operator, a resend under a
         * new message id): WRONG_STATE, and the answer says it is done. */
        if (suspend == (c->suspended_ms != 0)) {
            fq_items_format_time(when, sizeof when, c->suspended_ms);
            if (suspend)
                snprintf(err, err_len, "incident %" PRIu64 " is suspended already (since %s)",
                         cmd->incident_id, when);
            else
                snprintf(err, err_len, "incident %" PRIu64 " is not suspended", cmd->incident_id);
            t->answer = fq_assignment_state_name(cur);
            t->already_done = 1;
            return FQ_ESTATE;
        }
    } else if (c->suspended_ms != 0 && cmd->kind != FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE &&
               cmd->kind != FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE &&
               cmd->kind != FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE &&
               cmd->kind != FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL) {
        snprintf(err, err_len, "incident %" PRIu64 " is suspended: resume it first",
                 cmd->incident_id);
        t->answer = fq_assignment_state_name(cur);
        return FQ_ESTATE;
    }
    t->command = cmd->kind;
    t->from = cur;
    t->next_state = cur;
    t->state = "assigned";
    const char *kind = "";
    switch (cmd->kind) {
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN: {
        fq_route_request req = c->request;
        req.now_ms = now_ms;
        int32_t unit = -1;
        if (cmd->target_worker[0] != '\0') {
            req.override_worker = fq_roster_find_worker(w->roster, cmd->target_worker);
            if (req.override_worker < 0) {
                snprintf(err, err_len, "no grid worker %s", cmd->target_worker);
                return FQ_EINVALID;
            }
            unit = fq_roster_worker_const(w->roster, req.override_worker)->grid;
        } else {
            req.override_handler = fq_roster_find_handler(w->roster, cmd->target_unit);
            if (req.override_handler < 0) {
                snprintf(err, err_len, "no handling unit %s", cmd->target_unit);
                return FQ_EINVALID;
            }
            unit = fq_roster_handler_territory(w->roster, req.override_handler);
        }
        if (!fq_plan_unit_allowed(w->org, unit, actor)) {
            snprintf(err, err_len, "%s lies outside the jurisdiction of %s",
                     cmd->target_worker[0] ? cmd->target_worker : cmd->target_unit, actor->id);
            return FQ_EFORBIDDEN;
        }
        if (fq_route(w->router, &req, &t->decision) != FQ_OK) {
            snprintf(err, err_len, "the routing core cannot assign it there");
            return FQ_EINVALID;
        }
        if (cmd->n_co_units > FQ_ROUTE_MAX_CO) {
            snprintf(err, err_len, "at most %d co-handling units", FQ_ROUTE_MAX_CO);
            return FQ_EINVALID;
        }
        t->decision.n_co = 0;
        for (size_t i = 0; i < cmd->n_co_units; i++) {
            int32_t h = fq_roster_find_handler(w->roster, cmd->co_units[i]);
            if (h < 0 || h == t->decision.lead) {
                snprintf(err, err_len, "%s is no handling unit to co-handle with",
                         cmd->co_units[i]);
                return FQ_EINVALID;
            }
            if (!fq_plan_unit_allowed(w->org, fq_roster_handler_territory(w->roster, h), actor)) {
                snprintf(err, err_len, "%s lies outside the jurisdiction of %s", cmd->co_units[i],
                         actor->id);
                return FQ_EFORBIDDEN;
            }
            t->decision.co[t->decision.n_co++] = h;
        }
        kind = "reassigned";
        snprintf(t->text, sizeof t->text, "assigned by %s to the %s tier (%s%s%s)%s: %s", actor->id,
                 fq_tier_name((fq_tier)t->decision.tier),
                 fq_items_handler_id(w->roster, t->decision.lead),
                 t->decision.worker >= 0 ? " " : "",
                 fq_items_worker_id(w->roster, t->decision.worker),
                 t->decision.n_co ? ", a joint operation" : "", cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_ESCALATE: {
        fq_route_request req = c->request;
        req.now_ms = now_ms;
        if (fq_route_escalate(w->router, &req, &c->decision, &t->decision) != FQ_OK) {
            snprintf(err, err_len, "incident %" PRIu64 " is at the %s tier: nobody above",
                     cmd->incident_id, fq_tier_name((fq_tier)c->decision.tier));
            return FQ_ESTATE;
        }
        kind = "escalated";
        snprintf(t->text, sizeof t->text, "escalated by %s to the %s tier (%s%s%s): %s", actor->id,
                 fq_tier_name((fq_tier)t->decision.tier),
                 fq_items_handler_id(w->roster, t->decision.lead),
                 t->decision.worker >= 0 ? " " : "",
                 fq_items_worker_id(w->roster, t->decision.worker), cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE:
        kind = "concluded";
        t->concludes = 1;
        t->next_state = FQ_ASSIGNMENT_CONCLUDED;
        t->state = "concluded";
        t->result = strdup(cmd->reason);
        if (t->result == NULL) {
            snprintf(err, err_len, "out of memory");
            return refuse_command(t, FQ_ENOMEM);
        }
        snprintf(t->text, sizeof t->text, "concluded by %s: %s", actor->id, cmd->reason);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION: {
        int approve = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION;
        if (cur != FQ_ASSIGNMENT_EXTENSION_REQUESTED || c->extension_ms <= 0) {
            snprintf(err, err_len, "incident %" PRIu64 " has no extension asked for (%s)",
                     cmd->incident_id, fq_assignment_state_name(cur));
            return FQ_ESTATE;
        }
        t->next_state = FQ_ASSIGNMENT_ACKNOWLEDGED;
        kind = approve ? "extension_approved" : "extension_denied";
        fq_items_format_time(when, sizeof when, c->extension_ms);
        if (approve) {
            /* Same holder, the conclude limit moved; its warning keeps its
             * distance before the limit. */
            t->decision = c->decision;
            t->decision.conclude_due_ms = c->extension_ms;
            t->decision.conclude_warn_ms =
                fq_plan_moved_warning(w, &c->decision, c->decision.conclude_warn_ms,
                                      c->decision.conclude_due_ms, c->extension_ms);
            t->rerouted = 1; /* the routing columns carry the new limit */
        }
        snprintf(t->text, sizeof t->text, "extension to %s %s by %s: %s", when,
                 approve ? "approved" : "denied", actor->id, cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE: {
        if (cmd->merge_into == cmd->incident_id || into == NULL) {
            snprintf(err, err_len,
                     "incident %" PRIu64 " is not another open incident to merge into",
                     cmd->merge_into);
            return FQ_ESTATE;
        }
        if (!fq_plan_unit_allowed(w->org, fq_items_territory(&into->decision), actor)) {
            snprintf(err, err_len, "incident %" PRIu64 " lies outside the jurisdiction of %s",
                     cmd->merge_into, actor->id);
            return FQ_EFORBIDDEN;
        }
        kind = "merged";
        t->merge_into = cmd->merge_into;
        t->next_state = FQ_ASSIGNMENT_CONCLUDED;
        t->state = "merged";
        snprintf(t->text, sizeof t->text, "merged by %s into incident %" PRIu64 ": %s", actor->id,
                 cmd->merge_into, cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE: {
        t->supervision_ms = cmd->deadline_ms;
        kind = "supervision_ordered";
        fq_items_format_time(when, sizeof when, cmd->deadline_ms);
        snprintf(t->text, sizeof t->text, "supervision order (督办) from %s, reply by %s: %s",
                 actor->id, when, cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND:
        kind = "suspended";
        t->suspend_ms = now_ms;
        snprintf(t->text, sizeof t->text, "suspended by %s: %s", actor->id, cmd->reason);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME: {
        /* Every limit still ahead when it was suspended keeps what was left
         * of it, in the time its rule counts (docs/calendar.md). */
        const fq_calendar *cal =
            c->decision.working_time ? fq_plan_calendar(w, &c->decision) : NULL;
        fq_case_resumed_limits(c, cal, now_ms, &t->decision, &t->supervision_ms);
        t->rerouted = 1; /* the routing columns carry the moved limits */
        kind = "resumed";
        fq_items_format_time(when, sizeof when, c->suspended_ms);
        snprintf(t->text, sizeof t->text, "resumed by %s (suspended since %s): %s", actor->id, when,
                 cmd->reason);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL: {
        fq_mediation_state next;
        char why[160];
        if (fq_mediation_step((fq_mediation_state)c->mediation, cmd->kind, &next, why,
                              sizeof why) != 0) {
            snprintf(err, err_len, "incident %" PRIu64 ": %s", cmd->incident_id, why);
            t->answer = fq_assignment_state_name(cur);
            return FQ_ESTATE;
        }
        kind = fq_mediation_event_kind(cmd->kind);
        const Fengqiao__V1__Mediation *m = cmd->mediation;
        if (next == FQ_MEDIATION_ENDED) {
            /* The end concludes the incident: an agreement with the
             * agreement as its result, a failure as transferred on. */
            int agreed = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE;
            t->concludes = 1;
            t->next_state = FQ_ASSIGNMENT_CONCLUDED;
            t->state = "concluded";
            if (agreed) {
                t->result = strdup(m->agreement);
            } else {
                const char *label = fq_mediation_transfer_label(m->transferred_to);
                size_t n = strlen(label) + strlen(cmd->reason) + 64;
                t->result = malloc(n);
                if (t->result != NULL)
                    snprintf(t->result, n, "调解不成，已转%s：%s", label, cmd->reason);
            }
            if (agreed)
                snprintf(t->text, sizeof t->text, "mediation agreed (recorded by %s): %s",
                         actor->id, cmd->reason);
            else
                snprintf(t->text, sizeof t->text, "mediation failed, transferred to %s by %s: %s",
                         fq_mediation_transfer_name(m->transferred_to), actor->id, cmd->reason);
        } else if (cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN) {
            snprintf(t->text, sizeof t->text, "mediation opened by %s: %s", actor->id, cmd->reason);
        } else {
            fq_items_format_time(when, sizeof when, m->session_at_ms);
            snprintf(t->text, sizeof t->text, "mediation session of %s recorded by %s: %s", when,
                     actor->id, cmd->reason);
        }
        t->mediation_record = fq_mediation_record(cmd);
        if (t->mediation_record == NULL || (t->concludes && t->result == NULL)) {
            snprintf(err, err_len, "out of memory");
            return refuse_command(t, FQ_ENOMEM);
        }
        break;
    }
    default:
        snprintf(err, err_len, "command kind %d is not known", (int)cmd->kind);
        return FQ_EINVALID;
    }
    t->kind = kind;
    /* The note is the operator's reason as typed (a supervision order's
     * text included), not `text`, which names node ids. */
    t->note = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE ? t->text : cmd->reason;
    int moves = cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN ||
                cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_ESCALATE;
    fq_item_event ev = fq_items_node_event(kind, actor, cmd->reason, FQ_REASON_OPERATOR, t->note);
    ev.state = t->state; /* concluded, merged, else assigned */
    /* A new holder starts from assigned; a closed incident has none. */
    ev.assignment = t->concludes || t->merge_into ? ""
                    : moves                       ? "assigned"
                                                  : fq_assignment_state_name(t->next_state);
    ev.merged_into = t->merge_into;
    ev.decided = moves;
    if (moves) {
        t->moves = 1;
        t->rerouted = 1;
        t->next_state = FQ_ASSIGNMENT_ASSIGNED;
        fq_items_routing(&t->outbox, w, &c->request, &t->decision, &c->decision, t->text, NULL,
                         &ev);
    } else if (suspend || resume) {
        fq_items_suspension(&t->outbox, w, c, resume ? &t->decision : &c->decision,
                            resume ? t->supervision_ms : c->supervision_ms, t->suspend_ms, &ev,
                            t->text);
    } else {
        /* A new order's deadline goes with its items (the case takes it on
         * at the commit). */
        fq_items_notice_due(&t->outbox, w, c,
                            cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE
                                ? FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION
                            : cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE || t->concludes
                                ? FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED
                                : FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE,
                            t->text, NULL, 1,
                            cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE
                                ? cmd->deadline_ms
                                : c->supervision_ms,
                            &ev);
    }
    t->answer = t->concludes ? "concluded"
                : cmd->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE
                    ? "merged"
                    : fq_assignment_state_name(t->next_state);
    return FQ_OK;
}

/* ---- a report ---- */

int fq_plan_report_request(const fq_world *w, const fq_directory *dir, const fq_node *reporter,
                           const Fengqiao__V1__ReportIncident *report, int32_t place,
                           int64_t now_ms, fq_route_request *req, char *err, size_t err_len)
{
    fq_route_request_init(req);
    req->category = fq_taxonomy_find(w->taxonomy, report->category);
    if (req->category < 0) {
        snprintf(err, err_len, "category %s is not in the taxonomy", report->category);
        return FQ_EINVALID;
    }
    req->severity = report->severity;
    req->risk = report->risk;
    req->place = place;
    req->fallback_place = reporter->jurisdiction;
    req->now_ms = now_ms;
    if (report->location != NULL) {
        req->has_location = 1;
        req->lon = report->location->lon;
        req->lat = report->location->lat;
    }
    if (place < 0 && req->has_location && w->geo != NULL) {
        int32_t grid = fq_geo_locate(w->geo, req->lon, req->lat);
        /* The same policy as a named place: a district platform's point
         * may lie anywhere in its district, a town platform's in its town. */
        if (grid >= 0 && fq_policy_may_report_at(dir, reporter, grid) != FQ_OK) {
            snprintf(err, err_len,
                     "location (%.6f, %.6f) lies in grid %s, outside the jurisdiction %s", req->lon,
                     req->lat, fq_org_id(w->org, grid), fq_org_id(w->org, reporter->jurisdiction));
            return FQ_EFORBIDDEN;
        }
        req->place = grid;
    }
    return FQ_OK;
}

int fq_plan_merge(const fq_decision *own, const fq_decision *open, fq_decision *merged)
{
    if (own->tier > open->tier)
        return 0;
    *merged = *open;
    merged->grid = own->grid;
    merged->village = own->village;
    merged->town = own->town;
    merged->district = own->district;
    merged->unplaced = own->unplaced;
    return 1;
}

size_t fq_plan_outcome(const fq_world *w, const fq_decision *dec, uint64_t merged_into,
                       uint8_t *out, size_t cap)
{
    Fengqiao__V1__RoutingOutcome o = FENGQIAO__V1__ROUTING_OUTCOME__INIT;
    char *co[FQ_ROUTE_MAX_CO];
    o.merged_into = merged_into;
    if (dec->status == FQ_ROUTE_ASSIGNED) {
        o.tier = (Fengqiao__V1__Tier)dec->tier;
        o.line = (Fengqiao__V1__Line)(dec->line + 1); /* the wire's 0 is "unspecified" */
        o.lead_unit = (char *)fq_items_handler_id(w->roster, dec->lead);
        o.worker = (char *)fq_items_worker_id(w->roster, dec->worker);
        if (dec->lead >= 0)
            o.lead_unit_name = (char *)fq_roster_handler_name(w->roster, dec->lead);
        if (dec->worker >= 0)
            o.worker_name = (char *)fq_roster_worker_name(w->roster, dec->worker);
        for (int i = 0; i < dec->n_co; i++)
            co[i] = (char *)fq_items_handler_id(w->roster, dec->co[i]);
        o.n_co_units = dec->n_co;
        o.co_units = co;
        o.acknowledge_due_ms = dec->ack_due_ms;
        o.conclude_due_ms = dec->conclude_due_ms;
        o.climbed = dec->climbed;
        o.rule_set = w->rule_set;
        o.working_time = dec->working_time;
    }
    int32_t territory = fq_items_territory(dec);
    o.territory = territory >= 0 ? (char *)fq_org_id(w->org, territory) : "";
    o.territory_name = territory >= 0 ? (char *)fq_org_name(w->org, territory) : "";
    o.unplaced = dec->unplaced;
    size_t n = fengqiao__v1__routing_outcome__get_packed_size(&o);
    if (n > cap)
        return 0;
    return fengqiao__v1__routing_outcome__pack(&o, out);
}

/* The routing event's kind, reason code and reason for people. */
static void report_texts(const fq_world *w, const fq_decision *dec, uint64_t merged_into,
                         const fq_report_plan_config *cfg, fq_report_plan *out)
{
    if (merged_into != 0) {
        out->state = out->event_kind = "merged";
        out->reason_code = FQ_REASON_MERGED;
        snprintf(out->reason, sizeof out->reason,
                 "same category within %.0f m and %" PRId64 " min of open incident %" PRIu64
                 ": one more report on it, not dispatched again",
                 cfg->dedup_distance_m, cfg->dedup_window_ms / 60000, merged_into);
    } else if (dec->status == FQ_ROUTE_ASSIGNED) {
        out->state = out->event_kind = "assigned";
        out->reason_code = fq_items_decision_reason(dec);
        char by[64];
        if (dec->rule_source != 0)
            snprintf(by, sizeof by, "by rule %u of set %u", dec->rule_source, w->rule_set);
        else
            snprintf(by, sizeof by, "by the built-in principle");
        snprintf(out->reason, sizeof out->reason, "%s%s: %s tier, %s line%s%s%s",
                 dec->overridden ? "operator's choice; " : "", by, fq_tier_name((fq_tier)dec->tier),
                 fq_line_name((fq_line)dec->line),
                 dec->climbed ? "; climbed because nobody lower could take it" : "",
                 dec->unplaced ? "; its coordinates lie in no grid: placed at the reporter's "
                                 "jurisdiction"
                               : "",
                 dec->n_co ? "; joint operation" : "");
    } else {
        out->state = out->event_kind = "unroutable";
        out->reason_code = FQ_REASON_NO_HANDLER;
        snprintf(out->reason, sizeof out->reason,
                 "no handling unit from the entry tier up: the topology has a gap here");
    }
}

void fq_plan_report(const fq_world *w, const fq_route_request *req, const fq_decision *dec,
                    uint64_t merged_into, const fq_report_plan_config *cfg, const fq_node *reporter,
                    const Fengqiao__V1__ReportIncident *report, const char *title,
                    const char *address, const char *external_ref, fq_report_plan *out)
{
    out->merged_into = merged_into;
    report_texts(w, dec, merged_into, cfg, out);
    out->outcome_len = fq_plan_outcome(w, dec, merged_into, out->outcome, sizeof out->outcome);
    fq_outbox_init(&out->outbox);
    fq_item_event ev = fq_items_server_event(out->event_kind, out->reason_code, out->reason);
    ev.reporter = reporter;
    ev.external_ref = external_ref;
    if (merged_into == 0 && dec->status == FQ_ROUTE_ASSIGNED && report != NULL) {
        /* Its holders, the town's and district's feeds (caseitems.h). */
        ev.decided = 1;
        fq_items_routing(&out->outbox, w, req, dec, NULL, out->reason, report, &ev);
        return;
    }
    /* Merged or unroutable: only the town's feed hears of it, and a merged
     * report is nobody's to handle (the open one it joined is). */
    fq_item_buf b;
    ev.state = out->state;
    ev.assignment = "";
    ev.merged_into = merged_into;
    fq_items_for(w, req, dec, &ev, &b);
    b.it.holder_unit = b.it.holder_unit_name = b.it.holder_worker = b.it.holder_worker_name = "";
    b.it.tier = FENGQIAO__V1__TIER__TIER_UNSPECIFIED;
    b.it.line = FENGQIAO__V1__LINE__LINE_UNSPECIFIED;
    b.it.n_co_units = b.it.n_co_unit_names = 0;
    b.it.title = (char *)title;
    b.it.address = (char *)address;
    snprintf(b.text, sizeof b.text, "%s: %s", out->event_kind, out->reason);
    fq_items_follow(&out->outbox, w, req->place >= 0 ? req->place : req->fallback_place, &b.it, 1);
}

/* ---- a reopen ---- */

int fq_plan_reopen(const fq_world *w, const fq_case *c, const fq_node *actor,
                   const char *target_unit, const char *target_worker, const char *reason,
                   int64_t now_ms, fq_reopen_plan *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    fq_outbox_init(&out->outbox);
    fq_route_request req = c->request;
    req.now_ms = now_ms;
    int32_t unit = -1;
    if (target_worker[0] != '\0') {
        req.override_worker = fq_roster_find_worker(w->roster, target_worker);
        unit = req.override_worker >= 0
                   ? fq_roster_worker_const(w->roster, req.override_worker)->grid
                   : -1;
    } else if (target_unit[0] != '\0') {
        req.override_handler = fq_roster_find_handler(w->roster, target_unit);
        unit = req.override_handler >= 0
                   ? fq_roster_handler_territory(w->roster, req.override_handler)
                   : -1;
    } else if (c->decision.worker >= 0) {
        req.override_worker = c->decision.worker; /* redo: back to who concluded it */
        unit = fq_items_territory(&c->decision);
    } else if (c->decision.lead >= 0) {
        req.override_handler = c->decision.lead;
        unit = fq_items_territory(&c->decision);
    }
    if ((target_worker[0] || target_unit[0]) && unit < 0) {
        snprintf(err, err_len, "no such %s %s", target_worker[0] ? "grid worker" : "unit",
                 target_worker[0] ? target_worker : target_unit);
        return FQ_EINVALID;
    }
    if (unit >= 0 && !fq_plan_unit_allowed(w->org, unit, actor)) {
        snprintf(err, err_len, "the target lies outside the jurisdiction of %s", actor->id);
        return FQ_EFORBIDDEN;
    }
    if (fq_route(w->router, &req, &out->decision) != FQ_OK) {
        snprintf(err, err_len, "the routing core finds nobody to redo it");
        return FQ_EINVALID;
    }
    char text[512];
    snprintf(text, sizeof text, "reopened for redo by %s: %s", actor->id, reason);
    fq_item_event ev = fq_items_node_event("reopened", actor, reason, FQ_REASON_OPERATOR, reason);
    ev.decided = 1;
    fq_items_routing(&out->outbox, w, &c->request, &out->decision, NULL, text, NULL, &ev);
    return FQ_OK;
}

void fq_reopen_plan_free(fq_reopen_plan *p)
{
    fq_outbox_free(&p->outbox);
}
