/* pbraw: hand-crafting protobuf bytes for tests, independent of protobuf-c,
 * so that frames a stock encoder would never produce (embedded NUL, padded
 * varints, duplicated fields, explicit zeros) can be fed to the decoders. */
#ifndef FQ_TEST_PBRAW_H
#define FQ_TEST_PBRAW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct pbraw {
    uint8_t data[70000];
    size_t len;
} pbraw;

static inline void pb_byte(pbraw *b, uint8_t v)
{
    if (b->len < sizeof b->data)
        b->data[b->len++] = v;
}

static inline void pb_raw(pbraw *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pb_byte(b, ((const uint8_t *)p)[i]);
}

static inline void pb_varint(pbraw *b, uint64_t v)
{
    while (v >= 0x80) {
        pb_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    pb_byte(b, (uint8_t)v);
}

static inline void pb_tag(pbraw *b, unsigned field, unsigned wire_type)
{
    pb_varint(b, ((uint64_t)field << 3) | wire_type);
}

static inline void pb_uint(pbraw *b, unsigned field, uint64_t v)
{
    pb_tag(b, field, 0);
    pb_varint(b, v);
}

static inline void pb_bytes(pbraw *b, unsigned field, const void *p, size_t n)
{
    pb_tag(b, field, 2);
    pb_varint(b, n);
    pb_raw(b, p, n);
}

static inline void pb_str(pbraw *b, unsigned field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

static inline void pb_double(pbraw *b, unsigned field, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    pb_tag(b, field, 1);
    for (int i = 0; i < 8; i++)
        pb_byte(b, (uint8_t)(u >> (8 * i)));
}

static inline void pb_sub(pbraw *b, unsigned field, const pbraw *sub)
{
    pb_bytes(b, field, sub->data, sub->len);
}

#endif
