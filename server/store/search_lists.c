/* search_lists: the search indexes' pending lists cleaned on the reads
 * connection (search_lists.h). */
#include "search_lists.h"

#include "log.h"
#include "statements.h"
#include "store.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* How often the committed count is looked at: at 1,000 reports/s a clean is
 * at most 250 reports late. */
#define CHECK_MS 250

struct fq_search_lists {
    uv_timer_t timer;
    fq_store *writes, *reads;
    fq_store_op op;
    int in_flight;
    int closing, timer_closed; /* freed when both the timer and the op are done */
    uint64_t reports_at_last;  /* the writes store's committed reports then */
    uint64_t last_ms;          /* loop time of the last clean sent */
    fq_search_lists_stats stats;
};

static void maybe_free(fq_search_lists *sl)
{
    if (sl->closing && sl->timer_closed && !sl->in_flight)
        free(sl);
}

static void on_cleaned(fq_store_op *op, int status, const char *message)
{
    fq_search_lists *sl = (fq_search_lists *)((char *)op - offsetof(fq_search_lists, op));
    sl->in_flight = 0;
    if (status == FQ_OK && op->result != NULL && PQntuples(op->result) == 1) {
        sl->stats.cleans++;
        sl->stats.pages += (uint64_t)fq_store_column_i64(op->result, 0, 0);
    } else if (status != FQ_EBUSY) {
        /* Not fatal: the writer cleans at the limit as before. Busy is the
         * reads connection away or closing: the next tick tries again. */
        sl->stats.failures++;
        fq_log(FQ_LOG_WARN, "store", "cleaning the search lists failed: %s",
               message ? message : "");
    }
    maybe_free(sl);
}

static void on_tick(uv_timer_t *timer)
{
    fq_search_lists *sl = timer->data;
    if (sl->in_flight || sl->closing || !fq_store_ready(sl->reads))
        return;
    uint64_t reports = fq_store_get_stats(sl->writes)->committed_by_kind[FQ_STORE_OP_REPORT];
    uint64_t now = uv_now(timer->loop);
    if (!fq_search_lists_due(reports - sl->reports_at_last, now - sl->last_ms))
        return;
    sl->reports_at_last = reports;
    sl->last_ms = now;
    fq_store_op *op = &sl->op;
    memset(op, 0, sizeof *op);
    op->kind = FQ_STORE_OP_READ;
    op->statement = FQ_SQL_CLEAN_SEARCH_LISTS_NAME;
    op->nparams = FQ_SQL_CLEAN_SEARCH_LISTS_NPARAMS;
    op->done = on_cleaned;
    sl->in_flight = 1;
    fq_store_submit(sl->reads, op);
}

fq_search_lists *fq_search_lists_new(uv_loop_t *loop, fq_store *writes, fq_store *reads)
{
    fq_search_lists *sl = calloc(1, sizeof *sl);
    if (sl == NULL)
        return NULL;
    sl->writes = writes;
    sl->reads = reads;
    sl->last_ms = uv_now(loop);
    uv_timer_init(loop, &sl->timer);
    sl->timer.data = sl;
    uv_timer_start(&sl->timer, on_tick, CHECK_MS, CHECK_MS);
    return sl;
}

static void on_timer_closed(uv_handle_t *handle)
{
    fq_search_lists *sl = handle->data;
    sl->timer_closed = 1;
    maybe_free(sl);
}

void fq_search_lists_close(fq_search_lists *sl)
{
    if (sl == NULL)
        return;
    sl->closing = 1;
    uv_close((uv_handle_t *)&sl->timer, on_timer_closed);
}

const fq_search_lists_stats *fq_search_lists_get_stats(const fq_search_lists *sl)
{
    return &sl->stats;
}
