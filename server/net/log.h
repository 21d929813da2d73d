/* log: fengqiaod's one log format. Every line is logfmt with a timestamp and
 * a level, so an operator's log pipeline (journald, Loki, grep) reads it
 * without guessing:
 *
 *   ts=2026-12-06T05:54:17.123Z level=info comp=store msg="connected to PostgreSQL"
 *
 * ts is UTC with milliseconds; level is debug, info, warn or error; comp
 * names the module ("server", "store", "routing", "web", …); msg is the text,
 * always quoted, with '"', '\\' and control characters escaped. Lines go to
 * stderr; under systemd (JOURNAL_STREAM names stderr) each line also starts
 * with the kernel-style priority prefix "<3>" … "<7>", which journald turns
 * into the entry's priority and strips. */
#ifndef FQ_LOG_H
#define FQ_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum fq_log_level {
    FQ_LOG_DEBUG = 0,
    FQ_LOG_INFO = 1,
    FQ_LOG_WARN = 2,
    FQ_LOG_ERROR = 3,
} fq_log_level;

/* Lines below `level` are dropped (default FQ_LOG_INFO). */
void fq_log_set_level(fq_log_level level);

/* Parses "debug", "info", "warn" or "error"; -1 if none of them. */
int fq_log_level_parse(const char *name);

/* Writes one line. `comp` must be a bare word (no spaces or quotes). */
void fq_log(fq_log_level level, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fq_logv(fq_log_level level, const char *comp, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The line fq_log would write (without the journal prefix or the newline)
 * for a message already formatted, at Unix time `now_ms`: for tests. Returns
 * the length it needed; `out` is always terminated when out_len > 0. */
size_t fq_log_format(char *out, size_t out_len, long long now_ms, fq_log_level level,
                     const char *comp, const char *msg);

#endif
