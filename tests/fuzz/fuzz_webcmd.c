/* fuzz_webcmd: the JSON body of a web console command (docs/http-api.md,
 * "Commands") through fq_webcmd_decode, the decoder that faces browsers.
 * Oracles beyond "no crash, no sanitizer report":
 *  - a refusal has a terminated, non-empty message;
 *  - an accepted command has a request_id of 1..64 of [A-Za-z0-9_-], a
 *    known kind, a non-empty reason of at most 8000 bytes, terminated ids of
 *    at most 64 bytes, at most 8 co-units, a satisfaction of 0..5;
 *  - its ConsoleCommand packs and unpacks to the same bytes (what the
 *    endpoint will read is what was decoded). */
#include "fuzz_check.h"
#include "pbjson.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_id(const char *s)
{
    FQ_FUZZ_CHECK(s != NULL);
    FQ_FUZZ_CHECK(strlen(s) <= 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fq_webcmd cmd;
    char err[200];
    memset(err, 'x', sizeof err);
    if (fq_webcmd_decode((const char *)data, size, &cmd, err, sizeof err) != 0) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    size_t n = strlen(cmd.request_id);
    FQ_FUZZ_CHECK(n >= 1 && n <= FQ_WEBCMD_REQUEST_ID_MAX);
    for (size_t i = 0; i < n; i++)
        FQ_FUZZ_CHECK(isalnum((unsigned char)cmd.request_id[i]) || cmd.request_id[i] == '_' ||
                      cmd.request_id[i] == '-');
    const Fengqiao__V1__ConsoleCommand *c = &cmd.command;
    FQ_FUZZ_CHECK(c->kind >= FENGQIAO__V1__COMMAND_KIND__COMMAND_ASSIGN &&
                  c->kind <= FENGQIAO__V1__COMMAND_KIND__COMMAND_MEDIATION_FAIL);
    FQ_FUZZ_CHECK(c->reason != NULL && c->reason[0] != '\0' && strlen(c->reason) <= 8000);
    check_id(c->target_unit);
    check_id(c->target_worker);
    FQ_FUZZ_CHECK(c->n_co_units <= FQ_WEBCMD_MAX_CO_UNITS);
    for (size_t i = 0; i < c->n_co_units; i++)
        check_id(c->co_units[i]);
    FQ_FUZZ_CHECK(c->satisfaction <= 5);
    FQ_FUZZ_CHECK(c->deadline_ms >= 0);
    Fengqiao__V1__ConsoleCommand *back = fq_fuzz_repack(&c->base);
    FQ_FUZZ_CHECK(back->kind == c->kind && back->n_co_units == c->n_co_units &&
                  strcmp(back->reason, c->reason) == 0);
    fengqiao__v1__console_command__free_unpacked(back, NULL);
    return 0;
}
