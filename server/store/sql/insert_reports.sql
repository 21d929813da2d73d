-- A batch's new reports without photos, set-based (docs/write-path.md,
-- "Set-based batches"): the incidents, their events and their outbox items
-- with one INSERT ... SELECT FROM unnest each, of binary arrays, all planned
-- by the server: a column of each array per incident column, typed as the
-- column is; the co-handling units as every row's units one after the other
-- (text[]) and, for each, the 1-based position of its row (int4[]) —
-- PostgreSQL has no array of arrays of different lengths; a row without
-- units has none there and gets '{}'; then the events, the outbox rows and
-- the events' feed columns (FQ_SQL_FEED_COLUMNS, the routing events'; NULL
-- for the others). Bound in one place, store.c send_set, from the reports'
-- typed parameters (write_params.h fq_report_params). No ON CONFLICT: a
-- resent report violates the unique key and the batch goes to serial mode,
-- where FQ_SQL_INSERT_REPORT answers it.
WITH co AS (SELECT c.r, array_agg(c.u ORDER BY c.o) AS units FROM unnest($37::text[],
$59::int4[]) WITH ORDINALITY AS c (u, r, o) GROUP BY c.r),
i AS (INSERT INTO incidents (id, recorded_at, body_digest, reporter_node,
message_id, category, severity, risk, channel, place_unit, lon, lat, address, title,
description, occurred_at, external_ref, reporter_name, reporter_phone, sent_at, state,
tier, line, territory, lead_unit, worker, co_units, ack_due, ack_warn_at, conclude_due,
conclude_warn_at, merged_into, rule_set, rule_source, climbed, unplaced, routing_nonce)
SELECT x.id, x.at, x.digest, x.node, x.mid, x.category, x.severity, x.risk, x.channel,
x.place, x.lon, x.lat, x.address, x.title, x.description, x.occurred, x.ext, x.rname,
x.rphone, x.sent, x.state, x.tier, x.line, x.territory, x.lead, x.worker,
coalesce(co.units, '{}'), x.ack_due, x.ack_warn, x.conclude_due, x.conclude_warn,
x.merged, x.rule_set, x.rule_source, x.climbed, x.unplaced, x.nonce FROM
unnest($1::bigint[], $2::timestamptz[], $3::bytea[], $4::text[], $5::bigint[], $6::text[],
$7::smallint[], $8::smallint[], $9::smallint[], $10::text[], $11::float8[], $12::float8[],
$13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::text[], $18::text[],
$19::text[], $20::timestamptz[], $21::text[], $22::smallint[], $23::smallint[],
$24::text[], $25::text[], $26::text[], $27::timestamptz[], $28::timestamptz[],
$29::timestamptz[], $30::timestamptz[], $31::bigint[], $32::integer[], $33::integer[],
$34::smallint[], $35::boolean[], $36::bigint[]) WITH ORDINALITY AS x (id, at, digest,
node, mid, category, severity, risk, channel, place, lon, lat, address, title,
description, occurred, ext, rname, rphone, sent, state, tier, line, territory, lead,
worker, ack_due, ack_warn, conclude_due, conclude_warn, merged, rule_set, rule_source,
climbed, unplaced, nonce, o)
LEFT JOIN co ON co.r = x.o), e
AS (INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload,
reason_code, prev_hash, hash, {{FQ_SQL_FEED_COLUMNS}}) SELECT * FROM unnest($38::bigint[],
$39::bigint[], $40::text[], $41::text[], $42::timestamptz[], $43::text[], $44::bytea[],
$45::text[], $46::bytea[], $47::bytea[], $54::bytea[], $55::text[], $56::bigint[],
$57::text[], $58::bigint[])), o AS (INSERT INTO outbox (box, seq, kind, incident_id,
body, event_seq) SELECT * FROM unnest($48::text[], $49::bigint[], $50::smallint[],
$51::bigint[], $52::bytea[], $53::bigint[])) SELECT 1
