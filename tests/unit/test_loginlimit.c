/* loginlimit: within a sliding minute, the 6th failed sign-in for one
 * account or the 21st from one address is refused whatever the password;
 * the refusal lifts as the oldest failure leaves the minute; memory is a
 * fixed table where flooding only makes the limit forget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loginlimit.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 1700000000000LL

static fq_loginlimit *fresh(void)
{
    fq_loginlimit *l = malloc(sizeof *l);
    assert_non_null(l);
    fq_loginlimit_init(l);
    return l;
}

static void test_sixth_attempt_for_an_account_is_refused(void **state)
{
    (void)state;
    fq_loginlimit *l = fresh();
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + i * 1000), 0);
        fq_loginlimit_failed(l, "wang.op", "10.0.0.1", T0 + i * 1000);
    }
    /* The first failure (T0) leaves the minute at T0 + 60 s. */
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 5000), 55);
    /* From another address too: the account is what is guessed at. */
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.2", T0 + 5000), 55);
    /* Another account from the same address is not refused. */
    assert_int_equal(fq_loginlimit_check(l, "li.op", "10.0.0.1", T0 + 5000), 0);
    /* Sliding: once the oldest failure is a minute old, one more attempt. */
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 59999), 1);
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 60000), 0);
    free(l);
}

static void test_twenty_first_from_an_address_is_refused(void **state)
{
    (void)state;
    fq_loginlimit *l = fresh();
    char account[32];
    for (int i = 0; i < 20; i++) {
        snprintf(account, sizeof account, "user%d", i); /* a different account each time */
        assert_int_equal(fq_loginlimit_check(l, account, "192.0.2.9", T0 + i), 0);
        fq_loginlimit_failed(l, account, "192.0.2.9", T0 + i);
    }
    assert_true(fq_loginlimit_check(l, "someone.new", "192.0.2.9", T0 + 100) > 0);
    assert_int_equal(fq_loginlimit_check(l, "someone.new", "192.0.2.10", T0 + 100), 0);
    assert_int_equal(fq_loginlimit_check(l, "someone.new", "192.0.2.9", T0 + 60000), 0);
    free(l);
}

static void test_old_failures_do_not_count(void **state)
{
    (void)state;
    fq_loginlimit *l = fresh();
    /* One failure every 15 s never reaches five within a minute. */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + i * 15000LL), 0);
        fq_loginlimit_failed(l, "wang.op", "10.0.0.1", T0 + i * 15000LL);
    }
    free(l);
}

static void test_flooding_the_table_only_forgets(void **state)
{
    (void)state;
    fq_loginlimit *l = fresh();
    for (int i = 0; i < 5; i++)
        fq_loginlimit_failed(l, "wang.op", "10.0.0.1", T0 + i);
    assert_true(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 10) > 0);
    /* Far more keys than slots, from many addresses, all later. */
    char name[32], addr[32];
    for (int i = 0; i < 3 * FQ_LOGINLIMIT_SLOTS; i++) {
        snprintf(name, sizeof name, "flood%d", i);
        snprintf(addr, sizeof addr, "198.51.%d.%d", (i / 256) % 256, i % 256);
        fq_loginlimit_failed(l, name, addr, T0 + 20 + i);
        /* Nobody who never failed is ever refused. */
        assert_int_equal(fq_loginlimit_check(l, "innocent", "203.0.113.1", T0 + 20 + i), 0);
    }
    free(l);
}

/* An attempt counts as failed from its start; a success takes it back. */
static void test_attempts_count_from_their_start(void **state)
{
    (void)state;
    fq_loginlimit *l = fresh();
    /* Five begin together: each is counted before any is checked. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + i), 0);
        fq_loginlimit_failed(l, "wang.op", "10.0.0.1", T0 + i);
    }
    assert_true(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 10) > 0);
    /* The third one's password matched: taken back, one more may try. */
    fq_loginlimit_forgive(l, "wang.op", "10.0.0.1", T0 + 2);
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 10), 0);
    fq_loginlimit_failed(l, "wang.op", "10.0.0.1", T0 + 10);
    assert_true(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 11) > 0);
    /* The oldest (T0) leaves the minute first: the ring kept its order. */
    assert_int_equal(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 60000), 0);
    /* Forgiving a time never counted changes nothing. */
    fq_loginlimit_forgive(l, "wang.op", "10.0.0.1", T0 + 999);
    assert_true(fq_loginlimit_check(l, "wang.op", "10.0.0.1", T0 + 11) > 0);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixth_attempt_for_an_account_is_refused),
        cmocka_unit_test(test_twenty_first_from_an_address_is_refused),
        cmocka_unit_test(test_old_failures_do_not_count),
        cmocka_unit_test(test_flooding_the_table_only_forgets),
        cmocka_unit_test(test_attempts_count_from_their_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
