/* Tests of the console's row decoders (console_rows.h): rows built as libpq
 * builds binary results (PQsetResultAttrs, PQsetvalue) from bytes a real
 * PostgreSQL 15 sent (int8send, int4send, boolsend, float8send,
 * timestamptz_send, array_send of text[]), every column of a summary read
 * back, times rounded to the millisecond on both sides of 1970, the board's
 * sort key, a timeline event and its photos; rows that are not such rows
 * refused. */
#include "console_rows.h"
#include "statements.h"
#include "store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pgfake.h"

/* Bytes as PostgreSQL sent them (SELECT encode(xxxsend(...), 'hex')). */
#define PG_INT8_42 "000000000000002a"
#define PG_INT4_3 "00000003"
#define PG_INT4_2 "00000002"
#define PG_INT4_1 "00000001"
#define PG_INT4_0 "00000000"
#define PG_INT4_MINUS_1 "ffffffff"
#define PG_BOOL_TRUE "01"
#define PG_BOOL_FALSE "00"
/* ARRAY['lingyin.dept', 'x.fire']::text[] and '{}'::text[] */
#define PG_TEXT_ARRAY_TWO                                                                          \
    "00000001000000000000001900000002000000010000000c6c696e6779696e2e6465707400000006782e66697265"
#define PG_TEXT_ARRAY_EMPTY "000000000000000000000019"
/* 2026-12-07 01:02:03.4565+00 (1796605323456500 µs since 1970) */
#define PG_TIME_LATE "000304ff8ae34ff4"
/* 1969-12-31 23:59:59.9994+00 (-600 µs) */
#define PG_TIME_BEFORE_1970 "fffca2fec4c81da8"
#define PG_FLOAT8_120_15 "405e09999999999a"
#define PG_FLOAT8_30_25 "403e400000000000"
#define PG_INT8_MAX "7fffffffffffffff"

enum { SUMMARY = FQ_CONSOLE_SUMMARY_COLUMNS };

/* A summary row of an open incident held by a town's department with two
 * co-handlers, overdue at the conclude limit. */
static void put_summary(PGresult *res, int row)
{
    pgfake_put_hex(res, row, 0, PG_INT8_42);
    pgfake_put_text(res, row, 1, "hazard.flood");
    pgfake_put_hex(res, row, 2, PG_INT4_3);
    pgfake_put_hex(res, row, 3, PG_INT4_1);
    pgfake_put_text(res, row, 4, "积水");
    pgfake_put_text(res, row, 5, "灵隐路 1 号");
    pgfake_put_text(res, row, 6, "lingyin-v1-g1");
    pgfake_put_text(res, row, 7, "lingyin");
    pgfake_put_hex(res, row, 8, PG_INT4_2);
    pgfake_put_hex(res, row, 9, PG_INT4_MINUS_1);
    pgfake_put_text(res, row, 10, "lingyin.dept");
    pgfake_put_text(res, row, 11, "");
    pgfake_put_hex(res, row, 12, PG_TEXT_ARRAY_TWO);
    pgfake_put_text(res, row, 13, "assigned");
    pgfake_put_text(res, row, 14, "acknowledged");
    pgfake_put_hex(res, row, 15, PG_TIME_LATE);
    pgfake_put_null(res, row, 16);
    pgfake_put_hex(res, row, 17, PG_TIME_BEFORE_1970);
    pgfake_put_hex(res, row, 18, PG_BOOL_TRUE);
    pgfake_put_hex(res, row, 19, PG_INT4_2);
    pgfake_put_text(res, row, 20, "lingyin-platform");
    pgfake_put_null(res, row, 21);
    pgfake_put_hex(res, row, 22, PG_INT4_2);
    pgfake_put_text(res, row, 23, "K4");
    pgfake_put_hex(res, row, 24, PG_BOOL_FALSE);
    pgfake_put_hex(res, row, 25, PG_TIME_LATE);
    pgfake_put_text(res, row, 26, "等待鉴定");
}

static void test_summary(void **state)
{
    (void)state;
    PGresult *res = pgfake_result(SUMMARY + 4, 1);
    put_summary(res, 0);
    pgfake_put_hex(res, 0, SUMMARY, PG_INT4_0);
    pgfake_put_hex(res, 0, SUMMARY + 1, PG_INT8_MAX);
    pgfake_put_hex(res, 0, SUMMARY + 2, PG_FLOAT8_120_15);
    pgfake_put_hex(res, 0, SUMMARY + 3, PG_FLOAT8_30_25);
    Fengqiao__V1__IncidentSummary s;
    char *co[4];
    char co_buf[64];
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), 0);
    assert_int_equal(s.incident_id, 42);
    assert_string_equal(s.category, "hazard.flood");
    assert_int_equal(s.severity, 3);
    assert_int_equal(s.risk, 1);
    assert_string_equal(s.title, "积水");
    assert_string_equal(s.address, "灵隐路 1 号");
    assert_string_equal(s.territory, "lingyin-v1-g1");
    assert_string_equal(s.town, "lingyin");
    assert_int_equal(s.tier, 2);
    assert_int_equal(s.line, 0); /* stored NULL (-1): the wire's "none" */
    assert_string_equal(s.lead_unit, "lingyin.dept");
    assert_string_equal(s.worker, "");
    assert_int_equal(s.n_co_units, 2);
    assert_string_equal(s.co_units[0], "lingyin.dept");
    assert_string_equal(s.co_units[1], "x.fire");
    assert_string_equal(s.state, "assigned");
    assert_string_equal(s.assignment, "acknowledged");
    assert_int_equal(s.recorded_at_ms, INT64_C(1796605323457)); /* .4565 ms rounds up */
    assert_int_equal(s.acknowledge_due_ms, 0);                  /* NULL */
    assert_int_equal(s.conclude_due_ms, -1);                    /* -0.6 ms: the nearest */
    assert_true(s.overdue);
    assert_int_equal(s.escalations, 2);
    assert_string_equal(s.reporter_node, "lingyin-platform");
    assert_int_equal(s.supervision_due_ms, 0);
    assert_int_equal(s.overdue_limits, 2);
    assert_string_equal(s.external_ref, "K4");
    assert_false(s.working_time);
    assert_int_equal(s.suspended_at_ms, INT64_C(1796605323457));
    assert_string_equal(s.suspend_reason, "等待鉴定");

    Fengqiao__V1__GeoPoint point;
    assert_int_equal(fq_console_point(res, 0, SUMMARY + 2, &point), 1);
    assert_true(point.lon == 120.15 && point.lat == 30.25);
    fq_console_open_key key;
    assert_int_equal(fq_console_open_key_row(res, 0, &key), 0);
    assert_int_equal(key.not_overdue, 0);
    assert_int_equal(key.severity, 3);
    assert_int_equal(key.due_us, INT64_MAX); /* no limit */
    assert_int_equal(key.id, 42);

    /* More co-handlers than the caller holds: the first ones. */
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 1, co_buf, sizeof co_buf), 0);
    assert_int_equal(s.n_co_units, 1);
    assert_string_equal(s.co_units[0], "lingyin.dept");
    PQclear(res);
}

static void test_no_point_no_co(void **state)
{
    (void)state;
    PGresult *res = pgfake_result(SUMMARY + 2, 1);
    put_summary(res, 0);
    pgfake_put_hex(res, 0, 12, PG_TEXT_ARRAY_EMPTY);
    pgfake_put_null(res, 0, SUMMARY);
    pgfake_put_null(res, 0, SUMMARY + 1);
    Fengqiao__V1__IncidentSummary s;
    char *co[4];
    char co_buf[64];
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), 0);
    assert_int_equal(s.n_co_units, 0);
    Fengqiao__V1__GeoPoint point;
    assert_int_equal(fq_console_point(res, 0, SUMMARY, &point), 0);
    assert_int_equal(fq_console_point(res, 0, SUMMARY + 5, &point), 0); /* no such columns */
    PQclear(res);
}

static void test_not_a_summary(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s;
    char *co[4];
    char co_buf[64];
    /* Text results (a binder that did not ask for binary). */
    PGresult *res = pgfake_result(SUMMARY, 0);
    put_summary(res, 0);
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), -1);
    PQclear(res);
    /* An int2 where an int4 is read; a text where an array is. */
    res = pgfake_result(SUMMARY, 1);
    put_summary(res, 0);
    pgfake_put_hex(res, 0, 2, "0003");
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), -1);
    pgfake_put_hex(res, 0, 2, PG_INT4_3);
    pgfake_put_text(res, 0, 12, "{lingyin.dept}");
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), -1);
    PQclear(res);
    /* Too few columns; no such row. */
    res = pgfake_result(SUMMARY - 1, 1);
    assert_int_equal(fq_console_summary_row(res, 0, &s, co, 4, co_buf, sizeof co_buf), -1);
    PQclear(res);
    assert_int_equal(fq_console_summary_row(NULL, 0, &s, co, 4, co_buf, sizeof co_buf), -1);
}

/* FQ_SQL_CONSOLE_INCIDENT's columns after the summary. */
enum {
    INC_DESC = SUMMARY,
    INC_SEQ,
    INC_KIND,
    INC_ACTOR,
    INC_AT,
    INC_REASON,
    INC_ACTOR_NAME,
    INC_LON,
    INC_LAT,
    INC_REASON_CODE,
    INC_PHOTO_IDS,
    INC_PHOTO_TYPES,
    INC_PHOTO_SIZES,
    INC_PHOTO_WIDTHS,
    INC_PHOTO_HEIGHTS,
    INC_PHOTO_SHAS,
    INC_PHOTO_NAMES,
    INC_END
};

/* The photos' array columns as PostgreSQL sends them (array_agg, binary),
 * n photos; widths 640, 641, ... and heights 480, 481, ... */
static void put_photos(PGresult *res, int row, int n, const int64_t *ids, const char *const *types,
                       const int32_t *sizes, const uint8_t (*shas)[32], const char *const *names)
{
    fq_pgbuf buf = {0};
    fq_pgarray a[7];
    static const uint32_t oids[7] = {FQ_PG_INT8, FQ_PG_TEXT,  FQ_PG_INT4, FQ_PG_INT4,
                                     FQ_PG_INT4, FQ_PG_BYTEA, FQ_PG_TEXT};
    size_t off[7], len[7];
    for (int c = 0; c < 7; c++) {
        fq_pgarray_begin(&a[c], &buf, oids[c]);
        for (int k = 0; k < n; k++) {
            switch (c) {
            case 0:
                fq_pgarray_int8(&a[c], ids[k]);
                break;
            case 1:
                fq_pgarray_text(&a[c], types[k], strlen(types[k]));
                break;
            case 2:
                fq_pgarray_int4(&a[c], sizes[k]);
                break;
            case 3:
                fq_pgarray_int4(&a[c], 640 + k);
                break;
            case 4:
                fq_pgarray_int4(&a[c], 480 + k);
                break;
            case 5:
                fq_pgarray_bytea(&a[c], shas[k], 32);
                break;
            default:
                fq_pgarray_text(&a[c], names[k], strlen(names[k]));
                break;
            }
        }
        assert_int_equal(fq_pgarray_end(&a[c], &off[c], &len[c]), 0);
    }
    for (int c = 0; c < 7; c++)
        pgfake_put(res, row, INC_PHOTO_IDS + c, buf.data + off[c], (int)len[c]);
    fq_pgbuf_free(&buf);
}

static void test_timeline(void **state)
{
    (void)state;
    PGresult *res = pgfake_result(INC_END, 1);
    for (int r = 0; r < 2; r++)
        put_summary(res, r);
    pgfake_put_text(res, 0, INC_DESC, "地下车库进水");
    pgfake_put_hex(res, 0, INC_SEQ, PG_INT8_42);
    pgfake_put_text(res, 0, INC_KIND, "concluded");
    pgfake_put_text(res, 0, INC_ACTOR, "t1");
    pgfake_put_hex(res, 0, INC_AT, PG_TIME_LATE);
    pgfake_put_text(res, 0, INC_REASON, "已排水");
    pgfake_put_text(res, 0, INC_ACTOR_NAME, "王五");
    pgfake_put_hex(res, 0, INC_LON, PG_FLOAT8_120_15);
    pgfake_put_hex(res, 0, INC_LAT, PG_FLOAT8_30_25);
    pgfake_put_text(res, 0, INC_REASON_CODE, "");
    const int64_t ids[] = {7, 9};
    const char *const types[] = {"image/png", "image/jpeg"};
    const int32_t sizes[] = {1024, 2048};
    uint8_t shas[2][32];
    for (int i = 0; i < 32; i++) {
        shas[0][i] = (uint8_t)(0x11 * (i % 16));
        shas[1][i] = (uint8_t)(0xff - 0x11 * (i % 16));
    }
    const char *const names[] = {"排水后 1.png", ""};
    put_photos(res, 0, 2, ids, types, sizes, (const uint8_t(*)[32])shas, names);
    pgfake_put_text(res, 1, INC_DESC, "");
    pgfake_put_null(res, 1, INC_SEQ);
    for (int c = INC_KIND; c < INC_END; c++)
        pgfake_put_null(res, 1, c);

    assert_string_equal(fq_console_description(res, 0), "地下车库进水");
    Fengqiao__V1__TimelineEvent ev;
    assert_int_equal(fq_console_event_row(res, 0, &ev), 1);
    assert_int_equal(ev.seq, 42);
    assert_string_equal(ev.kind, "concluded");
    assert_string_equal(ev.actor, "t1");
    assert_int_equal(ev.at_ms, INT64_C(1796605323457));
    assert_string_equal(ev.reason, "已排水");
    assert_string_equal(ev.actor_name, "王五");
    assert_string_equal(ev.reason_code, "");
    Fengqiao__V1__TimelineAttachment att[4];
    uint8_t sha[4][32];
    char *copy = NULL;
    assert_int_equal(fq_console_event_attachments(res, 0, att, sha, 4, &copy), 2);
    assert_int_equal(att[0].id, 7);
    assert_string_equal(att[0].content_type, "image/png");
    assert_int_equal(att[0].size, 1024);
    assert_int_equal(att[0].width, 640);
    assert_int_equal(att[0].height, 480);
    assert_int_equal(att[0].sha256.len, 32);
    assert_int_equal(att[0].sha256.data[1], 0x11);
    assert_string_equal(att[0].name, "排水后 1.png");
    assert_int_equal(att[1].id, 9);
    assert_string_equal(att[1].content_type, "image/jpeg");
    assert_int_equal(att[1].size, 2048);
    assert_int_equal(att[1].width, 641);
    assert_int_equal(att[1].height, 481);
    assert_int_equal(att[1].sha256.data[0], 0xff);
    assert_string_equal(att[1].name, "");
    free(copy);
    /* Arrays of different lengths are no photos this server wrote. */
    PGresult *odd = pgfake_result(INC_END, 1);
    put_summary(odd, 0);
    for (int c = INC_DESC; c < INC_END; c++)
        pgfake_put_text(odd, 0, c, "");
    put_photos(odd, 0, 2, ids, types, sizes, (const uint8_t(*)[32])shas, names);
    {
        fq_pgbuf b = {0};
        fq_pgarray one;
        size_t o, l;
        fq_pgarray_begin(&one, &b, FQ_PG_INT8);
        fq_pgarray_int8(&one, 7);
        assert_int_equal(fq_pgarray_end(&one, &o, &l), 0);
        pgfake_put(odd, 0, INC_PHOTO_IDS, b.data + o, (int)l);
        fq_pgbuf_free(&b);
    }
    assert_int_equal(fq_console_event_attachments(odd, 0, att, sha, 4, &copy), 0);
    free(copy);
    PQclear(odd);
    /* At most `max`. */
    assert_int_equal(fq_console_event_attachments(res, 0, att, sha, 1, &copy), 1);
    free(copy);

    /* The row of an incident with no events (after the cursor). */
    assert_int_equal(fq_console_event_row(res, 1, &ev), 0);
    assert_int_equal(fq_console_event_attachments(res, 1, att, sha, 4, &copy), 0);
    assert_null(copy);
    assert_int_equal(fq_console_event_row(res, 2, &ev), -1); /* no such row */
    PQclear(res);
}

static void test_binders(void **state)
{
    (void)state;
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_console_read_params p;
    /* A search for a number: the id, the pattern with LIKE's characters
     * escaped, the text whole; the first page. */
    fq_console_search_bind(&op, &p, "xihu", "42", 201, 0);
    assert_string_equal(op.statement, FQ_SQL_CONSOLE_SEARCH_NAME);
    assert_int_equal(op.nparams, 6);
    assert_int_equal(op.result_format, 1);
    assert_string_equal(op.values[0], "xihu");
    assert_string_equal(op.values[1], "42");
    assert_string_equal(op.values[2], "%42%");
    assert_string_equal(op.values[3], "42");
    assert_string_equal(op.values[4], "201");
    assert_null(op.values[5]);
    fq_console_search_bind(&op, &p, "xihu", "50%_\\x", 10, 77);
    assert_null(op.values[1]);
    assert_string_equal(op.values[2], "%50\\%\\_\\\\x%");
    assert_string_equal(op.values[5], "77");
    /* The board: the wire's line (0 any) as stored (-1 any); the key after
     * the first page. */
    fq_console_open_filter f = {2, "lingyin", 0, "", 3, 1, 0};
    fq_console_open_bind(&op, &p, "xihu", &f, 201, 1000, NULL);
    assert_string_equal(op.statement, FQ_SQL_CONSOLE_OPEN_NAME);
    assert_int_equal(op.nparams, 14);
    assert_string_equal(op.values[1], "2");
    assert_string_equal(op.values[2], "lingyin");
    assert_string_equal(op.values[3], "-1");
    assert_string_equal(op.values[5], "true");
    assert_string_equal(op.values[7], "false");
    assert_string_equal(op.values[8], "1000");
    assert_null(op.values[9]);
    assert_null(op.values[12]);
    assert_string_equal(op.values[13], "3");
    fq_console_open_key after = {1, 4, 5000, 9};
    fq_console_open_bind(&op, &p, "xihu", &f, 201, 1000, &after);
    assert_string_equal(op.values[9], "1");
    assert_string_equal(op.values[12], "9");
    /* Statistics in text. */
    fq_console_stats_bind(&op, &p, "xihu", 1, 2, "town", 0, 1001);
    assert_int_equal(op.result_format, 0);
    assert_string_equal(op.values[3], "town");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),       cmocka_unit_test(test_no_point_no_co),
        cmocka_unit_test(test_not_a_summary), cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_binders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
