/* endpoint_ctx: the one way every endpoint answers a status and refuses a
 * request — the reply's status, message, code and retry hint, the counts,
 * and the audit of refusals (BUSY is none). */
#include "endpoint_ctx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

typedef struct answered {
    int calls;
    Fengqiao__V1__Status status;
    char message[128], error_code[32];
    uint32_t retry_after_ms;
    uint64_t message_id;
} answered;

static void on_answer(void *user, const uint8_t *body, size_t len)
{
    answered *a = user;
    a->calls++;
    assert_non_null(body);
    static unsigned char buffer[65536];
    fq_arena arena;
    fq_arena_init(&arena, buffer, sizeof buffer);
    Fengqiao__V1__Reply *reply = NULL;
    int authenticated = -1;
    uint8_t key[FQ_KEY_BYTES] = {0};
    assert_int_equal(fq_wire_open_reply(key, body, len, &arena, &reply, &authenticated),
                     FQ_WIRE_OK);
    assert_int_equal(authenticated, 0); /* sealed without a key */
    a->status = reply->status;
    a->message_id = reply->message_id;
    a->retry_after_ms = reply->retry_after_ms;
    snprintf(a->message, sizeof a->message, "%s", reply->message);
    snprintf(a->error_code, sizeof a->error_code, "%s", reply->error_code);
}

typedef struct fixture {
    uv_loop_t loop;
    fq_endpoint_ctx ctx;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(uv_loop_init(&f.loop), 0);
    /* No audit row may be written (a rate of 0): a refusal the audit sees
     * is counted as dropped, without a store. */
    assert_int_equal(fq_endpoint_init(&f.ctx, &f.loop, "test", NULL, NULL, 0, 1500), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fq_endpoint_free(&f->ctx);
    uv_loop_close(&f->loop);
    return 0;
}

#define ST(name) FENGQIAO__V1__STATUS__STATUS_##name

static void test_refusal_is_answered_counted_and_audited(void **state)
{
    fixture *f = *state;
    answered a = {0};
    fq_endpoint_refuse(&f->ctx, fq_reply_token_local(on_answer, &a), NULL, (const uint8_t *)"frame",
                       5, "n1", 42, FQ_ETOOLARGE, "bad field");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, ST(INVALID)); /* fq_err_status */
    assert_int_equal(a.message_id, 42);
    assert_string_equal(a.message, "bad field");
    assert_string_equal(a.error_code, "too_large"); /* fq_err_reply_code */
    assert_int_equal(a.retry_after_ms, 0);          /* the hint goes only with BUSY and INTERNAL */
    assert_int_equal(f->ctx.refused, 1);
    assert_int_equal(f->ctx.by_status[ST(INVALID)], 1);
    assert_int_equal(f->ctx.audit.dropped, 1); /* seen by the audit (over its rate of 0) */
}

static void test_refusal_without_a_code_of_its_own(void **state)
{
    fixture *f = *state;
    answered a = {0};
    /* Outside the jurisdiction: FORBIDDEN says it all, no error code. */
    fq_endpoint_refuse(&f->ctx, fq_reply_token_local(on_answer, &a), NULL, NULL, 0, "n1", 43,
                       FQ_EOUTSIDE, "outside");
    assert_int_equal(a.status, ST(FORBIDDEN));
    assert_string_equal(a.error_code, "");
    assert_int_equal(f->ctx.audit.dropped, 1);
}

static void test_busy_is_no_refusal_for_the_audit(void **state)
{
    fixture *f = *state;
    answered a = {0};
    /* Out of memory is answered BUSY: retry, no refusal of the request. */
    fq_endpoint_refuse(&f->ctx, fq_reply_token_local(on_answer, &a), NULL, NULL, 0, "n1", 7,
                       FQ_ENOMEM, "retry later");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, ST(BUSY));
    assert_int_equal(a.retry_after_ms, 1500);
    assert_string_equal(a.error_code, "");
    assert_int_equal(f->ctx.by_status[ST(BUSY)], 1);
    assert_int_equal(f->ctx.audit.dropped, 0);
    assert_int_equal(f->ctx.audit.written, 0);
}

static void count_call(void *user, const uint8_t *body, size_t len)
{
    (void)body;
    (void)len;
    (*(int *)user)++;
}

static void test_ok_reply_is_counted_but_not_refused(void **state)
{
    fixture *f = *state;
    int calls = 0;
    /* An unsigned OK reply does not open (only errors go unsigned): counted, not opened. */
    fq_endpoint_reply(&f->ctx, fq_reply_token_local(count_call, &calls), NULL, 9, FQ_OK, "");
    assert_int_equal(calls, 1);
    assert_int_equal(f->ctx.by_status[ST(OK)], 1);
    assert_int_equal(f->ctx.refused, 0);
}

static void test_read_store_and_status_defaults(void **state)
{
    fixture *f = *state;
    fq_store *writes = (fq_store *)&f->loop; /* any address: never dereferenced */
    fq_store *reads = (fq_store *)&f->ctx;
    f->ctx.store = writes;
    assert_ptr_equal(fq_endpoint_read_store(&f->ctx), writes);
    f->ctx.read_store = reads;
    assert_ptr_equal(fq_endpoint_read_store(&f->ctx), reads);
    assert_string_equal(fq_endpoint_routing_status(&f->ctx), "");
    f->ctx.routing_status = "stale";
    assert_string_equal(fq_endpoint_routing_status(&f->ctx), "stale");
}

typedef struct handled {
    fq_arena *arena;
    size_t max_frame;
    int calls;
} handled;

static void record_handle(void *endpoint, const uint8_t *frame, size_t len, fq_reply_token *token,
                          fq_arena *arena, size_t max_frame)
{
    (void)frame;
    (void)len;
    handled *h = endpoint;
    h->calls++;
    h->arena = arena;
    h->max_frame = max_frame;
    fq_msgsock_drop(NULL, token);
}

static void ignore(void *user, const uint8_t *body, size_t len)
{
    (void)user;
    (void)body;
    (void)len;
}

static void test_large_local_frame_gets_its_own_arena(void **state)
{
    fixture *f = *state;
    static uint8_t frame[FQ_MAX_FRAME_BYTES + 1];
    handled h = {0};
    fq_endpoint_handle(&f->ctx, frame, 10, fq_reply_token_local(ignore, NULL), record_handle, &h);
    assert_ptr_equal(h.arena, &f->ctx.arena);
    assert_int_equal(h.max_frame, FQ_MAX_FRAME_BYTES);
    fq_endpoint_handle(&f->ctx, frame, sizeof frame, fq_reply_token_local(ignore, NULL),
                       record_handle, &h);
    assert_ptr_not_equal(h.arena, &f->ctx.arena);
    assert_int_equal(h.max_frame, FQ_MAX_UPLOAD_FRAME_BYTES);
    assert_int_equal(h.calls, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusal_is_answered_counted_and_audited, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusal_without_a_code_of_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_is_no_refusal_for_the_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ok_reply_is_counted_but_not_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_store_and_status_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_local_frame_gets_its_own_arena, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
