/* An always-on assertion for the fuzz drivers (NDEBUG must not silence it):
 * libFuzzer reports the abort as a crash and saves the input. */
#ifndef FQ_FUZZ_CHECK_H
#define FQ_FUZZ_CHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FQ_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A decoded message packed and unpacked again (what the endpoint will read);
 * the caller checks it against m and frees it (protobuf_c_message_free_unpacked). */
static inline void *fq_fuzz_repack(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    FQ_FUZZ_CHECK(buf != NULL);
    FQ_FUZZ_CHECK(protobuf_c_message_pack(m, buf) == len);
    ProtobufCMessage *back = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    FQ_FUZZ_CHECK(back != NULL);
    free(buf);
    return back;
}

#endif
