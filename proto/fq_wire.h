/* fq_wire: the framing and authentication shared by the server and every
 * client. A request travels as SignedRequest{envelope bytes, mac}; a reply as
 * SignedReply{reply bytes, mac}. The MAC is HMAC-SHA-512-256 (libsodium
 * crypto_auth) over the inner bytes exactly as they travel, never over a
 * re-serialisation. See docs/protocol.md. */
#ifndef FQ_WIRE_H
#define FQ_WIRE_H

#include "fengqiao.pb-c.h"
#include "fq_arena.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_SCHEMA_VERSION 1
#define FQ_KEY_BYTES 32
#define FQ_MAC_BYTES 32
/* Largest frame any endpoint accepts (NN_RCVMAXSIZE on the server). */
#define FQ_MAX_FRAME_BYTES (64 * 1024)
/* Arena that decoding one frame of FQ_MAX_FRAME_BYTES can never outgrow.
 * The worst case is a frame of two-byte unknown fields: protobuf-c keeps
 * each as a 24-byte record plus its data, and grows the record array by
 * doubling (the arena does not reuse freed blocks). Measured: 52 arena bytes
 * per wire byte for such a frame; 64 leaves a margin. */
#define FQ_DECODE_ARENA_BYTES (64 * FQ_MAX_FRAME_BYTES)
/* Largest frame made inside the server (the web API's requests with photos,
 * put through an endpoint with a local reply token): the photos travel
 * beside the envelope, which itself stays within FQ_MAX_FRAME_BYTES. Frames
 * from the network never pass FQ_MAX_FRAME_BYTES (NN_RCVMAXSIZE). */
#define FQ_MAX_UPLOAD_FRAME_BYTES (10 * 1024 * 1024)
/* Arena that decoding an upload frame needs: the envelope as above, plus the
 * photos' bytes, which protobuf-c copies into it. */
#define FQ_DECODE_UPLOAD_ARENA_BYTES                                                               \
    (FQ_DECODE_ARENA_BYTES + FQ_MAX_UPLOAD_FRAME_BYTES + FQ_MAX_FRAME_BYTES)
/* Highest message id: ids are stored as PostgreSQL bigint. */
#define FQ_MAX_MESSAGE_ID INT64_MAX

enum {
    FQ_WIRE_OK = 0,
    FQ_WIRE_EFRAME = -1,    /* outer frame does not decode */
    FQ_WIRE_EENVELOPE = -2, /* inner envelope does not decode */
    FQ_WIRE_ENONCANON = -3, /* decodes, but not to the same bytes (embedded NUL, padding) */
    FQ_WIRE_EMAC = -4,      /* MAC missing or wrong */
    FQ_WIRE_ETOOBIG = -5,   /* frame larger than FQ_MAX_FRAME_BYTES */
    FQ_WIRE_ENOMEM = -6,    /* out of memory while encoding */
};

const char *fq_wire_strerror(int code);

typedef struct fq_opened_request {
    Fengqiao__V1__Envelope *envelope; /* in the caller's arena */
    const uint8_t *envelope_bytes;    /* the MACed bytes, in the arena */
    size_t envelope_len;
    const uint8_t *mac;
    size_t mac_len;
    /* SignedRequest.attachments: the photos beside the envelope, in the
     * order of its refs (evidence.h checks them), in the arena. */
    const ProtobufCBinaryData *attachments;
    size_t n_attachments;
} fq_opened_request;

/* Decodes a SignedRequest and its Envelope into `arena`. Does not check the
 * MAC (the key depends on envelope->sender): call fq_wire_verify next. */
int fq_wire_open_request(const uint8_t *frame, size_t len, fq_arena *arena, fq_opened_request *out);
/* The same for a frame of at most `max_frame` bytes (FQ_MAX_FRAME_BYTES from
 * the network, FQ_MAX_UPLOAD_FRAME_BYTES made inside the server); the
 * envelope alone still at most FQ_MAX_FRAME_BYTES (FQ_WIRE_ETOOBIG). */
int fq_wire_open_request_sized(const uint8_t *frame, size_t len, size_t max_frame, fq_arena *arena,
                               fq_opened_request *out);

/* 0 when `mac` is the HMAC-SHA-512-256 of `bytes` under `key`, else FQ_WIRE_EMAC.
 * Constant time in the MAC. */
int fq_wire_verify(const uint8_t key[FQ_KEY_BYTES], const uint8_t *bytes, size_t len,
                   const uint8_t *mac, size_t mac_len);

/* Serialises `envelope`, MACs it and wraps it. *frame is malloc'ed; the
 * caller frees it. */
int fq_wire_seal_request(const uint8_t key[FQ_KEY_BYTES], const Fengqiao__V1__Envelope *envelope,
                         uint8_t **frame, size_t *frame_len);

/* The same with photos beside the envelope (SignedRequest.attachments, in
 * the order of the envelope's AttachmentRefs). The MAC covers the envelope
 * only: its refs name each photo's SHA-256, so the MAC covers the photos too
 * (the receiver checks the bytes against the refs: evidence.h). A frame over
 * FQ_MAX_FRAME_BYTES goes only to an endpoint inside the server. */
int fq_wire_seal_request_attached(const uint8_t key[FQ_KEY_BYTES],
                                  const Fengqiao__V1__Envelope *envelope,
                                  const ProtobufCBinaryData *photos, size_t n_photos,
                                  uint8_t **frame, size_t *frame_len);

/* Serialises `reply` into a SignedReply, MACed with `key` when it is not NULL.
 * *frame is malloc'ed; the caller frees it. */
int fq_wire_seal_reply(const uint8_t *key, const Fengqiao__V1__Reply *reply, uint8_t **frame,
                       size_t *frame_len);

/* Decodes a SignedReply into `arena`. With a MAC it must verify under `key`
 * (*authenticated = 1). Without one it is accepted only when it is an error
 * (the server could not tell who asked), *authenticated = 0. */
int fq_wire_open_reply(const uint8_t key[FQ_KEY_BYTES], const uint8_t *frame, size_t len,
                       fq_arena *arena, Fengqiao__V1__Reply **reply, int *authenticated);

/* Wall-clock time, Unix epoch milliseconds. */
int64_t fq_now_ms(void);

/* Names for statuses, severities, risks and channels (for logs and CLIs). */
const char *fq_status_name(Fengqiao__V1__Status status);

#endif
