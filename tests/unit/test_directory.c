/* directory: nodes, roles and fq_policy_may_report. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "directory.h"

#include <string.h>

static char err[256];
static const uint8_t key_a[32] = {1, 2, 3};
static const uint8_t key_b[32] = {9, 9, 9};

static fq_directory *dir;

static int setup(void **state)
{
    (void)state;
    fq_org *o = fq_org_new();
    int rv = 0;
    rv |= fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin", FQ_UNIT_TOWN, "xihu", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1", FQ_UNIT_VILLAGE, "lingyin", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1-g1", FQ_UNIT_GRID, "lingyin-v1", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1-g2", FQ_UNIT_GRID, "lingyin-v1", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v2", FQ_UNIT_VILLAGE, "lingyin", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v2-g1", FQ_UNIT_GRID, "lingyin-v2", "", err, sizeof err);
    rv |= fq_org_add(o, "beishan", FQ_UNIT_TOWN, "xihu", "", err, sizeof err);
    rv |= fq_org_add(o, "beishan-v1", FQ_UNIT_VILLAGE, "beishan", "", err, sizeof err);
    rv |= fq_org_add(o, "beishan-v1-g1", FQ_UNIT_GRID, "beishan-v1", "", err, sizeof err);
    /* A second district, for district platforms outside their own. */
    rv |= fq_org_add(o, "gongshu", FQ_UNIT_DISTRICT, "", "", err, sizeof err);
    rv |= fq_org_add(o, "hubin", FQ_UNIT_TOWN, "gongshu", "", err, sizeof err);
    rv |= fq_org_add(o, "hubin-v1", FQ_UNIT_VILLAGE, "hubin", "", err, sizeof err);
    rv |= fq_org_add(o, "hubin-v1-g1", FQ_UNIT_GRID, "hubin-v1", "", err, sizeof err);
    rv |= fq_org_finish(o, err, sizeof err);
    if (rv != 0)
        return -1;
    dir = fq_directory_new(o);
    if (dir == NULL)
        return -1;
#define ADD(id, role, where, key, revoked)                                                         \
    rv |= fq_directory_add_node(dir, id, role, where, key, revoked, err, sizeof err)
    ADD("lingyin-platform", FQ_ROLE_TOWN_PLATFORM, "lingyin", key_a, 0);
    ADD("g1-node", FQ_ROLE_GRID_NODE, "lingyin-v1-g1", key_b, 0);
    ADD("g1-terminal", FQ_ROLE_TERMINAL, "lingyin-v1-g1", key_a, 0);
    ADD("lingyin-console", FQ_ROLE_CONSOLE, "lingyin", key_a, 0);
    ADD("xihu-console", FQ_ROLE_CONSOLE, "xihu", key_a, 0);
    ADD("xihu-admin", FQ_ROLE_ADMIN, "xihu", key_a, 0);
    ADD("old-platform", FQ_ROLE_TOWN_PLATFORM, "beishan", key_b, 1);
    /* Mis-registered: roles bound to the wrong tier. */
    ADD("wide-platform", FQ_ROLE_TOWN_PLATFORM, "xihu", key_a, 0);
    ADD("village-platform", FQ_ROLE_TOWN_PLATFORM, "lingyin-v1", key_a, 0);
    ADD("village-grid-node", FQ_ROLE_GRID_NODE, "lingyin-v1", key_a, 0);
    ADD("town-grid-node", FQ_ROLE_GRID_NODE, "lingyin", key_a, 0);
    ADD("xihu-12345", FQ_ROLE_DISTRICT_PLATFORM, "xihu", key_a, 0);
    ADD("gongshu-12345", FQ_ROLE_DISTRICT_PLATFORM, "gongshu", key_b, 0);
    ADD("town-12345", FQ_ROLE_DISTRICT_PLATFORM, "lingyin", key_a, 0);
    ADD("grid-12345", FQ_ROLE_DISTRICT_PLATFORM, "lingyin-v1-g1", key_a, 0);
#undef ADD
    return rv == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fq_directory_free(dir);
    dir = NULL;
    return 0;
}

static const fq_node *node(const char *id)
{
    const fq_node *n = fq_directory_find(dir, id);
    if (n == NULL)
        fail_msg("node %s not found", id);
    return n;
}

static int may(const char *node_id, const char *place_unit, int32_t *place)
{
    int32_t p = 12345;
    int rv = fq_policy_may_report(dir, node(node_id), place_unit, &p);
    if (place)
        *place = p;
    return rv;
}

static void test_nodes(void **state)
{
    (void)state;
    assert_int_equal(fq_directory_node_count(dir), 15);
    const fq_node *n = node("lingyin-platform");
    assert_string_equal(n->id, "lingyin-platform");
    assert_int_equal(n->role, FQ_ROLE_TOWN_PLATFORM);
    assert_int_equal(n->jurisdiction, fq_org_find(fq_directory_org(dir), "lingyin"));
    assert_int_equal(n->revoked, 0);
    assert_memory_equal(n->key, key_a, 32);
    assert_memory_equal(node("g1-node")->key, key_b, 32);
    assert_int_equal(node("old-platform")->revoked, 1); /* found, flagged */
    assert_null(fq_directory_find(dir, "nobody"));
    assert_null(fq_directory_find(dir, ""));
    assert_null(fq_directory_find(dir, "LINGYIN-PLATFORM"));
    assert_int_equal(fq_org_count(fq_directory_org(dir)), 14);
}

static void test_add_refusals(void **state)
{
    (void)state;
    size_t before = fq_directory_node_count(dir);
    err[0] = '\0';
    assert_int_equal(fq_directory_add_node(dir, "lingyin-platform", FQ_ROLE_TOWN_PLATFORM,
                                           "lingyin", key_a, 0, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "lingyin-platform"));
    assert_int_equal(fq_directory_add_node(dir, "Bad-Id", FQ_ROLE_GRID_NODE, "lingyin", key_a, 0,
                                           err, sizeof err),
                     -1);
    assert_int_equal(
        fq_directory_add_node(dir, "", FQ_ROLE_GRID_NODE, "lingyin", key_a, 0, err, sizeof err),
        -1);
    assert_int_equal(fq_directory_add_node(dir, "n1", FQ_ROLE_GRID_NODE, "no-such-unit", key_a, 0,
                                           err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no-such-unit"));
    assert_int_equal(fq_directory_node_count(dir), before);
    /* The key is copied, not referenced. */
    uint8_t k[32];
    memset(k, 0x77, sizeof k);
    assert_int_equal(fq_directory_add_node(dir, "copy-check", FQ_ROLE_GRID_NODE, "lingyin-v2-g1", k,
                                           0, err, sizeof err),
                     0);
    memset(k, 0, sizeof k);
    assert_int_equal(node("copy-check")->key[31], 0x77);
    assert_int_equal(fq_directory_node_count(dir), before + 1);
}

static void test_town_platform(void **state)
{
    (void)state;
    const fq_org *o = fq_directory_org(dir);
    int32_t place;
    /* The town itself, its villages and their grids. */
    static const char *inside[] = {"lingyin",       "lingyin-v1", "lingyin-v1-g1",
                                   "lingyin-v1-g2", "lingyin-v2", "lingyin-v2-g1"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        assert_int_equal(may("lingyin-platform", inside[i], &place), FQ_OK);
        assert_int_equal(place, fq_org_find(o, inside[i]));
    }
    /* Another town and its units; the district above. */
    static const char *outside[] = {"beishan", "beishan-v1", "beishan-v1-g1", "xihu"};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_int_equal(may("lingyin-platform", outside[i], &place), FQ_EOUTSIDE);
        assert_int_equal(place, fq_org_find(o, outside[i])); /* known, so set */
    }
    /* Unknown place. */
    assert_int_equal(may("lingyin-platform", "nowhere", &place), FQ_ENOTFOUND);
    assert_int_equal(place, -1);
    assert_int_equal(may("lingyin-platform", "", &place), FQ_ENOTFOUND);
}

static void test_grid_node(void **state)
{
    (void)state;
    int32_t place;
    assert_int_equal(may("g1-node", "lingyin-v1-g1", &place), FQ_OK);
    assert_int_equal(place, fq_org_find(fq_directory_org(dir), "lingyin-v1-g1"));
    /* Sibling grid, its own village, its town, a grid elsewhere. */
    assert_int_equal(may("g1-node", "lingyin-v1-g2", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "lingyin-v1", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "lingyin", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "lingyin-v2-g1", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "beishan-v1-g1", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "xihu", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("g1-node", "nowhere", &place), FQ_ENOTFOUND);
    assert_int_equal(place, -1);
}

static void test_roles_refused(void **state)
{
    (void)state;
    static const char *nodes[] = {"xihu-admin"};
    static const char *places[] = {"lingyin-v1-g1", "lingyin", "xihu", "nowhere"};
    for (size_t n = 0; n < 1; n++)
        for (size_t p = 0; p < 4; p++) {
            int32_t place;
            /* The role is checked first: even an unknown place says EROLE. */
            assert_int_equal(may(nodes[n], places[p], &place), FQ_EFORBIDDEN);
            assert_int_equal(place, -1);
        }
}

/* A console registers the front desk's cases (never over the network: the
 * intake asks fq_policy_may_register_cases for a request made inside the
 * server) anywhere within its jurisdiction, whatever its tier. */
static void test_console_registers_within(void **state)
{
    (void)state;
    int32_t place;
    assert_false(fq_policy_may_send_reports(FQ_ROLE_CONSOLE));
    assert_true(fq_policy_may_register_cases(FQ_ROLE_CONSOLE));
    assert_false(fq_policy_may_register_cases(FQ_ROLE_TERMINAL));
    assert_false(fq_policy_may_register_cases(FQ_ROLE_ADMIN));
    assert_int_equal(may("lingyin-console", "lingyin-v1-g1", &place), FQ_OK);
    assert_int_equal(may("lingyin-console", "lingyin", &place), FQ_OK);
    assert_int_equal(may("lingyin-console", "xihu", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("lingyin-console", "beishan-v1-g1", NULL), FQ_EOUTSIDE);
    assert_int_equal(may("xihu-console", "beishan-v1-g1", NULL), FQ_OK);
    assert_int_equal(may("xihu-console", "nowhere", NULL), FQ_ENOTFOUND);
}

/* A terminal reports from the field, inside its jurisdiction only. */
static void test_terminal_reports(void **state)
{
    (void)state;
    int32_t place;
    assert_int_equal(may("g1-terminal", "lingyin-v1-g1", &place), FQ_OK);
    assert_true(place >= 0);
    assert_int_equal(may("g1-terminal", "lingyin", &place), FQ_EOUTSIDE);
    assert_int_equal(may("g1-terminal", "nowhere", &place), FQ_ENOTFOUND);
}

/* Outboxes: a town platform reads its town's feed; a terminal the worker's or
 * unit's it is bound to, and only a terminal is bound. */
static void test_boxes(void **state)
{
    (void)state;
    char why[128];
    assert_string_equal(fq_directory_find(dir, "lingyin-platform")->box, "u:lingyin");
    assert_string_equal(fq_directory_find(dir, "xihu-console")->box, "u:xihu");
    assert_string_equal(fq_directory_find(dir, "xihu-admin")->box, "");
    assert_int_equal(fq_directory_set_serves(dir, "g1-terminal", "g1.w1", "", why, sizeof why), 0);
    assert_string_equal(fq_directory_find(dir, "g1-terminal")->box, "w:g1.w1");
    assert_int_equal(
        fq_directory_set_serves(dir, "g1-terminal", "", "lingyin.governance", why, sizeof why), 0);
    assert_string_equal(fq_directory_find(dir, "g1-terminal")->box, "h:lingyin.governance");
    assert_int_equal(fq_directory_set_serves(dir, "g1-terminal", "a", "b", why, sizeof why), -1);
    assert_int_equal(fq_directory_set_serves(dir, "xihu-console", "a", "", why, sizeof why), -1);
    assert_int_equal(fq_directory_set_serves(dir, "nobody", "a", "", why, sizeof why), -1);
}

static void test_misregistered_nodes(void **state)
{
    (void)state;
    /* A town platform bound to a district or a village, a grid node bound to
     * a village or a town: refused everywhere rather than widened. */
    static const char *nodes[] = {"wide-platform", "village-platform", "village-grid-node",
                                  "town-grid-node"};
    static const char *places[] = {"xihu", "lingyin", "lingyin-v1", "lingyin-v1-g1"};
    for (size_t n = 0; n < 4; n++)
        for (size_t p = 0; p < 4; p++)
            assert_int_equal(may(nodes[n], places[p], NULL), FQ_EOUTSIDE);
}

/* The district's hotline: every unit of its district, from the district
 * itself down to any grid of any town; nothing of another district. */
static void test_district_platform(void **state)
{
    (void)state;
    const fq_org *o = fq_directory_org(dir);
    int32_t place;
    static const char *inside[] = {"xihu",          "lingyin", "lingyin-v1", "lingyin-v1-g1",
                                   "lingyin-v2-g1", "beishan", "beishan-v1", "beishan-v1-g1"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        assert_int_equal(may("xihu-12345", inside[i], &place), FQ_OK);
        assert_int_equal(place, fq_org_find(o, inside[i]));
        assert_int_equal(fq_policy_may_report_at(dir, node("xihu-12345"), place), FQ_OK);
    }
    static const char *outside[] = {"gongshu", "hubin", "hubin-v1", "hubin-v1-g1"};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_int_equal(may("xihu-12345", outside[i], &place), FQ_EOUTSIDE);
        assert_int_equal(place, fq_org_find(o, outside[i]));
        assert_int_equal(fq_policy_may_report_at(dir, node("xihu-12345"), place), FQ_EOUTSIDE);
        /* ... which the other district's platform may. */
        assert_int_equal(may("gongshu-12345", outside[i], NULL), FQ_OK);
    }
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++)
        assert_int_equal(may("gongshu-12345", inside[i], NULL), FQ_EOUTSIDE);
    assert_int_equal(may("xihu-12345", "nowhere", &place), FQ_ENOTFOUND);
    assert_int_equal(place, -1);
    assert_int_equal(fq_policy_may_report_at(dir, node("xihu-12345"), -1), FQ_ENOTFOUND);
    assert_int_equal(fq_policy_may_report_at(dir, node("xihu-12345"), 1 << 20), FQ_ENOTFOUND);
    /* Bound to a town or a grid: refused everywhere, even there. */
    static const char *all[] = {"xihu", "lingyin", "lingyin-v1", "lingyin-v1-g1"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(may("town-12345", all[i], NULL), FQ_EOUTSIDE);
        assert_int_equal(may("grid-12345", all[i], NULL), FQ_EOUTSIDE);
    }
    /* It follows its district's feed, which carries every town's changes. */
    assert_string_equal(node("xihu-12345")->box, "u:xihu");
    assert_string_equal(node("gongshu-12345")->box, "u:gongshu");
    assert_true(fq_policy_may_send_reports(FQ_ROLE_DISTRICT_PLATFORM));
    assert_true(fq_policy_may_send_reports(FQ_ROLE_TOWN_PLATFORM));
    assert_true(fq_policy_may_send_reports(FQ_ROLE_GRID_NODE));
    assert_true(fq_policy_may_send_reports(FQ_ROLE_TERMINAL));
    assert_false(fq_policy_may_send_reports(FQ_ROLE_CONSOLE));
    assert_false(fq_policy_may_send_reports(FQ_ROLE_ADMIN));
    assert_false(fq_policy_may_send_reports((fq_role)0));
}

/* A coordinate-only report is checked by the grid its point lies in: the
 * same answers as naming that grid. */
static void test_report_at_grid(void **state)
{
    (void)state;
    const fq_org *o = fq_directory_org(dir);
    int32_t beishan_grid = fq_org_find(o, "beishan-v1-g1");
    assert_int_equal(fq_policy_may_report_at(dir, node("lingyin-platform"), beishan_grid),
                     FQ_EOUTSIDE);
    assert_int_equal(fq_policy_may_report_at(dir, node("xihu-12345"), beishan_grid), FQ_OK);
    assert_int_equal(fq_policy_may_report_at(dir, node("g1-terminal"), beishan_grid), FQ_EOUTSIDE);
    assert_int_equal(fq_policy_may_report_at(dir, node("xihu-console"), beishan_grid), FQ_OK);
    assert_int_equal(fq_policy_may_report_at(dir, node("lingyin-console"), beishan_grid),
                     FQ_EOUTSIDE);
    assert_int_equal(fq_policy_may_report_at(dir, node("wide-platform"), beishan_grid),
                     FQ_EOUTSIDE);
}

static void test_revoked_is_not_policy(void **state)
{
    (void)state;
    /* Revocation is the authentication step's business; policy looks only at
     * role and place. */
    assert_int_equal(may("old-platform", "beishan-v1", NULL), FQ_OK);
}

static void test_role_names(void **state)
{
    (void)state;
    static const char *names[] = {"town_platform", "grid_node", "terminal",
                                  "console",       "admin",     "district_platform"};
    for (int r = FQ_ROLE_TOWN_PLATFORM; r <= FQ_ROLE_DISTRICT_PLATFORM; r++) {
        assert_int_equal(fq_role_parse(names[r - 1]), r);
        assert_string_equal(fq_role_name((fq_role)r), names[r - 1]);
    }
    assert_int_equal(fq_role_parse("town-platform"), 0);
    assert_int_equal(fq_role_parse(""), 0);
    assert_int_equal(fq_role_parse("Admin"), 0);
    assert_string_equal(fq_role_name((fq_role)0), "unknown");
    assert_string_equal(fq_role_name((fq_role)7), "unknown");
}

static void test_empty_directory(void **state)
{
    (void)state;
    fq_org *o = fq_org_new();
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    fq_directory *d = fq_directory_new(o);
    assert_non_null(d);
    assert_int_equal(fq_directory_node_count(d), 0);
    assert_null(fq_directory_find(d, "x"));
    assert_int_equal(
        fq_directory_add_node(d, "x", FQ_ROLE_ADMIN, "xihu", key_a, 0, err, sizeof err), -1);
    fq_directory_free(d);
    fq_directory_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes),
        cmocka_unit_test(test_town_platform),
        cmocka_unit_test(test_grid_node),
        cmocka_unit_test(test_roles_refused),
        cmocka_unit_test(test_console_registers_within),
        cmocka_unit_test(test_terminal_reports),
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_district_platform),
        cmocka_unit_test(test_report_at_grid),
        cmocka_unit_test(test_misregistered_nodes),
        cmocka_unit_test(test_revoked_is_not_policy),
        cmocka_unit_test(test_add_refusals),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_empty_directory),
    };
    return cmocka_run_group_tests_name("directory", tests, setup, teardown);
}
