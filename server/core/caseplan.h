/* caseplan: what happens to an open case when one of its limits comes due
 * or its holder can no longer take it — decided from (routing state, case,
 * input, now) alone, as a plan: the event to record and why, the decision
 * the case moves to, the outbox items to whom, the statistics it counts in.
 * No clock, no timers, no store: the dispatcher (dispatch.c) applies a plan
 * (capacity, limits, the write in order, delivery after the commit). */
#ifndef FQ_CASEPLAN_H
#define FQ_CASEPLAN_H

#include "caseitems.h"
#include "caseload.h"
#include "outbox.h"
#include "router.h"

#include <stdint.h>

typedef enum fq_plan_write {
    FQ_PLAN_NOTHING = 0, /* nothing happens (a supervision order answered meanwhile) */
    FQ_PLAN_EVENT = 1,   /* an event of the case, which stays where it is */
    FQ_PLAN_REROUTE = 2, /* the case goes to `to`: a re-decision and its event */
} fq_plan_write;

/* The limits an event records as breached for good (so that a restart does
 * not fire them again), and a supervision order that passed unanswered (the
 * console's overdue_limits). */
#define FQ_PLAN_BREACHED_ACK 1
#define FQ_PLAN_BREACHED_CONCLUDE 2
#define FQ_PLAN_BREACHED_SUPERVISION 4

typedef struct fq_case_plan {
    fq_plan_write write;
    const char *kind;        /* the event's kind (static): ack_warning, escalated, breached, ... */
    const char *reason_code; /* FQ_REASON_* (static) */
    char reason[256];        /* the event's reason as stored */
    int breached;            /* FQ_PLAN_BREACHED_* */
    int supervision_over;    /* the event closes a supervision order unanswered */
    int end_supervision;     /* the case's open supervision order is over */
    fq_decision to;          /* FQ_PLAN_REROUTE: the case's next decision */
    fq_outbox_set outbox;    /* the items the event leaves: the caller takes them or frees them */
    /* What the dispatcher's statistics count (0 or 1 each). */
    int warnings, escalations, breaches_at_top, moved_absent;
} fq_case_plan;

/* The limit `kind` (FQ_DEADLINE_*) of the case passed at now_ms: a warning
 * to its holders, an escalation one tier up (the acknowledge and conclude
 * limits), a breach recorded where nobody is above, or a supervision order
 * that went unanswered. */
void fq_plan_deadline(const fq_world *w, const fq_case *c, uint32_t kind, int64_t now_ms,
                      fq_case_plan *out);

/* The case goes one tier up because `why` (a breached limit `limit`,
 * FQ_PLAN_BREACHED_*, or 0; `reason_code` FQ_REASON_*), its limits running
 * from now_ms; at the district, or with nobody above, it stays and the
 * breach is recorded for the command center to supervise. */
void fq_plan_escalate(const fq_world *w, const fq_case *c, const char *why, int limit,
                      const char *reason_code, int64_t now_ms, fq_case_plan *out);

/* The holder can no longer take it (their terminal went silent): another
 * handler of the same territory and tier if there is one, else one up. */
void fq_plan_move_on(const fq_world *w, const fq_case *c, const char *why, int64_t now_ms,
                     fq_case_plan *out);

/* Frees what the plan still holds (its items, unless taken). */
void fq_plan_free(fq_case_plan *p);

#endif
