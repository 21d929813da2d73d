#include "org.h"

#include "errbuf.h"
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct unit {
    char id[FQ_ID_MAX_LEN + 1];
    char parent_id[FQ_ID_MAX_LEN + 1];
    char *name;
    fq_unit_kind kind;
    int32_t index;
    int32_t parent;
    UT_hash_handle hh;
} unit;

struct fq_org {
    unit **units; /* by index; the structs themselves never move (uthash keeps pointers) */
    size_t count, capacity;
    unit *by_id;
    /* Dense copies for the router's hot path: one cache line holds the kind
     * of 64 units, where the unit structs cost two dependent misses. */
    uint8_t *kinds;
    int32_t *parents;
};

fq_org *fq_org_new(void)
{
    return calloc(1, sizeof(fq_org));
}

void fq_org_free(fq_org *org)
{
    if (org == NULL)
        return;
    HASH_CLEAR(hh, org->by_id);
    for (size_t i = 0; i < org->count; i++) {
        free(org->units[i]->name);
        free(org->units[i]);
    }
    free(org->units);
    free(org->kinds);
    free(org->parents);
    free(org);
}

fq_unit_kind fq_unit_kind_parse(const char *name)
{
    static const char *names[] = {"district", "town", "village", "grid"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return (fq_unit_kind)(i + 1);
    return 0;
}

const char *fq_unit_kind_name(fq_unit_kind kind)
{
    switch (kind) {
    case FQ_UNIT_DISTRICT:
        return "district";
    case FQ_UNIT_TOWN:
        return "town";
    case FQ_UNIT_VILLAGE:
        return "village";
    case FQ_UNIT_GRID:
        return "grid";
    }
    return "unknown";
}

int fq_org_add(fq_org *org, const char *id, fq_unit_kind kind, const char *parent_id,
               const char *name, char *err, size_t err_len)
{
    if (!fq_valid_id(id))
        return fq_errf(err, err_len, "unit id '%s' is not valid", id);
    if (parent_id[0] != '\0' && !fq_valid_id(parent_id))
        return fq_errf(err, err_len, "parent id '%s' of unit %s is not valid", parent_id, id);
    if (kind < FQ_UNIT_DISTRICT || kind > FQ_UNIT_GRID)
        return fq_errf(err, err_len, "unit %s has no valid kind", id);
    unit *found;
    HASH_FIND_STR(org->by_id, id, found);
    if (found != NULL)
        return fq_errf(err, err_len, "unit %s appears twice", id);
    if (org->count == org->capacity) {
        size_t capacity = org->capacity ? org->capacity * 2 : 64;
        unit **units = realloc(org->units, capacity * sizeof *units);
        if (units == NULL)
            return fq_errf(err, err_len, "out of memory");
        org->units = units;
        org->capacity = capacity;
    }
    unit *u = calloc(1, sizeof *u);
    if (u == NULL || (u->name = strdup(name)) == NULL) {
        free(u);
        return fq_errf(err, err_len, "out of memory");
    }
    snprintf(u->id, sizeof u->id, "%s", id);
    snprintf(u->parent_id, sizeof u->parent_id, "%s", parent_id);
    u->kind = kind;
    u->index = (int32_t)org->count;
    u->parent = -1;
    org->units[org->count++] = u;
    HASH_ADD_STR(org->by_id, id, u);
    /* A tree changed after fq_org_finish must be finished again. */
    free(org->kinds);
    free(org->parents);
    org->kinds = NULL;
    org->parents = NULL;
    return 0;
}

int fq_org_finish(fq_org *org, char *err, size_t err_len)
{
    free(org->kinds);
    free(org->parents);
    org->kinds = malloc(org->count ? org->count : 1);
    org->parents = malloc((org->count ? org->count : 1) * sizeof *org->parents);
    if (org->kinds == NULL || org->parents == NULL)
        return fq_errf(err, err_len, "out of memory");
    for (size_t i = 0; i < org->count; i++) {
        unit *u = org->units[i];
        if (u->parent_id[0] == '\0') {
            if (u->kind != FQ_UNIT_DISTRICT)
                return fq_errf(err, err_len, "%s %s has no parent", fq_unit_kind_name(u->kind),
                               u->id);
            continue;
        }
        unit *p;
        HASH_FIND_STR(org->by_id, u->parent_id, p);
        if (p == NULL)
            return fq_errf(err, err_len, "parent %s of unit %s does not exist", u->parent_id,
                           u->id);
        /* One tier up exactly: this also rules out cycles. */
        if (p->kind + 1 != u->kind)
            return fq_errf(err, err_len, "%s %s cannot be the parent of %s %s",
                           fq_unit_kind_name(p->kind), p->id, fq_unit_kind_name(u->kind), u->id);
        u->parent = p->index;
    }
    for (size_t i = 0; i < org->count; i++) {
        org->kinds[i] = (uint8_t)org->units[i]->kind;
        org->parents[i] = org->units[i]->parent;
    }
    return 0;
}

int32_t fq_org_find(const fq_org *org, const char *id)
{
    unit *u;
    HASH_FIND_STR(org->by_id, id, u);
    return u ? u->index : -1;
}

size_t fq_org_count(const fq_org *org)
{
    return org->count;
}

const char *fq_org_id(const fq_org *org, int32_t unit_index)
{
    return org->units[unit_index]->id;
}

fq_unit_kind fq_org_kind(const fq_org *org, int32_t unit_index)
{
    /* Before fq_org_finish only the unit structs know. */
    return org->kinds ? (fq_unit_kind)org->kinds[unit_index] : org->units[unit_index]->kind;
}

int32_t fq_org_parent(const fq_org *org, int32_t unit_index)
{
    return org->parents ? org->parents[unit_index] : org->units[unit_index]->parent;
}

int fq_org_within(const fq_org *org, int32_t unit_index, int32_t ancestor)
{
    if (unit_index < 0 || ancestor < 0)
        return 0;
    /* At most four tiers: the walk is bounded by the tree's shape. */
    for (int32_t u = unit_index; u >= 0; u = fq_org_parent(org, u))
        if (u == ancestor)
            return 1;
    return 0;
}

const char *fq_org_name(const fq_org *org, int32_t index)
{
    return org->units[index]->name;
}

size_t fq_org_names_memory(const fq_org *org)
{
    size_t bytes = 0;
    for (size_t i = 0; i < org->count; i++)
        bytes += strlen(org->units[i]->name) + 1;
    return bytes;
}
