/* deadlines: every pending deadline of the dispatch system in one structure
 * (acknowledge-by, conclude-by, their warnings, supervision-order deadlines),
 * up to millions at once. The server drives it with a single uv_timer_t armed
 * at fq_deadlines_next_due(); when that timer fires it drains the due entries
 * with fq_deadlines_pop_due() a bounded batch at a time, so that a burst of
 * deadlines cannot stall the event loop. Pure: no I/O, no clock reads (time is
 * passed in as milliseconds since the epoch), no allocation on add or cancel
 * unless the capacity is exceeded (it then doubles).
 *
 * Ordering: entries come out by due time; entries with the same due time come
 * out in the order they were added (FIFO), so a replay of the same inputs fires
 * the same sequence. A deadline already past when it is added (one that passed
 * while the server was down and is reloaded at start) is due at once: it comes
 * out of the first pop whose now_ms is at or after it, before any later one.
 *
 * Why a heap and not a timing wheel: a 4-ary implicit min-heap of 24-byte
 * entries (due time, insertion sequence, slot, generation) keeps the exact
 * (due, insertion) order with no extra work, costs O(log4 n) for add and pop
 * (add is mostly cache-hot: a random due time rarely climbs far from the
 * bottom), and the four children of a node fill two cache lines. A
 * hierarchical wheel only orders by bucket: exact millisecond order with FIFO
 * ties needs a sort or an ordered insert at each cascade, over several levels
 * for a 30-day horizon at 1 ms. The wheel was not built.
 *
 * Why lazy deletion: at 1 M pending the cost is memory latency, not
 * comparisons. Removing a random entry from the heap in place means reading
 * it with its parent and children, and knowing where it is means every heap
 * move writes its slot's position, a cache miss per level on add and
 * cancel. So the heap does not track positions and cancel does not touch the
 * heap: it only bumps the slot's generation, which kills the entry (an entry
 * is live while its slot still has the generation it carries) and frees the
 * slot for the next add at once. The dead entry stays where it is until it
 * reaches the top, where it is discarded (after every operation the top is
 * live, so next_due is exact and O(1)), or until a compaction. Ordering and
 * liveness read only the entry itself and the slot's generation, never the
 * payload a reused slot rewrites: a dead entry keeps its rank, and a reused
 * slot's new generation cannot bring it back. Compaction: once the dead
 * entries are at least 1024 and more than the live ones, cancel (or pop)
 * drops them all and rebuilds the heap bottom-up, O(live + dead): fewer than
 * twice as many entries as there were cancels since the last one, so cancel
 * is amortised O(1), but the one call that compacts takes ~15-20 ms at 1 M
 * pending. The heap therefore holds at most max(live, 1023) dead entries
 * next to the live ones, and that is what fq_deadlines_memory counts:
 * a structure that had n pending holds heap room for up to 2n entries (and a
 * structure created with capacity n has it from the start, so that adds and
 * cancels within n pending never allocate). Dead entries are also discarded
 * by pops, which then cost up to twice as many heap removals.
 *
 * Measured (bench/timers_bench.c, `bench/run timers`, Release, a shared
 * 2-core VM, noisy): ~55-60 ns per add+cancel pair at 1 M pending as the
 * median of runs of 200,000 pairs (one run in five holds a compaction),
 * ~70-85 ns amortised over runs of 1 M pairs that each hold one, against
 * ~950-1080 ns for uv_timer_init+start+stop with one libuv timer per
 * deadline; the eager-deletion heap this replaced took ~85-120 ns in the same
 * sessions. Memory: 24 bytes of slot and payload per slot and 24 of heap per
 * entry, live or dead: 50 bytes per pending deadline right after a bulk load
 * of 1 M, at most ~75 in steady churn (the heap at 2^21 entries), against 152
 * for a uv_timer_t. Draining 1 M with up to as many dead entries: ~220-330 ns
 * per popped deadline.
 *
 * Handles: an id names a slot and that slot's generation. Cancelling or firing
 * an entry bumps its slot's generation, so an id kept after its deadline fired
 * or was cancelled is refused even when the slot has since been reused (a
 * slot is reused as soon as its entry is cancelled, while the dead entry may
 * linger in the heap). The id is 64 bits (32 slot, 32 generation) because
 * slots are reused LIFO: with 8 generation bits (a 32-bit id with room for
 * 16 M slots) a slot cycling at the add/cancel rate wraps in under a second
 * and a stale id could cancel a stranger's deadline; 32 bits take 2^32 - 1
 * reuses of one slot to wrap, and when one does the heap is compacted first,
 * so that no dead entry of that slot can carry the generation it wraps to. */
#ifndef FQ_DEADLINES_H
#define FQ_DEADLINES_H

#include "hugepages.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_deadlines fq_deadlines;

/* Valid from fq_deadlines_add until the entry is popped or cancelled; 0 is
 * never a valid id ("no deadline"). */
typedef uint64_t fq_deadline_id;

/* An entry as it comes out of fq_deadlines_pop_due. key and kind are the
 * caller's (e.g. an incident id and "ack warning"), carried untouched. id is
 * the handle add returned, so a caller that keeps the id of its current
 * deadline can tell whether this is it. */
typedef struct fq_deadline {
    int64_t due_ms;
    uint64_t key;
    uint32_t kind;
    fq_deadline_id id;
} fq_deadline;

/* Room for initial_capacity pending entries before the first growth (0 is
 * allowed). NULL when out of memory. */
fq_deadlines *fq_deadlines_new(size_t initial_capacity);
void fq_deadlines_free(fq_deadlines *d);

/* Room for n pending entries in all (and the dead ones they may leave, as
 * fq_deadlines_new) without growing: a bulk load that knows its size takes
 * no doubling copies. 0, or -1 when out of memory (d keeps what it had;
 * adds still grow as needed). */
int fq_deadlines_reserve(fq_deadlines *d, size_t n);

/* The memory the next n adds write that no add has written yet (fresh
 * slots and heap entries), as up to 3 spans in out; returns how many. For
 * fq_populate on another thread ahead of a bulk load: addresses only. Valid
 * until d next grows or is freed. */
size_t fq_deadlines_ahead(const fq_deadlines *d, size_t n, fq_span out[3]);

/* Many adds follow (a bulk load): until the next call that reads the order
 * (next_due, pop_due, cancel), adds only append, and that call orders them
 * all at once, bottom-up in O(pending). A sift per add climbs from a random
 * place at the bottom of a heap of millions to its parent, a cache miss
 * each; the pass reads the heap in sequence. Nothing else changes: the
 * order is (due, insertion) as ever, so the same deadlines come out in the
 * same order. */
void fq_deadlines_defer(fq_deadlines *d);

/* Schedules (key, kind) at due_ms, which may be in the past. Returns its id,
 * or 0 when out of memory (or past 2^32 - 2 pending entries); d is then
 * unchanged. */
fq_deadline_id fq_deadlines_add(fq_deadlines *d, int64_t due_ms, uint64_t key, uint32_t kind);

/* Removes a pending entry. 0, or -1 when id is 0, unknown, already popped or
 * already cancelled. */
int fq_deadlines_cancel(fq_deadlines *d, fq_deadline_id id);

/* The earliest due time, INT64_MAX when empty: what the server's one timer
 * is armed at. */
int64_t fq_deadlines_next_due(fq_deadlines *d);

/* Moves up to max entries with due_ms <= now_ms into out, earliest first
 * (ties in insertion order), and returns how many. Entries beyond max stay
 * pending; next_due then is <= now_ms and the caller pops again (on the next
 * loop turn, to let I/O in between). */
size_t fq_deadlines_pop_due(fq_deadlines *d, int64_t now_ms, fq_deadline *out, size_t max);

/* Pending entries. */
size_t fq_deadlines_count(const fq_deadlines *d);

/* Bytes held, the structure itself included, and the heap room that
 * cancelled entries hold until they are discarded or compacted away. */
size_t fq_deadlines_memory(const fq_deadlines *d);

#endif
