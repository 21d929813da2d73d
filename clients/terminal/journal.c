#include "journal.h"
#include "fqi18n.h"
#include "duration.h"
#include "taxonomy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* No journal line comes near this: an item is bounded by the 64 KiB frame
 * and JSON escaping at most sextuples a byte. */
#define MAX_LINE_BYTES (1024 * 1024)

/* ---- names ---- */

static const char *const kind_names[] = {"unknown", "assignment",  "update", "cancellation",
                                         "warning", "supervision", "closed"};
#define KIND_LAST FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED

const char *fqj_kind_name(int kind)
{
    return kind >= 1 && kind <= KIND_LAST ? kind_names[kind] : kind_names[0];
}

int fqj_kind_parse(const char *name)
{
    for (int k = 1; k <= KIND_LAST; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return 0;
}

const char *fqj_severity_name(int severity)
{
    static const char *const names[] = {"", "I", "II", "III", "IV"};
    return severity >= 1 && severity <= 4 ? names[severity] : "";
}

static int severity_parse(const char *name)
{
    for (int s = 1; s <= 4; s++)
        if (strcmp(name, fqj_severity_name(s)) == 0)
            return s;
    return 0;
}

static const char *const line_names[] = {"", "governance", "market", "enforcement", "services"};
#define LINE_LAST FENGQIAO__V1__LINE__LINE_SERVICES

const char *fqj_tier_name(int tier)
{
    return fq_tier_name_or(tier, "");
}

const char *fqj_line_name(int line)
{
    return line >= 1 && line <= LINE_LAST ? line_names[line] : "";
}

static int name_parse(const char *const *names, int last, const char *name)
{
    for (int i = 1; i <= last; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return 0;
}

/* ---- items ---- */

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

void fqj_item_from_outbox(const Fengqiao__V1__OutboxItem *o, fqj_item *out)
{
    memset(out, 0, sizeof *out);
    out->seq = o->seq;
    out->kind = (int)o->kind;
    out->incident_id = o->incident_id;
    out->text = str_or_empty(o->text);
    out->category = str_or_empty(o->category);
    out->severity = (int)o->severity;
    out->title = str_or_empty(o->title);
    out->address = str_or_empty(o->address);
    out->territory = str_or_empty(o->territory);
    if (o->location != NULL) {
        out->has_location = 1;
        out->lon = o->location->lon;
        out->lat = o->location->lat;
    }
    out->acknowledge_due_ms = o->acknowledge_due_ms;
    out->conclude_due_ms = o->conclude_due_ms;
    out->at_ms = o->at_ms;
    out->supervision_due_ms = o->supervision_due_ms;
    out->category_name = str_or_empty(o->category_name);
    out->territory_name = str_or_empty(o->territory_name);
    out->event_kind = str_or_empty(o->event_kind);
    out->note = str_or_empty(o->note);
    out->actor_name = str_or_empty(o->actor_name);
    out->holder_unit = str_or_empty(o->holder_unit);
    out->holder_unit_name = str_or_empty(o->holder_unit_name);
    out->holder_worker = str_or_empty(o->holder_worker);
    out->holder_worker_name = str_or_empty(o->holder_worker_name);
    out->suspended_at_ms = o->suspended_at_ms;
    out->working_time = o->working_time;
    out->time_zone = "";
    out->suspend_reason = "";
    out->event_seq = o->event_seq;
    out->reason_code = str_or_empty(o->reason_code);
    out->rule_set = o->rule_set;
    out->rule = o->rule;
    out->state = str_or_empty(o->state);
    out->assignment = str_or_empty(o->assignment);
    out->tier = (int)o->tier;
    out->line = (int)o->line;
    out->n_co_units = o->n_co_units < o->n_co_unit_names ? o->n_co_units : o->n_co_unit_names;
    out->co_units = o->co_units;
    out->co_unit_names = o->co_unit_names;
    out->external_ref = str_or_empty(o->external_ref);
    out->reporter_node = str_or_empty(o->reporter_node);
    out->reporter_node_name = str_or_empty(o->reporter_node_name);
    out->actor = str_or_empty(o->actor);
    out->reason = str_or_empty(o->reason);
    out->merged_into = o->merged_into;
}

static void add_string(json_object *o, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        json_object_object_add(o, key, json_object_new_string(value));
}

static void add_time(json_object *o, const char *key, int64_t ms)
{
    if (ms != 0)
        json_object_object_add(o, key, json_object_new_int64(ms));
}

/* A double in the fewest digits that read back to the same value (json-c
 * would print 120.1 as 120.09999999999999). */
static json_object *new_double(double d)
{
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d)
            break;
    }
    return json_object_new_double_s(d, text);
}

json_object *fqj_item_to_json(const fqj_item *item)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "seq", json_object_new_uint64(item->seq));
    json_object_object_add(o, "kind", json_object_new_string(fqj_kind_name(item->kind)));
    json_object_object_add(o, "incident", json_object_new_uint64(item->incident_id));
    add_string(o, "text", item->text);
    add_string(o, "category", item->category);
    add_string(o, "severity", fqj_severity_name(item->severity));
    add_string(o, "title", item->title);
    add_string(o, "address", item->address);
    add_string(o, "territory", item->territory);
    if (item->has_location) {
        json_object_object_add(o, "lon", new_double(item->lon));
        json_object_object_add(o, "lat", new_double(item->lat));
    }
    add_time(o, "acknowledge_due_ms", item->acknowledge_due_ms);
    add_time(o, "conclude_due_ms", item->conclude_due_ms);
    add_time(o, "at_ms", item->at_ms);
    add_time(o, "supervision_due_ms", item->supervision_due_ms);
    add_string(o, "category_name", item->category_name);
    add_string(o, "territory_name", item->territory_name);
    add_string(o, "event_kind", item->event_kind);
    add_string(o, "note", item->note);
    add_string(o, "actor_name", item->actor_name);
    add_string(o, "holder_unit", item->holder_unit);
    add_string(o, "holder_unit_name", item->holder_unit_name);
    add_string(o, "holder_worker", item->holder_worker);
    add_string(o, "holder_worker_name", item->holder_worker_name);
    add_time(o, "suspended_at_ms", item->suspended_at_ms);
    if (item->working_time)
        json_object_object_add(o, "working_time", json_object_new_boolean(1));
    add_string(o, "time_zone", item->time_zone);
    if (item->event_seq)
        json_object_object_add(o, "event_seq", json_object_new_uint64(item->event_seq));
    add_string(o, "reason_code", item->reason_code);
    if (item->rule_set)
        json_object_object_add(o, "rule_set", json_object_new_int64(item->rule_set));
    if (item->rule)
        json_object_object_add(o, "rule", json_object_new_int64(item->rule));
    add_string(o, "state", item->state);
    add_string(o, "assignment", item->assignment);
    add_string(o, "tier", fqj_tier_name(item->tier));
    add_string(o, "line", fqj_line_name(item->line));
    if (item->n_co_units > 0) {
        json_object *units = json_object_new_array(), *names = json_object_new_array();
        for (size_t i = 0; i < item->n_co_units; i++) {
            json_object_array_add(units, json_object_new_string(str_or_empty(item->co_units[i])));
            json_object_array_add(names,
                                  json_object_new_string(str_or_empty(item->co_unit_names[i])));
        }
        json_object_object_add(o, "co_units", units);
        json_object_object_add(o, "co_unit_names", names);
    }
    add_string(o, "external_ref", item->external_ref);
    add_string(o, "reporter_node", item->reporter_node);
    add_string(o, "reporter_node_name", item->reporter_node_name);
    add_string(o, "actor", item->actor);
    add_string(o, "reason", item->reason);
    if (item->merged_into)
        json_object_object_add(o, "merged_into", json_object_new_uint64(item->merged_into));
    return o;
}

char *fqj_item_to_line(const fqj_item *item)
{
    json_object *o = fqj_item_to_json(item);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(text);
    char *line = malloc(len + 2);
    if (line != NULL) {
        memcpy(line, text, len);
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    json_object_put(o);
    return line;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

static int64_t get_int(json_object *o, const char *key)
{
    json_object *v;
    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    return 0;
}

int fqj_item_from_json(json_object *o, fqj_item *out)
{
    memset(out, 0, sizeof *out);
    json_object *v;
    if (o == NULL || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "seq", &v) || !json_object_is_type(v, json_type_int))
        return -1;
    out->seq = json_object_get_uint64(v);
    if (out->seq == 0)
        return -1;
    out->kind = fqj_kind_parse(get_string(o, "kind"));
    if (json_object_object_get_ex(o, "incident", &v) && json_object_is_type(v, json_type_int))
        out->incident_id = json_object_get_uint64(v);
    out->text = get_string(o, "text");
    out->category = get_string(o, "category");
    out->severity = severity_parse(get_string(o, "severity"));
    out->title = get_string(o, "title");
    out->address = get_string(o, "address");
    out->territory = get_string(o, "territory");
    json_object *lon, *lat;
    if (json_object_object_get_ex(o, "lon", &lon) && json_object_object_get_ex(o, "lat", &lat)) {
        out->has_location = 1;
        out->lon = json_object_get_double(lon);
        out->lat = json_object_get_double(lat);
    }
    out->acknowledge_due_ms = get_int(o, "acknowledge_due_ms");
    out->conclude_due_ms = get_int(o, "conclude_due_ms");
    out->at_ms = get_int(o, "at_ms");
    out->supervision_due_ms = get_int(o, "supervision_due_ms");
    out->category_name = get_string(o, "category_name");
    out->territory_name = get_string(o, "territory_name");
    out->event_kind = get_string(o, "event_kind");
    out->note = get_string(o, "note");
    out->actor_name = get_string(o, "actor_name");
    out->holder_unit = get_string(o, "holder_unit");
    out->holder_unit_name = get_string(o, "holder_unit_name");
    out->holder_worker = get_string(o, "holder_worker");
    out->holder_worker_name = get_string(o, "holder_worker_name");
    out->suspended_at_ms = get_int(o, "suspended_at_ms");
    out->working_time = json_object_object_get_ex(o, "working_time", &v) &&
                        json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
    out->time_zone = get_string(o, "time_zone");
    out->suspend_reason = "";
    out->event_seq = (uint64_t)get_int(o, "event_seq");
    out->reason_code = get_string(o, "reason_code");
    out->rule_set = (uint32_t)get_int(o, "rule_set");
    out->rule = (uint32_t)get_int(o, "rule");
    out->state = get_string(o, "state");
    out->assignment = get_string(o, "assignment");
    out->tier = fq_tier_parse(get_string(o, "tier"));
    out->line = name_parse(line_names, LINE_LAST, get_string(o, "line"));
    out->external_ref = get_string(o, "external_ref");
    out->reporter_node = get_string(o, "reporter_node");
    out->reporter_node_name = get_string(o, "reporter_node_name");
    out->actor = get_string(o, "actor");
    out->reason = get_string(o, "reason");
    out->merged_into = (uint64_t)get_int(o, "merged_into");
    return 0;
}

/* ---- formatting ---- */

typedef struct outbuf {
    char *buf;
    size_t len, used;
    int full;
} outbuf;

static void out_printf(outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(outbuf *b, const char *fmt, ...)
{
    if (b->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->used, b->len - b->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->len - b->used) {
        /* Cut back to whole characters. */
        size_t end = b->len - 1;
        while (end > b->used && ((unsigned char)b->buf[end] & 0xC0) == 0x80)
            end--;
        b->buf[end] = '\0';
        b->used = end;
        b->full = 1;
        return;
    }
    b->used += (size_t)n;
}

/* Appends text from the server, control characters (C0, DEL, C1) shown as
 * spaces, never cutting a character in two. */
static void out_clean(outbuf *b, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != '\0' && !b->full) {
        size_t n = 1;
        if (*p >= 0xF0)
            n = 4;
        else if (*p >= 0xE0)
            n = 3;
        else if (*p >= 0xC0)
            n = 2;
        for (size_t k = 1; k < n; k++)
            if (p[k] == '\0' || (p[k] & 0xC0) != 0x80) {
                n = k; /* broken sequence: take what there is */
                break;
            }
        if (b->used + n >= b->len) {
            b->full = 1;
            break;
        }
        int control = *p < 0x20 || *p == 0x7F || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0);
        if (control) {
            b->buf[b->used++] = ' ';
        } else {
            memcpy(b->buf + b->used, p, n);
            b->used += n;
        }
        p += n;
    }
    b->buf[b->used] = '\0';
}

/* The local day of an instant at offset_s east of UTC (floor division:
 * instants before 1970 stay on their day). */
static int64_t local_day(int64_t ms, int32_t offset_s)
{
    int64_t s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0) + offset_s;
    return s / 86400 - (s % 86400 < 0 ? 1 : 0);
}

void fqj_format_time(int64_t ms, const fqj_view *view, char *buf, size_t len)
{
    int same_day = local_day(ms, view->utc_offset_s) == local_day(view->now_ms, view->utc_offset_s);
    fq_time_format(ms, view->utc_offset_s, !same_day, buf, len);
}

/* A name, or the id when the server sent no name; with view->ids both:
 * "邻里纠纷 (dispute.neighbour)". */
static void out_named(outbuf *b, const char *name, const char *id, const fqj_view *view)
{
    if (name[0] == '\0') {
        out_clean(b, id);
        return;
    }
    out_clean(b, name);
    if (view->ids && id[0] != '\0') {
        out_printf(b, " (");
        out_clean(b, id);
        out_printf(b, ")");
    }
}

/* Before a limit: the separator after the one before it. */
static void out_limit_start(outbuf *b, int *first)
{
    if (!*first)
        out_printf(b, "%s", _(", "));
    *first = 0;
}

static void out_overdue(outbuf *b, int64_t due_ms, const fqj_view *view)
{
    if (due_ms < view->now_ms)
        out_printf(b, "%s", _(" (overdue)"));
}

static int is_event(const fqj_item *item, const char *kind);

/* The limits an item is about, in the district's time: a supervision
 * order's (and its lateness's) the reply's only; any other item's the
 * acknowledge and conclude limits. (Every item of an incident under an open
 * supervision order carries its reply limit too: shown where it matters.) */
static void out_limits(outbuf *b, const fqj_item *item, const fqj_view *view)
{
    int supervision = item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION ||
                      is_event(item, "supervision_ordered") ||
                      is_event(item, "supervision_breached");
    int64_t ack = supervision ? 0 : item->acknowledge_due_ms;
    int64_t conclude = supervision ? 0 : item->conclude_due_ms;
    int64_t reply = supervision ? item->supervision_due_ms : 0;
    if (ack == 0 && conclude == 0 && reply == 0)
        return;
    out_printf(b, " · ");
    int first = 1;
    char when[40];
    if (ack != 0) {
        out_limit_start(b, &first);
        fqj_format_time(ack, view, when, sizeof when);
        /* TRANSLATORS: %s is a time, "14:05" or "2026-11-28 14:00". */
        out_printf(b, _("acknowledge by %s"), when);
        out_overdue(b, ack, view);
    }
    if (conclude != 0) {
        out_limit_start(b, &first);
        fqj_format_time(conclude, view, when, sizeof when);
        out_printf(b, _("conclude by %s"), when);
        out_overdue(b, conclude, view);
    }
    if ((ack != 0 || conclude != 0) && item->working_time)
        out_printf(b, "%s", _(" (working time)"));
    if (reply != 0) {
        out_limit_start(b, &first);
        fqj_format_time(reply, view, when, sizeof when);
        out_printf(b, _("reply to the supervision by %s"), when);
        out_overdue(b, reply, view);
    }
}

static int is_event(const fqj_item *item, const char *kind)
{
    return strcmp(item->event_kind, kind) == 0;
}

/* The heading word: the event's label, else (an older server) the item's. */
static const char *item_label(const fqj_item *item)
{
    if (is_event(item, "suspended"))
        return _("suspended");
    if (is_event(item, "resumed"))
        return _("suspension lifted");
    if (item->event_kind[0] != '\0')
        return fq_label_event_kind(item->event_kind);
    return fq_label_item_kind(item->kind);
}

void fqj_format_item(const fqj_item *item, const fqj_view *view, char *buf, size_t len)
{
    if (len == 0)
        return;
    outbuf b = {buf, len, 0, 0};
    buf[0] = '\0';
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, item->incident_id);
    if (view->ids)
        out_printf(&b, "[#%" PRIu64 "] ", item->seq);
    out_clean(&b, item_label(item));
    out_printf(&b, " · ");
    /* TRANSLATORS: %s is the incident's number, which the commands take. */
    out_printf(&b, _("incident %s"), id);
    int assignment = item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT;
    if (assignment && (item->category[0] != '\0' || item->category_name[0] != '\0')) {
        out_printf(&b, " · ");
        out_named(&b, item->category_name, item->category, view);
        if (item->severity != 0) {
            out_printf(&b, " ");
            out_clean(&b, fq_label_severity(item->severity));
        }
    }
    if (item->title[0] != '\0') {
        out_printf(&b, " · ");
        out_clean(&b, item->title);
    }
    if (assignment && (item->territory[0] != '\0' || item->territory_name[0] != '\0')) {
        out_printf(&b, " · ");
        out_named(&b, item->territory_name, item->territory, view);
    }
    if (assignment && item->address[0] != '\0') {
        out_printf(&b, "%s", _(" ("));
        out_clean(&b, item->address);
        out_printf(&b, "%s", _(")"));
    }
    /* Where it went: the handler after the event, for the one it left. */
    int moved = item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION ||
                is_event(item, "reassigned") || is_event(item, "rerouted") ||
                is_event(item, "escalated") || is_event(item, "returned");
    if (!assignment && moved) {
        const char *name =
            item->holder_worker[0] != '\0' ? item->holder_worker_name : item->holder_unit_name;
        const char *hid = item->holder_worker[0] != '\0' ? item->holder_worker : item->holder_unit;
        if (name[0] != '\0' || hid[0] != '\0') {
            char holder[512];
            outbuf h = {holder, sizeof holder, 0, 0};
            holder[0] = '\0';
            out_named(&h, name, hid, view);
            out_printf(&b, " · ");
            /* TRANSLATORS: %s is the unit or the worker who has it now. */
            out_printf(&b, _("now with %s"), holder);
        }
    }
    /* Limits: a new assignment's, a warning's, and the moved ones after an
     * extension or a suspension lifted; a supervision order's reply. None
     * while suspended: its clocks stand still, and the resumption brings
     * the limits as moved on. */
    if (item->suspended_at_ms != 0) {
        /* no countdown */
    } else if (assignment || item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_WARNING ||
               item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION ||
               is_event(item, "resumed") || is_event(item, "extension_approved")) {
        out_limits(&b, item, view);
    }
    /* Suspended: the clocks stand still since then (a suspension item says
     * so by its heading). */
    if (item->suspended_at_ms != 0 && !is_event(item, "suspended")) {
        char since[40];
        fqj_format_time(item->suspended_at_ms, view, since, sizeof since);
        out_printf(&b, " · ");
        /* TRANSLATORS: %s is the time the incident was suspended. */
        out_printf(&b, _("suspended since %s"), since);
        if (item->suspend_reason[0] != '\0') {
            out_printf(&b, "%s", _(": "));
            out_clean(&b, item->suspend_reason);
        }
    }
    /* What a person wrote, and who: "— 张三: 已联系双方"; a suspension's
     * reason: "— reason: 等待法院裁定 (王某)". */
    if (item->note[0] != '\0' || item->actor_name[0] != '\0') {
        out_printf(&b, " — ");
        if (is_event(item, "suspended") && item->note[0] != '\0') {
            out_printf(&b, "%s", _("reason: "));
            out_clean(&b, item->note);
            if (item->actor_name[0] != '\0') {
                out_printf(&b, "%s", _(" ("));
                out_clean(&b, item->actor_name);
                out_printf(&b, "%s", _(")"));
            }
        } else {
            out_clean(&b, item->actor_name);
            if (item->actor_name[0] != '\0' && item->note[0] != '\0')
                out_printf(&b, "%s", _(": "));
            out_clean(&b, item->note);
        }
    }
}

/* ---- times ---- */

static int parse_digits(const char **p, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += count;
    *out = v;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* "+2h", "1d12h", "1w" (duration.h); more than ten years is a typo. */
static int parse_duration(const char *p, int64_t *out_ms)
{
    uint32_t seconds;
    char err[200];
    if (*p == '+')
        p++;
    if (fq_duration_parse(p, 0, &seconds, err, sizeof err) != 0 || seconds > UINT32_C(3660) * 86400)
        return -1;
    *out_ms = (int64_t)seconds * 1000;
    return 0;
}

int fqj_parse_when(const char *text, int64_t now_ms, int32_t utc_offset_s, int64_t *out_ms,
                   char *err, size_t err_len)
{
    while (*text == ' ')
        text++;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == ' ')
        len--;
    char s[64];
    if (len == 0 || len >= sizeof s) {
        snprintf(err, err_len, _("'%s' is neither a duration (+2h, +3d) nor a time (ISO 8601)"),
                 text);
        return -1;
    }
    memcpy(s, text, len);
    s[len] = '\0';
    int iso = len >= 5 && s[4] == '-';
    if (!iso) {
        int64_t d;
        if (parse_duration(s, &d) != 0) {
            snprintf(err, err_len,
                     _("'%s' is not a duration: a number and a unit, e.g. +90m, +2h, +3d, +1d12h, "
                       "+1w"),
                     s);
            return -1;
        }
        *out_ms = now_ms + d;
        return 0;
    }
    const char *p = s;
    int year, month, day, hour, minute, second = 0;
    if (parse_digits(&p, 4, &year) || *p++ != '-' || parse_digits(&p, 2, &month) || *p++ != '-' ||
        parse_digits(&p, 2, &day))
        goto bad;
    if (*p == '\0') {
        snprintf(err, err_len, _("'%s' has no time of day: write e.g. %sT17:00"), s, s);
        return -1;
    }
    if ((*p != 'T' && *p != 't' && *p != ' ') || (p++, parse_digits(&p, 2, &hour)) || *p++ != ':' ||
        parse_digits(&p, 2, &minute))
        goto bad;
    if (*p == ':') {
        p++;
        if (parse_digits(&p, 2, &second))
            goto bad;
        if (*p == '.' || *p == ',') /* fractions of a second: ignored */
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59 || year < 1970)
        goto bad;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    int64_t seconds;
    if (*p == '\0') {
        /* No zone written: the district's time, as every time shown. */
        seconds = (int64_t)timegm(&tm) - utc_offset_s;
    } else {
        int offset = 0;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (parse_digits(&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (*p != '\0' && parse_digits(&p, 2, &om))
                goto bad;
            if (oh > 23 || om > 59)
                goto bad;
            offset = sign * (oh * 3600 + om * 60);
        } else {
            goto bad;
        }
        if (*p != '\0')
            goto bad;
        seconds = (int64_t)timegm(&tm) - offset;
    }
    *out_ms = seconds * 1000;
    return 0;
bad:
    snprintf(err, err_len,
             _("'%s' is not a time: use ISO 8601, e.g. 2026-11-28T17:00 (the district's time), "
               "2026-11-28T09:00Z or 2026-11-28T17:00+08:00"),
             s);
    return -1;
}

/* ---- the file ---- */

static int fsync_parent(const char *path)
{
    char *dir = strdup(path);
    if (dir == NULL)
        return -1;
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, strlen(dir) + 1, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rv = fsync(fd);
    close(fd);
    return rv;
}

/* Offset of the last '\n' before `end`, or -1. */
static int64_t last_newline(int fd, int64_t end)
{
    char buf[65536];
    while (end > 0) {
        int64_t start = end > (int64_t)sizeof buf ? end - (int64_t)sizeof buf : 0;
        ssize_t n = pread(fd, buf, (size_t)(end - start), start);
        if (n != (ssize_t)(end - start))
            return -2;
        for (int64_t i = n - 1; i >= 0; i--)
            if (buf[i] == '\n')
                return start + i;
        end = start;
    }
    return -1;
}

int fqj_open(fqj *j, const char *path, int flags, char *err, size_t err_len)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->path = strdup(path);
    if (j->path == NULL) {
        snprintf(err, err_len, _("out of memory"));
        return -1;
    }
    int created = 0;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        created = 1;
    else if (errno == EEXIST)
        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, _("cannot open the journal %s: %s"), path, strerror(errno));
        goto fail;
    }
    j->fd = fd;
    if (created && fsync_parent(path) != 0) {
        snprintf(err, err_len, _("cannot sync the folder of %s: %s"), path, strerror(errno));
        goto fail;
    }
    if ((flags & FQJ_LOCK) && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, err_len,
                     _("the journal %s is in use: another fq-terminal watch runs for this node"),
                     path);
        else
            snprintf(err, err_len, _("cannot lock the journal %s: %s"), path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, err_len, _("cannot stat %s: %s"), path, strerror(errno));
        goto fail;
    }
    int64_t size = (int64_t)st.st_size;
    int64_t nl = last_newline(fd, size);
    if (nl == -2) {
        snprintf(err, err_len, _("cannot read %s: %s"), path, strerror(errno));
        goto fail;
    }
    int64_t end = nl + 1; /* 0 when there is no complete line */
    if (end < size) {
        /* A write cut short by a crash: that item was never shown, and the
         * server still has it (it was not acknowledged). */
        if (ftruncate(fd, end) != 0 || fsync(fd) != 0) {
            snprintf(err, err_len, _("cannot cut the partial last line of %s: %s"), path,
                     strerror(errno));
            goto fail;
        }
        j->cut_bytes = (size_t)(size - end);
    }
    j->size = end;
    if (end == 0)
        return 0;
    int64_t prev = last_newline(fd, nl);
    if (prev == -2) {
        snprintf(err, err_len, _("cannot read %s: %s"), path, strerror(errno));
        goto fail;
    }
    int64_t line_len = nl - (prev + 1);
    if (line_len > MAX_LINE_BYTES) {
        snprintf(err, err_len, _("the last line of %s is too long to be a journal line"), path);
        goto fail;
    }
    char *line = malloc((size_t)line_len + 1);
    if (line == NULL) {
        snprintf(err, err_len, _("out of memory"));
        goto fail;
    }
    if (pread(fd, line, (size_t)line_len, prev + 1) != (ssize_t)line_len) {
        free(line);
        snprintf(err, err_len, _("cannot read %s: %s"), path, strerror(errno));
        goto fail;
    }
    line[line_len] = '\0';
    json_object *o = json_tokener_parse(line);
    fqj_item item;
    int ok = fqj_item_from_json(o, &item) == 0;
    if (ok) {
        j->last_seq = item.seq;
        if (strlen(item.time_zone) < sizeof j->time_zone)
            snprintf(j->time_zone, sizeof j->time_zone, "%s", item.time_zone);
    }
    json_object_put(o);
    free(line);
    if (!ok) {
        snprintf(err, err_len,
                 _("the last line of %s is not a journal line (no \"seq\"); move the file aside "
                   "or repair it"),
                 path);
        goto fail;
    }
    return 0;
fail:
    fqj_close(j);
    return -1;
}

int fqj_append(fqj *j, const fqj_item *items, size_t n, char *err, size_t err_len)
{
    size_t cap = 0, used = 0;
    char *buf = NULL;
    uint64_t last = j->last_seq;
    for (size_t i = 0; i < n; i++) {
        if (items[i].seq <= last)
            continue;
        char *line = fqj_item_to_line(&items[i]);
        if (line == NULL) {
            free(buf);
            snprintf(err, err_len, _("out of memory"));
            return -1;
        }
        size_t len = strlen(line);
        if (used + len > cap) {
            size_t ncap = (used + len) * 2;
            char *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                free(line);
                free(buf);
                snprintf(err, err_len, _("out of memory"));
                return -1;
            }
            buf = nbuf;
            cap = ncap;
        }
        memcpy(buf + used, line, len);
        used += len;
        free(line);
        last = items[i].seq;
    }
    if (used == 0)
        return 0;
    size_t done = 0;
    while (done < used) {
        ssize_t w = write(j->fd, buf + done, used - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            /* Never leave half a batch: cut back to where it was. */
            if (ftruncate(j->fd, j->size) == 0)
                (void)fsync(j->fd);
            free(buf);
            snprintf(err, err_len, _("cannot write the journal %s: %s"), j->path, strerror(e));
            return -1;
        }
        done += (size_t)w;
    }
    free(buf);
    if (fsync(j->fd) != 0) {
        int e = errno;
        if (ftruncate(j->fd, j->size) == 0)
            (void)fsync(j->fd);
        snprintf(err, err_len, _("cannot sync the journal %s: %s"), j->path, strerror(e));
        return -1;
    }
    j->size += (int64_t)used;
    j->last_seq = last;
    return 0;
}

void fqj_close(fqj *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    free(j->path);
    j->path = NULL;
}

int fqj_read(const char *path, fqj_line_fn fn, void *user, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, err_len, _("cannot open the journal %s: %s"), path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rv = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* partial last line: not (yet) part of the journal */
        line[--len] = '\0';
        json_object *o = json_tokener_parse(line);
        fqj_item item;
        int ok = fqj_item_from_json(o, &item) == 0;
        int stop = fn(user, ok ? &item : NULL, line);
        json_object_put(o);
        if (stop)
            break;
    }
    if (ferror(f)) {
        snprintf(err, err_len, _("cannot read the journal %s: %s"), path, strerror(errno));
        rv = -1;
    }
    free(line);
    fclose(f);
    return rv;
}

typedef struct open_entry {
    uint64_t incident;
    uint64_t seq;
    char *line;
    /* What later lines of the incident changed. */
    int64_t acknowledge_due_ms, conclude_due_ms;
    int64_t suspended_at_ms;
    char *suspend_reason;
} open_entry;

typedef struct open_set {
    open_entry *v;
    size_t n, cap;
    int oom;
} open_set;

static open_entry *open_find(open_set *s, uint64_t incident)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].incident == incident)
            return &s->v[i];
    return NULL;
}

static void open_remove(open_set *s, uint64_t incident)
{
    open_entry *e = open_find(s, incident);
    if (e == NULL)
        return;
    free(e->line);
    free(e->suspend_reason);
    size_t i = (size_t)(e - s->v);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
    s->n--;
}

static int collect_open(void *user, const fqj_item *item, const char *line)
{
    open_set *s = user;
    if (item == NULL)
        return 0;
    if (item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION ||
        item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED) {
        /* Moved on, or concluded or merged — from this terminal, another
         * of the same worker or the console: no longer open here. */
        open_remove(s, item->incident_id);
    } else if (item->kind == FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT) {
        /* A newer assignment of the same incident replaces the older. */
        open_remove(s, item->incident_id);
        if (s->n == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 64;
            open_entry *nv = realloc(s->v, ncap * sizeof *nv);
            if (nv == NULL) {
                s->oom = 1;
                return 1;
            }
            s->v = nv;
            s->cap = ncap;
        }
        char *copy = strdup(line);
        char *reason = strdup("");
        if (copy == NULL || reason == NULL) {
            free(copy);
            free(reason);
            s->oom = 1;
            return 1;
        }
        s->v[s->n++] = (open_entry){
            item->incident_id,     item->seq, copy, item->acknowledge_due_ms, item->conclude_due_ms,
            item->suspended_at_ms, reason};
    } else {
        open_entry *e = open_find(s, item->incident_id);
        if (e == NULL)
            return 0;
        /* Later limits replace the earlier (an extension approved, a
         * suspension lifted moves them). */
        if (item->acknowledge_due_ms != 0 || item->conclude_due_ms != 0) {
            e->acknowledge_due_ms = item->acknowledge_due_ms;
            e->conclude_due_ms = item->conclude_due_ms;
        }
        /* Acknowledged (by the worker's other terminal: the server tells
         * the actor's own box nothing): its acknowledge limit is past
         * concern. */
        if (strcmp(item->event_kind, "acknowledged") == 0)
            e->acknowledge_due_ms = 0;
        if (strcmp(item->event_kind, "suspended") == 0 ||
            strcmp(item->event_kind, "resumed") == 0) {
            int suspended = strcmp(item->event_kind, "suspended") == 0;
            char *reason = strdup(suspended ? item->note : "");
            if (reason == NULL) {
                s->oom = 1;
                return 1;
            }
            free(e->suspend_reason);
            e->suspend_reason = reason;
            e->suspended_at_ms = !suspended                   ? 0
                                 : item->suspended_at_ms != 0 ? item->suspended_at_ms
                                                              : item->at_ms;
        }
    }
    return 0;
}

int fqj_open_assignments(const char *path, fqj_line_fn fn, void *user, char *err, size_t err_len)
{
    open_set s = {0};
    int rv = fqj_read(path, collect_open, &s, err, err_len);
    if (rv == 0 && s.oom) {
        snprintf(err, err_len, _("out of memory"));
        rv = -1;
    }
    int stop = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (rv == 0 && !stop) {
            json_object *o = json_tokener_parse(s.v[i].line);
            fqj_item item;
            if (fqj_item_from_json(o, &item) == 0) {
                item.acknowledge_due_ms = s.v[i].acknowledge_due_ms;
                item.conclude_due_ms = s.v[i].conclude_due_ms;
                item.suspended_at_ms = s.v[i].suspended_at_ms;
                item.suspend_reason = s.v[i].suspend_reason;
                stop = fn(user, &item, s.v[i].line);
            }
            json_object_put(o);
        }
        free(s.v[i].line);
        free(s.v[i].suspend_reason);
    }
    free(s.v);
    return rv;
}

typedef struct zone_ctx {
    char *out;
    size_t len;
} zone_ctx;

static int note_zone(void *user, const fqj_item *item, const char *line)
{
    (void)line;
    zone_ctx *z = user;
    if (item != NULL && item->time_zone[0] != '\0' && strlen(item->time_zone) < z->len)
        snprintf(z->out, z->len, "%s", item->time_zone);
    return 0;
}

int fqj_last_time_zone(const char *path, char *out, size_t out_len, char *err, size_t err_len)
{
    if (out_len == 0)
        return -1;
    out[0] = '\0';
    zone_ctx z = {out, out_len};
    return fqj_read(path, note_zone, &z, err, err_len);
}

int fqj_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rv = mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rv;
}
