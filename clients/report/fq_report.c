/* fq-report: the town platform's side of the intake. Sends one incident
 * from flags, or many from JSON lines on stdin with a window of outstanding
 * requests, and prints each incident id or error.
 *
 * Exit codes: 0 every report stored (or found stored); 1 some report was
 * refused; 2 usage; 3 some report got no definitive answer (unknown outcome:
 * run again, the same message ids make that safe); 4 some input line was
 * unreadable. The worst applies. */
#include "fqclient.h"
#include "validate.h"

#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3, EXIT_BAD_INPUT = 4 };

typedef struct run {
    int json_output;
    int quiet;
    int exit_code;
    uint64_t ok, duplicates, refused, unknown, bad_lines;
} run;

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
    fprintf(out,
            "usage: fq-report --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] REPORT\n"
            "       fq-report --node ID (--key-file FILE | FQ_NODE_KEY) [--url URL] --stdin\n"
            "\n"
            "Reports incidents to fengqiao's intake and prints the incident id of each.\n"
            "\n"
            "REPORT flags:\n"
            "  --category CODE       taxonomy code, e.g. dispute.neighbour (required)\n"
            "  --severity I|II|III|IV                           (required)\n"
            "  --risk low|medium|high                           (required)\n"
            "  --channel hotline|petition|staff|patrol|online|walk_in (required)\n"
            "  --place UNIT          org unit where it happened (required)\n"
            "  --title TEXT          one line (required)\n"
            "  --description TEXT  --address TEXT  --lon DEG --lat DEG\n"
            "  --occurred-ms MS      when it happened, epoch milliseconds\n"
            "  --external-ref REF    your own case number; also makes the message id, so\n"
            "                        sending the same case again creates nothing new\n"
            "  --reporter-name TEXT  --reporter-phone TEXT\n"
            "  --message-id N        explicit idempotency key (1 .. 2^63-1)\n"
            "\n"
            "--stdin reads one JSON object per line with the same fields (category,\n"
            "severity, risk, channel, place_unit, title, description, address, lon, lat,\n"
            "occurred_at_ms, external_ref, reporter_name, reporter_phone, message_id) and\n"
            "prints one JSON object per line: {\"line\":N,\"status\":...,\"incident_id\":...}.\n"
            "\n"
            "  --node ID           this node's id (or FQ_NODE)\n"
            "  --key-file FILE     file with the node key in hex (or FQ_NODE_KEY=hex)\n"
            "  --url URL           intake endpoint (or FQ_INTAKE; default tcp://127.0.0.1:7411)\n"
            "  --window N          reports in flight at once with --stdin (default 16)\n"
            "  --timeout-ms N      give up on one report after this long (default 60000)\n"
            "  --json              JSON output also for a single report\n"
            "  --quiet             print nothing but errors\n"
            "\n"
            "Exit: 0 all stored, 1 some refused, 2 usage, 3 some without a definitive answer\n"
            "(run again: safe), 4 some input line unreadable.\n");
}

/* ---- enum names ---- */

static int parse_enum(const char *text, const char *const *names, int count)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text != '\0' && *end == '\0')
        return (v >= 1 && v <= count) ? (int)v : -1;
    for (int i = 0; i < count; i++)
        if (strcasecmp(text, names[i]) == 0)
            return i + 1;
    return -1;
}

static const char *const severity_names[] = {"I", "II", "III", "IV"};
static const char *const risk_names[] = {"low", "medium", "high"};
static const char *const channel_names[] = {"hotline", "petition", "staff",
                                            "patrol",  "online",   "walk_in"};

/* ---- report building ---- */

typedef struct report_input {
    Fengqiao__V1__ReportIncident body;
    Fengqiao__V1__GeoPoint point;
    int has_lon, has_lat;
    uint64_t message_id;
} report_input;

static void report_init(report_input *in)
{
    memset(in, 0, sizeof *in);
    fengqiao__v1__report_incident__init(&in->body);
    fengqiao__v1__geo_point__init(&in->point);
}

/* Sets one field by name; returns 0 or -1 with a message. The strings stay
 * owned by the caller. */
static int set_field(report_input *in, const char *name, const char *value, char *err,
                     size_t err_len)
{
    Fengqiao__V1__ReportIncident *b = &in->body;
    int v;
    char *end;
    if (strcmp(name, "category") == 0)
        b->category = (char *)value;
    else if (strcmp(name, "severity") == 0) {
        if ((v = parse_enum(value, severity_names, 4)) < 0)
            goto bad;
        b->severity = v;
    } else if (strcmp(name, "risk") == 0) {
        if ((v = parse_enum(value, risk_names, 3)) < 0)
            goto bad;
        b->risk = v;
    } else if (strcmp(name, "channel") == 0) {
        if ((v = parse_enum(value, channel_names, 6)) < 0)
            goto bad;
        b->channel = v;
    } else if (strcmp(name, "place_unit") == 0 || strcmp(name, "place") == 0)
        b->place_unit = (char *)value;
    else if (strcmp(name, "title") == 0)
        b->title = (char *)value;
    else if (strcmp(name, "description") == 0)
        b->description = (char *)value;
    else if (strcmp(name, "address") == 0)
        b->address = (char *)value;
    else if (strcmp(name, "external_ref") == 0)
        b->external_ref = (char *)value;
    else if (strcmp(name, "reporter_name") == 0)
        b->reporter_name = (char *)value;
    else if (strcmp(name, "reporter_phone") == 0)
        b->reporter_phone = (char *)value;
    else if (strcmp(name, "lon") == 0 || strcmp(name, "lat") == 0) {
        double d = strtod(value, &end);
        if (*value == '\0' || *end != '\0')
            goto bad;
        if (name[1] == 'o') {
            in->point.lon = d;
            in->has_lon = 1;
        } else {
            in->point.lat = d;
            in->has_lat = 1;
        }
    } else if (strcmp(name, "occurred_at_ms") == 0 || strcmp(name, "occurred_ms") == 0) {
        long long ms = strtoll(value, &end, 10);
        if (*value == '\0' || *end != '\0' || ms < 0)
            goto bad;
        b->occurred_at_ms = ms;
    } else if (strcmp(name, "message_id") == 0) {
        unsigned long long id = strtoull(value, &end, 10);
        if (*value == '\0' || *end != '\0' || value[0] == '-' || id == 0 ||
            id > (unsigned long long)INT64_MAX)
            goto bad;
        in->message_id = id;
    } else {
        snprintf(err, err_len, "unknown field '%s'", name);
        return -1;
    }
    return 0;
bad:
    snprintf(err, err_len, "bad value '%s' for %s", value, name);
    return -1;
}

static int finish_input(report_input *in, const char *node, char *err, size_t err_len)
{
    if (in->has_lon != in->has_lat) {
        snprintf(err, err_len, "lon and lat go together");
        return -1;
    }
    if (in->has_lon)
        in->body.location = &in->point;
    if (in->message_id == 0)
        in->message_id = in->body.external_ref[0] != '\0'
                             ? fqc_message_id_for(node, in->body.external_ref)
                             : fqc_fresh_message_id();
    return 0;
}

/* ---- output ---- */

static void print_json_result(uint64_t line, const fqc_result *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "line", json_object_new_int64((int64_t)line));
    json_object_object_add(o, "status",
                           json_object_new_string(r->outcome == FQC_NO_ANSWER
                                                      ? "no_answer"
                                                      : fq_status_name(r->status)));
    json_object_object_add(o, "message_id", json_object_new_uint64(r->message_id));
    if (r->has_incident) {
        json_object_object_add(o, "incident_id", json_object_new_uint64(r->incident_id));
        json_object_object_add(o, "duplicate", json_object_new_boolean(r->duplicate));
        json_object_object_add(o, "event_seq", json_object_new_uint64(r->event_seq));
    }
    if (r->has_routing) {
        static const char *const tiers[] = {"", "village", "town", "district"};
        static const char *const lines[] = {"", "governance", "market", "enforcement", "services"};
        json_object *rt = json_object_new_object();
        if (r->merged_into != 0)
            json_object_object_add(rt, "merged_into", json_object_new_uint64(r->merged_into));
        if (r->tier >= 1 && r->tier <= 3) {
            json_object_object_add(rt, "tier", json_object_new_string(tiers[r->tier]));
            json_object_object_add(
                rt, "line",
                json_object_new_string(r->line >= 1 && r->line <= 4 ? lines[r->line] : "unknown"));
            json_object_object_add(rt, "climbed", json_object_new_int((int)r->climbed));
            json_object_object_add(rt, "rule_set", json_object_new_int((int)r->rule_set));
        }
        if (r->lead_unit[0])
            json_object_object_add(rt, "lead_unit", json_object_new_string(r->lead_unit));
        if (r->worker[0])
            json_object_object_add(rt, "worker", json_object_new_string(r->worker));
        if (r->co_units[0]) {
            json_object *co = json_object_new_array();
            char units[sizeof r->co_units];
            snprintf(units, sizeof units, "%s", r->co_units);
            for (char *save = NULL, *u = strtok_r(units, ",", &save); u != NULL;
                 u = strtok_r(NULL, ",", &save))
                json_object_array_add(co, json_object_new_string(u));
            json_object_object_add(rt, "co_units", co);
        }
        if (r->territory[0])
            json_object_object_add(rt, "territory", json_object_new_string(r->territory));
        if (r->unplaced)
            json_object_object_add(rt, "unplaced", json_object_new_boolean(1));
        if (r->acknowledge_due_ms)
            json_object_object_add(rt, "acknowledge_due_ms",
                                   json_object_new_int64(r->acknowledge_due_ms));
        if (r->conclude_due_ms)
            json_object_object_add(rt, "conclude_due_ms",
                                   json_object_new_int64(r->conclude_due_ms));
        json_object_object_add(o, "routing", rt);
    }
    if (r->message[0])
        json_object_object_add(o, "message", json_object_new_string(r->message));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    json_object_object_add(o, "latency_ms", json_object_new_double(r->latency_ms));
    puts(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
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
    if (rn->json_output) {
        print_json_result(line, r);
    } else if (r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        if (!rn->quiet) {
            static const char *const tiers[] = {"", "village", "town", "district"};
            char routed[512] = "";
            if (r->has_routing && r->merged_into != 0)
                snprintf(routed, sizeof routed, "; merged into open incident %" PRIu64,
                         r->merged_into);
            else if (r->has_routing && r->tier >= 1 && r->tier <= 3)
                snprintf(routed, sizeof routed, "; %s tier: %s%s%s%s%s", tiers[r->tier],
                         r->worker[0] ? r->worker : r->lead_unit,
                         r->worker[0] && r->lead_unit[0] ? " of " : "",
                         r->worker[0] ? r->lead_unit : "", r->co_units[0] ? " with " : "",
                         r->co_units);
            printf("incident %" PRIu64 "%s (message id %" PRIu64 ")%s\n", r->incident_id,
                   r->duplicate ? " (already reported)" : "", r->message_id, routed);
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

static void run_stdin(fqc *client, run *rn, const char *node)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t number = 0;
    json_tokener *tok = json_tokener_new();
    /* Field texts live as long as the parsed object; the client packs the
     * body at submit, so each line's object is released right after. */
    while ((len = getline(&line, &cap, stdin)) >= 0) {
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
        report_input in;
        report_init(&in);
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
            if (set_field(&in, key, text, err, sizeof err) != 0) {
                bad = 1;
                break;
            }
        }
        if (!bad && finish_input(&in, node, err, sizeof err) != 0)
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

int main(int argc, char **argv)
{
    run rn = {0};
    const char *node = getenv("FQ_NODE");
    const char *url = getenv("FQ_INTAKE") ? getenv("FQ_INTAKE") : "tcp://127.0.0.1:7411";
    const char *key_file = NULL;
    int use_stdin = 0;
    long window = 16, timeout_ms = 60000;
    report_input in;
    report_init(&in);
    char err[256];

    enum { O_NODE = 256, O_KEY, O_URL, O_STDIN, O_WINDOW, O_TIMEOUT, O_JSON, O_QUIET, O_FIELD };
    static const struct option options[] = {
        {"node", required_argument, NULL, O_NODE},
        {"key-file", required_argument, NULL, O_KEY},
        {"url", required_argument, NULL, O_URL},
        {"stdin", no_argument, NULL, O_STDIN},
        {"window", required_argument, NULL, O_WINDOW},
        {"timeout-ms", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, 'h'},
        {"category", required_argument, NULL, O_FIELD},
        {"severity", required_argument, NULL, O_FIELD},
        {"risk", required_argument, NULL, O_FIELD},
        {"channel", required_argument, NULL, O_FIELD},
        {"place", required_argument, NULL, O_FIELD},
        {"title", required_argument, NULL, O_FIELD},
        {"description", required_argument, NULL, O_FIELD},
        {"address", required_argument, NULL, O_FIELD},
        {"lon", required_argument, NULL, O_FIELD},
        {"lat", required_argument, NULL, O_FIELD},
        {"occurred-ms", required_argument, NULL, O_FIELD},
        {"external-ref", required_argument, NULL, O_FIELD},
        {"reporter-name", required_argument, NULL, O_FIELD},
        {"reporter-phone", required_argument, NULL, O_FIELD},
        {"message-id", required_argument, NULL, O_FIELD},
        {NULL, 0, NULL, 0},
    };
    int c, index;
    int any_field = 0;
    while ((c = getopt_long(argc, argv, "h", options, &index)) != -1) {
        switch (c) {
        case O_NODE:
            node = optarg;
            break;
        case O_KEY:
            key_file = optarg;
            break;
        case O_URL:
            url = optarg;
            break;
        case O_STDIN:
            use_stdin = 1;
            break;
        case O_WINDOW:
            window = strtol(optarg, NULL, 10);
            if (window < 1 || window > 256) {
                fprintf(stderr, "fq-report: --window must be 1-256\n");
                return EXIT_USAGE;
            }
            break;
        case O_TIMEOUT:
            timeout_ms = strtol(optarg, NULL, 10);
            if (timeout_ms < 100) {
                fprintf(stderr, "fq-report: --timeout-ms must be at least 100\n");
                return EXIT_USAGE;
            }
            break;
        case O_JSON:
            rn.json_output = 1;
            break;
        case O_QUIET:
            rn.quiet = 1;
            break;
        case O_FIELD: {
            /* Flag names are the JSON field names with '-' for '_'. */
            char name[32];
            snprintf(name, sizeof name, "%s", options[index].name);
            for (char *p = name; *p; p++)
                if (*p == '-')
                    *p = '_';
            if (strcmp(name, "occurred_ms") == 0)
                snprintf(name, sizeof name, "occurred_at_ms");
            if (set_field(&in, name, optarg, err, sizeof err) != 0) {
                fprintf(stderr, "fq-report: %s\n", err);
                return EXIT_USAGE;
            }
            any_field = 1;
            break;
        }
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
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
    int key_ok =
        key_file ? fqc_load_key_file(key_file, config.key)
                 : (getenv("FQ_NODE_KEY") ? fqc_parse_key(getenv("FQ_NODE_KEY"), config.key) : -1);
    if (key_ok != 0) {
        fprintf(stderr, "fq-report: need the node key: --key-file FILE or FQ_NODE_KEY (64 hex)\n");
        return EXIT_USAGE;
    }
    fqc *client;
    if (fqc_open(&config, on_result, &rn, &client, err, sizeof err) != 0) {
        fprintf(stderr, "fq-report: %s\n", err);
        return EXIT_USAGE;
    }
    if (use_stdin) {
        rn.json_output = 1;
        run_stdin(client, &rn, node);
    } else {
        if (finish_input(&in, node, err, sizeof err) != 0) {
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
