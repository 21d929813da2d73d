/* fq-report: the town platform's side of the intake. Sends one incident
 * from flags, or many from JSON lines on stdin with a window of outstanding
 * requests, and prints each incident id or error.
 *
 * Exit codes: 0 every report stored (or found stored); 1 some report was
 * refused; 2 usage; 3 some report got no definitive answer (unknown outcome:
 * run again, the same message ids make that safe); 4 some input line was
 * unreadable. The worst applies. */
#include "fqclient.h"
#include "fqreport.h"
#include "journal.h"
#include "syncer.h"
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3, EXIT_BAD_INPUT = 4 };

typedef struct run {
    int json_output;
    int quiet;
    int exit_code;
    uint64_t ok, duplicates, refused, unknown, bad_lines;
} run;

/* A whole-number option within [min, max]; 0, or -1 after saying why. */
static int option_in_range(const char *name, const char *text, long min, long max, long *out)
{
    long long v;
    if (fqc_option_number(text, min, max, &v) != 0) {
        fprintf(stderr, "fq-report: %s must be a whole number %ld-%ld\n", name, min, max);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static void worse(run *r, int code)
{
    /* Precedence: bad input > unknown outcome > refused > ok. */
    static const int rank[] = {[EXIT_OK] = 0,
                               [EXIT_REFUSED] = 1,
                               [EXIT_USAGE] = 4,
                               [EXIT_UNKNOWN] = 2,
                               [EXIT_BAD_INPUT] = 3};
    if (rank[code] > rank[r->exit_code])
        r->exit_code = code;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: fq-report --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] REPORT\n"
                 "       fq-report --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] --stdin\n"
                 "       fq-report --node ID (--key-file FILE | FQ_NODE_KEY) follow [--url URL]\n"
                 "                 [--from-seq N] [--seq-file FILE] [--once]\n"
                 "\n"
                 "Reports incidents to fengqiao's intake and prints the incident id of each;\n"
                 "follow prints the town's (or district's) feed of status changes\n"
                 "(fq-report follow --help).\n"
                 "\n"
                 "REPORT flags:\n");
    fqr_usage_fields(out);
    fprintf(out,
            "\n"
            "--stdin reads one JSON object per line with the same fields (category,\n"
            "severity, risk, channel, place_unit, title, description, address, lon, lat,\n"
            "occurred_at_ms, external_ref, reporter_name, reporter_phone, message_id; the\n"
            "place is place_unit, severity, risk and channel are names: \"IV\", not 4) and\n"
            "prints one JSON object per line: {\"line\":N,\"status\":...,\"incident_id\":...}.\n"
            "\n"
            "  --node ID           this node's id (or FQ_NODE)\n"
            "  --key-file FILE     file with the node key in hex (or FQ_NODE_KEY=hex)\n"
            "  --url URL           intake endpoint, repeatable: once per server of a pair\n"
            "                      (requests go to whichever serves); or FQ_INTAKE (URLs\n"
            "                      with commas); default tcp://127.0.0.1:7411\n"
            "  --window N          reports in flight at once with --stdin (default 16)\n"
            "  --timeout-ms N      give up on one report after this long (default 60000)\n"
            "  --answer-wait-ms N  send a report again on a fresh socket when the server\n"
            "                      is silent this long (default 3000: a gone server)\n"
            "  --json              JSON output also for a single report\n"
            "  --quiet             print nothing but errors (with --stdin: only the lines\n"
            "                      of reports not stored, and no summary)\n"
            "\n"
            "Exit: 0 all stored, 1 some refused, 2 usage, 3 some without a definitive answer\n"
            "(run again: safe), 4 some input line unreadable.\n");
}

static void usage_follow(FILE *out)
{
    fprintf(out,
            "usage: fq-report --node ID (--key-file FILE | FQ_NODE_KEY) follow [--url URL]\n"
            "                 [--from-seq N] [--seq-file FILE] [--once]\n"
            "\n"
            "A town platform node follows its town's feed on the terminal endpoint, a\n"
            "district platform node (the 12345 hotline) its district's: one JSON object\n"
            "per line on stdout for every status change of an incident in the town or\n"
            "district ({\"seq\":…,\"kind\":\"update\",\"incident\":…,\"text\":…,…}), in order.\n"
            "Each says the change in typed fields, named as in the proto: event_kind,\n"
            "event_seq, reason_code, state, assignment, tier, line, holder_unit,\n"
            "holder_worker, co_units, external_ref, reporter_node, actor, reason, …\n"
            "(docs/terminals.md, \"Structured items\"); text is for people.\n"
            "Runs until SIGINT or SIGTERM (exit 0).\n"
            "\n"
            "  --url URL        terminal endpoint (else the --url before follow, else\n"
            "                   FQ_TERMINALS, else tcp://127.0.0.1:7412); repeatable\n"
            "  --seq-file FILE  keeps the last sequence printed (written to a temporary file,\n"
            "                   synced and renamed after each batch): a restart goes on after\n"
            "                   it. A crash between printing and saving prints that batch\n"
            "                   again: readers skip sequences they have seen.\n"
            "  --from-seq N     start at item N (N-1 is acknowledged), whatever the file says;\n"
            "                   without either, the server's oldest unacknowledged item\n"
            "  --once           fetch what is new, print it, exit (0; 1 refused; 3 no answer\n"
            "                   within --timeout-ms given before follow, else 40 s)\n");
}

/* The node key from --key-file (owner-only, fq_keyfile.h) or FQ_NODE_KEY. */
static int load_key(const char *key_file, uint8_t key[FQ_KEY_BYTES])
{
    char err[512];
    if (key_file) {
        if (fqc_load_key_file(key_file, key, err, sizeof err) != 0) {
            fprintf(stderr, "fq-report: %s\n", err);
            return -1;
        }
        return 0;
    }
    if (getenv("FQ_NODE_KEY") == NULL || fqc_parse_key(getenv("FQ_NODE_KEY"), key) != 0) {
        fprintf(stderr, "fq-report: need the node key: --key-file FILE or FQ_NODE_KEY (64 hex)\n");
        return -1;
    }
    return 0;
}

static void on_result(void *user, uint64_t line, const fqc_result *r)
{
    run *rn = user;
    if (r->outcome == FQC_NO_ANSWER) {
        rn->unknown++;
        worse(rn, EXIT_UNKNOWN);
    } else if (r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        rn->ok++;
        rn->duplicates += r->duplicate ? 1 : 0;
    } else {
        rn->refused++;
        worse(rn, EXIT_REFUSED);
    }
    int stored = r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK;
    if (rn->json_output && !(rn->quiet && stored)) {
        json_object *o = fqr_result_json(line, r);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else if (rn->json_output) {
        /* --quiet: a stored report's line is left out. */
    } else if (stored) {
        if (!rn->quiet) {
            char text[1024];
            fqr_result_text(r, text, sizeof text);
            puts(text);
        }
    } else {
        fprintf(stderr, "fq-report: %s: %s (message id %" PRIu64 ")\n",
                r->outcome == FQC_NO_ANSWER ? "no answer" : fq_status_name(r->status), r->message,
                r->message_id);
    }
    fflush(stdout);
}

static void print_json_error(uint64_t line, const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "line", json_object_new_int64((int64_t)line));
    json_object_object_add(o, "status", json_object_new_string("bad_input"));
    json_object_object_add(o, "message", json_object_new_string(message));
    puts(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    fflush(stdout);
}

/* ---- stdin mode ---- */

static int json_field_text(json_object *v, char *buf, size_t buf_len, const char **out)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        *out = json_object_get_string(v);
        return 0;
    case json_type_int:
        snprintf(buf, buf_len, "%" PRId64, json_object_get_int64(v));
        if (json_object_get_int64(v) == INT64_MAX)
            snprintf(buf, buf_len, "%" PRIu64, json_object_get_uint64(v));
        *out = buf;
        return 0;
    case json_type_double:
        snprintf(buf, buf_len, "%.17g", json_object_get_double(v));
        *out = buf;
        return 0;
    default:
        return -1;
    }
}

/* Serves the answers of the requests outstanding until standard input
 * has something to read (or ends). 0, or -1 when poll fails. */
static int wait_for_input(fqc *client)
{
    for (;;) {
        struct pollfd fds[1 + 256];
        fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int timeout = -1;
        int n = fqc_prepare_poll(client, fds + 1, 256, &timeout);
        if (poll(fds, (nfds_t)n + 1, timeout) < 0 && errno != EINTR)
            return -1;
        fqc_poll(client, 0);
        if (fds[0].revents != 0)
            return 0;
    }
}

static void run_stdin(fqc *client, run *rn, const char *node)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t number = 0;
    json_tokener *tok = json_tokener_new();
    /* A pipe or a terminal may pause between lines: the answers to the
     * lines sent are printed meanwhile, not when the next line comes. Read
     * unbuffered then, so that poll() on the descriptor tells whether a
     * line is there (a regular file never waits, and stays buffered). */
    struct stat st;
    int interactive = fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode);
    if (interactive)
        setvbuf(stdin, NULL, _IONBF, 0);
    /* Field texts live as long as the parsed object; the client packs the
     * body at submit, so each line's object is released right after. */
    while ((!interactive || wait_for_input(client) == 0) &&
           (len = getline(&line, &cap, stdin)) >= 0) {
        number++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char err[256];
        json_tokener_reset(tok);
        json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        if (obj == NULL || jerr != json_tokener_success ||
            json_tokener_get_parse_end(tok) != (size_t)len ||
            json_object_get_type(obj) != json_type_object) {
            snprintf(err, sizeof err, "not a JSON object: %s",
                     obj == NULL || jerr != json_tokener_success
                         ? json_tokener_error_desc(jerr)
                         : "trailing data or not an object");
            json_object_put(obj);
            print_json_error(number, err);
            rn->bad_lines++;
            worse(rn, EXIT_BAD_INPUT);
            continue;
        }
        fqr_input in;
        fqr_init(&in);
        char numbers[8][40];
        int n_numbers = 0;
        int bad = 0;
        json_object_object_foreach(obj, key, val)
        {
            const char *text;
            if (n_numbers >= 8 ||
                json_field_text(val, numbers[n_numbers], sizeof numbers[0], &text) != 0) {
                snprintf(err, sizeof err, "field '%s' must be a string or a number", key);
                bad = 1;
                break;
            }
            if (text == numbers[n_numbers])
                n_numbers++;
            if (fqr_set_field(&in, key, text, err, sizeof err) != 0) {
                bad = 1;
                break;
            }
        }
        if (!bad && fqr_finish(&in, node, err, sizeof err) != 0)
            bad = 1;
        if (bad) {
            print_json_error(number, err);
            rn->bad_lines++;
            worse(rn, EXIT_BAD_INPUT);
        } else {
            Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
            env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
            env.report_incident = &in.body;
            fqc_submit(client, number, in.message_id, &env);
        }
        json_object_put(obj);
    }
    free(line);
    json_tokener_free(tok);
    fqc_drain(client);
}

/* ---- follow ---- */

static volatile sig_atomic_t follow_stop;
static int follow_pipe[2] = {-1, -1};

static void on_follow_signal(int sig)
{
    (void)sig;
    follow_stop = 1;
    int saved = errno;
    ssize_t ignored = write(follow_pipe[1], "x", 1);
    (void)ignored;
    errno = saved;
}

typedef struct follower {
    fqt_sync sync;
    const char *seq_file;
    uint64_t saved_seq;
    int stdout_broken;
} follower;

/* Reads the decimal sequence in `path`; 0 when the file does not exist. */
static int read_seq_file(const char *path, uint64_t *out)
{
    *out = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (n == 0 || *end != '\0' || buf[0] == '-' || errno != 0)
        return -1;
    *out = v;
    return 0;
}

/* Writes the sequence to a temporary file, syncs it and renames it over
 * `path`, then syncs the folder: the file always holds a whole number. */
static int write_seq_file(const char *path, uint64_t seq)
{
    char tmp[4096], dir[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    char text[32];
    int len = snprintf(text, sizeof text, "%" PRIu64 "\n", seq);
    int ok = write(fd, text, (size_t)len) == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int print_feed(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n)
{
    follower *f = user;
    for (size_t i = 0; i < n; i++) {
        fqj_item item;
        fqj_item_from_outbox(items[i], &item);
        char *line = fqj_item_to_line(&item);
        if (line == NULL)
            return -1;
        fputs(line, stdout);
        free(line);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* Nobody reads: stop without recording them as printed. */
        if (!f->stdout_broken)
            fqt_log("fq-report", "cannot write to stdout; stopping");
        f->stdout_broken = 1;
        follow_stop = 1;
        return -1;
    }
    uint64_t last = items[n - 1]->seq;
    if (f->seq_file != NULL) {
        if (write_seq_file(f->seq_file, last) == 0)
            f->saved_seq = last;
        else
            fqt_log("fq-report", "cannot save the sequence %" PRIu64 " to %s: %s", last,
                    f->seq_file, strerror(errno));
    }
    return 0;
}

static void on_follow_result(void *user, uint64_t tag, const fqc_result *r)
{
    follower *f = user;
    fqt_sync_on_result(&f->sync, tag, r);
}

static int run_follow(int argc, char **argv, const char *node, const char *key_file,
                      const char *url_flag, long timeout_ms)
{
    enum { O_URL = 256, O_FROM, O_SEQ_FILE, O_ONCE };
    static const struct option options[] = {
        {"url", required_argument, NULL, O_URL},
        {"from-seq", required_argument, NULL, O_FROM},
        {"seq-file", required_argument, NULL, O_SEQ_FILE},
        {"once", no_argument, NULL, O_ONCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static follower f;
    static fqc_urls follow_urls;
    const char *url = url_flag;
    if (url == NULL)
        url = getenv("FQ_TERMINALS") ? getenv("FQ_TERMINALS") : "tcp://127.0.0.1:7412";
    int once = 0, have_from = 0;
    uint64_t from = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_URL: /* repeatable */
            if (fqc_urls_add(&follow_urls, optarg) != 0) {
                fprintf(stderr, "fq-report: too many --url addresses\n");
                return EXIT_USAGE;
            }
            url = follow_urls.text;
            break;
        case O_FROM: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || optarg[0] == '-' || errno != 0) {
                fprintf(stderr, "fq-report: --from-seq takes a sequence number\n");
                return EXIT_USAGE;
            }
            from = v;
            have_from = 1;
            break;
        }
        case O_SEQ_FILE:
            f.seq_file = optarg;
            break;
        case O_ONCE:
            once = 1;
            break;
        case 'h':
            usage_follow(stdout);
            return EXIT_OK;
        default:
            usage_follow(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "fq-report: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (node == NULL || !fq_valid_id(node)) {
        fprintf(stderr, "fq-report: give a valid --node (or FQ_NODE)\n");
        return EXIT_USAGE;
    }
    uint64_t after = 0;
    if (have_from) {
        after = from > 0 ? from - 1 : 0;
    } else if (f.seq_file != NULL && read_seq_file(f.seq_file, &after) != 0) {
        fprintf(stderr, "fq-report: cannot read a sequence number from %s\n", f.seq_file);
        return EXIT_USAGE;
    }
    f.saved_seq = after;
    fqc_config config = {0};
    config.url = url;
    config.node = node;
    config.window = 1;
    config.resend_ivl_ms = FQC_SYNC_RESEND_IVL_MS;
    if (load_key(key_file, config.key) != 0)
        return EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    if (pipe(follow_pipe) != 0) {
        fprintf(stderr, "fq-report: pipe: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    for (int i = 0; i < 2; i++)
        fcntl(follow_pipe[i], F_SETFL, fcntl(follow_pipe[i], F_GETFL) | O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_follow_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fqc *client;
    char err[256];
    int rv = fqc_open(&config, on_follow_result, &f, &client, err, sizeof err);
    sodium_memzero(config.key, sizeof config.key);
    if (rv != 0) {
        fprintf(stderr, "fq-report: %s\n", err);
        return EXIT_USAGE;
    }
    fqt_sync_init(&f.sync, client, "fq-report", url, node, after, once, print_feed, &f);
    if (once && timeout_ms > 0)
        f.sync.timeout_ms = timeout_ms;
    while (!follow_stop && !f.sync.done) {
        int t = fqt_sync_tick(&f.sync);
        if (t < 0 || t > 1000)
            t = 1000;
        struct pollfd extra[1] = {{.fd = follow_pipe[0], .events = POLLIN}};
        fqt_wait(client, extra, 1, t);
    }
    fqc_close(client);
    if (f.stdout_broken)
        return EXIT_REFUSED;
    return f.sync.done ? f.sync.exit_code : EXIT_OK;
}

int main(int argc, char **argv)
{
    run rn = {0};
    const char *node = getenv("FQ_NODE");
    const char *url = getenv("FQ_INTAKE") ? getenv("FQ_INTAKE") : "tcp://127.0.0.1:7411";
    const char *key_file = NULL;
    const char *url_flag = NULL;
    static fqc_urls url_flags;
    int use_stdin = 0, timeout_given = 0;
    long window = 16, timeout_ms = 60000, answer_wait_ms = 0;
    fqr_input in;
    fqr_init(&in);
    char err[256];

    enum {
        O_NODE = 256,
        O_KEY,
        O_URL,
        O_STDIN,
        O_WINDOW,
        O_TIMEOUT,
        O_ANSWER_WAIT,
        O_JSON,
        O_QUIET,
        O_FIELD
    };
    static const struct option options[] = {
        {"node", required_argument, NULL, O_NODE},
        {"key-file", required_argument, NULL, O_KEY},
        {"url", required_argument, NULL, O_URL},
        {"stdin", no_argument, NULL, O_STDIN},
        {"window", required_argument, NULL, O_WINDOW},
        {"timeout-ms", required_argument, NULL, O_TIMEOUT},
        {"answer-wait-ms", required_argument, NULL, O_ANSWER_WAIT},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, 'h'},
        FQR_FIELD_OPTIONS(O_FIELD),
        {NULL, 0, NULL, 0},
    };
    int c, index;
    int any_field = 0;
    /* "+": stop at the first word, so that `follow` has flags of its own. */
    while ((c = getopt_long(argc, argv, "+h", options, &index)) != -1) {
        switch (c) {
        case O_NODE:
            node = optarg;
            break;
        case O_KEY:
            key_file = optarg;
            break;
        case O_URL: /* repeatable: the servers of a pair */
            if (fqc_urls_add(&url_flags, optarg) != 0) {
                fprintf(stderr, "fq-report: too many --url addresses\n");
                return EXIT_USAGE;
            }
            url = url_flag = url_flags.text;
            break;
        case O_STDIN:
            use_stdin = 1;
            break;
        case O_WINDOW:
            if (option_in_range("--window", optarg, 1, 256, &window) != 0)
                return EXIT_USAGE;
            break;
        case O_TIMEOUT:
            if (option_in_range("--timeout-ms", optarg, 100, INT_MAX, &timeout_ms) != 0)
                return EXIT_USAGE;
            timeout_given = 1;
            break;
        case O_ANSWER_WAIT:
            if (option_in_range("--answer-wait-ms", optarg, 500, 3600000, &answer_wait_ms) != 0)
                return EXIT_USAGE;
            break;
        case O_JSON:
            rn.json_output = 1;
            break;
        case O_QUIET:
            rn.quiet = 1;
            break;
        case O_FIELD:
            if (fqr_set_flag(&in, options[index].name, optarg, err, sizeof err) != 0) {
                fprintf(stderr, "fq-report: %s\n", err);
                return EXIT_USAGE;
            }
            any_field = 1;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc && strcmp(argv[optind], "follow") == 0) {
        if (use_stdin || any_field) {
            fprintf(stderr, "fq-report: follow takes no report flags and no --stdin\n");
            return EXIT_USAGE;
        }
        static char follow_name[] = "fq-report follow"; /* for getopt's messages */
        argv[optind] = follow_name;
        return run_follow(argc - optind, argv + optind, node, key_file, url_flag,
                          timeout_given ? timeout_ms : 0);
    }
    if (optind != argc) {
        fprintf(stderr, "fq-report: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (node == NULL || !fq_valid_id(node)) {
        fprintf(stderr, "fq-report: give a valid --node (or FQ_NODE)\n");
        return EXIT_USAGE;
    }
    if (use_stdin == any_field) {
        fprintf(stderr, "fq-report: give either report flags or --stdin\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    fqc_config config = {0};
    config.url = url;
    config.node = node;
    config.window = use_stdin ? (int)window : 1;
    config.timeout_ms = timeout_ms;
    config.answer_wait_ms = (int)answer_wait_ms;
    if (load_key(key_file, config.key) != 0)
        return EXIT_USAGE;
    fqc *client;
    if (fqc_open(&config, on_result, &rn, &client, err, sizeof err) != 0) {
        fprintf(stderr, "fq-report: %s\n", err);
        return EXIT_USAGE;
    }
    if (use_stdin) {
        rn.json_output = 1;
        run_stdin(client, &rn, node);
    } else {
        if (fqr_finish(&in, node, err, sizeof err) != 0) {
            fprintf(stderr, "fq-report: %s\n", err);
            fqc_close(client);
            return EXIT_USAGE;
        }
        Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
        env.report_incident = &in.body;
        fqc_submit(client, 1, in.message_id, &env);
        fqc_drain(client);
    }
    fqc_close(client);
    if (use_stdin && !rn.quiet)
        fprintf(stderr,
                "fq-report: %" PRIu64 " stored (%" PRIu64 " already reported), %" PRIu64
                " refused, %" PRIu64 " without answer, %" PRIu64 " unreadable lines\n",
                rn.ok, rn.duplicates, rn.refused, rn.unknown, rn.bad_lines);
    return rn.exit_code;
}
