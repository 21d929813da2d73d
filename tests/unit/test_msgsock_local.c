/* msgsock's local reply tokens: the web console's API answers through them. */
#include "msgsock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

typedef struct answered {
    int calls;
    int dropped;
    uint8_t body[16];
    size_t len;
} answered;

static void on_answer(void *user, const uint8_t *body, size_t len)
{
    answered *a = user;
    a->calls++;
    if (body == NULL) {
        a->dropped++;
        assert_int_equal(len, 0);
        return;
    }
    assert_true(len <= sizeof a->body);
    memcpy(a->body, body, len);
    a->len = len;
}

static void test_reply_calls_the_function_once(void **state)
{
    (void)state;
    answered a = {0};
    fq_reply_token *token = fq_reply_token_local(on_answer, &a);
    assert_non_null(token);
    assert_null(fq_reply_token_socket(token));
    assert_int_equal(
        fq_msgsock_reply(fq_reply_token_socket(token), token, (const uint8_t *)"hello", 5), FQ_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.dropped, 0);
    assert_int_equal(a.len, 5);
    assert_memory_equal(a.body, "hello", 5);
}

static void test_empty_reply_is_not_a_drop(void **state)
{
    (void)state;
    answered a = {0};
    fq_reply_token *token = fq_reply_token_local(on_answer, &a);
    assert_int_equal(fq_msgsock_reply(NULL, token, NULL, 0), FQ_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.dropped, 0);
    assert_int_equal(a.len, 0);
}

static void test_drop_calls_with_null(void **state)
{
    (void)state;
    answered a = {0};
    fq_reply_token *token = fq_reply_token_local(on_answer, &a);
    fq_msgsock_drop(fq_reply_token_socket(token), token);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.dropped, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_calls_the_function_once),
        cmocka_unit_test(test_empty_reply_is_not_a_drop),
        cmocka_unit_test(test_drop_calls_with_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
