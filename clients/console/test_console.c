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

/* A table from text written like CSV (rows by line, cells by comma; a cell
 * in double quotes may hold a comma): the rows as the server sends them. */
static int table_of(const char *text, fqcon_table *t)
{
    memset(t, 0, sizeof *t);
    char cell[64][1024];
    char *cells[64];
    size_t n = 0, len = 0;
    int quoted = 0;
    for (const char *p = text;; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (*p != '\0' && (quoted || (*p != ',' && *p != '\n'))) {
            assert_true(len + 1 < sizeof cell[0]);
            cell[n][len++] = *p;
            continue;
        }
        if (*p == '\0' && n == 0 && len == 0)
            return 0;
        cell[n][len] = '\0';
        cells[n] = cell[n];
        n++;
        len = 0;
        assert_true(n < 64);
        if (*p == ',')
            continue;
        if (fqcon_table_add_row(t, cells, n) != 0)
            return -1;
        n = 0;
        if (*p == '\0' || p[1] == '\0')
            return 0;
    }
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
    fqcon_table csv;
    assert_int_equal(table_of(text, &csv), 0);
    assert_int_equal(csv.rows, 3);
    assert_int_equal(csv.cols, 19);
    assert_string_equal(fqcon_table_cell(&csv, 1, "received"), "10");
    assert_string_equal(fqcon_table_cell(&csv, 2, "group"), "北山, 街道");
    assert_string_equal(fqcon_table_cell(&csv, 2, "village_share"), "");
    assert_string_equal(fqcon_table_cell(&csv, 1, "nope"), "");
    char **lines;
    size_t n;
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 4); /* header, two groups, totals */
    assert_non_null(strstr(lines[0], "received"));
    assert_non_null(strstr(lines[1], "60%"));
    assert_non_null(strstr(lines[1], "2.0"));  /* ack p90 7200 s, in hours */
    assert_non_null(strstr(lines[1], "10.0")); /* conclude p90 36000 s */
    assert_non_null(strstr(lines[1], "80%"));  /* 4 of 5 concluded on time */
    assert_int_equal(fqcon_width(lines[0]), fqcon_width(lines[1]));
    assert_int_equal(fqcon_width(lines[1]), fqcon_width(lines[2]));
    assert_int_equal(fqcon_width(lines[2]), fqcon_width(lines[3]));
    /* the totals: counts summed, rates from the summed counts */
    assert_true(strncmp(lines[3], "total", 5) == 0);
    assert_non_null(strstr(lines[3], "  13  ")); /* received 10 + 3 */
    /* concluded on time (4 + 3) of concluded (5 + 3): 88%, not the mean of
     * 80% and 100% (90%) */
    assert_non_null(strstr(lines[3], "88%"));
    assert_null(strstr(lines[3], "90%"));
    fqcon_lines_free(lines, n);
    fqcon_table_free(&csv);

    assert_int_equal(table_of("", &csv), 0);
    assert_int_equal(csv.rows, 0);
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 1);
    fqcon_lines_free(lines, n);
    fqcon_table_free(&csv);
}

/* Found by fuzz_console: a row whose last cell is empty; cells of
 * zero-width characters overflowed a table line. */
static void test_csv_edges(void **state)
{
    (void)state;
    fqcon_table csv;
    assert_int_equal(table_of("group,received\nbeishan,", &csv), 0);
    assert_int_equal(csv.rows, 2);
    assert_int_equal(csv.cols, 2);
    assert_string_equal(fqcon_table_cell(&csv, 1, "group"), "beishan");
    assert_string_equal(fqcon_table_cell(&csv, 1, "received"), "");
    fqcon_table_free(&csv);

    /* U+0301 (combining acute accent): 2 bytes, no column; 47 per cell. */
    char text[2048] = "group,received,acknowledged_on_time,concluded,concluded_on_time,overdue,"
                      "returned,escalated\nx";
    for (int c = 0; c < 7; c++) {
        strcat(text, ",");
        for (int i = 0; i < 47; i++)
            strcat(text, "\xcc\x81");
    }
    assert_int_equal(table_of(text, &csv), 0);
    char **lines;
    size_t n;
    assert_int_equal(fqcon_stats_table(&csv, &lines, &n), 0);
    assert_int_equal(n, 3);
    assert_true(strlen(lines[1]) > 7 * 94); /* every cell whole */
    fqcon_lines_free(lines, n);
    fqcon_table_free(&csv);

    /* Zero-width characters that fill the output leave room for the
     * padding: the cell is still exactly as wide as asked. */
    char marks[601] = "";
    for (int i = 0; i < 300; i++)
        strcat(marks, "\xcc\x81");
    char out[64];
    assert_int_equal(fqcon_fit(marks, 10, 1, out, sizeof out), 10);
    assert_int_equal(fqcon_width(out), 10);
}

/* Totals that need weights: the village share and the mean hours come back
 * to counts and seconds before they are summed. */
static void test_stats_totals(void **state)
{
    (void)state;
    const char *text =
        "group,received,acknowledged,acknowledged_on_time,concluded,concluded_on_time,overdue,"
        "returned,redone,escalated,village_share,ack_mean_s,ack_p90_s,conclude_mean_s,"
        "conclude_p90_s,pending_over_1d,pending_over_3d,pending_over_7d,pending_over_30d,"
        "suspended,suspended_now,suspended_mean_s\n"
        "a,4,4,4,4,4,0,0,0,0,1.0,3600,3600,7200,7200,0,0,0,0,3,0,3600\n"
        "b,1,1,1,1,1,0,0,0,0,0.0,36000,36000,36000,36000,0,0,0,0,1,1,18000\n";
    fqcon_table csv;
    assert_int_equal(table_of(text, &csv), 0);
    char **lines;
    size_t n;
    int group_w;
    assert_int_equal(fqcon_stats_table_named(&csv, NULL, NULL, &lines, &n, &group_w), 0);
    assert_int_equal(n, 4);
    /* village: 4 of 5 = 80% (not the mean of 100% and 0%); ack mean:
     * (4 x 1 h + 1 x 10 h) / 5 = 2.8 h (not 5.5); conclude mean (4 x 2 h +
     * 10 h) / 5 = 3.6 h; the p90s are not summed */
    assert_non_null(strstr(lines[3], "80%"));
    assert_non_null(strstr(lines[3], "2.8"));
    assert_non_null(strstr(lines[3], "3.6"));
    assert_null(strstr(lines[3], "5.5"));
    /* suspended: (3 x 1 h + 1 x 5 h) / 4 = 2.0 h, not the 3.0 h mean of the means */
    assert_non_null(strstr(lines[3], "2.0"));
    assert_null(strstr(lines[3], "3.0"));
    assert_non_null(strstr(lines[0], "susp. mean h"));
    assert_non_null(strstr(lines[3], "—"));
    assert_int_equal(group_w, fqcon_width("total") + 2);
    /* every heading once */
    const char *heads[] = {"received",       "acknowledged", "acked on time", "concluded",
                           "concl. on time", "ack mean h",   "ack p90 h"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        const char *first = strstr(lines[0], heads[i]);
        assert_non_null(first);
        char padded[64];
        snprintf(padded, sizeof padded, "  %s  ", heads[i]);
        const char *p = strstr(lines[0], padded);
        if (p != NULL)
            assert_null(strstr(p + 1, padded));
    }
    fqcon_lines_free(lines, n);
    fqcon_table_free(&csv);
}

/* The board at 80 columns: every line fits, the holder, the state and the
 * time left keep their room, the title gives way first. */
static void test_board_layout(void **state)
{
    (void)state;
    fqcon_layout l80, l100, l200;
    fqcon_board_layout(80, 5, 8, &l80);
    fqcon_board_layout(100, 5, 8, &l100);
    fqcon_board_layout(200, 5, 8, &l200);
    const char *cells[FQCON_BOARD_COLS] = {
        [FQCON_COL_ID] = "#1234",
        [FQCON_COL_SEV] = "III",
        [FQCON_COL_CATEGORY] = "邻里纠纷",
        [FQCON_COL_TITLE] = "北山街道某小区楼道堆物严重影响消防通道，群众多次反映",
        [FQCON_COL_PLACE] = "灵隐街道/灵隐村第一网格",
        [FQCON_COL_TIERLINE] = "村社级/综治工作",
        [FQCON_COL_HOLDER] = "网格员 王某",
        [FQCON_COL_STATE] = "签收超时",
        [FQCON_COL_LEFT] = "-3h05m"};
    char out[2048];
    assert_int_equal(fqcon_board_line(&l80, "!", cells, out, sizeof out), 80);
    assert_int_equal(fqcon_width(out), 80);
    assert_non_null(strstr(out, "网格员 王某"));
    assert_non_null(strstr(out, "签收超时"));
    assert_non_null(strstr(out, "-3h05m"));
    assert_non_null(strstr(out, "#1234"));
    assert_non_null(strstr(out, "…")); /* the title was cut */
    assert_int_equal(l80.width[FQCON_COL_TIERLINE], 0);
    assert_true(l80.width[FQCON_COL_TITLE] >= 6);
    /* more room: the title takes it; tier/line comes back when it fits */
    assert_true(l100.width[FQCON_COL_TITLE] >= l80.width[FQCON_COL_TITLE]);
    assert_true(l100.width[FQCON_COL_PLACE] > l80.width[FQCON_COL_PLACE]);
    assert_int_equal(fqcon_board_line(&l100, " ", cells, out, sizeof out), 100);
    assert_int_equal(fqcon_width(out), 100);
    assert_true(l200.width[FQCON_COL_TIERLINE] > 0);
    assert_true(l200.width[FQCON_COL_TITLE] >= 40);
    assert_int_equal(fqcon_board_line(&l200, " ", cells, out, sizeof out), 200);
    assert_non_null(strstr(out, "北山街道某小区楼道堆物严重影响消防通道，群众多次反映"));
    /* the state column at its widest (English "to acknowledge") */
    fqcon_layout e80;
    fqcon_board_layout(80, 5, 14, &e80);
    cells[FQCON_COL_STATE] = "to acknowledge";
    assert_int_equal(fqcon_board_line(&e80, " ", cells, out, sizeof out), 80);
    assert_non_null(strstr(out, "网格员 王某"));
    assert_non_null(strstr(out, "-3h05m"));
    /* the narrowest window the console draws */
    fqcon_layout l40;
    fqcon_board_layout(40, 5, 8, &l40);
    assert_true(fqcon_board_line(&l40, " ", cells, out, sizeof out) <= 40);
    assert_true(l40.width[FQCON_COL_HOLDER] >= 8 && l40.width[FQCON_COL_LEFT] == 7);
}

static void test_slice_and_zone(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(fqcon_slice("abcdef", 2, 3, out, sizeof out), 3);
    assert_string_equal(out, "cde");
    /* a wide character cut by an edge becomes spaces */
    assert_int_equal(fqcon_slice("灵隐街道", 1, 4, out, sizeof out), 4);
    assert_string_equal(out, " 隐 ");
    assert_int_equal(fqcon_width(out), 4);
    assert_int_equal(fqcon_slice("ab", 5, 3, out, sizeof out), 3);
    assert_string_equal(out, "   ");

    /* the district's time: +08:00 by default, then whatever the server says */
    int64_t ms;
    fqcon_set_utc_offset(8 * 3600);
    assert_int_equal(fqcon_parse_time("2026-11-27 16:00", 0, &ms), 0);
    assert_int_equal(ms, INT64_C(1795766400000));
    char buf[32];
    fqcon_format_clock(INT64_C(1795766400000), 1, buf, sizeof buf);
    assert_string_equal(buf, "11-27 16:00");
    int64_t from, to;
    /* 2026-11-27 23:30 +08:00 is 15:30 UTC: "today" began at 00:00 +08:00 */
    assert_int_equal(fqcon_period("today", INT64_C(1795793400000), &from, &to), 0);
    assert_int_equal(from, INT64_C(1795708800000));
    fqcon_set_utc_offset(0);
    fqcon_format_clock(INT64_C(1795766400000), 1, buf, sizeof buf);
    assert_string_equal(buf, "11-27 08:00");
    fqcon_set_utc_offset(8 * 3600);
}

static void test_open_search_ids(void **state)
{
    (void)state;
    fqcon_cmd c;
    char err[256];
    assert_int_equal(fqcon_parse_command("open #17", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_OPEN);
    assert_int_equal(c.incident_id, 17);
    assert_false(fqcon_kind_acts_on_incident(c.kind));
    assert_int_equal(fqcon_parse_command("open", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("open 17 18", &c, err, sizeof err), -1);
    assert_int_equal(fqcon_parse_command("search  楼道 堆物 ", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_SEARCH);
    assert_string_equal(c.text, "楼道 堆物");
    assert_int_equal(fqcon_parse_command("search", &c, err, sizeof err), -1);
    char long_text[256] = "search "; /* 7 + 65 x 3 bytes */
    for (int i = 0; i < 65; i++)
        strcat(long_text, "灵");
    assert_int_equal(fqcon_parse_command(long_text, &c, err, sizeof err), -1);
    long_text[strlen(long_text) - 3] = '\0'; /* 64 characters */
    assert_int_equal(fqcon_parse_command(long_text, &c, err, sizeof err), 0);
    assert_int_equal(fqcon_parse_command("ids", &c, err, sizeof err), 0);
    assert_int_equal(c.kind, FQCON_IDS);
}

static void test_timeline_reason(void **state)
{
    (void)state;
    char out[256];
    /* fengqiaod's own: the label; the sentence only beside it with ids. */
    fqcon_timeline_reason(
        "acknowledge_overdue",
        "acknowledge limit passed at the town tier: escalated to the district tier", 0, 0, out,
        sizeof out);
    assert_string_equal(out, "acknowledge limit passed");
    fqcon_timeline_reason("rule", "by rule 3 of set 1: town tier, governance line", 0, 1, out,
                          sizeof out);
    assert_string_equal(out, "by a routing rule: by rule 3 of set 1: town tier, governance line");
    /* A person's: their words, after the label when it says the ground. */
    fqcon_timeline_reason("operator_choice", "同意延期", 1, 0, out, sizeof out);
    assert_string_equal(out, "同意延期");
    fqcon_timeline_reason("returned_wrong_jurisdiction", "不在本网格", 1, 0, out, sizeof out);
    assert_string_equal(out, "returned: not ours: 不在本网格");
    /* No code (stored before codes): as stored; an unknown code as itself. */
    fqcon_timeline_reason("", "by the built-in principle: village tier", 0, 0, out, sizeof out);
    assert_string_equal(out, "by the built-in principle: village tier");
    fqcon_timeline_reason("newer_code", "", 0, 0, out, sizeof out);
    assert_string_equal(out, "newer_code");
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
        cmocka_unit_test(test_stats_totals),
        cmocka_unit_test(test_board_layout),
        cmocka_unit_test(test_slice_and_zone),
        cmocka_unit_test(test_open_search_ids),
        cmocka_unit_test(test_timeline_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
