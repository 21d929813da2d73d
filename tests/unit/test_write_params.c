/* Tests of the write statements' binders (write_params.h): each binds as
 * many parameters as its statement's text uses — counted here from the SQL
 * itself, so neither side can drift — with the store's plan as the last
 * FQ_STORE_PLAN_NPARAMS, and the events it plans read their actor and
 * payload from the fields that carry them. */
#include "outbox.h"
#include "statements.h"
#include "write_params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

    fq_upward_attempt_params u = {.delivery_id = "x", .accepted = 1, .incident_id = 5};
    fq_upward_attempt_params_bind(&u, &op);
    check_count(FQ_WRITE_UPWARD_ATTEMPT, FQ_SQL_UPWARD_ATTEMPT, FQ_SQL_UPWARD_ATTEMPT_NPARAMS, &op);
    assert_int_equal(op.plan.nevents, 2); /* the attempt and its acknowledgement */
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
        cmocka_unit_test(test_aftercare_and_upward),
        cmocka_unit_test(test_reports_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
