/* console_rows: the console's reads bound and decoded (console_rows.h).
 * The column numbers below are the statements' order. */
#include "console_rows.h"

#include "pgarray.h"
#include "pgcolumn.h"
#include "statements.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    COL_ID,
    COL_CATEGORY,
    COL_SEVERITY,
    COL_RISK,
    COL_TITLE,
    COL_ADDRESS,
    COL_TERRITORY,
    COL_TOWN,
    COL_TIER,
    COL_LINE,
    COL_LEAD,
    COL_WORKER,
    COL_CO_UNITS,
    COL_STATE,
    COL_ASSIGNMENT,
    COL_RECORDED,
    COL_ACK_DUE,
    COL_CONCLUDE_DUE,
    COL_OVERDUE,
    COL_ESCALATIONS,
    COL_REPORTER,
    COL_SUPERVISION_DUE,
    COL_OVERDUE_LIMITS,
    COL_EXTERNAL_REF,
    COL_WORKING_TIME,
    COL_SUSPENDED,
    COL_SUSPEND_REASON,
    COL_SUMMARY_END
};
_Static_assert(COL_SUMMARY_END == FQ_CONSOLE_SUMMARY_COLUMNS, "the summary's columns");

/* After the summary: the board's sort key and point, an incident's
 * description and event. */
enum { COL_OPEN_NOT_OVERDUE = COL_SUMMARY_END, COL_OPEN_DUE_US, COL_OPEN_LON };
enum {
    COL_INC_DESCRIPTION = COL_SUMMARY_END,
    COL_INC_SEQ,
    COL_INC_KIND,
    COL_INC_ACTOR,
    COL_INC_AT,
    COL_INC_REASON,
    COL_INC_ACTOR_NAME,
    COL_INC_LON,
    COL_INC_LAT,
    COL_INC_REASON_CODE,
    COL_INC_PHOTO_IDS, /* the photos' columns, arrays (console_incident.sql) */
    COL_INC_PHOTO_TYPES,
    COL_INC_PHOTO_SIZES,
    COL_INC_PHOTO_WIDTHS,
    COL_INC_PHOTO_HEIGHTS,
    COL_INC_PHOTO_SHAS,
    COL_INC_PHOTO_NAMES,
    COL_INC_END
};

/* ---- binders ---- */

static void bind_read(fq_store_op *op, fq_console_read_params *p, const char *statement,
                      int nparams, int result_format)
{
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = FQ_STORE_OP_READ;
    op->statement = statement;
    op->nparams = nparams;
    op->result_format = result_format;
    for (int i = 0; i < nparams; i++)
        op->values[i] = p->text[i];
}

void fq_console_open_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                          const fq_console_open_filter *f, uint32_t limit, int64_t asof_us,
                          const fq_console_open_key *after)
{
    _Static_assert(FQ_SQL_CONSOLE_OPEN_NPARAMS == 14, "console_open.sql's parameters");
    snprintf(p->text[0], sizeof p->text[0], "%s", within);
    snprintf(p->text[1], sizeof p->text[1], "%d", f->tier);
    snprintf(p->text[2], sizeof p->text[2], "%s", f->town);
    snprintf(p->text[3], sizeof p->text[3], "%d", f->line - 1); /* the wire's 0 is "any" */
    snprintf(p->text[4], sizeof p->text[4], "%s", f->assignment);
    snprintf(p->text[5], sizeof p->text[5], "%s", f->overdue_only ? "true" : "false");
    snprintf(p->text[6], sizeof p->text[6], "%" PRIu32, limit);
    snprintf(p->text[7], sizeof p->text[7], "%s", f->supervised_only ? "true" : "false");
    snprintf(p->text[8], sizeof p->text[8], "%" PRId64, asof_us);
    if (after != NULL) {
        snprintf(p->text[9], sizeof p->text[9], "%lld", after->not_overdue);
        snprintf(p->text[10], sizeof p->text[10], "%lld", after->severity);
        snprintf(p->text[11], sizeof p->text[11], "%lld", after->due_us);
        snprintf(p->text[12], sizeof p->text[12], "%lld", after->id);
    }
    snprintf(p->text[13], sizeof p->text[13], "%d", f->severity);
    bind_read(op, p, FQ_SQL_CONSOLE_OPEN_NAME, FQ_SQL_CONSOLE_OPEN_NPARAMS, 1);
    if (after == NULL)
        for (int k = 9; k <= 12; k++)
            op->values[k] = NULL;
}

void fq_console_incident_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                              uint64_t incident_id, uint64_t after, uint32_t limit)
{
    _Static_assert(FQ_SQL_CONSOLE_INCIDENT_NPARAMS == 4, "console_incident.sql's parameters");
    snprintf(p->text[0], sizeof p->text[0], "%s", within);
    snprintf(p->text[1], sizeof p->text[1], "%" PRIu64, incident_id);
    snprintf(p->text[2], sizeof p->text[2], "%" PRIu64, after);
    snprintf(p->text[3], sizeof p->text[3], "%" PRIu32, limit);
    bind_read(op, p, FQ_SQL_CONSOLE_INCIDENT_NAME, FQ_SQL_CONSOLE_INCIDENT_NPARAMS, 1);
}

void fq_console_search_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                            const char *text, uint32_t limit, uint64_t before)
{
    _Static_assert(FQ_SQL_CONSOLE_SEARCH_NPARAMS == 6, "console_search.sql's parameters");
    snprintf(p->text[0], sizeof p->text[0], "%s", within);
    /* $2: the id the text names, if it is a number. */
    char *end = NULL;
    unsigned long long id = strtoull(text, &end, 10);
    int is_id = text[0] >= '0' && text[0] <= '9' && *end == '\0' && id > 0 &&
                id <= (unsigned long long)INT64_MAX;
    snprintf(p->text[1], sizeof p->text[1], "%llu", is_id ? id : 0ULL);
    /* $3: '%text%' with LIKE's own characters escaped (each byte at most
     * doubled: the pattern's buffer holds the longest text). */
    snprintf(p->search, sizeof p->search, "%s", text);
    char *q = p->pattern;
    *q++ = '%';
    for (const char *c = p->search; *c != '\0'; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            *q++ = '\\';
        *q++ = *c;
    }
    *q++ = '%';
    *q = '\0';
    snprintf(p->text[4], sizeof p->text[4], "%" PRIu32, limit);
    snprintf(p->text[5], sizeof p->text[5], "%" PRIu64, before);
    bind_read(op, p, FQ_SQL_CONSOLE_SEARCH_NAME, FQ_SQL_CONSOLE_SEARCH_NPARAMS, 1);
    if (!is_id)
        op->values[1] = NULL;
    op->values[2] = p->pattern;
    op->values[3] = p->search;
    if (before == 0)
        op->values[5] = NULL;
}

void fq_console_stats_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                           int64_t from_ms, int64_t to_ms, const char *by, uint64_t offset,
                           uint32_t limit)
{
    _Static_assert(FQ_SQL_CONSOLE_STATS_NPARAMS == 6, "console_stats.sql's parameters");
    snprintf(p->text[0], sizeof p->text[0], "%s", within);
    snprintf(p->text[1], sizeof p->text[1], "%" PRId64, from_ms);
    snprintf(p->text[2], sizeof p->text[2], "%" PRId64, to_ms);
    snprintf(p->text[3], sizeof p->text[3], "%s", by);
    snprintf(p->text[4], sizeof p->text[4], "%" PRIu64, offset);
    snprintf(p->text[5], sizeof p->text[5], "%" PRIu32, limit);
    bind_read(op, p, FQ_SQL_CONSOLE_STATS_NAME, FQ_SQL_CONSOLE_STATS_NPARAMS, 0);
}

/* ---- decoders (binary results) ---- */

/* int4 or int8 (NULL: 0): the console's columns are never smallint, so an
 * int2 here means the statement and its decoder disagree. -1 then. */
static int get_int(const PGresult *res, int row, int col, int64_t *v)
{
    if (!PQgetisnull(res, row, col) && PQgetlength(res, row, col) == 2)
        return -1;
    return fq_pgcol_int(res, row, col, v);
}

/* A text[] into co_buf, the elements listed in co: how many, or -1. */
static int get_ids(const PGresult *res, int row, int col, char **co, size_t max_co, char *co_buf,
                   size_t co_len)
{
    fq_pgfield f = fq_pgcol_field(res, row, col);
    if (f.len == -1)
        return 0;
    fq_pgarray_reader r;
    if (fq_pgarray_read_begin(&r, f.p, (size_t)f.len, FQ_PG_TEXT) != 0)
        return -1;
    size_t n = 0, used = 0;
    const uint8_t *e;
    int32_t len;
    int more;
    while ((more = fq_pgarray_read_next(&r, &e, &len)) == 1) {
        if (e == NULL || n == max_co || used + (size_t)len + 1 > co_len)
            continue; /* a NULL, or more than a summary lists */
        memcpy(co_buf + used, e, (size_t)len);
        co_buf[used + (size_t)len] = '\0';
        co[n++] = co_buf + used;
        used += (size_t)len + 1;
    }
    return more == 0 ? (int)n : -1;
}

int fq_console_summary_row(const PGresult *res, int row, Fengqiao__V1__IncidentSummary *s,
                           char **co, size_t max_co, char *co_buf, size_t co_len)
{
    fengqiao__v1__incident_summary__init(s);
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < COL_SUMMARY_END ||
        PQfformat(res, COL_ID) != 1)
        return -1;
    int64_t id, severity, risk, tier, line, escalations, limits;
    int overdue, working;
    int64_t recorded, ack_due, conclude_due, supervision_due, suspended;
    int n_co = get_ids(res, row, COL_CO_UNITS, co, max_co, co_buf, co_len);
    if (get_int(res, row, COL_ID, &id) != 0 || get_int(res, row, COL_SEVERITY, &severity) != 0 ||
        get_int(res, row, COL_RISK, &risk) != 0 || get_int(res, row, COL_TIER, &tier) != 0 ||
        get_int(res, row, COL_LINE, &line) != 0 ||
        get_int(res, row, COL_ESCALATIONS, &escalations) != 0 ||
        get_int(res, row, COL_OVERDUE_LIMITS, &limits) != 0 ||
        fq_pgcol_bool(res, row, COL_OVERDUE, &overdue) != 0 ||
        fq_pgcol_bool(res, row, COL_WORKING_TIME, &working) != 0 ||
        fq_pgcol_ms(res, row, COL_RECORDED, &recorded) != 0 ||
        fq_pgcol_ms(res, row, COL_ACK_DUE, &ack_due) != 0 ||
        fq_pgcol_ms(res, row, COL_CONCLUDE_DUE, &conclude_due) != 0 ||
        fq_pgcol_ms(res, row, COL_SUPERVISION_DUE, &supervision_due) != 0 ||
        fq_pgcol_ms(res, row, COL_SUSPENDED, &suspended) != 0 || n_co < 0)
        return -1;
    s->incident_id = (uint64_t)id;
    s->category = fq_pgcol_text(res, row, COL_CATEGORY);
    s->severity = (Fengqiao__V1__Severity)severity;
    s->risk = (Fengqiao__V1__Risk)risk;
    s->title = fq_pgcol_text(res, row, COL_TITLE);
    s->address = fq_pgcol_text(res, row, COL_ADDRESS);
    s->territory = fq_pgcol_text(res, row, COL_TERRITORY);
    s->town = fq_pgcol_text(res, row, COL_TOWN);
    s->tier = (Fengqiao__V1__Tier)tier;
    s->line = (Fengqiao__V1__Line)(line + 1); /* stored -1: the wire's 0, "none" */
    s->lead_unit = fq_pgcol_text(res, row, COL_LEAD);
    s->worker = fq_pgcol_text(res, row, COL_WORKER);
    s->co_units = co;
    s->n_co_units = (size_t)n_co;
    s->state = fq_pgcol_text(res, row, COL_STATE);
    s->assignment = fq_pgcol_text(res, row, COL_ASSIGNMENT);
    s->recorded_at_ms = recorded;
    s->acknowledge_due_ms = ack_due;
    s->conclude_due_ms = conclude_due;
    s->overdue = overdue;
    s->escalations = (uint32_t)escalations;
    s->reporter_node = fq_pgcol_text(res, row, COL_REPORTER);
    s->supervision_due_ms = supervision_due;
    s->overdue_limits = (uint32_t)limits;
    s->external_ref = fq_pgcol_text(res, row, COL_EXTERNAL_REF);
    s->working_time = working;
    s->suspended_at_ms = suspended;
    s->suspend_reason = fq_pgcol_text(res, row, COL_SUSPEND_REASON);
    return 0;
}

int fq_console_point(const PGresult *res, int row, int lon_col, Fengqiao__V1__GeoPoint *point)
{
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < lon_col + 2)
        return 0;
    fq_pgfield lon = fq_pgcol_field(res, row, lon_col), lat = fq_pgcol_field(res, row, lon_col + 1);
    if (lon.len != 8 || lat.len != 8)
        return 0;
    fengqiao__v1__geo_point__init(point);
    point->lon = fq_pg_get_float8(lon.p);
    point->lat = fq_pg_get_float8(lat.p);
    return 1;
}

int fq_console_open_key_row(const PGresult *res, int row, fq_console_open_key *key)
{
    int64_t not_overdue, severity, due, id;
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < COL_OPEN_LON ||
        get_int(res, row, COL_OPEN_NOT_OVERDUE, &not_overdue) != 0 ||
        get_int(res, row, COL_SEVERITY, &severity) != 0 ||
        get_int(res, row, COL_OPEN_DUE_US, &due) != 0 || get_int(res, row, COL_ID, &id) != 0)
        return -1;
    key->not_overdue = not_overdue;
    key->severity = severity;
    key->due_us = due;
    key->id = id;
    return 0;
}

const char *fq_console_description(const PGresult *res, int row)
{
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < COL_INC_END)
        return "";
    return fq_pgcol_text(res, row, COL_INC_DESCRIPTION);
}

int fq_console_event_row(const PGresult *res, int row, Fengqiao__V1__TimelineEvent *ev)
{
    fengqiao__v1__timeline_event__init(ev);
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < COL_INC_END)
        return -1;
    if (PQgetisnull(res, row, COL_INC_SEQ))
        return 0;
    int64_t seq, at;
    if (get_int(res, row, COL_INC_SEQ, &seq) != 0 || fq_pgcol_ms(res, row, COL_INC_AT, &at) != 0)
        return -1;
    ev->seq = (uint64_t)seq;
    ev->kind = fq_pgcol_text(res, row, COL_INC_KIND);
    ev->actor = fq_pgcol_text(res, row, COL_INC_ACTOR);
    ev->at_ms = at;
    ev->reason = fq_pgcol_text(res, row, COL_INC_REASON);
    ev->actor_name = fq_pgcol_text(res, row, COL_INC_ACTOR_NAME);
    ev->reason_code = fq_pgcol_text(res, row, COL_INC_REASON_CODE);
    return 1;
}

/* One array column of the photos' (element type `oid`), begun: 0, or -1
 * when it is not such an array of `count` elements. */
static int photo_column(const PGresult *res, int row, int col, uint32_t oid, uint32_t count,
                        fq_pgarray_reader *r)
{
    if (PQgetisnull(res, row, col) ||
        fq_pgarray_read_begin(r, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col),
                              oid) != 0)
        return -1;
    return r->count == count ? 0 : -1;
}

size_t fq_console_event_attachments(const PGresult *res, int row,
                                    Fengqiao__V1__TimelineAttachment *out, uint8_t (*sha)[32],
                                    size_t max, char **copy)
{
    *copy = NULL;
    fq_pgarray_reader ids, col[6];
    static const uint32_t oids[6] = {FQ_PG_TEXT, FQ_PG_INT4,  FQ_PG_INT4,
                                     FQ_PG_INT4, FQ_PG_BYTEA, FQ_PG_TEXT};
    if (res == NULL || row >= PQntuples(res) || PQnfields(res) < COL_INC_END ||
        PQgetisnull(res, row, COL_INC_PHOTO_IDS) ||
        fq_pgarray_read_begin(&ids, PQgetvalue(res, row, COL_INC_PHOTO_IDS),
                              (size_t)PQgetlength(res, row, COL_INC_PHOTO_IDS), FQ_PG_INT8) != 0)
        return 0;
    for (int c = 0; c < 6; c++)
        if (photo_column(res, row, COL_INC_PHOTO_TYPES + c, oids[c], ids.count, &col[c]) != 0)
            return 0;
    /* The names, NUL-terminated, in one copy: at most the column's bytes. */
    *copy = malloc((size_t)PQgetlength(res, row, COL_INC_PHOTO_NAMES) + 1);
    if (*copy == NULL)
        return 0;
    size_t n = 0, used = 0;
    for (uint32_t k = 0; k < ids.count && n < max; k++) {
        const uint8_t *id, *e[6];
        int32_t id_len, len[6];
        int ok = fq_pgarray_read_next(&ids, &id, &id_len) == 1 && id_len == 8;
        for (int c = 0; c < 6; c++)
            ok = fq_pgarray_read_next(&col[c], &e[c], &len[c]) == 1 && e[c] != NULL && ok;
        if (!ok || len[1] != 4 || len[2] != 4 || len[3] != 4 || len[4] != 32)
            return n; /* the table's NOT NULLs and CHECKs allow nothing else */
        Fengqiao__V1__TimelineAttachment *a = &out[n];
        fengqiao__v1__timeline_attachment__init(a);
        a->id = (uint64_t)fq_pg_get_int8(id);
        /* The table's CHECK allows these two only: point at constants. */
        a->content_type =
            len[0] == 9 && memcmp(e[0], "image/png", 9) == 0 ? "image/png" : "image/jpeg";
        a->size = (uint64_t)fq_pg_get_int4(e[1]);
        a->width = (uint32_t)fq_pg_get_int4(e[2]);
        a->height = (uint32_t)fq_pg_get_int4(e[3]);
        memcpy(sha[n], e[4], 32);
        a->sha256.data = sha[n];
        a->sha256.len = 32;
        a->name = *copy + used;
        memcpy(*copy + used, e[5], (size_t)len[5]);
        used += (size_t)len[5];
        (*copy)[used++] = '\0';
        n++;
    }
    return n;
}
