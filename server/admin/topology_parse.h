/* topology_parse: phase 1 of fengqiao-admin import-topology (topology.c):
 * a district's topology file (docs/topology.md) read and checked alone, into
 * records that keep each one's JSON path, so the first error names where it
 * is. No database: the topology fuzzer (tests/fuzz/fuzz_topology.c) runs this
 * very parser on arbitrary text. */
#ifndef FQ_TOPOLOGY_PARSE_H
#define FQ_TOPOLOGY_PARSE_H

#include "geo.h"
#include "rules.h"
#include "taxonomy.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>

#define TOPOLOGY_SCHEMA "fengqiao.topology.v1"
#define PATH_LEN 160

typedef struct unit_rec {
    char path[PATH_LEN];
    const char *id, *kind, *parent, *name;
} unit_rec;

typedef struct handler_rec {
    char path[PATH_LEN];
    const char *id, *kind, *territory, *line, *code, *name;
} handler_rec;

typedef struct worker_rec {
    char path[PATH_LEN];
    const char *id, *grid, *name, *phone;
    int capacity, on_duty;
} worker_rec;

typedef struct polygon_rec {
    char path[PATH_LEN];
    const char *grid;
    double *ring; /* lon, lat, ... */
    size_t n;     /* vertices */
} polygon_rec;

#define OPEN311_MAX_KEYWORDS 16
#define CATEGORY_MAX_KEYWORDS 32
#define UNIT_MAX_ADDRESSES 2000

typedef struct category_rec {
    char path[PATH_LEN];
    const char *code, *line, *name;
    /* Open311 (docs/open311.md): NULL code means the category code; "" group. */
    const char *open311_code, *open311_group;
    const char *open311_keywords[OPEN311_MAX_KEYWORDS];
    size_t n_open311_keywords;
    int photo_to_conclude; /* concluded only with a photo (evidence; docs/topology.md) */
    /* The front desk's suggestions (docs/front-desk.md). */
    const char *keywords[CATEGORY_MAX_KEYWORDS];
    size_t n_keywords;
} category_rec;

/* An address people name, in a grid or a village (the front desk's picker,
 * docs/front-desk.md). */
typedef struct address_rec {
    char path[PATH_LEN];
    const char *unit, *text;
    double lat, lng;
} address_rec;

typedef struct rule_rec {
    char path[PATH_LEN];
    const char *category; /* NULL: any */
    int severity, risk;   /* 0: any */
    const char *tier, *line;
    const char *co[FQ_RULE_MAX_CO];
    int n_co;
    uint32_t ack, ack_warn, conclude, conclude_warn;
    int working; /* "time": "working" (limits in working days or working time) */
} rule_rec;

/* The mediation section (docs/mediation.md): committees and their mediators. */
typedef struct committee_rec {
    char path[PATH_LEN];
    const char *id, *name, *serves;
} committee_rec;

typedef struct mediator_rec {
    char path[PATH_LEN];
    const char *id, *name, *phone, *committee;
} mediator_rec;

typedef struct seen {
    const char *key; /* borrowed from the JSON document */
    char path[PATH_LEN];
    UT_hash_handle hh;
} seen;

#define ARRAY(type, name)                                                                          \
    type *name;                                                                                    \
    size_t n_##name, cap_##name

typedef struct topo_model {
    json_object *root;
    ARRAY(unit_rec, units);
    ARRAY(handler_rec, handlers);
    ARRAY(worker_rec, workers);
    ARRAY(polygon_rec, polygons);
    ARRAY(category_rec, categories);
    ARRAY(rule_rec, rules);
    ARRAY(address_rec, addresses);
    ARRAY(committee_rec, committees);
    ARRAY(mediator_rec, mediators);
    int has_mediation;        /* the file has a "mediation" member */
    int mediation_limit_days; /* 0: not given (the database's stays) */
    int has_rules;            /* the file has a "rules" member (possibly empty) */
    const char *district;
    size_t n_towns, n_villages, n_grids;
    seen *ids, *codes, *category_codes, *rule_keys, *mediation_ids;
    char dept_line_path[FQ_LINE_COUNT][PATH_LEN];
    fq_geo_builder *geo;
    char err[1024];
} topo_model;

/* Reads and checks a whole topology file ("-": stdin) into m; on failure
 * m->err says why. Either way the caller frees with topo_model_free. */
int topo_model_read(topo_model *m, const char *file);

/* The same on a document already in memory (`len` bytes, no NUL needed). */
int topo_model_parse(topo_model *m, const char *text, size_t len);

void topo_model_free(topo_model *m);

/* Sets m->err to "PATH: message"; returns -1. */
__attribute__((format(printf, 3, 4))) int topo_fail(topo_model *m, const char *path,
                                                    const char *fmt, ...);

#endif
