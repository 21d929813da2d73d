/* Readiness (server/net/readiness.h): all four conditions, each alone. */
#include "readiness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_ready_only_when_all_hold(void **state)
{
    (void)state;
    fq_readiness r = {1, 1, 1, 0};
    assert_true(fq_readiness_ready(&r));
    const char *names[FQ_READINESS_CONDITIONS];
    assert_int_equal(fq_readiness_failing(&r, names), 0);
    char text[256];
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "ready");
    /* Each condition alone takes readiness away. */
    for (int i = 0; i < 4; i++) {
        fq_readiness s = r;
        int *field[] = {&s.database, &s.routing, &s.guard, &s.draining};
        *field[i] = !*field[i];
        assert_false(fq_readiness_ready(&s));
        assert_int_equal(fq_readiness_failing(&s, names), 1);
    }
}

static void test_names_and_text(void **state)
{
    (void)state;
    fq_readiness r = {0, 1, 0, 1};
    const char *names[FQ_READINESS_CONDITIONS];
    assert_int_equal(fq_readiness_failing(&r, names), 3);
    assert_string_equal(names[0], "database");
    assert_string_equal(names[1], "guard");
    assert_string_equal(names[2], "draining");
    char text[256];
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "not ready: the database is not connected; the serving lock is "
                              "not held (another server may hold it); the server is stopping");
    fq_readiness nothing = {0, 0, 0, 0};
    assert_int_equal(fq_readiness_failing(&nothing, names), 3);
    assert_string_equal(names[1], "routing");
    char small[16];
    fq_readiness_describe(&nothing, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_only_when_all_hold),
        cmocka_unit_test(test_names_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
