/* fqi18n: the clients' language and time zone (docs/fq-console.md,
 * "Language and time").
 *
 * Language: Chinese by default, English on request, following the POSIX
 * variables as gettext does (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, the first
 * set wins): a value starting with "zh" gives Chinese; "C", "POSIX" or any
 * other language gives English (the msgids are English); nothing set at all
 * gives Chinese. The catalogs are the repository's po files (the po folders under clients/),
 * compiled by the build; a machine without a zh_CN locale still gets
 * Chinese: the character type falls back to C.UTF-8 and the catalog is
 * chosen through LANGUAGE, which glibc honours for any locale but "C".
 *
 * Time: every time a client shows is the district's local time, an offset
 * from UTC the server sends with its replies ("+08:00", the working
 * calendar's, docs/calendar.md); before the first reply, and when the
 * server sends none, FQ_DEFAULT_UTC_OFFSET_S. */
#ifndef FQ_I18N_H
#define FQ_I18N_H

#include <libintl.h>
#include <stddef.h>
#include <stdint.h>

#define _(text) gettext(text)
#define N_(text) (text)

/* China Standard Time: the offset before the server says otherwise. */
#define FQ_DEFAULT_UTC_OFFSET_S (8 * 3600)

/* Sets the locale and binds `domain` (the program's catalog, made the
 * default) and "fengqiao-labels" (the labels below). Call once at start,
 * before any output. Returns 1 when the language is Chinese, 0 English. */
int fq_i18n_init(const char *domain);
/* 1 after fq_i18n_init chose Chinese. */
int fq_i18n_chinese(void);

/* Labels of the protocol's words, in the language chosen (a word the table
 * does not know is returned as it is, so a newer server's word still shows). */
const char *fq_label_event_kind(const char *kind);      /* "escalated" -> 升级 */
const char *fq_label_assignment(const char *state);     /* "acknowledged" -> 办理中 */
const char *fq_label_reason_code(const char *code);     /* "acknowledge_overdue" -> 签收超时 */
const char *fq_label_incident_state(const char *state); /* "concluded" -> 已办结 */
const char *fq_label_tier(int tier);                    /* Tier enum value */
const char *fq_label_line(int line);                    /* Line enum value */
const char *fq_label_severity(int severity);            /* Severity enum value */
const char *fq_label_risk(int risk);                    /* Risk enum value */
const char *fq_label_channel(int channel);              /* Channel enum value */
const char *fq_label_item_kind(int kind);               /* ItemKind enum value */
/* The limits of IncidentSummary.overdue_limits, bit 1, 2 or 4. */
const char *fq_label_limit(unsigned bit);

/* "+08:00", "-03:30", "+00:00" -> seconds east of UTC. 0, or -1 (the offset
 * is left as it was) for anything else, and for "" (no zone sent). */
int fq_tz_parse(const char *text, int32_t *offset_s);
/* An instant in local time at offset_s: "2026-10-08 17:30" (with_date) or
 * "17:30"; "—" for 0. */
void fq_time_format(int64_t ms, int32_t offset_s, int with_date, char *out, size_t out_len);

#endif
