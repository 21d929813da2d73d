/* deadlines: a 4-ary implicit min-heap of (due, seq, slot, gen) with lazy
 * deletion, a slot table that maps a handle to its generation, and a payload
 * table (see deadlines.h for why a heap and why lazy deletion). */
#include "deadlines.h"
#include "hugepages.h"

#include <stdlib.h>
#include <string.h>

/* A heap entry carries everything its ordering and its liveness need, so
 * that neither ever reads a table a later add may rewrite: a cancelled
 * entry stays in the heap while its slot is reused by another deadline, and
 * if the tie-break came from the slot's payload the dead entry would change
 * rank in place and silently break the heap. It is live exactly while its
 * slot's generation is still gen: cancelling or firing bumps it. */
typedef struct hent {
    int64_t due_ms;
    uint64_t seq; /* insertion order, for FIFO among equal due times */
    uint32_t slot;
    uint32_t gen;
} hent;

/* What a cancel touches, 8 bytes, eight to a cache line. next is LIVE while
 * the slot's entry is pending and links the free list otherwise, so that a
 * forged id carrying a free slot's next generation is refused. */
typedef struct slot {
    uint32_t gen; /* never 0, so an id is never 0 */
    uint32_t next;
} slot;

/* What only add and pop read. */
typedef struct payload {
    uint64_t key;
    uint32_t kind;
} payload;

#define NO_SLOT UINT32_MAX
#define LIVE (UINT32_MAX - 1)
/* Slot indices stay below both markers. */
#define MAX_SLOTS ((size_t)UINT32_MAX - 1)
#define ARITY 4
#define CACHE_LINE 64
/* heap[0] ends where a cache line starts, so heap[1] (the first child group)
 * is line-aligned and every 96-byte group 4i+1..4i+4 spans two lines, never
 * three. */
#define HEAP_PAD (CACHE_LINE - sizeof(hent))
/* Compaction runs once dead entries are at least this many and more than the
 * live ones (deadlines.h). */
#define COMPACT_MIN 1024

struct fq_deadlines {
    hent *heap;
    void *heap_block; /* what posix_memalign returned, for free */
    size_t hn;        /* heap entries, live and dead; heap[0] is live (clean_top) */
    size_t hcap;      /* entries the heap holds */
    size_t ndead;     /* dead entries in the heap */
    slot *slots;
    payload *payloads;
    size_t scap;     /* slots the two tables hold */
    uint32_t nslots; /* slots ever handed out; the rest of the table is fresh */
    uint32_t free_head;
    uint64_t next_seq;
    /* fq_deadlines_defer: adds append without sifting; the heap order (and
     * a live top) are restored by order() before anything reads them. */
    int deferred;
};

static fq_deadline_id make_id(uint32_t gen, uint32_t s)
{
    return (uint64_t)gen << 32 | s;
}

/* The heap order: due time, then insertion order. Reads the entries only. */
static inline int before(hent a, hent b)
{
    if (a.due_ms != b.due_ms)
        return a.due_ms < b.due_ms;
    return a.seq < b.seq;
}

static inline int alive(const fq_deadlines *d, hent e)
{
    return d->slots[e.slot].gen == e.gen;
}

/* Moves a hole at pos up until e fits there. */
static void sift_up(hent *heap, size_t pos, hent e)
{
    while (pos > 0) {
        size_t parent = (pos - 1) / ARITY;
        if (!before(e, heap[parent]))
            break;
        heap[pos] = heap[parent];
        pos = parent;
    }
    heap[pos] = e;
}

/* Moves a hole at pos down until e fits there, in a heap of n entries. */
static void sift_down(hent *heap, size_t n, size_t pos, hent e)
{
    for (;;) {
        size_t c = ARITY * pos + 1;
        if (c >= n)
            break;
        size_t end = c + ARITY < n ? c + ARITY : n;
        size_t best = c;
        for (size_t i = c + 1; i < end; i++)
            if (before(heap[i], heap[best]))
                best = i;
        if (!before(heap[best], e))
            break;
        heap[pos] = heap[best];
        pos = best;
    }
    heap[pos] = e;
}

static void remove_top(fq_deadlines *d)
{
    hent last = d->heap[--d->hn];
    if (d->hn > 0)
        sift_down(d->heap, d->hn, 0, last);
}

/* Keeps the invariant that the top is live, so that next_due reads it as it
 * is: discards dead entries while one is on top. */
static void clean_top(fq_deadlines *d)
{
    while (d->hn > 0 && !alive(d, d->heap[0])) {
        remove_top(d);
        d->ndead--;
    }
}

/* Builds the heap bottom-up from entries in any order, O(n): each node's
 * children are the next group of four, so the lower levels, where most of
 * the work is, are read in sequence. */
static void heapify(hent *heap, size_t n)
{
    if (n > 1)
        for (size_t i = (n - 2) / ARITY + 1; i-- > 0;)
            sift_down(heap, n, i, heap[i]);
}

/* Drops every dead entry and rebuilds the heap bottom-up, O(hn). The scan
 * reads the slots of consecutive entries, scattered over the slot table:
 * they are fetched well ahead so that the misses overlap. */
static void compact(fq_deadlines *d)
{
    enum { AHEAD = 32 };
    hent *h = d->heap;
    size_t n = d->hn, w = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            __builtin_prefetch(&d->slots[h[i + AHEAD].slot]);
        hent e = h[i];
        h[w] = e; /* w <= i: kept or overwritten by the next live one */
        w += (size_t)alive(d, e);
    }
    d->hn = w;
    d->ndead = 0;
    d->deferred = 0;
    heapify(h, w);
}

/* Ends a deferral: the entries appended since are ordered with the rest in
 * one pass, and dead entries on top are discarded as after any change. */
static void order(fq_deadlines *d)
{
    if (!d->deferred)
        return;
    d->deferred = 0;
    heapify(d->heap, d->hn);
    clean_top(d);
}

static void maybe_compact(fq_deadlines *d)
{
    if (d->ndead >= COMPACT_MIN && d->ndead > d->hn - d->ndead)
        compact(d);
}

/* Bumping the generation is what kills the slot's entry and makes every id
 * of it stale. A generation that wraps could bring a dead entry of this slot
 * still lingering in the heap back to life: compacting first removes them
 * all (once per 2^32 - 1 reuses of one slot, so it costs nothing). The
 * caller has already counted the slot's entry as dead or taken it out. */
static void release_slot(fq_deadlines *d, uint32_t s)
{
    slot *sl = &d->slots[s];
    sl->next = d->free_head;
    d->free_head = s;
    if (++sl->gen == 0) {
        sl->gen = 1;
        compact(d);
    }
}

/* A large table offered to huge pages: a bulk load of millions of deadlines
 * writes its tables in sequence and takes a page fault per 2 MiB instead of
 * per 4 KiB. Small tables are left alone. */
static void advise_huge(void *p, size_t size)
{
    if (size >= (size_t)8 << 20)
        fq_advise_huge(p, size);
}

/* Doubles (or first sizes) the heap to at least want entries; on failure d
 * is unchanged. */
static int grow_heap(fq_deadlines *d, size_t want)
{
    size_t cap = d->hcap ? d->hcap * 2 : 64;
    if (cap < want)
        cap = want;
    size_t limit = (SIZE_MAX - HEAP_PAD) / sizeof(hent);
    if (cap > limit)
        cap = limit;
    if (cap <= d->hcap)
        return -1;
    void *block;
    if (posix_memalign(&block, CACHE_LINE, HEAP_PAD + cap * sizeof(hent)) != 0)
        return -1;
    hent *heap = (hent *)((char *)block + HEAP_PAD);
    advise_huge(block, HEAP_PAD + cap * sizeof(hent));
    if (d->hn > 0)
        memcpy(heap, d->heap, d->hn * sizeof(hent));
    free(d->heap_block);
    d->heap_block = block;
    d->heap = heap;
    d->hcap = cap;
    return 0;
}

/* The same for the slot and payload tables. */
static int grow_slots(fq_deadlines *d, size_t want)
{
    size_t cap = d->scap ? d->scap * 2 : 64;
    if (cap < want)
        cap = want;
    if (cap > MAX_SLOTS)
        cap = MAX_SLOTS;
    if (cap <= d->scap)
        return -1;
    /* The two reallocs may leave the first one done when the second fails:
     * harmless, the capacity is only raised once both succeeded. */
    slot *slots = realloc(d->slots, cap * sizeof(slot));
    if (slots == NULL)
        return -1;
    d->slots = slots;
    payload *payloads = realloc(d->payloads, cap * sizeof(payload));
    if (payloads == NULL)
        return -1;
    d->payloads = payloads;
    d->scap = cap;
    advise_huge(slots, cap * sizeof(slot));
    advise_huge(payloads, cap * sizeof(payload));
    return 0;
}

fq_deadlines *fq_deadlines_new(size_t initial_capacity)
{
    fq_deadlines *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->free_head = NO_SLOT;
    /* n live entries leave room for at most max(n, COMPACT_MIN - 1) dead
     * ones (maybe_compact), so this heap never grows before the slots do. */
    size_t n = initial_capacity;
    if (n > 0 &&
        (grow_slots(d, n) != 0 || grow_heap(d, n + (n > COMPACT_MIN ? n : COMPACT_MIN)) != 0)) {
        fq_deadlines_free(d);
        return NULL;
    }
    return d;
}

int fq_deadlines_reserve(fq_deadlines *d, size_t n)
{
    /* As fq_deadlines_new: the heap also holds the dead entries that n live
     * ones leave at most (maybe_compact). Memory a bulk load does not reach
     * is only address space: the pages are touched as entries arrive. */
    size_t heap = n + (n > COMPACT_MIN ? n : COMPACT_MIN);
    if (n > MAX_SLOTS || heap < n)
        return -1;
    if (n > d->scap && grow_slots(d, n) != 0)
        return -1;
    if (heap > d->hcap && grow_heap(d, heap) != 0)
        return -1;
    return 0;
}

size_t fq_deadlines_ahead(const fq_deadlines *d, size_t n, fq_span out[3])
{
    size_t k = 0;
    size_t s0 = d->nslots, s1 = s0 + n < d->scap ? s0 + n : d->scap;
    if (s1 > s0) {
        out[k++] = (fq_span){d->slots + s0, (s1 - s0) * sizeof(slot)};
        out[k++] = (fq_span){d->payloads + s0, (s1 - s0) * sizeof(payload)};
    }
    size_t h0 = d->hn, h1 = h0 + n < d->hcap ? h0 + n : d->hcap;
    if (h1 > h0)
        out[k++] = (fq_span){d->heap + h0, (h1 - h0) * sizeof(hent)};
    return k;
}

void fq_deadlines_defer(fq_deadlines *d)
{
    d->deferred = 1;
}

void fq_deadlines_free(fq_deadlines *d)
{
    if (d == NULL)
        return;
    free(d->heap_block);
    free(d->slots);
    free(d->payloads);
    free(d);
}

fq_deadline_id fq_deadlines_add(fq_deadlines *d, int64_t due_ms, uint64_t key, uint32_t kind)
{
    /* Room first, so that a failure leaves d as it was. */
    if (d->free_head == NO_SLOT && d->nslots == d->scap && grow_slots(d, d->scap + 1) != 0)
        return 0;
    if (d->hn == d->hcap && grow_heap(d, d->hcap + 1) != 0)
        return 0;
    uint32_t s;
    if (d->free_head != NO_SLOT) {
        s = d->free_head;
        d->free_head = d->slots[s].next;
    } else {
        s = d->nslots++;
        d->slots[s].gen = 1;
    }
    slot *sl = &d->slots[s];
    sl->next = LIVE;
    d->payloads[s] = (payload){.key = key, .kind = kind};
    hent e = {.due_ms = due_ms, .seq = d->next_seq++, .slot = s, .gen = sl->gen};
    if (d->deferred)
        d->heap[d->hn++] = e;
    else
        sift_up(d->heap, d->hn++, e);
    return make_id(e.gen, s);
}

int fq_deadlines_cancel(fq_deadlines *d, fq_deadline_id id)
{
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (s >= d->nslots)
        return -1;
    slot *sl = &d->slots[s];
    /* The generation refuses ids of fired or cancelled entries; LIVE also
     * refuses a forged id that carries a free slot's next generation. */
    if (sl->gen != gen || sl->next != LIVE)
        return -1;
    order(d);
    /* The entry stays in the heap, dead, until it reaches the top or a
     * compaction: no heap access here. */
    d->ndead++;
    release_slot(d, s);
    /* Only this entry can have made the top dead. */
    if (d->hn > 0 && d->heap[0].slot == s && d->heap[0].gen == gen)
        clean_top(d);
    maybe_compact(d);
    return 0;
}

int64_t fq_deadlines_next_due(fq_deadlines *d)
{
    order(d);
    return d->hn > 0 ? d->heap[0].due_ms : INT64_MAX;
}

size_t fq_deadlines_pop_due(fq_deadlines *d, int64_t now_ms, fq_deadline *out, size_t max)
{
    size_t n = 0;
    order(d);
    /* The top is live (clean_top), so every entry taken here is one. */
    while (n < max && d->hn > 0 && d->heap[0].due_ms <= now_ms) {
        hent top = d->heap[0];
        const payload *pl = &d->payloads[top.slot];
        out[n++] = (fq_deadline){.due_ms = top.due_ms,
                                 .key = pl->key,
                                 .kind = pl->kind,
                                 .id = make_id(top.gen, top.slot)};
        remove_top(d);
        release_slot(d, top.slot);
        clean_top(d);
    }
    maybe_compact(d);
    return n;
}

size_t fq_deadlines_count(const fq_deadlines *d)
{
    return d->hn - d->ndead;
}

size_t fq_deadlines_memory(const fq_deadlines *d)
{
    size_t m = sizeof(*d);
    if (d->hcap > 0)
        m += HEAP_PAD + d->hcap * sizeof(hent);
    m += d->scap * (sizeof(slot) + sizeof(payload));
    return m;
}
