/* search_lists: keeps the writes backend from cleaning the search indexes'
 * pending lists (migration 0034, docs/write-path.md "Where a p99 report's
 * time went"). The trigram indexes of incidents collect new entries in a
 * pending list; whichever backend's insert finds it over 4 MB moves it into
 * the index inside that insert, ~30 ms of CPU at a time, and the only
 * inserting backend is the one every batch goes through. So, every
 * FQ_SEARCH_LISTS_REPORTS reports committed (or FQ_SEARCH_LISTS_IDLE_MS after
 * the last clean when fewer were), fq_clean_search_lists() runs on the reads
 * connection, in its own backend: the lists stay far below the limit and the
 * writes backend never meets it. The limit stays the fallback when the reads
 * connection is down or behind. */
#ifndef FQ_SEARCH_LISTS_H
#define FQ_SEARCH_LISTS_H

#include <stdint.h>
#include <uv.h>

/* About 1.8 MB of the title index's list (the fullest, ~0.9 KB a report):
 * under half its 4 MB limit, so the writer cleans only if a clean is
 * 2,500 reports late; at 1,000 reports/s one clean every 2 s. Fewer would
 * cost more CPU: a clean of 300 reports' entries costs ~40 us a report, of
 * 3,000 ~12 us (keys repeat, and each distinct key is one descent). */
#define FQ_SEARCH_LISTS_REPORTS 2000
#define FQ_SEARCH_LISTS_IDLE_MS 10000

/* Whether a clean is due (pure): `reports` committed since the last one
 * was sent, `ms` since then. */
static inline int fq_search_lists_due(uint64_t reports, uint64_t ms)
{
    return reports >= FQ_SEARCH_LISTS_REPORTS || (reports > 0 && ms >= FQ_SEARCH_LISTS_IDLE_MS);
}

typedef struct fq_store fq_store;
typedef struct fq_search_lists fq_search_lists;

typedef struct fq_search_lists_stats {
    uint64_t cleans;   /* answered OK */
    uint64_t pages;    /* pending-list pages they moved into the indexes */
    uint64_t failures; /* answered otherwise */
} fq_search_lists_stats;

/* Counts the reports `writes` commits and cleans on `reads` (a reads store:
 * fq_store_config.reads_timeout_ms > 0). Both outlive it. NULL: out of
 * memory. */
fq_search_lists *fq_search_lists_new(uv_loop_t *loop, fq_store *writes, fq_store *reads);
/* Stops the timer; freed in its close callback, or once the clean in flight
 * is answered (the reads store answers every op, busy when it closes). */
void fq_search_lists_close(fq_search_lists *sl);
const fq_search_lists_stats *fq_search_lists_get_stats(const fq_search_lists *sl);

#endif
