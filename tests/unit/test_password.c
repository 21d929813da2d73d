/* password: Argon2id strings with their own salt; the right password
 * verifies, another does not; the length rules; the dummy hash an unknown
 * account is checked against. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "password.h"

#include <string.h>

static void test_hash_and_verify(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    char h1[FQ_PASSWORD_HASH_BYTES], h2[FQ_PASSWORD_HASH_BYTES];
    const char *pw = "correct horse battery";
    assert_int_equal(fq_password_hash(pw, strlen(pw), h1), 0);
    assert_int_equal(fq_password_hash(pw, strlen(pw), h2), 0);
    assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
    assert_string_not_equal(h1, h2); /* salted */
    assert_true(fq_password_verify(h1, pw, strlen(pw)));
    assert_true(fq_password_verify(h2, pw, strlen(pw)));
    assert_false(fq_password_verify(h1, "correct horse batterY", strlen(pw)));
    assert_false(fq_password_verify(h1, pw, strlen(pw) - 1));
    assert_false(fq_password_verify("not a hash", pw, strlen(pw)));
    assert_false(fq_password_verify("", pw, strlen(pw)));
}

static void test_rules(void **state)
{
    (void)state;
    assert_non_null(fq_password_acceptable("123456789", 9));
    assert_null(fq_password_acceptable("1234567890", 10));
    assert_null(fq_password_acceptable("长城长城长城长", strlen("长城长城长城长")));
    assert_non_null(fq_password_acceptable("12345\0"
                                           "67890",
                                           11));
    static char big[FQ_PASSWORD_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    assert_non_null(fq_password_acceptable(big, FQ_PASSWORD_MAX + 1));
    assert_null(fq_password_acceptable(big, FQ_PASSWORD_MAX));
}

static void test_dummy_hash(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    const char *d = fq_password_dummy_hash();
    assert_non_null(d);
    assert_int_equal(strncmp(d, "$argon2id$", 10), 0);
    assert_ptr_equal(d, fq_password_dummy_hash()); /* made once */
    assert_false(fq_password_verify(d, "correct horse battery", 21));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_dummy_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
