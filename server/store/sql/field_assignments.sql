-- The open assignments an account holds, most urgent first (the nearest of
-- the acknowledge limit while not acknowledged, the conclude limit and a
-- supervision order's reply), as {"assignments":[...]}. $1 the worker, $2 the
-- unit ('' for the one it does not serve): a worker holds what is assigned
-- to them; a unit what it leads with no worker below it, and what it
-- co-handles. Bound by fq_field_assignments_bind (field_reads.h). One row,
-- one column.
SELECT json_build_object('assignments', coalesce(json_agg(x.doc ORDER BY x.due, x.id), '[]'))::text
  FROM (SELECT i.id,
               least(CASE WHEN i.assignment = 'assigned' THEN i.ack_due END, i.conclude_due,
                     i.supervision_due) AS due,
               {{FQ_SQL_FIELD_ASSIGNMENT}} AS doc
          FROM incidents i LEFT JOIN categories c ON c.code = i.category
          LEFT JOIN org_units u ON u.id = i.territory
         WHERE i.state = 'assigned'
           AND (($1 <> '' AND i.worker = $1)
                OR ($2 <> '' AND ((i.worker IS NULL AND i.lead_unit = $2) OR $2 = ANY (i.co_units))))) x
