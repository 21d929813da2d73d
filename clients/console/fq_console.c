/* fq-console: the district command console (docs/fq-console.md).
 *
 * An ncurses board of the open incidents of the console's jurisdiction,
 * refreshed on every item of its feed (TerminalSync, the syncer shared with
 * fq-terminal) and every 10 s; the detail pane with an incident's timeline;
 * typed commands (assign, escalate, conclude, extensions, supervision);
 * statistics and roster screens. `board --once` and `report` print without
 * the UI. The network never blocks the keyboard: one poll() waits on stdin
 * and the sockets' descriptors.
 *
 * Exit: 0 ok, 1 refused, 2 usage, 3 no answer. */
#define _GNU_SOURCE
#define NCURSES_WIDECHAR 1
#include "console.h"
#include "fqclient.h"
#include "syncer.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define PROG "fq-console"
#define DEFAULT_TERMINALS "tcp://127.0.0.1:7412"

#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_NO_ANSWER 3

#define TAG_BOARD 1
#define TAG_DETAIL 2
#define TAG_ROSTER 3
#define TAG_STATS 4
#define TAG_COMMAND 5

#define REFRESH_MS 10000
/* Rows per board page: the server cuts a page shorter to keep its reply
 * under the frame limit, and says "more" with a cursor; the board follows
 * the cursor to the end before it shows the new rows. */
#define BOARD_LIMIT 500
#define CURSOR_MAX 256
#define TICKER 64
#define COMMAND_TRIES 3

typedef struct row {
    uint64_t id;
    int severity, tier, line, overdue;
    char category[64], title[256], town[65], territory[65], holder[160], assignment[32];
    int64_t ack_due, conclude_due;
    int64_t suspended_at; /* 中止 since then (0: not): its clocks stand still */
} row;

typedef enum console_screen {
    SCR_BOARD,
    SCR_DETAIL,
    SCR_STATS,
    SCR_ROSTER,
    SCR_HELP
} console_screen;

typedef struct app {
    const char *node, *url, *key_file, *log_file;
    uint8_t key[FQ_KEY_BYTES];
    int64_t timeout_ms;
    fqc *client;
    fqt_sync sync;
    int tui;

    /* board */
    row *rows;
    size_t n_rows;
    int board_in_flight, board_dirty, board_failures, board_ok;
    int64_t board_next_ms; /* monotonic */
    int64_t refreshed_ms;  /* wall clock */
    char board_note[600];  /* why the board is stale ('' when fresh) */
    fqcon_filter filter;
    int selected, top;
    row *paging; /* the pages of the board being read */
    size_t n_paging, cap_paging;
    char board_cursor[CURSOR_MAX];

    /* detail */
    uint64_t detail_id;
    char **detail;
    size_t n_detail;
    int detail_scroll, detail_in_flight, detail_again;
    char detail_cursor[CURSOR_MAX]; /* the next page of the timeline ('' none) */
    size_t detail_events, detail_timeline_line;

    /* roster */
    char roster_town[65];
    char **roster;
    size_t n_roster;
    int roster_scroll, roster_in_flight;
    char roster_cursor[CURSOR_MAX];

    /* statistics */
    char period[8], by[16];
    int64_t stats_from, stats_to;
    char *stats_csv;
    char **stats;
    size_t n_stats;
    int stats_in_flight;
    char stats_cursor[CURSOR_MAX];
    char *stats_paging; /* the pages' CSV so far (the header once) */

    /* the last command */
    fqcon_cmd cmd;
    uint64_t cmd_id;
    int64_t cmd_deadline_ms;
    int cmd_in_flight, cmd_tries, cmd_unanswered;
    int64_t cmd_retry_at; /* monotonic, 0 none */

    /* feed ticker */
    char ticker[TICKER][320];
    int n_ticker, ticker_head;

    char status[700];
    int status_bad;
    /* The server's routing status from the latest console reply: '' while
     * it routes with what the database holds; else shown at the top. */
    char routing_status[1100];
    console_screen scr;
    int editing;
    wchar_t edit[600];
    int edit_len;
    int quit;
    int exit_code;

    /* one-shot results (board --once, report) */
    int once_done;
    int once_exit;
} app;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void set_status(app *a, int bad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_status(app *a, int bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->status, sizeof a->status, fmt, ap);
    va_end(ap);
    a->status_bad = bad;
}

static void free_lines(char ***lines, size_t *n)
{
    fqcon_lines_free(*lines, *n);
    *lines = NULL;
    *n = 0;
}

/* Appends a formatted line to a line list. */
static void add_line(char ***lines, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_line(char ***lines, size_t *n, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **grown = realloc(*lines, (*n + 1) * sizeof *grown);
    if (grown == NULL)
        return;
    *lines = grown;
    grown[*n] = strdup(buf);
    if (grown[*n] != NULL)
        (*n)++;
}

static const char *s_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

/* ---- the board's rows ---- */

static void copy_row(row *w, const Fengqiao__V1__IncidentSummary *s)
{
    memset(w, 0, sizeof *w);
    w->id = s->incident_id;
    w->severity = s->severity;
    w->tier = s->tier;
    w->line = s->line;
    w->overdue = s->overdue;
    snprintf(w->category, sizeof w->category, "%s", s_or(s->category, ""));
    snprintf(w->title, sizeof w->title, "%s", s_or(s->title, ""));
    snprintf(w->town, sizeof w->town, "%s", s_or(s->town, ""));
    snprintf(w->territory, sizeof w->territory, "%s", s_or(s->territory, ""));
    size_t used = (size_t)snprintf(w->holder, sizeof w->holder, "%s",
                                   s->worker && *s->worker ? s->worker : s_or(s->lead_unit, "-"));
    if (s->n_co_units > 0 && used < sizeof w->holder)
        snprintf(w->holder + used, sizeof w->holder - used, " +%zu", s->n_co_units);
    snprintf(w->assignment, sizeof w->assignment, "%s", s_or(s->assignment, s_or(s->state, "")));
    w->ack_due = s->acknowledge_due_ms;
    w->conclude_due = s->conclude_due_ms;
    w->suspended_at = s->suspended_at_ms;
}

/* The limit that counts now: acknowledging while unacknowledged, else
 * concluding. */
static int64_t row_due(const row *w)
{
    int unacked = strcmp(w->assignment, "assigned") == 0 || strcmp(w->assignment, "returned") == 0;
    if (unacked && w->ack_due > 0)
        return w->ack_due;
    return w->conclude_due;
}

static int row_overdue(const row *w, int64_t now_ms)
{
    if (w->suspended_at != 0)
        return 0; /* suspended: no limit runs (docs/console.md, "Suspension") */
    int64_t due = row_due(w);
    return w->overdue || (due > 0 && due < now_ms);
}

#define W_ID 7
#define W_SEV 3
#define W_CAT 18
#define W_PLACE 22
#define W_TIERLINE 17
#define W_HOLDER 22
#define W_ASSIGN 12
#define W_LEFT 7
#define W_FIXED (1 + W_ID + W_SEV + W_CAT + W_PLACE + W_TIERLINE + W_HOLDER + W_ASSIGN + W_LEFT + 9)

static int title_width(int cols)
{
    int w = cols - W_FIXED - 1;
    return w < 10 ? 10 : w;
}

static void format_header(int title_w, char *out, size_t len)
{
    char t[400], c[80], p[80], tl[80], h[80], as[80];
    fqcon_fit("title", title_w, 1, t, sizeof t);
    fqcon_fit("category", W_CAT, 1, c, sizeof c);
    fqcon_fit("town/territory", W_PLACE, 1, p, sizeof p);
    fqcon_fit("tier/line", W_TIERLINE, 1, tl, sizeof tl);
    fqcon_fit("holder", W_HOLDER, 1, h, sizeof h);
    fqcon_fit("assignment", W_ASSIGN, 1, as, sizeof as);
    snprintf(out, len, " %*s %-*s %s %s %s %s %s %s %*s", W_ID, "id", W_SEV, "sev", c, t, p, tl, h,
             as, W_LEFT, "left");
}

static void format_row(const row *w, int64_t now_ms, int title_w, char *out, size_t len)
{
    char t[1200], c[80], p[200], tl[80], h[200], as[80], left[32], place[140], tierline[40];
    fqcon_fit(w->title, title_w, 1, t, sizeof t);
    fqcon_fit(w->category, W_CAT, 1, c, sizeof c);
    size_t town_len = strlen(w->town);
    if (*w->town && strcmp(w->town, w->territory) != 0 &&
        !(strncmp(w->territory, w->town, town_len) == 0 && w->territory[town_len] == '-'))
        snprintf(place, sizeof place, "%s/%s", w->town, w->territory);
    else
        snprintf(place, sizeof place, "%s", s_or(w->territory, s_or(w->town, "-")));
    fqcon_fit(place, W_PLACE, 1, p, sizeof p);
    snprintf(tierline, sizeof tierline, "%s/%s", fqcon_tier_name(w->tier),
             fqcon_line_name(w->line));
    fqcon_fit(tierline, W_TIERLINE, 1, tl, sizeof tl);
    fqcon_fit(w->holder, W_HOLDER, 1, h, sizeof h);
    fqcon_fit(w->assignment, W_ASSIGN, 1, as, sizeof as);
    int64_t due = row_due(w);
    if (w->suspended_at != 0) /* its clocks stand still: no time runs out */
        snprintf(left, sizeof left, "paused");
    else
        fqcon_format_left(due - now_ms, due > 0, left, sizeof left);
    snprintf(out, len, "%s%*" PRIu64 " %-*s %s %s %s %s %s %s %*s",
             row_overdue(w, now_ms) ? "!" : " ", W_ID, w->id, W_SEV,
             fqcon_severity_name(w->severity), c, t, p, tl, h, as, W_LEFT, left);
}

/* ---- requests ---- */

static int submit(app *a, uint64_t tag, uint64_t id, Fengqiao__V1__Envelope *env)
{
    return fqc_submit_timeout(a->client, tag, id, env, a->timeout_ms);
}

static int send_query(app *a, uint64_t tag, Fengqiao__V1__ConsoleQuery *q)
{
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
    env.console_query = q;
    return submit(a, tag, fqc_fresh_message_id(), &env);
}

/* One page of the board: the first ('' cursor) or the next. */
static void send_board_page(app *a)
{
    Fengqiao__V1__OpenIncidentsQuery oq = FENGQIAO__V1__OPEN_INCIDENTS_QUERY__INIT;
    oq.tier = (Fengqiao__V1__Tier)a->filter.tier;
    oq.line = (Fengqiao__V1__Line)a->filter.line;
    oq.town = a->filter.town;
    oq.assignment = a->filter.assignment;
    oq.overdue_only = a->filter.overdue_only;
    oq.limit = BOARD_LIMIT;
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
    q.open_incidents = &oq;
    q.cursor = a->board_cursor;
    if (send_query(a, TAG_BOARD, &q) == 0)
        a->board_in_flight = 1;
    else
        a->board_next_ms = fqt_monotonic_ms() + 1000;
}

static void send_board(app *a)
{
    a->board_dirty = 0;
    a->board_cursor[0] = '\0';
    a->n_paging = 0;
    send_board_page(a);
}

static void send_detail_page(app *a)
{
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_INCIDENT;
    q.incident = a->detail_id;
    q.cursor = a->detail_cursor;
    if (send_query(a, TAG_DETAIL, &q) == 0)
        a->detail_in_flight = 1;
}

static void send_detail(app *a)
{
    if (a->detail_in_flight) {
        a->detail_again = 1;
        return;
    }
    a->detail_cursor[0] = '\0';
    send_detail_page(a);
}

static void send_roster_page(app *a)
{
    Fengqiao__V1__RosterQuery rq = FENGQIAO__V1__ROSTER_QUERY__INIT;
    rq.town = a->roster_town;
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_ROSTER;
    q.roster = &rq;
    q.cursor = a->roster_cursor;
    if (send_query(a, TAG_ROSTER, &q) == 0)
        a->roster_in_flight = 1;
}

static void send_roster(app *a)
{
    if (a->roster_in_flight)
        return;
    a->roster_cursor[0] = '\0';
    send_roster_page(a);
}

static void send_stats_page(app *a)
{
    Fengqiao__V1__StatsQuery sq = FENGQIAO__V1__STATS_QUERY__INIT;
    sq.from_ms = a->stats_from;
    sq.to_ms = a->stats_to;
    sq.by = a->by;
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_STATS;
    q.stats = &sq;
    q.cursor = a->stats_cursor;
    if (send_query(a, TAG_STATS, &q) == 0)
        a->stats_in_flight = 1;
}

static void send_stats_range(app *a, int64_t from, int64_t to)
{
    if (a->stats_in_flight)
        return;
    a->stats_from = from;
    a->stats_to = to;
    a->stats_cursor[0] = '\0';
    free(a->stats_paging);
    a->stats_paging = NULL;
    send_stats_page(a);
}

static void send_stats(app *a)
{
    int64_t from, to;
    if (fqcon_period(a->period, fq_now_ms(), &from, &to) != 0)
        return;
    send_stats_range(a, from, to);
}

static const char *command_name(fqcon_kind k)
{
    switch (k) {
    case FQCON_ASSIGN:
        return "assign";
    case FQCON_ESCALATE:
        return "escalate";
    case FQCON_CONCLUDE:
        return "conclude";
    case FQCON_APPROVE:
        return "approve";
    case FQCON_DENY:
        return "deny";
    case FQCON_SUPERVISE:
        return "supervise";
    case FQCON_MERGE:
        return "merge";
    case FQCON_REOPEN:
        return "reopen";
    case FQCON_VERIFY:
        return "verify";
    case FQCON_FOLLOW_UP:
        return "followup";
    case FQCON_SUSPEND:
        return "suspend";
    case FQCON_RESUME:
        return "resume";
    default:
        return "?";
    }
}

/* Sends the last command (again, with the same message id and content). */
static void send_command(app *a)
{
    fqcon_cmd *c = &a->cmd;
    Fengqiao__V1__ConsoleCommand cc = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    char *co[FQCON_MAX_CO];
    cc.incident_id = c->incident_id;
    cc.reason = c->reason;
    switch (c->kind) {
    case FQCON_ASSIGN:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN;
        if (c->to_worker)
            cc.target_worker = c->target;
        else
            cc.target_unit = c->target;
        for (int i = 0; i < c->n_co; i++)
            co[i] = c->co[i];
        cc.n_co_units = (size_t)c->n_co;
        cc.co_units = co;
        break;
    case FQCON_ESCALATE:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_ESCALATE;
        break;
    case FQCON_CONCLUDE:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_CONCLUDE;
        break;
    case FQCON_APPROVE:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_APPROVE_EXTENSION;
        break;
    case FQCON_DENY:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_DENY_EXTENSION;
        break;
    case FQCON_SUPERVISE:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE;
        cc.deadline_ms = a->cmd_deadline_ms;
        break;
    case FQCON_MERGE:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE;
        cc.merge_into = c->merge_into;
        break;
    case FQCON_REOPEN:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN;
        if (c->target[0] && c->to_worker)
            cc.target_worker = c->target;
        else if (c->target[0])
            cc.target_unit = c->target;
        break;
    case FQCON_VERIFY:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_VERIFY;
        break;
    case FQCON_FOLLOW_UP:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP;
        cc.satisfaction = c->satisfaction;
        break;
    case FQCON_SUSPEND:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_SUSPEND;
        break;
    case FQCON_RESUME:
        cc.kind = FENGQIAO__V1__COMMAND_KIND__COMMAND_RESUME;
        break;
    default:
        return;
    }
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND;
    env.console_command = &cc;
    a->cmd_retry_at = 0;
    if (submit(a, TAG_COMMAND, a->cmd_id, &env) == 0) {
        a->cmd_in_flight = 1;
        a->cmd_tries++;
    } else {
        set_status(a, 1, "%s #%" PRIu64 ": cannot send (out of memory?)", command_name(c->kind),
                   c->incident_id);
    }
}

/* ---- results ---- */

/* Every console reply carries the server's routing status (a failed
 * routing load; '' again after a good one): the latest reply's wins. */
static void note_routing_status(app *a, const Fengqiao__V1__ConsoleResult *cr)
{
    snprintf(a->routing_status, sizeof a->routing_status, "%s", s_or(cr->routing_status, ""));
}

static void result_board(app *a, const fqc_result *r)
{
    a->board_in_flight = 0;
    int64_t now = fqt_monotonic_ms();
    if (r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
        r->has_console) {
        const Fengqiao__V1__ConsoleResult *cr = r->console;
        note_routing_status(a, cr);
        if (a->n_paging + cr->n_incidents > a->cap_paging) {
            size_t cap = a->cap_paging ? a->cap_paging : 1024;
            while (cap < a->n_paging + cr->n_incidents)
                cap *= 2;
            row *grown = realloc(a->paging, cap * sizeof *grown);
            if (grown == NULL) {
                a->board_next_ms = now + 1000;
                a->once_exit = EXIT_NO_ANSWER;
                snprintf(a->board_note, sizeof a->board_note, "board: out of memory");
                return;
            }
            a->paging = grown;
            a->cap_paging = cap;
        }
        for (size_t i = 0; i < cr->n_incidents; i++)
            copy_row(&a->paging[a->n_paging++], cr->incidents[i]);
        if (cr->more && cr->cursor && cr->cursor[0] && strlen(cr->cursor) < CURSOR_MAX) {
            /* The next page before the board changes: it shows whole. */
            snprintf(a->board_cursor, sizeof a->board_cursor, "%s", cr->cursor);
            send_board_page(a);
            return;
        }
        size_t total = a->n_paging;
        row *rows = calloc(total ? total : 1, sizeof *rows);
        if (rows != NULL) {
            memcpy(rows, a->paging, total * sizeof *rows);
            /* keep the selection on the same incident */
            uint64_t sel =
                a->selected >= 0 && (size_t)a->selected < a->n_rows ? a->rows[a->selected].id : 0;
            free(a->rows);
            a->rows = rows;
            a->n_rows = total;
            for (size_t i = 0; sel && i < a->n_rows; i++)
                if (a->rows[i].id == sel)
                    a->selected = (int)i;
            if ((size_t)a->selected >= a->n_rows)
                a->selected = a->n_rows ? (int)a->n_rows - 1 : 0;
        }
        a->board_ok = 1;
        a->board_failures = 0;
        a->board_note[0] = '\0';
        a->refreshed_ms = fq_now_ms();
        a->board_next_ms = now + REFRESH_MS;
        a->once_exit = EXIT_OK;
        return;
    }
    if (r->outcome == FQC_NO_ANSWER) {
        a->board_failures++;
        int n = a->board_failures < 5 ? a->board_failures : 5;
        int64_t base = (int64_t)1000 << (n - 1);
        if (base > 15000)
            base = 15000;
        a->board_next_ms = now + base + (int64_t)randombytes_uniform((uint32_t)base);
        a->once_exit = EXIT_NO_ANSWER;
        if (a->tui)
            snprintf(a->board_note, sizeof a->board_note, "board: no answer, retrying in %.0f s",
                     (double)(a->board_next_ms - now) / 1000);
        else
            fprintf(stderr, PROG ": no answer from %s: %s\n", a->url, r->message);
        return;
    }
    a->board_next_ms = now + REFRESH_MS;
    a->once_exit = EXIT_REFUSED;
    if (a->tui)
        snprintf(a->board_note, sizeof a->board_note, "board refused: %s: %s",
                 fq_status_name(r->status), r->message);
    else
        fprintf(stderr, PROG ": refused: %s: %s\n", fq_status_name(r->status), r->message);
}

static void result_detail(app *a, const fqc_result *r)
{
    a->detail_in_flight = 0;
    if (a->detail_again) {
        a->detail_again = 0;
        send_detail(a);
        return;
    }
    int first_page = a->detail_cursor[0] == '\0';
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console && r->console->n_incidents > 0)) {
        set_status(a, 1, "incident #%" PRIu64 ": %s: %s", a->detail_id,
                   r->outcome == FQC_NO_ANSWER ? "no answer" : fq_status_name(r->status),
                   r->message);
        return;
    }
    const Fengqiao__V1__ConsoleResult *cr = r->console;
    note_routing_status(a, cr);
    const Fengqiao__V1__IncidentSummary *s = cr->incidents[0];
    char ***L = &a->detail;
    size_t *n = &a->n_detail;
    if (!first_page)
        goto events; /* a later page of the timeline: its events only */
    free_lines(&a->detail, &a->n_detail);
    a->detail_events = 0;
    char when[32], ack[32], concl[32];
    fqcon_format_clock(s->recorded_at_ms, 1, when, sizeof when);
    fqcon_format_clock(s->acknowledge_due_ms, 1, ack, sizeof ack);
    fqcon_format_clock(s->conclude_due_ms, 1, concl, sizeof concl);
    add_line(L, n, "#%" PRIu64 "  %s", s->incident_id, s_or(s->title, ""));
    static const char *const risks[] = {"-", "low", "medium", "high"};
    add_line(L, n, "  severity %s  risk %s  category %s", fqcon_severity_name(s->severity),
             s->risk >= 0 && s->risk <= 3 ? risks[s->risk] : "?", s_or(s->category, "-"));
    add_line(L, n, "  place    %s / %s  %s", s_or(s->town, "-"), s_or(s->territory, "-"),
             s_or(s->address, ""));
    add_line(L, n, "  routing  %s / %s  lead %s  worker %s", fqcon_tier_name(s->tier),
             fqcon_line_name(s->line), s_or(s->lead_unit, "-"), s_or(s->worker, "-"));
    if (s->n_co_units > 0) {
        char co[400] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->n_co_units && used < sizeof co; i++)
            used += (size_t)snprintf(co + used, sizeof co - used, "%s%s", i ? ", " : "",
                                     s->co_units[i]);
        add_line(L, n, "  co-units %s", co);
    }
    add_line(L, n, "  state    %s  assignment %s  escalations %u%s", s_or(s->state, "-"),
             s_or(s->assignment, "-"), s->escalations, s->overdue ? "  OVERDUE" : "");
    add_line(L, n, "  recorded %s  acknowledge by %s  conclude by %s  reported by %s", when, ack,
             concl, s_or(s->reporter_node, "-"));
    if (s->suspended_at_ms != 0) {
        char since[32];
        fqcon_format_clock(s->suspended_at_ms, 1, since, sizeof since);
        add_line(L, n, "  SUSPENDED since %s: %s  (:resume REASON… to resume #%" PRIu64 ")", since,
                 s_or(s->suspend_reason, ""), s->incident_id);
    }
    if (cr->description && *cr->description) {
        add_line(L, n, "%s", "");
        const char *d = cr->description;
        while (*d) {
            const char *e = strchr(d, '\n');
            size_t len = e ? (size_t)(e - d) : strlen(d);
            add_line(L, n, "  %.*s", (int)len, d);
            d += len;
            if (*d == '\n')
                d++;
        }
    }
    add_line(L, n, "%s", "");
    a->detail_timeline_line = *n;
    add_line(L, n, "timeline");
events:
    a->detail_events += cr->n_timeline;
    if (a->detail_timeline_line < *n) {
        char head[96];
        snprintf(head, sizeof head, "timeline (%zu events%s)", a->detail_events,
                 cr->more ? ", reading…" : "");
        char *copy = strdup(head);
        if (copy != NULL) {
            free((*L)[a->detail_timeline_line]);
            (*L)[a->detail_timeline_line] = copy;
        }
    }
    for (size_t i = 0; i < cr->n_timeline; i++) {
        const Fengqiao__V1__TimelineEvent *e = cr->timeline[i];
        char at[32];
        fqcon_format_clock(e->at_ms, 2, at, sizeof at);
        add_line(L, n, "  %8" PRIu64 "  %s  %-20s %-22s %s", e->seq, at, s_or(e->kind, "-"),
                 s_or(e->actor, "fengqiaod"), s_or(e->reason, ""));
    }
    if ((size_t)a->detail_scroll >= a->n_detail)
        a->detail_scroll = 0;
    if (cr->more && cr->cursor && cr->cursor[0] && strlen(cr->cursor) < CURSOR_MAX) {
        snprintf(a->detail_cursor, sizeof a->detail_cursor, "%s", cr->cursor);
        send_detail_page(a);
    } else {
        a->detail_cursor[0] = '\0';
    }
}

static void result_roster(app *a, const fqc_result *r)
{
    a->roster_in_flight = 0;
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console)) {
        set_status(a, 1, "roster: %s: %s",
                   r->outcome == FQC_NO_ANSWER ? "no answer" : fq_status_name(r->status),
                   r->message);
        return;
    }
    const Fengqiao__V1__ConsoleResult *cr = r->console;
    note_routing_status(a, cr);
    if (a->roster_cursor[0] == '\0') { /* the first page */
        free_lines(&a->roster, &a->n_roster);
        add_line(&a->roster, &a->n_roster, "%-34s %-11s %-22s %-12s %9s %-7s %-7s", "id", "kind",
                 "territory", "line", "load/cap", "duty", "present");
    }
    for (size_t i = 0; i < cr->n_roster; i++) {
        const Fengqiao__V1__RosterEntry *e = cr->roster[i];
        int worker = e->kind && strcmp(e->kind, "worker") == 0;
        char load[32];
        if (worker)
            snprintf(load, sizeof load, "%u/%u", e->load, e->capacity);
        else
            snprintf(load, sizeof load, "%u", e->load);
        add_line(&a->roster, &a->n_roster, "%-34s %-11s %-22s %-12s %9s %-7s %-7s", s_or(e->id, ""),
                 s_or(e->kind, ""), s_or(e->territory, "-"), s_or(e->line, "-"), load,
                 worker ? (e->on_duty ? "on" : "off") : "",
                 worker ? (e->present ? "yes" : "no") : "");
    }
    if (cr->more && cr->cursor && cr->cursor[0] && strlen(cr->cursor) < CURSOR_MAX) {
        snprintf(a->roster_cursor, sizeof a->roster_cursor, "%s", cr->cursor);
        send_roster_page(a);
    } else {
        a->roster_cursor[0] = '\0';
    }
}

static void result_stats(app *a, const fqc_result *r)
{
    a->stats_in_flight = 0;
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console)) {
        a->once_exit = r->outcome == FQC_NO_ANSWER ? EXIT_NO_ANSWER : EXIT_REFUSED;
        if (a->tui)
            set_status(a, 1, "statistics: %s: %s",
                       r->outcome == FQC_NO_ANSWER ? "no answer" : fq_status_name(r->status),
                       r->message);
        else
            fprintf(stderr, PROG ": %s: %s\n",
                    r->outcome == FQC_NO_ANSWER ? "no answer" : fq_status_name(r->status),
                    r->message);
        return;
    }
    note_routing_status(a, r->console);
    /* Every page is a CSV with its header: keep the first page's only. */
    const char *page = s_or(r->console->stats_csv, "");
    if (a->stats_paging != NULL)
        page = strchr(page, '\n') ? strchr(page, '\n') + 1 : "";
    size_t had = a->stats_paging ? strlen(a->stats_paging) : 0;
    char *grown = realloc(a->stats_paging, had + strlen(page) + 1);
    if (grown == NULL) {
        a->once_exit = EXIT_NO_ANSWER;
        set_status(a, 1, "statistics: out of memory");
        return;
    }
    memcpy(grown + had, page, strlen(page) + 1);
    a->stats_paging = grown;
    if (r->console->more && r->console->cursor && r->console->cursor[0] &&
        strlen(r->console->cursor) < CURSOR_MAX) {
        snprintf(a->stats_cursor, sizeof a->stats_cursor, "%s", r->console->cursor);
        send_stats_page(a);
        return;
    }
    a->once_exit = EXIT_OK;
    free(a->stats_csv);
    a->stats_csv = a->stats_paging;
    a->stats_paging = NULL;
    free_lines(&a->stats, &a->n_stats);
    fqcon_csv csv;
    if (a->stats_csv && fqcon_csv_parse(a->stats_csv, &csv) == 0) {
        fqcon_stats_table(&csv, &a->stats, &a->n_stats);
        fqcon_csv_free(&csv);
    }
}

static void result_command(app *a, const fqc_result *r)
{
    a->cmd_in_flight = 0;
    const char *name = command_name(a->cmd.kind);
    if (r->outcome == FQC_NO_ANSWER) {
        if (a->cmd_tries < COMMAND_TRIES) {
            a->cmd_retry_at = fqt_monotonic_ms() + 1000 + randombytes_uniform(2000);
            set_status(a, 1, "%s #%" PRIu64 ": no answer (%s); retrying with the same message id",
                       name, a->cmd.incident_id, r->message);
        } else {
            a->cmd_unanswered = 1;
            set_status(a, 1,
                       "%s #%" PRIu64 ": no answer, outcome unknown (message id %" PRIu64
                       "); :retry sends it again with the same id",
                       name, a->cmd.incident_id, a->cmd_id);
        }
        return;
    }
    a->cmd_unanswered = 0;
    if (r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        set_status(a, 0, "%s #%" PRIu64 ": OK, state %s, event %" PRIu64, name, r->incident_id,
                   r->state[0] ? r->state : "-", r->event_seq);
        a->board_dirty = 1;
        if (a->detail_id == r->incident_id && a->scr == SCR_DETAIL)
            send_detail(a);
    } else {
        set_status(a, 1, "%s #%" PRIu64 " refused: %s: %s", name, a->cmd.incident_id,
                   fq_status_name(r->status), r->message);
    }
}

static void on_done(void *user, uint64_t tag, const fqc_result *r)
{
    app *a = user;
    switch (tag) {
    case FQT_SYNC_TAG:
    case FQT_FINAL_TAG:
        fqt_sync_on_result(&a->sync, tag, r);
        break;
    case TAG_BOARD:
        result_board(a, r);
        break;
    case TAG_DETAIL:
        result_detail(a, r);
        break;
    case TAG_ROSTER:
        result_roster(a, r);
        break;
    case TAG_STATS:
        result_stats(a, r);
        break;
    case TAG_COMMAND:
        result_command(a, r);
        break;
    default:
        break;
    }
    /* A paged answer is done at its last page. */
    a->once_done = !a->board_in_flight && !a->stats_in_flight;
}

static int on_feed(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n)
{
    app *a = user;
    for (size_t i = 0; i < n; i++) {
        const Fengqiao__V1__OutboxItem *it = items[i];
        char at[32];
        fqcon_format_clock(it->at_ms ? it->at_ms : fq_now_ms(), 0, at, sizeof at);
        snprintf(a->ticker[a->ticker_head], sizeof a->ticker[0], "%s #%" PRIu64 " %s  %s", at,
                 it->incident_id, s_or(it->text, ""), s_or(it->title, ""));
        a->ticker_head = (a->ticker_head + 1) % TICKER;
        if (a->n_ticker < TICKER)
            a->n_ticker++;
        if (a->scr == SCR_DETAIL && it->incident_id == a->detail_id)
            send_detail(a);
    }
    a->board_dirty = 1;
    return 0;
}

/* ---- drawing ---- */

/* Rows the routing status takes at the top of the screen (0 or 1): the
 * screens' rows start below it. */
static int rows_above;

static void put_line(int y, const char *text, int cols, attr_t attr)
{
    char buf[2400];
    fqcon_fit(text, cols, 1, buf, sizeof buf);
    attron(attr);
    mvaddstr(y + rows_above, 0, buf);
    attroff(attr);
}

static void draw_list(app *a, char **lines, size_t n, int scroll, const char *title, int rows,
                      int cols)
{
    put_line(0, title, cols, A_BOLD | A_REVERSE);
    for (int y = 1; y < rows; y++) {
        size_t i = (size_t)scroll + (size_t)(y - 1);
        put_line(y, i < n ? lines[i] : "", cols, i == 0 && a->scr != SCR_DETAIL ? A_BOLD : 0);
    }
}

static void draw(app *a)
{
    int H, W;
    getmaxyx(stdscr, H, W);
    if (H < 8 || W < 40) {
        erase();
        mvaddstr(0, 0, "window too small");
        refresh();
        return;
    }
    int64_t now = fq_now_ms();
    erase();
    int body = H - 2; /* rows 0 .. H-3; status H-2; command line H-1 */
    char title[600];
    rows_above = 0;
    if (a->routing_status[0] != '\0') {
        /* The server routes with a state that is not the database's: above
         * every screen, in red, until a reply says the routing is current. */
        char alarm[1200];
        snprintf(alarm, sizeof alarm, "ROUTING: %s", a->routing_status);
        put_line(0, alarm, W, A_BOLD | A_REVERSE | (has_colors() ? COLOR_PAIR(1) : 0));
        rows_above = 1;
        body -= 1;
    }
    if (a->scr == SCR_BOARD) {
        int ticker_rows = H >= 20 ? 3 : 0;
        int list_rows = body - 2 - ticker_rows;
        char filt[200] = "";
        size_t used = 0;
        if (a->filter.tier)
            used += (size_t)snprintf(filt + used, sizeof filt - used, " tier=%s",
                                     fqcon_tier_name(a->filter.tier));
        if (a->filter.town[0] && used < sizeof filt)
            used += (size_t)snprintf(filt + used, sizeof filt - used, " town=%s", a->filter.town);
        if (a->filter.line && used < sizeof filt)
            used += (size_t)snprintf(filt + used, sizeof filt - used, " line=%s",
                                     fqcon_line_name(a->filter.line));
        if (a->filter.assignment[0] && used < sizeof filt)
            used += (size_t)snprintf(filt + used, sizeof filt - used, " assignment=%s",
                                     a->filter.assignment);
        if (a->filter.overdue_only && used < sizeof filt)
            snprintf(filt + used, sizeof filt - used, " overdue");
        snprintf(title, sizeof title, "fq-console %s — open incidents, most urgent first%s%s",
                 a->node, filt[0] ? "  filter:" : "", filt);
        put_line(0, title, W, A_BOLD | A_REVERSE);
        char line[2400];
        int tw = title_width(W);
        format_header(tw, line, sizeof line);
        put_line(1, line, W, A_BOLD | A_UNDERLINE);
        if (a->selected < a->top)
            a->top = a->selected;
        if (a->selected >= a->top + list_rows)
            a->top = a->selected - list_rows + 1;
        if (a->top < 0)
            a->top = 0;
        for (int y = 0; y < list_rows; y++) {
            size_t i = (size_t)(a->top + y);
            if (i >= a->n_rows) {
                if (i == 0 && y == 0)
                    put_line(2, a->board_ok ? "  (no open incidents)" : "  (loading…)", W, 0);
                break;
            }
            format_row(&a->rows[i], now, tw, line, sizeof line);
            attr_t attr = 0;
            if (row_overdue(&a->rows[i], now))
                attr |= A_BOLD | (has_colors() ? COLOR_PAIR(1) : 0);
            else if (a->rows[i].severity == 1 || a->rows[i].severity == 2)
                attr |= has_colors() ? COLOR_PAIR(2) : 0;
            if ((int)i == a->selected)
                attr |= A_REVERSE;
            put_line(2 + y, line, W, attr);
        }
        for (int k = 0; k < ticker_rows; k++) {
            int y = body - ticker_rows + k;
            int back = ticker_rows - 1 - k; /* the newest at the bottom */
            if (back < a->n_ticker) {
                int idx = ((a->ticker_head - 1 - back) % TICKER + TICKER) % TICKER;
                char t[400];
                snprintf(t, sizeof t, "» %s", a->ticker[idx]);
                put_line(y, t, W, has_colors() ? COLOR_PAIR(4) : A_DIM);
            } else if (k == 0) {
                put_line(y, "» (feed: no changes yet)", W, A_DIM);
            }
        }
    } else if (a->scr == SCR_DETAIL) {
        snprintf(title, sizeof title,
                 "incident #%" PRIu64 "%s   (↑/↓ PgUp/PgDn scroll, g reload, Esc/q back)",
                 a->detail_id, a->detail_in_flight ? " (loading…)" : "");
        draw_list(a, a->detail, a->n_detail, a->detail_scroll, title, body, W);
    } else if (a->scr == SCR_STATS) {
        char from[32], to[32];
        fqcon_format_clock(a->stats_from, 1, from, sizeof from);
        fqcon_format_clock(a->stats_to, 1, to, sizeof to);
        snprintf(
            title, sizeof title,
            "statistics %s by %s (%s .. %s)%s   (t/w/m period, b grouping, g reload, Esc/q back)",
            a->period, a->by, from, to, a->stats_in_flight ? " (loading…)" : "");
        draw_list(a, a->stats, a->n_stats, 0, title, body, W);
    } else if (a->scr == SCR_ROSTER) {
        snprintf(title, sizeof title, "roster %s%s   (↑/↓ scroll, g reload, Esc/q back)",
                 a->roster_town[0] ? a->roster_town : "(jurisdiction)",
                 a->roster_in_flight ? " (loading…)" : "");
        put_line(0, title, W, A_BOLD | A_REVERSE);
        for (int y = 1; y < body; y++) {
            size_t i = y == 1 ? 0 : (size_t)a->roster_scroll + (size_t)(y - 1);
            put_line(y, i < a->n_roster ? a->roster[i] : "", W, y == 1 ? A_BOLD : 0);
        }
    } else {
        put_line(0, "fq-console — commands and keys (any key: back)", W, A_BOLD | A_REVERSE);
        for (int i = 0; fqcon_command_help[i] && i + 1 < body; i++)
            put_line(i + 1, fqcon_command_help[i], W, 0);
    }

    rows_above = 0; /* the status and command lines stay at the bottom */
    /* status line */
    int up = fqc_connections(a->client) > 0;
    int overdue = 0;
    for (size_t i = 0; i < a->n_rows; i++)
        overdue += row_overdue(&a->rows[i], now);
    char when[32], st[2000];
    fqcon_format_clock(a->refreshed_ms, 0, when, sizeof when);
    snprintf(st, sizeof st, "%s | feed %" PRIu64 " | open %zu overdue %d | refreshed %s%s%s%s | %s",
             up ? "connected" : "UNREACHABLE, retrying", a->sync.after_seq, a->n_rows, overdue,
             when, a->board_in_flight ? " …" : "", a->board_note[0] ? " | " : "", a->board_note,
             a->status);
    attr_t sattr = A_REVERSE;
    if ((!up || a->status_bad || a->board_note[0]) && has_colors())
        sattr |= COLOR_PAIR(1);
    put_line(H - 2, st, W, sattr);
    if (a->editing) {
        char buf[2400];
        size_t n = wcstombs(buf + 1, a->edit, sizeof buf - 2);
        buf[0] = ':';
        if (n == (size_t)-1)
            n = 0;
        buf[n + 1] = '\0';
        int w = fqcon_width(buf);
        const char *shown = buf;
        while (w >= W && *shown) { /* keep the end (where one types) visible */
            shown++;
            while ((*shown & 0xC0) == 0x80)
                shown++;
            w = fqcon_width(shown);
        }
        put_line(H - 1, shown, W, 0);
        curs_set(1);
        move(H - 1, w < W ? w : W - 1);
    } else {
        curs_set(0);
        put_line(H - 1, ": command  Enter detail  s stats  r roster  g refresh  ? help  q quit", W,
                 A_DIM);
    }
    refresh();
}

/* ---- commands and keys ---- */

static void start_command(app *a, const fqcon_cmd *c)
{
    if (a->cmd_in_flight || a->cmd_retry_at) {
        set_status(a, 1, "the previous command has no answer yet");
        return;
    }
    a->cmd = *c;
    a->cmd_id = fqc_random_message_id();
    a->cmd_deadline_ms = c->kind == FQCON_SUPERVISE ? fq_now_ms() + c->duration_ms : 0;
    a->cmd_tries = 0;
    a->cmd_unanswered = 0;
    set_status(a, 0, "%s #%" PRIu64 ": sent…", command_name(c->kind), c->incident_id);
    send_command(a);
}

static void run_line(app *a, const char *text)
{
    fqcon_cmd c;
    char err[300];
    if (fqcon_parse_command(text, &c, err, sizeof err) != 0) {
        set_status(a, 1, "%s", err);
        return;
    }
    if (fqcon_kind_acts_on_incident(c.kind)) {
        if (c.incident_id == 0 && a->scr == SCR_DETAIL && a->detail_id != 0)
            c.incident_id = a->detail_id; /* :suspend REASON on the incident shown */
        if (c.incident_id == 0) {
            set_status(a, 1, "which incident? open it (Enter) or give its number: %s ID REASON",
                       command_name(c.kind));
            return;
        }
        start_command(a, &c);
        return;
    }
    switch (c.kind) {
    case FQCON_FILTER:
        if (c.filter_clear)
            memset(&a->filter, 0, sizeof a->filter);
        if (c.filter.tier)
            a->filter.tier = c.filter.tier;
        if (c.filter.line)
            a->filter.line = c.filter.line;
        if (c.filter.town[0])
            strcpy(a->filter.town, c.filter.town);
        if (c.filter.assignment[0])
            strcpy(a->filter.assignment, c.filter.assignment);
        if (c.filter.overdue_only)
            a->filter.overdue_only = 1;
        a->selected = a->top = 0;
        a->board_dirty = 1;
        a->scr = SCR_BOARD;
        set_status(a, 0, "filter set");
        break;
    case FQCON_STATS:
        if (c.period[0])
            strcpy(a->period, c.period);
        if (c.by[0])
            strcpy(a->by, c.by);
        a->scr = SCR_STATS;
        send_stats(a);
        break;
    case FQCON_ROSTER:
        strcpy(a->roster_town, c.town);
        a->roster_scroll = 0;
        a->scr = SCR_ROSTER;
        send_roster(a);
        break;
    case FQCON_HELP:
        a->scr = SCR_HELP;
        break;
    case FQCON_QUIT:
        a->quit = 1;
        break;
    case FQCON_RETRY:
        if (!a->cmd_unanswered || a->cmd_in_flight) {
            set_status(a, 1, "no unanswered command to retry");
            break;
        }
        a->cmd_unanswered = 0;
        a->cmd_tries = 0;
        set_status(a, 0, "%s #%" PRIu64 ": sent again (message id %" PRIu64 ")",
                   command_name(a->cmd.kind), a->cmd.incident_id, a->cmd_id);
        send_command(a);
        break;
    case FQCON_BOARD:
        a->scr = SCR_BOARD;
        break;
    default:
        break;
    }
}

static void key_edit(app *a, int kind, wint_t ch)
{
    if (kind == KEY_CODE_YES) {
        if (ch == KEY_BACKSPACE) {
            if (a->edit_len > 0)
                a->edit[--a->edit_len] = 0;
            else
                a->editing = 0;
        } else if (ch == KEY_ENTER) {
            goto enter;
        }
        return;
    }
    if (ch == 27) { /* Esc */
        a->editing = 0;
        return;
    }
    if (ch == 127 || ch == 8) {
        if (a->edit_len > 0)
            a->edit[--a->edit_len] = 0;
        else
            a->editing = 0;
        return;
    }
    if (ch == 21) { /* Ctrl-U */
        a->edit_len = 0;
        a->edit[0] = 0;
        return;
    }
    if (ch == '\n' || ch == '\r')
        goto enter;
    if (ch < 32)
        return;
    if (a->edit_len + 1 < (int)(sizeof a->edit / sizeof a->edit[0])) {
        a->edit[a->edit_len++] = (wchar_t)ch;
        a->edit[a->edit_len] = 0;
    }
    return;
enter:;
    char buf[2400];
    size_t n = wcstombs(buf, a->edit, sizeof buf - 1);
    a->editing = 0;
    if (n == (size_t)-1) {
        set_status(a, 1, "the command line could not be encoded");
        return;
    }
    buf[n] = '\0';
    a->edit_len = 0;
    a->edit[0] = 0;
    run_line(a, buf);
}

static void scroll_by(int *pos, int delta, size_t n)
{
    int v = *pos + delta;
    if (v > (int)n - 1)
        v = (int)n - 1;
    if (v < 0)
        v = 0;
    *pos = v;
}

static void key(app *a, int kind, wint_t ch)
{
    if (a->editing) {
        key_edit(a, kind, ch);
        return;
    }
    int H, W;
    getmaxyx(stdscr, H, W);
    (void)W;
    int page = H - 6 > 1 ? H - 6 : 1;
    int up = 0, down = 0, pgup = 0, pgdn = 0, enter = 0, back = 0;
    if (kind == KEY_CODE_YES) {
        up = ch == KEY_UP;
        down = ch == KEY_DOWN;
        pgup = ch == KEY_PPAGE;
        pgdn = ch == KEY_NPAGE;
        enter = ch == KEY_ENTER;
        if (ch == KEY_HOME && a->scr == SCR_BOARD)
            a->selected = 0;
        if (ch == KEY_END && a->scr == SCR_BOARD && a->n_rows)
            a->selected = (int)a->n_rows - 1;
        if (ch == KEY_RESIZE)
            return;
    } else {
        up = ch == 'k';
        down = ch == 'j';
        enter = ch == '\n' || ch == '\r';
        back = ch == 27 || ch == 'q';
        if (ch == ':') {
            a->editing = 1;
            a->edit_len = 0;
            a->edit[0] = 0;
            return;
        }
        if (ch == '?' || ch == 'h') {
            a->scr = SCR_HELP;
            return;
        }
    }
    switch (a->scr) {
    case SCR_BOARD:
        if (back) {
            if (ch == 'q')
                a->quit = 1;
            return;
        }
        if (up || down || pgup || pgdn) {
            scroll_by(&a->selected, up ? -1 : down ? 1 : pgup ? -page : page, a->n_rows);
        } else if (enter && a->n_rows > 0) {
            a->detail_id = a->rows[a->selected].id;
            a->detail_scroll = 0;
            free_lines(&a->detail, &a->n_detail);
            a->scr = SCR_DETAIL;
            send_detail(a);
        } else if (kind != KEY_CODE_YES && ch == 's') {
            a->scr = SCR_STATS;
            send_stats(a);
        } else if (kind != KEY_CODE_YES && ch == 'r') {
            a->scr = SCR_ROSTER;
            send_roster(a);
        } else if (kind != KEY_CODE_YES && ch == 'g') {
            a->board_dirty = 1;
        }
        return;
    case SCR_DETAIL:
        if (back)
            a->scr = SCR_BOARD;
        else if (up || down || pgup || pgdn)
            scroll_by(&a->detail_scroll, up ? -1 : down ? 1 : pgup ? -page : page, a->n_detail);
        else if (kind != KEY_CODE_YES && ch == 'g')
            send_detail(a);
        return;
    case SCR_STATS:
        if (back) {
            a->scr = SCR_BOARD;
        } else if (kind != KEY_CODE_YES && (ch == 't' || ch == 'w' || ch == 'm')) {
            strcpy(a->period, ch == 't' ? "today" : ch == 'w' ? "week" : "month");
            send_stats(a);
        } else if (kind != KEY_CODE_YES && ch == 'b') {
            static const char *const order[] = {"town", "line", "unit", "worker", "district"};
            int i = 0;
            while (i < 5 && strcmp(order[i], a->by) != 0)
                i++;
            strcpy(a->by, order[(i + 1) % 5]);
            send_stats(a);
        } else if (kind != KEY_CODE_YES && ch == 'g') {
            send_stats(a);
        }
        return;
    case SCR_ROSTER:
        if (back)
            a->scr = SCR_BOARD;
        else if (up || down || pgup || pgdn)
            scroll_by(&a->roster_scroll,
                      up     ? -1
                      : down ? 1
                      : pgup ? -page
                             : page,
                      a->n_roster > 1 ? a->n_roster - 1 : 1);
        else if (kind != KEY_CODE_YES && ch == 'g')
            send_roster(a);
        return;
    case SCR_HELP:
        a->scr = SCR_BOARD;
        return;
    }
}

/* ---- setup ---- */

static int open_client(app *a, int window)
{
    fqc_config config = {0};
    config.url = a->url;
    config.node = a->node;
    memcpy(config.key, a->key, sizeof config.key);
    config.window = window;
    config.timeout_ms = a->timeout_ms;
    config.resend_ivl_ms = FQC_SYNC_RESEND_IVL_MS;
    config.reconnect_max_ms = 2000;
    char err[256];
    int rv = fqc_open(&config, on_done, a, &a->client, err, sizeof err);
    sodium_memzero(config.key, sizeof config.key);
    if (rv != 0)
        fprintf(stderr, PROG ": %s\n", err);
    return rv;
}

/* A UTF-8 LC_CTYPE: the environment's, else C.UTF-8. */
static void utf8_locale(void)
{
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    if (cs == NULL || strcmp(cs, "UTF-8") != 0) {
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
            setlocale(LC_CTYPE, "en_US.UTF-8");
    }
}

static int run_tui(app *a)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, PROG ": the board needs a terminal; use `fq-console board --once`\n");
        return EXIT_USAGE;
    }
    if (open_client(a, 8) != 0)
        return EXIT_USAGE;
    /* The syncer and the library log on stderr: keep them off the screen. */
    int log_fd = open(a->log_file ? a->log_file : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log_fd >= 0) {
        dup2(log_fd, STDERR_FILENO);
        close(log_fd);
    }
    a->tui = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_RED, -1);
        init_pair(2, COLOR_YELLOW, -1);
        init_pair(3, COLOR_GREEN, -1);
        init_pair(4, COLOR_CYAN, -1);
    }
    fqt_sync_init(&a->sync, a->client, PROG, a->url, a->node, 0, 0, on_feed, a);
    a->board_dirty = 1;
    set_status(a, 0, "started");
    int64_t last_draw = 0;
    int feed_refused = 0;
    while (!a->quit && !stop_signal) {
        int t = fqt_sync_tick(&a->sync);
        int64_t now = fqt_monotonic_ms();
        if (!a->board_in_flight && (a->board_dirty || now >= a->board_next_ms))
            send_board(a);
        if (a->cmd_retry_at && now >= a->cmd_retry_at && !a->cmd_in_flight)
            send_command(a);
        if (a->sync.done && !feed_refused) { /* refused for good (revoked, not a console) */
            feed_refused = 1;
            set_status(a, 1,
                       "the feed was refused (--log FILE says why); the board still refreshes");
        }
        draw(a);
        last_draw = now;
        int timeout = 1000 - (int)((fq_now_ms()) % 1000) + 5; /* the clock column */
        if (t >= 0 && t < timeout)
            timeout = t;
        if (!a->board_in_flight && a->board_next_ms - now < timeout)
            timeout = a->board_next_ms > now ? (int)(a->board_next_ms - now) : 0;
        if (a->cmd_retry_at && a->cmd_retry_at - now < timeout)
            timeout = a->cmd_retry_at > now ? (int)(a->cmd_retry_at - now) : 0;
        struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
        fqt_wait(a->client, &in, 1, timeout);
        if (in.revents & (POLLHUP | POLLERR | POLLNVAL))
            a->quit = 1;
        wint_t ch;
        int kind;
        while ((kind = get_wch(&ch)) != ERR && !a->quit)
            key(a, kind, ch);
    }
    (void)last_draw;
    endwin();
    fqc_close(a->client);
    return EXIT_OK;
}

/* ---- one-shot modes ---- */

static int wait_once(app *a)
{
    while (!a->once_done)
        fqc_poll(a->client, 200);
    return a->once_exit;
}

static int board_once(app *a)
{
    if (open_client(a, 1) != 0)
        return EXIT_USAGE;
    send_board(a);
    int rc = wait_once(a);
    if (a->routing_status[0] != '\0')
        fprintf(stderr, PROG ": ROUTING: %s\n", a->routing_status);
    if (rc == EXIT_OK) {
        char line[2400];
        int64_t now = fq_now_ms();
        int tw = 40;
        format_header(tw, line, sizeof line);
        printf("%s\n", line);
        for (size_t i = 0; i < a->n_rows; i++) {
            format_row(&a->rows[i], now, tw, line, sizeof line);
            /* no trailing padding in plain text */
            size_t n = strlen(line);
            while (n > 0 && line[n - 1] == ' ')
                line[--n] = '\0';
            printf("%s\n", line);
        }
    }
    fqc_close(a->client);
    return rc;
}

static int report(app *a, const char *from, const char *to, int csv)
{
    int64_t now = fq_now_ms(), f, t;
    if (fqcon_parse_time(from, now, &f) != 0 || fqcon_parse_time(to, now, &t) != 0) {
        fprintf(stderr,
                PROG ": --from/--to: an ISO date or time (2026-11-27, 2026-11-27T08:00+08:00), "
                     "epoch milliseconds, or now\n");
        return EXIT_USAGE;
    }
    if (open_client(a, 1) != 0)
        return EXIT_USAGE;
    send_stats_range(a, f, t);
    int rc = wait_once(a);
    if (a->routing_status[0] != '\0')
        fprintf(stderr, PROG ": ROUTING: %s\n", a->routing_status);
    if (rc == EXIT_OK) {
        if (csv) {
            fputs(a->stats_csv ? a->stats_csv : "", stdout);
            size_t n = a->stats_csv ? strlen(a->stats_csv) : 0;
            if (n > 0 && a->stats_csv[n - 1] != '\n')
                putchar('\n');
        } else {
            for (size_t i = 0; i < a->n_stats; i++)
                printf("%s\n", a->stats[i]);
        }
    }
    fqc_close(a->client);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fq-console --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] [board]\n"
            "       fq-console ... board --once [--filter TOKEN]...\n"
            "       fq-console ... report --from TIME --to TIME [--by "
            "town|line|unit|worker|district] [--csv]\n"
            "\n"
            "The district command console: a live board of the open incidents of the node's\n"
            "jurisdiction (docs/fq-console.md).\n"
            "\n"
            "  --node ID          the console node's id (or FQ_NODE)\n"
            "  --key-file FILE    file with the node key in hex (or FQ_NODE_KEY=hex)\n"
            "  --url URL          terminal endpoint (or FQ_TERMINALS; default " DEFAULT_TERMINALS
            ")\n"
            "  --log FILE         where the board writes its connection log (default: nowhere)\n"
            "  --timeout-ms N     give up on one request after this long (default 10000)\n"
            "  --filter TOKEN     board --once: tier=…, town=…, line=…, assignment=…, overdue\n"
            "  TIME               2026-11-27, 2026-11-27T08:00[:00][Z|+08:00], epoch ms, now\n"
            "\n"
            "Exit: 0 ok, 1 refused, 2 usage, 3 no answer.\n");
}

int main(int argc, char **argv)
{
    static app a;
    a.node = getenv("FQ_NODE");
    a.url = getenv("FQ_TERMINALS") ? getenv("FQ_TERMINALS") : DEFAULT_TERMINALS;
    a.timeout_ms = 10000;
    strcpy(a.period, "today");
    strcpy(a.by, "town");
    const char *cmd = NULL, *from = NULL, *to = NULL;
    int once = 0, csv = 0;
    utf8_locale();
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE()                                                                                    \
    do {                                                                                           \
        if (v == NULL) {                                                                           \
            fprintf(stderr, PROG ": %s needs a value\n", o);                                       \
            return EXIT_USAGE;                                                                     \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(o, "--node") == 0) {
            VALUE();
            a.node = v;
        } else if (strcmp(o, "--key-file") == 0) {
            VALUE();
            a.key_file = v;
        } else if (strcmp(o, "--url") == 0) {
            VALUE();
            a.url = v;
        } else if (strcmp(o, "--log") == 0) {
            VALUE();
            a.log_file = v;
        } else if (strcmp(o, "--timeout-ms") == 0) {
            VALUE();
            a.timeout_ms = strtoll(v, NULL, 10);
            if (a.timeout_ms < 100 || a.timeout_ms > 600000) {
                fprintf(stderr, PROG ": --timeout-ms: 100 .. 600000\n");
                return EXIT_USAGE;
            }
        } else if (strcmp(o, "--from") == 0) {
            VALUE();
            from = v;
        } else if (strcmp(o, "--to") == 0) {
            VALUE();
            to = v;
        } else if (strcmp(o, "--by") == 0) {
            VALUE();
            if (strcmp(v, "town") && strcmp(v, "line") && strcmp(v, "unit") &&
                strcmp(v, "worker") && strcmp(v, "district")) {
                fprintf(stderr, PROG ": --by town|line|unit|worker|district\n");
                return EXIT_USAGE;
            }
            snprintf(a.by, sizeof a.by, "%s", v);
        } else if (strcmp(o, "--filter") == 0) {
            VALUE();
            if (fqcon_parse_filter_token(v, &a.filter) != 0) {
                fprintf(stderr,
                        PROG ": --filter %s: tier=…, town=…, line=…, assignment=…, overdue\n", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(o, "--once") == 0) {
            once = 1;
        } else if (strcmp(o, "--csv") == 0) {
            csv = 1;
        } else if (o[0] != '-' && cmd == NULL &&
                   (strcmp(o, "board") == 0 || strcmp(o, "report") == 0)) {
            cmd = o;
        } else {
            fprintf(stderr, PROG ": unknown argument '%s'\n", o);
            usage(stderr);
            return EXIT_USAGE;
        }
#undef VALUE
    }
    if (cmd == NULL)
        cmd = "board";
    if (a.node == NULL || a.node[0] == '\0') {
        fprintf(stderr, PROG ": --node ID is required (or FQ_NODE)\n");
        return EXIT_USAGE;
    }
    char key_err[512];
    if (a.key_file) {
        if (fqc_load_key_file(a.key_file, a.key, key_err, sizeof key_err) != 0) {
            fprintf(stderr, PROG ": %s\n", key_err);
            return EXIT_USAGE;
        }
    } else if (getenv("FQ_NODE_KEY") == NULL || fqc_parse_key(getenv("FQ_NODE_KEY"), a.key) != 0) {
        fprintf(stderr, PROG ": need the node key: --key-file FILE or FQ_NODE_KEY (64 hex)\n");
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "report") == 0) {
        if (from == NULL || to == NULL) {
            fprintf(stderr, PROG ": report needs --from TIME and --to TIME\n");
            return EXIT_USAGE;
        }
        return report(&a, from, to, csv);
    }
    if (from || to || csv) {
        fprintf(stderr, PROG ": --from, --to and --csv belong to report\n");
        return EXIT_USAGE;
    }
    if (once)
        return board_once(&a);
    return run_tui(&a);
}
