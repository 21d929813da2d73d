/* evidence_audit: what `fengqiao-admin verify` checks of the photos stored
 * as evidence (migration 0026, docs/history.md "Evidence"): every row's
 * bytes hash to its sha256; that sha256 is named by a ref in the recorded
 * envelope of its event (which the hash chain covers), of the same incident;
 * and every photo an envelope names is stored. */
#ifndef FQ_EVIDENCE_AUDIT_H
#define FQ_EVIDENCE_AUDIT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct fq_evidence_audit fq_evidence_audit;

fq_evidence_audit *fq_evidence_audit_new(void);
void fq_evidence_audit_free(fq_evidence_audit *a);

/* During the chain walk, for each event with an actor and a payload (the
 * envelope a node signed): notes how many photos it names. 0, or -1 when out
 * of memory. */
int fq_evidence_audit_event(fq_evidence_audit *a, int64_t seq, const uint8_t *payload, size_t len);

/* After the walk, inside the same snapshot: reads the rows of the events
 * first_seq..last_seq (through a cursor, a few rows at a time: photos are
 * large) and checks them against what the walk noted. Prints a `BROKEN:`
 * line per fault (at most `max_lines`, then how many more) and a summary
 * line to `out`. 0 intact, 1 broken, -1 the database could not be read
 * (printed). */
int fq_evidence_audit_rows(fq_evidence_audit *a, PGconn *conn, int64_t first_seq, int64_t last_seq,
                           FILE *out, int max_lines);

#endif
