#include "syncer.h"
#include "fqi18n.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Never more than this many syncs in a row without an item between them
 * come faster than MIN_EMPTY_ROUND_MS apart (a server that does not hold). */
#define MIN_EMPTY_ROUND_MS 1000
/* An unreachable endpoint is reported after this long. */
#define UNREACHABLE_LOG_MS 3000

int64_t fqt_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int32_t log_offset_s = FQ_DEFAULT_UTC_OFFSET_S;

void fqt_set_utc_offset(int32_t offset_s)
{
    log_offset_s = offset_s;
}

int32_t fqt_utc_offset(void)
{
    return log_offset_s;
}

void fqt_log(const char *prog, const char *fmt, ...)
{
    /* The district's time, as every time a person reads, with its offset. */
    char stamp[40] = "";
    time_t local = time(NULL) + log_offset_s;
    struct tm tm;
    if (gmtime_r(&local, &tm) != NULL) {
        int32_t off = log_offset_s < 0 ? -log_offset_s : log_offset_s;
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), "%c%02d:%02d",
                 log_offset_s < 0 ? '-' : '+', (int)(off / 3600), (int)(off / 60 % 60));
    }
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s: %s\n", stamp, prog, text);
    fflush(stderr);
}

/* A random delay in [b, 2b) with b = base * 2^(n-1), b at most cap. */
static int64_t backoff_ms(int n, int64_t base, int64_t cap)
{
    int64_t b = base;
    for (int i = 1; i < n && b < cap; i++)
        b *= 2;
    if (b > cap)
        b = cap;
    return b + (int64_t)randombytes_uniform((uint32_t)b);
}

void fqt_sync_init(fqt_sync *s, fqc *client, const char *prog, const char *url, const char *node,
                   uint64_t after_seq, int once, fqt_items_fn on_items, void *user)
{
    memset(s, 0, sizeof *s);
    s->client = client;
    s->prog = prog;
    s->url = url;
    s->node = node;
    s->after_seq = after_seq;
    s->once = once;
    s->on_items = on_items;
    s->user = user;
    s->started_ms = fqt_monotonic_ms();
    s->next_at_ms = s->started_ms;
}

static void watch_link(fqt_sync *s, int64_t now)
{
    int up = fqc_connections(s->client) > 0;
    if (!s->link_known) {
        if (up) {
            s->link_known = 1;
            s->link_up = 1;
        } else if (now - s->started_ms >= UNREACHABLE_LOG_MS) {
            fqt_log(s->prog, _("cannot reach %s yet; reconnecting in the background"), s->url);
            s->link_known = 1;
            s->link_up = 0;
        }
        return;
    }
    if (up && !s->link_up)
        fqt_log(s->prog, _("connected to %s"), s->url);
    else if (!up && s->link_up)
        fqt_log(s->prog, _("lost the connection to %s; reconnecting"), s->url);
    s->link_up = up;
}

static int send_sync(fqt_sync *s, uint64_t tag, uint32_t wait_ms, int off_duty, int64_t timeout)
{
    Fengqiao__V1__TerminalSync sync = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    Fengqiao__V1__GeoPoint position = FENGQIAO__V1__GEO_POINT__INIT;
    sync.after_seq = s->after_seq;
    sync.wait_ms = wait_ms;
    sync.off_duty = off_duty;
    if (s->has_position) {
        position.lon = s->lon;
        position.lat = s->lat;
        sync.position = &position;
    }
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
    env.terminal_sync = &sync;
    return fqc_submit_timeout(s->client, tag, fqc_fresh_message_id(), &env, timeout);
}

int fqt_sync_tick(fqt_sync *s)
{
    int64_t now = fqt_monotonic_ms();
    watch_link(s, now);
    if (s->done || s->stopping || s->in_flight)
        return s->link_known ? -1 : UNREACHABLE_LOG_MS;
    if (now < s->next_at_ms)
        return (int)(s->next_at_ms - now);
    if (s->reopen_due) {
        char err[256];
        s->reopen_due = 0;
        if (fqc_reopen(s->client, err, sizeof err) != 0) {
            fqt_log(s->prog, "%s", err);
            s->next_at_ms = now + backoff_ms(s->failures + 1, 1000, 15000);
            return (int)(s->next_at_ms - now);
        }
        fqt_log(s->prog, _("reopened the connection to %s"), s->url);
        s->link_known = 0;
        s->started_ms = now;
    }
    uint32_t wait = s->once || !s->caught_up ? 0 : FQC_SYNC_HOLD_MS;
    if (send_sync(s, FQT_SYNC_TAG, wait, 0, wait == 0 ? s->timeout_ms : 0) != 0) {
        fqt_log(s->prog, _("cannot send a sync (out of memory?)"));
        s->next_at_ms = now + 1000;
        return 1000;
    }
    s->in_flight = 1;
    s->sent_ms = now;
    s->sent_wait_ms = wait;
    return -1;
}

int fqt_sync_final(fqt_sync *s, int off_duty, int64_t timeout_ms)
{
    s->stopping = 1;
    if (!off_duty) {
        s->final_done = 1;
        s->final_ok = 1;
        return 0;
    }
    if (send_sync(s, FQT_FINAL_TAG, 0, 1, timeout_ms) != 0) {
        s->final_done = 1;
        return -1;
    }
    s->final_in_flight = 1;
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = (*(Fengqiao__V1__OutboxItem *const *)a)->seq;
    uint64_t y = (*(Fengqiao__V1__OutboxItem *const *)b)->seq;
    return x < y ? -1 : x > y;
}

/* Hands the items newer than after_seq over; 1 when some were new, 0 when
 * none, -1 when the caller did not take them. */
static int take_items(fqt_sync *s, const fqc_result *r)
{
    if (r->n_items == 0)
        return 0;
    Fengqiao__V1__OutboxItem **v = malloc(r->n_items * sizeof *v);
    if (v == NULL)
        return -1;
    memcpy(v, r->items, r->n_items * sizeof *v);
    qsort(v, r->n_items, sizeof *v, by_seq);
    size_t n = 0;
    uint64_t last = s->after_seq;
    for (size_t i = 0; i < r->n_items; i++) {
        if (v[i]->seq <= last)
            continue; /* shown before, or twice in this answer */
        if (v[i]->seq != last + 1 && !(last == 0 && n == 0))
            fqt_log(s->prog, _("items %llu..%llu are missing from the server's answer"),
                    (unsigned long long)(last + 1), (unsigned long long)(v[i]->seq - 1));
        v[n++] = v[i];
        last = v[i]->seq;
    }
    int rv = 0;
    if (n > 0) {
        if (s->on_items(s->user, v, n) == 0) {
            s->after_seq = last;
            rv = 1;
        } else {
            rv = -1;
        }
    }
    free(v);
    return rv;
}

static void finish_once(fqt_sync *s, int code)
{
    s->done = 1;
    s->exit_code = code;
}

void fqt_sync_on_result(fqt_sync *s, uint64_t tag, const fqc_result *r)
{
    int64_t now = fqt_monotonic_ms();
    int final = tag == FQT_FINAL_TAG;
    if (final)
        s->final_in_flight = 0;
    else
        s->in_flight = 0;
    int ok =
        r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK && r->has_sync;

    int32_t offset_s;
    if (ok && r->time_zone[0] != '\0' && fq_tz_parse(r->time_zone, &offset_s) == 0) {
        /* Before the items: they are journaled with the zone in force. */
        snprintf(s->time_zone, sizeof s->time_zone, "%s", r->time_zone);
        fqt_set_utc_offset(offset_s);
    }
    if (ok && !r->superseded) {
        int taken = take_items(s, r);
        if (!final && r->last_seq < s->after_seq) {
            fqt_log(s->prog,
                    _("the server's outbox for %s ends at item %llu but this terminal has "
                      "seen up to %llu: the outbox was reset, or the saved state belongs "
                      "to another box. Stopping so that no new item is taken for an old one; "
                      "move the journal (or sequence file) aside to start afresh"),
                    s->node, (unsigned long long)r->last_seq, (unsigned long long)s->after_seq);
            finish_once(s, 1);
            return;
        }
        if (final) {
            s->final_done = 1;
            s->final_ok = taken >= 0;
            return;
        }
        s->ever_ok = 1;
        s->failures = 0;
        s->refusals = 0;
        s->superseded_streak = 0;
        if (taken < 0) {
            fqt_log(s->prog, _("the items were not saved; asking for them again shortly"));
            s->caught_up = 0;
            s->next_at_ms = now + backoff_ms(1, 5000, 5000);
            if (s->once)
                finish_once(s, 3);
            return;
        }
        /* "more": the server cut its answer to stay under the frame limit;
         * last_seq past ours says the same for older servers. */
        int more = r->more || r->last_seq > s->after_seq;
        s->caught_up = !more;
        if (s->once && !more) {
            finish_once(s, 0);
            return;
        }
        s->next_at_ms = now;
        if (taken == 0 && more) {
            /* The server says more is waiting but sent nothing new. */
            if (++s->stalled == 3)
                fqt_log(s->prog, _("the server reports item %llu but does not send it"),
                        (unsigned long long)r->last_seq);
            s->next_at_ms = now + backoff_ms(s->stalled, 1000, 15000);
            if (s->once && s->stalled > 3)
                finish_once(s, 3);
        } else {
            s->stalled = 0;
        }
        if (taken == 0 && !more && s->sent_wait_ms > 0 && now - s->sent_ms < MIN_EMPTY_ROUND_MS)
            s->next_at_ms = now + backoff_ms(1, MIN_EMPTY_ROUND_MS, MIN_EMPTY_ROUND_MS);
        return;
    }
    if (final) {
        s->final_done = 1;
        s->final_ok = 0;
        if (ok)
            s->final_ok = 1; /* superseded by nothing of ours: harmless */
        else
            fqt_log(s->prog, _("the last sync (signing off) got %s: %s"),
                    r->outcome == FQC_NO_ANSWER ? _("no answer") : fq_status_name(r->status),
                    r->message);
        return;
    }
    if (s->stopping)
        return;
    if (ok) { /* superseded */
        s->superseded_streak++;
        if (s->superseded_streak == 3)
            fqt_log(s->prog,
                    _("syncs keep being superseded: is another fq-terminal or fq-report follow "
                      "running as %s?"),
                    s->node);
        if (s->once && s->superseded_streak > 5) {
            finish_once(s, 3);
            return;
        }
        int factor = s->superseded_streak < 10 ? s->superseded_streak : 10;
        s->next_at_ms = now + factor * (1000 + (int64_t)randombytes_uniform(2000));
        return;
    }
    if (r->outcome == FQC_NO_ANSWER) {
        s->failures++;
        int busy = r->status == FENGQIAO__V1__STATUS__STATUS_BUSY ||
                   r->status == FENGQIAO__V1__STATUS__STATUS_INTERNAL;
        int64_t delay = backoff_ms(s->failures, 1000, 15000);
        if (busy) {
            fqt_log(s->prog, _("the server stays busy (%s); next sync in %.1f s"), r->message,
                    (double)delay / 1000);
        } else {
            s->reopen_due = 1;
            fqt_log(s->prog, _("no answer from %s to a sync (%s); reopening in %.1f s"), s->url,
                    r->message, (double)delay / 1000);
        }
        s->next_at_ms = now + delay;
        if (s->once)
            finish_once(s, 3);
        return;
    }
    if (r->outcome == FQC_ANSWERED && r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        /* OK without a SyncResult: not a terminal endpoint? */
        s->failures++;
        fqt_log(s->prog,
                _("the answer from %s carries no sync result: is it the terminal endpoint?"),
                s->url);
        s->next_at_ms = now + backoff_ms(s->failures, 5000, 30000);
        if (s->once || !s->ever_ok)
            finish_once(s, 1);
        return;
    }
    /* A refusal. Unsigned refusals could come from anyone on the path: once
     * the node has synced they do not stop a long-running watch; nor does a
     * clock that drifted (STALE after the library's own re-signing). */
    fqt_log(s->prog, _("sync refused: %s: %s%s"), fq_status_name(r->status), r->message,
            r->authenticated ? "" : _(" (unauthenticated reply)"));
    int retry = !r->authenticated || r->status == FENGQIAO__V1__STATUS__STATUS_STALE;
    if (s->once || !retry || !s->ever_ok) {
        finish_once(s, 1);
        return;
    }
    s->refusals++;
    s->next_at_ms = now + backoff_ms(s->refusals, 5000, 60000);
}

int fqt_wait(fqc *c, struct pollfd *extra, int n_extra, int timeout_ms)
{
    struct pollfd fds[24];
    if (n_extra > 8)
        n_extra = 8;
    for (int i = 0; i < n_extra; i++) {
        fds[i] = extra[i];
        fds[i].revents = 0;
    }
    int t = timeout_ms;
    int n = fqc_prepare_poll(c, fds + n_extra, 16, &t);
    int rv = poll(fds, (nfds_t)(n_extra + n), t);
    for (int i = 0; i < n_extra; i++)
        extra[i].revents = rv > 0 ? fds[i].revents : 0;
    fqc_poll(c, 0);
    return rv;
}
