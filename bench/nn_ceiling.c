/* fq-bench-nn-ceiling: the transport ceiling and the acknowledgement floor
 * of the intake and terminals benchmarks.
 *
 * Raw nanomsg REQ/REP round trips with nothing behind them. The server is a
 * raw (AF_SP_RAW) NN_REP socket that answers each request at once with a
 * reply of a fixed size, event-driven like fengqiaod: poll(2) on NN_RCVFD,
 * drain with NN_DONTWAIT, send the reply back with the request's routing
 * header. The clients are K plain NN_REQ sockets spread over P processes
 * (nanomsg has one I/O thread per process and at most 512 sockets), each in a
 * closed loop with one request outstanding, for T seconds after a 1 s
 * warm-up. No batching: one request, one reply, as the real server sees them.
 *
 * With --commit CONNINFO the server is the floor of an acknowledgement: before
 * it replies to a request it INSERTs one row (reporter node, message id,
 * incident id, the request's bytes as the envelope: the row
 * fq-bench-pg-ceiling copies) into bench_floor_acks and commits it, durably
 * (it refuses to run unless synchronous_commit is on). Each request's
 * statement runs alone in its own transaction on a connection of its own out
 * of --connections C (default 32: more than a paced 1,000/s has in flight
 * unless a commit takes tens of ms), so no request waits for another's
 * commit unless every connection is busy (then it queues, and the client
 * counts the wait). Concurrent commits may share a WAL flush, as PostgreSQL
 * does for any backends. That is a nanomsg round trip plus a one-row durable
 * commit: no durable server can acknowledge a report faster. The rows are
 * counted at the end; a reply for a row that is not there is a failure. It
 * says on stderr when it is ready (table made, connections open, socket
 * bound) and, at SIGTERM, what it committed and answered.
 *
 *   fq-bench-nn-ceiling server  --url URL --reply-bytes N        (until SIGTERM)
 *                               [--commit CONNINFO [--connections C]]
 *   fq-bench-nn-ceiling clients --url URL --clients K --procs P --request-bytes N --seconds T
 *   fq-bench-nn-ceiling both    --url URL --reply-bytes N --clients K --procs P
 *                               --request-bytes N --seconds T
 *
 * clients and both print one JSON line:
 * {"clients":K,"round_trips":N,"seconds":T,"round_trips_per_s":R,"p50_us":..,"p99_us":..} */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "benchutil.h"

#define WARMUP_NS INT64_C(1000000000)
#define MAX_SOCKETS_PER_PROC 500       /* nanomsg's limit is 512 sockets per process */
#define MAX_SAMPLES_PER_SECOND 2000000 /* per process; the array is only touched as used */

struct opts {
    const char *url;
    long reply_bytes, request_bytes, clients, procs, seconds;
    const char *commit; /* server: commit a row per request on this database first */
    long connections;   /* with commit: how many connections */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: fq-bench-nn-ceiling server --url URL --reply-bytes N"
            " [--commit CONNINFO [--connections C]]\n"
            "       fq-bench-nn-ceiling clients --url URL --clients K --procs P"
            " --request-bytes N --seconds T\n"
            "       fq-bench-nn-ceiling both --url URL --reply-bytes N --clients K --procs P"
            " --request-bytes N --seconds T\n");
    exit(2);
}

static _Noreturn void nn_die(const char *what)
{
    bu_die_detail(what, nn_strerror(nn_errno()));
}

/* ---- server ---- */

static int run_server(const struct opts *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int s = nn_socket(AF_SP_RAW, NN_REP);
    if (s < 0)
        nn_die("nn_socket");
    if (nn_bind(s, o->url) < 0)
        nn_die("nn_bind");
    int fd;
    size_t fdsz = sizeof fd;
    if (nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &fd, &fdsz) < 0)
        nn_die("NN_RCVFD");

    uint8_t *reply = bu_xmalloc((size_t)o->reply_bytes);
    bu_fill_random(reply, (size_t)o->reply_bytes);
    uint64_t answered = 0, dropped = 0;

    while (!stop_flag) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int rc = poll(&pfd, 1, 500);
        if (rc < 0 && errno != EINTR) {
            perror("fq-bench-nn-ceiling: poll");
            return 1;
        }
        if (rc <= 0)
            continue;
        for (;;) {
            void *body = NULL, *control = NULL;
            struct nn_iovec iov = {.iov_base = &body, .iov_len = NN_MSG};
            struct nn_msghdr hdr = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = &control,
                                    .msg_controllen = NN_MSG};
            int n = nn_recvmsg(s, &hdr, NN_DONTWAIT);
            if (n < 0) {
                if (nn_errno() == EAGAIN || nn_errno() == EINTR)
                    break;
                if (nn_errno() == EBADF || nn_errno() == ETERM)
                    goto out;
                nn_die("nn_recvmsg");
            }
            nn_freemsg(body);

            struct nn_iovec riov = {.iov_base = reply, .iov_len = (size_t)o->reply_bytes};
            struct nn_msghdr rhdr = {.msg_iov = &riov,
                                     .msg_iovlen = 1,
                                     .msg_control = &control,
                                     .msg_controllen = NN_MSG};
            if (nn_sendmsg(s, &rhdr, NN_DONTWAIT) < 0) {
                /* On failure the control chunk is still ours. */
                nn_freemsg(control);
                dropped++;
            } else {
                answered++;
            }
        }
    }
out:
    nn_close(s);
    free(reply);
    fprintf(stderr, "fq-bench-nn-ceiling server: answered %" PRIu64 ", dropped %" PRIu64 "\n",
            answered, dropped);
    return 0;
}

/* ---- the floor: a durable one-row commit before each reply ---- */

#define FLOOR_TABLE "bench_floor_acks"
#define FLOOR_NODE "bench-floor"
#define FLOOR_INSERT_NAME "floor_insert"

/* A request received and not yet answered. */
struct request {
    void *body, *control; /* nanomsg chunks, ours until replied (or freed) */
    int len;
};

struct floor_conn {
    PGconn *pg;
    bool busy;
    bool flushing; /* the statement is not all sent yet */
    struct request req;
};

struct floor {
    const struct opts *o;
    int sock;
    uint8_t *reply;
    struct floor_conn *conns;
    struct request *queue; /* waiting for a free connection, a ring */
    size_t queue_head, queue_len, queue_cap;
    uint64_t next_id, answered, dropped, committed, queued_ever;
};

static _Noreturn void floor_pq_die(const char *what, PGconn *pg)
{
    bu_die_detail(what, PQerrorMessage(pg));
}

static PGconn *floor_connect(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        floor_pq_die("connect", pg);
    PGresult *r = PQexec(pg, "SHOW synchronous_commit");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "on") != 0)
        bu_die("synchronous_commit is not on: the floor would not be durable");
    PQclear(r);
    return pg;
}

static void floor_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        floor_pq_die(sql, pg);
    PQclear(r);
}

/* Sends the request's INSERT on c (autocommit: the statement is its own
 * transaction, and its result comes once the commit is flushed). */
static void floor_start(struct floor *f, struct floor_conn *c, struct request req)
{
    char id[24], incident[24];
    uint64_t n = f->next_id++;
    snprintf(id, sizeof id, "%" PRIu64, n);
    snprintf(incident, sizeof incident, "%" PRIu64, n + UINT64_C(1000000000000));
    const char *values[4] = {FLOOR_NODE, id, incident, req.body};
    int lengths[4] = {0, 0, 0, req.len};
    int formats[4] = {0, 0, 0, 1};
    if (!PQsendQueryPrepared(c->pg, FLOOR_INSERT_NAME, 4, values, lengths, formats, 0))
        floor_pq_die("send insert", c->pg);
    int pending = PQflush(c->pg);
    if (pending < 0)
        floor_pq_die("flush", c->pg);
    c->flushing = pending == 1;
    c->busy = true;
    c->req = req;
}

static void floor_reply(struct floor *f, struct request *req)
{
    nn_freemsg(req->body);
    struct nn_iovec riov = {.iov_base = f->reply, .iov_len = (size_t)f->o->reply_bytes};
    struct nn_msghdr rhdr = {
        .msg_iov = &riov, .msg_iovlen = 1, .msg_control = &req->control, .msg_controllen = NN_MSG};
    if (nn_sendmsg(f->sock, &rhdr, NN_DONTWAIT) < 0) {
        nn_freemsg(req->control); /* on failure the control chunk is still ours */
        f->dropped++;
    } else {
        f->answered++;
    }
}

/* Reads what c's backend sent; once its statement is done, replies and takes
 * the next queued request. */
static void floor_progress(struct floor *f, struct floor_conn *c)
{
    if (c->flushing) {
        int pending = PQflush(c->pg);
        if (pending < 0)
            floor_pq_die("flush", c->pg);
        c->flushing = pending == 1;
    }
    if (!PQconsumeInput(c->pg))
        floor_pq_die("read", c->pg);
    while (c->busy && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(r), "1") != 0)
                floor_pq_die("insert", c->pg);
            PQclear(r);
            f->committed++;
            continue;
        }
        c->busy = false; /* NULL: the statement's results are all in */
        floor_reply(f, &c->req);
        if (f->queue_len > 0) {
            struct request next = f->queue[f->queue_head];
            f->queue_head = (f->queue_head + 1) % f->queue_cap;
            f->queue_len--;
            floor_start(f, c, next);
        }
    }
}

static void floor_take(struct floor *f, struct request req)
{
    for (long i = 0; i < f->o->connections; i++) {
        if (!f->conns[i].busy) {
            floor_start(f, &f->conns[i], req);
            return;
        }
    }
    if (f->queue_len == f->queue_cap) {
        size_t cap = f->queue_cap ? 2 * f->queue_cap : 1024;
        struct request *q = bu_xmalloc(sizeof *q * cap);
        for (size_t k = 0; k < f->queue_len; k++)
            q[k] = f->queue[(f->queue_head + k) % f->queue_cap];
        free(f->queue);
        f->queue = q;
        f->queue_head = 0;
        f->queue_cap = cap;
    }
    f->queue[(f->queue_head + f->queue_len++) % f->queue_cap] = req;
    f->queued_ever++;
}

static int run_commit_server(const struct opts *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct floor f;
    memset(&f, 0, sizeof f);
    f.o = o;
    f.conns = bu_xmalloc(sizeof *f.conns * (size_t)o->connections);
    PGconn *admin = floor_connect(o->commit);
    floor_exec(admin, "SET client_min_messages = warning");
    floor_exec(admin, "DROP TABLE IF EXISTS " FLOOR_TABLE);
    floor_exec(admin, "CREATE TABLE " FLOOR_TABLE " (reporter_node text NOT NULL,"
                      " message_id bigint NOT NULL, incident_id bigint NOT NULL,"
                      " envelope bytea NOT NULL, PRIMARY KEY (reporter_node, message_id))");
    for (long i = 0; i < o->connections; i++) {
        struct floor_conn *c = &f.conns[i];
        memset(c, 0, sizeof *c);
        c->pg = floor_connect(o->commit);
        PGresult *r = PQprepare(c->pg, FLOOR_INSERT_NAME,
                                "INSERT INTO " FLOOR_TABLE
                                " (reporter_node, message_id, incident_id, envelope)"
                                " VALUES ($1, $2, $3, $4)",
                                4, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            floor_pq_die("prepare", c->pg);
        PQclear(r);
        if (PQsetnonblocking(c->pg, 1) != 0)
            floor_pq_die("nonblocking", c->pg);
    }
    f.next_id = 1;

    f.sock = nn_socket(AF_SP_RAW, NN_REP);
    if (f.sock < 0)
        nn_die("nn_socket");
    if (nn_bind(f.sock, o->url) < 0)
        nn_die("nn_bind");
    int fd;
    size_t fdsz = sizeof fd;
    if (nn_getsockopt(f.sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &fdsz) < 0)
        nn_die("NN_RCVFD");
    f.reply = bu_xmalloc((size_t)o->reply_bytes);
    bu_fill_random(f.reply, (size_t)o->reply_bytes);
    fprintf(stderr, "fq-bench-nn-ceiling server: ready (%ld connections)\n", o->connections);

    struct pollfd *pfds = bu_xmalloc(sizeof *pfds * (size_t)(o->connections + 1));
    bool closing = false;
    while (!stop_flag || closing) {
        pfds[0] = (struct pollfd){.fd = fd, .events = POLLIN};
        int n = 1;
        for (long i = 0; i < o->connections; i++) {
            struct floor_conn *c = &f.conns[i];
            pfds[n++] = (struct pollfd){.fd = c->busy ? PQsocket(c->pg) : -1,
                                        .events = (short)(POLLIN | (c->flushing ? POLLOUT : 0))};
        }
        int rc = poll(pfds, (nfds_t)n, 500);
        if (rc < 0 && errno != EINTR) {
            perror("fq-bench-nn-ceiling: poll");
            return 1;
        }
        for (long i = 0; i < o->connections && rc > 0; i++)
            if (pfds[i + 1].revents)
                floor_progress(&f, &f.conns[i]);
        if (rc > 0 && (pfds[0].revents & POLLIN)) {
            for (;;) {
                struct request req = {NULL, NULL, 0};
                struct nn_iovec iov = {.iov_base = &req.body, .iov_len = NN_MSG};
                struct nn_msghdr hdr = {.msg_iov = &iov,
                                        .msg_iovlen = 1,
                                        .msg_control = &req.control,
                                        .msg_controllen = NN_MSG};
                req.len = nn_recvmsg(f.sock, &hdr, NN_DONTWAIT);
                if (req.len < 0) {
                    if (nn_errno() == EAGAIN || nn_errno() == EINTR)
                        break;
                    nn_die("nn_recvmsg");
                }
                floor_take(&f, req);
            }
        }
        /* On SIGTERM: finish what is in flight (its rows are committed or
         * not; the count below must match the replies either way). */
        closing = false;
        if (stop_flag)
            for (long i = 0; i < o->connections; i++)
                closing = closing || f.conns[i].busy;
    }
    for (size_t k = 0; k < f.queue_len; k++) {
        struct request *req = &f.queue[(f.queue_head + k) % f.queue_cap];
        nn_freemsg(req->body);
        nn_freemsg(req->control);
    }
    free(f.queue);
    nn_close(f.sock);
    for (long i = 0; i < o->connections; i++)
        PQfinish(f.conns[i].pg);
    free(f.conns);
    free(pfds);
    free(f.reply);

    PGresult *r = PQexec(admin, "SELECT count(*) FROM " FLOOR_TABLE);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        floor_pq_die("count", admin);
    uint64_t stored = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    floor_exec(admin, "DROP TABLE " FLOOR_TABLE);
    PQfinish(admin);
    fprintf(stderr,
            "fq-bench-nn-ceiling server: committed %" PRIu64 " rows (%" PRIu64 " stored),"
            " answered %" PRIu64 ", dropped %" PRIu64 ", %" PRIu64
            " waited for a free connection\n",
            f.committed, stored, f.answered, f.dropped, f.queued_ever);
    if (stored != f.committed || f.answered + f.dropped != f.committed) {
        fprintf(stderr, "fq-bench-nn-ceiling server: rows and replies do not match\n");
        return 1;
    }
    return 0;
}

/* ---- clients ---- */

/* What one client process sends its parent through the pipe, followed by
 * `recorded` uint32 round-trip times in nanoseconds. */
struct report {
    uint64_t round_trips; /* completed inside the measurement window */
    uint64_t recorded;    /* of which latency was recorded */
};

/* What client_proc needs besides its share of the sockets. */
struct window {
    const struct opts *o;
    int64_t t_start, t_end;
};

/* One client process: `count` REQ sockets, closed loop each. */
static void client_proc(void *arg, int index, int count, int out)
{
    const struct window *w = arg;
    const struct opts *o = w->o;
    int64_t t_start = w->t_start, t_end = w->t_end;
    (void)index;
    int *socks = bu_xmalloc(sizeof(int) * (size_t)count);
    int64_t *sent_at = bu_xmalloc(sizeof(int64_t) * (size_t)count);
    bool *waiting = bu_xmalloc(sizeof(bool) * (size_t)count);
    struct nn_pollfd *pfds = bu_xmalloc(sizeof(struct nn_pollfd) * (size_t)count);
    uint8_t *request = bu_xmalloc((size_t)o->request_bytes);
    bu_fill_random(request, (size_t)o->request_bytes);

    size_t cap = (size_t)o->seconds * MAX_SAMPLES_PER_SECOND;
    uint32_t *samples = bu_xmalloc(sizeof(uint32_t) * cap); /* preallocated, touched as used */
    struct report rep = {0, 0};

    for (int i = 0; i < count; i++) {
        socks[i] = nn_socket(AF_SP, NN_REQ);
        if (socks[i] < 0)
            nn_die("nn_socket");
        if (nn_connect(socks[i], o->url) < 0)
            nn_die("nn_connect");
        waiting[i] = false;
    }

    bool sending = true;
    int outstanding = 0;
    for (;;) {
        int64_t now = bu_now_ns();
        if (sending && now >= t_end)
            sending = false;
        if (!sending && outstanding == 0)
            break;
        if (!sending && now >= t_end + WARMUP_NS)
            break; /* late replies after the window don't matter */

        if (sending) {
            for (int i = 0; i < count; i++) {
                if (waiting[i])
                    continue;
                sent_at[i] = bu_now_ns();
                if (nn_send(socks[i], request, (size_t)o->request_bytes, NN_DONTWAIT) < 0) {
                    if (nn_errno() == EAGAIN)
                        continue;
                    nn_die("nn_send");
                }
                waiting[i] = true;
                outstanding++;
            }
        }

        for (int i = 0; i < count; i++) {
            pfds[i].fd = socks[i];
            pfds[i].events = waiting[i] ? NN_POLLIN : (sending ? NN_POLLOUT : 0);
            pfds[i].revents = 0;
        }
        int rc = nn_poll(pfds, count, 100);
        if (rc < 0) {
            if (nn_errno() == EINTR)
                continue;
            nn_die("nn_poll");
        }
        for (int i = 0; i < count && rc > 0; i++) {
            if (!waiting[i] || !(pfds[i].revents & NN_POLLIN))
                continue;
            void *msg = NULL;
            int n = nn_recv(socks[i], &msg, NN_MSG, NN_DONTWAIT);
            if (n < 0) {
                if (nn_errno() == EAGAIN)
                    continue;
                nn_die("nn_recv");
            }
            int64_t done = bu_now_ns();
            nn_freemsg(msg);
            waiting[i] = false;
            outstanding--;
            if (done >= t_start && done < t_end) {
                rep.round_trips++;
                if (rep.recorded < cap) {
                    int64_t rtt = done - sent_at[i];
                    samples[rep.recorded++] = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
                }
            }
            if (sending && done < t_end) {
                /* Closed loop: the next request goes out as soon as the reply is in. */
                sent_at[i] = bu_now_ns();
                if (nn_send(socks[i], request, (size_t)o->request_bytes, NN_DONTWAIT) < 0) {
                    if (nn_errno() != EAGAIN)
                        nn_die("nn_send");
                } else {
                    waiting[i] = true;
                    outstanding++;
                }
            }
        }
    }

    bu_send_report(out, &rep, sizeof rep, samples, rep.recorded);
    for (int i = 0; i < count; i++)
        nn_close(socks[i]);
    _exit(0);
}

static int run_clients(const struct opts *o)
{
    if (o->procs > o->clients)
        usage();
    if ((o->clients + o->procs - 1) / o->procs > MAX_SOCKETS_PER_PROC) {
        fprintf(stderr, "fq-bench-nn-ceiling: at most %d clients per process\n",
                MAX_SOCKETS_PER_PROC);
        return 2;
    }
    int64_t t_start = bu_now_ns() + WARMUP_NS;
    int64_t t_end = t_start + (int64_t)o->seconds * 1000000000;

    struct window w = {o, t_start, t_end};
    struct bu_procs ps;
    if (!bu_procs_start(&ps, (int)o->procs, o->clients, client_proc, &w))
        return 1;
    struct report *reps = bu_xmalloc(sizeof *reps * (size_t)o->procs);
    struct bu_latencies all = {0};
    if (!bu_procs_finish(&ps, reps, sizeof *reps, offsetof(struct report, recorded), &all))
        return 1;
    uint64_t round_trips = 0, recorded = all.n;
    for (long p = 0; p < o->procs; p++)
        round_trips += reps[p].round_trips;
    free(reps);
    if (recorded == 0) {
        fprintf(stderr, "fq-bench-nn-ceiling: no round trip completed (is the server up?)\n");
        return 1;
    }
    if (recorded < round_trips)
        fprintf(stderr, "fq-bench-nn-ceiling: latency recorded for %" PRIu64 " of %" PRIu64 "\n",
                recorded, round_trips);

    bu_latencies_sort(&all);
    double p50 = bu_latency_us(&all, 500);
    double p99 = bu_latency_us(&all, 990);
    printf("{\"clients\":%ld,\"round_trips\":%" PRIu64 ",\"seconds\":%ld,"
           "\"round_trips_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           o->clients, round_trips, o->seconds, (double)round_trips / (double)o->seconds, p50, p99);
    bu_latencies_free(&all);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    bu_init("fq-bench-nn-ceiling", true, usage);
    const char *mode = argv[1];
    bool server = strcmp(mode, "server") == 0, clients = strcmp(mode, "clients") == 0,
         both = strcmp(mode, "both") == 0;
    if (!server && !clients && !both)
        usage();

    struct opts o = {NULL, -1, -1, -1, -1, -1, NULL, 32};
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--url") == 0)
            o.url = v;
        else if (strcmp(k, "--commit") == 0 && server)
            o.commit = v;
        else if (strcmp(k, "--connections") == 0 && server)
            o.connections = bu_parse_long(v, 1, 200);
        else if (strcmp(k, "--reply-bytes") == 0 && !clients)
            o.reply_bytes = bu_parse_long(v, 0, 64L << 20);
        else if (strcmp(k, "--request-bytes") == 0 && !server)
            o.request_bytes = bu_parse_long(v, 0, 64L << 20);
        else if (strcmp(k, "--clients") == 0 && !server)
            o.clients = bu_parse_long(v, 1, 100000);
        else if (strcmp(k, "--procs") == 0 && !server)
            o.procs = bu_parse_long(v, 1, 1000);
        else if (strcmp(k, "--seconds") == 0 && !server)
            o.seconds = bu_parse_long(v, 1, 3600);
        else
            usage();
    }
    if (!o.url || ((server || both) && o.reply_bytes < 0) ||
        ((clients || both) &&
         (o.request_bytes < 0 || o.clients < 0 || o.procs < 0 || o.seconds < 0)))
        usage();

    if (server)
        return o.commit ? run_commit_server(&o) : run_server(&o);
    if (clients)
        return run_clients(&o);

    /* both: fork the server before this process touches nanomsg. */
    fflush(stdout);
    pid_t srv = fork();
    if (srv < 0) {
        perror("fq-bench-nn-ceiling: fork");
        return 1;
    }
    if (srv == 0)
        _exit(run_server(&o));
    usleep(100 * 1000); /* let it bind; clients would reconnect anyway */
    int rc = run_clients(&o);
    kill(srv, SIGTERM);
    int status;
    if (waitpid(srv, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fq-bench-nn-ceiling: server process failed\n");
        return 1;
    }
    return rc;
}
