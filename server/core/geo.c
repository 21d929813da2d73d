/* geo: point-in-grid lookup over a uniform bucket grid (see geo.h).
 *
 * Layout of the index, chosen so that a lookup touches few cache lines:
 *  - a uniform grid of nx * ny cells over the bounding box of all polygons;
 *  - per cell, a CSR list (cell_start[] into cand[]) of the polygons whose
 *    boundary passes through the cell, in priority order (grid id, then order
 *    of addition), ended early by at most one polygon that covers the whole
 *    cell: such an entry holds the grid id itself, so a lookup in the interior
 *    of a grid usually answers from the cell list alone;
 *  - every polygon as one record in rec[]: bbox, grid id, vertex count, then
 *    the snapped vertices, so that one polygon is one or two cache lines.
 * The build classifies each (cell, polygon) pair exactly: boundary through
 * the cell, cell entirely inside, or entirely outside (dropped). */
#include "geo.h"

#include "errbuf.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* rec[] header of one polygon: bbox (half-open for lookups), grid, n. */
enum { R_MINX, R_MINY, R_MAXX, R_MAXY, R_GRID, R_N, R_HEAD };

/* A cand[] entry with this bit holds a grid id that covers the whole cell;
 * without it, the offset of a polygon record in rec[]. */
#define COVERS UINT32_C(0x80000000)

/* Target: cells about half a polygon wide and high (a polygon then overlaps
 * ~9 cells and a cell ~2 polygon boundaries), at most this many per polygon. */
#define CELLS_PER_POLYGON_MAX 4
#define CELLS_MAX (UINT32_C(1) << 24)

typedef struct poly {
    int32_t grid;
    uint32_t n;
    size_t off; /* into builder xy, in int32 units */
    int32_t minx, miny, maxx, maxy;
} poly;

struct fq_geo_builder {
    poly *polys;
    size_t n_polys, cap_polys;
    int32_t *xy;
    size_t n_xy, cap_xy;
};

struct fq_geo_index {
    int32_t minx, miny, maxx, maxy; /* of all polygons; a lookup outside is NOWHERE */
    uint32_t nx, ny;
    double cells_per_x, cells_per_y;
    uint32_t *cell_start; /* nx * ny + 1 */
    uint32_t *cand;
    int32_t *rec;
    size_t n_cand, n_rec, n_polys;
};

fq_geo_builder *fq_geo_builder_new(void)
{
    return calloc(1, sizeof(fq_geo_builder));
}

void fq_geo_builder_free(fq_geo_builder *b)
{
    if (b == NULL)
        return;
    free(b->polys);
    free(b->xy);
    free(b);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return false;
    *p = q;
    *cap = c;
    return true;
}

int fq_geo_builder_add(fq_geo_builder *b, int32_t grid, const double *lon_lat, size_t n_vertices,
                       char *err, size_t err_len)
{
    if (grid < 0)
        return fq_errf(err, err_len, "grid id %d is negative", (int)grid);
    if (n_vertices < 3 || lon_lat == NULL)
        return fq_errf(err, err_len, "grid %d: a ring needs at least 3 vertices, got %zu",
                       (int)grid, n_vertices);
    if (n_vertices > FQ_GEO_MAX_VERTICES)
        return fq_errf(err, err_len, "grid %d: %zu vertices, at most %d allowed", (int)grid,
                       n_vertices, FQ_GEO_MAX_VERTICES);
    for (size_t i = 0; i < n_vertices; i++) {
        double lon = lon_lat[2 * i], lat = lon_lat[2 * i + 1];
        if (!isfinite(lon) || !isfinite(lat))
            return fq_errf(err, err_len, "grid %d: vertex %zu is not a finite number", (int)grid,
                           i);
        if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0)
            return fq_errf(err, err_len, "grid %d: vertex %zu (%g, %g) is out of range", (int)grid,
                           i, lon, lat);
    }
    if (!grow((void **)&b->polys, &b->cap_polys, b->n_polys + 1, sizeof *b->polys) ||
        !grow((void **)&b->xy, &b->cap_xy, b->n_xy + 2 * n_vertices, sizeof *b->xy))
        return fq_errf(err, err_len, "out of memory");

    /* Snap, dropping repeats: after snapping, two close vertices may coincide,
     * and a zero-length edge would only cost time. */
    int32_t *v = b->xy + b->n_xy;
    uint32_t n = 0;
    for (size_t i = 0; i < n_vertices; i++) {
        int32_t x = fq_geo_snap(lon_lat[2 * i]), y = fq_geo_snap(lon_lat[2 * i + 1]);
        if (n > 0 && v[2 * (n - 1)] == x && v[2 * (n - 1) + 1] == y)
            continue;
        v[2 * n] = x;
        v[2 * n + 1] = y;
        n++;
    }
    while (n > 1 && v[0] == v[2 * (n - 1)] && v[1] == v[2 * (n - 1) + 1])
        n--;
    if (n < 3)
        return fq_errf(err, err_len, "grid %d: fewer than 3 distinct vertices", (int)grid);

    /* Twice the signed area, relative to the first vertex. In doubles, so it
     * cannot overflow; the rounding error is far below the threshold for any
     * ring smaller than a continent. */
    double area2 = 0;
    for (uint32_t i = 1; i + 1 < n; i++) {
        double ax = (double)v[2 * i] - v[0], ay = (double)v[2 * i + 1] - v[1];
        double bx = (double)v[2 * i + 2] - v[0], by = (double)v[2 * i + 3] - v[1];
        area2 += ax * by - ay * bx;
    }
    if (fabs(area2) < 2.0)
        return fq_errf(err, err_len, "grid %d: the ring has zero area", (int)grid);

    poly *p = &b->polys[b->n_polys];
    p->grid = grid;
    p->n = n;
    p->off = b->n_xy;
    p->minx = p->maxx = v[0];
    p->miny = p->maxy = v[1];
    for (uint32_t i = 1; i < n; i++) {
        int32_t x = v[2 * i], y = v[2 * i + 1];
        p->minx = x < p->minx ? x : p->minx;
        p->maxx = x > p->maxx ? x : p->maxx;
        p->miny = y < p->miny ? y : p->miny;
        p->maxy = y > p->maxy ? y : p->maxy;
    }
    b->n_polys++;
    b->n_xy += 2 * (size_t)n;
    return 0;
}

/* The crossing-number rule of geo.h, on the ring v[0..2n): a ray due east,
 * an edge counts when py is in [lower y, upper y) and the point is strictly
 * west of it. Every product is an x difference (< 2^32) times a y difference
 * (< 2^31), so it fits in int64; the two products are compared rather than
 * subtracted for the same reason. The edge is always taken from its lower
 * end, so the two grids that share it decide exactly alike. */
static bool pip(const int32_t *v, uint32_t n, int64_t px, int64_t py)
{
    bool in = false;
    int64_t ax = v[2 * (n - 1)], ay = v[2 * (n - 1) + 1];
    for (uint32_t i = 0; i < n; i++) {
        int64_t bx = v[2 * i], by = v[2 * i + 1];
        if ((ay <= py) != (by <= py)) {
            int64_t lx = ay < by ? ax : bx, ly = ay < by ? ay : by;
            int64_t ux = ay < by ? bx : ax, uy = ay < by ? by : ay;
            if ((ux - lx) * (py - ly) > (uy - ly) * (px - lx))
                in = !in;
        }
        ax = bx;
        ay = by;
    }
    return in;
}

static inline uint32_t cell_x(const fq_geo_index *ix, int64_t x)
{
    uint32_t c = (uint32_t)((double)(x - ix->minx) * ix->cells_per_x);
    return c < ix->nx ? c : ix->nx - 1;
}

static inline uint32_t cell_y(const fq_geo_index *ix, int64_t y)
{
    uint32_t c = (uint32_t)((double)(y - ix->miny) * ix->cells_per_y);
    return c < ix->ny ? c : ix->ny - 1;
}

int32_t fq_geo_locate(const fq_geo_index *ix, double lon, double lat)
{
    /* Written so that NaN fails too. */
    if (!(lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0))
        return FQ_GEO_NOWHERE;
    int32_t x = fq_geo_snap(lon), y = fq_geo_snap(lat);
    if (x < ix->minx || x >= ix->maxx || y < ix->miny || y >= ix->maxy)
        return FQ_GEO_NOWHERE;
    size_t c = (size_t)cell_y(ix, y) * ix->nx + cell_x(ix, x);
    for (uint32_t k = ix->cell_start[c], end = ix->cell_start[c + 1]; k < end; k++) {
        uint32_t e = ix->cand[k];
        if (e & COVERS)
            return (int32_t)(e & ~COVERS);
        const int32_t *r = ix->rec + e;
        if (x < r[R_MINX] || x >= r[R_MAXX] || y < r[R_MINY] || y >= r[R_MAXY])
            continue;
        if (pip(r + R_HEAD, (uint32_t)r[R_N], x, y))
            return r[R_GRID];
    }
    return FQ_GEO_NOWHERE;
}

/* ---- build ---- */

/* Sign of the cross product (b - a) x (c - a): > 0 when c is left of a->b. */
static int side(int64_t ax, int64_t ay, int64_t bx, int64_t by, int64_t cx, int64_t cy)
{
    int64_t l = (bx - ax) * (cy - ay), r = (by - ay) * (cx - ax);
    return (l > r) - (l < r);
}

/* Whether segment a-b meets the closed rectangle [x0, x1] x [y0, y1]:
 * separating axes are the two coordinate axes and the segment's normal. */
static bool segment_meets_rect(int64_t ax, int64_t ay, int64_t bx, int64_t by, int64_t x0,
                               int64_t y0, int64_t x1, int64_t y1)
{
    if ((ax < x0 && bx < x0) || (ax > x1 && bx > x1) || (ay < y0 && by < y0) ||
        (ay > y1 && by > y1))
        return false;
    int s = side(ax, ay, bx, by, x0, y0) + side(ax, ay, bx, by, x1, y0) +
            side(ax, ay, bx, by, x1, y1) + side(ax, ay, bx, by, x0, y1);
    return s != 4 && s != -4;
}

enum cell_class { CELL_MISS, CELL_EDGE, CELL_COVERS };

/* How polygon v[0..2n) relates to the lookups that land in a cell: the
 * integer points [x0, x1) x [y0, y1). Each is located as if nudged east and
 * north (geo.h), so all of them stay within the closed [x0, x1] x [y0, y1];
 * when no edge meets that, they are all on the same side of the boundary
 * as (x0, y0). */
static enum cell_class classify(const int32_t *v, uint32_t n, int64_t x0, int64_t y0, int64_t x1,
                                int64_t y1)
{
    int64_t ax = v[2 * (n - 1)], ay = v[2 * (n - 1) + 1];
    for (uint32_t i = 0; i < n; i++) {
        int64_t bx = v[2 * i], by = v[2 * i + 1];
        if (segment_meets_rect(ax, ay, bx, by, x0, y0, x1, y1))
            return CELL_EDGE;
        ax = bx;
        ay = by;
    }
    return pip(v, n, x0, y0) ? CELL_COVERS : CELL_MISS;
}

/* starts[c] = the first coordinate in [lo, hi + 1] that lands in cell c or
 * later, for c in [0, count]; cell c holds [starts[c], starts[c + 1]). Found
 * by bisection, so the bounds agree with cell_x/cell_y to the last unit
 * whatever the rounding of the scale. */
static void cell_starts(const fq_geo_index *ix, bool is_x, int64_t lo, int64_t hi, uint32_t count,
                        int64_t *starts)
{
    for (uint32_t c = 0; c <= count; c++) {
        int64_t a = lo, z = hi + 1; /* answer in [a, z] */
        while (a < z) {
            int64_t m = a + (z - a) / 2;
            uint32_t cm = is_x ? cell_x(ix, m) : cell_y(ix, m);
            if (cm >= c)
                z = m;
            else
                a = m + 1;
        }
        starts[c] = c == count ? hi + 1 : a;
    }
}

/* Priority: lower grid id first, then the polygon added first. */
typedef struct prio {
    int32_t grid;
    uint32_t index;
} prio;

static int by_priority(const void *a, const void *b)
{
    const prio *x = a, *y = b;
    if (x->grid != y->grid)
        return x->grid < y->grid ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Visits the cells of polygon p and the class of each; with fill, writes the
 * entries; without, counts them. Called twice with identical results. */
static void place(fq_geo_index *ix, const int32_t *r, uint32_t off, const int64_t *xs,
                  const int64_t *ys, uint8_t *closed, uint32_t *fill_or_count, bool fill)
{
    uint32_t cx0 = cell_x(ix, r[R_MINX]), cx1 = cell_x(ix, r[R_MAXX]);
    uint32_t cy0 = cell_y(ix, r[R_MINY]), cy1 = cell_y(ix, r[R_MAXY]);
    for (uint32_t cy = cy0; cy <= cy1; cy++) {
        if (ys[cy] == ys[cy + 1])
            continue; /* no integer lands in this row */
        for (uint32_t cx = cx0; cx <= cx1; cx++) {
            size_t c = (size_t)cy * ix->nx + cx;
            if (closed[c] || xs[cx] == xs[cx + 1])
                continue;
            enum cell_class k =
                classify(r + R_HEAD, (uint32_t)r[R_N], xs[cx], ys[cy], xs[cx + 1], ys[cy + 1]);
            if (k == CELL_MISS)
                continue;
            /* Polygons arrive in priority order: one that covers the cell
             * decides every lookup that the earlier ones did not. */
            if (k == CELL_COVERS)
                closed[c] = 1;
            if (fill)
                ix->cand[fill_or_count[c]++] =
                    k == CELL_COVERS ? COVERS | (uint32_t)r[R_GRID] : off;
            else
                fill_or_count[c]++;
        }
    }
}

fq_geo_index *fq_geo_build(fq_geo_builder *b, char *err, size_t err_len)
{
    fq_geo_index *ix = calloc(1, sizeof *ix);
    prio *order = NULL;
    uint32_t *offs = NULL;
    int64_t *xs = NULL, *ys = NULL;
    uint8_t *closed = NULL;
    if (ix == NULL)
        goto oom;
    size_t np = b->n_polys;
    ix->n_polys = np;
    if (np == 0) {
        /* minx == maxx: the half-open bbox test rejects everything. */
        ix->nx = ix->ny = 1;
        ix->cell_start = calloc(2, sizeof *ix->cell_start);
        if (ix->cell_start == NULL)
            goto oom;
        fq_geo_builder_free(b);
        return ix;
    }
    if (b->n_xy + R_HEAD * np >= COVERS) {
        fq_errf(err, err_len, "%zu polygons with %zu vertices are too many for one index", np,
                b->n_xy / 2);
        goto fail;
    }

    /* Bounding box and mean polygon size decide the cells. */
    ix->minx = b->polys[0].minx;
    ix->maxx = b->polys[0].maxx;
    ix->miny = b->polys[0].miny;
    ix->maxy = b->polys[0].maxy;
    double sum_w = 0, sum_h = 0;
    for (size_t i = 0; i < np; i++) {
        const poly *p = &b->polys[i];
        ix->minx = p->minx < ix->minx ? p->minx : ix->minx;
        ix->maxx = p->maxx > ix->maxx ? p->maxx : ix->maxx;
        ix->miny = p->miny < ix->miny ? p->miny : ix->miny;
        ix->maxy = p->maxy > ix->maxy ? p->maxy : ix->maxy;
        sum_w += (double)p->maxx - p->minx;
        sum_h += (double)p->maxy - p->miny;
    }
    double w = (double)ix->maxx - ix->minx, h = (double)ix->maxy - ix->miny;
    double cell_w = fmax(1.0, sum_w / (double)np / 2), cell_h = fmax(1.0, sum_h / (double)np / 2);
    double nx = fmin(ceil(w / cell_w), 65536), ny = fmin(ceil(h / cell_h), 65536);
    double cap = fmin((double)CELLS_PER_POLYGON_MAX * (double)np + 64, CELLS_MAX);
    if (nx * ny > cap) {
        /* Sparse polygons in a wide box: keep the aspect, cap the count. */
        double f = sqrt(cap / (nx * ny));
        nx = fmax(1, floor(nx * f));
        ny = fmax(1, floor(ny * f));
    }
    ix->nx = (uint32_t)nx;
    ix->ny = (uint32_t)ny;
    ix->cells_per_x = nx / w;
    ix->cells_per_y = ny / h;
    size_t n_cells = (size_t)ix->nx * ix->ny;

    /* Records: the priority order is for the cell lists; the records
     * themselves are laid out in that order too (neighbours in a city are
     * usually numbered close together). */
    order = malloc(np * sizeof *order);
    offs = malloc(np * sizeof *offs);
    ix->n_rec = b->n_xy + R_HEAD * np;
    ix->rec = malloc(ix->n_rec * sizeof *ix->rec);
    xs = malloc((ix->nx + 1) * sizeof *xs);
    ys = malloc((ix->ny + 1) * sizeof *ys);
    closed = calloc(n_cells, 1);
    ix->cell_start = calloc(n_cells + 1, sizeof *ix->cell_start);
    if (order == NULL || offs == NULL || ix->rec == NULL || xs == NULL || ys == NULL ||
        closed == NULL || ix->cell_start == NULL)
        goto oom;
    for (uint32_t i = 0; i < np; i++)
        order[i] = (prio){b->polys[i].grid, i};
    qsort(order, np, sizeof *order, by_priority);
    size_t at = 0;
    for (size_t k = 0; k < np; k++) {
        const poly *p = &b->polys[order[k].index];
        int32_t *r = ix->rec + at;
        r[R_MINX] = p->minx;
        r[R_MINY] = p->miny;
        r[R_MAXX] = p->maxx;
        r[R_MAXY] = p->maxy;
        r[R_GRID] = p->grid;
        r[R_N] = (int32_t)p->n;
        memcpy(r + R_HEAD, b->xy + p->off, 2 * (size_t)p->n * sizeof *r);
        offs[k] = (uint32_t)at;
        at += R_HEAD + 2 * (size_t)p->n;
    }
    cell_starts(ix, true, ix->minx, ix->maxx, ix->nx, xs);
    cell_starts(ix, false, ix->miny, ix->maxy, ix->ny, ys);

    /* Count, prefix-sum, fill: two identical passes in priority order. */
    uint32_t *count = ix->cell_start + 1;
    for (size_t k = 0; k < np; k++)
        place(ix, ix->rec + offs[k], offs[k], xs, ys, closed, count, false);
    uint64_t total = 0;
    for (size_t c = 0; c < n_cells; c++) {
        total += count[c];
        if (total >= UINT32_MAX) {
            fq_errf(err, err_len, "the polygons overlap too many cells for one index");
            goto fail;
        }
        count[c] = (uint32_t)total;
    }
    ix->n_cand = (size_t)total;
    ix->cand = malloc((ix->n_cand ? ix->n_cand : 1) * sizeof *ix->cand);
    if (ix->cand == NULL)
        goto oom;
    /* Shift to starts: fill[c] = start of cell c, advanced as entries land. */
    memmove(ix->cell_start + 1, ix->cell_start, n_cells * sizeof *ix->cell_start);
    ix->cell_start[0] = 0;
    memset(closed, 0, n_cells);
    for (size_t k = 0; k < np; k++)
        place(ix, ix->rec + offs[k], offs[k], xs, ys, closed, ix->cell_start + 1, true);
    /* Now cell_start[c + 1] = end of cell c, which is what the CSR wants. */

    free(order);
    free(offs);
    free(xs);
    free(ys);
    free(closed);
    fq_geo_builder_free(b);
    return ix;

oom:
    fq_errf(err, err_len, "out of memory");
fail:
    free(order);
    free(offs);
    free(xs);
    free(ys);
    free(closed);
    fq_geo_free(ix);
    fq_geo_builder_free(b);
    return NULL;
}

size_t fq_geo_memory(const fq_geo_index *ix)
{
    return sizeof *ix + ((size_t)ix->nx * ix->ny + 1) * sizeof *ix->cell_start +
           ix->n_cand * sizeof *ix->cand + ix->n_rec * sizeof *ix->rec;
}

size_t fq_geo_polygons(const fq_geo_index *ix)
{
    return ix->n_polys;
}

size_t fq_geo_cells(const fq_geo_index *ix)
{
    return (size_t)ix->nx * ix->ny;
}

void fq_geo_free(fq_geo_index *ix)
{
    if (ix == NULL)
        return;
    free(ix->cell_start);
    free(ix->cand);
    free(ix->rec);
    free(ix);
}

/* ---- overlaps ----
 *
 * The area of A ∩ B by trapezoids: for every x, the indicator of a simple
 * ring is the signed sum, over its edges that span x, of "y below the edge"
 * (an edge running west counts +1 on a counter-clockwise ring, east -1;
 * below a ring the two cancel). So the area of A ∩ B is the sum, over pairs
 * of an edge of A and an edge of B whose x ranges overlap, of the signs
 * times the integral of the lower of the two edges above a common baseline.
 * Shared edges and vertices cancel to zero exactly as they should, with no
 * special case; only pairs whose x ranges overlap inside both bounding
 * boxes are visited (a sweep), so the work follows the boundary near the
 * overlap, not n x m. */

/* One edge clipped to an x range: heights above the baseline at both ends,
 * sign as above. */
typedef struct span {
    double xl, xr, yl, yr, sign;
} span;

/* The part of a ring [v, n) in the x range [x0, x1], relative to (x0, y0). */
static span *ring_spans(const int32_t *v, uint32_t n, double orientation, int64_t x0, int64_t x1,
                        int64_t y0, size_t *count)
{
    span *s = malloc((n ? n : 1) * sizeof *s);
    if (s == NULL)
        return NULL;
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + 1 == n ? 0 : i + 1;
        double ax = (double)(v[2 * i] - x0), ay = (double)(v[2 * i + 1] - y0);
        double bx = (double)(v[2 * j] - x0), by = (double)(v[2 * j + 1] - y0);
        if (ax == bx)
            continue; /* vertical: no width, no area */
        double sign = (ax > bx ? 1.0 : -1.0) * orientation;
        double xl = ax < bx ? ax : bx, yl = ax < bx ? ay : by;
        double xr = ax < bx ? bx : ax, yr = ax < bx ? by : ay;
        double w = (double)(x1 - x0);
        if (xr <= 0 || xl >= w)
            continue;
        double slope = (yr - yl) / (xr - xl);
        if (xl < 0) {
            yl += slope * (0 - xl);
            xl = 0;
        }
        if (xr > w) {
            yr -= slope * (xr - w);
            xr = w;
        }
        s[k++] = (span){xl, xr, yl, yr, sign};
    }
    *count = k;
    return s;
}

static int by_left(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->xl > y->xl) - (x->xl < y->xl);
}

static double height_at(const span *s, double x)
{
    if (s->xr == s->xl)
        return s->yl;
    return s->yl + (s->yr - s->yl) * (x - s->xl) / (s->xr - s->xl);
}

/* Integral and first x moment of the lower of two spans over their common
 * x range. */
static void lower_integral(const span *e, const span *f, double *area, double *moment)
{
    double l = e->xl > f->xl ? e->xl : f->xl, r = e->xr < f->xr ? e->xr : f->xr;
    if (!(r > l))
        return;
    double el = height_at(e, l), er = height_at(e, r), fl = height_at(f, l), fr = height_at(f, r);
    double dl = el - fl, dr = er - fr;
    /* Pieces [a, b] with the lower heights at their ends. */
    double pa[2], pb[2], ha[2], hb[2];
    int n = 0;
    if (dl <= 0 && dr <= 0) {
        pa[0] = l, pb[0] = r, ha[0] = el, hb[0] = er, n = 1;
    } else if (dl >= 0 && dr >= 0) {
        pa[0] = l, pb[0] = r, ha[0] = fl, hb[0] = fr, n = 1;
    } else {
        double m = l + (r - l) * dl / (dl - dr);
        double hm = el + (er - el) * (m - l) / (r - l);
        pa[0] = l, pb[0] = m, ha[0] = dl < 0 ? el : fl, hb[0] = hm;
        pa[1] = m, pb[1] = r, ha[1] = hm, hb[1] = dr < 0 ? er : fr;
        n = 2;
    }
    double sign = e->sign * f->sign;
    for (int i = 0; i < n; i++) {
        double w = pb[i] - pa[i];
        *area += sign * w * (ha[i] + hb[i]) / 2;
        *moment += sign * w / 6 * (pa[i] * (2 * ha[i] + hb[i]) + pb[i] * (ha[i] + 2 * hb[i]));
    }
}

/* Twice the signed area of a ring, in square units. */
static double ring_area2(const int32_t *v, uint32_t n)
{
    double a = 0;
    for (uint32_t i = 1; i + 1 < n; i++) {
        double ax = (double)v[2 * i] - v[0], ay = (double)v[2 * i + 1] - v[1];
        double bx = (double)v[2 * i + 2] - v[0], by = (double)v[2 * i + 3] - v[1];
        a += ax * by - ay * bx;
    }
    return a;
}

/* Where the vertical line x = X (in units, relative to nothing) is inside
 * the ring: sorted crossing heights into ys (n entries at most); pairs of
 * them bound the inside (even-odd, like pip). Returns the count. */
static size_t line_crossings(const int32_t *v, uint32_t n, double x, double *ys)
{
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + 1 == n ? 0 : i + 1;
        double ax = v[2 * i], ay = v[2 * i + 1], bx = v[2 * j], by = v[2 * j + 1];
        if ((ax <= x) != (bx <= x))
            ys[k++] = ay + (by - ay) * (x - ax) / (bx - ax);
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: few crossings per line */
        for (size_t j = i; j > 0 && ys[j - 1] > ys[j]; j--) {
            double t = ys[j];
            ys[j] = ys[j - 1];
            ys[j - 1] = t;
        }
    return k & ~(size_t)1;
}

/* The longest piece of the line x = X inside both rings: its length, and
 * its middle in *y (0 when none). */
static double common_piece(const int32_t *a, uint32_t na, const int32_t *b, uint32_t nb, double x,
                           double *ya, double *yb, double *y)
{
    size_t ka = line_crossings(a, na, x, ya), kb = line_crossings(b, nb, x, yb);
    double best = 0;
    for (size_t i = 0, j = 0; i < ka && j < kb;) {
        double lo = ya[i] > yb[j] ? ya[i] : yb[j],
               hi = ya[i + 1] < yb[j + 1] ? ya[i + 1] : yb[j + 1];
        if (hi - lo > best) {
            best = hi - lo;
            *y = (lo + hi) / 2;
        }
        if (ya[i + 1] < yb[j + 1])
            i += 2;
        else
            j += 2;
    }
    return best;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Metres per unit (1e-7 degree) north-south; east-west times cos(lat). */
#define METRES_PER_UNIT (6371008.8 * 3.14159265358979323846 / 180.0 / FQ_GEO_SCALE)

/* Area of A ∩ B in square units, and a point inside it (NaN when empty).
 * 0, or -1 when out of memory. */
static int ring_overlap(const int32_t *a, uint32_t na, const int32_t *b, uint32_t nb,
                        double *area_out, double *px, double *py)
{
    *area_out = 0;
    *px = *py = NAN;
    int64_t aminx = INT64_MAX, amaxx = INT64_MIN, aminy = INT64_MAX, amaxy = INT64_MIN;
    int64_t bminx = INT64_MAX, bmaxx = INT64_MIN, bminy = INT64_MAX, bmaxy = INT64_MIN;
    for (uint32_t i = 0; i < na; i++) {
        aminx = a[2 * i] < aminx ? a[2 * i] : aminx, amaxx = a[2 * i] > amaxx ? a[2 * i] : amaxx;
        aminy = a[2 * i + 1] < aminy ? a[2 * i + 1] : aminy;
        amaxy = a[2 * i + 1] > amaxy ? a[2 * i + 1] : amaxy;
    }
    for (uint32_t i = 0; i < nb; i++) {
        bminx = b[2 * i] < bminx ? b[2 * i] : bminx, bmaxx = b[2 * i] > bmaxx ? b[2 * i] : bmaxx;
        bminy = b[2 * i + 1] < bminy ? b[2 * i + 1] : bminy;
        bmaxy = b[2 * i + 1] > bmaxy ? b[2 * i + 1] : bmaxy;
    }
    int64_t x0 = aminx > bminx ? aminx : bminx, x1 = amaxx < bmaxx ? amaxx : bmaxx;
    int64_t y0 = aminy < bminy ? aminy : bminy;
    if (x1 <= x0 || (amaxy < bmaxy ? amaxy : bmaxy) <= (aminy > bminy ? aminy : bminy))
        return 0;
    double oa = ring_area2(a, na) > 0 ? 1.0 : -1.0, ob = ring_area2(b, nb) > 0 ? 1.0 : -1.0;
    size_t sa, sb;
    span *ea = ring_spans(a, na, oa, x0, x1, y0, &sa);
    span *eb = ring_spans(b, nb, ob, x0, x1, y0, &sb);
    size_t *act_a = malloc((sa ? sa : 1) * sizeof *act_a);
    size_t *act_b = malloc((sb ? sb : 1) * sizeof *act_b);
    double *ya = malloc(((size_t)na + 1) * sizeof *ya), *yb = malloc(((size_t)nb + 1) * sizeof *yb);
    double *xs = NULL;
    int rv = -1;
    if (ea == NULL || eb == NULL || act_a == NULL || act_b == NULL || ya == NULL || yb == NULL)
        goto done;
    qsort(ea, sa, sizeof *ea, by_left);
    qsort(eb, sb, sizeof *eb, by_left);
    /* Sweep west to east: each span meets the spans of the other ring that
     * are still open where it starts. */
    double area = 0, moment = 0;
    size_t na_act = 0, nb_act = 0;
    for (size_t i = 0, j = 0; i < sa || j < sb;) {
        int from_a = j == sb || (i < sa && ea[i].xl <= eb[j].xl);
        const span *s = from_a ? &ea[i++] : &eb[j++];
        size_t *other = from_a ? act_b : act_a, *n_other = from_a ? &nb_act : &na_act;
        const span *pool = from_a ? eb : ea;
        size_t kept = 0;
        for (size_t k = 0; k < *n_other; k++) {
            const span *o = &pool[other[k]];
            if (o->xr <= s->xl)
                continue; /* closed before s starts: never meets anything again */
            other[kept++] = other[k];
            lower_integral(s, o, &area, &moment);
        }
        *n_other = kept;
        if (from_a)
            act_a[na_act++] = (size_t)(s - ea);
        else
            act_b[nb_act++] = (size_t)(s - eb);
    }
    *area_out = area > 0 ? area : 0;
    rv = 0;
    if (area < 0.5)
        goto done; /* below a square unit: nothing to point at */
    /* A point inside: on the vertical line through the overlap's centroid,
     * or, for an overlap that line misses (it can be concave), between two
     * consecutive vertex x of either ring. */
    double y = 0, cx = moment / area + (double)x0;
    if (common_piece(a, na, b, nb, cx, ya, yb, &y) > 0) {
        *px = cx;
        *py = y;
        goto done;
    }
    rv = -1;
    if ((xs = malloc(((size_t)na + nb) * sizeof *xs)) == NULL)
        goto done;
    rv = 0;
    size_t nx = 0;
    for (uint32_t i = 0; i < na; i++)
        if (a[2 * i] >= x0 && a[2 * i] <= x1)
            xs[nx++] = a[2 * i];
    for (uint32_t i = 0; i < nb; i++)
        if (b[2 * i] >= x0 && b[2 * i] <= x1)
            xs[nx++] = b[2 * i];
    qsort(xs, nx, sizeof *xs, by_double);
    double best = 0;
    for (size_t i = 0; i + 1 < nx; i++) {
        if (xs[i + 1] == xs[i])
            continue;
        double x = (xs[i] + xs[i + 1]) / 2, yy = 0;
        double len = common_piece(a, na, b, nb, x, ya, yb, &yy);
        if (len > best) {
            best = len;
            *px = x;
            *py = yy;
        }
    }
done:
    free(ea);
    free(eb);
    free(act_a);
    free(act_b);
    free(ya);
    free(yb);
    free(xs);
    return rv;
}

/* Square units at latitude y (units) -> m². */
static double square_metres(double area, double y)
{
    double lat = y / FQ_GEO_SCALE * 3.14159265358979323846 / 180.0;
    return area * METRES_PER_UNIT * METRES_PER_UNIT * cos(lat);
}

static bool tolerated(double area_m2, double share)
{
    return area_m2 <= FQ_GEO_OVERLAP_MIN_M2 || share <= FQ_GEO_OVERLAP_SHARE;
}

int fq_geo_overlap_area(const double *a, size_t na, const double *b, size_t nb, double *area_m2,
                        double *lon, double *lat, char *err, size_t err_len)
{
    fq_geo_builder *t = fq_geo_builder_new();
    if (t == NULL)
        return fq_errf(err, err_len, "out of memory");
    int rv = -1;
    if (fq_geo_builder_add(t, 0, a, na, err, err_len) == 0 &&
        fq_geo_builder_add(t, 1, b, nb, err, err_len) == 0) {
        const poly *p = &t->polys[0], *q = &t->polys[1];
        double area, x, y;
        rv = ring_overlap(t->xy + p->off, p->n, t->xy + q->off, q->n, &area, &x, &y);
        if (rv != 0)
            fq_errf(err, err_len, "out of memory");
        else {
            double mid = isnan(y) ? ((double)p->miny + p->maxy) / 2 : y;
            *area_m2 = square_metres(area, mid);
            *lon = x / FQ_GEO_SCALE;
            *lat = y / FQ_GEO_SCALE;
        }
    }
    fq_geo_builder_free(t);
    return rv;
}

/* A polygon's west edge and its index, to sweep the builder west to east. */
typedef struct west_edge {
    int32_t minx;
    uint32_t index;
} west_edge;

static int by_west_edge(const void *x, const void *y)
{
    const west_edge *a = x, *b = y;
    if (a->minx != b->minx)
        return a->minx < b->minx ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

int fq_geo_find_overlap(const fq_geo_builder *b, fq_geo_overlap *out)
{
    size_t np = b->n_polys;
    west_edge *order = malloc((np ? np : 1) * sizeof *order);
    uint32_t *active = malloc((np ? np : 1) * sizeof *active);
    int rv = -1;
    if (order == NULL || active == NULL)
        goto done;
    for (uint32_t i = 0; i < np; i++)
        order[i] = (west_edge){b->polys[i].minx, i};
    qsort(order, np, sizeof *order, by_west_edge);
    size_t n_active = 0;
    rv = 0;
    for (size_t k = 0; k < np && rv == 0; k++) {
        const poly *p = &b->polys[order[k].index];
        size_t kept = 0;
        for (size_t m = 0; m < n_active; m++) {
            const poly *q = &b->polys[active[m]];
            if (q->maxx <= p->minx)
                continue; /* ends west of every polygon still to come */
            active[kept++] = active[m];
            if (rv != 0 || q->grid == p->grid || q->maxy <= p->miny || p->maxy <= q->miny)
                continue;
            double area, x, y;
            const poly *first = active[m] < order[k].index ? q : p, *second = first == q ? p : q;
            if (ring_overlap(b->xy + first->off, first->n, b->xy + second->off, second->n, &area,
                             &x, &y) != 0) {
                rv = -1;
                continue;
            }
            double smaller = fmin(fabs(ring_area2(b->xy + p->off, p->n)),
                                  fabs(ring_area2(b->xy + q->off, q->n))) /
                             2;
            double m2 = square_metres(area, isnan(y) ? (double)p->miny : y);
            double share = smaller > 0 ? area / smaller : 1;
            if (tolerated(m2, share))
                continue;
            *out = (fq_geo_overlap){first->grid, second->grid,     m2,
                                    share,       x / FQ_GEO_SCALE, y / FQ_GEO_SCALE};
            rv = 1;
        }
        n_active = kept;
        if (rv == 0)
            active[n_active++] = order[k].index;
    }
done:
    free(order);
    free(active);
    return rv;
}
