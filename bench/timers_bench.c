/* timers_bench: the cost of one pending deadline in fq_deadlines against the
 * design the issue rejects, one libuv timer per deadline.
 *
 * Both hold `pending` deadlines (default 1 M) spread at random over 30 days.
 * One measured pair is what the dispatch loop does when an incident moves on:
 * schedule a new deadline and cancel a random pending one, so the count stays
 * at `pending` throughout. For libuv that is uv_timer_init + uv_timer_start on
 * a fresh handle (a handle is not re-initialised without a uv_close and a loop
 * turn, so every pair gets a new one, allocated before the clock starts) and
 * uv_timer_stop of a random pending timer, on a real uv_loop_t. Random due
 * times and victims are drawn before the clock starts, the same for both, so
 * the measured loops do only the structure's work. Medians of `runs` runs,
 * after a warm-up of `pending` pairs for each (see main).
 *
 * Memory per pending deadline: ours is fq_deadlines_memory / pending (the
 * geometric growth slack included); libuv's is sizeof(uv_timer_t), which
 * embeds its heap node, so there is no other allocation. Both are also shown
 * as the resident-set growth while the pending deadlines were created.
 *
 * Also: ns per fq_deadlines_pop_due entry when draining the full structure in
 * batches of 1024, the server's firing path (no libuv counterpart measured:
 * libuv fires timers only against its own clock).
 *
 * Output: JSON lines on stdout. */
#include "benchutil.h"
#include "deadlines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define DAY_MS (24LL * 3600 * 1000)
#define HORIZON_MS (30 * DAY_MS)

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-timers [--pending N] [--pairs N] [--runs N]\n"
                    "  --pending  deadlines pending throughout (default 1000000)\n"
                    "  --pairs    insert+cancel pairs per run (default 200000)\n"
                    "  --runs     runs, the median is reported (default 5)\n");
}

static uint64_t rng_state = 0x5eed;

static uint64_t rng(void) /* splitmix64: the same draw every run of the program */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* v stays in run order, for the output. */
static double median(const double *v, int n)
{
    double s[101];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_runs(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%.1f", i ? "," : "", v[i]);
}

/* What each run draws up front: new due offsets and the victims' positions. */
typedef struct draw {
    int64_t *due; /* ms after the start */
    size_t *victim;
    size_t pairs;
} draw;

static void draw_run(draw *w, size_t pairs, size_t pending)
{
    w->due = bu_xmalloc(pairs * sizeof(int64_t));
    w->victim = bu_xmalloc(pairs * sizeof(size_t));
    w->pairs = pairs;
    for (size_t i = 0; i < pairs; i++) {
        w->due[i] = (int64_t)(rng() % (uint64_t)HORIZON_MS);
        w->victim[i] = (size_t)(rng() % pending);
    }
}

static void on_timer(uv_timer_t *t)
{
    (void)t;
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-timers", false, usage);
    long pending = 1000000, pairs = 200000, runs = 5;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage(), exit(2);
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--pending") == 0)
            pending = bu_parse_long(v, 1, 100000000);
        else if (strcmp(k, "--pairs") == 0)
            pairs = bu_parse_long(v, 1, 100000000);
        else if (strcmp(k, "--runs") == 0)
            runs = bu_parse_long(v, 1, 101);
        else
            usage(), exit(2);
    }
    size_t n = (size_t)pending, p = (size_t)pairs;
    int r = (int)runs;
    const int64_t start_ms = 1700000000000;

    int64_t *initial = bu_xmalloc(n * sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        initial[i] = (int64_t)(rng() % (uint64_t)HORIZON_MS);
    /* Run 0 is a warm-up for both, not counted, that replaces as many
     * deadlines as are pending: a heap fresh from a bulk load is up to 3x
     * slower for its first ~100,000 pairs and reaches its steady cost only
     * after about `pending` of them; a server's heap is in steady state. */
    int nd = r + 1;
    draw *draws = bu_xmalloc((size_t)nd * sizeof(draw));
    size_t all_pairs = 0;
    for (int k = 0; k < nd; k++) {
        draw_run(&draws[k], k == 0 ? n : p, n);
        all_pairs += draws[k].pairs;
    }
    double *ours = bu_xmalloc((size_t)r * sizeof(double));
    double *base = bu_xmalloc((size_t)r * sizeof(double));

    /* ---- fq_deadlines ---- */
    fq_deadline_id *ids = bu_xmalloc(n * sizeof(fq_deadline_id));
    memset(ids, 0, n * sizeof(fq_deadline_id)); /* resident before the RSS reading */
    size_t rss0 = rss_bytes();
    fq_deadlines *d = fq_deadlines_new(0); /* grown by adds, as in the server */
    if (d == NULL)
        bu_die("out of memory");
    for (size_t i = 0; i < n; i++)
        if ((ids[i] = fq_deadlines_add(d, start_ms + initial[i], i, 1)) == 0)
            bu_die("fq_deadlines_add failed");
    size_t ours_rss = rss_bytes() - rss0;
    double ours_mem = (double)fq_deadlines_memory(d) / (double)n;
    for (int k = 0; k < nd; k++) {
        const draw *w = &draws[k];
        int64_t t = bu_now_ns();
        for (size_t i = 0; i < w->pairs; i++) {
            fq_deadline_id id = fq_deadlines_add(d, start_ms + w->due[i], i, 1);
            if (fq_deadlines_cancel(d, ids[w->victim[i]]) != 0)
                bu_die("fq_deadlines_cancel refused a pending id");
            ids[w->victim[i]] = id;
        }
        if (k > 0)
            ours[k - 1] = (double)(bu_now_ns() - t) / (double)p;
    }
    if (fq_deadlines_count(d) != n)
        bu_die("fq_deadlines count drifted");
    /* the firing path: drain everything, in order */
    enum { BATCH = 1024 };
    fq_deadline out[BATCH];
    size_t got, total = 0;
    int64_t last = INT64_MIN;
    int64_t t = bu_now_ns();
    while ((got = fq_deadlines_pop_due(d, INT64_MAX, out, BATCH)) > 0) {
        if (out[0].due_ms < last || out[got - 1].due_ms < out[0].due_ms)
            bu_die("fq_deadlines popped out of order");
        last = out[got - 1].due_ms;
        total += got;
    }
    double pop_ns = (double)(bu_now_ns() - t) / (double)total;
    if (total != n)
        bu_die("fq_deadlines lost entries");
    fq_deadlines_free(d);
    free(ids);

    /* ---- one libuv timer per deadline ---- */
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        bu_die("uv_loop_init failed");
    uv_timer_t **pend = bu_xmalloc(n * sizeof(uv_timer_t *));
    memset(pend, 0, n * sizeof(uv_timer_t *));
    rss0 = rss_bytes();
    uv_timer_t *pool = bu_xmalloc(n * sizeof(uv_timer_t));
    for (size_t i = 0; i < n; i++) {
        uv_timer_init(&loop, &pool[i]);
        uv_timer_start(&pool[i], on_timer, (uint64_t)initial[i], 0);
        pend[i] = &pool[i];
    }
    size_t base_rss = rss_bytes() - rss0;
    /* the fresh handles of the measured pairs, touched so that page faults
     * stay out of the measurement (ours grew before its clock started too) */
    uv_timer_t *fresh = bu_xmalloc(all_pairs * sizeof(uv_timer_t));
    memset(fresh, 0, all_pairs * sizeof(uv_timer_t));
    uv_timer_t *h = fresh;
    for (int k = 0; k < nd; k++) {
        const draw *w = &draws[k];
        int64_t t1 = bu_now_ns();
        for (size_t i = 0; i < w->pairs; i++, h++) {
            uv_timer_init(&loop, h);
            uv_timer_start(h, on_timer, (uint64_t)w->due[i], 0);
            uv_timer_stop(pend[w->victim[i]]);
            pend[w->victim[i]] = h;
        }
        if (k > 0)
            base[k - 1] = (double)(bu_now_ns() - t1) / (double)p;
    }
    for (size_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&pool[i], NULL);
    for (size_t i = 0; i < all_pairs; i++)
        uv_close((uv_handle_t *)&fresh[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        bu_die("uv_loop_close: handles left open");
    free(pool);
    free(fresh);
    free(pend);

    double ours_med = median(ours, r), base_med = median(base, r);
    printf("{\"metric\":\"timer_insert_cancel_ns\",\"value\":%.1f,\"baseline\":%.1f,"
           "\"ratio\":%.2f,\"unit\":\"ns per insert+cancel pair\",\"pending\":%zu,"
           "\"pairs_per_run\":%zu,\"runs\":%d,\"ours_runs\":[",
           ours_med, base_med, base_med / ours_med, n, p, r);
    print_runs(ours, r);
    printf("],\"baseline_runs\":[");
    print_runs(base, r);
    printf("],\"baseline_is\":\"uv_timer_init+uv_timer_start+uv_timer_stop, libuv %s\"}\n",
           uv_version_string());
    double base_mem = (double)sizeof(uv_timer_t);
    printf("{\"metric\":\"timer_memory_bytes_per_deadline\",\"value\":%.1f,\"baseline\":%.1f,"
           "\"ratio\":%.2f,\"unit\":\"bytes per pending deadline\",\"value_rss\":%.1f,"
           "\"baseline_rss\":%.1f,\"pending\":%zu}\n",
           ours_mem, base_mem, base_mem / ours_mem, (double)ours_rss / (double)n,
           (double)base_rss / (double)n, n);
    printf("{\"metric\":\"deadline_pop_ns\",\"value\":%.1f,\"unit\":\"ns per entry, draining "
           "%zu in batches of %d\"}\n",
           pop_ns, n, BATCH);

    for (int k = 0; k < nd; k++) {
        free(draws[k].due);
        free(draws[k].victim);
    }
    free(draws);
    free(initial);
    free(ours);
    free(base);
    return 0;
}
