/* fuzz_judgment: the normalisers of the reporter's fields as stored
 * (fq_jd_norm_phone, _name, _address: the bytes came from whoever reported)
 * and the judgment of incidents built from them.
 *
 * Input: up to 64 lines; each line is "phone<TAB>name<TAB>address" (missing
 * fields empty; bytes after a NUL ignored). Each field is normalised into a
 * buffer exactly as long as the value (the decoder's contract: a key is never
 * longer than its value), with properties checked: the key fits, is
 * NUL-terminated, never longer than the input, a phone's is digits only and
 * no key holds white space. The incidents, at points derived from the line
 * number, are then judged and the result's indices checked. */
#include "fuzz_check.h"
#include "judgment.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 64
#define FIELD 512

static void check_key(const char *in, const char *key, size_t len)
{
    FQ_FUZZ_CHECK(strlen(key) == len);
    FQ_FUZZ_CHECK(len <= strlen(in));
    for (size_t i = 0; i < len; i++)
        FQ_FUZZ_CHECK(key[i] != ' ' && key[i] != '\t' && key[i] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char fields[MAX_LINES][3][FIELD];
    static char keys[MAX_LINES][3][FIELD];
    fq_jd_incident in[MAX_LINES];
    size_t n = 0, at = 0;
    while (n < MAX_LINES && at < size) {
        int f = 0;
        size_t len = 0;
        memset(fields[n], 0, sizeof fields[n]);
        for (; at < size && data[at] != '\n'; at++) {
            if (data[at] == '\t' && f < 2) {
                f++;
                len = 0;
            } else if (len + 1 < FIELD && data[at] != '\0') {
                fields[n][f][len++] = (char)data[at];
            }
        }
        at++;
        size_t (*norm[3])(const char *, char *, size_t) = {fq_jd_norm_phone, fq_jd_norm_name,
                                                           fq_jd_norm_address};
        for (int k = 0; k < 3; k++) {
            size_t klen = norm[k](fields[n][k], keys[n][k], strlen(fields[n][k]) + 1);
            check_key(fields[n][k], keys[n][k], klen);
            if (k == 0)
                for (size_t i = 0; i < klen; i++)
                    FQ_FUZZ_CHECK(keys[n][0][i] >= '0' && keys[n][0][i] <= '9');
        }
        fq_jd_incident x = {.id = (int64_t)n + 1,
                            .at_ms = 1700000000000 - (int64_t)(n % 7) * 86400000,
                            .category = (n % 3) ? "a" : "b",
                            .town = (n % 2) ? "t1" : "t2",
                            .has_point = 1,
                            .lon = 113.35 + (double)(n % 5) * 0.001,
                            .lat = 22.70 + (double)(n % 4) * 0.001,
                            .phone = keys[n][0],
                            .person = keys[n][1],
                            .address = keys[n][2]};
        in[n++] = x;
    }
    fq_jd_params p;
    fq_jd_params_default(&p);
    p.hotspot_min = 2;
    p.repeat_min = 2;
    fq_jd_result r;
    FQ_FUZZ_CHECK(fq_judgment_run(in, n, &p, 1700000000001, &r) == 0);
    for (size_t h = 0; h < r.n_hotspots; h++) {
        FQ_FUZZ_CHECK(r.hotspots[h].centre < n && r.hotspots[h].n_members >= 2);
        for (size_t k = 0; k < r.hotspots[h].n_members; k++)
            FQ_FUZZ_CHECK(r.hotspots[h].members[k] < n);
    }
    for (size_t k = 0; k < r.n_repeats; k++)
        FQ_FUZZ_CHECK(r.repeats[k].n_members >= 2 && r.repeats[k].key[0] != '\0');
    fq_jd_result_free(&r);
    return 0;
}
