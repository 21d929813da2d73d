/* fengqiao-admin outbox: what the terminals' outboxes hold, and their
 * retention (docs/terminals.md). */
#include "admin.h"
#include "duration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: fengqiao-admin outbox list\n"
    "       fengqiao-admin outbox prune --older-than DURATION [--dry-run]\n"
    "'list' shows each outbox (w:<worker>, h:<unit>) and each follow feed (u:<town or\n"
    "district>) with its items, newest sequence number and newest item's time. 'prune'\n"
    "deletes the outboxes' items older than DURATION (e.g. 30d) — they are the delivery\n"
    "history, the events stay — but always keeps each outbox's newest item, so its\n"
    "numbering goes on without reuse. A terminal that comes back from further behind than\n"
    "the oldest item kept gets what is kept, from there on. The follow feeds are the\n"
    "events themselves and are not pruned. --dry-run counts without deleting.\n";

int cmd_outbox(const globals *g, int argc, char **argv)
{
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") == 0) {
        static const char *const headers[] = {"OUTBOX", "ITEMS", "NEWEST SEQ", "NEWEST ITEM"};
        static const int widths[] = {40, 10, 12, 0};
        return admin_list(
            g, argc, argv, help,
            "SELECT box, count(*), max(seq), to_char(max(at), 'YYYY-MM-DD HH24:MI:SS')"
            " FROM (SELECT box, seq, at FROM outbox WHERE box NOT LIKE 'u:%'"
            " UNION ALL SELECT box, seq, at FROM feed_items) x GROUP BY box ORDER BY box",
            headers, widths, 4);
    }
    if (strcmp(action, "prune") != 0) {
        fprintf(stderr, "fengqiao-admin: unknown outbox command '%s'\n%s", action, help);
        return 2;
    }
    const char *older = NULL;
    int dry_run = 0;
    opt_slot slots[] = {{"--older-than", &older, NULL}, {"--dry-run", NULL, &dry_run}};
    int rv = admin_parse_options(argc, argv, 2, slots, 2, NULL, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    char err[160];
    uint32_t seconds;
    if (older == NULL || fq_duration_parse(older, 1, &seconds, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: outbox prune needs --older-than DURATION%s%s\n",
                older ? ": " : "", older ? err : "");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    char secs[16];
    snprintf(secs, sizeof secs, "%u", seconds);
    const char *params[1] = {secs};
    /* The newest item of every box stays: max(seq) + 1 keeps counting. */
    const char *sql = dry_run
                          ? "SELECT count(*) FROM outbox o WHERE o.at < now() - make_interval(secs"
                            " => $1::double precision) AND o.seq < (SELECT max(n.seq) FROM outbox"
                            " n WHERE n.box = o.box)"
                          : "WITH gone AS (DELETE FROM outbox o WHERE o.at < now() -"
                            " make_interval(secs => $1::double precision) AND o.seq < (SELECT"
                            " max(n.seq) FROM outbox n WHERE n.box = o.box) RETURNING 1)"
                            " SELECT count(*) FROM gone";
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok)
        printf("%s %s outbox items older than %s\n", PQgetvalue(res, 0, 0),
               dry_run ? "would be pruned:" : "pruned:", older);
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}
