/* fq-bench-route: the routing core on one core, over a generated city.
 *
 * Builds the benchmark city (fq_city_params_default: 13 districts, ~200
 * towns, ~5,000 villages, ~50,000 grids with polygons, ~100,000 workers; the
 * build time goes to stderr), pre-generates N incidents of the default mix
 * (30 % with coordinates only, Zipf-like categories, severity IV 60 % / III
 * 30 % / II 8 % / I 2 %), pins itself to the CPU it runs on, and measures:
 *
 *  decisions/s   fq_route + fq_route_apply for every incident of the stream.
 *                Capacity must not run out, so each decision is released
 *                (fq_route_release) K decisions later (--hold, default
 *                100,000): a ring of K decision slots, where a slot's old
 *                decision is released just before the next decision is routed
 *                into it. So about K incidents are open at any time (about
 *                0.4 extra assignments per worker at the default mix, on top
 *                of the generated 20 % "busy" load) and the release is part of
 *                the measured loop. At the end of a pass everything still in
 *                the ring is released, so each pass starts from the same loads.
 *  ns/decision   p50 and p99 of single decisions (route + apply + release),
 *                each timed with lfence;rdtsc ... rdtscp;lfence, minus the
 *                median cost of an empty timed region (measured the same way,
 *                reported as timer_overhead_ns), converted with a TSC rate
 *                calibrated against CLOCK_MONOTONIC. The fences stop a
 *                decision from overlapping its neighbours, so this is latency,
 *                a little above 1/throughput. Also reported: p50/p99 of the
 *                mean of batches of 64 consecutive decisions (clock_gettime
 *                around each batch, no fences inside), which hides single
 *                slow decisions but not slow stretches.
 *  grid lookups  fq_geo_locate on the points of the coordinate-only incidents.
 *  escalations   fq_route_escalate of village- and town-tier decisions
 *                (decided, not applied).
 *  memory        per worker: fq_roster_memory / workers (and the router's
 *                per-unit arrays, separately). Per open incident: a caseload
 *                of M (--open-cases, default 1,000,000) open incidents, each
 *                with its request and decision, its 4 deadlines in one
 *                fq_deadlines and an entry in fq_dedup: the three structures'
 *                own memory accounting / M, and the resident-set growth / M
 *                (which also counts malloc's headers) as a cross-check.
 *
 * Every timed figure is the median of R repetitions (--reps, default 5),
 * after one warm-up pass. Output: JSON lines on stdout, one per measurement. */
#define _GNU_SOURCE
#include "benchutil.h"
#include "caseload.h"
#include "citygen.h"
#include "deadlines.h"
#include "dedup.h"
#include "geo.h"
#include "router.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#define MAX_REPS 101

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-route [--incidents N] [--reps R] [--hold K] [--open-cases M]\n"
                    "                      [--escalations E] [--seed S] [--districts D]\n"
                    "  --incidents    incidents in the stream (default 2000000)\n"
                    "  --reps         repetitions, medians reported (default 5)\n"
                    "  --hold         a decision is released K decisions later (default 100000)\n"
                    "  --open-cases   open incidents for the memory measurement (default 1000000)\n"
                    "  --escalations  escalations timed per repetition (default 200000)\n"
                    "  --seed         city seed; the stream uses seed+1 (default 1)\n"
                    "  --districts    districts of the city (default 13)\n");
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size, resident;
    if (f == NULL || fscanf(f, "%lu %lu", &size, &resident) != 2)
        bu_die("cannot read /proc/self/statm");
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Pins to the CPU we are on; returns it, or -1 when that is not allowed. */
static int pin_to_current_cpu(void)
{
    int cpu = sched_getcpu();
    if (cpu < 0)
        return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

static inline uint64_t tsc_begin(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

static inline uint64_t tsc_end(void)
{
    unsigned aux;
    uint64_t t = __rdtscp(&aux);
    _mm_lfence();
    return t;
}

/* TSC ticks per nanosecond, against CLOCK_MONOTONIC over ~200 ms. */
static double tsc_per_ns(void)
{
    int64_t n0 = bu_now_ns();
    uint64_t t0 = tsc_begin();
    while (bu_now_ns() - n0 < 200000000)
        ;
    int64_t n1 = bu_now_ns();
    uint64_t t1 = tsc_end();
    return (double)(t1 - t0) / (double)(n1 - n0);
}

/* ---- the decision loop ---- */

typedef struct hold_ring {
    fq_decision *slot;
    size_t k, next;
} hold_ring;

static void ring_init(hold_ring *r, size_t k)
{
    r->k = k;
    r->slot = bu_xmalloc(k * sizeof *r->slot);
    for (size_t i = 0; i < k; i++)
        r->slot[i].status = FQ_ROUTE_NOWHERE; /* release ignores it */
    r->next = 0;
}

/* Releases everything still held: the loads are back where they started. */
static void ring_drain(fq_router *router, hold_ring *r)
{
    for (size_t i = 0; i < r->k; i++) {
        fq_route_release(router, &r->slot[i]);
        r->slot[i].status = FQ_ROUTE_NOWHERE;
    }
    r->next = 0;
}

/* One decision: release what the slot held, decide into it, apply. */
static inline const fq_decision *decide(fq_router *router, hold_ring *r,
                                        const fq_route_request *req)
{
    fq_decision *d = &r->slot[r->next];
    if (++r->next == r->k)
        r->next = 0;
    fq_route_release(router, d);
    fq_route(router, req, d);
    fq_route_apply(router, d);
    return d;
}

typedef struct tally {
    uint64_t assigned, tier[4], climbed, unplaced, nowhere, no_handler, bad;
} tally;

static void count(tally *t, const fq_decision *d)
{
    switch (d->status) {
    case FQ_ROUTE_ASSIGNED:
        t->assigned++;
        t->tier[d->tier & 3]++;
        t->climbed += d->climbed != 0;
        t->unplaced += d->unplaced;
        break;
    case FQ_ROUTE_NOWHERE:
        t->nowhere++;
        break;
    case FQ_ROUTE_NO_HANDLER:
        t->no_handler++;
        break;
    default:
        t->bad++;
        break;
    }
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-route", false, usage);
    long n_incidents = 2000000, reps = 5, hold = 100000, open_cases = 1000000, n_esc = 200000;
    long seed = 1, districts = 13;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--incidents") == 0)
            n_incidents = bu_parse_long(v, 1000, 100000000);
        else if (strcmp(k, "--reps") == 0)
            reps = bu_parse_long(v, 1, MAX_REPS);
        else if (strcmp(k, "--hold") == 0)
            hold = bu_parse_long(v, 1, 100000000);
        else if (strcmp(k, "--open-cases") == 0)
            open_cases = bu_parse_long(v, 0, 100000000);
        else if (strcmp(k, "--escalations") == 0)
            n_esc = bu_parse_long(v, 0, 100000000);
        else if (strcmp(k, "--seed") == 0)
            seed = bu_parse_long(v, 0, INT32_MAX);
        else if (strcmp(k, "--districts") == 0)
            districts = bu_parse_long(v, 1, 1000);
        else
            usage();
    }
    size_t n = (size_t)n_incidents, k_hold = (size_t)hold;
    int r = (int)reps;
    char err[256];

    /* ---- the city ---- */
    fq_city_params p;
    fq_city_params_default(&p, (uint64_t)seed);
    p.districts = (int)districts;
    double t0 = bu_now_s();
    fq_city *city = fq_city_new(&p, err, sizeof err);
    if (city == NULL)
        bu_die_detail("building the city", err);
    double build_s = bu_now_s() - t0;
    fq_router *router =
        fq_router_new(city->org, city->roster, city->rules, city->geo, err, sizeof err);
    if (router == NULL)
        bu_die_detail("creating the router", err);
    fprintf(stderr,
            "fq-bench-route: city built in %.2f s: %zu districts, %zu towns, %zu villages, "
            "%zu grids, %zu workers\n",
            build_s, city->n_districts, city->n_towns, city->n_villages, city->n_grids,
            city->n_workers);
    printf("{\"metric\":\"city\",\"districts\":%zu,\"towns\":%zu,\"villages\":%zu,\"grids\":%zu,"
           "\"workers\":%zu,\"handlers\":%zu,\"categories\":%d,\"rule_rows\":%zu,"
           "\"build_s\":%.3f,\"seed\":%ld}\n",
           city->n_districts, city->n_towns, city->n_villages, city->n_grids, city->n_workers,
           fq_roster_handler_count(city->roster), p.categories, city->n_rule_rows, build_s, seed);

    /* ---- the stream ---- */
    t0 = bu_now_s();
    fq_route_request *req = bu_xmalloc(n * sizeof *req);
    fq_incident_gen gen;
    fq_incident_gen_init(&gen, city, (uint64_t)seed + 1, NULL);
    size_t n_pts = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t truth;
        fq_incident_next(&gen, &req[i], &truth);
        n_pts += req[i].place < 0 && req[i].has_location;
    }
    double *pts = bu_xmalloc((2 * n_pts + 2) * sizeof *pts);
    for (size_t i = 0, j = 0; i < n; i++)
        if (req[i].place < 0 && req[i].has_location) {
            pts[2 * j] = req[i].lon;
            pts[2 * j + 1] = req[i].lat;
            j++;
        }
    fprintf(stderr, "fq-bench-route: %zu incidents (%zu with coordinates only) in %.2f s\n", n,
            n_pts, bu_now_s() - t0);

    int cpu = pin_to_current_cpu();
    fprintf(stderr, "fq-bench-route: %s\n", cpu >= 0 ? "pinned" : "could not pin to one CPU");
    double tpn = tsc_per_ns();

    hold_ring ring;
    ring_init(&ring, k_hold < n ? k_hold : n);

    /* Warm-up pass, with the tally of what the stream decides. */
    tally tl;
    memset(&tl, 0, sizeof tl);
    for (size_t i = 0; i < n; i++)
        count(&tl, decide(router, &ring, &req[i]));
    ring_drain(router, &ring);
    if (tl.bad > 0)
        bu_die("the router refused generated incidents as bad input");
    printf("{\"metric\":\"decision_mix\",\"incidents\":%zu,\"coords_only\":%zu,\"assigned\":%lu,"
           "\"village\":%lu,\"town\":%lu,\"district\":%lu,\"climbed\":%lu,\"unplaced\":%lu,"
           "\"nowhere\":%lu,\"no_handler\":%lu,\"hold\":%zu}\n",
           n, n_pts, (unsigned long)tl.assigned, (unsigned long)tl.tier[FQ_TIER_VILLAGE],
           (unsigned long)tl.tier[FQ_TIER_TOWN], (unsigned long)tl.tier[FQ_TIER_DISTRICT],
           (unsigned long)tl.climbed, (unsigned long)tl.unplaced, (unsigned long)tl.nowhere,
           (unsigned long)tl.no_handler, ring.k);

    enum { BATCH = 64 };
    size_t n_batches = n / BATCH;
    double *batch_ns = bu_xmalloc((n_batches + 1) * sizeof *batch_ns);
    uint32_t *single = bu_xmalloc(n * sizeof *single);
    double rate[MAX_REPS], b50[MAX_REPS], b99[MAX_REPS], s50[MAX_REPS], s99[MAX_REPS],
        overhead[MAX_REPS], geo_rate[MAX_REPS], esc_rate[MAX_REPS];
    uint64_t sink = 0;

    /* Escalation inputs: village- and town-tier decisions of the stream. */
    size_t n_esc_in = 0;
    size_t *esc_idx = bu_xmalloc(((size_t)n_esc + 1) * sizeof *esc_idx);
    fq_decision *esc_dec = bu_xmalloc(((size_t)n_esc + 1) * sizeof *esc_dec);
    for (size_t i = 0; i < n && n_esc_in < (size_t)n_esc; i++) {
        fq_decision d;
        if (fq_route(router, &req[i], &d) == FQ_OK && d.tier < FQ_TIER_DISTRICT) {
            esc_idx[n_esc_in] = i;
            esc_dec[n_esc_in++] = d;
        }
    }

    for (int rep = 0; rep < r; rep++) {
        /* (a) throughput */
        int64_t s = bu_now_ns();
        for (size_t i = 0; i < n; i++)
            sink += (uint32_t)decide(router, &ring, &req[i])->lead;
        rate[rep] = (double)n * 1e9 / (double)(bu_now_ns() - s);
        ring_drain(router, &ring);

        /* (b1) batches of 64 */
        for (size_t b = 0; b < n_batches; b++) {
            int64_t bs = bu_now_ns();
            for (size_t i = b * BATCH; i < (b + 1) * BATCH; i++)
                sink += (uint32_t)decide(router, &ring, &req[i])->lead;
            batch_ns[b] = (double)(bu_now_ns() - bs) / BATCH;
        }
        ring_drain(router, &ring);
        qsort(batch_ns, n_batches, sizeof *batch_ns, cmp_double);
        b50[rep] = batch_ns[(n_batches - 1) / 2];
        b99[rep] = batch_ns[(n_batches - 1) * 99 / 100];

        /* (b2) single decisions; the empty region's cost first */
        for (size_t i = 0; i < n; i++) {
            uint64_t a = tsc_begin();
            uint64_t z = tsc_end();
            single[i] = (uint32_t)(z - a);
        }
        qsort(single, n, sizeof *single, cmp_u32);
        double ovh = single[(n - 1) / 2];
        for (size_t i = 0; i < n; i++) {
            uint64_t a = tsc_begin();
            const fq_decision *d = decide(router, &ring, &req[i]);
            uint64_t z = tsc_end();
            sink += (uint32_t)d->lead;
            uint64_t c = z - a;
            single[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
        }
        ring_drain(router, &ring);
        qsort(single, n, sizeof *single, cmp_u32);
        overhead[rep] = ovh / tpn;
        s50[rep] = ((double)single[(n - 1) / 2] - ovh) / tpn;
        s99[rep] = ((double)single[(n - 1) * 99 / 100] - ovh) / tpn;

        /* (c) grid lookups */
        if (n_pts > 0) {
            s = bu_now_ns();
            for (size_t j = 0; j < n_pts; j++)
                sink += (uint32_t)fq_geo_locate(city->geo, pts[2 * j], pts[2 * j + 1]);
            geo_rate[rep] = (double)n_pts * 1e9 / (double)(bu_now_ns() - s);
        } else {
            geo_rate[rep] = 0;
        }

        /* (e) escalations */
        if (n_esc_in > 0) {
            fq_decision out;
            s = bu_now_ns();
            for (size_t j = 0; j < n_esc_in; j++) {
                fq_route_escalate(router, &req[esc_idx[j]], &esc_dec[j], &out);
                sink += (uint32_t)out.lead;
            }
            esc_rate[rep] = (double)n_esc_in * 1e9 / (double)(bu_now_ns() - s);
        } else {
            esc_rate[rep] = 0;
        }
        fprintf(stderr,
                "fq-bench-route: rep %d: %.0f decisions/s; single p50 %.1f ns p99 %.1f ns; "
                "batch-64 p50 %.1f p99 %.1f ns; %.0f lookups/s; %.0f escalations/s\n",
                rep + 1, rate[rep], s50[rep], s99[rep], b50[rep], b99[rep], geo_rate[rep],
                esc_rate[rep]);
    }

    printf("{\"metric\":\"decisions_per_s\",\"value\":%.0f,\"unit\":\"decisions/s\",\"runs\":[",
           median(rate, r));
    for (int i = 0; i < r; i++)
        printf("%s%.0f", i ? "," : "", rate[i]);
    printf("],\"incidents\":%zu,\"hold\":%zu,\"cpu\":%d,\"what\":\"fq_route+fq_route_apply, "
           "and fq_route_release of the decision %zu before\"}\n",
           n, ring.k, cpu, ring.k);
    printf("{\"metric\":\"ns_per_decision\",\"p50\":%.1f,\"p99\":%.1f,\"batch64_p50\":%.1f,"
           "\"batch64_p99\":%.1f,\"timer_overhead_ns\":%.1f,\"tsc_per_ns\":%.4f,"
           "\"method\":\"single decisions timed with lfence;rdtsc..rdtscp;lfence, median "
           "empty-region cost subtracted; batch64: clock_gettime around 64 decisions\"}\n",
           median(s50, r), median(s99, r), median(b50, r), median(b99, r), median(overhead, r),
           tpn);
    printf("{\"metric\":\"grid_lookups_per_s\",\"value\":%.0f,\"unit\":\"lookups/s\","
           "\"points\":%zu,\"polygons\":%zu,\"index_bytes\":%zu}\n",
           median(geo_rate, r), n_pts, fq_geo_polygons(city->geo), fq_geo_memory(city->geo));
    printf("{\"metric\":\"escalations_per_s\",\"value\":%.0f,\"unit\":\"escalations/s\","
           "\"escalations\":%zu}\n",
           median(esc_rate, r), n_esc_in);

    /* ---- (d) memory ---- */
    size_t roster_mem = fq_roster_memory(city->roster);
    printf("{\"metric\":\"bytes_per_worker\",\"value\":%.1f,\"unit\":\"bytes\",\"workers\":%zu,"
           "\"roster_bytes\":%zu,\"router_bytes\":%zu,\"units\":%zu}\n",
           (double)roster_mem / (double)city->n_workers, city->n_workers, roster_mem,
           fq_router_memory(router), fq_org_count(city->org));

    if (open_cases > 0) {
        size_t m = (size_t)open_cases;
        free(single);
        free(batch_ns);
        size_t rss0 = rss_bytes();
        fq_caseload *cl = fq_caseload_new();
        fq_deadlines *dl = fq_deadlines_new(0);
        fq_dedup_config dc = {
            .distance_m = 200, .window_ms = 24LL * 3600 * 1000, .reference_lat = FQ_CITY_LAT0};
        fq_dedup *dd = fq_dedup_new(&dc, err, sizeof err);
        if (cl == NULL || dl == NULL || dd == NULL)
            bu_die("creating the open-incident structures");
        fq_incident_gen g2;
        fq_incident_gen_init(&g2, city, (uint64_t)seed + 2, NULL);
        t0 = bu_now_s();
        for (size_t i = 0; i < m; i++) {
            fq_route_request q;
            int32_t truth;
            fq_incident_next(&g2, &q, &truth);
            fq_case *c = fq_caseload_add(cl, i + 1);
            if (c == NULL)
                bu_die("fq_caseload_add failed");
            c->request = q;
            fq_route(router, &q, &c->decision);
            const fq_decision *d = &c->decision;
            /* As the server: the case's next limit pending (caseload.h). */
            fq_case_schedule(c, dl);
            if (c->deadline == 0 && d->ack_warn_ms > 0)
                bu_die("fq_deadlines_add failed");
            int32_t place = d->grid >= 0 ? d->grid : d->village >= 0 ? d->village : d->town;
            if (fq_dedup_add(dd, i + 1, q.category, q.has_location, q.lon, q.lat, place, d->town,
                             q.now_ms) != FQ_OK)
                bu_die("fq_dedup_add failed");
        }
        size_t rss = rss_bytes() - rss0;
        size_t mc = fq_caseload_memory(cl), md = fq_deadlines_memory(dl), mu = fq_dedup_memory(dd);
        printf("{\"metric\":\"bytes_per_open_incident\",\"value\":%.1f,\"unit\":\"bytes\","
               "\"open_incidents\":%zu,\"caseload\":%.1f,\"deadlines\":%.1f,\"dedup\":%.1f,"
               "\"rss\":%.1f,\"sizeof_case\":%zu,\"fill_s\":%.2f}\n",
               (double)(mc + md + mu) / (double)m, m, (double)mc / (double)m,
               (double)md / (double)m, (double)mu / (double)m, (double)rss / (double)m,
               sizeof(fq_case), bu_now_s() - t0);
        fq_dedup_free(dd);
        fq_deadlines_free(dl);
        fq_caseload_free(cl);
    } else {
        free(single);
        free(batch_ns);
    }

    fprintf(stderr, "fq-bench-route: (checksum %lu)\n", (unsigned long)(sink & 0xffff));
    free(ring.slot);
    free(esc_idx);
    free(esc_dec);
    free(pts);
    free(req);
    fq_router_free(router);
    fq_city_free(city);
    return 0;
}
