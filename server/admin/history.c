/* fengqiao-admin history commands: an incident's timeline, verification of
 * the event hash chain (in the database, or offline in an export), exports
 * of a period as JSON lines, and the monthly partitions of the event log.
 * docs/history.md describes the chain and the exact hashed bytes; chain.h
 * computes them, here and in the server that writes them. */
#include "admin.h"
#include "chain.h"
#include "evidence_audit.h"

#include <errno.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HASH_BYTES FQ_CHAIN_HASH_BYTES
#define FETCH_ROWS "10000"
/* Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's timestamp epoch. */
#define PG_EPOCH_US INT64_C(946684800000000)
#define EXPORT_FORMAT 1

/* Exit codes of verify (docs/history.md). */
enum { VERIFY_OK = 0, VERIFY_BROKEN = 1, VERIFY_USAGE = 2, VERIFY_CANNOT = 3 };

/* One event as hashed: every column the hash covers. Strings and bytes are
 * not NUL-terminated; NULL pointers are SQL NULLs (actor, payload). */
typedef struct event {
    int64_t seq, incident_id, at_us;
    const char *kind, *actor, *reason;
    size_t kind_len, actor_len, reason_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t prev_hash[HASH_BYTES], hash[HASH_BYTES];
} event;

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* The event's hash from its columns and prev_hash (chain.h: what the server
 * computed when it wrote it, and fq_event_hash() in SQL). */
static void event_hash(const event *e, uint8_t out[HASH_BYTES])
{
    fq_chain_event c = {e->seq,        e->incident_id, e->at_us,      e->kind,
                        e->actor,      e->reason,      e->kind_len,   e->actor_len,
                        e->reason_len, e->payload,     e->payload_len};
    fq_chain_hash(e->prev_hash, &c, out);
}

static void hex(const uint8_t h[HASH_BYTES], char out[2 * HASH_BYTES + 1])
{
    sodium_bin2hex(out, 2 * HASH_BYTES + 1, h, HASH_BYTES);
}

static int is_zero(const uint8_t h[HASH_BYTES])
{
    return sodium_is_zero(h, HASH_BYTES);
}

/* ---- the chain walk, shared by the database and the file ---- */

typedef struct chain {
    int64_t count, first_seq, last_seq;
    uint8_t start_prev[HASH_BYTES]; /* the first event's prev_hash */
    uint8_t last_hash[HASH_BYTES];
    char broken[1024]; /* the first broken link; empty while whole */
} chain;

/* Checks one event against its own hash and its predecessor. 0, or -1 with
 * chain.broken set. The first event's prev_hash is not checked here: the
 * caller decides what it must be. */
static int chain_step(chain *c, const event *e)
{
    uint8_t computed[HASH_BYTES];
    char a[2 * HASH_BYTES + 1], b[2 * HASH_BYTES + 1];
    if (c->count > 0 && e->seq <= c->last_seq) {
        snprintf(c->broken, sizeof c->broken,
                 "seq %lld (incident %lld, %.*s): seq does not increase (the event before is "
                 "seq %lld)",
                 (long long)e->seq, (long long)e->incident_id, (int)e->kind_len, e->kind,
                 (long long)c->last_seq);
        return -1;
    }
    event_hash(e, computed);
    if (sodium_memcmp(computed, e->hash, HASH_BYTES) != 0) {
        hex(e->hash, a);
        hex(computed, b);
        snprintf(c->broken, sizeof c->broken,
                 "seq %lld (incident %lld, %.*s): hash mismatch: stored %s, the columns hash to "
                 "%s (a hashed column or the hash was changed)",
                 (long long)e->seq, (long long)e->incident_id, (int)e->kind_len, e->kind, a, b);
        return -1;
    }
    if (c->count > 0 && sodium_memcmp(e->prev_hash, c->last_hash, HASH_BYTES) != 0) {
        hex(e->prev_hash, a);
        hex(c->last_hash, b);
        int n = snprintf(c->broken, sizeof c->broken,
                         "seq %lld (incident %lld, %.*s): prev_hash %s is not the hash %s of the "
                         "event before it in the chain (seq %lld)",
                         (long long)e->seq, (long long)e->incident_id, (int)e->kind_len, e->kind, a,
                         b, (long long)c->last_seq);
        if (e->seq > c->last_seq + 1 && n > 0 && (size_t)n < sizeof c->broken)
            snprintf(c->broken + n, sizeof c->broken - (size_t)n,
                     "; seq %lld..%lld absent: an event was removed", (long long)c->last_seq + 1,
                     (long long)e->seq - 1);
        return -1;
    }
    if (c->count == 0) {
        c->first_seq = e->seq;
        memcpy(c->start_prev, e->prev_hash, HASH_BYTES);
    }
    c->count++;
    c->last_seq = e->seq;
    memcpy(c->last_hash, e->hash, HASH_BYTES);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_rate(const chain *c, double seconds)
{
    printf("verified %lld event%s", (long long)c->count, c->count == 1 ? "" : "s");
    if (c->count > 0)
        printf(" (seq %lld .. %lld)", (long long)c->first_seq, (long long)c->last_seq);
    printf(" in %.2f s (%.0f events/s)\n", seconds, seconds > 0 ? (double)c->count / seconds : 0.0);
}

/* ---- reading events from the database ---- */

/* The columns every event query selects, in this order, in binary. */
#define EVENT_COLUMNS "seq, incident_id, kind, actor_node, at, reason, payload, prev_hash, hash"

/* Row `row` of a binary result of EVENT_COLUMNS. 0, or -1 on a malformed row. */
static int event_from_row(PGresult *res, int row, event *e)
{
    for (int c = 0; c < 9; c++) {
        int null_ok = c == 3 || c == 6;
        if (PQgetisnull(res, row, c) && !null_ok)
            return -1;
    }
    if (PQgetlength(res, row, 0) != 8 || PQgetlength(res, row, 1) != 8 ||
        PQgetlength(res, row, 4) != 8 || PQgetlength(res, row, 7) != HASH_BYTES ||
        PQgetlength(res, row, 8) != HASH_BYTES)
        return -1;
    e->seq = (int64_t)get_be64((const uint8_t *)PQgetvalue(res, row, 0));
    e->incident_id = (int64_t)get_be64((const uint8_t *)PQgetvalue(res, row, 1));
    e->kind = PQgetvalue(res, row, 2);
    e->kind_len = (size_t)PQgetlength(res, row, 2);
    e->actor = PQgetisnull(res, row, 3) ? NULL : PQgetvalue(res, row, 3);
    e->actor_len = e->actor ? (size_t)PQgetlength(res, row, 3) : 0;
    e->at_us = (int64_t)get_be64((const uint8_t *)PQgetvalue(res, row, 4)) + PG_EPOCH_US;
    e->reason = PQgetvalue(res, row, 5);
    e->reason_len = (size_t)PQgetlength(res, row, 5);
    e->payload = PQgetisnull(res, row, 6) ? NULL : (const uint8_t *)PQgetvalue(res, row, 6);
    e->payload_len = e->payload ? (size_t)PQgetlength(res, row, 6) : 0;
    memcpy(e->prev_hash, PQgetvalue(res, row, 7), HASH_BYTES);
    memcpy(e->hash, PQgetvalue(res, row, 8), HASH_BYTES);
    return 0;
}

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    return ok;
}

/* Connects for reading history: UTF-8 text (the hashed bytes), one
 * repeatable-read snapshot for everything that follows. NULL on failure. */
static PGconn *history_connect(const globals *g)
{
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return NULL;
    if (PQsetClientEncoding(conn, "UTF8") != 0 ||
        !exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) {
        fprintf(stderr, "fengqiao-admin: cannot start a snapshot: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* A period: [from, to) resolved to the seq range of its events. */
typedef struct period {
    const char *from, *to; /* NULL: open */
    int64_t first_seq, last_seq, count;
    int empty;
} period;

/* Resolves the period inside the snapshot: the events from the first with
 * `at` in [from, to) to the last such in seq order (so the range is a
 * contiguous piece of the chain). 0, or -1 (printed). */
static int period_resolve(PGconn *conn, period *p)
{
    const char *params[2] = {p->from ? p->from : "-infinity", p->to ? p->to : "infinity"};
    PGresult *res = PQexecParams(conn,
                                 "SELECT min(seq), max(seq) FROM events"
                                 " WHERE at >= $1::timestamptz AND at < $2::timestamptz",
                                 2, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    p->empty = PQgetisnull(res, 0, 0);
    p->first_seq = p->empty ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    p->last_seq = p->empty ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    p->count = 0;
    if (p->empty)
        return 0;
    char a[24], b[24];
    snprintf(a, sizeof a, "%lld", (long long)p->first_seq);
    snprintf(b, sizeof b, "%lld", (long long)p->last_seq);
    const char *range[2] = {a, b};
    res = PQexecParams(conn, "SELECT count(*) FROM events WHERE seq BETWEEN $1 AND $2", 2, NULL,
                       range, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok)
        p->count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return ok ? 0 : -1;
}

/* Declares cursor `c` over the events in seq order (a period's seq range,
 * or all). 0, or -1 (printed). */
static int declare_cursor(PGconn *conn, const period *p)
{
    char sql[512];
    if (p != NULL)
        snprintf(sql, sizeof sql,
                 "DECLARE c NO SCROLL CURSOR FOR SELECT " EVENT_COLUMNS
                 " FROM events WHERE seq BETWEEN %lld AND %lld ORDER BY seq",
                 (long long)p->first_seq, (long long)p->last_seq);
    else
        snprintf(sql, sizeof sql,
                 "DECLARE c NO SCROLL CURSOR FOR SELECT " EVENT_COLUMNS
                 " FROM events ORDER BY seq");
    return exec_ok(conn, sql) ? 0 : -1;
}

/* The next batch of the cursor, binary; NULL after printing an error. */
static PGresult *fetch(PGconn *conn)
{
    PGresult *res = PQexecParams(conn, "FETCH " FETCH_ROWS " FROM c", 0, NULL, NULL, NULL, NULL, 1);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

/* ---- timeline ---- */

int cmd_timeline(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin timeline INCIDENT_ID\n"
        "The incident's events in order: seq, time, kind, actor (fengqiaod for the server's\n"
        "own), reason. Times in the database session's time zone.\n";
    const char *id = NULL;
    int rv = admin_parse_options(argc, argv, 1, NULL, 0, &id, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    char *end;
    errno = 0;
    long long n = id ? strtoll(id, &end, 10) : 0;
    if (id == NULL || *end != '\0' || errno != 0 || n <= 0) {
        fprintf(stderr, "fengqiao-admin: timeline needs an incident id (a positive number)\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *params[1] = {id};
    PGresult *inc = PQexecParams(conn,
                                 "SELECT title, category, (ARRAY['I','II','III','IV'])[severity],"
                                 " state, coalesce(merged_into::text, '') FROM incidents"
                                 " WHERE id = $1::bigint",
                                 1, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, inc) || PQntuples(inc) != 1) {
        if (PQresultStatus(inc) == PGRES_TUPLES_OK)
            fprintf(stderr, "fengqiao-admin: no incident %s\n", id);
        PQclear(inc);
        PQfinish(conn);
        return 1;
    }
    printf("incident %s: %s (%s, severity %s, %s%s%s)\n", id, PQgetvalue(inc, 0, 0),
           PQgetvalue(inc, 0, 1), PQgetvalue(inc, 0, 2), PQgetvalue(inc, 0, 3),
           PQgetvalue(inc, 0, 4)[0] ? " into incident " : "", PQgetvalue(inc, 0, 4));
    PQclear(inc);
    PGresult *res =
        PQexecParams(conn,
                     "SELECT seq, to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS TZH:TZM'), kind,"
                     " coalesce(actor_node, 'fengqiaod'), reason FROM events"
                     " WHERE incident_id = $1::bigint ORDER BY seq",
                     1, NULL, params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok) {
        static const char *const headers[] = {"SEQ", "TIME", "KIND", "ACTOR", "REASON"};
        int widths[5] = {0};
        for (int r = -1; r < PQntuples(res); r++)
            for (int c = 0; c < 4; c++) {
                int len = (int)strlen(r < 0 ? headers[c] : PQgetvalue(res, r, c));
                if (len > widths[c])
                    widths[c] = len;
            }
        for (int r = -1; r < PQntuples(res); r++) {
            for (int c = 0; c < 4; c++)
                printf("%-*s  ", widths[c], r < 0 ? headers[c] : PQgetvalue(res, r, c));
            printf("%s\n", r < 0 ? headers[4] : PQgetvalue(res, r, 4));
        }
        printf("(%d event%s)\n", PQntuples(res), PQntuples(res) == 1 ? "" : "s");
    }
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

/* ---- verify (database) ---- */

/* Where the attached chain starts: genesis, or the last hash of the latest
 * archived (detached) partition (described in `note`). Sets c->broken when
 * it is neither. 0, or -1 when the database could not be read. */
static int check_start(PGconn *conn, chain *c, char *note, size_t note_len)
{
    char h[2 * HASH_BYTES + 1];
    if (c->count == 0)
        return 0;
    if (is_zero(c->start_prev)) {
        snprintf(note, note_len, "the chain starts at genesis (seq %lld, prev_hash 32 zero bytes)",
                 (long long)c->first_seq);
        return 0;
    }
    PGresult *res = PQexecParams(conn,
                                 "SELECT partition, last_seq, last_hash FROM event_archives"
                                 " WHERE last_seq IS NOT NULL ORDER BY last_seq DESC LIMIT 1",
                                 0, NULL, NULL, NULL, NULL, 1);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    if (PQntuples(res) == 1 && PQgetlength(res, 0, 2) == HASH_BYTES &&
        (int64_t)get_be64((const uint8_t *)PQgetvalue(res, 0, 1)) < c->first_seq &&
        memcmp(PQgetvalue(res, 0, 2), c->start_prev, HASH_BYTES) == 0) {
        snprintf(note, note_len,
                 "the chain continues the archived partition %s (its last event is seq %lld)",
                 PQgetvalue(res, 0, 0),
                 (long long)get_be64((const uint8_t *)PQgetvalue(res, 0, 1)));
        PQclear(res);
        return 0;
    }
    PQclear(res);
    hex(c->start_prev, h);
    snprintf(c->broken, sizeof c->broken,
             "seq %lld: the first event's prev_hash %s is neither genesis nor the last hash of "
             "the latest archived partition: earlier events are missing",
             (long long)c->first_seq, h);
    return 0;
}

/* The head row must name the last event of the chain. */
static int check_head(PGconn *conn, chain *c)
{
    char a[2 * HASH_BYTES + 1], b[2 * HASH_BYTES + 1];
    PGresult *res =
        PQexecParams(conn, "SELECT seq, hash FROM event_chain_head", 0, NULL, NULL, NULL, NULL, 1);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    if (PQntuples(res) != 1 || PQgetlength(res, 0, 1) != HASH_BYTES) {
        snprintf(c->broken, sizeof c->broken, "event_chain_head has no valid row");
        PQclear(res);
        return 0;
    }
    int64_t seq = (int64_t)get_be64((const uint8_t *)PQgetvalue(res, 0, 0));
    const uint8_t *hash = (const uint8_t *)PQgetvalue(res, 0, 1);
    if (c->count > 0 && (seq != c->last_seq || memcmp(hash, c->last_hash, HASH_BYTES) != 0)) {
        hex(hash, a);
        hex(c->last_hash, b);
        snprintf(c->broken, sizeof c->broken,
                 "the chain head (seq %lld, hash %s) is not the last event (seq %lld, hash %s)%s",
                 (long long)seq, a, (long long)c->last_seq, b,
                 seq > c->last_seq ? ": events at the end were removed" : "");
    } else if (c->count == 0 && seq != 0) {
        snprintf(c->broken, sizeof c->broken,
                 "the chain head names seq %lld but no event is attached (were all partitions "
                 "detached? then this is expected only if seq %lld is the last archived one)",
                 (long long)seq, (long long)seq);
    }
    PQclear(res);
    return 0;
}

static int verify_database(const globals *g, const char *from, const char *to)
{
    PGconn *conn = history_connect(g);
    if (conn == NULL)
        return VERIFY_CANNOT;
    period p = {from, to, 0, 0, 0, 0};
    int whole = from == NULL && to == NULL;
    chain c;
    memset(&c, 0, sizeof c);
    if (!whole) {
        if (period_resolve(conn, &p) != 0) {
            PQfinish(conn);
            return VERIFY_CANNOT;
        }
        if (p.empty) {
            printf("no events in the period\n");
            PQfinish(conn);
            return VERIFY_OK;
        }
    }
    double t0 = now_s();
    fq_evidence_audit *photos = fq_evidence_audit_new();
    if (photos == NULL || declare_cursor(conn, whole ? NULL : &p) != 0) {
        fq_evidence_audit_free(photos);
        PQfinish(conn);
        return VERIFY_CANNOT;
    }
    int failed = 0;
    for (;;) {
        PGresult *res = fetch(conn);
        if (res == NULL) {
            fq_evidence_audit_free(photos);
            PQfinish(conn);
            return VERIFY_CANNOT;
        }
        int rows = PQntuples(res);
        for (int r = 0; r < rows && !failed; r++) {
            event e;
            if (event_from_row(res, r, &e) != 0) {
                fprintf(stderr, "fengqiao-admin: verify: an unexpected row from the database\n");
                fq_evidence_audit_free(photos);
                PQclear(res);
                PQfinish(conn);
                return VERIFY_CANNOT;
            }
            failed = chain_step(&c, &e) != 0;
            /* The photos a node's envelope names (evidence_audit.h). */
            if (!failed && e.actor != NULL && e.payload != NULL &&
                fq_evidence_audit_event(photos, e.seq, e.payload, e.payload_len) != 0) {
                fprintf(stderr, "fengqiao-admin: verify: out of memory\n");
                fq_evidence_audit_free(photos);
                PQclear(res);
                PQfinish(conn);
                return VERIFY_CANNOT;
            }
        }
        PQclear(res);
        if (rows == 0 || failed)
            break;
    }
    double seconds = now_s() - t0;
    int rv = 0;
    char note[512] = "";
    if (!failed && whole) {
        rv = check_start(conn, &c, note, sizeof note);
        if (rv == 0 && c.broken[0] == '\0')
            rv = check_head(conn, &c);
    }
    /* The photos of the events walked, once the chain that names them holds. */
    char *photo_lines = NULL;
    size_t photo_len = 0;
    int photos_broken = 0;
    if (rv == 0 && c.broken[0] == '\0' && c.count > 0) {
        FILE *mem = open_memstream(&photo_lines, &photo_len);
        if (mem == NULL)
            rv = -1;
        else {
            photos_broken = fq_evidence_audit_rows(photos, conn, c.first_seq, c.last_seq, mem, 20);
            fclose(mem);
            if (photos_broken < 0)
                rv = -1;
        }
    }
    fq_evidence_audit_free(photos);
    PQfinish(conn);
    if (rv != 0) {
        free(photo_lines);
        return VERIFY_CANNOT;
    }
    print_rate(&c, seconds);
    if (photo_lines != NULL)
        fputs(photo_lines, stdout);
    free(photo_lines);
    if (c.broken[0] != '\0') {
        printf("BROKEN: %s\n", c.broken);
        return VERIFY_BROKEN;
    }
    if (photos_broken)
        return VERIFY_BROKEN;
    char h[2 * HASH_BYTES + 1];
    if (note[0] != '\0')
        printf("%s\n", note);
    if (!whole) {
        hex(c.start_prev, h);
        if (is_zero(c.start_prev))
            printf("the period starts at genesis\n");
        else
            printf("the period's first prev_hash is taken as given: %s\n"
                   "(verify without --from/--to to check the chain up to it)\n",
                   h);
    }
    if (c.count > 0) {
        hex(c.last_hash, h);
        printf("%s: seq %lld hash %s\n", whole ? "chain head" : "last event", (long long)c.last_seq,
               h);
    }
    printf("OK\n");
    return VERIFY_OK;
}

/* ---- export ---- */

static void format_at(int64_t at_us, char *out, size_t len)
{
    int64_t s = at_us >= 0 ? at_us / 1000000 : -((-at_us + 999999) / 1000000);
    int64_t us = at_us - s * 1000000;
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%06lldZ", base, (long long)us);
}

static json_object *json_hex(const uint8_t h[HASH_BYTES])
{
    char text[2 * HASH_BYTES + 1];
    hex(h, text);
    return json_object_new_string(text);
}

/* One line of the export. */
static int write_event(FILE *out, const event *e)
{
    json_object *o = json_object_new_object();
    char at[48];
    format_at(e->at_us, at, sizeof at);
    json_object_object_add(o, "seq", json_object_new_int64(e->seq));
    json_object_object_add(o, "incident_id", json_object_new_int64(e->incident_id));
    json_object_object_add(o, "kind", json_object_new_string_len(e->kind, (int)e->kind_len));
    json_object_object_add(
        o, "actor_node", e->actor ? json_object_new_string_len(e->actor, (int)e->actor_len) : NULL);
    json_object_object_add(o, "at", json_object_new_string(at));
    json_object_object_add(o, "at_us", json_object_new_int64(e->at_us));
    json_object_object_add(o, "reason", json_object_new_string_len(e->reason, (int)e->reason_len));
    if (e->payload) {
        size_t b64_len = sodium_base64_encoded_len(e->payload_len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(b64_len);
        if (b64 == NULL) {
            json_object_put(o);
            return -1;
        }
        sodium_bin2base64(b64, b64_len, e->payload, e->payload_len, sodium_base64_VARIANT_ORIGINAL);
        json_object_object_add(o, "payload", json_object_new_string(b64));
        free(b64);
    } else {
        json_object_object_add(o, "payload", NULL);
    }
    json_object_object_add(o, "prev_hash", json_hex(e->prev_hash));
    json_object_object_add(o, "hash", json_hex(e->hash));
    int rv = fprintf(out, "%s\n",
                     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE)) < 0
                 ? -1
                 : 0;
    json_object_put(o);
    return rv;
}

/* prev_hash of the first and hash of the last event of a period. */
static int period_ends(PGconn *conn, const period *p, uint8_t prev[HASH_BYTES],
                       uint8_t last[HASH_BYTES])
{
    char a[24], b[24];
    snprintf(a, sizeof a, "%lld", (long long)p->first_seq);
    snprintf(b, sizeof b, "%lld", (long long)p->last_seq);
    const char *params[2] = {a, b};
    PGresult *res = PQexecParams(conn,
                                 "SELECT (SELECT prev_hash FROM events WHERE seq = $1::bigint),"
                                 " (SELECT hash FROM events WHERE seq = $2::bigint)",
                                 2, NULL, params, NULL, NULL, 1);
    int ok = admin_command_ok(conn, res) && PQgetlength(res, 0, 0) == HASH_BYTES &&
             PQgetlength(res, 0, 1) == HASH_BYTES;
    if (ok) {
        memcpy(prev, PQgetvalue(res, 0, 0), HASH_BYTES);
        memcpy(last, PQgetvalue(res, 0, 1), HASH_BYTES);
    }
    PQclear(res);
    return ok ? 0 : -1;
}

int cmd_export(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin export --from TIME --to TIME --out FILE\n"
        "Writes the events of [FROM, TO) - from the first event at or after FROM to the last\n"
        "before TO, in seq order - as JSON lines: a header line (period, count, first\n"
        "prev_hash, last hash), then one line per event with every hashed column.\n"
        "'fengqiao-admin verify --file FILE' checks it without a database. TIME is anything\n"
        "PostgreSQL reads as timestamptz ('2026-11-01', '2026-11-01 08:00+08').\n"
        "Refuses to overwrite FILE.\n";
    const char *from = NULL, *to = NULL, *path = NULL;
    opt_slot slots[] = {{"--from", &from, NULL}, {"--to", &to, NULL}, {"--out", &path, NULL}};
    int rv = admin_parse_options(argc, argv, 1, slots, 3, NULL, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (from == NULL || to == NULL || path == NULL) {
        fprintf(stderr, "fengqiao-admin: export needs --from, --to and --out\n");
        return 2;
    }
    PGconn *conn = history_connect(g);
    if (conn == NULL)
        return 1;
    period p = {from, to, 0, 0, 0, 0};
    uint8_t prev[HASH_BYTES] = {0}, last[HASH_BYTES] = {0};
    if (period_resolve(conn, &p) != 0 || (!p.empty && period_ends(conn, &p, prev, last) != 0)) {
        PQfinish(conn);
        return 1;
    }
    /* The period's bounds as the database read them, UTC. */
    const char *params[2] = {from, to};
    PGresult *bounds = PQexecParams(
        conn,
        "SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        " to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
        2, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, bounds)) {
        PQclear(bounds);
        PQfinish(conn);
        return 1;
    }
    FILE *out = fopen(path, "wx");
    if (out == NULL) {
        fprintf(stderr, "fengqiao-admin: cannot create %s: %s\n", path, strerror(errno));
        PQclear(bounds);
        PQfinish(conn);
        return 1;
    }
    json_object *h = json_object_new_object();
    json_object_object_add(h, "fengqiao_events_export", json_object_new_int(EXPORT_FORMAT));
    json_object_object_add(h, "from", json_object_new_string(PQgetvalue(bounds, 0, 0)));
    json_object_object_add(h, "to", json_object_new_string(PQgetvalue(bounds, 0, 1)));
    json_object_object_add(h, "exported_at", json_object_new_string(PQgetvalue(bounds, 0, 2)));
    json_object_object_add(h, "count", json_object_new_int64(p.count));
    json_object_object_add(h, "first_seq", p.empty ? NULL : json_object_new_int64(p.first_seq));
    json_object_object_add(h, "last_seq", p.empty ? NULL : json_object_new_int64(p.last_seq));
    json_object_object_add(h, "prev_hash", p.empty ? NULL : json_hex(prev));
    json_object_object_add(h, "last_hash", p.empty ? NULL : json_hex(last));
    PQclear(bounds);
    int ok = fprintf(out, "%s\n",
                     json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE)) > 0;
    json_object_put(h);
    int64_t written = 0;
    if (ok && !p.empty) {
        ok = declare_cursor(conn, &p) == 0;
        while (ok) {
            PGresult *res = fetch(conn);
            if (res == NULL) {
                ok = 0;
                break;
            }
            int rows = PQntuples(res);
            for (int r = 0; r < rows && ok; r++) {
                event e;
                ok = event_from_row(res, r, &e) == 0 && write_event(out, &e) == 0;
                written++;
            }
            PQclear(res);
            if (rows == 0)
                break;
        }
    }
    PQfinish(conn);
    if (fflush(out) != 0 || ferror(out))
        ok = 0;
    if (fclose(out) != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "fengqiao-admin: export to %s failed; removing it\n", path);
        remove(path);
        return 1;
    }
    char hh[2 * HASH_BYTES + 1];
    hex(last, hh);
    if (p.empty)
        printf("exported 0 events to %s (no events in the period)\n", path);
    else
        printf("exported %lld events (seq %lld .. %lld) to %s; last hash %s\n", (long long)written,
               (long long)p.first_seq, (long long)p.last_seq, path, hh);
    return 0;
}

/* ---- verify (file) ---- */

static int json_hash(json_object *o, const char *key, uint8_t out[HASH_BYTES])
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return -1;
    size_t bin_len = 0;
    const char *text = json_object_get_string(v);
    if (strlen(text) != 2 * HASH_BYTES ||
        sodium_hex2bin(out, HASH_BYTES, text, 2 * HASH_BYTES, NULL, &bin_len, NULL) != 0 ||
        bin_len != HASH_BYTES)
        return -1;
    return 0;
}

static int json_int64(json_object *o, const char *key, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    errno = 0;
    *out = json_object_get_int64(v);
    return errno == 0 ? 0 : -1;
}

/* A string member, or NULL for JSON null when nullable. -1 when absent or
 * of another type. */
static int json_text(json_object *o, const char *key, int nullable, const char **s, size_t *len)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return -1;
    if (v == NULL) {
        *s = NULL;
        *len = 0;
        return nullable ? 0 : -1;
    }
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    return 0;
}

static json_object *parse_line(const char *line, size_t len)
{
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static int verify_file(const char *path)
{
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "fengqiao-admin: cannot open %s: %s\n", path, strerror(errno));
        return VERIFY_CANNOT;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rv = VERIFY_OK;
    json_object *header = NULL;
    int64_t count = 0, first_seq = 0, last_seq = 0;
    uint8_t start_prev[HASH_BYTES], end_hash[HASH_BYTES];
    int has_events = 0;
    chain c;
    memset(&c, 0, sizeof c);
    double t0 = now_s();
    uint8_t *payload = NULL;
    size_t payload_cap = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        size_t len = (size_t)n;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        json_object *o = parse_line(line, len);
        if (o == NULL) {
            fprintf(stderr, "fengqiao-admin: %s:%ld: not a JSON object\n", path, lineno);
            rv = VERIFY_CANNOT;
            break;
        }
        if (header == NULL) {
            int64_t format = 0;
            header = o;
            if (json_int64(o, "fengqiao_events_export", &format) != 0 || format != EXPORT_FORMAT ||
                json_int64(o, "count", &count) != 0) {
                fprintf(stderr, "fengqiao-admin: %s: not a fengqiao events export (format %d)\n",
                        path, EXPORT_FORMAT);
                rv = VERIFY_CANNOT;
                break;
            }
            has_events = count > 0;
            if (has_events && (json_int64(o, "first_seq", &first_seq) != 0 ||
                               json_int64(o, "last_seq", &last_seq) != 0 ||
                               json_hash(o, "prev_hash", start_prev) != 0 ||
                               json_hash(o, "last_hash", end_hash) != 0)) {
                fprintf(stderr, "fengqiao-admin: %s: the header lacks seqs or hashes\n", path);
                rv = VERIFY_CANNOT;
                break;
            }
            continue;
        }
        event e;
        memset(&e, 0, sizeof e);
        const char *b64 = NULL;
        size_t b64_len = 0;
        if (json_int64(o, "seq", &e.seq) != 0 ||
            json_int64(o, "incident_id", &e.incident_id) != 0 ||
            json_int64(o, "at_us", &e.at_us) != 0 ||
            json_text(o, "kind", 0, &e.kind, &e.kind_len) != 0 ||
            json_text(o, "actor_node", 1, &e.actor, &e.actor_len) != 0 ||
            json_text(o, "reason", 0, &e.reason, &e.reason_len) != 0 ||
            json_text(o, "payload", 1, &b64, &b64_len) != 0 ||
            json_hash(o, "prev_hash", e.prev_hash) != 0 || json_hash(o, "hash", e.hash) != 0) {
            fprintf(stderr, "fengqiao-admin: %s:%ld: an event line lacks a field\n", path, lineno);
            json_object_put(o);
            rv = VERIFY_CANNOT;
            break;
        }
        if (b64 != NULL) {
            if (b64_len / 4 * 3 + 3 > payload_cap) {
                payload_cap = b64_len / 4 * 3 + 3;
                uint8_t *grown = realloc(payload, payload_cap);
                if (grown == NULL) {
                    json_object_put(o);
                    rv = VERIFY_CANNOT;
                    break;
                }
                payload = grown;
            }
            if (sodium_base642bin(payload, payload_cap, b64, b64_len, NULL, &e.payload_len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
                fprintf(stderr, "fengqiao-admin: %s:%ld: payload is not base64\n", path, lineno);
                json_object_put(o);
                rv = VERIFY_CANNOT;
                break;
            }
            e.payload = payload;
        }
        int broken = chain_step(&c, &e) != 0;
        if (!broken && c.count == 1 && sodium_memcmp(e.prev_hash, start_prev, HASH_BYTES) != 0) {
            snprintf(c.broken, sizeof c.broken,
                     "seq %lld (incident %lld, %.*s): prev_hash is not the header's prev_hash",
                     (long long)e.seq, (long long)e.incident_id, (int)e.kind_len, e.kind);
            broken = 1;
        }
        json_object_put(o);
        if (broken) {
            rv = VERIFY_BROKEN;
            break;
        }
    }
    free(line);
    free(payload);
    if (rv == VERIFY_OK && ferror(in)) {
        fprintf(stderr, "fengqiao-admin: cannot read %s\n", path);
        rv = VERIFY_CANNOT;
    }
    fclose(in);
    if (rv == VERIFY_OK && header == NULL) {
        fprintf(stderr, "fengqiao-admin: %s is empty\n", path);
        rv = VERIFY_CANNOT;
    }
    json_object_put(header);
    if (rv == VERIFY_CANNOT)
        return rv;
    if (rv == VERIFY_OK) {
        char a[2 * HASH_BYTES + 1], b[2 * HASH_BYTES + 1];
        if (c.count != count)
            snprintf(c.broken, sizeof c.broken, "the file has %lld events, its header says %lld",
                     (long long)c.count, (long long)count);
        else if (has_events && (c.first_seq != first_seq || c.last_seq != last_seq))
            snprintf(c.broken, sizeof c.broken,
                     "the events run seq %lld .. %lld, the header says %lld .. %lld",
                     (long long)c.first_seq, (long long)c.last_seq, (long long)first_seq,
                     (long long)last_seq);
        else if (has_events && sodium_memcmp(c.last_hash, end_hash, HASH_BYTES) != 0) {
            hex(c.last_hash, a);
            hex(end_hash, b);
            snprintf(c.broken, sizeof c.broken,
                     "the last event's hash %s is not the header's last_hash %s", a, b);
        }
        if (c.broken[0] != '\0')
            rv = VERIFY_BROKEN;
    }
    print_rate(&c, now_s() - t0);
    if (rv == VERIFY_BROKEN) {
        printf("BROKEN: %s\n", c.broken);
        return rv;
    }
    if (c.count > 0) {
        char h[2 * HASH_BYTES + 1];
        hex(c.start_prev, h);
        if (is_zero(c.start_prev))
            printf("the export starts at genesis\n");
        else
            printf("the export's first prev_hash is taken as given: %s\n"
                   "(it must be the last hash of the export before it, or a published hash)\n",
                   h);
        hex(c.last_hash, h);
        printf("last event: seq %lld hash %s\n", (long long)c.last_seq, h);
    }
    printf("OK\n");
    return VERIFY_OK;
}

int cmd_verify(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin verify [--from TIME] [--to TIME]\n"
        "       fengqiao-admin verify --file FILE\n"
        "Checks the hash chain of the event log: every event's hash is recomputed from its\n"
        "columns, every prev_hash must be the hash of the event before it in seq order, and\n"
        "seqs must increase (gaps are normal: a rolled-back transaction skips seqs). Without\n"
        "a period the whole attached chain is checked: it must start at genesis or at the\n"
        "last hash of the latest archived partition, and end at the chain head. With\n"
        "--from/--to, the events from the first at or after FROM to the last before TO; the\n"
        "first one's prev_hash is taken as given. --file checks an export offline.\n"
        "Prints the count, events/s and the last hash (log it somewhere else: see\n"
        "docs/history.md). Exit status: 0 intact, 1 broken (the first broken link is named),\n"
        "2 usage, 3 could not check (database or file unreadable).\n";
    const char *from = NULL, *to = NULL, *file = NULL;
    opt_slot slots[] = {{"--from", &from, NULL}, {"--to", &to, NULL}, {"--file", &file, NULL}};
    int rv = admin_parse_options(argc, argv, 1, slots, 3, NULL, help);
    if (rv != 0)
        return rv < 0 ? VERIFY_USAGE : VERIFY_OK;
    if (file != NULL && (from != NULL || to != NULL)) {
        fprintf(stderr, "fengqiao-admin: verify --file takes no period (the file has one)\n");
        return VERIFY_USAGE;
    }
    return file != NULL ? verify_file(file) : verify_database(g, from, to);
}

/* ---- partitions ---- */

/* The attached partitions: name, bounds (NULL for the default partition). */
#define PARTITIONS_SQL                                                                             \
    "SELECT c.relname, b[1]::timestamptz, b[2]::timestamptz,"                                      \
    " to_char(b[1]::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"                        \
    " to_char(b[2]::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"                         \
    " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,"                                   \
    " LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),"                            \
    "  'FROM \\(''([^'']*)''\\) TO \\(''([^'']*)''\\)') AS b) x"                                   \
    " WHERE i.inhparent = 'events'::regclass ORDER BY b[1] NULLS LAST, c.relname"

static int partitions_list(const globals *g)
{
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    PGresult *res = PQexec(conn, PARTITIONS_SQL);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    int ok = 1;
    printf("%-18s %-16s %-16s %10s  %s\n", "PARTITION", "FROM (UTC)", "TO (UTC)", "EVENTS", "SEQS");
    for (int r = 0; r < PQntuples(res) && ok; r++) {
        char *ident =
            PQescapeIdentifier(conn, PQgetvalue(res, r, 0), strlen(PQgetvalue(res, r, 0)));
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*), coalesce(min(seq) || ' .. ' || max(seq), '-')"
                 " FROM %s",
                 ident);
        PQfreemem(ident);
        PGresult *cnt = PQexec(conn, sql);
        ok = admin_command_ok(conn, cnt);
        if (ok) {
            int dflt = PQgetisnull(res, r, 1);
            printf("%-18s %-16s %-16s %10s  %s\n", PQgetvalue(res, r, 0),
                   dflt ? "(default)" : PQgetvalue(res, r, 3), dflt ? "" : PQgetvalue(res, r, 4),
                   PQgetvalue(cnt, 0, 0), PQgetvalue(cnt, 0, 1));
        }
        PQclear(cnt);
    }
    PQclear(res);
    if (ok) {
        res = PQexec(conn, "SELECT partition, to_char(range_from AT TIME ZONE 'UTC',"
                           " 'YYYY-MM-DD HH24:MI'), to_char(range_to AT TIME ZONE 'UTC',"
                           " 'YYYY-MM-DD HH24:MI'), events, coalesce(first_seq || ' .. ' ||"
                           " last_seq, '-'), to_char(detached_at, 'YYYY-MM-DD HH24:MI')"
                           " FROM event_archives ORDER BY range_from");
        ok = admin_command_ok(conn, res);
        for (int r = 0; ok && r < PQntuples(res); r++)
            printf("%-18s %-16s %-16s %10s  %s (detached %s)\n", PQgetvalue(res, r, 0),
                   PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
                   PQgetvalue(res, r, 4), PQgetvalue(res, r, 5));
        PQclear(res);
    }
    PQfinish(conn);
    return ok ? 0 : 1;
}

static int partitions_ensure(const globals *g, const char *months)
{
    char *end;
    long n = strtol(months, &end, 10);
    if (*end != '\0' || n < 0 || n > 120) {
        fprintf(stderr, "fengqiao-admin: --months must be 0 to 120\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *params[1] = {months};
    PGresult *res = PQexecParams(conn, "SELECT fq_ensure_event_partitions($1::integer)", 1, NULL,
                                 params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok)
        printf("%s partition%s created; the current month and the next %ld exist\n",
               PQgetvalue(res, 0, 0), strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "" : "s", n);
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

/* Records a detached partition in event_archives (its rows give the anchor
 * the attached chain continues from) and in feed_archive_heads (where its
 * follow feeds' numbering stood) and makes it append-only again (its
 * cloned row triggers left with the detach; its chain-head trigger has
 * nothing to do any more). */
static int record_archive(PGconn *conn, const char *ident, const char *name, const char *lo,
                          const char *hi)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             " DROP TRIGGER IF EXISTS events_chain_head ON %s;"
             " CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON %s"
             "  FOR EACH ROW EXECUTE FUNCTION events_append_only();"
             " INSERT INTO event_archives (partition, range_from, range_to, events, first_seq,"
             "  last_seq, last_hash) SELECT %s, %s, %s, count(*), min(seq), max(seq),"
             "  (SELECT hash FROM %s ORDER BY seq DESC LIMIT 1) FROM %s;"
             /* Its follow feeds' last seqs: their numbering goes on
              * (migration 0032). */
             " INSERT INTO feed_archive_heads (partition, box, seq)"
             "  SELECT %s, f.box, max(f.seq) FROM (SELECT 'u:' || town AS box, town_seq AS seq"
             "  FROM %s WHERE town IS NOT NULL UNION ALL SELECT 'u:' || district, district_seq"
             "  FROM %s WHERE district IS NOT NULL) f GROUP BY f.box;"
             " COMMIT",
             ident, ident, name, lo, hi, ident, ident, name, ident, ident);
    if (!exec_ok(conn, sql)) {
        exec_ok(conn, "ROLLBACK");
        return -1;
    }
    return 0;
}

static int partitions_detach(const globals *g, const char *name)
{
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    int rv = 1;
    char *ident = PQescapeIdentifier(conn, name, strlen(name));
    char *lit = PQescapeLiteral(conn, name, strlen(name));
    PGresult *parts = PQexec(conn, PARTITIONS_SQL);
    PGresult *res = NULL;
    if (!admin_command_ok(conn, parts))
        goto out;
    int row = -1;
    for (int r = 0; r < PQntuples(parts); r++)
        if (strcmp(PQgetvalue(parts, r, 0), name) == 0)
            row = r;
    if (row < 0) {
        /* Detached before, but not recorded (the tool was interrupted)? */
        const char *params[1] = {name};
        res = PQexecParams(conn,
                           "SELECT (SELECT count(*) FROM event_archives WHERE partition = $1),"
                           " to_regclass(quote_ident($1)) IS NOT NULL",
                           1, NULL, params, NULL, NULL, 0);
        if (!admin_command_ok(conn, res))
            goto out;
        if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
            fprintf(stderr, "fengqiao-admin: %s is detached already (see partitions list)\n", name);
        else
            fprintf(stderr, "fengqiao-admin: %s is not a partition of events%s\n", name,
                    strcmp(PQgetvalue(res, 0, 1), "t") == 0
                        ? " (a table of that name exists: if it was detached by hand, attach it"
                          " again and detach it with this command)"
                        : "");
        goto out;
    }
    if (PQgetisnull(parts, row, 1)) {
        fprintf(stderr, "fengqiao-admin: the default partition is never detached\n");
        goto out;
    }
    char lo[80], hi[80];
    snprintf(lo, sizeof lo, "'%s'::timestamptz", PQgetvalue(parts, row, 1));
    snprintf(hi, sizeof hi, "'%s'::timestamptz", PQgetvalue(parts, row, 2));
    {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT %s > date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',"
                 " (SELECT max(seq) FROM %s)",
                 hi, ident);
        res = PQexec(conn, sql);
        if (!admin_command_ok(conn, res))
            goto out;
        if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
            fprintf(stderr,
                    "fengqiao-admin: %s holds the current month or a later one: only past months"
                    " are detached\n",
                    name);
            goto out;
        }
        /* The attached chain must stay one piece: nothing attached may come
         * before this partition's last event in the chain. */
        long long max_seq = PQgetisnull(res, 0, 1) ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        PQclear(res);
        res = NULL;
        for (int r = 0; max_seq > 0 && r < PQntuples(parts); r++) {
            if (r == row)
                continue;
            char *other =
                PQescapeIdentifier(conn, PQgetvalue(parts, r, 0), strlen(PQgetvalue(parts, r, 0)));
            snprintf(sql, sizeof sql, "SELECT min(seq) FROM %s WHERE seq < %lld", other, max_seq);
            PQfreemem(other);
            res = PQexec(conn, sql);
            if (!admin_command_ok(conn, res))
                goto out;
            if (!PQgetisnull(res, 0, 0)) {
                fprintf(stderr,
                        "fengqiao-admin: %s holds seq %s, earlier in the chain than the last"
                        " event of %s (seq %lld): detach the oldest partitions first, so that"
                        " the attached chain stays one piece\n",
                        PQgetvalue(parts, r, 0), PQgetvalue(res, 0, 0), name, max_seq);
                goto out;
            }
            PQclear(res);
            res = NULL;
        }
    }
    /* Not CONCURRENTLY: PostgreSQL refuses that while a default partition
     * exists. A plain detach is a catalog change under a short ACCESS
     * EXCLUSIVE lock on events; the server's writes wait for it, so a lock
     * that cannot be had at once (a long query on events) is given up after
     * 3 s and tried again, rather than stalling the server behind it. */
    char sql[512];
    snprintf(sql, sizeof sql, "SET lock_timeout = '3s'; ALTER TABLE events DETACH PARTITION %s",
             ident);
    int detached = 0;
    for (int attempt = 1; attempt <= 5 && !detached; attempt++) {
        res = PQexec(conn, sql);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            detached = 1;
        } else if (state != NULL && strcmp(state, "55P03") == 0 && attempt < 5) {
            fprintf(stderr, "fengqiao-admin: events is busy (lock not granted in 3 s); again\n");
        } else {
            admin_command_ok(conn, res);
            goto out;
        }
        PQclear(res);
        res = NULL;
    }
    exec_ok(conn, "RESET lock_timeout");
    if (record_archive(conn, ident, lit, lo, hi) != 0) {
        fprintf(stderr,
                "fengqiao-admin: %s is detached but not recorded in event_archives; run this"
                " command again\n",
                name);
        goto out;
    }
    snprintf(sql, sizeof sql,
             "SELECT events, coalesce(first_seq || ' .. ' || last_seq, '-'),"
             " coalesce(encode(last_hash, 'hex'), '-'), current_database()"
             " FROM event_archives WHERE partition = %s",
             lit);
    res = PQexec(conn, sql);
    if (!admin_command_ok(conn, res) || PQntuples(res) != 1)
        goto out;
    printf("detached %s (%s .. %s UTC): %s events, seq %s, last hash %s\n"
           "It is a table of its own now, no longer part of events (the server goes on).\n"
           "To archive it:\n"
           "  pg_dump --format=custom --table='public.%s' --file=%s.dump %s\n"
           "then, once the dump is stored safely elsewhere:\n"
           "  psql -c 'DROP TABLE %s'\n"
           "Keep the last hash with the archive: the attached chain continues from it.\n",
           name, PQgetvalue(parts, row, 3), PQgetvalue(parts, row, 4), PQgetvalue(res, 0, 0),
           PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), name, name, PQgetvalue(res, 0, 3), name);
    rv = 0;
out:
    PQclear(res);
    PQclear(parts);
    PQfreemem(ident);
    PQfreemem(lit);
    PQfinish(conn);
    return rv;
}

int cmd_partitions(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin partitions list\n"
        "       fengqiao-admin partitions ensure [--months N]\n"
        "       fengqiao-admin partitions detach PARTITION\n"
        "The event log is partitioned by month (UTC): events_yYYYYmMM, and events_default for\n"
        "anything outside them. 'list' shows the attached partitions with their ranges and\n"
        "events, and the archived (detached) ones. 'ensure' makes the partitions of the\n"
        "current month and the next N (default 2; the server does this itself on every\n"
        "connection). 'detach' takes a past month's partition out of events while the server\n"
        "runs, records its last hash, and says how to archive it (docs/history.md); the\n"
        "current month, later ones and the default partition are refused, and the oldest\n"
        "must go first.\n";
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") == 0) {
        int rv = admin_parse_options(argc, argv, 2, NULL, 0, NULL, help);
        if (rv != 0)
            return rv < 0 ? 2 : 0;
        return partitions_list(g);
    }
    if (strcmp(action, "ensure") == 0) {
        const char *months = "2";
        opt_slot slots[] = {{"--months", &months, NULL}};
        int rv = admin_parse_options(argc, argv, 2, slots, 1, NULL, help);
        if (rv != 0)
            return rv < 0 ? 2 : 0;
        return partitions_ensure(g, months);
    }
    if (strcmp(action, "detach") == 0) {
        const char *name = NULL;
        int rv = admin_parse_options(argc, argv, 2, NULL, 0, &name, help);
        if (rv != 0)
            return rv < 0 ? 2 : 0;
        if (name == NULL) {
            fprintf(stderr, "fengqiao-admin: partitions detach needs PARTITION\n");
            return 2;
        }
        return partitions_detach(g, name);
    }
    fprintf(stderr, "fengqiao-admin: unknown partitions command '%s'\n%s", action, help);
    return 2;
}
