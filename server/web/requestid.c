#include "requestid.h"

#include <sodium.h>
#include <string.h>

uint64_t fq_request_message_id(const char *node, const char *request_id)
{
    crypto_generichash_state st;
    uint8_t h[8];
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    /* The NUL keeps ("p.a", "bc") apart from ("p.ab", "c"). */
    crypto_generichash_update(&st, (const uint8_t *)node, strlen(node) + 1);
    crypto_generichash_update(&st, (const uint8_t *)request_id, strlen(request_id));
    crypto_generichash_final(&st, h, sizeof h);
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | h[i];
    id &= INT64_MAX;
    return id ? id : 1;
}
