/* field: the field API under /api/v1/field/ (docs/http-api.md, "The field
 * API") — what a grid worker's or a unit duty officer's phone uses.
 *
 * A worker account acts as its terminal node 'p.<account>' (migration
 * 0025): the sync is the TerminalSync fq-terminal sends and the actions are
 * its AssignmentActions, each in an Envelope signed with the node's key and
 * handed to the terminal endpoint (fq_terminals_on_request) with a local
 * reply token — so presence, supersession of a held sync, at-least-once
 * delivery, the state machine and idempotency are the terminals' own. A
 * report from the field is a ReportIncident of that node through the
 * intake's very path (fq_intake_submit). The assignments and an incident's
 * page are read in PostgreSQL on the reads store, scoped to the account's
 * outbox. */
#ifndef FQ_FIELD_H
#define FQ_FIELD_H

#include "dispatch.h"
#include "intake.h"
#include "store.h"
#include "terminal.h"
#include "webreq.h"

#include <uv.h>

typedef struct fq_field fq_field;

/* `read_store` may be NULL (the writes store's reads serve then). NULL when
 * out of memory. */
fq_field *fq_field_new(uv_loop_t *loop, fq_terminals *terminals, fq_intake *intake,
                       fq_dispatch *dispatch, fq_store *read_store);
/* fq_api_part_fn: every /api/v1/field/ path (the HTTP layer has let only
 * worker accounts through). */
void fq_field_handle(void *field, fq_web_req *r);
/* After the loop has run out (requests in the store or a held sync hold
 * the field until they are answered). */
void fq_field_free(fq_field *field);

#endif
