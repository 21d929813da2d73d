#include "conninfo.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int fq_conninfo_has_password(const char *conninfo, char *err, size_t err_len)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (opts == NULL) {
        /* libpq's message ends with a newline: drop it. */
        snprintf(err, err_len, "%s", why != NULL ? why : "out of memory");
        size_t n = strlen(err);
        if (n > 0 && err[n - 1] == '\n')
            err[n - 1] = '\0';
        PQfreemem(why);
        return -1;
    }
    int has = 0;
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
            has = 1;
    PQconninfoFree(opts);
    return has;
}
