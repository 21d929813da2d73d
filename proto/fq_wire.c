#include "fq_wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(FQ_KEY_BYTES == crypto_auth_KEYBYTES, "key size is crypto_auth's");
_Static_assert(FQ_MAC_BYTES == crypto_auth_BYTES, "MAC size is crypto_auth's");

const char *fq_wire_strerror(int code)
{
    switch (code) {
    case FQ_WIRE_OK:
        return "ok";
    case FQ_WIRE_EFRAME:
        return "frame is not a valid SignedRequest/SignedReply";
    case FQ_WIRE_EENVELOPE:
        return "envelope is not a valid fengqiao.v1 message";
    case FQ_WIRE_ENONCANON:
        return "envelope does not re-encode to its own bytes (a string holds a NUL byte, a "
               "field is negative where it cannot be, or the encoding is not canonical)";
    case FQ_WIRE_EMAC:
        return "MAC missing or does not verify";
    case FQ_WIRE_ETOOBIG:
        return "frame larger than 65536 bytes (or, made inside the server, than 10 MiB; an "
               "envelope alone at most 65536 bytes)";
    case FQ_WIRE_ENOMEM:
        return "out of memory";
    }
    return "unknown wire error";
}

/* protobuf-c re-encodes a negative int32 or enum as ten bytes; a peer may
 * send it in five. Such a field would let the length check below be fooled
 * (five bytes gained hide five dropped after a NUL), and no field of ours is
 * legitimately negative, so refuse any. Walks the message through its
 * descriptor (the schema is not recursive: the depth is bounded). */
static int has_negative_int32(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *field = (const char *)m + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t active = *(const uint32_t *)((const char *)m + f->quantifier_offset);
            if (active != f->id)
                continue;
        }
        size_t count = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)((const char *)m + f->quantifier_offset);
            field = *(const char *const *)field;
        }
        for (size_t k = 0; k < count; k++) {
            switch (f->type) {
            case PROTOBUF_C_TYPE_INT32:
            case PROTOBUF_C_TYPE_ENUM:
                if (((const int32_t *)field)[k] < 0)
                    return 1;
                break;
            case PROTOBUF_C_TYPE_MESSAGE: {
                const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)field)[k];
                if (sub != NULL && has_negative_int32(sub))
                    return 1;
                break;
            }
            default:
                break;
            }
        }
    }
    return 0;
}

int fq_wire_open_request(const uint8_t *frame, size_t len, fq_arena *arena, fq_opened_request *out)
{
    return fq_wire_open_request_sized(frame, len, FQ_MAX_FRAME_BYTES, arena, out);
}

int fq_wire_open_request_sized(const uint8_t *frame, size_t len, size_t max_frame, fq_arena *arena,
                               fq_opened_request *out)
{
    memset(out, 0, sizeof *out);
    if (len > max_frame)
        return FQ_WIRE_ETOOBIG;
    Fengqiao__V1__SignedRequest *signed_request =
        fengqiao__v1__signed_request__unpack(&arena->allocator, len, frame);
    if (signed_request == NULL)
        return FQ_WIRE_EFRAME;
    const uint8_t *bytes = signed_request->envelope.data;
    size_t bytes_len = signed_request->envelope.len;
    /* The arena's bound (FQ_DECODE_ARENA_BYTES) holds for an envelope of at
     * most a network frame, whatever the frame carries beside it. */
    if (bytes_len > FQ_MAX_FRAME_BYTES)
        return FQ_WIRE_ETOOBIG;
    Fengqiao__V1__Envelope *envelope =
        fengqiao__v1__envelope__unpack(&arena->allocator, bytes_len, bytes);
    if (envelope == NULL)
        return FQ_WIRE_EENVELOPE;
    /* protobuf-c hands strings over NUL-terminated and drops their length:
     * "abc\0def" would silently become "abc". Such a string, like any
     * non-canonical encoding, makes the message re-encode shorter. */
    if (has_negative_int32(&envelope->base) ||
        fengqiao__v1__envelope__get_packed_size(envelope) != bytes_len)
        return FQ_WIRE_ENONCANON;
    out->envelope = envelope;
    out->envelope_bytes = bytes;
    out->envelope_len = bytes_len;
    out->mac = signed_request->mac.data;
    out->mac_len = signed_request->mac.len;
    out->attachments = signed_request->attachments;
    out->n_attachments = signed_request->n_attachments;
    return FQ_WIRE_OK;
}

int fq_wire_verify(const uint8_t key[FQ_KEY_BYTES], const uint8_t *bytes, size_t len,
                   const uint8_t *mac, size_t mac_len)
{
    if (mac == NULL || mac_len != FQ_MAC_BYTES)
        return FQ_WIRE_EMAC;
    return crypto_auth_verify(mac, bytes, len, key) == 0 ? FQ_WIRE_OK : FQ_WIRE_EMAC;
}

/* Wraps already-serialised inner bytes with their MAC into an outer frame. */
static int seal(const uint8_t *key, uint8_t *inner, size_t inner_len, int is_reply,
                const ProtobufCBinaryData *photos, size_t n_photos, uint8_t **frame,
                size_t *frame_len)
{
    uint8_t mac[FQ_MAC_BYTES];
    ProtobufCBinaryData inner_bin = {inner_len, inner};
    ProtobufCBinaryData mac_bin = {0, NULL};
    if (key != NULL) {
        crypto_auth(mac, inner, inner_len, key);
        mac_bin.len = sizeof mac;
        mac_bin.data = mac;
    }
    size_t size;
    Fengqiao__V1__SignedRequest request = FENGQIAO__V1__SIGNED_REQUEST__INIT;
    Fengqiao__V1__SignedReply reply = FENGQIAO__V1__SIGNED_REPLY__INIT;
    if (is_reply) {
        reply.reply = inner_bin;
        reply.mac = mac_bin;
        size = fengqiao__v1__signed_reply__get_packed_size(&reply);
    } else {
        request.envelope = inner_bin;
        request.mac = mac_bin;
        request.attachments = (ProtobufCBinaryData *)photos;
        request.n_attachments = n_photos;
        size = fengqiao__v1__signed_request__get_packed_size(&request);
    }
    uint8_t *out = malloc(size ? size : 1);
    if (out == NULL)
        return FQ_WIRE_ENOMEM;
    if (is_reply)
        fengqiao__v1__signed_reply__pack(&reply, out);
    else
        fengqiao__v1__signed_request__pack(&request, out);
    *frame = out;
    *frame_len = size;
    return FQ_WIRE_OK;
}

int fq_wire_seal_request(const uint8_t key[FQ_KEY_BYTES], const Fengqiao__V1__Envelope *envelope,
                         uint8_t **frame, size_t *frame_len)
{
    return fq_wire_seal_request_attached(key, envelope, NULL, 0, frame, frame_len);
}

int fq_wire_seal_request_attached(const uint8_t key[FQ_KEY_BYTES],
                                  const Fengqiao__V1__Envelope *envelope,
                                  const ProtobufCBinaryData *photos, size_t n_photos,
                                  uint8_t **frame, size_t *frame_len)
{
    size_t inner_len = fengqiao__v1__envelope__get_packed_size(envelope);
    uint8_t *inner = malloc(inner_len ? inner_len : 1);
    if (inner == NULL)
        return FQ_WIRE_ENOMEM;
    fengqiao__v1__envelope__pack(envelope, inner);
    int rv = seal(key, inner, inner_len, 0, photos, n_photos, frame, frame_len);
    free(inner);
    return rv;
}

int fq_wire_seal_reply(const uint8_t *key, const Fengqiao__V1__Reply *reply, uint8_t **frame,
                       size_t *frame_len)
{
    size_t inner_len = fengqiao__v1__reply__get_packed_size(reply);
    uint8_t *inner = malloc(inner_len ? inner_len : 1);
    if (inner == NULL)
        return FQ_WIRE_ENOMEM;
    fengqiao__v1__reply__pack(reply, inner);
    int rv = seal(key, inner, inner_len, 1, NULL, 0, frame, frame_len);
    free(inner);
    return rv;
}

int fq_wire_open_reply(const uint8_t key[FQ_KEY_BYTES], const uint8_t *frame, size_t len,
                       fq_arena *arena, Fengqiao__V1__Reply **reply_out, int *authenticated)
{
    *reply_out = NULL;
    *authenticated = 0;
    if (len > FQ_MAX_FRAME_BYTES)
        return FQ_WIRE_ETOOBIG;
    Fengqiao__V1__SignedReply *signed_reply =
        fengqiao__v1__signed_reply__unpack(&arena->allocator, len, frame);
    if (signed_reply == NULL)
        return FQ_WIRE_EFRAME;
    Fengqiao__V1__Reply *reply = fengqiao__v1__reply__unpack(
        &arena->allocator, signed_reply->reply.len, signed_reply->reply.data);
    if (reply == NULL)
        return FQ_WIRE_EENVELOPE;
    if (signed_reply->mac.len != 0) {
        int rv = fq_wire_verify(key, signed_reply->reply.data, signed_reply->reply.len,
                                signed_reply->mac.data, signed_reply->mac.len);
        if (rv != FQ_WIRE_OK)
            return rv;
        *authenticated = 1;
    } else if (reply->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        /* An unsigned "ok" could be forged by anyone on the path. */
        return FQ_WIRE_EMAC;
    }
    *reply_out = reply;
    return FQ_WIRE_OK;
}

int64_t fq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *fq_status_name(Fengqiao__V1__Status status)
{
    switch (status) {
    case FENGQIAO__V1__STATUS__STATUS_OK:
        return "ok";
    case FENGQIAO__V1__STATUS__STATUS_INVALID:
        return "invalid";
    case FENGQIAO__V1__STATUS__STATUS_UNAUTHENTICATED:
        return "unauthenticated";
    case FENGQIAO__V1__STATUS__STATUS_FORBIDDEN:
        return "forbidden";
    case FENGQIAO__V1__STATUS__STATUS_BUSY:
        return "busy";
    case FENGQIAO__V1__STATUS__STATUS_UNSUPPORTED:
        return "unsupported";
    case FENGQIAO__V1__STATUS__STATUS_INTERNAL:
        return "internal";
    case FENGQIAO__V1__STATUS__STATUS_STALE:
        return "stale";
    case FENGQIAO__V1__STATUS__STATUS_CONFLICT:
        return "conflict";
    case FENGQIAO__V1__STATUS__STATUS_WRONG_STATE:
        return "wrong_state";
    default:
        return "unspecified";
    }
}
