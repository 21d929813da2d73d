/* dedup: the merge rule by hand (category, distance and window boundaries,
 * nearest then earliest then lowest id, removal, the place-only case, expiry,
 * the antimeridian and high latitudes, the town border, incident times and
 * the back-dating bound, provisional entries renamed or forgotten), and a
 * seeded model test against a brute-force scan of every open entry still in
 * reach of a query, with the same distance function, towns and back-dated
 * incident times included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dedup.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const int64_t t0 = 1700000000000;       /* an arbitrary "now", ms since the epoch */
static const int64_t W = 30 * 60 * 1000;       /* 30 min */
static const double LON = 120.15, LAT = 30.25; /* a city */

/* degrees of latitude per metre on the sphere the module uses */
#define DLAT_PER_M (180.0 / (3.14159265358979323846 * 6371008.8))

static fq_dedup *make_backdated(double distance_m, int64_t window_ms, double ref_lat,
                                int64_t backdate_ms)
{
    char err[128];
    fq_dedup_config c = {distance_m, window_ms, ref_lat, backdate_ms};
    fq_dedup *d = fq_dedup_new(&c, err, sizeof err);
    assert_non_null(d);
    return d;
}

/* Most cases below are about one town and reports received when they
 * happened: town -1, incident time = intake time. */
static int add_here(fq_dedup *d, uint64_t id, int category, int has_location, double lon,
                    double lat, int32_t place, int64_t at_ms)
{
    return fq_dedup_add(d, id, category, has_location, lon, lat, place, -1, at_ms);
}

static uint64_t find_now(fq_dedup *d, int category, int has_location, double lon, double lat,
                         int32_t place, int64_t now_ms)
{
    return fq_dedup_find(d, category, has_location, lon, lat, place, -1, now_ms, now_ms);
}

static fq_dedup *make(double distance_m, int64_t window_ms, double ref_lat)
{
    char err[128];
    fq_dedup_config c = {distance_m, window_ms, ref_lat, 0};
    fq_dedup *d = fq_dedup_new(&c, err, sizeof err);
    assert_non_null(d);
    return d;
}

static void test_config(void **state)
{
    (void)state;
    char err[128];
    fq_dedup_config bad[] = {{0.5, W, 30, 0}, {200000, W, 30, 0}, {NAN, W, 30, 0}, {200, -1, 30, 0},
                             {200, W, 86, 0}, {200, W, NAN, 0},   {200, W, 30, -1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_null(fq_dedup_new(&bad[i], err, sizeof err));
        assert_true(err[0] != 0);
    }
    assert_null(fq_dedup_new(NULL, err, sizeof err));
    fq_dedup *d = make(1, 0, -85);
    fq_dedup_free(d);
    d = make(100000, INT64_MAX, 85);
    assert_int_equal(add_here(d, 1, 0, 1, LON, LAT, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON + 0.5, LAT, -1, INT64_MAX), 1);
    fq_dedup_free(d);
    fq_dedup_free(NULL);
}

static void test_invalid(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    assert_int_equal(add_here(d, 0, 1, 1, LON, LAT, -1, t0), FQ_EINVALID);
    assert_int_equal(add_here(d, 1, -1, 1, LON, LAT, -1, t0), FQ_EINVALID);
    assert_int_equal(add_here(d, 1, 1, 1, NAN, LAT, -1, t0), FQ_EINVALID);
    assert_int_equal(add_here(d, 1, 1, 1, LON, 85.001, -1, t0), FQ_EINVALID);
    assert_int_equal(add_here(d, 1, 1, 1, 180.001, LAT, -1, t0), FQ_EINVALID);
    assert_int_equal(add_here(d, 1, 1, 0, NAN, NAN, 3, t0), FQ_OK); /* ignored */
    assert_int_equal(add_here(d, 1, 2, 1, LON, LAT, 4, t0), FQ_EEXIST);
    assert_int_equal(fq_dedup_count(d), 1);
    assert_int_equal(find_now(d, -1, 0, 0, 0, 3, t0), 0);
    assert_int_equal(find_now(d, 1, 1, INFINITY, LAT, 3, t0), 0);
    assert_int_equal(fq_dedup_remove(d, 0), FQ_ENOTFOUND);
    fq_dedup_free(d);
}

static void test_merge_rule(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    assert_int_equal(add_here(d, 11, 3, 1, LON, LAT, 5, t0), FQ_OK);
    /* 100 m north, a minute later: merges */
    assert_int_equal(find_now(d, 3, 1, LON, LAT + 100 * DLAT_PER_M, -1, t0 + 60000), 11);
    /* same place but another category: no */
    assert_int_equal(find_now(d, 4, 1, LON, LAT, 5, t0 + 60000), 0);
    /* 250 m east: no */
    double dlon = 250 * DLAT_PER_M / cos(LAT * 3.14159265358979323846 / 180);
    assert_true(fq_dedup_distance_m(LON, LAT, LON + dlon, LAT) > 249);
    assert_int_equal(find_now(d, 3, 1, LON + dlon, LAT, 5, t0), 0);
    /* a new one with coordinates never matches by place */
    assert_int_equal(add_here(d, 12, 6, 0, 0, 0, 5, t0), FQ_OK);
    assert_int_equal(find_now(d, 6, 1, LON, LAT, 5, t0), 0);
    fq_dedup_free(d);
}

/* distance <= distance_m, compared on the double fq_dedup_distance_m gives */
static void test_distance_boundary(void **state)
{
    (void)state;
    double lon2 = LON + 0.0013, lat2 = LAT + 0.0011;
    double D = fq_dedup_distance_m(LON, LAT, lon2, lat2);
    assert_true(D > 150 && D < 250);
    fq_dedup *d = make(D, W, 30);
    assert_int_equal(add_here(d, 1, 0, 1, LON, LAT, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, lon2, lat2, -1, t0), 1);
    fq_dedup_free(d);
    d = make(nextafter(D, 0), W, 30);
    assert_int_equal(add_here(d, 1, 0, 1, LON, LAT, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, lon2, lat2, -1, t0), 0);
    fq_dedup_free(d);
    /* symmetric, and the same point is 0 m */
    assert_true(fq_dedup_distance_m(lon2, lat2, LON, LAT) == D);
    assert_true(fq_dedup_distance_m(LON, LAT, LON, LAT) == 0);
    /* one degree of latitude on the sphere */
    assert_true(fabs(fq_dedup_distance_m(0, 0, 0, 1) - 111195.08) < 0.01);
}

/* reported at or after now - window */
static void test_window_boundary(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    assert_int_equal(add_here(d, 7, 1, 1, LON, LAT, 2, t0), FQ_OK);
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, t0 + W), 7);
    assert_int_equal(find_now(d, 1, 0, 0, 0, 2, t0 + W), 7);
    /* reported "after" now (a clock ahead of ours) is inside the window */
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, t0 - 5000), 7);
    assert_int_equal(fq_dedup_count(d), 1);
    /* one ms past: no, and this find expired it */
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, t0 + W + 1), 0);
    assert_int_equal(fq_dedup_count(d), 0);
    assert_int_equal(fq_dedup_remove(d, 7), FQ_ENOTFOUND);
    fq_dedup_free(d);

    /* window 0: merging is off, even within the same millisecond */
    d = make(200, 0, 30);
    assert_int_equal(add_here(d, 7, 1, 1, LON, LAT, 2, t0), FQ_OK);
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, t0), 0);
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, t0 + 1), 0);
    fq_dedup_free(d);

    /* extreme times do not overflow */
    d = make(200, W, 30);
    assert_int_equal(add_here(d, 1, 1, 1, LON, LAT, -1, INT64_MAX), FQ_OK);
    assert_int_equal(add_here(d, 2, 2, 1, LON, LAT, -1, INT64_MIN), FQ_OK);
    assert_int_equal(find_now(d, 2, 1, LON, LAT, -1, INT64_MIN), 2);
    assert_int_equal(find_now(d, 2, 1, LON, LAT, -1, INT64_MIN + W + 1), 0);
    assert_int_equal(find_now(d, 1, 1, LON, LAT, -1, INT64_MAX), 1);
    assert_int_equal(fq_dedup_count(d), 1);                  /* that find expired 2 */
    assert_int_equal(fq_dedup_expire(d, INT64_MAX, 100), 0); /* 1 never expires */
    assert_int_equal(fq_dedup_count(d), 1);
    fq_dedup_free(d);
}

static void test_nearest_then_earliest_then_id(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    double m = DLAT_PER_M;
    assert_int_equal(add_here(d, 1, 0, 1, LON, LAT + 150 * m, -1, t0), FQ_OK);
    assert_int_equal(add_here(d, 2, 0, 1, LON, LAT - 50 * m, -1, t0 + 10), FQ_OK);
    assert_int_equal(add_here(d, 3, 0, 1, LON, LAT - 120 * m, -1, t0 - 10), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 20), 2);
    assert_int_equal(fq_dedup_remove(d, 2), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 20), 3);
    /* equal distance: the earlier */
    assert_int_equal(add_here(d, 9, 0, 1, LON, LAT - 120 * m, -1, t0 - 20), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 20), 9);
    /* equal distance and time: the lower id, whatever the insertion order */
    assert_int_equal(add_here(d, 8, 0, 1, LON, LAT - 120 * m, -1, t0 - 20), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 20), 8);
    assert_int_equal(fq_dedup_count(d), 4);
    fq_dedup_free(d);
}

static void test_remove(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    assert_int_equal(add_here(d, 5, 0, 1, LON, LAT, 9, t0), FQ_OK);
    assert_int_equal(add_here(d, 6, 0, 1, LON, LAT, 9, t0 + 1), FQ_OK);
    assert_int_equal(fq_dedup_remove(d, 5), FQ_OK); /* not the head of its lists */
    assert_int_equal(fq_dedup_remove(d, 5), FQ_ENOTFOUND);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 2), 6);
    assert_int_equal(find_now(d, 0, 0, 0, 0, 9, t0 + 2), 6);
    assert_int_equal(fq_dedup_remove(d, 6), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 2), 0);
    assert_int_equal(find_now(d, 0, 0, 0, 0, 9, t0 + 2), 0);
    assert_int_equal(fq_dedup_count(d), 0);
    /* the id can come back, and nothing of the old one is left */
    assert_int_equal(add_here(d, 5, 0, 0, 0, 0, 9, t0 + 3), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, LON, LAT, -1, t0 + 4), 0);
    assert_int_equal(find_now(d, 0, 0, 0, 0, 9, t0 + 4), 5);
    /* the removed deadline does not expire the new entry */
    assert_int_equal(fq_dedup_expire(d, t0 + W + 2, 10), 0);
    assert_int_equal(fq_dedup_count(d), 1);
    fq_dedup_free(d);
}

static void test_place_only(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    /* one with coordinates and a place, a later one with the place only */
    assert_int_equal(add_here(d, 20, 2, 1, LON, LAT, 40, t0 + 5), FQ_OK);
    assert_int_equal(add_here(d, 21, 2, 0, 0, 0, 40, t0 + 9), FQ_OK);
    assert_int_equal(add_here(d, 22, 2, 0, 0, 0, 41, t0), FQ_OK);
    assert_int_equal(add_here(d, 23, 3, 0, 0, 0, 40, t0), FQ_OK);
    /* the earliest at the same place and category */
    assert_int_equal(find_now(d, 2, 0, 0, 0, 40, t0 + 10), 20);
    assert_int_equal(find_now(d, 3, 0, 0, 0, 40, t0 + 10), 23);
    assert_int_equal(find_now(d, 2, 0, 0, 0, 41, t0 + 10), 22);
    assert_int_equal(find_now(d, 2, 0, 0, 0, 42, t0 + 10), 0);
    assert_int_equal(find_now(d, 2, 0, 0, 0, -1, t0 + 10), 0);
    /* a coordinate query finds neither place-only entry */
    assert_int_equal(find_now(d, 2, 1, LON, LAT, 40, t0 + 10), 20);
    assert_int_equal(fq_dedup_remove(d, 20), FQ_OK);
    assert_int_equal(find_now(d, 2, 1, LON, LAT, 40, t0 + 10), 0);
    /* neither coordinates nor place: kept, never matched */
    assert_int_equal(add_here(d, 30, 2, 0, 0, 0, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 2, 0, 0, 0, -1, t0), 0);
    assert_int_equal(fq_dedup_remove(d, 30), FQ_OK);
    /* past 20's window (removed anyway), 21 is left */
    assert_int_equal(add_here(d, 20, 2, 1, LON, LAT, 40, t0 + 5), FQ_OK);
    assert_int_equal(find_now(d, 2, 0, 0, 0, 40, t0 + 10), 20);
    assert_int_equal(find_now(d, 2, 0, 0, 0, 40, t0 + 5 + W + 1), 21);
    fq_dedup_free(d);
}

static void test_expiry(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    for (int i = 0; i < 100; i++) /* added out of time order */
        assert_int_equal(
            add_here(d, (uint64_t)i + 1, i % 3, i % 2, LON, LAT, i % 5, t0 + (i * 37) % 100),
            FQ_OK);
    size_t before = fq_dedup_memory(d);
    assert_true(before > 100 * sizeof(double));
    /* nothing is due yet */
    assert_int_equal(fq_dedup_expire(d, t0 + W, 1000), 0);
    /* a find drops at most FQ_DEDUP_EXPIRE_BATCH */
    assert_int_equal(find_now(d, 99, 1, LON, LAT, -1, t0 + W + 50), 0);
    assert_int_equal(fq_dedup_count(d), 100 - FQ_DEDUP_EXPIRE_BATCH);
    /* reported t0 + 0 .. 49 are out; the rest stay */
    assert_int_equal(fq_dedup_expire(d, t0 + W + 50, 1000), 50 - FQ_DEDUP_EXPIRE_BATCH);
    assert_int_equal(fq_dedup_count(d), 50);
    for (int i = 0; i < 100; i++) {
        int64_t at = t0 + (i * 37) % 100;
        int rc = fq_dedup_remove(d, (uint64_t)i + 1);
        assert_int_equal(rc, at < t0 + 50 ? FQ_ENOTFOUND : FQ_OK);
    }
    assert_int_equal(fq_dedup_count(d), 0);
    assert_int_equal(fq_dedup_memory(d), before); /* slots are reused, nothing shrinks */
    fq_dedup_free(d);
}

/* cells wrap at the antimeridian; towards the poles more cells are scanned */
static void test_antimeridian_and_latitudes(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 0);
    assert_int_equal(add_here(d, 1, 0, 1, 179.9995, 0, -1, t0), FQ_OK);
    assert_true(fq_dedup_distance_m(-179.9995, 0, 179.9995, 0) < 112);
    assert_int_equal(find_now(d, 0, 1, -179.9995, 0, -1, t0), 1);
    assert_int_equal(find_now(d, 0, 1, -180, 0, -1, t0), 1);
    assert_int_equal(find_now(d, 0, 1, 180, 0, -1, t0), 1);
    /* at 84.9 degrees 190 m east is ~0.019 degrees of longitude, ~10 cells
     * of an index whose cells are square at the equator */
    double lat = 84.9, lon = 10;
    double dlon = 190 * DLAT_PER_M / cos(lat * 3.14159265358979323846 / 180);
    assert_int_equal(add_here(d, 2, 0, 1, lon, lat, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, lon + dlon, lat, -1, t0), 2);
    assert_int_equal(find_now(d, 0, 1, lon - dlon, lat - 0.0001, -1, t0), 2);
    assert_int_equal(find_now(d, 0, 1, lon + 1.2 * dlon, lat, -1, t0), 0);
    fq_dedup_free(d);
    /* and south */
    d = make(200, W, -40);
    assert_int_equal(add_here(d, 3, 0, 1, lon, -lat, -1, t0), FQ_OK);
    assert_int_equal(find_now(d, 0, 1, lon + dlon, -lat, -1, t0), 3);
    fq_dedup_free(d);
}

/* ---- the model test ---- */

typedef struct model_entry {
    uint64_t id;
    int category, has_location;
    double lon, lat;
    int32_t place, town;
    int64_t at_ms;
    int open;
} model_entry;

/* The model's back-dating bound: queries reach this far before now. */
#define MODEL_BACKDATE (4 * W)

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rnd01(void)
{
    return (double)(rnd() >> 11) * 0x1p-53;
}

/* The entries of `m` a query may still match, by index: an open one reported
 * at or after now - MODEL_BACKDATE - window (a query reaches back to
 * now - MODEL_BACKDATE, and window before that). `now` never goes back, so
 * an entry closed or older than that never matches again and brute drops
 * it: the scan covers every entry that could match, not every one ever
 * added (which made the model test cost seconds of CPU). */
typedef struct model_candidates {
    size_t *index;
    size_t n;
} model_candidates;

/* The brute-force answer: a scan of every candidate with the rule as
 * specified (dropping the ones that can no longer match). */
static uint64_t brute(const model_entry *m, model_candidates *c, double distance_m,
                      int64_t window_ms, const model_entry *q, int64_t now)
{
    int category = q->category, has_location = q->has_location;
    double lon = q->lon, lat = q->lat;
    int32_t place = q->place;
    int64_t at = q->at_ms > now ? now : q->at_ms;
    size_t kept = 0;
    for (size_t k = 0; k < c->n; k++) {
        const model_entry *e = &m[c->index[k]];
        if (e->open && e->at_ms >= now - MODEL_BACKDATE - window_ms)
            c->index[kept++] = c->index[k];
    }
    c->n = kept;
    if (window_ms == 0 || at < now - MODEL_BACKDATE)
        return 0;
    size_t best = SIZE_MAX;
    double best_d = 0;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->index[k];
        const model_entry *e = &m[i];
        if (e->category != category || e->town != q->town || e->at_ms < at - window_ms ||
            e->at_ms > at + window_ms)
            continue;
        double dist;
        if (has_location) {
            if (!e->has_location)
                continue;
            dist = fq_dedup_distance_m(lon, lat, e->lon, e->lat);
            if (!(dist <= distance_m))
                continue;
        } else {
            if (place < 0 || e->place != place)
                continue;
            dist = 0;
        }
        if (best == SIZE_MAX || dist < best_d ||
            (dist == best_d &&
             (e->at_ms < m[best].at_ms || (e->at_ms == m[best].at_ms && e->id < m[best].id)))) {
            best = i;
            best_d = dist;
        }
    }
    return best == SIZE_MAX ? 0 : m[best].id;
}

static void model_run(uint64_t seed, double lon0, double lat0, double span_deg, double ref_lat,
                      double distance_m)
{
    enum { N = 20000, CATEGORIES = 6, PLACES = 150 };
    rng_state = seed;
    model_entry *m = calloc(N, sizeof *m);
    model_candidates candidates = {calloc(N, sizeof *candidates.index), 0};
    assert_non_null(m);
    assert_non_null(candidates.index);
    fq_dedup *d = make_backdated(distance_m, W, ref_lat, MODEL_BACKDATE);
    int64_t now = t0;
    size_t n = 0, merged = 0, by_place = 0, closed = 0;
    for (int step = 0; step < N; step++) {
        now += (int64_t)(rnd() % 20000);
        model_entry q = {0};
        q.id = (uint64_t)step * 7 + 1 + rnd() % 7; /* increasing, not dense */
        q.category = (int)(rnd() % CATEGORIES);
        q.has_location = rnd() % 5 != 0;
        q.place = rnd() % 4 == 0 ? -1 : (int32_t)(rnd() % PLACES);
        /* a place lies in one town; a town of -1: placed at the district */
        q.town = q.place >= 0 ? q.place % 3 : (int32_t)(rnd() % 4) - 1;
        if (n > 0 && rnd() % 20 == 0) {
            /* exactly where (and when) an earlier one was: ties */
            const model_entry *o = &m[rnd() % n];
            q.lon = o->lon;
            q.lat = o->lat;
            q.has_location = o->has_location;
            q.place = o->place;
            q.town = o->town;
            q.category = o->category;
        } else {
            q.lon = lon0 + (rnd01() - 0.5) * span_deg;
            if (q.lon > 180)
                q.lon -= 360;
            q.lat = lat0 + (rnd01() - 0.5) * span_deg * 0.25;
        }
        if (!q.has_location)
            q.lon = q.lat = 0;
        /* happened a little before now, not in order; now and then hours
         * before (a back-fill, some beyond the bound) or after (a clock
         * ahead of ours) */
        switch (rnd() % 8) {
        case 0:
            q.at_ms = now - (int64_t)(rnd() % (MODEL_BACKDATE + 2 * W));
            break;
        case 1:
            q.at_ms = now + (int64_t)(rnd() % W);
            break;
        default:
            q.at_ms = now - (int64_t)(rnd() % 120000);
        }

        uint64_t want = brute(m, &candidates, distance_m, W, &q, now);
        uint64_t got = fq_dedup_find(d, q.category, q.has_location, q.lon, q.lat, q.place, q.town,
                                     q.at_ms, now);
        if (got != want)
            fail_msg("seed %llu step %d: find %llu, brute force %llu", (unsigned long long)seed,
                     step, (unsigned long long)got, (unsigned long long)want);
        if (got) {
            merged++;
            by_place += !q.has_location;
        }
        /* an operator may judge it not a duplicate after all: then it is
         * dispatched and indexed beside the one it matched (ties follow) */
        if (!got || rnd() % 4 == 0) {
            q.at_ms = fq_dedup_incident_time(q.at_ms, now); /* never after intake */
            assert_int_equal(fq_dedup_add(d, q.id, q.category, q.has_location, q.lon, q.lat,
                                          q.place, q.town, q.at_ms),
                             FQ_OK);
            q.open = 1;
            candidates.index[candidates.n++] = n;
            m[n++] = q;
        }
        /* close one now and then; one already expired may be gone */
        if (n > 0 && rnd() % 3 == 0) {
            model_entry *e = &m[rnd() % n];
            if (e->open) {
                int rc = fq_dedup_remove(d, e->id);
                if (rc != FQ_OK) {
                    assert_int_equal(rc, FQ_ENOTFOUND);
                    assert_true(e->at_ms < now - MODEL_BACKDATE - W);
                }
                e->open = 0;
                closed++;
            }
        }
    }
    /* what the index holds: every open one inside the window, at most all open */
    size_t open = 0, live = 0;
    for (size_t i = 0; i < n; i++) {
        open += m[i].open;
        live += m[i].open && m[i].at_ms >= now - MODEL_BACKDATE - W;
    }
    assert_true(fq_dedup_count(d) >= live && fq_dedup_count(d) <= open);
    fq_dedup_expire(d, now, SIZE_MAX);
    assert_int_equal(fq_dedup_count(d), live);
    /* the run must have exercised both outcomes */
    assert_true(merged > N / 20 && merged < N - N / 20);
    assert_true(by_place > 50 && closed > 100);
    print_message("seed %llu: %zu merged (%zu by place), %zu added, %zu closed, %zu live\n",
                  (unsigned long long)seed, merged, by_place, n, closed, live);
    fq_dedup_free(d);
    free(candidates.index);
    free(m);
}

static void test_model_city(void **state)
{
    (void)state;
    /* 0.05 x 0.0125 degrees, ~5 x 1.4 km in Hangzhou: dense enough to merge */
    model_run(1, LON, LAT, 0.05, 30, 300);
}

static void test_model_city_far_from_reference(void **state)
{
    (void)state;
    /* cells square at the equator, a city at 60 N */
    model_run(2, 24.9, 60.2, 0.08, 0, 250);
}

static void test_model_high_latitude_antimeridian(void **state)
{
    (void)state;
    /* across the antimeridian at 84 degrees, cells square at 30 */
    model_run(3, 180, 84, 0.5, 30, 400);
}

/* Two towns meet along a street: a report 50 m away across the border is
 * another town's matter and is not merged into this town's incident; the
 * same report on this side is. By place alone the town is compared too. */
static void test_town_border(void **state)
{
    (void)state;
    fq_dedup *d = make(200, W, 30);
    const int32_t town_a = 3, town_b = 4;
    assert_int_equal(fq_dedup_add(d, 1, 0, 1, LON, LAT, 10, town_a, t0), FQ_OK);
    double near = LAT + 50 * DLAT_PER_M;
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, near, 20, town_b, t0, t0), 0);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, near, 11, town_a, t0, t0), 1);
    /* a town's own incident nearer than the neighbour's is still found */
    assert_int_equal(fq_dedup_add(d, 2, 0, 1, LON, near, 20, town_b, t0), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, near, 11, town_a, t0, t0), 1);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 20, town_b, t0, t0), 2);
    /* by place: the same place in another town cannot happen, but a caller
     * passing a different town is believed */
    assert_int_equal(fq_dedup_add(d, 3, 5, 0, 0, 0, 30, town_a, t0), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 5, 0, 0, 0, 30, town_a, t0, t0), 3);
    assert_int_equal(fq_dedup_find(d, 5, 0, 0, 0, 30, town_b, t0, t0), 0);
    /* no town (placed at the district) matches only no town */
    assert_int_equal(fq_dedup_add(d, 4, 6, 1, LON, LAT, 1, -1, t0), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 6, 1, LON, LAT, 1, -7, t0, t0), 4);
    assert_int_equal(fq_dedup_find(d, 6, 1, LON, LAT, 1, town_a, t0, t0), 0);
    fq_dedup_free(d);
}

/* Incident time: a back-fill of three days received within seconds merges
 * only reports that happened within the window of each other, whichever
 * comes in first; a time later than intake counts as intake; one further
 * back than the bound is not compared. */
static void test_incident_time_window(void **state)
{
    (void)state;
    const int64_t day = 24LL * 3600 * 1000, backdate = 7 * day;
    assert_int_equal(fq_dedup_incident_time(0, t0), t0);
    assert_int_equal(fq_dedup_incident_time(t0 - day, t0), t0 - day);
    assert_int_equal(fq_dedup_incident_time(t0 + 1, t0), t0);
    fq_dedup *d = make_backdated(200, W, 30, backdate);
    /* received now, happened three days ago */
    assert_int_equal(fq_dedup_add(d, 1, 0, 1, LON, LAT, 9, -1, t0 - 3 * day), FQ_OK);
    /* received a second later, happened now: three days apart, no merge */
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 + 1000, t0 + 1000), 0);
    /* happened 10 min after the first: merged, though received 3 days later */
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 - 3 * day + 600000, t0 + 2000), 1);
    /* happened just inside the window before it (a back-fill out of order) */
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 - 3 * day - W, t0 + 2000), 1);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 - 3 * day - W - 1, t0 + 2000), 0);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 - 3 * day + W + 1, t0 + 2000), 0);
    /* an incident time after intake counts as intake */
    assert_int_equal(fq_dedup_add(d, 2, 1, 1, LON, LAT, 9, -1, t0), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 1, 1, LON, LAT, 9, -1, t0 + 10 * day, t0 + 60000), 2);
    /* further back than the bound: not compared, even with a twin there */
    assert_int_equal(fq_dedup_add(d, 3, 2, 1, LON, LAT, 9, -1, t0 - backdate - 1000), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 2, 1, LON, LAT, 9, -1, t0 - backdate - 1000, t0), 0);
    assert_int_equal(fq_dedup_find(d, 2, 1, LON, LAT, 9, -1, t0 - backdate, t0), 3);
    /* expiry keeps what a back-dated query can still reach: the first is
     * kept until now passes its time + bound + window */
    assert_int_equal(fq_dedup_expire(d, t0 - 3 * day + backdate + W, 100), 1); /* 3 */
    assert_int_equal(
        fq_dedup_find(d, 0, 1, LON, LAT, 9, -1, t0 - 3 * day + W, t0 - 3 * day + backdate + W), 1);
    assert_int_equal(fq_dedup_expire(d, t0 - 3 * day + backdate + W + 1, 100), 1);
    assert_int_equal(fq_dedup_count(d), 1);
    fq_dedup_free(d);
}

/* Incidents decided but not yet committed are indexed under provisional ids
 * (the dispatcher's): a second report in flight finds the first; when the
 * first commits its entry takes the committed id, when its commit fails it
 * is removed and matches nothing more. */
static void test_provisional_entries(void **state)
{
    (void)state;
    const uint64_t provisional = (1ULL << 63) | 1, provisional2 = (1ULL << 63) | 2;
    fq_dedup *d = make(200, W, 30);
    assert_int_equal(fq_dedup_add(d, provisional, 0, 1, LON, LAT, 9, 2, t0), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, 2, t0 + 1, t0 + 1), provisional);
    /* committed as incident 41 */
    assert_int_equal(fq_dedup_rekey(d, provisional, 41), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 0, 1, LON, LAT, 9, 2, t0 + 2, t0 + 2), 41);
    assert_int_equal(fq_dedup_find(d, 0, 0, 0, 0, 9, 2, t0 + 2, t0 + 2), 41);
    assert_int_equal(fq_dedup_rekey(d, provisional, 42), FQ_ENOTFOUND);
    assert_int_equal(fq_dedup_remove(d, provisional), FQ_ENOTFOUND);
    /* another in flight; its commit fails: forgotten */
    assert_int_equal(fq_dedup_add(d, provisional2, 1, 1, LON, LAT, 9, 2, t0), FQ_OK);
    assert_int_equal(fq_dedup_rekey(d, provisional2, 41), FQ_EEXIST);
    assert_int_equal(fq_dedup_rekey(d, provisional2, 0), FQ_EINVALID);
    assert_int_equal(fq_dedup_find(d, 1, 1, LON, LAT, 9, 2, t0 + 3, t0 + 3), provisional2);
    assert_int_equal(fq_dedup_remove(d, provisional2), FQ_OK);
    assert_int_equal(fq_dedup_find(d, 1, 1, LON, LAT, 9, 2, t0 + 3, t0 + 3), 0);
    assert_int_equal(fq_dedup_find(d, 1, 0, 0, 0, 9, 2, t0 + 3, t0 + 3), 0);
    /* the renamed entry is removed and expires like any other */
    assert_int_equal(fq_dedup_remove(d, 41), FQ_OK);
    assert_int_equal(fq_dedup_count(d), 0);
    /* many renames keep the id table consistent (backward-shift delete) */
    for (uint64_t i = 1; i <= 500; i++)
        assert_int_equal(fq_dedup_add(d, (1ULL << 63) | i, 0, 1, LON, LAT, 9, 2, t0), FQ_OK);
    for (uint64_t i = 1; i <= 500; i++)
        assert_int_equal(fq_dedup_rekey(d, (1ULL << 63) | i, i), FQ_OK);
    for (uint64_t i = 1; i <= 500; i++) {
        assert_int_equal(fq_dedup_remove(d, (1ULL << 63) | i), FQ_ENOTFOUND);
        assert_int_equal(fq_dedup_remove(d, i), FQ_OK);
    }
    assert_int_equal(fq_dedup_count(d), 0);
    fq_dedup_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_merge_rule),
        cmocka_unit_test(test_distance_boundary),
        cmocka_unit_test(test_window_boundary),
        cmocka_unit_test(test_nearest_then_earliest_then_id),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_place_only),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_antimeridian_and_latitudes),
        cmocka_unit_test(test_town_border),
        cmocka_unit_test(test_incident_time_window),
        cmocka_unit_test(test_provisional_entries),
        cmocka_unit_test(test_model_city),
        cmocka_unit_test(test_model_city_far_from_reference),
        cmocka_unit_test(test_model_high_latitude_antimeridian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
