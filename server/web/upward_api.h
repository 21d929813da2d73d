/* upward_api: the reports upward as the console sees them (docs/upward.md,
 * docs/http-api.md "Reports upward"): GET /api/v1/upward/deliveries?incident=ID,
 * the incident's deliveries to the collaboration platforms and how their
 * attempts went, for an incident within the asker's jurisdiction. */
#ifndef FQ_UPWARD_API_H
#define FQ_UPWARD_API_H

#include "store.h"
#include "webreq.h"

typedef struct fq_upward_api fq_upward_api;

fq_upward_api *fq_upward_api_new(fq_store *read_store);
/* fq_api_part_fn: every path under /api/v1/upward/. */
void fq_upward_api_handle(void *upward_api, fq_web_req *r);
void fq_upward_api_free(fq_upward_api *a);

#endif
