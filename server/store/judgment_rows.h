/* judgment_rows: the rows of fq_judgment_incidents (migration 0029,
 * statements.h FQ_SQL_JUDGMENT_INCIDENTS) as judgment.h takes them, with
 * what a person reads beside each: one decoder, shared by the server
 * (web/findings.c) and `fengqiao-admin judgment`, so both judge the same
 * incidents the same way. The reporter's phone, name and address are
 * normalised here (fq_jd_norm_*). */
#ifndef FQ_JUDGMENT_ROWS_H
#define FQ_JUDGMENT_ROWS_H

#include "judgment.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Beside each incident: strings of the result (they live as long as it). */
typedef struct fq_jd_row {
    const char *unit;          /* the org unit it lies in */
    const char *category_name; /* 邻里纠纷 */
    const char *town_name;     /* 坪山街道; '' at the district itself */
    const char *title;
    const char *address; /* as stored */
    const char *phone;   /* as stored */
    const char *name;    /* as stored */
} fq_jd_row;

typedef struct fq_jd_rows {
    fq_jd_incident *incidents; /* judgment.h's input */
    fq_jd_row *rows;           /* the same index */
    size_t n;
    char *keys; /* the normalised keys the incidents point into */
} fq_jd_rows;

/* Decodes a result of the statement (text format, its 13 columns). 0, or -1
 * when out of memory or the result has other columns (out is then empty). */
int fq_jd_rows_decode(const PGresult *res, fq_jd_rows *out);
void fq_jd_rows_free(fq_jd_rows *rows);

#endif
