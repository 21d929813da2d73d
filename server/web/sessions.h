/* sessions: the signed-in browsers the server remembers, by the SHA-256 of
 * their cookie's token. A cache of web_sessions (migrations/0016), which is
 * the truth: a token the cache does not know is looked up there (so sessions
 * survive a restart), and the cache is emptied whenever the directory is
 * reloaded (an account disabled or a node revoked ends its sessions at
 * once). Bounded: at FQ_SESSIONS_MAX entries it is emptied too. */
#ifndef FQ_SESSIONS_H
#define FQ_SESSIONS_H

#include "webreq.h"

#include <stdint.h>

#define FQ_SESSIONS_MAX 20000

/* A session and what its answer shows beside it. */
typedef struct fq_cached_session {
    fq_web_session s;
    char jurisdiction_name[200];
    char serves_name[200]; /* a worker account's worker or unit by name */
} fq_cached_session;

typedef struct fq_sessions fq_sessions;

fq_sessions *fq_sessions_new(void);
void fq_sessions_free(fq_sessions *s);
/* The live session of `token_hash`, NULL when unknown or expired at `now_ms`
 * (an expired one is forgotten). Valid until the next put, forget or clear. */
const fq_cached_session *fq_sessions_find(fq_sessions *s, const uint8_t token_hash[32],
                                          int64_t now_ms);
/* -1 out of memory (the caller goes on without the cache). */
int fq_sessions_put(fq_sessions *s, const uint8_t token_hash[32], const fq_cached_session *session);
void fq_sessions_forget(fq_sessions *s, const uint8_t token_hash[32]);
void fq_sessions_clear(fq_sessions *s);
size_t fq_sessions_count(const fq_sessions *s);

#endif
