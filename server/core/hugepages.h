/* hugepages: advice that a large table be backed by transparent huge pages
 * (fewer TLB misses and page faults when a million cases' tables are filled
 * at start). Advice only: the kernel may refuse, and nothing depends on it. */
#ifndef FQ_HUGEPAGES_H
#define FQ_HUGEPAGES_H

#include <stddef.h>

/* Advises MADV_HUGEPAGE for the whole 2 MiB pages inside [p, p + size). */
void fq_advise_huge(void *p, size_t size);

/* A range of memory a bulk load is about to write (fq_caseload_ahead,
 * fq_deadlines_ahead, fq_dedup_ahead). */
typedef struct fq_span {
    void *p;
    size_t size;
} fq_span;

/* Faults the pages of [p, p + size) in for writing, now (MADV_POPULATE_WRITE,
 * Linux 5.14): the kernel allocates and zeroes them here instead of at the
 * first write, which may then be on another thread. Contents are not
 * changed. 0, or -1 when the kernel cannot (nothing is lost: the pages fault
 * in at their first write as ever). */
int fq_populate(void *p, size_t size);

#endif
