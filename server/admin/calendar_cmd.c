/* fengqiao-admin calendar: a district's working calendar (docs/calendar.md,
 * migrations/0018). import checks the whole file first (calendar_parse.c),
 * then replaces, in one transaction, the district's settings and each year
 * the file lists (the years it does not list stay), and tells a running
 * server with NOTIFY at commit. show prints the stored calendar with each
 * year's working-day count, computed by the same code as the server's. */
#include "admin.h"
#include "pgarray.h"
#include "calendar.h"
#include "calendar_parse.h"
#include "routing_state.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: fengqiao-admin calendar import FILE\n"
    "       fengqiao-admin calendar show [YEAR] [--district ID]\n"
    "A district's working calendar: its UTC offset, working hours, working weekdays, and\n"
    "per year the public holidays and official make-up working days (docs/calendar.md;\n"
    "example: examples/calendar-2026.json). 'import' checks the whole file, then replaces\n"
    "the district's settings and every year the file lists in one transaction (other years\n"
    "stay); a running server reloads it. 'show' prints the stored calendar (all years, or\n"
    "YEAR), with each year's count of working days; --district when there are several.\n";

static const char *const weekday_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/* The whole file, NUL-terminated; NULL with a message printed. */
static char *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        fprintf(stderr, "fengqiao-admin: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = CALENDAR_FILE_MAX_BYTES + 1;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        fclose(in);
        fprintf(stderr, "fengqiao-admin: out of memory\n");
        return NULL;
    }
    *len = fread(buf, 1, cap, in);
    int failed = ferror(in);
    fclose(in);
    if (failed) {
        fprintf(stderr, "fengqiao-admin: %s: cannot read\n", path);
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

static int exec_params(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    return ok;
}

static int exec_plain(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    return ok;
}

static int store_file(PGconn *conn, const cal_file *f)
{
    const fq_calendar *c = &f->calendar;
    char offset[16], weekdays[8];
    snprintf(offset, sizeof offset, "%d", (int)c->utc_offset_s);
    snprintf(weekdays, sizeof weekdays, "%u", (unsigned)c->weekly_mask);
    /* The periods as a binary integer[] (pgarray.h): start, end, start, end... */
    fq_pgbuf periods = {0};
    fq_pgarray a;
    fq_pgarray_begin(&a, &periods, FQ_PG_INT4);
    for (unsigned i = 0; i < c->n_periods; i++) {
        fq_pgarray_int4(&a, (int32_t)c->periods[i].start_min);
        fq_pgarray_int4(&a, (int32_t)c->periods[i].end_min);
    }
    size_t periods_at, periods_len;
    if (fq_pgarray_end(&a, &periods_at, &periods_len) != 0) {
        fq_pgbuf_free(&periods);
        fprintf(stderr, "fengqiao-admin: out of memory\n");
        return -1;
    }

    const char *district[1] = {f->district};
    PGresult *res = PQexecParams(conn, "SELECT kind FROM org_units WHERE id = $1", 1, NULL,
                                 district, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        fq_pgbuf_free(&periods);
        return -1;
    }
    int is_district = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "district") == 0;
    PQclear(res);
    if (!is_district) {
        fprintf(stderr, "fengqiao-admin: district: no district \"%s\" (see unit list)\n",
                f->district);
        fq_pgbuf_free(&periods);
        return -1;
    }
    const char *settings[4] = {f->district, offset, (const char *)periods.data + periods_at,
                               weekdays};
    const int lengths[4] = {0, 0, (int)periods_len, 0};
    const int formats[4] = {0, 0, 1, 0};
    res = PQexecParams(conn,
                       "INSERT INTO calendars (district, utc_offset_s, working_periods,"
                       " working_weekdays) VALUES ($1, $2, $3::integer[], $4)"
                       " ON CONFLICT (district) DO UPDATE SET utc_offset_s = EXCLUDED.utc_offset_s,"
                       " working_periods = EXCLUDED.working_periods,"
                       " working_weekdays = EXCLUDED.working_weekdays, updated_at = now()",
                       4, NULL, settings, lengths, formats, 0);
    int stored = admin_command_ok(conn, res);
    PQclear(res);
    fq_pgbuf_free(&periods);
    if (!stored)
        return -1;
    for (size_t i = 0; i < f->n_years; i++) {
        char year[8];
        snprintf(year, sizeof year, "%d", f->years[i].year);
        const char *key[3] = {f->district, year, f->years[i].source};
        /* Its days go with it (ON DELETE CASCADE). */
        if (!exec_params(conn, "DELETE FROM calendar_years WHERE district = $1 AND year = $2", 2,
                         key) ||
            !exec_params(conn,
                         "INSERT INTO calendar_years (district, year, source) VALUES ($1, $2, $3)",
                         3, key))
            return -1;
    }
    for (size_t i = 0; i < f->n_days; i++) {
        const cal_day_rec *d = &f->days[i];
        char date[16];
        snprintf(date, sizeof date, "%04d-%02d-%02d", d->year, d->month, d->day);
        const char *row[4] = {f->district, date, d->working ? "true" : "false", d->name};
        if (!exec_params(conn,
                         "INSERT INTO calendar_days (district, day, working, name)"
                         " VALUES ($1, $2, $3, $4)",
                         4, row))
            return -1;
    }
    return 0;
}

static int cmd_import(const globals *g, int argc, char **argv)
{
    const char *file = NULL;
    int parsed = admin_parse_options(argc, argv, 2, NULL, 0, &file, help);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    if (file == NULL) {
        fputs(help, stderr);
        return 2;
    }
    size_t len;
    char *text = read_file(file, &len);
    if (text == NULL)
        return 1;
    cal_file f;
    char err[320];
    int rv = cal_file_parse(text, len, &f, err, sizeof err);
    free(text);
    if (rv != 0) {
        fprintf(stderr, "fengqiao-admin: %s: %s\n", file, err);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL) {
        cal_file_free(&f);
        return 1;
    }
    int ok = exec_plain(conn, "BEGIN") && store_file(conn, &f) == 0;
    if (ok)
        admin_notify_server(conn);
    ok = ok && exec_plain(conn, "COMMIT");
    if (ok) {
        size_t off = 0, on = 0;
        for (size_t i = 0; i < f.n_days; i++)
            f.days[i].working ? on++ : off++;
        printf("calendar of %s: ", f.district);
        for (size_t i = 0; i < f.n_years; i++)
            printf("%s%d", i ? ", " : "", f.years[i].year);
        printf(" replaced (%zu holiday dates, %zu make-up working days)\n", off, on);
    }
    PQfinish(conn);
    cal_file_free(&f);
    return ok ? 0 : 1;
}

static int load_settings(PGconn *conn, const char *district, fq_calendar *c)
{
    const char *params[1] = {district};
    /* Binary, decoded as the server decodes its load (routing_state.h). */
    PGresult *res = PQexecParams(conn,
                                 "SELECT utc_offset_s, working_periods, working_weekdays"
                                 " FROM calendars WHERE district = $1",
                                 1, NULL, params, NULL, NULL, 1);
    if (!admin_command_ok(conn, res) || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    char err[200];
    int rv = fq_routing_calendar_settings(c, res, 0, 0, err, sizeof err);
    if (rv != 0)
        fprintf(stderr, "fengqiao-admin: calendar of %s: %s\n", district, err);
    PQclear(res);
    return rv;
}

static int show(PGconn *conn, const char *district_opt, const char *year_opt)
{
    const char *params[1] = {district_opt};
    PGresult *res = PQexecParams(conn,
                                 "SELECT district FROM calendars WHERE $1::text IS NULL"
                                 " OR district = $1 ORDER BY district",
                                 1, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return 1;
    }
    if (PQntuples(res) != 1) {
        fprintf(stderr,
                PQntuples(res) == 0 ? "fengqiao-admin: no calendar%s%s (calendar import FILE)\n"
                                    : "fengqiao-admin: several calendars: give --district%s%s\n",
                district_opt ? " for " : "", district_opt ? district_opt : "");
        PQclear(res);
        return 1;
    }
    char district[80];
    snprintf(district, sizeof district, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    fq_calendar c;
    if (load_settings(conn, district, &c) != 0)
        return 1;
    const char *key[2] = {district, year_opt};
    PGresult *years = PQexecParams(conn,
                                   "SELECT year, source FROM calendar_years WHERE district = $1"
                                   " AND ($2::integer IS NULL OR year = $2) ORDER BY year",
                                   2, NULL, key, NULL, NULL, 0);
    PGresult *days = PQexecParams(
        conn,
        "SELECT extract(year FROM day)::int, extract(month FROM day)::int,"
        " extract(day FROM day)::int, working, name FROM calendar_days WHERE district = $1"
        " AND ($2::integer IS NULL OR year = $2) ORDER BY day",
        2, NULL, key, NULL, NULL, 0);
    if (!admin_command_ok(conn, years) || !admin_command_ok(conn, days)) {
        PQclear(years);
        PQclear(days);
        return 1;
    }
    char err[160];
    for (int i = 0; i < PQntuples(years); i++)
        (void)fq_calendar_cover_year(&c, atoi(PQgetvalue(years, i, 0)), err, sizeof err);
    for (int i = 0; i < PQntuples(days); i++)
        (void)fq_calendar_set_day(&c, atoi(PQgetvalue(days, i, 0)), atoi(PQgetvalue(days, i, 1)),
                                  atoi(PQgetvalue(days, i, 2)),
                                  strcmp(PQgetvalue(days, i, 3), "t") == 0, err, sizeof err);

    char offset[8];
    cal_format_offset(c.utc_offset_s, offset);
    printf("calendar of %s\n  local time: UTC%s\n  working hours:", district, offset);
    for (unsigned i = 0; i < c.n_periods; i++) {
        char a[6], b[6];
        cal_format_hhmm(c.periods[i].start_min, a);
        cal_format_hhmm(c.periods[i].end_min, b);
        printf(" %s-%s", a, b);
    }
    printf("\n  working weekdays:");
    for (int i = 0; i < 7; i++)
        if ((c.weekly_mask >> i) & 1)
            printf(" %s", weekday_short[i]);
    printf("\n");
    if (PQntuples(years) == 0)
        printf("  no year imported%s%s: dates follow the weekly rule\n", year_opt ? " for " : "",
               year_opt ? year_opt : "");
    for (int i = 0; i < PQntuples(years); i++) {
        int year = atoi(PQgetvalue(years, i, 0));
        int count = 0;
        for (int64_t d = fq_cal_day_from_date(year, 1, 1); d < fq_cal_day_from_date(year + 1, 1, 1);
             d++)
            count += fq_calendar_is_working_day(&c, d);
        printf("\n%d: %d working days\n  source: %s\n", year, count,
               PQgetvalue(years, i, 1)[0] ? PQgetvalue(years, i, 1) : "(none given)");
        for (int k = 0; k < PQntuples(days); k++) {
            if (atoi(PQgetvalue(days, k, 0)) != year)
                continue;
            int y = year, m = atoi(PQgetvalue(days, k, 1)), d = atoi(PQgetvalue(days, k, 2));
            int working = strcmp(PQgetvalue(days, k, 3), "t") == 0;
            printf("  %04d-%02d-%02d %s  %-8s %s\n", y, m, d,
                   weekday_short[fq_cal_weekday(fq_cal_day_from_date(y, m, d))],
                   working ? "working" : "holiday", PQgetvalue(days, k, 4));
        }
    }
    PQclear(years);
    PQclear(days);
    return 0;
}

static int cmd_show(const globals *g, int argc, char **argv)
{
    const char *district = NULL, *year = NULL;
    opt_slot slots[] = {{"--district", &district, NULL}};
    int parsed = admin_parse_options(argc, argv, 2, slots, 1, &year, help);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    if (year != NULL) {
        char *end;
        long y = strtol(year, &end, 10);
        if (*end != '\0' || y < FQ_CAL_FIRST_YEAR || y > FQ_CAL_LAST_YEAR) {
            fprintf(stderr, "fengqiao-admin: YEAR: a year from %d to %d\n", FQ_CAL_FIRST_YEAR,
                    FQ_CAL_LAST_YEAR);
            return 2;
        }
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    int rv = show(conn, district, year);
    PQfinish(conn);
    return rv;
}

int cmd_calendar(const globals *g, int argc, char **argv)
{
    const char *action;
    int rv = admin_subcommand(argc, argv, help, &action);
    if (rv >= 0)
        return rv;
    if (strcmp(action, "import") == 0)
        return cmd_import(g, argc, argv);
    if (strcmp(action, "show") == 0)
        return cmd_show(g, argc, argv);
    fprintf(stderr, "fengqiao-admin: calendar: unknown subcommand '%s'\n", action);
    fputs(help, stderr);
    return 2;
}
