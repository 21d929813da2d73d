/* fuzz_outboxseqs: the outbox items a write statement says it wrote
 * (FQ_SQL_OUTBOX_SEQS: a binary record[] of (seq int8, box text, event_seq
 * int8) that PostgreSQL sends), decoded against a statement's items by
 * fq_outbox_written_decode (outbox.h), on arbitrary bytes.
 *
 * Input: the column's bytes, decoded against a set of three items — a
 * worker's box "w:a", a unit's "h:b.c" and the town feed "u:t" — as the
 * store decodes every write statement's row.
 *
 * Oracles beyond "no crash, no sanitizer report" (each byte is read from a
 * copy of exactly the input's size, so a read past it is ASan's):
 *  - decoded (0): at most as many items as the set has, each an index of
 *    the set, none twice, every seq positive and no seq or event seq above
 *    INT64_MAX (PostgreSQL's bigint);
 *  - refused (-1): nothing decoded (n 0). */
#include "fuzz_check.h"
#include "outbox.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fq_outbox_set set;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        fq_outbox_init(&set);
        Fengqiao__V1__OutboxItem it;
        fengqiao__v1__outbox_item__init(&it);
        FQ_FUZZ_CHECK(
            fq_outbox_add(&set, "w:a", FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT, &it, 1) == 0);
        FQ_FUZZ_CHECK(fq_outbox_add(&set, "h:b.c", FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &it, 1) ==
                      0);
        FQ_FUZZ_CHECK(fq_outbox_add_feed(&set, FQ_FEED_TOWN, "u:t", &it, 1) == 0);
        ready = 1;
    }
    uint8_t *copy = malloc(size ? size : 1);
    FQ_FUZZ_CHECK(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    fq_outbox_written w;
    memset(&w, 0xa5, sizeof w);
    int got = fq_outbox_written_decode(&set, size ? copy : NULL, size, &w);
    free(copy);
    FQ_FUZZ_CHECK(got == 0 || got == -1);
    if (got != 0) {
        FQ_FUZZ_CHECK(w.n == 0);
        return 0;
    }
    FQ_FUZZ_CHECK(w.n >= 0 && w.n <= set.n);
    for (int k = 0; k < w.n; k++) {
        FQ_FUZZ_CHECK(w.index[k] < set.n);
        FQ_FUZZ_CHECK(w.seq[k] > 0 && w.seq[k] <= (uint64_t)INT64_MAX);
        FQ_FUZZ_CHECK(w.event_seq[k] <= (uint64_t)INT64_MAX);
        for (int j = 0; j < k; j++)
            FQ_FUZZ_CHECK(w.index[j] != w.index[k]);
    }
    return 0;
}
