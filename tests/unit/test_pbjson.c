/* test_pbjson: the web API's JSON (server/web/pbjson.h) — replies by the
 * descriptor walk, and the strict decoder of command bodies. */
#include "pbjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static json_object *field(json_object *o, const char *name)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, name, &v));
    return v;
}

static void test_enum_names(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(
        fq_pbjson_enum_name(&fengqiao__v1__severity__descriptor, 2, buf, sizeof buf), "ii");
    assert_string_equal(fq_pbjson_enum_name(&fengqiao__v1__line__descriptor, 0, buf, sizeof buf),
                        "");
    assert_string_equal(fq_pbjson_enum_name(&fengqiao__v1__command_kind__descriptor,
                                            FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION,
                                            buf, sizeof buf),
                        "approve_extension");
    assert_int_equal(fq_pbjson_enum_value(&fengqiao__v1__tier__descriptor, "district"),
                     FENGQIAO__V1__TIER__TIER_DISTRICT);
    assert_int_equal(fq_pbjson_enum_value(&fengqiao__v1__tier__descriptor, "unspecified"), -1);
    assert_int_equal(fq_pbjson_enum_value(&fengqiao__v1__tier__descriptor, "TOWN"), -1);
}

static void test_summary_as_json(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s;
    fengqiao__v1__incident_summary__init(&s);
    char *co[] = {"a-unit", "b-unit"};
    s.incident_id = (1ULL << 53) - 1;
    s.severity = FENGQIAO__V1__SEVERITY__SEVERITY_I;
    s.tier = FENGQIAO__V1__TIER__TIER_TOWN;
    s.title = "<img src=x onerror=alert(1)> \"引号\"";
    s.co_units = co;
    s.n_co_units = 2;
    s.overdue = 1;
    s.conclude_due_ms = -5;
    json_object *o = fq_pbjson_message(&s.base);
    assert_non_null(o);
    assert_int_equal(json_object_get_uint64(field(o, "incident_id")), (1ULL << 53) - 1);
    assert_string_equal(json_object_get_string(field(o, "severity")), "i");
    assert_string_equal(json_object_get_string(field(o, "tier")), "town");
    assert_string_equal(json_object_get_string(field(o, "line")), "");
    assert_string_equal(json_object_get_string(field(o, "title")), s.title);
    assert_int_equal(json_object_array_length(field(o, "co_units")), 2);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(field(o, "co_units"), 1)),
                        "b-unit");
    assert_true(json_object_get_boolean(field(o, "overdue")));
    assert_int_equal(json_object_get_int64(field(o, "conclude_due_ms")), -5);
    assert_string_equal(json_object_get_string(field(o, "worker")), "");
    json_object_put(o);
}

static void test_point_and_oneof(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem it;
    fengqiao__v1__outbox_item__init(&it);
    Fengqiao__V1__GeoPoint g;
    fengqiao__v1__geo_point__init(&g);
    g.lon = 120.1;
    g.lat = 30.2;
    it.location = &g;
    it.kind = FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION;
    json_object *o = fq_pbjson_message(&it.base);
    json_object *loc = field(o, "location");
    assert_true(json_object_get_double(field(loc, "lat")) == 30.2);
    assert_true(json_object_get_double(field(loc, "lng")) == 120.1);
    assert_string_equal(json_object_get_string(field(o, "kind")), "supervision");
    json_object_put(o);
    it.location = NULL;
    o = fq_pbjson_message(&it.base);
    assert_false(json_object_object_get_ex(o, "location", NULL));
    json_object_put(o);

    Fengqiao__V1__Reply r;
    fengqiao__v1__reply__init(&r);
    Fengqiao__V1__ActionResult a;
    fengqiao__v1__action_result__init(&a);
    a.incident_id = 42;
    a.state = "assigned";
    r.result_case = FENGQIAO__V1__REPLY__RESULT_COMMAND;
    r.command = &a;
    o = fq_pbjson_message(&r.base);
    assert_false(json_object_object_get_ex(o, "console", NULL));
    assert_int_equal(json_object_get_int(field(field(o, "command"), "incident_id")), 42);
    json_object_put(o);
}

static int decode(const char *body, fq_webcmd *cmd, char *err)
{
    return fq_webcmd_decode(body, strlen(body), cmd, err, 200);
}

static void test_decode_a_joint_assignment(void **state)
{
    (void)state;
    static fq_webcmd cmd;
    char err[200];
    assert_int_equal(
        decode("{\"request_id\":\"6f1c-A_9\",\"kind\":\"assign\",\"reason\":\"需协同\","
               "\"target_unit\":\"lingyin-enforcement\",\"co_units\":[\"xihu-um\"],"
               "\"deadline_ms\":0,\"merge_into\":0,\"satisfaction\":0}",
               &cmd, err),
        0);
    assert_string_equal(cmd.request_id, "6f1c-A_9");
    assert_int_equal(cmd.command.kind, FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN);
    assert_string_equal(cmd.command.reason, "需协同");
    assert_string_equal(cmd.command.target_unit, "lingyin-enforcement");
    assert_string_equal(cmd.command.target_worker, "");
    assert_int_equal(cmd.command.n_co_units, 1);
    assert_string_equal(cmd.command.co_units[0], "xihu-um");
}

static void test_decode_suspend_and_resume(void **state)
{
    (void)state;
    static fq_webcmd cmd;
    char err[200];
    assert_int_equal(
        decode("{\"request_id\":\"s1\",\"kind\":\"suspend\",\"reason\":\"等待法院判决\"}", &cmd,
               err),
        0);
    assert_int_equal(cmd.command.kind, FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND);
    assert_string_equal(cmd.command.reason, "等待法院判决");
    assert_int_equal(
        decode("{\"request_id\":\"r1\",\"kind\":\"resume\",\"reason\":\"判决已下\"}", &cmd, err),
        0);
    assert_int_equal(cmd.command.kind, FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME);
}

static void refused(const char *body, const char *needle)
{
    static fq_webcmd cmd;
    char err[200];
    assert_int_equal(decode(body, &cmd, err), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s' refused with '%s', expected it to name '%s'", body, err, needle);
}

static void test_decode_refusals_name_the_field(void **state)
{
    (void)state;
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"x\",\"extra\":1}", "extra");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":7}", "reason");
    refused("{\"request_id\":\"a b\",\"kind\":\"assign\",\"reason\":\"x\"}", "request_id");
    refused("{\"kind\":\"assign\",\"reason\":\"x\"}", "request_id");
    refused("{\"request_id\":\"a\",\"reason\":\"x\"}", "kind");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\"}", "reason");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"\"}", "reason");
    refused("{\"request_id\":\"a\",\"kind\":\"fly\",\"reason\":\"x\"}", "kind");
    refused("{\"request_id\":\"a\",\"kind\":\"follow_up\",\"reason\":\"x\",\"satisfaction\":6}",
            "satisfaction");
    refused("{\"request_id\":\"a\",\"kind\":\"follow_up\",\"reason\":\"x\",\"satisfaction\":\"5\"}",
            "satisfaction");
    refused("{\"request_id\":\"a\",\"kind\":\"merge\",\"reason\":\"x\","
            "\"merge_into\":18446744073709551615}",
            "merge_into");
    refused("{\"request_id\":\"a\",\"kind\":\"merge\",\"reason\":\"x\",\"merge_into\":-1}",
            "merge_into");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"x\",\"target_unit\":"
            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
            "target_unit");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"x\",\"co_units\":[1]}",
            "co_units[0]");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"x\\u0000y\"}", "reason");
    refused("{\"request_id\":\"a\",\"kind\":\"assign\",\"reason\":\"x\"} {}", "JSON");
    refused("[]", "object");
    refused("{\"request_id\":\"a\",", "JSON");
    refused("", "JSON");
}

static void test_stats_rows(void **state)
{
    (void)state;
    char *columns[] = {"group", "received", "mean_s", "note"};
    char *c0[] = {"lingyin", "120", "3.5", "a, \"quoted\"\nline"};
    char *c1[] = {"0012", "-7", "1e3", ""};
    char *c2[] = {"inf", "nan", "99999999999999999999", "x"};
    Fengqiao__V1__StatsRow r[3];
    Fengqiao__V1__StatsRow *list[3] = {&r[0], &r[1], &r[2]};
    char **cells[3] = {c0, c1, c2};
    for (int i = 0; i < 3; i++) {
        fengqiao__v1__stats_row__init(&r[i]);
        r[i].cells = cells[i];
        r[i].n_cells = 4;
    }
    Fengqiao__V1__ConsoleResult page1 = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    Fengqiao__V1__ConsoleResult page2 = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    page1.stats_columns = page2.stats_columns = columns;
    page1.n_stats_columns = page2.n_stats_columns = 4;
    page1.stats_rows = list;
    page1.n_stats_rows = 2;
    page2.stats_rows = list + 2;
    page2.n_stats_rows = 1;
    json_object *o = fq_pbjson_stats_add(NULL, &page1);
    assert_ptr_equal(fq_pbjson_stats_add(o, &page2), o); /* a later page: its rows appended */
    json_object *cols = field(o, "columns");
    assert_int_equal(json_object_array_length(cols), 4);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(cols, 1)), "received");
    json_object *rows = field(o, "rows");
    assert_int_equal(json_object_array_length(rows), 3);
    json_object *r0 = json_object_array_get_idx(rows, 0);
    assert_true(json_object_is_type(json_object_array_get_idx(r0, 1), json_type_int));
    assert_int_equal(json_object_get_int(json_object_array_get_idx(r0, 1)), 120);
    assert_true(json_object_get_double(json_object_array_get_idx(r0, 2)) == 3.5);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r0, 3)),
                        "a, \"quoted\"\nline");
    json_object *r1 = json_object_array_get_idx(rows, 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r1, 0)), "0012");
    assert_int_equal(json_object_get_int(json_object_array_get_idx(r1, 1)), -7);
    assert_true(json_object_get_double(json_object_array_get_idx(r1, 2)) == 1000.0);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r1, 3)), "");
    json_object *r2 = json_object_array_get_idx(rows, 2);
    for (int i = 0; i < 3; i++)
        assert_true(json_object_is_type(json_object_array_get_idx(r2, i), json_type_string));
    json_object_put(o);
    Fengqiao__V1__ConsoleResult empty = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    o = fq_pbjson_stats_add(NULL, &empty);
    assert_int_equal(json_object_array_length(field(o, "rows")), 0);
    json_object_put(o);
}

/* An attachment's sha256 (bytes) is shown as lowercase hex. */
static void test_attachment_hash_as_hex(void **state)
{
    (void)state;
    uint8_t sha[32];
    for (int i = 0; i < 32; i++)
        sha[i] = (uint8_t)(i * 9 + 0xa0);
    Fengqiao__V1__TimelineAttachment a = FENGQIAO__V1__TIMELINE_ATTACHMENT__INIT;
    a.id = 31;
    a.content_type = "image/jpeg";
    a.size = 1234;
    a.sha256.data = sha;
    a.sha256.len = sizeof sha;
    a.width = 320;
    a.height = 240;
    a.name = "after.jpg";
    Fengqiao__V1__TimelineAttachment *list[1] = {&a};
    Fengqiao__V1__TimelineEvent ev = FENGQIAO__V1__TIMELINE_EVENT__INIT;
    ev.seq = 9;
    ev.kind = "concluded";
    ev.attachments = list;
    ev.n_attachments = 1;
    json_object *o = fq_pbjson_message(&ev.base);
    assert_non_null(o);
    json_object *arr = field(o, "attachments");
    assert_int_equal(json_object_array_length(arr), 1);
    json_object *one = json_object_array_get_idx(arr, 0);
    char want[65];
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", sha[i]);
    assert_string_equal(json_object_get_string(field(one, "sha256")), want);
    assert_int_equal(json_object_get_int64(field(one, "id")), 31);
    assert_int_equal(json_object_get_int64(field(one, "width")), 320);
    assert_string_equal(json_object_get_string(field(one, "name")), "after.jpg");
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_attachment_hash_as_hex),
        cmocka_unit_test(test_summary_as_json),
        cmocka_unit_test(test_point_and_oneof),
        cmocka_unit_test(test_decode_a_joint_assignment),
        cmocka_unit_test(test_decode_suspend_and_resume),
        cmocka_unit_test(test_decode_refusals_name_the_field),
        cmocka_unit_test(test_stats_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
