/* statements: the SQL the server prepares on every connection. Kept in one
 * place so benchmarks measure exactly the statements the server runs. */
#ifndef FQ_STATEMENTS_H
#define FQ_STATEMENTS_H

/* Stores one report and its "reported" event, or finds the incident an
 * earlier request with the same (node, message id) created. One row out:
 * incident id, created (bool), recorded_at (epoch ms), event seq, body digest
 * of the stored incident (to tell a true resend from a reused id).
 * $1 node, $2 message id, $3 body digest, $4 category, $5 severity, $6 risk,
 * $7 channel, $8 place unit, $9 lon, $10 lat (both NULL or both set),
 * $11 address, $12 title, $13 description, $14 occurred_at ms (NULL: unknown),
 * $15 external ref, $16 reporter name, $17 reporter phone, $18 sent_at ms,
 * $19 envelope bytes. */
#define FQ_SQL_INSERT_REPORT_NAME "fq_insert_report"
#define FQ_SQL_INSERT_REPORT_NPARAMS 19
#define FQ_SQL_INSERT_REPORT                                                                       \
    "WITH new AS ("                                                                                \
    " INSERT INTO incidents (reporter_node, message_id, body_digest, category, severity, risk,"    \
    "  channel, place_unit, lon, lat, address, title, description, occurred_at, external_ref,"     \
    "  reporter_name, reporter_phone, sent_at)"                                                    \
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"                             \
    "  to_timestamp($14::double precision / 1000), $15, $16, $17,"                                 \
    "  to_timestamp($18::double precision / 1000))"                                                \
    " ON CONFLICT (reporter_node, message_id) DO NOTHING"                                          \
    " RETURNING id, recorded_at),"                                                                 \
    " ev AS ("                                                                                     \
    " INSERT INTO events (incident_id, kind, actor_node, at, payload)"                             \
    " SELECT id, 'reported', $1, recorded_at, $19 FROM new RETURNING seq)"                         \
    " SELECT new.id, true, (extract(epoch FROM new.recorded_at) * 1000)::bigint, ev.seq, "         \
    "$3::bytea"                                                                                    \
    " FROM new, ev"                                                                                \
    " UNION ALL"                                                                                   \
    " SELECT i.id, false, (extract(epoch FROM i.recorded_at) * 1000)::bigint, e.seq, "             \
    "i.body_digest"                                                                                \
    " FROM incidents i JOIN events e ON e.incident_id = i.id AND e.kind = 'reported'"              \
    " WHERE i.reporter_node = $1 AND i.message_id = $2 AND NOT EXISTS (SELECT 1 FROM new)"

/* One refused request for the audit trail.
 * $1 endpoint, $2 claimed node, $3 message id (NULL if none or out of range),
 * $4 status, $5 reason, $6 frame bytes, $7 frame digest. */
#define FQ_SQL_INSERT_REJECTED_NAME "fq_insert_rejected"
#define FQ_SQL_INSERT_REJECTED_NPARAMS 7
#define FQ_SQL_INSERT_REJECTED                                                                     \
    "INSERT INTO rejected_requests (endpoint, claimed_node, message_id, status, reason,"           \
    " frame_bytes, frame_digest) VALUES ($1, $2, $3, $4, $5, $6, $7)"

/* The directory the server keeps in memory: organisation tree and nodes. */
#define FQ_SQL_LOAD_UNITS "SELECT id, kind, coalesce(parent_id, ''), name FROM org_units"
#define FQ_SQL_LOAD_NODES                                                                          \
    "SELECT id, role, jurisdiction, key_sealed, revoked_at IS NOT NULL FROM nodes"

/* Admin tools NOTIFY this channel after changing units or nodes; the server
 * LISTENs and reloads its directory. */
#define FQ_DIRECTORY_CHANNEL "fengqiao_directory"

#endif
