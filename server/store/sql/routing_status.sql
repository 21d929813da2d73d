-- The outcome of the last directory load (migration 0011,
-- docs/operations.md). $1 ok, $2 serving (current, previous, none), $3 error
-- ('' when ok). Bound by routing_status_bind (server.c).
INSERT INTO routing_status AS s (ok, serving, error, at, loaded_at) VALUES ($1::boolean, $2, $3,
now(), CASE WHEN $1::boolean THEN now() END) ON CONFLICT (one) DO UPDATE SET ok = excluded.ok,
serving = excluded.serving, error = excluded.error, at = excluded.at, loaded_at =
coalesce(excluded.loaded_at, s.loaded_at)
