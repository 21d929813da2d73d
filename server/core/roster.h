/* roster: who handles incidents. The handling units — the district command
 * center, district departments (each with a code and possibly a line), each
 * town's four platform lines, village/community units — and the grid workers
 * with their duty state, load and capacity. Built from rows against an
 * organisation tree, then indexed so that the router finds "the market line
 * of this town" or "the workers of this grid" with array loads. Worker duty
 * and load change at run time; everything else is rebuilt on change. */
#ifndef FQ_ROSTER_H
#define FQ_ROSTER_H

#include "org.h"
#include "taxonomy.h"

#include <stddef.h>
#include <stdint.h>

typedef enum fq_handler_kind {
    FQ_HANDLER_CENTER = 1,     /* the district's social-governance command center */
    FQ_HANDLER_DEPARTMENT = 2, /* a district department (public security, market regulation …) */
    FQ_HANDLER_TOWN_LINE = 3,  /* one of a town's four platforms */
    FQ_HANDLER_VILLAGE = 4,    /* a village or community unit */
} fq_handler_kind;

typedef struct fq_worker {
    int32_t grid;      /* org unit index of the grid */
    uint16_t load;     /* open assignments */
    uint16_t capacity; /* at most this many at once */
    uint8_t on_duty;   /* as the operator set it (the database) */
    uint8_t absent;    /* their terminal fell silent (run-time presence) */
} fq_worker;

typedef struct fq_roster fq_roster;

/* The org tree is borrowed and must outlive the roster. */
fq_roster *fq_roster_new(const fq_org *org);
void fq_roster_free(fq_roster *r);

fq_handler_kind fq_handler_kind_parse(const char *name); /* 0 when unknown */
const char *fq_handler_kind_name(fq_handler_kind kind);

/* territory: a district for CENTER and DEPARTMENT, a town for TOWN_LINE, a
 * village for VILLAGE. line: required for TOWN_LINE; for a DEPARTMENT the
 * line it leads at district level, or -1. code: a DEPARTMENT's code. */
int fq_roster_add_handler(fq_roster *r, const char *id, fq_handler_kind kind, const char *territory,
                          int line, const char *code, char *err, size_t err_len);
int fq_roster_add_worker(fq_roster *r, const char *id, const char *grid, unsigned capacity,
                         int on_duty, unsigned load, char *err, size_t err_len);
/* Display names (西湖区社会治理综合服务中心, 王某), by the index in the order
 * added: handlers at any time, workers before fq_roster_finish (which sorts
 * them). One without a name is named by its id. 0, or -1 when out of memory. */
int fq_roster_set_handler_name(fq_roster *r, size_t added, const char *name);
int fq_roster_set_worker_name(fq_roster *r, size_t added, const char *name);
/* Builds the indices; checks one center per district, one handler per
 * (town, line), at most one department leading each line per district. */
int fq_roster_finish(fq_roster *r, char *err, size_t err_len);

size_t fq_roster_handler_count(const fq_roster *r);
size_t fq_roster_worker_count(const fq_roster *r);
const char *fq_roster_handler_id(const fq_roster *r, int32_t handler);
fq_handler_kind fq_roster_handler_kind(const fq_roster *r, int32_t handler);
int32_t fq_roster_handler_territory(const fq_roster *r, int32_t handler);
int32_t fq_roster_find_handler(const fq_roster *r, const char *id);
const char *fq_roster_worker_id(const fq_roster *r, int32_t worker);
int32_t fq_roster_find_worker(const fq_roster *r, const char *id);
const char *fq_roster_handler_name(const fq_roster *r, int32_t handler);
const char *fq_roster_worker_name(const fq_roster *r, int32_t worker);

/* -1 where none. */
int32_t fq_roster_center(const fq_roster *r, int32_t district);
int32_t fq_roster_district_line(const fq_roster *r, int32_t district, fq_line line);
int32_t fq_roster_department(const fq_roster *r, int32_t district, const char *code);
int32_t fq_roster_town_line(const fq_roster *r, int32_t town, fq_line line);
int32_t fq_roster_village(const fq_roster *r, int32_t village);

/* Workers of a grid or of all grids of a village: a contiguous range of
 * worker indices [*first, *first + return value). */
size_t fq_roster_grid_workers(const fq_roster *r, int32_t grid, int32_t *first);
size_t fq_roster_village_workers(const fq_roster *r, int32_t village, int32_t *first);

/* Mutable per-worker state (duty, load). */
fq_worker *fq_roster_worker(fq_roster *r, int32_t worker);
const fq_worker *fq_roster_worker_const(const fq_roster *r, int32_t worker);

/* Bytes held, for the benchmark, the display names included; and the names
 * alone. */
size_t fq_roster_memory(const fq_roster *r);
size_t fq_roster_names_memory(const fq_roster *r);

#endif
