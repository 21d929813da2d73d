/* write_params: the write statements' parameters, typed, and the one binder
 * of each (server/store/sql: insert_report, reroute, insert_event, action,
 * aftercare, upward_attempt; embedded as FQ_SQL_INSERT_REPORT, ...). Whoever knows a field fills it
 * by name — the intake a report's own fields, dispatch its routing decision, the terminal endpoint
 * an action's request — and the binder alone turns the struct into the op's values, lengths and
 * formats, and into the store's plan (which parameter carries each event's actor and payload). No
 * other module indexes a write statement's parameters; the positions are in write_params.c only,
 * and test_write_params checks each binder's count against the statement's text.
 * Every statement's row comes back binary, read by the decoders at the end
 * of this file (and fq_prior_request_row, outbox_rows.h).
 *
 * A binder points the op into its struct (strings, arrays, the numbers it
 * formats there): the struct stays where it is, unchanged, until the op is
 * done. Every parameter of the statement is set (NULL where absent), so an
 * op that ran another statement before is bound afresh. */
#ifndef FQ_WRITE_PARAMS_H
#define FQ_WRITE_PARAMS_H

#include "caseitems.h"
#include "store.h"
#include "validate.h"

#include <stddef.h>
#include <stdint.h>

struct fq_outbox_set;
struct fq_attachment_rows;

/* A routing decision as the statements write it into the incident's routing
 * columns. `assigned` 0: tier, line, holder and limits are NULL (a merged
 * or unroutable report; an action without a new decision). Empty strings:
 * none (NULL). */
typedef struct fq_route_params {
    int assigned;
    int tier, line, climbed;
    char territory[FQ_ID_MAX_LEN + 1], lead[FQ_ID_MAX_LEN + 1], worker[FQ_ID_MAX_LEN + 1];
    int64_t ack_due_ms, ack_warn_ms, conclude_due_ms, conclude_warn_ms;
    /* The co-handling units, a binary text[] (pgarray); co_len 0: none (an
     * empty array). */
    uint8_t co[FQ_ITEMS_CO_ARRAY_BYTES];
    size_t co_len;
} fq_route_params;

/* Numbers as the binder encodes them, for the op to point at, in
 * PostgreSQL's send format (int2/int4/int8, float8, timestamptz): every
 * parameter of a write statement that is not a text column's goes binary.
 * A report has the most: 19. */
#define FQ_PARAM_SCRATCH 24
typedef struct fq_param_scratch {
    uint8_t bin[FQ_PARAM_SCRATCH][8];
} fq_param_scratch;

/* FQ_SQL_INSERT_REPORT: a report, its "reported" event, its routing
 * decision with the routing event, a merge's report_merged. */
typedef struct fq_report_params {
    /* The report (the intake). */
    const char *node;
    uint64_t message_id;
    const uint8_t *body_digest; /* 32 bytes */
    const char *category;
    int severity, risk, channel;
    const char *place_unit; /* NULL: coordinates only */
    int has_location;
    double lon, lat;
    const char *address, *title, *description;
    int64_t occurred_at_ms; /* 0: unknown */
    const char *external_ref, *reporter_name, *reporter_phone;
    int64_t sent_at_ms;
    const uint8_t *envelope; /* as stored in the "reported" event */
    size_t envelope_len;
    const struct fq_attachment_rows *photos; /* NULL: none */
    /* Its routing decision (dispatch). */
    const char *state;      /* assigned, merged, unroutable */
    const char *event_kind; /* the routing event's */
    const char *reason, *reason_code;
    const fq_route_params *route;
    uint64_t merged_into; /* 0: not merged */
    unsigned rule_set, rule_source;
    int unplaced;
    const uint8_t *outcome; /* RoutingOutcome bytes, the routing event's payload */
    size_t outcome_len;
    int64_t nonce; /* a retry recognises its own earlier commit by it */
    const struct fq_outbox_set *outbox;
    fq_param_scratch scratch; /* the binder's */
} fq_report_params;

/* Binds FQ_SQL_INSERT_REPORT (kind, parameters, plan; `done` is the
 * caller's) and points op->report at p. */
void fq_report_params_bind(fq_report_params *p, fq_store_op *op);

/* Has the report photos (then it is written by FQ_SQL_INSERT_REPORT, never
 * by the set-based statement)? */
int fq_report_params_has_photos(const fq_report_params *p);

/* FQ_SQL_REROUTE: a re-decision of an open incident by the server. */
typedef struct fq_reroute_params {
    uint64_t incident_id;
    const fq_route_params *route;
    const char *event_kind, *reason, *reason_code;
    const uint8_t *outcome;
    size_t outcome_len;
    int64_t nonce; /* applied_ops: a re-sent write has no second effect */
    const struct fq_outbox_set *outbox;
    fq_param_scratch scratch;
} fq_reroute_params;
void fq_reroute_params_bind(fq_reroute_params *p, fq_store_op *op);

/* FQ_SQL_INSERT_EVENT: one event of the server's own about an incident. */
typedef struct fq_event_params {
    uint64_t incident_id;
    const char *kind, *reason, *reason_code;
    int breached;         /* limits recorded as breached (bits; 0 none) */
    int supervision_over; /* the supervision order is over */
    int64_t nonce;
    const struct fq_outbox_set *outbox;
    fq_param_scratch scratch;
} fq_event_params;
void fq_event_params_bind(fq_event_params *p, fq_store_op *op);

/* A tri-state of FQ_SQL_ACTION: keep what the incident has, clear it, or
 * set it to `ms` (two parameters: whether it changes, bool, and the time,
 * timestamptz, NULL to clear). */
typedef enum fq_param_change { FQ_PARAM_KEEP = 0, FQ_PARAM_CLEAR, FQ_PARAM_SET } fq_param_change;

/* FQ_SQL_ACTION: a terminal's action or a console's command. */
typedef struct fq_action_params {
    /* The request (the terminal endpoint). */
    const char *node;
    uint64_t message_id;
    const uint8_t *digest; /* 32 bytes */
    const uint8_t *envelope;
    size_t envelope_len;
    const struct fq_attachment_rows *photos; /* NULL: none */
    /* What it does (dispatch). */
    uint64_t incident_id;
    const char *kind, *note;
    /* The incident as the server believes it is: its state (NULL: open),
     * assignment state and holder ("" none). */
    const char *expected_state, *expected_assignment, *expected_worker, *expected_lead;
    const char *assignment, *state; /* after */
    const char *result;             /* NULL: keep */
    int64_t extension_ms;           /* extension asked for; 0: keep */
    const fq_route_params *route;   /* a new routing decision, or NULL */
    const char *answer;             /* the state to answer with */
    int recount;                    /* counts as a re-decision (escalations + 1) */
    uint64_t merged_into;           /* 0: not a merge */
    fq_param_change supervision;    /* the supervision order's deadline */
    int64_t supervision_ms;
    fq_param_change suspension; /* CLEAR: resume; SET: suspended at suspend_ms */
    int64_t suspend_ms;
    const char *suspend_reason;
    const char *reason_code;
    const char *mediation_record; /* a mediation step's record (JSON), or NULL */
    const struct fq_outbox_set *outbox;
    char merge_reason[64]; /* the binder's: the report_merged event's reason */
    fq_param_scratch scratch;
} fq_action_params;
void fq_action_params_bind(fq_action_params *p, fq_store_op *op);

/* FQ_SQL_AFTERCARE: verify or follow up a concluded incident. */
typedef struct fq_aftercare_params {
    const char *node;
    uint64_t message_id;
    const uint8_t *digest; /* 32 bytes */
    uint64_t incident_id;
    const char *kind; /* verified, followed_up */
    const char *reason;
    const uint8_t *envelope;
    size_t envelope_len;
    int satisfaction; /* 0: none */
    const char *jurisdiction;
    fq_param_scratch scratch;
} fq_aftercare_params;
void fq_aftercare_params_bind(fq_aftercare_params *p, fq_store_op *op);

/* FQ_SQL_UPWARD_ATTEMPT: one attempt of a report upward. */
typedef struct fq_upward_attempt_params {
    const char *delivery_id;
    int answered; /* an HTTP answer came: http_status */
    long http_status;
    const char *error; /* '' with an answer */
    uint64_t delay_ms; /* before the next attempt */
    int accepted;      /* answered 2xx */
    uint64_t incident_id;
    const char *reason, *reason_code, *ack_reason;
    int64_t nonce;
    fq_param_scratch scratch;
} fq_upward_attempt_params;
void fq_upward_attempt_params_bind(fq_upward_attempt_params *p, fq_store_op *op);

/* ---- the rows (all binary: every binder above asks for it) ---- */

/* The outbox items the statement of `op` (REPORT, REROUTE, EVENT, ACTION)
 * says it wrote — its FQ_SQL_OUTBOX_SEQS column, decoded by outbox.h
 * fq_outbox_written_decode against op->plan.outbox — into op->written
 * (n 0: none, the column NULL, or another statement). 0, or -1 when the
 * column does not decode (op->written then empty). Called by the store on
 * each row; the callers read op->written. */
int fq_write_outbox_written(fq_store_op *op, const PGresult *res);

/* FQ_SQL_ACTION's and FQ_SQL_AFTERCARE's first column: the seq of the
 * event written, 0 when not applied (NULL) or not an int8. The earlier
 * request follows (outbox_rows.h fq_prior_request_row: from column 2 for
 * an action, 1 for aftercare). */
int64_t fq_write_event_seq(const PGresult *res);

/* FQ_SQL_UPWARD_ATTEMPT's row: the events written, attempts and
 * acknowledgements (0 and 0 when a resent write found its nonce applied).
 * 0, or -1 when the row is not that. */
int fq_upward_attempt_row(const PGresult *res, int64_t *attempts, int64_t *acknowledged);

/* Each binder's parameter count, for test_write_params (which compares it
 * with the statement's text). */
enum fq_write_statement {
    FQ_WRITE_REPORT,
    FQ_WRITE_REROUTE,
    FQ_WRITE_EVENT,
    FQ_WRITE_ACTION,
    FQ_WRITE_AFTERCARE,
    FQ_WRITE_UPWARD_ATTEMPT,
    FQ_WRITE_COUNT
};
int fq_write_params_count(enum fq_write_statement which);

#endif
