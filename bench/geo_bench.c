/* fq-bench-geo: cost of one fq_geo_locate over a city-sized grid map.
 *
 * Builds a city of W x H jittered quadrilateral grids that tile a rectangle
 * (shared vertices, like real grid maps), pre-generates random points over
 * the city's bounding box plus a margin (so some fall outside every grid),
 * then times a loop over all points, five times, and reports the median.
 * One core, one thread: the routing core is single-threaded per loop.
 *
 *   fq-bench-geo [--grids N] [--lookups L] [--jitter J] [--cell-m M] [--seed S]
 *
 * Prints one JSON line:
 * {"grids":..,"lookups":..,"ns_per_lookup_p50":..,"lookups_per_s":..,"index_bytes":..} */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "geo.h"

#define REPEATS 5

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-geo [--grids N] [--lookups L] [--jitter J (0..0.45)]\n"
                    "                    [--cell-m M (grid size in metres)] [--seed S]\n");
    exit(2);
}

static uint64_t rng;

static uint64_t rng_next(void)
{
    uint64_t z = (rng += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-geo", false, usage);
    long grids = 50000, lookups = 2000000;
    double jitter = 0.3, cell_m = 300;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--grids") == 0)
            grids = bu_parse_long(argv[++i], 1, 10000000);
        else if (strcmp(argv[i], "--lookups") == 0)
            lookups = bu_parse_long(argv[++i], 1, 100000000);
        else if (strcmp(argv[i], "--jitter") == 0)
            jitter = bu_parse_double(argv[++i], 0, 0.45);
        else if (strcmp(argv[i], "--cell-m") == 0)
            cell_m = bu_parse_double(argv[++i], 1, 100000);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (uint64_t)bu_parse_long(argv[++i], 0, INT64_MAX);
        else
            usage();
    }
    rng = seed;

    /* A near-square W x H >= grids, around Hangzhou (lat 30: a degree of
     * longitude is ~96 km, of latitude ~111 km). */
    int w = (int)ceil(sqrt((double)grids)), h = (int)((grids + w - 1) / w);
    double cw = cell_m / 96000.0, ch = cell_m / 111000.0, x0 = 120.0, y0 = 30.0;
    size_t nv = (size_t)(w + 1) * (h + 1);
    double *vx = bu_xmalloc(nv * sizeof *vx), *vy = bu_xmalloc(nv * sizeof *vy);
    for (int j = 0; j <= h; j++)
        for (int i = 0; i <= w; i++) {
            double x = x0 + i * cw, y = y0 + j * ch;
            if (i > 0 && i < w)
                x += (rng_unit() * 2 - 1) * jitter * cw;
            if (j > 0 && j < h)
                y += (rng_unit() * 2 - 1) * jitter * ch;
            vx[(size_t)j * (w + 1) + i] = x;
            vy[(size_t)j * (w + 1) + i] = y;
        }
    char err[256];
    fq_geo_builder *b = fq_geo_builder_new();
    if (b == NULL)
        bu_die("out of memory");
    long added = 0;
    for (int j = 0; j < h && added < grids; j++)
        for (int i = 0; i < w && added < grids; i++, added++) {
            size_t c[4] = {(size_t)j * (w + 1) + i, (size_t)j * (w + 1) + i + 1,
                           (size_t)(j + 1) * (w + 1) + i + 1, (size_t)(j + 1) * (w + 1) + i};
            double ring[8];
            for (int k = 0; k < 4; k++) {
                ring[2 * k] = vx[c[k]];
                ring[2 * k + 1] = vy[c[k]];
            }
            if (fq_geo_builder_add(b, (int32_t)added, ring, 4, err, sizeof err) != 0)
                bu_die_detail("adding a grid", err);
        }
    double t0 = bu_now_s();
    fq_geo_index *ix = fq_geo_build(b, err, sizeof err);
    if (ix == NULL)
        bu_die_detail("building the index", err);
    double build_s = bu_now_s() - t0;

    /* Points over the bounding box plus 5% each side. */
    double *pts = bu_xmalloc(2 * (size_t)lookups * sizeof *pts);
    double bw = w * cw, bh = h * ch;
    for (long k = 0; k < lookups; k++) {
        pts[2 * k] = x0 - 0.05 * bw + rng_unit() * 1.1 * bw;
        pts[2 * k + 1] = y0 - 0.05 * bh + rng_unit() * 1.1 * bh;
    }

    double ns[REPEATS];
    long found = 0;
    for (int r = 0; r < REPEATS; r++) {
        long hits = 0;
        int64_t start = bu_now_ns();
        for (long k = 0; k < lookups; k++)
            hits += fq_geo_locate(ix, pts[2 * k], pts[2 * k + 1]) != FQ_GEO_NOWHERE;
        int64_t took = bu_now_ns() - start;
        ns[r] = (double)took / (double)lookups;
        found = hits; /* also keeps the loop from being optimised away */
    }
    qsort(ns, REPEATS, sizeof ns[0], cmp_double);
    double p50 = ns[REPEATS / 2];
    printf("{\"grids\":%ld,\"lookups\":%ld,\"ns_per_lookup_p50\":%.1f,\"ns_per_lookup_min\":%.1f,"
           "\"lookups_per_s\":%.0f,\"index_bytes\":%zu,\"cells\":%zu,\"found_share\":%.3f,"
           "\"build_s\":%.3f}\n",
           added, lookups, p50, ns[0], 1e9 / p50, fq_geo_memory(ix), fq_geo_cells(ix),
           (double)found / (double)lookups, build_s);
    fq_geo_free(ix);
    free(pts);
    free(vx);
    free(vy);
    return 0;
}
