#include "validate.h"

#include "errbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

static int id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int fq_valid_id(const char *id)
{
    if (id == NULL || id[0] == '\0' || id[0] == '.' || id[0] == '_' || id[0] == '-')
        return 0;
    size_t n = 0;
    for (; id[n] != '\0'; n++)
        if (n >= FQ_ID_MAX_LEN || !id_char((unsigned char)id[n]))
            return 0;
    return 1;
}

/* |a - b| without overflow for any int64 pair. */
static uint64_t distance(int64_t a, int64_t b)
{
    return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

int fq_check_fresh(int64_t sent_at_ms, int64_t now_ms, int64_t max_skew_ms)
{
    if (max_skew_ms < 0 || distance(sent_at_ms, now_ms) > (uint64_t)max_skew_ms)
        return -1;
    return 0;
}

enum text_kind { ONE_LINE, MULTI_LINE };

/* UTF-8, at most max_chars code points, no control characters (multi-line
 * text may hold newlines and tabs). */
static int check_text(const char *field, const char *s, size_t max_chars, int required,
                      enum text_kind kind, char *err, size_t err_len)
{
    size_t bytes = strlen(s);
    if (bytes == 0)
        return required ? fq_errf(err, err_len, "%s is required", field) : 0;
    const uint8_t *u = (const uint8_t *)s;
    if (u8_check(u, bytes) != NULL)
        return fq_errf(err, err_len, "%s is not valid UTF-8", field);
    size_t chars = 0;
    for (size_t i = 0; i < bytes;) {
        ucs4_t c;
        int n = u8_mbtouc(&c, u + i, bytes - i);
        i += (size_t)n;
        chars++;
        int allowed_space = kind == MULTI_LINE && (c == '\n' || c == '\t' || c == '\r');
        if ((c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) && !allowed_space)
            return fq_errf(err, err_len, "%s contains a control character (U+%04X)", field,
                           (unsigned)c);
    }
    if (chars > max_chars)
        return fq_errf(err, err_len, "%s is %zu characters long; at most %zu are allowed", field,
                       chars, max_chars);
    return 0;
}

static int check_category(const char *s, char *err, size_t err_len)
{
    if (s[0] == '\0')
        return fq_errf(err, err_len, "category is required");
    if (!fq_valid_id(s))
        return fq_errf(
            err, err_len,
            "category must be 1-64 characters of a-z, 0-9, '.', '_', '-' starting with a "
            "letter or digit");
    return 0;
}

static int check_phone(const char *s, char *err, size_t err_len)
{
    size_t n = strlen(s);
    if (n > FQ_REPORTER_PHONE_MAX_CHARS)
        return fq_errf(err, err_len, "reporter_phone is longer than %d characters",
                       FQ_REPORTER_PHONE_MAX_CHARS);
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789 +-()", s[i]))
            return fq_errf(err, err_len,
                           "reporter_phone may hold only digits, spaces and the characters +-()");
    return 0;
}

/* The names of the photos an action or a report names (AttachmentRef.name,
 * optional); their bytes, sizes and types are checked against what came
 * with them (evidence.h). */
static int check_attachment_names(Fengqiao__V1__AttachmentRef *const *refs, size_t n, char *err,
                                  size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        if (refs[i] == NULL)
            return fq_errf(err, err_len, "attachment %zu is empty", i + 1);
        if (check_text("attachment name", refs[i]->name, FQ_ATTACHMENT_NAME_MAX_CHARS, 0, ONE_LINE,
                       err, err_len) != 0)
            return -1;
    }
    return 0;
}

int fq_validate_report(const Fengqiao__V1__ReportIncident *r, int64_t now_ms, int64_t max_skew_ms,
                       char *err, size_t err_len)
{
    int rv;
    if ((rv = check_category(r->category, err, err_len)) != 0)
        return rv;
    if (r->severity < FENGQIAO__V1__SEVERITY__SEVERITY_I ||
        r->severity > FENGQIAO__V1__SEVERITY__SEVERITY_IV)
        return fq_errf(err, err_len, "severity must be I, II, III or IV (1-4), got %d",
                       (int)r->severity);
    if (r->risk < FENGQIAO__V1__RISK__RISK_LOW || r->risk > FENGQIAO__V1__RISK__RISK_HIGH)
        return fq_errf(err, err_len, "risk must be low, medium or high (1-3), got %d",
                       (int)r->risk);
    if (r->channel < FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE ||
        r->channel > FENGQIAO__V1__CHANNEL__CHANNEL_WALK_IN)
        return fq_errf(err, err_len, "channel must be 1-6, got %d", (int)r->channel);
    /* Without a unit the coordinates place it (in its grid, by polygon). */
    if (r->place_unit[0] == '\0' && r->location == NULL)
        return fq_errf(err, err_len, "place_unit or location is required");
    if (r->place_unit[0] != '\0' && !fq_valid_id(r->place_unit))
        return fq_errf(err, err_len, "place_unit is not a valid unit id");
    if (r->location != NULL) {
        double lon = r->location->lon, lat = r->location->lat;
        if (!isfinite(lon) || !isfinite(lat) || lon < -180.0 || lon > 180.0 || lat < -90.0 ||
            lat > 90.0)
            return fq_errf(err, err_len,
                           "location must have lon in [-180, 180] and lat in [-90, 90]");
        if (lon == 0.0 && lat == 0.0)
            return fq_errf(err, err_len,
                           "location (0, 0) is the usual sign of a missing GPS fix; omit location "
                           "instead");
    }
    if ((rv = check_text("title", r->title, FQ_TITLE_MAX_CHARS, 1, ONE_LINE, err, err_len)) != 0)
        return rv;
    if ((rv = check_text("description", r->description, FQ_DESCRIPTION_MAX_CHARS, 0, MULTI_LINE,
                         err, err_len)) != 0)
        return rv;
    if ((rv = check_text("address", r->address, FQ_ADDRESS_MAX_CHARS, 0, ONE_LINE, err, err_len)) !=
        0)
        return rv;
    if ((rv = check_text("external_ref", r->external_ref, FQ_EXTERNAL_REF_MAX_CHARS, 0, ONE_LINE,
                         err, err_len)) != 0)
        return rv;
    if ((rv = check_text("reporter_name", r->reporter_name, FQ_REPORTER_NAME_MAX_CHARS, 0, ONE_LINE,
                         err, err_len)) != 0)
        return rv;
    if ((rv = check_phone(r->reporter_phone, err, err_len)) != 0)
        return rv;
    /* The front desk's: the identity number as lists show it (masked). */
    if ((rv = check_text("reporter_id_number", r->reporter_id_number, 24, 0, ONE_LINE, err,
                         err_len)) != 0)
        return rv;
    if (r->matter < FENGQIAO__V1__MATTER__MATTER_UNSPECIFIED ||
        r->matter > FENGQIAO__V1__MATTER__DISPUTE)
        return fq_errf(err, err_len, "matter must be 0-5, got %d", (int)r->matter);
    if (r->occurred_at_ms != 0) {
        if (r->occurred_at_ms < FQ_EARLIEST_OCCURRED_MS)
            return fq_errf(err, err_len, "occurred_at_ms is before 2000-01-01");
        if (r->occurred_at_ms > now_ms &&
            distance(r->occurred_at_ms, now_ms) > (uint64_t)max_skew_ms)
            return fq_errf(err, err_len, "occurred_at_ms is in the future");
    }
    return check_attachment_names(r->attachments, r->n_attachments, err, err_len);
}

int fq_validate_action(const Fengqiao__V1__AssignmentAction *a, int64_t now_ms, char *err,
                       size_t err_len)
{
    if (a->incident_id == 0 || a->incident_id > (uint64_t)INT64_MAX)
        return fq_errf(err, err_len, "incident_id must be between 1 and 2^63-1");
    if (a->kind < FENGQIAO__V1__ACTION_KIND__ACTION_ACKNOWLEDGE ||
        a->kind > FENGQIAO__V1__ACTION_KIND__ACTION_REPLY)
        return fq_errf(err, err_len,
                       "kind must be acknowledge, return, progress, extend, conclude or reply");
    if (a->reason < 0 || a->reason > FENGQIAO__V1__RETURN_REASON__RETURN_BEYOND_CAPACITY)
        return fq_errf(err, err_len, "reason %d is not a return reason", (int)a->reason);
    if (check_text("note", a->note, FQ_NOTE_MAX_CHARS, 0, MULTI_LINE, err, err_len) != 0)
        return -1;
    if (a->right_place[0] != '\0' && !fq_valid_id(a->right_place))
        return fq_errf(err, err_len, "right_place is not a unit id");
    if (a->kind == FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND && a->extend_by_ms != 0) {
        /* Relative to the current conclude limit (the state machine checks
         * the sum against it and now). */
        if (a->extend_to_ms != 0)
            return fq_errf(err, err_len, "give extend_to_ms or extend_by_ms, not both");
        if (a->extend_by_ms < 0 || a->extend_by_ms > FQ_EXTEND_MAX_MS)
            return fq_errf(err, err_len, "extend_by_ms must be positive, at most 365 days");
    } else if (a->kind == FENGQIAO__V1__ACTION_KIND__ACTION_EXTEND &&
               (a->extend_to_ms <= now_ms || a->extend_to_ms > now_ms + FQ_EXTEND_MAX_MS)) {
        return fq_errf(err, err_len,
                       "extend_to_ms must lie in the future, at most 365 days from now");
    }
    return check_attachment_names(a->attachments, a->n_attachments, err, err_len);
}

static int valid_phone(const char *s)
{
    size_t n = strlen(s);
    if (n > FQ_PARTY_PHONE_MAX_CHARS)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == ' '))
            return 0;
    return 1;
}

/* The fields each mediation step takes, and only those: a field of another
 * step is a mistake of the sender's, not something to drop quietly. */
static int validate_mediation(Fengqiao__V1__CommandKind kind, const Fengqiao__V1__Mediation *m,
                              int64_t now_ms, char *err, size_t err_len)
{
    int open = kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN;
    int session = kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_SESSION;
    int agree = kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_AGREE;
    int fail = kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL;
    if (!open && (m->n_parties || m->committee[0] || m->n_mediators))
        return fq_errf(err, err_len, "only opening a mediation names parties and mediators");
    if (!session && (m->session_at_ms || m->place[0] || m->n_attendees))
        return fq_errf(err, err_len, "only a session has a time, a place and attendees");
    if (!agree && (m->agreement[0] || m->n_photos))
        return fq_errf(err, err_len, "only an agreement has a text and photos");
    if (!fail && m->transferred_to != FENGQIAO__V1__TRANSFER_TO__TRANSFER_UNSPECIFIED)
        return fq_errf(err, err_len, "only a failed mediation is transferred on");
    if (open) {
        if (m->n_parties > FQ_MEDIATION_MAX_PARTIES)
            return fq_errf(err, err_len, "at most %d parties", FQ_MEDIATION_MAX_PARTIES);
        int applicants = 0, respondents = 0;
        for (size_t i = 0; i < m->n_parties; i++) {
            const Fengqiao__V1__MediationParty *p = m->parties[i];
            char field[40];
            if (p->side == FENGQIAO__V1__PARTY_SIDE__PARTY_APPLICANT)
                applicants++;
            else if (p->side == FENGQIAO__V1__PARTY_SIDE__PARTY_RESPONDENT)
                respondents++;
            else
                return fq_errf(err, err_len, "parties[%zu].side must be applicant or respondent",
                               i);
            snprintf(field, sizeof field, "parties[%zu].name", i);
            if (check_text(field, p->name, FQ_PARTY_NAME_MAX_CHARS, 1, ONE_LINE, err, err_len))
                return -1;
            snprintf(field, sizeof field, "parties[%zu].role", i);
            if (check_text(field, p->role, FQ_PARTY_NAME_MAX_CHARS, 0, ONE_LINE, err, err_len))
                return -1;
            if (!valid_phone(p->phone))
                return fq_errf(err, err_len,
                               "parties[%zu].phone must be at most %d of 0-9, '+', '-', ' '", i,
                               FQ_PARTY_PHONE_MAX_CHARS);
        }
        if (applicants == 0 || respondents == 0)
            return fq_errf(err, err_len, "a dispute has at least one applicant and one respondent");
        if (m->committee[0] == '\0' && m->n_mediators == 0)
            return fq_errf(err, err_len, "name a mediation committee or mediators");
        if (m->committee[0] != '\0' && !fq_valid_id(m->committee))
            return fq_errf(err, err_len, "committee is not a committee id");
        if (m->n_mediators > FQ_MEDIATION_MAX_MEDIATORS)
            return fq_errf(err, err_len, "at most %d mediators", FQ_MEDIATION_MAX_MEDIATORS);
        for (size_t i = 0; i < m->n_mediators; i++)
            if (!fq_valid_id(m->mediators[i]))
                return fq_errf(err, err_len, "mediators[%zu] is not a mediator id", i);
    }
    if (session) {
        if (m->session_at_ms < FQ_EARLIEST_OCCURRED_MS || m->session_at_ms > now_ms + 3600000)
            return fq_errf(err, err_len,
                           "session_at_ms is when the session was held: not in the future");
        if (check_text("place", m->place, FQ_ADDRESS_MAX_CHARS, 1, ONE_LINE, err, err_len))
            return -1;
        if (m->n_attendees == 0 || m->n_attendees > FQ_MEDIATION_MAX_ATTENDEES)
            return fq_errf(err, err_len, "attendees: 1 to %d names", FQ_MEDIATION_MAX_ATTENDEES);
        for (size_t i = 0; i < m->n_attendees; i++) {
            char field[40];
            snprintf(field, sizeof field, "attendees[%zu]", i);
            if (check_text(field, m->attendees[i], FQ_PARTY_NAME_MAX_CHARS, 1, ONE_LINE, err,
                           err_len))
                return -1;
        }
    }
    if (agree) {
        if (check_text("agreement", m->agreement, FQ_AGREEMENT_MAX_CHARS, 1, MULTI_LINE, err,
                       err_len))
            return -1;
        if (m->n_photos > 4)
            return fq_errf(err, err_len, "at most 4 photos of the signed agreement");
        if (check_attachment_names(m->photos, m->n_photos, err, err_len) != 0)
            return -1;
    }
    if (fail && (m->transferred_to < FENGQIAO__V1__TRANSFER_TO__TRANSFER_COURT ||
                 m->transferred_to > FENGQIAO__V1__TRANSFER_TO__TRANSFER_OTHER))
        return fq_errf(err, err_len,
                       "transferred_to must be court, arbitration, petition_office or other");
    return 0;
}

int fq_validate_command(const Fengqiao__V1__ConsoleCommand *c, int64_t now_ms, char *err,
                        size_t err_len)
{
    if (c->incident_id == 0 || c->incident_id > (uint64_t)INT64_MAX)
        return fq_errf(err, err_len, "incident_id must be between 1 and 2^63-1");
    if (c->kind < FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN ||
        c->kind > FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL)
        return fq_errf(err, err_len,
                       "kind must be assign, escalate, conclude, approve or deny an "
                       "extension, supervise, merge, reopen, verify, follow up, suspend, "
                       "resume, or a mediation's open, session, agree or fail");
    if (check_text("reason", c->reason, FQ_NOTE_MAX_CHARS, 1, MULTI_LINE, err, err_len) != 0)
        return -1;
    int assign = c->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN;
    int reopen = c->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_REOPEN;
    if (assign && (c->target_unit[0] != '\0') == (c->target_worker[0] != '\0'))
        return fq_errf(err, err_len, "assign names one target: a unit or a worker");
    if (reopen && c->target_unit[0] && c->target_worker[0])
        return fq_errf(err, err_len, "reopen names at most one target: a unit or a worker");
    if (!assign && !reopen && (c->target_unit[0] || c->target_worker[0]))
        return fq_errf(err, err_len, "only assign and reopen take a target");
    if (!assign && c->n_co_units)
        return fq_errf(err, err_len, "only assign takes co-handling units");
    int merge = c->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_MERGE;
    if (merge != (c->merge_into != 0) || c->merge_into > (uint64_t)INT64_MAX)
        return fq_errf(err, err_len, "merge, and only merge, names the incident to merge into");
    int follow_up = c->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_FOLLOW_UP;
    if (follow_up ? c->satisfaction < 1 || c->satisfaction > 5 : c->satisfaction != 0)
        return fq_errf(err, err_len,
                       "a follow-up, and only a follow-up, gives the reporter's "
                       "satisfaction, 1 to 5");
    if ((c->target_unit[0] && !fq_valid_id(c->target_unit)) ||
        (c->target_worker[0] && !fq_valid_id(c->target_worker)))
        return fq_errf(err, err_len, "the target is not a unit or worker id");
    if (c->n_co_units > 8)
        return fq_errf(err, err_len, "at most 8 co-handling units");
    for (size_t i = 0; i < c->n_co_units; i++)
        if (!fq_valid_id(c->co_units[i]))
            return fq_errf(err, err_len, "co_units[%zu] is not a unit id", i);
    int supervise = c->kind == FENGQIAO__V1__COMMAND_KIND__COMMAND_SUPERVISE;
    if (supervise && (c->deadline_ms <= now_ms || c->deadline_ms > now_ms + FQ_EXTEND_MAX_MS))
        return fq_errf(err, err_len,
                       "a supervision order needs deadline_ms in the future, at "
                       "most 365 days from now");
    if (!supervise && c->deadline_ms != 0)
        return fq_errf(err, err_len, "only supervise takes a deadline");
    int mediation = c->kind >= FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_OPEN &&
                    c->kind <= FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL;
    if (mediation != (c->mediation != NULL))
        return fq_errf(err, err_len,
                       "a mediation command, and only one, carries its mediation details");
    return mediation ? validate_mediation(c->kind, c->mediation, now_ms, err, err_len) : 0;
}
