#include "loginlimit.h"

#include <stdio.h>
#include <string.h>

void fq_loginlimit_init(fq_loginlimit *l)
{
    memset(l, 0, sizeof *l);
}

static void make_key(char out[FQ_LOGINLIMIT_KEY], char kind, const char *name)
{
    snprintf(out, FQ_LOGINLIMIT_KEY, "%c:%s", kind, name);
}

/* FNV-1a: the table is probed from the key's hash. */
static unsigned key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

#define PROBE 16

static const fq_loginlimit_slot *find(const fq_loginlimit *l, const char *key)
{
    unsigned h = key_hash(key);
    for (unsigned i = 0; i < PROBE; i++) {
        const fq_loginlimit_slot *s = &l->slots[(h + i) % FQ_LOGINLIMIT_SLOTS];
        if (strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

/* Failures of `s` still inside the window at `now`, and when the oldest of
 * the last `limit` of them leaves it. */
static unsigned recent(const fq_loginlimit_slot *s, unsigned limit, int64_t now_ms,
                       int64_t *frees_at)
{
    unsigned n = 0;
    *frees_at = 0;
    for (unsigned i = 0; i < s->count && n < limit; i++) {
        /* newest first */
        unsigned idx = (s->head + FQ_LOGINLIMIT_PER_REMOTE - 1 - i) % FQ_LOGINLIMIT_PER_REMOTE;
        int64_t at = s->failures_ms[idx];
        if (now_ms - at >= FQ_LOGINLIMIT_WINDOW_MS)
            break;
        n++;
        *frees_at = at + FQ_LOGINLIMIT_WINDOW_MS;
    }
    return n;
}

static unsigned wait_s(const fq_loginlimit *l, char kind, const char *name, unsigned limit,
                       int64_t now_ms)
{
    char key[FQ_LOGINLIMIT_KEY];
    make_key(key, kind, name);
    const fq_loginlimit_slot *s = find(l, key);
    int64_t frees_at;
    if (s == NULL || recent(s, limit, now_ms, &frees_at) < limit)
        return 0;
    int64_t ms = frees_at - now_ms;
    return ms <= 1000 ? 1 : (unsigned)((ms + 999) / 1000);
}

unsigned fq_loginlimit_check(const fq_loginlimit *l, const char *account, const char *remote,
                             int64_t now_ms)
{
    unsigned a = wait_s(l, 'a', account, FQ_LOGINLIMIT_PER_ACCOUNT, now_ms);
    unsigned r = wait_s(l, 'r', remote, FQ_LOGINLIMIT_PER_REMOTE, now_ms);
    return a > r ? a : r;
}

static void record(fq_loginlimit *l, char kind, const char *name, int64_t now_ms)
{
    char key[FQ_LOGINLIMIT_KEY];
    make_key(key, kind, name);
    unsigned h = key_hash(key);
    fq_loginlimit_slot *victim = NULL;
    for (unsigned i = 0; i < PROBE; i++) {
        fq_loginlimit_slot *s = &l->slots[(h + i) % FQ_LOGINLIMIT_SLOTS];
        if (strcmp(s->key, key) == 0) {
            victim = s;
            break;
        }
        /* A free slot, else the one that failed longest ago is evicted. */
        if (victim == NULL ||
            (victim->key[0] != '\0' && (s->key[0] == '\0' || s->last_ms < victim->last_ms)))
            victim = s;
    }
    if (strcmp(victim->key, key) != 0) {
        memset(victim, 0, sizeof *victim);
        memcpy(victim->key, key, sizeof victim->key);
    }
    victim->failures_ms[victim->head] = now_ms;
    victim->head = (victim->head + 1) % FQ_LOGINLIMIT_PER_REMOTE;
    if (victim->count < FQ_LOGINLIMIT_PER_REMOTE)
        victim->count++;
    victim->last_ms = now_ms;
}

void fq_loginlimit_failed(fq_loginlimit *l, const char *account, const char *remote, int64_t now_ms)
{
    record(l, 'a', account, now_ms);
    record(l, 'r', remote, now_ms);
}

/* Takes back the failure recorded at `at_ms` (the newest one with that
 * time): the ring is rebuilt oldest first without it. */
static void unrecord(fq_loginlimit *l, char kind, const char *name, int64_t at_ms)
{
    char key[FQ_LOGINLIMIT_KEY];
    make_key(key, kind, name);
    fq_loginlimit_slot *s = (fq_loginlimit_slot *)find(l, key);
    if (s == NULL)
        return;
    int64_t kept[FQ_LOGINLIMIT_PER_REMOTE];
    unsigned n = 0, skipped = 0;
    for (unsigned i = 0; i < s->count; i++) { /* newest first */
        unsigned idx = (s->head + FQ_LOGINLIMIT_PER_REMOTE - 1 - i) % FQ_LOGINLIMIT_PER_REMOTE;
        if (!skipped && s->failures_ms[idx] == at_ms) {
            skipped = 1;
            continue;
        }
        kept[n++] = s->failures_ms[idx];
    }
    if (!skipped)
        return;
    for (unsigned i = 0; i < n; i++)
        s->failures_ms[i] = kept[n - 1 - i];
    s->count = n;
    s->head = n % FQ_LOGINLIMIT_PER_REMOTE;
}

void fq_loginlimit_forgive(fq_loginlimit *l, const char *account, const char *remote, int64_t at_ms)
{
    unrecord(l, 'a', account, at_ms);
    unrecord(l, 'r', remote, at_ms);
}
