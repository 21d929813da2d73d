/* statements: the SQL the server prepares on every connection. Kept in one
 * place so benchmarks measure exactly the statements the server runs. */
#ifndef FQ_STATEMENTS_H
#define FQ_STATEMENTS_H

#include "sql_fragments.h"

#include "fq_sql.h"

/* The outbox items an event leaves, written in the event's statement: three
 * parallel arrays — boxes (text[]: 'w:<worker>', 'h:<handler>'; distinct;
 * the follow feeds' items are columns of the event, FQ_SQL_FEED), kinds (smallint[]: OutboxItem
 * kinds) and bodies (bytea[]: OutboxItem without seq, kind, incident and time) — for the incident
 * the CTE `src` names (column id), reporting the event whose seq is the SQL expression `evseq`
 * (OutboxItem.event_seq), with the seqs the server planned for them (`seqs`, int8[]: each box's
 * next, docs/write-path.md). FQ_SQL_OUTBOX_SEQS then says what was written, the feeds' items with
 * the rows. */
#define FQ_SQL_OUTBOX_CTE(src, evseq, boxes, kinds, bodies, seqs)                                  \
    " ob AS (INSERT INTO outbox (box, seq, kind, incident_id, body, event_seq)"                    \
    " SELECT x.b, x.s, x.k, " src ".id, x.body, " evseq " FROM " src ", unnest(" boxes             \
    "::text[], " kinds "::smallint[], " bodies "::bytea[], " seqs "::bigint[])"                    \
    " AS x (b, k, body, s) RETURNING box, seq, event_seq)"

/* The follow feeds' item of the event a statement's items report, in the
 * event's own row (migration 0032, docs/write-path.md "Feeds"): the
 * columns, and their values from the plan's parameters +7..+11 (store.h
 * FQ_STORE_PLAN_NPARAMS): the item's body, the town and the event's seq in
 * its feed, the district and its seq in its feed (NULL: in no such feed).
 * The event's CTE returns seq and FQ_SQL_FEED_RETURNING. */
#define FQ_SQL_FEED_COLUMNS "feed_item, town, town_seq, district, district_seq"
#define FQ_SQL_FEED(item, town, town_seq, district, district_seq)                                  \
    " " item "::bytea, " town "::text, " town_seq "::bigint, " district "::text, " district_seq    \
    "::bigint"
#define FQ_SQL_FEED_RETURNING "town, town_seq, district, district_seq"

/* What a statement wrote for its items, "seq box event_seq,seq box
 * event_seq" (outbox.h fq_outbox_committed): the outbox rows (CTE ob) and
 * the feeds of the event CTE `ev`. */
#define FQ_SQL_OUTBOX_SEQS(ev)                                                                     \
    "(SELECT string_agg(w.s || ' ' || w.b || ' ' || w.e, ',') FROM (SELECT seq AS s, box AS b,"    \
    " event_seq AS e FROM ob UNION ALL SELECT town_seq, 'u:' || town, seq FROM " ev                \
    " WHERE town IS NOT NULL UNION ALL SELECT district_seq, 'u:' || district, seq FROM " ev        \
    " WHERE district IS NOT NULL) w)"

/* The planned columns of the i-th event (1-based) of a statement whose plan
 * parameters (store.h FQ_STORE_PLAN_NPARAMS) start at $P: its seq,
 * prev_hash and hash, as a SELECT list's items. */
#define FQ_SQL_PLANNED(seqs, prevs, hashes, i)                                                     \
    " (" seqs "::bigint[])[" i "], (" prevs "::bytea[])[" i "], (" hashes "::bytea[])[" i "]"
#define FQ_SQL_PLANNED_COLUMNS "seq, prev_hash, hash"

/* The photos an event brings (migration 0026, attachment_rows.h), written
 * in the event's own statement, so they exist exactly when the event does:
 * six parallel arrays (binary) — sha256, content types, widths, heights,
 * names, bytes — for the event the CTE `ev` names (columns id, seq), in the
 * order sent (ids ascending). All NULL: no photos, no rows. */
#define FQ_SQL_ATTACHMENTS_CTE(sha, types, widths, heights, names, bytes)                          \
    " att AS (INSERT INTO attachments (incident_id, event_seq, sha256, content_type, size,"        \
    " width, height, name, bytes)"                                                                 \
    " SELECT ev.id, ev.seq, x.s, x.t, length(x.b), x.w, x.h, x.n, x.b FROM ev, unnest(" sha        \
    "::bytea[], " types "::text[], " widths "::int[], " heights "::int[], " names                  \
    "::text[], " bytes "::bytea[]) WITH ORDINALITY AS x (s, t, w, h, n, b, o) ORDER BY x.o"        \
    " RETURNING id),"
#define FQ_SQL_REPORT_ATTACHMENTS FQ_SQL_ATTACHMENTS_CTE("$44", "$45", "$46", "$47", "$48", "$49")
#define FQ_SQL_ACTION_ATTACHMENTS FQ_SQL_ATTACHMENTS_CTE("$38", "$39", "$40", "$41", "$42", "$43")

/* A node by name, as people read it where it acts (docs/terminals.md,
 * "Names"): the display name of the web account acting through it, the name
 * of the worker or the unit a terminal serves, else the node's description,
 * else the name of its jurisdiction (a town platform registered without a
 * description acts as 北山街道, not as beishan-platform); at most 100
 * characters, as the topology's names (a description has no bound of its
 * own, and a feed item's size must stay bounded). Over nodes n LEFT JOIN
 * web_accounts a (on its node) LEFT JOIN workers w (served). */
#define FQ_SQL_NODE_NAME                                                                           \
    "left(coalesce(a.display_name, w.name,"                                                        \
    " (SELECT h.name FROM handlers h WHERE h.id = n.serves_handler), nullif(n.description, ''),"   \
    " (SELECT u.name FROM org_units u WHERE u.id = n.jurisdiction)), 100)"

/* Stores one report, its "reported" event and its routing decision with the
 * routing event ("assigned", "merged" or "unroutable"; a merge also leaves a
 * "report_merged" event on the incident it joined), or finds the incident an
 * earlier request with the same (node, message id) created. One row out:
 * incident id, created (bool), recorded_at (epoch ms), event seq, body digest
 * of the stored incident (to tell a true resend from a reused id), and the
 * routing outcome (RoutingOutcome bytes) of the stored incident.
 * $1 node, $2 message id, $3 body digest, $4 category, $5 severity, $6 risk,
 * $7 channel, $8 place unit (NULL: coordinates only), $9 lon, $10 lat (both
 * NULL or both set), $11 address, $12 title, $13 description, $14 occurred_at
 * ms (NULL: unknown), $15 external ref, $16 reporter name, $17 reporter
 * phone, $18 sent_at ms, $19 envelope bytes,
 * $20 state, $21 tier, $22 line, $23 territory, $24 lead unit, $25 worker,
 * $26 co units (text[]), $27 ack due ms, $28 ack warning ms, $29 conclude due
 * ms, $30 conclude warning ms, $31 merged into, $32 rule set, $33 rule row,
 * $34 tiers climbed, $35 unplaced, $36 routing event kind, $37 its reason,
 * $38 RoutingOutcome bytes, $39 the decision's nonce (returned as the seventh
 * column: a retry recognises its own earlier commit by it), $40 $41 $42 the
 * outbox items the event leaves (FQ_SQL_OUTBOX_ITEMS; returned as the eighth
 * column, NULL for a resend), $43 the routing event's reason code, $44..$49
 * the photos reported with it (FQ_SQL_ATTACHMENTS_CTE, of the "reported"
 * event; NULL: none), $50..$61 the plan (store.h FQ_STORE_PLAN_NPARAMS:
 * the incident's id, the events reported, routing and report_merged, their
 * time, which is also the incident's recorded_at; the feeds' item, of the
 * routing event). */
#define FQ_SQL_INSERT_REPORT_NAME "fq_insert_report"
#define FQ_SQL_INSERT_REPORT_NPARAMS 61
#define FQ_SQL_INSERT_REPORT_PLAN 49
#define FQ_SQL_INSERT_REPORT                                                                       \
    "WITH new AS ("                                                                                \
    " INSERT INTO incidents (id, recorded_at, reporter_node, message_id, body_digest, category,"   \
    "  severity, risk, channel, place_unit, lon, lat, address, title, description, occurred_at,"   \
    "  external_ref, reporter_name, reporter_phone, sent_at, state, tier, line, territory,"        \
    "  lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due, conclude_warn_at,"         \
    "  merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)"                      \
    " VALUES ($51::bigint, $55::timestamptz, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"   \
    "  $13, to_timestamp($14::double precision / 1000), $15, $16, $17,"                            \
    "  to_timestamp($18::double precision / 1000), $20, $21, $22, $23, $24, $25, $26,"             \
    "  to_timestamp($27::double precision / 1000), to_timestamp($28::double precision / 1000),"    \
    "  to_timestamp($29::double precision / 1000), to_timestamp($30::double precision / 1000),"    \
    "  $31, $32, $33, $34, $35, $39)"                                                              \
    " ON CONFLICT (reporter_node, message_id) DO NOTHING"                                          \
    " RETURNING id, recorded_at),"                                                                 \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, "                              \
    "payload, " FQ_SQL_PLANNED_COLUMNS ")"                                                         \
    " SELECT id, 'reported', $1, recorded_at, $19," FQ_SQL_PLANNED(                                \
        "$52", "$53", "$54",                                                                       \
        "1") " FROM new RETURNING incident_id AS id, seq)," FQ_SQL_REPORT_ATTACHMENTS              \
             " rt AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, "             \
             "payload, reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"          \
             " SELECT id, $36, NULL, recorded_at, $37, $38, coalesce($43, "                        \
             "'')," FQ_SQL_PLANNED("$52", "$53", "$54", "2") "," FQ_SQL_FEED(                      \
                 "$57", "$58", "$59", "$60",                                                       \
                 "$61") " FROM new RETURNING seq, " FQ_SQL_FEED_RETURNING "),"                     \
                        " mg AS (INSERT INTO events (incident_id, kind, actor_node, at, "          \
                        "reason, reason_code, " FQ_SQL_PLANNED_COLUMNS ")"                         \
                        " SELECT $31, 'report_merged', NULL, recorded_at, 'another "               \
                        "report: incident ' || id,"                                                \
                        " 'merged'," FQ_SQL_PLANNED(                                               \
                            "$52", "$53", "$54",                                                   \
                            "3") " FROM new WHERE $31::bigint IS NOT "                             \
                                 "NULL)," FQ_SQL_OUTBOX_CTE(                                       \
                                     "new", "(SELECT seq FROM rt)", "$40", "$41", "$42",           \
                                     "$56") " SELECT * FROM "                                      \
                                            "(SELECT new.id, true, "                               \
                                            "(extract(epoch FROM "                                 \
                                            "new.recorded_at) * "                                  \
                                            "1000)::bigint,"                                       \
                                            " ev.seq, $3::bytea, "                                 \
                                            "$38::bytea, "                                         \
                                            "$39::bigint,"                                         \
                                            " " FQ_SQL_OUTBOX_SEQS("rt") " FROM new, "             \
                                                                         "ev"                      \
                                                                         " UNION ALL"              \
                                                                         " SELECT "                \
                                                                         "i.id, "                  \
                                                                         "false, "                 \
                                                                         "(extract("               \
                                                                         "epoch FROM "             \
                                                                         "i.recorded_"             \
                                                                         "at) * "                  \
                                                                         "1000)::"                 \
                                                                         "bigint, "                \
                                                                         "e.seq,"                  \
                                                                         " i.body_"                \
                                                                         "digest, "                \
                                                                         "(SELECT "                \
                                                                         "r.payload "              \
                                                                         "FROM events "            \
                                                                         "r WHERE "                \
                                                                         "r.incident_"             \
                                                                         "id = i.id"               \
                                                                         "  AND "                  \
                                                                         "r.kind IN "              \
                                                                         "('assigned',"            \
                                                                         " 'merged', "             \
                                                                         "'unroutable'"            \
                                                                         ") ORDER BY "             \
                                                                         "r.seq LIMIT "            \
                                                                         "1),"                     \
                                                                         " i.routing_"             \
                                                                         "nonce, "                 \
                                                                         "NULL::text"              \
                                                                         " FROM "                  \
                                                                         "incidents i "            \
                                                                         "JOIN events "            \
                                                                         "e ON "                   \
                                                                         "e.incident_"             \
                                                                         "id = i.id "              \
                                                                         "AND e.kind "             \
                                                                         "= 'reported'"            \
                                                                         " WHERE "                 \
                                                                         "i.reporter_"             \
                                                                         "node = $1 "              \
                                                                         "AND "                    \
                                                                         "i.message_"              \
                                                                         "id = $2 AND "            \
                                                                         "NOT EXISTS "             \
                                                                         "(SELECT 1 "              \
                                                                         "FROM new)) r"            \
                                                                         " WHERE "                 \
                                                                         "fq_as_"                  \
                                                                         "planned($50:"            \
                                                                         ":boolean, "              \
                                                                         "(SELECT "                \
                                                                         "count(*) "               \
                                                                         "FROM new), "             \
                                                                         "1)"

/* A re-decision of an open incident (escalation, re-routing): the incident's
 * routing columns and one event. $1 incident, $2 tier, $3 line, $4 territory,
 * $5 lead unit, $6 worker, $7 co units, $8 ack due ms, $9 ack warning ms,
 * $10 conclude due ms, $11 conclude warning ms, $12 tiers climbed, $13 event
 * kind, $14 reason, $15 RoutingOutcome bytes, $16 the write's nonce (applied_ops:
 * a re-sent write has no second effect), $17 $18 $19 outbox items, $20 the
 * event's reason code. The new
 * holder starts from 'assigned', with no limit breached (breaches are
 * recorded per holder: the new one's limits may fire). $21..$32 the plan
 * (store.h FQ_STORE_PLAN_NPARAMS). One row: the outbox seqs written. */
#define FQ_SQL_REROUTE_NAME "fq_reroute"
#define FQ_SQL_REROUTE_NPARAMS 32
#define FQ_SQL_REROUTE_PLAN 20
#define FQ_SQL_REROUTE                                                                             \
    "WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($16) ON CONFLICT DO NOTHING"               \
    " RETURNING nonce),"                                                                           \
    " u AS (UPDATE incidents SET tier = $2, line = $3, territory = $4, lead_unit = $5,"            \
    " worker = $6, co_units = $7, ack_due = to_timestamp($8::double precision / 1000),"            \
    " ack_warn_at = to_timestamp($9::double precision / 1000),"                                    \
    " conclude_due = to_timestamp($10::double precision / 1000),"                                  \
    " conclude_warn_at = to_timestamp($11::double precision / 1000), climbed = $12,"               \
    " escalations = escalations + 1, assignment = 'assigned', acknowledged_at = NULL,"             \
    " breached = 0, extension_asked = NULL WHERE id = $1 AND state = 'assigned'"                   \
    " AND EXISTS (SELECT 1 FROM g) RETURNING id),"                                                 \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload, "             \
    "reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                            \
    " SELECT id, $13, NULL, $26::timestamptz, $14, $15, coalesce($20, '')," FQ_SQL_PLANNED(        \
        "$23", "$24", "$25",                                                                       \
        "1") "," FQ_SQL_FEED("$28", "$29", "$30", "$31",                                           \
                             "$32") " FROM u RETURNING incident_id AS id, "                        \
                                    "seq, " FQ_SQL_FEED_RETURNING ")," FQ_SQL_OUTBOX_CTE(          \
                                        "ev", "ev.seq", "$17", "$18", "$19",                       \
                                        "$27") " SELECT " FQ_SQL_OUTBOX_SEQS("ev") " WHERE "       \
                                                                                   "fq_as_"        \
                                                                                   "planned($21::" \
                                                                                   "boolean, "     \
                                                                                   "(SELECT "      \
                                                                                   "count(*) "     \
                                                                                   "FROM ev), 1)"

/* One event of the server's own about an incident (deadline warnings, a
 * breach at the district tier). $1 incident, $2 kind, $3 reason, $4 the
 * breached limits to record on the incident (bits; 0 for none), $5 the
 * write's nonce (applied_ops), $6 $7 $8 outbox items, $9 the supervision
 * order is over (its breach), $10 the event's reason code, $11..$22 the
 * plan (store.h FQ_STORE_PLAN_NPARAMS). One row: the outbox seqs written. */
#define FQ_SQL_INSERT_EVENT_NAME "fq_insert_event"
#define FQ_SQL_INSERT_EVENT_NPARAMS 22
#define FQ_SQL_INSERT_EVENT_PLAN 10
#define FQ_SQL_INSERT_EVENT                                                                        \
    "WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($5) ON CONFLICT DO NOTHING"                \
    " RETURNING nonce),"                                                                           \
    " b AS (UPDATE incidents SET breached = breached | $4::smallint,"                              \
    " supervision_due = CASE WHEN $9 THEN NULL ELSE supervision_due END"                           \
    " WHERE id = $1 AND ($4::smallint <> 0 OR $9) AND EXISTS (SELECT 1 FROM g)),"                  \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, "                      \
    "reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                            \
    " SELECT $1, $2, NULL, $16::timestamptz, $3, coalesce($10, '')," FQ_SQL_PLANNED(               \
        "$13", "$14", "$15",                                                                       \
        "1") "," FQ_SQL_FEED("$18", "$19", "$20", "$21",                                           \
                             "$22") " FROM g RETURNING incident_id AS id, "                        \
                                    "seq, " FQ_SQL_FEED_RETURNING ")," FQ_SQL_OUTBOX_CTE(          \
                                        "ev", "ev.seq", "$6", "$7", "$8",                          \
                                        "$17") " SELECT " FQ_SQL_OUTBOX_SEQS("ev") " WHERE "       \
                                                                                   "fq_as_"        \
                                                                                   "planned($11::" \
                                                                                   "boolean, "     \
                                                                                   "(SELECT "      \
                                                                                   "count(*) "     \
                                                                                   "FROM ev), 1)"

/* A terminal's action on an assignment (acknowledge, return, progress,
 * extend, conclude), idempotent by (node, message id): applied only if no
 * earlier request used that id and the incident is as the server believes
 * (open, in the expected assignment state, with the expected holder).
 * $1 node, $2 message id, $3 body digest, $4 incident, $5 event kind,
 * $6 reason (the note), $7 envelope bytes, $8 expected assignment state,
 * $9 expected worker ('' none), $10 expected lead unit ('' none), $11 new
 * assignment state, $12 new incident state, $13 result note (NULL: keep),
 * $14 extension asked for, ms (NULL: keep), $15 a new routing decision
 * follows (bool; a return), $16..$26 as FQ_SQL_REROUTE $2..$12, $27 $28
 * $29 outbox items, $30 the state to answer with, $31 it counts as a
 * re-decision (escalations + 1: a return, an operator's reassignment), $32
 * merged into this open incident (NULL: not a merge; it gets a
 * report_merged event), $33 the supervision order's deadline: NULL keep, ''
 * clear (replied), else epoch ms (ordered), $34 the incident's state
 * expected (NULL: open, 'assigned'; 'concluded' for a reopen), $35 the
 * suspension (docs/console.md "Suspension"): NULL keep, '' resume (the
 * incident must be suspended; the moved limits come as a new routing
 * decision of the same holder, whose breaches and tiers climbed stand: the
 * server does not keep `climbed` in memory), else epoch ms of the
 * suspension (it must not be), $36 the suspension's reason, $37 the event's
 * reason code, $38..$43 the photos that come with it (FQ_SQL_ATTACHMENTS_CTE;
 * NULL: none), $44 a mediation step's record (docs/mediation.md: JSON,
 * projected by migration 0028's trigger; NULL: none). Concluding or merging
 * ends a suspension. $45..$56 the plan (store.h FQ_STORE_PLAN_NPARAMS: the
 * action's event, then the report_merged of a merge; the feeds' item, of
 * the action's event).
 * One row: event seq (NULL if not applied), outbox seqs, and the earlier
 * request's digest, state, event seq and incident (NULL if none). */
#define FQ_SQL_ACTION_NAME "fq_action"
#define FQ_SQL_ACTION_NPARAMS 56
#define FQ_SQL_ACTION_PLAN 44
#define FQ_SQL_ACTION                                                                              \
    "WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests"           \
    " WHERE node = $1 AND message_id = $2),"                                                       \
    " u AS (UPDATE incidents SET assignment = $11, state = $12,"                                   \
    " acknowledged_at = CASE WHEN $11 = 'acknowledged' AND assignment = 'assigned' THEN now()"     \
    " ELSE acknowledged_at END,"                                                                   \
    " concluded_at = CASE WHEN $12 = 'concluded' THEN now() ELSE concluded_at END,"                \
    " result = coalesce($13, result),"                                                             \
    " extension_asked = CASE WHEN $14::bigint IS NULL THEN extension_asked"                        \
    " ELSE to_timestamp($14::double precision / 1000) END,"                                        \
    " tier = CASE WHEN $15 THEN $16::smallint ELSE tier END,"                                      \
    " line = CASE WHEN $15 THEN $17::smallint ELSE line END,"                                      \
    " territory = CASE WHEN $15 THEN $18 ELSE territory END,"                                      \
    " lead_unit = CASE WHEN $15 THEN $19 ELSE lead_unit END,"                                      \
    " worker = CASE WHEN $15 THEN $20 ELSE worker END,"                                            \
    " co_units = CASE WHEN $15 THEN $21::text[] ELSE co_units END,"                                \
    " ack_due = CASE WHEN $15 THEN to_timestamp($22::double precision / 1000) ELSE ack_due END,"   \
    " ack_warn_at = CASE WHEN $15 THEN to_timestamp($23::double precision / 1000)"                 \
    " ELSE ack_warn_at END,"                                                                       \
    " conclude_due = CASE WHEN $15 THEN to_timestamp($24::double precision / 1000)"                \
    " ELSE conclude_due END,"                                                                      \
    " conclude_warn_at = CASE WHEN $15 THEN to_timestamp($25::double precision / 1000)"            \
    " ELSE conclude_warn_at END,"                                                                  \
    " climbed = CASE WHEN $15 AND $35::text IS NULL THEN $26::smallint ELSE climbed END,"          \
    " breached = CASE WHEN $15 AND $35::text IS NULL THEN 0 WHEN $33::text <> '' THEN breached & " \
    "3"                                                                                            \
    " ELSE breached END,"                                                                          \
    " suspended_at = CASE WHEN $12 <> 'assigned' OR $35 = '' THEN NULL"                            \
    " WHEN $35::text IS NULL THEN suspended_at ELSE to_timestamp($35::double precision / 1000) "   \
    "END,"                                                                                         \
    " suspend_reason = CASE WHEN $12 <> 'assigned' OR $35 = '' THEN NULL"                          \
    " WHEN $35::text IS NULL THEN suspend_reason ELSE $36 END,"                                    \
    " escalations = escalations + CASE WHEN $31 THEN 1 ELSE 0 END,"                                \
    " merged_into = coalesce($32::bigint, merged_into),"                                           \
    " supervision_due = CASE WHEN $33::text IS NULL THEN supervision_due WHEN $33 = '' THEN NULL"  \
    " ELSE to_timestamp($33::double precision / 1000) END"                                         \
    " WHERE id = $4 AND state = coalesce($34, 'assigned') AND assignment = $8"                     \
    " AND coalesce(worker, '') = $9"                                                               \
    " AND coalesce(lead_unit, '') = $10 AND NOT EXISTS (SELECT 1 FROM prior)"                      \
    " AND ($35::text IS NULL OR (suspended_at IS NULL) = ($35 <> '')) RETURNING id),"              \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload, "             \
    "reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                            \
    " SELECT id, $5, $1, $50::timestamptz, $6, $7, coalesce($37, '')," FQ_SQL_PLANNED(             \
        "$47", "$48", "$49",                                                                       \
        "1") "," FQ_SQL_FEED("$52", "$53", "$54", "$55",                                           \
                             "$56") " FROM u RETURNING incident_id AS id, "                        \
                                    "seq, " FQ_SQL_FEED_RETURNING ")," FQ_SQL_ACTION_ATTACHMENTS   \
                                    " tr AS (INSERT INTO terminal_requests (node, message_id, "    \
                                    "digest, incident_id, "                                        \
                                    "state,"                                                       \
                                    " event_seq) SELECT $1, $2, $3, id, $30, seq FROM ev),"        \
                                    " md AS (INSERT INTO mediation_steps (incident_id, "           \
                                    "event_seq, kind, actor_node, "                                \
                                    "record)"                                                      \
                                    " SELECT id, seq, $5, $1, $44::jsonb FROM ev WHERE "           \
                                    "$44::jsonb IS NOT NULL),"                                     \
                                    " mg AS (INSERT INTO events (incident_id, kind, actor_node, "  \
                                    "at, reason, "                                                 \
                                    "reason_code, " FQ_SQL_PLANNED_COLUMNS ")"                     \
                                    " SELECT $32, 'report_merged', $1, $50::timestamptz, "         \
                                    "'incident ' || id || ' merged "                               \
                                    "into it',"                                                    \
                                    " coalesce($37, '')," FQ_SQL_PLANNED(                          \
                                        "$47", "$48", "$49",                                       \
                                        "2") " FROM ev"                                            \
                                             " WHERE $32::bigint IS NOT NULL)," FQ_SQL_OUTBOX_CTE( \
                                                 "ev", "ev.seq", "$27", "$28", "$29",              \
                                                 "$51") " SELECT (SELECT seq FROM "                \
                                                        "ev), " FQ_SQL_OUTBOX_SEQS("ev") ", "      \
                                                                                         "p."      \
                                                                                         "digest," \
                                                                                         " p."     \
                                                                                         "state, " \
                                                                                         "p."      \
                                                                                         "event_"  \
                                                                                         "seq,"    \
                                                                                         " p."     \
                                                                                         "inciden" \
                                                                                         "t_id "   \
                                                                                         "FROM "   \
                                                                                         "(SELECT" \
                                                                                         " 1) "    \
                                                                                         "one "    \
                                                                                         "LEFT "   \
                                                                                         "JOIN "   \
                                                                                         "prior "  \
                                                                                         "p ON "   \
                                                                                         "true"    \
                                                                                         " WHERE " \
                                                                                         "fq_as_"  \
                                                                                         "planned" \
                                                                                         "($45::"  \
                                                                                         "boolean" \
                                                                                         ", "      \
                                                                                         "(SELECT" \
                                                                                         " count(" \
                                                                                         "*) "     \
                                                                                         "FROM "   \
                                                                                         "ev), "   \
                                                                                         "1)"

/* FQ_SQL_READ_OUTBOX and FQ_SQL_FIND_REQUEST: sql/read_outbox.sql and
 * sql/find_request.sql (fq_sql.h). */

/* What the command center records after a conclusion (verify, follow-up),
 * idempotent like an action. $1 node, $2 message id, $3 digest, $4
 * incident, $5 event kind (verified, followed_up), $6 reason, $7 envelope,
 * $8 satisfaction (NULL: none), $9 the operator's jurisdiction. One row:
 * event seq (NULL if not applied), the earlier request's digest, state,
 * event seq, incident (NULL if none), and the incident's state inside the
 * jurisdiction (NULL: unknown or outside). $10..$21 the plan (store.h
 * FQ_STORE_PLAN_NPARAMS; no feed item: NULL). */
#define FQ_SQL_AFTERCARE_NAME "fq_aftercare"
#define FQ_SQL_AFTERCARE_NPARAMS 21
#define FQ_SQL_AFTERCARE_PLAN 9
#define FQ_SQL_AFTERCARE                                                                           \
    "WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests"           \
    " WHERE node = $1 AND message_id = $2),"                                                       \
    " u AS (UPDATE incidents SET"                                                                  \
    " verified_at = CASE WHEN $5 = 'verified' THEN now() ELSE verified_at END,"                    \
    " followed_up_at = CASE WHEN $5 = 'followed_up' THEN now() ELSE followed_up_at END,"           \
    " satisfaction = coalesce($8::smallint, satisfaction)"                                         \
    " WHERE id = $4 AND state = 'concluded'"                                                       \
    " AND fq_unit_within(coalesce(territory, place_unit), $9)"                                     \
    " AND NOT EXISTS (SELECT 1 FROM prior) RETURNING id),"                                         \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload, "             \
    "reason_code, " FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                            \
    " SELECT id, $5, $1, $15::timestamptz, $6, $7, 'operator_choice'," FQ_SQL_PLANNED(             \
        "$12", "$13", "$14",                                                                       \
        "1") "," FQ_SQL_FEED("$17", "$18", "$19", "$20",                                           \
                             "$21") " FROM u RETURNING incident_id AS id, seq),"                   \
                                    " tr AS (INSERT INTO terminal_requests (node, message_id, "    \
                                    "digest, incident_id, "                                        \
                                    "state,"                                                       \
                                    " event_seq) SELECT $1, $2, $3, id, 'concluded', seq FROM ev)" \
                                    " SELECT (SELECT seq FROM ev), p.digest, p.state, "            \
                                    "p.event_seq, p.incident_id,"                                  \
                                    " (SELECT i.state FROM incidents i WHERE i.id = $4"            \
                                    " AND fq_unit_within(coalesce(i.territory, i.place_unit), "    \
                                    "$9))"                                                         \
                                    " FROM (SELECT 1) one LEFT JOIN prior p ON true"               \
                                    " WHERE fq_as_planned($10::boolean, (SELECT count(*) FROM "    \
                                    "ev), 1)"

/* FQ_SQL_REOPEN_ROW: sql/reopen_row.sql. */

/* ---- the console: sql/console_*.sql, bound and read by store/console_rows.h ---- */

/* The web console's names and shapes inside a jurisdiction ($1, an org
 * unit), as one JSON document (docs/http-api.md, "Reference data"): the
 * district, the towns with their villages and grids (rings as [lat, lng]),
 * the handling units, the workers, the categories. One row, one column.
 * The units include those above the jurisdiction (a town's page names the
 * district's center and departments that hold or co-handle its incidents,
 * and offers them in the assignment chooser), not only those inside it. */
#define FQ_SQL_WEB_TOPOLOGY_NAME "fq_web_topology"
#define FQ_SQL_WEB_TOPOLOGY_NPARAMS 1
#define FQ_SQL_WEB_TOPOLOGY                                                                        \
    "WITH RECURSIVE sub (id, kind, parent_id, name) AS ("                                          \
    " SELECT id, kind, parent_id, name FROM org_units WHERE id = $1"                               \
    " UNION ALL SELECT o.id, o.kind, o.parent_id, o.name FROM org_units o"                         \
    " JOIN sub ON o.parent_id = sub.id)"                                                           \
    " SELECT json_build_object("                                                                   \
    " 'district', (SELECT json_build_object('id', d.id, 'name', d.name) FROM org_units d"          \
    " WHERE d.kind = 'district' AND fq_unit_within($1, d.id)),"                                    \
    " 'towns', coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name,"            \
    " 'villages', coalesce((SELECT json_agg(json_build_object('id', v.id, 'name', v.name,"         \
    " 'grids', coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name,"            \
    " 'ring', coalesce((SELECT json_agg(json_build_array(p.ring[2 * k], p.ring[2 * k - 1])"        \
    " ORDER BY k) FROM grid_polygons p,"                                                           \
    " generate_series(1, array_length(p.ring, 1) / 2) k WHERE p.grid = g.id), '[]'))"              \
    " ORDER BY g.id) FROM sub g WHERE g.parent_id = v.id AND g.kind = 'grid'), '[]'))"             \
    " ORDER BY v.id) FROM sub v WHERE v.parent_id = t.id AND v.kind = 'village'), '[]'))"          \
    " ORDER BY t.id) FROM sub t WHERE t.kind = 'town'), '[]'),"                                    \
    " 'units', coalesce((SELECT json_agg(json_build_object('id', h.id, 'name', h.name,"            \
    " 'kind', h.kind, 'line', coalesce(h.line, ''), 'territory', h.territory) ORDER BY h.id)"      \
    " FROM handlers h WHERE h.territory IN (SELECT id FROM sub)"                                   \
    " OR fq_unit_within($1, h.territory)), '[]'),"                                                 \
    " 'workers', coalesce((SELECT json_agg(json_build_object('id', w.id, 'name', w.name,"          \
    " 'grid', w.grid, 'capacity', w.capacity) ORDER BY w.id)"                                      \
    " FROM workers w WHERE w.grid IN (SELECT id FROM sub)), '[]'),"                                \
    " 'categories', coalesce((SELECT json_agg(json_build_object('code', c.code, 'name', c.name,"   \
    " 'line', c.line) ORDER BY c.code) FROM categories c), '[]'))::text"

/* One refused request for the audit trail.
 * $1 endpoint, $2 claimed node, $3 message id (NULL if none or out of range),
 * $4 status, $5 reason, $6 frame bytes, $7 frame digest. */
#define FQ_SQL_INSERT_REJECTED_NAME "fq_insert_rejected"
#define FQ_SQL_INSERT_REJECTED_NPARAMS 7
#define FQ_SQL_INSERT_REJECTED                                                                     \
    "INSERT INTO rejected_requests (endpoint, claimed_node, message_id, status, reason,"           \
    " frame_bytes, frame_digest) VALUES ($1, $2, $3, $4, $5, $6, $7)"

/* The outcome of the last directory load (migration 0011, docs/operations.md).
 * $1 ok, $2 serving (current, previous, none), $3 error ('' when ok). */
#define FQ_SQL_ROUTING_STATUS_NAME "fq_routing_status"
#define FQ_SQL_ROUTING_STATUS_NPARAMS 3
#define FQ_SQL_ROUTING_STATUS                                                                      \
    "INSERT INTO routing_status AS s (ok, serving, error, at, loaded_at)"                          \
    " VALUES ($1::boolean, $2, $3, now(), CASE WHEN $1::boolean THEN now() END)"                   \
    " ON CONFLICT (one) DO UPDATE SET ok = excluded.ok, serving = excluded.serving,"               \
    " error = excluded.error, at = excluded.at,"                                                   \
    " loaded_at = coalesce(excluded.loaded_at, s.loaded_at)"

/* The directory the server keeps in memory: organisation tree and nodes,
 * and the routing snapshot (routing_state.h says the columns). */
/* Units in id order (byte order): a unit's index, and so which grid wins
 * inside a tolerated sliver of overlap (geo.h), is the same on every load. */
#define FQ_SQL_LOAD_UNITS                                                                          \
    "SELECT id, kind, coalesce(parent_id, ''), name FROM org_units ORDER BY id COLLATE \"C\""
/* The last column is the node's name as people read it where it acts (a feed
 * item's actor_name): FQ_SQL_NODE_NAME. */
#define FQ_SQL_LOAD_NODES                                                                          \
    "SELECT n.id, n.role, n.jurisdiction, n.key_sealed, n.revoked_at IS NOT NULL,"                 \
    " coalesce(n.serves_worker, ''), coalesce(n.serves_handler, ''), " FQ_SQL_NODE_NAME            \
    " FROM nodes n"                                                                                \
    " LEFT JOIN web_accounts a ON a.node_id = n.id LEFT JOIN workers w ON w.id = n.serves_worker"
#define FQ_SQL_LOAD_CATEGORIES "SELECT code, line, name, photo_to_conclude FROM categories"
#define FQ_SQL_LOAD_RULES                                                                          \
    "SELECT r.id, coalesce(r.category, ''), r.severity, r.risk, r.tier, coalesce(r.line, ''),"     \
    " r.co_departments, r.ack_s, r.ack_warn_s, r.conclude_s, r.conclude_warn_s, s.version,"        \
    " r.time_basis = 'working'"                                                                    \
    " FROM rules r JOIN rule_sets s ON s.version = r.rule_set WHERE s.active"
#define FQ_SQL_LOAD_HANDLERS                                                                       \
    "SELECT id, kind, territory, coalesce(line, ''), coalesce(code, ''), name FROM handlers"
#define FQ_SQL_LOAD_WORKERS                                                                        \
    "SELECT w.id, w.grid, w.capacity, w.on_duty,"                                                  \
    " (SELECT count(*) FROM incidents i WHERE i.worker = w.id AND i.state = 'assigned'), w.name"   \
    " FROM workers w"
#define FQ_SQL_LOAD_POLYGONS "SELECT grid, ring FROM grid_polygons"
/* The districts' working calendars (docs/calendar.md, migrations/0018):
 * settings with the years imported, then every dated exception as a day
 * number (days since 1970-01-01). */
#define FQ_SQL_LOAD_CALENDARS                                                                      \
    "SELECT c.district, c.utc_offset_s, array_to_string(c.working_periods, ','),"                  \
    " c.working_weekdays, coalesce((SELECT string_agg(y.year::text, ',') FROM calendar_years y"    \
    " WHERE y.district = c.district), '') FROM calendars c"
#define FQ_SQL_LOAD_CALENDAR_DAYS                                                                  \
    "SELECT district, day - date '1970-01-01', working FROM calendar_days"
/* An open incident's case as stored, for binary results: the columns
 * server/store/case_rows.c decodes, in its order (id, category, severity,
 * risk, place unit, lon, lat, reporting node, tier, line, territory, worker,
 * the four limits, escalations, recorded at, breached, lead, co-handlers,
 * assignment, extension asked, supervision due, incident time, working
 * time, suspended at, climbed, mediation). Times as timestamptz, ids and
 * coordinates as stored: nothing is formatted as text for 1 M rows at start.
 * A village-tier lead is not sent (it is the village's unit). The incident
 * time is when it happened, if the report said so, never later than its
 * intake. Working time: the rule that decided it says so (the working-time
 * rules are few: a hashed subplan, not a lookup per row); false for an
 * incident no rule decided. The mediation's state ('' none, open, ended:
 * docs/mediation.md) by uncorrelated IN lists: hashed subplans built once,
 * not a lookup per incident of a million. */
#define FQ_SQL_CASE_COLUMNS                                                                        \
    " id, category, severity, risk, place_unit, lon, lat, reporter_node, tier, line, territory,"   \
    " worker, ack_warn_at, ack_due, conclude_warn_at, conclude_due, escalations, recorded_at,"     \
    " breached, CASE WHEN tier > 1 THEN lead_unit END,"                                            \
    " CASE WHEN co_units <> '{}' THEN co_units END, assignment,"                                   \
    " CASE WHEN assignment = 'extension_requested' THEN extension_asked END, supervision_due,"     \
    " least(coalesce(occurred_at, recorded_at), recorded_at),"                                     \
    " coalesce(" FQ_SQL_DECIDED_IN_WORKING_TIME(                                                   \
        "rule_source") ", false), suspended_at, climbed,"                                          \
                       " CASE WHEN id IN (SELECT incident_id FROM mediation_cases WHERE state = "  \
                       "'open') THEN 'open'"                                                       \
                       " WHEN id IN (SELECT incident_id FROM mediation_cases WHERE state = "       \
                       "'ended') THEN 'ended'"                                                     \
                       " ELSE '' END"
/* The open incidents, read once at start inside the directory load's
 * transaction: a cursor fetched in chunks of FQ_OPEN_CHUNK_ROWS rows, a few
 * fetches ahead, so that the server takes in one chunk while PostgreSQL
 * produces the next and no result of a million rows is ever held
 * (store.c, send_load). */
#define FQ_SQL_OPEN_CURSOR                                                                         \
    "DECLARE fq_open_cases NO SCROLL CURSOR FOR SELECT" FQ_SQL_CASE_COLUMNS                        \
    " FROM incidents WHERE state = 'assigned'"
#define FQ_OPEN_CHUNK_ROWS 4096
#define FQ_SQL_STRINGIFY_(x) #x
#define FQ_SQL_STRINGIFY(x) FQ_SQL_STRINGIFY_(x)
#define FQ_SQL_OPEN_FETCH "FETCH " FQ_SQL_STRINGIFY(FQ_OPEN_CHUNK_ROWS) " FROM fq_open_cases"

/* What one directory load reads, in this order. */
enum {
    FQ_LOAD_UNITS,
    FQ_LOAD_NODES,
    FQ_LOAD_CATEGORIES,
    FQ_LOAD_RULES,
    FQ_LOAD_HANDLERS,
    FQ_LOAD_WORKERS,
    FQ_LOAD_POLYGONS,
    FQ_LOAD_CALENDARS,
    FQ_LOAD_CALENDAR_DAYS,
    FQ_LOAD_COUNT
};
#define FQ_SQL_LOADS                                                                               \
    {                                                                                              \
        FQ_SQL_LOAD_UNITS, FQ_SQL_LOAD_NODES, FQ_SQL_LOAD_CATEGORIES, FQ_SQL_LOAD_RULES,           \
            FQ_SQL_LOAD_HANDLERS, FQ_SQL_LOAD_WORKERS, FQ_SQL_LOAD_POLYGONS,                       \
            FQ_SQL_LOAD_CALENDARS, FQ_SQL_LOAD_CALENDAR_DAYS                                       \
    }

/* Admin tools NOTIFY this channel after changing units or nodes; the server
 * LISTENs and reloads its directory. */
/* ---- the web console's accounts and sessions (migrations/0016, server/web/http.c) ----
 * Run on the writes store: a session is answered only once its row is
 * committed. */

/* What a worker account's terminal node serves (migration 0025): the worker
 * and the handling unit ('' when none) and the one served by name. Over
 * nodes n. */
#define FQ_SQL_WEB_SERVES                                                                          \
    "coalesce(n.serves_worker, ''), coalesce(n.serves_handler, ''),"                               \
    " coalesce((SELECT w.name FROM workers w WHERE w.id = n.serves_worker),"                       \
    " (SELECT h.name FROM handlers h WHERE h.id = n.serves_handler), '')"

/* One account by name: account, display name, role, node id, the node's
 * jurisdiction, its name, password hash, disabled (bool), node revoked
 * (bool), then FQ_SQL_WEB_SERVES (9, 10, 11). */
#define FQ_SQL_WEB_ACCOUNT_NAME "fq_web_account"
#define FQ_SQL_WEB_ACCOUNT_NPARAMS 1
#define FQ_SQL_WEB_ACCOUNT                                                                         \
    "SELECT a.account, a.display_name, a.role, a.node_id, n.jurisdiction, u.name,"                 \
    " a.password_hash, a.disabled_at IS NOT NULL, n.revoked_at IS NOT NULL, " FQ_SQL_WEB_SERVES    \
    " FROM web_accounts a"                                                                         \
    " JOIN nodes n ON n.id = a.node_id JOIN org_units u ON u.id = n.jurisdiction"                  \
    " WHERE a.account = $1"

/* A new session and its 'ok' sign-in row. $1 token hash (bytea), $2 account,
 * $3 CSRF token, $4 remote, $5 life in seconds. Out: expires_at (epoch ms). */
#define FQ_SQL_WEB_SESSION_NEW_NAME "fq_web_session_new"
#define FQ_SQL_WEB_SESSION_NEW_NPARAMS 5
#define FQ_SQL_WEB_SESSION_NEW                                                                     \
    "WITH s AS (INSERT INTO web_sessions (token_hash, account, csrf_token, remote, expires_at)"    \
    " VALUES ($1, $2, $3, $4, now() + $5::int * interval '1 second') RETURNING expires_at),"       \
    " l AS (INSERT INTO web_logins (account, remote, outcome) VALUES ($2, $4, 'ok'))"              \
    " SELECT (extract(epoch FROM expires_at) * 1000)::bigint FROM s"

/* A sign-in attempt that opened nothing: $1 the account as typed (cut to 64
 * characters), $2 remote, $3 outcome. */
#define FQ_SQL_WEB_LOGIN_NAME "fq_web_login"
#define FQ_SQL_WEB_LOGIN_NPARAMS 3
#define FQ_SQL_WEB_LOGIN                                                                           \
    "INSERT INTO web_logins (account, remote, outcome) VALUES (left($1, 64), $2, $3)"

/* A live session by its token hash ($1): account, display name, role, node
 * id, jurisdiction, its name, CSRF token, expires_at (epoch ms), then
 * FQ_SQL_WEB_SERVES (8, 9, 10). No row: no such session, ended, expired,
 * account disabled or node revoked. */
#define FQ_SQL_WEB_SESSION_GET_NAME "fq_web_session_get"
#define FQ_SQL_WEB_SESSION_GET_NPARAMS 1
#define FQ_SQL_WEB_SESSION_GET                                                                     \
    "SELECT a.account, a.display_name, a.role, a.node_id, n.jurisdiction, u.name, s.csrf_token,"   \
    " (extract(epoch FROM s.expires_at) * 1000)::bigint, " FQ_SQL_WEB_SERVES                       \
    " FROM web_sessions s"                                                                         \
    " JOIN web_accounts a ON a.account = s.account JOIN nodes n ON n.id = a.node_id"               \
    " JOIN org_units u ON u.id = n.jurisdiction WHERE s.token_hash = $1 AND s.ended_at IS NULL"    \
    " AND s.expires_at > now() AND a.disabled_at IS NULL AND n.revoked_at IS NULL"

/* Ends a session ($1 token hash) with a 'logout' row ($2 remote). */
#define FQ_SQL_WEB_SESSION_END_NAME "fq_web_session_end"
#define FQ_SQL_WEB_SESSION_END_NPARAMS 2
#define FQ_SQL_WEB_SESSION_END                                                                     \
    "WITH s AS (UPDATE web_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS"    \
    " NULL RETURNING account) INSERT INTO web_logins (account, remote, outcome)"                   \
    " SELECT account, $2, 'logout' FROM s"

/* ---- the field API (docs/http-api.md "The field API", web/field.c) ----
 * On the reads store. A worker account sees an incident only while an item
 * of it is in its outbox ('w:<worker>' or 'h:<unit>': it holds or held it). */

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

/* FQ_SQL_FIELD_ASSIGNMENTS: sql/field_assignments.sql. */

/* One incident the account holds or held (bound by fq_field_incident_bind,
 * field_reads.h: $1 its box, $2 the unit it serves or '', $3 the
 * incident): the assignment's fields and more, the description, the
 * reporter (the citizen's phone masked: 138****5678), the territory's ring
 * ([lat, lng] as in the topology), the supervision order waiting for its
 * reply (null: none) and the timeline with each event's photos. A reason
 * fengqiaod wrote itself (rule numbers, limits) is left out, as in the
 * terminals' items: its reason_code says why. No row: not the account's.
 * (clang-format would cut the SQL between the macro calls into pieces.) */
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
#define FQ_SQL_FIELD_INCIDENT_NAME "fq_field_incident"
#define FQ_SQL_FIELD_INCIDENT_NPARAMS 3
#define FQ_SQL_FIELD_INCIDENT                                                                      \
    "SELECT json_build_object('incident', " FQ_SQL_FIELD_ASSIGNMENT "::jsonb"                      \
    " || jsonb_build_object('tier', coalesce((ARRAY['village', 'town', 'district'])[i.tier], ''),"  \
    " 'line', coalesce((ARRAY['governance', 'market', 'enforcement', 'services'])[i.line + 1],"    \
    " ''), 'lead_unit', coalesce(i.lead_unit, ''), 'lead_unit_name', coalesce((SELECT h.name"      \
    " FROM handlers h WHERE h.id = i.lead_unit), ''), 'worker', coalesce(i.worker, ''),"           \
    " 'worker_name', coalesce((SELECT w.name FROM workers w WHERE w.id = i.worker), ''),"          \
    " 'co_units', to_jsonb(i.co_units), 'reporter_node', i.reporter_node,"                         \
    " 'reporter_node_name', " FQ_SQL_FIELD_NAMED_NODE("i.reporter_node") ","                       \
    " 'reporter_name', i.reporter_name, 'reporter_phone', CASE WHEN i.reporter_phone = '' THEN ''" \
    " WHEN length(i.reporter_phone) >= 8 THEN left(i.reporter_phone, 3) || '****' ||"              \
    " right(i.reporter_phone, 4) ELSE '****' END, 'external_ref', i.external_ref,"                 \
    " 'suspend_reason', coalesce(i.suspend_reason, ''), 'result', i.result),"                      \
    " 'description', i.description,"                                                               \
    " 'ring', coalesce((SELECT json_agg(json_build_array(p.ring[2 * k], p.ring[2 * k - 1])"        \
    " ORDER BY k) FROM grid_polygons p, generate_series(1, array_length(p.ring, 1) / 2) k"         \
    " WHERE p.grid = i.territory), '[]'),"                                                         \
    " 'supervision', CASE WHEN i.supervision_due IS NOT NULL THEN (SELECT json_build_object("     \
    " 'due_ms', " FQ_SQL_FIELD_MS("i.supervision_due") ", 'at_ms', " FQ_SQL_FIELD_MS("e.at") ","   \
    " 'note', e.reason, 'actor_name', " FQ_SQL_FIELD_NAMED_NODE("e.actor_node") ")"                \
    " FROM events e WHERE e.incident_id = i.id AND e.kind = 'supervision_ordered'"                 \
    " ORDER BY e.seq DESC LIMIT 1) END,"                                                           \
    " 'timeline', coalesce((SELECT json_agg(json_build_object('seq', e.seq, 'kind', e.kind,"       \
    " 'actor', coalesce(e.actor_node, ''), 'at_ms', " FQ_SQL_FIELD_MS("e.at") ","                  \
    " 'reason', CASE WHEN e.actor_node IS NULL THEN '' ELSE e.reason END,"                         \
    " 'reason_code', e.reason_code, 'actor_name', " FQ_SQL_FIELD_NAMED_NODE("e.actor_node") ","    \
    " 'attachments', " FQ_SQL_FIELD_ATTACHMENTS("e.seq") ") ORDER BY e.seq)"                       \
    " FROM events e WHERE e.incident_id = i.id), '[]'))::text"                                     \
    " FROM incidents i LEFT JOIN categories c ON c.code = i.category"                              \
    " LEFT JOIN org_units u ON u.id = i.territory WHERE i.id = $3::bigint"                         \
    " AND EXISTS (SELECT 1 FROM outbox o WHERE o.box = $1 AND o.incident_id = i.id)"
// clang-format on

/* FQ_SQL_FIELD_EVENT_ATTACHMENTS: sql/field_event_attachments.sql. */

/* One attachment's bytes for GET /api/v1/attachments/ID (web/attachments.c)
 * if the asker may see it: $1 its id; $2 a console account's jurisdiction
 * (the incident's place within it, as the console reads an incident), or
 * $3 a worker account's box (an item of the incident in it); '' for the one
 * that does not apply. Content type, sha256 (hex), bytes. No row: no such
 * attachment, or not the asker's. */
#define FQ_SQL_ATTACHMENT_GET_NAME "fq_attachment_get"
#define FQ_SQL_ATTACHMENT_GET_NPARAMS 3
#define FQ_SQL_ATTACHMENT_GET                                                                      \
    "SELECT x.content_type, encode(x.sha256, 'hex'), x.bytes FROM attachments x"                   \
    " JOIN incidents i ON i.id = x.incident_id WHERE x.id = $1::bigint"                            \
    " AND (($2 <> '' AND fq_unit_within(coalesce(i.territory, i.place_unit), $2))"                 \
    " OR ($3 <> '' AND EXISTS (SELECT 1 FROM outbox o WHERE o.box = $3"                            \
    " AND o.incident_id = i.id)))"

/* ---- mediation (docs/mediation.md, web/mediation.c): JSON built by
 * migration 0028's functions, one row, one column ---- */

/* $1 incident, $2 the account's jurisdiction; phones masked. No row: no
 * such incident; allowed, doc (NULL: no mediation). */
#define FQ_SQL_MEDIATION_CASE_NAME "fq_mediation_case"
#define FQ_SQL_MEDIATION_CASE_NPARAMS 2
#define FQ_SQL_MEDIATION_CASE                                                                      \
    "SELECT allowed, doc::text FROM fq_mediation_case_read($1::bigint, $2)"

/* The same with the parties' phones whole, on the writes store: the look's
 * mediation_reveals row is written by the same statement ($3 account, $4
 * role, $5 remote), so it is committed before the answer. */
#define FQ_SQL_MEDIATION_REVEAL_NAME "fq_mediation_reveal"
#define FQ_SQL_MEDIATION_REVEAL_NPARAMS 5
#define FQ_SQL_MEDIATION_REVEAL                                                                    \
    "SELECT allowed, doc::text FROM fq_mediation_reveal($1::bigint, $2, $3, $4, $5)"

/* $1 'open' or 'ended', $2 jurisdiction, $3 at most this many. */
#define FQ_SQL_MEDIATION_CASES_NAME "fq_mediation_cases"
#define FQ_SQL_MEDIATION_CASES_NPARAMS 3
#define FQ_SQL_MEDIATION_CASES "SELECT fq_mediation_worklist($1, $2, $3::integer)::text"

/* $1 from ms, $2 to ms, $3 town|committee|mediator, $4 jurisdiction. */
#define FQ_SQL_MEDIATION_STATS_NAME "fq_mediation_stats"
#define FQ_SQL_MEDIATION_STATS_NPARAMS 4
#define FQ_SQL_MEDIATION_STATS                                                                     \
    "SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb)::text FROM fq_mediation_stats("          \
    "to_timestamp($1::double precision / 1000), to_timestamp($2::double precision / 1000), $3,"    \
    " $4) s"

/* $1 jurisdiction: the committees and mediators it may name. */
#define FQ_SQL_MEDIATION_DIRECTORY_NAME "fq_mediation_directory"
#define FQ_SQL_MEDIATION_DIRECTORY_NPARAMS 1
#define FQ_SQL_MEDIATION_DIRECTORY "SELECT fq_mediation_directory($1)::text"

/* ---- Open311 GeoReport v2 (docs/open311.md, web/open311.c) ---- */

/* The node of an API key ($1 its BLAKE2b-256), unless revoked. */
#define FQ_SQL_O311_KEY_NAME "fq_o311_key"
#define FQ_SQL_O311_KEY_NPARAMS 1
#define FQ_SQL_O311_KEY "SELECT node_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"

/* The services: every category, or the one whose service code is $1:
 * service code, name (the category's), group, keywords (comma-separated),
 * category code. */
#define FQ_SQL_O311_SERVICES_NAME "fq_o311_services"
#define FQ_SQL_O311_SERVICES_NPARAMS 1
#define FQ_SQL_O311_SERVICES                                                                       \
    "SELECT coalesce(open311_code, code), name, open311_group,"                                    \
    " array_to_string(open311_keywords, ', '), code FROM categories"                               \
    " WHERE $1::text IS NULL OR coalesce(open311_code, code) = $1 ORDER BY 1"

/* Service requests within the unit $1 (where routing placed them; its units
 * walked once, not per row): the ids $2 (comma-separated; then nothing else
 * filters), else the service codes $3 (comma-separated or NULL) recorded in
 * [$4, $5) (epoch ms) with the statuses $6 (comma-separated or NULL; closed:
 * concluded or merged); newest first, at most $7. Columns: id, status,
 * status notes, service name, service code, description, the holding unit's
 * name (a merged one's: the holder of the incident it joined), requested, updated and expected
 * times (UTC; '' when none), address, address id, lat, long. Never the reporter's fields. */
#define FQ_SQL_O311_REQUESTS_NAME "fq_o311_requests"
#define FQ_SQL_O311_REQUESTS_NPARAMS 7
#define FQ_SQL_O311_REQUESTS                                                                       \
    "WITH RECURSIVE sub (id) AS (SELECT id FROM org_units WHERE id = $1"                           \
    " UNION ALL SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id)"                    \
    " SELECT i.id, CASE WHEN i.state IN ('concluded', 'closed', 'merged') THEN 'closed' ELSE "     \
    "'open' END,"                                                                                  \
    " CASE WHEN i.state = 'merged' THEN '已并入第' || i.merged_into || '号事件办理'"      \
    " WHEN i.state IN ('concluded', 'closed') THEN i.result"                                       \
    " WHEN i.suspended_at IS NOT NULL THEN '中止办理：' || i.suspend_reason ELSE '' END,"     \
    " coalesce(c.name, i.category), coalesce(c.open311_code, i.category), i.description,"          \
    " coalesce(h.name, hm.name, ''),"                                                              \
    " to_char((i.recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"              \
    " to_char((coalesce((SELECT max(e.at) FROM events e WHERE e.incident_id = i.id), "             \
    "i.recorded_at)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                       \
    " coalesce(to_char((i.conclude_due) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "   \
    "''),"                                                                                         \
    " i.address, coalesce(i.place_unit, i.territory, ''), i.lat, i.lon"                            \
    " FROM incidents i LEFT JOIN categories c ON c.code = i.category"                              \
    " LEFT JOIN handlers h ON h.id = i.lead_unit"                                                  \
    " LEFT JOIN incidents m ON m.id = i.merged_into LEFT JOIN handlers hm ON hm.id = m.lead_unit"  \
    " WHERE coalesce(i.territory, i.place_unit) IN (SELECT id FROM sub)"                           \
    " AND ($2::text IS NULL OR i.id = ANY (string_to_array($2, ',')::bigint[]))"                   \
    " AND ($2::text IS NOT NULL OR (($3::text IS NULL"                                             \
    " OR coalesce(c.open311_code, i.category) = ANY (string_to_array($3, ',')))"                   \
    " AND i.recorded_at >= to_timestamp($4::bigint / 1000.0)"                                      \
    " AND i.recorded_at < to_timestamp($5::bigint / 1000.0)"                                       \
    " AND ($6::text IS NULL OR CASE WHEN i.state IN ('concluded', 'closed', 'merged') THEN "       \
    "'closed' ELSE 'open' END = ANY (string_to_array($6, ',')))))"                                 \
    " ORDER BY i.recorded_at DESC, i.id DESC LIMIT $7::int"

#define FQ_DIRECTORY_CHANNEL "fengqiao_directory"

/* ---- the front desk (docs/front-desk.md, web/frontdesk.c) ---- */

/* The front desk's personal-data key, sealed ($1: a new one, sealed, kept
 * only if there is none yet): the one the table holds. */
#define FQ_SQL_FD_KEY_NAME "fq_fd_key"
#define FQ_SQL_FD_KEY_NPARAMS 1
#define FQ_SQL_FD_KEY                                                                              \
    "WITH ins AS (INSERT INTO sealed_keys (name, key_sealed) VALUES ('frontdesk', $1)"             \
    " ON CONFLICT (name) DO NOTHING RETURNING key_sealed)"                                         \
    " SELECT key_sealed FROM ins UNION ALL SELECT key_sealed FROM sealed_keys"                     \
    " WHERE name = 'frontdesk' LIMIT 1"

/* Where a registered case went, by name: over incidents i. */
#define FQ_SQL_FD_PLACED                                                                           \
    "json_build_object('incident_id', i.id, 'state', i.state, 'tier', i.tier,"                     \
    " 'line', coalesce((ARRAY['governance', 'market', 'enforcement', 'services'])[i.line + 1],"    \
    " ''), 'territory_name', coalesce((SELECT u.name FROM org_units u WHERE u.id ="                \
    " i.territory), ''), 'lead_unit_name', coalesce((SELECT h.name FROM handlers h WHERE h.id ="   \
    " i.lead_unit), (SELECT u.name FROM org_units u WHERE u.id = i.lead_unit), ''),"               \
    " 'worker_name', coalesce((SELECT w.name FROM workers w WHERE w.id = i.worker), ''),"          \
    " 'merged_into', i.merged_into, 'category_name', coalesce((SELECT c.name FROM categories c"    \
    " WHERE c.code = i.category), i.category))"

/* The person of a case just stored, on the writes store (committed before
 * the answer): $1 incident, $2 matter, $3 masked name, $4 sealed name, $5
 * name hash, $6 masked phone, $7 sealed phone, $8 phone hash, $9 masked id
 * number, $10 sealed id number, $11 id hash (bytea, binary; NULL: none),
 * $12 the receptionist's account. A resend finds the row the first one
 * wrote. Out: party id, FQ_SQL_FD_PLACED (json text). */
#define FQ_SQL_FD_PARTY_ADD_NAME "fq_fd_party_add"
#define FQ_SQL_FD_PARTY_ADD_NPARAMS 12
#define FQ_SQL_FD_PARTY_ADD                                                                        \
    "WITH ins AS (INSERT INTO case_parties (incident_id, matter, name_masked, name_sealed,"        \
    " name_hash, phone_masked, phone_sealed, phone_hash, id_masked, id_sealed, id_hash,"           \
    " registered_by) VALUES ($1::bigint, $2::smallint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" \
    " ON CONFLICT (incident_id) DO NOTHING RETURNING id, incident_id),"                            \
    " p AS (SELECT id, incident_id FROM ins UNION ALL SELECT id, incident_id FROM case_parties"    \
    " WHERE incident_id = $1::bigint LIMIT 1)"                                                     \
    " SELECT p.id, " FQ_SQL_FD_PLACED "::text FROM p JOIN incidents i ON i.id = p.incident_id"

/* A person's full data, on the writes store, with its audit row in the
 * same statement: $1 party id, $2 the asker's jurisdiction (the case's
 * place within it), $3 account, $4 role, $5 remote. Out: party id,
 * incident id, sealed name, phone, id number (bytea; NULL: none), masked
 * name, phone, id number, matter. No row: no such person, or not the
 * asker's — and no audit row either. */
#define FQ_SQL_FD_REVEAL_NAME "fq_fd_reveal"
#define FQ_SQL_FD_REVEAL_NPARAMS 5
#define FQ_SQL_FD_REVEAL                                                                           \
    "WITH p AS (SELECT cp.* FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id"        \
    " WHERE cp.id = $1::bigint AND fq_unit_within(coalesce(i.territory, i.place_unit), $2)),"      \
    " a AS (INSERT INTO person_reveals (party_id, account, role, remote)"                          \
    " SELECT id, $3, $4, $5 FROM p)"                                                               \
    " SELECT id, incident_id, name_sealed, phone_sealed, id_sealed, name_masked, phone_masked,"    \
    " id_masked, matter FROM p"

/* The person masked ($1 party id, $2 jurisdiction), on the reads store:
 * one json row; none when not the asker's. */
#define FQ_SQL_FD_PERSON_NAME "fq_fd_person"
#define FQ_SQL_FD_PERSON_NPARAMS 2
#define FQ_SQL_FD_PERSON                                                                           \
    "SELECT json_build_object('id', cp.id, 'incident_id', cp.incident_id, 'name', cp.name_masked," \
    " 'phone', cp.phone_masked, 'id_number', cp.id_masked, 'matter', cp.matter,"                   \
    " 'registered_by', coalesce((SELECT a.display_name FROM web_accounts a WHERE a.account ="      \
    " cp.registered_by), cp.registered_by), 'registered_at_ms',"                                   \
    " (extract(epoch FROM cp.registered_at) * 1000)::bigint, 'reveals', (SELECT count(*) FROM"     \
    " person_reveals r WHERE r.party_id = cp.id), 'masked', true)::text"                           \
    " FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id WHERE cp.id = $1::bigint"     \
    " AND fq_unit_within(coalesce(i.territory, i.place_unit), $2)"

/* The same person's or phone's cases (重复信访), on the reads store: $1
 * jurisdiction, $2 phone hash, $3 id number hash, $4 name hash (hex; ''
 * when not asked), $5 days back. Open cases and those registered within
 * the days, newest first, at most 50, masked: one json array. */
#define FQ_SQL_FD_HISTORY_NAME "fq_fd_history"
#define FQ_SQL_FD_HISTORY_NPARAMS 5
#define FQ_SQL_FD_HISTORY                                                                          \
    "SELECT coalesce(json_agg(x ORDER BY x.recorded_at_ms DESC), '[]')::text FROM (SELECT"         \
    " cp.id AS party_id, cp.incident_id, i.title, i.state, cp.matter, cp.name_masked AS name,"     \
    " cp.phone_masked AS phone, cp.id_masked AS id_number,"                                        \
    " coalesce((SELECT c.name FROM categories c WHERE c.code = i.category), i.category) AS"        \
    " category_name, coalesce((SELECT u.name FROM org_units u WHERE u.id = i.territory), '') AS"   \
    " territory_name, (extract(epoch FROM i.recorded_at) * 1000)::bigint AS recorded_at_ms,"       \
    " i.state IN ('reported', 'assigned') AS open,"                                                \
    " array_remove(ARRAY[CASE WHEN $2 <> '' AND cp.phone_hash = decode($2, 'hex') THEN 'phone'"    \
    " END, CASE WHEN $3 <> '' AND cp.id_hash = decode($3, 'hex') THEN 'id_number' END,"            \
    " CASE WHEN $4 <> '' AND cp.name_hash = decode($4, 'hex') THEN 'name' END], NULL) AS"          \
    " matched FROM case_parties cp JOIN incidents i ON i.id = cp.incident_id"                      \
    " WHERE (($2 <> '' AND cp.phone_hash = decode($2, 'hex')) OR ($3 <> '' AND cp.id_hash ="       \
    " decode($3, 'hex')) OR ($4 <> '' AND cp.name_hash = decode($4, 'hex')))"                      \
    " AND fq_unit_within(coalesce(i.territory, i.place_unit), $1)"                                 \
    " AND (i.state IN ('reported', 'assigned') OR i.recorded_at > now() - $5::int * interval"      \
    " '1 day') ORDER BY i.recorded_at DESC LIMIT 50) x"

/* The categories with their keywords, for the suggestions: one json array
 * [{code, name, keywords}], in code order. */
#define FQ_SQL_FD_CATEGORIES_NAME "fq_fd_categories"
#define FQ_SQL_FD_CATEGORIES_NPARAMS 0
#define FQ_SQL_FD_CATEGORIES                                                                       \
    "SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'keywords',"           \
    " keywords) ORDER BY code), '[]')::text FROM categories WHERE keywords <> '{}'"

/* Addresses within $2 (a jurisdiction) containing $1 (as typed; LIKE's
 * characters taken literally), those starting with it first, at most 20:
 * one json array [{text, lat, lng, unit, unit_name}]. */
#define FQ_SQL_FD_ADDRESSES_NAME "fq_fd_addresses"
#define FQ_SQL_FD_ADDRESSES_NPARAMS 2
#define FQ_SQL_FD_ADDRESSES                                                                        \
    "WITH q AS (SELECT replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') AS p)"  \
    " SELECT coalesce(json_agg(x), '[]')::text FROM (SELECT a.text, a.lat, a.lng, a.unit,"         \
    " u.name AS unit_name FROM addresses a JOIN org_units u ON u.id = a.unit, q"                   \
    " WHERE a.text LIKE '%' || q.p || '%' AND fq_unit_within(a.unit, $2)"                          \
    " ORDER BY a.text LIKE q.p || '%' DESC, length(a.text), a.text LIMIT 20) x"
/* ---- research and judgment (docs/judgment.md, web/findings.c) ---- */

/* The incidents that happened in [$1, $2) (epoch ms) inside the unit $3 (''
 * everywhere): fq_judgment_incidents, migration 0029. */
#define FQ_SQL_JUDGMENT_INCIDENTS_NAME "fq_judgment_incidents"
#define FQ_SQL_JUDGMENT_INCIDENTS_NPARAMS 3
#define FQ_SQL_JUDGMENT_INCIDENTS                                                                  \
    "SELECT * FROM fq_judgment_incidents(to_timestamp($1::double precision / 1000),"               \
    " to_timestamp($2::double precision / 1000), nullif($3, ''))"

/* Long-pending cases at $1 (epoch ms) inside $2 ('' everywhere), pending
 * more than $3 days, received at most $4 days before $1; at most $5 rows:
 * fq_long_pending, migration 0029. */
#define FQ_SQL_JUDGMENT_PENDING_NAME "fq_judgment_pending"
#define FQ_SQL_JUDGMENT_PENDING_NPARAMS 5
#define FQ_SQL_JUDGMENT_PENDING                                                                    \
    "SELECT * FROM fq_long_pending(to_timestamp($1::double precision / 1000), nullif($2, ''),"     \
    " $3::integer, $4::integer) LIMIT $5::bigint"

/* A batch's new reports without photos, set-based (docs/write-path.md,
 * "Set-based batches"): the incidents, their events and their outbox items
 * with one INSERT ... SELECT FROM unnest each, of binary arrays, all planned
 * by the server. $1 ids, $2 recorded_at (the events' time), $3 body
 * digests, $4..$37 the text parameters of FQ_SQL_INSERT_REPORT that are
 * incident columns (FQ_SQL_REPORTS_TEXT_PARAMS, in that order, cast as
 * there), $38..$47 the events (seq, incident, kind, actor, at, reason,
 * payload, reason code, prev_hash, hash), $48..$53 the outbox items (box,
 * seq, kind, incident, body, event seq), $54..$58 the events' feed columns
 * (FQ_SQL_FEED_COLUMNS: the routing events' item, town, town seq, district,
 * district seq; NULL for the others). No ON CONFLICT: a resent report
 * violates the unique key and the batch goes to serial mode, where
 * FQ_SQL_INSERT_REPORT answers it. */
#define FQ_SQL_REPORTS_TEXT_PARAMS                                                                 \
    {                                                                                              \
        0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, \
            27, 28, 29, 30, 31, 32, 33, 34, 38                                                     \
    }
#define FQ_SQL_REPORTS_NTEXT 34
#define FQ_SQL_REPORTS_NAME "fq_insert_reports"
#define FQ_SQL_REPORTS_NPARAMS 58
#define FQ_SQL_REPORTS                                                                             \
    "WITH i AS (INSERT INTO incidents (id, recorded_at, body_digest, reporter_node,"               \
    " message_id, category, severity, risk, channel, place_unit, lon, lat, address, title,"        \
    " description, occurred_at, external_ref, reporter_name, reporter_phone, sent_at, state,"      \
    " tier, line, territory, lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due,"     \
    " conclude_warn_at, merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)"     \
    " SELECT x.id, x.at, x.digest, x.c0, x.c1::bigint, x.c2, x.c3::smallint, x.c4::smallint,"      \
    " x.c5::smallint, x.c6, x.c7::float8, x.c8::float8, x.c9, x.c10, x.c11,"                       \
    " to_timestamp(x.c12::float8 / 1000), x.c13, x.c14, x.c15, to_timestamp(x.c16::float8 /"       \
    " 1000), x.c17, x.c18::smallint, x.c19::smallint, x.c20, x.c21, x.c22, x.c23::text[],"         \
    " to_timestamp(x.c24::float8 / 1000), to_timestamp(x.c25::float8 / 1000),"                     \
    " to_timestamp(x.c26::float8 / 1000), to_timestamp(x.c27::float8 / 1000), x.c28::bigint,"      \
    " x.c29::integer, x.c30::integer, x.c31::smallint, x.c32::boolean, x.c33::bigint FROM"         \
    " unnest($1::bigint[], $2::timestamptz[], $3::bytea[], $4::text[], $5::text[], $6::text[],"    \
    " $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],"     \
    " $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],"               \
    " $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[],"               \
    " $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[],"               \
    " $32::text[], $33::text[], $34::text[], $35::text[], $36::text[], $37::text[]) AS x (id,"     \
    " at, digest, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16,"      \
    " c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31, c32, c33)), e"    \
    " AS (INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload,"            \
    " reason_code, prev_hash, hash, " FQ_SQL_FEED_COLUMNS ") SELECT * FROM unnest($38::bigint[],"  \
    " $39::bigint[], $40::text[], $41::text[], $42::timestamptz[], $43::text[], $44::bytea[],"     \
    " $45::text[], $46::bytea[], $47::bytea[], $54::bytea[], $55::text[], $56::bigint[],"          \
    " $57::text[], $58::bigint[])), o AS (INSERT INTO outbox (box, seq, kind, incident_id,"        \
    " body, event_seq) SELECT * FROM unnest($48::text[], $49::bigint[], $50::smallint[],"          \
    " $51::bigint[], $52::bytea[], $53::bigint[])) SELECT 1"

/* ---- the server's sequences and chain (docs/write-path.md, migration 0031) ---- */

/* The end of a transaction's events: the head moves from $1 seq, $2 hash to
 * $3 seq, $4 hash, or FQ001 (planned from another head). */
#define FQ_SQL_CHAIN_ADVANCE_NAME "fq_chain_advance"
#define FQ_SQL_CHAIN_ADVANCE "SELECT fq_chain_advance($1::bigint, $2::bytea, $3::bigint, $4::bytea)"
/* Serial mode: the head moves from $1 seq, $2 hash to the last event
 * written up to seq $3; one row: its seq ($1 when none). */
#define FQ_SQL_CHAIN_ADVANCE_WRITTEN_NAME "fq_chain_advance_written"
#define FQ_SQL_CHAIN_ADVANCE_WRITTEN                                                               \
    "SELECT fq_chain_advance_written($1::bigint, $2::bytea, $3::bigint)"
/* Where a new connection plans from: the chain head (seq, hash), every
 * box's last seq, every follow feed's last seq (migration 0032; a feed whose
 * only items are from before 0024 is among the boxes), a block of $1
 * incident ids (its first). */
#define FQ_SQL_CHAIN_HEAD "SELECT seq, hash FROM event_chain_head WHERE id"
#define FQ_SQL_OUTBOX_HEADS "SELECT box, seq FROM fq_outbox_heads()"
#define FQ_SQL_FEED_HEADS "SELECT box, seq FROM fq_feed_heads()"
#define FQ_SQL_RESERVE_IDS_NAME "fq_reserve_incident_ids"
#define FQ_SQL_RESERVE_IDS "SELECT fq_reserve_incident_ids($1::integer)"

#endif
