#include "allowlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned bits;
} block;

struct fq_allowlist {
    size_t n;
    block blocks[];
};

/* The first `bits` bits of a and b agree. */
static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int parse_block(const char *item, block *out, char *err, size_t err_len)
{
    char text[INET6_ADDRSTRLEN + 8];
    if (strlen(item) >= sizeof text) {
        snprintf(err, err_len, "'%s' is not an address or ADDR/BITS", item);
        return -1;
    }
    snprintf(text, sizeof text, "%s", item);
    char *slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    memset(out, 0, sizeof *out);
    unsigned max;
    if (inet_pton(AF_INET, text, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, text, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        snprintf(err, err_len, "'%s' is not an IPv4 or IPv6 address", text);
        return -1;
    }
    out->bits = max;
    if (slash != NULL) {
        char *end;
        unsigned long bits = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || slash[1] == '-' || bits > max) {
            snprintf(err, err_len, "'%s': the prefix length must be 0 to %u", item, max);
            return -1;
        }
        out->bits = (unsigned)bits;
        uint8_t zero[16] = {0};
        uint8_t host[16];
        memcpy(host, out->addr, sizeof host);
        /* Clear the network part: what is left are host bits. */
        for (unsigned i = 0; i < out->bits; i++)
            host[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
        if (memcmp(host, zero, max / 8) != 0) {
            snprintf(err, err_len, "'%s' has host bits set (did you mean a whole network?)", item);
            return -1;
        }
    }
    return 0;
}

fq_allowlist *fq_allowlist_parse(const char *text, char *err, size_t err_len)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    fq_allowlist *list = calloc(1, sizeof *list + n * sizeof(block));
    char *copy = strdup(text);
    if (list == NULL || copy == NULL) {
        snprintf(err, err_len, "out of memory");
        free(list);
        free(copy);
        return NULL;
    }
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        size_t len = strlen(item);
        while (len > 0 && item[len - 1] == ' ')
            item[--len] = '\0';
        if (parse_block(item, &list->blocks[list->n], err, err_len) != 0) {
            free(copy);
            free(list);
            return NULL;
        }
        list->n++;
    }
    free(copy);
    if (list->n == 0) {
        snprintf(err, err_len, "the list is empty");
        free(list);
        return NULL;
    }
    return list;
}

void fq_allowlist_free(fq_allowlist *list)
{
    free(list);
}

int fq_allowlist_allows(const fq_allowlist *list, const struct sockaddr *peer)
{
    uint8_t addr[16];
    int family;
    if (peer->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    } else if (peer->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            memcpy(addr, a6->s6_addr + 12, 4);
        } else {
            family = AF_INET6;
            memcpy(addr, a6->s6_addr, 16);
        }
    } else {
        return 0;
    }
    for (size_t i = 0; i < list->n; i++)
        if (list->blocks[i].family == family &&
            prefix_equal(list->blocks[i].addr, addr, list->blocks[i].bits))
            return 1;
    return 0;
}
