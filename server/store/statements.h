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
 * "report_merged" event on the incident it joined), the outbox items the
 * routing event leaves and the photos reported with it, or finds the
 * incident an earlier request with the same (node, message id) created.
 * One row out: incident id, created (bool), recorded_at (epoch ms), event
 * seq, body digest of the stored incident (to tell a true resend from a
 * reused id), the routing outcome (RoutingOutcome bytes) of the stored
 * incident, the decision's nonce it holds (a retry recognises its own
 * earlier commit by it) and the outbox seqs written (FQ_SQL_OUTBOX_SEQS;
 * NULL for a resend). Parameters: write_params.h fq_report_params, bound by
 * its one binder; the plan's are the last FQ_STORE_PLAN_NPARAMS. */
#define FQ_SQL_INSERT_REPORT_NAME "fq_insert_report"
#define FQ_SQL_INSERT_REPORT_NPARAMS 61
// clang-format off
#define FQ_SQL_INSERT_REPORT                                                                     \
    "WITH new AS ("                                                                              \
    " INSERT INTO incidents (id, recorded_at, reporter_node, message_id, body_digest, category," \
    "  severity, risk, channel, place_unit, lon, lat, address, title, description, occurred_at," \
    "  external_ref, reporter_name, reporter_phone, sent_at, state, tier, line, territory,"      \
    "  lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due, conclude_warn_at,"       \
    "  merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)"                    \
    " VALUES ($51::bigint, $55::timestamptz, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12," \
    "  $13, to_timestamp($14::double precision / 1000), $15, $16, $17,"                          \
    "  to_timestamp($18::double precision / 1000), $20, $21, $22, $23, $24, $25, $26,"           \
    "  to_timestamp($27::double precision / 1000), to_timestamp($28::double precision / 1000),"  \
    "  to_timestamp($29::double precision / 1000), to_timestamp($30::double precision / 1000),"  \
    "  $31, $32, $33, $34, $35, $39)"                                                            \
    " ON CONFLICT (reporter_node, message_id) DO NOTHING"                                        \
    " RETURNING id, recorded_at),"                                                               \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, payload, "                   \
    FQ_SQL_PLANNED_COLUMNS ")"                                                                   \
    " SELECT id, 'reported', $1, recorded_at, $19," FQ_SQL_PLANNED("$52", "$53", "$54", "1")     \
    " FROM new RETURNING incident_id AS id, seq)," FQ_SQL_REPORT_ATTACHMENTS                     \
    " rt AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,"            \
    " reason_code, "                                                                             \
    FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                                          \
    " SELECT id, $36, NULL, recorded_at, $37, $38, coalesce($43, ''),"                           \
    FQ_SQL_PLANNED("$52", "$53", "$54", "2") "," FQ_SQL_FEED("$57", "$58", "$59", "$60", "$61")  \
    " FROM new RETURNING seq, " FQ_SQL_FEED_RETURNING "),"                                       \
    " mg AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code, "       \
    FQ_SQL_PLANNED_COLUMNS ")"                                                                   \
    " SELECT $31, 'report_merged', NULL, recorded_at, 'another report: incident ' || id,"        \
    " 'merged'," FQ_SQL_PLANNED("$52", "$53", "$54", "3")                                        \
    " FROM new WHERE $31::bigint IS NOT NULL),"                                                  \
    FQ_SQL_OUTBOX_CTE("new", "(SELECT seq FROM rt)", "$40", "$41", "$42", "$56")                 \
    " SELECT * FROM (SELECT new.id, true, (extract(epoch FROM new.recorded_at) * 1000)::bigint," \
    " ev.seq, $3::bytea, $38::bytea, $39::bigint, " FQ_SQL_OUTBOX_SEQS("rt") " FROM new, ev"     \
    " UNION ALL"                                                                                 \
    " SELECT i.id, false, (extract(epoch FROM i.recorded_at) * 1000)::bigint, e.seq,"            \
    " i.body_digest, (SELECT r.payload FROM events r WHERE r.incident_id = i.id"                 \
    "  AND r.kind IN ('assigned', 'merged', 'unroutable') ORDER BY r.seq LIMIT 1),"              \
    " i.routing_nonce, NULL::text"                                                               \
    " FROM incidents i JOIN events e ON e.incident_id = i.id AND e.kind = 'reported'"            \
    " WHERE i.reporter_node = $1 AND i.message_id = $2 AND NOT EXISTS (SELECT 1 FROM new)) r"    \
    " WHERE fq_as_planned($50::boolean, (SELECT count(*) FROM new), 1)"
// clang-format on

/* A re-decision of an open incident (escalation, re-routing): the
 * incident's routing columns and one event, applied once by its nonce
 * (applied_ops: a re-sent write has no second effect). The new holder
 * starts from 'assigned', with no limit breached (breaches are recorded per
 * holder: the new one's limits may fire). Parameters: write_params.h
 * fq_reroute_params. One row: the outbox seqs written. */
#define FQ_SQL_REROUTE_NAME "fq_reroute"
#define FQ_SQL_REROUTE_NPARAMS 32
// clang-format off
#define FQ_SQL_REROUTE                                                                          \
    "WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($16) ON CONFLICT DO NOTHING"            \
    " RETURNING nonce),"                                                                        \
    " u AS (UPDATE incidents SET tier = $2, line = $3, territory = $4, lead_unit = $5,"         \
    " worker = $6, co_units = $7, ack_due = to_timestamp($8::double precision / 1000),"         \
    " ack_warn_at = to_timestamp($9::double precision / 1000),"                                 \
    " conclude_due = to_timestamp($10::double precision / 1000),"                               \
    " conclude_warn_at = to_timestamp($11::double precision / 1000), climbed = $12,"            \
    " escalations = escalations + 1, assignment = 'assigned', acknowledged_at = NULL,"          \
    " breached = 0, extension_asked = NULL WHERE id = $1 AND state = 'assigned'"                \
    " AND EXISTS (SELECT 1 FROM g) RETURNING id),"                                              \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,"           \
    " reason_code, "                                                                            \
    FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                                         \
    " SELECT id, $13, NULL, $26::timestamptz, $14, $15, coalesce($20, ''),"                     \
    FQ_SQL_PLANNED("$23", "$24", "$25", "1") "," FQ_SQL_FEED("$28", "$29", "$30", "$31", "$32") \
    " FROM u RETURNING incident_id AS id, seq, " FQ_SQL_FEED_RETURNING "),"                     \
    FQ_SQL_OUTBOX_CTE("ev", "ev.seq", "$17", "$18", "$19", "$27")                               \
    " SELECT " FQ_SQL_OUTBOX_SEQS("ev")                                                         \
    " WHERE fq_as_planned($21::boolean, (SELECT count(*) FROM ev), 1)"
// clang-format on

/* One event of the server's own about an incident (deadline warnings, a
 * breach at the district tier), applied once by its nonce, with the
 * breached limits it records on the incident and the end of a supervision
 * order that passed. Parameters: write_params.h fq_event_params. One row:
 * the outbox seqs written. */
#define FQ_SQL_INSERT_EVENT_NAME "fq_insert_event"
#define FQ_SQL_INSERT_EVENT_NPARAMS 22
// clang-format off
#define FQ_SQL_INSERT_EVENT                                                                     \
    "WITH g AS (INSERT INTO applied_ops (nonce) VALUES ($5) ON CONFLICT DO NOTHING"             \
    " RETURNING nonce),"                                                                        \
    " b AS (UPDATE incidents SET breached = breached | $4::smallint,"                           \
    " supervision_due = CASE WHEN $9 THEN NULL ELSE supervision_due END"                        \
    " WHERE id = $1 AND ($4::smallint <> 0 OR $9) AND EXISTS (SELECT 1 FROM g)),"               \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code, "      \
    FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                                         \
    " SELECT $1, $2, NULL, $16::timestamptz, $3, coalesce($10, ''),"                            \
    FQ_SQL_PLANNED("$13", "$14", "$15", "1") "," FQ_SQL_FEED("$18", "$19", "$20", "$21", "$22") \
    " FROM g RETURNING incident_id AS id, seq, " FQ_SQL_FEED_RETURNING "),"                     \
    FQ_SQL_OUTBOX_CTE("ev", "ev.seq", "$6", "$7", "$8", "$17")                                  \
    " SELECT " FQ_SQL_OUTBOX_SEQS("ev")                                                         \
    " WHERE fq_as_planned($11::boolean, (SELECT count(*) FROM ev), 1)"
// clang-format on

/* A terminal's action on an assignment (acknowledge, return, progress,
 * extend, conclude) or a console's command, idempotent by (node, message
 * id): applied only if no earlier request used that id and the incident is
 * as the server believes (its state, the expected assignment state, the
 * expected holder). It may bring a new routing decision (a return, an
 * operator's reassignment; a resumption writes the moved limits as a new
 * decision of the same holder, whose breaches and tiers climbed stand: the
 * server does not keep `climbed` in memory), a merge into another open
 * incident (which gets a report_merged event), the supervision order's
 * deadline set or cleared, a suspension (docs/console.md "Suspension") or
 * its end, photos, and a mediation step's record (docs/mediation.md: JSON,
 * projected by migration 0028's trigger). Concluding or merging ends a
 * suspension. Parameters: write_params.h fq_action_params.
 * One row: event seq (NULL if not applied), outbox seqs, and the earlier
 * request's digest, state, event seq and incident (NULL if none). */
#define FQ_SQL_ACTION_NAME "fq_action"
#define FQ_SQL_ACTION_NPARAMS 56
// clang-format off
#define FQ_SQL_ACTION                                                                             \
    "WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests"          \
    " WHERE node = $1 AND message_id = $2),"                                                      \
    " u AS (UPDATE incidents SET assignment = $11, state = $12,"                                  \
    " acknowledged_at = CASE WHEN $11 = 'acknowledged' AND assignment = 'assigned' THEN now()"    \
    " ELSE acknowledged_at END,"                                                                  \
    " concluded_at = CASE WHEN $12 = 'concluded' THEN now() ELSE concluded_at END,"               \
    " result = coalesce($13, result),"                                                            \
    " extension_asked = CASE WHEN $14::bigint IS NULL THEN extension_asked"                       \
    " ELSE to_timestamp($14::double precision / 1000) END,"                                       \
    " tier = CASE WHEN $15 THEN $16::smallint ELSE tier END,"                                     \
    " line = CASE WHEN $15 THEN $17::smallint ELSE line END,"                                     \
    " territory = CASE WHEN $15 THEN $18 ELSE territory END,"                                     \
    " lead_unit = CASE WHEN $15 THEN $19 ELSE lead_unit END,"                                     \
    " worker = CASE WHEN $15 THEN $20 ELSE worker END,"                                           \
    " co_units = CASE WHEN $15 THEN $21::text[] ELSE co_units END,"                               \
    " ack_due = CASE WHEN $15 THEN to_timestamp($22::double precision / 1000) ELSE ack_due END,"  \
    " ack_warn_at = CASE WHEN $15 THEN to_timestamp($23::double precision / 1000)"                \
    " ELSE ack_warn_at END,"                                                                      \
    " conclude_due = CASE WHEN $15 THEN to_timestamp($24::double precision / 1000)"               \
    " ELSE conclude_due END,"                                                                     \
    " conclude_warn_at = CASE WHEN $15 THEN to_timestamp($25::double precision / 1000)"           \
    " ELSE conclude_warn_at END,"                                                                 \
    " climbed = CASE WHEN $15 AND $35::text IS NULL THEN $26::smallint ELSE climbed END,"         \
    " breached = CASE WHEN $15 AND $35::text IS NULL THEN 0 WHEN $33::text <> ''"                 \
    " THEN breached & "                                                                           \
    "3"                                                                                           \
    " ELSE breached END,"                                                                         \
    " suspended_at = CASE WHEN $12 <> 'assigned' OR $35 = '' THEN NULL"                           \
    " WHEN $35::text IS NULL THEN suspended_at ELSE to_timestamp($35::double precision / 1000) "  \
    "END,"                                                                                        \
    " suspend_reason = CASE WHEN $12 <> 'assigned' OR $35 = '' THEN NULL"                         \
    " WHEN $35::text IS NULL THEN suspend_reason ELSE $36 END,"                                   \
    " escalations = escalations + CASE WHEN $31 THEN 1 ELSE 0 END,"                               \
    " merged_into = coalesce($32::bigint, merged_into),"                                          \
    " supervision_due = CASE WHEN $33::text IS NULL THEN supervision_due WHEN $33 ="              \
    " '' THEN NULL"                                                                               \
    " ELSE to_timestamp($33::double precision / 1000) END"                                        \
    " WHERE id = $4 AND state = coalesce($34, 'assigned') AND assignment = $8"                    \
    " AND coalesce(worker, '') = $9"                                                              \
    " AND coalesce(lead_unit, '') = $10 AND NOT EXISTS (SELECT 1 FROM prior)"                     \
    " AND ($35::text IS NULL OR (suspended_at IS NULL) = ($35 <> '')) RETURNING id),"             \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,"             \
    " reason_code, "                                                                              \
    FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                                           \
    " SELECT id, $5, $1, $50::timestamptz, $6, $7, coalesce($37, ''),"                            \
    FQ_SQL_PLANNED("$47", "$48", "$49", "1") "," FQ_SQL_FEED("$52", "$53", "$54", "$55", "$56")   \
    " FROM u RETURNING incident_id AS id, seq, " FQ_SQL_FEED_RETURNING "),"                       \
    FQ_SQL_ACTION_ATTACHMENTS                                                                     \
    " tr AS (INSERT INTO terminal_requests (node, message_id, digest, incident_id, state,"        \
    " event_seq) SELECT $1, $2, $3, id, $30, seq FROM ev),"                                       \
    " md AS (INSERT INTO mediation_steps (incident_id, event_seq, kind, actor_node, record)"      \
    " SELECT id, seq, $5, $1, $44::jsonb FROM ev WHERE $44::jsonb IS NOT NULL),"                  \
    " mg AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, reason_code, "        \
    FQ_SQL_PLANNED_COLUMNS ")"                                                                    \
    " SELECT $32, 'report_merged', $1, $50::timestamptz, 'incident ' || id || '"                  \
    " merged into it',"                                                                           \
    " coalesce($37, '')," FQ_SQL_PLANNED("$47", "$48", "$49", "2") " FROM ev"                     \
    " WHERE $32::bigint IS NOT NULL),"                                                            \
    FQ_SQL_OUTBOX_CTE("ev", "ev.seq", "$27", "$28", "$29", "$51")                                 \
    " SELECT (SELECT seq FROM ev), " FQ_SQL_OUTBOX_SEQS("ev") ", p.digest, p.state, p.event_seq," \
    " p.incident_id FROM (SELECT 1) one LEFT JOIN prior p ON true"                                \
    " WHERE fq_as_planned($45::boolean, (SELECT count(*) FROM ev), 1)"
// clang-format on

/* What the command center records after a conclusion (verify, follow-up),
 * idempotent like an action, inside the operator's jurisdiction.
 * Parameters: write_params.h fq_aftercare_params. One row: event seq (NULL
 * if not applied), the earlier request's digest, state, event seq,
 * incident (NULL if none), and the incident's state inside the
 * jurisdiction (NULL: unknown or outside). */
#define FQ_SQL_AFTERCARE_NAME "fq_aftercare"
#define FQ_SQL_AFTERCARE_NPARAMS 21
// clang-format off
#define FQ_SQL_AFTERCARE                                                                        \
    "WITH prior AS (SELECT digest, state, event_seq, incident_id FROM terminal_requests"        \
    " WHERE node = $1 AND message_id = $2),"                                                    \
    " u AS (UPDATE incidents SET"                                                               \
    " verified_at = CASE WHEN $5 = 'verified' THEN now() ELSE verified_at END,"                 \
    " followed_up_at = CASE WHEN $5 = 'followed_up' THEN now() ELSE followed_up_at END,"        \
    " satisfaction = coalesce($8::smallint, satisfaction)"                                      \
    " WHERE id = $4 AND state = 'concluded'"                                                    \
    " AND fq_unit_within(coalesce(territory, place_unit), $9)"                                  \
    " AND NOT EXISTS (SELECT 1 FROM prior) RETURNING id),"                                      \
    " ev AS (INSERT INTO events (incident_id, kind, actor_node, at, reason, payload,"           \
    " reason_code, "                                                                            \
    FQ_SQL_PLANNED_COLUMNS ", " FQ_SQL_FEED_COLUMNS ")"                                         \
    " SELECT id, $5, $1, $15::timestamptz, $6, $7, 'operator_choice',"                          \
    FQ_SQL_PLANNED("$12", "$13", "$14", "1") "," FQ_SQL_FEED("$17", "$18", "$19", "$20", "$21") \
    " FROM u RETURNING incident_id AS id, seq),"                                                \
    " tr AS (INSERT INTO terminal_requests (node, message_id, digest, incident_id, state,"      \
    " event_seq) SELECT $1, $2, $3, id, 'concluded', seq FROM ev)"                              \
    " SELECT (SELECT seq FROM ev), p.digest, p.state, p.event_seq, p.incident_id,"              \
    " (SELECT i.state FROM incidents i WHERE i.id = $4"                                         \
    " AND fq_unit_within(coalesce(i.territory, i.place_unit), $9))"                             \
    " FROM (SELECT 1) one LEFT JOIN prior p ON true"                                            \
    " WHERE fq_as_planned($10::boolean, (SELECT count(*) FROM ev), 1)"
// clang-format on

/* ---- the reads: one file each in server/store/sql (NAME.sql, embedded in
 * fq_sql.h as FQ_SQL_NAME), each bound by one typed binder beside the code
 * that reads its rows (the file's comment names them); the fragments they
 * share are sql_fragments.h's ---- */

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
 * settings with the years imported (binary: the arrays as int4[], read by
 * routing_state.c), then every dated exception as a day number (days since
 * 1970-01-01). */
#define FQ_SQL_LOAD_CALENDARS                                                                      \
    "SELECT c.district, c.utc_offset_s, c.working_periods, c.working_weekdays,"                    \
    " coalesce((SELECT array_agg(y.year ORDER BY y.year) FROM calendar_years y"                    \
    " WHERE y.district = c.district), '{}') FROM calendars c"
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
/* The open incidents, read once at start in the directory load's snapshot:
 * the load exports it (FQ_SQL_OPEN_SNAPSHOT) and a loader on a connection
 * of its own imports it and reads them by binary COPY (store/open_copy.h),
 * handing them to the loop in chunks of up to FQ_OPEN_CHUNK_ROWS rows as
 * they stream: no result of a million rows is ever held. */
#define FQ_SQL_OPEN_SNAPSHOT "SELECT pg_export_snapshot()"
#define FQ_SQL_OPEN_COPY                                                                           \
    "COPY (SELECT" FQ_SQL_CASE_COLUMNS " FROM incidents WHERE state = 'assigned')"                 \
    " TO STDOUT (FORMAT binary)"
/* The same in two halves of the table's heap, read by two loaders on two
 * connections at once (store.c: start_open_copy): PostgreSQL's share of a
 * start (a backend's CPU per row and column sent) is then spread over two
 * backends. The halves are TID ranges (a TID Range Scan reads only its
 * pages) split at one page number the store reads once in the load's
 * snapshot (FQ_SQL_OPEN_ESTIMATE) and gives both: every row version lives
 * on one page, so each open incident is in exactly one half. %s is "<" or
 * ">=", %lld the page. */
#define FQ_SQL_OPEN_COPY_HALF                                                                      \
    "COPY (SELECT" FQ_SQL_CASE_COLUMNS " FROM incidents WHERE state = 'assigned'"                  \
    " AND ctid %s '(%lld,0)'::tid) TO STDOUT (FORMAT binary)"
/* Below this many open incidents expected (two chunks), one loader reads
 * them all: a second connection is not worth it. integ_recovery_chunks
 * (10,000) reads in halves. */
#define FQ_OPEN_SPLIT_MIN (2 * FQ_OPEN_CHUNK_ROWS)
#define FQ_OPEN_CHUNK_ROWS 4096
/* How many there are, as the statistics of the open incidents' partial
 * index (migrations: incidents_open) say: free to ask, kept current by
 * autovacuum, and only a hint (the tables the load fills are sized once
 * from it instead of doubling as they fill; a stale one only costs that).
 * No row (no such index) or -1 (never analysed): unknown. */
#define FQ_SQL_OPEN_ESTIMATE                                                                       \
    "SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('incidents_open')),"   \
    " pg_relation_size('incidents') / current_setting('block_size')::bigint"
/* A warm standby (docs/operations.md, "A standby"): the point its state is
 * at, and the incidents touched since. The point is the chain head's seq
 * read in the same snapshot as what was loaded with it: every transaction
 * that writes events ends by moving that one row (fq_chain_advance), so
 * writers commit in the order of their seqs and a snapshot that sees the
 * head at N sees every event up to N and none after it. The touched
 * incidents are re-read whole, as FQ_SQL_OPEN_COPY has them, with their
 * state after (fq_reopen_row_state): 'assigned' replaces the case, anything
 * else (concluded, merged) removes it. Every change to an incident is
 * written with an event (its mediation by the events' triggers). $1 the
 * point; the events' primary key (seq, at) in each partition finds those
 * after it, and the incidents are looked up by their ids (= ANY of an
 * array: index probes, never a scan of the incidents however many the
 * planner guesses). */
#define FQ_SQL_STANDBY_POINT "SELECT seq FROM event_chain_head WHERE id"
#define FQ_SQL_STANDBY_TOUCHED                                                                     \
    "SELECT" FQ_SQL_CASE_COLUMNS ", state FROM incidents WHERE id = ANY (ARRAY("                   \
    "SELECT DISTINCT incident_id FROM events WHERE seq > $1::bigint))"

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
/* Each load's result format, for whoever runs them (the store, the admin
 * tools): binary for the rules, the polygons and the calendars, whose
 * arrays routing_state.c reads with pgarray (no array text to parse); text
 * for the rest. */
#define FQ_SQL_LOAD_FORMATS                                                                        \
    {                                                                                              \
        [FQ_LOAD_RULES] = 1, [FQ_LOAD_POLYGONS] = 1, [FQ_LOAD_CALENDARS] = 1                       \
    }

/* Admin tools NOTIFY this channel after changing units or nodes; the server
 * LISTENs and reloads its directory. */
#define FQ_DIRECTORY_CHANNEL "fengqiao_directory"

/* A batch's new reports without photos, set-based (docs/write-path.md,
 * "Set-based batches"): the incidents, their events and their outbox items
 * with one INSERT ... SELECT FROM unnest each, of binary arrays, all planned
 * by the server: a column of each array per incident column, typed as the
 * column is; the co-handling units as every row's units one after the other
 * (text[]) and, for each, the 1-based position of its row (int4[]) —
 * PostgreSQL has no array of arrays of different lengths; a row without
 * units has none there and gets '{}'; then the events, the outbox rows and
 * the events' feed columns (FQ_SQL_FEED_COLUMNS, the routing events'; NULL
 * for the others). Bound in one place, store.c send_set, from the reports'
 * typed parameters (write_params.h fq_report_params). No ON CONFLICT: a
 * resent report violates the unique key and the batch goes to serial mode,
 * where FQ_SQL_INSERT_REPORT answers it. */
#define FQ_SQL_REPORTS_CO_UNITS 36 /* $37 */
#define FQ_SQL_REPORTS_NAME "fq_insert_reports"
#define FQ_SQL_REPORTS_NPARAMS 59
#define FQ_SQL_REPORTS                                                                             \
    "WITH co AS (SELECT c.r, array_agg(c.u ORDER BY c.o) AS units FROM unnest($37::text[],"        \
    " $59::int4[]) WITH ORDINALITY AS c (u, r, o) GROUP BY c.r),"                                  \
    " i AS (INSERT INTO incidents (id, recorded_at, body_digest, reporter_node,"                   \
    " message_id, category, severity, risk, channel, place_unit, lon, lat, address, title,"        \
    " description, occurred_at, external_ref, reporter_name, reporter_phone, sent_at, state,"      \
    " tier, line, territory, lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due,"     \
    " conclude_warn_at, merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)"     \
    " SELECT x.id, x.at, x.digest, x.node, x.mid, x.category, x.severity, x.risk, x.channel,"      \
    " x.place, x.lon, x.lat, x.address, x.title, x.description, x.occurred, x.ext, x.rname,"       \
    " x.rphone, x.sent, x.state, x.tier, x.line, x.territory, x.lead, x.worker,"                   \
    " coalesce(co.units, '{}'), x.ack_due, x.ack_warn, x.conclude_due, x.conclude_warn,"           \
    " x.merged, x.rule_set, x.rule_source, x.climbed, x.unplaced, x.nonce FROM"                    \
    " unnest($1::bigint[], $2::timestamptz[], $3::bytea[], $4::text[], $5::bigint[], $6::text[],"  \
    " $7::smallint[], $8::smallint[], $9::smallint[], $10::text[], $11::float8[], $12::float8[],"  \
    " $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::text[], $18::text[],"        \
    " $19::text[], $20::timestamptz[], $21::text[], $22::smallint[], $23::smallint[],"             \
    " $24::text[], $25::text[], $26::text[], $27::timestamptz[], $28::timestamptz[],"              \
    " $29::timestamptz[], $30::timestamptz[], $31::bigint[], $32::integer[], $33::integer[],"      \
    " $34::smallint[], $35::boolean[], $36::bigint[]) WITH ORDINALITY AS x (id, at, digest,"       \
    " node, mid, category, severity, risk, channel, place, lon, lat, address, title,"              \
    " description, occurred, ext, rname, rphone, sent, state, tier, line, territory, lead,"        \
    " worker, ack_due, ack_warn, conclude_due, conclude_warn, merged, rule_set, rule_source,"      \
    " climbed, unplaced, nonce, o)"                                                                \
    " LEFT JOIN co ON co.r = x.o), e"                                                              \
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
