/* nodecall: a web request through the terminal endpoint (nodecall.h). */
#include "nodecall.h"

#include "fq_wire.h"
#include "msgsock.h"

#include <sodium.h>
#include <stdlib.h>

static void on_reply(void *user, const uint8_t *bytes, size_t len)
{
    fq_nodecall *c = user;
    if (bytes == NULL) {
        fq_web_respond_err(c->r, FQ_EBUSY, "the server could not answer now; retry");
        c->release(c);
        return;
    }
    Fengqiao__V1__Reply *reply = NULL;
    int authenticated = 0;
    fq_arena_reset(c->arena);
    if (fq_wire_open_reply(c->key, bytes, len, c->arena, &reply, &authenticated) != FQ_WIRE_OK) {
        fq_web_respond_err(c->r, FQ_EBUSY, "the server's answer did not open (a bug)");
        c->release(c);
        return;
    }
    c->answer(c, reply);
}

void fq_nodecall_send(fq_nodecall *c, Fengqiao__V1__Envelope *env,
                      const ProtobufCBinaryData *photos, size_t n_photos)
{
    env->schema_version = 1;
    env->sender = c->node;
    env->sent_at_ms = fq_now_ms();
    uint8_t *frame = NULL;
    size_t frame_len = 0;
    fq_reply_token *token = NULL;
    int sealed = n_photos > 0 ? fq_wire_seal_request_attached(c->key, env, photos, n_photos, &frame,
                                                              &frame_len)
                              : fq_wire_seal_request(c->key, env, &frame, &frame_len);
    if (sealed != FQ_WIRE_OK || (token = fq_reply_token_local(on_reply, c)) == NULL) {
        free(frame);
        fq_web_respond_err(c->r, FQ_EBUSY, "out of memory");
        c->release(c);
        return;
    }
    fq_terminals_on_request(c->terminals, frame, frame_len, token);
    free(frame);
}

void fq_nodecall_forget(fq_nodecall *c)
{
    sodium_memzero(c->key, sizeof c->key);
}
