#include "readiness.h"

#include <stdio.h>
#include <string.h>

int fq_readiness_ready(const fq_readiness *r)
{
    return r->database && r->routing && r->guard && !r->standby && !r->draining;
}

size_t fq_readiness_failing(const fq_readiness *r, const char *names[FQ_READINESS_CONDITIONS])
{
    size_t n = 0;
    if (!r->database)
        names[n++] = "database";
    if (!r->routing)
        names[n++] = "routing";
    if (!r->guard)
        names[n++] = "guard";
    if (r->standby)
        names[n++] = "standby";
    if (r->draining)
        names[n++] = "draining";
    return n;
}

static const char *why(const char *name)
{
    if (strcmp(name, "database") == 0)
        return "the database is not connected";
    if (strcmp(name, "routing") == 0)
        return "no routing state is loaded";
    if (strcmp(name, "guard") == 0)
        return "the serving lock is not held (another server may hold it)";
    return "the server is stopping";
}

void fq_readiness_describe(const fq_readiness *r, char *out, size_t len)
{
    const char *names[FQ_READINESS_CONDITIONS];
    size_t n = fq_readiness_failing(r, names);
    if (len == 0)
        return;
    if (n == 0) {
        snprintf(out, len, "ready");
        return;
    }
    size_t used = (size_t)snprintf(out, len, "not ready: ");
    for (size_t i = 0; i < n && used < len; i++) {
        if (strcmp(names[i], "standby") == 0 && r->standby_point >= 0)
            used += (size_t)snprintf(out + used, len - used, "%sstandby (warm, at event %lld)",
                                     i ? "; " : "", r->standby_point);
        else if (strcmp(names[i], "standby") == 0)
            used += (size_t)snprintf(out + used, len - used, "%sstandby (loading)", i ? "; " : "");
        else
            used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "; " : "", why(names[i]));
    }
}
