/* --metrics-allow's address list (server/net/allowlist.h). */
#include "allowlist.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static int allows(const fq_allowlist *l, const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else {
        assert_int_equal(inet_pton(AF_INET6, addr, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return fq_allowlist_allows(l, (struct sockaddr *)&ss);
}

static void test_matches(void **state)
{
    (void)state;
    char err[200];
    fq_allowlist *l = fq_allowlist_parse("127.0.0.1, 10.0.9.0/24,fd00::/8 ,::1", err, sizeof err);
    assert_non_null(l);
    assert_true(allows(l, "127.0.0.1"));
    assert_false(allows(l, "127.0.0.2"));
    assert_true(allows(l, "10.0.9.0"));
    assert_true(allows(l, "10.0.9.255"));
    assert_false(allows(l, "10.0.10.1"));
    assert_true(allows(l, "fd12:3456::1"));
    assert_false(allows(l, "fe80::1"));
    assert_true(allows(l, "::1"));
    /* IPv4 on an IPv6 socket is IPv4. */
    assert_true(allows(l, "::ffff:10.0.9.7"));
    assert_false(allows(l, "::ffff:192.168.1.1"));
    fq_allowlist_free(l);
    l = fq_allowlist_parse("0.0.0.0/0", err, sizeof err);
    assert_non_null(l);
    assert_true(allows(l, "203.0.113.9"));
    assert_false(allows(l, "2001:db8::1"));
    fq_allowlist_free(l);
    /* Prefixes that end inside a byte. */
    l = fq_allowlist_parse("10.0.0.0/15,192.168.0.0/17", err, sizeof err);
    assert_non_null(l);
    assert_true(allows(l, "10.1.255.255"));
    assert_false(allows(l, "10.2.0.0"));
    assert_true(allows(l, "192.168.127.1"));
    assert_false(allows(l, "192.168.128.1"));
    fq_allowlist_free(l);
}

static void test_refusals(void **state)
{
    (void)state;
    char err[200];
    assert_null(fq_allowlist_parse("", err, sizeof err));
    assert_string_equal(err, "the list is empty");
    assert_null(fq_allowlist_parse("localhost", err, sizeof err));
    assert_string_equal(err, "'localhost' is not an IPv4 or IPv6 address");
    assert_null(fq_allowlist_parse("10.0.0.0/33", err, sizeof err));
    assert_string_equal(err, "'10.0.0.0/33': the prefix length must be 0 to 32");
    assert_null(fq_allowlist_parse("10.0.0.0/", err, sizeof err));
    assert_null(fq_allowlist_parse("10.0.0.0/-1", err, sizeof err));
    assert_null(fq_allowlist_parse("10.0.0.1/24", err, sizeof err));
    assert_string_equal(err, "'10.0.0.1/24' has host bits set (did you mean a whole network?)");
    assert_null(fq_allowlist_parse("fd00::1/8", err, sizeof err));
    assert_null(fq_allowlist_parse("10.1.0.0/15", err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
