/* fq_raw_peer: a hostile or unusual intake peer for the integration tests.
 *
 * It does what fq-report never does: sends hand-crafted frames (bad MAC,
 * unknown sender, stale sent_at, other schema versions, invalid fields,
 * non-canonical envelopes), replays captured frames byte for byte, talks
 * over the wrong socket types, sends oversize frames, random bytes and
 * floods, and prints what the server answered, one line per reply:
 *
 *   reply status=NAME signed=0|1 message_id=N incident=N duplicate=0|1 event_seq=N message=TEXT
 *   no_reply                     nothing came back before the timeout
 *   send_timeout                 the frame could not even be handed over
 *   bad_reply REASON             something came back that is not a valid reply
 *
 * `message=` is always last and runs to the end of the line. Exit status:
 * 0 when the exchange ran (whatever the server said), 1 on a local failure,
 * 2 on bad usage. Scripts assert on the output. */
#include "fq_arena.h"
#include "fq_wire.h"
#include "fqclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <nanomsg/nn.h>
#include <nanomsg/pair.h>
#include <nanomsg/pipeline.h>
#include <nanomsg/reqrep.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct opts {
    const char *url;
    int timeout_ms;
    const char *node;
    const char *key_file;
    int have_key;
    uint8_t key[FQ_KEY_BYTES];
} opts;

static unsigned char arena_buffer[FQ_DECODE_ARENA_BYTES];

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: fq_raw_peer --url URL [--timeout-ms N] [--node ID] [--key-file F | --random-key]\n"
        "                   COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  report [FIELDS] [--save FILE [--no-send]] [--bad-mac] [--no-mac] [--append-hex HEX]\n"
        "         send one hand-made request; FIELDS: --schema N --message-id N\n"
        "         --sent-at-ms N --sent-at-offset-ms N --no-body --category S --severity N\n"
        "         --risk N --channel N --place S --title S --title-hex HEX --external-ref S\n"
        "         --occurred-ms N --lon D --lat D --description S\n"
        "         --pad-to N: add an unknown envelope field so the frame is N bytes\n"
        "         --sync [--off-duty] [--after-seq N] [--wait-ms N]: a terminal_sync body\n"
        "         instead of the report (the reply line then has items= last_seq= superseded=)\n"
        "         --action KIND --incident N [--note S]: an assignment_action body (KIND\n"
        "         acknowledge, return, progress, extend, conclude, reply; the reply line has\n"
        "         state=)\n"
        "         --photo FILE: attach FILE (named truthfully: SHA-256, size, and the type its\n"
        "         first bytes say); after it --photo-type T names another type,\n"
        "         --photo-tamper changes a byte after the hash, --photo-ref-only sends its ref\n"
        "         without the bytes (to the report, or the action given)\n"
        "  replay FILE [--times N] [--parallel]   send the saved frame's exact bytes again\n"
        "  random [--count N] [--size N]          random bytes as frames (REQ)\n"
        "  oversize [--size N]                    a frame larger than 64 KiB (REQ)\n"
        "  wrong-socket push|pair|raw-req FILE    a saved valid frame over another socket type\n"
        "  flood [--count N]                      N garbage frames pipelined on a raw REQ\n"
        "  tcp-junk                               plain TCP bytes that are not SP at all\n"
        "  tcp-huge-length                        SP handshake, then a 2^63-byte length\n");
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0)
        return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int hex_decode(const char *hex, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return -1;
    uint8_t *buf = malloc(n / 2 + 1);
    size_t bin_len = 0;
    if (buf == NULL || sodium_hex2bin(buf, n / 2 + 1, hex, n, NULL, &bin_len, NULL) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = bin_len;
    return 0;
}

/* Prints one reply frame in the line format above. */
static void print_reply(const opts *o, const uint8_t *frame, size_t len)
{
    fq_arena arena;
    fq_arena_init(&arena, arena_buffer, sizeof arena_buffer);
    Fengqiao__V1__SignedReply *sr =
        fengqiao__v1__signed_reply__unpack(&arena.allocator, len, frame);
    if (sr == NULL) {
        printf("bad_reply frame does not decode (%zu bytes)\n", len);
        return;
    }
    Fengqiao__V1__Reply *r =
        fengqiao__v1__reply__unpack(&arena.allocator, sr->reply.len, sr->reply.data);
    if (r == NULL) {
        printf("bad_reply reply does not decode\n");
        return;
    }
    int is_signed = sr->mac.len != 0;
    if (is_signed) {
        if (!o->have_key) {
            printf("bad_reply signed but no key to verify it\n");
            return;
        }
        if (fq_wire_verify(o->key, sr->reply.data, sr->reply.len, sr->mac.data, sr->mac.len) !=
            FQ_WIRE_OK) {
            printf("bad_reply mac does not verify\n");
            return;
        }
    } else if (r->status == FENGQIAO__V1__STATUS__STATUS_OK) {
        printf("bad_reply unsigned ok\n");
        return;
    }
    if (r->result_case == FENGQIAO__V1__REPLY__RESULT_SYNC && r->sync != NULL) {
        printf("reply status=%s signed=%d message_id=%" PRIu64 " items=%zu last_seq=%" PRIu64
               " superseded=%d message=%s\n",
               fq_status_name(r->status), is_signed, r->message_id, r->sync->n_items,
               r->sync->last_seq, r->sync->superseded, r->message ? r->message : "");
        return;
    }
    uint64_t incident = 0, seq = 0;
    int dup = 0;
    const char *state = "";
    if (r->result_case == FENGQIAO__V1__REPLY__RESULT_INCIDENT && r->incident != NULL) {
        incident = r->incident->incident_id;
        dup = r->incident->duplicate;
        seq = r->incident->event_seq;
    }
    if (r->result_case == FENGQIAO__V1__REPLY__RESULT_ACTION && r->action != NULL) {
        incident = r->action->incident_id;
        seq = r->action->event_seq;
        state = r->action->state;
    }
    printf("reply status=%s signed=%d message_id=%" PRIu64 " incident=%" PRIu64
           " duplicate=%d event_seq=%" PRIu64 " retry_after_ms=%" PRIu32
           " error_code=%s state=%s message=%s\n",
           fq_status_name(r->status), is_signed, r->message_id, incident, dup, seq,
           r->retry_after_ms, r->error_code && r->error_code[0] ? r->error_code : "-",
           state[0] ? state : "-", r->message ? r->message : "");
}

/* A cooked REQ socket connected to the URL, with the resend pushed far out:
 * the tests want to see exactly the frames they send. */
static int req_socket(const opts *o)
{
    int s = nn_socket(AF_SP, NN_REQ);
    if (s < 0) {
        fprintf(stderr, "fq_raw_peer: nn_socket: %s\n", nn_strerror(nn_errno()));
        return -1;
    }
    int resend = 600000, recon = 100, maxsize = -1;
    nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RECONNECT_IVL, &recon, sizeof recon);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsize, sizeof maxsize);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &o->timeout_ms, sizeof o->timeout_ms);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &o->timeout_ms, sizeof o->timeout_ms);
    char err[256];
    if (fqc_connect_all(s, o->url, err, sizeof err) < 0) { /* a comma list: every server */
        fprintf(stderr, "fq_raw_peer: %s\n", err);
        nn_close(s);
        return -1;
    }
    return s;
}

/* Sends a frame and prints the reply (or its absence). 0, or -1 locally. */
static int exchange_on(const opts *o, int s, const uint8_t *frame, size_t len)
{
    if (nn_send(s, frame, len, 0) < 0) {
        if (nn_errno() == ETIMEDOUT || nn_errno() == EAGAIN) {
            printf("send_timeout\n");
            return 0;
        }
        fprintf(stderr, "fq_raw_peer: send: %s\n", nn_strerror(nn_errno()));
        return -1;
    }
    void *buf = NULL;
    int n = nn_recv(s, &buf, NN_MSG, 0);
    if (n < 0) {
        if (nn_errno() == ETIMEDOUT || nn_errno() == EAGAIN) {
            printf("no_reply\n");
            return 0;
        }
        fprintf(stderr, "fq_raw_peer: recv: %s\n", nn_strerror(nn_errno()));
        return -1;
    }
    print_reply(o, buf, (size_t)n);
    nn_freemsg(buf);
    return 0;
}

static int exchange(const opts *o, const uint8_t *frame, size_t len)
{
    int s = req_socket(o);
    if (s < 0)
        return -1;
    int rv = exchange_on(o, s, frame, len);
    nn_close(s);
    return rv;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "fq_raw_peer: cannot write %s\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    if (fqc_read_file(path, SIZE_MAX, data, len) != 0) {
        fprintf(stderr, "fq_raw_peer: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- report ---- */

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static int cmd_report(opts *o, int argc, char **argv)
{
    Fengqiao__V1__Envelope env = FENGQIAO__V1__ENVELOPE__INIT;
    Fengqiao__V1__ReportIncident rep = FENGQIAO__V1__REPORT_INCIDENT__INIT;
    Fengqiao__V1__GeoPoint point = FENGQIAO__V1__GEO_POINT__INIT;
    Fengqiao__V1__TerminalSync sync = FENGQIAO__V1__TERMINAL_SYNC__INIT;
    Fengqiao__V1__AssignmentAction act = FENGQIAO__V1__ASSIGNMENT_ACTION__INIT;
    enum { MAX_PHOTOS = 8 };
    Fengqiao__V1__AttachmentRef refs[MAX_PHOTOS];
    Fengqiao__V1__AttachmentRef *ref_ptrs[MAX_PHOTOS];
    uint8_t ref_sha[MAX_PHOTOS][32];
    ProtobufCBinaryData photos[MAX_PHOTOS];
    size_t n_refs = 0, n_photos = 0;
    int tamper[MAX_PHOTOS] = {0};
    memset(photos, 0, sizeof photos);
    env.schema_version = FQ_SCHEMA_VERSION;
    env.message_id = fqc_fresh_message_id();
    env.sent_at_ms = fq_now_ms();
    env.body_case = FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT;
    env.report_incident = &rep;
    rep.category = "dispute.neighbour";
    rep.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    rep.risk = FENGQIAO__V1__RISK__RISK_LOW;
    rep.channel = FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE;
    rep.place_unit = "lingyin";
    rep.title = "raw peer report";
    const char *save = NULL;
    long pad_to = 0;
    int bad_mac = 0, no_mac = 0, no_send = 0, have_lon = 0, have_lat = 0;
    uint8_t *append = NULL, *title_bytes = NULL;
    size_t append_len = 0, title_len = 0;
    int rv = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        uint64_t u;
        int takes = 1;
        if (strcmp(a, "--bad-mac") == 0) {
            bad_mac = 1;
            takes = 0;
        } else if (strcmp(a, "--no-mac") == 0) {
            no_mac = 1;
            takes = 0;
        } else if (strcmp(a, "--no-send") == 0) {
            no_send = 1;
            takes = 0;
        } else if (strcmp(a, "--sync") == 0) {
            env.body_case = FENGQIAO__V1__ENVELOPE__BODY_TERMINAL_SYNC;
            env.terminal_sync = &sync;
            takes = 0;
        } else if (strcmp(a, "--off-duty") == 0) {
            sync.off_duty = 1;
            takes = 0;
        } else if (strcmp(a, "--no-body") == 0) {
            env.body_case = FENGQIAO__V1__ENVELOPE__BODY__NOT_SET;
            env.report_incident = NULL;
            takes = 0;
        } else if (strcmp(a, "--photo-tamper") == 0 && n_photos > 0) {
            tamper[n_photos - 1] = 1;
            takes = 0;
        } else if (strcmp(a, "--photo-ref-only") == 0 && n_photos > 0 && n_photos == n_refs) {
            free(photos[--n_photos].data);
            photos[n_photos].data = NULL;
            takes = 0;
        } else if (v == NULL) {
            fprintf(stderr, "fq_raw_peer: %s needs a value\n", a);
            goto out;
        } else if (strcmp(a, "--save") == 0) {
            save = v;
        } else if (strcmp(a, "--action") == 0) {
            static const char *const kinds[] = {"",       "acknowledge", "return", "progress",
                                                "extend", "conclude",    "reply"};
            act.kind = 0;
            for (int k = 1; k < (int)(sizeof kinds / sizeof kinds[0]); k++)
                if (strcmp(v, kinds[k]) == 0)
                    act.kind = (Fengqiao__V1__ActionKind)k;
            if (act.kind == 0) {
                fprintf(stderr, "fq_raw_peer: unknown action %s\n", v);
                goto out;
            }
            env.body_case = FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION;
            env.assignment_action = &act;
        } else if (strcmp(a, "--incident") == 0 && parse_u64(v, &u) == 0) {
            act.incident_id = u;
        } else if (strcmp(a, "--note") == 0) {
            act.note = (char *)v;
        } else if (strcmp(a, "--photo") == 0 && n_refs < MAX_PHOTOS) {
            uint8_t *data = NULL;
            size_t len = 0;
            if (read_file(v, &data, &len) != 0)
                goto out;
            Fengqiao__V1__AttachmentRef *ref = &refs[n_refs];
            fengqiao__v1__attachment_ref__init(ref);
            crypto_hash_sha256(ref_sha[n_refs], data, len);
            ref->sha256.data = ref_sha[n_refs];
            ref->sha256.len = 32;
            ref->size = len;
            ref->content_type = len >= 2 && data[0] == 0xff && data[1] == 0xd8 ? "image/jpeg"
                                : len >= 1 && data[0] == 0x89                  ? "image/png"
                                                                               : "image/jpeg";
            const char *slash = strrchr(v, '/');
            ref->name = (char *)(slash ? slash + 1 : v);
            ref_ptrs[n_refs++] = ref;
            photos[n_photos].data = data;
            photos[n_photos++].len = len;
        } else if (strcmp(a, "--photo-type") == 0 && n_refs > 0) {
            refs[n_refs - 1].content_type = (char *)v;
        } else if (strcmp(a, "--schema") == 0 && parse_u64(v, &u) == 0) {
            env.schema_version = (uint32_t)u;
        } else if (strcmp(a, "--after-seq") == 0 && parse_u64(v, &u) == 0) {
            sync.after_seq = u;
        } else if (strcmp(a, "--wait-ms") == 0 && parse_u64(v, &u) == 0) {
            sync.wait_ms = (uint32_t)u;
        } else if (strcmp(a, "--message-id") == 0 && parse_u64(v, &u) == 0) {
            env.message_id = u;
        } else if (strcmp(a, "--sent-at-ms") == 0 && parse_i64(v, &n) == 0) {
            env.sent_at_ms = n;
        } else if (strcmp(a, "--sent-at-offset-ms") == 0 && parse_i64(v, &n) == 0) {
            env.sent_at_ms = fq_now_ms() + n;
        } else if (strcmp(a, "--category") == 0) {
            rep.category = (char *)v;
        } else if (strcmp(a, "--severity") == 0 && parse_i64(v, &n) == 0) {
            rep.severity = (Fengqiao__V1__Severity)n;
        } else if (strcmp(a, "--risk") == 0 && parse_i64(v, &n) == 0) {
            rep.risk = (Fengqiao__V1__Risk)n;
        } else if (strcmp(a, "--channel") == 0 && parse_i64(v, &n) == 0) {
            rep.channel = (Fengqiao__V1__Channel)n;
        } else if (strcmp(a, "--place") == 0) {
            rep.place_unit = (char *)v;
        } else if (strcmp(a, "--title") == 0) {
            rep.title = (char *)v;
        } else if (strcmp(a, "--title-hex") == 0) {
            free(title_bytes);
            if (hex_decode(v, &title_bytes, &title_len) != 0) {
                fprintf(stderr, "fq_raw_peer: bad hex for --title-hex\n");
                goto out;
            }
            title_bytes[title_len] = '\0';
            rep.title = (char *)title_bytes;
        } else if (strcmp(a, "--description") == 0) {
            rep.description = (char *)v;
        } else if (strcmp(a, "--external-ref") == 0) {
            rep.external_ref = (char *)v;
        } else if (strcmp(a, "--occurred-ms") == 0 && parse_i64(v, &n) == 0) {
            rep.occurred_at_ms = n;
        } else if (strcmp(a, "--lon") == 0) {
            point.lon = strtod(v, NULL);
            have_lon = 1;
        } else if (strcmp(a, "--lat") == 0) {
            point.lat = strtod(v, NULL);
            have_lat = 1;
        } else if (strcmp(a, "--pad-to") == 0 && parse_i64(v, &n) == 0 && n > 0 &&
                   n <= 4 * FQ_MAX_FRAME_BYTES) {
            pad_to = (long)n;
        } else if (strcmp(a, "--append-hex") == 0) {
            free(append);
            if (hex_decode(v, &append, &append_len) != 0) {
                fprintf(stderr, "fq_raw_peer: bad hex for --append-hex\n");
                goto out;
            }
        } else {
            fprintf(stderr, "fq_raw_peer: report: bad argument '%s'\n", a);
            goto out;
        }
        i += takes;
    }
    if (have_lon || have_lat)
        rep.location = &point;
    rep.attachments = ref_ptrs;
    rep.n_attachments = n_refs;
    act.attachments = ref_ptrs;
    act.n_attachments = n_refs;
    for (size_t k = 0; k < n_photos; k++)
        if (tamper[k] && photos[k].len > 0)
            photos[k].data[photos[k].len / 2] ^= 0x01;
    if (o->node == NULL || !o->have_key) {
        fprintf(stderr, "fq_raw_peer: report needs --node and a key\n");
        goto out;
    }
    env.sender = (char *)o->node;

    /* Serialise once, optionally append raw bytes (duplicate fields and the
     * like), MAC exactly those bytes, wrap. */
    rv = 1;
    if (pad_to > 0) {
        /* An unknown field (number 99, bytes) in the envelope makes the whole
         * frame exactly pad_to bytes: the server must keep and ignore it. */
        size_t base = fengqiao__v1__envelope__get_packed_size(&env) + append_len;
        /* Start a little below the answer and walk up: the varint lengths
         * make the size jump at some boundaries. */
        size_t pad = (size_t)pad_to > base + 64 ? (size_t)pad_to - base - 64 : 0;
        for (;; pad++) {
            size_t field = 2 + varint_len(pad) + pad; /* tag 99/bytes is 2 bytes */
            size_t inner = base + field;
            size_t frame = 1 + varint_len(inner) + inner + 2 + FQ_MAC_BYTES;
            if (frame == (size_t)pad_to)
                break;
            if (frame > (size_t)pad_to) {
                fprintf(stderr, "fq_raw_peer: cannot pad to exactly %ld bytes\n", pad_to);
                goto out;
            }
        }
        size_t plen = 2 + varint_len(pad) + pad;
        uint8_t *p = malloc(append_len + plen);
        if (p == NULL)
            goto out;
        if (append_len)
            memcpy(p, append, append_len);
        uint8_t *w = p + append_len;
        *w++ = 0x9a; /* (99 << 3) | 2 as a varint: 0x9a 0x06 */
        *w++ = 0x06;
        size_t x = pad;
        for (; x >= 0x80; x >>= 7)
            *w++ = (uint8_t)(x | 0x80);
        *w++ = (uint8_t)x;
        memset(w, 'p', pad);
        free(append);
        append = p;
        append_len += plen;
    }
    size_t env_len = fengqiao__v1__envelope__get_packed_size(&env);
    uint8_t *env_bytes = malloc(env_len + append_len + 1);
    if (env_bytes == NULL)
        goto out;
    fengqiao__v1__envelope__pack(&env, env_bytes);
    if (append_len)
        memcpy(env_bytes + env_len, append, append_len);
    env_len += append_len;
    uint8_t mac[FQ_MAC_BYTES];
    crypto_auth(mac, env_bytes, env_len, o->key);
    if (bad_mac)
        mac[0] ^= 0x01;
    Fengqiao__V1__SignedRequest sr = FENGQIAO__V1__SIGNED_REQUEST__INIT;
    sr.envelope.data = env_bytes;
    sr.envelope.len = env_len;
    sr.attachments = photos;
    sr.n_attachments = n_photos;
    if (!no_mac) {
        sr.mac.data = mac;
        sr.mac.len = sizeof mac;
    }
    size_t frame_len = fengqiao__v1__signed_request__get_packed_size(&sr);
    uint8_t *frame = malloc(frame_len ? frame_len : 1);
    if (frame == NULL) {
        free(env_bytes);
        goto out;
    }
    fengqiao__v1__signed_request__pack(&sr, frame);
    free(env_bytes);
    fprintf(stderr, "fq_raw_peer: message id %" PRIu64 ", frame %zu bytes\n", env.message_id,
            frame_len);
    rv = 0;
    if (save != NULL && write_file(save, frame, frame_len) != 0)
        rv = 1;
    if (rv == 0 && !no_send && exchange(o, frame, frame_len) != 0)
        rv = 1;
    free(frame);
out:
    free(append);
    free(title_bytes);
    for (size_t k = 0; k < n_photos; k++)
        free(photos[k].data);
    return rv;
}

/* ---- replay ---- */

static int cmd_replay(opts *o, int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[1];
    int times = 2, parallel = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--times") == 0 && i + 1 < argc)
            times = atoi(argv[++i]);
        else if (strcmp(argv[i], "--parallel") == 0)
            parallel = 1;
        else {
            fprintf(stderr, "fq_raw_peer: replay: bad argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (times < 1 || times > 64)
        return 2;
    uint8_t *frame;
    size_t len;
    if (read_file(path, &frame, &len) != 0)
        return 1;
    int rv = 0;
    if (!parallel) {
        /* One after the other on one socket: the second copy arrives after
         * the first was committed. */
        int s = req_socket(o);
        for (int i = 0; s >= 0 && i < times && rv == 0; i++)
            rv = exchange_on(o, s, frame, len);
        if (s < 0)
            rv = 1;
        else
            nn_close(s);
    } else {
        /* All copies at once on separate sockets: they meet in flight. */
        int socks[64];
        int n = 0;
        for (; n < times; n++) {
            socks[n] = req_socket(o);
            if (socks[n] < 0)
                break;
        }
        if (n < times)
            rv = 1;
        usleep(200000); /* let every socket connect, so the copies leave together */
        for (int i = 0; i < n && rv == 0; i++)
            if (nn_send(socks[i], frame, len, 0) < 0)
                rv = 1;
        for (int i = 0; i < n && rv == 0; i++) {
            void *buf = NULL;
            int got = nn_recv(socks[i], &buf, NN_MSG, 0);
            if (got < 0) {
                printf("no_reply\n");
                continue;
            }
            print_reply(o, buf, (size_t)got);
            nn_freemsg(buf);
        }
        for (int i = 0; i < n; i++)
            nn_close(socks[i]);
    }
    free(frame);
    return rv;
}

/* ---- random bytes, oversize ---- */

static int cmd_random(opts *o, int argc, char **argv)
{
    int count = 10, size = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = atoi(argv[++i]);
        else
            return 2;
    }
    if (count < 1 || size < 0 || size > FQ_MAX_FRAME_BYTES)
        return 2;
    int s = req_socket(o);
    if (s < 0)
        return 1;
    uint8_t *buf = malloc((size_t)size + 1);
    int rv = buf ? 0 : 1;
    for (int i = 0; i < count && rv == 0; i++) {
        /* Sizes vary from 0 up to `size`. */
        size_t n = (size_t)randombytes_uniform((uint32_t)size + 1);
        randombytes_buf(buf, n);
        rv = exchange_on(o, s, buf, n);
    }
    free(buf);
    nn_close(s);
    return rv;
}

static int cmd_oversize(opts *o, int argc, char **argv)
{
    int size = FQ_MAX_FRAME_BYTES + 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = atoi(argv[++i]);
        else
            return 2;
    }
    if (size < 1)
        return 2;
    uint8_t *buf = malloc((size_t)size);
    if (buf == NULL)
        return 1;
    randombytes_buf(buf, (size_t)size);
    int rv = exchange(o, buf, (size_t)size);
    free(buf);
    return rv;
}

/* ---- wrong socket types ---- */

static int cmd_wrong_socket(opts *o, int argc, char **argv)
{
    if (argc != 3) {
        usage(stderr);
        return 2;
    }
    int domain = AF_SP, protocol;
    if (strcmp(argv[1], "push") == 0)
        protocol = NN_PUSH;
    else if (strcmp(argv[1], "pair") == 0)
        protocol = NN_PAIR;
    else if (strcmp(argv[1], "raw-req") == 0) {
        domain = AF_SP_RAW;
        protocol = NN_REQ;
    } else {
        fprintf(stderr, "fq_raw_peer: wrong-socket push|pair|raw-req\n");
        return 2;
    }
    uint8_t *frame;
    size_t len;
    if (read_file(argv[2], &frame, &len) != 0)
        return 1;
    int s = nn_socket(domain, protocol);
    if (s < 0) {
        free(frame);
        return 1;
    }
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &o->timeout_ms, sizeof o->timeout_ms);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &o->timeout_ms, sizeof o->timeout_ms);
    if (nn_connect(s, o->url) < 0) {
        free(frame);
        nn_close(s);
        return 1;
    }
    usleep(200000);
    /* A raw REQ sends the body as is: no request id header in front. */
    int rv = 0;
    if (nn_send(s, frame, len, 0) < 0) {
        printf("send_timeout\n");
    } else if (protocol == NN_PUSH) {
        printf("sent\n"); /* a PUSH cannot receive */
    } else {
        void *buf = NULL;
        int n = nn_recv(s, &buf, NN_MSG, 0);
        if (n < 0) {
            printf("no_reply\n");
        } else {
            print_reply(o, buf, (size_t)n);
            nn_freemsg(buf);
        }
    }
    free(frame);
    nn_close(s);
    return rv;
}

/* ---- flood ---- */

static int cmd_flood(opts *o, int argc, char **argv)
{
    int count = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else
            return 2;
    }
    if (count < 1)
        return 2;
    /* A raw REQ pipelines: each message carries its own 4-byte request id
     * (top bit set) in front of the garbage body, as a cooked REQ would. */
    int s = nn_socket(AF_SP_RAW, NN_REQ);
    if (s < 0)
        return 1;
    int rcvtimeo = 200, sndtimeo = o->timeout_ms, bufsz = 4 << 20;
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDBUF, &bufsz, sizeof bufsz);
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVBUF, &bufsz, sizeof bufsz);
    if (nn_connect(s, o->url) < 0) {
        nn_close(s);
        return 1;
    }
    usleep(200000);
    /* Garbage can by chance decode as a SignedRequest with an empty envelope:
     * that is refused too (unauthenticated), never ok, never signed. */
    int sent = 0, replies = 0, invalid_unsigned = 0, refused_unsigned = 0, other = 0;
    uint8_t msg[4 + 512];
    int64_t start = mono_ms();
    int64_t deadline = start + o->timeout_ms;
    fq_arena arena;
    fq_arena_init(&arena, arena_buffer, sizeof arena_buffer);
    while ((sent < count || replies < sent) && mono_ms() < deadline) {
        if (sent < count) {
            uint32_t id = 0x80000000u | (uint32_t)sent;
            msg[0] = (uint8_t)(id >> 24);
            msg[1] = (uint8_t)(id >> 16);
            msg[2] = (uint8_t)(id >> 8);
            msg[3] = (uint8_t)id;
            size_t n = 1 + randombytes_uniform(512);
            randombytes_buf(msg + 4, n);
            if (nn_send(s, msg, 4 + n, NN_DONTWAIT) >= 0) {
                sent++;
                continue;
            }
        }
        void *buf = NULL;
        int n = nn_recv(s, &buf, NN_MSG, sent < count ? NN_DONTWAIT : 0);
        if (n < 0)
            continue;
        replies++;
        fq_arena_reset(&arena);
        Fengqiao__V1__SignedReply *sr =
            fengqiao__v1__signed_reply__unpack(&arena.allocator, (size_t)n, buf);
        Fengqiao__V1__Reply *r =
            sr ? fengqiao__v1__reply__unpack(&arena.allocator, sr->reply.len, sr->reply.data)
               : NULL;
        if (r != NULL && sr->mac.len == 0 && r->status == FENGQIAO__V1__STATUS__STATUS_INVALID)
            invalid_unsigned++;
        else if (r != NULL && sr->mac.len == 0 && r->status != FENGQIAO__V1__STATUS__STATUS_OK)
            refused_unsigned++;
        else
            other++;
        nn_freemsg(buf);
    }
    printf("flood sent=%d replies=%d invalid_unsigned=%d refused_unsigned=%d other=%d ms=%" PRId64
           "\n",
           sent, replies, invalid_unsigned, refused_unsigned, other, mono_ms() - start);
    nn_close(s);
    return 0;
}

/* ---- plain TCP ---- */

static int tcp_connect(const opts *o)
{
    const char *p = strncmp(o->url, "tcp://", 6) == 0 ? o->url + 6 : NULL;
    const char *colon = p ? strrchr(p, ':') : NULL;
    if (colon == NULL) {
        fprintf(stderr, "fq_raw_peer: tcp commands need a tcp://HOST:PORT url\n");
        return -1;
    }
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "fq_raw_peer: bad host %s\n", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "fq_raw_peer: tcp connect failed: %s\n", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {o->timeout_ms / 1000, (o->timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads until the peer closes or the timeout; prints what happened. */
static void tcp_report(int fd)
{
    uint8_t buf[256];
    size_t total = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            total += (size_t)n;
            continue;
        }
        if (n == 0)
            printf("closed_by_server after %zu bytes\n", total);
        else
            printf("still_open after %zu bytes\n", total);
        return;
    }
}

static int cmd_tcp_junk(opts *o)
{
    int fd = tcp_connect(o);
    if (fd < 0)
        return 1;
    static const char junk[] = "GET / HTTP/1.1\r\nHost: fengqiao\r\n\r\n";
    if (send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL) < 0)
        printf("send_failed\n");
    else
        tcp_report(fd);
    close(fd);
    return 0;
}

static int cmd_tcp_huge_length(opts *o)
{
    int fd = tcp_connect(o);
    if (fd < 0)
        return 1;
    /* SP over TCP: "\0SP\0", protocol id 0x0030 (REQ), two reserved zero
     * bytes; then a message header claiming 2^63 - 1 bytes. */
    static const uint8_t hello[] = {0x00, 'S',  'P',  0x00, 0x00, 0x30, 0x00, 0x00,
                                    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0x80, 0x00, 0x00, 0x01, 0x0a, 0x00};
    if (send(fd, hello, sizeof hello, MSG_NOSIGNAL) < 0)
        printf("send_failed\n");
    else
        tcp_report(fd);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    opts o = {0};
    o.url = getenv("FQ_INTAKE");
    o.timeout_ms = 5000;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--random-key") == 0) {
            randombytes_buf(o.key, sizeof o.key);
            o.have_key = 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--url") == 0)
            o.url = v;
        else if (strcmp(a, "--timeout-ms") == 0)
            o.timeout_ms = atoi(v);
        else if (strcmp(a, "--node") == 0)
            o.node = v;
        else if (strcmp(a, "--key-file") == 0) {
            char key_err[512];
            if (fqc_load_key_file(v, o.key, key_err, sizeof key_err) != 0) {
                fprintf(stderr, "fq_raw_peer: %s\n", key_err);
                return 2;
            }
            o.have_key = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc || o.url == NULL || o.timeout_ms < 1) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    int rv;
    if (strcmp(cmd, "report") == 0)
        rv = cmd_report(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "replay") == 0)
        rv = cmd_replay(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "random") == 0)
        rv = cmd_random(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "oversize") == 0)
        rv = cmd_oversize(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "wrong-socket") == 0)
        rv = cmd_wrong_socket(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "flood") == 0)
        rv = cmd_flood(&o, sub_argc, sub_argv);
    else if (strcmp(cmd, "tcp-junk") == 0)
        rv = cmd_tcp_junk(&o);
    else if (strcmp(cmd, "tcp-huge-length") == 0)
        rv = cmd_tcp_huge_length(&o);
    else {
        usage(stderr);
        rv = 2;
    }
    nn_term();
    return rv;
}
