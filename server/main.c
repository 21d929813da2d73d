/* fengqiaod: the command-and-dispatch server. Command line and environment
 * in, one libuv loop run by server.c. */
#include "server.h"
#include "http.h"
#include "allowlist.h"
#include "log.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fengqiaod [options]\n"
            "\n"
            "The fengqiao command-and-dispatch server: receives incident reports over nanomsg,\n"
            "authenticates and checks them, and acknowledges each only after PostgreSQL has\n"
            "committed it.\n"
            "\n"
            "  --db CONNINFO          PostgreSQL connection string (or FQ_DB)\n"
            "  --server-key FILE      server key that seals node keys (or FQ_SERVER_KEY;\n"
            "                         default ./fengqiao-server.key)\n"
            "  --intake URL           intake endpoint (default tcp://127.0.0.1:7411)\n"
            "  --terminals URL        field terminals' endpoint (default tcp://127.0.0.1:7412)\n"
            "  --console URL          a listener of its own for operators' consoles (default:\n"
            "                         consoles use the terminal endpoint)\n"
            "  --presence-timeout S   a worker's terminal silent this long goes off duty and\n"
            "                         their unacknowledged assignments move on (default 120)\n"
            "  --max-skew-ms N        accepted clock skew of sent_at (default 120000)\n"
            "  --hold-ms N            how long requests wait for an unreachable database\n"
            "                         before they are answered busy (default 5000)\n"
            "  --max-pending N        requests waiting for the database at most (default 20000)\n"
            "  --max-pending-kib N    memory held by reports waiting for the database, in KiB;\n"
            "                         beyond it reports are answered busy at once\n"
            "                         (default 262144, 256 MiB)\n"
            "  --batch N              statements per transaction at most (default 256)\n"
            "  --batches-in-flight N  transactions in flight at most (default 2)\n"
            "  --read-timeout-ms N    the console's reads run on their own connection and are\n"
            "                         cancelled (answered busy) after this long (default 5000)\n"
            "  --audit-rate N         audit rows per second for refused requests (default 200)\n"
            "  --stats-interval S     seconds between statistics lines, 0 = off (default 30)\n"
            "  --dedup-distance-m N   a report this close to an open incident of its\n"
            "                         category is merged into it (default 200)\n"
            "  --dedup-window-min N   ... if that one was reported this recently (default 120)\n"
            "  --if-locked exit|wait  another fengqiaod serves this database: exit with\n"
            "                         status 3 once it has held it for 5 s (default), or\n"
            "                         wait for it to stop, answering reports busy meanwhile\n"
            "  --http ADDR:PORT       serve the web console and its API (default: no HTTP);\n"
            "                         off loopback it needs --tls-cert and --tls-key\n"
            "  --tls-cert FILE        TLS certificate chain (PEM) for --http\n"
            "  --tls-key FILE         its private key (PEM)\n"
            "  --web-root DIR         the page's files (default: the installed copy, or the\n"
            "                         build tree's for a build-tree binary)\n"
            "  --session-hours N      a web session's life (default 12)\n"
            "  --tile-url URL         a base-map tile URL template (default: none, the map\n"
            "                         draws the district's own shapes only)\n"
            "  --metrics-allow LIST   /metrics answers only these peers: addresses and CIDR\n"
            "                         blocks, comma-separated (default: whoever reaches --http)\n"
            "  --ready-file FILE      write the pid here while ready (docs/operations.md,\n"
            "                         Monitoring); removed when it stops being ready\n"
            "  --log-level LEVEL      debug, info, warn or error: lines below it are not\n"
            "                         written (default info)\n"
            "  -h, --help             this text\n");
}

/* The installed page, or the build tree's for a binary run from it. */
static const char *default_web_root(void)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        size_t b = strlen(FQ_BUILD_DIR);
        if (strncmp(exe, FQ_BUILD_DIR, b) == 0 && exe[b] == '/')
            return FQ_WEB_ROOT_BUILD;
    }
    return FQ_WEB_ROOT_INSTALLED;
}

static int parse_number(const char *name, const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || text[0] == '-' || v > max) {
        fprintf(stderr, "fengqiaod: %s needs a number up to %" PRIu64 ", got '%s'\n", name, max,
                text);
        return -1;
    }
    *out = v;
    return 0;
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
    config.conninfo = getenv("FQ_DB");
    if (getenv("FQ_SERVER_KEY"))
        config.server_key_path = getenv("FQ_SERVER_KEY");
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"server-key", required_argument, NULL, 'k'},
        {"intake", required_argument, NULL, 'i'},
        {"terminals", required_argument, NULL, 't'},
        {"console", required_argument, NULL, 'c'},
        {"presence-timeout", required_argument, NULL, 'P'},
        {"max-skew-ms", required_argument, NULL, 's'},
        {"hold-ms", required_argument, NULL, 'H'},
        {"read-timeout-ms", required_argument, NULL, 'R'},
        {"max-pending", required_argument, NULL, 'p'},
        {"max-pending-kib", required_argument, NULL, 'M'},
        {"batch", required_argument, NULL, 'b'},
        {"batches-in-flight", required_argument, NULL, 'f'},
        {"audit-rate", required_argument, NULL, 'a'},
        {"stats-interval", required_argument, NULL, 'S'},
        {"ready-file", required_argument, NULL, 'r'},
        {"if-locked", required_argument, NULL, 'L'},
        {"dedup-distance-m", required_argument, NULL, 'D'},
        {"dedup-window-min", required_argument, NULL, 'W'},
        {"http", required_argument, NULL, 1000},
        {"tls-cert", required_argument, NULL, 1001},
        {"tls-key", required_argument, NULL, 1002},
        {"web-root", required_argument, NULL, 1003},
        {"session-hours", required_argument, NULL, 1004},
        {"tile-url", required_argument, NULL, 1005},
        {"log-level", required_argument, NULL, 1006},
        {"metrics-allow", required_argument, NULL, 1007},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            config.conninfo = optarg;
            break;
        case 'k':
            config.server_key_path = optarg;
            break;
        case 'i':
            config.intake_url = optarg;
            break;
        case 't':
            config.terminals_url = optarg;
            break;
        case 'c':
            config.console_url = optarg;
            break;
        case 'P':
            if (parse_number("--presence-timeout", optarg, 86400, &v) != 0 || v == 0)
                return 2;
            config.presence_timeout_ms = (int64_t)v * 1000;
            break;
        case 's':
            if (parse_number("--max-skew-ms", optarg, 86400000, &v) != 0)
                return 2;
            config.max_skew_ms = (int64_t)v;
            break;
        case 'H':
            if (parse_number("--hold-ms", optarg, 3600000, &v) != 0)
                return 2;
            config.hold_ms = v;
            break;
        case 'R':
            if (parse_number("--read-timeout-ms", optarg, 600000, &v) != 0 || v < 100) {
                fprintf(stderr, "fengqiaod: --read-timeout-ms is 100 .. 600000\n");
                return 2;
            }
            config.read_timeout_ms = (unsigned)v;
            break;
        case 'p':
            if (parse_number("--max-pending", optarg, 10000000, &v) != 0 || v == 0)
                return 2;
            config.max_pending = (size_t)v;
            break;
        case 'M':
            if (parse_number("--max-pending-kib", optarg, 1024 * 1024 * 1024, &v) != 0 || v == 0)
                return 2;
            config.max_pending_bytes = (size_t)v << 10;
            break;
        case 'b':
            if (parse_number("--batch", optarg, 10000, &v) != 0 || v == 0)
                return 2;
            config.max_batch = (size_t)v;
            break;
        case 'f':
            if (parse_number("--batches-in-flight", optarg, 64, &v) != 0 || v == 0)
                return 2;
            config.max_batches_in_flight = (int)v;
            break;
        case 'a':
            if (parse_number("--audit-rate", optarg, 1000000, &v) != 0)
                return 2;
            config.audit_per_second = (uint32_t)v;
            break;
        case 'S':
            if (parse_number("--stats-interval", optarg, 86400, &v) != 0)
                return 2;
            config.stats_interval_s = (unsigned)v;
            break;
        case 'r':
            config.ready_file = optarg;
            break;
        case 'L':
            if (strcmp(optarg, "exit") == 0)
                config.if_locked_wait = 0;
            else if (strcmp(optarg, "wait") == 0)
                config.if_locked_wait = 1;
            else {
                fprintf(stderr, "fengqiaod: --if-locked takes exit or wait, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'D':
            if (parse_number("--dedup-distance-m", optarg, 100000, &v) != 0 || v == 0)
                return 2;
            config.dedup_distance_m = (double)v;
            break;
        case 'W':
            if (parse_number("--dedup-window-min", optarg, 7 * 24 * 60, &v) != 0)
                return 2;
            config.dedup_window_ms = (int64_t)v * 60000;
            break;
        case 1000:
            config.http_listen = optarg;
            break;
        case 1001:
            config.tls_cert = optarg;
            break;
        case 1002:
            config.tls_key = optarg;
            break;
        case 1003:
            config.web_root = optarg;
            break;
        case 1004:
            if (parse_number("--session-hours", optarg, 24 * 90, &v) != 0 || v == 0)
                return 2;
            config.session_hours = (unsigned)v;
            break;
        case 1005:
            config.tile_url = optarg;
            break;
        case 1006: {
            int level = fq_log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr,
                        "fengqiaod: --log-level takes debug, info, warn or error, got '%s'\n",
                        optarg);
                return 2;
            }
            fq_log_set_level((fq_log_level)level);
            break;
        }
        case 1007: {
            char why[256];
            fq_allowlist *list = fq_allowlist_parse(optarg, why, sizeof why);
            if (list == NULL) {
                fprintf(stderr, "fengqiaod: --metrics-allow: %s\n", why);
                return 2;
            }
            fq_allowlist_free(list);
            config.metrics_allow = optarg;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "fengqiaod: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (config.http_listen != NULL && (config.tls_cert == NULL) != (config.tls_key == NULL)) {
        fprintf(stderr, "fengqiaod: TLS needs both --tls-cert FILE and --tls-key FILE\n");
        return 2;
    }
    if (config.http_listen != NULL && config.tls_cert == NULL &&
        !fq_http_is_loopback(config.http_listen)) {
        fprintf(stderr,
                "fengqiaod: --http %s is not a loopback address: give --tls-cert FILE and "
                "--tls-key FILE (passwords and session cookies never cross a network in clear), "
                "or listen on 127.0.0.1\n",
                config.http_listen);
        return 2;
    }
    if (config.web_root == NULL)
        config.web_root = default_web_root();
    return fq_server_run(&config);
}
