/* dispatch_load: the stored open incidents taken into the caseload as
 * they stream at start (their deadlines and duplicate index with them, the
 * memory faulted in ahead), carried over to each new snapshot's indices at
 * a reload, and a standby's catch-up of what changed since its last point. */
#include "dispatch_int.h"

#include "catchup.h"
#include "log.h"
#include "mediation.h"
#include "statements.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- install ---- */

static int32_t unit_in(const fq_org *from, const fq_org *to, int32_t unit)
{
    return unit >= 0 ? fq_org_find(to, fq_org_id(from, unit)) : -1;
}

static int32_t worker_in(const fq_routing *from, const fq_routing *to, int32_t w)
{
    return w >= 0 ? fq_roster_find_worker(to->roster, fq_roster_worker_id(from->roster, w)) : -1;
}

static int32_t handler_in(const fq_routing *from, const fq_routing *to, int32_t h)
{
    return h >= 0 ? fq_roster_find_handler(to->roster, fq_roster_handler_id(from->roster, h)) : -1;
}

/* Re-expresses a request and decision of one snapshot in another's indices
 * (ids are stable; indices are not). Category by code. */
void fq_dispatch__translate(const fq_snapshot *from, const fq_snapshot *to, fq_route_request *req,
                            fq_decision *dec)
{
    const fq_org *fo = fq_dispatch__org(from), *tor = fq_dispatch__org(to);
    const fq_routing *fr = from->routing, *tr = to->routing;
    req->category = fq_taxonomy_find(tr->taxonomy, fq_taxonomy_code(fr->taxonomy, req->category));
    req->place = unit_in(fo, tor, req->place);
    req->fallback_place = unit_in(fo, tor, req->fallback_place);
    int n = 0;
    for (int i = 0; i < req->n_excluded; i++) {
        int32_t w = worker_in(fr, tr, req->excluded[i]);
        if (w >= 0)
            req->excluded[n++] = w;
    }
    req->n_excluded = n;
    dec->grid = unit_in(fo, tor, dec->grid);
    dec->village = unit_in(fo, tor, dec->village);
    dec->town = unit_in(fo, tor, dec->town);
    dec->district = unit_in(fo, tor, dec->district);
    dec->lead = handler_in(fr, tr, dec->lead);
    dec->worker = worker_in(fr, tr, dec->worker);
    int m = 0;
    for (int i = 0; i < dec->n_co; i++) {
        int32_t h = handler_in(fr, tr, dec->co[i]);
        if (h >= 0)
            dec->co[m++] = h;
    }
    dec->n_co = (uint8_t)m;
}

/* A stored case (case_rows.h) into a case of `snap`: its routing request
 * and its decision as stored (limits as stored, not yet adjusted). -1 when
 * the row cannot be a case here (a category or tier this snapshot does not
 * know). */
int fq_dispatch__case_from_row(const fq_snapshot *snap, const fq_case_row *row, fq_case *c,
                               reporter_cache *reporter)
{
    const fq_routing *r = snap->routing;
    const fq_org *org = fq_dispatch__org(snap);
    fq_route_request *req = &c->request;
    fq_route_request_init(req);
    req->category = fq_taxonomy_find(r->taxonomy, row->category);
    req->severity = row->severity;
    req->risk = row->risk;
    req->place = row->place_unit[0] != '\0' ? fq_org_find(org, row->place_unit) : -1;
    req->has_location = row->has_location;
    req->lon = row->lon;
    req->lat = row->lat;
    if (reporter->node == NULL || strcmp(row->reporter_node, reporter->node) != 0) {
        const fq_node *node = fq_directory_find(snap->directory, row->reporter_node);
        reporter->node = row->reporter_node;
        reporter->jurisdiction = node ? node->jurisdiction : -1;
    }
    req->fallback_place = reporter->jurisdiction;
    fq_decision *dec = &c->decision;
    memset(dec, 0, sizeof *dec);
    dec->status = FQ_ROUTE_ASSIGNED;
    dec->tier = (uint8_t)row->tier;
    dec->line = (uint8_t)row->line;
    int32_t territory = row->territory[0] != '\0' ? fq_org_find(org, row->territory) : -1;
    dec->grid = dec->village = dec->town = dec->district = -1;
    for (int32_t u = territory; u >= 0; u = fq_org_parent(org, u)) {
        fq_unit_kind kind = fq_org_kind(org, u);
        *(kind == FQ_UNIT_GRID      ? &dec->grid
          : kind == FQ_UNIT_VILLAGE ? &dec->village
          : kind == FQ_UNIT_TOWN    ? &dec->town
                                    : &dec->district) = u;
    }
    /* At village tier the lead is the village's unit (not sent). */
    dec->lead = row->lead[0] != '\0' ? fq_roster_find_handler(r->roster, row->lead)
                : dec->village >= 0  ? fq_roster_village(r->roster, dec->village)
                                     : -1;
    dec->worker = row->worker[0] != '\0' ? fq_roster_find_worker(r->roster, row->worker) : -1;
    for (int i = 0; i < row->n_co && dec->n_co < FQ_ROUTE_MAX_CO; i++) {
        int32_t h = fq_roster_find_handler(r->roster, row->co[i]);
        if (h >= 0)
            dec->co[dec->n_co++] = h;
    }
    const char *assignment = row->assignment;
    c->assignment = strcmp(assignment, "acknowledged") == 0 ? FQ_ASSIGNMENT_ACKNOWLEDGED
                    : strcmp(assignment, "extension_requested") == 0
                        ? FQ_ASSIGNMENT_EXTENSION_REQUESTED
                    : strcmp(assignment, "returned") == 0 ? FQ_ASSIGNMENT_RETURNED
                                                          : FQ_ASSIGNMENT_ASSIGNED;
    c->extension_ms = row->extension_ms;
    dec->ack_warn_ms = row->ack_warn_ms;
    dec->ack_due_ms = row->ack_due_ms;
    dec->conclude_warn_ms = row->conclude_warn_ms;
    dec->conclude_due_ms = row->conclude_due_ms;
    c->escalations = (uint8_t)row->escalations;
    /* Reported at: the time limits of a re-decision count from it. */
    req->now_ms = row->recorded_ms;
    /* When it happened (never after intake): the duplicate window counts
     * from it. */
    c->incident_at_ms = row->incident_at_ms != 0 ? row->incident_at_ms : req->now_ms;
    /* The basis its limits were computed in: extensions, pauses and
     * re-decisions keep counting the same way. */
    dec->working_time = row->working_time != 0;
    c->suspended_ms = row->suspended_ms;
    /* The tiers it climbed stand until the next re-decision: an approved
     * extension or a resumption writes the decision back with them. */
    dec->climbed = (uint8_t)row->climbed;
    c->mediation = (uint8_t)fq_mediation_state_parse(row->mediation);
    return req->category >= 0 && dec->tier >= FQ_TIER_VILLAGE && dec->tier <= FQ_TIER_DISTRICT ? 0
                                                                                               : -1;
}

/* A stored open case (a row of the open incidents, or a standby's
 * catch-up) into the caseload, with its deadlines and its place in the
 * duplicate index, as `snap` names things; the deadline timer is not
 * re-armed. NULL when it cannot be a case here (or out of memory, or it is
 * in already). */
static fq_case *take_in_case(fq_dispatch *d, const fq_snapshot *snap, const fq_case_row *row,
                             int64_t now, int64_t mono, reporter_cache *reporter)
{
    fq_case *c = fq_caseload_add(d->cases, row->id);
    if (c == NULL)
        return NULL;
    if (fq_dispatch__case_from_row(snap, row, c, reporter) != 0) {
        fq_caseload_remove(d->cases, row->id);
        return NULL;
    }
    fq_route_request *req = &c->request;
    fq_decision *dec = &c->decision;
    fq_case_new_limits(c, now, mono, ALL_LIMITS);
    /* Breaches on record (this holder's: a re-decision clears them) are
     * not fired again, nor their warnings; warnings already behind us
     * are not repeated after a restart. */
    const int breached = row->breached;
    /* A suspended case's clocks stopped when it was suspended: a warning
     * still ahead then is still to come after its resumption. */
    const int64_t passed = c->suspended_ms != 0 ? c->suspended_ms : now;
    if (breached & 1 || dec->ack_warn_ms <= passed)
        c->fired |= 1u << (FQ_DEADLINE_ACK_WARNING - 1);
    if (breached & 1)
        c->fired |= 1u << (FQ_DEADLINE_ACK_DUE - 1);
    if (breached & 2 || dec->conclude_warn_ms <= passed)
        c->fired |= 1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1);
    if (breached & 2)
        c->fired |= 1u << (FQ_DEADLINE_CONCLUDE_DUE - 1);
    /* fq_case_schedule for a new case (none to cancel), without
     * re-arming the timer per row: fq_dispatch_install arms it once. */
    c->supervision_ms = row->supervision_ms;
    fq_case_schedule(c, d->deadlines);
    fq_dedup_add(d->dedup, row->id, req->category, req->has_location, req->lon, req->lat,
                 fq_items_territory(dec), dec->town, c->incident_at_ms);
    return c;
}

/* ---- the open incidents' memory, faulted in ahead ----
 *
 * A million open cases are ~0.5 GB of fresh memory, and on the machines
 * measured the kernel spent about as long allocating and zeroing its pages
 * (at the first write of each) as the loop spent filling them: ~40 % of
 * the server's CPU to ready, all of it on the loop. Once the tables are
 * sized for the load, a thread of libuv's pool faults in (fq_populate)
 * what the load will write, a slice of every table at a time in the order
 * the loop fills them, so that the loop finds its pages ready while
 * PostgreSQL and the loader keep the other core busy. The thread only asks
 * the kernel for pages by address: it reads and writes nothing of the
 * domain state, which stays the loop's alone. Where the loop catches up,
 * it faults its pages itself as before; nothing depends on the thread. */
#define PREFETCH_AHEAD 8
#define PREFAULT_SPANS 64
#define PREFAULT_SLICES 128

typedef struct prefault {
    uv_work_t work;
    atomic_int stop; /* the dispatch is done with the memory: stop at once */
    fq_dispatch *d;  /* NULL once detached (fq_dispatch_free) */
    fq_span spans[PREFAULT_SPANS];
    size_t n;
} prefault;

static void prefault_run(uv_work_t *work)
{
    prefault *pf = work->data;
    for (size_t slice = 0; slice < PREFAULT_SLICES; slice++) {
        for (size_t i = 0; i < pf->n; i++) {
            if (atomic_load_explicit(&pf->stop, memory_order_relaxed))
                return;
            size_t a = pf->spans[i].size * slice / PREFAULT_SLICES;
            size_t b = pf->spans[i].size * (slice + 1) / PREFAULT_SLICES;
            if (b > a && fq_populate((char *)pf->spans[i].p + a, b - a) != 0 && slice == 0)
                return; /* not supported: the loop faults its pages as before */
        }
    }
}

static void prefault_done(uv_work_t *work, int status)
{
    (void)status;
    prefault *pf = work->data;
    if (pf->d != NULL)
        pf->d->prefault = NULL;
    free(pf);
}

/* Stops the thread (the memory is about to change hands): it finishes the
 * range it is at and frees itself on the loop. */
void fq_dispatch__prefault_stop(fq_dispatch *d)
{
    if (d->prefault == NULL)
        return;
    atomic_store(&d->prefault->stop, 1);
    d->prefault->d = NULL;
    d->prefault = NULL;
}

/* The next n adds' fresh memory in the caseload, the deadlines and the
 * duplicate index (sized for them already), faulted in on the pool. */
static void prefault_start(fq_dispatch *d, size_t n)
{
    if (d->prefault != NULL || n < FQ_OPEN_CHUNK_ROWS)
        return;
    prefault *pf = calloc(1, sizeof *pf);
    if (pf == NULL)
        return;
    pf->n = fq_caseload_ahead(d->cases, n, pf->spans, PREFAULT_SPANS - 7);
    pf->n += fq_deadlines_ahead(d->deadlines, n, pf->spans + pf->n);
    pf->n += fq_dedup_ahead(d->dedup, n, pf->spans + pf->n);
    atomic_init(&pf->stop, 0);
    pf->d = d;
    pf->work.data = pf;
    if (uv_queue_work(d->timer.loop, &pf->work, prefault_run, prefault_done) != 0) {
        free(pf);
        return;
    }
    d->prefault = pf;
}

/* A chunk of the open incidents as stored: their cases, deadlines and
 * duplicate index, as `snap` names things. Deadlines that passed while the
 * server was down fire at once, in order, once the snapshot is installed
 * (the timer is armed then). */
static void load_open_chunk(fq_dispatch *d, const fq_snapshot *snap, const fq_case_row *open,
                            size_t rows)
{
    /* Once per chunk, not per row. The stored limits are wall-clock times:
     * the wall clock now is the only reference there is for them (a step of
     * it while the server was down moves them all alike). */
    const int64_t now = fq_dispatch__wall_ms(), mono = fq_dispatch__mono_ms(d);
    /* Room before the rows, once for all of them when the load says how
     * many to expect (with a margin: the statistics lag behind): no table
     * then grows by doubling (a copy of all it holds, and its pages touched
     * twice). Without that, or past it, room for twice what is held. The
     * caseload is asked for each chunk besides: its index grows by doubling
     * (a power of two, filled when made: never sized for the margin) and
     * its slabs as they fill. The duplicate index and the deadlines grow by
     * exactly what they are asked for; one pending deadline a case
     * (caseload.h; room never used is address space only, not memory). Failure is
     * not fatal: the adds grow as needed. */
    size_t count = fq_caseload_count(d->cases);
    const size_t expected = d->open_expected;
    if (count == 0) {
        if (expected > 0)
            (void)fq_caseload_reserve(d->cases, expected);
        /* Nothing reads the deadlines before the install: they are put in
         * order once, then (fq_deadlines_defer). */
        fq_deadlines_defer(d->deadlines);
    }
    (void)fq_caseload_reserve(d->cases, rows);
    if (count + rows > d->open_room) {
        size_t room = 2 * (count + rows);
        room = room < 65536 ? 65536 : room;
        if (count == 0 && expected >= rows)
            room = expected + expected / 16 + FQ_OPEN_CHUNK_ROWS;
        (void)fq_dedup_reserve(d->dedup, room - count);
        (void)fq_deadlines_reserve(d->deadlines, fq_deadlines_count(d->deadlines) + room - count);
        d->open_room = room;
    }
    if (count == 0 && expected > rows)
        prefault_start(d, expected);
    reporter_cache reporter = {NULL, -1};
    for (size_t i = 0; i < rows; i++) {
        /* The two index entries a few rows on are fetched while this one
         * is taken in: random places in tables of tens of MB, a cache miss
         * each, most of what an add cost. */
        if (i + PREFETCH_AHEAD < rows) {
            fq_caseload_prefetch(d->cases, open[i + PREFETCH_AHEAD].id);
            fq_dedup_prefetch(d->dedup, open[i + PREFETCH_AHEAD].id);
        }
        (void)take_in_case(d, snap, &open[i], now, mono, &reporter);
    }
}

static void collect_off_duty(fq_case *c, void *user)
{
    fq_dispatch *d = user;
    const fq_routing *r = d->current->routing;
    /* A suspended case stays with its holder: only an operator moves it. */
    if (c->decision.worker < 0 || c->busy || c->suspended_ms != 0 ||
        fq_roster_worker_const(r->roster, c->decision.worker)->on_duty)
        return;
    if (d->n_moving == d->cap_moving) {
        size_t cap = d->cap_moving ? d->cap_moving * 2 : 64;
        uint64_t *grown = realloc(d->moving, cap * sizeof *grown);
        if (grown == NULL)
            return; /* they move at their next deadline instead */
        d->moving = grown;
        d->cap_moving = cap;
    }
    d->moving[d->n_moving++] = c->incident_id;
}

typedef struct carry_over {
    const fq_snapshot *from, *to;
    fq_dedup *dedup;
} carry_over;

static void carry_case(fq_case *c, void *user)
{
    carry_over *carry = user;
    fq_dispatch__translate(carry->from, carry->to, &c->request, &c->decision);
    if (carry->dedup != NULL && c->request.category >= 0)
        fq_dedup_add(carry->dedup, c->incident_id, c->request.category, c->request.has_location,
                     c->request.lon, c->request.lat, fq_items_territory(&c->decision),
                     c->decision.town, c->incident_at_ms);
}

/* An incident decided on `t->snapshot` and not yet committed, indexed for
 * duplicates under its provisional id in the terms of `to`. */
static void index_pending(fq_dedup *dedup, const fq_ticket *t, const fq_snapshot *to)
{
    fq_route_request req = t->request;
    fq_decision dec = t->decision;
    if (t->snapshot != to)
        fq_dispatch__translate(t->snapshot, to, &req, &dec);
    if (req.category >= 0)
        fq_dedup_add(dedup, t->provisional, req.category, req.has_location, req.lon, req.lat,
                     fq_items_territory(&dec), dec.town, t->incident_at_ms);
}

fq_dedup *fq_dispatch__new_dedup(const fq_dispatch_config *config, char *err, size_t err_len)
{
    fq_dedup_config dc = {.distance_m = config->dedup_distance_m,
                          .window_ms = config->dedup_window_ms,
                          .reference_lat = 30.0,
                          .max_backdate_ms = FQ_DEDUP_DEFAULT_BACKDATE_MS};
    return fq_dedup_new(&dc, err, err_len);
}

/* Drops whatever the chunks of an unfinished open load brought: nothing
 * else is in the caseload before the first install with a routing state. */
static void void_open_load(fq_dispatch *d)
{
    if (d->loading == NULL)
        return;
    fq_snapshot_unref(d->loading);
    d->loading = NULL;
    char err[128];
    fq_caseload *cases = fq_caseload_new();
    fq_dedup *dedup = fq_dispatch__new_dedup(&d->config, err, sizeof err);
    fq_deadlines *deadlines = fq_deadlines_new(1024);
    if (cases == NULL || dedup == NULL || deadlines == NULL) {
        /* Out of memory: keep the old ones emptied case by case instead. */
        fq_caseload_free(cases);
        fq_dedup_free(dedup);
        fq_deadlines_free(deadlines);
        fq_log(FQ_LOG_ERROR, "dispatch", "out of memory voiding a failed load");
        abort(); /* the caseload would disagree with the database */
    }
    fq_dispatch__prefault_stop(d);
    fq_caseload_free(d->cases);
    fq_dedup_free(d->dedup);
    fq_deadlines_free(d->deadlines);
    d->cases = cases;
    d->dedup = dedup;
    d->deadlines = deadlines;
    d->open_room = 0;
}

void fq_dispatch_open_expected(fq_dispatch *d, size_t n)
{
    d->open_expected = n;
}

void fq_dispatch_open_rows(fq_dispatch *d, fq_snapshot *snap, const fq_case_row *rows, size_t n)
{
    if (rows == NULL) {
        void_open_load(d);
        return;
    }
    if (d->open_loaded || snap == NULL || snap->routing == NULL)
        return;
    if (d->loading != snap) {
        void_open_load(d); /* another load's chunks, never finished */
        fq_snapshot_ref(snap);
        d->loading = snap;
    }
    load_open_chunk(d, snap, rows, n);
}

/* A worker who went off duty keeps nothing: their cases move up (not on a
 * standby: the serving server does it, and a standby does it when it
 * takes over). */
static void move_off_duty(fq_dispatch *d)
{
    if (d->passive)
        return;
    fq_caseload_foreach(d->cases, collect_off_duty, d);
    for (size_t i = 0; i < d->n_moving; i++) {
        fq_case *c = fq_caseload_find(d->cases, d->moving[i]);
        if (c != NULL)
            fq_dispatch__escalate(d, c, "the handler went off duty", 0, FQ_REASON_OFF_DUTY);
    }
    d->n_moving = 0;
}

int fq_dispatch_install(fq_dispatch *d, fq_snapshot *snap)
{
    fq_snapshot *old = d->current;
    fq_snapshot_ref(snap);
    d->current = snap;
    if (snap->routing == NULL) {
        fq_snapshot_unref(old);
        return d->open_loaded;
    }
    if (old == NULL || old->routing == NULL) {
        if (d->loading == snap && !d->open_loaded) {
            d->open_loaded = 1;
            fq_dispatch__prefault_stop(d); /* done by now, or the estimate was high */
            fq_snapshot_unref(d->loading);
            d->loading = NULL;
            /* The duplicate index's expiry, loaded in bulk, is put in order
             * now rather than by the first report (fq_dedup_reserve): an
             * expiry as of 1970 drops nothing, only orders. */
            (void)fq_dedup_expire(d->dedup, 0, 1);
#ifdef __GLIBC__
            /* The load's transient memory (libpq's chunks, the tables'
             * growth) went back to malloc in pieces that glibc keeps:
             * give the free pages back, so that what stays resident is
             * the state, not the load's peak. */
            malloc_trim(0);
#endif
        } else {
            void_open_load(d); /* read with another snapshot: read again */
        }
    } else {
        /* Carry every open case over to the new indices. The duplicate
         * index keys by unit index too: rebuild it. */
        char err[128];
        fq_dedup *fresh = fq_dispatch__new_dedup(&d->config, err, sizeof err);
        carry_over carry = {old, snap, fresh};
        fq_caseload_foreach(d->cases, carry_case, &carry);
        /* Decided but not yet committed: still matchable after the reload. */
        for (fq_ticket *p = d->pending; fresh != NULL && p != NULL; p = p->hh.next)
            index_pending(fresh, p, snap);
        if (fresh != NULL) {
            fq_dispatch__prefault_stop(d);
            fq_dedup_free(d->dedup);
            d->dedup = fresh;
        }
    }
    fq_snapshot_unref(old);
    /* Workers whose terminals are silent stay off duty across reloads. */
    for (size_t i = 0; i < d->n_absent; i++) {
        int32_t w = fq_roster_find_worker(snap->routing->roster, d->absent[i]);
        if (w >= 0)
            fq_roster_worker(snap->routing->roster, w)->absent = 1;
    }
    move_off_duty(d);
    fq_dispatch__rearm(d);
    return d->open_loaded;
}

/* ---- a standby (docs/operations.md, "A standby") ---- */

void fq_dispatch_set_passive(fq_dispatch *d, int passive)
{
    if (d->passive == passive)
        return;
    d->passive = passive;
    if (passive) {
        fq_dispatch__rearm(d); /* stops the timer */
        return;
    }
    /* Serving from now on: what the serving server would have done at the
     * last reload, and every deadline that fell due meanwhile, in order. */
    if (d->current != NULL && d->current->routing != NULL)
        move_off_duty(d);
    fq_dispatch__rearm(d);
}

int fq_dispatch_passive(const fq_dispatch *d)
{
    return d->passive;
}

/* The case leaves the caseload as it does when it closes, its worker's
 * load released only when `release` (a routing state read before the
 * change counted it). */
static void drop_case(fq_dispatch *d, fq_case *c, int release)
{
    if (release && d->current != NULL && d->current->routing != NULL)
        fq_route_release(d->current->routing->router, &c->decision);
    fq_case_unschedule(c, d->deadlines);
    fq_dedup_remove(d->dedup, c->incident_id);
    fq_caseload_remove(d->cases, c->incident_id);
}

int fq_dispatch_catch_up(fq_dispatch *d, const PGresult *touched, int fresh_directory,
                         fq_dispatch_catch_up_counts *out)
{
    memset(out, 0, sizeof *out);
    fq_snapshot *snap = d->current;
    if (!d->open_loaded || snap == NULL || snap->routing == NULL)
        return -1;
    const int64_t now = fq_dispatch__wall_ms(), mono = fq_dispatch__mono_ms(d);
    const fq_routing *r = snap->routing;
    reporter_cache reporter = {NULL, -1};
    fq_case_row row;
    for (int i = 0; i < PQntuples(touched); i++) {
        if (fq_case_row_decode(touched, i, &row) != 0) {
            out->undecodable++;
            continue;
        }
        const int open = strcmp(fq_reopen_row_state(touched, i), "assigned") == 0;
        fq_case *had = fq_caseload_find(d->cases, row.id);
        const fq_catch_up_step step = fq_catch_up_step_for(had != NULL, open, fresh_directory);
        if (step.drop)
            drop_case(d, had, step.release_worker);
        fq_case *c = step.take_in ? take_in_case(d, snap, &row, now, mono, &reporter) : NULL;
        if (step.take_in && c == NULL) {
            out->dropped++;
            continue;
        }
        out->added += step.outcome == FQ_CATCH_UP_ADDED;
        out->replaced += step.outcome == FQ_CATCH_UP_REPLACED;
        out->removed += step.outcome == FQ_CATCH_UP_REMOVED;
        if (step.count_worker && c->decision.worker >= 0) {
            fq_worker *w = fq_roster_worker(r->roster, c->decision.worker);
            if (w->load < UINT16_MAX)
                w->load++;
        }
    }
    fq_dispatch__rearm(d);
    return 0;
}

fq_snapshot *fq_dispatch_current(fq_dispatch *d)
{
    return d->current;
}

const char *fq_dispatch_time_zone(fq_dispatch *d, const char *node_id, char *buf, size_t len)
{
    const fq_snapshot *snap = d != NULL ? d->current : NULL;
    const fq_node *node = snap != NULL ? fq_directory_find(snap->directory, node_id) : NULL;
    return fq_routing_time_zone(snap != NULL ? snap->routing : NULL,
                                node != NULL ? node->jurisdiction : -1, buf, len);
}
