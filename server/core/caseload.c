#include "caseload.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct entry {
    fq_case c;
    UT_hash_handle hh;
} entry;

struct fq_caseload {
    entry *by_id;
    size_t count;
};

fq_caseload *fq_caseload_new(void)
{
    return calloc(1, sizeof(fq_caseload));
}

void fq_caseload_free(fq_caseload *c)
{
    if (c == NULL)
        return;
    entry *e, *tmp;
    HASH_ITER(hh, c->by_id, e, tmp)
    {
        HASH_DEL(c->by_id, e);
        free(e);
    }
    free(c);
}

fq_case *fq_caseload_add(fq_caseload *c, uint64_t incident_id)
{
    if (fq_caseload_find(c, incident_id) != NULL)
        return NULL;
    entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->c.incident_id = incident_id;
    HASH_ADD(hh, c->by_id, c.incident_id, sizeof e->c.incident_id, e);
    c->count++;
    return &e->c;
}

fq_case *fq_caseload_find(fq_caseload *c, uint64_t incident_id)
{
    entry *e;
    HASH_FIND(hh, c->by_id, &incident_id, sizeof incident_id, e);
    return e ? &e->c : NULL;
}

void fq_caseload_remove(fq_caseload *c, uint64_t incident_id)
{
    entry *e;
    HASH_FIND(hh, c->by_id, &incident_id, sizeof incident_id, e);
    if (e == NULL)
        return;
    HASH_DEL(c->by_id, e);
    free(e);
    c->count--;
}

size_t fq_caseload_count(const fq_caseload *c)
{
    return c->count;
}

void fq_caseload_foreach(fq_caseload *c, void (*fn)(fq_case *, void *), void *user)
{
    for (entry *e = c->by_id; e != NULL; e = e->hh.next)
        fn(&e->c, user);
}

size_t fq_caseload_memory(const fq_caseload *c)
{
    /* Each record plus uthash's bucket share (about two pointers). */
    return sizeof *c + c->count * (sizeof(entry) + 2 * sizeof(void *));
}
