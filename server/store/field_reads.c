#include "field_reads.h"

#include "statements.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A read of `statement` with `nparams` text parameters from p. */
static void bind_read(fq_store_op *op, fq_field_read_params *p, const char *statement, int nparams)
{
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = FQ_STORE_OP_READ;
    op->statement = statement;
    op->result_format = 0;
    op->nparams = nparams;
    for (int i = 0; i < nparams; i++)
        op->values[i] = p->text[i];
}

void fq_field_assignments_bind(fq_store_op *op, fq_field_read_params *p, const char *worker,
                               const char *unit)
{
    snprintf(p->text[0], sizeof p->text[0], "%s", worker);
    snprintf(p->text[1], sizeof p->text[1], "%s", unit);
    bind_read(op, p, FQ_SQL_FIELD_ASSIGNMENTS_NAME, FQ_SQL_FIELD_ASSIGNMENTS_NPARAMS);
}

void fq_field_incident_bind(fq_store_op *op, fq_field_read_params *p, const char *box,
                            const char *unit, uint64_t incident_id)
{
    snprintf(p->text[0], sizeof p->text[0], "%s", box);
    snprintf(p->text[1], sizeof p->text[1], "%s", unit);
    snprintf(p->text[2], sizeof p->text[2], "%" PRIu64, incident_id);
    bind_read(op, p, FQ_SQL_FIELD_INCIDENT_NAME, FQ_SQL_FIELD_INCIDENT_NPARAMS);
}

void fq_field_event_attachments_bind(fq_store_op *op, fq_field_read_params *p, uint64_t incident_id,
                                     uint64_t event_seq)
{
    snprintf(p->text[0], sizeof p->text[0], "%" PRIu64, incident_id);
    snprintf(p->text[1], sizeof p->text[1], "%" PRIu64, event_seq);
    bind_read(op, p, FQ_SQL_FIELD_EVENT_ATTACHMENTS_NAME, FQ_SQL_FIELD_EVENT_ATTACHMENTS_NPARAMS);
}
