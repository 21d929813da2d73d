/* field: the field API (field.h, docs/http-api.md "The field API").
 *
 * The sync and the actions are sealed with the key of the account's
 * terminal node and go through the terminal endpoint (nodecall.h), as api.c
 * sends the console's queries: the endpoint cannot tell a phone from
 * fq-terminal. The reply is turned into JSON (pbjson.c). */
#include "field.h"

#include "api.h"
#include "field_reads.h"
#include "fieldreq.h"
#include "nodecall.h"
#include "fq_arena.h"
#include "fq_wire.h"
#include "pbjson.h"
#include "requestid.h"
#include "statements.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x
/* A sync's reply is at most a frame (64 KiB) from our own server: decoded
 * it takes a few times that. */
#define ARENA_BYTES (1024 * 1024)
#define MAX_WAIT_MS 25000

struct fq_field {
    uv_loop_t *loop;
    fq_terminals *terminals;
    fq_intake *intake;
    fq_dispatch *dispatch;
    fq_store *read_store;
    uint64_t last_sync_id;
    uint8_t *arena_buf;
    fq_arena arena;
};

/* Who asks: the account's terminal node, as loaded in the directory. */
typedef struct field_node {
    char id[72];
    uint8_t key[32];
    char box[72];          /* 'w:<worker>' or 'h:<unit>' */
    char jurisdiction[72]; /* the worker's grid, the unit's territory */
} field_node;

/* The account's node; 0, or -1 when answered (revoked: 401). */
static int find_node(fq_field *f, fq_web_req *r, field_node *out)
{
    const fq_web_session *s = fq_web_req_session(r);
    fq_snapshot *snap = fq_dispatch_current(f->dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, s->node_id) : NULL;
    if (node == NULL || node->revoked) {
        fq_web_respond_err(r, FQ_EUNAUTHENTICATED,
                           snap == NULL ? "the server is starting; sign in again"
                                        : "this account's node is revoked; sign in again");
        return -1;
    }
    snprintf(out->id, sizeof out->id, "%s", node->id);
    memcpy(out->key, node->key, sizeof out->key);
    snprintf(out->box, sizeof out->box, "%s", node->box);
    snprintf(out->jurisdiction, sizeof out->jurisdiction, "%s",
             fq_org_id(fq_directory_org(snap->directory), node->jurisdiction));
    return 0;
}

/* ---- requests through the terminal endpoint ---- */

typedef enum field_kind { F_SYNC, F_ACTION } field_kind;

typedef struct terminal_req {
    fq_nodecall call; /* first: the callbacks cast back */
    fq_field *f;
    field_kind kind;
    size_t n_photos; /* an action's: the answer names what was stored */
} terminal_req;

static void terminal_req_free(terminal_req *t)
{
    fq_nodecall_forget(&t->call);
    free(t);
}

static void terminal_req_release(fq_nodecall *c)
{
    terminal_req_free((terminal_req *)c);
}

static void answer_sync(terminal_req *t, const Fengqiao__V1__Reply *reply)
{
    if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_SYNC) {
        fq_web_respond_err(t->call.r, FQ_EBUSY, "the server answered another kind (a bug)");
        return;
    }
    json_object *doc = fq_pbjson_message(&reply->sync->base);
    if (doc == NULL) {
        fq_web_respond_err(t->call.r, FQ_EBUSY, "out of memory");
        return;
    }
    json_object *items = NULL;
    if (!json_object_object_get_ex(doc, "items", &items))
        json_object_object_add(doc, "items", json_object_new_array());
    fq_web_respond_json(t->call.r, 200, doc);
}

/* ---- the photos an answer names ---- */

typedef struct attachments_read {
    fq_store_op op;
    fq_web_req *r;
    json_object *doc;
    fq_field_read_params params;
} attachments_read;

static void attachments_done(fq_store_op *op, int status, const char *message)
{
    (void)message;
    attachments_read *q = (attachments_read *)op;
    json_object *list = status == FQ_OK && op->result != NULL && PQntuples(op->result) == 1
                            ? json_tokener_parse(PQgetvalue(op->result, 0, 0))
                            : NULL;
    /* Done and committed either way: without the read the answer says
     * what it can (the timeline names the photos too). */
    if (list != NULL)
        json_object_object_add(q->doc, "attachments", list);
    fq_web_respond_json(q->r, 200, q->doc);
    free(q);
}

/* Answers 200 with `doc` (put) and "attachments": the photos stored with
 * the event (their ids and SHA-256), read once the event is committed;
 * [] when none were sent or nothing was stored (done already). */
static void respond_stored(fq_field *f, fq_web_req *r, json_object *doc, uint64_t incident_id,
                           uint64_t event_seq, size_t n_photos)
{
    attachments_read *q = n_photos > 0 && event_seq > 0 ? calloc(1, sizeof *q) : NULL;
    if (q == NULL) {
        json_object_object_add(doc, "attachments", json_object_new_array());
        fq_web_respond_json(r, 200, doc);
        return;
    }
    q->r = r;
    q->doc = doc;
    fq_field_event_attachments_bind(&q->op, &q->params, incident_id, event_seq);
    q->op.done = attachments_done;
    fq_store_submit(f->read_store, &q->op);
}

/* The AttachmentRefs the envelope names and the bytes beside it. */
typedef struct photo_refs {
    Fengqiao__V1__AttachmentRef ref[FQ_FIELD_MAX_PHOTOS];
    Fengqiao__V1__AttachmentRef *ptr[FQ_FIELD_MAX_PHOTOS];
    ProtobufCBinaryData bytes[FQ_FIELD_MAX_PHOTOS];
} photo_refs;

static void photo_refs_fill(photo_refs *p, fq_field_photos *photos)
{
    for (size_t i = 0; i < photos->n; i++) {
        fq_field_photo *ph = &photos->photo[i];
        fq_fieldreq_photo_ref(ph, &p->ref[i]);
        p->ptr[i] = &p->ref[i];
        p->bytes[i].data = ph->bytes;
        p->bytes[i].len = ph->len;
    }
}

/* An ActionResult as the contract's answer, with the photos stored. */
static void answer_action(terminal_req *t, const Fengqiao__V1__ActionResult *res)
{
    json_object *doc = fq_pbjson_message(&res->base);
    if (doc == NULL) {
        fq_web_respond_err(t->call.r, FQ_EBUSY, "out of memory");
        return;
    }
    json_object_object_add(doc, "already_done", json_object_new_boolean(res->already_done));
    respond_stored(t->f, t->call.r, doc, res->incident_id, res->already_done ? 0 : res->event_seq,
                   t->n_photos);
}

static void on_terminal_reply(fq_nodecall *c, const Fengqiao__V1__Reply *reply)
{
    terminal_req *t = (terminal_req *)c;
    if (t->kind == F_ACTION && reply->status == ST(WRONG_STATE) &&
        reply->result_case == FENGQIAO__V1__REPLY__RESULT_ACTION && reply->action->already_done) {
        /* What the action asks is in effect already (acknowledged from
         * another terminal of the worker, or a queued resend): done, not an
         * error, for a phone that queued it offline. */
        answer_action(t, reply->action);
    } else if (reply->status != ST(OK)) {
        fq_api_respond_refusal(t->call.r, reply);
    } else if (t->kind == F_SYNC) {
        answer_sync(t, reply);
    } else if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_ACTION) {
        answer_action(t, reply->action);
    } else {
        fq_web_respond_err(t->call.r, FQ_EBUSY, "the server answered another kind (a bug)");
    }
    terminal_req_free(t);
}

static terminal_req *terminal_req_new(fq_field *f, fq_web_req *r, field_kind kind)
{
    terminal_req *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return NULL;
    }
    t->f = f;
    t->kind = kind;
    field_node node;
    if (find_node(f, r, &node) != 0) {
        free(t);
        return NULL;
    }
    t->call.r = r;
    snprintf(t->call.node, sizeof t->call.node, "%s", node.id);
    memcpy(t->call.key, node.key, sizeof t->call.key);
    sodium_memzero(node.key, sizeof node.key);
    t->call.arena = &f->arena;
    t->call.terminals = f->terminals;
    t->call.answer = on_terminal_reply;
    t->call.release = terminal_req_release;
    return t;
}

/* ---- the feed: GET /api/v1/field/sync ---- */

static int query_u64(fq_web_req *r, const char *name, uint64_t max, uint64_t *out)
{
    const char *v = fq_web_req_query(r, name);
    if (v == NULL || v[0] == '\0')
        return 0;
    char *end = NULL;
    unsigned long long x = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)v[0]) || *end != '\0' || x > max) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s must be an integer from 0 to %" PRIu64, name, max);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    *out = x;
    return 0;
}

static int query_degrees(fq_web_req *r, const char *name, double limit, double *out, int *given)
{
    const char *v = fq_web_req_query(r, name);
    *given = v != NULL && v[0] != '\0';
    if (!*given)
        return 0;
    char *end = NULL;
    double x = strtod(v, &end);
    if (*end != '\0' || !isfinite(x) || x < -limit || x > limit) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s must be a number from %g to %g", name, -limit, limit);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    *out = x;
    return 0;
}

/* Each sync is a new message signed now; its id grows with the clock and
 * within a millisecond, so that the endpoint's sync guard (syncguard.h)
 * takes every sync of the account as newer than the last. */
static uint64_t next_sync_id(fq_field *f)
{
    uint64_t id = (uint64_t)fq_now_ms() << 20;
    if (id <= f->last_sync_id)
        id = f->last_sync_id + 1;
    f->last_sync_id = id;
    return id & INT64_MAX;
}

static void handle_sync(fq_field *f, fq_web_req *r)
{
    uint64_t after = 0, wait_ms = 0;
    double lat = 0, lng = 0;
    int has_lat = 0, has_lng = 0;
    if (query_u64(r, "after", INT64_MAX, &after) ||
        query_u64(r, "wait_ms", MAX_WAIT_MS, &wait_ms) ||
        query_degrees(r, "lat", 90, &lat, &has_lat) || query_degrees(r, "lng", 180, &lng, &has_lng))
        return;
    if (has_lat != has_lng) {
        fq_web_respond_err(r, FQ_EINVALID, "lat and lng go together");
        return;
    }
    const char *off = fq_web_req_query(r, "off_duty");
    terminal_req *t = terminal_req_new(f, r, F_SYNC);
    if (t == NULL)
        return;
    Fengqiao__V1__TerminalSync sync;
    fengqiao__v1__terminal_sync__init(&sync);
    sync.after_seq = after;
    sync.wait_ms = (uint32_t)wait_ms;
    sync.off_duty = off != NULL && (strcmp(off, "1") == 0 || strcmp(off, "true") == 0);
    Fengqiao__V1__GeoPoint point;
    fengqiao__v1__geo_point__init(&point);
    if (has_lat) {
        point.lat = lat;
        point.lon = lng;
        sync.position = &point;
    }
    Fengqiao__V1__Envelope env;
    fengqiao__v1__envelope__init(&env);
    env.message_id = next_sync_id(f);
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
    env.terminal_sync = &sync;
    fq_nodecall_send(&t->call, &env, NULL, 0);
}

/* ---- actions: POST /api/v1/field/assignments/ID/actions ---- */

static void respond_decode_error(fq_web_req *r, int rc, const char *err)
{
    const char *code;
    int http = fq_err_http(rc, &code);
    fq_web_respond_error(r, http, code, err, http == 503);
}

static void handle_action(fq_field *f, fq_web_req *r, uint64_t incident_id)
{
    size_t len = 0;
    const uint8_t *body = fq_web_req_body(r, &len);
    fq_field_action *a = malloc(sizeof *a);
    if (a == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    char err[200];
    int rc = fq_fieldreq_decode_action(body ? (const char *)body : "", len, a, err, sizeof err);
    if (rc != FQ_OK) {
        respond_decode_error(r, rc, err);
        free(a);
        return;
    }
    terminal_req *t = terminal_req_new(f, r, F_ACTION);
    if (t == NULL) {
        fq_fieldreq_photos_free(&a->photos);
        free(a);
        return;
    }
    /* The photos beside the envelope, named in it by their SHA-256: stored
     * with the action's event, in its transaction (docs/phone.md). */
    photo_refs *refs = malloc(sizeof *refs);
    if (refs == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        fq_fieldreq_photos_free(&a->photos);
        free(a);
        terminal_req_free(t);
        return;
    }
    photo_refs_fill(refs, &a->photos);
    a->action.incident_id = incident_id;
    a->action.attachments = refs->ptr;
    a->action.n_attachments = a->photos.n;
    t->n_photos = a->photos.n;
    Fengqiao__V1__Envelope env;
    fengqiao__v1__envelope__init(&env);
    env.message_id = fq_request_message_id(t->call.node, a->request_id);
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
    env.assignment_action = &a->action;
    /* Sealed before it returns (the answer may come first): the body, the
     * refs and the bytes may go. */
    fq_nodecall_send(&t->call, &env, refs->bytes, a->photos.n);
    free(refs);
    fq_fieldreq_photos_free(&a->photos);
    free(a);
}

/* ---- reports from the field: POST /api/v1/field/reports ---- */

typedef struct report_req {
    fq_field *f;
    fq_web_req *r;
    size_t n_photos;
} report_req;

static void on_report_done(void *user, const Fengqiao__V1__Reply *reply)
{
    report_req *q = user;
    if (reply == NULL)
        fq_web_respond_err(q->r, FQ_EBUSY, "the server could not answer now; retry");
    else if (reply->status != ST(OK))
        fq_api_respond_refusal(q->r, reply);
    else if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_INCIDENT)
        fq_web_respond_err(q->r, FQ_EBUSY, "the server answered another kind (a bug)");
    else {
        const Fengqiao__V1__IncidentAccepted *acc = reply->incident;
        json_object *doc = fq_pbjson_message(&acc->base);
        if (doc == NULL)
            fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
        else /* the photos were stored with the "reported" event */
            respond_stored(q->f, q->r, doc, acc->incident_id, acc->event_seq, q->n_photos);
    }
    free(q);
}

static void handle_report(fq_field *f, fq_web_req *r)
{
    size_t len = 0;
    const uint8_t *body = fq_web_req_body(r, &len);
    fq_field_report *rep = malloc(sizeof *rep);
    report_req *q = calloc(1, sizeof *q);
    if (rep == NULL || q == NULL) {
        free(rep);
        free(q);
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->f = f;
    q->r = r;
    char err[200];
    int rc = fq_fieldreq_decode_report(body ? (const char *)body : "", len, rep, err, sizeof err);
    field_node node;
    photo_refs refs;
    if (rc != FQ_OK) {
        respond_decode_error(r, rc, err);
    } else if (find_node(f, r, &node) != 0) {
        fq_fieldreq_photos_free(&rep->photos);
    } else {
        photo_refs_fill(&refs, &rep->photos);
        rep->report.attachments = refs.ptr;
        rep->report.n_attachments = rep->photos.n;
        q->n_photos = rep->photos.n;
        /* From the field: placed by the phone's point, else at the
         * account's own grid or territory. */
        rep->report.channel = FENGQIAO__V1__CHANNEL__CHANNEL_PATROL;
        if (rep->report.location == NULL)
            rep->report.place_unit = node.jurisdiction;
        uint64_t mid = fq_request_message_id(node.id, rep->request_id);
        sodium_memzero(node.key, sizeof node.key);
        /* Sealed before it returns; the answer may come first. */
        if (fq_intake_submit_attached(f->intake, node.id, mid, &rep->report, refs.bytes,
                                      rep->photos.n, on_report_done, q) == 0)
            q = NULL;
        else
            fq_web_respond_err(r, FQ_EBUSY, "the report could not be sent; retry");
        fq_fieldreq_photos_free(&rep->photos);
    }
    free(rep);
    free(q);
}

/* ---- reads: the assignments, an incident ---- */

typedef struct field_read {
    fq_store_op op;
    fq_field *f;
    fq_web_req *r;
    int one; /* an incident: no row is 403 */
    char node[72];
    char unit[72];
    fq_field_read_params params;
} field_read;

static void read_done(fq_store_op *op, int status, const char *message)
{
    field_read *q = (field_read *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
    } else if (PQntuples(res) != 1) {
        fq_web_respond_err(q->r, FQ_EFORBIDDEN,
                           q->one ? "not an assignment of this account"
                                  : "the assignments read found nothing");
    } else {
        json_object *doc = json_tokener_parse(PQgetvalue(res, 0, 0));
        if (doc == NULL) {
            fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
        } else {
            char zone[8];
            json_object_object_add(doc, "server_time_ms", json_object_new_int64(fq_now_ms()));
            json_object_object_add(doc, "time_zone",
                                   json_object_new_string(fq_dispatch_time_zone(
                                       q->f->dispatch, q->node, zone, sizeof zone)));
            fq_web_respond_json(q->r, 200, doc);
        }
    }
    free(q);
}

static void handle_read(fq_field *f, fq_web_req *r, uint64_t incident_id)
{
    field_node node;
    if (find_node(f, r, &node) != 0)
        return;
    sodium_memzero(node.key, sizeof node.key);
    if (strncmp(node.box, "w:", 2) != 0 && strncmp(node.box, "h:", 2) != 0) {
        fq_web_respond_err(r, FQ_EFORBIDDEN, "this account's node serves no worker or unit");
        return;
    }
    fq_store *store = f->read_store;
    field_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->f = f;
    q->r = r;
    snprintf(q->node, sizeof q->node, "%s", node.id);
    snprintf(q->unit, sizeof q->unit, "%.71s", node.box[0] == 'h' ? node.box + 2 : "");
    q->op.kind = FQ_STORE_OP_READ;
    if (incident_id == 0) {
        fq_field_assignments_bind(&q->op, &q->params, node.box[0] == 'w' ? node.box + 2 : "",
                                  q->unit);
    } else {
        q->one = 1;
        fq_field_incident_bind(&q->op, &q->params, node.box, q->unit, incident_id);
    }
    q->op.done = read_done;
    fq_store_submit(store, &q->op);
}

/* ---- routing ---- */

void fq_field_handle(void *user, fq_web_req *r)
{
    fq_field *f = user;
    const char *method = fq_web_req_method(r);
    const char *path = fq_web_req_path(r);
    static const char prefix[] = "/api/v1/field/";
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (strncmp(path, prefix, sizeof prefix - 1) != 0) {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    const char *rest = path + sizeof prefix - 1;
    if (get && strcmp(rest, "sync") == 0)
        handle_sync(f, r);
    else if (get && strcmp(rest, "assignments") == 0)
        handle_read(f, r, 0);
    else if (post && strcmp(rest, "reports") == 0)
        handle_report(f, r);
    else if (strncmp(rest, "assignments/", 12) == 0) {
        uint64_t id = 0;
        const char *tail = NULL;
        if (fq_api_parse_id(rest + 12, &id, &tail) != 0) {
            fq_web_respond_err(r, FQ_EINVALID, "the incident id must be a number");
            return;
        }
        if (get && tail[0] == '\0')
            handle_read(f, r, id);
        else if (post && strcmp(tail, "/actions") == 0)
            handle_action(f, r, id);
        else
            fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
    } else
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
}

fq_field *fq_field_new(uv_loop_t *loop, fq_terminals *terminals, fq_intake *intake,
                       fq_dispatch *dispatch, fq_store *read_store)
{
    fq_field *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->arena_buf = malloc(ARENA_BYTES);
    if (f->arena_buf == NULL) {
        free(f);
        return NULL;
    }
    fq_arena_init(&f->arena, f->arena_buf, ARENA_BYTES);
    f->loop = loop;
    f->terminals = terminals;
    f->intake = intake;
    f->dispatch = dispatch;
    f->read_store = read_store;
    return f;
}

void fq_field_free(fq_field *f)
{
    if (f == NULL)
        return;
    free(f->arena_buf);
    free(f);
}
