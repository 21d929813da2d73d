/* caseload: the open incidents the server holds in memory — for each, the
 * routing request it was decided from, its current decision and the handles
 * of its pending deadlines — so that a deadline firing or a return can be
 * re-decided without a database round trip. Pure data structure: records
 * in slabs (chunks that never move, so a pointer to a case stays valid until
 * that case is removed, however many are added meanwhile) and an
 * open-addressing table (linear probing, backward-shift deletion) from
 * incident id to record index. Removed records are reused by later adds;
 * memory is kept at its peak until fq_caseload_free. */
#ifndef FQ_CASELOAD_H
#define FQ_CASELOAD_H

#include "calendar.h"
#include "deadlines.h"
#include "hugepages.h"
#include "lifecycle.h"
#include "router.h"

#include <stddef.h>
#include <stdint.h>

/* Deadline kinds, in the order they fall due. */
enum {
    FQ_DEADLINE_ACK_WARNING = 1,
    FQ_DEADLINE_ACK_DUE = 2,
    FQ_DEADLINE_CONCLUDE_WARNING = 3,
    FQ_DEADLINE_CONCLUDE_DUE = 4,
    FQ_DEADLINE_SUPERVISION_DUE = 5, /* a supervision order's reply */
};
#define FQ_CASE_DEADLINES 5

typedef struct fq_case {
    uint64_t incident_id;
    fq_route_request request;
    fq_decision decision;
    /* Its next limit's deadline (0 when none) and that limit's kind. One
     * limit of a case is pending at a time, the earliest still to fire
     * (fq_case_schedule); when it fires, the server schedules the next. Four
     * pending deadlines a case were 144 bytes more a case (a million cases
     * at start: 144 MB to fault in and zero, and three million heap adds). */
    fq_deadline_id deadline;
    int64_t extension_ms;   /* the conclude limit its holder asked for (pending), or 0 */
    int64_t supervision_ms; /* the open supervision order's reply deadline, or 0 */
    int64_t incident_at_ms; /* when it happened (dedup.h): the duplicate window counts from it */
    /* Maps the decision's wall-clock limits onto the monotonic clock the
     * deadlines run on: monotonic minus wall-clock ms when the limits were
     * set (fq_case_new_limits). Records keep wall time; a later step of the
     * wall clock moves no pending limit. */
    int64_t clock_offset_ms;
    /* Suspended (中止) since this wall-clock time, or 0: its clocks stand
     * still and no limit is pending (docs/console.md, "Suspension"). */
    int64_t suspended_ms;
    uint8_t deadline_kind; /* the kind of `deadline`, 0 when none */
    uint8_t escalations;
    uint8_t assignment; /* fq_assignment_state (lifecycle.h); 0 reads as assigned */
    uint8_t busy;       /* a terminal's action on it is on its way to the database */
    /* The limits that already fired for the current holder, bit (kind - 1):
     * each is warned and breached at most once per holder, however often
     * the case is rescheduled (a supervision order, an extension). */
    uint8_t fired;
    /* Its mediation (fq_mediation_state, mediation.h): none, open or ended
     * (a reopened incident whose mediation ended). */
    uint8_t mediation;
} fq_case;

/* Its holder acknowledged it (an extension may be waiting): the
 * acknowledge limit is spent. */
static inline int fq_case_acknowledged(const fq_case *c)
{
    return c->assignment == FQ_ASSIGNMENT_ACKNOWLEDGED ||
           c->assignment == FQ_ASSIGNMENT_EXTENSION_REQUESTED;
}

/* The case's limits were (re)set at wall_now_ms, which the monotonic clock
 * reads as mono_now_ms: the limits in `kinds` (bits (kind - 1)) are to fire
 * again — a new holder (all), a granted extension (the conclude ones). */
void fq_case_new_limits(fq_case *c, int64_t wall_now_ms, int64_t mono_now_ms, unsigned kinds);

/* (Re)schedules in dl the case's next limit: of the limits still to fire —
 * not fired for this holder, set (non-zero) in the decision, the acknowledge
 * ones only while unacknowledged, the supervision order's while one is open,
 * none at all while the case is suspended — the earliest (the lower kind
 * first at the same time); the one pending before is cancelled. Due times
 * are monotonic (wall due + clock_offset_ms). The caller schedules again
 * whenever what is still to fire changes: a limit fired (fq_case_fired), an
 * acknowledgement, a new decision, an order or its reply, a suspension. */
void fq_case_schedule(fq_case *c, fq_deadlines *dl);

/* Cancels the case's pending limit, if any (it closes). */
void fq_case_unschedule(fq_case *c, fq_deadlines *dl);

/* The limits of a suspended case resumed at wall-clock resumed_ms: every
 * limit (warnings, dues, the supervision order's reply) still ahead when it
 * was suspended keeps what was left of it (fq_limit_after_pause, in working
 * time on cal, or natural time when cal is NULL); one already passed stays
 * as it was. Writes the moved limits into *dec (a copy of the case's
 * decision) and *supervision_ms; the case itself is not changed. */
void fq_case_resumed_limits(const fq_case *c, const fq_calendar *cal, int64_t resumed_ms,
                            fq_decision *dec, int64_t *supervision_ms);

/* The deadline of `kind` (the case's pending one) came out of dl: it is
 * spent for this holder, and none is pending until the next
 * fq_case_schedule. */
void fq_case_fired(fq_case *c, uint32_t kind);

typedef struct fq_caseload fq_caseload;

fq_caseload *fq_caseload_new(void);
void fq_caseload_free(fq_caseload *c);

/* A new record for the incident (zeroed but for the id), or NULL when out of
 * memory or already present. */
fq_case *fq_caseload_add(fq_caseload *c, uint64_t incident_id);
/* Room for n more cases without growing (bulk loads): 0, or -1 when out of
 * memory (nothing is lost; adds still grow as needed). */
int fq_caseload_reserve(fq_caseload *c, size_t n);
/* The memory the next n adds write that no add has written yet (fresh
 * records), as up to max spans (n / 65536 + 2 suffice); returns how many.
 * For fq_populate on another thread ahead of a bulk load: addresses only,
 * nothing there is read. Valid until the caseload next grows or is freed. */
size_t fq_caseload_ahead(const fq_caseload *c, size_t n, fq_span *out, size_t max);
fq_case *fq_caseload_find(fq_caseload *c, uint64_t incident_id);
/* Asks the CPU to fetch where incident_id's index entry would be: a bulk
 * load calls it a few rows ahead of each add, so that the add does not wait
 * for a cache miss in a table of tens of MB. A hint only. */
void fq_caseload_prefetch(const fq_caseload *c, uint64_t incident_id);
void fq_caseload_remove(fq_caseload *c, uint64_t incident_id);
size_t fq_caseload_count(const fq_caseload *c);
/* Calls fn for every case (fn must not add or remove cases), in no promised
 * order. */
void fq_caseload_foreach(fq_caseload *c, void (*fn)(fq_case *, void *), void *user);
size_t fq_caseload_memory(const fq_caseload *c);

#endif
