#include "write_params.h"

#include "attachment_rows.h"
#include "outbox.h"
#include "pgarray.h"
#include "statements.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The parameters of each statement, in the order of its $n: the only place
 * they are numbered. A statement that writes events ends with the store's
 * plan (store.h FQ_STORE_PLAN_NPARAMS), which the store binds itself. */
enum report_param {
    R_NODE,
    R_MESSAGE_ID,
    R_DIGEST,
    R_CATEGORY,
    R_SEVERITY,
    R_RISK,
    R_CHANNEL,
    R_PLACE,
    R_LON,
    R_LAT,
    R_ADDRESS,
    R_TITLE,
    R_DESCRIPTION,
    R_OCCURRED,
    R_EXTERNAL_REF,
    R_REPORTER_NAME,
    R_REPORTER_PHONE,
    R_SENT,
    R_ENVELOPE,
    R_STATE,
    R_TIER, /* .. R_CONCLUDE_WARN: the route (bind_route) */
    R_LINE,
    R_TERRITORY,
    R_LEAD,
    R_WORKER,
    R_CO,
    R_ACK_DUE,
    R_ACK_WARN,
    R_CONCLUDE_DUE,
    R_CONCLUDE_WARN,
    R_MERGED,
    R_RULE_SET,
    R_RULE_SOURCE,
    R_CLIMBED,
    R_UNPLACED,
    R_EVENT_KIND,
    R_REASON,
    R_OUTCOME,
    R_NONCE,
    R_OUTBOX, /* FQ_OUTBOX_NPARAMS */
    R_REASON_CODE = R_OUTBOX + FQ_OUTBOX_NPARAMS,
    R_PHOTOS, /* FQ_ATTACHMENT_NPARAMS */
    R_PLAN = R_PHOTOS + FQ_ATTACHMENT_NPARAMS,
    R_COUNT = R_PLAN + FQ_STORE_PLAN_NPARAMS
};

enum reroute_param {
    RR_INCIDENT,
    RR_TIER, /* .. RR_CLIMBED: the route (bind_route) */
    RR_LINE,
    RR_TERRITORY,
    RR_LEAD,
    RR_WORKER,
    RR_CO,
    RR_ACK_DUE,
    RR_ACK_WARN,
    RR_CONCLUDE_DUE,
    RR_CONCLUDE_WARN,
    RR_CLIMBED,
    RR_EVENT_KIND,
    RR_REASON,
    RR_OUTCOME,
    RR_NONCE,
    RR_OUTBOX,
    RR_REASON_CODE = RR_OUTBOX + FQ_OUTBOX_NPARAMS,
    RR_PLAN,
    RR_COUNT = RR_PLAN + FQ_STORE_PLAN_NPARAMS
};

enum event_param {
    E_INCIDENT,
    E_KIND,
    E_REASON,
    E_BREACHED,
    E_NONCE,
    E_OUTBOX,
    E_SUPERVISION_OVER = E_OUTBOX + FQ_OUTBOX_NPARAMS,
    E_REASON_CODE,
    E_PLAN,
    E_COUNT = E_PLAN + FQ_STORE_PLAN_NPARAMS
};

enum action_param {
    A_NODE,
    A_MESSAGE_ID,
    A_DIGEST,
    A_INCIDENT,
    A_KIND,
    A_NOTE,
    A_ENVELOPE,
    A_EXPECTED_ASSIGNMENT,
    A_EXPECTED_WORKER,
    A_EXPECTED_LEAD,
    A_ASSIGNMENT,
    A_STATE,
    A_RESULT,
    A_EXTENSION,
    A_REROUTED,
    A_TIER, /* .. A_CLIMBED: the route (bind_route) */
    A_LINE,
    A_TERRITORY,
    A_LEAD,
    A_WORKER,
    A_CO,
    A_ACK_DUE,
    A_ACK_WARN,
    A_CONCLUDE_DUE,
    A_CONCLUDE_WARN,
    A_CLIMBED,
    A_OUTBOX,
    A_ANSWER = A_OUTBOX + FQ_OUTBOX_NPARAMS,
    A_RECOUNT,
    A_MERGED,
    A_SUPERVISION,
    A_EXPECTED_STATE,
    A_SUSPENSION,
    A_SUSPEND_REASON,
    A_REASON_CODE,
    A_PHOTOS,
    A_MEDIATION = A_PHOTOS + FQ_ATTACHMENT_NPARAMS,
    A_SUPERVISES, /* A_SUPERVISION changes the order: its time, or NULL to clear it */
    A_SUSPENDS,   /* A_SUSPENSION changes the suspension: its time, or NULL to end it */
    A_PLAN,
    A_COUNT = A_PLAN + FQ_STORE_PLAN_NPARAMS
};

enum aftercare_param {
    AC_NODE,
    AC_MESSAGE_ID,
    AC_DIGEST,
    AC_INCIDENT,
    AC_KIND,
    AC_REASON,
    AC_ENVELOPE,
    AC_SATISFACTION,
    AC_JURISDICTION,
    AC_PLAN,
    AC_COUNT = AC_PLAN + FQ_STORE_PLAN_NPARAMS
};

enum upward_attempt_param {
    UA_DELIVERY,
    UA_HTTP_STATUS,
    UA_ERROR,
    UA_DELAY,
    UA_ACCEPTED,
    UA_REASON,
    UA_REASON_CODE,
    UA_NONCE,
    UA_ACK_REASON,
    UA_PLAN,
    UA_COUNT = UA_PLAN + FQ_STORE_PLAN_NPARAMS
};

_Static_assert(R_COUNT <= FQ_STORE_MAX_PARAMS && A_COUNT <= FQ_STORE_MAX_PARAMS,
               "a store op holds every parameter");

int fq_write_params_count(enum fq_write_statement which)
{
    static const int counts[FQ_WRITE_COUNT] = {R_COUNT, RR_COUNT, E_COUNT,
                                               A_COUNT, AC_COUNT, UA_COUNT};
    return which < FQ_WRITE_COUNT ? counts[which] : -1;
}

/* ---- the op's parameters ---- */

/* Every parameter NULL (text) and the plan empty: a binder starts from here. */
static void start(fq_store_op *op, fq_store_op_kind kind, int nparams, int plan)
{
    op->kind = kind;
    op->nparams = nparams;
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    memset(&op->plan, 0, sizeof op->plan);
    op->plan.first_param = plan;
    op->report = NULL;
    op->result_format = 1; /* every write statement's row is read in binary */
}

static void text(fq_store_op *op, int i, const char *v)
{
    op->values[i] = v;
}

/* A text that is NULL when empty. */
static void text_or_null(fq_store_op *op, int i, const char *v)
{
    op->values[i] = v != NULL && v[0] != '\0' ? v : NULL;
}

static void binary(fq_store_op *op, int i, const void *v, size_t len)
{
    op->values[i] = v;
    op->lengths[i] = (int)len;
    op->formats[i] = 1;
}

/* Numbers encoded into the struct's scratch in turn. Running out of
 * slots is a bug of this file (a binder that encodes more than there are). */
typedef struct formatter {
    fq_param_scratch *scratch;
    int bin_used;
} formatter;

static uint8_t *bin_slot(formatter *f)
{
    assert(f->bin_used < FQ_PARAM_SCRATCH);
    return f->scratch->bin[f->bin_used++];
}

static void int8_param(fq_store_op *op, int i, formatter *f, int64_t v)
{
    uint8_t *b = bin_slot(f);
    fq_pg_put_int8(b, v);
    binary(op, i, b, 8);
}

static void int4_param(fq_store_op *op, int i, formatter *f, int32_t v)
{
    uint8_t *b = bin_slot(f);
    fq_pg_put_int4(b, v);
    binary(op, i, b, 4);
}

static void int2_param(fq_store_op *op, int i, formatter *f, int v)
{
    uint8_t *b = bin_slot(f);
    b[0] = (uint8_t)((uint16_t)v >> 8);
    b[1] = (uint8_t)v;
    binary(op, i, b, 2);
}

static void float8_param(fq_store_op *op, int i, formatter *f, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t *b = bin_slot(f);
    fq_pg_put_int8(b, (int64_t)bits);
    binary(op, i, b, 8);
}

/* A time in ms since 1970 as timestamptz. */
static void time_param(fq_store_op *op, int i, formatter *f, int64_t ms)
{
    uint8_t *b = bin_slot(f);
    fq_pg_put_timestamptz(b, ms * 1000);
    binary(op, i, b, 8);
}

static void bool_param(fq_store_op *op, int i, int v)
{
    static const uint8_t yes = 1, no = 0;
    binary(op, i, v ? &yes : &no, 1);
}

/* A NULL of a binary parameter. */
static void null_param(fq_store_op *op, int i)
{
    binary(op, i, NULL, 0);
}

/* A tri-state of FQ_SQL_ACTION as two parameters: `change` (bool) says
 * whether the column changes, `at` its new time (NULL: cleared). */
static void change_params(fq_store_op *op, int change, int at, formatter *f, fq_param_change c,
                          int64_t ms)
{
    bool_param(op, change, c != FQ_PARAM_KEEP);
    if (c == FQ_PARAM_SET)
        time_param(op, at, f, ms);
    else
        null_param(op, at);
}

/* The outbox rows' boxes, kinds and bodies from `first` (binary arrays,
 * outbox.h); NULL for no set. */
static void bind_outbox(fq_store_op *op, int first, const fq_outbox_set *set)
{
    for (int i = 0; i < FQ_OUTBOX_NPARAMS; i++) {
        int len = 0;
        const char *v = set != NULL ? fq_outbox_param(set, i, &len) : NULL;
        binary(op, first + i, v, (size_t)len);
    }
    op->plan.outbox = set;
}

static void bind_photos(fq_store_op *op, int first, const fq_attachment_rows *photos)
{
    if (photos != NULL)
        fq_attachment_rows_bind(photos, op, first);
    else
        for (int k = 0; k < FQ_ATTACHMENT_NPARAMS; k++)
            binary(op, first + k, NULL, 0);
}

/* The co-handling units, binary (an empty array when none). */
static void bind_co(fq_store_op *op, int i, const fq_route_params *r)
{
    static const uint8_t empty[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FQ_PG_TEXT};
    if (r->co_len > 0)
        binary(op, i, r->co, r->co_len);
    else
        binary(op, i, empty, sizeof empty);
}

/* A route's tier, line, territory, lead, worker, co-handlers and four
 * limits from `first`, in that order (the three statements that write one
 * have them so), then its tiers climbed at `climbed`. Not assigned: only the
 * territory, an empty co array and the tiers climbed. */
static void bind_route(fq_store_op *op, int first, int climbed, const fq_route_params *r,
                       formatter *f)
{
    text_or_null(op, first + 2, r->territory);
    bind_co(op, first + 5, r);
    int2_param(op, climbed, f, r->climbed);
    if (!r->assigned) {
        for (int k = 0; k < 10; k++)
            if (k != 2 && k != 5)
                binary(op, first + k, NULL, 0);
        return;
    }
    int2_param(op, first + 0, f, r->tier);
    int2_param(op, first + 1, f, r->line);
    text_or_null(op, first + 3, r->lead);
    text_or_null(op, first + 4, r->worker);
    time_param(op, first + 6, f, r->ack_due_ms);
    time_param(op, first + 7, f, r->ack_warn_ms);
    time_param(op, first + 8, f, r->conclude_due_ms);
    time_param(op, first + 9, f, r->conclude_warn_ms);
}

static void add_event(fq_store_op *op, int64_t incident, const char *kind, int actor_param,
                      const char *reason, int reason_names_created, int payload_param)
{
    op->plan.events[op->plan.nevents++] = (fq_store_event){
        incident, kind, actor_param, reason ? reason : "", reason_names_created, payload_param};
}

/* ---- the rows ---- */

/* The column of FQ_SQL_OUTBOX_SEQS in each write statement's row (sql/). */
static int outbox_column(fq_store_op_kind kind)
{
    switch (kind) {
    case FQ_STORE_OP_REPORT:
        return 7;
    case FQ_STORE_OP_REROUTE:
    case FQ_STORE_OP_EVENT:
        return 0;
    case FQ_STORE_OP_ACTION:
        return 1;
    default:
        return -1;
    }
}

/* Row 0's int8 at `col`: 1 and *v, or 0 when there is none (no row, NULL,
 * not binary, not 8 bytes). */
static int row_int8(const PGresult *res, int col, int64_t *v)
{
    if (res == NULL || PQntuples(res) < 1 || PQnfields(res) <= col || PQgetisnull(res, 0, col) ||
        PQfformat(res, col) != 1 || PQgetlength(res, 0, col) != 8)
        return 0;
    *v = fq_pg_get_int8((const uint8_t *)PQgetvalue(res, 0, col));
    return 1;
}

int fq_write_outbox_written(fq_store_op *op, const PGresult *res)
{
    op->written.n = 0;
    int col = outbox_column(op->kind);
    if (col < 0 || res == NULL || PQntuples(res) != 1 || PQnfields(res) <= col ||
        PQgetisnull(res, 0, col))
        return 0;
    if (op->plan.outbox == NULL || PQfformat(res, col) != 1)
        return -1;
    return fq_outbox_written_decode(op->plan.outbox, PQgetvalue(res, 0, col),
                                    (size_t)PQgetlength(res, 0, col), &op->written);
}

int64_t fq_write_event_seq(const PGresult *res)
{
    int64_t seq = 0;
    return row_int8(res, 0, &seq) ? seq : 0;
}

int fq_upward_attempt_row(const PGresult *res, int64_t *attempts, int64_t *acknowledged)
{
    *attempts = *acknowledged = 0;
    if (res == NULL || PQntuples(res) != 1 || PQnfields(res) != 2)
        return -1;
    return row_int8(res, 0, attempts) && row_int8(res, 1, acknowledged) ? 0 : -1;
}

/* ---- the statements ---- */

void fq_report_params_bind(fq_report_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_REPORT, R_COUNT, R_PLAN);
    op->report = p; /* its row: parse_report_row in store.c */
    text(op, R_NODE, p->node);
    int8_param(op, R_MESSAGE_ID, &f, (int64_t)p->message_id);
    binary(op, R_DIGEST, p->body_digest, 32);
    text(op, R_CATEGORY, p->category);
    int2_param(op, R_SEVERITY, &f, p->severity);
    int2_param(op, R_RISK, &f, p->risk);
    int2_param(op, R_CHANNEL, &f, p->channel);
    text(op, R_PLACE, p->place_unit);
    if (p->has_location) {
        float8_param(op, R_LON, &f, p->lon);
        float8_param(op, R_LAT, &f, p->lat);
    } else {
        binary(op, R_LON, NULL, 0);
        binary(op, R_LAT, NULL, 0);
    }
    text(op, R_ADDRESS, p->address);
    text(op, R_TITLE, p->title);
    text(op, R_DESCRIPTION, p->description);
    if (p->occurred_at_ms != 0)
        time_param(op, R_OCCURRED, &f, p->occurred_at_ms);
    else
        binary(op, R_OCCURRED, NULL, 0);
    text(op, R_EXTERNAL_REF, p->external_ref);
    text(op, R_REPORTER_NAME, p->reporter_name);
    text(op, R_REPORTER_PHONE, p->reporter_phone);
    time_param(op, R_SENT, &f, p->sent_at_ms);
    binary(op, R_ENVELOPE, p->envelope, p->envelope_len);
    /* The decision. */
    text(op, R_STATE, p->state);
    bind_route(op, R_TIER, R_CLIMBED, p->route, &f);
    if (p->merged_into != 0)
        int8_param(op, R_MERGED, &f, (int64_t)p->merged_into);
    else
        binary(op, R_MERGED, NULL, 0);
    int4_param(op, R_RULE_SET, &f, (int32_t)p->rule_set);
    int4_param(op, R_RULE_SOURCE, &f, (int32_t)p->rule_source);
    bool_param(op, R_UNPLACED, p->unplaced);
    text(op, R_EVENT_KIND, p->event_kind);
    text(op, R_REASON, p->reason);
    binary(op, R_OUTCOME, p->outcome, p->outcome_len);
    int8_param(op, R_NONCE, &f, p->nonce);
    bind_outbox(op, R_OUTBOX, p->outbox);
    text(op, R_REASON_CODE, p->reason_code);
    bind_photos(op, R_PHOTOS, p->photos);
    /* What it writes to the history: the "reported" event (the node, the
     * envelope), the routing event (its RoutingOutcome) and a merge's
     * report_merged on the incident joined. */
    op->plan.creates_incident = 1;
    add_event(op, 0, "reported", R_NODE, "", 0, R_ENVELOPE);
    add_event(op, 0, p->event_kind, -1, p->reason, 0, R_OUTCOME);
    if (p->merged_into != 0)
        add_event(op, (int64_t)p->merged_into, "report_merged", -1, "another report: incident ", 1,
                  -1);
}

int fq_report_params_has_photos(const fq_report_params *p)
{
    return p->photos != NULL && p->photos->buffer != NULL;
}

void fq_reroute_params_bind(fq_reroute_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_REROUTE, RR_COUNT, RR_PLAN);
    int8_param(op, RR_INCIDENT, &f, (int64_t)p->incident_id);
    bind_route(op, RR_TIER, RR_CLIMBED, p->route, &f);
    text(op, RR_EVENT_KIND, p->event_kind);
    text(op, RR_REASON, p->reason);
    binary(op, RR_OUTCOME, p->outcome, p->outcome_len);
    int8_param(op, RR_NONCE, &f, p->nonce);
    bind_outbox(op, RR_OUTBOX, p->outbox);
    text(op, RR_REASON_CODE, p->reason_code);
    add_event(op, (int64_t)p->incident_id, p->event_kind, -1, p->reason, 0, RR_OUTCOME);
}

void fq_event_params_bind(fq_event_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_EVENT, E_COUNT, E_PLAN);
    int8_param(op, E_INCIDENT, &f, (int64_t)p->incident_id);
    text(op, E_KIND, p->kind);
    text(op, E_REASON, p->reason);
    int2_param(op, E_BREACHED, &f, p->breached);
    int8_param(op, E_NONCE, &f, p->nonce);
    bind_outbox(op, E_OUTBOX, p->outbox);
    bool_param(op, E_SUPERVISION_OVER, p->supervision_over);
    text(op, E_REASON_CODE, p->reason_code);
    add_event(op, (int64_t)p->incident_id, p->kind, -1, p->reason, 0, -1);
}

void fq_action_params_bind(fq_action_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_ACTION, A_COUNT, A_PLAN);
    text(op, A_NODE, p->node);
    int8_param(op, A_MESSAGE_ID, &f, (int64_t)p->message_id);
    binary(op, A_DIGEST, p->digest, 32);
    int8_param(op, A_INCIDENT, &f, (int64_t)p->incident_id);
    text(op, A_KIND, p->kind);
    text(op, A_NOTE, p->note);
    binary(op, A_ENVELOPE, p->envelope, p->envelope_len);
    text(op, A_EXPECTED_ASSIGNMENT, p->expected_assignment);
    text(op, A_EXPECTED_WORKER, p->expected_worker);
    text(op, A_EXPECTED_LEAD, p->expected_lead);
    text(op, A_ASSIGNMENT, p->assignment);
    text(op, A_STATE, p->state);
    text(op, A_RESULT, p->result);
    if (p->extension_ms != 0)
        time_param(op, A_EXTENSION, &f, p->extension_ms);
    else
        binary(op, A_EXTENSION, NULL, 0);
    bool_param(op, A_REROUTED, p->route != NULL);
    if (p->route != NULL) {
        bind_route(op, A_TIER, A_CLIMBED, p->route, &f);
    } else {
        for (int i = A_TIER; i <= A_CLIMBED; i++)
            binary(op, i, NULL, 0);
    }
    bind_outbox(op, A_OUTBOX, p->outbox);
    text(op, A_ANSWER, p->answer);
    bool_param(op, A_RECOUNT, p->recount);
    if (p->merged_into != 0)
        int8_param(op, A_MERGED, &f, (int64_t)p->merged_into);
    else
        binary(op, A_MERGED, NULL, 0);
    /* Cleared by a reply to the order and by a resumption; set by a time. */
    change_params(op, A_SUPERVISES, A_SUPERVISION, &f, p->supervision, p->supervision_ms);
    text(op, A_EXPECTED_STATE, p->expected_state);
    change_params(op, A_SUSPENDS, A_SUSPENSION, &f, p->suspension, p->suspend_ms);
    text(op, A_SUSPEND_REASON, p->suspend_reason);
    text(op, A_REASON_CODE, p->reason_code);
    bind_photos(op, A_PHOTOS, p->photos);
    text(op, A_MEDIATION, p->mediation_record);
    /* The action's event (the node, the envelope) and a merge's
     * report_merged on the incident it joins. */
    add_event(op, (int64_t)p->incident_id, p->kind, A_NODE, p->note, 0, A_ENVELOPE);
    if (p->merged_into != 0) {
        snprintf(p->merge_reason, sizeof p->merge_reason, "incident %" PRIu64 " merged into it",
                 p->incident_id);
        add_event(op, (int64_t)p->merged_into, "report_merged", A_NODE, p->merge_reason, 0, -1);
    }
}

void fq_aftercare_params_bind(fq_aftercare_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_READ, AC_COUNT, AC_PLAN);
    op->statement = FQ_SQL_AFTERCARE_NAME;
    text(op, AC_NODE, p->node);
    int8_param(op, AC_MESSAGE_ID, &f, (int64_t)p->message_id);
    binary(op, AC_DIGEST, p->digest, 32);
    int8_param(op, AC_INCIDENT, &f, (int64_t)p->incident_id);
    text(op, AC_KIND, p->kind);
    text(op, AC_REASON, p->reason);
    binary(op, AC_ENVELOPE, p->envelope, p->envelope_len);
    if (p->satisfaction != 0)
        int2_param(op, AC_SATISFACTION, &f, p->satisfaction);
    else
        null_param(op, AC_SATISFACTION);
    text(op, AC_JURISDICTION, p->jurisdiction);
    add_event(op, (int64_t)p->incident_id, p->kind, AC_NODE, p->reason, 0, AC_ENVELOPE);
}

void fq_upward_attempt_params_bind(fq_upward_attempt_params *p, fq_store_op *op)
{
    formatter f = {&p->scratch, 0};
    start(op, FQ_STORE_OP_READ, UA_COUNT, UA_PLAN);
    op->statement = FQ_SQL_UPWARD_ATTEMPT_NAME;
    text(op, UA_DELIVERY, p->delivery_id);
    if (p->answered)
        int4_param(op, UA_HTTP_STATUS, &f, (int32_t)p->http_status);
    else
        null_param(op, UA_HTTP_STATUS);
    text(op, UA_ERROR, p->error);
    int8_param(op, UA_DELAY, &f, (int64_t)p->delay_ms);
    bool_param(op, UA_ACCEPTED, p->accepted);
    text(op, UA_REASON, p->reason);
    text(op, UA_REASON_CODE, p->reason_code);
    int8_param(op, UA_NONCE, &f, p->nonce);
    text(op, UA_ACK_REASON, p->ack_reason);
    /* The attempt, and the acknowledgement when the answer was 2xx (not
     * written when the delivery was acknowledged before: the store writes
     * it again alone). */
    add_event(op, (int64_t)p->incident_id, "reported_upward", -1, p->reason, 0, -1);
    if (p->accepted)
        add_event(op, (int64_t)p->incident_id, "upward_acknowledged", -1, p->ack_reason, 0, -1);
}
