/* Tests of the batch lookup of stored reports (stored_reports.h): its two
 * binary array parameters read back element by element, message ids that
 * are not 1 .. 2^63-1 and reports without parameters or node refused, and its rows — built as libpq
 * builds binary results — decoded into the answer of the op they name, NULLs as "none", and rows
 * that are not such rows refused without touching any op. */
#include "stored_reports.h"
#include "pgarray.h"
#include "write_params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pgfake.h"

enum { C_POS, C_ID, C_RECORDED, C_SEQ, C_DIGEST, C_OUTCOME, C_NONCE, NCOLS };

/* A report op whose parameters (only what the lookup reads) are in p. */
static void report_op(fq_store_op *op, fq_report_params *p, const char *node, uint64_t message_id)
{
    memset(op, 0, sizeof *op);
    memset(p, 0, sizeof *p);
    op->kind = FQ_STORE_OP_REPORT;
    p->node = node;
    p->message_id = message_id;
    op->report = p;
    op->incident_id = -7; /* untouched unless answered */
}

static void test_bind_reads_back(void **state)
{
    (void)state;
    fq_store_op a, b, c;
    fq_report_params pa, pb, pc;
    report_op(&a, &pa, "lingyin-platform", 1);
    report_op(&b, &pb, "西湖-12345", (uint64_t)INT64_MAX);
    report_op(&c, &pc, "lingyin-platform", 4242);
    fq_store_op *ops[] = {&a, &b, &c};
    fq_pgbuf buf = {0};
    const char *values[2];
    int lengths[2], formats[2];
    assert_int_equal(fq_stored_reports_bind(&buf, ops, 3, values, lengths, formats), 0);
    assert_int_equal(formats[0], 1);
    assert_int_equal(formats[1], 1);

    fq_pgarray_reader rd;
    const uint8_t *el;
    int32_t len;
    assert_int_equal(fq_pgarray_read_begin(&rd, values[0], (size_t)lengths[0], FQ_PG_TEXT), 0);
    for (int i = 0; i < 3; i++) {
        const char *node = ops[i]->report->node;
        assert_int_equal(fq_pgarray_read_next(&rd, &el, &len), 1);
        assert_int_equal(len, (int32_t)strlen(node));
        assert_memory_equal(el, node, strlen(node));
    }
    assert_int_equal(fq_pgarray_read_next(&rd, &el, &len), 0);

    const int64_t ids[] = {1, INT64_MAX, 4242};
    assert_int_equal(fq_pgarray_read_begin(&rd, values[1], (size_t)lengths[1], FQ_PG_INT8), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fq_pgarray_read_next(&rd, &el, &len), 1);
        assert_int_equal(len, 8);
        assert_true(fq_pg_get_int8(el) == ids[i]);
    }
    assert_int_equal(fq_pgarray_read_next(&rd, &el, &len), 0);
    fq_pgbuf_free(&buf);
}

static void test_bind_refuses_bad_reports(void **state)
{
    (void)state;
    fq_pgbuf buf = {0};
    for (int k = 0; k < 5; k++) {
        fq_store_op a, b;
        fq_report_params pa, pb;
        report_op(&a, &pa, "n", 5);
        report_op(&b, &pb, "n", 6);
        if (k == 0)
            pb.message_id = 0;
        else if (k == 1)
            pb.message_id = (uint64_t)INT64_MAX + 1;
        else if (k == 2)
            pb.message_id = UINT64_MAX;
        else if (k == 3)
            pb.node = NULL;
        else
            b.report = NULL;
        fq_store_op *ops[] = {&a, &b};
        const char *values[2];
        int lengths[2], formats[2];
        assert_int_equal(fq_stored_reports_bind(&buf, ops, 2, values, lengths, formats), -1);
    }
    fq_pgbuf_free(&buf);
}

/* A result of `rows` rows, all with the columns of a good row for the op at
 * 1-based position `pos`. */
static PGresult *good_rows(int rows, int pos)
{
    PGresult *res = pgfake_result(NCOLS, 1);
    uint8_t digest[32];
    for (int i = 0; i < 32; i++)
        digest[i] = (uint8_t)(0xa0 + i);
    for (int r = 0; r < rows; r++) {
        pgfake_put_int8(res, r, C_POS, pos);
        pgfake_put_int8(res, r, C_ID, 90001);
        /* 2023-11-14 22:13:20.123456 UTC: .123456 s is 123 ms */
        pgfake_put_time_us(res, r, C_RECORDED, INT64_C(1700000000123456));
        pgfake_put_int8(res, r, C_SEQ, 777);
        pgfake_put(res, r, C_DIGEST, digest, 32);
        pgfake_put(res, r, C_OUTCOME, "\x08\x02\x10\x01", 4);
        pgfake_put_int8(res, r, C_NONCE, 4611686018427387905);
    }
    return res;
}

static void test_row_answers_its_op(void **state)
{
    (void)state;
    fq_store_op a, b;
    fq_report_params pa, pb;
    report_op(&a, &pa, "n", 1);
    report_op(&b, &pb, "n", 2);
    fq_store_op *ops[] = {&a, &b};
    PGresult *res = good_rows(1, 2);
    assert_int_equal(fq_stored_report_row(res, 0, ops, 2), 1);
    assert_true(a.incident_id == -7 && a.got_row == 0);
    assert_true(b.incident_id == 90001);
    assert_int_equal(b.created, 0);
    assert_true(b.recorded_at_ms == INT64_C(1700000000123));
    assert_true(b.event_seq == 777);
    for (int i = 0; i < 32; i++)
        assert_int_equal(b.stored_digest[i], 0xa0 + i);
    assert_int_equal(b.stored_outcome_len, 4);
    assert_memory_equal(b.stored_outcome, "\x08\x02\x10\x01", 4);
    assert_true(b.stored_nonce == 4611686018427387905);
    assert_int_equal(b.got_row, 1);
    PQclear(res);

    /* No outcome and no nonce: answered without them. */
    report_op(&a, &pa, "n", 1);
    res = good_rows(1, 1);
    pgfake_put_null(res, 0, C_OUTCOME);
    pgfake_put_null(res, 0, C_NONCE);
    a.stored_outcome_len = 99;
    assert_int_equal(fq_stored_report_row(res, 0, ops, 2), 0);
    assert_int_equal(a.stored_outcome_len, 0);
    assert_true(a.stored_nonce == 0);
    assert_int_equal(a.got_row, 1);
    PQclear(res);
}

static void test_bad_rows_touch_nothing(void **state)
{
    (void)state;
    fq_store_op a, b;
    fq_report_params pa, pb;
    fq_store_op *ops[] = {&a, &b};
    uint8_t big[FQ_STORE_MAX_OUTCOME + 1];
    memset(big, 1, sizeof big);
    for (int k = 0; k < 9; k++) {
        report_op(&a, &pa, "n", 1);
        report_op(&b, &pb, "n", 2);
        PGresult *res = good_rows(1, 1);
        int row = 0;
        switch (k) {
        case 0:
            pgfake_put_int8(res, 0, C_POS, 0); /* positions are 1-based */
            break;
        case 1:
            pgfake_put_int8(res, 0, C_POS, 3); /* beyond the ops */
            break;
        case 2:
            pgfake_put(res, 0, C_DIGEST, "short", 5);
            break;
        case 3:
            pgfake_put_null(res, 0, C_DIGEST);
            break;
        case 4:
            pgfake_put(res, 0, C_OUTCOME, big, (int)sizeof big);
            break;
        case 5:
            pgfake_put_null(res, 0, C_ID);
            break;
        case 6:
            pgfake_put(res, 0, C_SEQ, "\x01\x02\x03", 3); /* not an integer's size */
            break;
        case 7:
            row = 1; /* no such row */
            break;
        case 8:
            PQclear(res);
            res = pgfake_result(NCOLS - 1, 1); /* another statement's columns */
            pgfake_put_int8(res, 0, C_POS, 1);
            break;
        }
        assert_int_equal(fq_stored_report_row(res, row, ops, 2), -1);
        assert_true(a.incident_id == -7 && a.got_row == 0);
        assert_true(b.incident_id == -7 && b.got_row == 0);
        PQclear(res);
    }
    /* Text rows are not read as binary. */
    report_op(&a, &pa, "n", 1);
    PGresult *res = pgfake_result(NCOLS, 0);
    for (int c = 0; c < NCOLS; c++)
        pgfake_put_text(res, 0, c, "1");
    assert_int_equal(fq_stored_report_row(res, 0, ops, 2), -1);
    assert_true(a.incident_id == -7);
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_reads_back),
        cmocka_unit_test(test_bind_refuses_bad_reports),
        cmocka_unit_test(test_row_answers_its_op),
        cmocka_unit_test(test_bad_rows_touch_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
