/* sessions: the cache of signed-in browsers by token hash — found while
 * live, forgotten when expired, on logout, and all at once on a directory
 * reload; bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sessions.h"

#include <stdio.h>
#include <string.h>

#define NOW 1700000000000LL

static void hash_of(int i, uint8_t h[32])
{
    memset(h, 0, 32);
    memcpy(h, &i, sizeof i);
    h[31] = 0x5a;
}

static fq_cached_session session_of(const char *account, int64_t expires_ms)
{
    fq_cached_session cs;
    memset(&cs, 0, sizeof cs);
    snprintf(cs.s.account, sizeof cs.s.account, "%s", account);
    snprintf(cs.jurisdiction_name, sizeof cs.jurisdiction_name, "灵隐街道");
    cs.s.expires_ms = expires_ms;
    return cs;
}

static void test_find_forget_expire(void **state)
{
    (void)state;
    fq_sessions *s = fq_sessions_new();
    assert_non_null(s);
    uint8_t a[32], b[32];
    hash_of(1, a);
    hash_of(2, b);
    fq_cached_session wang = session_of("wang.op", NOW + 1000);
    fq_cached_session li = session_of("li.op", NOW + 5000);
    assert_int_equal(fq_sessions_put(s, a, &wang), 0);
    assert_int_equal(fq_sessions_put(s, b, &li), 0);
    const fq_cached_session *f = fq_sessions_find(s, a, NOW);
    assert_non_null(f);
    assert_string_equal(f->s.account, "wang.op");
    assert_string_equal(f->jurisdiction_name, "灵隐街道");
    /* Expired: gone, and forgotten. */
    assert_null(fq_sessions_find(s, a, NOW + 1000));
    assert_int_equal(fq_sessions_count(s), 1);
    fq_sessions_forget(s, b);
    assert_null(fq_sessions_find(s, b, NOW));
    assert_int_equal(fq_sessions_count(s), 0);
    fq_sessions_free(s);
}

static void test_clear_and_bound(void **state)
{
    (void)state;
    fq_sessions *s = fq_sessions_new();
    uint8_t h[32];
    fq_cached_session cs = session_of("x", NOW + 1000);
    for (int i = 0; i < FQ_SESSIONS_MAX + 10; i++) {
        hash_of(i, h);
        assert_int_equal(fq_sessions_put(s, h, &cs), 0);
        assert_true(fq_sessions_count(s) <= FQ_SESSIONS_MAX);
    }
    hash_of(FQ_SESSIONS_MAX + 9, h);
    assert_non_null(fq_sessions_find(s, h, NOW)); /* the newest is always kept */
    fq_sessions_clear(s);                         /* a directory reload */
    assert_int_equal(fq_sessions_count(s), 0);
    assert_null(fq_sessions_find(s, h, NOW));
    fq_sessions_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_forget_expire),
        cmocka_unit_test(test_clear_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
