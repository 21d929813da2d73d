/* pbjson: protobuf-c messages as the web API's JSON (docs/http-api.md,
 * "JSON"), and the JSON body of a command as a ConsoleCommand. Pure: no
 * I/O, no loop; the fuzzer (tests/fuzz/fuzz_webcmd.c) runs the decoder.
 *
 * Replies walk the message descriptor, so a field added to the proto shows
 * up in the API without a change here: proto field names, enumerations as
 * lowercase names without their prefix ('' for the unspecified value),
 * 64-bit integers as JSON numbers, a GeoPoint as {"lat":…,"lng":…}. */
#ifndef FQ_PBJSON_H
#define FQ_PBJSON_H

#include "fengqiao.pb-c.h"

#include <json-c/json.h>
#include <stddef.h>

/* A new JSON object for `msg`; NULL only when out of memory. */
json_object *fq_pbjson_message(const ProtobufCMessage *msg);
/* The API's name of an enumeration value: "SEVERITY_II" -> "ii"; "" for 0. */
const char *fq_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                size_t buf_len);
/* The value for an API name ("approve_extension"), -1 when it names none
 * (the unspecified value included). */
int fq_pbjson_enum_value(const ProtobufCEnumDescriptor *d, const char *name);

/* The statistics' CSV (a header line, RFC 4180 quoting, as rows_csv.c
 * writes it) as {"columns":[…],"rows":[[…]…]}: cells that are decimal
 * numbers become JSON numbers, the rest strings. */
json_object *fq_pbjson_stats_csv(const char *csv);

/* A command as the page sends it (docs/http-api.md, "Commands"). */
#define FQ_WEBCMD_REQUEST_ID_MAX 64
#define FQ_WEBCMD_MAX_CO_UNITS 8
typedef struct fq_webcmd {
    char request_id[FQ_WEBCMD_REQUEST_ID_MAX + 1];
    Fengqiao__V1__ConsoleCommand command; /* strings point into `storage` */
    char *co_unit_ptrs[FQ_WEBCMD_MAX_CO_UNITS];
    char storage[4 * 2000 + 3 * 65 + FQ_WEBCMD_MAX_CO_UNITS * 65 + 16];
} fq_webcmd;

/* Decodes `body` strictly: an object with only the known fields, each of
 * its type and within its bounds; request_id, kind and reason required. On
 * failure returns -1 with a message naming the field in err. The incident
 * id is the path's, set by the caller. */
int fq_webcmd_decode(const char *body, size_t len, fq_webcmd *out, char *err, size_t err_len);

#endif
