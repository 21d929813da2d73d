/* citygen: see citygen.h. Counts are drawn first (one pass of the PRNG in a
 * fixed order), then the org tree, the geometry, the roster and the rules are
 * built from the counts, so each stage is deterministic on its own. */
#include "citygen.h"

#include "errbuf.h"
#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t fq_city_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double fq_city_uniform(uint64_t *state)
{
    return (double)(fq_city_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

static int draw(uint64_t *rng, fq_city_range r)
{
    if (r.max <= r.min)
        return r.min;
    return r.min + (int)(fq_city_rand(rng) % (uint64_t)(r.max - r.min + 1));
}

void fq_city_params_default(fq_city_params *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->districts = 13;
    p->towns_per_district = (fq_city_range){13, 18}; /* ~200 towns */
    p->villages_per_town = (fq_city_range){20, 30};  /* ~5,000 villages */
    p->grids_per_village = (fq_city_range){8, 12};   /* ~50,000 grids */
    p->workers_per_grid = (fq_city_range){1, 3};     /* ~100,000 workers */
    p->categories = 40;
    p->rule_rows = 1;
    p->polygons = 1;
    p->on_duty = 0.9;
    p->busy = 0.2;
    p->grid_deg = 0.003;
}

void fq_city_params_small(fq_city_params *p, uint64_t seed)
{
    fq_city_params_default(p, seed);
    p->districts = 1 + (int)(seed % 2);
    p->towns_per_district = (fq_city_range){1, 3};
    p->villages_per_town = (fq_city_range){1, 3};
    p->grids_per_village = (fq_city_range){1, 3};
    p->workers_per_grid = (fq_city_range){0, 3};
    p->categories = 8;
}

/* ---- vocabulary ---- */

static const char *const department_codes[FQ_CITY_DEPARTMENTS] = {
    "public_security", "market_regulation", "urban_management", "civil_affairs",
    "petitions",       "emergency",         "justice",
};
/* The line each department leads at district level; -1: none. */
static const int department_line[FQ_CITY_DEPARTMENTS] = {
    FQ_LINE_GOVERNANCE, FQ_LINE_MARKET, FQ_LINE_ENFORCEMENT, FQ_LINE_SERVICES, -1, -1, -1,
};

static const struct {
    const char *code;
    fq_line line;
} named_categories[] = {
    {"dispute.neighbour", FQ_LINE_GOVERNANCE},  {"environment.garbage", FQ_LINE_ENFORCEMENT},
    {"road.damage", FQ_LINE_SERVICES},          {"noise.construction", FQ_LINE_ENFORCEMENT},
    {"vendor.street", FQ_LINE_ENFORCEMENT},     {"market.food_safety", FQ_LINE_MARKET},
    {"safety.fire_hazard", FQ_LINE_GOVERNANCE}, {"petition.collective", FQ_LINE_GOVERNANCE},
    {"water.drainage", FQ_LINE_SERVICES},       {"traffic.parking", FQ_LINE_ENFORCEMENT},
    {"market.price", FQ_LINE_MARKET},           {"labour.wage_arrears", FQ_LINE_GOVERNANCE},
    {"housing.property", FQ_LINE_SERVICES},     {"environment.pollution", FQ_LINE_ENFORCEMENT},
    {"welfare.subsidy", FQ_LINE_SERVICES},      {"security.public_order", FQ_LINE_GOVERNANCE},
    {"market.unlicensed", FQ_LINE_MARKET},      {"education.school", FQ_LINE_SERVICES},
    {"health.sanitation", FQ_LINE_SERVICES},    {"building.illegal", FQ_LINE_ENFORCEMENT},
};
#define N_NAMED (sizeof named_categories / sizeof named_categories[0])

/* Category indices the rule rows name (they are skipped when the city has
 * fewer categories). */
enum {
    CAT_NEIGHBOUR = 0,
    CAT_ROAD = 2,
    CAT_FOOD = 5,
    CAT_FIRE = 6,
    CAT_PETITION = 7,
};

#define MIN_S 60u
#define HOUR_S 3600u
#define DAY_S 86400u

typedef struct row_template {
    int category; /* index, or -1 = any */
    int severity, risk;
    fq_tier tier;
    int line;
    const char *co[FQ_RULE_MAX_CO];
    uint32_t ack_s, ack_warn_s, conclude_s, conclude_warn_s;
} row_template;

/* A realistic handful: severity-wide and risk-wide rows for major matters,
 * category rows where a kind of matter has its own practice. No two rows are
 * equally specific for one cell (that would not compile). */
static const row_template row_templates[] = {
    /* Especially major: the district, with emergency management and police. */
    {-1,
     1,
     0,
     FQ_TIER_DISTRICT,
     -1,
     {"emergency", "public_security"},
     10 * MIN_S,
     2 * MIN_S,
     3 * DAY_S,
     12 * HOUR_S},
    {-1, 2, 0, FQ_TIER_DISTRICT, -1, {"emergency"}, 15 * MIN_S, 3 * MIN_S, 7 * DAY_S, DAY_S},
    /* High-risk disputes: petitions bureau and justice join. */
    {-1,
     0,
     3,
     FQ_TIER_DISTRICT,
     -1,
     {"petitions", "justice"},
     15 * MIN_S,
     3 * MIN_S,
     15 * DAY_S,
     3 * DAY_S},
    {-1, 0, 2, FQ_TIER_TOWN, -1, {NULL}, 30 * MIN_S, 5 * MIN_S, 7 * DAY_S, DAY_S},
    {-1, 3, 0, FQ_TIER_TOWN, -1, {NULL}, 30 * MIN_S, 5 * MIN_S, 10 * DAY_S, 2 * DAY_S},
    /* Small matters do not leave the village: neighbour disputes up to III. */
    {CAT_NEIGHBOUR,
     3,
     0,
     FQ_TIER_VILLAGE,
     FQ_LINE_GOVERNANCE,
     {NULL},
     HOUR_S,
     10 * MIN_S,
     3 * DAY_S,
     12 * HOUR_S},
    {CAT_NEIGHBOUR,
     4,
     0,
     FQ_TIER_VILLAGE,
     FQ_LINE_GOVERNANCE,
     {NULL},
     HOUR_S,
     10 * MIN_S,
     DAY_S,
     4 * HOUR_S},
    /* Road repairs need the town's services line, not a grid worker. */
    {CAT_ROAD,
     4,
     0,
     FQ_TIER_TOWN,
     FQ_LINE_SERVICES,
     {NULL},
     2 * HOUR_S,
     20 * MIN_S,
     7 * DAY_S,
     DAY_S},
    /* Fire hazards: always the district, jointly. */
    {CAT_FIRE,
     0,
     0,
     FQ_TIER_DISTRICT,
     -1,
     {"emergency", "public_security", "urban_management"},
     10 * MIN_S,
     2 * MIN_S,
     2 * DAY_S,
     8 * HOUR_S},
    /* Collective petitions: the town's governance line unless high risk. */
    {CAT_PETITION,
     0,
     1,
     FQ_TIER_TOWN,
     FQ_LINE_GOVERNANCE,
     {NULL},
     30 * MIN_S,
     5 * MIN_S,
     20 * DAY_S,
     4 * DAY_S},
    {CAT_PETITION,
     0,
     2,
     FQ_TIER_TOWN,
     FQ_LINE_GOVERNANCE,
     {NULL},
     30 * MIN_S,
     5 * MIN_S,
     20 * DAY_S,
     4 * DAY_S},
    {CAT_PETITION,
     0,
     3,
     FQ_TIER_DISTRICT,
     FQ_LINE_GOVERNANCE,
     {"petitions", "public_security", "justice"},
     15 * MIN_S,
     3 * MIN_S,
     20 * DAY_S,
     4 * DAY_S},
    /* Food safety: the market line; major cases with the regulator. */
    {CAT_FOOD, 0, 0, FQ_TIER_TOWN, FQ_LINE_MARKET, {NULL}, 30 * MIN_S, 5 * MIN_S, 5 * DAY_S, DAY_S},
    {CAT_FOOD,
     1,
     0,
     FQ_TIER_DISTRICT,
     FQ_LINE_MARKET,
     {"market_regulation", "emergency"},
     10 * MIN_S,
     2 * MIN_S,
     3 * DAY_S,
     12 * HOUR_S},
    {CAT_FOOD,
     2,
     0,
     FQ_TIER_DISTRICT,
     FQ_LINE_MARKET,
     {"market_regulation"},
     15 * MIN_S,
     3 * MIN_S,
     5 * DAY_S,
     DAY_S},
};
#define N_TEMPLATES (sizeof row_templates / sizeof row_templates[0])

/* ---- geometry ---- */

typedef struct rect {
    double x0, y0, x1, y1;
} rect;

/* Splits `r` into n children of the given weights: columns of consecutive
 * children, column widths by weight, heights within a column by weight. The
 * outer edges are copied, never recomputed, so neighbours share exact doubles.
 * With jitter, the interior horizontal edges of a column get independently
 * moved ends; corners[i] gets the child's quadrilateral (LL, LR, UR, UL). */
static void split(rect r, int n, const double *weights, int jitter, uint64_t *rng,
                  double (*corners)[8])
{
    double w = r.x1 - r.x0, h = r.y1 - r.y0;
    int cols = (int)lround(sqrt((double)n * w / h));
    if (cols < 1)
        cols = 1;
    if (cols > n)
        cols = n;
    double total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    double x_left = r.x0, acc_w = 0;
    for (int c = 0; c < cols; c++) {
        int first = (int)((long)c * n / cols), last = (int)((long)(c + 1) * n / cols);
        double col_w = 0;
        for (int i = first; i < last; i++)
            col_w += weights[i];
        acc_w += col_w;
        double x_right = c == cols - 1 ? r.x1 : r.x0 + w * (acc_w / total);
        double yl = r.y0, yr = r.y0, acc_h = 0;
        for (int i = first; i < last; i++) {
            acc_h += weights[i];
            double nl, nr;
            if (i == last - 1) {
                nl = nr = r.y1;
            } else {
                double base = r.y0 + h * (acc_h / col_w);
                nl = nr = base;
                if (jitter) {
                    /* A quarter of the thinner neighbour: edges never cross. */
                    double lo = weights[i], hi = weights[i + 1];
                    double room = 0.25 * h * (lo < hi ? lo : hi) / col_w;
                    nl = base + room * (2 * fq_city_uniform(rng) - 1);
                    nr = base + room * (2 * fq_city_uniform(rng) - 1);
                }
            }
            double *q = corners[i];
            q[0] = x_left, q[1] = yl;  /* lower left */
            q[2] = x_right, q[3] = yr; /* lower right */
            q[4] = x_right, q[5] = nr; /* upper right */
            q[6] = x_left, q[7] = nl;  /* upper left */
            yl = nl;
            yr = nr;
        }
        x_left = x_right;
    }
}

static rect rect_of(const double *q)
{
    return (rect){q[0], q[1], q[4], q[5]};
}

void fq_city_point_in_grid(const fq_city *city, int32_t grid, double u, double v, double *lon,
                           double *lat)
{
    const double *q = city->corners[grid];
    double bottom = q[1] + u * (q[3] - q[1]);
    double top = q[7] + u * (q[5] - q[7]);
    *lon = q[0] + u * (q[2] - q[0]);
    *lat = bottom + v * (top - bottom);
}

/* ---- building ---- */

void fq_city_free(fq_city *c)
{
    if (c == NULL)
        return;
    fq_geo_free(c->geo);
    fq_roster_free(c->roster);
    fq_rules_free(c->rules);
    fq_taxonomy_free(c->taxonomy);
    fq_org_free(c->org);
    free(c->rule_rows);
    free(c->corners);
    free(c->grids);
    free(c->category_cdf);
    free(c);
}

static int check_range(fq_city_range r, int min, const char *what, char *err, size_t err_len)
{
    if (r.min < min || r.max < r.min || r.max > 100000)
        return fq_errf(err, err_len, "%s: range %d-%d is not valid", what, r.min, r.max);
    return 0;
}

static int check_params(const fq_city_params *p, char *err, size_t err_len)
{
    if (p->districts < 1 || p->districts > 1000)
        return fq_errf(err, err_len, "districts must be 1-1000");
    if (check_range(p->towns_per_district, 1, "towns per district", err, err_len) ||
        check_range(p->villages_per_town, 1, "villages per town", err, err_len) ||
        check_range(p->grids_per_village, 1, "grids per village", err, err_len) ||
        check_range(p->workers_per_grid, 0, "workers per grid", err, err_len))
        return -1;
    if (p->categories < 1 || p->categories > FQ_CATEGORY_MAX)
        return fq_errf(err, err_len, "categories must be 1-%d", FQ_CATEGORY_MAX);
    if (!(p->grid_deg > 1e-5 && p->grid_deg < 0.1))
        return fq_errf(err, err_len, "grid_deg must be between 1e-5 and 0.1");
    return 0;
}

/* The drawn shape of the city: counts per unit, children in order. */
typedef struct shape {
    int *towns, *villages, *grids, *workers; /* per district / town / village / grid */
    size_t n_towns, n_villages, n_grids, n_workers;
} shape;

static void shape_free(shape *s)
{
    free(s->towns);
    free(s->villages);
    free(s->grids);
    free(s->workers);
}

static int draw_shape(const fq_city_params *p, uint64_t *rng, shape *s)
{
    memset(s, 0, sizeof *s);
    s->towns = malloc((size_t)p->districts * sizeof *s->towns);
    if (s->towns == NULL)
        return -1;
    for (int d = 0; d < p->districts; d++)
        s->n_towns += (size_t)(s->towns[d] = draw(rng, p->towns_per_district));
    s->villages = malloc(s->n_towns * sizeof *s->villages);
    if (s->villages == NULL)
        return -1;
    for (size_t t = 0; t < s->n_towns; t++)
        s->n_villages += (size_t)(s->villages[t] = draw(rng, p->villages_per_town));
    s->grids = malloc(s->n_villages * sizeof *s->grids);
    if (s->grids == NULL)
        return -1;
    for (size_t v = 0; v < s->n_villages; v++)
        s->n_grids += (size_t)(s->grids[v] = draw(rng, p->grids_per_village));
    s->workers = malloc(s->n_grids * sizeof *s->workers);
    if (s->workers == NULL)
        return -1;
    for (size_t g = 0; g < s->n_grids; g++)
        s->n_workers += (size_t)(s->workers[g] = draw(rng, p->workers_per_grid));
    /* Never a city without workers (a roster of none is not what we test). */
    if (s->n_workers == 0 && p->workers_per_grid.max > 0) {
        s->workers[s->n_grids - 1] = 1;
        s->n_workers = 1;
    }
    return 0;
}

static const char *line_names[FQ_LINE_COUNT] = {"governance", "market", "enforcement", "services"};

/* The org tree, the roster and the polygons, walking the shape once. */
static int build_units(fq_city *c, const shape *s, uint64_t *rng, char *err, size_t err_len)
{
    const fq_city_params *p = &c->params;
    char id[FQ_ID_MAX_LEN + 1], parent[FQ_ID_MAX_LEN + 1];
    int rv = -1;
    /* Every unit's quadrilateral while building (towns and villages too). */
    size_t n_units = (size_t)p->districts + s->n_towns + s->n_villages + s->n_grids;
    double(*quad)[8] = malloc(n_units * sizeof *quad);
    double *weights = malloc((n_units + 1) * sizeof *weights);
    c->org = fq_org_new();
    if (quad == NULL || weights == NULL || c->org == NULL) {
        fq_errf(err, err_len, "out of memory");
        goto done;
    }

    /* Unit ordinals in the order added: districts, then each district's
     * towns, each town's villages, each village's grids (depth first). The
     * weights for the layout are grid counts, so grids stay about square. */
    size_t *town_grids = calloc(s->n_towns + 1, sizeof *town_grids);
    size_t *district_grids = calloc((size_t)p->districts + 1, sizeof *district_grids);
    if (town_grids == NULL || district_grids == NULL) {
        free(town_grids);
        free(district_grids);
        fq_errf(err, err_len, "out of memory");
        goto done;
    }
    {
        size_t t = 0, v = 0;
        for (int d = 0; d < p->districts; d++)
            for (int k = 0; k < s->towns[d]; k++, t++) {
                for (int j = 0; j < s->villages[t]; j++, v++)
                    town_grids[t] += (size_t)s->grids[v];
                district_grids[d] += town_grids[t];
            }
    }
    double height = sqrt((double)s->n_grids / p->districts) * p->grid_deg;
    double width = (double)s->n_grids * p->grid_deg * p->grid_deg / height;
    c->lon_min = FQ_CITY_LON0;
    c->lat_min = FQ_CITY_LAT0;
    c->lon_max = FQ_CITY_LON0 + width;
    c->lat_max = FQ_CITY_LAT0 + height;

    /* Districts side by side: one row of columns. */
    double(*dq)[8] = quad;
    {
        double x = c->lon_min, acc = 0;
        for (int d = 0; d < p->districts; d++) {
            acc += (double)district_grids[d];
            double x1 = d == p->districts - 1 ? c->lon_max
                                              : c->lon_min + width * (acc / (double)s->n_grids);
            double *q = dq[d];
            q[0] = x, q[1] = c->lat_min, q[2] = x1, q[3] = c->lat_min;
            q[4] = x1, q[5] = c->lat_max, q[6] = x, q[7] = c->lat_max;
            x = x1;
        }
    }
    double(*tq)[8] = dq + p->districts;
    double(*vq)[8] = tq + s->n_towns;
    double(*gq)[8] = vq + s->n_villages;

    fq_geo_builder *geo = p->polygons ? fq_geo_builder_new() : NULL;
    if (p->polygons && geo == NULL) {
        free(town_grids);
        free(district_grids);
        fq_errf(err, err_len, "out of memory");
        goto done;
    }

    size_t t = 0, v = 0, g = 0;
    for (int d = 0; d < p->districts; d++) {
        snprintf(id, sizeof id, "d%d", d + 1);
        if (fq_org_add(c->org, id, FQ_UNIT_DISTRICT, "", id, err, err_len) != 0)
            goto fail;
        for (int k = 0; k < s->towns[d]; k++)
            weights[k] = (double)town_grids[t + (size_t)k];
        split(rect_of(dq[d]), s->towns[d], weights, 0, rng, tq + t);
        for (int k = 0; k < s->towns[d]; k++, t++) {
            snprintf(parent, sizeof parent, "d%d", d + 1);
            snprintf(id, sizeof id, "d%d-t%d", d + 1, k + 1);
            if (fq_org_add(c->org, id, FQ_UNIT_TOWN, parent, id, err, err_len) != 0)
                goto fail;
            for (int j = 0; j < s->villages[t]; j++)
                weights[j] = (double)s->grids[v + (size_t)j];
            split(rect_of(tq[t]), s->villages[t], weights, 0, rng, vq + v);
            for (int j = 0; j < s->villages[t]; j++, v++) {
                snprintf(parent, sizeof parent, "d%d-t%d", d + 1, k + 1);
                snprintf(id, sizeof id, "d%d-t%d-v%d", d + 1, k + 1, j + 1);
                if (fq_org_add(c->org, id, FQ_UNIT_VILLAGE, parent, id, err, err_len) != 0)
                    goto fail;
                for (int i = 0; i < s->grids[v]; i++)
                    weights[i] = 1;
                split(rect_of(vq[v]), s->grids[v], weights, 1, rng, gq + g);
                for (int i = 0; i < s->grids[v]; i++, g++) {
                    snprintf(parent, sizeof parent, "d%d-t%d-v%d", d + 1, k + 1, j + 1);
                    snprintf(id, sizeof id, "d%d-t%d-v%d-g%d", d + 1, k + 1, j + 1, i + 1);
                    if (fq_org_add(c->org, id, FQ_UNIT_GRID, parent, id, err, err_len) != 0)
                        goto fail;
                }
            }
        }
    }
    free(town_grids);
    free(district_grids);
    town_grids = district_grids = NULL;
    if (fq_org_finish(c->org, err, err_len) != 0)
        goto fail_geo;
    if (fq_org_count(c->org) != n_units) {
        fq_errf(err, err_len, "org has %zu units, expected %zu", fq_org_count(c->org), n_units);
        goto fail_geo;
    }

    /* Org indices follow the order of fq_org_add (checked per grid below):
     * corners and grid list by org index. */
    c->corners = malloc(n_units * sizeof *c->corners);
    c->grids = malloc((s->n_grids + 1) * sizeof *c->grids);
    if (c->corners == NULL || c->grids == NULL) {
        fq_errf(err, err_len, "out of memory");
        goto fail_geo;
    }
    for (size_t u = 0; u < n_units; u++)
        for (int i = 0; i < 8; i++)
            c->corners[u][i] = NAN;
    c->n_grids = 0;
    for (size_t u = 0; u < n_units; u++) {
        if (fq_org_kind(c->org, (int32_t)u) == FQ_UNIT_GRID)
            c->grids[c->n_grids++] = (int32_t)u;
    }
    if (c->n_grids != s->n_grids) {
        fq_errf(err, err_len, "org has %zu grids, expected %zu", c->n_grids, s->n_grids);
        goto fail_geo;
    }
    /* The k-th grid added is the k-th grid by index only if the org keeps
     * insertion order; find them by id to be independent of that. */
    {
        size_t gi = 0;
        t = v = 0;
        for (int d = 0; d < p->districts; d++)
            for (int k = 0; k < s->towns[d]; k++, t++)
                for (int j = 0; j < s->villages[t]; j++, v++)
                    for (int i = 0; i < s->grids[v]; i++, gi++) {
                        snprintf(id, sizeof id, "d%d-t%d-v%d-g%d", d + 1, k + 1, j + 1, i + 1);
                        int32_t u = fq_org_find(c->org, id);
                        memcpy(c->corners[u], gq[gi], sizeof gq[gi]);
                        c->grids[gi] = u;
                        if (geo != NULL && fq_geo_builder_add(geo, u, gq[gi], 4, err, err_len) != 0)
                            goto fail_geo;
                    }
    }
    if (geo != NULL) {
        c->geo = fq_geo_build(geo, err, err_len);
        geo = NULL;
        if (c->geo == NULL)
            goto done;
    }
    rv = 0;
    goto done;
fail:
    free(town_grids);
    free(district_grids);
fail_geo:
    fq_geo_builder_free(geo);
done:
    free(quad);
    free(weights);
    return rv;
}

static int build_roster(fq_city *c, const shape *s, uint64_t *rng, char *err, size_t err_len)
{
    const fq_city_params *p = &c->params;
    char id[FQ_ID_MAX_LEN + 1], hid[2 * FQ_ID_MAX_LEN], wid[2 * FQ_ID_MAX_LEN]; /* ids stay short */
    c->roster = fq_roster_new(c->org);
    if (c->roster == NULL)
        return fq_errf(err, err_len, "out of memory");
    size_t t = 0, v = 0, g = 0;
    for (int d = 0; d < p->districts; d++) {
        snprintf(id, sizeof id, "d%d", d + 1);
        snprintf(hid, sizeof hid, "%s.center", id);
        if (fq_roster_add_handler(c->roster, hid, FQ_HANDLER_CENTER, id, -1, NULL, err, err_len))
            return -1;
        for (int k = 0; k < FQ_CITY_DEPARTMENTS; k++) {
            int line = department_line[k];
            if (line >= 0 && fq_city_uniform(rng) < p->gap_lead)
                line = -1;
            snprintf(hid, sizeof hid, "%s.%s", id, department_codes[k]);
            if (fq_roster_add_handler(c->roster, hid, FQ_HANDLER_DEPARTMENT, id, line,
                                      department_codes[k], err, err_len))
                return -1;
        }
        for (int k = 0; k < s->towns[d]; k++, t++) {
            snprintf(id, sizeof id, "d%d-t%d", d + 1, k + 1);
            for (int l = 0; l < FQ_LINE_COUNT; l++) {
                if (fq_city_uniform(rng) < p->gap_town_line)
                    continue;
                snprintf(hid, sizeof hid, "%s.%s", id, line_names[l]);
                if (fq_roster_add_handler(c->roster, hid, FQ_HANDLER_TOWN_LINE, id, l, NULL, err,
                                          err_len))
                    return -1;
            }
            for (int j = 0; j < s->villages[t]; j++, v++) {
                snprintf(id, sizeof id, "d%d-t%d-v%d", d + 1, k + 1, j + 1);
                if (!(fq_city_uniform(rng) < p->gap_village)) {
                    snprintf(hid, sizeof hid, "%s.village", id);
                    if (fq_roster_add_handler(c->roster, hid, FQ_HANDLER_VILLAGE, id, -1, NULL, err,
                                              err_len))
                        return -1;
                }
                for (int i = 0; i < s->grids[v]; i++, g++) {
                    snprintf(id, sizeof id, "d%d-t%d-v%d-g%d", d + 1, k + 1, j + 1, i + 1);
                    for (int w = 0; w < s->workers[g]; w++) {
                        unsigned capacity = 3 + (unsigned)(fq_city_rand(rng) % 8);
                        int on_duty = fq_city_uniform(rng) < p->on_duty;
                        unsigned load =
                            (unsigned)(2.0 * p->busy * capacity * fq_city_uniform(rng) + 0.5);
                        if (load > capacity)
                            load = capacity;
                        snprintf(wid, sizeof wid, "%s.w%d", id, w + 1);
                        if (fq_roster_add_worker(c->roster, wid, id, capacity, on_duty, load, err,
                                                 err_len))
                            return -1;
                    }
                }
            }
        }
    }
    c->n_workers = s->n_workers;
    return fq_roster_finish(c->roster, err, err_len);
}

static int build_taxonomy_and_rules(fq_city *c, char *err, size_t err_len)
{
    const fq_city_params *p = &c->params;
    char code[FQ_ID_MAX_LEN + 1];
    c->taxonomy = fq_taxonomy_new();
    c->category_cdf = malloc((size_t)p->categories * sizeof *c->category_cdf);
    c->rule_rows = calloc(N_TEMPLATES, sizeof *c->rule_rows);
    if (c->taxonomy == NULL || c->category_cdf == NULL || c->rule_rows == NULL)
        return fq_errf(err, err_len, "out of memory");
    double total = 0;
    for (int i = 0; i < p->categories; i++) {
        fq_line line;
        if ((size_t)i < N_NAMED) {
            snprintf(code, sizeof code, "%s", named_categories[i].code);
            line = named_categories[i].line;
        } else {
            snprintf(code, sizeof code, "other.c%d", i);
            line = (fq_line)(i % FQ_LINE_COUNT);
        }
        if (fq_taxonomy_add(c->taxonomy, code, line, err, err_len) != i)
            return -1;
        /* Zipf with exponent 1.1: the first few categories dominate. */
        total += 1.0 / pow(i + 1, 1.1);
        c->category_cdf[i] = total;
    }
    for (int i = 0; i < p->categories; i++)
        c->category_cdf[i] /= total;

    c->n_rule_rows = 0;
    for (size_t i = 0; p->rule_rows && i < N_TEMPLATES; i++) {
        const row_template *rt = &row_templates[i];
        if (rt->category >= p->categories)
            continue;
        fq_rule_row *row = &c->rule_rows[c->n_rule_rows++];
        row->id = (uint32_t)(i + 1);
        row->category = rt->category >= 0 ? fq_taxonomy_code(c->taxonomy, rt->category) : NULL;
        row->severity = rt->severity;
        row->risk = rt->risk;
        row->tier = rt->tier;
        row->line = rt->line;
        for (int k = 0; k < FQ_RULE_MAX_CO && rt->co[k] != NULL; k++)
            row->co[row->n_co++] = rt->co[k];
        row->ack_s = rt->ack_s;
        row->ack_warn_s = rt->ack_warn_s;
        row->conclude_s = rt->conclude_s;
        row->conclude_warn_s = rt->conclude_warn_s;
    }
    c->rules = fq_rules_compile(c->taxonomy, 1, c->rule_rows, c->n_rule_rows, err, err_len);
    return c->rules == NULL ? -1 : 0;
}

fq_city *fq_city_new(const fq_city_params *p, char *err, size_t err_len)
{
    if (check_params(p, err, err_len) != 0)
        return NULL;
    fq_city *c = calloc(1, sizeof *c);
    if (c == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    c->params = *p;
    uint64_t rng = p->seed;
    shape s;
    if (draw_shape(p, &rng, &s) != 0) {
        shape_free(&s);
        fq_errf(err, err_len, "out of memory");
        fq_city_free(c);
        return NULL;
    }
    c->n_districts = (size_t)p->districts;
    c->n_towns = s.n_towns;
    c->n_villages = s.n_villages;
    /* Separate streams per stage: changing one stage leaves the others. */
    uint64_t geo_rng = p->seed ^ 0x67656f00ULL, roster_rng = p->seed ^ 0x726f737400ULL;
    int rv = build_units(c, &s, &geo_rng, err, err_len);
    if (rv == 0)
        rv = build_roster(c, &s, &roster_rng, err, err_len);
    if (rv == 0)
        rv = build_taxonomy_and_rules(c, err, err_len);
    shape_free(&s);
    if (rv != 0) {
        fq_city_free(c);
        return NULL;
    }
    return c;
}

/* ---- incidents ---- */

void fq_incident_mix_default(fq_incident_mix *m)
{
    memset(m, 0, sizeof *m);
    m->coords_only = 0.30;
    m->at_village = 0.15;
    m->at_town = 0.05;
    m->start_ms = 1538352000000LL; /* 2018-10-01T00:00:00Z */
    m->step_ms = 2000;
}

void fq_incident_gen_init(fq_incident_gen *g, const fq_city *city, uint64_t seed,
                          const fq_incident_mix *mix)
{
    memset(g, 0, sizeof *g);
    g->city = city;
    if (mix != NULL)
        g->mix = *mix;
    else
        fq_incident_mix_default(&g->mix);
    if (city->geo == NULL)
        g->mix.coords_only = 0;
    g->rng = seed ^ 0x696e6369ULL;
    g->now_ms = g->mix.start_ms;
}

static int category_of(const fq_city *c, double u)
{
    int lo = 0, hi = c->params.categories - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (u < c->category_cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void fq_incident_next(fq_incident_gen *g, fq_route_request *req, int32_t *truth)
{
    const fq_city *c = g->city;
    uint64_t *rng = &g->rng;
    fq_route_request_init(req);
    req->category = category_of(c, fq_city_uniform(rng));
    double u = fq_city_uniform(rng);
    req->severity = u < 0.60 ? 4 : u < 0.90 ? 3 : u < 0.98 ? 2 : 1;
    u = fq_city_uniform(rng);
    req->risk = u < 0.60 ? 1 : u < 0.90 ? 2 : 3;
    g->now_ms += (int64_t)(2.0 * (double)g->mix.step_ms * fq_city_uniform(rng));
    req->now_ms = g->now_ms;

    int32_t grid = c->grids[fq_city_rand(rng) % c->n_grids];
    int32_t village = fq_org_parent(c->org, grid);
    int32_t town = fq_org_parent(c->org, village);
    if (fq_city_uniform(rng) < g->mix.coords_only) {
        req->has_location = 1;
        req->fallback_place = town;
        if (fq_city_uniform(rng) < g->mix.outside) {
            /* Just outside the city: south of it, or east of it. */
            double a = fq_city_uniform(rng), b = 0.001 + 0.01 * fq_city_uniform(rng);
            if (fq_city_uniform(rng) < 0.5) {
                req->lon = c->lon_min + a * (c->lon_max - c->lon_min);
                req->lat = c->lat_min - b;
            } else {
                req->lon = c->lon_max + b;
                req->lat = c->lat_min + a * (c->lat_max - c->lat_min);
            }
            if (fq_city_uniform(rng) < g->mix.no_fallback)
                req->fallback_place = -1;
            *truth = -1;
        } else {
            double a = 0.02 + 0.96 * fq_city_uniform(rng);
            double b = 0.02 + 0.96 * fq_city_uniform(rng);
            fq_city_point_in_grid(c, grid, a, b, &req->lon, &req->lat);
            *truth = grid;
        }
        return;
    }
    u = fq_city_uniform(rng);
    req->place = u < g->mix.at_town                       ? town
                 : u < g->mix.at_town + g->mix.at_village ? village
                                                          : grid;
    *truth = req->place;
}
