/* suggest: categories ranked by their keywords in a case's words
 * (docs/front-desk.md, "Category suggestions"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suggest.h"

static const char *const noise_kw[] = {"噪音", "噪音扰民", "广场舞"};
static const char *const neighbour_kw[] = {"邻里", "漏水", "楼上"};
static const char *const food_kw[] = {"食品", "过期", "Expired"};
static const fq_suggest_category cats[] = {
    {"enforcement.noise", noise_kw, 3},
    {"dispute.neighbour", neighbour_kw, 3},
    {"market.food", food_kw, 3},
};

static void test_ranked_by_weighted_hits(void **state)
{
    (void)state;
    fq_suggestion out[3];
    size_t n = fq_suggest_rank(cats, 3, "楼上漏水", "邻里之间为漏水吵了三次，还有噪音", out, 3);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].category, 1); /* title 楼上, 漏水 (x2) + text 邻里, 漏水 */
    assert_int_equal(out[0].score, 2 * 2 + 2 * 2 + 2 + 2);
    assert_int_equal(out[0].hits, 4);
    assert_int_equal(out[1].category, 0);
    assert_int_equal(out[1].score, 2);
}

static void test_longer_keywords_weigh_more(void **state)
{
    (void)state;
    fq_suggestion out[3];
    /* 噪音扰民 contains 噪音: both count, the longer for four. */
    size_t n = fq_suggest_rank(cats, 3, "", "夜间噪音扰民", out, 3);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].score, 2 + 4);
}

static void test_nothing_found_and_limits(void **state)
{
    (void)state;
    fq_suggestion out[3];
    assert_int_equal(fq_suggest_rank(cats, 3, "路灯不亮", "", out, 3), 0);
    assert_int_equal(fq_suggest_rank(cats, 3, "", "", out, 3), 0);
    /* ASCII case is ignored; max 1 keeps only the best. */
    size_t n = fq_suggest_rank(cats, 3, "EXPIRED milk", "噪音", out, 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].category, 2);
    assert_int_equal(out[0].score, 2 * 7);
}

static void test_ties_keep_the_given_order(void **state)
{
    (void)state;
    fq_suggestion out[3];
    size_t n = fq_suggest_rank(cats, 3, "", "邻里 食品", out, 3);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].category, 1);
    assert_int_equal(out[1].category, 2);
    /* With room for one, the tie goes to the first given. */
    n = fq_suggest_rank(cats, 3, "", "食品 邻里", out, 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].category, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranked_by_weighted_hits),
        cmocka_unit_test(test_longer_keywords_weigh_more),
        cmocka_unit_test(test_nothing_found_and_limits),
        cmocka_unit_test(test_ties_keep_the_given_order),
    };
    return cmocka_run_group_tests_name("suggest", tests, NULL, NULL);
}
