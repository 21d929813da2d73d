/* fengqiao-admin stats: the meeting figures of a period (migration 0008,
 * fq_meeting_stats), as a table, CSV or JSON lines. */
#include "admin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: fengqiao-admin stats --from TIME --to TIME [--by town|line|unit|worker|district|\n"
    "                            mediation-town|mediation-committee|mediation-mediator]\n"
    "                            [--csv | --json]\n"
    "The meeting figures of the cases received in [--from, --to), and what happened to\n"
    "them before --to: received, acknowledged (on time), concluded (on time), overdue,\n"
    "returned, redone, escalated, the share concluded at village level, mean and p90\n"
    "seconds to acknowledge and to conclude, cases still pending after 1, 3, 7 and 30\n"
    "days, cases suspended (中止) and still suspended, and the mean time suspended.\n"
    "TIME is anything PostgreSQL reads as a timestamp ('2026-11-23',\n"
    "'2026-11-23 08:00+08', 'now'). --by groups the rows (default town).\n"
    "The table (without --csv or --json) has two parts, each with a title and a TOTAL\n"
    "row: the cases, and their times and backlog, durations in hours (h) with one\n"
    "decimal, shares in percent; groups by id and name. docs/statistics.md defines each\n"
    "figure and how the totals are made.\n"
    "--by mediation-town|mediation-committee|mediation-mediator: the mediations opened\n"
    "in the period instead (docs/mediation.md): opened, ended, agreed, failed, still\n"
    "open, overdue, and the success (agreed / ended) by town, committee or mediator.\n";

/* Columns of fq_meeting_stats (migrations 0011, 0020), then the group's name. */
enum {
    GRP,
    RECEIVED,
    ACKED,
    ACKED_ON_TIME,
    CONCLUDED,
    CONCLUDED_ON_TIME,
    OVERDUE,
    RETURNED,
    REDONE,
    ESCALATED,
    VILLAGE_SHARE,
    ACK_MEAN,
    ACK_P90,
    CONCLUDE_MEAN,
    CONCLUDE_P90,
    PENDING_1D,
    PENDING_3D,
    PENDING_7D,
    PENDING_30D,
    SUSPENDED,
    SUSPENDED_NOW,
    SUSPENDED_MEAN,
    NAME,
    N_COLUMNS
};

/* Columns a terminal shows a CJK character in: 2 for the wide ranges (the
 * names are Chinese), 1 otherwise; bytes that are not UTF-8 count 1 each. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp = *p;
        int len = 1;
        if (*p >= 0xf0 && p[1] && p[2] && p[3]) {
            cp = ((uint32_t)(p[0] & 7) << 18) | ((uint32_t)(p[1] & 63) << 12) |
                 ((uint32_t)(p[2] & 63) << 6) | (p[3] & 63);
            len = 4;
        } else if (*p >= 0xe0 && p[1] && p[2]) {
            cp = ((uint32_t)(p[0] & 15) << 12) | ((uint32_t)(p[1] & 63) << 6) | (p[2] & 63);
            len = 3;
        } else if (*p >= 0xc0 && p[1]) {
            cp = ((uint32_t)(p[0] & 31) << 6) | (p[1] & 63);
            len = 2;
        }
        int wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                   (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                   (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                   (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        w += wide ? 2 : 1;
        p += len;
    }
    return w;
}

/* s, then spaces up to `width` display columns. */
static void print_padded(const char *s, size_t width)
{
    fputs(s, stdout);
    for (size_t w = display_width(s); w < width; w++)
        putchar(' ');
}

static double number(const PGresult *res, int row, int col)
{
    return strtod(PQgetvalue(res, row, col), NULL);
}

/* Seconds as hours with one decimal; '-' when there is no figure. */
static void hours(char *buf, size_t len, int has, double seconds)
{
    if (has)
        snprintf(buf, len, "%.1f", seconds / 3600.0);
    else
        snprintf(buf, len, "-");
}

static void percent(char *buf, size_t len, int has, double share)
{
    if (has)
        snprintf(buf, len, "%.0f%%", 100.0 * share);
    else
        snprintf(buf, len, "-");
}

/* The two tables (help, docs/statistics.md "The table"). `whole`: the
 * by-district row of the same period, whose p90s are the TOTAL row's when
 * the groups cover every case (not by worker: only village-tier cases have
 * a worker); NULL otherwise. */
static void print_table(const PGresult *res, const PGresult *whole, const char *by,
                        const char *from, const char *to)
{
    int rows = PQntuples(res);
    size_t gw = strlen("GROUP"), nw = strlen("NAME");
    for (int r = 0; r < rows; r++) {
        size_t a = display_width(PQgetvalue(res, r, GRP)),
               b = display_width(PQgetvalue(res, r, NAME));
        gw = a > gw ? a : gw;
        nw = b > nw ? b : nw;
    }
    /* The TOTAL row: counts summed; the village share from the village
     * counts (share x concluded); means weighted by their counts
     * (acknowledged, concluded); never an average of averages. */
    double sum[N_COLUMNS] = {0}, village = 0, ack_time = 0, conclude_time = 0, suspended_time = 0;
    for (int r = 0; r < rows; r++) {
        for (int c = RECEIVED; c <= ESCALATED; c++)
            sum[c] += number(res, r, c);
        for (int c = SUSPENDED; c <= SUSPENDED_NOW; c++)
            sum[c] += number(res, r, c);
        suspended_time += number(res, r, SUSPENDED_MEAN) * number(res, r, SUSPENDED);
        for (int c = PENDING_1D; c <= PENDING_30D; c++)
            sum[c] += number(res, r, c);
        village += number(res, r, VILLAGE_SHARE) * number(res, r, CONCLUDED);
        ack_time += number(res, r, ACK_MEAN) * number(res, r, ACKED);
        conclude_time += number(res, r, CONCLUDE_MEAN) * number(res, r, CONCLUDED);
    }

    printf("Cases received from %s to %s, by %s (what happened to them before the end)\n", from, to,
           by);
    static const char *const count_heads[] = {
        "RECEIVED", "ACKED",  "ACKED ON TIME", "CONCLUDED", "CONCL ON TIME", "OVERDUE",
        "RETURNED", "REDONE", "ESCALATED",     "SUSPENDED", "SUSP NOW"};
    /* The columns of count_heads, in its order. */
    static const int count_cols[] = {RECEIVED,          ACKED,     ACKED_ON_TIME, CONCLUDED,
                                     CONCLUDED_ON_TIME, OVERDUE,   RETURNED,      REDONE,
                                     ESCALATED,         SUSPENDED, SUSPENDED_NOW};
    print_padded("GROUP", gw + 2);
    print_padded("NAME", nw + 2);
    for (size_t k = 0; k < sizeof count_heads / sizeof count_heads[0]; k++)
        printf("%*s%s", k ? 2 : 0, "", count_heads[k]);
    putchar('\n');
    for (int r = 0; r <= rows; r++) {
        print_padded(r < rows ? PQgetvalue(res, r, GRP) : "TOTAL", gw + 2);
        print_padded(r < rows ? PQgetvalue(res, r, NAME) : "", nw + 2);
        for (size_t k = 0; k < sizeof count_cols / sizeof count_cols[0]; k++) {
            char v[24];
            int c = count_cols[k];
            snprintf(v, sizeof v, "%.0f", r < rows ? number(res, r, c) : sum[c]);
            printf("%*s%*s", k ? 2 : 0, "", (int)strlen(count_heads[k]), v);
        }
        putchar('\n');
    }

    printf("\nTimes and backlog of the same cases, by %s (hours, h; shares in percent)\n", by);
    static const char *const time_heads[] = {
        "VILLAGE %", "ACK MEAN h", "ACK P90 h", "CONCL MEAN h", "CONCL P90 h",
        "OPEN >1d",  "OPEN >3d",   "OPEN >7d",  "OPEN >30d",    "SUSP MEAN h"};
    print_padded("GROUP", gw + 2);
    print_padded("NAME", nw + 2);
    for (size_t k = 0; k < sizeof time_heads / sizeof time_heads[0]; k++)
        printf("%*s%s", k ? 2 : 0, "", time_heads[k]);
    putchar('\n');
    for (int r = 0; r <= rows; r++) {
        char v[10][24];
        if (r < rows) {
            percent(v[0], sizeof v[0], PQgetvalue(res, r, VILLAGE_SHARE)[0] != '\0',
                    number(res, r, VILLAGE_SHARE));
            hours(v[1], sizeof v[1], PQgetvalue(res, r, ACK_MEAN)[0] != '\0',
                  number(res, r, ACK_MEAN));
            hours(v[2], sizeof v[2], PQgetvalue(res, r, ACK_P90)[0] != '\0',
                  number(res, r, ACK_P90));
            hours(v[3], sizeof v[3], PQgetvalue(res, r, CONCLUDE_MEAN)[0] != '\0',
                  number(res, r, CONCLUDE_MEAN));
            hours(v[4], sizeof v[4], PQgetvalue(res, r, CONCLUDE_P90)[0] != '\0',
                  number(res, r, CONCLUDE_P90));
            for (int k = 0; k < 4; k++)
                snprintf(v[5 + k], sizeof v[5 + k], "%s", PQgetvalue(res, r, PENDING_1D + k));
            hours(v[9], sizeof v[9], PQgetvalue(res, r, SUSPENDED_MEAN)[0] != '\0',
                  number(res, r, SUSPENDED_MEAN));
        } else {
            int has_whole = whole != NULL && PQntuples(whole) == 1;
            percent(v[0], sizeof v[0], sum[CONCLUDED] > 0, village / sum[CONCLUDED]);
            hours(v[1], sizeof v[1], sum[ACKED] > 0, ack_time / sum[ACKED]);
            hours(v[2], sizeof v[2], has_whole && PQgetvalue(whole, 0, ACK_P90)[0] != '\0',
                  has_whole ? number(whole, 0, ACK_P90) : 0);
            hours(v[3], sizeof v[3], sum[CONCLUDED] > 0, conclude_time / sum[CONCLUDED]);
            hours(v[4], sizeof v[4], has_whole && PQgetvalue(whole, 0, CONCLUDE_P90)[0] != '\0',
                  has_whole ? number(whole, 0, CONCLUDE_P90) : 0);
            for (int k = 0; k < 4; k++)
                snprintf(v[5 + k], sizeof v[5 + k], "%.0f", sum[PENDING_1D + k]);
            hours(v[9], sizeof v[9], sum[SUSPENDED] > 0, suspended_time / sum[SUSPENDED]);
        }
        print_padded(r < rows ? PQgetvalue(res, r, GRP) : "TOTAL", gw + 2);
        print_padded(r < rows ? PQgetvalue(res, r, NAME) : "", nw + 2);
        for (int k = 0; k < 10; k++)
            printf("%*s%*s", k ? 2 : 0, "", (int)strlen(time_heads[k]), v[k]);
        putchar('\n');
    }
}

/* Runs `select` (with $1 from, $2 to, $3 by: COPY takes no parameters, so
 * they are put in as quoted literals) under COPY ... TO STDOUT in CSV with a
 * header, and writes what PostgreSQL sends to stdout as it comes: the
 * server's own CSV, no rows held here. 0, or 1 (said on stderr). */
static int copy_csv(PGconn *conn, const char *select, const char *const params[3])
{
    char *literal[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
        if ((literal[i] = PQescapeLiteral(conn, params[i], strlen(params[i]))) == NULL) {
            fprintf(stderr, "fengqiao-admin: %s", PQerrorMessage(conn));
            for (int k = 0; k < i; k++)
                PQfreemem(literal[k]);
            return 1;
        }
    size_t len = strlen(select) + strlen(literal[0]) + strlen(literal[1]) + strlen(literal[2]) + 64;
    char *sql = malloc(len);
    if (sql == NULL) {
        for (int i = 0; i < 3; i++)
            PQfreemem(literal[i]);
        fprintf(stderr, "fengqiao-admin: out of memory\n");
        return 1;
    }
    /* The select names its parameters $1, $2, $3, each once, in order. */
    size_t n = (size_t)snprintf(sql, len, "COPY (");
    for (const char *p = select; *p; p++) {
        if (p[0] == '$' && p[1] >= '1' && p[1] <= '3') {
            n += (size_t)snprintf(sql + n, len - n, "%s", literal[p[1] - '1']);
            p++;
        } else if (n + 1 < len) {
            sql[n++] = *p;
            sql[n] = '\0';
        }
    }
    snprintf(sql + n, len - n, ") TO STDOUT WITH (FORMAT csv, HEADER)");
    for (int i = 0; i < 3; i++)
        PQfreemem(literal[i]);
    PGresult *res = PQexec(conn, sql);
    free(sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        admin_command_ok(conn, res);
        PQclear(res);
        return 1;
    }
    PQclear(res);
    char *buf;
    int got;
    while ((got = PQgetCopyData(conn, &buf, 0)) > 0) {
        fwrite(buf, 1, (size_t)got, stdout);
        PQfreemem(buf);
    }
    int rv = 0;
    if (got == -2) {
        fprintf(stderr, "fengqiao-admin: %s", PQerrorMessage(conn));
        rv = 1;
    }
    /* The COPY's own result: its error, if it failed on the way. */
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !admin_command_ok(conn, res))
            rv = 1;
        PQclear(res);
    }
    return rv;
}

/* Mediation success (migration 0028, fq_mediation_stats): `by` is town,
 * committee or mediator. */
static int mediation_stats(PGconn *conn, const char *const params[3], int want_csv, int want_json)
{
    if (want_csv)
        return copy_csv(conn,
                        "SELECT grp AS \"group\", name, opened, ended, agreed, failed, open_now,"
                        " overdue, success FROM fq_mediation_stats($1::timestamptz,"
                        " $2::timestamptz, $3, NULL)",
                        params);
    PGresult *res = PQexecParams(
        conn,
        want_json ? "SELECT row_to_json(s)::text FROM fq_mediation_stats($1::timestamptz,"
                    " $2::timestamptz, $3, NULL) s"
                  : "SELECT grp, name, opened, ended, agreed, failed, open_now, overdue, success"
                    " FROM fq_mediation_stats($1::timestamptz, $2::timestamptz, $3, NULL)",
        3, NULL, params, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        return 1;
    }
    int rows = PQntuples(res);
    if (want_json) {
        for (int r = 0; r < rows; r++)
            printf("%s\n", PQgetvalue(res, r, 0));
    } else {
        static const char *const heads[] = {"opened", "ended",   "agreed", "failed",
                                            "open",   "overdue", "success"};
        size_t gw = 5, nw = 4;
        for (int r = 0; r < rows; r++) {
            size_t w = display_width(PQgetvalue(res, r, 0));
            gw = w > gw ? w : gw;
            w = display_width(PQgetvalue(res, r, 1));
            nw = w > nw ? w : nw;
        }
        printf("调解成功率 mediation by %s, %s .. %s\n", params[2], params[0], params[1]);
        print_padded("group", gw + 2);
        print_padded("name", nw + 2);
        for (int k = 0; k < 7; k++)
            printf("%s%s", k ? "  " : "", heads[k]);
        putchar('\n');
        for (int r = 0; r < rows; r++) {
            print_padded(PQgetvalue(res, r, 0)[0] ? PQgetvalue(res, r, 0) : "-", gw + 2);
            print_padded(PQgetvalue(res, r, 1), nw + 2);
            for (int k = 0; k < 6; k++)
                printf("%s%*s", k ? "  " : "", (int)strlen(heads[k]), PQgetvalue(res, r, 2 + k));
            char share[16];
            percent(share, sizeof share, !PQgetisnull(res, r, 8), number(res, r, 8));
            printf("  %*s\n", (int)strlen(heads[6]), share);
        }
    }
    PQclear(res);
    return 0;
}

int cmd_stats(const globals *g, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *by = "town";
    int want_csv = 0, want_json = 0;
    opt_slot slots[] = {{"--from", &from, NULL},
                        {"--to", &to, NULL},
                        {"--by", &by, NULL},
                        {"--csv", NULL, &want_csv},
                        {"--json", NULL, &want_json}};
    const char *positional = NULL;
    int rv = admin_parse_options(argc, argv, 1, slots, 5, &positional, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (positional != NULL || from == NULL || to == NULL || (want_csv && want_json)) {
        fprintf(stderr,
                "fengqiao-admin: stats needs --from and --to (and at most one of --csv, "
                "--json)\n%s",
                help);
        return 2;
    }
    const char *mediation_by = strncmp(by, "mediation-", 10) == 0 ? by + 10 : NULL;
    if (mediation_by != NULL && strcmp(mediation_by, "town") != 0 &&
        strcmp(mediation_by, "committee") != 0 && strcmp(mediation_by, "mediator") != 0)
        mediation_by = NULL, by = "";
    if (mediation_by == NULL && strcmp(by, "town") != 0 && strcmp(by, "line") != 0 &&
        strcmp(by, "unit") != 0 && strcmp(by, "worker") != 0 && strcmp(by, "district") != 0) {
        fprintf(stderr, "fengqiao-admin: --by is town, line, unit, worker, district,\n"
                        "mediation-town, mediation-committee or mediation-mediator\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *params[3] = {from, to, by};
    PGresult *res = PQexecParams(conn, "SELECT $1::timestamptz < $2::timestamptz", 2, NULL, params,
                                 NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        PQfinish(conn);
        return 2; /* a time PostgreSQL cannot read: said above */
    }
    int ordered = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!ordered) {
        fprintf(stderr, "fengqiao-admin: --from must come before --to\n");
        PQfinish(conn);
        return 2;
    }
    if (mediation_by != NULL) {
        const char *mparams[3] = {from, to, mediation_by};
        rv = mediation_stats(conn, mparams, want_csv, want_json);
        PQfinish(conn);
        return rv;
    }
    if (want_json) {
        res = PQexecParams(conn,
                           "SELECT row_to_json(s)::text FROM fq_meeting_stats($1::timestamptz,"
                           " $2::timestamptz, $3) s",
                           3, NULL, params, NULL, NULL, 0);
    } else if (want_csv) {
        /* The first column's alias names it "group" (the function's grp). */
        rv = copy_csv(conn,
                      "SELECT * FROM fq_meeting_stats($1::timestamptz, $2::timestamptz, $3)"
                      " AS s(\"group\")",
                      params);
        PQfinish(conn);
        return rv;
    } else {
        /* The table names the groups: the topology's names of towns,
         * districts, units and workers; the lines' own. */
        res = PQexecParams(
            conn,
            "SELECT s.*, coalesce(CASE $3 WHEN 'town' THEN (SELECT name FROM org_units"
            " WHERE id = s.grp) WHEN 'unit' THEN (SELECT name FROM handlers WHERE id = s.grp)"
            " WHEN 'worker' THEN (SELECT name FROM workers WHERE id = s.grp)"
            " WHEN 'line' THEN (ARRAY['综治工作', '市场监管', '综合执法', '便民服务'])"
            "[array_position(ARRAY['governance', 'market', 'enforcement', 'services'], s.grp)]"
            " ELSE '' END, '') FROM fq_meeting_stats($1::timestamptz, $2::timestamptz, $3) s"
            " ORDER BY s.grp",
            3, NULL, params, NULL, NULL, 0);
    }
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    if (want_json)
        for (int r = 0; r < PQntuples(res); r++)
            printf("%s\n", PQgetvalue(res, r, 0));
    else {
        PGresult *whole = NULL, *period = NULL;
        if (strcmp(by, "worker") != 0)
            whole = PQexecParams(
                conn,
                "SELECT * FROM fq_meeting_stats($1::timestamptz, $2::timestamptz, 'district')", 2,
                NULL, params, NULL, NULL, 0);
        period = PQexecParams(conn,
                              "SELECT to_char($1::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZH:TZM'),"
                              " to_char($2::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZH:TZM')",
                              2, NULL, params, NULL, NULL, 0);
        int ok = PQresultStatus(period) == PGRES_TUPLES_OK &&
                 (whole == NULL || PQresultStatus(whole) == PGRES_TUPLES_OK);
        if (ok)
            print_table(res, whole, by, PQgetvalue(period, 0, 0), PQgetvalue(period, 0, 1));
        else
            fprintf(stderr, "fengqiao-admin: %s", PQerrorMessage(conn));
        PQclear(whole);
        PQclear(period);
        if (!ok) {
            PQclear(res);
            PQfinish(conn);
            return 1;
        }
    }
    PQclear(res);
    PQfinish(conn);
    return 0;
}
