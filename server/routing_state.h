/* routing_state: the routing core's snapshot built from database rows —
 * taxonomy, compiled rules, roster (handlers and workers with their current
 * loads), grid polygons and the router over them. Loaded together with the
 * directory and swapped in whole when the database says something changed
 * (rules, topology, duty); the organisation tree is the directory's. */
#ifndef FQ_ROUTING_STATE_H
#define FQ_ROUTING_STATE_H

#include "geo.h"
#include "org.h"
#include "roster.h"
#include "router.h"
#include "rules.h"
#include "taxonomy.h"

#include <libpq-fe.h>
#include <stddef.h>

typedef struct fq_routing {
    const fq_org *org; /* borrowed from the directory of the same load */
    fq_taxonomy *taxonomy;
    fq_rules *rules;
    fq_roster *roster;
    fq_geo_index *geo; /* NULL when no grid has a polygon */
    fq_router *router;
    uint32_t rule_set;
} fq_routing;

/* Result columns, in order (statements.h has the queries):
 *   categories: code, default line
 *   rules:      id, category, severity, risk, tier, line, co (text[]), ack_s, ack_warn_s,
 *               conclude_s, conclude_warn_s, rule set version
 *   handlers:   id, kind, territory, line, code
 *   workers:    id, grid, capacity, on_duty, open assignments
 *   polygons:   grid, ring (double precision[]: lon, lat, lon, lat, …) */
fq_routing *fq_routing_build(const fq_org *org, const PGresult *categories, const PGresult *rules,
                             const PGresult *handlers, const PGresult *workers,
                             const PGresult *polygons, char *err, size_t err_len);
void fq_routing_free(fq_routing *r);

#endif
