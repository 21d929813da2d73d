/* rows_csv: a query's rows as CSV text (RFC 4180: a field is quoted when it
 * holds a comma, a quote or a line break), with a header line of the
 * column names — what the console's statistics and fengqiao-admin stats
 * --csv print. */
#ifndef FQ_ROWS_CSV_H
#define FQ_ROWS_CSV_H

#include <libpq-fe.h>

/* malloc'd, NUL-terminated; NULL when out of memory. `first_name` replaces
 * the first column's name in the header (NULL: as the query named it). */
char *fq_rows_csv(const PGresult *res, const char *first_name);

/* The header and the first rows, as many whole rows as keep the text within
 * `max_bytes` (the header always) and at most `max_rows`; *rows_out (if not
 * NULL) says how many. For a reply under the frame limit. */
char *fq_rows_csv_fit(const PGresult *res, const char *first_name, int max_rows, size_t max_bytes,
                      int *rows_out);

#endif
