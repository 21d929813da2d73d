/* fq-bench-intake-load: the load generator of the intake benchmark.
 *
 * Sends real, signed incident reports (Envelope + ReportIncident sealed with
 * fq_wire_seal_request, every one with a fresh message id) to fengqiaod's
 * intake from K plain NN_REQ sockets spread over P forked processes (nanomsg
 * has one I/O thread per process and at most 512 sockets per process), and
 * checks every reply: it must open under the node key (fq_wire_open_reply,
 * authenticated), echo the message id, say STATUS_OK with a non-zero incident
 * id and not be a duplicate. Anything else, or a request left unanswered at
 * the end, is a failure, and any failure makes the exit status 1.
 *
 *   fq-bench-intake-load closed --url URL --node ID --key-file FILE
 *                               (--place UNIT | --grids FILE --categories FILE)
 *                               --clients K --procs P --seconds T [--warmup W]
 *   --place: every report in that unit, one of four samples with points a few
 *   metres apart (after the first, duplicates unless merging is off);
 *   --grids/--categories: the spread load, reports over every grid and
 *   category (see "The spread load" below; what bench/run intake sends).
 *   fq-bench-intake-load open   ... --rate R
 *   add --resend-share F (0 <= F < 1): that share of the requests, drawn at
 *   random, resend the frame of a report this process had acknowledged
 *   before (one of its last RESEND_RING), byte for byte, as a client does
 *   that never saw the answer; the reply must be OK, duplicate, with the
 *   first answer's incident id. A resend is an ack like any other for the
 *   rate and the latency; "resends" and "resends_acked" count them, and
 *   acked_total counts fresh reports only.
 *   add --echo 1 to aim it at `fq-bench-nn-ceiling server` instead: the same
 *   frames, the same pacing, replies counted but not checked (the transport's
 *   latency at the same load, for comparison).
 *
 * closed: each socket sends its next report as soon as the ack of the last
 *         one arrived; the rate is the acks that arrived inside the T s window
 *         after W s of warm-up (default 1), per second.
 * open:   paced. Process p owns a share of the rate proportional to its
 *         sockets and schedules its sends at even intervals (phase-shifted
 *         between processes). Latency runs from the *scheduled* send time to
 *         the ack: when no socket is free at that time the report waits, and
 *         the wait counts (no coordinated omission). Reports whose scheduled
 *         time falls inside the window are measured ("acked", "rate", the
 *         percentiles); "ack_rate" counts the acks that arrived inside the
 *         window, whenever they were scheduled: what the peer achieved. Nothing is sent after
 *         the window: when the peer cannot keep up with the rate, the reports
 *         of the window still waiting for a socket then are "unsent", and
 *         each counts as a sample of (the end of the drain - its scheduled
 *         time), a lower bound of its latency (so the percentiles of a
 *         saturated run are lower bounds; "censored" says how many), not as a
 *         failure. "rate" then stays below "target_rate". Samples hold up to
 *         2^32 ns: a latency of 4.29 s or more is kept as that ("clamped"
 *         says how many), another lower bound.
 *
 * Prints one JSON line on stdout:
 * {"mode":..,"clients":K,"procs":P,"seconds":T,"target_rate":R,"acked":N,
 *  "rate":N/T,"ack_rate":..,"p50_us":..,"p99_us":..,"p999_us":..,"max_us":..,
 *  "request_bytes_mean":..,"reply_bytes_mean":..,"sent_total":..,
 *  "acked_total":..,"failures":F,"unsent":U,"censored":C,"clamped":L,"cpu_s":..}
 * acked_total counts every OK ack of the run (warm-up and drain included):
 * the number of incidents the database must hold at least. */
#define _GNU_SOURCE /* ppoll: nanosecond waits for pacing */
#include "fq_keyfile.h"
#include "fq_wire.h"
#include "geo.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "benchutil.h"

#define MAX_SOCKETS_PER_PROC 500          /* nanomsg's limit is 512 sockets per process */
#define START_DELAY_NS INT64_C(300000000) /* connect before the first send */
#define DRAIN_NS INT64_C(10000000000)     /* wait this long for the last acks */
#define MAX_FAILURE_MESSAGES 5
#define RESEND_RING 1024 /* acknowledged frames a process may resend */

enum mode { MODE_CLOSED, MODE_OPEN };

struct opts {
    enum mode mode;
    const char *url, *node, *key_file, *place, *grids_file, *categories_file;
    long clients, procs;
    double seconds, warmup, rate;
    bool echo; /* the peer is fq-bench-nn-ceiling's server: count replies, don't check them */
    double resend_share;
    uint8_t key[FQ_KEY_BYTES];
};

/* What one process sends its parent through the pipe, followed by
 * `recorded` uint32 latencies in nanoseconds. */
struct tally {
    uint64_t acked_window;  /* acks counted for the rate */
    uint64_t acked_arrived; /* open: acks that arrived inside the window */
    uint64_t recorded;      /* latency samples that follow */
    uint64_t sent_total, acked_total, failures;
    uint64_t unsent, censored; /* open: see the top of the file */
    uint64_t clamped;          /* samples of 2^32 ns (4.3 s) or more, kept as that */
    uint64_t request_bytes, reply_bytes, replies;
    uint64_t resends, resends_acked; /* --resend-share: sent, answered as the first */
    double cpu_s;                    /* user + system CPU of the process */
};

/* ---- helpers ---- */

static void usage(void)
{
    fprintf(stderr, "usage: fq-bench-intake-load closed|open --url URL --node ID --key-file FILE\n"
                    "           (--place UNIT | --grids FILE --categories FILE)\n"
                    "           --clients K --procs P --seconds T [--warmup W]\n"
                    "           [--rate R (open only)] [--echo 0|1] [--resend-share F]\n");
    exit(2);
}

static _Noreturn void nn_die(const char *what)
{
    bu_die_detail(what, nn_strerror(nn_errno()));
}

/* ---- report content ---- */

/* Realistic town-platform reports: CJK titles of about 20 characters,
 * descriptions of about 80, a street address, a point, a category, the
 * platform's own case number and a citizen. */
static const struct sample {
    const char *category, *title, *description, *address;
    double lon, lat;
} SAMPLES[] = {
    {"dispute.neighbour", "玉泉社区三幢楼上楼下夜间噪音纠纷请求上门调解",
     "居民反映楼上住户长期在夜间十点以后拖动家具并大声播放音乐，多次上门沟通未果，双方发生口角，"
     "情绪较为激动，请网格员尽快上门了解情况并组织双方调解，防止矛盾进一步激化。",
     "浙江省杭州市西湖区灵隐街道玉泉社区3幢2单元502室", 120.1312, 30.2581},
    {"fire_hazard", "玉泉路沿街商铺楼道堆放大量纸箱存在消防隐患",
     "巡查发现玉泉路沿街两家商铺在楼道及消防通道内堆放大量纸箱和泡沫包装材料，堵塞疏散通道，"
     "且附近有电动车违规充电，存在较大火灾隐患，建议联合消防部门尽快督促清理整改。",
     "浙江省杭州市西湖区灵隐街道玉泉路18号至22号沿街商铺", 120.1298, 30.2602},
    {"city_appearance", "曙光路小区垃圾分类点连续三天未清运气味严重",
     "多名居民通过热线反映曙光路小区东门垃圾分类投放点已连续三天未清运，垃圾桶满溢，散发严重异味，"
     "并有蚊虫滋生，影响周边居民正常生活，请尽快协调环卫部门清运并查明原因。",
     "浙江省杭州市西湖区灵隐街道曙光路小区东门垃圾分类投放点", 120.1405, 30.2667},
    {"dispute.labour", "灵隐路装修工地十余名工人反映被拖欠三个月工资",
     "灵隐路某装修工地十余名外地务工人员到街道反映，包工头已拖欠三个月工资共计约十八万元，"
     "多次讨要未果，工人情绪激动并表示准备集体上访，请尽快联系劳动监察部门介入处理。",
     "浙江省杭州市西湖区灵隐街道灵隐路66号装修工地项目部", 120.1189, 30.2473},
};
#define N_SAMPLES (sizeof SAMPLES / sizeof SAMPLES[0])

static const char *const NAMES[] = {"王女士", "李先生", "张阿姨", "陈师傅"};

/* The spread load (--grids, --categories): reports over every grid of the
 * topology the server holds, each with a point inside its grid (drawn in the
 * grid's bounding box until the core's own fq_geo_locate places it there) and
 * no place unit, so the server places it by polygon; a category drawn from the
 * whole taxonomy; generated, distinct text; an incident time drawn from the
 * last SPREAD_BACKDATE_MS, inside the 7 days duplicates are compared over.
 * Files are tab-separated, as `psql -AtF $'\t'` writes them:
 *   grids:      id, name, ring as "lon lat lon lat ..."
 *   categories: code, name */
#define SPREAD_BACKDATE_MS (INT64_C(6) * 24 * 3600 * 1000)
#define SPREAD_MIN_AGE_MS (INT64_C(5) * 60 * 1000)

struct spread_grid {
    char *id, *name;
    double min_lon, min_lat, max_lon, max_lat;
};

struct spread_category {
    char *code, *name;
};

static struct spread {
    fq_geo_index *index;
    struct spread_grid *grids;
    size_t n_grids;
    struct spread_category *categories;
    size_t n_categories;
} spread;

/* The tab-separated fields of one line (cut in place); how many. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = line;
        char *tab = strchr(line, '\t');
        if (!tab)
            break;
        *tab = '\0';
        line = tab + 1;
    }
    return n;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        bu_die("out of memory");
    return d;
}

static void spread_load(const char *grids_file, const char *categories_file)
{
    FILE *f = fopen(grids_file, "r");
    if (!f)
        bu_die_detail(grids_file, strerror(errno));
    fq_geo_builder *b = fq_geo_builder_new();
    if (!b)
        bu_die("out of memory");
    char *line = NULL;
    size_t cap = 0;
    char err[256];
    while (getline(&line, &cap, f) > 0) {
        char *fields[3];
        if (split_tabs(line, fields, 3) != 3)
            continue;
        double ring[2 * 1024];
        size_t n = 0;
        char *end, *at = fields[2];
        for (double v = strtod(at, &end); end != at && n < 2 * 1024; v = strtod(at, &end)) {
            ring[n++] = v;
            at = end;
        }
        if (n < 6 || n % 2)
            bu_die_detail("a grid's ring in the grids file", fields[0]);
        spread.grids = realloc(spread.grids, (spread.n_grids + 1) * sizeof *spread.grids);
        if (!spread.grids)
            bu_die("out of memory");
        struct spread_grid *g = &spread.grids[spread.n_grids];
        g->id = xstrdup(fields[0]);
        g->name = xstrdup(fields[1]);
        g->min_lon = g->max_lon = ring[0];
        g->min_lat = g->max_lat = ring[1];
        for (size_t i = 0; i < n; i += 2) {
            g->min_lon = fmin(g->min_lon, ring[i]);
            g->max_lon = fmax(g->max_lon, ring[i]);
            g->min_lat = fmin(g->min_lat, ring[i + 1]);
            g->max_lat = fmax(g->max_lat, ring[i + 1]);
        }
        if (fq_geo_builder_add(b, (int32_t)spread.n_grids, ring, n / 2, err, sizeof err) != 0)
            bu_die_detail(g->id, err);
        spread.n_grids++;
    }
    fclose(f);
    if (spread.n_grids == 0)
        bu_die_detail("no grid in", grids_file);
    spread.index = fq_geo_build(b, err, sizeof err);
    if (!spread.index)
        bu_die_detail("the grids' index", err);

    f = fopen(categories_file, "r");
    if (!f)
        bu_die_detail(categories_file, strerror(errno));
    while (getline(&line, &cap, f) > 0) {
        char *fields[2];
        if (split_tabs(line, fields, 2) != 2)
            continue;
        spread.categories =
            realloc(spread.categories, (spread.n_categories + 1) * sizeof *spread.categories);
        if (!spread.categories)
            bu_die("out of memory");
        spread.categories[spread.n_categories].code = xstrdup(fields[0]);
        spread.categories[spread.n_categories].name = xstrdup(fields[1]);
        spread.n_categories++;
    }
    fclose(f);
    free(line);
    if (spread.n_categories == 0)
        bu_die_detail("no category in", categories_file);
}

/* One process's report maker: message ids from a random 62-bit start, so
 * processes and repeated runs never reuse one. */
struct maker {
    const struct opts *o;
    uint64_t next_id;
    uint64_t seq;
    uint64_t rng; /* xorshift64 state of the spread load's draws */
    char external_ref[40];
    char phone[16];
    char title[160], description[512], address[200];
};

static void maker_init(struct maker *m, const struct opts *o)
{
    m->o = o;
    uint64_t start;
    bu_fill_random(&start, sizeof start);
    m->next_id = (start & ((UINT64_C(1) << 62) - 1)) | 1;
    m->seq = 0;
    bu_fill_random(&m->rng, sizeof m->rng);
    m->rng |= 1;
}

static uint64_t next_random(struct maker *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

/* Uniform in [0, 1). */
static double next_unit(struct maker *m)
{
    return (double)(next_random(m) >> 11) * 0x1.0p-53;
}

static const char *const SITUATIONS[] = {
    "群众通过热线反映", "网格员巡查发现", "居民在小程序上报", "社区工作人员转报", "商户来电反映",
};
static const char *const ASKS[] = {
    "请尽快核实处理并回复群众",
    "请安排人员到场查看",
    "请协调相关部门联合处置",
    "请跟进处理并反馈结果",
};

/* Fills body with a spread report: grid, point, category, text. */
static void make_spread(struct maker *m, Fengqiao__V1__ReportIncident *body,
                        Fengqiao__V1__GeoPoint *point, int64_t now)
{
    size_t gi = (size_t)(next_random(m) % spread.n_grids);
    const struct spread_grid *g = &spread.grids[gi];
    const struct spread_category *c = &spread.categories[next_random(m) % spread.n_categories];
    double lon, lat;
    int tries = 0;
    do {
        lon = g->min_lon + next_unit(m) * (g->max_lon - g->min_lon);
        lat = g->min_lat + next_unit(m) * (g->max_lat - g->min_lat);
        if (++tries > 1000)
            bu_die_detail("no point found inside grid", g->id);
    } while (fq_geo_locate(spread.index, lon, lat) != (int32_t)gi);
    point->lon = lon;
    point->lat = lat;
    unsigned building = 1 + (unsigned)(next_random(m) % 60);
    snprintf(m->address, sizeof m->address, "%s%u幢附近", g->name, building);
    snprintf(m->title, sizeof m->title, "%s%u幢附近%s问题（%s）", g->name, building, c->name,
             m->external_ref);
    snprintf(m->description, sizeof m->description,
             "%s，%s%u幢附近出现%s问题，已持续一段时间，影响周边群众正常生活。%s。",
             SITUATIONS[next_random(m) % (sizeof SITUATIONS / sizeof *SITUATIONS)], g->name,
             building, c->name, ASKS[next_random(m) % (sizeof ASKS / sizeof *ASKS)]);
    body->category = c->code;
    body->place_unit = NULL;
    body->address = m->address;
    body->title = m->title;
    body->description = m->description;
    body->occurred_at_ms =
        now - SPREAD_MIN_AGE_MS -
        (int64_t)(next_unit(m) * (double)(SPREAD_BACKDATE_MS - SPREAD_MIN_AGE_MS));
}

/* Builds, signs and returns the frame of the next report. */
static uint8_t *make_frame(struct maker *m, size_t *len, uint64_t *message_id)
{
    const struct sample *s = &SAMPLES[m->seq % N_SAMPLES];
    int64_t now = fq_now_ms();
    snprintf(m->external_ref, sizeof m->external_ref, "XH-LY-2024-%010" PRIu64,
             m->next_id % UINT64_C(10000000000));
    snprintf(m->phone, sizeof m->phone, "138%08" PRIu64, m->next_id % UINT64_C(100000000));

    Fengqiao__V1__GeoPoint point = FENGQIAO__V1__GEO_POINT__INIT;
    point.lon = s->lon + (double)(m->seq % 100) * 1e-5;
    point.lat = s->lat + (double)(m->seq % 37) * 1e-5;
    Fengqiao__V1__ReportIncident body = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    body.category = (char *)s->category;
    body.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    body.risk = FENGQIAO__V1__RISK__RISK_MEDIUM;
    body.channel = FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE;
    body.place_unit = (char *)m->o->place;
    body.location = &point;
    body.address = (char *)s->address;
    body.title = (char *)s->title;
    body.description = (char *)s->description;
    body.occurred_at_ms = now - 15 * 60 * 1000;
    if (spread.n_grids > 0)
        make_spread(m, &body, &point, now);
    body.external_ref = m->external_ref;
    body.reporter_name = (char *)NAMES[m->seq % 4];
    body.reporter_phone = m->phone;

    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.schema_version = FQ_SCHEMA_VERSION;
    env.sender = (char *)m->o->node;
    env.message_id = m->next_id;
    env.sent_at_ms = now;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    env.report_incident = &body;

    uint8_t *frame = NULL;
    if (fq_wire_seal_request(m->o->key, &env, &frame, len) != FQ_WIRE_OK)
        bu_die("fq_wire_seal_request failed");
    *message_id = m->next_id;
    m->next_id++;
    m->seq++;
    return frame;
}

/* ---- one process ---- */

struct slot {
    int sock;
    int rcvfd;
    bool busy;
    uint64_t message_id;
    int64_t start_ns; /* scheduled (open) or actual (closed) send time */
    uint8_t *frame;   /* a fresh report's frame until its answer (--resend-share) */
    size_t frame_len;
    bool resend;              /* the frame is a resend ... */
    uint64_t expect_incident; /* ... answered with this incident */
};

/* An acknowledged report, to be sent again (--resend-share). */
struct acked_frame {
    uint8_t *frame;
    size_t len;
    uint64_t message_id, incident_id;
};

struct proc {
    const struct opts *o;
    int count;
    struct slot *slots;
    struct pollfd *pfds;
    int *pfd_slot;
    struct maker maker;
    fq_arena arena;
    uint8_t *arena_buf;
    struct tally t;
    uint32_t *samples;
    size_t samples_cap;
    int failure_messages;
    int outstanding;
    struct acked_frame ring[RESEND_RING]; /* the last acknowledged, oldest overwritten */
    size_t ring_n, ring_next;
};

static void failure(struct proc *p, const char *what, uint64_t message_id, const char *detail)
{
    p->t.failures++;
    if (p->failure_messages++ < MAX_FAILURE_MESSAGES)
        fprintf(stderr, "fq-bench-intake-load[%d]: message %" PRIu64 ": %s%s\n", (int)getpid(),
                message_id, what, detail ? detail : "");
}

static void record(struct proc *p, int64_t latency_ns)
{
    if (p->t.recorded == p->samples_cap) {
        p->samples_cap = p->samples_cap ? p->samples_cap * 2 : 65536;
        p->samples = realloc(p->samples, p->samples_cap * sizeof *p->samples);
        if (!p->samples)
            bu_die("out of memory");
    }
    if (latency_ns >= (int64_t)UINT32_MAX)
        p->t.clamped++;
    p->samples[p->t.recorded++] = latency_ns < 0            ? 0
                                  : latency_ns > UINT32_MAX ? UINT32_MAX
                                                            : (uint32_t)latency_ns;
}

/* Sends the next report on slot i; start_ns is when its latency starts.
 * false when the socket cannot take it yet (not connected). */
static bool send_on(struct proc *p, int i, int64_t start_ns)
{
    struct slot *s = &p->slots[i];
    size_t len;
    uint64_t id;
    if (p->o->resend_share > 0 && p->ring_n > 0 && next_unit(&p->maker) < p->o->resend_share) {
        const struct acked_frame *a = &p->ring[next_random(&p->maker) % p->ring_n];
        if (nn_send(s->sock, a->frame, a->len, NN_DONTWAIT) < 0) {
            if (nn_errno() == EAGAIN)
                return false;
            nn_die("nn_send");
        }
        s->busy = true;
        s->message_id = a->message_id;
        s->start_ns = start_ns;
        s->resend = true;
        s->expect_incident = a->incident_id;
        p->outstanding++;
        p->t.sent_total++;
        p->t.resends++;
        p->t.request_bytes += a->len;
        return true;
    }
    /* Peek: build only when the socket can send, so ids are not burnt. */
    uint8_t *frame = make_frame(&p->maker, &len, &id);
    if (nn_send(s->sock, frame, len, NN_DONTWAIT) < 0) {
        free(frame);
        if (nn_errno() == EAGAIN) {
            p->maker.next_id--; /* reuse the id: it never left */
            p->maker.seq--;
            return false;
        }
        nn_die("nn_send");
    }
    if (p->o->resend_share > 0) {
        s->frame = frame; /* kept for a resend once acknowledged */
        s->frame_len = len;
    } else {
        free(frame);
    }
    s->resend = false;
    s->busy = true;
    s->message_id = id;
    s->start_ns = start_ns;
    p->outstanding++;
    p->t.sent_total++;
    p->t.request_bytes += len;
    return true;
}

/* Receives and checks the reply on slot i. true when an OK ack arrived. */
static bool receive_on(struct proc *p, int i)
{
    struct slot *s = &p->slots[i];
    void *msg = NULL;
    int n = nn_recv(s->sock, &msg, NN_MSG, NN_DONTWAIT);
    if (n < 0) {
        if (nn_errno() == EAGAIN || nn_errno() == EINTR)
            return false;
        nn_die("nn_recv");
    }
    s->busy = false;
    p->outstanding--;
    p->t.replies++;
    p->t.reply_bytes += (uint64_t)n;

    if (p->o->echo) {
        p->t.acked_total++;
        free(s->frame);
        s->frame = NULL;
        nn_freemsg(msg);
        return true;
    }
    Fengqiao__V1__Reply *reply = NULL;
    int authenticated = 0;
    int rv = fq_wire_open_reply(p->o->key, msg, (size_t)n, &p->arena, &reply, &authenticated);
    bool ok = false;
    if (rv != FQ_WIRE_OK)
        failure(p, "reply does not open: ", s->message_id, fq_wire_strerror(rv));
    else if (!authenticated)
        failure(p, "unauthenticated reply: ", s->message_id, reply->message ? reply->message : "");
    else if (reply->message_id != s->message_id)
        failure(p, "reply for another message id", s->message_id, NULL);
    else if (reply->status != FENGQIAO__V1__STATUS__STATUS_OK)
        failure(p, "refused: ", s->message_id, fq_status_name(reply->status));
    else if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_INCIDENT || !reply->incident ||
             reply->incident->incident_id == 0)
        failure(p, "OK without an incident id", s->message_id, NULL);
    else if (s->resend &&
             (!reply->incident->duplicate || reply->incident->incident_id != s->expect_incident))
        failure(p, "resend not answered as the first (duplicate, same incident)", s->message_id,
                NULL);
    else if (!s->resend && reply->incident->duplicate)
        failure(p, "fresh message id answered as a duplicate", s->message_id, NULL);
    else
        ok = true;
    if (ok && s->resend) {
        p->t.resends_acked++;
    } else if (ok) {
        p->t.acked_total++;
        if (s->frame != NULL) {
            struct acked_frame *a = &p->ring[p->ring_next];
            free(a->frame);
            *a = (struct acked_frame){s->frame, s->frame_len, s->message_id,
                                      reply->incident->incident_id};
            s->frame = NULL;
            p->ring_next = (p->ring_next + 1) % RESEND_RING;
            if (p->ring_n < RESEND_RING)
                p->ring_n++;
        }
    }
    free(s->frame);
    s->frame = NULL;
    fq_arena_reset(&p->arena);
    nn_freemsg(msg);
    return ok;
}

/* Waits for replies until `deadline_ns` (or the first reply), then handles
 * every reply that is in. */
static void wait_replies(struct proc *p, int64_t deadline_ns, int64_t t_start, int64_t t_end,
                         bool closed_sending)
{
    int n = 0;
    for (int i = 0; i < p->count; i++) {
        if (!p->slots[i].busy)
            continue;
        p->pfds[n].fd = p->slots[i].rcvfd;
        p->pfds[n].events = POLLIN;
        p->pfds[n].revents = 0;
        p->pfd_slot[n] = i;
        n++;
    }
    int64_t wait = deadline_ns - bu_now_ns();
    if (wait < 0)
        wait = 0;
    struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
    int rc = ppoll(p->pfds, (nfds_t)n, &ts, NULL);
    if (rc < 0) {
        if (errno == EINTR)
            return;
        bu_die("ppoll failed");
    }
    for (int k = 0; k < n && rc > 0; k++) {
        if (!(p->pfds[k].revents & POLLIN))
            continue;
        int i = p->pfd_slot[k];
        int64_t start = p->slots[i].start_ns;
        if (!receive_on(p, i))
            continue;
        int64_t done = bu_now_ns();
        if (p->o->mode == MODE_CLOSED) {
            if (done >= t_start && done < t_end) {
                p->t.acked_window++;
                record(p, done - start);
            }
            if (closed_sending && done < t_end)
                send_on(p, i, bu_now_ns()); /* closed loop: next at once */
        } else {
            if (done >= t_start && done < t_end)
                p->t.acked_arrived++;
            if (start >= t_start && start < t_end) {
                p->t.acked_window++;
                record(p, done - start);
            }
        }
    }
}

/* What run_proc needs besides its index and share of the sockets. */
struct schedule {
    const struct opts *o;
    int64_t t_begin, t_start, t_end;
};

static void run_proc(void *arg, int index, int count, int out)
{
    const struct schedule *sc = arg;
    const struct opts *o = sc->o;
    int64_t t_begin = sc->t_begin, t_start = sc->t_start, t_end = sc->t_end;
    struct proc p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.count = count;
    p.slots = bu_xmalloc(sizeof *p.slots * (size_t)count);
    p.pfds = bu_xmalloc(sizeof *p.pfds * (size_t)count);
    p.pfd_slot = bu_xmalloc(sizeof *p.pfd_slot * (size_t)count);
    p.arena_buf = bu_xmalloc(FQ_DECODE_ARENA_BYTES);
    fq_arena_init(&p.arena, p.arena_buf, FQ_DECODE_ARENA_BYTES);
    maker_init(&p.maker, o);

    for (int i = 0; i < count; i++) {
        struct slot *s = &p.slots[i];
        s->sock = nn_socket(AF_SP, NN_REQ);
        if (s->sock < 0)
            nn_die("nn_socket");
        int resend = 600000; /* never resend: a resend would be a second request */
        int max_size = FQ_MAX_FRAME_BYTES;
        nn_setsockopt(s->sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
        nn_setsockopt(s->sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max_size, sizeof max_size);
        if (nn_connect(s->sock, o->url) < 0)
            nn_die("nn_connect");
        size_t sz = sizeof s->rcvfd;
        if (nn_getsockopt(s->sock, NN_SOL_SOCKET, NN_RCVFD, &s->rcvfd, &sz) < 0)
            nn_die("NN_RCVFD");
        s->busy = false;
        s->frame = NULL;
        s->resend = false;
    }

    while (bu_now_ns() < t_begin)
        usleep(1000);

    if (o->mode == MODE_CLOSED) {
        bool sending = true;
        for (;;) {
            int64_t now = bu_now_ns();
            if (sending && now >= t_end)
                sending = false;
            if (!sending && p.outstanding == 0)
                break;
            if (!sending && now >= t_end + DRAIN_NS)
                break;
            if (sending)
                for (int i = 0; i < count; i++)
                    if (!p.slots[i].busy)
                        send_on(&p, i, bu_now_ns()); /* not connected yet: next turn */
            int64_t deadline = now + (p.outstanding < count && sending ? 1000000 : 100000000);
            wait_replies(&p, deadline, t_start, t_end, sending);
        }
    } else {
        /* Process `index` of P sends at its share of the rate, phase-shifted
         * by index/P of an interval so processes interleave. */
        double share = o->rate * (double)count / (double)o->clients;
        double interval = 1e9 / share;
        double phase = interval * (double)index / (double)o->procs;
        uint64_t k = 0; /* next scheduled report */
        int free_hint = 0;
        for (;;) {
            int64_t now = bu_now_ns();
            int64_t due = t_begin + (int64_t)llround(phase + interval * (double)k);
            if ((due >= t_end || now >= t_end) && p.outstanding == 0)
                break;
            if (now >= t_end + DRAIN_NS)
                break;
            /* Send everything that is due, as long as a socket is free; what
             * finds none waits with its scheduled time kept. */
            bool blocked = false;
            while (due < t_end && due <= now && now < t_end) {
                int i = -1;
                for (int j = 0; j < count; j++) {
                    int c = (free_hint + j) % count;
                    if (!p.slots[c].busy) {
                        i = c;
                        break;
                    }
                }
                if (i < 0 || !send_on(&p, i, due)) {
                    blocked = true;
                    break;
                }
                free_hint = (i + 1) % count;
                k++;
                due = t_begin + (int64_t)llround(phase + interval * (double)k);
            }
            int64_t deadline;
            if (due >= t_end || now >= t_end)
                deadline = now + 100000000;
            else if (blocked)
                deadline = p.outstanding < count ? now + 1000000 : now + 100000000;
            else
                deadline = due;
            wait_replies(&p, deadline, t_start, t_end, false);
        }
        /* The window's reports that never found a free socket. */
        int64_t stop = bu_now_ns();
        for (;; k++) {
            int64_t due = t_begin + (int64_t)llround(phase + interval * (double)k);
            if (due >= t_end)
                break;
            p.t.unsent++;
            if (due >= t_start) {
                p.t.censored++;
                record(&p, stop - due);
            }
        }
    }

    if (p.outstanding > 0) {
        fprintf(stderr, "fq-bench-intake-load[%d]: %d reports unanswered after the drain\n",
                (int)getpid(), p.outstanding);
        p.t.failures += (uint64_t)p.outstanding;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    p.t.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    bu_send_report(out, &p.t, sizeof p.t, p.samples, p.t.recorded);
    for (int i = 0; i < count; i++)
        nn_close(p.slots[i].sock);
    _exit(0);
}

/* ---- parent ---- */

int main(int argc, char **argv)
{
    bu_init("fq-bench-intake-load", true, usage);
    if (argc < 2)
        usage();
    struct opts o;
    memset(&o, 0, sizeof o);
    if (strcmp(argv[1], "closed") == 0)
        o.mode = MODE_CLOSED;
    else if (strcmp(argv[1], "open") == 0)
        o.mode = MODE_OPEN;
    else
        usage();
    o.clients = 16;
    o.procs = 2;
    o.seconds = 10;
    o.warmup = 1;
    o.rate = -1;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--url") == 0)
            o.url = v;
        else if (strcmp(k, "--node") == 0)
            o.node = v;
        else if (strcmp(k, "--key-file") == 0)
            o.key_file = v;
        else if (strcmp(k, "--place") == 0)
            o.place = v;
        else if (strcmp(k, "--grids") == 0)
            o.grids_file = v;
        else if (strcmp(k, "--categories") == 0)
            o.categories_file = v;
        else if (strcmp(k, "--clients") == 0)
            o.clients = bu_parse_long(v, 1, 100000);
        else if (strcmp(k, "--procs") == 0)
            o.procs = bu_parse_long(v, 1, 1000);
        else if (strcmp(k, "--seconds") == 0)
            o.seconds = bu_parse_double(v, 0.1, 3600);
        else if (strcmp(k, "--warmup") == 0)
            o.warmup = bu_parse_double(v, 0, 3600);
        else if (strcmp(k, "--rate") == 0 && o.mode == MODE_OPEN)
            o.rate = bu_parse_double(v, 0.001, 1e9);
        else if (strcmp(k, "--echo") == 0)
            o.echo = bu_parse_long(v, 0, 1) == 1;
        else if (strcmp(k, "--resend-share") == 0)
            o.resend_share = bu_parse_double(v, 0, 0.99);
        else
            usage();
    }
    if (!o.url || !o.node || !o.key_file || (!o.place == !o.grids_file) ||
        (!o.grids_file != !o.categories_file) || (o.mode == MODE_OPEN && o.rate <= 0) ||
        o.procs > o.clients)
        usage();
    if ((o.clients + o.procs - 1) / o.procs > MAX_SOCKETS_PER_PROC) {
        fprintf(stderr, "fq-bench-intake-load: at most %d clients per process\n",
                MAX_SOCKETS_PER_PROC);
        return 2;
    }
    if (sodium_init() < 0)
        bu_die("libsodium failed to initialise");
    char key_err[512];
    if (fq_key_file_read(o.key_file, o.key, sizeof o.key, key_err, sizeof key_err) != 0) {
        fprintf(stderr, "fq-bench-intake-load: %s\n", key_err);
        return 2;
    }

    if (o.grids_file)
        spread_load(o.grids_file, o.categories_file);

    int64_t t_begin = bu_now_ns() + START_DELAY_NS;
    int64_t t_start = t_begin + (int64_t)(o.warmup * 1e9);
    int64_t t_end = t_start + (int64_t)(o.seconds * 1e9);

    struct schedule sc = {&o, t_begin, t_start, t_end};
    struct bu_procs ps;
    if (!bu_procs_start(&ps, (int)o.procs, o.clients, run_proc, &sc))
        return 1;
    struct tally *tallies = bu_xmalloc(sizeof *tallies * (size_t)o.procs);
    struct bu_latencies all = {0};
    int failed =
        !bu_procs_finish(&ps, tallies, sizeof *tallies, offsetof(struct tally, recorded), &all);
    struct tally sum;
    memset(&sum, 0, sizeof sum);
    for (long p = 0; p < o.procs; p++) {
        const struct tally *t = &tallies[p];
        sum.acked_window += t->acked_window;
        sum.acked_arrived += t->acked_arrived;
        sum.recorded += t->recorded;
        sum.sent_total += t->sent_total;
        sum.acked_total += t->acked_total;
        sum.failures += t->failures;
        sum.unsent += t->unsent;
        sum.censored += t->censored;
        sum.clamped += t->clamped;
        sum.request_bytes += t->request_bytes;
        sum.reply_bytes += t->reply_bytes;
        sum.replies += t->replies;
        sum.resends += t->resends;
        sum.resends_acked += t->resends_acked;
        sum.cpu_s += t->cpu_s;
    }
    free(tallies);
    if (sum.recorded == 0) {
        fprintf(stderr, "fq-bench-intake-load: no report acknowledged in the window\n");
        failed = 1;
    }
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    if (sum.recorded > 0) {
        bu_latencies_sort(&all);
        p50 = bu_latency_us(&all, 500);
        p99 = bu_latency_us(&all, 990);
        p999 = bu_latency_us(&all, 999);
        max = bu_latency_us(&all, 1000);
    }
    printf(
        "{\"mode\":\"%s\",\"clients\":%ld,\"procs\":%ld,\"seconds\":%.3f,\"target_rate\":%.1f,"
        "\"acked\":%" PRIu64 ",\"rate\":%.1f,\"ack_rate\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f,\"request_bytes_mean\":%.1f,"
        "\"reply_bytes_mean\":%.1f,\"sent_total\":%" PRIu64 ",\"acked_total\":%" PRIu64
        ",\"failures\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"censored\":%" PRIu64
        ",\"clamped\":%" PRIu64 ",\"resends\":%" PRIu64 ",\"resends_acked\":%" PRIu64
        ",\"cpu_s\":%.2f}\n",
        o.mode == MODE_CLOSED ? "closed" : "open", o.clients, o.procs, o.seconds,
        o.mode == MODE_OPEN ? o.rate : 0.0, sum.acked_window, (double)sum.acked_window / o.seconds,
        (double)(o.mode == MODE_OPEN ? sum.acked_arrived : sum.acked_window) / o.seconds, p50, p99,
        p999, max, sum.sent_total ? (double)sum.request_bytes / (double)sum.sent_total : 0.0,
        sum.replies ? (double)sum.reply_bytes / (double)sum.replies : 0.0, sum.sent_total,
        sum.acked_total, sum.failures, sum.unsent, sum.censored, sum.clamped, sum.resends,
        sum.resends_acked, sum.cpu_s);
    fflush(stdout);
    bu_latencies_free(&all);
    if (sum.unsent > 0)
        fprintf(stderr,
                "fq-bench-intake-load: the peer did not keep up with %.0f/s: %" PRIu64
                " reports of the window never sent; their latency is counted as at least"
                " the time to the end of the run\n",
                o.rate, sum.unsent);
    if (sum.failures > 0) {
        fprintf(stderr, "fq-bench-intake-load: %" PRIu64 " failures\n", sum.failures);
        failed = 1;
    }
    return failed ? 1 : 0;
}
