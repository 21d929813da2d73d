/* fq-bench-console-board: the nanomsg side of bench/run http — the board's
 * first page read the way fq-console reads it, as the baseline of the web
 * console's GET /api/v1/board?limit=N.
 *
 *   fq-bench-console-board --url URL --node ID --key-file FILE --limit N
 *                          --clients K --seconds T [--warmup W]
 *
 * K NN_REQ sockets in one process, closed loop: each sends a signed
 * ConsoleQuery{open_incidents{limit N}} (a fresh message id every time) as
 * soon as the answer to its last one arrived, and checks that answer: it
 * must open under the node key, be authenticated, echo the message id, say
 * STATUS_OK and hold exactly N incidents (the benchmark loads more than N).
 * Anything else is a failure and makes the exit status 1. Latency is send to
 * checked answer; the rate counts the answers inside the T s window after W
 * s of warm-up (default 1).
 *
 * Prints one JSON line: {"clients":K,"seconds":T,"answers":N,"rate":..,
 * "p50_us":..,"p99_us":..,"max_us":..,"reply_bytes_mean":..,"failures":F,
 * "cpu_s":..} */
#define _GNU_SOURCE
#include "fq_keyfile.h"
#include "fq_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "benchutil.h"

#define DRAIN_MS 30000
#define MAX_FAILURE_MESSAGES 5

struct opts {
    const char *url, *node, *key_file;
    long limit, clients;
    double seconds, warmup;
    uint8_t key[FQ_KEY_BYTES];
};

struct slot {
    int sock;
    bool busy;
    uint64_t message_id;
    int64_t sent_ns;
};

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-console-board --url URL --node ID --key-file FILE --limit N\n"
                    "           --clients K --seconds T [--warmup W]\n");
    exit(2);
}

static _Noreturn void nn_die(const char *what)
{
    bu_die_detail(what, nn_strerror(nn_errno()));
}

static uint64_t next_message_id;
static uint64_t failures;

static void failure(const char *what, const char *detail)
{
    if (failures++ < MAX_FAILURE_MESSAGES)
        fprintf(stderr, "fq-bench-console-board: %s%s\n", what, detail ? detail : "");
}

/* Sends the next board query on the slot; false when the socket cannot
 * take it yet (still connecting). */
static bool send_query(const struct opts *o, struct slot *s)
{
    Fengqiao__V1__OpenIncidentsQuery open = FENGQIAO__V1__OPEN_INCIDENTS_QUERY__INIT;
    open.limit = (uint32_t)o->limit;
    Fengqiao__V1__ConsoleQuery query = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
    query.open_incidents = &open;
    query.cursor = "";
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.schema_version = FQ_SCHEMA_VERSION;
    env.sender = (char *)o->node;
    env.message_id = next_message_id;
    env.sent_at_ms = fq_now_ms();
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
    env.console_query = &query;
    uint8_t *frame = NULL;
    size_t len = 0;
    if (fq_wire_seal_request(o->key, &env, &frame, &len) != FQ_WIRE_OK)
        bu_die("fq_wire_seal_request failed");
    int rc = nn_send(s->sock, frame, len, NN_DONTWAIT);
    free(frame);
    if (rc < 0) {
        if (nn_errno() == EAGAIN)
            return false;
        nn_die("nn_send");
    }
    s->busy = true;
    s->message_id = next_message_id++;
    s->sent_ns = bu_now_ns();
    return true;
}

/* Receives and checks the answer on the slot: its size in bytes when it is
 * a good page, 0 when it is not, -1 when nothing was there. */
static int receive_answer(const struct opts *o, struct slot *s, fq_arena *arena)
{
    void *msg = NULL;
    int n = nn_recv(s->sock, &msg, NN_MSG, NN_DONTWAIT);
    if (n < 0) {
        if (nn_errno() == EAGAIN || nn_errno() == EINTR)
            return -1;
        nn_die("nn_recv");
    }
    s->busy = false;
    Fengqiao__V1__Reply *reply = NULL;
    int authenticated = 0;
    int rv = fq_wire_open_reply(o->key, msg, (size_t)n, arena, &reply, &authenticated);
    int good = 0;
    if (rv != FQ_WIRE_OK)
        failure("an answer does not open: ", fq_wire_strerror(rv));
    else if (!authenticated)
        failure("an unauthenticated answer: ", reply->message);
    else if (reply->message_id != s->message_id)
        failure("an answer for another message id", NULL);
    else if (reply->status != FENGQIAO__V1__STATUS__STATUS_OK)
        failure("refused: ", reply->message);
    else if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_CONSOLE ||
             reply->console->n_incidents != (size_t)o->limit)
        failure("an answer without a full page of incidents", NULL);
    else
        good = n;
    fq_arena_reset(arena);
    nn_freemsg(msg);
    return good;
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-console-board", false, usage);
    struct opts o;
    memset(&o, 0, sizeof o);
    o.limit = 100;
    o.clients = 8;
    o.seconds = 10;
    o.warmup = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--url") == 0)
            o.url = v;
        else if (strcmp(k, "--node") == 0)
            o.node = v;
        else if (strcmp(k, "--key-file") == 0)
            o.key_file = v;
        else if (strcmp(k, "--limit") == 0)
            o.limit = bu_parse_long(v, 1, 2000);
        else if (strcmp(k, "--clients") == 0)
            o.clients = bu_parse_long(v, 1, 500);
        else if (strcmp(k, "--seconds") == 0)
            o.seconds = bu_parse_double(v, 0.1, 3600);
        else if (strcmp(k, "--warmup") == 0)
            o.warmup = bu_parse_double(v, 0, 3600);
        else
            usage();
    }
    if (!o.url || !o.node || !o.key_file)
        usage();
    if (sodium_init() < 0)
        bu_die("libsodium failed to initialise");
    char key_err[512];
    if (fq_key_file_read(o.key_file, o.key, sizeof o.key, key_err, sizeof key_err) != 0)
        bu_die_detail("--key-file", key_err);
    bu_fill_random(&next_message_id, sizeof next_message_id);
    next_message_id = (next_message_id & ((UINT64_C(1) << 62) - 1)) | 1;

    int k = (int)o.clients;
    struct slot *slots = bu_xmalloc(sizeof *slots * (size_t)k);
    struct pollfd *pfds = bu_xmalloc(sizeof *pfds * (size_t)k);
    for (int i = 0; i < k; i++) {
        slots[i].sock = nn_socket(AF_SP, NN_REQ);
        if (slots[i].sock < 0)
            nn_die("nn_socket");
        int resend = 600000; /* never resend: a resend would be a second query */
        int max_size = FQ_MAX_FRAME_BYTES;
        nn_setsockopt(slots[i].sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
        nn_setsockopt(slots[i].sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max_size, sizeof max_size);
        if (nn_connect(slots[i].sock, o.url) < 0)
            nn_die("nn_connect");
        size_t sz = sizeof pfds[i].fd;
        if (nn_getsockopt(slots[i].sock, NN_SOL_SOCKET, NN_RCVFD, &pfds[i].fd, &sz) < 0)
            nn_die("NN_RCVFD");
        pfds[i].events = POLLIN;
        slots[i].busy = false;
    }
    uint8_t *arena_buf = bu_xmalloc(FQ_DECODE_ARENA_BYTES);
    fq_arena arena;
    fq_arena_init(&arena, arena_buf, FQ_DECODE_ARENA_BYTES);

    struct bu_latencies lat = {0};
    uint64_t answers = 0, reply_bytes = 0, replies = 0;
    int64_t t0 = bu_now_ns();
    int64_t t_start = t0 + (int64_t)(o.warmup * 1e9);
    int64_t t_end = t_start + (int64_t)(o.seconds * 1e9);
    int outstanding = 0;
    for (;;) {
        int64_t now = bu_now_ns();
        bool sending = now < t_end;
        if (!sending && (outstanding == 0 || now > t_end + (int64_t)DRAIN_MS * 1000000))
            break;
        if (sending)
            for (int i = 0; i < k; i++)
                if (!slots[i].busy && send_query(&o, &slots[i]))
                    outstanding++;
        int rc = poll(pfds, (nfds_t)k, outstanding < k && sending ? 1 : 100);
        if (rc < 0 && errno != EINTR)
            bu_die_errno("poll");
        for (int i = 0; i < k && rc > 0; i++) {
            if (!(pfds[i].revents & POLLIN) || !slots[i].busy)
                continue;
            int64_t sent = slots[i].sent_ns;
            int n = receive_answer(&o, &slots[i], &arena);
            if (n < 0)
                continue;
            outstanding--;
            replies++;
            reply_bytes += (uint64_t)n;
            int64_t done = bu_now_ns();
            if (n > 0 && done >= t_start && done < t_end) {
                answers++;
                if (lat.n == lat.cap) {
                    lat.cap = lat.cap ? lat.cap * 2 : 65536;
                    lat.v = realloc(lat.v, lat.cap * sizeof *lat.v);
                    if (!lat.v)
                        bu_die("out of memory");
                }
                int64_t ns = done - sent;
                lat.v[lat.n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
            }
        }
    }
    if (outstanding > 0) {
        fprintf(stderr, "fq-bench-console-board: %d queries unanswered\n", outstanding);
        failures += (uint64_t)outstanding;
    }
    if (lat.n == 0) {
        fprintf(stderr, "fq-bench-console-board: no good answer in the window\n");
        failures++;
    }
    bu_latencies_sort(&lat);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("{\"clients\":%d,\"seconds\":%.3f,\"answers\":%" PRIu64 ",\"rate\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"reply_bytes_mean\":%.1f,"
           "\"failures\":%" PRIu64 ",\"cpu_s\":%.2f}\n",
           k, o.seconds, answers, (double)answers / o.seconds,
           lat.n ? bu_latency_us(&lat, 500) : 0.0, lat.n ? bu_latency_us(&lat, 990) : 0.0,
           lat.n ? bu_latency_us(&lat, 1000) : 0.0,
           replies ? (double)reply_bytes / (double)replies : 0.0, failures, cpu);
    fflush(stdout);
    for (int i = 0; i < k; i++)
        nn_close(slots[i].sock);
    bu_latencies_free(&lat);
    free(arena_buf);
    free(slots);
    free(pfds);
    return failures ? 1 : 0;
}
