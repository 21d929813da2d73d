/* fuzz_reply: the client's reply decoder on arbitrary frames.
 * Oracles: oversize is ETOOBIG; a refused reply hands out nothing; an
 * accepted unauthenticated reply is never OK; an authenticated one verifies
 * under the key; a set result has its message. */
#include "fuzz_check.h"
#include "fuzz_fixture.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *arena_buffer;
    static uint8_t key[FQ_KEY_BYTES];
    if (arena_buffer == NULL) {
        arena_buffer = malloc(FQ_DECODE_ARENA_BYTES);
        FQ_FUZZ_CHECK(arena_buffer != NULL);
        fx_key(0, key);
    }
    fq_arena arena;
    fq_arena_init(&arena, arena_buffer, FQ_DECODE_ARENA_BYTES);
    Fengqiao__V1__Reply *reply = (Fengqiao__V1__Reply *)&arena; /* must be overwritten */
    int authenticated = -1;
    int rv = fq_wire_open_reply(key, data, size, &arena, &reply, &authenticated);
    if (size > FQ_MAX_FRAME_BYTES)
        FQ_FUZZ_CHECK(rv == FQ_WIRE_ETOOBIG);
    if (rv != FQ_WIRE_OK) {
        FQ_FUZZ_CHECK(rv == FQ_WIRE_EFRAME || rv == FQ_WIRE_EENVELOPE || rv == FQ_WIRE_EMAC ||
                      rv == FQ_WIRE_ETOOBIG);
        FQ_FUZZ_CHECK(reply == NULL && authenticated == 0);
        return 0;
    }
    FQ_FUZZ_CHECK(reply != NULL);
    FQ_FUZZ_CHECK(authenticated == 0 || authenticated == 1);
    if (!authenticated)
        FQ_FUZZ_CHECK(reply->status != FENGQIAO__V1__STATUS__STATUS_OK);
    if (authenticated) {
        /* Re-decode the outer frame independently and check the MAC. */
        fq_arena again;
        uint8_t *buf = malloc(FQ_DECODE_ARENA_BYTES);
        FQ_FUZZ_CHECK(buf != NULL);
        fq_arena_init(&again, buf, FQ_DECODE_ARENA_BYTES);
        Fengqiao__V1__SignedReply *s =
            fengqiao__v1__signed_reply__unpack(&again.allocator, size, data);
        FQ_FUZZ_CHECK(s != NULL);
        FQ_FUZZ_CHECK(fq_wire_verify(key, s->reply.data, s->reply.len, s->mac.data, s->mac.len) ==
                      FQ_WIRE_OK);
        free(buf);
    }
    FQ_FUZZ_CHECK(fq_status_name(reply->status) != NULL);
    FQ_FUZZ_CHECK(reply->message != NULL);
    (void)strlen(reply->message);
    if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_INCIDENT)
        FQ_FUZZ_CHECK(reply->incident != NULL);
    return 0;
}
