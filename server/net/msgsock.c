#include "msgsock.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <stdlib.h>
#include <string.h>

struct fq_reply_token {
    void *control;    /* nanomsg chunk holding the SP backtrace header */
    fq_msgsock *sock; /* where the request came in, where its answer goes */
    /* A local token (sock NULL, control NULL): the answer goes to a function
     * in this process (the web console's API) instead of nanomsg. */
    fq_reply_local_fn local_fn;
    void *local_user;
    uint64_t *by_status; /* fq_reply_token_count_in */
};

fq_reply_token *fq_reply_token_local(fq_reply_local_fn fn, void *user)
{
    fq_reply_token *token = calloc(1, sizeof *token);
    if (token == NULL)
        return NULL;
    token->local_fn = fn;
    token->local_user = user;
    return token;
}

void fq_reply_token_count_in(fq_reply_token *token, uint64_t *by_status)
{
    token->by_status = by_status;
}

uint64_t *fq_reply_token_counter(const fq_reply_token *token)
{
    return token->by_status;
}

/* Answers a local token (body NULL: dropped) and consumes it. */
static void answer_local(fq_reply_token *token, const uint8_t *body, size_t len)
{
    fq_reply_local_fn fn = token->local_fn;
    void *user = token->local_user;
    free(token);
    fn(user, body, body != NULL ? len : 0);
}

typedef struct queued_reply {
    struct queued_reply *next;
    void *control;
    void *chunk; /* nanomsg message chunk with the body */
} queued_reply;

struct fq_msgsock {
    uv_loop_t *loop;
    int nn;
    int budget;
    fq_msgsock_request_cb on_request;
    void *user;
    uv_poll_t *recv_poll;
    uv_poll_t *send_poll;
    int send_armed;
    int endpoint; /* nn_bind's endpoint id, -1 while unbound */
    queued_reply *queue_head, *queue_tail;
    int open_handles;
    fq_msgsock_stats stats;
};

static void on_readable(uv_poll_t *poll, int status, int events);
static void on_writable(uv_poll_t *poll, int status, int events);

static int poll_for(fq_msgsock *sock, int option, uv_poll_t **out)
{
    int fd;
    size_t fd_len = sizeof fd;
    if (nn_getsockopt(sock->nn, NN_SOL_SOCKET, option, &fd, &fd_len) != 0)
        return FQ_ESOCKET;
    uv_poll_t *poll = malloc(sizeof *poll);
    if (poll == NULL)
        return FQ_ENOMEM;
    if (uv_poll_init(sock->loop, poll, fd) != 0) {
        free(poll);
        return FQ_ESOCKET;
    }
    poll->data = sock;
    sock->open_handles++;
    *out = poll;
    return FQ_OK;
}

int fq_msgsock_open(uv_loop_t *loop, size_t max_frame, int budget, fq_msgsock_request_cb on_request,
                    void *user, fq_msgsock **out, const char **error)
{
    *out = NULL;
    *error = NULL;
    fq_msgsock *sock = calloc(1, sizeof *sock);
    if (sock == NULL)
        return FQ_ENOMEM;
    sock->loop = loop;
    sock->budget = budget > 0 ? budget : 64;
    sock->on_request = on_request;
    sock->user = user;
    sock->endpoint = -1;
    sock->nn = nn_socket(AF_SP_RAW, NN_REP);
    if (sock->nn < 0) {
        *error = nn_strerror(nn_errno());
        free(sock);
        return FQ_ESOCKET;
    }
    /* nanomsg counts the REQ peer's 4-byte request id in NN_RCVMAXSIZE: a
     * frame of exactly max_frame bytes must still fit. */
    int max = max_frame > (size_t)INT32_MAX - 4 ? INT32_MAX : (int)max_frame + 4;
    int linger = 0;
    if (nn_setsockopt(sock->nn, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max) != 0 ||
        nn_setsockopt(sock->nn, NN_SOL_SOCKET, NN_LINGER, &linger, sizeof linger) != 0) {
        *error = nn_strerror(nn_errno());
        nn_close(sock->nn);
        free(sock);
        return FQ_ESOCKET;
    }
    int rv = poll_for(sock, NN_RCVFD, &sock->recv_poll);
    if (rv == FQ_OK)
        rv = poll_for(sock, NN_SNDFD, &sock->send_poll);
    if (rv != FQ_OK) {
        *error = "cannot poll the nanomsg socket";
        fq_msgsock_close(sock);
        return rv;
    }
    uv_poll_start(sock->recv_poll, UV_READABLE, on_readable);
    *out = sock;
    return FQ_OK;
}

int fq_msgsock_bind(fq_msgsock *sock, const char *url, const char **error)
{
    *error = NULL;
    if (sock->endpoint >= 0)
        return FQ_OK;
    int eid = nn_bind(sock->nn, url);
    if (eid < 0) {
        *error = nn_strerror(nn_errno());
        return FQ_EBIND;
    }
    sock->endpoint = eid;
    return FQ_OK;
}

int fq_msgsock_bound(const fq_msgsock *sock)
{
    return sock->endpoint >= 0;
}

int fq_msgsock_listen(uv_loop_t *loop, const char *url, size_t max_frame, int budget,
                      fq_msgsock_request_cb on_request, void *user, fq_msgsock **out,
                      const char **error)
{
    int rv = fq_msgsock_open(loop, max_frame, budget, on_request, user, out, error);
    if (rv != FQ_OK)
        return rv;
    if ((rv = fq_msgsock_bind(*out, url, error)) != FQ_OK) {
        fq_msgsock_close(*out);
        *out = NULL;
    }
    return rv;
}

static void on_readable(uv_poll_t *poll, int status, int events)
{
    (void)events;
    fq_msgsock *sock = poll->data;
    if (status < 0)
        return;
    /* Drain up to the budget; NN_RCVFD stays readable while messages remain,
     * so the loop comes back after serving its other handles. */
    for (int i = 0; i < sock->budget; i++) {
        void *body = NULL;
        void *control = NULL;
        struct nn_iovec iov = {&body, NN_MSG};
        struct nn_msghdr hdr;
        memset(&hdr, 0, sizeof hdr);
        hdr.msg_iov = &iov;
        hdr.msg_iovlen = 1;
        hdr.msg_control = &control;
        hdr.msg_controllen = NN_MSG;
        int len = nn_recvmsg(sock->nn, &hdr, NN_DONTWAIT);
        if (len < 0) {
            int err = nn_errno();
            if (err != EAGAIN && err != EINTR)
                sock->stats.receive_errors++;
            return;
        }
        sock->stats.received++;
        fq_reply_token *token = calloc(1, sizeof *token);
        if (token == NULL || control == NULL) {
            /* Cannot remember whom to answer: the peer's REQ resends. */
            free(token);
            if (control != NULL)
                nn_freemsg(control);
            nn_freemsg(body);
            sock->stats.dropped++;
            continue;
        }
        token->control = control;
        token->sock = sock;
        sock->on_request(sock->user, body, (size_t)len, token);
        nn_freemsg(body);
    }
}

/* Tries to hand one reply to nanomsg. On success nanomsg owns the body
 * chunk; the control chunk (the routing header) stays ours either way: it is
 * passed as a plain buffer, which nanomsg copies, because nanomsg frees a
 * control chunk passed as NN_MSG even when the send fails — and a reply that
 * has to wait for NN_SNDFD needs its header again. The raw REP header is one
 * control message, so its size is its cmsg_len, aligned. */
static int try_send(fq_msgsock *sock, void **chunk, void *control)
{
    struct nn_iovec iov = {chunk, NN_MSG};
    struct nn_msghdr hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control;
    hdr.msg_controllen = NN_CMSG_ALIGN_(((const struct nn_cmsghdr *)control)->cmsg_len);
    return nn_sendmsg(sock->nn, &hdr, NN_DONTWAIT) >= 0 ? 0 : nn_errno();
}

static void arm_send(fq_msgsock *sock, int on)
{
    if (on && !sock->send_armed)
        uv_poll_start(sock->send_poll, UV_READABLE, on_writable); /* NN_SNDFD signals as readable */
    else if (!on && sock->send_armed)
        uv_poll_stop(sock->send_poll);
    sock->send_armed = on;
}

static void flush_queue(fq_msgsock *sock)
{
    while (sock->queue_head != NULL) {
        queued_reply *q = sock->queue_head;
        int err = try_send(sock, &q->chunk, q->control);
        if (err == EAGAIN)
            break;
        if (err != 0) {
            nn_freemsg(q->chunk);
            sock->stats.dropped++;
        } else {
            sock->stats.replied++;
        }
        nn_freemsg(q->control);
        sock->queue_head = q->next;
        if (sock->queue_head == NULL)
            sock->queue_tail = NULL;
        free(q);
    }
    arm_send(sock, sock->queue_head != NULL);
}

static void on_writable(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    flush_queue(poll->data);
}

int fq_msgsock_reply(fq_msgsock *sock, fq_reply_token *token, const uint8_t *body, size_t len)
{
    if (token->local_fn != NULL) {
        static const uint8_t empty[1];
        answer_local(token, body != NULL ? body : empty, len);
        return FQ_OK;
    }
    void *control = token->control;
    free(token);
    void *chunk = nn_allocmsg(len, 0);
    if (chunk == NULL) {
        nn_freemsg(control);
        sock->stats.dropped++;
        return FQ_ENOMEM;
    }
    if (len > 0)
        memcpy(chunk, body, len);
    if (sock->queue_head == NULL) {
        int err = try_send(sock, &chunk, control);
        if (err == 0) {
            nn_freemsg(control);
            sock->stats.replied++;
            return FQ_OK;
        }
        if (err != EAGAIN) {
            /* The peer is gone or the header is stale: nothing to answer. */
            nn_freemsg(chunk);
            nn_freemsg(control);
            sock->stats.dropped++;
            return FQ_OK;
        }
    }
    queued_reply *q = malloc(sizeof *q);
    if (q == NULL) {
        nn_freemsg(chunk);
        nn_freemsg(control);
        sock->stats.dropped++;
        return FQ_ENOMEM;
    }
    q->next = NULL;
    q->chunk = chunk;
    q->control = control;
    if (sock->queue_tail)
        sock->queue_tail->next = q;
    else
        sock->queue_head = q;
    sock->queue_tail = q;
    sock->stats.reply_queued++;
    arm_send(sock, 1);
    return FQ_OK;
}

fq_msgsock *fq_reply_token_socket(const fq_reply_token *token)
{
    return token->sock;
}

void fq_msgsock_drop(fq_msgsock *sock, fq_reply_token *token)
{
    if (token->local_fn != NULL) {
        answer_local(token, NULL, 0);
        return;
    }
    nn_freemsg(token->control);
    free(token);
    sock->stats.dropped++;
}

void fq_msgsock_pause(fq_msgsock *sock)
{
    if (sock->recv_poll)
        uv_poll_stop(sock->recv_poll);
}

static void on_handle_closed(uv_handle_t *handle)
{
    fq_msgsock *sock = handle->data;
    free(handle);
    if (--sock->open_handles == 0) {
        nn_close(sock->nn);
        free(sock);
    }
}

void fq_msgsock_close(fq_msgsock *sock)
{
    while (sock->queue_head != NULL) {
        queued_reply *q = sock->queue_head;
        sock->queue_head = q->next;
        nn_freemsg(q->chunk);
        nn_freemsg(q->control);
        free(q);
    }
    sock->queue_tail = NULL;
    if (sock->open_handles == 0) {
        nn_close(sock->nn);
        free(sock);
        return;
    }
    /* nn_close waits for the last handle: the fds must outlive the polls. */
    if (sock->recv_poll)
        uv_close((uv_handle_t *)sock->recv_poll, on_handle_closed);
    if (sock->send_poll)
        uv_close((uv_handle_t *)sock->send_poll, on_handle_closed);
}

const fq_msgsock_stats *fq_msgsock_get_stats(const fq_msgsock *sock)
{
    return &sock->stats;
}
