/* Tests of the outbox cache: it answers from memory only what it knows to be
 * exactly the outbox, and sends everything else to the database. A model
 * check drives it with random commits, reads and trims against the truth. */
#include "mailbox.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const uint8_t item[] = {1, 2, 3};

static void test_unknown_box_reads(void **state)
{
    (void)state;
    fq_mailbox mb;
    fq_mailbox_init(&mb);
    const fq_mail *m;
    assert_int_equal(fq_mailbox_take(&mb, 0, &m), FQ_MAILBOX_READ);
    assert_int_equal(fq_mailbox_committed(&mb, 5, item, sizeof item), 1);
    assert_int_equal(fq_mailbox_take(&mb, 4, &m), FQ_MAILBOX_READ);
    fq_mailbox_loaded(&mb, 5);
    assert_int_equal(fq_mailbox_take(&mb, 5, &m), FQ_MAILBOX_EMPTY);
    assert_int_equal(fq_mailbox_take(&mb, 4, &m), FQ_MAILBOX_READ);
    assert_int_equal(fq_mailbox_take(&mb, 6, &m), FQ_MAILBOX_READ); /* ahead of the outbox */
    fq_mailbox_clear(&mb);
}

static void test_run_and_trim(void **state)
{
    (void)state;
    fq_mailbox mb;
    fq_mailbox_init(&mb);
    fq_mailbox_loaded(&mb, 2);
    assert_int_equal(fq_mailbox_committed(&mb, 3, item, sizeof item), 1);
    assert_int_equal(fq_mailbox_committed(&mb, 4, item, sizeof item), 1);
    assert_int_equal(fq_mailbox_committed(&mb, 4, item, sizeof item), 0); /* seen */
    const fq_mail *m;
    assert_int_equal(fq_mailbox_take(&mb, 2, &m), FQ_MAILBOX_HAVE);
    assert_int_equal(m->seq, 3);
    assert_int_equal(m->next->seq, 4);
    assert_null(m->next->next);
    assert_int_equal(fq_mailbox_take(&mb, 3, &m), FQ_MAILBOX_HAVE);
    assert_int_equal(m->seq, 4);
    assert_int_equal(fq_mailbox_take(&mb, 1, &m), FQ_MAILBOX_READ);
    fq_mailbox_trim(&mb, 3);
    assert_int_equal(mb.count, 1);
    assert_int_equal(fq_mailbox_take(&mb, 2, &m), FQ_MAILBOX_READ);
    /* An item without bytes breaks the run: later readers go to the database. */
    assert_int_equal(fq_mailbox_committed(&mb, 5, NULL, 0), 1);
    assert_int_equal(fq_mailbox_take(&mb, 4, &m), FQ_MAILBOX_READ);
    assert_int_equal(fq_mailbox_take(&mb, 5, &m), FQ_MAILBOX_EMPTY);
    /* A gap makes it forget the box. */
    assert_int_equal(fq_mailbox_committed(&mb, 7, item, sizeof item), 1);
    assert_int_equal(mb.known, 0);
    assert_int_equal(fq_mailbox_take(&mb, 7, &m), FQ_MAILBOX_READ);
    fq_mailbox_clear(&mb);
}

static void test_bounded(void **state)
{
    (void)state;
    fq_mailbox mb;
    fq_mailbox_init(&mb);
    fq_mailbox_loaded(&mb, 0);
    for (uint64_t s = 1; s <= 3 * FQ_MAILBOX_MAX_ITEMS; s++)
        fq_mailbox_committed(&mb, s, item, sizeof item);
    assert_true(mb.count <= FQ_MAILBOX_MAX_ITEMS);
    assert_int_equal(mb.last_seq, 3 * FQ_MAILBOX_MAX_ITEMS);
    uint8_t big[FQ_MAILBOX_MAX_BYTES];
    memset(big, 7, sizeof big);
    fq_mailbox_committed(&mb, mb.last_seq + 1, big, sizeof big);
    fq_mailbox_committed(&mb, mb.last_seq + 1, big, sizeof big);
    assert_true(mb.bytes <= FQ_MAILBOX_MAX_BYTES);
    fq_mailbox_clear(&mb);
}

/* The model: an outbox of n items; the mailbox sees every commit in order
 * (as the store reports them), some without bytes, database reads at any
 * time, and trims. Every
 * HAVE answer must be exactly the outbox's items after `after`, in order. */
static void test_model(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 200; round++) {
        fq_mailbox mb;
        fq_mailbox_init(&mb);
        uint64_t outbox = 0, acked = 0;
        for (int step = 0; step < 300; step++) {
            int r = rand() % 10;
            if (r < 5) {
                outbox++;
                uint8_t b[8];
                memcpy(b, &outbox, sizeof outbox);
                fq_mailbox_committed(&mb, outbox, rand() % 10 ? b : NULL, sizeof b);
            } else if (r < 6) {
                fq_mailbox_loaded(&mb, outbox);
            } else if (r < 7) {
                acked = outbox ? (uint64_t)rand() % (outbox + 1) : 0;
                fq_mailbox_trim(&mb, acked);
            } else {
                uint64_t after = outbox ? (uint64_t)rand() % (outbox + 1) : 0;
                const fq_mail *m;
                int got = fq_mailbox_take(&mb, after, &m);
                if (got == FQ_MAILBOX_EMPTY) {
                    assert_int_equal(after, outbox);
                } else if (got == FQ_MAILBOX_HAVE) {
                    uint64_t want = after + 1;
                    for (; m != NULL; m = m->next, want++) {
                        uint64_t inside;
                        memcpy(&inside, m->bytes, sizeof inside);
                        assert_int_equal(m->seq, want);
                        assert_int_equal(inside, want);
                    }
                    assert_int_equal(want, outbox + 1);
                }
            }
            assert_true(mb.count <= FQ_MAILBOX_MAX_ITEMS);
        }
        fq_mailbox_clear(&mb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_box_reads),
        cmocka_unit_test(test_run_and_trim),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
