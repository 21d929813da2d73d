/* chain: the SHA-256 hash chain of the event history (docs/history.md,
 * "The chain"). One place computes an event's hash from its columns and
 * its predecessor's hash — the server when it writes events (it owns the
 * chain: docs/write-path.md), fengqiao-admin verify and the offline verifier
 * when they check them; migration 0004's fq_event_hash() is the same
 * function in SQL, for tools that generate history. Pure. */
#ifndef FQ_CHAIN_H
#define FQ_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define FQ_CHAIN_HASH_BYTES 32

/* The hashed columns of one event. Strings and bytes need no NUL; a NULL
 * pointer is SQL NULL (actor: the server itself; payload: none), which
 * hashes differently from empty. `at_us`: microseconds since 1970-01-01
 * UTC. */
typedef struct fq_chain_event {
    int64_t seq, incident_id, at_us;
    const char *kind, *actor, *reason;
    size_t kind_len, actor_len, reason_len;
    const uint8_t *payload;
    size_t payload_len;
} fq_chain_event;

/* The chain before its first event: seq 0, 32 zero bytes. */
typedef struct fq_chain_head {
    int64_t seq;
    uint8_t hash[FQ_CHAIN_HASH_BYTES];
} fq_chain_head;

/* hash = SHA-256(prev || int8 seq || int8 incident_id || lp(kind) ||
 * lp(actor) || int8 at_us || lp(reason) || lp(payload)), big-endian. */
void fq_chain_hash(const uint8_t prev[FQ_CHAIN_HASH_BYTES], const fq_chain_event *e,
                   uint8_t out[FQ_CHAIN_HASH_BYTES]);

/* Appends `e` to the chain ending at `head`: its seq is head->seq + 1
 * (written into e->seq), prev_out (if not NULL) gets the head's hash,
 * hash_out the event's, and head moves onto it. */
void fq_chain_append(fq_chain_head *head, fq_chain_event *e, uint8_t prev_out[FQ_CHAIN_HASH_BYTES],
                     uint8_t hash_out[FQ_CHAIN_HASH_BYTES]);

#endif
