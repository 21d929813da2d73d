#include "sdnotify.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

struct fq_sdnotify {
    uv_timer_t watchdog;
    int ready_sent;
    int failed_logged;
};

static void send_state(fq_sdnotify *n, const char *state)
{
    /* 0: keep NOTIFY_SOCKET in the environment (no children inherit it,
     * and a later call still finds it). */
    int rv = sd_notify(0, state);
    if (rv < 0 && !n->failed_logged) {
        n->failed_logged = 1;
        fq_log(FQ_LOG_WARN, "systemd", "sd_notify failed: %s (NOTIFY_SOCKET %s)", strerror(-rv),
               getenv("NOTIFY_SOCKET"));
    }
}

static void on_watchdog(uv_timer_t *timer)
{
    send_state(timer->data, "WATCHDOG=1");
}

fq_sdnotify *fq_sdnotify_start(uv_loop_t *loop)
{
    const char *socket = getenv("NOTIFY_SOCKET");
    if (socket == NULL || socket[0] == '\0')
        return NULL;
    fq_sdnotify *n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    uv_timer_init(loop, &n->watchdog);
    n->watchdog.data = n;
    uint64_t usec = 0;
    /* > 0 when WATCHDOG_USEC is set for this process (WATCHDOG_PID, if set,
     * names it). */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        uint64_t every_ms = usec / 2000;
        if (every_ms == 0)
            every_ms = 1;
        send_state(n, "WATCHDOG=1");
        uv_timer_start(&n->watchdog, on_watchdog, every_ms, every_ms);
        fq_log(FQ_LOG_INFO, "systemd", "watchdog every %llu ms (WatchdogSec %llu ms)",
               (unsigned long long)every_ms, (unsigned long long)(usec / 1000));
    }
    return n;
}

void fq_sdnotify_ready(fq_sdnotify *n, const char *status)
{
    if (n == NULL)
        return;
    char state[600];
    snprintf(state, sizeof state, "%sSTATUS=%s", n->ready_sent ? "" : "READY=1\n", status);
    n->ready_sent = 1;
    send_state(n, state);
}

void fq_sdnotify_status(fq_sdnotify *n, const char *fmt, ...)
{
    if (n == NULL)
        return;
    char state[600] = "STATUS=";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(state + 7, sizeof state - 7, fmt, ap);
    va_end(ap);
    /* One line: systemd takes STATUS up to the newline. */
    for (char *p = state; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
    send_state(n, state);
}

void fq_sdnotify_stopping(fq_sdnotify *n, const char *status)
{
    if (n == NULL)
        return;
    char state[600];
    snprintf(state, sizeof state, "STOPPING=1\nSTATUS=%s", status);
    send_state(n, state);
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void fq_sdnotify_close(fq_sdnotify *n)
{
    if (n == NULL)
        return;
    uv_timer_stop(&n->watchdog);
    uv_close((uv_handle_t *)&n->watchdog, on_closed);
}
