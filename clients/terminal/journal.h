/* journal: what a terminal has been shown, and the small pure pieces of
 * fq-terminal that tests can reach without a server.
 *
 * The journal <state-dir>/<node>.journal holds one JSON object per line, one
 * line per outbox item, in sequence order; each batch is appended and
 * fsync'd before it is shown. Its last complete line's `seq` is the last
 * item shown, so a restart asks the server for what comes after it: nothing
 * is shown twice and nothing is lost. A partial last line (a crash in the
 * middle of a write) is cut off when the journal is opened. See
 * docs/fq-terminal.md. */
#ifndef FQ_TERMINAL_JOURNAL_H
#define FQ_TERMINAL_JOURNAL_H

#include "fengqiao.pb-c.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* One outbox item, independent of protobuf. Strings are never NULL ("" when
 * absent) and belong to whoever filled the item. */
typedef struct fqj_item {
    uint64_t seq;
    int kind; /* Fengqiao__V1__ItemKind */
    uint64_t incident_id;
    const char *text;
    const char *category;
    int severity; /* 0 none, 1 (I) .. 4 (IV) */
    const char *title;
    const char *address;
    const char *territory;
    int has_location;
    double lon, lat;
    int64_t acknowledge_due_ms;
    int64_t conclude_due_ms;
    int64_t at_ms;
    int64_t supervision_due_ms;
    /* The topology's display names of the ids above and of the holder
     * after the event ("" while the server sends none: the id is shown). */
    const char *category_name;
    const char *territory_name;
    const char *event_kind; /* "assigned", "suspended", … ('' from an older server) */
    const char *note;       /* what a person wrote with the event */
    const char *actor_name; /* who acted; '' for fengqiaod */
    const char *holder_unit;
    const char *holder_unit_name;
    const char *holder_worker;
    const char *holder_worker_name;
    int64_t suspended_at_ms; /* non-zero: suspended (中止) since then */
    int working_time;        /* its limits count working time */
    /* The district's time zone when the item came ("+08:00"; "" unknown):
     * the journal remembers it, so a start without the server shows the
     * district's time. Not part of OutboxItem: the caller sets it. */
    const char *time_zone;
    /* Set by fqj_open_assignments only: the reason of the suspension in
     * force (suspended_at_ms then says since when); "" otherwise. */
    const char *suspend_reason;
    /* The change in typed fields (OutboxItem 26..41, docs/terminals.md,
     * "Structured items"); 0 and "" from an older server. */
    uint64_t event_seq;
    const char *reason_code;
    uint32_t rule_set, rule;
    const char *state;      /* the incident after the event */
    const char *assignment; /* the assignment after it ('' once not open) */
    int tier;               /* Fengqiao__V1__Tier */
    int line;               /* Fengqiao__V1__Line */
    /* Co-handling units and their names, in the same order (n of each);
     * from the protobuf item only: fqj_item_from_json leaves them empty. */
    size_t n_co_units;
    char *const *co_units;
    char *const *co_unit_names;
    const char *external_ref;
    const char *reporter_node;
    const char *reporter_node_name;
    const char *actor;
    const char *reason;
    uint64_t merged_into;
} fqj_item;

/* How items are shown: when "now" is (for "today" and "overdue"), the
 * district's offset from UTC (every time shown is in it), and whether ids
 * (the item's sequence, category, territory, unit and worker ids) are
 * shown beside the names. */
typedef struct fqj_view {
    int64_t now_ms;
    int32_t utc_offset_s;
    int ids;
} fqj_view;

/* "assignment", "update", "cancellation", "warning", "supervision", "closed";
 * "unknown" for anything else. */
const char *fqj_kind_name(int kind);
/* The inverse; 0 when not a kind name. */
int fqj_kind_parse(const char *name);
/* "I" .. "IV"; "" for 0 and unknown values. */
const char *fqj_severity_name(int severity);
/* The Tier and Line enums by their lowercase names ("village", "town",
 * "district"; "governance", "market", "enforcement", "services"); "" for 0
 * and unknown values. */
const char *fqj_tier_name(int tier);
const char *fqj_line_name(int line);

/* Strings point into `o`. */
void fqj_item_from_outbox(const Fengqiao__V1__OutboxItem *o, fqj_item *out);

/* The journal form: {"seq":12,"kind":"assignment","incident":431,…}; empty
 * strings and zero times are left out, lon/lat only with a location. */
json_object *fqj_item_to_json(const fqj_item *item);
/* That object as one line of text with its newline; malloc'ed. */
char *fqj_item_to_line(const fqj_item *item);
/* Reads the journal form back; strings point into `o`. 0, or -1 when `o`
 * is not an object with a positive integer "seq". */
int fqj_item_from_json(json_object *o, fqj_item *out);

/* The line a person reads, in the language fq_i18n_init chose, built from
 * the item's fields (never from `text`, the server's sentence), e.g.
 *   派单 · 事件 431 · 邻里纠纷 IV级 · 邻里噪音纠纷 · 玉泉社区第一网格（文三路 12 号）·
 *   签收时限 14:05，办结时限 2026-11-28 14:00
 *   assigned · incident 431 · neighbour dispute IV · 邻里噪音纠纷 · … ·
 *   acknowledge by 14:05, conclude by 2026-11-28 14:00
 * With view->ids the sequence and the ids follow the names. Control
 * characters from the server are shown as spaces, so a hostile text cannot
 * drive the terminal. */
void fqj_format_item(const fqj_item *item, const fqj_view *view, char *buf, size_t len);

/* A time in the district's zone: "14:05" when it is on the same local day
 * as view->now_ms, else "2026-11-28 14:00". */
void fqj_format_time(int64_t ms, const fqj_view *view, char *buf, size_t len);

/* A point in time from a duration after now_ms ("+2h", "2h", "+3d",
 * "+1d12h", "+90m", "+1w"; units s m h d w) or an ISO 8601 date and time
 * ("2026-11-28T17:00", "2026-11-28 17:00:30", with "Z" or "+08:00" /
 * "+0800" / "+08"; without, the district's time, utc_offset_s east of UTC).
 * 0 and *out_ms (epoch ms), or -1 with a message. A date alone is refused
 * (which hour?). */
int fqj_parse_when(const char *text, int64_t now_ms, int32_t utc_offset_s, int64_t *out_ms,
                   char *err, size_t err_len);

/* ---- the journal file ---- */

typedef struct fqj {
    int fd;
    char *path;
    uint64_t last_seq; /* of the last complete line; 0 when empty */
    char time_zone[8]; /* of the last complete line ("+08:00"); "" when none */
    size_t cut_bytes;  /* a partial last line of this size was cut off at open */
    int64_t size;      /* bytes, all complete lines */
} fqj;

enum { FQJ_LOCK = 1 }; /* fqj_open: hold an exclusive lock (one watch per node) */

/* Opens (creating it, mode 0600) the journal, cuts off a partial last line
 * and reads the last sequence. 0, or -1 with a message (also when another
 * process holds the lock, or the last complete line is not a journal line). */
int fqj_open(fqj *j, const char *path, int flags, char *err, size_t err_len);

/* Appends the items as lines in one write and fsyncs. Items must come in
 * increasing sequence above j->last_seq (others are skipped). On failure the
 * file is cut back to its size before, so it never keeps half a batch.
 * 0 or -1 with a message. */
int fqj_append(fqj *j, const fqj_item *items, size_t n, char *err, size_t err_len);

void fqj_close(fqj *j);

/* Calls `fn` for every complete line of the journal at `path` in order, with
 * the parsed item and its JSON text (without the newline). A missing file
 * has no lines. Lines that are not journal lines are passed with item NULL.
 * `fn` returns 0 to go on. 0, or -1 with a message. */
typedef int (*fqj_line_fn)(void *user, const fqj_item *item, const char *line);
int fqj_read(const char *path, fqj_line_fn fn, void *user, char *err, size_t err_len);

/* The assignments of the journal that no later cancellation or closing
 * (concluded, merged) took away, in
 * sequence order: for `list`. Calls `fn` for each (item and line as in
 * fqj_read), the item as the later lines left it: the limits of the latest
 * item that had any (an extension, a resumption), suspended_at_ms and
 * suspend_reason from a suspension not yet lifted. 0, or -1 with a message. */
int fqj_open_assignments(const char *path, fqj_line_fn fn, void *user, char *err, size_t err_len);

/* The district's zone the journal at `path` last noted ("+08:00"), into
 * out; "" when none (or no journal). 0, or -1 with a message. */
int fqj_last_time_zone(const char *path, char *out, size_t out_len, char *err, size_t err_len);

/* Makes a directory and its missing parents, mode 0700. 0 or -1 (errno). */
int fqj_mkdirs(const char *path);

#endif
