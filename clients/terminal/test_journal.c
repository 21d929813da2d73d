/* fq-terminal's pure pieces: the journal file (append, reopen, a partial
 * last line, the lock, the list of open assignments), item lines and JSON,
 * times and durations, typed commands, and the sync loop's handling of
 * answers (no sockets: results are made by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "command.h"
#include "fqi18n.h"
#include "journal.h"
#include "syncer.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 2026-11-28T06:00:00Z */
#define NOW_MS INT64_C(1795845600000)
/* The district's offset (China Standard Time). */
#define TZ8 (8 * 3600)

static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static fqj_item make_item(uint64_t seq, int kind, uint64_t incident)
{
    fqj_item it;
    memset(&it, 0, sizeof it);
    it.seq = seq;
    it.kind = kind;
    it.incident_id = incident;
    it.text = "";
    it.category = "dispute.neighbour";
    it.severity = 4;
    it.title = "邻里噪音纠纷";
    it.address = "";
    it.territory = "xihu-wensan-grid-3";
    it.category_name = "";
    it.territory_name = "";
    it.event_kind = "";
    it.note = "";
    it.actor_name = "";
    it.holder_unit = "";
    it.holder_unit_name = "";
    it.holder_worker = "";
    it.holder_worker_name = "";
    it.time_zone = "";
    it.suspend_reason = "";
    return it;
}

/* The language as a user's environment would choose it: "C.UTF-8"
 * (English) or "zh_CN.UTF-8" (Chinese; the catalog comes from the build
 * tree, with or without the locale installed). */
static void use_language(const char *lang)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", lang, 1);
    fq_i18n_init("fq-terminal");
}

/* Now is 14:00 in the district (+08:00). */
static const fqj_view VIEW = {NOW_MS, TZ8, 0};
static const fqj_view VIEW_IDS = {NOW_MS, TZ8, 1};

/* ---- the journal file ---- */

typedef struct tmpdir {
    char dir[64];
    char path[128];
} tmpdir;

static void make_tmp(tmpdir *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/fqj-test-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/node.journal", t->dir);
}

static void remove_tmp(tmpdir *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void append_raw(const char *path, const char *bytes)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
    close(fd);
}

static void test_journal_append_and_reopen(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 0);
    assert_int_equal(j.cut_bytes, 0);
    fqj_item items[3] = {make_item(1, 1, 431), make_item(2, 2, 431), make_item(3, 1, 432)};
    assert_int_equal(fqj_append(&j, items, 3, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 3);
    /* At least once: the same items again, and one older, add nothing. */
    off_t size = file_size(t.path);
    assert_int_equal(fqj_append(&j, items, 3, err, sizeof err), 0);
    assert_int_equal(file_size(t.path), size);
    /* A batch with old and new mixed keeps only the new, in order. */
    fqj_item mixed[3] = {make_item(2, 2, 431), make_item(4, 3, 431), make_item(4, 3, 431)};
    assert_int_equal(fqj_append(&j, mixed, 3, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 4);
    fqj_close(&j);

    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 4);
    assert_int_equal(j.cut_bytes, 0);
    fqj_close(&j);
    remove_tmp(&t);
}

static void test_journal_partial_last_line(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    fqj_item items[2] = {make_item(1, 1, 431), make_item(2, 1, 432)};
    assert_int_equal(fqj_append(&j, items, 2, err, sizeof err), 0);
    fqj_close(&j);
    off_t good = file_size(t.path);

    /* A crash in the middle of writing item 3. */
    append_raw(t.path, "{\"seq\":3,\"kind\":\"assign");
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 2);
    assert_int_equal(j.cut_bytes, strlen("{\"seq\":3,\"kind\":\"assign"));
    assert_int_equal(file_size(t.path), good);
    /* Item 3 comes again and lands on a clean line. */
    fqj_item again = make_item(3, 2, 431);
    assert_int_equal(fqj_append(&j, &again, 1, err, sizeof err), 0);
    fqj_close(&j);
    assert_int_equal(fqj_open(&j, t.path, 0, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 3);
    fqj_close(&j);

    /* A journal holding only a partial line is empty. */
    unlink(t.path);
    int fd = open(t.path, O_WRONLY | O_CREAT, 0600);
    assert_int_equal(write(fd, "{\"se", 4), 4);
    close(fd);
    assert_int_equal(fqj_open(&j, t.path, 0, err, sizeof err), 0);
    assert_int_equal(j.last_seq, 0);
    assert_int_equal(j.cut_bytes, 4);
    assert_int_equal(file_size(t.path), 0);
    fqj_close(&j);
    remove_tmp(&t);
}

static void test_journal_bad_last_line(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, 0, err, sizeof err), 0);
    fqj_close(&j);
    append_raw(t.path, "{\"seq\":1,\"kind\":\"assignment\",\"incident\":5}\nnot json\n");
    assert_int_equal(fqj_open(&j, t.path, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a journal line"));
    remove_tmp(&t);
}

static void test_journal_lock(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj a, b;
    assert_int_equal(fqj_open(&a, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_int_equal(fqj_open(&b, t.path, FQJ_LOCK, err, sizeof err), -1);
    assert_non_null(strstr(err, "in use"));
    fqj_close(&a);
    assert_int_equal(fqj_open(&b, t.path, FQJ_LOCK, err, sizeof err), 0);
    fqj_close(&b);
    remove_tmp(&t);
}

typedef struct seen {
    uint64_t incidents[16];
    uint64_t seqs[16];
    int n;
    int bad;
} seen;

static int collect(void *user, const fqj_item *item, const char *line)
{
    seen *s = user;
    (void)line;
    if (item == NULL) {
        s->bad++;
        return 0;
    }
    s->incidents[s->n] = item->incident_id;
    s->seqs[s->n] = item->seq;
    s->n++;
    return 0;
}

static void test_journal_open_assignments(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    fqj_item items[] = {
        make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 10),
        make_item(2, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 11),
        make_item(3, FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, 10),
        make_item(4, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 11),
        make_item(5, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 12),
        make_item(6, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 10), /* back again */
        make_item(7, FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, 12),
        make_item(8, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING, 11),
    };
    assert_int_equal(fqj_append(&j, items, sizeof items / sizeof items[0], err, sizeof err), 0);
    fqj_close(&j);
    /* A partial line at the end is not read. */
    append_raw(t.path, "{\"seq\":9,\"kind\":\"cancellation\",\"incident\":11");

    seen all = {0};
    assert_int_equal(fqj_read(t.path, collect, &all, err, sizeof err), 0);
    assert_int_equal(all.n, 8);
    assert_int_equal(all.bad, 0);

    seen open = {0};
    assert_int_equal(fqj_open_assignments(t.path, collect, &open, err, sizeof err), 0);
    assert_int_equal(open.n, 2);
    assert_int_equal(open.incidents[0], 11);
    assert_int_equal(open.seqs[0], 2);
    assert_int_equal(open.incidents[1], 10);
    assert_int_equal(open.seqs[1], 6);

    /* A missing journal has nothing. */
    seen none = {0};
    assert_int_equal(fqj_read("/tmp/fqj-test-does-not-exist", collect, &none, err, sizeof err), 0);
    assert_int_equal(none.n, 0);
    remove_tmp(&t);
}

/* What the list shows of each assignment (the item's strings live only
 * during the call). */
typedef struct listed {
    int64_t suspended_at_ms[8], conclude_due_ms[8];
    char reason[8][64];
    char text[8][512];
    int n;
} listed;

static int keep_listed(void *user, const fqj_item *item, const char *line)
{
    (void)line;
    listed *l = user;
    l->suspended_at_ms[l->n] = item->suspended_at_ms;
    l->conclude_due_ms[l->n] = item->conclude_due_ms;
    snprintf(l->reason[l->n], sizeof l->reason[0], "%s", item->suspend_reason);
    fqj_format_item(item, &VIEW, l->text[l->n], sizeof l->text[0]);
    l->n++;
    return 0;
}

/* A suspension marks the assignment in the list (with its reason) until it
 * is lifted; the limits a resumption moves replace the assignment's. The
 * district's zone noted with the items is what a later start reads. */
static void test_journal_suspension_and_zone(void **state)
{
    (void)state;
    use_language("C.UTF-8");
    tmpdir t;
    make_tmp(&t);
    char err[256], zone[8];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_string_equal(j.time_zone, "");
    fqj_item a = make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 10);
    a.event_kind = "assigned";
    a.acknowledge_due_ms = NOW_MS + 600000;
    a.conclude_due_ms = NOW_MS + 86400000;
    a.time_zone = "+08:00";
    fqj_item s1 = make_item(2, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 10);
    s1.event_kind = "suspended";
    s1.note = "等待法院裁定";
    s1.suspended_at_ms = NOW_MS - 600000;
    s1.time_zone = "+08:00";
    fqj_item items[] = {a, s1};
    assert_int_equal(fqj_append(&j, items, 2, err, sizeof err), 0);
    fqj_close(&j);

    listed l = {0};
    assert_int_equal(fqj_open_assignments(t.path, keep_listed, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.suspended_at_ms[0], NOW_MS - 600000);
    assert_string_equal(l.reason[0], "等待法院裁定");
    assert_string_equal(l.text[0],
                        "assigned · incident 10 · dispute.neighbour ordinary (IV) · 邻里噪音纠纷 · "
                        "xihu-wensan-grid-3 · suspended since 13:50: 等待法院裁定");

    /* Lifted, the limit moved by the time it stood still; the zone changed. */
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    assert_string_equal(j.time_zone, "+08:00");
    fqj_item r1 = make_item(3, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 10);
    r1.event_kind = "resumed";
    r1.conclude_due_ms = NOW_MS + 86400000 + 600000;
    r1.time_zone = "+09:00";
    fqj_item plain = make_item(4, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 10); /* no zone sent */
    plain.event_kind = "acknowledged"; /* on the worker's other terminal */
    fqj_item more[] = {r1, plain};
    assert_int_equal(fqj_append(&j, more, 2, err, sizeof err), 0);
    fqj_close(&j);
    listed l2 = {0};
    assert_int_equal(fqj_open_assignments(t.path, keep_listed, &l2, err, sizeof err), 0);
    assert_int_equal(l2.n, 1);
    assert_int_equal(l2.suspended_at_ms[0], 0);
    assert_int_equal(l2.conclude_due_ms[0], NOW_MS + 86400000 + 600000);
    assert_null(strstr(l2.text[0], "acknowledge by"));
    assert_non_null(strstr(l2.text[0], "conclude by 2026-11-29 14:10")); /* moved by 10 min */
    assert_null(strstr(l2.text[0], "suspended"));
    assert_string_equal(l2.reason[0], "");
    assert_int_equal(fqj_last_time_zone(t.path, zone, sizeof zone, err, sizeof err), 0);
    assert_string_equal(zone, "+09:00");
    assert_int_equal(fqj_last_time_zone("/tmp/fqj-test-none", zone, sizeof zone, err, sizeof err),
                     0);
    assert_string_equal(zone, "");
    remove_tmp(&t);
}

/* An incident concluded — from another terminal of the same worker, or by
 * an operator — or merged leaves the list: the view follows its state. A
 * "closed" line also reads back as its kind. */
static void test_journal_closed_leaves_list(void **state)
{
    (void)state;
    tmpdir t;
    make_tmp(&t);
    char err[256];
    fqj j;
    assert_int_equal(fqj_open(&j, t.path, FQJ_LOCK, err, sizeof err), 0);
    fqj_item items[] = {
        make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 20),
        make_item(2, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 21),
        make_item(3, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 20),
        make_item(4, FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED, 20),
    };
    assert_int_equal(fqj_append(&j, items, 4, err, sizeof err), 0);
    fqj_close(&j);
    seen all = {0};
    assert_int_equal(fqj_read(t.path, collect, &all, err, sizeof err), 0);
    assert_int_equal(all.n, 4);
    assert_int_equal(all.bad, 0);
    seen open = {0};
    assert_int_equal(fqj_open_assignments(t.path, collect, &open, err, sizeof err), 0);
    assert_int_equal(open.n, 1);
    assert_int_equal(open.incidents[0], 21);
    assert_string_equal(fqj_kind_name(FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED), "closed");
    assert_int_equal(fqj_kind_parse("closed"), FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED);
    remove_tmp(&t);
}

/* ---- items ---- */

static void test_item_json_roundtrip(void **state)
{
    (void)state;
    fqj_item it = make_item(12, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 431);
    it.text = "line one\nline \"two\"";
    it.address = "文三路 12 号";
    it.has_location = 1;
    it.lon = 120.1;
    it.lat = 30.2;
    it.acknowledge_due_ms = NOW_MS + 3600000;
    it.conclude_due_ms = NOW_MS + 86400000;
    it.at_ms = NOW_MS;
    it.event_kind = "suspended";
    it.category_name = "邻里纠纷";
    it.territory_name = "文三社区第三网格";
    it.note = "等待法院裁定";
    it.actor_name = "王某";
    it.holder_unit = "lingyin.governance";
    it.holder_unit_name = "灵隐街道综治中心";
    it.holder_worker = "lingyin-v1-g1-w1";
    it.holder_worker_name = "李四";
    it.supervision_due_ms = NOW_MS + 7200000;
    it.suspended_at_ms = NOW_MS - 1000;
    it.working_time = 1;
    it.time_zone = "+08:00";
    char *line = fqj_item_to_line(&it);
    assert_non_null(line);
    /* One line, newline-terminated; short numbers; UTF-8 kept. */
    assert_int_equal(strchr(line, '\n'), line + strlen(line) - 1);
    assert_non_null(strstr(line, "\"seq\":12,\"kind\":\"assignment\",\"incident\":431"));
    assert_non_null(strstr(line, "\"lon\":120.1,\"lat\":30.2"));
    assert_non_null(strstr(line, "\"severity\":\"IV\""));
    assert_non_null(strstr(line, "文三路"));

    json_object *o = json_tokener_parse(line);
    fqj_item back;
    assert_int_equal(fqj_item_from_json(o, &back), 0);
    assert_int_equal(back.seq, 12);
    assert_int_equal(back.kind, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT);
    assert_int_equal(back.incident_id, 431);
    assert_string_equal(back.text, it.text);
    assert_string_equal(back.title, it.title);
    assert_string_equal(back.address, it.address);
    assert_string_equal(back.territory, it.territory);
    assert_int_equal(back.severity, 4);
    assert_true(back.has_location && back.lon == 120.1 && back.lat == 30.2);
    assert_int_equal(back.acknowledge_due_ms, it.acknowledge_due_ms);
    assert_int_equal(back.conclude_due_ms, it.conclude_due_ms);
    assert_int_equal(back.at_ms, it.at_ms);
    assert_string_equal(back.event_kind, it.event_kind);
    assert_string_equal(back.category_name, it.category_name);
    assert_string_equal(back.territory_name, it.territory_name);
    assert_string_equal(back.note, it.note);
    assert_string_equal(back.actor_name, it.actor_name);
    assert_string_equal(back.holder_unit, it.holder_unit);
    assert_string_equal(back.holder_unit_name, it.holder_unit_name);
    assert_string_equal(back.holder_worker, it.holder_worker);
    assert_string_equal(back.holder_worker_name, it.holder_worker_name);
    assert_int_equal(back.supervision_due_ms, it.supervision_due_ms);
    assert_int_equal(back.suspended_at_ms, it.suspended_at_ms);
    assert_true(back.working_time);
    assert_string_equal(back.time_zone, "+08:00");
    json_object_put(o);
    free(line);

    /* Empty fields are left out; no seq is no journal line. */
    fqj_item bare = make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 5);
    bare.category = bare.title = bare.territory = "";
    bare.severity = 0;
    line = fqj_item_to_line(&bare);
    assert_string_equal(line, "{\"seq\":1,\"kind\":\"update\",\"incident\":5}\n");
    free(line);
    o = json_tokener_parse("{\"kind\":\"update\"}");
    assert_int_equal(fqj_item_from_json(o, &back), -1);
    json_object_put(o);
    assert_int_equal(fqj_item_from_json(NULL, &back), -1);
}

static void test_item_from_outbox(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem o = FENGQIAO__V1__OUTBOX_ITEM__INIT;
    Fengqiao__V1__GeoPoint g = FENGQIAO__V1__GEO_POINT__INIT;
    o.seq = 7;
    o.kind = FENGQIAO__V1__ITEM_KIND__ITEM_WARNING;
    o.incident_id = 99;
    o.text = (char *)"acknowledge limit in 30 minutes";
    g.lon = 120.0;
    g.lat = 30.0;
    o.location = &g;
    o.conclude_due_ms = NOW_MS;
    fqj_item it;
    fqj_item_from_outbox(&o, &it);
    assert_int_equal(it.seq, 7);
    assert_int_equal(it.kind, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING);
    assert_string_equal(it.text, "acknowledge limit in 30 minutes");
    assert_string_equal(it.title, ""); /* protobuf-c's empty default */
    assert_true(it.has_location);
    assert_int_equal(it.conclude_due_ms, NOW_MS);
}

/* The change in typed fields (docs/terminals.md, "Structured items"): from
 * the protobuf item to the JSON line fq-report follow prints — the proto's
 * names, Tier and Line by lowercase name — and back. */
static void test_item_structured_fields(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem o = FENGQIAO__V1__OUTBOX_ITEM__INIT;
    char *co[] = {(char *)"lingyin.services"}, *co_names[] = {(char *)"灵隐便民服务"};
    o.seq = 19;
    o.kind = FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE;
    o.incident_id = 3;
    o.event_seq = 23;
    o.reason_code = (char *)"operator_choice";
    o.rule_set = 1;
    o.state = (char *)"assigned";
    o.assignment = (char *)"assigned";
    o.tier = FENGQIAO__V1__TIER__TIER_TOWN;
    o.line = FENGQIAO__V1__LINE__LINE_GOVERNANCE;
    o.n_co_units = o.n_co_unit_names = 1;
    o.co_units = co;
    o.co_unit_names = co_names;
    o.external_ref = (char *)"TF-B";
    o.reporter_node = (char *)"lingyin-platform";
    o.reporter_node_name = (char *)"灵隐街道";
    o.actor = (char *)"ops";
    o.reason = (char *)"街道联合处置";
    o.merged_into = 0;
    fqj_item it;
    fqj_item_from_outbox(&o, &it);
    char *line = fqj_item_to_line(&it);
    assert_non_null(line);
    assert_non_null(
        strstr(line, "\"event_seq\":23,\"reason_code\":\"operator_choice\",\"rule_set\":1,"
                     "\"state\":\"assigned\",\"assignment\":\"assigned\",\"tier\":\"town\","
                     "\"line\":\"governance\",\"co_units\":[\"lingyin.services\"],"
                     "\"co_unit_names\":[\"灵隐便民服务\"],\"external_ref\":\"TF-B\","
                     "\"reporter_node\":\"lingyin-platform\",\"reporter_node_name\":\"灵隐街道\","
                     "\"actor\":\"ops\",\"reason\":\"街道联合处置\"}"));
    assert_null(strstr(line, "\"rule\":"));       /* 0: left out */
    assert_null(strstr(line, "\"merged_into\"")); /* 0: left out */
    json_object *back = json_tokener_parse(line);
    fqj_item r;
    assert_int_equal(fqj_item_from_json(back, &r), 0);
    assert_int_equal(r.event_seq, 23);
    assert_string_equal(r.reason_code, "operator_choice");
    assert_int_equal(r.rule_set, 1);
    assert_string_equal(r.state, "assigned");
    assert_int_equal(r.tier, FENGQIAO__V1__TIER__TIER_TOWN);
    assert_int_equal(r.line, FENGQIAO__V1__LINE__LINE_GOVERNANCE);
    assert_string_equal(r.external_ref, "TF-B");
    assert_string_equal(r.reporter_node_name, "灵隐街道");
    assert_string_equal(r.actor, "ops");
    assert_int_equal(r.n_co_units, 0); /* not read back */
    json_object_put(back);
    free(line);
    /* An older server's item: none of them. */
    Fengqiao__V1__OutboxItem old = FENGQIAO__V1__OUTBOX_ITEM__INIT;
    old.seq = 1;
    fqj_item_from_outbox(&old, &it);
    line = fqj_item_to_line(&it);
    assert_null(strstr(line, "tier"));
    assert_null(strstr(line, "event_seq"));
    free(line);
}

/* The items of one incident as a worker sees them, built from the fields;
 * the server's sentence (`text`, with rule numbers) is never shown. */
typedef struct story {
    fqj_item assigned, old_server, moved, warned, progress, suspended, resumed, supervised, odd;
} story;

static story make_story(void)
{
    story t;
    t.assigned = make_item(12, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 431);
    t.assigned.event_kind = "assigned";
    t.assigned.text = "assigned by rule 12 of set 3";
    t.assigned.category_name = "邻里纠纷";
    t.assigned.territory_name = "文三社区第三网格";
    t.assigned.address = "文三路 12 号";
    t.assigned.acknowledge_due_ms = NOW_MS + 65 * 60000;              /* 15:05 today */
    t.assigned.conclude_due_ms = NOW_MS + 2 * 86400000 + 8 * 3600000; /* 11-30 22:00 */

    t.old_server = make_item(13, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 431);
    t.old_server.text = "assigned by rule 12 of set 3";
    t.old_server.acknowledge_due_ms = NOW_MS - 60000; /* missed: 13:59 */

    t.moved = make_item(14, FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, 431);
    t.moved.event_kind = "escalated";
    t.moved.text = "escalated by rule 4 of set 3: ack limit passed";
    t.moved.holder_unit = "lingyin.governance";
    t.moved.holder_unit_name = "灵隐街道综治中心";

    t.warned = make_item(15, FENGQIAO__V1__ITEM_KIND__ITEM_WARNING, 431);
    t.warned.event_kind = "conclude_warning";
    t.warned.conclude_due_ms = NOW_MS + 30 * 60000;
    t.warned.working_time = 1;

    t.progress = make_item(16, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 431);
    t.progress.event_kind = "progress"; /* the server's word for a progress note */
    t.progress.actor_name = "张三";
    t.progress.note = "已联系双方";

    t.suspended = make_item(17, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 431);
    t.suspended.event_kind = "suspended";
    t.suspended.actor_name = "王某";
    t.suspended.note = "等待法院裁定";
    t.suspended.suspended_at_ms = NOW_MS - 10 * 60000;

    t.resumed = make_item(18, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 431);
    t.resumed.event_kind = "resumed";
    t.resumed.actor_name = "王某";
    t.resumed.conclude_due_ms = NOW_MS + 3 * 86400000 + 8 * 3600000; /* 12-01 22:00 */

    t.supervised = make_item(20, FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION, 431);
    t.supervised.event_kind = "supervision_ordered";
    t.supervised.actor_name = "区指挥中心值班台";
    t.supervised.note = "请今日内回复";
    t.supervised.supervision_due_ms = NOW_MS + 2 * 3600000; /* 16:00 */
    t.supervised.conclude_due_ms = NOW_MS + 86400000;       /* not what it is about */
    t.supervised.working_time = 1;

    t.odd = make_item(19, 42, 1);
    t.odd.title = "";
    return t;
}

static void expect_line(const fqj_item *item, const fqj_view *view, const char *want)
{
    char buf[1024];
    fqj_format_item(item, view, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_null(strstr(buf, "rule"));
    assert_null(strstr(buf, "set 3"));
}

static void test_format_item(void **state)
{
    (void)state;
    use_tz("America/New_York"); /* the machine's zone plays no part */
    use_language("C.UTF-8");
    story t = make_story();
    expect_line(&t.assigned, &VIEW,
                "assigned · incident 431 · 邻里纠纷 ordinary (IV) · 邻里噪音纠纷 · "
                "文三社区第三网格 (文三路 12 号) · acknowledge by 15:05, conclude by "
                "2026-11-30 22:00");
    /* Ids on request, beside the names. */
    expect_line(&t.assigned, &VIEW_IDS,
                "[#12] assigned · incident 431 · 邻里纠纷 (dispute.neighbour) ordinary (IV) · "
                "邻里噪音纠纷 · 文三社区第三网格 (xihu-wensan-grid-3) (文三路 12 号) · "
                "acknowledge by 15:05, conclude by 2026-11-30 22:00");
    /* A server that sends no names or event kind: the ids, the item's kind. */
    expect_line(&t.old_server, &VIEW,
                "new assignment · incident 431 · dispute.neighbour ordinary (IV) · 邻里噪音纠纷 · "
                "xihu-wensan-grid-3 · acknowledge by 13:59 (overdue)");
    expect_line(&t.moved, &VIEW,
                "escalated · incident 431 · 邻里噪音纠纷 · now with 灵隐街道综治中心");
    expect_line(&t.warned, &VIEW,
                "conclude limit near · incident 431 · 邻里噪音纠纷 · conclude by 14:30 "
                "(working time)");
    expect_line(&t.progress, &VIEW, "progress · incident 431 · 邻里噪音纠纷 — 张三: 已联系双方");
    expect_line(&t.suspended, &VIEW,
                "suspended · incident 431 · 邻里噪音纠纷 — reason: 等待法院裁定 (王某)");
    expect_line(&t.resumed, &VIEW,
                "suspension lifted · incident 431 · 邻里噪音纠纷 · conclude by 2026-12-01 22:00 — "
                "王某");
    expect_line(&t.supervised, &VIEW,
                "supervision ordered · incident 431 · 邻里噪音纠纷 · reply to the supervision by "
                "16:00 — 区指挥中心值班台: 请今日内回复");
    expect_line(&t.odd, &VIEW, "unspecified · incident 1");
    /* An assignment listed while suspended. */
    fqj_item held = t.assigned;
    held.suspended_at_ms = t.suspended.suspended_at_ms;
    held.suspend_reason = "等待法院裁定";
    held.acknowledge_due_ms = 0;
    expect_line(&held, &VIEW,
                "assigned · incident 431 · 邻里纠纷 ordinary (IV) · 邻里噪音纠纷 · "
                "文三社区第三网格 (文三路 12 号) · suspended since 13:50: 等待法院裁定");
    use_tz("UTC");
}

static void test_format_item_chinese(void **state)
{
    (void)state;
    use_language("zh_CN.UTF-8");
    assert_true(fq_i18n_chinese());
    story t = make_story();
    expect_line(&t.assigned, &VIEW,
                "派单 · 事件 431 · 邻里纠纷 一般（IV级） · 邻里噪音纠纷 · 文三社区第三网格（文三路 "
                "12 号） · 签收时限 15:05，办结时限 2026-11-30 22:00");
    expect_line(&t.old_server, &VIEW,
                "新派单 · 事件 431 · dispute.neighbour 一般（IV级） · 邻里噪音纠纷 · "
                "xihu-wensan-grid-3 · 签收时限 13:59（已超时）");
    expect_line(&t.moved, &VIEW, "升级 · 事件 431 · 邻里噪音纠纷 · 现由 灵隐街道综治中心 办理");
    expect_line(&t.warned, &VIEW,
                "办结时限将到 · 事件 431 · 邻里噪音纠纷 · 办结时限 14:30（按工作日计）");
    expect_line(&t.progress, &VIEW, "进展 · 事件 431 · 邻里噪音纠纷 — 张三：已联系双方");
    expect_line(&t.suspended, &VIEW,
                "已中止 · 事件 431 · 邻里噪音纠纷 — 原因：等待法院裁定（王某）");
    expect_line(&t.resumed, &VIEW,
                "中止解除 · 事件 431 · 邻里噪音纠纷 · 办结时限 2026-12-01 22:00 — 王某");
    expect_line(
        &t.supervised, &VIEW,
        "督办 · 事件 431 · 邻里噪音纠纷 · 督办回复时限 16:00 — 区指挥中心值班台：请今日内回复");
    fqj_item held = t.assigned;
    held.suspended_at_ms = t.suspended.suspended_at_ms;
    held.suspend_reason = "等待法院裁定";
    held.acknowledge_due_ms = 0;
    expect_line(&held, &VIEW,
                "派单 · 事件 431 · 邻里纠纷 一般（IV级） · 邻里噪音纠纷 · 文三社区第三网格（文三路 "
                "12 号） · 自 13:50 起中止：等待法院裁定");
    use_language("C.UTF-8");
}

static void test_format_item_controls_and_truncation(void **state)
{
    (void)state;
    use_language("C.UTF-8");
    char buf[512];
    fqj_item it = make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 2);
    it.title = "";
    /* ESC, newline, tab, DEL and the C1 control U+009B (CSI) become spaces. */
    it.note = "a\x1b[2Jb\nc\td\x7f"
              "e\xc2\x9b"
              "f é";
    fqj_format_item(&it, &VIEW, buf, sizeof buf);
    assert_string_equal(buf, "update · incident 2 — a [2Jb c d e f é");

    /* Cut to the buffer without splitting a character. */
    fqj_item cn = make_item(1, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 2);
    cn.title = "";
    cn.note = "纠纷纠纷纠纷纠纷纠纷";
    char small[32];
    fqj_format_item(&cn, &VIEW, small, sizeof small);
    /* "update · incident 2 — " is 25 bytes, then two 3-byte characters. */
    assert_string_equal(small, "update · incident 2 — 纠纷");
    char tiny[8];
    fqj_format_item(&cn, &VIEW, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

static void test_format_time(void **state)
{
    (void)state;
    use_tz("America/New_York"); /* the machine's zone plays no part */
    char buf[40];
    fqj_view utc = {NOW_MS, 0, 0};
    fqj_format_time(NOW_MS + 3600000, &utc, buf, sizeof buf);
    assert_string_equal(buf, "07:00");
    fqj_format_time(NOW_MS + 86400000, &utc, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-29 06:00");
    /* +08:00: 14:00 now; the district's midnight is 16:00Z. */
    fqj_format_time(NOW_MS + 9 * 3600000, &VIEW, buf, sizeof buf);
    assert_string_equal(buf, "23:00");
    fqj_format_time(NOW_MS + 10 * 3600000, &VIEW, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-29 00:00");
    fqj_format_time(NOW_MS - 14 * 3600000 - 60000, &VIEW, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-27 23:59");
    fqj_view west = {NOW_MS, -(3 * 3600 + 1800), 0}; /* -03:30: 02:30 now */
    fqj_format_time(NOW_MS - 3 * 3600000, &west, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-27 23:30");
    use_tz("UTC");
}

static void test_parse_durations(void **state)
{
    (void)state;
    char err[256];
    int64_t t;
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"+2h", 2 * 3600000}, {"2h", 2 * 3600000},        {"+3d", 3 * 86400000LL},
        {"+90m", 90 * 60000}, {"+1d12h", 36 * 3600000LL}, {"+1w", 7 * 86400000LL},
        {"+45s", 45000},      {" +2h ", 2 * 3600000},     {"+1h30m", 90 * 60000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(fqj_parse_when(good[i].text, NOW_MS, TZ8, &t, err, sizeof err), 0);
        assert_int_equal(t, NOW_MS + good[i].ms);
    }
    static const char *const bad[] = {"",     "+",   "2",       "+2x",  "+0h",      "h2",
                                      "+2h-", "-2h", "+99999w", "+2 h", "tomorrow", "+1.5h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 0;
        assert_int_equal(fqj_parse_when(bad[i], NOW_MS, TZ8, &t, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
}

static void test_parse_iso(void **state)
{
    (void)state;
    char err[256];
    int64_t t;
    use_tz("UTC");
    assert_int_equal(fqj_parse_when("2026-11-28T14:00", NOW_MS, 0, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS + 8 * 3600000);
    assert_int_equal(fqj_parse_when("2026-11-28 14:00:30", NOW_MS, 0, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS + 8 * 3600000 + 30000);
    assert_int_equal(fqj_parse_when("2026-11-28T14:00:30.250Z", NOW_MS, TZ8, &t, err, sizeof err),
                     0);
    assert_int_equal(t, NOW_MS + 8 * 3600000 + 30000);
    assert_int_equal(fqj_parse_when("2026-11-28T14:00+08:00", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    assert_int_equal(fqj_parse_when("2026-11-28T14:00+0800", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    assert_int_equal(fqj_parse_when("2026-11-28T14:00+08", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    assert_int_equal(fqj_parse_when("2026-11-28T01:30-04:30", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    /* Without a zone: the district's time, whatever the machine's. */
    use_tz("America/New_York");
    assert_int_equal(fqj_parse_when("2026-11-28T14:00", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    assert_int_equal(fqj_parse_when("2026-11-28T06:00", NOW_MS, 0, &t, err, sizeof err), 0);
    assert_int_equal(t, NOW_MS);
    use_tz("UTC");
    /* Leap day. */
    assert_int_equal(fqj_parse_when("2028-02-29T00:00Z", NOW_MS, TZ8, &t, err, sizeof err), 0);
    assert_int_equal(t, INT64_C(1835395200000));

    assert_int_equal(fqj_parse_when("2026-11-28", NOW_MS, TZ8, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "no time of day"));
    static const char *const bad[] = {
        "2026-02-29T10:00",       "2026-13-01T10:00",  "2026-00-10T10:00",
        "2026-11-31T10:00",       "2026-11-28T24:00",  "2026-11-28T10:60",
        "2026-11-28T10:00:61",    "2026-11-28T10",     "2026-11-28X10:00",
        "2026-11-28T10:00+25:00", "2026-11-28T10:00 ", "26-11-28T10:00",
        "2026-11-28T10:00Zjunk",  "1969-12-31T23:59Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rv = fqj_parse_when(bad[i], NOW_MS, TZ8, &t, err, sizeof err);
        if (strcmp(bad[i], "2026-11-28T10:00 ") == 0) {
            assert_int_equal(rv, 0); /* trailing blanks are trimmed */
            continue;
        }
        if (rv != -1)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

/* ---- typed commands ---- */

static void test_parse_commands(void **state)
{
    (void)state;
    use_tz("UTC");
    static fqt_action a;
    char err[256];
    assert_int_equal(fqt_parse_line("   ", NOW_MS, TZ8, &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, FQT_CMD_NONE);

    assert_int_equal(fqt_parse_line("ack 431", NOW_MS, TZ8, &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, FQT_CMD_ACK);
    assert_int_equal(a.incident_id, 431);
    Fengqiao__V1__AssignmentAction body;
    fqt_action_body(&a, &body);
    assert_int_equal(body.kind, FENGQIAO__V1__ACTION_KIND__ACTION_ACKNOWLEDGE);
    assert_int_equal(body.incident_id, 431);
    assert_string_equal(body.note, "");

    assert_int_equal(fqt_parse_line("return 431 wrong  not in our village --to lingyin.market",
                                    NOW_MS, TZ8, &a, err, sizeof err),
                     0);
    assert_int_equal(a.cmd, FQT_CMD_RETURN);
    assert_int_equal(a.reason, FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION);
    assert_string_equal(a.note, "not in our village");
    assert_string_equal(a.right_place, "lingyin.market");
    fqt_action_body(&a, &body);
    assert_int_equal(body.kind, FENGQIAO__V1__ACTION_KIND__ACTION_RETURN);
    assert_string_equal(body.right_place, "lingyin.market");

    assert_int_equal(fqt_parse_line("return 431 capacity \"needs the town's enforcement team\"",
                                    NOW_MS, TZ8, &a, err, sizeof err),
                     0);
    assert_int_equal(a.reason, FENGQIAO__V1__RETURN_REASON__RETURN_BEYOND_CAPACITY);
    assert_string_equal(a.note, "needs the town's enforcement team");
    assert_string_equal(a.right_place, "");

    assert_int_equal(
        fqt_parse_line("progress 7 talked to   both sides", NOW_MS, TZ8, &a, err, sizeof err), 0);
    assert_string_equal(a.note, "talked to   both sides");

    assert_int_equal(
        fqt_parse_line("extend 7 +2h waiting for the owner", NOW_MS, TZ8, &a, err, sizeof err), 0);
    /* A duration counts from the current conclude limit, which the server
     * knows: it goes as extend_by_ms, not as now + 2 h. */
    assert_int_equal(a.extend_by_ms, 2 * 3600000);
    assert_int_equal(a.extend_to_ms, 0);
    assert_string_equal(a.note, "waiting for the owner");
    fqt_action_body(&a, &body);
    assert_int_equal(body.kind, FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND);
    assert_int_equal(body.extend_by_ms, 2 * 3600000);
    assert_int_equal(body.extend_to_ms, 0);

    assert_int_equal(
        fqt_parse_line("extend 7 2026-11-30 17:00 parts ordered", NOW_MS, TZ8, &a, err, sizeof err),
        0);
    assert_int_equal(a.extend_to_ms, INT64_C(1796029200000)); /* 09:00Z: the district's 17:00 */
    assert_int_equal(a.extend_by_ms, 0);
    assert_string_equal(a.note, "parts ordered");
    assert_int_equal(fqt_parse_line("extend 7 2026-11-30T17:00 20 people affected", NOW_MS, TZ8, &a,
                                    err, sizeof err),
                     0);
    assert_string_equal(a.note, "20 people affected");

    assert_int_equal(
        fqt_parse_line("conclude 7 'settled; both signed'", NOW_MS, TZ8, &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, FQT_CMD_CONCLUDE);
    assert_string_equal(a.note, "settled; both signed");

    static const struct {
        fqt_cmd cmd;
        const char *line;
    } simple[] = {{FQT_CMD_LIST, "list"},
                  {FQT_CMD_HELP, "help"},
                  {FQT_CMD_QUIT, "quit"},
                  {FQT_CMD_QUIT, "exit"},
                  {FQT_CMD_RETRY, " retry "}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        assert_int_equal(fqt_parse_line(simple[i].line, NOW_MS, TZ8, &a, err, sizeof err), 0);
        assert_int_equal(a.cmd, simple[i].cmd);
    }

    static const char *const bad[] = {
        "ack",
        "ack x",
        "ack 0",
        "ack 431 now",
        "ack 99999999999999999999",
        "return 431",
        "return 431 because it is not ours",
        "return 431 wrong",
        "return 431 capacity too big --to lingyin",
        "return 431 wrong not ours --to",
        "return 431 wrong not ours --to Bad/Unit",
        "progress 431",
        "progress 431 \"\"",
        "extend 431 +2h",
        "extend 431 soon later",
        "extend 431 2020-01-01T00:00 too late",
        "conclude 431",
        "frobnicate 1",
        "list all",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fqt_parse_line(bad[i], NOW_MS, TZ8, &a, err, sizeof err) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        else
            assert_true(strlen(err) > 0);
}

/* ---- the sync loop's answers ---- */

typedef struct taken {
    uint64_t seqs[64];
    int n;
    int calls;
    int refuse;
} taken;

static int take(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n)
{
    taken *t = user;
    t->calls++;
    if (t->refuse)
        return -1;
    for (size_t i = 0; i < n; i++)
        t->seqs[t->n++] = items[i]->seq;
    return 0;
}

static fqc_result sync_result(Fengqiao__V1__OutboxItem **items, size_t n, uint64_t last_seq)
{
    fqc_result r;
    memset(&r, 0, sizeof r);
    r.outcome = FQC_ANSWERED;
    r.status = FENGQIAO__V1__STATUS__STATUS_OK;
    r.authenticated = 1;
    r.has_sync = 1;
    r.items = items;
    r.n_items = n;
    r.last_seq = last_seq;
    return r;
}

static void test_sync_answers(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem it[8];
    Fengqiao__V1__OutboxItem *p[8];
    for (int i = 0; i < 8; i++) {
        fengqiao__v1__outbox_item__init(&it[i]);
        p[i] = &it[i];
    }
    taken t = {0};
    fqt_sync s;
    fqt_sync_init(&s, NULL, "test", "tcp://x", "node", 3, 0, take, &t);
    s.in_flight = 1;
    /* 3 again (delivered twice), 5 before 4, 4 twice: taken as 4, 5. More waits (7). */
    uint64_t seqs[] = {3, 5, 4, 4};
    for (int i = 0; i < 4; i++)
        it[i].seq = seqs[i];
    fqc_result r = sync_result(p, 4, 7);
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.seqs[0], 4);
    assert_int_equal(t.seqs[1], 5);
    assert_int_equal(s.after_seq, 5);
    assert_false(s.caught_up); /* next sync at once, wait 0 */
    assert_false(s.in_flight);
    assert_false(s.done);

    /* Nothing new but caught up: a heartbeat. */
    it[0].seq = 5;
    r = sync_result(p, 1, 5);
    s.in_flight = 1;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_int_equal(t.n, 2);
    assert_true(s.caught_up);

    /* The district's zone: taken from the answer that names it, kept
     * through answers that name none or a malformed one. */
    assert_string_equal(s.time_zone, "");
    assert_int_equal(fqt_utc_offset(), 8 * 3600);
    r = sync_result(p, 0, 5);
    snprintf(r.time_zone, sizeof r.time_zone, "+05:30");
    s.in_flight = 1;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_string_equal(s.time_zone, "+05:30");
    assert_int_equal(fqt_utc_offset(), 5 * 3600 + 1800);
    r = sync_result(p, 0, 5);
    snprintf(r.time_zone, sizeof r.time_zone, "8h");
    s.in_flight = 1;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_string_equal(s.time_zone, "+05:30");
    fqt_set_utc_offset(8 * 3600);

    /* The caller cannot save them: after_seq stays, asked again later. */
    t.refuse = 1;
    it[0].seq = 6;
    r = sync_result(p, 1, 6);
    s.in_flight = 1;
    int64_t before = fqt_monotonic_ms();
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_int_equal(s.after_seq, 5);
    assert_true(s.next_at_ms >= before + 5000);
    t.refuse = 0;

    /* Superseded: no items taken, the next sync waits a little. */
    r = sync_result(p, 1, 0);
    r.superseded = 1;
    s.in_flight = 1;
    before = fqt_monotonic_ms();
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_int_equal(s.after_seq, 5);
    assert_int_equal(s.superseded_streak, 1);
    assert_true(s.next_at_ms >= before + 1000);
    assert_false(s.done);

    /* No answer: reopen the sockets after a backoff. */
    fqc_result none;
    memset(&none, 0, sizeof none);
    none.outcome = FQC_NO_ANSWER;
    s.in_flight = 1;
    before = fqt_monotonic_ms();
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &none);
    assert_true(s.reopen_due);
    assert_int_equal(s.failures, 1);
    assert_true(s.next_at_ms >= before + 1000);
    assert_false(s.done);

    /* An unsigned refusal after the node has synced is retried... */
    fqc_result refused;
    memset(&refused, 0, sizeof refused);
    refused.outcome = FQC_ANSWERED;
    refused.status = FENGQIAO__V1__STATUS__STATUS_UNAUTHENTICATED;
    s.in_flight = 1;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &refused);
    assert_false(s.done);
    /* ...a signed one stops it. */
    refused.status = FENGQIAO__V1__STATUS__STATUS_FORBIDDEN;
    refused.authenticated = 1;
    s.in_flight = 1;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &refused);
    assert_true(s.done);
    assert_int_equal(s.exit_code, 1);
}

static void test_sync_behind_and_once(void **state)
{
    (void)state;
    Fengqiao__V1__OutboxItem it = FENGQIAO__V1__OUTBOX_ITEM__INIT;
    Fengqiao__V1__OutboxItem *p[1] = {&it};
    taken t = {0};
    fqt_sync s;
    /* The server's outbox ends below what this terminal has seen. */
    fqt_sync_init(&s, NULL, "test", "tcp://x", "node", 16, 0, take, &t);
    fqc_result r = sync_result(p, 0, 3);
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_true(s.done);
    assert_int_equal(s.exit_code, 1);

    /* --once: done when caught up. */
    fqt_sync_init(&s, NULL, "test", "tcp://x", "node", 0, 1, take, &t);
    it.seq = 1;
    r = sync_result(p, 1, 2);
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_false(s.done);
    it.seq = 2;
    r = sync_result(p, 1, 2);
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &r);
    assert_true(s.done);
    assert_int_equal(s.exit_code, 0);
    assert_int_equal(s.after_seq, 2);

    /* --once without an answer: exit 3. */
    fqt_sync_init(&s, NULL, "test", "tcp://x", "node", 0, 1, take, &t);
    fqc_result none;
    memset(&none, 0, sizeof none);
    none.outcome = FQC_NO_ANSWER;
    fqt_sync_on_result(&s, FQT_SYNC_TAG, &none);
    assert_true(s.done);
    assert_int_equal(s.exit_code, 3);
}

int main(void)
{
    use_tz("UTC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_append_and_reopen),
        cmocka_unit_test(test_journal_partial_last_line),
        cmocka_unit_test(test_journal_bad_last_line),
        cmocka_unit_test(test_journal_lock),
        cmocka_unit_test(test_journal_open_assignments),
        cmocka_unit_test(test_journal_closed_leaves_list),
        cmocka_unit_test(test_journal_suspension_and_zone),
        cmocka_unit_test(test_item_json_roundtrip),
        cmocka_unit_test(test_item_from_outbox),
        cmocka_unit_test(test_item_structured_fields),
        cmocka_unit_test(test_format_item),
        cmocka_unit_test(test_format_item_chinese),
        cmocka_unit_test(test_format_item_controls_and_truncation),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_parse_durations),
        cmocka_unit_test(test_parse_iso),
        cmocka_unit_test(test_parse_commands),
        cmocka_unit_test(test_sync_answers),
        cmocka_unit_test(test_sync_behind_and_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
