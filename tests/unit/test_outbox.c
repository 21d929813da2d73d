/* Tests of the outbox item sets: one item per box, the statement parameters
 * (binary arrays of the element types the statements cast them to, read
 * back element by element; empty ones of the same types when none were
 * built), the decoding of the items a statement wrote (FQ_SQL_OUTBOX_SEQS,
 * a binary record[], from PostgreSQL's own bytes) back to the set's items,
 * and complete items. */
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

#include "outbox_written_bytes.h"

/* A record[] of (seq, box, event_seq) elements as array_send and
 * record_send write them, for the refusals: `oids` the columns' types. */
static size_t written_array(uint8_t *out, uint32_t element_oid, int n, const uint64_t *seq,
                            const char *const *box, const uint64_t *event_seq, const uint32_t *oids)
{
    size_t at = 0;
    uint32_t header[5] = {1, 0, element_oid, (uint32_t)n, 1};
    for (int i = 0; i < 5; i++) {
        fq_pg_put_int4(out + at, (int32_t)header[i]);
        at += 4;
    }
    for (int i = 0; i < n; i++) {
        size_t len_at = at;
        at += 4;
        size_t start = at;
        fq_pg_put_int4(out + at, 3);
        at += 4;
        fq_pg_put_int4(out + at, (int32_t)oids[0]);
        fq_pg_put_int4(out + at + 4, 8);
        fq_pg_put_int8(out + at + 8, (int64_t)seq[i]);
        at += 16;
        size_t bl = strlen(box[i]);
        fq_pg_put_int4(out + at, (int32_t)oids[1]);
        fq_pg_put_int4(out + at + 4, (int32_t)bl);
        memcpy(out + at + 8, box[i], bl);
        at += 8 + bl;
        fq_pg_put_int4(out + at, (int32_t)oids[2]);
        fq_pg_put_int4(out + at + 4, 8);
        fq_pg_put_int8(out + at + 8, (int64_t)event_seq[i]);
        at += 16;
        fq_pg_put_int4(out + len_at, (int32_t)(at - start));
    }
    return at;
}

static void test_written(void **state)
{
    (void)state;
    fq_outbox_set s;
    fq_outbox_init(&s);
    Fengqiao__V1__OutboxItem it;
    body(&it, "x");
    assert_int_equal(fq_outbox_add(&s, "w:a", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1), 0);
    assert_int_equal(fq_outbox_add(&s, "h:b.c", FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, &it, 1),
                     0);
    assert_int_equal(fq_outbox_add_feed(&s, FQ_FEED_TOWN, "u:t", &it, 1), 0);
    fq_outbox_written w;
    /* PostgreSQL's own bytes, in its order (any order: matched by box). */
    assert_int_equal(fq_outbox_written_decode(&s, pg_written, sizeof pg_written, &w), 0);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.index[0], 1);
    assert_int_equal(w.seq[0], 12);
    assert_int_equal(w.index[1], 0);
    assert_int_equal(w.seq[1], 7);
    assert_int_equal(w.index[2], 2);
    assert_int_equal(w.seq[2], 3);
    for (int k = 0; k < 3; k++)
        assert_int_equal(w.event_seq[k], 5001);
    /* Every byte cut short is refused, and leaves nothing. */
    for (size_t len = 0; len < sizeof pg_written; len++) {
        assert_int_equal(fq_outbox_written_decode(&s, pg_written, len, &w), -1);
        assert_int_equal(w.n, 0);
    }

    static const uint32_t ok[3] = {FQ_PG_INT8, FQ_PG_TEXT, FQ_PG_INT8};
    uint8_t buf[512];
    const char *boxes[2] = {"w:a", "h:b.c"};
    uint64_t seqs[2] = {8, 13}, events[2] = {5002, 5002};
    size_t len = written_array(buf, FQ_PG_RECORD, 2, seqs, boxes, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.index[1], 1);
    assert_int_equal(w.seq[1], 13);
    assert_int_equal(w.event_seq[1], 5002);
    /* An empty array (no dimensions): nothing written. */
    static const uint8_t empty[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0xc9};
    assert_int_equal(fq_outbox_written_decode(&s, empty, sizeof empty, &w), 0);
    assert_int_equal(w.n, 0);
    /* Another element type: a text[], an int8[]. */
    len = written_array(buf, FQ_PG_TEXT, 2, seqs, boxes, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    /* Columns of other types. */
    static const uint32_t text_seq[3] = {FQ_PG_TEXT, FQ_PG_TEXT, FQ_PG_INT8};
    static const uint32_t int4_event[3] = {FQ_PG_INT8, FQ_PG_TEXT, FQ_PG_INT4};
    len = written_array(buf, FQ_PG_RECORD, 2, seqs, boxes, events, text_seq);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    len = written_array(buf, FQ_PG_RECORD, 2, seqs, boxes, events, int4_event);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    /* A box not in the set; one twice; a seq 0; a negative one. */
    const char *stranger[2] = {"w:a", "w:zz"};
    len = written_array(buf, FQ_PG_RECORD, 2, seqs, stranger, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    assert_int_equal(w.n, 0);
    const char *twice[2] = {"w:a", "w:a"};
    len = written_array(buf, FQ_PG_RECORD, 2, seqs, twice, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    uint64_t zero[2] = {8, 0}, negative[2] = {8, UINT64_MAX};
    len = written_array(buf, FQ_PG_RECORD, 2, zero, boxes, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    len = written_array(buf, FQ_PG_RECORD, 2, negative, boxes, events, ok);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    /* An element with a fourth column, or a NULL element. */
    len = written_array(buf, FQ_PG_RECORD, 1, seqs, boxes, events, ok);
    fq_pg_put_int4(buf + 24, 4);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len, &w), -1);
    len = written_array(buf, FQ_PG_RECORD, 1, seqs, boxes, events, ok);
    fq_pg_put_int4(buf + 20, -1);
    assert_int_equal(fq_outbox_written_decode(&s, buf, 24, &w), -1);
    /* An element longer than its columns (a byte left inside it). */
    len = written_array(buf, FQ_PG_RECORD, 1, seqs, boxes, events, ok);
    buf[len] = 0;
    fq_pg_put_int4(buf + 20, fq_pg_get_int4(buf + 20) + 1);
    assert_int_equal(fq_outbox_written_decode(&s, buf, len + 1, &w), -1);
    /* NULL bytes. */
    assert_int_equal(fq_outbox_written_decode(&s, NULL, 0, &w), -1);
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
        cmocka_unit_test(test_params), cmocka_unit_test(test_written),
        cmocka_unit_test(test_feeds),  cmocka_unit_test(test_complete_item),
        cmocka_unit_test(test_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
