/* fqclient: the answer wait after silences in a row (fqc_answer_wait_after). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fqclient.h"

#include <stdint.h>

/* The first wait is the configured one, with no jitter: it bounds how long
 * a client waits on a server whose host was cut off. */
static void test_first_wait_exact(void **state)
{
    (void)state;
    assert_int_equal(FQC_ANSWER_WAIT_MS, fqc_answer_wait_after(FQC_ANSWER_WAIT_MS, 0, 0));
    assert_int_equal(FQC_ANSWER_WAIT_MS, fqc_answer_wait_after(FQC_ANSWER_WAIT_MS, 0, UINT32_MAX));
}

/* Then doubled per silence, with up to half as much again at random. */
static void test_doubles_with_jitter(void **state)
{
    (void)state;
    assert_int_equal(6000, fqc_answer_wait_after(3000, 1, 0));
    assert_in_range(fqc_answer_wait_after(3000, 1, UINT32_MAX), 8999, 9000);
    assert_int_equal(6000 + 1500, fqc_answer_wait_after(3000, 1, 1u << 31));
    assert_int_equal(12000, fqc_answer_wait_after(3000, 2, 0));
    assert_int_equal(24000, fqc_answer_wait_after(3000, 3, 0));
}

/* Capped: a request in doubt on a server whose PostgreSQL stays away for
 * minutes gets a copy every 30-45 s, never faster than it did before. */
static void test_capped(void **state)
{
    (void)state;
    int64_t prev = 0;
    for (int k = 1; k < 40; k++) {
        int64_t low = fqc_answer_wait_after(3000, k, 0);
        int64_t high = fqc_answer_wait_after(3000, k, UINT32_MAX);
        assert_true(low >= prev);
        assert_true(low <= FQC_ANSWER_WAIT_MAX_MS);
        assert_true(high <= FQC_ANSWER_WAIT_MAX_MS + FQC_ANSWER_WAIT_MAX_MS / 2);
        prev = low;
    }
    assert_int_equal(FQC_ANSWER_WAIT_MAX_MS, fqc_answer_wait_after(3000, 4, 0));
    assert_int_equal(FQC_ANSWER_WAIT_MAX_MS, fqc_answer_wait_after(3000, 1000, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_wait_exact),
        cmocka_unit_test(test_doubles_with_jitter),
        cmocka_unit_test(test_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
