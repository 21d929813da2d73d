/* caseplan: what happens to an open case when one of its limits comes due
 * or its holder can no longer take it — decided from (routing state, case,
 * input, now) alone — and what a holder's action and an operator's command
 * on it bring — as a plan:
 * the event to record and why, the decision
 * the case moves to, the outbox items to whom, the statistics it counts in.
 * No clock, no timers, no store: the dispatcher (dispatch.c) applies a plan
 * (capacity, limits, the write in order, delivery after the commit). */
#ifndef FQ_CASEPLAN_H
#define FQ_CASEPLAN_H

#include "caseitems.h"
#include "calendar.h"
#include "caseload.h"
#include "directory.h"
#include "fengqiao.pb-c.h"
#include "lifecycle.h"
#include "org.h"
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

/* ---- working time ---- */

/* The calendar a case's working time counts on: its district's, or the
 * router's default (never NULL). */
const fq_calendar *fq_plan_calendar(const fq_world *w, const fq_decision *dec);

/* A limit extended by `by_ms` from where it is: natural time adds; working
 * time adds whole days as working days (the limit's own day not counted: the
 * close of the N-th working day after it) and anything else as working time. */
int64_t fq_plan_extended_limit(const fq_world *w, const fq_decision *dec, int64_t by_ms);

/* A warning that keeps its distance before a limit that moved from old_due
 * to new_due: the same natural time, or the same working time. 0 stays 0
 * (no warning). */
int64_t fq_plan_moved_warning(const fq_world *w, const fq_decision *dec, int64_t warn_ms,
                              int64_t old_due, int64_t new_due);

/* ---- a holder's action ---- */

/* What a holder's action on its assignment brings (a terminal's
 * AssignmentAction): the transition, the event, a return's new decision,
 * the items. Strings are static or point into the action planned from. */
typedef struct fq_action_plan {
    fq_action action;      /* 0: the reply to a supervision order (no transition) */
    int supervision_reply; /* the reply to the case's open supervision order */
    fq_assignment_state from, next_state;
    const char *kind;        /* the event's kind */
    const char *reason_code; /* FQ_REASON_* */
    const char *note;        /* the event's reason as stored: the note, or the kind */
    int rerouted;            /* a return found a new handler: `decision` */
    fq_decision decision;
    int concludes;        /* the incident closes (its result: the note) */
    int64_t extend_to_ms; /* EXTEND: the conclude limit asked for */
    /* The assignment's state the actor is told: on FQ_OK the state after
     * (or "concluded"); on FQ_ESTATE the state now, and whether what was
     * asked is in effect already (an action resent after it was done). */
    const char *answer;
    int already_done;
    fq_outbox_set outbox; /* the caller takes them or frees them (fq_action_plan_free) */
} fq_action_plan;

/* Checks the action of `actor` (a bound terminal's node) on case c against
 * who holds it and its state machine, and plans what follows at now_ms: 0,
 * or FQ_EFORBIDDEN (not an open assignment of the actor's: the same answer
 * for a case that is not open, c NULL), FQ_EBUSY (another action on it is
 * being stored), FQ_ESTATE, FQ_EINVALID, with a sentence in err. On an
 * error nothing is held (out->answer and out->already_done may be set). */
int fq_plan_action(const fq_world *w, const fq_case *c, const fq_node *actor,
                   const Fengqiao__V1__AssignmentAction *a, int64_t now_ms, fq_action_plan *out,
                   char *err, size_t err_len);
void fq_action_plan_free(fq_action_plan *p);

/* ---- a console command ---- */

/* 1 when `unit` lies inside the operator's jurisdiction — a district
 * operator's covers the district's own units (the center, departments). */
int fq_plan_unit_allowed(const fq_org *org, int32_t unit, const fq_node *actor);

/* What an operator's command on an open case brings (assign, escalate,
 * conclude, the extension's answer, merge, supervise, suspend, resume, a
 * mediation's step). Strings are static, in the plan, or point into the
 * command planned from. */
typedef struct fq_command_plan {
    int command; /* Fengqiao__V1__CommandKind */
    fq_assignment_state from, next_state;
    const char *kind;  /* the event's kind */
    const char *note;  /* the event's reason as stored: the operator's, or the order's text */
    const char *state; /* the incident's state after: assigned, concluded or merged */
    char text[512];    /* what the holders read */
    int moves;         /* assign or escalate: `decision` is a new holder, taking capacity */
    int rerouted;      /* `decision` carries the case's limits after (moved, extended, resumed) */
    fq_decision decision;
    int concludes;          /* the incident closes */
    char *result;           /* its result when it closes (malloc'd) */
    char *mediation_record; /* a mediation step's record for the store (malloc'd), or NULL */
    uint64_t merge_into;    /* MERGE: the open incident it joins */
    int64_t supervision_ms; /* SUPERVISE: the order's deadline; RESUME: the moved one, or 0 */
    int64_t suspend_ms;     /* SUSPEND: suspended at (now) */
    /* As fq_action_plan's: the state after, or on FQ_ESTATE the state now
     * and whether what was asked is so already. */
    const char *answer;
    int already_done;
    fq_outbox_set outbox;
} fq_command_plan;

/* Checks the command of `actor` (an operator's node) on case c (NULL: not
 * open) and plans it at now_ms; `into` is the open case a MERGE names
 * (NULL when it is not open). 0, or FQ_ENOTFOUND, FQ_EFORBIDDEN (outside
 * the jurisdiction), FQ_EBUSY, FQ_ESTATE, FQ_EINVALID, FQ_ENOMEM with a
 * sentence in err; on an error nothing is held. */
int fq_plan_command(const fq_world *w, const fq_case *c, const fq_case *into, const fq_node *actor,
                    const Fengqiao__V1__ConsoleCommand *cmd, int64_t now_ms, fq_command_plan *out,
                    char *err, size_t err_len);
void fq_command_plan_free(fq_command_plan *p);

/* ---- a report ---- */

/* The routing request of a validated, authorised report of `reporter`
 * (its jurisdiction the fallback place) at now_ms: its category by code,
 * its place — `place` (a unit index, or -1), else the grid its point lies
 * in, which must lie inside the reporter's jurisdiction as a named place
 * must. 0, or FQ_EINVALID (unknown category) or FQ_EFORBIDDEN with a
 * sentence in err. */
int fq_plan_report_request(const fq_world *w, const fq_directory *dir, const fq_node *reporter,
                           const Fengqiao__V1__ReportIncident *report, int32_t place,
                           int64_t now_ms, fq_route_request *req, char *err, size_t err_len);

/* A report decided as `own` whose matter is open already, handled as
 * `open`: 1 and in *merged the decision it joins under (handled as the open
 * one is, but keeping its own place: the territory columns say where THIS
 * report happened); 0 when it is dispatched on its own — a graver report of
 * the same matter, which would enter a higher tier than the open one sits
 * at. */
int fq_plan_merge(const fq_decision *own, const fq_decision *open, fq_decision *merged);

/* A report's decision as it is written (docs/write-path.md, "Dispatch"):
 * the routing event's kind, reason and reason code, the incident's state,
 * the RoutingOutcome (the reply's and the event's payload) and the items
 * the routing event leaves — for the report as routed (`dec`), or as merged
 * into the open incident `merged_into` (fq_plan_merge gave `dec`). Pure:
 * from the world, the request, the decision and the report's own words. */
#define FQ_PLAN_MAX_OUTCOME 1024
typedef struct fq_report_plan_config {
    double dedup_distance_m; /* said in a merge's reason */
    int64_t dedup_window_ms;
} fq_report_plan_config;
typedef struct fq_report_plan {
    uint64_t merged_into;    /* 0: dispatched on its own */
    const char *state;       /* assigned, merged, unroutable (static) */
    const char *event_kind;  /* the routing event's (static) */
    const char *reason_code; /* static; docs/terminals.md */
    char reason[256];        /* for people */
    uint8_t outcome[FQ_PLAN_MAX_OUTCOME];
    size_t outcome_len;   /* 0: it did not fit */
    fq_outbox_set outbox; /* the items (their statement parameters not built) */
} fq_report_plan;
/* `report`: the report as received, needed when it is dispatched on its
 * own (its items carry its details); NULL for a merge decided after the
 * report's arrival (a duplicate of an incident that was still being
 * written), whose items carry only `title`, `address` and `external_ref`.
 * The caller frees out->outbox (fq_outbox_free). */
void fq_plan_report(const fq_world *w, const fq_route_request *req, const fq_decision *dec,
                    uint64_t merged_into, const fq_report_plan_config *cfg, const fq_node *reporter,
                    const Fengqiao__V1__ReportIncident *report, const char *title,
                    const char *address, const char *external_ref, fq_report_plan *out);

/* RoutingOutcome bytes of a decision (merged into `merged_into`, or 0) into
 * out: its length, 0 when it does not fit `cap`. */
size_t fq_plan_outcome(const fq_world *w, const fq_decision *dec, uint64_t merged_into,
                       uint8_t *out, size_t cap);

/* ---- a reopen ---- */

/* A concluded case reopened for redo (重办): back to `target_worker` or
 * `target_unit` when one is named, else to the holder it had. */
typedef struct fq_reopen_plan {
    fq_decision decision; /* the new holder, taking capacity */
    fq_outbox_set outbox;
} fq_reopen_plan;

/* c: the concluded case as stored, in this snapshot's indices. 0, or
 * FQ_EINVALID (no such target, nobody to redo it) or FQ_EFORBIDDEN (the
 * target outside the actor's jurisdiction) with a sentence in err. */
int fq_plan_reopen(const fq_world *w, const fq_case *c, const fq_node *actor,
                   const char *target_unit, const char *target_worker, const char *reason,
                   int64_t now_ms, fq_reopen_plan *out, char *err, size_t err_len);
void fq_reopen_plan_free(fq_reopen_plan *p);

#endif
