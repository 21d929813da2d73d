#include "evidence.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int fq_evidence_check(Fengqiao__V1__AttachmentRef *const *refs, size_t n_refs,
                      const ProtobufCBinaryData *photos, size_t n_photos, fq_evidence *out,
                      char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (err_len > 0)
        err[0] = '\0';
    /* The sizes first: what is too large is refused as such, before any
     * hashing or decoding is spent on it. */
    if (n_refs > FQ_EVIDENCE_MAX_PHOTOS || n_photos > FQ_EVIDENCE_MAX_PHOTOS) {
        snprintf(err, err_len, "%zu photos: at most %d go with one action or report",
                 n_refs > n_photos ? n_refs : n_photos, FQ_EVIDENCE_MAX_PHOTOS);
        return FQ_ETOOLARGE;
    }
    if (n_refs != n_photos) {
        snprintf(err, err_len, "the envelope names %zu photos but %zu came with it", n_refs,
                 n_photos);
        return FQ_EMISMATCH;
    }
    size_t total = 0;
    for (size_t i = 0; i < n_refs; i++) {
        if (refs[i]->size > FQ_PHOTO_MAX_BYTES || photos[i].len > FQ_PHOTO_MAX_BYTES) {
            snprintf(err, err_len, "photo %zu is %zu bytes: at most %u", i + 1,
                     photos[i].len > refs[i]->size ? photos[i].len : (size_t)refs[i]->size,
                     FQ_PHOTO_MAX_BYTES);
            return FQ_ETOOLARGE;
        }
        total += photos[i].len;
    }
    if (total > FQ_EVIDENCE_MAX_TOTAL_BYTES) {
        snprintf(err, err_len, "the photos are %zu bytes together: at most %u", total,
                 FQ_EVIDENCE_MAX_TOTAL_BYTES);
        return FQ_ETOOLARGE;
    }
    for (size_t i = 0; i < n_refs; i++) {
        const Fengqiao__V1__AttachmentRef *ref = refs[i];
        fq_evidence_photo *p = &out->photos[i];
        if (photos[i].len != ref->size) {
            snprintf(err, err_len, "photo %zu is %zu bytes, its ref says %llu", i + 1,
                     photos[i].len, (unsigned long long)ref->size);
            return FQ_EMISMATCH;
        }
        if (ref->sha256.len != FQ_EVIDENCE_SHA256_BYTES) {
            snprintf(err, err_len, "photo %zu: its ref's sha256 is %zu bytes, not 32", i + 1,
                     ref->sha256.len);
            return FQ_EMISMATCH;
        }
        crypto_hash_sha256(p->sha256, photos[i].data, photos[i].len);
        if (sodium_memcmp(p->sha256, ref->sha256.data, FQ_EVIDENCE_SHA256_BYTES) != 0) {
            snprintf(err, err_len, "photo %zu: its bytes' SHA-256 is not the one its ref names",
                     i + 1);
            return FQ_EMISMATCH;
        }
        fq_photo_info info;
        char why[200];
        int rv = fq_photo_check(photos[i].data, photos[i].len, ref->content_type, &info, why,
                                sizeof why);
        if (rv != FQ_OK) {
            snprintf(err, err_len, "photo %zu: %s", i + 1, why);
            return rv == FQ_ETOOLARGE    ? FQ_ETOOLARGE
                   : rv == FQ_EWRONGTYPE ? FQ_EMISMATCH
                                         : FQ_ENOTIMAGE;
        }
        p->bytes = photos[i].data;
        p->len = photos[i].len;
        p->content_type = info.content_type;
        p->name = ref->name;
        p->width = info.width;
        p->height = info.height;
    }
    out->n = n_refs;
    out->total_bytes = total;
    return FQ_OK;
}
