/* upward_sql: the statements of the reports upward (docs/upward.md,
 * migration 0030). The sender's run on the server's write connection (the
 * store's pipeline, inside its transactions: the events they write are
 * chained like every other); the console's read on the reads connection. */
#ifndef FQ_UPWARD_SQL_H
#define FQ_UPWARD_SQL_H

#include "statements.h"

/* The incidents recorded after the mark, oldest first, at most 500: id,
 * severity, category, title, description, merged (bool: a duplicate merged
 * into another is not reported; its lead is). */
#define FQ_SQL_UPWARD_SCAN_NAME "fq_upward_scan"
#define FQ_SQL_UPWARD_SCAN_NPARAMS 0
#define FQ_SQL_UPWARD_SCAN                                                                         \
    "SELECT i.id, i.severity, i.category, i.title, i.description, i.merged_into IS NOT NULL"       \
    " FROM incidents i, upward_scan s WHERE i.id > s.last_incident ORDER BY i.id LIMIT 500"

/* The deliveries of the incidents matched, one per target, and the mark
 * moved past every incident read, in one statement (one transaction): $1
 * incident ids (bigint[]), $2 the rule of each (text[]), $3 the targets
 * (text[]), $4 the new mark. One row: deliveries made. */
#define FQ_SQL_UPWARD_ENQUEUE_NAME "fq_upward_enqueue"
#define FQ_SQL_UPWARD_ENQUEUE_NPARAMS 4
#define FQ_SQL_UPWARD_ENQUEUE                                                                      \
    "WITH d AS (INSERT INTO upward_deliveries (incident_id, target, rule)"                         \
    " SELECT x.i, t.t, x.r FROM unnest($1::bigint[], $2::text[]) AS x (i, r),"                     \
    " unnest($3::text[]) AS t (t) ON CONFLICT (incident_id, target) DO NOTHING RETURNING 1)"       \
    " UPDATE upward_scan SET last_incident = greatest(last_incident, $4::bigint)"                  \
    " RETURNING (SELECT count(*) FROM d)"

/* Deliveries due to the targets $1 (text[]; a target no longer configured
 * waits), unacknowledged, oldest due first, at most 32, with what the
 * document says of their incident: delivery id, target, rule, attempts so
 * far, incident id, severity, category, its name, town, its name, the place's
 * name, address, title, description, lon, lat (NULL: none), occurred ms
 * (NULL), recorded ms, state, holder's name. */
#define FQ_SQL_UPWARD_DUE_NAME "fq_upward_due"
#define FQ_SQL_UPWARD_DUE_NPARAMS 1
#define FQ_SQL_UPWARD_DUE                                                                          \
    "SELECT d.delivery_id::text, d.target, d.rule, d.attempts, i.id, i.severity, i.category,"      \
    " coalesce(c.name, i.category), coalesce(t.id, ''), coalesce(t.name, ''),"                     \
    " coalesce(p.name, ''), i.address, i.title, i.description, i.lon, i.lat,"                      \
    " (extract(epoch FROM i.occurred_at) * 1000)::bigint,"                                         \
    " (extract(epoch FROM i.recorded_at) * 1000)::bigint, i.state, coalesce(w.name, h.name, '')"   \
    " FROM upward_deliveries d JOIN incidents i ON i.id = d.incident_id"                           \
    " LEFT JOIN categories c ON c.code = i.category"                                               \
    " LEFT JOIN org_units p ON p.id = i.place_unit"                                                \
    " LEFT JOIN org_units t ON t.id = fq_town_of(coalesce(i.territory, i.place_unit))"             \
    " LEFT JOIN workers w ON w.id = i.worker LEFT JOIN handlers h ON h.id = i.lead_unit"           \
    " WHERE d.acknowledged_at IS NULL AND d.next_attempt_at <= now()"                              \
    " AND d.target = ANY ($1::text[]) ORDER BY d.next_attempt_at LIMIT 32"

/* One attempt's outcome, with its events on the incident: the attempt
 * (reported_upward) always, the acknowledgement (upward_acknowledged) with
 * the first 2xx, after it in the chain (k reads a). $1 delivery id, $2 the
 * HTTP status (NULL: no answer), $3 the error ('' with an answer), $4 the
 * wait before the next attempt, ms, $5 answered 2xx (bool), $6 the attempt
 * event's reason, $7 its reason code, $8 the write's nonce (applied_ops: a
 * re-sent write has no second effect), $9 the acknowledgement's reason,
 * $10..$21 the plan (store.h FQ_STORE_PLAN_NPARAMS: the attempt's event,
 * then the acknowledgement's when the answer was 2xx; no feed item: NULL). One row: events
 * written (attempts, acknowledgements). */
#define FQ_SQL_UPWARD_ATTEMPT_NAME "fq_upward_attempt"
#define FQ_SQL_UPWARD_ATTEMPT_NPARAMS 21
#define FQ_SQL_UPWARD_ATTEMPT_PLAN 9
#define FQ_SQL_UPWARD_ATTEMPT                                                                      \
    "WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($8) ON CONFLICT DO NOTHING"                \
    " RETURNING nonce),"                                                                           \
    " b AS (SELECT acknowledged_at IS NULL AS unacked FROM upward_deliveries"                      \
    " WHERE delivery_id = $1::uuid),"                                                              \
    " u AS (UPDATE upward_deliveries SET attempts = attempts + 1, last_attempt_at = now(),"        \
    " last_status = $2::integer, last_error = $3,"                                                 \
    " next_attempt_at = now() + $4::bigint * interval '1 millisecond',"                            \
    " acknowledged_at = CASE WHEN $5::boolean THEN coalesce(acknowledged_at, now())"               \
    " ELSE acknowledged_at END"                                                                    \
    " WHERE delivery_id = $1::uuid AND EXISTS (SELECT 1 FROM g)"                                   \
    " RETURNING incident_id, $5::boolean AND (SELECT unacked FROM b) AS newly),"                   \
    " a AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, "                       \
    "reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                            \
    " SELECT incident_id, 'reported_upward', NULL, $15::timestamptz, $6, $7," FQ_SQL_PLANNED(      \
        "$12", "$13", "$14",                                                                       \
        "1") "," FQ_SQL_FEED("$17", "$18", "$19", "$20",                                           \
                             "$21") " FROM u RETURNING incident_id),"                              \
                                    " k AS (INSERT INTO events (incident_id, kind, actor_node, "   \
                                    "at, reason, "                                                 \
                                    "reason_code, " FQ_SQL_PLANNED_COLUMNS ")"                     \
                                    " SELECT u.incident_id, 'upward_acknowledged', NULL, "         \
                                    "$15::timestamptz, $9,"                                        \
                                    " 'upward_acknowledged'," FQ_SQL_PLANNED(                      \
                                        "$12", "$13", "$14",                                       \
                                        "2") " FROM u, a"                                          \
                                             " WHERE u.newly AND cardinality($12::bigint[]) > 1 "  \
                                             "RETURNING 1)"                                        \
                                             " SELECT (SELECT count(*) FROM a), (SELECT count(*) " \
                                             "FROM k)"                                             \
                                             " WHERE fq_as_planned($10::boolean, (SELECT "         \
                                             "count(*) FROM a) + (SELECT "                         \
                                             "count(*) FROM k),"                                   \
                                             " cardinality($12::bigint[]))"

/* The console's list (GET /api/v1/upward/deliveries?incident=$1): the
 * incident's deliveries, if the incident is within the unit $2 (the asker's
 * jurisdiction); no row at all when it is not (or does not exist), one row
 * of NULLs when it has none. delivery id, target, rule, created, attempts,
 * last attempt, last status, last error, next attempt, acknowledged (times
 * as epoch ms). */
#define FQ_SQL_UPWARD_LIST_NAME "fq_upward_list"
#define FQ_SQL_UPWARD_LIST_NPARAMS 2
#define FQ_SQL_UPWARD_LIST                                                                         \
    "SELECT d.delivery_id::text, d.target, d.rule,"                                                \
    " (extract(epoch FROM d.created_at) * 1000)::bigint, d.attempts,"                              \
    " (extract(epoch FROM d.last_attempt_at) * 1000)::bigint, d.last_status, d.last_error,"        \
    " (extract(epoch FROM d.next_attempt_at) * 1000)::bigint,"                                     \
    " (extract(epoch FROM d.acknowledged_at) * 1000)::bigint"                                      \
    " FROM incidents i LEFT JOIN upward_deliveries d ON d.incident_id = i.id"                      \
    " WHERE i.id = $1::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $2)"         \
    " ORDER BY d.created_at, d.target"

#endif
