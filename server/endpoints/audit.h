/* audit: refused requests recorded in rejected_requests (who claimed to
 * send it, its message id, the status, the reason, the frame's size and
 * BLAKE2b digest — not its bytes), rate-limited by a token bucket so that a
 * flood of garbage cannot turn into a flood of rows. Shared by the
 * endpoints. */
#ifndef FQ_AUDIT_H
#define FQ_AUDIT_H

#include "fengqiao.pb-c.h"
#include "fqerr.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct fq_audit {
    uv_loop_t *loop;
    fq_store *store;
    const char *endpoint;
    double per_second, tokens;
    uint64_t refill_at;
    uint64_t written, dropped; /* dropped: over the rate, or the store was busy */
} fq_audit;

void fq_audit_init(fq_audit *a, uv_loop_t *loop, fq_store *store, const char *endpoint,
                   uint32_t per_second);

/* A request refused with `err` (fqerr.h; the row keeps its reply status).
 * `node`: the sender the request claims (kept only if it is a valid id). */
void fq_audit_refusal(fq_audit *a, const uint8_t *frame, size_t len, const char *node,
                      uint64_t message_id, int err, const char *reason);

#endif
