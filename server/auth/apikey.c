#include "apikey.h"

#include <sodium.h>
#include <string.h>

void fq_apikey_new(char out[FQ_APIKEY_CHARS + 1])
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, FQ_APIKEY_PREFIX, sizeof FQ_APIKEY_PREFIX - 1);
    sodium_bin2base64(out + sizeof FQ_APIKEY_PREFIX - 1,
                      FQ_APIKEY_CHARS + 1 - (sizeof FQ_APIKEY_PREFIX - 1), raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

int fq_apikey_well_formed(const char *key, size_t len)
{
    if (len != FQ_APIKEY_CHARS || memcmp(key, FQ_APIKEY_PREFIX, sizeof FQ_APIKEY_PREFIX - 1) != 0)
        return 0;
    for (size_t i = sizeof FQ_APIKEY_PREFIX - 1; i < len; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

void fq_apikey_hash(const char *key, size_t len, uint8_t out[FQ_APIKEY_HASH_BYTES])
{
    crypto_generichash(out, FQ_APIKEY_HASH_BYTES, (const uint8_t *)key, len, NULL, 0);
}
