#include "attachment_rows.h"

#include <stdlib.h>
#include <string.h>

/* Element type OIDs (pg_type.h). */
#define OID_BYTEA 17
#define OID_INT4 23
#define OID_TEXT 25

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

/* array_recv's input: ndim, has-nulls flag, element type, then per
 * dimension its length and lower bound (1), then each element as a 4-byte
 * length and its bytes. */
static uint8_t *put_header(uint8_t *p, uint32_t oid, size_t n)
{
    p = put_u32(p, 1);
    p = put_u32(p, 0);
    p = put_u32(p, oid);
    p = put_u32(p, (uint32_t)n);
    return put_u32(p, 1);
}

#define HEADER_BYTES 20

static uint8_t *put_element(uint8_t *p, const void *bytes, size_t len)
{
    p = put_u32(p, (uint32_t)len);
    memcpy(p, bytes, len);
    return p + len;
}

int fq_attachment_rows_build(fq_attachment_rows *rows, const fq_evidence *ev)
{
    memset(rows, 0, sizeof *rows);
    if (ev->n == 0)
        return 0;
    size_t size = FQ_ATTACHMENT_NPARAMS * HEADER_BYTES;
    for (size_t i = 0; i < ev->n; i++) {
        const fq_evidence_photo *ph = &ev->photos[i];
        size += FQ_ATTACHMENT_NPARAMS * 4 + FQ_EVIDENCE_SHA256_BYTES + strlen(ph->content_type) +
                4 + 4 + strlen(ph->name) + ph->len;
    }
    uint8_t *buf = malloc(size);
    if (buf == NULL)
        return -1;
    uint8_t *p = buf;
    for (int k = 0; k < FQ_ATTACHMENT_NPARAMS; k++) {
        static const uint32_t oids[FQ_ATTACHMENT_NPARAMS] = {OID_BYTEA, OID_TEXT, OID_INT4,
                                                             OID_INT4,  OID_TEXT, OID_BYTEA};
        rows->offset[k] = (size_t)(p - buf);
        p = put_header(p, oids[k], ev->n);
        for (size_t i = 0; i < ev->n; i++) {
            const fq_evidence_photo *ph = &ev->photos[i];
            uint8_t side[4];
            switch (k) {
            case 0:
                p = put_element(p, ph->sha256, FQ_EVIDENCE_SHA256_BYTES);
                break;
            case 1:
                p = put_element(p, ph->content_type, strlen(ph->content_type));
                break;
            case 2:
            case 3:
                put_u32(side, k == 2 ? ph->width : ph->height);
                p = put_element(p, side, sizeof side);
                break;
            case 4:
                p = put_element(p, ph->name, strlen(ph->name));
                break;
            default:
                p = put_element(p, ph->bytes, ph->len);
                break;
            }
        }
        rows->length[k] = (size_t)(p - buf) - rows->offset[k];
    }
    rows->buffer = buf;
    rows->size = (size_t)(p - buf);
    return 0;
}

void fq_attachment_rows_bind(const fq_attachment_rows *rows, fq_store_op *op, int first)
{
    for (int k = 0; k < FQ_ATTACHMENT_NPARAMS; k++) {
        op->values[first + k] =
            rows->buffer != NULL ? (const char *)rows->buffer + rows->offset[k] : NULL;
        op->lengths[first + k] = rows->buffer != NULL ? (int)rows->length[k] : 0;
        op->formats[first + k] = 1;
    }
}

void fq_attachment_rows_free(fq_attachment_rows *rows)
{
    free(rows->buffer);
    memset(rows, 0, sizeof *rows);
}
