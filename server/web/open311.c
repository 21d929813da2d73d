#include "open311.h"

#include "apikey.h"
#include "fq_wire.h"
#include "loginlimit.h"
#include "log.h"
#include "o311form.h"
#include "routing_state.h"
#include "statements.h"
#include "validate.h"

#include <inttypes.h>
#include <libxml/xmlwriter.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x
#define MAX_RESULTS 1000
#define DEFAULT_DAYS 90
#define MAX_VALUE_BYTES 16384
#define MAX_IDS 200

struct fq_open311 {
    uv_loop_t *loop;
    fq_store *store;
    fq_intake *intake;
    fq_dispatch *dispatch;
    fq_loginlimit limit; /* wrong keys, as the web console's sign-ins */
};

typedef enum stage { S_SERVICES, S_KEY, S_REQUESTS } stage;

typedef struct o311_req {
    fq_store_op op;
    fq_open311 *o;
    fq_web_req *r;
    fq_o311_path path;
    fq_o311_form form;
    stage stage;
    uint8_t key_hash[FQ_APIKEY_HASH_BYTES];
    char limit_key[FQ_APIKEY_SHOWN + 1];
    char remote[64];
    int64_t counted_ms;
    char node[80], jurisdiction[80];
    int64_t start_ms, end_ms;          /* GET requests: the period asked */
    char start[24], end[24], limit[8]; /* FQ_SQL_O311_REQUESTS's parameters */
} o311_req;

/* The fields each resource takes (docs/open311.md). */
enum { F_API_KEY, F_JURISDICTION };
static const char *const SERVICE_FIELDS[] = {"api_key", "jurisdiction_id", NULL};
static const char *const REQUEST_FIELDS[] = {"api_key", "jurisdiction_id", NULL};
enum { Q_IDS = 2, Q_CODE, Q_START, Q_END, Q_STATUS };
static const char *const QUERY_FIELDS[] = {"api_key",
                                           "jurisdiction_id",
                                           "service_request_id",
                                           "service_code",
                                           "start_date",
                                           "end_date",
                                           "status",
                                           NULL};
enum {
    P_CODE = 2,
    P_LAT,
    P_LONG,
    P_ADDRESS,
    P_ADDRESS_ID,
    P_EMAIL,
    P_DEVICE,
    P_ACCOUNT,
    P_FIRST,
    P_LAST,
    P_PHONE,
    P_DESCRIPTION,
    P_MEDIA,
    P_IDEMPOTENCY,
};
static const char *const POST_FIELDS[] = {
    "api_key",   "jurisdiction_id", "service_code", "lat",
    "long",      "address_string",  "address_id",   "email",
    "device_id", "account_id",      "first_name",   "last_name",
    "phone",     "description",     "media_url",    "idempotency_key",
    NULL};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void req_free(o311_req *q)
{
    fq_o311_form_free(&q->form);
    sodium_memzero(q->key_hash, sizeof q->key_hash);
    free(q);
}

/* ---- answers ---- */

static const char XML_TYPE[] = "text/xml; charset=utf-8";

/* JSON without json-c's escaped slashes ("application\/…", URLs): the
 * specification's examples and its clients' eyes expect them plain. */
static void respond_json(fq_web_req *r, int status, json_object *doc)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    fq_web_respond(r, status, "application/json; charset=utf-8", text, len);
    json_object_put(doc);
}

/* An XML document being written: the writer's buffer. */
typedef struct xdoc {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
} xdoc;

static int xdoc_begin(xdoc *d, const char *root)
{
    d->buf = xmlBufferCreate();
    d->w = d->buf ? xmlNewTextWriterMemory(d->buf, 0) : NULL;
    if (d->w == NULL || xmlTextWriterStartDocument(d->w, NULL, "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElement(d->w, BAD_CAST root) < 0)
        return -1;
    return 0;
}

static void xel(xdoc *d, const char *name, const char *text)
{
    xmlTextWriterWriteElement(d->w, BAD_CAST name, BAD_CAST(text ? text : ""));
}

/* Answers with the document and frees it; 503 when it could not be made. */
static void xdoc_send(xdoc *d, fq_web_req *r, int status)
{
    int ok = d->w != NULL && xmlTextWriterEndDocument(d->w) >= 0;
    if (d->w)
        xmlFreeTextWriter(d->w); /* flushes into buf */
    if (ok && d->buf)
        fq_web_respond(r, status, XML_TYPE, (const char *)xmlBufferContent(d->buf),
                       (size_t)xmlBufferLength(d->buf));
    else
        fq_web_respond(r, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
    if (d->buf)
        xmlBufferFree(d->buf);
}

/* An error in the specification's shape: [{"code":…,"description":…}] or
 * <errors><error><code/><description/></error></errors>; the code is the
 * HTTP status. */
static void send_error(fq_web_req *r, fq_o311_format format, int status, const char *description,
                       unsigned retry_after_s)
{
    if (retry_after_s > 0) {
        char v[16];
        snprintf(v, sizeof v, "%u", retry_after_s);
        fq_web_add_header(r, "Retry-After", v);
    }
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    if (format == FQ_O311_JSON) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_int(status));
        json_object_object_add(e, "description", json_object_new_string(description));
        json_object *a = json_object_new_array();
        json_object_array_add(a, e);
        respond_json(r, status, a);
        return;
    }
    xdoc d;
    if (xdoc_begin(&d, "errors") == 0) {
        xmlTextWriterStartElement(d.w, BAD_CAST "error");
        xel(&d, "code", code);
        xel(&d, "description", description);
        xmlTextWriterEndElement(d.w);
    }
    xdoc_send(&d, r, status);
}

static void fail(o311_req *q, int status, const char *description, unsigned retry_after_s)
{
    send_error(q->r, q->path.format, status, description, retry_after_s);
    req_free(q);
}

static void services_answer(o311_req *q, const PGresult *res)
{
    int n = PQntuples(res);
    if (q->path.resource == FQ_O311_SERVICE) {
        if (n != 1) {
            char why[160];
            snprintf(why, sizeof why, "service_code %s not found", q->path.id);
            fail(q, 404, why, 0);
            return;
        }
        /* fengqiao's services take no attributes: the definition is the
         * code and an empty list. */
        if (q->path.format == FQ_O311_JSON) {
            json_object *doc = json_object_new_object();
            json_object_object_add(doc, "service_code",
                                   json_object_new_string(PQgetvalue(res, 0, 0)));
            json_object_object_add(doc, "attributes", json_object_new_array());
            respond_json(q->r, 200, doc);
        } else {
            xdoc d;
            if (xdoc_begin(&d, "service_definition") == 0) {
                xel(&d, "service_code", PQgetvalue(res, 0, 0));
                xmlTextWriterStartElement(d.w, BAD_CAST "attributes");
                xmlTextWriterEndElement(d.w);
            }
            xdoc_send(&d, q->r, 200);
        }
        req_free(q);
        return;
    }
    if (q->path.format == FQ_O311_JSON) {
        json_object *a = json_object_new_array();
        for (int i = 0; i < n; i++) {
            json_object *s = json_object_new_object();
            json_object_object_add(s, "service_code",
                                   json_object_new_string(PQgetvalue(res, i, 0)));
            json_object_object_add(s, "service_name",
                                   json_object_new_string(PQgetvalue(res, i, 1)));
            json_object_object_add(s, "description", json_object_new_string(""));
            json_object_object_add(s, "metadata", json_object_new_boolean(0));
            json_object_object_add(s, "type", json_object_new_string("realtime"));
            json_object_object_add(s, "keywords", json_object_new_string(PQgetvalue(res, i, 3)));
            json_object_object_add(s, "group", json_object_new_string(PQgetvalue(res, i, 2)));
            json_object_array_add(a, s);
        }
        respond_json(q->r, 200, a);
    } else {
        xdoc d;
        if (xdoc_begin(&d, "services") == 0)
            for (int i = 0; i < n; i++) {
                xmlTextWriterStartElement(d.w, BAD_CAST "service");
                xel(&d, "service_code", PQgetvalue(res, i, 0));
                xel(&d, "service_name", PQgetvalue(res, i, 1));
                xel(&d, "description", "");
                xel(&d, "metadata", "false");
                xel(&d, "type", "realtime");
                xel(&d, "keywords", PQgetvalue(res, i, 3));
                xel(&d, "group", PQgetvalue(res, i, 2));
                xmlTextWriterEndElement(d.w);
            }
        xdoc_send(&d, q->r, 200);
    }
    req_free(q);
}

/* The columns of FQ_SQL_O311_REQUESTS, in order, as the specification
 * names them (lat and long are numbers in JSON). */
static const char *const REQUEST_COLUMNS[] = {"service_request_id",
                                              "status",
                                              "status_notes",
                                              "service_name",
                                              "service_code",
                                              "description",
                                              "agency_responsible",
                                              "requested_datetime",
                                              "updated_datetime",
                                              "expected_datetime",
                                              "address",
                                              "address_id",
                                              "lat",
                                              "long"};

static void requests_answer(o311_req *q, const PGresult *res)
{
    int n = PQntuples(res);
    if (q->path.resource == FQ_O311_REQUEST && n == 0) {
        /* One answer for "none" and "not yours": ids cannot be probed. */
        char why[256];
        snprintf(why, sizeof why, "service_request_id %s not found in the jurisdiction of %s",
                 q->path.id, q->jurisdiction);
        fail(q, 404, why, 0);
        return;
    }
    size_t ncols = sizeof REQUEST_COLUMNS / sizeof *REQUEST_COLUMNS;
    if (q->path.format == FQ_O311_JSON) {
        json_object *a = json_object_new_array();
        for (int i = 0; i < n; i++) {
            json_object *o = json_object_new_object();
            for (size_t c = 0; c < ncols; c++) {
                const char *v = PQgetvalue(res, i, (int)c);
                json_object *val;
                if (c == 0)
                    val = json_object_new_int64(strtoll(v, NULL, 10));
                else if (c >= 12)
                    /* PostgreSQL's shortest text of the double, as stored. */
                    val = PQgetisnull(res, i, (int)c)
                              ? NULL
                              : json_object_new_double_s(strtod(v, NULL), v);
                else if (c == 9 && v[0] == '\0')
                    val = NULL;
                else
                    val = json_object_new_string(v);
                json_object_object_add(o, REQUEST_COLUMNS[c], val);
                if (c == 6)
                    json_object_object_add(o, "service_notice", json_object_new_string(""));
            }
            json_object_object_add(o, "zipcode", NULL);
            json_object_object_add(o, "media_url", NULL);
            json_object_array_add(a, o);
        }
        respond_json(q->r, 200, a);
    } else {
        xdoc d;
        if (xdoc_begin(&d, "service_requests") == 0)
            for (int i = 0; i < n; i++) {
                xmlTextWriterStartElement(d.w, BAD_CAST "request");
                for (size_t c = 0; c < ncols; c++) {
                    xel(&d, REQUEST_COLUMNS[c], PQgetvalue(res, i, (int)c));
                    if (c == 6)
                        xel(&d, "service_notice", "");
                }
                xel(&d, "zipcode", "");
                xel(&d, "media_url", "");
                xmlTextWriterEndElement(d.w);
            }
        xdoc_send(&d, q->r, 200);
    }
    req_free(q);
}

/* ---- reads ---- */

static void on_read(fq_store_op *op, int status, const char *message);

/* The binders, one per statement (sql/o311_*.sql); text results, whose
 * cells are written as they are (the coordinates as PostgreSQL prints
 * them). */

static void bind_read(fq_store_op *op, const char *statement, int nparams)
{
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = FQ_STORE_OP_READ;
    op->statement = statement;
    op->nparams = nparams;
    op->result_format = 0;
}

/* The node of the API key whose BLAKE2b-256 is `hash` (kept in q). */
static void key_bind(o311_req *q, const uint8_t hash[FQ_APIKEY_HASH_BYTES])
{
    memcpy(q->key_hash, hash, sizeof q->key_hash);
    bind_read(&q->op, FQ_SQL_O311_KEY_NAME, FQ_SQL_O311_KEY_NPARAMS);
    q->op.values[0] = (const char *)q->key_hash;
    q->op.lengths[0] = sizeof q->key_hash;
    q->op.formats[0] = 1;
}

/* Every service, or the one of service code `code` (NULL: all; it must
 * outlive the op). */
static void services_bind(fq_store_op *op, const char *code)
{
    bind_read(op, FQ_SQL_O311_SERVICES_NAME, FQ_SQL_O311_SERVICES_NPARAMS);
    op->values[0] = code;
}

/* Service requests inside `within`: the ids `ids` (a checked list; then
 * nothing else filters), else those of the service codes `codes` recorded
 * in [start_ms, end_ms) with the statuses `statuses` (checked lists, NULL:
 * any); at most `limit`. The strings must outlive the op. */
static void requests_bind(o311_req *q, const char *within, const char *ids, const char *codes,
                          int64_t start_ms, int64_t end_ms, const char *statuses, int limit)
{
    bind_read(&q->op, FQ_SQL_O311_REQUESTS_NAME, FQ_SQL_O311_REQUESTS_NPARAMS);
    snprintf(q->start, sizeof q->start, "%" PRId64, start_ms);
    snprintf(q->end, sizeof q->end, "%" PRId64, end_ms);
    snprintf(q->limit, sizeof q->limit, "%d", limit);
    q->op.values[0] = within;
    q->op.values[1] = ids;
    q->op.values[2] = ids == NULL ? codes : NULL;
    q->op.values[3] = q->start;
    q->op.values[4] = q->end;
    q->op.values[5] = ids == NULL ? statuses : NULL;
    q->op.values[6] = q->limit;
}

static void submit_read(o311_req *q, stage st)
{
    q->stage = st;
    q->op.done = on_read;
    fq_store_submit(q->o->store, &q->op);
}

static void after_key(o311_req *q, const PGresult *res);

static void on_read(fq_store_op *op, int status, const char *message)
{
    o311_req *q = (o311_req *)((char *)op - offsetof(o311_req, op));
    if (status != FQ_OK) {
        if (status == FQ_EREJECTED)
            fq_log(FQ_LOG_WARN, "open311", "a read was refused: %s", op->error);
        (void)message;
        fail(q, 503, "the database cannot be read now; try again", 2);
        return;
    }
    switch (q->stage) {
    case S_SERVICES:
        services_answer(q, op->result);
        return;
    case S_KEY:
        after_key(q, op->result);
        return;
    case S_REQUESTS:
        requests_answer(q, op->result);
        return;
    }
}

/* ---- filing a request ---- */

/* Up to `max_chars` code points of the first line of `s`, tabs as spaces. */
static void first_line(const char *s, size_t max_chars, char *out, size_t out_len)
{
    size_t o = 0, chars = 0;
    for (const char *p = s; *p && *p != '\n' && *p != '\r' && chars < max_chars; chars++) {
        size_t n = 1;
        while ((p[n] & 0xC0) == 0x80)
            n++;
        if (o + n + 1 > out_len)
            break;
        if (*p == '\t')
            out[o] = ' ';
        else
            memcpy(out + o, p, n);
        o += *p == '\t' ? 1 : n;
        p += n;
    }
    out[o] = '\0';
}

static int ascii_only(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

typedef struct filing {
    fq_web_req *r;
    fq_o311_format format;
} filing;

static void on_filed(void *user, const Fengqiao__V1__Reply *reply)
{
    filing *f = user;
    fq_web_req *r = f->r;
    fq_o311_format format = f->format;
    free(f);
    if (reply == NULL) {
        send_error(r, format, 503, "the server could not answer now; retry", 1);
        return;
    }
    const char *msg =
        reply->message && reply->message[0] ? reply->message : fq_status_name(reply->status);
    if (reply->status != ST(OK)) {
        const char *code;
        int status = fq_err_http(fq_err_of_status(reply->status), &code);
        /* GeoReport v2 answers 403 for a key it does not accept. */
        if (status == 401)
            status = 403;
        unsigned retry = (reply->retry_after_ms + 999) / 1000;
        send_error(r, format, status, msg, status == 503 ? (retry ? retry : 1) : 0);
        return;
    }
    if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_INCIDENT) {
        send_error(r, format, 503, "the server answered another kind (a bug)", 1);
        return;
    }
    const Fengqiao__V1__IncidentAccepted *acc = reply->incident;
    /* What the routing decided, in a sentence for the hotline's operator. */
    char notice[512];
    const Fengqiao__V1__RoutingOutcome *ro = acc->routing;
    const char *again = acc->duplicate ? "（重复提交，沿用原编号）" : "";
    if (ro != NULL && ro->merged_into != 0)
        snprintf(notice, sizeof notice, "已受理%s，与第%" PRIu64 "号事件为同一事项，并入办理",
                 again, ro->merged_into);
    else if (ro != NULL && ro->lead_unit_name != NULL && ro->lead_unit_name[0] != '\0')
        snprintf(notice, sizeof notice, "已受理%s，由%s办理", again, ro->lead_unit_name);
    else
        snprintf(notice, sizeof notice, "已受理%s", again);
    if (format == FQ_O311_JSON) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "service_request_id",
                               json_object_new_int64((int64_t)acc->incident_id));
        json_object_object_add(o, "service_notice", json_object_new_string(notice));
        json_object_object_add(o, "account_id", NULL);
        json_object *a = json_object_new_array();
        json_object_array_add(a, o);
        respond_json(r, 200, a);
        return;
    }
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, acc->incident_id);
    xdoc d;
    if (xdoc_begin(&d, "service_requests") == 0) {
        xmlTextWriterStartElement(d.w, BAD_CAST "request");
        xel(&d, "service_request_id", id);
        xel(&d, "service_notice", notice);
        xel(&d, "account_id", "");
        xmlTextWriterEndElement(d.w);
    }
    xdoc_send(&d, r, 200);
}

/* The message id of a POST: from the Idempotency-Key (header or field), so
 * that a resent POST is the same message of the node; else a new one. */
static uint64_t message_id(const char *node, const char *idempotency_key)
{
    uint64_t id = 0;
    if (idempotency_key == NULL) {
        do {
            randombytes_buf(&id, sizeof id);
            id &= INT64_MAX;
        } while (id == 0);
        return id;
    }
    crypto_generichash_state st;
    uint8_t h[8];
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)node, strlen(node) + 1);
    crypto_generichash_update(&st, (const uint8_t *)"open311", 8);
    crypto_generichash_update(&st, (const uint8_t *)idempotency_key, strlen(idempotency_key));
    crypto_generichash_final(&st, h, sizeof h);
    for (int i = 0; i < 8; i++)
        id = id << 8 | h[i];
    id &= INT64_MAX;
    return id ? id : 1;
}

static void file_request(o311_req *q, const fq_node *node, const PGresult *services)
{
    const char *const *v = q->form.values;
    if (PQntuples(services) != 1) {
        char why[160];
        snprintf(why, sizeof why, "service_code %s not found", v[P_CODE]);
        fail(q, 400, why, 0);
        return;
    }
    Fengqiao__V1__ReportIncident report = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    Fengqiao__V1__GeoPoint point = FENGQIAO__V1__GEO_POINT__INIT;
    report.category = PQgetvalue(services, 0, 4);
    report.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    report.risk = FENGQIAO__V1__RISK__RISK_LOW;
    report.channel = node->role == FQ_ROLE_DISTRICT_PLATFORM
                         ? FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE
                         : FENGQIAO__V1__CHANNEL__CHANNEL_ONLINE;
    if (v[P_LAT] != NULL || v[P_LONG] != NULL) {
        if (v[P_LAT] == NULL || v[P_LONG] == NULL ||
            fq_o311_degrees_parse(v[P_LAT], &point.lat) != 0 ||
            fq_o311_degrees_parse(v[P_LONG], &point.lon) != 0) {
            fail(q, 400, "lat and long are decimal degrees, both given", 0);
            return;
        }
        report.location = &point;
    }
    report.place_unit = (char *)(v[P_ADDRESS_ID] ? v[P_ADDRESS_ID] : "");
    /* A point in none of the district's grids is another jurisdiction's:
     * refused, where a platform's nanomsg report would be kept at its
     * jurisdiction (docs/routing.md "unplaced"). A city-wide system must
     * learn at once that it sent the request to the wrong place. */
    fq_snapshot *snap = fq_dispatch_current(q->o->dispatch);
    const fq_geo_index *geo = snap && snap->routing ? snap->routing->geo : NULL;
    if (report.location != NULL && report.place_unit[0] == '\0' && geo != NULL &&
        fq_geo_locate(geo, point.lon, point.lat) < 0) {
        fail(q, 400,
             "the location (lat, long) is outside the district's grids: not this jurisdiction", 0);
        return;
    }
    if (report.location == NULL && report.place_unit[0] == '\0') {
        fail(q, 400, "a location is required: lat and long, or address_id (a unit of the topology)",
             0);
        return;
    }
    if (report.place_unit[0] != '\0' && !fq_valid_id(report.place_unit)) {
        fail(q, 400, "address_id is not a unit id of the topology", 0);
        return;
    }
    report.address = (char *)(v[P_ADDRESS] ? v[P_ADDRESS] : "");
    const char *service_name = PQgetvalue(services, 0, 1);
    const char *description = v[P_DESCRIPTION] ? v[P_DESCRIPTION] : "";
    char title[4 * 60 + 200];
    char line[4 * 40 + 1];
    first_line(description, 40, line, sizeof line);
    snprintf(title, sizeof title, "%s%s%s", service_name, line[0] ? "：" : "", line);
    report.title = title;
    char *desc = NULL;
    if (v[P_MEDIA] != NULL) {
        size_t n = strlen(description) + strlen(v[P_MEDIA]) + 32;
        desc = malloc(n);
        if (desc == NULL) {
            fail(q, 503, "out of memory", 1);
            return;
        }
        snprintf(desc, n, "%s%smedia_url: %s", description, description[0] ? "\n" : "", v[P_MEDIA]);
        description = desc;
    }
    report.description = (char *)description;
    /* Names as a Chinese reader writes them (family name first) when either
     * part is not ASCII; the e-mail after them, in angle brackets. */
    const char *first = v[P_FIRST] ? v[P_FIRST] : "", *last = v[P_LAST] ? v[P_LAST] : "";
    char name[512];
    int western = ascii_only(first) && ascii_only(last);
    snprintf(name, sizeof name, "%s%s%s", western ? first : last,
             first[0] && last[0] && western ? " " : "", western ? last : first);
    if (v[P_EMAIL] != NULL && v[P_EMAIL][0]) {
        size_t used = strlen(name);
        snprintf(name + used, sizeof name - used, "%s<%s>", used ? " " : "", v[P_EMAIL]);
    }
    report.reporter_name = name;
    report.reporter_phone = (char *)(v[P_PHONE] ? v[P_PHONE] : "");
    report.external_ref = "";

    const char *idem = fq_web_req_header(q->r, "idempotency-key");
    if (idem == NULL)
        idem = v[P_IDEMPOTENCY];
    if (idem != NULL && !fq_o311_idempotency_key_ok(idem)) {
        free(desc);
        fail(q, 400, "Idempotency-Key is 1-128 printable ASCII characters", 0);
        return;
    }
    filing *f = malloc(sizeof *f);
    if (f == NULL) {
        free(desc);
        fail(q, 503, "out of memory", 1);
        return;
    }
    f->r = q->r;
    f->format = q->path.format;
    uint64_t mid = message_id(node->id, idem);
    q->r = NULL; /* answered by on_filed now */
    if (fq_intake_submit(q->o->intake, node->id, mid, &report, on_filed, f) != 0) {
        fq_web_req *r = f->r;
        free(f);
        send_error(r, q->path.format, 503, "the report could not be taken now; retry", 1);
    }
    free(desc);
    req_free(q);
}

/* The POST's service, then the filing. */
typedef struct post_lookup {
    fq_store_op op;
    o311_req *q;
} post_lookup;

static void on_post_service(fq_store_op *op, int status, const char *message)
{
    (void)message;
    post_lookup *pl = (post_lookup *)op;
    o311_req *q = pl->q;
    if (status != FQ_OK) {
        free(pl);
        fail(q, 503, "the database cannot be read now; try again", 2);
        return;
    }
    fq_snapshot *snap = fq_dispatch_current(q->o->dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, q->node) : NULL;
    if (node == NULL || node->revoked)
        fail(q, 403, "the api_key's node is revoked", 0);
    else
        file_request(q, node, op->result);
    free(pl);
}

/* ---- the key ---- */

static void after_key(o311_req *q, const PGresult *res)
{
    fq_open311 *o = q->o;
    if (PQntuples(res) != 1) {
        fail(q, 403, "api_key is invalid or revoked", 0);
        return;
    }
    fq_loginlimit_forgive(&o->limit, q->limit_key, q->remote, q->counted_ms);
    snprintf(q->node, sizeof q->node, "%s", PQgetvalue(res, 0, 0));
    fq_snapshot *snap = fq_dispatch_current(o->dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, q->node) : NULL;
    if (node == NULL || node->revoked) {
        fail(q, 403, "the api_key's node is revoked or not loaded", 0);
        return;
    }
    if (node->role != FQ_ROLE_TOWN_PLATFORM && node->role != FQ_ROLE_DISTRICT_PLATFORM) {
        fail(q, 403, "the api_key's node is not a platform node", 0);
        return;
    }
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s",
             fq_org_id(fq_directory_org(snap->directory), node->jurisdiction));
    const char *const *v = q->form.values;
    if (q->path.resource == FQ_O311_REQUESTS && strcmp(fq_web_req_method(q->r), "POST") == 0) {
        if (v[P_CODE] == NULL || v[P_CODE][0] == '\0') {
            fail(q, 400, "service_code is required", 0);
            return;
        }
        if (!fq_o311_code_ok(v[P_CODE])) {
            char why[160];
            snprintf(why, sizeof why, "service_code %.64s not found", v[P_CODE]);
            fail(q, 400, why, 0);
            return;
        }
        post_lookup *pl = calloc(1, sizeof *pl);
        if (pl == NULL) {
            fail(q, 503, "out of memory", 1);
            return;
        }
        pl->q = q;
        services_bind(&pl->op, v[P_CODE]);
        pl->op.done = on_post_service;
        fq_store_submit(o->store, &pl->op);
        return;
    }
    memset(&q->op, 0, sizeof q->op);
    if (q->path.resource == FQ_O311_REQUEST)
        requests_bind(q, q->jurisdiction, q->path.id, NULL, 0, 0, NULL, MAX_RESULTS);
    else /* checked lists, in the form's buffer */
        requests_bind(q, q->jurisdiction, v[Q_IDS], v[Q_CODE], q->start_ms, q->end_ms, v[Q_STATUS],
                      MAX_RESULTS);
    submit_read(q, S_REQUESTS);
}

/* The query of GET requests: its filters into q. 0, or answered. */
static int query_filters(o311_req *q)
{
    const char *const *v = q->form.values;
    if (v[Q_IDS] != NULL && !fq_o311_list_ok(v[Q_IDS], FQ_O311_LIST_IDS, MAX_IDS)) {
        fail(q, 400, "service_request_id is a comma-separated list of request ids", 0);
        return -1;
    }
    if (v[Q_CODE] != NULL && !fq_o311_list_ok(v[Q_CODE], FQ_O311_LIST_CODES, 100)) {
        fail(q, 400, "service_code is a comma-separated list of service codes", 0);
        return -1;
    }
    if (v[Q_STATUS] != NULL && !fq_o311_list_ok(v[Q_STATUS], FQ_O311_LIST_STATUSES, 2)) {
        fail(q, 400, "status is open, closed or open,closed", 0);
        return -1;
    }
    int64_t start = 0, end = wall_ms() + 1;
    if (v[Q_END] != NULL && fq_o311_datetime_parse(v[Q_END], &end) != 0) {
        fail(q, 400, "end_date is a W3C date-time (2026-12-06T08:00:00+08:00)", 0);
        return -1;
    }
    if (v[Q_START] != NULL && fq_o311_datetime_parse(v[Q_START], &start) != 0) {
        fail(q, 400, "start_date is a W3C date-time (2026-12-06T08:00:00+08:00)", 0);
        return -1;
    }
    if (v[Q_START] == NULL)
        start = end - (int64_t)DEFAULT_DAYS * 86400000;
    if (start > end) {
        fail(q, 400, "start_date is after end_date", 0);
        return -1;
    }
    q->start_ms = start;
    q->end_ms = end;
    return 0;
}

/* ---- the handler ---- */

void fq_open311_handle(fq_open311 *o, fq_web_req *r)
{
    char err[200];
    o311_req *q = calloc(1, sizeof *q);
    if (q == NULL) {
        send_error(r, FQ_O311_XML, 503, "out of memory", 1);
        return;
    }
    q->o = o;
    q->r = r;
    int rc = fq_o311_path_parse(fq_web_req_path(r), &q->path, err, sizeof err);
    if (rc != FQ_OK) {
        const char *code;
        fail(q, fq_err_http(rc, &code), err, 0);
        return;
    }
    const char *method = fq_web_req_method(r);
    int post = strcmp(method, "POST") == 0;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!(get || (post && q->path.resource == FQ_O311_REQUESTS))) {
        fail(q, 405,
             q->path.resource == FQ_O311_REQUESTS ? "requests takes GET or POST"
                                                  : "this resource takes GET",
             0);
        return;
    }
    const char *const *fields =
        q->path.resource == FQ_O311_SERVICES || q->path.resource == FQ_O311_SERVICE ? SERVICE_FIELDS
        : q->path.resource == FQ_O311_REQUEST                                       ? REQUEST_FIELDS
        : post                                                                      ? POST_FIELDS
                                                                                    : QUERY_FIELDS;
    const char *text;
    size_t len;
    if (post) {
        const char *type = fq_web_req_header(r, "content-type");
        if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0) {
            fail(q, 400, "the body is application/x-www-form-urlencoded", 0);
            return;
        }
        text = (const char *)fq_web_req_body(r, &len);
        if (fq_web_req_query_string(r)[0] != '\0') {
            fail(q, 400, "a POST's fields are in its body, not in the query", 0);
            return;
        }
    } else {
        text = fq_web_req_query_string(r);
        len = strlen(text);
    }
    if (fq_o311_form_parse(text ? text : "", text ? len : 0, fields, MAX_VALUE_BYTES, &q->form, err,
                           sizeof err) != 0) {
        fail(q, 400, err, 0);
        return;
    }
    const char *jurisdiction = q->form.values[F_JURISDICTION];
    if (jurisdiction != NULL) {
        fq_snapshot *snap = fq_dispatch_current(o->dispatch);
        const fq_org *org = snap ? fq_directory_org(snap->directory) : NULL;
        int32_t unit = org ? fq_org_find(org, jurisdiction) : -1;
        if (org == NULL) {
            fail(q, 503, "the server has not loaded its directory yet", 2);
            return;
        }
        if (unit < 0 || fq_org_kind(org, unit) != FQ_UNIT_DISTRICT) {
            snprintf(err, sizeof err, "jurisdiction_id %.64s not found", jurisdiction);
            fail(q, 404, err, 0);
            return;
        }
    }
    if (q->path.resource == FQ_O311_SERVICES || q->path.resource == FQ_O311_SERVICE) {
        services_bind(&q->op, q->path.resource == FQ_O311_SERVICE ? q->path.id : NULL);
        submit_read(q, S_SERVICES);
        return;
    }
    if (q->path.resource == FQ_O311_REQUESTS && !post && query_filters(q) != 0)
        return;
    const char *key = q->form.values[F_API_KEY];
    if (key == NULL || key[0] == '\0') {
        fail(q, 403, "api_key was not provided", 0);
        return;
    }
    /* Wrong keys are limited as the web console's sign-ins are: per key
     * (its first characters) and per address. */
    snprintf(q->remote, sizeof q->remote, "%s", fq_web_req_remote(r));
    snprintf(q->limit_key, sizeof q->limit_key, "%.*s", FQ_APIKEY_SHOWN, key);
    int64_t now = wall_ms();
    unsigned wait = fq_loginlimit_check(&o->limit, q->limit_key, q->remote, now);
    if (wait > 0) {
        fail(q, 429, "too many wrong api_keys; try again later", wait);
        return;
    }
    q->counted_ms = now;
    fq_loginlimit_failed(&o->limit, q->limit_key, q->remote, now);
    if (!fq_apikey_well_formed(key, strlen(key))) {
        fail(q, 403, "api_key is invalid or revoked", 0);
        return;
    }
    uint8_t hash[FQ_APIKEY_HASH_BYTES];
    fq_apikey_hash(key, strlen(key), hash);
    key_bind(q, hash);
    submit_read(q, S_KEY);
}

void fq_open311_refuse(fq_web_req *r, int status, const char *description, unsigned retry_after_s)
{
    const char *path = fq_web_req_path(r);
    size_t n = strlen(path);
    fq_o311_format format =
        n >= 5 && strcmp(path + n - 5, ".json") == 0 ? FQ_O311_JSON : FQ_O311_XML;
    send_error(r, format, status, description, retry_after_s);
}

fq_open311 *fq_open311_new(uv_loop_t *loop, fq_store *store, fq_intake *intake,
                           fq_dispatch *dispatch)
{
    fq_open311 *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->loop = loop;
    o->store = store;
    o->intake = intake;
    o->dispatch = dispatch;
    fq_loginlimit_init(&o->limit);
    xmlInitParser();
    return o;
}

void fq_open311_free(fq_open311 *o)
{
    free(o);
}
