/* waves: the server's own writes (warnings, breaches, escalations, moves
 * off a silent terminal) on their way to the store, in the order they were
 * decided. They must land in that order — an escalation before the warning
 * and the breach of the new holder, two re-decisions of one incident as
 * they were taken — also when the database goes away. The store keeps the
 * order of what it holds, but a write it answers busy and that is sent
 * again goes behind everything sent after it (that is how a breach at the
 * district was once stored before the escalation that took the case
 * there). So they go in waves: everything queued goes to the store at once
 * (one group commit), the next wave only when this one is answered, and
 * what did not commit goes first again, a second later. A write refused by
 * the database is logged and dropped; one not done (the database away) is
 * tried again until it is written: the decision stands in memory. */
#ifndef FQ_WAVES_H
#define FQ_WAVES_H

#include "outbox.h"
#include "store.h"
#include "write_params.h"

#include <stdint.h>
#include <uv.h>

typedef struct fq_waves fq_waves;

/* A write committed: its items, those the statement wrote (store.h
 * op->written; n 0: none) and its incident. Both are valid during the call
 * only. */
typedef void (*fq_waves_stored_fn)(void *user, const fq_outbox_set *items,
                                   const fq_outbox_written *written, uint64_t incident_id);

fq_waves *fq_waves_new(uv_loop_t *loop, fq_store *store, fq_waves_stored_fn on_stored, void *user);
/* Stops the retry timer and sends nothing more; free after the loop ends
 * (the store closed and drained first). */
void fq_waves_stop(fq_waves *w);
void fq_waves_free(fq_waves *w);

/* One event of the server's own (FQ_SQL_INSERT_EVENT). `items`: the outbox
 * items it leaves (taken over, emptied; NULL for none). `breached`: the
 * limits (bits 1 acknowledge, 2 conclude) it records as breached for good,
 * so a restart does not fire them again; 4 marks a supervision order that
 * passed unanswered. */
void fq_waves_event(fq_waves *w, uint64_t incident_id, const char *kind, const char *reason_code,
                    const char *reason, int breached, int supervision_over, fq_outbox_set *items);

/* A re-decision (FQ_SQL_REROUTE): the new decision as the statement writes
 * it (copied) and its RoutingOutcome bytes (copied); `items` taken over. */
void fq_waves_reroute(fq_waves *w, uint64_t incident_id, const char *kind, const char *reason_code,
                      const char *reason, const fq_route_params *route, const uint8_t *outcome,
                      size_t outcome_len, fq_outbox_set *items);

#endif
