/* api: the JSON API of the web console (api.h, docs/http-api.md).
 *
 * Every read and command becomes the Envelope fq-console would send, signed
 * with the key of the person's console node, and goes through
 * fq_terminals_on_request with a local reply token: the gate, jurisdiction,
 * idempotency and audit are the console endpoint's own. The sealed reply is
 * opened with the same key and turned into JSON (pbjson.c).
 *
 * The live feed: one fan-out list per outbox box ('u:<unit>'); a stream that
 * resumes first reads the box's items after its Last-Event-ID from the
 * outbox table, page by page, until it has reached the newest committed
 * item; committed items that arrive meanwhile are in the table already
 * (the sink runs after COMMIT), so the catch-up reads them too and nothing
 * is buffered: a stream holds its state (80 bytes; a catch-up read in the
 * store 2.2 KB more) and the HTTP layer's unsent bytes (at most
 * FQ_WEB_STREAM_BACKLOG). */
#include "api.h"

#include "fq_arena.h"
#include "fq_wire.h"
#include "nodecall.h"
#include "outbox.h"
#include "mediationreq.h"
#include "outbox_rows.h"
#include "pbjson.h"
#include "requestid.h"
#include "statements.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x
#define KEEPALIVE_MS 15000
#define CATCHUP_PAGE 200
#define CSV_MAX_ROWS 10000
#define ARENA_BYTES (1024 * 1024)
#define ITEM_MAX_BYTES 8192 /* a complete outbox item (mailbox.h's bound) */

typedef struct stream_state stream_state;

/* The browsers following one box. */
typedef struct feed {
    char box[80];
    stream_state *streams;
    UT_hash_handle hh;
} feed;

struct stream_state {
    fq_api *api;
    feed *feed;
    fq_web_stream *s;
    stream_state *prev, *next;
    uint64_t last_sent;        /* the newest seq the browser has; 0: none yet */
    uint64_t live_max;         /* the newest seq committed while catching up */
    int catching_up;           /* reading the outbox table */
    struct catchup_read *read; /* the read in the store, if any */
};

/* One page of a stream's catch-up, in the store: apart from the stream so
 * that a stream costs little while it is live (the op is 2 KB), and so that
 * a stream closed meanwhile can go at once (the read finds st NULL). */
typedef struct catchup_read {
    fq_store_op op;
    stream_state *st;
    fq_read_outbox_params params;
} catchup_read;

/* The topology document of one jurisdiction, as built by PostgreSQL. */
typedef struct topo_cache {
    char jurisdiction[72];
    char *json;
    size_t len;
    UT_hash_handle hh;
} topo_cache;

struct fq_api {
    uv_loop_t *loop;
    topo_cache *topologies;
    uint64_t topology_generation; /* bumped when the directory reloads */
    char *tile_url;
    fq_terminals *terminals;
    fq_dispatch *dispatch;
    fq_store *read_store;
    feed *feeds;
    struct fq_api_part_slot {
        fq_api_part_fn handle;
        void *user;
    } parts[FQ_API_PARTS];
    uv_timer_t *keepalive;
    int stopped;
    _Alignas(max_align_t) uint8_t arena_buf[ARENA_BYTES]; /* protobuf-c lays structs in it */
    fq_arena arena;
};

/* ---- console requests through the terminal endpoint ---- */

typedef enum what {
    W_BOARD,
    W_BOARD_CSV,
    W_INCIDENT,
    W_ROSTER,
    W_STATS,
    W_STATS_CSV,
    W_COMMAND,
} what;

typedef struct pending {
    fq_nodecall call; /* first: on_reply and pending_release cast back */
    fq_api *api;
    what what;
    /* A board read as CSV goes on page after page. */
    Fengqiao__V1__ConsoleQuery query;
    Fengqiao__V1__OpenIncidentsQuery open;
    Fengqiao__V1__SearchQuery search;
    Fengqiao__V1__StatsQuery stats;
    char town[80], assignment[40], cursor[512], text[4 * 64 + 1], by[16];
    char *csv;
    size_t csv_len, csv_cap, rows;
    json_object *stats_doc; /* the statistics' pages so far (fq_pbjson_stats_add) */
} pending;

void fq_api_respond_refusal(fq_web_req *r, const Fengqiao__V1__Reply *reply)
{
    const char *code;
    int status = fq_err_http(fq_err_of_status(reply->status), &code);
    /* What the command asked is so already (suspending a suspended
     * incident): a page can tell it from a refusal without the text. */
    if (reply->status == ST(WRONG_STATE) &&
        reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND && reply->command->already_done)
        code = "already_done";
    /* The evidence's own refusals (Reply.error_code): a photo that is no
     * image, too big, not the bytes the envelope names, or missing where
     * the category's rule asks for one. */
    fq_err coded = fq_err_of_code(reply->error_code);
    if (coded != FQ_OK)
        status = fq_err_http(coded, &code);
    unsigned retry = status == 503 ? (reply->retry_after_ms + 999) / 1000 : 0;
    fq_web_respond_error(r, status, code,
                         reply->message && reply->message[0] ? reply->message
                                                             : fq_status_name(reply->status),
                         status == 503 && retry == 0 ? 1 : retry);
}

static void pending_free(pending *p)
{
    free(p->csv);
    json_object_put(p->stats_doc);
    fq_nodecall_forget(&p->call);
    free(p);
}

static void pending_release(fq_nodecall *c)
{
    pending_free((pending *)c);
}

static void on_reply(fq_nodecall *c, const Fengqiao__V1__Reply *reply);

/* Seals and sends one console query or command as the person's node, with
 * the photos' bytes beside it (a mediation's agreement), if any. */
static void send_console_attached(pending *p, Fengqiao__V1__ConsoleQuery *q,
                                  Fengqiao__V1__ConsoleCommand *c, uint64_t message_id,
                                  const ProtobufCBinaryData *photos, size_t n_photos)
{
    Fengqiao__V1__Envelope env;
    fengqiao__v1__envelope__init(&env);
    env.message_id = message_id;
    if (q != NULL) {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
        env.console_query = q;
    } else {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND;
        env.console_command = c;
    }
    fq_nodecall_send(&p->call, &env, photos, n_photos);
}

static void send_console(pending *p, Fengqiao__V1__ConsoleQuery *q, Fengqiao__V1__ConsoleCommand *c,
                         uint64_t message_id)
{
    send_console_attached(p, q, c, message_id, NULL, 0);
}

static uint64_t random_message_id(void)
{
    uint64_t id;
    do {
        randombytes_buf(&id, sizeof id);
        id &= INT64_MAX;
    } while (id == 0);
    return id;
}

/* A new pending request as the session's node; NULL when answered (401). */
static pending *pending_new(fq_api *api, fq_web_req *r, what w)
{
    const fq_web_session *s = fq_web_req_session(r);
    fq_snapshot *snap = fq_dispatch_current(api->dispatch);
    const fq_node *node = snap ? fq_directory_find(snap->directory, s->node_id) : NULL;
    if (node == NULL || node->revoked) {
        fq_web_respond_err(r, FQ_EUNAUTHENTICATED,
                           "this account's console node is revoked; sign in again");
        return NULL;
    }
    pending *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return NULL;
    }
    p->api = api;
    p->what = w;
    p->call.r = r;
    snprintf(p->call.node, sizeof p->call.node, "%s", s->node_id);
    memcpy(p->call.key, node->key, sizeof p->call.key);
    p->call.arena = &api->arena;
    p->call.terminals = api->terminals;
    p->call.answer = on_reply;
    p->call.release = pending_release;
    return p;
}

/* ---- CSV ---- */

static int csv_put(pending *p, const char *s, size_t n)
{
    if (p->csv_len + n + 1 > p->csv_cap) {
        size_t cap = p->csv_cap ? p->csv_cap * 2 : 65536;
        while (cap < p->csv_len + n + 1)
            cap *= 2;
        char *b = realloc(p->csv, cap);
        if (b == NULL)
            return -1;
        p->csv = b;
        p->csv_cap = cap;
    }
    memcpy(p->csv + p->csv_len, s, n);
    p->csv_len += n;
    p->csv[p->csv_len] = '\0';
    return 0;
}

/* One quoted cell; a text that a spreadsheet would take for a formula gets
 * a leading apostrophe. */
static int csv_cell(pending *p, const char *s, int last)
{
    int rc = csv_put(p, "\"", 1);
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')
        rc |= csv_put(p, "'", 1);
    for (const char *q = s; *q; q++)
        rc |= *q == '"' ? csv_put(p, "\"\"", 2) : csv_put(p, q, 1);
    rc |= csv_put(p, last ? "\"\r\n" : "\",", last ? 3 : 2);
    return rc;
}

static const char *const BOARD_COLUMNS[] = {
    "incident_id",
    "severity",
    "risk",
    "state",
    "assignment",
    "tier",
    "line",
    "town",
    "territory",
    "lead_unit",
    "worker",
    "category",
    "title",
    "address",
    "recorded_at_ms",
    "acknowledge_due_ms",
    "conclude_due_ms",
    "overdue",
    "supervision_due_ms",
    "escalations",
    "suspended_at_ms",
    "suspend_reason",
};

static int csv_board_rows(pending *p, Fengqiao__V1__ConsoleResult *res)
{
    int rc = 0;
    if (p->rows == 0 && p->csv_len == 0)
        for (size_t i = 0; i < sizeof BOARD_COLUMNS / sizeof *BOARD_COLUMNS; i++)
            rc |= csv_cell(p, BOARD_COLUMNS[i],
                           i + 1 == sizeof BOARD_COLUMNS / sizeof *BOARD_COLUMNS);
    for (size_t i = 0; i < res->n_incidents && p->rows < CSV_MAX_ROWS; i++, p->rows++) {
        json_object *o = fq_pbjson_message(&res->incidents[i]->base);
        if (o == NULL)
            return -1;
        for (size_t k = 0; k < sizeof BOARD_COLUMNS / sizeof *BOARD_COLUMNS; k++) {
            json_object *v = NULL;
            json_object_object_get_ex(o, BOARD_COLUMNS[k], &v);
            const char *text = v == NULL ? ""
                               : json_object_is_type(v, json_type_boolean)
                                   ? (json_object_get_boolean(v) ? "1" : "0")
                                   : json_object_get_string(v);
            rc |= csv_cell(p, text, k + 1 == sizeof BOARD_COLUMNS / sizeof *BOARD_COLUMNS);
        }
        json_object_put(o);
    }
    return rc;
}

/* ---- replies ---- */

/* The statistics' page as CSV lines, the header before the first page's
 * rows: the same cells as the board's CSV (csv_cell). */
static int stats_csv_rows(pending *p, const Fengqiao__V1__ConsoleResult *res)
{
    int rc = 0;
    if (p->csv_len == 0)
        for (size_t c = 0; c < res->n_stats_columns; c++)
            rc |= csv_cell(p, res->stats_columns[c], c + 1 == res->n_stats_columns);
    for (size_t r = 0; r < res->n_stats_rows; r++)
        for (size_t c = 0; c < res->stats_rows[r]->n_cells; c++)
            rc |= csv_cell(p, res->stats_rows[r]->cells[c], c + 1 == res->stats_rows[r]->n_cells);
    return rc;
}

static void answer_board_csv(pending *p, Fengqiao__V1__ConsoleResult *res)
{
    if (csv_board_rows(p, res) != 0) {
        fq_web_respond_err(p->call.r, FQ_EBUSY, "out of memory");
        pending_free(p);
        return;
    }
    if (res->more && p->rows < CSV_MAX_ROWS && res->cursor &&
        strlen(res->cursor) < sizeof p->cursor) {
        snprintf(p->cursor, sizeof p->cursor, "%s", res->cursor);
        p->query.cursor = p->cursor;
        send_console(p, &p->query, NULL, random_message_id());
        return;
    }
    fq_web_add_header(p->call.r, "Content-Disposition", "attachment; filename=\"board.csv\"");
    fq_web_respond(p->call.r, 200, "text/csv; charset=utf-8", p->csv ? p->csv : "", p->csv_len);
    pending_free(p);
}

static void on_reply(fq_nodecall *c, const Fengqiao__V1__Reply *reply)
{
    pending *p = (pending *)c;
    if (reply->status != ST(OK)) {
        fq_api_respond_refusal(p->call.r, reply);
        pending_free(p);
        return;
    }
    if (p->what == W_COMMAND) {
        json_object *o = reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND
                             ? fq_pbjson_message(&reply->command->base)
                             : json_object_new_object();
        fq_web_respond_json(p->call.r, 200, o);
        pending_free(p);
        return;
    }
    if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_CONSOLE) {
        fq_web_respond_err(p->call.r, FQ_EBUSY, "the server answered another kind (a bug)");
        pending_free(p);
        return;
    }
    Fengqiao__V1__ConsoleResult *res = reply->console;
    json_object *doc = NULL;
    switch (p->what) {
    case W_BOARD_CSV:
        answer_board_csv(p, res);
        return;
    case W_STATS_CSV:
    case W_STATS: {
        /* Every page's rows; the columns of the first page (every page
         * names the same). */
        if (p->what == W_STATS)
            p->stats_doc = fq_pbjson_stats_add(p->stats_doc, res);
        else if (stats_csv_rows(p, res) != 0) {
            fq_web_respond_err(p->call.r, FQ_EBUSY, "out of memory");
            pending_free(p);
            return;
        }
        if (res->more && res->cursor && strlen(res->cursor) < sizeof p->cursor) {
            snprintf(p->cursor, sizeof p->cursor, "%s", res->cursor);
            p->query.cursor = p->cursor;
            send_console(p, &p->query, NULL, random_message_id());
            return;
        }
        if (p->what == W_STATS_CSV) {
            fq_web_add_header(p->call.r, "Content-Disposition",
                              "attachment; filename=\"statistics.csv\"");
            fq_web_respond(p->call.r, 200, "text/csv; charset=utf-8", p->csv ? p->csv : "",
                           p->csv_len);
            pending_free(p);
            return;
        }
        doc = p->stats_doc;
        p->stats_doc = NULL;
        json_object_object_add(
            doc, "routing_status",
            json_object_new_string(res->routing_status ? res->routing_status : ""));
        json_object_object_add(doc, "time_zone",
                               json_object_new_string(res->time_zone ? res->time_zone : ""));
        break;
    }
    case W_INCIDENT: {
        json_object *all = fq_pbjson_message(&res->base);
        doc = json_object_new_object();
        json_object *list = NULL;
        if (json_object_object_get_ex(all, "incidents", &list) &&
            json_object_array_length(list) > 0)
            json_object_object_add(doc, "incident",
                                   json_object_get(json_object_array_get_idx(list, 0)));
        static const char *const keep[] = {"description", "timeline",       "more",
                                           "cursor",      "routing_status", "time_zone"};
        for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
            json_object *v = NULL;
            if (json_object_object_get_ex(all, keep[i], &v))
                json_object_object_add(doc, keep[i], json_object_get(v));
        }
        json_object_put(all);
        break;
    }
    default: { /* board, roster: the result's own fields */
        json_object *all = fq_pbjson_message(&res->base);
        doc = json_object_new_object();
        const char *list = p->what == W_ROSTER ? "roster" : "incidents";
        static const char *const keep[] = {"more", "cursor", "routing_status", "time_zone"};
        json_object *v = NULL;
        if (json_object_object_get_ex(all, list, &v))
            json_object_object_add(doc, list, json_object_get(v));
        for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
            if (json_object_object_get_ex(all, keep[i], &v))
                json_object_object_add(doc, keep[i], json_object_get(v));
        json_object_put(all);
        break;
    }
    }
    fq_web_respond_json(p->call.r, 200, doc);
    pending_free(p);
}

/* ---- reads ---- */

static int param_enum(fq_web_req *r, const char *name, const ProtobufCEnumDescriptor *d, int *out)
{
    const char *v = fq_web_req_query(r, name);
    *out = 0;
    if (v == NULL || v[0] == '\0')
        return 0;
    int x = fq_pbjson_enum_value(d, v);
    if (x < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: no such value '%.40s'", name, v);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    *out = x;
    return 0;
}

static int param_text(fq_web_req *r, const char *name, char *out, size_t cap)
{
    const char *v = fq_web_req_query(r, name);
    out[0] = '\0';
    if (v == NULL)
        return 0;
    if (strlen(v) >= cap) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s is too long (at most %zu bytes)", name, cap - 1);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int param_int(fq_web_req *r, const char *name, long long min, long long max, long long *out)
{
    const char *v = fq_web_req_query(r, name);
    if (v == NULL || v[0] == '\0')
        return 0;
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (*end != '\0' || x < min || x > max) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s must be an integer from %lld to %lld", name, min, max);
        fq_web_respond_err(r, FQ_EINVALID, msg);
        return -1;
    }
    *out = x;
    return 0;
}

static int param_flag(fq_web_req *r, const char *name)
{
    const char *v = fq_web_req_query(r, name);
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static void handle_board(fq_api *api, fq_web_req *r)
{
    const char *format = fq_web_req_query(r, "format");
    int csv = format != NULL && strcmp(format, "csv") == 0;
    pending *p = pending_new(api, r, csv ? W_BOARD_CSV : W_BOARD);
    if (p == NULL)
        return;
    fengqiao__v1__console_query__init(&p->query);
    fengqiao__v1__open_incidents_query__init(&p->open);
    fengqiao__v1__search_query__init(&p->search);
    int tier = 0, line = 0, severity = 0;
    long long limit = csv ? 2000 : 200;
    if (param_enum(r, "tier", &fengqiao__v1__tier__descriptor, &tier) ||
        param_enum(r, "line", &fengqiao__v1__line__descriptor, &line) ||
        param_enum(r, "severity", &fengqiao__v1__severity__descriptor, &severity) ||
        param_text(r, "town", p->town, 65) || param_text(r, "assignment", p->assignment, 33) ||
        param_text(r, "cursor", p->cursor, sizeof p->cursor) ||
        param_text(r, "q", p->text, sizeof p->text) || param_int(r, "limit", 1, 2000, &limit)) {
        pending_free(p);
        return;
    }
    p->query.cursor = p->cursor;
    if (fq_web_req_query(r, "q") != NULL) {
        /* A search (the board's filters do not apply): newest first,
         * concluded incidents included. */
        p->search.text = p->text;
        p->search.limit = (uint32_t)limit;
        p->query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH;
        p->query.search = &p->search;
        send_console(p, &p->query, NULL, random_message_id());
        return;
    }
    p->open.tier = (Fengqiao__V1__Tier)tier;
    p->open.line = (Fengqiao__V1__Line)line;
    p->open.severity = (Fengqiao__V1__Severity)severity;
    p->open.town = p->town;
    p->open.assignment = p->assignment;
    p->open.overdue_only = param_flag(r, "overdue");
    p->open.supervised_only = param_flag(r, "supervised");
    p->open.limit = (uint32_t)limit;
    p->query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
    p->query.open_incidents = &p->open;
    send_console(p, &p->query, NULL, random_message_id());
}

int fq_api_parse_id(const char *s, uint64_t *out, const char **rest)
{
    char *end = NULL;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (x == 0 || x > (unsigned long long)INT64_MAX)
        return -1;
    *out = x;
    *rest = end;
    return 0;
}

static void handle_incident(fq_api *api, fq_web_req *r, uint64_t id)
{
    pending *p = pending_new(api, r, W_INCIDENT);
    if (p == NULL)
        return;
    fengqiao__v1__console_query__init(&p->query);
    if (param_text(r, "cursor", p->cursor, sizeof p->cursor)) {
        pending_free(p);
        return;
    }
    p->query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_INCIDENT;
    p->query.incident = id;
    p->query.cursor = p->cursor;
    send_console(p, &p->query, NULL, random_message_id());
}

static void handle_roster(fq_api *api, fq_web_req *r)
{
    pending *p = pending_new(api, r, W_ROSTER);
    if (p == NULL)
        return;
    fengqiao__v1__console_query__init(&p->query);
    if (param_text(r, "town", p->town, 65) ||
        param_text(r, "cursor", p->cursor, sizeof p->cursor)) {
        pending_free(p);
        return;
    }
    /* On the stack: the frame is sealed before send_console returns. */
    Fengqiao__V1__RosterQuery q;
    fengqiao__v1__roster_query__init(&q);
    q.town = p->town;
    p->query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_ROSTER;
    p->query.roster = &q;
    p->query.cursor = p->cursor;
    send_console(p, &p->query, NULL, random_message_id());
}

static void handle_stats(fq_api *api, fq_web_req *r)
{
    const char *format = fq_web_req_query(r, "format");
    int csv = format != NULL && strcmp(format, "csv") == 0;
    long long from = 0, to = 0;
    char by[16];
    if (param_int(r, "from_ms", 0, INT64_MAX / 2, &from) ||
        param_int(r, "to_ms", 0, INT64_MAX / 2, &to) || param_text(r, "by", by, sizeof by))
        return;
    pending *p = pending_new(api, r, csv ? W_STATS_CSV : W_STATS);
    if (p == NULL)
        return;
    /* Kept in the pending: the next pages ask the same. */
    fengqiao__v1__stats_query__init(&p->stats);
    memcpy(p->by, by, sizeof p->by);
    p->stats.from_ms = from;
    p->stats.to_ms = to;
    p->stats.by = p->by;
    fengqiao__v1__console_query__init(&p->query);
    p->query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_STATS;
    p->query.stats = &p->stats;
    p->query.cursor = p->cursor;
    send_console(p, &p->query, NULL, random_message_id());
}

/* ---- commands ---- */

static void handle_command(fq_api *api, fq_web_req *r, uint64_t id)
{
    const fq_web_session *s = fq_web_req_session(r);
    if (s->role == FQ_WEB_VIEWER || s->role == FQ_WEB_RECEPTIONIST) {
        fq_web_respond_error(r, 403, "role",
                             s->role == FQ_WEB_VIEWER
                                 ? "a viewer cannot give commands"
                                 : "a receptionist registers cases; dispatch is the operators'",
                             0);
        return;
    }
    size_t len = 0;
    const uint8_t *body = fq_web_req_body(r, &len);
    /* A command, with a mediation's part when it is a mediation step. */
    fq_mediation_cmd *med = malloc(sizeof *med);
    if (med == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    fq_webcmd *cmd = &med->cmd;
    char err[200];
    int rc = fq_mediationreq_decode((const char *)(body ? body : (const uint8_t *)""), len, med,
                                    err, sizeof err);
    if (rc != FQ_OK) {
        const char *code;
        int http = fq_err_http(rc, &code);
        fq_web_respond_error(r, http, code, err, 0);
        free(med);
        return;
    }
    if (cmd->command.kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE &&
        s->role != FQ_WEB_SUPERVISOR) {
        fq_web_respond_error(r, 403, "role", "only a supervisor gives supervision orders", 0);
        free(cmd);
        return;
    }
    /* Suspending takes a case out of the overdue counts: a supervisor's
     * decision, like a supervision order. Resuming hides nothing. */
    if (cmd->command.kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND &&
        s->role != FQ_WEB_SUPERVISOR) {
        fq_web_respond_error(r, 403, "role", "only a supervisor suspends an incident", 0);
        free(cmd);
        return;
    }
    cmd->command.incident_id = id;
    pending *p = pending_new(api, r, W_COMMAND);
    if (p != NULL) {
        ProtobufCBinaryData bytes[FQ_FIELD_MAX_PHOTOS];
        for (size_t i = 0; i < med->photos.n; i++) {
            bytes[i].data = med->photos.photo[i].bytes;
            bytes[i].len = med->photos.photo[i].len;
        }
        send_console_attached(p, NULL, &cmd->command,
                              fq_request_message_id(p->call.node, cmd->request_id), bytes,
                              med->photos.n);
    }
    fq_fieldreq_photos_free(&med->photos);
    free(med);
}

/* ---- the live feed ---- */

static void stream_unlink(stream_state *st)
{
    feed *f = st->feed;
    if (f == NULL)
        return;
    if (st->prev)
        st->prev->next = st->next;
    else
        f->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->feed = NULL;
    if (f->streams == NULL) {
        HASH_DEL(st->api->feeds, f);
        free(f);
    }
}

static void on_stream_closed(void *user, fq_web_stream *s)
{
    (void)s;
    stream_state *st = user;
    stream_unlink(st);
    st->s = NULL;
    if (st->read != NULL)
        st->read->st = NULL; /* the read frees itself when it comes back */
    free(st);
}

/* "id: N\nevent: item\ndata: {…}\n\n" into a malloc'ed string. */
static char *sse_event(const Fengqiao__V1__OutboxItem *item, int complete, size_t *len)
{
    json_object *o = fq_pbjson_message(&item->base);
    if (o == NULL)
        return NULL;
    if (!complete) {
        /* A change's item carries no title or address (only a report has
         * them at hand): left out rather than sent empty, so that the page
         * keeps what it shows. */
        json_object_object_del(o, "title");
        json_object_object_del(o, "address");
        /* Nor the report's own numbers (the catch-up reads them with the
         * incident). */
        json_object_object_del(o, "external_ref");
        json_object_object_del(o, "reporter_node");
        json_object_object_del(o, "reporter_node_name");
    }
    size_t jlen = 0;
    const char *j = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &jlen);
    char *out = malloc(jlen + 64);
    if (out != NULL)
        *len = (size_t)snprintf(out, jlen + 64, "id: %" PRIu64 "\nevent: item\ndata: %s\n\n",
                                item->seq, j);
    json_object_put(o);
    return out;
}

static void catch_up(stream_state *st);
static void catchup_done(fq_store_op *op, int status, const char *message);

/* Sends one event; 0, or -1 when the stream is gone (freed). */
static int stream_send(stream_state *st, const char *bytes, size_t len)
{
    return fq_web_stream_send(st->s, bytes, len);
}

/* Sends a page of the catch-up and asks for the next, or goes live. */
static void catchup_page(stream_state *st, const PGresult *res, int status)
{
    if (status != FQ_OK || res == NULL || PQntuples(res) < 1) {
        /* The database is away: the browser reconnects with its Last-Event-ID. */
        fq_web_stream_close(st->s);
        return;
    }
    uint64_t last = (uint64_t)fq_store_column_i64(res, 0, 0);
    int rows = PQntuples(res), sent = 0;
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(res, i, 1))
            continue;
        uint64_t seq = (uint64_t)fq_store_column_i64(res, i, 1);
        Fengqiao__V1__OutboxItem c;
        Fengqiao__V1__GeoPoint point;
        Fengqiao__V1__OutboxItem *it = fq_outbox_row_item(res, i, &c, &point);
        if (it == NULL) {
            st->last_sent = seq; /* unreadable: skipped, as terminals skip it */
            continue;
        }
        size_t len = 0;
        char *ev = sse_event(&c, 1, &len);
        fengqiao__v1__outbox_item__free_unpacked(it, NULL);
        if (ev == NULL) {
            fq_web_stream_close(st->s);
            return;
        }
        int rc = stream_send(st, ev, len);
        free(ev);
        if (rc != 0)
            return; /* closed and freed */
        st->last_sent = seq;
        sent++;
    }
    if (last < st->last_sent)
        st->last_sent = last; /* an id from before the outbox was emptied: from here */
    /* An item committed after this read's snapshot, whose live copy was
     * passed over meanwhile, is read by the next round. */
    if (sent > 0 || st->last_sent < last || st->live_max > st->last_sent) {
        catch_up(st);
        return;
    }
    st->catching_up = 0; /* up to date: live items from now on */
}

static void catchup_done(fq_store_op *op, int status, const char *message)
{
    (void)message;
    catchup_read *read = (catchup_read *)op;
    stream_state *st = read->st;
    if (st != NULL) {
        st->read = NULL;
        catchup_page(st, op->result, status);
    }
    free(read);
}

static void catch_up(stream_state *st)
{
    fq_api *api = st->api;
    st->catching_up = 1;
    if (st->read != NULL)
        return; /* one read at a time; it reads on until up to date */
    catchup_read *read = calloc(1, sizeof *read);
    if (read == NULL) {
        fq_web_stream_close(st->s); /* the browser reconnects with Last-Event-ID */
        return;
    }
    read->st = st;
    st->read = read;
    fq_read_outbox_bind(&read->op, &read->params, st->feed->box, st->last_sent, CATCHUP_PAGE);
    read->op.done = catchup_done;
    fq_store_submit(fq_terminals_store(api->terminals), &read->op);
}

static void handle_events(fq_api *api, fq_web_req *r)
{
    const fq_web_session *s = fq_web_req_session(r);
    const char *resume = fq_web_req_header(r, "last-event-id") /* lowercase: H2O compares so */;
    if (resume == NULL)
        resume = fq_web_req_query(r, "after");
    uint64_t after = 0;
    int resuming = 0;
    if (resume != NULL && resume[0] != '\0') {
        char *end = NULL;
        unsigned long long x = strtoull(resume, &end, 10);
        if (!isdigit((unsigned char)resume[0]) || *end != '\0') {
            fq_web_respond_err(r, FQ_EINVALID, "Last-Event-ID must be a sequence number");
            return;
        }
        after = x;
        resuming = 1;
    }
    char box[80];
    snprintf(box, sizeof box, "u:%s", s->jurisdiction);
    stream_state *st = calloc(1, sizeof *st);
    feed *f = NULL;
    HASH_FIND_STR(api->feeds, box, f);
    if (f == NULL && st != NULL) {
        f = calloc(1, sizeof *f);
        if (f != NULL) {
            snprintf(f->box, sizeof f->box, "%s", box);
            HASH_ADD_STR(api->feeds, box, f);
        }
    }
    if (st == NULL || f == NULL) {
        free(st);
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    st->api = api;
    st->feed = f;
    st->last_sent = after;
    st->next = f->streams;
    if (f->streams)
        f->streams->prev = st;
    f->streams = st;
    st->s = fq_web_stream_open(r, on_stream_closed, st);
    if (st->s == NULL) {
        stream_unlink(st);
        free(st);
        return;
    }
    static const char hello[] = ": fengqiao live feed\n\n";
    if (stream_send(st, hello, sizeof hello - 1) != 0)
        return;
    if (resuming)
        catch_up(st);
}

void fq_api_sink(void *user, const char *box, uint64_t seq, int kind, uint64_t incident_id,
                 int64_t at_ms, uint64_t event_seq, const uint8_t *body, size_t len, int complete)
{
    fq_api *api = user;
    feed *f = NULL;
    HASH_FIND_STR(api->feeds, box, f);
    if (f == NULL)
        return;
    uint8_t item[ITEM_MAX_BYTES];
    size_t n = fq_outbox_complete_item(body, len, seq, kind, incident_id, at_ms, event_seq, item,
                                       sizeof item);
    Fengqiao__V1__OutboxItem *it = n ? fengqiao__v1__outbox_item__unpack(NULL, n, item) : NULL;
    char *ev = NULL;
    size_t ev_len = 0;
    if (it != NULL) {
        ev = sse_event(it, complete, &ev_len);
        fengqiao__v1__outbox_item__free_unpacked(it, NULL);
    }
    for (stream_state *st = f->streams, *next; st != NULL; st = next) {
        next = st->next;
        if (st->catching_up) {
            if (seq > st->live_max)
                st->live_max = seq; /* the catch-up reads it from the table */
            continue;
        }
        if (st->last_sent != 0 && seq <= st->last_sent)
            continue; /* sent already */
        if (ev == NULL || (st->last_sent != 0 && seq != st->last_sent + 1)) {
            catch_up(st); /* a gap, or an item we could not build: read it */
            continue;
        }
        /* A stalled browser's stream is closed (and freed) by the send; `f`
         * stays while `next` is on it. */
        if (stream_send(st, ev, ev_len) == 0)
            st->last_sent = seq;
    }
    free(ev);
}

static void on_keepalive(uv_timer_t *timer)
{
    fq_api *api = timer->data;
    feed *f, *ftmp;
    HASH_ITER(hh, api->feeds, f, ftmp)
    {
        for (stream_state *st = f->streams, *next; st != NULL; st = next) {
            next = st->next;
            stream_send(st, ": keepalive\n\n", 13);
        }
    }
}

/* ---- reference data: the topology ---- */

typedef struct topo_read {
    fq_store_op op;
    fq_api *api;
    fq_web_req *r;
    uint64_t generation;
    char jurisdiction[72];
} topo_read;

static void drop_topologies(fq_api *api)
{
    topo_cache *c, *tmp;
    HASH_ITER(hh, api->topologies, c, tmp)
    {
        HASH_DEL(api->topologies, c);
        free(c->json);
        free(c);
    }
}

void fq_api_directory_changed(fq_api *api)
{
    drop_topologies(api);
    api->topology_generation++;
}

int fq_api_set_tile_url(fq_api *api, const char *url)
{
    char *copy = strdup(url ? url : "");
    if (copy == NULL)
        return -1;
    free(api->tile_url);
    api->tile_url = copy;
    drop_topologies(api);
    return 0;
}

/* The document with the configured tile URL in: parsed once per read, kept
 * as text. */
static char *topology_document(fq_api *api, const char *sql_json, size_t *len)
{
    json_object *doc = json_tokener_parse(sql_json);
    if (doc == NULL)
        return NULL;
    json_object_object_add(doc, "tile_url",
                           json_object_new_string(api->tile_url ? api->tile_url : ""));
    size_t n = 0;
    const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &n);
    char *out = malloc(n + 1);
    if (out != NULL) {
        memcpy(out, text, n + 1);
        *len = n;
    }
    json_object_put(doc);
    return out;
}

static void topology_done(fq_store_op *op, int status, const char *message)
{
    topo_read *t = (topo_read *)op;
    fq_api *api = t->api;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL || PQntuples(res) != 1) {
        fq_web_respond_error(t->r, 503, "busy",
                             status == FQ_OK ? "the topology read found nothing"
                                             : (message ? message : "the database is away"),
                             2);
        free(t);
        return;
    }
    size_t len = 0;
    char *json = topology_document(api, PQgetvalue(res, 0, 0), &len);
    if (json == NULL) {
        fq_web_respond_err(t->r, FQ_EBUSY, "out of memory");
        free(t);
        return;
    }
    fq_web_add_header(t->r, "Cache-Control", "private, no-cache");
    fq_web_respond(t->r, 200, "application/json; charset=utf-8", json, len);
    /* Kept unless the directory reloaded while it was read. */
    topo_cache *c = NULL;
    HASH_FIND_STR(api->topologies, t->jurisdiction, c);
    if (c == NULL && t->generation == api->topology_generation && !api->stopped &&
        (c = calloc(1, sizeof *c)) != NULL) {
        snprintf(c->jurisdiction, sizeof c->jurisdiction, "%s", t->jurisdiction);
        c->json = json;
        c->len = len;
        HASH_ADD_STR(api->topologies, jurisdiction, c);
    } else {
        free(json);
    }
    free(t);
}

/* The unit whose topology a session gets: its jurisdiction, but for a
 * worker account (its grid or its unit's territory) the town around it, so
 * that the phone draws its grid among its neighbours and names the town's
 * units (docs/http-api.md, "The field API"). */
static void topology_unit(fq_api *api, const fq_web_session *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s", s->jurisdiction);
    if (s->role != FQ_WEB_WORKER)
        return;
    fq_snapshot *snap = fq_dispatch_current(api->dispatch);
    if (snap == NULL)
        return;
    const fq_org *org = fq_directory_org(snap->directory);
    for (int32_t u = fq_org_find(org, s->jurisdiction); u >= 0; u = fq_org_parent(org, u))
        if (fq_org_kind(org, u) == FQ_UNIT_TOWN) {
            snprintf(out, cap, "%s", fq_org_id(org, u));
            return;
        }
}

/* FQ_SQL_WEB_TOPOLOGY (sql/web_topology.sql) on t's op: the names and
 * shapes inside `unit`, one JSON document, which topology_done hands on. */
static void topology_bind(topo_read *t, const char *unit)
{
    snprintf(t->jurisdiction, sizeof t->jurisdiction, "%s", unit);
    t->op.kind = FQ_STORE_OP_READ;
    t->op.statement = FQ_SQL_WEB_TOPOLOGY_NAME;
    t->op.nparams = FQ_SQL_WEB_TOPOLOGY_NPARAMS;
    t->op.values[0] = t->jurisdiction;
    t->op.result_format = 1; /* text is the same bytes in binary */
}

static void handle_topology(fq_api *api, fq_web_req *r)
{
    char unit[72];
    topology_unit(api, fq_web_req_session(r), unit, sizeof unit);
    topo_cache *c = NULL;
    HASH_FIND_STR(api->topologies, unit, c);
    if (c != NULL) {
        fq_web_add_header(r, "Cache-Control", "private, no-cache");
        fq_web_respond(r, 200, "application/json; charset=utf-8", c->json, c->len);
        return;
    }
    fq_store *store = api->read_store ? api->read_store : fq_terminals_read_store(api->terminals);
    topo_read *t = calloc(1, sizeof *t);
    if (t == NULL || store == NULL) {
        free(t);
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    t->api = api;
    t->r = r;
    t->generation = api->topology_generation;
    topology_bind(t, unit);
    t->op.done = topology_done;
    fq_store_submit(store, &t->op);
}

/* ---- routing ---- */

/* The path prefix (under /api/v1/) of each part. */
static const char *const part_prefix[FQ_API_PARTS] = {
    [FQ_API_FIELD] = "field/",         [FQ_API_ATTACHMENTS] = "attachments/",
    [FQ_API_FRONTDESK] = "frontdesk/", [FQ_API_MEDIATION] = "mediation/",
    [FQ_API_JUDGMENT] = "judgment/",   [FQ_API_UPWARD] = "upward/",
};

/* The set part whose prefix `rest` starts with; NULL when none. */
static const struct fq_api_part_slot *part_of(const fq_api *api, const char *rest)
{
    for (int p = 0; p < FQ_API_PARTS; p++)
        if (api->parts[p].handle != NULL &&
            strncmp(rest, part_prefix[p], strlen(part_prefix[p])) == 0)
            return &api->parts[p];
    return NULL;
}

void fq_api_handle(fq_api *api, fq_web_req *r)
{
    const char *method = fq_web_req_method(r);
    const char *path = fq_web_req_path(r);
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *prefix = "/api/v1/";
    if (api->stopped) {
        fq_web_respond_error(r, 503, "busy", "the server is stopping", 5);
        return;
    }
    if (strncmp(path, prefix, strlen(prefix)) != 0) {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    const char *rest = path + strlen(prefix);
    const struct fq_api_part_slot *part;
    if (get && strcmp(rest, "board") == 0)
        handle_board(api, r);
    else if (get && strcmp(rest, "roster") == 0)
        handle_roster(api, r);
    else if (get && strcmp(rest, "stats") == 0)
        handle_stats(api, r);
    else if (get && strcmp(rest, "events") == 0)
        handle_events(api, r);
    else if (get && strcmp(rest, "topology") == 0)
        handle_topology(api, r);
    else if ((part = part_of(api, rest)) != NULL)
        part->handle(part->user, r);
    else if (strncmp(rest, "incidents/", 10) == 0) {
        uint64_t id = 0;
        const char *tail = NULL;
        if (fq_api_parse_id(rest + 10, &id, &tail) != 0) {
            fq_web_respond_err(r, FQ_EINVALID, "the incident id must be a number");
            return;
        }
        if (get && tail[0] == '\0')
            handle_incident(api, r, id);
        else if (post && strcmp(tail, "/commands") == 0)
            handle_command(api, r, id);
        else
            fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
    } else
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
}

fq_api *fq_api_new(uv_loop_t *loop, fq_terminals *terminals, fq_dispatch *dispatch,
                   fq_store *read_store)
{
    fq_api *api = calloc(1, sizeof *api);
    if (api == NULL)
        return NULL;
    api->loop = loop;
    api->terminals = terminals;
    api->dispatch = dispatch;
    api->read_store = read_store;
    fq_arena_init(&api->arena, api->arena_buf, sizeof api->arena_buf);
    api->keepalive = malloc(sizeof *api->keepalive);
    if (api->keepalive == NULL) {
        free(api);
        return NULL;
    }
    uv_timer_init(loop, api->keepalive);
    api->keepalive->data = api;
    uv_timer_start(api->keepalive, on_keepalive, KEEPALIVE_MS, KEEPALIVE_MS);
    uv_unref((uv_handle_t *)api->keepalive);
    return api;
}

void fq_api_set_part(fq_api *api, fq_api_part part, fq_api_part_fn handle, void *user)
{
    api->parts[part].handle = handle;
    api->parts[part].user = user;
}

void fq_api_broadcast(fq_api *api, const char *unit, const char *event, size_t len)
{
    fq_snapshot *snap = fq_dispatch_current(api->dispatch);
    const fq_org *org = snap ? fq_directory_org(snap->directory) : NULL;
    int32_t u = org ? fq_org_find(org, unit) : -1;
    if (u < 0 || api->stopped)
        return;
    feed *f, *ftmp;
    HASH_ITER(hh, api->feeds, f, ftmp)
    {
        int32_t j = fq_org_find(org, f->box + 2); /* 'u:<jurisdiction>' */
        if (j < 0 || !fq_org_within(org, u, j))
            continue;
        /* A send may close a stalled stream and so free the feed with its
         * last stream: `next` is taken first, and the feed is not touched
         * after its last stream is sent to. */
        for (stream_state *st = f->streams, *next; st != NULL; st = next) {
            next = st->next;
            stream_send(st, event, len);
        }
    }
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

void fq_api_stop(fq_api *api)
{
    if (api->stopped)
        return;
    api->stopped = 1;
    /* Each stream is taken off its feed first (the last one frees the
     * feed), then closed: its callback frees it. */
    while (api->feeds != NULL) {
        stream_state *st = api->feeds->streams;
        stream_unlink(st);
        fq_web_stream_close(st->s);
    }
    if (api->keepalive) {
        uv_close((uv_handle_t *)api->keepalive, free_handle);
        api->keepalive = NULL;
    }
}

void fq_api_free(fq_api *api)
{
    if (api == NULL)
        return;
    fq_api_stop(api);
    drop_topologies(api);
    free(api->tile_url);
    free(api);
}
