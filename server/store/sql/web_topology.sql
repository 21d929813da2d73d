-- The web console's names and shapes inside a jurisdiction ($1, an org unit),
-- as one JSON document (docs/http-api.md, "Reference data"): the district,
-- the towns with their villages and grids (rings as [lat, lng]), the handling
-- units, the workers, the categories. One row, one column. The units include
-- those above the jurisdiction (a town's page names the district's center and
-- departments that hold or co-handle its incidents, and offers them in the
-- assignment chooser), not only those inside it. Bound by topology_bind
-- (web/api.c), beside the answer that hands the document on.
WITH RECURSIVE sub (id, kind, parent_id, name) AS ( SELECT id, kind, parent_id, name FROM org_units
WHERE id = $1 UNION ALL SELECT o.id, o.kind, o.parent_id, o.name FROM org_units o JOIN sub ON
o.parent_id = sub.id) SELECT json_build_object( 'district', (SELECT json_build_object('id', d.id,
'name', d.name) FROM org_units d WHERE d.kind = 'district' AND fq_unit_within($1, d.id)), 'towns',
coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'villages', coalesce((SELECT
json_agg(json_build_object('id', v.id, 'name', v.name, 'grids', coalesce((SELECT
json_agg(json_build_object('id', g.id, 'name', g.name, 'ring', coalesce((SELECT
json_agg(json_build_array(p.ring[2 * k], p.ring[2 * k - 1]) ORDER BY k) FROM grid_polygons p,
generate_series(1, array_length(p.ring, 1) / 2) k WHERE p.grid = g.id), '[]')) ORDER BY g.id) FROM
sub g WHERE g.parent_id = v.id AND g.kind = 'grid'), '[]')) ORDER BY v.id) FROM sub v WHERE
v.parent_id = t.id AND v.kind = 'village'), '[]')) ORDER BY t.id) FROM sub t WHERE t.kind = 'town'),
'[]'), 'units', coalesce((SELECT json_agg(json_build_object('id', h.id, 'name', h.name, 'kind',
h.kind, 'line', coalesce(h.line, ''), 'territory', h.territory) ORDER BY h.id) FROM handlers h WHERE
h.territory IN (SELECT id FROM sub) OR fq_unit_within($1, h.territory)), '[]'), 'workers',
coalesce((SELECT json_agg(json_build_object('id', w.id, 'name', w.name, 'grid', w.grid, 'capacity',
w.capacity) ORDER BY w.id) FROM workers w WHERE w.grid IN (SELECT id FROM sub)), '[]'),
'categories', coalesce((SELECT json_agg(json_build_object('code', c.code, 'name', c.name, 'line',
c.line) ORDER BY c.code) FROM categories c), '[]'))::text
