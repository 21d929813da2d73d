/* fqi18n: language choice, the labels' catalog, the district's time. */
#include "fqi18n.h"
#include "paths.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LABELS_DOMAIN "fengqiao-labels"
#define L_(text) dgettext(LABELS_DOMAIN, text)

static int chinese;

/* The catalogs: FQ_LOCALEDIR when set (tests), else share/locale next to the
 * binary, or the build tree's for a binary run from it (paths.h). */
static const char *locale_dir(void)
{
    const char *env = getenv("FQ_LOCALEDIR");
    if (env != NULL && env[0] != '\0')
        return env;
    return fq_files_dir(FQ_FILES_LOCALE);
}

static const char *first_set(void)
{
    static const char *names[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && v[0] != '\0')
            return v;
    }
    return NULL;
}

int fq_i18n_init(const char *domain)
{
    const char *lang = first_set();
    chinese = lang == NULL || strncmp(lang, "zh", 2) == 0;
    if (setlocale(LC_ALL, "") == NULL) {
        /* The named locale is not generated here (zh_CN.UTF-8 often is
         * not): keep UTF-8 character handling all the same. */
        if (setlocale(LC_ALL, "C.UTF-8") == NULL)
            setlocale(LC_CTYPE, "C.UTF-8");
    }
    const char *messages = setlocale(LC_MESSAGES, NULL);
    if (chinese) {
        /* gettext ignores LANGUAGE under the "C" locale: move to C.UTF-8,
         * which it does not ignore, then name the catalog. */
        if (messages == NULL || strcmp(messages, "C") == 0 || strcmp(messages, "POSIX") == 0)
            setlocale(LC_MESSAGES, "C.UTF-8");
        setenv("LANGUAGE", "zh_CN", 1);
    } else {
        /* English is the msgids themselves: whatever LANGUAGE said after a
         * non-Chinese first choice must not bring a catalog back. */
        unsetenv("LANGUAGE");
    }
    bindtextdomain(domain, locale_dir());
    bind_textdomain_codeset(domain, "UTF-8");
    bindtextdomain(LABELS_DOMAIN, locale_dir());
    bind_textdomain_codeset(LABELS_DOMAIN, "UTF-8");
    textdomain(domain);
    return chinese;
}

int fq_i18n_chinese(void)
{
    return chinese;
}

typedef struct label {
    const char *id, *text;
} label;

static const char *lookup(const label *table, size_t n, const char *id)
{
    if (id == NULL)
        return "";
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].id, id) == 0)
            return L_(table[i].text);
    return id;
}

/* The msgids are the English labels; clients/lib/po/zh_CN.po has the
 * Chinese. Event kinds as docs/history.md lists them. */
static const label event_kinds[] = {
    {"reported", N_("reported")},
    {"assigned", N_("assigned")},
    {"reassigned", N_("reassigned")},
    {"rerouted", N_("rerouted")},
    {"merged", N_("merged")},
    {"report_merged", N_("duplicate report merged")},
    {"unroutable", N_("not routable")},
    {"acknowledged", N_("acknowledged")},
    {"progress", N_("progress")}, /* a progress note: the server's word */
    {"updated", N_("progress")},
    {"returned", N_("returned")},
    {"extension_requested", N_("extension asked")},
    {"extension_approved", N_("extension approved")},
    {"extension_denied", N_("extension denied")},
    {"concluded", N_("concluded")},
    {"reopened", N_("reopened")},
    {"verified", N_("verified")},
    {"followed_up", N_("followed up")},
    {"escalated", N_("escalated")},
    {"ack_warning", N_("acknowledge limit near")},
    {"conclude_warning", N_("conclude limit near")},
    {"breached", N_("limit passed")},
    {"supervision_ordered", N_("supervision ordered")},
    {"supervision_replied", N_("supervision answered")},
    {"supervision_breached", N_("supervision reply late")},
    {"cancelled", N_("moved on")},
    {"suspended", N_("suspended")},
    {"resumed", N_("resumed")},
    {"mediation_opened", N_("mediation opened")},
    {"mediation_session", N_("mediation session")},
    {"mediation_agreed", N_("mediation agreed")},
    {"mediation_failed", N_("mediation failed, transferred")},
};

const char *fq_label_event_kind(const char *kind)
{
    return lookup(event_kinds, sizeof event_kinds / sizeof event_kinds[0], kind);
}

/* The reason codes of OutboxItem.reason_code and TimelineEvent.reason_code
 * (docs/terminals.md, "Reason codes"). */
static const label reason_codes[] = {
    {"rule", N_("by a routing rule")},
    {"principle", N_("by the built-in principle")},
    {"climbed", N_("nobody lower could take it")},
    {"operator_choice", N_("the operator's decision")},
    {"holder_action", N_("the handler's action")},
    {"acknowledge_overdue", N_("acknowledge limit passed")},
    {"conclude_overdue", N_("conclude limit passed")},
    {"supervision_overdue", N_("supervision reply late")},
    {"acknowledge_due_soon", N_("acknowledge limit near")},
    {"conclude_due_soon", N_("conclude limit near")},
    {"returned_wrong_jurisdiction", N_("returned: not ours")},
    {"returned_beyond_capacity", N_("returned: beyond our capacity")},
    {"presence_lost", N_("the worker's terminal went silent")},
    {"off_duty", N_("the handler went off duty")},
    {"merged", N_("a duplicate of an open incident")},
    {"no_handler", N_("no handling unit")},
};

const char *fq_label_reason_code(const char *code)
{
    return lookup(reason_codes, sizeof reason_codes / sizeof reason_codes[0], code);
}

static const label assignment_states[] = {
    {"assigned", N_("to acknowledge")},
    {"acknowledged", N_("in hand")},
    {"extension_requested", N_("extension asked")},
    {"returned", N_("returned")},
    {"concluded", N_("concluded")},
    {"cancelled", N_("moved on")},
};

const char *fq_label_assignment(const char *state)
{
    return lookup(assignment_states, sizeof assignment_states / sizeof assignment_states[0], state);
}

static const label incident_states[] = {
    {"assigned", N_("open")},
    {"concluded", N_("concluded")},
    {"merged", N_("merged")},
    {"unroutable", N_("not routable")},
};

const char *fq_label_incident_state(const char *state)
{
    return lookup(incident_states, sizeof incident_states / sizeof incident_states[0], state);
}

static const char *indexed(const char *const *table, size_t n, int value)
{
    if (value < 0 || (size_t)value >= n || table[value] == NULL)
        return L_("unspecified");
    return L_(table[value]);
}

#define INDEXED(table, value) indexed(table, sizeof table / sizeof table[0], value)

const char *fq_label_tier(int tier)
{
    static const char *const t[] = {NULL, N_("village tier"), N_("town tier"), N_("district tier")};
    return INDEXED(t, tier);
}

const char *fq_label_line(int line)
{
    static const char *const t[] = {NULL, N_("governance"), N_("market supervision"),
                                    N_("law enforcement"), N_("convenience services")};
    return INDEXED(t, line);
}

const char *fq_label_severity(int severity)
{
    static const char *const t[] = {NULL, N_("especially major (I)"), N_("major (II)"),
                                    N_("large (III)"), N_("ordinary (IV)")};
    return INDEXED(t, severity);
}

const char *fq_label_risk(int risk)
{
    static const char *const t[] = {NULL, N_("low risk"), N_("medium risk"), N_("high risk")};
    return INDEXED(t, risk);
}

const char *fq_label_channel(int channel)
{
    static const char *const t[] = {NULL,         N_("hotline"), N_("petition"), N_("staff"),
                                    N_("patrol"), N_("online"),  N_("walk-in")};
    return INDEXED(t, channel);
}

const char *fq_label_item_kind(int kind)
{
    static const char *const t[] = {NULL,           N_("new assignment"), N_("update"),
                                    N_("moved on"), N_("time warning"),   N_("supervision order"),
                                    N_("closed")};
    return INDEXED(t, kind);
}

const char *fq_label_limit(unsigned bit)
{
    switch (bit) {
    case 1:
        return L_("acknowledge limit passed");
    case 2:
        return L_("conclude limit passed");
    case 4:
        return L_("supervision reply late");
    default:
        return "";
    }
}

int fq_tz_parse(const char *text, int32_t *offset_s)
{
    if (text == NULL || strlen(text) != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':')
        return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (text[i] < '0' || text[i] > '9'))
            return -1;
    int hours = (text[1] - '0') * 10 + (text[2] - '0');
    int minutes = (text[4] - '0') * 10 + (text[5] - '0');
    if (hours > 14 || minutes > 59 || (hours == 14 && minutes != 0))
        return -1;
    int32_t s = (int32_t)(hours * 3600 + minutes * 60);
    *offset_s = text[0] == '-' ? -s : s;
    return 0;
}

void fq_time_format(int64_t ms, int32_t offset_s, int with_date, char *out, size_t out_len)
{
    if (ms == 0) {
        snprintf(out, out_len, "—");
        return;
    }
    /* Floor division: instants before 1970 stay on the right second. */
    int64_t s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0) + offset_s;
    time_t t = (time_t)s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, out_len, "?");
        return;
    }
    strftime(out, out_len, with_date ? "%Y-%m-%d %H:%M" : "%H:%M", &tm);
}
