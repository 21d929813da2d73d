/* directory: who may talk to fengqiao and where. One immutable snapshot of
 * the organisation tree and the registered nodes with their (unsealed) keys;
 * the server swaps in a new snapshot when the database says it changed. The
 * policy checks here are pure functions of the snapshot. */
#ifndef FQ_DIRECTORY_H
#define FQ_DIRECTORY_H

#include "fqerr.h"
#include "org.h"

#include <stddef.h>
#include <stdint.h>

typedef enum fq_role {
    FQ_ROLE_TOWN_PLATFORM = 1,
    FQ_ROLE_GRID_NODE = 2,
    FQ_ROLE_TERMINAL = 3,
    FQ_ROLE_CONSOLE = 4,
    FQ_ROLE_ADMIN = 5,
    /* The district's own hotline (12345) and online channels: reports
     * anywhere in its district (its jurisdiction is the district). */
    FQ_ROLE_DISTRICT_PLATFORM = 6,
} fq_role;

typedef struct fq_node {
    const char *id;
    fq_role role;
    int32_t jurisdiction; /* unit index in the snapshot's org tree */
    int revoked;
    uint8_t key[32];
    /* The outbox this node reads (docs/terminals.md): a terminal's worker
     * ("w:<id>") or handling unit ("h:<id>"), a town or district platform's
     * (and a console's) follow feed ("u:<town>", "u:<district>"); empty for
     * other nodes. */
    char box[72];
    /* Who acts through it, by name (a feed item's actor_name): the web
     * account's display name, the served worker's name, else the node's
     * description; "" until fq_directory_set_name. */
    const char *name;
} fq_node;

typedef struct fq_directory fq_directory;

fq_role fq_role_parse(const char *name); /* 0 if unknown */
const char *fq_role_name(fq_role role);

/* Takes ownership of `org` (finished). */
fq_directory *fq_directory_new(fq_org *org);
void fq_directory_free(fq_directory *dir); /* wipes the keys */

int fq_directory_add_node(fq_directory *dir, const char *id, fq_role role, const char *jurisdiction,
                          const uint8_t key[32], int revoked, char *err, size_t err_len);

/* Binds terminal `id` to the worker or the handling unit it serves (one of
 * the two non-empty). */
int fq_directory_set_serves(fq_directory *dir, const char *id, const char *worker,
                            const char *handler, char *err, size_t err_len);

/* Gives node `id` its name (fq_node.name). 0, or -1 with a message. */
int fq_directory_set_name(fq_directory *dir, const char *id, const char *name, char *err,
                          size_t err_len);

const fq_org *fq_directory_org(const fq_directory *dir);
size_t fq_directory_node_count(const fq_directory *dir);

/* The node, revoked or not; NULL when unknown. */
const fq_node *fq_directory_find(const fq_directory *dir, const char *id);

/* fq_policy_may_report: FQ_OK, FQ_EFORBIDDEN (this role may not report),
 * FQ_ENOTFOUND (no such unit), FQ_EOUTSIDE (outside the node's jurisdiction). */

/* May a node of this role send reports at all? (town and district
 * platforms, grid nodes, terminals) */
int fq_policy_may_send_reports(fq_role role);
/* May a node of this role register cases at the front desk — reports made
 * inside the server for a receptionist's web account (docs/front-desk.md),
 * never over the network? (consoles, within their jurisdiction) */
int fq_policy_may_register_cases(fq_role role);

/* May `node` report an incident that happened at `place_unit`? District
 * platforms anywhere in their district; town platforms inside their town;
 * grid nodes inside their grid; terminals (a worker or a unit reporting from
 * the field) inside their jurisdiction. A platform or grid node registered on
 * the wrong tier is refused everywhere. *place gets its index. */
int fq_policy_may_report(const fq_directory *dir, const fq_node *node, const char *place_unit,
                         int32_t *place);

/* The same for a unit already found: the grid a coordinate-only report's
 * point lies in. */
int fq_policy_may_report_at(const fq_directory *dir, const fq_node *node, int32_t unit);

#endif
