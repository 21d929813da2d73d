#include "rows_csv.h"

#include <stdlib.h>
#include <string.h>

char *fq_rows_csv(const PGresult *res, const char *first_name)
{
    size_t cap = 4096, len = 0;
    char *csv = malloc(cap);
    for (int r = -1; csv != NULL && r < PQntuples(res); r++) {
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
    }
    if (csv != NULL)
        csv[len] = '\0';
    return csv;
}
