/* syncguard: a terminal's syncs take effect in the order they were signed;
 * a resend of the newest is held without effect; an older frame is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "syncguard.h"

#define START 1700000000000LL /* the server started */

static void test_newer_syncs_take_effect(void **state)
{
    (void)state;
    fq_sync_mark m = {0};
    assert_int_equal(fq_sync_judge(&m, START, START + 10, 100), FQ_SYNC_NEW);
    assert_int_equal(fq_sync_judge(&m, START, START + 20, 50), FQ_SYNC_NEW); /* ids need not grow */
    assert_int_equal(m.sent_at_ms, START + 20);
    assert_int_equal(m.message_id, 50);
    /* Signed in the same millisecond: the larger message id is the newer. */
    assert_int_equal(fq_sync_judge(&m, START, START + 20, 51), FQ_SYNC_NEW);
}

/* The attack: an off-duty sync captured and sent again after the worker came
 * back on duty, within the accepted clock skew. */
static void test_replayed_older_frame_is_refused(void **state)
{
    (void)state;
    fq_sync_mark m = {0};
    assert_int_equal(fq_sync_judge(&m, START, START + 1000, 7), FQ_SYNC_NEW); /* off duty */
    assert_int_equal(fq_sync_judge(&m, START, START + 5000, 8), FQ_SYNC_NEW); /* on duty */
    assert_int_equal(fq_sync_judge(&m, START, START + 1000, 7), FQ_SYNC_REPLAYED);
    assert_int_equal(fq_sync_judge(&m, START, START + 5000, 6), FQ_SYNC_REPLAYED);
    /* A refused frame moves nothing. */
    assert_int_equal(m.sent_at_ms, START + 5000);
    assert_int_equal(m.message_id, 8);
}

/* The newest sync again, byte for byte (a REQ resend) or re-signed with a
 * fresh sent_at (fq-terminal's own resend): a resend, whatever its time. */
static void test_resend_of_the_newest(void **state)
{
    (void)state;
    fq_sync_mark m = {0};
    assert_int_equal(fq_sync_judge(&m, START, START + 1000, 9), FQ_SYNC_NEW);
    assert_int_equal(fq_sync_judge(&m, START, START + 1000, 9), FQ_SYNC_RESEND);
    assert_int_equal(fq_sync_judge(&m, START, START + 4000, 9), FQ_SYNC_RESEND);
    assert_int_equal(m.sent_at_ms, START + 1000);
    /* The next sync after the resends takes effect. */
    assert_int_equal(fq_sync_judge(&m, START, START + 4001, 10), FQ_SYNC_NEW);
}

/* After a restart nothing is remembered: a frame signed before the start is
 * held but changes nothing; the first sync signed since takes effect. */
static void test_before_the_start_proves_nothing(void **state)
{
    (void)state;
    fq_sync_mark m = {0};
    assert_int_equal(fq_sync_judge(&m, START, START - 60000, 3), FQ_SYNC_RESEND);
    assert_int_equal(fq_sync_judge(&m, START, START - 1, 4), FQ_SYNC_RESEND);
    assert_false(m.known);
    assert_int_equal(fq_sync_judge(&m, START, START, 5), FQ_SYNC_NEW);
    /* And once one took effect, an earlier frame is a replay. */
    assert_int_equal(fq_sync_judge(&m, START, START - 1, 4), FQ_SYNC_REPLAYED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_syncs_take_effect),
        cmocka_unit_test(test_replayed_older_frame_is_refused),
        cmocka_unit_test(test_resend_of_the_newest),
        cmocka_unit_test(test_before_the_start_proves_nothing),
    };
    return cmocka_run_group_tests_name("syncguard", tests, NULL, NULL);
}
