/* judgment_rows: fq_judgment_incidents' rows for the judgment core
 * (judgment_rows.h). */
#include "judgment_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_ID,
    C_AT,
    C_CATEGORY,
    C_TOWN,
    C_LON,
    C_LAT,
    C_PHONE,
    C_NAME,
    C_ADDRESS,
    C_UNIT,
    C_CATEGORY_NAME,
    C_TOWN_NAME,
    C_TITLE,
    N_COLUMNS
};

int fq_jd_rows_decode(const PGresult *res, fq_jd_rows *out)
{
    memset(out, 0, sizeof *out);
    if (PQnfields(res) != N_COLUMNS)
        return -1;
    size_t n = (size_t)PQntuples(res), key_bytes = 1;
    /* A key is never longer than the value it comes from. */
    for (size_t i = 0; i < n; i++)
        key_bytes += (size_t)PQgetlength(res, (int)i, C_PHONE) +
                     (size_t)PQgetlength(res, (int)i, C_NAME) +
                     (size_t)PQgetlength(res, (int)i, C_ADDRESS) + 3;
    out->incidents = calloc(n ? n : 1, sizeof *out->incidents);
    out->rows = calloc(n ? n : 1, sizeof *out->rows);
    out->keys = malloc(key_bytes);
    if (out->incidents == NULL || out->rows == NULL || out->keys == NULL) {
        fq_jd_rows_free(out);
        return -1;
    }
    char *k = out->keys;
    for (size_t i = 0; i < n; i++) {
        int r = (int)i;
        fq_jd_incident *x = &out->incidents[i];
        fq_jd_row *w = &out->rows[i];
        x->id = strtoll(PQgetvalue(res, r, C_ID), NULL, 10);
        x->at_ms = strtoll(PQgetvalue(res, r, C_AT), NULL, 10);
        x->category = PQgetvalue(res, r, C_CATEGORY);
        x->town = PQgetvalue(res, r, C_TOWN);
        x->has_point = !PQgetisnull(res, r, C_LON) && !PQgetisnull(res, r, C_LAT);
        x->lon = x->has_point ? strtod(PQgetvalue(res, r, C_LON), NULL) : NAN;
        x->lat = x->has_point ? strtod(PQgetvalue(res, r, C_LAT), NULL) : NAN;
        w->phone = PQgetvalue(res, r, C_PHONE);
        w->name = PQgetvalue(res, r, C_NAME);
        w->address = PQgetvalue(res, r, C_ADDRESS);
        w->unit = PQgetvalue(res, r, C_UNIT);
        w->category_name = PQgetvalue(res, r, C_CATEGORY_NAME);
        w->town_name = PQgetvalue(res, r, C_TOWN_NAME);
        w->title = PQgetvalue(res, r, C_TITLE);
        size_t len;
        x->phone = k;
        len = fq_jd_norm_phone(w->phone, k, strlen(w->phone) + 1);
        k += len + 1;
        x->person = k;
        len = fq_jd_norm_name(w->name, k, strlen(w->name) + 1);
        k += len + 1;
        x->address = k;
        len = fq_jd_norm_address(w->address, k, strlen(w->address) + 1);
        k += len + 1;
    }
    out->n = n;
    return 0;
}

void fq_jd_rows_free(fq_jd_rows *rows)
{
    free(rows->incidents);
    free(rows->rows);
    free(rows->keys);
    memset(rows, 0, sizeof *rows);
}
