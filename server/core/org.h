/* org: the organisation tree, district -> town -> village -> grid.
 * Pure data structure: built from rows, queried by the router and the
 * jurisdiction checks. Unit references are dense indices (int32_t). */
#ifndef FQ_ORG_H
#define FQ_ORG_H

#include <stddef.h>
#include <stdint.h>

typedef enum fq_unit_kind {
    FQ_UNIT_DISTRICT = 1,
    FQ_UNIT_TOWN = 2,
    FQ_UNIT_VILLAGE = 3,
    FQ_UNIT_GRID = 4,
} fq_unit_kind;

typedef struct fq_org fq_org;

fq_org *fq_org_new(void);
void fq_org_free(fq_org *org);

/* "district", "town", "village", "grid" -> kind; 0 if unknown. */
fq_unit_kind fq_unit_kind_parse(const char *name);
const char *fq_unit_kind_name(fq_unit_kind kind);

/* Adds a unit; parents may be added later. Returns 0, or -1 (duplicate id,
 * bad id, out of memory) with a message in err. */
int fq_org_add(fq_org *org, const char *id, fq_unit_kind kind, const char *parent_id,
               const char *name, char *err, size_t err_len);

/* Resolves parents and checks the shape: every parent exists and is exactly
 * one tier above its child; only districts have no parent. The queries
 * below need a finished tree. */
int fq_org_finish(fq_org *org, char *err, size_t err_len);

/* Index of the unit, or -1. */
int32_t fq_org_find(const fq_org *org, const char *id);
size_t fq_org_count(const fq_org *org);
const char *fq_org_id(const fq_org *org, int32_t unit);
/* The unit's display name (灵隐街道), as the topology gives it. */
const char *fq_org_name(const fq_org *org, int32_t unit);
/* Bytes the display names hold (for the memory figures). */
size_t fq_org_names_memory(const fq_org *org);
fq_unit_kind fq_org_kind(const fq_org *org, int32_t unit);
int32_t fq_org_parent(const fq_org *org, int32_t unit);

/* 1 when `unit` is `ancestor` or lies below it. */
int fq_org_within(const fq_org *org, int32_t unit, int32_t ancestor);

#endif
