#include "directory.h"

#include "validate.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct node_entry {
    fq_node node;
    char id[FQ_ID_MAX_LEN + 1];
    char *name; /* NULL: none given */
    UT_hash_handle hh;
} node_entry;

struct fq_directory {
    fq_org *org;
    node_entry *nodes;
    size_t node_count;
};

fq_role fq_role_parse(const char *name)
{
    static const char *names[] = {"town_platform", "grid_node", "terminal",
                                  "console",       "admin",     "district_platform"};
    for (int i = 0; i < 6; i++)
        if (strcmp(name, names[i]) == 0)
            return (fq_role)(i + 1);
    return 0;
}

const char *fq_role_name(fq_role role)
{
    switch (role) {
    case FQ_ROLE_TOWN_PLATFORM:
        return "town_platform";
    case FQ_ROLE_GRID_NODE:
        return "grid_node";
    case FQ_ROLE_TERMINAL:
        return "terminal";
    case FQ_ROLE_CONSOLE:
        return "console";
    case FQ_ROLE_ADMIN:
        return "admin";
    case FQ_ROLE_DISTRICT_PLATFORM:
        return "district_platform";
    }
    return "unknown";
}

fq_directory *fq_directory_new(fq_org *org)
{
    fq_directory *dir = calloc(1, sizeof *dir);
    if (dir == NULL) {
        fq_org_free(org);
        return NULL;
    }
    dir->org = org;
    return dir;
}

void fq_directory_free(fq_directory *dir)
{
    if (dir == NULL)
        return;
    node_entry *e, *tmp;
    HASH_ITER(hh, dir->nodes, e, tmp)
    {
        HASH_DEL(dir->nodes, e);
        sodium_memzero(e->node.key, sizeof e->node.key);
        free(e->name);
        free(e);
    }
    fq_org_free(dir->org);
    free(dir);
}

int fq_directory_add_node(fq_directory *dir, const char *id, fq_role role, const char *jurisdiction,
                          const uint8_t key[32], int revoked, char *err, size_t err_len)
{
    if (!fq_valid_id(id)) {
        snprintf(err, err_len, "node id '%s' is not valid", id);
        return -1;
    }
    if (fq_directory_find(dir, id) != NULL) {
        snprintf(err, err_len, "node %s appears twice", id);
        return -1;
    }
    int32_t unit = fq_org_find(dir->org, jurisdiction);
    if (unit < 0) {
        snprintf(err, err_len, "jurisdiction %s of node %s does not exist", jurisdiction, id);
        return -1;
    }
    node_entry *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(e->id, sizeof e->id, "%s", id);
    e->node.id = e->id;
    e->node.name = "";
    e->node.role = role;
    e->node.jurisdiction = unit;
    e->node.revoked = revoked;
    memcpy(e->node.key, key, 32);
    /* Platforms and consoles follow their territory's feed: a district
     * platform the district's, so it sees what becomes of what it reported. */
    if (role == FQ_ROLE_TOWN_PLATFORM || role == FQ_ROLE_DISTRICT_PLATFORM ||
        role == FQ_ROLE_CONSOLE)
        snprintf(e->node.box, sizeof e->node.box, "u:%s", jurisdiction);
    HASH_ADD_STR(dir->nodes, id, e);
    dir->node_count++;
    return 0;
}

int fq_directory_set_serves(fq_directory *dir, const char *id, const char *worker,
                            const char *handler, char *err, size_t err_len)
{
    node_entry *e;
    HASH_FIND_STR(dir->nodes, id, e);
    if (e == NULL) {
        snprintf(err, err_len, "no node %s", id);
        return -1;
    }
    if ((worker[0] != '\0') == (handler[0] != '\0') || e->node.role != FQ_ROLE_TERMINAL) {
        snprintf(err, err_len, "node %s: only a terminal serves, one worker or one unit", id);
        return -1;
    }
    snprintf(e->node.box, sizeof e->node.box, "%s:%s", worker[0] ? "w" : "h",
             worker[0] ? worker : handler);
    return 0;
}

int fq_directory_set_name(fq_directory *dir, const char *id, const char *name, char *err,
                          size_t err_len)
{
    node_entry *e;
    HASH_FIND_STR(dir->nodes, id, e);
    if (e == NULL) {
        snprintf(err, err_len, "no node %s", id);
        return -1;
    }
    char *copy = strdup(name);
    if (copy == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    free(e->name);
    e->name = copy;
    e->node.name = copy;
    return 0;
}

const fq_org *fq_directory_org(const fq_directory *dir)
{
    return dir->org;
}

size_t fq_directory_node_count(const fq_directory *dir)
{
    return dir->node_count;
}

const fq_node *fq_directory_find(const fq_directory *dir, const char *id)
{
    node_entry *e;
    HASH_FIND_STR(dir->nodes, id, e);
    return e ? &e->node : NULL;
}

/* The tier a reporting role's jurisdiction must be; 0 when the role may not
 * report, -1 when any unit will do (a terminal reports where it serves). */
static int reporting_tier(fq_role role)
{
    switch (role) {
    case FQ_ROLE_TOWN_PLATFORM:
        return FQ_UNIT_TOWN;
    case FQ_ROLE_GRID_NODE:
        return FQ_UNIT_GRID;
    case FQ_ROLE_DISTRICT_PLATFORM:
        return FQ_UNIT_DISTRICT;
    case FQ_ROLE_TERMINAL:
        return -1;
    case FQ_ROLE_CONSOLE:
        /* The front desk's cases (fq_policy_may_register_cases): anywhere
         * within the console's jurisdiction, whatever its tier. */
        return -1;
    default:
        return 0;
    }
}

int fq_policy_may_report_at(const fq_directory *dir, const fq_node *node, int32_t unit)
{
    int tier = reporting_tier(node->role);
    if (tier == 0)
        return FQ_EFORBIDDEN;
    if (unit < 0 || (size_t)unit >= fq_org_count(dir->org))
        return FQ_ENOTFOUND;
    /* A district platform's jurisdiction is its district, a town platform's
     * its town, a grid node's its grid: within() covers all three, and a
     * mis-registered node (a town platform bound to a whole district) is
     * refused rather than widened. */
    if (tier > 0 && (int)fq_org_kind(dir->org, node->jurisdiction) != tier)
        return FQ_EOUTSIDE;
    if (!fq_org_within(dir->org, unit, node->jurisdiction))
        return FQ_EOUTSIDE;
    return FQ_OK;
}

int fq_policy_may_report(const fq_directory *dir, const fq_node *node, const char *place_unit,
                         int32_t *place)
{
    *place = -1;
    if (reporting_tier(node->role) == 0)
        return FQ_EFORBIDDEN;
    int32_t unit = fq_org_find(dir->org, place_unit);
    if (unit < 0)
        return FQ_ENOTFOUND;
    *place = unit;
    return fq_policy_may_report_at(dir, node, unit);
}

int fq_policy_may_send_reports(fq_role role)
{
    return reporting_tier(role) != 0 && role != FQ_ROLE_CONSOLE;
}

int fq_policy_may_register_cases(fq_role role)
{
    return role == FQ_ROLE_CONSOLE;
}
