#include "chain.h"

#include <sodium.h>
#include <string.h>

static void put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

/* len-prefixed: a 4-byte big-endian length, then the bytes; NULL is the
 * length 0xffffffff and nothing else. */
static void hash_lp(crypto_hash_sha256_state *st, const void *bytes, size_t len)
{
    uint8_t prefix[4];
    uint32_t n = bytes == NULL ? UINT32_MAX : (uint32_t)len;
    prefix[0] = (uint8_t)(n >> 24);
    prefix[1] = (uint8_t)(n >> 16);
    prefix[2] = (uint8_t)(n >> 8);
    prefix[3] = (uint8_t)n;
    crypto_hash_sha256_update(st, prefix, sizeof prefix);
    if (bytes != NULL)
        crypto_hash_sha256_update(st, bytes, len);
}

void fq_chain_hash(const uint8_t prev[FQ_CHAIN_HASH_BYTES], const fq_chain_event *e,
                   uint8_t out[FQ_CHAIN_HASH_BYTES])
{
    crypto_hash_sha256_state st;
    uint8_t be[8];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, FQ_CHAIN_HASH_BYTES);
    put_be64(be, (uint64_t)e->seq);
    crypto_hash_sha256_update(&st, be, 8);
    put_be64(be, (uint64_t)e->incident_id);
    crypto_hash_sha256_update(&st, be, 8);
    hash_lp(&st, e->kind, e->kind_len);
    hash_lp(&st, e->actor, e->actor_len);
    put_be64(be, (uint64_t)e->at_us);
    crypto_hash_sha256_update(&st, be, 8);
    hash_lp(&st, e->reason, e->reason_len);
    hash_lp(&st, e->payload, e->payload_len);
    crypto_hash_sha256_final(&st, out);
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
