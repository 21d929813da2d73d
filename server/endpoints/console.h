/* console: the reads of the district command console on the terminal
 * endpoint — open incidents most urgent first, one incident with its
 * timeline, units and workers with their load and duty, the meeting figures —
 * always inside the asking operator's jurisdiction (docs/console.md). The
 * console's feed is its jurisdiction's outbox (a TerminalSync); its commands
 * go the way of the terminals' actions (terminal.c). */
#ifndef FQ_CONSOLE_H
#define FQ_CONSOLE_H

#include "endpoint_ctx.h"
#include "fengqiao.pb-c.h"

/* Answers `query` of console node `node` later, after the read, on the
 * endpoint whose context is `ctx` (an fq_endpoint_query_fn: the terminals'
 * socket takes it in fq_terminals_config.console_query). */
void fq_console_query(fq_endpoint_ctx *ctx, const fq_node *node, uint64_t message_id,
                      const Fengqiao__V1__ConsoleQuery *query, fq_reply_token *token);

#endif
