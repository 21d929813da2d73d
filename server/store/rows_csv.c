#include "rows_csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *fq_rows_csv(const PGresult *res, const char *first_name)
{
    return fq_rows_csv_fit(res, first_name, PQntuples(res), SIZE_MAX, NULL);
}

char *fq_rows_csv_fit(const PGresult *res, const char *first_name, int max_rows, size_t max_bytes,
                      int *rows_out)
{
    size_t cap = 4096, len = 0;
    char *csv = malloc(cap);
    int rows = PQntuples(res) < max_rows ? PQntuples(res) : max_rows;
    int done = 0;
    for (int r = -1; csv != NULL && r < rows; r++) {
        size_t row_start = len;
        for (int c = 0; c < PQnfields(res); c++) {
            const char *v = r >= 0                         ? PQgetvalue(res, r, c)
                            : c == 0 && first_name != NULL ? first_name
                                                           : PQfname(res, c);
            size_t need = len + 2 * strlen(v) + 8; /* every quote doubled, quotes, comma */
            if (need > cap) {
                while (cap < need)
                    cap *= 2;
                char *grown = realloc(csv, cap);
                if (grown == NULL) {
                    free(csv);
                    return NULL;
                }
                csv = grown;
            }
            if (c > 0)
                csv[len++] = ',';
            int quote = strpbrk(v, ",\"\r\n") != NULL;
            if (quote)
                csv[len++] = '"';
            for (const char *p = v; *p; p++) {
                if (*p == '"')
                    csv[len++] = '"';
                csv[len++] = *p;
            }
            if (quote)
                csv[len++] = '"';
        }
        csv[len++] = '\n';
        /* Whole rows only; the header always (a page must say its columns). */
        if (r >= 0 && len > max_bytes) {
            len = row_start;
            break;
        }
        if (r >= 0)
            done++;
    }
    if (csv != NULL)
        csv[len] = '\0';
    if (rows_out != NULL)
        *rows_out = done;
    return csv;
}
