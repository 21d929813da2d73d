/* fieldreq: the JSON bodies a worker's phone sends to the field API
 * (docs/http-api.md, "The field API") as the terminal's messages — an action
 * on an assignment as an AssignmentAction, a report from the field as a
 * ReportIncident — with their photos base64-decoded. Pure: no I/O, no loop;
 * the fuzzer (tests/fuzz/fuzz_fieldreq.c) runs the decoders.
 *
 * Strict like the console's command body (pbjson.h): an unknown field, a
 * wrong type, a string too long or with a NUL, invalid UTF-8, bad base64 or
 * anything after the object is refused with a message naming the field.
 * What the server's own checks say (a note required, the limits of a
 * title) is left to them: one copy of every rule. */
#ifndef FQ_FIELDREQ_H
#define FQ_FIELDREQ_H

#include "fengqiao.pb-c.h"
#include "fqerr.h"

#include <json-c/json.h>

#include <stddef.h>
#include <stdint.h>

#define FQ_FIELD_MAX_PHOTOS 4
#define FQ_FIELD_MAX_PHOTO_BYTES (2 * 1024 * 1024) /* decoded */
#define FQ_FIELD_PHOTO_NAME_MAX 400                /* bytes: 100 characters of up to 4 */

/* Errors (fqerr.h, answered through fq_err_http): FQ_EINVALID (400 invalid),
 * FQ_ETOOLARGE (413 too_large: a photo over the cap, or too many),
 * FQ_ENOTIMAGE (415 not_an_image: a type other than JPEG or PNG), FQ_ENOMEM
 * (503 busy). */

/* One photo as sent: its declared type and name, its decoded bytes
 * (malloc'ed: fq_fieldreq_photos_free). Whether the bytes are what the type
 * says is the server's check, not the decoder's. */
typedef struct fq_field_photo {
    char name[FQ_FIELD_PHOTO_NAME_MAX + 1];
    char content_type[16]; /* image/jpeg or image/png */
    uint8_t *bytes;
    size_t len;
    uint8_t sha256[32];
} fq_field_photo;

typedef struct fq_field_photos {
    fq_field_photo photo[FQ_FIELD_MAX_PHOTOS];
    size_t n;
} fq_field_photos;

/* POST /api/v1/field/assignments/ID/actions. */
typedef struct fq_field_action {
    char request_id[65];
    Fengqiao__V1__AssignmentAction
        action; /* strings point into `storage`; the id is the caller's */
    fq_field_photos photos;
    char storage[4 * 2000 + 65 + 16];
} fq_field_action;

/* POST /api/v1/field/reports. */
typedef struct fq_field_report {
    char request_id[65];
    Fengqiao__V1__ReportIncident report; /* strings point into `storage` */
    Fengqiao__V1__GeoPoint location;     /* report.location points here when given */
    fq_field_photos photos;
    char storage[65 + 4 * 200 + 4 * 4000 + 4 * 500 + 16];
} fq_field_report;

/* Decode `body`; on failure a code above and a message naming the field in
 * err, and nothing to free. On success the photos are the caller's. */
int fq_fieldreq_decode_action(const char *body, size_t len, fq_field_action *out, char *err,
                              size_t err_len);
int fq_fieldreq_decode_report(const char *body, size_t len, fq_field_report *out, char *err,
                              size_t err_len);
void fq_fieldreq_photos_free(fq_field_photos *photos);
/* The AttachmentRef an envelope names a decoded photo by (its hash, type,
 * size and name; pointing into the photo, which must outlive it). */
void fq_fieldreq_photo_ref(fq_field_photo *ph, Fengqiao__V1__AttachmentRef *ref);

/* The start of decoding a body that carries a report (the field report's,
 * the front desk's case): `r` and `location` initialised, the body read
 * strictly (fq_pbjson_parse_body) into *doc. 0, or -1 with why in err. */
int fq_fieldreq_report_begin(const char *body, size_t len, Fengqiao__V1__ReportIncident *r,
                             Fengqiao__V1__GeoPoint *location, json_object **doc, char *err,
                             size_t err_len);
/* One member of a report's body that every page reporting an incident sends
 * alike (the field report's, the front desk's case): category, severity,
 * risk, title, description, address, location (null: none) — decoded into
 * `r` (strings into *storage, the point into `location`). 1 when `key` is
 * one of them and it was taken, 0 when it is none of them, -1 with a
 * message naming the field. */
int fq_fieldreq_take_report_field(const char *key, json_object *v, Fengqiao__V1__ReportIncident *r,
                                  Fengqiao__V1__GeoPoint *location, char **storage, size_t *left,
                                  char *err, size_t err_len);
/* The "photos" member of a body (an array of {name, content_type, data}),
 * decoded into *out; on failure a code above, the message naming the field,
 * and the ones decoded so far freed. Also the mediation's agreement's
 * (mediationreq.h). */
int fq_fieldreq_take_photos(json_object *v, fq_field_photos *out, char *err, size_t err_len);

#endif
