/* nodecall: one request of the web layer put through the terminal endpoint
 * as a node — the console's queries and commands (api.c) and the field
 * API's syncs and actions (field.c) alike. The envelope is sealed with the
 * node's key and handed to fq_terminals_on_request with a local reply
 * token, so the endpoint judges it exactly as one that came over nanomsg;
 * the sealed reply is opened with the same key.
 *
 * A caller embeds an fq_nodecall in its own request and says how to answer
 * and how to free it. Every way of failing on the way (out of memory, no
 * answer, an answer that does not open) is answered 503 here and the
 * request released; an opened reply goes to `answer`, which then owns the
 * request (it answers and releases it, or sends it again). */
#ifndef FQ_NODECALL_H
#define FQ_NODECALL_H

#include "fq_wire.h"
#include "fq_arena.h"
#include "terminal.h"
#include "webreq.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fq_nodecall fq_nodecall;

/* `reply` lives in the call's arena until its next reset. */
typedef void (*fq_nodecall_answer_fn)(fq_nodecall *c, const Fengqiao__V1__Reply *reply);
typedef void (*fq_nodecall_release_fn)(fq_nodecall *c);

struct fq_nodecall {
    fq_web_req *r;
    char node[72];   /* the sender */
    uint8_t key[32]; /* the node's key: zeroed by fq_nodecall_forget */
    fq_arena *arena; /* where the reply is decoded (reset first) */
    fq_terminals *terminals;
    fq_nodecall_answer_fn answer;
    fq_nodecall_release_fn release;
};

/* Sets the envelope's schema version, sender and time, seals it (with the
 * photos beside it, none when n_photos is 0) and sends it. The envelope and
 * the photos may go when this returns; the answer may come before. */
void fq_nodecall_send(fq_nodecall *c, Fengqiao__V1__Envelope *env,
                      const ProtobufCBinaryData *photos, size_t n_photos);
/* Zeroes the key: for a release function. */
void fq_nodecall_forget(fq_nodecall *c);

#endif
