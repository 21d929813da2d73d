/* fq-simulate: a simulated district day against a running fengqiaod.
 *
 * One process plays every town platform (pushing the day's reports on the
 * intake endpoint) and every field terminal — each grid worker's and each
 * town line's, department's and the command center's duty officer — which
 * long-poll the terminal endpoint and act on their assignments with
 * plausible delays: acknowledge, progress notes, extension requests,
 * returns, conclusions; a few too late, so that the server escalates.
 *
 * Time: the simulated clock runs --speedup times faster than the real one.
 * The server measures its time limits in real time, so every decision about
 * "on time" or "late" is taken in real time against the due times the items
 * carry (epoch milliseconds); the demo imports rules whose limits are the
 * district's divided by the speedup (examples/demo_rules.py), so that they
 * read as the real limits on the simulated clock. The command center's
 * operator (<district>-ops) supervises, decides extensions, verifies, follows
 * up and reopens for redo; terminals reply to supervision orders. See
 * docs/demo.md. */
#define _GNU_SOURCE
#include "fqclient.h"
#include "geo.h"
#include "syncer.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define PROG "fq-simulate"
#define MAX_SOCKETS 500
#define TERM_WINDOW 2 /* one held sync and one action */
#define TOWN_WINDOW_MAX 4
#define ACTION_ATTEMPTS 5
#define ID_LEN 65

/* ---- random numbers: a seeded stream for the reports (so a re-run with
 * the same seed sends the same reports), another for behaviour ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_unit(rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static double rng_between(rng *r, double a, double b)
{
    return a + (b - a) * rng_unit(r);
}

static int rng_below(rng *r, int n)
{
    return n <= 1 ? 0 : (int)(rng_next(r) % (uint64_t)n);
}

static int rng_weighted(rng *r, const double *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    double x = rng_unit(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---- the topology ---- */

typedef struct grid {
    char id[ID_LEN], name[128];
    int village, town;
    int n_pts;
    double *lon_lat; /* lon0, lat0, lon1, lat1, ... as geo.h takes them */
    double min_lon, max_lon, min_lat, max_lat;
} grid;

typedef struct village {
    char id[ID_LEN], name[128];
    int town;
} village;

typedef struct town {
    char id[ID_LEN], name[128];
    char node[ID_LEN + 16];
    fqc *client;
    int window;
    struct sim *sim;
} town;

typedef struct category {
    char code[ID_LEN];
    double weight;
    int rain; /* plausible in a rainstorm */
} category;

/* ---- terminals and what they are doing ---- */

typedef struct term {
    char node[ID_LEN + 16];
    char serves[ID_LEN];
    int is_worker;
    int town; /* a worker's town, for returns */
    int village;
    fqc *client;
    fqt_sync sync;
    int64_t next_tick; /* monotonic ms; INT64_MAX: after a result */
    int action_busy;
    struct sim *sim;
} term;

enum stage {
    ST_ACK,
    ST_RETURN,
    ST_EXTEND,
    ST_PROGRESS,
    ST_CONCLUDE,
    ST_CO_PROGRESS,
    ST_REPLY, /* the reply to a supervision order, beside the case itself */
    ST_DONE
};

typedef struct kase {
    int term;
    uint64_t incident;
    int stage;
    int64_t due;         /* monotonic ms of the next action */
    int64_t conclude_at; /* monotonic ms */
    int64_t conclude_due_ms;
    int extend, progress;
    int co;
    int in_flight, cancelled;
    uint64_t message_id;
    int attempts;
    int reason; /* for a return */
    char right_place[ID_LEN];
    int64_t extend_to_ms;
    int late;      /* a supervision reply planned after its deadline */
    char note[96]; /* chosen once per action: a retry sends the same body */
} kase;

typedef struct report {
    double at_s; /* simulated seconds since midnight */
    int town, grid, category;
    int severity, risk, channel;
    int burst;
    double lon, lat;
    char title[160], address[200];
    int submitted, done;
} report;

typedef struct counters {
    long reports, stored, merged, unroutable, tier[4], report_refused, report_no_answer;
    long assignments, co_assignments, cancellations, warnings;
    long acknowledged, concluded, returned, extensions, progress, late_acks_planned;
    long refused, refused_wrong_state, refused_forbidden, action_no_answer;
    long burst_reports;
    /* supervision seen from the terminals */
    long supervision_items, replies, replies_late_planned, breaches_seen;
} counters;

/* ---- the simulated command-center operator (<district>-ops) ---- */

#define OPS_KINDS 11 /* CommandKind values 0 .. 10 */
#define OPS_ATTEMPTS 3
#define OPS_TAG_OVERDUE 1
#define OPS_TAG_EXTENSIONS 2
#define OPS_TAG_COMMAND 3

typedef struct opcmd {
    int kind; /* Fengqiao__V1__CommandKind */
    uint64_t incident;
    const char *reason;
    int64_t deadline_ms;
    unsigned satisfaction;
    char target_unit[ID_LEN], co_unit[ID_LEN];
    uint64_t message_id;
    int attempts;
} opcmd;

typedef struct supervised {
    uint64_t incident;
    int64_t deadline_ms; /* epoch ms */
} supervised;

typedef struct ops {
    char node[ID_LEN + 16];
    fqc *client;
    int enabled, busy;
    int phase;           /* 0 idle, 1 overdue query, 2 extensions query, 3 commands */
    int64_t next_round;  /* monotonic ms */
    double next_round_s; /* simulated */
    opcmd *q;
    int q_head, q_n, q_cap;
    supervised *sup;
    int n_sup, cap_sup;
    size_t concluded_seen; /* how much of sim.concluded was looked at */
    long sent[OPS_KINDS], ok[OPS_KINDS], refused[OPS_KINDS], races[OPS_KINDS];
    long no_answer, query_failed, rounds;
} ops;

typedef struct sim {
    /* options */
    const char *topology, *keys, *intake, *terminals;
    double speedup, hours, start_hour;
    int n_reports;
    uint64_t seed;
    int quiet;
    /* topology */
    char district[ID_LEN];
    town *towns;
    int n_towns;
    village *villages;
    int n_villages;
    grid *grids;
    int n_grids;
    fq_geo_index *geo; /* the grids, located as the server locates a report */
    category *cats;
    int n_cats;
    term *terms;
    int n_terms, cap_terms;
    /* the day */
    report *reports;
    int next_report;
    kase *cases;
    int n_cases, cap_cases;
    rng behave;
    int64_t start_mono, start_epoch_ms;
    counters n;
    int burst_towns[3];
    int n_burst_towns;
    /* the operator */
    ops op;
    uint64_t *concluded; /* incidents the terminals concluded (lead), in order */
    size_t n_concluded, cap_concluded;
    char (*deps)[ID_LEN]; /* the district departments, for joint operations */
    int n_deps;
} sim;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " --topology FILE --keys DIR [options]\n"
            "\n"
            "Plays a district day against fengqiaod: every town platform (<town>-platform)\n"
            "pushes reports with a daily rhythm and a rainstorm burst around 15:00; every grid\n"
            "worker's terminal (<worker>-term) and every town line's, department's and the\n"
            "command center's duty officer (<handler>-duty) long-poll their outboxes and act:\n"
            "acknowledge, progress, extension, return, conclude - a few too late - and reply\n"
            "to supervision orders. The command center's operator (<district>-ops, if its key\n"
            "is there) supervises overdue cases, decides extensions, verifies, follows up and\n"
            "sends unsatisfying cases back for redo every 30 simulated minutes.\n"
            "\n"
            "  --topology FILE   the topology JSON (examples/westlake-topology.json)\n"
            "  --keys DIR        node keys as DIR/NODE.key (64 hex characters)\n"
            "  --intake URL      intake endpoint (FQ_INTAKE, else tcp://127.0.0.1:7411);\n"
            "                    once per server of a pair (the variables: commas)\n"
            "  --terminals URL   terminal endpoint (FQ_TERMINALS, else tcp://127.0.0.1:7412);\n"
            "                    repeatable like --intake\n"
            "  --speedup N       simulated seconds per real second (default 120)\n"
            "  --hours H         length of the simulated period (default 24)\n"
            "  --start-hour H    simulated clock at the start (default 0: midnight)\n"
            "  --reports N       cases in the period (default 800)\n"
            "  --seed S          makes the reports; the same seed sends the same cases again\n"
            "                    (external_ref SIM-<seed>-<n>: nothing new is created)\n"
            "  --quiet           only the hourly progress lines and the summary\n"
            "  --help\n"
            "\n"
            "Exit: 0 the day ran (refused actions are counted, not fatal); 1 setup error\n"
            "(topology, keys, sockets); 2 usage.\n");
}

static void logf_(const sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const sim *s, const char *fmt, ...)
{
    if (s->quiet)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fqt_log(PROG, "%s", text);
}

/* ---- reading the topology ---- */

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *jarr(json_object *o, const char *key)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

static json_object *jobj(json_object *o, const char *key)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

static void copy_id(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static term *add_term(sim *s)
{
    if (s->n_terms == s->cap_terms) {
        s->cap_terms = s->cap_terms ? 2 * s->cap_terms : 256;
        s->terms = realloc(s->terms, (size_t)s->cap_terms * sizeof *s->terms);
        if (s->terms == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            exit(1);
        }
    }
    term *t = &s->terms[s->n_terms++];
    memset(t, 0, sizeof *t);
    t->town = -1;
    t->village = -1;
    t->sim = s;
    return t;
}

static void add_duty(sim *s, json_object *h, int town_index)
{
    const char *id = jstr(h, "id");
    if (id == NULL)
        return;
    term *t = add_term(s);
    copy_id(t->serves, sizeof t->serves, id);
    snprintf(t->node, sizeof t->node, "%s-duty", id);
    t->town = town_index;
}

static double category_weight(const char *code, int *rain)
{
    static const struct {
        const char *code;
        double w;
        int rain;
    } known[] = {
        {"dispute.neighbour", 14, 0}, {"dispute.family", 6, 0},      {"dispute.labour", 5, 0},
        {"petition", 4, 0},           {"public_order", 8, 1},        {"food_safety", 5, 0},
        {"consumer_complaint", 8, 0}, {"unlicensed_business", 6, 0}, {"illegal_construction", 6, 0},
        {"city_appearance", 16, 1},   {"fire_hazard", 7, 1},         {"elderly_care", 8, 1},
        {"social_assistance", 7, 1},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].code, code) == 0) {
            *rain = known[i].rain;
            return known[i].w;
        }
    *rain = strncmp(code, "hazard", 6) == 0;
    return 5;
}

static int load_topology(sim *s, char *err, size_t err_len)
{
    json_object *root = json_object_from_file(s->topology);
    if (root == NULL) {
        snprintf(err, err_len, "cannot read %s as JSON", s->topology);
        return -1;
    }
    json_object *district = jobj(root, "district");
    json_object *towns = jarr(root, "towns"), *cats = jarr(root, "categories");
    if (district == NULL || towns == NULL || cats == NULL || jstr(district, "id") == NULL) {
        snprintf(err, err_len, "%s has no district, towns or categories", s->topology);
        json_object_put(root);
        return -1;
    }
    copy_id(s->district, sizeof s->district, jstr(district, "id"));
    /* Duty officers: the command center and the departments. */
    json_object *center = jobj(district, "center");
    if (center)
        add_duty(s, center, -1);
    json_object *deps = jarr(district, "departments");
    size_t nd = deps ? json_object_array_length(deps) : 0;
    s->deps = calloc(nd ? nd : 1, sizeof *s->deps);
    for (size_t i = 0; i < nd; i++) {
        json_object *dep = json_object_array_get_idx(deps, i);
        add_duty(s, dep, -1);
        if (s->deps && jstr(dep, "id"))
            copy_id(s->deps[s->n_deps++], ID_LEN, jstr(dep, "id"));
    }

    size_t nt = json_object_array_length(towns);
    s->towns = calloc(nt ? nt : 1, sizeof *s->towns);
    size_t nv = 0, ng = 0;
    for (size_t i = 0; i < nt; i++) {
        json_object *vs = jarr(json_object_array_get_idx(towns, i), "villages");
        for (size_t j = 0; vs && j < json_object_array_length(vs); j++) {
            nv++;
            json_object *gs = jarr(json_object_array_get_idx(vs, j), "grids");
            ng += gs ? json_object_array_length(gs) : 0;
        }
    }
    s->villages = calloc(nv ? nv : 1, sizeof *s->villages);
    s->grids = calloc(ng ? ng : 1, sizeof *s->grids);
    if (s->towns == NULL || s->villages == NULL || s->grids == NULL) {
        snprintf(err, err_len, "out of memory");
        json_object_put(root);
        return -1;
    }
    static const char *const lines[] = {"governance", "market", "enforcement", "services"};
    for (size_t i = 0; i < nt; i++) {
        json_object *to = json_object_array_get_idx(towns, i);
        town *tw = &s->towns[s->n_towns];
        if (jstr(to, "id") == NULL)
            continue;
        copy_id(tw->id, sizeof tw->id, jstr(to, "id"));
        copy_id(tw->name, sizeof tw->name, jstr(to, "name"));
        snprintf(tw->node, sizeof tw->node, "%s-platform", tw->id);
        tw->sim = s;
        int ti = s->n_towns++;
        json_object *ls = jobj(to, "lines");
        for (int l = 0; l < 4; l++)
            if (jobj(ls, lines[l]))
                add_duty(s, jobj(ls, lines[l]), ti);
        json_object *vs = jarr(to, "villages");
        for (size_t j = 0; vs && j < json_object_array_length(vs); j++) {
            json_object *vo = json_object_array_get_idx(vs, j);
            village *v = &s->villages[s->n_villages];
            copy_id(v->id, sizeof v->id, jstr(vo, "id"));
            copy_id(v->name, sizeof v->name, jstr(vo, "name"));
            v->town = ti;
            int vi = s->n_villages++;
            json_object *gs = jarr(vo, "grids");
            for (size_t k = 0; gs && k < json_object_array_length(gs); k++) {
                json_object *go = json_object_array_get_idx(gs, k);
                grid *g = &s->grids[s->n_grids];
                json_object *poly = jarr(go, "polygon");
                size_t np = poly ? json_object_array_length(poly) : 0;
                if (jstr(go, "id") == NULL || np < 3)
                    continue;
                copy_id(g->id, sizeof g->id, jstr(go, "id"));
                copy_id(g->name, sizeof g->name, jstr(go, "name"));
                g->village = vi;
                g->town = ti;
                g->lon_lat = calloc(2 * np, sizeof *g->lon_lat);
                if (g->lon_lat == NULL) {
                    snprintf(err, err_len, "out of memory");
                    json_object_put(root);
                    return -1;
                }
                g->min_lon = g->min_lat = 1e9;
                g->max_lon = g->max_lat = -1e9;
                for (size_t p = 0; p < np; p++) {
                    json_object *pt = json_object_array_get_idx(poly, p);
                    if (pt == NULL || json_object_array_length(pt) < 2)
                        continue;
                    double lo = json_object_get_double(json_object_array_get_idx(pt, 0));
                    double la = json_object_get_double(json_object_array_get_idx(pt, 1));
                    g->lon_lat[2 * g->n_pts] = lo;
                    g->lon_lat[2 * g->n_pts + 1] = la;
                    g->n_pts++;
                    g->min_lon = fmin(g->min_lon, lo);
                    g->max_lon = fmax(g->max_lon, lo);
                    g->min_lat = fmin(g->min_lat, la);
                    g->max_lat = fmax(g->max_lat, la);
                }
                s->n_grids++;
                json_object *ws = jarr(go, "workers");
                for (size_t w = 0; ws && w < json_object_array_length(ws); w++) {
                    const char *wid = jstr(json_object_array_get_idx(ws, w), "id");
                    if (wid == NULL)
                        continue;
                    term *t = add_term(s);
                    copy_id(t->serves, sizeof t->serves, wid);
                    snprintf(t->node, sizeof t->node, "%s-term", wid);
                    t->is_worker = 1;
                    t->town = ti;
                    t->village = vi;
                }
            }
        }
    }
    size_t nc = json_object_array_length(cats);
    s->cats = calloc(nc ? nc : 1, sizeof *s->cats);
    for (size_t i = 0; s->cats && i < nc; i++) {
        const char *code = jstr(json_object_array_get_idx(cats, i), "code");
        if (code == NULL)
            continue;
        category *c = &s->cats[s->n_cats++];
        copy_id(c->code, sizeof c->code, code);
        c->weight = category_weight(code, &c->rain);
    }
    json_object_put(root);
    if (s->n_towns == 0 || s->n_grids == 0 || s->n_cats == 0) {
        snprintf(err, err_len, "%s has no towns with grids, or no categories", s->topology);
        return -1;
    }
    /* The core's index (geo.h): a report's point is drawn inside its grid
     * by the very rule the server places it with. */
    fq_geo_builder *b = fq_geo_builder_new();
    if (b == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < s->n_grids; i++) {
        char why[256];
        if (fq_geo_builder_add(b, i, s->grids[i].lon_lat, (size_t)s->grids[i].n_pts, why,
                               sizeof why) != 0) {
            snprintf(err, err_len, "%s: grid %s: %s", s->topology, s->grids[i].id, why);
            fq_geo_builder_free(b);
            return -1;
        }
    }
    s->geo = fq_geo_build(b, err, err_len);
    return s->geo != NULL ? 0 : -1;
}

/* ---- making the day's reports ---- */

static int inside(const sim *s, int grid_index, double lon, double lat)
{
    return fq_geo_locate(s->geo, lon, lat) == grid_index;
}

static void point_in(const sim *s, rng *r, int grid_index, double *lon, double *lat)
{
    const grid *g = &s->grids[grid_index];
    /* Rejection sampling in the bounding box, away from the very edges. */
    for (int tries = 0; tries < 1000; tries++) {
        double lo = rng_between(r, g->min_lon, g->max_lon);
        double la = rng_between(r, g->min_lat, g->max_lat);
        if (inside(s, grid_index, lo, la)) {
            *lon = round(lo * 1e6) / 1e6;
            *lat = round(la * 1e6) / 1e6;
            if (inside(s, grid_index, *lon, *lat))
                return;
        }
    }
    double cx = 0, cy = 0;
    for (int i = 0; i < g->n_pts; i++) {
        cx += g->lon_lat[2 * i];
        cy += g->lon_lat[2 * i + 1];
    }
    *lon = cx / g->n_pts;
    *lat = cy / g->n_pts;
}

typedef struct titles {
    const char *code;
    const char *const *normal;
    const char *const *rain;
} titles;

static const char *const t_neighbour[] = {"楼上装修噪音扰民",         "邻居楼道堆放杂物引发矛盾",
                                          "空调外机滴水引发邻里争执", "宠物狗深夜吠叫扰民",
                                          "车位被占引发邻里争吵",     NULL};
static const char *const t_family[] = {"夫妻矛盾激化需要调解", "赡养老人问题引发家庭纠纷",
                                       "房产分割引发家庭矛盾", NULL};
static const char *const t_labour[] = {"装修工人讨要拖欠工资", "餐饮店员工工资纠纷",
                                       "工地农民工反映欠薪", NULL};
static const char *const t_petition[] = {"群众反映旧改补偿问题", "业主集体反映物业服务问题",
                                         "居民来访反映加装电梯分歧", NULL};
static const char *const t_order[] = {"小区周边可疑人员徘徊", "夜间聚集喧哗影响秩序",
                                      "电动自行车被盗", NULL};
static const char *const t_order_rain[] = {"积水路段车辆拥堵秩序混乱", "暴雨中车辆抛锚堵塞路口",
                                           NULL};
static const char *const t_food[] = {"餐馆后厨卫生状况差", "超市售卖过期食品",
                                     "学校周边流动食品摊贩", NULL};
static const char *const t_consumer[] = {"预付卡商家关门跑路", "理发店强制消费", "网购商品质量投诉",
                                         NULL};
static const char *const t_unlicensed[] = {"无证无照小吃摊经营", "居民楼内无证加工作坊",
                                           "流动摊贩占道经营", NULL};
static const char *const t_construction[] = {"楼顶违章搭建", "私自圈占绿地搭建棚屋", "底商违规扩建",
                                             NULL};
static const char *const t_city[] = {"垃圾清运不及时", "人行道破损", "乱张贴小广告",
                                     "共享单车乱停放堵塞通道", NULL};
static const char *const t_city_rain[] = {"暴雨致道路严重积水", "地下通道积水车辆被困",
                                          "行道树倒伏阻断道路", "小区地下车库进水",
                                          "雨水井盖被冲开",     NULL};
static const char *const t_fire[] = {"电动车楼道充电", "消防通道被占用", "私拉电线充电", NULL};
static const char *const t_fire_rain[] = {"配电箱进水存在漏电隐患", "积水浸泡电缆井", NULL};
static const char *const t_elderly[] = {"独居老人无人照料", "老人走失求助", "居家养老服务申请",
                                        NULL};
static const char *const t_elderly_rain[] = {"独居老人家中进水需要救助", NULL};
static const char *const t_assist[] = {"困难家庭申请临时救助", "残疾人生活困难求助",
                                       "低保户房屋漏雨", NULL};
static const char *const t_assist_rain[] = {"低洼住户房屋进水需要转移", NULL};
static const char *const t_generic[] = {"群众反映问题需要处置", NULL};
static const char *const t_generic_rain[] = {"暴雨引发险情需要处置", NULL};

static const titles all_titles[] = {
    {"dispute.neighbour", t_neighbour, NULL},
    {"dispute.family", t_family, NULL},
    {"dispute.labour", t_labour, NULL},
    {"petition", t_petition, NULL},
    {"public_order", t_order, t_order_rain},
    {"food_safety", t_food, NULL},
    {"consumer_complaint", t_consumer, NULL},
    {"unlicensed_business", t_unlicensed, NULL},
    {"illegal_construction", t_construction, NULL},
    {"city_appearance", t_city, t_city_rain},
    {"fire_hazard", t_fire, t_fire_rain},
    {"elderly_care", t_elderly, t_elderly_rain},
    {"social_assistance", t_assist, t_assist_rain},
};

static const char *pick_title(rng *r, const char *code, int rain)
{
    const char *const *list = rain ? t_generic_rain : t_generic;
    for (size_t i = 0; i < sizeof all_titles / sizeof all_titles[0]; i++)
        if (strcmp(all_titles[i].code, code) == 0) {
            list = rain && all_titles[i].rain ? all_titles[i].rain : all_titles[i].normal;
            break;
        }
    int n = 0;
    while (list[n])
        n++;
    return list[rng_below(r, n)];
}

static const char *const roads[] = {"文三路", "天目山路", "古墩路", "西溪路",   "学院路",
                                    "教工路", "灵隐路",   "龙井路", "紫金港路", "留和路",
                                    "转塘街", "文二西路", "保俶路", "曙光路",   "玉古路"};

/* Relative report rate by hour of the day: quiet at night, peaks late
 * morning and in the afternoon. */
static const double hour_rate[24] = {0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.45, 0.80,
                                     1.30, 1.70, 1.90, 1.60, 1.00, 1.10, 1.50, 1.70,
                                     1.50, 1.20, 0.90, 0.80, 0.70, 0.50, 0.35, 0.20};

#define BURST_START_S (15 * 3600.0)
#define BURST_LEN_S 3600.0

static int by_time(const void *a, const void *b)
{
    const report *x = a, *y = b;
    return x->at_s < y->at_s ? -1 : x->at_s > y->at_s;
}

static void fill_report(sim *s, rng *r, report *rp, int burst)
{
    /* Where: a town (a burst town during the burst), a grid of it. */
    if (burst)
        rp->town = s->burst_towns[rng_below(r, s->n_burst_towns)];
    else
        rp->town = rng_below(r, s->n_towns);
    int candidates = 0;
    for (int g = 0; g < s->n_grids; g++)
        candidates += s->grids[g].town == rp->town;
    if (candidates == 0) { /* a town without grids: any grid */
        rp->grid = rng_below(r, s->n_grids);
        rp->town = s->grids[rp->grid].town;
    } else {
        int k = rng_below(r, candidates);
        for (int g = 0; g < s->n_grids; g++)
            if (s->grids[g].town == rp->town && k-- == 0) {
                rp->grid = g;
                break;
            }
    }
    double *w = calloc((size_t)s->n_cats, sizeof *w);
    int any_rain = 0;
    for (int i = 0; w && i < s->n_cats; i++) {
        w[i] = burst ? (s->cats[i].rain ? s->cats[i].weight : 0) : s->cats[i].weight;
        any_rain |= burst && s->cats[i].rain;
    }
    if (burst && !any_rain)
        for (int i = 0; w && i < s->n_cats; i++)
            w[i] = s->cats[i].weight;
    rp->category = w ? rng_weighted(r, w, s->n_cats) : 0;
    free(w);
    const char *code = s->cats[rp->category].code;
    /* Severity: mostly IV and III, a few II, rarely I; worse in the storm. */
    static const double sev_day[4] = {0.012, 0.05, 0.24, 0.698};
    static const double sev_storm[4] = {0.04, 0.14, 0.40, 0.42};
    rp->severity = rng_weighted(r, burst ? sev_storm : sev_day, 4) + 1;
    static const double risk_by_sev[4][3] = {
        {0.0, 0.2, 0.8}, {0.05, 0.35, 0.6}, {0.35, 0.5, 0.15}, {0.72, 0.25, 0.03}};
    rp->risk = rng_weighted(r, risk_by_sev[rp->severity - 1], 3) + 1;
    /* Channel: hotline, petition, staff, patrol, online, walk-in. */
    static const double ch_any[6] = {35, 2, 8, 25, 20, 10};
    static const double ch_petition[6] = {10, 60, 5, 0, 10, 15};
    static const double ch_storm[6] = {55, 0, 10, 25, 10, 0};
    rp->channel = rng_weighted(r,
                               burst                           ? ch_storm
                               : strcmp(code, "petition") == 0 ? ch_petition
                                                               : ch_any,
                               6) +
                  1;
    const grid *g = &s->grids[rp->grid];
    point_in(s, r, rp->grid, &rp->lon, &rp->lat);
    snprintf(rp->title, sizeof rp->title, "%s", pick_title(r, code, burst));
    snprintf(rp->address, sizeof rp->address, "%s%d号（%s）",
             roads[rng_below(r, (int)(sizeof roads / sizeof roads[0]))], 1 + rng_below(r, 399),
             g->name[0] ? g->name : g->id);
    rp->burst = burst;
}

static int make_reports(sim *s)
{
    rng r = {s->seed * UINT64_C(0x2545F4914F6CDD1D) + 17};
    double from = s->start_hour * 3600.0, to = from + s->hours * 3600.0;
    int burst_in = BURST_START_S >= from && BURST_START_S + BURST_LEN_S / 2 <= to;
    if (burst_in) { /* the storm hits a few towns */
        s->n_burst_towns = s->n_towns < 3 ? s->n_towns : 3;
        for (int i = 0; i < s->n_burst_towns; i++) {
            int t;
            int again;
            do {
                t = rng_below(&r, s->n_towns);
                again = 0;
                for (int j = 0; j < i; j++)
                    again |= s->burst_towns[j] == t;
            } while (again);
            s->burst_towns[i] = t;
        }
    }
    int n_burst = burst_in ? s->n_reports * 12 / 100 : 0;
    s->reports = calloc((size_t)s->n_reports + 1, sizeof *s->reports);
    if (s->reports == NULL)
        return -1;
    for (int i = 0; i < s->n_reports; i++) {
        report *rp = &s->reports[i];
        int burst = i < n_burst;
        if (burst) {
            /* Most in the first half hour, a tail after. */
            double x = rng_unit(&r);
            rp->at_s = BURST_START_S + BURST_LEN_S * x * x;
        } else {
            for (;;) {
                double t = rng_between(&r, from, to);
                int h = (int)fmod(floor(t / 3600.0), 24.0);
                if (rng_unit(&r) * 1.9 < hour_rate[h]) {
                    rp->at_s = t;
                    break;
                }
            }
        }
        if (rp->at_s >= to)
            rp->at_s = to - 1;
        fill_report(s, &r, rp, burst);
    }
    qsort(s->reports, (size_t)s->n_reports, sizeof *s->reports, by_time);
    return 0;
}

/* ---- the clock ---- */

static int64_t now_mono(void)
{
    return fqt_monotonic_ms();
}

static double sim_now_s(const sim *s)
{
    return s->start_hour * 3600.0 + (double)(now_mono() - s->start_mono) / 1000.0 * s->speedup;
}

static int64_t mono_for_sim(const sim *s, double sim_s)
{
    return s->start_mono + (int64_t)((sim_s - s->start_hour * 3600.0) / s->speedup * 1000.0);
}

/* Real milliseconds for simulated seconds. */
static int64_t real_ms(const sim *s, double sim_s)
{
    return (int64_t)(sim_s / s->speedup * 1000.0);
}

/* ---- reports on the intake ---- */

static void town_done(void *user, uint64_t tag, const fqc_result *r)
{
    town *tw = user;
    sim *s = tw->sim;
    report *rp = &s->reports[tag];
    rp->done = 1;
    if (r->outcome == FQC_NO_ANSWER) {
        s->n.report_no_answer++;
        logf_(s, "report SIM-%" PRIu64 "-%" PRIu64 " got no answer: %s", s->seed, tag, r->message);
        return;
    }
    if (r->status != FENGQIAO__V1__STATUS__STATUS_OK) {
        s->n.report_refused++;
        logf_(s, "report SIM-%" PRIu64 "-%" PRIu64 " refused: %s: %s", s->seed, tag,
              fq_status_name(r->status), r->message);
        return;
    }
    s->n.stored++;
    if (r->has_routing && r->merged_into != 0)
        s->n.merged++;
    else if (r->has_routing && r->tier >= 1 && r->tier <= 3)
        s->n.tier[r->tier]++;
    else
        s->n.unroutable++;
}

static void submit_report(sim *s, int i)
{
    report *rp = &s->reports[i];
    town *tw = &s->towns[rp->town];
    const grid *g = &s->grids[rp->grid];
    char ref[64];
    snprintf(ref, sizeof ref, "SIM-%" PRIu64 "-%d", s->seed, i);
    Fengqiao__V1__ReportIncident body = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    Fengqiao__V1__GeoPoint point = FENGQIAO__V1__GEO_POINT__INIT;
    point.lon = rp->lon;
    point.lat = rp->lat;
    body.category = s->cats[rp->category].code;
    body.severity = rp->severity;
    body.risk = rp->risk;
    body.channel = rp->channel;
    body.place_unit = (char *)g->id;
    body.location = &point;
    body.title = rp->title;
    body.address = rp->address;
    body.description = rp->burst ? "fq-simulate 演示案件：15时前后暴雨" : "fq-simulate 演示案件";
    body.external_ref = ref;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    env.report_incident = &body;
    if (fqc_submit(tw->client, (uint64_t)i, fqc_message_id_for(tw->node, ref), &env) != 0) {
        s->n.report_no_answer++;
        rp->done = 1;
    }
    rp->submitted = 1;
    s->n.reports++;
    s->n.burst_reports += rp->burst;
}

static void push_due_reports(sim *s, double sim_s)
{
    for (int i = s->next_report; i < s->n_reports && s->reports[i].at_s <= sim_s; i++) {
        report *rp = &s->reports[i];
        if (rp->submitted)
            continue;
        town *tw = &s->towns[rp->town];
        if (fqc_outstanding(tw->client) >= tw->window)
            continue;
        submit_report(s, i);
    }
    while (s->next_report < s->n_reports && s->reports[s->next_report].submitted)
        s->next_report++;
}

/* ---- terminals: cases ---- */

static kase *new_case(sim *s, int term_index, uint64_t incident)
{
    if (s->n_cases == s->cap_cases) {
        s->cap_cases = s->cap_cases ? 2 * s->cap_cases : 1024;
        s->cases = realloc(s->cases, (size_t)s->cap_cases * sizeof *s->cases);
        if (s->cases == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            exit(1);
        }
    }
    kase *k = &s->cases[s->n_cases++];
    memset(k, 0, sizeof *k);
    k->term = term_index;
    k->incident = incident;
    return k;
}

static void drop_cases(sim *s, int term_index, uint64_t incident)
{
    for (int i = 0; i < s->n_cases; i++) {
        kase *k = &s->cases[i];
        if (k->term == term_index && k->incident == incident && k->stage != ST_DONE) {
            if (k->in_flight)
                k->cancelled = 1;
            else
                k->stage = ST_DONE;
        }
    }
}

static int has_case(const sim *s, int term_index, uint64_t incident)
{
    for (int i = 0; i < s->n_cases; i++)
        if (s->cases[i].term == term_index && s->cases[i].incident == incident &&
            s->cases[i].stage != ST_DONE && s->cases[i].stage != ST_REPLY && !s->cases[i].cancelled)
            return 1;
    return 0;
}

static int has_co_case(const sim *s, int term_index, uint64_t incident)
{
    for (int i = 0; i < s->n_cases; i++)
        if (s->cases[i].term == term_index && s->cases[i].incident == incident && s->cases[i].co &&
            s->cases[i].stage != ST_REPLY)
            return 1;
    return 0;
}

static void remember_concluded(sim *s, uint64_t incident)
{
    if (s->n_concluded == s->cap_concluded) {
        s->cap_concluded = s->cap_concluded ? 2 * s->cap_concluded : 1024;
        s->concluded = realloc(s->concluded, s->cap_concluded * sizeof *s->concluded);
        if (s->concluded == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            exit(1);
        }
    }
    s->concluded[s->n_concluded++] = incident;
}

static int64_t supervision_deadline(const sim *s, uint64_t incident)
{
    for (int i = s->op.n_sup - 1; i >= 0; i--)
        if (s->op.sup[i].incident == incident)
            return s->op.sup[i].deadline_ms;
    return 0;
}

/* A realistic time to conclude, in simulated seconds, by who holds it. */
static double conclude_sim_s(sim *s, const term *t)
{
    if (t->is_worker)
        return rng_between(&s->behave, 0.5, 6.0) * 3600.0;
    if (t->town >= 0)
        return rng_between(&s->behave, 1.0, 10.0) * 3600.0;
    return rng_between(&s->behave, 1.0, 8.0) * 3600.0;
}

static void plan_assignment(sim *s, int term_index, const Fengqiao__V1__OutboxItem *it, int co)
{
    term *t = &s->terms[term_index];
    drop_cases(s, term_index, it->incident_id);
    kase *k = new_case(s, term_index, it->incident_id);
    int64_t now = now_mono(), epoch = fq_now_ms();
    int64_t ack_window = it->acknowledge_due_ms - epoch; /* real ms */
    k->conclude_due_ms = it->conclude_due_ms;
    k->message_id = fqc_random_message_id();
    if (co) {
        s->n.co_assignments++;
        k->co = 1;
        if (rng_unit(&s->behave) < 0.5) {
            k->stage = ST_CO_PROGRESS;
            k->due = now + (int64_t)((double)(ack_window > 0 ? ack_window : 1000) *
                                     rng_between(&s->behave, 1.2, 2.5));
        } else {
            k->stage = ST_DONE;
        }
        return;
    }
    s->n.assignments++;
    double x = rng_unit(&s->behave);
    /* District units do not return: nobody above would take it. */
    int may_return = t->is_worker || t->town >= 0;
    if (may_return && x < 0.04) {
        k->stage = ST_RETURN;
        k->due = now + (int64_t)((double)(ack_window > 0 ? ack_window : 2000) *
                                 rng_between(&s->behave, 0.1, 0.5));
        int other = -1;
        if (t->is_worker && rng_unit(&s->behave) < 0.5) {
            /* Wrong jurisdiction: another village of the town. */
            int n = 0;
            for (int v = 0; v < s->n_villages; v++)
                n += s->villages[v].town == t->town && v != t->village;
            int pick = n ? rng_below(&s->behave, n) : -1;
            for (int v = 0; pick >= 0 && v < s->n_villages; v++)
                if (s->villages[v].town == t->town && v != t->village && pick-- == 0)
                    other = v;
        }
        if (other >= 0) {
            k->reason = FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION;
            copy_id(k->right_place, sizeof k->right_place, s->villages[other].id);
        } else {
            k->reason = FENGQIAO__V1__RETURN_REASON__RETURN_BEYOND_CAPACITY;
        }
        return;
    }
    k->stage = ST_ACK;
    if (ack_window <= 0) {
        k->due = now + 500 + (int64_t)rng_below(&s->behave, 1500);
    } else if (x < 0.04 + 0.08) {
        s->n.late_acks_planned++;
        k->due = now + (int64_t)((double)ack_window * rng_between(&s->behave, 1.05, 1.6));
    } else {
        /* Usually well inside the limit. */
        double f = rng_unit(&s->behave);
        k->due = now + (int64_t)((double)ack_window * (0.03 + 0.55 * f * f));
    }
    k->extend = rng_unit(&s->behave) < 0.02;
    k->progress = rng_unit(&s->behave) < 0.35;
}

/* After the acknowledgement: when to conclude, and what comes between. */
static void plan_after_ack(sim *s, kase *k)
{
    term *t = &s->terms[k->term];
    int64_t now = now_mono();
    int64_t window = k->conclude_due_ms - fq_now_ms();
    if (window < 1000)
        window = 1000;
    int64_t delay;
    if (rng_unit(&s->behave) < 0.06)
        delay = (int64_t)((double)window * rng_between(&s->behave, 1.05, 1.3));
    else {
        delay = (int64_t)((double)window * rng_between(&s->behave, 0.1, 0.7));
        int64_t usual = real_ms(s, conclude_sim_s(s, t));
        if (usual < delay)
            delay = usual;
    }
    k->conclude_at = now + delay;
    if (k->extend) {
        k->stage = ST_EXTEND;
        k->due = now + (int64_t)((double)delay * rng_between(&s->behave, 0.05, 0.2));
    } else if (k->progress) {
        k->stage = ST_PROGRESS;
        k->due = now + (int64_t)((double)delay * rng_between(&s->behave, 0.2, 0.6));
    } else {
        k->stage = ST_CONCLUDE;
        k->due = k->conclude_at;
    }
}

static void next_stage(sim *s, kase *k)
{
    int64_t now = now_mono();
    k->message_id = fqc_random_message_id();
    k->attempts = 0;
    switch (k->stage) {
    case ST_ACK:
        s->n.acknowledged++;
        plan_after_ack(s, k);
        return;
    case ST_EXTEND:
        s->n.extensions++;
        if (k->progress) {
            k->stage = ST_PROGRESS;
            k->due = now + (k->conclude_at - now) / 2;
        } else {
            k->stage = ST_CONCLUDE;
            k->due = k->conclude_at;
        }
        return;
    case ST_PROGRESS:
        s->n.progress++;
        k->stage = ST_CONCLUDE;
        k->due = k->conclude_at > now ? k->conclude_at : now;
        return;
    case ST_CO_PROGRESS:
        s->n.progress++;
        k->stage = ST_DONE;
        return;
    case ST_CONCLUDE:
        s->n.concluded++;
        if (!k->co)
            remember_concluded(s, k->incident);
        k->stage = ST_DONE;
        return;
    case ST_REPLY:
        s->n.replies++;
        k->stage = ST_DONE;
        return;
    case ST_RETURN:
        s->n.returned++;
        k->stage = ST_DONE;
        return;
    default:
        k->stage = ST_DONE;
    }
}

static const char *progress_note(sim *s)
{
    static const char *const notes[] = {"已到现场核实情况", "已联系当事人，正在协调",
                                        "已通知相关部门配合处置", "现场已初步控制，继续跟进"};
    return notes[rng_below(&s->behave, 4)];
}

static const char *conclude_note(sim *s)
{
    static const char *const notes[] = {"已处置完毕，当事人满意", "双方已签调解协议",
                                        "隐患已消除，已回访", "已办结并反馈来电人"};
    return notes[rng_below(&s->behave, 4)];
}

static const char *reply_note(sim *s)
{
    static const char *const notes[] = {
        "已按督办要求加快办理，预计今日办结", "已组织力量到场处置，进展顺利",
        "督办收悉，已协调相关部门联合处置", "已落实整改措施，正在跟进反馈"};
    return notes[rng_below(&s->behave, 4)];
}

/* A supervision order came: reply after a delay, mostly within the deadline,
 * about 15 % too late (the server records a breach first). */
static void plan_reply(sim *s, int term_index, const Fengqiao__V1__OutboxItem *it)
{
    s->n.supervision_items++;
    if (has_co_case(s, term_index, it->incident_id))
        return; /* the lead replies */
    int64_t epoch = fq_now_ms();
    int64_t deadline = supervision_deadline(s, it->incident_id);
    if (deadline == 0)
        deadline = (it->at_ms ? it->at_ms : epoch) + real_ms(s, 2 * 3600.0);
    int64_t window = deadline - epoch;
    if (window < 1000)
        window = 1000;
    kase *k = new_case(s, term_index, it->incident_id);
    k->stage = ST_REPLY;
    k->message_id = fqc_random_message_id();
    if (rng_unit(&s->behave) < 0.15) {
        k->late = 1;
        s->n.replies_late_planned++;
        k->due = now_mono() + (int64_t)((double)window * rng_between(&s->behave, 1.1, 1.5));
    } else {
        k->due = now_mono() + (int64_t)((double)window * rng_between(&s->behave, 0.1, 0.8));
    }
}

static int send_action(sim *s, int case_index)
{
    kase *k = &s->cases[case_index];
    term *t = &s->terms[k->term];
    Fengqiao__V1__AssignmentAction a = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
    a.incident_id = k->incident;
    if (k->attempts == 0) {
        const char *text = "";
        switch (k->stage) {
        case ST_RETURN:
            text = k->reason == FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION
                       ? "不属于本网格，属邻近社区"
                       : "超出本级处置能力，请上级协调";
            break;
        case ST_EXTEND:
            text = "等待相关部门配合，申请延期";
            if (k->extend_to_ms == 0) {
                int64_t base = k->conclude_due_ms > fq_now_ms() ? k->conclude_due_ms : fq_now_ms();
                k->extend_to_ms = base + real_ms(s, 2 * 86400.0) + 60000;
            }
            break;
        case ST_PROGRESS:
        case ST_CO_PROGRESS:
            text = progress_note(s);
            break;
        case ST_CONCLUDE:
            text = conclude_note(s);
            break;
        case ST_REPLY:
            text = reply_note(s);
            break;
        default:
            break;
        }
        snprintf(k->note, sizeof k->note, "%s", text);
    }
    char *note = k->note;
    switch (k->stage) {
    case ST_ACK:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_ACKNOWLEDGE;
        break;
    case ST_RETURN:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_RETURN;
        a.reason = k->reason;
        a.right_place = k->right_place;
        a.note = note;
        break;
    case ST_EXTEND:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND;
        a.note = note;
        a.extend_to_ms = k->extend_to_ms;
        break;
    case ST_PROGRESS:
    case ST_CO_PROGRESS:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_PROGRESS;
        a.note = note;
        break;
    case ST_CONCLUDE:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_CONCLUDE;
        a.note = note;
        break;
    case ST_REPLY:
        a.kind = FENGQIAO__V1__ACTION_KIND__ACTION_REPLY;
        a.note = note;
        break;
    default:
        return -1;
    }
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
    env.assignment_action = &a;
    if (fqc_submit_timeout(t->client, (uint64_t)case_index, k->message_id, &env, 60000) != 0)
        return -1;
    k->in_flight = 1;
    k->attempts++;
    t->action_busy = 1;
    return 0;
}

static void on_action_result(sim *s, term *t, int case_index, const fqc_result *r)
{
    kase *k = &s->cases[case_index];
    t->action_busy = 0;
    k->in_flight = 0;
    if (r->outcome == FQC_NO_ANSWER) {
        if (k->attempts < ACTION_ATTEMPTS && !k->cancelled) {
            k->due = now_mono() + 1000 + (int64_t)rng_below(&s->behave, 2000);
            return; /* the same message id again */
        }
        s->n.action_no_answer++;
        k->stage = ST_DONE;
        return;
    }
    if (r->status != FENGQIAO__V1__STATUS__STATUS_OK) {
        s->n.refused++;
        if (r->status == FENGQIAO__V1__STATUS__STATUS_WRONG_STATE)
            s->n.refused_wrong_state++;
        else if (r->status == FENGQIAO__V1__STATUS__STATUS_FORBIDDEN)
            s->n.refused_forbidden++;
        else
            logf_(s, "%s: action on incident %" PRIu64 " refused: %s: %s", t->node, k->incident,
                  fq_status_name(r->status), r->message);
        k->stage = ST_DONE;
        return;
    }
    if (k->cancelled) {
        /* It went through before the cancellation was seen: count it, stop. */
        next_stage(s, k);
        k->stage = ST_DONE;
        return;
    }
    next_stage(s, k);
}

/* ---- terminals: items ---- */

static int on_items(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n)
{
    term *t = user;
    sim *s = t->sim;
    int ti = (int)(t - s->terms);
    for (size_t i = 0; i < n; i++) {
        const Fengqiao__V1__OutboxItem *it = items[i];
        if (it->at_ms != 0 && it->at_ms < s->start_epoch_ms)
            continue; /* from before this run: not ours to act on */
        const char *text = it->text ? it->text : "";
        switch (it->kind) {
        case FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT:
            plan_assignment(s, ti, it, strstr(text, "(co-handling)") != NULL);
            break;
        case FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION:
            s->n.cancellations++;
            drop_cases(s, ti, it->incident_id);
            break;
        case FENGQIAO__V1__ITEM_KIND__ITEM_CLOSED:
            drop_cases(s, ti, it->incident_id);
            break;
        case FENGQIAO__V1__ITEM_KIND__ITEM_WARNING:
            s->n.warnings++;
            if (strstr(text, "supervision order not answered") != NULL &&
                !has_co_case(s, ti, it->incident_id))
                s->n.breaches_seen++;
            break;
        case FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION:
            plan_reply(s, ti, it);
            break;
        case FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE:
            if (strncmp(text, "updated (co-handling)", 21) == 0) {
                /* Still on it, but only co-handling now (escalated above us). */
                drop_cases(s, ti, it->incident_id);
            } else if (strncmp(text, "updated:", 8) == 0 && !has_case(s, ti, it->incident_id)) {
                plan_assignment(s, ti, it, 0); /* we lead it now */
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static void term_done(void *user, uint64_t tag, const fqc_result *r)
{
    term *t = user;
    if (tag == FQT_SYNC_TAG || tag == FQT_FINAL_TAG) {
        fqt_sync_on_result(&t->sync, tag, r);
        t->next_tick = 0;
        return;
    }
    on_action_result(t->sim, t, (int)tag, r);
}

static void run_due_actions(sim *s)
{
    int64_t now = now_mono();
    for (int i = 0; i < s->n_cases; i++) {
        kase *k = &s->cases[i];
        if (k->stage == ST_DONE || k->in_flight || k->due > now)
            continue;
        if (k->cancelled) {
            k->stage = ST_DONE;
            continue;
        }
        term *t = &s->terms[k->term];
        if (t->action_busy || fqc_outstanding(t->client) >= TERM_WINDOW)
            continue;
        if (send_action(s, i) != 0)
            k->due = now + 1000;
    }
}

static int64_t next_action_due(const sim *s)
{
    int64_t next = INT64_MAX;
    for (int i = 0; i < s->n_cases; i++) {
        const kase *k = &s->cases[i];
        if (k->stage != ST_DONE && !k->in_flight && k->due < next)
            next = k->due;
    }
    return next;
}

/* ---- the command-center operator ---- */

static const char *const command_names[OPS_KINDS] = {"?",       "assign", "escalate",  "conclude",
                                                     "approve", "deny",   "supervise", "merge",
                                                     "reopen",  "verify", "follow_up"};

static opcmd *ops_enqueue(sim *s, int kind, uint64_t incident, const char *reason)
{
    ops *o = &s->op;
    if (o->q_head > 0 && o->q_head == o->q_n) {
        o->q_head = 0;
        o->q_n = 0;
    }
    if (o->q_n == o->q_cap) {
        o->q_cap = o->q_cap ? 2 * o->q_cap : 256;
        o->q = realloc(o->q, (size_t)o->q_cap * sizeof *o->q);
        if (o->q == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            exit(1);
        }
    }
    opcmd *c = &o->q[o->q_n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->incident = incident;
    c->reason = reason;
    c->message_id = fqc_random_message_id();
    return c;
}

static int ops_is_supervised(const sim *s, uint64_t incident)
{
    return supervision_deadline(s, incident) != 0;
}

static void ops_remember_supervised(sim *s, uint64_t incident, int64_t deadline_ms)
{
    ops *o = &s->op;
    if (o->n_sup == o->cap_sup) {
        o->cap_sup = o->cap_sup ? 2 * o->cap_sup : 256;
        o->sup = realloc(o->sup, (size_t)o->cap_sup * sizeof *o->sup);
        if (o->sup == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            exit(1);
        }
    }
    o->sup[o->n_sup].incident = incident;
    o->sup[o->n_sup].deadline_ms = deadline_ms;
    o->n_sup++;
}

static int ops_query(sim *s, uint64_t tag)
{
    Fengqiao__V1__OpenIncidentsQuery oq = FENGQIAO__V1__OPEN_INCIDENTS_QUERY__INIT;
    if (tag == OPS_TAG_OVERDUE) {
        oq.overdue_only = 1;
        oq.limit = 100;
    } else {
        oq.assignment = "extension_requested";
        oq.limit = 200;
    }
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
    q.open_incidents = &oq;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
    env.console_query = &q;
    if (fqc_submit_timeout(s->op.client, tag, fqc_fresh_message_id(), &env, 30000) != 0)
        return -1;
    s->op.busy = 1;
    return 0;
}

static int ops_send_command(sim *s)
{
    ops *o = &s->op;
    opcmd *c = &o->q[o->q_head];
    Fengqiao__V1__ConsoleCommand cmd = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    char *co[1] = {c->co_unit};
    cmd.incident_id = c->incident;
    cmd.kind = c->kind;
    cmd.reason = (char *)c->reason;
    cmd.deadline_ms = c->deadline_ms;
    cmd.satisfaction = c->satisfaction;
    if (c->target_unit[0])
        cmd.target_unit = c->target_unit;
    if (c->co_unit[0]) {
        cmd.n_co_units = 1;
        cmd.co_units = co;
    }
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND;
    env.console_command = &cmd;
    if (fqc_submit_timeout(o->client, OPS_TAG_COMMAND, c->message_id, &env, 30000) != 0)
        return -1;
    if (c->attempts++ == 0)
        o->sent[c->kind]++;
    o->busy = 1;
    return 0;
}

/* The overdue list: supervise a few not supervised yet; now and then escalate
 * one, or hand a grave one to a district department with a co-unit. */
static void ops_on_overdue(sim *s, const Fengqiao__V1__ConsoleResult *res)
{
    int supervise = 1 + rng_below(&s->behave, 3);
    for (size_t i = 0; res && i < res->n_incidents; i++) {
        const Fengqiao__V1__IncidentSummary *in = res->incidents[i];
        if (ops_is_supervised(s, in->incident_id))
            continue;
        double x = rng_unit(&s->behave);
        if (in->tier != FENGQIAO__V1__TIER__TIER_DISTRICT && x < 0.01) {
            ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_ESCALATE, in->incident_id,
                        "案情复杂，指挥中心提级处置");
            continue;
        }
        if (in->tier != FENGQIAO__V1__TIER__TIER_DISTRICT && s->n_deps >= 2 &&
            in->severity != FENGQIAO__V1__SEVERITY__SEVERITY_UNSPECIFIED &&
            in->severity <= FENGQIAO__V1__SEVERITY__SEVERITY_II && x < 0.05) {
            opcmd *c = ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN, in->incident_id,
                                   "重大案件，指定区级部门牵头联合处置");
            int a = rng_below(&s->behave, s->n_deps);
            int b = (a + 1 + rng_below(&s->behave, s->n_deps - 1)) % s->n_deps;
            copy_id(c->target_unit, sizeof c->target_unit, s->deps[a]);
            copy_id(c->co_unit, sizeof c->co_unit, s->deps[b]);
            continue;
        }
        if (supervise > 0) {
            supervise--;
            opcmd *c = ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE,
                                   in->incident_id, "案件已超时，请抓紧办理并回复办理情况");
            c->deadline_ms = fq_now_ms() + real_ms(s, 2 * 3600.0);
            if (c->deadline_ms <= fq_now_ms() + 1000)
                c->deadline_ms = fq_now_ms() + 1000;
            ops_remember_supervised(s, in->incident_id, c->deadline_ms);
        }
    }
}

static void ops_on_extensions(sim *s, const Fengqiao__V1__ConsoleResult *res)
{
    for (size_t i = 0; res && i < res->n_incidents; i++) {
        if (rng_unit(&s->behave) < 0.7)
            ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION,
                        res->incidents[i]->incident_id, "理由充分，同意延期");
        else
            ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION,
                        res->incidents[i]->incident_id, "时限内可以办结，不同意延期");
    }
}

/* The incidents concluded since the last round: verify some, follow up
 * most, and send back for redo those whose reporter was unhappy. */
static void ops_on_concluded(sim *s)
{
    ops *o = &s->op;
    static const double sat_w[5] = {0.02, 0.03, 0.10, 0.30, 0.55}; /* 1 .. 5 */
    for (; o->concluded_seen < s->n_concluded; o->concluded_seen++) {
        uint64_t id = s->concluded[o->concluded_seen];
        if (rng_unit(&s->behave) < 0.5)
            ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY, id,
                        "已到现场核查，处置情况属实");
        if (rng_unit(&s->behave) < 0.7) {
            opcmd *c =
                ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP, id, "电话回访来电人");
            c->satisfaction = (unsigned)rng_weighted(&s->behave, sat_w, 5) + 1;
            if (c->satisfaction <= 2)
                ops_enqueue(s, FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN, id,
                            "回访不满意，退回原承办人重办");
        }
    }
}

static void ops_done(void *user, uint64_t tag, const fqc_result *r)
{
    sim *s = user;
    ops *o = &s->op;
    o->busy = 0;
    if (tag == OPS_TAG_OVERDUE || tag == OPS_TAG_EXTENSIONS) {
        int ok = r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
                 r->has_console;
        if (!ok) {
            o->query_failed++;
            logf_(s, "%s: query refused or unanswered: %s: %s", o->node,
                  r->outcome == FQC_ANSWERED ? fq_status_name(r->status) : "no answer", r->message);
        } else if (tag == OPS_TAG_OVERDUE) {
            ops_on_overdue(s, r->console);
        } else {
            ops_on_extensions(s, r->console);
        }
        if (tag == OPS_TAG_OVERDUE) {
            o->phase = 2;
        } else {
            ops_on_concluded(s);
            o->phase = 3;
        }
        return;
    }
    opcmd *c = &o->q[o->q_head];
    if (r->outcome == FQC_NO_ANSWER) {
        if (c->attempts < OPS_ATTEMPTS)
            return; /* the same message id again */
        o->no_answer++;
        o->q_head++;
        return;
    }
    o->q_head++;
    if (r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        o->ok[c->kind]++;
        return;
    }
    o->refused[c->kind]++;
    if (r->status == FENGQIAO__V1__STATUS__STATUS_WRONG_STATE ||
        r->status == FENGQIAO__V1__STATUS__STATUS_FORBIDDEN ||
        r->status == FENGQIAO__V1__STATUS__STATUS_BUSY)
        o->races[c->kind]++;
    else
        logf_(s, "%s: %s on incident %" PRIu64 " refused: %s: %s", o->node, command_names[c->kind],
              c->incident, fq_status_name(r->status), r->message);
}

/* One step of the operator's round, every simulated 30 minutes: the overdue
 * list, the extension requests, the concluded ones; then the commands one at
 * a time. */
static void ops_step(sim *s)
{
    ops *o = &s->op;
    if (!o->enabled || o->busy)
        return;
    int64_t now = now_mono();
    switch (o->phase) {
    case 0:
        if (now < o->next_round)
            return;
        o->rounds++;
        o->next_round_s += 1800.0;
        o->next_round = mono_for_sim(s, o->next_round_s);
        o->phase = 1;
        if (ops_query(s, OPS_TAG_OVERDUE) != 0)
            o->phase = 2;
        return;
    case 1:
        return;
    case 2:
        if (ops_query(s, OPS_TAG_EXTENSIONS) != 0) {
            ops_on_concluded(s);
            o->phase = 3;
        }
        return;
    default:
        if (o->q_head >= o->q_n) {
            o->phase = 0;
            return;
        }
        if (ops_send_command(s) != 0)
            o->q_head++;
        return;
    }
}

/* ---- progress ---- */

static void clock_text(double sim_s, char *buf, size_t len)
{
    long m = (long)floor(sim_s / 60.0 + 0.5);
    long d = m / (24 * 60);
    m %= 24 * 60;
    if (d > 0 && m == 0)
        snprintf(buf, len, "%02ld:00", 24 * d);
    else
        snprintf(buf, len, "%s%02ld:%02ld", d > 0 ? "+1d " : "", m / 60, m % 60);
}

static void progress_line(sim *s, double sim_s, int burst_hour)
{
    char clock[32];
    clock_text(sim_s, clock, sizeof clock);
    printf("[sim %s] reports %ld%s | acknowledged %ld concluded %ld returned %ld extensions %ld "
           "| moved on %ld warnings %ld | refused %ld | supervised %ld replied %ld breached %ld "
           "| extensions approved %ld denied %ld | verified %ld followed up %ld reopened %ld\n",
           clock, s->n.reports, burst_hour ? " (burst)" : "", s->n.acknowledged, s->n.concluded,
           s->n.returned, s->n.extensions, s->n.cancellations, s->n.warnings, s->n.refused,
           s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE], s->n.replies,
           s->n.breaches_seen, s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION],
           s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION],
           s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY],
           s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP],
           s->op.ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN]);
    fflush(stdout);
}

/* ---- setup ---- */

static int open_clients(sim *s, char *err, size_t err_len)
{
    int terms = s->n_terms;
    int left = MAX_SOCKETS - TERM_WINDOW * terms;
    int window = s->n_towns ? left / s->n_towns : 0;
    if (window > TOWN_WINDOW_MAX)
        window = TOWN_WINDOW_MAX;
    if (window < 1) {
        snprintf(err, err_len,
                 "%d terminals and %d towns need more than %d sockets; use a smaller topology",
                 terms, s->n_towns, MAX_SOCKETS);
        return -1;
    }
    char path[4096];
    for (int i = 0; i < s->n_towns; i++) {
        town *tw = &s->towns[i];
        fqc_config cfg = {0};
        cfg.url = s->intake;
        cfg.node = tw->node;
        cfg.window = window;
        cfg.timeout_ms = 60000;
        snprintf(path, sizeof path, "%s/%s.key", s->keys, tw->node);
        if (fqc_load_key_file(path, cfg.key, err, err_len) != 0)
            return -1;
        tw->window = window;
        int rv = fqc_open(&cfg, town_done, tw, &tw->client, err, err_len);
        sodium_memzero(cfg.key, sizeof cfg.key);
        if (rv != 0)
            return -1;
    }
    for (int i = 0; i < s->n_terms; i++) {
        term *t = &s->terms[i];
        fqc_config cfg = {0};
        cfg.url = s->terminals;
        cfg.node = t->node;
        cfg.window = TERM_WINDOW;
        cfg.timeout_ms = 60000;
        cfg.resend_ivl_ms = FQC_SYNC_RESEND_IVL_MS;
        snprintf(path, sizeof path, "%s/%s.key", s->keys, t->node);
        if (fqc_load_key_file(path, cfg.key, err, err_len) != 0)
            return -1;
        int rv = fqc_open(&cfg, term_done, t, &t->client, err, err_len);
        sodium_memzero(cfg.key, sizeof cfg.key);
        if (rv != 0)
            return -1;
        fqt_sync_init(&t->sync, t->client, PROG, s->terminals, t->node, 0, 0, on_items, t);
        t->next_tick = 0;
    }
    /* The command center's operator, if its console node has a key. */
    ops *o = &s->op;
    snprintf(o->node, sizeof o->node, "%s-ops", s->district);
    snprintf(path, sizeof path, "%s/%s.key", s->keys, o->node);
    fqc_config cfg = {0};
    cfg.url = s->terminals;
    cfg.node = o->node;
    cfg.window = 1;
    cfg.timeout_ms = 30000;
    if (fqc_load_key_file(path, cfg.key, err, err_len) != 0) {
        if (errno != ENOENT)
            return -1; /* a key there but unreadable or open to others: say so */
        fqt_log(PROG,
                "no key %.400s: no simulated operator (supervision, extension decisions, "
                "verification, follow-up and redo are left out)",
                path);
        return 0;
    }
    int rv = fqc_open(&cfg, ops_done, s, &o->client, err, err_len);
    sodium_memzero(cfg.key, sizeof cfg.key);
    if (rv != 0)
        return -1;
    o->enabled = 1;
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int parse_double(const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

/* ---- the loop ---- */

typedef struct client_ref {
    fqc *client;
    int first, count;
    int64_t due;
} client_ref;

static void run(sim *s)
{
    int n_clients = s->n_towns + s->n_terms + (s->op.enabled ? 1 : 0);
    client_ref *refs = calloc((size_t)n_clients, sizeof *refs);
    struct pollfd *fds = calloc((size_t)n_clients * TOWN_WINDOW_MAX + 8, sizeof *fds);
    if (refs == NULL || fds == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(1);
    }
    for (int i = 0; i < s->n_towns; i++)
        refs[i].client = s->towns[i].client;
    for (int i = 0; i < s->n_terms; i++)
        refs[s->n_towns + i].client = s->terms[i].client;
    if (s->op.enabled)
        refs[s->n_towns + s->n_terms].client = s->op.client;
    s->op.next_round_s = s->start_hour * 3600.0 + 1800.0;
    s->op.next_round = mono_for_sim(s, s->op.next_round_s);

    double end_s = (s->start_hour + s->hours) * 3600.0;
    double next_hour_s = (floor(s->start_hour) + 1) * 3600.0;
    long burst_at_hour = 0;
    for (;;) {
        int64_t now = now_mono();
        double sim_s = sim_now_s(s);
        if (stop_requested)
            break;
        if (sim_s >= next_hour_s) {
            int burst_hour = s->n.burst_reports > burst_at_hour;
            burst_at_hour = s->n.burst_reports;
            progress_line(s, next_hour_s, burst_hour);
            next_hour_s += 3600.0;
        }
        if (sim_s >= end_s)
            break;
        push_due_reports(s, sim_s);
        run_due_actions(s);
        ops_step(s);
        int64_t wake = now + 1000;
        if (s->op.enabled && !s->op.busy)
            wake = s->op.phase == 0 ? (s->op.next_round < wake ? s->op.next_round : wake) : now;
        for (int i = 0; i < s->n_terms; i++) {
            term *t = &s->terms[i];
            if (t->next_tick > now)
                continue;
            int ms = fqt_sync_tick(&t->sync);
            t->next_tick = ms < 0 ? INT64_MAX : now + ms;
        }
        for (int i = 0; i < s->n_terms; i++)
            if (s->terms[i].next_tick < wake)
                wake = s->terms[i].next_tick;
        int64_t a = next_action_due(s);
        if (a < wake)
            wake = a;
        if (s->next_report < s->n_reports) {
            int64_t r = mono_for_sim(s, s->reports[s->next_report].at_s);
            if (r < wake)
                wake = r;
        }
        int64_t h = mono_for_sim(s, next_hour_s < end_s ? next_hour_s : end_s);
        if (h < wake)
            wake = h;
        int nfds = 0;
        for (int i = 0; i < n_clients; i++) {
            int t = -1;
            refs[i].first = nfds;
            refs[i].count = fqc_prepare_poll(refs[i].client, fds + nfds, TOWN_WINDOW_MAX, &t);
            nfds += refs[i].count;
            refs[i].due = t < 0 ? INT64_MAX : now + t;
            if (refs[i].due < wake)
                wake = refs[i].due;
        }
        int timeout = wake <= now ? 0 : (int)(wake - now);
        if (timeout > 1000)
            timeout = 1000;
        int rv = poll(fds, (nfds_t)nfds, timeout);
        if (rv < 0 && errno != EINTR)
            break;
        now = now_mono();
        for (int i = 0; i < n_clients; i++) {
            int ready = refs[i].due <= now;
            for (int j = 0; !ready && rv > 0 && j < refs[i].count; j++)
                ready = fds[refs[i].first + j].revents != 0;
            if (ready)
                fqc_poll(refs[i].client, 0);
        }
    }
    /* The day is over: let the last reports and actions be answered. */
    int64_t until = now_mono() + 15000;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < s->n_towns; i++)
            busy += fqc_outstanding(s->towns[i].client);
        for (int i = 0; i < s->n_terms; i++)
            busy += s->terms[i].action_busy;
        busy += s->op.busy;
        if (busy == 0 || now_mono() >= until || stop_requested > 1)
            break;
        for (int i = 0; i < s->n_towns; i++)
            if (fqc_outstanding(s->towns[i].client))
                fqc_poll(s->towns[i].client, 0);
        for (int i = 0; i < s->n_terms; i++)
            if (s->terms[i].action_busy)
                fqc_poll(s->terms[i].client, 0);
        if (s->op.busy)
            fqc_poll(s->op.client, 0);
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(refs);
    free(fds);
}

static void summary(sim *s)
{
    char clock[32];
    clock_text(fmin(sim_now_s(s), (s->start_hour + s->hours) * 3600.0), clock, sizeof clock);
    long pending = 0;
    for (int i = 0; i < s->n_cases; i++)
        pending += s->cases[i].stage != ST_DONE && s->cases[i].stage != ST_REPLY && !s->cases[i].co;
    printf("[sim %s] day %s: reports %ld (burst %ld) stored %ld: village %ld town %ld "
           "district %ld merged %ld unroutable %ld; refused %ld, no answer %ld | assignments "
           "%ld (+%ld co-handling) acknowledged %ld concluded %ld returned %ld extensions %ld "
           "progress %ld, still open here %ld | moved on %ld warnings %ld | actions refused "
           "%ld (wrong_state %ld forbidden %ld) no answer %ld\n",
           clock, stop_requested ? "stopped" : "done", s->n.reports, s->n.burst_reports,
           s->n.stored, s->n.tier[1], s->n.tier[2], s->n.tier[3], s->n.merged, s->n.unroutable,
           s->n.report_refused, s->n.report_no_answer, s->n.assignments, s->n.co_assignments,
           s->n.acknowledged, s->n.concluded, s->n.returned, s->n.extensions, s->n.progress,
           pending, s->n.cancellations, s->n.warnings, s->n.refused, s->n.refused_wrong_state,
           s->n.refused_forbidden, s->n.action_no_answer);
    const ops *o = &s->op;
    if (o->enabled) {
        char per[1024] = "";
        size_t len = 0;
        for (int k = 1; k < OPS_KINDS; k++)
            if (o->sent[k] && len < sizeof per)
                len += (size_t)snprintf(per + len, sizeof per - len, "%s%s %ld/%ld",
                                        len ? ", " : "", command_names[k], o->ok[k], o->sent[k]);
        long refused = 0, races = 0;
        for (int k = 0; k < OPS_KINDS; k++) {
            refused += o->refused[k];
            races += o->races[k];
        }
        printf("[sim %s] operator %s: %ld rounds; commands done/sent: %s; refused %ld (races %ld: "
               "wrong_state, forbidden, busy) no answer %ld, queries failed %ld | supervision: "
               "orders %ld, items %ld, replied %ld (%ld planned late), breached %ld | extensions "
               "approved %ld denied %ld | verified %ld followed up %ld reopened %ld\n",
               clock, o->node, o->rounds, per[0] ? per : "none", refused, races, o->no_answer,
               o->query_failed, o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE],
               s->n.supervision_items, s->n.replies, s->n.replies_late_planned, s->n.breaches_seen,
               o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION],
               o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION],
               o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY],
               o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP],
               o->ok[FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN]);
    }
    fflush(stdout);
}

/* Everything the day allocated (a clean exit for the leak checker). */
static void free_sim(sim *s)
{
    for (int i = 0; i < s->n_grids; i++) {
        free(s->grids[i].lon_lat);
    }
    free(s->grids);
    fq_geo_free(s->geo);
    free(s->villages);
    free(s->towns);
    free(s->cats);
    free(s->deps);
    free(s->terms);
    free(s->reports);
    free(s->cases);
    free(s->concluded);
    free(s->op.q);
    free(s->op.sup);
}

int main(int argc, char **argv)
{
    sim s;
    memset(&s, 0, sizeof s);
    s.intake = getenv("FQ_INTAKE") ? getenv("FQ_INTAKE") : "tcp://127.0.0.1:7411";
    s.terminals = getenv("FQ_TERMINALS") ? getenv("FQ_TERMINALS") : "tcp://127.0.0.1:7412";
    s.speedup = 120;
    s.hours = 24;
    s.n_reports = 800;
    s.seed = 1;
    enum { O_TOPO = 1000, O_KEYS, O_INTAKE, O_TERMS, O_SPEED, O_HOURS, O_START, O_REPORTS, O_SEED };
    static const struct option opts[] = {
        {"topology", required_argument, NULL, O_TOPO},
        {"keys", required_argument, NULL, O_KEYS},
        {"intake", required_argument, NULL, O_INTAKE},
        {"terminals", required_argument, NULL, O_TERMS},
        {"speedup", required_argument, NULL, O_SPEED},
        {"hours", required_argument, NULL, O_HOURS},
        {"start-hour", required_argument, NULL, O_START},
        {"reports", required_argument, NULL, O_REPORTS},
        {"seed", required_argument, NULL, O_SEED},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static fqc_urls intake_flags, terminals_flags;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_TOPO:
            s.topology = optarg;
            break;
        case O_KEYS:
            s.keys = optarg;
            break;
        case O_INTAKE: /* repeatable: the servers of a pair */
            if (fqc_urls_add(&intake_flags, optarg) != 0)
                goto bad;
            break;
        case O_TERMS:
            if (fqc_urls_add(&terminals_flags, optarg) != 0)
                goto bad;
            break;
        case O_SPEED:
            if (parse_double(optarg, 1, 100000, &s.speedup) != 0)
                goto bad;
            break;
        case O_HOURS:
            if (parse_double(optarg, 0.01, 24 * 7, &s.hours) != 0)
                goto bad;
            break;
        case O_START:
            if (parse_double(optarg, 0, 23.99, &s.start_hour) != 0)
                goto bad;
            break;
        case O_REPORTS:
            if (parse_double(optarg, 0, 1000000, &v) != 0 || v != floor(v))
                goto bad;
            s.n_reports = (int)v;
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || errno != 0 || optarg[0] == '-')
                goto bad;
            s.seed = x;
            break;
        }
        case 'q':
            s.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, PROG ": bad value '%s' for --%s\n", optarg, opts[c - O_TOPO].name);
        return 2;
    }
    s.intake = fqc_urls_or(&intake_flags, s.intake);
    s.terminals = fqc_urls_or(&terminals_flags, s.terminals);
    if (optind != argc || s.topology == NULL || s.keys == NULL) {
        fprintf(stderr, PROG ": --topology and --keys are required\n");
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, PROG ": libsodium failed to initialise\n");
        return 1;
    }
    char err[512];
    if (load_topology(&s, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    raise_fd_limit();
    if (open_clients(&s, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    if (make_reports(&s) != 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    s.behave.s = s.seed ^ (uint64_t)fq_now_ms() ^ UINT64_C(0x5DEECE66D);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    s.start_mono = now_mono();
    s.start_epoch_ms = fq_now_ms();
    if (!s.quiet) {
        char burst[256] = "";
        int workers = 0;
        for (int i = 0; i < s.n_terms; i++)
            workers += s.terms[i].is_worker;
        for (int i = 0; i < s.n_burst_towns; i++)
            snprintf(burst + strlen(burst), sizeof burst - strlen(burst), "%s%s", i ? ", " : "",
                     s.towns[s.burst_towns[i]].id);
        fqt_log(PROG,
                "%d towns, %d grids, %d terminals (%d workers' and %d duty officers'); %d reports "
                "over %.4g h at %gx (%.1f real minutes); seed %" PRIu64 "%s%s%s",
                s.n_towns, s.n_grids, s.n_terms, workers, s.n_terms - workers, s.n_reports, s.hours,
                s.speedup, s.hours * 60.0 / s.speedup, s.seed,
                burst[0] ? "; rainstorm at 15:00 in " : "", burst, "");
    }
    run(&s);
    summary(&s);
    for (int i = 0; i < s.n_towns; i++)
        fqc_close(s.towns[i].client);
    for (int i = 0; i < s.n_terms; i++)
        fqc_close(s.terms[i].client);
    if (s.op.enabled)
        fqc_close(s.op.client);
    free_sim(&s);
    return 0;
}
