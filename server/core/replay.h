/* replay: "what if" — the recorded reports of a period routed again under
 * another rule set, and what would have changed.
 *
 * Input: a router built over the recorded topology (org, roster, polygons)
 * and the alternative rules, and the period's recorded incidents in the order
 * they were reported. Each carries what routing needs (category, severity,
 * risk, place or coordinates, the reporter's jurisdiction as fallback, the
 * time it was reported) and what was recorded (tier, line, lead unit, number
 * of escalations, and — when the event history knows them — the times it was
 * acknowledged and concluded; 0 = unknown or never).
 *
 * The run replays time: each incident is decided with fq_route at its
 * reported time and applied (the worker's load grows); it is released (the
 * load shrinks) when the recorded incident was concluded, or, never
 * concluded, when the what-if conclude limit expires — releases due at or
 * before a report are processed, in time order, before it is decided. So the
 * what-if decisions see the loads the what-if decisions made, not the
 * recorded ones. Worker loads start at zero; duty is as the roster says.
 *
 * Predictions, per incident, from the recorded times against the what-if
 * limits (which run from the reported time):
 *  - escalation: the recorded acknowledgement came after the what-if
 *    acknowledge limit, or had not come by the horizon although the limit
 *    had passed. At the district tier nothing is above: that is counted as a
 *    breach at the top instead. At most one per incident (the first); the
 *    recorded figure counts every escalation of the incident.
 *  - on time: concluded at or before the what-if conclude limit; late:
 *    concluded after it; unknown: not concluded (as far as the record says).
 *    Counted per what-if lead unit.
 *
 * Pure: no clock, no I/O. fq_replay_new allocates everything a run needs;
 * fq_replay_run allocates nothing (the release heap is preallocated for the
 * capacity given and only grows, doubling, if more are pending at once). */
#ifndef FQ_REPLAY_H
#define FQ_REPLAY_H

#include "roster.h"
#include "router.h"

#include <stddef.h>
#include <stdint.h>

/* One recorded incident. 64 bytes. */
typedef struct fq_replay_incident {
    int64_t reported_ms;  /* the routing request's now: when it was recorded */
    int64_t ack_ms;       /* recorded acknowledgement, 0 = unknown / never */
    int64_t concluded_ms; /* recorded conclusion, 0 = unknown / never */
    double lon, lat;      /* when has_location */
    int32_t place;        /* org unit index, or -1 (coordinates only) */
    int32_t fallback_place;
    int32_t recorded_lead; /* handler index, -1 = none recorded */
    int16_t category;      /* taxonomy index */
    uint16_t recorded_escalations;
    uint8_t severity, risk, has_location;
    uint8_t recorded_tier; /* fq_tier, 0 = not routed (unroutable) */
    uint8_t recorded_line; /* fq_line */
    uint8_t reserved[3];
} fq_replay_incident;

/* Per handling unit. */
typedef struct fq_replay_unit {
    uint64_t recorded; /* incidents the record gave this unit as lead */
    uint64_t cases;    /* incidents the what-if rules give it as lead */
    uint64_t on_time, late, unknown;
    uint64_t escalations; /* predicted escalations (or breaches at the top) of its cases */
} fq_replay_unit;

typedef struct fq_replay_stats {
    uint64_t incidents;
    /* [0]: not routed (recorded: unroutable / no tier; what-if: no decision),
     * [1..3]: village, town, district. */
    uint64_t recorded_tier[4];
    uint64_t whatif_tier[4];
    uint64_t transitions[4][4]; /* [recorded tier][what-if tier] */
    /* Decisions that differ from the record, among those routed both ways. */
    uint64_t changed;              /* tier, line or lead differs */
    uint64_t changed_tier;         /* of which the tier */
    uint64_t changed_line;         /* ... the line */
    uint64_t changed_lead;         /* ... the lead unit */
    uint64_t moved_up, moved_down; /* what-if tier above / below the recorded */
    uint64_t recorded_escalations; /* sum of the recorded counts */
    uint64_t recorded_escalated;   /* incidents escalated at least once */
    uint64_t predicted_escalations;
    uint64_t predicted_breaches; /* missed acknowledge limit at the district tier */
    uint64_t ack_known;          /* incidents with a recorded acknowledgement */
    uint64_t ack_pending;        /* not acknowledged, what-if limit after the horizon */
    uint64_t on_time, late, unknown;
    uint64_t concluded_known; /* incidents with a recorded conclusion */
    /* Per handler (fq_roster handler index), plus one last slot for
     * village-tier decisions without a village unit (lead -1). Points into
     * the replay: valid until the next run or fq_replay_free. */
    size_t n_units;
    const fq_replay_unit *units;
} fq_replay_stats;

typedef struct fq_replay fq_replay;

/* Borrows the router and the roster it decides over (the run changes the
 * roster's worker loads). `capacity`: incidents expected to hold a worker at
 * once; the release heap is allocated for that many. NULL with a message. */
fq_replay *fq_replay_new(fq_router *router, fq_roster *roster, size_t capacity, char *err,
                         size_t err_len);
void fq_replay_free(fq_replay *rp);

/* Replays `n` incidents, in reported order, up to `horizon_ms` (the time the
 * record was read: an acknowledgement not recorded by then is taken as never
 * given). Resets the worker loads to zero first. Returns 0, or -1 when the
 * incidents are out of order or the heap cannot grow (err says). The stats
 * are complete either way only when 0 is returned. */
int fq_replay_run(fq_replay *rp, const fq_replay_incident *incidents, size_t n, int64_t horizon_ms,
                  fq_replay_stats *out, char *err, size_t err_len);

#endif
