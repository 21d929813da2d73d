/* fuzz_calendar: fengqiao-admin calendar import's own parser
 * (server/admin/calendar_parse.c: JSON text -> a working calendar and its
 * dated exceptions) on arbitrary text.
 *
 * Oracles beyond "no crash, no sanitizer report":
 *  - a refusal has a terminated, non-empty message and leaves the file empty;
 *  - an accepted file has a valid district id, 1 to CALENDAR_MAX_YEARS
 *    distinct years, each covered by its calendar; its exceptions are sorted,
 *    one per date, each in one of the file's years, and the calendar says of
 *    each date what the exception says; the calendar's working periods are in
 *    order and its working day has working time, so the working-time functions
 *    give sane answers on it (N working days ends on a working day, adding
 *    working time and measuring it back agree);
 *  - parsing the same text again gives the same result (no hidden state). */
#include "calendar_parse.h"
#include "fuzz_check.h"
#include "validate.h"

#include <string.h>

static void check_accepted(const cal_file *f)
{
    const fq_calendar *c = &f->calendar;
    FQ_FUZZ_CHECK(f->district != NULL && fq_valid_id(f->district));
    FQ_FUZZ_CHECK(f->n_years >= 1 && f->n_years <= CALENDAR_MAX_YEARS);
    for (size_t i = 0; i < f->n_years; i++) {
        FQ_FUZZ_CHECK(fq_calendar_covers_year(c, f->years[i].year));
        FQ_FUZZ_CHECK(f->years[i].source != NULL);
        for (size_t j = 0; j < i; j++)
            FQ_FUZZ_CHECK(f->years[j].year != f->years[i].year);
    }
    for (size_t i = 0; i < f->n_days; i++) {
        const cal_day_rec *d = &f->days[i];
        FQ_FUZZ_CHECK(fq_cal_valid_date(d->year, d->month, d->day));
        FQ_FUZZ_CHECK(fq_calendar_covers_year(c, d->year));
        FQ_FUZZ_CHECK(d->name != NULL && d->name[0] != '\0');
        int64_t day = fq_cal_day_from_date(d->year, d->month, d->day);
        FQ_FUZZ_CHECK(fq_calendar_is_working_day(c, day) == d->working);
        if (i > 0)
            FQ_FUZZ_CHECK(fq_cal_day_from_date(f->days[i - 1].year, f->days[i - 1].month,
                                               f->days[i - 1].day) < day);
    }
    FQ_FUZZ_CHECK(c->n_periods >= 1 && c->n_periods <= FQ_CAL_MAX_PERIODS && c->day_ms > 0);
    for (unsigned i = 0; i < c->n_periods; i++) {
        FQ_FUZZ_CHECK(c->periods[i].start_min < c->periods[i].end_min);
        FQ_FUZZ_CHECK(c->periods[i].end_min <= 1440);
        if (i > 0)
            FQ_FUZZ_CHECK(c->periods[i - 1].end_min <= c->periods[i].start_min);
    }
    /* The arithmetic from the first year's New Year's Day, local noon. */
    int64_t start = fq_cal_day_from_date(f->years[0].year, 1, 1) * FQ_CAL_DAY_MS + 12 * 3600000LL -
                    (int64_t)c->utc_offset_s * 1000;
    int64_t due = fq_calendar_add_working_days(c, start, 5);
    FQ_FUZZ_CHECK(due > start);
    FQ_FUZZ_CHECK(fq_calendar_is_working_day(c, fq_calendar_local_day(c, due - 1)));
    int64_t amount = 3 * c->day_ms + 12345;
    int64_t end = fq_calendar_add_working_ms(c, start, amount);
    FQ_FUZZ_CHECK(end > start);
    FQ_FUZZ_CHECK(fq_calendar_working_ms_between(c, start, end) == amount);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    static cal_file f, again;
    char err[256], err2[256];
    memset(err, 'x', sizeof err);
    int rv = cal_file_parse((const char *)data, size, &f, err, sizeof err);
    if (rv != 0) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0' && err[0] != 'x');
        FQ_FUZZ_CHECK(f.root == NULL && f.days == NULL && f.n_years == 0);
    } else {
        check_accepted(&f);
    }
    int rv2 = cal_file_parse((const char *)data, size, &again, err2, sizeof err2);
    FQ_FUZZ_CHECK(rv2 == rv);
    if (rv != 0)
        FQ_FUZZ_CHECK(strcmp(err, err2) == 0);
    else
        FQ_FUZZ_CHECK(again.n_years == f.n_years && again.n_days == f.n_days &&
                      memcmp(&again.calendar, &f.calendar, sizeof f.calendar) == 0);
    cal_file_free(&again);
    cal_file_free(&f);
    return 0;
}
