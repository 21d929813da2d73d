/* command: what a worker asks fq-terminal to do, from a typed line (`watch`
 * in line mode) or from flags (one-shot commands), and the
 * AssignmentAction it becomes. Pure; no I/O. */
#ifndef FQ_TERMINAL_COMMAND_H
#define FQ_TERMINAL_COMMAND_H

#include "fengqiao.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define FQT_LINE_MAX 8192

typedef enum fqt_cmd {
    FQT_CMD_NONE = 0, /* an empty line */
    FQT_CMD_ACK,
    FQT_CMD_RETURN,
    FQT_CMD_PROGRESS,
    FQT_CMD_EXTEND,
    FQT_CMD_CONCLUDE,
    FQT_CMD_REPLY, /* the reply to a supervision order (督办回复) */
    FQT_CMD_LIST,
    FQT_CMD_HELP,
    FQT_CMD_QUIT,
    FQT_CMD_RETRY, /* resend the last action that got no answer, same message id */
} fqt_cmd;

typedef struct fqt_action {
    fqt_cmd cmd;
    uint64_t incident_id;
    int reason; /* Fengqiao__V1__ReturnReason, with RETURN */
    char note[FQT_LINE_MAX];
    char right_place[72]; /* with RETURN wrong: the right unit, optional */
    int64_t extend_to_ms; /* with EXTEND: an absolute new limit, or */
    int64_t extend_by_ms; /* with EXTEND: the current limit plus this (+2d) */
} fqt_action;

/* The new limit of an extension: a duration (+2h, +3d) counts from the
 * current conclude limit (which the server knows: extend_by_ms), an ISO
 * 8601 time is the limit itself (extend_to_ms; without a zone, the
 * district's, utc_offset_s east of UTC). 0, or -1 with a message. */
int fqt_parse_extension(const char *text, int32_t utc_offset_s, fqt_action *a, char *err,
                        size_t err_len);

/* "ack", "return", "progress", "extend", "conclude", … */
const char *fqt_cmd_name(fqt_cmd cmd);

/* An incident id: decimal, 1 .. 2^63-1. 0 or -1. */
int fqt_parse_id(const char *text, uint64_t *id);

/* "wrong" (also "wrong_jurisdiction", "jurisdiction") or "capacity" (also
 * "beyond_capacity"): a Fengqiao__V1__ReturnReason; 0 when neither. */
int fqt_parse_reason(const char *text);

/* An org unit id: [a-z0-9][a-z0-9._-]{0,63}. */
int fqt_valid_unit(const char *text);

/* Parses a typed line:
 *   ack ID | return ID wrong|capacity NOTE [--to UNIT] | progress ID NOTE |
 *   extend ID DURATION|ISO NOTE | conclude ID NOTE | reply ID NOTE | list | help | quit |
 *   retry
 * A NOTE is the rest of the line (one pair of surrounding quotes is
 * dropped). 0 (cmd NONE for a blank line), or -1 with a message. */
int fqt_parse_line(const char *line, int64_t now_ms, int32_t utc_offset_s, fqt_action *out,
                   char *err, size_t err_len);

/* Checks what the server would refuse anyway (a note where one is needed,
 * a reason, a limit in the future), so the worker hears it at once. 0 or
 * -1 with a message. */
int fqt_action_check(const fqt_action *a, int64_t now_ms, char *err, size_t err_len);

/* The request body; its strings point into `a`. */
void fqt_action_body(const fqt_action *a, Fengqiao__V1__AssignmentAction *body);

/* The help text of the typed commands. */
const char *fqt_line_help(void);

#endif
