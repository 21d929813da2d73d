/* open311: Open311 GeoReport v2 under /open311/v2/ (docs/open311.md).
 *
 * The services are the topology's categories (their service codes,
 * migration 0023). A POST is a ReportIncident from the API key's platform
 * node, put through the intake's own path (fq_intake_submit): the same
 * validation, placement, routing, dedup, idempotency, history and audit as a
 * nanomsg report, answered only after COMMIT. GETs of requests need a key
 * too and see the node's jurisdiction only. Answers in JSON (json-c) or XML
 * (libxml2's xmlwriter), errors in the specification's shape. */
#ifndef FQ_OPEN311_H
#define FQ_OPEN311_H

#include "dispatch.h"
#include "intake.h"
#include "store.h"
#include "webreq.h"

#include <uv.h>

typedef struct fq_open311 fq_open311;

/* `store` serves the reads (the reads store); reports go to `intake`. */
fq_open311 *fq_open311_new(uv_loop_t *loop, fq_store *store, fq_intake *intake,
                           fq_dispatch *dispatch);
/* Every path under /open311/ (http.c hands them over without a session). */
void fq_open311_handle(fq_open311 *o, fq_web_req *r);
/* Answers an error in the specification's shape, in the format the path
 * asks for (XML when it names none): for what the HTTP layer refuses before
 * a request is handled (413, 503 while stopping). */
void fq_open311_refuse(fq_web_req *r, int status, const char *description, unsigned retry_after_s);
void fq_open311_free(fq_open311 *o);

#endif
