-- N open incidents of the West Lake topology (examples/westlake-topology.json,
-- with the town platform node beishan-platform), generated for the
-- benchmarks that need many (bench/recovery.sh, bench/standby.sh): psql -v
-- first=F -v n=N. Numbered F .. F + N - 1 (message ids and external refs
-- GEN-<number>, so that several runs do not collide); assigned a third each
-- at the village (a grid worker of the topology), town (the town's line) and
-- district tier, with coordinates, recorded in the last 2 h, all four limits
-- ahead (1 h to 1 day; nothing fires at start). No events: the caller writes
-- them if it wants them.
CREATE TEMP TABLE cat AS
  SELECT row_number() OVER (ORDER BY code) - 1 AS k, code, line AS line_name,
         array_position(ARRAY['governance', 'market', 'enforcement', 'services'], line) - 1 AS line
  FROM categories;
CREATE TEMP TABLE slot AS
  SELECT row_number() OVER (ORDER BY w.id) - 1 AS s, w.id AS worker, w.grid, g.parent_id AS village,
         v.parent_id AS town
  FROM workers w JOIN org_units g ON g.id = w.grid JOIN org_units v ON v.id = g.parent_id;
-- Every (worker's grid, category): who takes it at each tier.
CREATE TEMP TABLE choice AS
  SELECT s.s * (SELECT count(*) FROM cat) + c.k AS n, s.worker, s.grid, s.village, c.code, c.line,
         (SELECT h.id FROM handlers h WHERE h.kind = 'village' AND h.territory = s.village LIMIT 1) AS village_h,
         (SELECT h.id FROM handlers h WHERE h.kind = 'town_line' AND h.territory = s.town
            AND h.line = c.line_name LIMIT 1) AS town_h,
         coalesce((SELECT h.id FROM handlers h WHERE h.kind = 'department' AND h.line = c.line_name LIMIT 1),
                  (SELECT h.id FROM handlers h WHERE h.kind = 'center' LIMIT 1)) AS district_h
  FROM slot s, cat c;
SELECT count(*) AS choices FROM choice \gset
INSERT INTO incidents (reporter_node, message_id, body_digest, category, severity, risk, channel,
    place_unit, lon, lat, title, external_ref, sent_at, recorded_at, state, tier, line, territory,
    lead_unit, worker, ack_warn_at, ack_due, conclude_warn_at, conclude_due, rule_set, rule_source)
SELECT 'beishan-platform', g, sha256(int8send(g)), c.code, 1 + (g % 4)::int, 1 + (g % 3)::int,
       1 + (g % 6)::int, c.grid, 120.08 + (g % 1000) * 0.0001, 30.22 + (g / 1000 % 1000) * 0.0001,
       '生成的事件 ' || g, 'GEN-' || g, t.rec, t.rec, 'assigned', t.tier, c.line,
       CASE t.tier WHEN 1 THEN c.grid ELSE c.village END,
       CASE t.tier WHEN 1 THEN c.village_h WHEN 2 THEN c.town_h ELSE c.district_h END,
       CASE t.tier WHEN 1 THEN c.worker END,
       t.ack - interval '10 minutes', t.ack, t.ack + interval '2 days', t.ack + interval '3 days', 1, 1
FROM generate_series(:first, :first + :n - 1) g
JOIN choice c ON c.n = g % :choices
CROSS JOIN LATERAL (SELECT 1 + (g % 3)::int AS tier,
                           now() - (g % 7200) * interval '1 second' AS rec,
                           now() + interval '1 hour' + (g % 82800) * interval '1 second' AS ack) t;
