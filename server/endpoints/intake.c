#include "intake.h"

#include "attachment_rows.h"
#include "endpoint_ctx.h"
#include "evidence.h"
#include "reply.h"

#include "gate.h"

#include "fq_wire.h"
#include "statements.h"
#include "validate.h"
#include "write_params.h"

#include <inttypes.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#define ENDPOINT_NAME "intake"

/* Key of the in-flight table: one entry per (node, message id). */
typedef struct flight_key {
    char node[FQ_ID_MAX_LEN + 1];
    uint64_t message_id;
} flight_key;

typedef struct intake_request intake_request;
struct intake_request {
    fq_store_op op; /* the store hands this back; see request_of() */
    fq_intake *intake;
    fq_ticket ticket; /* the routing decision written with the report */
    int has_ticket;
    fq_reply_token *token;
    uint64_t received_ns;      /* uv_hrtime when it arrived (traced only) */
    uint8_t key[FQ_KEY_BYTES]; /* the sender's key, to sign the reply */
    uint8_t body_digest[32];
    flight_key fkey;
    UT_hash_handle hh;
    /* Identical requests that arrived meanwhile, answered together when the
     * commit completes. No count limits them: each is charged to the byte
     * budget like any pending request, and beyond it is answered busy. */
    intake_request *followers;
    intake_request *next_follower;
    fq_report_params params;   /* the statement's: the report's, then the decision's */
    fq_attachment_rows photos; /* written with the "reported" event */
    size_t blob_len;
    char blob[]; /* strings and envelope bytes the statement reads */
};

struct fq_intake {
    fq_endpoint_ctx ctx; /* store, routing core, audit, arena, in flight */
    fq_intake_config config;
    fq_msgsock *sock;
    intake_request *in_flight; /* uthash by fkey */
    fq_arena reply_arena;      /* fq_intake_submit's replies, opened */
    unsigned char *reply_arena_buffer;
    uint8_t *pack_buffer;   /* to digest the report body */
    size_t pending_bytes;   /* memory held by requests waiting for the store */
    int64_t trace_epoch_us; /* with config.trace: wall clock minus uv_hrtime, in us */
    fq_intake_stats stats;
};

static intake_request *request_of(fq_store_op *op)
{
    return (intake_request *)((char *)op - offsetof(intake_request, op));
}

static size_t request_bytes(const intake_request *req)
{
    return sizeof *req + req->blob_len + req->photos.size;
}

static void free_request(intake_request *req)
{
    sodium_memzero(req->key, sizeof req->key);
    fq_attachment_rows_free(&req->photos);
    free(req);
}

/* Frees a request the intake held, giving back its share of the byte
 * budget (request_bytes, charged when it was accepted). */
static void release_request(fq_intake *in, intake_request *req)
{
    in->pending_bytes -= request_bytes(req);
    free_request(req);
}

/* ---- replies ---- */

static void reply_status(fq_intake *in, fq_reply_token *token, const uint8_t *key,
                         uint64_t message_id, int err, const char *message)
{
    fq_endpoint_reply(&in->ctx, token, key, message_id, err, message);
}

/* Answers a refused request and records it (endpoint_ctx.h: an error
 * answered BUSY is not recorded). `key` is NULL when the sender was not
 * authenticated (the reply then goes unsigned). */
static void refuse(fq_intake *in, fq_reply_token *token, const uint8_t *key, const uint8_t *frame,
                   size_t len, const char *node, uint64_t message_id, int err, const char *reason)
{
    fq_endpoint_refuse(&in->ctx, token, key, frame, len, node, message_id, err, reason);
}

/* ---- completion ---- */

static void answer_stored(fq_intake *in, intake_request *req, int duplicate)
{
    Fengqiao__V1__IncidentAccepted accepted = FENGQIAO__V1__INCIDENT_ACCEPTED__INIT;
    accepted.incident_id = (uint64_t)req->op.incident_id;
    accepted.duplicate = duplicate;
    accepted.recorded_at_ms = req->op.recorded_at_ms;
    accepted.event_seq = (uint64_t)req->op.event_seq;
    Fengqiao__V1__RoutingOutcome *routing = NULL;
    if (req->op.stored_outcome_len > 0)
        routing = fengqiao__v1__routing_outcome__unpack(NULL, req->op.stored_outcome_len,
                                                        req->op.stored_outcome);
    if (req->op.stored_outcome_len > 0 && routing == NULL) {
        /* Out of memory: an answer without its routing would tell the
         * sender less than was decided. The report is stored; a retry with
         * the same message id gets the whole answer. */
        reply_status(in, req->token, req->key, req->fkey.message_id, FQ_EINTERNAL,
                     "stored, but the answer could not be built; retry with the same message id");
        req->token = NULL;
        return;
    }
    accepted.routing = routing;
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, req->fkey.message_id, FQ_OK, "", 0);
    reply.result_case = FENGQIAO__V1__REPLY__RESULT_INCIDENT;
    reply.incident = &accepted;
    fq_endpoint_send(&in->ctx, req->token, req->key, &reply);
    req->token = NULL;
    fengqiao__v1__routing_outcome__free_unpacked(routing, NULL);
}

static void answer(fq_intake *in, intake_request *req, int status, const char *store_message,
                   int duplicate)
{
    char text[320];
    if (status == FQ_OK) {
        if (!req->op.created &&
            sodium_memcmp(req->op.stored_digest, req->body_digest, sizeof req->body_digest) != 0) {
            snprintf(text, sizeof text,
                     "message id %" PRIu64 " was already used for a different report "
                     "(incident %" PRId64 "); nothing was changed",
                     req->fkey.message_id, req->op.incident_id);
            reply_status(in, req->token, req->key, req->fkey.message_id, FQ_ECONFLICT, text);
            req->token = NULL;
            return;
        }
        answer_stored(in, req, duplicate || !req->op.created);
        return;
    }
    if (status == FQ_EREJECTED)
        snprintf(text, sizeof text, "not stored: the database refused the report: %s",
                 req->op.error);
    else
        snprintf(text, sizeof text, "not stored: %s; retry with the same message id",
                 store_message);
    reply_status(in, req->token, req->key, req->fkey.message_id, status, text);
    req->token = NULL;
}

/* One line of --trace-reports: the report's message id and when it reached
 * each stage, wall clock in microseconds (0: not reached): arrived, handed
 * to the store, sent in its batch, its batch's statements executed, its
 * COMMIT answered, its outbox items handed to the terminals (their held
 * syncs answered), its acknowledgement sent. */
static void trace_report(const fq_intake *in, const intake_request *req, uint64_t delivered_ns,
                         uint64_t replied_ns)
{
    const uint64_t ns[] = {req->received_ns,    req->op.submitted_ns, req->op.sent_ns,
                           req->op.executed_ns, req->op.answered_ns,  delivered_ns,
                           replied_ns};
    fprintf(in->config.trace, "%" PRIu64, req->fkey.message_id);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        fprintf(in->config.trace, " %" PRId64,
                ns[i] ? in->trace_epoch_us + (int64_t)(ns[i] / 1000) : 0);
    fputc('\n', in->config.trace);
}

static void on_stored(fq_store_op *op, int status, const char *message)
{
    intake_request *req = request_of(op);
    fq_intake *in = req->intake;
    uint64_t delivered_ns = 0;
    HASH_DEL(in->in_flight, req);
    in->ctx.in_flight--;
    if (req->has_ticket) {
        /* "Not created" may still be ours: when the connection broke after
         * our COMMIT reached PostgreSQL, the retry finds our own row, which
         * holds this ticket's nonce; the decision then stands. */
        int ours = req->op.created || req->op.stored_nonce == req->ticket.nonce;
        if (ours && !req->op.created)
            req->op.created = 1;
        if (status == FQ_OK)
            fq_dispatch_stored(in->ctx.dispatch, &req->ticket, (uint64_t)req->op.incident_id, ours,
                               &req->op.written);
        else
            fq_dispatch_dropped(in->ctx.dispatch, &req->ticket);
        req->has_ticket = 0;
        if (in->config.trace != NULL)
            delivered_ns = uv_hrtime();
    }
    int same_body =
        sodium_memcmp(req->op.stored_digest, req->body_digest, sizeof req->body_digest) == 0;
    if (status == FQ_OK && req->op.created)
        in->stats.accepted++;
    else if (status == FQ_OK && same_body)
        in->stats.duplicates++;
    answer(in, req, status, message, 0);
    if (in->config.trace != NULL && status == FQ_OK)
        trace_report(in, req, delivered_ns, uv_hrtime());
    /* Copies that arrived while this one was in flight share its outcome. */
    for (intake_request *f = req->followers, *next; f != NULL; f = next) {
        next = f->next_follower;
        f->op.incident_id = req->op.incident_id;
        /* A follower created nothing: answer() then compares its body with
         * the stored one, so a different body under the same id is a
         * conflict, not a silent duplicate. */
        f->op.created = 0;
        f->op.recorded_at_ms = req->op.recorded_at_ms;
        f->op.event_seq = req->op.event_seq;
        memcpy(f->op.stored_digest, req->op.stored_digest, sizeof f->op.stored_digest);
        memcpy(f->op.stored_outcome, req->op.stored_outcome, req->op.stored_outcome_len);
        f->op.stored_outcome_len = req->op.stored_outcome_len;
        snprintf(f->op.error, sizeof f->op.error, "%s", req->op.error);
        if (status == FQ_OK &&
            sodium_memcmp(f->op.stored_digest, f->body_digest, sizeof f->body_digest) == 0)
            in->stats.duplicates++;
        answer(in, f, status, message, 1);
        release_request(in, f);
    }
    release_request(in, req);
}

/* ---- request building ---- */

/* Copies a string into the blob and returns where it went. */
static const char *blob_put(intake_request *req, size_t *used, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = req->blob + *used;
    memcpy(dst, s, n);
    *used += n;
    return dst;
}

/* Drops the unknown fields protobuf-c kept while decoding, in `m` and every
 * message below it; returns how many there were. The decoded tree lives in
 * the request's arena, so nothing is freed here. */
static size_t strip_unknown_fields(ProtobufCMessage *m)
{
    size_t stripped = m->n_unknown_fields;
    m->n_unknown_fields = 0;
    m->unknown_fields = NULL;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *base = (char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)(base + f->quantifier_offset);
            ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (items[k] != NULL)
                    stripped += strip_unknown_fields(items[k]);
            continue;
        }
        /* A oneof member's pointer is only meaningful while it is the case
         * set: the slot is shared with the other members. */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        ProtobufCMessage *sub = *(ProtobufCMessage **)(base + f->offset);
        if (sub != NULL)
            stripped += strip_unknown_fields(sub);
    }
    return stripped;
}

static intake_request *build_request(fq_intake *in, const fq_opened_request *opened,
                                     const fq_node *node, const uint8_t digest[32],
                                     const fq_evidence *evidence)
{
    const Fengqiao__V1__ReportIncident *r = opened->envelope->report_incident;
    const char *strings[] = {r->category,    r->place_unit,   r->address,       r->title,
                             r->description, r->external_ref, r->reporter_name, r->reporter_phone};
    /* The event keeps the envelope as received, byte for byte, unless it
     * carries fields this server does not know: those are not stored
     * (docs/protocol.md, section 12), so the stored copy is the envelope
     * re-encoded without them. The MAC was checked over the bytes received;
     * the body digest (computed before) still covers what was sent. */
    Fengqiao__V1__Envelope *envelope = (Fengqiao__V1__Envelope *)opened->envelope;
    size_t stripped = strip_unknown_fields(&envelope->base);
    size_t stored_len =
        stripped > 0 ? fengqiao__v1__envelope__get_packed_size(envelope) : opened->envelope_len;
    size_t blob_len = stored_len;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        blob_len += strlen(strings[i]) + 1;
    intake_request *req = calloc(1, sizeof *req + blob_len);
    if (req == NULL)
        return NULL;
    if (fq_attachment_rows_build(&req->photos, evidence) != 0) {
        free(req);
        return NULL;
    }
    req->intake = in;
    req->blob_len = blob_len;
    memcpy(req->key, node->key, sizeof req->key);
    memcpy(req->body_digest, digest, sizeof req->body_digest);
    snprintf(req->fkey.node, sizeof req->fkey.node, "%s", node->id);
    req->fkey.message_id = opened->envelope->message_id;

    /* The report's fields of the statement; the decision's are added by
     * dispatch (fq_dispatch_bind), which binds it. Strings are copied into
     * the blob: the request's arena is reset before the statement runs. */
    size_t used = 0;
    fq_report_params *p = &req->params;
    p->node = req->fkey.node;
    p->message_id = req->fkey.message_id;
    p->body_digest = req->body_digest;
    p->category = blob_put(req, &used, r->category);
    p->severity = (int)r->severity;
    p->risk = (int)r->risk;
    p->channel = (int)r->channel;
    p->place_unit = r->place_unit[0] ? blob_put(req, &used, r->place_unit) : NULL;
    if (r->location != NULL) {
        p->has_location = 1;
        p->lon = r->location->lon;
        p->lat = r->location->lat;
    }
    p->address = blob_put(req, &used, r->address);
    p->title = blob_put(req, &used, r->title);
    p->description = blob_put(req, &used, r->description);
    p->occurred_at_ms = r->occurred_at_ms;
    p->external_ref = blob_put(req, &used, r->external_ref);
    p->reporter_name = blob_put(req, &used, r->reporter_name);
    p->reporter_phone = blob_put(req, &used, r->reporter_phone);
    p->sent_at_ms = opened->envelope->sent_at_ms;
    if (stripped > 0)
        fengqiao__v1__envelope__pack(envelope, (uint8_t *)req->blob + used);
    else
        memcpy(req->blob + used, opened->envelope_bytes, opened->envelope_len);
    p->envelope = (const uint8_t *)req->blob + used;
    p->envelope_len = stored_len;
    p->photos = &req->photos;
    req->op.done = on_stored;
    return req;
}

/* BLAKE2b-256 of the report body as protobuf-c encodes it: the same body
 * always gives the same digest, whatever envelope (sent_at) carries it. */
static int digest_report(fq_intake *in, const Fengqiao__V1__ReportIncident *r, uint8_t out[32])
{
    size_t n = fengqiao__v1__report_incident__get_packed_size(r);
    /* The body came out of a frame of at most FQ_MAX_FRAME_BYTES and the gate
     * refuses encodings that re-encode differently in size, so it fits; the
     * check keeps a mistake there from writing past the buffer. */
    if (n > FQ_MAX_FRAME_BYTES)
        return -1;
    fengqiao__v1__report_incident__pack(r, in->pack_buffer);
    crypto_generichash(out, 32, in->pack_buffer, n, NULL, 0);
    return 0;
}

/* ---- the request path ---- */

static void handle(fq_intake *in, const uint8_t *frame, size_t len, fq_reply_token *token,
                   fq_arena *arena, size_t max_frame)
{
    char err[256];
    uint64_t received_ns = in->config.trace != NULL ? uv_hrtime() : 0;
    fq_snapshot *snap = fq_dispatch_current(in->ctx.dispatch);
    const fq_directory *dir = snap ? snap->directory : NULL;
    int64_t now = fq_now_ms();
    fq_gate gate;
    fq_gate_check_sized(frame, len, max_frame, arena, dir, now, in->config.max_skew_ms, &gate);
    const uint8_t *key = gate.node ? gate.node->key : NULL;
    if (gate.err != FQ_OK) {
        /* Nothing loaded yet (answered BUSY) is no refusal of the request:
         * refuse() writes no audit row for it. */
        refuse(in, token, key, frame, len, gate.claimed_sender, gate.message_id, gate.err,
               gate.message);
        return;
    }
    const fq_opened_request opened = gate.opened;
    const Fengqiao__V1__Envelope *env = opened.envelope;
    const fq_node *node = gate.node;
    const char *sender = node->id;
    uint64_t mid = env->message_id;
    if (env->body_case != FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT) {
        refuse(in, token, key, frame, len, sender, mid, FQ_EUNSUPPORTED,
               "the intake endpoint accepts only report_incident");
        return;
    }
    const Fengqiao__V1__ReportIncident *report = env->report_incident;
    /* A console node reports only through the front desk, a request made
     * inside the server (no socket) for a receptionist's account, whose
     * role the HTTP layer checked (docs/front-desk.md). */
    int local = fq_reply_token_socket(token) == NULL;
    if (!fq_policy_may_send_reports(node->role) &&
        !(local && fq_policy_may_register_cases(node->role))) {
        snprintf(err, sizeof err, "a %s node may not report incidents", fq_role_name(node->role));
        refuse(in, token, key, frame, len, sender, mid, FQ_EFORBIDDEN, err);
        return;
    }
    if (fq_validate_report(report, now, in->config.max_skew_ms, err, sizeof err) != 0) {
        refuse(in, token, key, frame, len, sender, mid, FQ_EINVALID, err);
        return;
    }
    int32_t place = -1;
    if (report->place_unit[0] != '\0') {
        int rc = fq_policy_may_report(dir, node, report->place_unit, &place);
        if (rc == FQ_ENOTFOUND) {
            /* A place that does not exist is the report's mistake. */
            rc = FQ_EINVALID;
            snprintf(err, sizeof err, "place_unit %s is not a known unit", report->place_unit);
        } else if (rc != FQ_OK) {
            rc = FQ_EOUTSIDE;
            snprintf(err, sizeof err, "place_unit %s is outside the jurisdiction of %s (%s)",
                     report->place_unit, sender,
                     fq_org_id(fq_directory_org(dir), node->jurisdiction));
        }
        if (rc != FQ_OK) {
            refuse(in, token, key, frame, len, sender, mid, rc, err);
            return;
        }
    }

    /* The photos are the bytes the signed refs name, and real images, or
     * nothing of the report is stored. */
    fq_evidence evidence;
    int ev = fq_evidence_check(report->attachments, report->n_attachments, opened.attachments,
                               opened.n_attachments, &evidence, err, sizeof err);
    if (ev != FQ_OK) {
        refuse(in, token, key, frame, len, sender, mid, ev, err);
        return;
    }

    uint8_t digest[32];
    if (digest_report(in, report, digest) != 0) {
        refuse(in, token, key, frame, len, sender, mid, FQ_EINVALID,
               "the report re-encodes larger than a frame may be");
        return;
    }
    intake_request *req = build_request(in, &opened, node, digest, &evidence);
    if (req == NULL) {
        reply_status(in, token, key, mid, FQ_ENOMEM, "out of memory; retry later");
        return;
    }
    /* Pending work is capped by the memory it holds, not by its count: a
     * padded envelope weighs sixty times a plain one. Over the budget the
     * request is answered busy now rather than held or dropped. */
    size_t bytes = request_bytes(req);
    if (bytes > in->config.max_pending_bytes - in->pending_bytes ||
        in->pending_bytes > in->config.max_pending_bytes) {
        in->stats.over_budget++;
        snprintf(err, sizeof err,
                 "not stored: the server holds %zu bytes of reports waiting for the database "
                 "(budget %zu); retry with the same message id",
                 in->pending_bytes, in->config.max_pending_bytes);
        free_request(req); /* never charged */
        reply_status(in, token, key, mid, FQ_EBUSY, err);
        return;
    }
    in->pending_bytes += bytes;
    req->token = token;
    req->received_ns = received_ns;
    intake_request *first;
    HASH_FIND(hh, in->in_flight, &req->fkey, sizeof req->fkey, first);
    if (first == NULL) {
        /* Route now, in this loop turn: the decision is written in the
         * same transaction as the report. (A resend of one in flight needs
         * no decision: it shares the first's outcome.) */
        int decided = fq_dispatch_decide(in->ctx.dispatch, snap, node, report, place, now,
                                         &req->ticket, err, sizeof err);
        if (decided != FQ_OK) {
            release_request(in, req);
            refuse(in, token, key, frame, len, sender, mid, decided, err); /* BUSY: no audit row */
            return;
        }
        req->has_ticket = 1;
        fq_dispatch_bind(&req->ticket, &req->params, &req->op);
    }
    if (first != NULL) {
        /* REQ resent while the first copy waits for its commit. */
        in->stats.coalesced++;
        req->next_follower = first->followers;
        first->followers = req;
        return;
    }
    HASH_ADD(hh, in->in_flight, fkey, sizeof req->fkey, req);
    in->ctx.in_flight++;
    /* Now, or once the open incident it duplicates has committed. */
    fq_dispatch_submit(in->ctx.dispatch, &req->ticket, &req->op);
}

static void handle_request(void *endpoint, const uint8_t *frame, size_t len, fq_reply_token *token,
                           fq_arena *arena, size_t max_frame)
{
    handle(endpoint, frame, len, token, arena, max_frame);
}

void fq_intake_on_request(void *user, const uint8_t *frame, size_t len, fq_reply_token *token)
{
    fq_intake *in = user;
    in->stats.requests++;
    fq_endpoint_handle(&in->ctx, frame, len, token, handle_request, in);
}

/* ---- reports made inside the server ---- */

#define REPLY_ARENA_BYTES (4 * FQ_MAX_FRAME_BYTES)

typedef struct local_call {
    fq_intake *intake;
    uint8_t key[FQ_KEY_BYTES];
    fq_intake_done_fn done;
    void *user;
} local_call;

static void on_local_reply(void *user, const uint8_t *bytes, size_t len)
{
    local_call *call = user;
    fq_intake *in = call->intake;
    Fengqiao__V1__Reply *reply = NULL;
    int authenticated = 0;
    if (bytes != NULL) {
        fq_arena_reset(&in->reply_arena);
        if (fq_wire_open_reply(call->key, bytes, len, &in->reply_arena, &reply, &authenticated) !=
            FQ_WIRE_OK)
            reply = NULL;
    }
    call->done(call->user, reply);
    sodium_memzero(call->key, sizeof call->key);
    free(call);
}

int fq_intake_submit(fq_intake *in, const char *node_id, uint64_t message_id,
                     const Fengqiao__V1__ReportIncident *report, fq_intake_done_fn done, void *user)
{
    return fq_intake_submit_attached(in, node_id, message_id, report, NULL, 0, done, user);
}

int fq_intake_submit_attached(fq_intake *in, const char *node_id, uint64_t message_id,
                              const Fengqiao__V1__ReportIncident *report,
                              const ProtobufCBinaryData *photos, size_t n_photos,
                              fq_intake_done_fn done, void *user)
{
    fq_snapshot *snap = fq_dispatch_current(in->ctx.dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, node_id) : NULL;
    if (node == NULL)
        return -1;
    local_call *call = calloc(1, sizeof *call);
    if (call == NULL)
        return -1;
    call->intake = in;
    memcpy(call->key, node->key, sizeof call->key);
    call->done = done;
    call->user = user;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.schema_version = 1;
    env.sender = (char *)node_id;
    env.message_id = message_id;
    env.sent_at_ms = fq_now_ms();
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    env.report_incident = (Fengqiao__V1__ReportIncident *)report;
    uint8_t *frame = NULL;
    size_t frame_len = 0;
    fq_reply_token *token = NULL;
    if (fq_wire_seal_request_attached(call->key, &env, photos, n_photos, &frame, &frame_len) !=
            FQ_WIRE_OK ||
        (token = fq_reply_token_local(on_local_reply, call)) == NULL) {
        free(frame);
        sodium_memzero(call->key, sizeof call->key);
        free(call);
        return -1;
    }
    fq_intake_on_request(in, frame, frame_len, token);
    free(frame);
    return 0;
}

fq_intake *fq_intake_new(uv_loop_t *loop, const fq_intake_config *config, fq_store *store,
                         fq_dispatch *dispatch)
{
    fq_intake *in = calloc(1, sizeof *in);
    if (in == NULL)
        return NULL;
    if (fq_endpoint_init(&in->ctx, loop, ENDPOINT_NAME, store, dispatch, config->audit_per_second,
                         config->busy_retry_ms) != 0) {
        free(in);
        return NULL;
    }
    in->pack_buffer = malloc(FQ_MAX_FRAME_BYTES);
    in->reply_arena_buffer = malloc(REPLY_ARENA_BYTES);
    if (in->pack_buffer == NULL || in->reply_arena_buffer == NULL) {
        fq_endpoint_free(&in->ctx);
        free(in->pack_buffer);
        free(in->reply_arena_buffer);
        free(in);
        return NULL;
    }
    fq_arena_init(&in->reply_arena, in->reply_arena_buffer, REPLY_ARENA_BYTES);
    in->config = *config;
    if (config->trace != NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        in->trace_epoch_us =
            (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - (int64_t)(uv_hrtime() / 1000);
    }
    return in;
}

void fq_intake_attach(fq_intake *in, fq_msgsock *sock)
{
    in->sock = sock;
}

size_t fq_intake_in_flight(const fq_intake *in)
{
    return in->ctx.in_flight;
}

const fq_intake_stats *fq_intake_get_stats(fq_intake *in)
{
    in->stats.pending_bytes = in->pending_bytes;
    in->stats.in_flight = in->ctx.in_flight;
    memcpy(in->stats.by_status, in->ctx.by_status, sizeof in->stats.by_status);
    in->stats.audit_written = in->ctx.audit.written;
    in->stats.audit_dropped = in->ctx.audit.dropped;
    return &in->stats;
}

void fq_intake_free(fq_intake *in)
{
    if (in == NULL)
        return;
    fq_endpoint_free(&in->ctx);
    free(in->pack_buffer);
    free(in->reply_arena_buffer);
    free(in);
}
