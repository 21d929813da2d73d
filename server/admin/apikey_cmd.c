/* fengqiao-admin apikey: the keys of Open311 clients (docs/open311.md,
 * "Keys"). A key acts as one platform node: what it files is a report from
 * that node, what it reads is that node's jurisdiction. The key is printed
 * once; only its hash is stored (auth/apikey.h says why a fast hash). */
#include "admin.h"
#include "apikey.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: fengqiao-admin apikey add --node NODE [--description TEXT]\n"
    "       fengqiao-admin apikey list\n"
    "       fengqiao-admin apikey revoke ID\n"
    "An Open311 client's API key (docs/open311.md). NODE is a town_platform or\n"
    "district_platform node: requests filed with the key are that node's reports,\n"
    "and the key reads the requests within its jurisdiction. 'add' prints the key\n"
    "once on standard output (it is stored hashed and cannot be shown again).\n"
    "'revoke' takes the ID 'list' shows; a running server refuses the key at its\n"
    "next request.\n";

static int apikey_add(const globals *g, int argc, char **argv)
{
    const char *node = NULL, *description = "";
    opt_slot slots[] = {{"--node", &node, NULL}, {"--description", &description, NULL}};
    int rv = admin_parse_options(argc, argv, 2, slots, 2, NULL, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    if (node == NULL) {
        fprintf(stderr, "fengqiao-admin: apikey add needs --node NODE\n");
        return 2;
    }
    if (strlen(description) > 200) {
        fprintf(stderr, "fengqiao-admin: --description is at most 200 characters\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *p1[1] = {node};
    PGresult *res =
        PQexecParams(conn, "SELECT role, revoked_at IS NOT NULL FROM nodes WHERE id = $1", 1, NULL,
                     p1, NULL, NULL, 0);
    if (!admin_command_ok(conn, res)) {
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    if (PQntuples(res) != 1) {
        fprintf(stderr, "fengqiao-admin: no node %s\n", node);
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    const char *role = PQgetvalue(res, 0, 0);
    if (strcmp(role, "town_platform") != 0 && strcmp(role, "district_platform") != 0) {
        fprintf(stderr,
                "fengqiao-admin: node %s is a %s; an API key acts as a town_platform or "
                "district_platform node\n",
                node, role);
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    if (PQgetvalue(res, 0, 1)[0] == 't') {
        fprintf(stderr, "fengqiao-admin: node %s is revoked\n", node);
        PQclear(res);
        PQfinish(conn);
        return 1;
    }
    PQclear(res);
    char key[FQ_APIKEY_CHARS + 1];
    uint8_t hash[FQ_APIKEY_HASH_BYTES];
    fq_apikey_new(key);
    fq_apikey_hash(key, strlen(key), hash);
    char prefix[FQ_APIKEY_SHOWN + 1];
    snprintf(prefix, sizeof prefix, "%.*s", FQ_APIKEY_SHOWN, key);
    const char *p[4] = {(const char *)hash, prefix, node, description};
    int lengths[4] = {sizeof hash, 0, 0, 0}, formats[4] = {1, 0, 0, 0};
    res = PQexecParams(conn,
                       "INSERT INTO api_keys (key_hash, key_prefix, node_id, description)"
                       " VALUES ($1, $2, $3, $4) RETURNING id",
                       4, NULL, p, lengths, formats, 0);
    int ok = admin_command_ok(conn, res);
    if (ok) {
        printf("%s\n", key);
        fflush(stdout);
        fprintf(stderr, "API key %s (%s…) added for node %s; it is shown only now\n",
                PQgetvalue(res, 0, 0), prefix, node);
    }
    sodium_memzero(key, sizeof key);
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

static int apikey_revoke(const globals *g, int argc, char **argv)
{
    const char *id = NULL;
    int rv = admin_parse_options(argc, argv, 2, NULL, 0, &id, help);
    if (rv != 0)
        return rv < 0 ? 2 : 0;
    char *end = NULL;
    if (id == NULL || strtoll(id, &end, 10) <= 0 || *end != '\0') {
        fprintf(stderr, "fengqiao-admin: apikey revoke needs the key's ID (apikey list)\n");
        return 2;
    }
    PGconn *conn = admin_connect(g);
    if (conn == NULL)
        return 1;
    const char *p[1] = {id};
    PGresult *res = PQexecParams(conn,
                                 "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                                 " WHERE id = $1::bigint RETURNING key_prefix, node_id",
                                 1, NULL, p, NULL, NULL, 0);
    int ok = admin_command_ok(conn, res);
    if (ok && PQntuples(res) != 1) {
        fprintf(stderr, "fengqiao-admin: no API key %s\n", id);
        ok = 0;
    } else if (ok)
        fprintf(stderr, "API key %s (%s…) of node %s revoked\n", id, PQgetvalue(res, 0, 0),
                PQgetvalue(res, 0, 1));
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : 1;
}

int cmd_apikey(const globals *g, int argc, char **argv)
{
    const char *action;
    int done = admin_subcommand(argc, argv, help, &action);
    if (done >= 0)
        return done;
    if (strcmp(action, "add") == 0)
        return apikey_add(g, argc, argv);
    if (strcmp(action, "revoke") == 0)
        return apikey_revoke(g, argc, argv);
    if (strcmp(action, "list") == 0) {
        static const char *const headers[] = {"ID",      "KEY",     "NODE",
                                              "CREATED", "REVOKED", "DESCRIPTION"};
        static const int widths[] = {6, 14, 24, 17, 17, 0};
        return admin_list(g, argc, argv, help,
                          "SELECT id, key_prefix || '…', node_id,"
                          " to_char(created_at, 'YYYY-MM-DD HH24:MI'),"
                          " coalesce(to_char(revoked_at, 'YYYY-MM-DD HH24:MI'), '-'), description"
                          " FROM api_keys ORDER BY id",
                          headers, widths, 6);
    }
    fprintf(stderr, "fengqiao-admin: unknown apikey command '%s'\n%s", action, help);
    return 2;
}
