/* Readiness (server/net/readiness.h): all five conditions, each alone. */
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
    fq_readiness r = {.database = 1, .routing = 1, .guard = 1, .standby_point = -1};
    assert_true(fq_readiness_ready(&r));
    const char *names[FQ_READINESS_CONDITIONS];
    assert_int_equal(fq_readiness_failing(&r, names), 0);
    char text[256];
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "ready");
    /* Each condition alone takes readiness away. */
    for (int i = 0; i < 5; i++) {
        fq_readiness s = r;
        int *field[] = {&s.database, &s.routing, &s.guard, &s.standby, &s.draining};
        *field[i] = !*field[i];
        assert_false(fq_readiness_ready(&s));
        assert_int_equal(fq_readiness_failing(&s, names), 1);
    }
}

static void test_names_and_text(void **state)
{
    (void)state;
    fq_readiness r = {.routing = 1, .draining = 1, .standby_point = -1};
    const char *names[FQ_READINESS_CONDITIONS];
    assert_int_equal(fq_readiness_failing(&r, names), 3);
    assert_string_equal(names[0], "database");
    assert_string_equal(names[1], "guard");
    assert_string_equal(names[2], "draining");
    char text[256];
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "not ready: the database is not connected; the serving lock is "
                              "not held (another server may hold it); the server is stopping");
    fq_readiness nothing = {.standby_point = -1};
    assert_int_equal(fq_readiness_failing(&nothing, names), 3);
    assert_string_equal(names[1], "routing");
    char small[16];
    fq_readiness_describe(&nothing, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* A warm standby says where it is: the event its open incidents are at. */
static void test_standby(void **state)
{
    (void)state;
    fq_readiness r = {.database = 1, .routing = 1, .standby = 1, .standby_point = 1234};
    assert_false(fq_readiness_ready(&r));
    const char *names[FQ_READINESS_CONDITIONS];
    assert_int_equal(fq_readiness_failing(&r, names), 2);
    assert_string_equal(names[0], "guard");
    assert_string_equal(names[1], "standby");
    char text[256];
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "not ready: the serving lock is not held (another server may hold "
                              "it); standby (warm, at event 1234)");
    r.standby_point = -1;
    fq_readiness_describe(&r, text, sizeof text);
    assert_non_null(strstr(text, "standby (loading)"));
    /* Holding the lock is not enough while it catches up. */
    r.guard = 1;
    r.standby_point = 99;
    assert_false(fq_readiness_ready(&r));
    fq_readiness_describe(&r, text, sizeof text);
    assert_string_equal(text, "not ready: standby (warm, at event 99)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_only_when_all_hold),
        cmocka_unit_test(test_names_and_text),
        cmocka_unit_test(test_standby),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
