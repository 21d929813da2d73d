/* intake: the endpoint where town platforms and grid nodes report incidents.
 *
 * decode (bounded arena) -> authenticate (MAC over the exact envelope bytes)
 * -> check version, id, freshness, kind, role -> validate fields -> authorise
 * by jurisdiction -> route (dispatch) -> coalesce with an identical request
 * already in flight -> store the report and its routing in one transaction
 * (group commit) -> reply with the routing outcome, signed with the sender's
 * key, after COMMIT.
 * Refused requests are answered with a clear status and recorded for audit;
 * nothing else is stored for them. */
#ifndef FQ_INTAKE_H
#define FQ_INTAKE_H

#include "directory.h"
#include "dispatch.h"
#include "msgsock.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>

typedef struct fq_intake fq_intake;

typedef struct fq_intake_config {
    int64_t max_skew_ms;       /* freshness window for sent_at */
    uint32_t audit_per_second; /* audit rows written per second at most */
    uint32_t busy_retry_ms;    /* retry hint with BUSY / INTERNAL */
    size_t max_pending_bytes;  /* memory of reports waiting for the store, at most */
    /* --trace-reports: a line for each report stored, with the wall-clock
     * times (microseconds since the epoch) it reached each stage
     * (docs/write-path.md, "Tracing a report"); NULL: none. Not closed. */
    FILE *trace;
} fq_intake_config;

typedef struct fq_intake_stats {
    uint64_t requests;
    uint64_t accepted;      /* new incidents */
    uint64_t duplicates;    /* answered from an earlier outcome */
    uint64_t coalesced;     /* duplicates that arrived while the first was in flight */
    uint64_t over_budget;   /* answered busy: pending reports held too many bytes */
    uint64_t by_status[16]; /* by Fengqiao__V1__Status */
    uint64_t audit_written;
    uint64_t audit_dropped; /* over the audit rate or refused by a busy store */
    size_t in_flight;
    size_t pending_bytes; /* held by reports waiting for the store */
} fq_intake_stats;

/* Takes each validated report to the routing core, whose current snapshot
 * (directory and routing state) it checks requests against; while none is
 * loaded requests are answered busy. */
fq_intake *fq_intake_new(uv_loop_t *loop, const fq_intake_config *config, fq_store *store,
                         fq_dispatch *dispatch);

/* fq_msgsock_request_cb: pass with the intake as user. */
void fq_intake_on_request(void *intake, const uint8_t *frame, size_t len, fq_reply_token *token);

/* A report made inside the server (the Open311 endpoint, docs/open311.md)
 * goes the very path of a nanomsg report: it is put in an Envelope from
 * `node_id` with `message_id`, signed with the node's key and handed to
 * fq_intake_on_request with a local reply token — the gate, the role and
 * jurisdiction checks, validation, placement, routing, dedup, idempotency
 * (node, message id), the audit of refusals, the durable store. `done` runs
 * once with the reply (the IncidentAccepted only after COMMIT, or a refusal),
 * or with NULL when no reply could be made; the reply lives during the call.
 * It may run before this returns (a refusal). -1 (done never runs): no such
 * node is loaded, or out of memory. */
typedef void (*fq_intake_done_fn)(void *user, const Fengqiao__V1__Reply *reply);
int fq_intake_submit(fq_intake *intake, const char *node_id, uint64_t message_id,
                     const Fengqiao__V1__ReportIncident *report, fq_intake_done_fn done,
                     void *user);

/* The same with photos: `photos` (n_photos of them) go beside the envelope
 * in the order of report->attachments, whose refs name them (SHA-256, size,
 * type). They are checked before anything is stored (not_an_image,
 * too_large, photo_mismatch in Reply.error_code) and stored with the report's
 * "reported" event in its transaction. The frame may pass the network's
 * frame limit, up to FQ_MAX_UPLOAD_FRAME_BYTES. */
int fq_intake_submit_attached(fq_intake *intake, const char *node_id, uint64_t message_id,
                              const Fengqiao__V1__ReportIncident *report,
                              const ProtobufCBinaryData *photos, size_t n_photos,
                              fq_intake_done_fn done, void *user);

/* The socket replies go out on; set once after fq_msgsock_listen. */
void fq_intake_attach(fq_intake *intake, fq_msgsock *sock);

/* Requests still waiting for the store. */
size_t fq_intake_in_flight(const fq_intake *intake);

const fq_intake_stats *fq_intake_get_stats(fq_intake *intake);

/* Frees the intake; call after the store has answered everything. */
void fq_intake_free(fq_intake *intake);

#endif
