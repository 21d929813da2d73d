/* fqclient: message ids and key parsing (no sockets). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fqclient.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_fresh_ids(void **state)
{
    (void)state;
    int64_t before = fq_now_ms();
    uint64_t last = fqc_fresh_message_id();
    assert_true(last > 0 && last <= (uint64_t)INT64_MAX);
    /* The top bits are the clock in milliseconds. */
    int64_t ms = (int64_t)(last >> 16);
    assert_true(ms >= before - 1 && ms <= fq_now_ms() + 1);
    /* Far more than 256 per millisecond: the counter carries into the clock
     * bits but never repeats or goes back. */
    for (int i = 0; i < 200000; i++) {
        uint64_t id = fqc_fresh_message_id();
        if (id <= last)
            fail_msg("id %d: %llu after %llu", i, (unsigned long long)id, (unsigned long long)last);
        assert_true(id <= (uint64_t)INT64_MAX);
        last = id;
    }
}

/* BLAKE2b with an 8-byte digest over node, NUL, text, top bit cleared:
 *   python3 -c 'import hashlib; print(hashlib.blake2b(
 *       b"lingyin-platform\x00LY-2023-0001", digest_size=8).hexdigest())'
 * gives 65965a980bd2a6f5; with b"\x00" (empty node and text) 94f6d9cdd1ea8248,
 * whose top bit is cleared. These ids must never change between versions:
 * clients rely on them to make resending a case idempotent. */
static void test_message_id_for(void **state)
{
    (void)state;
    assert_true(fqc_message_id_for("lingyin-platform", "LY-2023-0001") == 0x65965a980bd2a6f5ULL);
    assert_true(fqc_message_id_for("", "") == 0x14f6d9cdd1ea8248ULL);
    uint64_t a = fqc_message_id_for("lingyin-platform", "LY-2023-0001");
    assert_true(a == fqc_message_id_for("lingyin-platform", "LY-2023-0001"));
    assert_true(a != fqc_message_id_for("beishan-platform", "LY-2023-0001"));
    assert_true(a != fqc_message_id_for("lingyin-platform", "LY-2023-0002"));
    /* The separator keeps node and text apart. */
    assert_true(fqc_message_id_for("ab", "c") != fqc_message_id_for("a", "bc"));
    assert_true(fqc_message_id_for("a", "") != fqc_message_id_for("", "a"));
    for (int i = 0; i < 1000; i++) {
        char text[32];
        snprintf(text, sizeof text, "case-%d", i);
        uint64_t id = fqc_message_id_for("n", text);
        assert_true(id >= 1 && id <= (uint64_t)INT64_MAX);
    }
}

static void test_parse_key(void **state)
{
    (void)state;
    static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    uint8_t k[FQ_KEY_BYTES];
    char buf[200];
    assert_int_equal(fqc_parse_key(hex, k), 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(k[i], i);
    snprintf(buf, sizeof buf, "%s\n", hex);
    assert_int_equal(fqc_parse_key(buf, k), 0);
    snprintf(buf, sizeof buf, "%s \r\n", hex);
    assert_int_equal(fqc_parse_key(buf, k), 0);
    for (int i = 0; i < 64; i++)
        buf[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
    buf[64] = '\0';
    assert_int_equal(fqc_parse_key(buf, k), 0);
    assert_int_equal(k[10], 10);

    assert_int_equal(fqc_parse_key("", k), -1);
    assert_int_equal(fqc_parse_key("\n", k), -1);
    snprintf(buf, sizeof buf, "%.63s", hex);
    assert_int_equal(fqc_parse_key(buf, k), -1);
    snprintf(buf, sizeof buf, "%s0", hex);
    assert_int_equal(fqc_parse_key(buf, k), -1);
    snprintf(buf, sizeof buf, "%s00", hex);
    assert_int_equal(fqc_parse_key(buf, k), -1);
    snprintf(buf, sizeof buf, " %.63s", hex);
    assert_int_equal(fqc_parse_key(buf, k), -1);
    snprintf(buf, sizeof buf, "0x%.62s", hex);
    assert_int_equal(fqc_parse_key(buf, k), -1);
    snprintf(buf, sizeof buf, "%s", hex);
    buf[5] = 'z';
    assert_int_equal(fqc_parse_key(buf, k), -1);
    buf[5] = ':';
    assert_int_equal(fqc_parse_key(buf, k), -1);
    buf[5] = ' ';
    assert_int_equal(fqc_parse_key(buf, k), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_ids),
        cmocka_unit_test(test_message_id_for),
        cmocka_unit_test(test_parse_key),
    };
    return cmocka_run_group_tests_name("client_ids", tests, setup, NULL);
}
