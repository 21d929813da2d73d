/* dispatch_int: what the parts of the dispatch layer share (dispatch.c:
 * reports, deadlines, presence, the server's own writes; dispatch_load.c:
 * the stored open incidents taken in, carried across reloads, a standby's
 * catch-up; dispatch_act.c: terminals' actions and operators' commands
 * applied). Private to them: the state, and the few steps each part takes
 * on it. The decisions themselves are core's (caseplan.h): these apply
 * them — capacity, the deadline timer, the writes. */
#ifndef FQ_DISPATCH_INT_H
#define FQ_DISPATCH_INT_H

#include "case_rows.h"
#include "dispatch.h"
#include "fq_wire.h"
#include "waves.h"

#include <stdint.h>
#include <uv.h>

struct fq_dispatch {
    uv_loop_t *loop;
    fq_store *store;
    fq_dispatch_config config;
    fq_snapshot *current;
    fq_caseload *cases;
    fq_dedup *dedup;
    fq_ticket *pending;        /* uthash by provisional id: decided, not yet committed */
    uint64_t next_provisional; /* the last provisional id handed out, without the bit */
    /* The next routing decision's nonce: odd, from a random start, then
     * counted up by two (below 2^62 decisions nothing repeats). A nonce
     * needs to be unique among this server's decisions, not unpredictable
     * (only the server writes): a counter spares every report a getrandom
     * system call (1.6 us on the benchmark machine). */
    uint64_t next_nonce;
    fq_deadlines *deadlines;
    uv_timer_t timer; /* the one timer of all deadlines */
    fq_waves *waves;  /* the server's own writes, in the order decided */
    fq_outbox_sink_fn sink;
    void *sink_user;
    char **absent; /* workers whose terminals went silent */
    size_t n_absent;
    fq_deadline *due; /* scratch for one turn's due deadlines */
    uint64_t *moving; /* scratch: cases whose worker went off duty */
    size_t n_moving, cap_moving;
    int stopped;
    /* A standby's (fq_dispatch_set_passive): its deadlines are kept but not
     * armed, and it writes nothing of its own. */
    int passive;
    int open_loaded; /* the stored open incidents are in the caseload */
    /* The snapshot the chunks of the open incidents are being taken in with
     * (fq_dispatch_open_rows), until it is installed. */
    fq_snapshot *loading;
    size_t open_room;          /* cases the tables were last made room for */
    size_t open_expected;      /* fq_dispatch_open_expected */
    struct prefault *prefault; /* faulting the load's memory in ahead, or NULL */
    fq_dispatch_stats stats;
};

#define ALL_LIMITS ((1u << FQ_CASE_DEADLINES) - 1)
#define CONCLUDE_LIMITS                                                                            \
    ((1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1)) | (1u << (FQ_DEADLINE_CONCLUDE_DUE - 1)))

static inline const fq_org *fq_dispatch__org(const fq_snapshot *s)
{
    return fq_directory_org(s->directory);
}

static inline int64_t fq_dispatch__wall_ms(void)
{
    return fq_now_ms();
}

/* The clock the deadlines run on: monotonic (libuv's loop time, the clock
 * its timers use), so that a step of the wall clock neither fires a limit
 * early nor holds it back. Limits are decided and recorded in wall-clock
 * time; fq_case_new_limits maps them at the moment they are set. */
static inline int64_t fq_dispatch__mono_ms(const fq_dispatch *d)
{
    return (int64_t)uv_now(d->loop);
}

/* The last reporting node looked up, and its jurisdiction: most incidents
 * come from a few reporting nodes, so the previous row's answer is usually
 * this row's. Its name points into the result being read: one per result. */
typedef struct reporter_cache {
    const char *node;
    int32_t jurisdiction;
} reporter_cache;

/* dispatch.c */
/* An assigned decision as the statements write it: ids, not indices of
 * this snapshot (the write may go out after a reload). */
void fq_dispatch__format_decision(const fq_snapshot *snap, const fq_decision *dec,
                                  fq_route_params *x);
/* The set's statement parameters; out of memory the set is emptied (the
 * event is written without items). */
void fq_dispatch__outbox_params(fq_outbox_set *set);
/* Committed items (as the statement wrote them: store.h op->written) to
 * the terminals. */
void fq_dispatch__deliver(fq_dispatch *d, const fq_outbox_set *set,
                          const fq_outbox_written *written, uint64_t incident_id);
void fq_dispatch__new_limits(fq_dispatch *d, fq_case *c, unsigned kinds);
void fq_dispatch__schedule_deadlines(fq_dispatch *d, fq_case *c);
void fq_dispatch__rearm(fq_dispatch *d);
/* `limit`: the limit that passed (FQ_PLAN_BREACHED_*), or 0; `reason_code`:
 * why, for machines (FQ_REASON_*). */
void fq_dispatch__escalate(fq_dispatch *d, fq_case *c, const char *why, int limit,
                           const char *reason_code);
void fq_dispatch__move_on(fq_dispatch *d, fq_case *c, const char *why);

/* dispatch_load.c */
/* Re-expresses a request and decision of one snapshot in another's indices
 * (ids are stable; indices are not). */
void fq_dispatch__translate(const fq_snapshot *from, const fq_snapshot *to, fq_route_request *req,
                            fq_decision *dec);
/* A stored case (case_rows.h) into a case of `snap`; -1 when it cannot be
 * one here. */
int fq_dispatch__case_from_row(const fq_snapshot *snap, const fq_case_row *row, fq_case *c,
                               reporter_cache *reporter);
fq_dedup *fq_dispatch__new_dedup(const fq_dispatch_config *config, char *err, size_t err_len);
/* Stops faulting the load's memory in ahead (the tables are about to
 * change hands or be freed). */
void fq_dispatch__prefault_stop(fq_dispatch *d);

#endif
