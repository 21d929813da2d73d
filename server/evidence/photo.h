/* photo: is a photo's bytes really the image it claims to be? The header is
 * decoded with the image libraries themselves (libjpeg-turbo, libpng), so a
 * file named .jpg that is not one, a truncated upload or a type other than
 * the one named is refused before anything is stored. Only the header is
 * read (the pixel data is not decoded: that would cost tens of milliseconds
 * of the event loop per photo, and nothing here needs the pixels). Pure: no
 * I/O, no allocation that outlives a call. */
#ifndef FQ_PHOTO_H
#define FQ_PHOTO_H

#include "fqerr.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_PHOTO_MAX_BYTES (2u * 1024 * 1024) /* one photo, as uploaded */
#define FQ_PHOTO_MAX_SIDE 12000u              /* pixels, either side */

#define FQ_PHOTO_JPEG "image/jpeg"
#define FQ_PHOTO_PNG "image/png"

/* Errors (fqerr.h): FQ_ENOTIMAGE (not a JPEG or PNG, or one whose header
 * does not decode), FQ_ETOOLARGE (over FQ_PHOTO_MAX_BYTES, or a side over
 * FQ_PHOTO_MAX_SIDE), FQ_EWRONGTYPE (a real image, but not of the type named). */

typedef struct fq_photo_info {
    const char *content_type; /* FQ_PHOTO_JPEG or FQ_PHOTO_PNG (static) */
    uint32_t width, height;
} fq_photo_info;

/* Checks `len` bytes said to be of `content_type` (image/jpeg or image/png;
 * any other type is FQ_ENOTIMAGE). On FQ_OK *info holds what
 * the header says; otherwise err (always terminated) says why for people. */
int fq_photo_check(const uint8_t *bytes, size_t len, const char *content_type, fq_photo_info *info,
                   char *err, size_t err_len);

/* The type the bytes' signature names (FQ_PHOTO_JPEG, FQ_PHOTO_PNG), or NULL. */
const char *fq_photo_sniff(const uint8_t *bytes, size_t len);

#endif
