/* Tests of the mediation's state rules (every step from every state), its
 * field checks through fq_validate_command, and the record it leaves. */
#include "mediation.h"
#include "validate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define K(x) FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_##x

static void test_steps(void **state)
{
    (void)state;
    char err[200];
    fq_mediation_state next;
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_NONE, K(OPEN), &next, err, sizeof err), 0);
    assert_int_equal(next, FQ_MEDIATION_OPEN);
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_OPEN, K(SESSION), &next, err, sizeof err), 0);
    assert_int_equal(next, FQ_MEDIATION_OPEN);
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_OPEN, K(AGREE), &next, err, sizeof err), 0);
    assert_int_equal(next, FQ_MEDIATION_ENDED);
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_OPEN, K(FAIL), &next, err, sizeof err), 0);
    assert_int_equal(next, FQ_MEDIATION_ENDED);
}

static void test_refusals(void **state)
{
    (void)state;
    char err[200];
    fq_mediation_state next;
    /* no session, agreement or failure before it is opened */
    for (int k = K(SESSION); k <= K(FAIL); k++) {
        assert_int_equal(fq_mediation_step(FQ_MEDIATION_NONE, (Fengqiao__V1__CommandKind)k, &next,
                                           err, sizeof err),
                         -1);
        assert_non_null(strstr(err, "open one first"));
        assert_int_equal(next, FQ_MEDIATION_NONE);
    }
    /* nothing after the end, not even opening again */
    for (int k = K(OPEN); k <= K(FAIL); k++) {
        assert_int_equal(fq_mediation_step(FQ_MEDIATION_ENDED, (Fengqiao__V1__CommandKind)k, &next,
                                           err, sizeof err),
                         -1);
        assert_int_equal(next, FQ_MEDIATION_ENDED);
    }
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_OPEN, K(OPEN), &next, err, sizeof err), -1);
    assert_non_null(strstr(err, "open already"));
    assert_int_equal(fq_mediation_step(FQ_MEDIATION_OPEN,
                                       FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE, &next, err,
                                       sizeof err),
                     -1);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(fq_mediation_event_kind(K(OPEN)), "mediation_opened");
    assert_string_equal(fq_mediation_event_kind(K(SESSION)), "mediation_session");
    assert_string_equal(fq_mediation_event_kind(K(AGREE)), "mediation_agreed");
    assert_string_equal(fq_mediation_event_kind(K(FAIL)), "mediation_failed");
    assert_null(fq_mediation_event_kind(FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE));
    assert_int_equal(fq_mediation_state_parse(""), FQ_MEDIATION_NONE);
    assert_int_equal(fq_mediation_state_parse("open"), FQ_MEDIATION_OPEN);
    assert_int_equal(fq_mediation_state_parse("ended"), FQ_MEDIATION_ENDED);
    assert_int_equal(fq_mediation_state_parse("later"), FQ_MEDIATION_ENDED);
    assert_string_equal(fq_mediation_state_name(fq_mediation_state_parse("open")), "open");
    assert_string_equal(
        fq_mediation_transfer_name(FENGQIAO__V1__TRANSFER_TO__TRANSFER_PETITION_OFFICE),
        "petition_office");
}

typedef struct opening {
    Fengqiao__V1__ConsoleCommand c;
    Fengqiao__V1__Mediation m;
    Fengqiao__V1__MediationParty p[2], *pp[2];
    char *mediators[1];
} opening;

static void make_opening(opening *o)
{
    fengqiao__v1__console_command__init(&o->c);
    fengqiao__v1__mediation__init(&o->m);
    for (int i = 0; i < 2; i++) {
        fengqiao__v1__mediation_party__init(&o->p[i]);
        o->pp[i] = &o->p[i];
    }
    o->p[0].side = FENGQIAO__V1__PARTY_SIDE__PARTY_APPLICANT;
    o->p[0].name = "张\"三\"";
    o->p[0].phone = "138-0000 1234";
    o->p[1].side = FENGQIAO__V1__PARTY_SIDE__PARTY_RESPONDENT;
    o->p[1].name = "李四";
    o->p[1].role = "邻居";
    o->mediators[0] = "med.wang";
    o->m.parties = o->pp;
    o->m.n_parties = 2;
    o->m.committee = "lingyin-trc";
    o->m.mediators = o->mediators;
    o->m.n_mediators = 1;
    o->c.incident_id = 7;
    o->c.kind = K(OPEN);
    o->c.reason = "宅基地边界\n纠纷";
    o->c.mediation = &o->m;
}

static void test_validate_open(void **state)
{
    (void)state;
    char err[200];
    opening o;
    make_opening(&o);
    assert_int_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    o.p[1].side = FENGQIAO__V1__PARTY_SIDE__PARTY_APPLICANT;
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    assert_non_null(strstr(err, "respondent"));
    make_opening(&o);
    o.p[0].phone = "138<script>";
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    assert_non_null(strstr(err, "phone"));
    make_opening(&o);
    o.m.committee = "";
    o.m.n_mediators = 0;
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    assert_non_null(strstr(err, "committee or mediators"));
    make_opening(&o);
    o.m.place = "村委会"; /* a session's field on an opening */
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    make_opening(&o);
    o.c.mediation = NULL;
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
    make_opening(&o);
    o.c.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE; /* details on another command */
    assert_int_not_equal(fq_validate_command(&o.c, 1000000000000LL, err, sizeof err), 0);
}

static void test_validate_steps(void **state)
{
    (void)state;
    char err[200];
    const int64_t now = 1800000000000LL;
    Fengqiao__V1__ConsoleCommand c;
    Fengqiao__V1__Mediation m;
    fengqiao__v1__console_command__init(&c);
    fengqiao__v1__mediation__init(&m);
    char *who[] = {"张三", "李四"};
    c.incident_id = 9;
    c.reason = "双方各让一步";
    c.mediation = &m;
    c.kind = K(SESSION);
    m.session_at_ms = now - 3600000;
    m.place = "灵隐街道调解室";
    m.attendees = who;
    m.n_attendees = 2;
    assert_int_equal(fq_validate_command(&c, now, err, sizeof err), 0);
    m.session_at_ms = now + 86400000; /* not yet held */
    assert_int_not_equal(fq_validate_command(&c, now, err, sizeof err), 0);
    fengqiao__v1__mediation__init(&m);
    c.kind = K(AGREE);
    assert_int_not_equal(fq_validate_command(&c, now, err, sizeof err), 0);
    assert_non_null(strstr(err, "agreement"));
    m.agreement = "张三赔偿李四修缮费二千元。";
    assert_int_equal(fq_validate_command(&c, now, err, sizeof err), 0);
    fengqiao__v1__mediation__init(&m);
    c.kind = K(FAIL);
    assert_int_not_equal(fq_validate_command(&c, now, err, sizeof err), 0);
    m.transferred_to = FENGQIAO__V1__TRANSFER_TO__TRANSFER_COURT;
    assert_int_equal(fq_validate_command(&c, now, err, sizeof err), 0);
}

static void test_record(void **state)
{
    (void)state;
    opening o;
    make_opening(&o);
    char *r = fq_mediation_record(&o.c);
    assert_non_null(r);
    assert_string_equal(
        r, "{\"note\":\"宅基地边界\\u000a纠纷\",\"parties\":[{\"side\":\"applicant\",\"name\":"
           "\"张\\\"三\\\"\",\"role\":\"\",\"phone\":\"138-0000 1234\"},{\"side\":"
           "\"respondent\",\"name\":\"李四\",\"role\":\"邻居\",\"phone\":\"\"}],\"committee\":"
           "\"lingyin-trc\",\"mediators\":[\"med.wang\"]}");
    free(r);
    Fengqiao__V1__Mediation m;
    fengqiao__v1__mediation__init(&m);
    m.transferred_to = FENGQIAO__V1__TRANSFER_TO__TRANSFER_ARBITRATION;
    o.c.kind = K(FAIL);
    o.c.reason = "x";
    o.c.mediation = &m;
    r = fq_mediation_record(&o.c);
    assert_string_equal(r, "{\"note\":\"x\",\"transferred_to\":\"arbitration\"}");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),          cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_names),          cmocka_unit_test(test_validate_open),
        cmocka_unit_test(test_validate_steps), cmocka_unit_test(test_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
