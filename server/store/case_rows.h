/* case_rows: an open incident's case as stored, decoded from one binary
 * result row of FQ_SQL_CASE_COLUMNS (statements.h) — the columns' order and
 * types are this module's, in one place. Read by the start-up load (the
 * rows of FQ_SQL_OPEN_COPY, from a binary COPY: fq_case_row_decode_fields),
 * a standby's catch-up and a reopen (FQ_SQL_REOPEN_ROW, whose extra
 * columns follow these), all in binary: ids, times and
 * coordinates as they are stored, no text to format in PostgreSQL or to
 * parse here. The names it hands back are what the row says; the server
 * looks them up in its snapshot (dispatch.c). */
#ifndef FQ_CASE_ROWS_H
#define FQ_CASE_ROWS_H

#include "pgcolumn.h"

#include <libpq-fe.h>
#include <stdint.h>

typedef struct fq_store_op fq_store_op; /* store.h */

/* FQ_SQL_CASE_COLUMNS has this many columns. */
#define FQ_CASE_ROW_COLUMNS 29
/* Co-handlers kept per case (rules name at most 4, the router adds one). */
#define FQ_CASE_ROW_MAX_CO 8
/* Longest handler id kept, with its NUL (longer ones are dropped). */
#define FQ_CASE_ROW_ID_SIZE 72

typedef struct fq_case_row {
    uint64_t id;
    /* Strings point into the result (valid while it is); "" when NULL. */
    const char *category;
    const char *place_unit;
    const char *reporter_node;
    const char *territory;
    const char *worker;
    const char *lead;       /* "" at village tier: the village's unit */
    const char *assignment; /* "assigned", "acknowledged", ... */
    const char *mediation;  /* "" none, "open", "ended" */
    int severity, risk;
    int has_location;
    double lon, lat;
    int tier, line;
    int escalations;
    int breached; /* bits: 1 acknowledge, 2 conclude, 4 supervision */
    int climbed;
    int working_time; /* its limits count working time */
    /* Times in ms since 1970 (UTC); 0 when NULL. */
    int64_t ack_warn_ms, ack_due_ms, conclude_warn_ms, conclude_due_ms;
    int64_t recorded_ms;
    int64_t extension_ms;   /* asked at, while an extension is requested */
    int64_t supervision_ms; /* a supervision order's reply is due */
    int64_t incident_at_ms; /* when it happened, never after its intake */
    int64_t suspended_ms;
    int n_co;
    char co[FQ_CASE_ROW_MAX_CO][FQ_CASE_ROW_ID_SIZE];
} fq_case_row;

/* Row `row` of `res` (binary results; at least FQ_CASE_ROW_COLUMNS
 * columns) into `out`. 0, or -1 when the row is not such a row (a column
 * of the wrong size, text results, too few columns): a bug or a schema this
 * server does not know, never a reason to crash. */
int fq_case_row_decode(const PGresult *res, int row, fq_case_row *out);
/* The same from a row's fields as PostgreSQL sent them in binary (a row of
 * a binary COPY: open_copy.c), `nfields` of them; every text field must be
 * followed by a NUL (its strings point into the fields). */
int fq_case_row_decode_fields(const fq_pgfield *fields, int nfields, fq_case_row *out);

/* FQ_SQL_REOPEN_ROW's parameters: kept by the caller beside its op until
 * the op is done. */
typedef struct fq_reopen_row_params {
    char incident[24];
    char within[72];
} fq_reopen_row_params;

/* Binds FQ_SQL_REOPEN_ROW on op (kind, statement, parameters, binary
 * results; `done` is the caller's): incident `incident_id` if its place is
 * inside `within` (an org unit id). */
void fq_reopen_row_bind(fq_store_op *op, fq_reopen_row_params *p, uint64_t incident_id,
                        const char *within);

/* The incident's state, the column after the case's in a row of
 * FQ_SQL_REOPEN_ROW ("" when the row is not one). */
const char *fq_reopen_row_state(const PGresult *res, int row);

#endif
