/* mailbox: what the server remembers of one outbox (one worker's, unit's or
 * town feed's) so that a waiting terminal is answered from memory instead of
 * a database read. The outbox in PostgreSQL is the truth; the mailbox is a
 * cache of its newest items — a contiguous run [first, last_seq] — and knows
 * whether it knows the outbox's last sequence number at all. Anything it
 * cannot answer exactly (it never read the box, a gap, an item it holds no
 * bytes for, a terminal further back than the run) it says so, and the
 * caller reads the database. Pure: no clock, no I/O. */
#ifndef FQ_MAILBOX_H
#define FQ_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

typedef struct fq_mail {
    struct fq_mail *next;
    uint64_t seq;
    size_t len;
    uint8_t bytes[]; /* a complete packed OutboxItem */
} fq_mail;

typedef struct fq_mailbox {
    uint64_t last_seq; /* the outbox's newest seq, when known */
    int known;
    fq_mail *head, *tail; /* held items, seq ascending, ending at last_seq */
    size_t count, bytes;
} fq_mailbox;

/* Limits of what one mailbox holds (a terminal that does not come back must
 * not grow the server: past these the items stay in the database only). */
#define FQ_MAILBOX_MAX_ITEMS 16
#define FQ_MAILBOX_MAX_BYTES 8192

void fq_mailbox_init(fq_mailbox *mb);
void fq_mailbox_clear(fq_mailbox *mb); /* frees the items; keeps what it knows of last_seq */

/* An item committed to the outbox with this seq; `bytes` NULL when the
 * caller has no complete item to hold (it is then read from the database).
 * Returns 1 when it was new to the mailbox (a waiting terminal may want it). */
int fq_mailbox_committed(fq_mailbox *mb, uint64_t seq, const uint8_t *bytes, size_t len);

/* A database read said the outbox ends at last_seq. */
void fq_mailbox_loaded(fq_mailbox *mb, uint64_t last_seq);

/* The terminal holds everything up to `acked`: drop those items. */
void fq_mailbox_trim(fq_mailbox *mb, uint64_t acked);

enum {
    FQ_MAILBOX_EMPTY = 0, /* nothing after `after`: wait */
    FQ_MAILBOX_HAVE = 1,  /* *first is the item after `after`, the rest follow by next */
    FQ_MAILBOX_READ = 2,  /* the mailbox cannot say: read the database */
};

int fq_mailbox_take(const fq_mailbox *mb, uint64_t after, const fq_mail **first);

size_t fq_mailbox_memory(const fq_mailbox *mb);

#endif
