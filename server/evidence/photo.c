#include "photo.h"

#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <string.h>

static const uint8_t JPEG_SIGNATURE[3] = {0xff, 0xd8, 0xff};

const char *fq_photo_sniff(const uint8_t *bytes, size_t len)
{
    if (len >= sizeof JPEG_SIGNATURE && memcmp(bytes, JPEG_SIGNATURE, sizeof JPEG_SIGNATURE) == 0)
        return FQ_PHOTO_JPEG;
    if (len >= 8 && png_sig_cmp(bytes, 0, 8) == 0)
        return FQ_PHOTO_PNG;
    return NULL;
}

/* ---- JPEG ---- */

/* libjpeg reports a fatal error through error_exit, which must not return:
 * it jumps back to jpeg_header. A warning (corrupt or truncated data that
 * libjpeg would paper over) counts as an error too: the photo is evidence,
 * and a damaged one is refused while the sender still has it. */
typedef struct jpeg_failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int warned;
} jpeg_failure;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    f->mgr.format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    if (level < 0 && !f->warned) { /* a warning; level >= 0 is trace output */
        f->warned = 1;
        f->mgr.format_message(cinfo, f->message);
    }
}

static int jpeg_header(const uint8_t *bytes, size_t len, uint32_t *width, uint32_t *height,
                       char *err, size_t err_len)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    memset(&failure, 0, sizeof failure);
    cinfo.err = jpeg_std_error(&failure.mgr);
    failure.mgr.error_exit = jpeg_on_error;
    failure.mgr.emit_message = jpeg_on_message;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&cinfo);
        snprintf(err, err_len, "not a readable JPEG: %s", failure.message);
        return FQ_ENOTIMAGE;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    *width = cinfo.image_width;
    *height = cinfo.image_height;
    int warned = failure.warned;
    jpeg_destroy_decompress(&cinfo);
    if (warned) {
        snprintf(err, err_len, "a damaged JPEG: %s", failure.message);
        return FQ_ENOTIMAGE;
    }
    return FQ_OK;
}

/* ---- PNG ---- */

typedef struct png_source {
    const uint8_t *bytes;
    size_t len, at;
    char message[160];
} png_source;

static void png_on_read(png_structp png, png_bytep out, size_t n)
{
    png_source *src = png_get_io_ptr(png);
    if (n > src->len - src->at)
        png_error(png, "the data ends before the header does");
    memcpy(out, src->bytes + src->at, n);
    src->at += n;
}

static void png_on_error(png_structp png, png_const_charp message)
{
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message; /* ancillary chunks libpng skips: the image stays readable */
}

static int png_header(const uint8_t *bytes, size_t len, uint32_t *width, uint32_t *height,
                      char *err, size_t err_len)
{
    png_source src = {bytes, len, 0, ""};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        snprintf(err, err_len, "out of memory while reading a PNG header");
        return FQ_ENOTIMAGE;
    }
    /* libpng's own limits are far above ours: the sides are compared with
     * FQ_PHOTO_MAX_SIDE below, to give the right answer (too large). */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(err, err_len, "not a readable PNG: %s", src.message);
        return FQ_ENOTIMAGE;
    }
    png_set_read_fn(png, &src, png_on_read);
    png_read_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return FQ_OK;
}

/* ---- the check ---- */

int fq_photo_check(const uint8_t *bytes, size_t len, const char *content_type, fq_photo_info *info,
                   char *err, size_t err_len)
{
    memset(info, 0, sizeof *info);
    if (err_len > 0)
        err[0] = '\0';
    int is_jpeg = strcmp(content_type, FQ_PHOTO_JPEG) == 0;
    if (!is_jpeg && strcmp(content_type, FQ_PHOTO_PNG) != 0) {
        snprintf(err, err_len,
                 "content type %.40s is not accepted: a photo is image/jpeg or image/png",
                 content_type);
        return FQ_ENOTIMAGE;
    }
    if (len > FQ_PHOTO_MAX_BYTES) {
        snprintf(err, err_len, "a photo of %zu bytes: at most %u", len, FQ_PHOTO_MAX_BYTES);
        return FQ_ETOOLARGE;
    }
    const char *sniffed = fq_photo_sniff(bytes, len);
    if (sniffed == NULL) {
        snprintf(err, err_len, "not a JPEG or PNG image (its first bytes say neither)");
        return FQ_ENOTIMAGE;
    }
    if (strcmp(sniffed, content_type) != 0) {
        snprintf(err, err_len, "named %s but its bytes are %s", content_type, sniffed);
        return FQ_EWRONGTYPE;
    }
    uint32_t w = 0, h = 0;
    int rv = is_jpeg ? jpeg_header(bytes, len, &w, &h, err, err_len)
                     : png_header(bytes, len, &w, &h, err, err_len);
    if (rv != FQ_OK)
        return rv;
    if (w == 0 || h == 0) {
        snprintf(err, err_len, "an image of %ux%u pixels", (unsigned)w, (unsigned)h);
        return FQ_ENOTIMAGE;
    }
    if (w > FQ_PHOTO_MAX_SIDE || h > FQ_PHOTO_MAX_SIDE) {
        snprintf(err, err_len, "an image of %ux%u pixels: at most %u on a side", (unsigned)w,
                 (unsigned)h, FQ_PHOTO_MAX_SIDE);
        return FQ_ETOOLARGE;
    }
    info->content_type = is_jpeg ? FQ_PHOTO_JPEG : FQ_PHOTO_PNG;
    info->width = w;
    info->height = h;
    return FQ_OK;
}
