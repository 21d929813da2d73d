/* findings: research and judgment on the web console (findings.h). */
#include "findings.h"

#include "fq_wire.h"
#include "judgment_rows.h"
#include "log.h"
#include "statements.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_INCIDENTS 50            /* incidents named per finding in an answer */
#define PENDING_ROWS 500             /* long-pending cases per answer at most */
#define MAX_AS_OF_MS 4102444800000LL /* 2100-01-01 */

typedef enum part { P_HOTSPOTS, P_TRENDS, P_REPEATS, P_PENDING, P_RUN } part;

struct fq_findings {
    uv_loop_t *loop;
    fq_store *read_store;
    fq_api *api;
    fq_findings_config config;
    uv_timer_t *timer;
    int running;     /* the periodic read is in the store or being judged */
    int stopped;     /* the server stops: a periodic run's findings go nowhere */
    atomic_int stop; /* set at stop: a judgment on the pool gives up */
    size_t working;  /* judgments on the thread pool; the struct outlives them */
    int learned;     /* a periodic run has been done: its findings are known */
    char **known;    /* the keys of the previous run's findings, sorted */
    size_t n_known;
    uint64_t runs, pushed;
};

typedef struct judgment_read {
    fq_store_op op;
    fq_findings *f;
    fq_web_req *r; /* NULL: the periodic run */
    part part;
    int64_t as_of_ms;
    char from[24], to[24], jurisdiction[72], days[16], lookback[16], limit[16];
    /* Decoding and judging run on the thread pool, over a copy of the rows
     * (the store frees its result when read_done returns, and the decoded
     * incidents point into it): over a year of a district's incidents they
     * take long enough to stall every request, and a stop behind them. */
    uv_work_t work;
    PGresult *copy;
    fq_jd_rows rows;
    fq_jd_result result;
    int judged; /* 0: rows decoded and judged */
} judgment_read;

void fq_findings_config_default(fq_findings_config *c)
{
    fq_jd_params_default(&c->params);
    c->interval_s = 300;
    c->pending_days = 7;
    c->pending_lookback_days = 365;
}

/* ---- answers ---- */

static const char *const KIND_NAMES[] = {"phone", "person", "address"};

/* 138****8000: enough to tell two apart on a list, not enough to call. */
static void mask_phone(const char *key, char *out, size_t cap)
{
    size_t n = strlen(key);
    if (n >= 11)
        snprintf(out, cap, "%.3s****%s", key, key + n - 4);
    else
        snprintf(out, cap, "%.2s***%s", key, key + n - 2);
}

/* The first character (UTF-8) and a star: 张*. */
static void mask_name(const char *name, char *out, size_t cap)
{
    size_t first = 1;
    unsigned char c = (unsigned char)name[0];
    if (c >= 0xF0)
        first = 4;
    else if (c >= 0xE0)
        first = 3;
    else if (c >= 0xC0)
        first = 2;
    if (strlen(name) < first)
        first = strlen(name);
    snprintf(out, cap, "%.*s*", (int)first, name);
}

static json_object *incident_list(const fq_jd_rows *rows, const size_t *members, size_t n)
{
    json_object *a = json_object_new_array();
    /* The newest first: the ones a person looks at. */
    for (size_t k = 0; k < n && k < LIST_INCIDENTS; k++) {
        size_t i = members[n - 1 - k];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(rows->incidents[i].id));
        json_object_object_add(o, "title", json_object_new_string(rows->rows[i].title));
        json_object_object_add(o, "at_ms", json_object_new_int64(rows->incidents[i].at_ms));
        json_object_array_add(a, o);
    }
    return a;
}

/* A number written with so many decimals (6 for degrees), or with 3
 * significant digits (decimals < 0, for p-values): json-c would otherwise
 * print 252.69999999999999 for 252.7. */
static json_object *num(double x, int decimals)
{
    char text[48];
    if (decimals < 0)
        snprintf(text, sizeof text, "%.3g", x);
    else
        snprintf(text, sizeof text, "%.*f", decimals, x);
    return json_object_new_double_s(strtod(text, NULL), text);
}

static json_object *hotspot_json(const fq_jd_rows *rows, const fq_jd_hotspot *h)
{
    const fq_jd_incident *c = &rows->incidents[h->centre];
    const fq_jd_row *w = &rows->rows[h->centre];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "category", json_object_new_string(c->category));
    json_object_object_add(o, "category_name", json_object_new_string(w->category_name));
    json_object_object_add(o, "town", json_object_new_string(c->town));
    json_object_object_add(o, "town_name", json_object_new_string(w->town_name));
    json_object_object_add(o, "address", json_object_new_string(w->address));
    json_object_object_add(o, "lon", num(c->lon, 6));
    json_object_object_add(o, "lat", num(c->lat, 6));
    json_object_object_add(o, "radius_m", num(h->radius_m, 1));
    json_object_object_add(o, "count", json_object_new_int64((int64_t)h->n_members));
    json_object_object_add(o, "cores", json_object_new_int64((int64_t)h->n_cores));
    json_object_object_add(o, "first_ms", json_object_new_int64(h->first_ms));
    json_object_object_add(o, "last_ms", json_object_new_int64(h->last_ms));
    json_object_object_add(o, "incidents", incident_list(rows, h->members, h->n_members));
    return o;
}

static json_object *trend_json(const fq_jd_rows *rows, const fq_jd_trend *t)
{
    /* The names: of any incident of the pair (the core keeps none). */
    const char *town_name = "", *category_name = t->category;
    for (size_t i = 0; i < rows->n; i++)
        if (strcmp(rows->incidents[i].town, t->town) == 0 &&
            strcmp(rows->incidents[i].category, t->category) == 0) {
            town_name = rows->rows[i].town_name;
            category_name = rows->rows[i].category_name;
            break;
        }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "town", json_object_new_string(t->town));
    json_object_object_add(o, "town_name", json_object_new_string(town_name));
    json_object_object_add(o, "category", json_object_new_string(t->category));
    json_object_object_add(o, "category_name", json_object_new_string(category_name));
    json_object_object_add(o, "count", json_object_new_int64(t->count));
    json_object *hist = json_object_new_array();
    for (uint32_t k = 0; k < t->weeks; k++)
        json_object_array_add(hist, json_object_new_int64(t->history[k]));
    json_object_object_add(o, "history", hist);
    json_object_object_add(o, "mean", num(t->mean, 2));
    json_object_object_add(o, "ratio", num(t->count / t->mean, 1));
    json_object_object_add(o, "p", num(t->p, -1));
    return o;
}

static json_object *repeat_json(const fq_jd_rows *rows, const fq_jd_repeat *r)
{
    size_t newest = r->members[r->n_members - 1];
    char label[400];
    if (r->kind == FQ_JD_PHONE)
        mask_phone(r->key, label, sizeof label);
    else if (r->kind == FQ_JD_PERSON)
        mask_name(rows->rows[newest].name, label, sizeof label);
    else
        snprintf(label, sizeof label, "%s", rows->rows[newest].address);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kind", json_object_new_string(KIND_NAMES[r->kind]));
    json_object_object_add(o, "label", json_object_new_string(label));
    json_object_object_add(o, "count", json_object_new_int64((int64_t)r->n_members));
    json_object_object_add(o, "first_ms", json_object_new_int64(r->first_ms));
    json_object_object_add(o, "last_ms", json_object_new_int64(r->last_ms));
    json_object_object_add(o, "town_name", json_object_new_string(rows->rows[newest].town_name));
    /* Where to draw it: the newest of its incidents with a point. */
    for (size_t k = r->n_members; k-- > 0;) {
        const fq_jd_incident *x = &rows->incidents[r->members[k]];
        if (x->has_point) {
            json_object_object_add(o, "lon", num(x->lon, 6));
            json_object_object_add(o, "lat", num(x->lat, 6));
            break;
        }
    }
    json_object_object_add(o, "incidents", incident_list(rows, r->members, r->n_members));
    return o;
}

static json_object *params_json(const fq_findings_config *c, int64_t as_of_ms)
{
    const fq_jd_params *p = &c->params;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "as_of_ms", json_object_new_int64(as_of_ms));
    json_object_object_add(o, "hotspot_min", json_object_new_int64(p->hotspot_min));
    json_object_object_add(o, "hotspot_radius_m", json_object_new_double(p->hotspot_radius_m));
    json_object_object_add(o, "hotspot_days",
                           json_object_new_double((double)p->hotspot_window_ms / 86400000.0));
    json_object_object_add(o, "trend_weeks", json_object_new_int64(p->trend_weeks));
    json_object_object_add(o, "trend_min_count", json_object_new_int64(p->trend_min_count));
    json_object_object_add(o, "trend_p", json_object_new_double(p->trend_p));
    json_object_object_add(o, "repeat_min", json_object_new_int64(p->repeat_min));
    json_object_object_add(o, "repeat_days",
                           json_object_new_double((double)p->repeat_window_ms / 86400000.0));
    json_object_object_add(o, "pending_days", json_object_new_int64(c->pending_days));
    return o;
}

static void answer_findings(judgment_read *q, const fq_jd_rows *rows, const fq_jd_result *res)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "method", params_json(&q->f->config, q->as_of_ms));
    json_object_object_add(doc, "incidents_judged", json_object_new_int64((int64_t)rows->n));
    json_object *a = json_object_new_array();
    if (q->part == P_HOTSPOTS)
        for (size_t i = 0; i < res->n_hotspots; i++)
            json_object_array_add(a, hotspot_json(rows, &res->hotspots[i]));
    else if (q->part == P_TRENDS)
        for (size_t i = 0; i < res->n_trends; i++)
            json_object_array_add(a, trend_json(rows, &res->trends[i]));
    else
        for (size_t i = 0; i < res->n_repeats; i++)
            json_object_array_add(a, repeat_json(rows, &res->repeats[i]));
    json_object_object_add(doc,
                           q->part == P_HOTSPOTS ? "hotspots"
                           : q->part == P_TRENDS ? "trends"
                                                 : "repeats",
                           a);
    fq_web_respond_json(q->r, 200, doc);
}

static void answer_pending(judgment_read *q, const PGresult *res)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "method", params_json(&q->f->config, q->as_of_ms));
    json_object *a = json_object_new_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_object *o = json_object_new_object();
        int64_t received = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        json_object_object_add(o, "id",
                               json_object_new_int64(strtoll(PQgetvalue(res, i, 0), NULL, 10)));
        json_object_object_add(o, "received_ms", json_object_new_int64(received));
        json_object_object_add(o, "title", json_object_new_string(PQgetvalue(res, i, 2)));
        json_object_object_add(o, "category_name", json_object_new_string(PQgetvalue(res, i, 3)));
        json_object_object_add(o, "town_name", json_object_new_string(PQgetvalue(res, i, 4)));
        json_object_object_add(o, "unit_name", json_object_new_string(PQgetvalue(res, i, 5)));
        json_object_object_add(o, "state", json_object_new_string(PQgetvalue(res, i, 6)));
        json_object_object_add(o, "overdue",
                               json_object_new_boolean(PQgetvalue(res, i, 7)[0] == 't'));
        json_object_object_add(o, "suspended_now",
                               json_object_new_boolean(PQgetvalue(res, i, 8)[0] == 't'));
        int64_t now = fq_now_ms(), upto = q->as_of_ms < now ? q->as_of_ms : now;
        json_object_object_add(o, "days_pending", num((double)(upto - received) / 86400000.0, 1));
        json_object_array_add(a, o);
    }
    json_object_object_add(doc, "cases", a);
    fq_web_respond_json(q->r, 200, doc);
}

/* ---- pushes ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int was_known(const fq_findings *f, const char *key)
{
    return f->n_known > 0 && bsearch(&key, f->known, f->n_known, sizeof *f->known, cmp_str) != NULL;
}

typedef struct keyset {
    char **keys;
    size_t n, cap;
} keyset;

static int keyset_add(keyset *s, const char *fmt_kind, const char *a, const char *b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **k = realloc(s->keys, cap * sizeof *k);
        if (k == NULL)
            return -1;
        s->keys = k;
        s->cap = cap;
    }
    size_t len = strlen(fmt_kind) + strlen(a) + strlen(b) + 3;
    char *key = malloc(len);
    if (key == NULL)
        return -1;
    snprintf(key, len, "%s:%s:%s", fmt_kind, a, b);
    s->keys[s->n++] = key;
    return 0;
}

static void keys_free(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void push(fq_findings *f, const char *type, const char *unit, json_object *finding)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "type", json_object_new_string(type));
    json_object_object_add(doc, "finding", finding);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &n);
    size_t len = n + 32;
    char *ev = malloc(len);
    if (ev != NULL) {
        int m = snprintf(ev, len, "event: finding\ndata: %s\n\n", text);
        fq_api_broadcast(f->api, unit, ev, (size_t)m);
        f->pushed++;
        free(ev);
    }
    json_object_put(doc);
}

/* A hotspot is new when none of its incidents was in a hotspot of its
 * category at the previous run (its oldest incident leaving the window
 * does not make it new); a trend when its town and category were not
 * flagged; a repeat source when its key was not. */
static void periodic_done(fq_findings *f, const fq_jd_rows *rows, const fq_jd_result *res)
{
    keyset now = {0};
    char id[24];
    int oom = 0;
    uint64_t pushed_before = f->pushed;
    for (size_t h = 0; h < res->n_hotspots; h++) {
        const fq_jd_hotspot *x = &res->hotspots[h];
        int known = 0;
        for (size_t k = 0; k < x->n_members; k++) {
            snprintf(id, sizeof id, "%" PRId64, rows->incidents[x->members[k]].id);
            oom |= keyset_add(&now, "h", rows->incidents[x->centre].category, id);
            if (!oom && was_known(f, now.keys[now.n - 1]))
                known = 1;
        }
        if (!known && f->learned && !oom)
            push(f, "hotspot", rows->rows[x->centre].unit, hotspot_json(rows, x));
    }
    for (size_t t = 0; t < res->n_trends; t++) {
        const fq_jd_trend *x = &res->trends[t];
        oom |= keyset_add(&now, "t", x->town, x->category);
        if (!oom && f->learned && !was_known(f, now.keys[now.n - 1]) && x->town[0] != '\0')
            push(f, "trend", x->town, trend_json(rows, x));
    }
    for (size_t r = 0; r < res->n_repeats; r++) {
        const fq_jd_repeat *x = &res->repeats[r];
        oom |= keyset_add(&now, "r", KIND_NAMES[x->kind], x->key);
        if (!oom && f->learned && !was_known(f, now.keys[now.n - 1]))
            push(f, "repeat", rows->rows[x->members[x->n_members - 1]].unit, repeat_json(rows, x));
    }
    if (oom) { /* keep what was known: the next run compares with it */
        keys_free(now.keys, now.n);
        return;
    }
    if (now.n > 1)
        qsort(now.keys, now.n, sizeof *now.keys, cmp_str);
    keys_free(f->known, f->n_known);
    f->known = now.keys;
    f->n_known = now.n;
    fq_log(FQ_LOG_INFO, "judgment",
           "run %" PRIu64 ": %zu incidents, %zu hotspots, %zu trends, %zu repeat sources; %" PRIu64
           " new pushed%s",
           f->runs, rows->n, res->n_hotspots, res->n_trends, res->n_repeats,
           f->pushed - pushed_before, f->learned ? "" : " (the first run learns what is there)");
    f->learned = 1;
}

/* ---- reads ---- */

/* On a pool thread: the pure judgment over rows the loop decoded. */
static void judge_work(uv_work_t *w)
{
    judgment_read *q = w->data;
    q->judged = -1;
    if (fq_jd_rows_decode(q->copy, &q->rows) != 0)
        return;
    q->judged = fq_judgment_run_stoppable(q->rows.incidents, q->rows.n, &q->f->config.params,
                                          q->as_of_ms, &q->f->stop, &q->result);
}

static void findings_free(fq_findings *f);

/* Back on the loop: answer the request, or learn and push the run's findings. */
static void after_judge(uv_work_t *w, int status)
{
    judgment_read *q = w->data;
    fq_findings *f = q->f;
    f->working--;
    if (status != 0 || q->judged != 0) {
        if (q->r != NULL)
            fq_web_respond_err(q->r, FQ_EBUSY,
                               q->judged == FQ_JD_STOPPED ? "the server is stopping"
                                                          : "out of memory");
    } else if (q->r != NULL) {
        answer_findings(q, &q->rows, &q->result);
    } else if (!f->stopped) {
        f->runs++;
        periodic_done(f, &q->rows, &q->result);
    }
    if (q->r == NULL)
        f->running = 0;
    if (status == 0 && q->judged == 0)
        fq_jd_result_free(&q->result);
    fq_jd_rows_free(&q->rows);
    PQclear(q->copy);
    free(q);
    if (f->stopped == 2 && f->working == 0)
        findings_free(f);
}

static void read_done(fq_store_op *op, int status, const char *message)
{
    judgment_read *q = (judgment_read *)op;
    fq_findings *f = q->f;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        if (q->r == NULL) {
            f->running = 0;
            fq_log(FQ_LOG_WARN, "judgment", "the periodic read failed: %s",
                   message && message[0] ? message : "the database is away");
        }
        if (q->r != NULL)
            fq_web_respond_store_failed(q->r, message);
        free(q);
        return;
    }
    if (q->r == NULL && f->stopped) { /* nobody will see this run's findings */
        f->running = 0;
        free(q);
        return;
    }
    if (q->part == P_PENDING) {
        answer_pending(q, res);
        free(q);
        return;
    }
    q->copy = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (q->copy == NULL) {
        if (q->r != NULL)
            fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
        else
            f->running = 0;
        free(q);
        return;
    }
    q->work.data = q;
    f->working++;
    if (uv_queue_work(f->loop, &q->work, judge_work, after_judge) != 0) {
        f->working--;
        if (q->r != NULL)
            fq_web_respond_error(q->r, 503, "busy", "the server cannot judge now", 2);
        else
            f->running = 0;
        PQclear(q->copy);
        free(q);
    }
}

/* FQ_SQL_JUDGMENT_PENDING (sql/judgment_pending.sql) on q's op: at most
 * `limit` cases inside q's jurisdiction pending more than `days` at
 * `as_of_ms`, received at most `lookback` days before; read_done reads
 * them. */
static void pending_bind(judgment_read *q, int64_t as_of_ms, unsigned days, unsigned lookback,
                         int limit)
{
    snprintf(q->to, sizeof q->to, "%" PRId64, as_of_ms);
    snprintf(q->days, sizeof q->days, "%u", days);
    snprintf(q->lookback, sizeof q->lookback, "%u", lookback);
    snprintf(q->limit, sizeof q->limit, "%d", limit);
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_JUDGMENT_PENDING_NAME;
    q->op.nparams = FQ_SQL_JUDGMENT_PENDING_NPARAMS;
    q->op.values[0] = q->to;
    q->op.values[1] = q->jurisdiction;
    q->op.values[2] = q->days;
    q->op.values[3] = q->lookback;
    q->op.values[4] = q->limit;
}

/* FQ_SQL_JUDGMENT_INCIDENTS (sql/judgment_incidents.sql) on q's op: the
 * incidents of [from_ms, to_ms) inside q's jurisdiction, which
 * fq_jd_rows_decode reads (text results: judgment_rows.h). */
static void incidents_bind(judgment_read *q, int64_t from_ms, int64_t to_ms)
{
    snprintf(q->from, sizeof q->from, "%" PRId64, from_ms);
    snprintf(q->to, sizeof q->to, "%" PRId64, to_ms);
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_JUDGMENT_INCIDENTS_NAME;
    q->op.nparams = FQ_SQL_JUDGMENT_INCIDENTS_NPARAMS;
    q->op.values[0] = q->from;
    q->op.values[1] = q->to;
    q->op.values[2] = q->jurisdiction;
}

static void submit(fq_findings *f, judgment_read *q)
{
    q->f = f;
    q->op.done = read_done;
    if (q->part == P_PENDING)
        pending_bind(q, q->as_of_ms, f->config.pending_days, f->config.pending_lookback_days,
                     PENDING_ROWS);
    else
        incidents_bind(q, q->as_of_ms - fq_jd_params_reach_ms(&f->config.params), q->as_of_ms);
    fq_store_submit(f->read_store, &q->op);
}

void fq_findings_handle(void *user, fq_web_req *r)
{
    fq_findings *f = user;
    static const char prefix[] = "/api/v1/judgment/";
    const char *path = fq_web_req_path(r);
    const char *name = path + sizeof prefix - 1;
    part p;
    if (strcmp(name, "hotspots") == 0)
        p = P_HOTSPOTS;
    else if (strcmp(name, "trends") == 0)
        p = P_TRENDS;
    else if (strcmp(name, "repeats") == 0)
        p = P_REPEATS;
    else if (strcmp(name, "long-pending") == 0)
        p = P_PENDING;
    else {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    if (strcmp(fq_web_req_method(r), "GET") != 0) {
        fq_web_respond_error(r, 405, "method", "only GET", 0);
        return;
    }
    int64_t as_of = fq_now_ms();
    const char *v = fq_web_req_query(r, "as_of_ms");
    if (v != NULL && v[0] != '\0') {
        char *end = NULL;
        long long x = strtoll(v, &end, 10);
        if (*end != '\0' || x < 946684800000LL || x > MAX_AS_OF_MS) {
            fq_web_respond_err(r, FQ_EINVALID, "as_of_ms must be a time in ms from 2000 to 2100");
            return;
        }
        as_of = x;
    }
    judgment_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->r = r;
    q->part = p;
    q->as_of_ms = as_of;
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", fq_web_req_session(r)->jurisdiction);
    submit(f, q);
}

static void on_timer(uv_timer_t *t)
{
    fq_findings *f = t->data;
    if (f->running)
        return; /* the previous run is still reading: skip a turn */
    judgment_read *q = calloc(1, sizeof *q);
    if (q == NULL)
        return;
    q->part = P_RUN;
    q->as_of_ms = fq_now_ms();
    f->running = 1;
    submit(f, q); /* jurisdiction '': the whole district */
}

fq_findings *fq_findings_new(uv_loop_t *loop, fq_store *read_store, fq_api *api,
                             const fq_findings_config *config)
{
    fq_findings *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->loop = loop;
    f->read_store = read_store;
    f->api = api;
    f->config = *config;
    return f;
}

void fq_findings_start(fq_findings *f)
{
    if (f->config.interval_s == 0 || f->timer != NULL)
        return;
    f->timer = malloc(sizeof *f->timer);
    if (f->timer == NULL)
        return;
    uv_timer_init(f->loop, f->timer);
    f->timer->data = f;
    /* The first run soon after the start (it learns what is there). */
    uint64_t every = (uint64_t)f->config.interval_s * 1000;
    uv_timer_start(f->timer, on_timer, every < 2000 ? every : 2000, every);
    uv_unref((uv_handle_t *)f->timer);
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

void fq_findings_stop(fq_findings *f)
{
    if (f == NULL)
        return;
    if (!f->stopped)
        f->stopped = 1;
    atomic_store(&f->stop, 1);
    if (f->timer != NULL) {
        uv_close((uv_handle_t *)f->timer, free_handle);
        f->timer = NULL;
    }
}

static void findings_free(fq_findings *f)
{
    keys_free(f->known, f->n_known);
    free(f);
}

/* A judgment still on the pool frees f when it comes back (the loop runs
 * until it does: queued work keeps it alive). */
void fq_findings_free(fq_findings *f)
{
    if (f == NULL)
        return;
    fq_findings_stop(f);
    f->stopped = 2;
    if (f->working == 0)
        findings_free(f);
}

uint64_t fq_findings_runs(const fq_findings *f)
{
    return f->runs;
}

uint64_t fq_findings_pushed(const fq_findings *f)
{
    return f->pushed;
}
