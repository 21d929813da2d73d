/* lifecycle: the state machine of an assignment — what a handler (a grid
 * worker's terminal, a unit's duty officer) may do with an incident it
 * holds, and what each action leads to. Pure: a function of (state, action,
 * actor, now); the caller turns the result into one event.
 *
 *   assigned ──ack──▶ acknowledged ──conclude──▶ concluded
 *      │                 │  ▲ │
 *      │                 │  │ └─extend──▶ extension_requested ──(approve/deny)──┐
 *      │                 │  └────────────────────────────────────────────────────┘
 *      └──return──▶ returned ◀──return── (acknowledged)
 *   progress notes: acknowledged or extension_requested, state unchanged
 *
 * Rules: only the current holder acts; nothing is concluded before it is
 * acknowledged; a concluded, returned or cancelled assignment does not reopen
 * from a terminal (an operator's "redo" is a new assignment). */
#ifndef FQ_LIFECYCLE_H
#define FQ_LIFECYCLE_H

#include "fqerr.h"

#include <stdint.h>

typedef enum fq_assignment_state {
    FQ_ASSIGNMENT_ASSIGNED = 1,
    FQ_ASSIGNMENT_ACKNOWLEDGED = 2,
    FQ_ASSIGNMENT_EXTENSION_REQUESTED = 3,
    FQ_ASSIGNMENT_CONCLUDED = 4,
    FQ_ASSIGNMENT_RETURNED = 5,
    FQ_ASSIGNMENT_CANCELLED = 6, /* moved on by escalation or rerouting */
} fq_assignment_state;

typedef enum fq_action {
    FQ_ACTION_ACKNOWLEDGE = 1,
    FQ_ACTION_RETURN = 2,
    FQ_ACTION_PROGRESS = 3,
    FQ_ACTION_EXTEND = 4,
    FQ_ACTION_CONCLUDE = 5,
    FQ_ACTION_APPROVE_EXTENSION = 6, /* operator */
    FQ_ACTION_DENY_EXTENSION = 7,    /* operator */
} fq_action;

typedef enum fq_return_reason {
    FQ_RETURN_NONE = 0,
    FQ_RETURN_WRONG_JURISDICTION = 1,
    FQ_RETURN_BEYOND_CAPACITY = 2,
} fq_return_reason;

typedef struct fq_action_input {
    fq_action action;
    int by_holder;           /* the actor holds this assignment */
    int by_operator;         /* the actor is an operator with authority over it */
    fq_return_reason reason; /* RETURN */
    int has_note;            /* RETURN, PROGRESS, EXTEND, CONCLUDE need one */
    int64_t extend_to_ms;    /* EXTEND: the conclude limit asked for */
} fq_action_input;

typedef struct fq_assignment {
    fq_assignment_state state;
    int64_t conclude_due_ms;
    int64_t extension_asked_ms; /* pending extension's requested limit */
} fq_assignment;

/* Errors (fqerr.h): FQ_EFORBIDDEN (someone else holds it), FQ_ESTATE (not
 * allowed in this state), FQ_EINVALID (missing note or reason, bad extension). */

/* Applies the action: 0 and *next, or a negative code and a sentence in
 * *why that a worker can read. */
int fq_lifecycle_apply(const fq_assignment *current, const fq_action_input *in, int64_t now_ms,
                       fq_assignment *next, const char **why);

const char *fq_assignment_state_name(fq_assignment_state state);
const char *fq_action_name(fq_action action);
/* The event kind an action leaves in the log ("acknowledged", …). */
const char *fq_action_event_kind(fq_action action);

#endif
