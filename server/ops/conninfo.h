/* conninfo: what fengqiao asks of a PostgreSQL connection string before
 * using it. Read with libpq's own parser (PQconninfoParse), so key=value
 * strings and postgresql:// URIs are read exactly as libpq will. */
#ifndef FQ_CONNINFO_H
#define FQ_CONNINFO_H

#include <stddef.h>

/* 1 when `conninfo` carries a password (password=… or a URI's user:pass@),
 * 0 when it does not, -1 when libpq cannot parse it (its message in err). */
int fq_conninfo_has_password(const char *conninfo, char *err, size_t err_len);

/* Why a password must not be on a command line, and where it goes instead:
 * for the messages of fengqiaod and fengqiao-admin. */
#define FQ_CONNINFO_PASSWORD_HINT                                                                  \
    "a password on the command line is visible to every user of the machine (ps, "                 \
    "/proc/PID/cmdline): put it in the config file (--config, mode 0600 or 0640), in "             \
    "a PGPASSFILE (~/.pgpass), or in the environment (PGPASSWORD, or FQ_DB holding the "           \
    "whole connection string)"

#endif
