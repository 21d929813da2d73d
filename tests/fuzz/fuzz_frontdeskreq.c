/* fuzz_frontdeskreq: the body a receptionist's page sends to register a
 * case (docs/http-api.md, "The front desk") through fq_frontdeskreq_decode,
 * the decoder that faces the front desk's browsers. Oracles beyond "no
 * crash, no sanitizer report, no leak":
 *  - a refusal has a terminated, non-empty message;
 *  - an accepted body has a request_id of 1..64 of [A-Za-z0-9_-], a person
 *    with a name, a matter 1..5, a front-desk channel, a place, strings
 *    within their bounds;
 *  - the report carries only masked forms: no phone, the masked name, the
 *    masked identity number (the full number never appears in it);
 *  - a normalised phone is digits only, a normalised identity number 18
 *    characters; the masks keep their shapes;
 *  - the report packs and unpacks to the same. */
#include "frontdeskreq.h"
#include "fuzz_check.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fq_frontdesk_case c;
    char err[200];
    memset(err, 'x', sizeof err);
    if (fq_frontdeskreq_decode((const char *)data, size, &c, err, sizeof err) != 0) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    size_t n = strlen(c.request_id);
    FQ_FUZZ_CHECK(n >= 1 && n <= 64);
    for (size_t i = 0; i < n; i++)
        FQ_FUZZ_CHECK(isalnum((unsigned char)c.request_id[i]) || c.request_id[i] == '_' ||
                      c.request_id[i] == '-');
    const Fengqiao__V1__ReportIncident *r = &c.report;
    const fq_frontdesk_person *p = &c.person;
    FQ_FUZZ_CHECK(p->name_key[0] != '\0' && p->name_masked[0] != '\0');
    FQ_FUZZ_CHECK(r->matter >= 1 && r->matter <= 5);
    FQ_FUZZ_CHECK(r->channel == FENGQIAO__V1__CHANNEL__CHANNEL_WALK_IN ||
                  r->channel == FENGQIAO__V1__CHANNEL__CHANNEL_HOTLINE ||
                  r->channel == FENGQIAO__V1__CHANNEL__CHANNEL_PETITION);
    FQ_FUZZ_CHECK(r->place_unit[0] != '\0' || r->location == &c.location);
    FQ_FUZZ_CHECK(strlen(r->category) <= 64 && strlen(r->title) <= 800 &&
                  strlen(r->description) <= 16000 && strlen(r->address) <= 2000);
    FQ_FUZZ_CHECK(r->reporter_phone[0] == '\0');
    FQ_FUZZ_CHECK(strcmp(r->reporter_name, p->name_masked) == 0);
    FQ_FUZZ_CHECK(strcmp(r->reporter_id_number, p->id_masked) == 0);
    for (const char *d = p->phone; *d; d++)
        FQ_FUZZ_CHECK(isdigit((unsigned char)*d));
    FQ_FUZZ_CHECK(p->phone[0] == '\0' || (strlen(p->phone) >= 5 && strlen(p->phone) <= 20));
    FQ_FUZZ_CHECK((p->phone[0] == '\0') == (p->phone_masked[0] == '\0'));
    FQ_FUZZ_CHECK(p->id_number[0] == '\0' || strlen(p->id_number) == 18);
    FQ_FUZZ_CHECK(p->id_number[0] == '\0' ||
                  (strlen(p->id_masked) == 18 && memcmp(p->id_masked + 4, "**********", 10) == 0));
    FQ_FUZZ_CHECK(p->id_number[0] == '\0' || strstr(r->reporter_id_number, p->id_number) == NULL);
    Fengqiao__V1__ReportIncident *back = fq_fuzz_repack(&r->base);
    FQ_FUZZ_CHECK(strcmp(back->title, r->title) == 0 && back->matter == r->matter &&
                  strcmp(back->reporter_id_number, r->reporter_id_number) == 0);
    fengqiao__v1__report_incident__free_unpacked(back, NULL);
    return 0;
}
