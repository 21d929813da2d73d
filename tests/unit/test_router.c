/* router: hand-written cases for every rule path over a small fixed city
 * (two districts, gaps in the topology on purpose), then properties over many
 * seeded synthetic cities (bench/citygen): territory, tier, line, capacity,
 * escalation, determinism, apply/release symmetry; working-time limits on
 * the 2026 calendar (National Day, a make-up Saturday, year end, after
 * hours, the default calendar) and their refusal for emergencies. FQ_ROUTER_SEED=n reruns
 * the properties from another base seed; every failure names the seed.
 *
 * `test_router known_bugs [name]` runs the cases that show defects still
 * open (one at a time: under UBSan the first aborts the process). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "citygen.h"
#include "router.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

/* ================= the fixed city ================= */

/* Grids are 0.01-degree squares around (100, 30); see fixture_units. */
typedef struct fixture {
    fq_org *org;
    fq_taxonomy *tax;
    fq_rules *rules;
    fq_roster *roster;
    fq_geo_index *geo;
    fq_router *router;
    int cat_dispute, cat_food, cat_road, cat_noise;
} fixture;

static const struct {
    const char *id, *parent;
    fq_unit_kind kind;
    double x, y; /* grid square's lower-left corner, in 0.01 degrees */
} fixture_units[] = {
    {"d1", "", FQ_UNIT_DISTRICT, 0, 0},
    {"d1-t1", "d1", FQ_UNIT_TOWN, 0, 0},
    {"d1-t2", "d1", FQ_UNIT_TOWN, 0, 0},
    {"d1-t1-v1", "d1-t1", FQ_UNIT_VILLAGE, 0, 0},
    {"d1-t1-v2", "d1-t1", FQ_UNIT_VILLAGE, 0, 0},
    {"d1-t2-v1", "d1-t2", FQ_UNIT_VILLAGE, 0, 0},
    {"d1-t1-v1-g1", "d1-t1-v1", FQ_UNIT_GRID, 0, 0},
    {"d1-t1-v1-g2", "d1-t1-v1", FQ_UNIT_GRID, 1, 0},
    {"d1-t1-v2-g1", "d1-t1-v2", FQ_UNIT_GRID, 2, 0},
    {"d1-t2-v1-g1", "d1-t2-v1", FQ_UNIT_GRID, 3, 0},
    {"d2", "", FQ_UNIT_DISTRICT, 0, 0},
    {"d2-t1", "d2", FQ_UNIT_TOWN, 0, 0},
    {"d2-t1-v1", "d2-t1", FQ_UNIT_VILLAGE, 0, 0},
    {"d2-t1-v1-g1", "d2-t1-v1", FQ_UNIT_GRID, 4, 0},
};

#define N_FIXTURE_UNITS (sizeof fixture_units / sizeof fixture_units[0])

/* Rows of the fixed rule table. Rule 1: neighbour disputes stay in the
 * village; 2: severity II to the district with emergency and police; 3: high
 * risk to the district with petitions and justice; 4: food safety III to the
 * town's market line. Everything else follows the principle. */
static const fq_rule_row fixture_rows[] = {
    {.id = 1,
     .category = "dispute.neighbour",
     .tier = FQ_TIER_VILLAGE,
     .line = -1,
     .ack_s = 3600,
     .ack_warn_s = 600,
     .conclude_s = 86400,
     .conclude_warn_s = 14400},
    {.id = 2,
     .severity = 2,
     .tier = FQ_TIER_DISTRICT,
     .line = -1,
     .co = {"emergency", "public_security"},
     .n_co = 2,
     .ack_s = 900,
     .ack_warn_s = 180,
     .conclude_s = 7 * 86400,
     .conclude_warn_s = 86400},
    {.id = 3,
     .risk = 3,
     .tier = FQ_TIER_DISTRICT,
     .line = -1,
     .co = {"petitions", "justice"},
     .n_co = 2,
     .ack_s = 900,
     .ack_warn_s = 180,
     .conclude_s = 15 * 86400,
     .conclude_warn_s = 3 * 86400},
    {.id = 4,
     .category = "market.food_safety",
     .severity = 3,
     .tier = FQ_TIER_TOWN,
     .line = FQ_LINE_MARKET,
     .ack_s = 1800,
     .ack_warn_s = 300,
     .conclude_s = 5 * 86400,
     .conclude_warn_s = 86400},
};

static void ok(int rv)
{
    if (rv != 0)
        fail_msg("fixture: %s", err);
}

static void add_handler(fixture *f, const char *id, fq_handler_kind kind, const char *territory,
                        int line, const char *code)
{
    ok(fq_roster_add_handler(f->roster, id, kind, territory, line, code, err, sizeof err));
}

static void add_district(fixture *f, const char *d)
{
    char id[64];
    snprintf(id, sizeof id, "%s.center", d);
    add_handler(f, id, FQ_HANDLER_CENTER, d, -1, NULL);
    static const char *codes[] = {"public_security", "market_regulation", "urban_management",
                                  "civil_affairs",   "petitions",         "emergency",
                                  "justice"};
    /* civil_affairs leads nothing here: the services line falls to the center. */
    static const int lines[] = {
        FQ_LINE_GOVERNANCE, FQ_LINE_MARKET, FQ_LINE_ENFORCEMENT, -1, -1, -1, -1};
    for (int i = 0; i < 7; i++) {
        snprintf(id, sizeof id, "%s.%s", d, codes[i]);
        add_handler(f, id, FQ_HANDLER_DEPARTMENT, d, lines[i], codes[i]);
    }
}

static void add_town_lines(fixture *f, const char *town, int only_governance)
{
    static const char *names[] = {"governance", "market", "enforcement", "services"};
    char id[64];
    for (int l = 0; l < (only_governance ? 1 : FQ_LINE_COUNT); l++) {
        snprintf(id, sizeof id, "%s.%s", town, names[l]);
        add_handler(f, id, FQ_HANDLER_TOWN_LINE, town, l, NULL);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->org = fq_org_new();
    for (size_t i = 0; i < N_FIXTURE_UNITS; i++)
        ok(fq_org_add(f->org, fixture_units[i].id, fixture_units[i].kind, fixture_units[i].parent,
                      fixture_units[i].id, err, sizeof err));
    ok(fq_org_finish(f->org, err, sizeof err));

    f->tax = fq_taxonomy_new();
    f->cat_dispute = fq_taxonomy_add(f->tax, "dispute.neighbour", FQ_LINE_GOVERNANCE, err, 256);
    f->cat_food = fq_taxonomy_add(f->tax, "market.food_safety", FQ_LINE_MARKET, err, 256);
    f->cat_road = fq_taxonomy_add(f->tax, "road.damage", FQ_LINE_SERVICES, err, 256);
    f->cat_noise = fq_taxonomy_add(f->tax, "noise.construction", FQ_LINE_ENFORCEMENT, err, 256);
    assert_int_equal(f->cat_noise, 3);
    f->rules = fq_rules_compile(f->tax, 7, fixture_rows, 4, err, sizeof err);
    if (f->rules == NULL)
        fail_msg("rules: %s", err);

    /* d1-t2 has only its governance line; d1-t1-v2 has no village unit and
     * its grid no workers; d1-t2-v1-g1's one worker is off duty. */
    f->roster = fq_roster_new(f->org);
    add_district(f, "d1");
    add_district(f, "d2");
    add_town_lines(f, "d1-t1", 0);
    add_town_lines(f, "d1-t2", 1);
    add_town_lines(f, "d2-t1", 0);
    add_handler(f, "d1-t1-v1.village", FQ_HANDLER_VILLAGE, "d1-t1-v1", -1, NULL);
    add_handler(f, "d1-t2-v1.village", FQ_HANDLER_VILLAGE, "d1-t2-v1", -1, NULL);
    add_handler(f, "d2-t1-v1.village", FQ_HANDLER_VILLAGE, "d2-t1-v1", -1, NULL);
    ok(fq_roster_add_worker(f->roster, "a", "d1-t1-v1-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(f->roster, "b", "d1-t1-v1-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(f->roster, "c", "d1-t1-v1-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(f->roster, "e", "d1-t1-v1-g2", 3, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(f->roster, "off", "d1-t2-v1-g1", 3, 0, 0, err, sizeof err));
    ok(fq_roster_add_worker(f->roster, "z", "d2-t1-v1-g1", 3, 1, 0, err, sizeof err));
    ok(fq_roster_finish(f->roster, err, sizeof err));

    fq_geo_builder *b = fq_geo_builder_new();
    for (size_t i = 0; i < N_FIXTURE_UNITS; i++) {
        if (fixture_units[i].kind != FQ_UNIT_GRID)
            continue;
        double x0 = 100 + fixture_units[i].x * 0.01, y0 = 30 + fixture_units[i].y * 0.01;
        double ring[] = {x0, y0, x0 + 0.01, y0, x0 + 0.01, y0 + 0.01, x0, y0 + 0.01};
        ok(fq_geo_builder_add(b, fq_org_find(f->org, fixture_units[i].id), ring, 4, err, 256));
    }
    f->geo = fq_geo_build(b, err, sizeof err);
    assert_non_null(f->geo);
    f->router = fq_router_new(f->org, f->roster, f->rules, f->geo, err, sizeof err);
    assert_non_null(f->router);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fq_router_free(f->router);
    fq_geo_free(f->geo);
    fq_roster_free(f->roster);
    fq_rules_free(f->rules);
    fq_taxonomy_free(f->tax);
    fq_org_free(f->org);
    free(f);
    return 0;
}

static int32_t U(fixture *f, const char *id)
{
    int32_t u = fq_org_find(f->org, id);
    if (u < 0)
        fail_msg("no unit %s", id);
    return u;
}

static int32_t H(fixture *f, const char *id)
{
    int32_t h = fq_roster_find_handler(f->roster, id);
    if (h < 0)
        fail_msg("no handler %s", id);
    return h;
}

static int32_t W(fixture *f, const char *id)
{
    int32_t w = fq_roster_find_worker(f->roster, id);
    if (w < 0)
        fail_msg("no worker %s", id);
    return w;
}

static fq_worker *WS(fixture *f, const char *id)
{
    return fq_roster_worker(f->roster, W(f, id));
}

static const char *hname(fixture *f, int32_t h)
{
    return h >= 0 ? fq_roster_handler_id(f->roster, h) : "(none)";
}

static const char *wname(fixture *f, int32_t w)
{
    return w >= 0 ? fq_roster_worker_id(f->roster, w) : "(none)";
}

static fq_route_request request(fixture *f, int category, int severity, int risk, const char *place)
{
    fq_route_request r;
    fq_route_request_init(&r);
    r.category = category;
    r.severity = severity;
    r.risk = risk;
    r.place = place ? U(f, place) : -1;
    r.now_ms = 1000000000000LL;
    return r;
}

static fq_decision route_ok(fixture *f, const fq_route_request *r)
{
    fq_decision d;
    int st = fq_route(f->router, r, &d);
    if (st != FQ_OK)
        fail_msg("route: status %d", (int)st);
    return d;
}

#define assert_worker(f, d, id)                                                                    \
    do {                                                                                           \
        if ((d).worker != W((f), (id)))                                                            \
            fail_msg("worker %s, want %s", wname((f), (d).worker), (id));                          \
    } while (0)

#define assert_lead(f, d, id)                                                                      \
    do {                                                                                           \
        if ((d).lead != H((f), (id)))                                                              \
            fail_msg("lead %s, want %s", hname((f), (d).lead), (id));                              \
    } while (0)

static void assert_co(fixture *f, const fq_decision *d, const char *const *want, int n)
{
    if (d->n_co != n)
        fail_msg("%d co-handlers, want %d (first %s)", d->n_co, n,
                 hname(f, d->n_co ? d->co[0] : -1));
    for (int i = 0; i < n; i++)
        if (d->co[i] != H(f, want[i]))
            fail_msg("co[%d] %s, want %s", i, hname(f, d->co[i]), want[i]);
}

/* ---- village tier ---- */

static void test_village_picks_worker_of_own_grid(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_road, 4, 1, "d1-t1-v1-g2");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(d.line, FQ_LINE_SERVICES);
    assert_int_equal(d.climbed, 0);
    assert_worker(f, d, "e"); /* not a, b or c: they are another grid's */
    assert_lead(f, d, "d1-t1-v1.village");
    assert_int_equal(d.grid, U(f, "d1-t1-v1-g2"));
    assert_int_equal(d.village, U(f, "d1-t1-v1"));
    assert_int_equal(d.town, U(f, "d1-t1"));
    assert_int_equal(d.district, U(f, "d1"));
    assert_int_equal(d.n_co, 0);
    assert_int_equal(d.rule_source, 0); /* the principle */
    /* A rule row saying village: neighbour disputes even at severity III. */
    r = request(f, f->cat_dispute, 3, 2, "d1-t1-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(d.rule_source, 1);
    assert_true(fq_roster_worker_const(f->roster, d.worker)->grid == U(f, "d1-t1-v1-g1"));
}

static void test_least_loaded_wins(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    WS(f, "a")->load = 2;
    WS(f, "b")->load = 1;
    WS(f, "c")->load = 2;
    fq_decision d = route_ok(f, &r);
    assert_worker(f, d, "b");
    WS(f, "c")->load = 0;
    d = route_ok(f, &r);
    assert_worker(f, d, "c");
    /* apply() adds one: b (1) and c (1) tie, a (2) never chosen. */
    fq_route_apply(f->router, &d);
    assert_int_equal(WS(f, "c")->load, 1);
    for (int i = 0; i < 4; i++) {
        d = route_ok(f, &r);
        assert_int_not_equal(d.worker, W(f, "a"));
        fq_route_apply(f->router, &d);
        fq_route_release(f->router, &d);
    }
}

static void test_ties_rotate(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    int32_t seen[6];
    for (int i = 0; i < 6; i++) {
        fq_decision d = route_ok(f, &r);
        /* Deciding alone changes nothing. */
        fq_decision again = route_ok(f, &r);
        assert_int_equal(again.worker, d.worker);
        fq_route_apply(f->router, &d);
        fq_route_release(f->router, &d); /* loads equal again: only the rotation differs */
        seen[i] = d.worker;
    }
    /* Three equal workers in turn, then again. */
    assert_int_not_equal(seen[0], seen[1]);
    assert_int_not_equal(seen[1], seen[2]);
    assert_int_not_equal(seen[0], seen[2]);
    assert_int_equal(seen[3], seen[0]);
    assert_int_equal(seen[4], seen[1]);
    assert_int_equal(seen[5], seen[2]);
    /* Without release, loads spread them too: three apply()s, three workers. */
    fq_decision ds[3];
    for (int i = 0; i < 3; i++) {
        ds[i] = route_ok(f, &r);
        fq_route_apply(f->router, &ds[i]);
    }
    assert_int_equal(WS(f, "a")->load, 1);
    assert_int_equal(WS(f, "b")->load, 1);
    assert_int_equal(WS(f, "c")->load, 1);
    for (int i = 0; i < 3; i++)
        fq_route_release(f->router, &ds[i]);
    assert_int_equal(WS(f, "a")->load + WS(f, "b")->load + WS(f, "c")->load, 0);
}

static void test_off_duty_and_full_are_skipped(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    WS(f, "a")->on_duty = 0;
    WS(f, "b")->load = 5; /* at capacity */
    WS(f, "c")->load = 4; /* busier than a, but a is off duty and b full */
    for (int i = 0; i < 3; i++) {
        fq_decision d = route_ok(f, &r);
        assert_worker(f, d, "c");
        fq_route_apply(f->router, &d);
        fq_route_release(f->router, &d);
    }
    /* Absent (its terminal fell silent): not chosen, though on duty. */
    WS(f, "a")->on_duty = 1;
    WS(f, "a")->absent = 1;
    assert_worker(f, route_ok(f, &r), "c");
    WS(f, "a")->absent = 0;
    assert_worker(f, route_ok(f, &r), "a");
    WS(f, "a")->on_duty = 0;
    /* Excluded (it returned the incident): not chosen either. */
    r.excluded[0] = W(f, "c");
    r.n_excluded = 1;
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_int_equal(d.climbed, 1);
}

static void test_excluded_worker_never_chosen(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    r.excluded[0] = W(f, "b");
    r.n_excluded = 1;
    for (int i = 0; i < 6; i++) {
        fq_decision d = route_ok(f, &r);
        assert_int_equal(d.tier, FQ_TIER_VILLAGE);
        assert_int_not_equal(d.worker, W(f, "b"));
        fq_route_apply(f->router, &d);
        fq_route_release(f->router, &d);
    }
}

/* ---- climbing ---- */

static void test_no_worker_climbs_to_town(void **state)
{
    fixture *f = *state;
    WS(f, "a")->on_duty = WS(f, "b")->on_duty = WS(f, "c")->on_duty = 0;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_int_equal(d.climbed, 1);
    assert_int_equal(d.worker, -1);
    assert_lead(f, d, "d1-t1.governance");
    /* Grid e is on duty but another grid's: never borrowed. */
    assert_int_not_equal(d.worker, W(f, "e"));
    /* A grid with no workers at all, in a village with no village unit. */
    r = request(f, f->cat_road, 4, 1, "d1-t1-v2-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_int_equal(d.climbed, 1);
    assert_lead(f, d, "d1-t1.services");
}

static void test_missing_town_line_goes_to_district(void **state)
{
    fixture *f = *state;
    /* Rule 4: food safety III to the town's market line; d1-t2 has none. */
    fq_route_request r = request(f, f->cat_food, 3, 1, "d1-t2-v1-g1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.rule_source, 4);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_int_equal(d.climbed, 1);
    assert_lead(f, d, "d1.market_regulation");
    assert_int_equal(d.n_co, 0); /* climbing is not a joint operation */
    /* Village tier, worker off duty, no market line: two tiers up. */
    r = request(f, f->cat_food, 4, 1, "d1-t2-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_int_equal(d.climbed, 2);
    /* Same place, governance line exists at the town: one tier. */
    r = request(f, f->cat_dispute, 4, 1, "d1-t2-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_int_equal(d.climbed, 1);
    assert_lead(f, d, "d1-t2.governance");
}

static void test_town_place_never_village(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_int_equal(d.worker, -1);
    assert_int_equal(d.climbed, 0); /* the territory's floor is not a climb */
    assert_int_equal(d.village, -1);
    assert_int_equal(d.grid, -1);
    assert_lead(f, d, "d1-t1.governance");
    r = request(f, f->cat_dispute, 4, 1, "d2");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_lead(f, d, "d2.public_security");
    /* Placed at a village: any worker of the village's grids. */
    r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1");
    for (int i = 0; i < 5; i++) {
        d = route_ok(f, &r);
        assert_int_equal(d.tier, FQ_TIER_VILLAGE);
        assert_int_equal(d.grid, -1);
        assert_int_equal(fq_org_parent(f->org, fq_roster_worker_const(f->roster, d.worker)->grid),
                         U(f, "d1-t1-v1"));
        fq_route_apply(f->router, &d);
    }
    /* Four workers, five incidents: everyone got one, someone two. */
    assert_true(WS(f, "a")->load >= 1 && WS(f, "b")->load >= 1 && WS(f, "c")->load >= 1 &&
                WS(f, "e")->load >= 1);
}

/* ---- district tier, joint operation ---- */

static void test_major_goes_to_district_jointly(void **state)
{
    fixture *f = *state;
    /* Severity II (rule 2), services line: no department leads it -> center. */
    fq_route_request r = request(f, f->cat_road, 2, 1, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_int_equal(d.climbed, 0);
    assert_int_equal(d.rule_source, 2);
    assert_int_equal(d.worker, -1);
    assert_lead(f, d, "d1.center");
    const char *want2[] = {"d1.emergency", "d1.public_security", "d1-t1.services"};
    assert_co(f, &d, want2, 3);
    /* High risk (rule 3), enforcement line: its department leads. */
    r = request(f, f->cat_noise, 4, 3, "d2-t1-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.rule_source, 3);
    assert_lead(f, d, "d2.urban_management");
    const char *want3[] = {"d2.petitions", "d2.justice", "d2-t1.enforcement"};
    assert_co(f, &d, want3, 3);
    /* Severity I, no row: the principle, joint with the town line only. */
    r = request(f, f->cat_noise, 1, 1, "d1-t1-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.rule_source, 0);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_lead(f, d, "d1.urban_management");
    const char *want1[] = {"d1-t1.enforcement"};
    assert_co(f, &d, want1, 1);
    /* Governance line with public_security both lead and co: listed once. */
    r = request(f, f->cat_food, 2, 1, "d1-t2-v1-g1");
    d = route_ok(f, &r);
    assert_lead(f, d, "d1.market_regulation");
    const char *want4[] = {"d1.emergency", "d1.public_security"}; /* d1-t2 has no market line */
    assert_co(f, &d, want4, 2);
    /* Placed at the district itself: no town line to join. */
    r = request(f, f->cat_noise, 2, 1, "d1");
    d = route_ok(f, &r);
    const char *want5[] = {"d1.emergency", "d1.public_security"};
    assert_co(f, &d, want5, 2);
}

/* ---- the rule table ---- */

static void test_specificity(void **state)
{
    fixture *f = *state;
    /* Category row (1) over severity row (2) over risk row (3). */
    const fq_rule *rule = fq_rules_lookup(f->rules, f->cat_dispute, 2, 3);
    assert_int_equal(rule->source, 1);
    assert_int_equal(rule->tier, FQ_TIER_VILLAGE);
    rule = fq_rules_lookup(f->rules, f->cat_road, 2, 3);
    assert_int_equal(rule->source, 2);
    rule = fq_rules_lookup(f->rules, f->cat_road, 4, 3);
    assert_int_equal(rule->source, 3);
    rule = fq_rules_lookup(f->rules, f->cat_road, 4, 1);
    assert_int_equal(rule->source, 0);
    /* Category + severity (4) over severity alone: food II is row 2, III row 4. */
    assert_int_equal(fq_rules_lookup(f->rules, f->cat_food, 3, 3)->source, 4);
    assert_int_equal(fq_rules_lookup(f->rules, f->cat_food, 2, 1)->source, 2);
    /* line -1 = the category's default line. */
    assert_int_equal(fq_rules_lookup(f->rules, f->cat_noise, 2, 1)->line, FQ_LINE_ENFORCEMENT);
    /* The router follows the table. */
    fq_route_request r = request(f, f->cat_dispute, 2, 3, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(d.rule_source, 1);
}

static void test_principle(void **state)
{
    (void)state;
    for (int s = 1; s <= 4; s++)
        for (int k = 1; k <= 3; k++) {
            fq_rule p = fq_rules_principle(FQ_LINE_MARKET, s, k);
            int want = (s <= 2 || k == 3)   ? FQ_TIER_DISTRICT
                       : (s == 3 || k == 2) ? FQ_TIER_TOWN
                                            : FQ_TIER_VILLAGE;
            assert_int_equal(p.tier, want);
            assert_int_equal(p.line, FQ_LINE_MARKET);
            assert_int_equal(p.joint, want == FQ_TIER_DISTRICT);
            assert_true(p.ack_warn_s < p.ack_s && p.conclude_warn_s < p.conclude_s);
            assert_true(p.ack_s <= p.conclude_s);
        }
}

static void test_equal_specificity_is_an_error(void **state)
{
    fixture *f = *state;
    fq_rule_row rows[2] = {fixture_rows[1], fixture_rows[1]};
    rows[1].id = 9;
    rows[1].tier = FQ_TIER_TOWN;
    err[0] = '\0';
    assert_null(fq_rules_compile(f->tax, 1, rows, 2, err, sizeof err));
    assert_non_null(strstr(err, "same specificity"));
    assert_non_null(strstr(err, "9"));
    /* Two rows for one category. */
    fq_rule_row cat[2] = {fixture_rows[0], fixture_rows[0]};
    cat[1].id = 10;
    assert_null(fq_rules_compile(f->tax, 1, cat, 2, err, sizeof err));
    /* Same dimensions, disjoint cells: fine. */
    rows[1].severity = 1;
    fq_rules *ok_rules = fq_rules_compile(f->tax, 1, rows, 2, err, sizeof err);
    assert_non_null(ok_rules);
    fq_rules_free(ok_rules);
    /* Severity and risk (3) over category alone? No: category (5) wins. */
    fq_rule_row mix[2] = {fixture_rows[0], fixture_rows[1]};
    mix[1].risk = 3;
    ok_rules = fq_rules_compile(f->tax, 1, mix, 2, err, sizeof err);
    assert_non_null(ok_rules);
    assert_int_equal(fq_rules_lookup(ok_rules, f->cat_dispute, 2, 3)->source, 1);
    fq_rules_free(ok_rules);
}

/* ---- overrides ---- */

static void test_override(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    r.override_worker = W(f, "e");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.overridden, 1);
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_worker(f, d, "e");
    assert_lead(f, d, "d1-t1-v1.village");
    assert_int_equal(d.grid, U(f, "d1-t1-v1-g1")); /* the territory stays the incident's */
    fq_route_apply(f->router, &d);
    assert_int_equal(WS(f, "e")->load, 1);
    fq_route_release(f->router, &d);
    assert_int_equal(WS(f, "e")->load, 0);
    /* Named handler: a district department, even for a village matter. */
    r.override_worker = -1;
    r.override_handler = H(f, "d1.justice");
    d = route_ok(f, &r);
    assert_int_equal(d.overridden, 1);
    assert_int_equal(d.tier, FQ_TIER_DISTRICT);
    assert_lead(f, d, "d1.justice");
    assert_int_equal(d.worker, -1);
    r.override_handler = H(f, "d1-t2.governance");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    /* Out of range. */
    r.override_handler = 10000;
    fq_decision bad;
    assert_int_equal(fq_route(f->router, &r, &bad), FQ_EINVALID);
    r.override_handler = -1;
    r.override_worker = 10000;
    assert_int_equal(fq_route(f->router, &r, &bad), FQ_EINVALID);
}

/* ---- coordinates ---- */

static void test_coordinates_placed_by_polygons(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, NULL);
    r.has_location = 1;
    r.lon = 100.015; /* inside d1-t1-v1-g2 */
    r.lat = 30.005;
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.unplaced, 0);
    assert_int_equal(d.grid, U(f, "d1-t1-v1-g2"));
    assert_worker(f, d, "e");
    r.lon = 100.045; /* d2's grid */
    d = route_ok(f, &r);
    assert_int_equal(d.district, U(f, "d2"));
    assert_worker(f, d, "z");
    /* A place wins over coordinates. */
    r.place = U(f, "d1-t1-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.grid, U(f, "d1-t1-v1-g1"));
}

static void test_coordinates_in_no_grid(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, NULL);
    r.has_location = 1;
    r.lon = 101.0;
    r.lat = 30.005;
    r.fallback_place = U(f, "d1-t1");
    fq_decision d = route_ok(f, &r);
    assert_int_equal(d.unplaced, 1);
    assert_int_equal(d.grid, -1);
    assert_int_equal(d.town, U(f, "d1-t1"));
    assert_int_equal(d.tier, FQ_TIER_TOWN);
    assert_lead(f, d, "d1-t1.governance");
    /* No fallback: nowhere, and no handler named. */
    r.fallback_place = -1;
    assert_int_equal(fq_route(f->router, &r, &d), FQ_ENOTFOUND);
    assert_int_equal(d.status, FQ_ROUTE_NOWHERE);
    assert_int_equal(d.lead, -1);
    assert_int_equal(d.worker, -1);
    /* NaN coordinates are in no grid either. */
    r.lon = 0.0 / 0.0;
    assert_int_equal(fq_route(f->router, &r, &d), FQ_ENOTFOUND);
    assert_int_equal(d.status, FQ_ROUTE_NOWHERE);
    /* No polygons at all: straight to the fallback. */
    char e2[128];
    fq_router *plain = fq_router_new(f->org, f->roster, f->rules, NULL, e2, sizeof e2);
    assert_non_null(plain);
    r.lon = 100.015;
    r.fallback_place = U(f, "d1-t1-v1");
    assert_int_equal(fq_route(plain, &r, &d), FQ_OK);
    assert_int_equal(d.unplaced, 1);
    assert_int_equal(d.village, U(f, "d1-t1-v1"));
    fq_router_free(plain);
}

/* ---- escalation ---- */

/* A return "wrong jurisdiction": decided afresh for the right owner, at the
 * same tier, not back to the worker who returned it. */
static void test_reroute_wrong_jurisdiction(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r), moved;
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(fq_route_reroute(f->router, &r, &d, U(f, "d1-t1-v1-g2"), &moved), FQ_OK);
    assert_int_equal(moved.tier, FQ_TIER_VILLAGE);
    assert_int_equal(moved.grid, U(f, "d1-t1-v1-g2"));
    assert_worker(f, moved, "e");
    /* Back to the first grid: its worker who returned it is not chosen. */
    fq_decision back;
    assert_int_equal(fq_route_reroute(f->router, &r, &moved, U(f, "d1-t1-v1-g1"), &back), FQ_OK);
    assert_int_equal(back.grid, U(f, "d1-t1-v1-g1"));
    assert_int_not_equal(back.worker, moved.worker);
    /* A town-tier decision is not sent down by a reroute. */
    fq_decision town = d;
    town.tier = FQ_TIER_TOWN;
    assert_int_equal(fq_route_reroute(f->router, &r, &town, U(f, "d1-t1-v1-g2"), &moved), FQ_OK);
    assert_int_equal(moved.tier, FQ_TIER_TOWN);
}

/* `fq-terminal return ID --reason wrong --to VILLAGE`: the right place named
 * is a village, not a grid — the village's own workers take it, at the
 * village tier; it does not go up to the town line. */
static void test_reroute_to_a_village(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g2");
    fq_decision d = route_ok(f, &r), moved;
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_worker(f, d, "e");
    assert_int_equal(fq_route_reroute(f->router, &r, &d, U(f, "d1-t1-v1"), &moved), FQ_OK);
    assert_int_equal(moved.tier, FQ_TIER_VILLAGE);
    assert_int_equal(moved.village, U(f, "d1-t1-v1"));
    assert_true(moved.worker >= 0);
    assert_int_not_equal(moved.worker, d.worker);
}

/* The named village's workers cannot take it (d1-t2-v1's one worker is off
 * duty): it stays in that village with the village unit, instead of going
 * up to the town line as it did. */
static void test_reroute_to_a_village_without_workers(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r), moved;
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(fq_route_reroute(f->router, &r, &d, U(f, "d1-t2-v1"), &moved), FQ_OK);
    assert_int_equal(moved.tier, FQ_TIER_VILLAGE);
    assert_int_equal(moved.climbed, 0);
    assert_int_equal(moved.village, U(f, "d1-t2-v1"));
    assert_int_equal(moved.worker, -1);
    assert_int_equal(moved.lead, fq_roster_find_handler(f->roster, "d1-t2-v1.village"));
    /* A village without a village unit (d1-t1-v2) still climbs. */
    assert_int_equal(fq_route_reroute(f->router, &r, &d, U(f, "d1-t1-v2"), &moved), FQ_OK);
    assert_int_equal(moved.tier, FQ_TIER_TOWN);
}

static void test_escalation_chain(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    fq_decision d = route_ok(f, &r), up;
    int32_t first = d.worker;
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.tier, FQ_TIER_TOWN);
    assert_lead(f, up, "d1-t1.governance");
    assert_int_not_equal(up.worker, first);
    assert_int_equal(up.grid, d.grid);
    d = up;
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.tier, FQ_TIER_DISTRICT);
    assert_lead(f, up, "d1.public_security");
    d = up;
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_ESTATE);
    assert_int_equal(up.lead, -1);
    /* Where the town line is missing, escalation goes on to the district. */
    WS(f, "off")->on_duty = 1;
    r = request(f, f->cat_food, 4, 1, "d1-t2-v1-g1");
    d = route_ok(f, &r);
    assert_int_equal(d.tier, FQ_TIER_VILLAGE);
    assert_worker(f, d, "off");
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.tier, FQ_TIER_DISTRICT);
    assert_int_equal(up.climbed, 1);
    assert_lead(f, up, "d1.market_regulation");
    d = up;
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_ESTATE);
    /* Coordinates-only: the territory found stays, no second lookup needed. */
    r = request(f, f->cat_dispute, 4, 1, NULL);
    r.has_location = 1;
    r.lon = 100.015;
    r.lat = 30.005;
    d = route_ok(f, &r);
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.tier, FQ_TIER_TOWN);
    assert_int_equal(up.grid, U(f, "d1-t1-v1-g2"));
    /* Escalating an operator's choice at village tier goes up from there. */
    r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    r.override_worker = W(f, "a");
    d = route_ok(f, &r);
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.overridden, 0);
    assert_int_equal(up.tier, FQ_TIER_TOWN);
}

/* ---- deadlines ---- */

static void test_deadlines(void **state)
{
    fixture *f = *state;
    const int64_t now = 1538352000123LL;
    fq_route_request r = request(f, f->cat_road, 2, 1, "d1-t1-v1-g1"); /* rule 2 */
    r.now_ms = now;
    fq_decision d = route_ok(f, &r);
    assert_true(d.ack_due_ms == now + 900 * 1000LL);
    assert_true(d.ack_warn_ms == now + (900 - 180) * 1000LL);
    assert_true(d.conclude_due_ms == now + 7 * 86400 * 1000LL);
    assert_true(d.conclude_warn_ms == now + 6 * 86400 * 1000LL);
    /* The principle: village, 1 h / 1 day, warnings a fifth before. */
    r = request(f, f->cat_road, 4, 1, "d1-t1-v1-g1");
    r.now_ms = now;
    d = route_ok(f, &r);
    fq_rule p = fq_rules_principle(FQ_LINE_SERVICES, 4, 1);
    assert_true(d.ack_due_ms == now + (int64_t)p.ack_s * 1000);
    assert_true(d.ack_warn_ms == d.ack_due_ms - (int64_t)p.ack_warn_s * 1000);
    assert_true(d.conclude_due_ms == now + (int64_t)p.conclude_s * 1000);
    assert_true(d.conclude_warn_ms == d.conclude_due_ms - (int64_t)p.conclude_warn_s * 1000);
    assert_true(now < d.ack_warn_ms && d.ack_warn_ms < d.ack_due_ms);
    assert_true(d.ack_due_ms <= d.conclude_due_ms);
    assert_true(d.conclude_warn_ms < d.conclude_due_ms);
    /* Escalated: limits run again from the escalation's now. */
    fq_decision up;
    r.now_ms = now + 5000;
    assert_int_equal(fq_route_escalate(f->router, &r, &d, &up), FQ_OK);
    assert_true(up.ack_due_ms == now + 5000 + (int64_t)p.ack_s * 1000);
}

/* ---- working time (docs/calendar.md) ---- */

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

/* A Beijing local time as an instant. */
static int64_t bj(int y, int mo, int d, int h, int mi)
{
    return fq_cal_day_from_date(y, mo, d) * FQ_CAL_DAY_MS + (h * 60 + mi) * MIN_MS -
           8 * 3600 * 1000LL;
}

static void cal_range(fq_calendar *c, int y, int mo, int from, int to, int working)
{
    for (int d = from; d <= to; d++)
        ok(fq_calendar_set_day(c, y, mo, d, working, err, sizeof err));
}

/* examples/calendar-2026.json by hand: 08:30-12:00, 13:30-17:30. */
static void calendar_2026(fq_calendar *c)
{
    fq_calendar_init(c, 8 * 3600);
    const fq_cal_period hours[] = {{8 * 60 + 30, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
    ok(fq_calendar_set_periods(c, hours, 2, err, sizeof err));
    ok(fq_calendar_cover_year(c, 2026, err, sizeof err));
    cal_range(c, 2026, 1, 1, 3, 0);
    cal_range(c, 2026, 1, 4, 4, 1);
    cal_range(c, 2026, 2, 15, 23, 0);
    cal_range(c, 2026, 2, 14, 14, 1);
    cal_range(c, 2026, 2, 28, 28, 1);
    cal_range(c, 2026, 4, 4, 6, 0);
    cal_range(c, 2026, 5, 1, 5, 0);
    cal_range(c, 2026, 5, 9, 9, 1);
    cal_range(c, 2026, 6, 19, 21, 0);
    cal_range(c, 2026, 9, 25, 27, 0);
    cal_range(c, 2026, 10, 1, 7, 0);
    cal_range(c, 2026, 9, 20, 20, 1);
    cal_range(c, 2026, 10, 10, 10, 1);
}

/* The fixed rows plus rule 11: neighbour disputes of severity IV in working
 * time, acknowledged within 4 working hours (warned 1 before) and concluded
 * within 5 working days (warned a working day before). */
static fq_rules *working_rules(fixture *f)
{
    fq_rule_row rows[5];
    memcpy(rows, fixture_rows, sizeof fixture_rows);
    rows[4] = (fq_rule_row){.id = 11,
                            .category = "dispute.neighbour",
                            .severity = 4,
                            .tier = FQ_TIER_VILLAGE,
                            .line = -1,
                            .ack_s = 4 * 3600,
                            .ack_warn_s = 3600,
                            .conclude_s = 5 * 86400,
                            .conclude_warn_s = 86400,
                            .working = 1};
    fq_rules *rules = fq_rules_compile(f->tax, 8, rows, 5, err, sizeof err);
    if (rules == NULL)
        fail_msg("rules: %s", err);
    return rules;
}

static fq_decision route_at(fixture *f, fq_router *router, int category, int severity,
                            const char *place, int64_t now)
{
    fq_route_request r = request(f, category, severity, 1, place);
    r.now_ms = now;
    fq_decision d;
    if (fq_route(router, &r, &d) != FQ_OK)
        fail_msg("route: status %d", (int)d.status);
    return d;
}

#define assert_instant(got, want)                                                                  \
    do {                                                                                           \
        int64_t g_ = (got), w_ = (want);                                                           \
        if (g_ != w_)                                                                              \
            fail_msg("%s: %" PRId64 ", want %" PRId64 " (off by %" PRId64 " min)", #got, g_, w_,   \
                     (int64_t)((g_ - w_) / MIN_MS));                                               \
    } while (0)

static void test_working_time(void **state)
{
    fixture *f = *state;
    fq_rules *rules = working_rules(f);
    fq_router *router = fq_router_new(f->org, f->roster, rules, f->geo, err, sizeof err);
    assert_non_null(router);
    fq_calendar cal;
    calendar_2026(&cal);
    assert_int_equal(fq_router_set_calendar(router, U(f, "d1"), &cal), 0);
    assert_int_equal(fq_router_set_calendar(router, U(f, "d1-t1"), &cal), -1);
    assert_ptr_equal(fq_router_calendar(router, U(f, "d1")), &cal);

    /* Across National Day: reported Wednesday Sep 30 16:00. Acknowledge:
     * 1.5 h that day, 2.5 h on Oct 8 -> 11:00, warned at 10:00. Conclude:
     * Oct 8, 9, 10 (make-up Saturday), 12, 13 -> Oct 13 17:30, warned a
     * working day (7.5 h) before: the close of Oct 12. */
    fq_decision d = route_at(f, router, f->cat_dispute, 4, "d1-t1-v1-g1", bj(2026, 9, 30, 16, 0));
    assert_int_equal(d.working_time, 1);
    assert_int_equal(d.rule_source, 11);
    assert_instant(d.ack_due_ms, bj(2026, 10, 8, 11, 0));
    assert_instant(d.ack_warn_ms, bj(2026, 10, 8, 10, 0));
    assert_instant(d.conclude_due_ms, bj(2026, 10, 13, 17, 30));
    assert_instant(d.conclude_warn_ms, bj(2026, 10, 12, 17, 30));

    /* Escalated on Oct 8 at 09:00: the town's limits run from then, in
     * working time too (3 h before lunch, 1 h after: 14:30; five working
     * days Oct 9, 10, 12, 13, 14). */
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    r.now_ms = bj(2026, 10, 8, 9, 0);
    fq_decision up;
    assert_int_equal(fq_route_escalate(router, &r, &d, &up), FQ_OK);
    assert_int_equal(up.tier, FQ_TIER_TOWN);
    assert_int_equal(up.working_time, 1);
    assert_instant(up.ack_due_ms, bj(2026, 10, 8, 14, 30));
    assert_instant(up.conclude_due_ms, bj(2026, 10, 14, 17, 30));
    /* Escalated at the acknowledge limit itself, Oct 8 11:00 (docs/calendar.md's
     * worked example): 1 h before lunch, 3 after. */
    r.now_ms = bj(2026, 10, 8, 11, 0);
    assert_int_equal(fq_route_escalate(router, &r, &d, &up), FQ_OK);
    assert_instant(up.ack_due_ms, bj(2026, 10, 8, 16, 30));
    assert_instant(up.ack_warn_ms, bj(2026, 10, 8, 15, 30));
    assert_instant(up.conclude_due_ms, bj(2026, 10, 14, 17, 30));

    /* A make-up Saturday counts: reported Friday Feb 13 16:30, 1 h that
     * day, 3 h on Saturday Feb 14 -> 11:30; five working days are Feb 14,
     * then after the Spring Festival Feb 24, 25, 26, 27. */
    d = route_at(f, router, f->cat_dispute, 4, "d1-t1-v1-g1", bj(2026, 2, 13, 16, 30));
    assert_instant(d.ack_due_ms, bj(2026, 2, 14, 11, 30));
    assert_instant(d.conclude_due_ms, bj(2026, 2, 27, 17, 30));

    /* A report after hours: Monday Mar 2 20:00 counts from Tuesday 08:30
     * (3.5 h before lunch, 0.5 h after); the report's day is not counted. */
    d = route_at(f, router, f->cat_dispute, 4, "d1-t1-v1-g1", bj(2026, 3, 2, 20, 0));
    assert_instant(d.ack_due_ms, bj(2026, 3, 3, 14, 0));
    assert_instant(d.ack_warn_ms, bj(2026, 3, 3, 11, 30));
    assert_instant(d.conclude_due_ms, bj(2026, 3, 9, 17, 30));

    /* Year end: Wednesday Dec 31 2025 (2025 not imported: the weekly rule)
     * into the New Year holiday and its make-up Sunday Jan 4. */
    d = route_at(f, router, f->cat_dispute, 4, "d1-t1-v1-g1", bj(2025, 12, 31, 10, 0));
    assert_instant(d.ack_due_ms, bj(2025, 12, 31, 15, 30));
    assert_instant(d.conclude_due_ms, bj(2026, 1, 8, 17, 30));

    /* Emergencies stay natural time: severity II is rule 2's, 15 min. */
    const int64_t evening = bj(2026, 9, 30, 17, 0);
    d = route_at(f, router, f->cat_road, 2, "d1-t1-v1-g1", evening);
    assert_int_equal(d.working_time, 0);
    assert_instant(d.ack_due_ms, evening + 900 * 1000LL);

    /* A district without a calendar: the default, Monday to Friday whole
     * days at +08:00, no holidays. Thursday Oct 1 10:00: 4 h -> 14:00; five
     * working days Oct 2, 5, 6, 7, 8 -> the end of Oct 8. */
    d = route_at(f, router, f->cat_dispute, 4, "d2-t1-v1-g1", bj(2026, 10, 1, 10, 0));
    assert_int_equal(d.working_time, 1);
    assert_instant(d.ack_due_ms, bj(2026, 10, 1, 14, 0));
    assert_instant(d.conclude_due_ms, bj(2026, 10, 9, 0, 0));

    /* Taken back: d1 without its calendar falls to the default too. */
    assert_int_equal(fq_router_set_calendar(router, U(f, "d1"), NULL), 0);
    d = route_at(f, router, f->cat_dispute, 4, "d1-t1-v1-g1", bj(2026, 10, 1, 10, 0));
    assert_instant(d.conclude_due_ms, bj(2026, 10, 9, 0, 0));

    /* "20h" of working time outlasts "1d" (the close of the next working
     * day): acknowledging is due no later than concluding. */
    fq_rule_row long_ack = {.id = 12,
                            .category = "road.damage",
                            .severity = 4,
                            .tier = FQ_TIER_VILLAGE,
                            .line = -1,
                            .ack_s = 20 * 3600,
                            .ack_warn_s = 3600,
                            .conclude_s = 86400,
                            .conclude_warn_s = 3600,
                            .working = 1};
    fq_rules *rules2 = fq_rules_compile(f->tax, 9, &long_ack, 1, err, sizeof err);
    assert_non_null(rules2);
    fq_router *router2 = fq_router_new(f->org, f->roster, rules2, f->geo, err, sizeof err);
    assert_non_null(router2);
    assert_int_equal(fq_router_set_calendar(router2, U(f, "d1"), &cal), 0);
    d = route_at(f, router2, f->cat_road, 4, "d1-t1-v1-g1", bj(2026, 3, 2, 9, 0));
    assert_instant(d.conclude_due_ms, bj(2026, 3, 3, 17, 30));
    assert_instant(d.ack_due_ms, d.conclude_due_ms);
    fq_router_free(router2);
    fq_rules_free(rules2);

    /* A warning longer than the working time left is due at once, never
     * before the decision: fq_working_warning alone would give Sep 30. */
    assert_true(fq_working_warning(&cal, bj(2026, 10, 8, 9, 0), 2 * 3600) < bj(2026, 10, 1, 0, 0));
    fq_router_free(router);
    fq_rules_free(rules);
}

/* A working-time rule that decides a severity I or II cell is refused,
 * naming the rule; one for "any severity" is fine where natural-time rules
 * decide severities I and II. */
static void test_working_time_not_for_emergencies(void **state)
{
    fixture *f = *state;
    fq_rule_row row = {.id = 21,
                       .category = "road.damage",
                       .tier = FQ_TIER_TOWN,
                       .line = -1,
                       .ack_s = 4 * 3600,
                       .ack_warn_s = 3600,
                       .conclude_s = 5 * 86400,
                       .conclude_warn_s = 86400,
                       .working = 1};
    fq_rules *rules = fq_rules_compile(f->tax, 9, &row, 1, err, sizeof err);
    assert_null(rules);
    assert_non_null(strstr(err, "rule 21"));
    assert_non_null(strstr(err, "at severity I,"));
    assert_non_null(strstr(err, "natural time"));
    /* Severity II only (severity I decided by the principle): still refused. */
    row.severity = 2;
    assert_null(fq_rules_compile(f->tax, 9, &row, 1, err, sizeof err));
    assert_non_null(strstr(err, "at severity II,"));
    /* Any category and severity, with natural rules for I and II. */
    fq_rule_row rows[3] = {row, row, row};
    rows[0].category = NULL;
    rows[0].severity = 0;
    rows[1].id = 22;
    rows[1].category = NULL;
    rows[1].severity = 1;
    rows[1].working = 0;
    rows[2].id = 23;
    rows[2].category = NULL;
    rows[2].severity = 2;
    rows[2].working = 0;
    rules = fq_rules_compile(f->tax, 9, rows, 3, err, sizeof err);
    if (rules == NULL)
        fail_msg("rules: %s", err);
    assert_int_equal(fq_rules_lookup(rules, f->cat_road, 3, 1)->working, 1);
    assert_int_equal(fq_rules_lookup(rules, f->cat_road, 1, 3)->working, 0);
    assert_int_equal(sizeof(fq_rule), 32);
    fq_rules_free(rules);
}

static void test_bad_input(void **state)
{
    fixture *f = *state;
    fq_decision d;
    fq_route_request r = request(f, 4, 4, 1, "d1-t1"); /* category out of range */
    assert_int_equal(fq_route(f->router, &r, &d), FQ_EINVALID);
    int cases[][2] = {{0, 1}, {5, 1}, {4, 0}, {4, 4}};
    for (int i = 0; i < 4; i++) {
        r = request(f, f->cat_road, cases[i][0], cases[i][1], "d1-t1");
        assert_int_equal(fq_route(f->router, &r, &d), FQ_EINVALID);
        assert_int_equal(d.lead, -1);
    }
    r = request(f, f->cat_road, 4, 1, NULL);
    r.place = 1000;
    assert_int_equal(fq_route(f->router, &r, &d), FQ_EINVALID);
    /* apply/release of a refused decision change nothing. */
    fq_route_apply(f->router, &d);
    fq_route_release(f->router, &d);
}

/* ---- known bugs (run with the argument known_bugs) ---- */

/* n_excluded is trusted: a value beyond FQ_ROUTE_MAX_EXCLUDED makes
 * excluded() read past req->excluded[] (UBSan: index out of bounds); a
 * negative one is silently ignored. Expected: FQ_EINVALID. */
static void test_bug_n_excluded_unchecked(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    WS(f, "a")->on_duty = WS(f, "b")->on_duty = 0; /* only c is free: all 8 slots scanned */
    r.n_excluded = FQ_ROUTE_MAX_EXCLUDED + 1;
    for (int i = 0; i < FQ_ROUTE_MAX_EXCLUDED; i++)
        r.excluded[i] = 999;
    fq_decision d;
    assert_int_equal(fq_route(f->router, &r, &d), FQ_EINVALID);
}

/* min_tier outside 0..3 is not refused: 4 gives NO_HANDLER (as if the
 * topology had a gap), a negative value is ignored. Expected: BAD_INPUT. */
static void test_bug_min_tier_unchecked(void **state)
{
    fixture *f = *state;
    fq_route_request r = request(f, f->cat_dispute, 4, 1, "d1-t1-v1-g1");
    r.min_tier = (fq_tier)4;
    fq_decision d;
    assert_int_equal(fq_route(f->router, &r, &d), FQ_EINVALID);
}

/* A roster without workers: fq_roster_finish calls qsort(NULL, 0, ...),
 * which UBSan reports (qsort's first argument is declared nonnull). */
static void test_bug_roster_without_workers(void **state)
{
    (void)state;
    fq_org *org = fq_org_new();
    ok(fq_org_add(org, "d1", FQ_UNIT_DISTRICT, "", "d1", err, sizeof err));
    ok(fq_org_finish(org, err, sizeof err));
    fq_roster *ro = fq_roster_new(org);
    ok(fq_roster_add_handler(ro, "d1.center", FQ_HANDLER_CENTER, "d1", -1, NULL, err, 256));
    ok(fq_roster_finish(ro, err, sizeof err));
    assert_int_equal(fq_roster_worker_count(ro), 0);
    fq_roster_free(ro);
    fq_org_free(org);
}

/* ================= properties over synthetic cities ================= */

static uint64_t base_seed = 20190426;
static uint64_t cur_seed;
static int cur_incident;

#define P_FAIL(...)                                                                                \
    do {                                                                                           \
        char m_[512];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        fail_msg("seed %" PRIu64 " incident %d: %s", cur_seed, cur_incident, m_);                  \
    } while (0)

#define P_CHECK(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            P_FAIL(#cond " — " __VA_ARGS__);                                                       \
    } while (0)

static fq_city *city_for(uint64_t seed, int variant)
{
    fq_city_params p;
    fq_city_params_small(&p, seed);
    if (variant % 3 == 1) {
        /* Gaps in the topology so that every climbing path is taken. */
        p.gap_town_line = 0.3;
        p.gap_village = 0.3;
        p.gap_lead = 0.3;
        p.on_duty = 0.6;
    } else if (variant % 3 == 2) {
        p.polygons = 0;
        p.busy = 0.6;
        p.rule_rows = (int)(seed % 2);
    }
    fq_city *c = fq_city_new(&p, err, sizeof err);
    if (c == NULL)
        fail_msg("seed %" PRIu64 ": city: %s", seed, err);
    return c;
}

static int is_excluded(const fq_route_request *r, int32_t w)
{
    for (int i = 0; i < r->n_excluded; i++)
        if (r->excluded[i] == w)
            return 1;
    return 0;
}

static int available(const fq_worker *w)
{
    return w->on_duty && w->load < w->capacity;
}

/* Who could take it at village tier, independently of the router. Returns
 * the count of available workers and the least load among them. */
static int village_candidates(const fq_city *c, const fq_route_request *r, int32_t grid,
                              int32_t village, unsigned *least)
{
    int n = 0;
    *least = UINT32_MAX;
    for (size_t w = 0; w < fq_roster_worker_count(c->roster); w++) {
        const fq_worker *wk = fq_roster_worker_const(c->roster, (int32_t)w);
        int inside = grid >= 0 ? wk->grid == grid : fq_org_parent(c->org, wk->grid) == village;
        if (!inside || !available(wk) || is_excluded(r, (int32_t)w))
            continue;
        n++;
        if (wk->load < *least)
            *least = wk->load;
    }
    return n;
}

static void owners_of(const fq_org *org, int32_t place, int32_t o[5])
{
    o[1] = o[2] = o[3] = o[4] = -1;
    for (int32_t u = place; u >= 0; u = fq_org_parent(org, u))
        o[fq_org_kind(org, u)] = u;
}

/* Everything one decision must satisfy, given the state it was made in. */
static void check_decision(const fq_city *c, const fq_route_request *r, int32_t truth,
                           const fq_decision *d)
{
    const fq_roster *ro = c->roster;
    if (truth < 0 && r->fallback_place < 0) {
        P_CHECK(d->status == FQ_ROUTE_NOWHERE, "status %d", d->status);
        return;
    }
    P_CHECK(d->status == FQ_ROUTE_ASSIGNED, "status %d", d->status);
    int32_t place = truth >= 0 ? truth : r->fallback_place;
    P_CHECK(d->unplaced == (truth < 0), "unplaced %d", d->unplaced);
    int32_t o[5];
    owners_of(c->org, place, o);
    P_CHECK(d->district == o[FQ_UNIT_DISTRICT] && d->town == o[FQ_UNIT_TOWN] &&
                d->village == o[FQ_UNIT_VILLAGE] && d->grid == o[FQ_UNIT_GRID],
            "owners %d/%d/%d/%d, want %d/%d/%d/%d", d->district, d->town, d->village, d->grid, o[1],
            o[2], o[3], o[4]);

    const fq_rule *rule = fq_rules_lookup(c->rules, r->category, r->severity, r->risk);
    P_CHECK(d->line == rule->line, "line %d, rule %d", d->line, rule->line);
    P_CHECK(d->rule_source == rule->source, "source %u", d->rule_source);
    int floor = d->village >= 0 ? FQ_TIER_VILLAGE : d->town >= 0 ? FQ_TIER_TOWN : FQ_TIER_DISTRICT;
    int start = rule->tier;
    if ((int)r->min_tier > start)
        start = r->min_tier;
    if (floor > start)
        start = floor;
    P_CHECK(d->tier >= start, "tier %d below %d", d->tier, start);
    P_CHECK(d->climbed == d->tier - start, "climbed %d, tier %d from %d", d->climbed, d->tier,
            start);
    P_CHECK(d->ack_due_ms == r->now_ms + (int64_t)rule->ack_s * 1000 &&
                d->conclude_due_ms == r->now_ms + (int64_t)rule->conclude_s * 1000 &&
                d->ack_warn_ms == d->ack_due_ms - (int64_t)rule->ack_warn_s * 1000 &&
                d->conclude_warn_ms == d->conclude_due_ms - (int64_t)rule->conclude_warn_s * 1000,
            "deadlines");

    /* Climbing only where the tier below truly had nobody. */
    fq_line line = (fq_line)rule->line;
    unsigned least;
    if (start == FQ_TIER_VILLAGE && d->tier > FQ_TIER_VILLAGE)
        P_CHECK(village_candidates(c, r, d->grid, d->village, &least) == 0,
                "climbed past available workers");
    if (start <= FQ_TIER_TOWN && d->tier > FQ_TIER_TOWN)
        P_CHECK(fq_roster_town_line(ro, d->town, line) < 0, "climbed past a town line");

    switch (d->tier) {
    case FQ_TIER_VILLAGE: {
        P_CHECK(d->worker >= 0, "village tier without a worker");
        const fq_worker *w = fq_roster_worker_const(ro, d->worker);
        if (d->grid >= 0)
            P_CHECK(w->grid == d->grid, "worker of grid %d, incident in %d", w->grid, d->grid);
        else
            P_CHECK(fq_org_parent(c->org, w->grid) == d->village, "worker outside the village");
        P_CHECK(available(w), "worker off duty or full: load %u/%u on %d", w->load, w->capacity,
                w->on_duty);
        P_CHECK(!is_excluded(r, d->worker), "excluded worker chosen");
        P_CHECK(village_candidates(c, r, d->grid, d->village, &least) > 0 && w->load == least,
                "worker load %u, least %u", w->load, least);
        P_CHECK(d->lead == fq_roster_village(ro, d->village), "lead %d", d->lead);
        P_CHECK(d->n_co == 0, "co at village tier");
        break;
    }
    case FQ_TIER_TOWN:
        P_CHECK(d->worker == -1, "worker at town tier");
        P_CHECK(d->lead >= 0 && d->lead == fq_roster_town_line(ro, d->town, line), "lead %d",
                d->lead);
        P_CHECK(fq_roster_handler_territory(ro, d->lead) == d->town, "town line of another town");
        P_CHECK(d->n_co == 0, "co at town tier");
        break;
    case FQ_TIER_DISTRICT: {
        P_CHECK(d->worker == -1, "worker at district tier");
        int32_t want = fq_roster_district_line(ro, d->district, line);
        if (want < 0)
            want = fq_roster_center(ro, d->district);
        P_CHECK(d->lead == want, "lead %d, want %d", d->lead, want);
        P_CHECK(fq_roster_handler_territory(ro, d->lead) == d->district, "another district");
        /* Co-handlers: the rule's departments here, then the town line. */
        int32_t co[FQ_ROUTE_MAX_CO];
        int n = 0;
        if (rule->joint) {
            int32_t cand[FQ_RULE_MAX_CO + 1];
            int nc = 0;
            for (int i = 0; i < rule->n_co; i++)
                cand[nc++] = fq_roster_department(ro, d->district,
                                                  fq_rules_department_code(c->rules, rule->co[i]));
            cand[nc++] = fq_roster_town_line(ro, d->town, line);
            for (int i = 0; i < nc; i++) {
                int dup = cand[i] < 0 || cand[i] == d->lead;
                for (int j = 0; j < n; j++)
                    dup |= co[j] == cand[i];
                if (!dup && n < FQ_ROUTE_MAX_CO)
                    co[n++] = cand[i];
            }
        }
        P_CHECK(d->n_co == n, "%d co-handlers, want %d", d->n_co, n);
        for (int i = 0; i < n; i++) {
            P_CHECK(d->co[i] == co[i], "co[%d] %d, want %d", i, d->co[i], co[i]);
            int32_t t = fq_roster_handler_territory(ro, d->co[i]);
            P_CHECK(t == d->district || t == d->town, "co-handler outside the territory");
        }
        break;
    }
    default:
        P_FAIL("tier %d", d->tier);
    }
}

static void check_capacity(const fq_city *c)
{
    for (size_t w = 0; w < fq_roster_worker_count(c->roster); w++) {
        const fq_worker *wk = fq_roster_worker_const(c->roster, (int32_t)w);
        P_CHECK(wk->load <= wk->capacity, "worker %zu over capacity %u/%u", w, wk->load,
                wk->capacity);
    }
}

/* Escalation from d: strictly up, same territory, at most 3 steps to the top (FQ_ESTATE). */
static void check_escalation(const fq_router *router, const fq_route_request *r,
                             const fq_decision *d)
{
    fq_decision cur = *d, up;
    for (int step = 1;; step++) {
        P_CHECK(step <= 3, "escalation did not stop");
        int st = fq_route_escalate(router, r, &cur, &up);
        if (cur.tier == FQ_TIER_DISTRICT) {
            P_CHECK(st == FQ_ESTATE, "escalation from the district: %d", st);
            return;
        }
        P_CHECK(st == FQ_OK, "escalation status %d", st);
        P_CHECK(up.tier > cur.tier, "escalation from tier %d to %d", cur.tier, up.tier);
        P_CHECK(up.district == cur.district && up.town == cur.town && up.village == cur.village &&
                    up.grid == cur.grid,
                "escalation changed the territory");
        P_CHECK(up.worker < 0 || up.worker != cur.worker, "escalated to the same worker");
        P_CHECK(up.line == cur.line || cur.overridden, "line changed");
        cur = up;
    }
}

static uint64_t seed_from_env(void)
{
    const char *s = getenv("FQ_ROUTER_SEED");
    return s ? strtoull(s, NULL, 10) : base_seed;
}

static void test_property_decisions(void **state)
{
    (void)state;
    uint64_t base = seed_from_env();
    long by_status[5] = {0}, by_tier[4] = {0}, climbed = 0, unplaced = 0, joint = 0;
    for (int k = 0; k < 200; k++) {
        cur_seed = base + (uint64_t)k;
        cur_incident = -1;
        fq_city *c = city_for(cur_seed, k);
        fq_router *router = fq_router_new(c->org, c->roster, c->rules, c->geo, err, sizeof err);
        assert_non_null(router);
        fq_incident_mix mix;
        fq_incident_mix_default(&mix);
        mix.outside = 0.1;
        mix.no_fallback = 0.3;
        fq_incident_gen gen;
        fq_incident_gen_init(&gen, c, cur_seed, &mix);
        for (cur_incident = 0; cur_incident < 2000; cur_incident++) {
            fq_route_request r;
            int32_t truth;
            fq_incident_next(&gen, &r, &truth);
            if (r.place < 0 && truth >= 0)
                P_CHECK(fq_geo_locate(c->geo, r.lon, r.lat) == truth, "polygon lookup");
            fq_decision d, d2;
            fq_route(router, &r, &d);
            check_decision(c, &r, truth, &d);
            by_status[d.status]++;
            by_tier[d.tier]++;
            climbed += d.climbed > 0;
            unplaced += d.unplaced && d.status == FQ_ROUTE_ASSIGNED;
            joint += d.n_co > 0;
            /* Same state, same input: same decision, to the byte. */
            fq_route(router, &r, &d2);
            P_CHECK(memcmp(&d, &d2, sizeof d) == 0, "not deterministic");
            if (d.status == FQ_ROUTE_ASSIGNED)
                check_escalation(router, &r, &d);
            /* Take most, so loads and rotations move; conclude some. */
            if (d.status == FQ_ROUTE_ASSIGNED && cur_incident % 4 != 3)
                fq_route_apply(router, &d);
            check_capacity(c);
            if (cur_incident % 3 == 0) {
                /* Release a random applied worker decision's effect by a
                 * synthetic decision: any worker with load gives one back. */
                int32_t w = (int32_t)(fq_city_rand(&gen.rng) % (c->n_workers ? c->n_workers : 1));
                if (c->n_workers && fq_roster_worker_const(c->roster, w)->load > 0) {
                    fq_decision rel = {.status = FQ_ROUTE_ASSIGNED, .worker = w};
                    fq_route_release(router, &rel);
                }
            }
        }
        fq_router_free(router);
        fq_city_free(c);
    }
    /* So that a change in coverage shows: every path should be non-zero. */
    printf("    base seed %" PRIu64
           ": assigned %ld nowhere %ld no_handler %ld; village %ld town %ld "
           "district %ld; climbed %ld unplaced %ld joint %ld\n",
           base, by_status[0], by_status[1], by_status[2], by_tier[1], by_tier[2], by_tier[3],
           climbed, unplaced, joint);
    assert_true(by_status[1] > 0 && by_tier[1] > 0 && by_tier[2] > 0 && by_tier[3] > 0 &&
                climbed > 0 && unplaced > 0 && joint > 0);
}

/* The same seed builds the same city and the same decisions, from scratch. */
static void test_property_reproducible(void **state)
{
    (void)state;
    uint64_t base = seed_from_env();
    for (int k = 0; k < 20; k++) {
        cur_seed = base + 1000 + (uint64_t)k;
        fq_city *a = city_for(cur_seed, k), *b = city_for(cur_seed, k);
        P_CHECK(fq_org_count(a->org) == fq_org_count(b->org) && a->n_workers == b->n_workers,
                "city sizes differ");
        fq_router *ra = fq_router_new(a->org, a->roster, a->rules, a->geo, err, sizeof err);
        fq_router *rb = fq_router_new(b->org, b->roster, b->rules, b->geo, err, sizeof err);
        fq_incident_gen ga, gb;
        fq_incident_gen_init(&ga, a, cur_seed, NULL);
        fq_incident_gen_init(&gb, b, cur_seed, NULL);
        for (cur_incident = 0; cur_incident < 1000; cur_incident++) {
            fq_route_request qa, qb;
            int32_t ta, tb;
            fq_incident_next(&ga, &qa, &ta);
            fq_incident_next(&gb, &qb, &tb);
            P_CHECK(memcmp(&qa, &qb, sizeof qa) == 0 && ta == tb, "streams differ");
            fq_decision da, db;
            fq_route(ra, &qa, &da);
            fq_route(rb, &qb, &db);
            P_CHECK(memcmp(&da, &db, sizeof da) == 0, "decisions differ");
            fq_route_apply(ra, &da);
            fq_route_apply(rb, &db);
        }
        fq_router_free(ra);
        fq_router_free(rb);
        fq_city_free(a);
        fq_city_free(b);
    }
}

/* apply / release / escalate sequences: capacity always holds, and releasing
 * everything taken leaves every load as it was. */
static void test_property_apply_release(void **state)
{
    (void)state;
    uint64_t base = seed_from_env();
    enum { N = 600 };
    static fq_decision open[N];
    static fq_route_request reqs[N];
    for (int k = 0; k < 100; k++) {
        cur_seed = base + 5000 + (uint64_t)k;
        cur_incident = -1;
        fq_city *c = city_for(cur_seed, k);
        fq_router *router = fq_router_new(c->org, c->roster, c->rules, c->geo, err, sizeof err);
        size_t nw = c->n_workers;
        uint16_t *before = malloc((nw + 1) * sizeof *before);
        for (size_t w = 0; w < nw; w++)
            before[w] = fq_roster_worker_const(c->roster, (int32_t)w)->load;
        fq_incident_gen gen;
        fq_incident_gen_init(&gen, c, cur_seed, NULL);
        uint64_t rng = cur_seed;
        int n_open = 0;
        long taken = 0;
        for (cur_incident = 0; cur_incident < 3000; cur_incident++) {
            uint64_t op = fq_city_rand(&rng) % 10;
            if (op < 5 && n_open < N) {
                int32_t truth;
                fq_incident_next(&gen, &reqs[n_open], &truth);
                fq_decision *d = &open[n_open];
                if (fq_route(router, &reqs[n_open], d) != FQ_OK)
                    continue;
                fq_route_apply(router, d);
                taken += d->worker >= 0;
                n_open++;
            } else if (op < 8 && n_open > 0) {
                int i = (int)(fq_city_rand(&rng) % (uint64_t)n_open);
                fq_route_release(router, &open[i]);
                taken -= open[i].worker >= 0;
                open[i] = open[--n_open];
                reqs[i] = reqs[n_open];
            } else if (n_open > 0) {
                /* Escalate: the new holder takes it before the old lets go. */
                int i = (int)(fq_city_rand(&rng) % (uint64_t)n_open);
                fq_decision up;
                int st = fq_route_escalate(router, &reqs[i], &open[i], &up);
                if (st == FQ_ESTATE)
                    continue;
                P_CHECK(st == FQ_OK, "escalation status %d", st);
                P_CHECK(up.tier > open[i].tier, "not up");
                fq_route_apply(router, &up);
                fq_route_release(router, &open[i]);
                taken += (up.worker >= 0) - (open[i].worker >= 0);
                open[i] = up;
            }
            check_capacity(c);
            long sum = 0;
            for (size_t w = 0; w < nw; w++)
                sum += fq_roster_worker_const(c->roster, (int32_t)w)->load - before[w];
            P_CHECK(sum == taken, "loads grew by %ld, %ld taken", sum, taken);
        }
        while (n_open > 0)
            fq_route_release(router, &open[--n_open]);
        for (size_t w = 0; w < nw; w++)
            P_CHECK(fq_roster_worker_const(c->roster, (int32_t)w)->load == before[w],
                    "worker %zu load %u, was %u", w,
                    fq_roster_worker_const(c->roster, (int32_t)w)->load, before[w]);
        free(before);
        fq_router_free(router);
        fq_city_free(c);
    }
}

/* The generated polygons tile the city: any point inside it is in exactly
 * one grid, and that grid's quadrilateral holds it. */
static void test_property_city_tiles(void **state)
{
    (void)state;
    uint64_t base = seed_from_env();
    for (int k = 0; k < 50; k++) {
        cur_seed = base + 9000 + (uint64_t)k;
        fq_city *c = city_for(cur_seed, 0);
        uint64_t rng = cur_seed;
        for (cur_incident = 0; cur_incident < 2000; cur_incident++) {
            double lon =
                c->lon_min + (0.0005 + 0.999 * fq_city_uniform(&rng)) * (c->lon_max - c->lon_min);
            double lat =
                c->lat_min + (0.0005 + 0.999 * fq_city_uniform(&rng)) * (c->lat_max - c->lat_min);
            int32_t g = fq_geo_locate(c->geo, lon, lat);
            P_CHECK(g >= 0 && fq_org_kind(c->org, g) == FQ_UNIT_GRID, "(%.7f, %.7f) in no grid",
                    lon, lat);
            const double *q = c->corners[g];
            P_CHECK(lon >= q[0] - 1e-7 && lon <= q[2] + 1e-7, "outside its grid's columns");
            double t = (lon - q[0]) / (q[2] - q[0]);
            double bottom = q[1] + t * (q[3] - q[1]), top = q[7] + t * (q[5] - q[7]);
            P_CHECK(lat >= bottom - 1e-7 && lat <= top + 1e-7, "outside its grid's rows");
        }
        fq_city_free(c);
    }
}

/* The benchmark city builds in a few seconds (here with sanitizers). */
static void test_default_city(void **state)
{
    (void)state;
    fq_city_params p;
    fq_city_params_default(&p, 1);
    fq_city *c = fq_city_new(&p, err, sizeof err);
    if (c == NULL)
        fail_msg("default city: %s", err);
    assert_int_equal(c->n_districts, 13);
    assert_true(c->n_towns > 150 && c->n_towns < 250);
    assert_true(c->n_villages > 4000 && c->n_villages < 6000);
    assert_true(c->n_grids > 40000 && c->n_grids < 60000);
    assert_true(c->n_workers > 80000 && c->n_workers < 120000);
    assert_non_null(c->geo);
    fq_city_free(c);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_village_picks_worker_of_own_grid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_least_loaded_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ties_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_duty_and_full_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_excluded_worker_never_chosen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_worker_climbs_to_town, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_town_line_goes_to_district, setup, teardown),
        cmocka_unit_test_setup_teardown(test_town_place_never_village, setup, teardown),
        cmocka_unit_test_setup_teardown(test_major_goes_to_district_jointly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specificity, setup, teardown),
        cmocka_unit_test(test_principle),
        cmocka_unit_test_setup_teardown(test_equal_specificity_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coordinates_placed_by_polygons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coordinates_in_no_grid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escalation_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reroute_wrong_jurisdiction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reroute_to_a_village, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reroute_to_a_village_without_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_working_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_working_time_not_for_emergencies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test(test_property_decisions),
        cmocka_unit_test(test_property_reproducible),
        cmocka_unit_test(test_property_apply_release),
        cmocka_unit_test(test_property_city_tiles),
        cmocka_unit_test(test_default_city),
    };
    const struct CMUnitTest known_bugs[] = {
        cmocka_unit_test_setup_teardown(test_bug_n_excluded_unchecked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bug_min_tier_unchecked, setup, teardown),
        cmocka_unit_test(test_bug_roster_without_workers),
    };
    if (argc > 2)
        cmocka_set_test_filter(argv[2]); /* one case: a sanitizer abort ends the process */
    if (argc > 1 && strcmp(argv[1], "known_bugs") == 0)
        return cmocka_run_group_tests_name("router_known_bugs", known_bugs, NULL, NULL);
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
