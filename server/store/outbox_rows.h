/* outbox_rows: an outbox item as FQ_SQL_READ_OUTBOX reads it. The body
 * holds what the event's statement knew; the row's columns add what the
 * body leaves to the table (seq, kind, incident, time, the event's seq) and
 * what only the incident holds (title, address and the rest for items of a
 * change; the report's external ref and reporting node for every item, so
 * that the server keeps no copy of them per open incident). Shared by the
 * terminal endpoint and the web console's live feed. */
#ifndef FQ_OUTBOX_ROWS_H
#define FQ_OUTBOX_ROWS_H

#include "fengqiao.pb-c.h"

#include <libpq-fe.h>

/* Row `row` of `res` (FQ_SQL_READ_OUTBOX; column 1 not NULL): the unpacked
 * body (free with fengqiao__v1__outbox_item__free_unpacked), and in `out` a
 * shallow copy of it completed from the row — its strings point into the
 * body and `res`, its location into `point`. NULL when the body does not
 * unpack (or out of memory). */
Fengqiao__V1__OutboxItem *fq_outbox_row_item(const PGresult *res, int row,
                                             Fengqiao__V1__OutboxItem *out,
                                             Fengqiao__V1__GeoPoint *point);

#endif
