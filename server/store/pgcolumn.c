#include "pgcolumn.h"

#include "pgarray.h"

int fq_pgcol_int(const PGresult *res, int row, int col, int64_t *v)
{
    if (PQgetisnull(res, row, col)) {
        *v = 0;
        return 0;
    }
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, row, col);
    switch (PQgetlength(res, row, col)) {
    case 2:
        *v = fq_pg_get_int2(p);
        return 0;
    case 4:
        *v = fq_pg_get_int4(p);
        return 0;
    case 8:
        *v = fq_pg_get_int8(p);
        return 0;
    }
    return -1;
}

int fq_pgcol_bool(const PGresult *res, int row, int col, int *v)
{
    if (PQgetisnull(res, row, col)) {
        *v = 0;
        return 0;
    }
    if (PQgetlength(res, row, col) != 1)
        return -1;
    *v = PQgetvalue(res, row, col)[0] != 0;
    return 0;
}

int fq_pgcol_ms(const PGresult *res, int row, int col, int64_t *ms)
{
    if (PQgetisnull(res, row, col)) {
        *ms = 0;
        return 0;
    }
    if (PQgetlength(res, row, col) != 8)
        return -1;
    int64_t us = fq_pg_get_timestamptz((const uint8_t *)PQgetvalue(res, row, col)) + 500;
    *ms = us / 1000 - (us % 1000 < 0); /* rounds down, before 1970 too */
    return 0;
}
