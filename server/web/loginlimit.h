/* loginlimit: sign-in attempts refused beyond a rate (docs/http-api.md,
 * "Signing in"). Within a sliding minute, after FQ_LOGINLIMIT_PER_ACCOUNT
 * failed attempts naming one account, or FQ_LOGINLIMIT_PER_REMOTE from one
 * address, further attempts are refused whatever the password, until the
 * oldest failure leaves the minute.
 *
 * Pure: functions of (state, input, now); no clock, no I/O. Memory is fixed:
 * a table of FQ_LOGINLIMIT_SLOTS keys, the least recently failed evicted
 * when full (an attacker who floods it can only make the limit forget, never
 * lock out someone who has not failed). */
#ifndef FQ_LOGINLIMIT_H
#define FQ_LOGINLIMIT_H

#include <stdint.h>

#define FQ_LOGINLIMIT_WINDOW_MS 60000
#define FQ_LOGINLIMIT_PER_ACCOUNT 5
#define FQ_LOGINLIMIT_PER_REMOTE 20
#define FQ_LOGINLIMIT_SLOTS 4096
#define FQ_LOGINLIMIT_KEY 72

typedef struct fq_loginlimit_slot {
    char key[FQ_LOGINLIMIT_KEY];                   /* "a:<account>" or "r:<address>"; "" free */
    int64_t failures_ms[FQ_LOGINLIMIT_PER_REMOTE]; /* a ring of failure times */
    unsigned head, count;
    int64_t last_ms;
} fq_loginlimit_slot;

typedef struct fq_loginlimit {
    fq_loginlimit_slot slots[FQ_LOGINLIMIT_SLOTS];
} fq_loginlimit;

void fq_loginlimit_init(fq_loginlimit *l);
/* 0: the attempt may go on. Else the seconds after which it may (>= 1). */
unsigned fq_loginlimit_check(const fq_loginlimit *l, const char *account, const char *remote,
                             int64_t now_ms);
/* A failed attempt (wrong password, unknown or disabled account). */
void fq_loginlimit_failed(fq_loginlimit *l, const char *account, const char *remote,
                          int64_t now_ms);
/* An attempt is counted as failed when it begins (fq_loginlimit_failed
 * before the password is checked), so that attempts sent in parallel,
 * faster than one check, cannot pass the limit; a successful one is then
 * taken back with the time it was counted at. */
void fq_loginlimit_forgive(fq_loginlimit *l, const char *account, const char *remote,
                           int64_t at_ms);

#endif
