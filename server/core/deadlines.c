/* deadlines: a 4-ary implicit min-heap of (due, slot), a slot table that
 * maps a handle to its heap position and generation, and a payload table
 * (see deadlines.h for why a heap). */
#include "deadlines.h"

#include <stdlib.h>
#include <string.h>

/* The heap holds only what ordering needs, 16 bytes, so that the four
 * children of a node share one cache line. The insertion sequence number that
 * breaks ties lives in the payload table: ties are rare next to the due-time
 * comparison, so the extra load is paid seldom, and the entry stays small. */
typedef struct hent {
    int64_t due_ms;
    uint32_t slot;
    uint32_t unused;
} hent;

/* A slot is split in two tables: what every heap move and every cancel
 * touches (8 bytes, eight to a cache line), and what only add, pop and ties
 * read. Every heap move writes the moved entry's position, a cache miss at
 * 1 M entries; with the payload alongside that table was four times larger
 * and add+cancel took ~145 ns instead of ~95 (bench/timers_bench.c). A slot is live while
 * pos < count and heap[pos].slot names it back; a free slot's pos links the
 * free list instead. */
typedef struct slot {
    uint32_t pos;
    uint32_t gen; /* never 0, so an id is never 0 */
} slot;

typedef struct payload {
    uint64_t key;
    uint64_t seq; /* insertion order, for FIFO among equal due times */
    uint32_t kind;
} payload;

#define NO_SLOT UINT32_MAX
#define ARITY 4
#define CACHE_LINE 64
/* heap[0] sits 3 entries into the block, so that heap[1] (the first child
 * group) and every group 4i+1..4i+4 after it start on a cache line. */
#define HEAP_PAD 3

struct fq_deadlines {
    hent *heap;
    void *heap_block; /* what posix_memalign returned, for free */
    slot *slots;
    payload *payloads;
    size_t count;    /* entries in the heap */
    size_t capacity; /* entries heap and slot table hold */
    uint32_t nslots; /* slots ever handed out; the rest of the table is fresh */
    uint32_t free_head;
    uint64_t next_seq;
};

static fq_deadline_id make_id(uint32_t gen, uint32_t s)
{
    return (uint64_t)gen << 32 | s;
}

/* The heap order: due time, then insertion order. */
static inline int before(const fq_deadlines *d, hent a, hent b)
{
    if (a.due_ms != b.due_ms)
        return a.due_ms < b.due_ms;
    return d->payloads[a.slot].seq < d->payloads[b.slot].seq;
}

static inline void put(fq_deadlines *d, size_t pos, hent e)
{
    d->heap[pos] = e;
    d->slots[e.slot].pos = (uint32_t)pos;
}

/* Moves a hole at pos up until e fits there. */
static void sift_up(fq_deadlines *d, size_t pos, hent e)
{
    while (pos > 0) {
        size_t parent = (pos - 1) / ARITY;
        if (!before(d, e, d->heap[parent]))
            break;
        put(d, pos, d->heap[parent]);
        pos = parent;
    }
    put(d, pos, e);
}

/* Moves a hole at pos down until e fits there. */
static void sift_down(fq_deadlines *d, size_t pos, hent e)
{
    size_t n = d->count;
    for (;;) {
        size_t c = ARITY * pos + 1;
        if (c >= n)
            break;
        size_t end = c + ARITY < n ? c + ARITY : n;
        size_t best = c;
        for (size_t i = c + 1; i < end; i++)
            if (before(d, d->heap[i], d->heap[best]))
                best = i;
        if (!before(d, d->heap[best], e))
            break;
        put(d, pos, d->heap[best]);
        pos = best;
    }
    put(d, pos, e);
}

/* Takes the entry at pos out of the heap; its slot is left to the caller. */
static void remove_at(fq_deadlines *d, size_t pos)
{
    hent last = d->heap[--d->count];
    if (pos == d->count)
        return;
    if (pos > 0 && before(d, last, d->heap[(pos - 1) / ARITY]))
        sift_up(d, pos, last);
    else
        sift_down(d, pos, last);
}

/* Bumping the generation is what makes every id of the old entry stale. */
static void release_slot(fq_deadlines *d, uint32_t s)
{
    slot *sl = &d->slots[s];
    if (++sl->gen == 0)
        sl->gen = 1;
    sl->pos = d->free_head;
    d->free_head = s;
}

/* Doubles (or first sizes) both arrays; on failure d is unchanged. */
static int grow(fq_deadlines *d, size_t want)
{
    size_t cap = d->capacity ? d->capacity * 2 : 64;
    if (cap < want)
        cap = want;
    /* Slot indices are uint32_t and NO_SLOT is reserved. */
    if (cap > NO_SLOT)
        cap = NO_SLOT;
    if (cap <= d->capacity)
        return -1;
    void *block;
    if (posix_memalign(&block, CACHE_LINE, (cap + HEAP_PAD) * sizeof(hent)) != 0)
        return -1;
    /* The two reallocs may leave the first one done when the second fails:
     * harmless, the capacity is only raised once both succeeded. */
    slot *slots = realloc(d->slots, cap * sizeof(slot));
    if (slots != NULL)
        d->slots = slots;
    payload *payloads = slots ? realloc(d->payloads, cap * sizeof(payload)) : NULL;
    if (payloads == NULL) {
        free(block);
        return -1;
    }
    d->payloads = payloads;
    hent *heap = (hent *)block + HEAP_PAD;
    if (d->count > 0)
        memcpy(heap, d->heap, d->count * sizeof(hent));
    free(d->heap_block);
    d->heap_block = block;
    d->heap = heap;
    d->capacity = cap;
    return 0;
}

fq_deadlines *fq_deadlines_new(size_t initial_capacity)
{
    fq_deadlines *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->free_head = NO_SLOT;
    if (initial_capacity > 0 && grow(d, initial_capacity) != 0) {
        free(d);
        return NULL;
    }
    return d;
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
    uint32_t s;
    if (d->free_head != NO_SLOT) {
        s = d->free_head;
        d->free_head = d->slots[s].pos;
    } else {
        /* Every pending entry owns a slot, so count <= nslots <= capacity
         * and the heap never needs room the slot table does not have. */
        if (d->nslots == d->capacity && grow(d, d->capacity + 1) != 0)
            return 0;
        s = d->nslots++;
        d->slots[s].gen = 1;
    }
    d->payloads[s] = (payload){.key = key, .seq = d->next_seq++, .kind = kind};
    sift_up(d, d->count++, (hent){.due_ms = due_ms, .slot = s});
    return make_id(d->slots[s].gen, s);
}

int fq_deadlines_cancel(fq_deadlines *d, fq_deadline_id id)
{
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (s >= d->nslots)
        return -1;
    slot *sl = &d->slots[s];
    /* The generation refuses ids of fired or cancelled entries; the position
     * check also refuses a forged id that happens to carry a free slot's
     * next generation. */
    size_t pos = sl->pos;
    if (sl->gen != gen || pos >= d->count)
        return -1;
    /* A random entry of a large heap is a cache miss, and so are its parent,
     * its children and the last entry's slot that remove_at reads next: ask
     * for them all at once instead of one after the other. */
    if (pos > 0)
        __builtin_prefetch(&d->heap[(pos - 1) / ARITY]);
    if (ARITY * pos + 1 < d->count)
        __builtin_prefetch(&d->heap[ARITY * pos + 1]);
    __builtin_prefetch(&d->slots[d->heap[d->count - 1].slot], 1);
    if (d->heap[pos].slot != s)
        return -1;
    remove_at(d, pos);
    release_slot(d, s);
    return 0;
}

int64_t fq_deadlines_next_due(const fq_deadlines *d)
{
    return d->count > 0 ? d->heap[0].due_ms : INT64_MAX;
}

size_t fq_deadlines_pop_due(fq_deadlines *d, int64_t now_ms, fq_deadline *out, size_t max)
{
    size_t n = 0;
    while (n < max && d->count > 0 && d->heap[0].due_ms <= now_ms) {
        uint32_t s = d->heap[0].slot;
        const payload *pl = &d->payloads[s];
        out[n++] = (fq_deadline){.due_ms = d->heap[0].due_ms,
                                 .key = pl->key,
                                 .kind = pl->kind,
                                 .id = make_id(d->slots[s].gen, s)};
        remove_at(d, 0);
        release_slot(d, s);
    }
    return n;
}

size_t fq_deadlines_count(const fq_deadlines *d)
{
    return d->count;
}

size_t fq_deadlines_memory(const fq_deadlines *d)
{
    size_t m = sizeof(*d);
    if (d->capacity > 0)
        m += (d->capacity + HEAP_PAD) * sizeof(hent) +
             d->capacity * (sizeof(slot) + sizeof(payload));
    return m;
}
