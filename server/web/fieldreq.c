/* fieldreq: the field API's bodies decoded (fieldreq.h). */
#include "fieldreq.h"

#include "pbjson.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fq_fieldreq_photo_ref(fq_field_photo *ph, Fengqiao__V1__AttachmentRef *ref)
{
    fengqiao__v1__attachment_ref__init(ref);
    ref->sha256.data = ph->sha256;
    ref->sha256.len = sizeof ph->sha256;
    ref->content_type = ph->content_type;
    ref->size = ph->len;
    ref->name = ph->name;
}

void fq_fieldreq_photos_free(fq_field_photos *photos)
{
    for (size_t i = 0; i < photos->n; i++) {
        free(photos->photo[i].bytes);
        photos->photo[i].bytes = NULL;
    }
    photos->n = 0;
}

/* Standard base64 with its padding (what a browser's FileReader and btoa
 * give): the decoded length is known from the text, so an oversized photo is
 * refused before a byte is decoded. */
static int take_base64(json_object *v, const char *field, fq_field_photo *p, char *err,
                       size_t err_len)
{
    if (!json_object_is_type(v, json_type_string))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s must be a string (base64)", field);
    const char *b64 = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n == 0)
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s is empty", field);
    if (n % 4 != 0)
        return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                              "%s is not base64 (its length is not a multiple of 4)", field);
    size_t pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    size_t want = n / 4 * 3 - pad;
    if (want > FQ_FIELD_MAX_PHOTO_BYTES)
        return fq_pbjson_fail(FQ_ETOOLARGE, err, err_len, "%s is over %d MiB", field,
                              FQ_FIELD_MAX_PHOTO_BYTES / (1024 * 1024));
    p->bytes = malloc(want ? want : 1);
    if (p->bytes == NULL)
        return fq_pbjson_fail(FQ_ENOMEM, err, err_len, "out of memory");
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(p->bytes, want, b64, n, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + n || got != want) {
        free(p->bytes);
        p->bytes = NULL;
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s is not base64", field);
    }
    p->len = got;
    crypto_hash_sha256(p->sha256, p->bytes, p->len);
    return FQ_OK;
}

static int take_photo(json_object *o, size_t i, fq_field_photo *p, char *err, size_t err_len)
{
    char field[48];
    snprintf(field, sizeof field, "photos[%zu]", i);
    if (!json_object_is_type(o, json_type_object))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                              "%s must be an object {name, content_type, data}", field);
    json_object *data = NULL;
    int have_type = 0;
    json_object_object_foreach(o, key, v)
    {
        char name[96];
        snprintf(name, sizeof name, "%s.%.40s", field, key);
        if (strcmp(key, "name") == 0) {
            char storage[FQ_FIELD_PHOTO_NAME_MAX + 1], *at = storage, *out = NULL;
            size_t left = sizeof storage;
            if (fq_pbjson_take_string(v, name, FQ_FIELD_PHOTO_NAME_MAX, &at, &left, &out, err,
                                      err_len) != 0)
                return FQ_EINVALID;
            memcpy(p->name, out, strlen(out) + 1);
        } else if (strcmp(key, "content_type") == 0) {
            if (!json_object_is_type(v, json_type_string))
                return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s must be a string", name);
            const char *t = json_object_get_string(v);
            if (strcmp(t, "image/jpeg") != 0 && strcmp(t, "image/png") != 0)
                return fq_pbjson_fail(FQ_ENOTIMAGE, err, err_len,
                                      "%s must be image/jpeg or image/png", name);
            snprintf(p->content_type, sizeof p->content_type, "%s", t);
            have_type = 1;
        } else if (strcmp(key, "data") == 0) {
            data = v;
        } else {
            return fq_pbjson_fail(FQ_EINVALID, err, err_len, "unknown field '%.64s'", name);
        }
    }
    if (!have_type)
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s.content_type is required", field);
    if (data == NULL)
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s.data is required", field);
    char name[64];
    snprintf(name, sizeof name, "%s.data", field);
    return take_base64(data, name, p, err, err_len);
}

/* The photos, decoded; on failure the ones decoded so far are freed. */
int fq_fieldreq_take_photos(json_object *v, fq_field_photos *out, char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_array))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "photos must be an array");
    size_t n = json_object_array_length(v);
    if (n > FQ_FIELD_MAX_PHOTOS)
        return fq_pbjson_fail(FQ_ETOOLARGE, err, err_len, "photos has more than %d photos",
                              FQ_FIELD_MAX_PHOTOS);
    for (size_t i = 0; i < n; i++) {
        int rc = take_photo(json_object_array_get_idx(v, i), i, &out->photo[i], err, err_len);
        if (rc != FQ_OK) {
            fq_fieldreq_photos_free(out);
            return rc;
        }
        out->n = i + 1;
    }
    return FQ_OK;
}

int fq_fieldreq_decode_action(const char *body, size_t len, fq_field_action *out, char *err,
                              size_t err_len)
{
    memset(out, 0, sizeof *out);
    Fengqiao__V1__AssignmentAction *a = &out->action;
    fengqiao__v1__assignment_action__init(a);
    json_object *doc = NULL;
    if (fq_pbjson_parse_body(body, len, &doc, err, err_len) != 0)
        return FQ_EINVALID;
    int rc = FQ_EINVALID, have_request_id = 0, have_kind = 0, x = 0;
    char *storage = out->storage;
    size_t left = sizeof out->storage;
    json_object *photos = NULL;
    json_object_object_foreach(doc, key, v)
    {
        int64_t n = 0;
        if (strcmp(key, "request_id") == 0) {
            if (fq_pbjson_take_request_id(v, out->request_id, err, err_len) != 0)
                goto done;
            have_request_id = 1;
        } else if (strcmp(key, "kind") == 0) {
            if (fq_pbjson_take_enum(v, "kind", &fengqiao__v1__action_kind__descriptor, 0,
                                    "acknowledge, return, progress, extend, conclude, reply", &x,
                                    err, err_len) != 0)
                goto done;
            a->kind = (Fengqiao__V1__ActionKind)x;
            have_kind = 1;
        } else if (strcmp(key, "note") == 0) {
            /* 2000 characters of at most 4 bytes; the server counts them. */
            if (fq_pbjson_take_string(v, "note", 4 * 2000, &storage, &left, &a->note, err,
                                      err_len) != 0)
                goto done;
        } else if (strcmp(key, "reason") == 0) {
            if (fq_pbjson_take_enum(v, "reason", &fengqiao__v1__return_reason__descriptor, 1,
                                    "wrong_jurisdiction, beyond_capacity (or \"\")", &x, err,
                                    err_len) != 0)
                goto done;
            a->reason = (Fengqiao__V1__ReturnReason)x;
        } else if (strcmp(key, "right_place") == 0) {
            if (fq_pbjson_take_string(v, "right_place", 64, &storage, &left, &a->right_place, err,
                                      err_len) != 0)
                goto done;
        } else if (strcmp(key, "extend_to_ms") == 0) {
            if (fq_pbjson_take_integer(v, "extend_to_ms", 0, INT64_MAX / 2, &n, err, err_len) != 0)
                goto done;
            a->extend_to_ms = n;
        } else if (strcmp(key, "extend_by_ms") == 0) {
            if (fq_pbjson_take_integer(v, "extend_by_ms", 0, INT64_MAX / 2, &n, err, err_len) != 0)
                goto done;
            a->extend_by_ms = n;
        } else if (strcmp(key, "photos") == 0) {
            photos = v; /* decoded last: the bytes are the costly part */
        } else {
            fq_pbjson_fail(0, err, err_len, "unknown field '%.64s'", key);
            goto done;
        }
    }
    if (!have_request_id) {
        fq_pbjson_fail(0, err, err_len, "request_id is required");
        goto done;
    }
    if (!have_kind) {
        fq_pbjson_fail(0, err, err_len, "kind is required");
        goto done;
    }
    if (a->note == NULL)
        a->note = (char *)"";
    if (a->right_place == NULL)
        a->right_place = (char *)"";
    rc = photos ? fq_fieldreq_take_photos(photos, &out->photos, err, err_len) : FQ_OK;
done:
    json_object_put(doc);
    return rc;
}

int fq_fieldreq_report_begin(const char *body, size_t len, Fengqiao__V1__ReportIncident *r,
                             Fengqiao__V1__GeoPoint *location, json_object **doc, char *err,
                             size_t err_len)
{
    fengqiao__v1__report_incident__init(r);
    fengqiao__v1__geo_point__init(location);
    return fq_pbjson_parse_body(body, len, doc, err, err_len);
}

int fq_fieldreq_take_report_field(const char *key, json_object *v, Fengqiao__V1__ReportIncident *r,
                                  Fengqiao__V1__GeoPoint *location, char **storage, size_t *left,
                                  char *err, size_t err_len)
{
    int x = 0;
    if (strcmp(key, "category") == 0) {
        if (fq_pbjson_take_string(v, "category", 64, storage, left, &r->category, err, err_len))
            return -1;
    } else if (strcmp(key, "severity") == 0) {
        if (fq_pbjson_take_enum(v, "severity", &fengqiao__v1__severity__descriptor, 0,
                                "i, ii, iii, iv", &x, err, err_len) != 0)
            return -1;
        r->severity = (Fengqiao__V1__Severity)x;
    } else if (strcmp(key, "risk") == 0) {
        if (fq_pbjson_take_enum(v, "risk", &fengqiao__v1__risk__descriptor, 0, "low, medium, high",
                                &x, err, err_len) != 0)
            return -1;
        r->risk = (Fengqiao__V1__Risk)x;
    } else if (strcmp(key, "title") == 0) {
        if (fq_pbjson_take_string(v, "title", 4 * 200, storage, left, &r->title, err, err_len))
            return -1;
    } else if (strcmp(key, "description") == 0) {
        if (fq_pbjson_take_string(v, "description", 4 * 4000, storage, left, &r->description, err,
                                  err_len))
            return -1;
    } else if (strcmp(key, "address") == 0) {
        if (fq_pbjson_take_string(v, "address", 4 * 500, storage, left, &r->address, err, err_len))
            return -1;
    } else if (strcmp(key, "location") == 0) {
        if (json_object_is_type(v, json_type_null))
            return 1; /* no fix: placed otherwise */
        if (fq_pbjson_take_location(v, location, err, err_len) != 0)
            return -1;
        r->location = location;
    } else {
        return 0;
    }
    return 1;
}

int fq_fieldreq_decode_report(const char *body, size_t len, fq_field_report *out, char *err,
                              size_t err_len)
{
    memset(out, 0, sizeof *out);
    Fengqiao__V1__ReportIncident *r = &out->report;
    json_object *doc = NULL;
    if (fq_fieldreq_report_begin(body, len, r, &out->location, &doc, err, err_len) != 0)
        return FQ_EINVALID;
    int rc = FQ_EINVALID, have_request_id = 0, taken = 0;
    char *storage = out->storage;
    size_t left = sizeof out->storage;
    json_object *photos = NULL;
    json_object_object_foreach(doc, key, v)
    {
        int64_t n = 0;
        if (strcmp(key, "request_id") == 0) {
            if (fq_pbjson_take_request_id(v, out->request_id, err, err_len) != 0)
                goto done;
            have_request_id = 1;
        } else if ((taken = fq_fieldreq_take_report_field(key, v, r, &out->location, &storage,
                                                          &left, err, err_len)) != 0) {
            if (taken < 0)
                goto done;
        } else if (strcmp(key, "occurred_at_ms") == 0) {
            if (fq_pbjson_take_integer(v, "occurred_at_ms", 0, INT64_MAX / 2, &n, err, err_len) !=
                0)
                goto done;
            r->occurred_at_ms = n;
        } else if (strcmp(key, "photos") == 0) {
            photos = v;
        } else {
            fq_pbjson_fail(0, err, err_len, "unknown field '%.64s'", key);
            goto done;
        }
    }
    if (!have_request_id) {
        fq_pbjson_fail(0, err, err_len, "request_id is required");
        goto done;
    }
    char **texts[] = {&r->category, &r->title, &r->description, &r->address};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (*texts[i] == NULL)
            *texts[i] = (char *)"";
    rc = photos ? fq_fieldreq_take_photos(photos, &out->photos, err, err_len) : FQ_OK;
done:
    json_object_put(doc);
    return rc;
}
