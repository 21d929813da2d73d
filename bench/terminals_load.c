/* fq-bench-terminals: the load side of bench/run terminals.
 *
 *   fq-bench-terminals keys   --server-key FILE --count N --keys-out FILE
 *       N terminal nodes t<i> serving worker w<i> (grid g<i/10>): prints the
 *       rows for `COPY nodes (id, role, jurisdiction, key_sealed,
 *       serves_worker) FROM STDIN` on stdout (keys sealed as fengqiao-admin
 *       seals them) and writes the N node keys, hex, one a line, to FILE.
 *   fq-bench-terminals hold   --url URL --keys FILE --count N --procs P --seconds T
 *       N terminals (one NN_REQ socket each, spread over P processes) long-poll
 *       terminal_sync {after_seq, wait_ms 25000} for T s; each, after a reply,
 *       syncs again at once with the new after_seq. An ITEM_ASSIGNMENT whose
 *       title is "bench <CLOCK_REALTIME us>" gives one latency sample: receipt
 *       time minus that. Ends early when --stop-file FILE exists. Prints one
 *       JSON line. --receipts FILE: process p writes "<title us>\t<receipt
 *       us>" for each sample to FILE.<p>.
 *   fq-bench-terminals report --url URL --node ID --key-file FILE --grids G
 *                             --rate R --seconds T [--clients K] [--acks FILE]
 *       paced reports (severity IV, risk low, dispute.neighbour) over grids
 *       g0..g<G-1>, title "bench <scheduled send time, CLOCK_REALTIME us>"
 *       (a report that waits for a free socket has its wait counted, here
 *       and at the terminal), each at its own point at least 1 km from the
 *       others (no duplicates). Nothing is sent after the T s: reports of
 *       the window a slower server left unsent are counted ("unsent"). Prints
 *       one JSON line (ack latency from the scheduled time); --acks gets
 *       "<title us>\t<CLOCK_REALTIME us of its ack>\t<message id>" for each
 *       acknowledged report (the id names it in fengqiaod's --trace-reports).
 *
 * Every process raises RLIMIT_NOFILE to its hard limit. */
#define _GNU_SOURCE
#include "fq_keyfile.h"
#include "fq_wire.h"
#include "keyseal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "benchutil.h"

#define MAX_SOCKETS_PER_PROC 500
#define WAIT_MS 25000

static void usage(void)
{
    fprintf(stderr,
            "usage: fq-bench-terminals keys --server-key FILE --count N --keys-out FILE\n"
            "       fq-bench-terminals hold --url URL --keys FILE --count N --procs P --seconds T\n"
            "                          [--stop-file FILE] [--receipts FILE]\n"
            "       fq-bench-terminals report --url URL --node ID --key-file FILE --grids G\n"
            "                          --rate R --seconds T [--clients K] [--acks FILE]\n");
    exit(2);
}

static _Noreturn void nn_die(const char *what)
{
    bu_die_detail(what, nn_strerror(nn_errno()));
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void parse_key(const char *hex, uint8_t key[FQ_KEY_BYTES])
{
    size_t bin_len = 0;
    if (strlen(hex) != 2 * FQ_KEY_BYTES ||
        sodium_hex2bin(key, FQ_KEY_BYTES, hex, strlen(hex), NULL, &bin_len, NULL) != 0 ||
        bin_len != FQ_KEY_BYTES)
        bu_die("a key is not 64 hex digits");
}

static int req_socket(const char *url)
{
    int s = nn_socket(AF_SP, NN_REQ);
    if (s < 0)
        nn_die("nn_socket");
    int resend = 600000; /* far above the 25 s hold: never resend */
    int max_size = FQ_MAX_FRAME_BYTES;
    nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max_size, sizeof max_size);
    if (nn_connect(s, url) < 0)
        nn_die("nn_connect");
    return s;
}

static int rcv_fd(int s)
{
    int fd;
    size_t sz = sizeof fd;
    if (nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz) < 0)
        nn_die("NN_RCVFD");
    return fd;
}

struct opts {
    const char *url, *keys, *server_key, *keys_out, *node, *key_file, *stop_file, *acks, *receipts;
    long count, procs, grids, clients;
    double seconds, rate;
};

/* ---- keys ---- */

static int run_keys(const struct opts *o)
{
    char err[256];
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    if (fq_server_key_load(o->server_key, server_key, err, sizeof err) != 0)
        bu_die_detail("server key", err);
    /* The terminals' keys: owner-only from the start, never over an old file. */
    int kfd = open(o->keys_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *kf = kfd >= 0 ? fdopen(kfd, "w") : NULL;
    if (!kf)
        bu_die_errno("keys-out");
    for (long i = 0; i < o->count; i++) {
        char id[32], hex[2 * FQ_SEALED_KEY_BYTES + 1], khex[65];
        snprintf(id, sizeof id, "t%ld", i);
        uint8_t key[32], sealed[FQ_SEALED_KEY_BYTES];
        randombytes_buf(key, sizeof key);
        fq_key_seal(server_key, id, key, sealed);
        sodium_bin2hex(hex, sizeof hex, sealed, sizeof sealed);
        sodium_bin2hex(khex, sizeof khex, key, sizeof key);
        printf("%s\tterminal\tg%ld\t\\\\x%s\tw%ld\n", id, i / 10, hex, i);
        fprintf(kf, "%s\n", khex);
    }
    fclose(kf);
    return 0;
}

/* ---- hold ---- */

struct hold_tally {
    uint64_t recorded; /* latency samples (ns, clamped) that follow */
    uint64_t replies, items, assignments, heartbeats, superseded, failures, max_outstanding;
    double cpu_s;
};

struct term {
    int sock, fd;
    uint64_t after_seq, next_id;
    uint8_t key[FQ_KEY_BYTES];
    char id[16];
    bool busy;
};

struct hold_arg {
    const struct opts *o;
    uint8_t (*keys)[FQ_KEY_BYTES];
    int64_t t_end;
};

static bool send_sync(struct term *t)
{
    Fengqiao__V1__TerminalSync body = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    body.after_seq = t->after_seq;
    body.wait_ms = WAIT_MS;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.schema_version = FQ_SCHEMA_VERSION;
    env.sender = t->id;
    env.message_id = t->next_id++;
    env.sent_at_ms = fq_now_ms();
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
    env.terminal_sync = &body;
    uint8_t *frame = NULL;
    size_t len = 0;
    if (fq_wire_seal_request(t->key, &env, &frame, &len) != FQ_WIRE_OK)
        bu_die("fq_wire_seal_request failed");
    int rc = nn_send(t->sock, frame, len, NN_DONTWAIT);
    free(frame);
    if (rc < 0) {
        if (nn_errno() == EAGAIN) {
            t->next_id--;
            return false;
        }
        nn_die("nn_send");
    }
    t->busy = true;
    return true;
}

static void run_hold_proc(void *arg, int index, int count, int out)
{
    const struct hold_arg *ha = arg;
    const struct opts *o = ha->o;
    raise_nofile();
    long first = (long)index * (o->count / o->procs) +
                 (index < o->count % o->procs ? index : o->count % o->procs);
    struct term *ts = bu_xmalloc(sizeof *ts * (size_t)count);
    struct pollfd *pfds = bu_xmalloc(sizeof *pfds * (size_t)count);
    uint8_t *abuf = bu_xmalloc(FQ_DECODE_ARENA_BYTES);
    fq_arena arena;
    fq_arena_init(&arena, abuf, FQ_DECODE_ARENA_BYTES);
    struct hold_tally t;
    memset(&t, 0, sizeof t);
    uint32_t *samples = NULL;
    size_t cap = 0;
    FILE *receipts = NULL;
    if (o->receipts) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", o->receipts, index);
        if (!(receipts = fopen(path, "w")))
            bu_die_errno("--receipts");
    }
    /* Items reported before the terminals started (the intake peak phase)
     * arrive as a backlog on the first sync: they are delivered, but are
     * not latency samples. */
    const int64_t started_us = real_us();
    uint64_t start_id;
    bu_fill_random(&start_id, sizeof start_id);
    start_id = (start_id & ((UINT64_C(1) << 61) - 1)) | 1;
    for (int i = 0; i < count; i++) {
        struct term *m = &ts[i];
        snprintf(m->id, sizeof m->id, "t%ld", first + i);
        memcpy(m->key, ha->keys[first + i], FQ_KEY_BYTES);
        m->sock = req_socket(o->url);
        m->fd = rcv_fd(m->sock);
        m->after_seq = 0;
        m->next_id = start_id + (uint64_t)i * 1000000;
        m->busy = false;
    }
    int failmsg = 0;
    int64_t next_check = 0;
    while (bu_now_ns() < ha->t_end) {
        if (o->stop_file && bu_now_ns() >= next_check) {
            if (access(o->stop_file, F_OK) == 0)
                break;
            next_check = bu_now_ns() + 100000000;
        }
        int n = 0, outstanding = 0;
        bool pending = false;
        for (int i = 0; i < count; i++) {
            if (!ts[i].busy && !send_sync(&ts[i]))
                pending = true;
            pfds[i].fd = ts[i].fd;
            pfds[i].events = POLLIN;
            pfds[i].revents = 0;
            n++;
            outstanding += ts[i].busy;
        }
        if ((uint64_t)outstanding > t.max_outstanding)
            t.max_outstanding = (uint64_t)outstanding;
        int64_t left_ms = (ha->t_end - bu_now_ns()) / 1000000;
        int wait = pending ? 5 : (left_ms < 200 ? (int)left_ms + 1 : 200);
        int rc = poll(pfds, (nfds_t)n, wait);
        if (rc < 0 && errno != EINTR)
            bu_die_errno("poll");
        for (int i = 0; i < count && rc > 0; i++) {
            if (!(pfds[i].revents & POLLIN))
                continue;
            struct term *m = &ts[i];
            void *msg = NULL;
            int len = nn_recv(m->sock, &msg, NN_MSG, NN_DONTWAIT);
            if (len < 0) {
                if (nn_errno() == EAGAIN || nn_errno() == EINTR)
                    continue;
                nn_die("nn_recv");
            }
            int64_t now_us = real_us();
            m->busy = false;
            t.replies++;
            Fengqiao__V1__Reply *reply = NULL;
            int authenticated = 0;
            int w = fq_wire_open_reply(m->key, msg, (size_t)len, &arena, &reply, &authenticated);
            if (w != FQ_WIRE_OK || !authenticated ||
                reply->status != FENGQIAO__V1__STATUS__STATUS_OK ||
                reply->result_case != FENGQIAO__V1__REPLY__RESULT_SYNC || !reply->sync) {
                t.failures++;
                if (failmsg++ < 5)
                    fprintf(stderr, "fq-bench-terminals[%d]: %s: bad sync reply: %s %s %s\n",
                            (int)getpid(), m->id, w != FQ_WIRE_OK ? fq_wire_strerror(w) : "",
                            w == FQ_WIRE_OK ? fq_status_name(reply->status) : "",
                            w == FQ_WIRE_OK && reply->message ? reply->message : "");
                if (w == FQ_WIRE_OK && reply->retry_after_ms)
                    usleep(1000);
            } else {
                const Fengqiao__V1__SyncResult *s = reply->sync;
                if (s->superseded)
                    t.superseded++;
                if (s->n_items == 0 && !s->superseded)
                    t.heartbeats++;
                for (size_t k = 0; k < s->n_items; k++) {
                    const Fengqiao__V1__OutboxItem *it = s->items[k];
                    t.items++;
                    if (it->seq > m->after_seq)
                        m->after_seq = it->seq;
                    if (it->kind != FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT)
                        continue;
                    t.assignments++;
                    long long sent;
                    if (it->title && sscanf(it->title, "bench %lld", &sent) == 1 &&
                        (int64_t)sent >= started_us) {
                        int64_t ns = (now_us - (int64_t)sent) * 1000;
                        if (t.recorded == cap) {
                            cap = cap ? cap * 2 : 65536;
                            samples = realloc(samples, cap * sizeof *samples);
                            if (!samples)
                                bu_die("out of memory");
                        }
                        samples[t.recorded++] = ns < 0            ? 0
                                                : ns > UINT32_MAX ? UINT32_MAX
                                                                  : (uint32_t)ns;
                        if (receipts)
                            fprintf(receipts, "%lld\t%" PRId64 "\n", sent, now_us);
                    }
                }
                if (!s->superseded && s->last_seq > m->after_seq && s->n_items == 0)
                    m->after_seq = s->last_seq;
            }
            fq_arena_reset(&arena);
            nn_freemsg(msg);
            send_sync(m); /* at once, with the new after_seq */
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    t.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (receipts && fclose(receipts))
        bu_die_errno("--receipts");
    bu_send_report(out, &t, sizeof t, samples, t.recorded);
    _exit(0); /* no nn_close: the held syncs just go away with the process */
}

static int run_hold(const struct opts *o)
{
    if ((o->count + o->procs - 1) / o->procs > MAX_SOCKETS_PER_PROC)
        bu_die("at most 500 terminals per process");
    uint8_t(*keys)[FQ_KEY_BYTES] = bu_xmalloc((size_t)o->count * FQ_KEY_BYTES);
    FILE *f = fopen(o->keys, "r");
    if (!f)
        bu_die_errno("keys");
    char line[200];
    for (long i = 0; i < o->count; i++) {
        if (!fgets(line, sizeof line, f))
            bu_die("fewer keys than --count");
        line[strcspn(line, "\r\n")] = '\0';
        parse_key(line, keys[i]);
    }
    fclose(f);
    struct hold_arg ha = {o, keys, bu_now_ns() + (int64_t)(o->seconds * 1e9)};
    struct bu_procs ps;
    if (!bu_procs_start(&ps, (int)o->procs, o->count, run_hold_proc, &ha))
        return 1;
    struct hold_tally *ts = bu_xmalloc(sizeof *ts * (size_t)o->procs);
    struct bu_latencies all = {0};
    int failed = !bu_procs_finish(&ps, ts, sizeof *ts, offsetof(struct hold_tally, recorded), &all);
    struct hold_tally sum;
    memset(&sum, 0, sizeof sum);
    for (long p = 0; p < o->procs; p++) {
        sum.recorded += ts[p].recorded;
        sum.replies += ts[p].replies;
        sum.items += ts[p].items;
        sum.assignments += ts[p].assignments;
        sum.heartbeats += ts[p].heartbeats;
        sum.superseded += ts[p].superseded;
        sum.failures += ts[p].failures;
        sum.max_outstanding += ts[p].max_outstanding;
        sum.cpu_s += ts[p].cpu_s;
    }
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    if (all.n > 0) {
        bu_latencies_sort(&all);
        p50 = bu_latency_us(&all, 500);
        p99 = bu_latency_us(&all, 990);
        p999 = bu_latency_us(&all, 999);
        max = bu_latency_us(&all, 1000);
    }
    printf("{\"terminals\":%ld,\"samples\":%" PRIu64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f,\"max_us\":%.1f,\"replies\":%" PRIu64 ",\"items\":%" PRIu64
           ",\"assignments\":%" PRIu64 ",\"heartbeats\":%" PRIu64 ",\"superseded\":%" PRIu64
           ",\"failures\":%" PRIu64 ",\"max_outstanding\":%" PRIu64 ",\"cpu_s\":%.2f}\n",
           o->count, sum.recorded, p50, p99, p999, max, sum.replies, sum.items, sum.assignments,
           sum.heartbeats, sum.superseded, sum.failures, sum.max_outstanding, sum.cpu_s);
    fflush(stdout);
    if (sum.failures)
        fprintf(stderr, "fq-bench-terminals: %" PRIu64 " bad sync replies\n", sum.failures);
    return failed || sum.failures ? 1 : 0;
}

/* ---- report ---- */

static int run_report(const struct opts *o)
{
    raise_nofile();
    uint8_t key[FQ_KEY_BYTES];
    char key_err[512];
    if (fq_key_file_read(o->key_file, key, sizeof key, key_err, sizeof key_err) != 0)
        bu_die_detail("--key-file", key_err);
    int k = (int)o->clients;
    int *socks = bu_xmalloc(sizeof(int) * (size_t)k);
    bool *busy = bu_xmalloc(sizeof(bool) * (size_t)k);
    uint64_t *ids = bu_xmalloc(sizeof(uint64_t) * (size_t)k);
    int64_t *sent_ns = bu_xmalloc(sizeof(int64_t) * (size_t)k);
    int64_t *title_us = bu_xmalloc(sizeof(int64_t) * (size_t)k);
    FILE *acks_out = NULL;
    if (o->acks && !(acks_out = fopen(o->acks, "w")))
        bu_die_errno("--acks");
    struct bu_latencies acks = {0}; /* send -> acknowledged (the commit) */
    struct pollfd *pfds = bu_xmalloc(sizeof *pfds * (size_t)k);
    for (int i = 0; i < k; i++) {
        socks[i] = req_socket(o->url);
        pfds[i].fd = rcv_fd(socks[i]);
        pfds[i].events = POLLIN;
        busy[i] = false;
    }
    uint8_t *abuf = bu_xmalloc(FQ_DECODE_ARENA_BYTES);
    fq_arena arena;
    fq_arena_init(&arena, abuf, FQ_DECODE_ARENA_BYTES);
    uint64_t next_id;
    bu_fill_random(&next_id, sizeof next_id);
    next_id = (next_id & ((UINT64_C(1) << 62) - 1)) | 1;
    usleep(200000);
    int64_t t0 = bu_now_ns(), t_end = t0 + (int64_t)(o->seconds * 1e9);
    int64_t t0_real_us = real_us(); /* scheduled times on the terminals' clock */
    double interval = 1e9 / o->rate;
    uint64_t sched = 0, sent = 0, acked = 0, failures = 0, late = 0, outstanding = 0;
    int hint = 0;
    for (;;) {
        int64_t now = bu_now_ns();
        int64_t due = t0 + (int64_t)(interval * (double)sched);
        /* Past the end, or behind schedule (a closed-loop burst: a rate the
         * server cannot reach) when the time is up: finish what is out. */
        if ((due >= t_end || now >= t_end) && outstanding == 0)
            break;
        if (now > t_end + INT64_C(10000000000))
            break;
        while (due < t_end && due <= now && now < t_end) {
            int i = -1;
            for (int j = 0; j < k; j++) {
                int c = (hint + j) % k;
                if (!busy[c]) {
                    i = c;
                    break;
                }
            }
            if (i < 0)
                break;
            char title[48], ref[40];
            /* The scheduled time, not the send: a report that waited for a
             * free socket has waited (no coordinated omission). */
            int64_t stamp_us = t0_real_us + (due - t0) / 1000;
            snprintf(title, sizeof title, "bench %" PRId64, stamp_us);
            snprintf(ref, sizeof ref, "BENCH-%" PRIu64, next_id);
            char place[24];
            snprintf(place, sizeof place, "g%" PRIu64, sched % (uint64_t)o->grids);
            Fengqiao__V1__ReportIncident body = FENGQIAO__V1__REPORT_INCIDENT__INIT;
            body.category = "dispute.neighbour";
            body.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
            body.risk = FENGQIAO__V1__RISK__RISK_LOW;
            body.channel = FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE;
            body.place_unit = place;
            /* Distinct points 1 km or more apart: no report is a duplicate of
             * another (docs/routing.md, 4), so every one is assigned. */
            Fengqiao__V1__GeoPoint point = FENGQIAO__V1__GEO_POINT__INIT;
            point.lon = 110.0 + (double)(sched % 2000) * 0.01;
            point.lat = 25.0 + (double)((sched / 2000) % 1000) * 0.01;
            body.location = &point;
            body.address = "浙江省杭州市西湖区灵隐街道玉泉社区3幢";
            body.title = title;
            body.description = "居民反映楼上住户夜间噪音，请网格员上门了解情况并组织调解。";
            body.occurred_at_ms = fq_now_ms() - 60000;
            body.external_ref = ref;
            Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
            env.schema_version = FQ_SCHEMA_VERSION;
            env.sender = (char *)o->node;
            env.message_id = next_id;
            env.sent_at_ms = fq_now_ms();
            env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
            env.report_incident = &body;
            uint8_t *frame = NULL;
            size_t len = 0;
            if (fq_wire_seal_request(key, &env, &frame, &len) != FQ_WIRE_OK)
                bu_die("fq_wire_seal_request failed");
            int rc = nn_send(socks[i], frame, len, NN_DONTWAIT);
            free(frame);
            if (rc < 0) {
                if (nn_errno() == EAGAIN)
                    break;
                nn_die("nn_send");
            }
            if (now - due > 1000000)
                late++;
            busy[i] = true;
            ids[i] = next_id++;
            sent_ns[i] = due;
            title_us[i] = stamp_us;
            outstanding++;
            sent++;
            sched++;
            hint = (i + 1) % k;
            due = t0 + (int64_t)(interval * (double)sched);
        }
        int64_t wait_ns = due < t_end && now < t_end ? due - bu_now_ns() : 100000000;
        int wait = wait_ns <= 0 ? 0 : (int)(wait_ns / 1000000);
        struct pollfd *pp = pfds;
        int rc = poll(pp, (nfds_t)k, wait);
        if (rc < 0 && errno != EINTR)
            bu_die_errno("poll");
        for (int i = 0; i < k && rc > 0; i++) {
            if (!(pfds[i].revents & POLLIN))
                continue;
            void *msg = NULL;
            int n = nn_recv(socks[i], &msg, NN_MSG, NN_DONTWAIT);
            if (n < 0)
                continue;
            busy[i] = false;
            outstanding--;
            Fengqiao__V1__Reply *reply = NULL;
            int authenticated = 0;
            int w = fq_wire_open_reply(key, msg, (size_t)n, &arena, &reply, &authenticated);
            if (w == FQ_WIRE_OK && authenticated && reply->message_id == ids[i] &&
                reply->status == FENGQIAO__V1__STATUS__STATUS_OK) {
                acked++;
                if (acks_out)
                    fprintf(acks_out, "%" PRId64 "\t%" PRId64 "\t%" PRIu64 "\n", title_us[i],
                            real_us(), ids[i]);
                int64_t ns = bu_now_ns() - sent_ns[i];
                if (acks.n == acks.cap) {
                    acks.cap = acks.cap ? acks.cap * 2 : 65536;
                    acks.v = realloc(acks.v, acks.cap * sizeof *acks.v);
                    if (!acks.v)
                        bu_die("out of memory");
                }
                acks.v[acks.n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
            } else if (failures++ < 5)
                fprintf(stderr, "fq-bench-terminals report: refused: %s %s\n",
                        w == FQ_WIRE_OK ? fq_status_name(reply->status) : fq_wire_strerror(w),
                        w == FQ_WIRE_OK && reply->message ? reply->message : "");
            fq_arena_reset(&arena);
            nn_freemsg(msg);
        }
    }
    /* Reports of the window never sent: the server did not keep up. */
    uint64_t unsent = 0;
    while (t0 + (int64_t)(interval * (double)(sched + unsent)) < t_end)
        unsent++;
    if (unsent && o->rate <= 100000) /* above that, a closed-loop burst */
        fprintf(stderr,
                "fq-bench-terminals report: the server did not keep up with %.0f/s: %" PRIu64
                " reports never sent\n",
                o->rate, unsent);
    bu_latencies_sort(&acks);
    printf("{\"target_rate\":%.1f,\"sent\":%" PRIu64 ",\"acked\":%" PRIu64
           ",\"rate\":%.1f,\"late_sends\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"failures\":%" PRIu64
           ",\"unanswered\":%" PRIu64 ",\"ack_p50_us\":%.1f,\"ack_p99_us\":%.1f}\n",
           o->rate, sent, acked, (double)acked / o->seconds, late, unsent, failures, outstanding,
           acks.n ? bu_latency_us(&acks, 500) : 0.0, acks.n ? bu_latency_us(&acks, 990) : 0.0);
    bu_latencies_free(&acks);
    free(sent_ns);
    free(title_us);
    if (acks_out && fclose(acks_out))
        bu_die_errno("--acks");
    fflush(stdout);
    return failures || outstanding ? 1 : 0;
}

int main(int argc, char **argv)
{
    bu_init("fq-bench-terminals", true, usage);
    if (argc < 2)
        usage();
    struct opts o;
    memset(&o, 0, sizeof o);
    o.procs = 1;
    o.clients = 64;
    o.seconds = 10;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--url"))
            o.url = v;
        else if (!strcmp(k, "--keys"))
            o.keys = v;
        else if (!strcmp(k, "--stop-file"))
            o.stop_file = v;
        else if (!strcmp(k, "--server-key"))
            o.server_key = v;
        else if (!strcmp(k, "--keys-out"))
            o.keys_out = v;
        else if (!strcmp(k, "--node"))
            o.node = v;
        else if (!strcmp(k, "--key-file"))
            o.key_file = v;
        else if (!strcmp(k, "--acks"))
            o.acks = v;
        else if (!strcmp(k, "--receipts"))
            o.receipts = v;
        else if (!strcmp(k, "--count"))
            o.count = bu_parse_long(v, 1, 1000000);
        else if (!strcmp(k, "--procs"))
            o.procs = bu_parse_long(v, 1, 1000);
        else if (!strcmp(k, "--grids"))
            o.grids = bu_parse_long(v, 1, 1000000);
        else if (!strcmp(k, "--clients"))
            o.clients = bu_parse_long(v, 1, 500);
        else if (!strcmp(k, "--seconds"))
            o.seconds = bu_parse_double(v, 0.1, 3600);
        else if (!strcmp(k, "--rate"))
            o.rate = bu_parse_double(v, 0.001, 1e7);
        else
            usage();
    }
    if (sodium_init() < 0)
        bu_die("libsodium failed to initialise");
    if (!strcmp(argv[1], "keys")) {
        if (!o.server_key || !o.keys_out || !o.count)
            usage();
        return run_keys(&o);
    }
    if (!strcmp(argv[1], "hold")) {
        if (!o.url || !o.keys || !o.count)
            usage();
        return run_hold(&o);
    }
    if (!strcmp(argv[1], "report")) {
        if (!o.url || !o.node || !o.key_file || !o.grids || o.rate <= 0)
            usage();
        return run_report(&o);
    }
    usage();
}
