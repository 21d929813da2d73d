#include "fqreport.h"
#include "taxonomy.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- enum names ---- */

/* Names only: a number (the wire's enum value) is refused, so that "1" can
 * never be read as the most severe class by someone who meant the mildest. */
static int parse_enum(const char *text, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strcasecmp(text, names[i]) == 0)
            return i + 1;
    return -1;
}

static const char *const severity_names[] = {"I", "II", "III", "IV"};
static const char *const risk_names[] = {"low", "medium", "high"};
static const char *const channel_names[] = {"hotline", "petition", "staff",
                                            "patrol",  "online",   "walk_in"};

/* ---- building ---- */

void fqr_init(fqr_input *in)
{
    memset(in, 0, sizeof *in);
    fengqiao__v1__report_incident__init(&in->body);
    fengqiao__v1__geo_point__init(&in->point);
}

int fqr_set_field(fqr_input *in, const char *name, const char *value, char *err, size_t err_len)
{
    Fengqiao__V1__ReportIncident *b = &in->body;
    int v;
    char *end;
    if (strcmp(name, "category") == 0)
        b->category = (char *)value;
    else if (strcmp(name, "severity") == 0) {
        if ((v = parse_enum(value, severity_names, 4)) < 0) {
            snprintf(err, err_len, "bad value '%s' for severity: one of I, II, III, IV", value);
            return -1;
        }
        b->severity = v;
    } else if (strcmp(name, "risk") == 0) {
        if ((v = parse_enum(value, risk_names, 3)) < 0) {
            snprintf(err, err_len, "bad value '%s' for risk: one of low, medium, high", value);
            return -1;
        }
        b->risk = v;
    } else if (strcmp(name, "channel") == 0) {
        if ((v = parse_enum(value, channel_names, 6)) < 0) {
            snprintf(err, err_len,
                     "bad value '%s' for channel: one of hotline, petition, staff, patrol, "
                     "online, walk_in",
                     value);
            return -1;
        }
        b->channel = v;
    } else if (strcmp(name, "place_unit") == 0)
        b->place_unit = (char *)value;
    else if (strcmp(name, "place") == 0) {
        snprintf(err, err_len, "unknown field 'place': the field is place_unit (the flag --place)");
        return -1;
    } else if (strcmp(name, "title") == 0)
        b->title = (char *)value;
    else if (strcmp(name, "description") == 0)
        b->description = (char *)value;
    else if (strcmp(name, "address") == 0)
        b->address = (char *)value;
    else if (strcmp(name, "external_ref") == 0)
        b->external_ref = (char *)value;
    else if (strcmp(name, "reporter_name") == 0)
        b->reporter_name = (char *)value;
    else if (strcmp(name, "reporter_phone") == 0)
        b->reporter_phone = (char *)value;
    else if (strcmp(name, "lon") == 0 || strcmp(name, "lat") == 0) {
        double d = strtod(value, &end);
        if (*value == '\0' || *end != '\0')
            goto bad;
        if (name[1] == 'o') {
            in->point.lon = d;
            in->has_lon = 1;
        } else {
            in->point.lat = d;
            in->has_lat = 1;
        }
    } else if (strcmp(name, "occurred_at_ms") == 0) {
        long long ms = strtoll(value, &end, 10);
        if (*value == '\0' || *end != '\0' || ms < 0)
            goto bad;
        b->occurred_at_ms = ms;
    } else if (strcmp(name, "message_id") == 0) {
        unsigned long long id = strtoull(value, &end, 10);
        if (*value == '\0' || *end != '\0' || value[0] == '-' || id == 0 ||
            id > (unsigned long long)INT64_MAX)
            goto bad;
        in->message_id = id;
    } else {
        snprintf(err, err_len, "unknown field '%s'", name);
        return -1;
    }
    return 0;
bad:
    snprintf(err, err_len, "bad value '%s' for %s", value, name);
    return -1;
}

int fqr_set_flag(fqr_input *in, const char *flag, const char *value, char *err, size_t err_len)
{
    /* Flag names are the JSON field names with '-' for '_'. */
    char name[32];
    snprintf(name, sizeof name, "%s", flag);
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    if (strcmp(name, "occurred_ms") == 0)
        snprintf(name, sizeof name, "occurred_at_ms");
    else if (strcmp(name, "place") == 0)
        snprintf(name, sizeof name, "place_unit");
    return fqr_set_field(in, name, value, err, err_len);
}

int fqr_finish(fqr_input *in, const char *node, char *err, size_t err_len)
{
    if (in->has_lon != in->has_lat) {
        snprintf(err, err_len, "lon and lat go together");
        return -1;
    }
    if (in->has_lon)
        in->body.location = &in->point;
    if (in->message_id == 0)
        in->message_id = in->body.external_ref[0] != '\0'
                             ? fqc_message_id_for(node, in->body.external_ref)
                             : fqc_fresh_message_id();
    return 0;
}

void fqr_usage_fields(FILE *out)
{
    fprintf(out, "  --category CODE       taxonomy code, e.g. dispute.neighbour (required)\n"
                 "  --severity I|II|III|IV                           (required)\n"
                 "  --risk low|medium|high                           (required)\n"
                 "  --channel hotline|petition|staff|patrol|online|walk_in (required)\n"
                 "  --place UNIT          org unit where it happened (JSON: place_unit)\n"
                 "  --lon DEG --lat DEG   where it happened; without --place the grid this\n"
                 "                        point lies in (one of --place or --lon/--lat\n"
                 "                        required; with both, --place decides)\n"
                 "  --title TEXT          one line (required)\n"
                 "  --description TEXT  --address TEXT\n"
                 "  --occurred-ms MS      when it happened, epoch milliseconds\n"
                 "  --external-ref REF    your own case number; also makes the message id, so\n"
                 "                        sending the same case again creates nothing new\n"
                 "  --reporter-name TEXT  --reporter-phone TEXT\n"
                 "  --message-id N        explicit idempotency key (1 .. 2^63-1)\n");
}

/* ---- output ---- */

json_object *fqr_result_json(uint64_t line, const fqc_result *r)
{
    json_object *o = json_object_new_object();
    if (line != 0)
        json_object_object_add(o, "line", json_object_new_int64((int64_t)line));
    json_object_object_add(o, "status",
                           json_object_new_string(r->outcome == FQC_NO_ANSWER
                                                      ? "no_answer"
                                                      : fq_status_name(r->status)));
    json_object_object_add(o, "message_id", json_object_new_uint64(r->message_id));
    if (r->has_incident) {
        json_object_object_add(o, "incident_id", json_object_new_uint64(r->incident_id));
        json_object_object_add(o, "duplicate", json_object_new_boolean(r->duplicate));
        json_object_object_add(o, "event_seq", json_object_new_uint64(r->event_seq));
    }
    if (r->has_routing) {
        static const char *const lines[] = {"", "governance", "market", "enforcement", "services"};
        json_object *rt = json_object_new_object();
        if (r->merged_into != 0)
            json_object_object_add(rt, "merged_into", json_object_new_uint64(r->merged_into));
        if (r->tier >= 1 && r->tier <= 3) {
            json_object_object_add(rt, "tier", json_object_new_string(fq_tier_name(r->tier)));
            json_object_object_add(
                rt, "line",
                json_object_new_string(r->line >= 1 && r->line <= 4 ? lines[r->line] : "unknown"));
            json_object_object_add(rt, "climbed", json_object_new_int((int)r->climbed));
            json_object_object_add(rt, "rule_set", json_object_new_int((int)r->rule_set));
        }
        if (r->lead_unit[0])
            json_object_object_add(rt, "lead_unit", json_object_new_string(r->lead_unit));
        if (r->lead_unit_name[0])
            json_object_object_add(rt, "lead_unit_name", json_object_new_string(r->lead_unit_name));
        if (r->worker[0])
            json_object_object_add(rt, "worker", json_object_new_string(r->worker));
        if (r->worker_name[0])
            json_object_object_add(rt, "worker_name", json_object_new_string(r->worker_name));
        if (r->co_units[0]) {
            json_object *co = json_object_new_array();
            char units[sizeof r->co_units];
            snprintf(units, sizeof units, "%s", r->co_units);
            for (char *save = NULL, *u = strtok_r(units, ",", &save); u != NULL;
                 u = strtok_r(NULL, ",", &save))
                json_object_array_add(co, json_object_new_string(u));
            json_object_object_add(rt, "co_units", co);
        }
        if (r->territory[0])
            json_object_object_add(rt, "territory", json_object_new_string(r->territory));
        if (r->territory_name[0])
            json_object_object_add(rt, "territory_name", json_object_new_string(r->territory_name));
        if (r->unplaced)
            json_object_object_add(rt, "unplaced", json_object_new_boolean(1));
        if (r->acknowledge_due_ms)
            json_object_object_add(rt, "acknowledge_due_ms",
                                   json_object_new_int64(r->acknowledge_due_ms));
        if (r->conclude_due_ms)
            json_object_object_add(rt, "conclude_due_ms",
                                   json_object_new_int64(r->conclude_due_ms));
        json_object_object_add(o, "routing", rt);
    }
    if (r->message[0])
        json_object_object_add(o, "message", json_object_new_string(r->message));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    json_object_object_add(o, "latency_ms", json_object_new_double(r->latency_ms));
    return o;
}

void fqr_result_text(const fqc_result *r, char *buf, size_t len)
{
    char routed[512] = "";
    if (r->has_routing && r->merged_into != 0)
        snprintf(routed, sizeof routed, "; merged into open incident %" PRIu64, r->merged_into);
    else if (r->has_routing && r->tier >= 1 && r->tier <= 3)
        snprintf(routed, sizeof routed, "; %s tier: %s%s%s%s%s", fq_tier_name(r->tier),
                 r->worker[0] ? r->worker : r->lead_unit,
                 r->worker[0] && r->lead_unit[0] ? " of " : "", r->worker[0] ? r->lead_unit : "",
                 r->co_units[0] ? " with " : "", r->co_units);
    snprintf(buf, len, "incident %" PRIu64 "%s (message id %" PRIu64 ")%s", r->incident_id,
             r->duplicate ? " (already reported)" : "", r->message_id, routed);
}
