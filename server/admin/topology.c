/* fengqiao-admin import-topology: reads a district's topology from a JSON
 * file (docs/topology.md), checks all of it, then writes it in one
 * transaction: units, handlers, grid workers, grid polygons, categories and,
 * when the file has rules that differ from the active set, a new rule set
 * version. Before committing, the database as it would be is loaded by the
 * server's own loader (routing_state.c, the same queries), so whatever
 * commits is what the server loads, and its grids are checked for overlaps
 * (fq_geo_find_overlap).
 *
 * Phases: (1) parse and check the file alone, keeping each record's JSON
 * path, so the first error names where it is; (2) stage the records into
 * temporary tables and compare them with the database (conflicts name the
 * JSON path too); (3) upsert, (4) verify, NOTIFY, COMMIT. */
#include "admin.h"
#include "duration.h"
#include "geo.h"
#include "org.h"
#include "roster.h"
#include "routing_state.h"
#include "rules.h"
#include "statements.h"
#include "taxonomy.h"
#include "validate.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define TOPOLOGY_SCHEMA "fengqiao.topology.v1"
#define PATH_LEN 160
#define NAME_MAX_CHARS 100
#define PHONE_MAX_CHARS 32
#define FILE_MAX_BYTES (256u << 20)

typedef struct unit_rec {
    char path[PATH_LEN];
    const char *id, *kind, *parent, *name;
} unit_rec;

typedef struct handler_rec {
    char path[PATH_LEN];
    const char *id, *kind, *territory, *line, *code, *name;
} handler_rec;

typedef struct worker_rec {
    char path[PATH_LEN];
    const char *id, *grid, *name, *phone;
    int capacity, on_duty;
} worker_rec;

typedef struct polygon_rec {
    char path[PATH_LEN];
    const char *grid;
    double *ring; /* lon, lat, ... */
    size_t n;     /* vertices */
} polygon_rec;

typedef struct category_rec {
    char path[PATH_LEN];
    const char *code, *line, *name;
} category_rec;

typedef struct rule_rec {
    char path[PATH_LEN];
    const char *category; /* NULL: any */
    int severity, risk;   /* 0: any */
    const char *tier, *line;
    const char *co[FQ_RULE_MAX_CO];
    int n_co;
    uint32_t ack, ack_warn, conclude, conclude_warn;
} rule_rec;

typedef struct seen {
    const char *key; /* borrowed from the JSON document */
    char path[PATH_LEN];
    UT_hash_handle hh;
} seen;

#define ARRAY(type, name)                                                                          \
    type *name;                                                                                    \
    size_t n_##name, cap_##name

typedef struct model {
    json_object *root;
    ARRAY(unit_rec, units);
    ARRAY(handler_rec, handlers);
    ARRAY(worker_rec, workers);
    ARRAY(polygon_rec, polygons);
    ARRAY(category_rec, categories);
    ARRAY(rule_rec, rules);
    int has_rules; /* the file has a "rules" member (possibly empty) */
    const char *district;
    size_t n_towns, n_villages, n_grids;
    seen *ids, *codes, *category_codes, *rule_keys;
    char dept_line_path[FQ_LINE_COUNT][PATH_LEN];
    fq_geo_builder *geo;
    char err[1024];
} model;

/* Appends a zeroed element; NULL when out of memory. */
static void *push(void **array, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *grown = realloc(*array, c * size);
        if (grown == NULL)
            return NULL;
        *array = grown;
        *cap = c;
    }
    void *e = (char *)*array + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

#define PUSH(m, name) push((void **)&(m)->name, &(m)->n_##name, &(m)->cap_##name, sizeof *(m)->name)

__attribute__((format(printf, 3, 4))) static int fail(model *m, const char *path, const char *fmt,
                                                      ...)
{
    int n = snprintf(m->err, sizeof m->err, "%s: ", path[0] ? path : "(document)");
    if (n < 0 || (size_t)n >= sizeof m->err)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err + n, sizeof m->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(model *m)
{
    snprintf(m->err, sizeof m->err, "out of memory");
    return -1;
}

/* Paths are far shorter than PATH_LEN; a longer one is cut (and marked). */
static void mark_cut(char *out, int n)
{
    if (n < 0 || n >= PATH_LEN)
        memcpy(out + PATH_LEN - 4, "...", 4);
}

static void child(char *out, const char *path, const char *key)
{
    mark_cut(out, snprintf(out, PATH_LEN, "%s%s%s", path, path[0] ? "." : "", key));
}

static void elem(char *out, const char *path, size_t i)
{
    mark_cut(out, snprintf(out, PATH_LEN, "%s[%zu]", path, i));
}

static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a number";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "?";
}

/* UTF-8 characters of a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Checks that v is an object whose keys are all in `allowed` (NULL ended) or
 * "notes" (a string, for comments; ignored). */
static int expect_object(model *m, json_object *v, const char *path, const char *const *allowed)
{
    if (!json_object_is_type(v, json_type_object))
        return fail(m, path, "must be an object, is %s", type_name(v));
    json_object_object_foreach(v, key, val)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        char p[PATH_LEN];
        child(p, path, key);
        if (strcmp(key, "notes") == 0) {
            if (!json_object_is_type(val, json_type_string))
                return fail(m, p, "must be a string");
            continue;
        }
        if (!ok)
            return fail(m, p, "unknown field");
    }
    return 0;
}

/* The member `key` of an object, or NULL when absent or null (then an error
 * if required: the return value tells). */
static int member(model *m, json_object *obj, const char *path, const char *key, int required,
                  json_object **out)
{
    *out = NULL;
    if (json_object_object_get_ex(obj, key, out) && *out != NULL)
        return 0;
    *out = NULL;
    if (required) {
        char p[PATH_LEN];
        child(p, path, key);
        return fail(m, p, "is required");
    }
    return 0;
}

static int get_string(model *m, json_object *obj, const char *path, const char *key, int required,
                      const char **out)
{
    json_object *v;
    *out = NULL;
    if (member(m, obj, path, key, required, &v) != 0)
        return -1;
    if (v == NULL)
        return 0;
    char p[PATH_LEN];
    child(p, path, key);
    if (!json_object_is_type(v, json_type_string))
        return fail(m, p, "must be a string, is %s", type_name(v));
    const char *s = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) != strlen(s))
        return fail(m, p, "contains a NUL character");
    if (s[0] == '\0')
        return fail(m, p, "must not be empty");
    *out = s;
    return 0;
}

static int get_id(model *m, json_object *obj, const char *path, const char *key, int required,
                  const char **out)
{
    if (get_string(m, obj, path, key, required, out) != 0)
        return -1;
    if (*out != NULL && !fq_valid_id(*out)) {
        char p[PATH_LEN];
        child(p, path, key);
        return fail(m, p,
                    "'%s' is not a valid id (1-64 of a-z 0-9 . _ -, starting with a letter or "
                    "digit)",
                    *out);
    }
    return 0;
}

static int get_name(model *m, json_object *obj, const char *path, const char *key, int required,
                    size_t max_chars, const char **out)
{
    if (get_string(m, obj, path, key, required, out) != 0)
        return -1;
    if (*out != NULL && utf8_chars(*out) > max_chars) {
        char p[PATH_LEN];
        child(p, path, key);
        return fail(m, p, "longer than %zu characters", max_chars);
    }
    return 0;
}

static int get_line(model *m, json_object *obj, const char *path, const char *key, int required,
                    const char **out)
{
    if (get_string(m, obj, path, key, required, out) != 0)
        return -1;
    if (*out != NULL && fq_line_parse(*out) < 0) {
        char p[PATH_LEN];
        child(p, path, key);
        return fail(m, p, "unknown line '%s' (governance, market, enforcement or services)", *out);
    }
    return 0;
}

/* An optional array member; *n = 0 when absent. */
static int get_array(model *m, json_object *obj, const char *path, const char *key,
                     json_object **out, size_t *n)
{
    *n = 0;
    if (member(m, obj, path, key, 0, out) != 0)
        return -1;
    if (*out == NULL)
        return 0;
    if (!json_object_is_type(*out, json_type_array)) {
        char p[PATH_LEN];
        child(p, path, key);
        return fail(m, p, "must be an array, is %s", type_name(*out));
    }
    *n = json_object_array_length(*out);
    return 0;
}

/* Records that `key` was used at `path`; an error naming both places when it
 * was used before. */
static int claim(model *m, seen **set, const char *key, const char *path, const char *what)
{
    seen *s;
    HASH_FIND_STR(*set, key, s);
    if (s != NULL)
        return fail(m, path, "%s %s appears twice (first at %s)", what, key, s->path);
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return oom(m);
    s->key = key;
    snprintf(s->path, sizeof s->path, "%s", path);
    HASH_ADD_KEYPTR(hh, *set, s->key, strlen(s->key), s);
    return 0;
}

static void clear_set(seen **set)
{
    seen *s, *tmp;
    HASH_ITER(hh, *set, s, tmp)
    {
        HASH_DEL(*set, s);
        free(s);
    }
}

/* ---- records ---- */

/* Reads {id, name} (plus `extra` allowed keys) at path; claims the id. */
static int id_and_name(model *m, json_object *obj, const char *path, const char *const *allowed,
                       const char **id, const char **name)
{
    if (expect_object(m, obj, path, allowed) != 0 || get_id(m, obj, path, "id", 1, id) != 0 ||
        get_name(m, obj, path, "name", 1, NAME_MAX_CHARS, name) != 0)
        return -1;
    char p[PATH_LEN];
    child(p, path, "id");
    return claim(m, &m->ids, *id, p, "id");
}

static int add_unit(model *m, const char *path, const char *id, const char *kind,
                    const char *parent, const char *name)
{
    unit_rec *u = PUSH(m, units);
    if (u == NULL)
        return oom(m);
    snprintf(u->path, sizeof u->path, "%s", path);
    u->id = id;
    u->kind = kind;
    u->parent = parent;
    u->name = name;
    return 0;
}

static int add_handler(model *m, const char *path, const char *id, const char *kind,
                       const char *territory, const char *line, const char *code, const char *name)
{
    handler_rec *h = PUSH(m, handlers);
    if (h == NULL)
        return oom(m);
    snprintf(h->path, sizeof h->path, "%s", path);
    h->id = id;
    h->kind = kind;
    h->territory = territory;
    h->line = line;
    h->code = code;
    h->name = name;
    return 0;
}

/* A handler given as {id, name} under `key` of obj. */
static int plain_handler(model *m, json_object *obj, const char *path, const char *key,
                         const char *kind, const char *territory, const char *line)
{
    static const char *const allowed[] = {"id", "name", NULL};
    json_object *v;
    char p[PATH_LEN];
    child(p, path, key);
    const char *id, *name;
    if (member(m, obj, path, key, 1, &v) != 0 || id_and_name(m, v, p, allowed, &id, &name) != 0)
        return -1;
    return add_handler(m, p, id, kind, territory, line, NULL, name);
}

static int parse_district(model *m, json_object *d)
{
    static const char *const allowed[] = {"id", "name", "center", "departments", NULL};
    static const char *const dept_allowed[] = {"id", "code", "name", "line", NULL};
    const char *id, *name;
    if (id_and_name(m, d, "district", allowed, &id, &name) != 0 ||
        add_unit(m, "district", id, "district", NULL, name) != 0)
        return -1;
    m->district = id;
    if (plain_handler(m, d, "district", "center", "center", id, NULL) != 0)
        return -1;
    json_object *depts;
    size_t n;
    if (get_array(m, d, "district", "departments", &depts, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], q[PATH_LEN];
        elem(p, "district.departments", i);
        json_object *o = json_object_array_get_idx(depts, i);
        const char *did, *dname, *code, *line;
        if (id_and_name(m, o, p, dept_allowed, &did, &dname) != 0 ||
            get_id(m, o, p, "code", 1, &code) != 0 || get_line(m, o, p, "line", 0, &line) != 0)
            return -1;
        child(q, p, "code");
        if (claim(m, &m->codes, code, q, "department code") != 0)
            return -1;
        if (line != NULL) {
            int l = fq_line_parse(line);
            child(q, p, "line");
            if (m->dept_line_path[l][0])
                return fail(m, q, "line %s is already led by the department at %s", line,
                            m->dept_line_path[l]);
            snprintf(m->dept_line_path[l], PATH_LEN, "%s", p);
        }
        if (add_handler(m, p, did, "department", id, line, code, dname) != 0)
            return -1;
    }
    return 0;
}

static int parse_polygon(model *m, json_object *g, const char *path, const char *grid)
{
    json_object *v;
    char p[PATH_LEN];
    child(p, path, "polygon");
    if (member(m, g, path, "polygon", 1, &v) != 0)
        return -1;
    if (!json_object_is_type(v, json_type_array))
        return fail(m, p, "must be an array of [lon, lat] pairs, is %s", type_name(v));
    size_t n = json_object_array_length(v);
    if (n < 3)
        return fail(m, p, "ring has %zu vert%s; at least 3", n, n == 1 ? "ex" : "ices");
    if (n > FQ_GEO_MAX_VERTICES)
        return fail(m, p, "ring has %zu vertices; at most %d", n, FQ_GEO_MAX_VERTICES);
    polygon_rec *poly = PUSH(m, polygons);
    if (poly == NULL || (poly->ring = malloc(2 * n * sizeof(double))) == NULL)
        return oom(m);
    snprintf(poly->path, sizeof poly->path, "%s", p);
    poly->grid = grid;
    poly->n = n;
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *pt = json_object_array_get_idx(v, i);
        if (!json_object_is_type(pt, json_type_array) || json_object_array_length(pt) != 2)
            return fail(m, q, "must be a [lon, lat] pair");
        for (size_t k = 0; k < 2; k++) {
            json_object *c = json_object_array_get_idx(pt, k);
            if (!json_object_is_type(c, json_type_double) && !json_object_is_type(c, json_type_int))
                return fail(m, q, "%s must be a number, is %s", k ? "lat" : "lon", type_name(c));
            double x = json_object_get_double(c);
            double lim = k ? 90 : 180;
            if (!(x >= -lim && x <= lim))
                return fail(m, q, "%s %.10g is out of range (-%g..%g)", k ? "lat" : "lon", x, lim,
                            lim);
            poly->ring[2 * i + k] = x;
        }
    }
    /* The server's own check: distinct vertices, area. */
    char gerr[256];
    if (fq_geo_builder_add(m->geo, (int32_t)m->n_polygons, poly->ring, n, gerr, sizeof gerr) != 0) {
        const char *msg = strstr(gerr, ": ");
        return fail(m, p, "%s", msg != NULL && strncmp(gerr, "grid ", 5) == 0 ? msg + 2 : gerr);
    }
    return 0;
}

static int parse_worker(model *m, json_object *o, const char *path, const char *grid)
{
    static const char *const allowed[] = {"id", "name", "phone", "capacity", "on_duty", NULL};
    const char *id, *name, *phone;
    json_object *cap, *duty;
    char p[PATH_LEN];
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        get_name(m, o, path, "phone", 0, PHONE_MAX_CHARS, &phone) != 0 ||
        member(m, o, path, "capacity", 1, &cap) != 0 ||
        member(m, o, path, "on_duty", 0, &duty) != 0)
        return -1;
    child(p, path, "capacity");
    if (!json_object_is_type(cap, json_type_int))
        return fail(m, p, "must be an integer, is %s", type_name(cap));
    int64_t c = json_object_get_int64(cap);
    if (c < 1 || c > 65535)
        return fail(m, p, "%lld is out of range (1-65535)", (long long)c);
    child(p, path, "on_duty");
    if (duty != NULL && !json_object_is_type(duty, json_type_boolean))
        return fail(m, p, "must be true or false, is %s", type_name(duty));
    worker_rec *w = PUSH(m, workers);
    if (w == NULL)
        return oom(m);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->id = id;
    w->grid = grid;
    w->name = name;
    w->phone = phone ? phone : "";
    w->capacity = (int)c;
    w->on_duty = duty == NULL || json_object_get_boolean(duty);
    return 0;
}

static int parse_grid(model *m, json_object *o, const char *path, const char *village)
{
    static const char *const allowed[] = {"id", "name", "polygon", "workers", NULL};
    const char *id, *name;
    json_object *workers;
    size_t n;
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        add_unit(m, path, id, "grid", village, name) != 0 || parse_polygon(m, o, path, id) != 0 ||
        get_array(m, o, path, "workers", &workers, &n) != 0)
        return -1;
    m->n_grids++;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], q[PATH_LEN];
        child(q, path, "workers");
        elem(p, q, i);
        if (parse_worker(m, json_object_array_get_idx(workers, i), p, id) != 0)
            return -1;
    }
    return 0;
}

static int parse_village(model *m, json_object *o, const char *path, const char *town)
{
    static const char *const allowed[] = {"id", "name", "unit", "grids", NULL};
    const char *id, *name;
    json_object *grids;
    size_t n;
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        add_unit(m, path, id, "village", town, name) != 0 ||
        plain_handler(m, o, path, "unit", "village", id, NULL) != 0 ||
        get_array(m, o, path, "grids", &grids, &n) != 0)
        return -1;
    m->n_villages++;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], q[PATH_LEN];
        child(q, path, "grids");
        elem(p, q, i);
        if (parse_grid(m, json_object_array_get_idx(grids, i), p, id) != 0)
            return -1;
    }
    return 0;
}

static int parse_town(model *m, json_object *o, const char *path)
{
    static const char *const allowed[] = {"id", "name", "lines", "villages", NULL};
    static const char *const line_keys[] = {"governance", "market", "enforcement", "services",
                                            NULL};
    const char *id, *name;
    json_object *lines, *villages;
    size_t n;
    char p[PATH_LEN];
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        add_unit(m, path, id, "town", m->district, name) != 0 ||
        member(m, o, path, "lines", 1, &lines) != 0)
        return -1;
    child(p, path, "lines");
    if (expect_object(m, lines, p, line_keys) != 0)
        return -1;
    for (int l = 0; l < FQ_LINE_COUNT; l++)
        if (plain_handler(m, lines, p, line_keys[l], "town_line", id, line_keys[l]) != 0)
            return -1;
    if (get_array(m, o, path, "villages", &villages, &n) != 0)
        return -1;
    m->n_towns++;
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        child(q, path, "villages");
        elem(p, q, i);
        if (parse_village(m, json_object_array_get_idx(villages, i), p, id) != 0)
            return -1;
    }
    return 0;
}

static int parse_category(model *m, json_object *o, const char *path)
{
    static const char *const allowed[] = {"code", "name", "line", NULL};
    const char *code, *name, *line;
    char p[PATH_LEN];
    if (expect_object(m, o, path, allowed) != 0 || get_id(m, o, path, "code", 1, &code) != 0 ||
        get_name(m, o, path, "name", 1, NAME_MAX_CHARS, &name) != 0 ||
        get_line(m, o, path, "line", 1, &line) != 0)
        return -1;
    child(p, path, "code");
    if (claim(m, &m->category_codes, code, p, "category") != 0)
        return -1;
    category_rec *c = PUSH(m, categories);
    if (c == NULL)
        return oom(m);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->code = code;
    c->name = name;
    c->line = line;
    return 0;
}

static int get_duration(model *m, json_object *o, const char *path, const char *key, int allow_zero,
                        uint32_t *out)
{
    const char *s;
    char p[PATH_LEN], derr[160];
    if (get_string(m, o, path, key, 1, &s) != 0)
        return -1;
    child(p, path, key);
    if (fq_duration_parse(s, allow_zero, out, derr, sizeof derr) != 0)
        return fail(m, p, "%s", derr);
    return 0;
}

static int parse_rule(model *m, json_object *o, const char *path)
{
    static const char *const allowed[] = {
        "category", "severity", "risk",     "tier",          "line", "co",
        "ack",      "ack_warn", "conclude", "conclude_warn", NULL};
    static const char *const severities[] = {"I", "II", "III", "IV", NULL};
    static const char *const risks[] = {"low", "medium", "high", NULL};
    rule_rec *r = PUSH(m, rules);
    if (r == NULL)
        return oom(m);
    snprintf(r->path, sizeof r->path, "%s", path);
    const char *sev, *risk;
    char p[PATH_LEN];
    if (expect_object(m, o, path, allowed) != 0 ||
        get_id(m, o, path, "category", 0, &r->category) != 0 ||
        get_string(m, o, path, "severity", 0, &sev) != 0 ||
        get_string(m, o, path, "risk", 0, &risk) != 0 ||
        get_string(m, o, path, "tier", 1, &r->tier) != 0 ||
        get_line(m, o, path, "line", 0, &r->line) != 0)
        return -1;
    if (sev != NULL) {
        for (int i = 0; severities[i] && r->severity == 0; i++)
            if (strcmp(sev, severities[i]) == 0)
                r->severity = i + 1;
        child(p, path, "severity");
        if (r->severity == 0)
            return fail(m, p, "unknown severity '%s' (I, II, III or IV)", sev);
    }
    if (risk != NULL) {
        for (int i = 0; risks[i] && r->risk == 0; i++)
            if (strcmp(risk, risks[i]) == 0)
                r->risk = i + 1;
        child(p, path, "risk");
        if (r->risk == 0)
            return fail(m, p, "unknown risk '%s' (low, medium or high)", risk);
    }
    child(p, path, "tier");
    if (fq_tier_parse(r->tier) == 0)
        return fail(m, p, "unknown tier '%s' (village, town or district)", r->tier);
    json_object *co;
    size_t n;
    if (get_array(m, o, path, "co", &co, &n) != 0)
        return -1;
    child(p, path, "co");
    if (n > FQ_RULE_MAX_CO)
        return fail(m, p, "%zu co-handling departments; at most %d", n, FQ_RULE_MAX_CO);
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *c = json_object_array_get_idx(co, i);
        const char *code = json_object_get_string(c);
        if (!json_object_is_type(c, json_type_string) || !fq_valid_id(code))
            return fail(m, q, "must be a department code");
        for (int j = 0; j < r->n_co; j++)
            if (strcmp(r->co[j], code) == 0)
                return fail(m, q, "department %s is named twice", code);
        r->co[r->n_co++] = code;
    }
    if (get_duration(m, o, path, "ack", 0, &r->ack) != 0 ||
        get_duration(m, o, path, "ack_warn", 1, &r->ack_warn) != 0 ||
        get_duration(m, o, path, "conclude", 0, &r->conclude) != 0 ||
        get_duration(m, o, path, "conclude_warn", 1, &r->conclude_warn) != 0)
        return -1;
    child(p, path, "ack_warn");
    if (r->ack_warn >= r->ack)
        return fail(m, p, "the warning must come before the limit (shorter than ack)");
    child(p, path, "conclude_warn");
    if (r->conclude_warn >= r->conclude)
        return fail(m, p, "the warning must come before the limit (shorter than conclude)");
    child(p, path, "conclude");
    if (r->ack > r->conclude)
        return fail(m, p, "shorter than ack: acknowledging cannot take longer than concluding");
    /* Two rules with the same key decide the same cells with the same
     * specificity: the compiler refuses that, so refuse it here with paths. */
    char key[FQ_ID_MAX_LEN + 16];
    snprintf(key, sizeof key, "%s/%d/%d", r->category ? r->category : "*", r->severity, r->risk);
    seen *s;
    HASH_FIND_STR(m->rule_keys, key, s);
    if (s != NULL)
        return fail(m, path, "same category, severity and risk as %s", s->path);
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->key = strdup(key)) == NULL) {
        free(s);
        return oom(m);
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    HASH_ADD_KEYPTR(hh, m->rule_keys, s->key, strlen(s->key), s);
    return 0;
}

static int parse_document(model *m)
{
    static const char *const allowed[] = {"schema",     "district", "towns",
                                          "categories", "rules",    NULL};
    const char *schema;
    if (expect_object(m, m->root, "", allowed) != 0 ||
        get_string(m, m->root, "", "schema", 1, &schema) != 0)
        return -1;
    if (strcmp(schema, TOPOLOGY_SCHEMA) != 0)
        return fail(m, "schema", "'%s' is not a schema this version reads (%s)", schema,
                    TOPOLOGY_SCHEMA);
    json_object *district, *arr;
    size_t n;
    if (member(m, m->root, "", "district", 0, &district) != 0)
        return -1;
    if (district != NULL && parse_district(m, district) != 0)
        return -1;
    if (get_array(m, m->root, "", "towns", &arr, &n) != 0)
        return -1;
    if (n > 0 && district == NULL)
        return fail(m, "towns", "towns need the district they belong to (\"district\")");
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN];
        elem(p, "towns", i);
        if (parse_town(m, json_object_array_get_idx(arr, i), p) != 0)
            return -1;
    }
    if (get_array(m, m->root, "", "categories", &arr, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN];
        elem(p, "categories", i);
        if (parse_category(m, json_object_array_get_idx(arr, i), p) != 0)
            return -1;
    }
    if (get_array(m, m->root, "", "rules", &arr, &n) != 0)
        return -1;
    m->has_rules = arr != NULL;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN];
        elem(p, "rules", i);
        if (parse_rule(m, json_object_array_get_idx(arr, i), p) != 0)
            return -1;
    }
    return 0;
}

/* Reads and parses the file into m->root; errors give line and column. */
static int read_document(model *m, const char *file)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (f == NULL) {
        snprintf(m->err, sizeof m->err, "cannot open: %s", strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *grown = cap <= FILE_MAX_BYTES + 65536 ? realloc(buf, cap) : NULL;
            if (grown == NULL) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                snprintf(m->err, sizeof m->err, "too large (at most %u MiB)", FILE_MAX_BYTES >> 20);
                return -1;
            }
            buf = grown;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int read_error = ferror(f);
    if (f != stdin)
        fclose(f);
    if (read_error) {
        free(buf);
        snprintf(m->err, sizeof m->err, "read error");
        return -1;
    }
    json_tokener *tok = json_tokener_new_ex(64);
    if (tok == NULL) {
        free(buf);
        return oom(m);
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    m->root = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    const char *why = NULL;
    if (jerr == json_tokener_success) {
        /* Nothing but white space may follow the document. */
        while (off < len && strchr(" \t\r\n", buf[off]) != NULL)
            off++;
        if (off < len)
            why = "text after the document";
    } else if (jerr == json_tokener_continue) {
        off = len;
        why = "unexpected end of file";
    } else {
        why = json_tokener_error_desc(jerr);
    }
    if (why != NULL) {
        json_object_put(m->root);
        m->root = NULL;
        size_t line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++, col++)
            if (buf[i] == '\n') {
                line++;
                col = 0;
            }
        snprintf(m->err, sizeof m->err, "line %zu, column %zu: not valid JSON: %s", line, col, why);
    }
    json_tokener_free(tok);
    free(buf);
    return m->root != NULL ? 0 : -1;
}

static void model_free(model *m)
{
    for (size_t i = 0; i < m->n_polygons; i++)
        free(m->polygons[i].ring);
    free(m->units);
    free(m->handlers);
    free(m->workers);
    free(m->polygons);
    free(m->categories);
    free(m->rules);
    clear_set(&m->ids);
    clear_set(&m->codes);
    clear_set(&m->category_codes);
    seen *s, *tmp;
    HASH_ITER(hh, m->rule_keys, s, tmp)
    {
        HASH_DEL(m->rule_keys, s);
        free((char *)s->key);
        free(s);
    }
    fq_geo_builder_free(m->geo);
    if (m->root)
        json_object_put(m->root);
}

/* Reads and checks a whole topology file into a zeroed model (phase 1);
 * on failure m->err says why. Either way the caller frees with model_free. */
static int load_model(model *m, const char *file)
{
    memset(m, 0, sizeof *m);
    m->geo = fq_geo_builder_new();
    if (m->geo == NULL)
        return oom(m);
    if (read_document(m, file) != 0 || parse_document(m) != 0)
        return -1;
    return 0;
}

/* ---- the rules of a file, for other commands (replay) ---- */

struct admin_rules_file {
    model m;
    fq_rule_row *rows;
};

admin_rules_file *admin_rules_file_read(const char *file, char *err, size_t err_len)
{
    admin_rules_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (load_model(&f->m, file) != 0) {
        snprintf(err, err_len, "%s", f->m.err);
        admin_rules_file_free(f);
        return NULL;
    }
    f->rows = calloc(f->m.n_rules + 1, sizeof *f->rows);
    if (f->rows == NULL) {
        snprintf(err, err_len, "out of memory");
        admin_rules_file_free(f);
        return NULL;
    }
    for (size_t i = 0; i < f->m.n_rules; i++) {
        const rule_rec *r = &f->m.rules[i];
        fq_rule_row *row = &f->rows[i];
        row->id = (uint32_t)(i + 1); /* the rule's position in the file */
        row->category = r->category;
        row->severity = r->severity;
        row->risk = r->risk;
        row->tier = (fq_tier)fq_tier_parse(r->tier);
        row->line = r->line != NULL ? fq_line_parse(r->line) : -1;
        for (int c = 0; c < r->n_co; c++)
            row->co[c] = r->co[c];
        row->n_co = r->n_co;
        row->ack_s = r->ack;
        row->ack_warn_s = r->ack_warn;
        row->conclude_s = r->conclude;
        row->conclude_warn_s = r->conclude_warn;
    }
    return f;
}

const fq_rule_row *admin_rules_file_rows(const admin_rules_file *f, size_t *n, int *has_rules)
{
    *n = f->m.n_rules;
    *has_rules = f->m.has_rules;
    return f->rows;
}

void admin_rules_file_free(admin_rules_file *f)
{
    if (f == NULL)
        return;
    model_free(&f->m);
    free(f->rows);
    free(f);
}

/* ---- the database ---- */

static int exec_ok(PGconn *conn, PGresult *res)
{
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    return ok;
}

static int exec_sql(PGconn *conn, const char *sql)
{
    return exec_ok(conn, PQexec(conn, sql));
}

static json_object *jstr(const char *s)
{
    return s != NULL ? json_object_new_string(s) : NULL;
}

/* Creates temporary table `name` (dropped at commit) with `columns` and fills
 * it from `rows`, a JSON array of objects (consumed). */
static int stage(PGconn *conn, const char *name, const char *columns, json_object *rows)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s (%s) ON COMMIT DROP", name, columns);
    int ok = exec_sql(conn, sql);
    if (ok) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO %s SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(%s)", name,
                 columns);
        const char *params[1] = {json_object_to_json_string_ext(
            rows, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)};
        ok = params[0] != NULL &&
             exec_ok(conn, PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0));
    }
    json_object_put(rows);
    return ok ? 0 : -1;
}

static json_object *row(int ord, const char *path)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ord", json_object_new_int(ord));
    json_object_object_add(o, "path", json_object_new_string(path));
    return o;
}

/* The ring as a float8[] literal; every double printed so it reads back
 * exactly. */
static char *ring_literal(const polygon_rec *p)
{
    size_t cap = p->n * 2 * 26 + 3;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    size_t len = 0;
    s[len++] = '{';
    for (size_t i = 0; i < 2 * p->n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%.17g", i ? "," : "", p->ring[i]);
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

static int stage_all(PGconn *conn, const model *m)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < m->n_units; i++) {
        const unit_rec *u = &m->units[i];
        json_object *o = row((int)i, u->path);
        json_object_object_add(o, "id", jstr(u->id));
        json_object_object_add(o, "kind", jstr(u->kind));
        json_object_object_add(o, "parent_id", jstr(u->parent));
        json_object_object_add(o, "name", jstr(u->name));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_units",
              "ord int, path text, id text, kind text, parent_id text, name text", a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_handlers; i++) {
        const handler_rec *h = &m->handlers[i];
        json_object *o = row((int)i, h->path);
        json_object_object_add(o, "id", jstr(h->id));
        json_object_object_add(o, "kind", jstr(h->kind));
        json_object_object_add(o, "territory", jstr(h->territory));
        json_object_object_add(o, "line", jstr(h->line));
        json_object_object_add(o, "code", jstr(h->code));
        json_object_object_add(o, "name", jstr(h->name));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_handlers",
              "ord int, path text, id text, kind text, territory text, line text, code text, "
              "name text",
              a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_workers; i++) {
        const worker_rec *w = &m->workers[i];
        json_object *o = row((int)i, w->path);
        json_object_object_add(o, "id", jstr(w->id));
        json_object_object_add(o, "grid", jstr(w->grid));
        json_object_object_add(o, "name", jstr(w->name));
        json_object_object_add(o, "phone", jstr(w->phone));
        json_object_object_add(o, "capacity", json_object_new_int(w->capacity));
        json_object_object_add(o, "on_duty", json_object_new_boolean(w->on_duty));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_workers",
              "ord int, path text, id text, grid text, name text, phone text, capacity int, "
              "on_duty boolean",
              a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_polygons; i++) {
        const polygon_rec *p = &m->polygons[i];
        char *lit = ring_literal(p);
        if (lit == NULL) {
            json_object_put(a);
            return -1;
        }
        json_object *o = row((int)i, p->path);
        json_object_object_add(o, "grid", jstr(p->grid));
        json_object_object_add(o, "ring", jstr(lit));
        free(lit);
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_polygons", "ord int, path text, grid text, ring text", a) != 0 ||
        exec_sql(conn,
                 "ALTER TABLE stage_polygons ALTER ring TYPE float8[] USING ring::float8[]") == 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_categories; i++) {
        const category_rec *c = &m->categories[i];
        json_object *o = row((int)i, c->path);
        json_object_object_add(o, "code", jstr(c->code));
        json_object_object_add(o, "line", jstr(c->line));
        json_object_object_add(o, "name", jstr(c->name));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_categories", "ord int, path text, code text, line text, name text", a) !=
        0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_rules; i++) {
        const rule_rec *r = &m->rules[i];
        json_object *o = row((int)i, r->path);
        json_object_object_add(o, "category", jstr(r->category));
        json_object_object_add(o, "severity", json_object_new_int(r->severity));
        json_object_object_add(o, "risk", json_object_new_int(r->risk));
        json_object_object_add(o, "tier", jstr(r->tier));
        json_object_object_add(o, "line", jstr(r->line));
        json_object *co = json_object_new_array();
        for (int j = 0; j < r->n_co; j++)
            json_object_array_add(co, json_object_new_string(r->co[j]));
        json_object_object_add(o, "co", co);
        json_object_object_add(o, "ack_s", json_object_new_int64(r->ack));
        json_object_object_add(o, "ack_warn_s", json_object_new_int64(r->ack_warn));
        json_object_object_add(o, "conclude_s", json_object_new_int64(r->conclude));
        json_object_object_add(o, "conclude_warn_s", json_object_new_int64(r->conclude_warn));
        json_object_array_add(a, o);
    }
    return stage(conn, "stage_rules",
                 "ord int, path text, category text, severity smallint, risk smallint, tier text, "
                 "line text, co text[], ack_s int, ack_warn_s int, conclude_s int, "
                 "conclude_warn_s int",
                 a);
}

/* Checks against the database. Each query returns at most one row: the JSON
 * path and the message of the first problem. */
static const char *const always_checks[] = {
    /* Kinds never change. */
    "SELECT s.path || '.id', format('%s is a %s in the database, not a %s; a unit''s kind never"
    " changes', s.id, u.kind, s.kind)"
    " FROM stage_units s JOIN org_units u USING (id) WHERE u.kind <> s.kind ORDER BY s.ord LIMIT 1",
    "SELECT s.path || '.id', format('handler %s is a %s in the database, not a %s; a handler''s"
    " kind never changes', s.id, h.kind, s.kind)"
    " FROM stage_handlers s JOIN handlers h USING (id) WHERE h.kind <> s.kind ORDER BY s.ord"
    " LIMIT 1",
    /* A post held in the database by a handler the file does not mention. */
    "SELECT s.path, format('the %s of %s is already held by handler %s in the database',"
    "  CASE s.kind WHEN 'center' THEN 'command center' WHEN 'village' THEN 'village unit'"
    "  WHEN 'town_line' THEN s.line || ' line' ELSE CASE WHEN h.code = s.code"
    "  THEN 'department ' || s.code ELSE 'department leading ' || s.line END END,"
    "  s.territory, h.id)"
    " FROM stage_handlers s JOIN handlers h ON h.territory = s.territory AND h.kind = s.kind"
    "  AND h.id <> s.id AND (s.kind IN ('center', 'village')"
    "   OR (s.kind = 'town_line' AND h.line = s.line)"
    "   OR (s.kind = 'department' AND (h.code = s.code OR h.line = s.line)))"
    " WHERE NOT EXISTS (SELECT 1 FROM stage_handlers o WHERE o.id = h.id)"
    " ORDER BY s.ord LIMIT 1",
    /* What rules refer to must exist, in the file or in the database. */
    "SELECT r.path || '.category', format('unknown category %s (not in \"categories\" nor in the"
    " database)', r.category) FROM stage_rules r WHERE r.category IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM stage_categories c WHERE c.code = r.category)"
    " AND NOT EXISTS (SELECT 1 FROM categories c WHERE c.code = r.category)"
    " ORDER BY r.ord LIMIT 1",
    "SELECT r.path || '.co[' || (c.i - 1) || ']', format('no department has code %s', c.code)"
    " FROM stage_rules r, unnest(r.co) WITH ORDINALITY AS c (code, i)"
    " WHERE NOT EXISTS (SELECT 1 FROM stage_handlers h WHERE h.kind = 'department'"
    "  AND h.code = c.code)"
    " AND NOT EXISTS (SELECT 1 FROM handlers h WHERE h.kind = 'department' AND h.code = c.code)"
    " ORDER BY r.ord, c.i LIMIT 1",
    NULL};

#define DIFFERS " WHERE d.db IS DISTINCT FROM d.file ORDER BY s.ord, d.n LIMIT 1"
#define REPLACE_HINT "; give --replace to overwrite"

static const char *const content_checks[] = {
    "SELECT s.path || CASE WHEN d.key = '' THEN '' ELSE '.' || d.key END,"
    " format('unit %s already exists with %s %s; the file says %s" REPLACE_HINT "', s.id,"
    "  d.field, coalesce(quote_literal(d.db), 'none'), coalesce(quote_literal(d.file), 'none'))"
    " FROM stage_units s JOIN org_units u USING (id) CROSS JOIN LATERAL (VALUES"
    "  (1, 'parent', '', u.parent_id, s.parent_id), (2, 'name', 'name', u.name, s.name))"
    "  AS d (n, field, key, db, file)" DIFFERS,
    "SELECT s.path || CASE WHEN d.key = '' THEN '' ELSE '.' || d.key END,"
    " format('handler %s already exists with %s %s; the file says %s" REPLACE_HINT "', s.id,"
    "  d.field, coalesce(quote_literal(d.db), 'none'), coalesce(quote_literal(d.file), 'none'))"
    " FROM stage_handlers s JOIN handlers h USING (id) CROSS JOIN LATERAL (VALUES"
    "  (1, 'territory', '', h.territory, s.territory), (2, 'line', 'line', h.line, s.line),"
    "  (3, 'code', 'code', h.code, s.code), (4, 'name', 'name', h.name, s.name))"
    "  AS d (n, field, key, db, file)" DIFFERS,
    "SELECT s.path || CASE WHEN d.key = '' THEN '' ELSE '.' || d.key END,"
    " format('worker %s already exists with %s %s; the file says %s" REPLACE_HINT "', s.id,"
    "  d.field, coalesce(quote_literal(d.db), 'none'), coalesce(quote_literal(d.file), 'none'))"
    " FROM stage_workers s JOIN workers w USING (id) CROSS JOIN LATERAL (VALUES"
    "  (1, 'grid', '', w.grid, s.grid), (2, 'name', 'name', w.name, s.name),"
    "  (3, 'phone', 'phone', w.phone, s.phone),"
    "  (4, 'capacity', 'capacity', w.capacity::text, s.capacity::text))"
    "  AS d (n, field, key, db, file)" DIFFERS,
    "SELECT s.path, format('grid %s already has another polygon (%s vertices)" REPLACE_HINT "',"
    "  s.grid, cardinality(p.ring) / 2)"
    " FROM stage_polygons s JOIN grid_polygons p USING (grid) WHERE p.ring <> s.ring"
    " ORDER BY s.ord LIMIT 1",
    "SELECT s.path || '.' || d.key,"
    " format('category %s already exists with %s %s; the file says %s" REPLACE_HINT "', s.code,"
    "  d.key, quote_literal(d.db), quote_literal(d.file))"
    " FROM stage_categories s JOIN categories c USING (code) CROSS JOIN LATERAL (VALUES"
    "  (1, 'line', c.line, s.line), (2, 'name', c.name, s.name)) AS d (n, key, db, file)" DIFFERS,
    NULL};

/* Runs checks; 0, or -1 with the first problem (or the failure of a query)
 * in m->err. */
static int run_checks(PGconn *conn, const char *const *checks, model *m)
{
    for (const char *const *c = checks; *c; c++) {
        PGresult *res = PQexec(conn, *c);
        if (!admin_command_ok(conn, res)) {
            PQclear(res);
            snprintf(m->err, sizeof m->err, "checking against the database failed");
            return -1;
        }
        if (PQntuples(res) > 0) {
            fail(m, PQgetvalue(res, 0, 0), "%s", PQgetvalue(res, 0, 1));
            PQclear(res);
            return -1;
        }
        PQclear(res);
    }
    return 0;
}

typedef struct counts {
    long added, changed;
} counts;

/* Runs an upsert that returns one row (added, changed). */
static int upsert(PGconn *conn, const char *sql, counts *c)
{
    PGresult *res = PQexec(conn, sql);
    int ok = admin_command_ok(conn, res) && PQntuples(res) == 1;
    if (ok) {
        c->added = atol(PQgetvalue(res, 0, 0));
        c->changed = atol(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

#define COUNT_UPSERT(cte)                                                                          \
    "WITH up AS (" cte " RETURNING (xmax = 0) AS added)"                                           \
    " SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added) FROM up"

enum { T_UNITS, T_HANDLERS, T_WORKERS, T_POLYGONS, T_CATEGORIES, T_COUNT };

static const char *const upserts[T_COUNT] = {
    COUNT_UPSERT("INSERT INTO org_units (id, kind, parent_id, name)"
                 " SELECT id, kind, parent_id, name FROM stage_units ORDER BY ord"
                 " ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id,"
                 "  name = excluded.name"
                 " WHERE (org_units.parent_id, org_units.name)"
                 "  IS DISTINCT FROM (excluded.parent_id, excluded.name)"),
    COUNT_UPSERT("INSERT INTO handlers (id, kind, territory, line, code, name)"
                 " SELECT id, kind, territory, line, code, name FROM stage_handlers ORDER BY ord"
                 " ON CONFLICT (id) DO UPDATE SET territory = excluded.territory,"
                 "  line = excluded.line, code = excluded.code, name = excluded.name"
                 " WHERE (handlers.territory, handlers.line, handlers.code, handlers.name)"
                 "  IS DISTINCT FROM (excluded.territory, excluded.line, excluded.code,"
                 "  excluded.name)"),
    /* on_duty is run-time state: only a new worker takes it from the file. */
    COUNT_UPSERT("INSERT INTO workers (id, grid, name, phone, capacity, on_duty)"
                 " SELECT id, grid, name, phone, capacity, on_duty FROM stage_workers ORDER BY ord"
                 " ON CONFLICT (id) DO UPDATE SET grid = excluded.grid, name = excluded.name,"
                 "  phone = excluded.phone, capacity = excluded.capacity"
                 " WHERE (workers.grid, workers.name, workers.phone, workers.capacity)"
                 "  IS DISTINCT FROM (excluded.grid, excluded.name, excluded.phone,"
                 "  excluded.capacity)"),
    COUNT_UPSERT("INSERT INTO grid_polygons (grid, ring)"
                 " SELECT grid, ring FROM stage_polygons ORDER BY ord"
                 " ON CONFLICT (grid) DO UPDATE SET ring = excluded.ring, updated_at = now()"
                 " WHERE grid_polygons.ring <> excluded.ring"),
    COUNT_UPSERT("INSERT INTO categories (code, line, name)"
                 " SELECT code, line, name FROM stage_categories ORDER BY ord"
                 " ON CONFLICT (code) DO UPDATE SET line = excluded.line, name = excluded.name"
                 " WHERE (categories.line, categories.name)"
                 "  IS DISTINCT FROM (excluded.line, excluded.name)"),
};

#define RULE_KEY_ORDER "coalesce(category, ''), severity, risk"
#define RULE_JSON                                                                                  \
    "jsonb_build_array(category, severity, risk, tier, line, co, ack_s, ack_warn_s, conclude_s,"   \
    " conclude_warn_s)"

/* Inserts and activates a new rule set when the file's rules differ from the
 * active set. *version: the new version, or 0 when unchanged. */
static int write_rules(PGconn *conn, const char *by, const char *note, long *version)
{
    *version = 0;
    PGresult *res = PQexec(
        conn, "SELECT NOT EXISTS (SELECT 1 FROM rule_sets WHERE active) OR"
              " (SELECT coalesce(jsonb_agg(" RULE_JSON " ORDER BY " RULE_KEY_ORDER "), '[]')"
              "  FROM (SELECT category, severity, risk, tier, line, co_departments AS co, ack_s,"
              "   ack_warn_s, conclude_s, conclude_warn_s FROM rules JOIN rule_sets"
              "   ON rule_set = version AND active) r)"
              " IS DISTINCT FROM (SELECT coalesce(jsonb_agg(" RULE_JSON " ORDER BY " RULE_KEY_ORDER
              "), '[]') FROM stage_rules)");
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    int differs = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!differs)
        return 0;
    /* Versions count 1, 2, 3 ... with no gaps: the lock orders writers. */
    if (!exec_sql(conn, "LOCK TABLE rule_sets IN EXCLUSIVE MODE") ||
        !exec_sql(conn, "UPDATE rule_sets SET active = false, retired_at = now() WHERE active"))
        return -1;
    const char *params[2] = {by, note};
    res = PQexecParams(conn,
                       "INSERT INTO rule_sets (version, created_by, note, active)"
                       " SELECT coalesce(max(version), 0) + 1, coalesce($1, session_user), $2,"
                       " true FROM rule_sets RETURNING version",
                       2, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    *version = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,"
             " ack_s, ack_warn_s, conclude_s, conclude_warn_s)"
             " SELECT %ld, category, severity, risk, tier, line, co, ack_s, ack_warn_s,"
             " conclude_s, conclude_warn_s FROM stage_rules ORDER BY ord",
             *version);
    return exec_sql(conn, sql) ? 0 : -1;
}

/* ---- verification: load the database as the server will ---- */

static PGresult *select_rows(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Builds, inside the import's transaction, the routing snapshot the server
 * will build after the commit: the same statements.h queries, the same
 * loader (routing_state.c, which also applies FQ_GEO_MAX_VERTICES). 0 when
 * it loads; -1 with the server's own reason in err. Also refuses grids that
 * overlap (fq_geo_find_overlap): placement by coordinates is only well
 * defined when grids do not. */
/* The JSON path of grid `grid`'s polygon in the file, or "" (a grid only in
 * the database). */
static const char *polygon_path(const model *m, const char *grid)
{
    for (size_t i = 0; i < m->n_polygons; i++)
        if (strcmp(m->polygons[i].grid, grid) == 0)
            return m->polygons[i].path;
    return "";
}

/* Refuses polygons of different grids that overlap beyond the tolerance of
 * geo.h: 0, or -1 with both grids, where (a JSON path when the file has the
 * polygon), how much and a point inside the overlap in err. */
static int check_overlaps(const model *m, const fq_org *org, const PGresult *polygons, char *err,
                          size_t err_len)
{
    fq_geo_builder *b = fq_routing_polygons(org, polygons, err, err_len);
    if (b == NULL)
        return -1;
    fq_geo_overlap o;
    int found = fq_geo_find_overlap(b, &o);
    fq_geo_builder_free(b);
    if (found < 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (found == 0)
        return 0;
    /* Named in id order: the rows come in no particular order. */
    const char *a = fq_org_id(org, o.grid_a), *c = fq_org_id(org, o.grid_b);
    if (strcmp(a, c) > 0) {
        const char *t = a;
        a = c;
        c = t;
    }
    const char *pa = polygon_path(m, a), *pc = polygon_path(m, c);
    snprintf(err, err_len,
             "grids %s%s%s%s and %s%s%s%s overlap by about %.0f m² (%.1f%% of the smaller), e.g. "
             "at lon %.7f, lat %.7f; grids may share edges, and overlap by at most %g m² or "
             "%g%% of the smaller (docs/topology.md)",
             a, pa[0] ? " (" : "", pa, pa[0] ? ")" : "", c, pc[0] ? " (" : "", pc, pc[0] ? ")" : "",
             o.area_m2, 100 * o.share, o.lon, o.lat, FQ_GEO_OVERLAP_MIN_M2,
             100 * FQ_GEO_OVERLAP_SHARE);
    return -1;
}

static int verify_database(PGconn *conn, const model *m, char *err, size_t err_len)
{
    static const char *const loads[FQ_LOAD_COUNT] = FQ_SQL_LOADS;
    static const int wanted[] = {FQ_LOAD_UNITS,    FQ_LOAD_CATEGORIES, FQ_LOAD_RULES,
                                 FQ_LOAD_HANDLERS, FQ_LOAD_WORKERS,    FQ_LOAD_POLYGONS};
    PGresult *res[FQ_LOAD_COUNT] = {0};
    fq_org *org = NULL;
    fq_routing *routing = NULL;
    int rc = -1, overlap = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if ((res[wanted[i]] = select_rows(conn, loads[wanted[i]])) == NULL) {
            snprintf(err, err_len, "reading the database failed");
            goto done;
        }
    if ((org = fq_routing_org(res[FQ_LOAD_UNITS], err, err_len)) == NULL)
        goto done;
    routing =
        fq_routing_build(org, res[FQ_LOAD_CATEGORIES], res[FQ_LOAD_RULES], res[FQ_LOAD_HANDLERS],
                         res[FQ_LOAD_WORKERS], res[FQ_LOAD_POLYGONS], err, err_len);
    if (routing == NULL)
        goto done;
    if (check_overlaps(m, org, res[FQ_LOAD_POLYGONS], err, err_len) != 0) {
        overlap = 1;
        goto done;
    }
    rc = 0;
done:
    fq_routing_free(routing);
    fq_org_free(org);
    for (int i = 0; i < FQ_LOAD_COUNT; i++)
        PQclear(res[i]);
    return rc == 0 ? 0 : overlap ? -2 : -1;
}

/* ---- the command ---- */

static int import(PGconn *conn, model *m, int replace, const char *by, const char *note,
                  const char *file)
{
    counts c[T_COUNT];
    memset(c, 0, sizeof c);
    long version = 0;
    /* One import at a time; the key is fengqiao's migration key + 1. */
    if (!exec_sql(conn, "BEGIN") || !exec_sql(conn, "SELECT pg_advisory_xact_lock(7236111421)"))
        return -1;
    if (stage_all(conn, m) != 0)
        goto db_fail;
    if (run_checks(conn, always_checks, m) != 0 ||
        (!replace && run_checks(conn, content_checks, m) != 0))
        goto refused;
    for (int t = 0; t < T_COUNT; t++)
        if (upsert(conn, upserts[t], &c[t]) != 0)
            goto db_fail;
    if (m->has_rules && write_rules(conn, by, note, &version) != 0)
        goto db_fail;
    char verr[768];
    int verified = verify_database(conn, m, verr, sizeof verr);
    if (verified == -2) {
        snprintf(m->err, sizeof m->err, "%s", verr);
        goto refused;
    }
    if (verified != 0) {
        snprintf(m->err, sizeof m->err,
                 "the server could not load the topology after this import: %s", verr);
        goto refused;
    }
    long changes = version;
    for (int t = 0; t < T_COUNT; t++)
        changes += c[t].added + c[t].changed;
    if (changes > 0)
        admin_notify_server(conn);
    if (!exec_sql(conn, "COMMIT"))
        return -1;

    static const char *const names[T_COUNT] = {"units", "handlers", "workers", "polygons",
                                               "categories"};
    const size_t total[T_COUNT] = {m->n_units, m->n_handlers, m->n_workers, m->n_polygons,
                                   m->n_categories};
    printf("imported %s: %s%zu towns, %zu villages, %zu grids\n", file,
           m->district ? "district, " : "", m->n_towns, m->n_villages, m->n_grids);
    for (int t = 0; t < T_COUNT; t++)
        printf("  %-11s %6zu in file: %ld added, %ld changed, %ld unchanged\n", names[t], total[t],
               c[t].added, c[t].changed, (long)total[t] - c[t].added - c[t].changed);
    if (!m->has_rules)
        printf("  %-11s none in file: the active rule set stays\n", "rules");
    else if (version > 0)
        printf("  %-11s %6zu in file: version %ld created and activated\n", "rules", m->n_rules,
               version);
    else
        printf("  %-11s %6zu in file: the same as the active rule set, unchanged\n", "rules",
               m->n_rules);
    if (changes == 0)
        printf("nothing changed\n");
    return 0;
refused:
    exec_sql(conn, "ROLLBACK");
    fprintf(stderr, "fengqiao-admin: %s: %s\nnothing was imported\n", file, m->err);
    return 1;
db_fail:
    exec_sql(conn, "ROLLBACK");
    fprintf(stderr, "fengqiao-admin: %s: nothing was imported\n", file);
    return 1;
}

int cmd_import_topology(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin import-topology FILE [--replace] [--by NAME] [--note TEXT]\n"
        "Imports a district's topology from a JSON file (schema " TOPOLOGY_SCHEMA ", see\n"
        "docs/topology.md): the district, its command center and departments, towns with their\n"
        "four platform lines, villages/communities with their units, grids with polygons and\n"
        "grid workers, incident categories and routing rules. FILE '-' reads standard input.\n"
        "\n"
        "Everything is checked first; the first problem is reported with its JSON path and\n"
        "nothing is written. Then all is written in one transaction and a running server\n"
        "reloads. Importing the same file again changes nothing.\n"
        "\n"
        "  --replace     overwrite units, handlers, workers, polygons and categories that\n"
        "                exist with other content (without it such a difference is refused);\n"
        "                nothing is ever deleted, and a kind never changes\n"
        "  --by NAME     who makes a rule change (default: $USER, else the database user)\n"
        "  --note TEXT   why, recorded with a new rule set version\n"
        "When the file has \"rules\" that differ from the active rule set, they become a new\n"
        "rule set version, active from the commit on (fengqiao-admin rules history).\n";
    const char *file = NULL, *by = NULL, *note = NULL;
    int replace = 0;
    opt_slot slots[] = {
        {"--by", &by, NULL}, {"--note", &note, NULL}, {"--replace", NULL, &replace}};
    int rv = admin_parse_options(argc, argv, 1, slots, 3, &file, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (file == NULL) {
        fputs(help, stderr);
        return 2;
    }
    if (by == NULL)
        by = getenv("USER");
    char default_note[256];
    if (note == NULL) {
        const char *base = strrchr(file, '/');
        snprintf(default_note, sizeof default_note, "import-topology %s", base ? base + 1 : file);
        note = default_note;
    }

    model m;
    if (load_model(&m, file) != 0) {
        fprintf(stderr, "fengqiao-admin: %s: %s\nnothing was imported\n", file, m.err);
        model_free(&m);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL) {
        model_free(&m);
        return 1;
    }
    rv = import(conn, &m, replace, by, note, file);
    PQfinish(conn);
    model_free(&m);
    return rv;
}
