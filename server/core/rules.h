/* rules: the routing rule table, compiled.
 *
 * A rule maps (category, severity, risk) — each possibly "any" — to an entry
 * tier, a line, up to four co-handling district departments (by code) and the
 * time limits of each stage with a warning before each. Rules are rows in the
 * database, versioned; compiling them yields a flat array indexed by
 * [category][severity][risk], so a lookup is one multiply-add and a load.
 * Where several rows match, the most specific wins (category over severity
 * over risk); two rows equally specific for the same cell are an error. Cells
 * no row covers follow the principle of the source: small matters stay in the
 * village, larger go to the town, major ones (severity I/II or high risk) go
 * to the district. A rule's limits count natural or working time; a
 * working-time rule that decides a cell of severity I or II is refused
 * (emergencies stay natural time). Pure. */
#ifndef FQ_RULES_H
#define FQ_RULES_H

#include "taxonomy.h"

#include <stddef.h>
#include <stdint.h>

#define FQ_RULE_MAX_CO 4
#define FQ_DEPARTMENT_CODES_MAX 64

/* What a matched cell says. 32 bytes: two per cache line. */
typedef struct fq_rule {
    uint8_t tier;               /* fq_tier */
    uint8_t line;               /* fq_line */
    uint8_t n_co;               /* co-handling departments */
    uint8_t joint;              /* district tier: joint operation (lead plus co-handlers) */
    uint8_t co[FQ_RULE_MAX_CO]; /* department code indices */
    uint32_t ack_s;             /* acknowledge within, seconds */
    uint32_t ack_warn_s;        /* warn this long before the acknowledge limit */
    uint32_t conclude_s;        /* conclude within */
    uint32_t conclude_warn_s;   /* warn this long before the conclude limit */
    uint32_t source;            /* the row that produced it; 0 = the built-in principle */
    /* The limits count working time on the district's calendar (1) or
     * natural time (0). Under working time a limit of whole days (a multiple
     * of 86400 s) is that many working days, any other value working
     * seconds (docs/routing.md). Never set on a cell of severity I or II:
     * emergencies stay natural time. */
    uint8_t working;
    uint8_t reserved[3];
} fq_rule;

/* One row as stored. category NULL/"" = any; severity/risk 0 = any; line -1
 * = the category's default line; co = department codes. */
typedef struct fq_rule_row {
    uint32_t id;
    const char *category;
    int severity;
    int risk;
    fq_tier tier;
    int line;
    const char *co[FQ_RULE_MAX_CO];
    int n_co;
    uint32_t ack_s, ack_warn_s, conclude_s, conclude_warn_s;
    int working; /* time basis: 1 working time, 0 natural time */
} fq_rule_row;

typedef struct fq_rules fq_rules;

/* Compiles rows against a taxonomy (borrowed: must outlive the rules). */
fq_rules *fq_rules_compile(const fq_taxonomy *taxonomy, uint32_t version, const fq_rule_row *rows,
                           size_t n_rows, char *err, size_t err_len);
void fq_rules_free(fq_rules *rules);

/* The rule for a cell; severity 1..4, risk 1..3, category a valid index. */
static inline const fq_rule *fq_rules_lookup(const fq_rules *rules, int category, int severity,
                                             int risk);

uint32_t fq_rules_version(const fq_rules *rules);
const fq_taxonomy *fq_rules_taxonomy(const fq_rules *rules);
/* Department codes used by co-handling (index -> code). */
size_t fq_rules_department_count(const fq_rules *rules);
const char *fq_rules_department_code(const fq_rules *rules, int index);

/* The built-in principle for a cell (exposed for tests and documentation). */
fq_rule fq_rules_principle(fq_line line, int severity, int risk);

/* ---- inline lookup: the cells are [category][severity - 1][risk - 1] ---- */
const fq_rule *fq_rules__cells(const fq_rules *rules);

static inline const fq_rule *fq_rules_lookup(const fq_rules *rules, int category, int severity,
                                             int risk)
{
    return fq_rules__cells(rules) +
           ((size_t)category * FQ_SEVERITY_COUNT + (size_t)(severity - 1)) * FQ_RISK_COUNT +
           (size_t)(risk - 1);
}

#endif
