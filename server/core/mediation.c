#include "mediation.h"

#include "errbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fq_mediation_state_name(fq_mediation_state s)
{
    switch (s) {
    case FQ_MEDIATION_OPEN:
        return "open";
    case FQ_MEDIATION_ENDED:
        return "ended";
    default:
        return "";
    }
}

fq_mediation_state fq_mediation_state_parse(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return FQ_MEDIATION_NONE;
    if (strcmp(name, "open") == 0)
        return FQ_MEDIATION_OPEN;
    return FQ_MEDIATION_ENDED;
}

int fq_mediation_step(fq_mediation_state cur, Fengqiao__V1__CommandKind kind,
                      fq_mediation_state *next, char *err, size_t err_len)
{
    *next = cur;
    switch (kind) {
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN:
        if (cur == FQ_MEDIATION_OPEN)
            return fq_errf(err, err_len, "the mediation is open already");
        if (cur == FQ_MEDIATION_ENDED)
            return fq_errf(err, err_len, "the mediation has ended; a new dispute is a new report");
        *next = FQ_MEDIATION_OPEN;
        return 0;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE:
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL:
        if (cur == FQ_MEDIATION_NONE)
            return fq_errf(err, err_len, "no mediation is open: open one first");
        if (cur == FQ_MEDIATION_ENDED)
            return fq_errf(err, err_len, "the mediation has ended: nothing follows its end");
        *next = kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION ? FQ_MEDIATION_OPEN
                                                                              : FQ_MEDIATION_ENDED;
        return 0;
    default:
        return fq_errf(err, err_len, "command kind %d is no mediation step", (int)kind);
    }
}

const char *fq_mediation_event_kind(Fengqiao__V1__CommandKind kind)
{
    switch (kind) {
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN:
        return "mediation_opened";
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION:
        return "mediation_session";
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE:
        return "mediation_agreed";
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL:
        return "mediation_failed";
    default:
        return NULL;
    }
}

const char *fq_mediation_transfer_name(Fengqiao__V1__TransferTo to)
{
    switch (to) {
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_COURT:
        return "court";
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_ARBITRATION:
        return "arbitration";
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_PETITION_OFFICE:
        return "petition_office";
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_OTHER:
        return "other";
    default:
        return "";
    }
}

const char *fq_mediation_transfer_label(Fengqiao__V1__TransferTo to)
{
    switch (to) {
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_COURT:
        return "法院";
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_ARBITRATION:
        return "仲裁机构";
    case FENGQIAO__V1__TRANSFER_TO__TRANSFER_PETITION_OFFICE:
        return "信访部门";
    default:
        return "其他部门";
    }
}

/* A growing string; `failed` once an allocation failed. */
typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(t->s, cap);
        if (b == NULL) {
            t->failed = 1;
            return;
        }
        t->s = b;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void put_raw(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* A JSON string (RFC 8259): the text is valid UTF-8 (validated), so only
 * quotes, backslashes and control characters need escaping. */
static void put_string(text *t, const char *s)
{
    put(t, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(t, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(t, esc, 6);
        } else {
            put(t, (const char *)p, 1);
        }
    }
    put(t, "\"", 1);
}

static void put_key(text *t, const char *key)
{
    put_raw(t, t->len > 1 ? "," : "");
    put_string(t, key);
    put(t, ":", 1);
}

static void put_strings(text *t, const char *key, char *const *v, size_t n)
{
    put_key(t, key);
    put(t, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(t, ",", 1);
        put_string(t, v[i]);
    }
    put(t, "]", 1);
}

char *fq_mediation_record(const Fengqiao__V1__ConsoleCommand *c)
{
    const Fengqiao__V1__Mediation *m = c->mediation;
    text t = {0};
    put(&t, "{", 1);
    put_key(&t, "note");
    put_string(&t, c->reason);
    switch (c->kind) {
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN:
        put_key(&t, "parties");
        put(&t, "[", 1);
        for (size_t i = 0; i < m->n_parties; i++) {
            const Fengqiao__V1__MediationParty *p = m->parties[i];
            put_raw(&t, i ? ",{\"side\":" : "{\"side\":");
            put_string(&t, p->side == FENGQIAO__V1__PARTY_SIDE__PARTY_APPLICANT ? "applicant"
                                                                                : "respondent");
            put_raw(&t, ",\"name\":");
            put_string(&t, p->name);
            put_raw(&t, ",\"role\":");
            put_string(&t, p->role);
            put_raw(&t, ",\"phone\":");
            put_string(&t, p->phone);
            put(&t, "}", 1);
        }
        put(&t, "]", 1);
        put_key(&t, "committee");
        put_string(&t, m->committee);
        put_strings(&t, "mediators", m->mediators, m->n_mediators);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION: {
        char ms[24];
        snprintf(ms, sizeof ms, "%" PRId64, m->session_at_ms);
        put_key(&t, "at_ms");
        put_raw(&t, ms);
        put_key(&t, "place");
        put_string(&t, m->place);
        put_strings(&t, "attendees", m->attendees, m->n_attendees);
        break;
    }
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE:
        put_key(&t, "agreement");
        put_string(&t, m->agreement);
        break;
    case FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL:
        put_key(&t, "transferred_to");
        put_string(&t, fq_mediation_transfer_name(m->transferred_to));
        break;
    default:
        break;
    }
    put(&t, "}", 1);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
