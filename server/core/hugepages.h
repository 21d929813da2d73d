/* hugepages: advice that a large table be backed by transparent huge pages
 * (fewer TLB misses and page faults when a million cases' tables are filled
 * at start). Advice only: the kernel may refuse, and nothing depends on it. */
#ifndef FQ_HUGEPAGES_H
#define FQ_HUGEPAGES_H

#include <stddef.h>

/* Advises MADV_HUGEPAGE for the whole 2 MiB pages inside [p, p + size). */
void fq_advise_huge(void *p, size_t size);

#endif
