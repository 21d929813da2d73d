/* requestid: the message id of a request a page makes idempotent by its own
 * `request_id` (a console command, a worker's action or field report;
 * docs/http-api.md "Idempotency"). The id is derived from the acting node
 * and the request id, so the same request sent again — a retry after a lost
 * answer, a phone's queued action after the link came back — is the same
 * message to the endpoint that judges it (answered as it was, done once),
 * and another request id is another message. Pure. */
#ifndef FQ_REQUESTID_H
#define FQ_REQUESTID_H

#include <stdint.h>

/* BLAKE2b of (node, NUL, request_id), 63 bits; never 0. */
uint64_t fq_request_message_id(const char *node, const char *request_id);

#endif
