-- One refused request for the audit trail. $1 endpoint, $2 claimed node, $3
-- message id (NULL if none or out of range), $4 status, $5 reason, $6 frame
-- bytes, $7 frame digest. Bound by rejected_bind (endpoints/audit.c): the
-- message id (int8), the frame's bytes (int4) and its digest binary.
INSERT INTO rejected_requests (endpoint, claimed_node, message_id, status, reason, frame_bytes,
frame_digest) VALUES ($1, $2, $3::bigint, $4, $5, $6::integer, $7)
