/* admin: what the commands of fengqiao-admin share (admin.c). */
#ifndef FQ_ADMIN_H
#define FQ_ADMIN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

typedef struct globals {
    const char *conninfo;
    const char *server_key_path;
    const char *migrations_dir;
} globals;

/* "--name value" options after a subcommand. */
typedef struct opt_slot {
    const char *name;
    const char **value;
} opt_slot;

/* Connects (NULL and a message on failure). */
PGconn *admin_connect(const globals *g);
/* 1 when the result is a success; otherwise prints the error and returns 0. */
int admin_command_ok(PGconn *conn, PGresult *res);
/* Tells a running server to reload (delivered at commit inside a transaction). */
void admin_notify_server(PGconn *conn);
/* Parses options from argv[first]: 0 to go on, 1 when --help was printed,
 * -1 on a usage error (printed). */
int admin_parse_options(int argc, char **argv, int first, opt_slot *slots, size_t nslots,
                        const char **positional, const char *help);
/* Prints a query's rows as aligned columns. 0, or 1 on failure. */
int admin_print_query(const globals *g, const char *sql, const char *const *headers,
                      const int *widths, int ncols);

/* The commands of topology.c and routing.c. */
int cmd_import_topology(const globals *g, int argc, char **argv);
int cmd_rules(const globals *g, int argc, char **argv);
int cmd_worker(const globals *g, int argc, char **argv);

#endif
