#include "replay.h"

#include "deadlines.h"
#include "errbuf.h"

#include <stdlib.h>
#include <string.h>

#define RELEASE_BATCH 256

struct fq_replay {
    fq_router *router;
    fq_roster *roster;
    fq_deadlines *heap; /* pending releases: due = release time, key = worker */
    size_t n_handlers;
    fq_replay_unit *units; /* n_handlers + 1 */
    fq_deadline due[RELEASE_BATCH];
};

fq_replay *fq_replay_new(fq_router *router, fq_roster *roster, size_t capacity, char *err,
                         size_t err_len)
{
    fq_replay *rp = calloc(1, sizeof *rp);
    if (rp == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    rp->router = router;
    rp->roster = roster;
    rp->n_handlers = fq_roster_handler_count(roster);
    rp->heap = fq_deadlines_new(capacity);
    rp->units = calloc(rp->n_handlers + 1, sizeof *rp->units);
    if (rp->heap == NULL || rp->units == NULL) {
        fq_replay_free(rp);
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    return rp;
}

void fq_replay_free(fq_replay *rp)
{
    if (rp == NULL)
        return;
    fq_deadlines_free(rp->heap);
    free(rp->units);
    free(rp);
}

/* Releases every pending assignment due at or before now, earliest first. */
static void release_due(fq_replay *rp, int64_t now)
{
    fq_decision held;
    memset(&held, 0, sizeof held);
    held.status = FQ_ROUTE_ASSIGNED;
    while (fq_deadlines_next_due(rp->heap) <= now) {
        size_t k = fq_deadlines_pop_due(rp->heap, now, rp->due, RELEASE_BATCH);
        for (size_t i = 0; i < k; i++) {
            held.worker = (int32_t)rp->due[i].key;
            fq_route_release(rp->router, &held);
        }
    }
}

static void reset(fq_replay *rp)
{
    size_t n_workers = fq_roster_worker_count(rp->roster);
    for (size_t w = 0; w < n_workers; w++)
        fq_roster_worker(rp->roster, (int32_t)w)->load = 0;
    /* Whatever the last run left pending. */
    while (fq_deadlines_count(rp->heap) > 0)
        fq_deadlines_pop_due(rp->heap, INT64_MAX, rp->due, RELEASE_BATCH);
    memset(rp->units, 0, (rp->n_handlers + 1) * sizeof *rp->units);
}

int fq_replay_run(fq_replay *rp, const fq_replay_incident *incidents, size_t n, int64_t horizon_ms,
                  fq_replay_stats *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    reset(rp);
    out->n_units = rp->n_handlers + 1;
    out->units = rp->units;

    fq_route_request req;
    fq_route_request_init(&req);
    const int32_t n_handlers = (int32_t)rp->n_handlers;
    int64_t previous = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const fq_replay_incident *inc = &incidents[i];
        if (inc->reported_ms < previous)
            return fq_errf(err, err_len, "incident %zu: reported before the one ahead of it", i);
        previous = inc->reported_ms;
        release_due(rp, inc->reported_ms);

        req.category = inc->category;
        req.severity = inc->severity;
        req.risk = inc->risk;
        req.place = inc->place;
        req.has_location = inc->has_location;
        req.lon = inc->lon;
        req.lat = inc->lat;
        req.fallback_place = inc->fallback_place;
        req.now_ms = inc->reported_ms;
        fq_decision d;
        fq_route(rp->router, &req, &d);

        out->incidents++;
        unsigned rt = inc->recorded_tier <= FQ_TIER_DISTRICT ? inc->recorded_tier : 0;
        out->recorded_tier[rt]++;
        if (inc->recorded_lead >= 0 && inc->recorded_lead < n_handlers)
            rp->units[inc->recorded_lead].recorded++;
        out->recorded_escalations += inc->recorded_escalations;
        out->recorded_escalated += inc->recorded_escalations > 0;
        out->ack_known += inc->ack_ms != 0;
        out->concluded_known += inc->concluded_ms != 0;

        if (d.status != FQ_ROUTE_ASSIGNED) {
            out->whatif_tier[0]++;
            out->transitions[rt][0]++;
            continue;
        }
        unsigned wt = d.tier;
        out->whatif_tier[wt]++;
        out->transitions[rt][wt]++;
        if (rt != 0) {
            int tier = wt != rt, line = d.line != inc->recorded_line,
                lead = d.lead != inc->recorded_lead;
            out->changed_tier += (uint64_t)tier;
            out->changed_line += (uint64_t)line;
            out->changed_lead += (uint64_t)lead;
            out->changed += (uint64_t)(tier | line | lead);
            out->moved_up += wt > rt;
            out->moved_down += wt < rt;
        }

        /* Held until the recorded conclusion, else until the what-if limit. */
        fq_route_apply(rp->router, &d);
        if (d.worker >= 0) {
            int64_t until = inc->concluded_ms != 0 ? inc->concluded_ms : d.conclude_due_ms;
            if (until < inc->reported_ms)
                until = inc->reported_ms;
            if (fq_deadlines_add(rp->heap, until, (uint64_t)d.worker, 0) == 0)
                return fq_errf(err, err_len, "out of memory");
        }

        fq_replay_unit *u = &rp->units[d.lead >= 0 && d.lead < n_handlers ? d.lead : n_handlers];
        u->cases++;
        int missed;
        if (inc->ack_ms != 0) {
            missed = inc->ack_ms > d.ack_due_ms;
        } else {
            missed = d.ack_due_ms <= horizon_ms;
            out->ack_pending += !missed;
        }
        if (missed) {
            if (wt < FQ_TIER_DISTRICT)
                out->predicted_escalations++;
            else
                out->predicted_breaches++;
            u->escalations++;
        }
        if (inc->concluded_ms == 0) {
            out->unknown++;
            u->unknown++;
        } else if (inc->concluded_ms <= d.conclude_due_ms) {
            out->on_time++;
            u->on_time++;
        } else {
            out->late++;
            u->late++;
        }
    }
    return 0;
}
