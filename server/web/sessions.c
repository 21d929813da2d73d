#include "sessions.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096 /* a power of two */

typedef struct entry {
    struct entry *next;
    uint8_t token_hash[32];
    fq_cached_session session;
} entry;

struct fq_sessions {
    entry *buckets[BUCKETS];
    size_t count;
};

/* The token hash is SHA-256 of 32 random bytes: its first bytes are as good
 * as any hash of it. */
static unsigned bucket_of(const uint8_t token_hash[32])
{
    return ((unsigned)token_hash[0] | (unsigned)token_hash[1] << 8) & (BUCKETS - 1);
}

fq_sessions *fq_sessions_new(void)
{
    return calloc(1, sizeof(fq_sessions));
}

void fq_sessions_clear(fq_sessions *s)
{
    for (unsigned b = 0; b < BUCKETS; b++)
        while (s->buckets[b] != NULL) {
            entry *e = s->buckets[b];
            s->buckets[b] = e->next;
            free(e);
        }
    s->count = 0;
}

void fq_sessions_free(fq_sessions *s)
{
    if (s == NULL)
        return;
    fq_sessions_clear(s);
    free(s);
}

static entry **slot_of(fq_sessions *s, const uint8_t token_hash[32])
{
    entry **p = &s->buckets[bucket_of(token_hash)];
    while (*p != NULL && memcmp((*p)->token_hash, token_hash, 32) != 0)
        p = &(*p)->next;
    return p;
}

void fq_sessions_forget(fq_sessions *s, const uint8_t token_hash[32])
{
    entry **p = slot_of(s, token_hash);
    if (*p == NULL)
        return;
    entry *e = *p;
    *p = e->next;
    free(e);
    s->count--;
}

const fq_cached_session *fq_sessions_find(fq_sessions *s, const uint8_t token_hash[32],
                                          int64_t now_ms)
{
    entry **p = slot_of(s, token_hash);
    if (*p == NULL)
        return NULL;
    if ((*p)->session.s.expires_ms <= now_ms) {
        fq_sessions_forget(s, token_hash);
        return NULL;
    }
    return &(*p)->session;
}

int fq_sessions_put(fq_sessions *s, const uint8_t token_hash[32], const fq_cached_session *session)
{
    entry **p = slot_of(s, token_hash);
    if (*p != NULL) {
        (*p)->session = *session;
        return 0;
    }
    if (s->count >= FQ_SESSIONS_MAX)
        fq_sessions_clear(s), p = slot_of(s, token_hash);
    entry *e = malloc(sizeof *e);
    if (e == NULL)
        return -1;
    memcpy(e->token_hash, token_hash, 32);
    e->session = *session;
    e->next = NULL;
    *p = e;
    s->count++;
    return 0;
}

size_t fq_sessions_count(const fq_sessions *s)
{
    return s->count;
}
