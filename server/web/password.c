#include "password.h"

#include <string.h>

int fq_password_hash(const char *password, size_t len, char out[FQ_PASSWORD_HASH_BYTES])
{
    return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
               ? 0
               : -1;
}

int fq_password_verify(const char *hash, const char *password, size_t len)
{
    return crypto_pwhash_str_verify(hash, password, len) == 0;
}

const char *fq_password_acceptable(const char *password, size_t len)
{
    if (len < FQ_PASSWORD_MIN)
        return "a password has at least 10 characters";
    if (len > FQ_PASSWORD_MAX)
        return "a password has at most 1024 bytes";
    if (memchr(password, '\0', len) != NULL)
        return "a password has no NUL character";
    return NULL;
}

const char *fq_password_dummy_hash(void)
{
    static char dummy[FQ_PASSWORD_HASH_BYTES];
    if (dummy[0] == '\0') {
        char random[32];
        randombytes_buf(random, sizeof random);
        if (fq_password_hash(random, sizeof random, dummy) != 0)
            return NULL;
    }
    return dummy;
}
