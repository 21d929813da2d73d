/* admin_options: fengqiao-admin's subcommand options through getopt_long —
 * values, flags, one operand, --help, and the usage errors. */
#include "admin_options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char help[] = "usage: test\n";

typedef struct parsed {
    const char *from, *to, *operand;
    int csv;
} parsed;

/* argv[0] the program, argv[1] the command, the options from argv[2]. */
static int parse(parsed *p, int take_operand, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    opt_slot slots[] = {
        {"--from", &p->from, NULL}, {"--to", &p->to, NULL}, {"--csv", NULL, &p->csv}};
    return admin_parse_options(argc, argv, 2, slots, 3, take_operand ? &p->operand : NULL, help);
}

#define ARGS(...)                                                                                  \
    (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[])                                 \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static void test_values_flags_and_an_operand(void **state)
{
    (void)state;
    parsed p;
    assert_int_equal(parse(&p, 1,
                           ARGS("admin", "stats", "--from", "2026-11-01", "file.json", "--csv",
                                "--to=2026-12-01")),
                     0);
    assert_string_equal(p.from, "2026-11-01");
    assert_string_equal(p.to, "2026-12-01");
    assert_string_equal(p.operand, "file.json");
    assert_int_equal(p.csv, 1);
    /* A value may begin with '-' (a negative number, a negative offset). */
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--from", "-5")), 0);
    assert_string_equal(p.from, "-5");
    /* After "--" an operand may look like an option. */
    assert_int_equal(parse(&p, 1, ARGS("admin", "stats", "--", "--csv")), 0);
    assert_string_equal(p.operand, "--csv");
    assert_int_equal(p.csv, 0);
}

static void test_help(void **state)
{
    (void)state;
    parsed p;
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--csv", "--help")), 1);
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "-h")), 1);
}

static void test_usage_errors(void **state)
{
    (void)state;
    parsed p;
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--bogus")), -1);
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--from")), -1);     /* no value */
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "extra")), -1);      /* no operand here */
    assert_int_equal(parse(&p, 1, ARGS("admin", "stats", "one", "two")), -1); /* one at most */
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "-x")), -1);
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--csv=yes")),
                     -1); /* a flag has no value */
}

/* Several operands, in order (fengqiao-admin worker duty ID on|off). */
static void test_operands(void **state)
{
    (void)state;
    const char *op[2] = {NULL, NULL};
    assert_int_equal(
        admin_parse_operands(ARGS("worker", "duty", "w1", "off"), 2, NULL, 0, op, 2, help), 0);
    assert_string_equal(op[0], "w1");
    assert_string_equal(op[1], "off");
    const char *again[2] = {NULL, NULL};
    assert_int_equal(
        admin_parse_operands(ARGS("worker", "duty", "w1", "on", "x"), 2, NULL, 0, again, 2, help),
        -1);
    const char *helped[2] = {NULL, NULL};
    assert_int_equal(
        admin_parse_operands(ARGS("worker", "duty", "w1", "--help"), 2, NULL, 0, helped, 2, help),
        1);
    const char *one[2] = {NULL, NULL};
    assert_int_equal(admin_parse_operands(ARGS("worker", "duty", "w1"), 2, NULL, 0, one, 2, help),
                     0);
    assert_string_equal(one[0], "w1");
    assert_null(one[1]); /* the caller says what is missing */
}

static void test_a_second_parse_starts_afresh(void **state)
{
    (void)state;
    parsed p;
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--bogus")), -1);
    assert_int_equal(parse(&p, 0, ARGS("admin", "stats", "--csv")), 0);
    assert_int_equal(p.csv, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_flags_and_an_operand),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_operands),
        cmocka_unit_test(test_a_second_parse_starts_afresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
