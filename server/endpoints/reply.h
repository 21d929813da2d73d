/* reply: how every endpoint answers — the reply stamped with the server's
 * clock, sealed with the requester's key (unsigned when the requester is not
 * known), and sent back on the socket the request came in on. */
#ifndef FQ_REPLY_H
#define FQ_REPLY_H

#include "fengqiao.pb-c.h"
#include "msgsock.h"

#include <stdint.h>

/* Consumes the token; a reply that cannot be sealed is dropped (the peer's
 * REQ sends again). */
void fq_reply_send(fq_reply_token *token, const uint8_t *key, Fengqiao__V1__Reply *reply);

/* A reply that is only a status and a message for people; `retry_ms` goes
 * with BUSY and INTERNAL. */
void fq_reply_status_init(Fengqiao__V1__Reply *reply, uint64_t message_id,
                          Fengqiao__V1__Status status, const char *message, uint32_t retry_ms);

#endif
