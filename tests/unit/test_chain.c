/* Tests of the event hash: known vectors computed by PostgreSQL with
 * migration 0004's fq_event_hash() (NULL and empty strings, UTF-8, a
 * negative time, the largest seq), and appending to a head. */
#include "chain.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void assert_hash(const uint8_t h[FQ_CHAIN_HASH_BYTES], const char *hex)
{
    char got[2 * FQ_CHAIN_HASH_BYTES + 1];
    for (int i = 0; i < FQ_CHAIN_HASH_BYTES; i++)
        snprintf(got + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(got, hex);
}

static fq_chain_event ev(int64_t seq, int64_t incident, const char *kind, const char *actor,
                         int64_t at_us, const char *reason, const void *payload, size_t payload_len)
{
    fq_chain_event e = {seq,
                        incident,
                        at_us,
                        kind,
                        actor,
                        reason,
                        kind ? strlen(kind) : 0,
                        actor ? strlen(actor) : 0,
                        reason ? strlen(reason) : 0,
                        payload,
                        payload_len};
    return e;
}

/* SELECT encode(fq_event_hash(prev, seq, incident, kind, actor, at,
 * reason, payload), 'hex') for each. */
static void test_as_sql(void **state)
{
    (void)state;
    uint8_t zero[FQ_CHAIN_HASH_BYTES] = {0}, ab[FQ_CHAIN_HASH_BYTES], h[FQ_CHAIN_HASH_BYTES];
    memset(ab, 0xab, sizeof ab);

    /* (zeros, 1, 1, 'reported', 'gw-1', '2026-12-06 21:00:00.123456+00', '', '\x0a0b0c') */
    fq_chain_event e =
        ev(1, 1, "reported", "gw-1", INT64_C(1796590800123456), "", "\x0a\x0b\x0c", 3);
    fq_chain_hash(zero, &e, h);
    assert_hash(h, "d8251c2c4aaade3175f9acfd7a416a012938c75241a4d425df8b3005b52ab701");

    /* (ab.., max bigint, 42, 'assigned', NULL, '1969-12-31 23:59:59.5+00', '派给 网格员', NULL) */
    e = ev(INT64_MAX, 42, "assigned", NULL, -500000, "派给 网格员", NULL, 0);
    fq_chain_hash(ab, &e, h);
    assert_hash(h, "a49740ebe4793112fa847b580cd88b886874c0f0a0994670297716946563a45b");

    /* (zeros, 2, 7, '', '', '2000-01-01 00:00:00+00', '', ''::bytea): empty, not NULL */
    e = ev(2, 7, "", "", INT64_C(946684800000000), "", "", 0);
    fq_chain_hash(zero, &e, h);
    assert_hash(h, "340e721016413896d8b6dcd21f8e617e6a260252c64b10becd1cd0f69490001d");
}

static void test_append(void **state)
{
    (void)state;
    fq_chain_head head = {0, {0}};
    uint8_t prev[FQ_CHAIN_HASH_BYTES], h[FQ_CHAIN_HASH_BYTES];
    fq_chain_event e =
        ev(0, 1, "reported", "gw-1", INT64_C(1796590800123456), "", "\x0a\x0b\x0c", 3);
    fq_chain_append(&head, &e, prev, h);
    assert_int_equal(e.seq, 1);
    assert_int_equal(head.seq, 1);
    uint8_t zero[FQ_CHAIN_HASH_BYTES] = {0};
    assert_memory_equal(prev, zero, sizeof zero);
    assert_hash(h, "d8251c2c4aaade3175f9acfd7a416a012938c75241a4d425df8b3005b52ab701");
    assert_memory_equal(head.hash, h, sizeof h);
    fq_chain_event next = ev(0, 1, "assigned", NULL, INT64_C(1796590800123456), "", NULL, 0);
    fq_chain_append(&head, &next, prev, h);
    assert_int_equal(next.seq, 2);
    assert_hash(prev, "d8251c2c4aaade3175f9acfd7a416a012938c75241a4d425df8b3005b52ab701");
    uint8_t again[FQ_CHAIN_HASH_BYTES];
    fq_chain_hash(prev, &next, again);
    assert_memory_equal(again, h, sizeof h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_sql),
        cmocka_unit_test(test_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
