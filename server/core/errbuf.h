/* errbuf: the error convention of the pure modules: a function that fails
 * writes a sentence into the caller's buffer and returns -1. */
#ifndef FQ_ERRBUF_H
#define FQ_ERRBUF_H

#include <stddef.h>

/* Formats into err (always terminated) and returns -1. */
__attribute__((format(printf, 3, 4))) int fq_errf(char *err, size_t err_len, const char *fmt, ...);

#endif
