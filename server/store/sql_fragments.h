/* sql_fragments: SQL pieces several statements share, as string macros
 * that the .sql files name ({{NAME}}, {{NAME(a, b)}}: sql/embed.cmake).
 * Included by statements.h before the generated fq_sql.h. */
#ifndef FQ_SQL_FRAGMENTS_H
#define FQ_SQL_FRAGMENTS_H

#include "taxonomy.h"

/* A tier's name from its number (fq_tier; '' for none or NULL) and a
 * line's (fq_line), as taxonomy.h spells them. */
#define FQ_SQL_TIER_NAME(TIER)                                                                     \
    "coalesce((ARRAY['" FQ_TIER_NAME_VILLAGE "', '" FQ_TIER_NAME_TOWN "', '" FQ_TIER_NAME_DISTRICT \
    "'])[" TIER "], '')"
#define FQ_SQL_LINE_NAME(LINE)                                                                     \
    "coalesce((ARRAY['" FQ_LINE_NAME_GOVERNANCE "', '" FQ_LINE_NAME_MARKET                         \
    "', '" FQ_LINE_NAME_ENFORCEMENT "', '" FQ_LINE_NAME_SERVICES "'])[" LINE " + 1], '')"

/* Which limits of an incident have passed while it is open, at NOW
 * (IncidentSummary.overdue_limits): 1 the acknowledge limit, while not yet
 * acknowledged; 2 the conclude limit; 4 the supervision order's reply (due
 * now, or breached: the breach ends the order and leaves bit 4 in
 * `breached`). They clear as the case recovers: acknowledged, a new holder
 * (a re-decision resets the limits and `breached`), an approved extension, a
 * new supervision order. A suspended incident (migration 0020,
 * docs/console.md "Suspension") is never overdue: its clocks stand still,
 * whatever its stored limits say. */
#define FQ_SQL_CONSOLE_OVERDUE(NOW)                                                                \
    "(CASE WHEN i.state <> 'assigned' OR i.suspended_at IS NOT NULL THEN 0 ELSE"                   \
    " (CASE WHEN i.assignment = 'assigned' AND i.ack_due < " NOW " THEN 1 ELSE 0 END)"             \
    " | (CASE WHEN i.conclude_due < " NOW " THEN 2 ELSE 0 END)"                                    \
    " | (CASE WHEN i.supervision_due < " NOW " OR i.breached & 4 <> 0 THEN 4 ELSE 0 END) END)"

/* The same judgement as a moment: when an open incident becomes overdue
 * (the earliest of the limits FQ_SQL_CONSOLE_OVERDUE counts), '-infinity'
 * once a supervision order was breached, 'infinity' while suspended or
 * without a limit, NULL once it is no longer open. Overdue at NOW exactly
 * when it is < NOW, not overdue when it is >= NOW. The expression of the
 * index incidents_board_overdue and of its statistics (migration 0037), to
 * the letter: the board (sql/console_open.sql) finds the overdue incidents,
 * or the others, by this index when they are few, by incidents_board when
 * they are many, as the statistics tell the planner. */
#define FQ_SQL_BOARD_OVERDUE_FROM                                                                  \
    "(CASE WHEN i.state <> 'assigned' THEN NULL"                                                   \
    " WHEN i.suspended_at IS NOT NULL THEN 'infinity'::timestamptz"                                \
    " WHEN i.breached >= 4 THEN '-infinity'::timestamptz"                                          \
    " ELSE coalesce(least(CASE WHEN i.assignment = 'assigned' THEN i.ack_due END, i.conclude_due," \
    " i.supervision_due), 'infinity'::timestamptz) END)"
/* The board's nearest limit (after overdue and severity): the acknowledge
 * limit while unacknowledged, else the conclude limit, none last. The
 * expression of the index incidents_board (migration 0035), to the letter:
 * the planner uses the index only for this very expression. */
#define FQ_SQL_BOARD_DUE                                                                           \
    "coalesce(CASE WHEN i.assignment = 'assigned' THEN i.ack_due ELSE i.conclude_due END,"         \
    " 'infinity'::timestamptz)"

/* Whether an incident's limits count working time (IncidentSummary
 * .working_time, a case's working time): the rule that decided it says so. */
#define FQ_SQL_DECIDED_IN_WORKING_TIME(RULE_SOURCE)                                                \
    RULE_SOURCE " IN (SELECT id FROM rules WHERE time_basis = 'working')"

/* The columns of an incident on the board, for binary results
 * (console_rows.h, fq_console_summary_row: FQ_CONSOLE_SUMMARY_COLUMNS of
 * them, each of the type it reads): IncidentSummary in its order, then
 * overdue_limits, external_ref, working_time and the suspension (time,
 * reason). TOWN is the expression of the incident's town (NULL: none),
 * LIMITS the overdue bits (FQ_SQL_CONSOLE_OVERDUE), an expression the
 * board's lateral computes once per row. The names are the server's, from
 * its snapshot. */
#define FQ_SQL_CONSOLE_COLUMNS_WITH(TOWN, LIMITS)                                                  \
    "i.id, i.category, i.severity::int, i.risk::int, i.title, i.address,"                          \
    " coalesce(i.territory, ''), coalesce(" TOWN ", ''), coalesce(i.tier, 0)::int,"                \
    " coalesce(i.line, -1)::int, coalesce(i.lead_unit, ''), coalesce(i.worker, ''), i.co_units,"   \
    " i.state, i.assignment, i.recorded_at, i.ack_due, i.conclude_due, (" LIMITS ") <> 0,"         \
    " i.escalations::int, i.reporter_node, i.supervision_due, (" LIMITS ")::int, i.external_ref,"  \
    " coalesce(" FQ_SQL_DECIDED_IN_WORKING_TIME("i.rule_source") ", false), i.suspended_at,"       \
                                                                 " coalesce(i.suspend_reason, '')"
/* Judged now, the town looked up per row (an incident, a search). */
#define FQ_SQL_CONSOLE_COLUMNS                                                                     \
    FQ_SQL_CONSOLE_COLUMNS_WITH("fq_town_of(coalesce(i.territory, i.place_unit))",                 \
                                FQ_SQL_CONSOLE_OVERDUE("now()"))

/* The org units inside the jurisdiction $1 with their towns, walked once
 * (joined on an incident's unit instead of fq_unit_within and fq_town_of
 * per row: a tenth of the time with 10,000 open incidents). */
#define FQ_SQL_CONSOLE_UNITS_UNDER                                                                 \
    "WITH RECURSIVE sub (id, town) AS (SELECT id, fq_town_of(id) FROM org_units WHERE id = $1"     \
    " UNION ALL SELECT o.id, coalesce(sub.town, CASE WHEN o.kind = 'town' THEN o.id END)"          \
    " FROM org_units o JOIN sub ON o.parent_id = sub.id) "

/* Where a registered case went, by name: over incidents i. */
#define FQ_SQL_FD_PLACED                                                                           \
    "json_build_object('incident_id', i.id, 'state', i.state, 'tier', i.tier,"                     \
    " 'line', " FQ_SQL_LINE_NAME(                                                                  \
        "i.line") ", 'territory_name', coalesce((SELECT u.name FROM org_units u WHERE u.id ="      \
                  " i.territory), ''), 'lead_unit_name', coalesce((SELECT h.name FROM handlers h " \
                  "WHERE h.id ="                                                                   \
                  " i.lead_unit), (SELECT u.name FROM org_units u WHERE u.id = i.lead_unit), '')," \
                  " 'worker_name', coalesce((SELECT w.name FROM workers w WHERE w.id = "           \
                  "i.worker), ''),"                                                                \
                  " 'merged_into', i.merged_into, 'category_name', coalesce((SELECT c.name FROM "  \
                  "categories c"                                                                   \
                  " WHERE c.code = i.category), i.category))"

/* ---- the field API's pieces (sql/field_*.sql; docs/http-api.md "The field
 * API", web/field.c) ---- */

/* Epoch milliseconds of a timestamptz, 0 for NULL. */
#define FQ_SQL_FIELD_MS(t) "coalesce((date_part('epoch', " t ") * 1000)::bigint, 0)"
/* One incident as the phone lists it, over incidents i LEFT JOIN categories
 * c (its category) LEFT JOIN org_units u (its territory); NULLs are
 * stripped (no point: no location). $2: the unit the account serves ('' a
 * worker), which co-handles it or leads it. */
// clang-format off
#define FQ_SQL_FIELD_ASSIGNMENT                                                                    \
    "json_strip_nulls(json_build_object('incident_id', i.id, 'title', i.title,"                    \
    " 'category', i.category, 'category_name', coalesce(c.name, ''),"                              \
    " 'severity', (ARRAY['i', 'ii', 'iii', 'iv'])[i.severity],"                                    \
    " 'risk', (ARRAY['low', 'medium', 'high'])[i.risk], 'address', i.address,"                     \
    " 'territory', coalesce(i.territory, ''), 'territory_name', coalesce(u.name, ''),"             \
    " 'location', CASE WHEN i.lat IS NOT NULL THEN json_build_object('lat', i.lat, 'lng', i.lon)"  \
    " END, 'state', i.state, 'assignment', i.assignment,"                                          \
    " 'acknowledge_due_ms', " FQ_SQL_FIELD_MS("i.ack_due") ","                                     \
    " 'conclude_due_ms', " FQ_SQL_FIELD_MS("i.conclude_due") ","                                   \
    " 'supervision_due_ms', " FQ_SQL_FIELD_MS("i.supervision_due") ","                             \
    " 'recorded_at_ms', " FQ_SQL_FIELD_MS("i.recorded_at") ","                                     \
    " 'suspended_at_ms', " FQ_SQL_FIELD_MS("i.suspended_at") ","                                   \
    " 'co_handler', $2 <> '' AND $2 = ANY (i.co_units),"                                           \
    " 'photo_to_conclude', coalesce(c.photo_to_conclude, false)))"
// clang-format on

// clang-format off
#define FQ_SQL_FIELD_NAMED_NODE(id)                                                                \
    "coalesce((SELECT " FQ_SQL_NODE_NAME " FROM nodes n LEFT JOIN web_accounts a"                  \
    " ON a.node_id = n.id LEFT JOIN workers w ON w.id = n.serves_worker WHERE n.id = " id "), '')"
/* The photos stored with the event `seq` of the incident i, as the
 * timeline shows them (TimelineAttachment; sha256 in hex). */
#define FQ_SQL_FIELD_ATTACHMENTS(seq)                                                              \
    "coalesce((SELECT json_agg(json_build_object('id', x.id, 'content_type', x.content_type,"      \
    " 'size', x.size, 'sha256', encode(x.sha256, 'hex'), 'width', x.width, 'height', x.height,"    \
    " 'name', x.name) ORDER BY x.id) FROM attachments x WHERE x.incident_id = i.id"                \
    " AND x.event_seq = " seq "), '[]')"
// clang-format on

/* What a worker account's terminal node serves (migration 0025): the worker
 * and the handling unit ('' when none) and the one served by name. Over
 * nodes n. */
#define FQ_SQL_WEB_SERVES                                                                          \
    "coalesce(n.serves_worker, ''), coalesce(n.serves_handler, ''),"                               \
    " coalesce((SELECT w.name FROM workers w WHERE w.id = n.serves_worker),"                       \
    " (SELECT h.name FROM handlers h WHERE h.id = n.serves_handler), '')"

#endif
