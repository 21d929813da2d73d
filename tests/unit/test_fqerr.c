/* Tests of the one error convention: every code has its sentence, its reply
 * status and its HTTP answer, and a reply's status comes back as the error
 * it stands for. */
#include "fqerr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x

static void test_every_code_described(void **state)
{
    (void)state;
    for (int e = 0; e > -FQ_ERRS; e--) {
        assert_string_not_equal(fq_strerror(e), "unknown error");
        const char *code = NULL;
        int http = fq_err_http(e, &code);
        assert_non_null(code);
        assert_true(http >= 200 && http < 600);
        assert_true(e == FQ_OK ? http == 200 && code[0] == '\0' : http >= 400 && code[0] != '\0');
        assert_true(e == FQ_OK ? fq_err_status(e) == ST(OK) : fq_err_status(e) != ST(OK));
    }
    assert_string_equal(fq_strerror(-FQ_ERRS), "unknown error");
    assert_string_equal(fq_strerror(1), "unknown error");
}

static void test_reply_statuses(void **state)
{
    (void)state;
    assert_int_equal(fq_err_status(FQ_EINVALID), ST(INVALID));
    assert_int_equal(fq_err_status(FQ_EFORBIDDEN), ST(FORBIDDEN));
    assert_int_equal(fq_err_status(FQ_EOUTSIDE), ST(FORBIDDEN));
    assert_int_equal(fq_err_status(FQ_ESTATE), ST(WRONG_STATE));
    assert_int_equal(fq_err_status(FQ_ENOTFOUND), ST(WRONG_STATE));
    assert_int_equal(fq_err_status(FQ_EBUSY), ST(BUSY));
    assert_int_equal(fq_err_status(FQ_EUNAVAILABLE), ST(BUSY));
    assert_int_equal(fq_err_status(FQ_ETOOLARGE), ST(INVALID));
    assert_int_equal(fq_err_status(FQ_EINTERNAL), ST(INTERNAL));
    assert_int_equal(fq_err_status(-1000), ST(INTERNAL));
}

static void test_http(void **state)
{
    (void)state;
    const char *code;
    assert_int_equal(fq_err_http(FQ_EINVALID, &code), 400);
    assert_string_equal(code, "invalid");
    assert_int_equal(fq_err_http(FQ_ENOTFOUND, &code), 404);
    assert_string_equal(code, "not_found");
    assert_int_equal(fq_err_http(FQ_ETOOLARGE, &code), 413);
    assert_string_equal(code, "too_large");
    assert_int_equal(fq_err_http(FQ_ENOTIMAGE, &code), 415);
    assert_string_equal(code, "not_an_image");
    assert_int_equal(fq_err_http(FQ_ENOMEM, &code), 503);
    assert_string_equal(code, "busy");
    assert_int_equal(fq_err_http(FQ_ESTATE, &code), 409);
    assert_string_equal(code, "wrong_state");
    assert_int_equal(fq_err_http(-1000, &code), 503);
    assert_string_equal(fq_err_code(FQ_EMISMATCH), "photo_mismatch");
    assert_string_equal(fq_err_code(FQ_EWRONGTYPE), "photo_mismatch");
}

/* Reply.error_code: only the codes docs/protocol.md lists, each with an
 * INVALID status; every other error says all in its status. */
static void test_reply_codes(void **state)
{
    (void)state;
    const char *documented[] = {"not_an_image", "too_large", "photo_mismatch", "photo_required"};
    for (int e = 0; e > -FQ_ERRS; e--) {
        const char *code = fq_err_reply_code(e);
        if (code[0] == '\0')
            continue;
        assert_int_equal(fq_err_status(e), ST(INVALID));
        assert_string_equal(code, fq_err_code(e));
        int listed = 0;
        for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
            listed |= strcmp(code, documented[i]) == 0;
        assert_true(listed);
    }
    assert_string_equal(fq_err_reply_code(FQ_ENOPHOTO), "photo_required");
    assert_string_equal(fq_err_reply_code(FQ_EWRONGTYPE), "photo_mismatch");
    assert_string_equal(fq_err_reply_code(FQ_EINVALID), "");
    assert_string_equal(fq_err_reply_code(FQ_ENOTFOUND), "");
    assert_string_equal(fq_err_reply_code(-1000), "");
}

/* A node's reply, answered on the web, says what the node's error would. */
static void test_status_round_trip(void **state)
{
    (void)state;
    Fengqiao__V1__Status all[] = {ST(OK),       ST(INVALID),     ST(UNAUTHENTICATED), ST(FORBIDDEN),
                                  ST(BUSY),     ST(UNSUPPORTED), ST(INTERNAL),        ST(STALE),
                                  ST(CONFLICT), ST(WRONG_STATE)};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(fq_err_status(fq_err_of_status(all[i])), all[i]);
    assert_int_equal(fq_err_of_status(ST(UNSPECIFIED)), FQ_EINTERNAL);
}

/* A node's Reply.error_code, answered on the web, is the error it names. */
/* A store's outcome: a refusal as the caller says, the rest "retry". */
static void test_store_outcomes(void **state)
{
    (void)state;
    assert_int_equal(fq_err_of_store(FQ_OK, FQ_EINVALID), FQ_OK);
    assert_int_equal(fq_err_of_store(FQ_EREJECTED, FQ_EINVALID), FQ_EINVALID);
    assert_int_equal(fq_err_of_store(FQ_EREJECTED, FQ_EINTERNAL), FQ_EINTERNAL);
    assert_int_equal(fq_err_of_store(FQ_EBUSY, FQ_EINTERNAL), FQ_EBUSY);
    assert_int_equal(fq_err_of_store(FQ_EINTERNAL, FQ_EINVALID), FQ_EBUSY);
    /* The peers' answers: a console's read refused for its values is
     * INVALID, a terminal's write refused INTERNAL, the rest BUSY. */
    assert_int_equal(fq_err_status(fq_err_of_store(FQ_EREJECTED, FQ_EINVALID)),
                     FENGQIAO__V1__STATUS__STATUS_INVALID);
    assert_int_equal(fq_err_status(fq_err_of_store(FQ_EREJECTED, FQ_EINTERNAL)),
                     FENGQIAO__V1__STATUS__STATUS_INTERNAL);
    assert_int_equal(fq_err_status(fq_err_of_store(FQ_EINTERNAL, FQ_EINTERNAL)),
                     FENGQIAO__V1__STATUS__STATUS_BUSY);
}

static void test_codes(void **state)
{
    (void)state;
    assert_int_equal(fq_err_of_code("not_an_image"), FQ_ENOTIMAGE);
    assert_int_equal(fq_err_of_code("too_large"), FQ_ETOOLARGE);
    assert_int_equal(fq_err_of_code("photo_required"), FQ_ENOPHOTO);
    assert_string_equal(fq_err_code(fq_err_of_code("photo_mismatch")), "photo_mismatch");
    assert_int_equal(fq_err_of_code(""), FQ_OK);
    assert_int_equal(fq_err_of_code(NULL), FQ_OK);
    assert_int_equal(fq_err_of_code("no_such_code"), FQ_OK);
    const char *code;
    assert_int_equal(fq_err_http(FQ_ENOPHOTO, &code), 400);
    assert_string_equal(code, "photo_required");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_described),
        cmocka_unit_test(test_reply_statuses),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_status_round_trip),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_reply_codes),
        cmocka_unit_test(test_store_outcomes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
