/* masking: what lists show of a person, and the normalised forms the
 * lookup hashes are taken of (docs/front-desk.md, "Personal data"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "masking.h"

#include <string.h>

static void test_names_keep_first_and_last(void **state)
{
    (void)state;
    char out[FQ_MASK_NAME_MAX];
    fq_mask_name("王小明", out, sizeof out);
    assert_string_equal(out, "王*明");
    fq_mask_name("欧阳小明", out, sizeof out);
    assert_string_equal(out, "欧**明");
    fq_mask_name("李四", out, sizeof out);
    assert_string_equal(out, "李*");
    fq_mask_name("王", out, sizeof out);
    assert_string_equal(out, "*");
    fq_mask_name("Smith", out, sizeof out);
    assert_string_equal(out, "S***h");
    fq_mask_name("", out, sizeof out);
    assert_string_equal(out, "");
    /* A buffer too small takes what fits, never more. */
    char tiny[4];
    fq_mask_name("王小明", tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
}

static void test_phones(void **state)
{
    (void)state;
    char d[FQ_MASK_PHONE_MAX], m[FQ_MASK_PHONE_MAX];
    assert_int_equal(fq_phone_normalize("138 1234-5678", d, sizeof d), 0);
    assert_string_equal(d, "13812345678");
    fq_mask_phone(d, m, sizeof m);
    assert_string_equal(m, "138****5678");
    /* The country code does not make another phone. */
    assert_int_equal(fq_phone_normalize("+86 138 1234 5678", d, sizeof d), 0);
    assert_string_equal(d, "13812345678");
    assert_int_equal(fq_phone_normalize("0086-13812345678", d, sizeof d), 0);
    assert_string_equal(d, "13812345678");
    assert_int_equal(fq_phone_normalize("(0571) 8702-1234", d, sizeof d), 0);
    assert_string_equal(d, "057187021234");
    fq_mask_phone("12345", m, sizeof m);
    assert_string_equal(m, "****45");
    assert_int_equal(fq_phone_normalize("138x1234", d, sizeof d), -1);
    assert_int_equal(fq_phone_normalize("1234", d, sizeof d), -1);
    assert_int_equal(fq_phone_normalize("123456789012345678901", d, sizeof d), -1);
}

static void test_id_numbers(void **state)
{
    (void)state;
    char v[FQ_MASK_ID_MAX], m[FQ_MASK_ID_MAX], err[160];
    assert_int_equal(fq_id_number_normalize("33010619900101123x", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "33010619900101123X");
    fq_mask_id_number(v, m, sizeof m);
    assert_string_equal(m, "3301**********123X");
    assert_int_equal(fq_id_number_normalize("330102 19850312 4568", v, sizeof v, err, sizeof err),
                     0);
    fq_mask_id_number(v, m, sizeof m);
    assert_string_equal(m, "3301**********4568");
    /* One digit mistyped: the check character says so. */
    assert_int_equal(fq_id_number_normalize("330102198503124569", v, sizeof v, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "check character"));
    assert_int_equal(fq_id_number_normalize("3301021985031245", v, sizeof v, err, sizeof err), -1);
    assert_non_null(strstr(err, "18 characters"));
    assert_int_equal(fq_id_number_normalize("33010A198503124568", v, sizeof v, err, sizeof err),
                     -1);
    assert_int_equal(fq_id_number_normalize("3301021985031245681", v, sizeof v, err, sizeof err),
                     -1);
}

static void test_names_normalised_for_lookup(void **state)
{
    (void)state;
    char out[FQ_MASK_NAME_MAX];
    fq_name_normalize(" 王 小明\xe3\x80\x80", out, sizeof out);
    assert_string_equal(out, "王小明");
    fq_name_normalize("John Smith", out, sizeof out);
    assert_string_equal(out, "johnsmith");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_keep_first_and_last),
        cmocka_unit_test(test_phones),
        cmocka_unit_test(test_id_numbers),
        cmocka_unit_test(test_names_normalised_for_lookup),
    };
    return cmocka_run_group_tests_name("masking", tests, NULL, NULL);
}
