/* writeplan: the server's own sequences as the store plans them
 * (docs/write-path.md): the chain's tail, each outbox box's and each follow
 * feed's last seq and
 * the block of reserved incident ids — both as planned for what is in
 * flight and as committed — so that batches can be planned on top of each
 * other and, when one fails, planning starts again from what committed.
 * Pure: the store reads the heads and reports outcomes. */
#ifndef FQ_WRITEPLAN_H
#define FQ_WRITEPLAN_H

#include "chain.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_writeplan fq_writeplan;
typedef struct fq_writeplan_box fq_writeplan_box; /* a box's entry, stable until reset */

fq_writeplan *fq_writeplan_new(void);
void fq_writeplan_free(fq_writeplan *p);

/* Heads as read from the database (a new connection): the chain head and,
 * by fq_writeplan_set_box, every box's last seq — an outbox box's, a follow
 * feed's ("u:<unit>", numbered in the events: migration 0032); a box set
 * twice keeps the larger (a feed with items from before 0024 in the outbox
 * and newer ones in the events). Forgets the ids. */
void fq_writeplan_reset(fq_writeplan *p, const fq_chain_head *head);
int fq_writeplan_set_box(fq_writeplan *p, const char *box, int64_t last_seq); /* 0 or -1 OOM */
void fq_writeplan_add_ids(fq_writeplan *p, int64_t first, int64_t n);
int64_t fq_writeplan_ids_left(const fq_writeplan *p);

/* ---- planning (on top of what is planned already) ----
 * A statement is planned in two steps: everything that may fail first (the
 * entries of its boxes), then the moves, which cannot. */
/* The next reserved id without taking it; 0 when none is left. */
int64_t fq_writeplan_peek_id(fq_writeplan *p);
void fq_writeplan_take_id(fq_writeplan *p);
/* The chain's planned tail, which the next event continues; moved on by
 * fq_writeplan_set_tail once the events are planned (chain.h
 * fq_chain_append on a copy). */
const fq_chain_head *fq_writeplan_tail(const fq_writeplan *p);
void fq_writeplan_set_tail(fq_writeplan *p, const fq_chain_head *tail);
/* A box's entry (added with last seq 0 when new); NULL when out of memory. */
fq_writeplan_box *fq_writeplan_box_of(fq_writeplan *p, const char *box);
/* Its next seq: as it would be (peek), and taken. */
int64_t fq_writeplan_box_peek(const fq_writeplan_box *entry);
int64_t fq_writeplan_box_take(fq_writeplan_box *entry);

/* ---- outcomes ---- */
/* A transaction committed up to this chain head and these box seqs. */
void fq_writeplan_chain_committed(fq_writeplan *p, const fq_chain_head *head);
void fq_writeplan_box_committed(fq_writeplan_box *entry, int64_t seq);
/* Nothing in flight any more: the plan starts again from what committed. */
void fq_writeplan_rewind(fq_writeplan *p);
const fq_chain_head *fq_writeplan_committed(const fq_writeplan *p);

#endif
