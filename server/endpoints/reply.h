/* reply: how every endpoint answers — the reply stamped with the server's
 * clock, sealed with the requester's key (unsigned when the requester is not
 * known), and sent back on the socket the request came in on.
 *
 * Every reply must fit one frame (FQ_MAX_FRAME_BYTES): a peer drops a larger
 * one and its REQ socket sends the request again, forever. Endpoints that
 * answer with lists fill them against a byte budget (fq_reply_budget) and
 * page the rest (docs/protocol.md, "Replies and the frame limit"). */
#ifndef FQ_REPLY_H
#define FQ_REPLY_H

#include "fengqiao.pb-c.h"
#include "fqerr.h"
#include "fq_wire.h"
#include "msgsock.h"

#include <stddef.h>
#include <stdint.h>

/* What a reply's variable part (its lists, a description, a CSV) may take:
 * the frame less what wraps it. The wrapping is at most ~110 bytes
 * (SignedReply: reply bytes and a 32-byte MAC; Reply: status, message id,
 * retry, server time, the result's tag and length; a paging cursor of at
 * most FQ_REPLY_CURSOR_MAX); 1 KiB keeps a wide margin. */
#define FQ_REPLY_BUDGET_BYTES (FQ_MAX_FRAME_BYTES - 1024)
#define FQ_REPLY_CURSOR_MAX 128

/* Bytes a field of `len` packed bytes takes inside its parent message: tag
 * (2 bytes covers field numbers up to 2047), length varint, body. */
size_t fq_reply_field_bytes(size_t len);

/* A running byte count against FQ_REPLY_BUDGET_BYTES. */
typedef struct fq_reply_budget {
    size_t used;
} fq_reply_budget;

/* Counts a field of `len` packed bytes if it fits: 1, or 0 (nothing counted)
 * when it would pass the budget. */
int fq_reply_budget_take(fq_reply_budget *budget, size_t len);

/* Consumes the token. A reply that cannot be sealed is dropped (the peer's
 * REQ sends again); one that would pass the frame limit is replaced by an
 * INTERNAL status naming the cause, so the peer gets an answer rather than a
 * frame it must throw away. */
void fq_reply_send(fq_reply_token *token, const uint8_t *key, Fengqiao__V1__Reply *reply);

/* A reply for `err` (fqerr.h: FQ_OK, or why not) and a message for people:
 * its status and error code are fq_err_status's and fq_err_reply_code's,
 * the one mapping every endpoint answers with; `retry_ms` goes with BUSY and
 * INTERNAL. A result (FQ_OK, or a refusal that says a state) is set after. */
void fq_reply_status_init(Fengqiao__V1__Reply *reply, uint64_t message_id, int err,
                          const char *message, uint32_t retry_ms);

#endif
