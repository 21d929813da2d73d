/* The fixed world the fuzz drivers and the corpus generator share: node keys,
 * a small org tree and directory, and the server clock. Seeds signed here
 * verify in fuzz_request, so the authenticated path is reachable. */
#ifndef FQ_FUZZ_FIXTURE_H
#define FQ_FUZZ_FIXTURE_H

#include "directory.h"
#include "fq_wire.h"

#include <stdint.h>
#include <stdlib.h>

#define FX_NOW_MS (1700000000000LL + 60000)
#define FX_SKEW_MS 120000LL

/* Key of node i: bytes 32*i .. 32*i+31 (node 0's is the docs/protocol.md key). */
static inline void fx_key(int node, uint8_t key[FQ_KEY_BYTES])
{
    for (int i = 0; i < FQ_KEY_BYTES; i++)
        key[i] = (uint8_t)(32 * node + i);
}

static const char *const fx_node_ids[] = {"lingyin-platform", "g1-node", "xihu-console"};
enum { FX_NODES = 3 };

/* xihu > {lingyin > lingyin-v1 > {lingyin-v1-g1, lingyin-v1-g2}, beishan};
 * nodes: lingyin-platform (town platform, lingyin), g1-node (grid node,
 * lingyin-v1-g1), xihu-console (console, xihu). NULL on failure. */
static inline fq_directory *fx_directory(void)
{
    char err[256];
    fq_org *o = fq_org_new();
    if (o == NULL)
        return NULL;
    int rv = 0;
    rv |= fq_org_add(o, "xihu", FQ_UNIT_DISTRICT, "", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin", FQ_UNIT_TOWN, "xihu", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1", FQ_UNIT_VILLAGE, "lingyin", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1-g1", FQ_UNIT_GRID, "lingyin-v1", "", err, sizeof err);
    rv |= fq_org_add(o, "lingyin-v1-g2", FQ_UNIT_GRID, "lingyin-v1", "", err, sizeof err);
    rv |= fq_org_add(o, "beishan", FQ_UNIT_TOWN, "xihu", "", err, sizeof err);
    rv |= fq_org_finish(o, err, sizeof err);
    fq_directory *d = rv == 0 ? fq_directory_new(o) : NULL;
    if (d == NULL) {
        if (rv != 0)
            fq_org_free(o);
        return NULL;
    }
    static const fq_role roles[] = {FQ_ROLE_TOWN_PLATFORM, FQ_ROLE_GRID_NODE, FQ_ROLE_CONSOLE};
    static const char *const places[] = {"lingyin", "lingyin-v1-g1", "xihu"};
    for (int i = 0; i < FX_NODES; i++) {
        uint8_t key[FQ_KEY_BYTES];
        fx_key(i, key);
        rv |=
            fq_directory_add_node(d, fx_node_ids[i], roles[i], places[i], key, 0, err, sizeof err);
    }
    if (rv != 0) {
        fq_directory_free(d);
        return NULL;
    }
    return d;
}

#endif
