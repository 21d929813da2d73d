/* http: the web console's HTTP server, in fengqiaod's own libuv loop — the
 * only module that knows H2O. HTTP/1.1, and HTTP/2 over TLS by ALPN; static
 * assets from the web root with H2O's file handler; every response with the
 * security headers; /api/v1/ behind the session gate (login, logout and
 * session answered here, everything else by fq_api_handle); webreq.h
 * implemented for the API. */
#ifndef FQ_HTTP_H
#define FQ_HTTP_H

#include "api.h"
#include "open311.h"
#include "metrics.h"
#include "readiness.h"
#include "store.h"

#include <stddef.h>
#include <uv.h>

/* What the operations endpoints (/healthz, /readyz, /metrics; no session,
 * no personal data) ask the server. */
typedef struct fq_http_ops {
    void *user;
    void (*readiness)(void *user, fq_readiness *out);
    /* Writes the server's metrics; HTTP adds its own after them. */
    void (*metrics)(void *user, fq_metrics *m);
} fq_http_ops;

typedef struct fq_http_config {
    const char *listen;   /* ADDR:PORT ([ADDR]:PORT for IPv6) */
    const char *tls_cert; /* both or neither */
    const char *tls_key;
    const char *web_root;
    unsigned session_hours;
    const char *tile_url;      /* "" or NULL: none (its origin joins img-src) */
    fq_http_ops ops;           /* NULL functions: /readyz answers not ready, /metrics HTTP's only */
    const char *metrics_allow; /* allowlist.h text: who may GET /metrics (NULL: anyone) */
} fq_http_config;

typedef struct fq_http fq_http;

/* 1 when ADDR (of ADDR:PORT) is loopback: 127.0.0.0/8, ::1, localhost. */
int fq_http_is_loopback(const char *listen);

/* Listens (TLS is required off loopback). `store` is the writes store: a
 * session is answered only once committed. NULL and why in `err`. */
fq_http *fq_http_new(uv_loop_t *loop, const fq_http_config *config, fq_store *store, fq_api *api,
                     char *err, size_t err_len);
/* Serves Open311 GeoReport v2 under /open311/ (docs/open311.md); without it
 * those paths are 404. */
void fq_http_set_open311(fq_http *http, fq_open311 *open311);
/* The directory was reloaded: forget the cached sessions, so that a disabled
 * account or a revoked node is refused at its next request. */
void fq_http_directory_reloaded(fq_http *http);
/* Stops listening, ends the streams, closes idle connections. */
void fq_http_stop(fq_http *http);
/* 1 when no browser is connected (a stop waits for it, within its bound). */
int fq_http_idle(fq_http *http);
/* The last of a stop: H2O's context lets go of the loop. */
void fq_http_close(fq_http *http);
/* After the loop has finished. */
void fq_http_free(fq_http *http);

#endif
