/* fqclient: the client library shared by fq-report, and later the terminal
 * and console clients.
 *
 * A client holds a window of plain REQ sockets to one endpoint, so up to
 * `window` requests are outstanding at once (a REQ socket carries one at a
 * time). Each request is sealed with the node's key, re-signed with a fresh
 * sent_at on every retry (same message id, so retries are idempotent),
 * retried on BUSY/INTERNAL after the server's hint and on STALE at once, and
 * given up after `timeout_ms` with an "unknown outcome" result: the caller
 * may retry later with the same message id. Replies are verified before they
 * are believed. Blocking API: the caller's thread runs nn_poll. */
#ifndef FQ_CLIENT_H
#define FQ_CLIENT_H

#include "fengqiao.pb-c.h"
#include "fq_wire.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fqc fqc;

typedef struct fqc_config {
    const char *url;
    const char *node;
    uint8_t key[FQ_KEY_BYTES];
    int window;         /* outstanding requests at most (REQ sockets) */
    int64_t timeout_ms; /* give up on one request after this long */
    int resend_ivl_ms;  /* REQ resend when no reply came (nanomsg resends itself) */
} fqc_config;

typedef enum fqc_outcome {
    FQC_ANSWERED = 0, /* the server answered; see status */
    FQC_NO_ANSWER = 1 /* timed out or kept busy: unknown, retry later with the same id */
} fqc_outcome;

typedef struct fqc_result {
    fqc_outcome outcome;
    Fengqiao__V1__Status status;
    char message[512];
    uint64_t message_id;
    /* report_incident */
    int has_incident;
    uint64_t incident_id;
    int duplicate;
    int64_t recorded_at_ms;
    uint64_t event_seq;
    /* where the routing sent it (has_routing) */
    int has_routing;
    int tier; /* Fengqiao__V1__Tier */
    int line; /* Fengqiao__V1__Line: 1 governance .. 4 services, 0 none */
    char lead_unit[65], worker[65], territory[65];
    char co_units[5 * 66]; /* comma-separated */
    uint64_t merged_into;
    int unplaced;
    int64_t acknowledge_due_ms, conclude_due_ms;
    unsigned climbed, rule_set;
    int attempts;
    double latency_ms; /* first send to final answer */
} fqc_result;

typedef void (*fqc_done_cb)(void *user, uint64_t tag, const fqc_result *result);

/* 0 or -1 with a message in err. */
int fqc_open(const fqc_config *config, fqc_done_cb done, void *user, fqc **out, char *err,
             size_t err_len);
void fqc_close(fqc *client);

/* Sends a request with this body (envelope fields other than the body are
 * filled in). Blocks, serving replies, while the window is full. `tag` comes
 * back with the result. */
int fqc_submit(fqc *client, uint64_t tag, uint64_t message_id,
               const Fengqiao__V1__Envelope *body_only);

/* Serves replies until nothing is outstanding. */
void fqc_drain(fqc *client);

/* Serves replies for at most `wait_ms`; returns how many requests are still
 * outstanding. */
int fqc_poll(fqc *client, int wait_ms);

/* A message id unique for this node: milliseconds since the epoch shifted
 * left 16 bits, a random byte in bits 8-15 (two processes of one node in the
 * same millisecond rarely collide), strictly increasing within the process.
 * Stays below 2^63 until the year 6400. */
uint64_t fqc_fresh_message_id(void);

/* A message id derived from a string (e.g. the reporter's own case number):
 * sending the same case again yields the same id, hence no second incident. */
uint64_t fqc_message_id_for(const char *node, const char *text);

/* Reads a 64-hex-character key from `hex`. 0 or -1. */
int fqc_parse_key(const char *hex, uint8_t key[FQ_KEY_BYTES]);

/* Reads the key from a file holding its hex. 0 or -1. */
int fqc_load_key_file(const char *path, uint8_t key[FQ_KEY_BYTES]);

#endif
