/* catchup: what a warm standby does with one incident it re-reads because
 * events touched it after its point (docs/operations.md, "A standby";
 * dispatch.c, fq_dispatch_catch_up). The incident is taken in anew as the
 * load at start would take it: a case held for it leaves, and if it is
 * still open (stored state 'assigned') the row becomes its case. The
 * workers' loads follow the cases unless the routing state was read in the
 * same snapshot as the rows, which counted them already. Pure. */
#ifndef FQ_CATCHUP_H
#define FQ_CATCHUP_H

typedef enum {
    FQ_CATCH_UP_NONE,     /* neither held nor open: a report merged, closed unseen */
    FQ_CATCH_UP_ADDED,    /* open, not held: new since the point */
    FQ_CATCH_UP_REPLACED, /* open and held: changed */
    FQ_CATCH_UP_REMOVED,  /* held, no longer open: concluded, merged */
} fq_catch_up_outcome;

typedef struct fq_catch_up_step {
    int drop;           /* the case held for it leaves (deadlines, duplicate entry) */
    int release_worker; /* ... and its worker's load is released */
    int take_in;        /* the row becomes its case */
    int count_worker;   /* ... and that case's worker's load counts it */
    fq_catch_up_outcome outcome;
} fq_catch_up_step;

/* `held`: a case is held for the incident; `open`: its stored state is
 * 'assigned'; `fresh_directory`: the routing state in use was read in the
 * same snapshot as the row. */
fq_catch_up_step fq_catch_up_step_for(int held, int open, int fresh_directory);

#endif
