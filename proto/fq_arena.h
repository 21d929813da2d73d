/* fq_arena: a bounded bump allocator for decoding one request.
 *
 * protobuf-c allocates every decoded field through a ProtobufCAllocator; with
 * an arena the whole decoded message is freed in one step (fq_arena_reset) and
 * a hostile message can never make the decoder take more than the arena's
 * capacity: allocation fails, protobuf-c reports a decode error, and the
 * caller answers INVALID. */
#ifndef FQ_ARENA_H
#define FQ_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct fq_arena {
    ProtobufCAllocator allocator; /* pass &arena->allocator to protobuf-c */
    unsigned char *base;
    size_t capacity;
    size_t used;
    size_t high_water; /* largest `used` seen, for sizing */
    int exhausted;     /* an allocation failed since the last reset */
} fq_arena;

/* Owns nothing: `buffer` stays the caller's. Alignment is max_align_t. */
void fq_arena_init(fq_arena *arena, void *buffer, size_t capacity);
void *fq_arena_alloc(fq_arena *arena, size_t size);
void fq_arena_reset(fq_arena *arena);

#endif
