/* calendar: dates, the official 2026 arrangement of China (the State
 * Council General Office's notice of 2025-11-04, examples/calendar-2026.json)
 * by hand: working days around holidays and make-up days, N working days
 * across the Spring Festival and National Day, from a holiday, after hours,
 * over year ends into a year not imported; working time added and elapsed,
 * period edges and lunch breaks; and a seeded property test: the working time
 * between an instant and that instant plus W of working time is W; working
 * time taken back (warnings) across lunch, National Day, a make-up Saturday
 * and year ends, and a property test that it is the earliest such instant. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "calendar.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define BEIJING (8 * 3600)

/* A Beijing local time as an instant. */
static int64_t at(int y, int mo, int d, int h, int mi)
{
    return fq_cal_day_from_date(y, mo, d) * FQ_CAL_DAY_MS + (h * 60 + mi) * MIN_MS -
           BEIJING * 1000LL;
}

static void set_range(fq_calendar *c, int y, int mo, int d_from, int d_to, int working)
{
    char err[128];
    for (int d = d_from; d <= d_to; d++)
        assert_int_equal(fq_calendar_set_day(c, y, mo, d, working, err, sizeof err), 0);
}

/* 2026 as published: 08:30-12:00 and 13:30-17:30 working hours. */
static void china_2026(fq_calendar *c)
{
    char err[128];
    fq_calendar_init(c, BEIJING);
    const fq_cal_period hours[] = {{8 * 60 + 30, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
    assert_int_equal(fq_calendar_set_periods(c, hours, 2, err, sizeof err), 0);
    assert_int_equal(fq_calendar_cover_year(c, 2026, err, sizeof err), 0);
    set_range(c, 2026, 1, 1, 3, 0); /* 元旦 */
    set_range(c, 2026, 1, 4, 4, 1);
    set_range(c, 2026, 2, 15, 23, 0); /* 春节 */
    set_range(c, 2026, 2, 14, 14, 1);
    set_range(c, 2026, 2, 28, 28, 1);
    set_range(c, 2026, 4, 4, 6, 0); /* 清明节 */
    set_range(c, 2026, 5, 1, 5, 0); /* 劳动节 */
    set_range(c, 2026, 5, 9, 9, 1);
    set_range(c, 2026, 6, 19, 21, 0); /* 端午节 */
    set_range(c, 2026, 9, 25, 27, 0); /* 中秋节 */
    set_range(c, 2026, 10, 1, 7, 0);  /* 国庆节 */
    set_range(c, 2026, 9, 20, 20, 1);
    set_range(c, 2026, 10, 10, 10, 1);
}

static int working(const fq_calendar *c, int y, int m, int d)
{
    return fq_calendar_is_working_day(c, fq_cal_day_from_date(y, m, d));
}

static void test_dates(void **state)
{
    (void)state;
    assert_int_equal(fq_cal_day_from_date(1970, 1, 1), 0);
    assert_int_equal(fq_cal_day_from_date(2000, 3, 1) - fq_cal_day_from_date(2000, 2, 28), 2);
    assert_int_equal(fq_cal_day_from_date(2100, 3, 1) - fq_cal_day_from_date(2100, 2, 28), 1);
    assert_int_equal(fq_cal_weekday(fq_cal_day_from_date(2026, 1, 1)), 3);   /* Thursday */
    assert_int_equal(fq_cal_weekday(fq_cal_day_from_date(1969, 12, 29)), 0); /* Monday */
    assert_true(fq_cal_valid_date(2024, 2, 29));
    assert_false(fq_cal_valid_date(2026, 2, 29));
    assert_false(fq_cal_valid_date(2026, 13, 1));
    assert_false(fq_cal_valid_date(0, 1, 1));
    for (int64_t d = fq_cal_day_from_date(1, 1, 1); d <= fq_cal_day_from_date(9999, 12, 31);
         d += 17) {
        int y, m, dd;
        fq_cal_date_from_day(d, &y, &m, &dd);
        assert_true(fq_cal_valid_date(y, m, dd));
        assert_int_equal(fq_cal_day_from_date(y, m, dd), d);
    }
}

static void test_working_days_2026(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    assert_true(fq_calendar_covers_year(&c, 2026));
    assert_false(fq_calendar_covers_year(&c, 2027));
    assert_false(working(&c, 2026, 1, 1));
    assert_true(working(&c, 2026, 1, 4));   /* Sunday, make-up */
    assert_true(working(&c, 2026, 2, 14));  /* Saturday, make-up */
    assert_false(working(&c, 2026, 2, 16)); /* Monday, Spring Festival */
    assert_false(working(&c, 2026, 2, 23));
    assert_true(working(&c, 2026, 2, 24));
    assert_true(working(&c, 2026, 2, 28));
    assert_false(working(&c, 2026, 3, 1));
    assert_true(working(&c, 2026, 9, 20));
    assert_false(working(&c, 2026, 10, 7));
    assert_true(working(&c, 2026, 10, 10));
    /* Years not imported follow the weekly rule. */
    assert_false(working(&c, 2027, 1, 2));
    assert_true(working(&c, 2027, 1, 1));
    assert_true(working(&c, 1999, 12, 31));
    assert_true(working(&c, 2100, 1, 1));
    /* Local days: 2026-01-03T16:00Z is 2026-01-04 00:00 in Beijing. */
    assert_int_equal(fq_calendar_local_day(&c, at(2026, 1, 4, 0, 0)),
                     fq_cal_day_from_date(2026, 1, 4));
    assert_int_equal(fq_calendar_local_day(&c, at(2026, 1, 4, 0, 0) - 1),
                     fq_cal_day_from_date(2026, 1, 3));
}

static void test_add_working_days(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    /* Five working days from a Monday: the Saturday make-up day is the 5th. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 2, 9, 10, 0), 5),
                     at(2026, 2, 14, 17, 30));
    /* Across the Spring Festival: Feb 14, then Feb 24 and 25. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 2, 13, 9, 0), 3),
                     at(2026, 2, 25, 17, 30));
    /* From a holiday: the first working day after it. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 2, 18, 10, 0), 1),
                     at(2026, 2, 24, 17, 30));
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 2, 18, 10, 0), 0),
                     at(2026, 2, 24, 17, 30));
    /* After hours or during them: the start day is not counted either way. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 3, 2, 18, 0), 1),
                     at(2026, 3, 3, 17, 30));
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 3, 2, 8, 0), 1),
                     at(2026, 3, 3, 17, 30));
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 3, 2, 9, 0), 0),
                     at(2026, 3, 2, 17, 30));
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 3, 2, 17, 30), 0),
                     at(2026, 3, 3, 17, 30));
    /* National Day: Oct 8, 9, 10 (Saturday, make-up), 12, 13. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 9, 30, 16, 0), 5),
                     at(2026, 10, 13, 17, 30));
    /* Friday before the make-up Sunday Sep 20: Sunday counts. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 9, 18, 11, 0), 1),
                     at(2026, 9, 20, 17, 30));
    /* Year end into the New Year holiday, then its make-up Sunday. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2025, 12, 31, 10, 0), 1),
                     at(2026, 1, 4, 17, 30));
    /* Year end into 2027, not imported: the weekly rule (Jan 1 a Friday). */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 12, 31, 10, 0), 2),
                     at(2027, 1, 4, 17, 30));
}

static void test_add_working_time(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    /* One hour on Friday, one on the make-up Saturday. */
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 2, 13, 16, 30), 2 * HOUR_MS),
                     at(2026, 2, 14, 9, 30));
    /* Ending exactly at the close: the close, not the next morning. */
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 15, 30), 2 * HOUR_MS),
                     at(2026, 3, 2, 17, 30));
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 11, 0), HOUR_MS),
                     at(2026, 3, 2, 12, 0));
    /* From the lunch break, before hours, after hours. */
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 12, 30), 30 * MIN_MS),
                     at(2026, 3, 2, 14, 0));
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 7, 0), MIN_MS),
                     at(2026, 3, 2, 8, 31));
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 20, 0), MIN_MS),
                     at(2026, 3, 3, 8, 31));
    /* Three whole working days. */
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 3, 2, 8, 30), 3 * c.day_ms),
                     at(2026, 3, 4, 17, 30));
    /* Over the Spring Festival. */
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 2, 14, 17, 0), HOUR_MS),
                     at(2026, 2, 24, 9, 0));
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 2, 14, 17, 0), 0),
                     at(2026, 2, 14, 17, 0));

    assert_int_equal(
        fq_calendar_working_ms_between(&c, at(2026, 2, 13, 16, 30), at(2026, 2, 24, 9, 0)),
        HOUR_MS + c.day_ms + 30 * MIN_MS);
    assert_int_equal(
        fq_calendar_working_ms_between(&c, at(2026, 2, 16, 0, 0), at(2026, 2, 23, 23, 0)), 0);
    assert_int_equal(
        fq_calendar_working_ms_between(&c, at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)),
        HOUR_MS + 30 * MIN_MS);
    assert_int_equal(fq_calendar_working_ms_between(&c, at(2026, 3, 3, 0, 0), at(2026, 3, 2, 0, 0)),
                     0);
    /* National Day week: only the make-up Sunday before it and the days after. */
    assert_int_equal(
        fq_calendar_working_ms_between(&c, at(2026, 9, 30, 17, 30), at(2026, 10, 9, 8, 30)),
        c.day_ms);
}

static void test_whole_days_and_offset(void **state)
{
    (void)state;
    char err[128];
    fq_calendar c;
    fq_calendar_init(&c, BEIJING);
    assert_int_equal(c.day_ms, FQ_CAL_DAY_MS);
    /* The close of a whole day is the next local midnight. */
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 1, 2, 10, 0), 1),
                     at(2026, 1, 6, 0, 0));
    assert_int_equal(fq_calendar_add_working_ms(&c, at(2026, 1, 2, 23, 0), 2 * HOUR_MS),
                     at(2026, 1, 5, 1, 0));
    /* UTC: the same wall times are 8 hours later as instants. */
    fq_calendar u;
    fq_calendar_init(&u, 0);
    assert_int_equal(fq_calendar_add_working_days(&u, at(2026, 1, 2, 10, 0), 1),
                     at(2026, 1, 6, 8, 0));
    /* A six-day week. */
    assert_int_equal(fq_calendar_set_weekly(&c, 0x3f, err, sizeof err), 0);
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 1, 2, 10, 0), 1),
                     at(2026, 1, 4, 0, 0));
}

static void test_refusals(void **state)
{
    (void)state;
    char err[128];
    fq_calendar c;
    fq_calendar_init(&c, BEIJING);
    fq_cal_period bad_order[] = {{13 * 60, 17 * 60}, {8 * 60, 12 * 60}};
    fq_cal_period empty[] = {{600, 600}};
    fq_cal_period late[] = {{600, 1441}};
    fq_cal_period many[5] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}};
    assert_int_equal(fq_calendar_set_periods(&c, bad_order, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "period 2"));
    assert_int_equal(fq_calendar_set_periods(&c, empty, 1, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_periods(&c, late, 1, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_periods(&c, many, 5, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_periods(&c, many, 0, err, sizeof err), -1);
    assert_int_equal(c.day_ms, FQ_CAL_DAY_MS); /* unchanged */
    assert_int_equal(fq_calendar_set_weekly(&c, 0, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_offset(&c, 15 * 3600, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_day(&c, 2026, 2, 29, 0, err, sizeof err), -1);
    assert_int_equal(fq_calendar_set_day(&c, 2100, 1, 1, 0, err, sizeof err), -1);
    assert_int_equal(fq_calendar_cover_year(&c, 1999, err, sizeof err), -1);
    /* Every date of the bitmap off: the search goes past it, to the weekly rule. */
    for (int i = 0; i < (FQ_CAL_DAYS + 63) / 64; i++)
        c.working[i] = 0;
    assert_int_equal(fq_calendar_add_working_days(&c, at(2026, 1, 1, 10, 0), 1),
                     at(2100, 1, 2, 0, 0)); /* 2100-01-01 is a Friday */
}

static void test_property_add_then_between(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    srand(12);
    int64_t lo = at(2025, 12, 1, 0, 0), span = at(2027, 2, 1, 0, 0) - lo;
    for (int i = 0; i < 20000; i++) {
        int64_t start = lo + (int64_t)((double)rand() / RAND_MAX * (double)span);
        int64_t amount = (int64_t)rand() % (20 * c.day_ms);
        int64_t end = fq_calendar_add_working_ms(&c, start, amount);
        assert_true(end >= start);
        assert_int_equal(fq_calendar_working_ms_between(&c, start, end), amount);
        int64_t due = fq_calendar_add_working_days(&c, start, (uint32_t)(i % 12));
        assert_true(due > start || i % 12 == 0);
        assert_true(fq_calendar_is_working_day(&c, fq_calendar_local_day(&c, due - 1)));
    }
}

static void test_sub_working_time(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    /* Inside a period. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 11, 0), HOUR_MS),
                     at(2026, 3, 3, 10, 0));
    /* 0 is the instant itself, working time or not. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 12, 45), 0),
                     at(2026, 3, 3, 12, 45));
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 10, 3, 12, 0), 0),
                     at(2026, 10, 3, 12, 0));
    /* Over the lunch break: an hour back from 14:00 is 11:30. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 14, 0), HOUR_MS),
                     at(2026, 3, 3, 11, 30));
    /* Taken exactly at a period's start: the earliest instant, the close of
     * the period before (12:00, not 13:30; the previous close, not 08:30). */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 14, 30), HOUR_MS),
                     at(2026, 3, 3, 12, 0));
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 9, 30), HOUR_MS),
                     at(2026, 3, 2, 17, 30));
    /* A whole working day back from a close: the close of the day before. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 17, 30), c.day_ms),
                     at(2026, 3, 2, 17, 30));
    /* From after hours or a holiday: counted from the last close. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 3, 20, 0), HOUR_MS),
                     at(2026, 3, 3, 16, 30));
    /* Across National Day: an hour before Oct 8 09:30 is Sep 30 17:30; one
     * working day before the close of Oct 8 is the close of Sep 30. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 10, 8, 9, 30), HOUR_MS),
                     at(2026, 9, 30, 17, 30));
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 10, 8, 17, 30), c.day_ms),
                     at(2026, 9, 30, 17, 30));
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 10, 8, 9, 30), 2 * HOUR_MS),
                     at(2026, 9, 30, 16, 30));
    /* A make-up Saturday counts: back from Monday Oct 12 10:00 by 2 hours is
     * Saturday Oct 10 17:00. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 10, 12, 10, 0), 2 * HOUR_MS),
                     at(2026, 10, 10, 17, 0));
    /* Across the year end and the New Year holiday: Jan 4 (make-up Sunday)
     * 09:00 back by an hour is Dec 31 17:00. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 1, 4, 9, 0), HOUR_MS),
                     at(2025, 12, 31, 17, 0));
    /* Into 2027 (not imported, weekly rule): Mon Jan 4 2027 09:00 back by an
     * hour is Fri Jan 1 17:00. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2027, 1, 4, 9, 0), HOUR_MS),
                     at(2027, 1, 1, 17, 0));
    /* Whole days: three working days back from Wednesday's close, through a
     * Sunday, to the close of the make-up Saturday Feb 28. */
    assert_int_equal(fq_calendar_sub_working_ms(&c, at(2026, 3, 4, 17, 30), 3 * c.day_ms),
                     at(2026, 2, 28, 17, 30));
}

static void test_property_sub_is_earliest(void **state)
{
    (void)state;
    fq_calendar c;
    china_2026(&c);
    srand(21);
    int64_t lo = at(2025, 12, 1, 0, 0), span = at(2027, 2, 1, 0, 0) - lo;
    for (int i = 0; i < 20000; i++) {
        int64_t end = lo + (int64_t)((double)rand() / RAND_MAX * (double)span);
        int64_t amount = 1 + (int64_t)rand() % (20 * c.day_ms);
        int64_t t = fq_calendar_sub_working_ms(&c, end, amount);
        assert_true(t <= end);
        assert_int_equal(fq_calendar_working_ms_between(&c, t, end), amount);
        /* Earliest: a millisecond before adds working time. */
        assert_int_equal(fq_calendar_working_ms_between(&c, t - 1, end), amount + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_working_days_2026),
        cmocka_unit_test(test_add_working_days),
        cmocka_unit_test(test_add_working_time),
        cmocka_unit_test(test_whole_days_and_offset),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_property_add_then_between),
        cmocka_unit_test(test_sub_working_time),
        cmocka_unit_test(test_property_sub_is_earliest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
