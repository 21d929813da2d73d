/* apikey: the keys Open311 clients present (docs/open311.md, "Keys").
 *
 * A key is "fq311_" and 32 random bytes in unpadded base64url (49
 * characters). Only its BLAKE2b-256 is stored (api_keys.key_hash): the key
 * has 256 bits of entropy, so no one can find it from the hash by trying
 * keys, and a fast unkeyed hash is enough — a slow password hash (Argon2id)
 * is for secrets people choose, which can be guessed. Being fast, checking a
 * key costs the server nothing an attacker could use to load it. */
#ifndef FQ_APIKEY_H
#define FQ_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#define FQ_APIKEY_PREFIX "fq311_"
#define FQ_APIKEY_CHARS 49 /* "fq311_" + 43 */
#define FQ_APIKEY_SHOWN 12 /* what `apikey list` shows of a key: "fq311_" + 6 */
#define FQ_APIKEY_HASH_BYTES 32

/* A new random key, NUL-terminated, into out[FQ_APIKEY_CHARS + 1]. */
void fq_apikey_new(char out[FQ_APIKEY_CHARS + 1]);
/* 1 when `key` (len bytes) has the shape of a key. */
int fq_apikey_well_formed(const char *key, size_t len);
/* The stored hash of a key. */
void fq_apikey_hash(const char *key, size_t len, uint8_t out[FQ_APIKEY_HASH_BYTES]);

#endif
