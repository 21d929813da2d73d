#include "evidence_audit.h"

#include "admin.h"
#include "fengqiao.pb-c.h"
#include "fq_arena.h"
#include "fq_wire.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHA256_BYTES 32
/* Photos are up to 2 MiB each: a fetch of 32 rows stays within ~64 MiB. */
#define FETCH_ATTACHMENTS "32"

/* An event whose envelope names photos: their hashes, in the order named. */
typedef struct named {
    int64_t seq;
    size_t n, stored;             /* photos named; rows found */
    uint8_t sha[4][SHA256_BYTES]; /* FQ_EVIDENCE_MAX_PHOTOS; more are counted, not kept */
} named;

struct fq_evidence_audit {
    named *events; /* ascending seq (the walk's order) */
    size_t n_events, capacity;
    fq_arena arena;
    unsigned char *arena_buffer;
};

fq_evidence_audit *fq_evidence_audit_new(void)
{
    fq_evidence_audit *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->arena_buffer = malloc(FQ_DECODE_ARENA_BYTES);
    if (a->arena_buffer == NULL) {
        free(a);
        return NULL;
    }
    fq_arena_init(&a->arena, a->arena_buffer, FQ_DECODE_ARENA_BYTES);
    return a;
}

void fq_evidence_audit_free(fq_evidence_audit *a)
{
    if (a == NULL)
        return;
    free(a->events);
    free(a->arena_buffer);
    free(a);
}

int fq_evidence_audit_event(fq_evidence_audit *a, int64_t seq, const uint8_t *payload, size_t len)
{
    /* Decoded in a bounded arena reset per event: millions of events cost
     * no allocation. A payload that is no envelope names nothing (the chain
     * walk is what checks the payloads themselves). */
    fq_arena_reset(&a->arena);
    Fengqiao__V1__Envelope *env = fengqiao__v1__envelope__unpack(&a->arena.allocator, len, payload);
    if (env == NULL)
        return 0;
    Fengqiao__V1__AttachmentRef **refs = NULL;
    size_t n = 0;
    if (env->body_case == FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION) {
        refs = env->assignment_action->attachments;
        n = env->assignment_action->n_attachments;
    } else if (env->body_case == FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT) {
        refs = env->report_incident->attachments;
        n = env->report_incident->n_attachments;
    } else if (env->body_case == FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND &&
               env->console_command->mediation != NULL) {
        /* A mediation's agreement: the photos of the signed agreement. */
        refs = env->console_command->mediation->photos;
        n = env->console_command->mediation->n_photos;
    }
    if (n == 0)
        return 0;
    if (a->n_events == a->capacity) {
        size_t cap = a->capacity ? 2 * a->capacity : 256;
        named *bigger = realloc(a->events, cap * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        a->events = bigger;
        a->capacity = cap;
    }
    named *e = &a->events[a->n_events++];
    memset(e, 0, sizeof *e);
    e->seq = seq;
    e->n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        if (refs[i]->sha256.len == SHA256_BYTES)
            memcpy(e->sha[i], refs[i]->sha256.data, SHA256_BYTES);
    return 0;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static named *find_named(fq_evidence_audit *a, int64_t seq)
{
    size_t lo = 0, hi = a->n_events;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->events[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->n_events && a->events[lo].seq == seq ? &a->events[lo] : NULL;
}

typedef struct tally {
    FILE *out;
    int max_lines, lines;
    uint64_t faults, rows, bytes;
} tally;

static void broken(tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void broken(tally *t, const char *fmt, ...)
{
    t->faults++;
    if (t->lines >= t->max_lines)
        return;
    t->lines++;
    va_list ap;
    va_start(ap, fmt);
    fputs("BROKEN: ", t->out);
    vfprintf(t->out, fmt, ap);
    fputc('\n', t->out);
    va_end(ap);
}

/* One row: its bytes against its sha256, its sha256 against the refs its
 * event's envelope holds (nm: NULL when the event names none). */
static void check_row(tally *t, const named *nm, int64_t id, int64_t incident, int64_t seq,
                      const uint8_t *sha, const uint8_t *bytes, size_t len, int event_found,
                      int64_t event_incident)
{
    char want[2 * SHA256_BYTES + 1], got[2 * SHA256_BYTES + 1];
    uint8_t digest[SHA256_BYTES];
    crypto_hash_sha256(digest, bytes, len);
    sodium_bin2hex(want, sizeof want, sha, SHA256_BYTES);
    t->rows++;
    t->bytes += len;
    if (sodium_memcmp(digest, sha, SHA256_BYTES) != 0) {
        sodium_bin2hex(got, sizeof got, digest, SHA256_BYTES);
        broken(t,
               "attachment %lld (incident %lld, event seq %lld): its bytes hash to %s, the row "
               "says %s (the bytes or the hash were changed)",
               (long long)id, (long long)incident, (long long)seq, got, want);
        return;
    }
    if (!event_found) {
        broken(t, "attachment %lld (incident %lld): its event seq %lld is not in the history",
               (long long)id, (long long)incident, (long long)seq);
        return;
    }
    if (event_incident != incident) {
        broken(t, "attachment %lld: incident %lld, but its event seq %lld is of incident %lld",
               (long long)id, (long long)incident, (long long)seq, (long long)event_incident);
        return;
    }
    int named_here = 0;
    for (size_t i = 0; nm != NULL && i < nm->n && i < 4; i++)
        if (sodium_memcmp(nm->sha[i], sha, SHA256_BYTES) == 0)
            named_here = 1;
    if (!named_here)
        broken(t,
               "attachment %lld (incident %lld, event seq %lld): no ref in the event's recorded "
               "envelope names SHA-256 %s (a photo was added or swapped)",
               (long long)id, (long long)incident, (long long)seq, want);
}

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    return ok;
}

int fq_evidence_audit_rows(fq_evidence_audit *a, PGconn *conn, int64_t first_seq, int64_t last_seq,
                           FILE *out, int max_lines)
{
    tally t = {out, max_lines, 0, 0, 0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    PGresult *res = PQexec(conn, "SELECT to_regclass('attachments') IS NOT NULL");
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return -1;
    }
    int have_table = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!have_table)
        return 0; /* a database before migration 0026: no photos */
    char sql[768];
    snprintf(sql, sizeof sql,
             "DECLARE att NO SCROLL CURSOR FOR"
             " SELECT a.id, a.incident_id, a.event_seq, a.sha256, a.bytes, e.incident_id"
             " FROM attachments a LEFT JOIN events e ON e.seq = a.event_seq"
             " WHERE a.event_seq BETWEEN %lld AND %lld ORDER BY a.event_seq, a.id",
             (long long)first_seq, (long long)last_seq);
    if (!exec_ok(conn, sql))
        return -1;
    for (;;) {
        res = PQexecParams(conn, "FETCH " FETCH_ATTACHMENTS " FROM att", 0, NULL, NULL, NULL, NULL,
                           1);
        if (!admin_command_ok(conn, res)) {
            PQclear(res);
            return -1;
        }
        int rows = PQntuples(res);
        for (int r = 0; r < rows; r++) {
            if (PQgetlength(res, r, 0) != 8 || PQgetlength(res, r, 1) != 8 ||
                PQgetlength(res, r, 2) != 8 || PQgetlength(res, r, 3) != SHA256_BYTES) {
                fprintf(stderr, "fengqiao-admin: verify: an unexpected attachment row\n");
                PQclear(res);
                return -1;
            }
            int64_t seq = (int64_t)get_be64((const uint8_t *)PQgetvalue(res, r, 2));
            named *nm = find_named(a, seq);
            if (nm != NULL)
                nm->stored++;
            int found = !PQgetisnull(res, r, 5);
            check_row(&t, nm, (int64_t)get_be64((const uint8_t *)PQgetvalue(res, r, 0)),
                      (int64_t)get_be64((const uint8_t *)PQgetvalue(res, r, 1)), seq,
                      (const uint8_t *)PQgetvalue(res, r, 3),
                      (const uint8_t *)PQgetvalue(res, r, 4), (size_t)PQgetlength(res, r, 4), found,
                      found ? (int64_t)get_be64((const uint8_t *)PQgetvalue(res, r, 5)) : 0);
        }
        PQclear(res);
        if (rows == 0)
            break;
    }
    /* Every photo an envelope names is stored, once. */
    for (size_t i = 0; i < a->n_events; i++) {
        const named *nm = &a->events[i];
        if (nm->stored != nm->n)
            broken(&t, "event seq %lld names %zu photo%s but %zu %s stored (%s)",
                   (long long)nm->seq, nm->n, nm->n == 1 ? "" : "s", nm->stored,
                   nm->stored == 1 ? "is" : "are",
                   nm->stored < nm->n ? "a photo was removed" : "a photo was added");
    }
    if (t.faults > (uint64_t)t.lines)
        fprintf(out, "BROKEN: ... and %llu more\n", (unsigned long long)(t.faults - t.lines));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(out,
            "verified %llu attachment%s (%.1f MB) against the %zu event%s naming them in %.2f s\n",
            (unsigned long long)t.rows, t.rows == 1 ? "" : "s", (double)t.bytes / 1e6, a->n_events,
            a->n_events == 1 ? "" : "s", seconds);
    return t.faults > 0 ? 1 : 0;
}
