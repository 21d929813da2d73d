-- The answer an earlier terminal request got. $1 node, $2 message id: bound
-- by fq_find_request_bind (outbox_rows.h). Zero or one row: digest, state,
-- event seq, incident.
SELECT digest, state, event_seq, incident_id FROM terminal_requests
 WHERE node = $1 AND message_id = $2
