/* dedup: the duplicate check of research and judgment (研判). "A new incident
 * of the same category within a configurable distance and time window of an
 * open one is merged into it (one more report on it) instead of being
 * dispatched again."
 *
 * The index holds the OPEN incidents that may still absorb a duplicate: for
 * each its id, category, position (WGS84 lon/lat degrees) if known, place (org
 * unit index, -1 if none), town (org unit index of the town it lies in, -1 if
 * none) and incident time. Ids are the caller's: the dispatcher also indexes
 * incidents decided but not yet committed under provisional ids, and renames
 * (fq_dedup_rekey) or removes them when their commit succeeds or fails.
 * fq_dedup_find names the open incident a new one merges into, or 0:
 *
 *  - same category, and
 *  - same town (both -1 counts as the same): a matter is handled by its own
 *    town, so a report never merges across a town border, however near, and
 *  - incident times at most window_ms apart, either way (a report back-filled
 *    later may be about an earlier or a later moment than the open one), and
 *  - either both have coordinates and fq_dedup_distance_m(new, open) <=
 *    distance_m (the boundary is inclusive, compared on that double exactly),
 *  - or the new one has no coordinates, a place >= 0, and the open one has
 *    the same place (whether or not the open one has coordinates). A new one
 *    WITH coordinates never matches an open one placed only by unit: the unit
 *    (a grid, a village) may be far larger than distance_m.
 *
 * Several matches: the nearest wins, then the earliest reported, then the
 * lowest id, so the answer never depends on insertion order or hashing. For a
 * match by place all distances count as equal (earliest, then lowest id).
 *
 * Distance: the haversine great-circle distance on a sphere of the mean Earth
 * radius, 6371008.8 m. Against the WGS84 ellipsoid the relative error at city
 * scale is that radius over the local radius of curvature in the direction
 * of travel: at most 0.56% anywhere (north-south at the equator), at most
 * 0.47% between 18 and 54 degrees north (mainland China), 0.31% at 30 N; so
 * under 2.5 m at a 500 m threshold, well inside GPS error. The same function
 * is used everywhere, so the rule is exact in its own terms.
 *
 * Spatial hash: cells of distance_m x distance_m (as degrees at the
 * configured reference latitude; the number of longitude cells divides 360 so
 * the antimeridian wraps), keyed by (category, cell x, cell y) in an
 * open-addressing table. A query scans the 3 rows of cells around it and, in
 * each row, as many longitude cells as the distance spans at the query's
 * latitude (computed from the haversine bound: 3 x 3 at or below the
 * reference latitude, more towards the poles), so no match is ever missed.
 * Latitudes beyond +-FQ_DEDUP_MAX_LAT are refused, which bounds that count.
 * A second table keyed by (category, place) serves the no-coordinates case.
 *
 * Incident time: when it happened if the report says so, else when the
 * server received it (fq_dedup_incident_time): never later than intake. A
 * query's incident time may lie up to max_backdate_ms before its intake time
 * (now_ms); one further back is not compared at all (fq_dedup_find answers
 * 0): the index keeps nothing older, so a match could not be trusted.
 *
 * Expiry: an entry whose incident time lies more than max_backdate_ms +
 * window_ms before now can never match again. fq_dedup_find drops up to
 * FQ_DEDUP_EXPIRE_BATCH of them (oldest first) per call, and fq_dedup_expire
 * lets the caller drop more; matching filters by time itself, so correctness
 * never waits on expiry. now_ms (intake time) should not go backwards: an
 * entry dropped at a later now stays dropped.
 *
 * Pure: no I/O, no clock reads. find does not allocate; add may (arrays and
 * tables double, amortised O(1)). Not thread-safe. */
#ifndef FQ_DEDUP_H
#define FQ_DEDUP_H

#include "fqerr.h"
#include "hugepages.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_DEDUP_MAX_LAT 85.0
#define FQ_DEDUP_MIN_DISTANCE_M 1.0
#define FQ_DEDUP_MAX_DISTANCE_M 100000.0
#define FQ_DEDUP_EXPIRE_BATCH 4
/* How far before its intake a report's incident time may lie and still be
 * compared: a week covers back-filling a few days of reports (a hotline's
 * weekend, an outage) while the index stays a week of open incidents. */
#define FQ_DEDUP_DEFAULT_BACKDATE_MS (7LL * 24 * 3600 * 1000)

/* Errors (fqerr.h): FQ_EINVALID (id 0, category < 0, bad or out-of-range
 * coordinates), FQ_EEXIST (the id is already in the index), FQ_ENOTFOUND
 * (the id is not in the index: never added, removed, expired), FQ_ENOMEM. */

typedef struct fq_dedup_config {
    double distance_m;       /* FQ_DEDUP_MIN_DISTANCE_M .. FQ_DEDUP_MAX_DISTANCE_M */
    int64_t window_ms;       /* >= 0; 0: nothing is ever a duplicate */
    double reference_lat;    /* degrees, |lat| <= FQ_DEDUP_MAX_LAT: where cells are square */
    int64_t max_backdate_ms; /* >= 0: how far before intake an incident time is compared */
} fq_dedup_config;

typedef struct fq_dedup fq_dedup;

/* NULL with a message in err for a bad configuration or out of memory. */
fq_dedup *fq_dedup_new(const fq_dedup_config *config, char *err, size_t err_len);
void fq_dedup_free(fq_dedup *d);

/* The incident time of a report: occurred_ms when it is known (non-zero) and
 * not later than intake_ms (a device clock ahead of ours), else intake_ms. */
int64_t fq_dedup_incident_time(int64_t occurred_ms, int64_t intake_ms);

/* Adds an open incident. place and town are org unit indices or -1; at_ms
 * its incident time. With has_location 0, lon and lat are ignored. Returns
 * FQ_OK, or a negative status and d is unchanged. An entry that has
 * neither coordinates nor place is kept (remove finds it) but can never be
 * matched. */
int fq_dedup_add(fq_dedup *d, uint64_t id, int category, int has_location, double lon, double lat,
                 int32_t place, int32_t town, int64_t at_ms);

/* The entry `from` is known as `to` from now on (a provisional id replaced
 * by the committed one), all else kept. FQ_OK, FQ_ENOTFOUND (no
 * `from`: expired), FQ_EEXIST (`to` is taken) or FQ_EINVALID (`to`
 * is 0). */
int fq_dedup_rekey(fq_dedup *d, uint64_t from, uint64_t to);

/* Room for n more entries in the pool, the id table and the expiry heap, so
 * that a bulk load of n adds does not grow them step by step (the cell and
 * place tables, a few per category and cell, still grow as needed). The
 * adds that follow are taken as a bulk load: their expiry is ordered in one
 * pass by the next call that expires or removes (fq_deadlines_defer); call
 * fq_dedup_expire once the load is in, so that the first query does not
 * pay for it. 0, or FQ_ENOMEM (d keeps what it had and is still usable). */
int fq_dedup_reserve(fq_dedup *d, size_t n);

/* The memory the next n adds write that no add has written yet (fresh
 * entries and their expiry), as up to 4 spans in out; returns how many.
 * For fq_populate on another thread ahead of a bulk load: addresses only.
 * Valid until d next grows or is freed. */
size_t fq_dedup_ahead(const fq_dedup *d, size_t n, fq_span out[4]);

/* Asks the CPU to fetch where id's entry in the id table would be, as
 * fq_caseload_prefetch: a bulk load calls it a few adds ahead. A hint. */
void fq_dedup_prefetch(const fq_dedup *d, uint64_t id);

/* The id of the open incident a new one (category, location or not, place,
 * town, incident time at_ms) received at now_ms merges into, or 0 (also for
 * an invalid query, and for at_ms more than max_backdate_ms before now_ms;
 * an at_ms after now_ms counts as now_ms). Drops up to FQ_DEDUP_EXPIRE_BATCH
 * expired entries first; allocates nothing. */
uint64_t fq_dedup_find(fq_dedup *d, int category, int has_location, double lon, double lat,
                       int32_t place, int32_t town, int64_t at_ms, int64_t now_ms);

/* The incident closed or was merged into another. FQ_OK or
 * FQ_ENOTFOUND (which a caller may ignore: it was already expired). */
int fq_dedup_remove(fq_dedup *d, uint64_t id);

/* Drops up to max entries no query at now_ms can match any more (incident
 * time before now_ms - max_backdate_ms - window_ms), oldest first; returns
 * how many. */
size_t fq_dedup_expire(fq_dedup *d, int64_t now_ms, size_t max);

/* Entries held (expired ones not yet dropped included). */
size_t fq_dedup_count(const fq_dedup *d);

/* Bytes held, the structure itself included. */
size_t fq_dedup_memory(const fq_dedup *d);

/* The distance the rule compares, in metres (haversine, see above). */
double fq_dedup_distance_m(double lon1, double lat1, double lon2, double lat2);

#endif
