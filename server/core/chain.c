#include "chain.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

/* SHA-256 by OpenSSL where it can: its code uses the CPU's SHA extensions,
 * and hashes a report's events (a few hundred bytes each, three a report)
 * about five times faster than libsodium's portable code (0.6 against 2.9
 * us for 700 bytes on the benchmark machine), which the server pays for
 * every event it writes. libsodium's when OpenSSL cannot give a context
 * (out of memory): the same function, so the same hash. */
typedef struct hasher {
    EVP_MD_CTX *evp; /* NULL: libsodium's state below */
    crypto_hash_sha256_state sodium;
} hasher;

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md; /* fetched once: an implicit fetch per hash costs more than the hash */

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void h_init(hasher *h)
{
    pthread_once(&sha256_once, fetch_sha256);
    h->evp = sha256_md != NULL ? EVP_MD_CTX_new() : NULL;
    if (h->evp != NULL && EVP_DigestInit_ex2(h->evp, sha256_md, NULL) != 1) {
        EVP_MD_CTX_free(h->evp);
        h->evp = NULL;
    }
    if (h->evp == NULL)
        crypto_hash_sha256_init(&h->sodium);
}

static void h_update(hasher *h, const void *bytes, size_t len)
{
    /* EVP_DigestUpdate of an initialised SHA-256 context does not fail. */
    if (h->evp != NULL)
        EVP_DigestUpdate(h->evp, bytes, len);
    else
        crypto_hash_sha256_update(&h->sodium, bytes, len);
}

static void h_final(hasher *h, uint8_t out[FQ_CHAIN_HASH_BYTES])
{
    if (h->evp != NULL) {
        unsigned int n = 0;
        EVP_DigestFinal_ex(h->evp, out, &n);
        EVP_MD_CTX_free(h->evp);
        h->evp = NULL;
    } else {
        crypto_hash_sha256_final(&h->sodium, out);
    }
}

static void put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

/* len-prefixed: a 4-byte big-endian length, then the bytes; NULL is the
 * length 0xffffffff and nothing else. */
static void hash_lp(hasher *h, const void *bytes, size_t len)
{
    uint8_t prefix[4];
    uint32_t n = bytes == NULL ? UINT32_MAX : (uint32_t)len;
    prefix[0] = (uint8_t)(n >> 24);
    prefix[1] = (uint8_t)(n >> 16);
    prefix[2] = (uint8_t)(n >> 8);
    prefix[3] = (uint8_t)n;
    h_update(h, prefix, sizeof prefix);
    if (bytes != NULL)
        h_update(h, bytes, len);
}

void fq_chain_hash(const uint8_t prev[FQ_CHAIN_HASH_BYTES], const fq_chain_event *e,
                   uint8_t out[FQ_CHAIN_HASH_BYTES])
{
    hasher h;
    uint8_t be[8];
    h_init(&h);
    h_update(&h, prev, FQ_CHAIN_HASH_BYTES);
    put_be64(be, (uint64_t)e->seq);
    h_update(&h, be, 8);
    put_be64(be, (uint64_t)e->incident_id);
    h_update(&h, be, 8);
    hash_lp(&h, e->kind, e->kind_len);
    hash_lp(&h, e->actor, e->actor_len);
    put_be64(be, (uint64_t)e->at_us);
    h_update(&h, be, 8);
    hash_lp(&h, e->reason, e->reason_len);
    hash_lp(&h, e->payload, e->payload_len);
    h_final(&h, out);
}

void fq_chain_append(fq_chain_head *head, fq_chain_event *e, uint8_t prev_out[FQ_CHAIN_HASH_BYTES],
                     uint8_t hash_out[FQ_CHAIN_HASH_BYTES])
{
    e->seq = head->seq + 1;
    if (prev_out != NULL)
        memcpy(prev_out, head->hash, FQ_CHAIN_HASH_BYTES);
    fq_chain_hash(head->hash, e, hash_out);
    head->seq = e->seq;
    memcpy(head->hash, hash_out, FQ_CHAIN_HASH_BYTES);
}
