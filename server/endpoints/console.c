#include "console.h"

#include "console_rows.h"
#include "endpoint_ctx.h"
#include "reply.h"
#include "statements.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPEN_ROWS 2000
#define DEFAULT_OPEN_ROWS 200
/* Rows read for one page of the timeline, the roster, the statistics: the
 * byte budget usually ends a page first (docs/console.md, "Paging"). */
#define TIMELINE_PAGE_ROWS 1000
#define ROSTER_PAGE_ROWS 2000
#define STATS_PAGE_ROWS 1000
/* The longest statistics period: a year and a leap day. A longer one reads
 * years of the event log in one statement. */
#define STATS_MAX_PERIOD_MS (366LL * 24 * 3600 * 1000)

typedef struct query_req {
    fq_store_op op;
    fq_endpoint_ctx *ctx;
    fq_dispatch *dispatch;
    fq_reply_token *token;
    uint8_t key[32];
    uint64_t message_id;
    Fengqiao__V1__ConsoleQuery__QueryCase kind;
    uint32_t page_rows;            /* rows a page may hold; one more is read to see "more" */
    int64_t asof_us;               /* open incidents: the board's moment */
    uint64_t after;                /* incident: the last event seq before this page */
    uint64_t offset;               /* roster, stats: rows before this page */
    const char *routing_status;    /* the server's, taken once when the answer is built */
    char node[72];                 /* the asking console node */
    char time_zone[8];             /* its district's, taken when the answer is built */
    fq_console_read_params params; /* the statement's (console_rows.h) */
} query_req;

/* ---- cursors: opaque to clients, checked strictly here ---- */

/* "o1.<asof µs>.<not overdue>.<severity>.<due µs>.<id>[.<rows>]": <rows>, how
 * many rows the previous page held (0 when the cursor has none: one of an
 * older server). */
static int parse_open_cursor(const char *c, int64_t *asof_us, long long key[4], long long *fit)
{
    int end = -1, tail = -1;
    long long asof = 0;
    *fit = 0;
    if (sscanf(c, "o1.%lld.%lld.%lld.%lld.%lld%n", &asof, &key[0], &key[1], &key[2], &key[3],
               &end) != 5 ||
        end < 0 || asof <= 0 || key[0] < 0 || key[0] > 1 || key[1] < 0 || key[1] > 9 || key[3] <= 0)
        return -1;
    if (c[end] != '\0' && (sscanf(c + end, ".%lld%n", fit, &tail) != 1 || tail < 0 ||
                           c[end + tail] != '\0' || *fit < 1 || *fit > MAX_OPEN_ROWS))
        return -1;
    *asof_us = asof;
    return 0;
}

/* The rows to read for a board page after one that held `fit` (0: unknown):
 * the byte budget, not `limit`, ends most pages (about 200 rows of the demo
 * district), and every row read past it is read for nothing - with limit
 * 2000, nine of ten. So a page reads half as many again as the last one
 * held (and a few): enough for rows shorter than the last page's, growing
 * by half a page each time the rows keep fitting. */
static uint32_t open_page_rows(uint32_t limit, long long fit)
{
    if (fit <= 0)
        return limit;
    long long rows = fit + fit / 2 + 16;
    return rows < (long long)limit ? (uint32_t)rows : limit;
}

/* "<tag>.<n>" for the timeline (t1, the last seq) and the offsets (r1, s1). */
static int parse_number_cursor(const char *c, const char *tag, uint64_t *n)
{
    size_t tl = strlen(tag);
    if (strncmp(c, tag, tl) != 0 || c[tl] != '.' || c[tl + 1] < '0' || c[tl + 1] > '9')
        return -1;
    char *end;
    unsigned long long v = strtoull(c + tl + 1, &end, 10);
    if (*end != '\0' || v > (unsigned long long)INT64_MAX)
        return -1;
    *n = v;
    return 0;
}

/* The first column after the summary's (console_rows.h). */
#define SUMMARY_COLS FQ_CONSOLE_SUMMARY_COLUMNS

static const char *unit_name(const fq_org *org, const char *id)
{
    int32_t u = id[0] != '\0' ? fq_org_find(org, id) : -1;
    return u >= 0 ? fq_org_name(org, u) : "";
}

static const char *handler_name(const fq_routing *r, const char *id)
{
    int32_t h = r != NULL && id[0] != '\0' ? fq_roster_find_handler(r->roster, id) : -1;
    return h >= 0 ? fq_roster_handler_name(r->roster, h) : "";
}

static const char *worker_name(const fq_routing *r, const char *id)
{
    int32_t w = r != NULL && id[0] != '\0' ? fq_roster_find_worker(r->roster, id) : -1;
    return w >= 0 ? fq_roster_worker_name(r->roster, w) : "";
}

/* The display names of a summary's ids, from the server's snapshot (the
 * topology as loaded now: no join on the board's read, and a renamed unit
 * reads under its new name at once). An id the snapshot does not know (a
 * unit removed since) gets ''. co_names holds FQ_ROUTE_MAX_CO + 1. */
static void name_summary(const fq_snapshot *snap, Fengqiao__V1__IncidentSummary *s, char **co_names)
{
    const fq_org *org = fq_directory_org(snap->directory);
    const fq_routing *r = snap->routing;
    int category = r != NULL ? fq_taxonomy_find(r->taxonomy, s->category) : -1;
    s->category_name = category >= 0 ? (char *)fq_taxonomy_name(r->taxonomy, category) : "";
    s->territory_name = (char *)unit_name(org, s->territory);
    s->town_name = (char *)unit_name(org, s->town);
    s->lead_unit_name = (char *)handler_name(r, s->lead_unit);
    s->worker_name = (char *)worker_name(r, s->worker);
    for (size_t i = 0; i < s->n_co_units; i++)
        co_names[i] = (char *)handler_name(r, s->co_units[i]);
    s->co_unit_names = co_names;
    s->n_co_unit_names = s->n_co_units;
    const fq_node *node = fq_directory_find(snap->directory, s->reporter_node);
    s->reporter_node_name = node != NULL && node->name != NULL ? (char *)node->name : "";
}

/* The summary of one row into an IncidentSummary (fq_console_summary_row:
 * strings point into `res` and the snapshot; co-units into `co`, which must
 * hold 2 * (FQ_ROUTE_MAX_CO + 1): the ids, then their names); the report's
 * point from columns lon_col, lon_col + 1 into `point` when they are not
 * NULL. -1 when the row is not a summary's. */
static int summary_of(const fq_snapshot *snap, const PGresult *res, int row,
                      Fengqiao__V1__IncidentSummary *s, char **co, char *co_buf, size_t co_len,
                      int lon_col, Fengqiao__V1__GeoPoint *point)
{
    if (fq_console_summary_row(res, row, s, co, FQ_ROUTE_MAX_CO + 1, co_buf, co_len) != 0)
        return -1;
    name_summary(snap, s, co + FQ_ROUTE_MAX_CO + 1);
    if (fq_console_point(res, row, lon_col, point))
        s->location = point;
    return 0;
}

static void reply_result(query_req *q, Fengqiao__V1__ConsoleResult *result)
{
    Fengqiao__V1__Reply reply;
    fq_reply_status_init(&reply, q->message_id, FQ_OK, "", 0);
    reply.result_case = FENGQIAO__V1__REPLY__RESULT_CONSOLE;
    /* Every console reply carries it: an operator on any screen sees that
     * the server routes with a state that is not the database's. Its bytes
     * came off the page's budget (new_budget). */
    result->routing_status = (char *)q->routing_status;
    result->time_zone = q->time_zone;
    reply.console = result;
    fq_reply_send(q->token, q->key, &reply);
}

/* A page's byte budget, less the routing status every reply carries (at
 * most 1 KiB: a full page with it still fits the frame). */
static fq_reply_budget new_budget(const query_req *q)
{
    fq_reply_budget budget = {0};
    if (q->routing_status[0] != '\0')
        fq_reply_budget_take(&budget, strlen(q->routing_status));
    return budget;
}

static void reply_status(query_req *q, int err, const char *message)
{
    fq_endpoint_reply(q->ctx, q->token, q->key, q->message_id, err, message);
}

/* A page of the board or of a search: rows while the budget lasts, at most
 * page_rows of them; the statement read one more to tell whether more
 * follow. */
static void answer_incidents(query_req *q, const PGresult *res)
{
    int rows = PQntuples(res);
    int search = q->kind == FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH;
    Fengqiao__V1__GeoPoint *points = calloc((size_t)rows + 1, sizeof *points);
    Fengqiao__V1__IncidentSummary *s = calloc((size_t)rows + 1, sizeof *s);
    Fengqiao__V1__IncidentSummary **list = calloc((size_t)rows + 1, sizeof *list);
    char **co = calloc(((size_t)rows + 1) * 2 * (FQ_ROUTE_MAX_CO + 1), sizeof *co);
    const fq_snapshot *snap = fq_dispatch_current(q->dispatch);
    char *co_buf = calloc((size_t)rows + 1, 512);
    if (s == NULL || list == NULL || co == NULL || co_buf == NULL || points == NULL) {
        reply_status(q, FQ_ENOMEM, "out of memory; retry later");
    } else {
        fq_reply_budget budget = new_budget(q);
        int n = 0;
        for (int r = 0; r < rows && (uint32_t)n < q->page_rows; r++) {
            if (summary_of(snap, res, r, &s[r], co + (size_t)r * 2 * (FQ_ROUTE_MAX_CO + 1),
                           co_buf + (size_t)r * 512, 512, search ? SUMMARY_COLS : SUMMARY_COLS + 2,
                           &points[r]) != 0) {
                n = -1; /* a bug or a schema this server does not know */
                break;
            }
            if (!fq_reply_budget_take(&budget,
                                      fengqiao__v1__incident_summary__get_packed_size(&s[r])))
                break;
            list[n++] = &s[r];
        }
        Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
        result.incidents = list;
        result.n_incidents = n > 0 ? (size_t)n : 0;
        char cursor[FQ_REPLY_CURSOR_MAX] = "";
        fq_console_open_key key;
        if (n < 0) {
            reply_status(q, FQ_EINTERNAL, "the incidents' rows are not as this server reads them");
        } else if (n < rows && n > 0 && search) {
            /* Newest first: the last row's id. */
            snprintf(cursor, sizeof cursor, "q1.%" PRIu64, list[n - 1]->incident_id);
            result.more = 1;
            result.cursor = cursor;
        } else if (n < rows && n > 0 && fq_console_open_key_row(res, n - 1, &key) == 0) {
            /* The last row's sort key. */
            snprintf(cursor, sizeof cursor, "o1.%" PRId64 ".%lld.%lld.%lld.%lld.%d", q->asof_us,
                     key.not_overdue, key.severity, key.due_us, key.id, n);
            result.more = 1;
            result.cursor = cursor;
        }
        if (n >= 0)
            reply_result(q, &result);
    }
    free(s);
    free(list);
    free(co);
    free(co_buf);
    free(points);
}

/* An incident and a page of its timeline; the description with the first
 * page. Stored fields are bounded (a description 4000 characters, a reason
 * 2000: at most 16 KB and 8 KB), so the summary, the description and one
 * event always fit one page. */
static void answer_incident(query_req *q, const PGresult *res)
{
    int rows = PQntuples(res);
    if (rows == 0) {
        reply_status(q, FQ_EFORBIDDEN, "no such incident inside this console's jurisdiction");
        return;
    }
    Fengqiao__V1__IncidentSummary s;
    Fengqiao__V1__IncidentSummary *one = &s;
    char *co[2 * (FQ_ROUTE_MAX_CO + 1)];
    char co_buf[512];
    Fengqiao__V1__GeoPoint point;
    const fq_snapshot *snap = fq_dispatch_current(q->dispatch);
    if (summary_of(snap, res, 0, &s, co, co_buf, sizeof co_buf, SUMMARY_COLS + 7, &point) != 0) {
        reply_status(q, FQ_EINTERNAL, "the incident's row is not as this server reads it");
        return;
    }
    Fengqiao__V1__TimelineEvent *ev = calloc((size_t)rows, sizeof *ev);
    Fengqiao__V1__TimelineEvent **list = calloc((size_t)rows, sizeof *list);
    /* The photos' metadata (never their bytes), FQ_EVIDENCE_MAX_PHOTOS a row. */
    Fengqiao__V1__TimelineAttachment *att = calloc((size_t)rows * 4, sizeof *att);
    Fengqiao__V1__TimelineAttachment **att_list = calloc((size_t)rows * 4, sizeof *att_list);
    uint8_t(*sha)[32] = calloc((size_t)rows * 4, sizeof *sha);
    char **texts = calloc((size_t)rows, sizeof *texts); /* copies: libpq's are read-only */
    if (ev == NULL || list == NULL || att == NULL || att_list == NULL || sha == NULL ||
        texts == NULL) {
        free(ev);
        free(list);
        free(att);
        free(att_list);
        free(sha);
        free(texts);
        reply_status(q, FQ_ENOMEM, "out of memory; retry later");
        return;
    }
    Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    result.incidents = &one;
    result.n_incidents = 1;
    result.description = (char *)fq_console_description(res, 0);
    fq_reply_budget budget = new_budget(q);
    fq_reply_budget_take(&budget, fengqiao__v1__incident_summary__get_packed_size(&s));
    fq_reply_budget_take(&budget, strlen(result.description));
    size_t n = 0;
    int more = 0;
    for (int r = 0; r < rows; r++) {
        if (fq_console_event_row(res, r, &ev[n]) != 1)
            continue; /* no events (after the cursor) */
        if (n == q->page_rows) {
            more = 1;
            break;
        }
        size_t k = fq_console_event_attachments(res, r, &att[4 * n], &sha[4 * n], 4, &texts[n]);
        for (size_t j = 0; j < k; j++)
            att_list[4 * n + j] = &att[4 * n + j];
        ev[n].attachments = &att_list[4 * n];
        ev[n].n_attachments = k;
        if (!fq_reply_budget_take(&budget, fengqiao__v1__timeline_event__get_packed_size(&ev[n]))) {
            more = 1;
            break;
        }
        list[n] = &ev[n];
        n++;
    }
    result.timeline = list;
    result.n_timeline = n;
    char cursor[FQ_REPLY_CURSOR_MAX] = "";
    if (more && n > 0) {
        snprintf(cursor, sizeof cursor, "t1.%" PRIu64, ev[n - 1].seq);
        result.more = 1;
        result.cursor = cursor;
    }
    reply_result(q, &result);
    free(ev);
    free(list);
    free(att);
    free(att_list);
    free(sha);
    for (int r = 0; r < rows; r++)
        free(texts[r]);
    free(texts);
}

/* FQ_SQL_CONSOLE_ROSTER on q's op: the units and workers `within` (a unit
 * id), `limit` of them after `offset`. answer_roster reads its rows. */
static void roster_bind(query_req *q, const char *within, uint64_t offset, uint32_t limit)
{
    char(*text)[80] = q->params.text;
    snprintf(text[0], sizeof text[0], "%s", within);
    snprintf(text[1], sizeof text[1], "%" PRIu64, offset);
    snprintf(text[2], sizeof text[2], "%" PRIu32, limit);
    memset(q->op.values, 0, sizeof q->op.values);
    for (int i = 0; i < FQ_SQL_CONSOLE_ROSTER_NPARAMS; i++)
        q->op.values[i] = text[i];
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_CONSOLE_ROSTER_NAME;
    q->op.nparams = FQ_SQL_CONSOLE_ROSTER_NPARAMS;
    q->op.result_format = 0;
}

/* FQ_SQL_CONSOLE_ROSTER's rows (roster_bind). */
static void answer_roster(query_req *q, const PGresult *res)
{
    int rows = PQntuples(res);
    Fengqiao__V1__RosterEntry *e = calloc((size_t)rows + 1, sizeof *e);
    Fengqiao__V1__RosterEntry **list = calloc((size_t)rows + 1, sizeof *list);
    if (e == NULL || list == NULL) {
        reply_status(q, FQ_ENOMEM, "out of memory; retry later");
    } else {
        const fq_snapshot *snap = fq_dispatch_current(q->dispatch);
        fq_reply_budget budget = new_budget(q);
        int n = 0;
        for (int r = 0; r < rows && (uint32_t)n < q->page_rows; r++) {
            fengqiao__v1__roster_entry__init(&e[r]);
            e[r].id = PQgetvalue(res, r, 0);
            e[r].kind = PQgetvalue(res, r, 1);
            e[r].territory = PQgetvalue(res, r, 2);
            e[r].line = PQgetvalue(res, r, 3);
            e[r].load = (uint32_t)fq_store_column_i64(res, r, 4);
            e[r].capacity = (uint32_t)fq_store_column_i64(res, r, 5);
            e[r].on_duty = PQgetvalue(res, r, 6)[0] == 't';
            int worker = strcmp(e[r].kind, "worker") == 0;
            e[r].present = !worker || !fq_dispatch_is_absent(q->dispatch, e[r].id);
            e[r].name = (char *)(worker ? worker_name(snap->routing, e[r].id)
                                        : handler_name(snap->routing, e[r].id));
            e[r].territory_name =
                (char *)unit_name(fq_directory_org(snap->directory), e[r].territory);
            if (!fq_reply_budget_take(&budget, fengqiao__v1__roster_entry__get_packed_size(&e[r])))
                break;
            list[n++] = &e[r];
        }
        Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
        result.roster = list;
        result.n_roster = (size_t)n;
        char cursor[FQ_REPLY_CURSOR_MAX] = "";
        if (n < rows && n > 0) {
            snprintf(cursor, sizeof cursor, "r1.%" PRIu64, q->offset + (uint64_t)n);
            result.more = 1;
            result.cursor = cursor;
        }
        reply_result(q, &result);
    }
    free(e);
    free(list);
}

/* The columns of fq_meeting_stats (on every page), and as many rows as
 * the page's byte budget holds: each row a StatsRow of its cells. */
static void answer_stats(query_req *q, const PGresult *res)
{
    int rows = PQntuples(res) < (int)q->page_rows ? PQntuples(res) : (int)q->page_rows;
    int cols = PQnfields(res);
    char **columns = calloc((size_t)cols + 1, sizeof *columns);
    Fengqiao__V1__StatsRow *row = calloc((size_t)rows + 1, sizeof *row);
    Fengqiao__V1__StatsRow **list = calloc((size_t)rows + 1, sizeof *list);
    char **cells = calloc((size_t)rows * (size_t)cols + 1, sizeof *cells);
    if (columns == NULL || row == NULL || list == NULL || cells == NULL) {
        reply_status(q, FQ_ENOMEM, "out of memory; retry later");
        goto done;
    }
    fq_reply_budget budget = new_budget(q);
    for (int c = 0; c < cols; c++) {
        columns[c] = c == 0 ? "group" : PQfname(res, c);
        fq_reply_budget_take(&budget, strlen(columns[c]));
    }
    int n = 0;
    for (; n < rows; n++) {
        size_t row_bytes = 0;
        for (int c = 0; c < cols; c++) {
            cells[(size_t)n * cols + c] = PQgetvalue(res, n, c);
            row_bytes += fq_reply_field_bytes(strlen(PQgetvalue(res, n, c)));
        }
        if (!fq_reply_budget_take(&budget, row_bytes))
            break;
        fengqiao__v1__stats_row__init(&row[n]);
        row[n].cells = &cells[(size_t)n * cols];
        row[n].n_cells = (size_t)cols;
        list[n] = &row[n];
    }
    Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    result.stats_columns = columns;
    result.n_stats_columns = (size_t)cols;
    result.stats_rows = list;
    result.n_stats_rows = (size_t)n;
    char cursor[FQ_REPLY_CURSOR_MAX] = "";
    if (n < PQntuples(res) && n > 0) {
        snprintf(cursor, sizeof cursor, "s1.%" PRIu64, q->offset + (uint64_t)n);
        result.more = 1;
        result.cursor = cursor;
    }
    reply_result(q, &result);
done:
    free(columns);
    free(row);
    free(list);
    free(cells);
}

/* The search's parameters (statements.h FQ_SQL_CONSOLE_SEARCH); NULL, or
 * why the query is refused. */
static const char *search_params(query_req *q, const char *within,
                                 const Fengqiao__V1__SearchQuery *sq, const char *cursor)
{
    const char *text = sq->text;
    size_t len = strlen(text), chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)text[i] & 0xc0) != 0x80;
    if (chars < 1 || chars > FQ_CONSOLE_SEARCH_MAX_CHARS || len > 4 * FQ_CONSOLE_SEARCH_MAX_CHARS)
        return "search: the text is 1 to 64 characters";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20)
            return "search: the text has a control character";
    uint32_t limit = sq->limit == 0 ? DEFAULT_OPEN_ROWS : sq->limit;
    if (limit > MAX_OPEN_ROWS)
        limit = MAX_OPEN_ROWS;
    q->page_rows = limit;
    uint64_t before = 0;
    if (cursor[0] != '\0' && parse_number_cursor(cursor, "q1", &before) != 0)
        return "cursor: not one this server gave for this kind of query";
    fq_console_search_bind(&q->op, &q->params, within, text, limit + 1, before);
    return NULL;
}

static void query_done(fq_store_op *op, int status, const char *message)
{
    query_req *q = (query_req *)op;
    q->ctx->in_flight--;
    q->routing_status = fq_endpoint_routing_status(q->ctx);
    fq_dispatch_time_zone(q->dispatch, q->node, q->time_zone, sizeof q->time_zone);
    if (status == FQ_EREJECTED && strcmp(op->sqlstate, "57014") == 0) {
        /* The read store's statement_timeout: the read is too heavy now. */
        char why[200];
        snprintf(why, sizeof why,
                 "the read took longer than %u ms and was cancelled; narrow it (a shorter "
                 "period, a smaller page) or retry later",
                 q->ctx->read_timeout_ms);
        reply_status(q, FQ_EBUSY, why);
    } else if (status == FQ_EBUSY) {
        /* Waited longer than --hold-ms: the database is away, or slower
         * reads are ahead of this one on the reads connection. */
        reply_status(q, FQ_EBUSY,
                     "the console's reads are busy or the database is unreachable; "
                     "retry later");
    } else if (status != FQ_OK || op->result == NULL) {
        /* A read refused for its values (the request's filters) is the
         * request's mistake; anything else, retry. */
        int err = status == FQ_OK ? FQ_EBUSY : fq_err_of_store(status, FQ_EINVALID);
        reply_status(q, err, status == FQ_EREJECTED ? op->error : message);
    } else {
        switch (q->kind) {
        case FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS:
        case FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH:
            answer_incidents(q, op->result);
            break;
        case FENGQIAO__V1__CONSOLE_QUERY__QUERY_INCIDENT:
            answer_incident(q, op->result);
            break;
        case FENGQIAO__V1__CONSOLE_QUERY__QUERY_ROSTER:
            answer_roster(q, op->result);
            break;
        default:
            answer_stats(q, op->result);
            break;
        }
    }
    sodium_memzero(q->key, sizeof q->key);
    free(q);
}

void fq_console_query(fq_endpoint_ctx *ctx, const fq_node *node, uint64_t message_id,
                      const Fengqiao__V1__ConsoleQuery *query, fq_reply_token *token)
{
    fq_dispatch *dispatch = ctx->dispatch;
    query_req *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_endpoint_refuse(ctx, token, node->key, NULL, 0, node->id, message_id, FQ_ENOMEM,
                           "out of memory; retry later");
        return;
    }
    q->ctx = ctx;
    q->dispatch = dispatch;
    q->token = token;
    q->message_id = message_id;
    snprintf(q->node, sizeof q->node, "%s", node->id);
    memcpy(q->key, node->key, sizeof q->key);
    q->kind = query->query_case;
    const fq_snapshot *snap = fq_dispatch_current(dispatch);
    const char *within = fq_org_id(fq_directory_org(snap->directory), node->jurisdiction);
    fq_store_op *op = &q->op;
    op->done = query_done;
    const char *bad = NULL;
    const char *cursor = query->cursor ? query->cursor : "";
    int first_page = cursor[0] == '\0';
    const char *bad_cursor = "cursor: not one this server gave for this kind of query";
    switch (query->query_case) {
    case FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS: {
        const Fengqiao__V1__OpenIncidentsQuery *o = query->open_incidents;
        uint32_t limit = o->limit == 0 ? DEFAULT_OPEN_ROWS : o->limit;
        if (limit > MAX_OPEN_ROWS)
            limit = MAX_OPEN_ROWS;
        long long key[4] = {0, 0, 0, 0}, fit = 0;
        if (o->tier < 0 || o->tier > FENGQIAO__V1__TIER__TIER_DISTRICT || o->line < 0 ||
            o->line > FENGQIAO__V1__LINE__LINE_SERVICES || strlen(o->town) > 64 ||
            strlen(o->assignment) > 32 || o->severity < 0 ||
            o->severity > FENGQIAO__V1__SEVERITY__SEVERITY_IV)
            bad = "tier, line, town, assignment or severity out of range";
        else if (first_page)
            q->asof_us = fq_now_ms() * 1000;
        else if (parse_open_cursor(cursor, &q->asof_us, key, &fit) != 0)
            bad = bad_cursor;
        limit = open_page_rows(limit, fit);
        q->page_rows = limit;
        fq_console_open_filter filter = {(int)o->tier,      o->town,          (int)o->line,
                                         o->assignment,     (int)o->severity, o->overdue_only,
                                         o->supervised_only};
        fq_console_open_key after = {key[0], key[1], key[2], key[3]};
        fq_console_open_bind(op, &q->params, within, &filter, limit + 1, q->asof_us,
                             first_page ? NULL : &after);
        break;
    }
    case FENGQIAO__V1__CONSOLE_QUERY__QUERY_INCIDENT:
        if (query->incident == 0 || query->incident > (uint64_t)INT64_MAX)
            bad = "incident must be between 1 and 2^63-1";
        else if (!first_page && parse_number_cursor(cursor, "t1", &q->after) != 0)
            bad = bad_cursor;
        q->page_rows = TIMELINE_PAGE_ROWS;
        fq_console_incident_bind(op, &q->params, within, query->incident, q->after,
                                 TIMELINE_PAGE_ROWS + 1);
        break;
    case FENGQIAO__V1__CONSOLE_QUERY__QUERY_ROSTER: {
        /* A town inside the jurisdiction narrows it. */
        const char *town = query->roster->town;
        if (town[0] != '\0') {
            int32_t t = fq_org_find(fq_directory_org(snap->directory), town);
            if (t < 0 || !fq_org_within(fq_directory_org(snap->directory), t, node->jurisdiction))
                bad = "that town is not inside this console's jurisdiction";
        }
        if (bad == NULL && !first_page && parse_number_cursor(cursor, "r1", &q->offset) != 0)
            bad = bad_cursor;
        q->page_rows = ROSTER_PAGE_ROWS;
        roster_bind(q, town[0] != '\0' ? town : within, q->offset, ROSTER_PAGE_ROWS + 1);
        break;
    }
    case FENGQIAO__V1__CONSOLE_QUERY__QUERY_STATS: {
        const Fengqiao__V1__StatsQuery *s = query->stats;
        const char *by = s->by[0] ? s->by : "town";
        if (s->from_ms >= s->to_ms)
            bad = "stats: from_ms must come before to_ms";
        else if ((uint64_t)s->to_ms - (uint64_t)s->from_ms > (uint64_t)STATS_MAX_PERIOD_MS)
            bad = "stats: the period is at most 366 days (ask year by year)";
        else if (strcmp(by, "town") != 0 && strcmp(by, "line") != 0 && strcmp(by, "unit") != 0 &&
                 strcmp(by, "worker") != 0 && strcmp(by, "district") != 0)
            bad = "stats: by is town, line, unit, worker or district";
        else if (!first_page && parse_number_cursor(cursor, "s1", &q->offset) != 0)
            bad = bad_cursor;
        q->page_rows = STATS_PAGE_ROWS;
        fq_console_stats_bind(op, &q->params, within, s->from_ms, s->to_ms, by, q->offset,
                              STATS_PAGE_ROWS + 1);
        break;
    }
    case FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH:
        bad = search_params(q, within, query->search, cursor);
        break;
    default:
        bad = "an empty console query";
        break;
    }
    if (bad != NULL) {
        fq_endpoint_refuse(ctx, token, node->key, NULL, 0, node->id, message_id, FQ_EINVALID, bad);
        free(q);
        return;
    }
    ctx->in_flight++;
    /* The console's reads have their own connection, with a statement
     * timeout: a heavy one never holds the intake's writes up. */
    fq_store_submit(fq_endpoint_read_store(ctx), op);
}
