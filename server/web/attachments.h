/* attachments: the evidence's bytes, GET /api/v1/attachments/ID
 * (docs/http-api.md, "Evidence") — the photos stored with an action or a
 * report (migration 0026), read on the reads store.
 *
 * Who may see one is decided in the same read: a console account those of
 * incidents placed in its jurisdiction (as the console reads an incident),
 * a worker account those of incidents in its outbox (as the field API
 * shows an incident); anything else, an id that names none included, is
 * 403. The bytes never change (the table is append-only), so they are
 * served immutable with their SHA-256 as the ETag. */
#ifndef FQ_ATTACHMENTS_H
#define FQ_ATTACHMENTS_H

#include "dispatch.h"
#include "store.h"
#include "webreq.h"

typedef struct fq_attachments fq_attachments;

/* NULL when out of memory. */
fq_attachments *fq_attachments_new(fq_dispatch *dispatch, fq_store *read_store);
/* fq_api_part_fn: GET /api/v1/attachments/ID. */
void fq_attachments_handle(void *attachments, fq_web_req *r);
void fq_attachments_free(fq_attachments *a);

#endif
