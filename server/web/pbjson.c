#include "pbjson.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fq_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                size_t buf_len)
{
    buf[0] = '\0';
    if (value == 0)
        return buf;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (v == NULL) {
        snprintf(buf, buf_len, "%d", value); /* a value newer than this build */
        return buf;
    }
    /* SEVERITY_II -> ii: the prefix is the name up to the first '_'. */
    const char *rest = strchr(v->name, '_');
    rest = rest ? rest + 1 : v->name;
    size_t i = 0;
    for (; rest[i] != '\0' && i + 1 < buf_len; i++)
        buf[i] = (char)tolower((unsigned char)rest[i]);
    buf[i] = '\0';
    return buf;
}

int fq_pbjson_enum_value(const ProtobufCEnumDescriptor *d, const char *name)
{
    char buf[64];
    for (unsigned i = 0; i < d->n_values; i++) {
        int value = d->values[i].value;
        if (value != 0 && strcmp(fq_pbjson_enum_name(d, value, buf, sizeof buf), name) == 0)
            return value;
    }
    return -1;
}

/* A double as the shortest text that reads back the same ("30.2", not
 * json-c's "30.199999999999999"). */
static json_object *new_double(double d)
{
    char text[32];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d)
            break;
    }
    return json_object_new_double_s(d, text);
}

static json_object *scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[64];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_object_new_int64(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_object_new_uint64(*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return new_double(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return new_double(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return json_object_new_string(
            fq_pbjson_enum_name(f->descriptor, *(const int *)p, buf, sizeof buf));
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return json_object_new_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        /* The only bytes a page is shown are hashes (an attachment's
         * sha256): lowercase hex, as sha256sum prints them and as ETags
         * carry them, not base64. */
        const ProtobufCBinaryData *b = (const ProtobufCBinaryData *)p;
        static const char digits[] = "0123456789abcdef";
        char *hex = malloc(2 * b->len + 1);
        if (hex == NULL)
            return NULL;
        for (size_t i = 0; i < b->len; i++) {
            hex[2 * i] = digits[b->data[i] >> 4];
            hex[2 * i + 1] = digits[b->data[i] & 15];
        }
        hex[2 * b->len] = '\0';
        json_object *o = json_object_new_string(hex);
        free(hex);
        return o;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? fq_pbjson_message(m) : NULL;
    }
    }
    return NULL;
}

static size_t scalar_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

json_object *fq_pbjson_message(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    if (d == &fengqiao__v1__geo_point__descriptor) {
        /* Leaflet's names: the page puts it on the map as it is. */
        const Fengqiao__V1__GeoPoint *g = (const Fengqiao__V1__GeoPoint *)msg;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "lat", new_double(g->lat));
        json_object_object_add(o, "lng", new_double(g->lon));
        return o;
    }
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *items = *(char *const *)p;
            json_object *a = json_object_new_array_ext((int)n);
            for (size_t k = 0; k < n; k++) {
                json_object *v = scalar(f, items + k * scalar_size(f));
                if (v)
                    json_object_array_add(a, v);
            }
            json_object_object_add(o, f->name, a);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
            if (which != f->id)
                continue;
        }
        json_object *v = scalar(f, p);
        if (v)
            json_object_object_add(o, f->name, v);
    }
    return o;
}

/* A decimal number as PostgreSQL prints one ("12", "-0.5", "1.5e+20"): no
 * "inf", "nan", hex or leading zeros, which would not come back as they
 * were. */
static int is_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
        return 0;
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    (void)d;
    if (errno != 0 || *end != '\0')
        return 0;
    for (p = s; *p; p++)
        if (!(isdigit((unsigned char)*p) || strchr("-+.eE", *p) != NULL))
            return 0;
    if (strpbrk(s, ".eE") == NULL && strlen(s) > 18)
        return 0; /* beyond int64 */
    return 1;
}

json_object *fq_pbjson_stats_add(json_object *doc, const Fengqiao__V1__ConsoleResult *res)
{
    if (doc == NULL) {
        doc = json_object_new_object();
        json_object *columns = json_object_new_array();
        for (size_t c = 0; c < res->n_stats_columns; c++)
            json_object_array_add(columns, json_object_new_string(res->stats_columns[c]));
        json_object_object_add(doc, "columns", columns);
        json_object_object_add(doc, "rows", json_object_new_array());
    }
    json_object *rows = NULL;
    json_object_object_get_ex(doc, "rows", &rows);
    for (size_t r = 0; r < res->n_stats_rows; r++) {
        const Fengqiao__V1__StatsRow *in = res->stats_rows[r];
        json_object *row = json_object_new_array();
        for (size_t c = 0; c < in->n_cells; c++) {
            const char *cell = in->cells[c];
            json_object_array_add(row, is_number(cell)
                                           ? (strpbrk(cell, ".eE")
                                                  ? new_double(strtod(cell, NULL))
                                                  : json_object_new_int64(strtoll(cell, NULL, 10)))
                                           : json_object_new_string(cell));
        }
        json_object_array_add(rows, row);
    }
    return doc;
}

/* ---- the command decoder ---- */

int fq_pbjson_fail(int code, char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return code;
}

/* Copies a JSON string of at most max bytes into the storage. */
int fq_pbjson_take_string(json_object *v, const char *field, size_t max, char **storage,
                          size_t *left, char **out, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_string))
        return fq_pbjson_fail(-1, err, err_len, "%s must be a string", field);
    size_t n = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    if (n > max)
        return fq_pbjson_fail(-1, err, err_len, "%s is longer than %zu bytes", field, max);
    if (memchr(s, '\0', n) != NULL)
        return fq_pbjson_fail(-1, err, err_len, "%s contains a NUL character", field);
    if (n + 1 > *left)
        return fq_pbjson_fail(-1, err, err_len, "%s does not fit", field);
    memcpy(*storage, s, n);
    (*storage)[n] = '\0';
    *out = *storage;
    *storage += n + 1;
    *left -= n + 1;
    return 0;
}

int fq_pbjson_take_integer(json_object *v, const char *field, int64_t min, int64_t max,
                           int64_t *out, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_int))
        return fq_pbjson_fail(-1, err, err_len, "%s must be an integer", field);
    errno = 0;
    int64_t x = json_object_get_int64(v);
    /* json-c saturates and sets errno out of range; an unsigned above
     * INT64_MAX is out of every range here. */
    if (errno != 0 || x < min || x > max ||
        (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
        return fq_pbjson_fail(-1, err, err_len, "%s is out of range (%lld to %lld)", field,
                              (long long)min, (long long)max);
    *out = x;
    return 0;
}

int fq_pbjson_valid_request_id(const char *s, size_t n)
{
    if (n < 1 || n > FQ_WEBCMD_REQUEST_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int fq_pbjson_take_request_id(json_object *v, char *out, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_string) ||
        !fq_pbjson_valid_request_id(json_object_get_string(v),
                                    (size_t)json_object_get_string_len(v)))
        return fq_pbjson_fail(-1, err, err_len,
                              "request_id must be 1 to 64 characters of [A-Za-z0-9_-]");
    memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
    return 0;
}

int fq_pbjson_take_enum(json_object *v, const char *field, const ProtobufCEnumDescriptor *d,
                        int empty_ok, const char *names, int *out, char *err, size_t err_len)
{
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (s != NULL && empty_ok && s[0] == '\0') {
        *out = 0;
        return 0;
    }
    int x = s != NULL ? fq_pbjson_enum_value(d, s) : -1;
    if (x < 0)
        return fq_pbjson_fail(-1, err, err_len, "%s must be one of %s", field, names);
    *out = x;
    return 0;
}

static int take_number(json_object *v, const char *field, double *out, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return fq_pbjson_fail(-1, err, err_len, "%s must be a number", field);
    *out = json_object_get_double(v);
    return 0;
}

int fq_pbjson_take_location(json_object *v, Fengqiao__V1__GeoPoint *p, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_object))
        return fq_pbjson_fail(-1, err, err_len, "location must be {\"lat\":…,\"lng\":…}");
    int have_lat = 0, have_lng = 0;
    json_object_object_foreach(v, key, x)
    {
        if (strcmp(key, "lat") == 0) {
            if (take_number(x, "location.lat", &p->lat, err, err_len) != 0)
                return -1;
            have_lat = 1;
        } else if (strcmp(key, "lng") == 0) {
            if (take_number(x, "location.lng", &p->lon, err, err_len) != 0)
                return -1;
            have_lng = 1;
        } else {
            return fq_pbjson_fail(-1, err, err_len, "unknown field 'location.%.64s'", key);
        }
    }
    if (!have_lat || !have_lng)
        return fq_pbjson_fail(-1, err, err_len, "location needs both lat and lng");
    return 0;
}

int fq_pbjson_parse_body(const char *body, size_t len, json_object **out, char *err, size_t err_len)
{
    *out = NULL;
    if (len > INT32_MAX)
        return fq_pbjson_fail(-1, err, err_len, "the body is too large");
    json_tokener *tok = json_tokener_new_ex(8);
    if (tok == NULL)
        return fq_pbjson_fail(-1, err, err_len, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *doc = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = (size_t)json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (doc == NULL || jerr != json_tokener_success) {
        json_object_put(doc);
        return fq_pbjson_fail(-1, err, err_len, "the body is not JSON: %s",
                              jerr == json_tokener_continue ? "it ends too early"
                                                            : json_tokener_error_desc(jerr));
    }
    for (; used < len; used++)
        if (!isspace((unsigned char)body[used])) {
            json_object_put(doc);
            return fq_pbjson_fail(-1, err, err_len, "the body has something after its JSON object");
        }
    if (!json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        return fq_pbjson_fail(-1, err, err_len, "the body must be a JSON object");
    }
    *out = doc;
    return 0;
}

int fq_webcmd_decode(const char *body, size_t len, fq_webcmd *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    fengqiao__v1__console_command__init(&out->command);
    json_object *doc = NULL;
    if (fq_pbjson_parse_body(body, len, &doc, err, err_len) != 0)
        return -1;
    int rc = -1;
    Fengqiao__V1__ConsoleCommand *c = &out->command;
    char *storage = out->storage;
    size_t left = sizeof out->storage;
    int have_request_id = 0, have_kind = 0;
    json_object_object_foreach(doc, key, v)
    {
        int64_t x;
        if (strcmp(key, "request_id") == 0) {
            if (fq_pbjson_take_request_id(v, out->request_id, err, err_len) != 0)
                goto done;
            have_request_id = 1;
        } else if (strcmp(key, "kind") == 0) {
            int k = json_object_is_type(v, json_type_string)
                        ? fq_pbjson_enum_value(&fengqiao__v1__command_kind__descriptor,
                                               json_object_get_string(v))
                        : -1;
            if (k < 0) {
                fq_pbjson_fail(
                    -1, err, err_len,
                    "kind must be one of assign, escalate, conclude, approve_extension, "
                    "deny_extension, supervise, merge, reopen, verify, follow_up, suspend, "
                    "resume");
                goto done;
            }
            c->kind = (Fengqiao__V1__CommandKind)k;
            have_kind = 1;
        } else if (strcmp(key, "reason") == 0) {
            /* 2000 characters of at most 4 bytes; the server counts them. */
            if (fq_pbjson_take_string(v, "reason", 4 * 2000, &storage, &left, &c->reason, err,
                                      err_len))
                goto done;
        } else if (strcmp(key, "target_unit") == 0) {
            if (fq_pbjson_take_string(v, "target_unit", 64, &storage, &left, &c->target_unit, err,
                                      err_len))
                goto done;
        } else if (strcmp(key, "target_worker") == 0) {
            if (fq_pbjson_take_string(v, "target_worker", 64, &storage, &left, &c->target_worker,
                                      err, err_len))
                goto done;
        } else if (strcmp(key, "co_units") == 0) {
            if (!json_object_is_type(v, json_type_array)) {
                fq_pbjson_fail(-1, err, err_len, "co_units must be an array of unit ids");
                goto done;
            }
            size_t n = json_object_array_length(v);
            if (n > FQ_WEBCMD_MAX_CO_UNITS) {
                fq_pbjson_fail(-1, err, err_len, "co_units has more than %d units",
                               FQ_WEBCMD_MAX_CO_UNITS);
                goto done;
            }
            for (size_t i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof name, "co_units[%zu]", i);
                if (fq_pbjson_take_string(json_object_array_get_idx(v, i), name, 64, &storage,
                                          &left, &out->co_unit_ptrs[i], err, err_len))
                    goto done;
            }
            c->co_units = out->co_unit_ptrs;
            c->n_co_units = n;
        } else if (strcmp(key, "deadline_ms") == 0) {
            if (fq_pbjson_take_integer(v, "deadline_ms", 0, INT64_MAX / 2, &x, err, err_len))
                goto done;
            c->deadline_ms = x;
        } else if (strcmp(key, "merge_into") == 0) {
            if (fq_pbjson_take_integer(v, "merge_into", 0, INT64_MAX, &x, err, err_len))
                goto done;
            c->merge_into = (uint64_t)x;
        } else if (strcmp(key, "satisfaction") == 0) {
            if (fq_pbjson_take_integer(v, "satisfaction", 0, 5, &x, err, err_len))
                goto done;
            c->satisfaction = (uint32_t)x;
        } else {
            fq_pbjson_fail(-1, err, err_len, "unknown field '%.64s'", key);
            goto done;
        }
    }
    if (!have_request_id) {
        fq_pbjson_fail(-1, err, err_len, "request_id is required");
        goto done;
    }
    if (!have_kind) {
        fq_pbjson_fail(-1, err, err_len, "kind is required");
        goto done;
    }
    if (c->reason == NULL || c->reason[0] == '\0') {
        fq_pbjson_fail(-1, err, err_len, "reason is required");
        goto done;
    }
    if (c->target_unit == NULL)
        c->target_unit = (char *)"";
    if (c->target_worker == NULL)
        c->target_worker = (char *)"";
    rc = 0;
done:
    json_object_put(doc);
    return rc;
}
