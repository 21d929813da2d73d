/* password: people's passwords as libsodium's crypto_pwhash_str (Argon2id,
 * OPSLIMIT/MEMLIMIT_INTERACTIVE; the salt and cost live in the string).
 * Slow by design (tens of milliseconds, 64 MiB): the server calls
 * fq_password_verify on libuv's thread pool, never on the loop thread. */
#ifndef FQ_PASSWORD_H
#define FQ_PASSWORD_H

#include <sodium.h>
#include <stddef.h>

#define FQ_PASSWORD_MIN 10
#define FQ_PASSWORD_MAX 1024
#define FQ_PASSWORD_HASH_BYTES crypto_pwhash_STRBYTES

/* 0 and the hash in `out`; -1 out of memory (Argon2id's 64 MiB). The
 * length rules are the caller's (fq_password_acceptable). */
int fq_password_hash(const char *password, size_t len, char out[FQ_PASSWORD_HASH_BYTES]);
/* 1 when `password` matches `hash`, else 0 (a malformed hash included). */
int fq_password_verify(const char *hash, const char *password, size_t len);
/* NULL when acceptable, else why not (for people). */
const char *fq_password_acceptable(const char *password, size_t len);
/* A hash of a random password, made once: an unknown account is verified
 * against it so that it takes as long as a wrong password. NULL when out of
 * memory. */
const char *fq_password_dummy_hash(void);

#endif
