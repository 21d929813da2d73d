#include "taxonomy.h"

#include "errbuf.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct category {
    char code[FQ_ID_MAX_LEN + 1];
    char *name; /* NULL: none given */
    fq_line line;
    int index;
    int photo_to_conclude; /* concluded only with a photo (migration 0026) */
    UT_hash_handle hh;
} category;

struct fq_taxonomy {
    category *by_code;
    category **by_index;
    size_t count, capacity;
};

static const char *const line_names[FQ_LINE_COUNT] = {
    FQ_LINE_NAME_GOVERNANCE, FQ_LINE_NAME_MARKET, FQ_LINE_NAME_ENFORCEMENT, FQ_LINE_NAME_SERVICES};
static const char *const tier_names[] = {"", FQ_TIER_NAME_VILLAGE, FQ_TIER_NAME_TOWN,
                                         FQ_TIER_NAME_DISTRICT};

int fq_line_parse(const char *name)
{
    for (int i = 0; i < FQ_LINE_COUNT; i++)
        if (strcmp(name, line_names[i]) == 0)
            return i;
    return -1;
}

const char *fq_line_name(fq_line line)
{
    return (unsigned)line < FQ_LINE_COUNT ? line_names[line] : "unknown";
}

int fq_tier_parse(const char *name)
{
    for (int i = FQ_TIER_VILLAGE; i <= FQ_TIER_DISTRICT; i++)
        if (strcmp(name, tier_names[i]) == 0)
            return i;
    return 0;
}

const char *fq_tier_name_or(int tier, const char *none)
{
    return tier >= FQ_TIER_VILLAGE && tier <= FQ_TIER_DISTRICT ? tier_names[tier] : none;
}

const char *fq_tier_name(fq_tier tier)
{
    return fq_tier_name_or((int)tier, "unknown");
}

fq_taxonomy *fq_taxonomy_new(void)
{
    return calloc(1, sizeof(fq_taxonomy));
}

void fq_taxonomy_free(fq_taxonomy *t)
{
    if (t == NULL)
        return;
    HASH_CLEAR(hh, t->by_code);
    for (size_t i = 0; i < t->count; i++) {
        free(t->by_index[i]->name);
        free(t->by_index[i]);
    }
    free(t->by_index);
    free(t);
}

int fq_taxonomy_add(fq_taxonomy *t, const char *code, fq_line default_line, char *err,
                    size_t err_len)
{
    if (!fq_valid_id(code))
        return fq_errf(err, err_len, "category code '%s' is not valid", code);
    if ((unsigned)default_line >= FQ_LINE_COUNT)
        return fq_errf(err, err_len, "category %s has no valid line", code);
    if (fq_taxonomy_find(t, code) >= 0)
        return fq_errf(err, err_len, "category %s appears twice", code);
    if (t->count >= FQ_CATEGORY_MAX)
        return fq_errf(err, err_len, "more than %d categories", FQ_CATEGORY_MAX);
    if (t->count == t->capacity) {
        size_t capacity = t->capacity ? t->capacity * 2 : 64;
        category **grown = realloc(t->by_index, capacity * sizeof *grown);
        if (grown == NULL)
            return fq_errf(err, err_len, "out of memory");
        t->by_index = grown;
        t->capacity = capacity;
    }
    category *c = calloc(1, sizeof *c);
    if (c == NULL)
        return fq_errf(err, err_len, "out of memory");
    snprintf(c->code, sizeof c->code, "%s", code);
    c->line = default_line;
    c->index = (int)t->count;
    t->by_index[t->count++] = c;
    HASH_ADD_STR(t->by_code, code, c);
    return c->index;
}

int fq_taxonomy_find(const fq_taxonomy *t, const char *code)
{
    category *c;
    HASH_FIND_STR(t->by_code, code, c);
    return c ? c->index : -1;
}

size_t fq_taxonomy_count(const fq_taxonomy *t)
{
    return t->count;
}

const char *fq_taxonomy_code(const fq_taxonomy *t, int index)
{
    return t->by_index[index]->code;
}

fq_line fq_taxonomy_default_line(const fq_taxonomy *t, int index)
{
    return t->by_index[index]->line;
}

int fq_taxonomy_set_name(fq_taxonomy *t, int index, const char *name)
{
    category *c = t->by_index[index];
    char *copy = strdup(name);
    if (copy == NULL)
        return -1;
    free(c->name);
    c->name = copy;
    return 0;
}

void fq_taxonomy_set_photo_to_conclude(fq_taxonomy *t, int index, int required)
{
    t->by_index[index]->photo_to_conclude = required != 0;
}

int fq_taxonomy_photo_to_conclude(const fq_taxonomy *t, int index)
{
    return index >= 0 && (size_t)index < t->count && t->by_index[index]->photo_to_conclude;
}

const char *fq_taxonomy_name(const fq_taxonomy *t, int index)
{
    const category *c = t->by_index[index];
    return c->name != NULL && c->name[0] != '\0' ? c->name : c->code;
}

size_t fq_taxonomy_names_memory(const fq_taxonomy *t)
{
    size_t bytes = 0;
    for (size_t i = 0; i < t->count; i++)
        if (t->by_index[i]->name != NULL)
            bytes += strlen(t->by_index[i]->name) + 1;
    return bytes;
}
