/* mediation: the state rules of a dispute's mediation (矛盾纠纷调解,
 * docs/mediation.md) and the record each step leaves for the store. Pure:
 * no I/O; the field checks of a step are validate.c's.
 *
 * A mediation is opened once on an open incident; sessions follow; it ends
 * once, in an agreement or a failure transferred on, and its end concludes
 * the incident. Nothing follows the end, not even after the incident is
 * reopened: a second mediation of the same dispute is a new report. */
#ifndef FQ_MEDIATION_H
#define FQ_MEDIATION_H

#include "fengqiao.pb-c.h"

#include <stddef.h>

typedef enum {
    FQ_MEDIATION_NONE = 0,  /* never opened */
    FQ_MEDIATION_OPEN = 1,  /* opened: sessions, then an end */
    FQ_MEDIATION_ENDED = 2, /* agreed or failed: final */
} fq_mediation_state;

/* "", "open", "ended": the store's words (mediation_cases.state). */
const char *fq_mediation_state_name(fq_mediation_state s);
/* The store's word back; an unknown word reads as ENDED (refuse rather than
 * act on a state this build does not know). */
fq_mediation_state fq_mediation_state_parse(const char *name);

/* Whether `kind` (a COMMAND_MEDIATION_*) may follow `cur`: 0 and the state
 * after it in *next, or -1 with a sentence in err. */
int fq_mediation_step(fq_mediation_state cur, Fengqiao__V1__CommandKind kind,
                      fq_mediation_state *next, char *err, size_t err_len);

/* The event kind of a step: mediation_opened, mediation_session,
 * mediation_agreed, mediation_failed; NULL for another command. */
const char *fq_mediation_event_kind(Fengqiao__V1__CommandKind kind);

/* court, arbitration, petition_office, other; "" otherwise. */
const char *fq_mediation_transfer_name(Fengqiao__V1__TransferTo to);

/* 法院, 仲裁机构, 信访部门, 其他部门: where it went, as a person reads it. */
const char *fq_mediation_transfer_label(Fengqiao__V1__TransferTo to);

/* The step as the store's JSON record (migration 0028 projects it into the
 * mediation tables): malloc'd, the caller frees it; NULL when out of memory.
 * The command is a validated one. */
char *fq_mediation_record(const Fengqiao__V1__ConsoleCommand *c);

#endif
