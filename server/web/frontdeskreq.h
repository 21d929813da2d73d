/* frontdeskreq: the body of POST /api/v1/frontdesk/cases (docs/http-api.md,
 * "The front desk") decoded into the ReportIncident the receptionist's
 * console node sends through the intake, and the person apart from it.
 * Pure: no I/O, no keys; the fuzzer (tests/fuzz/fuzz_frontdeskreq.c) runs it.
 *
 * Strict like the field API's bodies (fieldreq.h): an unknown field, a
 * wrong type, a string too long or with a NUL, invalid UTF-8 or anything
 * after the object is refused with a message naming the field. The person's
 * phone and identity number are checked and normalised here (masking.h);
 * the report carries only their masked forms (reporter_name the masked
 * name, reporter_id_number the masked number, no phone): the full values
 * are sealed by the front desk into case_parties, never in the history.
 * What the intake's own checks say of the report (a title's length, a
 * category) is left to them: one copy of every rule. */
#ifndef FQ_FRONTDESKREQ_H
#define FQ_FRONTDESKREQ_H

#include "fengqiao.pb-c.h"
#include "masking.h"

#include <stddef.h>

typedef struct fq_frontdesk_person {
    char name[FQ_MASK_NAME_MAX];        /* as given */
    char name_key[FQ_MASK_NAME_MAX];    /* normalised for the lookup hash */
    char name_masked[FQ_MASK_NAME_MAX]; /* 王*明 */
    char phone[FQ_MASK_PHONE_MAX];      /* digits; "" when not given */
    char phone_masked[FQ_MASK_PHONE_MAX];
    char id_number[FQ_MASK_ID_MAX]; /* normalised; "" when not given */
    char id_masked[FQ_MASK_ID_MAX];
} fq_frontdesk_person;

typedef struct fq_frontdesk_case {
    char request_id[65];
    fq_frontdesk_person person;
    Fengqiao__V1__ReportIncident report; /* strings point into `storage` or `person` */
    Fengqiao__V1__GeoPoint location;     /* report.location points here when given */
    char storage[65 + 64 + 4 * 200 + 4 * 4000 + 4 * 500 + 16];
} fq_frontdesk_case;

/* Decode `body`; 0, or -1 with a message naming the field in err. */
int fq_frontdeskreq_decode(const char *body, size_t len, fq_frontdesk_case *out, char *err,
                           size_t err_len);

#endif
