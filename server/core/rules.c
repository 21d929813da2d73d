#include "rules.h"

#include "errbuf.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(fq_rule) == 32, "a rule is 32 bytes: two per cache line");

struct fq_rules {
    const fq_taxonomy *taxonomy;
    uint32_t version;
    fq_rule *cells;
    char (*departments)[FQ_ID_MAX_LEN + 1];
    size_t n_departments;
};

const fq_rule *fq_rules__cells(const fq_rules *rules)
{
    return rules->cells;
}

static size_t cell_index(size_t category, int severity, int risk)
{
    return (category * FQ_SEVERITY_COUNT + (size_t)(severity - 1)) * FQ_RISK_COUNT +
           (size_t)(risk - 1);
}

/* Time limits of the principle, from public practice: acknowledge in
 * minutes; conclude in 1 / 7 / 20 days for simple / complex / difficult. */
fq_rule fq_rules_principle(fq_line line, int severity, int risk)
{
    fq_rule r;
    memset(&r, 0, sizeof r);
    r.line = (uint8_t)line;
    if (severity <= 2 || risk == 3) {
        r.tier = FQ_TIER_DISTRICT;
        r.joint = 1;
        r.ack_s = 15 * 60;
        r.conclude_s = 20 * 86400;
    } else if (severity == 3 || risk == 2) {
        r.tier = FQ_TIER_TOWN;
        r.ack_s = 30 * 60;
        r.conclude_s = 7 * 86400;
    } else {
        r.tier = FQ_TIER_VILLAGE;
        r.ack_s = 60 * 60;
        r.conclude_s = 86400;
    }
    /* Warn when a fifth of the time is left. */
    r.ack_warn_s = r.ack_s / 5;
    r.conclude_warn_s = r.conclude_s / 5;
    return r;
}

static int department_index(fq_rules *rules, const char *code, char *err, size_t err_len)
{
    for (size_t i = 0; i < rules->n_departments; i++)
        if (strcmp(rules->departments[i], code) == 0)
            return (int)i;
    if (!fq_valid_id(code))
        return fq_errf(err, err_len, "department code '%s' is not valid", code);
    if (rules->n_departments >= FQ_DEPARTMENT_CODES_MAX)
        return fq_errf(err, err_len, "more than %d department codes", FQ_DEPARTMENT_CODES_MAX);
    strcpy(rules->departments[rules->n_departments], code);
    return (int)rules->n_departments++;
}

static int check_row(const fq_rule_row *row, char *err, size_t err_len)
{
    if (row->severity < 0 || row->severity > FQ_SEVERITY_COUNT)
        return fq_errf(err, err_len, "rule %u: severity must be 0 (any) or 1-4", row->id);
    if (row->risk < 0 || row->risk > FQ_RISK_COUNT)
        return fq_errf(err, err_len, "rule %u: risk must be 0 (any) or 1-3", row->id);
    if (row->tier < FQ_TIER_VILLAGE || row->tier > FQ_TIER_DISTRICT)
        return fq_errf(err, err_len, "rule %u: tier must be village, town or district", row->id);
    if (row->line < -1 || row->line >= FQ_LINE_COUNT)
        return fq_errf(err, err_len, "rule %u: unknown line", row->id);
    if (row->n_co < 0 || row->n_co > FQ_RULE_MAX_CO)
        return fq_errf(err, err_len, "rule %u: at most %d co-handling departments", row->id,
                       FQ_RULE_MAX_CO);
    if (row->ack_s == 0 || row->conclude_s == 0)
        return fq_errf(err, err_len, "rule %u: time limits must be positive", row->id);
    if (row->ack_warn_s >= row->ack_s || row->conclude_warn_s >= row->conclude_s)
        return fq_errf(err, err_len, "rule %u: a warning must come before its limit", row->id);
    if (row->ack_s > row->conclude_s)
        return fq_errf(err, err_len, "rule %u: acknowledging cannot take longer than concluding",
                       row->id);
    return 0;
}

fq_rules *fq_rules_compile(const fq_taxonomy *taxonomy, uint32_t version, const fq_rule_row *rows,
                           size_t n_rows, char *err, size_t err_len)
{
    size_t n_categories = fq_taxonomy_count(taxonomy);
    size_t n_cells = n_categories * FQ_SEVERITY_COUNT * FQ_RISK_COUNT;
    fq_rules *rules = calloc(1, sizeof *rules);
    uint8_t *specificity = calloc(n_cells ? n_cells : 1, 1);
    uint32_t *winner = calloc(n_cells ? n_cells : 1, sizeof *winner);
    if (rules != NULL) {
        rules->cells = calloc(n_cells ? n_cells : 1, sizeof *rules->cells);
        rules->departments = calloc(FQ_DEPARTMENT_CODES_MAX, sizeof *rules->departments);
    }
    if (rules == NULL || specificity == NULL || winner == NULL || rules->cells == NULL ||
        rules->departments == NULL) {
        fq_errf(err, err_len, "out of memory");
        goto fail;
    }
    rules->taxonomy = taxonomy;
    rules->version = version;

    /* The principle first: specificity 0, overridden by any matching row. */
    for (size_t c = 0; c < n_categories; c++)
        for (int s = 1; s <= FQ_SEVERITY_COUNT; s++)
            for (int k = 1; k <= FQ_RISK_COUNT; k++)
                rules->cells[cell_index(c, s, k)] =
                    fq_rules_principle(fq_taxonomy_default_line(taxonomy, (int)c), s, k);

    for (size_t i = 0; i < n_rows; i++) {
        const fq_rule_row *row = &rows[i];
        if (check_row(row, err, err_len) != 0)
            goto fail;
        int only_category = -1;
        if (row->category != NULL && row->category[0] != '\0') {
            only_category = fq_taxonomy_find(taxonomy, row->category);
            if (only_category < 0) {
                fq_errf(err, err_len, "rule %u: unknown category %s", row->id, row->category);
                goto fail;
            }
        }
        fq_rule r;
        memset(&r, 0, sizeof r);
        r.tier = (uint8_t)row->tier;
        r.joint = row->tier == FQ_TIER_DISTRICT;
        r.n_co = (uint8_t)row->n_co;
        for (int j = 0; j < row->n_co; j++) {
            int d = department_index(rules, row->co[j], err, err_len);
            if (d < 0)
                goto fail;
            r.co[j] = (uint8_t)d;
        }
        r.ack_s = row->ack_s;
        r.ack_warn_s = row->ack_warn_s;
        r.conclude_s = row->conclude_s;
        r.conclude_warn_s = row->conclude_warn_s;
        r.source = row->id;
        r.working = row->working != 0;
        /* Category outweighs severity outweighs risk; 1 is "matched at all". */
        uint8_t spec =
            (uint8_t)(1 + (only_category >= 0) * 4 + (row->severity > 0) * 2 + (row->risk > 0));
        for (size_t c = 0; c < n_categories; c++) {
            if (only_category >= 0 && (size_t)only_category != c)
                continue;
            r.line = (uint8_t)(row->line >= 0 ? row->line
                                              : (int)fq_taxonomy_default_line(taxonomy, (int)c));
            for (int s = 1; s <= FQ_SEVERITY_COUNT; s++) {
                if (row->severity > 0 && row->severity != s)
                    continue;
                for (int k = 1; k <= FQ_RISK_COUNT; k++) {
                    if (row->risk > 0 && row->risk != k)
                        continue;
                    size_t cell = cell_index(c, s, k);
                    if (spec < specificity[cell])
                        continue;
                    if (spec == specificity[cell]) {
                        fq_errf(err, err_len,
                                "rules %u and %u both decide category %s, severity %d, risk %d "
                                "with the same specificity",
                                winner[cell], row->id, fq_taxonomy_code(taxonomy, (int)c), s, k);
                        goto fail;
                    }
                    specificity[cell] = spec;
                    winner[cell] = row->id;
                    rules->cells[cell] = r;
                }
            }
        }
    }
    /* Emergencies stay natural time: an emergency is handled round the
     * clock, and a working-time limit would let a severity I report made on
     * a Friday evening wait for Monday. Checked on the cells a rule decides,
     * so a working-time rule for "any severity" is fine where more specific
     * natural-time rules decide severities I and II. */
    for (size_t c = 0; c < n_categories; c++)
        for (int s = 1; s <= 2; s++)
            for (int k = 1; k <= FQ_RISK_COUNT; k++) {
                const fq_rule *cell = &rules->cells[cell_index(c, s, k)];
                if (!cell->working)
                    continue;
                static const char *const sev[] = {"any severity", "severity I", "severity II",
                                                  "severity III", "severity IV"};
                static const char *const risks[] = {"any risk", "low risk", "medium risk",
                                                    "high risk"};
                const fq_rule_row *row = NULL;
                for (size_t i = 0; i < n_rows && row == NULL; i++)
                    if (rows[i].id == cell->source)
                        row = &rows[i];
                fq_errf(err, err_len,
                        "rule %u (%s, %s, %s) counts working time but decides %s at %s, %s: "
                        "emergencies (severity I and II) stay natural time; give them a "
                        "natural-time rule or make this one natural",
                        cell->source,
                        row->category != NULL && row->category[0] ? row->category : "any category",
                        sev[row->severity], risks[row->risk], fq_taxonomy_code(taxonomy, (int)c),
                        sev[s], risks[k]);
                goto fail;
            }
    free(specificity);
    free(winner);
    return rules;
fail:
    free(specificity);
    free(winner);
    fq_rules_free(rules);
    return NULL;
}

void fq_rules_free(fq_rules *rules)
{
    if (rules == NULL)
        return;
    free(rules->cells);
    free(rules->departments);
    free(rules);
}

uint32_t fq_rules_version(const fq_rules *rules)
{
    return rules->version;
}

const fq_taxonomy *fq_rules_taxonomy(const fq_rules *rules)
{
    return rules->taxonomy;
}

size_t fq_rules_department_count(const fq_rules *rules)
{
    return rules->n_departments;
}

const char *fq_rules_department_code(const fq_rules *rules, int index)
{
    return rules->departments[index];
}
