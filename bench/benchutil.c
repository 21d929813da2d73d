/* benchutil: the plumbing the benchmark programs in bench/ share (see
 * benchutil.h). */
#include "benchutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bu_prog = "fq-bench";
static bool bu_with_pid;
static void (*bu_usage)(void);

void bu_init(const char *prog, bool with_pid, void (*usage)(void))
{
    bu_prog = prog;
    bu_with_pid = with_pid;
    bu_usage = usage;
}

static _Noreturn void usage(void)
{
    if (bu_usage)
        bu_usage();
    exit(2);
}

void bu_die_detail(const char *what, const char *detail)
{
    if (bu_with_pid)
        fprintf(stderr, "%s[%d]: %s%s%s\n", bu_prog, (int)getpid(), what, detail ? ": " : "",
                detail ? detail : "");
    else
        fprintf(stderr, "%s: %s%s%s\n", bu_prog, what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

void bu_die(const char *what)
{
    bu_die_detail(what, NULL);
}

void bu_die_errno(const char *what)
{
    bu_die_detail(what, strerror(errno));
}

void *bu_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        bu_die("out of memory");
    return p;
}

long bu_parse_long(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        usage();
    return v;
}

double bu_parse_double(const char *s, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        usage();
    return v;
}

void bu_fill_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            bu_die_errno("getrandom");
        }
        p += n;
        len -= (size_t)n;
    }
}

int64_t bu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double bu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bu_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            bu_die_errno("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

bool bu_read_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- latency samples ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void bu_latencies_sort(struct bu_latencies *l)
{
    if (l->n > 0)
        qsort(l->v, l->n, sizeof(uint32_t), cmp_u32);
}

double bu_latency_us(const struct bu_latencies *l, unsigned permille)
{
    return l->v[(l->n - 1) * permille / 1000] / 1000.0;
}

void bu_latencies_free(struct bu_latencies *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Appends `count` samples read from fd; false when they don't all arrive
 * (the missing ones read as 0). */
static bool latencies_read(struct bu_latencies *l, int fd, uint64_t count)
{
    if (l->n + count > l->cap) {
        l->cap = (l->n + count) * 2;
        l->v = realloc(l->v, sizeof(uint32_t) * l->cap);
        if (!l->v)
            bu_die("out of memory");
    }
    bool ok = bu_read_all(fd, l->v + l->n, sizeof(uint32_t) * count);
    if (!ok)
        memset(l->v + l->n, 0, sizeof(uint32_t) * count);
    l->n += count;
    return ok;
}

/* ---- measuring processes ---- */

bool bu_procs_start(struct bu_procs *ps, int n, long clients, bu_child_fn *child, void *arg)
{
    ps->n = n;
    ps->pids = bu_xmalloc(sizeof(pid_t) * (size_t)n);
    ps->pipes = bu_xmalloc(sizeof(int) * (size_t)n);
    fflush(stdout);
    for (int p = 0; p < n; p++) {
        int fds[2];
        if (pipe(fds) < 0) {
            fprintf(stderr, "%s: pipe: %s\n", bu_prog, strerror(errno));
            return false;
        }
        int count = (int)(clients / n + (p < clients % n ? 1 : 0));
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "%s: fork: %s\n", bu_prog, strerror(errno));
            return false;
        }
        if (pid == 0) {
            close(fds[0]);
            for (int q = 0; q < p; q++)
                close(ps->pipes[q]);
            child(arg, p, count, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        ps->pids[p] = pid;
        ps->pipes[p] = fds[0];
    }
    return true;
}

void bu_send_report(int out, const void *head, size_t head_len, const uint32_t *samples, uint64_t n)
{
    bu_write_all(out, head, head_len);
    bu_write_all(out, samples, sizeof(uint32_t) * n);
}

bool bu_procs_finish(struct bu_procs *ps, void *heads, size_t head_len, size_t count_offset,
                     struct bu_latencies *all)
{
    bool ok = true;
    for (int p = 0; p < ps->n; p++) {
        uint8_t *head = (uint8_t *)heads + (size_t)p * head_len;
        if (!bu_read_all(ps->pipes[p], head, head_len)) {
            fprintf(stderr, "%s: process %d sent no report\n", bu_prog, p);
            memset(head, 0, head_len);
            ok = false;
        } else {
            uint64_t count;
            memcpy(&count, head + count_offset, sizeof count);
            if (!latencies_read(all, ps->pipes[p], count)) {
                fprintf(stderr, "%s: short report from process %d\n", bu_prog, p);
                ok = false;
            }
        }
        close(ps->pipes[p]);
    }
    for (int p = 0; p < ps->n; p++) {
        int status;
        if (waitpid(ps->pids[p], &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s: process %d failed\n", bu_prog, p);
            ok = false;
        }
    }
    free(ps->pids);
    free(ps->pipes);
    ps->pids = NULL;
    ps->pipes = NULL;
    return ok;
}
