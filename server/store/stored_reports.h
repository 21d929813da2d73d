/* stored_reports: the batch-wide lookup of reports that are stored already
 * (sql/stored_reports.sql, docs/write-path.md "Resends in a batch"): its
 * two parameters, bound from the reports' own (node, message id), and its
 * rows decoded into the answer FQ_SQL_INSERT_REPORT gives a resend. The
 * one place both are done; no connection here (test_stored_reports). */
#ifndef FQ_STORED_REPORTS_H
#define FQ_STORED_REPORTS_H

#include "pgarray.h"
#include "store.h"

#include <libpq-fe.h>
#include <stddef.h>

/* The result format the lookup asks for: binary. */
#define FQ_STORED_REPORTS_FORMAT 1

/* The lookup of ops[0..n) (FQ_STORE_OP_REPORT ops: the node and message id
 * of their parameters, op->report, write_params.h) as two binary arrays
 * written into buf: values, lengths and formats of $1 and $2, pointing
 * into buf (valid until it is reset or freed). 0, or -1 when out of memory
 * or an op has no parameters, no node or a message id outside
 * 1 .. 2^63-1. */
int fq_stored_reports_bind(fq_pgbuf *buf, fq_store_op *const *ops, size_t n, const char *values[2],
                           int lengths[2], int formats[2]);

/* Row `row` of the lookup's result, for the ops it was bound with: the
 * position of its op in ops[0..n) (0-based), whose answer fields are set as
 * FQ_SQL_INSERT_REPORT sets them for a report it did not create
 * (incident_id, created 0, recorded_at_ms, event_seq, stored_digest,
 * stored_outcome, stored_nonce) and got_row 1. -1 when the row is not such a
 * row (wrong columns, a position outside the ops, a digest that is not 32
 * bytes, an outcome longer than FQ_STORE_MAX_OUTCOME): no op is touched. */
int fq_stored_report_row(const PGresult *res, int row, fq_store_op *const *ops, size_t n);

#endif
