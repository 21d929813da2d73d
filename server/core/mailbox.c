#include "mailbox.h"

#include <stdlib.h>
#include <string.h>

void fq_mailbox_init(fq_mailbox *mb)
{
    memset(mb, 0, sizeof *mb);
}

void fq_mailbox_clear(fq_mailbox *mb)
{
    for (fq_mail *m = mb->head, *next; m != NULL; m = next) {
        next = m->next;
        free(m);
    }
    mb->head = mb->tail = NULL;
    mb->count = mb->bytes = 0;
}

static void forget(fq_mailbox *mb)
{
    fq_mailbox_clear(mb);
    mb->known = 0;
    mb->last_seq = 0;
}

int fq_mailbox_committed(fq_mailbox *mb, uint64_t seq, const uint8_t *bytes, size_t len)
{
    if (!mb->known)
        return 1; /* someone waiting will read the database */
    if (seq <= mb->last_seq)
        return 0; /* a read already covered it */
    if (seq != mb->last_seq + 1) {
        /* A gap: some commit did not reach us in order. Start over. */
        forget(mb);
        return 1;
    }
    mb->last_seq = seq;
    if (bytes == NULL || mb->count >= FQ_MAILBOX_MAX_ITEMS ||
        mb->bytes + len > FQ_MAILBOX_MAX_BYTES) {
        /* The run must stay contiguous up to last_seq: drop it; readers
         * behind last_seq go to the database. */
        fq_mailbox_clear(mb);
        return 1;
    }
    fq_mail *m = malloc(sizeof *m + len);
    if (m == NULL) {
        fq_mailbox_clear(mb);
        return 1;
    }
    m->next = NULL;
    m->seq = seq;
    m->len = len;
    memcpy(m->bytes, bytes, len);
    if (mb->tail)
        mb->tail->next = m;
    else
        mb->head = m;
    mb->tail = m;
    mb->count++;
    mb->bytes += len;
    return 1;
}

void fq_mailbox_loaded(fq_mailbox *mb, uint64_t last_seq)
{
    if (mb->known && last_seq <= mb->last_seq)
        return; /* commits after the read already moved us on */
    fq_mailbox_clear(mb);
    mb->known = 1;
    mb->last_seq = last_seq;
}

void fq_mailbox_trim(fq_mailbox *mb, uint64_t acked)
{
    while (mb->head != NULL && mb->head->seq <= acked) {
        fq_mail *m = mb->head;
        mb->head = m->next;
        if (mb->head == NULL)
            mb->tail = NULL;
        mb->count--;
        mb->bytes -= m->len;
        free(m);
    }
}

int fq_mailbox_take(const fq_mailbox *mb, uint64_t after, const fq_mail **first)
{
    *first = NULL;
    if (!mb->known || after > mb->last_seq)
        return FQ_MAILBOX_READ; /* a terminal ahead of us: the database says why */
    if (after == mb->last_seq)
        return FQ_MAILBOX_EMPTY;
    if (mb->head == NULL || mb->head->seq > after + 1)
        return FQ_MAILBOX_READ;
    const fq_mail *m = mb->head;
    while (m->seq <= after)
        m = m->next; /* the run is contiguous to last_seq > after: found */
    *first = m;
    return FQ_MAILBOX_HAVE;
}

size_t fq_mailbox_memory(const fq_mailbox *mb)
{
    return mb->bytes + mb->count * sizeof(fq_mail);
}
