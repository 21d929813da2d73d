#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fq_outbox_init(fq_outbox_set *s)
{
    memset(s, 0, sizeof *s);
}

void fq_outbox_free(fq_outbox_set *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->body[i]);
    fq_pgbuf_free(&s->params);
    fq_outbox_init(s);
}

int fq_outbox_has(const fq_outbox_set *s, const char *box)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->box[i], box) == 0)
            return 1;
    return 0;
}

static int add_item(fq_outbox_set *s, const char *box, Fengqiao__V1__ItemKind kind, fq_feed feed,
                    const Fengqiao__V1__OutboxItem *body, int complete)
{
    if (fq_outbox_has(s, box))
        return 0;
    if (s->n == FQ_OUTBOX_MAX_ITEMS || strlen(box) >= FQ_BOX_MAX)
        return -1;
    size_t len = fengqiao__v1__outbox_item__get_packed_size(body);
    uint8_t *bytes = malloc(len ? len : 1);
    if (bytes == NULL)
        return -1;
    fengqiao__v1__outbox_item__pack(body, bytes);
    int i = s->n++;
    snprintf(s->box[i], sizeof s->box[i], "%s", box);
    s->kind[i] = (uint8_t)kind;
    s->feed[i] = (uint8_t)feed;
    s->complete[i] = (uint8_t)(complete != 0);
    s->body[i] = bytes;
    s->body_len[i] = len;
    return 0;
}

int fq_outbox_add(fq_outbox_set *s, const char *box, Fengqiao__V1__ItemKind kind,
                  const Fengqiao__V1__OutboxItem *body, int complete)
{
    return add_item(s, box, kind, FQ_FEED_NONE, body, complete);
}

int fq_outbox_add_feed(fq_outbox_set *s, fq_feed feed, const char *box,
                       const Fengqiao__V1__OutboxItem *body, int complete)
{
    if (feed != FQ_FEED_TOWN && feed != FQ_FEED_DISTRICT)
        return -1;
    return add_item(s, box, FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, feed, body, complete);
}

int fq_outbox_feed_index(const fq_outbox_set *s, fq_feed feed)
{
    for (int i = 0; i < s->n; i++)
        if (s->feed[i] == feed)
            return i;
    return -1;
}

int fq_outbox_params(fq_outbox_set *s)
{
    static const uint32_t oids[FQ_OUTBOX_NPARAMS] = {FQ_PG_TEXT, FQ_PG_INT2, FQ_PG_BYTEA};
    fq_pgbuf_reset(&s->params);
    s->params_built = 0;
    int failed = 0;
    for (int p = 0; p < FQ_OUTBOX_NPARAMS; p++) {
        fq_pgarray a;
        fq_pgarray_begin(&a, &s->params, oids[p]);
        for (int i = 0; i < s->n; i++) {
            if (s->feed[i] != FQ_FEED_NONE)
                continue; /* columns of the event, not rows */
            if (p == FQ_OUTBOX_BOXES)
                fq_pgarray_text(&a, s->box[i], strlen(s->box[i]));
            else if (p == FQ_OUTBOX_KINDS)
                fq_pgarray_int2(&a, s->kind[i]);
            else
                fq_pgarray_bytea(&a, s->body[i], s->body_len[i]);
        }
        failed |= fq_pgarray_end(&a, &s->param_offset[p], &s->param_length[p]);
    }
    s->params_built = !failed;
    return failed ? -1 : 0;
}

const char *fq_outbox_param(const fq_outbox_set *s, int which, int *length)
{
    /* Empty one-dimensional arrays as array_send writes them: no
     * dimensions, no NULLs, the element type. */
    static const uint8_t empty[FQ_OUTBOX_NPARAMS][12] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FQ_PG_TEXT},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FQ_PG_INT2},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FQ_PG_BYTEA}};
    if (!s->params_built) {
        *length = (int)sizeof empty[which];
        return (const char *)empty[which];
    }
    *length = (int)s->param_length[which];
    return (const char *)s->params.data + s->param_offset[which];
}

/* One element of FQ_SQL_OUTBOX_SEQS's record[]: record_send's column
 * count, then each column's type oid, length and bytes. 0, or -1 when it is
 * not (int8, text, int8) with nothing after. */
static int read_written(const uint8_t *p, int32_t len, uint64_t *seq, const uint8_t **box,
                        int32_t *box_len, uint64_t *event_seq)
{
    static const uint32_t oids[3] = {FQ_PG_INT8, FQ_PG_TEXT, FQ_PG_INT8};
    if (p == NULL || len < 4 || fq_pg_get_int4(p) != 3)
        return -1;
    const uint8_t *end = p + len;
    p += 4;
    for (int c = 0; c < 3; c++) {
        if (end - p < 8 || (uint32_t)fq_pg_get_int4(p) != oids[c])
            return -1;
        int32_t l = fq_pg_get_int4(p + 4);
        p += 8;
        if (l < 0 || l > end - p || (c != 1 && l != 8))
            return -1;
        if (c == 0)
            *seq = (uint64_t)fq_pg_get_int8(p);
        else if (c == 1) {
            *box = p;
            *box_len = l;
        } else
            *event_seq = (uint64_t)fq_pg_get_int8(p);
        p += l;
    }
    return p == end ? 0 : -1;
}

int fq_outbox_written_decode(const fq_outbox_set *s, const void *data, size_t len,
                             fq_outbox_written *out)
{
    out->n = 0;
    fq_pgarray_reader rd;
    if (fq_pgarray_read_begin(&rd, data, len, FQ_PG_RECORD) != 0)
        return -1;
    const uint8_t *el;
    int32_t el_len;
    int got;
    while ((got = fq_pgarray_read_next(&rd, &el, &el_len)) == 1) {
        uint64_t seq = 0, event_seq = 0;
        const uint8_t *box = NULL;
        int32_t box_len = 0;
        if (read_written(el, el_len, &seq, &box, &box_len, &event_seq) != 0 || seq == 0 ||
            (int64_t)seq < 0 || (int64_t)event_seq < 0 || out->n == FQ_OUTBOX_MAX_ITEMS)
            break;
        int found = -1;
        for (int i = 0; i < s->n && found < 0; i++)
            if (strlen(s->box[i]) == (size_t)box_len &&
                memcmp(s->box[i], box, (size_t)box_len) == 0)
                found = i;
        for (int k = 0; k < out->n && found >= 0; k++)
            if (out->index[k] == found)
                found = -1; /* twice */
        if (found < 0)
            break;
        out->index[out->n] = (uint8_t)found;
        out->seq[out->n] = seq;
        out->event_seq[out->n] = event_seq;
        out->n++;
    }
    if (got != 0) {
        out->n = 0;
        return -1;
    }
    return 0;
}

size_t fq_outbox_complete_item(const uint8_t *body, size_t body_len, uint64_t seq, int kind,
                               uint64_t incident_id, int64_t at_ms, uint64_t event_seq,
                               uint8_t *out, size_t cap)
{
    Fengqiao__V1__OutboxItem *item = fengqiao__v1__outbox_item__unpack(NULL, body_len, body);
    if (item == NULL)
        return 0;
    item->seq = seq;
    item->kind = (Fengqiao__V1__ItemKind)kind;
    item->incident_id = incident_id;
    item->at_ms = at_ms;
    item->event_seq = event_seq;
    size_t len = fengqiao__v1__outbox_item__get_packed_size(item);
    if (len <= cap)
        fengqiao__v1__outbox_item__pack(item, out);
    fengqiao__v1__outbox_item__free_unpacked(item, NULL);
    return len <= cap ? len : 0;
}
