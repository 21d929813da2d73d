/* fqreport: building a ReportIncident from named fields (command-line flags
 * or JSON members) and showing the intake's answer; shared by fq-report and
 * fq-terminal's `report`. */
#ifndef FQ_REPORT_BUILD_H
#define FQ_REPORT_BUILD_H

#include "fqclient.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct fqr_input {
    Fengqiao__V1__ReportIncident body;
    Fengqiao__V1__GeoPoint point;
    int has_lon, has_lat;
    uint64_t message_id; /* 0 until given or fqr_finish */
} fqr_input;

void fqr_init(fqr_input *in);

/* Sets one field by its JSON name (category, severity, risk, channel,
 * place_unit or place, title, description, address, lon, lat, occurred_at_ms,
 * external_ref, reporter_name, reporter_phone, message_id); 0, or -1 with a
 * message. The strings stay owned by the caller. */
int fqr_set_field(fqr_input *in, const char *name, const char *value, char *err, size_t err_len);

/* As fqr_set_field, by flag name (--occurred-ms, --external-ref, …). */
int fqr_set_flag(fqr_input *in, const char *flag, const char *value, char *err, size_t err_len);

/* Checks lon/lat go together and picks the message id when none was given:
 * derived from external_ref when there is one (resending the same case is
 * idempotent), else fresh. 0 or -1 with a message. */
int fqr_finish(fqr_input *in, const char *node, char *err, size_t err_len);

/* The getopt_long entries of the report flags, all with has_arg required and
 * `val` as given: put FQR_FIELD_OPTIONS(val) into an option table. */
#define FQR_FIELD_OPTIONS(val)                                                                     \
    {"category", required_argument, NULL, (val)}, {"severity", required_argument, NULL, (val)},    \
        {"risk", required_argument, NULL, (val)}, {"channel", required_argument, NULL, (val)},     \
        {"place", required_argument, NULL, (val)}, {"title", required_argument, NULL, (val)},      \
        {"description", required_argument, NULL, (val)},                                           \
        {"address", required_argument, NULL, (val)}, {"lon", required_argument, NULL, (val)},      \
        {"lat", required_argument, NULL, (val)}, {"occurred-ms", required_argument, NULL, (val)},  \
        {"external-ref", required_argument, NULL, (val)},                                          \
        {"reporter-name", required_argument, NULL, (val)},                                         \
        {"reporter-phone", required_argument, NULL, (val)},                                        \
    {                                                                                              \
        "message-id", required_argument, NULL, (val)                                               \
    }

/* The help text of those flags. */
void fqr_usage_fields(FILE *out);

/* The answer as one JSON object: {"line":N (when line != 0),"status":…,
 * "message_id":…,"incident_id":…,"routing":{…},…}. The caller puts it. */
json_object *fqr_result_json(uint64_t line, const fqc_result *r);

/* "incident 12 (message id …); village tier: w of unit" for an OK answer. */
void fqr_result_text(const fqc_result *r, char *buf, size_t len);

#endif
