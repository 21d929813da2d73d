/* replay: the what-if core over a one-grid world with two workers of
 * capacity 1 (so loads and releases decide the tier), then invariants and
 * determinism over seeded synthetic cities (bench/citygen). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "citygen.h"
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

#define S 1000 /* ms */

typedef struct world {
    fq_org *org;
    fq_taxonomy *tax;
    fq_rules *rules;
    fq_roster *roster;
    fq_router *router;
    fq_replay *replay;
    int dispute, noise;
    int32_t grid, village_unit, town_gov, town_enf, dept_enf;
} world;

/* The what-if rules: everything to the village (acknowledge within 60 s,
 * conclude within an hour), noise to the district (10 min, 2 h). */
static const fq_rule_row what_if_rows[] = {
    {.id = 1,
     .tier = FQ_TIER_VILLAGE,
     .line = -1,
     .ack_s = 60,
     .ack_warn_s = 10,
     .conclude_s = 3600,
     .conclude_warn_s = 600},
    {.id = 2,
     .category = "noise",
     .tier = FQ_TIER_DISTRICT,
     .line = -1,
     .ack_s = 600,
     .ack_warn_s = 60,
     .conclude_s = 7200,
     .conclude_warn_s = 600},
};

static void ok(int rv)
{
    if (rv != 0)
        fail_msg("world: %s", err);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->org = fq_org_new();
    ok(fq_org_add(w->org, "d1", FQ_UNIT_DISTRICT, "", "d1", err, sizeof err));
    ok(fq_org_add(w->org, "t1", FQ_UNIT_TOWN, "d1", "t1", err, sizeof err));
    ok(fq_org_add(w->org, "v1", FQ_UNIT_VILLAGE, "t1", "v1", err, sizeof err));
    ok(fq_org_add(w->org, "g1", FQ_UNIT_GRID, "v1", "g1", err, sizeof err));
    ok(fq_org_finish(w->org, err, sizeof err));
    w->tax = fq_taxonomy_new();
    w->dispute = fq_taxonomy_add(w->tax, "dispute", FQ_LINE_GOVERNANCE, err, sizeof err);
    w->noise = fq_taxonomy_add(w->tax, "noise", FQ_LINE_ENFORCEMENT, err, sizeof err);
    w->rules = fq_rules_compile(w->tax, 0, what_if_rows, 2, err, sizeof err);
    assert_non_null(w->rules);
    w->roster = fq_roster_new(w->org);
    static const char *lines[] = {"governance", "market", "enforcement", "services"};
    ok(fq_roster_add_handler(w->roster, "d1.center", FQ_HANDLER_CENTER, "d1", -1, NULL, err,
                             sizeof err));
    ok(fq_roster_add_handler(w->roster, "d1.police", FQ_HANDLER_DEPARTMENT, "d1",
                             FQ_LINE_GOVERNANCE, "public_security", err, sizeof err));
    ok(fq_roster_add_handler(w->roster, "d1.urban", FQ_HANDLER_DEPARTMENT, "d1",
                             FQ_LINE_ENFORCEMENT, "urban_management", err, sizeof err));
    for (int l = 0; l < FQ_LINE_COUNT; l++) {
        char id[32];
        snprintf(id, sizeof id, "t1.%s", lines[l]);
        ok(fq_roster_add_handler(w->roster, id, FQ_HANDLER_TOWN_LINE, "t1", l, NULL, err,
                                 sizeof err));
    }
    ok(fq_roster_add_handler(w->roster, "v1.unit", FQ_HANDLER_VILLAGE, "v1", -1, NULL, err,
                             sizeof err));
    /* Loads as the live database had them: the replay starts from zero. */
    ok(fq_roster_add_worker(w->roster, "a", "g1", 1, 1, 1, err, sizeof err));
    ok(fq_roster_add_worker(w->roster, "b", "g1", 1, 1, 1, err, sizeof err));
    ok(fq_roster_finish(w->roster, err, sizeof err));
    w->router = fq_router_new(w->org, w->roster, w->rules, NULL, err, sizeof err);
    assert_non_null(w->router);
    w->replay = fq_replay_new(w->router, w->roster, 4, err, sizeof err);
    assert_non_null(w->replay);
    w->grid = fq_org_find(w->org, "g1");
    w->village_unit = fq_roster_find_handler(w->roster, "v1.unit");
    w->town_gov = fq_roster_find_handler(w->roster, "t1.governance");
    w->town_enf = fq_roster_find_handler(w->roster, "t1.enforcement");
    w->dept_enf = fq_roster_find_handler(w->roster, "d1.urban");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    fq_replay_free(w->replay);
    fq_router_free(w->router);
    fq_roster_free(w->roster);
    fq_rules_free(w->rules);
    fq_taxonomy_free(w->tax);
    fq_org_free(w->org);
    free(w);
    return 0;
}

/* A severity IV, low-risk report placed at g1, recorded at the village. */
static fq_replay_incident incident(const world *w, int category, int64_t at_ms)
{
    fq_replay_incident inc;
    memset(&inc, 0, sizeof inc);
    inc.reported_ms = at_ms;
    inc.place = w->grid;
    inc.fallback_place = -1;
    inc.category = (int16_t)category;
    inc.severity = 4;
    inc.risk = 1;
    inc.recorded_tier = FQ_TIER_VILLAGE;
    inc.recorded_line = (uint8_t)(category == w->noise ? FQ_LINE_ENFORCEMENT : FQ_LINE_GOVERNANCE);
    inc.recorded_lead = w->village_unit;
    return inc;
}

static void run(world *w, const fq_replay_incident *v, size_t n, int64_t horizon,
                fq_replay_stats *st)
{
    if (fq_replay_run(w->replay, v, n, horizon, st, err, sizeof err) != 0)
        fail_msg("replay: %s", err);
}

static void shares_and_changes(void **state)
{
    world *w = *state;
    fq_replay_incident v[4];
    v[0] = incident(w, w->dispute, 0);       /* stays */
    v[1] = incident(w, w->noise, 5000 * S);  /* village -> district */
    v[2] = incident(w, w->noise, 10000 * S); /* town -> district */
    v[2].recorded_tier = FQ_TIER_TOWN;
    v[2].recorded_lead = w->town_enf;
    v[2].recorded_escalations = 2;
    v[3] = incident(w, w->dispute, 15000 * S); /* was unroutable */
    v[3].recorded_tier = 0;
    v[3].recorded_lead = -1;
    fq_replay_stats st;
    run(w, v, 4, 20000 * S, &st);
    assert_int_equal(st.incidents, 4);
    assert_int_equal(st.recorded_tier[0], 1);
    assert_int_equal(st.recorded_tier[FQ_TIER_VILLAGE], 2);
    assert_int_equal(st.recorded_tier[FQ_TIER_TOWN], 1);
    assert_int_equal(st.recorded_tier[FQ_TIER_DISTRICT], 0);
    assert_int_equal(st.whatif_tier[0], 0);
    assert_int_equal(st.whatif_tier[FQ_TIER_VILLAGE], 2);
    assert_int_equal(st.whatif_tier[FQ_TIER_DISTRICT], 2);
    assert_int_equal(st.transitions[FQ_TIER_VILLAGE][FQ_TIER_DISTRICT], 1);
    assert_int_equal(st.transitions[FQ_TIER_TOWN][FQ_TIER_DISTRICT], 1);
    assert_int_equal(st.transitions[0][FQ_TIER_VILLAGE], 1);
    /* Only decisions routed both ways are compared. */
    assert_int_equal(st.changed, 2);
    assert_int_equal(st.changed_tier, 2);
    assert_int_equal(st.changed_line, 0);
    assert_int_equal(st.changed_lead, 2);
    assert_int_equal(st.moved_up, 2);
    assert_int_equal(st.moved_down, 0);
    assert_int_equal(st.recorded_escalations, 2);
    assert_int_equal(st.recorded_escalated, 1);
    assert_int_equal(st.n_units, fq_roster_handler_count(w->roster) + 1);
    assert_int_equal(st.units[w->dept_enf].cases, 2);
    assert_int_equal(st.units[w->village_unit].cases, 2);
    assert_int_equal(st.units[w->village_unit].recorded, 2);
    assert_int_equal(st.units[w->town_enf].recorded, 1);
    assert_int_equal(st.units[w->town_enf].cases, 0);
}

/* Two workers of capacity 1: a third open case climbs to the town, unless
 * one was concluded (released) at or before the third was reported. */
static void loads_and_releases(void **state)
{
    world *w = *state;
    fq_replay_incident v[3];
    for (int i = 0; i < 3; i++)
        v[i] = incident(w, w->dispute, i * 1000 * S);
    fq_replay_stats st;
    run(w, v, 3, 3000 * S, &st);
    assert_int_equal(st.whatif_tier[FQ_TIER_VILLAGE], 2);
    assert_int_equal(st.whatif_tier[FQ_TIER_TOWN], 1);
    assert_int_equal(st.units[w->town_gov].cases, 1);
    assert_int_equal(st.changed_tier, 1);

    v[0].concluded_ms = 2000 * S; /* exactly when the third comes in */
    run(w, v, 3, 3000 * S, &st);
    assert_int_equal(st.whatif_tier[FQ_TIER_VILLAGE], 3);
    assert_int_equal(st.changed, 0);

    /* Never concluded: held until the what-if limit (an hour) expires. */
    v[0].concluded_ms = 0;
    v[2].reported_ms = 3600 * S;
    run(w, v, 3, 4000 * S, &st);
    assert_int_equal(st.whatif_tier[FQ_TIER_VILLAGE], 3);
    v[2].reported_ms = 3600 * S - 1;
    run(w, v, 3, 4000 * S, &st);
    assert_int_equal(st.whatif_tier[FQ_TIER_VILLAGE], 2);
}

static void escalations(void **state)
{
    world *w = *state;
    fq_replay_incident v[5];
    v[0] = incident(w, w->dispute, 0);
    v[0].ack_ms = 30 * S; /* within 60 s */
    v[1] = incident(w, w->dispute, 4000 * S);
    v[1].ack_ms = v[1].reported_ms + 120 * S;  /* late */
    v[2] = incident(w, w->dispute, 8000 * S);  /* never, limit passed */
    v[3] = incident(w, w->noise, 12000 * S);   /* district, never: nothing above */
    v[4] = incident(w, w->dispute, 16000 * S); /* never, limit not yet passed */
    fq_replay_stats st;
    run(w, v, 5, 16000 * S + 30 * S, &st);
    assert_int_equal(st.ack_known, 2);
    assert_int_equal(st.predicted_escalations, 2);
    assert_int_equal(st.predicted_breaches, 1);
    assert_int_equal(st.ack_pending, 1);
    assert_int_equal(st.units[w->village_unit].escalations, 2);
    assert_int_equal(st.units[w->dept_enf].escalations, 1);
    /* At the limit exactly is in time. */
    v[1].ack_ms = v[1].reported_ms + 60 * S;
    run(w, v, 5, 16000 * S + 30 * S, &st);
    assert_int_equal(st.predicted_escalations, 1);
}

static void on_time(void **state)
{
    world *w = *state;
    fq_replay_incident v[4];
    v[0] = incident(w, w->dispute, 0);
    v[0].concluded_ms = 1000 * S; /* within the hour */
    v[1] = incident(w, w->dispute, 5000 * S);
    v[1].concluded_ms = v[1].reported_ms + 4000 * S; /* late */
    v[2] = incident(w, w->dispute, 10000 * S);       /* unknown */
    v[3] = incident(w, w->noise, 15000 * S);
    v[3].concluded_ms = v[3].reported_ms + 7200 * S; /* at the district limit exactly */
    fq_replay_stats st;
    run(w, v, 4, 30000 * S, &st);
    assert_int_equal(st.concluded_known, 3);
    assert_int_equal(st.on_time, 2);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.unknown, 1);
    const fq_replay_unit *u = &st.units[w->village_unit];
    assert_int_equal(u->cases, 3);
    assert_int_equal(u->on_time, 1);
    assert_int_equal(u->late, 1);
    assert_int_equal(u->unknown, 1);
    assert_int_equal(st.units[w->dept_enf].on_time, 1);
}

static void out_of_order(void **state)
{
    world *w = *state;
    fq_replay_incident v[2] = {incident(w, w->dispute, 10 * S), incident(w, w->dispute, 5 * S)};
    fq_replay_stats st;
    assert_int_equal(fq_replay_run(w->replay, v, 2, 100 * S, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "incident 1"));
    /* Nothing routable: counted, not routed. */
    fq_replay_incident bad = incident(w, w->dispute, 0);
    bad.place = -1;
    run(w, &bad, 1, 100 * S, &st);
    assert_int_equal(st.whatif_tier[0], 1);
    assert_int_equal(st.unknown, 0);
}

/* ---- seeded cities ---- */

static void invariants_over_cities(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fq_city_params p;
        fq_city_params_small(&p, seed);
        fq_city *city = fq_city_new(&p, err, sizeof err);
        if (city == NULL)
            fail_msg("seed %llu: %s", (unsigned long long)seed, err);
        fq_router *router =
            fq_router_new(city->org, city->roster, city->rules, city->geo, err, sizeof err);
        assert_non_null(router);
        size_t n = 3000;
        fq_replay_incident *v = calloc(n, sizeof *v);
        assert_non_null(v);
        fq_incident_gen gen;
        fq_incident_gen_init(&gen, city, seed, NULL);
        uint64_t rng = seed * 7919;
        for (size_t i = 0; i < n; i++) {
            fq_route_request req;
            int32_t truth;
            fq_incident_next(&gen, &req, &truth);
            fq_replay_incident *inc = &v[i];
            inc->reported_ms = req.now_ms;
            inc->place = req.place;
            inc->fallback_place = req.fallback_place;
            inc->has_location = (uint8_t)req.has_location;
            inc->lon = req.lon;
            inc->lat = req.lat;
            inc->category = (int16_t)req.category;
            inc->severity = (uint8_t)req.severity;
            inc->risk = (uint8_t)req.risk;
            inc->recorded_tier = (uint8_t)(fq_city_rand(&rng) % 4);
            inc->recorded_line = (uint8_t)(fq_city_rand(&rng) % 4);
            inc->recorded_lead = -1;
            if (fq_city_rand(&rng) % 2)
                inc->ack_ms = inc->reported_ms + (int64_t)(fq_city_rand(&rng) % 7200) * S;
            if (fq_city_rand(&rng) % 2)
                inc->concluded_ms = inc->reported_ms + (int64_t)(fq_city_rand(&rng) % 86400) * S;
        }
        fq_replay *rp = fq_replay_new(router, city->roster, 16, err, sizeof err);
        assert_non_null(rp);
        int64_t horizon = v[n - 1].reported_ms + 3600 * S;
        fq_replay_stats a, b;
        assert_int_equal(fq_replay_run(rp, v, n, horizon, &a, err, sizeof err), 0);
        size_t bytes = a.n_units * sizeof *a.units;
        fq_replay_unit *units_a = malloc(bytes);
        assert_non_null(units_a);
        memcpy(units_a, a.units, bytes);
        /* Loads reset, and a fresh router (its rotation starts over): the
         * same input gives the same figures. */
        fq_replay_free(rp);
        fq_router_free(router);
        router = fq_router_new(city->org, city->roster, city->rules, city->geo, err, sizeof err);
        assert_non_null(router);
        rp = fq_replay_new(router, city->roster, 16, err, sizeof err);
        assert_non_null(rp);
        assert_int_equal(fq_replay_run(rp, v, n, horizon, &b, err, sizeof err), 0);
        assert_int_equal(a.incidents, n);
        uint64_t tiers = 0, rec = 0, cases = 0, ontime = 0;
        for (int t = 0; t < 4; t++) {
            tiers += a.whatif_tier[t];
            rec += a.recorded_tier[t];
            assert_int_equal(a.whatif_tier[t], b.whatif_tier[t]);
        }
        assert_int_equal(tiers, n);
        assert_int_equal(rec, n);
        for (size_t u = 0; u < a.n_units; u++) {
            cases += units_a[u].cases;
            ontime += units_a[u].on_time + units_a[u].late + units_a[u].unknown;
            assert_int_equal(units_a[u].cases, b.units[u].cases);
            assert_int_equal(units_a[u].on_time, b.units[u].on_time);
            assert_int_equal(units_a[u].escalations, b.units[u].escalations);
        }
        uint64_t routed = n - a.whatif_tier[0];
        assert_int_equal(cases, routed);
        assert_int_equal(ontime, routed);
        assert_int_equal(a.on_time + a.late + a.unknown, routed);
        assert_true(a.predicted_escalations + a.predicted_breaches + a.ack_pending <= routed);
        assert_int_equal(a.predicted_escalations, b.predicted_escalations);
        assert_int_equal(a.changed, b.changed);
        assert_int_equal(a.changed_lead, b.changed_lead);
        assert_true(a.changed >= a.changed_tier && a.changed_tier == a.moved_up + a.moved_down);
        /* Every load went back to zero or is held by a case still open. */
        for (size_t k = 0; k < fq_roster_worker_count(city->roster); k++)
            assert_true(fq_roster_worker_const(city->roster, (int32_t)k)->load <=
                        fq_roster_worker_const(city->roster, (int32_t)k)->capacity);
        free(units_a);
        fq_replay_free(rp);
        free(v);
        fq_router_free(router);
        fq_city_free(city);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shares_and_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(loads_and_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(escalations, setup, teardown),
        cmocka_unit_test_setup_teardown(on_time, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_order, setup, teardown),
        cmocka_unit_test(invariants_over_cities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
