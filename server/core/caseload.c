/* caseload: fq_case records in slabs of CHUNK (allocated as needed, never
 * moved or freed before fq_caseload_free; a free list of record indices
 * reuses removed ones; a bitmap per slab marks the live ones) and an
 * open-addressing table of (id, record index) pairs: linear probing, load at
 * most 1/2, backward-shift deletion (no tombstones; only table slots move,
 * never records). Slabs and a large table are allocated on 2 MiB boundaries
 * and offered to transparent huge pages: a million cases are then a few
 * hundred page faults, not tens of thousands. */
#include "caseload.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* 65536 records of today's size (256 bytes) are exactly eight 2 MiB huge
 * pages: a slab is resident by whole huge pages as it fills. The slabs' live
 * bitmaps are kept apart (live_bits), so that 8 KiB of bitmap do not claim a
 * ninth huge page for every slab. */
#define CHUNK_BITS 16
#define CHUNK ((uint32_t)1 << CHUNK_BITS)
#define NIL UINT32_MAX
#define MAX_RECORDS (NIL - 1)

typedef struct chunk {
    fq_case rec[CHUNK];
} chunk;

typedef uint64_t live_bits[CHUNK / 64];

typedef struct slot {
    uint64_t id;
    uint32_t rec; /* NIL: empty */
} slot;

struct fq_caseload {
    chunk **chunks;
    live_bits *live; /* by chunk, cap_chunks of them */
    size_t n_chunks, cap_chunks;
    uint32_t used;      /* records ever handed out; the rest of the last chunk is fresh */
    uint32_t free_head; /* removed records, linked through their incident_id */
    size_t count;
    slot *table;
    size_t table_cap; /* power of two, or 0 */
};

#define HUGE_PAGE ((size_t)2 << 20)

/* size bytes, huge-page aligned and advised when size is at least half a
 * huge page, plain malloc otherwise. Release with free. */
static void *big_alloc(size_t size)
{
    if (size < HUGE_PAGE / 2)
        return malloc(size);
    if (size > SIZE_MAX - HUGE_PAGE)
        return NULL;
    size = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    return p;
}

static inline uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline fq_case *record(const fq_caseload *c, uint32_t r)
{
    return &c->chunks[r >> CHUNK_BITS]->rec[r & (CHUNK - 1)];
}

static inline void set_live(fq_caseload *c, uint32_t r, int live)
{
    uint64_t *w = &c->live[r >> CHUNK_BITS][(r & (CHUNK - 1)) / 64];
    uint64_t bit = (uint64_t)1 << (r % 64);
    *w = live ? *w | bit : *w & ~bit;
}

fq_caseload *fq_caseload_new(void)
{
    fq_caseload *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->free_head = NIL;
    return c;
}

void fq_caseload_free(fq_caseload *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_chunks; i++)
        free(c->chunks[i]);
    free(c->chunks);
    free(c->live);
    free(c->table);
    free(c);
}

/* The table slot holding id, or SIZE_MAX. */
static inline size_t find_slot(const fq_caseload *c, uint64_t id)
{
    if (c->table_cap == 0)
        return SIZE_MAX;
    size_t mask = c->table_cap - 1;
    for (size_t i = mix64(id) & mask;; i = (i + 1) & mask) {
        const slot *s = &c->table[i];
        if (s->rec == NIL)
            return SIZE_MAX;
        if (s->id == id)
            return i;
    }
}

static inline void put(slot *table, size_t cap, uint64_t id, uint32_t rec)
{
    size_t mask = cap - 1;
    size_t i = mix64(id) & mask;
    while (table[i].rec != NIL)
        i = (i + 1) & mask;
    table[i] = (slot){id, rec};
}

/* A table with room for `want` keys at load <= 1/2. */
static int table_reserve(fq_caseload *c, size_t want)
{
    if (want <= c->table_cap / 2)
        return 0;
    size_t cap = c->table_cap ? c->table_cap : 64;
    while (cap / 2 < want) {
        if (cap > SIZE_MAX / 2 / sizeof(slot))
            return -1;
        cap *= 2;
    }
    slot *t = big_alloc(cap * sizeof *t);
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < cap; i++)
        t[i].rec = NIL;
    for (size_t i = 0; i < c->table_cap; i++) {
        if (c->table[i].rec != NIL)
            put(t, cap, c->table[i].id, c->table[i].rec);
    }
    free(c->table);
    c->table = t;
    c->table_cap = cap;
    return 0;
}

static void delete_at(fq_caseload *c, size_t i)
{
    size_t mask = c->table_cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (c->table[j].rec == NIL)
            break;
        size_t home = mix64(c->table[j].id) & mask;
        /* j's key may move back to i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            c->table[i] = c->table[j];
            i = j;
        }
    }
    c->table[i].rec = NIL;
}

/* Slabs (and the slab array) for `want` records in all, fresh ones counted
 * from `used`. */
static int chunks_reserve(fq_caseload *c, size_t want)
{
    if (want > MAX_RECORDS)
        return -1;
    size_t need = (want + CHUNK - 1) / CHUNK;
    if (need > c->cap_chunks) {
        size_t cap = c->cap_chunks ? c->cap_chunks : 16;
        while (cap < need)
            cap *= 2;
        chunk **grown = realloc(c->chunks, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        c->chunks = grown;
        live_bits *live = realloc(c->live, cap * sizeof *live);
        if (live == NULL)
            return -1;
        c->live = live;
        c->cap_chunks = cap;
    }
    while (c->n_chunks < need) {
        chunk *k = big_alloc(sizeof *k);
        if (k == NULL)
            return -1;
        memset(c->live[c->n_chunks], 0, sizeof(live_bits));
        c->chunks[c->n_chunks++] = k;
    }
    return 0;
}

int fq_caseload_reserve(fq_caseload *c, size_t n)
{
    if (n > MAX_RECORDS - c->count)
        return -1;
    if (table_reserve(c, c->count + n) != 0)
        return -1;
    /* Free records are reused first; fresh ones cover the rest. */
    size_t reusable = (size_t)c->used - c->count;
    size_t fresh = n > reusable ? n - reusable : 0;
    return chunks_reserve(c, (size_t)c->used + fresh);
}

fq_case *fq_caseload_add(fq_caseload *c, uint64_t incident_id)
{
    if (find_slot(c, incident_id) != SIZE_MAX)
        return NULL;
    if (table_reserve(c, c->count + 1) != 0)
        return NULL;
    uint32_t r;
    if (c->free_head != NIL) {
        r = c->free_head;
        c->free_head = (uint32_t)record(c, r)->incident_id;
    } else {
        if (chunks_reserve(c, (size_t)c->used + 1) != 0)
            return NULL;
        r = c->used++;
    }
    fq_case *k = record(c, r);
    memset(k, 0, sizeof *k);
    k->incident_id = incident_id;
    set_live(c, r, 1);
    put(c->table, c->table_cap, incident_id, r);
    c->count++;
    return k;
}

size_t fq_caseload_ahead(const fq_caseload *c, size_t n, fq_span *out, size_t max)
{
    size_t reusable = (size_t)c->used - c->count;
    size_t from = c->used, to = from + (n > reusable ? n - reusable : 0);
    if (to > c->n_chunks * (size_t)CHUNK)
        to = c->n_chunks * (size_t)CHUNK;
    size_t k = 0;
    while (from < to && k < max) {
        size_t end = (from / CHUNK + 1) * CHUNK;
        end = end < to ? end : to;
        out[k++] = (fq_span){record(c, (uint32_t)from), (end - from) * sizeof(fq_case)};
        from = end;
    }
    return k;
}

void fq_caseload_prefetch(const fq_caseload *c, uint64_t incident_id)
{
    if (c->table_cap > 0)
        __builtin_prefetch(&c->table[mix64(incident_id) & (c->table_cap - 1)], 1);
}

fq_case *fq_caseload_find(fq_caseload *c, uint64_t incident_id)
{
    size_t i = find_slot(c, incident_id);
    return i == SIZE_MAX ? NULL : record(c, c->table[i].rec);
}

void fq_caseload_remove(fq_caseload *c, uint64_t incident_id)
{
    size_t i = find_slot(c, incident_id);
    if (i == SIZE_MAX)
        return;
    uint32_t r = c->table[i].rec;
    delete_at(c, i);
    set_live(c, r, 0);
    record(c, r)->incident_id = c->free_head;
    c->free_head = r;
    c->count--;
}

size_t fq_caseload_count(const fq_caseload *c)
{
    return c->count;
}

void fq_caseload_foreach(fq_caseload *c, void (*fn)(fq_case *, void *), void *user)
{
    for (size_t k = 0; k < c->n_chunks; k++) {
        chunk *ch = c->chunks[k];
        for (uint32_t w = 0; w < CHUNK / 64; w++) {
            for (uint64_t bits = c->live[k][w]; bits != 0; bits &= bits - 1)
                fn(&ch->rec[w * 64 + (uint32_t)__builtin_ctzll(bits)], user);
        }
    }
}

size_t fq_caseload_memory(const fq_caseload *c)
{
    return sizeof *c + c->cap_chunks * (sizeof(chunk *) + sizeof(live_bits)) +
           c->n_chunks * sizeof(chunk) + c->table_cap * sizeof(slot);
}

void fq_case_new_limits(fq_case *c, int64_t wall_now_ms, int64_t mono_now_ms, unsigned kinds)
{
    c->clock_offset_ms = mono_now_ms - wall_now_ms;
    c->fired &= (uint8_t)~kinds;
}

void fq_case_unschedule(fq_case *c, fq_deadlines *dl)
{
    if (c->deadline != 0)
        fq_deadlines_cancel(dl, c->deadline);
    c->deadline = 0;
    c->deadline_kind = 0;
}

void fq_case_schedule(fq_case *c, fq_deadlines *dl)
{
    fq_case_unschedule(c, dl);
    /* A suspended case's clocks stand still: nothing is due. */
    if (c->suspended_ms != 0)
        return;
    const fq_decision *dec = &c->decision;
    int acknowledged = fq_case_acknowledged(c);
    const int64_t wall[FQ_CASE_DEADLINES] = {
        acknowledged ? 0 : dec->ack_warn_ms, acknowledged ? 0 : dec->ack_due_ms,
        dec->conclude_warn_ms, dec->conclude_due_ms, c->supervision_ms};
    int next = -1;
    for (int k = 0; k < FQ_CASE_DEADLINES; k++) {
        /* A limit that fired stays spent: rescheduling it would warn or
         * breach the same holder a second time for the same due time. */
        if (wall[k] > 0 && !(c->fired & (1u << k)) && (next < 0 || wall[k] < wall[next]))
            next = k;
    }
    if (next < 0)
        return;
    c->deadline =
        fq_deadlines_add(dl, wall[next] + c->clock_offset_ms, c->incident_id, (uint32_t)(next + 1));
    c->deadline_kind = c->deadline != 0 ? (uint8_t)(next + 1) : 0;
}

void fq_case_resumed_limits(const fq_case *c, const fq_calendar *cal, int64_t resumed_ms,
                            fq_decision *dec, int64_t *supervision_ms)
{
    const int64_t paused = c->suspended_ms;
    *dec = c->decision;
    dec->ack_warn_ms = fq_limit_after_pause(cal, c->decision.ack_warn_ms, paused, resumed_ms);
    dec->ack_due_ms = fq_limit_after_pause(cal, c->decision.ack_due_ms, paused, resumed_ms);
    dec->conclude_warn_ms =
        fq_limit_after_pause(cal, c->decision.conclude_warn_ms, paused, resumed_ms);
    dec->conclude_due_ms =
        fq_limit_after_pause(cal, c->decision.conclude_due_ms, paused, resumed_ms);
    *supervision_ms = fq_limit_after_pause(cal, c->supervision_ms, paused, resumed_ms);
}

void fq_case_fired(fq_case *c, uint32_t kind)
{
    if (kind < 1 || kind > FQ_CASE_DEADLINES)
        return;
    c->deadline = 0;
    c->deadline_kind = 0;
    /* A supervision order is spent when the server clears supervision_ms;
     * marking it here would silence the holder's next order. */
    if (kind != FQ_DEADLINE_SUPERVISION_DUE)
        c->fired |= (uint8_t)(1u << (kind - 1));
}
