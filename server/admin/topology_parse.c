/* topology_parse: phase 1 of fengqiao-admin import-topology — the file
 * alone, parsed and checked (topology_parse.h). Moved out of topology.c
 * unchanged but for reading the document from memory as well as from a file. */
#include "topology_parse.h"

#include "duration.h"
#include "org.h"
#include "roster.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 100
#define PHONE_MAX_CHARS 32
#define FILE_MAX_BYTES (256u << 20)

typedef topo_model model;

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

int topo_fail(topo_model *m, const char *path, const char *fmt, ...)
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
        return topo_fail(m, path, "must be an object, is %s", type_name(v));
    json_object_object_foreach(v, key, val)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        char p[PATH_LEN];
        child(p, path, key);
        if (strcmp(key, "notes") == 0) {
            if (!json_object_is_type(val, json_type_string))
                return topo_fail(m, p, "must be a string");
            continue;
        }
        if (!ok)
            return topo_fail(m, p, "unknown field");
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
        return topo_fail(m, p, "is required");
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
        return topo_fail(m, p, "must be a string, is %s", type_name(v));
    const char *s = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) != strlen(s))
        return topo_fail(m, p, "contains a NUL character");
    if (s[0] == '\0')
        return topo_fail(m, p, "must not be empty");
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
        return topo_fail(m, p,
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
        return topo_fail(m, p, "longer than %zu characters", max_chars);
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
        return topo_fail(m, p, "unknown line '%s' (governance, market, enforcement or services)",
                         *out);
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
        return topo_fail(m, p, "must be an array, is %s", type_name(*out));
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
        return topo_fail(m, path, "%s %s appears twice (first at %s)", what, key, s->path);
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
                return topo_fail(m, q, "line %s is already led by the department at %s", line,
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
        return topo_fail(m, p, "must be an array of [lon, lat] pairs, is %s", type_name(v));
    size_t n = json_object_array_length(v);
    if (n < 3)
        return topo_fail(m, p, "ring has %zu vert%s; at least 3", n, n == 1 ? "ex" : "ices");
    if (n > FQ_GEO_MAX_VERTICES)
        return topo_fail(m, p, "ring has %zu vertices; at most %d", n, FQ_GEO_MAX_VERTICES);
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
            return topo_fail(m, q, "must be a [lon, lat] pair");
        for (size_t k = 0; k < 2; k++) {
            json_object *c = json_object_array_get_idx(pt, k);
            if (!json_object_is_type(c, json_type_double) && !json_object_is_type(c, json_type_int))
                return topo_fail(m, q, "%s must be a number, is %s", k ? "lat" : "lon",
                                 type_name(c));
            double x = json_object_get_double(c);
            double lim = k ? 90 : 180;
            if (!(x >= -lim && x <= lim))
                return topo_fail(m, q, "%s %.10g is out of range (-%g..%g)", k ? "lat" : "lon", x,
                                 lim, lim);
            poly->ring[2 * i + k] = x;
        }
    }
    /* The server's own check: distinct vertices, area. */
    char gerr[256];
    if (fq_geo_builder_add(m->geo, (int32_t)m->n_polygons, poly->ring, n, gerr, sizeof gerr) != 0) {
        const char *msg = strstr(gerr, ": ");
        return topo_fail(m, p, "%s",
                         msg != NULL && strncmp(gerr, "grid ", 5) == 0 ? msg + 2 : gerr);
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
        return topo_fail(m, p, "must be an integer, is %s", type_name(cap));
    int64_t c = json_object_get_int64(cap);
    if (c < 1 || c > 65535)
        return topo_fail(m, p, "%lld is out of range (1-65535)", (long long)c);
    child(p, path, "on_duty");
    if (duty != NULL && !json_object_is_type(duty, json_type_boolean))
        return topo_fail(m, p, "must be true or false, is %s", type_name(duty));
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

/* A required number of degrees from -limit to limit. */
static int get_degrees(model *m, json_object *o, const char *path, const char *key, double limit,
                       double *out)
{
    json_object *v;
    char p[PATH_LEN];
    if (member(m, o, path, key, 1, &v) != 0)
        return -1;
    child(p, path, key);
    double d = 0;
    if ((!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) ||
        !isfinite(d = json_object_get_double(v)) || d < -limit || d > limit)
        return topo_fail(m, p, "must be a number from %g to %g", -limit, limit);
    *out = d;
    return 0;
}

/* A grid's or village's "addresses": [{"text", "lat", "lng"}]. */
static int parse_addresses(model *m, json_object *o, const char *path, const char *unit)
{
    static const char *const allowed[] = {"text", "lat", "lng", NULL};
    json_object *list;
    size_t n;
    char p[PATH_LEN];
    if (get_array(m, o, path, "addresses", &list, &n) != 0)
        return -1;
    child(p, path, "addresses");
    size_t first = m->n_addresses; /* this unit's, for the check of twice listed */
    if (n > UNIT_MAX_ADDRESSES)
        return topo_fail(m, p, "at most %d addresses", UNIT_MAX_ADDRESSES);
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *a = json_object_array_get_idx(list, i);
        const char *text;
        double y = 0, x = 0;
        if (expect_object(m, a, q, allowed) != 0 || get_name(m, a, q, "text", 1, 200, &text) != 0 ||
            get_degrees(m, a, q, "lat", 90, &y) != 0 || get_degrees(m, a, q, "lng", 180, &x) != 0)
            return -1;
        for (size_t k = first; k < m->n_addresses; k++)
            if (strcmp(m->addresses[k].text, text) == 0)
                return topo_fail(m, q, "'%s' is listed twice in %s", text, unit);
        address_rec *r = PUSH(m, addresses);
        if (r == NULL)
            return oom(m);
        snprintf(r->path, sizeof r->path, "%s", q);
        r->unit = unit;
        r->text = text;
        r->lat = y;
        r->lng = x;
    }
    return 0;
}

static int parse_grid(model *m, json_object *o, const char *path, const char *village)
{
    static const char *const allowed[] = {"id", "name", "polygon", "workers", "addresses", NULL};
    const char *id, *name;
    json_object *workers;
    size_t n;
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        add_unit(m, path, id, "grid", village, name) != 0 || parse_polygon(m, o, path, id) != 0 ||
        get_array(m, o, path, "workers", &workers, &n) != 0 || parse_addresses(m, o, path, id) != 0)
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
    static const char *const allowed[] = {"id", "name", "unit", "grids", "addresses", NULL};
    const char *id, *name;
    json_object *grids;
    size_t n;
    if (id_and_name(m, o, path, allowed, &id, &name) != 0 ||
        add_unit(m, path, id, "village", town, name) != 0 ||
        plain_handler(m, o, path, "unit", "village", id, NULL) != 0 ||
        get_array(m, o, path, "grids", &grids, &n) != 0 || parse_addresses(m, o, path, id) != 0)
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

/* An Open311 service code: what a client puts in a URL path and a form
 * field, so letters, digits and . _ - only. */
static int open311_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return 0;
    return 1;
}

/* categories[i].open311: {service_code, group, keywords}, all optional. */
static int parse_open311(model *m, json_object *o, const char *path, category_rec *c)
{
    static const char *const allowed[] = {"service_code", "group", "keywords", NULL};
    json_object *kw;
    size_t n;
    char p[PATH_LEN];
    if (expect_object(m, o, path, allowed) != 0 ||
        get_string(m, o, path, "service_code", 0, &c->open311_code) != 0 ||
        get_name(m, o, path, "group", 0, NAME_MAX_CHARS, &c->open311_group) != 0 ||
        get_array(m, o, path, "keywords", &kw, &n) != 0)
        return -1;
    child(p, path, "service_code");
    if (c->open311_code != NULL && !open311_code_ok(c->open311_code))
        return topo_fail(m, p,
                         "'%s' is not a service code (1-64 of A-Z a-z 0-9 . _ -, starting "
                         "with a letter or digit)",
                         c->open311_code);
    if (c->open311_code != NULL && strcmp(c->open311_code, c->code) != 0 &&
        claim(m, &m->category_codes, c->open311_code, p, "service code") != 0)
        return -1;
    child(p, path, "keywords");
    if (n > OPEN311_MAX_KEYWORDS)
        return topo_fail(m, p, "at most %d keywords", OPEN311_MAX_KEYWORDS);
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *k = json_object_array_get_idx(kw, i);
        if (!json_object_is_type(k, json_type_string))
            return topo_fail(m, q, "must be a string, is %s", type_name(k));
        const char *s = json_object_get_string(k);
        /* Open311 lists keywords comma-separated in one field. */
        if ((size_t)json_object_get_string_len(k) != strlen(s) || s[0] == '\0' ||
            strchr(s, ',') != NULL || utf8_chars(s) > 40)
            return topo_fail(m, q, "a keyword is 1-40 characters without a comma or NUL");
        c->open311_keywords[i] = s;
    }
    c->n_open311_keywords = n;
    return 0;
}

static int parse_category(model *m, json_object *o, const char *path)
{
    static const char *const allowed[] = {
        "code", "name", "line", "open311", "photo_to_conclude", "keywords", NULL};
    const char *code, *name, *line;
    json_object *open311, *photo, *kw;
    size_t n_kw;
    char p[PATH_LEN];
    if (expect_object(m, o, path, allowed) != 0 || get_id(m, o, path, "code", 1, &code) != 0 ||
        get_name(m, o, path, "name", 1, NAME_MAX_CHARS, &name) != 0 ||
        get_line(m, o, path, "line", 1, &line) != 0 ||
        member(m, o, path, "open311", 0, &open311) != 0 ||
        member(m, o, path, "photo_to_conclude", 0, &photo) != 0 ||
        get_array(m, o, path, "keywords", &kw, &n_kw) != 0)
        return -1;
    child(p, path, "keywords");
    if (n_kw > CATEGORY_MAX_KEYWORDS)
        return topo_fail(m, p, "at most %d keywords", CATEGORY_MAX_KEYWORDS);
    const char *keywords[CATEGORY_MAX_KEYWORDS];
    for (size_t i = 0; i < n_kw; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *k = json_object_array_get_idx(kw, i);
        if (!json_object_is_type(k, json_type_string))
            return topo_fail(m, q, "must be a string, is %s", type_name(k));
        const char *s = json_object_get_string(k);
        if ((size_t)json_object_get_string_len(k) != strlen(s) || s[0] == '\0' ||
            utf8_chars(s) > 40)
            return topo_fail(m, q, "a keyword is 1-40 characters without a NUL");
        keywords[i] = s;
    }
    child(p, path, "photo_to_conclude");
    if (photo != NULL && !json_object_is_type(photo, json_type_boolean))
        return topo_fail(m, p, "must be true or false, is %s", type_name(photo));
    child(p, path, "code");
    if (claim(m, &m->category_codes, code, p, "category") != 0)
        return -1;
    category_rec *c = PUSH(m, categories);
    if (c == NULL)
        return oom(m);
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->code = code;
    c->name = name;
    c->line = line;
    c->open311_code = NULL;
    c->photo_to_conclude = photo != NULL && json_object_get_boolean(photo);
    memcpy(c->keywords, keywords, n_kw * sizeof *keywords);
    c->n_keywords = n_kw;
    child(p, path, "open311");
    if (open311 != NULL && parse_open311(m, open311, p, c) != 0)
        return -1;
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
        return topo_fail(m, p, "%s", derr);
    return 0;
}

/* A limit of a working-time rule: whole days ("5d", N working days) or
 * h/m/s (working time), never both, and never h/m/s that make whole days:
 * limits are stored in seconds and a multiple of 86400 is read as working
 * days (docs/topology.md), so "24h" would silently mean one working day. */
static int check_working_limit(model *m, json_object *o, const char *path, const char *key,
                               uint32_t seconds)
{
    char p[PATH_LEN];
    const char *text = json_object_get_string(json_object_object_get(o, key));
    child(p, path, key);
    int has_days = strchr(text, 'd') != NULL;
    if (has_days && strpbrk(text, "hms") != NULL)
        return topo_fail(m, p,
                         "\"%s\" mixes days with hours under working time: write whole working "
                         "days (\"5d\") or working hours (\"4h\"), not both",
                         text);
    if (!has_days && seconds > 0 && seconds % 86400 == 0)
        return topo_fail(m, p,
                         "\"%s\" is a whole number of days: under working time write it in days "
                         "(\"%ud\" = %u working days) or in working hours that are not whole days",
                         text, seconds / 86400, seconds / 86400);
    return 0;
}

static int parse_rule(model *m, json_object *o, const char *path)
{
    static const char *const allowed[] = {
        "category", "severity", "risk",     "tier",          "line", "co",
        "ack",      "ack_warn", "conclude", "conclude_warn", "time", NULL};
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
            return topo_fail(m, p, "unknown severity '%s' (I, II, III or IV)", sev);
    }
    if (risk != NULL) {
        for (int i = 0; risks[i] && r->risk == 0; i++)
            if (strcmp(risk, risks[i]) == 0)
                r->risk = i + 1;
        child(p, path, "risk");
        if (r->risk == 0)
            return topo_fail(m, p, "unknown risk '%s' (low, medium or high)", risk);
    }
    child(p, path, "tier");
    if (fq_tier_parse(r->tier) == 0)
        return topo_fail(m, p, "unknown tier '%s' (village, town or district)", r->tier);
    json_object *co;
    size_t n;
    if (get_array(m, o, path, "co", &co, &n) != 0)
        return -1;
    child(p, path, "co");
    if (n > FQ_RULE_MAX_CO)
        return topo_fail(m, p, "%zu co-handling departments; at most %d", n, FQ_RULE_MAX_CO);
    for (size_t i = 0; i < n; i++) {
        char q[PATH_LEN];
        elem(q, p, i);
        json_object *c = json_object_array_get_idx(co, i);
        const char *code = json_object_get_string(c);
        if (!json_object_is_type(c, json_type_string) || !fq_valid_id(code))
            return topo_fail(m, q, "must be a department code");
        for (int j = 0; j < r->n_co; j++)
            if (strcmp(r->co[j], code) == 0)
                return topo_fail(m, q, "department %s is named twice", code);
        r->co[r->n_co++] = code;
    }
    if (get_duration(m, o, path, "ack", 0, &r->ack) != 0 ||
        get_duration(m, o, path, "ack_warn", 1, &r->ack_warn) != 0 ||
        get_duration(m, o, path, "conclude", 0, &r->conclude) != 0 ||
        get_duration(m, o, path, "conclude_warn", 1, &r->conclude_warn) != 0)
        return -1;
    const char *time_basis;
    if (get_string(m, o, path, "time", 0, &time_basis) != 0)
        return -1;
    child(p, path, "time");
    if (time_basis != NULL && strcmp(time_basis, "working") != 0 &&
        strcmp(time_basis, "natural") != 0)
        return topo_fail(m, p, "unknown time '%s' (natural or working)", time_basis);
    r->working = time_basis != NULL && strcmp(time_basis, "working") == 0;
    if (r->working && (check_working_limit(m, o, path, "ack", r->ack) != 0 ||
                       check_working_limit(m, o, path, "ack_warn", r->ack_warn) != 0 ||
                       check_working_limit(m, o, path, "conclude", r->conclude) != 0 ||
                       check_working_limit(m, o, path, "conclude_warn", r->conclude_warn) != 0))
        return -1;
    child(p, path, "ack_warn");
    if (r->ack_warn >= r->ack)
        return topo_fail(m, p, "the warning must come before the limit (shorter than ack)");
    child(p, path, "conclude_warn");
    if (r->conclude_warn >= r->conclude)
        return topo_fail(m, p, "the warning must come before the limit (shorter than conclude)");
    child(p, path, "conclude");
    if (r->ack > r->conclude)
        return topo_fail(m, p,
                         "shorter than ack: acknowledging cannot take longer than concluding");
    /* Two rules with the same key decide the same cells with the same
     * specificity: the compiler refuses that, so refuse it here with paths. */
    char key[FQ_ID_MAX_LEN + 16];
    snprintf(key, sizeof key, "%s/%d/%d", r->category ? r->category : "*", r->severity, r->risk);
    seen *s;
    HASH_FIND_STR(m->rule_keys, key, s);
    if (s != NULL)
        return topo_fail(m, path, "same category, severity and risk as %s", s->path);
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->key = strdup(key)) == NULL) {
        free(s);
        return oom(m);
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    HASH_ADD_KEYPTR(hh, m->rule_keys, s->key, strlen(s->key), s);
    return 0;
}

/* "mediation": {"limit_days": 30, "committees": [{"id", "name", "serves",
 * "mediators": [{"id", "name", "phone"}]}]}; `serves` is an org unit (the
 * file's or the database's: checked at import). */
static int parse_mediation(model *m, json_object *o)
{
    static const char *const allowed[] = {"limit_days", "committees", NULL};
    static const char *const committee_allowed[] = {"id", "name", "serves", "mediators", NULL};
    static const char *const mediator_allowed[] = {"id", "name", "phone", NULL};
    json_object *days, *arr;
    size_t n;
    if (expect_object(m, o, "mediation", allowed) != 0 ||
        member(m, o, "mediation", "limit_days", 0, &days) != 0 ||
        get_array(m, o, "mediation", "committees", &arr, &n) != 0)
        return -1;
    m->has_mediation = 1;
    if (days != NULL) {
        if (!json_object_is_type(days, json_type_int) || json_object_get_int64(days) < 1 ||
            json_object_get_int64(days) > 365)
            return topo_fail(m, "mediation.limit_days", "must be a whole number of days, 1 to 365");
        m->mediation_limit_days = (int)json_object_get_int64(days);
    }
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], q[PATH_LEN];
        elem(p, "mediation.committees", i);
        json_object *c = json_object_array_get_idx(arr, i), *people;
        const char *id, *name, *serves;
        size_t k;
        if (expect_object(m, c, p, committee_allowed) != 0 || get_id(m, c, p, "id", 1, &id) != 0 ||
            get_name(m, c, p, "name", 1, NAME_MAX_CHARS, &name) != 0 ||
            get_id(m, c, p, "serves", 1, &serves) != 0 ||
            get_array(m, c, p, "mediators", &people, &k) != 0)
            return -1;
        child(q, p, "id");
        if (claim(m, &m->mediation_ids, id, q, "mediation id") != 0)
            return -1;
        committee_rec *cr = PUSH(m, committees);
        if (cr == NULL)
            return oom(m);
        snprintf(cr->path, sizeof cr->path, "%s", p);
        cr->id = id;
        cr->name = name;
        cr->serves = serves;
        for (size_t j = 0; j < k; j++) {
            char r[PATH_LEN];
            child(q, p, "mediators");
            elem(r, q, j);
            json_object *d = json_object_array_get_idx(people, j);
            const char *did, *dname, *phone;
            if (expect_object(m, d, r, mediator_allowed) != 0 ||
                get_id(m, d, r, "id", 1, &did) != 0 ||
                get_name(m, d, r, "name", 1, NAME_MAX_CHARS, &dname) != 0 ||
                get_name(m, d, r, "phone", 0, PHONE_MAX_CHARS, &phone) != 0)
                return -1;
            child(q, r, "id");
            if (claim(m, &m->mediation_ids, did, q, "mediation id") != 0)
                return -1;
            mediator_rec *mr = PUSH(m, mediators);
            if (mr == NULL)
                return oom(m);
            snprintf(mr->path, sizeof mr->path, "%s", r);
            mr->id = did;
            mr->name = dname;
            mr->phone = phone ? phone : "";
            mr->committee = id;
        }
    }
    return 0;
}

static int parse_document(model *m)
{
    static const char *const allowed[] = {"schema", "district",  "towns", "categories",
                                          "rules",  "mediation", NULL};
    const char *schema;
    if (expect_object(m, m->root, "", allowed) != 0 ||
        get_string(m, m->root, "", "schema", 1, &schema) != 0)
        return -1;
    if (strcmp(schema, TOPOLOGY_SCHEMA) != 0)
        return topo_fail(m, "schema", "'%s' is not a schema this version reads (%s)", schema,
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
        return topo_fail(m, "towns", "towns need the district they belong to (\"district\")");
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
    json_object *mediation;
    if (member(m, m->root, "", "mediation", 0, &mediation) != 0)
        return -1;
    if (mediation != NULL && parse_mediation(m, mediation) != 0)
        return -1;
    return 0;
}

/* Reads the file into *buf (malloc'ed; *len bytes). */
static int read_file(model *m, const char *file, char **out, size_t *out_len)
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
    *out = buf;
    *out_len = len;
    return 0;
}

/* Parses `len` bytes into m->root; errors give line and column. */
static int parse_json(model *m, const char *buf, size_t len)
{
    if (len > FILE_MAX_BYTES) {
        snprintf(m->err, sizeof m->err, "too large (at most %u MiB)", FILE_MAX_BYTES >> 20);
        return -1;
    }
    json_tokener *tok = json_tokener_new_ex(64);
    if (tok == NULL)
        return oom(m);
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
    return m->root != NULL ? 0 : -1;
}

void topo_model_free(topo_model *m)
{
    for (size_t i = 0; i < m->n_polygons; i++)
        free(m->polygons[i].ring);
    free(m->units);
    free(m->handlers);
    free(m->workers);
    free(m->polygons);
    free(m->categories);
    free(m->rules);
    free(m->addresses);
    free(m->committees);
    free(m->mediators);
    clear_set(&m->mediation_ids);
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

static int start(model *m)
{
    memset(m, 0, sizeof *m);
    m->geo = fq_geo_builder_new();
    return m->geo != NULL ? 0 : oom(m);
}

int topo_model_read(topo_model *m, const char *file)
{
    char *buf = NULL;
    size_t len = 0;
    if (start(m) != 0 || read_file(m, file, &buf, &len) != 0)
        return -1;
    int rv = parse_json(m, buf, len) != 0 || parse_document(m) != 0 ? -1 : 0;
    free(buf);
    return rv;
}

int topo_model_parse(topo_model *m, const char *text, size_t len)
{
    if (start(m) != 0 || parse_json(m, text, len) != 0 || parse_document(m) != 0)
        return -1;
    return 0;
}
