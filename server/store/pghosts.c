#include "pghosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options a host list spreads over, in fq_pg_host.own's order. */
enum { PER_HOST_HOST, PER_HOST_HOSTADDR, PER_HOST_PORT, PER_HOST_COUNT };
static const char *const per_host_keys[PER_HOST_COUNT] = {"host", "hostaddr", "port"};

/* Comma-separated lists split as libpq splits them (no quoting; an empty
 * entry means the default). */
static size_t list_count(const char *list)
{
    size_t n = 1;
    for (; *list; list++)
        n += *list == ',';
    return n;
}

static char *list_item(const char *list, size_t index)
{
    for (; index > 0; index--)
        list = strchr(list, ',') + 1;
    const char *end = strchr(list, ',');
    return strndup(list, end ? (size_t)(end - list) : strlen(list));
}

/* target_session_attrs whose test one server passes or fails by itself:
 * any host that passes will do. Others (any, prefer-standby) keep libpq's
 * order of preference. */
static int kind_is_decisive(const char *target)
{
    static const char *const decisive[] = {"read-write", "primary", "read-only", "standby"};
    for (size_t i = 0; i < sizeof decisive / sizeof decisive[0]; i++)
        if (strcmp(target, decisive[i]) == 0)
            return 1;
    return 0;
}

void fq_pg_hosts_free(fq_pg_hosts *hosts)
{
    for (size_t i = 0; hosts->host != NULL && i < hosts->count; i++) {
        free(hosts->host[i].keys);
        free(hosts->host[i].values);
        for (int k = 0; k < PER_HOST_COUNT; k++)
            free(hosts->host[i].own[k]);
    }
    free(hosts->host);
    if (hosts->options != NULL)
        PQconninfoFree(hosts->options);
    memset(hosts, 0, sizeof *hosts);
}

static int plan_whole(fq_pg_hosts *out, const char *conninfo, const char *const *default_keys,
                      const char *const *default_values, size_t n_defaults)
{
    out->host = calloc(1, sizeof *out->host);
    if (out->host == NULL)
        return -1;
    out->count = 1;
    fq_pg_host *h = &out->host[0];
    h->keys = calloc(n_defaults + 2, sizeof *h->keys);
    h->values = calloc(n_defaults + 2, sizeof *h->values);
    if (h->keys == NULL || h->values == NULL)
        return -1;
    for (size_t i = 0; i < n_defaults; i++) {
        h->keys[i] = default_keys[i];
        h->values[i] = default_values[i];
    }
    /* Expanded (expand_dbname): a URI, a list of hosts, libpq's errors. */
    h->keys[n_defaults] = "dbname";
    h->values[n_defaults] = conninfo;
    h->expand_dbname = 1;
    snprintf(h->where, sizeof h->where, "the conninfo's hosts in order");
    return 0;
}

int fq_pg_hosts_plan(fq_pg_hosts *out, const char *conninfo, const char *const *default_keys,
                     const char *const *default_values, size_t n_defaults)
{
    memset(out, 0, sizeof *out);
    char *parse_error = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &parse_error);
    PQfreemem(parse_error);
    const char *per_host[PER_HOST_COUNT] = {NULL};
    const char *target = NULL;
    size_t n_opts = 0, hosts = 0;
    for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        n_opts++;
        for (int k = 0; k < PER_HOST_COUNT; k++)
            if (strcmp(o->keyword, per_host_keys[k]) == 0 && o->val[0] != '\0')
                per_host[k] = o->val;
        if (strcmp(o->keyword, "target_session_attrs") == 0)
            target = o->val;
    }
    if (target != NULL && kind_is_decisive(target)) {
        const char *list =
            per_host[PER_HOST_HOST] ? per_host[PER_HOST_HOST] : per_host[PER_HOST_HOSTADDR];
        hosts = list ? list_count(list) : 0;
        /* Lists libpq would refuse: it says why, given the whole. */
        if (per_host[PER_HOST_HOSTADDR] && list_count(per_host[PER_HOST_HOSTADDR]) != hosts)
            hosts = 0;
        if (per_host[PER_HOST_PORT] && list_count(per_host[PER_HOST_PORT]) != 1 &&
            list_count(per_host[PER_HOST_PORT]) != hosts)
            hosts = 0;
    }
    if (hosts < 2) {
        PQconninfoFree(opts);
        if (plan_whole(out, conninfo, default_keys, default_values, n_defaults) != 0) {
            fq_pg_hosts_free(out);
            return -1;
        }
        return 0;
    }
    out->options = opts;
    out->host = calloc(hosts, sizeof *out->host);
    if (out->host == NULL) {
        fq_pg_hosts_free(out);
        return -1;
    }
    out->count = hosts;
    for (size_t i = 0; i < hosts; i++) {
        fq_pg_host *h = &out->host[i];
        size_t n = 0;
        h->keys = calloc(n_defaults + n_opts + 1, sizeof *h->keys);
        h->values = calloc(n_defaults + n_opts + 1, sizeof *h->values);
        if (h->keys == NULL || h->values == NULL) {
            fq_pg_hosts_free(out);
            return -1;
        }
        for (size_t d = 0; d < n_defaults; d++, n++) {
            h->keys[n] = default_keys[d];
            h->values[n] = default_values[d];
        }
        for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
            if (o->val == NULL)
                continue;
            int k = 0;
            while (k < PER_HOST_COUNT && strcmp(o->keyword, per_host_keys[k]) != 0)
                k++;
            if (k == PER_HOST_COUNT) {
                h->keys[n] = o->keyword;
                h->values[n++] = o->val;
                continue;
            }
            if (per_host[k] == NULL)
                continue;
            h->own[k] = list_item(per_host[k], list_count(per_host[k]) == 1 ? 0 : i);
            if (h->own[k] == NULL) {
                fq_pg_hosts_free(out);
                return -1;
            }
            h->keys[n] = per_host_keys[k];
            h->values[n++] = h->own[k];
        }
        const char *name = h->own[PER_HOST_HOST] && h->own[PER_HOST_HOST][0]
                               ? h->own[PER_HOST_HOST]
                               : h->own[PER_HOST_HOSTADDR];
        const char *port = h->own[PER_HOST_PORT];
        snprintf(h->where, sizeof h->where, "host %s port %s", name && name[0] ? name : "(default)",
                 port && port[0] ? port : "(default)");
    }
    return 0;
}
