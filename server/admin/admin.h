/* admin: what the commands of fengqiao-admin share (admin.c). */
#ifndef FQ_ADMIN_H
#define FQ_ADMIN_H

#include "admin_options.h"
#include "rules.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct globals {
    const char *conninfo;
    const char *server_key_path;
    const char *migrations_dir;
} globals;

/* Connects (NULL and a message on failure). */
PGconn *admin_connect(const globals *g);
/* 1 when the result is a success; otherwise prints the error and returns 0. */
int admin_command_ok(PGconn *conn, PGresult *res);
/* Inside a transaction, before a new node's key is sealed with server_key:
 * locks the nodes table (a rotation waits for the commit, and waits for no
 * one) and checks that the nodes already there are sealed under the same
 * key (a key file left from before a rotation would register a node the
 * server cannot open). 1, or 0 with a message printed. */
int admin_lock_nodes_for_key(PGconn *conn, const uint8_t server_key[32], const char *key_path);
/* Tells a running server to reload (delivered at commit inside a transaction). */
void admin_notify_server(PGconn *conn);
/* The common start of a command with subcommands: with no subcommand it
 * prints `help` to stderr and returns 2, with --help to stdout and returns 0;
 * otherwise it sets *action and returns -1 (go on). */
int admin_subcommand(int argc, char **argv, const char *help, const char **action);

/* A listing subcommand: refuses any option after it (usage error, 2; --help
 * prints `help`, 0), then prints the query's rows as aligned columns under
 * `headers`. 0, or 1 when the query fails. */
int admin_list(const globals *g, int argc, char **argv, const char *help, const char *sql,
               const char *const *headers, const int *widths, int ncols);

/* The "rules" of a topology file (docs/topology.md), read and checked the
 * way import-topology reads the file (the whole file is checked). Row ids are
 * the rules' positions in the file, from 1. NULL with a message in err. */
typedef struct admin_rules_file admin_rules_file;
admin_rules_file *admin_rules_file_read(const char *file, char *err, size_t err_len);
/* The rows (valid while f lives); *has_rules: the file has a "rules" member. */
const fq_rule_row *admin_rules_file_rows(const admin_rules_file *f, size_t *n, int *has_rules);
void admin_rules_file_free(admin_rules_file *f);

/* The commands of topology.c, routing.c and replay_cmd.c. */
int cmd_import_topology(const globals *g, int argc, char **argv);
int cmd_rules(const globals *g, int argc, char **argv);
int cmd_worker(const globals *g, int argc, char **argv);
/* history.c: timeline, verify, export, partitions (docs/history.md). */
int cmd_timeline(const globals *g, int argc, char **argv);
int cmd_verify(const globals *g, int argc, char **argv);
int cmd_export(const globals *g, int argc, char **argv);
int cmd_partitions(const globals *g, int argc, char **argv);
int cmd_replay(const globals *g, int argc, char **argv);
/* stats.c: the meeting figures of a period (docs/statistics.md). */
int cmd_stats(const globals *g, int argc, char **argv);
/* judgment_cmd.c: research and judgment of a period (docs/judgment.md). */
int cmd_judgment(const globals *g, int argc, char **argv);
/* bulletin.c: the meetings' bulletin, HTML and PDF (docs/upward.md). */
int cmd_bulletin(const globals *g, int argc, char **argv);
/* calendar_cmd.c: calendar import, calendar show (docs/calendar.md). */
int cmd_calendar(const globals *g, int argc, char **argv);
/* user.c: the web console's accounts (docs/operations.md). */
int cmd_user(const globals *g, int argc, char **argv);
/* apikey_cmd.c: Open311 clients' keys (docs/open311.md). */
int cmd_apikey(const globals *g, int argc, char **argv);
/* outbox_cmd.c: the outboxes and their retention. */
int cmd_outbox(const globals *g, int argc, char **argv);

#endif
