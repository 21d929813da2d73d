/* store: the server's writes and directory loads over one pipelined libpq
 * connection, with group commit.
 *
 * Operations submitted during one loop turn go out together before the loop
 * sleeps: BEGIN, one prepared statement per operation, COMMIT, Sync. Each
 * operation's callback runs only after its batch's COMMIT result has arrived
 * — nothing is acknowledged before it is durable. If one statement fails, the
 * pipeline aborts the rest of its batch; that statement's operation is
 * answered with its error and the others are sent again, so one bad row never
 * takes its neighbours down. While PostgreSQL is unreachable, operations wait
 * up to a bound and are then answered busy. A writes store asks whether
 * arriving reports are stored already on a second connection of its own
 * (lookup_conn.h; docs/write-path.md, "Resends in a batch"), and on the
 * writes connection while that one is down. */
#ifndef FQ_STORE_H
#define FQ_STORE_H

#include "fqerr.h"
#include "metrics.h"
#include "outbox.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FQ_STORE_MAX_PARAMS 61
#define FQ_STORE_MAX_OUTCOME 1024
/* Events one statement writes at most (a report: reported, its routing, a
 * merge's report_merged). */
#define FQ_STORE_MAX_EVENTS 3
/* The parameters the store fills from its plan (docs/write-path.md,
 * "Planning and the abort rule"), from fq_store_plan.first_param on:
 * +0 strict (bool: raise FQ002 rather than write less than planned),
 * +1 the created incident's id (int8; NULL: none), +2 the events' seqs
 * (int8[]), +3 their prev_hash (bytea[]), +4 their hash (bytea[]), +5 their
 * time (timestamptz), +6 the outbox rows' seqs (int8[], in the order of
 * the set's items that are not in a follow feed), +7..+11 the follow feeds'
 * columns of the event the items report (statements.h FQ_SQL_FEED: the
 * item's body (bytea), the town (text) and its feed's seq (int8), the
 * district (text) and its feed's seq (int8); NULL where none). All binary. */
#define FQ_STORE_PLAN_NPARAMS 12

/* An operation's status (fqerr.h): FQ_OK, FQ_EREJECTED (PostgreSQL refused
 * this operation's statement), FQ_EBUSY (not done: store unavailable or
 * overloaded), FQ_EINTERNAL (not done: kept failing for no reason of its
 * own). */

typedef enum fq_store_op_kind {
    FQ_STORE_OP_REPORT = 1,       /* FQ_SQL_INSERT_REPORT (write_params.h) */
    FQ_STORE_OP_REJECTED = 2,     /* sql/insert_rejected.sql (endpoints/audit.c) */
    FQ_STORE_OP_REROUTE = 3,      /* FQ_SQL_REROUTE (write_params.h) */
    FQ_STORE_OP_EVENT = 4,        /* FQ_SQL_INSERT_EVENT (write_params.h) */
    FQ_STORE_OP_ACTION = 5,       /* FQ_SQL_ACTION (write_params.h) */
    FQ_STORE_OP_READ_OUTBOX = 6,  /* sql/read_outbox.sql (outbox_rows.h) */
    FQ_STORE_OP_FIND_REQUEST = 7, /* sql/find_request.sql (outbox_rows.h) */
    FQ_STORE_OP_READ = 8,         /* any prepared read: `statement` names it */
} fq_store_op_kind;

/* One event a statement writes: what its hash covers, as the statement
 * writes it (chain.h). The actor and the payload are named by the
 * operation's parameter that carries them (read when the store plans, so
 * they may be bound after the plan): the actor a text parameter, the
 * payload a binary one; -1 or a NULL value: SQL NULL. */
typedef struct fq_store_event {
    int64_t incident_id; /* 0: the incident the statement creates */
    const char *kind;
    int actor_param;    /* 0-based; -1: fengqiaod itself */
    const char *reason; /* never NULL */
    /* The reason is followed by the created incident's id in decimal (a
     * merge's "another report: incident N", which the statement writes the
     * same way). */
    int reason_names_created;
    int payload_param; /* 0-based; -1: none */
} fq_store_event;

struct fq_outbox_set;
struct fq_report_params;

/* What a statement writes to the history, for the store to plan: its events
 * in order (each written only if the one before is: a statement writes a
 * prefix of its plan, all of it outside serial mode), the outbox items the
 * first event leaves, a new incident. nevents 0: no plan. Used for the
 * kinds REPORT, REROUTE, EVENT, ACTION and READ (the statements.h
 * FQ_SQL_AFTERCARE and FQ_SQL_UPWARD_ATTEMPT); ignored for the
 * others. */
typedef struct fq_store_plan {
    int first_param; /* 0-based: FQ_STORE_PLAN_NPARAMS parameters from here */
    int creates_incident;
    int nevents;
    fq_store_event events[FQ_STORE_MAX_EVENTS];
    const struct fq_outbox_set *outbox; /* NULL: no items */
} fq_store_plan;

typedef struct fq_store_op fq_store_op;
/* `message` is for logs and, with EREJECTED, for the peer. */
typedef void (*fq_store_done_cb)(fq_store_op *op, int status, const char *message);

/* Embedded by the caller in its own request state. Parameters point into the
 * caller's memory, which must stay put until `done` runs. */
struct fq_store_op {
    fq_store_op_kind kind;
    int nparams;
    const char *values[FQ_STORE_MAX_PARAMS];
    int lengths[FQ_STORE_MAX_PARAMS];
    int formats[FQ_STORE_MAX_PARAMS];
    fq_store_done_cb done;
    const char *statement; /* FQ_STORE_OP_READ: the prepared statement's name */
    /* How the statement's rows come back: 0 text, 1 binary (ints, times,
     * bools, floats and arrays as PostgreSQL sends them: pgarray.h). Set by
     * the statement's binder, for the decoder beside it; back to 0 when
     * the op is answered, before `done` (which may submit it again, for
     * another statement). */
    int result_format;
    fq_store_plan plan;
    /* FQ_STORE_OP_REPORT: its parameters by name (write_params.h, set by
     * its binder), for the batch's set-based statement and its answer as
     * planned. NULL for the other kinds. */
    const struct fq_report_params *report;

    /* Results of a REPORT, valid in `done` with FQ_OK. */
    int64_t incident_id;
    int created;
    int64_t recorded_at_ms;
    int64_t event_seq;
    uint8_t stored_digest[32];
    uint8_t stored_outcome[FQ_STORE_MAX_OUTCOME]; /* RoutingOutcome bytes */
    size_t stored_outcome_len;
    int64_t stored_nonce; /* the routing decision's nonce the row holds (0: none) */
    /* With FQ_OK: the statement's rows (all kinds but REJECTED),
     * valid during `done` only. */
    PGresult *result;
    /* With FQ_OK, for REPORT, REROUTE, EVENT and ACTION: the outbox items
     * the statement wrote (write_params.h fq_write_outbox_written; a report
     * written by the set-based statement: as planned). n 0: none. */
    fq_outbox_written written;
    /* With FQ_EREJECTED: why, as fq_pg_error_describe puts it (SQLSTATE,
     * constraint, a primary message that quotes no values; never the row),
     * and the SQLSTATE (57014: a reads store's statement_timeout cancelled it). */
    char error[256];
    char sqlstate[6];
    /* Where its time went (uv_hrtime, ns; 0: not reached), for the intake's
     * trace (--trace-reports): submitted, sent in its batch, its batch's
     * statements executed (their results back, before the COMMIT's flush),
     * its batch's sync answered (the COMMIT done). Set by the store. */
    uint64_t submitted_ns, sent_ns, executed_ns, answered_ns;

    /* Private to the store. */
    fq_store_op *next;
    uint64_t queued_at; /* loop time, ms */
    /* Its transaction was in flight when the connection broke: it may have
     * committed, so it is answered only from a commit (never busy by the
     * hold bound). */
    int in_doubt;
    int attempts;
    int got_row;
    int status;
    int planned_events; /* how many of plan.events the batch planned */
    int64_t planned_incident;
    /* A REPORT: what the batch lookup of stored reports knows of its
     * (node, message id) (store.c, docs/write-path.md "Resends in a batch"). */
    int idem;
};

typedef struct fq_store_config {
    const char *conninfo;
    /* Longest an unsent operation waits for PostgreSQL before it is
     * answered busy. One whose transaction was in flight when the
     * connection broke waits for the next connection however long. */
    uint64_t hold_ms;
    size_t max_pending; /* operations waiting beyond this are refused busy */
    size_t max_batch;   /* operations per transaction */
    int max_batches_in_flight;
    /* A reads store: a second connection for the console's reads (FQ_STORE_OP_READ
     * of the FQ_SQL_CONSOLE_* statements only). Read-only transactions, no
     * directory, and this statement_timeout, so that a heavy read is
     * cancelled rather than left to hold anything up; a cancelled read is
     * answered EREJECTED with SQLSTATE 57014, not retried. 0: the writes
     * store. */
    unsigned reads_timeout_ms;
    /* Incident ids reserved at a time (docs/write-path.md, "Who writes");
     * 0: 4096. */
    int id_block;
} fq_store_config;

typedef struct fq_store_stats {
    uint64_t batches;
    uint64_t ops_committed;
    uint64_t ops_rejected;
    uint64_t ops_busy;
    uint64_t ops_retried;
    uint64_t reconnects;
    uint64_t directory_loads;
    uint64_t serial_ops; /* written one per transaction after a failed batch */
    /* The batch lookup of stored reports (docs/write-path.md, "Resends in a
     * batch"): statements sent, reports they asked about, reports found
     * stored (answered from the row, nothing written). */
    uint64_t lookups, looked_up, resends_found;
    /* Of the lookups, those sent on the lookup connection (lookup_conn.h);
     * the others went on the writes connection, after a batch's COMMIT or
     * alone, while it was down. */
    uint64_t lookups_own;
    /* Times a batch waited for a lookup's answer (wait_for_lookup). */
    uint64_t lookup_waits;
    size_t pending;
    size_t largest_batch;
    /* For /metrics (docs/operations.md, Monitoring). */
    uint64_t committed_by_kind[9]; /* statements committed, by fq_store_op_kind */
    fq_histogram batch_size;       /* statements per transaction sent */
    fq_histogram commit_seconds;   /* a batch's send to its COMMIT's result */
    int connected;                 /* ready: connected and set up (fq_store_ready) */
} fq_store_stats;

/* A fresh directory: results[FQ_LOAD_*] are the rows of the statements.h
 * load queries, all from one transaction. Freed by the store after the call. */
typedef void (*fq_store_directory_cb)(void *user, const PGresult *const *results);
typedef void (*fq_store_status_cb)(void *user, int connected, const char *why);
/* The serving lock (one server per database): `held` 1 once this server
 * holds it (again, after a reconnect); 0 each time it is refused because
 * another server holds it, with PostgreSQL's message naming the holder.
 * While refused, nothing is written and operations wait, then are answered
 * busy; the claim is repeated every second. */
typedef void (*fq_store_guard_cb)(void *user, int held, const char *why);

typedef struct fq_store fq_store;

fq_store *fq_store_new(uv_loop_t *loop, const fq_store_config *config,
                       fq_store_directory_cb on_directory, fq_store_status_cb on_status,
                       void *user);
void fq_store_start(fq_store *store);

/* Queues `op`; its callback runs later, never from inside this call. An op
 * may be submitted again from inside its own callback (its next statement). */
void fq_store_submit(fq_store *store, fq_store_op *op);

/* 1 while connected and the directory is loaded (a reads store: while
 * connected and its statements are prepared). */
int fq_store_ready(const fq_store *store);

/* Answers every waiting operation busy, closes the connection, frees. */
void fq_store_close(fq_store *store);

/* Who hears about the serving lock (the `user` of fq_store_new). */
void fq_store_on_guard(fq_store *store, fq_store_guard_cb on_guard);

/* The open incidents, read by a directory load until the server has taken
 * them in (fq_store_skip_open_load): chunks of FQ_SQL_OPEN_COPY's rows,
 * decoded (server/store/case_rows.h), each handed over as it arrives, before
 * the load's directory callback; `directory` holds the same load's other
 * results (results[FQ_LOAD_*], all in: those queries come first). Called
 * with both NULL when the load failed after some chunks: what they brought
 * is void, and the next load reads them all again. The rows are valid
 * during the call only. A load that found none hands over one empty chunk
 * (n 0, rows not NULL) at its end: it read them all the same. */
typedef struct fq_case_row fq_case_row; /* case_rows.h */
typedef void (*fq_store_open_rows_cb)(void *user, const PGresult *const *directory,
                                      const fq_case_row *rows, size_t n);
void fq_store_on_open_rows(fq_store *store, fq_store_open_rows_cb on_open_rows);

/* The open incidents have been taken in: later directory loads skip them. */
void fq_store_skip_open_load(fq_store *store);

/* A warm standby (docs/operations.md, "A standby"). Set warm, the store
 * LISTENs for directory changes on each new connection before it claims the
 * serving lock, and while the lock is refused it still loads: the
 * directory, the routing state and the open incidents at first, as a
 * serving store would (read-only transactions; nothing is written without
 * the lock). While tracking (from fq_store_set_warm until fq_store_track
 * turns it off), each load also reads the point it is at — the event
 * chain's head in the same snapshot (FQ_SQL_STANDBY_POINT) — and, once the
 * open incidents are in, the incidents touched by events after the
 * previous point (FQ_SQL_STANDBY_TOUCHED: FQ_SQL_CASE_COLUMNS, then the
 * state). on_point hears of each: `touched` NULL for the load that read the
 * open incidents themselves; `fresh_directory` 1 when the same load read
 * the directory (its callback came first, with the same snapshot);
 * `guarded` 1 when the load was sent while this store held the serving
 * lock, so that nothing written by another server can be missing from it.
 * A load that fails is tried again a second later from the same point. */
typedef void (*fq_store_point_cb)(void *user, const PGresult *touched, int64_t point,
                                  int fresh_directory, int guarded);
void fq_store_set_warm(fq_store *store, fq_store_point_cb on_point);
void fq_store_track(fq_store *store, int on);
/* A load of what was touched since the point, as soon as the connection is
 * free (a standby's refresh, a take-over's catch-up); none while not
 * tracking or before the open incidents are in. */
void fq_store_catch_up(fq_store *store);
/* The event seq the last tracked load was at; -1 before one. */
int64_t fq_store_point(const fq_store *store);

/* How many open incidents the load streaming them expects (PostgreSQL's
 * statistics: FQ_SQL_OPEN_ESTIMATE), known before its first chunk; 0 when
 * unknown. A hint for sizing, never a count. */
size_t fq_store_open_expected(const fq_store *store);

const fq_store_stats *fq_store_get_stats(fq_store *store);

/* An integer column of a result row; 0 when NULL. */
int64_t fq_store_column_i64(const PGresult *res, int row, int col);

#endif
