/* pgerror: a failed statement described for a log line, an audit row or a
 * reply, without the data it failed on. PostgreSQL's full error text carries
 * the row: "DETAIL: Failing row contains (…, 王小明, +86 138…, …)" for a check
 * or not-null violation, "Key (external_ref)=(…)" for a unique one. Those
 * are reporters' names, phones and addresses, which no log may hold.
 *
 * What is kept: the SQLSTATE, the constraint, table, column and data type
 * names (the schema's words), and the primary message: whole for the
 * SQLSTATE classes whose primary message names schema objects and never
 * quotes a value (integrity violations, connection, transaction, resource,
 * operator, syntax and internal errors, our own RAISE messages, which name
 * unit ids); for class 22 (data exceptions: 'invalid input syntax for type
 * integer: "…"', 'value "…" is out of range') and every class not known to
 * be safe, with the values taken out (fq_pg_redact_values): it still says
 * what went wrong, not with what. DETAIL, HINT and CONTEXT are never used. */
#ifndef FQ_PGERROR_H
#define FQ_PGERROR_H

#include <libpq-fe.h>
#include <stddef.h>

/* 1 when errors of this SQLSTATE (NULL or "": libpq's own errors) have a
 * primary message that quotes no data values. */
int fq_pg_primary_is_safe(const char *sqlstate);

/* `message` with every double-quoted part replaced by "…" and everything
 * after the first ": " (where data exceptions put the value, quoted or not:
 * 'invalid byte sequence for encoding "UTF8": 0xe4 0xb8') replaced by "…". */
void fq_pg_redact_values(const char *message, char *out, size_t cap);

/* "SQLSTATE 23514, constraint incidents_title_check, table incidents: new row
 * for relation "incidents" violates check constraint "…"" — one line, no
 * newline, truncated to `cap`. `res` may be NULL (then: "no result"). */
void fq_pg_error_describe(const PGresult *res, char *out, size_t cap);

#endif
