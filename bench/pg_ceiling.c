/* fq-bench-pg-ceiling: the database ceiling for the intake benchmark.
 *
 * Inserts N reports with exactly the statement fengqiaod prepares
 * (FQ_SQL_INSERT_REPORT), through libpq pipeline mode on one connection with
 * no server in between: batches of B executions wrapped in BEGIN ... COMMIT,
 * each followed by a pipeline sync, at most two batches in flight. The rows
 * look like real reports (sizes of title, description and envelope), and
 * every COMMIT is durable (the cluster runs with fsync and synchronous_commit
 * on). At the end it counts what it inserted and fails if any row is missing.
 * Like the server, it plans the statement's seqs, hashes, outbox seqs and
 * incident ids itself (docs/write-path.md) and advances the chain head once
 * per transaction (a server writing beside it finds the head moved and reads
 * the heads again).
 *
 *   fq-bench-pg-ceiling --conninfo STR --rows N --batch B [--node NODE --place UNIT]
 *
 * Prints one JSON line: {"rows":N,"seconds":S,"rows_per_s":R}. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "benchutil.h"
#include "chain.h"
#include "pgarray.h"
#include "statements.h"
#include "store.h"

#define MAX_IN_FLIGHT 2
#define DIGEST_BYTES 32
/* The size of a real signed envelope (bench/run intake measures ~540). */
#define PAYLOAD_BYTES 540
/* A RoutingOutcome of a town-tier assignment. */
#define OUTCOME_BYTES 90
#define LEAD_UNIT "lingyin-governance"
#define ROUTING_REASON "by the built-in principle: town tier, governance line"
/* The outbox items the server writes with such a report: the assignment
 * for the lead unit and the updates on the town's and the district's feeds,
 * ~300 bytes each
 * (an OutboxItem with the text, title, address, category, territory). */
#define OUTBOX_ITEM_BYTES 300

static const char CATEGORY[] = "dispute.neighbour";
/* 21 CJK characters: 63 bytes of UTF-8. */
static const char TITLE[] = "转塘街道象山社区三幢楼上楼下噪音纠纷请调解";
/* 70 CJK characters and punctuation: 210 bytes of UTF-8. */
static const char DESCRIPTION[] =
    "居民反映楼上住户长期在夜间十点以后拖动家具并大声播放音乐，多次上门沟通未果，双方"
    "发生口角，情绪较为激动，请网格员尽快上门了解情况并组织调解。";
static const char ADDRESS[] = "浙江省杭州市西湖区转塘街道象山社区3幢2单元";
static const char REPORTER_NAME[] = "王女士";
static const char REPORTER_PHONE[] = "13800000000";

static void die(const char *what, PGconn *conn)
{
    fprintf(stderr, "fq-bench-pg-ceiling: %s%s%s\n", what, conn ? ": " : "",
            conn ? PQerrorMessage(conn) : "");
    if (conn)
        PQfinish(conn);
    exit(1);
}

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-pg-ceiling --conninfo STR --rows N --batch B"
                    " [--node NODE --place UNIT] [--no-outbox]\n");
    exit(2);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the pipeline has told us so far. */
struct tally {
    long inserted;  /* insert results with created = true */
    long committed; /* rows of batches whose COMMIT reported COMMIT */
    long commits;   /* COMMIT results seen */
    int in_flight;  /* batches sent and not yet synced */
    int ring[MAX_IN_FLIGHT];
    int ring_head;
};

/* Takes every result libpq already has; stops when it would have to wait. */
static void drain(PGconn *conn, struct tally *t)
{
    while (t->in_flight > 0 && !PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            continue; /* end of one statement's results */
        switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC: {
            int rows = t->ring[t->ring_head];
            t->ring_head = (t->ring_head + 1) % MAX_IN_FLIGHT;
            t->in_flight--;
            if (t->commits != 1) {
                fprintf(stderr, "fq-bench-pg-ceiling: batch synced without its COMMIT\n");
                exit(1);
            }
            t->commits = 0;
            t->committed += rows;
            break;
        }
        case PGRES_COMMAND_OK: {
            const char *tag = PQcmdStatus(r);
            if (strcmp(tag, "COMMIT") == 0) {
                t->commits++;
            } else if (strcmp(tag, "BEGIN") != 0) {
                fprintf(stderr, "fq-bench-pg-ceiling: unexpected command result %s\n", tag);
                exit(1);
            }
            break;
        }
        case PGRES_TUPLES_OK:
            if (PQnfields(r) == 1)
                break; /* the chain advance */
            if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
                fprintf(stderr, "fq-bench-pg-ceiling: report not created (%d rows)\n",
                        PQntuples(r));
                exit(1);
            }
            t->inserted++;
            break;
        default:
            fprintf(stderr, "fq-bench-pg-ceiling: %s: %s", PQresStatus(PQresultStatus(r)),
                    PQresultErrorMessage(r));
            exit(1);
        }
        PQclear(r);
    }
}

int main(int argc, char **argv)
{
    const char *conninfo = NULL, *node = "bench-node", *place = "bench-town";
    int no_outbox = 0; /* --no-outbox: the rows without their outbox items (what they cost) */
    long rows = -1, batch = -1;
    bu_init("fq-bench-pg-ceiling", false, usage);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-outbox") == 0) {
            no_outbox = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--conninfo") == 0)
            conninfo = argv[++i];
        else if (strcmp(argv[i], "--rows") == 0)
            rows = bu_parse_long(argv[++i], 1, 1000000000L);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = bu_parse_long(argv[++i], 1, 100000);
        else if (strcmp(argv[i], "--node") == 0)
            node = argv[++i];
        else if (strcmp(argv[i], "--place") == 0)
            place = argv[++i];
        else
            usage();
    }
    if (!conninfo || rows < 0 || batch < 0)
        usage();

    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        die("connect", conn);
    char boxes[200];
    snprintf(boxes, sizeof boxes, "{h:%s,u:%s,u:%s-district}", LEAD_UNIT, place, place);
    static char bodies[3 * (2 * OUTBOX_ITEM_BYTES + 8) + 4];
    {
        /* Hex, as the server sends them (a bytea[] literal). */
        char *b = bodies;
        b += sprintf(b, "{");
        for (int item = 0; item < 3; item++) {
            b += sprintf(b, "%s\"\\\\x", item ? "," : "");
            for (int k = 0; k < OUTBOX_ITEM_BYTES; k++)
                b += sprintf(b, "%02x", (unsigned)((k * 37 + item) & 0xff));
            b += sprintf(b, "\"");
        }
        sprintf(b, "}");
    }
    Oid types[FQ_SQL_INSERT_REPORT_NPARAMS] = {0};
    static const Oid plan_types[FQ_STORE_PLAN_NPARAMS] = {16, 20, 1016, 1001, 1001, 1184, 1016};
    memcpy(types + FQ_SQL_INSERT_REPORT_PLAN, plan_types, sizeof plan_types);
    PGresult *r = PQprepare(conn, FQ_SQL_INSERT_REPORT_NAME, FQ_SQL_INSERT_REPORT,
                            FQ_SQL_INSERT_REPORT_NPARAMS, types);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("prepare " FQ_SQL_INSERT_REPORT_NAME, conn);
    PQclear(r);
    r = PQprepare(conn, FQ_SQL_CHAIN_ADVANCE_NAME, FQ_SQL_CHAIN_ADVANCE, 4, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("prepare " FQ_SQL_CHAIN_ADVANCE_NAME, conn);
    PQclear(r);
    /* Where the plan starts: the chain head, the boxes' last seqs, ids. */
    fq_chain_head head;
    r = PQexecParams(conn, FQ_SQL_CHAIN_HEAD, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
        PQgetlength(r, 0, 1) != FQ_CHAIN_HASH_BYTES)
        die("read the chain head", conn);
    head.seq = fq_pg_get_int8((const uint8_t *)PQgetvalue(r, 0, 0));
    memcpy(head.hash, PQgetvalue(r, 0, 1), FQ_CHAIN_HASH_BYTES);
    PQclear(r);
    const char *box_names[3] = {NULL};
    char box_name[3][100];
    snprintf(box_name[0], sizeof box_name[0], "h:%s", LEAD_UNIT);
    snprintf(box_name[1], sizeof box_name[1], "u:%s", place);
    snprintf(box_name[2], sizeof box_name[2], "u:%s-district", place);
    int64_t box_seq[3];
    for (int i = 0; i < 3; i++) {
        box_names[i] = box_name[i];
        r = PQexecParams(conn, "SELECT coalesce(max(seq), 0) FROM outbox WHERE box = $1", 1, NULL,
                         &box_names[i], NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("read a box's last seq", conn);
        box_seq[i] = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    int64_t next_incident = 0;
    for (long left = rows; left > 0; left -= 1000000) {
        char n[24];
        snprintf(n, sizeof n, "%ld", left < 1000000 ? left : 1000000);
        const char *v[1] = {n};
        r = PQexecParams(conn, FQ_SQL_RESERVE_IDS, 1, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("reserve incident ids", conn);
        if (next_incident == 0) /* alone on the database: the blocks follow each other */
            next_incident = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    fq_pgbuf planbuf = {0};

    /* A random 62-bit start: repeated runs against one database don't collide. */
    uint64_t start_id;
    bu_fill_random(&start_id, sizeof start_id);
    start_id = (start_id & ((UINT64_C(1) << 62) - 1)) | 1;

    uint8_t outcome[OUTCOME_BYTES];
    bu_fill_random(outcome, sizeof outcome);
    uint8_t *digests = malloc((size_t)batch * DIGEST_BYTES);
    uint8_t *payloads = malloc((size_t)batch * PAYLOAD_BYTES);
    if (!digests || !payloads)
        die("out of memory", conn);

    if (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) != 1)
        die("enter pipeline mode", conn);
    int sock = PQsocket(conn);

    struct tally t = {0};
    long queued = 0;
    double t0 = bu_now_s();
    while (t.committed < rows) {
        while (t.in_flight < MAX_IN_FLIGHT && queued < rows) {
            int n = (int)(rows - queued < batch ? rows - queued : batch);
            bu_fill_random(digests, (size_t)n * DIGEST_BYTES);
            bu_fill_random(payloads, (size_t)n * PAYLOAD_BYTES);
            if (!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
                die("send BEGIN", conn);
            fq_chain_head before = head;
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            int64_t at_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
            for (int k = 0; k < n; k++) {
                char id[24], occurred[24], sent[24];
                int64_t ms = wall_ms();
                snprintf(id, sizeof id, "%" PRIu64, start_id + (uint64_t)(queued + k));
                snprintf(occurred, sizeof occurred, "%" PRId64, ms - 10 * 60 * 1000);
                snprintf(sent, sizeof sent, "%" PRId64, ms);
                const char *values[FQ_SQL_INSERT_REPORT_NPARAMS] = {
                    node,
                    id,
                    (const char *)digests + (size_t)k * DIGEST_BYTES,
                    CATEGORY,
                    "3",
                    "2",
                    "1",
                    place,
                    "120.13",
                    "30.25",
                    ADDRESS,
                    TITLE,
                    DESCRIPTION,
                    occurred,
                    "",
                    REPORTER_NAME,
                    REPORTER_PHONE,
                    sent,
                    (const char *)payloads + (size_t)k * PAYLOAD_BYTES,
                    /* The routing decision the server writes with each
                     * report: a town-tier assignment, as most are. */
                    "assigned",
                    "2",
                    "0",
                    place,
                    LEAD_UNIT,
                    NULL,
                    "{}",
                    sent,
                    sent,
                    sent,
                    sent,
                    NULL,
                    "1",
                    "0",
                    "0",
                    "false",
                    "assigned",
                    ROUTING_REASON,
                    (const char *)outcome,
                    NULL,
                    no_outbox ? "{}" : boxes,
                    no_outbox ? "{}" : "{1,2,2}",
                    no_outbox ? "{}" : bodies,
                    "rule",
                };
                int lengths[FQ_SQL_INSERT_REPORT_NPARAMS] = {0};
                int formats[FQ_SQL_INSERT_REPORT_NPARAMS] = {0};
                lengths[2] = DIGEST_BYTES;
                formats[2] = 1;
                lengths[18] = PAYLOAD_BYTES;
                formats[18] = 1;
                lengths[37] = OUTCOME_BYTES;
                formats[37] = 1;
                /* The plan, as the store makes it (store.c plan_op). */
                int64_t incident = next_incident++;
                fq_chain_event evs[2] = {{0, incident, at_us, "reported", node, "", 8, strlen(node),
                                          0, (const uint8_t *)values[18], PAYLOAD_BYTES},
                                         {0, incident, at_us, "assigned", NULL, ROUTING_REASON, 8,
                                          0, strlen(ROUTING_REASON), outcome, OUTCOME_BYTES}};
                uint8_t prev[2][FQ_CHAIN_HASH_BYTES], hash[2][FQ_CHAIN_HASH_BYTES];
                for (int e = 0; e < 2; e++)
                    fq_chain_append(&head, &evs[e], prev[e], hash[e]);
                fq_pgbuf_reset(&planbuf);
                fq_pgarray a;
                size_t off[4], len[4];
                fq_pgarray_begin(&a, &planbuf, FQ_PG_INT8);
                for (int e = 0; e < 2; e++)
                    fq_pgarray_int8(&a, evs[e].seq);
                fq_pgarray_end(&a, &off[0], &len[0]);
                fq_pgarray_begin(&a, &planbuf, FQ_PG_BYTEA);
                for (int e = 0; e < 2; e++)
                    fq_pgarray_bytea(&a, prev[e], FQ_CHAIN_HASH_BYTES);
                fq_pgarray_end(&a, &off[1], &len[1]);
                fq_pgarray_begin(&a, &planbuf, FQ_PG_BYTEA);
                for (int e = 0; e < 2; e++)
                    fq_pgarray_bytea(&a, hash[e], FQ_CHAIN_HASH_BYTES);
                fq_pgarray_end(&a, &off[2], &len[2]);
                fq_pgarray_begin(&a, &planbuf, FQ_PG_INT8);
                for (int b = 0; b < 3 && !no_outbox; b++)
                    fq_pgarray_int8(&a, ++box_seq[b]);
                if (fq_pgarray_end(&a, &off[3], &len[3]) != 0)
                    die("out of memory", conn);
                static const char yes = 1;
                uint8_t id_be[8], at_be[8];
                fq_pg_put_int8(id_be, incident);
                fq_pg_put_timestamptz(at_be, at_us);
                const char *pv[FQ_STORE_PLAN_NPARAMS] = {&yes,
                                                         (const char *)id_be,
                                                         (const char *)planbuf.data + off[0],
                                                         (const char *)planbuf.data + off[1],
                                                         (const char *)planbuf.data + off[2],
                                                         (const char *)at_be,
                                                         (const char *)planbuf.data + off[3]};
                int pl[FQ_STORE_PLAN_NPARAMS] = {1,           8, (int)len[0], (int)len[1],
                                                 (int)len[2], 8, (int)len[3]};
                for (int q = 0; q < FQ_STORE_PLAN_NPARAMS; q++) {
                    values[FQ_SQL_INSERT_REPORT_PLAN + q] = pv[q];
                    lengths[FQ_SQL_INSERT_REPORT_PLAN + q] = pl[q];
                    formats[FQ_SQL_INSERT_REPORT_PLAN + q] = 1;
                }
                if (!PQsendQueryPrepared(conn, FQ_SQL_INSERT_REPORT_NAME,
                                         FQ_SQL_INSERT_REPORT_NPARAMS, values, lengths, formats, 0))
                    die("send insert", conn);
            }
            {
                uint8_t bs[8], as[8];
                fq_pg_put_int8(bs, before.seq);
                fq_pg_put_int8(as, head.seq);
                const char *av[4] = {(const char *)bs, (const char *)before.hash, (const char *)as,
                                     (const char *)head.hash};
                int al[4] = {8, FQ_CHAIN_HASH_BYTES, 8, FQ_CHAIN_HASH_BYTES};
                int af[4] = {1, 1, 1, 1};
                if (!PQsendQueryPrepared(conn, FQ_SQL_CHAIN_ADVANCE_NAME, 4, av, al, af, 0))
                    die("send the chain advance", conn);
            }
            if (!PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
                die("send COMMIT", conn);
            if (PQpipelineSync(conn) != 1)
                die("pipeline sync", conn);
            t.ring[(t.ring_head + t.in_flight) % MAX_IN_FLIGHT] = n;
            t.in_flight++;
            queued += n;
        }

        int pending = PQflush(conn);
        if (pending < 0)
            die("flush", conn);
        drain(conn, &t);
        if (t.committed >= rows)
            break;
        struct pollfd pfd = {.fd = sock, .events = POLLIN | (pending ? POLLOUT : 0)};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("fq-bench-pg-ceiling: poll");
            return 1;
        }
        if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(conn))
            die("read", conn);
        drain(conn, &t);
    }
    double seconds = bu_now_s() - t0;

    if (PQexitPipelineMode(conn) != 1 || PQsetnonblocking(conn, 0) != 0)
        die("leave pipeline mode", conn);

    /* Count what is really there: incidents and their "reported" events. */
    char lo[24], hi[24];
    snprintf(lo, sizeof lo, "%" PRIu64, start_id);
    snprintf(hi, sizeof hi, "%" PRIu64, start_id + (uint64_t)rows - 1);
    const char *params[3] = {node, lo, hi};
    r = PQexecParams(conn,
                     "SELECT (SELECT count(*) FROM incidents WHERE reporter_node = $1"
                     "  AND message_id BETWEEN $2 AND $3),"
                     " (SELECT count(*) FROM events e JOIN incidents i ON i.id = e.incident_id"
                     "  WHERE i.reporter_node = $1 AND i.message_id BETWEEN $2 AND $3"
                     "  AND e.kind = 'reported')",
                     3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("count", conn);
    long incidents = atol(PQgetvalue(r, 0, 0)), events = atol(PQgetvalue(r, 0, 1));
    PQclear(r);
    PQfinish(conn);
    free(digests);
    free(payloads);
    if (incidents != rows || events != rows || t.inserted != rows) {
        fprintf(stderr,
                "fq-bench-pg-ceiling: inserted %ld rows, database holds %ld incidents and %ld"
                " events\n",
                rows, incidents, events);
        return 1;
    }

    printf("{\"rows\":%ld,\"seconds\":%.3f,\"rows_per_s\":%.1f}\n", rows, seconds,
           (double)rows / seconds);
    return 0;
}
