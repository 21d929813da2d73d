#include "caseplan.h"

#include "taxonomy.h"

#include <inttypes.h>
#include <stdio.h>
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
    fq_route_status st = fq_route_escalate(w->router, &req, &c->decision, &up);
    if (st != FQ_ROUTE_ASSIGNED) {
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
    if (fq_route_reroute(w->router, &req, &c->decision, here, &next) == FQ_ROUTE_ASSIGNED &&
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
    fq_route_status st = wrong && place >= 0
                             ? fq_route_reroute(w->router, &req, &c->decision, place, &p->decision)
                             /* beyond capacity, or the right place unknown: one tier up */
                             : fq_route_escalate(w->router, &req, &c->decision, &p->decision);
    char text[512];
    if (st == FQ_ROUTE_ASSIGNED) {
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
