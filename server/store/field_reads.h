/* field_reads: the one place the field API's reads (sql/field_*.sql) are
 * bound on a store op. Each answers one row of one column, a JSON document
 * the field API (web/field.c) hands on as it is. */
#ifndef FQ_FIELD_READS_H
#define FQ_FIELD_READS_H

#include "store.h"

#include <stdint.h>

/* A read's parameters as text: kept by the caller beside its op until the
 * op is done. */
typedef struct fq_field_read_params {
    char text[3][80];
} fq_field_read_params;

/* FQ_SQL_FIELD_ASSIGNMENTS on op (kind, statement, parameters; `done` is
 * the caller's): what `worker` holds, or `unit` ('' for the one the account
 * does not serve). */
void fq_field_assignments_bind(fq_store_op *op, fq_field_read_params *p, const char *worker,
                               const char *unit);

/* FQ_SQL_FIELD_INCIDENT on op: incident `incident_id` if an item of it is
 * in `box`, as the account serving `unit` ('' none) sees it. */
void fq_field_incident_bind(fq_store_op *op, fq_field_read_params *p, const char *box,
                            const char *unit, uint64_t incident_id);

/* FQ_SQL_FIELD_EVENT_ATTACHMENTS on op: the photos stored with the event
 * `event_seq` of `incident_id`. */
void fq_field_event_attachments_bind(fq_store_op *op, fq_field_read_params *p, uint64_t incident_id,
                                     uint64_t event_seq);

#endif
