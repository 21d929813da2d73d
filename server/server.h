/* server: the wiring of fengqiaod. One libuv loop; the intake endpoint, the
 * store and the directory snapshot; graceful stop on SIGINT/SIGTERM. */
#ifndef FQ_SERVER_H
#define FQ_SERVER_H

#include "sender.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_server_config {
    const char *conninfo;
    const char *intake_url;
    const char *terminals_url;   /* the field terminals' endpoint */
    const char *console_url;     /* consoles' own listener (NULL: the terminal endpoint's) */
    int64_t presence_timeout_ms; /* a worker's terminal silent this long goes off duty */
    const char *server_key_path;
    const char *ready_file; /* written once the intake is bound and the directory loaded */
    int64_t max_skew_ms;
    uint64_t hold_ms;
    size_t max_pending;
    size_t max_pending_bytes; /* reports waiting for the database hold this much memory at most */
    size_t max_batch;
    int max_batches_in_flight;
    int id_block;             /* incident ids reserved at a time */
    unsigned read_timeout_ms; /* the console's reads: their connection's statement_timeout */
    uint32_t audit_per_second;
    int drain_budget;
    unsigned stats_interval_s;
    const char *trace_reports_path; /* --trace-reports: each report's stages; NULL: none */
    double dedup_distance_m;        /* a report this close to an open one of its category … */
    int64_t dedup_window_ms;        /* … and this recent is merged into it */
    int if_locked_wait;             /* another server holds the database: 1 wait, 0 exit */
    /* The web console (docs/web-console.md): NULL http_listen, no HTTP. */
    const char *http_listen; /* ADDR:PORT */
    const char *tls_cert, *tls_key;
    const char *web_root;
    unsigned session_hours;
    const char *tile_url;      /* a base-map tile URL template; NULL: none */
    int log_level;             /* fq_log_level (log.h): lines below it are dropped */
    const char *metrics_allow; /* /metrics only for these addresses (allowlist.h); NULL: all */
    /* Research and judgment (docs/judgment.md, web/findings.h). */
    unsigned judgment_interval_s;       /* the periodic run and its pushes; 0: none */
    uint32_t judgment_hotspot_min;      /* N … */
    double judgment_hotspot_radius_m;   /* … within R … */
    int64_t judgment_hotspot_window_ms; /* … over T */
    uint32_t judgment_trend_weeks;
    uint32_t judgment_trend_min;
    unsigned judgment_trend_p_permille; /* flagged at p <= this / 1000 */
    uint32_t judgment_repeat_min;
    int64_t judgment_repeat_window_ms;
    unsigned judgment_pending_days;
    fq_upward_config upward; /* reports upward (docs/upward.md); no URL: off */
} fq_server_config;

void fq_server_config_defaults(fq_server_config *config);

/* Runs until a stop signal; returns the process exit code. */
/* fq_server_run's answer when the server lost the serving lock to another
 * server after serving (--if-locked wait): run it again, as a standby. */
#define FQ_SERVER_RESTART (-1)

int fq_server_run(const fq_server_config *config);

#endif
