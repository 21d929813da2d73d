/* caseplan: what a case's limits and its holder's silence bring, decided on
 * a small fixed city without a clock, a timer or a store — the warnings, an
 * escalation at each tier (village -> town -> district), the breach recorded
 * at the district where nobody is above, a supervision order that went
 * unanswered (and one answered meanwhile), and a silent worker's case moved
 * to another worker of the grid, to the village's unit, or up when there is
 * neither; and a holder's actions: acknowledge (and again), someone else's
 * case, busy, a return routed on (beyond capacity, to the right place), an
 * extension, a conclusion (and one refused while suspended), the reply to a
 * supervision order; and an operator's commands: refusals, assign, merge,
 * suspend and resume, the extension's answer, a supervision order; a
 * reopen; a report's request, the merge of one more report on an open
 * matter and the report's plan (texts, outcome, items); the co-handling
 * units' statement parameter at the longest ids. */
#include "caseplan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000000LL /* 2027-01-15T08:00:00Z */

static char err[256];

typedef struct city {
    fq_org *org;
    fq_taxonomy *tax;
    fq_rules *rules;
    fq_roster *roster;
    fq_router *router;
    fq_world world;
    int dispute;
} city;

static void ok(int rv)
{
    if (rv != 0)
        fail_msg("fixture: %s", err);
}

/* Neighbour disputes stay in the village: acknowledge within an hour
 * (warned 10 minutes before), conclude within a day (warned 4 hours
 * before). */
static const fq_rule_row rows[] = {{.id = 1,
                                    .category = "dispute.neighbour",
                                    .tier = FQ_TIER_VILLAGE,
                                    .line = -1,
                                    .ack_s = 3600,
                                    .ack_warn_s = 600,
                                    .conclude_s = 86400,
                                    .conclude_warn_s = 14400}};

static int setup(void **state)
{
    city *c = calloc(1, sizeof *c);
    assert_non_null(c);
    static const struct {
        const char *id, *parent;
        fq_unit_kind kind;
    } units[] = {{"d1", "", FQ_UNIT_DISTRICT},
                 {"d1-t1", "d1", FQ_UNIT_TOWN},
                 {"d1-t1-v1", "d1-t1", FQ_UNIT_VILLAGE},
                 {"d1-t1-v1-g1", "d1-t1-v1", FQ_UNIT_GRID},
                 {"d1-t1-v1-g2", "d1-t1-v1", FQ_UNIT_GRID},
                 {"d1-t1-v2", "d1-t1", FQ_UNIT_VILLAGE}, /* no village unit */
                 {"d1-t1-v2-g1", "d1-t1-v2", FQ_UNIT_GRID}};
    c->org = fq_org_new();
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        ok(fq_org_add(c->org, units[i].id, units[i].kind, units[i].parent, units[i].id, err,
                      sizeof err));
    ok(fq_org_finish(c->org, err, sizeof err));
    c->tax = fq_taxonomy_new();
    c->dispute = fq_taxonomy_add(c->tax, "dispute.neighbour", FQ_LINE_GOVERNANCE, err, sizeof err);
    assert_true(c->dispute >= 0);
    c->rules = fq_rules_compile(c->tax, 7, rows, 1, err, sizeof err);
    assert_non_null(c->rules);
    c->roster = fq_roster_new(c->org);
    ok(fq_roster_add_handler(c->roster, "d1.center", FQ_HANDLER_CENTER, "d1", -1, NULL, err,
                             sizeof err));
    ok(fq_roster_add_handler(c->roster, "d1.public_security", FQ_HANDLER_DEPARTMENT, "d1",
                             FQ_LINE_GOVERNANCE, "public_security", err, sizeof err));
    ok(fq_roster_add_handler(c->roster, "d1-t1.governance", FQ_HANDLER_TOWN_LINE, "d1-t1",
                             FQ_LINE_GOVERNANCE, NULL, err, sizeof err));
    ok(fq_roster_add_handler(c->roster, "d1-t1-v1.village", FQ_HANDLER_VILLAGE, "d1-t1-v1", -1,
                             NULL, err, sizeof err));
    ok(fq_roster_add_worker(c->roster, "a", "d1-t1-v1-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(c->roster, "b", "d1-t1-v1-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(c->roster, "e", "d1-t1-v1-g2", 5, 1, 0, err, sizeof err));
    ok(fq_roster_add_worker(c->roster, "z", "d1-t1-v2-g1", 5, 1, 0, err, sizeof err));
    ok(fq_roster_finish(c->roster, err, sizeof err));
    c->router = fq_router_new(c->org, c->roster, c->rules, NULL, err, sizeof err);
    assert_non_null(c->router);
    c->world = (fq_world){
        .org = c->org, .taxonomy = c->tax, .roster = c->roster, .router = c->router, .rule_set = 7};
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    city *c = *state;
    fq_router_free(c->router);
    fq_roster_free(c->roster);
    fq_rules_free(c->rules);
    fq_taxonomy_free(c->tax);
    fq_org_free(c->org);
    free(c);
    return 0;
}

/* A neighbour dispute in `grid`, decided at NOW as the router decides it. */
static fq_case open_case(city *c, const char *grid)
{
    fq_case k;
    memset(&k, 0, sizeof k);
    k.incident_id = 42;
    fq_route_request_init(&k.request);
    k.request.category = c->dispute;
    k.request.severity = 4;
    k.request.risk = 1;
    k.request.place = fq_org_find(c->org, grid);
    k.request.now_ms = NOW;
    assert_int_equal(fq_route(c->router, &k.request, &k.decision), FQ_OK);
    k.incident_at_ms = NOW;
    return k;
}

/* The kind of the plan's item for `box`, or -1 when it has none. */
static int box_kind(const fq_outbox_set *set, const char *box)
{
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->box[i], box) == 0)
            return set->kind[i];
    return -1;
}

#define item_kind(plan, box) box_kind(&(plan)->outbox, box)

#define K(x) FENGQIAO__V1__ITEM_KIND__ITEM_##x

static void test_warnings_tell_the_holder_only(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    assert_int_equal(k.decision.tier, FQ_TIER_VILLAGE);
    const char *holder = fq_items_worker_id(c->roster, k.decision.worker);
    char box[FQ_BOX_MAX];
    snprintf(box, sizeof box, "w:%s", holder);

    fq_case_plan p;
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_ACK_WARNING, NOW + 3000 * 1000, &p);
    assert_int_equal(p.write, FQ_PLAN_EVENT);
    assert_string_equal(p.kind, "ack_warning");
    assert_string_equal(p.reason_code, FQ_REASON_ACK_SOON);
    assert_string_equal(p.reason, "not acknowledged yet; due 2027-01-15T09:00:00Z");
    assert_int_equal(p.warnings, 1);
    assert_int_equal(p.breached, 0);
    assert_int_equal(p.outbox.n, 1); /* no feed: a warning is the holder's */
    assert_int_equal(item_kind(&p, box), K(WARNING));
    fq_plan_free(&p);

    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_CONCLUDE_WARNING, NOW, &p);
    assert_string_equal(p.kind, "conclude_warning");
    assert_string_equal(p.reason_code, FQ_REASON_CONCLUDE_SOON);
    assert_string_equal(p.reason, "not concluded yet; due 2027-01-16T08:00:00Z");
    fq_plan_free(&p);
}

/* The acknowledge limit passes at each tier in turn: village -> town ->
 * district, then the breach stays at the district. */
static void test_escalation_at_each_tier(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    char worker_box[FQ_BOX_MAX];
    snprintf(worker_box, sizeof worker_box, "w:%s",
             fq_items_worker_id(c->roster, k.decision.worker));
    int64_t now = NOW + 3600 * 1000;

    fq_case_plan p;
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_ACK_DUE, now, &p);
    assert_int_equal(p.write, FQ_PLAN_REROUTE);
    assert_string_equal(p.kind, "escalated");
    assert_string_equal(p.reason_code, FQ_REASON_ACK_OVERDUE);
    assert_int_equal(p.escalations, 1);
    assert_int_equal(p.to.tier, FQ_TIER_TOWN);
    assert_string_equal(fq_items_handler_id(c->roster, p.to.lead), "d1-t1.governance");
    assert_string_equal(p.reason, "acknowledge limit passed at the village tier: escalated to "
                                  "the town tier (d1-t1.governance)");
    /* The limits run from the escalation. */
    assert_true(p.to.ack_due_ms > now);
    assert_int_equal(item_kind(&p, "h:d1-t1.governance"), K(ASSIGNMENT));
    assert_int_equal(item_kind(&p, worker_box), K(CANCELLATION));
    assert_int_equal(item_kind(&p, "u:d1-t1"), K(UPDATE));
    assert_int_equal(item_kind(&p, "u:d1"), K(UPDATE));
    k.decision = p.to;
    fq_plan_free(&p);

    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_CONCLUDE_DUE, now, &p);
    assert_int_equal(p.write, FQ_PLAN_REROUTE);
    assert_string_equal(p.reason_code, FQ_REASON_CONCLUDE_OVERDUE);
    assert_int_equal(p.to.tier, FQ_TIER_DISTRICT);
    assert_string_equal(fq_items_handler_id(c->roster, p.to.lead), "d1.public_security");
    assert_int_equal(item_kind(&p, "h:d1.public_security"), K(ASSIGNMENT));
    /* The town's line stays on it as a co-handler: told of the change,
     * not relieved of it. */
    assert_int_equal(p.to.n_co, 1);
    assert_string_equal(fq_items_handler_id(c->roster, p.to.co[0]), "d1-t1.governance");
    assert_int_equal(item_kind(&p, "h:d1-t1.governance"), K(UPDATE));
    k.decision = p.to;
    fq_plan_free(&p);

    /* At the district nobody is above: the breach is recorded, the case
     * stays, the holders are warned and the command center's feed told. */
    k.supervision_ms = now + 7200 * 1000;
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_CONCLUDE_DUE, now, &p);
    assert_int_equal(p.write, FQ_PLAN_EVENT);
    assert_string_equal(p.kind, "breached");
    assert_int_equal(p.breached, FQ_PLAN_BREACHED_CONCLUDE);
    assert_int_equal(p.breaches_at_top, 1);
    assert_int_equal(p.escalations, 0);
    assert_int_equal(p.supervision_over, 0);
    assert_int_equal(p.end_supervision, 0);
    assert_string_equal(p.reason,
                        "conclude limit passed at the district tier; nobody above: supervision "
                        "needed");
    assert_int_equal(item_kind(&p, "h:d1.public_security"), K(WARNING));
    assert_int_equal(item_kind(&p, "u:d1"), K(UPDATE));
    fq_plan_free(&p);
}

static void test_supervision_order_unanswered(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_case_plan p;
    /* Answered meanwhile: nothing happens. */
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_SUPERVISION_DUE, NOW, &p);
    assert_int_equal(p.write, FQ_PLAN_NOTHING);
    assert_int_equal(p.outbox.n, 0);
    fq_plan_free(&p);

    k.supervision_ms = NOW + 1800 * 1000;
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_SUPERVISION_DUE, NOW + 1800 * 1000, &p);
    assert_int_equal(p.write, FQ_PLAN_EVENT);
    assert_string_equal(p.kind, "supervision_breached");
    assert_string_equal(p.reason_code, FQ_REASON_SUPERVISION_OVERDUE);
    assert_string_equal(p.reason, "supervision order not answered by 2027-01-15T08:30:00Z");
    assert_int_equal(p.breached, FQ_PLAN_BREACHED_SUPERVISION);
    assert_int_equal(p.supervision_over, 1);
    assert_int_equal(p.end_supervision, 1);
    assert_int_equal(item_kind(&p, "u:d1-t1"), K(UPDATE));
    fq_plan_free(&p);
}

/* A worker's terminal went silent: the other worker of the grid takes it
 * at the same tier; with nobody else in the grid the village's own unit
 * holds it, still at the village tier. */
static void test_move_on(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    const char *first = fq_items_worker_id(c->roster, k.decision.worker);
    fq_case_plan p;
    fq_plan_move_on(&c->world, &k, "the worker's terminal went silent", NOW, &p);
    assert_int_equal(p.write, FQ_PLAN_REROUTE);
    assert_string_equal(p.kind, "rerouted");
    assert_string_equal(p.reason_code, FQ_REASON_PRESENCE_LOST);
    assert_int_equal(p.moved_absent, 1);
    assert_int_equal(p.escalations, 0);
    assert_int_equal(p.to.tier, FQ_TIER_VILLAGE);
    const char *next = fq_items_worker_id(c->roster, p.to.worker);
    assert_string_not_equal(next, first);
    char reason[128];
    snprintf(reason, sizeof reason, "the worker's terminal went silent: rerouted to %s", next);
    assert_string_equal(p.reason, reason);
    fq_plan_free(&p);

    fq_case alone = open_case(c, "d1-t1-v1-g2");
    assert_string_equal(fq_items_worker_id(c->roster, alone.decision.worker), "e");
    fq_plan_move_on(&c->world, &alone, "the worker's terminal went silent", NOW, &p);
    assert_int_equal(p.write, FQ_PLAN_REROUTE);
    assert_string_equal(p.kind, "rerouted");
    assert_int_equal(p.moved_absent, 1);
    assert_int_equal(p.to.tier, FQ_TIER_VILLAGE);
    assert_int_equal(p.to.worker, -1);
    assert_string_equal(p.reason,
                        "the worker's terminal went silent: rerouted to d1-t1-v1.village");
    assert_int_equal(item_kind(&p, "w:e"), K(CANCELLATION));
    assert_int_equal(item_kind(&p, "h:d1-t1-v1.village"), K(ASSIGNMENT));
    fq_plan_free(&p);

    /* In a village without its own unit, nobody of the tier is left: the
     * case goes up, and counts as moved and as escalated. */
    fq_case lone = open_case(c, "d1-t1-v2-g1");
    assert_string_equal(fq_items_worker_id(c->roster, lone.decision.worker), "z");
    fq_plan_move_on(&c->world, &lone, "the worker's terminal went silent", NOW, &p);
    assert_int_equal(p.write, FQ_PLAN_REROUTE);
    assert_string_equal(p.kind, "escalated");
    assert_string_equal(p.reason_code, FQ_REASON_PRESENCE_LOST);
    assert_int_equal(p.moved_absent, 1);
    assert_int_equal(p.escalations, 1);
    assert_int_equal(p.to.tier, FQ_TIER_TOWN);
    assert_string_equal(p.reason, "the worker's terminal went silent at the village tier: "
                                  "escalated to the town tier (d1-t1.governance)");
    assert_int_equal(item_kind(&p, "w:z"), K(CANCELLATION));
    fq_plan_free(&p);
}

/* Planning changes nothing: the same plan twice, the case as it was. */
static void test_pure(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1"), before = k;
    fq_case_plan p1, p2;
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_ACK_DUE, NOW, &p1);
    fq_plan_deadline(&c->world, &k, FQ_DEADLINE_ACK_DUE, NOW, &p2);
    assert_memory_equal(&k, &before, sizeof k);
    assert_memory_equal(&p1.to, &p2.to, sizeof p1.to);
    assert_string_equal(p1.reason, p2.reason);
    assert_int_equal(p1.outbox.n, p2.outbox.n);
    for (int i = 0; i < p1.outbox.n; i++) {
        assert_string_equal(p1.outbox.box[i], p2.outbox.box[i]);
        assert_int_equal(p1.outbox.body_len[i], p2.outbox.body_len[i]);
        assert_memory_equal(p1.outbox.body[i], p2.outbox.body[i], p1.outbox.body_len[i]);
    }
    fq_plan_free(&p1);
    fq_plan_free(&p2);
}

/* ---- a holder's action ---- */

/* The node of the terminal that serves case k's worker. */
static fq_node holder_node(city *c, const fq_case *k)
{
    fq_node n;
    memset(&n, 0, sizeof n);
    n.id = "t-holder";
    n.name = "Holder";
    snprintf(n.box, sizeof n.box, "w:%s", fq_items_worker_id(c->roster, k->decision.worker));
    return n;
}

static Fengqiao__V1__AssignmentAction action(Fengqiao__V1__ActionKind kind, const char *note)
{
    Fengqiao__V1__AssignmentAction a = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
    a.incident_id = 42;
    a.kind = kind;
    a.note = (char *)note;
    return a;
}

#define AK(x) FENGQIAO__V1__ACTION_KIND__ACTION_##x

static void test_acknowledge(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node holder = holder_node(c, &k);
    Fengqiao__V1__AssignmentAction a = action(AK(ACKNOWLEDGE), "");
    fq_action_plan p;
    char why[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.from, FQ_ASSIGNMENT_ASSIGNED);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_ACKNOWLEDGED);
    assert_string_equal(p.kind, "acknowledged");
    assert_string_equal(p.note, "acknowledged"); /* no note: the kind is the reason */
    assert_string_equal(p.reason_code, FQ_REASON_HOLDER);
    assert_string_equal(p.answer, "acknowledged");
    assert_false(p.rerouted || p.concludes);
    /* The actor knows: its own box gets nothing; the feeds are told. */
    assert_int_equal(item_kind(&p, holder.box), -1);
    assert_int_equal(item_kind(&p, "u:d1-t1"), K(UPDATE));
    fq_action_plan_free(&p);

    /* Done already: refused for the state, and said to be in effect. */
    k.assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_string_equal(p.answer, "acknowledged");
    assert_int_equal(p.already_done, 1);
    assert_int_equal(p.outbox.n, 0);
}

/* Someone else's case and a case that is not open get the same answer;
 * a case with an action on its way to the store is busy. */
static void test_not_yours_and_busy(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node other;
    memset(&other, 0, sizeof other);
    other.id = "t-other";
    snprintf(other.box, sizeof other.box, "w:e");
    Fengqiao__V1__AssignmentAction a = action(AK(ACKNOWLEDGE), "");
    fq_action_plan p;
    char why[256], why_closed[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &other, &a, NOW, &p, why, sizeof why),
                     FQ_EFORBIDDEN);
    assert_int_equal(
        fq_plan_action(&c->world, NULL, &other, &a, NOW, &p, why_closed, sizeof why_closed),
        FQ_EFORBIDDEN);
    assert_string_equal(why, why_closed);
    assert_string_equal(why, "incident 42 is not an open assignment of yours");
    fq_node holder = holder_node(c, &k);
    k.busy = 1;
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_EBUSY);
}

/* A return beyond capacity goes one tier up; to the right place named, it
 * goes to that place's worker; a place that is no unit is refused. */
static void test_return_routes_on(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node holder = holder_node(c, &k);
    Fengqiao__V1__AssignmentAction a = action(AK(RETURN), "too big for us");
    a.reason = FENGQIAO__V1__RETURN_REASON__RETURN_BEYOND_CAPACITY;
    fq_action_plan p;
    char why[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.rerouted, 1);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_ASSIGNED);
    assert_string_equal(p.kind, "returned");
    assert_string_equal(p.reason_code, FQ_REASON_RETURNED_BEYOND);
    assert_int_equal(p.decision.tier, FQ_TIER_TOWN);
    assert_int_equal(item_kind(&p, "h:d1-t1.governance"), K(ASSIGNMENT));
    assert_int_equal(item_kind(&p, holder.box), K(CANCELLATION));
    fq_action_plan_free(&p);

    a.reason = FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION;
    a.right_place = "d1-t1-v1-g2";
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.rerouted, 1);
    assert_string_equal(p.reason_code, FQ_REASON_RETURNED_WRONG);
    assert_int_equal(p.decision.tier, FQ_TIER_VILLAGE);
    assert_string_equal(fq_items_worker_id(c->roster, p.decision.worker), "e");
    assert_int_equal(item_kind(&p, "w:e"), K(ASSIGNMENT));
    fq_action_plan_free(&p);

    a.right_place = "nowhere";
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_EINVALID);
    assert_string_equal(why, "right_place nowhere is not a known unit");
    assert_int_equal(p.outbox.n, 0);
}

/* "+2d" counts from the current conclude limit; asked before the
 * acknowledgement it is refused for the state. */
static void test_extension(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node holder = holder_node(c, &k);
    Fengqiao__V1__AssignmentAction a = action(AK(EXTEND), "waiting for the owner");
    a.extend_by_ms = 2 * 86400 * 1000LL;
    fq_action_plan p;
    char why[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_string_equal(p.answer, "assigned");
    assert_int_equal(p.already_done, 0);
    k.assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_EXTENSION_REQUESTED);
    assert_int_equal(p.extend_to_ms, k.decision.conclude_due_ms + 2 * 86400 * 1000LL);
    assert_string_equal(p.kind, "extension_requested");
    assert_string_equal(p.note, "waiting for the owner");
    fq_action_plan_free(&p);
}

/* A conclusion closes it for every holder, the actor's box included (the
 * feeds get an update); a suspended case is not concluded. */
static void test_conclude(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    k.assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
    fq_node holder = holder_node(c, &k);
    Fengqiao__V1__AssignmentAction a = action(AK(CONCLUDE), "settled between them");
    fq_action_plan p;
    char why[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.concludes, 1);
    assert_string_equal(p.answer, "concluded");
    assert_int_equal(item_kind(&p, holder.box), K(CLOSED));
    assert_int_equal(item_kind(&p, "u:d1"), K(UPDATE));
    fq_action_plan_free(&p);

    k.suspended_ms = NOW - 1000;
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_non_null(strstr(why, "is suspended by the command center: it cannot be concluded"));
    assert_string_equal(p.answer, "acknowledged");
}

/* A reply to a supervision order: only while one is open, with a note;
 * the state stays. */
static void test_supervision_reply(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node holder = holder_node(c, &k);
    Fengqiao__V1__AssignmentAction a = action(AK(REPLY), "on site tomorrow");
    fq_action_plan p;
    char why[256];
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    k.supervision_ms = NOW + 3600 * 1000;
    a.note = "";
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why),
                     FQ_EINVALID);
    a.note = "on site tomorrow";
    assert_int_equal(fq_plan_action(&c->world, &k, &holder, &a, NOW, &p, why, sizeof why), FQ_OK);
    assert_int_equal(p.supervision_reply, 1);
    assert_int_equal(p.action, 0);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_ASSIGNED);
    assert_string_equal(p.kind, "supervision_replied");
    assert_int_equal(item_kind(&p, "u:d1"), K(UPDATE));
    fq_action_plan_free(&p);
}

/* ---- an operator's command ---- */

#define CK(x) FENGQIAO__V1__COMMAND_KIND__COMMAND_##x

/* A district operator's node (the whole district is its jurisdiction). */
static fq_node operator_node(city *c)
{
    fq_node n;
    memset(&n, 0, sizeof n);
    n.id = "op-1";
    n.name = "Operator";
    n.jurisdiction = fq_org_find(c->org, "d1");
    return n;
}

static Fengqiao__V1__ConsoleCommand command(Fengqiao__V1__CommandKind kind, const char *reason)
{
    Fengqiao__V1__ConsoleCommand cmd = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    cmd.incident_id = 42;
    cmd.kind = kind;
    cmd.reason = (char *)reason;
    return cmd;
}

/* A command on a case that is not open, or outside the operator's
 * jurisdiction, or one tier up from the district, is refused. */
static void test_command_refusals(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(ESCALATE), "needs the town");
    fq_command_plan p;
    char why[256];
    assert_int_equal(fq_plan_command(&c->world, NULL, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_ENOTFOUND);
    fq_node village_op = op;
    village_op.jurisdiction = fq_org_find(c->org, "d1-t1-v1-g2");
    assert_int_equal(
        fq_plan_command(&c->world, &k, NULL, &village_op, &cmd, NOW, &p, why, sizeof why),
        FQ_EFORBIDDEN);
    k.decision.tier = FQ_TIER_DISTRICT;
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_string_equal(why, "incident 42 is at the district tier: nobody above");
}

/* Assigned by hand to a worker: a new holder, taking capacity. */
static void test_command_assign(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(ASSIGN), "e knows them");
    cmd.target_worker = "e";
    fq_command_plan p;
    char why[256];
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_OK);
    assert_int_equal(p.moves, 1);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_ASSIGNED);
    assert_string_equal(p.kind, "reassigned");
    assert_string_equal(p.note, "e knows them");
    assert_string_equal(fq_items_worker_id(c->roster, p.decision.worker), "e");
    assert_int_equal(box_kind(&p.outbox, "w:e"), K(ASSIGNMENT));
    fq_command_plan_free(&p);
    cmd.target_worker = "nobody";
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_EINVALID);
    assert_string_equal(why, "no grid worker nobody");
}

/* Merged into another open incident: closed, told to its holders. */
static void test_command_merge(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1"), other = open_case(c, "d1-t1-v1-g2");
    other.incident_id = 41;
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(MERGE), "the same quarrel");
    cmd.merge_into = 41;
    fq_command_plan p;
    char why[256];
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_ESTATE); /* 41 is not open */
    assert_int_equal(fq_plan_command(&c->world, &k, &other, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "merged");
    assert_string_equal(p.state, "merged");
    assert_string_equal(p.answer, "merged");
    assert_int_equal(p.merge_into, 41);
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_CONCLUDED);
    char box[FQ_BOX_MAX];
    snprintf(box, sizeof box, "w:%s", fq_items_worker_id(c->roster, k.decision.worker));
    assert_int_equal(box_kind(&p.outbox, box), K(CLOSED));
    fq_command_plan_free(&p);
}

/* Suspended, then resumed an hour later: the limits still ahead keep what
 * was left of them; suspending twice is refused as done already. */
static void test_command_suspend_resume(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(SUSPEND), "waiting for the court");
    fq_command_plan p;
    char why[256];
    int64_t at = NOW + 600 * 1000;
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, at, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "suspended");
    assert_int_equal(p.suspend_ms, at);
    fq_command_plan_free(&p);

    k.suspended_ms = at;
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, at, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_int_equal(p.already_done, 1);
    Fengqiao__V1__ConsoleCommand esc = command(CK(ESCALATE), "now");
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &esc, at, &p, why, sizeof why),
                     FQ_ESTATE);
    assert_string_equal(why, "incident 42 is suspended: resume it first");

    Fengqiao__V1__ConsoleCommand res = command(CK(RESUME), "the court decided");
    int64_t later = at + 3600 * 1000;
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &res, later, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "resumed");
    assert_int_equal(p.rerouted, 1);
    assert_int_equal(p.decision.ack_due_ms, k.decision.ack_due_ms + 3600 * 1000);
    assert_int_equal(p.decision.conclude_due_ms, k.decision.conclude_due_ms + 3600 * 1000);
    fq_command_plan_free(&p);
}

/* An extension asked for: approved, the conclude limit moves and its
 * warning keeps its distance; without one asked, refused. */
static void test_command_extension(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(APPROVE_EXTENSION), "fine");
    fq_command_plan p;
    char why[256];
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_ESTATE);
    k.assignment = FQ_ASSIGNMENT_EXTENSION_REQUESTED;
    k.extension_ms = k.decision.conclude_due_ms + 86400 * 1000LL;
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "extension_approved");
    assert_int_equal(p.next_state, FQ_ASSIGNMENT_ACKNOWLEDGED);
    assert_int_equal(p.decision.conclude_due_ms, k.extension_ms);
    assert_int_equal(p.decision.conclude_due_ms - p.decision.conclude_warn_ms,
                     k.decision.conclude_due_ms - k.decision.conclude_warn_ms);
    fq_command_plan_free(&p);
    cmd.kind = CK(DENY_EXTENSION);
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "extension_denied");
    assert_int_equal(p.rerouted, 0);
    fq_command_plan_free(&p);
}

/* A supervision order: its deadline goes with the holders' items, the
 * order's text is the event's reason. */
static void test_command_supervise(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    fq_node op = operator_node(c);
    Fengqiao__V1__ConsoleCommand cmd = command(CK(SUPERVISE), "report by noon");
    cmd.deadline_ms = NOW + 4 * 3600 * 1000;
    fq_command_plan p;
    char why[256];
    assert_int_equal(fq_plan_command(&c->world, &k, NULL, &op, &cmd, NOW, &p, why, sizeof why),
                     FQ_OK);
    assert_string_equal(p.kind, "supervision_ordered");
    assert_int_equal(p.supervision_ms, cmd.deadline_ms);
    assert_string_equal(p.note, "supervision order (督办) from op-1, reply by "
                                "2027-01-15T12:00:00Z: report by noon");
    char box[FQ_BOX_MAX];
    snprintf(box, sizeof box, "w:%s", fq_items_worker_id(c->roster, k.decision.worker));
    assert_int_equal(box_kind(&p.outbox, box), K(SUPERVISION));
    fq_command_plan_free(&p);
}

/* A concluded case reopened for redo goes back to the worker who had it,
 * or to the one named; a target outside the operator's jurisdiction or
 * unknown is refused. */
static void test_reopen(void **state)
{
    city *c = *state;
    fq_case k = open_case(c, "d1-t1-v1-g1");
    const char *had = fq_items_worker_id(c->roster, k.decision.worker);
    fq_node op = operator_node(c);
    fq_reopen_plan p;
    char why[256];
    assert_int_equal(
        fq_plan_reopen(&c->world, &k, &op, "", "", "not fixed", NOW, &p, why, sizeof why), FQ_OK);
    assert_string_equal(fq_items_worker_id(c->roster, p.decision.worker), had);
    char box[FQ_BOX_MAX];
    snprintf(box, sizeof box, "w:%s", had);
    assert_int_equal(box_kind(&p.outbox, box), K(ASSIGNMENT));
    fq_reopen_plan_free(&p);
    assert_int_equal(
        fq_plan_reopen(&c->world, &k, &op, "", "e", "not fixed", NOW, &p, why, sizeof why), FQ_OK);
    assert_string_equal(fq_items_worker_id(c->roster, p.decision.worker), "e");
    fq_reopen_plan_free(&p);
    assert_int_equal(
        fq_plan_reopen(&c->world, &k, &op, "", "nobody", "x", NOW, &p, why, sizeof why),
        FQ_EINVALID);
    assert_string_equal(why, "no such grid worker nobody");
    fq_node village_op = op;
    village_op.jurisdiction = fq_org_find(c->org, "d1-t1-v1-g1");
    assert_int_equal(
        fq_plan_reopen(&c->world, &k, &village_op, "", "e", "x", NOW, &p, why, sizeof why),
        FQ_EFORBIDDEN);
}

/* ---- a report ---- */

/* A report's request: its category by code, its place, the reporter's
 * jurisdiction as the fallback; an unknown category is refused. (The grid
 * of a point is the geo index's: this city has no polygons.) */
static void test_report_request(void **state)
{
    city *c = *state;
    fq_node reporter;
    memset(&reporter, 0, sizeof reporter);
    reporter.id = "t-platform";
    reporter.jurisdiction = fq_org_find(c->org, "d1-t1");
    Fengqiao__V1__ReportIncident report = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    report.category = "dispute.neighbour";
    report.severity = 4;
    report.risk = 1;
    int32_t place = fq_org_find(c->org, "d1-t1-v1-g2");
    fq_route_request req;
    char why[256];
    assert_int_equal(fq_plan_report_request(&c->world, NULL, &reporter, &report, place, NOW, &req,
                                            why, sizeof why),
                     FQ_OK);
    assert_int_equal(req.category, c->dispute);
    assert_int_equal(req.severity, 4);
    assert_int_equal(req.place, place);
    assert_int_equal(req.fallback_place, reporter.jurisdiction);
    assert_int_equal(req.now_ms, NOW);
    assert_int_equal(req.has_location, 0);
    report.category = "noise.night";
    assert_int_equal(fq_plan_report_request(&c->world, NULL, &reporter, &report, place, NOW, &req,
                                            why, sizeof why),
                     FQ_EINVALID);
    assert_string_equal(why, "category noise.night is not in the taxonomy");
}

/* One more report on an open matter joins it where it is handled, keeping
 * its own place; a graver one, entering higher, goes on its own. */
static void test_merge(void **state)
{
    city *c = *state;
    fq_case open = open_case(c, "d1-t1-v1-g1"), again = open_case(c, "d1-t1-v1-g2");
    fq_decision merged;
    assert_int_equal(fq_plan_merge(&again.decision, &open.decision, &merged), 1);
    assert_int_equal(merged.worker, open.decision.worker);
    assert_int_equal(merged.lead, open.decision.lead);
    assert_int_equal(merged.ack_due_ms, open.decision.ack_due_ms);
    assert_int_equal(merged.grid, fq_org_find(c->org, "d1-t1-v1-g2"));
    fq_decision graver = again.decision;
    graver.tier = FQ_TIER_TOWN;
    assert_int_equal(fq_plan_merge(&graver, &open.decision, &merged), 0);
    /* Lower or equal: it joins (an escalated open one holds a milder report). */
    open.decision.tier = FQ_TIER_DISTRICT;
    assert_int_equal(fq_plan_merge(&graver, &open.decision, &merged), 1);
    assert_int_equal(merged.tier, FQ_TIER_DISTRICT);
}

/* A report's decision as it is written: dispatched on its own, its texts,
 * outcome and items (its holder's among them); merged into an open
 * incident, the reason says so, the outcome names it and only the town's
 * feed hears of it (nobody's to handle); the same inputs, the same bytes. */
static void test_report_plan(void **state)
{
    city *c = *state;
    fq_node reporter;
    memset(&reporter, 0, sizeof reporter);
    reporter.id = "t-platform";
    reporter.jurisdiction = fq_org_find(c->org, "d1-t1");
    Fengqiao__V1__ReportIncident report = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    report.category = "dispute.neighbour";
    report.severity = 4;
    report.risk = 1;
    report.title = "a wall";
    report.address = "no. 3";
    report.external_ref = "x-1";
    fq_case k = open_case(c, "d1-t1-v1-g1");
    const fq_report_plan_config cfg = {300, 120 * 60000};
    fq_report_plan *own = calloc(1, sizeof *own), *again = calloc(1, sizeof *again);
    assert_non_null(own);
    assert_non_null(again);
    fq_plan_report(&c->world, &k.request, &k.decision, 0, &cfg, &reporter, &report, report.title,
                   report.address, report.external_ref, own);
    assert_string_equal(own->state, "assigned");
    assert_string_equal(own->event_kind, "assigned");
    assert_non_null(strstr(own->reason, "by rule 1 of set 7: village tier"));
    char holder[80];
    snprintf(holder, sizeof holder, "w:%s", fq_roster_worker_id(c->roster, k.decision.worker));
    assert_true(item_kind(own, holder) >= 0);
    Fengqiao__V1__RoutingOutcome *o =
        fengqiao__v1__routing_outcome__unpack(NULL, own->outcome_len, own->outcome);
    assert_non_null(o);
    assert_int_equal(o->tier, FENGQIAO__V1__TIER__TIER_VILLAGE);
    assert_int_equal(o->merged_into, 0);
    assert_int_equal(o->rule_set, 7);
    assert_string_equal(o->worker, fq_roster_worker_id(c->roster, k.decision.worker));
    fengqiao__v1__routing_outcome__free_unpacked(o, NULL);
    /* Pure: the same again. */
    fq_plan_report(&c->world, &k.request, &k.decision, 0, &cfg, &reporter, &report, report.title,
                   report.address, report.external_ref, again);
    assert_int_equal(again->outcome_len, own->outcome_len);
    assert_memory_equal(again->outcome, own->outcome, own->outcome_len);
    assert_int_equal(again->outbox.n, own->outbox.n);
    fq_outbox_free(&own->outbox);
    fq_outbox_free(&again->outbox);

    /* Merged into open incident 99 (no report at hand: decided after it). */
    fq_plan_report(&c->world, &k.request, &k.decision, 99, &cfg, &reporter, NULL, "a wall", "no. 3",
                   "x-1", own);
    assert_string_equal(own->state, "merged");
    assert_string_equal(own->reason_code, FQ_REASON_MERGED);
    assert_non_null(strstr(own->reason, "within 300 m and 120 min of open incident 99"));
    assert_int_equal(item_kind(own, holder), -1);
    assert_true(item_kind(own, "u:d1-t1") >= 0);
    o = fengqiao__v1__routing_outcome__unpack(NULL, own->outcome_len, own->outcome);
    assert_non_null(o);
    assert_int_equal(o->merged_into, 99);
    fengqiao__v1__routing_outcome__free_unpacked(o, NULL);
    fq_outbox_free(&own->outbox);
    free(own);
    free(again);
}

/* The co-handling units as the statements take them, at the limit: as many
 * as a decision has room for, each with an id as long as the validator
 * admits, all written and read back; one byte longer is no handler id. */
static void test_co_array_at_the_id_limit(void **state)
{
    city *c = *state;
    fq_roster *roster = fq_roster_new(c->org); /* departments of d1 only */
    char ids[FQ_ROUTE_MAX_CO][FQ_ID_MAX_LEN + 2];
    fq_decision dec;
    memset(&dec, 0, sizeof dec);
    for (int i = 0; i < FQ_ROUTE_MAX_CO; i++) {
        char code[16];
        snprintf(code, sizeof code, "dept%d", i);
        memset(ids[i], 'a' + i, FQ_ID_MAX_LEN);
        ids[i][FQ_ID_MAX_LEN] = '\0';
        assert_true(fq_valid_id(ids[i]));
        ok(fq_roster_add_handler(roster, ids[i], FQ_HANDLER_DEPARTMENT, "d1", -1, code, err,
                                 sizeof err));
    }
    char longer[FQ_ID_MAX_LEN + 2];
    memset(longer, 'z', FQ_ID_MAX_LEN + 1);
    longer[FQ_ID_MAX_LEN + 1] = '\0';
    assert_false(fq_valid_id(longer));
    assert_int_not_equal(fq_roster_add_handler(roster, longer, FQ_HANDLER_DEPARTMENT, "d1", -1,
                                               "deptz", err, sizeof err),
                         0);
    ok(fq_roster_finish(roster, err, sizeof err));
    dec.n_co = FQ_ROUTE_MAX_CO;
    for (int i = 0; i < FQ_ROUTE_MAX_CO; i++) {
        dec.co[i] = fq_roster_find_handler(roster, ids[i]);
        assert_true(dec.co[i] >= 0);
    }

    uint8_t out[FQ_ITEMS_CO_ARRAY_BYTES];
    size_t len = fq_items_co_array(roster, &dec, out);
    assert_int_equal(len, FQ_ITEMS_CO_ARRAY_BYTES); /* no byte to spare at the limit */
    fq_pgarray_reader r;
    assert_int_equal(fq_pgarray_read_begin(&r, out, len, FQ_PG_TEXT), 0);
    const uint8_t *element;
    int32_t element_len;
    for (int i = 0; i < FQ_ROUTE_MAX_CO; i++) {
        assert_int_equal(fq_pgarray_read_next(&r, &element, &element_len), 1);
        assert_int_equal(element_len, FQ_ID_MAX_LEN);
        assert_memory_equal(element, ids[i], FQ_ID_MAX_LEN);
    }
    assert_int_equal(fq_pgarray_read_next(&r, &element, &element_len), 0);

    /* None: an empty text[]. */
    dec.n_co = 0;
    len = fq_items_co_array(roster, &dec, out);
    assert_int_equal(fq_pgarray_read_begin(&r, out, len, FQ_PG_TEXT), 0);
    assert_int_equal(fq_pgarray_read_next(&r, &element, &element_len), 0);
    fq_roster_free(roster);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_warnings_tell_the_holder_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escalation_at_each_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervision_order_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acknowledge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_yours_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_return_routes_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conclude, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervision_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_assign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_suspend_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_supervise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_co_array_at_the_id_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
