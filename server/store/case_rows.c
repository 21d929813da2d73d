/* case_rows: FQ_SQL_CASE_COLUMNS decoded from binary results (see
 * case_rows.h). The column numbers below are the statement's order. */
#include "case_rows.h"

#include "pgarray.h"
#include "pgcolumn.h"
#include "statements.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
    COL_ID,
    COL_CATEGORY,
    COL_SEVERITY,
    COL_RISK,
    COL_PLACE_UNIT,
    COL_LON,
    COL_LAT,
    COL_REPORTER_NODE,
    COL_TIER,
    COL_LINE,
    COL_TERRITORY,
    COL_WORKER,
    COL_ACK_WARN,
    COL_ACK_DUE,
    COL_CONCLUDE_WARN,
    COL_CONCLUDE_DUE,
    COL_ESCALATIONS,
    COL_RECORDED,
    COL_BREACHED,
    COL_LEAD,
    COL_CO_UNITS,
    COL_ASSIGNMENT,
    COL_EXTENSION,
    COL_SUPERVISION,
    COL_INCIDENT_AT,
    COL_WORKING_TIME,
    COL_SUSPENDED,
    COL_CLIMBED,
    COL_MEDIATION,
    COL_COUNT
};

_Static_assert(COL_COUNT == FQ_CASE_ROW_COLUMNS, "case_rows.h names the column count");

static int get_small(fq_pgfield f, int *v)
{
    int64_t x;
    if (fq_pgfield_int(f, &x) != 0 || x < -32768 || x > 32767)
        return -1;
    *v = (int)x;
    return 0;
}

/* Text, NUL-terminated by whoever filled the field; NULL is "". */
static const char *get_text(fq_pgfield f)
{
    return f.len == -1 ? "" : (const char *)f.p;
}

/* The co-handlers: a text[] (NULL or empty: none). */
static int get_co(fq_pgfield f, fq_case_row *out)
{
    out->n_co = 0;
    if (f.len == -1)
        return 0;
    fq_pgarray_reader r;
    if (fq_pgarray_read_begin(&r, f.p, (size_t)f.len, FQ_PG_TEXT) != 0)
        return -1;
    const uint8_t *element;
    int32_t len;
    int more;
    while ((more = fq_pgarray_read_next(&r, &element, &len)) == 1) {
        if (element == NULL || len <= 0 || len >= FQ_CASE_ROW_ID_SIZE ||
            out->n_co == FQ_CASE_ROW_MAX_CO)
            continue; /* none is that long or that many: nothing to find */
        memcpy(out->co[out->n_co], element, (size_t)len);
        out->co[out->n_co][len] = '\0';
        out->n_co++;
    }
    return more == 0 ? 0 : -1;
}

int fq_case_row_decode_fields(const fq_pgfield *f, int nfields, fq_case_row *out)
{
    int64_t id;
    if (nfields < COL_COUNT) /* before any column is read: the rest may not be set */
        return -1;
    fq_pgfield lon = f[COL_LON], lat = f[COL_LAT], working = f[COL_WORKING_TIME];
    if (fq_pgfield_int(f[COL_ID], &id) != 0 || id <= 0 || (lon.len != -1 && lon.len != 8) ||
        (lat.len != -1 && lat.len != 8) || lon.len != lat.len ||
        (working.len != -1 && working.len != 1))
        return -1;
    out->id = (uint64_t)id;
    out->has_location = lon.len == 8;
    out->lon = out->has_location ? fq_pg_get_float8(lon.p) : 0;
    out->lat = out->has_location ? fq_pg_get_float8(lat.p) : 0;
    out->working_time = working.len == 1 && working.p[0] != 0;
    out->category = get_text(f[COL_CATEGORY]);
    out->place_unit = get_text(f[COL_PLACE_UNIT]);
    out->reporter_node = get_text(f[COL_REPORTER_NODE]);
    out->territory = get_text(f[COL_TERRITORY]);
    out->worker = get_text(f[COL_WORKER]);
    out->lead = get_text(f[COL_LEAD]);
    out->assignment = get_text(f[COL_ASSIGNMENT]);
    out->mediation = get_text(f[COL_MEDIATION]);
    if (get_small(f[COL_SEVERITY], &out->severity) != 0 ||
        get_small(f[COL_RISK], &out->risk) != 0 || get_small(f[COL_TIER], &out->tier) != 0 ||
        get_small(f[COL_LINE], &out->line) != 0 ||
        get_small(f[COL_ESCALATIONS], &out->escalations) != 0 ||
        get_small(f[COL_BREACHED], &out->breached) != 0 ||
        get_small(f[COL_CLIMBED], &out->climbed) != 0)
        return -1;
    if (fq_pgfield_ms(f[COL_ACK_WARN], &out->ack_warn_ms) != 0 ||
        fq_pgfield_ms(f[COL_ACK_DUE], &out->ack_due_ms) != 0 ||
        fq_pgfield_ms(f[COL_CONCLUDE_WARN], &out->conclude_warn_ms) != 0 ||
        fq_pgfield_ms(f[COL_CONCLUDE_DUE], &out->conclude_due_ms) != 0 ||
        fq_pgfield_ms(f[COL_RECORDED], &out->recorded_ms) != 0 ||
        fq_pgfield_ms(f[COL_EXTENSION], &out->extension_ms) != 0 ||
        fq_pgfield_ms(f[COL_SUPERVISION], &out->supervision_ms) != 0 ||
        fq_pgfield_ms(f[COL_INCIDENT_AT], &out->incident_at_ms) != 0 ||
        fq_pgfield_ms(f[COL_SUSPENDED], &out->suspended_ms) != 0)
        return -1;
    return get_co(f[COL_CO_UNITS], out);
}

int fq_case_row_decode(const PGresult *res, int row, fq_case_row *out)
{
    if (res == NULL || row < 0 || row >= PQntuples(res) || PQnfields(res) < COL_COUNT ||
        PQfformat(res, COL_ID) != 1)
        return -1;
    fq_pgfield f[COL_COUNT];
    for (int col = 0; col < COL_COUNT; col++)
        f[col] = fq_pgcol_field(res, row, col); /* libpq ends every value with a NUL */
    return fq_case_row_decode_fields(f, COL_COUNT, out);
}

void fq_reopen_row_bind(fq_store_op *op, fq_reopen_row_params *p, uint64_t incident_id,
                        const char *within)
{
    snprintf(p->incident, sizeof p->incident, "%" PRIu64, incident_id);
    snprintf(p->within, sizeof p->within, "%s", within);
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = FQ_STORE_OP_READ;
    op->statement = FQ_SQL_REOPEN_ROW_NAME;
    op->nparams = FQ_SQL_REOPEN_ROW_NPARAMS;
    op->values[0] = p->incident;
    op->values[1] = p->within;
    op->result_format = 1;
}

const char *fq_reopen_row_state(const PGresult *res, int row)
{
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) != COL_COUNT + 1 ||
        PQgetisnull(res, row, COL_COUNT))
        return "";
    return PQgetvalue(res, row, COL_COUNT); /* text: its bytes, NUL-terminated by libpq */
}
