/* benchutil: the plumbing the benchmark programs in bench/ share.
 *
 * Fatal errors that name the program, allocation, option parsing, random
 * filling, the monotonic clock, pipe I/O, and the measuring processes: the
 * parent forks P of them, each sends back a fixed-size report followed by its
 * latency samples (uint32 nanoseconds) through a pipe, and the parent merges
 * the samples into one array and reads percentiles off it.
 *
 * Call bu_init first: the messages of this module start with the program's
 * name, and bad option values call the program's usage(). */
#ifndef FQ_BENCH_BENCHUTIL_H
#define FQ_BENCH_BENCHUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* prog starts every message; with_pid adds "[pid]" to the fatal ones (for
 * programs whose children die on their own); usage must not return. */
void bu_init(const char *prog, bool with_pid, void (*usage)(void));

/* "prog[pid]: what", exit status 1. */
_Noreturn void bu_die(const char *what);
/* "prog[pid]: what: detail", exit status 1. */
_Noreturn void bu_die_detail(const char *what, const char *detail);
/* "prog[pid]: what: strerror(errno)", exit status 1. */
_Noreturn void bu_die_errno(const char *what);
/* malloc that dies on failure (and never returns NULL for 0 bytes). */
void *bu_xmalloc(size_t n);

/* A whole decimal number or a float in [min, max]; anything else calls usage. */
long bu_parse_long(const char *s, long min, long max);
double bu_parse_double(const char *s, double min, double max);

/* Fills buf from getrandom(2); dies on failure. */
void bu_fill_random(void *buf, size_t len);

/* CLOCK_MONOTONIC in nanoseconds and in seconds. */
int64_t bu_now_ns(void);
double bu_now_s(void);

/* Writes all of buf, dies on failure. */
void bu_write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; false on error or end of file first. */
bool bu_read_all(int fd, void *buf, size_t len);

/* ---- latency samples ---- */

/* A growing array of latencies in nanoseconds. */
struct bu_latencies {
    uint32_t *v;
    uint64_t n, cap;
};

/* Sorts ascending; then bu_latency_us reads the permille-th percentile
 * (element (n-1)*permille/1000, 1000 is the maximum) in microseconds. */
void bu_latencies_sort(struct bu_latencies *l);
double bu_latency_us(const struct bu_latencies *l, unsigned permille);
void bu_latencies_free(struct bu_latencies *l);

/* ---- measuring processes ---- */

struct bu_procs {
    int n;
    pid_t *pids;
    int *pipes; /* read ends, one a process */
};

/* Runs in process `index` of P with its share `count` of the clients and the
 * pipe `out` to the parent; the process exits with 0 when it returns. */
typedef void bu_child_fn(void *arg, int index, int count, int out);

/* Flushes stdout and forks n processes that split `clients` between them (the
 * first clients % n get one more). false, with a message, when pipe or fork
 * fails. */
bool bu_procs_start(struct bu_procs *ps, int n, long clients, bu_child_fn *child, void *arg);

/* In a child: its report (head_len bytes that hold the sample count), then
 * the n samples. */
void bu_send_report(int out, const void *head, size_t head_len, const uint32_t *samples,
                    uint64_t n);

/* In the parent: reads each process's report into heads[p] (head_len bytes
 * each; the uint64_t at count_offset says how many samples follow), appends
 * the samples to all, then reaps the processes. A process that sent no report
 * leaves a zeroed head. false when any process failed (each one said on
 * stderr). Frees what bu_procs_start allocated. */
bool bu_procs_finish(struct bu_procs *ps, void *heads, size_t head_len, size_t count_offset,
                     struct bu_latencies *all);

#endif
