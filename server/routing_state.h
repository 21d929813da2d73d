/* routing_state: the routing core's snapshot built from database rows —
 * taxonomy, compiled rules, roster (handlers and workers with their current
 * loads), grid polygons and the router over them. Loaded together with the
 * directory and swapped in whole when the database says something changed
 * (rules, topology, duty); the organisation tree is the directory's.
 *
 * The one loader: the server (server.c), fengqiao-admin import-topology
 * (before it commits) and fengqiao-admin replay all build from the same
 * statements.h queries through these functions, so what an import accepts is
 * what the server loads. */
#ifndef FQ_ROUTING_STATE_H
#define FQ_ROUTING_STATE_H

#include "calendar.h"
#include "geo.h"
#include "org.h"
#include "roster.h"
#include "router.h"
#include "rules.h"
#include "taxonomy.h"

#include <libpq-fe.h>
#include <stddef.h>

/* A district's working calendar (docs/calendar.md). */
typedef struct fq_district_calendar {
    int32_t district; /* unit index in the org */
    fq_calendar calendar;
} fq_district_calendar;

typedef struct fq_routing {
    const fq_org *org; /* borrowed from the directory of the same load */
    fq_taxonomy *taxonomy;
    fq_rules *rules;
    fq_roster *roster;
    fq_geo_index *geo; /* NULL when no grid has a polygon */
    fq_router *router;
    uint32_t rule_set;
    /* Loaded and kept with the snapshot, read-only; given to the router
     * (fq_router_set_calendar), whose working-time limits count on them. A
     * district without one counts on the router's default. */
    fq_district_calendar *calendars;
    size_t n_calendars;
} fq_routing;

/* Result columns, in order (statements.h has the queries):
 *   categories: code, default line, display name
 *   rules:      id, category, severity, risk, tier, line, co (text[]), ack_s, ack_warn_s,
 *               conclude_s, conclude_warn_s, rule set version, working time (boolean)
 *   handlers:   id, kind, territory, line, code, display name
 *   workers:    id, grid, capacity, on_duty, open assignments, display name
 * The display names (the org units' come with the org) are what replies and
 * feed items carry beside the ids (docs/protocol.md, "Names").
 *   polygons:   grid, ring (double precision[]: lon, lat, lon, lat, …) */
fq_routing *fq_routing_build(const fq_org *org, const PGresult *categories, const PGresult *rules,
                             const PGresult *handlers, const PGresult *workers,
                             const PGresult *polygons, char *err, size_t err_len);
void fq_routing_free(fq_routing *r);

/* Loads the working calendars into r from the rows of FQ_SQL_LOAD_CALENDARS
 * (binary results: district, utc_offset_s, working_periods int4[] of start,
 * end minutes, the weekday mask, the imported years int4[]) and
 * FQ_SQL_LOAD_CALENDAR_DAYS (district, day number, working), each checked as
 * the importer checks it. 0, or -1 with the reason, naming the district, in
 * err (r then has none). */
int fq_routing_load_calendars(fq_routing *r, const PGresult *settings, const PGresult *days,
                              char *err, size_t err_len);
/* A calendar's settings from a row with binary results, columns col ..
 * col + 2: utc_offset_s, working_periods (int4[]: start, end, ... minutes),
 * working_weekdays; c initialised with them (no years covered). The one
 * decoder of these columns: the server's load and fengqiao-admin calendar
 * show. 0, or -1 with the reason in err. */
int fq_routing_calendar_settings(fq_calendar *c, const PGresult *res, int row, int col, char *err,
                                 size_t err_len);
/* The calendar of a district (unit index), or NULL when none was imported. */
const fq_calendar *fq_routing_calendar(const fq_routing *r, int32_t district);
/* The district's local time as "+08:00" (the offset of its working calendar;
 * "+08:00" when none is imported) into buf (at least 8 bytes); `unit` any
 * unit of the district, r may be NULL. Returns buf. */
const char *fq_routing_time_zone(const fq_routing *r, int32_t unit, char *buf, size_t len);

/* The organisation tree from the rows of FQ_SQL_LOAD_UNITS (id, kind,
 * parent, name), finished; NULL with the reason in err. */
fq_org *fq_routing_org(const PGresult *units, char *err, size_t err_len);

/* The grid polygons of FQ_SQL_LOAD_POLYGONS in a geo builder, each checked
 * as the index checks it (FQ_GEO_MAX_VERTICES, ranges, area); NULL with the
 * reason, naming the grid, in err. fq_routing_build loads them this way; the
 * importer also hands the builder to fq_geo_find_overlap. */
fq_geo_builder *fq_routing_polygons(const fq_org *org, const PGresult *polygons, char *err,
                                    size_t err_len);

#endif
