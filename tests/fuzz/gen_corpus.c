/* Writes the seed corpora of the fuzz drivers:
 *   fq-fuzz-gen-corpus tests/fuzz/corpus
 * creates corpus/request, corpus/reply and corpus/org_ids. Valid frames are
 * sealed with the fixture's keys (fuzz_fixture.h), so they open and verify in
 * fuzz_request; the rest are the near misses the unit tests also use. */
#include "fuzz_fixture.h"
#include "pbraw.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *out_dir;
static int failed;

static void put(const char *sub, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        failed = 1;
        return;
    }
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        failed = 1;
    }
}

static void put_request(const char *name, const Fengqiao__V1__Envelope *env, int node)
{
    uint8_t key[FQ_KEY_BYTES], *frame;
    size_t len;
    fx_key(node, key);
    if (fq_wire_seal_request(key, env, &frame, &len) != FQ_WIRE_OK) {
        failed = 1;
        return;
    }
    put("request", name, frame, len);
    free(frame);
}

static void put_raw_request(const char *name, const pbraw *env, int node)
{
    static pbraw frame;
    uint8_t key[FQ_KEY_BYTES], mac[FQ_MAC_BYTES];
    fx_key(node, key);
    crypto_auth(mac, env->data, env->len, key);
    memset(&frame, 0, sizeof frame);
    pb_sub(&frame, 1, env);
    pb_bytes(&frame, 2, mac, sizeof mac);
    put("request", name, frame.data, frame.len);
}

static void put_reply(const char *name, const Fengqiao__V1__Reply *reply, int signed_)
{
    uint8_t key[FQ_KEY_BYTES], *frame;
    size_t len;
    fx_key(0, key);
    if (fq_wire_seal_reply(signed_ ? key : NULL, reply, &frame, &len) != FQ_WIRE_OK) {
        failed = 1;
        return;
    }
    put("reply", name, frame, len);
    free(frame);
}

static Fengqiao__V1__ReportIncident report;
static Fengqiao__V1__GeoPoint point;
static Fengqiao__V1__Envelope envelope;

static Fengqiao__V1__Envelope *base(const char *sender, const char *place)
{
    Fengqiao__V1__ReportIncident r = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    Fengqiao__V1__Envelope e = FENGQIAO__V1__ENVELOPE__INIT;
    r.category = "dispute.neighbour";
    r.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    r.risk = FENGQIAO__V1__RISK__RISK_LOW;
    r.channel = FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE;
    r.place_unit = (char *)place;
    r.title = "Noise dispute between neighbours";
    report = r;
    Fengqiao__V1__GeoPoint g = FENGQIAO__V1__GEO_POINT__INIT;
    point = g;
    e.schema_version = 1;
    e.sender = (char *)sender;
    e.message_id = 1;
    e.sent_at_ms = 1700000000000LL;
    e.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    e.report_incident = &report;
    envelope = e;
    return &envelope;
}

static void raw_report(pbraw *r, const char *title)
{
    memset(r, 0, sizeof *r);
    pb_str(r, 1, "dispute.neighbour");
    pb_uint(r, 2, 4);
    pb_uint(r, 3, 1);
    pb_uint(r, 4, 1);
    pb_str(r, 5, "lingyin");
    pb_str(r, 8, title);
}

static void raw_envelope(pbraw *e, const pbraw *r)
{
    memset(e, 0, sizeof *e);
    pb_uint(e, 1, 1);
    pb_str(e, 2, "lingyin-platform");
    pb_uint(e, 3, 7);
    pb_uint(e, 4, 1700000000000ULL);
    pb_sub(e, 10, r);
}

static void requests(void)
{
    static pbraw rep, env;
    static char big[8001];

    /* docs/protocol.md 3.2 exactly. */
    put_request("doc-vector", base("lingyin-platform", "lingyin"), 0);
    /* Every field set, CJK text. */
    Fengqiao__V1__Envelope *e = base("lingyin-platform", "lingyin-v1-g1");
    point.lon = 120.1019;
    point.lat = 30.2416;
    report.location = &point;
    report.address = "灵隐路 3 号";
    report.title = "邻里噪音纠纷";
    report.description = "Residents of building 3\nreport loud construction at night.";
    report.occurred_at_ms = 1699996400000LL;
    report.external_ref = "LY-2023-0001";
    report.reporter_name = "张三";
    report.reporter_phone = "+86 (571) 1234-5678";
    report.severity = FENGQIAO__V1__SEVERITY__SEVERITY_I;
    report.risk = FENGQIAO__V1__RISK__RISK_HIGH;
    report.channel = FENGQIAO__V1__CHANNEL__CHANNEL_WALK_IN;
    e->message_id = (uint64_t)INT64_MAX;
    put_request("full-report", e, 0);
    /* Grid node on its grid, and outside it. */
    put_request("grid-node", base("g1-node", "lingyin-v1-g1"), 1);
    put_request("grid-node-sibling", base("g1-node", "lingyin-v1-g2"), 1);
    /* A town platform outside its town; an unknown place; a console. */
    put_request("outside-town", base("lingyin-platform", "beishan"), 0);
    put_request("unknown-place", base("lingyin-platform", "nowhere"), 0);
    put_request("console", base("xihu-console", "lingyin"), 2);
    /* Signed with another node's key; unknown sender. */
    put_request("wrong-key", base("lingyin-platform", "lingyin"), 1);
    put_request("unknown-sender", base("nobody", "lingyin"), 0);
    /* Field failures. */
    e = base("lingyin-platform", "lingyin");
    report.severity = 0;
    put_request("severity-0", e, 0);
    e = base("lingyin-platform", "lingyin");
    point.lon = 0;
    point.lat = 0;
    report.location = &point;
    put_request("location-0-0", e, 0);
    e = base("lingyin-platform", "lingyin");
    memset(big, 'd', sizeof big - 1);
    report.description = big;
    put_request("description-4001", e, 0); /* 8000 characters */
    e = base("lingyin-platform", "lingyin");
    report.title = "bad\x01title";
    put_request("title-control", e, 0);
    e = base("lingyin-platform", "lingyin");
    report.title = "bad \xc3\x28 utf8";
    put_request("title-utf8", e, 0);
    /* No body; another schema version; message id 0. */
    e = base("lingyin-platform", "lingyin");
    e->body_case = FENGQIAO__V1__ENVELOPE__BODY__NOT_SET;
    e->report_incident = NULL;
    put_request("no-body", e, 0);
    e = base("lingyin-platform", "lingyin");
    e->schema_version = 2;
    e->message_id = 0;
    put_request("schema-2-id-0", e, 0);

    /* Hand-made encodings. */
    raw_report(&rep, "Noise");
    memset(&env, 0, sizeof env);
    pb_sub(&env, 10, &rep);
    pb_str(&env, 2, "lingyin-platform");
    pb_uint(&env, 1, 1);
    pb_uint(&env, 3, 3);
    pb_uint(&env, 99, 5);
    put_raw_request("reordered-unknown", &env, 0);
    memset(&rep, 0, sizeof rep);
    pb_str(&rep, 1, "dispute.neighbour");
    pb_uint(&rep, 2, 4);
    pb_uint(&rep, 3, 1);
    pb_uint(&rep, 4, 1);
    pb_str(&rep, 5, "lingyin");
    pb_bytes(&rep, 8, "Noise\0dispute", 13);
    raw_envelope(&env, &rep);
    put_raw_request("nul-title", &env, 0);
    raw_report(&rep, "Noise");
    pb_str(&rep, 8, "Again");
    raw_envelope(&env, &rep);
    put_raw_request("duplicate-title", &env, 0);
    /* A negative enum as a 5-byte varint: re-encodes 5 bytes longer. */
    memset(&rep, 0, sizeof rep);
    pb_str(&rep, 1, "dispute.neighbour");
    pb_tag(&rep, 2, 0);
    pb_raw(&rep, "\xff\xff\xff\xff\x0f", 5);
    pb_uint(&rep, 3, 1);
    pb_uint(&rep, 4, 1);
    pb_str(&rep, 5, "lingyin");
    pb_bytes(&rep, 8, "Noise\0abcd", 10);
    raw_envelope(&env, &rep);
    put_raw_request("negative-enum-nul", &env, 0);
    memset(&env, 0, sizeof env);
    pb_uint(&env, 1, 1);
    pb_tag(&env, 3, 0);
    pb_raw(&env, "\x81\x00", 2);
    put_raw_request("padded-varint", &env, 0);
    /* Garbage. */
    put("request", "empty", "", 0);
    put("request", "garbage", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    put("request", "inner-garbage", "\x0a\x03\xff\xff\xff", 5);
}

/* The terminal endpoint's bodies: a sync, actions, console queries and
 * commands — seeds for the fuzzer's validation of each. */
static void terminal_bodies(void)
{
    Fengqiao__V1__Envelope *e = base("xihu-console", "lingyin");
    Fengqiao__V1__TerminalSync sync = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    sync.after_seq = 41;
    sync.wait_ms = 25000;
    e->body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
    e->terminal_sync = &sync;
    put_request("sync", e, 2);

    Fengqiao__V1__AssignmentAction act = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
    act.incident_id = 431;
    act.kind = FENGQIAO__V1__ACTION_KIND__ACTION_RETURN;
    act.reason = FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION;
    act.note = "属于隔壁社区";
    act.right_place = "lingyin-v2";
    e = base("g1-node", "lingyin");
    e->body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
    e->assignment_action = &act;
    put_request("action-return", e, 1);
    act.kind = FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND;
    act.extend_to_ms = 1700000000000LL + 86400000LL;
    put_request("action-extend", e, 1);

    Fengqiao__V1__OpenIncidentsQuery open = FENGQIAO__V1__OPEN_INCIDENTS_QUERY__INIT;
    open.tier = FENGQIAO__V1__TIER__TIER_TOWN;
    open.town = "lingyin";
    open.overdue_only = 1;
    Fengqiao__V1__ConsoleQuery query = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
    query.open_incidents = &open;
    e = base("xihu-console", "lingyin");
    e->body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
    e->console_query = &query;
    put_request("console-open", e, 2);

    static char *co[] = {"xihu.market_regulation"};
    Fengqiao__V1__ConsoleCommand cmd = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    cmd.incident_id = 431;
    cmd.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN;
    cmd.reason = "涉及治安，联合处置";
    cmd.target_unit = "xihu.public_security";
    cmd.co_units = co;
    cmd.n_co_units = 1;
    e = base("xihu-console", "lingyin");
    e->body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND;
    e->console_command = &cmd;
    put_request("console-assign", e, 2);
    Fengqiao__V1__ConsoleCommand fu = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    fu.incident_id = 431;
    fu.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP;
    fu.reason = "回访满意";
    fu.satisfaction = 5;
    e->console_command = &fu;
    put_request("console-follow-up", e, 2);
}

static void replies(void)
{
    Fengqiao__V1__Reply r = FENGQIAO__V1__REPLY__INIT;
    Fengqiao__V1__IncidentAccepted inc = FENGQIAO__V1__INCIDENT_ACCEPTED__INIT;
    r.status = FENGQIAO__V1__STATUS__STATUS_OK;
    r.message_id = 1;
    r.server_time_ms = 1700000000123LL;
    inc.incident_id = 42;
    inc.duplicate = 1;
    inc.recorded_at_ms = 1700000000100LL;
    inc.event_seq = 7;
    r.result_case = FENGQIAO__V1__REPLY__RESULT_INCIDENT;
    r.incident = &inc;
    put_reply("ok-signed", &r, 1);
    put_reply("ok-unsigned", &r, 0);
    Fengqiao__V1__Reply b = FENGQIAO__V1__REPLY__INIT;
    b.status = FENGQIAO__V1__STATUS__STATUS_BUSY;
    b.message = "the store is unavailable; retry later";
    b.message_id = 1;
    b.retry_after_ms = 250;
    b.server_time_ms = 1700000000123LL;
    put_reply("busy-signed", &b, 1);
    b.status = FENGQIAO__V1__STATUS__STATUS_UNAUTHENTICATED;
    b.message = "unknown or revoked sender, or the MAC does not verify";
    b.retry_after_ms = 0;
    put_reply("unauthenticated-unsigned", &b, 0);
    /* A 31-byte MAC. */
    uint8_t *frame;
    size_t len;
    uint8_t key[FQ_KEY_BYTES];
    fx_key(0, key);
    if (fq_wire_seal_reply(key, &b, &frame, &len) == FQ_WIRE_OK) {
        frame[len - FQ_MAC_BYTES - 1] = FQ_MAC_BYTES - 1;
        put("reply", "short-mac", frame, len - 1);
        free(frame);
    }
    put("reply", "empty", "", 0);
}

static void org_ids(void)
{
    /* kind byte: '1' district, '2' town, '3' village, '4' grid (byte % 6). */
    static const char tree[] = "1xihu\n"
                               "2lingyin\txihu\n"
                               "3lingyin-v1\tlingyin\n"
                               "4lingyin-v1-g1\tlingyin-v1\n"
                               "4lingyin-v1-g2\tlingyin-v1\n"
                               "2beishan\txihu\n"
                               "1gongshu\n";
    put("org_ids", "tree", tree, sizeof tree - 1);
    static const char skip[] = "1xihu\n3village\txihu\n4grid\tvillage\n";
    put("org_ids", "tier-skip", skip, sizeof skip - 1);
    static const char bad[] = "1Xihu\n1-x\n1.x\n1a b\n2t\tBad\n0kind0\n5kind5\n1xihu\n1xihu\n";
    put("org_ids", "bad-ids", bad, sizeof bad - 1);
    static const char orphan[] = "2lingyin\n4grid\tnowhere\n1d\td\n";
    put("org_ids", "orphans", orphan, sizeof orphan - 1);
    char longest[200];
    snprintf(longest, sizeof longest, "1%064d\n1%065d\n", 0, 0);
    put("org_ids", "long-ids", longest, strlen(longest));
    static const char nul[] = "1xi\0hu\n2town\txihu\n";
    put("org_ids", "embedded-nul", nul, sizeof nul - 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    out_dir = argv[1];
    mkdir(out_dir, 0755);
    requests();
    terminal_bodies();
    replies();
    org_ids();
    return failed;
}
