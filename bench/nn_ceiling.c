/* fq-bench-nn-ceiling: the transport ceiling for the intake benchmark.
 *
 * Raw nanomsg REQ/REP round trips with nothing behind them. The server is a
 * raw (AF_SP_RAW) NN_REP socket that answers each request at once with a
 * reply of a fixed size, event-driven like fengqiaod: poll(2) on NN_RCVFD,
 * drain with NN_DONTWAIT, send the reply back with the request's routing
 * header. The clients are K plain NN_REQ sockets spread over P processes
 * (nanomsg has one I/O thread per process and at most 512 sockets), each in a
 * closed loop with one request outstanding, for T seconds after a 1 s warm-up.
 * No batching: one request, one reply, as the real server sees them.
 *
 *   fq-bench-nn-ceiling server  --url URL --reply-bytes N        (until SIGTERM)
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

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "benchutil.h"

#define WARMUP_NS INT64_C(1000000000)
#define MAX_SOCKETS_PER_PROC 500       /* nanomsg's limit is 512 sockets per process */
#define MAX_SAMPLES_PER_SECOND 2000000 /* per process; the array is only touched as used */

struct opts {
    const char *url;
    long reply_bytes, request_bytes, clients, procs, seconds;
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
            "usage: fq-bench-nn-ceiling server --url URL --reply-bytes N\n"
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

    struct opts o = {NULL, -1, -1, -1, -1, -1};
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--url") == 0)
            o.url = v;
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
        return run_server(&o);
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
