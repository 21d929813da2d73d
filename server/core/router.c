#include "router.h"

#include "errbuf.h"

#include <stdlib.h>
#include <string.h>

struct fq_router {
    const fq_org *org;
    fq_roster *roster;
    const fq_rules *rules;
    const fq_geo_index *geo;
    size_t n_units;
    size_t n_departments;
    int32_t *departments;          /* [district][department code index] -> handler */
    uint32_t *rotation;            /* per grid or village: where the next tie-break starts */
    const fq_calendar **calendars; /* per unit (districts only), borrowed; NULL: the default */
    fq_calendar default_calendar;  /* fq_calendar_init at +08:00: Monday-Friday, whole days */
};

void fq_route_request_init(fq_route_request *req)
{
    memset(req, 0, sizeof *req);
    req->place = -1;
    req->fallback_place = -1;
    req->override_handler = -1;
    req->override_worker = -1;
}

fq_router *fq_router_new(const fq_org *org, fq_roster *roster, const fq_rules *rules,
                         const fq_geo_index *geo, char *err, size_t err_len)
{
    fq_router *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    r->org = org;
    r->roster = roster;
    r->rules = rules;
    r->geo = geo;
    r->n_units = fq_org_count(org);
    r->n_departments = fq_rules_department_count(rules);
    r->departments = malloc((r->n_units * r->n_departments + 1) * sizeof *r->departments);
    r->rotation = calloc(r->n_units + 1, sizeof *r->rotation);
    r->calendars = calloc(r->n_units + 1, sizeof *r->calendars);
    fq_calendar_init(&r->default_calendar, FQ_ROUTER_DEFAULT_UTC_OFFSET_S);
    if (r->departments == NULL || r->rotation == NULL || r->calendars == NULL) {
        fq_router_free(r);
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    /* Resolve department codes once per district: the hot path reads an
     * array. A code a district lacks is simply not co-handling there. */
    for (size_t u = 0; u < r->n_units; u++)
        for (size_t d = 0; d < r->n_departments; d++)
            r->departments[u * r->n_departments + d] =
                fq_org_kind(org, (int32_t)u) == FQ_UNIT_DISTRICT
                    ? fq_roster_department(roster, (int32_t)u,
                                           fq_rules_department_code(rules, (int)d))
                    : -1;
    return r;
}

void fq_router_free(fq_router *r)
{
    if (r == NULL)
        return;
    free(r->departments);
    free(r->rotation);
    free(r->calendars);
    free(r);
}

int fq_router_set_calendar(fq_router *r, int32_t district, const fq_calendar *calendar)
{
    if (district < 0 || (size_t)district >= r->n_units ||
        fq_org_kind(r->org, district) != FQ_UNIT_DISTRICT)
        return -1;
    r->calendars[district] = calendar;
    return 0;
}

const fq_calendar *fq_router_calendar(const fq_router *r, int32_t district)
{
    if (district >= 0 && (size_t)district < r->n_units && r->calendars[district] != NULL)
        return r->calendars[district];
    return &r->default_calendar;
}

/* Fills grid/village/town/district from a unit by walking up the tree. */
static void owners(const fq_org *org, int32_t place, fq_decision *d)
{
    d->grid = d->village = d->town = d->district = -1;
    for (int32_t u = place; u >= 0; u = fq_org_parent(org, u)) {
        switch (fq_org_kind(org, u)) {
        case FQ_UNIT_GRID:
            d->grid = u;
            break;
        case FQ_UNIT_VILLAGE:
            d->village = u;
            break;
        case FQ_UNIT_TOWN:
            d->town = u;
            break;
        case FQ_UNIT_DISTRICT:
            d->district = u;
            break;
        }
    }
}

static int excluded(const fq_route_request *req, int32_t worker)
{
    for (int i = 0; i < req->n_excluded; i++)
        if (req->excluded[i] == worker)
            return 1;
    return 0;
}

/* The least-loaded available worker of a range; among equals the first at
 * or after the rotation point, so work spreads over equals. */
static int32_t pick_worker(const fq_router *r, const fq_route_request *req, int32_t first,
                           size_t count, uint32_t start)
{
    int32_t best = -1;
    unsigned best_load = UINT32_MAX;
    for (size_t k = 0; k < count; k++) {
        int32_t w = first + (int32_t)((start + k) % count);
        const fq_worker *wk = fq_roster_worker_const(r->roster, w);
        if (!wk->on_duty || wk->absent || wk->load >= wk->capacity || wk->load >= best_load ||
            excluded(req, w))
            continue;
        best = w;
        best_load = wk->load;
        if (best_load == 0)
            break; /* nobody is less loaded than idle */
    }
    return best;
}

static int64_t add_ms(int64_t now, uint32_t seconds)
{
    return now + (int64_t)seconds * 1000;
}

int64_t fq_working_limit_due(const fq_calendar *c, int64_t from_ms, uint32_t seconds)
{
    if (seconds % FQ_WORKING_DAY_S == 0)
        return fq_calendar_add_working_days(c, from_ms, seconds / FQ_WORKING_DAY_S);
    return fq_calendar_add_working_ms(c, from_ms, (int64_t)seconds * 1000);
}

int64_t fq_working_warning(const fq_calendar *c, int64_t due_ms, uint32_t seconds)
{
    int64_t working_ms = seconds % FQ_WORKING_DAY_S == 0
                             ? (int64_t)(seconds / FQ_WORKING_DAY_S) * c->day_ms
                             : (int64_t)seconds * 1000;
    return fq_calendar_sub_working_ms(c, due_ms, working_ms);
}

static void set_deadlines(const fq_router *r, const fq_rule *rule, int64_t now, fq_decision *d)
{
    d->rule_source = rule->source;
    d->working_time = rule->working;
    if (!rule->working) {
        d->ack_due_ms = add_ms(now, rule->ack_s);
        d->ack_warn_ms = d->ack_due_ms - (int64_t)rule->ack_warn_s * 1000;
        d->conclude_due_ms = add_ms(now, rule->conclude_s);
        d->conclude_warn_ms = d->conclude_due_ms - (int64_t)rule->conclude_warn_s * 1000;
        return;
    }
    const fq_calendar *c = fq_router_calendar(r, d->district);
    d->ack_due_ms = fq_working_limit_due(c, now, rule->ack_s);
    d->conclude_due_ms = fq_working_limit_due(c, now, rule->conclude_s);
    /* Days and hours do not compare in seconds: "20h" of working time can
     * outlast "1d" (the close of the next working day). Acknowledging never
     * takes longer than concluding. */
    if (d->ack_due_ms > d->conclude_due_ms)
        d->ack_due_ms = d->conclude_due_ms;
    /* A warning larger than the working time its limit leaves (a "4h"
     * warning on a limit due at 09:00) falls before now: it is due at once,
     * never before the decision. */
    d->ack_warn_ms = fq_working_warning(c, d->ack_due_ms, rule->ack_warn_s);
    d->conclude_warn_ms = fq_working_warning(c, d->conclude_due_ms, rule->conclude_warn_s);
    if (d->ack_warn_ms < now)
        d->ack_warn_ms = now;
    if (d->conclude_warn_ms < now)
        d->conclude_warn_ms = now;
}

/* Lowest tier the territory allows: a report placed only at town level
 * cannot go to a village worker. */
static fq_tier territorial_floor(const fq_decision *d)
{
    if (d->village >= 0)
        return FQ_TIER_VILLAGE;
    if (d->town >= 0)
        return FQ_TIER_TOWN;
    return FQ_TIER_DISTRICT;
}

static void add_co(fq_decision *d, int32_t handler)
{
    if (handler < 0 || handler == d->lead || d->n_co >= FQ_ROUTE_MAX_CO)
        return;
    for (int i = 0; i < d->n_co; i++)
        if (d->co[i] == handler)
            return;
    d->co[d->n_co++] = handler;
}

static int try_tier(const fq_router *r, const fq_route_request *req, const fq_rule *rule,
                    fq_tier tier, fq_decision *d)
{
    d->lead = -1;
    d->worker = -1;
    d->n_co = 0;
    fq_line line = (fq_line)rule->line;
    switch (tier) {
    case FQ_TIER_VILLAGE: {
        int32_t first;
        size_t count;
        int32_t unit;
        if (d->grid >= 0) {
            count = fq_roster_grid_workers(r->roster, d->grid, &first);
            unit = d->grid;
        } else {
            count = fq_roster_village_workers(r->roster, d->village, &first);
            unit = d->village;
        }
        if (count == 0)
            return 0;
        d->worker = pick_worker(r, req, first, count, r->rotation[unit]);
        if (d->worker < 0)
            return 0;
        d->lead = fq_roster_village(r->roster, d->village);
        return 1;
    }
    case FQ_TIER_TOWN:
        d->lead = fq_roster_town_line(r->roster, d->town, line);
        if (d->lead < 0)
            return 0;
        /* A town-tier rule may still name district departments to help
         * (a petition with the petitions bureau, say). */
        for (int i = 0; i < rule->n_co; i++)
            add_co(d, r->departments[(size_t)d->district * r->n_departments + rule->co[i]]);
        return 1;
    case FQ_TIER_DISTRICT: {
        d->lead = fq_roster_district_line(r->roster, d->district, line);
        if (d->lead < 0)
            d->lead = fq_roster_center(r->roster, d->district);
        if (d->lead < 0)
            return 0;
        /* Every district-tier decision is a joint operation: the rule's
         * co-handling departments, and — skip-level — the territory's own
         * town line working with the district lead. */
        for (int i = 0; i < rule->n_co; i++)
            add_co(d, r->departments[(size_t)d->district * r->n_departments + rule->co[i]]);
        add_co(d, fq_roster_town_line(r->roster, d->town, line));
        return 1;
    }
    }
    return 0;
}

/* The decision's outcome, and the error that goes with it (router.h). */
static int decided(fq_decision *d, fq_route_outcome outcome)
{
    d->status = outcome;
    return outcome == FQ_ROUTE_ASSIGNED ? FQ_OK : FQ_ENOTFOUND;
}

static int refused(fq_decision *d, int err)
{
    d->status = FQ_ROUTE_REFUSED;
    return err;
}

static int decide_override(const fq_router *r, const fq_route_request *req, fq_decision *d)
{
    d->overridden = 1;
    if (req->override_worker >= 0) {
        if ((size_t)req->override_worker >= fq_roster_worker_count(r->roster))
            return refused(d, FQ_EINVALID);
        d->worker = req->override_worker;
        d->tier = FQ_TIER_VILLAGE;
        int32_t grid = fq_roster_worker_const(r->roster, d->worker)->grid;
        d->lead = fq_roster_village(r->roster, fq_org_parent(r->org, grid));
        return decided(d, FQ_ROUTE_ASSIGNED);
    }
    if ((size_t)req->override_handler >= fq_roster_handler_count(r->roster))
        return refused(d, FQ_EINVALID);
    d->lead = req->override_handler;
    switch (fq_roster_handler_kind(r->roster, d->lead)) {
    case FQ_HANDLER_VILLAGE:
        d->tier = FQ_TIER_VILLAGE;
        break;
    case FQ_HANDLER_TOWN_LINE:
        d->tier = FQ_TIER_TOWN;
        break;
    default:
        d->tier = FQ_TIER_DISTRICT;
        break;
    }
    return decided(d, FQ_ROUTE_ASSIGNED);
}

int fq_route(const fq_router *r, const fq_route_request *req, fq_decision *d)
{
    memset(d, 0, sizeof *d);
    d->lead = d->worker = -1;
    if (req->category < 0 ||
        (size_t)req->category >= fq_taxonomy_count(fq_rules_taxonomy(r->rules)) ||
        req->severity < 1 || req->severity > FQ_SEVERITY_COUNT || req->risk < 1 ||
        req->risk > FQ_RISK_COUNT || req->place >= (int32_t)r->n_units || req->n_excluded < 0 ||
        req->n_excluded > FQ_ROUTE_MAX_EXCLUDED ||
        (req->min_tier != 0 &&
         (req->min_tier < FQ_TIER_VILLAGE || req->min_tier > FQ_TIER_DISTRICT)))
        return refused(d, FQ_EINVALID);

    int32_t place = req->place;
    if (place < 0 && req->has_location && r->geo != NULL)
        place = fq_geo_locate(r->geo, req->lon, req->lat);
    if (place < 0) {
        /* In no grid: handled explicitly at the fallback place, never dropped. */
        place = req->fallback_place;
        d->unplaced = 1;
        if (place < 0 || place >= (int32_t)r->n_units)
            return decided(d, FQ_ROUTE_NOWHERE);
    }
    owners(r->org, place, d);

    const fq_rule *rule = fq_rules_lookup(r->rules, req->category, req->severity, req->risk);
    d->line = rule->line;
    set_deadlines(r, rule, req->now_ms, d);
    if (req->override_handler >= 0 || req->override_worker >= 0)
        return decide_override(r, req, d);

    fq_tier tier = (fq_tier)rule->tier;
    if (req->min_tier > tier)
        tier = req->min_tier;
    fq_tier floor = territorial_floor(d);
    if (floor > tier)
        tier = floor;
    for (fq_tier t = tier; t <= FQ_TIER_DISTRICT; t++) {
        if (try_tier(r, req, rule, t, d)) {
            d->tier = (uint8_t)t;
            d->climbed = (uint8_t)(t - tier);
            return decided(d, FQ_ROUTE_ASSIGNED);
        }
    }
    d->lead = d->worker = -1;
    d->n_co = 0;
    return decided(d, FQ_ROUTE_NO_HANDLER);
}

void fq_route_apply(fq_router *r, const fq_decision *d)
{
    if (d->status != FQ_ROUTE_ASSIGNED || d->worker < 0)
        return;
    fq_worker *w = fq_roster_worker(r->roster, d->worker);
    if (w->load < UINT16_MAX)
        w->load++;
    if (d->overridden)
        return; /* the operator's choice does not move the rotation */
    /* The rotation of the range try_tier scanned: the grid's, else the village's. */
    int32_t first;
    int32_t unit = d->grid >= 0 ? d->grid : d->village;
    size_t count = d->grid >= 0 ? fq_roster_grid_workers(r->roster, d->grid, &first)
                                : fq_roster_village_workers(r->roster, d->village, &first);
    if (count > 0 && d->worker >= first && d->worker < first + (int32_t)count)
        r->rotation[unit] = (uint32_t)(d->worker - first + 1) % (uint32_t)count;
}

void fq_route_release(fq_router *r, const fq_decision *d)
{
    if (d->status != FQ_ROUTE_ASSIGNED || d->worker < 0)
        return;
    fq_worker *w = fq_roster_worker(r->roster, d->worker);
    if (w->load > 0)
        w->load--;
}

int fq_route_escalate(const fq_router *r, const fq_route_request *req, const fq_decision *current,
                      fq_decision *out)
{
    if (current->status != FQ_ROUTE_ASSIGNED || current->tier >= FQ_TIER_DISTRICT) {
        /* Not held, or held at the top: there is no tier above to ask. */
        memset(out, 0, sizeof *out);
        out->lead = out->worker = -1;
        return refused(out, FQ_ESTATE);
    }
    fq_route_request up = *req;
    up.override_handler = up.override_worker = -1;
    up.min_tier = (fq_tier)(current->tier + 1);
    /* Keep the territory the first decision found (coordinates need no
     * second lookup), and never hand it back to the worker who had it. */
    if (current->grid >= 0 || current->village >= 0 || current->town >= 0)
        up.place = current->grid >= 0      ? current->grid
                   : current->village >= 0 ? current->village
                                           : current->town;
    if (current->worker >= 0 && up.n_excluded < FQ_ROUTE_MAX_EXCLUDED &&
        !excluded(&up, current->worker))
        up.excluded[up.n_excluded++] = current->worker;
    return fq_route(r, &up, out);
}

int fq_route_reroute(const fq_router *r, const fq_route_request *req, const fq_decision *current,
                     int32_t place, fq_decision *out)
{
    fq_route_request again = *req;
    again.override_handler = again.override_worker = -1;
    again.place = place;
    again.has_location = 0; /* the owner is named now: the point is not needed */
    if (current->status == FQ_ROUTE_ASSIGNED && current->tier > again.min_tier)
        again.min_tier = (fq_tier)current->tier;
    if (current->worker >= 0 && again.n_excluded < FQ_ROUTE_MAX_EXCLUDED &&
        !excluded(&again, current->worker))
        again.excluded[again.n_excluded++] = current->worker;
    int rc = fq_route(r, &again, out);
    /* Climbed out of the named village only because none of its workers
     * was free (or it has none): its village unit takes it instead. */
    int32_t village_unit =
        rc == FQ_OK && out->village >= 0 ? fq_roster_village(r->roster, out->village) : -1;
    if (village_unit >= 0 && out->climbed > 0 && out->tier - out->climbed == FQ_TIER_VILLAGE) {
        out->tier = FQ_TIER_VILLAGE;
        out->climbed = 0;
        out->lead = village_unit;
        out->worker = -1;
        out->n_co = 0;
    }
    return rc;
}

size_t fq_router_memory(const fq_router *r)
{
    return sizeof *r + (r->n_units * r->n_departments + 1) * sizeof *r->departments +
           (r->n_units + 1) * sizeof *r->rotation + (r->n_units + 1) * sizeof *r->calendars;
}
