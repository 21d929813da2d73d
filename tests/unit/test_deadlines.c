/* deadlines: order with FIFO ties, cancel anywhere in the heap, stale ids,
 * the pop cap, next_due, past deadlines, what lazy deletion must not break
 * (dead entries at the top, slots reused while their dead entry lingers,
 * compaction), a seeded model test against a sorted array, and bulk adds
 * (reserve, defer) against sifted ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "deadlines.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const int64_t t0 = 1700000000000; /* an arbitrary "now", ms since the epoch */

static fq_deadlines *make(size_t capacity)
{
    fq_deadlines *d = fq_deadlines_new(capacity);
    assert_non_null(d);
    return d;
}

static void test_empty(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    fq_deadline out[4];
    assert_int_equal(fq_deadlines_count(d), 0);
    assert_true(fq_deadlines_next_due(d) == INT64_MAX);
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 4), 0);
    assert_int_equal(fq_deadlines_cancel(d, 0), -1);
    assert_int_equal(fq_deadlines_cancel(d, 12345), -1);
    fq_deadlines_free(d);
    fq_deadlines_free(NULL);
}

static void test_order_and_fifo_ties(void **state)
{
    (void)state;
    fq_deadlines *d = make(2); /* small on purpose: adds must grow it */
    /* keys say the expected firing position */
    static const struct {
        int64_t due;
        uint64_t key;
    } in[] = {{t0 + 50, 5}, {t0 + 10, 0}, {t0 + 30, 2}, {t0 + 10, 1}, {t0 + 30, 3},
              {t0 + 90, 8}, {t0 + 30, 4}, {t0 + 60, 6}, {t0 + 60, 7}};
    size_t n = sizeof in / sizeof in[0];
    for (size_t i = 0; i < n; i++)
        assert_true(fq_deadlines_add(d, in[i].due, in[i].key, (uint32_t)i) != 0);
    assert_int_equal(fq_deadlines_count(d), n);
    assert_true(fq_deadlines_next_due(d) == t0 + 10);
    fq_deadline out[16];
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 16), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].key, i);
        assert_true(i == 0 || out[i - 1].due_ms <= out[i].due_ms);
    }
    /* kind is carried: key 1 was the fourth add */
    assert_int_equal(out[1].kind, 3);
    assert_int_equal(fq_deadlines_count(d), 0);
    fq_deadlines_free(d);
}

/* Many equal due times across several heap levels: FIFO must survive sifts. */
static void test_fifo_many_ties(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    for (uint64_t i = 0; i < 1000; i++)
        assert_true(fq_deadlines_add(d, t0 + (int64_t)(i % 3), i, 0) != 0);
    fq_deadline out[1000];
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 2, out, 1000), 1000);
    /* first all i%3==0 in order, then i%3==1, then i%3==2 */
    size_t k = 0;
    for (uint64_t r = 0; r < 3; r++)
        for (uint64_t i = r; i < 1000; i += 3, k++) {
            assert_int_equal(out[k].key, i);
            assert_true(out[k].due_ms == t0 + (int64_t)r);
        }
    fq_deadlines_free(d);
}

static void test_cancel_head_middle_tail(void **state)
{
    (void)state;
    fq_deadlines *d = make(16);
    fq_deadline_id ids[10];
    for (int i = 0; i < 10; i++)
        ids[i] = fq_deadlines_add(d, t0 + i * 10, (uint64_t)i, 0);
    assert_int_equal(fq_deadlines_cancel(d, ids[0]), 0); /* head */
    assert_true(fq_deadlines_next_due(d) == t0 + 10);
    assert_int_equal(fq_deadlines_cancel(d, ids[5]), 0); /* middle */
    assert_int_equal(fq_deadlines_cancel(d, ids[9]), 0); /* tail: the last heap entry */
    assert_int_equal(fq_deadlines_count(d), 7);
    /* twice is refused */
    assert_int_equal(fq_deadlines_cancel(d, ids[5]), -1);
    fq_deadline out[10];
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 10), 7);
    static const uint64_t want[] = {1, 2, 3, 4, 6, 7, 8};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(out[i].key, want[i]);
        assert_true(out[i].id == ids[want[i]]);
    }
    fq_deadlines_free(d);
}

static void test_stale_ids(void **state)
{
    (void)state;
    fq_deadlines *d = make(4);
    fq_deadline_id a = fq_deadlines_add(d, t0, 1, 0);
    fq_deadline out[2];
    assert_int_equal(fq_deadlines_pop_due(d, t0, out, 2), 1);
    assert_true(out[0].id == a);
    /* fired: refused */
    assert_int_equal(fq_deadlines_cancel(d, a), -1);
    /* the slot is reused by the next add; the old id must not cancel it */
    fq_deadline_id b = fq_deadlines_add(d, t0 + 5, 2, 0);
    assert_true(b != a);
    assert_true((uint32_t)b == (uint32_t)a); /* same slot, or the test proves nothing */
    assert_int_equal(fq_deadlines_cancel(d, a), -1);
    assert_int_equal(fq_deadlines_count(d), 1);
    /* cancelled, then reused: the same */
    assert_int_equal(fq_deadlines_cancel(d, b), 0);
    fq_deadline_id c = fq_deadlines_add(d, t0 + 6, 3, 0);
    assert_true((uint32_t)c == (uint32_t)b);
    assert_int_equal(fq_deadlines_cancel(d, b), -1);
    assert_int_equal(fq_deadlines_cancel(d, a), -1);
    assert_int_equal(fq_deadlines_count(d), 1);
    /* a slot past the ones handed out, and a forged generation */
    assert_int_equal(fq_deadlines_cancel(d, c + 1), -1);
    assert_int_equal(fq_deadlines_cancel(d, c + ((uint64_t)1 << 32)), -1);
    assert_int_equal(fq_deadlines_cancel(d, c), 0);
    fq_deadlines_free(d);
}

static void test_pop_cap(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    for (int i = 0; i < 100; i++)
        fq_deadlines_add(d, t0 + i, (uint64_t)i, 0);
    fq_deadline out[100];
    memset(out, 0xab, sizeof out);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 1000, out, 7), 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(out[i].key, i);
    /* out[7] untouched: the cap bounds the writes too */
    assert_int_equal(out[7].key, 0xababababababababULL);
    assert_int_equal(fq_deadlines_count(d), 93);
    assert_true(fq_deadlines_next_due(d) == t0 + 7);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 1000, out, 0), 0);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 1000, out, 100), 93);
    assert_int_equal(out[0].key, 7);
    assert_int_equal(out[92].key, 99);
    fq_deadlines_free(d);
}

static void test_next_due_and_now(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    fq_deadline out[4];
    fq_deadlines_add(d, t0 + 300, 3, 0);
    assert_true(fq_deadlines_next_due(d) == t0 + 300);
    fq_deadline_id early = fq_deadlines_add(d, t0 + 100, 1, 0);
    assert_true(fq_deadlines_next_due(d) == t0 + 100);
    fq_deadlines_add(d, t0 + 200, 2, 0);
    assert_true(fq_deadlines_next_due(d) == t0 + 100);
    /* nothing due before its time; exactly at due_ms it is due */
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 99, out, 4), 0);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 100, out, 4), 1);
    assert_int_equal(out[0].key, 1);
    assert_int_equal(fq_deadlines_cancel(d, early), -1);
    assert_true(fq_deadlines_next_due(d) == t0 + 200);
    /* extreme due times order like any other */
    fq_deadlines_add(d, INT64_MIN, 0, 0);
    fq_deadlines_add(d, INT64_MAX, 9, 0);
    assert_true(fq_deadlines_next_due(d) == INT64_MIN);
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 4), 4);
    assert_int_equal(out[0].key, 0);
    assert_int_equal(out[3].key, 9);
    assert_true(fq_deadlines_next_due(d) == INT64_MAX);
    fq_deadlines_free(d);
}

/* Restart: deadlines reloaded from the store that passed while the server was
 * down all come out of the first pop, oldest first, before anything later. */
static void test_past_deadlines_fire_at_once(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    int64_t now = t0;
    fq_deadlines_add(d, now + 60000, 100, 0);        /* still in the future */
    fq_deadlines_add(d, now - 3600000, 1, 0);        /* an hour ago */
    fq_deadlines_add(d, now - 1, 2, 0);              /* just passed */
    fq_deadlines_add(d, now - 86400000LL * 3, 0, 0); /* days ago */
    assert_true(fq_deadlines_next_due(d) <= now);
    fq_deadline out[8];
    assert_int_equal(fq_deadlines_pop_due(d, now, out, 8), 3);
    assert_int_equal(out[0].key, 0);
    assert_int_equal(out[1].key, 1);
    assert_int_equal(out[2].key, 2);
    assert_true(fq_deadlines_next_due(d) == now + 60000);
    fq_deadlines_free(d);
}

static void test_memory_and_capacity(void **state)
{
    (void)state;
    fq_deadlines *d = make(1000);
    size_t m = fq_deadlines_memory(d);
    assert_true(m >= 1000 * 24);
    /* preallocated: 1000 adds and cancels do not grow it */
    fq_deadline_id ids[1000];
    for (int i = 0; i < 1000; i++)
        ids[i] = fq_deadlines_add(d, t0 + (i * 7919) % 1000, (uint64_t)i, 0);
    assert_int_equal(fq_deadlines_memory(d), m);
    for (int i = 0; i < 1000; i += 2)
        assert_int_equal(fq_deadlines_cancel(d, ids[i]), 0);
    for (int i = 0; i < 500; i++)
        fq_deadlines_add(d, t0, 0, 0);
    assert_int_equal(fq_deadlines_memory(d), m);
    fq_deadlines_add(d, t0, 0, 0);
    assert_true(fq_deadlines_memory(d) > m);
    fq_deadlines_free(d);
}

/* Cancelled entries stay in the heap until they reach the top: next_due must
 * never show one, and pops must skip them without counting them. */
static void test_dead_tops(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    fq_deadline_id ids[10];
    for (int i = 0; i < 10; i++)
        ids[i] = fq_deadlines_add(d, t0 + 1 + i, (uint64_t)i, 0);
    /* dead just below the top, then the top itself: a chain to discard */
    for (int i = 1; i <= 4; i++)
        assert_int_equal(fq_deadlines_cancel(d, ids[i]), 0);
    assert_true(fq_deadlines_next_due(d) == t0 + 1);
    assert_int_equal(fq_deadlines_cancel(d, ids[0]), 0);
    assert_true(fq_deadlines_next_due(d) == t0 + 6);
    assert_int_equal(fq_deadlines_count(d), 5);
    /* nothing live is due at t0 + 5, though dead entries were */
    fq_deadline out[10];
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 5, out, 10), 0);
    /* dead entries among the due ones do not eat into the cap */
    assert_int_equal(fq_deadlines_cancel(d, ids[6]), 0);
    assert_int_equal(fq_deadlines_cancel(d, ids[8]), 0);
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 2), 2);
    assert_int_equal(out[0].key, 5);
    assert_int_equal(out[1].key, 7);
    assert_true(fq_deadlines_next_due(d) == t0 + 10);
    /* cancelling everything left empties it */
    assert_int_equal(fq_deadlines_cancel(d, ids[9]), 0);
    assert_int_equal(fq_deadlines_count(d), 0);
    assert_true(fq_deadlines_next_due(d) == INT64_MAX);
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 10), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(fq_deadlines_cancel(d, ids[i]), -1);
    fq_deadlines_free(d);
}

/* A cancelled entry's slot is reused at once while the dead entry still sits
 * in the heap: the new entry must not revive it or lend it its payload, and
 * the old id must not touch the new entry. */
static void test_slot_reused_after_cancel(void **state)
{
    (void)state;
    fq_deadlines *d = make(0);
    fq_deadline out[8];
    fq_deadline_id x = fq_deadlines_add(d, t0 + 1, 100, 1); /* keeps the top */
    fq_deadline_id a = fq_deadlines_add(d, t0 + 10, 1, 1);
    assert_int_equal(fq_deadlines_cancel(d, a), 0); /* lingers: not the top */
    /* reused for a later deadline: the dead one (t0 + 10) comes up first */
    fq_deadline_id b = fq_deadlines_add(d, t0 + 30, 2, 2);
    assert_true((uint32_t)b == (uint32_t)a && b != a);
    assert_int_equal(fq_deadlines_cancel(d, a), -1);
    assert_int_equal(fq_deadlines_count(d), 2);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 1, out, 8), 1);
    assert_true(out[0].id == x);
    /* the top would be the dead t0 + 10 had it not been discarded */
    assert_true(fq_deadlines_next_due(d) == t0 + 30);
    assert_int_equal(fq_deadlines_pop_due(d, t0 + 29, out, 8), 0);
    /* cancel b, reuse the slot again for an earlier deadline, while b's
     * dead entry lingers behind a live top */
    fq_deadline_id y = fq_deadlines_add(d, t0 + 20, 200, 1);
    assert_int_equal(fq_deadlines_cancel(d, b), 0);
    fq_deadline_id c = fq_deadlines_add(d, t0 + 25, 3, 3);
    assert_true((uint32_t)c == (uint32_t)b);
    assert_int_equal(fq_deadlines_cancel(d, b), -1);
    assert_int_equal(fq_deadlines_cancel(d, a), -1);
    assert_true(fq_deadlines_next_due(d) == t0 + 20);
    assert_int_equal(fq_deadlines_pop_due(d, INT64_MAX, out, 8), 2);
    assert_true(out[0].id == y);
    assert_int_equal(out[0].key, 200);
    assert_true(out[1].id == c && out[1].due_ms == t0 + 25);
    assert_int_equal(out[1].key, 3);
    assert_int_equal(out[1].kind, 3);
    assert_int_equal(fq_deadlines_count(d), 0);
    assert_true(fq_deadlines_next_due(d) == INT64_MAX);
    /* the fired id is stale too, and the slot is reused once more */
    assert_int_equal(fq_deadlines_cancel(d, c), -1);
    fq_deadline_id e = fq_deadlines_add(d, t0, 4, 0);
    assert_true((uint32_t)e == (uint32_t)c); /* LIFO: c fired last */
    assert_int_equal(fq_deadlines_cancel(d, c), -1);
    assert_int_equal(fq_deadlines_cancel(d, e), 0);
    fq_deadlines_free(d);
}

/* ---- the model: a sorted array, (due, seq) ascending ---- */

typedef struct mentry {
    int64_t due;
    uint64_t seq, key;
    uint32_t kind;
    fq_deadline_id id;
} mentry;

typedef struct model {
    mentry *v;
    size_t n, cap;
    uint64_t seq;
} model;

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64: seeded, the same on every platform */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return rng() % n;
}

static void model_add(model *m, int64_t due, uint64_t key, uint32_t kind, fq_deadline_id id)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->v = realloc(m->v, m->cap * sizeof(mentry));
        assert_non_null(m->v);
    }
    /* after every entry with due <= this one: seq grows, so FIFO */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->v[mid].due <= due)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&m->v[lo + 1], &m->v[lo], (m->n - lo) * sizeof(mentry));
    m->v[lo] = (mentry){due, m->seq++, key, kind, id};
    m->n++;
}

static void model_remove(model *m, size_t i)
{
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(mentry));
    m->n--;
}

/* Steady churn at a fixed number of pending deadlines: the dead entries are
 * compacted away again and again (dozens of times here), so the heap stops
 * growing once it holds 2 x pending, and every compaction keeps the exact
 * order, checked against the model at every pop. */
static void test_compaction(void **state)
{
    (void)state;
    rng_state = 77;
    enum { PENDING = 1500, PAIRS = 120000 };
    fq_deadlines *d = make(0);
    model m = {0};
    fq_deadline out[16];
    int64_t now = t0;
    size_t mem = 0, popped = 0;
    for (int i = 0; i < PAIRS; i++) {
        /* cancel first, then top up: never more than PENDING pending */
        if (m.n == PENDING) {
            /* near the top sometimes, so dead entries reach it */
            size_t k = below(8) == 0 ? (size_t)below(3) : (size_t)below(m.n);
            assert_int_equal(fq_deadlines_cancel(d, m.v[k].id), 0);
            model_remove(&m, k);
        }
        while (m.n < PENDING) {
            int64_t due = now + (int64_t)below(20000);
            uint64_t key = rng();
            fq_deadline_id id = fq_deadlines_add(d, due, key, 7);
            assert_true(id != 0);
            model_add(&m, due, key, 7, id);
        }
        if (i % 50 == 0) {
            now += (int64_t)below(200);
            size_t got = fq_deadlines_pop_due(d, now, out, 16);
            size_t want = 0;
            while (want < m.n && want < 16 && m.v[want].due <= now)
                want++;
            assert_int_equal(got, want);
            for (size_t j = 0; j < got; j++) {
                assert_true(out[j].id == m.v[j].id);
                assert_int_equal(out[j].key, m.v[j].key);
            }
            memmove(m.v, m.v + got, (m.n - got) * sizeof(mentry));
            m.n -= got;
            popped += got;
        }
        assert_int_equal(fq_deadlines_count(d), m.n);
        assert_true(fq_deadlines_next_due(d) == (m.n ? m.v[0].due : INT64_MAX));
        /* after the heap has filled to live + dead once, it must not grow:
         * without compaction it would hold every cancelled entry */
        if (i == 4 * PENDING)
            mem = fq_deadlines_memory(d);
        else if (i > 4 * PENDING)
            assert_int_equal(fq_deadlines_memory(d), mem);
    }
    /* 2 x PENDING + growth slack: a heap of all PAIRS would be far larger */
    assert_true(mem < (size_t)PENDING * 24 * 6);
    print_message("compaction: %zu popped\n", popped);
    assert_true(popped > 1000);
    size_t got, k = 0;
    while ((got = fq_deadlines_pop_due(d, INT64_MAX, out, 16)) > 0)
        for (size_t j = 0; j < got; j++, k++)
            assert_true(out[j].id == m.v[k].id);
    assert_int_equal(k, m.n);
    free(m.v);
    fq_deadlines_free(d);
}

static void test_model(void **state)
{
    (void)state;
    rng_state = 20240601;
    fq_deadlines *d = make(0);
    model m = {0};
    /* ids that fired or were cancelled: cancelling any of them must fail */
    enum { DEAD_KEEP = 4096 };
    fq_deadline_id *dead = calloc(DEAD_KEEP, sizeof(fq_deadline_id));
    size_t ndead = 0;
    fq_deadline out[64];
    int64_t now = t0;
    uint64_t pops = 0, popped = 0;
    size_t max_n = 0;

    for (int op = 0; op < 150000; op++) { /* two rounds of the three phases */
        /* phases of 25,000 operations: in the first of each three the
         * structure grows to thousands of entries (a deep heap, long-lived
         * far deadlines); in the second, adds and cancels churn at the same
         * rate, so that the cancelled entries outnumber the live ones and
         * are compacted away again and again, between pops; in the third it
         * is cancelled and popped back down */
        int phase = (op / 25000) % 3;
        int growing = phase == 0, churn = phase == 1;
        uint64_t r = below(100);
        unsigned adds = growing ? 70u : churn ? 44u : 40u;
        unsigned cancels = churn ? 88u : 75u, stale = churn ? 92u : 80u;
        if (r < adds) {
            /* a narrow spread near now makes ties and past deadlines common */
            int64_t due = below(growing ? 3 : 10) == 0 ? now + (int64_t)below(1000000)
                                                       : now - 50 + (int64_t)below(400);
            uint64_t key = rng();
            uint32_t kind = (uint32_t)below(8);
            fq_deadline_id id = fq_deadlines_add(d, due, key, kind);
            assert_true(id != 0);
            model_add(&m, due, key, kind, id);
        } else if (r < cancels) {
            if (m.n == 0)
                continue;
            /* one in four near the top, so that dead entries reach it */
            size_t i = below(4) == 0 ? (size_t)below(m.n < 3 ? m.n : 3) : (size_t)below(m.n);
            fq_deadline_id id = m.v[i].id;
            assert_int_equal(fq_deadlines_cancel(d, id), 0);
            model_remove(&m, i);
            dead[ndead++ % DEAD_KEEP] = id;
        } else if (r < stale) {
            if (ndead == 0)
                continue;
            size_t k = ndead < DEAD_KEEP ? ndead : DEAD_KEEP;
            assert_int_equal(fq_deadlines_cancel(d, dead[below(k)]), -1);
        } else {
            /* time moves forward mostly, sometimes a pop with an older now
             * (a caller's clock is not ours to trust) */
            if (below(4) != 0)
                now += (int64_t)below(60);
            int64_t at = below(10) == 0 ? now - (int64_t)below(200) : now;
            size_t max = (size_t)below(65);
            size_t got = fq_deadlines_pop_due(d, at, out, max);
            size_t want = 0;
            while (want < m.n && want < max && m.v[want].due <= at)
                want++;
            assert_int_equal(got, want);
            for (size_t i = 0; i < got; i++) {
                assert_true(out[i].due_ms == m.v[i].due);
                assert_int_equal(out[i].key, m.v[i].key);
                assert_int_equal(out[i].kind, m.v[i].kind);
                assert_true(out[i].id == m.v[i].id);
                dead[ndead++ % DEAD_KEEP] = out[i].id;
            }
            memmove(m.v, m.v + got, (m.n - got) * sizeof(mentry));
            m.n -= got;
            pops++;
            popped += got;
        }
        if (m.n > max_n)
            max_n = m.n;
        assert_int_equal(fq_deadlines_count(d), m.n);
        assert_true(fq_deadlines_next_due(d) == (m.n ? m.v[0].due : INT64_MAX));
        /* dead entries are compacted away: the heap holds at most
         * max(live, 1023) of them next to the live ones (deadlines.h), so it
         * never grew past twice that, nor the slot table past twice max_n */
        size_t heap_max = 2 * (2 * max_n + 1024), slots_max = 2 * max_n + 64;
        assert_true(fq_deadlines_memory(d) <= 256 + 24 * heap_max + 24 * slots_max);
    }
    /* drain: the rest comes out in model order too */
    size_t got;
    size_t k = 0;
    while ((got = fq_deadlines_pop_due(d, INT64_MAX, out, 64)) > 0) {
        for (size_t i = 0; i < got; i++, k++)
            assert_true(out[i].id == m.v[k].id);
    }
    assert_int_equal(k, m.n);
    assert_int_equal(fq_deadlines_count(d), 0);
    /* the model test exercised what it meant to */
    print_message("model: %llu pops, %llu popped, %zu at most, %zu at the end\n",
                  (unsigned long long)pops, (unsigned long long)popped, max_n, m.n);
    assert_true(pops > 10000 && popped > 10000);
    free(dead);
    free(m.v);
    fq_deadlines_free(d);
}

/* Bulk adds (fq_deadlines_defer) come out exactly as sifted ones do: the
 * same (due, insertion) order, ties and past deadlines included, whatever
 * reads the order first (next_due, cancel, pop), with a dead entry from
 * before the deferral still in the heap; and a structure reserved for n
 * takes n adds without growing. */
static void test_deferred_bulk_adds(void **state)
{
    (void)state;
    for (int reader = 0; reader < 3; reader++) {
        rng_state = 777 + (uint64_t)reader;
        enum { N = 20000 };
        fq_deadlines *sifted = make(0), *bulk = make(0);
        fq_deadline_id *ids_s = calloc(N, sizeof *ids_s), *ids_b = calloc(N, sizeof *ids_b);
        assert_non_null(ids_s);
        assert_non_null(ids_b);
        /* a few before the deferral, one of them cancelled: dead in the heap */
        for (int i = 0; i < 10; i++) {
            ids_s[i] = fq_deadlines_add(sifted, t0 + 5 * i, (uint64_t)i, 1);
            ids_b[i] = fq_deadlines_add(bulk, t0 + 5 * i, (uint64_t)i, 1);
        }
        assert_int_equal(fq_deadlines_cancel(sifted, ids_s[0]), 0);
        assert_int_equal(fq_deadlines_cancel(bulk, ids_b[0]), 0);
        assert_int_equal(fq_deadlines_reserve(bulk, N + 10), 0);
        size_t reserved = fq_deadlines_memory(bulk);
        fq_deadlines_defer(bulk);
        for (int i = 10; i < N; i++) {
            int64_t due = t0 - 100 + (int64_t)below(3000); /* many ties, some past */
            uint32_t kind = (uint32_t)below(5);
            ids_s[i] = fq_deadlines_add(sifted, due, (uint64_t)i, kind);
            ids_b[i] = fq_deadlines_add(bulk, due, (uint64_t)i, kind);
            assert_true(ids_s[i] == ids_b[i]);
        }
        assert_int_equal(fq_deadlines_memory(bulk), reserved);
        assert_int_equal(fq_deadlines_count(bulk), fq_deadlines_count(sifted));
        if (reader == 0)
            assert_true(fq_deadlines_next_due(bulk) == fq_deadlines_next_due(sifted));
        if (reader == 1) {
            for (int i = 11; i < N; i += 7) {
                assert_int_equal(fq_deadlines_cancel(bulk, ids_b[i]), 0);
                assert_int_equal(fq_deadlines_cancel(sifted, ids_s[i]), 0);
            }
        }
        fq_deadline a[64], b[64];
        size_t got_a, got_b, total = 0;
        int64_t now = t0;
        do {
            got_a = fq_deadlines_pop_due(sifted, now, a, 64);
            got_b = fq_deadlines_pop_due(bulk, now, b, 64);
            assert_int_equal(got_a, got_b);
            for (size_t i = 0; i < got_a; i++) {
                assert_true(a[i].due_ms == b[i].due_ms);
                assert_true(a[i].id == b[i].id);
                assert_int_equal(a[i].key, b[i].key);
                assert_int_equal(a[i].kind, b[i].kind);
                assert_true(i == 0 || a[i - 1].due_ms <= a[i].due_ms);
            }
            total += got_a;
            now += 37;
        } while (fq_deadlines_count(sifted) > 0);
        assert_int_equal(fq_deadlines_count(bulk), 0);
        assert_true(total > N / 2);
        free(ids_s);
        free(ids_b);
        fq_deadlines_free(sifted);
        fq_deadlines_free(bulk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_order_and_fifo_ties),
        cmocka_unit_test(test_fifo_many_ties),
        cmocka_unit_test(test_cancel_head_middle_tail),
        cmocka_unit_test(test_stale_ids),
        cmocka_unit_test(test_pop_cap),
        cmocka_unit_test(test_next_due_and_now),
        cmocka_unit_test(test_past_deadlines_fire_at_once),
        cmocka_unit_test(test_memory_and_capacity),
        cmocka_unit_test(test_dead_tops),
        cmocka_unit_test(test_slot_reused_after_cancel),
        cmocka_unit_test(test_compaction),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_deferred_bulk_adds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
