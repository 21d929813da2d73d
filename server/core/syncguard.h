/* syncguard: which of a terminal's syncs may change state. A sync does more
 * than ask: it signs a worker on or off duty and says what has reached the
 * terminal. A frame captured on the way and sent again within the accepted
 * clock skew passes the gate (the MAC verifies, sent_at is fresh), so the
 * order of a node's syncs is kept here: only a sync signed after every sync
 * that took effect takes effect. A sync with the message id of the newest is
 * a resend of it — nanomsg's REQ resends the very same frame after a
 * reconnect, fq-terminal re-signs it with a fresh sent_at — and is held like
 * any long poll, with no effect (the original had it). Pure: no I/O, no clock
 * but the times passed in. */
#ifndef FQ_SYNCGUARD_H
#define FQ_SYNCGUARD_H

#include <stdint.h>

/* The newest sync of one node that took effect. Zeroed: none yet. */
typedef struct fq_sync_mark {
    int64_t sent_at_ms;
    uint64_t message_id;
    int known;
} fq_sync_mark;

typedef enum fq_sync_verdict {
    FQ_SYNC_NEW,    /* newer than every sync that took effect: apply it (mark updated) */
    FQ_SYNC_RESEND, /* the newest again, or signed before `since_ms` (see below): hold, no effect */
    FQ_SYNC_REPLAYED, /* signed before the newest, under another message id: refuse */
} fq_sync_verdict;

/* Judges a sync (its envelope's sent_at_ms and message_id) against the node's
 * mark, and moves the mark when the sync takes effect. `since_ms` is when the
 * marks began (the server's start): before it nothing is known, so a sync
 * signed earlier — a REQ resend from before a restart, or a replay — changes
 * nothing; the terminal's next sync, signed now, carries the same state. */
fq_sync_verdict fq_sync_judge(fq_sync_mark *mark, int64_t since_ms, int64_t sent_at_ms,
                              uint64_t message_id);

#endif
