/* sql_fragments: SQL pieces several statements share, as string macros
 * that the .sql files name ({{NAME}}, {{NAME(a, b)}}: sql/embed.cmake).
 * Included by statements.h before the generated fq_sql.h. */
#ifndef FQ_SQL_FRAGMENTS_H
#define FQ_SQL_FRAGMENTS_H

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

#endif
