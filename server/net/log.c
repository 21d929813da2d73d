#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static fq_log_level min_level = FQ_LOG_INFO;
static int journal = -1; /* -1: not yet known */

static const char *const level_names[] = {"debug", "info", "warn", "error"};
/* syslog priorities: debug 7, info 6, warning 4, err 3 */
static const int journal_priority[] = {7, 6, 4, 3};

void fq_log_set_level(fq_log_level level)
{
    min_level = level;
}

int fq_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr; stderr redirected elsewhere (a test's log file) keeps plain lines. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    unsigned long long dev, ino;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

size_t fq_log_format(char *out, size_t out_len, long long now_ms, fq_log_level level,
                     const char *comp, const char *msg)
{
    char stamp[40];
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03dZ", (int)(now_ms % 1000));
    if ((unsigned)level > FQ_LOG_ERROR)
        level = FQ_LOG_ERROR;
    size_t len = 0;
    char head[128];
    int h = snprintf(head, sizeof head, "ts=%s level=%s comp=%s msg=\"", stamp, level_names[level],
                     comp);
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (len + 1 < out_len)                                                                     \
            out[len] = (c);                                                                        \
        len++;                                                                                     \
    } while (0)
    for (int i = 0; i < h && (size_t)i < sizeof head - 1; i++)
        PUT(head[i]);
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '"' || *p == '\\') {
            PUT('\\');
            PUT((char)*p);
        } else if (*p == '\n') {
            PUT('\\');
            PUT('n');
        } else if (*p == '\t') {
            PUT('\\');
            PUT('t');
        } else if (*p < 0x20 || *p == 0x7f) {
            PUT('\\');
            PUT('x');
            PUT(hex[*p >> 4]);
            PUT(hex[*p & 15]);
        } else {
            PUT((char)*p);
        }
    }
    PUT('"');
#undef PUT
    if (out_len > 0)
        out[len < out_len ? len : out_len - 1] = '\0';
    return len;
}

void fq_logv(fq_log_level level, const char *comp, const char *fmt, va_list ap)
{
    if (level < min_level)
        return;
    if (journal < 0)
        journal = stderr_is_journal();
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char line[4200];
    size_t n = fq_log_format(line, sizeof line, now_ms, level, comp, msg);
    if (n >= sizeof line)
        n = sizeof line - 1;
    /* One write per line, so lines of concurrent writers never interleave. */
    char out[4300];
    int p = journal ? snprintf(out, sizeof out, "<%d>", journal_priority[level]) : 0;
    memcpy(out + p, line, n);
    out[p + n] = '\n';
    fwrite(out, 1, p + n + 1, stderr);
    fflush(stderr);
}

void fq_log(fq_log_level level, const char *comp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fq_logv(level, comp, fmt, ap);
    va_end(ap);
}
