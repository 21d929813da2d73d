/* fq_console_peer: one console request, its answer as JSON — for the
 * integration tests of the console's queries and commands (the ncurses
 * fq-console is tested through tmux). Exit 0 on an OK answer, 1 on a
 * refusal (the status and message are printed), 2 on usage, 3 when no
 * answer came.
 *
 *   fq_console_peer --url U --node N --key-file F [--message-id M] [--pages N]
 *                   [--cursor C] [--timeout-ms N] COMMAND
 *     open [--tier N] [--town T] [--line N] [--assignment S] [--overdue] [--limit N]
 *     incident ID
 *     roster [TOWN]
 *     stats FROM_MS TO_MS BY
 *     command KIND ID --reason R [--unit U] [--worker W] [--co A,B] [--deadline-ms N]
 *             [--into ID] [--satisfaction N]
 *             [--applicant NAME] [--respondent NAME] [--committee C] [--mediator M]
 *             [--session-at-ms N] [--place P] [--attendee NAME] [--agreement TEXT]
 *             [--transfer court|arbitration|petition_office|other]
 *       (KIND: assign escalate conclude approve deny supervise merge reopen verify
 *        follow_up suspend resume mediation_open mediation_session mediation_agree
 *        mediation_fail; the --applicant .. --transfer options fill its Mediation)
 *     reply ID NOTE        (a terminal's reply to a supervision order)
 *     sync AFTER_SEQ
 *
 * Queries follow the reply's cursor while it says "more" (each page a new
 * message id), at most --pages N pages (default: all), and print what the
 * pages hold together (the statistics' header once); stderr gets one line
 * "pages P more M max_frame B" (M: 1 when it stopped before the end; B the
 * largest reply in bytes). --cursor starts from that cursor. A sync prints
 * its items, and on stderr "sync last_seq L more M frame_bytes B". When the
 * first page carries the server's routing status (a failed routing load),
 * stderr also gets "routing_status <the status line>". */
#include "fengqiao.pb-c.h"
#include "fq_wire.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char arena_buffer[FQ_DECODE_ARENA_BYTES];

static void usage(void)
{
    fprintf(stderr, "usage: fq_console_peer --url U --node N --key-file F [--message-id M] "
                    "open|incident|roster|stats|command|sync ...\n");
    exit(2);
}

static json_object *summary_json(const Fengqiao__V1__IncidentSummary *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64((int64_t)s->incident_id));
    json_object_object_add(o, "title", json_object_new_string(s->title));
    json_object_object_add(o, "category", json_object_new_string(s->category));
    json_object_object_add(o, "severity", json_object_new_int(s->severity));
    json_object_object_add(o, "town", json_object_new_string(s->town));
    json_object_object_add(o, "territory", json_object_new_string(s->territory));
    json_object_object_add(o, "tier", json_object_new_int(s->tier));
    json_object_object_add(o, "line", json_object_new_int(s->line));
    json_object_object_add(o, "lead", json_object_new_string(s->lead_unit));
    json_object_object_add(o, "worker", json_object_new_string(s->worker));
    json_object *co = json_object_new_array();
    for (size_t i = 0; i < s->n_co_units; i++)
        json_object_array_add(co, json_object_new_string(s->co_units[i]));
    json_object_object_add(o, "co", co);
    json_object_object_add(o, "state", json_object_new_string(s->state));
    json_object_object_add(o, "assignment", json_object_new_string(s->assignment));
    json_object_object_add(o, "overdue", json_object_new_boolean(s->overdue));
    json_object_object_add(o, "conclude_due_ms", json_object_new_int64(s->conclude_due_ms));
    json_object_object_add(o, "escalations", json_object_new_int((int)s->escalations));
    json_object_object_add(o, "supervision_due_ms", json_object_new_int64(s->supervision_due_ms));
    json_object_object_add(o, "acknowledge_due_ms", json_object_new_int64(s->acknowledge_due_ms));
    json_object_object_add(o, "suspended_at_ms", json_object_new_int64(s->suspended_at_ms));
    json_object_object_add(o, "suspend_reason", json_object_new_string(s->suspend_reason));
    json_object_object_add(o, "working_time", json_object_new_boolean(s->working_time));
    /* The names (docs/console.md, "Names") */
    json_object_object_add(o, "category_name", json_object_new_string(s->category_name));
    json_object_object_add(o, "territory_name", json_object_new_string(s->territory_name));
    json_object_object_add(o, "town_name", json_object_new_string(s->town_name));
    json_object_object_add(o, "lead_name", json_object_new_string(s->lead_unit_name));
    json_object_object_add(o, "worker_name", json_object_new_string(s->worker_name));
    json_object *co_names = json_object_new_array();
    for (size_t i = 0; i < s->n_co_unit_names; i++)
        json_object_array_add(co_names, json_object_new_string(s->co_unit_names[i]));
    json_object_object_add(o, "co_names", co_names);
    json_object_object_add(o, "reporter_node", json_object_new_string(s->reporter_node));
    json_object_object_add(o, "reporter_node_name", json_object_new_string(s->reporter_node_name));
    json_object_object_add(o, "overdue_limits", json_object_new_int((int)s->overdue_limits));
    json_object_object_add(o, "external_ref", json_object_new_string(s->external_ref));
    return o;
}

static void print_json(json_object *o)
{
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *node = NULL, *key_file = NULL;
    uint64_t message_id = 0;
    int max_pages = 0; /* 0: all */
    const char *start_cursor = "";
    int timeout = 20000; /* for one answer */
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--node") == 0)
            node = argv[i + 1];
        else if (strcmp(argv[i], "--key-file") == 0)
            key_file = argv[i + 1];
        else if (strcmp(argv[i], "--message-id") == 0)
            message_id = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--pages") == 0)
            max_pages = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--cursor") == 0)
            start_cursor = argv[i + 1];
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout = atoi(argv[i + 1]);
        else
            usage();
    }
    if (!url || !node || !key_file || i >= argc || sodium_init() < 0)
        usage();
    uint8_t key[FQ_KEY_BYTES];
    char hex[130] = "";
    FILE *f = fopen(key_file, "r");
    if (f == NULL || fgets(hex, sizeof hex, f) == NULL ||
        sodium_hex2bin(key, sizeof key, hex, strcspn(hex, "\r\n"), NULL, NULL, NULL) != 0)
        usage();
    fclose(f);
    if (message_id == 0) {
        randombytes_buf(&message_id, sizeof message_id);
        message_id = (message_id & (uint64_t)INT64_MAX) | 1;
    }
    const char *cmd = argv[i++];
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    Fengqiao__V1__ConsoleQuery query = FENGQIAO__V1__CONSOLE_QUERY__INIT;
    Fengqiao__V1__OpenIncidentsQuery open = FENGQIAO__V1__OPEN_INCIDENTS_QUERY__INIT;
    Fengqiao__V1__RosterQuery roster = FENGQIAO__V1__ROSTER_QUERY__INIT;
    Fengqiao__V1__SearchQuery search = FENGQIAO__V1__SEARCH_QUERY__INIT;
    Fengqiao__V1__StatsQuery stats = FENGQIAO__V1__STATS_QUERY__INIT;
    Fengqiao__V1__ConsoleCommand command = FENGQIAO__V1__CONSOLE_COMMAND__INIT;
    Fengqiao__V1__TerminalSync sync = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    Fengqiao__V1__AssignmentAction action = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
    char *co[8];
    char co_buf[512];
    if (strcmp(cmd, "open") == 0) {
        for (; i < argc; i++) {
            const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
            if (strcmp(a, "--overdue") == 0) {
                open.overdue_only = 1;
                continue;
            }
            if (strcmp(a, "--supervised") == 0) {
                open.supervised_only = 1;
                continue;
            }
            i++;
            if (strcmp(a, "--tier") == 0)
                open.tier = atoi(v);
            else if (strcmp(a, "--town") == 0)
                open.town = (char *)v;
            else if (strcmp(a, "--line") == 0)
                open.line = atoi(v);
            else if (strcmp(a, "--assignment") == 0)
                open.assignment = (char *)v;
            else if (strcmp(a, "--limit") == 0)
                open.limit = (uint32_t)atoi(v);
            else
                usage();
        }
        query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_OPEN_INCIDENTS;
        query.open_incidents = &open;
    } else if (strcmp(cmd, "search") == 0 && i < argc) {
        search.text = argv[i];
        query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_SEARCH;
        query.search = &search;
    } else if (strcmp(cmd, "incident") == 0 && i < argc) {
        query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_INCIDENT;
        query.incident = strtoull(argv[i], NULL, 10);
    } else if (strcmp(cmd, "roster") == 0) {
        roster.town = i < argc ? argv[i] : "";
        query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_ROSTER;
        query.roster = &roster;
    } else if (strcmp(cmd, "stats") == 0 && i + 2 < argc) {
        stats.from_ms = strtoll(argv[i], NULL, 10);
        stats.to_ms = strtoll(argv[i + 1], NULL, 10);
        stats.by = argv[i + 2];
        query.query_case = FENGQIAO__V1__CONSOLE_QUERY__QUERY_STATS;
        query.stats = &stats;
    } else if (strcmp(cmd, "command") == 0 && i + 1 < argc) {
        static const char *kinds[] = {"",
                                      "assign",
                                      "escalate",
                                      "conclude",
                                      "approve",
                                      "deny",
                                      "supervise",
                                      "merge",
                                      "reopen",
                                      "verify",
                                      "follow_up",
                                      "suspend",
                                      "resume",
                                      "mediation_open",
                                      "mediation_session",
                                      "mediation_agree",
                                      "mediation_fail"};
        static Fengqiao__V1__Mediation med;
        static Fengqiao__V1__MediationParty party[8], *party_ptr[8];
        static char *mediators[8], *attendees[8];
        fengqiao__v1__mediation__init(&med);
        med.parties = party_ptr;
        med.mediators = mediators;
        med.attendees = attendees;
        for (int k = 1; k < 17; k++)
            if (strcmp(argv[i], kinds[k]) == 0)
                command.kind = (Fengqiao__V1__CommandKind)k;
        if (command.kind >= FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN)
            command.mediation = &med;
        command.incident_id = strtoull(argv[i + 1], NULL, 10);
        for (i += 2; i + 1 < argc; i += 2) {
            const char *a = argv[i], *v = argv[i + 1];
            if (strcmp(a, "--reason") == 0)
                command.reason = (char *)v;
            else if (strcmp(a, "--unit") == 0)
                command.target_unit = (char *)v;
            else if (strcmp(a, "--worker") == 0)
                command.target_worker = (char *)v;
            else if (strcmp(a, "--deadline-ms") == 0)
                command.deadline_ms = strtoll(v, NULL, 10);
            else if (strcmp(a, "--into") == 0)
                command.merge_into = strtoull(v, NULL, 10);
            else if (strcmp(a, "--satisfaction") == 0)
                command.satisfaction = (uint32_t)atoi(v);
            else if ((strcmp(a, "--applicant") == 0 || strcmp(a, "--respondent") == 0) &&
                     med.n_parties < 8) {
                Fengqiao__V1__MediationParty *p = &party[med.n_parties];
                fengqiao__v1__mediation_party__init(p);
                p->side = a[2] == 'a' ? FENGQIAO__V1__PARTY_SIDE__PARTY_APPLICANT
                                      : FENGQIAO__V1__PARTY_SIDE__PARTY_RESPONDENT;
                p->name = (char *)v;
                party_ptr[med.n_parties++] = p;
            } else if (strcmp(a, "--committee") == 0)
                med.committee = (char *)v;
            else if (strcmp(a, "--mediator") == 0 && med.n_mediators < 8)
                mediators[med.n_mediators++] = (char *)v;
            else if (strcmp(a, "--session-at-ms") == 0)
                med.session_at_ms = strtoll(v, NULL, 10);
            else if (strcmp(a, "--place") == 0)
                med.place = (char *)v;
            else if (strcmp(a, "--attendee") == 0 && med.n_attendees < 8)
                attendees[med.n_attendees++] = (char *)v;
            else if (strcmp(a, "--agreement") == 0)
                med.agreement = (char *)v;
            else if (strcmp(a, "--transfer") == 0)
                med.transferred_to = strcmp(v, "court") == 0             ? 1
                                     : strcmp(v, "arbitration") == 0     ? 2
                                     : strcmp(v, "petition_office") == 0 ? 3
                                                                         : 4;
            else if (strcmp(a, "--co") == 0) {
                snprintf(co_buf, sizeof co_buf, "%s", v);
                for (char *p = strtok(co_buf, ","); p && command.n_co_units < 8;
                     p = strtok(NULL, ","))
                    co[command.n_co_units++] = p;
                command.co_units = co;
            } else
                usage();
        }
    } else if (strcmp(cmd, "sync") == 0 && i < argc) {
        sync.after_seq = strtoull(argv[i], NULL, 10);
    } else if (strcmp(cmd, "reply") == 0 && i + 1 < argc) {
        action.incident_id = strtoull(argv[i], NULL, 10);
        action.kind = FENGQIAO__V1__ACTION_KIND__ACTION_REPLY;
        action.note = argv[i + 1];
    } else {
        usage();
    }
    env.schema_version = FQ_SCHEMA_VERSION;
    env.sender = (char *)node;
    env.message_id = message_id;
    env.sent_at_ms = fq_now_ms();
    if (strcmp(cmd, "command") == 0) {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND;
        env.console_command = &command;
    } else if (strcmp(cmd, "sync") == 0) {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
        env.terminal_sync = &sync;
    } else if (strcmp(cmd, "reply") == 0) {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
        env.assignment_action = &action;
    } else {
        env.body_case = FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_QUERY;
        env.console_query = &query;
    }
    int s = nn_socket(AF_SP, NN_REQ);
    int resend = 60000;
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof timeout);
    nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
    if (s < 0 || nn_connect(s, url) < 0) {
        fprintf(stderr, "fq_console_peer: %s\n", nn_strerror(nn_errno()));
        return 3;
    }
    json_object *incident = NULL, *timeline = NULL; /* `incident`: gathered over the pages */
    char cursor[256];
    snprintf(cursor, sizeof cursor, "%s", start_cursor);
    int pages = 0, more = 0, max_frame = 0;
    for (;;) {
        query.cursor = cursor;
        uint8_t *frame;
        size_t len;
        if (fq_wire_seal_request(key, &env, &frame, &len) != FQ_WIRE_OK)
            usage();
        if (nn_send(s, frame, len, 0) < 0) {
            fprintf(stderr, "fq_console_peer: %s\n", nn_strerror(nn_errno()));
            return 3;
        }
        free(frame);
        void *buf = NULL;
        int n = nn_recv(s, &buf, NN_MSG, 0);
        if (n < 0) {
            fprintf(stderr, "fq_console_peer: no answer: %s\n", nn_strerror(nn_errno()));
            return 3;
        }
        fq_arena arena;
        fq_arena_init(&arena, arena_buffer, sizeof arena_buffer);
        Fengqiao__V1__Reply *reply = NULL;
        int authenticated = 0;
        if (fq_wire_open_reply(key, buf, (size_t)n, &arena, &reply, &authenticated) != FQ_WIRE_OK ||
            !authenticated) {
            fprintf(stderr, "fq_console_peer: the reply does not verify\n");
            return 3;
        }
        if (reply->status != FENGQIAO__V1__STATUS__STATUS_OK) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "status",
                                   json_object_new_string(fq_status_name(reply->status)));
            json_object_object_add(o, "message", json_object_new_string(reply->message));
            if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND) {
                json_object_object_add(o, "state", json_object_new_string(reply->command->state));
                json_object_object_add(o, "already_done",
                                       json_object_new_boolean(reply->command->already_done));
            }
            print_json(o);
            return 1;
        }
        pages++;
        more = 0;
        if (n > max_frame)
            max_frame = n;
        if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND ||
            reply->result_case == FENGQIAO__V1__REPLY__RESULT_ACTION) {
            const Fengqiao__V1__ActionResult *r =
                reply->result_case == FENGQIAO__V1__REPLY__RESULT_COMMAND ? reply->command
                                                                          : reply->action;
            json_object *o = json_object_new_object();
            json_object_object_add(o, "status", json_object_new_string("ok"));
            json_object_object_add(o, "incident", json_object_new_int64((int64_t)r->incident_id));
            json_object_object_add(o, "state", json_object_new_string(r->state));
            json_object_object_add(o, "event_seq", json_object_new_int64((int64_t)r->event_seq));
            print_json(o);
        } else if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_SYNC) {
            for (size_t k = 0; k < reply->sync->n_items; k++) {
                const Fengqiao__V1__OutboxItem *it = reply->sync->items[k];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "seq", json_object_new_int64((int64_t)it->seq));
                json_object_object_add(o, "kind", json_object_new_int(it->kind));
                json_object_object_add(o, "incident",
                                       json_object_new_int64((int64_t)it->incident_id));
                json_object_object_add(o, "text", json_object_new_string(it->text));
                json_object_object_add(o, "title_bytes",
                                       json_object_new_int((int)strlen(it->title)));
                json_object_object_add(o, "address_bytes",
                                       json_object_new_int((int)strlen(it->address)));
                json_object_object_add(o, "supervision_due_ms",
                                       json_object_new_int64(it->supervision_due_ms));
                json_object_object_add(o, "event_seq",
                                       json_object_new_int64((int64_t)it->event_seq));
                const char *names[][2] = {{"event_kind", it->event_kind},
                                          {"note", it->note},
                                          {"actor_name", it->actor_name},
                                          {"category", it->category},
                                          {"category_name", it->category_name},
                                          {"territory", it->territory},
                                          {"territory_name", it->territory_name},
                                          {"holder_unit", it->holder_unit},
                                          {"holder_unit_name", it->holder_unit_name},
                                          {"holder_worker", it->holder_worker},
                                          {"holder_worker_name", it->holder_worker_name},
                                          {"reason_code", it->reason_code},
                                          {"state", it->state},
                                          {"assignment", it->assignment},
                                          {"external_ref", it->external_ref},
                                          {"reporter_node", it->reporter_node},
                                          {"actor", it->actor},
                                          {"time_zone", reply->sync->time_zone}};
                for (size_t nf = 0; nf < sizeof names / sizeof names[0]; nf++)
                    json_object_object_add(o, names[nf][0], json_object_new_string(names[nf][1]));
                json_object_object_add(o, "working_time",
                                       json_object_new_boolean(it->working_time));
                json_object_object_add(o, "suspended_at_ms",
                                       json_object_new_int64(it->suspended_at_ms));
                json_object_object_add(o, "acknowledge_due_ms",
                                       json_object_new_int64(it->acknowledge_due_ms));
                json_object_object_add(o, "conclude_due_ms",
                                       json_object_new_int64(it->conclude_due_ms));
                print_json(o);
            }
            fprintf(stderr, "sync last_seq %" PRIu64 " more %d frame_bytes %d\n",
                    reply->sync->last_seq, (int)reply->sync->more, n);
            fprintf(stderr, "time_zone %s\n", reply->sync->time_zone);
        } else if (reply->result_case == FENGQIAO__V1__REPLY__RESULT_CONSOLE) {
            const Fengqiao__V1__ConsoleResult *r = reply->console;
            if (r->routing_status[0] != '\0' && pages == 1)
                fprintf(stderr, "routing_status %s\n", r->routing_status);
            if (pages == 1)
                fprintf(stderr, "time_zone %s\n", r->time_zone);
            if (strcmp(cmd, "incident") == 0 && r->n_incidents == 1) {
                if (incident == NULL) {
                    incident = summary_json(r->incidents[0]);
                    timeline = json_object_new_array();
                    json_object_object_add(incident, "timeline", timeline);
                    json_object_object_add(incident, "description",
                                           json_object_new_string(r->description));
                }
                for (size_t k = 0; k < r->n_timeline; k++) {
                    json_object *e = json_object_new_object();
                    json_object_object_add(e, "seq",
                                           json_object_new_int64((int64_t)r->timeline[k]->seq));
                    json_object_object_add(e, "kind", json_object_new_string(r->timeline[k]->kind));
                    json_object_object_add(e, "actor",
                                           json_object_new_string(r->timeline[k]->actor));
                    json_object_object_add(e, "reason",
                                           json_object_new_string(r->timeline[k]->reason));
                    json_object_object_add(e, "actor_name",
                                           json_object_new_string(r->timeline[k]->actor_name));
                    json_object_object_add(e, "reason_code",
                                           json_object_new_string(r->timeline[k]->reason_code));
                    /* The photos' metadata: "id type size WxH sha256hex name". */
                    json_object *photos = json_object_new_array();
                    for (size_t j = 0; j < r->timeline[k]->n_attachments; j++) {
                        const Fengqiao__V1__TimelineAttachment *a = r->timeline[k]->attachments[j];
                        char sha_hex[65] = "";
                        if (a->sha256.len == 32)
                            sodium_bin2hex(sha_hex, sizeof sha_hex, a->sha256.data, 32);
                        char line[320];
                        snprintf(line, sizeof line, "%" PRIu64 " %s %" PRIu64 " %ux%u %s %s", a->id,
                                 a->content_type, a->size, a->width, a->height, sha_hex, a->name);
                        json_object_array_add(photos, json_object_new_string(line));
                    }
                    json_object_object_add(e, "attachments", photos);
                    json_object_array_add(timeline, e);
                }
            } else {
                for (size_t k = 0; k < r->n_incidents; k++)
                    print_json(summary_json(r->incidents[k]));
                for (size_t k = 0; k < r->n_roster; k++) {
                    const Fengqiao__V1__RosterEntry *e = r->roster[k];
                    json_object *o = json_object_new_object();
                    json_object_object_add(o, "id", json_object_new_string(e->id));
                    json_object_object_add(o, "kind", json_object_new_string(e->kind));
                    json_object_object_add(o, "territory", json_object_new_string(e->territory));
                    json_object_object_add(o, "name", json_object_new_string(e->name));
                    json_object_object_add(o, "territory_name",
                                           json_object_new_string(e->territory_name));
                    json_object_object_add(o, "load", json_object_new_int((int)e->load));
                    json_object_object_add(o, "on_duty", json_object_new_boolean(e->on_duty));
                    json_object_object_add(o, "present", json_object_new_boolean(e->present));
                    print_json(o);
                }
                /* The statistics as CSV lines (the header once); no cell
                 * the tests look at holds a comma or a quote. */
                for (size_t row = pages > 1 ? 1 : 0; row <= r->n_stats_rows; row++) {
                    if (row == 0 && r->n_stats_columns == 0)
                        continue;
                    char **cells = row == 0 ? r->stats_columns : r->stats_rows[row - 1]->cells;
                    size_t ncells = row == 0 ? r->n_stats_columns : r->stats_rows[row - 1]->n_cells;
                    for (size_t c = 0; c < ncells; c++)
                        printf("%s%s", c ? "," : "", cells[c]);
                    putchar('\n');
                }
            }
            more = r->more;
            snprintf(cursor, sizeof cursor, "%s", r->cursor);
        }
        nn_freemsg(buf);
        if (!more || (max_pages > 0 && pages >= max_pages))
            break;
        /* The next page is a new request. */
        randombytes_buf(&env.message_id, sizeof env.message_id);
        env.message_id = (env.message_id & (uint64_t)INT64_MAX) | 1;
        env.sent_at_ms = fq_now_ms();
    }
    if (incident != NULL)
        print_json(incident);
    fprintf(stderr, "pages %d more %d max_frame %d\n", pages, more, max_frame);
    nn_close(s);
    return 0;
}
