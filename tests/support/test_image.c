/* fq-make-image: writes a real JPEG or PNG of the size asked for, made with
 * the same libraries the server reads them with (server/evidence/photo.c).
 * Tests use it for photos to upload: the unit test of the photo check, the
 * integration and browser tests.
 *
 *   fq-make-image --jpeg|--png W H OUT [--noise] [--seed N]
 *
 * The picture is a gradient with a band whose place depends on the seed, so
 * two seeds give two different files; --noise fills it with pseudo-random
 * pixels instead (nothing compresses them: a large file, for the size
 * limits). */
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 2463534242u;

static uint8_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (uint8_t)(rng_state >> 24);
}

static void fill_row(uint8_t *row, unsigned w, unsigned h, unsigned y, int noise, unsigned seed)
{
    for (unsigned x = 0; x < w; x++) {
        uint8_t *p = row + 3 * (size_t)x;
        if (noise) {
            p[0] = next_random();
            p[1] = next_random();
            p[2] = next_random();
            continue;
        }
        int band = ((x + y + seed * 7) / 16) % 5 == 0;
        p[0] = (uint8_t)(255u * x / (w > 1 ? w - 1 : 1));
        p[1] = (uint8_t)(255u * y / (h > 1 ? h - 1 : 1));
        p[2] = band ? 255 : (uint8_t)(seed * 37);
    }
}

static int write_jpeg(FILE *out, unsigned w, unsigned h, int noise, unsigned seed)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr); /* errors exit the program: fine for a tool */
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, out);
    cinfo.image_width = w;
    cinfo.image_height = h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, noise ? 100 : 85, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    uint8_t *row = malloc(3 * (size_t)w);
    if (row == NULL)
        return -1;
    while (cinfo.next_scanline < h) {
        fill_row(row, w, h, cinfo.next_scanline, noise, seed);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    return 0;
}

static int write_png(FILE *out, unsigned w, unsigned h, int noise, unsigned seed)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = malloc(3 * (size_t)w);
    if (info == NULL || row == NULL)
        return -1;
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_init_io(png, out);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < h; y++) {
        fill_row(row, w, h, y, noise, seed);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: fq-make-image --jpeg|--png WIDTH HEIGHT OUT [--noise] [--seed N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return usage();
    int jpeg = strcmp(argv[1], "--jpeg") == 0;
    if (!jpeg && strcmp(argv[1], "--png") != 0)
        return usage();
    char *end;
    unsigned long w = strtoul(argv[2], &end, 10);
    if (*end != '\0' || w < 1 || w > 65500)
        return usage();
    unsigned long h = strtoul(argv[3], &end, 10);
    if (*end != '\0' || h < 1 || h > 65500)
        return usage();
    int noise = 0;
    unsigned seed = 1;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--noise") == 0)
            noise = 1;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = (unsigned)strtoul(argv[++i], NULL, 10);
        else
            return usage();
    }
    rng_state ^= seed * 2654435761u;
    FILE *out = fopen(argv[4], "wb");
    if (out == NULL) {
        perror(argv[4]);
        return 1;
    }
    int rv = jpeg ? write_jpeg(out, (unsigned)w, (unsigned)h, noise, seed)
                  : write_png(out, (unsigned)w, (unsigned)h, noise, seed);
    if (fclose(out) != 0 || rv != 0) {
        fprintf(stderr, "fq-make-image: could not write %s\n", argv[4]);
        return 1;
    }
    return 0;
}
