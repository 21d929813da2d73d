/* migrate: applies migrations/NNNN_name.sql in order, each in its own
 * transaction, recorded in schema_migrations with its SHA-256; serialised
 * across concurrent runs by an advisory lock; running it again does nothing. */
#ifndef FQ_MIGRATE_H
#define FQ_MIGRATE_H

#include <libpq-fe.h>

/* Returns 0 (prints what it applied) or -1 (prints why). */
int fq_migrate(PGconn *conn, const char *dir, int quiet);

#endif
