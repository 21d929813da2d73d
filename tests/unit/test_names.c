/* names: the display names the routing snapshot keeps beside the ids (org
 * units, categories, handlers, workers) and the district's time zone —
 * what replies and feed items carry (docs/protocol.md, "Names"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "org.h"
#include "roster.h"
#include "routing_state.h"
#include "taxonomy.h"

#include <stdio.h>
#include <string.h>

static char err[256];

static fq_org *small_org(void)
{
    fq_org *o = fq_org_new();
    assert_non_null(o);
    assert_int_equal(fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "西湖区", err, sizeof err), 0);
    assert_int_equal(fq_org_add(o, "lingyin", FQ_UNIT_TOWN, "xihu", "灵隐街道", err, sizeof err),
                     0);
    assert_int_equal(
        fq_org_add(o, "lingyin-v1", FQ_UNIT_VILLAGE, "lingyin", "玉泉社区", err, sizeof err), 0);
    assert_int_equal(
        fq_org_add(o, "lingyin-v1-g1", FQ_UNIT_GRID, "lingyin-v1", "玉泉1号网格", err, sizeof err),
        0);
    assert_int_equal(
        fq_org_add(o, "lingyin-v1-g2", FQ_UNIT_GRID, "lingyin-v1", "玉泉2号网格", err, sizeof err),
        0);
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    return o;
}

static void test_org_names(void **state)
{
    (void)state;
    fq_org *o = small_org();
    assert_string_equal(fq_org_name(o, fq_org_find(o, "lingyin")), "灵隐街道");
    assert_string_equal(fq_org_name(o, fq_org_find(o, "lingyin-v1-g2")), "玉泉2号网格");
    /* 西湖区 9 bytes, 灵隐街道 12, 玉泉社区 12, 玉泉1号网格 16 (a digit is one
     * byte), 玉泉2号网格 16, and a NUL each. */
    assert_int_equal(fq_org_names_memory(o), 9 + 12 + 12 + 16 + 16 + 5);
    fq_org_free(o);
}

static void test_category_names(void **state)
{
    (void)state;
    fq_taxonomy *t = fq_taxonomy_new();
    int a = fq_taxonomy_add(t, "dispute.neighbour", FQ_LINE_GOVERNANCE, err, sizeof err);
    int b = fq_taxonomy_add(t, "food_safety", FQ_LINE_MARKET, err, sizeof err);
    assert_true(a >= 0 && b >= 0);
    assert_int_equal(fq_taxonomy_set_name(t, a, "邻里纠纷"), 0);
    assert_string_equal(fq_taxonomy_name(t, a), "邻里纠纷");
    /* None given: the code stands in (never an empty label). */
    assert_string_equal(fq_taxonomy_name(t, b), "food_safety");
    assert_int_equal(fq_taxonomy_set_name(t, b, ""), 0);
    assert_string_equal(fq_taxonomy_name(t, b), "food_safety");
    /* Named again: the last name holds. */
    assert_int_equal(fq_taxonomy_set_name(t, a, "邻里纠纷(新)"), 0);
    assert_string_equal(fq_taxonomy_name(t, a), "邻里纠纷(新)");
    assert_int_equal(fq_taxonomy_names_memory(t), strlen("邻里纠纷(新)") + 1 + 1);
    fq_taxonomy_free(t);
}

static void test_roster_names_follow_the_sort(void **state)
{
    (void)state;
    fq_org *o = small_org();
    fq_roster *r = fq_roster_new(o);
    assert_int_equal(fq_roster_add_handler(r, "xihu-center", FQ_HANDLER_CENTER, "xihu", -1, NULL,
                                           err, sizeof err),
                     0);
    assert_int_equal(fq_roster_set_handler_name(r, 0, "西湖区社会治理综合服务中心"), 0);
    assert_int_equal(fq_roster_add_handler(r, "lingyin-v1-unit", FQ_HANDLER_VILLAGE, "lingyin-v1",
                                           -1, NULL, err, sizeof err),
                     0);
    /* Workers added out of grid order: fq_roster_finish sorts them by grid,
     * and each keeps its own name. */
    assert_int_equal(fq_roster_add_worker(r, "g2-w1", "lingyin-v1-g2", 5, 1, 0, err, sizeof err),
                     0);
    assert_int_equal(fq_roster_set_worker_name(r, 0, "王某"), 0);
    assert_int_equal(fq_roster_add_worker(r, "g1-w1", "lingyin-v1-g1", 5, 1, 0, err, sizeof err),
                     0);
    assert_int_equal(fq_roster_set_worker_name(r, 1, "李某"), 0);
    assert_int_equal(fq_roster_add_worker(r, "g1-w2", "lingyin-v1-g1", 5, 1, 0, err, sizeof err),
                     0);
    assert_int_equal(fq_roster_set_worker_name(r, 5, "nobody"), -1); /* no such worker */
    assert_int_equal(fq_roster_finish(r, err, sizeof err), 0);
    assert_int_equal(fq_roster_set_worker_name(r, 0, "too late"), -1); /* sorted already */
    assert_string_equal(fq_roster_worker_name(r, fq_roster_find_worker(r, "g2-w1")), "王某");
    assert_string_equal(fq_roster_worker_name(r, fq_roster_find_worker(r, "g1-w1")), "李某");
    /* None given: the id stands in. */
    assert_string_equal(fq_roster_worker_name(r, fq_roster_find_worker(r, "g1-w2")), "g1-w2");
    assert_string_equal(fq_roster_handler_name(r, fq_roster_find_handler(r, "xihu-center")),
                        "西湖区社会治理综合服务中心");
    assert_string_equal(fq_roster_handler_name(r, fq_roster_find_handler(r, "lingyin-v1-unit")),
                        "lingyin-v1-unit");
    size_t names =
        strlen("西湖区社会治理综合服务中心") + 1 + strlen("王某") + 1 + strlen("李某") + 1;
    assert_int_equal(fq_roster_names_memory(r), names);
    assert_true(fq_roster_memory(r) > names);
    fq_roster_free(r);
    fq_org_free(o);
}

static void test_time_zone(void **state)
{
    (void)state;
    fq_org *o = small_org();
    char buf[8];
    /* No routing state, no calendar: China Standard Time. */
    assert_string_equal(fq_routing_time_zone(NULL, -1, buf, sizeof buf), "+08:00");
    fq_routing r;
    memset(&r, 0, sizeof r);
    r.org = o;
    assert_string_equal(fq_routing_time_zone(&r, fq_org_find(o, "lingyin-v1-g1"), buf, sizeof buf),
                        "+08:00");
    /* A calendar for the district: any unit of it reads its offset. */
    fq_district_calendar cals[1];
    cals[0].district = fq_org_find(o, "xihu");
    fq_calendar_init(&cals[0].calendar, -(3 * 3600 + 30 * 60));
    r.calendars = cals;
    r.n_calendars = 1;
    assert_string_equal(fq_routing_time_zone(&r, fq_org_find(o, "lingyin-v1-g1"), buf, sizeof buf),
                        "-03:30");
    assert_string_equal(fq_routing_time_zone(&r, fq_org_find(o, "xihu"), buf, sizeof buf),
                        "-03:30");
    fq_calendar_init(&cals[0].calendar, 9 * 3600);
    assert_string_equal(fq_routing_time_zone(&r, fq_org_find(o, "lingyin"), buf, sizeof buf),
                        "+09:00");
    fq_org_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_names),
        cmocka_unit_test(test_category_names),
        cmocka_unit_test(test_roster_names_follow_the_sort),
        cmocka_unit_test(test_time_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
