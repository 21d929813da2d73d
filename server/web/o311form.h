/* o311form: the decoders of what an Open311 client sends (docs/open311.md),
 * pure so that the fuzzers (tests/fuzz/fuzz_o311form.c, fuzz_o311path.c)
 * run the very code that faces the network:
 *  - the resource and format of a path under /open311/v2/;
 *  - an application/x-www-form-urlencoded body or query string, against the
 *    list of fields the resource takes;
 *  - the W3C date-times of start_date and end_date. */
#ifndef FQ_O311FORM_H
#define FQ_O311FORM_H

#include "fqerr.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_O311_BASE "/open311/v2/"
#define FQ_O311_ID_MAX 64

typedef enum fq_o311_format { FQ_O311_XML = 0, FQ_O311_JSON = 1 } fq_o311_format;

typedef enum fq_o311_resource {
    FQ_O311_SERVICES = 1, /* services.FMT */
    FQ_O311_SERVICE,      /* services/CODE.FMT: a service definition */
    FQ_O311_REQUESTS,     /* requests.FMT */
    FQ_O311_REQUEST,      /* requests/ID.FMT */
} fq_o311_resource;

typedef struct fq_o311_path {
    fq_o311_resource resource;
    fq_o311_format format;
    char id[FQ_O311_ID_MAX + 1]; /* the service code or request id; "" otherwise */
} fq_o311_path;

/* Errors (fqerr.h): FQ_ENOTFOUND (no such resource: 404), FQ_EINVALID (a
 * resource, but not .json or .xml: 400). */

/* `path` is the whole path (percent-decoded, without the query). */
int fq_o311_path_parse(const char *path, fq_o311_path *out, char *err, size_t err_len);

/* 1 when `s` is a service code: 1-64 of A-Z a-z 0-9 . _ - starting with a
 * letter or digit (docs/topology.md, categories[].open311). */
int fq_o311_code_ok(const char *s);

/* The comma-separated lists of GET requests' parameters. */
typedef enum fq_o311_list_kind {
    FQ_O311_LIST_IDS,      /* request ids: 1-18 digits, no leading zero */
    FQ_O311_LIST_CODES,    /* service codes (fq_o311_code_ok) */
    FQ_O311_LIST_STATUSES, /* open, closed */
} fq_o311_list_kind;

/* 1 when `value` is 1..max items of `kind` separated by single commas. */
int fq_o311_list_ok(const char *value, fq_o311_list_kind kind, size_t max);

/* 1 when `key` may be an Idempotency-Key: 1-128 printable ASCII characters. */
int fq_o311_idempotency_key_ok(const char *key);

#define FQ_O311_MAX_FIELDS 24

/* A decoded form: values[i] is the field names[i] (percent- and '+'-decoded,
 * NUL-terminated, valid UTF-8 without NUL), NULL when absent. */
typedef struct fq_o311_form {
    const char *values[FQ_O311_MAX_FIELDS];
    char *buffer; /* owns the values */
} fq_o311_form;

/* Decodes `text` (len bytes) against `names` (NULL-ended, at most
 * FQ_O311_MAX_FIELDS). Refused, with a message naming the field: an
 * unknown field, a field given twice, a malformed %-escape, a NUL, invalid
 * UTF-8, a value over `max_value` bytes. 0, or -1 with err set (nothing to
 * free). */
int fq_o311_form_parse(const char *text, size_t len, const char *const *names, size_t max_value,
                       fq_o311_form *out, char *err, size_t err_len);
void fq_o311_form_free(fq_o311_form *form);

/* A W3C date-time as GeoReport v2 requires: YYYY-MM-DDThh:mm:ss with an
 * optional fraction and Z or ±hh:mm, into Unix epoch ms. 0, or -1. */
int fq_o311_datetime_parse(const char *s, int64_t *ms);

/* A decimal degree ("30.2475", "-120.1"): 0, or -1 when not a finite number
 * written plainly (no hex, no exponent, no spaces). */
int fq_o311_degrees_parse(const char *s, double *out);

#endif
