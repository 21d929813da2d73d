/* dispatch: the routing core wired into the server. For each report the
 * intake has validated it decides — merge into an open duplicate, or route
 * to a tier, unit and worker — and hands the decision to the store to be
 * written in the same transaction as the report. It keeps the open incidents
 * (caseload), the duplicate index and the deadlines, drives the deadlines
 * with one libuv timer, and turns warnings and breaches into events and
 * escalations. Decisions refer to a snapshot of the directory and the
 * routing state; snapshots are reference-counted so a reload never pulls
 * the ground from under a decision waiting for its commit. */
#ifndef FQ_DISPATCH_H
#define FQ_DISPATCH_H

#include "caseitems.h"
#include "caseplan.h"
#include "caseload.h"
#include "dedup.h"
#include "deadlines.h"
#include "directory.h"
#include "fengqiao.pb-c.h"
#include "fqerr.h"
#include "lifecycle.h"
#include "outbox.h"
#include "pgarray.h"
#include "routing_state.h"
#include "store.h"
#include "validate.h"
#include "write_params.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <uthash.h>
#include <uv.h>

/* One load of the database: who may talk (directory) and how to route. */
typedef struct fq_snapshot {
    fq_directory *directory;
    fq_routing *routing; /* NULL when the routing state could not be built */
    fq_world world;      /* the routing state as items and plans read it (with routing) */
    int refs;
} fq_snapshot;

fq_snapshot *fq_snapshot_new(fq_directory *directory, fq_routing *routing);
void fq_snapshot_ref(fq_snapshot *s);
void fq_snapshot_unref(fq_snapshot *s);

typedef struct fq_dispatch_config {
    double dedup_distance_m;
    int64_t dedup_window_ms;
    int deadline_budget; /* deadlines handled per loop turn at most */
} fq_dispatch_config;

/* A decision on its way to the database, embedded in the intake's request.
 *
 * Duplicates in flight: an assigned report is matchable for duplicates from
 * its decision on, under a provisional id (FQ_DISPATCH_PROVISIONAL set),
 * not only once committed. A report that duplicates such a one waits for it
 * (`waiting_for`): it is sent to the store only when the first has committed
 * and its incident id is known; if the first's commit fails, the waiting
 * one is answered "not stored, retry" and is decided afresh when resent. */
typedef struct fq_ticket fq_ticket;
struct fq_ticket {
    fq_snapshot *snapshot; /* held until stored or dropped */
    int applied;           /* the decision took a worker's capacity */
    fq_route_request request;
    fq_decision decision;
    int64_t incident_at_ms; /* when it happened: the duplicate window counts from it */
    uint64_t provisional;   /* its id in the duplicate index until committed, or 0 */
    UT_hash_handle hh;      /* the dispatcher's tickets by provisional id */
    fq_ticket *waiting_for; /* the uncommitted incident it duplicates, or NULL */
    fq_ticket *waiters;     /* duplicates of this one waiting for its commit */
    fq_ticket *next_waiter;
    fq_store_op *op; /* its statement, once handed to fq_dispatch_submit */
    uint64_t merged_into;
    fq_report_plan plan;      /* what is written: texts, outcome, items (caseplan.h) */
    fq_route_params route;    /* the decision as the statement writes it */
    int64_t nonce;            /* written with the report; a retry finds its own row by it */
    fq_report_params *params; /* its statement's, once bound (fq_dispatch_bind) */
};

/* The bit that marks provisional ids in the duplicate index (incident ids
 * are PostgreSQL bigints, below 2^63). */
#define FQ_DISPATCH_PROVISIONAL (1ULL << 63)

typedef struct fq_dispatch_stats {
    uint64_t routed[4]; /* by tier: [1] village, [2] town, [3] district */
    uint64_t merged;
    uint64_t unplaced;
    uint64_t unroutable;
    uint64_t warnings;
    uint64_t escalations;
    uint64_t breaches_at_top;
    uint64_t actions;
    uint64_t moved_absent; /* unacknowledged assignments moved off silent terminals */
    size_t open;
    size_t pending_deadlines;
} fq_dispatch_stats;

typedef struct fq_dispatch fq_dispatch;

fq_dispatch *fq_dispatch_new(uv_loop_t *loop, fq_store *store, const fq_dispatch_config *config);
void fq_dispatch_free(fq_dispatch *d);
void fq_dispatch_stop(fq_dispatch *d); /* closes the timer; free after the loop ends */

/* A chunk of the open incidents (the store's fq_store_open_rows_cb rows),
 * read in the same load as `snap`, before `snap` is installed: their cases,
 * deadlines and duplicate index are rebuilt as the chunks arrive, and are
 * the server's once `snap` is installed. Taken only while the open
 * incidents are not yet in, and only with a routing state (takes a
 * reference to `snap`). `rows` NULL: what the chunks brought is void (the
 * load failed; the next one reads them all again). */
void fq_dispatch_open_rows(fq_dispatch *d, fq_snapshot *snap, const fq_case_row *rows, size_t n);
/* How many open incidents the load expects (fq_store_open_expected; 0
 * unknown): the caseload, the deadlines and the duplicate index are sized
 * once for them at the first chunk instead of doubling as they fill. A hint:
 * more or fewer rows are taken in all the same. */
void fq_dispatch_open_expected(fq_dispatch *d, size_t n);
/* Makes `snap` current (takes one reference). On the first install with a
 * routing state, the open incidents taken in with `snap`
 * (fq_dispatch_open_rows) become the caseload and their deadlines are armed;
 * later installs carry the in-memory state over by ids. Returns 1 once the
 * open incidents have been taken in. */
int fq_dispatch_install(fq_dispatch *d, fq_snapshot *snap);
fq_snapshot *fq_dispatch_current(fq_dispatch *d);

/* A standby (docs/operations.md, "A standby"): passive, the open cases,
 * their deadlines and the duplicate index are kept current but no deadline
 * fires and nothing of the server's own is written (no escalation of an
 * off-duty worker's cases at a reload). Made active when it takes over:
 * those escalations, then every deadline due, in order. */
void fq_dispatch_set_passive(fq_dispatch *d, int passive);
int fq_dispatch_passive(const fq_dispatch *d);

typedef struct fq_dispatch_catch_up_counts {
    size_t added, replaced, removed; /* new open cases, changed ones, closed ones */
    size_t dropped;                  /* open, but not a case under this routing state */
    size_t undecodable;
} fq_dispatch_catch_up_counts;
/* A standby's catch-up (fq_store_point_cb's `touched`, binary rows of
 * FQ_SQL_STANDBY_TOUCHED): each incident touched since the last point is
 * taken in anew (catchup.h) — its case replaced if still open ('assigned'),
 * removed if not, added if new — with its deadlines and duplicate entry, as
 * the load at start would have taken it. `fresh_directory`: the current
 * routing state was read in the same snapshot (its workers' loads count
 * these cases already); else each worker's load follows its cases. -1
 * before the open incidents are in. */
int fq_dispatch_catch_up(fq_dispatch *d, const PGresult *touched, int fresh_directory,
                         fq_dispatch_catch_up_counts *out);
/* The district's local time of node `node_id` as "+08:00" into buf (at
 * least 8 bytes): its working calendar's offset, "+08:00" when none is
 * imported or the node is unknown (fq_routing_time_zone). Returns buf. */
const char *fq_dispatch_time_zone(fq_dispatch *d, const char *node_id, char *buf, size_t len);

/* Errors (fqerr.h): FQ_EINVALID (e.g. unknown category), FQ_EFORBIDDEN (its
 * coordinates lie outside the reporter's jurisdiction), FQ_EUNAVAILABLE (no
 * routing state loaded). */

/* Decides for a validated, authorised report. `place` is the report's
 * place unit in the snapshot's org tree, or -1 (coordinates only). On
 * FQ_OK the ticket holds the decision (and a snapshot reference);
 * it goes to the store through fq_dispatch_submit and must end in
 * fq_dispatch_stored or fq_dispatch_dropped. The ticket must stay where it
 * is until then: the dispatcher indexes it while it is in flight. The
 * duplicate window counts from report->occurred_at_ms when given (never
 * later than now_ms). */
int fq_dispatch_decide(fq_dispatch *d, fq_snapshot *snap, const fq_node *reporter,
                       const Fengqiao__V1__ReportIncident *report, int32_t place, int64_t now_ms,
                       fq_ticket *t, char *err, size_t err_len);

/* Fills the decision's fields of the report's statement (the report's own
 * are the intake's) and binds it on op (write_params.h). `p` must stay put
 * until the ticket is stored or dropped: a duplicate waiting for an
 * uncommitted incident is bound again once that one's id is known. */
void fq_dispatch_bind(fq_ticket *t, fq_report_params *p, fq_store_op *op);

/* Sends the report's statement (bound with fq_dispatch_bind) to the store —
 * at once, or, for a duplicate of an incident not yet committed, once that
 * one has committed (its merged_into is then known); if that commit fails,
 * op->done runs with FQ_EBUSY instead. */
void fq_dispatch_submit(fq_dispatch *d, fq_ticket *t, fq_store_op *op);

/* The transaction committed: `created` is 0 when the report was a resend
 * (the decision is then undone; the stored one stands). `written`: the
 * outbox items the statement wrote (the op's, store.h; NULL: none). */
void fq_dispatch_stored(fq_dispatch *d, fq_ticket *t, uint64_t incident_id, int created,
                        const fq_outbox_written *written);
/* The transaction did not commit: the decision is undone. */
void fq_dispatch_dropped(fq_dispatch *d, fq_ticket *t);

/* Where committed outbox items go (the terminal endpoint): box, its new
 * seq, the item's kind and incident, the seq of the event it reports, and
 * the body (OutboxItem without seq, kind, incident, time, event seq);
 * `complete`: the body has the incident's details. */
typedef void (*fq_outbox_sink_fn)(void *user, const char *box, uint64_t seq, int kind,
                                  uint64_t incident_id, int64_t at_ms, uint64_t event_seq,
                                  const uint8_t *body, size_t len, int complete);
void fq_dispatch_set_sink(fq_dispatch *d, fq_outbox_sink_fn fn, void *user);

/* ---- terminal actions ---- */

/* An action on its way to the database (statements.h FQ_SQL_ACTION). */
typedef struct fq_action_ticket {
    fq_snapshot *snapshot;
    uint64_t incident_id;
    fq_action action; /* a terminal's action, or 0 */
    int command;      /* a console command (Fengqiao__V1__CommandKind), or 0 */
    fq_assignment_state next_state;
    int64_t extend_to_ms; /* EXTEND: the limit asked for */
    int rerouted;         /* a return found a new handler: `decision` */
    int applied;          /* the new decision took its capacity */
    int concludes;        /* the incident closes */
    fq_decision decision;
    char kind[32], expected[24], worker[65], lead[65], assignment[24], state[16];
    char answer[24];
    /* A terminal's action refused for the assignment's state: `answer` holds
     * that state, and this says the action asked for is already in effect. */
    int already_done;
    int recount;              /* counts as a re-decision (escalations + 1) */
    uint64_t merge_into;      /* MERGE: the open incident it joins */
    char expected_state[16];  /* the incident's state the statement expects ('' open) */
    struct fq_case *reopened; /* REOPEN: the case to add once the reopen is stored */
    int64_t supervision_ms;   /* SUPERVISE: the deadline set; REPLY: -1 (cleared) */
    /* SUSPEND: the wall-clock ms it is suspended at; RESUME: 0 (the limits
     * moved are in `decision` and supervision_ms). */
    int64_t suspend_ms;
    char *note, *result;     /* malloc'd */
    char *mediation_record;  /* a mediation step's record for the store (malloc'd), or NULL */
    const char *reason_code; /* the event's (static; docs/terminals.md) */
    fq_route_params route;   /* `decision` as the statement writes it (rerouted) */
    fq_outbox_set outbox;
} fq_action_ticket;

/* Besides those: FQ_ESTATE (not allowed in the assignment's state),
 * FQ_ENOTFOUND (no open incident by that id), FQ_EBUSY (another action on it
 * is being stored: retry). */

/* Checks a validated action of `actor` against the assignment and its
 * state machine, and decides what follows (a return is routed on). On
 * FQ_OK the case is held until fq_dispatch_act_done; otherwise
 * nothing changed and *err says why for people. An incident that is not
 * open and one the actor does not hold get the same FQ_EFORBIDDEN
 * and the same *err (a terminal cannot probe which ids are open); on
 * FQ_ESTATE t->answer and t->already_done say the current state. */
int fq_dispatch_act(fq_dispatch *d, const fq_node *actor,
                    const Fengqiao__V1__AssignmentAction *action, int64_t now_ms,
                    fq_action_ticket *t, char *err, size_t err_len);
/* Fills what the action does into its statement's parameters (the
 * request's own — node, message id, digest, envelope, photos — are the
 * caller's) and binds it on op (write_params.h). */
void fq_dispatch_act_bind(fq_action_ticket *t, fq_action_params *p, fq_store_op *op);
/* The statement ran: `applied` (event seq non-NULL) or not (not stored,
 * refused, or the database disagreed); frees the ticket's memory. */
void fq_dispatch_act_done(fq_dispatch *d, fq_action_ticket *t, int applied,
                          const fq_outbox_written *written);

/* A validated command of an operator's console (`actor`, role console): the
 * incident must lie inside the actor's jurisdiction, and targets of an
 * assignment too. Same ticket and statement as a terminal's action. */
int fq_dispatch_command(fq_dispatch *d, const fq_node *actor,
                        const Fengqiao__V1__ConsoleCommand *command, int64_t now_ms,
                        fq_action_ticket *t, char *err, size_t err_len);

/* A reopen (redo) of a concluded incident: `row` is its FQ_SQL_REOPEN_ROW
 * row; back to `target_worker` or `target_unit` if named, else to the
 * handler it had. The case joins the open ones when the write commits
 * (fq_dispatch_act_done). */
int fq_dispatch_reopen(fq_dispatch *d, const fq_node *actor, const char *target_unit,
                       const char *target_worker, const char *reason, const PGresult *row,
                       int64_t now_ms, fq_action_ticket *t, char *err, size_t err_len);

/* Does the open incident's category want a photo to conclude it
 * (categories.photo_to_conclude)? 0 when it is not open. */
int fq_dispatch_photo_to_conclude(const fq_dispatch *d, uint64_t incident_id);

/* Is the worker's terminal silent (presence)? */
int fq_dispatch_is_absent(const fq_dispatch *d, const char *worker_id);

/* ---- presence ---- */

/* A worker's terminal came (back) or went silent: an absent worker is off
 * duty for the router and their unacknowledged assignments move on. */
void fq_dispatch_set_presence(fq_dispatch *d, const char *worker_id, int present);

const fq_dispatch_stats *fq_dispatch_get_stats(fq_dispatch *d);

/* The open incidents now, by tier (fq_tier; 0: none) and assignment state
 * (fq_assignment_state; 0 reads as assigned), and how many are suspended: a
 * walk over the case load, for /metrics. */
typedef struct fq_dispatch_open_counts {
    size_t by_tier_state[4][8];
    size_t suspended;
} fq_dispatch_open_counts;
void fq_dispatch_count_open(fq_dispatch *d, fq_dispatch_open_counts *out);

#endif
