/* fuzz_photo: bytes from a peer through fq_photo_check (server/evidence/
 * photo.c: libjpeg-turbo's and libpng's header readers behind setjmp), as
 * the terminal and intake endpoints call it for every attachment. The first
 * byte picks the type named (even: image/jpeg, odd: image/png, and every
 * seventh value another type); the rest is the photo. Oracles beyond "no
 * crash, no sanitizer report, no leak":
 *  - the answer is one of the four codes, the message terminated, and
 *    non-empty on a refusal;
 *  - an accepted photo is of the type named, which its signature says too,
 *    at most FQ_PHOTO_MAX_BYTES, with both sides 1..FQ_PHOTO_MAX_SIDE;
 *  - a refused type is refused whatever the bytes;
 *  - the same bytes get the same answer twice (no state kept). */
#include "fuzz_check.h"
#include "photo.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *type = data[0] % 7 == 6   ? "image/gif"
                       : data[0] % 2 == 0 ? FQ_PHOTO_JPEG
                                          : FQ_PHOTO_PNG;
    const uint8_t *bytes = data + 1;
    size_t len = size - 1;
    fq_photo_info info;
    char err[200];
    memset(err, 'x', sizeof err);
    int rv = fq_photo_check(bytes, len, type, &info, err, sizeof err);
    FQ_FUZZ_CHECK(rv == FQ_OK || rv == FQ_ENOTIMAGE || rv == FQ_ETOOLARGE || rv == FQ_EWRONGTYPE);
    FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (rv != FQ_OK) {
        FQ_FUZZ_CHECK(err[0] != '\0');
    } else {
        FQ_FUZZ_CHECK(strcmp(type, "image/gif") != 0);
        FQ_FUZZ_CHECK(strcmp(info.content_type, type) == 0);
        FQ_FUZZ_CHECK(strcmp(fq_photo_sniff(bytes, len), type) == 0);
        FQ_FUZZ_CHECK(len <= FQ_PHOTO_MAX_BYTES);
        FQ_FUZZ_CHECK(info.width >= 1 && info.width <= FQ_PHOTO_MAX_SIDE);
        FQ_FUZZ_CHECK(info.height >= 1 && info.height <= FQ_PHOTO_MAX_SIDE);
    }
    fq_photo_info again;
    char err2[200];
    FQ_FUZZ_CHECK(fq_photo_check(bytes, len, type, &again, err2, sizeof err2) == rv);
    if (rv == FQ_OK)
        FQ_FUZZ_CHECK(again.width == info.width && again.height == info.height);
    return 0;
}
