#include "pgcolumn.h"

#include "pgarray.h"

int fq_pgfield_int(fq_pgfield f, int64_t *v)
{
    switch (f.len) {
    case -1:
        *v = 0;
        return 0;
    case 2:
        *v = fq_pg_get_int2(f.p);
        return 0;
    case 4:
        *v = fq_pg_get_int4(f.p);
        return 0;
    case 8:
        *v = fq_pg_get_int8(f.p);
        return 0;
    }
    return -1;
}

int fq_pgfield_bool(fq_pgfield f, int *v)
{
    if (f.len == -1) {
        *v = 0;
        return 0;
    }
    if (f.len != 1)
        return -1;
    *v = f.p[0] != 0;
    return 0;
}

int fq_pgfield_ms(fq_pgfield f, int64_t *ms)
{
    if (f.len == -1) {
        *ms = 0;
        return 0;
    }
    if (f.len != 8)
        return -1;
    int64_t us = fq_pg_get_timestamptz(f.p) + 500;
    *ms = us / 1000 - (us % 1000 < 0); /* rounds down, before 1970 too */
    return 0;
}

int fq_pgcol_int(const PGresult *res, int row, int col, int64_t *v)
{
    return fq_pgfield_int(fq_pgcol_field(res, row, col), v);
}

int fq_pgcol_bool(const PGresult *res, int row, int col, int *v)
{
    return fq_pgfield_bool(fq_pgcol_field(res, row, col), v);
}

int fq_pgcol_ms(const PGresult *res, int row, int col, int64_t *ms)
{
    return fq_pgfield_ms(fq_pgcol_field(res, row, col), ms);
}
