/* fengqiao-admin judgment: research and judgment (研判) of a period, as the
 * server's /api/v1/judgment/ computes it (docs/judgment.md): the incidents
 * of [--from, --to) read by the server's own statement
 * (sql/judgment_incidents.sql) and the same row decoder (judgment_rows.h),
 * judged by the core (core/judgment.h) as of --to; the long-pending cases
 * by sql/judgment_pending.sql, without its limit. Both take their times in
 * epoch milliseconds: PostgreSQL reads --from and --to once, first. A table,
 * or CSV. Never writes. */
#include "admin.h"
#include "fq_sql.h"
#include "judgment.h"
#include "judgment_rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
    "usage: fengqiao-admin judgment --from TIME --to TIME [--within UNIT] [--csv]\n"
    "                               [--hotspot-min N] [--radius-m N] [--hotspot-days N]\n"
    "                               [--trend-weeks N] [--trend-min N] [--trend-p-permille N]\n"
    "                               [--repeat-min N] [--repeat-days N] [--pending-days N]\n"
    "Research and judgment (研判) as of --to over the incidents that happened in\n"
    "[--from, --to) (inside the org unit --within; default everywhere):\n"
    "  hotspots   N or more incidents of a category within R metres over the last T days\n"
    "             (default 5 within 300 m over 7 days);\n"
    "  trends     a town's count of a category in the last 7 days against the weeks\n"
    "             before (default 8), flagged at >= 5 and a Poisson tail p <= 10/1000;\n"
    "  repeats    one phone, person or address with 3 or more incidents in 30 days;\n"
    "  pending    cases not concluded 7 days after they were received.\n"
    "The defaults are fengqiaod's; its --judgment-* settings change the server's, these\n"
    "options this run's. For a trend's whole history --from must lie the trend weeks + 1\n"
    "weeks before --to. TIME is anything PostgreSQL reads as a timestamp. Phones and\n"
    "names are shown masked. Times in the local time zone (TZ).\n";

static int parse_uint(const char *name, const char *v, unsigned long max, unsigned long *out)
{
    if (v == NULL)
        return 0;
    char *end = NULL;
    unsigned long x = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || x > max) {
        fprintf(stderr, "fengqiao-admin: %s must be a whole number up to %lu\n", name, max);
        return -1;
    }
    *out = x;
    return 0;
}

static void when(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

/* One CSV field (RFC 4180), a leading = + - @ made harmless for spreadsheets. */
static void csv_field(const char *s, int last)
{
    putchar('"');
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')
        putchar('\'');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    fputs(last ? "\"\r\n" : "\",", stdout);
}

static void masked(const fq_jd_rows *rows, const fq_jd_repeat *r, char *out, size_t cap)
{
    size_t newest = r->members[r->n_members - 1];
    size_t n = strlen(r->key);
    if (r->kind == FQ_JD_PHONE) {
        if (n >= 11)
            snprintf(out, cap, "%.3s****%s", r->key, r->key + n - 4);
        else
            snprintf(out, cap, "%.2s***%s", r->key, r->key + n - 2);
    } else if (r->kind == FQ_JD_PERSON) {
        const char *name = rows->rows[newest].name;
        unsigned char c = (unsigned char)name[0];
        int first = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        snprintf(out, cap, "%.*s*", first, name);
    } else {
        snprintf(out, cap, "%s", rows->rows[newest].address);
    }
}

static const char *const KIND_ZH[] = {"电话 phone", "人员 person", "地址 address"};
static const char *const KIND_EN[] = {"phone", "person", "address"};

static void ids(const fq_jd_rows *rows, const size_t *m, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n && len + 24 < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, k ? " " : "",
                                rows->incidents[m[k]].id);
}

static void print_csv(const fq_jd_rows *rows, const fq_jd_result *res, const PGresult *pending)
{
    static const char *const head[] = {"finding", "category", "town",     "count",    "mean",
                                       "p",       "lon",      "lat",      "radius_m", "first",
                                       "last",    "source",   "incidents"};
    for (size_t i = 0; i < 13; i++)
        csv_field(head[i], i == 12);
    char b[13][64], list[4096], first[32], last[32];
    for (size_t h = 0; h < res->n_hotspots; h++) {
        const fq_jd_hotspot *x = &res->hotspots[h];
        const fq_jd_incident *c = &rows->incidents[x->centre];
        when(x->first_ms, first, sizeof first);
        when(x->last_ms, last, sizeof last);
        ids(rows, x->members, x->n_members, list, sizeof list);
        snprintf(b[0], 64, "%zu", x->n_members);
        snprintf(b[1], 64, "%.6f", c->lon);
        snprintf(b[2], 64, "%.6f", c->lat);
        snprintf(b[3], 64, "%.1f", x->radius_m);
        const char *f[] = {"hotspot", c->category, c->town, b[0], "", "",  b[1],
                           b[2],      b[3],        first,   last, "", list};
        for (size_t i = 0; i < 13; i++)
            csv_field(f[i], i == 12);
    }
    for (size_t t = 0; t < res->n_trends; t++) {
        const fq_jd_trend *x = &res->trends[t];
        snprintf(b[0], 64, "%u", x->count);
        snprintf(b[1], 64, "%.3f", x->mean);
        snprintf(b[2], 64, "%.3g", x->p);
        list[0] = '\0';
        for (uint32_t w = 0, len = 0; w < x->weeks; w++)
            len += (uint32_t)snprintf(list + len, sizeof list - len, "%s%u", w ? " " : "",
                                      x->history[w]);
        const char *f[] = {"trend", x->category, x->town, b[0], b[1], b[2], "",
                           "",      "",          "",      "",   "",   list};
        for (size_t i = 0; i < 13; i++)
            csv_field(f[i], i == 12);
    }
    for (size_t r = 0; r < res->n_repeats; r++) {
        const fq_jd_repeat *x = &res->repeats[r];
        char label[600], src[640];
        masked(rows, x, label, sizeof label);
        snprintf(src, sizeof src, "%s:%s", KIND_EN[x->kind], label);
        when(x->first_ms, first, sizeof first);
        when(x->last_ms, last, sizeof last);
        snprintf(b[0], 64, "%zu", x->n_members);
        ids(rows, x->members, x->n_members, list, sizeof list);
        const char *f[] = {"repeat", "",   rows->incidents[x->members[x->n_members - 1]].town,
                           b[0],     "",   "",
                           "",       "",   "",
                           first,    last, src,
                           list};
        for (size_t i = 0; i < 13; i++)
            csv_field(f[i], i == 12);
    }
    for (int i = 0; i < PQntuples(pending); i++) {
        when(strtoll(PQgetvalue(pending, i, 1), NULL, 10), first, sizeof first);
        const char *f[] = {"pending",
                           PQgetvalue(pending, i, 3),
                           PQgetvalue(pending, i, 4),
                           "1",
                           "",
                           "",
                           "",
                           "",
                           "",
                           first,
                           "",
                           PQgetvalue(pending, i, 2),
                           PQgetvalue(pending, i, 0)};
        for (size_t k = 0; k < 13; k++)
            csv_field(f[k], k == 12);
    }
}

static void print_table(const fq_jd_rows *rows, const fq_jd_result *res, const PGresult *pending,
                        const fq_jd_params *p, unsigned long pending_days, int64_t to_ms)
{
    char first[32], last[32], list[4096];
    when(to_ms, first, sizeof first);
    printf("研判 Research and judgment as of %s: %zu incidents judged\n\n", first, rows->n);
    printf("热点 Hotspots: %u or more of a category within %.0f m over %.0f days: %zu\n",
           p->hotspot_min, p->hotspot_radius_m, (double)p->hotspot_window_ms / 86400000.0,
           res->n_hotspots);
    for (size_t h = 0; h < res->n_hotspots; h++) {
        const fq_jd_hotspot *x = &res->hotspots[h];
        const fq_jd_incident *c = &rows->incidents[x->centre];
        const fq_jd_row *w = &rows->rows[x->centre];
        when(x->first_ms, first, sizeof first);
        when(x->last_ms, last, sizeof last);
        printf("  %2zu. %s (%s)  %s  %zu incidents (%zu cores) within %.0f m of %.5f,%.5f"
               "  %s .. %s  %s\n",
               h + 1, w->category_name, c->category, w->town_name[0] ? w->town_name : c->town,
               x->n_members, x->n_cores, x->radius_m, c->lon, c->lat, first, last, w->address);
    }
    printf("\n趋势 Trends: the last 7 days against the %u weeks before, flagged at >= %u and "
           "Poisson p <= %g: %zu\n",
           p->trend_weeks, p->trend_min_count, p->trend_p, res->n_trends);
    for (size_t t = 0; t < res->n_trends; t++) {
        const fq_jd_trend *x = &res->trends[t];
        const char *town_name = x->town, *cat_name = x->category;
        for (size_t i = 0; i < rows->n; i++)
            if (strcmp(rows->incidents[i].town, x->town) == 0 &&
                strcmp(rows->incidents[i].category, x->category) == 0) {
                town_name = rows->rows[i].town_name;
                cat_name = rows->rows[i].category_name;
                break;
            }
        list[0] = '\0';
        for (uint32_t w = 0, len = 0; w < x->weeks; w++)
            len += (uint32_t)snprintf(list + len, sizeof list - len, "%s%u", w ? " " : "",
                                      x->history[w]);
        printf("  %2zu. %s  %s (%s)  %u this week, mean %.2f (x%.1f), p = %.3g  weeks before "
               "(the latest first): %s\n",
               t + 1, town_name, cat_name, x->category, x->count, x->mean, x->count / x->mean, x->p,
               list);
    }
    printf("\n重复来源 Repeat sources: %u or more incidents in %.0f days: %zu\n", p->repeat_min,
           (double)p->repeat_window_ms / 86400000.0, res->n_repeats);
    for (size_t r = 0; r < res->n_repeats; r++) {
        const fq_jd_repeat *x = &res->repeats[r];
        char label[600];
        masked(rows, x, label, sizeof label);
        when(x->first_ms, first, sizeof first);
        when(x->last_ms, last, sizeof last);
        ids(rows, x->members, x->n_members, list, sizeof list);
        printf("  %2zu. %s %s  %zu incidents  %s .. %s  %s  #%s\n", r + 1, KIND_ZH[x->kind], label,
               x->n_members, first, last, rows->rows[x->members[x->n_members - 1]].town_name, list);
    }
    printf("\n久拖未结 Long-pending: not concluded %lu days after they were received: %d\n",
           pending_days, PQntuples(pending));
    for (int i = 0; i < PQntuples(pending); i++) {
        when(strtoll(PQgetvalue(pending, i, 1), NULL, 10), first, sizeof first);
        printf("  #%s  %s  %s  %s  %s%s  %s\n", PQgetvalue(pending, i, 0), first,
               PQgetvalue(pending, i, 4), PQgetvalue(pending, i, 3), PQgetvalue(pending, i, 6),
               PQgetvalue(pending, i, 7)[0] == 't' ? " 逾期 overdue" : "",
               PQgetvalue(pending, i, 2));
    }
}

int cmd_judgment(const globals *g, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *within = "", *v[9] = {0};
    int want_csv = 0;
    opt_slot slots[] = {{"--from", &from, NULL},         {"--to", &to, NULL},
                        {"--within", &within, NULL},     {"--csv", NULL, &want_csv},
                        {"--hotspot-min", &v[0], NULL},  {"--radius-m", &v[1], NULL},
                        {"--hotspot-days", &v[2], NULL}, {"--trend-weeks", &v[3], NULL},
                        {"--trend-min", &v[4], NULL},    {"--trend-p-permille", &v[5], NULL},
                        {"--repeat-min", &v[6], NULL},   {"--repeat-days", &v[7], NULL},
                        {"--pending-days", &v[8], NULL}};
    const char *positional = NULL;
    int rv =
        admin_parse_options(argc, argv, 1, slots, sizeof slots / sizeof *slots, &positional, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (positional != NULL || from == NULL || to == NULL) {
        fprintf(stderr, "fengqiao-admin: judgment needs --from and --to\n%s", help);
        return 2;
    }
    fq_jd_params p;
    fq_jd_params_default(&p);
    unsigned long x[9] = {p.hotspot_min,
                          (unsigned long)p.hotspot_radius_m,
                          (unsigned long)(p.hotspot_window_ms / 86400000),
                          p.trend_weeks,
                          p.trend_min_count,
                          (unsigned long)(p.trend_p * 1000 + 0.5),
                          p.repeat_min,
                          (unsigned long)(p.repeat_window_ms / 86400000),
                          7};
    for (int i = 0; i < 9; i++)
        if (parse_uint(slots[4 + i].name, v[i], 100000, &x[i]) != 0)
            return 2;
    p.hotspot_min = (uint32_t)x[0];
    p.hotspot_radius_m = (double)x[1];
    p.hotspot_window_ms = (int64_t)x[2] * 86400000;
    p.trend_weeks = (uint32_t)x[3];
    p.trend_min_count = (uint32_t)x[4];
    p.trend_p = (double)x[5] / 1000.0;
    p.repeat_min = (uint32_t)x[6];
    p.repeat_window_ms = (int64_t)x[7] * 86400000;
    char err[160];
    if (fq_jd_params_check(&p, err, sizeof err) != 0 || x[8] < 1) {
        fprintf(stderr, "fengqiao-admin: %s\n", x[8] < 1 ? "--pending-days is at least 1" : err);
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    int rc = 1;
    PGresult *res = NULL, *pending = NULL;
    fq_jd_rows rows = {0};
    fq_jd_result result = {0};
    const char *bounds[3] = {from, to, within};
    res = PQexecParams(conn,
                       "SELECT $1::timestamptz < $2::timestamptz,"
                       " (extract(epoch FROM $2::timestamptz) * 1000)::bigint,"
                       " $3 = '' OR EXISTS (SELECT 1 FROM org_units WHERE id = $3),"
                       " (extract(epoch FROM $1::timestamptz) * 1000)::bigint",
                       3, NULL, bounds, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        rc = 2; /* a time PostgreSQL cannot read: said above */
        goto done;
    }
    if (PQgetvalue(res, 0, 0)[0] != 't' || PQgetvalue(res, 0, 2)[0] != 't') {
        fprintf(stderr, "fengqiao-admin: %s\n",
                PQgetvalue(res, 0, 0)[0] != 't' ? "--from must come before --to"
                                                : "--within names no org unit");
        rc = 2;
        goto done;
    }
    int64_t to_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    char from_ms[24], until_ms[24];
    snprintf(from_ms, sizeof from_ms, "%s", PQgetvalue(res, 0, 3));
    snprintf(until_ms, sizeof until_ms, "%" PRId64, to_ms);
    PQclear(res);
    const char *ip[FQ_SQL_JUDGMENT_INCIDENTS_NPARAMS] = {from_ms, until_ms, within};
    res = PQexecParams(conn, FQ_SQL_JUDGMENT_INCIDENTS, FQ_SQL_JUDGMENT_INCIDENTS_NPARAMS, NULL, ip,
                       NULL, NULL, 0);
    if (!admin_command_ok(conn, res))
        goto done;
    char days[24];
    snprintf(days, sizeof days, "%lu", x[8]);
    /* Received at most a year before --to, as always here; no limit (NULL). */
    const char *pp[FQ_SQL_JUDGMENT_PENDING_NPARAMS] = {until_ms, within, days, "365", NULL};
    pending = PQexecParams(conn, FQ_SQL_JUDGMENT_PENDING, FQ_SQL_JUDGMENT_PENDING_NPARAMS, NULL, pp,
                           NULL, NULL, 0);
    if (!admin_command_ok(conn, pending))
        goto done;
    if (fq_jd_rows_decode(res, &rows) != 0 ||
        fq_judgment_run(rows.incidents, rows.n, &p, to_ms, &result) != 0) {
        fprintf(stderr, "fengqiao-admin: out of memory\n");
        goto done;
    }
    if (want_csv)
        print_csv(&rows, &result, pending);
    else
        print_table(&rows, &result, pending, &p, x[8], to_ms);
    rc = 0;
done:
    fq_jd_result_free(&result);
    fq_jd_rows_free(&rows);
    PQclear(res);
    PQclear(pending);
    PQfinish(conn);
    return rc;
}
