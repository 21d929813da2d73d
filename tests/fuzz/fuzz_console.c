/* fuzz_console: what people type at the district console and at a grid
 * worker's terminal, through the clients' own parsers (no sockets, no curses).
 *
 * The input is split at its first NUL: before it the typed line, after it
 * the cells of a statistics table (rows by line, cells by comma: what a
 * server could put in ConsoleResult.stats_rows). The line goes to fqcon_parse_command (the
 * console's ':' commands), fqcon_parse_filter_token, fqcon_parse_duration,
 * fqcon_parse_time, fqcon_fit/fqcon_width (how the board shows any text) and
 * fqt_parse_line + fqt_action_check (fq-terminal's line mode); the rest goes
 * to fqcon_table_add_row and fqcon_stats_table.
 * Oracles beyond "no crash, no sanitizer report":
 *  - a refusal has a terminated, non-empty message;
 *  - a parsed command's strings are terminated and within their buffers,
 *    the commands that act on an incident name one (1 .. 2^63-1), co-units
 *    are at most FQCON_MAX_CO, a follow-up's satisfaction is 1 .. 5, a
 *    supervision's duration is positive;
 *  - a parsed duration is positive; fitted text is at most the width asked
 *    (exactly it when padded) and terminated;
 *  - every cell of the table can be looked up; the table has a line
 *    per row (the header's even with no rows). */
#include "command.h"
#include "console.h"
#include "fuzz_check.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS 1764547200000LL /* 2025-12-01T00:00:00Z */

static void check_string(const char *s, size_t cap)
{
    FQ_FUZZ_CHECK(memchr(s, 0, cap) != NULL);
}

static void check_refusal(const char *err, size_t cap)
{
    check_string(err, cap);
    FQ_FUZZ_CHECK(err[0] != '\0');
}

static void console_command(const char *line)
{
    fqcon_cmd c;
    char err[256];
    memset(err, 'x', sizeof err);
    if (fqcon_parse_command(line, &c, err, sizeof err) != 0) {
        check_refusal(err, sizeof err);
        return;
    }
    FQ_FUZZ_CHECK(c.kind != FQCON_NONE);
    check_string(c.target, sizeof c.target);
    check_string(c.reason, sizeof c.reason);
    check_string(c.period, sizeof c.period);
    check_string(c.by, sizeof c.by);
    check_string(c.town, sizeof c.town);
    check_string(c.filter.town, sizeof c.filter.town);
    check_string(c.filter.assignment, sizeof c.filter.assignment);
    FQ_FUZZ_CHECK(c.n_co >= 0 && c.n_co <= FQCON_MAX_CO);
    for (int i = 0; i < c.n_co; i++)
        check_string(c.co[i], sizeof c.co[i]);
    if (fqcon_kind_acts_on_incident(c.kind)) {
        /* suspend and resume without a number (0) act on the incident on
         * the detail screen; every other action names one. */
        int on_screen = c.kind == FQCON_SUSPEND || c.kind == FQCON_RESUME;
        FQ_FUZZ_CHECK((on_screen && c.incident_id == 0) ||
                      (c.incident_id >= 1 && c.incident_id <= (uint64_t)INT64_MAX));
        FQ_FUZZ_CHECK(c.reason[0] != '\0'); /* every action says why */
    }
    if (c.kind == FQCON_MERGE)
        FQ_FUZZ_CHECK(c.merge_into >= 1 && c.merge_into <= (uint64_t)INT64_MAX);
    if (c.kind == FQCON_FOLLOW_UP)
        FQ_FUZZ_CHECK(c.satisfaction >= 1 && c.satisfaction <= 5);
    if (c.kind == FQCON_SUPERVISE)
        FQ_FUZZ_CHECK(c.duration_ms > 0);
    if (c.kind == FQCON_ASSIGN)
        FQ_FUZZ_CHECK(c.target[0] != '\0');
}

static void console_pieces(const char *line)
{
    fqcon_filter f;
    memset(&f, 0, sizeof f);
    if (fqcon_parse_filter_token(line, &f) == 0) {
        check_string(f.town, sizeof f.town);
        check_string(f.assignment, sizeof f.assignment);
    }
    int64_t ms = 0;
    if (fqcon_parse_duration(line, &ms) == 0)
        FQ_FUZZ_CHECK(ms > 0);
    (void)fqcon_parse_time(line, NOW_MS, &ms);
    FQ_FUZZ_CHECK(fqcon_width(line) >= 0);
    static const int widths[] = {0, 1, 2, 7, 40};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        char out[256];
        for (int pad = 0; pad < 2; pad++) {
            memset(out, 'x', sizeof out);
            int w = fqcon_fit(line, widths[i], pad, out, sizeof out);
            check_string(out, sizeof out);
            FQ_FUZZ_CHECK(w >= 0 && w <= widths[i]);
            if (pad)
                FQ_FUZZ_CHECK(w == widths[i]);
        }
        /* the statistics scrolled sideways: exactly the window's width */
        for (int from = 0; from < 4; from++) {
            memset(out, 'x', sizeof out);
            FQ_FUZZ_CHECK(fqcon_slice(line, from, widths[i], out, sizeof out) == widths[i]);
            check_string(out, sizeof out);
        }
    }
}

static void terminal_line(const char *line)
{
    static fqt_action a; /* 8 KiB of note: not on the stack */
    char err[256];
    memset(err, 'x', sizeof err);
    if (fqt_parse_line(line, NOW_MS, 8 * 3600, &a, err, sizeof err) != 0) {
        check_refusal(err, sizeof err);
        return;
    }
    check_string(a.note, sizeof a.note);
    check_string(a.right_place, sizeof a.right_place);
    switch (a.cmd) {
    case FQT_CMD_ACK:
    case FQT_CMD_RETURN:
    case FQT_CMD_PROGRESS:
    case FQT_CMD_EXTEND:
    case FQT_CMD_CONCLUDE:
    case FQT_CMD_REPLY: {
        FQ_FUZZ_CHECK(a.incident_id >= 1 && a.incident_id <= (uint64_t)INT64_MAX);
        memset(err, 'x', sizeof err);
        if (fqt_action_check(&a, NOW_MS, err, sizeof err) != 0) {
            check_refusal(err, sizeof err);
            break;
        }
        Fengqiao__V1__AssignmentAction body = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
        fqt_action_body(&a, &body);
        FQ_FUZZ_CHECK(body.incident_id == a.incident_id);
        break;
    }
    default:
        break;
    }
}

static void stats_table(char *text)
{
    fqcon_table table = {0};
    char *cells[64];
    size_t n = 0;
    for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        n = 0;
        for (char *cell = line, *after; cell != NULL && n < 64; cell = after) {
            after = strchr(cell, ',');
            if (after != NULL)
                *after++ = '\0';
            cells[n++] = cell;
        }
        if (fqcon_table_add_row(&table, cells, n) != 0)
            break;
    }
    /* Cells a short row lacks are NULL; a lookup gives "" for them. */
    FQ_FUZZ_CHECK(table.rows == 0 || table.cols > 0);
    for (size_t r = 0; r < table.rows; r++)
        for (size_t c = 0; c < table.cols; c++)
            if (table.cells[c] != NULL)
                FQ_FUZZ_CHECK(fqcon_table_cell(&table, r, table.cells[c]) != NULL);
    char **lines = NULL;
    size_t nl = 0;
    if (fqcon_stats_table(&table, &lines, &nl) == 0) {
        /* the header, a line per group, and the totals when there are groups */
        FQ_FUZZ_CHECK(nl == (table.rows > 1 ? table.rows + 1 : 1));
        for (size_t i = 0; i < nl; i++)
            FQ_FUZZ_CHECK(lines[i] != NULL);
        fqcon_lines_free(lines, nl);
    }
    fqcon_table_free(&table);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    if (!initialised) {
        /* The console runs in a UTF-8 locale: widths of CJK text count 2. */
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
            setlocale(LC_CTYPE, "");
        initialised = 1;
    }
    if (size > 2 * FQT_LINE_MAX) /* longer than any line a terminal reads */
        return 0;
    char *text = malloc(size + 2);
    FQ_FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    text[size + 1] = '\0';
    const char *line = text;
    char *rest = text + strlen(text) + 1; /* after the first NUL, or "" */
    console_command(line);
    console_pieces(line);
    terminal_line(line);
    stats_table(rest);
    free(text);
    return 0;
}
