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
#include "topology_parse.h"
#include "validate.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Phase 1 (the file alone) is topology_parse.c. */
typedef topo_model model;

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
    if (topo_model_read(&f->m, file) != 0) {
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
        row->working = r->working;
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
    topo_model_free(&f->m);
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

/* The ring as a JSON array of numbers, which jsonb_to_recordset turns into
 * the staging table's float8[] (json-c writes every double with 17
 * significant digits: it reads back exactly). NULL when out of memory. */
static json_object *ring_json(const polygon_rec *p)
{
    json_object *ring = json_object_new_array_ext((int)(2 * p->n));
    for (size_t i = 0; ring != NULL && i < 2 * p->n; i++)
        if (json_object_array_add(ring, json_object_new_double(p->ring[i])) != 0) {
            json_object_put(ring);
            return NULL;
        }
    return ring;
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
        json_object *ring = ring_json(p);
        if (ring == NULL) {
            json_object_put(a);
            return -1;
        }
        json_object *o = row((int)i, p->path);
        json_object_object_add(o, "grid", jstr(p->grid));
        json_object_object_add(o, "ring", ring);
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_polygons", "ord int, path text, grid text, ring float8[]", a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_categories; i++) {
        const category_rec *c = &m->categories[i];
        json_object *o = row((int)i, c->path);
        json_object_object_add(o, "code", jstr(c->code));
        json_object_object_add(o, "line", jstr(c->line));
        json_object_object_add(o, "name", jstr(c->name));
        json_object_object_add(o, "open311_code", jstr(c->open311_code));
        json_object_object_add(o, "open311_group", jstr(c->open311_group ? c->open311_group : ""));
        json_object *kw = json_object_new_array();
        for (size_t k = 0; k < c->n_open311_keywords; k++)
            json_object_array_add(kw, jstr(c->open311_keywords[k]));
        json_object_object_add(o, "open311_keywords", kw);
        json_object_object_add(o, "photo_to_conclude",
                               json_object_new_boolean(c->photo_to_conclude));
        json_object *fk = json_object_new_array();
        for (size_t k = 0; k < c->n_keywords; k++)
            json_object_array_add(fk, jstr(c->keywords[k]));
        json_object_object_add(o, "keywords", fk);
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_categories",
              "ord int, path text, code text, line text, name text, open311_code text, "
              "open311_group text, open311_keywords text[], photo_to_conclude boolean, "
              "keywords text[]",
              a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_addresses; i++) {
        const address_rec *r = &m->addresses[i];
        json_object *o = row((int)i, r->path);
        json_object_object_add(o, "unit", jstr(r->unit));
        json_object_object_add(o, "text", jstr(r->text));
        json_object_object_add(o, "lat", json_object_new_double(r->lat));
        json_object_object_add(o, "lng", json_object_new_double(r->lng));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_addresses",
              "ord int, path text, unit text, text text, lat float8, lng float8", a) != 0)
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
        json_object_object_add(o, "time_basis",
                               json_object_new_string(r->working ? "working" : "natural"));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_rules",
              "ord int, path text, category text, severity smallint, risk smallint, tier text, "
              "line text, co text[], ack_s int, ack_warn_s int, conclude_s int, "
              "conclude_warn_s int, time_basis text",
              a) != 0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_committees; i++) {
        const committee_rec *c = &m->committees[i];
        json_object *o = row((int)i, c->path);
        json_object_object_add(o, "id", jstr(c->id));
        json_object_object_add(o, "name", jstr(c->name));
        json_object_object_add(o, "serves", jstr(c->serves));
        json_object_array_add(a, o);
    }
    if (stage(conn, "stage_committees", "ord int, path text, id text, name text, serves text", a) !=
        0)
        return -1;
    a = json_object_new_array();
    for (size_t i = 0; i < m->n_mediators; i++) {
        const mediator_rec *d = &m->mediators[i];
        json_object *o = row((int)i, d->path);
        json_object_object_add(o, "id", jstr(d->id));
        json_object_object_add(o, "name", jstr(d->name));
        json_object_object_add(o, "phone", jstr(d->phone));
        json_object_object_add(o, "committee", jstr(d->committee));
        json_object_array_add(a, o);
    }
    return stage(conn, "stage_mediators",
                 "ord int, path text, id text, name text, phone text, committee text", a);
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
    /* A mediation committee serves a unit of the district: a town or a
     * village (or the district itself), in the file or in the database. */
    "SELECT c.path || '.serves', format('no town or village %s (not in the file nor in the"
    " database)', c.serves) FROM stage_committees c"
    " WHERE NOT EXISTS (SELECT 1 FROM stage_units u WHERE u.id = c.serves"
    "  AND u.kind IN ('district', 'town', 'village'))"
    " AND NOT EXISTS (SELECT 1 FROM org_units u WHERE u.id = c.serves"
    "  AND u.kind IN ('district', 'town', 'village'))"
    " ORDER BY c.ord LIMIT 1",
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
    "  (1, 'line', c.line, s.line), (2, 'name', c.name, s.name),"
    "  (3, 'open311.service_code', coalesce(c.open311_code, c.code), coalesce(s.open311_code,"
    "  s.code)), (4, 'open311.group', c.open311_group, s.open311_group),"
    "  (5, 'open311.keywords', array_to_string(c.open311_keywords, ','),"
    "  array_to_string(s.open311_keywords, ',')),"
    "  (6, 'photo_to_conclude', c.photo_to_conclude::text, s.photo_to_conclude::text),"
    "  (7, 'keywords', array_to_string(c.keywords, ','), array_to_string(s.keywords, ',')))"
    "  AS d (n, key, db, file)" DIFFERS,
    "SELECT s.path || '.' || d.key,"
    " format('mediation committee %s already exists with %s %s; the file says %s" REPLACE_HINT
    "', s.id, d.key, quote_literal(d.db), quote_literal(d.file))"
    " FROM stage_committees s JOIN mediation_committees c USING (id) CROSS JOIN LATERAL (VALUES"
    "  (1, 'name', c.name, s.name), (2, 'serves', c.serves, s.serves))"
    "  AS d (n, key, db, file)" DIFFERS,
    "SELECT s.path || '.' || d.key,"
    " format('mediator %s already exists with %s %s; the file says %s" REPLACE_HINT "', s.id,"
    "  d.key, quote_literal(d.db), quote_literal(d.file))"
    " FROM stage_mediators s JOIN mediators m USING (id) CROSS JOIN LATERAL (VALUES"
    "  (1, 'name', m.name, s.name), (2, 'committee', m.committee, s.committee),"
    "  (3, 'phone', m.phone, s.phone))"
    "  AS d (n, key, db, file)" DIFFERS,
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
            topo_fail(m, PQgetvalue(res, 0, 0), "%s", PQgetvalue(res, 0, 1));
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

enum {
    T_UNITS,
    T_HANDLERS,
    T_WORKERS,
    T_POLYGONS,
    T_CATEGORIES,
    T_ADDRESSES,
    T_COMMITTEES,
    T_MEDIATORS,
    T_COUNT
};

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
    COUNT_UPSERT("INSERT INTO categories (code, line, name, open311_code, open311_group,"
                 " open311_keywords, photo_to_conclude, keywords)"
                 " SELECT code, line, name, open311_code, open311_group, open311_keywords,"
                 "  photo_to_conclude, keywords"
                 " FROM stage_categories ORDER BY ord"
                 " ON CONFLICT (code) DO UPDATE SET line = excluded.line, name = excluded.name,"
                 "  open311_code = excluded.open311_code, open311_group = excluded.open311_group,"
                 "  open311_keywords = excluded.open311_keywords,"
                 "  photo_to_conclude = excluded.photo_to_conclude, keywords = excluded.keywords"
                 " WHERE (categories.line, categories.name, categories.open311_code,"
                 "  categories.open311_group, categories.open311_keywords,"
                 "  categories.photo_to_conclude, categories.keywords)"
                 "  IS DISTINCT FROM (excluded.line, excluded.name, excluded.open311_code,"
                 "  excluded.open311_group, excluded.open311_keywords, excluded.photo_to_conclude,"
                 "  excluded.keywords)"),
    /* The front desk's address list only grows by an import; a point moved
     * is taken as the file says (docs/front-desk.md). */
    COUNT_UPSERT("INSERT INTO addresses (unit, text, lat, lng)"
                 " SELECT unit, text, lat, lng FROM stage_addresses ORDER BY ord"
                 " ON CONFLICT (unit, text) DO UPDATE SET lat = excluded.lat, lng = excluded.lng"
                 " WHERE (addresses.lat, addresses.lng) IS DISTINCT FROM"
                 "  (excluded.lat, excluded.lng)"),
    COUNT_UPSERT("INSERT INTO mediation_committees (id, name, serves)"
                 " SELECT id, name, serves FROM stage_committees ORDER BY ord"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name, serves = excluded.serves"
                 " WHERE (mediation_committees.name, mediation_committees.serves)"
                 "  IS DISTINCT FROM (excluded.name, excluded.serves)"),
    COUNT_UPSERT("INSERT INTO mediators (id, name, committee, phone)"
                 " SELECT id, name, committee, phone FROM stage_mediators ORDER BY ord"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                 "  committee = excluded.committee, phone = excluded.phone"
                 " WHERE (mediators.name, mediators.committee, mediators.phone)"
                 "  IS DISTINCT FROM (excluded.name, excluded.committee, excluded.phone)"),
};

#define RULE_KEY_ORDER "coalesce(category, ''), severity, risk"
#define RULE_JSON                                                                                  \
    "jsonb_build_array(category, severity, risk, tier, line, co, ack_s, ack_warn_s, conclude_s,"   \
    " conclude_warn_s, time_basis)"

/* Inserts and activates a new rule set when the file's rules differ from the
 * active set. *version: the new version, or 0 when unchanged. */
static int write_rules(PGconn *conn, const char *by, const char *note, long *version)
{
    *version = 0;
    PGresult *res = PQexec(
        conn, "SELECT NOT EXISTS (SELECT 1 FROM rule_sets WHERE active) OR"
              " (SELECT coalesce(jsonb_agg(" RULE_JSON " ORDER BY " RULE_KEY_ORDER "), '[]')"
              "  FROM (SELECT category, severity, risk, tier, line, co_departments AS co, ack_s,"
              "   ack_warn_s, conclude_s, conclude_warn_s, time_basis FROM rules JOIN rule_sets"
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
             " ack_s, ack_warn_s, conclude_s, conclude_warn_s, time_basis)"
             " SELECT %ld, category, severity, risk, tier, line, co, ack_s, ack_warn_s,"
             " conclude_s, conclude_warn_s, time_basis FROM stage_rules ORDER BY ord",
             *version);
    return exec_sql(conn, sql) ? 0 : -1;
}

/* ---- verification: load the database as the server will ---- */

/* `sql`'s rows, in text (format 0) or binary (1). */
static PGresult *select_rows(PGconn *conn, const char *sql, int format)
{
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, format);
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
    static const int formats[FQ_LOAD_COUNT] = FQ_SQL_LOAD_FORMATS;
    static const int wanted[] = {FQ_LOAD_UNITS,    FQ_LOAD_CATEGORIES, FQ_LOAD_RULES,
                                 FQ_LOAD_HANDLERS, FQ_LOAD_WORKERS,    FQ_LOAD_POLYGONS};
    PGresult *res[FQ_LOAD_COUNT] = {0};
    fq_org *org = NULL;
    fq_routing *routing = NULL;
    int rc = -1, overlap = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if ((res[wanted[i]] = select_rows(conn, loads[wanted[i]], formats[wanted[i]])) == NULL) {
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

/* After an import: how many rules of the active set count working time (on
 * stdout, when any), and — working-time rules count on each district's
 * calendar, a district without one on the default (Monday to Friday, no
 * public holidays, docs/calendar.md), rarely what is meant — a warning on
 * stderr naming the districts without one. The number of working-time
 * rules, or -1 when the database could not say. */
static long warn_missing_calendars(PGconn *conn)
{
    PGresult *res =
        PQexec(conn, "SELECT (SELECT count(*) FROM rules JOIN rule_sets ON rule_set = version"
                     "  AND active WHERE time_basis = 'working'),"
                     " coalesce((SELECT string_agg(u.id, ', ' ORDER BY u.id) FROM org_units u"
                     "  WHERE u.kind = 'district'"
                     "  AND NOT EXISTS (SELECT 1 FROM calendars c WHERE c.district = u.id)), '')");
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    long working = atol(PQgetvalue(res, 0, 0));
    const char *without = PQgetvalue(res, 0, 1);
    if (working > 0) {
        printf("  %-11s %6ld in working time (docs/calendar.md)\n", "rules", working);
        fflush(stdout); /* before the warning, on a terminal too */
    }
    if (working > 0 && without[0] != '\0')
        fprintf(stderr,
                "fengqiao-admin: warning: %ld rule%s count%s working time, and district%s %s "
                "ha%s no working calendar: %s count%s on the default (Monday to Friday whole "
                "days at +08:00, no public holidays) until one is imported with fengqiao-admin "
                "calendar import (docs/calendar.md)\n",
                working, working == 1 ? "" : "s", working == 1 ? "s" : "",
                strchr(without, ',') ? "s" : "", without, strchr(without, ',') ? "ve" : "s",
                strchr(without, ',') ? "they" : "it", strchr(without, ',') ? "" : "s");
    PQclear(res);
    return working;
}

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
    if (m->mediation_limit_days > 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE mediation_settings SET limit_days = %d",
                 m->mediation_limit_days);
        if (!exec_sql(conn, sql))
            goto db_fail;
    }
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

    static const char *const names[T_COUNT] = {"units",      "handlers",   "workers",
                                               "polygons",   "categories", "addresses",
                                               "committees", "mediators"};
    const size_t total[T_COUNT] = {m->n_units,      m->n_handlers,   m->n_workers,
                                   m->n_polygons,   m->n_categories, m->n_addresses,
                                   m->n_committees, m->n_mediators};
    printf("imported %s: %s%zu towns, %zu villages, %zu grids\n", file,
           m->district ? "district, " : "", m->n_towns, m->n_villages, m->n_grids);
    for (int t = 0; t < T_COUNT; t++)
        if (!((t == T_COMMITTEES || t == T_MEDIATORS) && !m->has_mediation))
            printf("  %-11s %6zu in file: %ld added, %ld changed, %ld unchanged\n", names[t],
                   total[t], c[t].added, c[t].changed, (long)total[t] - c[t].added - c[t].changed);
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
    (void)warn_missing_calendars(conn);
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
    if (topo_model_read(&m, file) != 0) {
        fprintf(stderr, "fengqiao-admin: %s: %s\nnothing was imported\n", file, m.err);
        topo_model_free(&m);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL) {
        topo_model_free(&m);
        return 1;
    }
    rv = import(conn, &m, replace, by, note, file);
    PQfinish(conn);
    topo_model_free(&m);
    return rv;
}
