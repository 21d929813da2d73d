#include "dispatch.h"

#include "fq_wire.h"
#include "statements.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_INTERVAL_MS 1000

/* A write of the server's own (escalation, warning) on its way to the store. */
typedef struct sysop {
    fq_store_op op;
    fq_dispatch *dispatch;
    struct sysop *next_retry;
    char id[24], kind[32], reason[256], nonce[24];
    fq_decision_texts texts;
    uint8_t outcome[FQ_STORE_MAX_OUTCOME];
    size_t outcome_len;
} sysop;

struct fq_dispatch {
    uv_loop_t *loop;
    fq_store *store;
    fq_dispatch_config config;
    fq_snapshot *current;
    fq_caseload *cases;
    fq_dedup *dedup;
    fq_deadlines *deadlines;
    uv_timer_t timer;       /* the one timer of all deadlines */
    uv_timer_t retry_timer; /* resubmits the server's own writes that did not commit */
    sysop *retry_head;
    fq_deadline *due; /* scratch for one turn's due deadlines */
    uint64_t *moving; /* scratch: cases whose worker went off duty */
    size_t n_moving, cap_moving;
    int stopped;
    int open_loaded; /* the stored open incidents are in the caseload */
    fq_dispatch_stats stats;
};

/* ---- snapshots ---- */

fq_snapshot *fq_snapshot_new(fq_directory *directory, fq_routing *routing)
{
    fq_snapshot *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->directory = directory;
    s->routing = routing;
    s->refs = 1;
    return s;
}

void fq_snapshot_ref(fq_snapshot *s)
{
    s->refs++;
}

void fq_snapshot_unref(fq_snapshot *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    fq_routing_free(s->routing);
    fq_directory_free(s->directory);
    free(s);
}

static const fq_org *org_of(const fq_snapshot *s)
{
    return fq_directory_org(s->directory);
}

/* ---- texts for the statements ---- */

static int64_t wall_ms(void)
{
    return fq_now_ms();
}

static void format_ms(char *buf, size_t len, int64_t ms)
{
    snprintf(buf, len, "%" PRId64, ms);
}

static void format_time(char *buf, size_t len, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The most specific unit the incident was placed in. */
static int32_t territory_of(const fq_decision *dec)
{
    return dec->grid >= 0      ? dec->grid
           : dec->village >= 0 ? dec->village
           : dec->town >= 0    ? dec->town
                               : dec->district;
}

static const char *handler_id(const fq_routing *r, int32_t h)
{
    return h >= 0 ? fq_roster_handler_id(r->roster, h) : "";
}

static const char *worker_id(const fq_routing *r, int32_t w)
{
    return w >= 0 ? fq_roster_worker_id(r->roster, w) : "";
}

static void format_co(const fq_routing *r, const fq_decision *dec, char *buf, size_t len)
{
    /* Ids are [a-z0-9._-]: safe unquoted in an array literal. */
    size_t used = (size_t)snprintf(buf, len, "{");
    for (int i = 0; i < dec->n_co && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 handler_id(r, dec->co[i]));
    if (used < len)
        snprintf(buf + used, len - used, "}");
}

/* The statement parameters of an assigned decision. */
static void format_decision(const fq_snapshot *snap, const fq_decision *dec, fq_decision_texts *x)
{
    const fq_routing *r = snap->routing;
    snprintf(x->tier, sizeof x->tier, "%d", dec->tier);
    snprintf(x->line, sizeof x->line, "%d", dec->line);
    int32_t territory = territory_of(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(org_of(snap), territory) : "");
    snprintf(x->lead, sizeof x->lead, "%s", handler_id(r, dec->lead));
    snprintf(x->worker, sizeof x->worker, "%s", worker_id(r, dec->worker));
    format_co(r, dec, x->co, sizeof x->co);
    format_ms(x->ack_due, sizeof x->ack_due, dec->ack_due_ms);
    format_ms(x->ack_warn, sizeof x->ack_warn, dec->ack_warn_ms);
    format_ms(x->conclude_due, sizeof x->conclude_due, dec->conclude_due_ms);
    format_ms(x->conclude_warn, sizeof x->conclude_warn, dec->conclude_warn_ms);
    snprintf(x->climbed, sizeof x->climbed, "%d", dec->climbed);
}

static const char *or_null(const char *s)
{
    return s[0] ? s : NULL;
}

/* RoutingOutcome bytes for the reply and the routing event. */
static size_t pack_outcome(const fq_snapshot *snap, const fq_decision *dec, uint64_t merged_into,
                           uint8_t *out, size_t cap)
{
    const fq_routing *r = snap->routing;
    Fengqiao__V1__RoutingOutcome o = FENGQIAO__V1__ROUTING_OUTCOME__INIT;
    char *co[FQ_ROUTE_MAX_CO];
    o.merged_into = merged_into;
    if (dec->status == FQ_ROUTE_ASSIGNED) {
        o.tier = (Fengqiao__V1__Tier)dec->tier;
        o.line = (Fengqiao__V1__Line)(dec->line + 1); /* the wire's 0 is "unspecified" */
        o.lead_unit = (char *)handler_id(r, dec->lead);
        o.worker = (char *)worker_id(r, dec->worker);
        for (int i = 0; i < dec->n_co; i++)
            co[i] = (char *)handler_id(r, dec->co[i]);
        o.n_co_units = dec->n_co;
        o.co_units = co;
        o.acknowledge_due_ms = dec->ack_due_ms;
        o.conclude_due_ms = dec->conclude_due_ms;
        o.climbed = dec->climbed;
        o.rule_set = r->rule_set;
    }
    int32_t territory = territory_of(dec);
    o.territory = territory >= 0 ? (char *)fq_org_id(org_of(snap), territory) : "";
    o.unplaced = dec->unplaced;
    size_t n = fengqiao__v1__routing_outcome__get_packed_size(&o);
    if (n > cap)
        return 0;
    return fengqiao__v1__routing_outcome__pack(&o, out);
}

/* ---- deadlines ---- */

static void rearm(fq_dispatch *d);

static void schedule_deadlines(fq_dispatch *d, fq_case *c)
{
    const fq_decision *dec = &c->decision;
    const int64_t at[FQ_CASE_DEADLINES] = {dec->ack_warn_ms, dec->ack_due_ms, dec->conclude_warn_ms,
                                           dec->conclude_due_ms};
    for (int k = 0; k < FQ_CASE_DEADLINES; k++) {
        if (c->deadlines[k] != 0)
            fq_deadlines_cancel(d->deadlines, c->deadlines[k]);
        c->deadlines[k] =
            at[k] > 0 ? fq_deadlines_add(d->deadlines, at[k], c->incident_id, (uint32_t)(k + 1))
                      : 0;
    }
    rearm(d);
}

/* ---- the server's own writes ---- */

static void sysop_done(fq_store_op *op, int status, const char *message);
static void on_retry(uv_timer_t *timer);

static void submit_sysop(fq_dispatch *d, sysop *s)
{
    s->op.done = sysop_done;
    fq_store_submit(d->store, &s->op);
}

static void sysop_done(fq_store_op *op, int status, const char *message)
{
    sysop *s = (sysop *)op;
    fq_dispatch *d = s->dispatch;
    if (status == FQ_STORE_OK || status == FQ_STORE_EREJECTED || d->stopped) {
        if (status == FQ_STORE_EREJECTED)
            fprintf(stderr, "fengqiaod: dispatch: %s of incident %s refused: %s\n", s->kind, s->id,
                    op->error);
        free(s);
        return;
    }
    /* Not stored (database away): the decision stands in memory, so keep
     * trying until it is written. */
    (void)message;
    s->next_retry = d->retry_head;
    d->retry_head = s;
    if (!uv_is_active((uv_handle_t *)&d->retry_timer))
        uv_timer_start(&d->retry_timer, on_retry, RETRY_INTERVAL_MS, 0);
}

static void on_retry(uv_timer_t *timer)
{
    fq_dispatch *d = timer->data;
    sysop *list = d->retry_head;
    d->retry_head = NULL;
    while (list != NULL) {
        sysop *s = list;
        list = s->next_retry;
        submit_sysop(d, s);
    }
}

static sysop *new_sysop(fq_dispatch *d, uint64_t incident_id, const char *kind)
{
    sysop *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->dispatch = d;
    snprintf(s->id, sizeof s->id, "%" PRIu64, incident_id);
    /* Retries of this write carry the same nonce: applied once at most. */
    uint64_t nonce;
    randombytes_buf(&nonce, sizeof nonce);
    snprintf(s->nonce, sizeof s->nonce, "%" PRIu64, (nonce & (uint64_t)INT64_MAX) | 1);
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    return s;
}

/* `breached`: the limits (bits 1 acknowledge, 2 conclude) this event records
 * as breached for good, so a restart does not fire them again. */
static void write_event(fq_dispatch *d, uint64_t incident_id, const char *kind, const char *reason,
                        int breached)
{
    sysop *s = new_sysop(d, incident_id, kind);
    if (s == NULL)
        return;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    s->op.kind = FQ_STORE_OP_EVENT;
    s->op.nparams = FQ_SQL_INSERT_EVENT_NPARAMS;
    s->op.values[0] = s->id;
    s->op.values[1] = s->kind;
    s->op.values[2] = s->reason;
    snprintf(s->texts.climbed, sizeof s->texts.climbed, "%d", breached);
    s->op.values[3] = s->texts.climbed; /* a spare small text field */
    s->op.values[4] = s->nonce;
    submit_sysop(d, s);
}

static void write_reroute(fq_dispatch *d, const fq_case *c, const char *kind, const char *reason)
{
    const fq_snapshot *snap = d->current;
    const fq_decision *dec = &c->decision;
    sysop *s = new_sysop(d, c->incident_id, kind);
    if (s == NULL)
        return;
    format_decision(snap, dec, &s->texts);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    s->outcome_len = pack_outcome(snap, dec, 0, s->outcome, sizeof s->outcome);
    fq_store_op *op = &s->op;
    op->kind = FQ_STORE_OP_REROUTE;
    op->nparams = FQ_SQL_REROUTE_NPARAMS;
    const fq_decision_texts *x = &s->texts;
    const char *v[FQ_SQL_REROUTE_NPARAMS] = {s->id,
                                             x->tier,
                                             x->line,
                                             or_null(x->territory),
                                             or_null(x->lead),
                                             or_null(x->worker),
                                             x->co,
                                             x->ack_due,
                                             x->ack_warn,
                                             x->conclude_due,
                                             x->conclude_warn,
                                             x->climbed,
                                             s->kind,
                                             s->reason,
                                             (const char *)s->outcome,
                                             s->nonce};
    memcpy(op->values, v, sizeof v);
    op->lengths[14] = (int)s->outcome_len;
    op->formats[14] = 1;
    submit_sysop(d, s);
}

/* ---- escalation ---- */

/* `limit`: the limit that passed (bit 1 acknowledge, 2 conclude), or 0. */
static void escalate(fq_dispatch *d, fq_case *c, const char *why, int limit)
{
    const fq_routing *r = d->current->routing;
    int64_t now = wall_ms();
    fq_route_request req = c->request;
    req.now_ms = now; /* the new handler's limits run from now */
    fq_decision up;
    fq_route_status st = fq_route_escalate(r->router, &req, &c->decision, &up);
    char reason[256];
    if (st != FQ_ROUTE_ASSIGNED) {
        /* Already at the district, or nobody above: the command center must
         * supervise; the case stays where it is. */
        snprintf(reason, sizeof reason, "%s at the %s tier; nobody above: supervision needed", why,
                 fq_tier_name((fq_tier)c->decision.tier));
        d->stats.breaches_at_top++;
        write_event(d, c->incident_id, "breached", reason, limit);
        return;
    }
    if (c->decision.worker >= 0 && req.n_excluded < FQ_ROUTE_MAX_EXCLUDED)
        c->request.excluded[c->request.n_excluded++] = c->decision.worker;
    fq_route_release(r->router, &c->decision);
    fq_route_apply(r->router, &up);
    snprintf(reason, sizeof reason, "%s at the %s tier: escalated to the %s tier (%s%s%s)", why,
             fq_tier_name((fq_tier)c->decision.tier), fq_tier_name((fq_tier)up.tier),
             up.lead >= 0 ? handler_id(r, up.lead) : "", up.worker >= 0 ? " " : "",
             worker_id(r, up.worker));
    c->decision = up;
    c->escalations++;
    d->stats.escalations++;
    schedule_deadlines(d, c);
    write_reroute(d, c, "escalated", reason);
}

static void on_deadline(fq_dispatch *d, const fq_deadline *due)
{
    fq_case *c = fq_caseload_find(d->cases, due->key);
    if (c == NULL || due->kind < 1 || due->kind > FQ_CASE_DEADLINES ||
        c->deadlines[due->kind - 1] != due->id)
        return; /* stale: the case closed or was re-decided */
    c->deadlines[due->kind - 1] = 0;
    char reason[128], at[32];
    switch (due->kind) {
    case FQ_DEADLINE_ACK_WARNING:
        format_time(at, sizeof at, c->decision.ack_due_ms);
        snprintf(reason, sizeof reason, "not acknowledged yet; due %s", at);
        d->stats.warnings++;
        write_event(d, c->incident_id, "ack_warning", reason, 0);
        break;
    case FQ_DEADLINE_CONCLUDE_WARNING:
        format_time(at, sizeof at, c->decision.conclude_due_ms);
        snprintf(reason, sizeof reason, "not concluded yet; due %s", at);
        d->stats.warnings++;
        write_event(d, c->incident_id, "conclude_warning", reason, 0);
        break;
    case FQ_DEADLINE_ACK_DUE:
        escalate(d, c, "acknowledge limit passed", 1);
        break;
    case FQ_DEADLINE_CONCLUDE_DUE:
        escalate(d, c, "conclude limit passed", 2);
        break;
    }
}

static void on_timer(uv_timer_t *timer)
{
    fq_dispatch *d = timer->data;
    if (d->current == NULL || d->current->routing == NULL)
        return;
    /* A burst of due deadlines is served a budget at a time: the timer is
     * re-armed at once and I/O runs in between. */
    size_t n =
        fq_deadlines_pop_due(d->deadlines, wall_ms(), d->due, (size_t)d->config.deadline_budget);
    for (size_t i = 0; i < n; i++)
        on_deadline(d, &d->due[i]);
    rearm(d);
}

static void rearm(fq_dispatch *d)
{
    if (d->stopped)
        return;
    int64_t next = fq_deadlines_next_due(d->deadlines);
    if (next == INT64_MAX) {
        uv_timer_stop(&d->timer);
        return;
    }
    int64_t wait = next - wall_ms();
    uv_timer_start(&d->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

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
static void translate(const fq_snapshot *from, const fq_snapshot *to, fq_route_request *req,
                      fq_decision *dec)
{
    const fq_org *fo = org_of(from), *tor = org_of(to);
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

/* Text columns of the open incidents, parsed fast where the text is plain
 * (PostgreSQL's own output: digits, a sign, a point) and by the C library
 * otherwise, so the results are exactly those of strtoll / strtod. */
static int64_t parse_i64(const char *s)
{
    const char *p = s + (*s == '-');
    uint64_t v = 0;
    int n = 0;
    for (; (unsigned)(*p - '0') < 10 && n < 18; p++, n++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (*p != '\0' || n == 0)
        return strtoll(s, NULL, 10);
    return *s == '-' ? -(int64_t)v : (int64_t)v;
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    int n = 0;
    const char *p = s;
    for (; (unsigned)(*p - '0') < 10 && n < 19; p++, n++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (*p != '\0' || n == 0)
        return strtoull(s, NULL, 10);
    return v;
}

/* Up to 15 significant digits and no exponent: the digits are an exact
 * double and so is the power of ten, and one division rounds correctly —
 * the same double strtod gives. Anything else goes to strtod. */
static double parse_f64(const char *s)
{
    static const double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s + (*s == '-');
    uint64_t m = 0;
    int digits = 0, frac = 0;
    for (; (unsigned)(*p - '0') < 10 && digits < 16; p++, digits++)
        m = m * 10 + (uint64_t)(*p - '0');
    if (*p == '.') {
        for (p++; (unsigned)(*p - '0') < 10 && digits < 16; p++, digits++, frac++)
            m = m * 10 + (uint64_t)(*p - '0');
    }
    if (*p != '\0' || digits == 0 || digits > 15)
        return strtod(s, NULL);
    double v = (double)m / pow10[frac];
    return *s == '-' ? -v : v;
}

static int64_t column_ms(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : parse_i64(PQgetvalue(res, row, col));
}

/* The open incidents as stored: rebuild the caseload and the deadlines.
 * Deadlines that passed while the server was down fire at once, in order. */
static void load_open(fq_dispatch *d, const PGresult *open)
{
    const fq_snapshot *snap = d->current;
    const fq_routing *r = snap->routing;
    const fq_org *org = org_of(snap);
    const int64_t now = wall_ms(); /* once, not per row (1 M rows at start) */
    const int rows = PQntuples(open);
    /* Room for every row at once: no step-by-step growth (failure is not
     * fatal: the adds grow as needed). */
    (void)fq_caseload_reserve(d->cases, (size_t)rows);
    (void)fq_dedup_reserve(d->dedup, (size_t)rows);
    /* Most incidents come from a few reporting nodes: the previous row's
     * answer is usually this row's. */
    const char *last_reporter = NULL;
    int32_t last_fallback = -1;
    for (int i = 0; i < rows; i++) {
        uint64_t id = parse_u64(PQgetvalue(open, i, 0));
        fq_case *c = fq_caseload_add(d->cases, id);
        if (c == NULL)
            continue;
        fq_route_request *req = &c->request;
        fq_route_request_init(req);
        req->category = fq_taxonomy_find(r->taxonomy, PQgetvalue(open, i, 1));
        req->severity = (int)parse_i64(PQgetvalue(open, i, 2));
        req->risk = (int)parse_i64(PQgetvalue(open, i, 3));
        req->place = fq_org_find(org, PQgetvalue(open, i, 4));
        req->has_location = PQgetvalue(open, i, 5)[0] == 't';
        req->lon = parse_f64(PQgetvalue(open, i, 6));
        req->lat = parse_f64(PQgetvalue(open, i, 7));
        const char *reporter_id = PQgetvalue(open, i, 8);
        if (last_reporter == NULL || strcmp(reporter_id, last_reporter) != 0) {
            const fq_node *reporter = fq_directory_find(snap->directory, reporter_id);
            last_reporter = reporter_id;
            last_fallback = reporter ? reporter->jurisdiction : -1;
        }
        req->fallback_place = last_fallback;
        fq_decision *dec = &c->decision;
        memset(dec, 0, sizeof *dec);
        dec->status = FQ_ROUTE_ASSIGNED;
        dec->tier = (uint8_t)parse_i64(PQgetvalue(open, i, 9));
        dec->line = (uint8_t)parse_i64(PQgetvalue(open, i, 10));
        int32_t territory = fq_org_find(org, PQgetvalue(open, i, 11));
        dec->grid = dec->village = dec->town = dec->district = -1;
        for (int32_t u = territory; u >= 0; u = fq_org_parent(org, u)) {
            fq_unit_kind kind = fq_org_kind(org, u);
            *(kind == FQ_UNIT_GRID      ? &dec->grid
              : kind == FQ_UNIT_VILLAGE ? &dec->village
              : kind == FQ_UNIT_TOWN    ? &dec->town
                                        : &dec->district) = u;
        }
        dec->lead = -1;
        dec->worker = fq_roster_find_worker(r->roster, PQgetvalue(open, i, 12));
        dec->ack_warn_ms = column_ms(open, i, 13);
        dec->ack_due_ms = column_ms(open, i, 14);
        dec->conclude_warn_ms = column_ms(open, i, 15);
        dec->conclude_due_ms = column_ms(open, i, 16);
        c->escalations = (uint8_t)parse_i64(PQgetvalue(open, i, 17));
        /* Reported at: the duplicate window counts from it. */
        req->now_ms = column_ms(open, i, 18);
        if (req->category < 0 || dec->tier < FQ_TIER_VILLAGE || dec->tier > FQ_TIER_DISTRICT) {
            fq_caseload_remove(d->cases, id);
            continue;
        }
        /* Breaches on record are not fired again; warnings already behind
         * us are not repeated after a restart. */
        int breached = (int)parse_i64(PQgetvalue(open, i, 19));
        if (breached & 1)
            dec->ack_warn_ms = dec->ack_due_ms = 0;
        if (breached & 2)
            dec->conclude_warn_ms = dec->conclude_due_ms = 0;
        if (dec->ack_warn_ms <= now)
            dec->ack_warn_ms = 0;
        if (dec->conclude_warn_ms <= now)
            dec->conclude_warn_ms = 0;
        /* schedule_deadlines for a new case (none to cancel), without
         * re-arming the timer per row: fq_dispatch_install re-arms it once. */
        const int64_t at[FQ_CASE_DEADLINES] = {dec->ack_warn_ms, dec->ack_due_ms,
                                               dec->conclude_warn_ms, dec->conclude_due_ms};
        for (int k = 0; k < FQ_CASE_DEADLINES; k++)
            c->deadlines[k] =
                at[k] > 0 ? fq_deadlines_add(d->deadlines, at[k], id, (uint32_t)(k + 1)) : 0;
        fq_dedup_add(d->dedup, id, req->category, req->has_location, req->lon, req->lat,
                     territory_of(dec), req->now_ms);
    }
}

static void collect_off_duty(fq_case *c, void *user)
{
    fq_dispatch *d = user;
    const fq_routing *r = d->current->routing;
    if (c->decision.worker < 0 || fq_roster_worker_const(r->roster, c->decision.worker)->on_duty)
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
    translate(carry->from, carry->to, &c->request, &c->decision);
    if (carry->dedup != NULL && c->request.category >= 0)
        fq_dedup_add(carry->dedup, c->incident_id, c->request.category, c->request.has_location,
                     c->request.lon, c->request.lat, territory_of(&c->decision), c->request.now_ms);
}

int fq_dispatch_install(fq_dispatch *d, fq_snapshot *snap, const PGresult *open)
{
    fq_snapshot *old = d->current;
    fq_snapshot_ref(snap);
    d->current = snap;
    if (snap->routing == NULL) {
        fq_snapshot_unref(old);
        return d->open_loaded;
    }
    if (old == NULL || old->routing == NULL) {
        if (open != NULL && !d->open_loaded) {
            load_open(d, open);
            d->open_loaded = 1;
        }
    } else {
        /* Carry every open case over to the new indices. The duplicate
         * index keys by unit index too: rebuild it. */
        fq_dedup_config dc = {d->config.dedup_distance_m, d->config.dedup_window_ms, 30.0};
        char err[128];
        fq_dedup *fresh = fq_dedup_new(&dc, err, sizeof err);
        carry_over carry = {old, snap, fresh};
        fq_caseload_foreach(d->cases, carry_case, &carry);
        if (fresh != NULL) {
            fq_dedup_free(d->dedup);
            d->dedup = fresh;
        }
    }
    fq_snapshot_unref(old);
    /* A worker who went off duty keeps nothing: their cases move up. */
    fq_caseload_foreach(d->cases, collect_off_duty, d);
    for (size_t i = 0; i < d->n_moving; i++) {
        fq_case *c = fq_caseload_find(d->cases, d->moving[i]);
        if (c != NULL)
            escalate(d, c, "the handler went off duty", 0);
    }
    d->n_moving = 0;
    rearm(d);
    return d->open_loaded;
}

fq_snapshot *fq_dispatch_current(fq_dispatch *d)
{
    return d->current;
}

/* ---- deciding ---- */

static void fill_texts(const fq_dispatch *d, const fq_snapshot *snap, fq_ticket *t)
{
    const fq_routing *r = snap->routing;
    const fq_decision *dec = &t->decision;
    int assigned = dec->status == FQ_ROUTE_ASSIGNED;
    fq_decision_texts *x = &t->texts;
    memset(x, 0, sizeof *x);
    t->merged[0] = '\0';
    int32_t territory = territory_of(dec);
    snprintf(x->territory, sizeof x->territory, "%s",
             territory >= 0 ? fq_org_id(org_of(snap), territory) : "");
    snprintf(x->co, sizeof x->co, "{}");
    if (t->merged_into != 0) {
        t->state = "merged";
        t->event_kind = "merged";
        snprintf(t->merged, sizeof t->merged, "%" PRIu64, t->merged_into);
        snprintf(t->reason, sizeof t->reason,
                 "same category within %.0f m and %" PRId64 " min of open incident %" PRIu64
                 ": one more report on it, not dispatched again",
                 d->config.dedup_distance_m, d->config.dedup_window_ms / 60000, t->merged_into);
    } else if (assigned) {
        t->state = "assigned";
        t->event_kind = "assigned";
        format_decision(snap, dec, x);
        char by[64];
        if (dec->rule_source != 0)
            snprintf(by, sizeof by, "by rule %u of set %u", dec->rule_source, r->rule_set);
        else
            snprintf(by, sizeof by, "by the built-in principle");
        snprintf(t->reason, sizeof t->reason, "%s%s: %s tier, %s line%s%s%s",
                 dec->overridden ? "operator's choice; " : "", by, fq_tier_name((fq_tier)dec->tier),
                 fq_line_name((fq_line)dec->line),
                 dec->climbed ? "; climbed because nobody lower could take it" : "",
                 dec->unplaced ? "; its coordinates lie in no grid: placed at the reporter's "
                                 "jurisdiction"
                               : "",
                 dec->n_co ? "; joint operation" : "");
    } else {
        t->state = "unroutable";
        t->event_kind = "unroutable";
        snprintf(t->reason, sizeof t->reason,
                 "no handling unit from the entry tier up: the topology has a gap here");
    }
    snprintf(t->rule_set, sizeof t->rule_set, "%u", r->rule_set);
    snprintf(t->rule_source, sizeof t->rule_source, "%u", dec->rule_source);
    snprintf(x->climbed, sizeof x->climbed, "%d", dec->climbed);
    t->outcome_len = pack_outcome(snap, dec, t->merged_into, t->outcome, sizeof t->outcome);
}

int fq_dispatch_decide(fq_dispatch *d, fq_snapshot *snap, const fq_node *reporter,
                       const Fengqiao__V1__ReportIncident *report, int32_t place, int64_t now_ms,
                       fq_ticket *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    if (snap == NULL || snap->routing == NULL) {
        snprintf(err, err_len, "the routing rules are not loaded; retry later");
        return FQ_DISPATCH_EUNAVAILABLE;
    }
    const fq_routing *r = snap->routing;
    const fq_org *org = org_of(snap);
    fq_route_request *req = &t->request;
    fq_route_request_init(req);
    req->category = fq_taxonomy_find(r->taxonomy, report->category);
    if (req->category < 0) {
        snprintf(err, err_len, "category %s is not in the taxonomy", report->category);
        return FQ_DISPATCH_EINVALID;
    }
    req->severity = report->severity;
    req->risk = report->risk;
    req->place = place;
    req->fallback_place = reporter->jurisdiction;
    req->now_ms = now_ms;
    if (report->location != NULL) {
        req->has_location = 1;
        req->lon = report->location->lon;
        req->lat = report->location->lat;
    }
    if (place < 0 && req->has_location && r->geo != NULL) {
        int32_t grid = fq_geo_locate(r->geo, req->lon, req->lat);
        if (grid >= 0 && !fq_org_within(org, grid, reporter->jurisdiction)) {
            snprintf(err, err_len,
                     "location (%.6f, %.6f) lies in grid %s, outside the jurisdiction %s", req->lon,
                     req->lat, fq_org_id(org, grid), fq_org_id(org, reporter->jurisdiction));
            return FQ_DISPATCH_EFORBIDDEN;
        }
        req->place = grid;
    }
    fq_route_status st = fq_route(r->router, req, &t->decision);
    if (st == FQ_ROUTE_ASSIGNED) {
        uint64_t twin = fq_dedup_find(d->dedup, req->category, req->has_location, req->lon,
                                      req->lat, territory_of(&t->decision), now_ms);
        fq_case *c = twin != 0 ? fq_caseload_find(d->cases, twin) : NULL;
        /* A graver report of the same matter (it would enter a higher tier
         * than the open one sits at) is dispatched on its own, not merged. */
        if (c != NULL && t->decision.tier > c->decision.tier)
            twin = 0;
        if (twin != 0) {
            /* One more report on an open matter: not dispatched again. */
            t->merged_into = twin;
            if (c != NULL) {
                int unplaced = t->decision.unplaced;
                t->decision = c->decision;
                t->decision.unplaced = (uint8_t)unplaced;
            }
        } else {
            fq_route_apply(r->router, &t->decision);
            t->applied = 1;
        }
    }
    fq_snapshot_ref(snap);
    t->snapshot = snap;
    uint64_t nonce;
    randombytes_buf(&nonce, sizeof nonce);
    t->nonce = (int64_t)((nonce & (uint64_t)INT64_MAX) | 1);
    snprintf(t->nonce_text, sizeof t->nonce_text, "%" PRId64, t->nonce);
    fill_texts(d, snap, t);
    return FQ_DISPATCH_OK;
}

void fq_dispatch_bind(fq_ticket *t, fq_store_op *op)
{
    const fq_decision_texts *x = &t->texts;
    const char *v[] = {
        t->state,
        or_null(x->tier),
        or_null(x->line),
        or_null(x->territory),
        or_null(x->lead),
        or_null(x->worker),
        x->co,
        or_null(x->ack_due),
        or_null(x->ack_warn),
        or_null(x->conclude_due),
        or_null(x->conclude_warn),
        or_null(t->merged),
        t->rule_set,
        t->rule_source,
        x->climbed,
        t->decision.unplaced ? "true" : "false",
        t->event_kind,
        t->reason,
        (const char *)t->outcome,
        t->nonce_text,
    };
    _Static_assert(sizeof v / sizeof v[0] == FQ_SQL_INSERT_REPORT_NPARAMS - 19, "params 20..39");
    memcpy(&op->values[19], v, sizeof v);
    op->lengths[37] = (int)t->outcome_len;
    op->formats[37] = 1;
}

static void undo(fq_ticket *t)
{
    if (t->applied && t->snapshot->routing != NULL)
        fq_route_release(t->snapshot->routing->router, &t->decision);
    t->applied = 0;
}

void fq_dispatch_stored(fq_dispatch *d, fq_ticket *t, uint64_t incident_id, int created)
{
    if (!created) {
        undo(t);
    } else if (t->merged_into != 0) {
        d->stats.merged++;
    } else if (t->decision.status != FQ_ROUTE_ASSIGNED) {
        d->stats.unroutable++;
    } else {
        d->stats.routed[t->decision.tier]++;
        d->stats.unplaced += t->decision.unplaced;
        fq_case *c = fq_caseload_add(d->cases, incident_id);
        if (c != NULL) {
            c->request = t->request;
            c->decision = t->decision;
            if (t->snapshot != d->current && d->current->routing != NULL) {
                /* Decided on the snapshot before a reload: carry it over. */
                translate(t->snapshot, d->current, &c->request, &c->decision);
                fq_route_apply(d->current->routing->router, &c->decision);
            }
            schedule_deadlines(d, c);
            fq_dedup_add(d->dedup, incident_id, c->request.category, c->request.has_location,
                         c->request.lon, c->request.lat, territory_of(&c->decision),
                         c->request.now_ms);
        }
    }
    fq_snapshot_unref(t->snapshot);
    t->snapshot = NULL;
}

void fq_dispatch_dropped(fq_dispatch *d, fq_ticket *t)
{
    (void)d;
    if (t->snapshot == NULL)
        return;
    undo(t);
    fq_snapshot_unref(t->snapshot);
    t->snapshot = NULL;
}

/* ---- lifetime ---- */

fq_dispatch *fq_dispatch_new(uv_loop_t *loop, fq_store *store, const fq_dispatch_config *config)
{
    fq_dispatch *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->loop = loop;
    d->store = store;
    d->config = *config;
    if (d->config.deadline_budget <= 0)
        d->config.deadline_budget = 256;
    char err[128];
    fq_dedup_config dc = {config->dedup_distance_m, config->dedup_window_ms, 30.0};
    d->cases = fq_caseload_new();
    d->dedup = fq_dedup_new(&dc, err, sizeof err);
    d->deadlines = fq_deadlines_new(1024);
    d->due = calloc((size_t)d->config.deadline_budget, sizeof *d->due);
    if (d->cases == NULL || d->dedup == NULL || d->deadlines == NULL || d->due == NULL) {
        fprintf(stderr, "fengqiaod: dispatch: %s\n", d->dedup == NULL ? err : "out of memory");
        fq_caseload_free(d->cases);
        fq_dedup_free(d->dedup);
        fq_deadlines_free(d->deadlines);
        free(d->due);
        free(d);
        return NULL;
    }
    uv_timer_init(loop, &d->timer);
    uv_timer_init(loop, &d->retry_timer);
    d->timer.data = d->retry_timer.data = d;
    return d;
}

void fq_dispatch_stop(fq_dispatch *d)
{
    d->stopped = 1;
    uv_timer_stop(&d->timer);
    uv_timer_stop(&d->retry_timer);
    uv_close((uv_handle_t *)&d->timer, NULL);
    uv_close((uv_handle_t *)&d->retry_timer, NULL);
}

void fq_dispatch_free(fq_dispatch *d)
{
    if (d == NULL)
        return;
    while (d->retry_head != NULL) {
        sysop *s = d->retry_head;
        d->retry_head = s->next_retry;
        free(s);
    }
    fq_caseload_free(d->cases);
    fq_dedup_free(d->dedup);
    fq_deadlines_free(d->deadlines);
    free(d->due);
    free(d->moving);
    fq_snapshot_unref(d->current);
    free(d);
}

const fq_dispatch_stats *fq_dispatch_get_stats(fq_dispatch *d)
{
    d->stats.open = fq_caseload_count(d->cases);
    d->stats.pending_deadlines = fq_deadlines_count(d->deadlines);
    return &d->stats;
}
