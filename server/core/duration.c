#include "duration.h"

#include <stdio.h>
#include <string.h>

#define BAD "'%s' is not a duration: "
#define LIKE " (write durations like \"30m\", \"2h\", \"7d\", \"1h30m\")"

static const char units[] = "wdhms";
static const uint32_t unit_seconds[] = {604800, 86400, 3600, 60, 1};
#define N_UNITS 5
#define FORMAT_FROM 1 /* formatted in days at most: "14d", never "2w" */

int fq_duration_parse(const char *text, int allow_zero, uint32_t *seconds, char *err,
                      size_t err_len)
{
    uint64_t total = 0;
    int next_unit = 0, groups = 0;
    const char *p = text;
    *seconds = 0;
    if (*p == '\0') {
        snprintf(err, err_len, "empty duration");
        return -1;
    }
    while (*p) {
        if (*p < '0' || *p > '9') {
            snprintf(err, err_len, BAD "a number must come first" LIKE, text);
            return -1;
        }
        const char *digits = p;
        uint64_t n = 0;
        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (uint64_t)(*p - '0');
            if (n > FQ_DURATION_MAX)
                break;
            p++;
        }
        if (n > FQ_DURATION_MAX) {
            snprintf(err, err_len, BAD "longer than %u seconds", text, FQ_DURATION_MAX);
            return -1;
        }
        if (digits[0] == '0' && p - digits > 1) {
            snprintf(err, err_len, BAD "a number with a leading zero" LIKE, text);
            return -1;
        }
        const char *u = *p ? strchr(units, *p) : NULL;
        if (u == NULL) {
            snprintf(err, err_len, BAD "each number needs a unit: w, d, h, m or s" LIKE, text);
            return -1;
        }
        int k = (int)(u - units);
        if (k < next_unit) {
            snprintf(err, err_len, BAD "units come in the order w, d, h, m, s, each once" LIKE,
                     text);
            return -1;
        }
        next_unit = k + 1;
        p++;
        groups++;
        if (n == 0 && (groups > 1 || *p)) {
            snprintf(err, err_len, BAD "leave out a zero part" LIKE, text);
            return -1;
        }
        total += n * unit_seconds[k];
        if (total > FQ_DURATION_MAX) {
            snprintf(err, err_len, BAD "longer than %u seconds", text, FQ_DURATION_MAX);
            return -1;
        }
    }
    if (total == 0 && !allow_zero) {
        snprintf(err, err_len, "'%s': a limit must be longer than zero", text);
        return -1;
    }
    *seconds = (uint32_t)total;
    return 0;
}

void fq_duration_format(uint32_t seconds, char *out, size_t out_len)
{
    size_t len = 0;
    out[0] = '\0';
    if (seconds == 0) {
        snprintf(out, out_len, "0s");
        return;
    }
    for (int k = FORMAT_FROM; k < N_UNITS && len < out_len; k++) {
        uint32_t n = seconds / unit_seconds[k];
        if (n == 0)
            continue;
        seconds -= n * unit_seconds[k];
        int w = snprintf(out + len, out_len - len, "%u%c", n, units[k]);
        if (w < 0)
            return;
        len += (size_t)w;
    }
}
