/* fengqiao-admin: the operator's tool. Schema migrations, the server key,
 * organisation units and nodes; the topology import, rule sets and worker
 * duty are in topology.c and routing.c. Talks to PostgreSQL directly (blocking libpq:
 * a one-shot tool) and tells a running server to reload with NOTIFY. */
#include "admin.h"
#include "conninfo.h"
#include "options.h"
#include "directory.h"
#include "fq_keyfile.h"
#include "keyseal.h"
#include "migrate.h"
#include "org.h"
#include "paths.h"
#include "pgerror.h"
#include "statements.h"
#include "validate.h"

#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fengqiao-admin [--config FILE] [--db CONNINFO] [--server-key FILE] COMMAND\n"
            "                      [ARGS]\n"
            "\n"
            "  migrate [--dir DIR]                 apply pending schema migrations (DIR, else\n"
            "                                      FQ_MIGRATIONS, else the installed ones:\n"
            "                                      ../share/fengqiao/migrations from the binary)\n"
            "  server-key create FILE              make a new server key (mode 0600)\n"
            "  server-key rotate --new FILE        make a new server key FILE (mode 0600) and\n"
            "                                      re-seal every node key under it in one\n"
            "                                      transaction (the old key: --server-key)\n"
            "  unit add ID --kind KIND --name NAME [--parent ID]\n"
            "                                      add an organisation unit\n"
            "                                      (KIND: district, town, village, grid)\n"
            "  unit list                           list organisation units\n"
            "  node add ID --role ROLE --jurisdiction UNIT [--description TEXT]\n"
            "           [--key-out FILE]           register a node; writes its key once to\n"
            "                                      FILE (new, mode 0600) or prints it\n"
            "                                      (ROLE: district_platform, town_platform,\n"
            "                                      grid_node, terminal, console, admin)\n"
            "  node add ID --role terminal (--serves-worker WORKER | --serves-unit UNIT)\n"
            "           [--jurisdiction UNIT] [--description TEXT] [--key-out FILE]\n"
            "                                      a worker's terminal or a unit's duty\n"
            "                                      officer (jurisdiction: the worker's grid\n"
            "                                      or the unit's territory)\n"
            "  node import FILE                    node add for each line of FILE (- for\n"
            "                                      standard input): ID and its options\n"
            "  node revoke ID                      refuse the node from now on\n"
            "  node list                           list nodes\n"
            "  user add NAME --role operator|supervisor|viewer --jurisdiction UNIT\n"
            "           [--display-name TEXT]      a person's web console account; the\n"
            "                                      password from the terminal (no echo) or\n"
            "                                      stdin; makes its console node p.NAME\n"
            "  user passwd NAME | disable NAME     a new password / disable (ends sessions)\n"
            "  user list                           the web console's accounts\n"
            "  apikey add --node NODE [--description TEXT] | list | revoke ID\n"
            "                                      Open311 clients' keys (docs/open311.md)\n"
            "  import-topology FILE [--replace] [--by NAME] [--note TEXT]\n"
            "                                      import the district's units, handlers,\n"
            "                                      grids, workers, categories and rules\n"
            "                                      from a JSON file (docs/topology.md)\n"
            "  calendar import FILE | show [YEAR] [--district ID]\n"
            "                                      the district's working calendar: holidays\n"
            "                                      and make-up working days (docs/calendar.md)\n"
            "  rules list | history                the active routing rules; all versions\n"
            "  worker duty ID on|off               put a grid worker on or off duty\n"
            "  worker list                         list grid workers\n"
            "  timeline INCIDENT_ID                an incident's events in order\n"
            "  verify [--from TIME] [--to TIME] | --file FILE\n"
            "                                      check the event hash chain (or an export)\n"
            "  export --from TIME --to TIME --out FILE\n"
            "                                      a period's events as JSON lines\n"
            "  partitions list | ensure [--months N] | detach PARTITION\n"
            "                                      the event log's monthly partitions\n"
            "  replay --rules FILE --from TIME --to TIME [--json]\n"
            "                                      what if: the period's reports routed by\n"
            "                                      the FILE's rules; writes nothing\n"
            "  outbox list | prune --older-than DURATION [--dry-run]\n"
            "                                      the terminals' outboxes; their retention\n"
            "  stats --from TIME --to TIME [--by town|line|unit|worker|district] [--csv|--json]\n"
            "                                      the meeting figures of a period\n"
            "  judgment --from TIME --to TIME [--within UNIT] [--csv]\n"
            "                                      research and judgment (研判): hotspots,\n"
            "                                      trends, repeat sources, long-pending\n"
            "  bulletin --from TIME --to TIME [--town T] [--out FILE.html] [--pdf FILE.pdf]\n"
            "                                      the meetings' bulletin (通报), HTML and PDF\n"
            "\n"
            "  --db CONNINFO       PostgreSQL connection string (or FQ_DB); a password never\n"
            "                      here: PGPASSFILE, PGPASSWORD or FQ_DB\n"
            "  --server-key FILE   server key (or FQ_SERVER_KEY; default ./fengqiao-server.key)\n"
            "  --config FILE       read db and server-key from fengqiaod's config file (or\n"
            "                      FQ_CONFIG); FQ_DB, FQ_SERVER_KEY and the options above win\n"
            "  --version           print the version\n"
            "Every command takes --help.\n");
}

PGconn *admin_connect(const globals *g)
{
    if (g->conninfo == NULL) {
        fprintf(stderr, "fengqiao-admin: no database: give --db CONNINFO or set FQ_DB\n");
        return NULL;
    }
    PGconn *conn = PQconnectdb(g->conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "fengqiao-admin: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    /* Terse: PQerrorMessage never carries DETAIL (the failing row). */
    PQsetErrorVerbosity(conn, PQERRORS_TERSE);
    PGresult *res = PQexec(conn, "SET client_min_messages = warning");
    PQclear(res);
    return conn;
}

int admin_command_ok(PGconn *conn, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return 1;
    if (res == NULL) { /* no result at all: the connection's (terse) message */
        fprintf(stderr, "fengqiao-admin: %s", PQerrorMessage(conn));
        return 0;
    }
    /* Never PostgreSQL's DETAIL: it quotes the failing row (workers' names
     * and phones from a topology file); the constraint and column say where. */
    char why[320];
    fq_pg_error_describe(res, why, sizeof why);
    fprintf(stderr, "fengqiao-admin: %s\n", why);
    return 0;
}

void admin_notify_server(PGconn *conn)
{
    PQclear(PQexec(conn, "NOTIFY " FQ_DIRECTORY_CHANNEL));
}

int admin_subcommand(int argc, char **argv, const char *help, const char **action)
{
    *action = argc >= 2 ? argv[1] : NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    return -1;
}

/* Runs a query and prints its rows as aligned columns under `headers`
 * (`widths` per column; the last column is not padded). */
int admin_list(const globals *g, int argc, char **argv, const char *help, const char *sql,
               const char *const *headers, const int *widths, int ncols)
{
    /* A listing takes no options: anything after it is a usage error. */
    int rv = admin_parse_options(argc, argv, 2, NULL, 0, NULL, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    PGresult *res = PQexec(conn, sql);
    int ok = admin_command_ok(conn, res);
    for (int row = -1; ok && row < PQntuples(res); row++)
        for (int c = 0; c < ncols; c++) {
            const char *text = row < 0 ? headers[c] : PQgetvalue(res, row, c);
            if (c + 1 < ncols)
                printf("%-*s ", widths[c], text);
            else
                printf("%s\n", text);
        }
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

/* ---- migrate ---- */

static int cmd_migrate(const globals *g, int argc, char **argv)
{
    const char *dir = g->migrations_dir;
    opt_slot slots[] = {{"--dir", &dir, NULL}};
    int rv =
        admin_parse_options(argc, argv, 1, slots, 1, NULL,
                            "usage: fengqiao-admin migrate [--dir DIR]\n"
                            "Applies the migrations in DIR (default: FQ_MIGRATIONS, else the\n"
                            "installed ones, share/fengqiao/migrations next to the binary's\n"
                            "folder, or the source tree's for a binary in its build tree) not\n"
                            "yet applied, in order, each in its own transaction. Safe to run\n"
                            "again.\n");
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    rv = fq_migrate(conn, dir, 0);
    PQfinish(conn);
    return rv == 0 ? 0 : 1;
}

/* ---- server key ---- */

int admin_lock_nodes_for_key(PGconn *conn, const uint8_t server_key[FQ_SERVER_KEY_BYTES],
                             const char *key_path)
{
    PGresult *res = PQexec(conn, "LOCK TABLE nodes IN SHARE ROW EXCLUSIVE MODE");
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    if (!ok)
        return 0;
    res = PQexecParams(conn, "SELECT id, key_sealed FROM nodes ORDER BY id LIMIT 1", 0, NULL, NULL,
                       NULL, NULL, 1);
    ok = admin_command_ok(conn, res);
    uint8_t other[32];
    if (ok && PQntuples(res) == 1 &&
        fq_key_unseal(server_key, PQgetvalue(res, 0, 0), (const uint8_t *)PQgetvalue(res, 0, 1),
                      (size_t)PQgetlength(res, 0, 1), other) != 0) {
        fprintf(stderr,
                "fengqiao-admin: the node keys in the database are sealed under another server key "
                "than %s (was it rotated?); give the current one with --server-key\n",
                key_path);
        ok = 0;
    }
    sodium_memzero(other, sizeof other);
    PQclear(res);
    return ok;
}

/* Re-seals every node key under a new server key: the old key opens each
 * seal, the new one seals it again, all in one transaction (a node's own key
 * does not change, so no node is told anything). The new key file is written
 * and synced first, so a committed rotation never leaves the database sealed
 * under a key that exists nowhere; a rotation that fails removes it again. */
static int rotate_server_key(const globals *g, const char *new_path)
{
    char err[512];
    uint8_t old_key[FQ_SERVER_KEY_BYTES], new_key[FQ_SERVER_KEY_BYTES];
    if (fq_server_key_load(g->server_key_path, old_key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: the current key (--server-key or FQ_SERVER_KEY): %s\n",
                err);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL) {
        sodium_memzero(old_key, sizeof old_key);
        return 1;
    }
    if (fq_server_key_create(new_path, err, sizeof err) != 0 ||
        fq_server_key_load(new_path, new_key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        sodium_memzero(old_key, sizeof old_key);
        PQfinish(conn);
        return 1;
    }
    PGresult *res = PQexec(conn, "BEGIN");
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    /* No node may be added or changed meanwhile: a node sealed under the old
     * key after this read would not open with the new one. */
    if (ok) {
        res = PQexec(conn, "LOCK TABLE nodes IN SHARE ROW EXCLUSIVE MODE");
        ok = admin_command_ok(conn, res);
        PQclear(res);
    }
    res = ok ? PQexecParams(conn, "SELECT id, key_sealed FROM nodes ORDER BY id", 0, NULL, NULL,
                            NULL, NULL, 1)
             : NULL;
    ok = ok && admin_command_ok(conn, res);
    int rows = ok ? PQntuples(res) : 0, refused = 0;
    for (int i = 0; ok && i < rows; i++) {
        const char *id = PQgetvalue(res, i, 0);
        uint8_t node_key[32], sealed[FQ_SEALED_KEY_BYTES];
        if (fq_key_unseal(old_key, id, (const uint8_t *)PQgetvalue(res, i, 1),
                          (size_t)PQgetlength(res, i, 1), node_key) != 0) {
            fprintf(stderr, "fengqiao-admin: the key of node %s does not open with %s\n", id,
                    g->server_key_path);
            refused++;
            continue;
        }
        fq_key_seal(new_key, id, node_key, sealed);
        sodium_memzero(node_key, sizeof node_key);
        const char *params[2] = {id, (const char *)sealed};
        int lengths[2] = {0, sizeof sealed}, formats[2] = {0, 1};
        PGresult *up = PQexecParams(conn, "UPDATE nodes SET key_sealed = $2 WHERE id = $1", 2, NULL,
                                    params, lengths, formats, 0);
        ok = admin_command_ok(conn, up);
        PQclear(up);
    }
    PQclear(res);
    /* The server's own keys (migration 0027: the front desk's personal-data
     * key) are sealed the same way, their associated data 'sealed_keys/'
     * and their name: re-sealed in the same transaction, so the data under
     * them is never touched. */
    if (ok) {
        res = PQexec(conn, "LOCK TABLE sealed_keys IN SHARE ROW EXCLUSIVE MODE");
        ok = admin_command_ok(conn, res);
        PQclear(res);
    }
    res = ok ? PQexecParams(conn, "SELECT name, key_sealed FROM sealed_keys ORDER BY name", 0, NULL,
                            NULL, NULL, NULL, 1)
             : NULL;
    ok = ok && admin_command_ok(conn, res);
    int own = ok ? PQntuples(res) : 0;
    for (int i = 0; ok && i < own; i++) {
        char id[128];
        snprintf(id, sizeof id, "sealed_keys/%s", PQgetvalue(res, i, 0));
        uint8_t key[32], sealed[FQ_SEALED_KEY_BYTES];
        if (fq_key_unseal(old_key, id, (const uint8_t *)PQgetvalue(res, i, 1),
                          (size_t)PQgetlength(res, i, 1), key) != 0) {
            fprintf(stderr, "fengqiao-admin: the server's key %s does not open with %s\n", id,
                    g->server_key_path);
            refused++;
            continue;
        }
        fq_key_seal(new_key, id, key, sealed);
        sodium_memzero(key, sizeof key);
        const char *params[2] = {PQgetvalue(res, i, 0), (const char *)sealed};
        int lengths[2] = {0, sizeof sealed}, formats[2] = {0, 1};
        PGresult *up = PQexecParams(conn, "UPDATE sealed_keys SET key_sealed = $2 WHERE name = $1",
                                    2, NULL, params, lengths, formats, 0);
        ok = admin_command_ok(conn, up);
        PQclear(up);
    }
    PQclear(res);
    if (ok && refused > 0) {
        fprintf(stderr,
                "fengqiao-admin: %d node key%s did not open with the current server key %s: is it "
                "the key the server runs with? Nothing was changed\n",
                refused, refused == 1 ? "" : "s", g->server_key_path);
        ok = 0;
    }
    if (ok) {
        /* The running server reloads; it keeps the node keys it holds (the
         * new seals do not open with its key) until it restarts with the
         * new one (docs/operations.md, "Rotating the server key"). */
        admin_notify_server(conn);
        res = PQexec(conn, "COMMIT");
        ok = admin_command_ok(conn, res);
        PQclear(res);
    }
    sodium_memzero(old_key, sizeof old_key);
    sodium_memzero(new_key, sizeof new_key);
    if (!ok) {
        PQclear(PQexec(conn, "ROLLBACK"));
        PQfinish(conn);
        unlink(new_path); /* sealed nothing */
        return 1;
    }
    PQfinish(conn);
    printf("%d node key%s re-sealed under %s; restart fengqiaod with --server-key %s, then the old "
           "key file may be deleted\n",
           rows, rows == 1 ? "" : "s", new_path, new_path);
    return 0;
}

static int cmd_server_key(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin server-key create FILE\n"
        "       fengqiao-admin [--server-key OLD] server-key rotate --new FILE\n"
        "'create' writes a new random 32-byte server key (hex) to FILE, mode 0600. The key\n"
        "seals node keys in the database; keep it out of the database and its backups.\n"
        "'rotate' makes a new key FILE the same way and re-seals every node key, and the\n"
        "server's own keys (the front desk's personal-data key), under it in one\n"
        "transaction; the current key is --server-key (or FQ_SERVER_KEY). A running\n"
        "server keeps accepting every node; restart it with --server-key FILE, then delete\n"
        "the old key (docs/operations.md, \"Rotating the server key\"). Both refuse to\n"
        "overwrite a file.\n";
    const char *action = NULL, *path = NULL, *new_path = NULL;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(help, stdout);
        return 0;
    }
    if (argc >= 2)
        action = argv[1];
    opt_slot slots[] = {{"--new", &new_path, NULL}};
    int is_rotate = action != NULL && strcmp(action, "rotate") == 0;
    int rv = admin_parse_options(argc, argv, 2, is_rotate ? slots : NULL, is_rotate ? 1 : 0, &path,
                                 help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (is_rotate) {
        if (new_path == NULL || path != NULL) {
            fputs(help, stderr);
            return 2;
        }
        return rotate_server_key(g, new_path);
    }
    if (action == NULL || strcmp(action, "create") != 0 || path == NULL) {
        fputs(help, stderr);
        return 2;
    }
    char err[256];
    if (fq_server_key_create(path, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        return 1;
    }
    printf("server key written to %s\n", path);
    return 0;
}

/* ---- units ---- */

static int cmd_unit(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin unit add ID --kind KIND --name NAME [--parent ID]\n"
        "       fengqiao-admin unit list\n"
        "KIND is district, town, village or grid; every unit but a district has a parent\n"
        "exactly one tier up. IDs: 1-64 of a-z 0-9 . _ - starting with a letter or digit.\n";
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") == 0) {
        static const char *const headers[] = {"ID", "KIND", "PARENT", "NAME"};
        static const int widths[] = {32, 9, 32, 0};
        return admin_list(g, argc, argv, help,
                          "SELECT id, kind, coalesce(parent_id, '-'), name FROM org_units"
                          " ORDER BY id",
                          headers, widths, 4);
    }
    if (strcmp(action, "add") != 0) {
        fprintf(stderr, "fengqiao-admin: unknown unit command '%s'\n%s", action, help);
        return 2;
    }
    const char *id = NULL, *kind = NULL, *name = NULL, *parent = NULL;
    opt_slot slots[] = {
        {"--kind", &kind, NULL}, {"--name", &name, NULL}, {"--parent", &parent, NULL}};
    int rv = admin_parse_options(argc, argv, 2, slots, 3, &id, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (id == NULL || kind == NULL || name == NULL) {
        fprintf(stderr, "fengqiao-admin: unit add needs ID, --kind and --name\n");
        return 2;
    }
    if (!fq_valid_id(id) || fq_unit_kind_parse(kind) == 0) {
        fprintf(stderr, "fengqiao-admin: invalid unit id '%s' or kind '%s'\n", id, kind);
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    /* The parent must be exactly one tier up: checked here against the
     * database, like the server checks the whole tree when it loads. */
    const char *params[4] = {id, kind, parent, name};
    PGresult *res = PQexecParams(
        conn,
        "INSERT INTO org_units (id, kind, parent_id, name)"
        " SELECT $1, $2, $3, $4 WHERE $3::text IS NULL OR EXISTS (SELECT 1 FROM org_units p"
        "  WHERE p.id = $3 AND array_position(ARRAY['district','town','village','grid'], p.kind)"
        "   + 1 = array_position(ARRAY['district','town','village','grid'], $2::text))",
        4, NULL, params, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok && strcmp(PQcmdTuples(res), "1") != 0) {
        fprintf(stderr, "fengqiao-admin: parent %s does not exist or is not one tier above a %s\n",
                parent, kind);
        ok = 0;
    }
    PQclear(res);
    if (ok) {
        admin_notify_server(conn);
        printf("unit %s added\n", id);
    }
    PQfinish(conn);
    return ok ? 0 : 1;
}

/* ---- nodes ---- */

/* `node add > x.key` creates the file at the shell's umask, usually readable
 * by everyone, and the clients then refuse it: say so at once. */
static void warn_if_stdout_exposed(void)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        fprintf(stderr,
                "fengqiao-admin: warning: the key went to a file with mode %04o that group or "
                "others may read, which the clients refuse; chmod 600 it now, and next time use "
                "--key-out FILE\n",
                (unsigned)(st.st_mode & 07777));
}

static int cmd_node(const globals *g, int argc, char **argv);

/* node import FILE: `node add` for each line "ID OPTION VALUE ...", in one
 * run. A setup script registering hundreds of nodes otherwise starts the
 * tool once per node (examples/demo-day.sh: 214 of them), and a start costs
 * far more than the registration itself — above all in a sanitizer build. */
static int node_import(const globals *g, int argc, char **argv, const char *help)
{
    enum { MAX_WORDS = 16 };
    const char *file = NULL;
    int rv = admin_parse_options(argc, argv, 2, NULL, 0, &file, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (file == NULL) {
        fprintf(stderr, "fengqiao-admin: node import needs FILE (- for standard input)\n");
        return 2;
    }
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (in == NULL) {
        fprintf(stderr, "fengqiao-admin: cannot open %s: %s\n", file, strerror(errno));
        return 1;
    }
    char line[1024];
    int lineno = 0, status = 0;
    while (status == 0 && fgets(line, sizeof line, in) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(in)) {
            fprintf(stderr, "fengqiao-admin: %s:%d: line too long\n", file, lineno);
            status = 2;
            break;
        }
        static char node_word[] = "node", add_word[] = "add";
        char *words[MAX_WORDS + 2] = {node_word, add_word};
        int n = 2;
        char *save = NULL;
        for (char *w = strtok_r(line, " \t\r\n", &save); w != NULL;
             w = strtok_r(NULL, " \t\r\n", &save)) {
            if (n == MAX_WORDS + 2) {
                fprintf(stderr, "fengqiao-admin: %s:%d: too many words\n", file, lineno);
                status = 2;
                break;
            }
            words[n++] = w;
        }
        if (status != 0 || n == 2 || words[2][0] == '#')
            continue;
        status = cmd_node(g, n, words);
        if (status != 0)
            fprintf(stderr, "fengqiao-admin: node import stopped at %s:%d (%s)\n", file, lineno,
                    words[2]);
    }
    if (status == 0 && ferror(in)) {
        fprintf(stderr, "fengqiao-admin: reading %s: %s\n", file, strerror(errno));
        status = 1;
    }
    if (in != stdin)
        fclose(in);
    return status;
}

static int cmd_node(const globals *g, int argc, char **argv)
{
    static const char help[] =
        "usage: fengqiao-admin node add ID --role ROLE --jurisdiction UNIT [--description TEXT]\n"
        "                               [--key-out FILE]\n"
        "       fengqiao-admin node add ID --role terminal (--serves-worker W | --serves-unit H)\n"
        "                               [--jurisdiction UNIT] [--description TEXT] [--key-out "
        "FILE]\n"
        "       fengqiao-admin node import FILE\n"
        "       fengqiao-admin node revoke ID\n"
        "       fengqiao-admin node list\n"
        "ROLE is district_platform (jurisdiction: a district; the district's 12345 hotline\n"
        "and online channels, reporting anywhere in it), town_platform (a town), grid_node\n"
        "(a grid), terminal, console or admin. A terminal serves one grid worker or one\n"
        "handling unit (its duty officer): it receives their assignments; its jurisdiction\n"
        "defaults to the worker's grid or the unit's territory. 'add' makes the node's\n"
        "32-byte key, shown once as 64 hex characters: --key-out FILE creates FILE (refusing\n"
        "an existing one) readable by you only, as the clients' --key-file demands; without\n"
        "it the key goes to standard output.\n"
        "Hand it to the node over a trusted channel; it is stored sealed with the server key.\n"
        "'import' reads FILE ('-': standard input) line by line, each an ID and the options\n"
        "of 'add' (no value with a blank in it; blank lines and lines starting with # are\n"
        "skipped), and adds each node as 'add' would, in one run; it stops at the first\n"
        "line that fails, after the nodes before it are added.\n"
        "'revoke' takes effect on a running server within a second.\n";
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "list") == 0) {
        static const char *const headers[] = {"ID",     "ROLE",  "JURISDICTION",
                                              "SERVES", "STATE", "DESCRIPTION"};
        static const int widths[] = {32, 14, 32, 32, 24, 0};
        return admin_list(g, argc, argv, help,
                          "SELECT id, role, jurisdiction, coalesce('worker ' || serves_worker,"
                          " 'unit ' || serves_handler, '-'), CASE WHEN revoked_at IS NULL THEN"
                          " 'active' ELSE 'revoked ' || to_char(revoked_at, 'YYYY-MM-DD HH24:MI')"
                          " END, description FROM nodes ORDER BY id",
                          headers, widths, 6);
    }
    if (strcmp(action, "revoke") == 0) {
        const char *id = NULL;
        int rv = admin_parse_options(argc, argv, 2, NULL, 0, &id, help);
        if (rv != 0)
            return rv < 0 ? 2 : 0;
        if (id == NULL) {
            fprintf(stderr, "fengqiao-admin: node revoke needs ID\n");
            return 2;
        }
        PGconn *conn = admin_connect(g);
        if (conn == NULL)
            return 1;
        const char *params[1] = {id};
        PGresult *res = PQexecParams(conn,
                                     "UPDATE nodes SET revoked_at = coalesce(revoked_at, now())"
                                     " WHERE id = $1",
                                     1, NULL, params, NULL, NULL, 0);
        int ok = admin_command_ok(conn, res);
        if (ok && strcmp(PQcmdTuples(res), "1") != 0) {
            fprintf(stderr, "fengqiao-admin: no node %s\n", id);
            ok = 0;
        }
        PQclear(res);
        if (ok) {
            admin_notify_server(conn);
            printf("node %s revoked\n", id);
        }
        PQfinish(conn);
        return ok ? 0 : 1;
    }
    if (strcmp(action, "import") == 0)
        return node_import(g, argc, argv, help);
    if (strcmp(action, "add") != 0) {
        fprintf(stderr, "fengqiao-admin: unknown node command '%s'\n%s", action, help);
        return 2;
    }
    const char *id = NULL, *role = NULL, *jurisdiction = NULL, *description = "";
    const char *serves_worker = NULL, *serves_unit = NULL, *key_out = NULL;
    opt_slot slots[] = {{"--role", &role, NULL},
                        {"--jurisdiction", &jurisdiction, NULL},
                        {"--description", &description, NULL},
                        {"--serves-worker", &serves_worker, NULL},
                        {"--serves-unit", &serves_unit, NULL},
                        {"--key-out", &key_out, NULL}};
    int rv = admin_parse_options(argc, argv, 2, slots, 6, &id, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if ((serves_worker || serves_unit) &&
        (role == NULL || strcmp(role, "terminal") != 0 || (serves_worker && serves_unit))) {
        fprintf(stderr, "fengqiao-admin: only a terminal serves, one worker or one unit\n");
        return 2;
    }
    char served_territory[80] = "";
    if (jurisdiction == NULL && (serves_worker || serves_unit)) {
        PGconn *conn = admin_connect(g);
        if (conn == NULL)
            return 1;
        const char *p[1] = {serves_worker ? serves_worker : serves_unit};
        PGresult *res = PQexecParams(conn,
                                     serves_worker ? "SELECT grid FROM workers WHERE id = $1"
                                                   : "SELECT territory FROM handlers WHERE id = $1",
                                     1, NULL, p, NULL, NULL, 0);
        int found = admin_command_ok(conn, res) && PQntuples(res) == 1;
        if (found)
            snprintf(served_territory, sizeof served_territory, "%s", PQgetvalue(res, 0, 0));
        else if (PQresultStatus(res) == PGRES_TUPLES_OK)
            fprintf(stderr, "fengqiao-admin: no %s %s\n", serves_worker ? "worker" : "unit", p[0]);
        PQclear(res);
        PQfinish(conn);
        if (!found)
            return 1;
        jurisdiction = served_territory;
    }
    if (id == NULL || role == NULL || jurisdiction == NULL) {
        fprintf(stderr, "fengqiao-admin: node add needs ID, --role and --jurisdiction\n");
        return 2;
    }
    fq_role r = fq_role_parse(role);
    if (!fq_valid_id(id) || r == 0) {
        fprintf(stderr, "fengqiao-admin: invalid node id '%s' or role '%s'\n", id, role);
        return 2;
    }
    char err[256];
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    if (fq_server_key_load(g->server_key_path, server_key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        return 1;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    /* Roles bound to a territory must sit on the right tier. */
    const char *required_kind = r == FQ_ROLE_TOWN_PLATFORM       ? "town"
                                : r == FQ_ROLE_GRID_NODE         ? "grid"
                                : r == FQ_ROLE_DISTRICT_PLATFORM ? "district"
                                                                 : NULL;
    const char *kparams[1] = {jurisdiction};
    PGresult *res = PQexecParams(conn, "SELECT kind FROM org_units WHERE id = $1", 1, NULL, kparams,
                                 NULL, NULL, 0);
    if (!admin_command_ok(conn, res) || PQntuples(res) != 1) {
        if (PQresultStatus(res) == PGRES_TUPLES_OK)
            fprintf(stderr, "fengqiao-admin: no unit %s\n", jurisdiction);
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    if (required_kind && strcmp(PQgetvalue(res, 0, 0), required_kind) != 0) {
        fprintf(stderr, "fengqiao-admin: a %s's jurisdiction must be a %s; %s is a %s\n", role,
                required_kind, jurisdiction, PQgetvalue(res, 0, 0));
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    PQclear(res);
    res = PQexec(conn, "BEGIN");
    int ok = admin_command_ok(conn, res);
    PQclear(res);
    ok = ok && admin_lock_nodes_for_key(conn, server_key, g->server_key_path);
    if (!ok) {
        sodium_memzero(server_key, sizeof server_key);
        PQfinish(conn);
        return 1;
    }

    uint8_t key[32], sealed[FQ_SEALED_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    fq_key_seal(server_key, id, key, sealed);
    sodium_memzero(server_key, sizeof server_key);
    /* The key file first, synced: a node is registered only once its key is
     * safely somewhere, and an existing file is refused before anything changes. */
    if (key_out != NULL && fq_key_file_create(key_out, key, sizeof key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        sodium_memzero(key, sizeof key);
        PQfinish(conn);
        return 1;
    }
    const char *params[7] = {id,          role,          jurisdiction, (const char *)sealed,
                             description, serves_worker, serves_unit};
    int lengths[7] = {0, 0, 0, sizeof sealed, 0, 0, 0};
    int formats[7] = {0, 0, 0, 1, 0, 0, 0};
    res = PQexecParams(conn,
                       "INSERT INTO nodes (id, role, jurisdiction, key_sealed, description,"
                       " serves_worker, serves_handler) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       7, NULL, params, lengths, formats, 0);
    ok = admin_command_ok(conn, res);
    PQclear(res);
    if (ok) {
        admin_notify_server(conn); /* delivered at the commit */
        res = PQexec(conn, "COMMIT");
        ok = admin_command_ok(conn, res);
        PQclear(res);
    }
    if (!ok && key_out != NULL)
        unlink(key_out); /* the key of a node that was not added */
    if (ok && key_out != NULL) {
        /* One line per node: a setup script registering hundreds reads one
         * line each, naming the file the key went to. */
        fprintf(stderr, "node %s added: %s of %s, key in %s\n", id, role, jurisdiction, key_out);
    } else if (ok) {
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        /* The only time the key is shown: the database keeps it sealed. */
        printf("%s\n", hex);
        fflush(stdout);
        fprintf(stderr, "node %s added as %s of %s; the line above is its key, shown once\n", id,
                role, jurisdiction);
        warn_if_stdout_exposed();
        sodium_memzero(hex, sizeof hex);
    }
    sodium_memzero(key, sizeof key);
    PQfinish(conn);
    return ok ? 0 : 1;
}

static int admin_main(globals *gp, int argc, char **argv);

/* db and server-key from fengqiaod's config file (its other keys are the
 * server's), read by the server's parser: the same file:line errors and the
 * same refusal of a password in a file others may read. */
static const fq_option server_file_keys[] = {
    FQ_OPTION_SECRET(globals, "db", "CONNINFO", conninfo, fq_conninfo_has_password,
                     FQ_CONNINFO_PASSWORD_HINT, ""),
    FQ_OPTION_TEXT(globals, "server-key", "FILE", server_key_path, ""),
};

/* The global options, before the command ("+": the scan stops at it). */
static const struct option global_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"config", required_argument, NULL, 'c'},
    {"db", required_argument, NULL, 'd'},
    {"server-key", required_argument, NULL, 'k'},
    {NULL, 0, NULL, 0},
};
#define GLOBAL_SHORTS "+:h"

/* The config file named by --config FILE or FQ_CONFIG, before the command
 * line's other options: the same precedence as fengqiaod's (defaults, file,
 * environment, command line). Errors in the other options are told by
 * admin_main's scan. */
static int read_config_file(int argc, char **argv, globals *g, fq_option_strings *strings)
{
    const char *path = getenv("FQ_CONFIG");
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, GLOBAL_SHORTS, global_options, NULL)) != -1)
        if (c == 'c')
            path = optarg;
    if (path == NULL || path[0] == '\0')
        return 0;
    char err[1024];
    if (fq_options_read_file(server_file_keys, sizeof server_file_keys / sizeof server_file_keys[0],
                             path, FQ_OPTIONS_OTHER_KEYS_SKIPPED, g, strings, err,
                             sizeof err) != 0) {
        fprintf(stderr, "fengqiao-admin: %s\n", err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    globals g = {NULL, "fengqiao-server.key",
                 getenv("FQ_MIGRATIONS") ? getenv("FQ_MIGRATIONS")
                                         : fq_files_dir(FQ_FILES_MIGRATIONS)};
    fq_option_strings strings = {0};
    if (read_config_file(argc, argv, &g, &strings) != 0)
        return 2;
    if (getenv("FQ_DB") != NULL)
        g.conninfo = getenv("FQ_DB");
    if (getenv("FQ_SERVER_KEY") != NULL)
        g.server_key_path = getenv("FQ_SERVER_KEY");
    int rv = admin_main(&g, argc, argv);
    fq_option_strings_free(&strings);
    return rv;
}

static int admin_main(globals *gp, int argc, char **argv)
{
    globals g = *gp;
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, GLOBAL_SHORTS, global_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("fengqiao-admin %s\n", FQ_VERSION);
            return 0;
        case 'c':
            break; /* read before (read_config_file) */
        case 'd': {
            g.conninfo = optarg;
            char why[512];
            int secret = fq_conninfo_has_password(g.conninfo, why, sizeof why);
            if (secret != 0) {
                fprintf(stderr, "fengqiao-admin: --db %s\n",
                        secret > 0 ? "holds a password, refused: " FQ_CONNINFO_PASSWORD_HINT : why);
                return 2;
            }
            break;
        }
        case 'k':
            g.server_key_path = optarg;
            break;
        default: /* an unknown option, or one without its value */
            fprintf(stderr, "fengqiao-admin: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    int i = optind;
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "server-key") == 0)
        return cmd_server_key(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "unit") == 0)
        return cmd_unit(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "node") == 0)
        return cmd_node(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "apikey") == 0)
        return cmd_apikey(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "import-topology") == 0)
        return cmd_import_topology(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "rules") == 0)
        return cmd_rules(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "worker") == 0)
        return cmd_worker(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "timeline") == 0)
        return cmd_timeline(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "partitions") == 0)
        return cmd_partitions(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "outbox") == 0)
        return cmd_outbox(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "judgment") == 0)
        return cmd_judgment(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "bulletin") == 0)
        return cmd_bulletin(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "calendar") == 0)
        return cmd_calendar(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(&g, sub_argc, sub_argv);
    fprintf(stderr, "fengqiao-admin: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
