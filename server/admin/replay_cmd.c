/* fengqiao-admin replay: "what if" the reports of a period had been routed
 * by another rule set. Reads, in one read-only transaction, the topology the
 * server would load (the same FQ_SQL_LOAD_* queries and routing_state.c), the
 * period's incidents with their recorded decisions and the times the event
 * history gives for acknowledgement, conclusion and escalations; compiles the
 * "rules" of a topology file against the taxonomy; runs the replay core
 * (core/replay.h) and prints what would have changed. Never writes. */
#include "admin.h"
#include "org.h"
#include "replay.h"
#include "routing_state.h"
#include "statements.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_ROWS 20000
#define STR_(x) #x
#define STR(x) STR_(x)

/* The period's incidents, merged reports left out, in reported order, with
 * the reporter's jurisdiction (the fallback place) and from the events: the
 * number of escalations, the first acknowledgement, the last conclusion.
 * %s: the two bounds as literals. */
#define REPLAY_SQL_INCIDENTS                                                                       \
    "DECLARE replay_incidents NO SCROLL CURSOR FOR"                                                \
    " SELECT i.category, i.severity, i.risk, coalesce(i.place_unit, ''), i.lon IS NOT NULL,"       \
    " coalesce(i.lon, 0), coalesce(i.lat, 0), coalesce(n.jurisdiction, ''),"                       \
    " (extract(epoch FROM i.recorded_at) * 1000)::bigint, coalesce(i.tier, 0),"                    \
    " coalesce(i.line, 0), coalesce(i.lead_unit, ''), ev.escalated,"                               \
    " coalesce((extract(epoch FROM ev.acknowledged) * 1000)::bigint, 0),"                          \
    " coalesce((extract(epoch FROM ev.concluded) * 1000)::bigint, 0)"                              \
    " FROM incidents i LEFT JOIN nodes n ON n.id = i.reporter_node"                                \
    " CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE e.kind = 'escalated') AS escalated,"       \
    "  min(e.at) FILTER (WHERE e.kind = 'acknowledged') AS acknowledged,"                          \
    "  max(e.at) FILTER (WHERE e.kind = 'concluded') AS concluded"                                 \
    "  FROM events e WHERE e.incident_id = i.id) ev"                                               \
    " WHERE i.recorded_at >= %s::timestamptz AND i.recorded_at < %s::timestamptz"                  \
    " AND i.state <> 'merged' ORDER BY i.recorded_at, i.id"

typedef struct replay_ctx {
    const char *rules_path, *from, *to;
    int json;
    PGconn *conn;
    fq_org *org;
    fq_routing *routing;
    fq_rules *rules; /* the file's */
    fq_router *router;
    fq_replay *replay;
    admin_rules_file *file;
    size_t n_file_rules;
    fq_replay_incident *incidents;
    size_t n, cap;
    size_t skipped; /* category no longer in the taxonomy */
    int64_t from_ms, to_ms, horizon_ms;
    double replay_s;
} replay_ctx;

/* `sql`'s rows, in text (format 0) or binary (1). */
static PGresult *query_as(PGconn *conn, const char *sql, int format)
{
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, format);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

static PGresult *query(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = query(conn, sql);
    PQclear(res);
    return res != NULL;
}

static int load_org(replay_ctx *c, const PGresult *units)
{
    char err[256];
    c->org = fq_routing_org(units, err, sizeof err);
    if (c->org == NULL) {
        fprintf(stderr, "fengqiao-admin: organisation: %s\n", err);
        return -1;
    }
    return 0;
}

/* The topology as the server loads it, and a router over it with the
 * file's rules. */
static int load_topology(replay_ctx *c)
{
    static const char *const loads[FQ_LOAD_COUNT] = FQ_SQL_LOADS;
    static const int formats[FQ_LOAD_COUNT] = FQ_SQL_LOAD_FORMATS;
    static const int wanted[] = {FQ_LOAD_UNITS,     FQ_LOAD_CATEGORIES,   FQ_LOAD_RULES,
                                 FQ_LOAD_HANDLERS,  FQ_LOAD_WORKERS,      FQ_LOAD_POLYGONS,
                                 FQ_LOAD_CALENDARS, FQ_LOAD_CALENDAR_DAYS};
    PGresult *res[FQ_LOAD_COUNT] = {0};
    int rv = -1;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if ((res[wanted[i]] = query_as(c->conn, loads[wanted[i]], formats[wanted[i]])) == NULL)
            goto done;
    if (load_org(c, res[FQ_LOAD_UNITS]) != 0)
        goto done;
    char err[512];
    c->routing =
        fq_routing_build(c->org, res[FQ_LOAD_CATEGORIES], res[FQ_LOAD_RULES], res[FQ_LOAD_HANDLERS],
                         res[FQ_LOAD_WORKERS], res[FQ_LOAD_POLYGONS], err, sizeof err);
    if (c->routing == NULL) {
        fprintf(stderr, "fengqiao-admin: the recorded topology does not load: %s\n", err);
        goto done;
    }
    /* Working-time rules count on the districts' calendars, as the server's. */
    if (fq_routing_load_calendars(c->routing, res[FQ_LOAD_CALENDARS], res[FQ_LOAD_CALENDAR_DAYS],
                                  err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: the working calendars do not load: %s\n", err);
        goto done;
    }
    int has_rules;
    const fq_rule_row *rows = admin_rules_file_rows(c->file, &c->n_file_rules, &has_rules);
    c->rules = fq_rules_compile(c->routing->taxonomy, 0, rows, c->n_file_rules, err, sizeof err);
    if (c->rules == NULL) {
        fprintf(stderr, "fengqiao-admin: %s: the rules do not compile against the taxonomy: %s\n",
                c->rules_path, err);
        goto done;
    }
    c->router =
        fq_router_new(c->org, c->routing->roster, c->rules, c->routing->geo, err, sizeof err);
    if (c->router == NULL) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        goto done;
    }
    for (size_t i = 0; i < c->routing->n_calendars; i++)
        fq_router_set_calendar(c->router, c->routing->calendars[i].district,
                               &c->routing->calendars[i].calendar);
    rv = 0;
done:
    for (int i = 0; i < FQ_LOAD_COUNT; i++)
        PQclear(res[i]);
    return rv;
}

/* The bounds checked and in milliseconds, and the horizon: the moment of
 * this snapshot. */
static int read_bounds(replay_ctx *c)
{
    const char *params[2] = {c->from, c->to};
    PGresult *res = PQexecParams(c->conn,
                                 "SELECT (extract(epoch FROM $1::timestamptz) * 1000)::bigint,"
                                 " (extract(epoch FROM $2::timestamptz) * 1000)::bigint,"
                                 " (extract(epoch FROM now()) * 1000)::bigint",
                                 2, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(c->conn, res)) {
        PQclear(res);
        return -1;
    }
    c->from_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    c->to_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    c->horizon_ms = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (c->from_ms >= c->to_ms) {
        fprintf(stderr, "fengqiao-admin: --from must come before --to\n");
        return -1;
    }
    return 0;
}

static fq_replay_incident *next_slot(replay_ctx *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        fq_replay_incident *grown = realloc(c->incidents, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        c->incidents = grown;
        c->cap = cap;
    }
    fq_replay_incident *inc = &c->incidents[c->n];
    memset(inc, 0, sizeof *inc);
    return inc;
}

static int add_rows(replay_ctx *c, const PGresult *res)
{
    const fq_routing *r = c->routing;
    for (int i = 0; i < PQntuples(res); i++) {
        int category = fq_taxonomy_find(r->taxonomy, PQgetvalue(res, i, 0));
        if (category < 0) {
            c->skipped++;
            continue;
        }
        fq_replay_incident *inc = next_slot(c);
        if (inc == NULL) {
            fprintf(stderr, "fengqiao-admin: out of memory\n");
            return -1;
        }
        inc->category = (int16_t)category;
        inc->severity = (uint8_t)atoi(PQgetvalue(res, i, 1));
        inc->risk = (uint8_t)atoi(PQgetvalue(res, i, 2));
        const char *place = PQgetvalue(res, i, 3);
        inc->place = place[0] ? fq_org_find(c->org, place) : -1;
        inc->has_location = PQgetvalue(res, i, 4)[0] == 't';
        inc->lon = strtod(PQgetvalue(res, i, 5), NULL);
        inc->lat = strtod(PQgetvalue(res, i, 6), NULL);
        const char *fallback = PQgetvalue(res, i, 7);
        inc->fallback_place = fallback[0] ? fq_org_find(c->org, fallback) : -1;
        inc->reported_ms = strtoll(PQgetvalue(res, i, 8), NULL, 10);
        inc->recorded_tier = (uint8_t)atoi(PQgetvalue(res, i, 9));
        inc->recorded_line = (uint8_t)atoi(PQgetvalue(res, i, 10));
        const char *lead = PQgetvalue(res, i, 11);
        inc->recorded_lead = lead[0] ? fq_roster_find_handler(r->roster, lead) : -1;
        long esc = atol(PQgetvalue(res, i, 12));
        inc->recorded_escalations = (uint16_t)(esc > UINT16_MAX ? UINT16_MAX : esc);
        inc->ack_ms = strtoll(PQgetvalue(res, i, 13), NULL, 10);
        inc->concluded_ms = strtoll(PQgetvalue(res, i, 14), NULL, 10);
        c->n++;
    }
    return 0;
}

static int read_incidents(replay_ctx *c)
{
    char *from = PQescapeLiteral(c->conn, c->from, strlen(c->from));
    char *to = PQescapeLiteral(c->conn, c->to, strlen(c->to));
    int rv = -1;
    if (from == NULL || to == NULL) {
        fprintf(stderr, "fengqiao-admin: %s", PQerrorMessage(c->conn));
        goto done;
    }
    size_t len = strlen(REPLAY_SQL_INCIDENTS) + strlen(from) + strlen(to) + 1;
    char *sql = malloc(len);
    if (sql == NULL)
        goto done;
    snprintf(sql, len, REPLAY_SQL_INCIDENTS, from, to);
    int ok = exec_ok(c->conn, sql);
    free(sql);
    if (!ok)
        goto done;
    for (;;) {
        PGresult *res = query(c->conn, "FETCH FORWARD " STR(FETCH_ROWS) " FROM replay_incidents");
        if (res == NULL)
            goto done;
        int rows = PQntuples(res);
        int added = add_rows(c, res);
        PQclear(res);
        if (added != 0)
            goto done;
        if (rows < FETCH_ROWS)
            break;
    }
    rv = exec_ok(c->conn, "CLOSE replay_incidents") ? 0 : -1;
done:
    PQfreemem(from);
    PQfreemem(to);
    return rv;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the report ---- */

/* A tier's key in the report; 0 is an incident the routing did not place. */
static const char *tier_key(int tier)
{
    return fq_tier_name_or(tier, "unrouted");
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static const char *unit_name(const replay_ctx *c, size_t u)
{
    return u < fq_roster_handler_count(c->routing->roster)
               ? fq_roster_handler_id(c->routing->roster, (int32_t)u)
               : "(village tier, no village unit)";
}

static const char *unit_kind(const replay_ctx *c, size_t u)
{
    return u < fq_roster_handler_count(c->routing->roster)
               ? fq_handler_kind_name(fq_roster_handler_kind(c->routing->roster, (int32_t)u))
               : "village";
}

static void print_json(const replay_ctx *c, const fq_replay_stats *s)
{
    printf("{\"rules_file\":\"");
    for (const char *p = c->rules_path; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        if ((unsigned char)*p >= 0x20)
            putchar(*p);
    }
    printf("\",\"rules\":%zu,\"from_ms\":%" PRId64 ",\"to_ms\":%" PRId64 ",\"horizon_ms\":%" PRId64
           ",\"incidents\":%" PRIu64 ",\"skipped\":%zu",
           c->n_file_rules, c->from_ms, c->to_ms, c->horizon_ms, s->incidents, c->skipped);
    const char *sides[2] = {"recorded", "whatif"};
    const uint64_t *counts[2] = {s->recorded_tier, s->whatif_tier};
    printf(",\"tiers\":{");
    for (int k = 0; k < 2; k++) {
        printf("%s\"%s\":{", k ? "," : "", sides[k]);
        for (int t = 1; t <= 4; t++)
            printf("%s\"%s\":%" PRIu64, t > 1 ? "," : "", tier_key(t % 4), counts[k][t % 4]);
        printf("}");
    }
    printf("},\"shares\":{");
    for (int k = 0; k < 2; k++) {
        printf("%s\"%s\":{", k ? "," : "", sides[k]);
        for (int t = 1; t <= 4; t++)
            printf("%s\"%s\":%.6f", t > 1 ? "," : "", tier_key(t % 4),
                   share(counts[k][t % 4], s->incidents));
        printf("}");
    }
    printf("},\"transitions\":{");
    for (int a = 1; a <= 4; a++) {
        printf("%s\"%s\":{", a > 1 ? "," : "", tier_key(a % 4));
        for (int b = 1; b <= 4; b++)
            printf("%s\"%s\":%" PRIu64, b > 1 ? "," : "", tier_key(b % 4),
                   s->transitions[a % 4][b % 4]);
        printf("}");
    }
    printf("},\"changed\":{\"any\":%" PRIu64 ",\"tier\":%" PRIu64 ",\"line\":%" PRIu64
           ",\"lead\":%" PRIu64 ",\"up\":%" PRIu64 ",\"down\":%" PRIu64 "}",
           s->changed, s->changed_tier, s->changed_line, s->changed_lead, s->moved_up,
           s->moved_down);
    printf(",\"escalations\":{\"recorded\":%" PRIu64 ",\"recorded_incidents\":%" PRIu64
           ",\"predicted\":%" PRIu64 ",\"predicted_breaches\":%" PRIu64 ",\"ack_known\":%" PRIu64
           ",\"ack_pending\":%" PRIu64 "}",
           s->recorded_escalations, s->recorded_escalated, s->predicted_escalations,
           s->predicted_breaches, s->ack_known, s->ack_pending);
    printf(",\"conclusion\":{\"on_time\":%" PRIu64 ",\"late\":%" PRIu64 ",\"unknown\":%" PRIu64
           ",\"known\":%" PRIu64 "}",
           s->on_time, s->late, s->unknown, s->concluded_known);
    printf(",\"units\":[");
    int first = 1;
    for (size_t u = 0; u < s->n_units; u++) {
        const fq_replay_unit *x = &s->units[u];
        if (x->recorded == 0 && x->cases == 0)
            continue;
        printf("%s{\"unit\":", first ? "" : ",");
        if (u + 1 < s->n_units)
            printf("\"%s\"", unit_name(c, u));
        else
            printf("null");
        printf(",\"kind\":\"%s\",\"recorded\":%" PRIu64 ",\"cases\":%" PRIu64
               ",\"on_time\":%" PRIu64 ",\"late\":%" PRIu64 ",\"unknown\":%" PRIu64
               ",\"escalations\":%" PRIu64 ",\"on_time_rate\":",
               unit_kind(c, u), x->recorded, x->cases, x->on_time, x->late, x->unknown,
               x->escalations);
        if (x->on_time + x->late > 0)
            printf("%.6f}", share(x->on_time, x->on_time + x->late));
        else
            printf("null}");
        first = 0;
    }
    printf("],\"replay_s\":%.6f,\"incidents_per_s\":%.0f}\n", c->replay_s,
           c->replay_s > 0 ? (double)s->incidents / c->replay_s : 0.0);
}

static void pct(char *buf, size_t len, uint64_t part, uint64_t whole)
{
    if (whole == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f %%", 100.0 * share(part, whole));
}

static void print_text(const replay_ctx *c, const fq_replay_stats *s)
{
    char a[32], b[32];
    printf("What-if replay: the rules of %s (%zu rules) over [%s, %s)\n", c->rules_path,
           c->n_file_rules, c->from, c->to);
    printf("%" PRIu64 " incidents replayed (merged reports left out", s->incidents);
    if (c->skipped)
        printf("; %zu skipped: category no longer in the taxonomy", c->skipped);
    printf("); nothing was written\n\n");

    printf("%-12s %10s %9s %10s %9s\n", "TIER", "RECORDED", "SHARE", "WHAT-IF", "SHARE");
    for (int t = 1; t <= 4; t++) {
        pct(a, sizeof a, s->recorded_tier[t % 4], s->incidents);
        pct(b, sizeof b, s->whatif_tier[t % 4], s->incidents);
        printf("%-12s %10" PRIu64 " %9s %10" PRIu64 " %9s\n", t == 4 ? "not routed" : tier_key(t),
               s->recorded_tier[t % 4], a, s->whatif_tier[t % 4], b);
    }
    printf("\ndecisions changed: %" PRIu64 " (tier %" PRIu64 ": %" PRIu64 " up, %" PRIu64
           " down; line %" PRIu64 "; lead unit %" PRIu64 ")\n",
           s->changed, s->changed_tier, s->moved_up, s->moved_down, s->changed_line,
           s->changed_lead);
    printf("escalations: recorded %" PRIu64 " (in %" PRIu64 " incidents); predicted %" PRIu64
           ", and %" PRIu64 " missed acknowledge limits at the district (nothing above)\n",
           s->recorded_escalations, s->recorded_escalated, s->predicted_escalations,
           s->predicted_breaches);
    printf("  acknowledgement recorded for %" PRIu64 "; not recorded and not yet due: %" PRIu64
           "\n",
           s->ack_known, s->ack_pending);
    printf("conclusion within the what-if limit: on time %" PRIu64 ", late %" PRIu64
           ", unknown (no conclusion recorded) %" PRIu64 "\n\n",
           s->on_time, s->late, s->unknown);

    printf("%-32s %-11s %8s %8s %8s %6s %8s %8s %11s\n", "UNIT", "KIND", "RECORDED", "WHAT-IF",
           "ON TIME", "LATE", "UNKNOWN", "ON-TIME", "ESCALATIONS");
    for (size_t u = 0; u < s->n_units; u++) {
        const fq_replay_unit *x = &s->units[u];
        if (x->recorded == 0 && x->cases == 0)
            continue;
        pct(a, sizeof a, x->on_time, x->on_time + x->late);
        printf("%-32s %-11s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %8" PRIu64
               " %8s %11" PRIu64 "\n",
               unit_name(c, u), unit_kind(c, u), x->recorded, x->cases, x->on_time, x->late,
               x->unknown, a, x->escalations);
    }
    printf("\nreplayed in %.3f s (%.0f incidents/s)\n", c->replay_s,
           c->replay_s > 0 ? (double)s->incidents / c->replay_s : 0.0);
}

static void ctx_free(replay_ctx *c)
{
    fq_replay_free(c->replay);
    fq_router_free(c->router);
    fq_rules_free(c->rules);
    fq_routing_free(c->routing);
    fq_org_free(c->org);
    admin_rules_file_free(c->file);
    free(c->incidents);
    if (c->conn)
        PQfinish(c->conn);
}

int cmd_replay(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin replay --rules FILE --from TIME --to TIME [--json]\n"
        "What if the incidents reported in [--from, --to) had been routed by the rules of\n"
        "FILE (a topology JSON file, docs/topology.md; only its \"rules\" are used)? Routes\n"
        "the recorded reports again over today's topology and prints the shares kept at\n"
        "village, town and district, recorded and what-if; the decisions that change;\n"
        "escalations recorded and predicted; and per unit the cases and the predicted\n"
        "on-time rate (docs/routing.md, \"What-if replay\"). Reads in one read-only\n"
        "transaction and writes nothing.\n"
        "\n"
        "  --rules FILE   the alternative rules\n"
        "  --from TIME    start of the period (any PostgreSQL timestamptz: '2025-01-01',\n"
        "                 '2025-01-01 08:00+08', 'today', ...)\n"
        "  --to TIME      end of the period, excluded (e.g. 'now')\n"
        "  --json         one JSON object instead of the tables\n";
    replay_ctx c;
    memset(&c, 0, sizeof c);
    opt_slot slots[] = {{"--rules", &c.rules_path, NULL},
                        {"--from", &c.from, NULL},
                        {"--to", &c.to, NULL},
                        {"--json", NULL, &c.json}};
    int rv = admin_parse_options(argc, argv, 1, slots, 4, NULL, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (c.rules_path == NULL || c.from == NULL || c.to == NULL) {
        fputs(help, stderr);
        return 2;
    }
    char err[1024];
    c.file = admin_rules_file_read(c.rules_path, err, sizeof err);
    if (c.file == NULL) {
        fprintf(stderr, "fengqiao-admin: %s: %s\n", c.rules_path, err);
        return 1;
    }
    size_t n_rules;
    int has_rules;
    admin_rules_file_rows(c.file, &n_rules, &has_rules);
    if (!has_rules) {
        fprintf(stderr, "fengqiao-admin: %s: no \"rules\" to replay with\n", c.rules_path);
        ctx_free(&c);
        return 1;
    }
    rv = 1;
    c.conn = admin_connect(g);
    /* Read only, twice over: the session default and the transaction. */
    if (c.conn == NULL || !exec_ok(c.conn, "SET default_transaction_read_only = on") ||
        !exec_ok(c.conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ||
        read_bounds(&c) != 0 || load_topology(&c) != 0 || read_incidents(&c) != 0 ||
        !exec_ok(c.conn, "COMMIT"))
        goto done;
    PQfinish(c.conn);
    c.conn = NULL;

    c.replay = fq_replay_new(c.router, c.routing->roster, c.n ? c.n : 1, err, sizeof err);
    if (c.replay == NULL) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        goto done;
    }
    fq_replay_stats stats;
    double t0 = now_s();
    if (fq_replay_run(c.replay, c.incidents, c.n, c.horizon_ms, &stats, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: replay: %s\n", err);
        goto done;
    }
    c.replay_s = now_s() - t0;
    if (c.json)
        print_json(&c, &stats);
    else
        print_text(&c, &stats);
    rv = 0;
done:
    ctx_free(&c);
    return rv;
}
