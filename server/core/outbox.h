/* outbox: the items one event leaves in the outboxes of the people it
 * concerns — the holders of the assignment (a grid worker "w:<id>", a
 * handling unit "h:<id>"), the ones it moved away from, and the town's follow
 * feed ("u:<town>") — as the three array parameters of the statement that
 * writes the event (statements.h FQ_SQL_OUTBOX_CTE), and, once committed,
 * matched with the sequence numbers PostgreSQL drew. Pure. */
#ifndef FQ_OUTBOX_H
#define FQ_OUTBOX_H

#include "fengqiao.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_OUTBOX_MAX_ITEMS 20
#define FQ_BOX_MAX 72

typedef struct fq_outbox_set {
    int n;
    char box[FQ_OUTBOX_MAX_ITEMS][FQ_BOX_MAX];
    uint8_t kind[FQ_OUTBOX_MAX_ITEMS];     /* Fengqiao__V1__ItemKind */
    uint8_t complete[FQ_OUTBOX_MAX_ITEMS]; /* the body has the incident's details */
    uint8_t *body[FQ_OUTBOX_MAX_ITEMS];    /* packed OutboxItem without seq, kind, incident, at,
                                              event_seq (the statement's columns) */
    size_t body_len[FQ_OUTBOX_MAX_ITEMS];
    /* The statement parameters, after fq_outbox_params. */
    char *boxes, *kinds, *bodies;
} fq_outbox_set;

void fq_outbox_init(fq_outbox_set *s);
void fq_outbox_free(fq_outbox_set *s); /* and back to empty */

/* Adds an item for `box` unless the set already has one for it (the first
 * wins: one item per box and event). `complete`: the body carries title,
 * address and the rest, so the item can be offered from memory. 0, or -1
 * when full or out of memory. */
int fq_outbox_add(fq_outbox_set *s, const char *box, Fengqiao__V1__ItemKind kind,
                  const Fengqiao__V1__OutboxItem *body, int complete);
int fq_outbox_has(const fq_outbox_set *s, const char *box);

/* Builds s->boxes, s->kinds (text array literals) and s->bodies (bytea
 * array literal, hex): 0, or -1 when out of memory. */
int fq_outbox_params(fq_outbox_set *s);

/* The items as committed: `seqs` is FQ_SQL_OUTBOX_SEQS ("seq box event_seq,
 * seq box event_seq", or empty; "seq box" alone gives event_seq 0). Calls fn
 * once per item with its index in the set, its seq and the seq of the event
 * it reports; returns how many, or -1 when `seqs` does not parse or names a
 * box that is not in the set. */
typedef void (*fq_outbox_committed_fn)(void *user, const fq_outbox_set *s, int index, uint64_t seq,
                                       uint64_t event_seq);
int fq_outbox_committed(const fq_outbox_set *s, const char *seqs, fq_outbox_committed_fn fn,
                        void *user);

/* A complete item: the body with seq, kind, incident, time and the event's
 * seq set. Returns the length, or 0 when it does not fit `cap`. */
size_t fq_outbox_complete_item(const uint8_t *body, size_t body_len, uint64_t seq, int kind,
                               uint64_t incident_id, int64_t at_ms, uint64_t event_seq,
                               uint8_t *out, size_t cap);

#endif
