/* fq-bench-replay: the what-if replay rate (core/replay.h) over a recorded
 * history of the benchmark city (bench/citygen.h, default parameters: 13
 * districts, ~50,000 grids, ~100,000 workers).
 *
 * The history: N incidents of citygen's stream (one every 2 s on average, so
 * 2 M span about 46 days), each with the decision the city's own rules take
 * (recorded tier, line and lead; decided without loads, which is all a
 * record needs here) and synthetic event times: acknowledged after 0-40 min
 * (10 % never), concluded after an exponential delay with a mean of a day,
 * capped at 20 days (15 % never). The what-if rules are the city's with the
 * second most frequent category sent to the district.
 *
 * Timed: fq_replay_run over the whole history (decide, apply, release due
 * assignments through the heap, predict), R repetitions after one warm-up;
 * the median is reported. Output: one JSON line on stdout,
 * {"incidents":N,"incidents_per_s":...,...}; progress on stderr. */
#include "benchutil.h"
#include "citygen.h"
#include "replay.h"
#include "router.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 101

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-replay [--incidents N] [--reps R] [--seed S]\n"
                    "  --incidents  recorded incidents replayed (default 2000000)\n"
                    "  --reps       timed repetitions, the median reported (default 5)\n"
                    "  --seed       city seed; the stream uses seed+1 (default 1)\n");
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The city's rule rows with `category` (all severities and risks) sent to
 * the district: a row of that key is changed, or one is added. */
static fq_rules *what_if_rules(const fq_city *city, int category, char *err, size_t err_len)
{
    const char *code = fq_taxonomy_code(city->taxonomy, category);
    fq_rule_row *rows = bu_xmalloc((city->n_rule_rows + 1) * sizeof *rows);
    memcpy(rows, city->rule_rows, city->n_rule_rows * sizeof *rows);
    size_t n = city->n_rule_rows;
    fq_rule_row *row = NULL;
    for (size_t i = 0; i < n && row == NULL; i++)
        if (rows[i].category != NULL && strcmp(rows[i].category, code) == 0 &&
            rows[i].severity == 0 && rows[i].risk == 0)
            row = &rows[i];
    if (row == NULL) {
        row = &rows[n++];
        memset(row, 0, sizeof *row);
        row->id = 1000;
        row->category = code;
        row->line = -1;
        row->ack_s = 900;
        row->ack_warn_s = 300;
        row->conclude_s = 3 * 86400;
        row->conclude_warn_s = 43200;
    }
    row->tier = FQ_TIER_DISTRICT;
    fq_rules *rules = fq_rules_compile(city->taxonomy, 2, rows, n, err, err_len);
    free(rows);
    return rules;
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-replay", false, usage);
    long n_incidents = 2000000, reps = 5, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--incidents") == 0)
            n_incidents = bu_parse_long(v, 1000, 100000000);
        else if (strcmp(k, "--reps") == 0)
            reps = bu_parse_long(v, 1, MAX_REPS);
        else if (strcmp(k, "--seed") == 0)
            seed = bu_parse_long(v, 0, INT32_MAX);
        else
            usage();
    }
    size_t n = (size_t)n_incidents;
    int r = (int)reps;
    char err[256];

    fq_city_params p;
    fq_city_params_default(&p, (uint64_t)seed);
    double t0 = bu_now_s();
    fq_city *city = fq_city_new(&p, err, sizeof err);
    if (city == NULL)
        bu_die_detail("building the city", err);
    fprintf(stderr, "fq-bench-replay: city built in %.2f s: %zu grids, %zu workers\n",
            bu_now_s() - t0, city->n_grids, city->n_workers);

    /* ---- the recorded history ---- */
    t0 = bu_now_s();
    fq_router *recorder =
        fq_router_new(city->org, city->roster, city->rules, city->geo, err, sizeof err);
    if (recorder == NULL)
        bu_die_detail("creating the router", err);
    fq_replay_incident *hist = bu_xmalloc(n * sizeof *hist);
    fq_incident_gen gen;
    fq_incident_gen_init(&gen, city, (uint64_t)seed + 1, NULL);
    uint64_t rng = (uint64_t)seed * 0x9e3779b97f4a7c15ULL + 7;
    for (size_t i = 0; i < n; i++) {
        fq_route_request req;
        int32_t truth;
        fq_incident_next(&gen, &req, &truth);
        fq_decision d;
        fq_route(recorder, &req, &d);
        fq_replay_incident *inc = &hist[i];
        memset(inc, 0, sizeof *inc);
        inc->reported_ms = req.now_ms;
        inc->place = req.place;
        inc->fallback_place = req.fallback_place;
        inc->has_location = (uint8_t)req.has_location;
        inc->lon = req.lon;
        inc->lat = req.lat;
        inc->category = (int16_t)req.category;
        inc->severity = (uint8_t)req.severity;
        inc->risk = (uint8_t)req.risk;
        inc->recorded_tier = d.status == FQ_ROUTE_ASSIGNED ? d.tier : 0;
        inc->recorded_line = d.line;
        inc->recorded_lead = d.lead;
        if (fq_city_uniform(&rng) >= 0.10)
            inc->ack_ms = req.now_ms + (int64_t)(fq_city_uniform(&rng) * 2400e3);
        if (fq_city_uniform(&rng) >= 0.15) {
            double delay_s = -86400.0 * log(1.0 - fq_city_uniform(&rng));
            if (delay_s > 20 * 86400.0)
                delay_s = 20 * 86400.0;
            int64_t from = inc->ack_ms != 0 ? inc->ack_ms : req.now_ms;
            inc->concluded_ms = from + (int64_t)(delay_s * 1000) + 1;
        }
        inc->recorded_escalations =
            (uint16_t)(inc->ack_ms == 0 || inc->ack_ms > d.ack_due_ms ? 1 : 0);
    }
    fq_router_free(recorder);
    int64_t horizon = hist[n - 1].reported_ms + 3600 * 1000;
    fprintf(stderr, "fq-bench-replay: %zu recorded incidents over %.1f days in %.2f s\n", n,
            (double)(hist[n - 1].reported_ms - hist[0].reported_ms) / 86400e3, bu_now_s() - t0);

    /* ---- the what-if ---- */
    fq_rules *rules = what_if_rules(city, 1, err, sizeof err);
    if (rules == NULL)
        bu_die_detail("compiling the what-if rules", err);
    fq_router *router = fq_router_new(city->org, city->roster, rules, city->geo, err, sizeof err);
    if (router == NULL)
        bu_die_detail("creating the what-if router", err);
    fq_replay *rp = fq_replay_new(router, city->roster, n, err, sizeof err);
    if (rp == NULL)
        bu_die_detail("creating the replay", err);

    fq_replay_stats st;
    if (fq_replay_run(rp, hist, n, horizon, &st, err, sizeof err) != 0) /* warm-up */
        bu_die_detail("replay", err);
    double secs[MAX_REPS];
    for (int k = 0; k < r; k++) {
        t0 = bu_now_s();
        if (fq_replay_run(rp, hist, n, horizon, &st, err, sizeof err) != 0)
            bu_die_detail("replay", err);
        secs[k] = bu_now_s() - t0;
        fprintf(stderr, "fq-bench-replay: run %d: %.3f s, %.0f incidents/s\n", k + 1, secs[k],
                (double)n / secs[k]);
    }
    double med = median(secs, r);
    double s = (double)st.incidents;
    printf("{\"incidents\":%zu,\"incidents_per_s\":%.0f,\"ns_per_incident\":%.1f,\"reps\":%d,"
           "\"median_s\":%.4f,\"days\":%.1f,\"grids\":%zu,\"workers\":%zu,"
           "\"recorded_shares\":[%.4f,%.4f,%.4f],\"whatif_shares\":[%.4f,%.4f,%.4f],"
           "\"changed\":%llu,\"predicted_escalations\":%llu,\"on_time\":%llu,\"late\":%llu,"
           "\"unknown\":%llu}\n",
           n, (double)n / med, med * 1e9 / (double)n, r, med,
           (double)(hist[n - 1].reported_ms - hist[0].reported_ms) / 86400e3, city->n_grids,
           city->n_workers, (double)st.recorded_tier[1] / s, (double)st.recorded_tier[2] / s,
           (double)st.recorded_tier[3] / s, (double)st.whatif_tier[1] / s,
           (double)st.whatif_tier[2] / s, (double)st.whatif_tier[3] / s,
           (unsigned long long)st.changed, (unsigned long long)st.predicted_escalations,
           (unsigned long long)st.on_time, (unsigned long long)st.late,
           (unsigned long long)st.unknown);

    fq_replay_free(rp);
    fq_router_free(router);
    fq_rules_free(rules);
    free(hist);
    fq_city_free(city);
    return 0;
}
