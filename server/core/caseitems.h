/* caseitems: the outbox items an event of a case leaves — to whom (the
 * holders' boxes, the town's and district's feeds) and saying what (one
 * OutboxItem built from the case, its decision and the event). Pure: the
 * names come from the routing state of one snapshot (fq_world); the items
 * are packed into an fq_outbox_set that the caller writes and delivers.
 * Shared by the dispatcher (decisions on reports, actions, commands) and
 * the planner of what a case's limits and presence bring (caseplan.h). */
#ifndef FQ_CASEITEMS_H
#define FQ_CASEITEMS_H

#include "caseload.h"
#include "directory.h"
#include "fengqiao.pb-c.h"
#include "geo.h"
#include "org.h"
#include "outbox.h"
#include "pgarray.h"
#include "roster.h"
#include "router.h"
#include "taxonomy.h"
#include "validate.h"

#include <stddef.h>
#include <stdint.h>

/* The routing state items and plans read, borrowed from one snapshot:
 * ids and names (org, roster, taxonomy), the router that decides where a
 * case goes next, and the rule set's version. */
typedef struct fq_world {
    const fq_org *org;
    const fq_taxonomy *taxonomy;
    const fq_roster *roster;
    const fq_router *router;
    const fq_geo_index *geo; /* NULL when no grid has a polygon */
    uint32_t rule_set;
} fq_world;

/* The reason codes of OutboxItem.reason_code: a closed vocabulary
 * (docs/terminals.md, "Reason codes"). */
#define FQ_REASON_RULE "rule"           /* a routing rule decided (rule_set, rule) */
#define FQ_REASON_PRINCIPLE "principle" /* no rule matched: the built-in principle */
#define FQ_REASON_CLIMBED "climbed"     /* nobody lower could take it */
#define FQ_REASON_OPERATOR "operator_choice"
#define FQ_REASON_HOLDER "holder_action"
#define FQ_REASON_ACK_OVERDUE "acknowledge_overdue"
#define FQ_REASON_CONCLUDE_OVERDUE "conclude_overdue"
#define FQ_REASON_SUPERVISION_OVERDUE "supervision_overdue"
#define FQ_REASON_ACK_SOON "acknowledge_due_soon"
#define FQ_REASON_CONCLUDE_SOON "conclude_due_soon"
#define FQ_REASON_RETURNED_WRONG "returned_wrong_jurisdiction"
#define FQ_REASON_RETURNED_BEYOND "returned_beyond_capacity"
#define FQ_REASON_PRESENCE_LOST "presence_lost"
#define FQ_REASON_OFF_DUTY "off_duty"
#define FQ_REASON_MERGED "merged"
#define FQ_REASON_NO_HANDLER "no_handler"

/* The event an item reports. For people: what a person wrote with it
 * (note) and who acted, by name; the server's own events have no note and
 * no actor: their reasons are built from rule numbers and stay in `text`
 * and `reason`, out of a worker's view. For machines (docs/terminals.md,
 * "Structured items"): the acting node, the reason code and the reason as
 * stored, the incident's state and the assignment's after the event
 * (assignment '' once it is not open), and whether the item's decision is
 * new (rule_set and rule say what decided it). */
typedef struct fq_item_event {
    const char *kind;
    const char *note;
    const char *actor_name;
    const char *actor;
    const char *reason_code;
    const char *reason;
    const char *state;
    const char *assignment;
    int decided;
    uint64_t merged_into;
    /* A report's items only: the report at hand (the terminal endpoint adds
     * these from the incident to every other item). */
    const fq_node *reporter;
    const char *external_ref;
} fq_item_event;

/* One item being built: the message and the storage its fields point to. */
typedef struct fq_item_buf {
    Fengqiao__V1__OutboxItem it;
    Fengqiao__V1__GeoPoint point;
    char *co[FQ_ROUTE_MAX_CO], *co_names[FQ_ROUTE_MAX_CO];
    char text[512];
} fq_item_buf;

/* A wall-clock time in ms as the events' texts write it: 2026-12-06T21:39:45Z. */
void fq_items_format_time(char *buf, size_t len, int64_t ms);

/* The most specific unit the incident was placed in. */
int32_t fq_items_territory(const fq_decision *dec);

/* A handler's or a worker's id; "" for -1 (none). */
const char *fq_items_handler_id(const fq_roster *roster, int32_t h);

const char *fq_items_worker_id(const fq_roster *roster, int32_t w);

/* The co-handling units of a decision as the statements take them: a binary
 * text[] (pgarray) of their ids. The roster admits only ids that pass
 * fq_valid_id (FQ_ID_MAX_LEN bytes at most), so FQ_ROUTE_MAX_CO of the
 * longest fit in FQ_ITEMS_CO_ARRAY_BYTES. Returns the length written into
 * `out` (an empty array for none). */
#define FQ_ITEMS_CO_ARRAY_BYTES FQ_PGARRAY_TEXTS_BYTES(FQ_ROUTE_MAX_CO, FQ_ID_MAX_LEN)
size_t fq_items_co_array(const fq_roster *roster, const fq_decision *dec,
                         uint8_t out[FQ_ITEMS_CO_ARRAY_BYTES]);

/* The boxes of whoever holds the assignment: the worker, or the lead unit,
 * and the co-handling units. The first is the one who acts on it. */
int fq_items_holder_boxes(const fq_world *w, const fq_decision *dec, char out[][FQ_BOX_MAX],
                          int max);

/* The feeds that follow an incident: its town's (the town platforms and
 * town operators read it) and its district's (the command center). */
void fq_items_follow(fq_outbox_set *set, const fq_world *w, int32_t unit,
                     const Fengqiao__V1__OutboxItem *item, int complete);

/* One of the server's own events, with its stored reason. */
fq_item_event fq_items_server_event(const char *kind, const char *reason_code, const char *reason);

/* An event a node's person caused, with what they wrote and the reason the
 * history stores for it. */
fq_item_event fq_items_node_event(const char *kind, const fq_node *actor, const char *note,
                                  const char *reason_code, const char *reason);

/* The assignment's state while the incident is open, by name. */
const char *fq_items_assignment_name(const fq_case *c);

/* What a routing decision was made by: a rule, the built-in principle,
 * climbing past a tier nobody could take, or an operator's choice. */
const char *fq_items_decision_reason(const fq_decision *dec);

/* What every item about this incident says; title and address only a
 * report has at hand (the terminal endpoint adds them from the database
 * for the other items). The names are the snapshot's (docs/terminals.md,
 * "Names"); the holder is the one after the event. */
void fq_items_for(const fq_world *w, const fq_route_request *req, const fq_decision *dec,
                  const fq_item_event *ev, fq_item_buf *b);

/* 1 when `box` is one of the n boxes. */
int fq_items_in_boxes(char boxes[][FQ_BOX_MAX], int n, const char *box);

/* A routing decision (new, or replacing `before`): the new holders get the
 * assignment, the former ones a cancellation, the town's feed an update. */
void fq_items_routing(fq_outbox_set *set, const fq_world *w, const fq_route_request *req,
                      const fq_decision *now, const fq_decision *before, const char *why,
                      const Fengqiao__V1__ReportIncident *report, const fq_item_event *ev);

/* Something happened to an assignment that does not move it: the holders
 * (all but `except`) get `kind`, the town's and district's feeds an update
 * if `follow`. */
void fq_items_notice_due(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                         Fengqiao__V1__ItemKind kind, const char *text, const char *except,
                         int follow, int64_t supervision_due_ms, const fq_item_event *ev);

/* The same, with the case's own open supervision order (if any). */
void fq_items_notice(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                     Fengqiao__V1__ItemKind kind, const char *text, const char *except, int follow,
                     const fq_item_event *ev);

/* A suspension or its end (`ev`: `suspended` or `resumed`, the operator's
 * reason as its note): every holder and the feeds get an update with the
 * time it was suspended at, or, on resumption, 0 and the limits as moved. */
void fq_items_suspension(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                         const fq_decision *limits, int64_t supervision_due_ms,
                         int64_t suspended_ms, const fq_item_event *ev, const char *text);

#endif
