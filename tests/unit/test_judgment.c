/* judgment: hotspots, trends and repeat sources on constructed data whose
 * answers are known by hand (a cluster and its border, categories and the
 * time window apart, Poisson tails worked out on paper, the normalisers),
 * and a seeded model test of the hotspots against a brute-force DBSCAN over
 * all pairs with the same distance function. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dedup.h"
#include "judgment.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t NOW = 1700000000000; /* an arbitrary "now", ms since the epoch */
static const int64_t H = 3600 * 1000;
static const int64_t D = 24 * 3600 * 1000;
static const double LON = 113.35, LAT = 22.70; /* Pingshan */

/* Degrees per metre on the sphere the module uses. */
#define DLAT_PER_M (180.0 / (3.14159265358979323846 * 6371008.8))
#define DLON_PER_M (DLAT_PER_M / cos(LAT * 3.14159265358979323846 / 180.0))

static fq_jd_incident at_point(int64_t id, const char *cat, double east_m, double north_m,
                               int64_t ago)
{
    fq_jd_incident x = {.id = id,
                        .at_ms = NOW - ago,
                        .category = cat,
                        .town = "longtian",
                        .has_point = 1,
                        .lon = LON + east_m * DLON_PER_M,
                        .lat = LAT + north_m * DLAT_PER_M,
                        .phone = "",
                        .person = "",
                        .address = ""};
    return x;
}

static void hotspot_with_border(void **state)
{
    (void)state;
    fq_jd_params p;
    fq_jd_params_default(&p); /* 5 within 300 m over 7 days */
    fq_jd_incident in[16];
    size_t n = 0;
    /* Five within 40 m of each other: five cores. */
    for (int k = 0; k < 5; k++)
        in[n++] = at_point(100 + k, "fire_hazard", 10.0 * k, 0, (k + 1) * H);
    /* 280 m east of the first: within the radius of three cores only (the
     * ones at 0..20 m are 280..260 m away; 30 m and 40 m 250 and 240 m), so
     * 1 + 5 = 6 neighbours: a core itself. */
    in[n++] = at_point(200, "fire_hazard", 280, 0, 2 * H);
    /* 560 m east: 280 m from the last one only: a border point. */
    in[n++] = at_point(201, "fire_hazard", 560, 0, 3 * H);
    /* 900 m east: nobody's neighbour. */
    in[n++] = at_point(202, "fire_hazard", 900, 0, 3 * H);
    /* At the cluster, but another category (4 of them: no hotspot), and
     * the same category 8 days ago (outside the window). */
    for (int k = 0; k < 4; k++)
        in[n++] = at_point(300 + k, "city_appearance", 5.0 * k, 5, H);
    in[n++] = at_point(400, "fire_hazard", 5, 5, 8 * D);
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(in, n, &p, NOW, &r), 0);
    assert_int_equal(r.n_hotspots, 1);
    fq_jd_hotspot *h = &r.hotspots[0];
    assert_int_equal(h->n_members, 7);
    assert_int_equal(h->n_cores, 6);
    /* The centre: most neighbours — the 280 m one (the five, itself and
     * the border point at 560 m). */
    assert_int_equal(in[h->centre].id, 200);
    /* Members oldest first: 5 h ago (index 4) … */
    assert_int_equal(in[h->members[0]].id, 104);
    assert_int_equal(h->first_ms, NOW - 5 * H);
    assert_int_equal(h->last_ms, NOW - 1 * H);
    assert_true(fabs(h->radius_m - 280.0) < 0.5); /* to 0 m and to 560 m */
    for (size_t k = 0; k < h->n_members; k++)
        assert_true(in[h->members[k]].id != 202 && in[h->members[k]].id != 400);
    fq_jd_result_free(&r);

    /* At 7 only the 280 m point is a core: the others join it as its
     * border; at 8 there is none. */
    fq_jd_params q = p;
    q.hotspot_min = 7;
    assert_int_equal(fq_judgment_run(in, n, &q, NOW, &r), 0);
    assert_int_equal(r.n_hotspots, 1);
    assert_int_equal(r.hotspots[0].n_cores, 1);
    assert_int_equal(r.hotspots[0].n_members, 7);
    fq_jd_result_free(&r);
    q.hotspot_min = 8;
    assert_int_equal(fq_judgment_run(in, n, &q, NOW, &r), 0);
    assert_int_equal(r.n_hotspots, 0);
    fq_jd_result_free(&r);
}

static void a_set_stop_ends_the_run(void **state)
{
    (void)state;
    fq_jd_params p;
    fq_jd_params_default(&p); /* 5 within 300 m over 7 days */
    fq_jd_incident in[5];
    size_t n = 0;
    for (int k = 0; k < 5; k++) /* five within 40 m: one hotspot */
        in[n++] = at_point(100 + k, "fire_hazard", 10.0 * k, 0, (k + 1) * H);
    fq_jd_result r;
    atomic_int stop = 1;
    assert_int_equal(fq_judgment_run_stoppable(in, n, &p, NOW, &stop, &r), FQ_JD_STOPPED);
    assert_int_equal(r.n_hotspots + r.n_trends + r.n_repeats, 0);
    assert_null(r.hotspots);
    atomic_store(&stop, 0);
    assert_int_equal(fq_judgment_run_stoppable(in, n, &p, NOW, &stop, &r), 0);
    assert_int_equal(r.n_hotspots, 1);
    assert_int_equal(r.hotspots[0].n_members, 5);
    fq_jd_result_free(&r);
}

static void two_hotspots_ordered(void **state)
{
    (void)state;
    fq_jd_params p;
    fq_jd_params_default(&p);
    fq_jd_incident in[20];
    size_t n = 0;
    for (int k = 0; k < 5; k++)
        in[n++] = at_point(k + 1, "public_order", 0, 10.0 * k, H);
    for (int k = 0; k < 6; k++) /* 3 km away: its own */
        in[n++] = at_point(k + 10, "public_order", 3000, 10.0 * k, H);
    for (int k = 0; k < 5; k++)
        in[n++] = at_point(k + 20, "food_safety", 0, 10.0 * k, H);
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(in, n, &p, NOW, &r), 0);
    assert_int_equal(r.n_hotspots, 3);
    /* Most members first, then category. */
    assert_int_equal(r.hotspots[0].n_members, 6);
    assert_string_equal(in[r.hotspots[1].centre].category, "food_safety");
    assert_string_equal(in[r.hotspots[2].centre].category, "public_order");
    assert_int_equal(in[r.hotspots[2].centre].id, 1); /* all see all five: the first */
    fq_jd_result_free(&r);
}

static void poisson_tails(void **state)
{
    (void)state;
    assert_true(fabs(fq_jd_poisson_upper(0, 3.0) - 1.0) < 1e-15);
    assert_true(fabs(fq_jd_poisson_upper(1, 1.0) - (1 - exp(-1.0))) < 1e-12);
    /* P(X >= 10 | 2) = 1 - sum_{k<10} e^-2 2^k / k!  = 4.6498e-5 */
    double lower = 0, term = exp(-2.0);
    for (int k = 0; k < 10; k++) {
        lower += term;
        term *= 2.0 / (k + 1);
    }
    assert_true(fabs(fq_jd_poisson_upper(10, 2.0) - (1 - lower)) < 1e-12);
    assert_true(fabs(fq_jd_poisson_upper(10, 2.0) - 4.6498e-5) < 1e-8);
    /* Far tails are not lost to cancellation: P(X >= 50 | 1)
     * = e^-1 / 50! (1 + 1/51 + 1/(51 52) + ...), 1.0200 to 4 places. */
    double p = fq_jd_poisson_upper(50, 1.0);
    assert_true(p > 0 && fabs(log(p) - (-1 - lgamma(51.0) + log(1.0200))) < 1e-4);
    /* Below the mean the tail is most of it. */
    assert_true(fq_jd_poisson_upper(3, 10.0) > 0.99);
}

/* n incidents of (town, category) in week `week` (0 = this one). */
static size_t put_week(fq_jd_incident *in, size_t n, const char *town, const char *cat, int week,
                       int count)
{
    for (int k = 0; k < count; k++) {
        fq_jd_incident x = {.id = (int64_t)n + 1,
                            .at_ms = NOW - week * FQ_JD_WEEK_MS - 1 - k * H,
                            .category = cat,
                            .town = town,
                            .phone = "",
                            .person = "",
                            .address = ""};
        in[n++] = x;
    }
    return n;
}

static void trends_flagged(void **state)
{
    (void)state;
    fq_jd_params p;
    fq_jd_params_default(&p); /* 8 weeks, at least 5, p <= 0.01 */
    static fq_jd_incident in[600];
    size_t n = 0;
    /* a: 2 a week, 10 now: p = 4.6e-5, flagged. */
    for (int w = 1; w <= 8; w++)
        n = put_week(in, n, "a", "dispute.neighbour", w, 2);
    n = put_week(in, n, "a", "dispute.neighbour", 0, 10);
    /* b: 5 a week, 7 now: p = 0.24, not. */
    for (int w = 1; w <= 8; w++)
        n = put_week(in, n, "b", "dispute.neighbour", w, 5);
    n = put_week(in, n, "b", "dispute.neighbour", 0, 7);
    /* c: food safety never before (the town has other cases every week),
     * 5 now: mean 0.5/8, flagged (p ~ 7.8e-9). */
    for (int w = 1; w <= 8; w++)
        n = put_week(in, n, "c", "public_order", w, 1);
    n = put_week(in, n, "c", "food_safety", 0, 5);
    /* d: never before, 4 now: under the minimum count. */
    n = put_week(in, n, "d", "food_safety", 0, 4);
    /* f: a town with nothing before this week (just connected): 9 now,
     * not judged; g: history in 3 of 8 weeks only, not judged either. */
    n = put_week(in, n, "f", "food_safety", 0, 9);
    for (int w = 1; w <= 3; w++)
        n = put_week(in, n, "g", "public_order", w, 1);
    n = put_week(in, n, "g", "food_safety", 0, 9);
    /* h: history in 4 of 8 weeks: judged, and flagged. */
    for (int w = 1; w <= 4; w++)
        n = put_week(in, n, "h", "public_order", w, 1);
    n = put_week(in, n, "h", "food_safety", 0, 9);
    /* e: 9 weeks ago (beyond the history) 50, nothing now. */
    n = put_week(in, n, "e", "food_safety", 9, 50);
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(in, n, &p, NOW, &r), 0);
    assert_int_equal(r.n_trends, 3);
    assert_string_equal(r.trends[0].town, "h"); /* the smaller p first: 9 at 0.0625 */
    assert_string_equal(r.trends[1].town, "c");
    assert_int_equal(r.trends[1].count, 5);
    assert_true(fabs(r.trends[1].mean - 0.0625) < 1e-12);
    assert_string_equal(r.trends[2].town, "a");
    assert_int_equal(r.trends[2].count, 10);
    assert_true(fabs(r.trends[2].mean - 2.0) < 1e-12);
    assert_true(fabs(r.trends[2].p - 4.6498e-5) < 1e-8);
    for (int w = 0; w < 8; w++)
        assert_int_equal(r.trends[2].history[w], 2);
    fq_jd_result_free(&r);

    /* A looser p lets b in: P(X >= 7 | 5) = 0.2378. */
    p.trend_p = 0.25;
    assert_int_equal(fq_judgment_run(in, n, &p, NOW, &r), 0);
    assert_int_equal(r.n_trends, 4);
    assert_string_equal(r.trends[3].town, "b");
    assert_true(fabs(r.trends[3].p - 0.2378165) < 1e-6);
    fq_jd_result_free(&r);
}

static void repeat_sources(void **state)
{
    (void)state;
    fq_jd_params p;
    fq_jd_params_default(&p); /* 3 in 30 days */
    const char *phones[] = {"138-0013-8000", "+86 138 0013 8000", "13800138000",
                            "13900000000",   "13900000000",       ""};
    const char *addrs[] = {
        "坪山街道 六和社区 1号", "坪山街道六和社区1号。", "坪山街道六和社区１号", "", "", "-"};
    int64_t ago[] = {1 * D, 2 * D, 3 * D, 1 * D, 40 * D, 1 * D};
    char pk[6][32], ak[6][96];
    fq_jd_incident in[6];
    for (int k = 0; k < 6; k++) {
        fq_jd_norm_phone(phones[k], pk[k], sizeof pk[k]);
        fq_jd_norm_address(addrs[k], ak[k], sizeof ak[k]);
        fq_jd_incident x = {.id = k + 1,
                            .at_ms = NOW - ago[k],
                            .category = "petition",
                            .town = "pingshan",
                            .phone = pk[k],
                            .person = "",
                            .address = ak[k]};
        in[k] = x;
    }
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(in, 6, &p, NOW, &r), 0);
    assert_int_equal(r.n_repeats, 2);
    assert_int_equal(r.repeats[0].kind, FQ_JD_PHONE);
    assert_string_equal(r.repeats[0].key, "13800138000");
    assert_int_equal(r.repeats[0].n_members, 3);
    assert_int_equal(in[r.repeats[0].members[0]].id, 3); /* oldest first */
    assert_int_equal(r.repeats[1].kind, FQ_JD_ADDRESS);
    assert_string_equal(r.repeats[1].key, "坪山街道六和社区1号");
    /* 13900000000 twice, but once 40 days ago: not a repeat. */
    fq_jd_result_free(&r);
    p.repeat_min = 4;
    assert_int_equal(fq_judgment_run(in, 6, &p, NOW, &r), 0);
    assert_int_equal(r.n_repeats, 0);
    fq_jd_result_free(&r);
}

static void normalisers(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(fq_jd_norm_phone("0086-138 0013 8000", out, sizeof out), 11);
    assert_string_equal(out, "13800138000");
    assert_int_equal(fq_jd_norm_phone("0755-2833 0000", out, sizeof out), 12);
    assert_string_equal(out, "075528330000");
    assert_int_equal(fq_jd_norm_phone("12345", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(fq_jd_norm_phone("", out, sizeof out), 0);
    assert_int_equal(fq_jd_norm_name(" 张　三 ", out, sizeof out), strlen("张三"));
    assert_string_equal(out, "张三");
    assert_int_equal(fq_jd_norm_name("匿名", out, sizeof out), 0);
    assert_int_equal(fq_jd_norm_name("Jane  DOE", out, sizeof out), 7);
    assert_string_equal(out, "janedoe");
    assert_int_equal(fq_jd_norm_address("  -  ", out, sizeof out), 0);
    assert_int_equal(fq_jd_norm_address("ＡＢ路１２号", out, sizeof out), strlen("ab路12号"));
    assert_string_equal(out, "ab路12号");
    assert_int_equal(fq_jd_norm_address("12 Main St.", out, sizeof out), 8);
    assert_string_equal(out, "12mainst");
    /* Too long for the buffer: none, never cut. */
    char small[4];
    assert_int_equal(fq_jd_norm_name("abcdef", small, sizeof small), 0);
    assert_string_equal(small, "");
}

static void params_checked(void **state)
{
    (void)state;
    char err[160];
    fq_jd_params p;
    fq_jd_params_default(&p);
    assert_int_equal(fq_jd_params_check(&p, err, sizeof err), 0);
    assert_int_equal(fq_jd_params_reach_ms(&p), 9 * FQ_JD_WEEK_MS);
    p.hotspot_radius_m = 5;
    assert_int_equal(fq_jd_params_check(&p, err, sizeof err), -1);
    assert_non_null(strstr(err, "radius"));
    fq_jd_params_default(&p);
    p.trend_weeks = 1;
    assert_int_equal(fq_jd_params_check(&p, err, sizeof err), -1);
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(NULL, 0, &p, NOW, &r), -1);
    assert_int_equal(r.n_hotspots + r.n_trends + r.n_repeats, 0);
    fq_jd_params_default(&p);
    assert_int_equal(fq_judgment_run(NULL, 0, &p, NOW, &r), 0);
    assert_int_equal(r.n_hotspots + r.n_trends + r.n_repeats, 0);
}

/* ---- the model: DBSCAN over all pairs ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t root(size_t *parent, size_t i)
{
    while (parent[i] != i)
        i = parent[i];
    return i;
}

static void model_dbscan(void **state)
{
    (void)state;
    enum { N = 1500 };
    static const char *cats[] = {"a", "b", "c"};
    static fq_jd_incident in[N];
    static size_t count[N], parent[N], best[N], cluster_min[N], got_min[N];
    static double best_d[N];
    fq_jd_params p;
    fq_jd_params_default(&p);
    p.hotspot_min = 4;
    p.hotspot_radius_m = 150;
    for (size_t i = 0; i < N; i++) {
        /* A 3 km square, denser towards a few centres. */
        double e = (double)(next_u64() % 3000), nn = (double)(next_u64() % 3000);
        if (next_u64() % 2) {
            e = 1000 + (double)(next_u64() % 300);
            nn = 1000 + (double)(next_u64() % 300);
        }
        in[i] = at_point((int64_t)i + 1, cats[next_u64() % 3], e, nn,
                         (int64_t)(next_u64() % (9 * (uint64_t)D)));
    }
    int in_window[N];
    for (size_t i = 0; i < N; i++)
        in_window[i] = in[i].at_ms >= NOW - p.hotspot_window_ms && in[i].at_ms < NOW;
    for (size_t i = 0; i < N; i++) {
        count[i] = 0;
        parent[i] = i;
        best[i] = SIZE_MAX;
        if (!in_window[i])
            continue;
        for (size_t j = 0; j < N; j++)
            if (in_window[j] && strcmp(in[i].category, in[j].category) == 0 &&
                fq_dedup_distance_m(in[i].lon, in[i].lat, in[j].lon, in[j].lat) <=
                    p.hotspot_radius_m)
                count[i]++;
    }
    for (size_t i = 0; i < N; i++) {
        if (!in_window[i] || count[i] < p.hotspot_min)
            continue;
        for (size_t j = 0; j < N; j++) {
            if (!in_window[j] || strcmp(in[i].category, in[j].category) != 0)
                continue;
            double d = fq_dedup_distance_m(in[i].lon, in[i].lat, in[j].lon, in[j].lat);
            if (d > p.hotspot_radius_m)
                continue;
            if (count[j] >= p.hotspot_min) {
                size_t a = root(parent, i), b = root(parent, j);
                if (a != b)
                    parent[a < b ? b : a] = a < b ? a : b;
            } else if (best[j] == SIZE_MAX || d < best_d[j] || (d == best_d[j] && i < best[j])) {
                best[j] = i;
                best_d[j] = d;
            }
        }
    }
    /* Each incident's cluster, named by its smallest member. */
    for (size_t i = 0; i < N; i++)
        cluster_min[i] = got_min[i] = SIZE_MAX;
    size_t cl[N];
    for (size_t i = 0; i < N; i++) {
        size_t core = in_window[i] && count[i] >= p.hotspot_min ? i : best[i];
        cl[i] = core == SIZE_MAX ? SIZE_MAX : root(parent, core);
        if (cl[i] != SIZE_MAX && i < cluster_min[cl[i]])
            cluster_min[cl[i]] = i;
    }
    fq_jd_result r;
    assert_int_equal(fq_judgment_run(in, N, &p, NOW, &r), 0);
    size_t members = 0, expected_members = 0, clusters = 0;
    for (size_t i = 0; i < N; i++) {
        if (cl[i] != SIZE_MAX)
            expected_members++;
        if (cluster_min[i] != SIZE_MAX)
            clusters++;
    }
    for (size_t h = 0; h < r.n_hotspots; h++) {
        size_t lo = SIZE_MAX;
        for (size_t k = 0; k < r.hotspots[h].n_members; k++)
            if (r.hotspots[h].members[k] < lo)
                lo = r.hotspots[h].members[k];
        for (size_t k = 0; k < r.hotspots[h].n_members; k++)
            got_min[r.hotspots[h].members[k]] = lo;
        members += r.hotspots[h].n_members;
    }
    assert_true(clusters > 5); /* the data makes some */
    assert_int_equal(r.n_hotspots, clusters);
    assert_int_equal(members, expected_members);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(got_min[i], cl[i] == SIZE_MAX ? SIZE_MAX : cluster_min[cl[i]]);
    fq_jd_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hotspot_with_border),  cmocka_unit_test(a_set_stop_ends_the_run),
        cmocka_unit_test(two_hotspots_ordered), cmocka_unit_test(poisson_tails),
        cmocka_unit_test(trends_flagged),       cmocka_unit_test(repeat_sources),
        cmocka_unit_test(normalisers),          cmocka_unit_test(params_checked),
        cmocka_unit_test(model_dbscan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
