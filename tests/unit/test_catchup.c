/* The warm standby's catch-up rule (server/core/catchup.h): every
 * combination of held, open and a routing state read with the rows. */
#include "catchup.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_every_combination(void **state)
{
    (void)state;
    static const struct {
        int held, open, fresh;
        fq_catch_up_step want;
    } cases[] = {
        /* Without the directory: the workers' loads follow the cases. */
        {0, 0, 0, {0, 0, 0, 0, FQ_CATCH_UP_NONE}},
        {0, 1, 0, {0, 0, 1, 1, FQ_CATCH_UP_ADDED}},
        {1, 1, 0, {1, 1, 1, 1, FQ_CATCH_UP_REPLACED}},
        {1, 0, 0, {1, 1, 0, 0, FQ_CATCH_UP_REMOVED}},
        /* With it, read in the same snapshot: its loads count them already. */
        {0, 0, 1, {0, 0, 0, 0, FQ_CATCH_UP_NONE}},
        {0, 1, 1, {0, 0, 1, 0, FQ_CATCH_UP_ADDED}},
        {1, 1, 1, {1, 0, 1, 0, FQ_CATCH_UP_REPLACED}},
        {1, 0, 1, {1, 0, 0, 0, FQ_CATCH_UP_REMOVED}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fq_catch_up_step got = fq_catch_up_step_for(cases[i].held, cases[i].open, cases[i].fresh);
        assert_int_equal(got.drop, cases[i].want.drop);
        assert_int_equal(got.release_worker, cases[i].want.release_worker);
        assert_int_equal(got.take_in, cases[i].want.take_in);
        assert_int_equal(got.count_worker, cases[i].want.count_worker);
        assert_int_equal(got.outcome, cases[i].want.outcome);
    }
}

/* A replaced case's worker is released and counted again: a change that
 * keeps the worker leaves the load as it was; flags other than 0 and 1 are
 * truths too. */
static void test_replace_keeps_the_load_balanced(void **state)
{
    (void)state;
    fq_catch_up_step s = fq_catch_up_step_for(7, 2, 0);
    assert_int_equal(s.outcome, FQ_CATCH_UP_REPLACED);
    assert_int_equal(s.release_worker - s.count_worker, 0);
    s = fq_catch_up_step_for(1, 0, 0);
    assert_int_equal(s.count_worker - s.release_worker, -1);
    s = fq_catch_up_step_for(0, 1, 0);
    assert_int_equal(s.count_worker - s.release_worker, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_combination),
        cmocka_unit_test(test_replace_keeps_the_load_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
