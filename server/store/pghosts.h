/* pghosts: the ways to connect that a libpq conninfo describes.
 *
 * A conninfo that lists several hosts and asks for a kind of server
 * (target_session_attrs read-write, primary, read-only or standby: a test
 * each server passes or fails by itself) becomes one keyword list per
 * host, so that the hosts can be tried side by side (pgconn.c) instead of
 * one after another: libpq alone would hold every attempt on the next host
 * while a vanished one (its network cut) timed out. Any other conninfo
 * becomes one list, the whole conninfo, which libpq reads (expand_dbname)
 * and walks in its own order. The conninfo is parsed by libpq
 * (PQconninfoParse); only its host, hostaddr and port lists are split, by
 * libpq's rule (commas, one port for all or one per host). Each list
 * starts with the caller's defaults, which the conninfo's own settings
 * override (libpq keeps a keyword's last value). No I/O. */
#ifndef FQ_PGHOSTS_H
#define FQ_PGHOSTS_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct fq_pg_host {
    const char **keys, **values; /* NULL-terminated, for PQconnectStartParams */
    int expand_dbname;           /* its last argument */
    char where[128];             /* "host H port P", for logs */
    char *own[3];                /* this host's host, hostaddr and port */
} fq_pg_host;

typedef struct fq_pg_hosts {
    fq_pg_host *host;
    size_t count; /* 1: the whole conninfo, libpq's own walk */
    PQconninfoOption *options;
} fq_pg_hosts;

/* Fills *out from conninfo (which must outlive it) with n_defaults
 * defaults first. 0, or -1 out of memory (*out then holds nothing). */
int fq_pg_hosts_plan(fq_pg_hosts *out, const char *conninfo, const char *const *default_keys,
                     const char *const *default_values, size_t n_defaults);

void fq_pg_hosts_free(fq_pg_hosts *hosts);

#endif
