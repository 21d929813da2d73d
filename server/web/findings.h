/* findings: research and judgment (研判) for the web console —
 * GET /api/v1/judgment/hotspots|trends|repeats|long-pending within the
 * account's jurisdiction, and new findings pushed to open consoles
 * (docs/judgment.md, docs/http-api.md "Research and judgment").
 *
 * Every answer is computed on demand: the incidents of the widest window are
 * read on the reads store (fq_judgment_incidents, migration 0029: off the
 * hot path, under its statement_timeout) and judged by the pure core
 * (core/judgment.h). Every interval_s the same is done for the whole
 * district: a finding that was not there at the previous run is sent as an
 * SSE event `finding` on the live feed (fq_api_broadcast) to the consoles
 * whose jurisdiction holds it. The first run after a start only learns what
 * is there, so a restart pushes nothing old. */
#ifndef FQ_FINDINGS_H
#define FQ_FINDINGS_H

#include "api.h"
#include "dispatch.h"
#include "judgment.h"
#include "store.h"
#include "webreq.h"

#include <uv.h>

typedef struct fq_findings_config {
    fq_jd_params params;
    unsigned interval_s;            /* 0: no periodic run, nothing pushed */
    unsigned pending_days;          /* long-pending: not concluded after this many days */
    unsigned pending_lookback_days; /* … among the cases received this far back */
} fq_findings_config;

/* 7 days among a year's cases; the periodic run every 300 s. */
void fq_findings_config_default(fq_findings_config *c);

typedef struct fq_findings fq_findings;

/* NULL when out of memory. `api` gets the pushes. */
fq_findings *fq_findings_new(uv_loop_t *loop, fq_store *read_store, fq_api *api,
                             const fq_findings_config *config);
/* Starts the periodic run (a no-op with interval_s 0). */
void fq_findings_start(fq_findings *f);
/* fq_api_part_fn: GET /api/v1/judgment/… */
void fq_findings_handle(void *findings, fq_web_req *r);
/* Stops the timer: for a stop. */
void fq_findings_stop(fq_findings *f);
/* After the loop has run out (a read in the store holds the findings). */
void fq_findings_free(fq_findings *f);

/* Counters, for tests and /metrics-like logs. */
uint64_t fq_findings_runs(const fq_findings *f);
uint64_t fq_findings_pushed(const fq_findings *f);

#endif
