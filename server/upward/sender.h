/* sender: the reports upward's I/O (docs/upward.md) — finds in the history
 * the incidents the rules report, keeps their deliveries in PostgreSQL
 * (migration 0030), posts each as a signed JSON document over HTTPS until the
 * receiver answers 2xx, and records every attempt and the acknowledgement as
 * events on the incident.
 *
 * Everything runs on the server's loop: libcurl's multi socket interface
 * driven by uv_poll (its sockets) and a uv_timer (its timeouts); the
 * database through the server's write store, whose transactions chain the
 * events like every other. No thread, no blocking call. */
#ifndef FQ_UPWARD_SENDER_H
#define FQ_UPWARD_SENDER_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FQ_UPWARD_MAX_TARGETS 8

typedef struct fq_upward_config {
    const char *urls;                           /* comma-separated https:// URLs; NULL or "": off */
    const char *ca_file;                        /* the receivers' CA (PEM); NULL: the system's */
    const char *key_file;                       /* the shared key: 64 hex digits */
    const char *grades, *categories, *keywords; /* the rules (policy.h) */
    uint64_t retry_min_ms, retry_max_ms;        /* the backoff's first step and cap */
    unsigned timeout_ms;                        /* one attempt at most */
    unsigned scan_ms;                           /* how often the history is looked at */
} fq_upward_config;

void fq_upward_config_defaults(fq_upward_config *c);

typedef struct fq_upward fq_upward;

/* Reads the rules, the URLs and the key file: 0, or -1 with the reason in
 * err. With no URL it is off: *out is NULL and 0 is returned. Used by
 * --check-config too (out NULL: only the checks). */
int fq_upward_new(uv_loop_t *loop, fq_store *store, const fq_upward_config *config, fq_upward **out,
                  char *err, size_t errlen);
void fq_upward_start(fq_upward *u);
/* Ends the transfers and closes the handles; the store's answers to
 * statements still in it are taken after this (before the store closes). */
void fq_upward_stop(fq_upward *u);
/* After the loop has run out. NULL is fine. */
void fq_upward_free(fq_upward *u);

#endif
