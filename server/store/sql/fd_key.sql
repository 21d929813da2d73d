-- The front desk's personal-data key, sealed ($1: a new one, sealed, kept
-- only if there is none yet): the one the table holds.
WITH ins AS (INSERT INTO sealed_keys (name, key_sealed) VALUES ('frontdesk', $1) ON CONFLICT (name)
DO NOTHING RETURNING key_sealed) SELECT key_sealed FROM ins UNION ALL SELECT key_sealed FROM
sealed_keys WHERE name = 'frontdesk' LIMIT 1
