/* mediationreq: a console command's JSON body with its mediation part
 * (docs/mediation.md, docs/http-api.md "Mediation"): the command as
 * fq_webcmd_decode reads it, and a "mediation" object — parties, committee,
 * mediators, a session's time, place and attendees, an agreement with the
 * photos of the signed agreement (base64, as the field API's), where a
 * failure is transferred. Pure: no I/O; its fuzzer is fuzz_mediationreq.
 *
 * As strict as the command's: an unknown field, a wrong type, a string too
 * long, too many parties or names are refused with a message naming the
 * field. The rules of each step (an applicant and a respondent, a session's
 * attendees) are the server's (validate.c): one copy of every rule. */
#ifndef FQ_MEDIATIONREQ_H
#define FQ_MEDIATIONREQ_H

#include "fieldreq.h"
#include "pbjson.h"

#define FQ_MEDIATIONREQ_MAX_PARTIES 20
#define FQ_MEDIATIONREQ_MAX_NAMES 30

typedef struct fq_mediation_cmd {
    fq_webcmd cmd; /* cmd.command.mediation points at `mediation` when given */
    Fengqiao__V1__Mediation mediation;
    Fengqiao__V1__MediationParty party[FQ_MEDIATIONREQ_MAX_PARTIES];
    Fengqiao__V1__MediationParty *party_ptrs[FQ_MEDIATIONREQ_MAX_PARTIES];
    char *mediator_ptrs[FQ_MEDIATIONREQ_MAX_NAMES];
    char *attendee_ptrs[FQ_MEDIATIONREQ_MAX_NAMES];
    /* The agreement's photos: decoded bytes (the caller frees them with
     * fq_fieldreq_photos_free), named by refs in the mediation. */
    fq_field_photos photos;
    Fengqiao__V1__AttachmentRef ref[FQ_FIELD_MAX_PHOTOS];
    Fengqiao__V1__AttachmentRef *ref_ptrs[FQ_FIELD_MAX_PHOTOS];
    char storage[FQ_MEDIATIONREQ_MAX_PARTIES * 3 * 401 + 2 * FQ_MEDIATIONREQ_MAX_NAMES * 401 +
                 4 * 8000 + 4 * 500 + 65 + 64];
} fq_mediation_cmd;

/* Decode `body`: 0 (FQ_OK) and the command, or a FQ_FIELDREQ_*
 * code with a message in err and nothing to free. On success the photos
 * are the caller's. */
int fq_mediationreq_decode(const char *body, size_t len, fq_mediation_cmd *out, char *err,
                           size_t err_len);

#endif
