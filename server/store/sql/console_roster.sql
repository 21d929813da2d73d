-- Units and workers inside the jurisdiction with what they hold, a page of
-- them: $1 jurisdiction, $2 rows to skip, $3 at most. (kind, id) is unique:
-- the order is total. Bound by roster_bind (endpoints/console.c), beside
-- answer_roster, which reads the rows: id, kind, territory, line, load,
-- capacity, on duty.
SELECT w.id, 'worker', w.grid, '',
       (SELECT count(*) FROM incidents i WHERE i.worker = w.id AND i.state = 'assigned'),
       w.capacity, w.on_duty
  FROM workers w WHERE fq_unit_within(w.grid, $1)
UNION ALL
SELECT h.id, h.kind, h.territory, coalesce(h.line, ''),
       (SELECT count(*) FROM incidents i
         WHERE i.lead_unit = h.id AND i.state = 'assigned' AND i.tier > 1),
       0, true
  FROM handlers h WHERE fq_unit_within(h.territory, $1)
 ORDER BY 2, 1 OFFSET $2::bigint LIMIT $3::bigint
