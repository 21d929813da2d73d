/* evidence: the photos sent with an action or a report checked against the
 * refs its signed envelope names (docs/phone.md, "Evidence"): at most
 * FQ_EVIDENCE_MAX_PHOTOS, each at most FQ_PHOTO_MAX_BYTES and all together at
 * most FQ_EVIDENCE_MAX_TOTAL_BYTES, each the very bytes named (SHA-256, size)
 * and a real image of the type named (photo.h). The envelope's MAC covers the
 * refs, so bytes that pass are the bytes the sender signed for. Pure: the
 * endpoints call it before anything is stored, and a refusal's code is the
 * Reply.error_code the client acts on. */
#ifndef FQ_EVIDENCE_H
#define FQ_EVIDENCE_H

#include "fengqiao.pb-c.h"
#include "fqerr.h"
#include "photo.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_EVIDENCE_MAX_PHOTOS 4
#define FQ_EVIDENCE_MAX_TOTAL_BYTES (8u * 1024 * 1024)
#define FQ_EVIDENCE_SHA256_BYTES 32

/* Errors (fqerr.h; fq_err_code gives the client's code): FQ_ENOTIMAGE
 * ("not_an_image"), FQ_ETOOLARGE ("too_large": a photo, their sum or their
 * number), FQ_EMISMATCH ("photo_mismatch": the bytes are not those the refs
 * name). */

/* One checked photo. `bytes` and `name` point into the request checked. */
typedef struct fq_evidence_photo {
    const uint8_t *bytes;
    size_t len;
    const char *content_type; /* FQ_PHOTO_JPEG or FQ_PHOTO_PNG (static) */
    const char *name;         /* the ref's, '' when none */
    uint8_t sha256[FQ_EVIDENCE_SHA256_BYTES];
    uint32_t width, height;
} fq_evidence_photo;

typedef struct fq_evidence {
    size_t n;
    size_t total_bytes;
    fq_evidence_photo photos[FQ_EVIDENCE_MAX_PHOTOS];
} fq_evidence;

/* Checks photos[i] against refs[i] for every i. On FQ_OK `out`
 * describes them (n 0 when there are none); otherwise err (terminated) says
 * which photo and why, for people. */
int fq_evidence_check(Fengqiao__V1__AttachmentRef *const *refs, size_t n_refs,
                      const ProtobufCBinaryData *photos, size_t n_photos, fq_evidence *out,
                      char *err, size_t err_len);

#endif
