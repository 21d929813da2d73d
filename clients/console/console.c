#define _GNU_SOURCE /* timegm */
#include "console.h"
#include "fqi18n.h"
#include "duration.h"
#include "taxonomy.h"

#include <ctype.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* The help screen, line by line (translated where shown). */
const char *const fqcon_command_help[] = {
    N_(":assign ID unit|worker TARGET [co A,B] REASON...   hand it to any unit or worker"),
    N_(":escalate ID REASON...                             one tier up"),
    N_(":conclude ID REASON...                             concluded by the command center"),
    N_(":approve ID REASON...  :deny ID REASON...          an extension request"),
    N_(":supervise ID DURATION REASON...                   supervision order, reply due in "
       "2h/30m/1d"),
    N_(":merge ID INTO REASON...                           a duplicate closed into open "
       "incident INTO"),
    N_(":reopen ID [unit|worker TARGET] REASON...          redo a concluded one (else routed "
       "afresh)"),
    N_(":verify ID REASON...  :followup ID 1-5 REASON...   check on the spot; the reporter's "
       "satisfaction"),
    N_(":suspend [ID] REASON...  :resume [ID] REASON...    中止: the clocks stop / run on"),
    N_(":open ID                                           any incident, concluded ones too"),
    N_(":search TEXT  (or /)                               by number, title, address, phone, "
       "external ref"),
    N_(":filter tier=village|town|district town=ID line=governance|market|enforcement|services"),
    N_("        assignment=STATE overdue    (several at once)    :filter clear"),
    N_(":stats [today|week|month] [by town|line|unit|worker|district]"),
    N_(":roster [TOWN]   :board   :retry (the last unanswered command, same message id)"),
    N_(":ids (or i) ids instead of names, and back   :help   :quit"),
    N_("keys: j/k or arrows select, Enter detail, s statistics, r roster, g refresh, : command,"),
    N_("      Esc/q back (q on the board quits); in statistics t/w/m period, b next grouping,"),
    N_("      arrows scroll up, down and sideways"),
    NULL};

/* ---- names ---- */

static const char *const line_names[] = {"-", "governance", "market", "enforcement", "services"};
static const char *const severities[] = {"-", "I", "II", "III", "IV"};

void fqcon_timeline_reason(const char *code, const char *reason, int by_person, int ids, char *out,
                           size_t len)
{
    code = code != NULL ? code : "";
    reason = reason != NULL ? reason : "";
    /* Who acted says these already: the person's words are the reason. */
    int plain = strcmp(code, "holder_action") == 0 || strcmp(code, "operator_choice") == 0;
    if (code[0] == '\0' || (by_person && plain))
        snprintf(out, len, "%s", reason);
    else if ((by_person || ids) && reason[0] != '\0')
        snprintf(out, len, "%s: %s", fq_label_reason_code(code), reason);
    else
        snprintf(out, len, "%s", fq_label_reason_code(code));
}

const char *fqcon_tier_name(int tier)
{
    return tier == 0 ? "-" : fq_tier_name_or(tier, "?");
}

const char *fqcon_line_name(int line)
{
    return line >= 0 && line <= 4 ? line_names[line] : "?";
}

const char *fqcon_severity_name(int severity)
{
    return severity >= 0 && severity <= 4 ? severities[severity] : "?";
}

int fqcon_tier_from(const char *name)
{
    int tier = fq_tier_parse(name);
    return tier != 0 ? tier : -1;
}

int fqcon_line_from(const char *name)
{
    for (int i = 1; i <= 4; i++)
        if (strcmp(name, line_names[i]) == 0)
            return i;
    return -1;
}

/* ---- durations and times ---- */

static int32_t utc_offset_s = FQ_DEFAULT_UTC_OFFSET_S;

void fqcon_set_utc_offset(int32_t offset_s)
{
    utc_offset_s = offset_s;
}

int32_t fqcon_utc_offset(void)
{
    return utc_offset_s;
}

int fqcon_parse_duration(const char *text, int64_t *ms)
{
    uint32_t seconds;
    char err[200];
    if (fq_duration_parse(text, 0, &seconds, err, sizeof err) != 0 ||
        seconds > UINT32_C(366) * 86400)
        return -1;
    *ms = (int64_t)seconds * 1000;
    return 0;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int fqcon_parse_time(const char *text, int64_t now_ms, int64_t *ms)
{
    if (strcmp(text, "now") == 0) {
        *ms = now_ms;
        return 0;
    }
    size_t len = strlen(text);
    if (len > 0 && strspn(text, "0123456789") == len) {
        if (len > 15)
            return -1;
        *ms = strtoll(text, NULL, 10);
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s))
                return -1;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t;
    if (*p == '\0') {
        t = timegm(&tm) - utc_offset_s; /* the district's time */
    } else if (*p == 'Z' && p[1] == '\0') {
        t = timegm(&tm);
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, zh, zm = 0;
        if (digits(&p, 2, &zh))
            return -1;
        if (*p == ':')
            p++;
        if (*p != '\0' && digits(&p, 2, &zm))
            return -1;
        if (*p != '\0' || zh > 14 || zm > 59)
            return -1;
        t = timegm(&tm) - sign * (zh * 3600 + zm * 60);
    } else {
        return -1;
    }
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000;
    return 0;
}

int fqcon_period(const char *name, int64_t now_ms, int64_t *from_ms, int64_t *to_ms)
{
    /* The district's calendar day: shift to its wall clock, cut, shift back. */
    time_t now = (time_t)(now_ms / 1000 + utc_offset_s);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL)
        return -1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (strcmp(name, "today") == 0) {
    } else if (strcmp(name, "week") == 0) {
        tm.tm_mday -= (tm.tm_wday + 6) % 7; /* back to Monday */
    } else if (strcmp(name, "month") == 0) {
        tm.tm_mday = 1;
    } else {
        return -1;
    }
    time_t from = timegm(&tm);
    if (from == (time_t)-1)
        return -1;
    *from_ms = ((int64_t)from - utc_offset_s) * 1000;
    *to_ms = now_ms;
    return 0;
}

void fqcon_format_left(int64_t left_ms, int has_limit, char *out, size_t len)
{
    if (!has_limit) {
        snprintf(out, len, "-");
        return;
    }
    const char *sign = left_ms < 0 ? "-" : "";
    int64_t abs_ms = left_ms < 0 ? -left_ms : left_ms;
    int64_t m = abs_ms / 60000;
    if (m == 0)
        snprintf(out, len, "%s%" PRId64 "s", sign, abs_ms / 1000);
    else if (m < 60)
        snprintf(out, len, "%s%" PRId64 "m", sign, m);
    else if (m < 24 * 60)
        snprintf(out, len, "%s%" PRId64 "h%02" PRId64 "m", sign, m / 60, m % 60);
    else
        snprintf(out, len, "%s%" PRId64 "d%02" PRId64 "h", sign, m / 1440, (m % 1440) / 60);
}

void fqcon_format_clock(int64_t ms, int date, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000 + utc_offset_s);
    struct tm tm;
    if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(out, len, "-");
        return;
    }
    strftime(out, len, date == 2 ? "%m-%d %H:%M:%S" : date ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
}

/* ---- display width ---- */

/* One character of s: its length in bytes (>= 1) and display width. */
static size_t next_char(const char *s, int *width, int *control)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
    *control = 0;
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        *width = 1;
        *control = (unsigned char)*s < 0x20 || *s == 0x7f;
        return 1;
    }
    int w = wcwidth(wc);
    if (w < 0) {
        *control = 1;
        w = 1;
    }
    *width = w;
    return n;
}

int fqcon_width(const char *s)
{
    int total = 0;
    while (*s) {
        int w, control;
        s += next_char(s, &w, &control);
        total += w;
    }
    return total;
}

int fqcon_fit(const char *s, int width, int pad, char *out, size_t out_len)
{
    size_t used = 0;
    int cols = 0;
    if (out_len == 0)
        return 0;
    if (s == NULL)
        s = "";
    int whole = fqcon_width(s);
    int room = whole > width && width >= 2 ? width - 1 : width; /* keep one for "…" */
    while (*s) {
        int w, control;
        size_t n = next_char(s, &w, &control);
        if (cols + w > room)
            break;
        /* Bytes kept for the padding still owed after this character, so
         * that a run of zero-width characters cannot crowd it out of `out`. */
        size_t owed = pad && width > cols + w ? (size_t)(width - cols - w) : 0;
        if (control) {
            if (used + 1 + owed >= out_len)
                break;
            out[used++] = ' ';
        } else {
            if (used + n + owed >= out_len)
                break;
            memcpy(out + used, s, n);
            used += n;
        }
        cols += w;
        s += n;
    }
    if (*s && width >= 2 && cols < width &&
        used + 3 + (pad ? (size_t)(width - cols - 1) : 0) < out_len) {
        memcpy(out + used, "\xe2\x80\xa6", 3); /* … */
        used += 3;
        cols += 1;
    }
    while (pad && cols < width && used + 1 < out_len) {
        out[used++] = ' ';
        cols++;
    }
    out[used] = '\0';
    return cols;
}

int fqcon_slice(const char *s, int from, int width, char *out, size_t out_len)
{
    size_t used = 0;
    int col = 0, cols = 0;
    if (out_len == 0)
        return 0;
    if (s == NULL)
        s = "";
    while (*s && cols < width) {
        int w, control;
        size_t n = next_char(s, &w, &control);
        if (col + w <= from) { /* left of the window */
            col += w;
            s += n;
            continue;
        }
        int cut = col < from || col + w > from + width; /* straddles an edge */
        int shown =
            cut ? (col + w > from + width ? from + width : col + w) - (col < from ? from : col) : w;
        if (cut || control) {
            for (int i = 0; i < shown && used + 1 < out_len; i++, cols++)
                out[used++] = ' ';
        } else {
            /* Bytes kept for the padding still owed after it, so that a run
             * of zero-width characters cannot crowd it out of `out`. */
            size_t owed = (size_t)(width - cols - w);
            if (used + n + owed >= out_len)
                break;
            memcpy(out + used, s, n);
            used += n;
            cols += w;
        }
        col += w;
        s += n;
    }
    while (cols < width && used + 1 < out_len) {
        out[used++] = ' ';
        cols++;
    }
    out[used] = '\0';
    return cols;
}

/* ---- the board's columns ---- */

static int layout_total(const fqcon_layout *l)
{
    int total = 1; /* the mark */
    for (int c = 0; c < FQCON_BOARD_COLS; c++)
        if (l->width[c] > 0)
            total += l->width[c] + 1;
    return total;
}

/* Narrows column c towards floor (0: leaves it out) while the line is too
 * wide. */
static void give_way(fqcon_layout *l, int cols, fqcon_board_col c, int floor)
{
    int excess = layout_total(l) - cols;
    if (excess <= 0 || l->width[c] <= floor)
        return;
    if (floor == 0) {
        l->width[c] = 0;
        return;
    }
    int w = l->width[c] - excess;
    l->width[c] = w > floor ? w : floor;
}

void fqcon_board_layout(int cols, int id_w, int state_w, fqcon_layout *out)
{
    fqcon_layout *l = out;
    memset(l, 0, sizeof *l);
    l->width[FQCON_COL_ID] = id_w < 2 ? 2 : id_w > 19 ? 19 : id_w;
    l->width[FQCON_COL_SEV] = 3; /* I .. IV */
    l->width[FQCON_COL_CATEGORY] = 16;
    l->width[FQCON_COL_TITLE] = 40;
    l->width[FQCON_COL_PLACE] = 20;
    l->width[FQCON_COL_TIERLINE] = 22;
    l->width[FQCON_COL_HOLDER] = 16;
    l->width[FQCON_COL_STATE] = state_w < 6 ? 6 : state_w > 14 ? 14 : state_w;
    l->width[FQCON_COL_LEFT] = 7;
    give_way(l, cols, FQCON_COL_TITLE, 16);
    give_way(l, cols, FQCON_COL_TIERLINE, 0);
    give_way(l, cols, FQCON_COL_PLACE, 8);
    give_way(l, cols, FQCON_COL_CATEGORY, 8); /* 邻里纠纷: four characters */
    give_way(l, cols, FQCON_COL_TITLE, 6);
    give_way(l, cols, FQCON_COL_CATEGORY, 6);
    give_way(l, cols, FQCON_COL_STATE, 8);
    give_way(l, cols, FQCON_COL_HOLDER, 10);
    give_way(l, cols, FQCON_COL_CATEGORY, 0);
    give_way(l, cols, FQCON_COL_PLACE, 0);
    give_way(l, cols, FQCON_COL_TITLE, 0);
    int slack = cols - layout_total(l);
    if (slack > 0 && l->width[FQCON_COL_TITLE] > 0)
        l->width[FQCON_COL_TITLE] += slack;
}

int fqcon_board_line(const fqcon_layout *l, const char *mark,
                     const char *const cells[FQCON_BOARD_COLS], char *out, size_t out_len)
{
    size_t used = 0;
    int cols = 0;
    if (out_len == 0)
        return 0;
    out[0] = '\0';
    char m[16];
    cols += fqcon_fit(mark, 1, 1, m, sizeof m);
    used += (size_t)snprintf(out, out_len, "%s", m);
    for (int c = 0; c < FQCON_BOARD_COLS && used < out_len; c++) {
        int w = l->width[c];
        if (w <= 0)
            continue;
        char cell[1024];
        if (c == FQCON_COL_ID || c == FQCON_COL_LEFT) { /* numbers: to the right */
            char cut[512];
            int cw = fqcon_fit(cells[c], w, 0, cut, sizeof cut);
            snprintf(cell, sizeof cell, "%*s%s", w - cw > 0 ? w - cw : 0, "", cut);
        } else {
            fqcon_fit(cells[c], w, 1, cell, sizeof cell);
        }
        int n = snprintf(out + used, out_len - used, " %s", cell);
        if (n < 0 || (size_t)n >= out_len - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)n;
        cols += w + 1;
    }
    return cols;
}

/* ---- the command line ---- */

/* The next space-separated word of *p into word; *p moves past it. */
static int word(const char **p, char *out, size_t len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    const char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    *p = e;
    if (e == s)
        return -1;
    size_t n = (size_t)(e - s);
    if (n >= len)
        n = len - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static const char *rest(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int parse_id(const char *text, uint64_t *id)
{
    const char *t = text[0] == '#' ? text + 1 : text;
    if (*t == '\0' || strspn(t, "0123456789") != strlen(t) || strlen(t) > 18)
        return -1;
    *id = strtoull(t, NULL, 10);
    return *id == 0 ? -1 : 0;
}

static int need_reason(const char *p, fqcon_cmd *c, char *err, size_t err_len)
{
    p = rest(p);
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0) {
        snprintf(err, err_len, "%s", _("a reason is required"));
        return -1;
    }
    if (n >= sizeof c->reason) {
        snprintf(err, err_len, "%s", _("the reason is too long"));
        return -1;
    }
    memcpy(c->reason, p, n);
    c->reason[n] = '\0';
    return 0;
}

int fqcon_parse_filter_token(const char *t, fqcon_filter *f)
{
    if (strcmp(t, "overdue") == 0) {
        f->overdue_only = 1;
        return 0;
    }
    const char *eq = strchr(t, '=');
    if (eq == NULL || eq[1] == '\0')
        return -1;
    size_t k = (size_t)(eq - t);
    const char *v = eq + 1;
    if (k == 4 && strncmp(t, "tier", 4) == 0) {
        int n = fqcon_tier_from(v);
        if (n < 0)
            return -1;
        f->tier = n;
    } else if (k == 4 && strncmp(t, "line", 4) == 0) {
        int n = fqcon_line_from(v);
        if (n < 0)
            return -1;
        f->line = n;
    } else if (k == 4 && strncmp(t, "town", 4) == 0) {
        if (strlen(v) >= sizeof f->town)
            return -1;
        strcpy(f->town, v);
    } else if (k == 10 && strncmp(t, "assignment", 10) == 0) {
        if (strlen(v) >= sizeof f->assignment)
            return -1;
        strcpy(f->assignment, v);
    } else {
        return -1;
    }
    return 0;
}

static int split_co(const char *list, fqcon_cmd *c)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n >= sizeof c->co[0] || c->n_co >= FQCON_MAX_CO)
            return -1;
        memcpy(c->co[c->n_co], p, n);
        c->co[c->n_co][n] = '\0';
        c->n_co++;
        p += n;
        if (*p == ',')
            p++;
    }
    return c->n_co > 0 ? 0 : -1;
}

int fqcon_parse_command(const char *line, fqcon_cmd *c, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    const char *p = line;
    char verb[32], w[128];
    if (word(&p, verb, sizeof verb) != 0) {
        snprintf(err, err_len, "%s", _("empty command"));
        return -1;
    }
    struct {
        const char *name;
        fqcon_kind kind;
    } simple[] = {{"escalate", FQCON_ESCALATE},
                  {"conclude", FQCON_CONCLUDE},
                  {"approve", FQCON_APPROVE},
                  {"deny", FQCON_DENY},
                  {"verify", FQCON_VERIFY}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (strcmp(verb, simple[i].name) != 0)
            continue;
        c->kind = simple[i].kind;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0) {
            snprintf(err, err_len, _("usage: %s ID REASON..."), verb);
            return -1;
        }
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0) {
        /* The incident's number, or none (0): the one open on the detail
         * screen. A reason starting with digits and more ("3天后复查") is
         * no number. */
        c->kind = verb[0] == 's' ? FQCON_SUSPEND : FQCON_RESUME;
        const char *save = p;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0) {
            p = save;
            c->incident_id = 0;
        }
        if (need_reason(p, c, err, err_len) != 0) {
            snprintf(err, err_len,
                     _("usage: %s [ID] REASON... (no ID: the incident on the detail screen)"),
                     verb);
            return -1;
        }
        return 0;
    }
    if (strcmp(verb, "assign") == 0) {
        c->kind = FQCON_ASSIGN;
        char kind[16];
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0 ||
            word(&p, kind, sizeof kind) != 0 ||
            (strcmp(kind, "unit") != 0 && strcmp(kind, "worker") != 0) ||
            word(&p, w, sizeof w) != 0 || strlen(w) >= sizeof c->target) {
            snprintf(err, err_len, "%s",
                     _("usage: assign ID unit|worker TARGET [co A,B] REASON..."));
            return -1;
        }
        c->to_worker = strcmp(kind, "worker") == 0;
        strcpy(c->target, w);
        const char *save = p;
        if (word(&p, w, sizeof w) == 0 && strcmp(w, "co") == 0) {
            char list[5 * 66];
            if (word(&p, list, sizeof list) != 0 || split_co(list, c) != 0) {
                snprintf(err, err_len, _("co: up to %d comma-separated unit ids"), FQCON_MAX_CO);
                return -1;
            }
        } else {
            p = save;
        }
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "merge") == 0) {
        c->kind = FQCON_MERGE;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0 ||
            word(&p, w, sizeof w) != 0 || parse_id(w, &c->merge_into) != 0 ||
            c->merge_into == c->incident_id) {
            snprintf(err, err_len, "%s",
                     _("usage: merge ID INTO_ID REASON... (two different incidents)"));
            return -1;
        }
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "reopen") == 0) {
        c->kind = FQCON_REOPEN;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0) {
            snprintf(err, err_len, "%s", _("usage: reopen ID [unit|worker TARGET] REASON..."));
            return -1;
        }
        const char *save = p;
        if (word(&p, w, sizeof w) == 0 && (strcmp(w, "unit") == 0 || strcmp(w, "worker") == 0)) {
            c->to_worker = strcmp(w, "worker") == 0;
            if (word(&p, w, sizeof w) != 0 || strlen(w) >= sizeof c->target) {
                snprintf(err, err_len, "%s", _("usage: reopen ID [unit|worker TARGET] REASON..."));
                return -1;
            }
            strcpy(c->target, w);
        } else {
            p = save;
        }
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "followup") == 0 || strcmp(verb, "follow-up") == 0) {
        c->kind = FQCON_FOLLOW_UP;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0 ||
            word(&p, w, sizeof w) != 0 || strlen(w) != 1 || w[0] < '1' || w[0] > '5') {
            snprintf(err, err_len, "%s",
                     _("usage: followup ID SATISFACTION(1 low .. 5 high) REASON..."));
            return -1;
        }
        c->satisfaction = (unsigned)(w[0] - '0');
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "supervise") == 0) {
        c->kind = FQCON_SUPERVISE;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0 ||
            word(&p, w, sizeof w) != 0 || fqcon_parse_duration(w, &c->duration_ms) != 0) {
            snprintf(err, err_len, "%s", _("usage: supervise ID DURATION(2h, 30m, 1d) REASON..."));
            return -1;
        }
        return need_reason(p, c, err, err_len);
    }
    if (strcmp(verb, "filter") == 0) {
        c->kind = FQCON_FILTER;
        int any = 0;
        while (word(&p, w, sizeof w) == 0) {
            any = 1;
            if (strcmp(w, "clear") == 0) {
                c->filter_clear = 1;
                continue;
            }
            if (fqcon_parse_filter_token(w, &c->filter) != 0) {
                snprintf(err, err_len,
                         _("filter: tier=village|town|district town=ID line=LINE assignment=STATE "
                           "overdue, or clear (not '%s')"),
                         w);
                return -1;
            }
        }
        if (!any) {
            snprintf(err, err_len, "%s",
                     _("usage: filter tier=…|town=…|line=…|overdue, or filter clear"));
            return -1;
        }
        return 0;
    }
    if (strcmp(verb, "stats") == 0) {
        c->kind = FQCON_STATS;
        while (word(&p, w, sizeof w) == 0) {
            if (strcmp(w, "today") == 0 || strcmp(w, "week") == 0 || strcmp(w, "month") == 0) {
                strcpy(c->period, w);
            } else if (strcmp(w, "by") == 0 && word(&p, w, sizeof w) == 0 &&
                       (strcmp(w, "town") == 0 || strcmp(w, "line") == 0 ||
                        strcmp(w, "unit") == 0 || strcmp(w, "worker") == 0 ||
                        strcmp(w, "district") == 0)) {
                strcpy(c->by, w);
            } else {
                snprintf(err, err_len, "%s",
                         _("usage: stats [today|week|month] [by town|line|unit|worker|district]"));
                return -1;
            }
        }
        return 0;
    }
    if (strcmp(verb, "roster") == 0) {
        c->kind = FQCON_ROSTER;
        if (word(&p, w, sizeof w) == 0) {
            if (strlen(w) >= sizeof c->town || *rest(p) != '\0') {
                snprintf(err, err_len, "%s", _("usage: roster [TOWN]"));
                return -1;
            }
            strcpy(c->town, w);
        }
        return 0;
    }
    if (strcmp(verb, "open") == 0) {
        c->kind = FQCON_OPEN;
        if (word(&p, w, sizeof w) != 0 || parse_id(w, &c->incident_id) != 0 || *rest(p) != '\0') {
            snprintf(err, err_len, "%s", _("usage: open ID"));
            return -1;
        }
        return 0;
    }
    if (strcmp(verb, "search") == 0 || strcmp(verb, "find") == 0) {
        c->kind = FQCON_SEARCH;
        p = rest(p);
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        /* the server's limit is 64 characters (docs/console.md, "Search") */
        int chars = 0;
        for (size_t i = 0; i < n; i++)
            chars += ((unsigned char)p[i] & 0xC0) != 0x80;
        if (n == 0 || chars > 64 || n >= sizeof c->text) {
            snprintf(err, err_len, "%s",
                     _("usage: search TEXT (1 to 64 characters: an id, words of the "
                       "title or address, a phone, an external reference)"));
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
                snprintf(err, err_len, "%s", _("search: no control characters"));
                return -1;
            }
        memcpy(c->text, p, n);
        c->text[n] = '\0';
        return 0;
    }
    struct {
        const char *name;
        fqcon_kind kind;
    } bare[] = {{"help", FQCON_HELP},   {"quit", FQCON_QUIT},   {"q", FQCON_QUIT},
                {"retry", FQCON_RETRY}, {"board", FQCON_BOARD}, {"ids", FQCON_IDS}};
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
        if (strcmp(verb, bare[i].name) == 0) {
            c->kind = bare[i].kind;
            return 0;
        }
    snprintf(err, err_len, _("unknown command '%s' (:help)"), verb);
    return -1;
}

/* ---- the statistics' table ---- */

int fqcon_table_add_row(fqcon_table *t, char *const *cells, size_t n)
{
    if (t->rows == 0)
        t->cols = n; /* the header says how many columns */
    char **grown = realloc(t->cells, (t->rows + 1) * t->cols * sizeof *grown + sizeof *grown);
    if (grown == NULL)
        return -1;
    t->cells = grown;
    char **row = &t->cells[t->rows * t->cols];
    for (size_t c = 0; c < t->cols; c++) {
        row[c] = c < n && cells[c] != NULL ? strdup(cells[c]) : NULL;
        if (c < n && cells[c] != NULL && row[c] == NULL) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
    }
    t->rows++;
    return 0;
}

/* RFC 4180: a cell is quoted when it holds a comma, a quote or a line
 * break. */
static void write_csv_cell(const char *v, FILE *out)
{
    v = v != NULL ? v : "";
    int quote = strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        putc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    if (quote)
        putc('"', out);
}

void fqcon_table_write_csv(const fqcon_table *t, FILE *out)
{
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            write_csv_cell(t->cells[r * t->cols + c], out);
            putc(c + 1 < t->cols ? ',' : '\n', out);
        }
}

void fqcon_table_free(fqcon_table *table)
{
    for (size_t i = 0; table->cells && i < table->rows * table->cols; i++)
        free(table->cells[i]);
    free(table->cells);
    memset(table, 0, sizeof *table);
}

const char *fqcon_table_cell(const fqcon_table *table, size_t row, const char *column)
{
    if (table->rows == 0 || row >= table->rows)
        return "";
    for (size_t c = 0; c < table->cols; c++) {
        const char *h = table->cells[c];
        if (h != NULL && strcmp(h, column) == 0) {
            const char *v = table->cells[row * table->cols + c];
            return v ? v : "";
        }
    }
    return "";
}

void fqcon_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
}

/* The statistics screen's columns: what a meeting reads, in the units of
 * `fengqiao-admin stats` (hours with one decimal, shares in percent). */
enum {
    SC_GROUP,
    SC_RECEIVED,
    SC_ACKED,
    SC_ACKED_ON_TIME,
    SC_CONCLUDED,
    SC_CONCLUDED_ON_TIME,
    SC_ON_TIME_RATE,
    SC_OVERDUE,
    SC_RETURNED,
    SC_REDONE,
    SC_ESCALATED,
    SC_VILLAGE_SHARE,
    SC_ACK_MEAN,
    SC_ACK_P90,
    SC_CONCLUDE_MEAN,
    SC_CONCLUDE_P90,
    SC_PENDING_7D,
    SC_PENDING_30D,
    SC_SUSPENDED,
    SC_SUSPENDED_NOW,
    SC_SUSPENDED_MEAN,
    STATS_COLS
};

static const char *const stats_heads[STATS_COLS] = {
    N_("group"),       N_("received"),       N_("acknowledged"),     N_("acked on time"),
    N_("concluded"),   N_("concl. on time"), N_("on-time concl. %"), N_("overdue"),
    N_("returned"),    N_("redone"),         N_("escalated"),        N_("village share %"),
    N_("ack mean h"),  N_("ack p90 h"),      N_("concl. mean h"),    N_("concl. p90 h"),
    N_("pending >7d"), N_("pending >30d"),   N_("suspended"),        N_("susp. now"),
    N_("susp. mean h")};

/* The statistics' count columns shown as they are, by screen column. */
static const struct {
    int col;
    const char *column;
} stats_counts[] = {
    {SC_RECEIVED, "received"},
    {SC_ACKED, "acknowledged"},
    {SC_ACKED_ON_TIME, "acknowledged_on_time"},
    {SC_CONCLUDED, "concluded"},
    {SC_CONCLUDED_ON_TIME, "concluded_on_time"},
    {SC_OVERDUE, "overdue"},
    {SC_RETURNED, "returned"},
    {SC_REDONE, "redone"},
    {SC_ESCALATED, "escalated"},
    {SC_PENDING_7D, "pending_over_7d"},
    {SC_PENDING_30D, "pending_over_30d"},
    {SC_SUSPENDED, "suspended"},
    {SC_SUSPENDED_NOW, "suspended_now"},
};
#define N_STATS_COUNTS (sizeof stats_counts / sizeof stats_counts[0])

static void cell_percent(char *out, size_t len, double part, double whole)
{
    if (whole > 0)
        snprintf(out, len, "%.0f%%", 100 * part / whole);
    else
        snprintf(out, len, "—");
}

static void cell_hours(char *out, size_t len, const char *seconds)
{
    if (seconds == NULL || *seconds == '\0')
        snprintf(out, len, "—");
    else
        snprintf(out, len, "%.1f", strtod(seconds, NULL) / 3600);
}

static double number(const char *text)
{
    return text && *text ? strtod(text, NULL) : 0;
}

int fqcon_stats_table(const fqcon_table *table, char ***out, size_t *n_out)
{
    int group_w;
    return fqcon_stats_table_named(table, NULL, NULL, out, n_out, &group_w);
}

int fqcon_stats_table_named(const fqcon_table *table,
                            const char *(*name)(void *ctx, const char *group), void *ctx,
                            char ***out, size_t *n_out, int *group_w)
{
    *out = NULL;
    *n_out = 0;
    *group_w = 0;
    size_t groups = table->rows > 1 ? table->rows - 1 : 0;
    size_t rows = 1 + groups + (groups > 0); /* header, groups, totals */
    char(*grid)[STATS_COLS][96] = calloc(rows, sizeof *grid);
    char **lines = calloc(rows, sizeof *lines);
    if (grid == NULL || lines == NULL) {
        free(grid);
        free(lines);
        return -1;
    }
    int width[STATS_COLS];
    for (int c = 0; c < STATS_COLS; c++)
        snprintf(grid[0][c], sizeof grid[0][c], "%s", gettext(stats_heads[c]));
    /* The totals: sums of the counts, and the counts behind the rates and
     * means (a mean times its count is a sum of seconds). */
    double sum[STATS_COLS] = {0}, village = 0, ack_s = 0, conclude_s = 0, suspended_s = 0;
    for (size_t r = 1; r <= groups; r++) {
        /* the group is the first column, whatever its header calls it */
        const char *group = table->cols > 0 ? table->cells[r * table->cols] : NULL;
        const char *shown = group && name ? name(ctx, group) : NULL;
        snprintf(grid[r][SC_GROUP], sizeof grid[r][SC_GROUP], "%s",
                 shown   ? shown
                 : group ? group
                         : "");
        for (size_t k = 0; k < N_STATS_COUNTS; k++) {
            const char *v = fqcon_table_cell(table, r, stats_counts[k].column);
            snprintf(grid[r][stats_counts[k].col], sizeof grid[r][0], "%s", *v ? v : "—");
            sum[stats_counts[k].col] += number(v);
        }
        double concluded = number(fqcon_table_cell(table, r, "concluded"));
        double acked = number(fqcon_table_cell(table, r, "acknowledged"));
        cell_percent(grid[r][SC_ON_TIME_RATE], sizeof grid[r][0],
                     number(fqcon_table_cell(table, r, "concluded_on_time")), concluded);
        const char *share = fqcon_table_cell(table, r, "village_share");
        if (*share) {
            /* the share of the concluded: back to a count for the totals */
            double v = floor(number(share) * concluded + 0.5);
            village += v;
            cell_percent(grid[r][SC_VILLAGE_SHARE], sizeof grid[r][0], v, concluded);
        } else {
            snprintf(grid[r][SC_VILLAGE_SHARE], sizeof grid[r][0], "—");
        }
        const char *ack_mean = fqcon_table_cell(table, r, "ack_mean_s");
        const char *conclude_mean = fqcon_table_cell(table, r, "conclude_mean_s");
        ack_s += number(ack_mean) * acked;
        conclude_s += number(conclude_mean) * concluded;
        cell_hours(grid[r][SC_ACK_MEAN], sizeof grid[r][0], ack_mean);
        cell_hours(grid[r][SC_ACK_P90], sizeof grid[r][0], fqcon_table_cell(table, r, "ack_p90_s"));
        cell_hours(grid[r][SC_CONCLUDE_MEAN], sizeof grid[r][0], conclude_mean);
        cell_hours(grid[r][SC_CONCLUDE_P90], sizeof grid[r][0],
                   fqcon_table_cell(table, r, "conclude_p90_s"));
        /* the mean time suspended, of the cases suspended */
        const char *suspended_mean = fqcon_table_cell(table, r, "suspended_mean_s");
        suspended_s += number(suspended_mean) * number(fqcon_table_cell(table, r, "suspended"));
        cell_hours(grid[r][SC_SUSPENDED_MEAN], sizeof grid[r][0], suspended_mean);
    }
    if (groups > 0) {
        size_t t = rows - 1;
        snprintf(grid[t][SC_GROUP], sizeof grid[t][0], "%s", _("total"));
        for (size_t k = 0; k < N_STATS_COUNTS; k++)
            snprintf(grid[t][stats_counts[k].col], sizeof grid[t][0], "%.0f",
                     sum[stats_counts[k].col]);
        cell_percent(grid[t][SC_ON_TIME_RATE], sizeof grid[t][0], sum[SC_CONCLUDED_ON_TIME],
                     sum[SC_CONCLUDED]);
        cell_percent(grid[t][SC_VILLAGE_SHARE], sizeof grid[t][0], village, sum[SC_CONCLUDED]);
        char secs[64];
        snprintf(secs, sizeof secs, "%.3f", ack_s / sum[SC_ACKED]);
        cell_hours(grid[t][SC_ACK_MEAN], sizeof grid[t][0], sum[SC_ACKED] > 0 ? secs : "");
        snprintf(secs, sizeof secs, "%.3f", conclude_s / sum[SC_CONCLUDED]);
        cell_hours(grid[t][SC_CONCLUDE_MEAN], sizeof grid[t][0], sum[SC_CONCLUDED] > 0 ? secs : "");
        snprintf(secs, sizeof secs, "%.3f", suspended_s / sum[SC_SUSPENDED]);
        cell_hours(grid[t][SC_SUSPENDED_MEAN], sizeof grid[t][0],
                   sum[SC_SUSPENDED] > 0 ? secs : "");
        /* a 90th percentile is not a sum of the groups' */
        snprintf(grid[t][SC_ACK_P90], sizeof grid[t][0], "—");
        snprintf(grid[t][SC_CONCLUDE_P90], sizeof grid[t][0], "—");
    }
    for (int c = 0; c < STATS_COLS; c++) {
        width[c] = 0;
        for (size_t r = 0; r < rows; r++) {
            int w = fqcon_width(grid[r][c]);
            if (c == SC_GROUP && w > 40)
                w = 40;
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r < rows; r++) {
        /* Display widths bound the padding, not the bytes: a zero-width
         * character takes bytes but no column, so each cell's own length
         * counts too. */
        size_t cap = 16;
        for (int c = 0; c < STATS_COLS; c++)
            cap += (size_t)width[c] * 4 + 8 + strlen(grid[r][c]);
        char *line = malloc(cap);
        if (line == NULL) {
            fqcon_lines_free(lines, rows);
            free(grid);
            return -1;
        }
        size_t used = 0;
        for (int c = 0; c < STATS_COLS; c++) {
            char fitted[400];
            if (c == SC_GROUP) {
                fqcon_fit(grid[r][c], width[c], 1, fitted, sizeof fitted);
            } else { /* right-aligned numbers */
                int w = fqcon_width(grid[r][c]);
                int padn = width[c] > w ? width[c] - w : 0;
                snprintf(fitted, sizeof fitted, "%*s%s", padn, "", grid[r][c]);
            }
            used += (size_t)snprintf(line + used, cap - used, "%s%s", c ? "  " : "", fitted);
        }
        lines[r] = line;
    }
    free(grid);
    *out = lines;
    *n_out = rows;
    *group_w = width[SC_GROUP] + 2;
    return 0;
}

int fqcon_kind_acts_on_incident(fqcon_kind k)
{
    switch (k) {
    case FQCON_ASSIGN:
    case FQCON_ESCALATE:
    case FQCON_CONCLUDE:
    case FQCON_APPROVE:
    case FQCON_DENY:
    case FQCON_SUPERVISE:
    case FQCON_MERGE:
    case FQCON_REOPEN:
    case FQCON_VERIFY:
    case FQCON_FOLLOW_UP:
    case FQCON_SUSPEND:
    case FQCON_RESUME:
        return 1;
    default:
        return 0;
    }
}
