/* judgment: research and judgment (研判) over a window of incidents — pure
 * functions of (incidents, parameters, now), no I/O (docs/judgment.md).
 *
 *  - Hotspots: clusters of incidents of one category in space and time.
 *    Over the incidents of [now - hotspot_window_ms, now) with a point, an
 *    incident is a core when at least hotspot_min incidents of its category
 *    (itself included) lie within hotspot_radius_m of it; cores within the
 *    radius of each other are one hotspot (DBSCAN with eps = radius, minPts
 *    = hotspot_min); an incident that is no core joins the hotspot of its
 *    nearest core within the radius (then the lower index). Neighbours are
 *    found through a grid of cells a little wider than the radius, so only
 *    the 3 x 3 cells around a point are compared; distances are
 *    fq_dedup_distance_m (haversine), the server's one distance.
 *  - Trends: per (town, category), the count of [now - 7 d, now) against the
 *    counts of the trend_weeks weeks before it. Flagged when the count is at
 *    least trend_min_count and the Poisson upper tail P(X >= count) under
 *    the history's mean is at most trend_p (the mean of a history without
 *    any is taken as 0.5 / weeks, so a first appearance can still be
 *    judged, and only by the minimum count and p). A town is judged only
 *    when its history is there: incidents (of any category) in at least
 *    half of the trend_weeks weeks, else a town just connected would flag
 *    every category it has.
 *  - Repeat sources: the same normalised phone, person or address with
 *    repeat_min or more incidents in [now - repeat_window_ms, now).
 *
 * Long-pending cases are the statistics' own (fq_case_facts, migration
 * 0020): the server reads them in SQL, nothing to compute here.
 *
 * Every list comes out in one order that depends on nothing but the input
 * (ties broken by indices), so runs on the same data give the same
 * answers. Not reentrant within a thread: the qsort comparators read the
 * incidents through a thread-local pointer, so one run at a time per thread
 * (the server runs it on its loop thread). 100,000 incidents take about 0.15 s (docs/judgment.md).
 */
#ifndef FQ_JUDGMENT_H
#define FQ_JUDGMENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FQ_JD_WEEK_MS (7 * 24 * 3600 * 1000LL)
#define FQ_JD_MAX_WEEKS 26
#define FQ_JD_MIN_RADIUS_M 10.0
#define FQ_JD_MAX_RADIUS_M 5000.0
/* Points beyond this latitude are left out of hotspots: the cell grid's
 * longitude width would grow without bound towards the poles. */
#define FQ_JD_MAX_LAT 80.0

/* One incident as judged. The strings are the caller's and must outlive the
 * result; "" is none. */
typedef struct fq_jd_incident {
    int64_t id;
    int64_t at_ms;        /* when it happened (or, unknown, was received) */
    const char *category; /* the category's code */
    const char *town;     /* the town it lies in */
    int has_point;
    double lon, lat;
    const char *phone;   /* fq_jd_norm_phone */
    const char *person;  /* fq_jd_norm_name */
    const char *address; /* fq_jd_norm_address */
} fq_jd_incident;

typedef struct fq_jd_params {
    uint32_t hotspot_min;      /* N: 2 .. 10000 */
    double hotspot_radius_m;   /* R: FQ_JD_MIN_RADIUS_M .. FQ_JD_MAX_RADIUS_M */
    int64_t hotspot_window_ms; /* T: > 0 */
    uint32_t trend_weeks;      /* 2 .. FQ_JD_MAX_WEEKS */
    uint32_t trend_min_count;  /* >= 1 */
    double trend_p;            /* (0, 0.5] */
    uint32_t repeat_min;       /* k: >= 2 */
    int64_t repeat_window_ms;  /* > 0 */
} fq_jd_params;

/* N=5, R=300 m, T=7 days; 8 weeks, at least 5, p <= 0.01; k=3 in 30 days. */
void fq_jd_params_default(fq_jd_params *p);
/* 0, or -1 with what is wrong in err. */
int fq_jd_params_check(const fq_jd_params *p, char *err, size_t err_len);
/* How far back the incidents of a run must reach: the widest window. */
int64_t fq_jd_params_reach_ms(const fq_jd_params *p);

typedef struct fq_jd_hotspot {
    size_t centre;    /* the core with most neighbours (then the lower index) */
    size_t *members;  /* indices, oldest first (then lower index) */
    size_t n_members; /* >= hotspot_min */
    size_t n_cores;
    double radius_m; /* farthest member from the centre */
    int64_t first_ms, last_ms;
} fq_jd_hotspot;

typedef struct fq_jd_trend {
    const char *town, *category;       /* the incidents' own strings */
    uint32_t count;                    /* in [now - 7 d, now) */
    uint32_t history[FQ_JD_MAX_WEEKS]; /* [0]: the week before it, … */
    uint32_t weeks;
    double mean; /* the history's, as tested */
    double p;    /* P(X >= count), X ~ Poisson(mean) */
} fq_jd_trend;

typedef enum fq_jd_source { FQ_JD_PHONE = 0, FQ_JD_PERSON = 1, FQ_JD_ADDRESS = 2 } fq_jd_source;

typedef struct fq_jd_repeat {
    fq_jd_source kind;
    const char *key; /* the normalised value, the incidents' own string */
    size_t *members; /* indices, oldest first */
    size_t n_members;
    int64_t first_ms, last_ms;
} fq_jd_repeat;

typedef struct fq_jd_result {
    fq_jd_hotspot *hotspots; /* most members first, then category, then centre */
    size_t n_hotspots;
    fq_jd_trend *trends; /* smallest p first, then town, category */
    size_t n_trends;
    fq_jd_repeat *repeats; /* most incidents first, then kind, key */
    size_t n_repeats;
} fq_jd_result;

/* Judges incidents[0..n) at now_ms. Incidents outside every window are
 * ignored, so the caller may pass more. 0, or -1 when out of memory or the
 * parameters do not check (out is then empty). */
int fq_judgment_run(const fq_jd_incident *incidents, size_t n, const fq_jd_params *p,
                    int64_t now_ms, fq_jd_result *out);

/* fq_judgment_run that gives up, returning FQ_JD_STOPPED (out then empty),
 * soon after *stop becomes nonzero (another thread may set it): a server
 * that stops does not wait out a judgment over a year of incidents. */
#define FQ_JD_STOPPED (-2)
int fq_judgment_run_stoppable(const fq_jd_incident *incidents, size_t n, const fq_jd_params *p,
                              int64_t now_ms, const atomic_int *stop, fq_jd_result *out);
void fq_jd_result_free(fq_jd_result *r);

/* P(X >= k) for X ~ Poisson(mean), mean > 0; exact summation in log space
 * (no 1 - cdf cancellation for the small tails that matter). */
double fq_jd_poisson_upper(uint32_t k, double mean);

/* Normalisers of the reporter's fields as stored, so that the same source
 * written two ways is one key. Each writes a NUL-terminated key into out
 * and returns its length, or 0 when the value names no one (empty, a
 * placeholder, too short, or longer than cap - 1).
 *  - phone: the digits only; a +86 / 0086 / 86 country prefix before 11
 *    digits dropped; at least 7 digits;
 *  - name: white space (ASCII and U+3000) removed, ASCII lower-cased;
 *    placeholders (匿名, 无, 未知, 市民, 群众, anonymous, n/a, -) are none;
 *  - address: white space removed, ASCII lower-cased, full-width ASCII
 *    (U+FF01..U+FF5E) made half-width, trailing punctuation dropped; at
 *    least 4 bytes; "-" and the placeholders are none. */
size_t fq_jd_norm_phone(const char *in, char *out, size_t cap);
size_t fq_jd_norm_name(const char *in, char *out, size_t cap);
size_t fq_jd_norm_address(const char *in, char *out, size_t cap);

#endif
