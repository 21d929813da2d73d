/* fuzz_topology: fengqiao-admin import-topology's own parser
 * (server/admin/topology_parse.c: JSON text -> unit, handler, worker,
 * polygon, category and rule records) on arbitrary text.
 *
 * Oracles beyond "no crash, no sanitizer report":
 *  - a refusal has a terminated, non-empty message;
 *  - an accepted file gives records the server's own modules take: every id
 *    is valid, the units form an org tree that fq_org_finish accepts (what the
 *    importer's verify step would load), every handler's territory, worker's
 *    grid and polygon's grid is one of the file's units, rules have at most
 *    FQ_RULE_MAX_CO co-departments, warnings no later than their limits and
 *    a time basis that is natural or working;
 *  - the counts of towns, villages and grids match the units;
 *  - parsing the same text again gives the same records (no hidden state). */
#include "fuzz_check.h"
#include "org.h"
#include "topology_parse.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static int unit_in_file(const topo_model *m, const char *id)
{
    for (size_t i = 0; i < m->n_units; i++)
        if (strcmp(m->units[i].id, id) == 0)
            return 1;
    return 0;
}

static void check_accepted(const topo_model *m)
{
    char err[256];
    FQ_FUZZ_CHECK(m->root != NULL);
    fq_org *org = fq_org_new();
    FQ_FUZZ_CHECK(org != NULL);
    size_t towns = 0, villages = 0, grids = 0;
    for (size_t i = 0; i < m->n_units; i++) {
        const unit_rec *u = &m->units[i];
        FQ_FUZZ_CHECK(u->id != NULL && fq_valid_id(u->id) && u->kind != NULL && u->name != NULL);
        fq_unit_kind k = fq_unit_kind_parse(u->kind);
        FQ_FUZZ_CHECK(k != 0);
        towns += k == FQ_UNIT_TOWN;
        villages += k == FQ_UNIT_VILLAGE;
        grids += k == FQ_UNIT_GRID;
        FQ_FUZZ_CHECK(fq_org_add(org, u->id, k, u->parent != NULL ? u->parent : "", u->name, err,
                                 sizeof err) == 0);
    }
    FQ_FUZZ_CHECK(towns == m->n_towns && villages == m->n_villages && grids == m->n_grids);
    if (m->n_units > 0)
        FQ_FUZZ_CHECK(fq_org_finish(org, err, sizeof err) == 0);
    fq_org_free(org);
    for (size_t i = 0; i < m->n_handlers; i++) {
        const handler_rec *h = &m->handlers[i];
        FQ_FUZZ_CHECK(h->id != NULL && h->kind != NULL && h->territory != NULL);
        FQ_FUZZ_CHECK(unit_in_file(m, h->territory));
    }
    for (size_t i = 0; i < m->n_workers; i++) {
        const worker_rec *w = &m->workers[i];
        FQ_FUZZ_CHECK(w->id != NULL && fq_valid_id(w->id) && unit_in_file(m, w->grid));
        FQ_FUZZ_CHECK(w->capacity >= 0);
    }
    for (size_t i = 0; i < m->n_polygons; i++) {
        const polygon_rec *p = &m->polygons[i];
        FQ_FUZZ_CHECK(unit_in_file(m, p->grid) && p->ring != NULL && p->n >= 3);
    }
    for (size_t i = 0; i < m->n_categories; i++)
        FQ_FUZZ_CHECK(m->categories[i].code != NULL && m->categories[i].line != NULL);
    for (size_t i = 0; i < m->n_rules; i++) {
        const rule_rec *r = &m->rules[i];
        FQ_FUZZ_CHECK(r->n_co >= 0 && r->n_co <= FQ_RULE_MAX_CO);
        FQ_FUZZ_CHECK(r->tier != NULL);
        FQ_FUZZ_CHECK(r->ack_warn < r->ack && r->conclude_warn < r->conclude);
        FQ_FUZZ_CHECK(r->working == 0 || r->working == 1);
    }
    if (m->n_rules > 0)
        FQ_FUZZ_CHECK(m->has_rules);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) /* far more than any seed; keeps runs fast */
        return 0;
    static topo_model m, again;
    int rv = topo_model_parse(&m, (const char *)data, size);
    FQ_FUZZ_CHECK(memchr(m.err, 0, sizeof m.err) != NULL);
    if (rv != 0) {
        FQ_FUZZ_CHECK(m.err[0] != '\0');
    } else {
        FQ_FUZZ_CHECK(m.err[0] == '\0');
        check_accepted(&m);
    }
    int rv2 = topo_model_parse(&again, (const char *)data, size);
    FQ_FUZZ_CHECK(rv2 == rv);
    FQ_FUZZ_CHECK(strcmp(again.err, m.err) == 0);
    FQ_FUZZ_CHECK(again.n_units == m.n_units && again.n_handlers == m.n_handlers &&
                  again.n_workers == m.n_workers && again.n_polygons == m.n_polygons &&
                  again.n_categories == m.n_categories && again.n_rules == m.n_rules);
    topo_model_free(&again);
    topo_model_free(&m);
    return 0;
}
