/* search_lists: when the search indexes' pending lists are cleaned off the
 * writer (fq_search_lists_due: every FQ_SEARCH_LISTS_REPORTS reports, or
 * FQ_SEARCH_LISTS_IDLE_MS after the last clean when fewer came, never for
 * none). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "search_lists.h"

static void test_due(void **state)
{
    (void)state;
    /* Nothing committed: nothing to move, however long it has been. */
    assert_false(fq_search_lists_due(0, 0));
    assert_false(fq_search_lists_due(0, 3600 * 1000));
    /* A surge: as soon as a clean's worth has come. */
    assert_false(fq_search_lists_due(FQ_SEARCH_LISTS_REPORTS - 1, 0));
    assert_true(fq_search_lists_due(FQ_SEARCH_LISTS_REPORTS, 0));
    assert_true(fq_search_lists_due(FQ_SEARCH_LISTS_REPORTS * 3, 10));
    /* A trickle: the few that came, once the idle time has passed. */
    assert_false(fq_search_lists_due(1, FQ_SEARCH_LISTS_IDLE_MS - 1));
    assert_true(fq_search_lists_due(1, FQ_SEARCH_LISTS_IDLE_MS));
}

/* The title's list takes ~0.9 KB of entries a report: a clean's worth must
 * stay well under the 4 MB limit at which the writer would clean itself. */
static void test_under_the_limit(void **state)
{
    (void)state;
    assert_true(FQ_SEARCH_LISTS_REPORTS * 900 < 4 * 1024 * 1024 / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_under_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
