/* statements: the SQL pieces the statements in sql/ share (embedded there
 * as {{FQ_SQL_NAME(...)}}: the outbox and feed CTEs, the planned columns, the
 * attachments), and the statements of the store's own life that are built
 * from C constants — the directory and open-incident loads, the standby's
 * point, the chain's advance and heads, the id reservation. The statements a
 * request runs are the .sql files in sql/, each with its binder (write_params.h and
 * the *_rows.h decoders; docs/write-path.md "Statements, binders and
 * decoders"). */
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

/* What a statement wrote for its items: the outbox rows (CTE ob) and the
 * feeds of the event CTE `ev`, a record[] of (seq int8, box text,
 * event_seq int8), one per item (NULL: none), read in binary by
 * fq_outbox_written_decode (outbox.h) through write_params.h
 * fq_write_outbox_written. */
#define FQ_SQL_OUTBOX_SEQS(ev)                                                                     \
    "(SELECT array_agg(ROW(w.s, w.b, w.e)) FROM (SELECT seq AS s, box AS b, event_seq AS e"        \
    " FROM ob UNION ALL SELECT town_seq, 'u:' || town, seq FROM " ev " WHERE town IS NOT NULL"     \
    " UNION ALL SELECT district_seq, 'u:' || district, seq FROM " ev                               \
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

/* ---- the statements of server/store/sql (NAME.sql, embedded in fq_sql.h
 * as FQ_SQL_NAME): the writes (insert_report, insert_reports, reroute,
 * insert_event, action, aftercare, upward_attempt; their binders are
 * write_params.h's, the set-based insert_reports' is store.c's send_set,
 * and they use the fragments above) and the reads, each bound by one typed
 * binder beside the code that reads its rows (the file's comment names
 * them; the fragments they share are sql_fragments.h's). Here: the
 * directory loads, the open incidents' snapshot and COPY, the chain's
 * statements ---- */

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
 * index (migrations: incidents_board, 0035) say: free to ask, kept current by
 * autovacuum, and only a hint (the tables the load fills are sized once
 * from it instead of doubling as they fill; a stale one only costs that).
 * No row (no such index) or -1 (never analysed): unknown. */
#define FQ_SQL_OPEN_ESTIMATE                                                                       \
    "SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('incidents_board')),"  \
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
