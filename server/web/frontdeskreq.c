/* frontdeskreq: the front desk's case body decoded (frontdeskreq.h). */
#include "frontdeskreq.h"

#include "fieldreq.h"
#include "pbjson.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The proto's Matter values, by the API's names (the enum's own names carry
 * no common prefix, so pbjson's naming does not apply). */
static const char *const matters[] = {"", "complaint", "consult", "legal_aid", "help", "dispute"};

static int take_matter(json_object *v, int *out, char *err, size_t err_len)
{
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    for (int i = 1; s != NULL && i < (int)(sizeof matters / sizeof *matters); i++)
        if (strcmp(s, matters[i]) == 0) {
            *out = i;
            return 0;
        }
    return fq_pbjson_fail(-1, err, err_len,
                          "matter must be one of complaint, consult, legal_aid, help, dispute");
}

/* The front desk's channels: a visitor at the window, a caller, a letter. */
static int take_channel(json_object *v, Fengqiao__V1__Channel *out, char *err, size_t err_len)
{
    static const struct {
        const char *name;
        Fengqiao__V1__Channel value;
    } channels[] = {{"walk_in", FENGQIAO__V1__CHANNEL__CHANNEL_WALK_IN},
                    {"hotline", FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE},
                    {"petition", FENGQIAO__V1__CHANNEL__CHANNEL_PETITION}};
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    for (size_t i = 0; s != NULL && i < sizeof channels / sizeof *channels; i++)
        if (strcmp(s, channels[i].name) == 0) {
            *out = channels[i].value;
            return 0;
        }
    return fq_pbjson_fail(-1, err, err_len, "channel must be one of walk_in, hotline, petition");
}

/* A string of the person's into `dst` (cap bytes), at most `max_chars`
 * characters on one line. */
static int take_person_text(json_object *v, const char *field, size_t max_chars, char *dst,
                            size_t cap, char *err, size_t err_len)
{
    char buf[4 * 100 + 1], *at = buf, *out = NULL;
    size_t left = sizeof buf;
    if (fq_pbjson_take_string(v, field, 4 * max_chars, &at, &left, &out, err, err_len) != 0)
        return -1;
    size_t chars = 0;
    for (const char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fq_pbjson_fail(-1, err, err_len,
                                  "%s must be one line without control characters", field);
        if (((unsigned char)*p & 0xC0) != 0x80)
            chars++;
    }
    if (chars > max_chars)
        return fq_pbjson_fail(-1, err, err_len, "%s is longer than %zu characters", field,
                              max_chars);
    snprintf(dst, cap, "%s", out);
    return 0;
}

static int take_person(json_object *o, fq_frontdesk_person *p, char *err, size_t err_len)
{
    if (!json_object_is_type(o, json_type_object))
        return fq_pbjson_fail(-1, err, err_len,
                              "person must be {\"name\":…,\"phone\":…,\"id_number\":…}");
    char phone[4 * 40 + 1] = "", id[4 * 40 + 1] = "";
    json_object_object_foreach(o, key, v)
    {
        if (strcmp(key, "name") == 0) {
            if (take_person_text(v, "person.name", 100, p->name, sizeof p->name, err, err_len))
                return -1;
        } else if (strcmp(key, "phone") == 0) {
            if (take_person_text(v, "person.phone", 40, phone, sizeof phone, err, err_len))
                return -1;
        } else if (strcmp(key, "id_number") == 0) {
            if (take_person_text(v, "person.id_number", 40, id, sizeof id, err, err_len))
                return -1;
        } else {
            return fq_pbjson_fail(-1, err, err_len, "unknown field 'person.%.64s'", key);
        }
    }
    fq_name_normalize(p->name, p->name_key, sizeof p->name_key);
    if (p->name_key[0] == '\0')
        return fq_pbjson_fail(-1, err, err_len, "person.name is required");
    fq_mask_name(p->name, p->name_masked, sizeof p->name_masked);
    if (phone[0] != '\0') {
        if (fq_phone_normalize(phone, p->phone, sizeof p->phone) != 0)
            return fq_pbjson_fail(-1, err, err_len,
                                  "person.phone must be 5 to 20 digits (spaces and +-() allowed)");
        fq_mask_phone(p->phone, p->phone_masked, sizeof p->phone_masked);
    }
    if (id[0] != '\0') {
        char why[128];
        if (fq_id_number_normalize(id, p->id_number, sizeof p->id_number, why, sizeof why) != 0)
            return fq_pbjson_fail(-1, err, err_len, "person.%s", why);
        fq_mask_id_number(p->id_number, p->id_masked, sizeof p->id_masked);
    }
    return 0;
}

int fq_frontdeskreq_decode(const char *body, size_t len, fq_frontdesk_case *out, char *err,
                           size_t err_len)
{
    memset(out, 0, sizeof *out);
    Fengqiao__V1__ReportIncident *r = &out->report;
    json_object *doc = NULL;
    if (fq_fieldreq_report_begin(body, len, r, &out->location, &doc, err, err_len) != 0)
        return -1;
    int rc = -1, have_person = 0, taken = 0, x = 0;
    char *storage = out->storage;
    size_t left = sizeof out->storage;
    json_object_object_foreach(doc, key, v)
    {
        if (strcmp(key, "request_id") == 0) {
            if (fq_pbjson_take_request_id(v, out->request_id, err, err_len) != 0)
                goto done;
        } else if (strcmp(key, "person") == 0) {
            if (take_person(v, &out->person, err, err_len) != 0)
                goto done;
            have_person = 1;
        } else if (strcmp(key, "matter") == 0) {
            if (take_matter(v, &x, err, err_len) != 0)
                goto done;
            r->matter = (Fengqiao__V1__Matter)x;
        } else if (strcmp(key, "channel") == 0) {
            if (take_channel(v, &r->channel, err, err_len) != 0)
                goto done;
        } else if (strcmp(key, "place_unit") == 0) {
            if (fq_pbjson_take_string(v, "place_unit", 64, &storage, &left, &r->place_unit, err,
                                      err_len) != 0)
                goto done;
        } else if ((taken = fq_fieldreq_take_report_field(key, v, r, &out->location, &storage,
                                                          &left, err, err_len)) != 0) {
            if (taken < 0)
                goto done;
        } else {
            fq_pbjson_fail(-1, err, err_len, "unknown field '%.64s'", key);
            goto done;
        }
    }
    if (out->request_id[0] == '\0') {
        fq_pbjson_fail(-1, err, err_len, "request_id is required");
        goto done;
    }
    if (!have_person) {
        fq_pbjson_fail(-1, err, err_len, "person is required (at least the name)");
        goto done;
    }
    if (r->matter == 0) {
        fq_pbjson_fail(-1, err, err_len, "matter is required");
        goto done;
    }
    if (r->channel == 0) {
        fq_pbjson_fail(-1, err, err_len, "channel is required (walk_in, hotline or petition)");
        goto done;
    }
    char **texts[] = {&r->category, &r->title, &r->description, &r->address, &r->place_unit};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (*texts[i] == NULL)
            *texts[i] = (char *)"";
    if (r->place_unit[0] == '\0' && r->location == NULL) {
        fq_pbjson_fail(-1, err, err_len,
                       "the place is required: an address from the list or a point on the map");
        goto done;
    }
    /* Only the masked forms go into the report and so into the history. */
    r->reporter_name = out->person.name_masked;
    r->reporter_id_number = out->person.id_masked;
    r->reporter_phone = (char *)"";
    rc = 0;
done:
    json_object_put(doc);
    return rc;
}
