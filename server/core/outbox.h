/* outbox: the items one event leaves for the people it concerns — in the
 * outboxes of the holders of the assignment (a grid worker "w:<id>", a
 * handling unit "h:<id>") and of the ones it moved away from, as the three
 * array parameters of the statement that writes the event (statements.h
 * FQ_SQL_OUTBOX_CTE); in the town's and the district's follow feeds
 * ("u:<town>", "u:<district>"), which are not outbox rows but columns of
 * the event itself (migration 0032, docs/write-path.md "Feeds") — and, once
 * committed, matched with the sequence numbers the statement wrote. Pure. */
#ifndef FQ_OUTBOX_H
#define FQ_OUTBOX_H

#include "fengqiao.pb-c.h"
#include "pgarray.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_OUTBOX_MAX_ITEMS 20
#define FQ_BOX_MAX 72

/* The three statement parameters of the items that are outbox rows
 * (statements.h FQ_SQL_OUTBOX_CTE), in this order. */
enum { FQ_OUTBOX_BOXES = 0, FQ_OUTBOX_KINDS = 1, FQ_OUTBOX_BODIES = 2, FQ_OUTBOX_NPARAMS = 3 };

/* Which follow feed an item is in: none (an outbox row), its town's, its
 * district's. */
typedef enum fq_feed { FQ_FEED_NONE = 0, FQ_FEED_TOWN = 1, FQ_FEED_DISTRICT = 2 } fq_feed;

typedef struct fq_outbox_set {
    int n;
    char box[FQ_OUTBOX_MAX_ITEMS][FQ_BOX_MAX];
    uint8_t kind[FQ_OUTBOX_MAX_ITEMS];     /* Fengqiao__V1__ItemKind */
    uint8_t feed[FQ_OUTBOX_MAX_ITEMS];     /* fq_feed: FQ_FEED_NONE for an outbox row */
    uint8_t complete[FQ_OUTBOX_MAX_ITEMS]; /* the body has the incident's details */
    uint8_t *body[FQ_OUTBOX_MAX_ITEMS];    /* packed OutboxItem without seq, kind, incident, at,
                                              event_seq (the statement's columns) */
    size_t body_len[FQ_OUTBOX_MAX_ITEMS];
    /* The statement parameters, after fq_outbox_params (fq_outbox_param
     * reads them): binary arrays one after the other in `params`. */
    fq_pgbuf params;
    size_t param_offset[FQ_OUTBOX_NPARAMS], param_length[FQ_OUTBOX_NPARAMS];
    int params_built;
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

/* An item of a follow feed ("u:<unit>", FQ_FEED_TOWN or FQ_FEED_DISTRICT),
 * always an ITEM_UPDATE; the same body for both feeds of an event (the
 * event keeps one). As fq_outbox_add otherwise. */
int fq_outbox_add_feed(fq_outbox_set *s, fq_feed feed, const char *box,
                       const Fengqiao__V1__OutboxItem *body, int complete);
/* The index of the set's item in that feed, or -1. */
int fq_outbox_feed_index(const fq_outbox_set *s, fq_feed feed);

/* Builds the statement parameters of the items that are outbox rows, in
 * the set's order, as PostgreSQL's binary arrays (pgarray.h): boxes
 * (text[]), kinds (smallint[]: Fengqiao__V1__ItemKind) and bodies
 * (bytea[]). 0, or -1 when out of memory. */
int fq_outbox_params(fq_outbox_set *s);
/* Parameter `which` (FQ_OUTBOX_BOXES...), binary format, and its length in
 * *length: as built, or an empty array of its type when they were not
 * (a set without items, or freed after running out of memory). Valid
 * until the set changes. */
const char *fq_outbox_param(const fq_outbox_set *s, int which, int *length);

/* The items a statement wrote: for each, its index in the set, its seq in
 * its box or feed and the seq of the event it reports (0: not said). As
 * the statement says it (fq_outbox_written_decode) or, for a report
 * written by the set-based statement, as the store planned it. */
typedef struct fq_outbox_written {
    int n;
    uint8_t index[FQ_OUTBOX_MAX_ITEMS];
    uint64_t seq[FQ_OUTBOX_MAX_ITEMS], event_seq[FQ_OUTBOX_MAX_ITEMS];
} fq_outbox_written;

/* Decodes FQ_SQL_OUTBOX_SEQS's column (statements.h) as PostgreSQL sends
 * it in binary: a record[] (pgarray.h; element FQ_PG_RECORD), one
 * (seq int8, box text, event_seq int8) per item written, matched with the
 * set's items by box. 0 and `out` filled, or -1 and out->n 0 when the
 * bytes are not such an array, a seq is not positive, or a box is not in
 * the set or comes twice. (A NULL column, nothing written, is the caller's:
 * out->n 0.) */
int fq_outbox_written_decode(const fq_outbox_set *s, const void *data, size_t len,
                             fq_outbox_written *out);

/* A complete item: the body with seq, kind, incident, time and the event's
 * seq set. Returns the length, or 0 when it does not fit `cap`. */
size_t fq_outbox_complete_item(const uint8_t *body, size_t body_len, uint64_t seq, int kind,
                               uint64_t incident_id, int64_t at_ms, uint64_t event_seq,
                               uint8_t *out, size_t cap);

#endif
