/* gate: the checks every endpoint makes before it looks at a request's body
 * — the frame decodes (in the caller's bounded arena), the sender is known
 * and not revoked and its MAC verifies over the exact envelope bytes, the
 * schema version is ours, the message id is in range and sent_at is within
 * the accepted clock skew. Pure but for the clock passed in. */
#ifndef FQ_GATE_H
#define FQ_GATE_H

#include "directory.h"
#include "fq_wire.h"
#include "fqerr.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_gate {
    int err; /* FQ_OK: passed; else why not (fqerr.h) */
    char message[256];
    fq_opened_request opened; /* set when the frame decoded */
    int decoded;
    const fq_node *node;        /* set when authenticated: replies are signed with its key */
    uint64_t message_id;        /* the request's id as sent (0 if it did not decode) */
    const char *claimed_sender; /* the request's word, for the audit; NULL if none */
} fq_gate;

/* `dir` NULL (nothing loaded yet) gives FQ_EUNAVAILABLE (answered BUSY). */
void fq_gate_check(const uint8_t *frame, size_t len, fq_arena *arena, const fq_directory *dir,
                   int64_t now_ms, int64_t max_skew_ms, fq_gate *out);
/* The same for a frame of at most `max_frame` bytes: FQ_MAX_UPLOAD_FRAME_BYTES
 * for a frame made inside the server (photos beside the envelope), whose
 * arena must then be FQ_DECODE_UPLOAD_ARENA_BYTES. */
void fq_gate_check_sized(const uint8_t *frame, size_t len, size_t max_frame, fq_arena *arena,
                         const fq_directory *dir, int64_t now_ms, int64_t max_skew_ms,
                         fq_gate *out);

#endif
