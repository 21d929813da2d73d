/* dedup: a pool of entries (slot indices, free list), three open-addressing
 * tables over it (id -> slot; (category, cell) -> list of slots; (category,
 * place) -> list of slots) and an fq_deadlines heap for expiry. See dedup.h
 * for the rule. */
#include "dedup.h"
#include "hugepages.h"

#include "deadlines.h"
#include "errbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EARTH_RADIUS_M 6371008.8
#define DEG (3.14159265358979323846 / 180.0)
#define NIL UINT32_MAX
/* Slack for rounding: bounds derived from the threshold are widened by this
 * much (relative), far more than the few ulps of error in the arithmetic and
 * far less than anything that matters on the ground. */
#define SLACK 1e-6

/* An entry is free when id == 0; a free entry's cell_next links the free
 * list. Lists hang from the tables by their head slot; prev == NIL marks the
 * head, so unlinking it means updating the table. */
typedef struct entry {
    uint64_t id;
    double lon, lat; /* degrees */
    double cos_lat;  /* cached for the haversine */
    int64_t at_ms;
    fq_deadline_id expiry;
    int32_t category;
    int32_t place;
    int32_t town;
    int32_t cx, cy; /* cell, when has_location */
    uint32_t cell_next, cell_prev;
    uint32_t place_next, place_prev;
    uint8_t has_location;
} entry;

/* A bucket of the cell or place table: key (a, b, c) and the head of its
 * list; head == NIL marks an empty bucket. Cells: (category, cx, cy);
 * places: (category, place, 0). */
typedef struct bucket {
    int32_t a, b, c;
    uint32_t head;
} bucket;

typedef struct btable {
    bucket *b;
    size_t cap; /* power of two, or 0 */
    size_t count;
} btable;

struct fq_dedup {
    fq_dedup_config cfg;
    double h_max;    /* haversine h at distance_m, widened by SLACK: prefilter */
    double cell_lat; /* degrees */
    double cell_lon; /* degrees, 360 / n_lon */
    int32_t n_lon;
    int32_t n_lat_cells; /* rows scanned either side (1 by construction) */

    entry *entries;
    size_t cap;  /* entries allocated */
    size_t used; /* entries ever handed out; the rest is fresh */
    size_t count;
    uint32_t free_head;

    uint32_t *ids; /* id table: slot or NIL; key is entries[slot].id */
    size_t ids_cap;

    btable cells, places;
    fq_deadlines *expiry;
};

/* ---- hashing ---- */

static inline uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t hash3(int32_t a, int32_t b, int32_t c)
{
    uint64_t k = (uint64_t)(uint32_t)a * 0x9e3779b97f4a7c15ULL;
    return mix64(k ^ ((uint64_t)(uint32_t)b << 32 | (uint32_t)c));
}

/* ---- the bucket tables (linear probing, load <= 1/2, backward-shift delete) ---- */

static inline size_t bt_find(const btable *t, int32_t a, int32_t b, int32_t c)
{
    if (t->cap == 0)
        return SIZE_MAX;
    size_t mask = t->cap - 1;
    for (size_t i = hash3(a, b, c) & mask;; i = (i + 1) & mask) {
        const bucket *k = &t->b[i];
        if (k->head == NIL)
            return SIZE_MAX;
        if (k->a == a && k->b == b && k->c == c)
            return i;
    }
}

/* The empty bucket where (a, b, c) goes; the key must be absent and there
 * must be room. */
static inline size_t bt_slot_for(const btable *t, int32_t a, int32_t b, int32_t c)
{
    size_t mask = t->cap - 1;
    size_t i = hash3(a, b, c) & mask;
    while (t->b[i].head != NIL)
        i = (i + 1) & mask;
    return i;
}

/* Room for one more key. */
static int bt_reserve(btable *t)
{
    if ((t->count + 1) * 2 <= t->cap)
        return 0;
    size_t ncap = t->cap ? t->cap * 2 : 64;
    bucket *nb = malloc(ncap * sizeof *nb);
    if (!nb)
        return -1;
    for (size_t i = 0; i < ncap; i++)
        nb[i].head = NIL;
    btable n = {nb, ncap, t->count};
    for (size_t i = 0; i < t->cap; i++) {
        if (t->b[i].head != NIL)
            n.b[bt_slot_for(&n, t->b[i].a, t->b[i].b, t->b[i].c)] = t->b[i];
    }
    free(t->b);
    *t = n;
    return 0;
}

static void bt_delete_at(btable *t, size_t i)
{
    size_t mask = t->cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (t->b[j].head == NIL)
            break;
        size_t home = hash3(t->b[j].a, t->b[j].b, t->b[j].c) & mask;
        /* j's key may move back to i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            t->b[i] = t->b[j];
            i = j;
        }
    }
    t->b[i].head = NIL;
    t->count--;
}

/* ---- the id table (slots only; the key is read from the entry) ---- */

static size_t id_find(const fq_dedup *d, uint64_t id)
{
    if (d->ids_cap == 0)
        return SIZE_MAX;
    size_t mask = d->ids_cap - 1;
    for (size_t i = mix64(id) & mask;; i = (i + 1) & mask) {
        uint32_t s = d->ids[i];
        if (s == NIL)
            return SIZE_MAX;
        if (d->entries[s].id == id)
            return i;
    }
}

static void id_put(uint32_t *ids, size_t cap, uint64_t id, uint32_t slot)
{
    size_t mask = cap - 1;
    size_t i = mix64(id) & mask;
    while (ids[i] != NIL)
        i = (i + 1) & mask;
    ids[i] = slot;
}

static int id_reserve(fq_dedup *d)
{
    if ((d->count + 1) * 2 <= d->ids_cap)
        return 0;
    size_t ncap = d->ids_cap ? d->ids_cap * 2 : 64;
    uint32_t *n = malloc(ncap * sizeof *n);
    if (!n)
        return -1;
    memset(n, 0xff, ncap * sizeof *n);
    for (size_t i = 0; i < d->ids_cap; i++) {
        if (d->ids[i] != NIL)
            id_put(n, ncap, d->entries[d->ids[i]].id, d->ids[i]);
    }
    free(d->ids);
    d->ids = n;
    d->ids_cap = ncap;
    return 0;
}

static void id_delete_at(fq_dedup *d, size_t i)
{
    size_t mask = d->ids_cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (d->ids[j] == NIL)
            break;
        size_t home = mix64(d->entries[d->ids[j]].id) & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            d->ids[i] = d->ids[j];
            i = j;
        }
    }
    d->ids[i] = NIL;
}

/* ---- geometry ---- */

/* sin^2 of half the angle between two points, lat/lon in degrees; the cosines
 * of the latitudes are passed in so that entries can cache theirs. */
static inline double haversine_h(double lon1, double lat1, double cos1, double lon2, double lat2,
                                 double cos2)
{
    double dlon = lon2 - lon1;
    if (dlon > 180.0)
        dlon -= 360.0;
    else if (dlon < -180.0)
        dlon += 360.0;
    double sy = sin((lat2 - lat1) * (DEG / 2));
    double sx = sin(dlon * (DEG / 2));
    double h = sy * sy + cos1 * cos2 * sx * sx;
    return h > 1.0 ? 1.0 : h;
}

static inline double h_to_m(double h)
{
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(h));
}

double fq_dedup_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    return h_to_m(haversine_h(lon1, lat1, cos(lat1 * DEG), lon2, lat2, cos(lat2 * DEG)));
}

static int valid_point(double lon, double lat)
{
    return isfinite(lon) && isfinite(lat) && lon >= -180.0 && lon <= 180.0 &&
           lat >= -FQ_DEDUP_MAX_LAT && lat <= FQ_DEDUP_MAX_LAT;
}

static inline int32_t cell_x(const fq_dedup *d, double lon)
{
    int32_t x = (int32_t)floor((lon + 180.0) / d->cell_lon);
    if (x >= d->n_lon)
        x -= d->n_lon; /* lon 180 is lon -180 */
    return x < 0 ? 0 : x;
}

static inline int32_t cell_y(const fq_dedup *d, double lat)
{
    return (int32_t)floor((lat + 90.0) / d->cell_lat);
}

/* How many longitude cells either side of a query at lat may hold a match:
 * h >= cos(lat1) cos(lat2) hav(dlon) and |lat2 - lat1| <= the latitude span,
 * so hav(dlon) <= h_max / (cos lat1 * cos(farthest lat2)). Returns n_lon (or
 * more) when every cell of the row must be scanned. */
static int32_t lon_reach(const fq_dedup *d, double lat)
{
    double span_lat = 2.0 * asin(sqrt(d->h_max)) / DEG;
    double far = fabs(lat) + span_lat;
    if (far > FQ_DEDUP_MAX_LAT)
        far = FQ_DEDUP_MAX_LAT; /* no entry lies beyond */
    double q = d->h_max / (cos(lat * DEG) * cos(far * DEG));
    if (!(q < 1.0))
        return d->n_lon;
    double span = 2.0 * asin(sqrt(q)) / DEG;
    span = span * (1 + SLACK) + 1e-9;
    double k = floor(span / d->cell_lon) + 1;
    return k >= d->n_lon ? d->n_lon : (int32_t)k;
}

/* ---- life cycle ---- */

fq_dedup *fq_dedup_new(const fq_dedup_config *config, char *err, size_t err_len)
{
    if (!config || !(config->distance_m >= FQ_DEDUP_MIN_DISTANCE_M) ||
        !(config->distance_m <= FQ_DEDUP_MAX_DISTANCE_M)) {
        fq_errf(err, err_len, "dedup distance must be %g..%g m", FQ_DEDUP_MIN_DISTANCE_M,
                FQ_DEDUP_MAX_DISTANCE_M);
        return NULL;
    }
    if (config->window_ms < 0) {
        fq_errf(err, err_len, "dedup window must be >= 0 ms");
        return NULL;
    }
    if (config->max_backdate_ms < 0) {
        fq_errf(err, err_len, "dedup back-dating bound must be >= 0 ms");
        return NULL;
    }
    if (!(fabs(config->reference_lat) <= FQ_DEDUP_MAX_LAT)) {
        fq_errf(err, err_len, "dedup reference latitude must be within +-%g degrees",
                FQ_DEDUP_MAX_LAT);
        return NULL;
    }
    fq_dedup *d = calloc(1, sizeof *d);
    if (!d || !(d->expiry = fq_deadlines_new(0))) {
        free(d);
        fq_errf(err, err_len, "out of memory");
        return NULL;
    }
    d->cfg = *config;
    double s = sin(config->distance_m / (2.0 * EARTH_RADIUS_M));
    d->h_max = s * s * (1 + SLACK);
    /* A row of cells is taller than the widest latitude difference a match
     * can have, so one row either side always suffices. */
    double span_lat = 2.0 * asin(sqrt(d->h_max)) / DEG;
    d->cell_lat = span_lat * (1 + SLACK) + 1e-9;
    d->n_lat_cells = 1;
    double raw_lon = d->cell_lat / cos(config->reference_lat * DEG);
    double n = floor(360.0 / raw_lon);
    d->n_lon = n < 1 ? 1 : (int32_t)n;
    d->cell_lon = 360.0 / d->n_lon;
    d->free_head = NIL;
    return d;
}

void fq_dedup_free(fq_dedup *d)
{
    if (!d)
        return;
    free(d->entries);
    free(d->ids);
    free(d->cells.b);
    free(d->places.b);
    fq_deadlines_free(d->expiry);
    free(d);
}

size_t fq_dedup_count(const fq_dedup *d)
{
    return d->count;
}

size_t fq_dedup_memory(const fq_dedup *d)
{
    return sizeof *d + d->cap * sizeof(entry) + d->ids_cap * sizeof(uint32_t) +
           (d->cells.cap + d->places.cap) * sizeof(bucket) + fq_deadlines_memory(d->expiry);
}

/* ---- add / remove ---- */

static int entries_reserve(fq_dedup *d)
{
    if (d->free_head != NIL || d->used < d->cap)
        return 0;
    if (d->cap >= NIL)
        return -1;
    size_t ncap = d->cap ? d->cap * 2 : 64;
    if (ncap > NIL)
        ncap = NIL;
    entry *n = realloc(d->entries, ncap * sizeof *n);
    if (!n)
        return -1;
    d->entries = n;
    d->cap = ncap;
    return 0;
}

void fq_dedup_prefetch(const fq_dedup *d, uint64_t id)
{
    if (d->ids_cap > 0)
        __builtin_prefetch(&d->ids[mix64(id) & (d->ids_cap - 1)], 1);
}

size_t fq_dedup_ahead(const fq_dedup *d, size_t n, fq_span out[4])
{
    size_t k = 0;
    size_t e0 = d->used, e1 = e0 + n < d->cap ? e0 + n : d->cap;
    if (e1 > e0)
        out[k++] = (fq_span){d->entries + e0, (e1 - e0) * sizeof(entry)};
    return k + fq_deadlines_ahead(d->expiry, n, out + k);
}

int fq_dedup_reserve(fq_dedup *d, size_t n)
{
    size_t free_slots = d->used - d->count; /* on the free list */
    if (n > NIL - d->count)
        return FQ_ENOMEM;
    size_t want = d->count + n;
    if (n > free_slots && d->used + (n - free_slots) > d->cap) {
        size_t ncap = d->used + (n - free_slots);
        entry *e = realloc(d->entries, ncap * sizeof *e);
        if (!e)
            return FQ_ENOMEM;
        d->entries = e;
        d->cap = ncap;
        fq_advise_huge(e, ncap * sizeof *e);
    }
    if (want * 2 > d->ids_cap) {
        size_t ncap = d->ids_cap ? d->ids_cap : 64;
        while (ncap < want * 2)
            ncap *= 2;
        uint32_t *t = malloc(ncap * sizeof *t);
        if (!t)
            return FQ_ENOMEM;
        fq_advise_huge(t, ncap * sizeof *t);
        memset(t, 0xff, ncap * sizeof *t);
        for (size_t i = 0; i < d->ids_cap; i++) {
            if (d->ids[i] != NIL)
                id_put(t, ncap, d->entries[d->ids[i]].id, d->ids[i]);
        }
        free(d->ids);
        d->ids = t;
        d->ids_cap = ncap;
    }
    /* Every entry has its expiry pending; the adds that follow are a bulk
     * load, ordered in one pass when the expiry is next read. */
    if (fq_deadlines_reserve(d->expiry, want) != 0)
        return FQ_ENOMEM;
    fq_deadlines_defer(d->expiry);
    return FQ_OK;
}

/* Links slot s at the head of the list in bucket (a, b, c); room is reserved. */
static void list_push(fq_dedup *d, btable *t, int cell, uint32_t s, int32_t a, int32_t b, int32_t c)
{
    entry *e = &d->entries[s];
    size_t i = bt_find(t, a, b, c);
    uint32_t old = NIL;
    if (i == SIZE_MAX) {
        i = bt_slot_for(t, a, b, c);
        t->b[i] = (bucket){a, b, c, s};
        t->count++;
    } else {
        old = t->b[i].head;
        t->b[i].head = s;
    }
    if (cell) {
        e->cell_prev = NIL;
        e->cell_next = old;
        if (old != NIL)
            d->entries[old].cell_prev = s;
    } else {
        e->place_prev = NIL;
        e->place_next = old;
        if (old != NIL)
            d->entries[old].place_prev = s;
    }
}

static void list_unlink(fq_dedup *d, btable *t, int cell, uint32_t s, int32_t a, int32_t b,
                        int32_t c)
{
    entry *e = &d->entries[s];
    uint32_t prev = cell ? e->cell_prev : e->place_prev;
    uint32_t next = cell ? e->cell_next : e->place_next;
    if (next != NIL) {
        if (cell)
            d->entries[next].cell_prev = prev;
        else
            d->entries[next].place_prev = prev;
    }
    if (prev != NIL) {
        if (cell)
            d->entries[prev].cell_next = next;
        else
            d->entries[prev].place_next = next;
        return;
    }
    size_t i = bt_find(t, a, b, c); /* s is the head: the bucket exists */
    if (next != NIL)
        t->b[i].head = next;
    else
        bt_delete_at(t, i);
}

/* a + b, saturating at the int64 range (b >= 0). */
static inline int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static inline int64_t sub_sat(int64_t a, int64_t b)
{
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

int64_t fq_dedup_incident_time(int64_t occurred_ms, int64_t intake_ms)
{
    return occurred_ms != 0 && occurred_ms <= intake_ms ? occurred_ms : intake_ms;
}

/* How long after its incident time an entry may still be matched (as
 * intake time): a query may be back-dated by max_backdate_ms and then
 * reaches window_ms further back. */
static inline int64_t reach_ms(const fq_dedup *d)
{
    return add_sat(d->cfg.max_backdate_ms, d->cfg.window_ms);
}

int fq_dedup_add(fq_dedup *d, uint64_t id, int category, int has_location, double lon, double lat,
                 int32_t place, int32_t town, int64_t at_ms)
{
    if (id == 0 || category < 0 || (has_location && !valid_point(lon, lat)))
        return FQ_EINVALID;
    if (id_find(d, id) != SIZE_MAX)
        return FQ_EEXIST;
    /* Reserve everything first so that a failure leaves d as it was. */
    if (entries_reserve(d) || id_reserve(d) || (has_location && bt_reserve(&d->cells)) ||
        (place >= 0 && bt_reserve(&d->places)))
        return FQ_ENOMEM;
    uint32_t s = d->free_head != NIL ? d->free_head : (uint32_t)d->used;
    /* Expired once now_ms - reach > at_ms, i.e. due at at_ms + reach + 1
     * (never, when that overflows: fq_dedup_expire stops short of INT64_MAX). */
    int64_t due = add_sat(add_sat(at_ms, reach_ms(d)), 1);
    fq_deadline_id x = fq_deadlines_add(d->expiry, due, s, 0);
    if (x == 0)
        return FQ_ENOMEM;

    if (s == d->free_head)
        d->free_head = d->entries[s].cell_next;
    else
        d->used++;
    entry *e = &d->entries[s];
    *e = (entry){.id = id,
                 .at_ms = at_ms,
                 .expiry = x,
                 .category = category,
                 .place = place < 0 ? -1 : place,
                 .town = town < 0 ? -1 : town,
                 .cell_next = NIL,
                 .cell_prev = NIL,
                 .place_next = NIL,
                 .place_prev = NIL,
                 .has_location = has_location ? 1 : 0};
    if (has_location) {
        e->lon = lon;
        e->lat = lat;
        e->cos_lat = cos(lat * DEG);
        e->cx = cell_x(d, lon);
        e->cy = cell_y(d, lat);
        list_push(d, &d->cells, 1, s, category, e->cx, e->cy);
    }
    if (e->place >= 0)
        list_push(d, &d->places, 0, s, category, e->place, 0);
    id_put(d->ids, d->ids_cap, id, s);
    d->count++;
    return FQ_OK;
}

/* Takes slot s out of every table but the expiry heap. */
static void drop(fq_dedup *d, uint32_t s, size_t id_pos)
{
    entry *e = &d->entries[s];
    if (e->has_location)
        list_unlink(d, &d->cells, 1, s, e->category, e->cx, e->cy);
    if (e->place >= 0)
        list_unlink(d, &d->places, 0, s, e->category, e->place, 0);
    id_delete_at(d, id_pos);
    e->id = 0;
    e->cell_next = d->free_head;
    d->free_head = s;
    d->count--;
}

int fq_dedup_rekey(fq_dedup *d, uint64_t from, uint64_t to)
{
    if (to == 0)
        return FQ_EINVALID;
    size_t pos = from == 0 ? SIZE_MAX : id_find(d, from);
    if (pos == SIZE_MAX)
        return FQ_ENOTFOUND;
    if (from == to)
        return FQ_OK;
    if (id_find(d, to) != SIZE_MAX)
        return FQ_EEXIST;
    /* The table has room: one key out, one in. */
    uint32_t s = d->ids[pos];
    id_delete_at(d, pos);
    d->entries[s].id = to;
    id_put(d->ids, d->ids_cap, to, s);
    return FQ_OK;
}

int fq_dedup_remove(fq_dedup *d, uint64_t id)
{
    size_t pos = id == 0 ? SIZE_MAX : id_find(d, id);
    if (pos == SIZE_MAX)
        return FQ_ENOTFOUND;
    uint32_t s = d->ids[pos];
    fq_deadlines_cancel(d->expiry, d->entries[s].expiry);
    drop(d, s, pos);
    return FQ_OK;
}

size_t fq_dedup_expire(fq_dedup *d, int64_t now_ms, size_t max)
{
    if (now_ms == INT64_MAX)
        now_ms = INT64_MAX - 1; /* due INT64_MAX means never */
    /* Deadlines are set at incident time + reach + 1 and compared to now
     * itself. */
    size_t done = 0;
    fq_deadline batch[16];
    while (done < max) {
        size_t want = max - done < 16 ? max - done : 16;
        size_t n = fq_deadlines_pop_due(d->expiry, now_ms, batch, want);
        for (size_t i = 0; i < n; i++) {
            uint32_t s = (uint32_t)batch[i].key;
            /* Removing an entry cancels its deadline, so a popped one is live. */
            drop(d, s, id_find(d, d->entries[s].id));
        }
        done += n;
        if (n < want)
            break;
    }
    return done;
}

/* ---- find ---- */

typedef struct best {
    uint32_t slot;
    double dist;
} best;

/* The order among matches: nearer, then earlier, then lower id. */
static inline int better(const fq_dedup *d, double dist, uint32_t s, const best *b)
{
    if (b->slot == NIL || dist < b->dist)
        return 1;
    if (dist > b->dist)
        return 0;
    const entry *e = &d->entries[s], *o = &d->entries[b->slot];
    if (e->at_ms != o->at_ms)
        return e->at_ms < o->at_ms;
    return e->id < o->id;
}

/* The time and border a candidate must share with the query. */
typedef struct within {
    int64_t from_ms, to_ms; /* incident time, inclusive */
    int32_t town;
} within;

static inline int inside(const entry *e, const within *w)
{
    return e->at_ms >= w->from_ms && e->at_ms <= w->to_ms && e->town == w->town;
}

static void scan_cell(const fq_dedup *d, uint32_t s, double lon, double lat, double cos_lat,
                      const within *w, best *b)
{
    for (; s != NIL; s = d->entries[s].cell_next) {
        const entry *e = &d->entries[s];
        if (!inside(e, w))
            continue;
        double h = haversine_h(lon, lat, cos_lat, e->lon, e->lat, e->cos_lat);
        if (h > d->h_max)
            continue;
        double dist = h_to_m(h);
        if (dist <= d->cfg.distance_m && better(d, dist, s, b)) {
            b->slot = s;
            b->dist = dist;
        }
    }
}

uint64_t fq_dedup_find(fq_dedup *d, int category, int has_location, double lon, double lat,
                       int32_t place, int32_t town, int64_t at_ms, int64_t now_ms)
{
    fq_dedup_expire(d, now_ms, FQ_DEDUP_EXPIRE_BATCH);
    /* A window of 0 turns merging off (--dedup-window-min 0): without it,
     * reports of one burst, decided in the same millisecond, would still
     * match each other. */
    if (category < 0 || d->cfg.window_ms == 0)
        return 0;
    if (at_ms > now_ms)
        at_ms = now_ms;
    if (at_ms < sub_sat(now_ms, d->cfg.max_backdate_ms))
        return 0; /* further back than the index keeps */
    const within w = {sub_sat(at_ms, d->cfg.window_ms), add_sat(at_ms, d->cfg.window_ms),
                      town < 0 ? -1 : town};
    best b = {NIL, 0};
    if (!has_location) {
        if (place < 0)
            return 0;
        size_t i = bt_find(&d->places, category, place, 0);
        if (i == SIZE_MAX)
            return 0;
        for (uint32_t s = d->places.b[i].head; s != NIL; s = d->entries[s].place_next) {
            if (inside(&d->entries[s], &w) && better(d, 0.0, s, &b)) {
                b.slot = s;
                b.dist = 0.0;
            }
        }
        return b.slot == NIL ? 0 : d->entries[b.slot].id;
    }
    if (!valid_point(lon, lat) || d->cells.count == 0)
        return 0;
    double cos_lat = cos(lat * DEG);
    int32_t cx = cell_x(d, lon), cy = cell_y(d, lat);
    int32_t k = lon_reach(d, lat);
    int32_t x0, nx;
    if (2 * (int64_t)k + 1 >= d->n_lon) {
        x0 = 0; /* the whole row, each cell once */
        nx = d->n_lon;
    } else {
        x0 = cx - k;
        nx = 2 * k + 1;
    }
    for (int32_t y = cy - d->n_lat_cells; y <= cy + d->n_lat_cells; y++) {
        for (int32_t j = 0; j < nx; j++) {
            int32_t x = x0 + j;
            if (x < 0)
                x += d->n_lon;
            else if (x >= d->n_lon)
                x -= d->n_lon;
            size_t i = bt_find(&d->cells, category, x, y);
            if (i != SIZE_MAX)
                scan_cell(d, d->cells.b[i].head, lon, lat, cos_lat, &w, &b);
        }
    }
    return b.slot == NIL ? 0 : d->entries[b.slot].id;
}
