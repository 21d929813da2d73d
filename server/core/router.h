/* router: the tiered district -> town -> village decision.
 *
 * For an incident it finds the territorial owner at each tier (from its place
 * or, with only coordinates, from the grid polygons), takes the rule for its
 * (category, severity, risk), and picks the handler: at village tier a grid
 * worker who is on duty and under capacity — the least loaded, ties broken by
 * a rotating start so the same worker is not always first — at town tier the
 * town's platform line, at district tier the district department of the line
 * (or the command center) as lead with the rule's co-handling departments and
 * the town's line, a joint operation. Where no one can take it at a tier it
 * climbs to the next. Escalation (a missed deadline, a return "beyond
 * capacity", the handler going off duty) is the same decision one tier up,
 * the returning worker excluded; it never loops and stops at the district.
 *
 * The four instants of a decision (acknowledge and conclude, each with its
 * warning) count natural time or, when the rule says so, working time on
 * the calendar of the incident's district (fq_router_set_calendar).
 *
 * Pure: fq_route reads the state and writes a decision; fq_route_apply and
 * fq_route_release change worker loads and the rotation. No clock, no I/O,
 * no allocation. */
#ifndef FQ_ROUTER_H
#define FQ_ROUTER_H

#include "calendar.h"
#include "fqerr.h"
#include "geo.h"
#include "org.h"
#include "roster.h"
#include "rules.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_ROUTE_MAX_CO (FQ_RULE_MAX_CO + 1)
#define FQ_ROUTE_MAX_EXCLUDED 8

/* What a decision came to. An outcome, not an error: a report nobody can
 * take is still stored, unrouted, and counted as such. The functions below
 * return the server's error convention (fqerr.h) beside it. */
typedef enum fq_route_outcome {
    FQ_ROUTE_ASSIGNED = 0, /* FQ_OK */
    FQ_ROUTE_NOWHERE,      /* FQ_ENOTFOUND: only coordinates, in no grid, and no fallback place */
    FQ_ROUTE_NO_HANDLER,   /* FQ_ENOTFOUND: no unit at any tier from the entry tier up (a gap) */
    FQ_ROUTE_REFUSED,      /* FQ_EINVALID or FQ_ESTATE: nothing was decided */
} fq_route_outcome;

typedef struct fq_route_request {
    /* Ordered so that nothing is padding: an open case holds one (caseload.h),
     * a million at start. */
    int category;  /* taxonomy index */
    int severity;  /* 1..4 */
    int risk;      /* 1..3 */
    int32_t place; /* org unit index, or -1 when the incident has only coordinates */
    int has_location;
    /* Where to place it when the coordinates fall in no grid: the reporter's
     * jurisdiction, typically. -1: none (the decision is FQ_ROUTE_NOWHERE). */
    int32_t fallback_place;
    fq_tier min_tier; /* 0, or the lowest tier allowed (escalation) */
    int n_excluded;
    int32_t excluded[FQ_ROUTE_MAX_EXCLUDED]; /* workers who returned it */
    int32_t override_handler;                /* operator's choice of unit, or -1 */
    int32_t override_worker;                 /* operator's choice of worker, or -1 */
    double lon, lat;
    int64_t now_ms;
} fq_route_request;

typedef struct fq_decision {
    fq_route_outcome status;
    uint8_t tier;     /* fq_tier */
    uint8_t line;     /* fq_line */
    uint8_t climbed;  /* tiers climbed because nobody could take it lower */
    uint8_t unplaced; /* coordinates in no grid: placed at the fallback */
    uint8_t overridden;
    uint8_t n_co;
    /* The limits were computed in working time on the district's calendar
     * (the rule says so, docs/calendar.md); natural time otherwise. An
     * extension, a pause and a re-decision count the same way. */
    uint8_t working_time;
    int32_t grid, village, town, district; /* territorial owners, -1 where none */
    int32_t lead;   /* handler index; at village tier the village unit (may be -1) */
    int32_t worker; /* worker index at village tier, else -1 */
    int32_t co[FQ_ROUTE_MAX_CO];
    uint32_t rule_source;
    int64_t ack_due_ms, ack_warn_ms, conclude_due_ms, conclude_warn_ms;
} fq_decision;

typedef struct fq_router fq_router;

/* A district without an imported calendar counts working time on this one:
 * fq_calendar_init at +08:00 (Beijing), Monday to Friday, whole days, no
 * holidays (docs/calendar.md). */
#define FQ_ROUTER_DEFAULT_UTC_OFFSET_S (8 * 3600)
/* Under working time a limit that is a whole number of these is that many
 * working days; any other, working seconds (rules.h). */
#define FQ_WORKING_DAY_S 86400u

/* Borrows everything; `geo` may be NULL (no polygons). */
fq_router *fq_router_new(const fq_org *org, fq_roster *roster, const fq_rules *rules,
                         const fq_geo_index *geo, char *err, size_t err_len);
void fq_router_free(fq_router *router);

void fq_route_request_init(fq_route_request *req);

/* Decides; changes nothing. FQ_OK: assigned (out->status FQ_ROUTE_ASSIGNED);
 * FQ_ENOTFOUND: nobody takes it (out->status says why); FQ_EINVALID: the
 * category, severity, risk or an override is out of range. */
int fq_route(const fq_router *router, const fq_route_request *req, fq_decision *out);

/* The decision was taken (stored): the worker's load grows, the rotation
 * moves on. An operator's override to a named worker is applied even when
 * that worker is full or off duty: it is the operator's explicit choice. */
void fq_route_apply(fq_router *router, const fq_decision *decision);

/* The decision no longer holds (concluded, escalated, returned, cancelled). */
void fq_route_release(fq_router *router, const fq_decision *decision);

/* The same incident one tier up, the current worker excluded: fq_route's
 * answers, and FQ_ESTATE for a district-tier decision or one that was not
 * assigned (nothing above it to ask). `req` is the incident's original
 * request (its exclusions are kept). */
int fq_route_escalate(const fq_router *router, const fq_route_request *req,
                      const fq_decision *current, fq_decision *out);

/* A return "wrong jurisdiction": the same incident decided afresh for its
 * right territorial owner `place`, at the tier of the current decision or
 * above, never back to the worker who returned it. When the place is a
 * village (or in one) whose workers cannot take it although the rule keeps
 * it in the village, the village's own unit holds it at the village tier:
 * the holder named where it belongs, and that is not the town line. */
int fq_route_reroute(const fq_router *router, const fq_route_request *req,
                     const fq_decision *current, int32_t place, fq_decision *out);

/* The calendar of a district (borrowed: it must outlive the router, e.g. the
 * routing snapshot's). -1 when `district` is not a district. Decisions for
 * incidents in it then count working time on it. */
int fq_router_set_calendar(fq_router *router, int32_t district, const fq_calendar *calendar);
/* The calendar working time counts on in a district: its own, or the
 * default (FQ_ROUTER_DEFAULT_UTC_OFFSET_S) for a district without one or an
 * index that is not a district. Never NULL. */
const fq_calendar *fq_router_calendar(const fq_router *router, int32_t district);

/* A working-time limit of `seconds` from an instant: whole days
 * (FQ_WORKING_DAY_S) are working days (fq_calendar_add_working_days), any
 * other value working time (fq_calendar_add_working_ms). Used for decisions
 * and for extensions. */
int64_t fq_working_limit_due(const fq_calendar *c, int64_t from_ms, uint32_t seconds);
/* A working-time warning `seconds` before a limit due at due_ms: whole days
 * are that many working days' working time (day_ms each), else working
 * seconds, taken back with fq_calendar_sub_working_ms. */
int64_t fq_working_warning(const fq_calendar *c, int64_t due_ms, uint32_t seconds);

size_t fq_router_memory(const fq_router *router);

#endif
