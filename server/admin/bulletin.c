/* fengqiao-admin bulletin: the weekly or monthly bulletin (通报) for the
 * meetings (docs/upward.md, "The bulletin") — the period's figures per town
 * and per line as a printable HTML page (Chinese, A4), and as PDF printed by
 * headless Chromium. The figures are fq_meeting_stats's (migrations 0008,
 * 0011, 0020), the satisfaction the reporters' scores on the same cases
 * (fq_case_facts joined to their incidents): nothing is counted twice ways. */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: fengqiao-admin bulletin --from TIME --to TIME [--town TOWN] [--out FILE.html]\n"
    "                               [--pdf FILE.pdf]\n"
    "The bulletin (通报) of the cases received in [--from, --to) for the weekly or\n"
    "monthly meeting: per town and per line, received, concluded, concluded on time,\n"
    "overdue, escalated, the reporters' satisfaction, the cases pending for more than\n"
    "7 and 30 days, and a list of the longest pending; the reports upward of the\n"
    "period. The figures are those of 'stats' (docs/statistics.md). --town: one town's\n"
    "cases only. A printable HTML page (Chinese, A4) to --out, or to standard output\n"
    "without --out and --pdf; --pdf prints it to PDF with headless Chromium (chromium,\n"
    "or the program FQ_CHROMIUM names). TIME is anything PostgreSQL reads as a\n"
    "timestamp ('2026-11-23', '2026-11-23 08:00+08').\n";

/* How long Chromium may take to print the page. */
#define PRINT_TIMEOUT_S 120

/* ---- HTML ---- */

static void put_escaped(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static double num(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row, col), NULL);
}

/* "92.3%", or "—" when nothing to divide by. */
static void put_share(FILE *out, double part, double whole)
{
    if (whole <= 0)
        fputs("—", out);
    else
        fprintf(out, "%.1f%%", 100.0 * part / whole);
}

static const char style[] =
    "@page { size: A4; margin: 16mm 14mm 18mm; }\n"
    "body { font-family: 'Noto Serif CJK SC', 'Noto Sans CJK SC', 'Source Han Serif SC', serif;"
    " color: #000; margin: 0 auto; max-width: 182mm; font-size: 11pt; line-height: 1.6; }\n"
    "header { text-align: center; border-bottom: 2px solid #b00; padding-bottom: 4mm;"
    " margin-bottom: 5mm; }\n"
    "header .org { color: #b00; font-size: 20pt; font-weight: bold; letter-spacing: 0.15em; }\n"
    "h1 { font-size: 16pt; margin: 3mm 0 1mm; }\n"
    "header p { margin: 0; font-size: 10.5pt; }\n"
    "h2 { font-size: 13pt; margin: 6mm 0 2mm; }\n"
    "table { width: 100%; border-collapse: collapse; font-size: 9.5pt; page-break-inside: auto; }\n"
    "tr { page-break-inside: avoid; }\n"
    "thead { display: table-header-group; }\n"
    "th, td { border: 1px solid #444; padding: 1.2mm 1.5mm; text-align: right;"
    " white-space: nowrap; }\n"
    "th { background: #eee; text-align: center; font-weight: bold; white-space: normal; }\n"
    "td.name, td.text { text-align: left; }\n"
    "td.text { white-space: normal; }\n"
    "tr.total td { font-weight: bold; background: #f6f6f6; }\n"
    "p.summary { text-indent: 2em; }\n"
    "footer { margin-top: 8mm; font-size: 9pt; color: #333; border-top: 1px solid #999;"
    " padding-top: 2mm; }\n"
    "@media screen { body { padding: 10mm; background: #fff; } }\n";

/* Columns of FIGURES_SQL. */
enum {
    F_PART,
    F_GRP,
    F_NAME,
    F_RECEIVED,
    F_CONCLUDED,
    F_CONCLUDED_ON_TIME,
    F_OVERDUE,
    F_ESCALATED,
    F_PENDING_7D,
    F_PENDING_30D,
    F_RATED,
    F_SATISFACTION_MEAN,
    F_SATISFIED,
};

/* The figures of the period: fq_meeting_stats by town, by line and for the
 * whole (its 'district' grouping), each with the satisfaction of the same
 * cases grouped the way fq_meeting_stats groups them. $1 from, $2 to, $3 the
 * town (NULL: everywhere). */
static const char FIGURES_SQL[] =
    "WITH g AS ("
    " SELECT 'a_town' AS part, s.* FROM fq_meeting_stats($1::timestamptz, $2::timestamptz,"
    " 'town', $3) s"
    " UNION ALL SELECT 'b_line', s.* FROM fq_meeting_stats($1::timestamptz, $2::timestamptz,"
    " 'line', $3) s"
    " UNION ALL SELECT 'c_total', s.* FROM fq_meeting_stats($1::timestamptz, $2::timestamptz,"
    " 'district', $3) s),"
    " f AS (SELECT c.town, c.line, i.satisfaction FROM fq_case_facts($1::timestamptz,"
    " $2::timestamptz, $3) c JOIN incidents i ON i.id = c.id),"
    " sat AS ("
    " SELECT 'a_town' AS part, coalesce(town, '(district)') AS grp, count(satisfaction) AS rated,"
    " avg(satisfaction) AS mean, count(*) FILTER (WHERE satisfaction >= 4) AS satisfied"
    " FROM f GROUP BY 2"
    " UNION ALL SELECT 'b_line', coalesce((ARRAY['governance', 'market', 'enforcement',"
    " 'services'])[line + 1], '(none)'), count(satisfaction), avg(satisfaction),"
    " count(*) FILTER (WHERE satisfaction >= 4) FROM f GROUP BY 2"
    " UNION ALL SELECT 'c_total', 'district', count(satisfaction), avg(satisfaction),"
    " count(*) FILTER (WHERE satisfaction >= 4) FROM f)"
    " SELECT g.part, g.grp, CASE g.part"
    " WHEN 'a_town' THEN coalesce((SELECT name FROM org_units WHERE id = g.grp), "
    "'区级（未落街道）')"
    " WHEN 'b_line' THEN coalesce((ARRAY['综治工作', '市场监管', '综合执法', '便民服务'])"
    "[array_position(ARRAY['governance', 'market', 'enforcement', 'services'], g.grp)],"
    " '未分条线') ELSE '合计' END,"
    " g.received, g.concluded, g.concluded_on_time, g.overdue, g.escalated, g.pending_over_7d,"
    " g.pending_over_30d, coalesce(sat.rated, 0), round(sat.mean, 2), coalesce(sat.satisfied, 0)"
    " FROM g LEFT JOIN sat ON sat.part = g.part AND sat.grp = g.grp"
    " ORDER BY g.part, g.received DESC, g.grp";

/* The longest pending cases of the period (pending as fq_meeting_stats's
 * pending_over_7d counts them: not concluded, older than 7 days at the
 * period's end or now), oldest first, at most 20: id, title, category's
 * name, town's name, days pending, holder's name. */
static const char PENDING_SQL[] =
    "SELECT c.id, i.title, coalesce(k.name, i.category), coalesce(t.name, '区级'),"
    " floor(extract(epoch FROM least($2::timestamptz, now()) - c.received_at) / 86400)::int,"
    " coalesce(w.name, h.name, '—')"
    " FROM fq_case_facts($1::timestamptz, $2::timestamptz, $3) c JOIN incidents i ON i.id = c.id"
    " LEFT JOIN categories k ON k.code = i.category LEFT JOIN org_units t ON t.id = c.town"
    " LEFT JOIN workers w ON w.id = c.worker LEFT JOIN handlers h ON h.id = c.unit"
    " WHERE c.concluded_at IS NULL"
    " AND extract(epoch FROM least($2::timestamptz, now()) - c.received_at) > 7 * 86400"
    " ORDER BY c.received_at, c.id LIMIT 20";

/* The reports upward of the period's cases (migration 0030): incidents
 * reported, acknowledged, still pending. */
static const char UPWARD_SQL[] =
    "SELECT count(DISTINCT d.incident_id),"
    " count(DISTINCT d.incident_id) FILTER (WHERE d.acknowledged_at IS NOT NULL),"
    " count(*) FILTER (WHERE d.acknowledged_at IS NULL)"
    " FROM upward_deliveries d JOIN fq_case_facts($1::timestamptz, $2::timestamptz, $3) c"
    " ON c.id = d.incident_id";

static void put_figures_head(FILE *out, const char *first)
{
    fprintf(out,
            "<table>\n<thead><tr><th>%s</th><th>受理</th><th>办结</th><th>按时办结</th>"
            "<th>按时办结率</th><th>超期</th><th>升级</th><th>满意度<br>(1–5)</th>"
            "<th>满意率</th><th>超7天<br>未办结</th><th>超30天<br>未办结</th></tr></thead>\n"
            "<tbody>\n",
            first);
}

static void put_figures_row(FILE *out, const PGresult *res, int r, int total)
{
    fprintf(out, "<tr%s data-group=\"", total ? " class=\"total\"" : "");
    put_escaped(out, PQgetvalue(res, r, F_GRP));
    fputs("\"><td class=\"name\">", out);
    put_escaped(out, PQgetvalue(res, r, F_NAME));
    fputs("</td>", out);
    const int counts[] = {F_RECEIVED, F_CONCLUDED, F_CONCLUDED_ON_TIME};
    for (int k = 0; k < 3; k++)
        fprintf(out, "<td>%.0f</td>", num(res, r, counts[k]));
    fputs("<td>", out);
    put_share(out, num(res, r, F_CONCLUDED_ON_TIME), num(res, r, F_CONCLUDED));
    fprintf(out, "</td><td>%.0f</td><td>%.0f</td><td>", num(res, r, F_OVERDUE),
            num(res, r, F_ESCALATED));
    double rated = num(res, r, F_RATED);
    if (rated > 0)
        fprintf(out, "%.2f（%.0f件）", num(res, r, F_SATISFACTION_MEAN), rated);
    else
        fputs("—", out);
    fputs("</td><td>", out);
    put_share(out, num(res, r, F_SATISFIED), rated);
    fprintf(out, "</td><td>%.0f</td><td>%.0f</td></tr>\n", num(res, r, F_PENDING_7D),
            num(res, r, F_PENDING_30D));
}

static void put_figures(FILE *out, const PGresult *res, const char *part, const char *first)
{
    put_figures_head(out, first);
    int any = 0;
    for (int r = 0; r < PQntuples(res); r++)
        if (strcmp(PQgetvalue(res, r, F_PART), part) == 0) {
            put_figures_row(out, res, r, 0);
            any = 1;
        }
    for (int r = 0; r < PQntuples(res); r++)
        if (strcmp(PQgetvalue(res, r, F_PART), "c_total") == 0)
            put_figures_row(out, res, r, 1);
    if (!any)
        fputs("<tr><td class=\"text\" colspan=\"11\">本期无受理事项</td></tr>\n", out);
    fputs("</tbody>\n</table>\n", out);
}

typedef struct period {
    const char *from_text, *to_text; /* the dates people read, the last one inclusive */
    const char *kind;                /* 周报, 月报 or 通报 */
    const char *district, *generated, *place;
} period;

static void write_html(FILE *out, const period *p, const PGresult *figures, const PGresult *pending,
                       const PGresult *upward)
{
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
    put_escaped(out, p->place);
    fputs("社会治理工作", out);
    put_escaped(out, p->kind);
    fprintf(out, "（%s至%s）</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n",
            p->from_text, p->to_text, style);
    fputs("<div class=\"org\">", out);
    put_escaped(out, p->district);
    fputs("社会治理综合指挥中心</div>\n<h1>", out);
    put_escaped(out, p->place);
    fputs("社会治理工作", out);
    put_escaped(out, p->kind);
    fprintf(out,
            "</h1>\n<p>统计期间：<span id=\"period\">%s至%s</span>　　编制：%s</p>\n</header>\n",
            p->from_text, p->to_text, p->generated);
    int total = -1;
    for (int r = 0; r < PQntuples(figures); r++)
        if (strcmp(PQgetvalue(figures, r, F_PART), "c_total") == 0)
            total = r;
    fputs("<h2>一、总体情况</h2>\n<p class=\"summary\" id=\"summary\">", out);
    if (total < 0) {
        fputs("本期未受理事项。", out);
    } else {
        fprintf(out, "本期共受理事项 %.0f 件，已办结 %.0f 件，其中按时办结 %.0f 件，按时办结率 ",
                num(figures, total, F_RECEIVED), num(figures, total, F_CONCLUDED),
                num(figures, total, F_CONCLUDED_ON_TIME));
        put_share(out, num(figures, total, F_CONCLUDED_ON_TIME), num(figures, total, F_CONCLUDED));
        fprintf(
            out,
            "；超期 %.0f 件，逐级升级 %.0f 件；超过 7 天未办结 %.0f 件（其中超过 30 天 %.0f 件）。",
            num(figures, total, F_OVERDUE), num(figures, total, F_ESCALATED),
            num(figures, total, F_PENDING_7D), num(figures, total, F_PENDING_30D));
        double rated = num(figures, total, F_RATED);
        if (rated > 0) {
            fprintf(out, "回访评价 %.0f 件，平均满意度 %.2f 分，满意率 ", rated,
                    num(figures, total, F_SATISFACTION_MEAN));
            put_share(out, num(figures, total, F_SATISFIED), rated);
            fputs("。", out);
        } else {
            fputs("本期尚无回访评价。", out);
        }
    }
    fputs("</p>\n<h2>二、分街道情况</h2>\n", out);
    put_figures(out, figures, "a_town", "街道");
    fputs("<h2>三、分条线情况</h2>\n", out);
    put_figures(out, figures, "b_line", "条线");
    fputs("<h2>四、长期未办结事项</h2>\n", out);
    if (PQntuples(pending) == 0) {
        fputs("<p class=\"summary\">本期受理的事项中没有超过 7 天未办结的。</p>\n", out);
    } else {
        fputs("<table id=\"pending\">\n<thead><tr><th>编号</th><th>事项</th><th>类别</th>"
              "<th>街道</th><th>未办结天数</th><th>承办</th></tr></thead>\n<tbody>\n",
              out);
        for (int r = 0; r < PQntuples(pending); r++) {
            fprintf(out, "<tr><td>%s</td><td class=\"text\">", PQgetvalue(pending, r, 0));
            put_escaped(out, PQgetvalue(pending, r, 1));
            fputs("</td><td class=\"name\">", out);
            put_escaped(out, PQgetvalue(pending, r, 2));
            fputs("</td><td class=\"name\">", out);
            put_escaped(out, PQgetvalue(pending, r, 3));
            fprintf(out, "</td><td>%s</td><td class=\"name\">", PQgetvalue(pending, r, 4));
            put_escaped(out, PQgetvalue(pending, r, 5));
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody>\n</table>\n", out);
    }
    fputs("<h2>五、重大情况报告</h2>\n<p class=\"summary\" id=\"upward\">", out);
    if (upward != NULL && PQntuples(upward) == 1)
        fprintf(out, "本期向上级协同平台报告重大情况 %s 件，已获确认 %s 件，待确认报送 %s 次。",
                PQgetvalue(upward, 0, 0), PQgetvalue(upward, 0, 1), PQgetvalue(upward, 0, 2));
    fputs("</p>\n<footer>说明：统计对象为统计期间内受理的事项及其截至期末（或当前）的办理情况；"
          "按时办结指在办结时限内办结；超期指签收或办结超过时限；升级指因超时或退回逐级上移；"
          "满意度为回访时群众评价（1–5 分），满意率为评价 4 分及以上的比例。"
          "数据来源：fengqiao 事件历史（fq_meeting_stats）。</footer>\n</body>\n</html>\n",
          out);
}

/* ---- PDF ---- */

static const char *chromium_program(void)
{
    const char *env = getenv("FQ_CHROMIUM");
    if (env != NULL && env[0] != '\0')
        return env;
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome"};
    const char *path = getenv("PATH");
    static char found[4096];
    for (size_t i = 0; path != NULL && i < sizeof names / sizeof names[0]; i++) {
        const char *p = path;
        while (*p != '\0') {
            size_t n = strcspn(p, ":");
            if (n > 0 && n + strlen(names[i]) + 2 < sizeof found) {
                snprintf(found, sizeof found, "%.*s/%s", (int)n, p, names[i]);
                if (access(found, X_OK) == 0)
                    return found;
            }
            p += n;
            if (*p == ':')
                p++;
        }
    }
    return NULL;
}

/* Prints the HTML file to PDF with headless Chromium in a profile of its
 * own (a running browser's is not touched). 0, or 1 with a message. */
static int print_pdf(const char *html_path, const char *pdf_path)
{
    const char *program = chromium_program();
    if (program == NULL) {
        fprintf(stderr, "fengqiao-admin: --pdf needs Chromium (Debian: apt-get install chromium), "
                        "or FQ_CHROMIUM naming it\n");
        return 1;
    }
    char profile[] = "/tmp/fq-bulletin-XXXXXX";
    if (mkdtemp(profile) == NULL) {
        fprintf(stderr, "fengqiao-admin: a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    char abs_html[4096], url[4200], out_arg[4200], profile_arg[200];
    if (realpath(html_path, abs_html) == NULL) {
        fprintf(stderr, "fengqiao-admin: %s: %s\n", html_path, strerror(errno));
        rmdir(profile);
        return 1;
    }
    snprintf(url, sizeof url, "file://%s", abs_html);
    snprintf(out_arg, sizeof out_arg, "--print-to-pdf=%s", pdf_path);
    snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fengqiao-admin: fork: %s\n", strerror(errno));
        rmdir(profile);
        return 1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        /* --no-sandbox: Chromium's sandbox refuses to run as root (a CI
         * container); the page is our own file. */
        execl(program, program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", profile_arg,
              out_arg, url, (char *)NULL);
        _exit(127);
    }
    int status = 0, done = 0;
    for (int i = 0; i < PRINT_TIMEOUT_S * 10 && !done; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            done = 1;
        else
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    /* Chromium leaves its profile behind: removed with everything in it. */
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", profile);
    if (system(rm) != 0)
        fprintf(stderr, "fengqiao-admin: %s was not removed\n", profile);
    struct stat st;
    if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(pdf_path, &st) != 0 ||
        st.st_size == 0) {
        fprintf(stderr, "fengqiao-admin: %s could not print %s to PDF%s\n", program, html_path,
                done ? "" : " (it took too long)");
        return 1;
    }
    return 0;
}

/* ---- the command ---- */

int cmd_bulletin(const globals *g, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *town = NULL, *out_path = NULL, *pdf_path = NULL;
    opt_slot slots[] = {{"--from", &from, NULL},
                        {"--to", &to, NULL},
                        {"--town", &town, NULL},
                        {"--out", &out_path, NULL},
                        {"--pdf", &pdf_path, NULL}};
    const char *positional = NULL;
    int rv = admin_parse_options(argc, argv, 1, slots, 5, &positional, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (positional != NULL || from == NULL || to == NULL) {
        fprintf(stderr, "fengqiao-admin: bulletin needs --from and --to\n%s", help);
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *params[3] = {from, to, town};
    PGresult *head = PQexecParams(
        conn,
        "SELECT $1::timestamptz < $2::timestamptz,"
        " to_char($1::timestamptz, 'YYYY\"年\"FMMM\"月\"FMDD\"日\"'),"
        " to_char($2::timestamptz - interval '1 microsecond', 'YYYY\"年\"FMMM\"月\"FMDD\"日\"'),"
        " extract(epoch FROM $2::timestamptz - $1::timestamptz) / 86400,"
        " coalesce((SELECT name FROM org_units WHERE kind = 'district' ORDER BY id LIMIT 1), ''),"
        " to_char(now(), 'YYYY\"年\"FMMM\"月\"FMDD\"日\" HH24:MI'),"
        " (SELECT name FROM org_units WHERE id = $3 AND kind = 'town')",
        3, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, head)) {
        PQclear(head);
        PQfinish(conn);
        return 2; /* a time PostgreSQL cannot read: said above */
    }
    if (PQgetvalue(head, 0, 0)[0] != 't') {
        fprintf(stderr, "fengqiao-admin: --from must come before --to\n");
        PQclear(head);
        PQfinish(conn);
        return 2;
    }
    if (town != NULL && PQgetisnull(head, 0, 6)) {
        fprintf(stderr, "fengqiao-admin: --town %s: no such town in the topology\n", town);
        PQclear(head);
        PQfinish(conn);
        return 2;
    }
    double days = strtod(PQgetvalue(head, 0, 3), NULL);
    period p = {PQgetvalue(head, 0, 1),
                PQgetvalue(head, 0, 2),
                days >= 6.5 && days <= 7.5     ? "周报"
                : days >= 27.5 && days <= 31.5 ? "月报"
                                               : "通报",
                PQgetvalue(head, 0, 4),
                PQgetvalue(head, 0, 5),
                town != NULL ? PQgetvalue(head, 0, 6) : PQgetvalue(head, 0, 4)};
    PGresult *figures = PQexecParams(conn, FIGURES_SQL, 3, NULL, params, NULL, NULL, 0);
    PGresult *pending = admin_command_ok(conn, figures)
                            ? PQexecParams(conn, PENDING_SQL, 3, NULL, params, NULL, NULL, 0)
                            : NULL;
    PGresult *upward = pending != NULL && admin_command_ok(conn, pending)
                           ? PQexecParams(conn, UPWARD_SQL, 3, NULL, params, NULL, NULL, 0)
                           : NULL;
    int ok = upward != NULL && admin_command_ok(conn, upward);
    rv = ok ? 0 : 1;
    char tmp_html[] = "/tmp/fq-bulletin-XXXXXX.html";
    const char *html_path = out_path;
    if (ok && out_path == NULL && pdf_path != NULL) {
        int fd = mkstemps(tmp_html, 5);
        if (fd < 0) {
            fprintf(stderr, "fengqiao-admin: a temporary file: %s\n", strerror(errno));
            rv = 1;
        } else {
            close(fd);
            html_path = tmp_html;
        }
    }
    if (rv == 0) {
        FILE *out = html_path != NULL ? fopen(html_path, "w") : stdout;
        if (out == NULL) {
            fprintf(stderr, "fengqiao-admin: %s: %s\n", html_path, strerror(errno));
            rv = 1;
        } else {
            write_html(out, &p, figures, pending, upward);
            if (out != stdout && fclose(out) != 0) {
                fprintf(stderr, "fengqiao-admin: %s: %s\n", html_path, strerror(errno));
                rv = 1;
            } else if (out == stdout) {
                fflush(stdout);
            }
        }
    }
    if (rv == 0 && pdf_path != NULL)
        rv = print_pdf(html_path, pdf_path);
    if (html_path == tmp_html)
        unlink(tmp_html);
    PQclear(upward);
    PQclear(pending);
    PQclear(figures);
    PQclear(head);
    PQfinish(conn);
    return rv;
}
