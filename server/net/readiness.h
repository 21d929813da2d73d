/* readiness: when fengqiaod is ready to serve, decided in one place.
 *
 * Ready means all five: the writes store is connected to PostgreSQL, a
 * routing state is loaded (a directory without routing answers reports
 * busy), this server holds the database's serving lock (one fengqiaod per
 * database, docs/operations.md), it is not a standby whose state is not yet
 * caught up, and it is not draining for a stop. The
 * server feeds each change in (server.c, readiness_changed) and acts when the
 * answer changes: the --ready-file, /readyz, systemd's READY/STOPPING. Pure. */
#ifndef FQ_READINESS_H
#define FQ_READINESS_H

#include <stddef.h>

typedef struct fq_readiness {
    int database; /* the writes store is connected (and loaded its directory on it) */
    int routing;  /* a routing state is installed */
    int guard;    /* the serving lock is held */
    int draining; /* a stop has begun */
    /* A warm standby (docs/operations.md, "A standby"): its open incidents
     * are at event standby_point (-1: not loaded yet), and it does not
     * serve until it holds the lock and has caught up from there. */
    int standby;
    long long standby_point;
} fq_readiness;

#define FQ_READINESS_CONDITIONS 5

/* 1 when ready. */
int fq_readiness_ready(const fq_readiness *r);

/* The names of the conditions that fail, in a fixed order ("database",
 * "routing", "guard", "standby", "draining"), into names[FQ_READINESS_CONDITIONS];
 * returns how many. */
size_t fq_readiness_failing(const fq_readiness *r, const char *names[FQ_READINESS_CONDITIONS]);

/* What fails, for a person: "ready", or e.g. "not ready: the database is not
 * connected; another server holds the serving lock", "not ready: ...;
 * standby (warm, at event 1234)". */
void fq_readiness_describe(const fq_readiness *r, char *out, size_t len);

#endif
