/* test_api: the web API's glue (server/web/api.c) between a request of the
 * HTTP layer and the terminal endpoint, without a server: webreq.h is
 * implemented here by recording the answer, and the terminal endpoint by a
 * stand-in that checks the sealed envelope (sender, MAC, message id, the
 * query or command) and answers with a sealed reply the test scripts. The
 * real endpoint, PostgreSQL and HTTP are tests/integration/test_web_api.sh's.
 *
 * Checked: query parameters become the console query (and bad ones 400);
 * replies become the documented JSON; every console status its HTTP status
 * (503 with Retry-After); roles before anything is sent; a command's message
 * id derived from its request_id; CSV and statistics read page after page;
 * the live feed: an item to every stream of its box only, in order, and a
 * gap sends the stream to the database; a revoked node is 401. */
#include "api.h"
#include "fq_arena.h"
#include "fq_wire.h"
#include "pbjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- webreq.h, recorded ---- */

struct fq_web_req {
    const char *method, *path;
    const char *qnames[8], *qvalues[8];
    const char *hnames[4], *hvalues[4];
    const char *body;
    fq_web_session session;
    int status;
    char *answer;
    char content_type[64];
    char retry[16];
    char disposition[128];
    int streamed;
};

struct fq_web_stream {
    fq_web_stream_closed_fn closed;
    void *user;
    char buf[65536];
    size_t len;
    int open;
};

const char *fq_web_req_method(const fq_web_req *r)
{
    return r->method;
}
const char *fq_web_req_path(const fq_web_req *r)
{
    return r->path;
}
const char *fq_web_req_query(const fq_web_req *r, const char *name)
{
    for (int i = 0; i < 8 && r->qnames[i]; i++)
        if (strcmp(r->qnames[i], name) == 0)
            return r->qvalues[i];
    return NULL;
}
const char *fq_web_req_header(const fq_web_req *r, const char *name)
{
    for (int i = 0; i < 4 && r->hnames[i]; i++)
        if (strcasecmp(r->hnames[i], name) == 0)
            return r->hvalues[i];
    return NULL;
}
const uint8_t *fq_web_req_body(const fq_web_req *r, size_t *len)
{
    *len = r->body ? strlen(r->body) : 0;
    return (const uint8_t *)r->body;
}
const fq_web_session *fq_web_req_session(const fq_web_req *r)
{
    return &r->session;
}
const char *fq_web_req_remote(const fq_web_req *r)
{
    (void)r;
    return "127.0.0.1";
}
void fq_web_respond(fq_web_req *r, int status, const char *content_type, const char *body,
                    size_t len)
{
    assert_int_equal(r->status, 0); /* exactly once */
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
    r->answer = strndup(body, len);
}
void fq_web_respond_json(fq_web_req *r, int status, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    fq_web_respond(r, status, "application/json", text, strlen(text));
    json_object_put(doc);
}
void fq_web_respond_error(fq_web_req *r, int status, const char *code, const char *message,
                          unsigned retry_after_s)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "error", e);
    if (retry_after_s)
        snprintf(r->retry, sizeof r->retry, "%u", retry_after_s);
    fq_web_respond_json(r, status, doc);
}
/* As http.c answers an fq_err: through fqerr's one mapping. */
void fq_web_respond_err(fq_web_req *r, int err, const char *message)
{
    const char *code;
    int status = fq_err_http(err, &code);
    fq_web_respond_error(r, status, code, message, status == 503 ? 1 : 0);
}
void fq_web_add_header(fq_web_req *r, const char *name, const char *value)
{
    if (strcmp(name, "Content-Disposition") == 0)
        snprintf(r->disposition, sizeof r->disposition, "%s", value);
}
fq_web_stream *fq_web_stream_open(fq_web_req *r, fq_web_stream_closed_fn closed, void *user)
{
    fq_web_stream *s = calloc(1, sizeof *s);
    s->closed = closed;
    s->user = user;
    s->open = 1;
    r->streamed = 1;
    r->answer = (char *)s; /* the test reads the stream through the request */
    return s;
}
int fq_web_stream_send(fq_web_stream *s, const char *bytes, size_t len)
{
    assert_true(s->open);
    assert_true(s->len + len < sizeof s->buf);
    memcpy(s->buf + s->len, bytes, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}
void fq_web_stream_close(fq_web_stream *s)
{
    assert_true(s->open);
    s->open = 0;
    s->closed(s->user, s); /* the test keeps `s` to read it */
}

/* ---- the server's side, stood in for ---- */

static uint8_t node_key[32];
static fq_directory *directory;
static fq_snapshot snapshot;

fq_snapshot *fq_dispatch_current(fq_dispatch *d)
{
    (void)d;
    return &snapshot;
}

/* What the endpoint got, and what it answers next. */
static Fengqiao__V1__Envelope *last_envelope;
static uint64_t last_message_id;
static int requests;
static _Alignas(max_align_t) uint8_t arena_buf[1 << 20];
static fq_arena arena;
typedef struct scripted {
    Fengqiao__V1__Status status;
    uint32_t retry_ms;
    Fengqiao__V1__ConsoleResult *console;
    Fengqiao__V1__ActionResult *command;
} scripted;
static scripted script[4];
static int next_answer;

void fq_terminals_on_request(void *t, const uint8_t *frame, size_t len, fq_reply_token *token)
{
    (void)t;
    fq_opened_request opened;
    fq_arena_reset(&arena);
    assert_int_equal(fq_wire_open_request(frame, len, &arena, &opened), FQ_WIRE_OK);
    assert_int_equal(fq_wire_verify(node_key, opened.envelope_bytes, opened.envelope_len,
                                    opened.mac, opened.mac_len),
                     FQ_WIRE_OK);
    last_envelope = opened.envelope;
    last_message_id = opened.envelope->message_id;
    assert_string_equal(opened.envelope->sender, "p.wang.op");
    assert_true(last_message_id > 0 && last_message_id <= (uint64_t)INT64_MAX);
    requests++;
    scripted *s = &script[next_answer++ % 4];
    Fengqiao__V1__Reply reply;
    fengqiao__v1__reply__init(&reply);
    reply.status = s->status ? s->status : FENGQIAO__V1__STATUS__STATUS_OK;
    reply.message = reply.status == FENGQIAO__V1__STATUS__STATUS_OK ? "" : "scripted refusal";
    reply.message_id = last_message_id;
    reply.retry_after_ms = s->retry_ms;
    if (s->console) {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_CONSOLE;
        reply.console = s->console;
    } else if (s->command) {
        reply.result_case = FENGQIAO__V1__REPLY__RESULT_COMMAND;
        reply.command = s->command;
    }
    uint8_t *out;
    size_t out_len;
    assert_int_equal(fq_wire_seal_reply(node_key, &reply, &out, &out_len), FQ_WIRE_OK);
    fq_msgsock_reply(NULL, token, out, out_len);
    free(out);
}

static int store_reads;
fq_store *fq_terminals_store(fq_terminals *t)
{
    (void)t;
    return NULL;
}
fq_store *fq_terminals_read_store(fq_terminals *t)
{
    (void)t;
    return (fq_store *)&store_reads;
}
void fq_store_submit(fq_store *store, fq_store_op *op)
{
    (void)store;
    store_reads++;
    op->done(op, FQ_EBUSY, "no database in this test");
}
int64_t fq_store_column_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* ---- helpers ---- */

static uv_loop_t loop;
static fq_api *api;

static int setup(void **state)
{
    (void)state;
    fq_arena_init(&arena, arena_buf, sizeof arena_buf);
    memset(node_key, 7, sizeof node_key);
    char err[128];
    fq_org *org = fq_org_new();
    assert_int_equal(fq_org_add(org, "xihu", FQ_UNIT_DISTRICT, "", "西湖区", err, sizeof err), 0);
    assert_int_equal(fq_org_add(org, "lingyin", FQ_UNIT_TOWN, "xihu", "灵隐街道", err, sizeof err),
                     0);
    assert_int_equal(fq_org_finish(org, err, sizeof err), 0);
    directory = fq_directory_new(org);
    assert_int_equal(fq_directory_add_node(directory, "p.wang.op", FQ_ROLE_CONSOLE, "xihu",
                                           node_key, 0, err, sizeof err),
                     0);
    assert_int_equal(fq_directory_add_node(directory, "p.gone", FQ_ROLE_CONSOLE, "xihu", node_key,
                                           1, err, sizeof err),
                     0);
    snapshot.directory = directory;
    uv_loop_init(&loop);
    api = fq_api_new(&loop, NULL, NULL, NULL);
    assert_non_null(api);
    memset(script, 0, sizeof script);
    next_answer = 0;
    requests = 0;
    store_reads = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fq_api_free(api);
    uv_run(&loop, UV_RUN_NOWAIT); /* the keepalive timer's close */
    assert_int_equal(uv_loop_close(&loop), 0);
    fq_directory_free(directory);
    return 0;
}

static fq_web_req *req(const char *method, const char *path, fq_web_role role)
{
    fq_web_req *r = calloc(1, sizeof *r);
    r->method = method;
    r->path = path;
    snprintf(r->session.account, sizeof r->session.account, "wang.op");
    snprintf(r->session.node_id, sizeof r->session.node_id, "p.wang.op");
    snprintf(r->session.jurisdiction, sizeof r->session.jurisdiction, "xihu");
    r->session.role = role;
    return r;
}

static void query(fq_web_req *r, const char *name, const char *value)
{
    int i = 0;
    while (r->qnames[i])
        i++;
    r->qnames[i] = name;
    r->qvalues[i] = value;
}

static json_object *answer_json(fq_web_req *r)
{
    json_object *doc = json_tokener_parse(r->answer);
    assert_non_null(doc);
    return doc;
}

static const char *path_string(json_object *o, const char *a, const char *b)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, a, &v));
    if (b != NULL)
        assert_true(json_object_object_get_ex(v, b, &v));
    return json_object_get_string(v);
}

static void req_free(fq_web_req *r)
{
    free(r->answer);
    free(r);
}

/* ---- tests ---- */

static void test_board_query_and_json(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s;
    fengqiao__v1__incident_summary__init(&s);
    s.incident_id = 42;
    s.severity = FENGQIAO__V1__SEVERITY__SEVERITY_II;
    s.title = "积水";
    Fengqiao__V1__GeoPoint g;
    fengqiao__v1__geo_point__init(&g);
    g.lon = 120.1;
    g.lat = 30.2;
    s.location = &g;
    Fengqiao__V1__IncidentSummary *list[] = {&s};
    Fengqiao__V1__ConsoleResult res;
    fengqiao__v1__console_result__init(&res);
    res.incidents = list;
    res.n_incidents = 1;
    res.more = 1;
    res.cursor = "o1.5";
    script[0].console = &res;

    fq_web_req *r = req("GET", "/api/v1/board", FQ_WEB_VIEWER);
    query(r, "severity", "ii");
    query(r, "town", "lingyin");
    query(r, "line", "market");
    query(r, "overdue", "1");
    query(r, "limit", "50");
    fq_api_handle(api, r);
    assert_int_equal(r->status, 200);
    const Fengqiao__V1__ConsoleQuery *q = last_envelope->console_query;
    assert_int_equal(q->query_case, FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS);
    assert_int_equal(q->open_incidents->severity, FENGQIAO__V1__SEVERITY__SEVERITY_II);
    assert_string_equal(q->open_incidents->town, "lingyin");
    assert_int_equal(q->open_incidents->line, FENGQIAO__V1__LINE__LINE_MARKET);
    assert_true(q->open_incidents->overdue_only);
    assert_int_equal(q->open_incidents->limit, 50);
    json_object *doc = answer_json(r);
    json_object *inc = json_object_array_get_idx(json_object_object_get(doc, "incidents"), 0);
    assert_string_equal(path_string(inc, "severity", NULL), "ii");
    assert_string_equal(path_string(inc, "title", NULL), "积水");
    assert_string_equal(path_string(inc, "location", "lat"), "30.2");
    assert_string_equal(path_string(doc, "cursor", NULL), "o1.5");
    assert_true(json_object_get_boolean(json_object_object_get(doc, "more")));
    json_object_put(doc);
    req_free(r);

    /* A search instead. */
    script[1].console = &res;
    r = req("GET", "/api/v1/board", FQ_WEB_VIEWER);
    query(r, "q", "138001");
    fq_api_handle(api, r);
    assert_int_equal(r->status, 200);
    assert_int_equal(last_envelope->console_query->query_case,
                     FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH);
    assert_string_equal(last_envelope->console_query->search->text, "138001");
    req_free(r);

    /* Bad parameters never reach the endpoint. */
    int before = requests;
    static const char *const bad[][2] = {
        {"severity", "v"}, {"tier", "TOWN"}, {"limit", "0"}, {"limit", "2001"}, {"limit", "5x"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = req("GET", "/api/v1/board", FQ_WEB_VIEWER);
        query(r, bad[i][0], bad[i][1]);
        fq_api_handle(api, r);
        assert_int_equal(r->status, 400);
        assert_non_null(strstr(r->answer, bad[i][0]));
        req_free(r);
    }
    assert_int_equal(requests, before);
}

static void test_statuses(void **state)
{
    (void)state;
    static const struct {
        Fengqiao__V1__Status st;
        int http;
        const char *code;
    } map[] = {
        {FENGQIAO__V1__STATUS__STATUS_INVALID, 400, "invalid"},
        {FENGQIAO__V1__STATUS__STATUS_UNAUTHENTICATED, 401, "unauthenticated"},
        {FENGQIAO__V1__STATUS__STATUS_FORBIDDEN, 403, "forbidden"},
        {FENGQIAO__V1__STATUS__STATUS_WRONG_STATE, 409, "wrong_state"},
        {FENGQIAO__V1__STATUS__STATUS_CONFLICT, 409, "conflict"},
        {FENGQIAO__V1__STATUS__STATUS_BUSY, 503, "busy"},
        {FENGQIAO__V1__STATUS__STATUS_STALE, 503, "busy"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        memset(script, 0, sizeof script);
        script[next_answer % 4].status = map[i].st;
        script[next_answer % 4].retry_ms = 2500;
        fq_web_req *r = req("GET", "/api/v1/incidents/7", FQ_WEB_VIEWER);
        fq_api_handle(api, r);
        assert_int_equal(r->status, map[i].http);
        json_object *doc = answer_json(r);
        assert_string_equal(path_string(doc, "error", "code"), map[i].code);
        assert_string_equal(path_string(doc, "error", "message"), "scripted refusal");
        if (map[i].http == 503)
            assert_string_equal(r->retry, "3"); /* 2500 ms, rounded up */
        json_object_put(doc);
        assert_int_equal(last_envelope->console_query->incident, 7);
        req_free(r);
    }
    /* A revoked node: 401 before anything is sent. */
    int before = requests;
    fq_web_req *r = req("GET", "/api/v1/roster", FQ_WEB_VIEWER);
    snprintf(r->session.node_id, sizeof r->session.node_id, "p.gone");
    fq_api_handle(api, r);
    assert_int_equal(r->status, 401);
    req_free(r);
    r = req("GET", "/api/v1/nowhere", FQ_WEB_VIEWER);
    fq_api_handle(api, r);
    assert_int_equal(r->status, 404);
    req_free(r);
    r = req("GET", "/api/v1/incidents/0", FQ_WEB_VIEWER);
    fq_api_handle(api, r);
    assert_int_equal(r->status, 400);
    req_free(r);
    assert_int_equal(requests, before);
}

static uint64_t command(fq_web_role role, const char *body, int want)
{
    fq_web_req *r = req("POST", "/api/v1/incidents/42/commands", role);
    r->body = body;
    fq_api_handle(api, r);
    assert_int_equal(r->status, want);
    if (want == 200) {
        json_object *doc = answer_json(r);
        assert_string_equal(path_string(doc, "state", NULL), "assigned");
        assert_string_equal(path_string(doc, "event_seq", NULL), "99");
        json_object_put(doc);
    }
    req_free(r);
    return last_message_id;
}

static void test_commands(void **state)
{
    (void)state;
    Fengqiao__V1__ActionResult a;
    fengqiao__v1__action_result__init(&a);
    a.incident_id = 42;
    a.state = "assigned";
    a.event_seq = 99;
    for (int i = 0; i < 4; i++)
        script[i].command = &a;
    const char *assign =
        "{\"request_id\":\"r-1\",\"kind\":\"assign\",\"reason\":\"x\",\"target_worker\":\"w1\"}";
    uint64_t id1 = command(FQ_WEB_OPERATOR, assign, 200);
    const Fengqiao__V1__ConsoleCommand *c = last_envelope->console_command;
    assert_int_equal(c->incident_id, 42);
    assert_int_equal(c->kind, FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN);
    assert_string_equal(c->target_worker, "w1");
    assert_int_equal(command(FQ_WEB_OPERATOR, assign, 200), id1); /* the same message again */
    uint64_t id2 = command(FQ_WEB_OPERATOR,
                           "{\"request_id\":\"r-2\",\"kind\":\"escalate\",\"reason\":\"x\"}", 200);
    assert_true(id2 != id1);
    int before = requests;
    command(FQ_WEB_VIEWER, assign, 403);
    command(FQ_WEB_OPERATOR,
            "{\"request_id\":\"s\",\"kind\":\"supervise\",\"reason\":\"x\",\"deadline_ms\":5}",
            403);
    command(FQ_WEB_OPERATOR, "{\"request_id\":\"s\",\"kind\":\"assign\"}", 400);
    assert_int_equal(requests, before);
    command(FQ_WEB_SUPERVISOR,
            "{\"request_id\":\"s\",\"kind\":\"supervise\",\"reason\":\"x\",\"deadline_ms\":5}",
            200);
    assert_int_equal(last_envelope->console_command->deadline_ms, 5);
}

static void test_csv_and_stats_read_every_page(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s1, s2;
    fengqiao__v1__incident_summary__init(&s1);
    fengqiao__v1__incident_summary__init(&s2);
    s1.incident_id = 1;
    s1.title = "=cmd|' /C calc'!A0"; /* a formula: defused */
    s2.incident_id = 2;
    s2.title = "带\"引号\"";
    Fengqiao__V1__IncidentSummary *l1[] = {&s1}, *l2[] = {&s2};
    Fengqiao__V1__ConsoleResult p1, p2;
    fengqiao__v1__console_result__init(&p1);
    fengqiao__v1__console_result__init(&p2);
    p1.incidents = l1;
    p1.n_incidents = 1;
    p1.more = 1;
    p1.cursor = "page-2";
    p2.incidents = l2;
    p2.n_incidents = 1;
    script[0].console = &p1;
    script[1].console = &p2;
    fq_web_req *r = req("GET", "/api/v1/board", FQ_WEB_VIEWER);
    query(r, "format", "csv");
    fq_api_handle(api, r);
    assert_int_equal(r->status, 200);
    assert_int_equal(requests, 2);
    assert_string_equal(last_envelope->console_query->cursor, "page-2");
    assert_non_null(strstr(r->content_type, "text/csv"));
    assert_non_null(strstr(r->disposition, "board.csv"));
    assert_true(strncmp(r->answer, "\"incident_id\",\"severity\"", 24) == 0);
    assert_non_null(strstr(r->answer, "\r\n\"1\","));
    assert_non_null(strstr(r->answer, "\"'=cmd|' /C calc'!A0\""));
    assert_non_null(strstr(r->answer, "\"带\"\"引号\"\"\""));
    req_free(r);

    Fengqiao__V1__ConsoleResult st1, st2;
    fengqiao__v1__console_result__init(&st1);
    fengqiao__v1__console_result__init(&st2);
    char *columns[] = {"group", "received"};
    char *cells1[] = {"lingyin", "3"}, *cells2[] = {"beishan", "4"};
    Fengqiao__V1__StatsRow row1, row2;
    fengqiao__v1__stats_row__init(&row1);
    fengqiao__v1__stats_row__init(&row2);
    row1.cells = cells1;
    row1.n_cells = 2;
    row2.cells = cells2;
    row2.n_cells = 2;
    Fengqiao__V1__StatsRow *rows1[] = {&row1}, *rows2[] = {&row2};
    st1.stats_columns = st2.stats_columns = columns;
    st1.n_stats_columns = st2.n_stats_columns = 2;
    st1.stats_rows = rows1;
    st1.n_stats_rows = 1;
    st1.more = 1;
    st1.cursor = "s1.1";
    st2.stats_rows = rows2;
    st2.n_stats_rows = 1;
    script[2].console = &st1;
    script[3].console = &st2;
    r = req("GET", "/api/v1/stats", FQ_WEB_VIEWER);
    query(r, "from_ms", "1000");
    query(r, "to_ms", "2000");
    query(r, "by", "town");
    fq_api_handle(api, r);
    assert_int_equal(r->status, 200);
    assert_int_equal(last_envelope->console_query->stats->from_ms, 1000);
    assert_string_equal(last_envelope->console_query->stats->by, "town");
    json_object *doc = answer_json(r);
    assert_string_equal(
        json_object_to_json_string_ext(json_object_object_get(doc, "rows"), JSON_C_TO_STRING_PLAIN),
        "[[\"lingyin\",3],[\"beishan\",4]]");
    json_object_put(doc);
    req_free(r);
}

/* A packed OutboxItem body as the dispatcher leaves it (no seq, kind, ...). */
static size_t item_body(uint8_t *buf, const char *title)
{
    Fengqiao__V1__OutboxItem it;
    fengqiao__v1__outbox_item__init(&it);
    it.title = (char *)title;
    it.severity = FENGQIAO__V1__SEVERITY__SEVERITY_I;
    return fengqiao__v1__outbox_item__pack(&it, buf);
}

static void test_live_feed(void **state)
{
    (void)state;
    fq_web_req *a = req("GET", "/api/v1/events", FQ_WEB_VIEWER);
    fq_web_req *b = req("GET", "/api/v1/events", FQ_WEB_VIEWER);
    fq_web_req *town = req("GET", "/api/v1/events", FQ_WEB_VIEWER);
    snprintf(town->session.jurisdiction, sizeof town->session.jurisdiction, "lingyin");
    fq_api_handle(api, a);
    fq_api_handle(api, b);
    fq_api_handle(api, town);
    fq_web_stream *sa = (fq_web_stream *)a->answer, *sb = (fq_web_stream *)b->answer,
                  *st = (fq_web_stream *)town->answer;
    assert_true(a->streamed && sa->open && sb->open && st->open);
    uint8_t body[256];
    size_t n = item_body(body, "新的一级事件");
    fq_api_sink(api, "u:xihu", 5, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 42, 1000, 0, body, n, 1);
    fq_api_sink(api, "u:xihu", 6, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 43, 1001, 0, body, n, 1);
    fq_api_sink(api, "w:someone", 1, FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, 42, 1000, 0, body, n,
                1);
    const char *want5 =
        "id: 5\nevent: item\ndata: {\"seq\":5,\"kind\":\"update\",\"incident_id\":42,";
    assert_non_null(strstr(sa->buf, want5));
    assert_non_null(strstr(sb->buf, want5));
    assert_non_null(strstr(sa->buf, "\"severity\":\"i\""));
    assert_non_null(strstr(sa->buf, "\"title\":\"新的一级事件\""));
    assert_true(strstr(sa->buf, "id: 6\n") > strstr(sa->buf, "id: 5\n"));
    assert_null(strstr(st->buf, "id: "));
    /* A gap: the stream goes to the database for 7 (here the store is away,
     * so it is closed and the browser will reconnect). */
    fq_api_sink(api, "u:xihu", 8, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, 44, 1002, 0, body, n, 1);
    assert_int_equal(store_reads, 2);
    assert_false(sa->open);
    assert_false(sb->open);
    assert_true(st->open);
    assert_null(strstr(sa->buf, "id: 8"));
    /* Resuming: Last-Event-ID reads first. */
    fq_web_req *c = req("GET", "/api/v1/events", FQ_WEB_VIEWER);
    c->hnames[0] = "Last-Event-ID";
    c->hvalues[0] = "6";
    fq_api_handle(api, c);
    assert_int_equal(store_reads, 3);
    assert_false(((fq_web_stream *)c->answer)->open);
    fq_web_req *bad = req("GET", "/api/v1/events", FQ_WEB_VIEWER);
    bad->hnames[0] = "Last-Event-ID";
    bad->hvalues[0] = "x";
    fq_api_handle(api, bad);
    assert_int_equal(bad->status, 400);
    req_free(bad);
    /* A stop closes what is open. */
    fq_api_stop(api);
    assert_false(st->open);
    fq_web_req *all[] = {a, b, town, c};
    for (int i = 0; i < 4; i++) {
        free(all[i]->answer); /* the stream */
        free(all[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_board_query_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_and_stats_read_every_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_feed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
