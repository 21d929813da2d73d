#include "reply.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>

size_t fq_reply_field_bytes(size_t len)
{
    size_t varint = 1;
    for (size_t v = len; v >= 0x80; v >>= 7)
        varint++;
    return 2 + varint + len;
}

int fq_reply_budget_take(fq_reply_budget *budget, size_t len)
{
    size_t cost = fq_reply_field_bytes(len);
    if (budget->used + cost > FQ_REPLY_BUDGET_BYTES)
        return 0;
    budget->used += cost;
    return 1;
}

void fq_reply_send(fq_reply_token *token, const uint8_t *key, Fengqiao__V1__Reply *reply)
{
    fq_msgsock *sock = fq_reply_token_socket(token);
    uint8_t *frame;
    size_t frame_len;
    reply->server_time_ms = fq_now_ms();
    uint64_t *counted = fq_reply_token_counter(token);
    if (counted != NULL && reply->status >= 0 && reply->status < FQ_REPLY_STATUSES)
        counted[reply->status]++;
    if (fq_wire_seal_reply(key, reply, &frame, &frame_len) != FQ_WIRE_OK) {
        fq_msgsock_drop(sock, token);
        return;
    }
    if (frame_len > FQ_MAX_FRAME_BYTES) {
        /* A list filled without its budget: a bug here, not the peer's
         * fault; a status tells it instead of a frame it would drop. */
        fq_log(FQ_LOG_ERROR, "reply",
               "a reply of %zu bytes passes the frame limit; answered INTERNAL", frame_len);
        free(frame);
        Fengqiao__V1__Reply small;
        fq_reply_status_init(&small, reply->message_id, FQ_EINTERNAL,
                             "the reply would pass the frame limit (a server bug); "
                             "narrow the request",
                             1000);
        small.server_time_ms = reply->server_time_ms;
        if (fq_wire_seal_reply(key, &small, &frame, &frame_len) != FQ_WIRE_OK) {
            fq_msgsock_drop(sock, token);
            return;
        }
    }
    fq_msgsock_reply(sock, token, frame, frame_len);
    free(frame);
}

void fq_reply_status_init(Fengqiao__V1__Reply *reply, uint64_t message_id, int err,
                          const char *message, uint32_t retry_ms)
{
    fengqiao__v1__reply__init(reply);
    Fengqiao__V1__Status status = fq_err_status(err);
    reply->status = status;
    reply->error_code = (char *)fq_err_reply_code(err);
    reply->message = (char *)message;
    reply->message_id = message_id;
    if (status == FENGQIAO__V1__STATUS__STATUS_BUSY ||
        status == FENGQIAO__V1__STATUS__STATUS_INTERNAL)
        reply->retry_after_ms = retry_ms;
}
