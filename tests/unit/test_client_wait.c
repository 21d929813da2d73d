/* fqclient: the answer wait after silences in a row (fqc_answer_wait_after),
 * and a held long-poll moving to the server that took over (fqc_held_moved,
 * and with real nanomsg sockets). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fqclient.h"

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The first wait is the configured one, with no jitter: it bounds how long
 * a client waits on a server whose host was cut off. */
static void test_first_wait_exact(void **state)
{
    (void)state;
    assert_int_equal(FQC_ANSWER_WAIT_MS, fqc_answer_wait_after(FQC_ANSWER_WAIT_MS, 0, 0));
    assert_int_equal(FQC_ANSWER_WAIT_MS, fqc_answer_wait_after(FQC_ANSWER_WAIT_MS, 0, UINT32_MAX));
}

/* Then doubled per silence, with up to half as much again at random. */
static void test_doubles_with_jitter(void **state)
{
    (void)state;
    assert_int_equal(6000, fqc_answer_wait_after(3000, 1, 0));
    assert_in_range(fqc_answer_wait_after(3000, 1, UINT32_MAX), 8999, 9000);
    assert_int_equal(6000 + 1500, fqc_answer_wait_after(3000, 1, 1u << 31));
    assert_int_equal(12000, fqc_answer_wait_after(3000, 2, 0));
    assert_int_equal(24000, fqc_answer_wait_after(3000, 3, 0));
}

/* Capped: a request in doubt on a server whose PostgreSQL stays away for
 * minutes gets a copy every 30-45 s, never faster than it did before. */
static void test_capped(void **state)
{
    (void)state;
    int64_t prev = 0;
    for (int k = 1; k < 40; k++) {
        int64_t low = fqc_answer_wait_after(3000, k, 0);
        int64_t high = fqc_answer_wait_after(3000, k, UINT32_MAX);
        assert_true(low >= prev);
        assert_true(low <= FQC_ANSWER_WAIT_MAX_MS);
        assert_true(high <= FQC_ANSWER_WAIT_MAX_MS + FQC_ANSWER_WAIT_MAX_MS / 2);
        prev = low;
    }
    assert_int_equal(FQC_ANSWER_WAIT_MAX_MS, fqc_answer_wait_after(3000, 4, 0));
    assert_int_equal(FQC_ANSWER_WAIT_MAX_MS, fqc_answer_wait_after(3000, 1000, 0));
}

/* A second server beside the one holding the request: move. */
static void test_held_moves_when_another_server_appears(void **state)
{
    (void)state;
    int base = 1;
    assert_int_equal(0, fqc_held_moved(&base, 1));
    assert_int_equal(1, fqc_held_moved(&base, 2));
}

/* The connection went (nanomsg resends on its own), or the first came after
 * none (nanomsg sends the waiting request on it): no move, the count
 * followed; a later second server is then a move again. */
static void test_held_follows_lost_and_first_connections(void **state)
{
    (void)state;
    int base = 1;
    assert_int_equal(0, fqc_held_moved(&base, 0));
    assert_int_equal(0, base);
    assert_int_equal(0, fqc_held_moved(&base, 1)); /* the same server back, or the other */
    assert_int_equal(1, base);
    assert_int_equal(1, fqc_held_moved(&base, 2));
    base = 2; /* sent while both were connected: only a third would say more */
    assert_int_equal(0, fqc_held_moved(&base, 2));
    assert_int_equal(0, fqc_held_moved(&base, 1));
    assert_int_equal(1, base);
}

/* An idle socket opened after the silent request was sent is left to
 * connect; one opened before it may hold the dead connection. */
static void test_idle_reopened_only_if_older_than_the_silence(void **state)
{
    (void)state;
    assert_true(fqc_idle_needs_reopen(1000, 1001));
    assert_false(fqc_idle_needs_reopen(1001, 1001));
    assert_false(fqc_idle_needs_reopen(4000, 1001));
}

static void on_done(void *user, uint64_t tag, const fqc_result *r)
{
    (void)tag;
    (void)r;
    ++*(int *)user;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the client until `rep` has a request (1) or `ms` passed (0). */
static int request_within(fqc *c, int rep, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        fqc_poll(c, 20);
        void *buf = NULL;
        int n = nn_recv(rep, &buf, NN_MSG, NN_DONTWAIT);
        if (n >= 0) {
            nn_freemsg(buf);
            return 1;
        }
    }
    return 0;
}

/* A server whose host is cut off, as the client sees it: one connection,
 * past the SP handshake (it speaks REP), that stays open and never answers,
 * and no new connection taken (the listener gone). A plain unix socket, so
 * that the listener can go while the connection stays. */
typedef struct silent_server {
    int listener, conn;
    size_t got; /* bytes read from the client, its header included */
} silent_server;

static int silent_listen(silent_server *srv, const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, len + 1);
    srv->conn = -1;
    srv->got = 0;
    srv->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (srv->listener < 0 || bind(srv->listener, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(srv->listener, 4) != 0)
        return -1;
    return 0;
}

/* Serves the client and the silent server for up to `ms`: takes the first
 * connection (then stops listening: `path` removed), answers the SP header,
 * reads what comes. 1 once a request (bytes past the 8-byte header) came. */
static int silent_serve(silent_server *srv, const char *path, fqc *c, int ms)
{
    static const unsigned char rep_header[8] = {0, 'S', 'P', 0, 0, 49, 0, 0}; /* NN_REP */
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        fqc_poll(c, 20);
        struct pollfd p = {.fd = srv->conn >= 0 ? srv->conn : srv->listener, .events = POLLIN};
        if (poll(&p, 1, 0) != 1)
            continue;
        if (srv->conn < 0) {
            srv->conn = accept(srv->listener, NULL, NULL);
            if (srv->conn < 0 || write(srv->conn, rep_header, sizeof rep_header) != 8)
                return 0;
            close(srv->listener);
            srv->listener = -1;
            unlink(path);
            continue;
        }
        char buf[4096];
        ssize_t n = read(srv->conn, buf, sizeof buf);
        if (n <= 0)
            return 0;
        srv->got += (size_t)n;
        if (srv->got > 8)
            return 1;
    }
    return 0;
}

/* A sync held by a server that goes silent (its host cut off), then the
 * other server of the pair binds: the sync reaches it within a few poll
 * rounds, not after the REQ resend (35 s). */
static void test_held_sync_moves_to_the_new_server(void **state)
{
    (void)state;
    char dir[] = "/tmp/fq-held.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a_path[128], b_path[128], b_url[140], urls[300];
    snprintf(a_path, sizeof a_path, "%s/a", dir);
    snprintf(b_path, sizeof b_path, "%s/b", dir);
    snprintf(b_url, sizeof b_url, "ipc://%s", b_path);
    snprintf(urls, sizeof urls, "ipc://%s,%s", a_path, b_url);
    silent_server a;
    assert_int_equal(0, silent_listen(&a, a_path));

    int done = 0;
    fqc_config config;
    memset(&config, 0, sizeof config);
    config.url = urls;
    config.node = "t1";
    config.window = 2;
    config.resend_ivl_ms = FQC_SYNC_RESEND_IVL_MS;
    fqc *c = NULL;
    char err[256];
    assert_int_equal(0, fqc_open(&config, on_done, &done, &c, err, sizeof err));
    Fengqiao__V1__TerminalSync sync = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    sync.wait_ms = FQC_SYNC_HOLD_MS;
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
    env.terminal_sync = &sync;
    assert_int_equal(0, fqc_submit(c, 1, 42, &env));
    assert_int_equal(1, silent_serve(&a, a_path, c, 10000)); /* held: never answered */

    int b = nn_socket(AF_SP, NN_REP);
    assert_true(b >= 0 && nn_bind(b, b_url) >= 0);
    int64_t t0 = now_ms();
    /* The bound is for a loaded machine; without the move it is 35 s. */
    assert_int_equal(1, request_within(c, b, 15000));
    assert_true(now_ms() - t0 < 15000);
    assert_int_equal(0, done); /* still awaiting its answer */
    fqc_close(c);
    close(a.conn);
    nn_close(b);
    unlink(b_path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_wait_exact),
        cmocka_unit_test(test_doubles_with_jitter),
        cmocka_unit_test(test_capped),
        cmocka_unit_test(test_held_moves_when_another_server_appears),
        cmocka_unit_test(test_held_follows_lost_and_first_connections),
        cmocka_unit_test(test_held_sync_moves_to_the_new_server),
        cmocka_unit_test(test_idle_reopened_only_if_older_than_the_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
