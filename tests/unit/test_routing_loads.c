/* Tests of the directory load's binary rows (routing_state.h,
 * statements.h FQ_SQL_LOAD_FORMATS): a grid's ring as PostgreSQL 15 sent it
 * (array_send of a float8[]) builds the grid's polygon; a ring of an odd
 * count, a ring in text and a row of a unit that is no grid are refused
 * with the grid named. */
#include "routing_state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pgfake.h"

/* '{120.0,30.0,120.1,30.0,120.1,30.1,120.0,30.0}'::float8[] */
#define PG_RING_SQUARE                                                                             \
    "0000000100000000000002bd000000080000000100000008405e00000000000000000008403e0000000000000000" \
    "0008405e06666666666600000008403e00000000000000000008405e06666666666600000008403e19999999999a" \
    "00000008405e00000000000000000008403e000000000000"
/* '{120.0,30.0,120.1}'::float8[] */
#define PG_RING_ODD                                                                                \
    "0000000100000000000002bd000000030000000100000008405e00000000000000000008403e0000000000000000" \
    "0008405e066666666666"

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
    assert_int_equal(fq_org_finish(o, err, sizeof err), 0);
    return o;
}

static PGresult *polygons(const char *grid, const char *ring_hex, int format)
{
    PGresult *res = pgfake_result(2, format);
    pgfake_put_text(res, 0, 0, grid);
    pgfake_put_hex(res, 0, 1, ring_hex);
    return res;
}

static void test_ring(void **state)
{
    (void)state;
    fq_org *o = small_org();
    PGresult *res = polygons("lingyin-v1-g1", PG_RING_SQUARE, 1);
    fq_geo_builder *b = fq_routing_polygons(o, res, err, sizeof err);
    assert_non_null(b);
    fq_geo_index *ix = fq_geo_build(b, err, sizeof err);
    assert_non_null(ix);
    assert_int_equal(fq_geo_polygons(ix), 1);
    fq_geo_free(ix);
    PQclear(res);
    fq_org_free(o);
}

static void test_refused(void **state)
{
    (void)state;
    fq_org *o = small_org();
    PGresult *res = polygons("lingyin-v1-g1", PG_RING_ODD, 1);
    assert_null(fq_routing_polygons(o, res, err, sizeof err));
    assert_non_null(strstr(err, "polygon of grid lingyin-v1-g1: malformed ring"));
    PQclear(res);
    /* The text of the array, where the binary one is read. */
    const char *text = "{120,30,120.1,30,120.1,30.1,120,30}";
    char hex[2 * 64 + 1];
    for (size_t i = 0; i < strlen(text); i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
    res = polygons("lingyin-v1-g1", hex, 0);
    assert_null(fq_routing_polygons(o, res, err, sizeof err));
    assert_non_null(strstr(err, "malformed ring"));
    PQclear(res);
    res = polygons("lingyin-v1", PG_RING_SQUARE, 1);
    assert_null(fq_routing_polygons(o, res, err, sizeof err));
    assert_non_null(strstr(err, "polygon of lingyin-v1: not a grid"));
    PQclear(res);
    fq_org_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
