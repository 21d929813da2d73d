#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 128

struct fq_metrics {
    char *text;
    size_t len, cap;
    int failed; /* out of memory: the text is incomplete */
    char family[128];
    fq_metric_type type;
    int in_family; /* 0 after an invalid family: its samples are dropped */
    char *written[MAX_FAMILIES];
    size_t n_written;
};

void fq_histogram_init(fq_histogram *h, const double *bounds, size_t n_bounds)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n_bounds < FQ_HISTOGRAM_MAX_BOUNDS ? n_bounds : FQ_HISTOGRAM_MAX_BOUNDS;
}

void fq_histogram_observe(fq_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

fq_metrics *fq_metrics_new(void)
{
    return calloc(1, sizeof(fq_metrics));
}

void fq_metrics_free(fq_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_written; i++)
        free(m->written[i]);
    free(m->text);
    free(m);
}

static void put(fq_metrics *m, const char *s, size_t n)
{
    if (m->failed)
        return;
    if (m->len + n + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (m->len + n + 1 > cap)
            cap *= 2;
        char *t = realloc(m->text, cap);
        if (t == NULL) {
            m->failed = 1;
            return;
        }
        m->text = t;
        m->cap = cap;
    }
    memcpy(m->text + m->len, s, n);
    m->len += n;
    m->text[m->len] = '\0';
}

static void puts_(fq_metrics *m, const char *s)
{
    put(m, s, strlen(s));
}

/* A float as Prometheus reads it: the shortest of %.15g and %.17g that
 * reads back exactly, and +Inf, -Inf, NaN by name. */
static void put_number(fq_metrics *m, double v)
{
    char b[40];
    if (isnan(v))
        snprintf(b, sizeof b, "NaN");
    else if (isinf(v))
        snprintf(b, sizeof b, "%s", v > 0 ? "+Inf" : "-Inf");
    else {
        snprintf(b, sizeof b, "%.15g", v);
        if (strtod(b, NULL) != v)
            snprintf(b, sizeof b, "%.17g", v);
    }
    puts_(m, b);
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void put_escaped(fq_metrics *m, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(m, "\\\\");
        else if (*s == '\n')
            puts_(m, "\\n");
        else if (*s == '"' && quote)
            puts_(m, "\\\"");
        else
            put(m, s, 1);
    }
}

static int name_char(char c, int first, int colon)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return 1;
    if (c == ':' && colon)
        return 1;
    return !first && c >= '0' && c <= '9';
}

int fq_metrics_valid_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    for (size_t i = 0; name[i]; i++)
        if (!name_char(name[i], i == 0, 1))
            return 0;
    return 1;
}

int fq_metrics_valid_label(const char *name)
{
    if (name == NULL || name[0] == '\0' || strncmp(name, "__", 2) == 0)
        return 0;
    for (size_t i = 0; name[i]; i++)
        if (!name_char(name[i], i == 0, 0))
            return 0;
    return 1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

int fq_metrics_family(fq_metrics *m, const char *name, fq_metric_type type, const char *help)
{
    m->in_family = 0;
    if (!fq_metrics_valid_name(name) || strlen(name) >= sizeof m->family ||
        (type == FQ_METRIC_COUNTER && !ends_with(name, "_total")) || m->n_written >= MAX_FAMILIES)
        return -1;
    for (size_t i = 0; i < m->n_written; i++)
        if (strcmp(m->written[i], name) == 0)
            return -1;
    char *copy = strdup(name);
    if (copy == NULL) {
        m->failed = 1;
        return -1;
    }
    m->written[m->n_written++] = copy;
    static const char *const types[] = {"counter", "gauge", "histogram"};
    /* Version 0.0.4 names a counter family by its samples' name, _total
     * included. */
    puts_(m, "# HELP ");
    puts_(m, name);
    puts_(m, " ");
    put_escaped(m, help ? help : "", 0);
    puts_(m, "\n# TYPE ");
    puts_(m, name);
    puts_(m, " ");
    puts_(m, types[type]);
    puts_(m, "\n");
    snprintf(m->family, sizeof m->family, "%s", name);
    m->type = type;
    m->in_family = 1;
    return 0;
}

static int labels_valid(const char *const *labels)
{
    for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2) {
        if (!fq_metrics_valid_label(labels[i]) || strcmp(labels[i], "le") == 0 ||
            labels[i + 1] == NULL)
            return 0;
    }
    return 1;
}

/* name{labels[,le="…"]} value\n */
static void put_series(fq_metrics *m, const char *suffix, const char *const *labels, const char *le,
                       double value)
{
    puts_(m, m->family);
    puts_(m, suffix);
    int n = 0;
    for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2, n++) {
        puts_(m, n ? "," : "{");
        puts_(m, labels[i]);
        puts_(m, "=\"");
        put_escaped(m, labels[i + 1], 1);
        puts_(m, "\"");
    }
    if (le != NULL) {
        puts_(m, n ? ",le=\"" : "{le=\"");
        puts_(m, le);
        puts_(m, "\"");
        n++;
    }
    puts_(m, n ? "} " : " ");
    put_number(m, value);
    puts_(m, "\n");
}

int fq_metrics_sample(fq_metrics *m, const char *const *labels, double value)
{
    if (!m->in_family || m->type == FQ_METRIC_HISTOGRAM || !labels_valid(labels))
        return -1;
    put_series(m, "", labels, NULL, value);
    return 0;
}

int fq_metrics_histogram(fq_metrics *m, const char *const *labels, const fq_histogram *h)
{
    if (!m->in_family || m->type != FQ_METRIC_HISTOGRAM || !labels_valid(labels))
        return -1;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        cumulative += h->counts[i];
        char le[40];
        snprintf(le, sizeof le, "%.15g", h->bounds[i]);
        if (strtod(le, NULL) != h->bounds[i])
            snprintf(le, sizeof le, "%.17g", h->bounds[i]);
        put_series(m, "_bucket", labels, le, (double)cumulative);
    }
    put_series(m, "_bucket", labels, "+Inf", (double)h->count);
    put_series(m, "_sum", labels, NULL, h->sum);
    put_series(m, "_count", labels, NULL, (double)h->count);
    return 0;
}

int fq_metrics_value(fq_metrics *m, const char *name, fq_metric_type type, const char *help,
                     double value)
{
    if (fq_metrics_family(m, name, type, help) != 0)
        return -1;
    return fq_metrics_sample(m, NULL, value);
}

const char *fq_metrics_text(const fq_metrics *m, size_t *len)
{
    if (m->failed)
        return NULL;
    *len = m->len;
    return m->text ? m->text : "";
}
