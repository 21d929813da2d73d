/* caseload: add / find / remove / count / foreach, zeroed records (also when
 * a removed one is reused), extreme ids, reserve (no growth afterwards),
 * pointer stability across slab and table growth and across removals of
 * other cases, and a seeded model test against a plain array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "caseload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static fq_caseload *make(void)
{
    fq_caseload *c = fq_caseload_new();
    assert_non_null(c);
    return c;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0)
            return 0;
    }
    return 1;
}

/* A record is zero but for its id. */
static void assert_fresh(const fq_case *k, uint64_t id)
{
    assert_true(k->incident_id == id);
    fq_case copy = *k;
    copy.incident_id = 0;
    assert_true(all_zero(&copy.request, sizeof copy.request));
    assert_true(all_zero(&copy.decision, sizeof copy.decision));
    assert_true(copy.deadline == 0 && copy.deadline_kind == 0);
    assert_int_equal(copy.escalations, 0);
}

static void dirty(fq_case *k)
{
    uint64_t id = k->incident_id;
    memset(k, 0xa5, sizeof *k);
    k->incident_id = id;
}

static void test_basic(void **state)
{
    (void)state;
    fq_caseload *c = make();
    assert_int_equal(fq_caseload_count(c), 0);
    assert_null(fq_caseload_find(c, 1));
    fq_caseload_remove(c, 1); /* absent: nothing happens */
    fq_case *a = fq_caseload_add(c, 7);
    assert_non_null(a);
    assert_fresh(a, 7);
    assert_null(fq_caseload_add(c, 7)); /* already present */
    assert_ptr_equal(fq_caseload_find(c, 7), a);
    assert_int_equal(fq_caseload_count(c), 1);
    dirty(a);
    fq_caseload_remove(c, 7);
    assert_null(fq_caseload_find(c, 7));
    assert_int_equal(fq_caseload_count(c), 0);
    /* The removed record is reused, and comes back zeroed. */
    fq_case *b = fq_caseload_add(c, 8);
    assert_non_null(b);
    assert_fresh(b, 8);
    assert_true(fq_caseload_memory(c) >= sizeof(fq_case));
    fq_caseload_free(c);
    fq_caseload_free(NULL);
}

static void test_extreme_ids(void **state)
{
    (void)state;
    fq_caseload *c = make();
    const uint64_t ids[] = {0, 1, UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 63, UINT32_MAX};
    const size_t n = sizeof ids / sizeof ids[0];
    for (size_t i = 0; i < n; i++)
        assert_non_null(fq_caseload_add(c, ids[i]));
    for (size_t i = 0; i < n; i++) {
        fq_case *k = fq_caseload_find(c, ids[i]);
        assert_non_null(k);
        assert_true(k->incident_id == ids[i]);
    }
    fq_caseload_remove(c, 0);
    assert_null(fq_caseload_find(c, 0));
    assert_non_null(fq_caseload_find(c, UINT64_MAX));
    assert_int_equal(fq_caseload_count(c), n - 1);
    fq_caseload_free(c);
}

typedef struct visit {
    uint64_t sum, xor_ids;
    size_t n;
} visit;

static void count_visit(fq_case *k, void *user)
{
    visit *v = user;
    v->sum += k->incident_id;
    v->xor_ids ^= k->incident_id * 0x9e3779b97f4a7c15ULL;
    v->n++;
    k->escalations++; /* fn may change the cases */
}

static void test_foreach(void **state)
{
    (void)state;
    fq_caseload *c = make();
    visit v = {0, 0, 0};
    fq_caseload_foreach(c, count_visit, &v);
    assert_int_equal(v.n, 0);
    uint64_t sum = 0, x = 0;
    for (uint64_t id = 1; id <= 20000; id++)
        assert_non_null(fq_caseload_add(c, id));
    for (uint64_t id = 1; id <= 20000; id += 3)
        fq_caseload_remove(c, id);
    for (uint64_t id = 1; id <= 20000; id++) {
        if (id % 3 != 1) {
            sum += id;
            x ^= id * 0x9e3779b97f4a7c15ULL;
        }
    }
    fq_caseload_foreach(c, count_visit, &v);
    assert_int_equal(v.n, fq_caseload_count(c));
    assert_true(v.sum == sum);
    assert_true(v.xor_ids == x);
    /* Each visited exactly once. */
    for (uint64_t id = 2; id <= 20000; id += 3)
        assert_int_equal(fq_caseload_find(c, id)->escalations, 1);
    fq_caseload_free(c);
}

static void test_reserve(void **state)
{
    (void)state;
    fq_caseload *c = make();
    assert_int_equal(fq_caseload_reserve(c, 0), 0);
    for (uint64_t id = 1; id <= 100; id++)
        assert_non_null(fq_caseload_add(c, id));
    for (uint64_t id = 1; id <= 50; id++)
        fq_caseload_remove(c, id);
    assert_int_equal(fq_caseload_reserve(c, 30000), 0);
    size_t before = fq_caseload_memory(c);
    for (uint64_t id = 1000; id < 1000 + 30000; id++)
        assert_non_null(fq_caseload_add(c, id));
    /* Nothing grew: the reservation covered every add. */
    assert_int_equal(fq_caseload_memory(c), before);
    assert_int_equal(fq_caseload_count(c), 30050);
    assert_int_equal(fq_caseload_reserve(c, SIZE_MAX), -1);
    assert_non_null(fq_caseload_find(c, 77));
    fq_caseload_free(c);
}

/* Pointers handed out stay valid (same address, contents intact) while
 * slabs and the table grow and while other cases come and go. */
static void test_pointer_stability(void **state)
{
    (void)state;
    fq_caseload *c = make();
    enum { FIRST = 30000, MORE = 120000 };
    fq_case **kept = malloc(FIRST * sizeof *kept);
    assert_non_null(kept);
    for (uint32_t i = 0; i < FIRST; i++) {
        uint64_t id = (uint64_t)i * 1000003 + 17;
        kept[i] = fq_caseload_add(c, id);
        assert_non_null(kept[i]);
        kept[i]->request.severity = (int)(i % 4) + 1;
        kept[i]->decision.worker = (int32_t)i;
        kept[i]->deadline = id ^ 0x5555;
    }
    /* Growth. */
    for (uint32_t i = 0; i < MORE; i++)
        assert_non_null(fq_caseload_add(c, ((uint64_t)1 << 40) + i));
    /* Removals of others (and of every other kept one), then reuse. */
    for (uint32_t i = 0; i < MORE; i += 2)
        fq_caseload_remove(c, ((uint64_t)1 << 40) + i);
    for (uint32_t i = 1; i < FIRST; i += 2)
        fq_caseload_remove(c, (uint64_t)i * 1000003 + 17);
    for (uint32_t i = 0; i < MORE; i++)
        assert_non_null(fq_caseload_add(c, ((uint64_t)1 << 41) + i));
    for (uint32_t i = 0; i < FIRST; i += 2) {
        uint64_t id = (uint64_t)i * 1000003 + 17;
        assert_ptr_equal(fq_caseload_find(c, id), kept[i]);
        assert_true(kept[i]->incident_id == id);
        assert_int_equal(kept[i]->request.severity, (int)(i % 4) + 1);
        assert_int_equal(kept[i]->decision.worker, (int32_t)i);
        assert_true(kept[i]->deadline == (id ^ 0x5555));
    }
    assert_int_equal(fq_caseload_count(c), FIRST / 2 + MORE / 2 + MORE);
    free(kept);
    fq_caseload_free(c);
}

/* ---- model test ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

enum { KEYS = 3000 };

typedef struct model {
    uint64_t id[KEYS];
    fq_case *ptr[KEYS]; /* NULL: absent */
    int32_t tag[KEYS];
    size_t count;
} model;

static void check_all(fq_caseload *c, const model *m)
{
    assert_int_equal(fq_caseload_count(c), m->count);
    for (size_t k = 0; k < KEYS; k++) {
        fq_case *f = fq_caseload_find(c, m->id[k]);
        if (m->ptr[k] == NULL) {
            assert_null(f);
        } else {
            assert_ptr_equal(f, m->ptr[k]);
            assert_true(f->incident_id == m->id[k]);
            assert_int_equal(f->decision.lead, m->tag[k]);
        }
    }
    visit v = {0, 0, 0};
    uint64_t sum = 0;
    for (size_t k = 0; k < KEYS; k++) {
        if (m->ptr[k] != NULL)
            sum += m->id[k];
    }
    fq_caseload_foreach(c, count_visit, &v);
    assert_int_equal(v.n, m->count);
    assert_true(v.sum == sum);
}

static void run_model(uint64_t seed, int clustered)
{
    rng_state = seed;
    model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    for (size_t k = 0; k < KEYS; k++) {
        /* Clustered ids probe the table's collision handling: equal low bits,
         * or consecutive runs. */
        m->id[k] = clustered == 1 ? (uint64_t)k << 32 : clustered == 2 ? 5000 + k : rnd();
        for (size_t j = 0; j < k; j++) {
            if (m->id[j] == m->id[k])
                m->id[k] = rnd(); /* keep the keys distinct */
        }
    }
    fq_caseload *c = make();
    for (int step = 0; step < 60000; step++) {
        size_t k = (size_t)(rnd() % KEYS);
        uint64_t op = rnd() % 100;
        if (op < 45) {
            fq_case *a = fq_caseload_add(c, m->id[k]);
            if (m->ptr[k] != NULL) {
                assert_null(a);
            } else {
                assert_non_null(a);
                assert_fresh(a, m->id[k]);
                a->decision.lead = (int32_t)(rnd() & 0x7fffffff);
                m->tag[k] = a->decision.lead;
                m->ptr[k] = a;
                m->count++;
            }
        } else if (op < 80) {
            fq_caseload_remove(c, m->id[k]);
            if (m->ptr[k] != NULL) {
                m->ptr[k] = NULL;
                m->count--;
            }
        } else if (op < 99) {
            fq_case *f = fq_caseload_find(c, m->id[k]);
            assert_ptr_equal(f, m->ptr[k]);
        } else {
            assert_int_equal(fq_caseload_reserve(c, (size_t)(rnd() % 2000)), 0);
        }
        if (step % 5000 == 0)
            check_all(c, m);
    }
    check_all(c, m);
    /* Empty it completely, then refill: the table and free list recover. */
    for (size_t k = 0; k < KEYS; k++) {
        fq_caseload_remove(c, m->id[k]);
        m->ptr[k] = NULL;
    }
    m->count = 0;
    check_all(c, m);
    for (size_t k = 0; k < KEYS; k += 2) {
        m->ptr[k] = fq_caseload_add(c, m->id[k]);
        assert_non_null(m->ptr[k]);
        m->ptr[k]->decision.lead = m->tag[k] = (int32_t)k;
        m->count++;
    }
    check_all(c, m);
    fq_caseload_free(c);
    free(m);
}

static void test_model_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++)
        run_model(seed, 0);
}

static void test_model_clustered(void **state)
{
    (void)state;
    run_model(11, 1);
    run_model(12, 2);
}

/* ---- limits: scheduled on the monotonic clock, fired once per holder ---- */

enum { T_ACK_WARN = 1000, T_ACK = 2000, T_CONCLUDE_WARN = 3000, T_CONCLUDE = 5000 };
#define ALL_LIMITS 0x1fu
#define CONCLUDE_LIMITS                                                                            \
    ((1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1)) | (1u << (FQ_DEADLINE_CONCLUDE_DUE - 1)))

static void set_limits(fq_case *k, int64_t base)
{
    k->decision.ack_warn_ms = base + T_ACK_WARN;
    k->decision.ack_due_ms = base + T_ACK;
    k->decision.conclude_warn_ms = base + T_CONCLUDE_WARN;
    k->decision.conclude_due_ms = base + T_CONCLUDE;
    k->assignment = FQ_ASSIGNMENT_ASSIGNED;
}

/* Pops what is due at mono_now and marks it fired, as the server does (a
 * breach at the top tier leaves the case with its holder; a supervision
 * order's deadline ends the order), and schedules the case's next limit,
 * which may be due at once, until nothing more is. Returns the kinds
 * popped, one bit each; *n how many entries. */
static unsigned fire_due(fq_deadlines *dl, fq_case *k, int64_t mono_now, size_t *n)
{
    fq_deadline out[16];
    unsigned kinds = 0;
    *n = 0;
    for (;;) {
        size_t got = fq_deadlines_pop_due(dl, mono_now, out, 16);
        if (got == 0)
            return kinds;
        for (size_t i = 0; i < got; i++) {
            assert_true(out[i].key == k->incident_id);
            assert_true(k->deadline == out[i].id);
            assert_int_equal(k->deadline_kind, out[i].kind);
            kinds |= 1u << (out[i].kind - 1);
            fq_case_fired(k, out[i].kind);
            assert_true(k->deadline == 0);
            if (out[i].kind == FQ_DEADLINE_SUPERVISION_DUE)
                k->supervision_ms = 0;
            fq_case_schedule(k, dl);
        }
        *n += got;
    }
}

/* The timeline that showed ack_warning and breached twice for one due time:
 * the acknowledge limit passes at the top tier (warned, breached, the case
 * stays), then an operator's supervision order reschedules the case. The
 * spent limits must not come back. */
static void test_limits_once_around_supervision(void **state)
{
    (void)state;
    fq_caseload *c = make();
    fq_deadlines *dl = fq_deadlines_new(0);
    assert_non_null(dl);
    fq_case *k = fq_caseload_add(c, 42);
    set_limits(k, 0);
    fq_case_new_limits(k, 0, 0, ALL_LIMITS);
    fq_case_schedule(k, dl);
    size_t n;
    unsigned kinds = fire_due(dl, k, T_ACK + 500, &n);
    assert_int_equal(n, 2);
    assert_int_equal(kinds, 0x3);

    k->supervision_ms = 60000; /* the order, a few seconds later */
    fq_case_schedule(k, dl);
    assert_int_equal(fire_due(dl, k, T_ACK + 600, &n), 0);
    assert_int_equal(n, 0);
    /* The others still run, each once. */
    assert_int_equal(fire_due(dl, k, T_CONCLUDE_WARN, &n),
                     1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1));
    fq_case_schedule(k, dl); /* rescheduled once more (e.g. the order's reply) */
    assert_int_equal(fire_due(dl, k, T_CONCLUDE, &n), 1u << (FQ_DEADLINE_CONCLUDE_DUE - 1));
    assert_int_equal(fire_due(dl, k, 60000, &n), 1u << (FQ_DEADLINE_SUPERVISION_DUE - 1));
    fq_case_schedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 0);
    /* A second order to the same holder has a deadline of its own: it
     * fires too (the order is spent by clearing supervision_ms, not by the
     * per-holder mask). */
    k->supervision_ms = 80000;
    fq_case_schedule(k, dl);
    assert_int_equal(fire_due(dl, k, 80000, &n), 1u << (FQ_DEADLINE_SUPERVISION_DUE - 1));
    k->supervision_ms = 0;

    /* A new holder (escalation, reassignment) has limits of its own. */
    set_limits(k, 100000);
    fq_case_new_limits(k, 100000, 100000, ALL_LIMITS);
    fq_case_schedule(k, dl);
    assert_int_equal(fire_due(dl, k, 100000 + T_CONCLUDE, &n), 0xf);
    assert_int_equal(n, 4);
    fq_deadlines_free(dl);
    fq_caseload_free(c);
}

/* A granted extension moves the conclude limit: its warning and breach run
 * again, the acknowledge ones (spent, or behind an acknowledgement) do not. */
static void test_limits_extension(void **state)
{
    (void)state;
    fq_caseload *c = make();
    fq_deadlines *dl = fq_deadlines_new(0);
    fq_case *k = fq_caseload_add(c, 7);
    set_limits(k, 0);
    fq_case_new_limits(k, 0, 0, ALL_LIMITS);
    fq_case_schedule(k, dl);
    size_t n;
    assert_int_equal(fire_due(dl, k, T_CONCLUDE_WARN, &n), 0x7);
    k->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
    k->decision.conclude_warn_ms = 9000;
    k->decision.conclude_due_ms = 10000;
    fq_case_new_limits(k, 4000, 4000, CONCLUDE_LIMITS);
    fq_case_schedule(k, dl);
    assert_int_equal(fire_due(dl, k, 9999, &n), 1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1));
    assert_int_equal(fire_due(dl, k, 10000, &n), 1u << (FQ_DEADLINE_CONCLUDE_DUE - 1));
    assert_int_equal(fq_deadlines_count(dl), 0);
    fq_deadlines_free(dl);
    fq_caseload_free(c);
}

/* Limits are wall-clock times in the records, timed on the monotonic clock:
 * decided at wall W (monotonic M), an acknowledge limit of 60 s falls due at
 * M + 60 s however the wall clock steps meanwhile — also when the case is
 * rescheduled after the step. */
static void test_limits_monotonic(void **state)
{
    (void)state;
    const int64_t wall = 1800000000000, mono = 5000;
    for (int step = -1; step <= 1; step += 2) {
        fq_caseload *c = make();
        fq_deadlines *dl = fq_deadlines_new(0);
        fq_case *k = fq_caseload_add(c, 9);
        k->assignment = FQ_ASSIGNMENT_ASSIGNED;
        k->decision.ack_due_ms = wall + 60000;
        fq_case_new_limits(k, wall, mono, ALL_LIMITS);
        fq_case_schedule(k, dl);
        assert_true(fq_deadlines_next_due(dl) == mono + 60000);
        /* 10 s later the wall clock steps an hour (forward or back) and an
         * order reschedules the case: still due at M + 60 s. */
        k->supervision_ms = wall + step * 3600000 + 10000 + 30000;
        fq_case_schedule(k, dl);
        size_t n;
        /* Back: the order falls due first. */
        assert_int_equal(fire_due(dl, k, mono + 59999, &n),
                         step > 0 ? 0 : 1u << (FQ_DEADLINE_SUPERVISION_DUE - 1));
        assert_int_equal(fire_due(dl, k, mono + 60000, &n), 1u << (FQ_DEADLINE_ACK_DUE - 1));
        fq_deadlines_free(dl);
        fq_caseload_free(c);
    }
}

/* Suspension (中止): nothing is pending while the case is suspended, however
 * often it is rescheduled; on resumption every limit still ahead when it was
 * suspended moves on by the time suspended and fires once, a warning that
 * fired before stays spent and is not repeated, a limit already passed
 * stays where it was. */
static void test_limits_suspended_and_resumed(void **state)
{
    (void)state;
    fq_caseload *c = make();
    fq_deadlines *dl = fq_deadlines_new(0);
    fq_case *k = fq_caseload_add(c, 12);
    set_limits(k, 0);
    k->supervision_ms = 4000;
    fq_case_new_limits(k, 0, 0, ALL_LIMITS);
    fq_case_schedule(k, dl);
    size_t n;
    assert_int_equal(fire_due(dl, k, T_ACK_WARN, &n), 1u << (FQ_DEADLINE_ACK_WARNING - 1));

    k->suspended_ms = 1500; /* between the acknowledge warning and the limit */
    fq_case_schedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 0);
    fq_case_schedule(k, dl); /* e.g. a progress note meanwhile */
    assert_int_equal(fq_deadlines_count(dl), 0);
    assert_int_equal(fire_due(dl, k, 1000000, &n), 0);

    const int64_t resumed = 101500; /* 100 s suspended */
    fq_decision moved;
    int64_t supervision;
    fq_case_resumed_limits(k, NULL, resumed, &moved, &supervision);
    assert_true(moved.ack_warn_ms == T_ACK_WARN); /* passed before: stays */
    assert_true(moved.ack_due_ms == T_ACK + 100000);
    assert_true(moved.conclude_warn_ms == T_CONCLUDE_WARN + 100000);
    assert_true(moved.conclude_due_ms == T_CONCLUDE + 100000);
    assert_true(supervision == 4000 + 100000);
    assert_true(k->decision.ack_due_ms == T_ACK); /* the case is the caller's to change */

    k->decision = moved;
    k->supervision_ms = supervision;
    k->suspended_ms = 0;
    fq_case_schedule(k, dl); /* the case's clock offset stays: wall = mono here */
    assert_int_equal(fq_deadlines_count(dl), 1); /* its next limit only */
    assert_int_equal(fire_due(dl, k, T_ACK + 100000 - 1, &n), 0);
    assert_int_equal(fire_due(dl, k, T_ACK + 100000, &n), 1u << (FQ_DEADLINE_ACK_DUE - 1));
    assert_int_equal(fire_due(dl, k, T_CONCLUDE + 100000, &n),
                     (1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1)) |
                         (1u << (FQ_DEADLINE_CONCLUDE_DUE - 1)) |
                         (1u << (FQ_DEADLINE_SUPERVISION_DUE - 1)));
    k->supervision_ms = 0;
    fq_case_schedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 0);

    /* Resumed before it was suspended (a wall clock stepped back): nothing
     * moves. */
    k->suspended_ms = resumed + 10;
    fq_case_resumed_limits(k, NULL, resumed, &moved, &supervision);
    assert_true(moved.conclude_due_ms == k->decision.conclude_due_ms);
    fq_deadlines_free(dl);
    fq_caseload_free(c);
}

/* In working time (the rule counts working time): what was left of a limit
 * in working hours when it was suspended is what it has after resumption. */
static void test_limits_resumed_in_working_time(void **state)
{
    (void)state;
    fq_calendar cal;
    char err[128];
    fq_calendar_init(&cal, 0); /* UTC; Monday to Friday 09:00-17:00 */
    const fq_cal_period hours[] = {{9 * 60, 17 * 60}};
    assert_int_equal(fq_calendar_set_periods(&cal, hours, 1, err, sizeof err), 0);
    assert_int_equal(fq_calendar_set_weekly(&cal, 0x1f, err, sizeof err), 0);
    assert_int_equal(fq_calendar_cover_year(&cal, 2026, err, sizeof err), 0);
    const int64_t hour = 3600000;
    /* Friday 2026-12-04. */
    const int64_t friday = fq_cal_day_from_date(2026, 12, 4) * FQ_CAL_DAY_MS;
    fq_case k;
    memset(&k, 0, sizeof k);
    k.decision.conclude_due_ms = friday + 17 * hour;        /* Friday 17:00 */
    k.decision.conclude_warn_ms = friday + 16 * hour;       /* Friday 16:00 */
    k.decision.ack_due_ms = friday + 15 * hour;             /* passed before the suspension */
    k.suspended_ms = friday + 15 * hour + hour / 2;         /* Friday 15:30 */
    const int64_t resumed = friday + 24 * hour + 10 * hour; /* Saturday 10:00 */
    fq_decision moved;
    int64_t supervision;
    fq_case_resumed_limits(&k, &cal, resumed, &moved, &supervision);
    const int64_t monday = friday + 3 * 24 * hour;
    assert_true(moved.conclude_due_ms == monday + 9 * hour + 90 * 60000);  /* 1.5 h left */
    assert_true(moved.conclude_warn_ms == monday + 9 * hour + 30 * 60000); /* 0.5 h left */
    assert_true(moved.ack_due_ms == friday + 15 * hour);
    assert_true(supervision == 0);
}

/* One limit of a case is pending at a time, the earliest still to fire
 * (the lower kind first at the same time), and the next takes its place as
 * each fires. */
static void test_limits_one_pending(void **state)
{
    (void)state;
    fq_caseload *c = make();
    fq_deadlines *dl = fq_deadlines_new(0);
    fq_case *k = fq_caseload_add(c, 5);
    set_limits(k, 0);
    k->supervision_ms = T_ACK; /* the same time as the acknowledge limit */
    fq_case_new_limits(k, 0, 0, ALL_LIMITS);
    fq_case_schedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 1);
    assert_int_equal(k->deadline_kind, FQ_DEADLINE_ACK_WARNING);
    size_t n;
    assert_int_equal(fire_due(dl, k, T_ACK_WARN, &n), 1u << (FQ_DEADLINE_ACK_WARNING - 1));
    assert_int_equal(k->deadline_kind, FQ_DEADLINE_ACK_DUE);
    assert_int_equal(fq_deadlines_count(dl), 1);
    /* Acknowledged: its acknowledge limit goes, the order's is next. */
    k->assignment = FQ_ASSIGNMENT_ACKNOWLEDGED;
    fq_case_schedule(k, dl);
    assert_int_equal(k->deadline_kind, FQ_DEADLINE_SUPERVISION_DUE);
    assert_int_equal(fire_due(dl, k, T_CONCLUDE, &n),
                     (1u << (FQ_DEADLINE_SUPERVISION_DUE - 1)) |
                         (1u << (FQ_DEADLINE_CONCLUDE_WARNING - 1)) |
                         (1u << (FQ_DEADLINE_CONCLUDE_DUE - 1)));
    assert_int_equal(n, 3);
    assert_true(k->deadline == 0);
    assert_int_equal(fq_deadlines_count(dl), 0);
    /* Closed: nothing stays pending. */
    k->fired = 0;
    fq_case_schedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 1);
    fq_case_unschedule(k, dl);
    assert_int_equal(fq_deadlines_count(dl), 0);
    assert_true(k->deadline == 0 && k->deadline_kind == 0);
    fq_deadlines_free(dl);
    fq_caseload_free(c);
}

/* fq_caseload_ahead names the fresh records the next adds write, and
 * faulting them in (fq_populate) changes nothing. */
static void test_ahead(void **state)
{
    (void)state;
    fq_caseload *c = make();
    enum { N = 150000 };
    assert_int_equal(fq_caseload_reserve(c, N), 0);
    fq_case *first = fq_caseload_add(c, 1);
    first->escalations = 7;
    fq_span spans[8];
    size_t k = fq_caseload_ahead(c, N - 1, spans, 8);
    assert_int_equal(k, 3); /* 65536 - 1, 65536, the rest */
    size_t bytes = 0;
    for (size_t i = 0; i < k; i++) {
        bytes += spans[i].size;
        (void)fq_populate(spans[i].p, spans[i].size);
    }
    assert_int_equal(bytes, (size_t)(N - 1) * sizeof(fq_case));
    assert_ptr_equal(spans[0].p, first + 1);
    fq_case *second = fq_caseload_add(c, 2);
    assert_ptr_equal(second, spans[0].p);
    assert_int_equal(first->escalations, 7);
    /* Reused records are not fresh. */
    fq_caseload_remove(c, 2);
    assert_int_equal(fq_caseload_ahead(c, 1, spans, 8), 0);
    assert_int_equal(fq_caseload_ahead(c, 2, spans, 8), 1);
    fq_caseload_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_limits_once_around_supervision),
        cmocka_unit_test(test_limits_extension),
        cmocka_unit_test(test_limits_one_pending),
        cmocka_unit_test(test_ahead),
        cmocka_unit_test(test_limits_monotonic),
        cmocka_unit_test(test_limits_suspended_and_resumed),
        cmocka_unit_test(test_limits_resumed_in_working_time),
        cmocka_unit_test(test_extreme_ids),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_pointer_stability),
        cmocka_unit_test(test_model_random),
        cmocka_unit_test(test_model_clustered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
