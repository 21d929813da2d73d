/* open_copy: the open incidents at start, read by a binary COPY on a
 * connection of its own that imports the directory load's snapshot
 * (docs/operations.md, "The open incidents at start").
 *
 * The store's connection runs in pipeline mode, where COPY is not allowed,
 * and a cursor makes PostgreSQL copy every row into the cursor's store
 * before sending it: about twice the backend's work of a COPY. So the load
 * exports its snapshot (pg_export_snapshot) and this loader, in a thread of
 * libuv's pool, connects to the same server, imports it (SET TRANSACTION
 * SNAPSHOT: exactly the rows the load's transaction sees, none missed or
 * seen twice against the directory and the heads read in it), and reads
 * FQ_SQL_OPEN_COPY's rows as they stream (PQgetCopyData), decoding them
 * (copy_binary.h, case_rows.h) into chunks handed to the loop. The loop
 * takes each chunk in while the thread decodes the next and PostgreSQL
 * sends more: transfer, decoding and taking in overlap. The domain state is
 * only ever touched by the loop (the callbacks run there). */
#ifndef FQ_OPEN_COPY_H
#define FQ_OPEN_COPY_H

#include "case_rows.h"

#include <stddef.h>
#include <uv.h>

typedef struct fq_open_copy fq_open_copy;

typedef struct fq_open_copy_callbacks {
    /* A chunk of decoded rows, in the loop; valid during the call. At
     * least once for a load that completes: its last chunk comes even
     * empty (n 0), so that no rows at all is taken in as such. */
    void (*on_rows)(void *user, const fq_case_row *rows, size_t n);
    /* The end, in the loop, after the last chunk: `ok` 1 when every row
     * came (`undecodable` of them could not be decoded: a schema this
     * server does not know); 0 with `why` when the load failed. */
    void (*on_done)(void *user, int ok, size_t undecodable, const char *why);
} fq_open_copy_callbacks;

/* Starts the loader: connects with `conninfo` (the store's, with `host` and
 * `port` where the store's connection went: the snapshot lives on that
 * server; either may be NULL), imports `snapshot` and runs `query` (a
 * COPY ... TO STDOUT (FORMAT binary) of FQ_SQL_CASE_COLUMNS). NULL when
 * out of memory or the thread could not be queued. */
fq_open_copy *fq_open_copy_start(uv_loop_t *loop, const char *conninfo, const char *host,
                                 const char *port, const char *snapshot, const char *query,
                                 const fq_open_copy_callbacks *callbacks, void *user);

/* Stops it (the COPY is cancelled): no callback comes after this; the
 * loader frees itself once its thread is done. */
void fq_open_copy_cancel(fq_open_copy *c);

#endif
