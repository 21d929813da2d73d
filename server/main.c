/* fengqiaod: the command-and-dispatch server. Settings in (the options
 * table: config file, environment, command line), one libuv loop run by
 * server.c. */
#include "server.h"
#include "allowlist.h"
#include "http.h"
#include "paths.h"

#include "conninfo.h"
#include "keyseal.h"
#include "log.h"
#include "options.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const if_locked_choices[] = {"exit", "wait", NULL};
/* In fq_log_level order (log.h). */
static const char *const log_level_choices[] = {"debug", "info", "warn", "error", NULL};

#define T fq_server_config
/* Every setting of fengqiaod, once: the long option --NAME and the config
 * file's key NAME (options.h) are read by the same parser. Add an option
 * here and nowhere else; its help text is the usage line. */
static const fq_option options[] = {
    FQ_OPTION_ACTION("config", "FILE", 0,
                     "read settings from this INI file first (or FQ_CONFIG); the\n"
                     "command line's options override it (docs/operations.md)"),
    FQ_OPTION_SECRET(T, "db", "CONNINFO", conninfo, fq_conninfo_has_password,
                     FQ_CONNINFO_PASSWORD_HINT,
                     "PostgreSQL connection string (or FQ_DB); a password\n"
                     "never here: the config file, PGPASSFILE or PGPASSWORD"),
    FQ_OPTION_TEXT(T, "server-key", "FILE", server_key_path,
                   "server key that seals node keys (or FQ_SERVER_KEY;\n"
                   "default ./fengqiao-server.key)"),
    FQ_OPTION_TEXT(T, "intake", "URL", intake_url,
                   "intake endpoint (default tcp://127.0.0.1:7411)"),
    FQ_OPTION_TEXT(T, "terminals", "URL", terminals_url,
                   "field terminals' endpoint (default tcp://127.0.0.1:7412)"),
    FQ_OPTION_TEXT(T, "console", "URL", console_url,
                   "a listener of its own for operators' consoles (default:\n"
                   "consoles use the terminal endpoint)"),
    FQ_OPTION_NUMBER(T, "presence-timeout", "S", presence_timeout_ms, 1, 86400, 1000,
                     "a worker's terminal silent this long goes off duty and\n"
                     "their unacknowledged assignments move on (default 120)"),
    FQ_OPTION_NUMBER(T, "max-skew-ms", "N", max_skew_ms, 0, 86400000, 1,
                     "accepted clock skew of sent_at (default 120000)"),
    FQ_OPTION_NUMBER(T, "hold-ms", "N", hold_ms, 0, 3600000, 1,
                     "how long requests wait for an unreachable database\n"
                     "before they are answered busy (default 2000; keep it\n"
                     "under the clients' 3 s answer wait)"),
    FQ_OPTION_NUMBER(T, "max-pending", "N", max_pending, 1, 10000000, 1,
                     "requests waiting for the database at most (default 20000)"),
    FQ_OPTION_NUMBER(T, "max-pending-kib", "N", max_pending_bytes, 1, 1024 * 1024 * 1024, 1024,
                     "memory held by reports waiting for the database, in KiB;\n"
                     "beyond it reports are answered busy at once\n"
                     "(default 262144, 256 MiB)"),
    FQ_OPTION_NUMBER(T, "batch", "N", max_batch, 1, 10000, 1,
                     "statements per transaction at most (default 256)"),
    FQ_OPTION_NUMBER(T, "batches-in-flight", "N", max_batches_in_flight, 1, 64, 1,
                     "transactions in flight at most; a second only while 16\n"
                     "operations wait (default 2)"),
    FQ_OPTION_NUMBER(T, "id-block", "N", id_block, 1, 1000000, 1,
                     "incident ids reserved at a time (default 4096)"),
    FQ_OPTION_NUMBER(T, "read-timeout-ms", "N", read_timeout_ms, 100, 600000, 1,
                     "the console's reads run on their own connection and are\n"
                     "cancelled (answered busy) after this long (default 5000)"),
    FQ_OPTION_NUMBER(T, "audit-rate", "N", audit_per_second, 0, 1000000, 1,
                     "audit rows per second for refused requests (default 200)"),
    FQ_OPTION_NUMBER(T, "stats-interval", "S", stats_interval_s, 0, 86400, 1,
                     "seconds between statistics lines, 0 = off (default 30)"),
    FQ_OPTION_TEXT(T, "trace-reports", "FILE", trace_reports_path,
                   "for benchmarks: write a line for each report stored\n"
                   "with the times it reached each stage (docs/write-path.md)"),
    FQ_OPTION_NUMBER(T, "dedup-distance-m", "N", dedup_distance_m, 1, 100000, 1,
                     "a report this close to an open incident of its\n"
                     "category is merged into it (default 200)"),
    FQ_OPTION_NUMBER(T, "dedup-window-min", "N", dedup_window_ms, 0, 7 * 24 * 60, 60000,
                     "... if that one was reported this recently (default 120)"),
    FQ_OPTION_CHOICE(T, "if-locked", "exit|wait", if_locked_wait, if_locked_choices,
                     "another fengqiaod serves this database: exit with\n"
                     "status 3 once it has held it for 5 s (default), or\n"
                     "wait for it to stop, answering reports busy meanwhile"),
    FQ_OPTION_TEXT(T, "http", "ADDR:PORT", http_listen,
                   "serve the web console and its API (default: no HTTP);\n"
                   "off loopback it needs --tls-cert and --tls-key"),
    FQ_OPTION_TEXT(T, "tls-cert", "FILE", tls_cert, "TLS certificate chain (PEM) for --http"),
    FQ_OPTION_TEXT(T, "tls-key", "FILE", tls_key, "its private key (PEM)"),
    FQ_OPTION_TEXT(T, "web-root", "DIR", web_root,
                   "the page's files (default: ../share/fengqiao/web from the\n"
                   "binary, or the build tree's for a build-tree binary)"),
    FQ_OPTION_NUMBER(T, "session-hours", "N", session_hours, 1, 24 * 90, 1,
                     "a web session's life (default 12)"),
    FQ_OPTION_TEXT(T, "tile-url", "URL", tile_url,
                   "a base-map tile URL template (default: none, the map\n"
                   "draws the district's own shapes only)"),
    FQ_OPTION_TEXT(T, "metrics-allow", "LIST", metrics_allow,
                   "/metrics answers only these peers: addresses and CIDR\n"
                   "blocks, comma-separated (default: whoever reaches --http)"),
    FQ_OPTION_NUMBER(T, "judgment-interval", "S", judgment_interval_s, 0, 86400, 1,
                     "research and judgment: seconds between runs over the\n"
                     "history that push new findings to open consoles,\n"
                     "0 = none (default 300; docs/judgment.md)"),
    FQ_OPTION_NUMBER(T, "judgment-hotspot-min", "N", judgment_hotspot_min, 2, 10000, 1,
                     "a hotspot: at least N incidents of a category ... (default 5)"),
    FQ_OPTION_NUMBER(T, "judgment-hotspot-radius-m", "N", judgment_hotspot_radius_m, 10, 5000, 1,
                     "... within N metres ... (default 300)"),
    FQ_OPTION_NUMBER(T, "judgment-hotspot-days", "N", judgment_hotspot_window_ms, 1, 365, 86400000,
                     "... over the last N days (default 7)"),
    FQ_OPTION_NUMBER(T, "judgment-trend-weeks", "N", judgment_trend_weeks, 2, 26, 1,
                     "a trend: this week against the N weeks before (default 8)"),
    FQ_OPTION_NUMBER(T, "judgment-trend-min", "N", judgment_trend_min, 1, 100000, 1,
                     "... flagged with at least N incidents this week ... (default 5)"),
    FQ_OPTION_NUMBER(T, "judgment-trend-p-permille", "N", judgment_trend_p_permille, 1, 500, 1,
                     "... and a Poisson tail p <= N/1000 (default 10)"),
    FQ_OPTION_NUMBER(T, "judgment-repeat-min", "N", judgment_repeat_min, 2, 10000, 1,
                     "a repeat source: one phone, person or address with\n"
                     "N or more incidents ... (default 3)"),
    FQ_OPTION_NUMBER(T, "judgment-repeat-days", "N", judgment_repeat_window_ms, 1, 365, 86400000,
                     "... in the last N days (default 30)"),
    FQ_OPTION_NUMBER(T, "judgment-pending-days", "N", judgment_pending_days, 1, 3650, 1,
                     "long-pending: cases not concluded after N days (default 7)"),
    FQ_OPTION_TEXT(T, "upward-url", "LIST", upward.urls,
                   "report incidents upward (docs/upward.md) to these\n"
                   "https:// receivers, comma-separated (default: none, off)"),
    FQ_OPTION_TEXT(T, "upward-ca-file", "FILE", upward.ca_file,
                   "the receivers' CA certificates, PEM (default: the system's)"),
    FQ_OPTION_TEXT(T, "upward-key-file", "FILE", upward.key_file,
                   "the key the reports are signed with (HMAC-SHA-256):\n"
                   "64 hexadecimal digits, shared with the receivers"),
    FQ_OPTION_TEXT(T, "upward-grades", "LIST", upward.grades,
                   "grades reported upward, of I, II, III, IV, comma-separated\n"
                   "(default I,II; empty: none)"),
    FQ_OPTION_TEXT(T, "upward-categories", "LIST", upward.categories,
                   "category codes reported upward whatever their grade,\n"
                   "comma-separated (default: none)"),
    FQ_OPTION_TEXT(T, "upward-keywords", "LIST", upward.keywords,
                   "words that report an incident upward when its title or\n"
                   "description has one, comma-separated (default: none)"),
    FQ_OPTION_NUMBER(T, "upward-retry-min-ms", "N", upward.retry_min_ms, 10, 86400000, 1,
                     "the first wait after a refused report; it doubles with\n"
                     "each refusal, with jitter (default 5000)"),
    FQ_OPTION_NUMBER(T, "upward-retry-max-ms", "N", upward.retry_max_ms, 10, 86400000, 1,
                     "the longest wait between attempts (default 3600000)"),
    FQ_OPTION_NUMBER(T, "upward-timeout-ms", "N", upward.timeout_ms, 100, 600000, 1,
                     "one attempt gives up after this long (default 15000)"),
    FQ_OPTION_NUMBER(T, "upward-scan-ms", "N", upward.scan_ms, 10, 600000, 1,
                     "how often new incidents and due reports are looked for\n"
                     "(default 1000)"),
    FQ_OPTION_TEXT(T, "ready-file", "FILE", ready_file,
                   "write the pid here while ready (docs/operations.md,\n"
                   "Monitoring); removed when it stops being ready"),
    FQ_OPTION_CHOICE(T, "log-level", "debug|info|warn|error", log_level, log_level_choices,
                     "debug, info, warn or error: lines below it are not\n"
                     "written (default info)"),
    FQ_OPTION_ACTION("check-config", NULL, 0,
                     "read the settings (--config, the environment, the\n"
                     "options) and the files they name, say what is wrong\n"
                     "or OK, and exit"),
    FQ_OPTION_ACTION("version", NULL, 0, "print the version and exit"),
    FQ_OPTION_ACTION("help", NULL, 'h', "this text"),
};
#undef T
#define N_OPTIONS (sizeof options / sizeof options[0])

static void usage(FILE *out)
{
    static char lines[8192];
    fq_options_usage(options, N_OPTIONS, lines, sizeof lines);
    fprintf(out,
            "usage: fengqiaod [options]\n"
            "\n"
            "The fengqiao command-and-dispatch server: receives incident reports over nanomsg,\n"
            "authenticates and checks them, and acknowledges each only after PostgreSQL has\n"
            "committed it.\n"
            "\n"
            "%s"
            "\n"
            "Every option but config, check-config, version and help is also a key of the\n"
            "config file\n"
            "(key = value, the option's name without --). Lowest first: the defaults, the\n"
            "config file, FQ_DB and FQ_SERVER_KEY, the command line.\n",
            lines);
}

/* The settings: defaults, then the config file, the environment and the
 * command line, each overriding the one before. 0 to run, 1 to exit 0
 * (--help, --version), 2 on an error (printed). *check: --check-config. */
static int read_settings(int argc, char **argv, fq_server_config *config,
                         fq_option_strings *strings, int *check)
{
    char err[1024];
    fq_option_arg *args = calloc((size_t)argc + 1, sizeof *args);
    size_t n_args = 0;
    if (args == NULL)
        return 2;
    if (fq_options_scan(options, N_OPTIONS, argc, argv, args, &n_args, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiaod: %s (fengqiaod --help lists the options)\n", err);
        free(args);
        return 2;
    }
    const char *config_file = getenv("FQ_CONFIG");
    if (config_file != NULL && config_file[0] == '\0')
        config_file = NULL;
    for (size_t i = 0; i < n_args; i++) {
        const char *name = args[i].option->name;
        if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0) {
            if (name[0] == 'h')
                usage(stdout);
            else
                printf("fengqiaod %s\n", FQ_VERSION);
            free(args);
            return 1;
        }
        if (strcmp(name, "config") == 0)
            config_file = args[i].value;
        if (strcmp(name, "check-config") == 0)
            *check = 1;
    }
    int rv = 0;
    if (config_file != NULL && fq_options_read_file(options, N_OPTIONS, config_file, 0, config,
                                                    strings, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiaod: %s\n", err);
        rv = 2;
    }
    if (rv == 0 && getenv("FQ_DB") != NULL)
        config->conninfo = getenv("FQ_DB");
    if (rv == 0 && getenv("FQ_SERVER_KEY") != NULL)
        config->server_key_path = getenv("FQ_SERVER_KEY");
    if (rv == 0 && fq_options_apply_args(args, n_args, config, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiaod: %s\n", err);
        rv = 2;
    }
    if (rv == 0)
        fq_log_set_level((fq_log_level)config->log_level);
    if (rv == 0 && config->metrics_allow != NULL) {
        fq_allowlist *list = fq_allowlist_parse(config->metrics_allow, err, sizeof err);
        if (list == NULL) {
            fprintf(stderr, "fengqiaod: --metrics-allow: %s\n", err);
            rv = 2;
        }
        fq_allowlist_free(list);
    }
    if (rv == 0 && config_file != NULL && !*check)
        fq_log(FQ_LOG_INFO, "config", "settings from %s", config_file);
    free(args);
    return rv;
}

/* --check-config: the files the settings name can be read (by whoever runs
 * the check: run it as the service's user). The database is not contacted. */
static int check_files(const fq_server_config *c)
{
    char err[512];
    uint8_t key[FQ_SERVER_KEY_BYTES];
    int rv = 0;
    if (fq_server_key_load(c->server_key_path, key, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiaod: %s\n", err);
        rv = 2;
    }
    sodium_memzero(key, sizeof key);
    const char *files[] = {c->tls_cert, c->tls_key};
    for (size_t i = 0; c->http_listen != NULL && i < 2; i++)
        if (files[i] != NULL && access(files[i], R_OK) != 0) {
            fprintf(stderr, "fengqiaod: %s: %s\n", files[i], strerror(errno));
            rv = 2;
        }
    if (fq_upward_new(NULL, NULL, &c->upward, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "fengqiaod: %s\n", err);
        rv = 2;
    }
    if (c->http_listen != NULL && access(c->web_root, R_OK | X_OK) != 0) {
        fprintf(stderr, "fengqiaod: web root %s: %s\n", c->web_root, strerror(errno));
        rv = 2;
    }
    return rv;
}

int main(int argc, char **argv)
{
    /* A write to a connection its peer has closed (a browser that went away
     * while its live feed or a file was being sent) must be an EPIPE that
     * the HTTP layer handles, not a SIGPIPE that ends the server: libuv and
     * H2O leave that policy to the program. */
    signal(SIGPIPE, SIG_IGN);
    fq_server_config config;
    fq_server_config_defaults(&config);
    fq_option_strings strings = {0};
    int check = 0;
    int rv = read_settings(argc, argv, &config, &strings, &check);
    if (rv != 0) {
        fq_option_strings_free(&strings);
        return rv == 1 ? 0 : 2;
    }
    if (config.http_listen != NULL && (config.tls_cert == NULL) != (config.tls_key == NULL)) {
        fprintf(stderr, "fengqiaod: TLS needs both --tls-cert FILE and --tls-key FILE\n");
        fq_option_strings_free(&strings);
        return 2;
    }
    if (config.http_listen != NULL && config.tls_cert == NULL &&
        !fq_http_is_loopback(config.http_listen)) {
        fprintf(stderr,
                "fengqiaod: --http %s is not a loopback address: give --tls-cert FILE and "
                "--tls-key FILE (passwords and session cookies never cross a network in clear), "
                "or listen on 127.0.0.1\n",
                config.http_listen);
        fq_option_strings_free(&strings);
        return 2;
    }
    if (config.web_root == NULL)
        config.web_root = fq_files_dir(FQ_FILES_WEB);
    if (check) {
        rv = check_files(&config);
        if (rv == 0)
            printf("fengqiaod: the settings are valid (%s)\n",
                   config.conninfo ? "database given" : "no database yet: --db, db = or FQ_DB");
        fq_option_strings_free(&strings);
        return rv;
    }
    /* A server that lost the serving lock to another starts again as a
     * standby, with nothing of its stale state (docs/operations.md). */
    while ((rv = fq_server_run(&config)) == FQ_SERVER_RESTART)
        ;
    fq_option_strings_free(&strings);
    return rv;
}
