/* sdnotify: fengqiaod's side of systemd's service protocol (sd_notify(3),
 * libsystemd), for a Type=notify unit (fengqiaod.service):
 *
 *   READY=1     once, when the server first serves (the moment its ready
 *               file is written): `systemctl start` returns then, and units
 *               ordered after it start;
 *   STATUS=…    what it is doing, one line (systemctl status shows it);
 *   STOPPING=1  when a stop begins (SIGTERM: it drains what is in flight);
 *   WATCHDOG=1  from a libuv timer at half the unit's WatchdogSec=, so a
 *               loop stuck for longer gets the process killed and restarted.
 *
 * Without NOTIFY_SOCKET (not started by systemd) nothing is sent and no timer
 * runs: fq_sdnotify_start returns NULL and every call accepts NULL.
 * sd_notify sends one datagram on a socket of its own (a blocking send, but
 * to systemd, which reads its notify socket at once). */
#ifndef FQ_SDNOTIFY_H
#define FQ_SDNOTIFY_H

#include <uv.h>

typedef struct fq_sdnotify fq_sdnotify;

/* NULL when NOTIFY_SOCKET is unset (or on out of memory: systemd then
 * times the start out, which says more than a half-working watchdog). */
fq_sdnotify *fq_sdnotify_start(uv_loop_t *loop);

/* READY=1 (the first time only) with STATUS=status. */
void fq_sdnotify_ready(fq_sdnotify *n, const char *status);

void fq_sdnotify_status(fq_sdnotify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* STOPPING=1 with STATUS=status; the watchdog keeps running during the drain. */
void fq_sdnotify_stopping(fq_sdnotify *n, const char *status);

/* Stops the watchdog timer and frees n once libuv has closed it. */
void fq_sdnotify_close(fq_sdnotify *n);

#endif
