/* org: building the tree, shape checks in fq_org_finish, fq_org_within. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "org.h"

#include <stdio.h>
#include <string.h>

static char err[256];

static fq_org *sample(void)
{
    /* xihu (district)
     *   lingyin (town)
     *     lingyin-v1 (village): lingyin-v1-g1, lingyin-v1-g2 (grids)
     *     lingyin-v2 (village): lingyin-v2-g1
     *   beishan (town)
     *     beishan-v1: beishan-v1-g1
     * gongshu (district, a second root) */
    fq_org *o = fq_org_new();
    assert_non_null(o);
    /* Children before parents on purpose: parents may come later. */
    assert_int_equal(
        fq_org_add(o, "lingyin-v1-g1", FQ_UNIT_GRID, "lingyin-v1", "G1", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "lingyin-v1", FQ_UNIT_VILLAGE, "lingyin", "V1", err, sizeof err),
                     0);
    assert_int_equal(fq_org_add(o, "lingyin", FQ_UNIT_TOWN, "xihu", "灵隐街道", err, sizeof err),
                     0);
    assert_int_equal(fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "西湖区", err, sizeof err), 0);
    assert_int_equal(
        fq_org_add(o, "lingyin-v1-g2", FQ_UNIT_GRID, "lingyin-v1", "G2", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "lingyin-v2", FQ_UNIT_VILLAGE, "lingyin", "V2", err, sizeof err),
                     0);
    assert_int_equal(
        fq_org_add(o, "lingyin-v2-g1", FQ_UNIT_GRID, "lingyin-v2", "G", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "beishan", FQ_UNIT_TOWN, "xihu", "北山街道", err, sizeof err),
                     0);
    assert_int_equal(fq_org_add(o, "beishan-v1", FQ_UNIT_VILLAGE, "beishan", "", err, sizeof err),
                     0);
    assert_int_equal(
        fq_org_add(o, "beishan-v1-g1", FQ_UNIT_GRID, "beishan-v1", "", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "gongshu", FQ_UNIT_DISTRICT, "", "拱墅区", err, sizeof err), 0);
    return o;
}

static int32_t find(const fq_org *o, const char *id)
{
    int32_t u = fq_org_find(o, id);
    if (u < 0)
        fail_msg("unit %s not found", id);
    return u;
}

static void test_build_and_query(void **state)
{
    (void)state;
    fq_org *o = sample();
    assert_int_equal(fq_org_count(o), 11);
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    /* Dense indices in insertion order. */
    assert_int_equal(find(o, "lingyin-v1-g1"), 0);
    assert_int_equal(find(o, "gongshu"), 10);
    for (size_t i = 0; i < fq_org_count(o); i++)
        assert_int_equal(fq_org_find(o, fq_org_id(o, (int32_t)i)), (int32_t)i);
    assert_int_equal(fq_org_find(o, "nowhere"), -1);
    assert_int_equal(fq_org_find(o, ""), -1);
    assert_int_equal(fq_org_find(o, "LINGYIN"), -1);

    int32_t xihu = find(o, "xihu"), lingyin = find(o, "lingyin"), v1 = find(o, "lingyin-v1");
    int32_t g1 = find(o, "lingyin-v1-g1");
    assert_int_equal(fq_org_kind(o, xihu), FQ_UNIT_DISTRICT);
    assert_int_equal(fq_org_kind(o, lingyin), FQ_UNIT_TOWN);
    assert_int_equal(fq_org_kind(o, v1), FQ_UNIT_VILLAGE);
    assert_int_equal(fq_org_kind(o, g1), FQ_UNIT_GRID);
    assert_int_equal(fq_org_parent(o, xihu), -1);
    assert_int_equal(fq_org_parent(o, lingyin), xihu);
    assert_int_equal(fq_org_parent(o, v1), lingyin);
    assert_int_equal(fq_org_parent(o, g1), v1);
    assert_string_equal(fq_org_id(o, g1), "lingyin-v1-g1");
    fq_org_free(o);
}

static void test_within(void **state)
{
    (void)state;
    fq_org *o = sample();
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    int32_t xihu = find(o, "xihu"), lingyin = find(o, "lingyin"), v1 = find(o, "lingyin-v1");
    int32_t v2 = find(o, "lingyin-v2"), g1 = find(o, "lingyin-v1-g1");
    int32_t g2 = find(o, "lingyin-v1-g2"), beishan = find(o, "beishan");
    int32_t bg = find(o, "beishan-v1-g1"), gongshu = find(o, "gongshu");

    /* Reflexive. */
    for (size_t i = 0; i < fq_org_count(o); i++)
        assert_true(fq_org_within(o, (int32_t)i, (int32_t)i));
    /* Down the chain. */
    assert_true(fq_org_within(o, g1, v1));
    assert_true(fq_org_within(o, g1, lingyin));
    assert_true(fq_org_within(o, g1, xihu));
    assert_true(fq_org_within(o, v2, lingyin));
    assert_true(fq_org_within(o, bg, xihu));
    /* Never upwards, never sideways. */
    assert_false(fq_org_within(o, lingyin, g1));
    assert_false(fq_org_within(o, xihu, lingyin));
    assert_false(fq_org_within(o, g1, g2));
    assert_false(fq_org_within(o, g1, v2));
    assert_false(fq_org_within(o, bg, lingyin));
    assert_false(fq_org_within(o, g1, beishan));
    assert_false(fq_org_within(o, g1, gongshu));
    assert_false(fq_org_within(o, gongshu, xihu));
    /* Unknown units (-1) are inside nothing and contain nothing. */
    assert_false(fq_org_within(o, -1, xihu));
    assert_false(fq_org_within(o, g1, -1));
    assert_false(fq_org_within(o, -1, -1));
    assert_false(fq_org_within(o, INT32_MIN, xihu));
    fq_org_free(o);
}

static void test_add_refusals(void **state)
{
    (void)state;
    fq_org *o = fq_org_new();
    assert_int_equal(fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "X", err, sizeof err), 0);
    /* Duplicate id, whatever the kind. */
    err[0] = '\0';
    assert_int_equal(fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "X", err, sizeof err), -1);
    assert_non_null(strstr(err, "xihu"));
    assert_int_equal(fq_org_add(o, "xihu", FQ_UNIT_TOWN, "other", "X", err, sizeof err), -1);
    /* Bad ids. */
    assert_int_equal(fq_org_add(o, "", FQ_UNIT_TOWN, "xihu", "", err, sizeof err), -1);
    assert_int_equal(fq_org_add(o, "Lingyin", FQ_UNIT_TOWN, "xihu", "", err, sizeof err), -1);
    assert_int_equal(fq_org_add(o, "-lingyin", FQ_UNIT_TOWN, "xihu", "", err, sizeof err), -1);
    char long_id[66];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(fq_org_add(o, long_id, FQ_UNIT_TOWN, "xihu", "", err, sizeof err), -1);
    long_id[64] = '\0';
    assert_int_equal(fq_org_add(o, long_id, FQ_UNIT_TOWN, "xihu", "", err, sizeof err), 0);
    /* Bad parent id. */
    assert_int_equal(fq_org_add(o, "a1", FQ_UNIT_TOWN, "Xihu", "", err, sizeof err), -1);
    assert_int_equal(fq_org_add(o, "a2", FQ_UNIT_TOWN, "x y", "", err, sizeof err), -1);
    /* Bad kinds. */
    assert_int_equal(fq_org_add(o, "a3", (fq_unit_kind)0, "", "", err, sizeof err), -1);
    assert_int_equal(fq_org_add(o, "a4", (fq_unit_kind)5, "", "", err, sizeof err), -1);
    assert_int_equal(fq_org_add(o, "a5", (fq_unit_kind)-1, "", "", err, sizeof err), -1);
    assert_int_equal(fq_org_count(o), 2);
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    fq_org_free(o);
}

/* Builds a two-unit tree (root + child) and returns what finish says. */
static int finish_pair(fq_unit_kind root_kind, const char *root_parent, fq_unit_kind child_kind,
                       const char *child_parent)
{
    fq_org *o = fq_org_new();
    assert_int_equal(fq_org_add(o, "root", root_kind, root_parent, "", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "child", child_kind, child_parent, "", err, sizeof err), 0);
    err[0] = '\0';
    int rv = fq_org_finish(o, err, sizeof err);
    if (rv != 0)
        assert_true(err[0] != '\0');
    fq_org_free(o);
    return rv;
}

static void test_finish_shape(void **state)
{
    (void)state;
    /* Exactly one tier down is the only allowed parent link. */
    for (int pk = FQ_UNIT_DISTRICT; pk <= FQ_UNIT_GRID; pk++)
        for (int ck = FQ_UNIT_DISTRICT; ck <= FQ_UNIT_GRID; ck++) {
            fq_org *o = fq_org_new();
            assert_int_equal(fq_org_add(o, "d", FQ_UNIT_DISTRICT, "", "", err, sizeof err), 0);
            assert_int_equal(fq_org_add(o, "t", FQ_UNIT_TOWN, "d", "", err, sizeof err), 0);
            assert_int_equal(fq_org_add(o, "v", FQ_UNIT_VILLAGE, "t", "", err, sizeof err), 0);
            assert_int_equal(fq_org_add(o, "g", FQ_UNIT_GRID, "v", "", err, sizeof err), 0);
            static const char *ids[] = {"", "d", "t", "v", "g"};
            assert_int_equal(fq_org_add(o, "x", (fq_unit_kind)ck, ids[pk], "", err, sizeof err), 0);
            int rv = fq_org_finish(o, err, sizeof err);
            if (pk + 1 == ck)
                assert_int_equal(rv, 0);
            else if (rv != -1)
                fail_msg("a %s under a %s was accepted", fq_unit_kind_name((fq_unit_kind)ck),
                         fq_unit_kind_name((fq_unit_kind)pk));
            fq_org_free(o);
        }
    /* Tier skipping. */
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_VILLAGE, "root"), -1);
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_GRID, "root"), -1);
    /* Unknown parent. */
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_TOWN, "nowhere"), -1);
    assert_non_null(strstr(err, "nowhere"));
    /* Non-district roots. */
    assert_int_equal(finish_pair(FQ_UNIT_TOWN, "", FQ_UNIT_VILLAGE, "root"), -1);
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_GRID, ""), -1);
    /* A district with a parent, and self-parenting. */
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_DISTRICT, "root"), -1);
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "root", FQ_UNIT_TOWN, "root"), -1);
    assert_int_equal(finish_pair(FQ_UNIT_TOWN, "child", FQ_UNIT_TOWN, "root"), -1);
    /* The good case. */
    assert_int_equal(finish_pair(FQ_UNIT_DISTRICT, "", FQ_UNIT_TOWN, "root"), 0);
}

static void test_empty_and_names(void **state)
{
    (void)state;
    fq_org *o = fq_org_new();
    assert_int_equal(fq_org_count(o), 0);
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    assert_int_equal(fq_org_find(o, "x"), -1);
    fq_org_free(o);
    fq_org_free(NULL);

    static const char *names[] = {"district", "town", "village", "grid"};
    for (int k = FQ_UNIT_DISTRICT; k <= FQ_UNIT_GRID; k++) {
        assert_int_equal(fq_unit_kind_parse(names[k - 1]), k);
        assert_string_equal(fq_unit_kind_name((fq_unit_kind)k), names[k - 1]);
    }
    assert_int_equal(fq_unit_kind_parse("District"), 0);
    assert_int_equal(fq_unit_kind_parse(""), 0);
    assert_int_equal(fq_unit_kind_parse("street"), 0);
    assert_string_equal(fq_unit_kind_name((fq_unit_kind)0), "unknown");
    assert_string_equal(fq_unit_kind_name((fq_unit_kind)9), "unknown");
}

static void test_many_units(void **state)
{
    (void)state;
    /* Past the initial capacity (64) and its doublings: indices stay right. */
    fq_org *o = fq_org_new();
    char id[32], parent[32];
    assert_int_equal(fq_org_add(o, "d", FQ_UNIT_DISTRICT, "", "", err, sizeof err), 0);
    for (int t = 0; t < 10; t++) {
        snprintf(id, sizeof id, "t%d", t);
        assert_int_equal(fq_org_add(o, id, FQ_UNIT_TOWN, "d", "", err, sizeof err), 0);
        for (int v = 0; v < 10; v++) {
            snprintf(parent, sizeof parent, "t%d", t);
            snprintf(id, sizeof id, "t%d-v%d", t, v);
            assert_int_equal(fq_org_add(o, id, FQ_UNIT_VILLAGE, parent, "", err, sizeof err), 0);
            for (int g = 0; g < 3; g++) {
                snprintf(parent, sizeof parent, "t%d-v%d", t, v);
                snprintf(id, sizeof id, "t%d-v%d-g%d", t, v, g);
                assert_int_equal(fq_org_add(o, id, FQ_UNIT_GRID, parent, "", err, sizeof err), 0);
            }
        }
    }
    assert_int_equal(fq_org_count(o), 1 + 10 + 100 + 300);
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    int32_t g = find(o, "t7-v3-g2");
    assert_true(fq_org_within(o, g, find(o, "t7")));
    assert_false(fq_org_within(o, g, find(o, "t3")));
    assert_false(fq_org_within(o, g, find(o, "t7-v2")));
    assert_true(fq_org_within(o, g, find(o, "d")));
    fq_org_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_query), cmocka_unit_test(test_within),
        cmocka_unit_test(test_add_refusals),    cmocka_unit_test(test_finish_shape),
        cmocka_unit_test(test_empty_and_names), cmocka_unit_test(test_many_units),
    };
    return cmocka_run_group_tests_name("org", tests, NULL, NULL);
}
