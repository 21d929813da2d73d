/* Unit test of fq-console's pure pieces: the command line, durations and
 * times, display-width fitting, the statistics CSV and its table. */
#include "console.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_parse_commands(void **state)
{
    (void)state;
    fqcon_cmd c;
    char err[256];
    assert_int_equal(fqcon_parse_command("escalate 42 需要区级协调 now", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_ESCALATE);
    assert_int_equal(c.incident_id, 42);
    assert_string_equal(c.reason, "需要区级协调 now");

    assert_int_equal(fqcon_parse_command("escalate 42", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("escalate x reason", &c, err, sizeof err), -1);

    assert_int_equal(fqcon_parse_command("assign #7 unit xihu.public_security co a.b,c.d joint op",
                                         &c, err, sizeof err),
                     0);
    assert_int_equal(c.kind, FQCON_ASSIGN);
    assert_int_equal(c.incident_id, 7);
    assert_false(c.to_worker);
    assert_string_equal(c.target, "xihu.public_security");
    assert_int_equal(c.n_co, 2);
    assert_string_equal(c.co[1], "c.d");
    assert_string_equal(c.reason, "joint op");

    assert_int_equal(fqcon_parse_command("assign 7 worker g1.w2 closer", &c, err, sizeof err), 0);
    assert_true(c.to_worker);
    assert_int_equal(c.n_co, 0);
    assert_string_equal(c.reason, "closer");
    assert_int_equal(fqcon_parse_command("assign 7 team g1.w2 closer", &c, err, sizeof err), -1);

    assert_int_equal(fqcon_parse_command("merge 5 3 同一事件", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_MERGE);
    assert_int_equal(c.merge_into, 3);
    assert_int_equal(fqcon_parse_command("merge 5 5 itself", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("reopen 5 worker g1.w1 redo it", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_REOPEN);
    assert_true(c.to_worker);
    assert_string_equal(c.target, "g1.w1");
    assert_string_equal(c.reason, "redo it");
    assert_int_equal(fqcon_parse_command("reopen 5 群众不满意", &c, err, sizeof err), 0);
    assert_string_equal(c.target, "");
    assert_string_equal(c.reason, "群众不满意");
    assert_int_equal(fqcon_parse_command("followup 5 4 满意", &c, err, sizeof err), 0);
    assert_int_equal(c.satisfaction, 4);
    assert_int_equal(fqcon_parse_command("followup 5 6 ?", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("suspend 5 等待法院判决", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_SUSPEND);
    assert_true(fqcon_kind_acts_on_incident(c.kind));
    assert_string_equal(c.reason, "等待法院判决");
    assert_int_equal(fqcon_parse_command("resume 5 判决已下", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_RESUME);
    assert_int_equal(fqcon_parse_command("resume 5", &c, err, sizeof err), -1);
    /* Without a number: the incident on the detail screen (0 here). */
    assert_int_equal(fqcon_parse_command("suspend 等待 台风过境", &c, err, sizeof err), 0);
    assert_true(c.kind == FQCON_SUSPEND && c.incident_id == 0);
    assert_string_equal(c.reason, "等待 台风过境");
    assert_int_equal(fqcon_parse_command("resume 3天后复查", &c, err, sizeof err), 0);
    assert_true(c.kind == FQCON_RESUME && c.incident_id == 0);
    assert_string_equal(c.reason, "3天后复查");
    assert_int_equal(fqcon_parse_command("suspend", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("verify 5 现场核查属实", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_VERIFY);

    assert_int_equal(fqcon_parse_command("supervise 9 1h30m reply please", &c, err, sizeof err), 0);
    assert_int_equal(c.duration_ms, 90 * 60000);
    assert_int_equal(fqcon_parse_command("supervise 9 soon reply", &c, err, sizeof err), -1);

    assert_int_equal(
        fqcon_parse_command("filter tier=town line=market overdue", &c, err, sizeof err), 0);
    assert_int_equal(c.filter.tier, 2);
    assert_int_equal(c.filter.line, 2);
    assert_true(c.filter.overdue_only);
    assert_int_equal(fqcon_parse_command("filter clear", &c, err, sizeof err), 0);
    assert_true(c.filter_clear);
    assert_int_equal(fqcon_parse_command("filter tier=county", &c, err, sizeof err), -1);

    assert_int_equal(fqcon_parse_command("stats week by line", &c, err, sizeof err), 0);
    assert_string_equal(c.period, "week");
    assert_string_equal(c.by, "line");
    assert_int_equal(fqcon_parse_command("stats by planet", &c, err, sizeof err), -1);

    assert_int_equal(fqcon_parse_command("roster lingyin", &c, err, sizeof err), 0);
    assert_string_equal(c.town, "lingyin");
    assert_int_equal(fqcon_parse_command("quit", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_QUIT);
    assert_int_equal(fqcon_parse_command("frobnicate", &c, err, sizeof err), -1);
}

static void test_durations_and_times(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(fqcon_parse_duration("2h", &ms), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(fqcon_parse_duration("1d", &ms), 0);
    assert_int_equal(ms, 86400000);
    assert_int_equal(fqcon_parse_duration("30m", &ms), 0);
    assert_int_equal(ms, 1800000);
    assert_int_equal(fqcon_parse_duration("", &ms), -1);
    assert_int_equal(fqcon_parse_duration("2", &ms), -1);
    assert_int_equal(fqcon_parse_duration("0m", &ms), -1);

    assert_int_equal(fqcon_parse_time("1700000000000", 0, &ms), 0);
    assert_int_equal(ms, 1700000000000);
    assert_int_equal(fqcon_parse_time("now", 123, &ms), 0);
    assert_int_equal(ms, 123);
    assert_int_equal(fqcon_parse_time("2026-11-27T08:00:00Z", 0, &ms), 0);
    assert_int_equal(ms, INT64_C(1795766400000));
    assert_int_equal(fqcon_parse_time("2026-11-27 16:00+08:00", 0, &ms), 0);
    assert_int_equal(ms, INT64_C(1795766400000));
    assert_int_equal(fqcon_parse_time("2026-11-27T16:00+0800", 0, &ms), 0);
    assert_int_equal(ms, INT64_C(1795766400000));
    assert_int_equal(fqcon_parse_time("2026-13-01", 0, &ms), -1);
    assert_int_equal(fqcon_parse_time("yesterday", 0, &ms), -1);
    assert_int_equal(fqcon_parse_time("2026-11-27", 0, &ms), 0);

    int64_t from, to;
    assert_int_equal(fqcon_period("week", INT64_C(1795766400000), &from, &to), 0);
    assert_true(from <= to && to - from < 7 * 86400000LL);
    assert_int_equal(fqcon_period("year", 0, &from, &to), -1);

    char buf[32];
    fqcon_format_left(45 * 60000, 1, buf, sizeof buf);
    assert_string_equal(buf, "45m");
    fqcon_format_left(-(3 * 60 + 5) * 60000LL, 1, buf, sizeof buf);
    assert_string_equal(buf, "-3h05m");
    fqcon_format_left((2 * 24 + 4) * 3600000LL, 1, buf, sizeof buf);
    assert_string_equal(buf, "2d04h");
    fqcon_format_left(-29500, 1, buf, sizeof buf);
    assert_string_equal(buf, "-29s");
    fqcon_format_left(0, 0, buf, sizeof buf);
    assert_string_equal(buf, "-");
}

static void test_fit(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(fqcon_width("邻里纠纷"), 8);
    assert_int_equal(fqcon_width("ab"), 2);
    assert_int_equal(fqcon_fit("邻里纠纷", 10, 1, out, sizeof out), 10);
    assert_string_equal(out, "邻里纠纷  ");
    /* cut: 3 wide chars (6 columns) then the ellipsis = 7 of 7 */
    assert_int_equal(fqcon_fit("邻里纠纷调解", 7, 1, out, sizeof out), 7);
    assert_string_equal(out, "邻里纠…");
    /* a wide char that does not fit is not split: pad */
    assert_int_equal(fqcon_fit("邻里纠纷调解", 8, 1, out, sizeof out), 8);
    assert_string_equal(out, "邻里纠… ");
    assert_int_equal(fqcon_fit("a\tb", 3, 0, out, sizeof out), 3);
    assert_string_equal(out, "a b");
    assert_int_equal(fqcon_fit("abc", 5, 0, out, sizeof out), 3);
    assert_string_equal(out, "abc");
}

static void test_csv_and_table(void **state)
{
    (void)state;
    const char *text =
        "group,received,acknowledged,acknowledged_on_time,concluded,concluded_on_time,overdue,"
        "returned,redone,escalated,village_share,ack_mean_s,ack_p90_s,conclude_mean_s,"
        "conclude_p90_s,pending_over_1d,pending_over_3d,pending_over_7d,pending_over_30d\n"
        "lingyin,10,9,8,5,4,2,1,0,1,0.6,100,7200,1000,36000,0,0,0,0\n"
        "\"北山, 街道\",3,3,3,3,3,0,0,0,0,,10,20,30,40,0,0,0,0\n";
    fqcon_csv csv;
    assert_int_equal(fqcon_csv_parse(text, &csv), 0);
    assert_int_equal(csv.rows, 3);
    assert_int_equal(csv.cols, 19);
    assert_string_equal(fqcon_csv_cell(&csv, 1, "received"), "10");
    assert_string_equal(fqcon_csv_cell(&csv, 2, "group"), "北山, 街道");
    assert_string_equal(fqcon_csv_cell(&csv, 2, "village_share"), "");
    assert_string_equal(fqcon_csv_cell(&csv, 1, "nope"), "");
    char **lines;
    size_t n;
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 3);
    assert_non_null(strstr(lines[0], "received"));
    assert_non_null(strstr(lines[1], "60%"));
    assert_non_null(strstr(lines[1], "2.0")); /* ack p90 7200 s */
    assert_non_null(strstr(lines[1], "10.0"));
    assert_int_equal(fqcon_width(lines[0]), fqcon_width(lines[1]));
    assert_int_equal(fqcon_width(lines[1]), fqcon_width(lines[2]));
    fqcon_lines_free(lines, n);
    fqcon_csv_free(&csv);

    assert_int_equal(fqcon_csv_parse("", &csv), 0);
    assert_int_equal(csv.rows, 0);
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 1);
    fqcon_lines_free(lines, n);
    fqcon_csv_free(&csv);
}

/* Found by fuzz_console: a text ending right after a ',' lost (and leaked)
 * its last row; cells of zero-width characters overflowed a table line. */
static void test_csv_edges(void **state)
{
    (void)state;
    fqcon_csv csv;
    assert_int_equal(fqcon_csv_parse("group,received\nbeishan,", &csv), 0);
    assert_int_equal(csv.rows, 2);
    assert_int_equal(csv.cols, 2);
    assert_string_equal(fqcon_csv_cell(&csv, 1, "group"), "beishan");
    assert_string_equal(fqcon_csv_cell(&csv, 1, "received"), "");
    fqcon_csv_free(&csv);

    /* U+0301 (combining acute accent): 2 bytes, no column; 47 per cell. */
    char text[2048] = "group,received,acknowledged_on_time,concluded,concluded_on_time,overdue,"
                      "returned,escalated\nx";
    for (int c = 0; c < 7; c++) {
        strcat(text, ",");
        for (int i = 0; i < 47; i++)
            strcat(text, "\xcc\x81");
    }
    assert_int_equal(fqcon_csv_parse(text, &csv), 0);
    char **lines;
    size_t n;
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 2);
    assert_true(strlen(lines[1]) > 7 * 94); /* every cell whole */
    fqcon_lines_free(lines, n);
    fqcon_csv_free(&csv);

    /* Zero-width characters that fill the output leave room for the
     * padding: the cell is still exactly as wide as asked. */
    char marks[601] = "";
    for (int i = 0; i < 300; i++)
        strcat(marks, "\xcc\x81");
    char out[64];
    assert_int_equal(fqcon_fit(marks, 10, 1, out, sizeof out), 10);
    assert_int_equal(fqcon_width(out), 10);
}

int main(void)
{
    if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
        fprintf(stderr, "no C.UTF-8 locale\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_commands),
        cmocka_unit_test(test_durations_and_times),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_csv_and_table),
        cmocka_unit_test(test_csv_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
