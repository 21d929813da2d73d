/* test_requestid: the message id of a page's request (server/web/requestid.h)
 * — the same node and request id give the same id, anything else another,
 * always a valid message id (1 .. 2^63-1). */
#include "requestid.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

static void test_same_request_same_id(void **state)
{
    (void)state;
    uint64_t a = fq_request_message_id("p.w.one", "k3f9a1");
    assert_int_equal(a, fq_request_message_id("p.w.one", "k3f9a1"));
    assert_true(a >= 1 && a <= (uint64_t)INT64_MAX);
    /* Another request id, another node: another message. */
    assert_int_not_equal(a, fq_request_message_id("p.w.one", "k3f9a2"));
    assert_int_not_equal(a, fq_request_message_id("p.w.two", "k3f9a1"));
    /* The node ends where the request id begins. */
    assert_int_not_equal(fq_request_message_id("p.a", "bc"), fq_request_message_id("p.ab", "c"));
}

static void test_ids_in_range(void **state)
{
    (void)state;
    char rid[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(rid, sizeof rid, "r%d", i);
        uint64_t id = fq_request_message_id("p.wang.op", rid);
        assert_true(id >= 1 && id <= (uint64_t)INT64_MAX);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_request_same_id),
        cmocka_unit_test(test_ids_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
