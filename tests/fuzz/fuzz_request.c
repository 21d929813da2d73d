/* fuzz_request: the server's request path up to the store, on arbitrary
 * frames, through the code that faces the network.
 *
 * fq_gate_check (server/endpoints/gate.c: decode into a bounded arena,
 * sender, MAC, schema, message id, freshness) against the fixture's directory,
 * and against no directory (a server still starting); for a frame that passes,
 * the endpoints' body checks: fq_validate_report and fq_policy_may_report for
 * every node, fq_validate_action, fq_validate_command.
 * Oracles beyond "no crash, no sanitizer report":
 *  - oversize frames are refused as INVALID and never decoded; a frame that
 *    does not decode hands out no envelope;
 *  - the gate's message is a terminated string, empty only when it passed;
 *    a pass names the node whose key verified the MAC, and the sender is
 *    that node;
 *  - an opened envelope re-encodes to its own length and fits the server's
 *    report pack buffer (FQ_MAX_FRAME_BYTES);
 *  - a report that opens and validates has no NUL inside any string field of
 *    the bytes as sent (what ENONCANON exists to guarantee);
 *  - the error message of a refused body is a terminated string;
 *  - an allowed place is a known unit inside the node's jurisdiction. */
#include "fuzz_check.h"
#include "fuzz_fixture.h"
#include "gate.h"
#include "validate.h"

#include <string.h>

/* Walks raw protobuf bytes: 1 when a length-delimited field whose number is
 * in `strings` holds a NUL, recursing into field `sub` with `sub_strings`.
 * Unparsable bytes count as "no NUL found" (protobuf-c decides those). */
static int raw_has_nul(const uint8_t *p, size_t n, const int *strings, int sub,
                       const int *sub_strings)
{
    size_t i = 0;
    while (i < n) {
        uint64_t tag = 0;
        int shift = 0;
        do {
            if (i >= n || shift > 63)
                return 0;
            tag |= (uint64_t)(p[i] & 0x7f) << shift;
            shift += 7;
        } while (p[i++] & 0x80);
        uint64_t field = tag >> 3;
        switch (tag & 7) {
        case 0:
            while (i < n && (p[i] & 0x80))
                i++;
            i++;
            break;
        case 1:
            i += 8;
            break;
        case 5:
            i += 4;
            break;
        case 2: {
            uint64_t len = 0;
            shift = 0;
            do {
                if (i >= n || shift > 63)
                    return 0;
                len |= (uint64_t)(p[i] & 0x7f) << shift;
                shift += 7;
            } while (p[i++] & 0x80);
            if (len > n - i)
                return 0;
            for (const int *s = strings; *s; s++)
                if ((uint64_t)*s == field && memchr(p + i, 0, (size_t)len) != NULL)
                    return 1;
            if (sub != 0 && (uint64_t)sub == field &&
                raw_has_nul(p + i, (size_t)len, sub_strings, 0, NULL))
                return 1;
            i += (size_t)len;
            break;
        }
        default:
            return 0;
        }
    }
    return 0;
}

static const int envelope_strings[] = {2, 0};
static const int report_strings[] = {1, 5, 7, 8, 9, 11, 12, 13, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fq_directory *dir;
    static uint8_t *arena_buffer;
    static uint8_t fixed_key[FQ_KEY_BYTES];
    if (dir == NULL) {
        dir = fx_directory();
        arena_buffer = malloc(FQ_DECODE_ARENA_BYTES);
        FQ_FUZZ_CHECK(dir != NULL && arena_buffer != NULL);
        fx_key(0, fixed_key);
    }
    fq_arena arena;
    /* A server whose directory is not loaded yet: BUSY once it decodes. */
    fq_arena_init(&arena, arena_buffer, FQ_DECODE_ARENA_BYTES);
    fq_gate g;
    fq_gate_check(data, size, &arena, NULL, FX_NOW_MS, FX_SKEW_MS, &g);
    FQ_FUZZ_CHECK(g.err == (g.decoded ? FQ_EUNAVAILABLE : FQ_EINVALID));
    FQ_FUZZ_CHECK(g.node == NULL);

    fq_arena_init(&arena, arena_buffer, FQ_DECODE_ARENA_BYTES);
    memset(&g, 'x', sizeof g);
    fq_gate_check(data, size, &arena, dir, FX_NOW_MS, FX_SKEW_MS, &g);
    FQ_FUZZ_CHECK(memchr(g.message, 0, sizeof g.message) != NULL);
    FQ_FUZZ_CHECK((g.err == FQ_OK) == (g.message[0] == '\0'));
    if (size > FQ_MAX_FRAME_BYTES)
        FQ_FUZZ_CHECK(!g.decoded);
    if (!g.decoded) {
        FQ_FUZZ_CHECK(g.err == FQ_EINVALID);
        FQ_FUZZ_CHECK(g.opened.envelope == NULL && g.node == NULL && g.message_id == 0);
        return 0;
    }
    const fq_opened_request o = g.opened;
    const Fengqiao__V1__Envelope *env = o.envelope;
    FQ_FUZZ_CHECK(env != NULL);
    FQ_FUZZ_CHECK(o.envelope_len <= size);
    FQ_FUZZ_CHECK(fengqiao__v1__envelope__get_packed_size(env) == o.envelope_len);
    FQ_FUZZ_CHECK(g.message_id == env->message_id);
    if (g.err != FQ_OK) {
        /* Refused after the MAC verified (schema, id, freshness): the node is
         * known; before it, it is not. */
        if (g.err == FQ_EUNAUTHENTICATED)
            FQ_FUZZ_CHECK(g.node == NULL);
        return 0;
    }
    /* Passed: the sender is a node of the directory whose key verifies the
     * exact envelope bytes, not revoked. */
    FQ_FUZZ_CHECK(g.node != NULL && !g.node->revoked);
    FQ_FUZZ_CHECK(g.node == fq_directory_find(dir, env->sender));
    FQ_FUZZ_CHECK(fq_wire_verify(g.node->key, o.envelope_bytes, o.envelope_len, o.mac, o.mac_len) ==
                  FQ_WIRE_OK);
    FQ_FUZZ_CHECK(fq_wire_verify(fixed_key, o.envelope_bytes, o.envelope_len, o.mac, o.mac_len) !=
                      FQ_WIRE_OK ||
                  strcmp(env->sender, fx_node_ids[0]) == 0);
    FQ_FUZZ_CHECK(env->message_id >= 1 && env->message_id <= FQ_MAX_MESSAGE_ID);
    FQ_FUZZ_CHECK(fq_check_fresh(env->sent_at_ms, FX_NOW_MS, FX_SKEW_MS) == 0);

    char err[256];
    memset(err, 'x', sizeof err);
    /* The terminal endpoint's bodies: their field checks, on anything. */
    if (env->body_case == FENGQIAO__V1__ENVELOPE__BODY_ASSIGNMENT_ACTION) {
        FQ_FUZZ_CHECK(env->assignment_action != NULL);
        if (fq_validate_action(env->assignment_action, FX_NOW_MS, err, sizeof err) != 0)
            FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
        else
            FQ_FUZZ_CHECK(env->assignment_action->incident_id > 0);
        return 0;
    }
    if (env->body_case == FENGQIAO__V1__ENVELOPE__BODY_CONSOLE_COMMAND) {
        const Fengqiao__V1__ConsoleCommand *c = env->console_command;
        FQ_FUZZ_CHECK(c != NULL);
        if (fq_validate_command(c, FX_NOW_MS, err, sizeof err) != 0) {
            FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
        } else {
            FQ_FUZZ_CHECK(c->incident_id > 0 && c->reason[0] != '\0');
            FQ_FUZZ_CHECK(c->n_co_units <= 8);
        }
        return 0;
    }
    if (env->body_case != FENGQIAO__V1__ENVELOPE__BODY_REPORT_INCIDENT)
        return 0;
    const Fengqiao__V1__ReportIncident *r = env->report_incident;
    FQ_FUZZ_CHECK(r != NULL);
    FQ_FUZZ_CHECK(fengqiao__v1__report_incident__get_packed_size(r) <= FQ_MAX_FRAME_BYTES);

    memset(err, 'x', sizeof err);
    if (fq_validate_report(r, FX_NOW_MS, FX_SKEW_MS, err, sizeof err) != 0) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
        return 0;
    }
    FQ_FUZZ_CHECK(
        !raw_has_nul(o.envelope_bytes, o.envelope_len, envelope_strings, 10, report_strings));

    const fq_org *org = fq_directory_org(dir);
    for (int i = 0; i < FX_NODES; i++) {
        const fq_node *n = fq_directory_find(dir, fx_node_ids[i]);
        FQ_FUZZ_CHECK(n != NULL);
        int32_t place = -2;
        int pv = fq_policy_may_report(dir, n, r->place_unit, &place);
        switch (pv) {
        case FQ_OK:
            FQ_FUZZ_CHECK(place >= 0 && (size_t)place < fq_org_count(org));
            FQ_FUZZ_CHECK(strcmp(fq_org_id(org, place), r->place_unit) == 0);
            FQ_FUZZ_CHECK(fq_org_within(org, place, n->jurisdiction));
            /* A console's place is checked for the front desk's cases,
             * which it registers only from inside the server. */
            FQ_FUZZ_CHECK(fq_policy_may_send_reports(n->role) ||
                          fq_policy_may_register_cases(n->role));
            break;
        case FQ_EOUTSIDE:
            FQ_FUZZ_CHECK(place >= 0);
            break;
        case FQ_EFORBIDDEN:
        case FQ_ENOTFOUND:
            FQ_FUZZ_CHECK(place == -1);
            break;
        default:
            FQ_FUZZ_CHECK(!"unknown policy result");
        }
    }
    return 0;
}
