/* Tests of the outbox item sets: one item per box, the statement parameters
 * (binary arrays of the element types the statements cast them to, read
 * back element by element; empty ones of the same types when none were
 * built), the matching of committed seqs back to items, and complete
 * items. */
#include "outbox.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void body(Fengqiao__V1__OutboxItem *it, const char *text)
{
    fengqiao__v1__outbox_item__init(it);
    it->text = (char *)text;
}

/* Parameter `which` of the set, checked to be a binary array of `oid`, as
 * text: its elements joined by ',' (text as is, int2 in decimal, bytea in
 * hex), "{...}" around them. */
static void expect_param(const fq_outbox_set *s, int which, uint32_t oid, const char *want)
{
    int len = -1;
    const char *v = fq_outbox_param(s, which, &len);
    assert_non_null(v);
    fq_pgarray_reader r;
    assert_int_equal(fq_pgarray_read_begin(&r, v, (size_t)len, oid), 0);
    char got[256] = "{";
    const uint8_t *e;
    int32_t n;
    int rc;
    for (int i = 0; (rc = fq_pgarray_read_next(&r, &e, &n)) == 1; i++) {
        assert_true(n >= 0); /* no NULLs */
        size_t at = strlen(got);
        if (i > 0)
            got[at++] = ',';
        if (oid == FQ_PG_TEXT) {
            snprintf(got + at, sizeof got - at, "%.*s", (int)n, (const char *)e);
        } else if (oid == FQ_PG_INT2) {
            assert_int_equal(n, 2);
            snprintf(got + at, sizeof got - at, "%d", fq_pg_get_int2(e));
        } else {
            for (int32_t j = 0; j < n; j++)
                snprintf(got + at + 2 * (size_t)j, sizeof got - at - 2 * (size_t)j, "%02x", e[j]);
        }
    }
    assert_int_equal(rc, 0);
    strncat(got, "}", sizeof got - strlen(got) - 1);
    assert_string_equal(got, want);
}

static void expect_params(const fq_outbox_set *s, const char *boxes, const char *kinds,
                          const char *bodies)
{
    expect_param(s, FQ_OUTBOX_BOXES, FQ_PG_TEXT, boxes);
    expect_param(s, FQ_OUTBOX_KINDS, FQ_PG_INT2, kinds);
    expect_param(s, FQ_OUTBOX_BODIES, FQ_PG_BYTEA, bodies);
}

static void test_params(void **state)
{
    (void)state;
    fq_outbox_set s;
    fq_outbox_init(&s);
    Fengqiao__V1__OutboxItem it;
    body(&it, "A");
    assert_int_equal(fq_outbox_add(&s, "w:g1.w1", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1),
                     0);
    assert_int_equal(fq_outbox_add(&s, "u:lingyin", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 0),
                     0);
    /* A second item for a box the event already reaches is dropped. */
    assert_int_equal(fq_outbox_add(&s, "w:g1.w1", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 0), 0);
    assert_int_equal(s.n, 2);
    /* Not built yet: empty arrays of the right types. */
    expect_params(&s, "{}", "{}", "{}");
    assert_int_equal(fq_outbox_params(&s), 0);
    /* text "A": field 4, length 1 -> 22 01 41 */
    expect_params(&s, "{w:g1.w1,u:lingyin}", "{1,2}", "{220141,220141}");
    fq_outbox_free(&s);
    assert_int_equal(s.n, 0);
    expect_params(&s, "{}", "{}", "{}");
}

/* The follow feeds' items are columns of their event, not outbox rows
 * (migration 0032): they stay in the set (to be matched when committed and
 * delivered) but not in the rows' parameters. */
static void test_feeds(void **state)
{
    (void)state;
    fq_outbox_set s;
    fq_outbox_init(&s);
    Fengqiao__V1__OutboxItem it;
    body(&it, "A");
    assert_int_equal(fq_outbox_feed_index(&s, FQ_FEED_TOWN), -1);
    assert_int_equal(fq_outbox_add(&s, "w:g1.w1", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1),
                     0);
    assert_int_equal(fq_outbox_add_feed(&s, FQ_FEED_TOWN, "u:lingyin", &it, 0), 0);
    assert_int_equal(fq_outbox_add_feed(&s, FQ_FEED_DISTRICT, "u:xihu", &it, 0), 0);
    assert_int_equal(fq_outbox_add_feed(&s, FQ_FEED_NONE, "u:other", &it, 0), -1);
    assert_int_equal(
        fq_outbox_add(&s, "h:lingyin.governance", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 0), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(fq_outbox_feed_index(&s, FQ_FEED_TOWN), 1);
    assert_int_equal(fq_outbox_feed_index(&s, FQ_FEED_DISTRICT), 2);
    assert_int_equal(s.kind[1], FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE);
    /* One body for both feeds: the event keeps one. */
    assert_int_equal(s.body_len[1], s.body_len[2]);
    assert_memory_equal(s.body[1], s.body[2], s.body_len[1]);
    assert_int_equal(fq_outbox_params(&s), 0);
    expect_params(&s, "{w:g1.w1,h:lingyin.governance}", "{1,2}", "{220141,220141}");
    fq_outbox_free(&s);
    /* Only feeds: empty arrays. */
    fq_outbox_add_feed(&s, FQ_FEED_DISTRICT, "u:xihu", &it, 0);
    assert_int_equal(fq_outbox_params(&s), 0);
    expect_params(&s, "{}", "{}", "{}");
    fq_outbox_free(&s);
}

static int calls;
static uint64_t seen_seq[4], seen_event[4];
static int seen_index[4];

static void record(void *user, const fq_outbox_set *s, int index, uint64_t seq, uint64_t event_seq)
{
    seen_event[calls] = event_seq;
    (void)user;
    (void)s;
    seen_index[calls] = index;
    seen_seq[calls] = seq;
    calls++;
}

static void test_committed(void **state)
{
    (void)state;
    fq_outbox_set s;
    fq_outbox_init(&s);
    Fengqiao__V1__OutboxItem it;
    body(&it, "x");
    fq_outbox_add(&s, "w:a", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1);
    fq_outbox_add(&s, "h:b.c", FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, &it, 1);
    calls = 0;
    /* PostgreSQL may return them in any order. */
    assert_int_equal(fq_outbox_committed(&s, "7 h:b.c,12 w:a", record, NULL), 2);
    assert_int_equal(seen_index[0], 1);
    assert_int_equal(seen_seq[0], 7);
    assert_int_equal(seen_index[1], 0);
    assert_int_equal(seen_seq[1], 12);
    assert_int_equal(seen_event[0], 0); /* not said: 0 */
    /* With the event's seq (FQ_SQL_OUTBOX_SEQS). */
    calls = 0;
    assert_int_equal(fq_outbox_committed(&s, "8 w:a 5001,13 h:b.c 5001", record, NULL), 2);
    assert_int_equal(seen_index[0], 0);
    assert_int_equal(seen_seq[0], 8);
    assert_int_equal(seen_event[0], 5001);
    assert_int_equal(seen_index[1], 1);
    assert_int_equal(seen_event[1], 5001);
    assert_int_equal(fq_outbox_committed(&s, "8 w:a x", NULL, NULL), -1);
    assert_int_equal(fq_outbox_committed(&s, "", record, NULL), 0);
    assert_int_equal(fq_outbox_committed(&s, "7 h:zz", NULL, NULL), -1);
    assert_int_equal(fq_outbox_committed(&s, "x w:a", NULL, NULL), -1);
    assert_int_equal(fq_outbox_committed(&s, "0 w:a", NULL, NULL), -1);
    assert_int_equal(fq_outbox_committed(&s, "7w:a", NULL, NULL), -1);
    fq_outbox_free(&s);
}

static void test_complete_item(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem it;
    body(&it, "assigned to you");
    it.title = "楼上噪音";
    uint8_t packed[256], out[512];
    size_t n = fengqiao__v1__outbox_item__pack(&it, packed);
    size_t m = fq_outbox_complete_item(packed, n, 42, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING, 9001,
                                       1700000000123LL, 777, out, sizeof out);
    assert_true(m > n);
    Fengqiao__V1__OutboxItem *back = fengqiao__v1__outbox_item__unpack(NULL, m, out);
    assert_non_null(back);
    assert_int_equal(back->seq, 42);
    assert_int_equal(back->kind, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING);
    assert_int_equal(back->incident_id, 9001);
    assert_int_equal(back->at_ms, 1700000000123LL);
    assert_int_equal(back->event_seq, 777);
    assert_string_equal(back->title, "楼上噪音");
    assert_string_equal(back->text, "assigned to you");
    fengqiao__v1__outbox_item__free_unpacked(back, NULL);
    assert_int_equal(fq_outbox_complete_item(packed, n, 1, 1, 1, 1, 1, out, 4), 0);
}

static void test_full(void **state)
{
    (void)state;
    fq_outbox_set s;
    fq_outbox_init(&s);
    Fengqiao__V1__OutboxItem it;
    body(&it, "x");
    char box[FQ_BOX_MAX];
    for (int i = 0; i < FQ_OUTBOX_MAX_ITEMS; i++) {
        snprintf(box, sizeof box, "h:unit%d", i);
        assert_int_equal(fq_outbox_add(&s, box, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 0), 0);
    }
    assert_int_equal(fq_outbox_add(&s, "h:one-more", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 0),
                     -1);
    fq_outbox_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params), cmocka_unit_test(test_committed),
        cmocka_unit_test(test_feeds),  cmocka_unit_test(test_complete_item),
        cmocka_unit_test(test_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
