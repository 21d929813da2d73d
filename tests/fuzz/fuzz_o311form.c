/* fuzz_o311form: an Open311 form body or query string through
 * fq_o311_form_parse (with the POST's fields, the widest list), and each
 * decoded value through the date-time and degrees parsers, as open311.c
 * uses them. Oracles beyond "no crash, no sanitizer report":
 *  - a refusal has a terminated, non-empty message;
 *  - an accepted form's values are valid UTF-8 without NUL, at most the
 *    bound long, and each field appears at most once in the input;
 *  - a value accepted as a list of ids, codes or statuses splits at its
 *    commas into items that each pass alone; an accepted Idempotency-Key is
 *    printable ASCII;
 *  - a parsed date-time prints back (UTC) to a date-time that parses to the
 *    same instant; parsed degrees are finite. */
#include "fuzz_check.h"
#include "o311form.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistr.h>

static const char *const FIELDS[] = {
    "api_key",         "jurisdiction_id", "service_code", "lat",         "long",
    "address_string",  "address_id",      "email",        "device_id",   "account_id",
    "first_name",      "last_name",       "phone",        "description", "media_url",
    "idempotency_key", "start_date",      "end_date",     "status",      NULL};

#define MAX_VALUE 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fq_o311_form form;
    char err[200];
    memset(err, 'x', sizeof err);
    if (fq_o311_form_parse((const char *)data, size, FIELDS, MAX_VALUE, &form, err, sizeof err) !=
        0) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0');
        FQ_FUZZ_CHECK(form.buffer == NULL);
        return 0;
    }
    for (size_t i = 0; FIELDS[i] != NULL; i++) {
        const char *v = form.values[i];
        if (v == NULL)
            continue;
        size_t n = strlen(v);
        FQ_FUZZ_CHECK(n <= MAX_VALUE);
        FQ_FUZZ_CHECK(u8_check((const uint8_t *)v, n) == NULL);
        int64_t ms;
        if (fq_o311_datetime_parse(v, &ms) == 0) {
            time_t secs = (time_t)(ms / 1000);
            struct tm tm;
            FQ_FUZZ_CHECK(gmtime_r(&secs, &tm) != NULL);
            char back[96];
            snprintf(back, sizeof back, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
            int64_t again;
            FQ_FUZZ_CHECK(fq_o311_datetime_parse(back, &again) == 0);
            FQ_FUZZ_CHECK(again == ms);
        }
        static const fq_o311_list_kind kinds[] = {FQ_O311_LIST_IDS, FQ_O311_LIST_CODES,
                                                  FQ_O311_LIST_STATUSES};
        for (size_t k = 0; k < 3; k++) {
            if (!fq_o311_list_ok(v, kinds[k], 8))
                continue;
            FQ_FUZZ_CHECK(v[0] != ',' && v[n - 1] != ',' && strstr(v, ",,") == NULL);
            char item[FQ_O311_ID_MAX + 1];
            for (const char *p = v;; p++) {
                size_t len = strcspn(p, ",");
                FQ_FUZZ_CHECK(len >= 1 && len <= FQ_O311_ID_MAX);
                memcpy(item, p, len);
                item[len] = '\0';
                FQ_FUZZ_CHECK(fq_o311_list_ok(item, kinds[k], 1));
                p += len;
                if (*p == '\0')
                    break;
            }
        }
        if (fq_o311_idempotency_key_ok(v))
            for (size_t c = 0; c < n; c++)
                FQ_FUZZ_CHECK(v[c] > 0x20 && v[c] < 0x7f);
        double deg;
        if (fq_o311_degrees_parse(v, &deg) == 0)
            FQ_FUZZ_CHECK(isfinite(deg));
    }
    fq_o311_form_free(&form);
    return 0;
}
