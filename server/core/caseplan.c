#include "caseplan.h"

#include "taxonomy.h"

#include <stdio.h>
#include <string.h>

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
