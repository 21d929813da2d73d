/* mediation_reads: the mediation's reads of the web console (docs/mediation.md,
 * docs/http-api.md "Mediation"), on the reads store (a reveal on the writes store):
 *
 *   GET /api/v1/mediation/cases?state=open|ended   the worklist
 *   GET /api/v1/mediation/cases/ID                 an incident's mediation
 *   GET /api/v1/mediation/cases/ID?reveal=1        the same, phones whole, audited
 *   GET /api/v1/mediation/stats?from_ms&to_ms&by=town|committee|mediator
 *   GET /api/v1/mediation/directory                the committees and mediators
 *
 * Each inside the account's jurisdiction: an incident outside it is 403, as
 * everywhere. The parties' phones are masked on every read; ?reveal=1 shows
 * them whole to operators and supervisors and writes who looked, when and
 * from where into mediation_reveals (append-only) in the same statement. The steps
 * themselves are commands (POST /api/v1/incidents/ID/commands). */
#ifndef FQ_WEB_MEDIATION_READS_H
#define FQ_WEB_MEDIATION_READS_H

#include "store.h"
#include "webreq.h"

typedef struct fq_mediation_reads fq_mediation_reads;

/* NULL when out of memory. */
/* `store`: the writes store, for a reveal's audit row; `read_store`: the
 * rest. */
fq_mediation_reads *fq_mediation_reads_new(fq_store *store, fq_store *read_store);
/* fq_api_part_fn: GET /api/v1/mediation/... */
void fq_mediation_reads_handle(void *reads, fq_web_req *r);
void fq_mediation_reads_free(fq_mediation_reads *m);

#endif
