/* fq-terminal: the field terminal of a grid worker or a unit's duty officer.
 *
 * `watch` long-polls the terminal endpoint for the terminal's outbox, writes
 * every new item to the journal (fsync'd) before it shows it, and in line
 * mode takes commands between updates. One-shot commands act on an
 * assignment (ack, return, progress, extend, conclude), report an incident
 * from the field, or list what the journal holds. See docs/fq-terminal.md.
 *
 * Exit codes: 0 done; 1 refused by the server; 2 usage or a local problem
 * (key, state folder, journal); 3 no definitive answer (the outcome is
 * unknown: retry with the same --message-id). */
#include "command.h"
#include "fqclient.h"
#include "fqi18n.h"
#include "fqreport.h"
#include "journal.h"
#include "syncer.h"
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "fq-terminal"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3 };

#define DEFAULT_TERMINALS "tcp://127.0.0.1:7412"
#define DEFAULT_INTAKE "tcp://127.0.0.1:7411"
#define OFF_DUTY_TIMEOUT_MS 10000
/* FQ_DEFAULT_UTC_OFFSET_S written out, for a journal without a zone yet. */
#define DEFAULT_ZONE "+08:00"
/* Typed actions go one at a time, in order (an ack must not overtake the
 * conclude typed after it); more wait in a queue. */
#define ACTION_QUEUE_MAX 32

typedef struct pending {
    int used;
    uint64_t tag;
    uint64_t message_id;
    fqt_action action;
} pending;

typedef struct app {
    const char *node;
    const char *key_file;
    const char *url;    /* terminal endpoint */
    const char *intake; /* intake endpoint */
    const char *state_dir;
    int64_t timeout_ms;
    int timeout_given;
    int ids; /* show ids beside the names (--ids) */
    char journal_path[PATH_MAX];
    uint8_t key[FQ_KEY_BYTES];

    /* one-shot */
    int json;
    int have_result;
    fqc_result result;

    /* watch */
    fqt_sync sync;
    fqj journal;
    int print_json;
    int stdout_broken;
    pending queue[ACTION_QUEUE_MAX]; /* queue[0] is in flight when head_sent */
    int queued;
    int head_sent;
    uint64_t next_tag;
    int have_unknown; /* the last action without an answer, for `retry` */
    pending unknown;
} app;

static volatile sig_atomic_t signals_seen;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
    if (wake_pipe[1] >= 0) {
        int saved = errno;
        ssize_t ignored = write(wake_pipe[1], "x", 1);
        (void)ignored;
        errno = saved;
    }
}

static int install_signals(void)
{
    if (pipe(wake_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

static void drain_wake_pipe(void)
{
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof buf) > 0)
        ;
}

/* "fq-terminal: " and the message, on stderr. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
    fputs(PROG ": ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- help ---- */

static void usage(FILE *out)
{
    fprintf(out,
            _("usage: fq-terminal [OPTIONS] COMMAND [ARGS]\n"
              "\n"
              "The field terminal of a grid worker or a unit's duty officer.\n"
              "\n"
              "commands:\n"
              "  watch [--line] [--once] [--off-duty-on-exit] [--json] [--position LON,LAT]\n"
              "                                 show new items as they come; in line mode also\n"
              "                                 take commands (ack, return, progress, ...)\n"
              "  ack ID                         acknowledge (签收) an assignment\n"
              "  return ID --reason wrong|capacity --note TEXT [--to UNIT]\n"
              "  progress ID --note TEXT\n"
              "  extend ID --to ISO8601|+DURATION --note TEXT\n"
              "  conclude ID --note TEXT\n"
              "  reply ID --note TEXT           answer a supervision order (督办)\n"
              "  report REPORT-FLAGS            report an incident from the field (as fq-report)\n"
              "  list [--json]                  the assignments in the journal not taken away\n"
              "  COMMAND --help                 help on one command\n"
              "\n"
              "options:\n"
              "  --node ID          this terminal's node id (or FQ_NODE)\n"
              "  --key-file FILE    file with the node key in hex (or FQ_NODE_KEY=hex)\n"
              "  --url URL          terminal endpoint (or FQ_TERMINALS; default %s); once\n"
              "                     per server of a pair (FQ_TERMINALS: URLs with commas)\n"
              "  --intake URL       intake endpoint, for report (or FQ_INTAKE; default %s);\n"
              "                     repeatable like --url\n"
              "  --state-dir DIR    where the journal lives (or FQ_TERMINAL_STATE; default\n"
              "                     $HOME/.fq-terminal); the journal is DIR/NODE.journal\n"
              "  --timeout-ms N     give up on an action, a report or a watch --once after this\n"
              "                     long (default 60000; 40000 for watch --once)\n"
              "  --ids              show ids beside the names (categories, places, units,\n"
              "                     workers; the items' sequence numbers)\n"
              "\n"
              "Chinese by default; English with LANG=C.UTF-8 (or LANGUAGE=en). Every time\n"
              "shown is the district's (the server names its zone, e.g. +08:00).\n"
              "\n"
              "Exit: 0 done, 1 refused by the server, 2 usage or local error, 3 no definitive\n"
              "answer (the outcome is unknown: run the command again with the --message-id it\n"
              "printed; that is safe).\n"),
            DEFAULT_TERMINALS, DEFAULT_INTAKE);
}

static void usage_watch(FILE *out)
{
    fprintf(out,
            _("usage: fq-terminal [OPTIONS] watch [--line] [--once] [--off-duty-on-exit] [--json]\n"
              "                                   [--position LON,LAT]\n"
              "\n"
              "Long-polls the terminal endpoint and shows every new item once: each is first\n"
              "appended to the journal and synced to disk, then printed. Runs until quit, Ctrl-D,\n"
              "SIGINT or SIGTERM (exit 0).\n"
              "\n"
              "  --line               take commands on stdin between updates (the default when\n"
              "                       stdin is a terminal); type help for the list\n"
              "  --once               one round: fetch what is new, show it, exit\n"
              "  --off-duty-on-exit   on leaving, sign the worker off duty (one last sync)\n"
              "  --json               print the journal lines (JSON) instead of readable lines\n"
              "  --position LON,LAT   the terminal's position, sent with every sync\n"
              "\n%s"),
            fqt_line_help());
}

static void usage_action(FILE *out, fqt_cmd cmd)
{
    switch (cmd) {
    case FQT_CMD_ACK:
        fprintf(out, _("usage: fq-terminal [OPTIONS] ack ID [--message-id N] [--json]\n"
                       "\nAcknowledges (签收) the assignment of incident ID.\n"));
        break;
    case FQT_CMD_RETURN:
        fprintf(out,
                _("usage: fq-terminal [OPTIONS] return ID --reason wrong|capacity --note TEXT\n"
                  "                                   [--to UNIT] [--message-id N] [--json]\n"
                  "\nReturns (退回) an assignment: wrong = not in our jurisdiction (UNIT: the\n"
                  "right org unit, if known); capacity = ours but beyond us (one tier up).\n"));
        break;
    case FQT_CMD_PROGRESS:
        fprintf(out, _("usage: fq-terminal [OPTIONS] progress ID --note TEXT [--message-id N] "
                       "[--json]\n\nAdds a progress note.\n"));
        break;
    case FQT_CMD_EXTEND:
        fprintf(out,
                _("usage: fq-terminal [OPTIONS] extend ID --to WHEN --note TEXT [--message-id N]\n"
                  "                                   [--json]\n"
                  "\nAsks for a later conclude limit (申请延期; pending approval). WHEN is a\n"
                  "duration from now (+2h, +3d, +1d12h, +1w) or an ISO 8601 time\n"
                  "(2026-11-28T17:00 in the district's time, 2026-11-28T09:00Z, "
                  "2026-11-28T17:00+08:00).\n"));
        break;
    case FQT_CMD_CONCLUDE:
        fprintf(out, _("usage: fq-terminal [OPTIONS] conclude ID --note TEXT [--message-id N] "
                       "[--json]\n\nConcludes (办结) the assignment with the result.\n"));
        break;
    case FQT_CMD_REPLY:
        fprintf(out,
                _("usage: fq-terminal [OPTIONS] reply ID --note TEXT [--message-id N] "
                  "[--json]\n\nAnswers the supervision order (督办) waiting on incident ID.\n"));
        break;
    default:
        break;
    }
    if (cmd != FQT_CMD_ACK)
        fprintf(
            out, "%s",
            _("\n  --photo FILE     a JPEG or PNG as evidence (at most 4); over nanomsg the whole\n"
              "                   request is at most 64 KiB: larger photos go through the phone\n"
              "                   page"));
    fprintf(out, _("\n  --message-id N   idempotency key (1 .. 2^63-1; default random): a script\n"
                   "                   that retries with the same N gets the same answer\n"
                   "  --json           print the answer as JSON\n"
                   "\nPrints e.g. \"incident 431: acknowledged\" (with --ids also the event's\n"
                   "number). Exit 0 done, 1 refused (status and message on stderr), 2 usage,\n"
                   "3 no definitive answer.\n"));
}

static void usage_report(FILE *out)
{
    fprintf(out, _("usage: fq-terminal [OPTIONS] report REPORT-FLAGS [--json]\n"
                   "\nReports an incident to the intake endpoint as this terminal's node.\n\n"));
    fqr_usage_fields(out);
    fprintf(out, _("  --json                print the answer as JSON\n"
                   "\nExit 0 stored, 1 refused, 2 usage, 3 no definitive answer (run again: "
                   "the same\n--external-ref or --message-id makes that safe).\n"));
}

static void usage_list(FILE *out)
{
    fprintf(out, _("usage: fq-terminal [OPTIONS] list [--json]\n"
                   "\nPrints the assignments of the journal that no later cancellation took "
                   "away,\none per line, with their current limits; a suspended one says since "
                   "when\nand why. With --json their journal lines.\n"));
}

/* ---- setup ---- */

static int load_key(app *a)
{
    char err[512];
    if (a->key_file) {
        if (fqc_load_key_file(a->key_file, a->key, err, sizeof err) != 0) {
            complain("%s\n", err);
            return -1;
        }
        return 0;
    }
    if (getenv("FQ_NODE_KEY") == NULL || fqc_parse_key(getenv("FQ_NODE_KEY"), a->key) != 0) {
        complain(_("need the node key: --key-file FILE or FQ_NODE_KEY (64 hex)\n"));
        return -1;
    }
    return 0;
}

/* The journal's path; with `create` its folder is made too. */
static int journal_path(app *a, int create, int quiet)
{
    const char *dir = a->state_dir;
    char fallback[PATH_MAX];
    if (dir == NULL)
        dir = getenv("FQ_TERMINAL_STATE");
    if (dir == NULL || dir[0] == '\0') {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == '\0') {
            if (!quiet)
                complain(_("give --state-dir (no HOME, no FQ_TERMINAL_STATE)\n"));
            return -1;
        }
        snprintf(fallback, sizeof fallback, "%s/.fq-terminal", home);
        dir = fallback;
    }
    int n = snprintf(a->journal_path, sizeof a->journal_path, "%s/%s.journal", dir, a->node);
    if (n < 0 || (size_t)n >= sizeof a->journal_path) {
        if (!quiet)
            complain(_("the state folder's path is too long\n"));
        return -1;
    }
    if (create && fqj_mkdirs(dir) != 0) {
        complain(_("cannot create the state folder %s: %s\n"), dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int resolve_journal(app *a)
{
    return journal_path(a, 1, 0);
}

/* The district's zone the journal remembers, for a command that runs
 * without a sync (list, and the times an action is given). Nothing changes
 * when there is no journal or it names none. */
static void zone_from_journal(app *a)
{
    char zone[8], err[512];
    int32_t offset_s;
    if (journal_path(a, 0, 1) == 0 &&
        fqj_last_time_zone(a->journal_path, zone, sizeof zone, err, sizeof err) == 0 &&
        fq_tz_parse(zone, &offset_s) == 0)
        fqt_set_utc_offset(offset_s);
}

static void on_done(void *user, uint64_t tag, const fqc_result *r);

static int open_client(app *a, const char *url, int window, fqc **out)
{
    fqc_config config = {0};
    config.url = url;
    config.node = a->node;
    memcpy(config.key, a->key, sizeof config.key);
    config.window = window;
    config.timeout_ms = a->timeout_ms;
    config.resend_ivl_ms = FQC_SYNC_RESEND_IVL_MS;
    char err[256];
    int rv = fqc_open(&config, on_done, a, out, err, sizeof err);
    sodium_memzero(config.key, sizeof config.key);
    if (rv != 0)
        complain("%s\n", err);
    return rv;
}

static int parse_message_id(const char *text, uint64_t *out)
{
    if (fqt_parse_id(text, out) != 0) {
        complain(_("--message-id must be 1 .. 2^63-1\n"));
        return -1;
    }
    return 0;
}

/* ---- results ---- */

static void print_json(json_object *o)
{
    puts(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    fflush(stdout);
}

/* Refused because what was asked is in effect already (an acknowledge
 * resent under a new message id after it was done): done, not an error. */
static int already_done(const fqc_result *r)
{
    return r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_WRONG_STATE &&
           r->has_action && r->already_done;
}

static json_object *action_json(const fqc_result *r, const fqt_action *act)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status",
                           json_object_new_string(r->outcome == FQC_NO_ANSWER
                                                      ? "no_answer"
                                                      : fq_status_name(r->status)));
    json_object_object_add(o, "action", json_object_new_string(fqt_cmd_name(act->cmd)));
    json_object_object_add(o, "incident", json_object_new_uint64(act->incident_id));
    if (r->has_action) {
        json_object_object_add(o, "state", json_object_new_string(r->state));
        json_object_object_add(o, "event_seq", json_object_new_uint64(r->event_seq));
    }
    if (already_done(r))
        json_object_object_add(o, "already_done", json_object_new_boolean(1));
    json_object_object_add(o, "message_id", json_object_new_uint64(r->message_id));
    if (r->message[0])
        json_object_object_add(o, "message", json_object_new_string(r->message));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    return o;
}

static int action_ok(const fqc_result *r)
{
    return r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK &&
           r->has_action;
}

/* The action as a person names it (the command's own word in English). */
static const char *action_label(fqt_cmd cmd)
{
    switch (cmd) {
    case FQT_CMD_ACK:
        return _("ack");
    case FQT_CMD_RETURN:
        return _("return");
    case FQT_CMD_PROGRESS:
        return _("progress");
    case FQT_CMD_EXTEND:
        return _("extend");
    case FQT_CMD_CONCLUDE:
        return _("conclude");
    case FQT_CMD_REPLY:
        return _("reply");
    default:
        return fqt_cmd_name(cmd);
    }
}

/* What is in effect once the action is done. */
static const char *action_done(fqt_cmd cmd)
{
    switch (cmd) {
    case FQT_CMD_ACK:
        return _("acknowledged");
    case FQT_CMD_RETURN:
        return _("returned");
    case FQT_CMD_PROGRESS:
        return _("progress noted");
    case FQT_CMD_EXTEND:
        return _("extension asked, awaiting approval");
    case FQT_CMD_CONCLUDE:
        return _("concluded");
    case FQT_CMD_REPLY:
        return _("supervision answered");
    default:
        return _("done");
    }
}

/* The readable answer to an action: stdout when done, stderr otherwise.
 * Returns the exit code it stands for. */
static int show_action_result(const fqc_result *r, const fqt_action *act, int json, int in_watch,
                              int ids)
{
    int code = action_ok(r) || already_done(r) ? EXIT_OK
               : r->outcome == FQC_NO_ANSWER   ? EXIT_UNKNOWN
               : r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK
                   ? EXIT_UNKNOWN /* OK without a result: not the terminal endpoint */
                   : EXIT_REFUSED;
    if (json)
        print_json(action_json(r, act));
    char id[24], msgid[24];
    snprintf(id, sizeof id, "%" PRIu64, act->incident_id);
    snprintf(msgid, sizeof msgid, "%" PRIu64, r->message_id);
    if (code == EXIT_OK && already_done(r)) {
        if (!json) {
            if (strcmp(r->state, "acknowledged") == 0)
                printf(_("incident %s: already acknowledged\n"), id);
            else
                /* TRANSLATORS: the second %s is the assignment's state ("in hand"). */
                printf(_("incident %s: already done (the assignment is %s)\n"), id,
                       fq_label_assignment(r->state));
            fflush(stdout);
        }
        return code;
    }
    if (code == EXIT_OK) {
        if (!json) {
            /* TRANSLATORS: "incident 431: acknowledged". */
            printf(_("incident %s: %s"), id, action_done(act->cmd));
            if (ids) {
                char event[24];
                snprintf(event, sizeof event, "%" PRIu64, r->event_seq);
                printf(_(" (event %s)"), event);
            }
            printf("\n");
            fflush(stdout);
        }
        return code;
    }
    const char *prefix = in_watch ? "" : PROG ": ";
    const char *why = r->message[0] ? r->message : _("the answer carried no result");
    if (code == EXIT_REFUSED)
        /* TRANSLATORS: "ack 431: FORBIDDEN: <the server's reason>". */
        fprintf(stderr, _("%s%s %s: %s: %s\n"), prefix, action_label(act->cmd), id,
                fq_status_name(r->status), r->message);
    else if (in_watch)
        fprintf(stderr,
                _("%s %s: no definitive answer (%s); type retry to send it again with the same "
                  "message id\n"),
                action_label(act->cmd), id, why);
    else
        fprintf(stderr,
                _("%s%s %s: no definitive answer (%s); run it again with --message-id %s (that "
                  "is safe)\n"),
                PROG ": ", action_label(act->cmd), id, why, msgid);
    return code;
}

static void on_done(void *user, uint64_t tag, const fqc_result *r)
{
    app *a = user;
    if (tag == FQT_SYNC_TAG || tag == FQT_FINAL_TAG) {
        fqt_sync_on_result(&a->sync, tag, r);
        return;
    }
    if (a->queued > 0 && a->head_sent && a->queue[0].tag == tag) { /* typed in watch */
        pending *p = &a->queue[0];
        int code = show_action_result(r, &p->action, a->print_json, 1, a->ids);
        if (code == EXIT_UNKNOWN) {
            a->unknown = *p;
            a->have_unknown = 1;
        } else if (a->have_unknown && a->unknown.message_id == p->message_id) {
            a->have_unknown = 0;
        }
        a->queued--;
        memmove(&a->queue[0], &a->queue[1], (size_t)a->queued * sizeof a->queue[0]);
        a->head_sent = 0;
        return;
    }
    /* one-shot */
    a->result = *r;
    a->result.items = NULL;
    a->result.n_items = 0;
    a->have_result = 1;
}

/* ---- one-shot actions ---- */

/* Photos given with --photo: their bytes and the refs that name them. */
#define MAX_PHOTOS 4
typedef struct photo_set {
    size_t n;
    ProtobufCBinaryData bytes[MAX_PHOTOS];
    Fengqiao__V1__AttachmentRef refs[MAX_PHOTOS];
    Fengqiao__V1__AttachmentRef *ref_ptrs[MAX_PHOTOS];
    uint8_t sha[MAX_PHOTOS][32];
} photo_set;

static void photos_free(photo_set *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->bytes[i].data);
    p->n = 0;
}

/* Reads FILE and names it: SHA-256, size, the type its first bytes say (the
 * server checks it again by decoding the header). 0, or -1 (complained). */
static int photo_add(photo_set *p, const char *path)
{
    if (p->n == MAX_PHOTOS) {
        complain(_("at most 4 photos go with one action\n"));
        return -1;
    }
    /* A file over 16 MiB is no photo to send: refused without reading it all. */
    uint8_t *data = NULL;
    size_t len = 0;
    if (fqc_read_file(path, 16u << 20, &data, &len) != 0) {
        if (errno == EFBIG)
            complain(_("--photo %s: too large\n"), path);
        else
            complain(_("--photo %s: %s\n"), path, strerror(errno));
        return -1;
    }
    const char *type = len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff
                           ? "image/jpeg"
                       : len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0 ? "image/png"
                                                                               : NULL;
    if (type == NULL) {
        complain(_("--photo %s: not a JPEG or PNG\n"), path);
        free(data);
        return -1;
    }
    size_t i = p->n++;
    p->bytes[i].data = data;
    p->bytes[i].len = len;
    crypto_hash_sha256(p->sha[i], data, len);
    Fengqiao__V1__AttachmentRef *r = &p->refs[i];
    fengqiao__v1__attachment_ref__init(r);
    r->sha256.data = p->sha[i];
    r->sha256.len = 32;
    r->content_type = (char *)type;
    r->size = len;
    const char *slash = strrchr(path, '/');
    r->name = (char *)(slash ? slash + 1 : path);
    p->ref_ptrs[i] = r;
    return 0;
}

static int cmd_action(app *a, fqt_cmd cmd, int argc, char **argv)
{
    enum { O_NOTE = 256, O_REASON, O_TO, O_MSGID, O_JSON, O_PHOTO };
    static const struct option options[] = {
        {"note", required_argument, NULL, O_NOTE},
        {"photo", required_argument, NULL, O_PHOTO},
        {"reason", required_argument, NULL, O_REASON},
        {"to", required_argument, NULL, O_TO},
        {"message-id", required_argument, NULL, O_MSGID},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static fqt_action act;
    memset(&act, 0, sizeof act);
    act.cmd = cmd;
    static photo_set photos;
    photos_free(&photos);
    const char *to = NULL;
    uint64_t message_id = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_NOTE:
            if (strlen(optarg) >= sizeof act.note) {
                complain(_("the note is too long\n"));
                return EXIT_USAGE;
            }
            snprintf(act.note, sizeof act.note, "%s", optarg);
            break;
        case O_REASON:
            if (cmd != FQT_CMD_RETURN || (act.reason = fqt_parse_reason(optarg)) == 0) {
                complain(_("--reason is wrong or capacity, with return\n"));
                return EXIT_USAGE;
            }
            break;
        case O_TO:
            to = optarg;
            break;
        case O_MSGID:
            if (parse_message_id(optarg, &message_id) != 0)
                return EXIT_USAGE;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case O_PHOTO:
            if (cmd == FQT_CMD_ACK) {
                complain(_("ack takes no photo\n"));
                return EXIT_USAGE;
            }
            if (photo_add(&photos, optarg) != 0)
                return EXIT_USAGE;
            break;
        case 'h':
            usage_action(stdout, cmd);
            return EXIT_OK;
        default:
            usage_action(stderr, cmd);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || fqt_parse_id(argv[optind], &act.incident_id) != 0) {
        complain(_("%s needs exactly one incident id (a number)\n"), fqt_cmd_name(cmd));
        usage_action(stderr, cmd);
        return EXIT_USAGE;
    }
    int64_t now = fq_now_ms();
    char err[512];
    zone_from_journal(a);
    if (to != NULL) {
        if (cmd == FQT_CMD_RETURN) {
            if (!fqt_valid_unit(to)) {
                complain(_("--to needs an org unit id\n"));
                return EXIT_USAGE;
            }
            snprintf(act.right_place, sizeof act.right_place, "%.64s", to);
        } else if (cmd == FQT_CMD_EXTEND) {
            if (fqt_parse_extension(to, fqt_utc_offset(), &act, err, sizeof err) != 0) {
                complain(_("--to: %s\n"), err);
                return EXIT_USAGE;
            }
        } else {
            complain(_("--to goes with return and extend\n"));
            return EXIT_USAGE;
        }
    }
    if (cmd == FQT_CMD_ACK && act.note[0] != '\0') {
        complain(_("ack takes no note\n"));
        return EXIT_USAGE;
    }
    if (cmd == FQT_CMD_EXTEND && to == NULL) {
        complain(_("extend needs --to WHEN (+2h, +3d or an ISO 8601 time)\n"));
        return EXIT_USAGE;
    }
    if (fqt_action_check(&act, now, err, sizeof err) != 0) {
        complain("%s\n", err);
        return EXIT_USAGE;
    }
    if (load_key(a) != 0)
        return EXIT_USAGE;
    fqc *client;
    if (open_client(a, a->url, 1, &client) != 0)
        return EXIT_USAGE;
    Fengqiao__V1__AssignmentAction body;
    fqt_action_body(&act, &body);
    body.attachments = photos.ref_ptrs;
    body.n_attachments = photos.n;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
    env.assignment_action = &body;
    if (message_id == 0)
        message_id = fqc_random_message_id();
    if (fqc_submit_attached(client, 1, message_id, &env, photos.bytes, photos.n, 0) != 0) {
        complain(_("out of memory\n"));
        fqc_close(client);
        photos_free(&photos);
        return EXIT_USAGE;
    }
    fqc_drain(client);
    fqc_close(client);
    photos_free(&photos);
    return show_action_result(&a->result, &act, a->json, 0, a->ids);
}

/* ---- report ---- */

/* A name, or the id when the server sent none; with --ids both. */
static void named(const app *a, const char *name, const char *id, char *out, size_t len)
{
    if (name[0] == '\0')
        snprintf(out, len, "%s", id);
    else if (a->ids && id[0] != '\0')
        snprintf(out, len, "%s (%s)", name, id);
    else
        snprintf(out, len, "%s", name);
}

/* Where the report went, as a person reads it: "incident 431 reported:
 * with 王某 (玉泉社区第一网格), acknowledge by 15:05, conclude by …". */
static void show_report_result(const app *a, const fqc_result *r)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, r->incident_id);
    if (r->duplicate)
        printf(_("incident %s: already reported"), id);
    else
        printf(_("incident %s reported"), id);
    if (r->has_routing && r->merged_into != 0) {
        char into[24];
        snprintf(into, sizeof into, "%" PRIu64, r->merged_into);
        printf(_(": merged into open incident %s"), into);
    } else if (r->has_routing && (r->worker[0] || r->lead_unit[0])) {
        char who[600], unit[600], place[600];
        named(a, r->worker_name, r->worker, who, sizeof who);
        named(a, r->lead_unit_name, r->lead_unit, unit, sizeof unit);
        named(a, r->territory_name, r->territory, place, sizeof place);
        if (r->worker[0])
            /* TRANSLATORS: the worker, then the grid. */
            printf(_(": with %s (%s)"), who, place);
        else
            printf(_(": with %s"), unit);
        fqj_view view = {fq_now_ms(), fqt_utc_offset(), a->ids};
        char when[40];
        if (r->acknowledge_due_ms != 0) {
            fqj_format_time(r->acknowledge_due_ms, &view, when, sizeof when);
            printf(_(", acknowledge by %s"), when);
        }
        if (r->conclude_due_ms != 0) {
            fqj_format_time(r->conclude_due_ms, &view, when, sizeof when);
            printf(_(", conclude by %s"), when);
        }
        if (r->working_time)
            printf("%s", _(" (working time)"));
    }
    if (a->ids) {
        char msgid[24];
        snprintf(msgid, sizeof msgid, "%" PRIu64, r->message_id);
        printf(_(" (message id %s)"), msgid);
    }
    printf("\n");
}

static int cmd_report(app *a, int argc, char **argv)
{
    enum { O_FIELD = 256, O_JSON };
    static const struct option options[] = {
        FQR_FIELD_OPTIONS(O_FIELD),
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fqr_input in;
    fqr_init(&in);
    char err[256];
    int c, index;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", options, &index)) != -1) {
        switch (c) {
        case O_FIELD:
            if (fqr_set_flag(&in, options[index].name, optarg, err, sizeof err) != 0) {
                complain("%s\n", err);
                return EXIT_USAGE;
            }
            break;
        case O_JSON:
            a->json = 1;
            break;
        case 'h':
            usage_report(stdout);
            return EXIT_OK;
        default:
            usage_report(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        complain(_("unexpected argument '%s'\n"), argv[optind]);
        return EXIT_USAGE;
    }
    zone_from_journal(a);
    if (fqr_finish(&in, a->node, err, sizeof err) != 0) {
        complain("%s\n", err);
        return EXIT_USAGE;
    }
    if (load_key(a) != 0)
        return EXIT_USAGE;
    fqc *client;
    fqc_config config = {0};
    config.url = a->intake;
    config.node = a->node;
    memcpy(config.key, a->key, sizeof config.key);
    config.window = 1;
    config.timeout_ms = a->timeout_ms;
    int rv = fqc_open(&config, on_done, a, &client, err, sizeof err);
    sodium_memzero(config.key, sizeof config.key);
    if (rv != 0) {
        complain("%s\n", err);
        return EXIT_USAGE;
    }
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    env.report_incident = &in.body;
    fqc_submit(client, 1, in.message_id, &env);
    fqc_drain(client);
    fqc_close(client);
    const fqc_result *r = &a->result;
    int code = r->outcome == FQC_NO_ANSWER                                       ? EXIT_UNKNOWN
               : r->status == FENGQIAO__V1__STATUS__STATUS_OK && r->has_incident ? EXIT_OK
               : r->status == FENGQIAO__V1__STATUS__STATUS_OK                    ? EXIT_UNKNOWN
                                                                                 : EXIT_REFUSED;
    char msgid[24];
    snprintf(msgid, sizeof msgid, "%" PRIu64, r->message_id);
    if (a->json)
        print_json(fqr_result_json(0, r));
    else if (code == EXIT_OK)
        show_report_result(a, r);
    if (code == EXIT_REFUSED)
        complain(_("%s: %s (message id %s)\n"), fq_status_name(r->status), r->message, msgid);
    else if (code == EXIT_UNKNOWN)
        complain(_("no definitive answer (%s); run it again with --message-id %s (that is safe)\n"),
                 r->message[0] ? r->message : _("the answer carried no incident"), msgid);
    return code;
}

/* ---- list ---- */

typedef struct list_ctx {
    int json;
    int count;
    fqj_view view;
} list_ctx;

static int print_listed(void *user, const fqj_item *item, const char *line)
{
    list_ctx *l = user;
    l->count++;
    if (l->json) {
        puts(line);
    } else {
        char text[4096];
        fqj_format_item(item, &l->view, text, sizeof text);
        puts(text);
    }
    return 0;
}

static int list_journal(app *a, int json, int say_none)
{
    list_ctx l = {json, 0, {fq_now_ms(), fqt_utc_offset(), a->ids}};
    char err[512];
    if (fqj_open_assignments(a->journal_path, print_listed, &l, err, sizeof err) != 0) {
        complain("%s\n", err);
        return EXIT_USAGE;
    }
    if (say_none && l.count == 0)
        puts(_("no assignments in the journal"));
    fflush(stdout);
    return EXIT_OK;
}

static int cmd_list(app *a, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, json = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'j') {
            json = 1;
        } else if (c == 'h') {
            usage_list(stdout);
            return EXIT_OK;
        } else {
            usage_list(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        complain(_("unexpected argument '%s'\n"), argv[optind]);
        return EXIT_USAGE;
    }
    if (resolve_journal(a) != 0)
        return EXIT_USAGE;
    zone_from_journal(a);
    return list_journal(a, json, 0);
}

/* ---- watch ---- */

static int show_items(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n)
{
    app *a = user;
    fqj_item *v = calloc(n, sizeof *v);
    if (v == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        fqj_item_from_outbox(items[i], &v[i]);
        v[i].time_zone = a->sync.time_zone;
    }
    char err[512];
    if (fqj_append(&a->journal, v, n, err, sizeof err) != 0) {
        fqt_log(PROG, "%s", err);
        free(v);
        return -1;
    }
    /* In the journal and on disk: now show them. */
    fqj_view view = {fq_now_ms(), fqt_utc_offset(), a->ids};
    for (size_t i = 0; i < n; i++) {
        if (a->print_json) {
            char *line = fqj_item_to_line(&v[i]);
            if (line != NULL)
                fputs(line, stdout);
            free(line);
        } else {
            char text[4096];
            fqj_format_item(&v[i], &view, text, sizeof text);
            puts(text);
        }
    }
    free(v);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!a->stdout_broken)
            fqt_log(PROG, _("cannot write to stdout; the items are in %s"), a->journal_path);
        a->stdout_broken = 1;
    }
    return 0;
}

static void queue_action(app *a, const fqt_action *act, uint64_t message_id)
{
    if (a->queued == ACTION_QUEUE_MAX) {
        fprintf(stderr, _("wait: %d actions are already waiting to be sent\n"), ACTION_QUEUE_MAX);
        return;
    }
    pending *p = &a->queue[a->queued++];
    p->used = 1;
    p->tag = ++a->next_tag;
    p->message_id = message_id;
    p->action = *act;
}

/* Sends the oldest queued action when none is in flight. */
static void pump_actions(app *a, fqc *client)
{
    while (a->queued > 0 && !a->head_sent) {
        pending *p = &a->queue[0];
        Fengqiao__V1__AssignmentAction body;
        fqt_action_body(&p->action, &body);
        Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
        env.assignment_action = &body;
        if (fqc_submit(client, p->tag, p->message_id, &env) == 0) {
            a->head_sent = 1;
            return;
        }
        fprintf(stderr, _("%s %llu: cannot send (out of memory)\n"), action_label(p->action.cmd),
                (unsigned long long)p->action.incident_id);
        a->queued--;
        memmove(&a->queue[0], &a->queue[1], (size_t)a->queued * sizeof a->queue[0]);
    }
}

/* One typed line. Returns 1 to quit. */
static int handle_line(app *a, const char *line)
{
    static fqt_action act;
    char err[512];
    if (fqt_parse_line(line, fq_now_ms(), fqt_utc_offset(), &act, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 0;
    }
    switch (act.cmd) {
    case FQT_CMD_NONE:
        return 0;
    case FQT_CMD_HELP:
        fputs(fqt_line_help(), stdout);
        fflush(stdout);
        return 0;
    case FQT_CMD_LIST:
        list_journal(a, a->print_json, 1);
        return 0;
    case FQT_CMD_QUIT:
        return 1;
    case FQT_CMD_RETRY:
        if (!a->have_unknown) {
            fprintf(stderr, _("nothing to retry: every action sent has its answer\n"));
            return 0;
        }
        a->have_unknown = 0;
        queue_action(a, &a->unknown.action, a->unknown.message_id);
        return 0;
    default:
        queue_action(a, &act, fqc_random_message_id());
        return 0;
    }
}

typedef struct line_reader {
    char buf[FQT_LINE_MAX];
    size_t len;
    int skipping; /* inside a line that was too long */
    int eof;
} line_reader;

/* Reads what stdin has and handles each complete line. Returns 1 to quit. */
static int read_stdin(app *a, line_reader *lr)
{
    ssize_t n = read(STDIN_FILENO, lr->buf + lr->len, sizeof lr->buf - lr->len);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : (lr->eof = 1);
    if (n == 0) {
        lr->eof = 1;
        return 1; /* Ctrl-D */
    }
    lr->len += (size_t)n;
    for (;;) {
        char *nl = memchr(lr->buf, '\n', lr->len);
        if (nl == NULL) {
            if (lr->len == sizeof lr->buf) {
                fprintf(stderr, _("the line is too long (at most %d bytes); ignored\n"),
                        FQT_LINE_MAX - 1);
                lr->len = 0;
                lr->skipping = 1;
            }
            return 0;
        }
        *nl = '\0';
        if (nl > lr->buf && nl[-1] == '\r')
            nl[-1] = '\0';
        int quit = 0;
        if (!lr->skipping)
            quit = handle_line(a, lr->buf);
        lr->skipping = 0;
        size_t used = (size_t)(nl - lr->buf) + 1;
        memmove(lr->buf, lr->buf + used, lr->len - used);
        lr->len -= used;
        if (quit)
            return 1;
    }
}

static int parse_position(const char *text, double *lon, double *lat)
{
    char *end;
    *lon = strtod(text, &end);
    if (end == text || *end != ',')
        return -1;
    const char *p = end + 1;
    *lat = strtod(p, &end);
    if (end == p || *end != '\0')
        return -1;
    return *lon >= -180 && *lon <= 180 && *lat >= -90 && *lat <= 90 ? 0 : -1;
}

static int cmd_watch(app *a, int argc, char **argv)
{
    enum { O_LINE = 256, O_ONCE, O_OFFDUTY, O_JSON, O_POSITION };
    static const struct option options[] = {
        {"line", no_argument, NULL, O_LINE},
        {"once", no_argument, NULL, O_ONCE},
        {"off-duty-on-exit", no_argument, NULL, O_OFFDUTY},
        {"json", no_argument, NULL, O_JSON},
        {"position", required_argument, NULL, O_POSITION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int line_mode = 0, once = 0, off_duty = 0, has_position = 0;
    double lon = 0, lat = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_LINE:
            line_mode = 1;
            break;
        case O_ONCE:
            once = 1;
            break;
        case O_OFFDUTY:
            off_duty = 1;
            break;
        case O_JSON:
            a->print_json = 1;
            break;
        case O_POSITION:
            if (parse_position(optarg, &lon, &lat) != 0) {
                complain(_("--position LON,LAT in degrees, e.g. 120.10,30.24\n"));
                return EXIT_USAGE;
            }
            has_position = 1;
            break;
        case 'h':
            usage_watch(stdout);
            return EXIT_OK;
        default:
            usage_watch(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        complain(_("unexpected argument '%s'\n"), argv[optind]);
        return EXIT_USAGE;
    }
    if (once && line_mode) {
        complain(_("--once and --line do not go together\n"));
        return EXIT_USAGE;
    }
    int interactive = !once && (line_mode || isatty(STDIN_FILENO));
    if (load_key(a) != 0 || resolve_journal(a) != 0)
        return EXIT_USAGE;
    char err[512];
    if (fqj_open(&a->journal, a->journal_path, FQJ_LOCK, err, sizeof err) != 0) {
        complain("%s\n", err);
        return EXIT_USAGE;
    }
    /* Until the server names the district's zone: the one the journal
     * remembers (an offline start shows the right time). */
    int32_t offset_s;
    int zone_known = fq_tz_parse(a->journal.time_zone, &offset_s) == 0;
    if (zone_known)
        fqt_set_utc_offset(offset_s);
    if (a->journal.cut_bytes > 0)
        fqt_log(PROG, _("cut off a partial last line (%zu bytes) of %s; that item comes again"),
                a->journal.cut_bytes, a->journal_path);
    signal(SIGPIPE, SIG_IGN);
    if (install_signals() != 0) {
        complain(_("pipe: %s\n"), strerror(errno));
        fqj_close(&a->journal);
        return EXIT_USAGE;
    }
    fqc *client;
    /* Sockets: the long-poll, the typed action in flight, the last sync
     * when signing off (it must not wait behind the other two). */
    if (open_client(a, a->url, 3, &client) != 0) {
        fqj_close(&a->journal);
        return EXIT_USAGE;
    }
    fqt_sync_init(&a->sync, client, PROG, a->url, a->node, a->journal.last_seq, once, show_items,
                  a);
    if (zone_known)
        snprintf(a->sync.time_zone, sizeof a->sync.time_zone, "%s", a->journal.time_zone);
    if (once && a->timeout_given)
        a->sync.timeout_ms = a->timeout_ms;
    a->sync.has_position = has_position;
    a->sync.lon = lon;
    a->sync.lat = lat;
    if (interactive) {
        /* TRANSLATORS: the node id, then the district's offset ("+08:00"). */
        printf(_("watching as %s; times in the district's time (UTC%s); type help for the "
                 "commands\n"),
               a->node, a->sync.time_zone[0] ? a->sync.time_zone : DEFAULT_ZONE);
        fflush(stdout);
    }
    static line_reader lr;
    int quit = 0;
    while (!quit && !signals_seen && !a->sync.done) {
        int t = fqt_sync_tick(&a->sync);
        if (t < 0 || t > 1000)
            t = 1000; /* connection changes are looked at every second */
        struct pollfd extra[2] = {{.fd = wake_pipe[0], .events = POLLIN}};
        int n_extra = 1;
        if (interactive && !lr.eof) {
            extra[1].fd = STDIN_FILENO;
            extra[1].events = POLLIN;
            n_extra = 2;
        }
        fqt_wait(client, extra, n_extra, t);
        if (extra[0].revents)
            drain_wake_pipe();
        if (n_extra == 2 && (extra[1].revents & (POLLIN | POLLHUP | POLLERR)))
            quit = read_stdin(a, &lr);
        pump_actions(a, client);
    }
    int code = a->sync.done ? a->sync.exit_code : EXIT_OK;
    if (!once && a->sync.exit_code == 0 && off_duty) {
        fqt_sync_final(&a->sync, 1, OFF_DUTY_TIMEOUT_MS);
        int before = signals_seen;
        while (!a->sync.final_done && signals_seen == before) {
            struct pollfd extra[1] = {{.fd = wake_pipe[0], .events = POLLIN}};
            fqt_wait(client, extra, 1, 1000);
        }
        if (a->sync.final_ok)
            fqt_log(PROG, _("signed off duty"));
        else
            code = EXIT_UNKNOWN;
    } else {
        fqt_sync_final(&a->sync, 0, 0);
    }
    if (a->queued > 0) {
        fqt_log(PROG, _("waiting for the answer to %d action(s)%s"), a->queued,
                interactive ? _(" (Ctrl-C to leave without it)") : "");
        int before = signals_seen;
        while (a->queued > 0 && signals_seen == before) {
            pump_actions(a, client);
            struct pollfd extra[1] = {{.fd = wake_pipe[0], .events = POLLIN}};
            fqt_wait(client, extra, 1, 1000);
        }
    }
    fqc_close(client);
    fqj_close(&a->journal);
    return code;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    fq_i18n_init("fq-terminal");
    static app a;
    a.node = getenv("FQ_NODE");
    a.url = getenv("FQ_TERMINALS") ? getenv("FQ_TERMINALS") : DEFAULT_TERMINALS;
    a.intake = getenv("FQ_INTAKE") ? getenv("FQ_INTAKE") : DEFAULT_INTAKE;
    a.timeout_ms = 60000;

    enum { O_NODE = 256, O_KEY, O_URL, O_INTAKE, O_STATE, O_TIMEOUT, O_IDS };
    static const struct option options[] = {
        {"node", required_argument, NULL, O_NODE},
        {"key-file", required_argument, NULL, O_KEY},
        {"url", required_argument, NULL, O_URL},
        {"intake", required_argument, NULL, O_INTAKE},
        {"state-dir", required_argument, NULL, O_STATE},
        {"timeout-ms", required_argument, NULL, O_TIMEOUT},
        {"ids", no_argument, NULL, O_IDS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static fqc_urls url_flags, intake_flags;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case O_NODE:
            a.node = optarg;
            break;
        case O_KEY:
            a.key_file = optarg;
            break;
        case O_URL: /* repeatable: the servers of a pair */
            if (fqc_urls_add(&url_flags, optarg) != 0)
                goto too_long;
            break;
        case O_INTAKE:
            if (fqc_urls_add(&intake_flags, optarg) != 0)
                goto too_long;
            break;
        case O_STATE:
            a.state_dir = optarg;
            break;
        case O_IDS:
            a.ids = 1;
            break;
        case O_TIMEOUT: {
            long long v;
            if (fqc_option_number(optarg, 100, 24LL * 3600 * 1000, &v) != 0) {
                complain(_("--timeout-ms must be 100 .. 86400000\n"));
                return EXIT_USAGE;
            }
            a.timeout_ms = v;
            a.timeout_given = 1;
            break;
        }
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
        continue;
    too_long:
        complain(_("too many addresses for --url or --intake\n"));
        return EXIT_USAGE;
    }
    a.url = fqc_urls_or(&url_flags, a.url);
    a.intake = fqc_urls_or(&intake_flags, a.intake);
    if (optind >= argc) {
        complain(_("give a command\n"));
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    static char sub_name[64]; /* getopt's messages start with it */
    snprintf(sub_name, sizeof sub_name, PROG " %.40s", command);
    sub_argv[0] = sub_name;
    if (strcmp(command, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        fqt_cmd cmd;
    } actions[] = {
        {"ack", FQT_CMD_ACK},       {"acknowledge", FQT_CMD_ACK},
        {"return", FQT_CMD_RETURN}, {"progress", FQT_CMD_PROGRESS},
        {"extend", FQT_CMD_EXTEND}, {"conclude", FQT_CMD_CONCLUDE},
        {"reply", FQT_CMD_REPLY},
    };
    fqt_cmd action = FQT_CMD_NONE;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(command, actions[i].name) == 0)
            action = actions[i].cmd;
    int known = action != FQT_CMD_NONE || strcmp(command, "watch") == 0 ||
                strcmp(command, "report") == 0 || strcmp(command, "list") == 0;
    if (!known) {
        complain(_("unknown command '%s'\n"), command);
        usage(stderr);
        return EXIT_USAGE;
    }
    /* Help needs no node. */
    for (int i = 1; i < sub_argc; i++) {
        if (strcmp(sub_argv[i], "--") == 0)
            break;
        if (strcmp(sub_argv[i], "--help") == 0 || strcmp(sub_argv[i], "-h") == 0) {
            if (action != FQT_CMD_NONE)
                usage_action(stdout, action);
            else if (strcmp(command, "watch") == 0)
                usage_watch(stdout);
            else if (strcmp(command, "report") == 0)
                usage_report(stdout);
            else
                usage_list(stdout);
            return EXIT_OK;
        }
    }
    if (a.node == NULL || !fq_valid_id(a.node)) {
        complain(_("give a valid --node (or FQ_NODE)\n"));
        return EXIT_USAGE;
    }
    int code;
    if (action != FQT_CMD_NONE)
        code = cmd_action(&a, action, sub_argc, sub_argv);
    else if (strcmp(command, "watch") == 0)
        code = cmd_watch(&a, sub_argc, sub_argv);
    else if (strcmp(command, "report") == 0)
        code = cmd_report(&a, sub_argc, sub_argv);
    else
        code = cmd_list(&a, sub_argc, sub_argv);
    sodium_memzero(a.key, sizeof a.key);
    return code;
}
