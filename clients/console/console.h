/* console: the pure pieces of fq-console (no sockets, no curses): the typed
 * command line, durations and times, display-width fitting of UTF-8 text,
 * the statistics CSV and its table. See docs/fq-console.md. */
#ifndef FQ_CONSOLE_H
#define FQ_CONSOLE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define FQCON_MAX_CO 4

typedef enum fqcon_kind {
    FQCON_NONE = 0,
    FQCON_ASSIGN,
    FQCON_ESCALATE,
    FQCON_CONCLUDE,
    FQCON_APPROVE,
    FQCON_DENY,
    FQCON_SUPERVISE,
    FQCON_MERGE,
    FQCON_REOPEN,
    FQCON_VERIFY,
    FQCON_FOLLOW_UP,
    FQCON_SUSPEND, /* 中止: the clocks stop (docs/console.md, "Suspension") */
    FQCON_RESUME,
    FQCON_FILTER,
    FQCON_STATS,
    FQCON_ROSTER,
    FQCON_HELP,
    FQCON_QUIT,
    FQCON_RETRY,
    FQCON_BOARD,
    FQCON_OPEN,   /* open ID: any incident of the jurisdiction, concluded ones too */
    FQCON_SEARCH, /* search TEXT: by id, words of the title or address, phone, external ref */
    FQCON_IDS     /* ids: show the topology's ids instead of names (again: names) */
} fqcon_kind;

typedef struct fqcon_filter {
    int tier; /* Fengqiao__V1__Tier, 0 any */
    int line; /* Fengqiao__V1__Line, 0 any */
    char town[65];
    char assignment[32];
    int overdue_only;
} fqcon_filter;

typedef struct fqcon_cmd {
    fqcon_kind kind;
    uint64_t incident_id;
    int to_worker;         /* assign, reopen: the target is a worker (else a unit) */
    char target[65];       /* assign; reopen ('' = routed afresh) */
    uint64_t merge_into;   /* merge */
    unsigned satisfaction; /* followup: 1 .. 5 */
    int n_co;
    char co[FQCON_MAX_CO][65];
    char reason[1024];
    int64_t duration_ms; /* supervise */
    int filter_clear;
    fqcon_filter filter; /* filter: the fields given (others 0/'') */
    char period[8];      /* stats: today, week, month ('' = unchanged) */
    char by[16];         /* stats: town, line, unit, worker, district ('' = unchanged) */
    char town[65];       /* roster */
    char text[260];      /* search: 1 .. 64 characters */
} fqcon_cmd;

/* Parses one command line (without the ':'). 0, or -1 with a message. */
int fqcon_parse_command(const char *line, fqcon_cmd *out, char *err, size_t err_len);

/* 1 when a parsed command of this kind is sent to the server as a command on
 * one incident (assign, escalate, conclude, ...); 0 for the console's own
 * ones (filters, screens, statistics). */
int fqcon_kind_acts_on_incident(fqcon_kind k);

/* Parses a filter token (tier=town, town=ID, line=market,
 * assignment=acknowledged, overdue) into f. 0 or -1. */
int fqcon_parse_filter_token(const char *token, fqcon_filter *f);

/* "2h", "30m", "1d", "45s", "1h30m" -> milliseconds (> 0). 0 or -1. */
int fqcon_parse_duration(const char *text, int64_t *ms);

/* The district's offset from UTC in seconds (ConsoleResult.time_zone,
 * docs/calendar.md): every time the console shows, reads without a zone, or
 * takes a period from is the district's. FQ_DEFAULT_UTC_OFFSET_S (+08:00)
 * until set. */
void fqcon_set_utc_offset(int32_t offset_s);
int32_t fqcon_utc_offset(void);

/* "now", epoch milliseconds (digits), "2026-11-27", "2026-11-27T08:00",
 * "2026-11-27 08:00:30", each optionally with "Z" or "+08:00"/"+0800"/"+08"
 * (no zone: the district's time). 0 or -1. */
int fqcon_parse_time(const char *text, int64_t now_ms, int64_t *ms);

/* The period ending now in the district's time: today (since midnight),
 * week (since Monday 00:00), month (since the 1st 00:00). 0 or -1. */
int fqcon_period(const char *name, int64_t now_ms, int64_t *from_ms, int64_t *to_ms);

/* Display width of UTF-8 text (wcwidth; needs a UTF-8 LC_CTYPE; an
 * undecodable byte counts 1). */
int fqcon_width(const char *s);

/* Copies s into out cut to at most `width` display columns (an ellipsis "…"
 * marks a cut when width allows) and, with pad, padded with spaces to exactly
 * `width`. Control characters become spaces. Returns the display width
 * written. */
int fqcon_fit(const char *s, int width, int pad, char *out, size_t out_len);

/* Copies the display columns [from, from + width) of s into out, padded
 * with spaces to exactly width (a wide character cut by either edge
 * becomes spaces): the statistics table scrolled sideways. */
int fqcon_slice(const char *s, int from, int width, char *out, size_t out_len);

/* The board's columns at a window's width (docs/fq-console.md, "Sizes"):
 * widths in display columns, 0 for a column left out. The holder, the state
 * and the time left always show; the title gives way first (down to 16),
 * then tier/line goes, then the place and the category narrow, then the
 * title again (down to 6); room left over goes to the title. id_w is the
 * widest incident number, state_w the widest state label. */
typedef enum fqcon_board_col {
    FQCON_COL_ID,
    FQCON_COL_SEV,
    FQCON_COL_CATEGORY,
    FQCON_COL_TITLE,
    FQCON_COL_PLACE,
    FQCON_COL_TIERLINE,
    FQCON_COL_HOLDER,
    FQCON_COL_STATE,
    FQCON_COL_LEFT,
    FQCON_BOARD_COLS
} fqcon_board_col;

typedef struct fqcon_layout {
    int width[FQCON_BOARD_COLS];
} fqcon_layout;

void fqcon_board_layout(int cols, int id_w, int state_w, fqcon_layout *out);
/* One board line: the one-column mark, then each shown column fitted to its
 * width (the id and the time left aligned right) after one space. Returns
 * its display width (the layout's total, at most the cols it was made for). */
int fqcon_board_line(const fqcon_layout *l, const char *mark,
                     const char *const cells[FQCON_BOARD_COLS], char *out, size_t out_len);

/* Time left as "40s", "45m", "3h05m", "2d04h", "-12m" (overdue), "-" (no
 * limit). */
void fqcon_format_left(int64_t left_ms, int has_limit, char *out, size_t len);

/* The district's "HH:MM:SS"; date 1: "MM-DD HH:MM"; date 2: "MM-DD HH:MM:SS". */
void fqcon_format_clock(int64_t ms, int date, char *out, size_t len);

/* The reason a timeline line shows for an event (TimelineEvent reason_code
 * and reason): fengqiaod's own events by their code's label in the
 * client's language — its English sentence with rule numbers only beside it
 * with `ids` — a person's by their own words, after the label when the code
 * says more than who acted (a return's ground). Without a code (an event
 * stored before the server recorded codes) the reason as stored. */
void fqcon_timeline_reason(const char *code, const char *reason, int by_person, int ids, char *out,
                           size_t len);

const char *fqcon_tier_name(int tier);
const char *fqcon_line_name(int line);
const char *fqcon_severity_name(int severity);
int fqcon_tier_from(const char *name);
int fqcon_line_from(const char *name);

/* The statistics as the server sends them (ConsoleResult.stats_columns
 * and stats_rows), the first row the header. Zero-initialise. */
typedef struct fqcon_table {
    size_t rows, cols; /* rows includes the header */
    char **cells;      /* rows x cols; cells a short row lacks are NULL (fqcon_table_cell: "") */
} fqcon_table;

/* Appends a row of n cells (copied); the first row is the header and sets
 * the number of columns: a longer row's extra cells are dropped. 0 or -1
 * (out of memory; the table as it was). */
int fqcon_table_add_row(fqcon_table *t, char *const *cells, size_t n);
void fqcon_table_free(fqcon_table *t);
const char *fqcon_table_cell(const fqcon_table *t, size_t row, const char *column);
/* The table as CSV (RFC 4180 quoting), the header first: --once stats --csv. */
void fqcon_table_write_csv(const fqcon_table *t, FILE *out);

/* The statistics as a table for people (docs/fq-console.md, "Statistics"):
 * the header, one line per group, then a totals row computed from the
 * groups' counts (rates from summed counts, means weighted by their counts;
 * a 90th percentile cannot be summed and shows "—"); durations in hours
 * with one decimal, shares in percent, in the language chosen. Columns are
 * aligned by display width. Lines are malloc'ed; free with fqcon_lines_free.
 * 0 or -1. */
int fqcon_stats_table(const fqcon_table *table, char ***lines, size_t *n);
/* The same, the groups named by name(ctx, group) when it returns non-NULL
 * (a town's or a unit's display name), and *group_w set to the width of the
 * group column (kept in place when the table scrolls sideways). */
int fqcon_stats_table_named(const fqcon_table *table,
                            const char *(*name)(void *ctx, const char *group), void *ctx,
                            char ***lines, size_t *n, int *group_w);
void fqcon_lines_free(char **lines, size_t n);

/* Text for the help screen / usage (NULL-terminated). */
extern const char *const fqcon_command_help[];

#endif
