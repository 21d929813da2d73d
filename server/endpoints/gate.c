#include "gate.h"

#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void fq_gate_check(const uint8_t *frame, size_t len, fq_arena *arena, const fq_directory *dir,
                   int64_t now_ms, int64_t max_skew_ms, fq_gate *g)
{
    fq_gate_check_sized(frame, len, FQ_MAX_FRAME_BYTES, arena, dir, now_ms, max_skew_ms, g);
}

void fq_gate_check_sized(const uint8_t *frame, size_t len, size_t max_frame, fq_arena *arena,
                         const fq_directory *dir, int64_t now_ms, int64_t max_skew_ms, fq_gate *g)
{
    memset(g, 0, sizeof *g);
    g->err = FQ_OK;
    int rv = fq_wire_open_request_sized(frame, len, max_frame, arena, &g->opened);
    if (rv != FQ_WIRE_OK) {
        g->err = FQ_EINVALID;
        snprintf(g->message, sizeof g->message, "malformed request: %s", fq_wire_strerror(rv));
        return;
    }
    g->decoded = 1;
    const Fengqiao__V1__Envelope *env = g->opened.envelope;
    g->message_id = env->message_id;
    g->claimed_sender = env->sender;
    if (dir == NULL) {
        g->err = FQ_EUNAVAILABLE;
        snprintf(g->message, sizeof g->message,
                 "the server is starting or cannot reach its database; retry later");
        return;
    }
    /* Unknown sender, revoked sender and wrong MAC look alike from outside,
     * so node ids cannot be probed. */
    const fq_node *node = fq_valid_id(env->sender) ? fq_directory_find(dir, env->sender) : NULL;
    if (node == NULL || node->revoked ||
        fq_wire_verify(node->key, g->opened.envelope_bytes, g->opened.envelope_len, g->opened.mac,
                       g->opened.mac_len) != FQ_WIRE_OK) {
        g->err = FQ_EUNAUTHENTICATED;
        snprintf(g->message, sizeof g->message,
                 "unknown or revoked sender, or the MAC does not verify");
        return;
    }
    g->node = node;
    if (env->schema_version != FQ_SCHEMA_VERSION) {
        g->err = FQ_EUNSUPPORTED;
        snprintf(g->message, sizeof g->message,
                 "schema version %" PRIu32 " is not supported; this server speaks %d",
                 env->schema_version, FQ_SCHEMA_VERSION);
        return;
    }
    if (env->message_id == 0 || env->message_id > FQ_MAX_MESSAGE_ID) {
        g->err = FQ_EINVALID;
        snprintf(g->message, sizeof g->message, "message_id must be between 1 and 2^63-1");
        return;
    }
    if (fq_check_fresh(env->sent_at_ms, now_ms, max_skew_ms) != 0) {
        g->err = FQ_ESTALE;
        snprintf(g->message, sizeof g->message,
                 "sent_at_ms %" PRId64 " is more than %" PRId64
                 " ms away from the server clock %" PRId64 "; re-sign with a fresh sent_at_ms",
                 env->sent_at_ms, max_skew_ms, now_ms);
        return;
    }
}
