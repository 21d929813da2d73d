/* Tests of the assignment state machine: every allowed transition, every
 * refusal, and an exhaustive sweep that nothing leaves a final state. */
#include "lifecycle.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static fq_action_input holder(fq_action a)
{
    fq_action_input in = {0};
    in.action = a;
    in.by_holder = 1;
    in.has_note = 1;
    in.reason = FQ_RETURN_BEYOND_CAPACITY;
    in.extend_to_ms = 5000;
    return in;
}

static int apply(fq_assignment_state s, fq_action_input in, fq_assignment *out)
{
    fq_assignment cur = {s, 2000, 0};
    const char *why;
    return fq_lifecycle_apply(&cur, &in, 1000, out, &why);
}

static void test_happy_path(void **state)
{
    (void)state;
    fq_assignment a = {FQ_ASSIGNMENT_ASSIGNED, 2000, 0}, b;
    const char *why;
    fq_action_input ack = holder(FQ_ACTION_ACKNOWLEDGE);
    assert_int_equal(fq_lifecycle_apply(&a, &ack, 1000, &b, &why), FQ_OK);
    assert_int_equal(b.state, FQ_ASSIGNMENT_ACKNOWLEDGED);
    fq_action_input progress = holder(FQ_ACTION_PROGRESS);
    assert_int_equal(fq_lifecycle_apply(&b, &progress, 1000, &a, &why), FQ_OK);
    assert_int_equal(a.state, FQ_ASSIGNMENT_ACKNOWLEDGED);
    fq_action_input extend = holder(FQ_ACTION_EXTEND);
    assert_int_equal(fq_lifecycle_apply(&a, &extend, 1000, &b, &why), FQ_OK);
    assert_int_equal(b.state, FQ_ASSIGNMENT_EXTENSION_REQUESTED);
    assert_int_equal(b.extension_asked_ms, 5000);
    fq_action_input approve = {0};
    approve.action = FQ_ACTION_APPROVE_EXTENSION;
    approve.by_operator = 1;
    assert_int_equal(fq_lifecycle_apply(&b, &approve, 1000, &a, &why), FQ_OK);
    assert_int_equal(a.state, FQ_ASSIGNMENT_ACKNOWLEDGED);
    assert_int_equal(a.conclude_due_ms, 5000);
    fq_action_input conclude = holder(FQ_ACTION_CONCLUDE);
    assert_int_equal(fq_lifecycle_apply(&a, &conclude, 1000, &b, &why), FQ_OK);
    assert_int_equal(b.state, FQ_ASSIGNMENT_CONCLUDED);
}

static void test_refusals(void **state)
{
    (void)state;
    fq_assignment out;
    /* Nothing concluded before it is acknowledged. */
    assert_int_equal(apply(FQ_ASSIGNMENT_ASSIGNED, holder(FQ_ACTION_CONCLUDE), &out), FQ_ESTATE);
    assert_int_equal(apply(FQ_ASSIGNMENT_ASSIGNED, holder(FQ_ACTION_PROGRESS), &out), FQ_ESTATE);
    assert_int_equal(apply(FQ_ASSIGNMENT_ACKNOWLEDGED, holder(FQ_ACTION_ACKNOWLEDGE), &out),
                     FQ_ESTATE);
    /* Nobody acts on another's assignment. */
    fq_action_input other = holder(FQ_ACTION_ACKNOWLEDGE);
    other.by_holder = 0;
    assert_int_equal(apply(FQ_ASSIGNMENT_ASSIGNED, other, &out), FQ_EFORBIDDEN);
    /* Only operators decide extensions. */
    assert_int_equal(
        apply(FQ_ASSIGNMENT_EXTENSION_REQUESTED, holder(FQ_ACTION_APPROVE_EXTENSION), &out),
        FQ_EFORBIDDEN);
    /* Notes and reasons are required. */
    fq_action_input bare = holder(FQ_ACTION_RETURN);
    bare.has_note = 0;
    assert_int_equal(apply(FQ_ASSIGNMENT_ASSIGNED, bare, &out), FQ_EINVALID);
    bare = holder(FQ_ACTION_RETURN);
    bare.reason = FQ_RETURN_NONE;
    assert_int_equal(apply(FQ_ASSIGNMENT_ASSIGNED, bare, &out), FQ_EINVALID);
    /* An extension must move the limit later. */
    fq_action_input early = holder(FQ_ACTION_EXTEND);
    early.extend_to_ms = 1500;
    assert_int_equal(apply(FQ_ASSIGNMENT_ACKNOWLEDGED, early, &out), FQ_EINVALID);
    assert_int_equal(apply(FQ_ASSIGNMENT_EXTENSION_REQUESTED, holder(FQ_ACTION_EXTEND), &out),
                     FQ_ESTATE);
}

/* From a final state no action of anyone changes anything. */
static void test_final_states_stay_final(void **state)
{
    (void)state;
    const fq_assignment_state finals[] = {FQ_ASSIGNMENT_CONCLUDED, FQ_ASSIGNMENT_RETURNED,
                                          FQ_ASSIGNMENT_CANCELLED};
    for (size_t f = 0; f < 3; f++)
        for (int a = FQ_ACTION_ACKNOWLEDGE; a <= FQ_ACTION_DENY_EXTENSION; a++) {
            fq_action_input in = holder((fq_action)a);
            in.by_operator = 1;
            fq_assignment out;
            assert_int_not_equal(apply(finals[f], in, &out), FQ_OK);
            assert_int_equal(out.state, finals[f]);
        }
}

/* Every refused action leaves the assignment exactly as it was. */
static void test_refusal_changes_nothing(void **state)
{
    (void)state;
    for (int s = FQ_ASSIGNMENT_ASSIGNED; s <= FQ_ASSIGNMENT_CANCELLED; s++)
        for (int a = FQ_ACTION_ACKNOWLEDGE; a <= FQ_ACTION_DENY_EXTENSION; a++)
            for (int who = 0; who < 4; who++) {
                fq_action_input in = holder((fq_action)a);
                in.by_holder = who & 1;
                in.by_operator = (who >> 1) & 1;
                fq_assignment cur = {(fq_assignment_state)s, 2000, 3000}, out;
                const char *why = NULL;
                int rv = fq_lifecycle_apply(&cur, &in, 1000, &out, &why);
                assert_non_null(why);
                if (rv != FQ_OK) {
                    assert_int_equal(out.state, cur.state);
                    assert_int_equal(out.conclude_due_ms, cur.conclude_due_ms);
                    assert_true(why[0] != '\0');
                }
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_final_states_stay_final),
        cmocka_unit_test(test_refusal_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
