/* fq-bench-route-sql: the routing decisions taken the way a conventional
 * dispatch web application takes them, with SQL queries against PostgreSQL.
 *
 * It builds the same city as fq-bench-route (same seed, so the same units,
 * workers, loads, polygons and rules) and loads it into a scratch database
 * (fq_route_sql, dropped and re-created on the cluster --conninfo names) with
 * a simple normalised schema of its own: org_units (id, code, kind, parent),
 * categories (default line), rules (the rule rows as stored: category /
 * severity / risk NULL = any, co-handling department codes as text[]),
 * handlers (kind, territory, line, department code), workers (grid, village,
 * load, capacity, on_duty) and grid_polygons (a core `polygon` column with a
 * GiST index). Indexed on every column a query filters on.
 *
 * Then, for the first N incidents of the same stream, each decision is what
 * a typical web application does per request: one transaction (BEGIN ...
 * COMMIT, synchronous_commit off: nothing waits for a WAL flush), and in it
 * one round trip per prepared statement, over the unix socket:
 *   - coordinates only: locate the grid. PostgreSQL 15 does not use a GiST
 *     index for `polygon @> point`, so the query is
 *     `poly && polygon(box(p, p)) AND poly @> p` (index on the bounding boxes,
 *     exact test on the candidates);
 *   - the territorial owners: the unit and its ancestors (one query, three
 *     self-joins);
 *   - the rule: the most specific matching row, joined to the category's
 *     default line; no row: the application's built-in principle (the same
 *     function the C router compiles in, fq_rules_principle);
 *   - village tier: the least-loaded on-duty worker under capacity of the
 *     grid (ORDER BY load, id LIMIT 1; the village's when the place is a
 *     village), then the village unit; town tier: the town's line; district
 *     tier: the line's leading department or the center, and (every district
 *     decision is a joint operation) the rule's co-handling departments and
 *     the town's line; a town-tier rule's departments join the town line. A tier with
 *     nobody climbs, as in the router;
 *   - UPDATE the chosen worker's load; and, as in fq-bench-route, release
 *     (UPDATE load - 1) the decision taken K incidents before (--hold).
 * No row locks (SELECT ... FOR UPDATE), which a concurrent application would
 * need: the baseline is given the benefit of the doubt.
 *
 * The C router takes the same decisions alongside, from the same initial
 * state (fq_route + fq_route_apply + the same release), outside the timed
 * part, and the two are compared: status, tier and line; the lead handler;
 * the co-handlers as a set; the worker (the router breaks ties by a rotating
 * start, SQL by id, so workers of equal load may differ — reported apart).
 * The grids may differ too: PostgreSQL's geometric operators compare with a
 * tolerance, and for a point up to ~1e-4 degrees (~10 m) from a sloped edge
 * that two grids share, `polygon @> point` is true for both (the lower id is
 * then taken) where the router's exact integer test names one; such an
 * incident may then land on another grid's workers, or climb differently.
 *
 *   fq-bench-route-sql --conninfo STR [--incidents N] [--warmup W] [--seed S]
 *                      [--hold K] [--districts D]
 *
 * Prints JSON lines: the load ({"metric":"sql_load",...}) and the result
 * ({"metric":"sql_decisions_per_s",...}). */
#include "benchutil.h"
#include "citygen.h"
#include "router.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_NAME "fq_route_sql"

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-route-sql --conninfo STR [--incidents N] [--warmup W]\n"
                    "                          [--seed S] [--hold K] [--districts D]\n");
    exit(2);
}

static PGconn *conn;

static _Noreturn void die_pq(const char *what)
{
    bu_die_detail(what, conn ? PQerrorMessage(conn) : "no connection");
}

static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "fq-bench-route-sql: failed: %s\n", sql);
        die_pq("query");
    }
    PQclear(res);
}

static void prepare(const char *name, const char *sql)
{
    PGresult *res = PQprepare(conn, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "fq-bench-route-sql: preparing %s failed\n", name);
        die_pq("prepare");
    }
    PQclear(res);
}

/* Runs a prepared statement with text parameters (one round trip); the
 * result, which has succeeded. */
static PGresult *run(const char *name, int n, const char *const *params)
{
    PGresult *res = PQexecPrepared(conn, name, n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "fq-bench-route-sql: %s failed\n", name);
        die_pq("execute");
    }
    return res;
}

/* ---- COPY ---- */

static char *copy_buf;
static size_t copy_len, copy_cap;

static void copy_begin(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        die_pq(sql);
    PQclear(res);
    copy_len = 0;
}

static void copy_flush(void)
{
    if (copy_len > 0 && PQputCopyData(conn, copy_buf, (int)copy_len) != 1)
        die_pq("COPY data");
    copy_len = 0;
}

static void copy_row(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void copy_row(const char *fmt, ...)
{
    if (copy_cap == 0) {
        copy_cap = 1 << 20;
        copy_buf = bu_xmalloc(copy_cap);
    }
    if (copy_cap - copy_len < 4096)
        copy_flush();
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(copy_buf + copy_len, copy_cap - copy_len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= copy_cap - copy_len)
        bu_die("a COPY row is too long");
    copy_len += (size_t)w;
}

static void copy_end(void)
{
    copy_flush();
    if (PQputCopyEnd(conn, NULL) != 1)
        die_pq("COPY end");
    PGresult *res = PQgetResult(conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die_pq("COPY");
    PQclear(res);
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
}

/* ---- the city into SQL ---- */

static const char *const schema[] = {
    "SET synchronous_commit = off",
    "CREATE TABLE org_units (id int PRIMARY KEY, code text NOT NULL UNIQUE, kind text NOT NULL, "
    "parent int REFERENCES org_units (id))",
    "CREATE TABLE categories (id int PRIMARY KEY, code text NOT NULL UNIQUE, line int NOT NULL)",
    "CREATE TABLE rules (id int PRIMARY KEY, category int REFERENCES categories (id), "
    "severity int, risk int, tier int NOT NULL, line int, co text[] NOT NULL, ack_s int NOT NULL, "
    "ack_warn_s int NOT NULL, conclude_s int NOT NULL, conclude_warn_s int NOT NULL)",
    "CREATE TABLE handlers (id int PRIMARY KEY, code text NOT NULL UNIQUE, kind text NOT NULL, "
    "territory int NOT NULL REFERENCES org_units (id), line int, dept_code text)",
    "CREATE TABLE workers (id int PRIMARY KEY, code text NOT NULL UNIQUE, "
    "grid int NOT NULL REFERENCES org_units (id), village int NOT NULL REFERENCES org_units (id), "
    "load int NOT NULL, capacity int NOT NULL, on_duty boolean NOT NULL)",
    "CREATE TABLE grid_polygons (grid int PRIMARY KEY REFERENCES org_units (id), "
    "poly polygon NOT NULL)",
};

static const char *const indexes[] = {
    "CREATE INDEX handlers_territory ON handlers (territory, kind, line)",
    ("CREATE INDEX handlers_department ON handlers (territory, dept_code) "
     "WHERE kind = 'department'"),
    "CREATE INDEX workers_grid ON workers (grid, load)",
    "CREATE INDEX workers_village ON workers (village, load)",
    "CREATE INDEX grid_polygons_poly ON grid_polygons USING gist (poly)",
    "ANALYZE",
};

static void load_city(const fq_city *c)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        exec_ok(schema[i]);

    /* Parents before children: units are added district first, depth first,
     * but the FK is checked per row only at the end of COPY anyway. */
    size_t n_units = fq_org_count(c->org);
    copy_begin("COPY org_units FROM STDIN");
    for (size_t u = 0; u < n_units; u++) {
        int32_t parent = fq_org_parent(c->org, (int32_t)u);
        char pbuf[16];
        if (parent >= 0)
            snprintf(pbuf, sizeof pbuf, "%d", parent);
        else
            snprintf(pbuf, sizeof pbuf, "\\N");
        copy_row("%zu\t%s\t%s\t%s\n", u, fq_org_id(c->org, (int32_t)u),
                 fq_unit_kind_name(fq_org_kind(c->org, (int32_t)u)), pbuf);
    }
    copy_end();

    size_t n_cat = fq_taxonomy_count(c->taxonomy);
    copy_begin("COPY categories FROM STDIN");
    for (size_t i = 0; i < n_cat; i++)
        copy_row("%zu\t%s\t%d\n", i, fq_taxonomy_code(c->taxonomy, (int)i),
                 (int)fq_taxonomy_default_line(c->taxonomy, (int)i));
    copy_end();

    copy_begin("COPY rules FROM STDIN");
    for (size_t i = 0; i < c->n_rule_rows; i++) {
        const fq_rule_row *r = &c->rule_rows[i];
        char cat[16], sev[16], risk[16], line[16], co[512];
        if (r->category != NULL && r->category[0] != '\0')
            snprintf(cat, sizeof cat, "%d", fq_taxonomy_find(c->taxonomy, r->category));
        else
            snprintf(cat, sizeof cat, "\\N");
        snprintf(sev, sizeof sev, r->severity > 0 ? "%d" : "\\N", r->severity);
        snprintf(risk, sizeof risk, r->risk > 0 ? "%d" : "\\N", r->risk);
        snprintf(line, sizeof line, r->line >= 0 ? "%d" : "\\N", r->line);
        size_t o = (size_t)snprintf(co, sizeof co, "{");
        for (int k = 0; k < r->n_co; k++)
            o += (size_t)snprintf(co + o, sizeof co - o, "%s%s", k ? "," : "", r->co[k]);
        snprintf(co + o, sizeof co - o, "}");
        copy_row("%u\t%s\t%s\t%s\t%d\t%s\t%s\t%u\t%u\t%u\t%u\n", r->id, cat, sev, risk,
                 (int)r->tier, line, co, r->ack_s, r->ack_warn_s, r->conclude_s,
                 r->conclude_warn_s);
    }
    copy_end();

    /* Handlers: the roster has no accessor for a handler's line or code, so
     * lines come from the per-territory indices and codes from the ids
     * ("d3.public_security"). */
    size_t n_h = fq_roster_handler_count(c->roster);
    int *line = bu_xmalloc(n_h * sizeof *line);
    for (size_t h = 0; h < n_h; h++)
        line[h] = -1;
    for (size_t u = 0; u < n_units; u++) {
        fq_unit_kind k = fq_org_kind(c->org, (int32_t)u);
        for (int l = 0; l < FQ_LINE_COUNT; l++) {
            int32_t h = k == FQ_UNIT_TOWN ? fq_roster_town_line(c->roster, (int32_t)u, (fq_line)l)
                        : k == FQ_UNIT_DISTRICT
                            ? fq_roster_district_line(c->roster, (int32_t)u, (fq_line)l)
                            : -1;
            if (h >= 0)
                line[h] = l;
        }
    }
    copy_begin("COPY handlers FROM STDIN");
    for (size_t h = 0; h < n_h; h++) {
        fq_handler_kind k = fq_roster_handler_kind(c->roster, (int32_t)h);
        const char *id = fq_roster_handler_id(c->roster, (int32_t)h);
        const char *dot = strchr(id, '.');
        char lbuf[16];
        snprintf(lbuf, sizeof lbuf, line[h] >= 0 ? "%d" : "\\N", line[h]);
        copy_row("%zu\t%s\t%s\t%d\t%s\t%s\n", h, id, fq_handler_kind_name(k),
                 fq_roster_handler_territory(c->roster, (int32_t)h), lbuf,
                 k == FQ_HANDLER_DEPARTMENT && dot ? dot + 1 : "\\N");
    }
    copy_end();
    free(line);

    size_t n_w = fq_roster_worker_count(c->roster);
    copy_begin("COPY workers FROM STDIN");
    for (size_t w = 0; w < n_w; w++) {
        const fq_worker *wk = fq_roster_worker_const(c->roster, (int32_t)w);
        copy_row("%zu\t%s\t%d\t%d\t%u\t%u\t%s\n", w, fq_roster_worker_id(c->roster, (int32_t)w),
                 wk->grid, fq_org_parent(c->org, wk->grid), wk->load, wk->capacity,
                 wk->on_duty ? "t" : "f");
    }
    copy_end();

    copy_begin("COPY grid_polygons FROM STDIN");
    for (size_t g = 0; g < c->n_grids; g++) {
        const double *q = c->corners[c->grids[g]];
        copy_row("%d\t((%.17g,%.17g),(%.17g,%.17g),(%.17g,%.17g),(%.17g,%.17g))\n", c->grids[g],
                 q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]);
    }
    copy_end();

    for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++)
        exec_ok(indexes[i]);
}

static void prepare_all(void)
{
    prepare("locate", "SELECT grid FROM grid_polygons "
                      "WHERE poly && polygon(box(point($1, $2), point($1, $2))) "
                      "AND poly @> point($1, $2) ORDER BY grid LIMIT 1");
    prepare("owners", "SELECT u.kind, u.id, p1.kind, p1.id, p2.kind, p2.id, p3.kind, p3.id "
                      "FROM org_units u LEFT JOIN org_units p1 ON p1.id = u.parent "
                      "LEFT JOIN org_units p2 ON p2.id = p1.parent "
                      "LEFT JOIN org_units p3 ON p3.id = p2.parent WHERE u.id = $1");
    prepare("rule", "SELECT c.line, r.id, r.tier, r.line, r.co, r.ack_s, r.ack_warn_s, "
                    "r.conclude_s, r.conclude_warn_s FROM categories c LEFT JOIN LATERAL "
                    "(SELECT * FROM rules r WHERE (r.category = c.id OR r.category IS NULL) "
                    "AND (r.severity = $2 OR r.severity IS NULL) "
                    "AND (r.risk = $3 OR r.risk IS NULL) "
                    "ORDER BY r.category IS NOT NULL DESC, r.severity IS NOT NULL DESC, "
                    "r.risk IS NOT NULL DESC LIMIT 1) r ON true WHERE c.id = $1");
    prepare("worker_grid", "SELECT id FROM workers WHERE grid = $1 AND on_duty "
                           "AND load < capacity ORDER BY load, id LIMIT 1");
    prepare("worker_village", "SELECT id FROM workers WHERE village = $1 AND on_duty "
                              "AND load < capacity ORDER BY load, id LIMIT 1");
    prepare("village_unit", "SELECT id FROM handlers WHERE kind = 'village' AND territory = $1");
    prepare("town_line",
            "SELECT id FROM handlers WHERE kind = 'town_line' AND territory = $1 AND line = $2");
    prepare("district_lead", "SELECT id FROM handlers WHERE territory = $1 AND "
                             "((kind = 'department' AND line = $2) OR kind = 'center') "
                             "ORDER BY kind = 'center' LIMIT 1");
    prepare("co", "SELECT id FROM handlers WHERE kind = 'department' AND territory = $1 "
                  "AND dept_code = ANY ($2::text[])");
    prepare("load_up", "UPDATE workers SET load = load + 1 WHERE id = $1");
    prepare("load_down", "UPDATE workers SET load = load - 1 WHERE id = $1 AND load > 0");
    prepare("begin", "BEGIN");
    prepare("commit", "COMMIT");
}

/* ---- one decision through SQL ---- */

typedef struct sql_decision {
    int status; /* fq_route_outcome */
    int tier, line;
    int32_t grid, village, town, district;
    int32_t lead, worker;
    int32_t co[FQ_ROUTE_MAX_CO];
    int n_co;
} sql_decision;

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int32_t one_int(PGresult *res, int col)
{
    if (PQntuples(res) == 0 || PQgetisnull(res, 0, col))
        return -1;
    return (int32_t)atol(PQgetvalue(res, 0, col));
}

static void add_co(sql_decision *d, int32_t h)
{
    if (h < 0 || h == d->lead || d->n_co >= FQ_ROUTE_MAX_CO)
        return;
    for (int i = 0; i < d->n_co; i++)
        if (d->co[i] == h)
            return;
    d->co[d->n_co++] = h;
}

static void sql_decide(const fq_route_request *req, sql_decision *d)
{
    char a[4][64];
    const char *pv[4] = {a[0], a[1], a[2], a[3]};
    PGresult *res;
    memset(d, 0, sizeof *d);
    d->grid = d->village = d->town = d->district = d->lead = d->worker = -1;
    PQclear(run("begin", 0, NULL));

    int32_t place = req->place;
    if (place < 0 && req->has_location) {
        snprintf(a[0], sizeof a[0], "%.17g", req->lon);
        snprintf(a[1], sizeof a[1], "%.17g", req->lat);
        res = run("locate", 2, pv);
        place = one_int(res, 0);
        PQclear(res);
        if (place < 0)
            place = req->fallback_place;
    }
    if (place < 0) {
        d->status = FQ_ROUTE_NOWHERE;
        return; /* the caller commits, after the release */
    }
    snprintf(a[0], sizeof a[0], "%d", place);
    res = run("owners", 1, pv);
    for (int col = 0; col < 8 && PQntuples(res) > 0; col += 2) {
        if (PQgetisnull(res, 0, col))
            break;
        fq_unit_kind k = fq_unit_kind_parse(PQgetvalue(res, 0, col));
        int32_t id = (int32_t)atol(PQgetvalue(res, 0, col + 1));
        if (k == FQ_UNIT_GRID)
            d->grid = id;
        else if (k == FQ_UNIT_VILLAGE)
            d->village = id;
        else if (k == FQ_UNIT_TOWN)
            d->town = id;
        else if (k == FQ_UNIT_DISTRICT)
            d->district = id;
    }
    PQclear(res);

    snprintf(a[0], sizeof a[0], "%d", req->category);
    snprintf(a[1], sizeof a[1], "%d", req->severity);
    snprintf(a[2], sizeof a[2], "%d", req->risk);
    res = run("rule", 3, pv);
    if (PQntuples(res) != 1)
        bu_die("rule query: no category row");
    int default_line = (int)atol(PQgetvalue(res, 0, 0));
    int tier;
    char co_codes[512] = "{}";
    if (PQgetisnull(res, 0, 1)) { /* no row: the principle */
        fq_rule pr = fq_rules_principle((fq_line)default_line, req->severity, req->risk);
        tier = pr.tier;
        d->line = pr.line;
    } else {
        tier = (int)atol(PQgetvalue(res, 0, 2));
        d->line = PQgetisnull(res, 0, 3) ? default_line : (int)atol(PQgetvalue(res, 0, 3));
        snprintf(co_codes, sizeof co_codes, "%s", PQgetvalue(res, 0, 4));
    }
    PQclear(res);

    int floor = d->village >= 0 ? FQ_TIER_VILLAGE : d->town >= 0 ? FQ_TIER_TOWN : FQ_TIER_DISTRICT;
    if (floor > tier)
        tier = floor;
    for (int t = tier; t <= FQ_TIER_DISTRICT; t++) {
        d->lead = d->worker = -1;
        d->n_co = 0;
        if (t == FQ_TIER_VILLAGE) {
            snprintf(a[0], sizeof a[0], "%d", d->grid >= 0 ? d->grid : d->village);
            res = run(d->grid >= 0 ? "worker_grid" : "worker_village", 1, pv);
            d->worker = one_int(res, 0);
            PQclear(res);
            if (d->worker < 0)
                continue;
            snprintf(a[0], sizeof a[0], "%d", d->village);
            res = run("village_unit", 1, pv);
            d->lead = one_int(res, 0);
            PQclear(res);
            snprintf(a[0], sizeof a[0], "%d", d->worker);
            PQclear(run("load_up", 1, pv));
        } else if (t == FQ_TIER_TOWN) {
            snprintf(a[0], sizeof a[0], "%d", d->town);
            snprintf(a[1], sizeof a[1], "%d", d->line);
            res = run("town_line", 2, pv);
            d->lead = one_int(res, 0);
            PQclear(res);
            if (d->lead < 0)
                continue;
            /* A town-tier rule may name district departments to help. */
            if (strcmp(co_codes, "{}") != 0) {
                snprintf(a[0], sizeof a[0], "%d", d->district);
                pv[1] = co_codes;
                res = run("co", 2, pv);
                pv[1] = a[1];
                for (int i = 0; i < PQntuples(res); i++)
                    add_co(d, (int32_t)atol(PQgetvalue(res, i, 0)));
                PQclear(res);
            }
        } else {
            snprintf(a[0], sizeof a[0], "%d", d->district);
            snprintf(a[1], sizeof a[1], "%d", d->line);
            res = run("district_lead", 2, pv);
            d->lead = one_int(res, 0);
            PQclear(res);
            if (d->lead < 0)
                continue;
            /* Every district-tier decision is a joint operation: the rule's
             * departments and the territory's own town line. */
            if (strcmp(co_codes, "{}") != 0) {
                pv[1] = co_codes;
                res = run("co", 2, pv);
                pv[1] = a[1];
                for (int i = 0; i < PQntuples(res); i++)
                    add_co(d, (int32_t)atol(PQgetvalue(res, i, 0)));
                PQclear(res);
            }
            snprintf(a[0], sizeof a[0], "%d", d->town);
            res = run("town_line", 2, pv);
            add_co(d, one_int(res, 0));
            PQclear(res);
        }
        d->tier = t;
        d->status = FQ_ROUTE_ASSIGNED;
        return; /* the caller commits, after the release */
    }
    d->lead = d->worker = -1;
    d->status = FQ_ROUTE_NO_HANDLER;
}

static int same_set(const int32_t *a, int na, const int32_t *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++) {
        int found = 0;
        for (int j = 0; j < nb; j++)
            found |= a[i] == b[j];
        if (!found)
            return 0;
    }
    return 1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-route-sql", false, usage);
    const char *conninfo = NULL;
    long n_inc = 20000, warmup = 1000, seed = 1, hold = 100000, districts = 13;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--conninfo") == 0)
            conninfo = v;
        else if (strcmp(k, "--incidents") == 0)
            n_inc = bu_parse_long(v, 1, 10000000);
        else if (strcmp(k, "--warmup") == 0)
            warmup = bu_parse_long(v, 0, 10000000);
        else if (strcmp(k, "--seed") == 0)
            seed = bu_parse_long(v, 0, INT32_MAX);
        else if (strcmp(k, "--hold") == 0)
            hold = bu_parse_long(v, 1, 100000000);
        else if (strcmp(k, "--districts") == 0)
            districts = bu_parse_long(v, 1, 1000);
        else
            usage();
    }
    if (conninfo == NULL)
        usage();
    char err[256];
    fq_city_params p;
    fq_city_params_default(&p, (uint64_t)seed);
    p.districts = (int)districts;
    fq_city *city = fq_city_new(&p, err, sizeof err);
    if (city == NULL)
        bu_die_detail("building the city", err);
    fq_router *router =
        fq_router_new(city->org, city->roster, city->rules, city->geo, err, sizeof err);
    if (router == NULL)
        bu_die_detail("creating the router", err);

    /* The scratch database. */
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        die_pq("connecting");
    PQsetNoticeProcessor(conn, quiet, NULL);
    exec_ok("DROP DATABASE IF EXISTS " DB_NAME);
    exec_ok("CREATE DATABASE " DB_NAME);
    PQfinish(conn);
    size_t ci_len = strlen(conninfo) + 64;
    char *ci = bu_xmalloc(ci_len);
    snprintf(ci, ci_len, "%s dbname=" DB_NAME, conninfo); /* the later keyword wins */
    conn = PQconnectdb(ci);
    free(ci);
    if (PQstatus(conn) != CONNECTION_OK)
        die_pq("connecting to " DB_NAME);
    double t0 = bu_now_s();
    load_city(city);
    double load_s = bu_now_s() - t0;
    prepare_all();
    fprintf(stderr, "fq-bench-route-sql: city loaded in %.1f s\n", load_s);
    printf("{\"metric\":\"sql_load\",\"seconds\":%.2f,\"units\":%zu,\"workers\":%zu,"
           "\"polygons\":%zu,\"handlers\":%zu,\"rule_rows\":%zu}\n",
           load_s, fq_org_count(city->org), city->n_workers, city->n_grids,
           fq_roster_handler_count(city->roster), city->n_rule_rows);
    fflush(stdout);

    size_t total = (size_t)warmup + (size_t)n_inc, k = (size_t)hold;
    fq_incident_gen gen;
    fq_incident_gen_init(&gen, city, (uint64_t)seed + 1, NULL);
    int32_t *sql_worker_ring = bu_xmalloc(k * sizeof *sql_worker_ring);
    fq_decision *c_ring = bu_xmalloc(k * sizeof *c_ring);
    for (size_t i = 0; i < k; i++) {
        sql_worker_ring[i] = -1;
        c_ring[i].status = FQ_ROUTE_NOWHERE;
    }
    uint32_t *lat = bu_xmalloc((size_t)n_inc * sizeof *lat);
    uint64_t agree_tier_line = 0, agree_lead = 0, agree_co = 0, agree_worker = 0, workers = 0;
    uint64_t agree_place = 0, counted = 0, sql_ns = 0;
    size_t disagreements_shown = 0;
    for (size_t i = 0; i < total; i++) {
        fq_route_request req;
        int32_t truth;
        fq_incident_next(&gen, &req, &truth);
        size_t slot = i % k;

        int64_t s = bu_now_ns();
        sql_decision sd;
        sql_decide(&req, &sd);
        if (sql_worker_ring[slot] >= 0) {
            char a[16];
            const char *pv[1] = {a};
            snprintf(a, sizeof a, "%d", sql_worker_ring[slot]);
            PQclear(run("load_down", 1, pv));
        }
        PQclear(run("commit", 0, NULL));
        int64_t took = bu_now_ns() - s;
        sql_worker_ring[slot] = sd.worker;

        /* The C router, outside the timed part. */
        fq_decision *cd = &c_ring[slot];
        fq_route_release(router, cd);
        fq_route(router, &req, cd);
        fq_route_apply(router, cd);

        if (i < (size_t)warmup)
            continue;
        lat[counted] = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
        sql_ns += (uint64_t)took;
        counted++;
        int tl = (int)cd->status == sd.status &&
                 (sd.status != FQ_ROUTE_ASSIGNED || (cd->tier == sd.tier && cd->line == sd.line));
        agree_tier_line += tl;
        agree_place += cd->grid == sd.grid && cd->village == sd.village && cd->town == sd.town &&
                       cd->district == sd.district;
        agree_lead += tl && cd->lead == sd.lead;
        agree_co += same_set(cd->co, cd->n_co, sd.co, sd.n_co);
        if (sd.status == FQ_ROUTE_ASSIGNED && sd.tier == FQ_TIER_VILLAGE && tl) {
            workers++;
            agree_worker += cd->worker == sd.worker;
        }
        if (!tl && disagreements_shown++ < 5)
            fprintf(stderr,
                    "fq-bench-route-sql: incident %zu: C status %d tier %d line %d, SQL "
                    "status %d tier %d line %d\n",
                    i, cd->status, cd->tier, cd->line, sd.status, sd.tier, sd.line);
    }
    qsort(lat, counted, sizeof *lat, cmp_u32);
    double rate = (double)counted * 1e9 / (double)sql_ns;
    fprintf(stderr,
            "fq-bench-route-sql: %lu decisions, %.0f/s; tier+line agree %.4f, lead %.4f, "
            "co %.4f, worker %.4f of %lu village-tier\n",
            (unsigned long)counted, rate, (double)agree_tier_line / (double)counted,
            (double)agree_lead / (double)counted, (double)agree_co / (double)counted,
            workers ? (double)agree_worker / (double)workers : 0.0, (unsigned long)workers);
    printf("{\"metric\":\"sql_decisions_per_s\",\"value\":%.1f,\"unit\":\"decisions/s\","
           "\"decisions\":%lu,\"warmup\":%ld,\"us_p50\":%.1f,\"us_p99\":%.1f,"
           "\"agree_tier_line\":%.5f,\"agree_place\":%.5f,\"agree_lead\":%.5f,"
           "\"agree_co\":%.5f,\"agree_worker\":%.5f,\"village_tier\":%lu,\"hold\":%zu,"
           "\"server\":\"%s\"}\n",
           rate, (unsigned long)counted, warmup, lat[(counted - 1) / 2] / 1e3,
           lat[(counted - 1) * 99 / 100] / 1e3, (double)agree_tier_line / (double)counted,
           (double)agree_place / (double)counted, (double)agree_lead / (double)counted,
           (double)agree_co / (double)counted,
           workers ? (double)agree_worker / (double)workers : 0.0, (unsigned long)workers, k,
           PQparameterStatus(conn, "server_version"));
    PQfinish(conn);
    free(lat);
    free(sql_worker_ring);
    free(c_ring);
    fq_router_free(router);
    fq_city_free(city);
    return 0;
}
