/* mediationreq: a command's body with its mediation part (mediationreq.h). */
#include "mediationreq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct cursor {
    char *at;
    size_t left;
} cursor;

static int take_text(json_object *v, const char *field, size_t max, cursor *c, char **out,
                     char *err, size_t err_len)
{
    return fq_pbjson_take_string(v, field, max, &c->at, &c->left, out, err, err_len) != 0
               ? FQ_EINVALID
               : FQ_OK;
}

static int take_names(json_object *v, const char *field, char **ptrs, size_t *n, cursor *c,
                      char *err, size_t err_len)
{
    if (!json_object_is_type(v, json_type_array))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s must be an array of strings", field);
    size_t k = json_object_array_length(v);
    if (k > FQ_MEDIATIONREQ_MAX_NAMES)
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "%s has more than %d names", field,
                              FQ_MEDIATIONREQ_MAX_NAMES);
    for (size_t i = 0; i < k; i++) {
        char name[48];
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        int rc = take_text(json_object_array_get_idx(v, i), name, 400, c, &ptrs[i], err, err_len);
        if (rc != FQ_OK)
            return rc;
    }
    *n = k;
    return FQ_OK;
}

static int take_party(json_object *o, size_t i, Fengqiao__V1__MediationParty *p, cursor *c,
                      char *err, size_t err_len)
{
    char field[48];
    snprintf(field, sizeof field, "mediation.parties[%zu]", i);
    if (!json_object_is_type(o, json_type_object))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                              "%s must be an object {side, name, role, phone}", field);
    json_object_object_foreach(o, key, v)
    {
        char name[96];
        snprintf(name, sizeof name, "%s.%.40s", field, key);
        int rc = FQ_OK;
        if (strcmp(key, "side") == 0) {
            int x = json_object_is_type(v, json_type_string)
                        ? fq_pbjson_enum_value(&fengqiao__v1__party_side__descriptor,
                                               json_object_get_string(v))
                        : -1;
            if (x < 0)
                return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                                      "%s must be applicant or respondent", name);
            p->side = (Fengqiao__V1__PartySide)x;
        } else if (strcmp(key, "name") == 0) {
            rc = take_text(v, name, 400, c, &p->name, err, err_len);
        } else if (strcmp(key, "role") == 0) {
            rc = take_text(v, name, 400, c, &p->role, err, err_len);
        } else if (strcmp(key, "phone") == 0) {
            rc = take_text(v, name, 64, c, &p->phone, err, err_len);
        } else {
            return fq_pbjson_fail(FQ_EINVALID, err, err_len, "unknown field '%.64s'", name);
        }
        if (rc != FQ_OK)
            return rc;
    }
    return FQ_OK;
}

static int take_mediation(json_object *o, fq_mediation_cmd *out, cursor *c, char *err,
                          size_t err_len)
{
    Fengqiao__V1__Mediation *m = &out->mediation;
    if (!json_object_is_type(o, json_type_object))
        return fq_pbjson_fail(FQ_EINVALID, err, err_len, "mediation must be an object");
    json_object *photos = NULL;
    json_object_object_foreach(o, key, v)
    {
        int rc = FQ_OK;
        int64_t x;
        if (strcmp(key, "parties") == 0) {
            if (!json_object_is_type(v, json_type_array))
                return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                                      "mediation.parties must be an array");
            size_t n = json_object_array_length(v);
            if (n > FQ_MEDIATIONREQ_MAX_PARTIES)
                return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                                      "mediation.parties has more than %d parties",
                                      FQ_MEDIATIONREQ_MAX_PARTIES);
            for (size_t i = 0; i < n && rc == FQ_OK; i++) {
                fengqiao__v1__mediation_party__init(&out->party[i]);
                out->party_ptrs[i] = &out->party[i];
                rc =
                    take_party(json_object_array_get_idx(v, i), i, &out->party[i], c, err, err_len);
            }
            m->parties = out->party_ptrs;
            m->n_parties = n;
        } else if (strcmp(key, "committee") == 0) {
            rc = take_text(v, "mediation.committee", 64, c, &m->committee, err, err_len);
        } else if (strcmp(key, "mediators") == 0) {
            rc = take_names(v, "mediation.mediators", out->mediator_ptrs, &m->n_mediators, c, err,
                            err_len);
            m->mediators = out->mediator_ptrs;
        } else if (strcmp(key, "session_at_ms") == 0) {
            if (fq_pbjson_take_integer(v, "mediation.session_at_ms", 0, INT64_MAX / 2, &x, err,
                                       err_len) != 0)
                return FQ_EINVALID;
            m->session_at_ms = x;
        } else if (strcmp(key, "place") == 0) {
            rc = take_text(v, "mediation.place", 4 * 500, c, &m->place, err, err_len);
        } else if (strcmp(key, "attendees") == 0) {
            rc = take_names(v, "mediation.attendees", out->attendee_ptrs, &m->n_attendees, c, err,
                            err_len);
            m->attendees = out->attendee_ptrs;
        } else if (strcmp(key, "agreement") == 0) {
            rc = take_text(v, "mediation.agreement", 4 * 8000, c, &m->agreement, err, err_len);
        } else if (strcmp(key, "transferred_to") == 0) {
            int t = json_object_is_type(v, json_type_string)
                        ? fq_pbjson_enum_value(&fengqiao__v1__transfer_to__descriptor,
                                               json_object_get_string(v))
                        : -1;
            if (t < 0)
                return fq_pbjson_fail(FQ_EINVALID, err, err_len,
                                      "mediation.transferred_to must be court, arbitration, "
                                      "petition_office or other");
            m->transferred_to = (Fengqiao__V1__TransferTo)t;
        } else if (strcmp(key, "photos") == 0) {
            photos = v; /* last: nothing to free on an earlier failure */
        } else {
            return fq_pbjson_fail(FQ_EINVALID, err, err_len, "unknown field 'mediation.%.64s'",
                                  key);
        }
        if (rc != FQ_OK)
            return rc;
    }
    if (photos == NULL)
        return FQ_OK;
    int rc = fq_fieldreq_take_photos(photos, &out->photos, err, err_len);
    if (rc != FQ_OK)
        return rc;
    for (size_t i = 0; i < out->photos.n; i++) {
        fq_fieldreq_photo_ref(&out->photos.photo[i], &out->ref[i]);
        out->ref_ptrs[i] = &out->ref[i];
    }
    m->photos = out->ref_ptrs;
    m->n_photos = out->photos.n;
    return FQ_OK;
}

int fq_mediationreq_decode(const char *body, size_t len, fq_mediation_cmd *out, char *err,
                           size_t err_len)
{
    memset(out, 0, sizeof *out);
    fengqiao__v1__mediation__init(&out->mediation);
    json_object *doc = NULL;
    if (fq_pbjson_parse_body(body, len, &doc, err, err_len) != 0)
        return FQ_EINVALID;
    json_object *med = NULL;
    if (!json_object_object_get_ex(doc, "mediation", &med)) {
        /* A command without one: read as it came. */
        json_object_put(doc);
        return fq_webcmd_decode(body, len, &out->cmd, err, err_len) != 0 ? FQ_EINVALID : FQ_OK;
    }
    /* The command's own fields are fq_webcmd_decode's: given the body
     * without its mediation part. */
    json_object_get(med);
    json_object_object_del(doc, "mediation");
    size_t rest_len = 0;
    const char *rest = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &rest_len);
    int rc = rest == NULL ? fq_pbjson_fail(FQ_ENOMEM, err, err_len, "out of memory")
             : fq_webcmd_decode(rest, rest_len, &out->cmd, err, err_len) != 0 ? FQ_EINVALID
                                                                              : FQ_OK;
    json_object_put(doc);
    if (rc == FQ_OK) {
        cursor c = {out->storage, sizeof out->storage};
        rc = take_mediation(med, out, &c, err, err_len);
        if (rc != FQ_OK)
            fq_fieldreq_photos_free(&out->photos);
    }
    json_object_put(med);
    if (rc != FQ_OK)
        return rc;
    /* protobuf-c packs NULL strings as absent, but the server reads them. */
    Fengqiao__V1__Mediation *m = &out->mediation;
    if (m->committee == NULL)
        m->committee = (char *)"";
    if (m->place == NULL)
        m->place = (char *)"";
    if (m->agreement == NULL)
        m->agreement = (char *)"";
    for (size_t i = 0; i < m->n_parties; i++) {
        Fengqiao__V1__MediationParty *p = m->parties[i];
        if (p->name == NULL)
            p->name = (char *)"";
        if (p->role == NULL)
            p->role = (char *)"";
        if (p->phone == NULL)
            p->phone = (char *)"";
    }
    out->cmd.command.mediation = m;
    return FQ_OK;
}
