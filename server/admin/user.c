/* fengqiao-admin user: the people who use the web console and the phone page
 * (migrations/0016 and 0025, docs/operations.md "Web console accounts").
 * Each account acts as a node of its own, 'p.<account>' — a console node, or
 * for a worker account a terminal node serving its worker or unit — whose
 * key is random, sealed with the server key like every node's, and never
 * shown: the account cannot be used over nanomsg. */
#include "admin.h"
#include "keyseal.h"
#include "password.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char help[] =
    "usage: fengqiao-admin user add NAME --role operator|supervisor|viewer|receptionist\n"
    "                               --jurisdiction UNIT\n"
    "                               [--display-name TEXT]\n"
    "       fengqiao-admin user add NAME --role worker (--serves-worker W | --serves-unit H)\n"
    "                               [--display-name TEXT]\n"
    "       fengqiao-admin user passwd NAME\n"
    "       fengqiao-admin user disable NAME\n"
    "       fengqiao-admin user list\n"
    "A person's account for the web console. NAME is 1-40 characters of a-z 0-9 . _ -\n"
    "(starting with a letter or digit). The password (at least 10 characters) is read\n"
    "from the terminal without echo, twice, or from standard input's first line when it\n"
    "is not a terminal; it is stored as Argon2id (libsodium crypto_pwhash_str).\n"
    "'add' also makes the account's console node p.NAME with the jurisdiction UNIT (a\n"
    "town operator: the town): the person sees and commands what a console node there\n"
    "would. operator gives every command but supervision orders, supervisor every\n"
    "command, viewer none; a receptionist reads like a viewer and registers cases at the\n"
    "front desk (docs/front-desk.md). A worker account (a grid worker or a unit's duty officer on\n"
    "the phone page, /phone/) gets the terminal node p.NAME serving the worker W or the\n"
    "handling unit H instead, its jurisdiction the worker's grid or the unit's\n"
    "territory: it sees and does what a terminal of W or H would.\n"
    "'disable' revokes the node and ends the account's sessions;\n"
    "a running server applies both within a second.\n";

/* One line of password: from the terminal without echo, or stdin. NULL on
 * end of input. The caller zeroes and frees it. */
static char *read_password(const char *prompt)
{
    int tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            quiet = saved;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            quiet.c_lflag |= ECHONL;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else
            tty = 0;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static void forget(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

/* Reads and checks a new password, hashes it. 0, or 1 with a message. */
static int new_password_hash(char hash[FQ_PASSWORD_HASH_BYTES])
{
    char *pw = read_password("Password: ");
    if (pw == NULL) {
        fprintf(stderr, "fengqiao-admin: no password given\n");
        return 1;
    }
    const char *why = fq_password_acceptable(pw, strlen(pw));
    if (why != NULL) {
        fprintf(stderr, "fengqiao-admin: %s\n", why);
        forget(pw);
        return 1;
    }
    if (isatty(STDIN_FILENO)) {
        char *again = read_password("Again: ");
        int same = again != NULL && strcmp(again, pw) == 0;
        forget(again);
        if (!same) {
            fprintf(stderr, "fengqiao-admin: the passwords differ\n");
            forget(pw);
            return 1;
        }
    }
    int rv = fq_password_hash(pw, strlen(pw), hash);
    forget(pw);
    if (rv != 0) {
        fprintf(stderr, "fengqiao-admin: out of memory hashing the password\n");
        return 1;
    }
    return 0;
}

static int valid_account(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return 0;
    }
    return 1;
}

static int run(PGconn *conn, const char *sql, int n, const char *const *values, const int *lengths,
               const int *formats, PGresult **out)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, values, lengths, formats, 0);
    int ok = admin_command_ok(conn, res);
    if (out && ok)
        *out = res;
    else
        PQclear(res);
    return ok;
}

/* What a worker account serves, checked in the database: its node's
 * jurisdiction (the worker's grid, the unit's territory) into `unit`. 0, or
 * 1 with a message. */
static int serves_jurisdiction(PGconn *conn, const char *worker, const char *handler, char *unit,
                               size_t unit_len)
{
    PGresult *res = NULL;
    const char *p1[1] = {worker ? worker : handler};
    if (!run(conn,
             worker ? "SELECT grid FROM workers WHERE id = $1"
                    : "SELECT territory FROM handlers WHERE id = $1",
             1, p1, NULL, NULL, &res))
        return 1;
    int found = PQntuples(res) == 1;
    if (found)
        snprintf(unit, unit_len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (!found) {
        fprintf(stderr,
                worker ? "fengqiao-admin: no worker %s (fengqiao-admin topology import adds them)\n"
                       : "fengqiao-admin: no handling unit %s\n",
                p1[0]);
        return 1;
    }
    return 0;
}

static int user_add(const globals *g, int argc, char **argv)
{
    const char *name = NULL, *role = NULL, *jurisdiction = NULL, *display = NULL;
    const char *serves_worker = NULL, *serves_unit = NULL;
    opt_slot slots[] = {{"--role", &role, NULL},
                        {"--jurisdiction", &jurisdiction, NULL},
                        {"--display-name", &display, NULL},
                        {"--serves-worker", &serves_worker, NULL},
                        {"--serves-unit", &serves_unit, NULL}};
    int rv = admin_parse_options(argc, argv, 2, slots, 5, &name, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (name == NULL || role == NULL) {
        fprintf(stderr, "fengqiao-admin: user add needs NAME and --role\n");
        return 2;
    }
    if (!valid_account(name)) {
        fprintf(stderr, "fengqiao-admin: '%s' is not an account name (1-40 of a-z 0-9 . _ -)\n",
                name);
        return 2;
    }
    int worker = strcmp(role, "worker") == 0;
    if (!worker && strcmp(role, "operator") != 0 && strcmp(role, "supervisor") != 0 &&
        strcmp(role, "viewer") != 0 && strcmp(role, "receptionist") != 0) {
        fprintf(stderr,
                "fengqiao-admin: --role is operator, supervisor, viewer, receptionist or worker, "
                "not '%s'\n",
                role);
        return 2;
    }
    if (worker) {
        if ((serves_worker == NULL) == (serves_unit == NULL)) {
            fprintf(stderr, "fengqiao-admin: a worker account serves one worker "
                            "(--serves-worker W) or one unit (--serves-unit H): give one of "
                            "the two\n");
            return 2;
        }
        if (jurisdiction != NULL) {
            fprintf(stderr, "fengqiao-admin: a worker account's jurisdiction is its worker's "
                            "grid or its unit's territory: leave --jurisdiction out\n");
            return 2;
        }
    } else {
        if (serves_worker != NULL || serves_unit != NULL) {
            fprintf(stderr, "fengqiao-admin: --serves-worker and --serves-unit are for "
                            "--role worker only\n");
            return 2;
        }
        if (jurisdiction == NULL) {
            fprintf(stderr, "fengqiao-admin: user add --role %s needs --jurisdiction\n", role);
            return 2;
        }
    }
    if (display == NULL)
        display = name;
    char err[256];
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    if (fq_server_key_load(g->server_key_path, server_key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL) {
        sodium_memzero(server_key, sizeof server_key);
        return 1;
    }
    /* Refused before the password is asked for. */
    char unit[128];
    if (worker) {
        if (serves_jurisdiction(conn, serves_worker, serves_unit, unit, sizeof unit) != 0) {
            sodium_memzero(server_key, sizeof server_key);
            PQfinish(conn);
            return 1;
        }
        jurisdiction = unit;
    } else {
        PGresult *res = NULL;
        const char *p1[1] = {jurisdiction};
        if (!run(conn, "SELECT 1 FROM org_units WHERE id = $1", 1, p1, NULL, NULL, &res)) {
            sodium_memzero(server_key, sizeof server_key);
            PQfinish(conn);
            return 1;
        }
        int found = PQntuples(res) == 1;
        PQclear(res);
        if (!found) {
            fprintf(stderr, "fengqiao-admin: no unit %s\n", jurisdiction);
            sodium_memzero(server_key, sizeof server_key);
            PQfinish(conn);
            return 1;
        }
    }
    char hash[FQ_PASSWORD_HASH_BYTES];
    if (new_password_hash(hash) != 0) {
        sodium_memzero(server_key, sizeof server_key);
        PQfinish(conn);
        return 1;
    }
    char node_id[64];
    snprintf(node_id, sizeof node_id, "p.%s", name);
    uint8_t key[32], sealed[FQ_SEALED_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    fq_key_seal(server_key, node_id, key, sealed);
    sodium_memzero(key, sizeof key);

    char description[160];
    snprintf(description, sizeof description, "%s account %s",
             worker ? "phone (field API)" : "web console", name);
    const char *np[6] = {node_id,     jurisdiction,  (const char *)sealed,
                         description, serves_worker, serves_unit};
    int nl[6] = {0, 0, sizeof sealed, 0, 0, 0}, nf[6] = {0, 0, 1, 0, 0, 0};
    const char *ap[5] = {name, display, role, node_id, hash};
    int ok = run(conn, "BEGIN", 0, NULL, NULL, NULL, NULL) &&
             admin_lock_nodes_for_key(conn, server_key, g->server_key_path) &&
             run(conn,
                 "INSERT INTO nodes (id, role, jurisdiction, key_sealed, description,"
                 " serves_worker, serves_handler) VALUES ($1, CASE WHEN $5::text IS NULL AND"
                 " $6::text IS NULL THEN 'console' ELSE 'terminal' END, $2, $3, $4, $5, $6)",
                 6, np, nl, nf, NULL) &&
             run(conn,
                 "INSERT INTO web_accounts (account, display_name, role, node_id, password_hash)"
                 " VALUES ($1, $2, $3, $4, $5)",
                 5, ap, NULL, NULL, NULL);
    if (ok)
        admin_notify_server(conn); /* delivered at the commit */
    ok = ok && run(conn, "COMMIT", 0, NULL, NULL, NULL, NULL);
    if (!ok)
        PQclear(PQexec(conn, "ROLLBACK"));
    sodium_memzero(server_key, sizeof server_key);
    sodium_memzero(hash, sizeof hash);
    PQfinish(conn);
    if (ok && worker)
        fprintf(stderr,
                "user %s (%s) added as a worker account serving %s %s (jurisdiction %s), "
                "acting as terminal node %s\n",
                name, display, serves_worker ? "worker" : "unit",
                serves_worker ? serves_worker : serves_unit, jurisdiction, node_id);
    else if (ok)
        fprintf(stderr, "user %s (%s) added as %s of %s, acting as console node %s\n", name,
                display, role, jurisdiction, node_id);
    return ok ? 0 : 1;
}

static int user_passwd(const globals *g, int argc, char **argv)
{
    const char *name = NULL;
    int rv = admin_parse_options(argc, argv, 2, NULL, 0, &name, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (name == NULL) {
        fprintf(stderr, "fengqiao-admin: user passwd needs NAME\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    PGresult *res = NULL;
    const char *p1[1] = {name};
    if (!run(conn, "SELECT 1 FROM web_accounts WHERE account = $1", 1, p1, NULL, NULL, &res)) {
        PQfinish(conn);
        return 1;
    }
    int found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        fprintf(stderr, "fengqiao-admin: no user %s\n", name);
        PQfinish(conn);
        return 1;
    }
    char hash[FQ_PASSWORD_HASH_BYTES];
    if (new_password_hash(hash) != 0) {
        PQfinish(conn);
        return 1;
    }
    /* A new password ends the sessions opened with the old one. */
    const char *p2[2] = {name, hash};
    int ok = run(conn,
                 "WITH a AS (UPDATE web_accounts SET password_hash = $2, password_changed_at ="
                 " now() WHERE account = $1 RETURNING account) UPDATE web_sessions SET ended_at"
                 " = now() WHERE account IN (SELECT account FROM a) AND ended_at IS NULL",
                 2, p2, NULL, NULL, NULL);
    sodium_memzero(hash, sizeof hash);
    if (ok) {
        admin_notify_server(conn);
        fprintf(stderr, "user %s: password changed; their sessions ended\n", name);
    }
    PQfinish(conn);
    return ok ? 0 : 1;
}

static int user_disable(const globals *g, int argc, char **argv)
{
    const char *name = NULL;
    int rv = admin_parse_options(argc, argv, 2, NULL, 0, &name, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (name == NULL) {
        fprintf(stderr, "fengqiao-admin: user disable needs NAME\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *p1[1] = {name};
    PGresult *res = NULL;
    int ok = run(conn,
                 "WITH a AS (UPDATE web_accounts SET disabled_at = coalesce(disabled_at, now())"
                 " WHERE account = $1 RETURNING account, node_id),"
                 " n AS (UPDATE nodes SET revoked_at = coalesce(revoked_at, now())"
                 " WHERE id IN (SELECT node_id FROM a)),"
                 " s AS (UPDATE web_sessions SET ended_at = now() WHERE account IN"
                 " (SELECT account FROM a) AND ended_at IS NULL)"
                 " SELECT count(*) FROM a",
                 1, p1, NULL, NULL, &res);
    if (ok && strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
        fprintf(stderr, "fengqiao-admin: no user %s\n", name);
        ok = 0;
    }
    PQclear(res);
    if (ok) {
        admin_notify_server(conn);
        fprintf(stderr, "user %s disabled: node p.%s revoked, sessions ended\n", name, name);
    }
    PQfinish(conn);
    return ok ? 0 : 1;
}

int cmd_user(const globals *g, int argc, char **argv)
{
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "add") == 0)
        return user_add(g, argc, argv);
    if (strcmp(action, "passwd") == 0)
        return user_passwd(g, argc, argv);
    if (strcmp(action, "disable") == 0)
        return user_disable(g, argc, argv);
    if (strcmp(action, "list") == 0) {
        /* SERVES: what a worker account's terminal node serves ('-' for
         * the console roles). */
        static const char *const headers[] = {"ACCOUNT", "NAME",    "ROLE",    "JURISDICTION",
                                              "SERVES",  "CREATED", "DISABLED"};
        static const int widths[] = {24, 16, 11, 32, 40, 17, 0};
        return admin_list(g, argc, argv, help,
                          "SELECT a.account, a.display_name, a.role, n.jurisdiction || ' ' ||"
                          " u.name, coalesce('worker ' || n.serves_worker || ' ' || w.name,"
                          " 'unit ' || n.serves_handler || ' ' || h.name, '-'),"
                          " to_char(a.created_at, 'YYYY-MM-DD HH24:MI'),"
                          " coalesce(to_char(a.disabled_at, 'YYYY-MM-DD HH24:MI'), '-')"
                          " FROM web_accounts a JOIN nodes n ON n.id = a.node_id"
                          " JOIN org_units u ON u.id = n.jurisdiction"
                          " LEFT JOIN workers w ON w.id = n.serves_worker"
                          " LEFT JOIN handlers h ON h.id = n.serves_handler ORDER BY a.account",
                          headers, widths, 7);
    }
    fprintf(stderr, "fengqiao-admin: unknown user command '%s'\n%s", action, help);
    return 2;
}
