/* An always-on assertion for the fuzz drivers (NDEBUG must not silence it):
 * libFuzzer reports the abort as a crash and saves the input. */
#ifndef FQ_FUZZ_CHECK_H
#define FQ_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FQ_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
