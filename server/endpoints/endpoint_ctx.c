#include "endpoint_ctx.h"

#include "reply.h"

#include <stdlib.h>
#include <string.h>

int fq_endpoint_init(fq_endpoint_ctx *ctx, uv_loop_t *loop, const char *name, fq_store *store,
                     fq_dispatch *dispatch, uint32_t audit_per_second, uint32_t busy_retry_ms)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->arena_buffer = malloc(FQ_DECODE_ARENA_BYTES);
    if (ctx->arena_buffer == NULL)
        return -1;
    fq_arena_init(&ctx->arena, ctx->arena_buffer, FQ_DECODE_ARENA_BYTES);
    ctx->loop = loop;
    ctx->store = store;
    ctx->dispatch = dispatch;
    ctx->busy_retry_ms = busy_retry_ms;
    fq_audit_init(&ctx->audit, loop, store, name, audit_per_second);
    return 0;
}

void fq_endpoint_free(fq_endpoint_ctx *ctx)
{
    free(ctx->arena_buffer);
    ctx->arena_buffer = NULL;
}

void fq_endpoint_send(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                      Fengqiao__V1__Reply *reply)
{
    if (reply->status >= 0 && reply->status < FQ_REPLY_STATUSES)
        ctx->by_status[reply->status]++;
    if (reply->status != FENGQIAO__V1__STATUS__STATUS_OK)
        ctx->refused++;
    fq_reply_send(token, key, reply);
}

void fq_endpoint_reply(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                       uint64_t message_id, int err, const char *message)
{
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, message_id, err, message, ctx->busy_retry_ms);
    fq_endpoint_send(ctx, token, key, &reply);
}

void fq_endpoint_refuse(fq_endpoint_ctx *ctx, fq_reply_token *token, const uint8_t *key,
                        const uint8_t *frame, size_t len, const char *node, uint64_t message_id,
                        int err, const char *reason)
{
    fq_endpoint_reply(ctx, token, key, message_id, err, reason);
    if (fq_err_status(err) != FENGQIAO__V1__STATUS__STATUS_BUSY)
        fq_audit_refusal(&ctx->audit, frame, len, node, message_id, err, reason);
}

void fq_endpoint_handle(fq_endpoint_ctx *ctx, const uint8_t *frame, size_t len,
                        fq_reply_token *token, fq_endpoint_handle_fn handle, void *endpoint)
{
    if (fq_reply_token_socket(token) == NULL && len > FQ_MAX_FRAME_BYTES) {
        unsigned char *buffer = malloc(FQ_DECODE_UPLOAD_ARENA_BYTES);
        if (buffer == NULL) {
            fq_endpoint_reply(ctx, token, NULL, 0, FQ_ENOMEM, "out of memory; retry later");
            return;
        }
        fq_arena upload;
        fq_arena_init(&upload, buffer, FQ_DECODE_UPLOAD_ARENA_BYTES);
        handle(endpoint, frame, len, token, &upload, FQ_MAX_UPLOAD_FRAME_BYTES);
        free(buffer);
        return;
    }
    handle(endpoint, frame, len, token, &ctx->arena, FQ_MAX_FRAME_BYTES);
    fq_arena_reset(&ctx->arena);
}

fq_store *fq_endpoint_read_store(const fq_endpoint_ctx *ctx)
{
    return ctx->read_store != NULL ? ctx->read_store : ctx->store;
}

const char *fq_endpoint_routing_status(const fq_endpoint_ctx *ctx)
{
    return ctx->routing_status != NULL ? ctx->routing_status : "";
}
