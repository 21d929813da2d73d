/* frontdesk: the front desk's API under /api/v1/frontdesk/ (docs/front-desk.md,
 * docs/http-api.md "The front desk") — a receptionist registers a case for
 * a visitor or a caller (综合受理).
 *
 * A case is a ReportIncident of the receptionist's console node through the
 * intake's very path (fq_intake_submit: validation, placement, routing,
 * dedup, idempotency by request_id, the history), carrying only the
 * person's masked forms; the person is then written to case_parties with
 * name, phone and identity number sealed (crypto_secretbox) under a key
 * derived from the personal-data key and hashed with another (keyed BLAKE2b) for
 * the repeat-petition lookup. The answer comes after both commits and names
 * where the case went. A full look at a person (reveal) is written to
 * person_reveals in the statement that reads it. */
#ifndef FQ_FRONTDESK_H
#define FQ_FRONTDESK_H

#include "dispatch.h"
#include "intake.h"
#include "store.h"
#include "webreq.h"

#include <stdint.h>

typedef struct fq_frontdesk fq_frontdesk;

/* `server_key` (32 bytes, copied) opens the personal-data key, kept in
 * sealed_keys ('frontdesk') and made there at the first need. NULL when out
 * of memory. */
fq_frontdesk *fq_frontdesk_new(fq_intake *intake, fq_dispatch *dispatch, fq_store *store,
                               fq_store *read_store, const uint8_t server_key[32]);
/* fq_api_part_fn: every /api/v1/frontdesk/ path. */
void fq_frontdesk_handle(void *frontdesk, fq_web_req *r);
/* After the loop has run out. */
void fq_frontdesk_free(fq_frontdesk *fd);

#endif
