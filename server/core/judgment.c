/* judgment: hotspots, trends and repeat sources (judgment.h). */
#include "judgment.h"

#include "dedup.h"
#include "errbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
/* Metres per degree of latitude on the sphere fq_dedup_distance_m uses. */
#define M_PER_DEG (6371008.8 * PI / 180.0)
/* Cells a little wider than the radius: a neighbour within the radius is
 * then never more than one cell away, whatever the haversine's difference
 * from the flat degrees at city scale. */
#define CELL_SLACK 1.05

void fq_jd_params_default(fq_jd_params *p)
{
    p->hotspot_min = 5;
    p->hotspot_radius_m = 300;
    p->hotspot_window_ms = FQ_JD_WEEK_MS;
    p->trend_weeks = 8;
    p->trend_min_count = 5;
    p->trend_p = 0.01;
    p->repeat_min = 3;
    p->repeat_window_ms = 30 * 24 * 3600 * 1000LL;
}

int fq_jd_params_check(const fq_jd_params *p, char *err, size_t err_len)
{
    if (p->hotspot_min < 2 || p->hotspot_min > 10000)
        return fq_errf(err, err_len, "a hotspot needs 2 to 10000 incidents");
    if (!(p->hotspot_radius_m >= FQ_JD_MIN_RADIUS_M && p->hotspot_radius_m <= FQ_JD_MAX_RADIUS_M))
        return fq_errf(err, err_len, "the hotspot radius is %g to %g m", FQ_JD_MIN_RADIUS_M,
                       FQ_JD_MAX_RADIUS_M);
    if (p->hotspot_window_ms <= 0 || p->repeat_window_ms <= 0)
        return fq_errf(err, err_len, "a window must be longer than nothing");
    if (p->trend_weeks < 2 || p->trend_weeks > FQ_JD_MAX_WEEKS)
        return fq_errf(err, err_len, "a trend's history is 2 to %d weeks", FQ_JD_MAX_WEEKS);
    if (p->trend_min_count < 1)
        return fq_errf(err, err_len, "a trend needs at least 1 incident");
    if (!(p->trend_p > 0 && p->trend_p <= 0.5))
        return fq_errf(err, err_len, "a trend's p threshold is above 0 and at most 0.5");
    if (p->repeat_min < 2)
        return fq_errf(err, err_len, "a repeat source needs at least 2 incidents");
    return 0;
}

int64_t fq_jd_params_reach_ms(const fq_jd_params *p)
{
    int64_t reach = (int64_t)(p->trend_weeks + 1) * FQ_JD_WEEK_MS;
    if (p->hotspot_window_ms > reach)
        reach = p->hotspot_window_ms;
    if (p->repeat_window_ms > reach)
        reach = p->repeat_window_ms;
    return reach;
}

double fq_jd_poisson_upper(uint32_t k, double mean)
{
    if (k == 0)
        return 1.0;
    if (!(mean > 0))
        return 0.0;
    if ((double)k <= mean) {
        /* The tail is large: 1 - the lower sum loses nothing that matters. */
        double term = exp(-mean), lower = 0;
        for (uint32_t j = 0; j < k; j++) {
            lower += term;
            term *= mean / (j + 1);
        }
        double p = 1.0 - lower;
        return p < 0 ? 0 : p;
    }
    /* Past the mode the terms only fall: sum from k until they vanish. */
    double term = exp(-mean + k * log(mean) - lgamma((double)k + 1.0)), sum = 0;
    for (uint32_t j = k; term > 0 && term >= sum * 1e-17; j++) {
        sum += term;
        term *= mean / (j + 1);
    }
    return sum > 1 ? 1 : sum;
}

/* ---- hotspots ---- */

typedef struct point {
    size_t idx; /* into the incidents */
    uint32_t cat;
    int64_t cx, cy;
} point;

static int cmp_key(uint32_t ca, int64_t xa, int64_t ya, uint32_t cb, int64_t xb, int64_t yb)
{
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (xa != xb)
        return xa < xb ? -1 : 1;
    if (ya != yb)
        return ya < yb ? -1 : 1;
    return 0;
}

static int cmp_point(const void *a, const void *b)
{
    const point *x = a, *y = b;
    int c = cmp_key(x->cat, x->cx, x->cy, y->cat, y->cx, y->cy);
    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first point at or after key (cat, cx, cy). */
static size_t lower_bound(const point *pts, size_t n, uint32_t cat, int64_t cx, int64_t cy)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(pts[mid].cat, pts[mid].cx, pts[mid].cy, cat, cx, cy) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* For the qsort comparators below (qsort has no user pointer in C11): one per
 * thread, so judgments on different threads do not meet. */
static _Thread_local const fq_jd_incident *g_inc;

static int cmp_idx_by_category(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(g_inc[x].category, g_inc[y].category);
    return c != 0 ? c : (x < y ? -1 : x > y);
}

static int cmp_idx_by_time(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (g_inc[x].at_ms != g_inc[y].at_ms)
        return g_inc[x].at_ms < g_inc[y].at_ms ? -1 : 1;
    return x < y ? -1 : x > y;
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Calls visit(ctx, i, j, d) for every point j within the radius of point i
 * (i itself included) of its category. */
typedef void (*visit_fn)(void *ctx, size_t i, size_t j, double d);

static void neighbours(const fq_jd_incident *inc, const point *pts, size_t n, size_t i,
                       double radius, visit_fn visit, void *ctx)
{
    const fq_jd_incident *a = &inc[pts[i].idx];
    for (int dx = -1; dx <= 1; dx++)
        for (int dy = -1; dy <= 1; dy++) {
            int64_t cx = pts[i].cx + dx, cy = pts[i].cy + dy;
            for (size_t j = lower_bound(pts, n, pts[i].cat, cx, cy);
                 j < n && pts[j].cat == pts[i].cat && pts[j].cx == cx && pts[j].cy == cy; j++) {
                const fq_jd_incident *b = &inc[pts[j].idx];
                double d = fq_dedup_distance_m(a->lon, a->lat, b->lon, b->lat);
                if (d <= radius)
                    visit(ctx, i, j, d);
            }
        }
}

typedef struct hs_state {
    const fq_jd_incident *inc;
    const point *pts;
    uint32_t *count; /* neighbours of each point, itself included */
    size_t *parent;  /* union-find over cores */
    size_t *best;    /* a non-core's nearest core, SIZE_MAX: none */
    double *best_d;
    uint32_t min;
} hs_state;

static void count_one(void *ctx, size_t i, size_t j, double d)
{
    (void)j, (void)d;
    ((hs_state *)ctx)->count[i]++;
}

static void link_one(void *ctx, size_t i, size_t j, double d)
{
    hs_state *s = ctx;
    if (s->count[j] >= s->min) {
        size_t a = uf_find(s->parent, i), b = uf_find(s->parent, j);
        if (a != b)
            s->parent[a < b ? b : a] = a < b ? a : b;
        return;
    }
    if (s->best[j] == SIZE_MAX || d < s->best_d[j] ||
        (d == s->best_d[j] && s->pts[i].idx < s->pts[s->best[j]].idx)) {
        s->best[j] = i;
        s->best_d[j] = d;
    }
}

static int cmp_hotspot(const void *a, const void *b)
{
    const fq_jd_hotspot *x = a, *y = b;
    if (x->n_members != y->n_members)
        return x->n_members > y->n_members ? -1 : 1;
    int c = strcmp(g_inc[x->centre].category, g_inc[y->centre].category);
    if (c != 0)
        return c;
    return x->centre < y->centre ? -1 : x->centre > y->centre;
}

/* Whether the caller asked the run to stop (checked every 1,024 points:
 * the neighbour searches are the run's long loops). */
static int stopping(const atomic_int *stop, size_t k)
{
    return stop != NULL && (k & 1023) == 0 && atomic_load_explicit(stop, memory_order_relaxed);
}

static int hotspots(const fq_jd_incident *inc, size_t n, const fq_jd_params *p, int64_t now,
                    const atomic_int *stop, fq_jd_result *out)
{
    int rc = -1;
    size_t *sel = malloc((n ? n : 1) * sizeof *sel);
    point *pts = NULL;
    hs_state s = {0};
    size_t *cluster_of_root = NULL, *sizes = NULL;
    if (sel == NULL)
        return -1;
    size_t m = 0;
    double max_lat = 0;
    for (size_t i = 0; i < n; i++) {
        const fq_jd_incident *x = &inc[i];
        if (!x->has_point || !isfinite(x->lon) || !isfinite(x->lat) ||
            fabs(x->lat) > FQ_JD_MAX_LAT || fabs(x->lon) > 180 ||
            x->at_ms < now - p->hotspot_window_ms || x->at_ms >= now || x->category == NULL)
            continue;
        sel[m++] = i;
        if (fabs(x->lat) > max_lat)
            max_lat = fabs(x->lat);
    }
    if (m == 0) {
        rc = 0;
        goto done;
    }
    /* Categories as numbers, in their text's order. */
    g_inc = inc;
    qsort(sel, m, sizeof *sel, cmp_idx_by_category);
    pts = malloc(m * sizeof *pts);
    s.count = calloc(m, sizeof *s.count);
    s.parent = malloc(m * sizeof *s.parent);
    s.best = malloc(m * sizeof *s.best);
    s.best_d = malloc(m * sizeof *s.best_d);
    if (pts == NULL || s.count == NULL || s.parent == NULL || s.best == NULL || s.best_d == NULL)
        goto done;
    double cell_lat = p->hotspot_radius_m * CELL_SLACK / M_PER_DEG;
    double cell_lon = cell_lat / cos(max_lat * PI / 180.0);
    uint32_t cat = 0;
    for (size_t k = 0; k < m; k++) {
        if (k > 0 && strcmp(inc[sel[k]].category, inc[sel[k - 1]].category) != 0)
            cat++;
        pts[k].idx = sel[k];
        pts[k].cat = cat;
        pts[k].cx = (int64_t)floor((inc[sel[k]].lon + 180.0) / cell_lon);
        pts[k].cy = (int64_t)floor((inc[sel[k]].lat + 90.0) / cell_lat);
    }
    qsort(pts, m, sizeof *pts, cmp_point);
    s.inc = inc;
    s.pts = pts;
    s.min = p->hotspot_min;
    for (size_t k = 0; k < m; k++) {
        if (stopping(stop, k)) {
            rc = FQ_JD_STOPPED;
            goto done;
        }
        neighbours(inc, pts, m, k, p->hotspot_radius_m, count_one, &s);
    }
    for (size_t k = 0; k < m; k++) {
        s.parent[k] = k;
        s.best[k] = SIZE_MAX;
        s.best_d[k] = 0;
    }
    for (size_t k = 0; k < m; k++) {
        if (stopping(stop, k)) {
            rc = FQ_JD_STOPPED;
            goto done;
        }
        if (s.count[k] >= s.min)
            neighbours(inc, pts, m, k, p->hotspot_radius_m, link_one, &s);
    }
    /* Number the clusters by their roots; count their members. */
    cluster_of_root = malloc(m * sizeof *cluster_of_root);
    sizes = calloc(m, sizeof *sizes);
    if (cluster_of_root == NULL || sizes == NULL)
        goto done;
    size_t n_clusters = 0;
    for (size_t k = 0; k < m; k++)
        cluster_of_root[k] = SIZE_MAX;
    for (size_t k = 0; k < m; k++) {
        size_t core = s.count[k] >= s.min ? k : s.best[k];
        if (core == SIZE_MAX)
            continue;
        size_t root = uf_find(s.parent, core);
        if (cluster_of_root[root] == SIZE_MAX)
            cluster_of_root[root] = n_clusters++;
        sizes[cluster_of_root[root]]++;
    }
    if (n_clusters == 0) {
        rc = 0;
        goto done;
    }
    out->hotspots = calloc(n_clusters, sizeof *out->hotspots);
    if (out->hotspots == NULL)
        goto done;
    out->n_hotspots = n_clusters;
    for (size_t c = 0; c < n_clusters; c++) {
        out->hotspots[c].members = malloc(sizes[c] * sizeof(size_t));
        if (out->hotspots[c].members == NULL)
            goto done;
        out->hotspots[c].centre = SIZE_MAX;
    }
    /* Members, and the centre: the core with most neighbours. */
    size_t *centre_pt = sizes; /* reused: the centre's point per cluster */
    for (size_t c = 0; c < n_clusters; c++)
        centre_pt[c] = SIZE_MAX;
    for (size_t k = 0; k < m; k++) {
        int is_core = s.count[k] >= s.min;
        size_t core = is_core ? k : s.best[k];
        if (core == SIZE_MAX)
            continue;
        fq_jd_hotspot *h = &out->hotspots[cluster_of_root[uf_find(s.parent, core)]];
        h->members[h->n_members++] = pts[k].idx;
        if (!is_core)
            continue;
        h->n_cores++;
        size_t c = (size_t)(h - out->hotspots), cur = centre_pt[c];
        if (cur == SIZE_MAX || s.count[k] > s.count[cur] ||
            (s.count[k] == s.count[cur] && pts[k].idx < pts[cur].idx))
            centre_pt[c] = k;
    }
    for (size_t c = 0; c < n_clusters; c++) {
        fq_jd_hotspot *h = &out->hotspots[c];
        h->centre = pts[centre_pt[c]].idx;
        qsort(h->members, h->n_members, sizeof *h->members, cmp_idx_by_time);
        h->first_ms = inc[h->members[0]].at_ms;
        h->last_ms = inc[h->members[h->n_members - 1]].at_ms;
        const fq_jd_incident *ce = &inc[h->centre];
        for (size_t k = 0; k < h->n_members; k++) {
            const fq_jd_incident *x = &inc[h->members[k]];
            double d = fq_dedup_distance_m(ce->lon, ce->lat, x->lon, x->lat);
            if (d > h->radius_m)
                h->radius_m = d;
        }
    }
    qsort(out->hotspots, n_clusters, sizeof *out->hotspots, cmp_hotspot);
    rc = 0;
done:
    free(sel);
    free(pts);
    free(s.count);
    free(s.parent);
    free(s.best);
    free(s.best_d);
    free(cluster_of_root);
    free(sizes);
    return rc;
}

/* ---- trends ---- */

static int cmp_idx_by_town_category(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(g_inc[x].town, g_inc[y].town);
    if (c == 0)
        c = strcmp(g_inc[x].category, g_inc[y].category);
    return c != 0 ? c : (x < y ? -1 : x > y);
}

static int cmp_trend(const void *a, const void *b)
{
    const fq_jd_trend *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    int c = strcmp(x->town, y->town);
    return c != 0 ? c : strcmp(x->category, y->category);
}

static int trends(const fq_jd_incident *inc, size_t n, const fq_jd_params *p, int64_t now,
                  fq_jd_result *out)
{
    int64_t from = now - (int64_t)(p->trend_weeks + 1) * FQ_JD_WEEK_MS;
    size_t *sel = malloc((n ? n : 1) * sizeof *sel), m = 0;
    if (sel == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (inc[i].at_ms >= from && inc[i].at_ms < now && inc[i].category && inc[i].town)
            sel[m++] = i;
    g_inc = inc;
    qsort(sel, m, sizeof *sel, cmp_idx_by_town_category);
    size_t cap = 0, town_end = 0;
    uint32_t covered = 0; /* history weeks of the current town with any incident */
    for (size_t k = 0; k < m;) {
        if (k >= town_end) {
            /* A new town: which of its history weeks have anything at all. */
            uint32_t seen[FQ_JD_MAX_WEEKS] = {0};
            covered = 0;
            for (town_end = k;
                 town_end < m && strcmp(inc[sel[town_end]].town, inc[sel[k]].town) == 0;
                 town_end++) {
                int64_t week = (now - inc[sel[town_end]].at_ms - 1) / FQ_JD_WEEK_MS;
                if (week > 0 && !seen[week - 1]++)
                    covered++;
            }
        }
        size_t end = k;
        fq_jd_trend t = {
            .town = inc[sel[k]].town, .category = inc[sel[k]].category, .weeks = p->trend_weeks};
        while (end < m && strcmp(inc[sel[end]].town, t.town) == 0 &&
               strcmp(inc[sel[end]].category, t.category) == 0) {
            int64_t week = (now - inc[sel[end]].at_ms - 1) / FQ_JD_WEEK_MS;
            if (week == 0)
                t.count++;
            else
                t.history[week - 1]++;
            end++;
        }
        k = end;
        /* No history, no trend: a town the history barely covers (a new
         * district, a town just connected) would flag every category. */
        if (t.count < p->trend_min_count || 2 * covered < p->trend_weeks)
            continue;
        uint64_t sum = 0;
        for (uint32_t w = 0; w < t.weeks; w++)
            sum += t.history[w];
        t.mean = sum > 0 ? (double)sum / t.weeks : 0.5 / t.weeks;
        t.p = fq_jd_poisson_upper(t.count, t.mean);
        if (t.p > p->trend_p)
            continue;
        if (out->n_trends == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            fq_jd_trend *g = realloc(out->trends, ncap * sizeof *g);
            if (g == NULL) {
                free(sel);
                return -1;
            }
            out->trends = g;
            cap = ncap;
        }
        out->trends[out->n_trends++] = t;
    }
    free(sel);
    if (out->n_trends > 1)
        qsort(out->trends, out->n_trends, sizeof *out->trends, cmp_trend);
    return 0;
}

/* ---- repeat sources ---- */

static _Thread_local fq_jd_source g_kind;

static const char *source_key(const fq_jd_incident *x, fq_jd_source kind)
{
    const char *k = kind == FQ_JD_PHONE ? x->phone : kind == FQ_JD_PERSON ? x->person : x->address;
    return k ? k : "";
}

static int cmp_idx_by_key(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(source_key(&g_inc[x], g_kind), source_key(&g_inc[y], g_kind));
    return c != 0 ? c : cmp_idx_by_time(a, b);
}

static int cmp_repeat(const void *a, const void *b)
{
    const fq_jd_repeat *x = a, *y = b;
    if (x->n_members != y->n_members)
        return x->n_members > y->n_members ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int repeats(const fq_jd_incident *inc, size_t n, const fq_jd_params *p, int64_t now,
                   fq_jd_result *out)
{
    size_t *sel = malloc((n ? n : 1) * sizeof *sel), cap = 0;
    if (sel == NULL)
        return -1;
    g_inc = inc;
    for (int kind = FQ_JD_PHONE; kind <= FQ_JD_ADDRESS; kind++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (inc[i].at_ms >= now - p->repeat_window_ms && inc[i].at_ms < now &&
                source_key(&inc[i], (fq_jd_source)kind)[0] != '\0')
                sel[m++] = i;
        g_kind = (fq_jd_source)kind;
        qsort(sel, m, sizeof *sel, cmp_idx_by_key);
        for (size_t k = 0; k < m;) {
            const char *key = source_key(&inc[sel[k]], g_kind);
            size_t end = k;
            while (end < m && strcmp(source_key(&inc[sel[end]], g_kind), key) == 0)
                end++;
            if (end - k >= p->repeat_min) {
                if (out->n_repeats == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    fq_jd_repeat *g = realloc(out->repeats, ncap * sizeof *g);
                    if (g == NULL)
                        goto fail;
                    out->repeats = g;
                    cap = ncap;
                }
                fq_jd_repeat *r = &out->repeats[out->n_repeats];
                r->members = malloc((end - k) * sizeof *r->members);
                if (r->members == NULL)
                    goto fail;
                memcpy(r->members, &sel[k], (end - k) * sizeof *r->members);
                r->n_members = end - k;
                r->kind = g_kind;
                r->key = key;
                r->first_ms = inc[sel[k]].at_ms;
                r->last_ms = inc[sel[end - 1]].at_ms;
                out->n_repeats++;
            }
            k = end;
        }
    }
    free(sel);
    if (out->n_repeats > 1)
        qsort(out->repeats, out->n_repeats, sizeof *out->repeats, cmp_repeat);
    return 0;
fail:
    free(sel);
    return -1;
}

int fq_judgment_run_stoppable(const fq_jd_incident *incidents, size_t n, const fq_jd_params *p,
                              int64_t now_ms, const atomic_int *stop, fq_jd_result *out)
{
    memset(out, 0, sizeof *out);
    char err[160];
    if (fq_jd_params_check(p, err, sizeof err) != 0)
        return -1;
    int rc = hotspots(incidents, n, p, now_ms, stop, out);
    if (rc == 0 && stopping(stop, 0))
        rc = FQ_JD_STOPPED;
    if (rc == 0 && trends(incidents, n, p, now_ms, out) != 0)
        rc = -1;
    if (rc == 0 && stopping(stop, 0))
        rc = FQ_JD_STOPPED;
    if (rc == 0 && repeats(incidents, n, p, now_ms, out) != 0)
        rc = -1;
    if (rc != 0) {
        fq_jd_result_free(out);
        return rc == FQ_JD_STOPPED ? FQ_JD_STOPPED : -1;
    }
    return 0;
}

int fq_judgment_run(const fq_jd_incident *incidents, size_t n, const fq_jd_params *p,
                    int64_t now_ms, fq_jd_result *out)
{
    return fq_judgment_run_stoppable(incidents, n, p, now_ms, NULL, out);
}

void fq_jd_result_free(fq_jd_result *r)
{
    for (size_t i = 0; i < r->n_hotspots; i++)
        free(r->hotspots[i].members);
    for (size_t i = 0; i < r->n_repeats; i++)
        free(r->repeats[i].members);
    free(r->hotspots);
    free(r->trends);
    free(r->repeats);
    memset(r, 0, sizeof *r);
}

/* ---- normalisers ---- */

size_t fq_jd_norm_phone(const char *in, char *out, size_t cap)
{
    char d[64];
    size_t n = 0;
    if (cap > 0)
        out[0] = '\0';
    for (const char *s = in; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            if (n + 1 >= sizeof d)
                return 0;
            d[n++] = *s;
        }
    }
    d[n] = '\0';
    const char *start = d;
    if (n == 15 && strncmp(d, "0086", 4) == 0)
        start += 4;
    else if (n == 13 && strncmp(d, "86", 2) == 0)
        start += 2;
    size_t len = strlen(start);
    if (len < 7 || len + 1 > cap) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    memcpy(out, start, len + 1);
    return len;
}

/* Copies in to out without white space, ASCII lower-cased, full-width ASCII
 * made half-width when fold_wide; the length, or 0 when it does not fit. */
static size_t squeeze(const char *in, char *out, size_t cap, int fold_wide)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = 0;
    while (*s) {
        unsigned char c = *s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            s++;
            continue;
        }
        if (c == 0xE3 && s[1] == 0x80 && s[2] == 0x80) { /* U+3000 ideographic space */
            s += 3;
            continue;
        }
        if (fold_wide && c == 0xEF && (s[1] == 0xBC || s[1] == 0xBD) && s[2] >= 0x80 &&
            s[2] <= 0xBF) {
            unsigned cp = 0xFF00 + (s[1] == 0xBD ? 0x40 : 0) + (s[2] - 0x80);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                c = (unsigned char)(0x21 + (cp - 0xFF01));
                s += 2; /* the last byte goes below */
            }
        }
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (n + 1 >= cap)
            return 0;
        out[n++] = (char)c;
        s++;
    }
    out[n] = '\0';
    return n;
}

static int placeholder(const char *s)
{
    static const char *const none[] = {"匿名", "无",   "未知", "市民", "群众", "anonymous",
                                       "n/a",  "none", "-",    "--",   "/",    "不详"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        if (strcmp(s, none[i]) == 0)
            return 1;
    return 0;
}

size_t fq_jd_norm_name(const char *in, char *out, size_t cap)
{
    size_t n = cap ? squeeze(in, out, cap, 1) : 0;
    if (n == 0 || placeholder(out)) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return n;
}

size_t fq_jd_norm_address(const char *in, char *out, size_t cap)
{
    size_t n = cap ? squeeze(in, out, cap, 1) : 0;
    while (n > 0 && strchr(".,;:!?-_/#", out[n - 1]) != NULL)
        out[--n] = '\0';
    /* Chinese trailing punctuation: 。，；、 (3 bytes each). */
    while (n >= 3 && (strcmp(out + n - 3, "。") == 0 || strcmp(out + n - 3, "，") == 0 ||
                      strcmp(out + n - 3, "；") == 0 || strcmp(out + n - 3, "、") == 0)) {
        n -= 3;
        out[n] = '\0';
    }
    if (n < 4 || placeholder(out)) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return n;
}
