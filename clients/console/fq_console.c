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
#include "fqi18n.h"
#include "syncer.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#define TAG_SEARCH 6

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
    unsigned overdue_limits; /* the server's: 1 acknowledge, 2 conclude, 4 supervision reply */
    int64_t suspended_at;
    char category[64], title[256], town[65], territory[65], holder[160], assignment[32];
    char state[32]; /* the incident's: assigned (open), concluded, merged, unroutable */
    /* The topology's display names ('' when the server sent none: the id shows) */
    char category_name[128], town_name[128], territory_name[128], holder_name[200];
    int64_t ack_due, conclude_due;
} row;

typedef enum console_screen {
    SCR_BOARD,
    SCR_SEARCH,
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

    /* ids instead of names (the `i` key, `:ids`) */
    int show_ids;
    int names_asked; /* the roster was read for the statistics' names */
    /* names seen in replies, by id: the statistics' groups are ids */
    struct named {
        char id[65], name[128];
    } * names;
    size_t n_names, cap_names;
    uint32_t *slots; /* index + 1 into names, 0 empty; n_slots a power of two */
    size_t n_slots;

    /* search results (`:search TEXT`) */
    char search_text[260];
    row *found;
    size_t n_found;
    int found_selected, found_top, search_in_flight;
    row *found_paging;
    size_t n_found_paging, cap_found_paging;
    char search_cursor[CURSOR_MAX];

    /* detail */
    uint64_t detail_id;
    console_screen detail_back; /* where Esc goes: the board or the search results */
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
    fqcon_table stats_table; /* as the server sent it, every page */
    char **stats;
    size_t n_stats;
    int stats_in_flight, stats_scroll, stats_hscroll, stats_group_w;
    char stats_cursor[CURSOR_MAX];
    fqcon_table stats_paging; /* the pages' rows so far (the header once) */

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

/* "fq-console: " and a message in the language chosen (fmt is translated). */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
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

/* ---- names ---- */

/* The statistics' periods and groupings, named in the screen's title. */
static const char *const stats_words[]
    __attribute__((unused)) = {N_("today"), N_("week"), N_("month"),  N_("town"),
                               N_("line"),  N_("unit"), N_("worker"), N_("district")};

/* Names by id: an open-addressed table of indexes into a->names (a board
 * of 10,000 rows names five ids each, every refresh). */
static uint32_t id_hash(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

static struct named *find_name(const app *a, const char *id)
{
    if (a->n_slots == 0)
        return NULL;
    for (size_t i = id_hash(id) & (a->n_slots - 1);; i = (i + 1) & (a->n_slots - 1)) {
        if (a->slots[i] == 0)
            return NULL;
        struct named *n = &a->names[a->slots[i] - 1];
        if (strcmp(n->id, id) == 0)
            return n;
    }
}

static void index_name(app *a, size_t k)
{
    size_t i = id_hash(a->names[k].id) & (a->n_slots - 1);
    while (a->slots[i] != 0)
        i = (i + 1) & (a->n_slots - 1);
    a->slots[i] = (uint32_t)(k + 1);
}

/* Remembers a display name of an id (a town, a unit, a worker) from a
 * reply: the statistics name their groups with these. */
static void remember_name(app *a, const char *id, const char *name)
{
    if (id == NULL || name == NULL || !*id || !*name || strlen(id) >= sizeof a->names[0].id)
        return;
    struct named *known = find_name(a, id);
    if (known != NULL) {
        snprintf(known->name, sizeof known->name, "%s", name);
        return;
    }
    if (a->n_names == a->cap_names) {
        size_t cap = a->cap_names ? a->cap_names * 2 : 64;
        struct named *grown = realloc(a->names, cap * sizeof *grown);
        uint32_t *slots = calloc(cap * 2, sizeof *slots); /* at most half full */
        if (grown != NULL)
            a->names = grown;
        if (grown == NULL || slots == NULL || cap > UINT32_MAX / 4) {
            free(slots);
            return;
        }
        free(a->slots);
        a->slots = slots;
        a->n_slots = cap * 2;
        a->cap_names = cap;
        for (size_t k = 0; k < a->n_names; k++)
            index_name(a, k);
    }
    snprintf(a->names[a->n_names].id, sizeof a->names[0].id, "%s", id);
    snprintf(a->names[a->n_names].name, sizeof a->names[0].name, "%s", name);
    index_name(a, a->n_names);
    a->n_names++;
}

static const char *name_of(void *ctx, const char *id)
{
    app *a = ctx;
    if (a->show_ids)
        return NULL;
    if (strcmp(id, "(district)") == 0)
        return _("(the district itself)");
    int line = fqcon_line_from(id);
    if (line > 0)
        return fq_label_line(line);
    const struct named *n = find_name(a, id);
    return n ? n->name : NULL;
}

/* A name, or its id while the server sends none (or ids are asked for). */
static const char *shown(const app *a, const char *name, const char *id)
{
    return !a->show_ids && name && *name ? name : id && *id ? id : "-";
}

/* ---- the board's rows ---- */

static void copy_row(app *a, row *w, const Fengqiao__V1__IncidentSummary *s)
{
    memset(w, 0, sizeof *w);
    w->id = s->incident_id;
    w->severity = s->severity;
    w->tier = s->tier;
    w->line = s->line;
    w->overdue = s->overdue;
    w->overdue_limits = s->overdue_limits;
    w->suspended_at = s->suspended_at_ms;
    snprintf(w->category, sizeof w->category, "%s", s_or(s->category, ""));
    snprintf(w->title, sizeof w->title, "%s", s_or(s->title, ""));
    snprintf(w->town, sizeof w->town, "%s", s_or(s->town, ""));
    snprintf(w->territory, sizeof w->territory, "%s", s_or(s->territory, ""));
    snprintf(w->category_name, sizeof w->category_name, "%s", s_or(s->category_name, ""));
    snprintf(w->town_name, sizeof w->town_name, "%s", s_or(s->town_name, ""));
    snprintf(w->territory_name, sizeof w->territory_name, "%s", s_or(s->territory_name, ""));
    int by_worker = s->worker && *s->worker;
    size_t used = (size_t)snprintf(w->holder, sizeof w->holder, "%s",
                                   by_worker ? s->worker : s_or(s->lead_unit, ""));
    size_t used_name =
        (size_t)snprintf(w->holder_name, sizeof w->holder_name, "%s",
                         by_worker ? s_or(s->worker_name, "") : s_or(s->lead_unit_name, ""));
    if (s->n_co_units > 0 && used < sizeof w->holder)
        snprintf(w->holder + used, sizeof w->holder - used, " +%zu", s->n_co_units);
    if (s->n_co_units > 0 && used_name > 0 && used_name < sizeof w->holder_name)
        snprintf(w->holder_name + used_name, sizeof w->holder_name - used_name, " +%zu",
                 s->n_co_units);
    snprintf(w->assignment, sizeof w->assignment, "%s", s_or(s->assignment, s_or(s->state, "")));
    snprintf(w->state, sizeof w->state, "%s", s_or(s->state, "assigned"));
    w->ack_due = s->acknowledge_due_ms;
    w->conclude_due = s->conclude_due_ms;
    remember_name(a, s->town, s->town_name);
    remember_name(a, s->territory, s->territory_name);
    remember_name(a, s->lead_unit, s->lead_unit_name);
    remember_name(a, s->worker, s->worker_name);
    remember_name(a, s->category, s->category_name);
}

/* Concluded, merged or not routable: no clock runs (search results). */
static int row_closed(const row *w)
{
    return strcmp(w->state, "assigned") != 0;
}

static int row_unacked(const row *w)
{
    return strcmp(w->assignment, "assigned") == 0 || strcmp(w->assignment, "returned") == 0;
}

/* The limit that counts now: acknowledging while unacknowledged, else
 * concluding. */
static int64_t row_due(const row *w)
{
    if (row_unacked(w) && w->ack_due > 0)
        return w->ack_due;
    return w->conclude_due;
}

/* Which limits have passed (bits as IncidentSummary.overdue_limits): the
 * server's at the last read, and those the clock has passed since. A
 * suspended incident's clocks stand still; a concluded one has none. */
static unsigned row_limits(const row *w, int64_t now_ms)
{
    if (w->suspended_at != 0 || row_closed(w))
        return 0;
    unsigned bits = w->overdue_limits;
    if (row_unacked(w) && w->ack_due > 0 && w->ack_due < now_ms)
        bits |= 1;
    if (w->conclude_due > 0 && w->conclude_due < now_ms)
        bits |= 2;
    if (bits == 0 && w->overdue) /* a server without overdue_limits */
        bits = row_unacked(w) ? 1 : 2;
    return bits;
}

static int row_overdue(const row *w, int64_t now_ms)
{
    return row_limits(w, now_ms) != 0;
}

/* The short mark of the first limit passed, for the board's state column. */
static const char *limit_mark(unsigned bits)
{
    if (bits & 1)
        return _("ack late");
    if (bits & 2)
        return _("conclude late");
    if (bits & 4)
        return _("reply late");
    return "";
}

static const char *row_state(const row *w, int64_t now_ms)
{
    unsigned bits = row_limits(w, now_ms);
    if (bits)
        return limit_mark(bits);
    if (row_closed(w))
        return fq_label_incident_state(w->state);
    if (w->suspended_at != 0)
        return fq_label_event_kind("suspended");
    return fq_label_assignment(w->assignment);
}

/* The widest of the state column's words in the language chosen. */
static int state_width(void)
{
    static const char *const states[] = {"assigned", "acknowledged", "extension_requested",
                                         "returned"};
    int w = 0;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        int x = fqcon_width(fq_label_assignment(states[i]));
        w = x > w ? x : w;
    }
    for (unsigned bit = 1; bit <= 4; bit <<= 1) {
        int x = fqcon_width(limit_mark(bit));
        w = x > w ? x : w;
    }
    return w;
}

static int id_width(const row *rows, size_t n)
{
    uint64_t max = 9;
    for (size_t i = 0; i < n; i++)
        max = rows[i].id > max ? rows[i].id : max;
    int w = 0;
    for (; max > 0; max /= 10)
        w++;
    return w;
}

static void board_layout(int cols, const row *rows, size_t n, fqcon_layout *l)
{
    int id_w = id_width(rows, n) + 1, head_w = fqcon_width(_("no."));
    fqcon_board_layout(cols, id_w > head_w ? id_w : head_w, state_width(), l);
}

static void format_header(const fqcon_layout *l, char *out, size_t len)
{
    const char *cells[FQCON_BOARD_COLS] = {[FQCON_COL_ID] = _("no."),
                                           [FQCON_COL_SEV] = _("sev"),
                                           [FQCON_COL_CATEGORY] = _("category"),
                                           [FQCON_COL_TITLE] = _("title"),
                                           [FQCON_COL_PLACE] = _("place"),
                                           [FQCON_COL_TIERLINE] = _("tier/line"),
                                           [FQCON_COL_HOLDER] = _("holder"),
                                           [FQCON_COL_STATE] = _("state"),
                                           [FQCON_COL_LEFT] = _("left")};
    fqcon_board_line(l, " ", cells, out, len);
}

static void format_row(const app *a, const row *w, int64_t now_ms, const fqcon_layout *l, char *out,
                       size_t len)
{
    char id[32], place[300], tierline[160], left[32];
    /* "#12" on the screen; the number alone in `board --once`, for scripts */
    snprintf(id, sizeof id, "%s%" PRIu64, a->tui ? "#" : "", w->id);
    /* The place: the territory (a grid, a village), after its town when the
     * territory is not the town itself. */
    const char *town = shown(a, w->town_name, w->town);
    const char *territory = shown(a, w->territory_name, w->territory);
    if (*w->town && *w->territory && strcmp(w->town, w->territory) != 0)
        snprintf(place, sizeof place, "%s/%s", town, territory);
    else
        snprintf(place, sizeof place, "%s", *w->territory ? territory : town);
    snprintf(tierline, sizeof tierline, "%s/%s", fq_label_tier(w->tier), fq_label_line(w->line));
    int64_t due = row_due(w);
    if (row_closed(w))
        snprintf(left, sizeof left, "-");
    else if (w->suspended_at != 0)
        snprintf(left, sizeof left, "%s", _("paused"));
    else
        fqcon_format_left(due - now_ms, due > 0, left, sizeof left);
    const char *cells[FQCON_BOARD_COLS] = {[FQCON_COL_ID] = id,
                                           [FQCON_COL_SEV] = fqcon_severity_name(w->severity),
                                           [FQCON_COL_CATEGORY] =
                                               shown(a, w->category_name, w->category),
                                           [FQCON_COL_TITLE] = w->title,
                                           [FQCON_COL_PLACE] = place,
                                           [FQCON_COL_TIERLINE] = tierline,
                                           [FQCON_COL_HOLDER] = shown(a, w->holder_name, w->holder),
                                           [FQCON_COL_STATE] = row_state(w, now_ms),
                                           [FQCON_COL_LEFT] = left};
    fqcon_board_line(l, row_overdue(w, now_ms) ? "!" : " ", cells, out, len);
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

static void send_search_page(app *a)
{
    Fengqiao__V1__SearchQuery sq = FENGQIAO__V1__SEARCH_QUERY__INIT;
    sq.text = a->search_text;
    sq.limit = BOARD_LIMIT;
    Fengqiao__V1__ConsoleQuery q = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    q.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH;
    q.search = &sq;
    q.cursor = a->search_cursor;
    if (send_query(a, TAG_SEARCH, &q) == 0)
        a->search_in_flight = 1;
}

static void send_search(app *a)
{
    if (a->search_in_flight)
        return;
    a->search_cursor[0] = '\0';
    a->n_found_paging = 0;
    send_search_page(a);
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
    fqcon_table_free(&a->stats_paging);
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
        set_status(a, 1, _("%s #%" PRIu64 ": cannot send (out of memory?)"), command_name(c->kind),
                   c->incident_id);
    }
}

/* ---- results ---- */

/* Every console reply carries the server's routing status (a failed
 * routing load; '' again after a good one): the latest reply's wins. */
static void note_routing_status(app *a, const Fengqiao__V1__ConsoleResult *cr)
{
    snprintf(a->routing_status, sizeof a->routing_status, "%s", s_or(cr->routing_status, ""));
    /* The district's time zone: every time shown is in it. */
    int32_t offset;
    if (cr->time_zone && fq_tz_parse(cr->time_zone, &offset) == 0)
        fqcon_set_utc_offset(offset);
}

/* Appends a page of incidents to a paging buffer. 0, or -1 out of memory. */
static int add_rows(app *a, row **buf, size_t *n, size_t *cap,
                    Fengqiao__V1__IncidentSummary *const *incidents, size_t k)
{
    if (*n + k > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < *n + k)
            c *= 2;
        row *grown = realloc(*buf, c * sizeof *grown);
        if (grown == NULL)
            return -1;
        *buf = grown;
        *cap = c;
    }
    for (size_t i = 0; i < k; i++)
        copy_row(a, &(*buf)[(*n)++], incidents[i]);
    return 0;
}

static void result_board(app *a, const fqc_result *r)
{
    a->board_in_flight = 0;
    int64_t now = fqt_monotonic_ms();
    if (r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
        r->has_console) {
        const Fengqiao__V1__ConsoleResult *cr = r->console;
        note_routing_status(a, cr);
        if (add_rows(a, &a->paging, &a->n_paging, &a->cap_paging, cr->incidents, cr->n_incidents) !=
            0) {
            a->board_next_ms = now + 1000;
            a->once_exit = EXIT_NO_ANSWER;
            snprintf(a->board_note, sizeof a->board_note, "%s", _("board: out of memory"));
            return;
        }
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
            snprintf(a->board_note, sizeof a->board_note, _("board: no answer, retrying in %.0f s"),
                     (double)(a->board_next_ms - now) / 1000);
        else
            complain(_("no answer from %s: %s\n"), a->url, r->message);
        return;
    }
    a->board_next_ms = now + REFRESH_MS;
    a->once_exit = EXIT_REFUSED;
    if (a->tui)
        snprintf(a->board_note, sizeof a->board_note, _("board refused: %s: %s"),
                 fq_status_name(r->status), r->message);
    else
        complain(_("refused: %s: %s\n"), fq_status_name(r->status), r->message);
}

static void result_search(app *a, const fqc_result *r)
{
    a->search_in_flight = 0;
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console)) {
        set_status(a, 1, _("search: %s: %s"),
                   r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
                   r->message);
        return;
    }
    const Fengqiao__V1__ConsoleResult *cr = r->console;
    note_routing_status(a, cr);
    if (add_rows(a, &a->found_paging, &a->n_found_paging, &a->cap_found_paging, cr->incidents,
                 cr->n_incidents) != 0) {
        set_status(a, 1, "%s", _("search: out of memory"));
        return;
    }
    if (cr->more && cr->cursor && cr->cursor[0] && strlen(cr->cursor) < CURSOR_MAX) {
        snprintf(a->search_cursor, sizeof a->search_cursor, "%s", cr->cursor);
        send_search_page(a);
        return;
    }
    row *rows = calloc(a->n_found_paging ? a->n_found_paging : 1, sizeof *rows);
    if (rows == NULL)
        return;
    memcpy(rows, a->found_paging, a->n_found_paging * sizeof *rows);
    free(a->found);
    a->found = rows;
    a->n_found = a->n_found_paging;
    a->found_selected = a->found_top = 0;
    set_status(a, 0, _("search \"%s\": %zu found"), a->search_text, a->n_found);
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
        set_status(a, 1, _("incident #%" PRIu64 ": %s: %s"), a->detail_id,
                   r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
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
    char when[32], ack[32], concl[32], sup[32];
    fqcon_format_clock(s->recorded_at_ms, 1, when, sizeof when);
    fqcon_format_clock(s->acknowledge_due_ms, 1, ack, sizeof ack);
    fqcon_format_clock(s->conclude_due_ms, 1, concl, sizeof concl);
    fqcon_format_clock(s->supervision_due_ms, 1, sup, sizeof sup);
    remember_name(a, s->town, s->town_name);
    remember_name(a, s->lead_unit, s->lead_unit_name);
    remember_name(a, s->worker, s->worker_name);
    add_line(L, n, "#%" PRIu64 "  %s", s->incident_id, s_or(s->title, ""));
    add_line(L, n, _("  severity %s  risk %s  category %s"), fq_label_severity(s->severity),
             fq_label_risk(s->risk), shown(a, s->category_name, s->category));
    add_line(L, n, _("  place    %s / %s  %s"), shown(a, s->town_name, s->town),
             shown(a, s->territory_name, s->territory), s_or(s->address, ""));
    add_line(L, n, _("  routing  %s / %s  lead %s  worker %s"), fq_label_tier(s->tier),
             fq_label_line(s->line), shown(a, s->lead_unit_name, s->lead_unit),
             shown(a, s->worker_name, s->worker));
    if (s->n_co_units > 0) {
        char co[800] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->n_co_units && used < sizeof co; i++)
            used += (size_t)snprintf(
                co + used, sizeof co - used, "%s%s", i ? ", " : "",
                shown(a, i < s->n_co_unit_names ? s->co_unit_names[i] : "", s->co_units[i]));
        add_line(L, n, _("  co-units %s"), co);
    }
    /* the incident's state, and the holder's when it says more */
    const char *state = fq_label_incident_state(s->state);
    const char *held = s->assignment && *s->assignment ? fq_label_assignment(s->assignment) : "";
    char both[300];
    if (*held && strcmp(held, state) != 0)
        snprintf(both, sizeof both, "%s (%s)", state, held);
    else
        snprintf(both, sizeof both, "%s", state);
    add_line(L, n, _("  state    %s  escalations %u"), both, s->escalations);
    /* Which limits passed (the server's overdue_limits), by name. */
    unsigned bits = s->overdue_limits;
    if (bits == 0 && s->overdue)
        add_line(L, n, "  %s", _("OVERDUE"));
    for (unsigned bit = 1; bit <= 4; bit <<= 1)
        if (bits & bit)
            add_line(L, n, "  ! %s", fq_label_limit(bit));
    if (s->suspended_at_ms != 0) {
        char since[32];
        fqcon_format_clock(s->suspended_at_ms, 1, since, sizeof since);
        add_line(L, n, _("  SUSPENDED since %s: %s  (:resume REASON… to resume #%" PRIu64 ")"),
                 since, s_or(s->suspend_reason, ""), s->incident_id);
    }
    add_line(L, n, _("  recorded %s  acknowledge by %s  conclude by %s%s"), when, ack, concl,
             s->working_time ? _(" (working time)") : "");
    if (s->supervision_due_ms != 0)
        add_line(L, n, _("  supervision reply due %s"), sup);
    add_line(L, n, _("  reported by %s%s%s"), shown(a, s->reporter_node_name, s->reporter_node),
             s->external_ref && *s->external_ref ? _("  their case no. ") : "",
             s_or(s->external_ref, ""));
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
    add_line(L, n, "%s", _("timeline"));
events:
    a->detail_events += cr->n_timeline;
    if (a->detail_timeline_line < *n) {
        char head[160];
        snprintf(head, sizeof head, _("timeline (%zu events%s)"), a->detail_events,
                 cr->more ? _(", reading…") : "");
        char *copy = strdup(head);
        if (copy != NULL) {
            free((*L)[a->detail_timeline_line]);
            (*L)[a->detail_timeline_line] = copy;
        }
    }
    for (size_t i = 0; i < cr->n_timeline; i++) {
        const Fengqiao__V1__TimelineEvent *e = cr->timeline[i];
        char at[32], kind[120], actor[200], why[8300];
        fqcon_format_clock(e->at_ms, 2, at, sizeof at);
        fqcon_fit(a->show_ids ? s_or(e->kind, "-") : fq_label_event_kind(s_or(e->kind, "-")), 16, 1,
                  kind, sizeof kind);
        fqcon_fit(e->actor && *e->actor ? shown(a, e->actor_name, e->actor) : _("fengqiaod"), 18, 1,
                  actor, sizeof actor);
        fqcon_timeline_reason(e->reason_code, e->reason, e->actor && *e->actor, a->show_ids, why,
                              sizeof why);
        if (a->show_ids)
            add_line(L, n, "  %8" PRIu64 "  %s  %s %s %s", e->seq, at, kind, actor, why);
        else
            add_line(L, n, "  %s  %s %s %s", at, kind, actor, why);
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

/* One roster line, its columns by display width. */
static void add_roster_line(app *a, const char *name, const char *kind, const char *territory,
                            const char *line, const char *load, const char *duty,
                            const char *present)
{
    char c[7][400];
    fqcon_fit(name, 28, 1, c[0], sizeof c[0]);
    fqcon_fit(kind, 10, 1, c[1], sizeof c[1]);
    fqcon_fit(territory, 22, 1, c[2], sizeof c[2]);
    fqcon_fit(line, 12, 1, c[3], sizeof c[3]);
    int lw = fqcon_width(load);
    snprintf(c[4], sizeof c[4], "%*s%s", lw < 9 ? 9 - lw : 0, "", load);
    fqcon_fit(duty, 6, 1, c[5], sizeof c[5]);
    fqcon_fit(present, 6, 0, c[6], sizeof c[6]);
    add_line(&a->roster, &a->n_roster, "%s %s %s %s %s %s %s", c[0], c[1], c[2], c[3], c[4], c[5],
             c[6]);
}

static void rebuild_stats(app *a);

static void result_roster(app *a, const fqc_result *r)
{
    a->roster_in_flight = 0;
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console)) {
        set_status(a, 1, _("roster: %s: %s"),
                   r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
                   r->message);
        return;
    }
    const Fengqiao__V1__ConsoleResult *cr = r->console;
    note_routing_status(a, cr);
    if (a->roster_cursor[0] == '\0') { /* the first page */
        free_lines(&a->roster, &a->n_roster);
        add_roster_line(a, _("name"), _("kind"), _("territory"), _("line"), _("load/cap"),
                        _("duty"), _("present"));
    }
    for (size_t i = 0; i < cr->n_roster; i++) {
        const Fengqiao__V1__RosterEntry *e = cr->roster[i];
        int worker = e->kind && strcmp(e->kind, "worker") == 0;
        char load[32];
        if (worker)
            snprintf(load, sizeof load, "%u/%u", e->load, e->capacity);
        else
            snprintf(load, sizeof load, "%u", e->load);
        remember_name(a, e->id, e->name);
        remember_name(a, e->territory, e->territory_name);
        int line = fqcon_line_from(s_or(e->line, ""));
        add_roster_line(a, shown(a, e->name, e->id), worker ? _("grid worker") : _("unit"),
                        shown(a, e->territory_name, e->territory),
                        line > 0 ? fq_label_line(line) : s_or(e->line, "-"), load,
                        worker ? (e->on_duty ? _("on") : _("off")) : "",
                        worker ? (e->present ? _("yes") : _("no")) : "");
    }
    if (cr->more && cr->cursor && cr->cursor[0] && strlen(cr->cursor) < CURSOR_MAX) {
        snprintf(a->roster_cursor, sizeof a->roster_cursor, "%s", cr->cursor);
        send_roster_page(a);
    } else {
        a->roster_cursor[0] = '\0';
        if (a->scr == SCR_STATS) /* the names it brought */
            rebuild_stats(a);
    }
}

/* The table from the CSV kept: again when names or ids are toggled. */
static void rebuild_stats(app *a)
{
    free_lines(&a->stats, &a->n_stats);
    const fqcon_table *table = &a->stats_table;
    if (table->rows > 0) {
        fqcon_stats_table_named(table, name_of, a, &a->stats, &a->n_stats, &a->stats_group_w);
        /* Groups are ids; their names come from the replies seen so far. A
         * unit or a worker with no open case may not have been seen: the
         * roster names them all (once per run). */
        int unnamed = 0;
        for (size_t r = 1; r < table->rows && table->cols > 0; r++)
            unnamed += table->cells[r * table->cols] != NULL &&
                       name_of(a, table->cells[r * table->cols]) == NULL;
        if (unnamed && a->tui && !a->show_ids && !a->names_asked && a->roster_town[0] == '\0') {
            a->names_asked = 1;
            send_roster(a);
        }
    }
    if (a->stats_scroll > 0 && (size_t)a->stats_scroll >= a->n_stats)
        a->stats_scroll = 0;
}

static void result_stats(app *a, const fqc_result *r)
{
    a->stats_in_flight = 0;
    if (!(r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
          r->has_console)) {
        a->once_exit = r->outcome == FQC_NO_ANSWER ? EXIT_NO_ANSWER : EXIT_REFUSED;
        if (a->tui)
            set_status(a, 1, _("statistics: %s: %s"),
                       r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
                       r->message);
        else
            complain("%s: %s\n",
                     r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
                     r->message);
        return;
    }
    note_routing_status(a, r->console);
    /* Every page names its columns: the first page's are the header. */
    const Fengqiao__V1__ConsoleResult *c = r->console;
    int failed = a->stats_paging.rows == 0 &&
                 fqcon_table_add_row(&a->stats_paging, c->stats_columns, c->n_stats_columns) != 0;
    for (size_t i = 0; !failed && i < c->n_stats_rows; i++)
        failed = fqcon_table_add_row(&a->stats_paging, c->stats_rows[i]->cells,
                                     c->stats_rows[i]->n_cells) != 0;
    if (failed) {
        fqcon_table_free(&a->stats_paging);
        a->once_exit = EXIT_NO_ANSWER;
        set_status(a, 1, "%s", _("statistics: out of memory"));
        return;
    }
    if (r->console->more && r->console->cursor && r->console->cursor[0] &&
        strlen(r->console->cursor) < CURSOR_MAX) {
        snprintf(a->stats_cursor, sizeof a->stats_cursor, "%s", r->console->cursor);
        send_stats_page(a);
        return;
    }
    a->once_exit = EXIT_OK;
    fqcon_table_free(&a->stats_table);
    a->stats_table = a->stats_paging;
    memset(&a->stats_paging, 0, sizeof a->stats_paging);
    free_lines(&a->stats, &a->n_stats);
    rebuild_stats(a);
}

static void result_command(app *a, const fqc_result *r)
{
    a->cmd_in_flight = 0;
    const char *name = command_name(a->cmd.kind);
    if (r->outcome == FQC_NO_ANSWER) {
        if (a->cmd_tries < COMMAND_TRIES) {
            a->cmd_retry_at = fqt_monotonic_ms() + 1000 + randombytes_uniform(2000);
            set_status(a, 1,
                       _("%s #%" PRIu64 ": no answer (%s); retrying with the same message id"),
                       name, a->cmd.incident_id, r->message);
        } else {
            a->cmd_unanswered = 1;
            set_status(a, 1,
                       _("%s #%" PRIu64 ": no answer, outcome unknown (message id %" PRIu64
                         "); :retry sends it again with the same id"),
                       name, a->cmd.incident_id, a->cmd_id);
        }
        return;
    }
    a->cmd_unanswered = 0;
    if (r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        set_status(a, 0, _("%s #%" PRIu64 ": OK, state %s, event %" PRIu64), name, r->incident_id,
                   r->state[0] ? fq_label_incident_state(r->state) : "-", r->event_seq);
        a->board_dirty = 1;
        if (a->detail_id == r->incident_id && a->scr == SCR_DETAIL)
            send_detail(a);
    } else {
        set_status(a, 1, _("%s #%" PRIu64 " refused: %s: %s"), name, a->cmd.incident_id,
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
    case TAG_SEARCH:
        result_search(a, r);
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
        /* The event by its label and the holder by name; the server's own
         * text (built from rule numbers) only from a server that sends no
         * event kind. */
        const char *what = it->event_kind && *it->event_kind
                               ? fq_label_event_kind(it->event_kind)
                               : s_or(it->text, fq_label_item_kind(it->kind));
        const char *holder = it->holder_worker && *it->holder_worker
                                 ? shown(a, it->holder_worker_name, it->holder_worker)
                             : it->holder_unit && *it->holder_unit
                                 ? shown(a, it->holder_unit_name, it->holder_unit)
                                 : "";
        remember_name(a, it->holder_unit, it->holder_unit_name);
        remember_name(a, it->holder_worker, it->holder_worker_name);
        /* Why, when the code says more than who acted: 升级（签收超时）. */
        const char *code = s_or(it->reason_code, "");
        int why =
            *code && strcmp(code, "holder_action") != 0 && strcmp(code, "operator_choice") != 0;
        snprintf(a->ticker[a->ticker_head], sizeof a->ticker[0], "%s #%" PRIu64 " %s%s%s%s%s%s  %s",
                 at, it->incident_id, what, why ? " (" : "", why ? fq_label_reason_code(code) : "",
                 why ? ")" : "", *holder ? " → " : "", holder, s_or(it->title, ""));
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

/* The board's rows (or the search's) from row `y0`, `n_lines` lines, with
 * the header above them; keeps the selection in view. */
static void draw_rows(const app *a, const row *rows, size_t n, int selected, int *top, int y0,
                      int n_lines, int W, int64_t now, const char *empty)
{
    fqcon_layout l;
    board_layout(W, rows, n, &l);
    char line[2400];
    format_header(&l, line, sizeof line);
    put_line(y0, line, W, A_BOLD | A_UNDERLINE);
    if (selected < *top)
        *top = selected;
    if (selected >= *top + n_lines)
        *top = selected - n_lines + 1;
    if (*top < 0)
        *top = 0;
    for (int y = 0; y < n_lines; y++) {
        size_t i = (size_t)(*top + y);
        if (i >= n) {
            if (i == 0 && y == 0)
                put_line(y0 + 1, empty, W, 0);
            break;
        }
        format_row(a, &rows[i], now, &l, line, sizeof line);
        attr_t attr = 0;
        if (row_overdue(&rows[i], now))
            attr |= A_BOLD | (has_colors() ? COLOR_PAIR(1) : 0);
        else if (rows[i].severity == 1 || rows[i].severity == 2)
            attr |= has_colors() ? COLOR_PAIR(2) : 0;
        if ((int)i == selected)
            attr |= A_REVERSE;
        put_line(y0 + 1 + y, line, W, attr);
    }
}

static void draw(app *a)
{
    int H, W;
    getmaxyx(stdscr, H, W);
    if (H < 8 || W < 40) {
        erase();
        mvaddstr(0, 0, _("window too small"));
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
        snprintf(title, sizeof title, _("fq-console %s — open incidents, most urgent first%s%s"),
                 a->node, filt[0] ? _("  filter:") : "", filt);
        put_line(0, title, W, A_BOLD | A_REVERSE);
        draw_rows(a, a->rows, a->n_rows, a->selected, &a->top, 1, list_rows, W, now,
                  a->board_ok ? _("  (no open incidents)") : _("  (loading…)"));
        for (int k = 0; k < ticker_rows; k++) {
            int y = body - ticker_rows + k;
            int back = ticker_rows - 1 - k; /* the newest at the bottom */
            if (back < a->n_ticker) {
                int idx = ((a->ticker_head - 1 - back) % TICKER + TICKER) % TICKER;
                char t[400];
                snprintf(t, sizeof t, "» %s", a->ticker[idx]);
                put_line(y, t, W, has_colors() ? COLOR_PAIR(4) : A_DIM);
            } else if (k == 0) {
                put_line(y, _("» (feed: no changes yet)"), W, A_DIM);
            }
        }
    } else if (a->scr == SCR_SEARCH) {
        snprintf(title, sizeof title, _("search \"%s\": %zu found%s   (Enter open, Esc/q back)"),
                 a->search_text, a->n_found, a->search_in_flight ? _(" (loading…)") : "");
        put_line(0, title, W, A_BOLD | A_REVERSE);
        draw_rows(a, a->found, a->n_found, a->found_selected, &a->found_top, 1, body - 2, W, now,
                  a->search_in_flight ? _("  (loading…)") : _("  (nothing found)"));
    } else if (a->scr == SCR_DETAIL) {
        snprintf(title, sizeof title,
                 _("incident #%" PRIu64 "%s   (↑/↓ PgUp/PgDn scroll, g reload, Esc/q back)"),
                 a->detail_id, a->detail_in_flight ? _(" (loading…)") : "");
        draw_list(a, a->detail, a->n_detail, a->detail_scroll, title, body, W);
    } else if (a->scr == SCR_STATS) {
        char from[32], to[32];
        fqcon_format_clock(a->stats_from, 1, from, sizeof from);
        fqcon_format_clock(a->stats_to, 1, to, sizeof to);
        snprintf(title, sizeof title,
                 _("statistics %s by %s (%s .. %s)%s   (t/w/m period, b grouping, ←/→ ↑/↓ "
                   "scroll, g reload, Esc/q back)"),
                 gettext(a->period), gettext(a->by), from, to,
                 a->stats_in_flight ? _(" (loading…)") : "");
        put_line(0, title, W, A_BOLD | A_REVERSE);
        /* The header stays on top and the group column on the left; the
         * rest scrolls. */
        int gw = a->stats_group_w < W ? a->stats_group_w : W;
        for (int y = 1; y < body; y++) {
            size_t i = y == 1 ? 0 : (size_t)a->stats_scroll + (size_t)(y - 1);
            if (i >= a->n_stats)
                break;
            char left[800], right[2400], both[3200];
            fqcon_slice(a->stats[i], 0, gw, left, sizeof left);
            fqcon_slice(a->stats[i], gw + a->stats_hscroll, W - gw, right, sizeof right);
            snprintf(both, sizeof both, "%s%s", left, right);
            int total = i + 1 == a->n_stats && i > 0;
            put_line(y, both, W, y == 1 || total ? A_BOLD : 0);
        }
    } else if (a->scr == SCR_ROSTER) {
        snprintf(title, sizeof title, _("roster %s%s   (↑/↓ scroll, g reload, Esc/q back)"),
                 a->roster_town[0] ? a->roster_town : _("(jurisdiction)"),
                 a->roster_in_flight ? _(" (loading…)") : "");
        put_line(0, title, W, A_BOLD | A_REVERSE);
        for (int y = 1; y < body; y++) {
            size_t i = y == 1 ? 0 : (size_t)a->roster_scroll + (size_t)(y - 1);
            put_line(y, i < a->n_roster ? a->roster[i] : "", W, y == 1 ? A_BOLD : 0);
        }
    } else {
        put_line(0, _("fq-console — commands and keys (any key: back)"), W, A_BOLD | A_REVERSE);
        for (int i = 0; fqcon_command_help[i] && i + 1 < body; i++)
            put_line(i + 1, gettext(fqcon_command_help[i]), W, 0);
    }

    rows_above = 0; /* the status and command lines stay at the bottom */
    /* status line: at 80 columns the command's answer matters more than the
     * feed's sequence */
    int up = fqc_connections(a->client) > 0;
    int overdue = 0;
    for (size_t i = 0; i < a->n_rows; i++)
        overdue += row_overdue(&a->rows[i], now);
    char when[32], st[2000], feed[64] = "";
    fqcon_format_clock(a->refreshed_ms, 0, when, sizeof when);
    if (W >= 120)
        snprintf(feed, sizeof feed, _(" | feed %" PRIu64), a->sync.after_seq);
    snprintf(st, sizeof st, _("%s%s | open %zu overdue %d | %s%s%s%s | %s"),
             up ? _("connected") : _("UNREACHABLE, retrying"), feed, a->n_rows, overdue, when,
             a->board_in_flight ? " …" : "", a->board_note[0] ? " | " : "", a->board_note,
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
        const char *shown_part = buf;
        while (w >= W && *shown_part) { /* keep the end (where one types) visible */
            shown_part++;
            while ((*shown_part & 0xC0) == 0x80)
                shown_part++;
            w = fqcon_width(shown_part);
        }
        put_line(H - 1, shown_part, W, 0);
        curs_set(1);
        move(H - 1, w < W ? w : W - 1);
    } else {
        curs_set(0);
        put_line(H - 1,
                 _(": command  Enter detail  s stats  r roster  i ids  g refresh  ? help  q quit"),
                 W, A_DIM);
    }
    refresh();
}

/* ---- commands and keys ---- */

static void start_command(app *a, const fqcon_cmd *c)
{
    if (a->cmd_in_flight || a->cmd_retry_at) {
        set_status(a, 1, "%s", _("the previous command has no answer yet"));
        return;
    }
    a->cmd = *c;
    a->cmd_id = fqc_random_message_id();
    a->cmd_deadline_ms = c->kind == FQCON_SUPERVISE ? fq_now_ms() + c->duration_ms : 0;
    a->cmd_tries = 0;
    a->cmd_unanswered = 0;
    set_status(a, 0, _("%s #%" PRIu64 ": sent…"), command_name(c->kind), c->incident_id);
    send_command(a);
}

/* The detail pane of any incident of the jurisdiction (the server answers
 * for concluded and merged ones too); Esc goes back where it came from. */
static void open_detail(app *a, uint64_t id)
{
    if (a->scr != SCR_DETAIL)
        a->detail_back = a->scr == SCR_SEARCH ? SCR_SEARCH : SCR_BOARD;
    a->detail_id = id;
    a->detail_scroll = 0;
    free_lines(&a->detail, &a->n_detail);
    a->scr = SCR_DETAIL;
    send_detail(a);
}

static void toggle_ids(app *a)
{
    a->show_ids = !a->show_ids;
    set_status(a, 0, "%s", a->show_ids ? _("showing ids") : _("showing names"));
    rebuild_stats(a);
    if (a->scr == SCR_DETAIL)
        send_detail(a);
    if (a->scr == SCR_ROSTER)
        send_roster(a);
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
            set_status(a, 1, _("which incident? open it (Enter) or give its number: %s ID REASON"),
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
        set_status(a, 0, "%s", _("filter set"));
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
            set_status(a, 1, "%s", _("no unanswered command to retry"));
            break;
        }
        a->cmd_unanswered = 0;
        a->cmd_tries = 0;
        set_status(a, 0, _("%s #%" PRIu64 ": sent again (message id %" PRIu64 ")"),
                   command_name(a->cmd.kind), a->cmd.incident_id, a->cmd_id);
        send_command(a);
        break;
    case FQCON_BOARD:
        a->scr = SCR_BOARD;
        break;
    case FQCON_OPEN:
        open_detail(a, c.incident_id);
        break;
    case FQCON_SEARCH:
        snprintf(a->search_text, sizeof a->search_text, "%s", c.text);
        free(a->found);
        a->found = NULL;
        a->n_found = 0;
        a->found_selected = a->found_top = 0;
        a->scr = SCR_SEARCH;
        if (a->search_in_flight) {
            set_status(a, 1, "%s", _("the previous search has no answer yet"));
            break;
        }
        send_search(a);
        break;
    case FQCON_IDS:
        toggle_ids(a);
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
        set_status(a, 1, "%s", _("the command line could not be encoded"));
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
        if (ch == 'i' && a->scr != SCR_HELP) {
            toggle_ids(a);
            return;
        }
        if (ch == '/') { /* a search: the command line, begun */
            a->editing = 1;
            a->edit_len = (int)mbstowcs(a->edit, "search ", sizeof a->edit / sizeof a->edit[0]);
            return;
        }
    }
    int left = kind == KEY_CODE_YES && ch == KEY_LEFT,
        right = kind == KEY_CODE_YES && ch == KEY_RIGHT;
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
            open_detail(a, a->rows[a->selected].id);
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
    case SCR_SEARCH:
        if (back)
            a->scr = SCR_BOARD;
        else if (up || down || pgup || pgdn)
            scroll_by(&a->found_selected, up ? -1 : down ? 1 : pgup ? -page : page, a->n_found);
        else if (enter && a->n_found > 0)
            open_detail(a, a->found[a->found_selected].id);
        else if (kind != KEY_CODE_YES && ch == 'g')
            send_search(a);
        return;
    case SCR_DETAIL:
        if (back)
            a->scr = a->detail_back;
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
        } else if (up || down || pgup || pgdn) {
            scroll_by(&a->stats_scroll,
                      up     ? -1
                      : down ? 1
                      : pgup ? -page
                             : page,
                      a->n_stats > 1 ? a->n_stats - 1 : 1);
        } else if (left || right || (kind != KEY_CODE_YES && (ch == '<' || ch == '>'))) {
            /* sideways by a quarter of the window */
            int step = W / 4 > 4 ? W / 4 : 4;
            a->stats_hscroll += left || ch == '<' ? -step : step;
            int widest = 0;
            for (size_t i = 0; i < a->n_stats; i++) {
                int w = fqcon_width(a->stats[i]);
                widest = w > widest ? w : widest;
            }
            int max = widest - W > 0 ? widest - W : 0;
            if (a->stats_hscroll > max)
                a->stats_hscroll = max;
            if (a->stats_hscroll < 0)
                a->stats_hscroll = 0;
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
    char err[256];
    int rv = fqc_open(&config, on_done, a, &a->client, err, sizeof err);
    sodium_memzero(config.key, sizeof config.key);
    if (rv != 0)
        complain("%s\n", err);
    return rv;
}

/* A UTF-8 LC_CTYPE: the environment's (fq_i18n_init set it), else C.UTF-8. */
static void utf8_locale(void)
{
    const char *cs = nl_langinfo(CODESET);
    if (cs == NULL || strcmp(cs, "UTF-8") != 0) {
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
            setlocale(LC_CTYPE, "en_US.UTF-8");
    }
}

static int run_tui(app *a)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        complain(_("the board needs a terminal; use `fq-console board --once`\n"));
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
    set_status(a, 0, "%s", _("started"));
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
            set_status(a, 1, "%s",
                       _("the feed was refused (--log FILE says why); the board still refreshes"));
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
        /* every column, the title 40 wide or more */
        fqcon_layout l;
        board_layout(160, a->rows, a->n_rows, &l);
        format_header(&l, line, sizeof line);
        printf("%s\n", line);
        for (size_t i = 0; i < a->n_rows; i++) {
            format_row(a, &a->rows[i], now, &l, line, sizeof line);
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
        complain(_("--from/--to: an ISO date or time (2026-11-27, 2026-11-27T08:00+08:00), epoch "
                   "milliseconds, or now\n"));
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
            fqcon_table_write_csv(&a->stats_table, stdout);
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
    fputs(_("usage: fq-console --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] [board]\n"
            "       fq-console ... board --once [--filter TOKEN]...\n"
            "       fq-console ... report --from TIME --to TIME [--by "
            "town|line|unit|worker|district] [--csv]\n"
            "\n"
            "The district command console: a live board of the open incidents of the node's\n"
            "jurisdiction (docs/fq-console.md).\n"
            "\n"
            "  --node ID          the console node's id (or FQ_NODE)\n"
            "  --key-file FILE    file with the node key in hex (or FQ_NODE_KEY=hex)\n"
            "  --url URL          terminal endpoint (or FQ_TERMINALS; default "
            "tcp://127.0.0.1:7412);\n"
            "                     once per server of a pair (FQ_TERMINALS: URLs with commas)\n"
            "  --log FILE         where the board writes its connection log (default: nowhere)\n"
            "  --timeout-ms N     give up on one request after this long (default 10000)\n"
            "  --filter TOKEN     board --once: tier=…, town=…, line=…, assignment=…, overdue\n"
            "  TIME               2026-11-27, 2026-11-27T08:00[:00][Z|+08:00], epoch ms, now\n"
            "\n"
            "Chinese by default; English with LANG=C.UTF-8 (or any language but zh). Times are\n"
            "the district's (the server's time zone).\n"
            "\n"
            "Exit: 0 ok, 1 refused, 2 usage, 3 no answer.\n"),
          out);
}

int main(int argc, char **argv)
{
    static app a;
    static fqc_urls url_flags;
    a.node = getenv("FQ_NODE");
    a.url = getenv("FQ_TERMINALS") ? getenv("FQ_TERMINALS") : DEFAULT_TERMINALS;
    a.timeout_ms = 10000;
    strcpy(a.period, "today");
    strcpy(a.by, "town");
    const char *cmd = NULL, *from = NULL, *to = NULL;
    int once = 0, csv = 0;
    fq_i18n_init("fq-console");
    utf8_locale();
    enum {
        O_NODE = 256,
        O_KEY,
        O_URL,
        O_LOG,
        O_TIMEOUT,
        O_FROM,
        O_TO,
        O_BY,
        O_FILTER,
        O_ONCE,
        O_CSV
    };
    static const struct option options[] = {
        {"node", required_argument, NULL, O_NODE},
        {"key-file", required_argument, NULL, O_KEY},
        {"url", required_argument, NULL, O_URL},
        {"log", required_argument, NULL, O_LOG},
        {"timeout-ms", required_argument, NULL, O_TIMEOUT},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"by", required_argument, NULL, O_BY},
        {"filter", required_argument, NULL, O_FILTER},
        {"once", no_argument, NULL, O_ONCE},
        {"csv", no_argument, NULL, O_CSV},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* ":" first: a missing value and an unknown option come back as ':' and
     * '?', said here in the console's own (translated) words. The command
     * word may stand anywhere among the options (getopt_long moves it last). */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        const char *v = optarg;
        switch (c) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case O_NODE:
            a.node = v;
            break;
        case O_KEY:
            a.key_file = v;
            break;
        case O_URL: /* repeatable: the servers of a pair */
            if (fqc_urls_add(&url_flags, v) != 0) {
                fprintf(stderr, "fq-console: too many --url addresses\n");
                return EXIT_USAGE;
            }
            a.url = url_flags.text;
            break;
        case O_LOG:
            a.log_file = v;
            break;
        case O_TIMEOUT: {
            long long ms;
            if (fqc_option_number(v, 100, 600000, &ms) != 0) {
                complain("--timeout-ms: 100 .. 600000\n");
                return EXIT_USAGE;
            }
            a.timeout_ms = ms;
            break;
        }
        case O_FROM:
            from = v;
            break;
        case O_TO:
            to = v;
            break;
        case O_BY:
            if (strcmp(v, "town") && strcmp(v, "line") && strcmp(v, "unit") &&
                strcmp(v, "worker") && strcmp(v, "district")) {
                complain("--by town|line|unit|worker|district\n");
                return EXIT_USAGE;
            }
            snprintf(a.by, sizeof a.by, "%s", v);
            break;
        case O_FILTER:
            if (fqcon_parse_filter_token(v, &a.filter) != 0) {
                complain(_("--filter %s: tier=…, town=…, line=…, assignment=…, overdue\n"), v);
                return EXIT_USAGE;
            }
            break;
        case O_ONCE:
            once = 1;
            break;
        case O_CSV:
            csv = 1;
            break;
        case ':':
            complain(_("%s needs a value\n"), argv[optind - 1]);
            return EXIT_USAGE;
        default:
            complain(_("unknown argument '%s'\n"), argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        const char *o = argv[optind];
        if (optind + 1 < argc || (strcmp(o, "board") != 0 && strcmp(o, "report") != 0)) {
            complain(_("unknown argument '%s'\n"),
                     strcmp(o, "board") != 0 && strcmp(o, "report") != 0 ? o : argv[optind + 1]);
            usage(stderr);
            return EXIT_USAGE;
        }
        cmd = o;
    }
    if (cmd == NULL)
        cmd = "board";
    if (a.node == NULL || a.node[0] == '\0') {
        complain(_("--node ID is required (or FQ_NODE)\n"));
        return EXIT_USAGE;
    }
    char key_err[512];
    if (a.key_file) {
        if (fqc_load_key_file(a.key_file, a.key, key_err, sizeof key_err) != 0) {
            complain("%s\n", key_err);
            return EXIT_USAGE;
        }
    } else if (getenv("FQ_NODE_KEY") == NULL || fqc_parse_key(getenv("FQ_NODE_KEY"), a.key) != 0) {
        complain(_("need the node key: --key-file FILE or FQ_NODE_KEY (64 hex)\n"));
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "report") == 0) {
        if (from == NULL || to == NULL) {
            complain(_("report needs --from TIME and --to TIME\n"));
            return EXIT_USAGE;
        }
        return report(&a, from, to, csv);
    }
    if (from || to || csv) {
        complain(_("--from, --to and --csv belong to report\n"));
        return EXIT_USAGE;
    }
    if (once)
        return board_once(&a);
    return run_tui(&a);
}
