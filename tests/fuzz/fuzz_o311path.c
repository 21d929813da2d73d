/* fuzz_o311path: a request path through fq_o311_path_parse, the first
 * decoder every Open311 request meets. Oracles beyond "no crash, no
 * sanitizer report":
 *  - a refusal has a terminated, non-empty message and is 404 or 400;
 *  - an accepted path names one of the four resources and a format, and
 *    its id is a service code (services/CODE) or a request id of 1-18
 *    digits (requests/ID), empty otherwise;
 *  - rebuilding the path from what was parsed gives the input back. */
#include "fuzz_check.h"
#include "o311form.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = malloc(size + 1);
    FQ_FUZZ_CHECK(path != NULL);
    memcpy(path, data, size);
    path[size] = '\0'; /* H2O's paths have no NUL: the string ends at the first */
    fq_o311_path p;
    char err[200];
    memset(err, 'x', sizeof err);
    int rc = fq_o311_path_parse(path, &p, err, sizeof err);
    if (rc != FQ_OK) {
        FQ_FUZZ_CHECK(rc == FQ_ENOTFOUND || rc == FQ_EINVALID);
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0');
        free(path);
        return 0;
    }
    FQ_FUZZ_CHECK(p.format == FQ_O311_JSON || p.format == FQ_O311_XML);
    const char *ext = p.format == FQ_O311_JSON ? "json" : "xml";
    char back[200];
    switch (p.resource) {
    case FQ_O311_SERVICES:
    case FQ_O311_REQUESTS:
        FQ_FUZZ_CHECK(p.id[0] == '\0');
        snprintf(back, sizeof back, FQ_O311_BASE "%s.%s",
                 p.resource == FQ_O311_SERVICES ? "services" : "requests", ext);
        break;
    case FQ_O311_SERVICE:
        FQ_FUZZ_CHECK(fq_o311_code_ok(p.id));
        snprintf(back, sizeof back, FQ_O311_BASE "services/%s.%s", p.id, ext);
        break;
    case FQ_O311_REQUEST: {
        size_t n = strlen(p.id);
        FQ_FUZZ_CHECK(n >= 1 && n <= 18 && strspn(p.id, "0123456789") == n && p.id[0] != '0');
        snprintf(back, sizeof back, FQ_O311_BASE "requests/%s.%s", p.id, ext);
        break;
    }
    default:
        FQ_FUZZ_CHECK(0);
    }
    FQ_FUZZ_CHECK(strcmp(back, path) == 0);
    free(path);
    return 0;
}
