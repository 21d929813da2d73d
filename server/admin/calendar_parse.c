/* calendar_parse: the calendar file's reader (calendar_parse.h,
 * docs/calendar.md). Every refusal names the first place that is wrong. */
#include "calendar_parse.h"

#include "errbuf.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekday_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const weekday_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};

int cal_parse_hhmm(const char *s, uint16_t *minutes)
{
    if (strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *minutes = (uint16_t)(h * 60 + m);
    return 0;
}

void cal_format_hhmm(uint16_t minutes, char out[6])
{
    snprintf(out, 6, "%02u:%02u", (unsigned)(minutes / 60) % 100, (unsigned)(minutes % 60));
}

int cal_parse_offset(const char *s, int32_t *seconds)
{
    uint16_t minutes;
    if ((s[0] != '+' && s[0] != '-') || cal_parse_hhmm(s + 1, &minutes) != 0 ||
        minutes > FQ_CAL_MAX_OFFSET_S / 60)
        return -1;
    *seconds = (s[0] == '-' ? -1 : 1) * (int32_t)minutes * 60;
    return 0;
}

void cal_format_offset(int32_t seconds, char out[8])
{
    int32_t m = (seconds < 0 ? -seconds : seconds) / 60;
    char hhmm[6];
    cal_format_hhmm((uint16_t)(m % (25 * 60)), hhmm);
    snprintf(out, 8, "%c%s", seconds < 0 ? '-' : '+', hhmm);
}

/* "YYYY-MM-DD", a real date. */
static int parse_date(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    *y = atoi(s);
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return fq_cal_valid_date(*y, *m, *d) ? 0 : -1;
}

typedef struct parser {
    cal_file *f;
    char *err;
    size_t err_len;
    size_t cap_days;
} parser;

/* Refuses members other than the allowed ones. */
static int only_members(parser *p, json_object *o, const char *path, const char *const *allowed)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return fq_errf(p->err, p->err_len, "%s: unknown member \"%.40s\"", path, key);
    }
    return 0;
}

static int member(parser *p, json_object *o, const char *path, const char *key, json_type type,
                  int required, json_object **out)
{
    *out = NULL;
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        if (required)
            return fq_errf(p->err, p->err_len, "%s: \"%s\" is missing", path, key);
        return 0;
    }
    if (!json_object_is_type(v, type))
        return fq_errf(p->err, p->err_len, "%s.%s: must be %s", path, key,
                       type == json_type_string  ? "a string"
                       : type == json_type_array ? "an array"
                       : type == json_type_int   ? "an integer"
                                                 : "an object");
    *out = v;
    return 0;
}

static int add_day(parser *p, int y, int m, int d, int working, const char *name)
{
    cal_file *f = p->f;
    if (f->n_days == p->cap_days) {
        size_t cap = p->cap_days ? p->cap_days * 2 : 64;
        cal_day_rec *grown = realloc(f->days, cap * sizeof *grown);
        if (grown == NULL)
            return fq_errf(p->err, p->err_len, "out of memory");
        f->days = grown;
        p->cap_days = cap;
    }
    f->days[f->n_days++] = (cal_day_rec){y, m, d, working, name};
    return 0;
}

static int name_of(parser *p, json_object *entry, const char *path, const char **name)
{
    json_object *v;
    if (member(p, entry, path, "name", json_type_string, 1, &v) != 0)
        return -1;
    *name = json_object_get_string(v);
    size_t len = strlen(*name);
    if (len == 0 || len > CALENDAR_NAME_MAX_BYTES || len != (size_t)json_object_get_string_len(v))
        return fq_errf(p->err, p->err_len, "%s.name: 1 to %d bytes of text", path,
                       CALENDAR_NAME_MAX_BYTES);
    return 0;
}

static int date_member(parser *p, json_object *entry, const char *path, const char *key, int year,
                       int *y, int *m, int *d)
{
    json_object *v;
    if (member(p, entry, path, key, json_type_string, 1, &v) != 0)
        return -1;
    if (parse_date(json_object_get_string(v), y, m, d) != 0)
        return fq_errf(p->err, p->err_len, "%s.%s: not a date YYYY-MM-DD", path, key);
    if (*y != year)
        return fq_errf(p->err, p->err_len, "%s.%s: %s is not in the year %d", path, key,
                       json_object_get_string(v), year);
    return 0;
}

static int parse_holidays(parser *p, json_object *list, const char *ypath, int year)
{
    static const char *const allowed[] = {"name", "from", "to", NULL};
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        char path[96];
        snprintf(path, sizeof path, "%s.holidays[%zu]", ypath, i);
        json_object *e = json_object_array_get_idx(list, i);
        if (!json_object_is_type(e, json_type_object))
            return fq_errf(p->err, p->err_len, "%s: must be an object", path);
        const char *name;
        int y, m, d, ty, tm, td;
        if (only_members(p, e, path, allowed) != 0 || name_of(p, e, path, &name) != 0 ||
            date_member(p, e, path, "from", year, &y, &m, &d) != 0 ||
            date_member(p, e, path, "to", year, &ty, &tm, &td) != 0)
            return -1;
        int64_t from = fq_cal_day_from_date(y, m, d), to = fq_cal_day_from_date(ty, tm, td);
        if (to < from)
            return fq_errf(p->err, p->err_len, "%s: \"to\" is before \"from\"", path);
        for (int64_t day = from; day <= to; day++) {
            fq_cal_date_from_day(day, &y, &m, &d);
            if (add_day(p, y, m, d, 0, name) != 0)
                return -1;
        }
    }
    return 0;
}

static int parse_working_days(parser *p, json_object *list, const char *ypath, int year)
{
    static const char *const allowed[] = {"name", "date", NULL};
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        char path[96];
        snprintf(path, sizeof path, "%s.working_days[%zu]", ypath, i);
        json_object *e = json_object_array_get_idx(list, i);
        if (!json_object_is_type(e, json_type_object))
            return fq_errf(p->err, p->err_len, "%s: must be an object", path);
        const char *name;
        int y, m, d;
        if (only_members(p, e, path, allowed) != 0 || name_of(p, e, path, &name) != 0 ||
            date_member(p, e, path, "date", year, &y, &m, &d) != 0)
            return -1;
        /* A make-up day on a day that works anyway is a typo for another date. */
        int wd = fq_cal_weekday(fq_cal_day_from_date(y, m, d));
        if ((p->f->calendar.weekly_mask >> wd) & 1)
            return fq_errf(p->err, p->err_len,
                           "%s.date: %04d-%02d-%02d is a %s, a working day by the weekly rule: "
                           "a make-up working day is a day off by it",
                           path, y, m, d, weekday_long[wd]);
        if (add_day(p, y, m, d, 1, name) != 0)
            return -1;
    }
    return 0;
}

static int parse_year(parser *p, json_object *e, size_t index)
{
    static const char *const allowed[] = {"year", "source", "holidays", "working_days", NULL};
    char path[32];
    snprintf(path, sizeof path, "years[%zu]", index);
    if (!json_object_is_type(e, json_type_object))
        return fq_errf(p->err, p->err_len, "%s: must be an object", path);
    json_object *year_v, *source_v, *holidays, *working_days;
    if (only_members(p, e, path, allowed) != 0 ||
        member(p, e, path, "year", json_type_int, 1, &year_v) != 0 ||
        member(p, e, path, "source", json_type_string, 0, &source_v) != 0 ||
        member(p, e, path, "holidays", json_type_array, 1, &holidays) != 0 ||
        member(p, e, path, "working_days", json_type_array, 1, &working_days) != 0)
        return -1;
    int64_t year = json_object_get_int64(year_v);
    if (year < FQ_CAL_FIRST_YEAR || year > FQ_CAL_LAST_YEAR)
        return fq_errf(p->err, p->err_len, "%s.year: a year from %d to %d", path, FQ_CAL_FIRST_YEAR,
                       FQ_CAL_LAST_YEAR);
    for (size_t i = 0; i < p->f->n_years; i++)
        if (p->f->years[i].year == year)
            return fq_errf(p->err, p->err_len, "%s.year: %d is also years[%zu]", path, (int)year,
                           i);
    const char *source = source_v != NULL ? json_object_get_string(source_v) : "";
    if (strlen(source) > CALENDAR_SOURCE_MAX_BYTES ||
        strlen(source) != (size_t)(source_v != NULL ? json_object_get_string_len(source_v) : 0))
        return fq_errf(p->err, p->err_len, "%s.source: at most %d bytes of text", path,
                       CALENDAR_SOURCE_MAX_BYTES);
    p->f->years[p->f->n_years++] = (cal_year_rec){(int)year, source};
    char err[8];
    (void)fq_calendar_cover_year(&p->f->calendar, (int)year, err, sizeof err);
    if (parse_holidays(p, holidays, path, (int)year) != 0 ||
        parse_working_days(p, working_days, path, (int)year) != 0)
        return -1;
    return 0;
}

static int parse_settings(parser *p, json_object *root)
{
    fq_calendar *c = &p->f->calendar;
    json_object *v;
    if (member(p, root, "$", "utc_offset", json_type_string, 1, &v) != 0)
        return -1;
    int32_t offset;
    if (cal_parse_offset(json_object_get_string(v), &offset) != 0)
        return fq_errf(p->err, p->err_len, "utc_offset: \"+HH:MM\" or \"-HH:MM\", up to 14:00");
    fq_calendar_init(c, offset);

    if (member(p, root, "$", "working_hours", json_type_array, 1, &v) != 0)
        return -1;
    fq_cal_period periods[FQ_CAL_MAX_PERIODS];
    size_t n = json_object_array_length(v);
    if (n == 0 || n > FQ_CAL_MAX_PERIODS)
        return fq_errf(p->err, p->err_len,
                       "working_hours: 1 to %d periods \"HH:MM-HH:MM\" (\"00:00-24:00\" for "
                       "whole days)",
                       FQ_CAL_MAX_PERIODS);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
        char start[6] = {0};
        if (strlen(s) == 11)
            memcpy(start, s, 5);
        if (strlen(s) != 11 || s[5] != '-' || cal_parse_hhmm(start, &periods[i].start_min) != 0 ||
            cal_parse_hhmm(s + 6, &periods[i].end_min) != 0)
            return fq_errf(p->err, p->err_len, "working_hours[%zu]: not a period \"HH:MM-HH:MM\"",
                           i);
    }
    char why[160];
    if (fq_calendar_set_periods(c, periods, n, why, sizeof why) != 0)
        return fq_errf(p->err, p->err_len, "working_hours: %s", why);

    if (member(p, root, "$", "working_weekdays", json_type_array, 1, &v) != 0)
        return -1;
    uint8_t mask = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
        int wd = -1;
        for (int k = 0; k < 7 && wd < 0; k++)
            if (strcmp(s, weekday_names[k]) == 0)
                wd = k;
        if (wd < 0 || ((mask >> wd) & 1))
            return fq_errf(p->err, p->err_len,
                           "working_weekdays[%zu]: one of mon, tue, wed, thu, fri, sat, sun, "
                           "each once",
                           i);
        mask |= (uint8_t)(1u << wd);
    }
    if (fq_calendar_set_weekly(c, mask, why, sizeof why) != 0)
        return fq_errf(p->err, p->err_len, "working_weekdays: %s", why);
    return 0;
}

static int by_date(const void *a, const void *b)
{
    const cal_day_rec *x = a, *y = b;
    int64_t dx = fq_cal_day_from_date(x->year, x->month, x->day);
    int64_t dy = fq_cal_day_from_date(y->year, y->month, y->day);
    return dx < dy ? -1 : dx > dy;
}

static int parse_document(parser *p, json_object *root)
{
    static const char *const allowed[] = {"schema",        "district", "utc_offset",
                                          "working_hours", "years",    "working_weekdays",
                                          "note",          NULL};
    cal_file *f = p->f;
    json_object *v, *years;
    if (!json_object_is_type(root, json_type_object))
        return fq_errf(p->err, p->err_len, "the document must be a JSON object");
    if (only_members(p, root, "$", allowed) != 0 ||
        member(p, root, "$", "schema", json_type_string, 1, &v) != 0)
        return -1;
    if (strcmp(json_object_get_string(v), CALENDAR_SCHEMA) != 0)
        return fq_errf(p->err, p->err_len, "schema: must be \"%s\"", CALENDAR_SCHEMA);
    if (member(p, root, "$", "note", json_type_string, 0, &v) != 0 ||
        member(p, root, "$", "district", json_type_string, 1, &v) != 0)
        return -1;
    f->district = json_object_get_string(v);
    if (!fq_valid_id(f->district) || strlen(f->district) != (size_t)json_object_get_string_len(v))
        return fq_errf(p->err, p->err_len, "district: not a valid unit id");
    if (parse_settings(p, root) != 0 ||
        member(p, root, "$", "years", json_type_array, 1, &years) != 0)
        return -1;
    size_t n = json_object_array_length(years);
    if (n == 0 || n > CALENDAR_MAX_YEARS)
        return fq_errf(p->err, p->err_len, "years: 1 to %d years", CALENDAR_MAX_YEARS);
    for (size_t i = 0; i < n; i++)
        if (parse_year(p, json_object_array_get_idx(years, i), i) != 0)
            return -1;
    if (f->n_days > 0)
        qsort(f->days, f->n_days, sizeof *f->days, by_date);
    for (size_t i = 1; i < f->n_days; i++) {
        const cal_day_rec *a = &f->days[i - 1], *b = &f->days[i];
        if (a->year == b->year && a->month == b->month && a->day == b->day)
            return fq_errf(
                p->err, p->err_len, "%04d-%02d-%02d is listed twice%s", b->year, b->month, b->day,
                a->working != b->working ? " (a holiday and a make-up working day)" : "");
    }
    for (size_t i = 0; i < f->n_days; i++) {
        const cal_day_rec *d = &f->days[i];
        char err[8];
        (void)fq_calendar_set_day(&f->calendar, d->year, d->month, d->day, d->working, err,
                                  sizeof err);
    }
    return 0;
}

static json_object *parse_json(const char *buf, size_t len, char *err, size_t err_len)
{
    if (len > CALENDAR_FILE_MAX_BYTES) {
        fq_errf(err, err_len, "too large (at most %u KiB)", CALENDAR_FILE_MAX_BYTES >> 10);
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(16);
    if (tok == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    const char *why = NULL;
    if (jerr == json_tokener_success) {
        while (off < len && strchr(" \t\r\n", buf[off]) != NULL && buf[off] != '\0')
            off++;
        if (off < len)
            why = "text after the document";
    } else if (jerr == json_tokener_continue) {
        off = len;
        why = "unexpected end of file";
    } else {
        why = json_tokener_error_desc(jerr);
    }
    json_tokener_free(tok);
    if (why == NULL)
        return root;
    json_object_put(root);
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off && i < len; i++, col++)
        if (buf[i] == '\n') {
            line++;
            col = 0;
        }
    fq_errf(err, err_len, "line %zu, column %zu: not valid JSON: %s", line, col, why);
    return NULL;
}

int cal_file_parse(const char *text, size_t len, cal_file *f, char *err, size_t err_len)
{
    memset(f, 0, sizeof *f);
    f->root = parse_json(text, len, err, err_len);
    if (f->root == NULL)
        return -1;
    parser p = {f, err, err_len, 0};
    if (parse_document(&p, f->root) != 0) {
        cal_file_free(f);
        return -1;
    }
    return 0;
}

void cal_file_free(cal_file *f)
{
    json_object_put(f->root);
    free(f->days);
    memset(f, 0, sizeof *f);
}
