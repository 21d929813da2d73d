/* Tests of the store's plan of the server's sequences: batches planned on
 * top of each other, the commit of one, the rewind after a failure to what
 * committed, box seqs per box, the follow feeds' heads (read from the
 * outbox and from the events), and the blocks of incident ids. */
#include "writeplan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static fq_chain_event note(int64_t incident)
{
    fq_chain_event e = {0, incident, 1000, "note", NULL, "", 4, 0, 0, NULL, 0};
    return e;
}

/* Plans one event on top of the plan, as the store does. */
static fq_chain_head plan_event(fq_writeplan *p, int64_t incident)
{
    fq_chain_head tail = *fq_writeplan_tail(p);
    fq_chain_event e = note(incident);
    uint8_t prev[FQ_CHAIN_HASH_BYTES], hash[FQ_CHAIN_HASH_BYTES];
    fq_chain_append(&tail, &e, prev, hash);
    fq_writeplan_set_tail(p, &tail);
    return tail;
}

static void test_chain_and_rewind(void **state)
{
    (void)state;
    fq_writeplan *p = fq_writeplan_new();
    fq_chain_head head = {41, {0}};
    memset(head.hash, 7, sizeof head.hash);
    fq_writeplan_reset(p, &head);
    fq_chain_head a = plan_event(p, 1); /* batch 1 */
    fq_chain_head b = plan_event(p, 2); /* batch 2, on top of it */
    assert_int_equal(a.seq, 42);
    assert_int_equal(b.seq, 43);
    /* Batch 1 commits, batch 2 fails: planning starts again after batch 1. */
    fq_writeplan_chain_committed(p, &a);
    fq_writeplan_rewind(p);
    assert_int_equal(fq_writeplan_tail(p)->seq, 42);
    assert_memory_equal(fq_writeplan_tail(p)->hash, a.hash, FQ_CHAIN_HASH_BYTES);
    fq_chain_head again = plan_event(p, 2);
    assert_int_equal(again.seq, 43);
    assert_memory_equal(again.hash, b.hash, FQ_CHAIN_HASH_BYTES); /* same event, same place */
    /* An older commit arriving late does not move the committed head back. */
    fq_writeplan_chain_committed(p, &again);
    fq_writeplan_chain_committed(p, &a);
    assert_int_equal(fq_writeplan_committed(p)->seq, 43);
    fq_writeplan_free(p);
}

static void test_boxes(void **state)
{
    (void)state;
    fq_writeplan *p = fq_writeplan_new();
    fq_chain_head head = {0, {0}};
    fq_writeplan_reset(p, &head);
    assert_int_equal(fq_writeplan_set_box(p, "w:g1.w1", 9), 0);
    fq_writeplan_box *w = fq_writeplan_box_of(p, "w:g1.w1");
    fq_writeplan_box *u = fq_writeplan_box_of(p, "u:lingyin"); /* new: from 0 */
    assert_non_null(w);
    assert_int_equal(fq_writeplan_box_peek(w), 10);
    assert_int_equal(fq_writeplan_box_take(w), 10);
    assert_int_equal(fq_writeplan_box_take(w), 11);
    assert_int_equal(fq_writeplan_box_take(u), 1);
    fq_writeplan_box_committed(w, 10); /* the first batch committed, the second did not */
    fq_writeplan_rewind(p);
    assert_int_equal(fq_writeplan_box_peek(w), 11);
    assert_int_equal(fq_writeplan_box_peek(u), 1);
    assert_ptr_equal(fq_writeplan_box_of(p, "w:g1.w1"), w);
    /* A new connection's heads replace everything. */
    fq_writeplan_reset(p, &head);
    assert_int_equal(fq_writeplan_box_peek(fq_writeplan_box_of(p, "w:g1.w1")), 1);
    fq_writeplan_free(p);
}

/* The follow feeds ("u:<unit>", numbered in the events since migration
 * 0032) are planned as boxes; their heads come from two reads at start —
 * fq_outbox_heads (items from before 0024 that stayed in the outbox) and
 * fq_feed_heads (the events) — in either order, and the larger wins. */
static void test_feed_heads(void **state)
{
    (void)state;
    fq_writeplan *p = fq_writeplan_new();
    fq_chain_head head = {0, {0}};
    fq_writeplan_reset(p, &head);
    assert_int_equal(fq_writeplan_set_box(p, "u:lingyin", 3), 0);  /* old items in the outbox */
    assert_int_equal(fq_writeplan_set_box(p, "u:lingyin", 40), 0); /* moved onto their events */
    assert_int_equal(fq_writeplan_set_box(p, "u:xihu", 57), 0);    /* the events only */
    assert_int_equal(fq_writeplan_set_box(p, "u:beishan", 12), 0); /* the events ... */
    assert_int_equal(fq_writeplan_set_box(p, "u:beishan", 5), 0);  /* ... read first */
    fq_writeplan_box *town = fq_writeplan_box_of(p, "u:lingyin");
    fq_writeplan_box *district = fq_writeplan_box_of(p, "u:xihu");
    assert_int_equal(fq_writeplan_box_peek(town), 41);
    assert_int_equal(fq_writeplan_box_peek(district), 58);
    assert_int_equal(fq_writeplan_box_peek(fq_writeplan_box_of(p, "u:beishan")), 13);
    /* Three batches in flight, each an event in the town and the district;
     * the first commits, the second fails: the third is planned on top of
     * the second and fails with it. The feeds go on after the first, no
     * hole and no reuse. */
    for (int b = 0; b < 3; b++) {
        assert_int_equal(fq_writeplan_box_take(town), 41 + b);
        assert_int_equal(fq_writeplan_box_take(district), 58 + b);
    }
    fq_writeplan_box_committed(town, 41);
    fq_writeplan_box_committed(district, 58);
    fq_writeplan_rewind(p);
    /* Serial mode: one operation at a time from the committed heads; one
     * that wrote nothing (a resend) leaves them where they were. */
    assert_int_equal(fq_writeplan_box_take(town), 42);
    assert_int_equal(fq_writeplan_box_take(district), 59);
    fq_writeplan_rewind(p); /* nothing written */
    assert_int_equal(fq_writeplan_box_take(town), 42);
    fq_writeplan_box_committed(town, 42); /* written: an event of the town only */
    assert_int_equal(fq_writeplan_box_peek(town), 43);
    assert_int_equal(fq_writeplan_box_peek(district), 59);
    fq_writeplan_rewind(p);
    assert_int_equal(fq_writeplan_box_peek(town), 43);
    assert_int_equal(fq_writeplan_box_peek(district), 59);
    /* A new connection reads the heads again: what committed. */
    fq_writeplan_reset(p, &head);
    assert_int_equal(fq_writeplan_set_box(p, "u:lingyin", 42), 0);
    assert_int_equal(fq_writeplan_box_peek(fq_writeplan_box_of(p, "u:lingyin")), 43);
    fq_writeplan_free(p);
}

static void test_ids(void **state)
{
    (void)state;
    fq_writeplan *p = fq_writeplan_new();
    fq_chain_head head = {0, {0}};
    fq_writeplan_reset(p, &head);
    assert_int_equal(fq_writeplan_peek_id(p), 0);
    fq_writeplan_add_ids(p, 100, 2);
    fq_writeplan_add_ids(p, 500, 3); /* the next block, not contiguous */
    assert_int_equal(fq_writeplan_ids_left(p), 5);
    assert_int_equal(fq_writeplan_peek_id(p), 100);
    assert_int_equal(fq_writeplan_peek_id(p), 100); /* peeking takes nothing */
    fq_writeplan_take_id(p);
    fq_writeplan_take_id(p);
    assert_int_equal(fq_writeplan_peek_id(p), 500);
    fq_writeplan_take_id(p);
    fq_writeplan_take_id(p);
    fq_writeplan_take_id(p);
    assert_int_equal(fq_writeplan_peek_id(p), 0);
    assert_int_equal(fq_writeplan_ids_left(p), 0);
    /* Ids are not given back by a rewind (a gap, never a reuse). */
    fq_writeplan_add_ids(p, 900, 1);
    fq_writeplan_take_id(p);
    fq_writeplan_rewind(p);
    assert_int_equal(fq_writeplan_peek_id(p), 0);
    fq_writeplan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_rewind),
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_feed_heads),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
