#include "lifecycle.h"

#include <stddef.h>

const char *fq_assignment_state_name(fq_assignment_state state)
{
    switch (state) {
    case FQ_ASSIGNMENT_ASSIGNED:
        return "assigned";
    case FQ_ASSIGNMENT_ACKNOWLEDGED:
        return "acknowledged";
    case FQ_ASSIGNMENT_EXTENSION_REQUESTED:
        return "extension_requested";
    case FQ_ASSIGNMENT_CONCLUDED:
        return "concluded";
    case FQ_ASSIGNMENT_RETURNED:
        return "returned";
    case FQ_ASSIGNMENT_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

const char *fq_action_name(fq_action action)
{
    switch (action) {
    case FQ_ACTION_ACKNOWLEDGE:
        return "acknowledge";
    case FQ_ACTION_RETURN:
        return "return";
    case FQ_ACTION_PROGRESS:
        return "progress";
    case FQ_ACTION_EXTEND:
        return "extend";
    case FQ_ACTION_CONCLUDE:
        return "conclude";
    case FQ_ACTION_APPROVE_EXTENSION:
        return "approve extension";
    case FQ_ACTION_DENY_EXTENSION:
        return "deny extension";
    }
    return "unknown";
}

const char *fq_action_event_kind(fq_action action)
{
    switch (action) {
    case FQ_ACTION_ACKNOWLEDGE:
        return "acknowledged";
    case FQ_ACTION_RETURN:
        return "returned";
    case FQ_ACTION_PROGRESS:
        return "progress";
    case FQ_ACTION_EXTEND:
        return "extension_requested";
    case FQ_ACTION_CONCLUDE:
        return "concluded";
    case FQ_ACTION_APPROVE_EXTENSION:
        return "extension_approved";
    case FQ_ACTION_DENY_EXTENSION:
        return "extension_denied";
    }
    return "unknown";
}

static int refuse(int code, const char *text, const char **why)
{
    *why = text;
    return code;
}

int fq_lifecycle_apply(const fq_assignment *cur, const fq_action_input *in, int64_t now_ms,
                       fq_assignment *next, const char **why)
{
    *why = "";
    *next = *cur;
    int operator_action =
        in->action == FQ_ACTION_APPROVE_EXTENSION || in->action == FQ_ACTION_DENY_EXTENSION;
    if (operator_action ? !in->by_operator : !in->by_holder)
        return refuse(FQ_EFORBIDDEN,
                      operator_action ? "only an operator may decide on an extension"
                                      : "this incident is not assigned to you",
                      why);
    fq_assignment_state s = cur->state;
    if (s == FQ_ASSIGNMENT_CONCLUDED || s == FQ_ASSIGNMENT_RETURNED || s == FQ_ASSIGNMENT_CANCELLED)
        return refuse(FQ_ESTATE,
                      s == FQ_ASSIGNMENT_CONCLUDED  ? "the assignment is concluded and does not "
                                                      "reopen from a terminal"
                      : s == FQ_ASSIGNMENT_RETURNED ? "the assignment was returned"
                                                    : "the assignment has moved on to another "
                                                      "handler",
                      why);
    switch (in->action) {
    case FQ_ACTION_ACKNOWLEDGE:
        if (s != FQ_ASSIGNMENT_ASSIGNED)
            return refuse(FQ_ESTATE, "the assignment is already acknowledged", why);
        next->state = FQ_ASSIGNMENT_ACKNOWLEDGED;
        return FQ_OK;
    case FQ_ACTION_RETURN:
        if (in->reason != FQ_RETURN_WRONG_JURISDICTION && in->reason != FQ_RETURN_BEYOND_CAPACITY)
            return refuse(FQ_EINVALID,
                          "a return needs a reason: wrong jurisdiction or beyond capacity", why);
        if (!in->has_note)
            return refuse(FQ_EINVALID, "a return needs a note saying why", why);
        next->state = FQ_ASSIGNMENT_RETURNED;
        return FQ_OK;
    case FQ_ACTION_PROGRESS:
        if (s == FQ_ASSIGNMENT_ASSIGNED)
            return refuse(FQ_ESTATE,
                          "acknowledge the assignment before reporting "
                          "progress",
                          why);
        if (!in->has_note)
            return refuse(FQ_EINVALID, "a progress note cannot be empty", why);
        return FQ_OK;
    case FQ_ACTION_EXTEND:
        if (s == FQ_ASSIGNMENT_ASSIGNED)
            return refuse(FQ_ESTATE,
                          "acknowledge the assignment before asking for "
                          "more time",
                          why);
        if (s == FQ_ASSIGNMENT_EXTENSION_REQUESTED)
            return refuse(FQ_ESTATE, "an extension is already waiting for approval", why);
        if (!in->has_note)
            return refuse(FQ_EINVALID, "an extension request needs a reason", why);
        if (in->extend_to_ms <= cur->conclude_due_ms || in->extend_to_ms <= now_ms)
            return refuse(FQ_EINVALID,
                          "the new limit must be later than the current one and than now", why);
        next->state = FQ_ASSIGNMENT_EXTENSION_REQUESTED;
        next->extension_asked_ms = in->extend_to_ms;
        return FQ_OK;
    case FQ_ACTION_CONCLUDE:
        if (s == FQ_ASSIGNMENT_ASSIGNED)
            return refuse(FQ_ESTATE, "nothing is concluded before it is acknowledged", why);
        if (!in->has_note)
            return refuse(FQ_EINVALID, "a conclusion needs a result note", why);
        next->state = FQ_ASSIGNMENT_CONCLUDED;
        next->extension_asked_ms = 0;
        return FQ_OK;
    case FQ_ACTION_APPROVE_EXTENSION:
    case FQ_ACTION_DENY_EXTENSION:
        if (s != FQ_ASSIGNMENT_EXTENSION_REQUESTED)
            return refuse(FQ_ESTATE, "no extension is waiting for a decision", why);
        next->state = FQ_ASSIGNMENT_ACKNOWLEDGED;
        if (in->action == FQ_ACTION_APPROVE_EXTENSION)
            next->conclude_due_ms = cur->extension_asked_ms;
        next->extension_asked_ms = 0;
        return FQ_OK;
    }
    return refuse(FQ_EINVALID, "unknown action", why);
}
