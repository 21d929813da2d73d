/* fqclient: the client library shared by fq-report, and later the terminal
 * and console clients.
 *
 * A client holds a window of plain REQ sockets to one endpoint, so up to
 * `window` requests are outstanding at once (a REQ socket carries one at a
 * time). Each request is sealed with the node's key, re-signed with a fresh
 * sent_at on every retry (same message id, so retries are idempotent),
 * retried on BUSY/INTERNAL after the server's hint and on STALE at once, and
 * given up after `timeout_ms` with an "unknown outcome" result: the caller
 * may retry later with the same message id. Replies are verified before they
 * are believed. Blocking API: the caller's thread runs nn_poll. */
#ifndef FQ_CLIENT_H
#define FQ_CLIENT_H

#include "fengqiao.pb-c.h"
#include "fq_wire.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fqc fqc;

/* The terminal endpoint's long-poll (TerminalSync, docs/fq-terminal.md). The
 * server holds a sync at most FQC_SYNC_HOLD_MS; a socket that carries syncs
 * must not resend sooner than that (else every held sync would be resent and
 * supersede itself), so it resends after FQC_SYNC_RESEND_IVL_MS. A sync is
 * given up FQC_SYNC_MARGIN_MS after its own hold plus one resend interval:
 * long enough for nanomsg's resend to be answered. */
#define FQC_SYNC_HOLD_MS 25000
#define FQC_SYNC_RESEND_IVL_MS 35000
#define FQC_SYNC_MARGIN_MS 5000

/* Every socket reconnects after a random interval in [FQC_RECONNECT_MIN_MS,
 * FQC_RECONNECT_MAX_MS), the same after every failed attempt (no doubling):
 * a server bound again is reached within FQC_RECONNECT_MAX_MS however often
 * it restarted (fqc_prompt_reconnect). */
/* A report, an action or a command unanswered this long is sent again on a
 * socket opened afresh (fqc_config.answer_wait_ms): the server answers within
 * its --hold-ms (2 s by default, BUSY at the latest), so a longer silence
 * means the server or its host is gone. A host cut off from the network
 * leaves its TCP connections open without an error (nanomsg sets no
 * keepalive), and the REQ socket's own resend may take the same dead
 * connection again; a new socket connects only where a server completes the
 * handshake: the other server of a pair. The client's idle sockets are
 * opened afresh with it (at most once per answer wait), so that the next
 * requests do not go to the dead connection either. Safe: every request is
 * idempotent by its message id.
 *
 * 3 s is about when a standby has taken over from a server whose host was
 * cut off (PostgreSQL ends its session after ~3 s; docs/ha.md, app_cut):
 * waiting longer only delays the move, shorter would come near the
 * server's hold. The same request unanswered again waits twice as long
 * each time, up to FQC_ANSWER_WAIT_MAX_MS, with up to half as much again
 * at random: a server that is alive but slow to commit (a request whose
 * transaction is in doubt waits for PostgreSQL's return) gets a copy now
 * and then, never a stream, and many clients do not come back in step. */
#define FQC_ANSWER_WAIT_MS 3000
#define FQC_ANSWER_WAIT_MAX_MS 30000

/* The answer wait of a request that has met `silences` answer waits in a
 * row: `wait_ms` for the first, then doubled per silence up to
 * FQC_ANSWER_WAIT_MAX_MS, plus `random` / 2^32 of half of that (the caller
 * draws `random` uniformly). Pure, for the library and its test. */
int64_t fqc_answer_wait_after(int64_t wait_ms, int silences, uint32_t random);

#define FQC_RECONNECT_MIN_MS 50
#define FQC_RECONNECT_MAX_MS 150

/* A held long-poll (a sync with wait_ms > 0) is not given the answer wait:
 * a live server holds it up to FQC_SYNC_HOLD_MS. But when the host holding
 * it is cut off, its TCP connection stays open without an error (no
 * keepalive in nanomsg) and the sync would wait for the REQ resend (35 s)
 * or its give-up (65 s). Of the servers of a pair only one is bound at a
 * time (the standby binds nothing until it takes over), so a socket that
 * is connected to one server and then to a second one more has seen the
 * other take over: the first lost the serving lock, and is gone or about
 * to stand by. The held sync is then sent again at once on a socket opened
 * afresh, which connects only where a server completes the handshake, and
 * the idle sockets with it (as after an answer wait). It costs no request
 * while nothing happens: the sockets' connection counts are read every
 * FQC_HELD_CHECK_MS in the process; a move costs one sync, and a client
 * moves at most once per FQC_HELD_MOVE_MIN_MS (a cut-off server whose cable
 * comes back accepts connections for a moment before it stands by). */
#define FQC_HELD_CHECK_MS 250
#define FQC_HELD_MOVE_MIN_MS 3000

/* The rule above for one held request: `*pipes_at_send` the socket's
 * connections when it was sent, `pipes` now. 1: another server appeared
 * beside the one holding it (move). 0: stay; *pipes_at_send follows a
 * connection that went (nanomsg itself resends a request whose connection
 * broke) or the first that came after none (nanomsg sends a waiting
 * request on it). Pure, for the library and its test. */
int fqc_held_moved(int *pipes_at_send, int pipes);

/* When a request's answer wait runs out, the sockets that carry nothing are
 * opened afresh too, but only those opened before that request was sent:
 * one opened since cannot hold the dead connection the silence suggests,
 * and may still be connecting. Opening it again would only start its
 * connection over: through a TLS tunnel on a loaded machine, where a
 * connection takes seconds, every silence restarted every idle socket's
 * handshake and no request could be sent at all. 1: reopen. Pure. */
int fqc_idle_needs_reopen(int64_t opened_ms, int64_t silent_request_sent_ms);

/* A whole-number option's value: `text` is a decimal number and nothing
 * else, within [min, max]. 0 and *out set, or -1 (empty, trailing
 * characters, out of range or of long long); the caller says why in its own
 * words. One check for every client's numeric options. */
int fqc_option_number(const char *text, long long min, long long max, long long *out);

typedef struct fqc_config {
    /* The endpoint: one nanomsg URL, or several separated by commas (the
     * servers of a pair, docs/operations.md): every REQ socket connects to
     * all of them and sends to whichever is bound. */
    const char *url;
    const char *node;
    uint8_t key[FQ_KEY_BYTES];
    int window;         /* outstanding requests at most (REQ sockets) */
    int64_t timeout_ms; /* give up on one request after this long */
    int resend_ivl_ms;  /* REQ resend when no reply came (nanomsg resends itself) */
    /* Reports, actions and commands unanswered this long: the socket opened
     * afresh and the request sent again (0: FQC_ANSWER_WAIT_MS; < 0: never).
     * Not for long-polls (held by the server up to their wait) nor console
     * queries (reads whose answer may take long on a large database). */
    int answer_wait_ms;
} fqc_config;

typedef enum fqc_outcome {
    FQC_ANSWERED = 0, /* the server answered; see status */
    FQC_NO_ANSWER = 1 /* timed out or kept busy: unknown, retry later with the same id */
} fqc_outcome;

typedef struct fqc_result {
    fqc_outcome outcome;
    Fengqiao__V1__Status status;
    char message[512];
    uint64_t message_id;
    /* report_incident */
    int has_incident;
    uint64_t incident_id;
    int duplicate;
    int64_t recorded_at_ms;
    uint64_t event_seq;
    /* where the routing sent it (has_routing) */
    int has_routing;
    int tier; /* Fengqiao__V1__Tier */
    int line; /* Fengqiao__V1__Line: 1 governance .. 4 services, 0 none */
    char lead_unit[65], worker[65], territory[65];
    /* Their display names (RoutingOutcome 14-16): up to 64 characters each. */
    char lead_unit_name[257], worker_name[257], territory_name[257];
    int working_time;      /* the limits count working time */
    char co_units[5 * 66]; /* comma-separated */
    uint64_t merged_into;
    int unplaced;
    int64_t acknowledge_due_ms, conclude_due_ms;
    unsigned climbed, rule_set;
    int attempts;
    double latency_ms; /* first send to final answer */
    int authenticated; /* the reply carried a MAC that verified (always for OK) */
    /* terminal_sync (has_sync): the items in the order the server sent them
     * (sequence order). They are a copy owned by the library, valid only
     * until the callback returns. */
    int has_sync;
    uint64_t last_seq; /* the newest sequence in the outbox */
    int superseded;    /* a newer sync of this node took over; no items */
    int more;          /* more items wait after these (the reply's frame was full): sync again */
    char time_zone[8]; /* the district's offset from UTC ("+08:00"); "" when not sent */
    size_t n_items;
    Fengqiao__V1__OutboxItem **items;
    /* assignment_action (has_action): incident_id and event_seq above */
    int has_action;
    char state[64]; /* the assignment's state after the action */
    /* A terminal's action refused with WRONG_STATE (has_action set, state
     * the current one): what was asked is in effect already. */
    int already_done;
    /* console_command (has_command): incident_id, event_seq and state above */
    int has_command;
    /* console_query (has_console): the result, a copy owned by the library,
     * valid only until the callback returns. */
    int has_console;
    const Fengqiao__V1__ConsoleResult *console;
} fqc_result;

typedef void (*fqc_done_cb)(void *user, uint64_t tag, const fqc_result *result);

/* Connects `sock` to every address of a comma-separated list (spaces
 * around an address are ignored): the count, or -1 with a message. For
 * tools that make their own nanomsg sockets. */
int fqc_connect_all(int sock, const char *urls, char *err, size_t err_len);

/* Sets `sock`'s reconnect interval as fqc's own sockets have it: random in
 * [FQC_RECONNECT_MIN_MS, FQC_RECONNECT_MAX_MS), never growing. */
void fqc_prompt_reconnect(int sock);

/* A --url flag given several times: the addresses joined with commas. */
typedef struct fqc_urls {
    char text[2048];
} fqc_urls;
/* Appends one (a comma list is taken as it is): 0, or -1 when too long. */
int fqc_urls_add(fqc_urls *urls, const char *url);
/* The addresses given, or `otherwise` when none was. */
const char *fqc_urls_or(const fqc_urls *urls, const char *otherwise);

/* 0 or -1 with a message in err. */
int fqc_open(const fqc_config *config, fqc_done_cb done, void *user, fqc **out, char *err,
             size_t err_len);
void fqc_close(fqc *client);

/* Sends a request with this body (envelope fields other than the body are
 * filled in). Blocks, serving replies, while the window is full. `tag` comes
 * back with the result. */
int fqc_submit(fqc *client, uint64_t tag, uint64_t message_id,
               const Fengqiao__V1__Envelope *body_only);

/* As fqc_submit, giving up after `timeout_ms` (0: the default, which for a
 * terminal_sync is resend interval + its wait_ms + FQC_SYNC_MARGIN_MS). A
 * terminal_sync whose wait_ms + FQC_SYNC_MARGIN_MS exceeds the resend
 * interval is refused (-1): the REQ socket would resend it while held. */
int fqc_submit_timeout(fqc *client, uint64_t tag, uint64_t message_id,
                       const Fengqiao__V1__Envelope *body_only, int64_t timeout_ms);

/* As fqc_submit_timeout, with photos beside the envelope (in the order of
 * the body's AttachmentRefs; docs/terminals.md, "Photos as evidence"). They
 * are the caller's and must stay valid until the result has come back. A
 * request over the frame limit is answered INVALID without being sent. */
int fqc_submit_attached(fqc *client, uint64_t tag, uint64_t message_id,
                        const Fengqiao__V1__Envelope *body_only, const ProtobufCBinaryData *photos,
                        size_t n_photos, int64_t timeout_ms);

/* Closes and reopens every socket that carries no request, with fresh
 * random reconnect intervals: drops a connection that went silent (and any
 * request nanomsg would still resend on it). 0 or -1 with a message. */
int fqc_reopen(fqc *client, char *err, size_t err_len);

/* For callers that wait on other descriptors too (a terminal's stdin): fills
 * at most `max` entries of `fds` with the receive descriptors of the
 * sockets awaiting a reply (events POLLIN), lowers *timeout_ms (-1 =
 * infinite) to when the library next has work (a resend, a deadline), and
 * returns the count. After poll() returns, call fqc_poll(client, 0). */
int fqc_prepare_poll(fqc *client, struct pollfd *fds, int max, int *timeout_ms);

/* Requests outstanding. */
int fqc_outstanding(const fqc *client);

/* Connections currently established over all sockets (nanomsg statistics):
 * 0 while the server is unreachable. */
int fqc_connections(const fqc *client);

/* Serves replies until nothing is outstanding. */
void fqc_drain(fqc *client);

/* Serves replies for at most `wait_ms`; returns how many requests are still
 * outstanding. */
int fqc_poll(fqc *client, int wait_ms);

/* A message id unique for this node: milliseconds since the epoch shifted
 * left 16 bits, a random byte in bits 8-15 (two processes of one node in the
 * same millisecond rarely collide), strictly increasing within the process.
 * Stays below 2^63 until the year 6400. */
uint64_t fqc_fresh_message_id(void);

/* A random message id in 1 .. 2^63-1. */
uint64_t fqc_random_message_id(void);

/* A message id derived from a string (e.g. the reporter's own case number):
 * sending the same case again yields the same id, hence no second incident. */
uint64_t fqc_message_id_for(const char *node, const char *text);

/* Reads a 64-hex-character key from `hex`. 0 or -1. */
int fqc_parse_key(const char *hex, uint8_t key[FQ_KEY_BYTES]);

/* Reads the key from a file holding its hex, readable by its owner only
 * (fq_keyfile.h): a file group or others may read is refused with the chmod
 * that fixes it. 0, or -1 with a message in err (errno ENOENT: no such file). */
int fqc_load_key_file(const char *path, uint8_t key[FQ_KEY_BYTES], char *err, size_t err_len);

/* The whole file at `path` (a photo, a frame) into *data, malloc'ed (the
 * caller frees it). 0, or -1 with errno: fopen's, EIO, ENOMEM, or EFBIG
 * when it holds more than `max` bytes. */
int fqc_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
