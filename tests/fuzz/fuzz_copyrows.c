/* fuzz_copyrows: the open incidents' binary COPY stream (copy_binary) and
 * the case decoder its rows go to (fq_case_row_decode_fields), as
 * open_copy.c drives them, on arbitrary bytes.
 *
 * Input: CopyData messages, each a 16-bit big-endian length and that many
 * bytes (a last message cut short takes what is left). Each message goes to
 * fq_copy_binary_message, then its tuples to fq_copy_binary_row; every
 * field must lie inside its message; each tuple's fields are copied with a
 * NUL after each (what open_copy.c does) and decoded as a case row, whose
 * text fields must then lie inside those copies. Stops at the first refusal,
 * as the loader does. */
#include "case_rows.h"
#include "copy_binary.h"
#include "fuzz_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS (FQ_CASE_ROW_COLUMNS + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const void *p, const void *lo, size_t n)
{
    const uint8_t *q = p, *b = lo;
    return q >= b && q <= b + n;
}

/* One tuple: its fields copied, each followed by a NUL, and decoded. */
static void decode_tuple(const fq_pgfield *fields, int nfields)
{
    size_t room = 1;
    for (int i = 0; i < nfields; i++)
        room += (fields[i].len > 0 ? (size_t)fields[i].len : 0) + 1;
    uint8_t *copy = malloc(room);
    FQ_FUZZ_CHECK(copy != NULL);
    fq_pgfield copied[MAX_FIELDS];
    size_t at = 0;
    for (int i = 0; i < nfields; i++) {
        copied[i].len = fields[i].len;
        copied[i].p = copy + at;
        if (fields[i].len > 0) {
            memcpy(copy + at, fields[i].p, (size_t)fields[i].len);
            at += (size_t)fields[i].len;
        }
        copy[at++] = '\0';
    }
    fq_case_row row;
    if (fq_case_row_decode_fields(copied, nfields, &row) == 0) {
        const char *texts[] = {row.category, row.place_unit, row.reporter_node, row.territory,
                               row.worker,   row.lead,       row.assignment,    row.mediation};
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            FQ_FUZZ_CHECK(texts[i] != NULL);
            /* "" for a NULL may be a literal; any other text is a copy's. */
            FQ_FUZZ_CHECK(texts[i][0] == '\0' || (inside(texts[i], copy, at) &&
                                                  inside(texts[i] + strlen(texts[i]), copy, at)));
        }
        FQ_FUZZ_CHECK(row.n_co >= 0 && row.n_co <= FQ_CASE_ROW_MAX_CO);
        for (int i = 0; i < row.n_co; i++)
            FQ_FUZZ_CHECK(memchr(row.co[i], '\0', sizeof row.co[i]) != NULL);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fq_copy_binary parser;
    fq_copy_binary_init(&parser);
    size_t at = 0;
    while (at + 2 <= size) {
        size_t len = ((size_t)data[at] << 8) | data[at + 1];
        at += 2;
        if (len > size - at)
            len = size - at;
        /* A copy of its own, so that a read past the message is ASan's. */
        uint8_t *msg = malloc(len ? len : 1);
        FQ_FUZZ_CHECK(msg != NULL);
        memcpy(msg, data + at, len);
        at += len;
        int got = fq_copy_binary_message(&parser, msg, len);
        fq_pgfield fields[MAX_FIELDS];
        int nfields = 0;
        while (got == 0 && (got = fq_copy_binary_row(&parser, fields, MAX_FIELDS, &nfields)) == 1) {
            FQ_FUZZ_CHECK(nfields >= 0 && nfields <= MAX_FIELDS);
            for (int i = 0; i < nfields; i++) {
                FQ_FUZZ_CHECK(fields[i].len >= -1);
                if (fields[i].len > 0)
                    FQ_FUZZ_CHECK(inside(fields[i].p, msg, len) &&
                                  inside(fields[i].p + fields[i].len, msg, len));
            }
            decode_tuple(fields, nfields);
            got = 0;
        }
        free(msg);
        if (got != 0)
            return 0; /* refused: the loader gives the load up here */
    }
    return 0;
}
