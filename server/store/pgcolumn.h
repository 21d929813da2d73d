/* pgcolumn: one column of a binary libpq result as a C value — the
 * decoders of stored rows (case_rows, console_rows, routing_state) read
 * their columns through these instead of each keeping its own copy. */
#ifndef FQ_PGCOLUMN_H
#define FQ_PGCOLUMN_H

#include <libpq-fe.h>
#include <stdint.h>

/* A column's bytes as sent, and its length (-1: NULL). */
typedef struct fq_pgfield {
    const uint8_t *p;
    int len;
} fq_pgfield;

static inline fq_pgfield fq_pgcol_field(const PGresult *res, int row, int col)
{
    fq_pgfield f = {NULL, -1};
    if (!PQgetisnull(res, row, col)) {
        f.p = (const uint8_t *)PQgetvalue(res, row, col);
        f.len = PQgetlength(res, row, col);
    }
    return f;
}

/* The same readers for a field that is not in a PGresult (a row of a
 * binary COPY: copy_rows.h). */
int fq_pgfield_int(fq_pgfield f, int64_t *v);
int fq_pgfield_bool(fq_pgfield f, int *v);
int fq_pgfield_ms(fq_pgfield f, int64_t *ms);

/* An integer of any of PostgreSQL's widths (smallint, integer, bigint);
 * NULL is 0. -1 for another size. */
int fq_pgcol_int(const PGresult *res, int row, int col, int64_t *v);

/* A bool; NULL is false. -1 for another size. */
int fq_pgcol_bool(const PGresult *res, int row, int col, int *v);

/* A timestamptz as ms since 1970, rounded to the nearest ms (half up, as
 * the text of date_part('epoch', t) * 1000 was); NULL is 0. -1 for another
 * size. */
int fq_pgcol_ms(const PGresult *res, int row, int col, int64_t *ms);

/* text: libpq ends every value with a NUL, binary ones too; NULL is "". */
static inline char *fq_pgcol_text(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col);
}

#endif
