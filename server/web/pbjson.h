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
#include <stdint.h>

/* A new JSON object for `msg`; NULL only when out of memory. */
json_object *fq_pbjson_message(const ProtobufCMessage *msg);
/* The API's name of an enumeration value: "SEVERITY_II" -> "ii"; "" for 0. */
const char *fq_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                size_t buf_len);
/* The value for an API name ("approve_extension"), -1 when it names none
 * (the unspecified value included). */
int fq_pbjson_enum_value(const ProtobufCEnumDescriptor *d, const char *name);

/* The statistics' pages (ConsoleResult.stats_columns and stats_rows) as one
 * {"columns":[…],"rows":[[…]…]}: `doc` NULL starts it with the page's
 * columns, a later page's rows are appended. Cells that are decimal numbers
 * become JSON numbers, the rest strings. Returns the document. */
json_object *fq_pbjson_stats_add(json_object *doc, const Fengqiao__V1__ConsoleResult *res);

/* Writes why a body was refused into err (printf-style) and returns `code`:
 * the one error path of every body decoder (pbjson, fieldreq, frontdeskreq,
 * mediationreq). */
__attribute__((format(printf, 4, 5))) int fq_pbjson_fail(int code, char *err, size_t err_len,
                                                         const char *fmt, ...);
/* The strict reading of every JSON body the API decodes (a command, a
 * worker's action or field report): JSON (RFC 8259, valid UTF-8, nesting
 * at most 8 deep), an object, nothing after it but white space. 0 and the
 * object (the caller puts it), or -1 with why in err. */
int fq_pbjson_parse_body(const char *body, size_t len, json_object **doc, char *err,
                         size_t err_len);
/* A string field of at most `max` bytes without NUL, copied NUL-terminated
 * into *storage (which moves on, *left bytes left), *out pointing at it. 0,
 * or -1 with a message naming `field`. */
int fq_pbjson_take_string(json_object *v, const char *field, size_t max, char **storage,
                          size_t *left, char **out, char *err, size_t err_len);
/* An integer field in [min, max]. 0, or -1 with a message naming `field`. */
int fq_pbjson_take_integer(json_object *v, const char *field, int64_t min, int64_t max,
                           int64_t *out, char *err, size_t err_len);
/* A page's request id: 1 to FQ_WEBCMD_REQUEST_ID_MAX of [A-Za-z0-9_-]. */
int fq_pbjson_valid_request_id(const char *s, size_t n);
/* The field `request_id` (fq_pbjson_valid_request_id) copied into `out`
 * (FQ_WEBCMD_REQUEST_ID_MAX + 1 bytes). 0, or -1 with a message. */
int fq_pbjson_take_request_id(json_object *v, char *out, char *err, size_t err_len);
/* An enumeration by its API name ("iv", "acknowledge": fq_pbjson_enum_name);
 * `empty_ok`: "" is the unspecified value 0. `names` lists the names for the
 * message. 0, or -1 with a message naming `field`. */
int fq_pbjson_take_enum(json_object *v, const char *field, const ProtobufCEnumDescriptor *d,
                        int empty_ok, const char *names, int *out, char *err, size_t err_len);
/* The field `location`, {"lat":…,"lng":…} (both numbers, nothing else). 0,
 * or -1 with a message. The range is the server's check. */
int fq_pbjson_take_location(json_object *v, Fengqiao__V1__GeoPoint *p, char *err, size_t err_len);

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
