#include "fq_arena.h"

#include <stdalign.h>
#include <stdint.h>

static void *arena_alloc_cb(void *data, size_t size)
{
    return fq_arena_alloc(data, size);
}

/* Freeing single objects is a no-op: the arena is reset as a whole. */
static void arena_free_cb(void *data, void *pointer)
{
    (void)data;
    (void)pointer;
}

void fq_arena_init(fq_arena *arena, void *buffer, size_t capacity)
{
    arena->allocator.alloc = arena_alloc_cb;
    arena->allocator.free = arena_free_cb;
    arena->allocator.allocator_data = arena;
    arena->base = buffer;
    arena->capacity = capacity;
    arena->used = 0;
    arena->high_water = 0;
    arena->exhausted = 0;
}

void *fq_arena_alloc(fq_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t start = (arena->used + align - 1) & ~(align - 1);
    if (size == 0)
        size = 1;
    if (start > arena->capacity || size > arena->capacity - start) {
        arena->exhausted = 1;
        return NULL;
    }
    arena->used = start + size;
    if (arena->used > arena->high_water)
        arena->high_water = arena->used;
    return arena->base + start;
}

void fq_arena_reset(fq_arena *arena)
{
    arena->used = 0;
    arena->exhausted = 0;
}
