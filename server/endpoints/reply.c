#include "reply.h"

#include "fq_wire.h"

#include <stdlib.h>

void fq_reply_send(fq_reply_token *token, const uint8_t *key, Fengqiao__V1__Reply *reply)
{
    fq_msgsock *sock = fq_reply_token_socket(token);
    uint8_t *frame;
    size_t frame_len;
    reply->server_time_ms = fq_now_ms();
    if (fq_wire_seal_reply(key, reply, &frame, &frame_len) != FQ_WIRE_OK) {
        fq_msgsock_drop(sock, token);
        return;
    }
    fq_msgsock_reply(sock, token, frame, frame_len);
    free(frame);
}

void fq_reply_status_init(Fengqiao__V1__Reply *reply, uint64_t message_id,
                          Fengqiao__V1__Status status, const char *message, uint32_t retry_ms)
{
    fengqiao__v1__reply__init(reply);
    reply->status = status;
    reply->message = (char *)message;
    reply->message_id = message_id;
    if (status == FENGQIAO__V1__STATUS__STATUS_BUSY ||
        status == FENGQIAO__V1__STATUS__STATUS_INTERNAL)
        reply->retry_after_ms = retry_ms;
}
