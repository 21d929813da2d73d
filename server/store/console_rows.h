/* console_rows: the console's reads (sql/console_open.sql, _incident,
 * _search, _stats), each bound here by one typed binder and read by the
 * decoders beside it, so that a statement's parameters and columns are
 * numbered in one place. The board, an incident and a search come back in
 * binary (ints, times, bools, floats and the co-handlers' text[] as
 * PostgreSQL sends them: no text to format there or to parse here); the
 * statistics in text, their cells shown as they are. Names are not read:
 * the console takes them from the server's snapshot. */
#ifndef FQ_CONSOLE_ROWS_H
#define FQ_CONSOLE_ROWS_H

#include "fengqiao.pb-c.h"
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fq_store_op fq_store_op; /* store.h */

/* The summary's columns (FQ_SQL_CONSOLE_COLUMNS_WITH, sql_fragments.h),
 * first in every row of the board, an incident and a search. */
#define FQ_CONSOLE_SUMMARY_COLUMNS 27
/* Search text: at most this many characters (of at most 4 bytes). */
#define FQ_CONSOLE_SEARCH_MAX_CHARS 64

/* A read's parameters: kept by the caller beside its op until the op is
 * done. */
typedef struct fq_console_read_params {
    char text[14][80];
    char pattern[2 * 4 * FQ_CONSOLE_SEARCH_MAX_CHARS + 3]; /* search: the LIKE pattern */
    char search[4 * FQ_CONSOLE_SEARCH_MAX_CHARS + 1];      /* search: the text */
} fq_console_read_params;

/* The board's filters (OpenIncidentsQuery): 0 or "" for any. */
typedef struct fq_console_open_filter {
    int tier;               /* Tier */
    const char *town;       /* an org unit id */
    int line;               /* Line: 0 any, else the stored line + 1 */
    const char *assignment; /* an assignment state */
    int severity;           /* Severity */
    int overdue_only;
    int supervised_only;
} fq_console_open_filter;

/* The board's sort key of a row, carried by its cursor (docs/console.md,
 * "Paging"): not overdue (0 overdue, 1 not), severity, the nearest limit in
 * epoch µs, the incident. */
typedef struct fq_console_open_key {
    long long not_overdue, severity, due_us, id;
} fq_console_open_key;

/* Each binder sets op's kind, statement, parameters and result format;
 * `done` is the caller's. `within` is the console's jurisdiction (an org
 * unit id). */

/* FQ_SQL_CONSOLE_OPEN: at most `limit` open incidents matching `f`, judged
 * overdue at `asof_us`, after `after` (NULL: the first page). */
void fq_console_open_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                          const fq_console_open_filter *f, uint32_t limit, int64_t asof_us,
                          const fq_console_open_key *after);

/* FQ_SQL_CONSOLE_INCIDENT: incident `incident_id` and at most `limit`
 * events after seq `after` (0: from the start). */
void fq_console_incident_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                              uint64_t incident_id, uint64_t after, uint32_t limit);

/* FQ_SQL_CONSOLE_SEARCH: at most `limit` incidents whose id is `text` (a
 * number), whose title, address or reporter's phone contains it (LIKE's
 * characters in it taken literally) or whose external reference is it,
 * before the incident `before` (0: the newest). `text` is checked by the
 * caller (at most FQ_CONSOLE_SEARCH_MAX_CHARS). */
void fq_console_search_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                            const char *text, uint32_t limit, uint64_t before);

/* FQ_SQL_CONSOLE_STATS: at most `limit` groups of fq_meeting_stats after
 * `offset`, in [from_ms, to_ms), grouped `by`. */
void fq_console_stats_bind(fq_store_op *op, fq_console_read_params *p, const char *within,
                           int64_t from_ms, int64_t to_ms, const char *by, uint64_t offset,
                           uint32_t limit);

/* Row `row`'s summary into `s` (initialised here; names left to the
 * caller): strings point into `res`, the co-handlers' ids into `co_buf`
 * (co_len bytes) with `co` (max_co pointers) listing them. 0, or -1 when the
 * row is not such a row (a column of another size, text results, too few
 * columns). */
int fq_console_summary_row(const PGresult *res, int row, Fengqiao__V1__IncidentSummary *s,
                           char **co, size_t max_co, char *co_buf, size_t co_len);

/* The report's point from columns lon_col, lon_col + 1 of `row` (float8):
 * 1 and `point` set, or 0 when there is none (NULL, or not such columns). */
int fq_console_point(const PGresult *res, int row, int lon_col, Fengqiao__V1__GeoPoint *point);

/* A board row's sort key (FQ_SQL_CONSOLE_OPEN): 0, or -1. */
int fq_console_open_key_row(const PGresult *res, int row, fq_console_open_key *key);

/* FQ_SQL_CONSOLE_INCIDENT: the description (row 0 holds it on a first page;
 * "" otherwise). */
const char *fq_console_description(const PGresult *res, int row);

/* FQ_SQL_CONSOLE_INCIDENT: row `row`'s event into `ev` (initialised here;
 * strings point into `res`): 1, 0 when the row has no event (an incident
 * without events after the cursor), -1 when it is not such a row. Its
 * photos are fq_console_event_attachments's. */
int fq_console_event_row(const PGresult *res, int row, Fengqiao__V1__TimelineEvent *ev);

/* The photos of row `row`'s event, from its array columns (ids, content
 * types, sizes, widths, heights, SHA-256s, names, binary), into at most
 * `max` of `out` (their sha256 into `sha`, their names into *copy, which the
 * caller frees; NULL when there are none). How many: the photos before the
 * first one that is not as the table allows. */
size_t fq_console_event_attachments(const PGresult *res, int row,
                                    Fengqiao__V1__TimelineAttachment *out, uint8_t (*sha)[32],
                                    size_t max, char **copy);

#endif
