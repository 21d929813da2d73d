/* metrics: the Prometheus text exposition format, version 0.0.4, written
 * once and correctly (there is no Debian C client library for it): metric
 * and label names checked, HELP text and label values escaped, histograms
 * as cumulative _bucket{le=…} series with _sum and _count.
 *
 * The numbers themselves live in the modules that own them (the store's
 * commit latency, the intake's replies by status, …); the /metrics handler
 * makes a writer, asks each module's stats function and writes what they
 * say. A histogram (fq_histogram) is a plain struct its owner observes into.
 * Pure: no clock, no I/O. */
#ifndef FQ_METRICS_H
#define FQ_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define FQ_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef enum fq_metric_type {
    FQ_METRIC_COUNTER,
    FQ_METRIC_GAUGE,
    FQ_METRIC_HISTOGRAM,
} fq_metric_type;

/* Buckets by upper bound (ascending); +Inf is implicit. */
#define FQ_HISTOGRAM_MAX_BOUNDS 20
typedef struct fq_histogram {
    const double *bounds; /* static storage: the owner's table */
    size_t n_bounds;
    uint64_t counts[FQ_HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket, not cumulative; last: +Inf */
    uint64_t count;
    double sum;
} fq_histogram;

/* `bounds` must be ascending and at most FQ_HISTOGRAM_MAX_BOUNDS long. */
void fq_histogram_init(fq_histogram *h, const double *bounds, size_t n_bounds);
void fq_histogram_observe(fq_histogram *h, double value);

typedef struct fq_metrics fq_metrics;

fq_metrics *fq_metrics_new(void);
void fq_metrics_free(fq_metrics *m);

/* Starts a family: its # HELP and # TYPE lines. A counter's name must end
 * in _total. Returns -1 (and writes nothing) for an invalid name, a counter
 * without _total or a family already written; its samples are then
 * dropped too. */
int fq_metrics_family(fq_metrics *m, const char *name, fq_metric_type type, const char *help);

/* One sample of the current family. `labels` is NULL or name, value, name,
 * value, …, NULL; values may hold any UTF-8 (escaped here). Returns -1 for
 * an invalid label name or outside a counter or gauge family. */
int fq_metrics_sample(fq_metrics *m, const char *const *labels, double value);

/* The current family's series for one histogram: each bucket cumulative,
 * le="+Inf", _sum and _count; `labels` as above (without le). */
int fq_metrics_histogram(fq_metrics *m, const char *const *labels, const fq_histogram *h);

/* A family of one unlabelled sample. */
int fq_metrics_value(fq_metrics *m, const char *name, fq_metric_type type, const char *help,
                     double value);

/* The text so far; NULL when an allocation failed on the way. */
const char *fq_metrics_text(const fq_metrics *m, size_t *len);

/* The rules, for tests. */
int fq_metrics_valid_name(const char *name);
int fq_metrics_valid_label(const char *name);

#endif
