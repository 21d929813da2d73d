/* fuzz_org_ids: fq_valid_id and the org tree on arbitrary strings.
 *
 * Input: lines separated by '\n'. In each line the first byte picks the kind
 * (byte % 6: 0 and 5 are invalid kinds), then "id" or "id<TAB>parent"; bytes
 * after a NUL are ignored (C strings). Every line goes to fq_valid_id
 * (checked against an independent reference) and fq_org_add; then
 * fq_org_finish, and on success the tree's shape and fq_org_within are
 * checked against a reference walk. */
#include "fuzz_check.h"
#include "org.h"
#include "validate.h"

#include <stdint.h>
#include <string.h>

#define MAX_LINES 256

static int ref_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fq_org *org = fq_org_new();
    FQ_FUZZ_CHECK(org != NULL);
    char err[128];
    size_t added = 0, at = 0;
    for (int line = 0; line < MAX_LINES && at < size; line++) {
        size_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        char buf[512];
        size_t len = end - at;
        if (len > sizeof buf - 1)
            len = sizeof buf - 1;
        memcpy(buf, data + at, len);
        buf[len] = '\0';
        at = end + 1;
        if (len == 0)
            continue;
        fq_unit_kind kind = (fq_unit_kind)((unsigned char)buf[0] % 6);
        char *id = buf + 1;
        char *parent = strchr(id, '\t');
        if (parent != NULL)
            *parent++ = '\0';
        else
            parent = id + strlen(id); /* "" */

        int valid = fq_valid_id(id);
        FQ_FUZZ_CHECK(valid == ref_valid_id(id));
        FQ_FUZZ_CHECK(fq_valid_id(parent) == ref_valid_id(parent));
        int32_t before = fq_org_find(org, id);
        err[0] = '\0';
        int rv = fq_org_add(org, id, kind, parent, id, err, sizeof err);
        if (rv == 0) {
            FQ_FUZZ_CHECK(valid && before == -1);
            FQ_FUZZ_CHECK(parent[0] == '\0' || ref_valid_id(parent));
            FQ_FUZZ_CHECK(kind >= FQ_UNIT_DISTRICT && kind <= FQ_UNIT_GRID);
            int32_t u = fq_org_find(org, id);
            FQ_FUZZ_CHECK(u == (int32_t)added);
            FQ_FUZZ_CHECK(strcmp(fq_org_id(org, u), id) == 0);
            FQ_FUZZ_CHECK(fq_org_kind(org, u) == kind);
            added++;
        } else {
            FQ_FUZZ_CHECK(rv == -1 && err[0] != '\0');
            FQ_FUZZ_CHECK(!valid || before >= 0 || (parent[0] != '\0' && !ref_valid_id(parent)) ||
                          kind < FQ_UNIT_DISTRICT || kind > FQ_UNIT_GRID);
        }
        FQ_FUZZ_CHECK(fq_org_count(org) == added);
    }

    if (fq_org_finish(org, err, sizeof err) == 0) {
        size_t n = fq_org_count(org);
        for (size_t i = 0; i < n; i++) {
            int32_t u = (int32_t)i;
            /* Parent chain: one tier up each step, ending at a district. */
            int depth = 0;
            int32_t root = u;
            while (fq_org_parent(org, root) >= 0) {
                int32_t p = fq_org_parent(org, root);
                FQ_FUZZ_CHECK(fq_org_kind(org, p) + 1 == fq_org_kind(org, root));
                root = p;
                FQ_FUZZ_CHECK(++depth <= 3);
            }
            FQ_FUZZ_CHECK(fq_org_kind(org, root) == FQ_UNIT_DISTRICT);
            FQ_FUZZ_CHECK(fq_org_within(org, u, root) && fq_org_within(org, u, u));
            for (size_t j = 0; j < n && j < 64; j++) {
                int32_t a = (int32_t)j;
                int expect = 0;
                for (int32_t w = u; w >= 0; w = fq_org_parent(org, w))
                    if (w == a)
                        expect = 1;
                FQ_FUZZ_CHECK(fq_org_within(org, u, a) == expect);
            }
            FQ_FUZZ_CHECK(!fq_org_within(org, u, -1) && !fq_org_within(org, -1, u));
        }
    } else {
        FQ_FUZZ_CHECK(err[0] != '\0');
    }
    fq_org_free(org);
    return 0;
}
