/* allowlist: which peers may ask for something, by address: a list of IPv4
 * and IPv6 addresses and CIDR blocks ("127.0.0.1,10.0.9.0/24,::1,fd00::/8"),
 * for --metrics-allow. An IPv4 peer seen on an IPv6 socket (::ffff:a.b.c.d)
 * is matched as IPv4. Pure: no I/O. */
#ifndef FQ_ALLOWLIST_H
#define FQ_ALLOWLIST_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct fq_allowlist fq_allowlist;

/* NULL and why in `err` when `text` is not a comma-separated list of
 * addresses and ADDR/BITS blocks (host bits set are refused: they say the
 * writer meant something else). */
fq_allowlist *fq_allowlist_parse(const char *text, char *err, size_t err_len);
void fq_allowlist_free(fq_allowlist *list);

/* 1 when the peer's address is in the list. */
int fq_allowlist_allows(const fq_allowlist *list, const struct sockaddr *peer);

#endif
