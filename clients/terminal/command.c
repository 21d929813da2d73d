#include "command.h"
#include "journal.h"
#include "fqi18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fqt_cmd_name(fqt_cmd cmd)
{
    static const char *const names[] = {"",      "ack",  "return", "progress", "extend", "conclude",
                                        "reply", "list", "help",   "quit",     "retry"};
    return (int)cmd >= 0 && (size_t)cmd < sizeof names / sizeof names[0] ? names[cmd] : "";
}

int fqt_parse_id(const char *text, uint64_t *id)
{
    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0)
        return -1;
    *id = v;
    return 0;
}

int fqt_parse_extension(const char *text, int32_t utc_offset_s, fqt_action *a, char *err,
                        size_t err_len)
{
    while (*text == ' ')
        text++;
    /* A time starts with its year ("2026-"); anything else is a duration. */
    int is_time = strlen(text) >= 5 && text[4] == '-';
    int64_t ms;
    if (fqj_parse_when(text, 0, utc_offset_s, &ms, err, err_len) != 0)
        return -1;
    if (!is_time && ms <= 0) {
        snprintf(err, err_len, _("'%s': an extension must add some time"), text);
        return -1;
    }
    a->extend_to_ms = is_time ? ms : 0;
    a->extend_by_ms = is_time ? 0 : ms;
    return 0;
}

int fqt_parse_reason(const char *text)
{
    if (strcmp(text, "wrong") == 0 || strcmp(text, "wrong_jurisdiction") == 0 ||
        strcmp(text, "wrong-jurisdiction") == 0 || strcmp(text, "jurisdiction") == 0)
        return FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION;
    if (strcmp(text, "capacity") == 0 || strcmp(text, "beyond_capacity") == 0 ||
        strcmp(text, "beyond-capacity") == 0)
        return FENGQIAO__V1__RETURN_REASON__RETURN_BEYOND_CAPACITY;
    return 0;
}

int fqt_valid_unit(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

/* The next whitespace-separated word of *p into `word`; NULL at the end. */
static const char *next_word(const char **p, char *word, size_t len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0') {
        *p = s;
        return NULL;
    }
    size_t n = 0;
    while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t')
        n++;
    snprintf(word, len, "%.*s", (int)(n < len ? n : len - 1), s);
    *p = s + n;
    return word;
}

/* The rest of the line, trimmed, one pair of surrounding quotes dropped. */
static void rest_of_line(const char *p, char *out, size_t len)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
        p++;
        n -= 2;
    }
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

/* Takes "--to UNIT" out of a note. 0, or -1 with a message. */
static int take_to(fqt_action *a, char *err, size_t err_len)
{
    char rest[FQT_LINE_MAX];
    snprintf(rest, sizeof rest, "%s", a->note);
    char note[FQT_LINE_MAX] = "";
    size_t used = 0;
    const char *p = rest;
    char word[FQT_LINE_MAX];
    int found = 0;
    while (next_word(&p, word, sizeof word) != NULL) {
        if (strcmp(word, "--to") == 0 && !found) {
            char unit[FQT_LINE_MAX];
            if (next_word(&p, unit, sizeof unit) == NULL || !fqt_valid_unit(unit)) {
                snprintf(err, err_len, _("--to needs an org unit id, e.g. --to lingyin.market"));
                return -1;
            }
            snprintf(a->right_place, sizeof a->right_place, "%.64s", unit);
            found = 1;
            continue;
        }
        used += (size_t)snprintf(note + used, sizeof note - used, "%s%s", used ? " " : "", word);
        if (used >= sizeof note)
            break;
    }
    if (found)
        rest_of_line(note, a->note, sizeof a->note);
    return 0;
}

int fqt_parse_line(const char *line, int64_t now_ms, int32_t utc_offset_s, fqt_action *out,
                   char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    char word[128], id_text[128];
    const char *p = line;
    if (strlen(line) >= FQT_LINE_MAX) {
        snprintf(err, err_len, _("the line is too long (at most %d bytes)"), FQT_LINE_MAX - 1);
        return -1;
    }
    if (next_word(&p, word, sizeof word) == NULL)
        return 0; /* blank */
    static const struct {
        const char *name;
        fqt_cmd cmd;
    } names[] = {
        {"ack", FQT_CMD_ACK},       {"acknowledge", FQT_CMD_ACK},
        {"return", FQT_CMD_RETURN}, {"progress", FQT_CMD_PROGRESS},
        {"extend", FQT_CMD_EXTEND}, {"conclude", FQT_CMD_CONCLUDE},
        {"reply", FQT_CMD_REPLY},   {"list", FQT_CMD_LIST},
        {"ls", FQT_CMD_LIST},       {"help", FQT_CMD_HELP},
        {"?", FQT_CMD_HELP},        {"quit", FQT_CMD_QUIT},
        {"exit", FQT_CMD_QUIT},     {"q", FQT_CMD_QUIT},
        {"retry", FQT_CMD_RETRY},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(word, names[i].name) == 0)
            out->cmd = names[i].cmd;
    if (out->cmd == FQT_CMD_NONE) {
        snprintf(err, err_len, _("unknown command '%s' (type help)"), word);
        return -1;
    }
    if (out->cmd >= FQT_CMD_LIST) {
        if (next_word(&p, word, sizeof word) != NULL) {
            snprintf(err, err_len, _("%s takes nothing after it"), fqt_cmd_name(out->cmd));
            return -1;
        }
        return 0;
    }
    const char *cmd = fqt_cmd_name(out->cmd);
    if (next_word(&p, id_text, sizeof id_text) == NULL ||
        fqt_parse_id(id_text, &out->incident_id) != 0) {
        snprintf(err, err_len, _("%s needs an incident id (a number), e.g. %s 431"), cmd, cmd);
        return -1;
    }
    switch (out->cmd) {
    case FQT_CMD_ACK:
        if (next_word(&p, word, sizeof word) != NULL) {
            snprintf(err, err_len, _("ack takes only the incident id"));
            return -1;
        }
        break;
    case FQT_CMD_RETURN:
        if (next_word(&p, word, sizeof word) == NULL ||
            (out->reason = fqt_parse_reason(word)) == 0) {
            snprintf(err, err_len,
                     _("return needs a reason: return ID wrong|capacity NOTE [--to UNIT]"));
            return -1;
        }
        rest_of_line(p, out->note, sizeof out->note);
        if (take_to(out, err, err_len) != 0)
            return -1;
        break;
    case FQT_CMD_EXTEND:
        if (next_word(&p, word, sizeof word) == NULL) {
            snprintf(err, err_len,
                     _("extend needs a new limit: extend ID +2h|2026-11-28T17:00 NOTE"));
            return -1;
        }
        if (strlen(word) == 10 && word[4] == '-') {
            /* "2026-11-28 17:00": the date and the time as two words. */
            const char *peek = p;
            char time_word[32];
            if (next_word(&peek, time_word, sizeof time_word) != NULL &&
                isdigit((unsigned char)time_word[0]) && isdigit((unsigned char)time_word[1]) &&
                time_word[2] == ':') {
                snprintf(word + 10, sizeof word - 10, " %s", time_word);
                p = peek;
            }
        }
        if (fqt_parse_extension(word, utc_offset_s, out, err, err_len) != 0)
            return -1;
        rest_of_line(p, out->note, sizeof out->note);
        break;
    default:
        rest_of_line(p, out->note, sizeof out->note);
        break;
    }
    return fqt_action_check(out, now_ms, err, err_len);
}

int fqt_action_check(const fqt_action *a, int64_t now_ms, char *err, size_t err_len)
{
    const char *cmd = fqt_cmd_name(a->cmd);
    if (a->incident_id == 0) {
        snprintf(err, err_len, _("%s needs an incident id"), cmd);
        return -1;
    }
    int blank = 1;
    for (const char *q = a->note; *q; q++)
        if (!isspace((unsigned char)*q))
            blank = 0;
    if (a->cmd != FQT_CMD_ACK && blank) {
        snprintf(err, err_len, _("%s needs a note: what was done, or why"), cmd);
        return -1;
    }
    if (a->cmd == FQT_CMD_RETURN) {
        if (a->reason == 0) {
            snprintf(err, err_len, _("return needs a reason: wrong (jurisdiction) or capacity"));
            return -1;
        }
        if (a->right_place[0] != '\0' &&
            a->reason != FENGQIAO__V1__RETURN_REASON__RETURN_WRONG_JURISDICTION) {
            snprintf(err, err_len, _("--to (the right place) goes with the reason wrong"));
            return -1;
        }
    }
    if (a->cmd == FQT_CMD_EXTEND && a->extend_by_ms == 0 && a->extend_to_ms <= now_ms) {
        snprintf(err, err_len, _("the new conclude limit must lie in the future"));
        return -1;
    }
    return 0;
}

void fqt_action_body(const fqt_action *a, Fengqiao__V1__AssignmentAction *body)
{
    fengqiao__v1__assignment_action__init(body);
    body->incident_id = a->incident_id;
    switch (a->cmd) {
    case FQT_CMD_ACK:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_ACKNOWLEDGE;
        break;
    case FQT_CMD_RETURN:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_RETURN;
        body->reason = a->reason;
        if (a->right_place[0] != '\0')
            body->right_place = (char *)a->right_place;
        break;
    case FQT_CMD_PROGRESS:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_PROGRESS;
        break;
    case FQT_CMD_EXTEND:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND;
        body->extend_to_ms = a->extend_to_ms;
        body->extend_by_ms = a->extend_by_ms;
        break;
    case FQT_CMD_CONCLUDE:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_CONCLUDE;
        break;
    case FQT_CMD_REPLY:
        body->kind = FENGQIAO__V1__ACTION_KIND__ACTION_REPLY;
        break;
    default:
        break;
    }
    if (a->cmd != FQT_CMD_ACK && a->note[0] != '\0')
        body->note = (char *)a->note;
}

const char *fqt_line_help(void)
{
    return _("commands (one per line):\n"
             "  ack ID                                  acknowledge (签收) an assignment\n"
             "  return ID wrong NOTE [--to UNIT]        not ours; UNIT: the right org unit, if "
             "known\n"
             "  return ID capacity NOTE                 ours, but beyond us: one tier up\n"
             "  progress ID NOTE                        a progress note\n"
             "  extend ID +2h|+3d|2026-11-28T17:00 NOTE ask for a later conclude limit\n"
             "  conclude ID NOTE                        conclude (办结) with the result\n"
             "  reply ID NOTE                           answer a supervision order (督办)\n"
             "  retry                                   resend the last action that got no answer\n"
             "  list                                    the assignments you hold\n"
             "  help                                    this text\n"
             "  quit                                    stop watching (also Ctrl-D)\n");
}
