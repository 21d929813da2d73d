#include "store.h"

#include "chain.h"
#include "log.h"
#include "lookup_conn.h"
#include "open_copy.h"
#include "outbox.h"
#include "pgarray.h"
#include "pgconn.h"
#include "pgerror.h"
#include "statements.h"
#include "stored_reports.h"
#include "write_params.h"
#include "writeplan.h"

#include <inttypes.h>
#include <sodium.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 5
/* The EXP_LOADs of FQ_SQL_OPEN_ESTIMATE and FQ_SQL_OPEN_SNAPSHOT (load
 * indices none of FQ_LOAD_* has). */
#define LOAD_OPEN_ESTIMATE FQ_LOAD_COUNT
#define LOAD_OPEN_SNAPSHOT (FQ_LOAD_COUNT + 1)
/* A warm standby's (FQ_SQL_STANDBY_POINT, FQ_SQL_STANDBY_TOUCHED). */
#define LOAD_POINT (FQ_LOAD_COUNT + 2)
#define LOAD_TOUCHED (FQ_LOAD_COUNT + 3)
#define SWEEP_INTERVAL_MS 50
/* While another server holds the serving lock, the claim is tried again on
 * the same connection this often: a standby takes over at most this long
 * after PostgreSQL released the lock (docs/ha.md, app_cut's timeline). A
 * claim is one short pipeline, a few a second cost PostgreSQL nothing. */
#define GUARD_RETRY_MS 250 /* and as much again at random: 0.25-0.5 s */
/* A database failover ends every session on the old primary, the serving
 * server's and with it the serving lock: both servers then reconnect to the
 * new primary and would claim the lock in a race that the standby wins half
 * the time (an application failover for nothing: the serving server stops,
 * its requests in flight wait out the clients' answer wait, the standby
 * catches up). So the server that held the lock claims it at once on its
 * next connection, and a standby whose connection broke waits this long on
 * its new one before its first claim (docs/ha.md, "What each fault does").
 * Both try the nodes every 0.25-0.5 s (pgconn.c) and find the new primary
 * within that of each other; the serving one's claim is one round trip
 * after its connect. 2 s covers that many times over on a loaded machine,
 * and is what a standby's take-over costs more when the serving server's
 * host dies together with the primary (two faults). A fresh standby (its
 * first connection) claims at once: no server lost anything to it. */
#define CLAIM_GRACE_MS 2000 /* and up to a quarter more at random: 2-2.5 s */
/* Incident ids are reserved this many at a time unless configured
 * (--id-block), and again when fewer than two batches' worth are left. */
#define ID_BLOCK 4096
/* The plan's failures: another head (a batch before this one did not
 * commit), or a statement that would write less than planned. Neither is
 * the operation's fault: it is written again, in serial mode. */
#define SQLSTATE_OTHER_HEAD "FQ001"
#define SQLSTATE_NOT_AS_PLANNED "FQ002"
#define SQLSTATE_READ_ONLY "25006" /* read_only_sql_transaction: not the primary */
/* in_failed_sql_transaction: a batch pipelined behind one whose statement
 * failed meets that batch's aborted transaction (a Sync does not end an
 * explicit one) and fails at its BEGIN. Not its operations' fault. */
#define SQLSTATE_ABORTED_BEFORE "25P02"

#ifdef FQ_FAULT_INJECTION
/* Test builds only (fengqiaod-faults, tests/integration/test_store_faults.sh):
 * FQ_FAULT_ALLOC_FAIL_AT=N makes the store's N-th allocation fail, and
 * FQ_FAULT_ALLOC_FAIL_EVERY=K every K-th one after it. The expectation ring
 * starts small so that its growth, rare in production, happens under load. */
#define EXPECT_FIRST_CAP 8
static void *store_alloc(size_t size, int zeroed)
{
    static unsigned long count, fail_at, every;
    static int configured;
    if (!configured) {
        const char *at = getenv("FQ_FAULT_ALLOC_FAIL_AT");
        const char *ev = getenv("FQ_FAULT_ALLOC_FAIL_EVERY");
        fail_at = at ? strtoul(at, NULL, 10) : 0;
        every = ev ? strtoul(ev, NULL, 10) : 0;
        configured = 1;
    }
    count++;
    if (fail_at != 0 &&
        (count == fail_at || (every != 0 && count > fail_at && (count - fail_at) % every == 0))) {
        fq_log(FQ_LOG_WARN, "store", "fault injection: allocation %lu of %zu bytes fails", count,
               size);
        return NULL;
    }
    return zeroed ? calloc(1, size) : malloc(size);
}
#else
#define EXPECT_FIRST_CAP 1024
static void *store_alloc(size_t size, int zeroed)
{
    return zeroed ? calloc(1, size) : malloc(size);
}
#endif

/* An outbox item's planned seq, committed with its batch. */
typedef struct planned_box {
    fq_writeplan_box *entry;
    int64_t seq;
} planned_box;

/* One COMMIT's worth of operations. */
typedef struct batch {
    fq_store_op *ops; /* in statement order, linked through next */
    fq_store_op *failed_op;
    int failed;      /* some result in the batch was an error */
    char error[256]; /* fq_pg_error_describe: no values of the failing row */
    char sqlstate[6];
    size_t ops_waiting;   /* statements whose results have not arrived */
    uint64_t sent_ns;     /* uv_hrtime when it was sent: the commit latency */
    uint64_t executed_ns; /* uv_hrtime when its statements' results were back */
    /* The plan (docs/write-path.md): the chain from `before` to `after`,
     * the outbox seqs. In serial mode (one operation) the statement may
     * write a prefix of its events: `events` are their planned seqs and
     * hashes, `written` the last seq the chain advance found (-1: none yet). */
    int serial;
    fq_chain_head before, after;
    fq_chain_head events[FQ_STORE_MAX_EVENTS];
    int nevents;
    int64_t written;
    int set_failed; /* its set-based statement failed: a resend, or a bad row in it */
    planned_box *boxes;
    size_t nboxes, boxes_cap;
} batch;

typedef enum {
    EXP_BEGIN,
    EXP_OP,
    EXP_COMMIT,
    EXP_SYNC,        /* end of a batch */
    EXP_GUARD,       /* the serving lock's claim, first of the setup */
    EXP_SETUP,       /* PREPARE, LISTEN: must succeed */
    EXP_LOAD,        /* directory: one of the FQ_LOAD_* queries */
    EXP_LOAD_SYNC,   /* end of a directory load */
    EXP_SETUP_SYNC,  /* end of the statements prepared on a new connection */
    EXP_LISTEN_SYNC, /* a warm standby's LISTEN, before the claim (send_setup) */
    EXP_HEADS,       /* setup: one of the heads the plan starts from (load: which) */
    EXP_ADVANCE,     /* a batch's chain advance */
    EXP_RESERVE,     /* a block of incident ids */
    EXP_RESERVE_SYNC,
    EXP_SET,         /* a batch's set-based statement of reports (FQ_SQL_INSERT_REPORTS) */
    EXP_LOOKUP,      /* the lookup of stored reports (its ROLLBACK before it: no lookup) */
    EXP_LOOKUP_SYNC, /* end of a lookup sent on its own */
} exp_kind;

/* What the batch lookup knows of a report's (node, message id)
 * (fq_store_op.idem; docs/write-path.md "Resends in a batch"). */
enum {
    IDEM_UNKNOWN, /* not asked yet: not in a batch outside serial mode */
    IDEM_ASKED,   /* in a lookup in flight, which names it: stays in pending */
    IDEM_NEW,     /* not stored when asked: written as planned */
    IDEM_STORED,  /* stored: answered from the row the lookup read, nothing written */
};

/* A lookup in flight: the reports it asked about, in the order of its
 * arrays (their position is what its rows name). One sent on the lookup
 * connection (lookup_conn.h) is kept in the store's list under its id,
 * which its answer names: an answer whose id is no longer there (voided
 * when a connection was lost, or the store closed) touches nothing. */
typedef struct lookup {
    uint64_t id;      /* on the lookup connection: its answer names it */
    uint64_t sent_ns; /* uv_hrtime when it was sent there */
    struct lookup *next;
    size_t n;
    fq_store_op *ops[];
} lookup;

/* A lookup on the lookup connection that has not answered in this long
 * (its backend blocked or gone without a word) is given up: its reports
 * are asked again, in their batches, while that connection is made again. */
#define LOOKUP_PATIENCE_MS 500

enum { HEAD_CHAIN, HEAD_BOXES, HEAD_FEEDS, HEAD_IDS, HEAD_COUNT };

/* What the next result from the connection belongs to. */
typedef struct expectation {
    exp_kind kind;
    int got_result;
    int load; /* EXP_LOAD: which query */
    fq_store_op *op;
    batch *batch;
    lookup *lookup; /* EXP_LOOKUP, until its result is taken */
} expectation;

typedef struct op_queue {
    fq_store_op *head, *tail;
    size_t count;
} op_queue;

struct fq_store {
    uv_loop_t *loop;
    fq_store_config config;
    fq_pg *pg;
    fq_store_directory_cb on_directory;
    fq_store_status_cb on_status;
    void *user;

    op_queue pending;  /* not yet sent */
    op_queue finished; /* answered, callbacks not yet run */

    /* The server's sequences (docs/write-path.md). After a batch failed,
     * nothing more is sent until every batch in flight is answered
     * (`replanning`); their operations gather in `retry`, in order, and are
     * then written one per transaction (`serial_left` of them) from the
     * committed heads. */
    fq_writeplan *plan;
    PGresult *heads[HEAD_COUNT];
    int heads_ok;
    int reserve_in_flight;
    int replanning;
    int heads_stale; /* another writer moved the chain: reconnect */
    int not_primary; /* PostgreSQL refused a write as read-only: reconnect */
    op_queue retry;
    size_t serial_left;
    fq_pgbuf scratch;       /* one operation's plan parameters while it is sent */
    struct planned_op *set; /* a batch's run of reports for FQ_SQL_INSERT_REPORTS */
    size_t set_cap;
    fq_pgbuf set_buf;
    fq_pgbuf lookup_buf;
    int lookup_wanted;           /* pending may hold reports never asked about */
    int lookups_alone_in_flight; /* lookups sent on their own (send_lookup_alone) */
    /* The lookup connection (writes store only; NULL otherwise) and the
     * lookups in flight on it, oldest first. */
    fq_lookup_conn *lookup_conn;
    int lookup_started; /* a warm standby's starts once it holds the serving lock */
    lookup *own_head, *own_tail;
    uint64_t next_lookup_id;

    expectation *expect; /* ring buffer */
    size_t expect_cap, expect_head, expect_count;

    int batches_in_flight;
    int batches_executing; /* in flight and not yet at their COMMIT */
    int setup_done;        /* statements prepared on this connection */
    /* The serving lock (docs/operations.md): held by this connection's
     * session once its setup succeeded; refused while another server holds
     * it, and then claimed again at guard_retry_at. */
    int guard_held;
    int guard_refused; /* by the setup in flight */
    uint64_t guard_retry_at;
    /* The last claim was refused (a standby) and a connection broke since:
     * the next connection waits CLAIM_GRACE_MS before it claims, letting
     * the server that held the lock have it again; until then, while
     * claim_deferred, that connection sends nothing. */
    int claim_refused_last;
    int claim_grace_due;
    int claim_deferred;
    int claim_after_grace; /* the claim in flight is the one after a grace */
    char guard_message[256];
    fq_store_guard_cb on_guard;
    int directory_loaded; /* at least once on this connection */
    int directory_wanted; /* a reload is due */
    int directory_in_flight;
    int open_loaded; /* the open incidents were loaded once; never again */
    /* The open incidents of the load in flight, read by a loader on a
     * connection of its own in the load's snapshot (send_load, open_copy.h):
     * while streaming, the load's transaction is open on the connection
     * (the snapshot lives as long as it) and nothing else is sent into it. */
    fq_store_open_rows_cb on_open_rows;
    /* The loaders (one, or two for the halves of a large table:
     * FQ_SQL_OPEN_COPY_HALF), each while it runs. */
    struct open_loader {
        fq_store *s;
        fq_open_copy *copy;
    } loaders[2];
    long long open_split_page; /* FQ_SQL_OPEN_ESTIMATE's page count / 2; 0: one loader */
    int open_streaming;
    int open_end_sent;           /* its COMMIT and sync are queued */
    int open_done;               /* the loader read every row */
    int open_failed;             /* it failed: the load is repeated whole */
    int open_delivered;          /* chunks were handed over (void if the load fails) */
    size_t open_expected;        /* FQ_SQL_OPEN_ESTIMATE's answer; 0 unknown */
    int flush_wanted;            /* statements queued while results were read */
    uint64_t directory_retry_at; /* loop time before which no load is sent */
    PGresult *loaded[FQ_LOAD_COUNT];
    /* A warm standby (fq_store_set_warm): loads while refused the lock,
     * LISTENs before it claims it; while tracking, each load reads its
     * point and the incidents touched since the last one. */
    int warm;
    int tracking;
    int listening;      /* the LISTEN is in, on this connection */
    int catchup_wanted; /* a load of the touched incidents only is due */
    int64_t point;      /* the event seq the open incidents are at (-1: none) */
    fq_store_point_cb on_point;
    /* What the load in flight reads besides (send_load). */
    int load_directory, load_point_wanted, load_touched, load_guarded;
    int64_t load_point;
    PGresult *touched;

    uv_prepare_t prepare;   /* group commit: send before the loop sleeps */
    uv_timer_t lookup_wait; /* wait_for_lookup's bound */
    uv_timer_t sweeper;     /* expires operations held too long */
    uint64_t busy_said_at;  /* loop time why operations went busy was last logged */
    uint64_t busy_unsaid;   /* answered busy since */
    int open_handles;
    int closing;
    fq_store_stats stats;
};

/* ---- queues ---- */

static void q_push(op_queue *q, fq_store_op *op)
{
    op->next = NULL;
    if (q->tail)
        q->tail->next = op;
    else
        q->head = op;
    q->tail = op;
    q->count++;
}

static fq_store_op *q_pop(op_queue *q)
{
    fq_store_op *op = q->head;
    if (op) {
        q->head = op->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->count--;
        op->next = NULL;
    }
    return op;
}

/* Puts a chain back at the front, keeping its order: retried operations go
 * before newer ones. */
static void q_push_front_chain(op_queue *q, fq_store_op *first, fq_store_op *last, size_t n)
{
    if (first == NULL)
        return;
    last->next = q->head;
    q->head = first;
    if (q->tail == NULL)
        q->tail = last;
    q->count += n;
}

static void finish(fq_store *s, fq_store_op *op, int status)
{
    /* Callbacks run from the prepare hook, never inside submit or a result. */
    op->status = status;
    q_push(&s->finished, op);
}

/* ---- expectations ---- */

/* Makes room for `n` more expectations before anything is sent: once a
 * statement is queued its result will come, and an expectation missing for
 * it would hand every later result to the wrong operation. */
static int expect_reserve(fq_store *s, size_t n)
{
    if (s->expect_cap - s->expect_count >= n)
        return 0;
    size_t cap = s->expect_cap ? s->expect_cap : EXPECT_FIRST_CAP;
    while (cap - s->expect_count < n)
        cap *= 2;
    expectation *e = store_alloc(cap * sizeof *e, 0);
    if (e == NULL)
        return -1;
    for (size_t i = 0; i < s->expect_count; i++)
        e[i] = s->expect[(s->expect_head + i) % s->expect_cap];
    free(s->expect);
    s->expect = e;
    s->expect_cap = cap;
    s->expect_head = 0;
    return 0;
}

/* Only after expect_reserve: never allocates, never fails. */
static expectation *expect_push(fq_store *s, exp_kind kind, fq_store_op *op, batch *b)
{
    if (s->expect_count == s->expect_cap)
        abort(); /* a statement sent without reserving: a bug, not a condition */
    expectation *e = &s->expect[(s->expect_head + s->expect_count) % s->expect_cap];
    e->kind = kind;
    e->got_result = 0;
    e->load = -1;
    e->op = op;
    e->batch = b;
    e->lookup = NULL;
    s->expect_count++;
    return e;
}

static expectation *expect_front(fq_store *s)
{
    return s->expect_count ? &s->expect[s->expect_head] : NULL;
}

static void expect_pop(fq_store *s)
{
    s->expect_head = (s->expect_head + 1) % s->expect_cap;
    s->expect_count--;
}

/* ---- retry and completion ---- */

/* The batch was in flight when the connection broke: whether it committed
 * is unknown. Its operations go back in front, except those that have been
 * tried too often; on the writes connection they are in doubt from now on
 * (on_sweep leaves them to their commit). */
static void requeue_ops(fq_store *s, fq_store_op *ops, const fq_store_op *except)
{
    fq_store_op *first = NULL, *last = NULL;
    size_t n = 0;
    for (fq_store_op *op = ops, *next; op != NULL; op = next) {
        next = op->next;
        if (op == except)
            continue;
        if (++op->attempts >= MAX_ATTEMPTS) {
            finish(s, op, FQ_EINTERNAL);
            continue;
        }
        /* A reads store's statements write nothing: nothing is in doubt. */
        if (s->config.reads_timeout_ms == 0)
            op->in_doubt = 1;
        s->stats.ops_retried++;
        /* Rows of the attempt that did not commit are not the answer. */
        PQclear(op->result);
        op->result = NULL;
        op->next = NULL;
        if (last)
            last->next = op;
        else
            first = op;
        last = op;
        n++;
    }
    q_push_front_chain(&s->pending, first, last, n);
}

/* A batch of a failed plan: its operations go to the retry queue in order
 * (written again in serial mode once nothing is in flight). `count`: the
 * failure may be theirs (an attempt is counted); a failed plan is not. */
static void retry_ops(fq_store *s, fq_store_op *ops, const fq_store_op *except, int count)
{
    for (fq_store_op *op = ops, *next; op != NULL; op = next) {
        next = op->next;
        if (op == except)
            continue;
        if (count && ++op->attempts >= MAX_ATTEMPTS) {
            finish(s, op, FQ_EINTERNAL);
            continue;
        }
        s->stats.ops_retried++;
        PQclear(op->result);
        op->result = NULL;
        q_push(&s->retry, op);
    }
}

/* Every batch planned on top of a failed one is answered: plan again from
 * what committed, the failed batches' operations first and one by one. */
static void end_replanning(fq_store *s)
{
    if (!s->replanning || s->batches_in_flight > 0)
        return;
    s->replanning = 0;
    fq_writeplan_rewind(s->plan);
    s->serial_left += s->retry.count;
    q_push_front_chain(&s->pending, s->retry.head, s->retry.tail, s->retry.count);
    s->retry.head = s->retry.tail = NULL;
    s->retry.count = 0;
}

static void free_batch(batch *b)
{
    free(b->boxes);
    free(b);
}

static int transient_sqlstate(const fq_store *s, const char *state)
{
    /* A reads store's statement_timeout (57014, query_canceled) is the
     * answer, not a hiccup: the same read would be cancelled again. */
    if (s->config.reads_timeout_ms > 0 && strcmp(state, "57014") == 0)
        return 0;
    /* 40: serialization failure, deadlock; 53: insufficient resources;
     * 57: operator intervention (shutdown); 08: connection. */
    return strncmp(state, "40", 2) == 0 || strncmp(state, "53", 2) == 0 ||
           strncmp(state, "57", 2) == 0 || strncmp(state, "08", 2) == 0;
}

/* The batch committed: so did its part of the plan (in serial mode, the
 * events the statement wrote and, with them, its outbox items). */
static void plan_committed(fq_store *s, const batch *b)
{
    if (b->nevents == 0)
        return;
    if (b->serial) {
        int k = -1;
        for (int i = 0; i < b->nevents; i++)
            if (b->events[i].seq == b->written)
                k = i;
        if (k < 0)
            return; /* nothing written: the head stays */
        fq_writeplan_chain_committed(s->plan, &b->events[k]);
    } else {
        fq_writeplan_chain_committed(s->plan, &b->after);
    }
    for (size_t i = 0; i < b->nboxes; i++)
        fq_writeplan_box_committed(b->boxes[i].entry, b->boxes[i].seq);
}

static void finish_batch(fq_store *s, batch *b)
{
    s->batches_in_flight--;
    if (!b->failed) {
        if (b->ops != NULL)
            fq_histogram_observe(&s->stats.commit_seconds,
                                 (double)(uv_hrtime() - b->sent_ns) / 1e9);
        plan_committed(s, b);
        uint64_t answered_ns = uv_hrtime();
        for (fq_store_op *op = b->ops, *next; op != NULL; op = next) {
            next = op->next;
            op->sent_ns = b->sent_ns;
            op->executed_ns = b->executed_ns;
            op->answered_ns = answered_ns;
            if (op->kind == FQ_STORE_OP_REPORT && !op->got_row) {
                finish(s, op, FQ_EINTERNAL);
                continue;
            }
            s->stats.ops_committed++;
            if ((unsigned)op->kind < sizeof s->stats.committed_by_kind / sizeof(uint64_t))
                s->stats.committed_by_kind[op->kind]++;
            finish(s, op, FQ_OK);
        }
    } else if (b->set_failed || strcmp(b->sqlstate, SQLSTATE_OTHER_HEAD) == 0 ||
               strcmp(b->sqlstate, SQLSTATE_NOT_AS_PLANNED) == 0 ||
               strcmp(b->sqlstate, SQLSTATE_ABORTED_BEFORE) == 0) {
        /* The plan failed, not an operation: all of them again, serially. */
        s->replanning = 1;
        retry_ops(s, b->ops, NULL, 0);
        if (b->serial && strcmp(b->sqlstate, SQLSTATE_OTHER_HEAD) == 0) {
            /* Planned from what this server committed, with nothing else in
             * flight, and still another head: something else wrote events.
             * The heads are read again on a new connection. */
            fq_log(FQ_LOG_WARN, "store",
                   "the event chain head moved under the server: reading "
                   "the heads again");
            s->heads_stale = 1;
        }
    } else if (strcmp(b->sqlstate, SQLSTATE_READ_ONLY) == 0) {
        /* The server is a standby now (demoted, or a failover the
         * connection outlived): the operations go again on a new
         * connection, which libpq makes to the primary
         * (target_session_attrs=read-write). */
        s->not_primary = 1;
        s->replanning = 1;
        retry_ops(s, b->ops, NULL, 0);
    } else if (b->failed_op != NULL && !transient_sqlstate(s, b->sqlstate)) {
        /* Isolate: the failing statement is answered, the rest go again. */
        fq_store_op *bad = b->failed_op;
        fq_log(FQ_LOG_WARN, "store", "statement refused: %s", b->error);
        s->replanning = 1;
        retry_ops(s, b->ops, bad, 1);
        snprintf(bad->error, sizeof bad->error, "%s", b->error);
        snprintf(bad->sqlstate, sizeof bad->sqlstate, "%s", b->sqlstate);
        s->stats.ops_rejected++;
        finish(s, bad, FQ_EREJECTED);
    } else {
        s->replanning = 1;
        retry_ops(s, b->ops, NULL, 1);
    }
    free_batch(b);
    end_replanning(s);
}

/* An int8 of a binary result (the store's own statements ask for binary
 * rows: the heads, the id reservations, the chain's advance): 1 and *v,
 * or 0 when NULL or not 8 bytes. */
static int result_int8(const PGresult *res, int row, int col, int64_t *v)
{
    if (row >= PQntuples(res) || col >= PQnfields(res) || PQgetisnull(res, row, col) ||
        PQfformat(res, col) != 1 || PQgetlength(res, row, col) != 8)
        return 0;
    *v = fq_pg_get_int8((const uint8_t *)PQgetvalue(res, row, col));
    return 1;
}

/* FQ_SQL_INSERT_REPORT's row, binary (its binder asks for it): incident
 * id, created, recorded_at ms, the reported event's seq, the stored body
 * digest, routing outcome and nonce; then the outbox items written
 * (fq_write_outbox_written). */
static void parse_report_row(fq_store_op *op, const PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) != 8 || PQfformat(res, 0) != 1)
        return;
    for (int c = 0; c < 4; c++)
        if (PQgetisnull(res, 0, c) || PQgetlength(res, 0, c) != (c == 1 ? 1 : 8))
            return;
    const uint8_t *v[7];
    for (int c = 0; c < 7; c++)
        v[c] = (const uint8_t *)PQgetvalue(res, 0, c);
    op->incident_id = fq_pg_get_int8(v[0]);
    op->created = v[1][0] != 0;
    op->recorded_at_ms = fq_pg_get_int8(v[2]);
    op->event_seq = fq_pg_get_int8(v[3]);
    if (!PQgetisnull(res, 0, 4) && PQgetlength(res, 0, 4) == (int)sizeof op->stored_digest) {
        memcpy(op->stored_digest, v[4], sizeof op->stored_digest);
        op->got_row = 1;
    }
    op->stored_nonce =
        !PQgetisnull(res, 0, 6) && PQgetlength(res, 0, 6) == 8 ? fq_pg_get_int8(v[6]) : 0;
    op->stored_outcome_len = 0;
    if (!PQgetisnull(res, 0, 5)) {
        size_t len = (size_t)PQgetlength(res, 0, 5);
        if (len <= sizeof op->stored_outcome) {
            memcpy(op->stored_outcome, v[5], len);
            op->stored_outcome_len = len;
        } else {
            /* An outcome that does not fit: answering without it would
             * tell the sender less than was decided. */
            op->got_row = 0;
        }
    }
}

static void note_error(batch *b, fq_store_op *op, const PGresult *res)
{
    if (b->failed)
        return; /* the first error is the cause; the rest are PIPELINE_ABORTED */
    b->failed = 1;
    b->failed_op = op;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(b->sqlstate, sizeof b->sqlstate, "%s", state ? state : "");
    fq_pg_error_describe(res, b->error, sizeof b->error);
}

/* ---- the lookup of stored reports (docs/write-path.md, "Resends in a batch") ---- */

/* A report is looked up by the node and message id of its parameters; an
 * op without them (none is) goes unasked, the unique key behind it. */
static int wants_lookup(const fq_store_op *op)
{
    return op->kind == FQ_STORE_OP_REPORT && op->report != NULL;
}

/* Whether `op` may go into the batch being built. A report goes outside
 * serial mode only once the lookup has said whether it is stored, since its
 * batch is planned as written whole; in serial mode FQ_SQL_INSERT_REPORT
 * finds a stored one itself. A report in a lookup in flight stays in
 * pending whatever the mode: the lookup's answer names it. */
static int op_ready(const fq_store_op *op, int serial)
{
    if (!wants_lookup(op))
        return 1;
    if (op->idem == IDEM_ASKED)
        return 0;
    return serial || op->idem != IDEM_UNKNOWN;
}

/* The lookup did not answer (failed, aborted with its batch, the
 * connection lost): its reports are asked about again. */
static void lookup_void(fq_store *s, lookup *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->ops[i]->idem == IDEM_ASKED)
            l->ops[i]->idem = IDEM_UNKNOWN;
    s->lookup_wanted = 1;
    free(l);
}

/* The lookup's rows: the reports they name are stored (their answers set
 * from the rows), the others are new. */
static void lookup_answered(fq_store *s, lookup *l, const PGresult *res)
{
    int bad = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        int k = fq_stored_report_row(res, r, l->ops, l->n);
        if (k < 0) {
            bad++;
            continue;
        }
        l->ops[k]->idem = IDEM_STORED;
        s->stats.resends_found++;
    }
    /* A row that could not be read leaves its report "new": the unique
     * key refuses it in its batch, and serial mode answers it. */
    if (bad > 0)
        fq_log(FQ_LOG_WARN, "store", "%d rows of the lookup of stored reports unreadable", bad);
    for (size_t i = 0; i < l->n; i++)
        if (l->ops[i]->idem == IDEM_ASKED)
            l->ops[i]->idem = IDEM_NEW;
    free(l);
}

/* Up to `max` reports in pending never asked about, in their order; NULL
 * when there are none (or no memory: asked about the next time). */
static lookup *lookup_collect(fq_store *s, size_t max)
{
    size_t n = 0;
    const fq_store_op *op;
    for (op = s->pending.head; op != NULL && n < max; op = op->next)
        n += wants_lookup(op) && op->idem == IDEM_UNKNOWN;
    if (op == NULL && n < max)
        s->lookup_wanted = 0; /* every one is counted: none more until submitted */
    if (n == 0)
        return NULL;
    lookup *l = malloc(sizeof *l + n * sizeof l->ops[0]);
    if (l == NULL) {
        s->lookup_wanted = 1;
        return NULL;
    }
    l->n = 0;
    for (fq_store_op *o = s->pending.head; o != NULL && l->n < n; o = o->next)
        if (wants_lookup(o) && o->idem == IDEM_UNKNOWN)
            l->ops[l->n++] = o;
    return l;
}

/* Queues the lookup of l's reports and marks them asked; the caller pushes
 * its expectation (only after expect_reserve). 0; 1 when it could not be
 * bound (not sent, l freed: its reports are taken as new, and the unique
 * key and serial mode answer one that is not); -1 when libpq refused it (l
 * freed; the caller resets the connection). */
static int bind_lookup(fq_store *s, lookup *l, const char *values[2], int lengths[2],
                       int formats[2])
{
    if (fq_stored_reports_bind(&s->lookup_buf, l->ops, l->n, values, lengths, formats) == 0)
        return 0;
    fq_log(FQ_LOG_WARN, "store", "the lookup of %zu stored reports could not be bound", l->n);
    for (size_t i = 0; i < l->n; i++)
        l->ops[i]->idem = IDEM_NEW;
    free(l);
    return 1;
}

static void lookup_sent(fq_store *s, const lookup *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->ops[i]->idem = IDEM_ASKED;
    s->stats.lookups++;
    s->stats.looked_up += l->n;
}

static int send_lookup(fq_store *s, PGconn *conn, lookup *l)
{
    const char *values[2];
    int lengths[2], formats[2];
    if (bind_lookup(s, l, values, lengths, formats) != 0)
        return 1;
    if (!PQsendQueryPrepared(conn, FQ_SQL_STORED_REPORTS_NAME, 2, values, lengths, formats,
                             FQ_STORED_REPORTS_FORMAT)) {
        s->lookup_wanted = 1;
        free(l);
        return -1;
    }
    lookup_sent(s, l);
    return 0;
}

/* ---- the lookup connection (lookup_conn.h) ---- */

/* Lookups go on the lookup connection while it is up, set up and on the
 * writes connection's server; otherwise on the writes connection, in a
 * batch or alone (send_batch, send_lookup_alone). */
static int own_lookups(fq_store *s)
{
    return s->lookup_conn != NULL && fq_lookup_conn_usable(s->lookup_conn, fq_pg_conn(s->pg));
}

/* Every lookup in flight on the lookup connection is given up: their
 * answers, if they come, find no id (on_lookup_answer), and their reports
 * are asked again. */
static void own_void_all(fq_store *s)
{
    lookup *l = s->own_head;
    s->own_head = s->own_tail = NULL;
    while (l != NULL) {
        lookup *next = l->next;
        lookup_void(s, l);
        l = next;
    }
}

static void on_lookup_answer(void *user, uint64_t id, const PGresult *res)
{
    fq_store *s = user;
    lookup *prev = NULL, *l = s->own_head;
    while (l != NULL && l->id != id) {
        prev = l;
        l = l->next;
    }
    if (l == NULL)
        return; /* given up: its reports were asked again */
    if (prev != NULL)
        prev->next = l->next;
    else
        s->own_head = l->next;
    if (s->own_tail == l)
        s->own_tail = prev;
    /* A failed lookup fails nothing else: its reports are asked again. */
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        lookup_answered(s, l, res);
    else
        lookup_void(s, l);
}

static void on_lookup_lost(void *user)
{
    own_void_all(user);
}

/* The reports waiting that were never asked about, asked on the lookup
 * connection in the loop turn they arrived, --batch of them a statement:
 * its backend answers while the writes backend executes the batch before
 * them, and the next batch takes them (docs/write-path.md, "Resends in a
 * batch"). Not in serial mode, where nothing is looked up, nor while the
 * batches of a failed plan are answered. 1 when something was sent. */
static int send_own_lookups(fq_store *s)
{
    /* One lookup round at a time: the reports that arrive while one is in
     * flight are asked together when it answers (a few hundred
     * microseconds, well within the batch executing), instead of one
     * statement a loop turn, which at the peak cost fengqiaod a fifth more
     * CPU a report (docs/write-path.md, "When it is sent"). */
    if (!s->lookup_wanted || s->replanning || s->serial_left > 0 || s->own_head != NULL ||
        !own_lookups(s))
        return 0;
    int sent = 0;
    while (s->lookup_wanted) {
        lookup *l = lookup_collect(s, s->config.max_batch);
        if (l == NULL)
            break;
        const char *values[2];
        int lengths[2], formats[2];
        if (bind_lookup(s, l, values, lengths, formats) != 0)
            continue;
        l->id = ++s->next_lookup_id;
        if (fq_lookup_conn_send(s->lookup_conn, l->id, values, lengths, formats) != 0) {
            /* Its reports were never asked: in a batch, then. */
            s->lookup_wanted = 1;
            free(l);
            break;
        }
        lookup_sent(s, l);
        s->stats.lookups_own++;
        l->sent_ns = uv_hrtime();
        l->next = NULL;
        if (s->own_tail != NULL)
            s->own_tail->next = l;
        else
            s->own_head = l;
        s->own_tail = l;
        sent = 1;
    }
    if (sent)
        fq_lookup_conn_flush(s->lookup_conn);
    return sent;
}

/* The end of a load that streams the open incidents: its COMMIT and sync,
 * once the loader is done or could not start. */
static void send_open_end(fq_store *s)
{
    PGconn *conn = fq_pg_conn(s->pg);
    s->open_end_sent = 1;
    if (conn == NULL)
        return;
    if (expect_reserve(s, 2) != 0 ||
        !PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) {
        fq_pg_reset(s->pg, "libpq could not queue the end of the directory load");
        return;
    }
    expect_push(s, EXP_LOAD, NULL, NULL);
    if (!PQpipelineSync(conn)) {
        fq_pg_reset(s->pg, "libpq could not queue the end of the directory load");
        return;
    }
    expect_push(s, EXP_LOAD_SYNC, NULL, NULL);
    s->flush_wanted = 1;
}

/* The loader's chunks, decoded (case_rows.h): handed over as they arrive
 * (the rest of the load is in by now: its queries came first), the last
 * one even empty — the server takes the load's snapshot in with the first
 * (server.c: on_open_rows), none at all included. */
static void on_copy_rows(void *user, const fq_case_row *rows, size_t n)
{
    fq_store *s = ((struct open_loader *)user)->s;
    if (s->open_failed || s->open_done)
        return;
    s->on_open_rows(s->user, (const PGresult *const *)s->loaded, rows, n);
    s->open_delivered = 1;
}

static void cancel_loaders(fq_store *s)
{
    for (int i = 0; i < 2; i++) {
        fq_open_copy_cancel(s->loaders[i].copy); /* no callback of it comes now */
        s->loaders[i].copy = NULL;
    }
}

/* A loader is done; once all are, the load's transaction ends (its COMMIT
 * and sync). One that fails fails the load: the others are stopped. */
static void on_copy_done(void *user, int ok, size_t undecodable, const char *why)
{
    struct open_loader *l = user;
    fq_store *s = l->s;
    l->copy = NULL;
    if (ok) {
        if (undecodable > 0)
            fq_log(FQ_LOG_ERROR, "store", "%zu open incidents not decoded (a schema mismatch?)",
                   undecodable);
    } else {
        fq_log(FQ_LOG_ERROR, "store", "loading the open incidents failed: %s", why);
        s->open_failed = 1;
        cancel_loaders(s);
    }
    if (s->loaders[0].copy != NULL || s->loaders[1].copy != NULL)
        return;
    if (!s->open_failed)
        s->open_done = 1;
    if (!s->open_end_sent)
        send_open_end(s); /* flushed before the loop sleeps (flush_wanted) */
}

/* The load's snapshot, exported: the loader reads the open incidents in
 * it (open_copy.h) from the server this connection went to. */
static void start_open_copy(fq_store *s, PGresult *res)
{
    PGconn *conn = fq_pg_conn(s->pg);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || conn == NULL) {
        if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
            char why[256];
            fq_pg_error_describe(res, why, sizeof why);
            fq_log(FQ_LOG_ERROR, "store", "exporting the load's snapshot failed: %s", why);
        }
        s->open_failed = 1;
    } else {
        static const fq_open_copy_callbacks cb = {on_copy_rows, on_copy_done};
        /* Two loaders for a large table, each with a half of its pages:
         * PostgreSQL's part of the start then runs on two backends. */
        char half[2][sizeof FQ_SQL_OPEN_COPY_HALF + 32];
        const char *query[2] = {FQ_SQL_OPEN_COPY, NULL};
        if (s->open_split_page > 0) {
            snprintf(half[0], sizeof half[0], FQ_SQL_OPEN_COPY_HALF, "<", s->open_split_page);
            snprintf(half[1], sizeof half[1], FQ_SQL_OPEN_COPY_HALF, ">=", s->open_split_page);
            query[0] = half[0];
            query[1] = half[1];
            fq_log(FQ_LOG_INFO, "store",
                   "reading the open incidents (about %zu) in two halves of the table on two "
                   "connections (pages below and from %lld)",
                   s->open_expected, s->open_split_page);
        }
        for (int i = 0; i < 2 && query[i] != NULL && !s->open_failed; i++) {
            s->loaders[i].s = s;
            s->loaders[i].copy =
                fq_open_copy_start(s->loop, fq_pg_conninfo(s->pg), PQhost(conn), PQport(conn),
                                   PQgetvalue(res, 0, 0), query[i], &cb, &s->loaders[i]);
            if (s->loaders[i].copy == NULL) {
                fq_log(FQ_LOG_ERROR, "store", "could not start loading the open incidents");
                s->open_failed = 1;
                cancel_loaders(s);
            }
        }
    }
    if (s->open_failed && !s->open_end_sent && conn != NULL)
        send_open_end(s);
}

/* The streamed load is over (ended, failed or lost): if it did not complete,
 * what was handed over is void. */
static void open_stream_over(fq_store *s, int complete)
{
    if (!s->open_streaming)
        return;
    int void_it = !complete && s->open_delivered;
    cancel_loaders(s);
    s->open_streaming = s->open_end_sent = s->open_done = 0;
    s->open_failed = s->open_delivered = 0;
    if (void_it)
        s->on_open_rows(s->user, NULL, NULL, 0);
}

static void handle_result(fq_store *s, expectation *e, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    switch (e->kind) {
    case EXP_BEGIN:
    case EXP_COMMIT:
        if (!ok)
            note_error(e->batch, NULL, res);
        else if (st == PGRES_COMMAND_OK && e->kind == EXP_COMMIT &&
                 strcmp(PQcmdStatus(res), "COMMIT") != 0)
            /* COMMIT of an aborted transaction answers ROLLBACK. */
            note_error(e->batch, NULL, res);
        break;
    case EXP_OP:
        if (st == PGRES_PIPELINE_ABORTED)
            e->batch->failed = 1;
        else if (!ok)
            note_error(e->batch, e->op, res);
        else {
            if (e->op->kind == FQ_STORE_OP_REPORT)
                parse_report_row(e->op, res);
            if (fq_write_outbox_written(e->op, res) != 0)
                fq_log(FQ_LOG_ERROR, "store",
                       "the outbox items a statement wrote do not match its items"
                       " (not handed to the terminals; they read them from the outbox)");
            if (e->op->kind != FQ_STORE_OP_REJECTED) {
                PQclear(e->op->result);
                e->op->result = res;
                return; /* handed to the op's callback */
            }
        }
        break;
    case EXP_GUARD:
        if (!ok && PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL &&
            strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "55P03") == 0) {
            /* Another server holds it: the rest of the setup is skipped by
             * the pipeline, and nothing is written from this connection. */
            const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            snprintf(s->guard_message, sizeof s->guard_message, "%s",
                     primary ? primary : "another server holds the serving lock");
            s->guard_refused = 1;
            break;
        }
        /* Any other failure of the claim is a setup failure. */
        /* fall through */
    case EXP_SETUP:
        if (!ok && !(st == PGRES_PIPELINE_ABORTED && (s->guard_refused || s->setup_done < 0))) {
            char why[256];
            fq_pg_error_describe(res, why, sizeof why);
            fq_log(FQ_LOG_ERROR, "store", "setup failed: %s", why);
            s->setup_done = -1;
        }
        break;
    case EXP_SET:
        if (st == PGRES_PIPELINE_ABORTED)
            e->batch->failed = 1;
        else if (!ok) {
            note_error(e->batch, NULL, res);
            e->batch->set_failed = 1;
        }
        break;
    case EXP_LOOKUP: {
        lookup *l = e->lookup;
        e->lookup = NULL;
        if (l == NULL)
            break; /* the ROLLBACK before a lookup sent on its own */
        if (st == PGRES_TUPLES_OK) {
            lookup_answered(s, l, res);
            break;
        }
        /* Its reports are asked again; no batch fails with it (it is
         * sent after its batch's COMMIT, or alone). */
        lookup_void(s, l);
        if (st != PGRES_PIPELINE_ABORTED) {
            char why[256];
            fq_pg_error_describe(res, why, sizeof why);
            fq_log(FQ_LOG_WARN, "store", "the lookup of stored reports failed: %s", why);
        }
        break;
    }
    case EXP_ADVANCE:
        if (!ok)
            note_error(e->batch, NULL, res);
        else if (e->batch->serial && PQntuples(res) == 1) {
            int64_t written;
            if (result_int8(res, 0, 0, &written))
                e->batch->written = written;
            else
                note_error(e->batch, NULL, res); /* cannot be: the function returns a bigint */
        }
        break;
    case EXP_HEADS:
        if (!ok) {
            if (st != PGRES_PIPELINE_ABORTED) {
                char why[256];
                fq_pg_error_describe(res, why, sizeof why);
                fq_log(FQ_LOG_ERROR, "store", "reading the heads failed: %s", why);
                s->setup_done = -1;
            }
            break;
        }
        PQclear(s->heads[e->load]);
        s->heads[e->load] = res;
        return; /* applied at the setup's sync */
    case EXP_RESERVE: {
        int64_t first;
        if (ok && PQntuples(res) == 1 && result_int8(res, 0, 0, &first))
            fq_writeplan_add_ids(s->plan, first, s->config.id_block);
        else if (!ok) {
            char why[256];
            fq_pg_error_describe(res, why, sizeof why);
            fq_log(FQ_LOG_ERROR, "store", "reserving incident ids failed: %s", why);
        }
        break;
    }
    case EXP_LOAD:
        if (e->load < 0)
            break; /* the load's BEGIN or COMMIT */
        if (e->load == LOAD_OPEN_ESTIMATE) {
            /* A hint only: none (no statistics yet) is 0, and so is a
             * failure, which the cursor after it reports. */
            double n = st == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                           ? strtod(PQgetvalue(res, 0, 0), NULL)
                           : 0;
            s->open_expected = n > 0 && n < 1e12 ? (size_t)n : 0;
            long long pages = st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) > 1 &&
                                      !PQgetisnull(res, 0, 1)
                                  ? strtoll(PQgetvalue(res, 0, 1), NULL, 10)
                                  : 0;
            s->open_split_page =
                s->open_expected >= FQ_OPEN_SPLIT_MIN && pages >= 2 ? pages / 2 : 0;
            break;
        }
        if (e->load == LOAD_OPEN_SNAPSHOT) {
            start_open_copy(s, res);
            break;
        }
        if (st != PGRES_TUPLES_OK) {
            char why[256];
            fq_pg_error_describe(res, why, sizeof why);
            fq_log(FQ_LOG_ERROR, "store", "directory load failed: %s", why);
            break;
        }
        if (e->load == LOAD_POINT) {
            if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
                s->load_point = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            break;
        }
        if (e->load == LOAD_TOUCHED) {
            PQclear(s->touched);
            s->touched = res;
            return; /* kept until the load's sync */
        }
        PQclear(s->loaded[e->load]);
        s->loaded[e->load] = res;
        return; /* kept until the load's sync */
    default:
        break;
    }
    PQclear(res);
}

static void clear_loaded(fq_store *s)
{
    for (int i = 0; i < FQ_LOAD_COUNT; i++) {
        PQclear(s->loaded[i]);
        s->loaded[i] = NULL;
    }
    PQclear(s->touched);
    s->touched = NULL;
    s->load_point = -1;
}

static void run_finished(fq_store *s);
static void guard_refused(fq_store *s);
static void guard_claimed(fq_store *s);

static void finish_load(fq_store *s)
{
    s->directory_in_flight = 0;
    int complete = 1;
    for (int i = 0; s->load_directory && i < FQ_LOAD_COUNT; i++)
        complete &= s->loaded[i] != NULL;
    if (s->open_streaming)
        complete &= s->open_done && !s->open_failed;
    if (s->load_point_wanted)
        complete &= s->load_point >= 0;
    if (s->load_touched)
        complete &= s->touched != NULL;
    /* A load of no open incidents was handed over too: the loader's last
     * chunk comes even empty, before its end (open_copy.h). */
    open_stream_over(s, complete);
    if (complete) {
        int first = 0;
        if (s->load_directory) {
            s->stats.directory_loads++;
            /* Operations that committed before this load answer first, so
             * that the new snapshot's loads (read from the database) and
             * the in-memory bookkeeping of those operations agree. */
            run_finished(s);
            s->on_directory(s->user, (const PGresult *const *)s->loaded);
            first = !s->directory_loaded;
            s->directory_loaded = 1;
        }
        /* After the directory of the same snapshot: the touched incidents
         * are taken in under the routing state they were read with. */
        if (s->load_point_wanted) {
            s->point = s->load_point;
            if (s->on_point != NULL)
                s->on_point(s->user, s->touched, s->point, s->load_directory, s->load_guarded);
        }
        char where[300];
        if (first && s->on_status)
            s->on_status(s->user, 1, fq_pg_where(s->pg, where, sizeof where));
    } else {
        /* A query failed (schema not migrated yet?): again in a second. */
        if (s->load_directory)
            s->directory_wanted = 1;
        else
            s->catchup_wanted = 1;
        s->directory_retry_at = uv_now(s->loop) + 1000;
    }
    clear_loaded(s);
}

/* Once every statement of a batch has its result, PostgreSQL is only
 * committing it (flushing WAL): the moment to send the next batch, which has
 * gathered what arrived meanwhile. One backend does one thing at a time: the
 * next batch waits in its input until this COMMIT's flush is done, then
 * executes with no round trip in between (docs/write-path.md, "Where the
 * time goes"). Sending earlier would make many small commits, not overlap
 * anything. */
static void op_result_arrived(fq_store *s, batch *b)
{
    if (b->ops_waiting > 0 && --b->ops_waiting == 0) {
        s->batches_executing--;
        b->executed_ns = uv_hrtime();
    }
}

static int is_sync(exp_kind kind)
{
    return kind == EXP_SYNC || kind == EXP_LOAD_SYNC || kind == EXP_SETUP_SYNC ||
           kind == EXP_RESERVE_SYNC || kind == EXP_LISTEN_SYNC || kind == EXP_LOOKUP_SYNC;
}

static void clear_heads(fq_store *s)
{
    for (int i = 0; i < HEAD_COUNT; i++) {
        PQclear(s->heads[i]);
        s->heads[i] = NULL;
    }
}

/* The setup's heads: where the plan starts on this connection. 0, or -1
 * when they are missing or malformed. */
static int apply_heads(fq_store *s)
{
    PGresult *const *h = s->heads;
    int ok = h[HEAD_CHAIN] && h[HEAD_BOXES] && h[HEAD_FEEDS] && h[HEAD_IDS] &&
             PQntuples(h[HEAD_CHAIN]) == 1 && PQgetlength(h[HEAD_CHAIN], 0, 0) == 8 &&
             PQgetlength(h[HEAD_CHAIN], 0, 1) == FQ_CHAIN_HASH_BYTES && PQntuples(h[HEAD_IDS]) == 1;
    int64_t first_id = 0;
    ok = ok && result_int8(h[HEAD_IDS], 0, 0, &first_id);
    if (ok) {
        fq_chain_head head;
        head.seq = fq_pg_get_int8((const uint8_t *)PQgetvalue(h[HEAD_CHAIN], 0, 0));
        memcpy(head.hash, PQgetvalue(h[HEAD_CHAIN], 0, 1), FQ_CHAIN_HASH_BYTES);
        fq_writeplan_reset(s->plan, &head);
        /* A follow feed is in both when it has items from before 0024 in
         * the outbox: its head is the larger (migration 0032). */
        for (int k = HEAD_BOXES; k <= HEAD_FEEDS; k++)
            for (int i = 0; ok && i < PQntuples(h[k]); i++) {
                int64_t seq = 0;
                ok = result_int8(h[k], i, 1, &seq) && !PQgetisnull(h[k], i, 0) &&
                     fq_writeplan_set_box(s->plan, PQgetvalue(h[k], i, 0), seq) == 0;
            }
        fq_writeplan_add_ids(s->plan, first_id, s->config.id_block);
    }
    clear_heads(s);
    s->heads_ok = ok;
    return ok ? 0 : -1;
}

static void on_pg_result(void *user, PGresult *res)
{
    fq_store *s = user;
    expectation *e = expect_front(s);
    if (e == NULL) {
        PQclear(res);
        return;
    }
    if (res == NULL) {
        /* End of one statement's results. */
        if (!is_sync(e->kind) && e->got_result)
            expect_pop(s);
        return;
    }
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        /* Anything still ahead of the sync produced no result: abandoned. */
        while ((e = expect_front(s)) != NULL && !is_sync(e->kind)) {
            if (e->batch)
                e->batch->failed = 1;
            if (e->kind == EXP_LOOKUP) {
                lookup_void(s, e->lookup);
                e->lookup = NULL;
            }
            expect_pop(s);
        }
        if (e == NULL)
            return;
        exp_kind kind = e->kind;
        batch *b = e->batch;
        expect_pop(s);
        if (b != NULL && b->ops_waiting > 0) {
            b->ops_waiting = 0;
            s->batches_executing--;
            b->executed_ns = uv_hrtime();
        }
        if (kind == EXP_SYNC)
            finish_batch(s, b);
        else if (kind == EXP_LOAD_SYNC)
            finish_load(s);
        else if (kind == EXP_RESERVE_SYNC)
            s->reserve_in_flight = 0;
        else if (kind == EXP_LISTEN_SYNC)
            ; /* its failure, if any, fails the setup after it */
        else if (kind == EXP_LOOKUP_SYNC)
            s->lookups_alone_in_flight--; /* its rows were taken (or it was voided) before */
        else if (s->guard_refused) {
            clear_heads(s);
            guard_refused(s);
        } else if (s->setup_done < 0) {
            clear_heads(s);
            fq_pg_reset(s->pg, "setup failed (are the migrations applied?)");
        } else if (s->config.reads_timeout_ms == 0 && apply_heads(s) != 0)
            fq_pg_reset(s->pg, "the heads of the event chain and the outboxes could not be read");
        else if (s->config.reads_timeout_ms > 0) {
            /* A reads store holds no serving lock and loads no directory:
             * ready once its statements are. */
            s->setup_done = 1;
            s->directory_loaded = 1;
            char where[300];
            if (s->on_status)
                s->on_status(s->user, 1, fq_pg_where(s->pg, where, sizeof where));
        } else
            guard_claimed(s);
        return;
    }
    if (is_sync(e->kind)) {
        /* A result where only a sync can come: typically the server's own
         * FATAL error as it terminates the session (shutdown, kill). */
        char why[256];
        if (PQresultStatus(res) == PGRES_FATAL_ERROR)
            fq_pg_error_describe(res, why, sizeof why);
        else
            snprintf(why, sizeof why, "unexpected result order");
        PQclear(res);
        fq_pg_reset(s->pg, why);
        return;
    }
    e->got_result = 1;
    if (e->kind == EXP_OP || e->kind == EXP_SET)
        op_result_arrived(s, e->batch);
    handle_result(s, e, res);
}

static int on_pg_expecting(void *user)
{
    fq_store *s = user;
    return (int)s->expect_count;
}

/* ---- connection events ---- */

/* The server side's TCP settings for the writes connection, where they
 * are still PostgreSQL's defaults (0: the kernel's). */
#define SERVER_SIDE_TCP(name, value)                                                               \
    "CASE WHEN current_setting('" name "') = '0' THEN set_config('" name "', '" value              \
    "', false) END"
#define SERVER_SIDE_TCP_SQL                                                                        \
    "SELECT " SERVER_SIDE_TCP("tcp_keepalives_idle", "1") ", " SERVER_SIDE_TCP(                    \
        "tcp_keepalives_interval",                                                                 \
        "1") ", " SERVER_SIDE_TCP("tcp_keepalives_count",                                          \
                                  "2") ", " SERVER_SIDE_TCP("tcp_user_timeout", "2500")

/* The connection's first work: claim the serving lock, then prepare the
 * statements, LISTEN and make partitions. Returns -1 (and drops the
 * connection) if it could not be queued whole: results must match what was
 * queued, one for one. */
static int send_setup(fq_store *s, PGconn *conn)
{
    static const struct {
        const char *name, *sql;
        int nparams;
        int planned; /* it writes events: its last FQ_STORE_PLAN_NPARAMS are the plan */
    } statements[] = {
        {FQ_SQL_INSERT_REPORT_NAME, FQ_SQL_INSERT_REPORT, FQ_SQL_INSERT_REPORT_NPARAMS, 1},
        {FQ_SQL_INSERT_REJECTED_NAME, FQ_SQL_INSERT_REJECTED, FQ_SQL_INSERT_REJECTED_NPARAMS, 0},
        {FQ_SQL_REROUTE_NAME, FQ_SQL_REROUTE, FQ_SQL_REROUTE_NPARAMS, 1},
        {FQ_SQL_INSERT_EVENT_NAME, FQ_SQL_INSERT_EVENT, FQ_SQL_INSERT_EVENT_NPARAMS, 1},
        {FQ_SQL_ACTION_NAME, FQ_SQL_ACTION, FQ_SQL_ACTION_NPARAMS, 1},
        {FQ_SQL_READ_OUTBOX_NAME, FQ_SQL_READ_OUTBOX, FQ_SQL_READ_OUTBOX_NPARAMS, 0},
        {FQ_SQL_FIND_REQUEST_NAME, FQ_SQL_FIND_REQUEST, FQ_SQL_FIND_REQUEST_NPARAMS, 0},
        {FQ_SQL_AFTERCARE_NAME, FQ_SQL_AFTERCARE, FQ_SQL_AFTERCARE_NPARAMS, 1},
        {FQ_SQL_REOPEN_ROW_NAME, FQ_SQL_REOPEN_ROW, FQ_SQL_REOPEN_ROW_NPARAMS, 0},
        {FQ_SQL_ROUTING_STATUS_NAME, FQ_SQL_ROUTING_STATUS, FQ_SQL_ROUTING_STATUS_NPARAMS, 0},
        {FQ_SQL_WEB_ACCOUNT_NAME, FQ_SQL_WEB_ACCOUNT, FQ_SQL_WEB_ACCOUNT_NPARAMS, 0},
        {FQ_SQL_WEB_SESSION_NEW_NAME, FQ_SQL_WEB_SESSION_NEW, FQ_SQL_WEB_SESSION_NEW_NPARAMS, 0},
        {FQ_SQL_WEB_LOGIN_NAME, FQ_SQL_WEB_LOGIN, FQ_SQL_WEB_LOGIN_NPARAMS, 0},
        {FQ_SQL_WEB_SESSION_GET_NAME, FQ_SQL_WEB_SESSION_GET, FQ_SQL_WEB_SESSION_GET_NPARAMS, 0},
        {FQ_SQL_WEB_SESSION_END_NAME, FQ_SQL_WEB_SESSION_END, FQ_SQL_WEB_SESSION_END_NPARAMS, 0},
        {FQ_SQL_FD_KEY_NAME, FQ_SQL_FD_KEY, FQ_SQL_FD_KEY_NPARAMS, 0},
        {FQ_SQL_FD_PARTY_ADD_NAME, FQ_SQL_FD_PARTY_ADD, FQ_SQL_FD_PARTY_ADD_NPARAMS, 0},
        {FQ_SQL_FD_REVEAL_NAME, FQ_SQL_FD_REVEAL, FQ_SQL_FD_REVEAL_NPARAMS, 0},
        {FQ_SQL_MEDIATION_REVEAL_NAME, FQ_SQL_MEDIATION_REVEAL, FQ_SQL_MEDIATION_REVEAL_NPARAMS, 0},
        {FQ_SQL_UPWARD_SCAN_NAME, FQ_SQL_UPWARD_SCAN, FQ_SQL_UPWARD_SCAN_NPARAMS, 0},
        {FQ_SQL_UPWARD_ENQUEUE_NAME, FQ_SQL_UPWARD_ENQUEUE, FQ_SQL_UPWARD_ENQUEUE_NPARAMS, 0},
        {FQ_SQL_UPWARD_DUE_NAME, FQ_SQL_UPWARD_DUE, FQ_SQL_UPWARD_DUE_NPARAMS, 0},
        {FQ_SQL_UPWARD_ATTEMPT_NAME, FQ_SQL_UPWARD_ATTEMPT, FQ_SQL_UPWARD_ATTEMPT_NPARAMS, 1},
        {FQ_SQL_CHAIN_ADVANCE_NAME, FQ_SQL_CHAIN_ADVANCE, 4, 0},
        {FQ_SQL_CHAIN_ADVANCE_WRITTEN_NAME, FQ_SQL_CHAIN_ADVANCE_WRITTEN, 3, 0},
        {FQ_SQL_RESERVE_IDS_NAME, FQ_SQL_RESERVE_IDS, 1, 0},
        {FQ_SQL_INSERT_REPORTS_NAME, FQ_SQL_INSERT_REPORTS, FQ_SQL_INSERT_REPORTS_NPARAMS, 0},
        {FQ_SQL_STORED_REPORTS_NAME, FQ_SQL_STORED_REPORTS, FQ_SQL_STORED_REPORTS_NPARAMS, 0},
    };
    /* The plan's parameters are binary: their types are said here. */
    static const Oid plan_types[FQ_STORE_PLAN_NPARAMS] = {16,   20, 1016, 1001, 1001, 1184,
                                                          1016, 17, 25,   20,   25,   20};
    size_t n = sizeof statements / sizeof statements[0];
    if (expect_reserve(s, n + 9 + HEAD_COUNT) != 0) {
        fq_pg_reset(s->pg, "out of memory preparing the connection");
        return -1;
    }
    s->guard_refused = 0;
    s->claim_after_grace = s->claim_deferred;
    s->claim_deferred = 0;
    s->setup_done = 2; /* in flight */
    /* A warm standby hears of directory changes while it waits for the
     * lock: LISTEN in a transaction of its own, which a refused claim does
     * not roll back. Once per connection, before the first load. */
    if (s->warm && !s->listening) {
        if (!PQsendQueryParams(conn, "LISTEN " FQ_DIRECTORY_CHANNEL, 0, NULL, NULL, NULL, NULL,
                               0) ||
            (expect_push(s, EXP_SETUP, NULL, NULL), !PQpipelineSync(conn))) {
            fq_pg_reset(s->pg, "libpq could not queue the connection's setup");
            return -1;
        }
        expect_push(s, EXP_LISTEN_SYNC, NULL, NULL);
        s->listening = 1;
    }
    /* PostgreSQL's side of the connection notices a cut network as soon as
     * ours does (pgconn.c): else the session of a server whose host was
     * cut off would hold the serving lock until PostgreSQL's kernel gives
     * up on it (2 hours of keepalive silence by default), and no standby
     * could take over. Settings the conninfo gave (options=-c ...) stay.
     * Ignored on a Unix-domain socket. */
    int queued = PQsendQueryParams(conn, SERVER_SIDE_TCP_SQL, 0, NULL, NULL, NULL, NULL, 0);
    if (queued)
        expect_push(s, EXP_SETUP, NULL, NULL);
    /* Every statement of this connection reaches its rows by a key, and so
     * do the foreign keys' checks of what it inserts (incidents -> nodes,
     * org_units: docs/write-path.md, "Constraints"), queries PostgreSQL
     * plans once for the session. For a referenced table of a few pages (a
     * district's org units) it plans them as sequential scans, which read
     * every row to find one, for every report; by the primary key the
     * checks cost the writes backend about 40 % less. */
    if (queued && (queued = PQsendQueryParams(conn, "SET enable_seqscan = off", 0, NULL, NULL, NULL,
                                              NULL, 0)))
        expect_push(s, EXP_SETUP, NULL, NULL);
    /* A plan that still has a sequential scan (no index serves it: the
     * directory's small tables, the feed heads' archive) now costs more
     * than jit_above_cost, and PostgreSQL would compile it to machine code
     * with LLVM on every execution: 300 ms for the feed heads of an empty
     * database, 150 ms for a directory load, on the one writes backend,
     * after every connect and every reload (docs/write-path.md,
     * "Constraints"). Nothing on this connection runs long enough to gain
     * from JIT. */
    if (queued && (queued = PQsendQueryParams(conn, "SET jit = off", 0, NULL, NULL, NULL, NULL, 0)))
        expect_push(s, EXP_SETUP, NULL, NULL);
    /* Then the serving lock (migrations/0012): one server writes to a
     * database at a time. It is a session lock, so it goes with this
     * connection, and every new connection claims it again here, before
     * anything can be written. If another server holds it, this statement
     * fails and the pipeline skips the rest up to the sync. */
    if (queued && (queued = PQsendQueryParams(conn, "SELECT fq_claim_serving_lock()", 0, NULL, NULL,
                                              NULL, NULL, 0)))
        expect_push(s, EXP_GUARD, NULL, NULL);
    for (size_t i = 0; queued && i < n; i++) {
        Oid types[FQ_STORE_MAX_PARAMS] = {0};
        if (statements[i].planned)
            memcpy(types + statements[i].nparams - FQ_STORE_PLAN_NPARAMS, plan_types,
                   sizeof plan_types);
        queued = PQsendPrepare(conn, statements[i].name, statements[i].sql, statements[i].nparams,
                               types);
        if (queued)
            expect_push(s, EXP_SETUP, NULL, NULL);
    }
    if (queued && (queued = PQsendQueryParams(conn, "LISTEN " FQ_DIRECTORY_CHANNEL, 0, NULL, NULL,
                                              NULL, NULL, 0)))
        expect_push(s, EXP_SETUP, NULL, NULL);
    /* Where the plan starts (docs/write-path.md): the chain head, every
     * box's and every follow feed's last seq, a block of incident ids.
     * After the serving lock: no other server writes while this one holds
     * it. */
    static const char *const heads_sql[HEAD_COUNT] = {FQ_SQL_CHAIN_HEAD, FQ_SQL_OUTBOX_HEADS,
                                                      FQ_SQL_FEED_HEADS, FQ_SQL_RESERVE_IDS};
    /* All binary: the seqs and the first id as int8, the block as int4. */
    uint8_t block[4];
    fq_pg_put_int4(block, s->config.id_block);
    const char *block_values[1] = {(const char *)block};
    static const int block_lengths[1] = {4}, block_formats[1] = {1};
    for (int i = 0; queued && i < HEAD_COUNT; i++) {
        queued = PQsendQueryParams(
            conn, heads_sql[i], i == HEAD_IDS ? 1 : 0, NULL, i == HEAD_IDS ? block_values : NULL,
            i == HEAD_IDS ? block_lengths : NULL, i == HEAD_IDS ? block_formats : NULL, 1);
        if (queued) {
            expect_push(s, EXP_HEADS, NULL, NULL);
            s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load = i;
        }
    }
    /* The event log's monthly partitions, this month and the next two: the
     * server never waits for an operator to make them (docs/history.md). */
    if (queued && (queued = PQsendQueryParams(conn, "SELECT fq_ensure_event_partitions(2)", 0, NULL,
                                              NULL, NULL, NULL, 0)))
        expect_push(s, EXP_SETUP, NULL, NULL);
    if (queued && (queued = PQpipelineSync(conn)))
        expect_push(s, EXP_SETUP_SYNC, NULL, NULL);
    if (!queued) {
        fq_pg_reset(s->pg, "libpq could not queue the connection's setup");
        return -1;
    }
    /* Sent once the setup sync is back; a warm standby that loaded while
     * refused the lock keeps what it loaded on this connection. */
    if (!s->directory_loaded)
        s->directory_wanted = 1;
    s->directory_retry_at = 0;
    return 0;
}

/* The setup came back with the lock refused: the connection stays, holds
 * nothing and writes nothing; the claim is repeated a little later. */
static void guard_refused(fq_store *s)
{
    s->guard_refused = 0;
    s->claim_refused_last = 1;
    if (s->claim_after_grace)
        fq_log(FQ_LOG_INFO, "store", "the grace is over and the serving lock is held: standing by");
    s->claim_after_grace = 0;
    s->setup_done = 0;
    /* Jittered: two standbys do not claim in step. */
    s->guard_retry_at = uv_now(s->loop) + GUARD_RETRY_MS + randombytes_uniform(GUARD_RETRY_MS + 1);
    if (s->on_guard && !s->closing)
        s->on_guard(s->user, 0, s->guard_message);
}

static void guard_claimed(fq_store *s)
{
    s->setup_done = 1;
    if (s->lookup_conn != NULL && !s->lookup_started && !s->closing) {
        s->lookup_started = 1;
        fq_lookup_conn_start(s->lookup_conn);
    }
    s->guard_retry_at = 0;
    s->claim_refused_last = 0;
    if (s->claim_after_grace)
        fq_log(FQ_LOG_INFO, "store",
               "the grace is over and no other server claimed the serving lock: taking it");
    s->claim_after_grace = 0;
    if (!s->guard_held) {
        s->guard_held = 1;
        if (s->on_guard && !s->closing)
            s->on_guard(s->user, 1, NULL);
    }
}

/* A reads store's connection: the console's reads only, read-only, each
 * statement cancelled after reads_timeout_ms. */
static void send_reads_setup(fq_store *s, PGconn *conn)
{
    static const struct {
        const char *name, *sql;
        int nparams;
    } statements[] = {
        {FQ_SQL_CONSOLE_OPEN_NAME, FQ_SQL_CONSOLE_OPEN, FQ_SQL_CONSOLE_OPEN_NPARAMS},
        {FQ_SQL_CONSOLE_INCIDENT_NAME, FQ_SQL_CONSOLE_INCIDENT, FQ_SQL_CONSOLE_INCIDENT_NPARAMS},
        {FQ_SQL_CONSOLE_ROSTER_NAME, FQ_SQL_CONSOLE_ROSTER, FQ_SQL_CONSOLE_ROSTER_NPARAMS},
        {FQ_SQL_CONSOLE_STATS_NAME, FQ_SQL_CONSOLE_STATS, FQ_SQL_CONSOLE_STATS_NPARAMS},
        {FQ_SQL_CONSOLE_SEARCH_NAME, FQ_SQL_CONSOLE_SEARCH, FQ_SQL_CONSOLE_SEARCH_NPARAMS},
        {FQ_SQL_WEB_TOPOLOGY_NAME, FQ_SQL_WEB_TOPOLOGY, FQ_SQL_WEB_TOPOLOGY_NPARAMS},
        {FQ_SQL_FIELD_ASSIGNMENTS_NAME, FQ_SQL_FIELD_ASSIGNMENTS, FQ_SQL_FIELD_ASSIGNMENTS_NPARAMS},
        {FQ_SQL_FIELD_INCIDENT_NAME, FQ_SQL_FIELD_INCIDENT, FQ_SQL_FIELD_INCIDENT_NPARAMS},
        {FQ_SQL_FIELD_EVENT_ATTACHMENTS_NAME, FQ_SQL_FIELD_EVENT_ATTACHMENTS,
         FQ_SQL_FIELD_EVENT_ATTACHMENTS_NPARAMS},
        {FQ_SQL_ATTACHMENT_GET_NAME, FQ_SQL_ATTACHMENT_GET, FQ_SQL_ATTACHMENT_GET_NPARAMS},
        {FQ_SQL_MEDIATION_CASE_NAME, FQ_SQL_MEDIATION_CASE, FQ_SQL_MEDIATION_CASE_NPARAMS},
        {FQ_SQL_MEDIATION_CASES_NAME, FQ_SQL_MEDIATION_CASES, FQ_SQL_MEDIATION_CASES_NPARAMS},
        {FQ_SQL_MEDIATION_STATS_NAME, FQ_SQL_MEDIATION_STATS, FQ_SQL_MEDIATION_STATS_NPARAMS},
        {FQ_SQL_MEDIATION_DIRECTORY_NAME, FQ_SQL_MEDIATION_DIRECTORY,
         FQ_SQL_MEDIATION_DIRECTORY_NPARAMS},
        {FQ_SQL_O311_KEY_NAME, FQ_SQL_O311_KEY, FQ_SQL_O311_KEY_NPARAMS},
        {FQ_SQL_O311_SERVICES_NAME, FQ_SQL_O311_SERVICES, FQ_SQL_O311_SERVICES_NPARAMS},
        {FQ_SQL_O311_REQUESTS_NAME, FQ_SQL_O311_REQUESTS, FQ_SQL_O311_REQUESTS_NPARAMS},
        {FQ_SQL_FD_PERSON_NAME, FQ_SQL_FD_PERSON, FQ_SQL_FD_PERSON_NPARAMS},
        {FQ_SQL_FD_HISTORY_NAME, FQ_SQL_FD_HISTORY, FQ_SQL_FD_HISTORY_NPARAMS},
        {FQ_SQL_FD_CATEGORIES_NAME, FQ_SQL_FD_CATEGORIES, FQ_SQL_FD_CATEGORIES_NPARAMS},
        {FQ_SQL_FD_ADDRESSES_NAME, FQ_SQL_FD_ADDRESSES, FQ_SQL_FD_ADDRESSES_NPARAMS},
        {FQ_SQL_JUDGMENT_INCIDENTS_NAME, FQ_SQL_JUDGMENT_INCIDENTS,
         FQ_SQL_JUDGMENT_INCIDENTS_NPARAMS},
        {FQ_SQL_JUDGMENT_PENDING_NAME, FQ_SQL_JUDGMENT_PENDING, FQ_SQL_JUDGMENT_PENDING_NPARAMS},
        {FQ_SQL_UPWARD_LIST_NAME, FQ_SQL_UPWARD_LIST, FQ_SQL_UPWARD_LIST_NPARAMS},
        {FQ_SQL_CLEAN_SEARCH_LISTS_NAME, FQ_SQL_CLEAN_SEARCH_LISTS,
         FQ_SQL_CLEAN_SEARCH_LISTS_NPARAMS},
    };
    /* The session's fixed settings, after its statement_timeout. */
    static const char *const settings[] = {
        "SET default_transaction_read_only = on",
        /* Every read planned for its own parameters: the generic plan of
         * the board (the jurisdiction's units walked by a recursive CTE) is
         * 7 times slower than a custom one (142 ms against 19 with 10,000
         * open incidents), and PostgreSQL switches to it after five
         * executions. */
        "SET plan_cache_mode = force_custom_plan",
        /* And not compiled with LLVM: the biggest reads here gain nothing
         * from it. Measured over 300,000 incidents (docs/console.md, "Reads
         * and the intake"): the 研判 incidents of a week 0.41-0.46 s
         * without, 0.51-0.52 s with; the meeting statistics of a month
         * 11.2-13.9 s without, 12.0-15.0 s with; the long-pending list the
         * same either way. */
        "SET jit = off",
    };
    size_t nsettings = sizeof settings / sizeof settings[0];
    size_t n = sizeof statements / sizeof statements[0];
    /* statement_timeout, the settings, the statements, the sync */
    if (expect_reserve(s, 1 + nsettings + n + 1) != 0) {
        fq_pg_reset(s->pg, "out of memory preparing the connection");
        return;
    }
    char set[96];
    snprintf(set, sizeof set, "SET statement_timeout = %u", s->config.reads_timeout_ms);
    int queued = PQsendQueryParams(conn, set, 0, NULL, NULL, NULL, NULL, 0);
    if (queued)
        expect_push(s, EXP_SETUP, NULL, NULL);
    for (size_t i = 0; queued && i < nsettings; i++) {
        queued = PQsendQueryParams(conn, settings[i], 0, NULL, NULL, NULL, NULL, 0);
        if (queued)
            expect_push(s, EXP_SETUP, NULL, NULL);
    }
    for (size_t i = 0; queued && i < n; i++) {
        queued =
            PQsendPrepare(conn, statements[i].name, statements[i].sql, statements[i].nparams, NULL);
        if (queued)
            expect_push(s, EXP_SETUP, NULL, NULL);
    }
    if (queued && (queued = PQpipelineSync(conn)))
        expect_push(s, EXP_SETUP_SYNC, NULL, NULL);
    if (!queued) {
        fq_pg_reset(s->pg, "libpq could not queue the connection's setup");
        return;
    }
    s->setup_done = 2; /* in flight */
}

static void on_pg_ready(void *user, PGconn *conn)
{
    fq_store *s = user;
    s->stats.reconnects++;
    s->directory_loaded = 0;
    s->guard_retry_at = 0;
    if (s->config.reads_timeout_ms > 0) {
        send_reads_setup(s, conn);
    } else if (s->claim_grace_due && !s->closing) {
        /* A standby reconnected (after a failover, most likely): the server
         * that served claims first (CLAIM_GRACE_MS); send_pending claims
         * when the grace is over. */
        s->claim_grace_due = 0;
        s->claim_deferred = 1;
        s->setup_done = 0;
        unsigned grace = CLAIM_GRACE_MS + randombytes_uniform(CLAIM_GRACE_MS / 4 + 1);
        s->guard_retry_at = uv_now(s->loop) + grace;
        fq_log(FQ_LOG_INFO, "store",
               "reconnected as a standby: claiming the serving lock in %u ms, after the server "
               "that held it",
               grace);
    } else {
        send_setup(s, conn);
    }
}

static void on_pg_lost(void *user, const char *why)
{
    fq_store *s = user;
    /* Nothing in flight will answer, and whether a batch in flight
     * committed is unknown (its COMMIT may have reached PostgreSQL, or a
     * primary that died before its standby had it). Its operations are
     * written again on the next connection (after a failover, to the new
     * primary), one per transaction from the heads read there, and answered
     * only from that connection's commit: a report that did commit is
     * found there by (node, message id) and recognised as this server's own
     * by its decision's nonce (intake.c), so it is answered as stored and
     * its case and deadlines stay in memory; one that did not is stored
     * now. Answering such reports BUSY instead would be safe for the sender
     * (its resend finds the row) but not for the server: the resend carries
     * a new decision whose nonce is not the stored one, so it is answered
     * as a duplicate and the committed incident never enters the caseload
     * (no deadlines until a restart). The server's own writes are
     * idempotent by their nonce (applied_ops); only an audit row may repeat.
     * They go back in front in their original order: the last batch first,
     * so that the first ends up at the head. */
    batch *lost[64];
    size_t n_lost = 0;
    while (s->expect_count > 0) {
        expectation *e = expect_front(s);
        if (e->kind == EXP_LOOKUP) {
            lookup_void(s, e->lookup);
            e->lookup = NULL;
        }
        if (e->kind == EXP_SYNC) {
            if (n_lost < sizeof lost / sizeof lost[0]) {
                lost[n_lost++] = e->batch;
            } else {
                requeue_ops(s, e->batch->ops, NULL);
                free_batch(e->batch);
            }
        }
        expect_pop(s);
    }
    while (n_lost > 0) {
        batch *b = lost[--n_lost];
        requeue_ops(s, b->ops, NULL);
        free_batch(b);
    }
    /* Operations of failed batches were before those in flight. */
    q_push_front_chain(&s->pending, s->retry.head, s->retry.tail, s->retry.count);
    s->retry.head = s->retry.tail = NULL;
    s->retry.count = 0;
    /* What a lookup read on the lost connection is not checked on the next
     * one: a primary that took over without that row (an asynchronous
     * standby) would have the resend answered as a duplicate of an incident
     * it does not hold, and the report lost. Asked again (serial mode's
     * statement finds a stored row itself). */
    for (fq_store_op *op = s->pending.head; op != NULL; op = op->next)
        if (op->idem == IDEM_STORED || op->idem == IDEM_NEW) {
            op->idem = IDEM_UNKNOWN;
            op->got_row = 0;
        }
    s->replanning = 0;
    /* Whether those in flight committed is unknown: they are written again
     * one by one from the heads the next connection reads, and answer as
     * resends if they did (idempotency keys, nonces). */
    s->serial_left = s->pending.count;
    s->lookups_alone_in_flight = 0;
    /* So is what the lookup connection has not answered yet, and that
     * connection is made again, to the server the writes go to next. */
    own_void_all(s);
    if (s->lookup_conn != NULL)
        fq_lookup_conn_reset(s->lookup_conn, "the writes connection was lost");
    s->heads_ok = 0;
    s->reserve_in_flight = 0;
    clear_heads(s);
    clear_loaded(s);
    open_stream_over(s, 0);
    s->flush_wanted = 0;
    s->batches_in_flight = 0;
    s->batches_executing = 0;
    s->directory_in_flight = 0;
    s->setup_done = 0;
    s->directory_loaded = 0;
    s->listening = 0;
    /* The lock went with the session; the next connection claims it again
     * before it writes. */
    s->guard_held = 0;
    s->guard_refused = 0;
    s->guard_retry_at = 0;
    /* A standby's next connection lets the serving server claim first. */
    s->claim_grace_due = s->claim_refused_last || s->claim_deferred;
    s->claim_deferred = 0;
    s->claim_after_grace = 0;
    s->not_primary = 0;
    if (s->on_status && !s->closing)
        s->on_status(s->user, 0, why);
}

static void on_pg_notify(void *user, const PGnotify *notify)
{
    fq_store *s = user;
    if (strcmp(notify->relname, FQ_DIRECTORY_CHANNEL) == 0)
        s->directory_wanted = 1;
}

/* ---- sending ---- */

static int send_load(fq_store *s, PGconn *conn)
{
    static const char *const queries[FQ_LOAD_COUNT] = FQ_SQL_LOADS;
    static const int formats[FQ_LOAD_COUNT] = FQ_SQL_LOAD_FORMATS;
    /* The open incidents rebuild the server's state once, at start; later
     * reloads (a rule change, a worker off duty) carry the state over in
     * memory and need no second million rows. */
    const int directory = s->directory_wanted;
    const int stream = directory && !s->open_loaded && s->on_open_rows != NULL;
    /* A warm standby's: what was touched since its point, in the same
     * snapshot as the directory if one is read, and the new point. */
    const int touched = s->tracking && s->open_loaded && s->point >= 0;
    const int point = s->tracking && (stream || touched);
    if (!directory && !touched) {
        s->catchup_wanted = 0; /* nothing loaded to catch up */
        return 0;
    }
    if (expect_reserve(s, FQ_LOAD_COUNT + 8) != 0)
        return -1; /* nothing queued: tried again next turn */
    /* A failed batch leaves its transaction aborted until a ROLLBACK (see
     * send_batch; the load is sent first after one when it is due). */
    int queued = 1;
    if (PQtransactionStatus(conn) == PQTRANS_INERROR &&
        (queued = PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0)))
        expect_push(s, EXP_LOAD, NULL, NULL); /* load -1: its result is ignored */
    /* One snapshot: the directory and the routing state must agree. */
    if (queued &&
        (queued = PQsendQueryParams(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                                    NULL, NULL, NULL, NULL, 0)))
        expect_push(s, EXP_LOAD, NULL, NULL);
    if (point && queued &&
        (queued = PQsendQueryParams(conn, FQ_SQL_STANDBY_POINT, 0, NULL, NULL, NULL, NULL, 0))) {
        expect_push(s, EXP_LOAD, NULL, NULL);
        s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load = LOAD_POINT;
    }
    if (touched && queued) {
        char since[24];
        snprintf(since, sizeof since, "%" PRId64, s->point);
        const char *values[1] = {since};
        if ((queued =
                 PQsendQueryParams(conn, FQ_SQL_STANDBY_TOUCHED, 1, NULL, values, NULL, NULL, 1))) {
            expect_push(s, EXP_LOAD, NULL, NULL);
            s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load = LOAD_TOUCHED;
        }
    }
    for (int i = 0; directory && queued && i < FQ_LOAD_COUNT; i++) {
        queued = PQsendQueryParams(conn, queries[i], 0, NULL, NULL, NULL, NULL, formats[i]);
        if (queued) {
            expect_push(s, EXP_LOAD, NULL, NULL);
            s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load = i;
        }
    }
    if (stream) {
        /* In the same snapshot, last: how many to expect (the tables are
         * sized once for them), and the snapshot exported for the loader
         * (start_open_copy), its result asked for at once; the loader's end
         * ends the load (on_copy_done). */
        s->open_expected = 0;
        s->open_split_page = 0;
        if (queued && (queued = PQsendQueryParams(conn, FQ_SQL_OPEN_ESTIMATE, 0, NULL, NULL, NULL,
                                                  NULL, 0))) {
            expect_push(s, EXP_LOAD, NULL, NULL);
            s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load =
                LOAD_OPEN_ESTIMATE;
        }
        if (queued && (queued = PQsendQueryParams(conn, FQ_SQL_OPEN_SNAPSHOT, 0, NULL, NULL, NULL,
                                                  NULL, 0))) {
            expect_push(s, EXP_LOAD, NULL, NULL);
            s->expect[(s->expect_head + s->expect_count - 1) % s->expect_cap].load =
                LOAD_OPEN_SNAPSHOT;
            /* Results are held until a Sync or a Flush: ask for these now. */
            queued = PQsendFlushRequest(conn);
        }
        s->open_streaming = queued;
    } else {
        if (queued && (queued = PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)))
            expect_push(s, EXP_LOAD, NULL, NULL);
        if (queued && (queued = PQpipelineSync(conn)))
            expect_push(s, EXP_LOAD_SYNC, NULL, NULL);
    }
    if (!queued) {
        /* Part of it may be queued in libpq: only a new connection puts the
         * results and the expectations back in step. */
        fq_pg_reset(s->pg, "libpq could not queue the directory load");
        return -1;
    }
    s->directory_in_flight = 1;
    s->directory_wanted = 0;
    s->catchup_wanted = 0;
    s->load_directory = directory;
    s->load_point_wanted = point;
    s->load_touched = touched;
    s->load_guarded = s->guard_held;
    s->load_point = -1;
    return 0;
}

static const char *statement_name(fq_store_op_kind kind)
{
    switch (kind) {
    case FQ_STORE_OP_REPORT:
        return FQ_SQL_INSERT_REPORT_NAME;
    case FQ_STORE_OP_REJECTED:
        return FQ_SQL_INSERT_REJECTED_NAME;
    case FQ_STORE_OP_REROUTE:
        return FQ_SQL_REROUTE_NAME;
    case FQ_STORE_OP_EVENT:
        return FQ_SQL_INSERT_EVENT_NAME;
    case FQ_STORE_OP_ACTION:
        return FQ_SQL_ACTION_NAME;
    case FQ_STORE_OP_READ_OUTBOX:
        return FQ_SQL_READ_OUTBOX_NAME;
    case FQ_STORE_OP_FIND_REQUEST:
        return FQ_SQL_FIND_REQUEST_NAME;
    case FQ_STORE_OP_READ:
        return "";
    }
    return "";
}

static int64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* The plan's scalar parameters of the operation being sent (libpq copies
 * parameters when it queues a statement). */
typedef struct plan_scalars {
    uint8_t created[8], at[8], town_seq[8], district_seq[8];
} plan_scalars;

static const char bool_true = 1, bool_false = 0;

/* One operation as planned: its new incident, its events (what their
 * hashes cover, their seqs and hashes) and its outbox items' seqs. */
typedef struct planned_op {
    fq_store_op *op;
    int64_t created;
    int nev, nitems;
    int64_t incident[FQ_STORE_MAX_EVENTS], seq[FQ_STORE_MAX_EVENTS];
    const char *kind[FQ_STORE_MAX_EVENTS], *actor[FQ_STORE_MAX_EVENTS],
        *reason[FQ_STORE_MAX_EVENTS];
    const uint8_t *payload[FQ_STORE_MAX_EVENTS];
    size_t payload_len[FQ_STORE_MAX_EVENTS];
    uint8_t prev[FQ_STORE_MAX_EVENTS][FQ_CHAIN_HASH_BYTES];
    uint8_t hash[FQ_STORE_MAX_EVENTS][FQ_CHAIN_HASH_BYTES];
    char created_reason[96]; /* a reason that names the created incident */
    int64_t box_seq[FQ_OUTBOX_MAX_ITEMS];
} planned_op;

/* Plans one operation's events, outbox items and new incident on top of
 * the plan (docs/write-path.md). 0; 1 when no incident id is left (nothing
 * planned); -1 when out of memory (nothing planned). */
static int plan_op(fq_store *s, batch *b, fq_store_op *op, int64_t at_us, planned_op *po)
{
    const fq_store_plan *pl = &op->plan;
    po->op = op;
    po->created = 0;
    if (pl->creates_incident && (po->created = fq_writeplan_peek_id(s->plan)) == 0)
        return 1;
    po->nitems = pl->outbox ? pl->outbox->n : 0;
    fq_writeplan_box *entries[FQ_OUTBOX_MAX_ITEMS];
    for (int j = 0; j < po->nitems; j++)
        if ((entries[j] = fq_writeplan_box_of(s->plan, pl->outbox->box[j])) == NULL)
            return -1;
    if (b->nboxes + (size_t)po->nitems > b->boxes_cap) {
        size_t cap = b->boxes_cap ? b->boxes_cap * 2 : 64;
        while (cap < b->nboxes + (size_t)po->nitems)
            cap *= 2;
        planned_box *nb = realloc(b->boxes, cap * sizeof *nb);
        if (nb == NULL)
            return -1;
        b->boxes = nb;
        b->boxes_cap = cap;
    }
    /* Nothing can fail from here: the plan moves on. */
    fq_chain_head tail = *fq_writeplan_tail(s->plan);
    po->nev = pl->nevents < FQ_STORE_MAX_EVENTS ? pl->nevents : FQ_STORE_MAX_EVENTS;
    for (int i = 0; i < po->nev; i++) {
        const fq_store_event *ev = &pl->events[i];
        const char *reason = ev->reason ? ev->reason : "";
        if (ev->reason_names_created) {
            snprintf(po->created_reason, sizeof po->created_reason, "%s%" PRId64, reason,
                     po->created);
            reason = po->created_reason;
        }
        po->incident[i] = ev->incident_id ? ev->incident_id : po->created;
        po->kind[i] = ev->kind;
        po->actor[i] = ev->actor_param >= 0 ? op->values[ev->actor_param] : NULL;
        po->reason[i] = reason;
        po->payload[i] =
            ev->payload_param >= 0 ? (const uint8_t *)op->values[ev->payload_param] : NULL;
        po->payload_len[i] = po->payload[i] ? (size_t)op->lengths[ev->payload_param] : 0;
        fq_chain_event ce = {0,
                             po->incident[i],
                             at_us,
                             po->kind[i],
                             po->actor[i],
                             reason,
                             strlen(po->kind[i]),
                             po->actor[i] ? strlen(po->actor[i]) : 0,
                             strlen(reason),
                             po->payload[i],
                             po->payload_len[i]};
        fq_chain_append(&tail, &ce, po->prev[i], po->hash[i]);
        po->seq[i] = ce.seq;
    }
    if (pl->creates_incident)
        fq_writeplan_take_id(s->plan);
    fq_writeplan_set_tail(s->plan, &tail);
    for (int j = 0; j < po->nitems; j++) {
        po->box_seq[j] = fq_writeplan_box_take(entries[j]);
        b->boxes[b->nboxes++] = (planned_box){entries[j], po->box_seq[j]};
    }
    for (int i = 0; i < po->nev && b->serial; i++) {
        b->events[b->nevents].seq = po->seq[i];
        memcpy(b->events[b->nevents].hash, po->hash[i], FQ_CHAIN_HASH_BYTES);
        b->nevents++;
    }
    if (!b->serial)
        b->nevents += po->nev;
    b->after = tail;
    return 0;
}

/* Points the operation's plan parameters at its plan (binary, in the
 * store's scratch buffer: libpq copies them when it queues the statement).
 * 0, or -1 when out of memory. */
static int bind_plan(fq_store *s, int strict, const planned_op *po, plan_scalars *sc, int64_t at_us)
{
    fq_store_op *op = po->op;
    fq_pgbuf *buf = &s->scratch;
    fq_pgbuf_reset(buf);
    fq_pgarray a;
    size_t off[4], len[4];
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (int i = 0; i < po->nev; i++)
        fq_pgarray_int8(&a, po->seq[i]);
    int failed = fq_pgarray_end(&a, &off[0], &len[0]);
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (int i = 0; i < po->nev; i++)
        fq_pgarray_bytea(&a, po->prev[i], FQ_CHAIN_HASH_BYTES);
    failed |= fq_pgarray_end(&a, &off[1], &len[1]);
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (int i = 0; i < po->nev; i++)
        fq_pgarray_bytea(&a, po->hash[i], FQ_CHAIN_HASH_BYTES);
    failed |= fq_pgarray_end(&a, &off[2], &len[2]);
    const struct fq_outbox_set *items = op->plan.outbox;
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (int j = 0; j < po->nitems; j++)
        if (items->feed[j] == FQ_FEED_NONE)
            fq_pgarray_int8(&a, po->box_seq[j]);
    failed |= fq_pgarray_end(&a, &off[3], &len[3]);
    int p = op->plan.first_param;
    if (failed) {
        /* Unbound, the statement fails (its events need seqs and hashes),
         * and its batch with it. */
        for (int k = 0; k < FQ_STORE_PLAN_NPARAMS; k++)
            op->values[p + k] = NULL;
        return -1;
    }
    fq_pg_put_int8(sc->created, po->created);
    fq_pg_put_timestamptz(sc->at, at_us);
    /* The follow feeds' columns of the event the items report: one body
     * for both feeds (the same item, outbox.h). */
    int town = po->nitems ? fq_outbox_feed_index(items, FQ_FEED_TOWN) : -1;
    int district = po->nitems ? fq_outbox_feed_index(items, FQ_FEED_DISTRICT) : -1;
    int feed = town >= 0 ? town : district;
    if (town >= 0)
        fq_pg_put_int8(sc->town_seq, po->box_seq[town]);
    if (district >= 0)
        fq_pg_put_int8(sc->district_seq, po->box_seq[district]);
    const char *v[FQ_STORE_PLAN_NPARAMS] = {strict ? &bool_true : &bool_false,
                                            po->created ? (const char *)sc->created : NULL,
                                            (const char *)buf->data + off[0],
                                            (const char *)buf->data + off[1],
                                            (const char *)buf->data + off[2],
                                            (const char *)sc->at,
                                            (const char *)buf->data + off[3],
                                            feed >= 0 ? (const char *)items->body[feed] : NULL,
                                            town >= 0 ? items->box[town] + 2 : NULL,
                                            town >= 0 ? (const char *)sc->town_seq : NULL,
                                            district >= 0 ? items->box[district] + 2 : NULL,
                                            district >= 0 ? (const char *)sc->district_seq : NULL};
    int l[FQ_STORE_PLAN_NPARAMS] = {1,
                                    8,
                                    (int)len[0],
                                    (int)len[1],
                                    (int)len[2],
                                    8,
                                    (int)len[3],
                                    feed >= 0 ? (int)items->body_len[feed] : 0,
                                    town >= 0 ? (int)strlen(items->box[town] + 2) : 0,
                                    8,
                                    district >= 0 ? (int)strlen(items->box[district] + 2) : 0,
                                    8};
    for (int k = 0; k < FQ_STORE_PLAN_NPARAMS; k++) {
        op->values[p + k] = v[k];
        op->lengths[p + k] = l[k];
        op->formats[p + k] = 1;
    }
    return 0;
}

/* A report without photos goes into its batch's set-based statement
 * (FQ_SQL_INSERT_REPORTS) outside serial mode. */
static int set_based(const fq_store_op *op, int serial)
{
    return !serial && op->kind == FQ_STORE_OP_REPORT && op->report != NULL &&
           op->plan.nevents > 0 && op->plan.creates_incident &&
           !fq_report_params_has_photos(op->report);
}

/* What FQ_SQL_INSERT_REPORT would have answered for a report written by
 * the set-based statement: everything is as planned (or the batch fails). */
static int answer_as_planned(const planned_op *po, int64_t at_us)
{
    fq_store_op *op = po->op;
    const fq_report_params *p = op->report;
    op->incident_id = po->created;
    op->created = 1;
    op->recorded_at_ms = (at_us + 500) / 1000;
    op->event_seq = po->seq[0];
    memcpy(op->stored_digest, p->body_digest, sizeof op->stored_digest);
    size_t outcome_len = p->outcome ? p->outcome_len : 0;
    if (outcome_len > sizeof op->stored_outcome)
        return -1;
    memcpy(op->stored_outcome, p->outcome ? p->outcome : (const uint8_t *)"", outcome_len);
    op->stored_outcome_len = outcome_len;
    op->stored_nonce = p->nonce;
    /* The items, as FQ_SQL_OUTBOX_SEQS would have said them. */
    op->written.n = 0;
    for (int j = 0; j < po->nitems && j < FQ_OUTBOX_MAX_ITEMS; j++) {
        op->written.index[j] = (uint8_t)j;
        op->written.seq[j] = (uint64_t)po->box_seq[j];
        op->written.event_seq[j] = (uint64_t)(po->nev > 1 ? po->seq[1] : po->seq[0]);
        op->written.n++;
    }
    PQclear(op->result);
    op->result = NULL;
    op->got_row = 1;
    return 0;
}

/* Calls each(user, unit, len) for every co-handling unit of a report (its
 * route's binary text[]). 0, or -1 when that is not such an array. */
static int co_units_each(const fq_store_op *op, void (*each)(void *, const uint8_t *, int32_t),
                         void *user)
{
    const fq_route_params *route = op->report->route;
    fq_pgarray_reader rd;
    if (route->co_len == 0)
        return 0; /* none: an empty array */
    if (fq_pgarray_read_begin(&rd, route->co, route->co_len, FQ_PG_TEXT) != 0)
        return -1;
    const uint8_t *unit;
    int32_t len;
    int got;
    while ((got = fq_pgarray_read_next(&rd, &unit, &len)) == 1) {
        if (unit == NULL)
            return -1;
        each(user, unit, len);
    }
    return got;
}

static void append_text(void *array, const uint8_t *unit, int32_t len)
{
    fq_pgarray_text(array, (const char *)unit, (size_t)len);
}

typedef struct co_row {
    fq_pgarray *array;
    int32_t row; /* 1-based, as WITH ORDINALITY counts */
} co_row;

static void append_row(void *user, const uint8_t *unit, int32_t len)
{
    (void)unit;
    (void)len;
    co_row *x = user;
    fq_pgarray_int4(x->array, x->row);
}

/* A text element, NULL for a NULL string. */
static void text_or_null(fq_pgarray *a, const char *v)
{
    fq_pgarray_text(a, v, v ? strlen(v) : 0);
}

/* FQ_SQL_INSERT_REPORTS's parameter of the run's co-handling units ($37),
 * which send_set checks it reached in order. */
#define REPORTS_CO_UNITS 36

/* Sends the set-based statement of the planned reports set[0..n). 0, or
 * -1 when out of memory (nothing queued) or libpq refused it. */
static int send_set(fq_store *s, PGconn *conn, batch *b, const planned_op *set, size_t n,
                    int64_t at_us)
{
    fq_pgbuf *buf = &s->set_buf;
    fq_pgbuf_reset(buf);
    size_t off[FQ_SQL_INSERT_REPORTS_NPARAMS], len[FQ_SQL_INSERT_REPORTS_NPARAMS];
    int k = 0, failed = 0;
    fq_pgarray a;
#define END_ARRAY() failed |= fq_pgarray_end(&a, &off[k], &len[k]), k++
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (size_t r = 0; r < n; r++)
        fq_pgarray_int8(&a, set[r].created);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_TIMESTAMPTZ);
    for (size_t r = 0; r < n; r++)
        fq_pgarray_timestamptz(&a, at_us);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (size_t r = 0; r < n; r++)
        fq_pgarray_bytea(&a, set[r].op->report->body_digest, 32);
    END_ARRAY();
    /* The incidents' columns, typed, from each report's parameters
     * (write_params.h), in the order FQ_SQL_INSERT_REPORTS unnests them. */
#define REPORT_COLUMN(oid, put)                                                                    \
    do {                                                                                           \
        fq_pgarray_begin(&a, buf, oid);                                                            \
        for (size_t r = 0; r < n; r++) {                                                           \
            const fq_report_params *p = set[r].op->report;                                         \
            const fq_route_params *rt = p->route;                                                  \
            (void)rt;                                                                              \
            put;                                                                                   \
        }                                                                                          \
        END_ARRAY();                                                                               \
    } while (0)
#define TEXT(v) text_or_null(&a, (v))
#define OR_NULL(cond, put) ((cond) ? (void)(put) : fq_pgarray_null(&a))
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->node));
    REPORT_COLUMN(FQ_PG_INT8, fq_pgarray_int8(&a, (int64_t)p->message_id));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->category));
    REPORT_COLUMN(FQ_PG_INT2, fq_pgarray_int2(&a, (int16_t)p->severity));
    REPORT_COLUMN(FQ_PG_INT2, fq_pgarray_int2(&a, (int16_t)p->risk));
    REPORT_COLUMN(FQ_PG_INT2, fq_pgarray_int2(&a, (int16_t)p->channel));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->place_unit));
    REPORT_COLUMN(FQ_PG_FLOAT8, OR_NULL(p->has_location, fq_pgarray_float8(&a, p->lon)));
    REPORT_COLUMN(FQ_PG_FLOAT8, OR_NULL(p->has_location, fq_pgarray_float8(&a, p->lat)));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->address));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->title));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->description));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ, OR_NULL(p->occurred_at_ms != 0,
                                             fq_pgarray_timestamptz(&a, p->occurred_at_ms * 1000)));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->external_ref));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->reporter_name));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->reporter_phone));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ, fq_pgarray_timestamptz(&a, p->sent_at_ms * 1000));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(p->state));
    REPORT_COLUMN(FQ_PG_INT2, OR_NULL(rt->assigned, fq_pgarray_int2(&a, (int16_t)rt->tier)));
    REPORT_COLUMN(FQ_PG_INT2, OR_NULL(rt->assigned, fq_pgarray_int2(&a, (int16_t)rt->line)));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(rt->territory[0] ? rt->territory : NULL));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(rt->assigned && rt->lead[0] ? rt->lead : NULL));
    REPORT_COLUMN(FQ_PG_TEXT, TEXT(rt->assigned && rt->worker[0] ? rt->worker : NULL));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ,
                  OR_NULL(rt->assigned, fq_pgarray_timestamptz(&a, rt->ack_due_ms * 1000)));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ,
                  OR_NULL(rt->assigned, fq_pgarray_timestamptz(&a, rt->ack_warn_ms * 1000)));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ,
                  OR_NULL(rt->assigned, fq_pgarray_timestamptz(&a, rt->conclude_due_ms * 1000)));
    REPORT_COLUMN(FQ_PG_TIMESTAMPTZ,
                  OR_NULL(rt->assigned, fq_pgarray_timestamptz(&a, rt->conclude_warn_ms * 1000)));
    REPORT_COLUMN(FQ_PG_INT8,
                  OR_NULL(p->merged_into != 0, fq_pgarray_int8(&a, (int64_t)p->merged_into)));
    REPORT_COLUMN(FQ_PG_INT4, fq_pgarray_int4(&a, (int32_t)p->rule_set));
    REPORT_COLUMN(FQ_PG_INT4, fq_pgarray_int4(&a, (int32_t)p->rule_source));
    REPORT_COLUMN(FQ_PG_INT2, fq_pgarray_int2(&a, (int16_t)rt->climbed));
    REPORT_COLUMN(FQ_PG_BOOL, fq_pgarray_bool(&a, p->unplaced));
    REPORT_COLUMN(FQ_PG_INT8, fq_pgarray_int8(&a, p->nonce));
#undef OR_NULL
#undef TEXT
#undef REPORT_COLUMN
    /* $37: every report's co-handling units (its route's binary text[]),
     * one after the other; $59 says whose. */
    if (k != REPORTS_CO_UNITS)
        return -1;
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t r = 0; r < n; r++)
        failed |= co_units_each(set[r].op, append_text, &a);
    END_ARRAY();
    /* The events. */
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_int8(&a, set[r].seq[i]);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_int8(&a, set[r].incident[i]);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_text(&a, set[r].kind[i], strlen(set[r].kind[i]));
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_text(&a, set[r].actor[i], set[r].actor[i] ? strlen(set[r].actor[i]) : 0);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_TIMESTAMPTZ);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_timestamptz(&a, at_us);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_text(&a, set[r].reason[i], strlen(set[r].reason[i]));
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_bytea(&a, set[r].payload[i], set[r].payload_len[i]);
    END_ARRAY();
    /* Reason codes as FQ_SQL_INSERT_REPORT writes them: none for the
     * report, the routing's ($43), 'merged' for a merge. */
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++) {
            const char *code =
                i == 0   ? ""
                : i == 1 ? (set[r].op->report->reason_code ? set[r].op->report->reason_code : "")
                         : "merged";
            fq_pgarray_text(&a, code, strlen(code));
        }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_bytea(&a, set[r].prev[i], FQ_CHAIN_HASH_BYTES);
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < set[r].nev; i++)
            fq_pgarray_bytea(&a, set[r].hash[i], FQ_CHAIN_HASH_BYTES);
    END_ARRAY();
    /* The outbox rows, reporting the routing event (the feeds' items are
     * its columns, below). */
#define FOR_ROWS                                                                                   \
    for (size_t r = 0; r < n; r++)                                                                 \
        for (int j = 0; j < set[r].nitems; j++)                                                    \
            if (set[r].op->plan.outbox->feed[j] == FQ_FEED_NONE)
    fq_pgarray_begin(&a, buf, FQ_PG_TEXT);
    FOR_ROWS
    {
        const char *box = set[r].op->plan.outbox->box[j];
        fq_pgarray_text(&a, box, strlen(box));
    }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    FOR_ROWS
    {
        fq_pgarray_int8(&a, set[r].box_seq[j]);
    }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_INT2);
    FOR_ROWS
    {
        fq_pgarray_int2(&a, set[r].op->plan.outbox->kind[j]);
    }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    FOR_ROWS
    {
        fq_pgarray_int8(&a, set[r].created);
    }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_BYTEA);
    FOR_ROWS
    {
        fq_pgarray_bytea(&a, set[r].op->plan.outbox->body[j], set[r].op->plan.outbox->body_len[j]);
    }
    END_ARRAY();
    fq_pgarray_begin(&a, buf, FQ_PG_INT8);
    FOR_ROWS
    {
        fq_pgarray_int8(&a, set[r].nev > 1 ? set[r].seq[1] : set[r].seq[0]);
    }
    END_ARRAY();
#undef FOR_ROWS
    /* The events' follow-feed columns (FQ_SQL_FEED_COLUMNS): the routing
     * event's, NULL for the others. */
    for (int c = 0; c < 5; c++) {
        static const uint32_t oids[5] = {FQ_PG_BYTEA, FQ_PG_TEXT, FQ_PG_INT8, FQ_PG_TEXT,
                                         FQ_PG_INT8};
        fq_pgarray_begin(&a, buf, oids[c]);
        for (size_t r = 0; r < n; r++) {
            const struct fq_outbox_set *items = set[r].op->plan.outbox;
            int town = set[r].nitems ? fq_outbox_feed_index(items, FQ_FEED_TOWN) : -1;
            int district = set[r].nitems ? fq_outbox_feed_index(items, FQ_FEED_DISTRICT) : -1;
            int feed = town >= 0 ? town : district;
            int unit = c <= 2 ? town : district;
            for (int i = 0; i < set[r].nev; i++) {
                if (i != (set[r].nev > 1 ? 1 : 0) || (c == 0 ? feed : unit) < 0) {
                    fq_pgarray_null(&a);
                    continue;
                }
                if (c == 0)
                    fq_pgarray_bytea(&a, items->body[feed], items->body_len[feed]);
                else if (c == 1 || c == 3)
                    fq_pgarray_text(&a, items->box[unit] + 2, strlen(items->box[unit] + 2));
                else
                    fq_pgarray_int8(&a, set[r].box_seq[unit]);
            }
        }
        END_ARRAY();
    }
    fq_pgarray_begin(&a, buf, FQ_PG_INT4);
    for (size_t r = 0; r < n; r++) {
        co_row row = {&a, (int32_t)(r + 1)};
        failed |= co_units_each(set[r].op, append_row, &row);
    }
    END_ARRAY();
#undef END_ARRAY
    if (failed || k != FQ_SQL_INSERT_REPORTS_NPARAMS)
        return -1;
    const char *values[FQ_SQL_INSERT_REPORTS_NPARAMS];
    int lengths[FQ_SQL_INSERT_REPORTS_NPARAMS], formats[FQ_SQL_INSERT_REPORTS_NPARAMS];
    for (int i = 0; i < FQ_SQL_INSERT_REPORTS_NPARAMS; i++) {
        values[i] = (const char *)buf->data + off[i];
        lengths[i] = (int)len[i];
        formats[i] = 1;
    }
    if (!PQsendQueryPrepared(conn, FQ_SQL_INSERT_REPORTS_NAME, FQ_SQL_INSERT_REPORTS_NPARAMS,
                             values, lengths, formats, 0))
        return -1;
    expect_push(s, EXP_SET, NULL, b);
    return 0;
}

/* Sends one transaction of pending operations. Returns -1 when nothing more
 * should be sent this turn: out of memory (the operations stay pending and
 * wait, within their hold bound, for the next turn) or the connection was
 * dropped because libpq could not queue a statement (the batch goes back to
 * pending through on_pg_lost). */
static int send_batch(fq_store *s, PGconn *conn)
{
    /* Serial mode: one operation per transaction, nothing else in flight. */
    int serial = s->serial_left > 0;
    size_t want = s->pending.count < s->config.max_batch ? s->pending.count : s->config.max_batch;
    if (serial)
        want = 1;
    fq_store_op *head = s->pending.head;
    if (!op_ready(head, serial))
        return -1; /* its lookup is on its way */
    /* A report waits for incident ids (their reservation is on its way). */
    if (head->plan.nevents > 0 && head->plan.creates_incident && head->idem != IDEM_STORED &&
        fq_writeplan_peek_id(s->plan) == 0)
        return -1;
    /* ROLLBACK of an aborted transaction, BEGIN, the statements, the chain
     * advance, a lookup, COMMIT, the sync: all reserved before the first is
     * queued. */
    if (expect_reserve(s, want + 6) != 0)
        return -1;
    batch *b = store_alloc(sizeof *b, 1);
    if (b == NULL)
        return -1;
    b->serial = serial;
    b->written = -1;
    if (serial)
        fq_writeplan_rewind(s->plan); /* nothing in flight: planned from what committed */
    b->before = b->after = *fq_writeplan_tail(s->plan);
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        /* A failed statement skips its batch's COMMIT, and a Sync does not
         * end an explicit transaction: the session stays in the aborted
         * one, and every later statement would fail (25P02) until this. */
        if (!PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0)) {
            free(b);
            fq_pg_reset(s->pg, "libpq could not queue a statement");
            return -1;
        }
        expect_push(s, EXP_BEGIN, NULL, b);
    }
    if (!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) {
        free(b);
        fq_pg_reset(s->pg, "libpq could not queue a statement");
        return -1;
    }
    expect_push(s, EXP_BEGIN, NULL, b);
    b->sent_ns = uv_hrtime();
    fq_store_op *last = NULL;
    size_t n = 0;
    int queued = 1;
    int64_t at_us = wall_us(); /* every event of the transaction: its time */
    plan_scalars scalars;
    size_t nset = 0, statements = 0;
    if (!serial && s->set_cap < want) {
        planned_op *ns = realloc(s->set, want * sizeof *ns);
        if (ns != NULL) {
            s->set = ns;
            s->set_cap = want;
        }
    }
    while (n < want && s->pending.head != NULL) {
        fq_store_op *op = s->pending.head;
        if (!op_ready(op, serial))
            break; /* it, and what came after it, wait for its lookup */
        if (wants_lookup(op) && op->idem == IDEM_STORED) {
            /* Stored already: nothing to write or plan, and no end to a
             * run of reports; answered from the row the lookup read once
             * this batch commits (after that row's commit, on the same
             * connection as everything this server writes). */
            op = q_pop(&s->pending);
            if (last)
                last->next = op;
            else
                b->ops = op;
            last = op;
            n++;
            continue;
        }
        int in_set = set_based(op, serial) && nset < s->set_cap;
        planned_op one, *po = in_set ? &s->set[nset] : &one;
        if (!in_set && nset > 0) {
            /* A run of reports ends: its statement goes first, in order. */
            if (send_set(s, conn, b, s->set, nset, at_us) != 0) {
                queued = 0;
                break;
            }
            nset = 0;
            statements++;
        }
        if (op->plan.nevents > 0 && plan_op(s, b, op, at_us, po) != 0)
            break; /* no id left, or out of memory: it waits for the next batch */
        op = q_pop(&s->pending);
        op->got_row = 0;
        if (in_set) {
            if (answer_as_planned(po, at_us) != 0) {
                /* The batch is planned with it: it must fail as a whole. */
                b->failed = 1;
            }
            nset++;
        } else {
            if (op->plan.nevents > 0)
                bind_plan(s, !serial, po, &scalars, at_us); /* unbound: it fails, and the batch */
            if (!PQsendQueryPrepared(
                    conn, op->kind == FQ_STORE_OP_READ ? op->statement : statement_name(op->kind),
                    op->nparams, op->values, op->lengths, op->formats, op->result_format)) {
                /* Not queued: it goes back in front, untried; the connection
                 * is reset below, and the plan read again. */
                q_push_front_chain(&s->pending, op, op, 1);
                queued = 0;
                break;
            }
            expect_push(s, EXP_OP, op, b);
            statements++;
        }
        if (last)
            last->next = op;
        else
            b->ops = op;
        last = op;
        n++;
    }
    if (queued && nset > 0) {
        if (send_set(s, conn, b, s->set, nset, at_us) != 0)
            queued = 0;
        else
            statements++;
    }
    /* The chain head moves once per transaction, to where this batch's
     * plan ends (serial mode: to the last event the statement wrote). */
    if (queued && b->nevents > 0) {
        uint8_t before_seq[8], after_seq[8];
        fq_pg_put_int8(before_seq, b->before.seq);
        fq_pg_put_int8(after_seq, b->after.seq);
        const char *values[4] = {(const char *)before_seq, (const char *)b->before.hash,
                                 (const char *)after_seq, (const char *)b->after.hash};
        int lengths[4] = {8, FQ_CHAIN_HASH_BYTES, 8, FQ_CHAIN_HASH_BYTES};
        int formats[4] = {1, 1, 1, 1};
        if (serial)
            queued = PQsendQueryPrepared(conn, FQ_SQL_CHAIN_ADVANCE_WRITTEN_NAME, 3, values,
                                         lengths, formats, 1);
        else
            queued = PQsendQueryPrepared(conn, FQ_SQL_CHAIN_ADVANCE_NAME, 4, values, lengths,
                                         formats, 1);
        if (queued)
            expect_push(s, EXP_ADVANCE, NULL, b);
    }
    /* PostgreSQL holds results until a Sync or a Flush: ask for them now, so
     * that their arrival says the batch has reached its COMMIT. */
    if (queued)
        queued = PQsendFlushRequest(conn);
    if (queued && (queued = PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)))
        expect_push(s, EXP_COMMIT, NULL, b);
    /* While the lookup connection is down, the reports still waiting that
     * were never asked about are looked up here, after the COMMIT and
     * before the sync: in a transaction of their own, so that a lookup that
     * fails fails no batch (the pipeline skips nothing of the batch then),
     * and with no round trip of their own; the next batch takes them when
     * the answer comes, with this batch's COMMIT. */
    if (queued && !serial && s->lookup_wanted && !own_lookups(s)) {
        lookup *l = lookup_collect(s, s->config.max_batch);
        int rc = l != NULL ? send_lookup(s, conn, l) : 1;
        if (rc < 0)
            queued = 0;
        else if (rc == 0)
            expect_push(s, EXP_LOOKUP, NULL, NULL)->lookup = l;
    }
    int synced = queued && PQpipelineSync(conn);
    /* The sync's expectation is what on_pg_lost finds the batch by: it is
     * pushed even when libpq refused something, so that the reset below
     * gives every operation of the batch back. */
    expect_push(s, EXP_SYNC, NULL, b);
    s->batches_in_flight++;
    if (serial && n > 0) {
        s->serial_left--;
        s->stats.serial_ops++;
    }
    b->ops_waiting = statements;
    if (statements > 0)
        s->batches_executing++;
    s->stats.batches++;
    if (n > 0)
        fq_histogram_observe(&s->stats.batch_size, (double)n);
    if (n > s->stats.largest_batch)
        s->stats.largest_batch = n;
    if (!synced) {
        fq_pg_reset(s->pg, "libpq could not queue a statement");
        return -1;
    }
    return 0;
}

/* Whether a block of incident ids is due: fewer than two batches' worth
 * left, none on its way (a reports store: its heads were read). */
static int reserve_due(const fq_store *s)
{
    return s->heads_ok && !s->reserve_in_flight &&
           fq_writeplan_ids_left(s->plan) < (int64_t)s->config.max_batch * 2;
}

/* A block of incident ids, in a transaction of its own (a sequence is not
 * transactional anyway), sent only when nothing is in flight on the
 * connection (send_pending; may_send_batch drains the pipeline for it).
 * Pipelined behind a batch it met that batch's transaction whenever a
 * statement failed there, aborted until a ROLLBACK that nobody had sent
 * (25P02): libpq says PQTRANS_ACTIVE while anything is queued, so the
 * check below sees an aborted transaction only with nothing in flight. A
 * reservation that fails anyway is sent again (reserve_in_flight clears at
 * its sync); reports wait for ids, they never fail for them. 0, or -1 when
 * the connection was dropped. */
static int send_reserve(fq_store *s, PGconn *conn)
{
    if (expect_reserve(s, 3) != 0)
        return 0; /* next turn */
    uint8_t n[4];
    fq_pg_put_int4(n, s->config.id_block);
    const char *values[1] = {(const char *)n};
    static const int lengths[1] = {4}, formats[1] = {1};
    /* A failed batch leaves its transaction aborted until a ROLLBACK (see
     * send_batch). */
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        if (!PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0)) {
            fq_pg_reset(s->pg, "libpq could not queue a statement");
            return -1;
        }
        expect_push(s, EXP_RESERVE, NULL, NULL);
    }
    if (!PQsendQueryPrepared(conn, FQ_SQL_RESERVE_IDS_NAME, 1, values, lengths, formats, 1) ||
        (expect_push(s, EXP_RESERVE, NULL, NULL), !PQpipelineSync(conn))) {
        fq_pg_reset(s->pg, "libpq could not queue a statement");
        return -1;
    }
    expect_push(s, EXP_RESERVE_SYNC, NULL, NULL);
    s->reserve_in_flight = 1;
    return 0;
}

static void run_finished(fq_store *s)
{
    fq_store_op *op;
    while ((op = q_pop(&s->finished)) != NULL) {
        int status = op->status;
        const char *msg = "";
        switch (status) {
        case FQ_EBUSY:
            msg = "the store is unavailable";
            break;
        case FQ_EINTERNAL:
            msg = "the store failed repeatedly";
            break;
        case FQ_EREJECTED:
            msg = "the database refused the request";
            break;
        }
        /* The rows go with OK only, and are freed after the callback
         * (which may free the op). */
        PGresult *rows = op->result;
        op->result = status == FQ_OK ? rows : NULL;
        /* Asked for by each statement's binder: an op submitted again from
         * its callback (its next statement) gets text unless it asks. */
        op->result_format = 0;
        op->done(op, status, msg);
        PQclear(rows);
    }
}

/* Whether the next batch goes while one is in flight. A batch sent while
 * the one before is at its COMMIT waits in the backend for that COMMIT's WAL
 * flush; what arrives after it is sent waits for its flush too, so at a
 * moderate rate (a few operations a batch) a report would wait through up to
 * three flushes: the current one, its predecessor's, its own. Waiting for the
 * COMMIT instead takes everything that arrived meanwhile into one batch: at
 * most two. Pipelining pays only when there is a backlog to keep the backend
 * busy (the peak): PIPELINE_MIN operations waiting, or a full batch. */
#define PIPELINE_MIN 16

static int may_send_batch(const fq_store *s)
{
    if (!s->directory_loaded || s->open_streaming || s->pending.head == NULL || s->replanning ||
        !op_ready(s->pending.head, s->serial_left > 0))
        return 0;
    /* After a failed batch, nothing goes until the batches planned on top
     * of it are answered; in serial mode, one at a time. */
    if (s->serial_left > 0 && s->batches_in_flight > 0)
        return 0;
    /* Incident ids are due: nothing more goes until the pipeline is empty
     * and their reservation is sent (send_reserve), once a block. */
    if (reserve_due(s) && s->expect_count > 0)
        return 0;
    if (s->batches_in_flight == 0)
        return 1;
    if (s->batches_in_flight >= s->config.max_batches_in_flight)
        return 0;
    if (s->pending.count >= s->config.max_batch)
        return 1;
    return s->batches_executing == 0 && s->pending.count >= PIPELINE_MIN;
}

/* The next batch, with nothing in flight, would leave behind the reports
 * whose lookup on the lookup connection has not answered yet: they would
 * wait for its COMMIT, then for their own batch's, three in all. While the
 * oldest such lookup was sent less than LOOKUP_WAIT_US ago (it answers in a
 * few hundred microseconds, well within a batch's execution and flush), the
 * batch waits for its answer, which wakes the loop; at most that long (the
 * timer), and not with a backlog, which goes at once. */
#define LOOKUP_WAIT_US 1000

static void on_lookup_wait(uv_timer_t *timer)
{
    (void)timer; /* the loop turn it makes runs the prepare hook */
}

static int wait_for_lookup(fq_store *s)
{
    if (s->own_head == NULL || s->pending.head == NULL || s->batches_in_flight > 0 ||
        s->serial_left > 0 || s->pending.count >= PIPELINE_MIN ||
        uv_hrtime() - s->own_head->sent_ns >= LOOKUP_WAIT_US * 1000ull)
        return 0;
    if (!uv_is_active((uv_handle_t *)&s->lookup_wait)) {
        uv_timer_start(&s->lookup_wait, on_lookup_wait, (LOOKUP_WAIT_US + 999) / 1000, 0);
        s->stats.lookup_waits++;
    }
    return 1;
}

/* The lookup of the reports waiting that were never asked about, sent on
 * its own: when no batch is executing (PostgreSQL is idle, or flushing a
 * COMMIT, which the next batch waits for anyway) and no other lookup sent
 * on its own is in flight, since the batch sent when either answers takes
 * them in its transaction, before its COMMIT (send_batch): one lookup a
 * batch, not one a loop turn. Not in serial mode, where nothing is looked
 * up, nor while the batches of a failed plan are answered. 1 when it was
 * sent, 0 when not, -1 when the connection was dropped. */
static int send_lookup_alone(fq_store *s, PGconn *conn)
{
    if (!s->lookup_wanted || s->replanning || s->serial_left > 0 || s->batches_executing > 0 ||
        s->lookups_alone_in_flight > 0 || !s->directory_loaded || s->open_streaming ||
        own_lookups(s) || expect_reserve(s, 3) != 0)
        return 0;
    lookup *l = lookup_collect(s, s->config.max_batch);
    if (l == NULL)
        return 0;
    /* A failed batch leaves its transaction aborted until a ROLLBACK (see
     * send_batch). */
    int rolled_back = PQtransactionStatus(conn) == PQTRANS_INERROR;
    if (rolled_back) {
        if (!PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0)) {
            free(l);
            fq_pg_reset(s->pg, "libpq could not queue a statement");
            return -1;
        }
        expect_push(s, EXP_LOOKUP, NULL, NULL); /* no lookup: its result is ignored */
    }
    int rc = send_lookup(s, conn, l);
    if (rc == 0)
        expect_push(s, EXP_LOOKUP, NULL, NULL)->lookup = l;
    else if (rc < 0) {
        fq_pg_reset(s->pg, "libpq could not queue a statement");
        return -1;
    } else if (!rolled_back)
        return 0;
    if (!PQpipelineSync(conn)) {
        fq_pg_reset(s->pg, "libpq could not queue a statement");
        return -1;
    }
    expect_push(s, EXP_LOOKUP_SYNC, NULL, NULL);
    s->lookups_alone_in_flight++;
    return 1;
}

/* The directory's (or a catch-up's) load, when one is wanted and its retry
 * time has come; `*sent` set when it went. -1: the connection failed. */
static int send_load_when_due(fq_store *s, PGconn *conn, int *sent)
{
    if (!(s->directory_wanted || s->catchup_wanted) || s->directory_in_flight ||
        uv_now(s->loop) < s->directory_retry_at)
        return 0;
    if (send_load(s, conn) != 0)
        return -1;
    *sent = 1;
    return 0;
}

/* Out with what was queued; results read meanwhile may have queued more (a
 * load's next fetch): out before the loop sleeps, or nothing would come to
 * wake it. */
static void flush_sent(fq_store *s, int sent)
{
    if (sent)
        fq_pg_flush(s->pg);
    while (s->flush_wanted && fq_pg_conn(s->pg) != NULL) {
        s->flush_wanted = 0;
        fq_pg_flush(s->pg);
    }
}

/* What goes to PostgreSQL before the loop sleeps: the serving lock's claim,
 * the directory, incident ids, batches. */
static void send_pending(fq_store *s)
{
    PGconn *conn = fq_pg_conn(s->pg);
    if (conn != NULL && s->setup_done == 0 && s->guard_retry_at != 0 &&
        uv_now(s->loop) >= s->guard_retry_at && !s->closing && !s->directory_in_flight) {
        /* Claim the serving lock again (another server held it); a warm
         * standby's load in flight ends first. */
        s->guard_retry_at = 0;
        if (send_setup(s, conn) == 0)
            fq_pg_flush(s->pg);
        return;
    }
    if (conn != NULL && s->setup_done == 0 && s->warm && !s->closing && !s->claim_deferred) {
        /* A warm standby between its claims: loads only (read-only
         * transactions); nothing is written without the lock. */
        int sent = s->flush_wanted;
        s->flush_wanted = 0;
        if (send_load_when_due(s, conn, &sent) != 0)
            return;
        flush_sent(s, sent);
        return;
    }
    if (conn == NULL || s->setup_done != 1)
        return;
    if (s->not_primary) {
        s->not_primary = 0;
        fq_pg_reset(s->pg, "PostgreSQL refused a write as read-only (not the primary any more)");
        return;
    }
    if (s->heads_stale && s->batches_in_flight == 0 && !s->directory_in_flight) {
        s->heads_stale = 0;
        fq_pg_reset(s->pg, "the event chain head moved");
        return;
    }
    int sent = s->flush_wanted;
    s->flush_wanted = 0;
    if (send_load_when_due(s, conn, &sent) != 0)
        return;
    /* Incident ids before they run out (a reports store only), with nothing
     * in flight that could abort under them (send_reserve). */
    if (reserve_due(s) && s->expect_count == 0 && !s->open_streaming) {
        if (send_reserve(s, conn) != 0)
            return;
        sent = 1;
    }
    /* Operations go out only once the directory they were checked against
     * is loaded on this connection: statements are prepared by then. */
    while (!wait_for_lookup(s) && may_send_batch(s)) {
        if (send_batch(s, conn) != 0)
            break;
        sent = 1;
    }
    send_own_lookups(s);
    int looked = send_lookup_alone(s, conn);
    if (looked < 0)
        return;
    flush_sent(s, sent || looked);
}

static void on_prepare(uv_prepare_t *handle)
{
    fq_store *s = handle->data;
    /* The next batch first, then the answers of the one that committed:
     * PostgreSQL executes it while the callbacks sign and send replies. */
    send_pending(s);
    run_finished(s);
    /* What the callbacks submitted goes in this turn too (when nothing is
     * in flight), and results that completed during the flushes answer in
     * it. */
    send_pending(s);
    run_finished(s);
}

/* Why nothing of `pending` was sent, for the log line of the operations
 * answered busy: the first condition of send_pending and may_send_batch
 * that holds them. */
static const char *why_waiting(fq_store *s, char *buf, size_t len)
{
    char conn[384];
    if (fq_pg_conn(s->pg) == NULL)
        snprintf(buf, len, "PostgreSQL: %s", fq_pg_describe(s->pg, conn, sizeof conn));
    else if (s->setup_done != 1 && s->guard_retry_at != 0)
        snprintf(buf, len, "the serving lock is not held (claimed again in %lld ms)",
                 (long long)s->guard_retry_at - (long long)uv_now(s->loop));
    else if (s->setup_done != 1)
        snprintf(buf, len, "the connection's setup (the serving lock, statements) is in flight");
    else if (!s->directory_loaded)
        snprintf(buf, len, "the directory is loading (%s)",
                 s->directory_in_flight ? "in flight" : "retried after a failure");
    else if (s->open_streaming)
        snprintf(buf, len, "the open incidents are loading (loaders %s, %s)",
                 s->loaders[0].copy || s->loaders[1].copy ? "running" : "done",
                 s->open_end_sent ? "its COMMIT sent" : "its COMMIT not sent");
    else if (s->replanning)
        snprintf(buf, len, "the batches after a failed one are being answered (%d in flight)",
                 s->batches_in_flight);
    else if (s->batches_in_flight > 0)
        snprintf(buf, len, "%d batches in flight (%d executing), %zu results awaited",
                 s->batches_in_flight, s->batches_executing, s->expect_count);
    else
        snprintf(buf, len, "connected and idle: %zu results awaited, serial %zu", s->expect_count,
                 s->serial_left);
    return buf;
}

/* Said at most every BUSY_SAID_MS: what held the operations answered busy. */
#define BUSY_SAID_MS 5000

static void say_busy(fq_store *s, uint64_t now, uint64_t waited_ms)
{
    s->busy_unsaid++;
    if (s->busy_said_at != 0 && now - s->busy_said_at < BUSY_SAID_MS)
        return;
    char why[512];
    fq_log(FQ_LOG_WARN, "store",
           "%" PRIu64 " operations answered busy after %" PRIu64 " ms unsent (hold bound %" PRIu64
           " ms): %s",
           s->busy_unsaid, waited_ms, s->config.hold_ms, why_waiting(s, why, sizeof why));
    s->busy_unsaid = 0;
    s->busy_said_at = now;
}

static void on_sweep(uv_timer_t *timer)
{
    fq_store *s = timer->data;
    uint64_t now = uv_now(s->loop);
    /* A lookup on the lookup connection unanswered too long is given up. */
    if (s->own_head != NULL &&
        uv_hrtime() - s->own_head->sent_ns > LOOKUP_PATIENCE_MS * 1000000ull) {
        fq_log(FQ_LOG_WARN, "store",
               "the lookup connection did not answer in %d ms: its reports are looked up in "
               "their batches, and it is made again",
               LOOKUP_PATIENCE_MS);
        own_void_all(s);
        fq_lookup_conn_reset(s->lookup_conn, "no answer to a lookup");
    }
    /* Unsent operations older than the hold bound are answered busy: nothing
     * of them was written, and the sender resends. An operation in flight
     * awaits its outcome instead, and so does one in doubt (its transaction
     * was in flight when the connection broke): it may have committed, and
     * is answered only from its commit on the next connection (on_pg_lost).
     * Operations that went back to the queue are in front of it and older
     * than every one behind them, which arrived in order: the sweep stops
     * at the first unsent one still within the bound. */
    fq_store_op *prev = NULL, *op = s->pending.head;
    size_t position = 0; /* of op in pending: the first serial_left go one by one */
    while (op != NULL) {
        fq_store_op *next = op->next;
        /* One in a lookup in flight is named by its answer: it stays. */
        if (op->in_doubt || (wants_lookup(op) && op->idem == IDEM_ASKED)) {
            prev = op;
            op = next;
            position++;
            continue;
        }
        if (now - op->queued_at <= s->config.hold_ms)
            break;
        if (prev != NULL)
            prev->next = next;
        else
            s->pending.head = next;
        if (s->pending.tail == op)
            s->pending.tail = prev;
        s->pending.count--;
        /* One of those to be written one by one after a lost connection:
         * the serial run is one shorter (or the reports that came after it
         * would be written one by one in its place). */
        if (position < s->serial_left)
            s->serial_left--;
        op->next = NULL;
        s->stats.ops_busy++;
        say_busy(s, now, now - op->queued_at);
        finish(s, op, FQ_EBUSY);
        op = next;
    }
    if (s->finished.head != NULL)
        run_finished(s);
}

/* ---- public ---- */

fq_store *fq_store_new(uv_loop_t *loop, const fq_store_config *config,
                       fq_store_directory_cb on_directory, fq_store_status_cb on_status, void *user)
{
    fq_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->loop = loop;
    s->config = *config;
    if (s->config.max_batch == 0)
        s->config.max_batch = 256;
    if (s->config.max_batches_in_flight <= 0)
        s->config.max_batches_in_flight = 2;
    if (s->config.id_block <= 0)
        s->config.id_block = ID_BLOCK;
    if (s->config.max_pending == 0)
        s->config.max_pending = 20000;
    s->on_directory = on_directory;
    s->on_status = on_status;
    s->user = user;
    s->point = -1;
    s->load_point = -1;
    s->plan = fq_writeplan_new();
    if (s->plan == NULL) {
        free(s);
        return NULL;
    }
    /* Statements per batch up to --batch's ceiling (10000); commit latency
     * from a local disk's fsync (~0.5 ms) to a stalled one. */
    static const double sizes[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10000};
    static const double seconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    fq_histogram_init(&s->stats.batch_size, sizes, sizeof sizes / sizeof sizes[0]);
    fq_histogram_init(&s->stats.commit_seconds, seconds, sizeof seconds / sizeof seconds[0]);
    fq_pg_callbacks cb = {on_pg_ready, on_pg_result, on_pg_expecting, on_pg_lost, on_pg_notify};
    s->pg = fq_pg_new(loop, config->conninfo, &cb, s);
    if (s->pg == NULL) {
        fq_writeplan_free(s->plan);
        free(s);
        return NULL;
    }
    if (config->reads_timeout_ms == 0) {
        /* The writes store's lookups of stored reports; without it (out of
         * memory) they go on the writes connection. */
        fq_lookup_conn_callbacks lcb = {on_lookup_answer, on_lookup_lost};
        s->lookup_conn = fq_lookup_conn_new(loop, config->conninfo, &lcb, s);
    }
    uv_prepare_init(loop, &s->prepare);
    s->prepare.data = s;
    uv_timer_init(loop, &s->sweeper);
    s->sweeper.data = s;
    uv_timer_init(loop, &s->lookup_wait);
    s->lookup_wait.data = s;
    s->open_handles = 3;
    return s;
}

void fq_store_start(fq_store *s)
{
    uv_prepare_start(&s->prepare, on_prepare);
    uv_timer_start(&s->sweeper, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
    fq_pg_start(s->pg);
    /* A warm standby looks nothing up until it serves (guard_claimed): no
     * idle session of it on the primary meanwhile. */
    if (s->lookup_conn != NULL && !s->warm) {
        s->lookup_started = 1;
        fq_lookup_conn_start(s->lookup_conn);
    }
}

void fq_store_submit(fq_store *s, fq_store_op *op)
{
    op->queued_at = uv_now(s->loop);
    op->in_doubt = 0;
    op->submitted_ns = uv_hrtime();
    op->sent_ns = op->executed_ns = op->answered_ns = 0;
    /* Not freed here: an op submitted again from its own callback still
     * points at the rows the store frees when that callback returns. */
    op->result = NULL;
    op->written.n = 0;
    op->attempts = 0;
    op->got_row = 0;
    op->error[0] = '\0';
    op->sqlstate[0] = '\0';
    op->idem = IDEM_UNKNOWN;
    if (op->kind == FQ_STORE_OP_REPORT)
        s->lookup_wanted = 1;
    /* Only the statements that write events have a plan. */
    int writes_events = op->kind == FQ_STORE_OP_REPORT || op->kind == FQ_STORE_OP_REROUTE ||
                        op->kind == FQ_STORE_OP_EVENT || op->kind == FQ_STORE_OP_ACTION ||
                        (op->kind == FQ_STORE_OP_READ && op->statement != NULL &&
                         (strcmp(op->statement, FQ_SQL_AFTERCARE_NAME) == 0 ||
                          strcmp(op->statement, FQ_SQL_UPWARD_ATTEMPT_NAME) == 0));
    if (!writes_events)
        op->plan.nevents = 0;
    /* Audit rows yield to reports: they are refused first when loaded. */
    size_t limit =
        op->kind == FQ_STORE_OP_REJECTED ? s->config.max_pending / 2 : s->config.max_pending;
    if (s->pending.count >= limit || s->closing) {
        s->stats.ops_busy++;
        finish(s, op, FQ_EBUSY);
        return;
    }
    q_push(&s->pending, op);
}

int fq_store_ready(const fq_store *s)
{
    return s->directory_loaded && fq_pg_conn(s->pg) != NULL;
}

static void on_closed(uv_handle_t *handle)
{
    fq_store *s = handle->data;
    if (--s->open_handles == 0) {
        free(s->expect);
        fq_writeplan_free(s->plan);
        fq_pgbuf_free(&s->scratch);
        fq_pgbuf_free(&s->set_buf);
        fq_pgbuf_free(&s->lookup_buf);
        free(s->set);
        free(s);
    }
}

void fq_store_close(fq_store *s)
{
    s->closing = 1;
    /* Nothing is answered from the lookup connection from now on; what it
     * was asked is forgotten before the operations are answered busy. */
    fq_lookup_conn_close(s->lookup_conn);
    s->lookup_conn = NULL;
    own_void_all(s);
    fq_pg_close(s->pg);
    /* In-flight batches will never answer now: their outcome is unknown, so
     * they are answered busy (a retry is idempotent). */
    on_pg_lost(s, "closing");
    fq_store_op *op;
    while ((op = q_pop(&s->pending)) != NULL)
        finish(s, op, FQ_EBUSY);
    run_finished(s);
    uv_close((uv_handle_t *)&s->prepare, on_closed);
    uv_close((uv_handle_t *)&s->sweeper, on_closed);
    uv_close((uv_handle_t *)&s->lookup_wait, on_closed);
}

void fq_store_on_guard(fq_store *s, fq_store_guard_cb on_guard)
{
    s->on_guard = on_guard;
}

void fq_store_on_open_rows(fq_store *s, fq_store_open_rows_cb on_open_rows)
{
    s->on_open_rows = on_open_rows;
}

void fq_store_skip_open_load(fq_store *s)
{
    s->open_loaded = 1;
}

void fq_store_set_warm(fq_store *s, fq_store_point_cb on_point)
{
    s->warm = 1;
    s->tracking = 1;
    s->on_point = on_point;
}

void fq_store_track(fq_store *s, int on)
{
    s->tracking = s->warm && on;
    if (!s->tracking)
        s->catchup_wanted = 0;
}

void fq_store_catch_up(fq_store *s)
{
    if (s->tracking)
        s->catchup_wanted = 1;
}

int64_t fq_store_point(const fq_store *s)
{
    return s->point;
}

size_t fq_store_open_expected(const fq_store *s)
{
    return s->open_expected;
}

const fq_store_stats *fq_store_get_stats(fq_store *s)
{
    s->stats.pending = s->pending.count;
    s->stats.connected = fq_store_ready(s);
    return &s->stats;
}

int64_t fq_store_column_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}
