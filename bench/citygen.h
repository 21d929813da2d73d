/* citygen: synthetic cities and incident streams for the routing core.
 *
 * Tests (small seeded cities, property checks) and benchmarks (a city the
 * size of a province's capital: 13 districts, ~200 towns, ~5,000 villages,
 * ~50,000 grids, ~100,000 workers) need the same thing: an organisation tree,
 * a taxonomy, a compiled rule table, a roster and, optionally, grid polygons
 * that tile the city exactly, plus a stream of incidents shaped like real
 * ones. Everything is a pure function of the parameters and the seed: the
 * same seed gives the same city, id for id and coordinate for coordinate, on
 * every machine (the generator uses its own integer PRNG, never rand()).
 *
 * Ids: districts d1..dN, towns d3-t12, villages d3-t12-v4, grids
 * d3-t12-v4-g2 (numbered from 1 under their parent). Handlers: d3.center,
 * d3.<department code> (public_security, market_regulation,
 * urban_management, civil_affairs, petitions, emergency, justice; the first
 * four lead one line each), d3-t12.<line name> (the town's four platforms),
 * d3-t12-v4.village. Workers: d3-t12-v4-g2.w1 ...
 *
 * Geometry: the city is a row of districts side by side starting at
 * (FQ_CITY_LON0, FQ_CITY_LAT0); each district rectangle is split into columns
 * of towns, each town into columns of villages, each village into columns of
 * grids. Column edges are straight meridians; the edges between the grids of
 * one column are segments whose two ends are jittered independently, so grids
 * are jittered quadrilaterals (trapezoids with vertical sides). Shared edges
 * use the very same doubles on both sides, so after fq_geo_snap the grids
 * tile the city without gaps or overlaps: every point strictly inside the
 * city's rectangle lies in exactly one grid.
 *
 * Ownership: fq_city_new returns a city that owns all it points to (org,
 * taxonomy, rules, roster, geo index, rule rows and their strings, corner
 * table); fq_city_free frees all of it. The rules borrow the taxonomy and the
 * roster borrows the org, so never free those parts separately. A router
 * built over a city borrows from it and must be freed first. */
#ifndef FQ_CITYGEN_H
#define FQ_CITYGEN_H

#include "geo.h"
#include "org.h"
#include "roster.h"
#include "router.h"
#include "rules.h"
#include "taxonomy.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_CITY_LON0 113.0
#define FQ_CITY_LAT0 22.0
#define FQ_CITY_DEPARTMENTS 7

/* An inclusive range [min, max]; each count is drawn uniformly from it. */
typedef struct fq_city_range {
    int min, max;
} fq_city_range;

typedef struct fq_city_params {
    uint64_t seed;
    int districts;
    fq_city_range towns_per_district;
    fq_city_range villages_per_town;
    fq_city_range grids_per_village;
    fq_city_range workers_per_grid; /* min may be 0: a grid nobody covers (the city
                                       still gets at least one worker) */
    int categories;                 /* 1..FQ_CATEGORY_MAX */
    int rule_rows;                  /* 1: the realistic handful; 0: none (the principle only) */
    int polygons;                   /* 1: build the fq_geo_index */
    double on_duty;                 /* share of workers on duty, e.g. 0.9 */
    double busy;                    /* share of a worker's capacity already loaded, on average */
    /* Topology gaps, for tests of climbing (0 in a healthy city): the share
     * of town lines left without a handler, of villages without a village
     * unit, and of the four district lines without a leading department. */
    double gap_town_line, gap_village, gap_lead;
    double grid_deg; /* side of a grid, in degrees (about 0.003 = 300 m) */
} fq_city_params;

/* The benchmark city: 13 districts, ~200 towns, ~5,000 villages, ~50,000
 * grids, ~100,000 workers, 40 categories, the rule handful, polygons. */
void fq_city_params_default(fq_city_params *p, uint64_t seed);
/* A city of a handful of units for tests: 1-2 districts, 1-3 towns each,
 * 1-3 villages, 1-3 grids, 0-3 workers, 8 categories, polygons. */
void fq_city_params_small(fq_city_params *p, uint64_t seed);

typedef struct fq_city {
    fq_org *org;
    fq_taxonomy *taxonomy;
    fq_rules *rules;
    fq_roster *roster;
    fq_geo_index *geo; /* NULL without polygons */
    fq_rule_row *rule_rows;
    size_t n_rule_rows;
    size_t n_districts, n_towns, n_villages, n_grids, n_workers;
    /* The city's rectangle, and per org unit the four corners of a grid
     * polygon (lower-left, lower-right, upper-right, upper-left; lon, lat)
     * — NaN for units that are not grids or without polygons. */
    double lon_min, lat_min, lon_max, lat_max;
    double (*corners)[8];
    int32_t *grids; /* org unit indices of the grids, n_grids of them */
    /* Zipf-like category weights, cumulative, for the incident stream. */
    double *category_cdf;
    fq_city_params params;
} fq_city;

/* Builds a city; NULL with a message in err (bad parameters, out of memory,
 * or — a bug — a core module rejecting what was generated). */
fq_city *fq_city_new(const fq_city_params *p, char *err, size_t err_len);
void fq_city_free(fq_city *city);

/* A point strictly inside grid `grid` (an org unit index): (u, v) in (0, 1)
 * across and up the quadrilateral. */
void fq_city_point_in_grid(const fq_city *city, int32_t grid, double u, double v, double *lon,
                           double *lat);

/* ---- the incident stream ---- */

typedef struct fq_incident_mix {
    double coords_only; /* share with coordinates only (place -1): 0.30 */
    double outside;     /* of those, the share whose point is outside the city: 0 */
    double no_fallback; /* of those outside, the share without a fallback place: 0 */
    double at_village;  /* of the placed ones, the share placed at a village: 0.15 */
    double at_town;     /* ... at a town: 0.05 (the rest at a grid) */
    int64_t start_ms;   /* now of the first incident */
    int64_t step_ms;    /* mean gap between incidents */
} fq_incident_mix;

void fq_incident_mix_default(fq_incident_mix *m);

/* Plain state: embed it, copy it to replay a stream. */
typedef struct fq_incident_gen {
    const fq_city *city;
    fq_incident_mix mix;
    uint64_t rng;
    int64_t now_ms;
} fq_incident_gen;

/* Without polygons, coords_only is treated as 0. */
void fq_incident_gen_init(fq_incident_gen *g, const fq_city *city, uint64_t seed,
                          const fq_incident_mix *mix);

/* The next incident: categories Zipf-like (a few dominate), severity IV 60 %,
 * III 30 %, II 8 %, I 2 %; risk low 60 %, medium 30 %, high 10 %.
 * Coordinates-only incidents carry the reporter's town as fallback_place
 * (unless drawn without one). *truth: the unit the incident really is in —
 * the grid under its point, its place, or -1 for a point outside the city. */
void fq_incident_next(fq_incident_gen *g, fq_route_request *req, int32_t *truth);

/* The PRNG the generator uses (splitmix64), for callers who want more. */
uint64_t fq_city_rand(uint64_t *state);
/* Uniform in [0, 1). */
double fq_city_uniform(uint64_t *state);

#endif
