#include "writeplan.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct fq_writeplan_box {
    UT_hash_handle hh;
    int64_t planned, committed;
    char name[];
};

struct fq_writeplan {
    fq_chain_head planned, committed;
    fq_writeplan_box *boxes;
    /* Reserved ids: [next, end), then a spare block. */
    int64_t next, end, spare_first, spare_n;
};

fq_writeplan *fq_writeplan_new(void)
{
    return calloc(1, sizeof(fq_writeplan));
}

static void free_boxes(fq_writeplan *p)
{
    fq_writeplan_box *b, *tmp;
    HASH_ITER(hh, p->boxes, b, tmp)
    {
        HASH_DEL(p->boxes, b);
        free(b);
    }
}

void fq_writeplan_free(fq_writeplan *p)
{
    if (p == NULL)
        return;
    free_boxes(p);
    free(p);
}

void fq_writeplan_reset(fq_writeplan *p, const fq_chain_head *head)
{
    free_boxes(p);
    p->planned = p->committed = *head;
    p->next = p->end = p->spare_first = p->spare_n = 0;
}

static fq_writeplan_box *find_or_add(fq_writeplan *p, const char *box)
{
    fq_writeplan_box *b;
    HASH_FIND_STR(p->boxes, box, b);
    if (b != NULL)
        return b;
    size_t len = strlen(box);
    b = calloc(1, sizeof *b + len + 1);
    if (b == NULL)
        return NULL;
    memcpy(b->name, box, len + 1);
    HASH_ADD_STR(p->boxes, name, b);
    return b;
}

int fq_writeplan_set_box(fq_writeplan *p, const char *box, int64_t last_seq)
{
    fq_writeplan_box *b = find_or_add(p, box);
    if (b == NULL)
        return -1;
    if (last_seq > b->committed)
        b->planned = b->committed = last_seq;
    return 0;
}

void fq_writeplan_add_ids(fq_writeplan *p, int64_t first, int64_t n)
{
    if (n <= 0)
        return;
    if (p->next >= p->end) {
        p->next = first;
        p->end = first + n;
    } else {
        p->spare_first = first;
        p->spare_n = n;
    }
}

int64_t fq_writeplan_ids_left(const fq_writeplan *p)
{
    return (p->end - p->next) + p->spare_n;
}

int64_t fq_writeplan_peek_id(fq_writeplan *p)
{
    if (p->next >= p->end && p->spare_n > 0) {
        p->next = p->spare_first;
        p->end = p->spare_first + p->spare_n;
        p->spare_n = 0;
    }
    return p->next < p->end ? p->next : 0;
}

void fq_writeplan_take_id(fq_writeplan *p)
{
    if (fq_writeplan_peek_id(p) != 0)
        p->next++;
}

const fq_chain_head *fq_writeplan_tail(const fq_writeplan *p)
{
    return &p->planned;
}

void fq_writeplan_set_tail(fq_writeplan *p, const fq_chain_head *tail)
{
    p->planned = *tail;
}

fq_writeplan_box *fq_writeplan_box_of(fq_writeplan *p, const char *box)
{
    return find_or_add(p, box);
}

int64_t fq_writeplan_box_peek(const fq_writeplan_box *entry)
{
    return entry->planned + 1;
}

int64_t fq_writeplan_box_take(fq_writeplan_box *entry)
{
    return ++entry->planned;
}

void fq_writeplan_chain_committed(fq_writeplan *p, const fq_chain_head *head)
{
    if (head->seq > p->committed.seq)
        p->committed = *head;
}

void fq_writeplan_box_committed(fq_writeplan_box *entry, int64_t seq)
{
    if (seq > entry->committed)
        entry->committed = seq;
}

void fq_writeplan_rewind(fq_writeplan *p)
{
    p->planned = p->committed;
    fq_writeplan_box *b, *tmp;
    HASH_ITER(hh, p->boxes, b, tmp)
    {
        b->planned = b->committed;
    }
}

const fq_chain_head *fq_writeplan_committed(const fq_writeplan *p)
{
    return &p->committed;
}
