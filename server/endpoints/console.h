/* console: the reads of the district command console on the terminal
 * endpoint — open incidents most urgent first, one incident with its
 * timeline, units and workers with their load and duty, the meeting figures —
 * always inside the asking operator's jurisdiction (docs/console.md). The
 * console's feed is its jurisdiction's outbox (a TerminalSync); its commands
 * go the way of the terminals' actions (terminal.c). */
#ifndef FQ_CONSOLE_H
#define FQ_CONSOLE_H

#include "directory.h"
#include "dispatch.h"
#include "fengqiao.pb-c.h"
#include "msgsock.h"
#include "terminal.h"

/* Answers `query` of console node `node` later, after the read. */
void fq_console_query(fq_terminals *t, fq_dispatch *dispatch, const fq_node *node,
                      uint64_t message_id, const Fengqiao__V1__ConsoleQuery *query,
                      fq_reply_token *token);

#endif
