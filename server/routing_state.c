#include "routing_state.h"

#include "errbuf.h"
#include "pgarray.h"
#include "pgcolumn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rules, the polygons and the calendars are loaded with binary results
 * (statements.h FQ_SQL_LOAD_FORMATS): integers, bools and arrays as
 * PostgreSQL sends them, arrays read with pgarray. */

/* An integer column (int2, int4 or int8); -1 for NULL or another size. */
static int get_int(const PGresult *res, int row, int col, int64_t *v)
{
    return PQgetisnull(res, row, col) ? -1 : fq_pgcol_int(res, row, col, v);
}

/* A float8[] column into a new array: the count, or -1 when it is no such
 * array or out of memory (*out is NULL then). */
static long read_number_array(const PGresult *res, int row, int col, double **out)
{
    *out = NULL;
    fq_pgarray_reader r;
    if (PQgetisnull(res, row, col) ||
        fq_pgarray_read_begin(&r, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col),
                              FQ_PG_FLOAT8) != 0)
        return -1;
    double *v = malloc(((size_t)r.count + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    long n = 0;
    const uint8_t *e;
    int32_t len;
    int more;
    while ((more = fq_pgarray_read_next(&r, &e, &len)) == 1) {
        if (len != 8)
            break; /* a NULL element: the ring's CHECK allows none */
        v[n++] = fq_pg_get_float8(e);
    }
    if (more != 0) {
        free(v);
        return -1;
    }
    *out = v;
    return n;
}

/* A text[] column of identifiers into buf (NUL-terminated each), pointers
 * in out: the count, or -1 when it is no such array, holds more than max or
 * does not fit. */
static int read_id_array(const PGresult *res, int row, int col, char *buf, size_t buf_len,
                         const char **out, int max)
{
    fq_pgarray_reader r;
    if (PQgetisnull(res, row, col) ||
        fq_pgarray_read_begin(&r, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col),
                              FQ_PG_TEXT) != 0)
        return -1;
    int n = 0;
    size_t used = 0;
    const uint8_t *e;
    int32_t len;
    int more;
    while ((more = fq_pgarray_read_next(&r, &e, &len)) == 1) {
        if (e == NULL || n >= max || used + (size_t)len + 1 > buf_len)
            return -1;
        memcpy(buf + used, e, (size_t)len);
        buf[used + (size_t)len] = '\0';
        out[n++] = buf + used;
        used += (size_t)len + 1;
    }
    return more == 0 ? n : -1;
}

static int line_or_default(const char *text)
{
    return text[0] == '\0' ? -1 : fq_line_parse(text);
}

static int load_rules(fq_routing *r, const PGresult *res, char *err, size_t err_len)
{
    int n = PQntuples(res);
    fq_rule_row *rows = calloc((size_t)n + 1, sizeof *rows);
    char(*co_buf)[256] = calloc((size_t)n + 1, sizeof *co_buf);
    if (rows == NULL || co_buf == NULL) {
        free(rows);
        free(co_buf);
        return fq_errf(err, err_len, "out of memory");
    }
    int rv = 0;
    for (int i = 0; i < n && rv == 0; i++) {
        fq_rule_row *row = &rows[i];
        int64_t id = 0, severity = 0, risk = 0, ack = 0, ack_warn = 0, conclude = 0,
                conclude_warn = 0, version = 0;
        if (PQnfields(res) != 13 || PQfformat(res, 0) != 1 || get_int(res, i, 0, &id) != 0 ||
            get_int(res, i, 2, &severity) != 0 || get_int(res, i, 3, &risk) != 0 ||
            get_int(res, i, 7, &ack) != 0 || get_int(res, i, 8, &ack_warn) != 0 ||
            get_int(res, i, 9, &conclude) != 0 || get_int(res, i, 10, &conclude_warn) != 0 ||
            get_int(res, i, 11, &version) != 0 || PQgetlength(res, i, 12) != 1) {
            rv = fq_errf(err, err_len, "rule row %d: not as this server reads it", i + 1);
            break;
        }
        row->id = (uint32_t)id;
        row->category = PQgetvalue(res, i, 1);
        row->severity = (int)severity;
        row->risk = (int)risk;
        row->tier = (fq_tier)fq_tier_parse(PQgetvalue(res, i, 4));
        row->line = line_or_default(PQgetvalue(res, i, 5));
        row->n_co = read_id_array(res, i, 6, co_buf[i], sizeof co_buf[i], row->co, FQ_RULE_MAX_CO);
        row->ack_s = (uint32_t)ack;
        row->ack_warn_s = (uint32_t)ack_warn;
        row->conclude_s = (uint32_t)conclude;
        row->conclude_warn_s = (uint32_t)conclude_warn;
        r->rule_set = (uint32_t)version;
        row->working = PQgetvalue(res, i, 12)[0] != 0;
        if (row->n_co < 0)
            rv = fq_errf(err, err_len, "rule %u: malformed co-handling list", row->id);
    }
    if (rv == 0) {
        r->rules = fq_rules_compile(r->taxonomy, r->rule_set, rows, (size_t)n, err, err_len);
        if (r->rules == NULL)
            rv = -1;
    }
    free(rows);
    free(co_buf);
    return rv;
}

fq_org *fq_routing_org(const PGresult *units, char *err, size_t err_len)
{
    fq_org *org = fq_org_new();
    if (org == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    for (int i = 0; i < PQntuples(units); i++)
        if (fq_org_add(org, PQgetvalue(units, i, 0), fq_unit_kind_parse(PQgetvalue(units, i, 1)),
                       PQgetvalue(units, i, 2), PQgetvalue(units, i, 3), err, err_len) != 0)
            goto fail;
    if (fq_org_finish(org, err, err_len) != 0)
        goto fail;
    return org;
fail:
    fq_org_free(org);
    return NULL;
}

fq_geo_builder *fq_routing_polygons(const fq_org *org, const PGresult *res, char *err,
                                    size_t err_len)
{
    fq_geo_builder *b = fq_geo_builder_new();
    if (b == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *grid_id = PQgetvalue(res, i, 0);
        int32_t grid = fq_org_find(org, grid_id);
        if (grid < 0 || fq_org_kind(org, grid) != FQ_UNIT_GRID) {
            fq_errf(err, err_len, "polygon of %s: not a grid", grid_id);
            goto fail;
        }
        double *ring;
        long n = read_number_array(res, i, 1, &ring);
        if (n < 0 || n % 2 != 0) {
            free(ring);
            fq_errf(err, err_len, "polygon of grid %s: malformed ring", grid_id);
            goto fail;
        }
        /* The builder enforces FQ_GEO_MAX_VERTICES, the limit the importer
         * checks too. */
        char gerr[256];
        int rv = fq_geo_builder_add(b, grid, ring, (size_t)n / 2, gerr, sizeof gerr);
        free(ring);
        if (rv != 0) {
            /* gerr names the grid by its index: name it by its id. */
            const char *why = strstr(gerr, ": ");
            fq_errf(err, err_len, "polygon of grid %s: %s", grid_id,
                    why != NULL && strncmp(gerr, "grid ", 5) == 0 ? why + 2 : gerr);
            goto fail;
        }
    }
    return b;
fail:
    fq_geo_builder_free(b);
    return NULL;
}

static int load_polygons(fq_routing *r, const PGresult *res, char *err, size_t err_len)
{
    if (PQntuples(res) == 0)
        return 0;
    fq_geo_builder *b = fq_routing_polygons(r->org, res, err, err_len);
    if (b == NULL)
        return -1;
    r->geo = fq_geo_build(b, err, err_len);
    return r->geo ? 0 : -1;
}

fq_routing *fq_routing_build(const fq_org *org, const PGresult *categories, const PGresult *rules,
                             const PGresult *handlers, const PGresult *workers,
                             const PGresult *polygons, char *err, size_t err_len)
{
    fq_routing *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    r->org = org;
    r->taxonomy = fq_taxonomy_new();
    r->roster = fq_roster_new(org);
    if (r->taxonomy == NULL || r->roster == NULL) {
        fq_errf(err, err_len, "out of memory");
        goto fail;
    }
    for (int i = 0; i < PQntuples(categories); i++) {
        int line = fq_line_parse(PQgetvalue(categories, i, 1));
        int added =
            fq_taxonomy_add(r->taxonomy, PQgetvalue(categories, i, 0), (fq_line)line, err, err_len);
        if (added < 0)
            goto fail;
        if (fq_taxonomy_set_name(r->taxonomy, added, PQgetvalue(categories, i, 2)) != 0)
            goto out_of_memory;
        fq_taxonomy_set_photo_to_conclude(r->taxonomy, added,
                                          strcmp(PQgetvalue(categories, i, 3), "t") == 0);
    }
    if (load_rules(r, rules, err, err_len) != 0)
        goto fail;
    for (int i = 0; i < PQntuples(handlers); i++) {
        const char *code = PQgetvalue(handlers, i, 4);
        if (fq_roster_add_handler(r->roster, PQgetvalue(handlers, i, 0),
                                  fq_handler_kind_parse(PQgetvalue(handlers, i, 1)),
                                  PQgetvalue(handlers, i, 2),
                                  line_or_default(PQgetvalue(handlers, i, 3)),
                                  code[0] ? code : NULL, err, err_len) != 0)
            goto fail;
        if (fq_roster_set_handler_name(r->roster, fq_roster_handler_count(r->roster) - 1,
                                       PQgetvalue(handlers, i, 5)) != 0)
            goto out_of_memory;
    }
    for (int i = 0; i < PQntuples(workers); i++) {
        if (fq_roster_add_worker(r->roster, PQgetvalue(workers, i, 0), PQgetvalue(workers, i, 1),
                                 (unsigned)strtoul(PQgetvalue(workers, i, 2), NULL, 10),
                                 PQgetvalue(workers, i, 3)[0] == 't',
                                 (unsigned)strtoul(PQgetvalue(workers, i, 4), NULL, 10), err,
                                 err_len) != 0)
            goto fail;
        if (fq_roster_set_worker_name(r->roster, fq_roster_worker_count(r->roster) - 1,
                                      PQgetvalue(workers, i, 5)) != 0)
            goto out_of_memory;
    }
    if (fq_roster_finish(r->roster, err, err_len) != 0)
        goto fail;
    if (load_polygons(r, polygons, err, err_len) != 0)
        goto fail;
    r->router = fq_router_new(org, r->roster, r->rules, r->geo, err, err_len);
    if (r->router == NULL)
        goto fail;
    return r;
out_of_memory:
    fq_errf(err, err_len, "out of memory");
fail:
    fq_routing_free(r);
    return NULL;
}

void fq_routing_free(fq_routing *r)
{
    if (r == NULL)
        return;
    fq_router_free(r->router);
    fq_geo_free(r->geo);
    fq_roster_free(r->roster);
    fq_rules_free(r->rules);
    fq_taxonomy_free(r->taxonomy);
    free(r->calendars);
    free(r);
}

/* An int4[] column into out: the count, or -1 when it is no such array,
 * holds a NULL or more than max. */
static long read_int4_array(const PGresult *res, int row, int col, int32_t *out, size_t max)
{
    fq_pgarray_reader r;
    if (PQgetisnull(res, row, col) ||
        fq_pgarray_read_begin(&r, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col),
                              FQ_PG_INT4) != 0)
        return -1;
    size_t n = 0;
    const uint8_t *e;
    int32_t len;
    int more;
    while ((more = fq_pgarray_read_next(&r, &e, &len)) == 1) {
        if (len != 4 || n >= max)
            return -1;
        out[n++] = fq_pg_get_int4(e);
    }
    return more == 0 ? (long)n : -1;
}

int fq_routing_calendar_settings(fq_calendar *c, const PGresult *res, int row, int col, char *err,
                                 size_t err_len)
{
    char why[160];
    int64_t offset, weekly;
    int32_t bounds[2 * FQ_CAL_MAX_PERIODS + 1];
    long n = read_int4_array(res, row, col + 1, bounds, sizeof bounds / sizeof bounds[0]);
    fq_calendar_init(c, 0);
    if (get_int(res, row, col, &offset) != 0 || get_int(res, row, col + 2, &weekly) != 0)
        return fq_errf(err, err_len, "utc_offset_s or working_weekdays is not an integer");
    if (n < 0 || n % 2 != 0 || n / 2 > FQ_CAL_MAX_PERIODS)
        return fq_errf(err, err_len, "working periods are not start, end pairs");
    fq_cal_period periods[FQ_CAL_MAX_PERIODS];
    for (long i = 0; i < n / 2; i++) {
        if (bounds[2 * i] < 0 || bounds[2 * i] > 1440 || bounds[2 * i + 1] < 0 ||
            bounds[2 * i + 1] > 1440)
            return fq_errf(err, err_len, "working periods are not minutes of a day");
        periods[i] = (fq_cal_period){(uint16_t)bounds[2 * i], (uint16_t)bounds[2 * i + 1]};
    }
    if (weekly < 0 || weekly > 255)
        return fq_errf(err, err_len, "weekday mask %lld out of range", (long long)weekly);
    if (fq_calendar_set_offset(c, (int32_t)offset, why, sizeof why) != 0 ||
        fq_calendar_set_periods(c, periods, (size_t)n / 2, why, sizeof why) != 0 ||
        fq_calendar_set_weekly(c, (uint8_t)weekly, why, sizeof why) != 0)
        return fq_errf(err, err_len, "%s", why);
    return 0;
}

static int load_calendar_settings(fq_calendar *c, const PGresult *settings, int row, char *err,
                                  size_t err_len)
{
    char why[160];
    if (fq_routing_calendar_settings(c, settings, row, 1, err, err_len) != 0)
        return -1;
    int32_t years[128];
    long n = read_int4_array(settings, row, 4, years, sizeof years / sizeof years[0]);
    if (n < 0)
        return fq_errf(err, err_len, "the imported years are not a list of years");
    for (long i = 0; i < n; i++)
        if (fq_calendar_cover_year(c, (int)years[i], why, sizeof why) != 0)
            return fq_errf(err, err_len, "%s", why);
    return 0;
}

int fq_routing_load_calendars(fq_routing *r, const PGresult *settings, const PGresult *days,
                              char *err, size_t err_len)
{
    char why[200];
    size_t n = (size_t)PQntuples(settings);
    fq_district_calendar *cals = n > 0 ? calloc(n, sizeof *cals) : NULL;
    if (n > 0 && cals == NULL)
        return fq_errf(err, err_len, "calendars: out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *id = PQgetvalue(settings, (int)i, 0);
        cals[i].district = fq_org_find(r->org, id);
        if (cals[i].district < 0 || fq_org_kind(r->org, cals[i].district) != FQ_UNIT_DISTRICT) {
            free(cals);
            return fq_errf(err, err_len, "calendar of %s: not a district", id);
        }
        if (load_calendar_settings(&cals[i].calendar, settings, (int)i, why, sizeof why) != 0) {
            free(cals);
            return fq_errf(err, err_len, "calendar of %s: %s", id, why);
        }
    }
    for (int row = 0; row < PQntuples(days); row++) {
        const char *id = PQgetvalue(days, row, 0);
        int32_t district = fq_org_find(r->org, id);
        fq_district_calendar *dc = NULL;
        for (size_t i = 0; i < n && dc == NULL; i++)
            if (cals[i].district == district)
                dc = &cals[i];
        int y, m, d;
        fq_cal_date_from_day(atol(PQgetvalue(days, row, 1)), &y, &m, &d);
        if (dc == NULL || !fq_calendar_covers_year(&dc->calendar, y) ||
            fq_calendar_set_day(&dc->calendar, y, m, d, strcmp(PQgetvalue(days, row, 2), "t") == 0,
                                why, sizeof why) != 0) {
            free(cals);
            return fq_errf(err, err_len, "calendar of %s: day %04d-%02d-%02d of no imported year",
                           id, y, m, d);
        }
    }
    /* The router reads them from now on; districts without one (and any
     * that had one in the array being replaced) use its default. */
    for (size_t u = 0; u < fq_org_count(r->org); u++)
        if (fq_org_kind(r->org, (int32_t)u) == FQ_UNIT_DISTRICT)
            fq_router_set_calendar(r->router, (int32_t)u, NULL);
    for (size_t i = 0; i < n; i++)
        fq_router_set_calendar(r->router, cals[i].district, &cals[i].calendar);
    free(r->calendars);
    r->calendars = cals;
    r->n_calendars = n;
    return 0;
}

const fq_calendar *fq_routing_calendar(const fq_routing *r, int32_t district)
{
    for (size_t i = 0; i < r->n_calendars; i++)
        if (r->calendars[i].district == district)
            return &r->calendars[i].calendar;
    return NULL;
}

const char *fq_routing_time_zone(const fq_routing *r, int32_t unit, char *buf, size_t len)
{
    int32_t offset_s = 8 * 3600; /* China Standard Time, the default calendar's */
    if (r != NULL && unit >= 0) {
        int32_t district = unit;
        while (fq_org_parent(r->org, district) >= 0)
            district = fq_org_parent(r->org, district);
        const fq_calendar *c = fq_routing_calendar(r, district);
        if (c != NULL)
            offset_s = c->utc_offset_s;
    }
    int32_t a = offset_s < 0 ? -offset_s : offset_s;
    snprintf(buf, len, "%c%02d:%02d", offset_s < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a % 3600 / 60));
    return buf;
}
