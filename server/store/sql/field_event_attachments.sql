-- The photos an action or a report stored with its event ($1 incident, $2
-- event seq), as the answer names them: [{"id":...,"sha256":"<hex>"}]. Bound
-- by fq_field_event_attachments_bind (field_reads.h). One row, one column.
SELECT coalesce(json_agg(json_build_object('id', x.id, 'sha256', encode(x.sha256, 'hex'))
                         ORDER BY x.id), '[]')::text
  FROM attachments x
 WHERE x.incident_id = $1::bigint AND x.event_seq = $2::bigint
