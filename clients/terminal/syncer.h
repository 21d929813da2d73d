/* syncer: the long-poll loop of the terminal endpoint, shared by
 * `fq-terminal watch` and `fq-report follow`.
 *
 * It sends TerminalSync{after_seq, wait_ms} whenever none is in flight,
 * hands the items newer than after_seq to the caller (each sequence once,
 * in order), and only then advances after_seq: the next sync acknowledges
 * them. It syncs again at once (wait 0) while the server says more is
 * waiting, backs off with jitter when the server is busy or does not answer
 * (and then closes and reopens the sockets), slows down when its syncs keep
 * being superseded (another process of the same node), and logs connection
 * changes on stderr with a timestamp. See docs/fq-terminal.md. */
#ifndef FQ_TERMINAL_SYNCER_H
#define FQ_TERMINAL_SYNCER_H

#include "fqclient.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* fqc tags of the syncer's requests; the caller's done callback passes
 * results with these tags to fqt_sync_on_result. */
#define FQT_SYNC_TAG UINT64_C(0xFFFFFFFFFFFFFF00)
#define FQT_FINAL_TAG (FQT_SYNC_TAG + 1)

/* New items, in sequence order, each above the last one handed over. 0:
 * taken (after_seq advances past them); -1: not taken (e.g. the journal
 * could not be written): the same items are asked for again later. */
typedef int (*fqt_items_fn)(void *user, Fengqiao__V1__OutboxItem *const *items, size_t n);

typedef struct fqt_sync {
    fqc *client;
    const char *prog; /* for log lines: "fq-terminal" */
    const char *url;
    const char *node;
    uint64_t after_seq; /* the last item handed over */
    int once;           /* wait 0, stop when caught up or on the first failure */
    int64_t timeout_ms; /* give up on one sync after this (0: the library's rule) */
    int has_position;
    double lon, lat;
    /* The district's zone ("+08:00"), from the last answer that named one;
     * the caller may start it from what it remembers. */
    char time_zone[8];
    fqt_items_fn on_items;
    void *user;

    int in_flight;
    int final_in_flight;
    int64_t next_at_ms; /* monotonic: when the next sync may go */
    int64_t sent_ms;
    uint32_t sent_wait_ms;
    int reopen_due;
    int failures;          /* consecutive syncs without an answer */
    int refusals;          /* consecutive unauthenticated refusals */
    int superseded_streak; /* consecutive superseded answers */
    int stalled;           /* consecutive answers with nothing new though more waits */
    int ever_ok;
    int link_known, link_up;
    int64_t started_ms;
    int stopping;

    int caught_up;  /* the last answer left nothing newer */
    int done;       /* nothing more will be sent: once finished, or a fatal refusal */
    int exit_code;  /* 0; 1 refused (fatal); 3 no definitive answer (once) */
    int final_done; /* the final sync (fqt_sync_final) was answered or given up */
    int final_ok;
} fqt_sync;

void fqt_sync_init(fqt_sync *s, fqc *client, const char *prog, const char *url, const char *node,
                   uint64_t after_seq, int once, fqt_items_fn on_items, void *user);

/* Sends the next sync when one is due. Returns the milliseconds until it
 * wants to be called again (-1: only when a result comes). */
int fqt_sync_tick(fqt_sync *s);

/* A result of one of the syncer's requests (tag FQT_SYNC_TAG or FQT_FINAL_TAG). */
void fqt_sync_on_result(fqt_sync *s, uint64_t tag, const fqc_result *r);

/* Stops syncing; with off_duty sends one last sync (wait 0, off_duty) that
 * signs the worker off and picks up what is still new. Wait for
 * s->final_done. 0, or -1 when it could not be sent. */
int fqt_sync_final(fqt_sync *s, int off_duty, int64_t timeout_ms);

/* Waits for the client's replies and for `extra` descriptors (revents set)
 * for at most timeout_ms (-1: until something happens), then serves the
 * client (fqc_poll(c, 0)). Returns poll()'s count or -1 (EINTR included). */
int fqt_wait(fqc *c, struct pollfd *extra, int n_extra, int timeout_ms);

/* The district's offset from UTC for the times a person reads: the log
 * lines' stamps and whatever the caller formats (FQ_DEFAULT_UTC_OFFSET_S
 * until set). The syncer sets it from every answer that names the zone. */
void fqt_set_utc_offset(int32_t offset_s);
int32_t fqt_utc_offset(void);

/* "2026-11-27T16:22:57+08:00 PROG: message" on stderr, in the district's
 * time. */
void fqt_log(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int64_t fqt_monotonic_ms(void);

#endif
