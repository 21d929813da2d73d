#include "keyseal.h"

#include "fq_keyfile.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define AD_PREFIX "fengqiao node key v1:"

_Static_assert(FQ_SEALED_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 32 +
                                          crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "sealed layout");

int fq_server_key_load(const char *path, uint8_t key[FQ_SERVER_KEY_BYTES], char *err,
                       size_t err_len)
{
    char why[512];
    if (fq_key_file_read(path, key, FQ_SERVER_KEY_BYTES, why, sizeof why) != 0) {
        snprintf(err, err_len, "server key: %s", why);
        return -1;
    }
    return 0;
}

int fq_server_key_create(const char *path, char *err, size_t err_len)
{
    uint8_t key[FQ_SERVER_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    char why[512];
    int rv = fq_key_file_create(path, key, sizeof key, why, sizeof why);
    sodium_memzero(key, sizeof key);
    if (rv != 0)
        snprintf(err, err_len, "server key: %s", why);
    return rv;
}

static size_t associated_data(const char *node_id, unsigned char *ad, size_t ad_cap)
{
    int n = snprintf((char *)ad, ad_cap, AD_PREFIX "%s", node_id);
    return n < 0 ? 0 : ((size_t)n < ad_cap ? (size_t)n : ad_cap - 1);
}

void fq_key_seal(const uint8_t server_key[FQ_SERVER_KEY_BYTES], const char *node_id,
                 const uint8_t node_key[32], uint8_t sealed[FQ_SEALED_KEY_BYTES])
{
    unsigned char ad[128];
    size_t ad_len = associated_data(node_id, ad, sizeof ad);
    uint8_t *nonce = sealed;
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long c_len;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &c_len, node_key, 32, ad, ad_len,
        NULL, nonce, server_key);
}

int fq_key_unseal(const uint8_t server_key[FQ_SERVER_KEY_BYTES], const char *node_id,
                  const uint8_t *sealed, size_t sealed_len, uint8_t node_key[32])
{
    if (sealed_len != FQ_SEALED_KEY_BYTES)
        return -1;
    unsigned char ad[128];
    size_t ad_len = associated_data(node_id, ad, sizeof ad);
    unsigned long long m_len;
    const size_t npub = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(node_key, &m_len, NULL, sealed + npub,
                                                   sealed_len - npub, ad, ad_len, sealed,
                                                   server_key) != 0 ||
        m_len != 32)
        return -1;
    return 0;
}
