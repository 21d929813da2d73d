/* calendar: a district's working calendar and working-time arithmetic
 * (docs/calendar.md). Pure: no I/O, no clock reads (instants are passed in as
 * milliseconds since the epoch), no allocation at all: a calendar is one
 * fixed-size value the caller owns (about 5 KB).
 *
 * A calendar is
 *  - a fixed offset from UTC for the district's local time (China: +08:00).
 *    Fixed on purpose: China has had no daylight saving time since 1991, and a
 *    fixed offset keeps every computation a division, with no tz database on
 *    the hot path. A district in a zone with DST is out of scope;
 *  - the working periods of a working day, in local minutes from midnight
 *    (e.g. 08:30-12:00 and 13:30-17:30), up to FQ_CAL_MAX_PERIODS, sorted and
 *    apart; one period 00:00-24:00 means whole days;
 *  - the weekly rule: which weekdays are working days (default Monday to
 *    Friday);
 *  - per date, exceptions to the weekly rule for the years imported: public
 *    holidays (dates off) and official make-up working days (调休: weekend
 *    dates that are working days). Dates from 2000-01-01 to 2099-12-31 are
 *    held in one bitmap, so "is this a working day" is one bit test. Dates of
 *    years not imported, and dates outside that range, follow the weekly
 *    rule; fq_calendar_covers_year says whether a year was imported.
 *
 * The rules (also in docs/calendar.md):
 *  - Working time is the time inside the working periods of working days,
 *    in local time. Periods are half-open [start, end).
 *  - N working days (fq_calendar_add_working_days, "5 个工作日内办结"): the
 *    day an instant falls in is not counted, whatever the hour and whether or
 *    not it is a working day (as 民法典 art. 201: 开始的当日不计入); the limit
 *    ends at the close (the end of the last working period) of the N-th
 *    working day after it. N = 0: the close of the start day if that is a
 *    working day and the instant is before its close, else the close of the
 *    next working day.
 *  - Working time added to an instant (fq_calendar_add_working_ms): the
 *    instant at which that much working time has passed since it; an instant
 *    outside working time starts counting at the next working period. The
 *    result is never the start of a period when it could be the end of the
 *    previous one (2 working hours from 15:30 end at 17:30, not at 08:30 the
 *    next working day). Adding 0 gives the instant itself.
 *  - Working time elapsed between two instants (fq_calendar_working_ms_between):
 *    the working time inside [from, to); 0 when to <= from.
 *
 * Cost: one bit test per day spanned (a 30-day limit reads ~45 bits), a
 * handful of arithmetic per working day; whole working days are skipped in
 * one step each. Instants are taken between years 1 and 9999 (clamped). */
#ifndef FQ_CALENDAR_H
#define FQ_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define FQ_CAL_MAX_PERIODS 4
#define FQ_CAL_FIRST_YEAR 2000
#define FQ_CAL_LAST_YEAR 2099
/* Days from 2000-01-01 to 2099-12-31. */
#define FQ_CAL_DAYS 36525
#define FQ_CAL_DAY_MS 86400000LL
/* Offsets China and its neighbours use are well inside; the limit is UTC's. */
#define FQ_CAL_MAX_OFFSET_S (14 * 3600)

typedef struct fq_cal_period {
    uint16_t start_min, end_min; /* local minutes from midnight, [start, end) */
} fq_cal_period;

typedef struct fq_calendar {
    int32_t utc_offset_s;
    uint8_t weekly_mask; /* bit 0 = Monday ... bit 6 = Sunday: working */
    uint8_t n_periods;
    fq_cal_period periods[FQ_CAL_MAX_PERIODS];
    int64_t day_ms;                            /* working ms in a working day */
    uint64_t covered_years[2];                 /* bit (year - FQ_CAL_FIRST_YEAR) */
    uint64_t working[(FQ_CAL_DAYS + 63) / 64]; /* bit per date from 2000-01-01 */
} fq_calendar;

/* Local dates as day numbers: days since 1970-01-01 (proleptic Gregorian). */
int64_t fq_cal_day_from_date(int year, int month, int day);
void fq_cal_date_from_day(int64_t day_number, int *year, int *month, int *day);
/* 0 = Monday ... 6 = Sunday. */
int fq_cal_weekday(int64_t day_number);
/* 1 when year-month-day is a real date from 1 to 9999. */
int fq_cal_valid_date(int year, int month, int day);

/* A calendar with the given UTC offset, Monday to Friday whole working days
 * and no exceptions. Offsets beyond FQ_CAL_MAX_OFFSET_S are clamped to it
 * (fq_calendar_set_offset checks). */
void fq_calendar_init(fq_calendar *c, int32_t utc_offset_s);
/* The configuration setters: 0, or -1 with a sentence in err and c unchanged.
 * Periods: 1 to FQ_CAL_MAX_PERIODS, each non-empty, end at most 1440, sorted
 * and apart (one may end where the next starts). The weekly mask applies to
 * dates without an exception (re-derives them: call before set_day). */
int fq_calendar_set_offset(fq_calendar *c, int32_t utc_offset_s, char *err, size_t err_len);
int fq_calendar_set_periods(fq_calendar *c, const fq_cal_period *periods, size_t n, char *err,
                            size_t err_len);
int fq_calendar_set_weekly(fq_calendar *c, uint8_t weekly_mask, char *err, size_t err_len);
/* Marks a year as imported (its dates then come from the import). */
int fq_calendar_cover_year(fq_calendar *c, int year, char *err, size_t err_len);
/* An exception: the date is a working day (make-up day) or not (holiday). */
int fq_calendar_set_day(fq_calendar *c, int year, int month, int day, int working, char *err,
                        size_t err_len);

int fq_calendar_covers_year(const fq_calendar *c, int year);
int fq_calendar_is_working_day(const fq_calendar *c, int64_t day_number);
/* The local day number an instant falls in. */
int64_t fq_calendar_local_day(const fq_calendar *c, int64_t instant_ms);

/* See the rules above. A next working day always exists: the weekly rule has
 * at least one working weekday (set_weekly refuses none), and it holds after
 * 2099; so a search crosses at most the bitmap and one week. */
int64_t fq_calendar_add_working_days(const fq_calendar *c, int64_t start_ms, uint32_t n);
int64_t fq_calendar_add_working_ms(const fq_calendar *c, int64_t start_ms, int64_t working_ms);
int64_t fq_calendar_working_ms_between(const fq_calendar *c, int64_t from_ms, int64_t to_ms);

/* Working time taken back from an instant (a warning "1d" before a working
 * limit): the earliest instant t <= end_ms with working_ms of working time
 * in [t, end_ms). Earliest, so a warning falls at the close of the previous
 * working period rather than at the opening of the next (a worker is warned
 * before going home, not on arrival). Taking 0 gives end_ms itself. */
int64_t fq_calendar_sub_working_ms(const fq_calendar *c, int64_t end_ms, int64_t working_ms);

/* A limit after a pause (suspension, 中止): the limit due_ms, paused at
 * paused_ms and resumed at resumed_ms, keeps what was left of it when it was
 * paused. With c NULL (natural time) that is due_ms + (resumed - paused);
 * with a calendar, the working time left in [paused, due) is added to
 * resumed_ms in working time. A limit already passed when paused (due <=
 * paused) or not set (0) is returned as it is; so is any limit when
 * resumed <= paused. */
int64_t fq_limit_after_pause(const fq_calendar *c, int64_t due_ms, int64_t paused_ms,
                             int64_t resumed_ms);

#endif
