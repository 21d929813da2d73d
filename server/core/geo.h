/* geo: places an incident that has only coordinates in its grid.
 *
 * A grid is a polygon of WGS84 lon/lat degrees: one outer ring, simple or
 * concave, no holes (a grid with a hole is not a thing we have met; a hole
 * would need a second ring). Several polygons may carry the same grid id (a
 * grid in two pieces). Rings must not cross the antimeridian.
 *
 * The index is built once from the polygons and then only read: lookups do no
 * I/O and no allocation, and several threads may share one index.
 *
 * Exact geometry. Every coordinate, of the polygons and of the queries, is
 * first snapped to an integer number of 1e-7 degrees (fq_geo_snap, about 1 cm
 * on the ground, far below GPS error); all tests after that are exact integer
 * arithmetic. So vertices that two neighbouring grids share are the same
 * point, and the answer never depends on rounding.
 *
 * Boundaries. A point is located as if moved an infinitesimal distance east,
 * then an even smaller distance north (the half-open crossing-number rule:
 * rays go east, an edge counts for y in [lower, upper) and only when the point
 * is strictly west of it). Consequences:
 *  - a point on an edge shared by two grids belongs to the grid east of the
 *    edge; on a west-east edge, to the grid north of it;
 *  - a point on a vertex belongs to the one grid that contains the points just
 *    east of it (for a vertex shared by several grids: the one whose corner
 *    covers the direction due east, or north-east of a west-east edge);
 *  - so grids that tile an area without gaps or overlaps place every point of
 *    it in exactly one grid, and points on the east and north outline of the
 *    whole area in none.
 * Self-intersecting rings get even-odd semantics. Overlapping polygons (bad
 * topology) are not an error for the index: the lowest grid id wins, then the
 * polygon added first, so the same input always gives the same answer. The
 * importer refuses overlaps beyond a digitising tolerance
 * (fq_geo_find_overlap), so in an imported topology only slivers of at most
 * that size are decided by this rule. */
#ifndef FQ_GEO_H
#define FQ_GEO_H

#include <stddef.h>
#include <stdint.h>

#define FQ_GEO_NOWHERE (-1)

/* Units per degree of the snapped coordinates. */
#define FQ_GEO_SCALE 1e7

/* Cap on one ring, so that sizes stay in 32 bits: the one limit, applied by
 * the builder, so by the server's loader and by import-topology alike; the
 * schema's fq_valid_ring allows the same (2,000,000 numbers). */
#define FQ_GEO_MAX_VERTICES 1000000

/* Two grids may overlap by at most the larger of these, as digitising leaves
 * slivers along shared edges (docs/topology.md): 1 m², or 0.1 % of the
 * smaller of the two polygons. A sliver is as wide as the digitising error
 * (centimetres) along an edge: 5 cm along a whole side of a 300 m x 300 m
 * grid is 15 m², 0.017 %; a copied or misplaced polygon overlaps by far
 * more. */
#define FQ_GEO_OVERLAP_MIN_M2 1.0
#define FQ_GEO_OVERLAP_SHARE 0.001

typedef struct fq_geo_builder fq_geo_builder;
typedef struct fq_geo_index fq_geo_index;

/* Degrees -> the integer coordinate the index compares (round half away from
 * zero). Only for |deg| <= 180; the index checks that before calling it. */
static inline int32_t fq_geo_snap(double deg)
{
    double s = deg * FQ_GEO_SCALE;
    return (int32_t)(s < 0 ? s - 0.5 : s + 0.5);
}

/* NULL when out of memory. */
fq_geo_builder *fq_geo_builder_new(void);
/* Frees a builder that is not going to be built. */
void fq_geo_builder_free(fq_geo_builder *b);

/* Adds the ring lon_lat[0..2n) = lon0, lat0, lon1, lat1, ... as grid `grid`
 * (the caller's id, e.g. an org unit index; >= 0). The ring is closed
 * implicitly; a last vertex equal to the first is allowed and dropped, as are
 * repeated consecutive vertices. Rejects non-finite or out-of-range
 * coordinates, fewer than 3 distinct vertices and (near-)zero area (below one
 * square unit, ~1 cm^2). Returns 0, or -1 with a message in err; a rejected
 * ring leaves the builder as it was. */
int fq_geo_builder_add(fq_geo_builder *b, int32_t grid, const double *lon_lat, size_t n_vertices,
                       char *err, size_t err_len);

/* Two polygons of different grids that overlap beyond the tolerance. */
typedef struct fq_geo_overlap {
    int32_t grid_a, grid_b; /* the caller's ids; polygon a was added first */
    double area_m2;         /* of the overlap (local equirectangular metres) */
    double share;           /* area / the smaller polygon's area */
    double lon, lat;        /* a point inside both (snapped degrees) */
} fq_geo_overlap;

/* Looks for polygons of different grids in the builder (not consumed) whose
 * overlap exceeds max(FQ_GEO_OVERLAP_MIN_M2, FQ_GEO_OVERLAP_SHARE x the
 * smaller area). Grids that share an edge or a vertex do not overlap. Exact
 * integer input, double arithmetic: the error is far below 1 m². Returns 1
 * with the first such pair in *out (in order of the polygons' west edges),
 * 0 when there is none, -1 when out of memory. */
int fq_geo_find_overlap(const fq_geo_builder *b, fq_geo_overlap *out);

/* The area of the intersection of two rings given as fq_geo_builder_add
 * takes them, in m², and a point inside it when it is not empty (else
 * *lon = *lat = NaN). -1 when a ring is invalid (err says why) or out of
 * memory, else 0. For tests and tools; fq_geo_find_overlap uses the same. */
int fq_geo_overlap_area(const double *a, size_t na, const double *b, size_t nb, double *area_m2,
                        double *lon, double *lat, char *err, size_t err_len);

/* Builds the index and frees the builder, whether it succeeds or not. A
 * builder with no polygons gives an index that finds nothing. NULL, with a
 * message in err, when out of memory or too large. */
fq_geo_index *fq_geo_build(fq_geo_builder *b, char *err, size_t err_len);

/* The grid id containing (lon, lat), or FQ_GEO_NOWHERE when no grid contains
 * it (also for NaN and out-of-range coordinates). */
int32_t fq_geo_locate(const fq_geo_index *ix, double lon, double lat);

/* Bytes held by the index. */
size_t fq_geo_memory(const fq_geo_index *ix);
/* Number of polygons and of bucket cells, for tests and benchmarks. */
size_t fq_geo_polygons(const fq_geo_index *ix);
size_t fq_geo_cells(const fq_geo_index *ix);

void fq_geo_free(fq_geo_index *ix);

#endif
