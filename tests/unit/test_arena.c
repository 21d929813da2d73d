/* fq_arena: bounds, alignment, exhaustion flag, reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fq_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define ALIGN alignof(max_align_t)

static _Alignas(max_align_t) unsigned char buffer[1024];

static void test_init(void **state)
{
    (void)state;
    fq_arena a;
    memset(&a, 0xa5, sizeof a);
    fq_arena_init(&a, buffer, sizeof buffer);
    assert_ptr_equal(a.base, buffer);
    assert_int_equal(a.capacity, sizeof buffer);
    assert_int_equal(a.used, 0);
    assert_int_equal(a.high_water, 0);
    assert_int_equal(a.exhausted, 0);
    assert_ptr_equal(a.allocator.allocator_data, &a);
    assert_non_null(a.allocator.alloc);
    assert_non_null(a.allocator.free);
}

static void test_alignment(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    static const size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 0, 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = fq_arena_alloc(&a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % ALIGN, 0);
        assert_true(p >= buffer && p + (sizes[i] ? sizes[i] : 1) <= buffer + sizeof buffer);
        memset(p, 0x5a, sizes[i]); /* ASan: the block is really ours */
    }
    assert_int_equal(a.exhausted, 0);
}

static void test_distinct_blocks(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    unsigned char *p = fq_arena_alloc(&a, 10);
    unsigned char *q = fq_arena_alloc(&a, 10);
    unsigned char *z1 = fq_arena_alloc(&a, 0);
    unsigned char *z2 = fq_arena_alloc(&a, 0);
    assert_true(q >= p + 10);
    /* Zero-size allocations get distinct non-NULL pointers (protobuf-c
     * treats NULL as out of memory). */
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
}

static void test_exact_fit_and_exhaustion(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    void *p = fq_arena_alloc(&a, sizeof buffer);
    assert_ptr_equal(p, buffer);
    assert_int_equal(a.used, sizeof buffer);
    assert_int_equal(a.exhausted, 0);
    assert_null(fq_arena_alloc(&a, 1));
    assert_int_equal(a.exhausted, 1);
    assert_int_equal(a.used, sizeof buffer);

    fq_arena_reset(&a);
    assert_null(fq_arena_alloc(&a, sizeof buffer + 1));
    assert_int_equal(a.exhausted, 1);
    assert_int_equal(a.used, 0); /* a failed allocation takes nothing */
    /* The flag is sticky until reset, even when later allocations succeed. */
    assert_non_null(fq_arena_alloc(&a, 1));
    assert_int_equal(a.exhausted, 1);
}

static void test_alignment_padding_counts(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, 2 * ALIGN);
    assert_non_null(fq_arena_alloc(&a, 1));
    /* The second block starts at ALIGN: exactly ALIGN bytes remain. */
    assert_null(fq_arena_alloc(&a, ALIGN + 1));
    assert_int_equal(a.exhausted, 1);
    fq_arena_reset(&a);
    assert_non_null(fq_arena_alloc(&a, 1));
    assert_ptr_equal(fq_arena_alloc(&a, ALIGN), buffer + ALIGN);
    assert_int_equal(a.used, 2 * ALIGN);
    /* Full: even a zero-size request (rounded up to 1) fails. */
    assert_null(fq_arena_alloc(&a, 0));
    assert_int_equal(a.exhausted, 1);
}

static void test_huge_sizes(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    assert_non_null(fq_arena_alloc(&a, 1));
    /* No wrap-around in the bounds check. */
    assert_null(fq_arena_alloc(&a, SIZE_MAX));
    assert_null(fq_arena_alloc(&a, SIZE_MAX - ALIGN));
    assert_null(fq_arena_alloc(&a, (size_t)-1 / 2 + 1));
    assert_int_equal(a.exhausted, 1);
    assert_int_equal(a.used, 1);
}

static void test_zero_capacity(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, 0);
    assert_null(fq_arena_alloc(&a, 0));
    assert_null(fq_arena_alloc(&a, 1));
    assert_int_equal(a.exhausted, 1);
}

static void test_reset_and_high_water(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    void *first = fq_arena_alloc(&a, 100);
    fq_arena_alloc(&a, 200);
    size_t used = a.used;
    assert_true(used >= 300);
    assert_int_equal(a.high_water, used);
    fq_arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_int_equal(a.exhausted, 0);
    assert_int_equal(a.high_water, used); /* kept across resets, for sizing */
    assert_ptr_equal(fq_arena_alloc(&a, 8), first);
    assert_int_equal(a.high_water, used);
}

static void test_protobuf_allocator(void **state)
{
    (void)state;
    fq_arena a;
    fq_arena_init(&a, buffer, sizeof buffer);
    ProtobufCAllocator *al = &a.allocator;
    void *p = al->alloc(al->allocator_data, 24);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % ALIGN, 0);
    size_t used = a.used;
    al->free(al->allocator_data, p); /* no-op */
    assert_int_equal(a.used, used);
    assert_null(al->alloc(al->allocator_data, sizeof buffer));
    assert_int_equal(a.exhausted, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_distinct_blocks),
        cmocka_unit_test(test_exact_fit_and_exhaustion),
        cmocka_unit_test(test_alignment_padding_counts),
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_reset_and_high_water),
        cmocka_unit_test(test_protobuf_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
