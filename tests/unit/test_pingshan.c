/* pingshan: a realism report, not a tuning target. Replays the 2018 Shenzhen
 * Pingshan citizen-appeal work orders (../shared/data, see its README) through
 * the router over the district's own topology, and prints the share of cases
 * our rules keep at community (village), street (town) and district level
 * beside the shares of the units that really handled them. It asserts only
 * sane invariants: every kept row is routed, the shares sum to one.
 *
 * Topology: 坪山区 -> its 6 streets (街道, our towns) -> their 23 communities
 * (社区, our villages), one grid per community with three grid workers
 * (capacity 10, on duty); the district has a command center and the seven
 * departments of the synthetic cities; each street its four platform lines;
 * each community a village unit. A worker's assignment is released 24 hours
 * after it was made (the principle's village limit), so loads stay realistic.
 *
 * Lines: the data's 18 event types -> our four lines by the table below.
 * Severity and risk are not in the data; they are derived plainly (see
 * grade()). The rule set is the principle plus two rows: public-order and
 * stability cases to the district jointly with police and the petitions
 * bureau, food/drug/market cases to the street's market line.
 *
 * The real level of a case comes from its handler_unit name: a name whose
 * base (before any "（…街道办事处）" suffix) contains 社区 is a community; one
 * naming a street office (街道, 办事处, "…办）", "（马峦）") a street; all else
 * (bureaus, utilities, the police) the district.
 *
 * Usage: test_pingshan [path-to-replay.csv]. Exits 77 (ctest SKIP) when the
 * data file is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FQ_PINGSHAN_CSV
#define FQ_PINGSHAN_CSV "../shared/data/pingshan_minsheng_2018_10k_replay.csv"
#endif

static const char *csv_path = FQ_PINGSHAN_CSV;
static char err[256];

/* Event type -> line. 市容环卫/环保水务/规土城建 are enforcement matters
 * (城管, environmental and building inspection); facilities, transport,
 * education, health and civil services are convenience services; safety,
 * community management, labour disputes, public order and discipline are
 * comprehensive governance; food, drugs and markets are market supervision. */
static const struct {
    const char *category;
    fq_line line;
} line_table[] = {
    {"市容环卫", FQ_LINE_ENFORCEMENT}, {"市政设施", FQ_LINE_SERVICES},
    {"环保水务", FQ_LINE_ENFORCEMENT}, {"交通运输", FQ_LINE_SERVICES},
    {"安全隐患", FQ_LINE_GOVERNANCE},  {"教育卫生", FQ_LINE_SERVICES},
    {"规土城建", FQ_LINE_ENFORCEMENT}, {"社区管理", FQ_LINE_GOVERNANCE},
    {"文体旅游", FQ_LINE_SERVICES},    {"食药市监", FQ_LINE_MARKET},
    {"劳动社保", FQ_LINE_GOVERNANCE},  {"民政服务", FQ_LINE_SERVICES},
    {"治安维稳", FQ_LINE_GOVERNANCE},  {"组织人事", FQ_LINE_SERVICES},
    {"党纪政纪", FQ_LINE_GOVERNANCE},  {"专业事件采集", FQ_LINE_ENFORCEMENT},
    {"党建群团", FQ_LINE_SERVICES},    {"统一战线", FQ_LINE_SERVICES},
};
#define N_LINE_TABLE (sizeof line_table / sizeof line_table[0])

enum {
    COL_CREATED = 2,
    COL_CATEGORY = 6,
    COL_SUB = 7,
    COL_HANDLER = 9,
    COL_L1 = 10,
    COL_L2 = 11,
    COL_L3 = 12,
    COL_CHANNEL = 15,
    N_COLS = 16
};

typedef struct row {
    char *col[N_COLS];
} row;

/* Plain split: the file has no quoted fields (checked: no '"' at all). */
static int split(char *line, row *r)
{
    int n = 0;
    r->col[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == ',') {
            *p = '\0';
            if (n == N_COLS)
                return -1;
            r->col[n++] = p + 1;
        }
    return n == N_COLS ? 0 : -1;
}

static int contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* Severity and risk from the event type, subtype and channel:
 *  - hazards that can hurt people (fire, dangerous chemicals, gas, ground
 *    collapse, geology, traffic accidents): III, medium risk;
 *  - other safety hazards (安全隐患): IV, medium risk;
 *  - public order and stability (治安维稳): III, high risk;
 *  - wage arrears with the employer gone (欠薪): IV, high risk; other labour
 *    and pay disputes (劳动社保, 工资, 纠纷): IV, medium risk;
 *  - discipline complaints (党纪政纪): III, low risk;
 *  - complaints by telephone (固话投诉) raise low risk to medium;
 *  - everything else: IV, low. */
static void grade(const row *r, int *severity, int *risk)
{
    const char *cat = r->col[COL_CATEGORY], *sub = r->col[COL_SUB];
    *severity = 4;
    *risk = 1;
    if (contains(sub, "消防") || contains(sub, "危险化学品") || contains(sub, "燃气") ||
        contains(sub, "塌陷") || contains(sub, "地质安全") || contains(sub, "交通事故")) {
        *severity = 3;
        *risk = 2;
    } else if (strcmp(cat, "安全隐患") == 0) {
        *risk = 2;
    } else if (strcmp(cat, "治安维稳") == 0) {
        *severity = 3;
        *risk = 3;
    } else if (contains(sub, "欠薪")) {
        *risk = 3;
    } else if (strcmp(cat, "劳动社保") == 0 || contains(sub, "工资") || contains(sub, "纠纷")) {
        *risk = 2;
    } else if (strcmp(cat, "党纪政纪") == 0) {
        *severity = 3;
    }
    if (*risk == 1 && strcmp(r->col[COL_CHANNEL], "固话投诉") == 0)
        *risk = 2;
}

typedef enum level { L_COMMUNITY = 0, L_STREET = 1, L_DISTRICT = 2 } level;

static level real_level(const char *handler)
{
    char base[256];
    snprintf(base, sizeof base, "%s", handler);
    char *paren = strstr(base, "（");
    if (paren != NULL)
        *paren = '\0';
    if (contains(base, "社区"))
        return L_COMMUNITY;
    size_t n = strlen(handler);
    const char *tail = "办）";
    if (contains(handler, "街道") || contains(handler, "办事处") || contains(handler, "（马峦）") ||
        (n >= strlen(tail) && strcmp(handler + n - strlen(tail), tail) == 0))
        return L_STREET;
    return L_DISTRICT;
}

/* Seconds since 1970 of "YYYY-MM-DDTHH:MM:SS" (local time, used only for
 * differences). */
static int64_t seconds_of(const char *s)
{
    int y, mo, d, h, mi, se;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60 + se;
}

/* ---- names -> ids ---- */

#define MAX_STREETS 16
#define MAX_COMMUNITIES 64

typedef struct topo {
    char streets[MAX_STREETS][64];
    int n_streets;
    char communities[MAX_COMMUNITIES][64];
    int community_street[MAX_COMMUNITIES];
    int n_communities;
} topo;

static int street_index(topo *t, const char *name)
{
    for (int i = 0; i < t->n_streets; i++)
        if (strcmp(t->streets[i], name) == 0)
            return i;
    if (t->n_streets == MAX_STREETS)
        fail_msg("more than %d streets", MAX_STREETS);
    snprintf(t->streets[t->n_streets], 64, "%s", name);
    return t->n_streets++;
}

static int community_index(topo *t, int street, const char *name)
{
    for (int i = 0; i < t->n_communities; i++)
        if (strcmp(t->communities[i], name) == 0) {
            if (t->community_street[i] != street)
                fail_msg("community %s under two streets", name);
            return i;
        }
    if (t->n_communities == MAX_COMMUNITIES)
        fail_msg("more than %d communities", MAX_COMMUNITIES);
    snprintf(t->communities[t->n_communities], 64, "%s", name);
    t->community_street[t->n_communities] = street;
    return t->n_communities++;
}

static void ok(int rv)
{
    if (rv != 0)
        fail_msg("%s", err);
}

typedef struct pending {
    int64_t release_s;
    fq_decision d;
} pending;

static void test_pingshan_replay(void **state)
{
    (void)state;
    FILE *fp = fopen(csv_path, "r");
    if (fp == NULL)
        skip();
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
    text[size] = '\0';
    fclose(fp);

    /* Rows, dropping the README's known quirks. */
    size_t cap = 16384, n_rows = 0, n_test_unit = 0, n_no_district = 0, n_lines = 0;
    row *rows = malloc(cap * sizeof *rows);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* header */
    assert_non_null(line);
    assert_true(strncmp(line, "source,case_id,created_at", 25) == 0);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = '\0';
        n_lines++;
        row r;
        if (split(line, &r) != 0)
            fail_msg("line %zu: not %d columns", n_lines + 1, N_COLS);
        if (strcmp(r.col[COL_HANDLER], "区测试责任单位一") == 0) {
            n_test_unit++;
            continue;
        }
        if (strcmp(r.col[COL_L1], "-") == 0) {
            n_no_district++;
            continue;
        }
        if (n_rows == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        rows[n_rows++] = r;
    }
    assert_int_equal(n_lines, 10000);
    assert_int_equal(n_test_unit, 9);
    assert_int_equal(n_no_district, 10);

    /* Topology from the data itself. */
    topo t;
    memset(&t, 0, sizeof t);
    int *community = malloc(n_rows * sizeof *community);
    for (size_t i = 0; i < n_rows; i++) {
        if (strcmp(rows[i].col[COL_L1], "坪山区") != 0)
            fail_msg("row %zu: district %s", i, rows[i].col[COL_L1]);
        int s = street_index(&t, rows[i].col[COL_L2]);
        community[i] = community_index(&t, s, rows[i].col[COL_L3]);
    }
    fq_org *org = fq_org_new();
    char id[96], parent[96], hid[192];
    ok(fq_org_add(org, "ps", FQ_UNIT_DISTRICT, "", "坪山区", err, sizeof err));
    for (int s = 0; s < t.n_streets; s++) {
        snprintf(id, sizeof id, "ps-s%d", s + 1);
        ok(fq_org_add(org, id, FQ_UNIT_TOWN, "ps", t.streets[s], err, sizeof err));
    }
    for (int c = 0; c < t.n_communities; c++) {
        snprintf(parent, sizeof parent, "ps-s%d", t.community_street[c] + 1);
        snprintf(id, sizeof id, "%.60s-c%d", parent, c + 1);
        ok(fq_org_add(org, id, FQ_UNIT_VILLAGE, parent, t.communities[c], err, sizeof err));
        snprintf(parent, sizeof parent, "%.60s", id);
        snprintf(id, sizeof id, "%.60s-g1", parent);
        ok(fq_org_add(org, id, FQ_UNIT_GRID, parent, t.communities[c], err, sizeof err));
    }
    ok(fq_org_finish(org, err, sizeof err));

    fq_taxonomy *tax = fq_taxonomy_new();
    for (size_t i = 0; i < N_LINE_TABLE; i++) {
        snprintf(id, sizeof id, "ps.type%zu", i);
        assert_int_equal(fq_taxonomy_add(tax, id, line_table[i].line, err, sizeof err), (int)i);
    }
    const fq_rule_row rule_rows[] = {
        {.id = 1,
         .category = "ps.type12", /* 治安维稳 */
         .tier = FQ_TIER_DISTRICT,
         .line = -1,
         .co = {"public_security", "petitions"},
         .n_co = 2,
         .ack_s = 900,
         .ack_warn_s = 180,
         .conclude_s = 15 * 86400,
         .conclude_warn_s = 3 * 86400},
        {.id = 2,
         .category = "ps.type9", /* 食药市监 */
         .tier = FQ_TIER_TOWN,
         .line = FQ_LINE_MARKET,
         .ack_s = 1800,
         .ack_warn_s = 300,
         .conclude_s = 5 * 86400,
         .conclude_warn_s = 86400},
    };
    assert_string_equal(line_table[12].category, "治安维稳");
    assert_string_equal(line_table[9].category, "食药市监");
    fq_rules *rules = fq_rules_compile(tax, 1, rule_rows, 2, err, sizeof err);
    if (rules == NULL)
        fail_msg("rules: %s", err);

    fq_roster *ro = fq_roster_new(org);
    static const char *codes[] = {"public_security", "market_regulation", "urban_management",
                                  "civil_affairs",   "petitions",         "emergency",
                                  "justice"};
    static const int leads[] = {
        FQ_LINE_GOVERNANCE, FQ_LINE_MARKET, FQ_LINE_ENFORCEMENT, FQ_LINE_SERVICES, -1, -1, -1};
    static const char *lines[] = {"governance", "market", "enforcement", "services"};
    ok(fq_roster_add_handler(ro, "ps.center", FQ_HANDLER_CENTER, "ps", -1, NULL, err, 256));
    for (int i = 0; i < 7; i++) {
        snprintf(hid, sizeof hid, "ps.%s", codes[i]);
        ok(fq_roster_add_handler(ro, hid, FQ_HANDLER_DEPARTMENT, "ps", leads[i], codes[i], err,
                                 256));
    }
    for (int s = 0; s < t.n_streets; s++)
        for (int l = 0; l < FQ_LINE_COUNT; l++) {
            snprintf(id, sizeof id, "ps-s%d", s + 1);
            snprintf(hid, sizeof hid, "%s.%s", id, lines[l]);
            ok(fq_roster_add_handler(ro, hid, FQ_HANDLER_TOWN_LINE, id, l, NULL, err, 256));
        }
    for (int c = 0; c < t.n_communities; c++) {
        snprintf(id, sizeof id, "ps-s%d-c%d", t.community_street[c] + 1, c + 1);
        snprintf(hid, sizeof hid, "%s.village", id);
        ok(fq_roster_add_handler(ro, hid, FQ_HANDLER_VILLAGE, id, -1, NULL, err, 256));
        for (int w = 0; w < 3; w++) {
            snprintf(hid, sizeof hid, "%s-g1.w%d", id, w + 1);
            snprintf(parent, sizeof parent, "%.60s-g1", id);
            ok(fq_roster_add_worker(ro, hid, parent, 10, 1, 0, err, sizeof err));
        }
    }
    ok(fq_roster_finish(ro, err, sizeof err));
    fq_router *router = fq_router_new(org, ro, rules, NULL, err, sizeof err);
    assert_non_null(router);

    int32_t *grid_of = malloc((size_t)t.n_communities * sizeof *grid_of);
    for (int c = 0; c < t.n_communities; c++) {
        snprintf(id, sizeof id, "ps-s%d-c%d-g1", t.community_street[c] + 1, c + 1);
        grid_of[c] = fq_org_find(org, id);
        assert_true(grid_of[c] >= 0);
    }

    /* Replay in time order, releasing each worker assignment a day later. */
    pending *queue = malloc(n_rows * sizeof *queue);
    size_t q_head = 0, q_tail = 0;
    long ours[3] = {0}, real[3] = {0}, cross[3][3] = {{0}}, climbed = 0, joint = 0;
    long by_grade[5][4] = {{0}};
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        int64_t now = seconds_of(r->col[COL_CREATED]);
        if (now < 0)
            fail_msg("row %zu: created_at %s", i, r->col[COL_CREATED]);
        while (q_head < q_tail && queue[q_head].release_s <= now)
            fq_route_release(router, &queue[q_head++].d);
        int category = -1;
        for (size_t k = 0; k < N_LINE_TABLE; k++)
            if (strcmp(line_table[k].category, r->col[COL_CATEGORY]) == 0)
                category = (int)k;
        if (category < 0)
            fail_msg("row %zu: event type %s not in the line table", i, r->col[COL_CATEGORY]);
        fq_route_request req;
        fq_route_request_init(&req);
        req.category = category;
        grade(r, &req.severity, &req.risk);
        by_grade[req.severity][req.risk]++;
        req.place = grid_of[community[i]];
        req.now_ms = now * 1000;
        fq_decision d;
        if (fq_route(router, &req, &d) != FQ_OK)
            fail_msg("row %zu not routed: status %d", i, d.status);
        fq_route_apply(router, &d);
        if (d.worker >= 0)
            queue[q_tail++] = (pending){now + 86400, d};
        level mine = d.tier == FQ_TIER_VILLAGE ? L_COMMUNITY
                     : d.tier == FQ_TIER_TOWN  ? L_STREET
                                               : L_DISTRICT;
        level theirs = real_level(r->col[COL_HANDLER]);
        ours[mine]++;
        real[theirs]++;
        cross[mine][theirs]++;
        climbed += d.climbed > 0;
        joint += d.n_co > 0;
    }
    while (q_head < q_tail)
        fq_route_release(router, &queue[q_head++].d);
    for (size_t w = 0; w < fq_roster_worker_count(ro); w++)
        assert_int_equal(fq_roster_worker_const(ro, (int32_t)w)->load, 0);

    double n = (double)n_rows, sum_ours = 0, sum_real = 0;
    static const char *names[] = {"community (village)", "street (town)", "district"};
    printf("\nPingshan 2018 citizen appeals: %zu cases (%zu rows, %zu test-unit and %zu "
           "no-district rows dropped)\n",
           n_rows, n_lines, n_test_unit, n_no_district);
    printf("%d streets, %d communities; %ld cases climbed, %ld joint operations\n", t.n_streets,
           t.n_communities, climbed, joint);
    printf("  %-22s %10s %10s\n", "level", "our rules", "real");
    for (int l = 0; l < 3; l++) {
        printf("  %-22s %9.1f%% %9.1f%%\n", names[l], 100 * ours[l] / n, 100 * real[l] / n);
        sum_ours += ours[l] / n;
        sum_real += real[l] / n;
    }
    printf("  cases by (ours -> real) level, rows ours:   community     street   district\n");
    for (int l = 0; l < 3; l++)
        printf("  %-42s %10ld %10ld %10ld\n", names[l], cross[l][0], cross[l][1], cross[l][2]);
    printf("  agreement on the level: %.1f%%\n",
           100 * (cross[0][0] + cross[1][1] + cross[2][2]) / n);
    printf("  derived grades (severity/risk): ");
    for (int s = 1; s <= 4; s++)
        for (int k = 1; k <= 3; k++)
            if (by_grade[s][k])
                printf("%s/%s %ld  ", (const char *[]){"", "I", "II", "III", "IV"}[s],
                       (const char *[]){"", "low", "medium", "high"}[k], by_grade[s][k]);
    printf("\n\n");
    fflush(stdout);

    assert_int_equal(ours[0] + ours[1] + ours[2], (long)n_rows);
    assert_int_equal(real[0] + real[1] + real[2], (long)n_rows);
    assert_true(sum_ours > 1 - 1e-9 && sum_ours < 1 + 1e-9);
    assert_true(sum_real > 1 - 1e-9 && sum_real < 1 + 1e-9);
    /* The README's figures for the real side: ~57 / ~35 / ~7 %. */
    assert_true(real[L_DISTRICT] / n > 0.50 && real[L_DISTRICT] / n < 0.65);
    assert_true(real[L_STREET] / n > 0.28 && real[L_STREET] / n < 0.42);
    assert_true(real[L_COMMUNITY] / n > 0.04 && real[L_COMMUNITY] / n < 0.10);

    free(queue);
    free(grid_of);
    fq_router_free(router);
    fq_roster_free(ro);
    fq_rules_free(rules);
    fq_taxonomy_free(tax);
    fq_org_free(org);
    free(community);
    free(rows);
    free(text);
}

static void test_real_level_names(void **state)
{
    (void)state;
    assert_int_equal(real_level("六联社区"), L_COMMUNITY);
    assert_int_equal(real_level("竹坑社区（龙田街道办事处）"), L_COMMUNITY);
    assert_int_equal(real_level("石井社区工作站（石井街道办事处）"), L_COMMUNITY);
    assert_int_equal(real_level("城管办（坑梓街道办事处）"), L_STREET);
    assert_int_equal(real_level("坪山街道综合执法队"), L_STREET);
    assert_int_equal(real_level("马峦办事处综合执法队"), L_STREET);
    assert_int_equal(real_level("土地整备中心（碧岭办）"), L_STREET);
    assert_int_equal(real_level("土地整备中心（马峦）"), L_STREET);
    assert_int_equal(real_level("环境保护和水务局"), L_DISTRICT);
    assert_int_equal(real_level("坑梓自来水公司（坑梓辖区）"), L_DISTRICT);
    assert_int_equal(real_level("市交警支队坪山大队"), L_DISTRICT);
    assert_true(seconds_of("2018-10-02T00:00:00") - seconds_of("2018-10-01T00:00:00") == 86400);
    assert_true(seconds_of("1970-01-01T00:00:01") == 1);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        csv_path = argv[1];
    if (access(csv_path, R_OK) != 0) {
        printf("test_pingshan: %s not readable: skipped\n", csv_path);
        return 77; /* ctest SKIP_RETURN_CODE */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_level_names),
        cmocka_unit_test(test_pingshan_replay),
    };
    return cmocka_run_group_tests_name("pingshan", tests, NULL, NULL);
}
