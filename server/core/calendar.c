/* calendar: working days and working time over a district's calendar
 * (calendar.h has the rules). */
#include "calendar.h"

#include "errbuf.h"

#include <string.h>

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in ms since the epoch. */
#define MIN_INSTANT_MS (-62135596800000LL)
#define MAX_INSTANT_MS 253402300799999LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Civil date <-> days since 1970-01-01, counted in 400-year eras of 146097
 * days that start on March 1st, so that the leap day ends each year. */
int64_t fq_cal_day_from_date(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;
    int64_t month_from_march = month > 2 ? month - 3 : month + 9;
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

void fq_cal_date_from_day(int64_t day_number, int *year, int *month, int *day)
{
    int64_t z = day_number + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    int m = (int)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *month = m;
    *year = (int)(year_of_era + era * 400 + (m <= 2));
}

int fq_cal_weekday(int64_t day_number)
{
    /* 1970-01-01 was a Thursday (3). */
    int64_t w = (day_number + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int fq_cal_valid_date(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= days_in_month(year, month);
}

static int64_t first_bitmap_day(void)
{
    return fq_cal_day_from_date(FQ_CAL_FIRST_YEAR, 1, 1);
}

static int weekly_working(const fq_calendar *c, int64_t day_number)
{
    return (c->weekly_mask >> fq_cal_weekday(day_number)) & 1;
}

/* Re-derives every date of the years not imported from the weekly rule. */
static void apply_weekly(fq_calendar *c)
{
    int64_t base = first_bitmap_day();
    for (int year = FQ_CAL_FIRST_YEAR; year <= FQ_CAL_LAST_YEAR; year++) {
        if (fq_calendar_covers_year(c, year))
            continue;
        int64_t end = fq_cal_day_from_date(year + 1, 1, 1) - base;
        for (int64_t i = fq_cal_day_from_date(year, 1, 1) - base; i < end; i++) {
            uint64_t bit = 1ULL << (i % 64);
            if (weekly_working(c, base + i))
                c->working[i / 64] |= bit;
            else
                c->working[i / 64] &= ~bit;
        }
    }
}

static int64_t period_ms_total(const fq_cal_period *p, size_t n)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += (int64_t)(p[i].end_min - p[i].start_min) * 60000;
    return total;
}

void fq_calendar_init(fq_calendar *c, int32_t utc_offset_s)
{
    memset(c, 0, sizeof *c);
    if (utc_offset_s > FQ_CAL_MAX_OFFSET_S)
        utc_offset_s = FQ_CAL_MAX_OFFSET_S;
    if (utc_offset_s < -FQ_CAL_MAX_OFFSET_S)
        utc_offset_s = -FQ_CAL_MAX_OFFSET_S;
    c->utc_offset_s = utc_offset_s;
    c->weekly_mask = 0x1f; /* Monday to Friday */
    c->n_periods = 1;
    c->periods[0] = (fq_cal_period){0, 1440};
    c->day_ms = FQ_CAL_DAY_MS;
    apply_weekly(c);
}

int fq_calendar_set_offset(fq_calendar *c, int32_t utc_offset_s, char *err, size_t err_len)
{
    if (utc_offset_s > FQ_CAL_MAX_OFFSET_S || utc_offset_s < -FQ_CAL_MAX_OFFSET_S)
        return fq_errf(err, err_len, "a UTC offset is between -14:00 and +14:00");
    c->utc_offset_s = utc_offset_s;
    return 0;
}

int fq_calendar_set_periods(fq_calendar *c, const fq_cal_period *periods, size_t n, char *err,
                            size_t err_len)
{
    if (n == 0 || n > FQ_CAL_MAX_PERIODS)
        return fq_errf(err, err_len, "a working day has 1 to %d working periods",
                       FQ_CAL_MAX_PERIODS);
    for (size_t i = 0; i < n; i++) {
        if (periods[i].end_min > 1440 || periods[i].start_min >= periods[i].end_min)
            return fq_errf(err, err_len,
                           "working period %zu: its start is before its end, within 00:00-24:00",
                           i + 1);
        if (i > 0 && periods[i].start_min < periods[i - 1].end_min)
            return fq_errf(err, err_len,
                           "working period %zu: starts before the previous one ends (periods "
                           "are in order and apart)",
                           i + 1);
    }
    memcpy(c->periods, periods, n * sizeof *periods);
    c->n_periods = (uint8_t)n;
    c->day_ms = period_ms_total(periods, n);
    return 0;
}

int fq_calendar_set_weekly(fq_calendar *c, uint8_t weekly_mask, char *err, size_t err_len)
{
    if ((weekly_mask & 0x7f) == 0)
        return fq_errf(err, err_len, "at least one weekday is a working day");
    c->weekly_mask = weekly_mask & 0x7f;
    apply_weekly(c);
    return 0;
}

int fq_calendar_cover_year(fq_calendar *c, int year, char *err, size_t err_len)
{
    if (year < FQ_CAL_FIRST_YEAR || year > FQ_CAL_LAST_YEAR)
        return fq_errf(err, err_len, "year %d: a calendar holds the years %d to %d", year,
                       FQ_CAL_FIRST_YEAR, FQ_CAL_LAST_YEAR);
    int bit = year - FQ_CAL_FIRST_YEAR;
    c->covered_years[bit / 64] |= 1ULL << (bit % 64);
    return 0;
}

int fq_calendar_covers_year(const fq_calendar *c, int year)
{
    if (year < FQ_CAL_FIRST_YEAR || year > FQ_CAL_LAST_YEAR)
        return 0;
    int bit = year - FQ_CAL_FIRST_YEAR;
    return (int)((c->covered_years[bit / 64] >> (bit % 64)) & 1);
}

int fq_calendar_set_day(fq_calendar *c, int year, int month, int day, int working, char *err,
                        size_t err_len)
{
    if (!fq_cal_valid_date(year, month, day) || year < FQ_CAL_FIRST_YEAR || year > FQ_CAL_LAST_YEAR)
        return fq_errf(err, err_len, "%04d-%02d-%02d: not a date from %d-01-01 to %d-12-31", year,
                       month, day, FQ_CAL_FIRST_YEAR, FQ_CAL_LAST_YEAR);
    int64_t i = fq_cal_day_from_date(year, month, day) - first_bitmap_day();
    uint64_t bit = 1ULL << (i % 64);
    if (working)
        c->working[i / 64] |= bit;
    else
        c->working[i / 64] &= ~bit;
    return 0;
}

int fq_calendar_is_working_day(const fq_calendar *c, int64_t day_number)
{
    int64_t i = day_number - first_bitmap_day();
    if (i < 0 || i >= FQ_CAL_DAYS)
        return weekly_working(c, day_number);
    return (int)((c->working[i / 64] >> (i % 64)) & 1);
}

static int64_t clamp_instant(int64_t ms)
{
    return ms < MIN_INSTANT_MS ? MIN_INSTANT_MS : ms > MAX_INSTANT_MS ? MAX_INSTANT_MS : ms;
}

int64_t fq_calendar_local_day(const fq_calendar *c, int64_t instant_ms)
{
    int64_t local = clamp_instant(instant_ms) + (int64_t)c->utc_offset_s * 1000;
    return floor_div(local, FQ_CAL_DAY_MS);
}

/* The instant of local ms `ms_in_day` (0 to a whole day) of a day. */
static int64_t instant_of(const fq_calendar *c, int64_t day_number, int64_t ms_in_day)
{
    return day_number * FQ_CAL_DAY_MS + ms_in_day - (int64_t)c->utc_offset_s * 1000;
}

static int64_t ms_in_local_day(const fq_calendar *c, int64_t instant_ms, int64_t day_number)
{
    return clamp_instant(instant_ms) + (int64_t)c->utc_offset_s * 1000 - day_number * FQ_CAL_DAY_MS;
}

static int64_t next_working_day(const fq_calendar *c, int64_t day_number)
{
    do
        day_number++;
    while (!fq_calendar_is_working_day(c, day_number));
    return day_number;
}

static int64_t close_ms(const fq_calendar *c)
{
    return (int64_t)c->periods[c->n_periods - 1].end_min * 60000;
}

int64_t fq_calendar_add_working_days(const fq_calendar *c, int64_t start_ms, uint32_t n)
{
    int64_t day = fq_calendar_local_day(c, start_ms);
    if (n == 0) {
        if (fq_calendar_is_working_day(c, day) && ms_in_local_day(c, start_ms, day) < close_ms(c))
            return instant_of(c, day, close_ms(c));
        return instant_of(c, next_working_day(c, day), close_ms(c));
    }
    for (uint32_t i = 0; i < n; i++)
        day = next_working_day(c, day);
    return instant_of(c, day, close_ms(c));
}

int64_t fq_calendar_add_working_ms(const fq_calendar *c, int64_t start_ms, int64_t working_ms)
{
    if (working_ms <= 0)
        return start_ms;
    int64_t day = fq_calendar_local_day(c, start_ms);
    int64_t t = ms_in_local_day(c, start_ms, day);
    int64_t remaining = working_ms;
    for (;;) {
        if (fq_calendar_is_working_day(c, day)) {
            /* A whole working day from its start that is not the last one. */
            if (t == 0 && remaining > c->day_ms) {
                remaining -= c->day_ms;
            } else {
                for (unsigned i = 0; i < c->n_periods; i++) {
                    int64_t ps = (int64_t)c->periods[i].start_min * 60000;
                    int64_t pe = (int64_t)c->periods[i].end_min * 60000;
                    if (t >= pe)
                        continue;
                    int64_t from = t > ps ? t : ps;
                    if (remaining <= pe - from)
                        return instant_of(c, day, from + remaining);
                    remaining -= pe - from;
                }
            }
        }
        day++;
        t = 0;
        if (instant_of(c, day, 0) > MAX_INSTANT_MS)
            return MAX_INSTANT_MS;
    }
}

/* Working ms of one working day inside [lo, hi) local ms. */
static int64_t working_in_day(const fq_calendar *c, int64_t lo, int64_t hi)
{
    int64_t total = 0;
    for (unsigned i = 0; i < c->n_periods; i++) {
        int64_t ps = (int64_t)c->periods[i].start_min * 60000;
        int64_t pe = (int64_t)c->periods[i].end_min * 60000;
        int64_t a = lo > ps ? lo : ps, b = hi < pe ? hi : pe;
        if (b > a)
            total += b - a;
    }
    return total;
}

int64_t fq_calendar_working_ms_between(const fq_calendar *c, int64_t from_ms, int64_t to_ms)
{
    from_ms = clamp_instant(from_ms);
    to_ms = clamp_instant(to_ms);
    if (to_ms <= from_ms)
        return 0;
    int64_t first = fq_calendar_local_day(c, from_ms), last = fq_calendar_local_day(c, to_ms);
    int64_t lo = ms_in_local_day(c, from_ms, first), hi = ms_in_local_day(c, to_ms, last);
    if (first == last)
        return fq_calendar_is_working_day(c, first) ? working_in_day(c, lo, hi) : 0;
    int64_t total = 0;
    if (fq_calendar_is_working_day(c, first))
        total += working_in_day(c, lo, FQ_CAL_DAY_MS);
    for (int64_t d = first + 1; d < last; d++)
        if (fq_calendar_is_working_day(c, d))
            total += c->day_ms;
    if (fq_calendar_is_working_day(c, last))
        total += working_in_day(c, 0, hi);
    return total;
}

int64_t fq_calendar_sub_working_ms(const fq_calendar *c, int64_t end_ms, int64_t working_ms)
{
    if (working_ms <= 0)
        return end_ms;
    end_ms = clamp_instant(end_ms);
    int64_t day = fq_calendar_local_day(c, end_ms);
    int64_t t = ms_in_local_day(c, end_ms, day);
    int64_t remaining = working_ms;
    /* Walking back. Once the working time is all taken exactly at the start
     * of a period (remaining 0), the answer is the end of the working period
     * before it: the earliest instant with the same working time after it. */
    for (;;) {
        if (fq_calendar_is_working_day(c, day)) {
            /* A whole working day back from its end that is not the last. */
            if (t == FQ_CAL_DAY_MS && remaining > c->day_ms) {
                remaining -= c->day_ms;
            } else {
                for (int i = (int)c->n_periods - 1; i >= 0; i--) {
                    int64_t ps = (int64_t)c->periods[i].start_min * 60000;
                    int64_t pe = (int64_t)c->periods[i].end_min * 60000;
                    if (t <= ps)
                        continue;
                    int64_t to = t < pe ? t : pe;
                    if (remaining == 0)
                        return instant_of(c, day, to);
                    if (remaining < to - ps)
                        return instant_of(c, day, to - remaining);
                    remaining -= to - ps;
                    t = ps;
                }
            }
        }
        day--;
        t = FQ_CAL_DAY_MS;
        if (instant_of(c, day, FQ_CAL_DAY_MS) < MIN_INSTANT_MS)
            return MIN_INSTANT_MS;
    }
}

int64_t fq_limit_after_pause(const fq_calendar *c, int64_t due_ms, int64_t paused_ms,
                             int64_t resumed_ms)
{
    if (due_ms <= 0 || due_ms <= paused_ms || resumed_ms <= paused_ms)
        return due_ms;
    if (c == NULL)
        return due_ms + (resumed_ms - paused_ms);
    /* The working time left when paused. None left (paused after the last
     * working period before the limit) makes the limit due at resumption. */
    int64_t left = fq_calendar_working_ms_between(c, paused_ms, due_ms);
    return fq_calendar_add_working_ms(c, resumed_ms, left);
}
