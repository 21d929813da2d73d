#include "roster.h"

#include "errbuf.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct handler {
    char id[FQ_ID_MAX_LEN + 1];
    char code[FQ_ID_MAX_LEN + 1];
    char *name; /* NULL: none given */
    fq_handler_kind kind;
    int32_t territory;
    int line;
} handler;

typedef struct worker_row {
    char id[FQ_ID_MAX_LEN + 1];
    char *name; /* NULL: none given */
    int32_t village;
    size_t order; /* insertion order, for a stable sort */
    fq_worker state;
} worker_row;

typedef struct id_entry {
    const char *id;
    int32_t index;
    UT_hash_handle hh;
} id_entry;

struct fq_roster {
    const fq_org *org;
    handler *handlers;
    size_t n_handlers, cap_handlers;
    worker_row *rows; /* workers as added; sorted by (village, grid) in finish */
    size_t n_workers, cap_workers;
    fq_worker *workers; /* hot state, in the sorted order */
    id_entry *handler_ids, *worker_ids;
    id_entry *id_entries; /* storage of both tables */
    /* per org unit (x4 for lines) */
    int32_t *center, *district_line, *town_line, *village_handler;
    int32_t *grid_first, *grid_count, *village_first, *village_count;
    int finished;
};

fq_handler_kind fq_handler_kind_parse(const char *name)
{
    static const char *names[] = {"center", "department", "town_line", "village"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return (fq_handler_kind)(i + 1);
    return 0;
}

const char *fq_handler_kind_name(fq_handler_kind kind)
{
    switch (kind) {
    case FQ_HANDLER_CENTER:
        return "center";
    case FQ_HANDLER_DEPARTMENT:
        return "department";
    case FQ_HANDLER_TOWN_LINE:
        return "town_line";
    case FQ_HANDLER_VILLAGE:
        return "village";
    }
    return "unknown";
}

fq_roster *fq_roster_new(const fq_org *org)
{
    fq_roster *r = calloc(1, sizeof *r);
    if (r != NULL)
        r->org = org;
    return r;
}

void fq_roster_free(fq_roster *r)
{
    if (r == NULL)
        return;
    HASH_CLEAR(hh, r->handler_ids);
    HASH_CLEAR(hh, r->worker_ids);
    free(r->id_entries);
    for (size_t i = 0; i < r->n_handlers; i++)
        free(r->handlers[i].name);
    for (size_t i = 0; i < r->n_workers; i++)
        free(r->rows[i].name);
    free(r->handlers);
    free(r->rows);
    free(r->workers);
    free(r->center);
    free(r->district_line);
    free(r->town_line);
    free(r->village_handler);
    free(r->grid_first);
    free(r->grid_count);
    free(r->village_first);
    free(r->village_count);
    free(r);
}

static int grow(void **array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 256;
    void *grown = realloc(*array, n * size);
    if (grown == NULL)
        return -1;
    *array = grown;
    *cap = n;
    return 0;
}

int fq_roster_add_handler(fq_roster *r, const char *id, fq_handler_kind kind, const char *territory,
                          int line, const char *code, char *err, size_t err_len)
{
    if (r->finished)
        return fq_errf(err, err_len, "roster already finished");
    if (!fq_valid_id(id))
        return fq_errf(err, err_len, "handler id '%s' is not valid", id);
    int32_t unit = fq_org_find(r->org, territory);
    if (unit < 0)
        return fq_errf(err, err_len, "territory %s of handler %s does not exist", territory, id);
    static const fq_unit_kind expected[] = {0, FQ_UNIT_DISTRICT, FQ_UNIT_DISTRICT, FQ_UNIT_TOWN,
                                            FQ_UNIT_VILLAGE};
    if (kind < FQ_HANDLER_CENTER || kind > FQ_HANDLER_VILLAGE)
        return fq_errf(err, err_len, "handler %s has no valid kind", id);
    if (fq_org_kind(r->org, unit) != expected[kind])
        return fq_errf(err, err_len, "a %s's territory must be a %s; %s is a %s",
                       fq_handler_kind_name(kind), fq_unit_kind_name(expected[kind]), territory,
                       fq_unit_kind_name(fq_org_kind(r->org, unit)));
    if (kind == FQ_HANDLER_TOWN_LINE && (line < 0 || line >= FQ_LINE_COUNT))
        return fq_errf(err, err_len, "town line %s needs a line", id);
    if (kind == FQ_HANDLER_DEPARTMENT && (code == NULL || !fq_valid_id(code)))
        return fq_errf(err, err_len, "department %s needs a valid code", id);
    if (line < -1 || line >= FQ_LINE_COUNT)
        return fq_errf(err, err_len, "handler %s has an unknown line", id);
    if (grow((void **)&r->handlers, &r->cap_handlers, r->n_handlers, sizeof *r->handlers) != 0)
        return fq_errf(err, err_len, "out of memory");
    handler *h = &r->handlers[r->n_handlers++];
    memset(h, 0, sizeof *h);
    snprintf(h->id, sizeof h->id, "%s", id);
    snprintf(h->code, sizeof h->code, "%s", code ? code : "");
    h->kind = kind;
    h->territory = unit;
    h->line = (kind == FQ_HANDLER_TOWN_LINE || kind == FQ_HANDLER_DEPARTMENT) ? line : -1;
    return 0;
}

int fq_roster_add_worker(fq_roster *r, const char *id, const char *grid, unsigned capacity,
                         int on_duty, unsigned load, char *err, size_t err_len)
{
    if (r->finished)
        return fq_errf(err, err_len, "roster already finished");
    if (!fq_valid_id(id))
        return fq_errf(err, err_len, "worker id '%s' is not valid", id);
    int32_t unit = fq_org_find(r->org, grid);
    if (unit < 0 || fq_org_kind(r->org, unit) != FQ_UNIT_GRID)
        return fq_errf(err, err_len, "grid %s of worker %s does not exist", grid, id);
    if (capacity == 0 || capacity > UINT16_MAX || load > UINT16_MAX)
        return fq_errf(err, err_len, "worker %s: capacity must be 1-65535", id);
    if (grow((void **)&r->rows, &r->cap_workers, r->n_workers, sizeof *r->rows) != 0)
        return fq_errf(err, err_len, "out of memory");
    worker_row *w = &r->rows[r->n_workers];
    memset(w, 0, sizeof *w);
    snprintf(w->id, sizeof w->id, "%s", id);
    w->village = fq_org_parent(r->org, unit);
    w->order = r->n_workers++;
    w->state.grid = unit;
    w->state.capacity = (uint16_t)capacity;
    w->state.load = (uint16_t)load;
    w->state.on_duty = on_duty ? 1 : 0;
    return 0;
}

static int compare_workers(const void *a, const void *b)
{
    const worker_row *x = a, *y = b;
    if (x->village != y->village)
        return x->village < y->village ? -1 : 1;
    if (x->state.grid != y->state.grid)
        return x->state.grid < y->state.grid ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static int32_t *filled(size_t n)
{
    int32_t *a = malloc((n ? n : 1) * sizeof *a);
    if (a != NULL)
        for (size_t i = 0; i < n; i++)
            a[i] = -1;
    return a;
}

static int index_ids(fq_roster *r, char *err, size_t err_len)
{
    r->id_entries = calloc(r->n_handlers + r->n_workers + 1, sizeof *r->id_entries);
    if (r->id_entries == NULL)
        return fq_errf(err, err_len, "out of memory");
    id_entry *e = r->id_entries, *found;
    for (size_t i = 0; i < r->n_handlers; i++, e++) {
        e->id = r->handlers[i].id;
        e->index = (int32_t)i;
        HASH_FIND_STR(r->handler_ids, e->id, found);
        if (found)
            return fq_errf(err, err_len, "handler %s appears twice", e->id);
        HASH_ADD_KEYPTR(hh, r->handler_ids, e->id, strlen(e->id), e);
    }
    for (size_t i = 0; i < r->n_workers; i++, e++) {
        e->id = r->rows[i].id;
        e->index = (int32_t)i;
        HASH_FIND_STR(r->worker_ids, e->id, found);
        if (found)
            return fq_errf(err, err_len, "worker %s appears twice", e->id);
        HASH_ADD_KEYPTR(hh, r->worker_ids, e->id, strlen(e->id), e);
    }
    return 0;
}

int fq_roster_finish(fq_roster *r, char *err, size_t err_len)
{
    size_t units = fq_org_count(r->org);
    r->center = filled(units);
    r->district_line = filled(units * FQ_LINE_COUNT);
    r->town_line = filled(units * FQ_LINE_COUNT);
    r->village_handler = filled(units);
    r->grid_first = filled(units);
    r->grid_count = calloc(units ? units : 1, sizeof *r->grid_count);
    r->village_first = filled(units);
    r->village_count = calloc(units ? units : 1, sizeof *r->village_count);
    r->workers = malloc((r->n_workers ? r->n_workers : 1) * sizeof *r->workers);
    if (!r->center || !r->district_line || !r->town_line || !r->village_handler || !r->grid_first ||
        !r->grid_count || !r->village_first || !r->village_count || !r->workers)
        return fq_errf(err, err_len, "out of memory");
    for (size_t i = 0; i < r->n_handlers; i++) {
        const handler *h = &r->handlers[i];
        int32_t *slot = NULL;
        switch (h->kind) {
        case FQ_HANDLER_CENTER:
            slot = &r->center[h->territory];
            break;
        case FQ_HANDLER_DEPARTMENT:
            if (h->line >= 0)
                slot = &r->district_line[(size_t)h->territory * FQ_LINE_COUNT + (size_t)h->line];
            break;
        case FQ_HANDLER_TOWN_LINE:
            slot = &r->town_line[(size_t)h->territory * FQ_LINE_COUNT + (size_t)h->line];
            break;
        case FQ_HANDLER_VILLAGE:
            slot = &r->village_handler[h->territory];
            break;
        }
        if (slot == NULL)
            continue;
        if (*slot >= 0)
            return fq_errf(err, err_len, "%s and %s hold the same post in %s",
                           r->handlers[*slot].id, h->id, fq_org_id(r->org, h->territory));
        *slot = (int32_t)i;
    }
    /* Workers of one village, and within it of one grid, sit side by side. */
    if (r->n_workers > 0)
        qsort(r->rows, r->n_workers, sizeof *r->rows, compare_workers);
    for (size_t i = 0; i < r->n_workers; i++) {
        const worker_row *w = &r->rows[i];
        r->workers[i] = w->state;
        if (r->grid_first[w->state.grid] < 0)
            r->grid_first[w->state.grid] = (int32_t)i;
        r->grid_count[w->state.grid]++;
        if (w->village >= 0) {
            if (r->village_first[w->village] < 0)
                r->village_first[w->village] = (int32_t)i;
            r->village_count[w->village]++;
        }
    }
    if (index_ids(r, err, err_len) != 0)
        return -1;
    r->finished = 1;
    return 0;
}

size_t fq_roster_handler_count(const fq_roster *r)
{
    return r->n_handlers;
}

size_t fq_roster_worker_count(const fq_roster *r)
{
    return r->n_workers;
}

const char *fq_roster_handler_id(const fq_roster *r, int32_t h)
{
    return r->handlers[h].id;
}

fq_handler_kind fq_roster_handler_kind(const fq_roster *r, int32_t h)
{
    return r->handlers[h].kind;
}

int32_t fq_roster_handler_territory(const fq_roster *r, int32_t h)
{
    return r->handlers[h].territory;
}

int32_t fq_roster_find_handler(const fq_roster *r, const char *id)
{
    id_entry *e;
    HASH_FIND_STR(r->handler_ids, id, e);
    return e ? e->index : -1;
}

const char *fq_roster_worker_id(const fq_roster *r, int32_t w)
{
    return r->rows[w].id;
}

int32_t fq_roster_find_worker(const fq_roster *r, const char *id)
{
    id_entry *e;
    HASH_FIND_STR(r->worker_ids, id, e);
    return e ? e->index : -1;
}

int32_t fq_roster_center(const fq_roster *r, int32_t district)
{
    return district >= 0 ? r->center[district] : -1;
}

int32_t fq_roster_district_line(const fq_roster *r, int32_t district, fq_line line)
{
    return district >= 0 ? r->district_line[(size_t)district * FQ_LINE_COUNT + line] : -1;
}

int32_t fq_roster_department(const fq_roster *r, int32_t district, const char *code)
{
    for (size_t i = 0; i < r->n_handlers; i++)
        if (r->handlers[i].kind == FQ_HANDLER_DEPARTMENT && r->handlers[i].territory == district &&
            strcmp(r->handlers[i].code, code) == 0)
            return (int32_t)i;
    return -1;
}

int32_t fq_roster_town_line(const fq_roster *r, int32_t town, fq_line line)
{
    return town >= 0 ? r->town_line[(size_t)town * FQ_LINE_COUNT + line] : -1;
}

int32_t fq_roster_village(const fq_roster *r, int32_t village)
{
    return village >= 0 ? r->village_handler[village] : -1;
}

size_t fq_roster_grid_workers(const fq_roster *r, int32_t grid, int32_t *first)
{
    *first = grid >= 0 ? r->grid_first[grid] : -1;
    return grid >= 0 ? (size_t)r->grid_count[grid] : 0;
}

size_t fq_roster_village_workers(const fq_roster *r, int32_t village, int32_t *first)
{
    *first = village >= 0 ? r->village_first[village] : -1;
    return village >= 0 ? (size_t)r->village_count[village] : 0;
}

fq_worker *fq_roster_worker(fq_roster *r, int32_t w)
{
    return &r->workers[w];
}

const fq_worker *fq_roster_worker_const(const fq_roster *r, int32_t w)
{
    return &r->workers[w];
}

static int set_name(char **slot, const char *name)
{
    char *copy = strdup(name);
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

int fq_roster_set_handler_name(fq_roster *r, size_t added, const char *name)
{
    return added < r->n_handlers ? set_name(&r->handlers[added].name, name) : -1;
}

int fq_roster_set_worker_name(fq_roster *r, size_t added, const char *name)
{
    return added < r->n_workers && !r->finished ? set_name(&r->rows[added].name, name) : -1;
}

const char *fq_roster_handler_name(const fq_roster *r, int32_t h)
{
    const handler *x = &r->handlers[h];
    return x->name != NULL && x->name[0] != '\0' ? x->name : x->id;
}

const char *fq_roster_worker_name(const fq_roster *r, int32_t w)
{
    const worker_row *x = &r->rows[w];
    return x->name != NULL && x->name[0] != '\0' ? x->name : x->id;
}

size_t fq_roster_names_memory(const fq_roster *r)
{
    size_t bytes = 0;
    for (size_t i = 0; i < r->n_handlers; i++)
        bytes += r->handlers[i].name ? strlen(r->handlers[i].name) + 1 : 0;
    for (size_t i = 0; i < r->n_workers; i++)
        bytes += r->rows[i].name ? strlen(r->rows[i].name) + 1 : 0;
    return bytes;
}

size_t fq_roster_memory(const fq_roster *r)
{
    size_t units = fq_org_count(r->org);
    return fq_roster_names_memory(r) + sizeof *r + r->cap_handlers * sizeof *r->handlers +
           r->cap_workers * sizeof *r->rows + r->n_workers * sizeof *r->workers +
           (r->n_handlers + r->n_workers) * sizeof *r->id_entries +
           units * sizeof(int32_t) * (2 * FQ_LINE_COUNT + 6);
}
