/* geo: squares and concave rings, shared edges and vertices (one owner
 * exactly), builder validation, overlaps, and a property test over random
 * tiled cities against a brute-force scan. FQ_GEO_SEED=n reruns the property
 * test with another seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "geo.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

/* ---- helpers ---- */

static void add_ok(fq_geo_builder *b, int32_t grid, const double *ring, size_t n)
{
    err[0] = '\0';
    if (fq_geo_builder_add(b, grid, ring, n, err, sizeof err) != 0)
        fail_msg("adding grid %d: %s", (int)grid, err);
}

static void add_rect(fq_geo_builder *b, int32_t grid, double x0, double y0, double x1, double y1)
{
    double r[] = {x0, y0, x1, y0, x1, y1, x0, y1};
    add_ok(b, grid, r, 4);
}

static fq_geo_index *build_ok(fq_geo_builder *b)
{
    fq_geo_index *ix = fq_geo_build(b, err, sizeof err);
    if (ix == NULL)
        fail_msg("build: %s", err);
    return ix;
}

/* Expects `want` at (lon, lat), with the coordinates in the message. */
#define assert_at(ix, lon, lat, want)                                                              \
    do {                                                                                           \
        int32_t got_ = fq_geo_locate((ix), (lon), (lat));                                          \
        if (got_ != (want))                                                                        \
            fail_msg("(%.9g, %.9g): got %d, want %d", (double)(lon), (double)(lat), (int)got_,     \
                     (int)(want));                                                                 \
    } while (0)

static void assert_rejected(const double *ring, size_t n, const char *why)
{
    fq_geo_builder *b = fq_geo_builder_new();
    assert_non_null(b);
    err[0] = '\0';
    if (fq_geo_builder_add(b, 1, ring, n, err, sizeof err) != -1)
        fail_msg("ring accepted, expected rejection: %s", why);
    assert_true(strlen(err) > 0);
    /* A rejected ring leaves the builder usable and unchanged. */
    add_rect(b, 2, 10, 10, 11, 11);
    fq_geo_index *ix = build_ok(b);
    assert_int_equal(fq_geo_polygons(ix), 1);
    assert_at(ix, 10.5, 10.5, 2);
    fq_geo_free(ix);
}

/* ---- fixed shapes ---- */

static void test_square(void **state)
{
    (void)state;
    fq_geo_builder *b = fq_geo_builder_new();
    add_rect(b, 5, 120.0, 30.0, 120.01, 30.01);
    fq_geo_index *ix = build_ok(b);
    assert_at(ix, 120.005, 30.005, 5);
    assert_at(ix, 120.0, 30.005, 5);          /* west edge: inside */
    assert_at(ix, 120.005, 30.0, 5);          /* south edge: inside */
    assert_at(ix, 120.01, 30.005, -1);        /* east edge: outside */
    assert_at(ix, 120.005, 30.01, -1);        /* north edge: outside */
    assert_at(ix, 120.0, 30.0, 5);            /* SW vertex */
    assert_at(ix, 120.01, 30.0, -1);          /* SE vertex */
    assert_at(ix, 120.0, 30.01, -1);          /* NW vertex */
    assert_at(ix, 120.01, 30.01, -1);         /* NE vertex */
    assert_at(ix, 120.0 - 1e-6, 30.005, -1);  /* 10 units west */
    assert_at(ix, 120.0 - 4e-8, 30.005, 5);   /* snaps onto the west edge */
    assert_at(ix, 120.01 - 1e-7, 30.005, 5);  /* one unit inside the east edge */
    assert_at(ix, 120.01 - 4e-8, 30.005, -1); /* snaps onto the east edge */
    fq_geo_free(ix);
}

/* Four squares meeting at (1, 1), ids chosen so that the answer is not the
 * lowest id by accident:  C=30 | D=10
 *                         A=40 | B=20 */
static void test_shared_edges_and_vertex(void **state)
{
    (void)state;
    fq_geo_builder *b = fq_geo_builder_new();
    add_rect(b, 40, 0, 0, 1, 1);
    add_rect(b, 20, 1, 0, 2, 1);
    add_rect(b, 30, 0, 1, 1, 2);
    add_rect(b, 10, 1, 1, 2, 2);
    fq_geo_index *ix = build_ok(b);
    assert_at(ix, 0.5, 0.5, 40);
    assert_at(ix, 1.5, 0.5, 20);
    assert_at(ix, 0.5, 1.5, 30);
    assert_at(ix, 1.5, 1.5, 10);
    assert_at(ix, 1.0, 0.5, 20); /* A|B edge: the east one */
    assert_at(ix, 1.0, 1.5, 10); /* C|D edge */
    assert_at(ix, 0.5, 1.0, 30); /* A/C edge: the north one */
    assert_at(ix, 1.5, 1.0, 10); /* B/D edge */
    assert_at(ix, 1.0, 1.0, 10); /* the shared vertex: north-east */
    assert_at(ix, 1.0, 0.0, 20); /* on the outline: south edge is inside */
    assert_at(ix, 0.0, 1.0, 30); /* west outline */
    assert_at(ix, 2.0, 1.0, -1); /* east outline */
    assert_at(ix, 1.0, 2.0, -1); /* north outline */
    fq_geo_free(ix);
}

static void test_concave(void **state)
{
    (void)state;
    /* L: the square [0,2]^2 without its north-east quarter. */
    double l[] = {0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2};
    /* U: [0,3]^2 without the slot [1,2]x[1,3]; the slot is grid 9. */
    double u[] = {10, 0, 13, 0, 13, 3, 12, 3, 12, 1, 11, 1, 11, 3, 10, 3};
    fq_geo_builder *b = fq_geo_builder_new();
    add_ok(b, 1, l, 6);
    add_ok(b, 2, u, 8);
    add_rect(b, 9, 11, 1, 12, 3);
    fq_geo_index *ix = build_ok(b);
    assert_at(ix, 0.5, 0.5, 1);
    assert_at(ix, 1.5, 0.5, 1);
    assert_at(ix, 0.5, 1.5, 1);
    assert_at(ix, 1.5, 1.5, -1); /* the notch */
    assert_at(ix, 1.0, 1.0, -1); /* reflex vertex: just east of it is the notch */
    assert_at(ix, 0.5, 1.0, 1);  /* level with the notch's floor, ray passes its vertices */
    assert_at(ix, 1.0, 1.5, -1); /* the notch's west side: east of it is outside */
    assert_at(ix, 1.5, 1.0, -1); /* the notch's floor: north of it is outside */
    assert_at(ix, 0.999, 1.5, 1);

    assert_at(ix, 10.5, 2, 2); /* west arm: the ray crosses both arms */
    assert_at(ix, 12.5, 2, 2); /* east arm */
    assert_at(ix, 11.5, 0.5, 2);
    assert_at(ix, 11.5, 2, 9);  /* the slot */
    assert_at(ix, 11, 2, 9);    /* slot's west side */
    assert_at(ix, 12, 2, 2);    /* slot's east side: east arm */
    assert_at(ix, 11.5, 1, 9);  /* slot's floor: the slot (north) */
    assert_at(ix, 11, 1, 9);    /* U's inner corner, slot's SW corner */
    assert_at(ix, 12, 1, 2);    /* slot's SE corner: east of it is the U */
    assert_at(ix, 11.5, 3, -1); /* north outline */

    /* Every point of a lattice over the U + slot square is in exactly one
     * of the two when it lies in [10,13) x [0,3), else in none. */
    for (int i = -2; i <= 26; i++)
        for (int j = -2; j <= 26; j++) {
            double x = 10 + i * 0.125, y = j * 0.125;
            int32_t g = fq_geo_locate(ix, x, y);
            int inside = i >= 0 && i < 24 && j >= 0 && j < 24;
            if (inside ? (g != 2 && g != 9) : g != -1)
                fail_msg("(%g, %g): got %d", x, y, (int)g);
        }
    fq_geo_free(ix);
}

static void test_outside_and_bad_queries(void **state)
{
    (void)state;
    fq_geo_builder *b = fq_geo_builder_new();
    add_rect(b, 0, 120, 30, 121, 31);
    fq_geo_index *ix = build_ok(b);
    assert_at(ix, 120.5, 30.5, 0);
    assert_at(ix, -120.5, 30.5, -1);
    assert_at(ix, 120.5, -30.5, -1);
    assert_at(ix, 180, 90, -1);
    assert_at(ix, -180, -90, -1);
    assert_at(ix, 1e300, 30.5, -1);
    assert_at(ix, 120.5, -1e300, -1);
    assert_at(ix, NAN, 30.5, -1);
    assert_at(ix, 120.5, NAN, -1);
    assert_at(ix, INFINITY, 30.5, -1);
    assert_at(ix, 120.5, -INFINITY, -1);
    fq_geo_free(ix);

    /* No polygons at all. */
    ix = build_ok(fq_geo_builder_new());
    assert_int_equal(fq_geo_polygons(ix), 0);
    assert_at(ix, 0, 0, -1);
    assert_at(ix, 120.5, 30.5, -1);
    assert_true(fq_geo_memory(ix) > 0);
    fq_geo_free(ix);
}

static void test_builder_rejects(void **state)
{
    (void)state;
    double nan_lon[] = {0, 0, NAN, 0, 1, 1};
    double inf_lat[] = {0, 0, 1, INFINITY, 1, 1};
    double ninf[] = {-INFINITY, 0, 1, 0, 1, 1};
    double lon_range[] = {0, 0, 180.5, 0, 1, 1};
    double lat_range[] = {0, 0, 1, 0, 1, -90.01};
    double two[] = {0, 0, 1, 1};
    double collinear[] = {0, 0, 1, 1, 2, 2};
    double spike[] = {0, 0, 1, 0, 2, 0, 1, 0}; /* there and back: zero area */
    double same[] = {5, 5, 5, 5, 5, 5, 5, 5};
    double closed_two[] = {0, 0, 1, 1, 0, 0};             /* closed, but a segment */
    double tiny[] = {0, 0, 1e-8, 0, 1e-8, 1e-8, 0, 1e-8}; /* snaps to one point */
    assert_rejected(nan_lon, 3, "NaN");
    assert_rejected(inf_lat, 3, "inf");
    assert_rejected(ninf, 3, "-inf");
    assert_rejected(lon_range, 3, "lon 180.5");
    assert_rejected(lat_range, 3, "lat -90.01");
    assert_rejected(two, 2, "2 vertices");
    assert_rejected(collinear, 3, "collinear");
    assert_rejected(spike, 4, "spike");
    assert_rejected(same, 4, "one point");
    assert_rejected(closed_two, 3, "closed segment");
    assert_rejected(tiny, 4, "below the snapping unit");
    assert_rejected(NULL, 0, "no ring");

    fq_geo_builder *b = fq_geo_builder_new();
    double sq[] = {0, 0, 1, 0, 1, 1, 0, 1};
    assert_int_equal(fq_geo_builder_add(b, -1, sq, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "negative"));
    /* Explicitly closed rings and repeated vertices are fine. */
    double closed[] = {0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    add_ok(b, 3, closed, 6);
    /* Extreme but valid coordinates. */
    double corner[] = {179, 89, 180, 89, 180, 90, 179, 90};
    add_ok(b, 4, corner, 4);
    double west[] = {-180, -90, -179, -90, -179, -89};
    add_ok(b, 6, west, 3);
    fq_geo_index *ix = build_ok(b);
    assert_at(ix, 0.5, 0.5, 3);
    assert_at(ix, 179.5, 89.5, 4);
    assert_at(ix, 180, 89.5, -1); /* east outline */
    assert_at(ix, -180, -90, 6);
    assert_at(ix, -179.2, -89.9, 6);
    assert_at(ix, -179.9, -89.2, -1);
    fq_geo_free(ix);
    fq_geo_builder_free(fq_geo_builder_new()); /* freeing an unbuilt builder */
    fq_geo_builder_free(NULL);
}

static void test_overlap_and_multipart(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        fq_geo_builder *b = fq_geo_builder_new();
        /* Same shapes, the other order of addition: same answers. */
        if (round == 0) {
            add_rect(b, 7, 0, 0, 2, 2);
            add_rect(b, 3, 1, 1, 3, 3);
        } else {
            add_rect(b, 3, 1, 1, 3, 3);
            add_rect(b, 7, 0, 0, 2, 2);
        }
        /* Grid 5 in two pieces, one of them inside grid 7's square. */
        add_rect(b, 5, 10, 10, 11, 11);
        add_rect(b, 5, 0.25, 0.25, 0.75, 0.75);
        fq_geo_index *ix = build_ok(b);
        assert_int_equal(fq_geo_polygons(ix), 4);
        assert_at(ix, 0.5, 1.5, 7);
        assert_at(ix, 1.5, 1.5, 3); /* both: the lower id */
        assert_at(ix, 2.5, 2.5, 3);
        assert_at(ix, 0.5, 0.5, 5); /* inside 7 and 5: 5 */
        assert_at(ix, 0.1, 0.1, 7);
        assert_at(ix, 10.5, 10.5, 5);
        assert_at(ix, 5, 5, -1); /* in the bbox, in no grid */
        fq_geo_free(ix);
    }
}

/* Two towns half a world apart: the bounding box is nearly empty, so the
 * cell count is capped; both must still be found. */
static void test_sparse(void **state)
{
    (void)state;
    fq_geo_builder *b = fq_geo_builder_new();
    add_rect(b, 1, -170, -60, -169.99, -59.99);
    add_rect(b, 2, 170, 60, 170.01, 60.01);
    fq_geo_index *ix = build_ok(b);
    assert_true(fq_geo_cells(ix) <= 4 * 2 + 64);
    assert_at(ix, -169.995, -59.995, 1);
    assert_at(ix, 170.005, 60.005, 2);
    assert_at(ix, 0, 0, -1);
    fq_geo_free(ix);
}

/* ---- property test: random tiled cities ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

/* The rule of geo.h written the textbook way (edge from i to j as it comes,
 * intersection compared by cross-multiplying), on snapped coordinates. */
static int brute_pip(const int32_t *v, int n, int64_t px, int64_t py)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        int64_t xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * j], yj = v[2 * j + 1];
        if ((yi > py) != (yj > py)) {
            /* px < xi + (py - yi) * (xj - xi) / (yj - yi) */
            int64_t l = (px - xi) * (yj - yi), r = (py - yi) * (xj - xi);
            if (yj > yi ? l < r : l > r)
                in = !in;
        }
    }
    return in;
}

typedef struct city {
    int nx, ny;       /* cells */
    double *vx, *vy;  /* (nx+1) * (ny+1) shared vertices, degrees */
    int32_t *grid;    /* per cell */
    int32_t *snapped; /* per cell, 8 ints: the 4 corners snapped */
    double x0, y0, x1, y1;
} city;

static int vid(const city *c, int i, int j)
{
    return j * (c->nx + 1) + i;
}

/* nx * ny quadrilaterals over [x0,x1] x [y0,y1], interior vertices jittered by
 * up to `jitter` of a cell; outline vertices move only along the outline, so
 * the cells tile the rectangle exactly. lattice > 0 rounds the vertices to
 * multiples of that many degrees, which puts many integer points on edges. */
static void city_make(city *c, int nx, int ny, double jitter, double lattice)
{
    memset(c, 0, sizeof *c);
    c->nx = nx;
    c->ny = ny;
    c->x0 = 120.0 + rng_unit() * 0.1;
    c->y0 = 30.0 + rng_unit() * 0.1;
    double cw = 0.002 + rng_unit() * 0.004, ch = 0.002 + rng_unit() * 0.004;
    c->x1 = c->x0 + nx * cw;
    c->y1 = c->y0 + ny * ch;
    if (lattice > 0) {
        c->x0 = round(c->x0 / lattice) * lattice;
        c->y0 = round(c->y0 / lattice) * lattice;
        c->x1 = round(c->x1 / lattice) * lattice;
        c->y1 = round(c->y1 / lattice) * lattice;
    }
    size_t nv = (size_t)(nx + 1) * (ny + 1);
    c->vx = malloc(nv * sizeof *c->vx);
    c->vy = malloc(nv * sizeof *c->vy);
    c->grid = malloc((size_t)nx * ny * sizeof *c->grid);
    c->snapped = malloc((size_t)nx * ny * 8 * sizeof *c->snapped);
    assert_non_null(c->vx);
    assert_non_null(c->vy);
    assert_non_null(c->grid);
    assert_non_null(c->snapped);
    for (int j = 0; j <= ny; j++)
        for (int i = 0; i <= nx; i++) {
            double x = c->x0 + i * cw, y = c->y0 + j * ch;
            if (i > 0 && i < nx)
                x += (rng_unit() * 2 - 1) * jitter * cw;
            if (j > 0 && j < ny)
                y += (rng_unit() * 2 - 1) * jitter * ch;
            if (lattice > 0) {
                x = round(x / lattice) * lattice;
                y = round(y / lattice) * lattice;
            }
            /* The outline exactly, whatever the arithmetic above did. */
            x = i == 0 ? c->x0 : i == nx ? c->x1 : x;
            y = j == 0 ? c->y0 : j == ny ? c->y1 : y;
            c->vx[vid(c, i, j)] = x;
            c->vy[vid(c, i, j)] = y;
        }
    /* Grid ids: a shuffled, gapped numbering, so that priority order and
     * spatial order differ. */
    int n = nx * ny;
    for (int k = 0; k < n; k++)
        c->grid[k] = 3 * k + 1;
    for (int k = n - 1; k > 0; k--) {
        int m = (int)rng_below((uint64_t)k + 1);
        int32_t t = c->grid[k];
        c->grid[k] = c->grid[m];
        c->grid[m] = t;
    }
}

static void city_free(city *c)
{
    free(c->vx);
    free(c->vy);
    free(c->grid);
    free(c->snapped);
}

static fq_geo_index *city_index(city *c)
{
    fq_geo_builder *b = fq_geo_builder_new();
    assert_non_null(b);
    for (int j = 0; j < c->ny; j++)
        for (int i = 0; i < c->nx; i++) {
            int corner[4] = {vid(c, i, j), vid(c, i + 1, j), vid(c, i + 1, j + 1),
                             vid(c, i, j + 1)};
            double ring[8];
            int32_t *s = c->snapped + 8 * (j * c->nx + i);
            for (int k = 0; k < 4; k++) {
                ring[2 * k] = c->vx[corner[k]];
                ring[2 * k + 1] = c->vy[corner[k]];
                s[2 * k] = fq_geo_snap(ring[2 * k]);
                s[2 * k + 1] = fq_geo_snap(ring[2 * k + 1]);
            }
            add_ok(b, c->grid[j * c->nx + i], ring, 4);
        }
    return build_ok(b);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    a = a < 0 ? -a : a;
    b = b < 0 ? -b : b;
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A query point: uniform inside, uniform around, exactly on a vertex, or
 * exactly on an edge (an integer point of the snapped segment). */
static void city_point(const city *c, double *lon, double *lat)
{
    uint64_t kind = rng_below(100);
    if (kind < 55) {
        *lon = c->x0 + rng_unit() * (c->x1 - c->x0);
        *lat = c->y0 + rng_unit() * (c->y1 - c->y0);
    } else if (kind < 70) {
        double mx = (c->x1 - c->x0) * 0.2, my = (c->y1 - c->y0) * 0.2;
        *lon = c->x0 - mx + rng_unit() * (c->x1 - c->x0 + 2 * mx);
        *lat = c->y0 - my + rng_unit() * (c->y1 - c->y0 + 2 * my);
    } else if (kind < 85) {
        int v = (int)rng_below((uint64_t)(c->nx + 1) * (c->ny + 1));
        *lon = c->vx[v];
        *lat = c->vy[v];
    } else {
        int cell = (int)rng_below((uint64_t)c->nx * c->ny), k = (int)rng_below(4);
        const int32_t *s = c->snapped + 8 * cell;
        int64_t ax = s[2 * k], ay = s[2 * k + 1], bx = s[(2 * k + 2) % 8], by = s[(2 * k + 3) % 8];
        int64_t g = gcd64(bx - ax, by - ay), t = (int64_t)rng_below((uint64_t)g + 1);
        *lon = (double)(ax + t * ((bx - ax) / g)) / FQ_GEO_SCALE;
        *lat = (double)(ay + t * ((by - ay) / g)) / FQ_GEO_SCALE;
    }
}

static void city_check(uint64_t seed, int nx, int ny, double jitter, double lattice, int points)
{
    rng_state = seed;
    city c;
    city_make(&c, nx, ny, jitter, lattice);
    fq_geo_index *ix = city_index(&c);
    int64_t X0 = fq_geo_snap(c.x0), Y0 = fq_geo_snap(c.y0), X1 = fq_geo_snap(c.x1),
            Y1 = fq_geo_snap(c.y1);
    int n = nx * ny;
    long on_vertex = 0;
    for (int p = 0; p < points; p++) {
        double lon, lat;
        city_point(&c, &lon, &lat);
        int64_t px = fq_geo_snap(lon), py = fq_geo_snap(lat);
        int owners = 0;
        int32_t want = FQ_GEO_NOWHERE;
        for (int k = 0; k < n; k++) {
            const int32_t *s = c.snapped + 8 * k;
            if (brute_pip(s, 4, px, py)) {
                owners++;
                if (want == FQ_GEO_NOWHERE || c.grid[k] < want)
                    want = c.grid[k];
            }
            for (int e = 0; e < 4; e++)
                if (s[2 * e] == px && s[2 * e + 1] == py)
                    on_vertex++;
        }
        int inside = px >= X0 && px < X1 && py >= Y0 && py < Y1;
        if (owners != (inside ? 1 : 0))
            fail_msg("seed %" PRIu64 " point %d (%.9f, %.9f): %d owners, %s the city", seed, p, lon,
                     lat, owners, inside ? "inside" : "outside");
        int32_t got = fq_geo_locate(ix, lon, lat);
        if (got != want)
            fail_msg("seed %" PRIu64 " point %d (%.9f, %.9f): locate %d, brute force %d", seed, p,
                     lon, lat, (int)got, (int)want);
    }
    /* The vertex points must really have hit vertices. */
    assert_true(on_vertex > points / 20);
    fq_geo_free(ix);
    city_free(&c);
}

static uint64_t base_seed(void)
{
    const char *s = getenv("FQ_GEO_SEED");
    return s ? strtoull(s, NULL, 0) : UINT64_C(20190422);
}

static void test_random_cities(void **state)
{
    (void)state;
    uint64_t seed = base_seed();
    print_message("geo property test, seed %" PRIu64 " (FQ_GEO_SEED to change)\n", seed);
    /* 100,000 points over four cities of different shapes. */
    city_check(seed, 30, 20, 0.3, 0, 25000);
    city_check(seed + 1, 24, 25, 0.45, 1e-5, 25000); /* lattice: many exact edge points */
    city_check(seed + 2, 1, 40, 0.3, 0, 25000);      /* one column */
    city_check(seed + 3, 40, 15, 0, 1e-4, 25000);    /* no jitter: axis-parallel edges */
}

/* FQ_GEO_MAX_VERTICES is the one limit: the builder (so the server's loader
 * and import-topology, which both add through it) takes a ring of exactly
 * that many vertices and refuses one more. */
static void test_vertex_limit(void **state)
{
    (void)state;
    size_t n = FQ_GEO_MAX_VERTICES + 1;
    double *ring = malloc(2 * n * sizeof *ring);
    assert_non_null(ring);
    /* A saw blade: teeth along a line, the first vertex below it (without
     * it, teeth and the closing diagonal would cancel to zero area). */
    for (size_t i = 0; i < n; i++) {
        ring[2 * i] = 120.0 + (double)i * 1e-7;
        ring[2 * i + 1] = 30.0 + (i % 2 ? 1e-5 : 0) - (i == 0 ? 1e-5 : 0);
    }
    fq_geo_builder *b = fq_geo_builder_new();
    err[0] = '\0';
    assert_int_equal(fq_geo_builder_add(b, 1, ring, n, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 1000000"));
    add_ok(b, 1, ring, n - 1);
    fq_geo_builder_free(b);
    free(ring);
}

/* ---- overlaps ---- */

static double overlap_m2(const double *a, size_t na, const double *b, size_t nb, double *lon,
                         double *lat)
{
    double area;
    err[0] = '\0';
    if (fq_geo_overlap_area(a, na, b, nb, &area, lon, lat, err, sizeof err) != 0)
        fail_msg("overlap: %s", err);
    return area;
}

/* Whether (lon, lat) is inside the ring, by the index itself. */
static int inside(const double *ring, size_t n, double lon, double lat)
{
    fq_geo_builder *b = fq_geo_builder_new();
    add_ok(b, 7, ring, n);
    fq_geo_index *ix = build_ok(b);
    int in = fq_geo_locate(ix, lon, lat) == 7;
    fq_geo_free(ix);
    return in;
}

/* m² of a lon/lat box of the given size at latitude lat (the same
 * equirectangular approximation geo.c uses). */
static double box_m2(double dlon, double dlat, double lat)
{
    double m = 6371008.8 * M_PI / 180.0;
    return dlon * m * dlat * m * cos(lat * M_PI / 180.0);
}

static void test_overlap_area(void **state)
{
    (void)state;
    double lon, lat;
    double a[] = {120.000, 30.000, 120.002, 30.000, 120.002, 30.002, 120.000, 30.002};
    /* A copy overlaps by all of its area, whatever the orientation. */
    double a_cw[] = {120.000, 30.000, 120.000, 30.002, 120.002, 30.002, 120.002, 30.000};
    double want = box_m2(0.002, 0.002, 30.001);
    assert_float_equal(overlap_m2(a, 4, a, 4, &lon, &lat), want, want * 1e-9);
    assert_float_equal(overlap_m2(a, 4, a_cw, 4, &lon, &lat), want, want * 1e-9);
    assert_true(inside(a, 4, lon, lat));
    /* Shifted by half: a quarter. */
    double b[] = {120.001, 30.001, 120.003, 30.001, 120.003, 30.003, 120.001, 30.003};
    want = box_m2(0.001, 0.001, 30.0015);
    assert_float_equal(overlap_m2(a, 4, b, 4, &lon, &lat), want, want * 1e-9);
    assert_true(inside(a, 4, lon, lat) && inside(b, 4, lon, lat));
    /* Sharing an edge, or only a vertex: nothing. */
    double east[] = {120.002, 30.000, 120.004, 30.000, 120.004, 30.002, 120.002, 30.002};
    double corner[] = {120.002, 30.002, 120.004, 30.002, 120.004, 30.004, 120.002, 30.004};
    assert_true(overlap_m2(a, 4, east, 4, &lon, &lat) < 1e-6);
    assert_true(isnan(lon) && isnan(lat));
    assert_true(overlap_m2(a, 4, corner, 4, &lon, &lat) < 1e-6);
    /* Apart: nothing. */
    double far[] = {121.0, 31.0, 121.1, 31.0, 121.1, 31.1};
    assert_true(overlap_m2(a, 4, far, 3, &lon, &lat) == 0);
}

static void test_overlap_concave(void **state)
{
    (void)state;
    double lon, lat;
    /* An L: the 2x2 box without its north-east quarter. */
    double l[] = {120.000, 30.000, 120.002, 30.000, 120.002, 30.001,
                  120.001, 30.001, 120.001, 30.002, 120.000, 30.002};
    /* The missing quarter fills the notch: shares two edges, no overlap. */
    double notch[] = {120.001, 30.001, 120.002, 30.001, 120.002, 30.002, 120.001, 30.002};
    assert_true(overlap_m2(l, 6, notch, 4, &lon, &lat) < 1e-6);
    /* A box across both arms and the notch: overlaps the L by 3 of its
     * 4 quarters of 0.001 x 0.001... here a 0.001-wide band over the
     * middle: 0.0005 x 0.001 in each arm. */
    double band[] = {120.0005, 30.0005, 120.0015, 30.0005, 120.0015, 30.0015, 120.0005, 30.0015};
    double got = overlap_m2(l, 6, band, 4, &lon, &lat);
    double want = box_m2(0.001, 0.001, 30.001) * 0.75;
    assert_float_equal(got, want, want * 1e-6);
    assert_true(inside(l, 6, lon, lat) && inside(band, 4, lon, lat));
    /* A U whose overlap with a bar misses the centroid's vertical line:
     * the point must still be inside both. */
    double u[] = {120.000, 30.000, 120.003, 30.000, 120.003, 30.003, 120.002, 30.003,
                  120.002, 30.001, 120.001, 30.001, 120.001, 30.003, 120.000, 30.003};
    double bar[] = {119.999, 30.002, 120.004, 30.002, 120.004, 30.0025, 119.999, 30.0025};
    got = overlap_m2(u, 8, bar, 4, &lon, &lat);
    want = 2 * box_m2(0.001, 0.0005, 30.00225);
    assert_float_equal(got, want, want * 1e-6);
    assert_true(inside(u, 8, lon, lat) && inside(bar, 4, lon, lat));
}

/* Random boxes against the exact box intersection. */
static void test_overlap_random_boxes(void **state)
{
    (void)state;
    srand(20261205);
    for (int t = 0; t < 500; t++) {
        double v[8];
        for (int k = 0; k < 8; k++)
            v[k] = (k % 2 ? 30.0 : 120.0) + (rand() % 2000) * 1e-6;
        double ax0 = fmin(v[0], v[2]), ax1 = fmax(v[0], v[2]), ay0 = fmin(v[1], v[3]),
               ay1 = fmax(v[1], v[3]);
        double bx0 = fmin(v[4], v[6]), bx1 = fmax(v[4], v[6]), by0 = fmin(v[5], v[7]),
               by1 = fmax(v[5], v[7]);
        if (ax1 - ax0 < 1e-6 || ay1 - ay0 < 1e-6 || bx1 - bx0 < 1e-6 || by1 - by0 < 1e-6)
            continue;
        double a[] = {ax0, ay0, ax1, ay0, ax1, ay1, ax0, ay1};
        double b[] = {bx0, by1, bx1, by1, bx1, by0, bx0, by0}; /* clockwise */
        double ix0 = fmax(ax0, bx0), ix1 = fmin(ax1, bx1), iy0 = fmax(ay0, by0),
               iy1 = fmin(ay1, by1);
        double lon, lat, want = 0;
        if (ix1 > ix0 && iy1 > iy0) {
            double ib[] = {ix0, iy0, ix1, iy0, ix1, iy1, ix0, iy1};
            double l2, t2;
            want = overlap_m2(ib, 4, ib, 4, &l2, &t2);
        }
        double got = overlap_m2(a, 4, b, 4, &lon, &lat);
        if (fabs(got - want) > 1e-6 * fmax(1, want))
            fail_msg("boxes %d: overlap %.6f m², want %.6f", t, got, want);
        if (want > 0 && !(inside(a, 4, lon, lat) && inside(b, 4, lon, lat)))
            fail_msg("boxes %d: (%.7f, %.7f) is not inside both", t, lon, lat);
    }
}

static void test_find_overlap(void **state)
{
    (void)state;
    fq_geo_overlap o;
    /* A 3 x 3 tiling: neighbours share edges and vertices, nothing overlaps. */
    fq_geo_builder *b = fq_geo_builder_new();
    for (int i = 0; i < 9; i++)
        add_rect(b, i, 120.0 + (i % 3) * 0.002, 30.0 + (i / 3) * 0.002, 120.002 + (i % 3) * 0.002,
                 30.002 + (i / 3) * 0.002);
    assert_int_equal(fq_geo_find_overlap(b, &o), 0);
    /* A sliver: grid 9 digitised 1e-7 degree (one unit) into grid 4 along
     * its whole west edge: ~2 m², 0.005 % of the grid: tolerated. */
    fq_geo_builder *s = fq_geo_builder_new();
    add_rect(s, 4, 120.002, 30.002, 120.004, 30.004);
    add_rect(s, 9, 120.004 - 1e-7, 30.002, 120.006, 30.004);
    assert_int_equal(fq_geo_find_overlap(s, &o), 0);
    /* The same polygon twice as another grid of the same grid: one grid in
     * two pieces may overlap itself. */
    add_rect(s, 4, 120.002, 30.002, 120.004, 30.004);
    assert_int_equal(fq_geo_find_overlap(s, &o), 0);
    fq_geo_builder_free(s);
    /* A copy of grid 4 as grid 12: refused, with both grids, the area and a
     * point inside. */
    add_rect(b, 12, 120.002, 30.002, 120.004, 30.004);
    assert_int_equal(fq_geo_find_overlap(b, &o), 1);
    assert_int_equal(o.grid_a, 4);
    assert_int_equal(o.grid_b, 12);
    double want = box_m2(0.002, 0.002, 30.003);
    assert_float_equal(o.area_m2, want, want * 1e-9);
    assert_float_equal(o.share, 1.0, 1e-9);
    assert_true(o.lon > 120.002 && o.lon < 120.004 && o.lat > 30.002 && o.lat < 30.004);
    fq_geo_builder_free(b);
    /* Overlapping by 10 % of the smaller: refused. */
    b = fq_geo_builder_new();
    add_rect(b, 1, 120.000, 30.000, 120.002, 30.002);
    add_rect(b, 2, 120.0018, 30.000, 120.004, 30.002);
    assert_int_equal(fq_geo_find_overlap(b, &o), 1);
    assert_float_equal(o.share, 0.1, 1e-6);
    assert_true(o.lon > 120.0018 && o.lon < 120.002);
    fq_geo_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square),          cmocka_unit_test(test_shared_edges_and_vertex),
        cmocka_unit_test(test_concave),         cmocka_unit_test(test_outside_and_bad_queries),
        cmocka_unit_test(test_builder_rejects), cmocka_unit_test(test_overlap_and_multipart),
        cmocka_unit_test(test_sparse),          cmocka_unit_test(test_random_cities),
        cmocka_unit_test(test_vertex_limit),    cmocka_unit_test(test_overlap_area),
        cmocka_unit_test(test_overlap_concave), cmocka_unit_test(test_overlap_random_boxes),
        cmocka_unit_test(test_find_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
