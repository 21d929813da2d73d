/* fengqiao-admin rules and worker commands: the routing rule sets (read
 * only: a change is an import, docs/topology.md) and grid workers' duty. */
#include "admin.h"
#include "admin_options.h"
#include "duration.h"
#include "statements.h"

#include <stdlib.h>
#include <string.h>

/* ---- rules ---- */

#define RULE_COLS 12

/* TIME: natural, or working (the limits count working days and working time
 * on the district's calendar, docs/calendar.md). */
static const char *const rule_headers[RULE_COLS] = {
    "ID", "CATEGORY", "SEVERITY", "RISK",     "TIER",          "LINE",
    "CO", "ACK",      "ACK_WARN", "CONCLUDE", "CONCLUDE_WARN", "TIME"};

/* The text of cell (row, col) of the rules query. */
static void rule_cell(PGresult *res, int row, int col, char *out, size_t len)
{
    static const char *const severities[] = {"any", "I", "II", "III", "IV"};
    static const char *const risks[] = {"any", "low", "medium", "high"};
    const char *v = PQgetvalue(res, row, col);
    switch (col) {
    case 2:
    case 3: {
        int n = atoi(v);
        int max = col == 2 ? 4 : 3;
        snprintf(out, len, "%s", n >= 0 && n <= max ? (col == 2 ? severities[n] : risks[n]) : "?");
        break;
    }
    case 7:
    case 8:
    case 9:
    case 10:
        fq_duration_format((uint32_t)strtoul(v, NULL, 10), out, len);
        break;
    default:
        snprintf(out, len, "%s", v[0] ? v : "-");
    }
}

static int rules_list(const globals *g)
{
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    PGresult *set = PQexec(conn, "SELECT version, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'),"
                                 " created_by, note FROM rule_sets WHERE active");
    if (!admin_command_ok(conn, set)) {
        PQclear(set);
        PQfinish(conn);
        return 1;
    }
    if (PQntuples(set) == 0) {
        printf("no active rule set: the built-in principle routes every incident\n"
               "(severity I/II or high risk: district, joint operation; severity III or medium\n"
               "risk: town; otherwise: village; see docs/topology.md)\n");
        PQclear(set);
        PQfinish(conn);
        return 0;
    }
    printf("active rule set: version %s, created %s by %s%s%s\n", PQgetvalue(set, 0, 0),
           PQgetvalue(set, 0, 1), PQgetvalue(set, 0, 2), PQgetvalue(set, 0, 3)[0] ? ": " : "",
           PQgetvalue(set, 0, 3));
    const char *params[1] = {PQgetvalue(set, 0, 0)};
    PGresult *res = PQexecParams(
        conn,
        "SELECT id, coalesce(category, 'any'), severity, risk, tier, coalesce(line, 'default'),"
        " array_to_string(co_departments, ','), ack_s, ack_warn_s, conclude_s, conclude_warn_s,"
        " time_basis FROM rules WHERE rule_set = $1::integer"
        " ORDER BY category NULLS FIRST, severity, risk",
        1, NULL, params, NULL, NULL, 0);
    PQclear(set);
    int ok = admin_command_ok(conn, res);
    if (ok) {
        int widths[RULE_COLS];
        char cell[128];
        for (int c = 0; c < RULE_COLS; c++)
            widths[c] = (int)strlen(rule_headers[c]);
        for (int r = 0; r < PQntuples(res); r++)
            for (int c = 0; c < RULE_COLS; c++) {
                rule_cell(res, r, c, cell, sizeof cell);
                if ((int)strlen(cell) > widths[c])
                    widths[c] = (int)strlen(cell);
            }
        for (int r = -1; r < PQntuples(res); r++)
            for (int c = 0; c < RULE_COLS; c++) {
                if (r < 0)
                    snprintf(cell, sizeof cell, "%s", rule_headers[c]);
                else
                    rule_cell(res, r, c, cell, sizeof cell);
                if (c + 1 < RULE_COLS)
                    printf("%-*s ", widths[c], cell);
                else
                    printf("%s\n", cell);
            }
        printf("(%d rule%s; cells no rule covers follow the built-in principle)\n", PQntuples(res),
               PQntuples(res) == 1 ? "" : "s");
    }
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

int cmd_rules(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin rules list\n"
        "       fengqiao-admin rules history\n"
        "'list' shows the active rule set and its rules; 'history' every version, when and by\n"
        "whom it was created, and why. Rule sets are never edited: a change is a new version,\n"
        "made by fengqiao-admin import-topology with a file that has \"rules\" (to roll back,\n"
        "import the old rules again). See docs/topology.md for how rules match.\n";
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") != 0 && strcmp(action, "history") != 0) {
        fprintf(stderr, "fengqiao-admin: unknown rules command '%s'\n%s", action, help);
        return 2;
    }
    if (strcmp(action, "list") == 0) {
        int rv = admin_parse_options(argc, argv, 2, NULL, 0, NULL, help);
        if (rv != 0)
            return rv < 0 ? 2 : 0;
        return rules_list(g);
    }
    static const char *const headers[] = {"VERSION", "CREATED", "RETIRED", "BY", "RULES", "NOTE"};
    static const int widths[] = {7, 19, 19, 16, 5, 0};
    return admin_list(g, argc, argv, help,
                      "SELECT version, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'),"
                      " CASE WHEN active THEN 'active' ELSE"
                      " to_char(retired_at, 'YYYY-MM-DD HH24:MI:SS') END, created_by,"
                      " (SELECT count(*) FROM rules WHERE rule_set = version), note"
                      " FROM rule_sets ORDER BY version",
                      headers, widths, 6);
}

/* ---- workers ---- */

int cmd_worker(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin worker duty ID on|off\n"
        "       fengqiao-admin worker list\n"
        "'duty' puts a grid worker on or off duty; a running server stops (or starts) giving\n"
        "the worker new assignments within a second. Workers themselves come from\n"
        "fengqiao-admin import-topology.\n";
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") == 0) {
        static const char *const headers[] = {"ID", "GRID", "DUTY", "CAPACITY", "NAME"};
        static const int widths[] = {24, 24, 4, 8, 0};
        return admin_list(g, argc, argv, help,
                          "SELECT id, grid, CASE WHEN on_duty THEN 'on' ELSE 'off' END,"
                          " capacity, name FROM workers ORDER BY grid, id",
                          headers, widths, 5);
    }
    if (strcmp(action, "duty") != 0) {
        fprintf(stderr, "fengqiao-admin: unknown worker command '%s'\n%s", action, help);
        return 2;
    }
    const char *operand[2] = {NULL, NULL}; /* ID, on|off */
    int rv = admin_parse_operands(argc, argv, 2, NULL, 0, operand, 2, help);
    if (rv != 0)
        return rv > 0 ? 0 : 2;
    if (operand[1] == NULL || (strcmp(operand[1], "on") != 0 && strcmp(operand[1], "off") != 0)) {
        fprintf(stderr, "fengqiao-admin: worker duty needs ID and on or off\n%s", help);
        return 2;
    }
    const char *id = operand[0], *duty = operand[1];
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *params[2] = {id, strcmp(duty, "on") == 0 ? "true" : "false"};
    PGresult *res = PQexecParams(conn, "UPDATE workers SET on_duty = $2::boolean WHERE id = $1", 2,
                                 NULL, params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok && strcmp(PQcmdTuples(res), "1") != 0) {
        fprintf(stderr, "fengqiao-admin: no worker %s\n", id);
        ok = 0;
    }
    PQclear(res);
    if (ok) {
        admin_notify_server(conn);
        printf("worker %s %s duty\n", id, duty);
    }
    PQfinish(conn);
    return ok ? 0 : 1;
}
