/* validate: checks on a decoded request that need no state but the clock.
 * Pure: no I/O; `now_ms` is passed in. Each check returns 0 or a negative
 * value and writes a message naming the field into `err`. */
#ifndef FQ_VALIDATE_H
#define FQ_VALIDATE_H

#include "fengqiao.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_ID_MAX_LEN 64
#define FQ_CATEGORY_MAX_LEN 64
#define FQ_TITLE_MAX_CHARS 200
#define FQ_DESCRIPTION_MAX_CHARS 4000
#define FQ_ADDRESS_MAX_CHARS 500
#define FQ_EXTERNAL_REF_MAX_CHARS 64
#define FQ_REPORTER_NAME_MAX_CHARS 64
#define FQ_REPORTER_PHONE_MAX_CHARS 32
/* 2000-01-01T00:00:00Z: nothing we handle happened before. */
#define FQ_EARLIEST_OCCURRED_MS 946684800000LL

/* Node and unit ids: 1-64 of [a-z0-9._-], starting with a letter or digit. */
int fq_valid_id(const char *id);

/* Freshness: 0 when |now - sent_at| <= max_skew. */
int fq_check_fresh(int64_t sent_at_ms, int64_t now_ms, int64_t max_skew_ms);

/* All field checks of a report (not jurisdiction: that needs the org tree). */
int fq_validate_report(const Fengqiao__V1__ReportIncident *report, int64_t now_ms,
                       int64_t max_skew_ms, char *err, size_t err_len);

#define FQ_NOTE_MAX_CHARS 2000
#define FQ_ATTACHMENT_NAME_MAX_CHARS 100 /* a photo's file name on the phone */
#define FQ_EXTEND_MAX_MS (365LL * 24 * 3600 * 1000)

/* The field checks of a terminal's action (not the state machine: that
 * needs the assignment). */
int fq_validate_action(const Fengqiao__V1__AssignmentAction *a, int64_t now_ms, char *err,
                       size_t err_len);

/* A mediation's bounds (docs/mediation.md). */
#define FQ_PARTY_NAME_MAX_CHARS 100
#define FQ_PARTY_PHONE_MAX_CHARS 24
#define FQ_AGREEMENT_MAX_CHARS 8000
#define FQ_MEDIATION_MAX_PARTIES 20
#define FQ_MEDIATION_MAX_MEDIATORS 8
#define FQ_MEDIATION_MAX_ATTENDEES 30

/* The field checks of a console's command (not the jurisdiction, not the
 * state: the routing core checks those). */
int fq_validate_command(const Fengqiao__V1__ConsoleCommand *c, int64_t now_ms, char *err,
                        size_t err_len);

#endif
