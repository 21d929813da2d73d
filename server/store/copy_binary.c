#include "copy_binary.h"

#include <string.h>

static const uint8_t signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void fq_copy_binary_init(fq_copy_binary *c)
{
    memset(c, 0, sizeof *c);
}

int fq_copy_binary_message(fq_copy_binary *c, const uint8_t *msg, size_t len)
{
    c->p = msg;
    c->end = msg + len;
    if (c->ended && len > 0)
        return -1;
    if (c->header_read)
        return 0;
    /* Signature, flags, and the extension's length and bytes, skipped.
     * Flags 16-31 change the format (16: OIDs, which no query of ours
     * has): a reader must stop at any; 0-15 are to be ignored. */
    if (len < sizeof signature + 8 || memcmp(msg, signature, sizeof signature) != 0)
        return -1;
    uint32_t flags = get_u32(msg + sizeof signature);
    uint32_t extension = get_u32(msg + sizeof signature + 4);
    if ((flags & 0xffff0000u) != 0 || extension > len - sizeof signature - 8)
        return -1;
    c->p = msg + sizeof signature + 8 + extension;
    c->header_read = 1;
    return 0;
}

int fq_copy_binary_row(fq_copy_binary *c, fq_pgfield *fields, int max_fields, int *nfields)
{
    *nfields = 0;
    if (c->ended || c->p == c->end)
        return 0;
    if (c->end - c->p < 2)
        return -1;
    int16_t count = (int16_t)(c->p[0] << 8 | c->p[1]);
    c->p += 2;
    if (count == -1) {
        c->ended = 1;
        return c->p == c->end ? 0 : -1;
    }
    if (count < 0 || count > max_fields)
        return -1;
    const uint8_t *p = c->p;
    for (int i = 0; i < count; i++) {
        if (c->end - p < 4)
            return -1;
        int32_t len = (int32_t)get_u32(p);
        p += 4;
        if (len < -1 || (len > 0 && c->end - p < len))
            return -1;
        fields[i].p = len == -1 ? NULL : p;
        fields[i].len = len;
        if (len > 0)
            p += len;
    }
    c->p = p;
    *nfields = count;
    return 1;
}
