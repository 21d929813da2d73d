/* fq-bench-pg-ceiling: the hardware ceiling of the intake benchmark.
 *
 * The least any durable design of intake writes: one row per report holding
 * its envelope bytes and its ids (reporter node, message id, incident id),
 * with the unique key on (reporter node, message id) that idempotency needs,
 * made durable by binary COPY (PQputCopyData, FORMAT binary) on one
 * connection, one transaction per COPY of B rows. The cluster runs with fsync
 * and synchronous_commit on, so every COPY returns only once its commit is
 * flushed. No server, no constraints other than the key, no other table.
 *
 *   fq-bench-pg-ceiling --conninfo STR --rows N --batch B --envelope-bytes E [--node NODE]
 *
 * B is what one commit carries (bench/run intake uses 1,000: see there why).
 * The envelopes are random bytes of size E (incompressible; below TOAST's
 * threshold they are stored inline, as a real envelope of ~600 B is). The
 * table, bench_ceiling_copy, is created afresh by each run, so runs don't
 * measure each other's index. At the end the rows are counted: any missing
 * one is a failure.
 *
 * Prints one JSON line:
 * {"rows":N,"batch":B,"envelope_bytes":E,"seconds":S,"rows_per_s":R,"commits":C} */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "benchutil.h"

#define TABLE "bench_ceiling_copy"
/* Envelopes to cycle through: random once, not per row, so the client's
 * getrandom(2) is not what is measured. */
#define DISTINCT_ENVELOPES 1024

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-pg-ceiling --conninfo STR --rows N --batch B"
                    " --envelope-bytes E [--node NODE]\n");
    exit(2);
}

static _Noreturn void pq_die(const char *what, PGconn *conn)
{
    bu_die_detail(what, PQerrorMessage(conn));
}

static void exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        pq_die(sql, conn);
    PQclear(r);
}

/* The binary COPY format (PostgreSQL's "COPY", "Binary Format"): big-endian
 * integers, a field as its int32 length and its bytes. */
struct copybuf {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct copybuf *b, const void *v, size_t n)
{
    if (b->len + n > b->cap)
        bu_die("copy buffer overflow");
    memcpy(b->p + b->len, v, n);
    b->len += n;
}

static void put16(struct copybuf *b, int16_t v)
{
    uint16_t be = htons((uint16_t)v);
    put(b, &be, sizeof be);
}

static void put32(struct copybuf *b, int32_t v)
{
    uint32_t be = htonl((uint32_t)v);
    put(b, &be, sizeof be);
}

static void put_int8_field(struct copybuf *b, uint64_t v)
{
    uint32_t hi = htonl((uint32_t)(v >> 32)), lo = htonl((uint32_t)v);
    put32(b, 8);
    put(b, &hi, 4);
    put(b, &lo, 4);
}

static void put_bytes_field(struct copybuf *b, const void *v, size_t n)
{
    put32(b, (int32_t)n);
    put(b, v, n);
}

int main(int argc, char **argv)
{
    const char *conninfo = NULL, *node = "bench-ceiling";
    long rows = -1, batch = -1, envelope_bytes = -1;
    bu_init("fq-bench-pg-ceiling", false, usage);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--conninfo") == 0)
            conninfo = v;
        else if (strcmp(k, "--rows") == 0)
            rows = bu_parse_long(v, 1, 1000000000L);
        else if (strcmp(k, "--batch") == 0)
            batch = bu_parse_long(v, 1, 100000);
        else if (strcmp(k, "--envelope-bytes") == 0)
            envelope_bytes = bu_parse_long(v, 1, 1L << 20);
        else if (strcmp(k, "--node") == 0)
            node = v;
        else
            usage();
    }
    if (!conninfo || rows < 0 || batch < 0 || envelope_bytes < 0)
        usage();

    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        pq_die("connect", conn);
    exec_ok(conn, "SET client_min_messages = warning");
    exec_ok(conn, "DROP TABLE IF EXISTS " TABLE);
    exec_ok(conn, "CREATE TABLE " TABLE " (reporter_node text NOT NULL, message_id bigint NOT NULL,"
                  " incident_id bigint NOT NULL, envelope bytea NOT NULL,"
                  " PRIMARY KEY (reporter_node, message_id))");
    {
        PGresult *r = PQexec(conn, "SHOW synchronous_commit");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "on") != 0)
            bu_die("synchronous_commit is not on: the ceiling would not be durable");
        PQclear(r);
    }

    uint8_t *envelopes = bu_xmalloc((size_t)DISTINCT_ENVELOPES * (size_t)envelope_bytes);
    bu_fill_random(envelopes, (size_t)DISTINCT_ENVELOPES * (size_t)envelope_bytes);
    size_t node_len = strlen(node);
    /* header 19 B, per row: 2 + 4 fields' lengths + node + 2 int8 + envelope, trailer 2 */
    size_t row_bytes = 2 + 4 * 4 + node_len + 8 + 8 + (size_t)envelope_bytes;
    struct copybuf buf = {NULL, 0, 19 + (size_t)batch * row_bytes + 2};
    buf.p = bu_xmalloc(buf.cap);

    /* A random 61-bit start (the incident ids above it fit in 62 bits). */
    uint64_t start_id;
    bu_fill_random(&start_id, sizeof start_id);
    start_id = (start_id & ((UINT64_C(1) << 61) - 1)) | 1;

    static const uint8_t signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    long committed = 0, commits = 0;
    double t0 = bu_now_s();
    while (committed < rows) {
        long n = rows - committed < batch ? rows - committed : batch;
        buf.len = 0;
        put(&buf, signature, sizeof signature);
        put32(&buf, 0); /* flags */
        put32(&buf, 0); /* header extension length */
        for (long k = 0; k < n; k++) {
            uint64_t id = start_id + (uint64_t)(committed + k);
            put16(&buf, 4);
            put_bytes_field(&buf, node, node_len);
            put_int8_field(&buf, id);                       /* message id */
            put_int8_field(&buf, id + (UINT64_C(1) << 61)); /* incident id */
            put_bytes_field(&buf,
                            envelopes + (size_t)(id % DISTINCT_ENVELOPES) * (size_t)envelope_bytes,
                            (size_t)envelope_bytes);
        }
        put16(&buf, -1);

        PGresult *r =
            PQexec(conn, "COPY " TABLE " (reporter_node, message_id, incident_id, envelope)"
                         " FROM STDIN (FORMAT binary)");
        if (PQresultStatus(r) != PGRES_COPY_IN)
            pq_die("COPY", conn);
        PQclear(r);
        if (PQputCopyData(conn, (const char *)buf.p, (int)buf.len) != 1 ||
            PQputCopyEnd(conn, NULL) != 1)
            pq_die("COPY data", conn);
        r = PQgetResult(conn);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            pq_die("COPY end", conn);
        if (strtol(PQcmdTuples(r), NULL, 10) != n)
            bu_die("COPY wrote fewer rows than it was sent");
        PQclear(r);
        while ((r = PQgetResult(conn)) != NULL)
            PQclear(r);
        committed += n;
        commits++;
    }
    double seconds = bu_now_s() - t0;

    char lo[24], hi[24];
    snprintf(lo, sizeof lo, "%" PRIu64, start_id);
    snprintf(hi, sizeof hi, "%" PRIu64, start_id + (uint64_t)rows - 1);
    const char *params[3] = {node, lo, hi};
    PGresult *r = PQexecParams(conn,
                               "SELECT count(*) FROM " TABLE " WHERE reporter_node = $1"
                               " AND message_id BETWEEN $2 AND $3",
                               3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        pq_die("count", conn);
    long stored = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    /* The rows are not kept: their space would be the next run's disk. */
    exec_ok(conn, "DROP TABLE " TABLE);
    PQfinish(conn);
    free(envelopes);
    free(buf.p);
    if (stored != rows) {
        fprintf(stderr, "fq-bench-pg-ceiling: copied %ld rows, the table holds %ld\n", rows,
                stored);
        return 1;
    }
    printf("{\"rows\":%ld,\"batch\":%ld,\"envelope_bytes\":%ld,\"seconds\":%.3f,"
           "\"rows_per_s\":%.1f,\"commits\":%ld}\n",
           rows, batch, envelope_bytes, seconds, (double)rows / seconds, commits);
    return 0;
}
