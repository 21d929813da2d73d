/* Tests of the write statements' binders (write_params.h): each binds as
 * many parameters as its statement's text uses — counted here from the SQL
 * itself, so neither side can drift — with the store's plan as the last
 * FQ_STORE_PLAN_NPARAMS, and the events it plans read their actor and
 * payload from the fields that carry them; the numbers go binary where the
 * statement's text says it reads them; and each statement's binary row is
 * read by its one decoder (the outbox items from PostgreSQL's own bytes). */
#include "outbox.h"
#include "outbox_rows.h"
#include "pgarray.h"
#include "statements.h"
#include "write_params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The highest $n of a statement's text; every $1..$n before the plan must
 * occur (of the plan, a statement reads only what it needs: one that
 * creates no incident never reads the created id). */
static int sql_params(const char *sql, int plan)
{
    int highest = 0;
    unsigned char seen[256] = {0};
    for (const char *p = sql; *p; p++) {
        if (*p != '$' || p[1] < '0' || p[1] > '9')
            continue;
        int n = (int)strtol(p + 1, NULL, 10);
        if (n < (int)sizeof seen)
            seen[n] = 1;
        if (n > highest)
            highest = n;
    }
    for (int i = 1; i <= (plan ? highest - FQ_STORE_PLAN_NPARAMS : highest); i++)
        if (!seen[i])
            return -i; /* a gap: $i is never used */
    return highest;
}

static void check_count(enum fq_write_statement which, const char *sql, int nparams_macro,
                        const fq_store_op *op)
{
    int n = sql_params(sql, 1);
    assert_int_equal(fq_write_params_count(which), n);
    assert_int_equal(op->nparams, n);
    assert_int_equal(nparams_macro, n);
    assert_int_equal(op->plan.first_param, n - FQ_STORE_PLAN_NPARAMS);
}

/* The $n that follows `marker` in a statement's text (0: no such text):
 * where a statement says which parameter a column takes. */
static int param_after(const char *sql, const char *marker)
{
    const char *at = strstr(sql, marker);
    return at != NULL ? (int)strtol(at + strlen(marker), NULL, 10) : 0;
}

/* Parameter $n of op (1-based) is binary of `len` bytes (0: NULL). */
static void expect_binary(const fq_store_op *op, int n, int len)
{
    assert_true(n >= 1 && n <= op->nparams);
    assert_int_equal(op->formats[n - 1], 1);
    if (len == 0) {
        assert_null(op->values[n - 1]);
    } else {
        assert_non_null(op->values[n - 1]);
        assert_int_equal(op->lengths[n - 1], len);
    }
}

static int64_t int8_at(const fq_store_op *op, int n)
{
    return fq_pg_get_int8((const uint8_t *)op->values[n - 1]);
}

static int bool_at(const fq_store_op *op, int n)
{
    expect_binary(op, n, 1);
    return op->values[n - 1][0] != 0;
}

static const uint8_t digest[32] = {1, 2, 3};
static const uint8_t envelope[5] = {9, 8, 7, 6, 5};
static const uint8_t outcome[3] = {4, 4, 4};

static void test_report(void **state)
{
    (void)state;
    fq_outbox_set items;
    fq_outbox_init(&items);
    fq_route_params route = {.assigned = 1, .tier = 2, .line = 1, .territory = "t1", .lead = "h1"};
    fq_report_params p = {.node = "n1",
                          .message_id = 7,
                          .body_digest = digest,
                          .category = "c",
                          .envelope = envelope,
                          .envelope_len = sizeof envelope,
                          .state = "assigned",
                          .event_kind = "assigned",
                          .reason = "why",
                          .route = &route,
                          .merged_into = 42,
                          .outcome = outcome,
                          .outcome_len = sizeof outcome,
                          .nonce = 5,
                          .outbox = &items};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_report_params_bind(&p, &op);
    check_count(FQ_WRITE_REPORT, FQ_SQL_INSERT_REPORT, FQ_SQL_INSERT_REPORT_NPARAMS, &op);
    assert_ptr_equal(op.report, &p);
    assert_int_equal(op.kind, FQ_STORE_OP_REPORT);
    /* reported (node, envelope), the routing event (its outcome), the
     * merge's report_merged. */
    assert_int_equal(op.plan.nevents, 3);
    assert_true(op.plan.creates_incident);
    assert_ptr_equal(op.values[op.plan.events[0].actor_param], p.node);
    assert_ptr_equal(op.values[op.plan.events[0].payload_param], envelope);
    assert_int_equal(op.lengths[op.plan.events[0].payload_param], sizeof envelope);
    assert_ptr_equal(op.values[op.plan.events[1].payload_param], outcome);
    assert_int_equal(op.plan.events[2].incident_id, 42);
    assert_ptr_equal(op.plan.outbox, &items);
    /* Nothing beyond the statement's parameters. */
    for (int i = op.nparams; i < FQ_STORE_MAX_PARAMS; i++)
        assert_null(op.values[i]);
    fq_outbox_free(&items);
}

static void test_reroute_and_event(void **state)
{
    (void)state;
    fq_route_params route = {.assigned = 1, .tier = 3};
    fq_reroute_params r = {.incident_id = 9,
                           .route = &route,
                           .event_kind = "escalated",
                           .reason = "why",
                           .outcome = outcome,
                           .outcome_len = sizeof outcome};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_reroute_params_bind(&r, &op);
    check_count(FQ_WRITE_REROUTE, FQ_SQL_REROUTE, FQ_SQL_REROUTE_NPARAMS, &op);
    assert_int_equal(op.plan.nevents, 1);
    assert_int_equal(op.plan.events[0].incident_id, 9);
    assert_ptr_equal(op.values[op.plan.events[0].payload_param], outcome);

    fq_event_params e = {.incident_id = 9, .kind = "warned", .reason = "soon"};
    fq_event_params_bind(&e, &op);
    check_count(FQ_WRITE_EVENT, FQ_SQL_INSERT_EVENT, FQ_SQL_INSERT_EVENT_NPARAMS, &op);
    assert_int_equal(op.plan.nevents, 1);
    assert_int_equal(op.plan.events[0].payload_param, -1);
    assert_null(op.plan.outbox);
    /* Bound afresh: nothing of the longer statement before is left. */
    for (int i = op.nparams; i < FQ_STORE_MAX_PARAMS; i++)
        assert_null(op.values[i]);
}

static void test_action(void **state)
{
    (void)state;
    fq_action_params a = {.node = "n1",
                          .message_id = 3,
                          .digest = digest,
                          .envelope = envelope,
                          .envelope_len = sizeof envelope,
                          .incident_id = 11,
                          .kind = "merged",
                          .note = "same",
                          .merged_into = 12};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_action_params_bind(&a, &op);
    check_count(FQ_WRITE_ACTION, FQ_SQL_ACTION, FQ_SQL_ACTION_NPARAMS, &op);
    assert_int_equal(op.plan.nevents, 2);
    assert_ptr_equal(op.values[op.plan.events[0].actor_param], a.node);
    assert_ptr_equal(op.values[op.plan.events[0].payload_param], envelope);
    assert_int_equal(op.plan.events[1].incident_id, 12);
    assert_string_equal(op.plan.events[1].reason, "incident 11 merged into it");
    /* Every result in binary; the ids as int8, where the statement reads them. */
    assert_int_equal(op.result_format, 1);
    int mid = param_after(FQ_SQL_ACTION, "message_id = $");
    int id = param_after(FQ_SQL_ACTION, "WHERE id = $");
    expect_binary(&op, mid, 8);
    assert_int_equal(int8_at(&op, mid), 3);
    expect_binary(&op, id, 8);
    assert_int_equal(int8_at(&op, id), 11);
}

/* The supervision order's deadline and the suspension, as the statement
 * reads them: whether each changes (bool) and its time (timestamptz, NULL
 * to clear) — no text to compare with ''. */
static void test_action_changes(void **state)
{
    (void)state;
    char marker[96];
    int supervises = param_after(FQ_SQL_ACTION, "supervision_due = CASE WHEN $");
    snprintf(marker, sizeof marker, "supervision_due = CASE WHEN $%d THEN $", supervises);
    int supervision = param_after(FQ_SQL_ACTION, marker);
    int suspends = param_after(FQ_SQL_ACTION, "AND (NOT $");
    snprintf(marker, sizeof marker, "AND (NOT $%d::boolean OR (suspended_at IS NULL) = ($",
             suspends);
    int suspension = param_after(FQ_SQL_ACTION, marker);
    assert_true(supervises > 0 && supervision > 0 && suspends > 0 && suspension > 0);
    fq_action_params a = {.node = "n1",
                          .message_id = 3,
                          .digest = digest,
                          .envelope = envelope,
                          .envelope_len = sizeof envelope,
                          .incident_id = 11,
                          .kind = "supervised",
                          .note = "n"};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    /* Keep both. */
    fq_action_params_bind(&a, &op);
    assert_false(bool_at(&op, supervises));
    expect_binary(&op, supervision, 0);
    assert_false(bool_at(&op, suspends));
    expect_binary(&op, suspension, 0);
    /* Set the order's deadline; end the suspension. */
    a.supervision = FQ_PARAM_SET;
    a.supervision_ms = 1765000000123;
    a.suspension = FQ_PARAM_CLEAR;
    fq_action_params_bind(&a, &op);
    assert_true(bool_at(&op, supervises));
    expect_binary(&op, supervision, 8);
    assert_int_equal(fq_pg_get_timestamptz((const uint8_t *)op.values[supervision - 1]),
                     1765000000123000);
    assert_true(bool_at(&op, suspends));
    expect_binary(&op, suspension, 0);
    /* Clear the order; suspend. */
    a.supervision = FQ_PARAM_CLEAR;
    a.suspension = FQ_PARAM_SET;
    a.suspend_ms = 1765000000456;
    a.suspend_reason = "court";
    fq_action_params_bind(&a, &op);
    assert_true(bool_at(&op, supervises));
    expect_binary(&op, supervision, 0);
    assert_true(bool_at(&op, suspends));
    expect_binary(&op, suspension, 8);
    assert_int_equal(fq_pg_get_timestamptz((const uint8_t *)op.values[suspension - 1]),
                     1765000000456000);
}

static void test_aftercare_and_upward(void **state)
{
    (void)state;
    fq_aftercare_params c = {.node = "n1",
                             .digest = digest,
                             .incident_id = 5,
                             .kind = "verified",
                             .reason = "ok",
                             .envelope = envelope,
                             .envelope_len = sizeof envelope,
                             .jurisdiction = "d1"};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_aftercare_params_bind(&c, &op);
    check_count(FQ_WRITE_AFTERCARE, FQ_SQL_AFTERCARE, FQ_SQL_AFTERCARE_NPARAMS, &op);
    assert_string_equal(op.statement, FQ_SQL_AFTERCARE_NAME);
    assert_ptr_equal(op.values[op.plan.events[0].payload_param], envelope);
    assert_int_equal(op.result_format, 1);
    expect_binary(&op, param_after(FQ_SQL_AFTERCARE, "message_id = $"), 8);
    expect_binary(&op, param_after(FQ_SQL_AFTERCARE, "WHERE id = $"), 8);
    expect_binary(&op, param_after(FQ_SQL_AFTERCARE, "satisfaction = coalesce($"), 0);
    c.satisfaction = 4;
    fq_aftercare_params_bind(&c, &op);
    int sat = param_after(FQ_SQL_AFTERCARE, "satisfaction = coalesce($");
    expect_binary(&op, sat, 2);
    assert_int_equal(fq_pg_get_int2((const uint8_t *)op.values[sat - 1]), 4);

    fq_upward_attempt_params u = {.delivery_id = "x", .accepted = 1, .incident_id = 5};
    fq_upward_attempt_params_bind(&u, &op);
    check_count(FQ_WRITE_UPWARD_ATTEMPT, FQ_SQL_UPWARD_ATTEMPT, FQ_SQL_UPWARD_ATTEMPT_NPARAMS, &op);
    assert_int_equal(op.plan.nevents, 2); /* the attempt and its acknowledgement */
    /* The status (none without an answer), the delay, the verdict and the
     * nonce in binary. */
    expect_binary(&op, param_after(FQ_SQL_UPWARD_ATTEMPT, "last_status = $"), 0);
    int delay = param_after(FQ_SQL_UPWARD_ATTEMPT, "next_attempt_at = now() + $");
    expect_binary(&op, delay, 8);
    assert_true(bool_at(&op, param_after(FQ_SQL_UPWARD_ATTEMPT, "acknowledged_at = CASE WHEN $")));
    expect_binary(&op, param_after(FQ_SQL_UPWARD_ATTEMPT, "VALUES ($"), 8);
    u.answered = 1;
    u.http_status = 503;
    u.accepted = 0;
    fq_upward_attempt_params_bind(&u, &op);
    int status = param_after(FQ_SQL_UPWARD_ATTEMPT, "last_status = $");
    expect_binary(&op, status, 4);
    assert_int_equal(fq_pg_get_int4((const uint8_t *)op.values[status - 1]), 503);
    assert_false(bool_at(&op, param_after(FQ_SQL_UPWARD_ATTEMPT, "acknowledged_at = CASE WHEN $")));
}

/* A one-row result as PostgreSQL hands it over: columns in `format`,
 * values (NULL: SQL NULL) of the given lengths. */
static PGresult *row_result(int n, int format, const void *const *values, const int *lengths)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    assert_non_null(res);
    PGresAttDesc cols[8];
    memset(cols, 0, sizeof cols);
    for (int c = 0; c < n; c++) {
        cols[c].name = (char *)"c";
        cols[c].format = format;
        cols[c].typlen = -1;
    }
    assert_true(PQsetResultAttrs(res, n, cols));
    for (int c = 0; c < n; c++)
        assert_true(PQsetvalue(res, 0, c, (char *)values[c], values[c] ? lengths[c] : -1));
    return res;
}

/* pg_written: the items (12, 'h:b.c', 5001), (7, 'w:a', 5001), (3, 'u:t', 5001). */
#include "outbox_written_bytes.h"

/* The outbox items, the event written and the earlier request, from each
 * write statement's binary row, at its own columns. */
static void test_rows(void **state)
{
    (void)state;
    fq_outbox_set items;
    fq_outbox_init(&items);
    Fengqiao__V1__OutboxItem it;
    fengqiao__v1__outbox_item__init(&it);
    fq_outbox_add(&items, "w:a", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1);
    fq_outbox_add(&items, "h:b.c", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 1);
    fq_outbox_add_feed(&items, FQ_FEED_TOWN, "u:t", &it, 1);
    fq_event_params e = {.incident_id = 9, .kind = "warned", .reason = "soon", .outbox = &items};
    fq_store_op op;
    memset(&op, 0, sizeof op);
    fq_event_params_bind(&e, &op);
    assert_int_equal(op.result_format, 1);
    const void *v[6] = {pg_written};
    int l[6] = {(int)sizeof pg_written};
    PGresult *res = row_result(1, 1, v, l);
    assert_int_equal(fq_write_outbox_written(&op, res), 0);
    assert_int_equal(op.written.n, 3);
    assert_int_equal(op.written.index[0], 1);
    assert_int_equal(op.written.seq[0], 12);
    assert_int_equal(op.written.index[2], 2);
    assert_int_equal(op.written.event_seq[2], 5001);
    PQclear(res);
    /* Text (the statement's column as it was): refused, nothing delivered. */
    res = row_result(1, 0, v, l);
    assert_int_equal(fq_write_outbox_written(&op, res), -1);
    assert_int_equal(op.written.n, 0);
    PQclear(res);
    /* NULL: nothing written. */
    v[0] = NULL;
    res = row_result(1, 1, v, l);
    assert_int_equal(fq_write_outbox_written(&op, res), 0);
    assert_int_equal(op.written.n, 0);
    PQclear(res);

    /* An action: event seq, items, the earlier request (none). */
    fq_action_params a = {.node = "n1",
                          .digest = digest,
                          .incident_id = 11,
                          .kind = "ack",
                          .note = "",
                          .outbox = &items};
    fq_action_params_bind(&a, &op);
    uint8_t seq[8], prior_seq[8], prior_incident[8];
    fq_pg_put_int8(seq, 5001);
    const void *av[6] = {seq, pg_written, NULL, NULL, NULL, NULL};
    int al[6] = {8, (int)sizeof pg_written};
    res = row_result(6, 1, av, al);
    assert_int_equal(fq_write_event_seq(res), 5001);
    assert_int_equal(fq_write_outbox_written(&op, res), 0);
    assert_int_equal(op.written.n, 3);
    fq_prior_request prior;
    assert_int_equal(fq_prior_request_row(res, 2, &prior), 0);
    PQclear(res);
    /* Not applied: a resend, answered as the earlier request was. */
    fq_pg_put_int8(prior_seq, 4000);
    fq_pg_put_int8(prior_incident, 11);
    const void *rv[6] = {NULL, NULL, digest, "acknowledged", prior_seq, prior_incident};
    int rl[6] = {0, 0, 32, 12, 8, 8};
    res = row_result(6, 1, rv, rl);
    assert_int_equal(fq_write_event_seq(res), 0);
    assert_int_equal(fq_write_outbox_written(&op, res), 0);
    assert_int_equal(op.written.n, 0);
    assert_int_equal(fq_prior_request_row(res, 2, &prior), 1);
    assert_true(prior.digest_ok);
    assert_memory_equal(prior.digest, digest, 32);
    assert_string_equal(prior.state, "acknowledged");
    assert_int_equal(prior.event_seq, 4000);
    assert_int_equal(prior.incident_id, 11);
    PQclear(res);
    /* The same row in text is no earlier request (its seqs are not int8). */
    res = row_result(6, 0, rv, rl);
    assert_int_equal(fq_prior_request_row(res, 2, &prior), 0);
    assert_int_equal(fq_write_event_seq(res), 0);
    PQclear(res);

    /* An upward attempt: attempts and acknowledgements as count(*). */
    uint8_t one[8], zero[8];
    fq_pg_put_int8(one, 1);
    fq_pg_put_int8(zero, 0);
    const void *uv[2] = {one, zero};
    int ul[2] = {8, 8};
    int64_t attempts = -1, acks = -1;
    res = row_result(2, 1, uv, ul);
    assert_int_equal(fq_upward_attempt_row(res, &attempts, &acks), 0);
    assert_int_equal(attempts, 1);
    assert_int_equal(acks, 0);
    PQclear(res);
    res = row_result(1, 1, uv, ul);
    assert_int_equal(fq_upward_attempt_row(res, &attempts, &acks), -1);
    PQclear(res);
    assert_int_equal(fq_upward_attempt_row(NULL, &attempts, &acks), -1);
    fq_outbox_free(&items);
}

static void test_reports_statement(void **state)
{
    (void)state;
    /* The set-based statement is bound by the store alone (send_set);
     * its count is checked there against FQ_SQL_INSERT_REPORTS_NPARAMS. */
    assert_int_equal(sql_params(FQ_SQL_INSERT_REPORTS, 0), FQ_SQL_INSERT_REPORTS_NPARAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_reroute_and_event),
        cmocka_unit_test(test_action),
        cmocka_unit_test(test_action_changes),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_aftercare_and_upward),
        cmocka_unit_test(test_reports_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
