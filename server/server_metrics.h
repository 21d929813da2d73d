/* server_metrics: what fengqiaod's /metrics says about the server (HTTP adds
 * its own in http.c): each module's stats, asked through its stats function
 * and written in the Prometheus text format (metrics.h). The names, types
 * and labels are the contract documented in docs/operations.md, Monitoring. */
#ifndef FQ_SERVER_METRICS_H
#define FQ_SERVER_METRICS_H

#include "dispatch.h"
#include "intake.h"
#include "metrics.h"
#include "readiness.h"
#include "search_lists.h"
#include "sender.h"
#include "store.h"
#include "terminal.h"

#include <stdint.h>

/* What the server holds itself besides its modules. */
typedef struct fq_server_metrics_sources {
    fq_intake *intake;
    fq_terminals *terminals;
    fq_store *store, *read_store;
    const fq_search_lists *search_lists;
    fq_dispatch *dispatch;
    const fq_upward *upward; /* reports upward (NULL: off) */
    fq_readiness readiness;
    int64_t started_ms;        /* wall clock */
    uint64_t reload_failures;  /* directory or routing loads that did not take */
    int64_t last_reload_ok_ms; /* wall clock; 0: none */
    uint64_t guard_refusals;   /* serving lock claims refused */
    /* A warm standby's (docs/operations.md, "A standby"). */
    uint64_t catch_ups;          /* refreshes and catch-ups taken in */
    uint64_t caught_up;          /* incidents they re-read */
    double takeover_s;           /* the last take-over, lock to ready; 0: none */
    uint64_t takeover_incidents; /* incidents its catch-up re-read */
} fq_server_metrics_sources;

void fq_server_metrics_write(const fq_server_metrics_sources *src, fq_metrics *m);

#endif
