/* taxonomy: the fixed vocabulary of routing — tiers, lines, severities,
 * risks — and the incident categories a district uses, each with its default
 * line. Pure: built from rows, read by the rules and the router. */
#ifndef FQ_TAXONOMY_H
#define FQ_TAXONOMY_H

#include <stddef.h>
#include <stdint.h>

/* The four platforms of a town, and the matching district departments. */
typedef enum fq_line {
    FQ_LINE_GOVERNANCE = 0,  /* 综治工作 comprehensive governance */
    FQ_LINE_MARKET = 1,      /* 市场监管 market supervision */
    FQ_LINE_ENFORCEMENT = 2, /* 综合执法 comprehensive law enforcement */
    FQ_LINE_SERVICES = 3,    /* 便民服务 convenience services */
    FQ_LINE_COUNT = 4,
} fq_line;

/* The lines' names, in fq_line's order: spelled here only (see the tiers'
 * below). */
#define FQ_LINE_NAME_GOVERNANCE "governance"
#define FQ_LINE_NAME_MARKET "market"
#define FQ_LINE_NAME_ENFORCEMENT "enforcement"
#define FQ_LINE_NAME_SERVICES "services"

/* Where an incident is handled. A village-tier incident goes to a grid
 * worker of its grid (or of its village). */
typedef enum fq_tier {
    FQ_TIER_VILLAGE = 1,
    FQ_TIER_TOWN = 2,
    FQ_TIER_DISTRICT = 3,
} fq_tier;

/* The tiers' names, in fq_tier's order, the one place they are spelled:
 * the C tables (fq_tier_parse, fq_tier_name; the lines' likewise), the SQL
 * that names a tier or a line (sql_fragments.h FQ_SQL_TIER_NAME,
 * FQ_SQL_LINE_NAME) and the web console's lists (js/vocabulary.js, written
 * from these lines by server/web/webroot.cmake at every build) are made of
 * them. Keep each a one-line #define of a plain string. */
#define FQ_TIER_NAME_VILLAGE "village"
#define FQ_TIER_NAME_TOWN "town"
#define FQ_TIER_NAME_DISTRICT "district"

#define FQ_SEVERITY_COUNT 4 /* I (1, especially major) .. IV (4, ordinary) */
#define FQ_RISK_COUNT 3     /* low (1) .. high (3) */
#define FQ_CATEGORY_MAX 4096

typedef struct fq_taxonomy fq_taxonomy;

fq_taxonomy *fq_taxonomy_new(void);
void fq_taxonomy_free(fq_taxonomy *t);

/* Adds a category code (e.g. "dispute.neighbour") with its default line.
 * Returns its dense index (0..), or -1 with a message. */
int fq_taxonomy_add(fq_taxonomy *t, const char *code, fq_line default_line, char *err,
                    size_t err_len);
/* Gives category `category` its display name (邻里纠纷); a category without
 * one is named by its code. 0, or -1 when out of memory. */
int fq_taxonomy_set_name(fq_taxonomy *t, int category, const char *name);
/* The category's rule that its incidents are concluded only with a photo as
 * evidence (categories.photo_to_conclude; docs/topology.md). */
void fq_taxonomy_set_photo_to_conclude(fq_taxonomy *t, int category, int required);
int fq_taxonomy_photo_to_conclude(const fq_taxonomy *t, int category); /* 0 when unknown */
/* Index of the category, or -1. */
int fq_taxonomy_find(const fq_taxonomy *t, const char *code);
size_t fq_taxonomy_count(const fq_taxonomy *t);
const char *fq_taxonomy_code(const fq_taxonomy *t, int category);
fq_line fq_taxonomy_default_line(const fq_taxonomy *t, int category);
const char *fq_taxonomy_name(const fq_taxonomy *t, int category);
/* Bytes the display names hold (for the memory figures). */
size_t fq_taxonomy_names_memory(const fq_taxonomy *t);

/* "governance", "market", "enforcement", "services" <-> fq_line; -1 when unknown. */
int fq_line_parse(const char *name);
const char *fq_line_name(fq_line line);
/* "village", "town", "district" <-> fq_tier (the wire's Tier has the same
 * numbers); 0 when unknown. The one table of the tiers' names: the server,
 * fengqiao-admin and the clients all read it. */
int fq_tier_parse(const char *name);
const char *fq_tier_name(fq_tier tier); /* "unknown" when not a tier */
/* The same, `none` for 0 or a number that is not a tier. */
const char *fq_tier_name_or(int tier, const char *none);

#endif
