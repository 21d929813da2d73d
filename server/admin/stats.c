/* fengqiao-admin stats: the meeting figures of a period (migration 0008,
 * fq_meeting_stats), as a table, CSV or JSON lines. */
#include "admin.h"
#include "rows_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: fengqiao-admin stats --from TIME --to TIME [--by town|line|unit|worker|district]\n"
    "                            [--csv | --json]\n"
    "The meeting figures of the cases received in [--from, --to), and what happened to\n"
    "them before --to: received, acknowledged (on time), concluded (on time), overdue,\n"
    "returned, redone, escalated, the share concluded at village level, mean and p90\n"
    "seconds to acknowledge and to conclude (the table: p90 in minutes), cases still\n"
    "pending after 1, 3, 7 and 30 days. TIME is anything PostgreSQL reads as a\n"
    "timestamp ('2026-11-23', '2026-11-23 08:00+08', 'now'). --by groups the rows\n"
    "(default town). docs/statistics.md defines each figure.\n";

static void print_table(const PGresult *res)
{
    /* The figures people read first; the rest are in --csv and --json. */
    printf("%-28s %8s %8s %8s %8s %8s %7s %7s %7s %7s %8s %11s %13s\n", "GROUP", "RECEIVED",
           "ACKED", "ON TIME", "CONCLUD", "ON TIME", "OVERDUE", "RETURN", "REDONE", "ESCAL",
           "VILLAGE", "ACK P90 min", "CONCL P90 min");
    for (int r = 0; r < PQntuples(res); r++) {
        const char *share = PQgetvalue(res, r, 10);
        char share_text[16] = "-";
        if (share[0])
            snprintf(share_text, sizeof share_text, "%.0f%%", 100.0 * strtod(share, NULL));
        char ack[16] = "-", con[16] = "-";
        if (PQgetvalue(res, r, 12)[0])
            snprintf(ack, sizeof ack, "%.1f", strtod(PQgetvalue(res, r, 12), NULL) / 60.0);
        if (PQgetvalue(res, r, 14)[0])
            snprintf(con, sizeof con, "%.1f", strtod(PQgetvalue(res, r, 14), NULL) / 60.0);
        printf("%-28s %8s %8s %8s %8s %8s %7s %7s %7s %7s %8s %11s %13s\n", PQgetvalue(res, r, 0),
               PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
               PQgetvalue(res, r, 4), PQgetvalue(res, r, 5), PQgetvalue(res, r, 6),
               PQgetvalue(res, r, 7), PQgetvalue(res, r, 8), PQgetvalue(res, r, 9), share_text, ack,
               con);
    }
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
    if (strcmp(by, "town") != 0 && strcmp(by, "line") != 0 && strcmp(by, "unit") != 0 &&
        strcmp(by, "worker") != 0 && strcmp(by, "district") != 0) {
        fprintf(stderr, "fengqiao-admin: --by is town, line, unit, worker or district\n");
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
    if (want_json) {
        res = PQexecParams(conn,
                           "SELECT row_to_json(s)::text FROM fq_meeting_stats($1::timestamptz,"
                           " $2::timestamptz, $3) s",
                           3, NULL, params, NULL, NULL, 0);
    } else {
        res = PQexecParams(conn,
                           "SELECT * FROM fq_meeting_stats($1::timestamptz, $2::timestamptz, $3)",
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
    else if (want_csv) {
        char *csv = fq_rows_csv(res, "group");
        if (csv == NULL) {
            fprintf(stderr, "fengqiao-admin: out of memory\n");
            PQclear(res);
            PQfinish(conn);
            return 1;
        }
        fputs(csv, stdout);
        free(csv);
    } else
        print_table(res);
    PQclear(res);
    PQfinish(conn);
    return 0;
}
